/*
 * A session owns everything one model needs to run on one backend at one
 * batch size: the plan, the backend's prepared state, the arena and the
 * small arrays a run binds. Creation does all allocation; a run does none.
 *
 * A host backend's arena holds the plan's values from offset 0 and, after
 * them, the scratch the backend asked for at prepare
 * (runt_session_arena_layout), so a caller arena bounds every per-run buffer.
 */
#include <string.h>

#if !defined(RUNT_BARE_METAL) && !defined(__STDC_NO_ATOMICS__)
#include <stdatomic.h>
/* A session is used by one thread at a time. A run marks it busy with one
 * atomic test-and-set (no lock, nothing to wait on): a second thread that
 * calls in meanwhile gets RUNT_E_BUSY instead of sharing the I/O pointers and
 * the arena and returning wrong outputs as RUNT_OK. */
typedef atomic_flag runt_busy_flag;
#define RUNT_BUSY_INIT(f) atomic_flag_clear_explicit((f), memory_order_relaxed)
#define RUNT_BUSY_ENTER(f) (!atomic_flag_test_and_set_explicit((f), memory_order_acquire))
#define RUNT_BUSY_LEAVE(f) atomic_flag_clear_explicit((f), memory_order_release)
#else
/* Bare metal has no threads (and Cortex-M0 no atomic instructions): the flag
 * still refuses a run re-entered from an interrupt handler. */
typedef volatile int runt_busy_flag;
#define RUNT_BUSY_INIT(f) (*(f) = 0)
#define RUNT_BUSY_ENTER(f) (*(f) ? 0 : (*(f) = 1))
#define RUNT_BUSY_LEAVE(f) (*(f) = 0)
#endif

#include "alloc.h"
#include "backend.h"
#include "cost.h"
#include "error.h"
#include "model_limits.h"
#include "model.h"
#include "plan.h"
#include "shape.h"

struct runt_session {
    const runt_model *model;
    runt_allocator allocator;
    runt_backend_handle backend;
    void *state;                 /* the backend's, from prepare */
    runt_plan *plan;
    void *arena;
    int owns_arena;
    size_t arena_bytes;          /* the plan's values, then the backend's scratch */
    size_t scratch_offset;
    size_t scratch_bytes;
    size_t backend_weight_bytes; /* weights the backend converted for itself */
    const void **input_ptrs;
    void **output_ptrs;
    double *node_us;
    int launches;
    int device_memory;           /* the backend keeps its arena and copies I/O itself */
    double last_run_us;
    size_t weight_bytes;
    runt_busy_flag busy;         /* set while a run is in progress */
};

runt_session_options runt_session_options_default(void)
{
    runt_session_options o;
    memset(&o, 0, sizeof o);
    o.batch = 1;
    o.compute_dtype = RUNT_F32;
    o.math = RUNT_MATH_F32;
    o.fuse = 1;
    return o;
}

static runt_status runt_check_options(const runt_session_options *o, const char *fn)
{
    if (o->batch < 1)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: batch %lld must be at least 1", fn,
                              (long long)o->batch);
    if (o->compute_dtype != RUNT_F32 && o->compute_dtype != RUNT_I8)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: compute_dtype %s: use f32 or int8", fn,
                              runt_dtype_name(o->compute_dtype));
    if ((unsigned)o->math > (unsigned)RUNT_MATH_BF16)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: unknown math mode %d", fn, (int)o->math);
    if (o->threads < 0)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: threads %d is negative", fn, o->threads);
    if (o->arena && o->arena_size == 0)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: an arena needs arena_size", fn);
    if (o->allocator && (!o->allocator->alloc || !o->allocator->free))
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: an allocator needs both alloc and free", fn);
    return RUNT_OK;
}

/* Finds the backend and makes the plan the backend wants; *on_host says
 * whether the backend keeps its arena in host memory, read from the same
 * probe so no later step asks the backend again. */
