/*
 * Shape and dtype inference of the quantization ops, as the ONNX operator
 * specifications define them (QuantizeLinear and DequantizeLinear 10 to 25,
 * DynamicQuantizeLinear 11, MatMulInteger 10, ConvInteger 10, Cast). Unlike
 * the float ops their dtypes vary by input, so they are checked here:
 *
 *   QuantizeLinear         x f32, scale f32, zero point u8/i8 -> the zero
 *                          point's dtype (attrs output_dtype, else u8, without)
 *   DequantizeLinear       x u8/i8/i32, scale f32, zero point of x's dtype -> f32
 *   DynamicQuantizeLinear  x f32 -> y u8 (x's shape), scale f32 [], zero point u8 []
 *   MatMulInteger          u8/i8 operands, zero points of their dtypes -> i32
 *   ConvInteger            the same, Conv's shape rules -> i32
 *   Cast                   any runt dtype -> attrs cast.to
 *
 * Scale layouts are resolved here once, so kernels index without checking:
 * one element is per tensor; a 1-D scale of dims[axis] elements is per axis;
 * with block_size > 0 the scale has x's rank and ceil(dims[axis] / block_size)
 * along axis. axis leaves in [0, rank) whenever it matters.
 */
#include "shape.h"

#include "error.h"

int runt_shape_is_quant(runt_op op)
{
    switch (op) {
    case RUNT_OP_QUANTIZE_LINEAR:
    case RUNT_OP_DEQUANTIZE_LINEAR:
    case RUNT_OP_DYNAMIC_QUANTIZE_LINEAR:
    case RUNT_OP_MATMUL_INTEGER:
    case RUNT_OP_CONV_INTEGER:
    case RUNT_OP_CAST:
        return 1;
    default:
        return 0;
    }
}

static int present(const runt_tensor *in, int n_in, int i)
{
    return i < n_in && in[i].ndim >= 0;
}

static int is_8bit(runt_dtype t) { return t == RUNT_U8 || t == RUNT_I8; }

static void set_shape(runt_tensor *t, runt_dtype dtype, const runt_tensor *like)
{
    *t = *like;
    t->data = NULL;
    t->scale = 0.0f;
    t->zero_point = 0;
    t->dtype = dtype;
}

static int same_dims(const runt_tensor *a, const runt_tensor *b)
{
    int same = a->ndim == b->ndim;
    for (int d = 0; same && d < a->ndim; d++)
        same = a->dims[d] == b->dims[d];
    return same;
}

/* The scale's layout against x (resolving axis), and the zero point's
 * agreement with the scale. */
static runt_status check_layout(const runt_tensor *x, const runt_tensor *scale,
                                const runt_tensor *zp, runt_quant_attrs *q)
{
    char sx[96], ss[96], sz[96];
    int64_t count = runt_tensor_count(scale);
    if (scale->dtype != RUNT_F32)
        return runt_error_set(RUNT_E_UNSUPPORTED, "the scale (input 1) is %s; runt reads f32 scales",
                              runt_dtype_name(scale->dtype));
    if (q->block_size < 0)
        return runt_error_set(RUNT_E_BAD_MODEL, "block_size %d is negative", q->block_size);
    if (count != 1) {
        int rank = x->ndim;
        if (q->axis < -rank || q->axis >= rank)
            return runt_error_set(RUNT_E_BAD_MODEL, "axis %d is out of range for input %s", q->axis,
                                  runt_shape_str(x, sx, sizeof sx));
        if (q->axis < 0)
            q->axis += rank;
        int ok;
        if (q->block_size == 0) {
            ok = scale->ndim == 1 && scale->dims[0] == x->dims[q->axis];
        } else {
            ok = scale->ndim == rank;
            for (int d = 0; ok && d < rank; d++) {
                int64_t want = d == q->axis ? (x->dims[d] + q->block_size - 1) / q->block_size
                                            : x->dims[d];
                ok = scale->dims[d] == want;
            }
        }
        if (!ok)
            return runt_error_set(RUNT_E_SHAPE, "scale %s does not fit input %s %s %d%s",
                                  runt_shape_str(scale, ss, sizeof ss),
                                  runt_shape_str(x, sx, sizeof sx),
                                  q->block_size ? "in blocks of" : "along axis",
                                  q->block_size ? q->block_size : q->axis,
                                  q->block_size ? "" : " (per axis: one element per index)");
    }
    if (zp && (runt_tensor_count(zp) != count || (count != 1 && !same_dims(zp, scale))))
        return runt_error_set(RUNT_E_SHAPE, "the zero point %s and the scale %s differ in shape",
                              runt_shape_str(zp, sz, sizeof sz),
                              runt_shape_str(scale, ss, sizeof ss));
    return RUNT_OK;
}

