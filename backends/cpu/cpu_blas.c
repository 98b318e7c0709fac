/*
 * OpenBLAS under the CPU backend: one block of a product per call, on one
 * thread (the pool runs the blocks, cpu_gemm.c), with OpenBLAS's own thread
 * count kept at 1. Built only when the build found OpenBLAS (RUNT_CPU_BLAS);
 * without it the blocks go to sgemm_blocked.c.
 */
#include <pthread.h>

#include <cblas.h>

#include "cpu_impl.h"

/* OpenBLAS's, declared here too in case the cblas.h found is another's. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

static pthread_mutex_t blas_threads_lock = PTHREAD_MUTEX_INITIALIZER;

void runt_cpu_blas_single_threaded(void)
{
    /* Checked on every call, not once: the program may set OpenBLAS's
     * process-wide count itself between runs. The lock keeps two sessions
     * from calling OpenBLAS's setter at once (it is not thread-safe). */
    pthread_mutex_lock(&blas_threads_lock);
    if (openblas_get_num_threads() != 1)
        openblas_set_num_threads(1);
    pthread_mutex_unlock(&blas_threads_lock);
}

/* How BLAS reads a rows x cols operand with strides (rs, cs): transposed or
 * not, and its leading dimension. One of the strides is 1 (or the operand is
 * a single row or column). */
static void blas_layout(int64_t rs, int64_t cs, int64_t rows, int64_t cols,
                        enum CBLAS_TRANSPOSE *t, int *ld)
{
    if (cs == 1 || cols == 1) {
        *t = CblasNoTrans;
        *ld = (int)(rows == 1 || rs < cols ? (cols > 0 ? cols : 1) : rs);
    } else {
        *t = CblasTrans;
        *ld = (int)(cols == 1 || cs < rows ? (rows > 0 ? rows : 1) : cs);
    }
}

/* A vector's increment: its stride, or 1 when it has one element. */
static int blas_inc(int64_t stride, int64_t len) { return len > 1 ? (int)stride : 1; }

/* One BLAS call for rows [r0, r1) and columns [c0, c1) of g's product
 * (C already holds its starting value: BLAS adds with beta = 1). */
void runt_cpu_blas_block(const runt_cpu_gemm *g, int64_t r0, int64_t r1, int64_t c0, int64_t c1)
{
    int m = (int)(r1 - r0), n = (int)(c1 - c0), k = (int)g->k, ldc = (int)g->ldc;
    const float *a = g->a + r0 * g->a_rs, *b = g->b + c0 * g->b_cs;
    float *c = g->c + r0 * g->ldc + c0;
    enum CBLAS_TRANSPOSE ta, tb;
    int lda, ldb;
    /* The layout of the whole operands: a block keeps their strides. */
    blas_layout(g->a_rs, g->a_cs, g->m, g->k, &ta, &lda);
    blas_layout(g->b_rs, g->b_cs, g->k, g->n, &tb, &ldb);
    if (k == 0 || m <= 0 || n <= 0) {
        /* nothing to add */
    } else if (g->m == 1) {
        /* y[j] = sum_p x[p] B[p][j]: B read as stored, y along C's row. */
        int incx = blas_inc(g->a_cs, g->k);
        if (tb == CblasNoTrans)
            cblas_sgemv(CblasRowMajor, CblasTrans, k, n, g->alpha, b, ldb, a, incx, 1.0f, c, 1);
        else
            cblas_sgemv(CblasRowMajor, CblasNoTrans, n, k, g->alpha, b, ldb, a, incx, 1.0f, c, 1);
    } else if (g->n == 1) {
        /* y[i] = sum_p A[i][p] x[p]: down C's column. */
        int incx = blas_inc(g->b_rs, g->k);
        if (ta == CblasNoTrans)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, m, k, g->alpha, a, lda, b, incx, 1.0f, c, ldc);
        else
            cblas_sgemv(CblasRowMajor, CblasTrans, k, m, g->alpha, a, lda, b, incx, 1.0f, c, ldc);
    } else {
        cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, g->alpha, a, lda, b, ldb, 1.0f, c, ldc);
    }
}

