/* The immutable model: lifetime, validation and the public inspection calls. */
#include "model.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "ops.h"

void runt_model_init(runt_model *m, const runt_allocator *a)
{
    if (a)
        m->allocator = *a;
    m->weights.allocator = &m->allocator;
}

void runt_model_destroy(runt_model *m)
{
    if (!m)
        return;
    runt_weight_cache_clear(&m->weights);
    runt_allocator a = m->allocator;
    for (int i = 0; i < m->n_values && !m->borrows_data; i++) {
        runt_free(&a, m->values[i].name);
        if (m->values[i].is_constant)
            runt_free(&a, m->values[i].desc.data);
    }
    for (int i = 0; i < m->n_nodes && !m->borrows_data; i++)
        runt_free(&a, m->nodes[i].name);
    /* The model's own blocks, the model itself last. */
    void *owned[] = {m->blob, m->values, m->nodes, m->inputs, m->outputs, m};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++)
        runt_free(&a, owned[i]);
}

void runt_model_free(runt_model *model) { runt_model_destroy(model); }

const char *runt_model_node_label(const runt_model_node *n, char *buf, size_t size)
{
    snprintf(buf, size, "node '%s' (%s)", n->name ? n->name : "?", runt_op_name(n->op));
    return buf;
}

static runt_status runt_validate_node(const runt_model *m, int index)
{
    const runt_model_node *n = &m->nodes[index];
    const runt_op_traits *t = runt_op_traits_get(n->op);
    char label[160];
    if (!t)
        return runt_error_set(RUNT_E_BAD_MODEL, "node %d: unknown op %d", index, (int)n->op);
    runt_model_node_label(n, label, sizeof label);
    if (n->n_inputs < t->min_inputs || n->n_inputs > t->max_inputs)
        return runt_error_set(RUNT_E_BAD_MODEL, "%s: takes %d to %d inputs, has %d", label,
                              t->min_inputs, t->max_inputs, n->n_inputs);
    if (n->n_outputs < t->min_outputs || n->n_outputs > t->max_outputs)
        return runt_error_set(RUNT_E_BAD_MODEL, "%s: makes %d to %d outputs, has %d", label,
                              t->min_outputs, t->max_outputs, n->n_outputs);
    for (int i = 0; i < n->n_inputs; i++) {
        int v = n->inputs[i];
        if (v == -1 && i >= t->min_inputs)
            continue; /* absent optional input */
        if (v < 0 || v >= m->n_values)
            return runt_error_set(RUNT_E_BAD_MODEL, "%s: input %d refers to no value", label, i);
        int p = m->values[v].producer;
        if (p >= index)
            return runt_error_set(RUNT_E_BAD_MODEL,
                                  "%s: input %d ('%s') is produced by a later node %d "
                                  "(cycle or nodes out of order)",
                                  label, i, m->values[v].name, p);
        if (p < 0 && !m->values[v].is_constant && m->values[v].input_index < 0)
            return runt_error_set(RUNT_E_BAD_MODEL,
                                  "%s: input %d ('%s') is neither a graph input, a constant "
                                  "nor any node's output",
                                  label, i, m->values[v].name);
    }
    for (int i = 0; i < n->n_outputs; i++) {
        int v = n->outputs[i];
        if (v < 0 || v >= m->n_values || m->values[v].producer != index)
            return runt_error_set(RUNT_E_BAD_MODEL, "%s: output %d is not owned by the node",
                                  label, i);
    }
    return RUNT_OK;
}

runt_status runt_model_validate(const runt_model *m)
{
    if (m->n_inputs == 0)
        return runt_error_set(RUNT_E_BAD_MODEL, "the model has no graph input");
    if (m->n_outputs == 0)
        return runt_error_set(RUNT_E_BAD_MODEL, "the model has no graph output");
    for (int i = 0; i < m->n_nodes; i++) {
        runt_status s = runt_validate_node(m, i);
        if (s != RUNT_OK)
            return s;
    }
    for (int i = 0; i < m->n_outputs; i++) {
        const runt_model_value *v = &m->values[m->outputs[i]];
        if (v->producer < 0)
            return runt_error_set(RUNT_E_UNSUPPORTED,
                                  "graph output '%s' is not computed by any node (outputs that "
                                  "are inputs or constants are not supported)",
                                  v->name);
    }
    return RUNT_OK;
}

runt_status runt_model_counts(const runt_model *m, int *n_inputs, int *n_outputs, int *n_nodes)
{
    if (!m)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_model_counts: model is NULL");
    if (n_inputs)
        *n_inputs = m->n_inputs;
    if (n_outputs)
        *n_outputs = m->n_outputs;
    if (n_nodes)
        *n_nodes = m->n_nodes;
    return RUNT_OK;
}

runt_status runt_model_converted_weights(const runt_model *m, size_t *bytes, int *buffers)
{
    if (!m)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_model_converted_weights: model is NULL");
    /* The cache is the model's one mutable part (weight_cache.h). */
    runt_weight_cache_totals((runt_weight_cache *)&m->weights, bytes, buffers);
    return RUNT_OK;
}

static runt_status runt_model_io(const runt_model *m, int index, int is_input, runt_io_info *out)
{
    const char *fn = is_input ? "runt_model_input" : "runt_model_output";
    if (!m || !out)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %s is NULL", fn, m ? "out" : "model");
    int count = is_input ? m->n_inputs : m->n_outputs;
    if (index < 0 || index >= count)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: index %d out of range (the model has %d)",
                              fn, index, count);
    const runt_model_value *v = &m->values[is_input ? m->inputs[index] : m->outputs[index]];
    out->name = v->name;
    out->desc = v->desc;
    out->desc.data = NULL;
    return RUNT_OK;
}

runt_status runt_model_input(const runt_model *m, int index, runt_io_info *out)
{
    return runt_model_io(m, index, 1, out);
}

runt_status runt_model_output(const runt_model *m, int index, runt_io_info *out)
{
    return runt_model_io(m, index, 0, out);
}
