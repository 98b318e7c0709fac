/*
 * BatchNormalization (inference) and LayerNormalization-17 against
 * double-precision formulas written here: random shapes, every layer-norm
 * axis (negative too), Scale/B broadcast over the normalized dims, the
 * optional Mean and InvStdDev outputs, zero variance, in-place.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "test_util.h"
#include "ref/ref_impl.h"

/* Both kernels compute in double and round once (~6e-8 of the output's
 * scale); 1e-5 is a wide margin that still catches a wrong channel, a wrong
 * block or a biased variance (each off by >1e-3 at these sizes). */
#define BOUND 1e-5

typedef struct shape {
    int ndim;
    int64_t dims[RUNT_MAX_DIMS];
} shape;

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

/* ------------------------------------------------------------------------- */
/* BatchNormalization                                                        */
/* ------------------------------------------------------------------------- */

typedef struct bn_data {
    float *x, *y, *scale, *bias, *mean, *var;
} bn_data;

static bn_data bn_alloc(rt_rng *r, const shape *s)
{
    size_t n = (size_t)count(s), c = (size_t)s->dims[1];
    bn_data d = {rt_guarded_alloc(n), rt_guarded_alloc(n), rt_guarded_alloc(c),
                 rt_guarded_alloc(c), rt_guarded_alloc(c), rt_guarded_alloc(c)};
    rt_fill_uniform(r, d.x, n, -3.0f, 3.0f);
    rt_fill_uniform(r, d.scale, c, -2.0f, 2.0f);
    rt_fill_uniform(r, d.bias, c, -1.0f, 1.0f);
    rt_fill_uniform(r, d.mean, c, -1.0f, 1.0f);
    rt_fill_uniform(r, d.var, c, 0.05f, 3.0f);
    return d;
}

static void bn_free(bn_data *d)
{
    float *all[6] = {d->x, d->y, d->scale, d->bias, d->mean, d->var};
    for (int i = 0; i < 6; i++)
        rt_guarded_free(all[i]);
}

static runt_status bn_run(const shape *s, const bn_data *d, float *y, float epsilon)
{
    int64_t c_dims[1] = {s->dims[1]};
    runt_attrs attrs;
    memset(&attrs, 0, sizeof attrs);
    attrs.batch_norm.epsilon = epsilon;
    runt_tensor in[5] = {rt_tensor_f32(d->x, s->ndim, s->dims), rt_tensor_f32(d->scale, 1, c_dims),
                         rt_tensor_f32(d->bias, 1, c_dims), rt_tensor_f32(d->mean, 1, c_dims),
                         rt_tensor_f32(d->var, 1, c_dims)};
    runt_tensor out = rt_tensor_f32(y, s->ndim, s->dims);
    return runt_ref_batch_norm(&attrs, in, 5, &out, 1);
}

static void bn_check(const shape *s, const bn_data *d, float epsilon, const char *what)
{
    size_t n = (size_t)count(s);
    int64_t channels = s->dims[1], spatial = (int64_t)n / (s->dims[0] * channels);
    double *want = malloc(n * sizeof *want);
    runt_status st = bn_run(s, d, d->y, epsilon);
    RT_ASSERT(st == RUNT_OK, "%s: status %d", what, (int)st);
    for (size_t i = 0; i < n; i++) {
        int64_t c = (int64_t)i / spatial % channels;
        want[i] = ((double)d->x[i] - d->mean[c]) / sqrt((double)d->var[c] + epsilon) *
                      d->scale[c] + d->bias[c];
    }
    double err = rt_norm_max_error(d->y, want, n, 1e-30);
    RT_ASSERT(err < BOUND, "%s: rank %d C=%lld eps %g: error %g", what, s->ndim,
              (long long)channels, epsilon, err);
    RT_ASSERT(rt_guard_intact(d->y, n), "%s wrote past Y", what);
    free(want);
}

