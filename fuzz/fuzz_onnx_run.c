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
#include "runt.h"

#define FUZZ_MAX_IO 8
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
    o.int8_min_weights = 1;
    o.limits = limits;
    runt_session *s = NULL;
    if (runt_session_create(m, &o, &s) != RUNT_OK)
        return;
    runt_session_stats stats;
    int n_in = 0, n_out = 0, n_nodes = 0;
    runt_tensor in[FUZZ_MAX_IO], out[FUZZ_MAX_IO];
    memset(in, 0, sizeof in);
    memset(out, 0, sizeof out);
    int ok = runt_session_stats_get(s, &stats) == RUNT_OK &&
             stats.total.flops <= FUZZ_MAX_FLOPS &&
             runt_model_counts(m, &n_in, &n_out, &n_nodes) == RUNT_OK && n_in <= FUZZ_MAX_IO &&
             n_out <= FUZZ_MAX_IO;
    for (int i = 0; ok && i < n_in; i++) {
        ok = runt_session_input_desc(s, i, &in[i]) == RUNT_OK;
        size_t bytes = ok ? (size_t)runt_tensor_count(&in[i]) * runt_dtype_size(in[i].dtype) : 0;
        ok = ok && (in[i].data = malloc(bytes ? bytes : 1)) != NULL;
        if (ok)
            fuzz_fill(&in[i]);
    }
    for (int i = 0; ok && i < n_out; i++) {
        ok = runt_session_output_desc(s, i, &out[i]) == RUNT_OK;
        size_t bytes = ok ? (size_t)runt_tensor_count(&out[i]) * runt_dtype_size(out[i].dtype) : 0;
        ok = ok && (out[i].data = malloc(bytes ? bytes : 1)) != NULL;
    }
    if (ok)
        runt_session_run(s, in, n_in, out, n_out);
    for (int i = 0; i < FUZZ_MAX_IO; i++) {
        free(in[i].data);
        free(out[i].data);
    }
    runt_session_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    runt_limits limits = runt_fuzz_limits();
    runt_load_options o = {0};
    o.limits = &limits;
    runt_model *m = NULL;
    if (runt_model_load_buffer(data, size, &o, &m) != RUNT_OK)
        return 0;
    fuzz_run(m, "ref", RUNT_F32, &limits);
    fuzz_run(m, "cpu", RUNT_F32, &limits);   /* absent backend: create fails, fine */
    fuzz_run(m, "cpu", RUNT_I8, &limits);
    runt_model_free(m);
    return 0;
}
