/*
 * Building a model in memory. The builder owns a model under construction;
 * finish validates it, infers its shapes once (batch 1) to catch mistakes
 * early, and hands it over. Every call checks its arguments and names the
 * offending value or node in its error.
 */
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "model.h"
#include "ops.h"
#include "plan.h"

struct runt_builder {
    runt_model *m;
};

/* Grows *array (of *cap elements of elem bytes) to hold at least need. */
static int runt_grow(const runt_allocator *a, void **array, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 1;
    int new_cap = *cap ? *cap * 2 : 16;
    while (new_cap < need)
        new_cap *= 2;
    void *p = runt_alloc_zeroed(a, (size_t)new_cap, elem);
    if (!p)
        return 0;
    if (*array)
        memcpy(p, *array, (size_t)*cap * elem);
    runt_free(a, *array);
    *array = p;
    *cap = new_cap;
    return 1;
}

runt_status runt_builder_create(const runt_allocator *allocator, runt_builder **out)
{
    if (!out)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_builder_create: out is NULL");
    *out = NULL;
    if (allocator && (!allocator->alloc || !allocator->free))
        return runt_error_set(RUNT_E_INVALID_ARG,
                              "runt_builder_create: an allocator needs both alloc and free");
    runt_model *m = runt_alloc_zeroed(allocator, 1, sizeof *m);
    runt_builder *b = m ? runt_alloc_zeroed(allocator, 1, sizeof *b) : NULL;
    if (!b) {
        runt_free(allocator, m);
        return runt_error_set(RUNT_E_OOM, "runt_builder_create: out of memory");
    }
    runt_model_init(m, allocator);
    b->m = m;
    *out = b;
    return RUNT_OK;
}

void runt_builder_free(runt_builder *b)
{
    if (!b)
        return;
    runt_allocator a = b->m->allocator;
    runt_model_destroy(b->m);
    runt_free(&a, b);
}

static int runt_name_taken(const runt_model *m, const char *name)
{
    for (int i = 0; i < m->n_values; i++)
        if (m->values[i].name && strcmp(m->values[i].name, name) == 0)
            return 1;
    return 0;
}

/* Appends a value named name (or "prefix:<id>"); returns its id or -1 (OOM). */
static int runt_new_value(runt_model *m, const char *name, const char *prefix)
{
    if (!runt_grow(&m->allocator, (void **)&m->values, &m->cap_values, m->n_values + 1,
                   sizeof *m->values))
        return -1;
    char made_up[64];
    if (!name) {
        snprintf(made_up, sizeof made_up, "%s:%d", prefix, m->n_values);
        name = made_up;
    }
    runt_model_value *v = &m->values[m->n_values];
    memset(v, 0, sizeof *v);
    v->name = runt_strdup(&m->allocator, name);
    if (!v->name)
        return -1;
    v->input_index = v->output_index = v->producer = -1;
    return m->n_values++;
}

static runt_status runt_check_shape(const char *fn, const char *name, runt_dtype dtype, int ndim,
                                    const int64_t *dims, int allow_batch)
{
    if (!runt_dtype_size(dtype))
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: '%s': unknown dtype %d", fn, name,
                              (int)dtype);
    if (ndim < 0 || ndim > RUNT_MAX_DIMS)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: '%s': %d dims (at most %d)", fn, name,
                              ndim, RUNT_MAX_DIMS);
    if (ndim > 0 && !dims)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: '%s': dims is NULL", fn, name);
    for (int i = 0; i < ndim; i++) {
        if (dims[i] == RUNT_DIM_BATCH && i == 0 && allow_batch)
            continue;
        if (dims[i] < 0 || dims[i] > ((int64_t)1 << 40))
            return runt_error_set(RUNT_E_INVALID_ARG, "%s: '%s': dim %d is %lld", fn, name, i,
                                  (long long)dims[i]);
    }
    return RUNT_OK;
}

