/*
 * The int8 path around the kernels: weight packing (prepare time), per-call
 * activation quantization (ONNX DynamicQuantizeLinear), kernel choice by CPU
 * feature detection, tiling and threads, and the dequantizing epilogue.
 */
#include "q8_impl.h"

#include <math.h>
#include <string.h>

#include "runt-backend.h"
#include "ref/ref_impl.h"
#include "weight_quant.h"

#include "cpu_info.h"
#include "cpu_pool.h"

#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)   /* <asm/hwcap.h>; spelled out for older headers */
#endif
#endif

/* The kernel writes a tile of int32 sums into a buffer on the stack (16 KiB:
 * thread-private without scratch sized per thread, and it stays in L1 for the
 * epilogue); at most Q8_TILE_M rows, as many blocks as fit. */
#define Q8_ACC_TILE 4096
#define Q8_TILE_M 16

/* ------------------------------------------------------------------------- */
/* Rounding                                                                  */
/* ------------------------------------------------------------------------- */


/* ------------------------------------------------------------------------- */
/* Kernel choice                                                             */
/* ------------------------------------------------------------------------- */

static const runt_q8_kernel *const q8_kernels[] = {
#if defined(__x86_64__) || defined(__i386__)
    &runt_q8_kernel_avx512vnni,
    &runt_q8_kernel_avx2,
#endif
#if defined(__aarch64__)
    &runt_q8_kernel_neon_dot,
    &runt_q8_kernel_neon,
#endif
    &runt_q8_kernel_c,
};

const runt_q8_kernel *runt_q8_kernel_at(int i)
{
    int count = (int)(sizeof q8_kernels / sizeof q8_kernels[0]);
    return i >= 0 && i < count ? q8_kernels[i] : NULL;
}

const runt_q8_kernel *runt_q8_kernel_find(const char *name)
{
    const runt_q8_kernel *k;
    for (int i = 0; name && (k = runt_q8_kernel_at(i)) != NULL; i++)
        if (strcmp(k->name, name) == 0)
            return k;
    return NULL;
}

/* Asked on every call rather than cached: the answer is a few loads from
 * libgcc's (or the auxiliary vector's) feature words, and a cache would be
 * process-wide mutable state (DESIGN.md allows only the backend registry). */
static int q8_cpu_has(runt_q8_isa isa)
{
    switch (isa) {
    case RUNT_Q8_ISA_BASE: return 1;
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    /* __builtin_cpu_supports also checks that the OS saves the AVX/AVX-512
     * registers (XCR0); init is a no-op once libgcc's constructor ran. */
    case RUNT_Q8_ISA_AVX512VNNI:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vnni");
    case RUNT_Q8_ISA_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2");
#endif
#if defined(__aarch64__)
    case RUNT_Q8_ISA_NEON: return 1;   /* mandatory in AArch64 */
    case RUNT_Q8_ISA_NEON_DOT:
#if defined(__linux__)
        return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#elif defined(__ARM_FEATURE_DOTPROD)
        return 1;                      /* the whole build targets dotprod */
#else
        return 0;
#endif
#endif
    default: return 0;
    }
}

int runt_q8_kernel_usable(const runt_q8_kernel *k)
{
    return k != NULL && k->dot != NULL && q8_cpu_has(k->isa);
}

const runt_q8_kernel *runt_q8_kernel_best(void)
{
    const runt_q8_kernel *k;
    for (int i = 0; (k = runt_q8_kernel_at(i)) != NULL; i++)
        if (runt_q8_kernel_usable(k))
            return k;
    return &runt_q8_kernel_c;
}

const char *runt_q8_kernel_name(void) { return runt_q8_kernel_best()->name; }

/* ------------------------------------------------------------------------- */
/* Weights                                                                   */
/* ------------------------------------------------------------------------- */

typedef struct q8_sizes {
    int64_t n_pad, k_pad;
    size_t data, scales;      /* bytes of each part; row_sums as scales */
} q8_sizes;

static size_t align64(size_t v) { return (v + 63) & ~(size_t)63; }

/* 0 when n or k is out of range or the size does not fit size_t. */
static int q8_sizes_of(int64_t n, int64_t k, q8_sizes *s)
{
    if (n <= 0 || k <= 0 || n > INT64_MAX / 2 || k > INT64_MAX / 2)
        return 0;
    s->n_pad = runt_q8_round_up(n, RUNT_Q8_NB);
    s->k_pad = runt_q8_round_up(k, RUNT_Q8_KB);
    if ((uint64_t)s->n_pad > (SIZE_MAX / 4 - 64) / 3 ||
        (uint64_t)s->k_pad > (SIZE_MAX - 64) / 3 / (uint64_t)s->n_pad)
        return 0;
    s->data = (size_t)s->n_pad * (size_t)s->k_pad;   /* a multiple of 256 */
    s->scales = align64((size_t)s->n_pad * 4);
    return 1;
}

