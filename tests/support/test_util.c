#include "test_util.h"

#include "ref/ref_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RT_GUARD_BYTES 64
#define RT_GUARD_BYTE 0xA5

rt_rng rt_rng_make(uint64_t seed)
{
    rt_rng r = {seed * 0x9E3779B97F4A7C15ull + 1};
    return r;
}

uint64_t rt_rng_next(rt_rng *r)
{
    uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double rt_rng_uniform(rt_rng *r, double lo, double hi)
{
    double u = (double)(rt_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
    return lo + (hi - lo) * u;
}

int64_t rt_rng_int(rt_rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rt_rng_next(r) % (uint64_t)(hi - lo + 1));
}

void rt_fill_uniform(rt_rng *r, float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++) {
        float v;
        do {
            v = (float)rt_rng_uniform(r, lo, hi);
        } while (v == 0.0f);
        x[i] = v;
    }
}

double rt_norm_max_error(const float *got, const double *want, size_t n, double floor)
{
    double scale = floor, worst = 0.0;
    for (size_t i = 0; i < n; i++)
        if (fabs(want[i]) > scale)
            scale = fabs(want[i]);
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)got[i] - want[i]);
        if (isnan(got[i]) != isnan(want[i]))
            return INFINITY;
        if (e > worst)
            worst = e;
    }
    return worst / scale;
}

float *rt_guarded_alloc(size_t n)
{
    unsigned char *p = malloc(n * sizeof(float) + RT_GUARD_BYTES);
    if (!p)
        return NULL;
    memset(p + n * sizeof(float), RT_GUARD_BYTE, RT_GUARD_BYTES);
    return (float *)p;
}

int rt_guard_intact(const float *buf, size_t n)
{
    const unsigned char *g = (const unsigned char *)(buf + n);
    for (int i = 0; i < RT_GUARD_BYTES; i++)
        if (g[i] != RT_GUARD_BYTE)
            return 0;
    return 1;
}

void rt_guarded_free(float *buf) { free(buf); }

runt_tensor rt_tensor_f32(float *data, int ndim, const int64_t *dims)
{
    runt_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = RUNT_F32;
    t.ndim = ndim;
    for (int i = 0; i < ndim; i++)
        t.dims[i] = dims[i];
    t.data = data;
    return t;
}

int rt_backend_lookup(const char *name, runt_device_info *out)
{
    int n = 0;
    runt_backend_count(&n);
    for (int i = 0; i < n; i++)
        if (runt_backend_info(i, out) == RUNT_OK && strcmp(out->backend, name) == 0)
            return 1;
    return 0;
}

int rt_backend_available(const char *name)
{
    runt_device_info d;
    return rt_backend_lookup(name, &d) && d.available;
}

void *rt_counting_alloc(void *user, size_t size, size_t align)
{
    rt_counting *c = user;
    if (c->fail_at >= 0 && c->allocs == c->fail_at)
        return NULL;
    c->allocs++;
    return aligned_alloc(align, (size + align - 1) / align * align);
}

void rt_counting_free(void *user, void *p)
{
    ((rt_counting *)user)->frees++;
    free(p);
}

/* ---- the mock device backend ---- */

typedef struct mock_session {
    rt_mock_device *device;
    char *arena;
} mock_session;

static runt_status mock_device_probe(void *context, runt_device_info *info)
{
    (void)context;
    snprintf(info->name, sizeof info->name, "mock device");
    info->available = 1;
    info->host_memory = 0;
    info->compute_units = 4;
    info->cache_bytes = RT_MOCK_DEVICE_CACHE_BYTES;
    return RUNT_OK;
}

static runt_status mock_device_prepare(void *context, const runt_plan *plan,
                                       const runt_session_options *o, void **state)
{
    (void)o;
    rt_mock_device *m = context;
    for (int v = 0; v < plan->n_values; v++)
        if (plan->values[v].storage == RUNT_STORE_INPUT || plan->values[v].storage == RUNT_STORE_OUTPUT)
            return runt_error_set(RUNT_E_BACKEND, "mock: value '%s' bound to host memory",
                                  plan->values[v].name);
    if (plan->compute_dtype != RUNT_F32)
        return runt_error_set(RUNT_E_UNSUPPORTED, "mock: computes in f32 only");
    mock_session *ms = calloc(1, sizeof *ms);
    char *arena = calloc(1, plan->arena_size ? plan->arena_size : 1);
    if (!ms || !arena) {
        free(ms);
        free(arena);
        return runt_error_set(RUNT_E_OOM, "mock: out of memory");
    }
    ms->device = m;
    ms->arena = arena;
    m->live_arenas++;
    *state = ms;
    return RUNT_OK;
}

static runt_status mock_device_execute(void *state, const runt_plan *plan, const runt_bindings *b)
{
    mock_session *ms = state;
    rt_mock_device *m = ms->device;
    if (b->arena)
        return runt_error_set(RUNT_E_BACKEND, "mock: a device backend was handed a host arena");
    if (m->fail_execute)
        return runt_error_set(RUNT_E_BACKEND, "mock: the device fell over");
    for (int i = 0; i < plan->n_inputs; i++, m->copies_in++) {
        const runt_plan_value *v = &plan->values[plan->inputs[i]];
        memcpy(ms->arena + v->offset, b->inputs[i], v->nbytes);
    }
    runt_bindings own = *b;
    own.arena = ms->arena;
    for (int i = 0; i < plan->n_nodes; i++) {
        runt_status s = runt_ref_run_node(plan, i, &own);
        if (s != RUNT_OK)
            return s;
    }
    for (int i = 0; i < plan->n_outputs; i++, m->copies_out++) {
        const runt_plan_value *v = &plan->values[plan->outputs[i]];
        memcpy(b->outputs[i], ms->arena + v->offset, v->nbytes);
    }
    if (m->nan_outside_f32_math && plan->math != RUNT_MATH_F32 && plan->n_outputs > 0 &&
        plan->values[plan->outputs[0]].desc.dtype == RUNT_F32)
        *(float *)b->outputs[0] = NAN;
    return RUNT_OK;
}

static runt_status mock_device_last_run_us(void *state, double *us)
{
    const mock_session *ms = state;
    if (ms->device->device_us < 0)
        return runt_error_set(RUNT_E_BACKEND, "mock: no device timer");
    *us = ms->device->device_us;
    return RUNT_OK;
}

static void mock_device_release(void *state, const runt_plan *plan)
{
    (void)plan;
    mock_session *ms = state;
    ms->device->live_arenas--;
    free(ms->arena);
    free(ms);
}

runt_status rt_mock_device_register(rt_mock_device *m, const char *name)
{
    runt_device_info d;
    if (rt_backend_lookup(name, &d))
        return RUNT_OK;
    memset(m, 0, sizeof *m);
    m->device_us = -1.0;
    m->iface.name = name;
    m->iface.probe = mock_device_probe;
    m->iface.prepare = mock_device_prepare;
    m->iface.execute = mock_device_execute;
    m->iface.last_run_us = mock_device_last_run_us;
    m->iface.release = mock_device_release;
    return runt_backend_register(&m->iface, m);
}
