/*
 * The quantization ops, computed as the ONNX specification states them and
 * as its reference implementation (onnx/reference/ops) evaluates them:
 *
 *   QuantizeLinear         y = saturate(round(x / scale) + zero_point)
 *   DequantizeLinear       y = (x - zero_point) * scale
 *   DynamicQuantizeLinear  scale = (max(0, max x) - min(0, min x)) / 255,
 *                          zero_point = saturate(round(0 - min(0, min x) / scale)),
 *                          y = saturate(round(x / scale) + zero_point), uint8
 *   MatMulInteger          y = (A - a_zero_point) (B - b_zero_point), numpy matmul, int32
 *   ConvInteger            Conv of (x - x_zero_point) and (w - w_zero_point), int32
 *   Cast                   between f32, uint8, int8, int32 and int64
 *
 * round is round half to even; saturate clamps to the output type's range.
 * All float arithmetic is f32 in the order written (what the reference
 * implementation does with float32 arrays), so these kernels reproduce
 * onnxruntime's bit for bit where it follows the spec. Shapes, dtypes and
 * the scale layout (per tensor, per axis, blocked; attrs axis resolved) were
 * checked by the core (runtime/shape_quant.c); scale values are data and are
 * checked here.
 */
#include "common/tensor_geom.h"
#include "ref_impl.h"

#include <math.h>
#include <stdint.h>


/* ------------------------------------------------------------------------- */
/* Rounding, zero points, scale layouts                                      */
/* ------------------------------------------------------------------------- */

/* Round half to even, written out (the spec's rounding, numpy's rint). Exact
 * for |v| < 2^23, where v - floor(v) is exact; callers clamp first. */
static float round_half_even(float v)
{
    float r = floorf(v), frac = v - r;
    if (frac > 0.5f || (frac == 0.5f && fmodf(r, 2.0f) != 0.0f))
        r += 1.0f;
    return r;
}

static int is_8bit(runt_dtype t) { return t == RUNT_U8 || t == RUNT_I8; }

/* Element j of an integer tensor (u8, i8, i32, i64), or 0 without one. */
static int64_t int_at(const runt_tensor *t, int64_t j)
{
    if (!t || !t->data)
        return 0;
    switch (t->dtype) {
    case RUNT_U8: return ((const uint8_t *)t->data)[j];
    case RUNT_I8: return ((const int8_t *)t->data)[j];
    case RUNT_I32: return ((const int32_t *)t->data)[j];
    default: return ((const int64_t *)t->data)[j];
    }
}

/* Which scale element applies to each element of x (row-major): one for the
 * whole tensor; index a along axis (per axis); or the block of a, with the
 * other coordinates, in a scale of x's rank (blocked). */
typedef struct qlayout {
    int64_t count;            /* scale elements                */
    int64_t axis_len, inner;  /* x.dims[axis], product after it */
    int64_t block, n_blocks;  /* 0 unless blocked              */
} qlayout;

static qlayout qlayout_make(const runt_tensor *x, const runt_tensor *scale,
                            const runt_quant_attrs *q)
{
    qlayout l = {runt_tensor_count(scale), 1, 1, 0, 0};
    if (l.count == 1)
        return l;
    l.axis_len = x->dims[q->axis];
    for (int d = q->axis + 1; d < x->ndim; d++)
        l.inner *= x->dims[d];
    if (q->block_size > 0) {
        l.block = q->block_size;
        l.n_blocks = (l.axis_len + l.block - 1) / l.block;
    }
    return l;
}

static int64_t qlayout_index(const qlayout *l, int64_t i)
{
    if (l->count == 1)
        return 0;
    int64_t a = i / l->inner % l->axis_len;
    if (!l->block)
        return a;
    int64_t outer = i / (l->inner * l->axis_len), r = i % l->inner;
    return (outer * l->n_blocks + a / l->block) * l->inner + r;
}

static void range_of(runt_dtype t, int32_t *lo, int32_t *hi)
{
    *lo = t == RUNT_U8 ? 0 : -128;
    *hi = t == RUNT_U8 ? 255 : 127;
}