size_t runt_q8_weights_size(int64_t n, int64_t k)
{
    q8_sizes s;
    return q8_sizes_of(n, k, &s) ? s.data + 2 * s.scales : 0;
}

/* Checks what both pack functions take, including that the n_finite floats
 * `finite` (the weights, or the scales that come with int8 weights), each a
 * `what`, are finite, and lays out *out in storage (all zero: padding
 * channels and padding k stay zero). */
static runt_status q8_pack_begin(const void *w, int64_t n, int64_t k, void *storage,
                                 size_t size, runt_q8_weights *out, const char *fn,
                                 const float *finite, int64_t n_finite, const char *what)
{
    q8_sizes s;
    if (!w || !storage || !out)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %s is NULL", fn,
                              !w ? "w" : !storage ? "storage" : "out");
    if (!q8_sizes_of(n, k, &s))
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: bad shape n=%lld k=%lld", fn,
                              (long long)n, (long long)k);
    if (k > RUNT_Q8_MAX_K)
        return runt_error_set(RUNT_E_UNSUPPORTED,
                              "%s: k=%lld exceeds %d, where int32 sums could overflow", fn,
                              (long long)k, RUNT_Q8_MAX_K);
    if ((uintptr_t)storage % 64 != 0)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: storage %p is not 64-byte aligned",
                              fn, storage);
    if (size < s.data + 2 * s.scales)
        return runt_error_set(RUNT_E_INVALID_ARG,
                              "%s: storage of %zu bytes, %lld x %lld weights need %zu", fn,
                              size, (long long)n, (long long)k, s.data + 2 * s.scales);
    memset(storage, 0, s.data + 2 * s.scales);
    out->n = n;
    out->k = k;
    out->k_pad = s.k_pad;
    out->data = (int8_t *)storage;
    out->scales = (float *)((char *)storage + s.data);
    out->row_sums = (int32_t *)((char *)storage + s.data + s.scales);
    out->has_minus_128 = 0;
    if (!finite)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %ss is NULL", fn, what);
    int64_t bad = runt_weight_quant_first_non_finite(finite, n_finite);
    if (bad >= 0)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %s %lld is %g, not finite", fn, what,
                              (long long)bad, (double)finite[bad]);
    return RUNT_OK;
}

runt_status runt_q8_weights_pack(const float *w, int64_t n, int64_t k, int trans,
                                 void *storage, size_t size, runt_q8_weights *out)
{
    runt_status st = q8_pack_begin(w, n, k, storage, size, out, "runt_q8_weights_pack", w,
                                   n * k, "weight");
    if (st != RUNT_OK)
        return st;
    /* Element (j, kk) of w: [n][k] or, transposed, [k][n]. */
    int64_t sn = trans ? 1 : k, sk = trans ? n : 1;
    for (int64_t j = 0; j < n; j++) {
        float amax = runt_weight_quant_amax(w + j * sn, k, sk);
        float scale = runt_weight_quant_scale(amax);
        int32_t sum = 0;
        /* A channel's four k of one group lie together in the VNNI layout. */
        for (int64_t kk = 0; kk < k; kk += 4)
            sum += runt_weight_quant_run(w + j * sn + kk * sk, k - kk < 4 ? k - kk : 4, sk,
                                         amax, scale, out->data + runt_q8_index(out, j, kk), 1);
        out->scales[j] = scale;
        out->row_sums[j] = sum;
    }
    return RUNT_OK;
}

runt_status runt_q8_weights_pack_s8(const int8_t *q, const float *scales, int64_t n,
                                    int64_t k, int trans, void *storage, size_t size,
                                    runt_q8_weights *out)
{
    runt_status st = q8_pack_begin(q, n, k, storage, size, out, "runt_q8_weights_pack_s8",
                                   scales, n, "scale");
    if (st != RUNT_OK)
        return st;
    int64_t sn = trans ? 1 : k, sk = trans ? n : 1;
    for (int64_t j = 0; j < n; j++) {
        int32_t sum = 0;
        for (int64_t kk = 0; kk < k; kk++) {
            int8_t v = q[j * sn + kk * sk];
            out->data[runt_q8_index(out, j, kk)] = v;
            out->has_minus_128 |= v == INT8_MIN;
            sum += v;
        }
        out->scales[j] = scales[j];
        out->row_sums[j] = sum;
    }
    return RUNT_OK;
}

