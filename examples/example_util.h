/*
 * What every example repeats: its usage line, stopping with runt's message
 * when a call fails, and a session's input and output buffers, the input
 * filled with reproducible values.
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

/* The session's first input, filled, and its first output, zeroed: the
 * models the examples take have one of each. The caller frees both data. */
static inline void example_io(runt_session *s, runt_tensor *in, runt_tensor *out)
{
    runt_tensor in_desc, out_desc;
    CHECK(runt_session_input_desc(s, 0, &in_desc));
    CHECK(runt_session_output_desc(s, 0, &out_desc));
    *in = example_tensor(&in_desc, 1);
    *out = example_tensor(&out_desc, 0);
}

/* Exits with status 2 and the usage line "usage: PROGRAM args" unless the
 * program was given min_args to max_args arguments. */
static inline void example_check_args(int argc, char **argv, int min_args, int max_args,
                                      const char *args)
{
    if (argc - 1 < min_args || argc - 1 > max_args) {
        fprintf(stderr, "usage: %s %s\n", argv[0], args);
        exit(2);
    }
}

#endif /* RUNT_EXAMPLE_UTIL_H */