/* saturate(round(v) + zp) into [lo, hi]. Clamping v to [lo - zp, hi - zp]
 * first gives the same result (the bounds are integers) and keeps v where
 * round_half_even is exact; NaN goes to lo, as the reference
 * implementation's cast of NaN to int32 (INT32_MIN) then clip does. */
static int32_t quantize_one(float v, int32_t zp, int32_t lo, int32_t hi)
{
    float vlo = (float)(lo - zp), vhi = (float)(hi - zp);
    v = v > vlo ? v : vlo;
    v = v < vhi ? v : vhi;
    return (int32_t)round_half_even(v) + zp;
}

static void store_q(const runt_tensor *y, int64_t i, int32_t q)
{
    if (y->dtype == RUNT_U8)
        ((uint8_t *)y->data)[i] = (uint8_t)q;
    else
        ((int8_t *)y->data)[i] = (int8_t)q;
}

/* ------------------------------------------------------------------------- */
/* QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear                   */
/* ------------------------------------------------------------------------- */

runt_status runt_ref_quantize_linear(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                                     runt_tensor *out, int n_out)
{
    (void)n_out;
    const runt_tensor *x = &in[0], *scale = &in[1];
    const runt_tensor *zp = n_in > 2 && in[2].data ? &in[2] : NULL;
    if (x->dtype != RUNT_F32 || scale->dtype != RUNT_F32 || !is_8bit(out[0].dtype) ||
        (zp && zp->dtype != out[0].dtype))
        return runt_error_set(RUNT_E_UNSUPPORTED, "QuantizeLinear: f32 to uint8 or int8 only");
    qlayout l = qlayout_make(x, scale, &attrs->quant);
    const float *s = scale->data, *xd = x->data;
    for (int64_t j = 0; j < l.count; j++)
        if (!(isfinite(s[j]) && s[j] != 0.0f))
            return runt_error_set(RUNT_E_INVALID_ARG, "QuantizeLinear: y_scale[%lld] is %g; "
                                  "it must be finite and non-zero (x is divided by it)",
                                  (long long)j, (double)s[j]);
    int32_t lo, hi;
    range_of(out[0].dtype, &lo, &hi);
    int64_t n = runt_tensor_count(x);
    for (int64_t i = 0; i < n; i++) {
        int64_t j = qlayout_index(&l, i);
        store_q(&out[0], i, quantize_one(xd[i] / s[j], (int32_t)int_at(zp, j), lo, hi));
    }
    return RUNT_OK;
}

/* The reference implementation subtracts in float32 for 8-bit x (exact) and
 * multiplies in float32 (one rounding); int32 x (a quantized bias) goes
 * through float32 and then float64, as numpy promotes float32 - int32. */
runt_status runt_ref_dequantize_linear(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                                       runt_tensor *out, int n_out)
{
    (void)n_out;
    const runt_tensor *x = &in[0], *scale = &in[1];
    const runt_tensor *zp = n_in > 2 && in[2].data ? &in[2] : NULL;
    if ((!is_8bit(x->dtype) && x->dtype != RUNT_I32) || scale->dtype != RUNT_F32 ||
        out[0].dtype != RUNT_F32 || (zp && zp->dtype != x->dtype))
        return runt_error_set(RUNT_E_UNSUPPORTED, "DequantizeLinear: uint8, int8 or int32 to "
                              "f32 only");
    qlayout l = qlayout_make(x, scale, &attrs->quant);
    const float *s = scale->data;
    float *y = out[0].data;
    int64_t n = runt_tensor_count(x);
    for (int64_t i = 0; i < n; i++) {
        int64_t j = qlayout_index(&l, i);
        if (x->dtype == RUNT_I32)
            y[i] = (float)(((double)(float)int_at(x, i) - (double)int_at(zp, j)) * (double)s[j]);
        else
            y[i] = (float)(int_at(x, i) - int_at(zp, j)) * s[j];
    }
    return RUNT_OK;
}