/* ------------------------------------------------------------------------- */
/* Activations: ONNX DynamicQuantizeLinear                                   */
/* ------------------------------------------------------------------------- */

/* min and max of x, NaN ignored. Sixteen running lanes: one chain per lane
 * instead of one for all (the compiler turns a lane row into one minps). */
static void q8_range(const float *restrict x, int64_t count, float *lo_out, float *hi_out)
{
    float lo[16], hi[16];
    for (int l = 0; l < 16; l++)
        lo[l] = hi[l] = 0.0f;   /* ONNX extends the range to include 0 anyway */
    int64_t i = 0;
    for (; i + 16 <= count; i += 16)
        for (int l = 0; l < 16; l++) {
            float v = x[i + l];
            lo[l] = v < lo[l] ? v : lo[l];
            hi[l] = v > hi[l] ? v : hi[l];
        }
    for (; i < count; i++) {
        lo[0] = x[i] < lo[0] ? x[i] : lo[0];
        hi[0] = x[i] > hi[0] ? x[i] : hi[0];
    }
    for (int l = 1; l < 16; l++) {
        lo[0] = lo[l] < lo[0] ? lo[l] : lo[0];
        hi[0] = hi[l] > hi[0] ? hi[l] : hi[0];
    }
    *lo_out = lo[0];
    *hi_out = hi[0];
}

/* The float operations of onnxruntime's GetQuantizationParameter, in its order. */
static void q8_params(float lo, float hi, float *scale, uint8_t *zero_point)
{
    float s = hi == lo ? 1.0f : (hi - lo) / 255.0f;
    float zp = 0.0f - lo / s;
    zp = zp > 0.0f ? zp : 0.0f;
    zp = zp < 255.0f ? zp : 255.0f;
    *scale = s;
    *zero_point = (uint8_t)runt_round_half_even(zp);
}

/* q = saturate(round(x / scale) + zp), clamping before rounding (the bounds
 * are integers, so it is the same) to keep round_half_even in range; a NaN
 * fails the first comparison and becomes 0, as in onnxruntime's MLAS. The
 * division stays a division (a reciprocal would round differently from the
 * spec's x / y_scale). */
static inline uint8_t q8_quantize_one(float x, float scale, float lo, float hi, int32_t zp)
{
    float v = x / scale;
    v = v > lo ? v : lo;
    v = v < hi ? v : hi;
    return (uint8_t)((int32_t)runt_round_half_even(v) + zp);
}

/* In runs of 16 so the compiler vectorizes at -O2 as well (scalar divss made
 * this 10 % of a batch-1 Linear(1000, 1000)). */
static void q8_quantize_row(const float *restrict x, int64_t count, float scale, int zp,
                            uint8_t *restrict q)
{
    float lo = (float)-zp, hi = (float)(255 - zp);
    int64_t i = 0;
    for (; i + 16 <= count; i += 16)
        for (int l = 0; l < 16; l++)
            q[i + l] = q8_quantize_one(x[i + l], scale, lo, hi, zp);
    for (; i < count; i++)
        q[i] = q8_quantize_one(x[i], scale, lo, hi, zp);
}

runt_status runt_q8_quantize_u8(const float *x, int64_t count, uint8_t *q, float *scale,
                                uint8_t *zero_point)
{
    if (!x || !scale || !zero_point)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_q8_quantize_u8: %s is NULL",
                              !x ? "x" : !scale ? "scale" : "zero_point");
    if (count < 0)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_q8_quantize_u8: count %lld < 0",
                              (long long)count);
    float lo, hi;
    q8_range(x, count, &lo, &hi);
    q8_params(lo, hi, scale, zero_point);
    if (q)
        q8_quantize_row(x, count, *scale, *zero_point, q);
    return RUNT_OK;
}

runt_status runt_q8_quantize_u8_with(const float *x, int64_t count, float scale,
                                     uint8_t zero_point, uint8_t *q)
{
    if (!x || !q)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_q8_quantize_u8_with: %s is NULL",
                              !x ? "x" : "q");
    if (count < 0 || !isfinite(scale) || scale == 0.0f)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_q8_quantize_u8_with: count %lld, scale "
                              "%g (the scale must be finite and non-zero)", (long long)count,
                              (double)scale);
    q8_quantize_row(x, count, scale, zero_point, q);
    return RUNT_OK;
}

