/*
 * The AVX2 int8 kernel, for x86-64 CPUs without AVX-512 VNNI.
 *
 * AVX2's u8 x s8 multiply, vpmaddubsw, adds each pair of products into an
 * int16 with saturation, and 255*127 + 255*127 = 64770 does not fit: FBGEMM
 * accepts the error, PyTorch's reduce_range quantizes activations to 7 bits to
 * dodge it, onnxruntime documents it for U8S8 on AVX2. runt must equal the C
 * kernel for all inputs, so the activation byte is split: x = lo + hi with
 * lo = x & 0x7f and hi = x & 0x80. Then one pair is at most
 *   |lo0*w0 + lo1*w1| <= 2 * 127 * 128 = 32512    and
 *   hi0*w0 + hi1*w1 = 128 * (w0 + w1) in [-32768, 32512],
 * both exact in int16, and vpmaddwd by ones widens each to int32 exactly.
 * Per 32 weight bytes: 2 vpmaddubsw + 2 vpmaddwd + 2 adds, all on the
 * multiply/ALU ports, the weights used as stored. Widening instead (vpmovsxbw +
 * vpmaddwd) costs the same count but two port-5 shuffles per 32 bytes, and the
 * products of one channel land in different lanes, so every block would end in
 * a horizontal reduction; it would also need x widened per row.
 *
 * Tiles: 1 row x 2 blocks (batch 1) or 2 rows x 1 block: each holds 4
 * accumulators and stays inside the 16 ymm registers.
 *
 * Built with -mavx2; without it the file still compiles and the kernel reports
 * itself absent.
 */
#include "q8_impl.h"

#if defined(__AVX2__)

#include <immintrin.h>
#include <string.h>

#define MAX_ROWS 2
#define MAX_BLOCKS 2

/* sum[h] += products of channels 8h..8h+7 for one group of 4 k. */
static inline __m256i madd_exact(__m256i sum, __m256i lo, __m256i hi, __m256i wv)
{
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i p_lo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, wv), ones);
    __m256i p_hi = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, wv), ones);
    return _mm256_add_epi32(sum, _mm256_add_epi32(p_lo, p_hi));
}

static RUNT_Q8_ALWAYS_INLINE void
tile(const uint8_t *x, size_t ldx, const int8_t *wb, size_t block_bytes, int64_t groups,
     int32_t *acc, size_t ldacc, const int rows, const int nblocks)
{
    const __m256i low7 = _mm256_set1_epi8(0x7f);
    __m256i sum[MAX_ROWS][MAX_BLOCKS][2];
    RUNT_Q8_UNROLL
    for (int r = 0; r < rows; r++)
        RUNT_Q8_UNROLL
        for (int b = 0; b < nblocks; b++)
            sum[r][b][0] = sum[r][b][1] = _mm256_setzero_si256();
    for (int64_t g = 0; g < groups; g++) {
        __m256i wv[MAX_BLOCKS][2];
        RUNT_Q8_UNROLL
        for (int b = 0; b < nblocks; b++)
            RUNT_Q8_UNROLL
            for (int h = 0; h < 2; h++)
                wv[b][h] = _mm256_loadu_si256(
                    (const __m256i *)(wb + b * block_bytes + g * 64 + h * 32));
        RUNT_Q8_UNROLL
        for (int r = 0; r < rows; r++) {
            int32_t group;
            memcpy(&group, x + r * ldx + g * 4, sizeof group);
            __m256i xv = _mm256_set1_epi32(group);
            __m256i lo = _mm256_and_si256(xv, low7);
            __m256i hi = _mm256_andnot_si256(low7, xv);
            RUNT_Q8_UNROLL
            for (int b = 0; b < nblocks; b++)
                RUNT_Q8_UNROLL
                for (int h = 0; h < 2; h++)
                    sum[r][b][h] = madd_exact(sum[r][b][h], lo, hi, wv[b][h]);
        }
    }
    RUNT_Q8_UNROLL
    for (int r = 0; r < rows; r++)
        RUNT_Q8_UNROLL
        for (int b = 0; b < nblocks; b++)
            RUNT_Q8_UNROLL
            for (int h = 0; h < 2; h++)
                _mm256_storeu_si256((__m256i *)(acc + r * ldacc + b * RUNT_Q8_NB + h * 8),
                                    sum[r][b][h]);
}

#define TILE(R, B)                                                                      \
    static void tile_##R##x##B(const uint8_t *x, size_t ldx, const int8_t *wb,          \
                               size_t block_bytes, int64_t groups, int32_t *acc,        \
                               size_t ldacc)                                            \
    {                                                                                   \
        tile(x, ldx, wb, block_bytes, groups, acc, ldacc, R, B);                        \
    }
TILE(1, 2)
TILE(1, 1)
TILE(2, 1)

static void q8_dot_avx2(const uint8_t *x, size_t ldx, int64_t m, const runt_q8_weights *w,
                        int64_t b0, int64_t b1, int32_t *acc, size_t ldacc)
{
    int64_t groups = w->k_pad / 4;
    size_t block_bytes = (size_t)groups * 64;
    for (int64_t i = 0; i < m; i += MAX_ROWS) {
        const uint8_t *xi = x + (size_t)i * ldx;
        int32_t *ai = acc + (size_t)i * ldacc;
        int64_t b = b0;
        if (m - i >= 2) {
            for (; b < b1; b++)
                tile_2x1(xi, ldx, w->data + b * block_bytes, block_bytes, groups,
                         ai + (b - b0) * RUNT_Q8_NB, ldacc);
            continue;
        }
        for (; b + 2 <= b1; b += 2)
            tile_1x2(xi, ldx, w->data + b * block_bytes, block_bytes, groups,
                     ai + (b - b0) * RUNT_Q8_NB, ldacc);
        for (; b < b1; b++)
            tile_1x1(xi, ldx, w->data + b * block_bytes, block_bytes, groups,
                     ai + (b - b0) * RUNT_Q8_NB, ldacc);
    }
}

const runt_q8_kernel runt_q8_kernel_avx2 = {"avx2", RUNT_Q8_ISA_AVX2, q8_dot_avx2};

#else

const runt_q8_kernel runt_q8_kernel_avx2 = {"avx2", RUNT_Q8_ISA_AVX2, NULL};

#endif
