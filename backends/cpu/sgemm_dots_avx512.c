/*
 * The AVX-512 GEMM's dot-product path (sgemm_avx512.c hands it the products
 * it fits): a few columns of C, each one a dot product of a row of A with a
 * row of the weight as stored. Compiled with the flags of sgemm_avx512.c.
 *
 * With 16 outputs or fewer a panel row is one 64-byte line holding at most
 * 16 useful floats (one for Linear(1000, 1)), so the panel walk reads up to
 * 16x the weight's bytes, and even the panels' 16-column kernel leaves
 * most lanes idle for very few outputs. A Linear's weight as stored ([N, K],
 * B's columns contiguous) is read instead, row by row, in full vectors, two
 * rows of A at a time against all N weight rows (in L1 or L2 after the
 * first pair). Measured on the development VM, one thread, median us,
 * panels (then 32 columns wide) -> dots: Linear(1000, 1) batch 16 10.2 ->
 * 1.2, batch 1024 717 -> 43; Linear(1000, 10) batch 1024 798 -> 263.
 */
#include <immintrin.h>

#include "avx512_lanes.h"
#include "cpu_impl.h"

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

#define DOT_MAX_N 16

/* dots[i * DOT_MAX_N + r] = x_i . w_r for xr rows of x (stride ldx) and wr
 * rows of w (stride ldw): each x load serves wr FMAs and each w load xr. */
static inline __attribute__((always_inline)) void dot_block(const int xr, const int wr,
                                                            const float *x, int64_t ldx,
                                                            const float *w, int64_t ldw,
                                                            int64_t k, float *dots)
{
    __m512 total[2][4], acc[2][4][2];
#pragma GCC unroll 2
    for (int i = 0; i < xr; i++)
#pragma GCC unroll 4
        for (int r = 0; r < wr; r++)
            total[i][r] = _mm512_setzero_ps();
    /* Blocks of 1024 k summed on their own, as gemv_group's KC blocks. */
    for (int64_t p0 = 0; p0 < k; p0 += 1024) {
        int64_t p1 = min64(p0 + 1024, k), p = p0;
#pragma GCC unroll 2
        for (int i = 0; i < xr; i++)
#pragma GCC unroll 4
            for (int r = 0; r < wr; r++)
                acc[i][r][0] = acc[i][r][1] = _mm512_setzero_ps();
        for (; p + 32 <= p1; p += 32) {
            __m512 x0[2], x1[2];
#pragma GCC unroll 2
            for (int i = 0; i < xr; i++) {
                x0[i] = _mm512_loadu_ps(x + i * ldx + p);
                x1[i] = _mm512_loadu_ps(x + i * ldx + p + 16);
            }
#pragma GCC unroll 4
            for (int r = 0; r < wr; r++) {
                __m512 w0 = _mm512_loadu_ps(w + r * ldw + p);
                __m512 w1 = _mm512_loadu_ps(w + r * ldw + p + 16);
#pragma GCC unroll 2
                for (int i = 0; i < xr; i++) {
                    acc[i][r][0] = _mm512_fmadd_ps(x0[i], w0, acc[i][r][0]);
                    acc[i][r][1] = _mm512_fmadd_ps(x1[i], w1, acc[i][r][1]);
                }
            }
        }
        for (; p < p1; p += 16) {
            __mmask16 m = first_lanes(p1 - p);
            __m512 x0[2];
#pragma GCC unroll 2
            for (int i = 0; i < xr; i++)
                x0[i] = _mm512_maskz_loadu_ps(m, x + i * ldx + p);
#pragma GCC unroll 4
            for (int r = 0; r < wr; r++) {
                __m512 w0 = _mm512_maskz_loadu_ps(m, w + r * ldw + p);
#pragma GCC unroll 2
                for (int i = 0; i < xr; i++)
                    acc[i][r][0] = _mm512_fmadd_ps(x0[i], w0, acc[i][r][0]);
            }
        }
#pragma GCC unroll 2
        for (int i = 0; i < xr; i++)
#pragma GCC unroll 4
            for (int r = 0; r < wr; r++)
                total[i][r] = _mm512_add_ps(total[i][r],
                                            _mm512_add_ps(acc[i][r][0], acc[i][r][1]));
    }
#pragma GCC unroll 2
    for (int i = 0; i < xr; i++)
#pragma GCC unroll 4
        for (int r = 0; r < wr; r++)
            dots[i * DOT_MAX_N + r] = _mm512_reduce_add_ps(total[i][r]);
}