/* ------------------------------------------------------------------------- */
/* GEMM                                                                      */
/* ------------------------------------------------------------------------- */

size_t runt_q8_linear_scratch(int64_t m, int64_t k)
{
    if (m < 0 || k <= 0 || k > RUNT_Q8_MAX_K)
        return 0;
    int64_t k_pad = runt_q8_round_up(k, RUNT_Q8_KB);
    if ((uint64_t)m > (SIZE_MAX - 64) / (uint64_t)k_pad)
        return 0;
    return align64((size_t)m * (size_t)k_pad);
}

static runt_status q8_check_weights(const runt_q8_weights *w, const char *fn)
{
    if (!w || !w->data || !w->scales || !w->row_sums)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: weights %s NULL", fn,
                              !w ? "are" : "have a part");
    if (w->n <= 0 || w->k <= 0 || w->k > RUNT_Q8_MAX_K ||
        w->k_pad != runt_q8_round_up(w->k, RUNT_Q8_KB))
        return runt_error_set(RUNT_E_INVALID_ARG,
                              "%s: weights n=%lld k=%lld k_pad=%lld do not match a packing",
                              fn, (long long)w->n, (long long)w->k, (long long)w->k_pad);
    return RUNT_OK;
}

typedef struct q8_call {
    const runt_q8_kernel *kernel;
    const uint8_t *xq;
    size_t ldx;
    int64_t m;
    float x_scale;
    int32_t zp;
    const runt_q8_weights *w;
    const float *bias;
    runt_epilogue epilogue;
    runt_q8_output out;
    int64_t tile_m, tile_blocks;   /* rows and weight blocks per tile */
    int64_t row_tiles, col_tiles;
} q8_call;

/* y = runt_q8_dequantize_one + bias[c] on a contiguous row, locals
 * restrict-qualified so the loop vectorizes (scalar, with reloads through c,
 * it took longer than the dot products of a batch-1 Linear(256, 256)). Runs
 * of 16 vectorize at -O2 too (GCC 12's -O2 leaves loops of unknown length
 * with a remainder scalar); always inlined twice so that has_bias is a
 * constant in each copy. */
static RUNT_Q8_ALWAYS_INLINE void
q8_dequantize_runs(const int32_t *restrict acc, int64_t cols, float x_scale, int32_t zp,
                   const float *restrict scales, const int32_t *restrict row_sums,
                   const float *restrict bias, float *restrict y, const int has_bias)
{
    int64_t j = 0;
    for (; j + 16 <= cols; j += 16)
        for (int l = 0; l < 16; l++)
            y[j + l] = runt_q8_dequantize_one(acc[j + l], x_scale, zp, scales[j + l],
                                              row_sums[j + l]) +
                       (has_bias ? bias[j + l] : 0.0f);
    for (; j < cols; j++)
        y[j] = runt_q8_dequantize_one(acc[j], x_scale, zp, scales[j], row_sums[j]) +
               (has_bias ? bias[j] : 0.0f);
}

static void q8_dequantize_row(const int32_t *acc, int64_t cols, float x_scale, int32_t zp,
                              const float *scales, const int32_t *row_sums, const float *bias,
                              float *y)
{
    if (bias)
        q8_dequantize_runs(acc, cols, x_scale, zp, scales, row_sums, bias, y, 1);
    else
        q8_dequantize_runs(acc, cols, x_scale, zp, scales, row_sums, NULL, y, 0);
}

/* The epilogue on a contiguous row; ReLU, the commonest, inlined with
 * runt_ref_activate's expression. */
static void q8_activate_row(float *y, int64_t cols, const runt_epilogue *e)
{
    if (e->act == RUNT_ACT_RELU) {
        int64_t j = 0;
        for (; j + 16 <= cols; j += 16)
            for (int l = 0; l < 16; l++)
                y[j + l] = y[j + l] < 0.0f ? 0.0f : y[j + l];
        for (; j < cols; j++)
            y[j] = y[j] < 0.0f ? 0.0f : y[j];
    } else {
        runt_ref_apply_epilogue(y, cols, e);
    }
}

