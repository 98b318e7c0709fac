/*
 * The AVX2 int8 kernel, for x86-64 CPUs without AVX-512 VNNI.
 *
 * AVX2's u8 x s8 multiply, vpmaddubsw, adds each pair of products into an
 * int16 with saturation, and 255*127 + 255*127 = 64770 does not fit: FBGEMM
 * accepts the error, PyTorch's reduce_range quantizes activations to 7 bits to
 * dodge it, onnxruntime documents it for U8S8 on AVX2. runt must equal the C
 * kernel for all inputs, and does it two ways.
 *
 * Signed (weights in [-127, 127], all that runt_q8_weights_pack produces): with
 * xs = x - 128 (x ^ 0x80, an s8 in [-128, 127]),
 *     sum_k x*w = sum_k xs*w + 128 * sum_k w = sum_k xs*w + 128 * row_sums[c].
 * The sign moves to the weight side: vpmaddubsw(|xs|, vpsignb(w, xs)) is
 * xs*w per byte, |xs| <= 128 read as u8 (|-128| is 0x80 = 128) and
 * vpsignb(w, xs) = +-w or 0, still in [-127, 127]; a pair is at most
 * 2 * 128 * 127 = 32512 in magnitude, exact in int16, and vpmaddwd by ones
 * widens it to int32 exactly. The int32 sums then wrap nowhere: the result
 * and every partial sum are bounded by 255 * 128 * k (RUNT_Q8_MAX_K). Per 32
 * weight bytes: 1 vpsignb + 1 vpmaddubsw + 1 vpmaddwd + 1 add, two of them
 * multiplies, against four multiplies in the split form below.
 *
 * Measured on a Zen 5 capped to this kernel (RUNT_CPU_TIER=avx2, 1 thread,
 * bench/results/2026-12-05-q8-avx2.md): Linear(1024, 1024) against the f32
 * GEMM went from 1.13x to 1.68x at batch 64, 0.99x to 1.52x at 256, 1.01x to
 * 1.47x at 1024. That is near the form's ceiling there: a loop of nothing but
 * the four instructions sustains one step per 1.2 cycles (27 multiply-adds a
 * cycle) against 16 for two 8-wide FMAs, so about 1.7x an f32 GEMM at its
 * peak. A CPU that issues fewer vector integer multiplies per cycle than
 * FMAs gains less; an AVX2-only CPU (Zen 2, Haswell) was not measured.
 *
 * Split (some weight is -128, only runt_q8_weights_pack_s8 stores it, and
 * vpsignb cannot negate it): the activation byte is split, x = lo + hi with
 * lo = x & 0x7f and hi = x & 0x80. Then one pair is at most
 *   |lo0*w0 + lo1*w1| <= 2 * 127 * 128 = 32512    and
 *   hi0*w0 + hi1*w1 = 128 * (w0 + w1) in [-32768, 32512],
 * both exact in int16: 2 vpmaddubsw + 2 vpmaddwd + 2 adds per 32 weight bytes.
 *
 * Widening instead (vpmovsxbw + vpmaddwd) costs as many multiplies as the
 * signed form plus two port-5 shuffles per 32 bytes, and the products of one
 * channel land in different lanes, so every block would end in a horizontal
 * reduction.
 *
 * Tiles: 2 rows x 2 blocks (8 accumulators; 2 x 1, 3 x 1, 4 x 1, 3 x 2 and
 * blocks-outer loop orders measured no faster, within the noise of a shared
 * machine), 1 row x 4 blocks for batch 1 (8 independent chains while the
 * weights stream from memory).
 *
 * Built with -mavx2; without it the file still compiles and the kernel reports
 * itself absent.
 */
#include "q8_impl.h"

#if defined(__AVX2__)

#include <immintrin.h>
#include <string.h>

#define MAX_ROWS 2
#define MAX_BLOCKS 4

/* An empty asm that claims to read and write v: GCC 12 otherwise keeps some of
 * the signed tile's accumulators on the stack and copies the rest between
 * registers each iteration; pinned, the 2 x 2 tile's loop has no spill, and a
 * batch-64 Linear(1024, 1024) took 5 % less time (766 against 799 us). */
#if defined(__GNUC__)
#define KEEP_IN_REGISTER(v) __asm__("" : "+x"(v))
#else
#define KEEP_IN_REGISTER(v) ((void)0)
#endif

/* The four bytes of row r's group g, in every 32-bit lane. */
static inline __m256i broadcast_group(const uint8_t *x, size_t ldx, int r, int64_t g)
{
    int32_t group;
    memcpy(&group, x + r * ldx + g * 4, sizeof group);
    return _mm256_set1_epi32(group);
}

static inline __m256i load_weights(const int8_t *wb, size_t block_bytes, int b, int64_t g,
                                   int h)
{
    return _mm256_loadu_si256((const __m256i *)(wb + b * block_bytes + g * 64 + h * 32));
}

