/*
 * Limits the fuzz targets load and run with (runt_limits): small enough that
 * one input costs milliseconds and a few MiB, so a run finds bugs rather than
 * spending its time on the large models a mutation may declare. Every check
 * they enable is itself on the path being fuzzed.
 */
#ifndef RUNT_FUZZ_LIMITS_H
#define RUNT_FUZZ_LIMITS_H

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

#endif /* RUNT_FUZZ_LIMITS_H */