RT_TEST(ref_norm, batch_norm_random_shapes)
{
    static const int64_t shapes[][5] = {{1, 1},       {7, 3},      {2, 5, 11},  {3, 13, 1},
                                        {2, 3, 5, 7}, {1, 1, 1, 1}, {2, 3, 5, 1, 3}};
    static const int ranks[] = {2, 2, 3, 3, 4, 4, 5};
    rt_rng r = rt_rng_make(501);
    for (size_t k = 0; k < sizeof ranks / sizeof ranks[0]; k++) {
        shape s = mk(ranks[k], shapes[k]);
        bn_data d = bn_alloc(&r, &s);
        bn_check(&s, &d, (float)rt_rng_uniform(&r, 1e-6, 1e-2), "batch_norm");
        bn_free(&d);
    }
}

/* Zero (and subnormal-small) variance: the result rests on epsilon alone. */
RT_TEST(ref_norm, batch_norm_zero_variance_uses_epsilon)
{
    rt_rng r = rt_rng_make(502);
    shape s = mk(4, (int64_t[]){2, 5, 3, 3});
    bn_data d = bn_alloc(&r, &s);
    for (int c = 0; c < 5; c++)
        d.var[c] = c % 2 ? 0.0f : 1e-30f;
    bn_check(&s, &d, 1e-5f, "zero variance, eps 1e-5");
    bn_check(&s, &d, 1.0f, "zero variance, eps 1");
    bn_free(&d);
}

RT_TEST(ref_norm, batch_norm_in_place)
{
    rt_rng r = rt_rng_make(503);
    shape s = mk(4, (int64_t[]){3, 7, 2, 5});
    size_t n = (size_t)count(&s);
    bn_data d = bn_alloc(&r, &s);
    RT_ASSERT(bn_run(&s, &d, d.y, 1e-5f) == RUNT_OK, "batch_norm failed");
    RT_ASSERT(bn_run(&s, &d, d.x, 1e-5f) == RUNT_OK, "batch_norm in place failed");
    RT_ASSERT(memcmp(d.x, d.y, n * sizeof *d.x) == 0, "in-place batch_norm differs");
    RT_ASSERT(rt_guard_intact(d.x, n), "in-place batch_norm wrote past Y");
    bn_free(&d);
}

RT_TEST(ref_norm, batch_norm_non_f32_is_unsupported)
{
    rt_rng r = rt_rng_make(504);
    shape s = mk(2, (int64_t[]){2, 3});
    bn_data d = bn_alloc(&r, &s);
    int64_t c_dims[1] = {3};
    runt_attrs attrs;
    memset(&attrs, 0, sizeof attrs);
    attrs.batch_norm.epsilon = 1e-5f;
    for (int which = 0; which < 6; which++) {
        runt_tensor t[6] = {rt_tensor_f32(d.x, 2, s.dims),     rt_tensor_f32(d.scale, 1, c_dims),
                            rt_tensor_f32(d.bias, 1, c_dims),  rt_tensor_f32(d.mean, 1, c_dims),
                            rt_tensor_f32(d.var, 1, c_dims),   rt_tensor_f32(d.y, 2, s.dims)};
        t[which].dtype = RUNT_I8;
        memset(d.y, 0x7f, 6 * sizeof *d.y);
        runt_status st = runt_ref_batch_norm(&attrs, t, 5, &t[5], 1);
        RT_ASSERT(st == RUNT_E_UNSUPPORTED, "batch_norm with tensor %d not f32: status %d",
                  which, (int)st);
        RT_ASSERT(((unsigned char *)d.y)[0] == 0x7f, "batch_norm wrote an output it refused");
    }
    bn_free(&d);
}

/* ------------------------------------------------------------------------- */
/* LayerNormalization                                                        */
/* ------------------------------------------------------------------------- */

/* Index into p of element `i` of a block of shape blk (p broadcasts, numpy). */
static int64_t param_index(int64_t i, const shape *blk, const shape *p)
{
    int64_t idx[RUNT_MAX_DIMS];
    for (int d = blk->ndim - 1; d >= 0; d--) {
        idx[d] = i % blk->dims[d];
        i /= blk->dims[d];
    }
    int64_t index = 0;
    for (int d = 0; d < p->ndim; d++) {
        int bd = d + blk->ndim - p->ndim;
        index = index * p->dims[d] + (p->dims[d] == 1 || bd < 0 ? 0 : idx[bd]);
    }
    return index;
}

