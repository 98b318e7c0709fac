#include "plan.h"

#include <string.h>

#include "alloc.h"
#include "cost.h"
#include "error.h"
#include "fusion.h"
#include "ops.h"
#include "arena_layout.h"
#include "quant_patterns.h"
#include "shape.h"

void runt_plan_destroy(runt_plan *p, const runt_allocator *a)
{
    if (!p)
        return;
    runt_free(a, p->values);
    runt_free(a, p->nodes);
    runt_free(a, (void *)p->inputs);
    runt_free(a, (void *)p->outputs);
    runt_free(a, p);
}

static void runt_plan_init_values(const runt_model *m, const runt_plan_config *c, runt_plan *p)
{
    for (int v = 0; v < m->n_values; v++) {
        const runt_model_value *mv = &m->values[v];
        runt_plan_value *pv = &p->values[v];
        pv->name = mv->name;
        pv->desc = mv->desc;
        pv->desc.data = NULL;
        pv->input_index = mv->input_index;
        pv->output_index = mv->output_index;
        pv->producer = -1;
        pv->first_use = pv->last_use = -1;
        if (mv->is_constant) {
            pv->storage = RUNT_STORE_CONSTANT;
            pv->data = mv->desc.data;
        }
        if (mv->input_index >= 0)
            for (int d = 0; d < pv->desc.ndim; d++)
                if (pv->desc.dims[d] == RUNT_DIM_BATCH)
                    pv->desc.dims[d] = c->batch;
    }
}

/* 1 when t's elements, and its bytes, can be counted in int64: every size
 * computed from a shape downstream (the next node's inference, the arena,
 * the cost) relies on it, whatever dims a model's attributes produced. */
static int runt_plan_shape_countable(const runt_tensor *t)
{
    int64_t n = 1, size = (int64_t)runt_dtype_size(t->dtype);
    for (int d = 0; d < t->ndim; d++) {
        if (t->dims[d] < 0 || (t->dims[d] > 0 && n > INT64_MAX / t->dims[d]))
            return 0;
        n *= t->dims[d];
    }
    return size <= 1 || n <= INT64_MAX / size;
}

/* Infers the shapes of node i's outputs from its inputs' descs. */
static runt_status runt_plan_infer_node(const runt_model *m, runt_plan *p, int i)
{
    const runt_model_node *mn = &m->nodes[i];
    runt_plan_node *n = &p->nodes[i];
    runt_tensor in[RUNT_MAX_NODE_INPUTS], out[RUNT_MAX_NODE_OUTPUTS];
    n->name = mn->name;
    n->op = mn->op;
    n->attrs = mn->attrs;
    n->n_inputs = mn->n_inputs;
    n->n_outputs = mn->n_outputs;
    n->model_node = i;
    memcpy(n->inputs, mn->inputs, sizeof n->inputs);
    memcpy(n->outputs, mn->outputs, sizeof n->outputs);
    for (int j = 0; j < n->n_inputs; j++) {
        if (n->inputs[j] < 0) {
            memset(&in[j], 0, sizeof in[j]);
            in[j].ndim = -1;
        } else {
            in[j] = p->values[n->inputs[j]].desc;
        }
    }
    runt_status s = runt_shape_infer(n->op, &n->attrs, in, n->n_inputs, out, n->n_outputs);
    for (int j = 0; s == RUNT_OK && j < n->n_outputs; j++)
        if (!runt_plan_shape_countable(&out[j])) {
            char shape[96];
            s = runt_error_set(RUNT_E_SHAPE, "output %d would be %s, more elements than runt "
                               "can count", j, runt_shape_str(&out[j], shape, sizeof shape));
        }
    if (s != RUNT_OK) {
        char label[160];
        return runt_error_prefix(s, "%s", runt_model_node_label(mn, label, sizeof label));
    }
    for (int j = 0; j < n->n_outputs; j++) {
        runt_plan_value *pv = &p->values[n->outputs[j]];
        pv->desc = out[j];
        pv->producer = i;
    }
    return RUNT_OK;
}

static void runt_plan_cost_node(runt_plan *p, runt_plan_node *n)
{
    runt_tensor in[RUNT_MAX_NODE_INPUTS], out[RUNT_MAX_NODE_OUTPUTS];
    int constant[RUNT_MAX_NODE_INPUTS];
    for (int j = 0; j < n->n_inputs; j++) {
        int v = n->inputs[j];
        constant[j] = v >= 0 && p->values[v].storage == RUNT_STORE_CONSTANT;
        if (v >= 0) {
            in[j] = p->values[v].desc;
        } else {
            memset(&in[j], 0, sizeof in[j]);
            in[j].ndim = -1;
        }
    }
    for (int j = 0; j < n->n_outputs; j++)
        out[j] = p->values[n->outputs[j]].desc;
    n->cost = runt_cost_node(n->op, &n->attrs, in, constant, n->n_inputs, out, n->n_outputs);
}

