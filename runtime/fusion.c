#include "fusion.h"

#include <string.h>

#include "ops.h"

static void runt_count_consumers(const runt_plan *p, const int *removed, int *consumers)
{
    memset(consumers, 0, sizeof(int) * (size_t)p->n_values);
    for (int i = 0; i < p->n_nodes; i++) {
        if (removed[i])
            continue;
        for (int j = 0; j < p->nodes[i].n_inputs; j++)
            if (p->nodes[i].inputs[j] >= 0)
                consumers[p->nodes[i].inputs[j]]++;
    }
}

/* The only live node reading v, or -1. */
static int runt_sole_consumer(const runt_plan *p, const int *removed, const int *consumers, int v)
{
    if (consumers[v] != 1 || p->values[v].output_index >= 0)
        return -1;
    for (int i = 0; i < p->n_nodes; i++) {
        if (removed[i])
            continue;
        for (int j = 0; j < p->nodes[i].n_inputs; j++)
            if (p->nodes[i].inputs[j] == v)
                return i;
    }
    return -1;
}

/* Node a's output 0 is replaced by node b's output 0, and b disappears. */
static void runt_absorb(runt_plan *p, int a, int b, int *removed)
{
    int old = p->nodes[a].outputs[0], y = p->nodes[b].outputs[0];
    p->nodes[a].outputs[0] = y;
    p->values[y].producer = a;
    p->values[old].producer = -1;
    removed[b] = 1;
}

static int runt_is_const(const runt_plan *p, int v)
{
    return v >= 0 && p->values[v].storage == RUNT_STORE_CONSTANT;
}

/* MatMul(x, W) feeding Add(., bias) with bias [N] or [1, N]. */
static int runt_fuse_matmul_add(runt_plan *p, int i, int *removed, const int *consumers)
{
    runt_plan_node *mm = &p->nodes[i];
    int x = mm->inputs[0], w = mm->inputs[1];
    if (mm->op != RUNT_OP_MATMUL || p->values[x].desc.ndim != 2 || !runt_is_const(p, w) ||
        p->values[w].desc.ndim != 2)
        return 0;
    int add = runt_sole_consumer(p, removed, consumers, mm->outputs[0]);
    if (add < 0 || p->nodes[add].op != RUNT_OP_ADD)
        return 0;
    const runt_plan_node *an = &p->nodes[add];
    int bias = an->inputs[0] == mm->outputs[0] ? an->inputs[1] : an->inputs[0];
    if (bias == mm->outputs[0] || !runt_is_const(p, bias))
        return 0;
    const runt_tensor *bd = &p->values[bias].desc;
    int64_t n = p->values[w].desc.dims[1];
    int row = (bd->ndim == 1 && bd->dims[0] == n) || (bd->ndim == 2 && bd->dims[0] == 1 && bd->dims[1] == n);
    if (!row)
        return 0;
    mm->op = RUNT_OP_GEMM;
    memset(&mm->attrs, 0, sizeof mm->attrs);
    mm->attrs.gemm.alpha = mm->attrs.gemm.beta = 1.0f;
    mm->inputs[2] = bias;
    mm->n_inputs = 3;
    runt_absorb(p, i, add, removed);
    return 1;
}

/* Gemm or Conv feeding an activation. */
static int runt_fuse_activation(runt_plan *p, int i, int *removed, const int *consumers)
{
    runt_plan_node *n = &p->nodes[i];
    runt_epilogue *e = n->op == RUNT_OP_GEMM ? &n->attrs.gemm.epilogue
                       : n->op == RUNT_OP_CONV ? &n->attrs.conv.epilogue
                                                : NULL;
    if (!e || e->act != RUNT_ACT_NONE)
        return 0;
    int act = runt_sole_consumer(p, removed, consumers, n->outputs[0]);
    if (act < 0 || !(runt_op_traits_get(p->nodes[act].op)->flags & RUNT_OPF_ACTIVATION))
        return 0;
    if (!runt_op_as_epilogue(p->nodes[act].op, &p->nodes[act].attrs, e))
        return 0;
    runt_absorb(p, i, act, removed);
    return 1;
}

int runt_fuse(runt_plan *plan, int *removed, int *consumers)
{
    int rewrites = 0;
    runt_count_consumers(plan, removed, consumers);
    for (int i = 0; i < plan->n_nodes; i++) {
        if (!removed[i] && runt_fuse_matmul_add(plan, i, removed, consumers)) {
            rewrites++;
            runt_count_consumers(plan, removed, consumers);
        }
    }
    for (int i = 0; i < plan->n_nodes; i++) {
        if (!removed[i] && runt_fuse_activation(plan, i, removed, consumers)) {
            rewrites++;
            runt_count_consumers(plan, removed, consumers);
        }
    }
    return rewrites;
}