static runt_status runt_session_plan(const runt_model *m, const runt_session_options *o,
                                     const runt_allocator *a, const char *fn,
                                     runt_backend_handle *backend, runt_plan **plan, int *on_host)
{
    runt_status s = runt_registry_find(o->backend, backend);
    if (s == RUNT_OK)
        s = runt_backend_check_options(*backend, o->backend != NULL, o, fn);
    if (s != RUNT_OK)
        return s;
    runt_device_info info;
    if (runt_backend_probe(*backend, &info) != RUNT_OK || !info.available)
        return runt_error_set(RUNT_E_BACKEND, "backend '%s' is not available: %s",
                              backend->iface->name, info.reason);
    *on_host = info.host_memory;
    runt_plan_config c;
    memset(&c, 0, sizeof c);
    c.batch = o->batch;
    c.fuse = o->fuse;
    c.quantized_layers = o->fuse && info.quantized_weights;
    c.io_in_arena = !info.host_memory;
    c.compute_dtype = o->compute_dtype;
    c.math = o->math;
    c.threads = o->threads;
    c.log = o->log;
    c.log_user = o->log_user;
    return runt_plan_create(m, &c, a, plan);
}

/* Where the backend's scratch starts in a host arena (after the plan's
 * values, aligned) and the arena's whole size, within the limits. The one
 * arena rule: called first with no scratch, before the backend prepares, so
 * an oversized plan fails before weights are packed; then with the scratch. */
static runt_status runt_session_arena_layout(const runt_plan *p, size_t scratch,
                                             const runt_limits *limits, const char *fn,
                                             size_t *scratch_offset, size_t *total)
{
    size_t align = RUNT_ARENA_ALIGN;
    size_t offset = scratch ? (p->arena_size + align - 1) / align * align : p->arena_size;
    if (offset < p->arena_size || scratch > SIZE_MAX - offset ||
        (uint64_t)(offset + scratch) > (uint64_t)limits->max_arena_bytes)
        return runt_error_set(RUNT_E_LIMIT, "%s: the arena of %zu bytes of values and %zu of "
                              "backend scratch at batch %lld is above "
                              "runt_limits.max_arena_bytes (%lld)", fn, p->arena_size, scratch,
                              (long long)p->batch, (long long)limits->max_arena_bytes);
    *scratch_offset = offset;
    *total = offset + scratch;
    return RUNT_OK;
}

/* The scratch a host backend would ask for: known only once it has chosen
 * its kernels, so this prepares it (weights converted too) and releases it. */
static runt_status runt_scratch_probe(runt_backend_handle b, int on_host, const runt_plan *plan,
                                      const runt_session_options *o, size_t *scratch)
{
    *scratch = 0;
    if (!b.iface->scratch_size || !on_host)
        return RUNT_OK;
    void *state = NULL;
    runt_status s = runt_backend_check_plan(b, plan);
    if (s == RUNT_OK)
        s = runt_backend_prepare(b, plan, o, &state);
    if (s != RUNT_OK)
        return s;
    *scratch = runt_backend_scratch_size(b, state, plan);
    runt_backend_release(b, state, plan);
    return RUNT_OK;
}

runt_status runt_session_arena_size(const runt_model *m, const runt_session_options *o,
                                    size_t *bytes)
{
    const char *fn = "runt_session_arena_size";
    if (!m || !o || !bytes)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %s is NULL", fn,
                              !m ? "model" : !o ? "options" : "bytes");
    runt_status s = runt_check_options(o, fn);
    runt_backend_handle backend;
    runt_plan *plan = NULL;
    int on_host = 0;
    if (s == RUNT_OK)
        s = runt_session_plan(m, o, o->allocator, fn, &backend, &plan, &on_host);
    if (s != RUNT_OK)
        return s;
    size_t scratch = 0, offset = 0;
    runt_limits limits;
    s = runt_limits_resolve(o->limits, fn, &limits);
    if (s == RUNT_OK)
        s = runt_session_arena_layout(plan, 0, &limits, fn, &offset, bytes);
    if (s == RUNT_OK)
        s = runt_scratch_probe(backend, on_host, plan, o, &scratch);
    if (s == RUNT_OK)
        s = runt_session_arena_layout(plan, scratch, &limits, fn, &offset, bytes);
    runt_plan_destroy(plan, o->allocator);
    return s;
}

void runt_session_free(runt_session *s)
{
    if (!s)
        return;
    runt_allocator a = s->allocator;
    if (s->state)
        runt_backend_release(s->backend, s->state, s->plan);
    if (s->owns_arena)
        runt_free(&a, s->arena);
    runt_plan_destroy(s->plan, &a);
    runt_free(&a, s->input_ptrs);
    runt_free(&a, s->output_ptrs);
    runt_free(&a, s->node_us);
    runt_free(&a, s);
}

