/*
 * The blocked GEMM's tile for aarch64 Advanced SIMD: 8 rows x 12 columns,
 * 24 of the 32 q registers as sums, 3 for B's row, 1 for A's broadcast.
 * NEON is part of every aarch64 CPU; elsewhere the tile is absent.
 */
#include "sgemm_blocked.h"

#if defined(__aarch64__)

#include <arm_neon.h>

#define SG_VEC float32x4_t
#define SG_WIDTH 4
#define SG_MR 8
#define SG_NV 3
#define SG_SET1(f) vdupq_n_f32(f)
#define SG_LOADU(p) vld1q_f32(p)
#define SG_STOREU(p, v) vst1q_f32(p, v)
#define SG_FMA(a, b, c) vfmaq_f32(c, a, b)
#define SG_TILE sgemm_tile_neon
#include "sgemm_tile.h"

const runt_cpu_sgemm_tile runt_sgemm_tile_neon = {"neon 8x12", 8, 12, sgemm_tile_neon};
#else
const runt_cpu_sgemm_tile runt_sgemm_tile_neon = {"neon 8x12", 8, 12, 0};
#endif
