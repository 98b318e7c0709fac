/*
 * f32 GEMM on AVX-512: packed operands, a 12 x 32 register-blocked kernel,
 * threads over (row block, column chunk) tasks. Compiled with -mavx512f
 * -mfma on x86-64 only; cpu_gemm.c calls it after checking the CPU.
 *
 * Why runt has its own: Debian 12's OpenBLAS 0.3.21 does not recognise
 * recent Xeons and falls back to an older core's kernels. On the 2-core KVM
 * development VM (Xeon family 6 model 207, AVX-512) it reports "Prescott".
 * sgemm 1024^3 on one thread, GFLOP/s, medians of 9-21 runs (best run in
 * brackets), measured side by side on a VM shared with other builds, so
 * the spread between sessions is wide:
 *     OpenBLAS as detected (Prescott)       20-37 (39)
 *     OpenBLAS, OPENBLAS_CORETYPE=Haswell   68 (75)
 *     OpenBLAS, OPENBLAS_CORETYPE=SkylakeX  114-179 (195)
 *     BLIS 0.9.0 (Debian), as detected      72-91 (96): "Number of FMA units
 *                                           unknown; using 'haswell'"
 *     BLIS, BLIS_ARCH_TYPE=skx              116 (126)
 *     this kernel, B packed at prepare      114-164 (179)
 *     this kernel, B packed per call        114-157 (172)
 * OPENBLAS_CORETYPE is read when the library loads, before runt can set it,
 * and switching OpenBLAS's core afterwards means writing its internal
 * `gotoblas` pointer: process-wide state of another library. This kernel
 * comes within the VM's noise of OpenBLAS's SkylakeX kernel (0.7-1.0x of
 * its median in the same minute), needs no environment variable, and packs
 * constant weights once at prepare. Two threads, B packed at prepare:
 * 235 median (280 best) when the VM's second core is free. Batch-1 Linear
 * 1000 x 1000 (the one-row kernel below): 135 us on one thread, the time
 * of reading its 4 MB from L3, where OpenBLAS's sgemv as detected takes
 * 224 us.
 *
 * Layouts (floats):
 *   packed B [K, N]: panels of NR columns, panel j holds B[0..K)[32j..32j+32)
 *                    row after row; columns past N are zero.
 *   packed A [M, K]: micro-panels of MR rows, panel i (rows from MR i) at
 *                    MR i K, holding A[rows][0..K) column after column; the
 *                    last panel has M mod MR rows, stride mr.
 * Blocking: a KC x 1024-column block of packed B (1 MB) stays in L2 while
 * each MC x KC block of A (192 KB, packed per thread unless A came packed,
 * or read where it lies when B has few panels) passes over it; the kernel
 * streams a KC x 32 panel of B (32 KB, in L1) over the block's MC rows.
 * One row of A (batch 1) has its own kernel; a panel of 16 columns or
 * fewer runs half the kernel; a few columns of C are dot products
 * (sgemm_dots_avx512.c).
 */
#include <string.h>

#include <immintrin.h>

#include "avx512_lanes.h"
#include "cpu_impl.h"

#define MR 12
#define NR 32
#define KC 256
#define MC 192 /* a multiple of MR, so a prepacked A's panels line up with blocks */
#define NC_PANELS 32 /* KC x 32 panels of packed B: 1 MB, within L2 */
/* Up to this many panels of B the kernel reads A as stored rather than
 * packed (a_read_as_stored). Packing costs a pass over A that each panel
 * then reuses; with few panels it is most of the work. Linear(K, N) at
 * batch 1024, 2 threads, Zen 5 VM, packed -> as stored, alternating runs:
 * N 32 (K 288) 127-145 -> 88 us, N 64 (K 576) 439-486 -> 366-371, N 128
 * (K 1152) 1608-1639 -> 1462-1511, N 256 (K 1152) 3128-3255 -> 2882-3068;
 * N 512 (16 panels) within noise; N 1024 (32 panels) 11287-11630 ->
 * 15061-16516: A read again for every panel loses there. */
