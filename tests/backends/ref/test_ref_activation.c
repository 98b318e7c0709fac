/*
 * The reference activations against double-precision formulas written here,
 * and the epilogue (runt_ref_activate / runt_ref_apply_epilogue) against the
 * standalone ops it must match bit for bit.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "test_util.h"
#include "ref/ref_impl.h"

/* expf/tanhf/erff in glibc and newlib are within a few ulp (~2.4e-7 relative)
 * and the formulas add a few float roundings; 1e-5 of the output's scale is
 * ~40x that, while any wrong formula, index or branch errs by >1e-3. */
#define BOUND 1e-5

typedef struct act_case {
    const char *name;
    runt_ref_kernel_fn fn;
    runt_attrs attrs;
    runt_activation act; /* the equivalent epilogue; RUNT_ACT_NONE for Erf */
    float alpha, beta;
} act_case;

static const double PI = 3.14159265358979323846;

static double ref_act(double x, runt_activation act, double alpha, double beta)
{
    switch (act) {
    case RUNT_ACT_RELU: return x > 0 ? x : 0.0;
    case RUNT_ACT_LEAKY_RELU: return x >= 0 ? x : alpha * x;
    case RUNT_ACT_CLIP: return x < alpha ? alpha : x > beta ? beta : x;
    case RUNT_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case RUNT_ACT_TANH: return tanh(x);
    case RUNT_ACT_GELU: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    case RUNT_ACT_GELU_TANH:
        return 0.5 * x * (1.0 + tanh(sqrt(2.0 / PI) * (x + 0.044715 * x * x * x)));
    default: return x;
    }
}

static double ref_case(const act_case *c, double x)
{
    return c->fn == runt_ref_erf ? erf(x) : ref_act(x, c->act, c->alpha, c->beta);
}

static act_case make_case(const char *name, runt_ref_kernel_fn fn, runt_activation act,
                          float alpha, float beta)
{
    act_case c;
    memset(&c, 0, sizeof c);
    c.name = name;
    c.fn = fn;
    c.act = act;
    c.alpha = alpha;
    c.beta = beta;
    if (act == RUNT_ACT_LEAKY_RELU)
        c.attrs.leaky_relu.alpha = alpha;
    if (act == RUNT_ACT_CLIP) {
        c.attrs.clip.min = alpha;
        c.attrs.clip.max = beta;
    }
    if (act == RUNT_ACT_GELU_TANH)
        c.attrs.gelu.approximate_tanh = 1;
    return c;
}

/* Every op, with attributes drawn fresh per test; returns how many. */
static int make_cases(rt_rng *r, act_case *cases)
{
    float slope = (float)rt_rng_uniform(r, 0.01, 0.5);
    float lo = (float)rt_rng_uniform(r, -3.0, -0.5), hi = (float)rt_rng_uniform(r, 0.5, 3.0);
    int n = 0;
    cases[n++] = make_case("relu", runt_ref_relu, RUNT_ACT_RELU, 0, 0);
    cases[n++] = make_case("leaky_relu", runt_ref_leaky_relu, RUNT_ACT_LEAKY_RELU, slope, 0);
    cases[n++] = make_case("clip", runt_ref_clip, RUNT_ACT_CLIP, lo, hi);
    cases[n++] = make_case("clip_no_min", runt_ref_clip, RUNT_ACT_CLIP, -INFINITY, hi);
    cases[n++] = make_case("clip_no_max", runt_ref_clip, RUNT_ACT_CLIP, lo, INFINITY);
    cases[n++] = make_case("sigmoid", runt_ref_sigmoid, RUNT_ACT_SIGMOID, 0, 0);
    cases[n++] = make_case("tanh", runt_ref_tanh, RUNT_ACT_TANH, 0, 0);
    cases[n++] = make_case("gelu", runt_ref_gelu, RUNT_ACT_GELU, 0, 0);
    cases[n++] = make_case("gelu_tanh", runt_ref_gelu, RUNT_ACT_GELU_TANH, 0, 0);
    cases[n++] = make_case("erf", runt_ref_erf, RUNT_ACT_NONE, 0, 0);
    return n;
}