/* A tile of acc into y: rows i0.., output channels j0 .. j0+cols-1.
 * Columns next to each other in Y (a Linear's output) are finished in
 * place, row by row. Columns apart in Y (a conv's output channels, whole
 * planes apart) are finished in a buffer and written a column at a time,
 * each a run along Y's rows: written a row at a time, each store went to
 * another plane, and with planes a multiple of 4 KiB apart all of them fell
 * in one L1 set; that store took half of an int8 3x3 conv's time. */
static void q8_dequantize(const q8_call *c, const int32_t *acc, size_t ldacc, int64_t i0,
                          int64_t rows, int64_t j0, int64_t cols)
{
    const runt_q8_weights *w = c->w;
    const float *bias = c->bias ? c->bias + j0 : NULL;
    float *y0 = c->out.y + i0 * c->out.row_stride + j0 * c->out.col_stride;
    int in_place = c->out.col_stride == 1;
    float tile[Q8_ACC_TILE];
    for (int64_t i = 0; i < rows; i++) {
        float *y = in_place ? y0 + i * c->out.row_stride : tile + i * cols;
        q8_dequantize_row(acc + (size_t)i * ldacc, cols, c->x_scale, c->zp, w->scales + j0,
                          w->row_sums + j0, bias, y);
        q8_activate_row(y, cols, &c->epilogue);
    }
    for (int64_t j = 0; !in_place && j < cols; j++) {
        float *y = y0 + j * c->out.col_stride;
        for (int64_t i = 0; i < rows; i++)
            y[i * c->out.row_stride] = tile[i * cols + j];
    }
}

static void q8_run_tile(const q8_call *c, int64_t t)
{
    int32_t acc[Q8_ACC_TILE];
    int64_t i0 = (t / c->col_tiles) * c->tile_m;
    int64_t b0 = (t % c->col_tiles) * c->tile_blocks;
    int64_t rows = c->m - i0 < c->tile_m ? c->m - i0 : c->tile_m;
    int64_t b1 = b0 + c->tile_blocks;
    if (b1 > runt_q8_blocks(c->w))
        b1 = runt_q8_blocks(c->w);
    size_t ldacc = (size_t)(b1 - b0) * RUNT_Q8_NB;
    c->kernel->dot(c->xq + (size_t)i0 * c->ldx, c->ldx, rows, c->w, b0, b1, acc, ldacc);
    int64_t j0 = b0 * RUNT_Q8_NB;
    int64_t cols = b1 * RUNT_Q8_NB > c->w->n ? c->w->n - j0 : (b1 - b0) * RUNT_Q8_NB;
    q8_dequantize(c, acc, ldacc, i0, rows, j0, cols);
}

/* Below this many multiply-adds per thread, a parallel region costs more than
 * it saves: measured on a 2-core Xeon VM (AVX-512 VNNI, batch 1, n = k),
 * 2 threads vs 1: 0.86x at 256x256, 1.06x at 384x384, 1.35x at 512x512,
 * 1.64x at 1000x1000. */
#define Q8_MIN_MACS_PER_THREAD 131072

static void q8_tiles_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    (void)slot;
    for (int64_t t = lo; t < hi; t++)
        q8_run_tile(ctx, t);
}

static int q8_thread_count(int requested, double macs)
{
    int threads = requested > 0 ? requested : runt_cpu_core_count();
    double useful = macs / Q8_MIN_MACS_PER_THREAD;
    return useful < threads ? (useful >= 2 ? (int)useful : 1) : threads;
}

/* Tiles: up to Q8_TILE_M rows (m shared evenly: 17 rows are 9 + 8, not
 * 16 + 1) by as many blocks as Q8_ACC_TILE holds, cut narrower when there are
 * fewer row tiles than threads (batch 1 splits the output channels). */
static void q8_plan_tiles(q8_call *c, int threads)
{
    int64_t blocks = runt_q8_blocks(c->w);
    c->row_tiles = (c->m + Q8_TILE_M - 1) / Q8_TILE_M;
    c->tile_m = (c->m + c->row_tiles - 1) / c->row_tiles;
    c->row_tiles = (c->m + c->tile_m - 1) / c->tile_m;
    c->tile_blocks = Q8_ACC_TILE / (c->tile_m * RUNT_Q8_NB);
    if (c->row_tiles < threads) {
        int64_t per_thread = (blocks + threads - 1) / threads;
        if (per_thread < c->tile_blocks)
            c->tile_blocks = per_thread;
    }
    if (c->tile_blocks > blocks)
        c->tile_blocks = blocks;
    c->col_tiles = (blocks + c->tile_blocks - 1) / c->tile_blocks;
}

