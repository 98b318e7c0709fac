/*
 * The direct-convolution tile for AVX2 + FMA: 4 output channels x 3 vectors
 * of 8 positions, 12 of the 16 ymm registers as accumulators, 3 for the
 * input vectors and one for the broadcast weight. Built with -mavx2 -mfma
 * (CMakeLists.txt); without them the kernel is absent.
 */
#include "conv_direct.h"

#if defined(__AVX2__) && defined(__FMA__)

#include <immintrin.h>

#define CD_VEC __m256
#define CD_WIDTH 8
#define CD_MR 4
#define CD_NR 3
#define CD_SET1(f) _mm256_set1_ps(f)
#define CD_LOADU(p) _mm256_loadu_ps(p)
#define CD_STOREU(p, v) _mm256_storeu_ps(p, v)
#define CD_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define CD_TILE conv_direct_tile_avx2
#include "conv_direct_tile.h"

const runt_conv_direct_kernel runt_conv_direct_avx2 = {"avx2", CD_MR, CD_NR * CD_WIDTH,
                                                       conv_direct_tile_avx2};
#else
const runt_conv_direct_kernel runt_conv_direct_avx2 = {"avx2", 4, 24, 0};
#endif
