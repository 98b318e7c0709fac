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
 * 1000 x 1000 (mr = 1 below): 144 us on one thread, 52 us on two, where
 * OpenBLAS's sgemv as detected takes 224 and 159 us.
 *
 * Layouts (floats):
 *   packed B [K, N]: panels of NR columns, panel j holds B[0..K)[32j..32j+32)
 *                    row after row; columns past N are zero.
 *   packed A [M, K]: micro-panels of MR rows, panel i (rows from MR i) at
 *                    MR i K, holding A[rows][0..K) column after column; the
 *                    last panel has M mod MR rows, stride mr.
 * Blocking: a task packs MC x KC of A (96 KB, in L2) unless A came packed;
 * the kernel streams a KC x 32 panel of B (32 KB, in L1) over its MC rows.
 */
#include <string.h>

#include <immintrin.h>

#include "cpu_impl.h"
#include "ref/ref_impl.h"

#ifdef _OPENMP
#include <omp.h>
#endif

#define MR 12
#define NR 32
#define KC 256
#define MC 96 /* a multiple of MR, so a prepacked A's panels line up with blocks */

/* Below this many flops one thread finishes before a team forks (~ a few us). */
#define PARALLEL_MIN_FLOPS 200000.0

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

size_t runt_cpu_pack_b_floats(int64_t k, int64_t n)
{
    return (size_t)(k > 0 ? k : 1) * (size_t)((n + NR - 1) / NR) * NR;
}

size_t runt_cpu_pack_a_floats(int64_t m, int64_t k)
{
    return (size_t)(m > 0 ? m : 1) * (size_t)(k > 0 ? k : 1);
}