/* When x is all zeros (max == min) the spec's scale is 0/0: onnxruntime then
 * uses scale 1 (zero point 0, every q 0), and so does runt; the ONNX
 * reference implementation's 1/255 quantizes the same. NaN elements take no
 * part in the range (onnxruntime's min/max skip them). */
runt_status runt_ref_dynamic_quantize_linear(const runt_attrs *attrs, const runt_tensor *in,
                                             int n_in, runt_tensor *out, int n_out)
{
    (void)attrs, (void)n_in;
    const runt_tensor *x = &in[0];
    if (x->dtype != RUNT_F32 || out[0].dtype != RUNT_U8)
        return runt_error_set(RUNT_E_UNSUPPORTED, "DynamicQuantizeLinear: f32 to uint8 only");
    const float *xd = x->data;
    int64_t n = runt_tensor_count(x);
    float lo = 0.0f, hi = 0.0f;
    for (int64_t i = 0; i < n; i++) {
        lo = xd[i] < lo ? xd[i] : lo;
        hi = xd[i] > hi ? xd[i] : hi;
    }
    float scale = hi == lo ? 1.0f : (hi - lo) / 255.0f;
    float zp_real = 0.0f - lo / scale;
    zp_real = zp_real > 0.0f ? zp_real : 0.0f;
    zp_real = zp_real < 255.0f ? zp_real : 255.0f;
    int32_t zp = (int32_t)round_half_even(zp_real);
    uint8_t *q = out[0].data;
    for (int64_t i = 0; i < n; i++)
        q[i] = (uint8_t)quantize_one(xd[i] / scale, zp, 0, 255);
    if (n_out > 1 && out[1].data)
        *(float *)out[1].data = scale;
    if (n_out > 2 && out[2].data)
        *(uint8_t *)out[2].data = (uint8_t)zp;
    return RUNT_OK;
}

/* ------------------------------------------------------------------------- */
/* MatMulInteger                                                             */
/* ------------------------------------------------------------------------- */

/* Strides of a zero point read as a tensor of t's rank (aligned from the
 * right, a dim of 1 repeated). A's per-row vector [M] is read as [M, 1]. */
static void zp_strides(const runt_tensor *zp, const runt_tensor *t, int is_a, int64_t *strides)
{
    for (int d = 0; d < t->ndim; d++)
        strides[d] = 0;
    if (!zp || runt_tensor_count(zp) == 1)
        return;
    runt_tensor v = *zp;
    if (is_a && v.ndim == 1) {
        v.ndim = 2;
        v.dims[1] = 1;
    }
    int64_t step = 1;
    for (int d = v.ndim - 1; d >= 0; d--) {
        int td = t->ndim - v.ndim + d;
        strides[td] = v.dims[d] == 1 ? 0 : step;
        step *= v.dims[d];
    }
}

/* The zero point of element `flat` of t (row-major), by its coordinates. */
static int64_t zp_of(const runt_tensor *zp, const runt_tensor *t, const int64_t *strides,
                     int64_t flat)
{
    int64_t at = 0;
    for (int d = t->ndim - 1; d >= 0; d--) {
        at += flat % t->dims[d] * strides[d];
        flat /= t->dims[d];
    }
    return int_at(zp, at);
}

static runt_status store_i32(int32_t *y, int64_t i, int64_t acc, const char *op)
{
    if (acc < INT32_MIN || acc > INT32_MAX)
        return runt_error_set(RUNT_E_UNSUPPORTED, "%s: output element %lld is %lld, beyond the "
                              "int32 accumulator", op, (long long)i, (long long)acc);
    y[i] = (int32_t)acc;
    return RUNT_OK;
}

/* Sums in int64 and refuses results beyond int32 (possible only past
 * K = 33025 for uint8 x uint8) rather than wrapping. */
