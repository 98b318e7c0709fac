#include "cost.h"

#include <string.h>

#include "ops.h"

static int64_t runt_bytes(const runt_tensor *t)
{
    return t->ndim < 0 ? 0 : runt_tensor_count(t) * (int64_t)runt_dtype_size(t->dtype);
}

static int64_t runt_epilogue_flops(const runt_epilogue *e, int64_t outputs)
{
    return e->act != RUNT_ACT_NONE ? outputs : 0;
}

static int64_t runt_node_flops(runt_op op, const runt_attrs *attrs, const runt_tensor *in,
                               int n_in, const runt_tensor *out)
{
    int64_t y = runt_tensor_count(out);
    int has_c = n_in > 2 && in[2].ndim >= 0;
    switch (op) {
    case RUNT_OP_GEMM: {
        int64_t k = attrs->gemm.trans_a ? in[0].dims[0] : in[0].dims[1];
        return 2 * y * k + (has_c ? y : 0) + runt_epilogue_flops(&attrs->gemm.epilogue, y);
    }
    case RUNT_OP_MATMUL: /* a rewritten quantized layer may carry a bias (input 2) */
    case RUNT_OP_MATMUL_INTEGER:
        return 2 * y * in[0].dims[in[0].ndim - 1] + (op == RUNT_OP_MATMUL && has_c ? y : 0);
    case RUNT_OP_CONV_INTEGER:
        return 2 * y * in[1].dims[1] * in[1].dims[2] * in[1].dims[3];
    case RUNT_OP_QUANTIZE_LINEAR:
    case RUNT_OP_DEQUANTIZE_LINEAR: return 2 * y;
    case RUNT_OP_DYNAMIC_QUANTIZE_LINEAR: return 4 * y;
    case RUNT_OP_CAST: return 0;
    case RUNT_OP_CONV: {
        int64_t per_out = in[1].dims[1] * in[1].dims[2] * in[1].dims[3];
        return 2 * y * per_out + (has_c ? y : 0) + runt_epilogue_flops(&attrs->conv.epilogue, y);
    }
    case RUNT_OP_MAX_POOL:
        return y * attrs->pool.kernel[0] * attrs->pool.kernel[1];
    case RUNT_OP_AVERAGE_POOL:
        return y * attrs->pool.kernel[0] * attrs->pool.kernel[1] + y;
    case RUNT_OP_GLOBAL_AVERAGE_POOL:
        return runt_tensor_count(&in[0]) + y;
    case RUNT_OP_SOFTMAX: return 5 * y;
    case RUNT_OP_BATCH_NORM: return 2 * y;
    case RUNT_OP_LAYER_NORM: return 7 * runt_tensor_count(&in[0]);
    default:
        if (runt_op_traits_get(op)->flags & RUNT_OPF_VIEW)
            return 0;
        if (op == RUNT_OP_PAD || op == RUNT_OP_CONSTANT)
            return 0;
        return y; /* elementwise */
    }
}

runt_cost runt_cost_node(runt_op op, const runt_attrs *attrs, const runt_tensor *in,
                         const int *constant, int n_in, const runt_tensor *out, int n_out)
{
    runt_cost c;
    memset(&c, 0, sizeof c);
    for (int i = 0; i < n_in; i++)
        if (in[i].ndim >= 0 && constant[i] && op != RUNT_OP_CONSTANT)
            c.params += runt_tensor_count(&in[i]);
    c.flops = runt_node_flops(op, attrs, in, n_in, &out[0]);
    if (runt_op_traits_get(op)->flags & RUNT_OPF_VIEW)
        return c;
    for (int i = 0; i < n_in; i++)
        c.bytes_read += runt_bytes(&in[i]);
    for (int i = 0; i < n_out; i++)
        c.bytes_written += runt_bytes(&out[i]);
    return c;
}

void runt_cost_add(runt_cost *total, const runt_cost *c)
{
    total->params += c->params;
    total->flops += c->flops;
    total->bytes_read += c->bytes_read;
    total->bytes_written += c->bytes_written;
}