/* What can be refused before the backend prepares: a caller arena the
 * backend cannot use. */
static runt_status runt_session_check_arena(const runt_session *s, const runt_session_options *o)
{
    if (!o->arena)
        return RUNT_OK;
    if (s->device_memory)
        return runt_error_set(RUNT_E_INVALID_ARG,
                              "runt_session_create: backend '%s' keeps its arena in device "
                              "memory; a caller arena is for host backends",
                              s->backend.iface->name);
    if ((uintptr_t)o->arena % RUNT_ARENA_ALIGN)
        return runt_error_set(RUNT_E_INVALID_ARG,
                              "runt_session_create: the arena must be %d-byte aligned",
                              RUNT_ARENA_ALIGN);
    return RUNT_OK;
}

/* After prepare: the arena with the backend's scratch, and what a run binds. */
static runt_status runt_session_setup(runt_session *s, const runt_session_options *o,
                                      const runt_limits *limits)
{
    const char *fn = "runt_session_create";
    runt_plan *p = s->plan;
    if (!s->device_memory) {
        s->scratch_bytes = runt_backend_scratch_size(s->backend, s->state, p);
        runt_status st = runt_session_arena_layout(p, s->scratch_bytes, limits, fn,
                                                   &s->scratch_offset, &s->arena_bytes);
        if (st != RUNT_OK)
            return st;
    }
    s->backend_weight_bytes = runt_backend_weight_bytes(s->backend, s->state, p);
    if (o->arena) {
        if (o->arena_size < s->arena_bytes)
            return runt_error_set(RUNT_E_OOM, "%s: the arena has %zu bytes, the session needs %zu "
                                  "(%zu of values, %zu of backend scratch: "
                                  "runt_session_arena_size)", fn, o->arena_size, s->arena_bytes,
                                  p->arena_size, s->scratch_bytes);
        s->arena = o->arena;
    } else if (s->arena_bytes) {
        s->arena = runt_alloc(&s->allocator, s->arena_bytes);
        if (!s->arena)
            return runt_error_set(RUNT_E_OOM, "%s: out of memory for an arena of %zu bytes", fn,
                                  s->arena_bytes);
        s->owns_arena = 1;
    }
    const runt_allocator *a = &s->allocator;
    s->input_ptrs = runt_alloc_zeroed(a, (size_t)p->n_inputs, sizeof *s->input_ptrs);
    s->output_ptrs = runt_alloc_zeroed(a, (size_t)p->n_outputs, sizeof *s->output_ptrs);
    s->node_us = runt_alloc_zeroed(a, (size_t)(p->n_nodes ? p->n_nodes : 1), sizeof(double));
    if (!s->input_ptrs || !s->output_ptrs || !s->node_us)
        return runt_error_set(RUNT_E_OOM, "runt_session_create: out of memory");
    for (int v = 0; v < p->n_values; v++)
        if (p->values[v].storage == RUNT_STORE_CONSTANT && p->values[v].first_use >= 0)
            s->weight_bytes += p->values[v].nbytes;
    return RUNT_OK;
}

