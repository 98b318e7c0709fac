/*
 * The blocked GEMM's tile for AVX2 + FMA: 6 rows x 16 columns, 12 of the 16
 * ymm registers as sums, 2 for B's row and 1 for A's broadcast; per step
 * 2 loads and 6 broadcasts feed 12 FMAs (the classic Haswell shape, as in
 * BLIS and OpenBLAS). Built with -mavx2 -mfma (CMakeLists.txt); without
 * them the tile is absent.
 */
#include "sgemm_blocked.h"

#if defined(__AVX2__) && defined(__FMA__)

#include <immintrin.h>

#define SG_VEC __m256
#define SG_WIDTH 8
#define SG_MR 6
#define SG_NV 2
#define SG_SET1(f) _mm256_set1_ps(f)
#define SG_LOADU(p) _mm256_loadu_ps(p)
#define SG_STOREU(p, v) _mm256_storeu_ps(p, v)
#define SG_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define SG_TILE sgemm_tile_avx2
#include "sgemm_tile.h"

const runt_cpu_sgemm_tile runt_sgemm_tile_avx2 = {"avx2 6x16", 6, 16, sgemm_tile_avx2};
#else
const runt_cpu_sgemm_tile runt_sgemm_tile_avx2 = {"avx2 6x16", 6, 16, 0};
#endif
