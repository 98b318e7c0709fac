/*
 * The reference backend: runs a plan node by node through the portable
 * kernels, in order, on the calling thread. No state beyond the plan.
 */
#include <string.h>

#include "ref_impl.h"
#include "runt-backend.h"

/* A kernel the build includes; with RUNT_REF_OP_MASK (ref_impl.h) a build
 * for one model leaves out the others, and the linker drops their code. */
#define RUNT_REF_KERNEL(op, fn) [op] = RUNT_REF_HAS_OP(op) ? fn : NULL

static const runt_ref_kernel_fn runt_ref_kernels[RUNT_OP_COUNT] = {
    RUNT_REF_KERNEL(RUNT_OP_GEMM, runt_ref_gemm),
    RUNT_REF_KERNEL(RUNT_OP_MATMUL, runt_ref_matmul),
    RUNT_REF_KERNEL(RUNT_OP_ADD, runt_ref_add),
    RUNT_REF_KERNEL(RUNT_OP_SUB, runt_ref_sub),
    RUNT_REF_KERNEL(RUNT_OP_MUL, runt_ref_mul),
    RUNT_REF_KERNEL(RUNT_OP_DIV, runt_ref_div),
    RUNT_REF_KERNEL(RUNT_OP_RELU, runt_ref_relu),
    RUNT_REF_KERNEL(RUNT_OP_LEAKY_RELU, runt_ref_leaky_relu),
    RUNT_REF_KERNEL(RUNT_OP_CLIP, runt_ref_clip),
    RUNT_REF_KERNEL(RUNT_OP_SIGMOID, runt_ref_sigmoid),
    RUNT_REF_KERNEL(RUNT_OP_TANH, runt_ref_tanh),
    RUNT_REF_KERNEL(RUNT_OP_ERF, runt_ref_erf),
    RUNT_REF_KERNEL(RUNT_OP_GELU, runt_ref_gelu),
    RUNT_REF_KERNEL(RUNT_OP_SOFTMAX, runt_ref_softmax),
    RUNT_REF_KERNEL(RUNT_OP_CONV, runt_ref_conv),
    RUNT_REF_KERNEL(RUNT_OP_MAX_POOL, runt_ref_max_pool),
    RUNT_REF_KERNEL(RUNT_OP_AVERAGE_POOL, runt_ref_average_pool),
    RUNT_REF_KERNEL(RUNT_OP_GLOBAL_AVERAGE_POOL, runt_ref_global_average_pool),
    RUNT_REF_KERNEL(RUNT_OP_PAD, runt_ref_pad),
    RUNT_REF_KERNEL(RUNT_OP_FLATTEN, runt_ref_copy),
    RUNT_REF_KERNEL(RUNT_OP_RESHAPE, runt_ref_copy),
    RUNT_REF_KERNEL(RUNT_OP_IDENTITY, runt_ref_copy),
    RUNT_REF_KERNEL(RUNT_OP_DROPOUT, runt_ref_copy),
    RUNT_REF_KERNEL(RUNT_OP_BATCH_NORM, runt_ref_batch_norm),
    RUNT_REF_KERNEL(RUNT_OP_LAYER_NORM, runt_ref_layer_norm),
    RUNT_REF_KERNEL(RUNT_OP_CONSTANT, runt_ref_copy),
    RUNT_REF_KERNEL(RUNT_OP_QUANTIZE_LINEAR, runt_ref_quantize_linear),
    RUNT_REF_KERNEL(RUNT_OP_DEQUANTIZE_LINEAR, runt_ref_dequantize_linear),
    RUNT_REF_KERNEL(RUNT_OP_DYNAMIC_QUANTIZE_LINEAR, runt_ref_dynamic_quantize_linear),
    RUNT_REF_KERNEL(RUNT_OP_MATMUL_INTEGER, runt_ref_matmul_integer),
    RUNT_REF_KERNEL(RUNT_OP_CONV_INTEGER, runt_ref_conv_integer),
    RUNT_REF_KERNEL(RUNT_OP_CAST, runt_ref_cast),
};

