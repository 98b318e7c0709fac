/*
 * f32 tiles for AVX-512 F (the GEMM has its own kernel, sgemm_avx512.c):
 *   direct convolution  8 output channels x 3 vectors of 16 positions, 24 of
 *                       the 32 zmm registers as sums; per channel and tap 3
 *                       loads and 8 broadcasts (folded into the FMAs) feed
 *                       24 FMAs;
 *                       narrow: 8 channels x 2 vectors, 16 sums, 2 loads
 *                       and 8 broadcasts: 32 positions, one output row of
 *                       a 32-wide image, at the same rate per position.
 * Built with the AVX-512 flags (CMakeLists.txt); without them absent.
 */
#include "conv_direct.h"

#if defined(__AVX512F__) && defined(__FMA__)

#include <immintrin.h>

#include "simd_f32.h"

#define V_VEC __m512
#define V_WIDTH 16
#define V_SET1(f) _mm512_set1_ps(f)
#define V_LOADU(p) _mm512_loadu_ps(p)
#define V_STOREU(p, v) _mm512_storeu_ps(p, v)
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)

#define CD_MR 8
#define CD_NR 3
#define CD_TILE conv_direct_tile_avx512
#include "conv_direct_tile.h"

const runt_conv_direct_kernel runt_conv_direct_avx512 = {"avx512 8x48", CD_MR, CD_NR * V_WIDTH,
                                                         conv_direct_tile_avx512};
#undef CD_MR
#undef CD_NR
#undef CD_TILE

#define CD_MR 8
#define CD_NR 2
#define CD_TILE conv_direct_tile_avx512_narrow
#include "conv_direct_tile.h"

const runt_conv_direct_kernel runt_conv_direct_avx512_narrow = {
    "avx512 8x32", CD_MR, CD_NR * V_WIDTH, conv_direct_tile_avx512_narrow};
#else
const runt_conv_direct_kernel runt_conv_direct_avx512 = {"avx512 8x48", 8, 48, 0};
const runt_conv_direct_kernel runt_conv_direct_avx512_narrow = {"avx512 8x32", 8, 32, 0};
#endif