#define A_STORED_MAX_PANELS 8

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

size_t runt_cpu_pack_b_floats(int64_t k, int64_t n)
{
    return (size_t)(k > 0 ? k : 1) * (size_t)((n + NR - 1) / NR) * NR;
}

size_t runt_cpu_pack_a_floats(int64_t m, int64_t k)
{
    return (size_t)(m > 0 ? m : 1) * (size_t)(k > 0 ? k : 1);
}

/* B's rows in vectors when they are contiguous: a memcpy call per 128-byte
 * row cost more than the copy (conv's im2col matrix spent twice as long
 * here as in the kernel at 16 channels). */
void runt_cpu_pack_b(const float *b, int64_t rs, int64_t cs, int64_t k, int64_t n, float *dst)
{
    for (int64_t j0 = 0; j0 < n; j0 += NR) {
        int64_t nr = min64(NR, n - j0);
        if (cs == 1) {
            __mmask16 m0 = first_lanes(nr), m1 = first_lanes(nr - 16);
            for (int64_t p = 0; p < k; p++, dst += NR) {
                const float *src = b + p * rs + j0;
                _mm512_storeu_ps(dst, _mm512_maskz_loadu_ps(m0, src));
                _mm512_storeu_ps(dst + 16, _mm512_maskz_loadu_ps(m1, src + 16));
            }
            continue;
        }
        for (int64_t p = 0; p < k; p++, dst += NR) {
            const float *src = b + p * rs + j0 * cs;
            for (int64_t j = 0; j < nr; j++)
                dst[j] = src[j * cs];
            for (int64_t j = nr; j < NR; j++)
                dst[j] = 0.0f;
        }
    }
}

/* ---- a convolution's B, packed from the image ----
 * Panel jp holds output pixels 32 jp .. 32 jp + 31 (row-major over oy, ox);
 * its row k = (c, i, j) is tap (i, j) of channel c at those pixels, 0 in
 * the padding. Writing the panels from the image skips the im2col matrix,
 * which pack_b would otherwise read and write again. */

/* A stretch of a panel's pixels along one output row. */
typedef struct pixel_run {
    int64_t oy, ox, lane, len;
} pixel_run;

/* Lanes [lane, lane + len) of d = row[ox * sx + off] for ox from ox0, 0
 * where that falls outside [0, w). */
static void im2col_run(float *d, const float *row, int64_t ox0, int64_t len, int64_t sx,
                       int64_t off, int64_t w)
{
    if (sx != 1) {
        for (int64_t u = 0; u < len; u++) {
            int64_t ix = (ox0 + u) * sx + off;
            d[u] = ix >= 0 && ix < w ? row[ix] : 0.0f;
        }
        return;
    }
    for (int64_t t = 0; t < len; t += 16) {
        int64_t n = min64(16, len - t), first = ox0 + t + off; /* input column of lane 0 */
        int64_t lo = first < 0 ? -first : 0, hi = min64(n, w - first);
        __m512 v = _mm512_setzero_ps();
        if (hi > lo) {
            __mmask16 m = first_lanes(hi) & (__mmask16)~first_lanes(lo);
            /* Expanding from the first valid column never forms an address
             * before the row; the lanes before it stay zero. */
            v = lo ? _mm512_maskz_expandloadu_ps(m, row + first + lo)
                   : _mm512_maskz_loadu_ps(m, row + first);
        }
        _mm512_mask_storeu_ps(d + t, first_lanes(n), v);
    }
}

