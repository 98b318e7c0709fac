/*
 * The quantization kernels (ref_quant.c) against the ONNX specification
 * computed here in double precision, element by element: QuantizeLinear
 * (per tensor, per axis, blocked; uint8 and int8; round half to even and
 * saturation, infinities and NaN), DequantizeLinear (uint8, int8, int32),
 * DynamicQuantizeLinear, MatMulInteger (zero points per tensor, per row, per
 * column, batched), ConvInteger (padding, strides, dilations, groups, zero
 * points per output channel) and Cast; and the errors the kernels own:
 * scales that cannot divide, int32 accumulators that would overflow.
 *
 * The spec's arithmetic is float32 (T1 = float): x / y_scale is a float32
 * quotient. A float32 operation equals the double operation rounded to
 * float32 (double has more than 2 * 24 + 2 bits), so the expected values
 * below are double computations rounded where the spec rounds.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref_impl.h"
#include "rt_test.h"
#include "test_util.h"

/* ------------------------------------------------------------------------- */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------- */

#define GUARD_BYTES 16

/* n bytes followed by sentinel bytes. The block is 8 bytes per byte asked
 * for, so that the int64 branches of get_int/set_int below stay inside it
 * (gcc's -Warray-bounds follows them into buffers of one byte). */
static void *bytes_alloc(size_t n)
{
    unsigned char *p = malloc(8 * n + GUARD_BYTES);
    RT_ASSERT(p, "out of memory");
    memset(p + n, 0xA5, GUARD_BYTES);
    return p;
}

static int bytes_intact(const void *p, size_t n)
{
    for (size_t i = 0; i < GUARD_BYTES; i++)
        if (((const unsigned char *)p)[n + i] != 0xA5)
            return 0;
    return 1;
}

static runt_tensor view(runt_dtype dtype, void *data, int ndim, const int64_t *dims)
{
    runt_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = dtype;
    t.ndim = ndim;
    for (int i = 0; i < ndim; i++)
        t.dims[i] = dims[i];
    t.data = data;
    return t;
}

static runt_tensor absent(void)
{
    runt_tensor t;
    memset(&t, 0, sizeof t);
    return t;
}

static int64_t get_int(runt_dtype t, const void *p, int64_t i)
{
    switch (t) {
    case RUNT_U8: return ((const uint8_t *)p)[i];
    case RUNT_I8: return ((const int8_t *)p)[i];
    case RUNT_I32: return ((const int32_t *)p)[i];
    default: return ((const int64_t *)p)[i];
    }
}

static void set_int(runt_dtype t, void *p, int64_t i, int64_t v)
{
    switch (t) {
    case RUNT_U8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case RUNT_I8: ((int8_t *)p)[i] = (int8_t)v; break;
    case RUNT_I32: ((int32_t *)p)[i] = (int32_t)v; break;
    default: ((int64_t *)p)[i] = v; break;
    }
}

static void qrange(runt_dtype t, int64_t *lo, int64_t *hi)
{
    *lo = t == RUNT_U8 ? 0 : -128;
    *hi = t == RUNT_U8 ? 255 : 127;
}

/* Random integers of dtype t into n elements. */
static void fill_int(rt_rng *r, runt_dtype t, void *p, int64_t n)
{
    int64_t lo, hi;
    qrange(t, &lo, &hi);
    for (int64_t i = 0; i < n; i++)
        set_int(t, p, i, rt_rng_int(r, lo, hi));
}

/* The spec: saturate(round_half_even(x / scale) + zp), the quotient float32.
 * NaN saturates to the low end (runt's documented choice; the reference
 * implementation's cast of NaN gives the same on x86). */
static int64_t spec_quantize(float x, float scale, int64_t zp, runt_dtype t)
{
    int64_t lo, hi;
    qrange(t, &lo, &hi);
    double q = (double)(float)((double)x / (double)scale);
    if (q != q)
        return lo;
    double v = rint(q) + (double)zp;   /* the default rounding mode: half to even */
    return v < (double)lo ? lo : v > (double)hi ? hi : (int64_t)v;
}

/* ------------------------------------------------------------------------- */
/* QuantizeLinear                                                            */
/* ------------------------------------------------------------------------- */

static runt_status quantize(const runt_attrs *a, runt_tensor x, runt_tensor s, runt_tensor z,
                            runt_tensor *y)
{
    runt_tensor in[3] = {x, s, z};
    return runt_ref_quantize_linear(a, in, 3, y, 1);
}

static runt_attrs quant_attrs(int axis, int block_size)
{
    runt_attrs a;
    runt_attrs_default(RUNT_OP_QUANTIZE_LINEAR, &a);
    a.quant.axis = axis;
    a.quant.block_size = block_size;
    return a;
}