/* xr rows of x against every weight row, four at a time. */
static inline __attribute__((always_inline)) void dot_all(const int xr, const float *x,
                                                          int64_t ldx, const float *b,
                                                          int64_t ldw, int64_t n, int64_t k,
                                                          float *dots)
{
    for (int64_t j = 0; j < n; j += 4) {
        const float *w = b + j * ldw;
        switch (min64(4, n - j)) {
        case 1: dot_block(xr, 1, x, ldx, w, ldw, k, dots + j); break;
        case 2: dot_block(xr, 2, x, ldx, w, ldw, k, dots + j); break;
        case 3: dot_block(xr, 3, x, ldx, w, ldw, k, dots + j); break;
        default: dot_block(xr, 4, x, ldx, w, ldw, k, dots + j); break;
        }
    }
}

/* Rows [r_lo, r_hi) of C. Callers check (runt_cpu_dots_fit): n <= DOT_MAX_N, B's
 * columns contiguous (b_rs 1), each row of A contiguous. */
static void dot_gemm(const runt_cpu_gemm *g, const float *a, int64_t a_rs, int64_t r_lo,
                     int64_t r_hi)
{
    int64_t n = g->n;
    float dots[2 * DOT_MAX_N];
    for (int64_t i0 = r_lo; i0 < r_hi; i0 += 2) {
        int xr = (int)min64(2, r_hi - i0);
        if (xr == 2)
            dot_all(2, a + i0 * a_rs, a_rs, g->b, g->b_cs, n, g->k, dots);
        else
            dot_all(1, a + i0 * a_rs, a_rs, g->b, g->b_cs, n, g->k, dots);
        for (int i = 0; i < xr; i++) {
            float *c = g->c + (i0 + i) * g->ldc;
            for (int64_t j = 0; j < n; j++) {
                float start = g->init == RUNT_CPU_INIT_C     ? c[j]
                              : g->init == RUNT_CPU_INIT_ROW ? g->bias[j]
                              : g->init == RUNT_CPU_INIT_COL ? g->bias[i0 + i]
                                                             : 0.0f;
                c[j] = g->alpha * dots[i * DOT_MAX_N + j] + start;
            }
            g->map(c, c, n, &g->epilogue);
        }
    }
}

/* Each dot product ends in a horizontal sum, a fixed cost per output that
 * the panels' 16-column kernel (mr rows x 16, A as stored) does not pay:
 * from 2 rows on, more than 12 outputs go to the panels, and more than 6
 * with K under 256. Linear(K, N), 2 threads, Zen 5 VM, dots / panels, us:
 *   N 16: K 144 batch 1024 44 / 23; K 256 76 / 43; K 512 172-248 / 87-98;
 *         K 1000 batch 16 3.8-4.5 / 4.0-4.4, 32 7.3-8.1 / 6.4-6.5, 64 15.4
 *         / 11.2, 1024 370-391 / 192-204;
 *   N 12: K 144 batch 1024 43 / 23;
 *   N 8:  K 144 batch 16 0.90 / 0.79, 1024 29-41 / 23; K 1000 batch 16
 *         2.2-2.4 / 4.0, 32-128 0.85-0.89x the panels' time, 1024 246-275
 *         / 199-221 (the one case the rule leaves 1.2x slow);
 *   N 6:  K 144 and 1000 at batch 1024 the same either way;
 *   N 1-4: the dots 1.1-3.8x faster. */
#define DOT_PANEL_N 12
#define DOT_PANEL_N_SHORT_K 6
#define DOT_SHORT_K 256

int runt_cpu_dots_fit(const runt_cpu_gemm *g)
{
    /* A prepacked A is in micro-panels, which is one contiguous row only
     * when m is 1. */
    int rows_contiguous = g->a_packed ? g->m == 1 : g->a_cs == 1 || g->k == 1;
    int panels_better = g->m > 1 && (g->n > DOT_PANEL_N ||
                                     (g->n > DOT_PANEL_N_SHORT_K && g->k < DOT_SHORT_K));
    return g->n <= DOT_MAX_N && (g->b_rs == 1 || g->k == 1) && rows_contiguous && !panels_better;
}

/* A runt_cpu_parallel body over the rows of g: A where it lies, or
 * prepacked (runt_cpu_dots_fit: then one row). */
static void dot_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    const runt_cpu_gemm *g = ctx;
    (void)slot;
    dot_gemm(g, g->a_packed ? g->a_packed : g->a, g->a_packed ? g->k : g->a_rs, lo, hi);
}

/* Threads split the rows when the product is worth it. */
void runt_cpu_sgemm_dots(const runt_cpu_gemm *g, int threads)
{
    double flops = 2.0 * (double)g->m * (double)g->n * (double)g->k;
    runt_cpu_parallel(flops < RUNT_CPU_PARALLEL_MIN_FLOPS ? 1 : threads, g->m, 0, dot_body,
                      (void *)g);
}
