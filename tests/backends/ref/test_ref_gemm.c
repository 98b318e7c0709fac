/*
 * Gemm and MatMul against double-precision loops written here: every
 * transpose combination, every shape ONNX lets C take, alpha/beta other than
 * 1, every epilogue activation; numpy matmul's 1-D promotion and batch
 * broadcasting with the result shape derived here independently.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "test_util.h"
#include "ref/ref_impl.h"

/* The kernel accumulates in double and rounds once (~6e-8 of the output's
 * scale); the epilogue's float expf/tanhf/erff add a few ulp. 1e-5 leaves a
 * wide margin, while one lost or repeated k term, a wrong stride or a wrong
 * C element errs by well over 1e-3 at the sizes used here. */
#define BOUND 1e-5

typedef struct shape {
    int ndim;
    int64_t dims[RUNT_MAX_DIMS];
} shape;

static const double PI = 3.14159265358979323846;

static double ref_act(double x, const runt_epilogue *e)
{
    switch (e->act) {
    case RUNT_ACT_RELU: return x > 0 ? x : 0.0;
    case RUNT_ACT_LEAKY_RELU: return x >= 0 ? x : e->alpha * x;
    case RUNT_ACT_CLIP: return x < e->alpha ? e->alpha : x > e->beta ? e->beta : x;
    case RUNT_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case RUNT_ACT_TANH: return tanh(x);
    case RUNT_ACT_GELU: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    case RUNT_ACT_GELU_TANH:
        return 0.5 * x * (1.0 + tanh(sqrt(2.0 / PI) * (x + 0.044715 * x * x * x)));
    default: return x;
    }
}

static shape mk(int ndim, const int64_t *dims)
{
    shape s;
    memset(&s, 0, sizeof s);
    s.ndim = ndim;
    for (int d = 0; d < ndim; d++)
        s.dims[d] = dims[d];
    return s;
}

static int64_t count(const shape *s)
{
    int64_t n = 1;
    for (int d = 0; d < s->ndim; d++)
        n *= s->dims[d];
    return n;
}

/* Flat index into s (broadcast to o, numpy rules) of element `flat` of o. */
static int64_t source_index(int64_t flat, const shape *o, const shape *s)
{
    int64_t idx[RUNT_MAX_DIMS];
    for (int d = o->ndim - 1; d >= 0; d--) {
        idx[d] = flat % o->dims[d];
        flat /= o->dims[d];
    }
    int64_t index = 0;
    for (int d = 0; d < s->ndim; d++)
        index = index * s->dims[d] + (s->dims[d] == 1 ? 0 : idx[d + o->ndim - s->ndim]);
    return index;
}

/* ------------------------------------------------------------------------- */
/* Gemm                                                                      */
/* ------------------------------------------------------------------------- */

typedef struct gemm_case {
    int64_t m, n, k;
    int trans_a, trans_b;
    float alpha, beta;
    int has_c;
    shape c;
    runt_epilogue epilogue;
} gemm_case;

static void ref_gemm(const gemm_case *g, const float *a, const float *b, const float *c,
                     double *y)
{
    int64_t mn_dims[2] = {g->m, g->n};
    shape mn = mk(2, mn_dims);
    for (int64_t i = 0; i < g->m; i++)
        for (int64_t j = 0; j < g->n; j++) {
            double acc = 0.0;
            for (int64_t p = 0; p < g->k; p++) {
                double av = g->trans_a ? a[p * g->m + i] : a[i * g->k + p];
                double bv = g->trans_b ? b[j * g->k + p] : b[p * g->n + j];
                acc += av * bv;
            }
            double v = g->alpha * acc;
            if (g->has_c)
                v += g->beta * (double)c[source_index(i * g->n + j, &mn, &g->c)];
            y[i * g->n + j] = ref_act(v, &g->epilogue);
        }
}

