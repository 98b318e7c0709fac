/*
 * The AArch64 NEON int8 kernel for cores without the dot-product extension
 * (Cortex-A53/A57/A72: Raspberry Pi 3 and 4).
 *
 * vmull_s8 multiplies s8 by s8, and the activations are u8. Offset them:
 * xs = x - 128 (x ^ 0x80 as a byte) is s8, and
 *     sum x*w = sum xs*w + 128 * sum w = sum xs*w + 128 * row_sums[c]
 * with row_sums from packing (zero over the padding). Each product is at most
 * 128*128 = 16384 in magnitude, exact in int16, and vpadal adds pairs of them
 * into int32 lanes: 4 instructions per 16 weight bytes, no saturation.
 *
 * Baseline AArch64: no extra compile flags. Compiles to an absent kernel on
 * other architectures.
 */
#include "q8_impl.h"

#if defined(__aarch64__)

#include <arm_neon.h>
#include <string.h>

/* One row, one block of 16 channels. A 16-byte load holds 4 channels x 4 k;
 * vpadal leaves (c k01, c k23, c+1 k01, c+1 k23) per low half, so two
 * accumulators per load and one pairwise add at the end give 4 channels. */
static void dot_block(const uint8_t *x, const int8_t *wb, int64_t groups,
                      const int32_t *row_sums, int32_t *out)
{
    int32x4_t sum[4][2];
    for (int q = 0; q < 4; q++)
        sum[q][0] = sum[q][1] = vdupq_n_s32(0);
    for (int64_t g = 0; g < groups; g++) {
        uint32_t group;
        memcpy(&group, x + g * 4, sizeof group);
        int8x16_t xs = vreinterpretq_s8_u8(
            veorq_u8(vreinterpretq_u8_u32(vdupq_n_u32(group)), vdupq_n_u8(0x80)));
        for (int q = 0; q < 4; q++) {
            int8x16_t wv = vld1q_s8(wb + g * 64 + q * 16);
            sum[q][0] = vpadalq_s16(sum[q][0], vmull_s8(vget_low_s8(wv), vget_low_s8(xs)));
            sum[q][1] = vpadalq_s16(sum[q][1], vmull_high_s8(wv, xs));
        }
    }
    for (int q = 0; q < 4; q++) {
        int32x4_t s = vpaddq_s32(sum[q][0], sum[q][1]);
        int32x4_t offset = vshlq_n_s32(vld1q_s32(row_sums + q * 4), 7);
        vst1q_s32(out + q * 4, vaddq_s32(s, offset));
    }
}

static void q8_dot_neon(const uint8_t *x, size_t ldx, int64_t m, const runt_q8_weights *w,
                        int64_t b0, int64_t b1, int32_t *acc, size_t ldacc)
{
    int64_t groups = w->k_pad / 4;
    size_t block_bytes = (size_t)groups * 64;
    for (int64_t i = 0; i < m; i++)
        for (int64_t b = b0; b < b1; b++)
            dot_block(x + (size_t)i * ldx, w->data + b * block_bytes, groups,
                      w->row_sums + b * RUNT_Q8_NB,
                      acc + (size_t)i * ldacc + (size_t)(b - b0) * RUNT_Q8_NB);
}

const runt_q8_kernel runt_q8_kernel_neon = {"neon", RUNT_Q8_ISA_NEON, q8_dot_neon};

#else

const runt_q8_kernel runt_q8_kernel_neon = {"neon", RUNT_Q8_ISA_NEON, NULL};

#endif