typedef struct ln_case {
    shape x, scale, bias;
    int axis;        /* as given to the kernel: may be negative */
    int has_bias;
    int want_mean, want_inv_std;
    float epsilon;
} ln_case;

/* Runs one LayerNormalization case on x and asserts Y, Mean and InvStdDev
 * against double. x is read only; y may be x (in-place). */
static void ln_check(rt_rng *r, const ln_case *c, const float *x, float *y, const char *what)
{
    int axis = c->axis < 0 ? c->axis + c->x.ndim : c->axis;
    shape blk = mk(c->x.ndim - axis, c->x.dims + axis);
    int64_t n = count(&c->x), block = count(&blk), outer = n / block;
    size_t ns = (size_t)count(&c->scale), nb = (size_t)count(&c->bias);
    float *scale = rt_guarded_alloc(ns), *bias = rt_guarded_alloc(nb);
    float *mean = rt_guarded_alloc((size_t)outer), *inv = rt_guarded_alloc((size_t)outer);
    double *want = malloc((size_t)n * sizeof *want), *want_mean = malloc((size_t)outer * 8);
    double *want_inv = malloc((size_t)outer * 8);
    rt_fill_uniform(r, scale, ns, -2.0f, 2.0f);
    rt_fill_uniform(r, bias, nb, -1.0f, 1.0f);

    for (int64_t o = 0; o < outer; o++) {
        const float *row = x + o * block;
        double m = 0.0, v = 0.0;
        for (int64_t i = 0; i < block; i++)
            m += row[i];
        m /= (double)block;
        for (int64_t i = 0; i < block; i++)
            v += (row[i] - m) * (row[i] - m);
        double sd = sqrt(v / (double)block + c->epsilon);
        want_mean[o] = m;
        want_inv[o] = 1.0 / sd;
        for (int64_t i = 0; i < block; i++) {
            double t = (row[i] - m) / sd * scale[param_index(i, &blk, &c->scale)];
            want[o * block + i] = t + (c->has_bias ? bias[param_index(i, &blk, &c->bias)] : 0.0);
        }
    }

    /* The stats have X's shape with the normalized dims set to 1. */
    shape st_shape = c->x;
    for (int d = axis; d < st_shape.ndim; d++)
        st_shape.dims[d] = 1;
    runt_attrs attrs;
    memset(&attrs, 0, sizeof attrs);
    attrs.layer_norm.axis = c->axis;
    attrs.layer_norm.epsilon = c->epsilon;
    runt_tensor in[3] = {rt_tensor_f32((float *)x, c->x.ndim, c->x.dims),
                         rt_tensor_f32(scale, c->scale.ndim, c->scale.dims),
                         rt_tensor_f32(c->has_bias ? bias : NULL, c->bias.ndim, c->bias.dims)};
    runt_tensor out[3] = {rt_tensor_f32(y, c->x.ndim, c->x.dims),
                          rt_tensor_f32(c->want_mean ? mean : NULL, st_shape.ndim, st_shape.dims),
                          rt_tensor_f32(c->want_inv_std ? inv : NULL, st_shape.ndim,
                                        st_shape.dims)};
    int n_out = c->want_inv_std ? 3 : c->want_mean ? 2 : 1;
    runt_status st = runt_ref_layer_norm(&attrs, in, c->has_bias ? 3 : 2, out, n_out);
    RT_ASSERT(st == RUNT_OK, "%s: status %d", what, (int)st);

    double err = rt_norm_max_error(y, want, (size_t)n, 1e-30);
    RT_ASSERT(err < BOUND, "%s: rank %d axis %d: Y error %g", what, c->x.ndim, c->axis, err);
    RT_ASSERT(rt_guard_intact(y, (size_t)n), "%s wrote past Y", what);
    if (c->want_mean) {
        err = rt_norm_max_error(mean, want_mean, (size_t)outer, 1e-30);
        RT_ASSERT(err < BOUND, "%s: rank %d axis %d: Mean error %g", what, c->x.ndim, c->axis,
                  err);
        RT_ASSERT(rt_guard_intact(mean, (size_t)outer), "%s wrote past Mean", what);
    }
    if (c->want_inv_std) {
        err = rt_norm_max_error(inv, want_inv, (size_t)outer, 1e-30);
        RT_ASSERT(err < BOUND, "%s: rank %d axis %d: InvStdDev error %g", what, c->x.ndim,
                  c->axis, err);
        RT_ASSERT(rt_guard_intact(inv, (size_t)outer), "%s wrote past InvStdDev", what);
    }
    free(want);
    free(want_mean);
    free(want_inv);
    rt_guarded_free(scale);
    rt_guarded_free(bias);
    rt_guarded_free(mean);
    rt_guarded_free(inv);
}