/* Runs one Gemm case on random data and asserts it against ref_gemm. */
static void check_gemm(rt_rng *r, const gemm_case *g)
{
    int64_t a_dims[2] = {g->trans_a ? g->k : g->m, g->trans_a ? g->m : g->k};
    int64_t b_dims[2] = {g->trans_b ? g->n : g->k, g->trans_b ? g->k : g->n};
    int64_t y_dims[2] = {g->m, g->n};
    size_t na = (size_t)(g->m * g->k), nb = (size_t)(g->k * g->n), ny = (size_t)(g->m * g->n);
    size_t nc = g->has_c ? (size_t)count(&g->c) : 1;
    float *a = rt_guarded_alloc(na), *b = rt_guarded_alloc(nb), *c = rt_guarded_alloc(nc);
    float *y = rt_guarded_alloc(ny);
    double *want = malloc(ny * sizeof *want);
    rt_fill_uniform(r, a, na, -1.0f, 1.0f);
    rt_fill_uniform(r, b, nb, -1.0f, 1.0f);
    rt_fill_uniform(r, c, nc, -1.0f, 1.0f);

    runt_attrs attrs;
    memset(&attrs, 0, sizeof attrs);
    attrs.gemm = (runt_gemm_attrs){g->alpha, g->beta, g->trans_a, g->trans_b, g->epilogue};
    runt_tensor in[3] = {rt_tensor_f32(a, 2, a_dims), rt_tensor_f32(b, 2, b_dims),
                         rt_tensor_f32(g->has_c ? c : NULL, g->c.ndim, g->c.dims)};
    runt_tensor out = rt_tensor_f32(y, 2, y_dims);
    runt_status st = runt_ref_gemm(&attrs, in, 3, &out, 1);
    RT_ASSERT(st == RUNT_OK, "gemm %lldx%lldx%lld: status %d", (long long)g->m,
              (long long)g->n, (long long)g->k, (int)st);
    ref_gemm(g, a, b, c, want);
    double err = rt_norm_max_error(y, want, ny, 1e-30);
    RT_ASSERT(err < BOUND,
              "gemm M=%lld N=%lld K=%lld ta=%d tb=%d C rank %d (%s) act %d: error %g",
              (long long)g->m, (long long)g->n, (long long)g->k, g->trans_a, g->trans_b,
              g->c.ndim, g->has_c ? "present" : "absent", (int)g->epilogue.act, err);
    RT_ASSERT(rt_guard_intact(y, ny), "gemm wrote past Y");
    free(want);
    rt_guarded_free(a);
    rt_guarded_free(b);
    rt_guarded_free(c);
    rt_guarded_free(y);
}

/* alpha and beta in +-[0.25, 2), never 1, so a dropped factor shows. */
static float scale_factor(rt_rng *r)
{
    float v = (float)rt_rng_uniform(r, 0.25, 2.0);
    if (v > 0.9f && v < 1.1f)
        v = 1.7f;
    return rt_rng_next(r) & 1 ? v : -v;
}

static gemm_case gemm_mnk(rt_rng *r, int64_t m, int64_t n, int64_t k)
{
    gemm_case g;
    memset(&g, 0, sizeof g);
    g.m = m;
    g.n = n;
    g.k = k;
    g.alpha = scale_factor(r);
    g.beta = scale_factor(r);
    g.has_c = 1;
    g.c.ndim = 2;
    g.c.dims[0] = m;
    g.c.dims[1] = n;
    return g;
}

RT_TEST(ref_gemm, every_transpose_on_odd_shapes)
{
    static const int64_t mnk[][3] = {{1, 1, 1},   {1, 7, 3},    {5, 1, 2},    {7, 5, 3},
                                     {13, 11, 17}, {31, 29, 37}, {2, 3, 64},  {3, 2, 1}};
    rt_rng r = rt_rng_make(301);
    for (size_t s = 0; s < sizeof mnk / sizeof mnk[0]; s++)
        for (int t = 0; t < 4; t++) {
            gemm_case g = gemm_mnk(&r, mnk[s][0], mnk[s][1], mnk[s][2]);
            g.trans_a = t & 1;
            g.trans_b = t >> 1;
            check_gemm(&r, &g);
        }
}

