/*
 * The activations the CPU backend computes itself: which vector form runs
 * at a tier (act_vec.h, one per ISA), and activation ops as nodes of their
 * own. The C tier keeps the reference's scalar functions; every tier's
 * epilogues (GEMM, conv) and activation ops go through the same map, so a
 * fused epilogue gives the bits the unfused op gives in the same session.
 */
#include <string.h>

#include "cpu_impl.h"
#include "ref/ref_impl.h"

static void map_ref(const float *x, float *y, int64_t n, const runt_epilogue *e)
{
    if (x != y)
        memmove(y, x, (size_t)n * sizeof(float));
    runt_ref_apply_epilogue(y, n, e);
}

runt_cpu_map_fn runt_cpu_map_for(int tier)
{
#if defined(__x86_64__) || defined(_M_X64)
    if (tier >= RUNT_CPU_TIER_WIDE && runt_cpu_map_avx512)
        return runt_cpu_map_avx512;
    if (tier >= RUNT_CPU_TIER_SIMD && runt_cpu_map_avx2)
        return runt_cpu_map_avx2;
#elif defined(__aarch64__)
    if (tier >= RUNT_CPU_TIER_SIMD && runt_cpu_map_neon)
        return runt_cpu_map_neon;
#endif
    (void)tier;
    return map_ref;
}

int runt_cpu_map_fits(const runt_plan *p, int i)
{
    const runt_plan_node *n = &p->nodes[i];
    runt_epilogue e;
    if (!runt_op_as_epilogue(n->op, &n->attrs, &e) || n->n_inputs < 1 || n->n_outputs < 1 ||
        n->inputs[0] < 0 || n->outputs[0] < 0)
        return 0;
    const runt_tensor *x = &p->values[n->inputs[0]].desc, *y = &p->values[n->outputs[0]].desc;
    return x->dtype == RUNT_F32 && y->dtype == RUNT_F32 &&
           runt_tensor_count(x) == runt_tensor_count(y);
}

/* Elements per task: a few pages, so threads split even short tensors
 * evenly and each task's start is a whole vector. */
#define MAP_GRAIN 4096

typedef struct map_loop {
    const float *x;
    float *y;
    int64_t n;
    runt_epilogue e;
    runt_cpu_map_fn map;
} map_loop;

static void map_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    const map_loop *l = ctx;
    int64_t from = lo * MAP_GRAIN, to = hi * MAP_GRAIN < l->n ? hi * MAP_GRAIN : l->n;
    (void)slot;
    l->map(l->x + from, l->y + from, to - from, &l->e);
}

runt_status runt_cpu_map_run(const runt_cpu_state *st, const runt_plan *p, int i,
                             const runt_bindings *b)
{
    const runt_plan_node *n = &p->nodes[i];
    map_loop l;
    runt_op_as_epilogue(n->op, &n->attrs, &l.e);
    l.x = runt_plan_value_ptr(p, b, n->inputs[0]);
    l.y = runt_plan_value_ptr(p, b, n->outputs[0]);
    l.n = runt_tensor_count(&p->values[n->outputs[0]].desc);
    l.map = st->map;
    runt_cpu_parallel(runt_cpu_pass_threads((double)l.n, st->threads),
                      (l.n + MAP_GRAIN - 1) / MAP_GRAIN, 1, map_body, &l);
    return RUNT_OK;
}