static runt_status infer_quantize(runt_attrs *attrs, const runt_tensor *in, int n_in,
                                  runt_tensor *out)
{
    const runt_tensor *zp = present(in, n_in, 2) ? &in[2] : NULL;
    runt_dtype want = attrs->quant.output_dtype;
    if (in[0].dtype != RUNT_F32)
        return runt_error_set(RUNT_E_UNSUPPORTED, "input 0 is %s; runt quantizes f32",
                              runt_dtype_name(in[0].dtype));
    if (want != RUNT_F32 && !is_8bit(want))
        return runt_error_set(RUNT_E_UNSUPPORTED, "output_dtype %s; runt quantizes to uint8 and "
                              "int8", runt_dtype_name(want));
    if (zp && !is_8bit(zp->dtype))
        return runt_error_set(RUNT_E_UNSUPPORTED, "the zero point (input 2) is %s; runt quantizes "
                              "to uint8 and int8", runt_dtype_name(zp->dtype));
    if (zp && want != RUNT_F32 && want != zp->dtype)
        return runt_error_set(RUNT_E_BAD_MODEL, "output_dtype %s disagrees with the zero point's "
                              "%s", runt_dtype_name(want), runt_dtype_name(zp->dtype));
    runt_status s = check_layout(&in[0], &in[1], zp, &attrs->quant);
    if (s != RUNT_OK)
        return s;
    set_shape(out, zp ? zp->dtype : want != RUNT_F32 ? want : RUNT_U8, &in[0]);
    return RUNT_OK;
}

static runt_status infer_dequantize(runt_attrs *attrs, const runt_tensor *in, int n_in,
                                    runt_tensor *out)
{
    const runt_tensor *zp = present(in, n_in, 2) ? &in[2] : NULL;
    if (!is_8bit(in[0].dtype) && in[0].dtype != RUNT_I32)
        return runt_error_set(RUNT_E_UNSUPPORTED, "input 0 is %s; runt dequantizes uint8, int8 "
                              "and int32", runt_dtype_name(in[0].dtype));
    if (zp && zp->dtype != in[0].dtype)
        return runt_error_set(RUNT_E_BAD_MODEL, "the zero point (input 2) is %s and x is %s; "
                              "ONNX requires one type", runt_dtype_name(zp->dtype),
                              runt_dtype_name(in[0].dtype));
    if (attrs->quant.output_dtype != RUNT_F32)
        return runt_error_set(RUNT_E_UNSUPPORTED, "output_dtype %s; runt dequantizes to f32",
                              runt_dtype_name(attrs->quant.output_dtype));
    runt_status s = check_layout(&in[0], &in[1], zp, &attrs->quant);
    if (s != RUNT_OK)
        return s;
    set_shape(out, RUNT_F32, &in[0]);
    return RUNT_OK;
}

static runt_status infer_dynamic(const runt_tensor *in, runt_tensor *out, int n_out)
{
    runt_tensor scalar = {0};
    if (in[0].dtype != RUNT_F32)
        return runt_error_set(RUNT_E_UNSUPPORTED, "input 0 is %s; DynamicQuantizeLinear reads f32",
                              runt_dtype_name(in[0].dtype));
    set_shape(&out[0], RUNT_U8, &in[0]);
    if (n_out > 1)
        set_shape(&out[1], RUNT_F32, &scalar);
    if (n_out > 2)
        set_shape(&out[2], RUNT_U8, &scalar);
    return RUNT_OK;
}

/* The u8/i8 operands and their optional zero points (inputs 2 and 3). */
static runt_status check_integer_operands(const runt_tensor *in, int n_in)
{
    for (int i = 0; i < 2; i++)
        if (!is_8bit(in[i].dtype))
            return runt_error_set(RUNT_E_UNSUPPORTED, "input %d is %s; the integer ops take "
                                  "uint8 and int8", i, runt_dtype_name(in[i].dtype));
    for (int i = 2; i < 4; i++)
        if (present(in, n_in, i) && in[i].dtype != in[i - 2].dtype)
            return runt_error_set(RUNT_E_BAD_MODEL, "zero point (input %d) is %s and input %d "
                                  "is %s; ONNX requires one type", i,
                                  runt_dtype_name(in[i].dtype), i - 2,
                                  runt_dtype_name(in[i - 2].dtype));
    return RUNT_OK;
}

/* MatMulInteger's zero point of operand t (is_a: A, per row; else B, per
 * column): one element; a vector of M (A) or N (B); or t's rank with a 1 in
 * place of K, broadcasting over t's other dims. */
