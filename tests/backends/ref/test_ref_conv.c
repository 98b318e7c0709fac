/*
 * runt_ref_conv against the naive 7-loop definition of ONNX Conv computed in
 * double, on random shapes and data: batch 1 and more, odd and prime sizes,
 * 1x1 kernels and kernels as large as the input, strides, dilations,
 * asymmetric pads, groups (2 and depthwise), bias or none, every epilogue.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref_impl.h"
#include "rt_test.h"
#include "test_util.h"

/* f32 accumulation over at most a few hundred taps, normalized by the largest
 * output: measured worst below 1e-6, so 1e-5 leaves a wide margin. */
#define CONV_TOL 1e-5

typedef struct conv_case {
    int64_t n, c, h, w, m, kh, kw;
    int group, stride[2], dil[2], pads[4]; /* pads: top, left, bottom, right */
    int bias;
    runt_epilogue ep;
} conv_case;

/* ONNX: floor((in + pad_begin + pad_end - ((k - 1) * d + 1)) / s) + 1. */
static int64_t conv_out_size(int64_t in, int pb, int pe, int64_t k, int d, int s)
{
    return (in + pb + pe - ((k - 1) * d + 1)) / s + 1;
}

/* A random case with group 1 and no epilogue; tests then override fields. */
static conv_case conv_random(rt_rng *r)
{
    conv_case k;
    memset(&k, 0, sizeof k);
    k.n = rt_rng_int(r, 1, 3);
    k.c = rt_rng_int(r, 1, 5);
    k.m = rt_rng_int(r, 1, 6);
    k.h = rt_rng_int(r, 1, 13);
    k.w = rt_rng_int(r, 1, 13);
    k.kh = rt_rng_int(r, 1, 5);
    k.kw = rt_rng_int(r, 1, 5);
    k.group = 1;
    for (int i = 0; i < 2; i++) {
        k.stride[i] = (int)rt_rng_int(r, 1, 3);
        k.dil[i] = (int)rt_rng_int(r, 1, 2);
    }
    for (int i = 0; i < 4; i++)
        k.pads[i] = (int)rt_rng_int(r, 0, 2);
    k.bias = (int)rt_rng_int(r, 0, 1);
    return k;
}

/* Grows the input until at least one output position exists. */
static void conv_fit(conv_case *k)
{
    int64_t eh = (k->kh - 1) * k->dil[0] + 1, ew = (k->kw - 1) * k->dil[1] + 1;
    if (k->h + k->pads[0] + k->pads[2] < eh)
        k->h = eh - k->pads[0] - k->pads[2];
    if (k->w + k->pads[1] + k->pads[3] < ew)
        k->w = ew - k->pads[1] - k->pads[3];
    if (k->h < 1)
        k->h = 1;
    if (k->w < 1)
        k->w = 1;
}

static double act_ref(double v, const runt_epilogue *e)
{
    switch (e->act) {
    case RUNT_ACT_RELU: return v < 0 ? 0 : v;
    case RUNT_ACT_LEAKY_RELU: return v < 0 ? e->alpha * v : v;
    case RUNT_ACT_CLIP: return v < e->alpha ? e->alpha : v > e->beta ? e->beta : v;
    case RUNT_ACT_SIGMOID: return 1.0 / (1.0 + exp(-v));
    case RUNT_ACT_TANH: return tanh(v);
    case RUNT_ACT_GELU: return 0.5 * v * (1.0 + erf(v / sqrt(2.0)));
    case RUNT_ACT_GELU_TANH:
        return 0.5 * v * (1.0 + tanh(sqrt(2.0 / acos(-1.0)) * (v + 0.044715 * v * v * v)));
    default: return v;
    }
}

/* The definition: every output element is bias plus the sum over its group's
 * input channels and every kernel tap that lands inside the input. */
