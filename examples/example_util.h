/*
 * What every example repeats: stop with runt's message when a call fails,
 * and fill a session's inputs with reproducible values.
 */
#ifndef RUNT_EXAMPLE_UTIL_H
#define RUNT_EXAMPLE_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#include "runt.h"

#define CHECK(call)                                                                 \
    do {                                                                            \
        if ((call) != RUNT_OK) {                                                    \
            fprintf(stderr, "%s failed: %s\n", #call, runt_last_error());          \
            exit(1);                                                                \
        }                                                                           \
    } while (0)

/* Allocates an f32 tensor shaped like desc (data owned by the caller). */
static inline runt_tensor example_tensor(const runt_tensor *desc, int fill)
{
    runt_tensor t = *desc;
    int64_t n = runt_tensor_count(&t);
    t.data = malloc((size_t)n * sizeof(float));
    if (!t.data) {
        fprintf(stderr, "out of memory for %lld floats\n", (long long)n);
        exit(1);
    }
    float *f = t.data;
    for (int64_t i = 0; i < n; i++)
        f[i] = fill ? (float)((i * 7919) % 1000) / 1000.0f - 0.5f : 0.0f;
    return t;
}

#endif /* RUNT_EXAMPLE_UTIL_H */