static void im2col_panel(const runt_cpu_im2col *g, int64_t jp, float *dst)
{
    int64_t p0 = jp * NR, p1 = min64(p0 + NR, g->oh * g->ow), n_runs = 0;
    pixel_run runs[NR];
    for (int64_t q = p0; q < p1;) {
        int64_t oy = q / g->ow, ox = q % g->ow, len = min64(g->ow - ox, p1 - q);
        runs[n_runs++] = (pixel_run){oy, ox, q - p0, len};
        q += len;
    }
    /* Lanes past the last pixel are multiplied but never stored; zeros keep
     * stale scratch (a denormal costs an FMA assist) out of the kernel. */
    __mmask16 tail0 = (__mmask16)~first_lanes(p1 - p0);
    __mmask16 tail1 = (__mmask16)~first_lanes(p1 - p0 - 16);
    int64_t k = 0;
    for (int64_t c = 0; c < g->c; c++)
        for (int64_t i = 0; i < g->kh; i++)
            for (int64_t j = 0; j < g->kw; j++, k++) {
                float *d = dst + k * NR;
                int64_t off = j * g->dilation[1] - g->pad[1];
                for (int64_t r = 0; r < n_runs; r++) {
                    const pixel_run *run = &runs[r];
                    int64_t iy = run->oy * g->stride[0] - g->pad[0] + i * g->dilation[0];
                    if (iy < 0 || iy >= g->h)
                        memset(d + run->lane, 0, (size_t)run->len * sizeof(float));
                    else
                        im2col_run(d + run->lane, g->x + (c * g->h + iy) * g->w, run->ox,
                                   run->len, g->stride[1], off, g->w);
                }
                if (tail1) {
                    _mm512_mask_storeu_ps(d, tail0, _mm512_setzero_ps());
                    _mm512_mask_storeu_ps(d + 16, tail1, _mm512_setzero_ps());
                }
            }
}

typedef struct im2col_loop {
    const runt_cpu_im2col *g;
    float *dst;
    int64_t panel_floats;
} im2col_loop;

static void im2col_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    const im2col_loop *l = ctx;
    (void)slot;
    for (int64_t jp = lo; jp < hi; jp++)
        im2col_panel(l->g, jp, l->dst + jp * l->panel_floats);
}

void runt_cpu_pack_b_im2col(const runt_cpu_im2col *g, int threads, float *dst)
{
    int64_t kc = g->c * g->kh * g->kw, panels = (g->oh * g->ow + NR - 1) / NR;
    im2col_loop l = {g, dst, (kc > 0 ? kc : 1) * NR};
    runt_cpu_parallel(runt_cpu_pass_threads((double)kc * (double)(panels * NR), threads), panels,
                      0, im2col_body, &l);
}

void runt_cpu_pack_a(const float *a, int64_t rs, int64_t cs, int64_t m, int64_t k, float *dst)
{
    for (int64_t i0 = 0; i0 < m; i0 += MR) {
        int64_t mr = min64(MR, m - i0);
        const float *src = a + i0 * rs;
        for (int64_t p = 0; p < k; p++)
            for (int64_t i = 0; i < mr; i++)
                *dst++ = src[i * rs + p * cs];
    }
}

/* What a tile's store needs beyond its accumulators. */
typedef struct tile_ctx {
    const runt_cpu_gemm *g;
    __m512 alpha;
    __mmask16 m0, m1;        /* valid lanes of the two column vectors */
    __m512 brow0, brow1;     /* INIT_ROW: the bias row of this panel   */
    int first, last;         /* first / last K block                   */
    int vector_act;          /* the epilogue is done in the store      */
} tile_ctx;

/* The activations that are a compare and a blend: computed in vectors with
 * exactly ref_activation.c's comparisons (NaN fails them and stays x). */
static int act_is_vector(runt_activation a)
{
    return a == RUNT_ACT_NONE || a == RUNT_ACT_RELU || a == RUNT_ACT_LEAKY_RELU ||
           a == RUNT_ACT_CLIP;
}

static inline __m512 act_vector(__m512 x, const runt_epilogue *e)
{
    switch (e->act) {
    case RUNT_ACT_RELU:
        return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), x,
                                    _mm512_setzero_ps());
    case RUNT_ACT_LEAKY_RELU:
        return _mm512_mask_mul_ps(x, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), x,
                                  _mm512_set1_ps(e->alpha));
    case RUNT_ACT_CLIP: {
        __m512 lo = _mm512_set1_ps(e->alpha), hi = _mm512_set1_ps(e->beta);
        /* Same order as the reference: raise to min, then cap at max, so
         * min > max gives max everywhere (ONNX Clip-13) and NaN passes. */
        x = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ), x, lo);
        return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, hi, _CMP_GT_OQ), x, hi);
    }
    default: return x;
    }
}

