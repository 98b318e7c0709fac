#include "test_util.h"

#include <math.h>
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