runt_status runt_session_create(const runt_model *m, const runt_session_options *o,
                                runt_session **out)
{
    const char *fn = "runt_session_create";
    if (!m || !out)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %s is NULL", fn, !m ? "model" : "out");
    *out = NULL;
    runt_session_options defaults = runt_session_options_default();
    if (!o)
        o = &defaults;
    runt_status st = runt_check_options(o, fn);
    if (st != RUNT_OK)
        return st;
    runt_session *s = runt_alloc_zeroed(o->allocator, 1, sizeof *s);
    if (!s)
        return runt_error_set(RUNT_E_OOM, "%s: out of memory", fn);
    s->model = m;
    RUNT_BUSY_INIT(&s->busy);
    if (o->allocator)
        s->allocator = *o->allocator;
    int on_host = 0;
    st = runt_session_plan(m, o, &s->allocator, fn, &s->backend, &s->plan, &on_host);
    s->device_memory = !on_host;
    runt_limits limits;
    size_t values_offset, values_bytes;
    if (st == RUNT_OK)
        st = runt_backend_check_plan(s->backend, s->plan);
    if (st == RUNT_OK && (st = runt_limits_resolve(o->limits, fn, &limits)) == RUNT_OK)
        st = runt_limits_check_plan(&limits, s->plan);
    if (st == RUNT_OK) /* the arena rule's early exit, before the backend prepares */
        st = runt_session_arena_layout(s->plan, 0, &limits, fn, &values_offset, &values_bytes);
    if (st == RUNT_OK)
        st = runt_session_check_arena(s, o);
    if (st == RUNT_OK)
        st = runt_backend_prepare(s->backend, s->plan, o, &s->state);
    if (st == RUNT_OK)
        st = runt_session_setup(s, o, &limits);
    if (st != RUNT_OK) {
        runt_session_free(s);
        return st;
    }
    s->launches = runt_backend_launches(s->backend, s->state, s->plan);
    s->last_run_us = -1.0;
    if (!o->profile) {
        runt_free(&s->allocator, s->node_us);
        s->node_us = NULL;
    }
    *out = s;
    return RUNT_OK;
}

static runt_status runt_session_io_desc(const runt_session *s, int index, int is_input,
                                        runt_tensor *out)
{
    const char *fn = is_input ? "runt_session_input_desc" : "runt_session_output_desc";
    if (!s || !out)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %s is NULL", fn, s ? "out" : "session");
    int count = is_input ? s->plan->n_inputs : s->plan->n_outputs;
    if (index < 0 || index >= count)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: index %d out of range (%d)", fn, index,
                              count);
    *out = s->plan->values[is_input ? s->plan->inputs[index] : s->plan->outputs[index]].desc;
    out->data = NULL;
    return RUNT_OK;
}

runt_status runt_session_input_desc(const runt_session *s, int index, runt_tensor *out)
{
    return runt_session_io_desc(s, index, 1, out);
}

runt_status runt_session_output_desc(const runt_session *s, int index, runt_tensor *out)
{
    return runt_session_io_desc(s, index, 0, out);
}

/* A caller tensor must match the planned value exactly. */
static runt_status runt_check_tensor(const runt_plan_value *want, const runt_tensor *got,
                                     const char *kind, int index)
{
    char sw[96], sg[96];
    if (!got->data)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_session_run: %s %d ('%s'): data is NULL",
                              kind, index, want->name);
    if (got->dtype != want->desc.dtype)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_session_run: %s %d ('%s') is %s, expected %s",
                              kind, index, want->name, runt_dtype_name(got->dtype),
                              runt_dtype_name(want->desc.dtype));
    int same = got->ndim == want->desc.ndim;
    for (int d = 0; same && d < got->ndim; d++)
        same = got->dims[d] == want->desc.dims[d];
    if (!same)
        return runt_error_set(RUNT_E_SHAPE, "runt_session_run: %s %d ('%s') has shape %s, the "
                              "session expects %s", kind, index, want->name,
                              got->ndim >= 0 && got->ndim <= RUNT_MAX_DIMS
                                  ? runt_shape_str(got, sg, sizeof sg) : "(bad ndim)",
                              runt_shape_str(&want->desc, sw, sizeof sw));
    return RUNT_OK;
}

/* The run itself, by the thread that holds the session's busy flag. */
static runt_status runt_session_run_owned(runt_session *s, runt_memory where,
                                          const runt_tensor *inputs, int n_inputs,
                                          runt_tensor *outputs, int n_outputs)
{
    const char *fn = "runt_session_run";
    const runt_plan *p = s->plan;
    if (n_inputs != p->n_inputs || n_outputs != p->n_outputs)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: got %d inputs and %d outputs, the model "
                              "has %d and %d", fn, n_inputs, n_outputs, p->n_inputs, p->n_outputs);
    if ((n_inputs && !inputs) || (n_outputs && !outputs))
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %s is NULL", fn,
                              !inputs ? "inputs" : "outputs");
    for (int i = 0; i < n_inputs; i++) {
        runt_status st = runt_check_tensor(&p->values[p->inputs[i]], &inputs[i], "input", i);
        if (st != RUNT_OK)
            return st;
        s->input_ptrs[i] = inputs[i].data;
    }
    for (int i = 0; i < n_outputs; i++) {
        runt_status st = runt_check_tensor(&p->values[p->outputs[i]], &outputs[i], "output", i);
        if (st != RUNT_OK)
            return st;
        s->output_ptrs[i] = outputs[i].data;
    }
    runt_bindings b = {s->arena, s->input_ptrs, (void *const *)s->output_ptrs,
                       s->device_memory ? where : RUNT_MEMORY_HOST, s->node_us,
                       s->scratch_bytes ? (char *)s->arena + s->scratch_offset : NULL};
    double t0 = runt_clock_us();
    runt_status st = runt_backend_execute(s->backend, s->state, p, &b);
    if (st == RUNT_OK)
        s->last_run_us = runt_backend_last_run_us(s->backend, s->state, runt_clock_us() - t0);
    return st;
}