RT_TEST(ref_gemm, every_c_shape)
{
    static const int64_t mn[][2] = {{7, 5}, {1, 9}, {9, 1}, {13, 17}};
    rt_rng r = rt_rng_make(302);
    for (size_t s = 0; s < sizeof mn / sizeof mn[0]; s++) {
        int64_t m = mn[s][0], n = mn[s][1];
        const shape cs[] = {mk(0, NULL),                      /* []     */
                            mk(1, (int64_t[]){1}),            /* [1]    */
                            mk(1, (int64_t[]){n}),            /* [N]    */
                            mk(2, (int64_t[]){1, n}),         /* [1, N] */
                            mk(2, (int64_t[]){m, 1}),         /* [M, 1] */
                            mk(2, (int64_t[]){1, 1}),         /* [1, 1] */
                            mk(2, (int64_t[]){m, n})};        /* [M, N] */
        for (size_t c = 0; c < sizeof cs / sizeof cs[0]; c++)
            for (int t = 0; t < 4; t++) {
                gemm_case g = gemm_mnk(&r, m, n, rt_rng_int(&r, 1, 19));
                g.c = cs[c];
                g.trans_a = t & 1;
                g.trans_b = t >> 1;
                check_gemm(&r, &g);
            }
    }
}

/* C absent as a missing third input and as a NULL-data view. */
RT_TEST(ref_gemm, without_c)
{
    rt_rng r = rt_rng_make(303);
    gemm_case g = gemm_mnk(&r, 11, 7, 5);
    g.has_c = 0;
    check_gemm(&r, &g); /* three views, the third with data NULL */

    int64_t a_dims[2] = {3, 4}, b_dims[2] = {4, 2}, y_dims[2] = {3, 2};
    float *a = rt_guarded_alloc(12), *b = rt_guarded_alloc(8), *y = rt_guarded_alloc(6);
    double want[6];
    rt_fill_uniform(&r, a, 12, -1.0f, 1.0f);
    rt_fill_uniform(&r, b, 8, -1.0f, 1.0f);
    runt_attrs attrs;
    memset(&attrs, 0, sizeof attrs);
    attrs.gemm.alpha = 0.5f;
    attrs.gemm.beta = 3.0f;
    runt_tensor in[2] = {rt_tensor_f32(a, 2, a_dims), rt_tensor_f32(b, 2, b_dims)};
    runt_tensor out = rt_tensor_f32(y, 2, y_dims);
    RT_ASSERT(runt_ref_gemm(&attrs, in, 2, &out, 1) == RUNT_OK, "gemm with two inputs failed");
    gemm_case g2 = gemm_mnk(&r, 3, 2, 4);
    g2.alpha = 0.5f;
    g2.has_c = 0;
    ref_gemm(&g2, a, b, NULL, want);
    double err = rt_norm_max_error(y, want, 6, 1e-30);
    RT_ASSERT(err < BOUND, "gemm with two inputs: error %g", err);
    RT_ASSERT(rt_guard_intact(y, 6), "gemm wrote past Y");
    rt_guarded_free(a);
    rt_guarded_free(b);
    rt_guarded_free(y);
}

RT_TEST(ref_gemm, every_epilogue_activation)
{
    rt_rng r = rt_rng_make(304);
    for (int act = RUNT_ACT_NONE; act <= RUNT_ACT_GELU_TANH; act++)
        for (int t = 0; t < 4; t++) {
            gemm_case g = gemm_mnk(&r, rt_rng_int(&r, 1, 13), rt_rng_int(&r, 1, 13),
                                   rt_rng_int(&r, 1, 23));
            g.trans_a = t & 1;
            g.trans_b = t >> 1;
            g.epilogue.act = (runt_activation)act;
            g.epilogue.alpha = act == RUNT_ACT_CLIP ? -0.7f : 0.13f;
            g.epilogue.beta = 0.9f;
            check_gemm(&r, &g);
        }
}

/* A long K: the double accumulator keeps the error at one rounding. */
RT_TEST(ref_gemm, long_k)
{
    rt_rng r = rt_rng_make(305);
    gemm_case g = gemm_mnk(&r, 3, 5, 4099);
    check_gemm(&r, &g);
    g.trans_a = g.trans_b = 1;
    check_gemm(&r, &g);
}