RT_TEST(ref_quant, quantize_per_tensor_matches_spec)
{
    rt_rng r = rt_rng_make(1);
    const runt_dtype types[] = {RUNT_U8, RUNT_I8};
    for (int rep = 0; rep < 40; rep++) {
        runt_dtype t = types[rep % 2];
        int64_t n = rt_rng_int(&r, 1, 300), lo, hi;
        qrange(t, &lo, &hi);
        float scale = (float)rt_rng_uniform(&r, 0.001, 3.0);
        int64_t zp = rt_rng_int(&r, lo, hi);
        float *x = malloc(sizeof *x * (size_t)n);
        /* Past both ends of the range, so saturation is exercised too. */
        rt_fill_uniform(&r, x, (size_t)n, -300.0f * scale, 300.0f * scale);
        void *zd = bytes_alloc(1), *y = bytes_alloc((size_t)n);
        set_int(t, zd, 0, zp);
        runt_attrs a = quant_attrs(1, 0);
        runt_tensor yt = view(t, y, 1, &n);
        runt_status s = quantize(&a, view(RUNT_F32, x, 1, &n), view(RUNT_F32, &scale, 0, NULL),
                                 view(t, zd, 0, NULL), &yt);
        RT_ASSERT(s == RUNT_OK, "quantize: %s", runt_last_error());
        for (int64_t i = 0; i < n; i++) {
            int64_t want = spec_quantize(x[i], scale, zp, t);
            RT_ASSERT(get_int(t, y, i) == want, "%s x=%.9g scale=%.9g zp=%lld: got %lld, spec %lld",
                      runt_dtype_name(t), (double)x[i], (double)scale, (long long)zp,
                      (long long)get_int(t, y, i), (long long)want);
        }
        RT_ASSERT(bytes_intact(y, (size_t)n), "wrote past the output");
        free(x), free(zd), free(y);
    }
}

