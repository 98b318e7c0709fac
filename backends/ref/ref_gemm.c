/*
 * Gemm and MatMul as plain loops over strided views.
 *
 * Dot products accumulate in double. The reference backend is the oracle the
 * other backends are measured against, so its own error should not eat their
 * error budget. Every f32 product is exact in double, and the double sum's
 * error (<= K * 2^-53 * sum|a b|) stays far below the final rounding to float
 * (2^-24 * |y|) unless K or the cancellation is extreme: each output is the
 * exact result rounded once (give or take a few double ulps), whatever the
 * loop order, where a float k loop may drift by up to K * 2^-24 * sum|a b|.
 * The price is software double on FPUs without it (e.g. Cortex-M4F); a
 * microcontroller that needs speed runs the int8 path.
 */
#include "common/tensor_geom.h"
#include "ref_impl.h"

/* sum_k a[k * sa] * b[k * sb], exactly for every product. */
static double dot(const float *a, int64_t sa, const float *b, int64_t sb, int64_t k)
{
    double acc = 0.0;
    for (int64_t i = 0; i < k; i++)
        acc += (double)a[i * sa] * (double)b[i * sb];
    return acc;
}

/* Element strides of the optional C input read as [M, N]: ONNX Gemm lets C be
 * unidirectionally broadcast from [], [1], [N], [1, N], [M, 1] or [M, N]. */
static void c_strides(const runt_tensor *c, int64_t *row_stride, int64_t *col_stride)
{
    int64_t rows = c->ndim >= 2 ? c->dims[c->ndim - 2] : 1;
    int64_t cols = c->ndim >= 1 ? c->dims[c->ndim - 1] : 1;
    *row_stride = rows == 1 ? 0 : cols;
    *col_stride = cols == 1 ? 0 : 1;
}

runt_status runt_ref_gemm(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                          runt_tensor *out, int n_out)
{
    (void)n_out;
    const runt_gemm_attrs *g = &attrs->gemm;
    const runt_tensor *c = n_in > 2 && in[2].data ? &in[2] : NULL;
    if (in[0].dtype != RUNT_F32 || in[1].dtype != RUNT_F32 || out[0].dtype != RUNT_F32 ||
        (c && c->dtype != RUNT_F32))
        return RUNT_E_UNSUPPORTED;

    int64_t m = out[0].dims[0], n = out[0].dims[1];
    int64_t k = g->trans_a ? in[0].dims[0] : in[0].dims[1];
    /* op(A)[i][p] = a[i * a_row + p * a_k]; op(B)[p][j] = b[p * b_k + j * b_col]. */
    int64_t a_row = g->trans_a ? 1 : k, a_k = g->trans_a ? m : 1;
    int64_t b_k = g->trans_b ? 1 : n, b_col = g->trans_b ? k : 1;
    int64_t c_row = 0, c_col = 0;
    if (c)
        c_strides(c, &c_row, &c_col);

    const float *a = in[0].data, *b = in[1].data;
    const float *cd = c ? c->data : NULL;
    float *y = out[0].data;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double acc = (double)g->alpha * dot(a + i * a_row, a_k, b + j * b_col, b_k, k);
            if (cd)
                acc += (double)g->beta * (double)cd[i * c_row + j * c_col];
            y[i * n + j] = (float)acc;
        }
    runt_ref_apply_epilogue(y, m * n, &g->epilogue);
    return RUNT_OK;
}

/* numpy matmul: a 1-D A is a row [1, K] and a 1-D B a column [K, 1], the
 * added dim then dropped from the result; the batch dims (all but the last
 * two) broadcast. The output view already has the result's shape. */
runt_status runt_ref_matmul(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                            runt_tensor *out, int n_out)
{
    (void)attrs, (void)n_in, (void)n_out;
    const runt_tensor *ta = &in[0], *tb = &in[1];
    if (ta->dtype != RUNT_F32 || tb->dtype != RUNT_F32 || out[0].dtype != RUNT_F32)
        return RUNT_E_UNSUPPORTED;

    runt_geom_matmul g = runt_geom_matmul_of(ta, tb, &out[0]);
    int64_t m = g.m, n = g.n, k = g.k;

    const float *a = ta->data, *b = tb->data;
    float *y = out[0].data;
    for (int64_t bi = 0; bi < g.n_batch; bi++) {
        int64_t off_a, off_b;
        runt_geom_batch_offsets(out[0].dims, g.nb, bi, g.sa, g.sb, &off_a, &off_b);
        float *yb = y + bi * m * n;
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++)
                yb[i * n + j] = (float)dot(a + off_a + i * k, 1, b + off_b + j, n, k);
    }
    return RUNT_OK;
}