static int matmul_zp_fits(const runt_tensor *zp, const runt_tensor *t, int is_a)
{
    if (runt_tensor_count(zp) == 1)
        return 1;
    if (t->ndim < 2)
        return 0;
    int k_dim = is_a ? t->ndim - 1 : t->ndim - 2;
    int other = is_a ? t->ndim - 2 : t->ndim - 1;
    if (zp->ndim == 1)
        return zp->dims[0] == t->dims[other];
    if (zp->ndim != t->ndim || zp->dims[k_dim] != 1)
        return 0;
    for (int d = 0; d < t->ndim; d++)
        if (d != k_dim && zp->dims[d] != t->dims[d] && zp->dims[d] != 1)
            return 0;
    return 1;
}

/* The f32 twins of the two operands, for the float op's shape rules. */
static void as_f32(const runt_tensor *in, runt_tensor *twins)
{
    for (int i = 0; i < 2; i++) {
        twins[i] = in[i];
        twins[i].dtype = RUNT_F32;
    }
}

static runt_status infer_matmul_integer(runt_attrs *attrs, const runt_tensor *in, int n_in,
                                        runt_tensor *out)
{
    char sz[96], st[96];
    runt_status s = check_integer_operands(in, n_in);
    if (s != RUNT_OK)
        return s;
    for (int i = 2; i < 4; i++)
        if (present(in, n_in, i) && !matmul_zp_fits(&in[i], &in[i - 2], i == 2))
            return runt_error_set(RUNT_E_SHAPE, "zero point (input %d) %s does not fit input %d "
                                  "%s (one value, or one per %s)", i,
                                  runt_shape_str(&in[i], sz, sizeof sz), i - 2,
                                  runt_shape_str(&in[i - 2], st, sizeof st),
                                  i == 2 ? "row of A" : "column of B");
    runt_tensor twins[2];
    as_f32(in, twins);
    if ((s = runt_shape_infer_float(RUNT_OP_MATMUL, attrs, twins, 2, out, 1)))
        return s;
    out->dtype = RUNT_I32;
    return RUNT_OK;
}

static runt_status infer_conv_integer(runt_attrs *attrs, const runt_tensor *in, int n_in,
                                      runt_tensor *out)
{
    char sz[96];
    runt_status s = check_integer_operands(in, n_in);
    if (s != RUNT_OK)
        return s;
    if (attrs->conv.epilogue.act != RUNT_ACT_NONE)
        return runt_error_set(RUNT_E_BAD_MODEL, "ConvInteger has no activation epilogue");
    if (present(in, n_in, 2) && runt_tensor_count(&in[2]) != 1)
        return runt_error_set(RUNT_E_SHAPE, "x_zero_point %s: ONNX allows one value",
                              runt_shape_str(&in[2], sz, sizeof sz));
    runt_tensor twins[2];
    as_f32(in, twins);
    if ((s = runt_shape_infer_float(RUNT_OP_CONV, attrs, twins, 2, out, 1)))
        return s;
    if (present(in, n_in, 3) && runt_tensor_count(&in[3]) != 1 &&
        (in[3].ndim != 1 || in[3].dims[0] != in[1].dims[0]))
        return runt_error_set(RUNT_E_SHAPE, "w_zero_point %s: one value, or one per output "
                              "channel (%lld)", runt_shape_str(&in[3], sz, sizeof sz),
                              (long long)in[1].dims[0]);
    out->dtype = RUNT_I32;
    return RUNT_OK;
}

runt_status runt_shape_infer_quant(runt_op op, runt_attrs *attrs, const runt_tensor *in, int n_in,
                                   runt_tensor *out, int n_out)
{
    switch (op) {
    case RUNT_OP_QUANTIZE_LINEAR: return infer_quantize(attrs, in, n_in, out);
    case RUNT_OP_DEQUANTIZE_LINEAR: return infer_dequantize(attrs, in, n_in, out);
    case RUNT_OP_DYNAMIC_QUANTIZE_LINEAR: return infer_dynamic(in, out, n_out);
    case RUNT_OP_MATMUL_INTEGER: return infer_matmul_integer(attrs, in, n_in, out);
    case RUNT_OP_CONV_INTEGER: return infer_conv_integer(attrs, in, n_in, out);
    case RUNT_OP_CAST:
        if (!runt_dtype_size(attrs->cast.to))
            return runt_error_set(RUNT_E_BAD_MODEL, "Cast to unknown dtype %d",
                                  (int)attrs->cast.to);
        set_shape(out, attrs->cast.to, &in[0]);
        return RUNT_OK;
    default:
        return runt_error_set(RUNT_E_UNSUPPORTED, "op %d is not a quantization op", (int)op);
    }
}
