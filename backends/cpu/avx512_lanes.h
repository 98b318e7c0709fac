/*
 * The mask of a vector's first lanes, shared by the files built with the
 * AVX-512 GEMM's flags (sgemm_avx512.c, sgemm_dots_avx512.c): the one
 * place that says how a partial panel or row end is masked.
 */
#ifndef RUNT_AVX512_LANES_H
#define RUNT_AVX512_LANES_H

#include <stdint.h>

#include <immintrin.h>

/* The first n lanes of a 16-float vector (none for n <= 0, all from 16). */
static inline __mmask16 first_lanes(int64_t n)
{
    return (__mmask16)(n <= 0 ? 0 : n >= 16 ? 0xFFFF : (1u << n) - 1);
}

#endif
