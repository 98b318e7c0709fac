/*
 * Inside the int8 path: the packed weight layout and the kernels that compute
 * its int32 dot products.
 *
 * Layout. Output channels are grouped in blocks of RUNT_Q8_NB = 16, k in groups
 * of 4; block b holds, for each group g, 16 channels x 4 bytes:
 *     data[((b * k_pad / 4 + g) * 16 + c) * 4 + t] = q[b*16 + c][g*4 + t]
 * so one 64-byte load is what vpdpbusd multiplies by a broadcast 4-byte group
 * of the input and gives 16 channels' partial sums with no horizontal add
 * (oneDNN's VNNI weight formats interleave k by 4 the same way); AVX2 takes
 * the 64 bytes as two 32-byte halves, NEON as four 16-byte quarters. Channels
 * past n and k past the real k are zero, so a kernel runs whole blocks and
 * whole groups and never needs a tail.
 *
 * A kernel (one per file, q8_<isa>.c) computes, for rows i < m and the blocks
 * b0 <= b < b1,
 *     acc[i * ldacc + (b - b0) * 16 + c] = sum_k x[i * ldx + k] * q[b*16 + c][k]
 * over k < k_pad, exactly (no saturation, no wrap: k <= RUNT_Q8_MAX_K).
 */
#ifndef RUNT_Q8_IMPL_H
#define RUNT_Q8_IMPL_H

#include "q8.h"

#define RUNT_Q8_NB 16   /* output channels per block                          */
#define RUNT_Q8_KB 16   /* k_pad is a multiple of this (4 groups of 4 bytes)   */

