#include "ops.h"

#include <math.h>
#include <string.h>

#define IP RUNT_OPF_INPLACE
#define VW RUNT_OPF_VIEW
#define AC RUNT_OPF_ACTIVATION

/* Input counts follow ONNX; constant operands folded into attributes at load
 * (Reshape's shape, Pad's pads, Clip's bounds) are not inputs here. Cast is
 * in place only where both dtypes have one size (an int8 layer's int32 sums
 * to f32): the arena layout grants in-place only between buffers of equal bytes,
 * and each element is read before it is written. */
static const runt_op_traits runt_op_table[RUNT_OP_COUNT] = {
    [RUNT_OP_GEMM] = {"Gemm", 2, 3, 1, 1, 0},
    [RUNT_OP_MATMUL] = {"MatMul", 2, 2, 1, 1, 0},
    [RUNT_OP_ADD] = {"Add", 2, 2, 1, 1, IP},
    [RUNT_OP_SUB] = {"Sub", 2, 2, 1, 1, IP},
    [RUNT_OP_MUL] = {"Mul", 2, 2, 1, 1, IP},
    [RUNT_OP_DIV] = {"Div", 2, 2, 1, 1, IP},
    [RUNT_OP_RELU] = {"Relu", 1, 1, 1, 1, IP | AC},
    [RUNT_OP_LEAKY_RELU] = {"LeakyRelu", 1, 1, 1, 1, IP | AC},
    [RUNT_OP_CLIP] = {"Clip", 1, 1, 1, 1, IP | AC},
    [RUNT_OP_SIGMOID] = {"Sigmoid", 1, 1, 1, 1, IP | AC},
    [RUNT_OP_TANH] = {"Tanh", 1, 1, 1, 1, IP | AC},
    [RUNT_OP_ERF] = {"Erf", 1, 1, 1, 1, IP},
    [RUNT_OP_GELU] = {"Gelu", 1, 1, 1, 1, IP | AC},
    [RUNT_OP_SOFTMAX] = {"Softmax", 1, 1, 1, 1, 0},
    [RUNT_OP_CONV] = {"Conv", 2, 3, 1, 1, 0},
    [RUNT_OP_MAX_POOL] = {"MaxPool", 1, 1, 1, 1, 0},
    [RUNT_OP_AVERAGE_POOL] = {"AveragePool", 1, 1, 1, 1, 0},
    [RUNT_OP_GLOBAL_AVERAGE_POOL] = {"GlobalAveragePool", 1, 1, 1, 1, 0},
    [RUNT_OP_PAD] = {"Pad", 1, 1, 1, 1, 0},
    [RUNT_OP_FLATTEN] = {"Flatten", 1, 1, 1, 1, VW},
    [RUNT_OP_RESHAPE] = {"Reshape", 1, 1, 1, 1, VW},
    [RUNT_OP_IDENTITY] = {"Identity", 1, 1, 1, 1, VW},
    [RUNT_OP_DROPOUT] = {"Dropout", 1, 1, 1, 1, VW},
    [RUNT_OP_BATCH_NORM] = {"BatchNormalization", 5, 5, 1, 1, 0},
    [RUNT_OP_LAYER_NORM] = {"LayerNormalization", 2, 3, 1, 3, 0},
    [RUNT_OP_CONSTANT] = {"Constant", 1, 1, 1, 1, 0},
    [RUNT_OP_QUANTIZE_LINEAR] = {"QuantizeLinear", 2, 3, 1, 1, 0},
    [RUNT_OP_DEQUANTIZE_LINEAR] = {"DequantizeLinear", 2, 3, 1, 1, 0},
    [RUNT_OP_DYNAMIC_QUANTIZE_LINEAR] = {"DynamicQuantizeLinear", 1, 1, 1, 3, 0},
    [RUNT_OP_MATMUL_INTEGER] = {"MatMulInteger", 2, 4, 1, 1, 0},
    [RUNT_OP_CONV_INTEGER] = {"ConvInteger", 2, 4, 1, 1, 0},
    [RUNT_OP_CAST] = {"Cast", 1, 1, 1, 1, IP},
};

const char *const runt_pad_mode_names[RUNT_PAD_MODE_WRAP + 2] = {"constant", "reflect", "edge",
                                                                 "wrap", NULL};

const runt_op_traits *runt_op_traits_get(runt_op op)
{
    if ((unsigned)op >= (unsigned)RUNT_OP_COUNT)
        return NULL;
    return &runt_op_table[op];
}

const char *runt_op_name(runt_op op)
{
    const runt_op_traits *t = runt_op_traits_get(op);
    return t ? t->name : NULL;
}

runt_status runt_attrs_default(runt_op op, runt_attrs *out)
{
    if (!out || !runt_op_traits_get(op))
        return RUNT_E_INVALID_ARG;
    memset(out, 0, sizeof *out);
    switch (op) {
    case RUNT_OP_GEMM:
        out->gemm.alpha = 1.0f;
        out->gemm.beta = 1.0f;
        break;
    case RUNT_OP_LEAKY_RELU:
        out->leaky_relu.alpha = 0.01f;
        break;
    case RUNT_OP_CLIP:
        out->clip.min = -INFINITY;
        out->clip.max = INFINITY;
        break;
    case RUNT_OP_SOFTMAX:
        out->axis.axis = -1;
        break;
    case RUNT_OP_FLATTEN:
        out->axis.axis = 1;
        break;
    case RUNT_OP_CONV:
    case RUNT_OP_CONV_INTEGER:
        out->conv.strides[0] = out->conv.strides[1] = 1;
        out->conv.dilations[0] = out->conv.dilations[1] = 1;
        out->conv.group = 1;
        break;
    case RUNT_OP_MAX_POOL:
    case RUNT_OP_AVERAGE_POOL:
        out->pool.strides[0] = out->pool.strides[1] = 1;
        out->pool.dilations[0] = out->pool.dilations[1] = 1;
        break;
    case RUNT_OP_BATCH_NORM:
        out->batch_norm.epsilon = 1e-5f;
        break;
    case RUNT_OP_LAYER_NORM:
        out->layer_norm.axis = -1;
        out->layer_norm.epsilon = 1e-5f;
        break;
    case RUNT_OP_QUANTIZE_LINEAR:
    case RUNT_OP_DEQUANTIZE_LINEAR:
        out->quant.axis = 1;
        out->quant.output_dtype = RUNT_F32; /* unset */
        break;
    case RUNT_OP_CAST:
        out->cast.to = RUNT_F32;
        break;
    default:
        break;
    }
    return RUNT_OK;
}

int runt_op_as_epilogue(runt_op op, const runt_attrs *attrs, runt_epilogue *out)
{
    memset(out, 0, sizeof *out);
    switch (op) {
    case RUNT_OP_RELU: out->act = RUNT_ACT_RELU; return 1;
    case RUNT_OP_SIGMOID: out->act = RUNT_ACT_SIGMOID; return 1;
    case RUNT_OP_TANH: out->act = RUNT_ACT_TANH; return 1;
    case RUNT_OP_LEAKY_RELU:
        out->act = RUNT_ACT_LEAKY_RELU;
        out->alpha = attrs->leaky_relu.alpha;
        return 1;
    case RUNT_OP_CLIP:
        out->act = RUNT_ACT_CLIP;
        out->alpha = attrs->clip.min;
        out->beta = attrs->clip.max;
        return 1;
    case RUNT_OP_GELU:
        out->act = attrs->gelu.approximate_tanh ? RUNT_ACT_GELU_TANH : RUNT_ACT_GELU;
        return 1;
    default:
        return 0;
    }
}