/* Rank 0..4 with dims among 1, primes and odd sizes. */
static int random_shape(rt_rng *r, int64_t *dims)
{
    static const int64_t sizes[] = {1, 2, 3, 5, 7, 9, 13, 31};
    int ndim = (int)rt_rng_int(r, 0, 4);
    for (int d = 0; d < ndim; d++)
        dims[d] = sizes[rt_rng_int(r, 0, 7)];
    return ndim;
}

static size_t count_of(int ndim, const int64_t *dims)
{
    size_t n = 1;
    for (int d = 0; d < ndim; d++)
        n *= (size_t)dims[d];
    return n;
}

/* Runs c from x into y (shape dims) and returns the normalized error of y
 * against the double formula. */
static double run_case(const act_case *c, const float *x, float *y, int ndim,
                       const int64_t *dims, runt_status *st)
{
    size_t n = count_of(ndim, dims);
    double *want = malloc(n * sizeof *want);
    runt_tensor in = rt_tensor_f32((float *)x, ndim, dims), out = rt_tensor_f32(y, ndim, dims);
    *st = c->fn(&c->attrs, &in, 1, &out, 1);
    for (size_t i = 0; i < n; i++)
        want[i] = ref_case(c, x[i]);
    double err = rt_norm_max_error(y, want, n, 1e-30);
    free(want);
    return err;
}

RT_TEST(ref_activation, ops_match_double_on_random_shapes)
{
    rt_rng r = rt_rng_make(101);
    act_case cases[10];
    int n_cases = make_cases(&r, cases);
    for (int t = 0; t < 8; t++) {
        int64_t dims[RUNT_MAX_DIMS];
        int ndim = random_shape(&r, dims);
        size_t n = count_of(ndim, dims);
        float *x = rt_guarded_alloc(n), *y = rt_guarded_alloc(n);
        rt_fill_uniform(&r, x, n, -6.0f, 6.0f);
        for (int c = 0; c < n_cases; c++) {
            runt_status st;
            double err = run_case(&cases[c], x, y, ndim, dims, &st);
            RT_ASSERT(st == RUNT_OK, "%s: status %d", cases[c].name, (int)st);
            RT_ASSERT(err < BOUND, "%s on %zu elements: error %g", cases[c].name, n, err);
            RT_ASSERT(rt_guard_intact(y, n), "%s wrote past its output", cases[c].name);
        }
        rt_guarded_free(x);
        rt_guarded_free(y);
    }
}

/* |x| from 1e-3 to FLT_MAX: sigmoid must saturate to 0/1 and the GELUs to
 * 0/x without an inf/inf or inf*0 on the way. */
RT_TEST(ref_activation, large_magnitudes_stay_finite)
{
    rt_rng r = rt_rng_make(102);
    act_case cases[10];
    int n_cases = make_cases(&r, cases);
    enum { N = 200 };
    int64_t dims[1] = {N};
    float *x = rt_guarded_alloc(N), *y = rt_guarded_alloc(N);
    for (int i = 0; i < N - 2; i++) {
        double mag = pow(10.0, rt_rng_uniform(&r, -3.0, 38.0));
        x[i] = (float)(i % 2 ? mag : -mag);
    }
    x[N - 2] = FLT_MAX;
    x[N - 1] = -FLT_MAX;
    for (int c = 0; c < n_cases; c++) {
        runt_status st;
        double err = run_case(&cases[c], x, y, 1, dims, &st);
        RT_ASSERT(st == RUNT_OK, "%s: status %d", cases[c].name, (int)st);
        for (int i = 0; i < N; i++)
            RT_ASSERT(isfinite(y[i]), "%s(%g) = %g", cases[c].name, x[i], y[i]);
        RT_ASSERT(err < BOUND, "%s: error %g", cases[c].name, err);
        RT_ASSERT(rt_guard_intact(y, N), "%s wrote past its output", cases[c].name);
    }
    rt_guarded_free(x);
    rt_guarded_free(y);
}

