/*
 * Where a padded position reads from, per ONNX Pad mode: the one rule the
 * reference kernel and the CUDA kernel (which compiles it for the device
 * too) share. Header-only, plain C11, as the other common headers.
 */
#ifndef RUNT_BACKENDS_COMMON_PAD_SOURCE_H
#define RUNT_BACKENDS_COMMON_PAD_SOURCE_H

#include <stdint.h>

#include "runt.h"

#if defined(__CUDACC__)
#define RUNT_PAD_SOURCE_FN static __host__ __device__ inline
#else
#define RUNT_PAD_SOURCE_FN static inline
#endif

/* The input element that input position i (o - before: inside [0, n) or
 * not) reads along an axis of n elements in mode; -1: the constant. The
 * other modes need n > 0 (shape inference refuses padding an empty axis
 * in them). */
RUNT_PAD_SOURCE_FN int64_t runt_pad_source(int64_t i, int64_t n, int mode)
{
    if (i >= 0 && i < n)
        return i;
    if (n <= 0)
        return -1;
    switch (mode) {
    case RUNT_PAD_MODE_EDGE:
        return i < 0 ? 0 : n - 1;
    case RUNT_PAD_MODE_WRAP:
        return (i % n + n) % n;
    case RUNT_PAD_MODE_REFLECT: {
        /* Mirrored without repeating the ends: period 2(n - 1); a
         * one-element axis only ever reflects itself. */
        if (n == 1)
            return 0;
        int64_t period = 2 * (n - 1), j = (i % period + period) % period;
        return j < n ? j : period - j;
    }
    default:
        return -1;
    }
}

#endif /* RUNT_BACKENDS_COMMON_PAD_SOURCE_H */