static void conv_reference(const conv_case *k, const float *x, const float *w, const float *b,
                           int64_t oh, int64_t ow, double *y)
{
    int64_t cg = k->c / k->group, mg = k->m / k->group;
    for (int64_t n = 0; n < k->n; n++)
        for (int64_t m = 0; m < k->m; m++)
            for (int64_t oy = 0; oy < oh; oy++)
                for (int64_t ox = 0; ox < ow; ox++) {
                    double acc = b ? b[m] : 0.0;
                    for (int64_t c = 0; c < cg; c++)
                        for (int64_t i = 0; i < k->kh; i++)
                            for (int64_t j = 0; j < k->kw; j++) {
                                int64_t iy = oy * k->stride[0] - k->pads[0] + i * k->dil[0];
                                int64_t ix = ox * k->stride[1] - k->pads[1] + j * k->dil[1];
                                if (iy < 0 || iy >= k->h || ix < 0 || ix >= k->w)
                                    continue;
                                int64_t ci = (m / mg) * cg + c;
                                acc += (double)x[((n * k->c + ci) * k->h + iy) * k->w + ix] *
                                       w[((m * cg + c) * k->kh + i) * k->kw + j];
                            }
                    y[((n * k->m + m) * oh + oy) * ow + ox] = act_ref(acc, &k->ep);
                }
}

static runt_attrs conv_attrs(const conv_case *k)
{
    runt_attrs a;
    memset(&a, 0, sizeof a);
    a.conv.kernel[0] = (int)k->kh;
    a.conv.kernel[1] = (int)k->kw;
    for (int i = 0; i < 2; i++) {
        a.conv.strides[i] = k->stride[i];
        a.conv.dilations[i] = k->dil[i];
    }
    memcpy(a.conv.pads, k->pads, sizeof a.conv.pads);
    a.conv.group = k->group;
    a.conv.epilogue = k->ep;
    return a;
}

/* Runs one case through the kernel and checks it against the definition.
 * bias_inputs: 2 passes no bias input at all, 3 passes one (data NULL when
 * the case has no bias). */
static void conv_run(const conv_case *k, rt_rng *r, int bias_inputs, const char *what)
{
    int64_t oh = conv_out_size(k->h, k->pads[0], k->pads[2], k->kh, k->dil[0], k->stride[0]);
    int64_t ow = conv_out_size(k->w, k->pads[1], k->pads[3], k->kw, k->dil[1], k->stride[1]);
    RT_ASSERT(oh >= 1 && ow >= 1, "%s: test case has no output (%lld x %lld)", what,
              (long long)oh, (long long)ow);
    int64_t cg = k->c / k->group;
    size_t nx = (size_t)(k->n * k->c * k->h * k->w), nw = (size_t)(k->m * cg * k->kh * k->kw);
    size_t ny = (size_t)(k->n * k->m * oh * ow);
    float *x = malloc(nx * sizeof *x), *w = malloc(nw * sizeof *w);
    float *b = malloc((size_t)k->m * sizeof *b), *y = rt_guarded_alloc(ny);
    double *want = malloc(ny * sizeof *want);
    RT_ASSERT(x && w && b && y && want, "%s: out of memory", what);
    rt_fill_uniform(r, x, nx, -1.0f, 1.0f);
    rt_fill_uniform(r, w, nw, -1.0f, 1.0f);
    rt_fill_uniform(r, b, (size_t)k->m, -1.0f, 1.0f);
    for (size_t i = 0; i < ny; i++)
        y[i] = NAN; /* any element the kernel misses fails the comparison */

    int64_t xd[4] = {k->n, k->c, k->h, k->w}, wd[4] = {k->m, cg, k->kh, k->kw};
    int64_t bd[1] = {k->m}, yd[4] = {k->n, k->m, oh, ow};
    runt_tensor in[3] = {rt_tensor_f32(x, 4, xd), rt_tensor_f32(w, 4, wd),
                         rt_tensor_f32(k->bias ? b : NULL, 1, bd)};
    runt_tensor out = rt_tensor_f32(y, 4, yd);
    runt_attrs a = conv_attrs(k);
    runt_status s = runt_ref_conv(&a, in, bias_inputs, &out, 1);
    RT_ASSERT(s == RUNT_OK, "%s: runt_ref_conv returned %d", what, (int)s);

    conv_reference(k, x, w, k->bias ? b : NULL, oh, ow, want);
    double err = rt_norm_max_error(y, want, ny, 1.0);
    RT_ASSERT(err <= CONV_TOL,
              "%s: error %g; X [%lld,%lld,%lld,%lld] W [%lld,%lld,%lld,%lld] group %d "
              "strides %d,%d dilations %d,%d pads %d,%d,%d,%d bias %d act %d",
              what, err, (long long)k->n, (long long)k->c, (long long)k->h, (long long)k->w,
              (long long)k->m, (long long)cg, (long long)k->kh, (long long)k->kw, k->group,
              k->stride[0], k->stride[1], k->dil[0], k->dil[1], k->pads[0], k->pads[1],
              k->pads[2], k->pads[3], k->bias, (int)k->ep.act);
    RT_ASSERT(rt_guard_intact(y, ny), "%s: write past the end of Y", what);
    free(x);
    free(w);
    free(b);
    free(want);
    rt_guarded_free(y);
}

