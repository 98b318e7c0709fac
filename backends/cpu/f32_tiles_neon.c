/*
 * f32 tiles for aarch64 Advanced SIMD (32 q registers of 4 floats):
 *   direct convolution  8 output channels x 3 vectors of 4 positions: 24 sums;
 *   blocked GEMM        8 rows x 12 columns: 24 sums, 3 vectors of B's row,
 *                       1 broadcast of A.
 * NEON is part of every aarch64 CPU; elsewhere both are absent.
 */
#include "conv_direct.h"
#include "sgemm_blocked.h"

#if defined(__aarch64__)

#include <arm_neon.h>

#include "simd_f32.h"

#define V_VEC float32x4_t
#define V_WIDTH 4
#define V_SET1(f) vdupq_n_f32(f)
#define V_LOADU(p) vld1q_f32(p)
#define V_STOREU(p, v) vst1q_f32(p, v)
#define V_FMA(a, b, c) vfmaq_f32(c, a, b)

#define CD_MR 8
#define CD_NR 3
#define CD_TILE conv_direct_tile_neon
#include "conv_direct_tile.h"

#define SG_MR 8
#define SG_NV 3
#define SG_TILE sgemm_tile_neon
#include "sgemm_tile.h"

const runt_conv_direct_kernel runt_conv_direct_neon = {"neon 8x12", CD_MR, CD_NR * V_WIDTH,
                                                       conv_direct_tile_neon};
const runt_cpu_sgemm_tile runt_sgemm_tile_neon = {"neon 8x12", SG_MR, SG_NV * V_WIDTH,
                                                  sgemm_tile_neon};
#else
const runt_conv_direct_kernel runt_conv_direct_neon = {"neon 8x12", 8, 12, 0};
const runt_cpu_sgemm_tile runt_sgemm_tile_neon = {"neon 8x12", 8, 12, 0};
#endif