/* Ties x / scale = k + 1/2 go to the even integer (ONNX: round half to even). */
RT_TEST(ref_quant, quantize_rounds_half_to_even)
{
    /* scale 0.5 and x = k/2 + 1/4 make x / scale = k + 1/2 exactly. */
    float scale = 0.5f, x[12];
    int64_t n = 12;
    for (int k = -6; k < 6; k++)
        x[k + 6] = (float)k * 0.5f + 0.25f;
    int8_t zp = 0, y[12];
    runt_attrs a = quant_attrs(1, 0);
    runt_tensor yt = view(RUNT_I8, y, 1, &n);
    RT_ASSERT(quantize(&a, view(RUNT_F32, x, 1, &n), view(RUNT_F32, &scale, 0, NULL),
                       view(RUNT_I8, &zp, 0, NULL), &yt) == RUNT_OK, "%s", runt_last_error());
    for (int k = -6; k < 6; k++) {
        int want = (k % 2 == 0) ? k : k + 1; /* k + 1/2 rounds to whichever of k, k+1 is even */
        RT_ASSERT(y[k + 6] == want, "x/scale = %d.5: got %d, want %d (half to even)", k, y[k + 6],
                  want);
    }
    /* The same through a non-zero zero point: rounding happens before it is added. */
    uint8_t zu = 11, yu[12];
    yt = view(RUNT_U8, yu, 1, &n);
    RT_ASSERT(quantize(&a, view(RUNT_F32, x, 1, &n), view(RUNT_F32, &scale, 0, NULL),
                       view(RUNT_U8, &zu, 0, NULL), &yt) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(yu[8] == 13 && yu[9] == 15 && yu[6] == 11 && yu[5] == 11,
              "2.5 -> 2 + 11, 3.5 -> 4 + 11, 0.5 -> 0 + 11, -0.5 -> 0 + 11; got %d %d %d %d",
              yu[8], yu[9], yu[6], yu[5]);
}

RT_TEST(ref_quant, quantize_saturates_infinities_and_nan)
{
    float x[] = {1e30f, -1e30f, INFINITY, -INFINITY, NAN, 127.5f, 128.5f, -128.5f, -129.0f};
    int64_t n = 9;
    float scale = 1.0f;
    const runt_dtype types[] = {RUNT_U8, RUNT_I8};
    for (int ti = 0; ti < 2; ti++) {
        runt_dtype t = types[ti];
        int64_t lo, hi;
        qrange(t, &lo, &hi);
        void *y = bytes_alloc((size_t)n);
        runt_attrs a = quant_attrs(1, 0);
        runt_tensor yt = view(t, y, 1, &n);
        /* No zero point: 0, and the output dtype the tensor says. */
        RT_ASSERT(quantize(&a, view(RUNT_F32, x, 1, &n), view(RUNT_F32, &scale, 0, NULL),
                           absent(), &yt) == RUNT_OK, "%s", runt_last_error());
        RT_ASSERT(get_int(t, y, 0) == hi && get_int(t, y, 1) == lo && get_int(t, y, 2) == hi &&
                      get_int(t, y, 3) == lo && get_int(t, y, 4) == lo,
                  "%s: 1e30, -1e30, inf, -inf, NaN saturate to %lld, %lld, %lld, %lld, %lld",
                  runt_dtype_name(t), (long long)get_int(t, y, 0), (long long)get_int(t, y, 1),
                  (long long)get_int(t, y, 2), (long long)get_int(t, y, 3),
                  (long long)get_int(t, y, 4));
        for (int64_t i = 5; i < n; i++)
            RT_ASSERT(get_int(t, y, i) == spec_quantize(x[i], 1.0f, 0, t), "%s x=%g: got %lld",
                      runt_dtype_name(t), (double)x[i], (long long)get_int(t, y, i));
        RT_ASSERT(bytes_intact(y, (size_t)n), "wrote past the output");
        free(y);
    }
}

/* Scale index of element (i0, i1, i2) of a [d0, d1, d2] tensor: per axis or blocked. */
static int64_t scale_index(const int64_t *i, int axis, int block, const int64_t *sd)
{
    if (!block)
        return i[axis];
    int64_t c[3] = {i[0], i[1], i[2]};
    c[axis] /= block;
    return (c[0] * sd[1] + c[1]) * sd[2] + c[2];
}

RT_TEST(ref_quant, quantize_and_dequantize_per_axis_and_blocked)
{
    rt_rng r = rt_rng_make(2);
    int64_t d[3] = {2, 3, 5};
    struct { int axis, block; } forms[] = {{0, 0}, {1, 0}, {2, 0}, {2, 2}, {1, 2}, {0, 1}};
    for (size_t f = 0; f < sizeof forms / sizeof forms[0]; f++) {
        int axis = forms[f].axis, block = forms[f].block;
        int64_t sd[3] = {d[0], d[1], d[2]}, sn;
        if (block)
            sd[axis] = (d[axis] + block - 1) / block;
        int sndim = block ? 3 : 1;
        if (!block)
            sd[0] = d[axis];
        sn = block ? sd[0] * sd[1] * sd[2] : sd[0];
        float x[30], scale[30], back[30];
        uint8_t zp[30], q[30];
        rt_fill_uniform(&r, x, 30, -20.0f, 20.0f);
        for (int64_t j = 0; j < sn; j++) {
            scale[j] = (float)rt_rng_uniform(&r, 0.05, 0.5);
            zp[j] = (uint8_t)rt_rng_int(&r, 0, 255);
        }
        runt_attrs a = quant_attrs(axis, block);
        runt_tensor yt = view(RUNT_U8, q, 3, d);
        RT_ASSERT(quantize(&a, view(RUNT_F32, x, 3, d), view(RUNT_F32, scale, sndim, sd),
                           view(RUNT_U8, zp, sndim, sd), &yt) == RUNT_OK,
                  "%s", runt_last_error());
        runt_tensor in[3] = {view(RUNT_U8, q, 3, d), view(RUNT_F32, scale, sndim, sd),
                             view(RUNT_U8, zp, sndim, sd)};
        runt_tensor bt = view(RUNT_F32, back, 3, d);
        RT_ASSERT(runt_ref_dequantize_linear(&a, in, 3, &bt, 1) == RUNT_OK, "%s",
                  runt_last_error());
        for (int64_t i0 = 0, e = 0; i0 < d[0]; i0++)
            for (int64_t i1 = 0; i1 < d[1]; i1++)
                for (int64_t i2 = 0; i2 < d[2]; i2++, e++) {
                    int64_t idx[3] = {i0, i1, i2}, j = scale_index(idx, axis, block, sd);
                    int64_t want = spec_quantize(x[e], scale[j], zp[j], RUNT_U8);
                    RT_ASSERT(q[e] == want, "axis %d block %d, element %lld: got %d, spec %lld",
                              axis, block, (long long)e, q[e], (long long)want);
                    float dq = (float)((double)(q[e] - zp[j]) * (double)scale[j]);
                    RT_ASSERT(back[e] == dq, "dequantize axis %d block %d, element %lld: got "
                              "%.9g, spec %.9g", axis, block, (long long)e, (double)back[e],
                              (double)dq);
                }
    }
}

RT_TEST(ref_quant, quantize_refuses_scales_it_cannot_divide_by)
{
    float x[4] = {1, 2, 3, 4}, bad[] = {0.0f, -0.0f, INFINITY, NAN};
    int64_t n = 4, three = 3;
    uint8_t y[4], zp = 0;
    runt_attrs a = quant_attrs(1, 0);
    runt_tensor yt = view(RUNT_U8, y, 1, &n);
    for (int b = 0; b < 4; b++) {
        runt_status s = quantize(&a, view(RUNT_F32, x, 1, &n), view(RUNT_F32, &bad[b], 0, NULL),
                                 view(RUNT_U8, &zp, 0, NULL), &yt);
        RT_ASSERT(s == RUNT_E_INVALID_ARG && strstr(runt_last_error(), "y_scale[0]"),
                  "scale %g: status %d, message '%s'", (double)bad[b], s, runt_last_error());
    }
    /* Per axis: the message names the element. */
    float xs[12] = {0}, scales[3] = {1.0f, 0.0f, 2.0f};
    uint8_t zps[3] = {0}, ys[12];
    int64_t d[2] = {4, 3};
    runt_tensor y2 = view(RUNT_U8, ys, 2, d);
    runt_status s = quantize(&a, view(RUNT_F32, xs, 2, d), view(RUNT_F32, scales, 1, &three),
                             view(RUNT_U8, zps, 1, &three), &y2);
    RT_ASSERT(s == RUNT_E_INVALID_ARG && strstr(runt_last_error(), "y_scale[1]"),
              "per-axis zero scale: status %d, '%s'", s, runt_last_error());
}

/* ------------------------------------------------------------------------- */
/* DequantizeLinear                                                          */
/* ------------------------------------------------------------------------- */

RT_TEST(ref_quant, dequantize_uint8_int8_int32)
{
    rt_rng r = rt_rng_make(3);
    const runt_dtype types[] = {RUNT_U8, RUNT_I8, RUNT_I32};
    for (int rep = 0; rep < 30; rep++) {
        runt_dtype t = types[rep % 3];
        int64_t n = rt_rng_int(&r, 1, 200);
        size_t es = runt_dtype_size(t);
        void *x = bytes_alloc(es * (size_t)n), *zp = bytes_alloc(es);
        if (t == RUNT_I32) {
            /* A quantized bias: int32 values within 2^24 (exact in float32). */
            for (int64_t i = 0; i < n; i++)
                set_int(t, x, i, rt_rng_int(&r, -(1 << 24), 1 << 24));
            set_int(t, zp, 0, rt_rng_int(&r, -1000, 1000));
        } else {
            fill_int(&r, t, x, n);
            fill_int(&r, t, zp, 1);
        }
        float scale = (float)rt_rng_uniform(&r, 1e-5, 2.0);
        float *y = rt_guarded_alloc((size_t)n);
        runt_attrs a = quant_attrs(1, 0);
        runt_tensor in[3] = {view(t, x, 1, &n), view(RUNT_F32, &scale, 0, NULL),
                             view(t, zp, 0, NULL)};
        runt_tensor yt = view(RUNT_F32, y, 1, &n);
        RT_ASSERT(runt_ref_dequantize_linear(&a, in, rep % 2 ? 3 : 2, &yt, 1) == RUNT_OK, "%s",
                  runt_last_error());
        for (int64_t i = 0; i < n; i++) {
            int64_t z = rep % 2 ? get_int(t, zp, 0) : 0;
            float want = (float)((double)(get_int(t, x, i) - z) * (double)scale);
            RT_ASSERT(y[i] == want, "%s x=%lld zp=%lld scale=%.9g: got %.9g, spec %.9g",
                      runt_dtype_name(t), (long long)get_int(t, x, i), (long long)z,
                      (double)scale, (double)y[i], (double)want);
        }
        RT_ASSERT(rt_guard_intact(y, (size_t)n), "wrote past the output");
        free(x), free(zp);
        rt_guarded_free(y);
    }
}

/* ------------------------------------------------------------------------- */
/* DynamicQuantizeLinear                                                     */
/* ------------------------------------------------------------------------- */

/* The spec, with its float32 operations each rounded to float32. */
static void spec_dynamic(const float *x, int64_t n, float *scale, int64_t *zp)
{
    double lo = 0.0, hi = 0.0;
    for (int64_t i = 0; i < n; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    if (hi == lo) { /* the spec divides 0 by 0 here; onnxruntime (and runt) use scale 1 */
        *scale = 1.0f;
        *zp = 0;
        return;
    }
    float range = (float)(hi - lo);
    *scale = (float)((double)range / 255.0);
    double z = 0.0 - (double)(float)(lo / (double)*scale);
    z = z < 0.0 ? 0.0 : z > 255.0 ? 255.0 : z;
    *zp = (int64_t)rint(z);
}

RT_TEST(ref_quant, dynamic_quantize_matches_spec)
{
    rt_rng r = rt_rng_make(4);
    struct { float lo, hi; } ranges[] = {{-3.0f, 5.0f}, {0.5f, 7.0f}, {-9.0f, -0.25f},
                                         {-1e-3f, 1e-3f}, {-100.0f, 100.0f}, {-1.0f, 101.0f}};
    for (int rep = 0; rep < 36; rep++) {
        int64_t n = rt_rng_int(&r, 1, 500);
        float *x = malloc(sizeof *x * (size_t)n);
        rt_fill_uniform(&r, x, (size_t)n, ranges[rep % 6].lo, ranges[rep % 6].hi);
        uint8_t *q = bytes_alloc((size_t)n), zp_got = 0;
        float scale_got = 0.0f, scale;
        int64_t zp;
        runt_tensor in = view(RUNT_F32, x, 1, &n);
        runt_tensor out[3] = {view(RUNT_U8, q, 1, &n), view(RUNT_F32, &scale_got, 0, NULL),
                              view(RUNT_U8, &zp_got, 0, NULL)};
        RT_ASSERT(runt_ref_dynamic_quantize_linear(NULL, &in, 1, out, 3) == RUNT_OK, "%s",
                  runt_last_error());
        spec_dynamic(x, n, &scale, &zp);
        RT_ASSERT(scale_got == scale && zp_got == zp, "range %d: scale %.9g zp %d, spec %.9g %lld",
                  rep % 6, (double)scale_got, zp_got, (double)scale, (long long)zp);
        for (int64_t i = 0; i < n; i++)
            RT_ASSERT(q[i] == spec_quantize(x[i], scale, zp, RUNT_U8), "x=%.9g: got %d, spec %lld",
                      (double)x[i], q[i], (long long)spec_quantize(x[i], scale, zp, RUNT_U8));
        RT_ASSERT(bytes_intact(q, (size_t)n), "wrote past the output");
        free(x), free(q);
    }
}

RT_TEST(ref_quant, dynamic_quantize_of_zeros_and_unread_outputs)
{
    float x[5] = {0, 0, 0, 0, 0}, scale = -1.0f;
    uint8_t q[5] = {9, 9, 9, 9, 9}, zp = 9;
    int64_t n = 5;
    runt_tensor in = view(RUNT_F32, x, 1, &n);
    runt_tensor out[3] = {view(RUNT_U8, q, 1, &n), view(RUNT_F32, &scale, 0, NULL),
                          view(RUNT_U8, &zp, 0, NULL)};
    RT_ASSERT(runt_ref_dynamic_quantize_linear(NULL, &in, 1, out, 3) == RUNT_OK, "%s",
              runt_last_error());
    RT_ASSERT(scale == 1.0f && zp == 0 && q[0] == 0 && q[4] == 0,
              "all zeros: scale %g zp %d q %d (onnxruntime: 1, 0, 0)", (double)scale, zp, q[0]);
    /* Scale and zero point nobody reads are not written (data NULL). */
    out[1].data = out[2].data = NULL;
    x[2] = 2.0f;
    RT_ASSERT(runt_ref_dynamic_quantize_linear(NULL, &in, 1, out, 3) == RUNT_OK, "%s",
              runt_last_error());
    RT_ASSERT(q[2] == 255 && q[0] == 0, "x = [0, 0, 2, 0, 0] -> q[2] %d, q[0] %d", q[2], q[0]);
}

/* ------------------------------------------------------------------------- */
/* MatMulInteger                                                             */
/* ------------------------------------------------------------------------- */

typedef struct mmi_case {
    runt_dtype ta, tb;
    int a_ndim, b_ndim;
    int64_t ad[4], bd[4];
    int za_mode, zb_mode;   /* 0 absent, 1 scalar, 2 per row / column vector, 3 N-D */
} mmi_case;

/* numpy matmul on int64 with the zero points, by coordinates: the expected
 * output of a case with A [B0, B1, M, K] (leading dims 1 when absent). */
static void mmi_run_case(rt_rng *r, const mmi_case *c)
{
    int64_t k = c->ad[c->a_ndim - 1];
    int64_t m = c->a_ndim >= 2 ? c->ad[c->a_ndim - 2] : 1;
    int64_t nn = c->b_ndim >= 2 ? c->bd[c->b_ndim - 1] : 1;
    /* Batch dims (up to 2), right-aligned. */
    int64_t ab[2] = {1, 1}, bb[2] = {1, 1}, ob[2];
    for (int d = 0; d < c->a_ndim - 2; d++)
        ab[2 - (c->a_ndim - 2) + d] = c->ad[d];
    for (int d = 0; d < c->b_ndim - 2; d++)
        bb[2 - (c->b_ndim - 2) + d] = c->bd[d];
    for (int d = 0; d < 2; d++)
        ob[d] = ab[d] > bb[d] ? ab[d] : bb[d];
    int64_t na = ab[0] * ab[1] * m * k, nb = bb[0] * bb[1] * k * nn;
    void *a = bytes_alloc((size_t)na), *b = bytes_alloc((size_t)nb);
    fill_int(r, c->ta, a, na);
    fill_int(r, c->tb, b, nb);
    /* Zero points: per row of A is [M] (2-D) or [B0, B1, M, 1]; per column of B [N] or [B1', 1, N]. */
    int64_t za_n = c->za_mode == 2 ? m : c->za_mode == 3 ? ab[0] * ab[1] * m : 1;
    int64_t zb_n = c->zb_mode == 2 ? nn : c->zb_mode == 3 ? bb[0] * bb[1] * nn : 1;
    void *za = bytes_alloc((size_t)za_n), *zb = bytes_alloc((size_t)zb_n);
    fill_int(r, c->ta, za, za_n);
    fill_int(r, c->tb, zb, zb_n);
    int64_t zad[4], zbd[4];
    int za_ndim = 0, zb_ndim = 0;
    if (c->za_mode == 2)
        zad[0] = m, za_ndim = 1;
    if (c->za_mode == 3) {
        za_ndim = c->a_ndim;
        for (int d = 0; d < c->a_ndim; d++)
            zad[d] = c->ad[d];
        zad[c->a_ndim - 1] = 1;
    }
    if (c->zb_mode == 2)
        zbd[0] = nn, zb_ndim = 1;
    if (c->zb_mode == 3) {
        zb_ndim = c->b_ndim;
        for (int d = 0; d < c->b_ndim; d++)
            zbd[d] = c->bd[d];
        zbd[c->b_ndim - 2] = 1;
    }
    int64_t n_out = ob[0] * ob[1] * m * nn, yd[4];
    int y_ndim = 0;
    int nbatch = c->a_ndim - 2 > c->b_ndim - 2 ? c->a_ndim - 2 : c->b_ndim - 2;
    for (int d = 2 - nbatch; d < 2; d++)
        yd[y_ndim++] = ob[d];
    if (c->a_ndim >= 2)
        yd[y_ndim++] = m;
    if (c->b_ndim >= 2)
        yd[y_ndim++] = nn;
    int32_t *y = (int32_t *)rt_guarded_alloc((size_t)n_out);
    runt_tensor in[4] = {view(c->ta, a, c->a_ndim, c->ad), view(c->tb, b, c->b_ndim, c->bd),
                         c->za_mode ? view(c->ta, za, za_ndim, zad) : absent(),
                         c->zb_mode ? view(c->tb, zb, zb_ndim, zbd) : absent()};
    runt_tensor yt = view(RUNT_I32, y, y_ndim, yd);
    RT_ASSERT(runt_ref_matmul_integer(NULL, in, 4, &yt, 1) == RUNT_OK, "%s", runt_last_error());
    for (int64_t b0 = 0; b0 < ob[0]; b0++)
        for (int64_t b1 = 0; b1 < ob[1]; b1++)
            for (int64_t i = 0; i < m; i++)
                for (int64_t j = 0; j < nn; j++) {
                    int64_t a_b = (ab[0] > 1 ? b0 : 0) * ab[1] + (ab[1] > 1 ? b1 : 0);
                    int64_t b_b = (bb[0] > 1 ? b0 : 0) * bb[1] + (bb[1] > 1 ? b1 : 0);
                    int64_t zai = c->za_mode == 2 ? i : c->za_mode == 3 ? a_b * m + i : 0;
                    int64_t zbi = c->zb_mode == 2 ? j : c->zb_mode == 3 ? b_b * nn + j : 0;
                    int64_t zpa = c->za_mode ? get_int(c->ta, za, zai) : 0;
                    int64_t zpb = c->zb_mode ? get_int(c->tb, zb, zbi) : 0, acc = 0;
                    for (int64_t p = 0; p < k; p++)
                        acc += (get_int(c->ta, a, (a_b * m + i) * k + p) - zpa) *
                               (get_int(c->tb, b, (b_b * k + p) * nn + j) - zpb);
                    int64_t at = ((b0 * ob[1] + b1) * m + i) * nn + j;
                    RT_ASSERT(y[at] == acc, "MatMulInteger %s x %s zp modes %d/%d, [%lld,%lld,"
                              "%lld,%lld]: got %d, want %lld", runt_dtype_name(c->ta),
                              runt_dtype_name(c->tb), c->za_mode, c->zb_mode, (long long)b0,
                              (long long)b1, (long long)i, (long long)j, y[at], (long long)acc);
                }
    RT_ASSERT(rt_guard_intact((float *)y, (size_t)n_out), "wrote past the output");
    free(a), free(b), free(za), free(zb);
    rt_guarded_free((float *)y);
}

RT_TEST(ref_quant, matmul_integer_matches_int64_sum)
{
    rt_rng r = rt_rng_make(5);
    const runt_dtype types[] = {RUNT_U8, RUNT_I8};
    for (int rep = 0; rep < 48; rep++) {
        mmi_case c;
        memset(&c, 0, sizeof c);
        c.ta = types[rep % 2];
        c.tb = types[(rep / 2) % 2];
        int64_t m = rt_rng_int(&r, 1, 9), k = rt_rng_int(&r, 1, 70), n = rt_rng_int(&r, 1, 11);
        int shape = rep % 4;
        c.za_mode = (int)rt_rng_int(&r, 0, 2);
        c.zb_mode = (int)rt_rng_int(&r, 0, 2);
        if (shape == 0 || shape == 1) { /* 2-D x 2-D */
            c.a_ndim = c.b_ndim = 2;
            c.ad[0] = m, c.ad[1] = k, c.bd[0] = k, c.bd[1] = n;
        } else if (shape == 2) { /* batched A [2, 3, M, K] x B [3, K, N], N-D zero points */
            c.a_ndim = 4, c.b_ndim = 3;
            c.ad[0] = 2, c.ad[1] = 3, c.ad[2] = m, c.ad[3] = k;
            c.bd[0] = 3, c.bd[1] = k, c.bd[2] = n;
            c.za_mode = c.za_mode == 2 ? 3 : c.za_mode;
            c.zb_mode = c.zb_mode == 2 ? 3 : c.zb_mode;
        } else { /* 1-D A [K] x B [K, N] */
            c.a_ndim = 1, c.b_ndim = 2;
            c.ad[0] = k, c.bd[0] = k, c.bd[1] = n;
            c.za_mode = c.za_mode ? 1 : 0;
        }
        mmi_run_case(&r, &c);
    }
}

RT_TEST(ref_quant, matmul_integer_refuses_int32_overflow)
{
    /* 255 * 255 * 33100 = 2152327500 > INT32_MAX: the spec's int32 output
     * cannot hold it, and runt says so rather than wrapping. */
    int64_t k = 33100, ad[2] = {1, 33100}, bd[2] = {33100, 1}, yd[2] = {1, 1};
    uint8_t *a = malloc((size_t)k), *b = malloc((size_t)k);
    memset(a, 255, (size_t)k);
    memset(b, 255, (size_t)k);
    int32_t y = 0;
    runt_tensor in[2] = {view(RUNT_U8, a, 2, ad), view(RUNT_U8, b, 2, bd)};
    runt_tensor yt = view(RUNT_I32, &y, 2, yd);
    runt_status s = runt_ref_matmul_integer(NULL, in, 2, &yt, 1);
    RT_ASSERT(s == RUNT_E_UNSUPPORTED && strstr(runt_last_error(), "int32"),
              "status %d, '%s'", s, runt_last_error());
    free(a), free(b);
}

/* ------------------------------------------------------------------------- */
/* ConvInteger                                                               */
/* ------------------------------------------------------------------------- */

RT_TEST(ref_quant, conv_integer_matches_int64_sum)
{
    rt_rng r = rt_rng_make(6);
    const runt_dtype types[] = {RUNT_U8, RUNT_I8};
    for (int rep = 0; rep < 40; rep++) {
        runt_dtype tx = types[rep % 2], tw = types[(rep / 2) % 2];
        int group = rep % 3 == 0 ? 2 : 1;
        int64_t n = rt_rng_int(&r, 1, 2), cg = rt_rng_int(&r, 1, 3), mg = rt_rng_int(&r, 1, 3);
        int64_t c = cg * group, m = mg * group, kh = rt_rng_int(&r, 1, 3), kw = rt_rng_int(&r, 1, 3);
        runt_attrs a;
        runt_attrs_default(RUNT_OP_CONV_INTEGER, &a);
        a.conv.group = group;
        a.conv.kernel[0] = (int)kh, a.conv.kernel[1] = (int)kw;
        for (int i = 0; i < 2; i++) {
            a.conv.strides[i] = (int)rt_rng_int(&r, 1, 2);
            a.conv.dilations[i] = (int)rt_rng_int(&r, 1, 2);
        }
        for (int i = 0; i < 4; i++)
            a.conv.pads[i] = (int)rt_rng_int(&r, 0, 2);
        int64_t h = rt_rng_int(&r, 1, 7) + (kh - 1) * a.conv.dilations[0];
        int64_t w = rt_rng_int(&r, 1, 7) + (kw - 1) * a.conv.dilations[1];
        int64_t oh = (h + a.conv.pads[0] + a.conv.pads[2] - (kh - 1) * a.conv.dilations[0] - 1) /
                         a.conv.strides[0] + 1;
        int64_t ow = (w + a.conv.pads[1] + a.conv.pads[3] - (kw - 1) * a.conv.dilations[1] - 1) /
                         a.conv.strides[1] + 1;
        int64_t xd[4] = {n, c, h, w}, wd[4] = {m, cg, kh, kw}, yd[4] = {n, m, oh, ow};
        int64_t nx = n * c * h * w, nw = m * cg * kh * kw, ny = n * m * oh * ow;
        void *x = bytes_alloc((size_t)nx), *wt = bytes_alloc((size_t)nw), *zx = bytes_alloc(1);
        void *zw = bytes_alloc((size_t)m);
        fill_int(&r, tx, x, nx);
        fill_int(&r, tw, wt, nw);
        fill_int(&r, tx, zx, 1);
        fill_int(&r, tw, zw, m);
        int per_channel = rep % 2;
        int32_t *y = (int32_t *)rt_guarded_alloc((size_t)ny);
        runt_tensor in[4] = {view(tx, x, 4, xd), view(tw, wt, 4, wd), view(tx, zx, 0, NULL),
                             per_channel ? view(tw, zw, 1, &m) : view(tw, zw, 0, NULL)};
        runt_tensor yt = view(RUNT_I32, y, 4, yd);
        RT_ASSERT(runt_ref_conv_integer(&a, in, 4, &yt, 1) == RUNT_OK, "%s", runt_last_error());
        for (int64_t b = 0; b < n; b++)
            for (int64_t mo = 0; mo < m; mo++)
                for (int64_t oy = 0; oy < oh; oy++)
                    for (int64_t ox = 0; ox < ow; ox++) {
                        int64_t acc = 0, g = mo / mg, zpw = get_int(tw, zw, per_channel ? mo : 0);
                        for (int64_t ci = 0; ci < cg; ci++)
                            for (int64_t i = 0; i < kh; i++)
                                for (int64_t j = 0; j < kw; j++) {
                                    int64_t iy = oy * a.conv.strides[0] - a.conv.pads[0] +
                                                 i * a.conv.dilations[0];
                                    int64_t ix = ox * a.conv.strides[1] - a.conv.pads[1] +
                                                 j * a.conv.dilations[1];
                                    /* Padding holds the zero point: it adds nothing. */
                                    int64_t xv = iy >= 0 && iy < h && ix >= 0 && ix < w
                                                     ? get_int(tx, x, ((b * c + g * cg + ci) * h + iy) * w + ix)
                                                     : get_int(tx, zx, 0);
                                    acc += (xv - get_int(tx, zx, 0)) *
                                           (get_int(tw, wt, ((mo * cg + ci) * kh + i) * kw + j) - zpw);
                                }
                        int64_t at = ((b * m + mo) * oh + oy) * ow + ox;
                        RT_ASSERT(y[at] == acc, "ConvInteger case %d at %lld: got %d, want %lld",
                                  rep, (long long)at, y[at], (long long)acc);
                    }
        RT_ASSERT(rt_guard_intact((float *)y, (size_t)ny), "wrote past the output");
        free(x), free(wt), free(zx), free(zw);
        rt_guarded_free((float *)y);
    }
}

/* ------------------------------------------------------------------------- */
/* Cast                                                                      */
/* ------------------------------------------------------------------------- */

static void cast_check(runt_dtype from, const void *x, runt_dtype to, const void *want, int64_t n)
{
    size_t es = runt_dtype_size(to);
    void *y = bytes_alloc(es * (size_t)n);
    runt_attrs a;
    runt_attrs_default(RUNT_OP_CAST, &a);
    a.cast.to = to;
    runt_tensor in = view(from, (void *)x, 1, &n), yt = view(to, y, 1, &n);
    RT_ASSERT(runt_ref_cast(&a, &in, 1, &yt, 1) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(memcmp(y, want, es * (size_t)n) == 0, "Cast %s -> %s differs",
              runt_dtype_name(from), runt_dtype_name(to));
    for (int64_t i = 0; to != RUNT_F32 && i < n; i++)
        RT_ASSERT(get_int(to, y, i) == get_int(to, want, i), "Cast %s -> %s element %lld: got "
                  "%lld, want %lld", runt_dtype_name(from), runt_dtype_name(to), (long long)i,
                  (long long)get_int(to, y, i), (long long)get_int(to, want, i));
    RT_ASSERT(bytes_intact(y, es * (size_t)n), "wrote past the output");
    free(y);
}

RT_TEST(ref_quant, cast_between_dtypes)
{
    /* float -> integer truncates toward zero (C, numpy); beyond the range
     * runt saturates (ONNX leaves it undefined); NaN becomes 0. */
    const float f[] = {3.7f, -0.5f, -3.7f, 300.0f, -5.0f, NAN, 127.9f, -200.0f};
    const uint8_t f_u8[] = {3, 0, 0, 255, 0, 0, 127, 0};
    const int8_t f_i8[] = {3, 0, -3, 127, -5, 0, 127, -128};
    const int32_t f_i32[] = {3, 0, -3, 300, -5, 0, 127, -200};
    cast_check(RUNT_F32, f, RUNT_U8, f_u8, 8);
    cast_check(RUNT_F32, f, RUNT_I8, f_i8, 8);
    cast_check(RUNT_F32, f, RUNT_I32, f_i32, 8);
    /* integer -> integer wraps modulo 2^bits (C's conversion to unsigned). */
    const int32_t i[] = {300, -1, 128, -129, 2147483647};
    const uint8_t i_u8[] = {44, 255, 128, 127, 255};
    const int8_t i_i8[] = {44, -1, -128, 127, -1};
    cast_check(RUNT_I32, i, RUNT_U8, i_u8, 5);
    cast_check(RUNT_I32, i, RUNT_I8, i_i8, 5);
    const uint8_t u[] = {200, 0, 127, 128};
    const int8_t u_i8[] = {-56, 0, 127, -128};
    cast_check(RUNT_U8, u, RUNT_I8, u_i8, 4);
    const int64_t l[] = {INT64_C(4294967301), INT64_C(2147483648), -1};
    const int32_t l_i32[] = {5, INT32_MIN, -1};
    cast_check(RUNT_I64, l, RUNT_I32, l_i32, 3);
    /* integer -> float rounds to nearest even: 2^24 + 1 -> 2^24. */
    const int32_t big[] = {16777217, -7, 0};
    const float big_f[] = {16777216.0f, -7.0f, 0.0f};
    cast_check(RUNT_I32, big, RUNT_F32, big_f, 3);
    const int8_t s[] = {-128, 127};
    const float s_f[] = {-128.0f, 127.0f};
    cast_check(RUNT_I8, s, RUNT_F32, s_f, 2);
}

/* The kernels refuse dtypes they do not compute (the core's shape inference
 * refuses them first; a backend calling a kernel directly gets a message). */
RT_TEST(ref_quant, kernels_refuse_other_dtypes)
{
    float f[4] = {1, 2, 3, 4}, s = 1.0f;
    int64_t n = 4;
    runt_attrs a = quant_attrs(1, 0);
    runt_tensor in[4] = {view(RUNT_F32, f, 1, &n), view(RUNT_F32, &s, 0, NULL), absent(),
                         absent()};
    runt_tensor out = view(RUNT_F32, f, 1, &n);
    RT_ASSERT(runt_ref_quantize_linear(&a, in, 3, &out, 1) == RUNT_E_UNSUPPORTED &&
                  strstr(runt_last_error(), "QuantizeLinear"), "f32 output: '%s'",
              runt_last_error());
    RT_ASSERT(runt_ref_dequantize_linear(&a, in, 3, &out, 1) == RUNT_E_UNSUPPORTED &&
                  strstr(runt_last_error(), "DequantizeLinear"), "f32 input: '%s'",
              runt_last_error());
    RT_ASSERT(runt_ref_dynamic_quantize_linear(&a, in, 1, &out, 1) == RUNT_E_UNSUPPORTED,
              "f32 output: '%s'", runt_last_error());
    in[1] = view(RUNT_F32, f, 1, &n);
    RT_ASSERT(runt_ref_matmul_integer(&a, in, 2, &out, 1) == RUNT_E_UNSUPPORTED &&
                  strstr(runt_last_error(), "MatMulInteger"), "f32 operands: '%s'",
              runt_last_error());
    runt_attrs c;
    runt_attrs_default(RUNT_OP_CONV_INTEGER, &c);
    RT_ASSERT(runt_ref_conv_integer(&c, in, 2, &out, 1) == RUNT_E_UNSUPPORTED &&
                  strstr(runt_last_error(), "ConvInteger"), "f32 operands: '%s'",
              runt_last_error());
    runt_tensor bad = view((runt_dtype)77, f, 1, &n);
    RT_ASSERT(runt_ref_cast(&a, &bad, 1, &out, 1) == RUNT_E_UNSUPPORTED, "unknown dtype");
}
