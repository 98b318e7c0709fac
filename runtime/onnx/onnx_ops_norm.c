/*
 * ONNX op mappers of the ops that behave differently in training:
 * BatchNormalization, LayerNormalization and Dropout. Each is mapped to its
 * inference form, and the optional outputs that carry training state are
 * accepted only when nothing reads them.
 */
#include "error.h"
#include "onnx_impl.h"
#include "onnx_op_args.h"
#include "onnx_op_mappers.h"

runt_status runt_onnx_emit_batch_norm(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_value_id in[5];
    int r, rr, spatial, training;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 5, 5, 5)) ||
        (s = runt_onnx_unused_from(c, n, 1, "a training statistic")) ||
        (s = runt_onnx_attr_float(c, n, "epsilon", 1e-5f, &a.batch_norm.epsilon)) ||
        (s = runt_onnx_attr_int(c, n, "spatial", 1, 0, 1, &spatial)) ||
        (s = runt_onnx_attr_int(c, n, "training_mode", 0, 0, 1, &training)))
        return s;
    /* spatial = 0 (opsets 7-8): statistics per element, not per channel. */
    if (c->opset < 9 && !spatial)
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "spatial = 0 (per-element "
                                    "statistics) is not supported");
    if (training)
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "training_mode = 1 is not "
                                    "supported (inference only)");
    for (int i = 0; i < 5; i++)
        if ((s = runt_onnx_value(c, n, i, &in[i], i ? &rr : &r)))
            return s;
    return runt_onnx_emit_one(c, n, op, &a, 5, in, r);
}

runt_status runt_onnx_emit_layer_norm(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_value_id in[3];
    int r, rr, stash;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 2, 3, 3)) ||
        (s = runt_onnx_unused_from(c, n, 1, "a statistic")) ||
        (s = runt_onnx_attr_int(c, n, "axis", -1, -RUNT_MAX_DIMS, RUNT_MAX_DIMS - 1,
                                &a.layer_norm.axis)) ||
        (s = runt_onnx_attr_float(c, n, "epsilon", 1e-5f, &a.layer_norm.epsilon)) ||
        /* stash_type picks the precision of the statistics; runt computes in f32. */
        (s = runt_onnx_attr_int(c, n, "stash_type", 1, INT32_MIN, INT32_MAX, &stash)))
        return s;
    for (int i = 0; i < 3; i++)
        if ((s = runt_onnx_value(c, n, i, &in[i], i ? &rr : &r)))
            return s;
    return runt_onnx_emit_one(c, n, op, &a, 3, in, r);
}

/* Dropout is the identity at inference. From opset 12 a training_mode input
 * may turn it on; it must then be a constant false. */
runt_status runt_onnx_emit_dropout(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    double training = 0.0;
    runt_status s;
    if ((s = runt_onnx_arity(c, n, 1, c->opset < 12 ? 1 : 3, 2)) ||
        (s = runt_onnx_unused_from(c, n, 1, "the mask")))
        return s;
    if (runt_onnx_has_input(c, n, 2) &&
        (s = runt_onnx_const_scalar(c, n, 2, "training_mode", RUNT_ONNX_READ_BOOL, &training)))
        return s;
    if (training != 0.0)
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "training_mode is true (inference "
                                    "only)");
    return runt_onnx_emit_on_input0(c, n, op, NULL, RUNT_ONNX_SAME_RANK);
}
