/*
 * f32 tiles for AVX2 + FMA (16 ymm registers):
 *   direct convolution  4 output channels x 3 vectors of 8 positions: 12
 *                       sums, 3 input vectors, 1 broadcast weight;
 *   blocked GEMM        6 rows x 16 columns: 12 sums, 2 vectors of B's row,
 *                       1 broadcast of A; per step 2 loads and 6 broadcasts
 *                       feed 12 FMAs (the classic Haswell shape, as in BLIS
 *                       and OpenBLAS).
 * Built with -mavx2 -mfma (CMakeLists.txt); without them both are absent.
 */
#include "conv_direct.h"
#include "sgemm_blocked.h"

#if defined(__AVX2__) && defined(__FMA__)

#include <immintrin.h>

#include "simd_f32.h"

#define V_VEC __m256
#define V_WIDTH 8
#define V_SET1(f) _mm256_set1_ps(f)
#define V_LOADU(p) _mm256_loadu_ps(p)
#define V_STOREU(p, v) _mm256_storeu_ps(p, v)
#define V_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)

#define CD_MR 4
#define CD_NR 3
#define CD_TILE conv_direct_tile_avx2
#include "conv_direct_tile.h"

#define SG_MR 6
#define SG_NV 2
#define SG_TILE sgemm_tile_avx2
#include "sgemm_tile.h"

const runt_conv_direct_kernel runt_conv_direct_avx2 = {"avx2 4x24", CD_MR, CD_NR * V_WIDTH,
                                                       conv_direct_tile_avx2};
const runt_cpu_sgemm_tile runt_sgemm_tile_avx2 = {"avx2 6x16", SG_MR, SG_NV * V_WIDTH,
                                                  sgemm_tile_avx2};
#else
const runt_conv_direct_kernel runt_conv_direct_avx2 = {"avx2 4x24", 4, 24, 0};
const runt_cpu_sgemm_tile runt_sgemm_tile_avx2 = {"avx2 6x16", 6, 16, 0};
#endif
