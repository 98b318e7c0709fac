/*
 * The reference kernels, run on independent slices of a node by several
 * threads. Each slice is an ordinary smaller tensor (a view into the same
 * memory), so every op keeps exactly the reference semantics (NaN handling,
 * pooling's padding rules, double-precision statistics) and only the work
 * is divided: elements for elementwise ops, rows for broadcasting ones,
 * the dims before the axis for Softmax and LayerNorm, planes for pooling,
 * channel or group ranges for BatchNorm and grouped Conv.
 *
 * MaxPool's and AveragePool's slices run the CPU's own kernels
 * (cpu_pooling.c, the same results, faster), worth running even as one
 * slice. The activations that are epilogues are not here: they have their
 * own node kind (cpu_act.c); Erf, which is not one, is.
 *
 * Nodes under RUNT_CPU_PARALLEL_MIN_ELEMENTS output elements (cpu_impl.h
 * says why), or sessions with one thread, run the reference kernel whole;
 * the pools run their own kernels whole there.
 */
#include <string.h>

#include "common/tensor_geom.h"
#include "cpu_impl.h"
#include "ref/ref_impl.h"

#define MAX_SLICES 256

static runt_ref_kernel_fn slice_kernel(runt_op op)
{
    switch (op) {
    case RUNT_OP_ADD: return runt_ref_add;
    case RUNT_OP_SUB: return runt_ref_sub;
    case RUNT_OP_MUL: return runt_ref_mul;
    case RUNT_OP_DIV: return runt_ref_div;
    case RUNT_OP_ERF: return runt_ref_erf;
    case RUNT_OP_SOFTMAX: return runt_ref_softmax;
    case RUNT_OP_LAYER_NORM: return runt_ref_layer_norm;
    case RUNT_OP_BATCH_NORM: return runt_ref_batch_norm;
    case RUNT_OP_MAX_POOL: return runt_cpu_max_pool;
    case RUNT_OP_AVERAGE_POOL: return runt_cpu_average_pool;
    case RUNT_OP_GLOBAL_AVERAGE_POOL: return runt_ref_global_average_pool;
    case RUNT_OP_CONV: return runt_ref_conv;
    default: return NULL;
    }
}

static int64_t dims_product(const runt_tensor *t, int from, int to)
{
    int64_t n = 1;
    for (int d = from; d < to; d++)
        n *= t->dims[d];
    return n;
}

static int norm_axis(int axis, int ndim) { return axis < 0 ? axis + ndim : axis; }

/* The slicing of node i and its number of finest slices; 0: none. */
static int slicing_of(const runt_plan *p, int i, runt_cpu_slicing *how, int64_t *units)
{
    const runt_plan_node *n = &p->nodes[i];
    const runt_tensor *x = &p->values[n->inputs[0]].desc;
    const runt_tensor *y = &p->values[n->outputs[0]].desc;
    switch (n->op) {
    case RUNT_OP_ERF:
        *how = RUNT_CPU_SLICE_FLAT;
        *units = runt_tensor_count(y);
        return runt_geom_same_dims(x, y);
    case RUNT_OP_ADD: case RUNT_OP_SUB: case RUNT_OP_MUL: case RUNT_OP_DIV: {
        const runt_tensor *x1 = &p->values[n->inputs[1]].desc;
        if (runt_geom_same_dims(x, y) && runt_geom_same_dims(x1, y)) {
            *how = RUNT_CPU_SLICE_FLAT;
            *units = runt_tensor_count(y);
            return 1;
        }
        *how = RUNT_CPU_SLICE_ROWS;
        *units = y->ndim >= 1 ? y->dims[0] : 0;
        return y->ndim >= 1;
    }
    case RUNT_OP_SOFTMAX: case RUNT_OP_LAYER_NORM: {
        int axis = norm_axis(n->op == RUNT_OP_SOFTMAX ? n->attrs.axis.axis
                                                      : n->attrs.layer_norm.axis, x->ndim);
        *how = RUNT_CPU_SLICE_OUTER;
        *units = dims_product(x, 0, axis);
        return axis > 0 && axis < x->ndim;
    }
    case RUNT_OP_MAX_POOL: case RUNT_OP_AVERAGE_POOL:
        *how = RUNT_CPU_SLICE_PLANES;
        *units = x->ndim == 4 ? x->dims[0] * x->dims[1] : 0;
        return x->ndim == 4 && y->ndim == 4 && (n->n_outputs < 2 || n->outputs[1] < 0);
    case RUNT_OP_GLOBAL_AVERAGE_POOL:
        *how = RUNT_CPU_SLICE_PLANES;
        *units = x->ndim >= 3 ? x->dims[0] * x->dims[1] : 0;
        return x->ndim >= 3 && y->ndim == x->ndim;
    case RUNT_OP_BATCH_NORM:
        *how = RUNT_CPU_SLICE_CHANNELS;
        *units = x->ndim >= 2 ? x->dims[0] * x->dims[1] : 0;
        return x->ndim >= 2;
    case RUNT_OP_CONV: {
        const runt_tensor *w = &p->values[n->inputs[1]].desc;
        int g = n->attrs.conv.group;
        *how = RUNT_CPU_SLICE_GROUPS;
        *units = x->ndim == 4 ? x->dims[0] * g : 0;
        return x->ndim == 4 && w->ndim == 4 && y->ndim == 4 && g >= 1 &&
               w->dims[1] * g == x->dims[1] && w->dims[0] % g == 0 && y->dims[1] == w->dims[0];
    }
    default: return 0;
    }
}

