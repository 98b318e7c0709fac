/*
 * The "mcu" backend: the reference backend's kernels with MatMulInteger and
 * ConvInteger on the DSP extension (mcu_int8.c). It plans and prepares as
 * the reference backend does, so a session's arena is the size
 * runt_session_arena_size reports for "ref" and `runt compile` records, and
 * it allocates nothing of its own. Not built in: a firmware (or a test)
 * adds it with runt_backend_register(&runt_backend_mcu, NULL).
 */
#include "mcu_int8.h"
#include "ref/ref_impl.h"
#include "runt-backend.h"
#include "runt-mcu.h"

static runt_status runt_mcu_supports_node(void *context, const runt_plan *plan, int node)
{
    return runt_backend_ref.supports_node(context, plan, node);
}

static runt_status runt_mcu_prepare(void *context, const runt_plan *plan,
                                    const runt_session_options *options, void **state)
{
    return runt_backend_ref.prepare(context, plan, options, state);
}

/* The DSP kernel for node op, or NULL where the reference's kernel runs
 * (every other op, and these two when the build's op mask leaves them out). */
static runt_ref_kernel_fn mcu_kernel(runt_op op)
{
    if (op == RUNT_OP_MATMUL_INTEGER && RUNT_REF_HAS_OP(RUNT_OP_MATMUL_INTEGER))
        return runt_mcu_matmul_integer;
    if (op == RUNT_OP_CONV_INTEGER && RUNT_REF_HAS_OP(RUNT_OP_CONV_INTEGER))
        return runt_mcu_conv_integer;
    return NULL;
}

/* The int8 products on the mcu kernels, everything else on the reference's. */
static runt_status mcu_run_node(const void *state, const runt_plan *plan, int i,
                                const runt_bindings *b)
{
    (void)state;
    runt_ref_kernel_fn fn = mcu_kernel(plan->nodes[i].op);
    return fn ? runt_ref_run_kernel(plan, i, b, fn, "mcu kernel") : runt_ref_run_node(plan, i, b);
}

static runt_status runt_mcu_execute(void *state, const runt_plan *plan, const runt_bindings *b)
{
    return runt_ref_run_nodes(state, plan, b, mcu_run_node);
}

const runt_backend_i runt_backend_mcu = {
    /* .name          = */ "mcu",
    /* .probe         = */ NULL,
    /* .supports_node = */ runt_mcu_supports_node,
    /* .prepare       = */ runt_mcu_prepare,
    /* .execute       = */ runt_mcu_execute,
    /* .synchronize   = */ NULL,
    /* .last_run_us   = */ NULL,
    /* .launch_count  = */ NULL,
    /* .release       = */ NULL,
    /* .options_type  = */ 0,
    /* .scratch_size  = */ NULL,
    /* .weight_bytes  = */ NULL,
};