/* Row `row` of C (absolute index) = alpha * acc + what it starts from. */
static inline void store_row(const tile_ctx *t, int64_t row, float *c, __m512 a0, __m512 a1)
{
    __m512 c0, c1;
    runt_cpu_init init = t->first ? t->g->init : RUNT_CPU_INIT_C;
    switch (init) {
    case RUNT_CPU_INIT_C:
        c0 = _mm512_maskz_loadu_ps(t->m0, c);
        c1 = _mm512_maskz_loadu_ps(t->m1, c + 16);
        break;
    case RUNT_CPU_INIT_ROW: c0 = t->brow0, c1 = t->brow1; break;
    case RUNT_CPU_INIT_COL: c0 = c1 = _mm512_set1_ps(t->g->bias[row]); break;
    default: c0 = c1 = _mm512_setzero_ps(); break;
    }
    c0 = _mm512_fmadd_ps(t->alpha, a0, c0);
    c1 = _mm512_fmadd_ps(t->alpha, a1, c1);
    if (t->last && t->vector_act) {
        c0 = act_vector(c0, &t->g->epilogue);
        c1 = act_vector(c1, &t->g->epilogue);
    }
    _mm512_mask_storeu_ps(c, t->m0, c0);
    _mm512_mask_storeu_ps(c + 16, t->m1, c1);
}

/* The register block: mr rows x 32 columns, 2 mr accumulators, one
 * broadcast of A and two loads of B per k; or, for a panel of 16 columns or
 * fewer (nv 1), mr x 16: one load of B, half the FMAs (the other half
 * would multiply the panel's zero padding). A's element (i, k) is at
 * ap[i * a_rs + k * a_ks]: a packed micro-panel (1, mr) or A as stored
 * (lda, 1). mr and nv are constants at every call site (KERNEL_BY_SHAPE),
 * so the row loops unroll and acc stays in registers. */
static inline __attribute__((always_inline)) void kernel(const int mr, const int nv, int64_t kc,
                                                         const float *ap, int64_t a_rs,
                                                         int64_t a_ks, const float *bp,
                                                         const tile_ctx *t, int64_t row0,
                                                         float *c, int64_t ldc)
{
    __m512 acc[MR][2];
#pragma GCC unroll 12
    for (int i = 0; i < mr; i++)
        acc[i][0] = acc[i][1] = _mm512_setzero_ps();
#pragma GCC unroll 4
    for (int64_t k = 0; k < kc; k++) {
        __m512 b0 = _mm512_loadu_ps(bp + k * NR);
        __m512 b1 = nv > 1 ? _mm512_loadu_ps(bp + k * NR + 16) : b0;
#pragma GCC unroll 12
        for (int i = 0; i < mr; i++) {
            __m512 a = _mm512_set1_ps(ap[i * a_rs + k * a_ks]);
            acc[i][0] = _mm512_fmadd_ps(a, b0, acc[i][0]);
            if (nv > 1)
                acc[i][1] = _mm512_fmadd_ps(a, b1, acc[i][1]);
        }
    }
    /* With nv 1 the second half's store mask is empty (tile_ctx_panel). */
#pragma GCC unroll 12
    for (int i = 0; i < mr; i++)
        store_row(t, row0 + i, c + i * ldc, acc[i][0], acc[i][1]);
}

/* kernel() for mr rows and nv vectors through CALL(r, v), r and v
 * constants: one case per shape, so each loop unrolls with its own count. */