/* 1 when node i runs in one slice on one thread: small, or one thread. */
static int whole(const runt_plan *p, int i, int threads)
{
    return threads < 2 ||
           runt_tensor_count(&p->values[p->nodes[i].outputs[0]].desc) <
               RUNT_CPU_PARALLEL_MIN_ELEMENTS;
}

int runt_cpu_sliceable(const runt_plan *p, int i, int threads, runt_cpu_slicing *how,
                       int64_t *units)
{
    const runt_plan_node *n = &p->nodes[i];
    if (!slice_kernel(n->op) || n->n_inputs < 1 || n->inputs[0] < 0 || n->outputs[0] < 0)
        return 0;
    int own = n->op == RUNT_OP_MAX_POOL || n->op == RUNT_OP_AVERAGE_POOL;
    if (whole(p, i, threads) && !own)
        return 0;
    return slicing_of(p, i, how, units) && (*units >= 2 || own);
}

static void *advance(void *data, int64_t elements)
{
    return data ? (float *)data + elements : NULL;
}

/* t becomes elements [lo, hi) of itself along dim 0 (rows of `row` elements). */
static void cut_dim0(runt_tensor *t, int64_t lo, int64_t hi, int64_t row)
{
    t->data = advance(t->data, lo * row);
    t->dims[0] = hi - lo;
}

static void slice_flat(runt_tensor *in, int n_in, runt_tensor *out, int64_t lo, int64_t hi)
{
    for (int j = 0; j < n_in; j++) {
        in[j].ndim = 1;
        cut_dim0(&in[j], lo, hi, 1);
    }
    out[0].ndim = 1;
    cut_dim0(&out[0], lo, hi, 1);
}

static void slice_rows(runt_tensor *in, int n_in, runt_tensor *out, int64_t lo, int64_t hi)
{
    int64_t rows = out[0].dims[0];
    for (int j = 0; j < n_in; j++)
        if (in[j].ndim == out[0].ndim && in[j].dims[0] == rows && rows > 1)
            cut_dim0(&in[j], lo, hi, runt_tensor_count(&in[j]) / rows);
    cut_dim0(&out[0], lo, hi, runt_tensor_count(&out[0]) / rows);
}

/* Softmax / LayerNorm: [outer..., axis...] becomes [hi - lo, axis...], axis 1. */
static void slice_outer(const runt_plan_node *n, runt_attrs *at, runt_tensor *in, runt_tensor *out,
                        int n_out, int64_t lo, int64_t hi)
{
    int *axis_attr = n->op == RUNT_OP_SOFTMAX ? &at->axis.axis : &at->layer_norm.axis;
    int axis = norm_axis(*axis_attr, in[0].ndim);
    runt_tensor *t[2] = {&in[0], &out[0]};
    for (int k = 0; k < 2; k++) {
        int64_t block = dims_product(t[k], axis, t[k]->ndim);
        int nd = t[k]->ndim - axis;
        memmove(&t[k]->dims[1], &t[k]->dims[axis], (size_t)nd * sizeof(int64_t));
        t[k]->ndim = nd + 1;
        t[k]->dims[0] = hi - lo;
        t[k]->data = advance(t[k]->data, lo * block);
    }
    for (int j = 1; j < n_out; j++) /* LayerNorm's Mean, InvStdDev: one per row */
        out[j].data = advance(out[j].data, lo);
    *axis_attr = 1;
}

/* Pooling: planes [lo, hi) of the N*C planes, as one image of hi - lo channels. */
static void slice_planes(runt_tensor *in, runt_tensor *out, int64_t lo, int64_t hi)
{
    runt_tensor *t[2] = {&in[0], &out[0]};
    for (int k = 0; k < 2; k++) {
        t[k]->data = advance(t[k]->data, lo * dims_product(t[k], 2, t[k]->ndim));
        t[k]->dims[0] = 1;
        t[k]->dims[1] = hi - lo;
    }
}

/* BatchNorm: channels [c0, c1) of image img. */
static void slice_channels(runt_tensor *in, runt_tensor *out, int64_t img, int64_t c0, int64_t c1)
{
    int64_t channels = in[0].dims[1], spatial = dims_product(&in[0], 2, in[0].ndim);
    runt_tensor *t[2] = {&in[0], &out[0]};
    for (int k = 0; k < 2; k++) {
        t[k]->data = advance(t[k]->data, (img * channels + c0) * spatial);
        t[k]->dims[0] = 1;
        t[k]->dims[1] = c1 - c0;
    }
    for (int j = 1; j < 5; j++)
        cut_dim0(&in[j], c0, c1, 1);
}