RT_TEST(ref_gemm, non_f32_is_unsupported)
{
    float a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 2, 3, 4, 5, 6}, c[4] = {1, 2, 3, 4};
    float y[4] = {9, 9, 9, 9};
    int64_t a_dims[2] = {2, 3}, b_dims[2] = {3, 2}, y_dims[2] = {2, 2};
    runt_attrs attrs;
    memset(&attrs, 0, sizeof attrs);
    attrs.gemm.alpha = attrs.gemm.beta = 1.0f;
    /* t[0] A, t[1] B, t[2] C (Gemm only), t[3] Y; one of them not f32 per round */
    for (int which = 0; which < 4; which++) {
        runt_tensor t[4] = {rt_tensor_f32(a, 2, a_dims), rt_tensor_f32(b, 2, b_dims),
                            rt_tensor_f32(c, 2, y_dims), rt_tensor_f32(y, 2, y_dims)};
        t[which].dtype = which == 3 ? RUNT_I32 : RUNT_I8;
        runt_status st = runt_ref_gemm(&attrs, t, 3, &t[3], 1);
        RT_ASSERT(st == RUNT_E_UNSUPPORTED, "gemm with tensor %d not f32: status %d", which,
                  (int)st);
        if (which != 2) {
            st = runt_ref_matmul(NULL, t, 2, &t[3], 1);
            RT_ASSERT(st == RUNT_E_UNSUPPORTED, "matmul with tensor %d not f32: status %d",
                      which, (int)st);
        }
        RT_ASSERT(y[0] == 9 && y[3] == 9, "a refused call wrote its output");
    }
}

/* ------------------------------------------------------------------------- */
/* MatMul                                                                    */
/* ------------------------------------------------------------------------- */

/* numpy matmul: promote 1-D operands to [1, K] / [K, 1], broadcast the batch
 * dims, multiply, then drop the promoted dims. Fills the result shape and,
 * when y is not NULL, the values. */
static shape ref_matmul(const shape *sa, const float *a, const shape *sb, const float *b,
                        double *y)
{
    shape a2 = *sa, b2 = *sb;
    if (sa->ndim == 1)
        a2 = mk(2, (int64_t[]){1, sa->dims[0]});
    if (sb->ndim == 1)
        b2 = mk(2, (int64_t[]){sb->dims[0], 1});
    int64_t m = a2.dims[a2.ndim - 2], k = a2.dims[a2.ndim - 1], n = b2.dims[b2.ndim - 1];
    shape ba = mk(a2.ndim - 2, a2.dims), bb = mk(b2.ndim - 2, b2.dims), batch;
    batch.ndim = ba.ndim > bb.ndim ? ba.ndim : bb.ndim;
    for (int d = 0; d < batch.ndim; d++) {
        int ia = d - (batch.ndim - ba.ndim), ib = d - (batch.ndim - bb.ndim);
        int64_t da = ia >= 0 ? ba.dims[ia] : 1, db = ib >= 0 ? bb.dims[ib] : 1;
        batch.dims[d] = da == 1 ? db : da;
    }
    shape out = batch;
    if (sa->ndim > 1)
        out.dims[out.ndim++] = m;
    if (sb->ndim > 1)
        out.dims[out.ndim++] = n;
    if (!y)
        return out;
    for (int64_t t = 0; t < count(&batch); t++) {
        const float *at = a + source_index(t, &batch, &ba) * m * k;
        const float *bt = b + source_index(t, &batch, &bb) * k * n;
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < n; j++) {
                double acc = 0.0;
                for (int64_t p = 0; p < k; p++)
                    acc += (double)at[i * k + p] * bt[p * n + j];
                y[(t * m + i) * n + j] = acc;
            }
    }
    return out;
}