void runt_cpu_pack_b(const float *b, int64_t rs, int64_t cs, int64_t k, int64_t n, float *dst)
{
    for (int64_t j0 = 0; j0 < n; j0 += NR) {
        int64_t nr = min64(NR, n - j0);
        for (int64_t p = 0; p < k; p++, dst += NR) {
            const float *src = b + p * rs + j0 * cs;
            if (cs == 1)
                memcpy(dst, src, (size_t)nr * sizeof(float));
            else
                for (int64_t j = 0; j < nr; j++)
                    dst[j] = src[j * cs];
            for (int64_t j = nr; j < NR; j++)
                dst[j] = 0.0f;
        }
    }
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
 * broadcast of A and two loads of B per k. mr is a constant at every call
 * site (kernel_any), so the row loops unroll and acc stays in registers. */
static inline __attribute__((always_inline)) void kernel(const int mr, int64_t kc,
                                                         const float *ap, const float *bp,
                                                         const tile_ctx *t, int64_t row0,
                                                         float *c, int64_t ldc)
{
    __m512 acc[MR][2];
#pragma GCC unroll 12
    for (int i = 0; i < mr; i++)
        acc[i][0] = acc[i][1] = _mm512_setzero_ps();
#pragma GCC unroll 4
    for (int64_t k = 0; k < kc; k++) {
        __m512 b0 = _mm512_loadu_ps(bp + k * NR), b1 = _mm512_loadu_ps(bp + k * NR + 16);
#pragma GCC unroll 12
        for (int i = 0; i < mr; i++) {
            __m512 a = _mm512_set1_ps(ap[k * mr + i]);
            acc[i][0] = _mm512_fmadd_ps(a, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(a, b1, acc[i][1]);
        }
    }
#pragma GCC unroll 12
    for (int i = 0; i < mr; i++)
        store_row(t, row0 + i, c + i * ldc, acc[i][0], acc[i][1]);
}

static void kernel_any(int mr, int64_t kc, const float *ap, const float *bp, const tile_ctx *t,
                       int64_t row0, float *c, int64_t ldc)
{
    switch (mr) {
    case 1: kernel(1, kc, ap, bp, t, row0, c, ldc); break;
    case 2: kernel(2, kc, ap, bp, t, row0, c, ldc); break;
    case 3: kernel(3, kc, ap, bp, t, row0, c, ldc); break;
    case 4: kernel(4, kc, ap, bp, t, row0, c, ldc); break;
    case 5: kernel(5, kc, ap, bp, t, row0, c, ldc); break;
    case 6: kernel(6, kc, ap, bp, t, row0, c, ldc); break;
    case 7: kernel(7, kc, ap, bp, t, row0, c, ldc); break;
    case 8: kernel(8, kc, ap, bp, t, row0, c, ldc); break;
    case 9: kernel(9, kc, ap, bp, t, row0, c, ldc); break;
    case 10: kernel(10, kc, ap, bp, t, row0, c, ldc); break;
    case 11: kernel(11, kc, ap, bp, t, row0, c, ldc); break;
    default: kernel(MR, kc, ap, bp, t, row0, c, ldc); break;
    }
}

/* Activations with no vector form, on a finished tile while it is in L1. */
static void tile_scalar_epilogue(const runt_epilogue *e, float *c, int64_t ldc, int64_t mr,
                                 int64_t nr)
{
    for (int64_t i = 0; i < mr; i++)
        for (int64_t j = 0; j < nr; j++)
            c[i * ldc + j] = runt_ref_activate(c[i * ldc + j], e);
}

static void tile_ctx_panel(tile_ctx *t, int64_t j0, int64_t nr)
{
    t->m0 = (__mmask16)(nr >= 16 ? 0xFFFF : (1u << nr) - 1);
    t->m1 = (__mmask16)(nr >= 32 ? 0xFFFF : nr > 16 ? (1u << (nr - 16)) - 1 : 0);
    if (t->g->init == RUNT_CPU_INIT_ROW) {
        t->brow0 = _mm512_maskz_loadu_ps(t->m0, t->g->bias + j0);
        t->brow1 = _mm512_maskz_loadu_ps(t->m1, t->g->bias + j0 + 16);
    }
}

/* Rows [ic, ic + MC) times panels [p_lo, p_hi), every K block. */
static void run_task(const runt_cpu_gemm *g, const float *bp, float *abuf, int64_t ic,
                     int64_t p_lo, int64_t p_hi)
{
    int64_t m = g->m, n = g->n, k = g->k, mc = min64(MC, m - ic);
    tile_ctx t;
    memset(&t, 0, sizeof t);
    t.g = g;
    t.alpha = _mm512_set1_ps(g->alpha);
    t.vector_act = act_is_vector(g->epilogue.act);
    for (int64_t pc = 0;; pc += KC) {
        int64_t kc = min64(KC, k - pc);
        t.first = pc == 0;
        t.last = pc + kc >= k;
        if (!g->a_packed)
            runt_cpu_pack_a(g->a + ic * g->a_rs + pc * g->a_cs, g->a_rs, g->a_cs, mc, kc, abuf);
        for (int64_t jp = p_lo; jp < p_hi; jp++) {
            int64_t j0 = jp * NR, nr = min64(NR, n - j0);
            const float *bpp = bp + jp * (k > 0 ? k : 1) * NR + pc * NR;
            tile_ctx_panel(&t, j0, nr);
            for (int64_t i0 = 0; i0 < mc; i0 += MR) {
                int64_t mr = min64(MR, mc - i0);
                const float *app = g->a_packed ? g->a_packed + (ic + i0) * k + pc * mr
                                               : abuf + i0 * kc;
                float *c = g->c + (ic + i0) * g->ldc + j0;
                kernel_any((int)mr, kc, app, bpp, &t, ic + i0, c, g->ldc);
                if (t.last && !t.vector_act)
                    tile_scalar_epilogue(&g->epilogue, c, g->ldc, mr, nr);
            }
        }
        if (t.last)
            break;
    }
}

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
    const float *bp = g->b_packed;
    float *abufs = scratch;
    if (!bp) {
        runt_cpu_pack_b(g->b, g->b_rs, g->b_cs, g->k, g->n, scratch);
        bp = scratch;
        abufs = scratch + round16(runt_cpu_pack_b_floats(g->k, g->n));
    }
    int64_t n_mb = (g->m + MC - 1) / MC, n_panels = (g->n + NR - 1) / NR;
    int64_t n_nc = (threads + n_mb - 1) / n_mb;
    n_nc = n_nc < 1 ? 1 : n_nc > n_panels ? n_panels : n_nc;
    int64_t tasks = n_mb * n_nc;
    double flops = 2.0 * (double)g->m * (double)g->n * (double)g->k;
    int nt = flops < PARALLEL_MIN_FLOPS ? 1 : (int)min64(threads, tasks);
    (void)nt;
    RUNT_CPU_PARALLEL_FOR
    for (int64_t task = 0; task < tasks; task++) {
        int id = 0;
#ifdef _OPENMP
        id = omp_get_thread_num();
#endif
        int64_t mb = task / n_nc, nc = task % n_nc;
        run_task(g, bp, abufs + (size_t)id * MC * KC, mb * MC, nc * n_panels / n_nc,
                 (nc + 1) * n_panels / n_nc);
    }
}