/* Conv: groups [g0, g1) of image img, as a conv of g1 - g0 groups. */
static void slice_groups(runt_attrs *at, runt_tensor *in, int n_in, runt_tensor *out, int64_t img,
                         int64_t g0, int64_t g1)
{
    int64_t groups = at->conv.group, cg = in[1].dims[1], mg = in[1].dims[0] / groups;
    int64_t ipl = in[0].dims[2] * in[0].dims[3], opl = out[0].dims[2] * out[0].dims[3];
    in[0].data = advance(in[0].data, (img * in[0].dims[1] + g0 * cg) * ipl);
    in[0].dims[0] = 1;
    in[0].dims[1] = (g1 - g0) * cg;
    cut_dim0(&in[1], g0 * mg, g1 * mg, dims_product(&in[1], 1, 4));
    if (n_in > 2 && in[2].data)
        cut_dim0(&in[2], g0 * mg, g1 * mg, 1);
    out[0].data = advance(out[0].data, (img * out[0].dims[1] + g0 * mg) * opl);
    out[0].dims[0] = 1;
    out[0].dims[1] = (g1 - g0) * mg;
    at->conv.group = (int)(g1 - g0);
}

static runt_tensor bound_view(const runt_plan *p, const runt_bindings *b, int v)
{
    runt_tensor t;
    memset(&t, 0, sizeof t);
    if (v >= 0) {
        t = p->values[v].desc;
        t.data = runt_plan_value_ptr(p, b, v);
    }
    return t;
}

/* Slices [lo, hi) of node i; BatchNorm and Conv slices stop at image edges. */
static runt_status run_range(const runt_plan *p, int i, const runt_bindings *b,
                             runt_cpu_slicing how, int64_t lo, int64_t hi)
{
    const runt_plan_node *n = &p->nodes[i];
    runt_ref_kernel_fn kernel = slice_kernel(n->op);
    while (lo < hi) {
        runt_tensor in[RUNT_MAX_NODE_INPUTS], out[RUNT_MAX_NODE_OUTPUTS];
        runt_attrs at = n->attrs;
        for (int j = 0; j < n->n_inputs; j++)
            in[j] = bound_view(p, b, n->inputs[j]);
        for (int j = 0; j < n->n_outputs; j++)
            out[j] = bound_view(p, b, n->outputs[j]);
        int64_t end = hi;
        switch (how) {
        case RUNT_CPU_SLICE_FLAT: slice_flat(in, n->n_inputs, out, lo, hi); break;
        case RUNT_CPU_SLICE_ROWS: slice_rows(in, n->n_inputs, out, lo, hi); break;
        case RUNT_CPU_SLICE_OUTER: slice_outer(n, &at, in, out, n->n_outputs, lo, hi); break;
        case RUNT_CPU_SLICE_PLANES: slice_planes(in, out, lo, hi); break;
        case RUNT_CPU_SLICE_CHANNELS: {
            int64_t per = in[0].dims[1], img = lo / per, c0 = lo % per;
            end = lo + (per - c0 < hi - lo ? per - c0 : hi - lo);
            slice_channels(in, out, img, c0, c0 + (end - lo));
            break;
        }
        case RUNT_CPU_SLICE_GROUPS: {
            int64_t per = n->attrs.conv.group, img = lo / per, g0 = lo % per;
            end = lo + (per - g0 < hi - lo ? per - g0 : hi - lo);
            slice_groups(&at, in, n->n_inputs, out, img, g0, g0 + (end - lo));
            break;
        }
        }
        runt_status s = kernel(&at, in, n->n_inputs, out, n->n_outputs);
        if (s != RUNT_OK)
            return s;
        lo = end;
    }
    return RUNT_OK;
}

/* Task t runs the units [t * units / tasks, (t + 1) * units / tasks). */
typedef struct sliced_loop {
    const runt_plan *p;
    int node;
    const runt_bindings *b;
    runt_cpu_slicing slicing;
    int64_t units, tasks;
    runt_status *status; /* one per task */
} sliced_loop;

static void sliced_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    const sliced_loop *l = ctx;
    (void)slot;
    for (int64_t t = lo; t < hi; t++)
        l->status[t] = run_range(l->p, l->node, l->b, l->slicing, t * l->units / l->tasks,
                                 (t + 1) * l->units / l->tasks);
}

runt_status runt_cpu_sliced_run(const runt_cpu_state *st, const runt_plan *p, int i,
                                const runt_bindings *b)
{
    const runt_cpu_node *cn = &st->nodes[i];
    int64_t tasks = whole(p, i, st->threads) ? 1 : cn->units < st->threads ? cn->units : st->threads;
    if (tasks > MAX_SLICES)
        tasks = MAX_SLICES;
    runt_status status[MAX_SLICES];
    sliced_loop l = {p, i, b, cn->slicing, cn->units, tasks, status};
    runt_cpu_parallel((int)tasks, tasks, 1, sliced_body, &l);
    for (int64_t t = 0; t < tasks; t++)
        if (status[t] != RUNT_OK) /* again whole, so the message is this thread's */
            return runt_ref_run_node(p, i, b);
    return RUNT_OK;
}