/* A case whose Scale and B have exactly the normalized shape. */
static ln_case ln_plain(const shape *x, int axis)
{
    ln_case c;
    memset(&c, 0, sizeof c);
    c.x = *x;
    c.axis = axis;
    int a = axis < 0 ? axis + x->ndim : axis;
    c.scale = mk(x->ndim - a, x->dims + a);
    c.bias = c.scale;
    c.has_bias = 1;
    c.want_mean = c.want_inv_std = 1;
    c.epsilon = 1e-5f;
    return c;
}

RT_TEST(ref_norm, layer_norm_every_axis_with_stats)
{
    static const int64_t sizes[] = {1, 2, 3, 5, 7, 13};
    rt_rng r = rt_rng_make(511);
    for (int t = 0; t < 16; t++) {
        shape x;
        x.ndim = (int)rt_rng_int(&r, 1, 5);
        for (int d = 0; d < x.ndim; d++)
            x.dims[d] = sizes[rt_rng_int(&r, 0, x.ndim > 3 ? 4 : 5)];
        size_t n = (size_t)count(&x);
        float *xd = rt_guarded_alloc(n), *y = rt_guarded_alloc(n);
        rt_fill_uniform(&r, xd, n, -3.0f, 3.0f);
        for (int axis = -x.ndim; axis < x.ndim; axis++) {
            ln_case c = ln_plain(&x, axis);
            c.has_bias = (int)(rt_rng_next(&r) & 1);
            c.epsilon = (float)rt_rng_uniform(&r, 1e-6, 1e-2);
            ln_check(&r, &c, xd, y, "random");
        }
        rt_guarded_free(xd);
        rt_guarded_free(y);
    }
}

/* Scale and B broadcast over the normalized dims: [1], a trailing row, a
 * middle column with leading 1s. */
RT_TEST(ref_norm, layer_norm_broadcast_scale_and_bias)
{
    rt_rng r = rt_rng_make(512);
    shape x = mk(4, (int64_t[]){2, 3, 5, 7});
    size_t n = (size_t)count(&x);
    float *xd = rt_guarded_alloc(n), *y = rt_guarded_alloc(n);
    rt_fill_uniform(&r, xd, n, -3.0f, 3.0f);
    const shape params[][2] = {
        {mk(1, (int64_t[]){1}), mk(1, (int64_t[]){1})},
        {mk(1, (int64_t[]){7}), mk(2, (int64_t[]){5, 7})},
        {mk(2, (int64_t[]){5, 1}), mk(3, (int64_t[]){1, 1, 7})},
        {mk(3, (int64_t[]){3, 1, 7}), mk(1, (int64_t[]){7})},
    };
    for (size_t k = 0; k < sizeof params / sizeof params[0]; k++) {
        ln_case c = ln_plain(&x, 1);
        c.scale = params[k][0];
        c.bias = params[k][1];
        ln_check(&r, &c, xd, y, "broadcast params");
        c.axis = -3;
        ln_check(&r, &c, xd, y, "broadcast params, negative axis");
    }
    rt_guarded_free(xd);
    rt_guarded_free(y);
}

