/*
 * ONNX op_type → runt op, attribute by attribute, for ai.onnx opsets 7 to 25
 * (the attributes and inputs of each op as docs/Changelog.md lists them per
 * version). Inputs that select behaviour (Reshape's shape, Pad's pads, Clip's
 * bounds) are read at load and folded into the runt attributes; they must be
 * constants. Whatever runt cannot compute exactly is refused with
 * RUNT_E_UNSUPPORTED naming the node, rather than approximated.
 *
 * This file holds the table of op_types and the dispatch; each mapper lives
 * with its op family in onnx_ops_<family>.c (onnx_op_mappers.h lists them).
 * scripts/onnx-node-data.py reads the op_types from the table here.
 */
#include "error.h"
#include "onnx_impl.h"
#include "onnx_op_mappers.h"

typedef runt_status (*runt_onnx_emit_fn)(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);

/* ------------------------------------------------------------------------- */
/* The table                                                                 */
/* ------------------------------------------------------------------------- */

static const struct {
    const char *op_type;
    runt_op op;
    runt_onnx_emit_fn emit;
} runt_onnx_ops[] = {
    {"Gemm", RUNT_OP_GEMM, runt_onnx_emit_gemm},
    {"MatMul", RUNT_OP_MATMUL, runt_onnx_emit_binary},
    {"Add", RUNT_OP_ADD, runt_onnx_emit_binary},
    {"Sub", RUNT_OP_SUB, runt_onnx_emit_binary},
    {"Mul", RUNT_OP_MUL, runt_onnx_emit_binary},
    {"Div", RUNT_OP_DIV, runt_onnx_emit_binary},
    {"Relu", RUNT_OP_RELU, runt_onnx_emit_unary},
    {"LeakyRelu", RUNT_OP_LEAKY_RELU, runt_onnx_emit_leaky_relu},
    {"Clip", RUNT_OP_CLIP, runt_onnx_emit_clip},
    {"Sigmoid", RUNT_OP_SIGMOID, runt_onnx_emit_unary},
    {"Tanh", RUNT_OP_TANH, runt_onnx_emit_unary},
    {"Erf", RUNT_OP_ERF, runt_onnx_emit_unary},
    {"Gelu", RUNT_OP_GELU, runt_onnx_emit_gelu},
    {"Softmax", RUNT_OP_SOFTMAX, runt_onnx_emit_softmax},
    {"Conv", RUNT_OP_CONV, runt_onnx_emit_conv},
    {"MaxPool", RUNT_OP_MAX_POOL, runt_onnx_emit_pool},
    {"AveragePool", RUNT_OP_AVERAGE_POOL, runt_onnx_emit_pool},
    {"GlobalAveragePool", RUNT_OP_GLOBAL_AVERAGE_POOL, runt_onnx_emit_unary},
    {"ReduceMean", RUNT_OP_GLOBAL_AVERAGE_POOL, runt_onnx_emit_reduce_mean},
    {"Pad", RUNT_OP_PAD, runt_onnx_emit_pad},
    {"Flatten", RUNT_OP_FLATTEN, runt_onnx_emit_flatten},
    {"Reshape", RUNT_OP_RESHAPE, runt_onnx_emit_reshape},
    {"Identity", RUNT_OP_IDENTITY, runt_onnx_emit_unary},
    {"Dropout", RUNT_OP_DROPOUT, runt_onnx_emit_dropout},
    {"BatchNormalization", RUNT_OP_BATCH_NORM, runt_onnx_emit_batch_norm},
    {"LayerNormalization", RUNT_OP_LAYER_NORM, runt_onnx_emit_layer_norm},
    {"Constant", RUNT_OP_CONSTANT, runt_onnx_emit_constant},
    {"QuantizeLinear", RUNT_OP_QUANTIZE_LINEAR, runt_onnx_emit_quantize},
    {"DequantizeLinear", RUNT_OP_DEQUANTIZE_LINEAR, runt_onnx_emit_quantize},
    {"DynamicQuantizeLinear", RUNT_OP_DYNAMIC_QUANTIZE_LINEAR, runt_onnx_emit_dynamic_quantize},
    {"MatMulInteger", RUNT_OP_MATMUL_INTEGER, runt_onnx_emit_matmul_integer},
    {"ConvInteger", RUNT_OP_CONV_INTEGER, runt_onnx_emit_conv_integer},
    {"Cast", RUNT_OP_CAST, runt_onnx_emit_cast},
};

runt_status runt_onnx_emit_node(runt_onnx_ctx *c, const runt_onnx_node *n)
{
    if (!n->op_type.n)
        return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "has no op_type");
    if (n->domain.n && !runt_onnx_str_eq(&n->domain, "ai.onnx"))
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "op_type '%.*s' of domain '%.*s' is "
                                    "not supported (runt reads the default ONNX domain)",
                                    runt_onnx_shown(&n->op_type), runt_onnx_chars(&n->op_type),
                                    runt_onnx_shown(&n->domain), runt_onnx_chars(&n->domain));
    for (size_t i = 0; i < sizeof runt_onnx_ops / sizeof runt_onnx_ops[0]; i++)
        if (runt_onnx_str_eq(&n->op_type, runt_onnx_ops[i].op_type))
            return runt_onnx_ops[i].emit(c, n, runt_onnx_ops[i].op);
    return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "op_type '%.*s' is not supported",
                                runt_onnx_shown(&n->op_type), runt_onnx_chars(&n->op_type));
}
