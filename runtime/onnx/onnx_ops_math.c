/*
 * ONNX op mappers of the arithmetic ops: elementwise unary and binary ops,
 * MatMul and Gemm, the activations with attributes (LeakyRelu, Clip, Gelu)
 * and Softmax. Their rules are about broadcasting, ranks and numeric
 * attributes, which the other families do not share.
 */
#include <float.h>
#include <string.h>

#include "error.h"
#include "onnx_impl.h"
#include "onnx_op_args.h"
#include "onnx_op_mappers.h"

runt_status runt_onnx_emit_unary(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_status s = runt_onnx_arity(c, n, 1, 1, 1);
    return s ? s : runt_onnx_emit_on_input0(c, n, op, NULL, RUNT_ONNX_SAME_RANK);
}

runt_status runt_onnx_emit_binary(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_value_id in[2];
    int ra, rb;
    runt_status s;
    if ((s = runt_onnx_arity(c, n, 2, 2, 1)) || (s = runt_onnx_value(c, n, 0, &in[0], &ra)) ||
        (s = runt_onnx_value(c, n, 1, &in[1], &rb)))
        return s;
    int r = op == RUNT_OP_MATMUL ? runt_onnx_rank_matmul(ra, rb) : runt_onnx_rank_broadcast(ra, rb);
    return runt_onnx_emit_one(c, n, op, NULL, 2, in, r);
}

runt_status runt_onnx_emit_gemm(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_value_id in[3];
    int r;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 2, 3, 1)) ||
        (s = runt_onnx_attr_float(c, n, "alpha", 1.0f, &a.gemm.alpha)) ||
        (s = runt_onnx_attr_float(c, n, "beta", 1.0f, &a.gemm.beta)) ||
        (s = runt_onnx_attr_int(c, n, "transA", 0, INT32_MIN, INT32_MAX, &a.gemm.trans_a)) ||
        (s = runt_onnx_attr_int(c, n, "transB", 0, INT32_MIN, INT32_MAX, &a.gemm.trans_b)))
        return s;
    /* Any non-zero value transposes (as onnxruntime reads it). */
    a.gemm.trans_a = a.gemm.trans_a != 0;
    a.gemm.trans_b = a.gemm.trans_b != 0;
    for (int i = 0; i < 3; i++)
        if ((s = runt_onnx_value(c, n, i, &in[i], &r)))
            return s;
    return runt_onnx_emit_one(c, n, op, &a, 3, in, 2);
}

runt_status runt_onnx_emit_leaky_relu(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 1, 1, 1)) ||
        (s = runt_onnx_attr_float(c, n, "alpha", 0.01f, &a.leaky_relu.alpha)))
        return s;
    return runt_onnx_emit_on_input0(c, n, op, &a, RUNT_ONNX_SAME_RANK);
}

/* Clip: bounds are attributes before opset 11, optional inputs from 11. A
 * bound left out is numeric_limits<float>::lowest() / max() in every version
 * (not infinity: an infinite input comes out as the largest float). */
runt_status runt_onnx_emit_clip(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    double v;
    runt_status s;
    runt_attrs_default(op, &a);
    a.clip.min = -FLT_MAX;
    a.clip.max = FLT_MAX;
    if (c->opset < 11) {
        if ((s = runt_onnx_arity(c, n, 1, 1, 1)) ||
            (s = runt_onnx_attr_float(c, n, "min", -FLT_MAX, &a.clip.min)) ||
            (s = runt_onnx_attr_float(c, n, "max", FLT_MAX, &a.clip.max)))
            return s;
    } else {
        if ((s = runt_onnx_arity(c, n, 1, 3, 1)))
            return s;
        if (runt_onnx_has_input(c, n, 1)) {
            if ((s = runt_onnx_const_scalar(c, n, 1, "min", 0, &v)))
                return s;
            a.clip.min = (float)v;
        }
        if (runt_onnx_has_input(c, n, 2)) {
            if ((s = runt_onnx_const_scalar(c, n, 2, "max", 0, &v)))
                return s;
            a.clip.max = (float)v;
        }
    }
    return runt_onnx_emit_on_input0(c, n, op, &a, RUNT_ONNX_SAME_RANK);
}

runt_status runt_onnx_emit_gelu(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    static const char *const forms[] = {"none", "tanh", NULL};
    runt_attrs a;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 1, 1, 1)) ||
        (s = runt_onnx_attr_choice(c, n, "approximate", forms, 0, RUNT_E_BAD_MODEL,
                                   &a.gelu.approximate_tanh)))
        return s;
    return runt_onnx_emit_on_input0(c, n, op, &a, RUNT_ONNX_SAME_RANK);
}

/* Softmax from opset 13 normalizes along one axis (default -1). Before 13 it
 * flattens the input to 2-D at axis (default 1) and normalizes each row over
 * all dims from axis on; that equals the per-axis form only when axis is the
 * last dim. Other axes are refused rather than computed differently. */
runt_status runt_onnx_emit_softmax(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_value_id x;
    int r, axis;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 1, 1, 1)) ||
        (s = runt_onnx_attr_int(c, n, "axis", c->opset < 13 ? 1 : -1, -RUNT_MAX_DIMS,
                                RUNT_MAX_DIMS, &axis)) ||
        (s = runt_onnx_value(c, n, 0, &x, &r)))
        return s;
    if (c->opset < 13) {
        int norm = axis < 0 && r >= 0 ? axis + r : axis;
        if (r < 0)
            return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "before opset 13 Softmax "
                                        "flattens at axis %d, and the input's rank is unknown",
                                        axis);
        if (norm < 0 || norm >= r)
            return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "axis %d is out of range for "
                                        "rank %d", axis, r);
        if (norm != r - 1)
            return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "before opset 13 Softmax "
                                        "normalizes over dims %d to %d together; runt normalizes "
                                        "along one axis, the same only for the last (axis %d, "
                                        "rank %d)", norm, r - 1, axis, r);
        axis = norm;
    }
    a.axis.axis = axis;
    return runt_onnx_emit_one(c, n, op, &a, 1, &x, r);
}
