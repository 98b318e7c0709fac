/*
 * The portable int8 kernel: plain loops over the packed layout, the oracle the
 * SIMD kernels are tested against bit for bit, and the path on CPUs without
 * one (32-bit ARM, RISC-V, microcontrollers).
 *
 * Each product is at most 255 * 128 in magnitude and k <= RUNT_Q8_MAX_K, so
 * every partial sum fits int32 and the order of additions cannot change the
 * result: any kernel that adds the same products gets the same integers.
 */
#include "q8_impl.h"

static void q8_dot_c(const uint8_t *x, size_t ldx, int64_t m, const runt_q8_weights *w,
                     int64_t b0, int64_t b1, int32_t *acc, size_t ldacc)
{
    int64_t groups = w->k_pad / 4;
    for (int64_t i = 0; i < m; i++) {
        const uint8_t *xi = x + (size_t)i * ldx;
        for (int64_t b = b0; b < b1; b++) {
            const int8_t *wb = w->data + (size_t)(b * groups) * RUNT_Q8_NB * 4;
            int32_t *out = acc + (size_t)i * ldacc + (size_t)(b - b0) * RUNT_Q8_NB;
            int32_t sum[RUNT_Q8_NB] = {0};
            for (int64_t g = 0; g < groups; g++)
                for (int c = 0; c < RUNT_Q8_NB; c++)
                    for (int t = 0; t < 4; t++)
                        sum[c] += (int32_t)xi[g * 4 + t] * wb[(g * RUNT_Q8_NB + c) * 4 + t];
            for (int c = 0; c < RUNT_Q8_NB; c++)
                out[c] = sum[c];
        }
    }
}

const runt_q8_kernel runt_q8_kernel_c = {"c", RUNT_Q8_ISA_BASE, q8_dot_c};
