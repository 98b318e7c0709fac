/*
 * Limits the fuzz targets load and run with (runt_limits): small enough that
 * one input costs milliseconds and a few MiB, so a run finds bugs rather than
 * spending its time on the large models a mutation may declare. Every check
 * they enable is itself on the path being fuzzed.
 */
#ifndef RUNT_FUZZ_LIMITS_H
#define RUNT_FUZZ_LIMITS_H

#include <stddef.h>
#include <stdint.h>

#include "runt.h"

static inline runt_limits runt_fuzz_limits(void)
{
    runt_limits l = runt_limits_default();
    l.max_file_bytes = 1 << 20;
    l.max_nodes = 512;
    l.max_tensor_elements = 1 << 18;
    l.max_weight_bytes = 16 << 20;
    l.max_arena_bytes = 16 << 20;
    return l;
}

/* The model in ONNX bytes loaded under *limits, or NULL where it does not
 * load (a rejected input is the common case, not a finding). */
static inline runt_model *runt_fuzz_load_onnx(const uint8_t *data, size_t size,
                                              const runt_limits *limits)
{
    runt_load_options o = {0};
    o.limits = limits;
    runt_model *m = NULL;
    return runt_model_load_buffer(data, size, &o, &m) == RUNT_OK ? m : NULL;
}

#endif /* RUNT_FUZZ_LIMITS_H */