RT_TEST(ref_activation, in_place_matches_out_of_place)
{
    rt_rng r = rt_rng_make(103);
    act_case cases[10];
    int n_cases = make_cases(&r, cases);
    int64_t dims[3] = {3, 7, 5};
    size_t n = 105;
    float *x = rt_guarded_alloc(n), *y = rt_guarded_alloc(n), *inplace = rt_guarded_alloc(n);
    rt_fill_uniform(&r, x, n, -5.0f, 5.0f);
    for (int c = 0; c < n_cases; c++) {
        memcpy(inplace, x, n * sizeof *x);
        runt_tensor in = rt_tensor_f32(x, 3, dims), out = rt_tensor_f32(y, 3, dims);
        runt_tensor io = rt_tensor_f32(inplace, 3, dims);
        RT_ASSERT(cases[c].fn(&cases[c].attrs, &in, 1, &out, 1) == RUNT_OK, "%s", cases[c].name);
        RT_ASSERT(cases[c].fn(&cases[c].attrs, &io, 1, &io, 1) == RUNT_OK, "%s in place",
                  cases[c].name);
        RT_ASSERT(memcmp(y, inplace, n * sizeof *y) == 0, "%s: in-place result differs",
                  cases[c].name);
        RT_ASSERT(rt_guard_intact(inplace, n), "%s wrote past its output", cases[c].name);
    }
    rt_guarded_free(x);
    rt_guarded_free(y);
    rt_guarded_free(inplace);
}

/* A fused epilogue must compute exactly what the standalone op does, so a
 * session gives the same bits with and without fusion. */
RT_TEST(ref_activation, epilogue_matches_standalone_ops)
{
    rt_rng r = rt_rng_make(104);
    act_case cases[10];
    int n_cases = make_cases(&r, cases);
    int64_t dims[2] = {11, 13};
    size_t n = 143;
    float *x = rt_guarded_alloc(n), *y = rt_guarded_alloc(n), *e = rt_guarded_alloc(n);
    rt_fill_uniform(&r, x, n, -8.0f, 8.0f);
    for (int c = 0; c < n_cases; c++) {
        if (cases[c].fn == runt_ref_erf)
            continue; /* not an epilogue activation */
        runt_epilogue ep = {cases[c].act, cases[c].alpha, cases[c].beta};
        runt_tensor in = rt_tensor_f32(x, 2, dims), out = rt_tensor_f32(y, 2, dims);
        RT_ASSERT(cases[c].fn(&cases[c].attrs, &in, 1, &out, 1) == RUNT_OK, "%s", cases[c].name);
        memcpy(e, x, n * sizeof *x);
        runt_ref_apply_epilogue(e, (int64_t)n, &ep);
        RT_ASSERT(memcmp(e, y, n * sizeof *y) == 0, "%s: apply_epilogue differs from the op",
                  cases[c].name);
        for (size_t i = 0; i < n; i++) {
            float one = runt_ref_activate(x[i], &ep);
            RT_ASSERT(memcmp(&one, &y[i], sizeof one) == 0, "%s: activate(%g) = %g, op gave %g",
                      cases[c].name, x[i], one, y[i]);
        }
        RT_ASSERT(rt_guard_intact(e, n), "%s: epilogue wrote past n", cases[c].name);
    }
    rt_guarded_free(x);
    rt_guarded_free(y);
    rt_guarded_free(e);
}