#define KERNEL_BY_ROWS(mr, v, CALL)                                                         \
    switch (mr) {                                                                           \
    case 1: CALL(1, v); break;                                                              \
    case 2: CALL(2, v); break;                                                              \
    case 3: CALL(3, v); break;                                                              \
    case 4: CALL(4, v); break;                                                              \
    case 5: CALL(5, v); break;                                                              \
    case 6: CALL(6, v); break;                                                              \
    case 7: CALL(7, v); break;                                                              \
    case 8: CALL(8, v); break;                                                              \
    case 9: CALL(9, v); break;                                                              \
    case 10: CALL(10, v); break;                                                            \
    case 11: CALL(11, v); break;                                                            \
    default: CALL(MR, v); break;                                                            \
    }
#define KERNEL_BY_SHAPE(mr, nv, CALL)                                                       \
    do {                                                                                    \
        if ((nv) == 1)                                                                      \
            KERNEL_BY_ROWS(mr, 1, CALL)                                                     \
        else                                                                                \
            KERNEL_BY_ROWS(mr, 2, CALL)                                                     \
    } while (0)

/* mr rows of A from a packed micro-panel. */
static void kernel_packed(int mr, int nv, int64_t kc, const float *ap, const float *bp,
                          const tile_ctx *t, int64_t row0, float *c, int64_t ldc)
{
#define PACKED(r, v) kernel(r, v, kc, ap, 1, r, bp, t, row0, c, ldc)
    KERNEL_BY_SHAPE(mr, nv, PACKED);
#undef PACKED
}

/* mr rows of A as stored, a_rs floats apart. */
static void kernel_stored(int mr, int nv, int64_t kc, const float *ap, int64_t a_rs,
                          const float *bp, const tile_ctx *t, int64_t row0, float *c,
                          int64_t ldc)
{
#define STORED(r, v) kernel(r, v, kc, ap, a_rs, 1, bp, t, row0, c, ldc)
    KERNEL_BY_SHAPE(mr, nv, STORED);
#undef STORED
}

/* Activations with no form in act_vector, on a finished tile while it is
 * in L1: through the session's map, row by row. */
static void tile_map_epilogue(const runt_cpu_gemm *g, float *c, int64_t ldc, int64_t mr,
                              int64_t nr)
{
    for (int64_t i = 0; i < mr; i++)
        g->map(c + i * ldc, c + i * ldc, nr, &g->epilogue);
}

static void tile_ctx_panel(tile_ctx *t, int64_t j0, int64_t nr)
{
    t->m0 = first_lanes(nr);
    t->m1 = first_lanes(nr - 16);
    if (t->g->init == RUNT_CPU_INIT_ROW) {
        t->brow0 = _mm512_maskz_loadu_ps(t->m0, t->g->bias + j0);
        t->brow1 = _mm512_maskz_loadu_ps(t->m1, t->g->bias + j0 + 16);
    }
}

/* ---- batch 1: one row of A, y = x B ----
 * Each weight is loaded for a single FMA, so a row's product is bound by
 * loads, not FMAs: the 12-row kernel would spend a broadcast per two loads
 * and wait on two accumulator chains (FMA latency, not throughput). This
 * walks up to GEMV_PANELS panels side by side, so one broadcast of x[p]
 * serves up to 8 loads of B, and splits K over `sets` accumulator sets so
 * at least 8 independent FMA chains are in flight however few panels there
 * are. A panel of 16 columns or fewer loads only its first half. */
#define GEMV_PANELS 4