/* Mean and InvStdDev are each optional: absent, present, or one of them. */
RT_TEST(ref_norm, layer_norm_optional_outputs)
{
    rt_rng r = rt_rng_make(513);
    shape x = mk(3, (int64_t[]){5, 3, 11});
    size_t n = (size_t)count(&x);
    float *xd = rt_guarded_alloc(n), *y = rt_guarded_alloc(n);
    rt_fill_uniform(&r, xd, n, -3.0f, 3.0f);
    for (int mask = 0; mask < 4; mask++) {
        ln_case c = ln_plain(&x, -1);
        c.want_mean = mask & 1;
        c.want_inv_std = mask >> 1;
        ln_check(&r, &c, xd, y, "optional outputs");
    }
    rt_guarded_free(xd);
    rt_guarded_free(y);
}

/* Constant rows have zero variance: Y is B and InvStdDev is 1/sqrt(eps). */
RT_TEST(ref_norm, layer_norm_zero_variance_uses_epsilon)
{
    rt_rng r = rt_rng_make(514);
    shape x = mk(2, (int64_t[]){4, 9});
    float *xd = rt_guarded_alloc(36), *y = rt_guarded_alloc(36);
    for (int row = 0; row < 4; row++)
        for (int i = 0; i < 9; i++)
            xd[row * 9 + i] = 0.37f * (float)(row + 1);
    static const float eps[] = {1e-5f, 1e-12f, 1.0f};
    for (int k = 0; k < 3; k++) {
        ln_case c = ln_plain(&x, 1);
        c.epsilon = eps[k];
        ln_check(&r, &c, xd, y, "constant rows");
        for (int i = 0; i < 36; i++)
            RT_ASSERT(isfinite(y[i]), "eps %g: y[%d] = %g", eps[k], i, y[i]);
    }
    rt_guarded_free(xd);
    rt_guarded_free(y);
}

RT_TEST(ref_norm, layer_norm_in_place)
{
    rt_rng r = rt_rng_make(515);
    shape x = mk(3, (int64_t[]){3, 5, 7});
    size_t n = (size_t)count(&x);
    float *xd = rt_guarded_alloc(n), *io = rt_guarded_alloc(n);
    rt_fill_uniform(&r, xd, n, -3.0f, 3.0f);
    memcpy(io, xd, n * sizeof *xd);
    ln_case c = ln_plain(&x, -2);
    ln_check(&r, &c, io, io, "in place"); /* the reference reads x before the call */
    rt_guarded_free(xd);
    rt_guarded_free(io);
}

RT_TEST(ref_norm, layer_norm_non_f32_is_unsupported)
{
    float x[6] = {1, 2, 3, 4, 5, 6}, s[3] = {1, 1, 1}, b[3] = {0, 1, 0};
    float y[6] = {9, 9, 9, 9, 9, 9}, m[2] = {9, 9}, v[2] = {9, 9};
    int64_t x_dims[2] = {2, 3}, p_dims[1] = {3}, st_dims[2] = {2, 1};
    runt_attrs attrs;
    memset(&attrs, 0, sizeof attrs);
    attrs.layer_norm.axis = -1;
    attrs.layer_norm.epsilon = 1e-5f;
    for (int which = 0; which < 6; which++) {
        runt_tensor in[3] = {rt_tensor_f32(x, 2, x_dims), rt_tensor_f32(s, 1, p_dims),
                             rt_tensor_f32(b, 1, p_dims)};
        runt_tensor out[3] = {rt_tensor_f32(y, 2, x_dims), rt_tensor_f32(m, 2, st_dims),
                              rt_tensor_f32(v, 2, st_dims)};
        runt_tensor *bad = which < 3 ? &in[which] : &out[which - 3];
        bad->dtype = RUNT_I8;
        runt_status st = runt_ref_layer_norm(&attrs, in, 3, out, 3);
        RT_ASSERT(st == RUNT_E_UNSUPPORTED, "layer_norm with tensor %d not f32: status %d",
                  which, (int)st);
        RT_ASSERT(y[0] == 9 && m[0] == 9 && v[0] == 9, "layer_norm wrote an output it refused");
    }
}