runt_status runt_builder_input(runt_builder *b, const char *name, runt_dtype dtype, int ndim,
                               const int64_t *dims, runt_value_id *out)
{
    const char *fn = "runt_builder_input";
    if (!b || !name || !out)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %s is NULL", fn,
                              !b ? "builder" : !name ? "name" : "out");
    runt_status s = runt_check_shape(fn, name, dtype, ndim, dims, 1);
    if (s != RUNT_OK)
        return s;
    runt_model *m = b->m;
    if (runt_name_taken(m, name))
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: a value named '%s' exists already", fn,
                              name);
    if (!runt_grow(&m->allocator, (void **)&m->inputs, &m->cap_inputs, m->n_inputs + 1,
                   sizeof *m->inputs))
        return runt_error_set(RUNT_E_OOM, "%s: out of memory", fn);
    int v = runt_new_value(m, name, "input");
    if (v < 0)
        return runt_error_set(RUNT_E_OOM, "%s: out of memory", fn);
    runt_model_value *val = &m->values[v];
    val->desc.dtype = dtype;
    val->desc.ndim = ndim;
    if (ndim > 0)
        memcpy(val->desc.dims, dims, sizeof(int64_t) * (size_t)ndim);
    val->input_index = m->n_inputs;
    m->inputs[m->n_inputs++] = v;
    *out = v;
    return RUNT_OK;
}

runt_status runt_builder_constant(runt_builder *b, const char *name, runt_dtype dtype, int ndim,
                                  const int64_t *dims, const void *data, runt_value_id *out)
{
    const char *fn = "runt_builder_constant";
    if (!b || !data || !out)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %s is NULL", fn,
                              !b ? "builder" : !data ? "data" : "out");
    runt_status s = runt_check_shape(fn, name ? name : "(unnamed)", dtype, ndim, dims, 0);
    if (s != RUNT_OK)
        return s;
    runt_model *m = b->m;
    if (name && runt_name_taken(m, name))
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: a value named '%s' exists already", fn,
                              name);
    int64_t count = 1;
    for (int i = 0; i < ndim; i++)
        count *= dims[i];
    size_t bytes = (size_t)count * runt_dtype_size(dtype);
    /* Zero-sized constants still get a real buffer so data is never NULL. */
    void *copy = runt_alloc(&m->allocator, bytes ? bytes : 1);
    int v = copy ? runt_new_value(m, name, "const") : -1;
    if (v < 0) {
        runt_free(&m->allocator, copy);
        return runt_error_set(RUNT_E_OOM, "%s: out of memory for %zu bytes", fn, bytes);
    }
    memcpy(copy, data, bytes);
    runt_model_value *val = &m->values[v];
    val->is_constant = 1;
    val->desc.dtype = dtype;
    val->desc.ndim = ndim;
    if (ndim > 0)
        memcpy(val->desc.dims, dims, sizeof(int64_t) * (size_t)ndim);
    val->desc.data = copy;
    *out = v;
    return RUNT_OK;
}

