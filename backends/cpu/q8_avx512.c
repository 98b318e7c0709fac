/*
 * The AVX-512 VNNI int8 kernel. vpdpbusd multiplies 64 u8 activations by 64
 * s8 weights and adds each group of four products into one int32 lane, with
 * no intermediate saturation (vpdpbusds is the saturating form): exact. The
 * packed layout (q8_impl.h) gives 16 channels x 4 k per 64-byte load, so one
 * broadcast 4-byte group of x against one load advances 16 channels by 4 k.
 *
 * Register tiles: up to 4 rows x 4 blocks (16 accumulators, 4 weight loads
 * shared by 4 rows, x broadcast straight from memory) for m > 1; batch 1, the
 * headline case, takes 8 blocks at a time so 8 independent vpdpbusd chains
 * hide the instruction's latency while the weights stream from L2.
 *
 * Built with -mavx512f -mavx512bw -mavx512vnni; without them the file still
 * compiles and the kernel reports itself absent.
 */
#include "q8_impl.h"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)

#include <immintrin.h>
#include <string.h>

#define MAX_ROWS 4
#define MAX_BLOCKS 8

static inline __m512i broadcast_group(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm512_set1_epi32(v);
}

/* rows x nblocks outputs of 16 channels, over all groups of k. Inlined with
 * constant rows and nblocks, the arrays become registers. */
static RUNT_Q8_ALWAYS_INLINE void
tile(const uint8_t *x, size_t ldx, const int8_t *wb, size_t block_bytes, int64_t groups,
     const int32_t *row_sums, int32_t *acc, size_t ldacc, const int rows, const int nblocks)
{
    (void)row_sums; /* u8 x s8 directly: no offset to take off */
    __m512i sum[MAX_ROWS][MAX_BLOCKS];
    RUNT_Q8_UNROLL
    for (int r = 0; r < rows; r++)
        RUNT_Q8_UNROLL
        for (int b = 0; b < nblocks; b++)
            sum[r][b] = _mm512_setzero_si512();
    for (int64_t g = 0; g < groups; g++) {
        __m512i wv[MAX_BLOCKS];
        RUNT_Q8_UNROLL
        for (int b = 0; b < nblocks; b++)
            wv[b] = _mm512_loadu_si512(wb + b * block_bytes + g * 64);
        RUNT_Q8_UNROLL
        for (int r = 0; r < rows; r++) {
            __m512i xv = broadcast_group(x + r * ldx + g * 4);
            RUNT_Q8_UNROLL
            for (int b = 0; b < nblocks; b++)
                sum[r][b] = _mm512_dpbusd_epi32(sum[r][b], xv, wv[b]);
        }
    }
    RUNT_Q8_UNROLL
    for (int r = 0; r < rows; r++)
        RUNT_Q8_UNROLL
        for (int b = 0; b < nblocks; b++)
            _mm512_storeu_si512(acc + r * ldacc + b * RUNT_Q8_NB, sum[r][b]);
}

#define TILE(R, B) RUNT_Q8_TILE(tile_##R##x##B, tile, R, B)
TILE(1, 8)
TILE(1, 4) TILE(2, 4) TILE(3, 4) TILE(4, 4)
TILE(1, 1) TILE(2, 1) TILE(3, 1) TILE(4, 1)

/* Tiles by [rows - 1][log2 blocks]: 8 blocks for one row, else 4, then 1. */
static const runt_q8_tile_fn tiles[MAX_ROWS][4] = {{tile_1x1, NULL, tile_1x4, tile_1x8},
                                                   {tile_2x1, NULL, tile_2x4, NULL},
                                                   {tile_3x1, NULL, tile_3x4, NULL},
                                                   {tile_4x1, NULL, tile_4x4, NULL}};

RUNT_Q8_TILED_KERNEL(runt_q8_kernel_avx512vnni, "avx512vnni", RUNT_Q8_ISA_AVX512VNNI, tiles)

#else

const runt_q8_kernel runt_q8_kernel_avx512vnni = {"avx512vnni", RUNT_Q8_ISA_AVX512VNNI, NULL};

#endif