/* A view of plan value v as bound for this run (absent: data NULL, ndim 0). */
static runt_tensor runt_ref_view(const runt_plan *p, const runt_bindings *b, int v)
{
    runt_tensor t;
    if (v < 0) {
        memset(&t, 0, sizeof t);
        return t;
    }
    t = p->values[v].desc;
    t.data = runt_plan_value_ptr(p, b, v);
    return t;
}

runt_status runt_ref_run_kernel(const runt_plan *p, int i, const runt_bindings *b,
                                runt_ref_kernel_fn fn, const char *what)
{
    const runt_plan_node *n = &p->nodes[i];
    runt_tensor in[RUNT_MAX_NODE_INPUTS], out[RUNT_MAX_NODE_OUTPUTS];
    for (int j = 0; j < n->n_inputs; j++)
        in[j] = runt_ref_view(p, b, n->inputs[j]);
    for (int j = 0; j < n->n_outputs; j++)
        out[j] = runt_ref_view(p, b, n->outputs[j]);
    runt_status s = fn(&n->attrs, in, n->n_inputs, out, n->n_outputs);
    if (s != RUNT_OK)
        return runt_error_prefix(s, "node '%s' (%s): %s", n->name, runt_op_name(n->op), what);
    return RUNT_OK;
}

runt_status runt_ref_run_node(const runt_plan *p, int i, const runt_bindings *b)
{
    return runt_ref_run_kernel(p, i, b, runt_ref_kernels[p->nodes[i].op], "reference kernel");
}

static runt_status runt_ref_supports_node(void *context, const runt_plan *plan, int node)
{
    (void)context;
    runt_op op = plan->nodes[node].op;
    if ((unsigned)op >= (unsigned)RUNT_OP_COUNT)
        return runt_error_set(RUNT_E_UNSUPPORTED, "no reference kernel for op %d", (int)op);
    if (!runt_ref_kernels[op])
        return runt_error_set(RUNT_E_UNSUPPORTED, "%s: this build leaves out its reference kernel "
                              "(RUNT_REF_OP_MASK)", runt_op_name(op));
    return RUNT_OK;
}

static runt_status runt_ref_prepare(void *context, const runt_plan *plan,
                                    const runt_session_options *options, void **state)
{
    (void)context;
    (void)options;
    if (plan->compute_dtype != RUNT_F32)
        return runt_error_set(RUNT_E_UNSUPPORTED, "the reference backend computes in f32 only "
                              "(asked for %s)", runt_dtype_name(plan->compute_dtype));
    if (plan->math != RUNT_MATH_F32)
        return runt_error_set(RUNT_E_UNSUPPORTED, "the reference backend has no reduced-precision "
                              "math modes");
    *state = NULL;
    return RUNT_OK;
}

runt_status runt_ref_run_nodes(const void *state, const runt_plan *plan, const runt_bindings *b,
                               runt_ref_node_fn run)
{
    for (int i = 0; i < plan->n_nodes; i++) {
        double t0 = b->node_us ? runt_clock_us() : 0.0;
        /* A node that writes no element has nothing to compute. */
        runt_status s = runt_plan_node_writes_nothing(plan, i) ? RUNT_OK : run(state, plan, i, b);
        if (s != RUNT_OK)
            return s;
        if (b->node_us)
            b->node_us[i] = runt_clock_us() - t0;
    }
    return RUNT_OK;
}

static runt_status ref_node(const void *state, const runt_plan *plan, int i,
                            const runt_bindings *b)
{
    (void)state;
    return runt_ref_run_node(plan, i, b);
}

static runt_status runt_ref_execute(void *state, const runt_plan *plan, const runt_bindings *b)
{
    return runt_ref_run_nodes(state, plan, b, ref_node);
}

const runt_backend_i runt_backend_ref = {
    /* .name          = */ "ref",
    /* .probe         = */ NULL,
    /* .supports_node = */ runt_ref_supports_node,
    /* .prepare       = */ runt_ref_prepare,
    /* .execute       = */ runt_ref_execute,
    /* .synchronize   = */ NULL,
    /* .last_run_us   = */ NULL,
    /* .launch_count  = */ NULL,
    /* .release       = */ NULL,
    /* .options_type  = */ 0,
    /* .scratch_size  = */ NULL,
    /* .weight_bytes  = */ NULL,
};