runt_status runt_session_run_in(runt_session *s, runt_memory where, const runt_tensor *inputs,
                                int n_inputs, runt_tensor *outputs, int n_outputs)
{
    const char *fn = "runt_session_run";
    if (!s)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: session is NULL", fn);
    if ((unsigned)where > (unsigned)RUNT_MEMORY_DEVICE)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: unknown memory kind %d", fn, (int)where);
    if (where == RUNT_MEMORY_DEVICE && !s->device_memory)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: inputs and outputs in device memory, but "
                              "backend '%s' computes in host memory", fn, s->backend.iface->name);
    if (!RUNT_BUSY_ENTER(&s->busy))
        return runt_error_set(RUNT_E_BUSY, "%s: the session is running on another thread; a "
                              "session is used by one thread at a time (create one per thread: "
                              "they may share the model)", fn);
    runt_status st = runt_session_run_owned(s, where, inputs, n_inputs, outputs, n_outputs);
    RUNT_BUSY_LEAVE(&s->busy);
    return st;
}

runt_status runt_session_run(runt_session *s, const runt_tensor *inputs, int n_inputs,
                             runt_tensor *outputs, int n_outputs)
{
    return runt_session_run_in(s, RUNT_MEMORY_HOST, inputs, n_inputs, outputs, n_outputs);
}

runt_status runt_session_last_run_us(const runt_session *s, double *us)
{
    if (!s || !us)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_session_last_run_us: %s is NULL",
                              s ? "us" : "session");
    *us = s->last_run_us;
    return RUNT_OK;
}

runt_status runt_session_stats_get(const runt_session *s, runt_session_stats *out)
{
    if (!s || !out)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_session_stats_get: %s is NULL",
                              s ? "out" : "session");
    memset(out, 0, sizeof *out);
    out->arena_bytes = s->plan->arena_size;
    out->naive_arena_bytes = s->plan->arena_naive_size;
    out->weight_bytes = s->weight_bytes;
    out->scratch_bytes = s->scratch_bytes;
    out->session_arena_bytes = s->device_memory ? s->plan->arena_size : s->arena_bytes;
    out->backend_weight_bytes = s->backend_weight_bytes;
    out->n_nodes = s->plan->n_nodes;
    out->launches = s->launches;
    for (int i = 0; i < s->plan->n_nodes; i++) {
        const runt_cost *c = &s->plan->nodes[i].cost;
        runt_cost_add(&out->total, c);
    }
    return RUNT_OK;
}

runt_status runt_session_node(const runt_session *s, int index, runt_node_info *info,
                              double *last_us)
{
    if (!s || !info)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_session_node: %s is NULL",
                              s ? "info" : "session");
    if (index < 0 || index >= s->plan->n_nodes)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_session_node: index %d out of range (%d)",
                              index, s->plan->n_nodes);
    const runt_plan_node *n = &s->plan->nodes[index];
    memset(info, 0, sizeof *info);
    info->name = n->name;
    info->op = n->op;
    info->epilogue = n->op == RUNT_OP_GEMM ? n->attrs.gemm.epilogue
                     : n->op == RUNT_OP_CONV ? n->attrs.conv.epilogue
                                              : info->epilogue;
    int y = n->outputs[0];
    if (y >= 0)
        info->output = s->plan->values[y].desc;
    info->cost = n->cost;
    if (last_us)
        *last_us = s->node_us ? s->node_us[index] : -1.0;
    return RUNT_OK;
}
