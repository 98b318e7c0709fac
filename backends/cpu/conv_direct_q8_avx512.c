/*
 * The int8 direct-convolution tile for AVX-512 VNNI (conv_direct.h): 8
 * output channels x 3 vectors of 16 positions, 24 zmm sums; per channel
 * group of 4 and tap, 3 loads of 64 input bytes and 8 broadcasts of 4
 * weight bytes feed 24 vpdpbusd, each 64 multiply-adds. Built with the
 * AVX-512 VNNI flags (CMakeLists.txt); without them the kernel is absent.
 */
#include <string.h>

#include "conv_direct.h"
#include "q8_impl.h"

#if defined(__AVX512F__) && defined(__AVX512VNNI__)

#include <immintrin.h>

#define MR 8
#define NV 3

static void tile_avx512vnni(const runt_conv_direct_q8_tile *t)
{
    __m512i acc[MR][NV];
    RUNT_Q8_UNROLL for (int m = 0; m < MR; m++)
        RUNT_Q8_UNROLL for (int v = 0; v < NV; v++)
            acc[m][v] = _mm512_setzero_si512();
    const int8_t *w = t->w;
    for (int64_t g = 0; g < t->groups4; g++) {
        const uint8_t *xg = t->x + g * t->plane * 4;
        for (int k = 0; k < t->n_taps; k++, w += MR * 4) {
            const uint8_t *xk = xg + t->taps[k] * 4;
            __m512i in[NV];
            RUNT_Q8_UNROLL for (int v = 0; v < NV; v++)
                in[v] = _mm512_loadu_si512(xk + v * 64);
            RUNT_Q8_UNROLL for (int m = 0; m < MR; m++) {
                int32_t w4;
                memcpy(&w4, w + m * 4, sizeof w4);
                __m512i wm = _mm512_set1_epi32(w4);
                RUNT_Q8_UNROLL for (int v = 0; v < NV; v++)
                    acc[m][v] = _mm512_dpbusd_epi32(acc[m][v], in[v], wm);
            }
        }
    }
    RUNT_Q8_UNROLL for (int m = 0; m < MR; m++)
        RUNT_Q8_UNROLL for (int v = 0; v < NV; v++)
            _mm512_storeu_si512(t->out + m * (NV * 16) + v * 16, acc[m][v]);
}

const runt_conv_direct_q8_kernel runt_conv_direct_q8_avx512vnni = {"avx512vnni", MR, NV * 16,
                                                                   tile_avx512vnni};
#else
const runt_conv_direct_q8_kernel runt_conv_direct_q8_avx512vnni = {"avx512vnni", 8, 48, 0};
#endif