static inline __attribute__((always_inline)) void
gemv_group(const int np, const int halves, const int sets, int64_t k, const float *x,
           int64_t xs, const float *bp, int64_t panel_floats, __m512 out[GEMV_PANELS][2])
{
#pragma GCC unroll 4
    for (int j = 0; j < np; j++)
        out[j][0] = out[j][1] = _mm512_setzero_ps();
    /* K in blocks of KC, each summed on its own and then added: the same
     * rounding as the blocked kernel, not one chain of K additions. */
    for (int64_t p0 = 0; p0 < k; p0 += KC) {
        int64_t p1 = min64(p0 + KC, k), p = p0;
        __m512 acc[8][GEMV_PANELS][2];
#pragma GCC unroll 8
        for (int s = 0; s < sets; s++)
#pragma GCC unroll 4
            for (int j = 0; j < np; j++)
                acc[s][j][0] = acc[s][j][1] = _mm512_setzero_ps();
        for (; p + sets <= p1; p += sets)
#pragma GCC unroll 8
            for (int s = 0; s < sets; s++) {
                __m512 xb = _mm512_set1_ps(x[(p + s) * xs]);
                const float *row = bp + (p + s) * NR;
#pragma GCC unroll 4
                for (int j = 0; j < np; j++)
#pragma GCC unroll 2
                    for (int h = 0; h < halves; h++)
                        acc[s][j][h] = _mm512_fmadd_ps(
                            xb, _mm512_loadu_ps(row + j * panel_floats + 16 * h), acc[s][j][h]);
            }
        for (; p < p1; p++) {
            __m512 xb = _mm512_set1_ps(x[p * xs]);
#pragma GCC unroll 4
            for (int j = 0; j < np; j++)
#pragma GCC unroll 2
                for (int h = 0; h < halves; h++)
                    acc[0][j][h] = _mm512_fmadd_ps(
                        xb, _mm512_loadu_ps(bp + p * NR + j * panel_floats + 16 * h), acc[0][j][h]);
        }
#pragma GCC unroll 4
        for (int j = 0; j < np; j++)
#pragma GCC unroll 2
            for (int h = 0; h < halves; h++) {
                __m512 block = acc[0][j][h];
#pragma GCC unroll 8
                for (int s = 1; s < sets; s++)
                    block = _mm512_add_ps(block, acc[s][j][h]);
                out[j][h] = _mm512_add_ps(out[j][h], block);
            }
    }
}

/* Panels [p_lo, p_hi) of y. */
static void gemv_panels(const runt_cpu_gemm *g, const float *bp, int64_t p_lo, int64_t p_hi)
{
    int64_t n = g->n, k = g->k, panel_floats = (k > 0 ? k : 1) * NR;
    const float *x = g->a_packed ? g->a_packed : g->a;
    int64_t xs = g->a_packed ? 1 : g->a_cs;
    tile_ctx t;
    memset(&t, 0, sizeof t);
    t.g = g;
    t.alpha = _mm512_set1_ps(g->alpha);
    t.vector_act = act_is_vector(g->epilogue.act);
    t.first = t.last = 1;
    /* A last panel of 16 columns or fewer goes alone, loading half: its
     * zero padding would otherwise be up to half the bytes (N = 100 pads
     * to 128). */
    int64_t last = (n - 1) / NR, narrow = p_hi == last + 1 && n - last * NR <= 16;
    for (int64_t j = p_lo, np; j < p_hi; j += np) {
        np = min64(GEMV_PANELS, p_hi - j);
        if (narrow && np > 1 && j + np == p_hi)
            np--;
        const float *b = bp + j * panel_floats;
        __m512 out[GEMV_PANELS][2];
        switch (np) {
        case 1:
            if (n - j * NR <= 16)
                gemv_group(1, 1, 8, k, x, xs, b, panel_floats, out);
            else
                gemv_group(1, 2, 4, k, x, xs, b, panel_floats, out);
            break;
        case 2: gemv_group(2, 2, 2, k, x, xs, b, panel_floats, out); break;
        case 3: gemv_group(3, 2, 2, k, x, xs, b, panel_floats, out); break;
        default: gemv_group(4, 2, 1, k, x, xs, b, panel_floats, out); break;
        }
        for (int q = 0; q < np; q++) {
            int64_t j0 = (j + q) * NR, nr = min64(NR, n - j0);
            tile_ctx_panel(&t, j0, nr);
            store_row(&t, 0, g->c + j0, out[q][0], out[q][1]);
            if (!t.vector_act)
                tile_map_epilogue(g, g->c + j0, g->ldc, 1, nr);
        }
    }
}