/* Drops removed nodes, renumbers producers, and records first/last use. */
static void runt_plan_compact(runt_plan *p, const int *removed)
{
    int k = 0;
    for (int i = 0; i < p->n_nodes; i++)
        if (!removed[i])
            p->nodes[k++] = p->nodes[i];
    p->n_nodes = k;
    for (int v = 0; v < p->n_values; v++)
        p->values[v].producer = p->values[v].first_use = p->values[v].last_use = -1;
    for (int i = 0; i < p->n_nodes; i++) {
        runt_plan_node *n = &p->nodes[i];
        for (int j = 0; j < n->n_inputs; j++) {
            int v = n->inputs[j];
            if (v < 0)
                continue;
            if (p->values[v].first_use < 0)
                p->values[v].first_use = i;
            p->values[v].last_use = i;
        }
        for (int j = 0; j < n->n_outputs; j++) {
            runt_plan_value *pv = &p->values[n->outputs[j]];
            pv->producer = i;
            pv->first_use = i;
            if (pv->last_use < i)
                pv->last_use = i;
        }
    }
}

/* The value node i may write its output over, or -1: its input 0 when that
 * input lives in the arena, dies at this node and has the same size. */
static int runt_plan_inplace_source(const runt_plan *p, int i)
{
    const runt_plan_node *n = &p->nodes[i];
    unsigned flags = runt_op_traits_get(n->op)->flags;
    if (!(flags & (RUNT_OPF_INPLACE | RUNT_OPF_VIEW)) || n->outputs[0] < 0)
        return -1;
    int x = n->inputs[0];
    const runt_plan_value *in = &p->values[x], *out = &p->values[n->outputs[0]];
    if (in->storage != RUNT_STORE_ARENA || out->storage != RUNT_STORE_ARENA ||
        in->last_use != i || in->nbytes != out->nbytes)
        return -1;
    return x;
}

/* Decides where every value lives and lays the arena ones out (arena_layout.h). */
static runt_status runt_plan_memory(runt_plan *p, const runt_plan_config *c, const runt_allocator *a)
{
    int n_buffers = 0;
    for (int v = 0; v < p->n_values; v++) {
        runt_plan_value *pv = &p->values[v];
        pv->nbytes = (size_t)runt_tensor_count(&pv->desc) * runt_dtype_size(pv->desc.dtype);
        if (pv->storage == RUNT_STORE_CONSTANT)
            continue;
        pv->storage = RUNT_STORE_NONE;
        if (pv->input_index >= 0) {
            pv->storage = c->io_in_arena ? RUNT_STORE_ARENA : RUNT_STORE_INPUT;
            pv->first_use = 0;
        } else if (pv->producer >= 0 && pv->output_index >= 0) {
            pv->storage = c->io_in_arena ? RUNT_STORE_ARENA : RUNT_STORE_OUTPUT;
            pv->last_use = p->n_nodes - 1; /* copied out after the last node */
        } else if (pv->producer >= 0) {
            const runt_plan_node *n = &p->nodes[pv->producer];
            /* An optional output nobody reads is not computed. */
            int slot = 0;
            while (n->outputs[slot] != v)
                slot++;
            if (slot > 0 && pv->last_use == pv->producer)
                continue;
            pv->storage = RUNT_STORE_ARENA;
        }
        if (pv->storage == RUNT_STORE_ARENA)
            n_buffers++;
    }
    for (int i = 0; i < p->n_nodes; i++)
        for (int j = 0; j < p->nodes[i].n_outputs; j++)
            if (p->values[p->nodes[i].outputs[j]].storage == RUNT_STORE_NONE)
                p->nodes[i].outputs[j] = -1;

    runt_arena_buffer *bufs = runt_alloc_zeroed(a, (size_t)(n_buffers ? n_buffers : 1), sizeof *bufs);
    int *buffer_of = runt_alloc_zeroed(a, (size_t)p->n_values, sizeof(int));
    size_t scratch_size = runt_arena_scratch_size(n_buffers);
    void *scratch = scratch_size ? runt_alloc(a, scratch_size) : NULL;
    runt_status s = RUNT_OK;
    if (!bufs || !buffer_of || (scratch_size && !scratch)) {
        s = runt_error_set(RUNT_E_OOM, "planning memory: out of memory");
        goto done;
    }
    int b = 0;
    for (int v = 0; v < p->n_values; v++) {
        const runt_plan_value *pv = &p->values[v];
        buffer_of[v] = -1;
        if (pv->storage != RUNT_STORE_ARENA)
            continue;
        bufs[b].size = pv->nbytes;
        bufs[b].first = pv->first_use < 0 ? 0 : pv->first_use;
        bufs[b].last = pv->last_use < bufs[b].first ? bufs[b].first : pv->last_use;
        bufs[b].inplace_of = -1;
        buffer_of[v] = b++;
    }
    for (int i = 0; i < p->n_nodes; i++) {
        int src = runt_plan_inplace_source(p, i);
        if (src >= 0 && buffer_of[src] < buffer_of[p->nodes[i].outputs[0]])
            bufs[buffer_of[p->nodes[i].outputs[0]]].inplace_of = buffer_of[src];
    }
    s = runt_arena_place(bufs, n_buffers, RUNT_ARENA_ALIGN, scratch, scratch_size, &p->arena_size);
    if (s != RUNT_OK)
        goto done;
    p->arena_naive_size = runt_arena_naive_size(bufs, n_buffers, RUNT_ARENA_ALIGN);
    for (int v = 0; v < p->n_values; v++)
        if (buffer_of[v] >= 0)
            p->values[v].offset = bufs[buffer_of[v]].offset;
done:
    runt_free(a, bufs);
    runt_free(a, buffer_of);
    runt_free(a, scratch);
    return s;
}