runt_status runt_ref_matmul_integer(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                                    runt_tensor *out, int n_out)
{
    (void)attrs, (void)n_out;
    const runt_tensor *ta = &in[0], *tb = &in[1];
    const runt_tensor *za = n_in > 2 && in[2].data ? &in[2] : NULL;
    const runt_tensor *zb = n_in > 3 && in[3].data ? &in[3] : NULL;
    if (!is_8bit(ta->dtype) || !is_8bit(tb->dtype) || out[0].dtype != RUNT_I32)
        return runt_error_set(RUNT_E_UNSUPPORTED, "MatMulInteger: uint8/int8 to int32 only");
    runt_geom_matmul g = runt_geom_matmul_of(ta, tb, &out[0]);
    int64_t m = g.m, n = g.n, k = g.k;
    int64_t zsa[RUNT_MAX_DIMS], zsb[RUNT_MAX_DIMS];
    zp_strides(za, ta, 1, zsa);
    zp_strides(zb, tb, 0, zsb);
    int32_t *y = out[0].data;
    for (int64_t bi = 0; bi < g.n_batch; bi++) {
        int64_t off_a, off_b;
        runt_geom_batch_offsets(out[0].dims, g.nb, bi, g.sa, g.sb, &off_a, &off_b);
        for (int64_t i = 0; i < m; i++) {
            int64_t a0 = off_a + i * k, zpa = zp_of(za, ta, zsa, a0);
            for (int64_t j = 0; j < n; j++) {
                int64_t zpb = zp_of(zb, tb, zsb, off_b + j), acc = 0;
                for (int64_t p = 0; p < k; p++)
                    acc += (int_at(ta, a0 + p) - zpa) * (int_at(tb, off_b + p * n + j) - zpb);
                runt_status s = store_i32(y, (bi * m + i) * n + j, acc, "MatMulInteger");
                if (s != RUNT_OK)
                    return s;
            }
        }
    }
    return RUNT_OK;
}

/* ------------------------------------------------------------------------- */
/* ConvInteger                                                               */
/* ------------------------------------------------------------------------- */

/* One output pixel: taps in the padding are (x_zero_point - x_zero_point) *
 * w = 0, so they are skipped, as ref_conv.c skips them. */
static int64_t conv_integer_pixel(const runt_conv_attrs *a, const runt_tensor *x, int64_t x0,
                                  int64_t zx, const runt_tensor *w, int64_t w0, int64_t zw,
                                  int64_t cg, int64_t oy, int64_t ox)
{
    int64_t h = x->dims[2], wd = x->dims[3], kh = w->dims[2], kw = w->dims[3], acc = 0;
    for (int64_t c = 0; c < cg; c++)
        for (int64_t i = 0; i < kh; i++) {
            int64_t iy = oy * a->strides[0] - a->pads[0] + i * a->dilations[0];
            if (iy < 0 || iy >= h)
                continue;
            for (int64_t j = 0; j < kw; j++) {
                int64_t ix = ox * a->strides[1] - a->pads[1] + j * a->dilations[1];
                if (ix >= 0 && ix < wd)
                    acc += (int_at(x, x0 + (c * h + iy) * wd + ix) - zx) *
                           (int_at(w, w0 + (c * kh + i) * kw + j) - zw);
            }
        }
    return acc;
}