RT_TEST(ref_conv, random_mixed)
{
    rt_rng r = rt_rng_make(101);
    for (int t = 0; t < 80; t++) {
        conv_case k = conv_random(&r);
        int64_t g = rt_rng_int(&r, 1, 3);
        k.group = (int)g;
        k.c = g * rt_rng_int(&r, 1, 3);
        k.m = g * rt_rng_int(&r, 1, 3);
        k.ep.act = (runt_activation)rt_rng_int(&r, RUNT_ACT_NONE, RUNT_ACT_RELU);
        conv_fit(&k);
        conv_run(&k, &r, 3, "random_mixed");
    }
}

RT_TEST(ref_conv, strides_and_dilation)
{
    rt_rng r = rt_rng_make(102);
    const int strides[][2] = {{2, 2}, {3, 3}, {2, 3}, {3, 1}};
    for (int t = 0; t < 32; t++) {
        conv_case k = conv_random(&r);
        k.stride[0] = strides[t % 4][0];
        k.stride[1] = strides[t % 4][1];
        k.dil[0] = k.dil[1] = t % 2 ? 2 : 1;
        k.kh = rt_rng_int(&r, 2, 4);
        k.kw = rt_rng_int(&r, 2, 4);
        conv_fit(&k);
        conv_run(&k, &r, 3, "strides_and_dilation");
    }
}

RT_TEST(ref_conv, asymmetric_pads)
{
    rt_rng r = rt_rng_make(103);
    for (int t = 0; t < 32; t++) {
        conv_case k = conv_random(&r);
        k.pads[0] = (int)rt_rng_int(&r, 0, 1);
        k.pads[2] = k.pads[0] + (int)rt_rng_int(&r, 1, 2); /* bottom > top */
        k.pads[3] = (int)rt_rng_int(&r, 0, 1);
        k.pads[1] = k.pads[3] + (int)rt_rng_int(&r, 1, 2); /* left > right */
        conv_fit(&k);
        conv_run(&k, &r, 3, "asymmetric_pads");
    }
}

RT_TEST(ref_conv, two_groups)
{
    rt_rng r = rt_rng_make(104);
    for (int t = 0; t < 24; t++) {
        conv_case k = conv_random(&r);
        k.group = 2;
        k.c = 2 * rt_rng_int(&r, 1, 3);
        k.m = 2 * rt_rng_int(&r, 1, 3);
        conv_fit(&k);
        conv_run(&k, &r, 3, "two_groups");
    }
}

/* group == C, with channel multiplier 1 (M == C) and 2 (M == 2C). */
RT_TEST(ref_conv, depthwise)
{
    rt_rng r = rt_rng_make(105);
    for (int t = 0; t < 24; t++) {
        conv_case k = conv_random(&r);
        k.c = rt_rng_int(&r, 1, 7);
        k.group = (int)k.c;
        k.m = k.c * (t % 2 + 1);
        k.kh = k.kw = 3;
        k.pads[0] = k.pads[1] = k.pads[2] = k.pads[3] = 1;
        conv_fit(&k);
        conv_run(&k, &r, 3, "depthwise");
    }
}

