/*
 * Shared by the CPU backend's tests: whether "cpu" is in this build, and
 * running one model on "cpu" and on "ref" with the same random inputs (never
 * zeros), outputs in guarded buffers, compared by the normalized max error
 * of test_util.h: max |cpu - ref| / max(max |ref|, 1e-6).
 *
 * Error bound used throughout, BOUND_F32 = 1e-5: the reference accumulates
 * dot products in double and rounds once; the CPU backend accumulates in
 * float, in blocks of 256. With random signs the float error grows like
 * sqrt(K) * 2^-24 (K = 4096: ~4e-6 of the scale); ops that are not dot
 * products run the reference's own code on slices and agree exactly, but
 * for the activations with exp, tanh or erf in them, which the CPU computes
 * in vectors (act_vec.h) within BOUND_ACT of the scale.
 */
#ifndef CPU_COMPARE_H
#define CPU_COMPARE_H

#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "runt.h"
#include "test_backend_options.h"
#include "test_util.h"

#define BOUND_F32 1e-5
#define BOUND_ACT 1e-6
#define CMP_MAX_IO 4

#define CPU_REQUIRE()                                                                       \
    do {                                                                                    \
        if (!rt_backend_available("cpu")) {                                                \
            RT_SKIP("the cpu backend is not in this build (RUNT_BLAS=OFF or no OpenBLAS)"); \
            return;                                                                         \
        }                                                                                   \
    } while (0)

/* Options for one comparison run. */
typedef struct cmp_opts {
    int64_t batch;
    int threads;
    int fuse;
    runt_dtype dtype;        /* the cpu run's compute_dtype (ref: always f32) */
} cmp_opts;

/* Runs m on `backend` with inputs x; fills y[o] (guarded, caller frees) and
 * the element counts. Asserts on every failure. */
static inline void cmp_run(const runt_model *m, const char *backend, const cmp_opts *c, float **x,
                    float **y, size_t *ny)
{
    runt_session_options o = runt_session_options_default();
    o.backend = backend;
    o.batch = c->batch;
    o.threads = c->threads;
    o.fuse = c->fuse;
    o.compute_dtype = c->dtype;
    rt_backend_options bo = rt_backend_options_make();
    rt_backend_options_chain(&bo, &o);
    runt_session *s = NULL;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s session: %s", backend,
              runt_last_error());
    int n_in = 0, n_out = 0, n_nodes = 0;
    RT_ASSERT(runt_model_counts(m, &n_in, &n_out, &n_nodes) == RUNT_OK, "%s", runt_last_error());
    runt_tensor ti[CMP_MAX_IO], to[CMP_MAX_IO];
    for (int i = 0; i < n_in; i++) {
        RT_ASSERT(runt_session_input_desc(s, i, &ti[i]) == RUNT_OK, "%s", runt_last_error());
        ti[i].data = x[i];
    }
    for (int i = 0; i < n_out; i++) {
        RT_ASSERT(runt_session_output_desc(s, i, &to[i]) == RUNT_OK, "%s", runt_last_error());
        ny[i] = (size_t)runt_tensor_count(&to[i]);
        y[i] = rt_guarded_alloc(ny[i] ? ny[i] : 1);
        to[i].data = y[i];
    }
    RT_ASSERT(runt_session_run(s, ti, n_in, to, n_out) == RUNT_OK, "%s run: %s", backend,
              runt_last_error());
    for (int i = 0; i < n_out; i++)
        RT_ASSERT(rt_guard_intact(y[i], ny[i]), "%s wrote past output %d", backend, i);
    runt_session_free(s);
}

/* Random inputs for m at batch c->batch (uniform in [-1, 1), never 0). */
static inline void cmp_inputs(const runt_model *m, const cmp_opts *c, rt_rng *r, float **x)
{
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    o.batch = c->batch;
    runt_session *s = NULL;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "ref session: %s", runt_last_error());
    int n_in = 0, n_out = 0, n_nodes = 0;
    runt_model_counts(m, &n_in, &n_out, &n_nodes);
    RT_ASSERT(n_in <= CMP_MAX_IO && n_out <= CMP_MAX_IO, "too many inputs or outputs");
    for (int i = 0; i < n_in; i++) {
        runt_tensor t;
        runt_session_input_desc(s, i, &t);
        size_t n = (size_t)runt_tensor_count(&t);
        x[i] = malloc((n ? n : 1) * sizeof(float));
        rt_fill_uniform(r, x[i], n, -1.0f, 1.0f);
    }
    runt_session_free(s);
}

/* The largest normalized error of any output of m on "cpu" against "ref". */
static inline double cmp_error(const runt_model *m, const cmp_opts *c, uint64_t seed)
{
    rt_rng r = rt_rng_make(seed);
    float *x[CMP_MAX_IO] = {0}, *yc[CMP_MAX_IO] = {0}, *yr[CMP_MAX_IO] = {0};
    size_t nc[CMP_MAX_IO], nr[CMP_MAX_IO];
    int n_in = 0, n_out = 0, n_nodes = 0;
    runt_model_counts(m, &n_in, &n_out, &n_nodes);
    cmp_inputs(m, c, &r, x);
    cmp_opts ref = *c;
    ref.threads = 1;
    ref.dtype = RUNT_F32;
    cmp_run(m, "cpu", c, x, yc, nc);
    cmp_run(m, "ref", &ref, x, yr, nr);
    double worst = 0.0;
    for (int o = 0; o < n_out; o++) {
        RT_ASSERT(nc[o] == nr[o], "output %d: %zu vs %zu elements", o, nc[o], nr[o]);
        double *want = malloc((nr[o] ? nr[o] : 1) * sizeof(double));
        for (size_t i = 0; i < nr[o]; i++)
            want[i] = yr[o][i];
        double e = rt_norm_max_error(yc[o], want, nr[o], 1e-6);
        worst = e > worst ? e : worst;
        free(want);
        rt_guarded_free(yc[o]);
        rt_guarded_free(yr[o]);
    }
    for (int i = 0; i < n_in; i++)
        free(x[i]);
    return worst;
}

/* cmp_error for threads 1 and 2, asserting the bound; label names the case. */
static inline void cmp_check_dtype(const runt_model *m, runt_dtype dtype, int64_t batch, int fuse,
                                   double bound, uint64_t seed, const char *label)
{
    for (int threads = 1; threads <= 2; threads++) {
        cmp_opts c = {batch, threads, fuse, dtype};
        double e = cmp_error(m, &c, seed);
        RT_ASSERT(e <= bound, "%s (%s, batch %lld, %d threads, fuse %d): normalized error %g > %g",
                  label, runt_dtype_name(dtype), (long long)batch, threads, fuse, e, bound);
    }
}

static inline void cmp_check(const runt_model *m, int64_t batch, int fuse, double bound,
                             uint64_t seed, const char *label)
{
    cmp_check_dtype(m, RUNT_F32, batch, fuse, bound, seed, label);
}

#endif /* CPU_COMPARE_H */
