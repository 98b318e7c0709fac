/*
 * ONNX op mappers of the quantization ops and Cast: QuantizeLinear,
 * DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, ConvInteger. Their
 * attributes changed across opsets 10 to 25 (axis, saturate, block_size,
 * output_dtype, precision), and each is refused below the opset that
 * defines it.
 */
#include "error.h"
#include "onnx_impl.h"
#include "onnx_op_args.h"
#include "onnx_op_mappers.h"

/* QuantizeLinear and DequantizeLinear: axis from opset 13, saturate from 19
 * (it changes only float8 results), block_size and QuantizeLinear's
 * output_dtype from 21, precision (QuantizeLinear) and DequantizeLinear's
 * output_dtype from 23. Scale and zero point may be graph inputs. */
runt_status runt_onnx_emit_quantize(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_value_id in[3];
    runt_dtype out_dtype = RUNT_F32, precision = RUNT_F32;
    int r, rr, saturate, has_out, has_precision;
    runt_status s;
    int is_q = op == RUNT_OP_QUANTIZE_LINEAR;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_since(c, n, 10)) || (s = runt_onnx_arity(c, n, 2, 3, 1)) ||
        (s = runt_onnx_attr_int(c, n, "axis", 1, -RUNT_MAX_DIMS, RUNT_MAX_DIMS - 1,
                                &a.quant.axis)) ||
        (s = runt_onnx_attr_int(c, n, "block_size", 0, 0, INT32_MAX, &a.quant.block_size)) ||
        (s = runt_onnx_attr_int(c, n, "saturate", 1, 0, 1, &saturate)) ||
        (s = runt_onnx_attr_dtype(c, n, "output_dtype", &out_dtype, &has_out)) ||
        (s = runt_onnx_attr_dtype(c, n, "precision", &precision, &has_precision)))
        return s;
    if (has_out && is_q && out_dtype != RUNT_U8 && out_dtype != RUNT_I8)
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "output_dtype %s: runt quantizes "
                                    "to UINT8 and INT8", runt_dtype_name(out_dtype));
    if (has_out && !is_q && out_dtype != RUNT_F32)
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "output_dtype %s: runt "
                                    "dequantizes to FLOAT", runt_dtype_name(out_dtype));
    if (has_precision && precision != RUNT_F32)
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "precision %s: runt divides in "
                                    "FLOAT", runt_dtype_name(precision));
    if (is_q && has_out)
        a.quant.output_dtype = out_dtype;
    for (int i = 0; i < 3; i++)
        if ((s = runt_onnx_value(c, n, i, &in[i], i ? &rr : &r)))
            return s;
    return runt_onnx_emit_one(c, n, op, &a, 3, in, r);
}

/* DynamicQuantizeLinear makes y, y_scale and y_zero_point in one node. */
runt_status runt_onnx_emit_dynamic_quantize(runt_onnx_ctx *c, const runt_onnx_node *n,
                                            runt_op op)
{
    runt_value_id x, y[3];
    int r;
    runt_status s;
    if ((s = runt_onnx_since(c, n, 11)) || (s = runt_onnx_arity(c, n, 1, 1, 3)) ||
        (s = runt_onnx_value(c, n, 0, &x, &r)) ||
        (s = runt_onnx_add_node_n(c, n, NULL, op, NULL, 1, &x, 3, y)))
        return s;
    for (int i = 0; i < 3 && i < n->n_outputs; i++)
        if ((s = runt_onnx_define(c, n, i, y[i], i ? 0 : r)))
            return s;
    return RUNT_OK;
}

runt_status runt_onnx_emit_matmul_integer(runt_onnx_ctx *c, const runt_onnx_node *n,
                                          runt_op op)
{
    runt_value_id in[4];
    int r[4];
    runt_status s;
    if ((s = runt_onnx_since(c, n, 10)) || (s = runt_onnx_arity(c, n, 2, 4, 1)))
        return s;
    for (int i = 0; i < 4; i++)
        if ((s = runt_onnx_value(c, n, i, &in[i], &r[i])))
            return s;
    return runt_onnx_emit_one(c, n, op, NULL, 4, in, runt_onnx_rank_matmul(r[0], r[1]));
}

/* ConvInteger: Conv's window attributes; its inputs after the weight are the
 * two zero points instead of a bias. */
runt_status runt_onnx_emit_conv_integer(runt_onnx_ctx *c, const runt_onnx_node *n,
                                        runt_op op)
{
    runt_status s = runt_onnx_since(c, n, 10);
    return s ? s : runt_onnx_emit_windowed(c, n, op, 4);
}

/* Cast: saturate (opset 19) and round_mode (opset 24) change only float8
 * results, which runt does not compute. */
runt_status runt_onnx_emit_cast(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    int given;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 1, 1, 1)) ||
        (s = runt_onnx_attr_dtype(c, n, "to", &a.cast.to, &given)))
        return s;
    if (!given)
        return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "attribute 'to' is required");
    return runt_onnx_emit_on_input0(c, n, op, &a, RUNT_ONNX_SAME_RANK);
}