/* No bias as an absent input (n_in 2), as a NULL data input, and a real one. */
RT_TEST(ref_conv, bias_and_no_bias)
{
    rt_rng r = rt_rng_make(106);
    for (int t = 0; t < 12; t++) {
        conv_case k = conv_random(&r);
        conv_fit(&k);
        k.bias = 0;
        conv_run(&k, &r, 2, "no bias input");
        conv_run(&k, &r, 3, "bias input with NULL data");
        k.bias = 1;
        conv_run(&k, &r, 3, "bias");
    }
}

RT_TEST(ref_conv, every_epilogue)
{
    const runt_epilogue eps[] = {
        {RUNT_ACT_NONE, 0.0f, 0.0f},     {RUNT_ACT_RELU, 0.0f, 0.0f},
        {RUNT_ACT_LEAKY_RELU, 0.1f, 0.0f}, {RUNT_ACT_CLIP, -0.5f, 0.75f},
        {RUNT_ACT_SIGMOID, 0.0f, 0.0f},  {RUNT_ACT_TANH, 0.0f, 0.0f},
        {RUNT_ACT_GELU, 0.0f, 0.0f},     {RUNT_ACT_GELU_TANH, 0.0f, 0.0f},
    };
    rt_rng r = rt_rng_make(107);
    for (size_t e = 0; e < sizeof eps / sizeof eps[0]; e++)
        for (int t = 0; t < 4; t++) {
            conv_case k = conv_random(&r);
            k.ep = eps[e];
            k.bias = 1;
            conv_fit(&k);
            conv_run(&k, &r, 3, "every_epilogue");
        }
}

RT_TEST(ref_conv, one_by_one_kernel)
{
    rt_rng r = rt_rng_make(108);
    for (int t = 0; t < 16; t++) {
        conv_case k = conv_random(&r);
        k.kh = k.kw = 1;
        k.c = rt_rng_int(&r, 1, 17);
        k.m = rt_rng_int(&r, 1, 17);
        if (t % 2)
            memset(k.pads, 0, sizeof k.pads);
        conv_fit(&k);
        conv_run(&k, &r, 3, "one_by_one_kernel");
    }
}

/* A kernel covering the whole (prime-sized) input: one output pixel without
 * padding, a small map with it. */
RT_TEST(ref_conv, kernel_equals_input)
{
    const int64_t primes[] = {2, 3, 5, 7, 11, 13};
    rt_rng r = rt_rng_make(109);
    for (int t = 0; t < 12; t++) {
        conv_case k = conv_random(&r);
        k.h = k.kh = primes[rt_rng_int(&r, 0, 5)];
        k.w = k.kw = primes[rt_rng_int(&r, 0, 5)];
        k.dil[0] = k.dil[1] = 1;
        if (t % 2 == 0)
            memset(k.pads, 0, sizeof k.pads);
        conv_run(&k, &r, 3, "kernel_equals_input");
    }
}

RT_TEST(ref_conv, batches)
{
    rt_rng r = rt_rng_make(110);
    for (int t = 0; t < 12; t++) {
        conv_case k = conv_random(&r);
        k.n = t < 4 ? 1 : rt_rng_int(&r, 2, 5);
        k.group = t % 3 == 0 ? 2 : 1;
        k.c = k.group * rt_rng_int(&r, 1, 3);
        k.m = k.group * rt_rng_int(&r, 1, 3);
        conv_fit(&k);
        conv_run(&k, &r, 3, "batches");
    }
}

/* ------------------------------------------------------------------------- */
/* Bad inputs                                                                */
/* ------------------------------------------------------------------------- */

/* A valid 1x4x5x5 input, 6x2x3x3 weights (group 2), bias, 1x6x3x3 output. */
typedef struct conv_fixture {
    float x[100], w[108], b[6], y[54];
    runt_tensor in[3], out;
    runt_attrs a;
} conv_fixture;