typedef struct gemv_loop {
    const runt_cpu_gemm *g;
    const float *bp;
    int64_t n_panels;
} gemv_loop;

static void gemv_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    const gemv_loop *l = ctx;
    (void)slot;
    gemv_panels(l->g, l->bp, min64(lo * GEMV_PANELS, l->n_panels),
                min64(hi * GEMV_PANELS, l->n_panels));
}

/* Threads take contiguous runs of whole GEMV_PANELS groups. */
static void gemv(const runt_cpu_gemm *g, const float *bp, int threads)
{
    int64_t n_panels = (g->n + NR - 1) / NR;
    gemv_loop l = {g, bp, n_panels};
    runt_cpu_parallel(threads, (n_panels + GEMV_PANELS - 1) / GEMV_PANELS, 0, gemv_body, &l);
}

/* 1 when the kernel reads A where it lies instead of packing it: rows
 * contiguous, and too few panels of B to pay for packing (each packed
 * element would be read once per panel). */
static int a_read_as_stored(const runt_cpu_gemm *g)
{
    return !g->a_packed && g->a_cs == 1 && g->a_rs > 0 &&
           (g->n + NR - 1) / NR <= A_STORED_MAX_PANELS;
}

/* Rows [r_lo, r_hi) times panels [p_lo, p_hi), every K block. The loop
 * order keeps a KC x NC_PANELS*NR block of packed B (1 MB) in L2 while every
 * MC block of rows passes over it, and one KC x NR panel in L1 while the
 * MC rows' micro-panels stream by: B is read from beyond L2 once per
 * (column block, K block), not once per row block. */
static void run_block(const runt_cpu_gemm *g, const float *bp, float *abuf, int64_t r_lo,
                      int64_t r_hi, int64_t p_lo, int64_t p_hi)
{
    int64_t n = g->n, k = g->k;
    int stored = a_read_as_stored(g);
    tile_ctx t;
    memset(&t, 0, sizeof t);
    t.g = g;
    t.alpha = _mm512_set1_ps(g->alpha);
    t.vector_act = act_is_vector(g->epilogue.act);
    for (int64_t jc = p_lo; jc < p_hi; jc += NC_PANELS) {
        int64_t jc_hi = min64(jc + NC_PANELS, p_hi);
        for (int64_t pc = 0;; pc += KC) {
            int64_t kc = min64(KC, k - pc);
            t.first = pc == 0;
            t.last = pc + kc >= k;
            for (int64_t ic = r_lo; ic < r_hi; ic += MC) {
                int64_t mc = min64(MC, r_hi - ic);
                if (!g->a_packed && !stored)
                    runt_cpu_pack_a(g->a + ic * g->a_rs + pc * g->a_cs, g->a_rs, g->a_cs, mc, kc,
                                    abuf);
                for (int64_t jp = jc; jp < jc_hi; jp++) {
                    int64_t j0 = jp * NR, nr = min64(NR, n - j0);
                    int nv = nr > 16 ? 2 : 1;
                    const float *bpp = bp + jp * (k > 0 ? k : 1) * NR + pc * NR;
                    tile_ctx_panel(&t, j0, nr);
                    for (int64_t i0 = 0; i0 < mc; i0 += MR) {
                        int64_t mr = min64(MR, mc - i0);
                        const float *app = stored ? g->a + (ic + i0) * g->a_rs + pc
                                           : g->a_packed ? g->a_packed + (ic + i0) * k + pc * mr
                                                         : abuf + i0 * kc;
                        float *c = g->c + (ic + i0) * g->ldc + j0;
                        if (stored)
                            kernel_stored((int)mr, nv, kc, app, g->a_rs, bpp, &t, ic + i0, c,
                                          g->ldc);
                        else
                            kernel_packed((int)mr, nv, kc, app, bpp, &t, ic + i0, c, g->ldc);
                        if (t.last && !t.vector_act)
                            tile_map_epilogue(g, c, g->ldc, mr, nr);
                    }
                }
            }
            if (t.last)
                break;
        }
    }
}