runt_status runt_builder_node(runt_builder *b, runt_op op, const char *name,
                              const runt_attrs *attrs, int n_inputs, const runt_value_id *inputs,
                              int n_outputs, runt_value_id *outputs)
{
    const char *fn = "runt_builder_node";
    if (!b)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: builder is NULL", fn);
    const runt_op_traits *t = runt_op_traits_get(op);
    if (!t)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: unknown op %d", fn, (int)op);
    const char *who = name ? name : t->name;
    if (n_inputs < t->min_inputs || n_inputs > t->max_inputs || (n_inputs && !inputs))
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: '%s' (%s) takes %d to %d inputs, got %d",
                              fn, who, t->name, t->min_inputs, t->max_inputs, n_inputs);
    if (n_outputs < t->min_outputs || n_outputs > t->max_outputs || !outputs)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: '%s' (%s) makes %d to %d outputs, got %d",
                              fn, who, t->name, t->min_outputs, t->max_outputs, n_outputs);
    runt_model *m = b->m;
    for (int i = 0; i < n_inputs; i++) {
        if (inputs[i] == -1 && i >= t->min_inputs)
            continue;
        if (inputs[i] < 0 || inputs[i] >= m->n_values)
            return runt_error_set(RUNT_E_INVALID_ARG, "%s: '%s' (%s): input %d is not a value id",
                                  fn, who, t->name, i);
    }
    if (!runt_grow(&m->allocator, (void **)&m->nodes, &m->cap_nodes, m->n_nodes + 1,
                   sizeof *m->nodes))
        return runt_error_set(RUNT_E_OOM, "%s: out of memory", fn);
    runt_model_node *n = &m->nodes[m->n_nodes];
    memset(n, 0, sizeof *n);
    char made_up[64];
    if (!name) {
        snprintf(made_up, sizeof made_up, "%s_%d", t->name, m->n_nodes);
        name = made_up;
    }
    n->name = runt_strdup(&m->allocator, name);
    if (!n->name)
        return runt_error_set(RUNT_E_OOM, "%s: out of memory", fn);
    n->op = op;
    if (attrs)
        n->attrs = *attrs;
    else
        runt_attrs_default(op, &n->attrs);
    n->n_inputs = n_inputs;
    memcpy(n->inputs, inputs, sizeof(int) * (size_t)n_inputs);
    int first_new = m->n_values;
    for (int i = 0; i < n_outputs; i++) {
        char out_name[160];
        snprintf(out_name, sizeof out_name, "%s:%d", name, i);
        int v = runt_name_taken(m, out_name) ? runt_new_value(m, NULL, out_name)
                                              : runt_new_value(m, out_name, NULL);
        if (v < 0) {
            /* Roll back so the builder stays consistent after OOM. */
            for (int j = first_new; j < m->n_values; j++)
                runt_free(&m->allocator, m->values[j].name);
            m->n_values = first_new;
            runt_free(&m->allocator, n->name);
            return runt_error_set(RUNT_E_OOM, "%s: out of memory", fn);
        }
        m->values[v].producer = m->n_nodes;
        m->values[v].desc.dtype = RUNT_F32;
        n->outputs[i] = v;
        outputs[i] = v;
    }
    n->n_outputs = n_outputs;
    m->n_nodes++;
    return RUNT_OK;
}

runt_status runt_builder_output(runt_builder *b, runt_value_id value, const char *name)
{
    const char *fn = "runt_builder_output";
    if (!b)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: builder is NULL", fn);
    runt_model *m = b->m;
    if (value < 0 || value >= m->n_values)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %d is not a value id", fn, value);
    runt_model_value *v = &m->values[value];
    if (v->output_index >= 0)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: '%s' is an output already", fn, v->name);
    if (name && strcmp(name, v->name) != 0) {
        if (runt_name_taken(m, name))
            return runt_error_set(RUNT_E_INVALID_ARG, "%s: a value named '%s' exists already",
                                  fn, name);
        char *copy = runt_strdup(&m->allocator, name);
        if (!copy)
            return runt_error_set(RUNT_E_OOM, "%s: out of memory", fn);
        runt_free(&m->allocator, v->name);
        v->name = copy;
    }
    if (!runt_grow(&m->allocator, (void **)&m->outputs, &m->cap_outputs, m->n_outputs + 1,
                   sizeof *m->outputs))
        return runt_error_set(RUNT_E_OOM, "%s: out of memory", fn);
    v->output_index = m->n_outputs;
    m->outputs[m->n_outputs++] = value;
    return RUNT_OK;
}

/* A Linear or Conv node on x with its weight (dims wdims, the output
 * channels first) and optional bias as constants named "<kind><id>.weight"
 * and "<kind><id>.bias", as PyTorch's exporter names them. */
