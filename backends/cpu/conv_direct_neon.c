/*
 * The direct-convolution tile for aarch64 Advanced SIMD: 8 output channels
 * x 3 vectors of 4 positions, 24 of the 32 q registers as accumulators.
 * NEON is part of every aarch64 CPU; on other architectures the kernel is
 * absent.
 */
#include "conv_direct.h"

#if defined(__aarch64__)

#include <arm_neon.h>

#define CD_VEC float32x4_t
#define CD_WIDTH 4
#define CD_MR 8
#define CD_NR 3
#define CD_SET1(f) vdupq_n_f32(f)
#define CD_LOADU(p) vld1q_f32(p)
#define CD_STOREU(p, v) vst1q_f32(p, v)
#define CD_FMA(a, b, c) vfmaq_f32(c, a, b)
#define CD_TILE conv_direct_tile_neon
#include "conv_direct_tile.h"

const runt_conv_direct_kernel runt_conv_direct_neon = {"neon", CD_MR, CD_NR * CD_WIDTH,
                                                       conv_direct_tile_neon};
#else
const runt_conv_direct_kernel runt_conv_direct_neon = {"neon", 8, 12, 0};
#endif