static void conv_fixture_init(conv_fixture *f)
{
    static const int64_t xd[4] = {1, 4, 5, 5}, wd[4] = {6, 2, 3, 3}, bd[1] = {6};
    static const int64_t yd[4] = {1, 6, 3, 3};
    rt_rng r = rt_rng_make(111);
    rt_fill_uniform(&r, f->x, 100, -1.0f, 1.0f);
    rt_fill_uniform(&r, f->w, 108, -1.0f, 1.0f);
    rt_fill_uniform(&r, f->b, 6, -1.0f, 1.0f);
    f->in[0] = rt_tensor_f32(f->x, 4, xd);
    f->in[1] = rt_tensor_f32(f->w, 4, wd);
    f->in[2] = rt_tensor_f32(f->b, 1, bd);
    f->out = rt_tensor_f32(f->y, 4, yd);
    memset(&f->a, 0, sizeof f->a);
    f->a.conv.kernel[0] = f->a.conv.kernel[1] = 3;
    f->a.conv.strides[0] = f->a.conv.strides[1] = 1;
    f->a.conv.dilations[0] = f->a.conv.dilations[1] = 1;
    f->a.conv.group = 2;
}

static runt_status conv_fixture_run(conv_fixture *f)
{
    return runt_ref_conv(&f->a, f->in, 3, &f->out, 1);
}

RT_TEST(ref_conv, fixture_is_valid)
{
    conv_fixture f;
    conv_fixture_init(&f);
    RT_ASSERT(conv_fixture_run(&f) == RUNT_OK, "the unmodified fixture must run");
}

RT_TEST(ref_conv, rejects_non_f32)
{
    conv_fixture f;
    for (int which = 0; which < 4; which++) {
        conv_fixture_init(&f);
        runt_tensor *t = which < 3 ? &f.in[which] : &f.out;
        t->dtype = RUNT_I8;
        runt_status s = conv_fixture_run(&f);
        RT_ASSERT(s == RUNT_E_UNSUPPORTED, "int8 tensor %d: got status %d", which, (int)s);
        RT_ASSERT(runt_last_error()[0] != '\0', "int8 tensor %d: no error message", which);
    }
}

RT_TEST(ref_conv, rejects_non_2d)
{
    conv_fixture f;
    conv_fixture_init(&f);
    f.in[0].ndim = 3;
    RT_ASSERT(conv_fixture_run(&f) == RUNT_E_UNSUPPORTED, "a 3-D input is 1-D conv");
}

RT_TEST(ref_conv, rejects_disagreeing_shapes)
{
    conv_fixture f;
    const char *what[] = {"C != C/group * group", "M not a multiple of group", "Y batch",
                          "Y channels", "bias length", "kernel attr vs W"};
    for (int t = 0; t < 6; t++) {
        conv_fixture_init(&f);
        switch (t) {
        case 0: f.in[0].dims[1] = 5; break;
        case 1: f.in[1].dims[0] = 5; f.in[2].dims[0] = 5; f.out.dims[1] = 5; break;
        case 2: f.out.dims[0] = 2; break;
        case 3: f.out.dims[1] = 4; break;
        case 4: f.in[2].dims[0] = 3; break;
        case 5: f.a.conv.kernel[1] = 2; break;
        }
        runt_status s = conv_fixture_run(&f);
        RT_ASSERT(s == RUNT_E_SHAPE, "%s: got status %d", what[t], (int)s);
    }
}

RT_TEST(ref_conv, rejects_bad_arguments)
{
    conv_fixture f;
    conv_fixture_init(&f);
    RT_ASSERT(runt_ref_conv(NULL, f.in, 3, &f.out, 1) == RUNT_E_INVALID_ARG, "NULL attrs");
    RT_ASSERT(runt_ref_conv(&f.a, f.in, 1, &f.out, 1) == RUNT_E_INVALID_ARG, "no weights");
    RT_ASSERT(runt_ref_conv(&f.a, f.in, 3, &f.out, 0) == RUNT_E_INVALID_ARG, "no output");
    for (int t = 0; t < 6; t++) {
        conv_fixture_init(&f);
        switch (t) {
        case 0: f.in[0].data = NULL; break;
        case 1: f.in[1].data = NULL; break;
        case 2: f.out.data = NULL; break;
        case 3: f.a.conv.group = 0; break;
        case 4: f.a.conv.strides[1] = 0; break;
        case 5: f.a.conv.dilations[0] = 0; break;
        }
        runt_status s = conv_fixture_run(&f);
        RT_ASSERT(s == RUNT_E_INVALID_ARG, "case %d: got status %d", t, (int)s);
    }
}