runt_status runt_ref_conv_integer(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                                  runt_tensor *out, int n_out)
{
    (void)n_out;
    const runt_conv_attrs *a = &attrs->conv;
    const runt_tensor *x = &in[0], *w = &in[1];
    const runt_tensor *zx = n_in > 2 && in[2].data ? &in[2] : NULL;
    const runt_tensor *zw = n_in > 3 && in[3].data ? &in[3] : NULL;
    if (!is_8bit(x->dtype) || !is_8bit(w->dtype) || out[0].dtype != RUNT_I32)
        return runt_error_set(RUNT_E_UNSUPPORTED, "ConvInteger: uint8/int8 to int32 only");
    if (x->ndim != 4 || w->ndim != 4 || out[0].ndim != 4 || a->group < 1)
        return runt_error_set(RUNT_E_UNSUPPORTED, "ConvInteger: only 2-D (NCHW) is implemented");
    int64_t n = x->dims[0], c = x->dims[1], m = w->dims[0], cg = w->dims[1];
    int64_t mg = m / a->group, oh = out[0].dims[2], ow = out[0].dims[3];
    int64_t per_w = cg * w->dims[2] * w->dims[3], zpx = int_at(zx, 0);
    int per_channel = zw && runt_tensor_count(zw) > 1;
    int32_t *y = out[0].data;
    for (int64_t b = 0; b < n; b++)
        for (int64_t mo = 0; mo < m; mo++) {
            int64_t x0 = (b * c + (mo / mg) * cg) * x->dims[2] * x->dims[3];
            int64_t zpw = int_at(zw, per_channel ? mo : 0);
            for (int64_t oy = 0; oy < oh; oy++)
                for (int64_t ox = 0; ox < ow; ox++) {
                    int64_t acc = conv_integer_pixel(a, x, x0, zpx, w, mo * per_w, zpw, cg, oy, ox);
                    runt_status s = store_i32(y, ((b * m + mo) * oh + oy) * ow + ox, acc,
                                              "ConvInteger");
                    if (s != RUNT_OK)
                        return s;
                }
        }
    return RUNT_OK;
}

/* ------------------------------------------------------------------------- */
/* Cast                                                                      */
/* ------------------------------------------------------------------------- */

/* Integer v into an integer dtype, modulo 2^bits as C's conversion to an
 * unsigned type, numpy's astype and onnxruntime's static_cast do. */
static void store_int(const runt_tensor *y, int64_t i, int64_t v)
{
    uint64_t u = (uint64_t)v;
    switch (y->dtype) {
    case RUNT_U8: ((uint8_t *)y->data)[i] = (uint8_t)u; break;
    case RUNT_I8: ((int8_t *)y->data)[i] = (int8_t)((int)(u & 0xffu) - (u & 0x80u ? 256 : 0)); break;
    case RUNT_I32:
        ((int32_t *)y->data)[i] = (int32_t)((int64_t)(u & 0xffffffffu) -
                                            (u & 0x80000000u ? INT64_C(0x100000000) : 0));
        break;
    default: ((int64_t *)y->data)[i] = v; break;
    }
}

/* A float into an integer dtype: truncated toward zero, as C and numpy
 * convert. ONNX leaves values beyond the target's range undefined; runt
 * saturates them, and NaN becomes 0. */
static int64_t float_to_int(float v, runt_dtype to)
{
    double lo = to == RUNT_U8 ? 0.0 : to == RUNT_I8 ? -128.0 : to == RUNT_I32 ? -2147483648.0
                                                                              : -9223372036854775808.0;
    double hi = to == RUNT_U8 ? 255.0 : to == RUNT_I8 ? 127.0 : to == RUNT_I32 ? 2147483647.0
                                                                               : 9223372036854774784.0;
    double t = truncf(v);
    if (t != t)
        return 0;
    return (int64_t)(t < lo ? lo : t > hi ? hi : t);
}

runt_status runt_ref_cast(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                          runt_tensor *out, int n_out)
{
    (void)attrs, (void)n_in, (void)n_out;
    const runt_tensor *x = &in[0], *y = &out[0];
    if (!runt_dtype_size(x->dtype) || !runt_dtype_size(y->dtype))
        return runt_error_set(RUNT_E_UNSUPPORTED, "Cast: unknown dtype");
    int64_t n = runt_tensor_count(x);
    for (int64_t i = 0; i < n; i++) {
        if (x->dtype == RUNT_F32) {
            float v = ((const float *)x->data)[i];
            if (y->dtype == RUNT_F32)
                ((float *)y->data)[i] = v;
            else
                store_int(y, i, float_to_int(v, y->dtype));
        } else if (y->dtype == RUNT_F32) {
            ((float *)y->data)[i] = (float)int_at(x, i);
        } else {
            store_int(y, i, int_at(x, i));
        }
    }
    return RUNT_OK;
}
