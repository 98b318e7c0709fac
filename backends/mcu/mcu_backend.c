/*
 * The "mcu" backend: the reference backend's kernels with MatMulInteger and
 * ConvInteger on the DSP extension (mcu_int8.c). It plans and prepares as
 * the reference backend does, so a session's arena is the size
 * runt_session_arena_size reports for "ref" and `runt compile` records, and
 * it allocates nothing of its own. Not built in: a firmware (or a test)
 * adds it with runt_backend_register(&runt_backend_mcu, NULL).
 */
#include "error.h"
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

static runt_status runt_mcu_run_int8(const runt_plan *p, int i, const runt_bindings *b)
{
    const runt_plan_node *n = &p->nodes[i];
    runt_ref_kernel_fn fn = NULL;
    if (n->op == RUNT_OP_MATMUL_INTEGER && RUNT_REF_HAS_OP(RUNT_OP_MATMUL_INTEGER))
        fn = runt_mcu_matmul_integer;
    if (n->op == RUNT_OP_CONV_INTEGER && RUNT_REF_HAS_OP(RUNT_OP_CONV_INTEGER))
        fn = runt_mcu_conv_integer;
    if (!fn)
        return runt_error_set(RUNT_E_UNSUPPORTED, "node '%s' (%s): no mcu kernel", n->name,
                              runt_op_name(n->op));
    return runt_ref_run_kernel(p, i, b, fn, "mcu kernel");
}

/* The int8 products on the mcu kernels, everything else on the reference's. */
static runt_status mcu_run_node(const runt_plan *plan, int i, const runt_bindings *b)
{
    runt_op op = plan->nodes[i].op;
    int own = (op == RUNT_OP_MATMUL_INTEGER && RUNT_REF_HAS_OP(RUNT_OP_MATMUL_INTEGER)) ||
              (op == RUNT_OP_CONV_INTEGER && RUNT_REF_HAS_OP(RUNT_OP_CONV_INTEGER));
    return own ? runt_mcu_run_int8(plan, i, b) : runt_ref_run_node(plan, i, b);
}

static runt_status runt_mcu_execute(void *state, const runt_plan *plan, const runt_bindings *b)
{
    (void)state;
    return runt_ref_run_nodes(plan, b, mcu_run_node);
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
};