RT_TEST(ref_activation, epilogue_none_is_identity)
{
    rt_rng r = rt_rng_make(105);
    size_t n = 37;
    float *x = rt_guarded_alloc(n), *e = rt_guarded_alloc(n);
    rt_fill_uniform(&r, x, n, -3.0f, 3.0f);
    memcpy(e, x, n * sizeof *x);
    runt_epilogue none = {RUNT_ACT_NONE, 0.5f, 2.0f};
    runt_ref_apply_epilogue(e, (int64_t)n, &none);
    RT_ASSERT(memcmp(e, x, n * sizeof *x) == 0, "RUNT_ACT_NONE changed the data");
    for (size_t i = 0; i < n; i++)
        RT_ASSERT(runt_ref_activate(x[i], &none) == x[i], "activate NONE(%g) changed it", x[i]);
    RT_ASSERT(rt_guard_intact(e, n), "epilogue wrote past n");
    rt_guarded_free(x);
    rt_guarded_free(e);
}

/* numpy's maximum/clip (the ONNX reference) propagate NaN. */
RT_TEST(ref_activation, nan_propagates)
{
    rt_rng r = rt_rng_make(106);
    act_case cases[10];
    int n_cases = make_cases(&r, cases);
    for (int c = 0; c < n_cases; c++) {
        float x = NAN, y = 0.0f;
        int64_t dims[1] = {1};
        runt_tensor in = rt_tensor_f32(&x, 1, dims), out = rt_tensor_f32(&y, 1, dims);
        RT_ASSERT(cases[c].fn(&cases[c].attrs, &in, 1, &out, 1) == RUNT_OK, "%s", cases[c].name);
        RT_ASSERT(isnan(y), "%s(NaN) = %g", cases[c].name, y);
    }
}

RT_TEST(ref_activation, non_f32_is_unsupported)
{
    rt_rng r = rt_rng_make(107);
    act_case cases[10];
    int n_cases = make_cases(&r, cases);
    float x[4] = {1, -2, 3, -4}, y[4] = {7, 7, 7, 7};
    int64_t dims[1] = {4};
    for (int c = 0; c < n_cases; c++) {
        runt_tensor in = rt_tensor_f32(x, 1, dims), out = rt_tensor_f32(y, 1, dims);
        in.dtype = RUNT_I8;
        runt_status st = cases[c].fn(&cases[c].attrs, &in, 1, &out, 1);
        RT_ASSERT(st == RUNT_E_UNSUPPORTED, "%s with an int8 input: status %d", cases[c].name,
                  (int)st);
        in.dtype = RUNT_F32;
        out.dtype = RUNT_I32;
        st = cases[c].fn(&cases[c].attrs, &in, 1, &out, 1);
        RT_ASSERT(st == RUNT_E_UNSUPPORTED, "%s with an int32 output: status %d", cases[c].name,
                  (int)st);
        RT_ASSERT(y[0] == 7 && y[3] == 7, "%s wrote an output it refused", cases[c].name);
    }
}

/* ONNX Clip is Min(max, Max(x, min)) (opset 13 text): when min > max every
 * element becomes max, in the op and in the fused epilogue alike. */
RT_TEST(ref_activation, clip_min_above_max_gives_max)
{
    rt_rng r = rt_rng_make(108);
    float x[64], y[64];
    int64_t dims[1] = {64};
    rt_fill_uniform(&r, x, 64, -4.0f, 4.0f);
    runt_attrs a;
    runt_attrs_default(RUNT_OP_CLIP, &a);
    a.clip.min = 1.5f;
    a.clip.max = -0.5f;
    runt_tensor in = rt_tensor_f32(x, 1, dims), out = rt_tensor_f32(y, 1, dims);
    RT_ASSERT(runt_ref_clip(&a, &in, 1, &out, 1) == RUNT_OK, "clip: %s", runt_last_error());
    runt_epilogue e = {RUNT_ACT_CLIP, a.clip.min, a.clip.max};
    for (int i = 0; i < 64; i++) {
        RT_ASSERT(y[i] == -0.5f, "clip(%g, min 1.5, max -0.5) = %g, want -0.5", x[i], y[i]);
        RT_ASSERT(runt_ref_activate(x[i], &e) == -0.5f, "epilogue clip(%g) = %g, want -0.5",
                  x[i], runt_ref_activate(x[i], &e));
    }
}
