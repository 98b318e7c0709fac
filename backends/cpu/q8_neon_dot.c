/*
 * The AArch64 int8 kernel with the ARMv8.2 dot-product extension (sdot:
 * Cortex-A55/A76/A78, Neoverse N1, Raspberry Pi 5, Apple M1).
 *
 * vdotq_u32 is u8 x u8 and vdotq_s32 is s8 x s8; the u8 x s8 mix that matches
 * the activations and weights, usdot (vusdotq_s32), belongs to the later i8mm
 * extension (ARMv8.6: Cortex-A510/A710, Neoverse V1), which the Pi 5's A76 and
 * the N1 servers lack. So sdot with the offset trick of q8_neon.c:
 * xs = x - 128 is s8, and sum x*w = sum xs*w + 128 * row_sums[c]. Exact: no
 * intermediate exceeds 128*128*k, and the final sum is the true one.
 *
 * The layout's 4-byte groups are what one sdot lane consumes: one 16-byte
 * load of x covers 4 groups, and vdotq_laneq_s32 picks the group per lane.
 * Tiles: up to 4 rows x 1 block (16 accumulators of 32 registers) for m > 1,
 * 1 row x 2 blocks for batch 1 (8 independent chains).
 *
 * Built with -march=armv8.2-a+dotprod; without it the file still compiles and
 * the kernel reports itself absent.
 */
#include "q8_impl.h"

#if defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD)

#include <arm_neon.h>

#define MAX_ROWS 4
#define MAX_BLOCKS 2

static inline int8x16_t offset_x(const uint8_t *p)
{
    return vreinterpretq_s8_u8(veorq_u8(vld1q_u8(p), vdupq_n_u8(0x80)));
}

/* Four groups of k (16 bytes of each row) into sum, for the given lane. */
#define DOT_LANE(L)                                                                     \
    RUNT_Q8_UNROLL                                                                      \
    for (int b = 0; b < nblocks; b++)                                                   \
        RUNT_Q8_UNROLL                                                                  \
        for (int q = 0; q < 4; q++) {                                                   \
            int8x16_t wv = vld1q_s8(wb + b * block_bytes + (g + L) * 64 + q * 16);      \
            RUNT_Q8_UNROLL                                                              \
            for (int r = 0; r < rows; r++)                                              \
                sum[r][b][q] = vdotq_laneq_s32(sum[r][b][q], wv, xs[r], L);             \
        }

static RUNT_Q8_ALWAYS_INLINE void
tile(const uint8_t *x, size_t ldx, const int8_t *wb, size_t block_bytes, int64_t groups,
     const int32_t *row_sums, int32_t *acc, size_t ldacc, const int rows, const int nblocks)
{
    int32x4_t sum[MAX_ROWS][MAX_BLOCKS][4];
    RUNT_Q8_UNROLL
    for (int r = 0; r < rows; r++)
        RUNT_Q8_UNROLL
        for (int b = 0; b < nblocks; b++)
            RUNT_Q8_UNROLL
            for (int q = 0; q < 4; q++)
                sum[r][b][q] = vdupq_n_s32(0);
    for (int64_t g = 0; g < groups; g += 4) {   /* k_pad is a multiple of 16 */
        int8x16_t xs[MAX_ROWS];
        RUNT_Q8_UNROLL
        for (int r = 0; r < rows; r++)
            xs[r] = offset_x(x + r * ldx + g * 4);
        DOT_LANE(0)
        DOT_LANE(1)
        DOT_LANE(2)
        DOT_LANE(3)
    }
    RUNT_Q8_UNROLL
    for (int b = 0; b < nblocks; b++)
        RUNT_Q8_UNROLL
        for (int q = 0; q < 4; q++) {
            int32x4_t offset = vshlq_n_s32(vld1q_s32(row_sums + b * RUNT_Q8_NB + q * 4), 7);
            RUNT_Q8_UNROLL
            for (int r = 0; r < rows; r++)
                vst1q_s32(acc + r * ldacc + b * RUNT_Q8_NB + q * 4,
                          vaddq_s32(sum[r][b][q], offset));
        }
}

#define TILE(R, B) RUNT_Q8_TILE(tile_##R##x##B, tile, R, B)
TILE(1, 2)
TILE(1, 1) TILE(2, 1) TILE(3, 1) TILE(4, 1)

/* Tiles by [rows - 1][log2 blocks]: 2 blocks for one row, else 1. */
static const runt_q8_tile_fn tiles[MAX_ROWS][2] = {
    {tile_1x1, tile_1x2}, {tile_2x1, NULL}, {tile_3x1, NULL}, {tile_4x1, NULL}};

RUNT_Q8_TILED_KERNEL(runt_q8_kernel_neon_dot, "neon-dot", RUNT_Q8_ISA_NEON_DOT, tiles)

#else

const runt_q8_kernel runt_q8_kernel_neon_dot = {"neon-dot", RUNT_Q8_ISA_NEON_DOT, NULL};

#endif