runt_status runt_plan_create(const runt_model *m, const runt_plan_config *c,
                             const runt_allocator *a, runt_plan **out)
{
    *out = NULL;
    if (c->batch < 1)
        return runt_error_set(RUNT_E_INVALID_ARG, "batch size %lld: must be at least 1",
                              (long long)c->batch);
    runt_plan *p = runt_alloc_zeroed(a, 1, sizeof *p);
    if (!p)
        return runt_error_set(RUNT_E_OOM, "planning: out of memory");
    p->batch = c->batch;
    p->compute_dtype = c->compute_dtype;
    p->math = c->math;
    p->threads = c->threads;
    p->log = c->log;
    p->log_user = c->log_user;
    /* The one mutable part of a shared model, behind its own lock. */
    p->weights = (runt_weight_cache *)&m->weights;
    p->n_values = m->n_values;
    p->n_nodes = m->n_nodes;
    p->n_inputs = m->n_inputs;
    p->n_outputs = m->n_outputs;
    p->values = runt_alloc_zeroed(a, (size_t)m->n_values, sizeof *p->values);
    p->nodes = runt_alloc_zeroed(a, (size_t)(m->n_nodes ? m->n_nodes : 1), sizeof *p->nodes);
    int *inputs = runt_alloc_zeroed(a, (size_t)m->n_inputs, sizeof(int));
    int *outputs = runt_alloc_zeroed(a, (size_t)m->n_outputs, sizeof(int));
    int *scratch = runt_alloc_zeroed(a, (size_t)(m->n_nodes + m->n_values + 1), sizeof(int));
    p->inputs = inputs;
    p->outputs = outputs;
    runt_status s = RUNT_OK;
    if (!p->values || !p->nodes || !inputs || !outputs || !scratch) {
        s = runt_error_set(RUNT_E_OOM, "planning: out of memory");
        goto done;
    }
    memcpy(inputs, m->inputs, sizeof(int) * (size_t)m->n_inputs);
    memcpy(outputs, m->outputs, sizeof(int) * (size_t)m->n_outputs);
    runt_plan_init_values(m, c, p);
    for (int i = 0; i < m->n_nodes && s == RUNT_OK; i++)
        s = runt_plan_infer_node(m, p, i);
    if (s != RUNT_OK)
        goto done;
    int *removed = scratch, *consumers = scratch + m->n_nodes;
    /* Before fusion, so an activation after a quantized layer folds into it. */
    if (c->quantized_layers)
        runt_quant_rewrite(p, removed, consumers);
    if (c->fuse)
        runt_fuse(p, removed, consumers);
    runt_plan_compact(p, removed);
    for (int i = 0; i < p->n_nodes; i++)
        runt_plan_cost_node(p, &p->nodes[i]);
    s = runt_plan_memory(p, c, a);
done:
    runt_free(a, scratch);
    if (s != RUNT_OK) {
        runt_plan_destroy(p, a);
        return s;
    }
    *out = p;
    return RUNT_OK;
}

runt_status runt_plan_annotate_model(runt_model *m)
{
    runt_plan_config c;
    memset(&c, 0, sizeof c);
    runt_plan *p1 = NULL, *p2 = NULL;
    c.batch = 1;
    runt_status s = runt_plan_create(m, &c, &m->allocator, &p1);
    /* A model may only work at one batch size (a Reshape to a fixed shape);
     * then its dims are recorded as they are at batch 1. */
    c.batch = 2;
    if (s == RUNT_OK) {
        runt_status s2 = runt_plan_create(m, &c, &m->allocator, &p2);
        if (s2 == RUNT_E_OOM)
            s = s2;
        else if (s2 != RUNT_OK)
            runt_error_clear();
    }
    if (s == RUNT_OK) {
        for (int v = 0; v < m->n_values; v++) {
            runt_model_value *mv = &m->values[v];
            if (mv->producer < 0)
                continue;
            mv->desc = p1->values[v].desc;
            for (int d = 0; d < mv->desc.ndim; d++)
                if (p2 && p2->values[v].desc.dims[d] != mv->desc.dims[d])
                    mv->desc.dims[d] = RUNT_DIM_BATCH;
        }
    }
    runt_plan_destroy(p1, &m->allocator);
    runt_plan_destroy(p2, &m->allocator);
    return s;
}