static void check_matmul(rt_rng *r, const shape *sa, const shape *sb)
{
    shape so = ref_matmul(sa, NULL, sb, NULL, NULL);
    size_t na = (size_t)count(sa), nb = (size_t)count(sb), ny = (size_t)count(&so);
    float *a = rt_guarded_alloc(na), *b = rt_guarded_alloc(nb), *y = rt_guarded_alloc(ny);
    double *want = malloc((ny ? ny : 1) * sizeof *want);
    rt_fill_uniform(r, a, na, -1.0f, 1.0f);
    rt_fill_uniform(r, b, nb, -1.0f, 1.0f);
    runt_tensor in[2] = {rt_tensor_f32(a, sa->ndim, sa->dims), rt_tensor_f32(b, sb->ndim, sb->dims)};
    runt_tensor out = rt_tensor_f32(y, so.ndim, so.dims);
    runt_status st = runt_ref_matmul(NULL, in, 2, &out, 1);
    RT_ASSERT(st == RUNT_OK, "matmul rank %d by rank %d: status %d", sa->ndim, sb->ndim, (int)st);
    ref_matmul(sa, a, sb, b, want);
    double err = rt_norm_max_error(y, want, ny, 1e-30);
    RT_ASSERT(err < BOUND, "matmul rank %d by rank %d (result rank %d): error %g", sa->ndim,
              sb->ndim, so.ndim, err);
    RT_ASSERT(rt_guard_intact(y, ny), "matmul rank %d by rank %d wrote past Y", sa->ndim,
              sb->ndim);
    free(want);
    rt_guarded_free(a);
    rt_guarded_free(b);
    rt_guarded_free(y);
}

RT_TEST(ref_gemm, matmul_promotion_and_batch_broadcast)
{
    static const struct { int na; int64_t a[6]; int nb; int64_t b[6]; } cases[] = {
        {1, {7}, 1, {7}},                             /* dot product: result []  */
        {1, {5}, 2, {5, 3}},                          /* vector x matrix: [N]    */
        {2, {3, 5}, 1, {5}},                          /* matrix x vector: [M]    */
        {2, {1, 1}, 2, {1, 1}},
        {2, {13, 11}, 2, {11, 17}},
        {3, {4, 3, 5}, 2, {5, 7}},                    /* batch on A only         */
        {2, {3, 5}, 3, {4, 5, 7}},                    /* batch on B only         */
        {4, {2, 1, 3, 5}, 3, {3, 5, 2}},              /* both broadcast: [2,3,3,2] */
        {1, {5}, 3, {4, 5, 7}},                       /* vector x batch: [4, 7]  */
        {3, {4, 3, 5}, 1, {5}},                       /* batch x vector: [4, 3]  */
        {3, {1, 3, 5}, 4, {2, 1, 5, 2}},
        {6, {2, 1, 3, 1, 3, 5}, 6, {1, 2, 1, 2, 5, 3}}, /* rank 6                */
        {3, {2, 3, 0}, 2, {0, 4}},                    /* K = 0: zeros            */
    };
    rt_rng r = rt_rng_make(311);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        shape a = mk(cases[c].na, cases[c].a), b = mk(cases[c].nb, cases[c].b);
        check_matmul(&r, &a, &b);
    }
}

/* Random batch ranks 0..4 with broadcast 1s on either side, M/N/K odd or 1. */
RT_TEST(ref_gemm, matmul_random_shapes)
{
    static const int64_t sizes[] = {1, 2, 3, 5, 7, 11};
    rt_rng r = rt_rng_make(312);
    for (int t = 0; t < 100; t++) {
        int64_t m = sizes[rt_rng_int(&r, 0, 5)], n = sizes[rt_rng_int(&r, 0, 5)];
        int64_t k = sizes[rt_rng_int(&r, 0, 5)];
        int nb_full = (int)rt_rng_int(&r, 0, 4);
        int64_t batch[4];
        for (int d = 0; d < nb_full; d++)
            batch[d] = sizes[rt_rng_int(&r, 1, 3)];
        shape sh[2];
        for (int s = 0; s < 2; s++) {
            int nb = (int)rt_rng_int(&r, 0, nb_full);
            sh[s].ndim = 0;
            for (int d = 0; d < nb; d++)
                sh[s].dims[sh[s].ndim++] = rt_rng_int(&r, 0, 2) ? batch[nb_full - nb + d] : 1;
        }
        int vec_a = nb_full == 0 && sh[0].ndim == 0 && rt_rng_int(&r, 0, 3) == 0;
        int vec_b = nb_full == 0 && sh[1].ndim == 0 && rt_rng_int(&r, 0, 3) == 0;
        if (!vec_a)
            sh[0].dims[sh[0].ndim++] = m;
        sh[0].dims[sh[0].ndim++] = k;
        sh[1].dims[sh[1].ndim++] = k;
        if (!vec_b)
            sh[1].dims[sh[1].ndim++] = n;
        check_matmul(&r, &sh[0], &sh[1]);
    }
}