static runt_status builder_weighted_layer(runt_builder *b, runt_op op, const char *kind,
                                          const runt_attrs *attrs, runt_value_id x, int wndim,
                                          const int64_t *wdims, const float *weight,
                                          const float *bias, runt_value_id *out)
{
    char name[64];
    int id = b->m->n_nodes;
    runt_value_id w, c = -1, y;
    snprintf(name, sizeof name, "%s%d.weight", kind, id);
    runt_status s = runt_builder_constant(b, name, RUNT_F32, wndim, wdims, weight, &w);
    if (s == RUNT_OK && bias) {
        snprintf(name, sizeof name, "%s%d.bias", kind, id);
        s = runt_builder_constant(b, name, RUNT_F32, 1, &wdims[0], bias, &c);
    }
    if (s != RUNT_OK)
        return s;
    runt_value_id ins[3] = {x, w, c};
    snprintf(name, sizeof name, "%s%d", kind, id);
    s = runt_builder_node(b, op, name, attrs, bias ? 3 : 2, ins, 1, &y);
    if (s == RUNT_OK)
        *out = y;
    return s;
}

runt_status runt_builder_linear(runt_builder *b, runt_value_id x, int64_t in_features,
                                int64_t out_features, const float *weight, const float *bias,
                                runt_value_id *out)
{
    const char *fn = "runt_builder_linear";
    if (!b || !weight || !out)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %s is NULL", fn,
                              !b ? "builder" : !weight ? "weight" : "out");
    if (in_features <= 0 || out_features <= 0)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: features must be positive (in %lld, out %lld)",
                              fn, (long long)in_features, (long long)out_features);
    int64_t wdims[2] = {out_features, in_features};
    runt_attrs attrs;
    runt_attrs_default(RUNT_OP_GEMM, &attrs);
    attrs.gemm.trans_b = 1;
    return builder_weighted_layer(b, RUNT_OP_GEMM, "linear", &attrs, x, 2, wdims, weight, bias,
                                  out);
}

runt_status runt_builder_conv2d(runt_builder *b, runt_value_id x, int64_t in_channels,
                                int64_t out_channels, int kh, int kw, const runt_conv_attrs *p,
                                const float *weight, const float *bias, runt_value_id *out)
{
    const char *fn = "runt_builder_conv2d";
    if (!b || !weight || !out)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %s is NULL", fn,
                              !b ? "builder" : !weight ? "weight" : "out");
    runt_attrs attrs;
    runt_attrs_default(RUNT_OP_CONV, &attrs);
    if (p)
        attrs.conv = *p;
    int group = attrs.conv.group;
    if (in_channels <= 0 || out_channels <= 0 || kh <= 0 || kw <= 0 || group <= 0 ||
        in_channels % group || out_channels % group)
        return runt_error_set(RUNT_E_INVALID_ARG,
                              "%s: bad geometry: in %lld, out %lld, kernel %dx%d, group %d", fn,
                              (long long)in_channels, (long long)out_channels, kh, kw, group);
    attrs.conv.kernel[0] = kh;
    attrs.conv.kernel[1] = kw;
    int64_t wdims[4] = {out_channels, in_channels / group, kh, kw};
    return builder_weighted_layer(b, RUNT_OP_CONV, "conv", &attrs, x, 4, wdims, weight, bias, out);
}

runt_status runt_builder_unary(runt_builder *b, runt_op op, runt_value_id x,
                               const runt_attrs *attrs, runt_value_id *out)
{
    const runt_op_traits *t = runt_op_traits_get(op);
    if (t && t->min_inputs > 1)
        return runt_error_set(RUNT_E_INVALID_ARG,
                              "runt_builder_unary: %s takes %d inputs; use runt_builder_node",
                              t->name, t->min_inputs);
    return runt_builder_node(b, op, NULL, attrs, 1, &x, 1, out);
}

runt_status runt_builder_finish(runt_builder *b, runt_model **out)
{
    if (!b || !out) {
        runt_builder_free(b);
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_builder_finish: %s is NULL",
                              b ? "out" : "builder");
    }
    *out = NULL;
    runt_model *m = b->m;
    runt_status s = runt_model_validate(m);
    if (s == RUNT_OK)
        s = runt_plan_annotate_model(m);
    runt_allocator a = m->allocator;
    b->m = NULL;
    runt_free(&a, b);
    if (s != RUNT_OK) {
        runt_model_destroy(m);
        return s;
    }
    *out = m;
    return RUNT_OK;
}