/* The tasks of a product split over threads: a grid of n_rc row ranges
 * (whole micro-panels) by n_nc column ranges (whole panels). */
typedef struct block_loop {
    const runt_cpu_gemm *g;
    const float *bp;
    float *abufs; /* one MC x KC buffer per slot */
    int64_t n_strips, n_panels, n_rc, n_nc;
} block_loop;

static void block_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    const block_loop *l = ctx;
    const runt_cpu_gemm *g = l->g;
    for (int64_t task = lo; task < hi; task++) {
        int64_t rc = task / l->n_nc, nc = task % l->n_nc;
        int64_t r_lo = rc * l->n_strips / l->n_rc * MR;
        int64_t r_hi = min64((rc + 1) * l->n_strips / l->n_rc * MR, g->m);
        run_block(g, l->bp, l->abufs + (size_t)slot * MC * KC, r_lo, r_hi,
                  nc * l->n_panels / l->n_nc, (nc + 1) * l->n_panels / l->n_nc);
    }
}

int runt_cpu_packed_reads_b_as_stored(const runt_cpu_gemm *g) { return runt_cpu_dots_fit(g); }

static size_t round16(size_t n) { return (n + 15) / 16 * 16; }

size_t runt_cpu_packed_scratch_floats(const runt_cpu_gemm *g, int threads)
{
    size_t s = 0;
    if (!g->b_packed)
        s += round16(runt_cpu_pack_b_floats(g->k, g->n));
    if (!g->a_packed)
        s += (size_t)(threads > 0 ? threads : 1) * MC * KC;
    return s;
}

void runt_cpu_sgemm_packed(const runt_cpu_gemm *g, int threads, float *scratch)
{
    if (g->m <= 0 || g->n <= 0)
        return;
    if (runt_cpu_dots_fit(g) && g->b) {
        runt_cpu_sgemm_dots(g, threads);
        return;
    }
    const float *bp = g->b_packed;
    float *abufs = scratch;
    if (!bp) {
        runt_cpu_pack_b(g->b, g->b_rs, g->b_cs, g->k, g->n, scratch);
        bp = scratch;
        abufs = scratch + round16(runt_cpu_pack_b_floats(g->k, g->n));
    }
    double flops = 2.0 * (double)g->m * (double)g->n * (double)g->k;
    int nt = flops < RUNT_CPU_PARALLEL_MIN_FLOPS || threads < 1 ? 1 : threads;
    if (g->m == 1) {
        gemv(g, bp, nt);
        return;
    }
    /* Threads split the rows in whole micro-panels (a prepacked A's panels
     * must line up), and the columns only when rows run out; but a product
     * with fewer rows than columns and under 4 strips per thread splits the
     * columns first: whole strips leave the row split uneven there (16 rows
     * as 12 + 4), and each thread would read all of B. Linear(1024) on 2
     * threads, Zen 5 VM, medians of 3 alternating runs (before -> after):
     * batch 16 240 -> 160 us, 32 390 -> 335, 64 692 -> 654; from batch 96
     * (8 strips) the two splits measured within the VM's noise, and rows
     * need no A packed per thread, so rows stay there. */
    int64_t n_strips = (g->m + MR - 1) / MR, n_panels = (g->n + NR - 1) / NR;
    int64_t n_rc, n_nc;
    if (g->m < g->n && n_strips < 4 * (int64_t)nt) {
        n_nc = min64(nt, n_panels);
        n_rc = min64(nt / n_nc, n_strips);
    } else {
        n_rc = min64(nt, n_strips);
        n_nc = min64(nt / n_rc, n_panels);
    }
    int64_t tasks = n_rc * n_nc;
    if (tasks == 1) {
        run_block(g, bp, abufs, 0, g->m, 0, n_panels);
        return;
    }
    block_loop l = {g, bp, abufs, n_strips, n_panels, n_rc, n_nc};
    runt_cpu_parallel((int)tasks, tasks, 1, block_body, &l);
}