/* acc rows of the tile; signed_x adds 128 * row_sums (the xs offset). */
static inline void store_tile(__m256i sum[MAX_ROWS][MAX_BLOCKS][2], const int32_t *row_sums,
                              int32_t *acc, size_t ldacc, const int rows, const int nblocks,
                              const int signed_x)
{
    RUNT_Q8_UNROLL
    for (int b = 0; b < nblocks; b++)
        RUNT_Q8_UNROLL
        for (int h = 0; h < 2; h++) {
            __m256i offset = _mm256_setzero_si256();
            if (signed_x)
                offset = _mm256_slli_epi32(
                    _mm256_loadu_si256((const __m256i *)(row_sums + b * RUNT_Q8_NB + h * 8)),
                    7);
            RUNT_Q8_UNROLL
            for (int r = 0; r < rows; r++)
                _mm256_storeu_si256((__m256i *)(acc + r * ldacc + b * RUNT_Q8_NB + h * 8),
                                    _mm256_add_epi32(sum[r][b][h], offset));
        }
}

/* rows x nblocks outputs of 16 channels over all groups of k, in the signed
 * form (split 0) or the split form (split 1), as the top of the file derives
 * them. Inlined with constant rows, nblocks and split, the arrays become
 * registers and only the one form's arithmetic is left. */
static RUNT_Q8_ALWAYS_INLINE void
tile(const uint8_t *x, size_t ldx, const int8_t *wb, size_t block_bytes, int64_t groups,
     const int32_t *row_sums, int32_t *acc, size_t ldacc, const int rows, const int nblocks,
     const int split)
{
    const __m256i flip = _mm256_set1_epi8((char)0x80);
    const __m256i low7 = _mm256_set1_epi8(0x7f);
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i sum[MAX_ROWS][MAX_BLOCKS][2];
    RUNT_Q8_UNROLL
    for (int r = 0; r < rows; r++)
        RUNT_Q8_UNROLL
        for (int b = 0; b < nblocks; b++)
            sum[r][b][0] = sum[r][b][1] = _mm256_setzero_si256();
    for (int64_t g = 0; g < groups; g++) {
        RUNT_Q8_UNROLL
        for (int r = 0; r < rows; r++) {
            __m256i xv = broadcast_group(x, ldx, r, g);
            __m256i xs = _mm256_xor_si256(xv, flip);          /* signed: x - 128 */
            __m256i ax = _mm256_abs_epi8(xs);                 /* and |x - 128|   */
            __m256i lo = _mm256_and_si256(xv, low7);          /* split: x & 0x7f */
            __m256i hi = _mm256_andnot_si256(low7, xv);       /* and x & 0x80    */
            RUNT_Q8_UNROLL
            for (int b = 0; b < nblocks; b++)
                RUNT_Q8_UNROLL
                for (int h = 0; h < 2; h++) {
                    __m256i wv = load_weights(wb, block_bytes, b, g, h);
                    if (split) {
                        __m256i p_lo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, wv), ones);
                        __m256i p_hi = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, wv), ones);
                        sum[r][b][h] =
                            _mm256_add_epi32(sum[r][b][h], _mm256_add_epi32(p_lo, p_hi));
                    } else {
                        __m256i ws = _mm256_sign_epi8(wv, xs);
                        __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(ax, ws), ones);
                        sum[r][b][h] = _mm256_add_epi32(sum[r][b][h], p);
                        KEEP_IN_REGISTER(sum[r][b][h]);
                    }
                }
        }
    }
    store_tile(sum, row_sums, acc, ldacc, rows, nblocks, !split);
}

#define TILE(R, B)                                                                        \
    RUNT_Q8_TILE(signed_##R##x##B, tile, R, B, 0)                                         \
    RUNT_Q8_TILE(split_##R##x##B, tile, R, B, 1)
TILE(1, 1)
TILE(1, 2)
TILE(1, 4)
TILE(2, 2)

/* Tile functions by [rows - 1][log2 blocks] for each form; NULL: not built.
 * The widest tile first (2 x 2, or 1 x 4 for a lone row), then narrower ones
 * for the blocks left; a two-row panel's last odd block goes one row at a
 * time. */
static const runt_q8_tile_fn signed_tiles[MAX_ROWS][3] = {{signed_1x1, signed_1x2, signed_1x4},
                                                          {NULL, signed_2x2, NULL}};
static const runt_q8_tile_fn split_tiles[MAX_ROWS][3] = {{split_1x1, split_1x2, split_1x4},
                                                         {NULL, split_2x2, NULL}};

static void q8_dot_avx2(const uint8_t *x, size_t ldx, int64_t m, const runt_q8_weights *w,
                        int64_t b0, int64_t b1, int32_t *acc, size_t ldacc)
{
    runt_q8_tiles tiles = w->has_minus_128 ? RUNT_Q8_TILES(split_tiles)
                                           : RUNT_Q8_TILES(signed_tiles);
    runt_q8_dot_tiles(tiles, x, ldx, m, w, b0, b1, acc, ldacc);
}

const runt_q8_kernel runt_q8_kernel_avx2 = {"avx2", RUNT_Q8_ISA_AVX2, q8_dot_avx2};

#else

const runt_q8_kernel runt_q8_kernel_avx2 = {"avx2", RUNT_Q8_ISA_AVX2, NULL};

#endif