static runt_status q8_check_gemm(const runt_q8_kernel *kernel, const uint8_t *xq, int64_t ldx,
                                 int64_t m, const runt_q8_weights *w, const runt_q8_output *out)
{
    static const char fn[] = "runt_q8_gemm_u8";
    runt_status st = q8_check_weights(w, fn);
    if (st != RUNT_OK)
        return st;
    if (!xq || !out || !out->y)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %s is NULL", fn,
                              !xq ? "xq" : !out ? "out" : "out->y");
    if (m < 0 || ldx < w->k_pad)
        return runt_error_set(RUNT_E_INVALID_ARG,
                              "%s: m=%lld, ldx=%lld (rows need ldx >= k_pad = %lld)", fn,
                              (long long)m, (long long)ldx, (long long)w->k_pad);
    if (out->threads < 0)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: threads %d < 0", fn, out->threads);
    if (!runt_q8_kernel_usable(kernel))
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: kernel \"%s\" cannot run here", fn,
                              kernel ? kernel->name : "(null)");
    return RUNT_OK;
}

runt_status runt_q8_gemm_u8_with(const runt_q8_kernel *kernel, const uint8_t *xq,
                                 int64_t ldx, int64_t m, float x_scale, uint8_t x_zero_point,
                                 const runt_q8_weights *w, const float *bias,
                                 const runt_epilogue *epilogue, const runt_q8_output *out)
{
    runt_status st = q8_check_gemm(kernel, xq, ldx, m, w, out);
    if (st != RUNT_OK || m == 0)
        return st;
    q8_call c = {kernel, xq, (size_t)ldx, m, x_scale, x_zero_point, w, bias,
                 {RUNT_ACT_NONE, 0.0f, 0.0f}, *out, 0, 0, 0, 0};
    if (epilogue)
        c.epilogue = *epilogue;
    int threads = q8_thread_count(out->threads, (double)m * (double)w->n * (double)w->k);
    q8_plan_tiles(&c, threads);
    int64_t tiles = c.row_tiles * c.col_tiles;
    /* One contiguous range of tiles per thread, claimed in the same order
     * each call, so each core's L2 tends to keep its share of the weights
     * between calls. */
    runt_cpu_parallel(threads, tiles, 0, q8_tiles_body, &c);
    return RUNT_OK;
}

runt_status runt_q8_gemm_u8(const uint8_t *xq, int64_t ldx, int64_t m, float x_scale,
                            uint8_t x_zero_point, const runt_q8_weights *w,
                            const float *bias, const runt_epilogue *epilogue,
                            const runt_q8_output *out)
{
    return runt_q8_gemm_u8_with(runt_q8_kernel_best(), xq, ldx, m, x_scale, x_zero_point, w,
                                bias, epilogue, out);
}

runt_status runt_q8_linear(const float *x, int64_t m, const runt_q8_weights *w,
                           const float *bias, const runt_epilogue *epilogue, float *y,
                           void *scratch, size_t scratch_size)
{
    static const char fn[] = "runt_q8_linear";
    runt_status st = q8_check_weights(w, fn);
    if (st != RUNT_OK)
        return st;
    if (!x || !y || !scratch)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %s is NULL", fn,
                              !x ? "x" : !y ? "y" : "scratch");
    if (m < 0)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: m=%lld < 0", fn, (long long)m);
    size_t need = runt_q8_linear_scratch(m, w->k);
    if (need == 0 && m > 0)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: m=%lld x k=%lld is too large", fn,
                              (long long)m, (long long)w->k);
    if (scratch_size < need)
        return runt_error_set(RUNT_E_INVALID_ARG,
                              "%s: scratch of %zu bytes, m=%lld k=%lld need %zu", fn,
                              scratch_size, (long long)m, (long long)w->k, need);
    if (m == 0)
        return RUNT_OK;
    float x_scale;
    uint8_t zp;
    float lo, hi;
    q8_range(x, m * w->k, &lo, &hi);
    q8_params(lo, hi, &x_scale, &zp);
    uint8_t *xq = scratch;
    for (int64_t i = 0; i < m; i++) {
        uint8_t *row = xq + (size_t)i * (size_t)w->k_pad;
        q8_quantize_row(x + i * w->k, w->k, x_scale, zp, row);
        memset(row + w->k, 0, (size_t)(w->k_pad - w->k));
    }
    runt_q8_output out = {y, w->n, 1, 0};
    return runt_q8_gemm_u8(xq, w->k_pad, m, x_scale, zp, w, bias, epilogue, &out);
}
