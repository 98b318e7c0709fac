/*
 * libFuzzer target: ONNX bytes -> load -> a session on "ref" (f32), "cpu"
 * (f32) and "cpu" (int8) where the build has it -> one run on inputs drawn
 * from a fixed pattern -> free. Finds what only planning, weight packing,
 * quantization and the kernels can get wrong on odd but valid shapes. Runs
 * are skipped above a FLOP budget so that each input stays fast.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_limits.h"
#include "fuzz_session.h"
#include "runt-cpu.h"
#include "runt.h"

#define FUZZ_MAX_FLOPS 20000000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Values that are never all equal and cover signs and zero. */
static void fuzz_fill(runt_tensor *t)
{
    int64_t n = runt_tensor_count(t);
    for (int64_t i = 0; i < n; i++) {
        int v = (int)((i * 37 + 11) % 19) - 9;
        switch (t->dtype) {
        case RUNT_F32: ((float *)t->data)[i] = (float)v * 0.125f; break;
        case RUNT_I8: ((int8_t *)t->data)[i] = (int8_t)v; break;
        case RUNT_U8: ((uint8_t *)t->data)[i] = (uint8_t)(v + 9); break;
        case RUNT_I32: ((int32_t *)t->data)[i] = v; break;
        case RUNT_I64: ((int64_t *)t->data)[i] = v; break;
        default: break;
        }
    }
}

static void fuzz_run(const runt_model *m, const char *backend, runt_dtype dtype,
                     const runt_limits *limits)
{
    runt_session_options o = runt_session_options_default();
    o.backend = backend;
    o.compute_dtype = dtype;
    o.threads = 1;
    runt_cpu_options cpu = runt_cpu_options_default();
    cpu.int8_min_weights = 1; /* int8 on every Linear, however small */
    o.backend_options = strcmp(backend, "cpu") == 0 ? &cpu.base : NULL;
    o.limits = limits;
    runt_session *s = NULL;
    if (runt_session_create(m, &o, &s) != RUNT_OK)
        return;
    runt_session_stats stats;
    if (runt_session_stats_get(s, &stats) != RUNT_OK || stats.total.flops > FUZZ_MAX_FLOPS) {
        runt_session_free(s);
        return;
    }
    runt_fuzz_run_once(s, m, SIZE_MAX, fuzz_fill);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    runt_limits limits = runt_fuzz_limits();
    runt_model *m = runt_fuzz_load_onnx(data, size, &limits);
    if (!m)
        return 0;
    fuzz_run(m, "ref", RUNT_F32, &limits);
    fuzz_run(m, "cpu", RUNT_F32, &limits);   /* absent backend: create fails, fine */
    fuzz_run(m, "cpu", RUNT_I8, &limits);
    runt_model_free(m);
    return 0;
}