static inline int64_t runt_q8_round_up(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

/* Byte offset of q[n][k] in w->data. */
static inline size_t runt_q8_index(const runt_q8_weights *w, int64_t n, int64_t k)
{
    int64_t b = n / RUNT_Q8_NB, c = n % RUNT_Q8_NB, g = k / 4, t = k % 4;
    return (size_t)(((b * (w->k_pad / 4) + g) * RUNT_Q8_NB + c) * 4 + t);
}

/* The blocks of w (n rounded up to RUNT_Q8_NB, over RUNT_Q8_NB). */
static inline int64_t runt_q8_blocks(const runt_q8_weights *w)
{
    return (w->n + RUNT_Q8_NB - 1) / RUNT_Q8_NB;
}

/* Fully unrolls a loop with a small constant trip count, so that the kernels'
 * arrays of vector accumulators become registers: GCC 12 at -O2 leaves such
 * loops rolled and the arrays on the stack, which measured 3x slower. */
#if defined(__clang__)
#define RUNT_Q8_UNROLL _Pragma("clang loop unroll(full)")
#elif defined(__GNUC__)
#define RUNT_Q8_UNROLL _Pragma("GCC unroll 16")
#else
#define RUNT_Q8_UNROLL
#endif

/* Inlined into each caller with its constant arguments (tile shapes). */
#if defined(__GNUC__)
#define RUNT_Q8_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define RUNT_Q8_ALWAYS_INLINE inline
#endif

typedef void (*runt_q8_dot_fn)(const uint8_t *x, size_t ldx, int64_t m,
                               const runt_q8_weights *w, int64_t b0, int64_t b1,
                               int32_t *acc, size_t ldacc);

/* A SIMD kernel's register tile: its rows of x (ldx apart) times its blocks
 * of weights (from wb, block_bytes apart, k in groups of 4) into acc (ldacc
 * apart). Kernels with the x - 128 offset trick read the blocks' row_sums;
 * the others ignore them. */
typedef void (*runt_q8_tile_fn)(const uint8_t *x, size_t ldx, const int8_t *wb,
                                size_t block_bytes, int64_t groups, const int32_t *row_sums,
                                int32_t *acc, size_t ldacc);

/* Defines `static void name` of the runt_q8_tile_fn type: the always-inline
 * tile body `body` with runt_q8_tile_fn's parameters, then the constants
 * that follow name it (rows, blocks and any the kernel adds). */
#define RUNT_Q8_TILE(name, body, ...)                                                     \
    static void name(const uint8_t *x, size_t ldx, const int8_t *wb, size_t block_bytes,  \
                     int64_t groups, const int32_t *row_sums, int32_t *acc, size_t ldacc) \
    {                                                                                     \
        body(x, ldx, wb, block_bytes, groups, row_sums, acc, ldacc, __VA_ARGS__);         \
    }

/* A kernel's tiles by [rows - 1][log2 blocks]: fn[(rows - 1) * widths + lb]
 * covers rows x (1 << lb) blocks; NULL where the kernel has no tile of that
 * shape. */
typedef struct runt_q8_tiles {
    const runt_q8_tile_fn *fn;
    int max_rows, widths;
} runt_q8_tiles;

/* The runt_q8_tiles of a 2-D array of tile functions: its shape read from
 * the array, so that it is stated once. */
#define RUNT_Q8_TILES(table)                                                        \
    ((runt_q8_tiles){&(table)[0][0], (int)(sizeof(table) / sizeof((table)[0])),    \
                     (int)(sizeof((table)[0]) / sizeof((table)[0][0]))})

/* How every SIMD kernel covers rows [0, m) x blocks [b0, b1) with its tiles
 * (a runt_q8_dot_fn body): rows in panels of up to max_rows; in a panel of
 * `rows` the widest tile first, then narrower ones; blocks left over (a
 * panel height without a 1-block tile) go one row at a time through the
 * 1 x 1 tile, fn[0]. */
static inline void runt_q8_dot_tiles(runt_q8_tiles t, const uint8_t *x, size_t ldx, int64_t m,
                                     const runt_q8_weights *w, int64_t b0, int64_t b1,
                                     int32_t *acc, size_t ldacc)
{
    const runt_q8_tile_fn *tiles = t.fn;
    int max_rows = t.max_rows, widths = t.widths;
    int64_t groups = w->k_pad / 4;
    size_t block_bytes = (size_t)groups * 64;
    for (int64_t i = 0; i < m; i += max_rows) {
        int rows = m - i < max_rows ? (int)(m - i) : max_rows;
        int64_t b = b0;
        for (int lb = widths - 1; lb >= 0; lb--) {
            int64_t nb = (int64_t)1 << lb;
            runt_q8_tile_fn fn = tiles[(rows - 1) * widths + lb];
            for (; fn && b + nb <= b1; b += nb)
                fn(x + (size_t)i * ldx, ldx, w->data + b * block_bytes, block_bytes, groups,
                   w->row_sums + b * RUNT_Q8_NB, acc + (size_t)i * ldacc + (b - b0) * RUNT_Q8_NB,
                   ldacc);
        }
        for (; b < b1; b++)
            for (int r = 0; r < rows; r++)
                tiles[0](x + (size_t)(i + r) * ldx, ldx, w->data + b * block_bytes, block_bytes,
                         groups, w->row_sums + b * RUNT_Q8_NB,
                         acc + (size_t)(i + r) * ldacc + (b - b0) * RUNT_Q8_NB, ldacc);
    }
}

/* The instruction set a kernel needs from the CPU. */
typedef enum runt_q8_isa {
    RUNT_Q8_ISA_BASE = 0,    /* portable C: every CPU                    */
    RUNT_Q8_ISA_AVX512VNNI,  /* AVX-512 F + BW + VNNI                     */
    RUNT_Q8_ISA_AVX2,
    RUNT_Q8_ISA_NEON,        /* aarch64 Advanced SIMD (always present)    */
    RUNT_Q8_ISA_NEON_DOT     /* aarch64 + dot product (ARMv8.2 dotprod)   */
} runt_q8_isa;

typedef struct runt_q8_kernel {
    const char *name;        /* what runt_q8_kernel_name reports          */
    runt_q8_isa isa;
    runt_q8_dot_fn dot;      /* NULL: this build compiled the file without
                                the ISA's flags, so the kernel is absent  */
} runt_q8_kernel;

/* Defines kernel `var` (reported as name, needing isa) whose dot product
 * runs the tile table `table` (see runt_q8_tiles) through runt_q8_dot_tiles. */
#define RUNT_Q8_TILED_KERNEL(var, name, isa, table)                                           \
    static void var##_dot(const uint8_t *x, size_t ldx, int64_t m, const runt_q8_weights *w, \
                          int64_t b0, int64_t b1, int32_t *acc, size_t ldacc)                 \
    {                                                                                         \
        runt_q8_dot_tiles(RUNT_Q8_TILES(table), x, ldx, m, w, b0, b1, acc, ldacc);           \
    }                                                                                         \
    const runt_q8_kernel var = {name, isa, var##_dot};

/* Defined by q8_c.c, q8_avx512.c, q8_avx2.c, q8_neon.c, q8_neon_dot.c. */
extern const runt_q8_kernel runt_q8_kernel_c;
extern const runt_q8_kernel runt_q8_kernel_avx512vnni;
extern const runt_q8_kernel runt_q8_kernel_avx2;
extern const runt_q8_kernel runt_q8_kernel_neon;
extern const runt_q8_kernel runt_q8_kernel_neon_dot;

/* The kernels this build has for its architecture, best first, "c" last;
 * i out of range: NULL. */
const runt_q8_kernel *runt_q8_kernel_at(int i);
/* The kernel called name, or NULL. */
const runt_q8_kernel *runt_q8_kernel_find(const char *name);
/* 1 if k is compiled in and this CPU (and OS) can run it. */
int runt_q8_kernel_usable(const runt_q8_kernel *k);
/* The first usable kernel of runt_q8_kernel_at's list. */
const runt_q8_kernel *runt_q8_kernel_best(void);

/* A kernel's tier (RUNT_CPU_TIER_*, cpu_impl.h) and the first usable kernel
 * at or below a tier (cpu_tier.c). */
int runt_q8_kernel_tier(const runt_q8_kernel *k);
const runt_q8_kernel *runt_q8_kernel_best_up_to(int tier);

/* runt_q8_gemm_u8 on a given kernel (tests run every usable one through it). */
runt_status runt_q8_gemm_u8_with(const runt_q8_kernel *kernel, const uint8_t *xq,
                                 int64_t ldx, int64_t m, float x_scale, uint8_t x_zero_point,
                                 const runt_q8_weights *w, const float *bias,
                                 const runt_epilogue *epilogue, const runt_q8_output *out);

#endif /* RUNT_Q8_IMPL_H */
