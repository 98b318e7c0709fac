/*
 * The CPU backend: f32 on runt's AVX-512 GEMM, OpenBLAS or runt's portable
 * GEMM (cpu_impl.h says which runs where), int8 on q8.h's kernels
 * (cpu_int8.c), the pool's threads (cpu_pool.h) across independent work, the
 * reference kernels for whatever has no kernel of its own here.
 *
 * prepare chooses each node's kernel, packs constant weights, and sizes one
 * scratch buffer (the largest any node needs; nodes run one after another),
 * which the core places in the session arena and binds at every run;
 * execute only computes.
 */
#include <string.h>

#include "common/backend_state.h"
#include "cpu_impl.h"
#include "q8_impl.h"
#include "ref/ref_impl.h"
#include "runt-cpu.h"

static runt_status cpu_probe(void *context, runt_device_info *info)
{
    (void)context;
    runt_cpu_describe(info);
    info->quantized_weights = 1; /* cpu_int8.c runs them */
    return RUNT_OK;
}

static runt_status cpu_supports_node(void *context, const runt_plan *plan, int node)
{
    (void)context;
    /* Every op has at least the reference kernel behind it. */
    runt_op op = plan->nodes[node].op;
    if ((int)op < 0 || op >= RUNT_OP_COUNT)
        return runt_error_set(RUNT_E_UNSUPPORTED, "the CPU backend has no kernel for op %d",
                              (int)op);
    return RUNT_OK;
}

static void cpu_release(void *state, const runt_plan *plan)
{
    runt_cpu_state *st = state;
    if (!st)
        return;
    for (int i = 0; st->nodes && i < st->n_nodes; i++) {
        runt_plan_weights_release(plan, st->nodes[i].packed);
        runt_plan_weights_release(plan, st->nodes[i].q8);
        runt_plan_weights_release(plan, st->nodes[i].packed_q8);
        runt_cpu_free(st, st->nodes[i].bias);
    }
    runt_cpu_free(st, st->nodes);
    runt_allocator a = st->allocator;
    runt_free(&a, st);
}

static runt_status cpu_check_modes(const runt_plan *plan)
{
    if (plan->compute_dtype != RUNT_F32 && plan->compute_dtype != RUNT_I8)
        return runt_error_set(RUNT_E_UNSUPPORTED, "the CPU backend computes in f32 or int8, not %s",
                              runt_dtype_name(plan->compute_dtype));
    if (plan->math != RUNT_MATH_F32)
        return runt_error_set(RUNT_E_UNSUPPORTED,
                              "the CPU backend computes in IEEE f32; TF32 and BF16 math modes "
                              "are CUDA's");
    return RUNT_OK;
}

static runt_status cpu_prepare_nodes(runt_cpu_state *st, const runt_plan *plan)
{
    runt_cpu_gemm_impl impl = runt_cpu_gemm_impl_at(st->tier);
    for (int i = 0; i < plan->n_nodes; i++) {
        runt_status s = runt_cpu_node_prepare(st, plan, i, impl);
        if (s != RUNT_OK)
            return runt_error_prefix(s, "node '%s' (%s)", plan->nodes[i].name,
                                     runt_op_name(plan->nodes[i].op));
        if (st->nodes[i].scratch_floats > st->scratch_floats)
            st->scratch_floats = st->nodes[i].scratch_floats;
    }
    runt_plan_log(plan, RUNT_LOG_DEBUG,
                  "cpu: %d threads, kernel tier %s, f32 GEMM on %s, int8 kernel %s, "
                  "%zu bytes of scratch", st->threads, runt_cpu_tier_name(st->tier),
                  runt_cpu_gemm_impl_name(impl),
                  st->q8_kernel->name,
                  st->scratch_floats * sizeof(float));
    return RUNT_OK;
}

static runt_status cpu_prepare(void *context, const runt_plan *plan,
                               const runt_session_options *options, void **state)
{
    (void)context;
    *state = NULL;
    runt_status s = cpu_check_modes(plan);
    if (s != RUNT_OK)
        return s;
    const runt_allocator *a = options ? options->allocator : NULL;
    runt_cpu_state *st = runt_backend_state_new(options, sizeof *st, "CPU");
    if (!st)
        return RUNT_E_OOM;
    int threads = options && options->threads > 0 ? options->threads : plan->threads;
    st->threads = threads > 0 ? threads : runt_cpu_core_count();
    const runt_cpu_options *co =
        (const runt_cpu_options *)runt_backend_options_find(options, RUNT_CPU_OPTIONS_TYPE);
    runt_cpu_options defaults = runt_cpu_options_default();
    if (!co)
        co = &defaults;
    st->int8_min_weights = co->int8_min_weights;
    s = co->int8_min_weights < 0
            ? runt_error_set(RUNT_E_INVALID_ARG, "runt_cpu_options.int8_min_weights %lld is "
                             "negative", (long long)co->int8_min_weights)
            : runt_cpu_tier_resolve(co->tier, &st->tier);
    st->q8_kernel = runt_q8_kernel_best_up_to(st->tier);
    st->map = runt_cpu_map_for(st->tier);
    st->n_nodes = plan->n_nodes;
    if (s == RUNT_OK && plan->n_nodes) {
        st->nodes = runt_alloc_zeroed(a, (size_t)plan->n_nodes, sizeof *st->nodes);
        s = st->nodes ? cpu_prepare_nodes(st, plan)
                      : runt_error_set(RUNT_E_OOM, "out of memory for %d nodes", plan->n_nodes);
    }
    if (s != RUNT_OK) {
        cpu_release(st, plan);
        return s;
    }
    *state = st;
    return RUNT_OK;
}

static runt_status cpu_node(const void *state, const runt_plan *plan, int i,
                            const runt_bindings *b)
{
    runt_status s = runt_cpu_node_run(state, plan, i, b);
    if (s != RUNT_OK)
        return runt_error_prefix(s, "node '%s' (%s)", plan->nodes[i].name,
                                 runt_op_name(plan->nodes[i].op));
    return RUNT_OK;
}

static runt_status cpu_execute(void *state, const runt_plan *plan, const runt_bindings *b)
{
    return runt_ref_run_nodes(state, plan, b, cpu_node);
}

/* One dispatch per node: a fused Gemm/Conv is one, as is a node run on
 * slices in parallel. */
static int cpu_launch_count(void *state, const runt_plan *plan)
{
    (void)state;
    return plan->n_nodes;
}

static size_t cpu_scratch_size(void *state, const runt_plan *plan)
{
    (void)plan;
    const runt_cpu_state *st = state;
    return st->scratch_floats * sizeof(float);
}

static size_t cpu_weight_bytes(void *state, const runt_plan *plan)
{
    (void)plan;
    const runt_cpu_state *st = state;
    return st->weight_bytes;
}

/* Designated initializers: members this backend leaves NULL (device memory,
 * copies, synchronize, device timing) need no mention. */
const runt_backend_i runt_backend_cpu = {
    .name = "cpu",
    .probe = cpu_probe,
    .supports_node = cpu_supports_node,
    .prepare = cpu_prepare,
    .execute = cpu_execute,
    .launch_count = cpu_launch_count,
    .release = cpu_release,
    .options_type = RUNT_CPU_OPTIONS_TYPE,
    .scratch_size = cpu_scratch_size,
    .weight_bytes = cpu_weight_bytes,
};
