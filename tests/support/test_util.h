/*
 * Helpers shared by the tests: deterministic random data (never all zeros),
 * error measures against double-precision references, and buffers with
 * sentinel bytes after the end to catch out-of-bounds writes.
 */
#ifndef RT_TEST_UTIL_H
#define RT_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "runt-backend.h"

/* A small deterministic generator (splitmix64), one per test. */
typedef struct rt_rng { uint64_t state; } rt_rng;

rt_rng rt_rng_make(uint64_t seed);
uint64_t rt_rng_next(rt_rng *r);
/* Uniform in [lo, hi). */
double rt_rng_uniform(rt_rng *r, double lo, double hi);
/* Uniform integer in [lo, hi]. */
int64_t rt_rng_int(rt_rng *r, int64_t lo, int64_t hi);
/* Fills with uniform values in [lo, hi); re-draws exact zeros. */
void rt_fill_uniform(rt_rng *r, float *x, size_t n, float lo, float hi);

/* max_i |got_i - want_i| / max(max_i |want_i|, floor): an error normalized by
 * the scale of the expected result, so one bound serves all magnitudes. */
double rt_norm_max_error(const float *got, const double *want, size_t n, double floor);

/* A float buffer of n elements followed by sentinel bytes. */
float *rt_guarded_alloc(size_t n);
/* 1 if the sentinel bytes after element n are intact. */
int rt_guard_intact(const float *buf, size_t n);
void rt_guarded_free(float *buf);

/* A runt_tensor view of a float buffer. */
runt_tensor rt_tensor_f32(float *data, int ndim, const int64_t *dims);

/* The registry's entry for backend `name`: 1 with *out filled if this build
 * registers it, else 0. */
int rt_backend_lookup(const char *name, runt_device_info *out);
/* 1 if backend `name` is registered and available. */
int rt_backend_available(const char *name);

/* An allocator that counts its calls and fails its fail_at-th allocation
 * (-1: never); a failed one is not counted. Use as
 * runt_allocator a = {rt_counting_alloc, rt_counting_free, &counts}. */
typedef struct rt_counting {
    long allocs, frees, fail_at;
} rt_counting;
void *rt_counting_alloc(void *user, size_t size, size_t align);
void rt_counting_free(void *user, void *p);

/* A device backend for machines without one: a mock whose "device memory"
 * is host memory it allocates at prepare, and whose execute does what the
 * backend interface asks of a device backend (each input copied into its
 * arena slot, the reference kernels over the plan, each output copied out),
 * counting the copies. rt_mock_device_register initializes and registers it
 * under `name` once (the in-process runner shares one registry across
 * tests; later calls keep the registered one). */
/* The last-level cache the mock reports (runt_device_info.cache_bytes). */
#define RT_MOCK_DEVICE_CACHE_BYTES (3 << 20)
typedef struct rt_mock_device {
    runt_backend_i iface;
    int copies_in, copies_out, live_arenas, fail_execute;
    int nan_outside_f32_math; /* a session in TF32/BF16 math (which the mock
                                 otherwise computes as f32) writes a NaN as
                                 its first output value: a wrong answer */
    double device_us;        /* what last_run_us reports; < 0: no device timer */
} rt_mock_device;
runt_status rt_mock_device_register(rt_mock_device *m, const char *name);

#endif /* RT_TEST_UTIL_H */
