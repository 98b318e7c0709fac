/*
 * The CPU backend's thread pool (cpu_pool.h): every unit of a loop runs
 * exactly once whatever the threads, units and grain; no two chunks running
 * at the same time share a slot, and slots stay below the thread count; a
 * loop inside a loop and loops from several threads at once run to the end
 * (inline, never waiting on each other); and sessions with different thread
 * counts on several threads, on the BLAS path that now runs under the pool,
 * give the reference backend's outputs. Also run under ThreadSanitizer
 * (scripts/ci-reliability).
 */
#if !defined(RUNT_BARE_METAL)
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu_pool.h"
#include "rt_test.h"
#include "runt-cpu.h"
#include "runt.h"
#include "test_models.h"
#include "test_util.h"

#define MAX_UNITS 5000
#define MAX_THREADS 8

typedef struct coverage {
    atomic_int runs[MAX_UNITS];
    atomic_int slot_busy[MAX_THREADS];
    atomic_int slot_clash, slot_out_of_range;
    int threads;
} coverage;

static void count_units(void *ctx, int64_t lo, int64_t hi, int slot)
{
    coverage *c = ctx;
    if (slot < 0 || slot >= c->threads) {
        atomic_fetch_add(&c->slot_out_of_range, 1);
        return;
    }
    if (atomic_exchange(&c->slot_busy[slot], 1))
        atomic_fetch_add(&c->slot_clash, 1);
    for (int64_t u = lo; u < hi; u++)
        atomic_fetch_add(&c->runs[u], 1);
    atomic_store(&c->slot_busy[slot], 0);
}

/* Runs one loop and checks every unit ran once and the slots. */
static void check_loop(int threads, int64_t units, int64_t grain)
{
    static coverage c; /* large; tests run one at a time */
    memset(&c, 0, sizeof c);
    c.threads = threads > 0 ? threads : 1;
    runt_cpu_parallel(threads, units, grain, count_units, &c);
    for (int64_t u = 0; u < units; u++)
        RT_ASSERT(atomic_load(&c.runs[u]) == 1,
                  "threads %d, units %lld, grain %lld: unit %lld ran %d times", threads,
                  (long long)units, (long long)grain, (long long)u, atomic_load(&c.runs[u]));
    RT_ASSERT(atomic_load(&c.slot_clash) == 0, "threads %d, units %lld: two chunks shared a slot",
              threads, (long long)units);
    RT_ASSERT(atomic_load(&c.slot_out_of_range) == 0,
              "threads %d, units %lld: a slot at or above the thread count", threads,
              (long long)units);
}

RT_TEST(cpu_pool, every_unit_runs_once)
{
    static const int threads[] = {0, 1, 2, 3, 4, 8};
    static const int64_t units[] = {0, 1, 2, 3, 7, 64, 1000, MAX_UNITS};
    static const int64_t grains[] = {0, 1, 3, 64, 10000};
    for (size_t t = 0; t < sizeof threads / sizeof *threads; t++)
        for (size_t u = 0; u < sizeof units / sizeof *units; u++)
            for (size_t g = 0; g < sizeof grains / sizeof *grains; g++)
                check_loop(threads[t], units[u], grains[g]);
    RT_ASSERT(runt_cpu_pool_workers() >= 1, "a loop on 8 threads started workers");
}

/* Many short loops back to back: workers that wake late, or join a loop as
 * it closes, must neither run a chunk twice nor touch the next loop. */
RT_TEST(cpu_pool, back_to_back_loops)
{
    for (int i = 0; i < 3000; i++)
        check_loop(2 + i % 3, 2 + i % 17, 1);
}

/* A chunk that starts a loop of its own: the inner loop runs inline. */
typedef struct nested {
    atomic_int inner_runs[64][64];
} nested;

typedef struct inner_ctx {
    nested *n;
    int64_t row;
} inner_ctx;

static void inner_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    inner_ctx *ic = ctx;
    (void)slot;
    for (int64_t u = lo; u < hi; u++)
        atomic_fetch_add(&ic->n->inner_runs[ic->row][u], 1);
}

static void outer_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    (void)slot;
    for (int64_t row = lo; row < hi; row++) {
        inner_ctx ic = {ctx, row};
        runt_cpu_parallel(4, 64, 1, inner_body, &ic);
    }
}

RT_TEST(cpu_pool, nested_loops_run_inline)
{
    static nested n;
    memset(&n, 0, sizeof n);
    runt_cpu_parallel(4, 64, 1, outer_body, &n);
    for (int r = 0; r < 64; r++)
        for (int u = 0; u < 64; u++)
            RT_ASSERT(atomic_load(&n.inner_runs[r][u]) == 1, "inner unit (%d, %d) ran %d times",
                      r, u, atomic_load(&n.inner_runs[r][u]));
}

/* Loops from several threads at once: one owns the pool, the others run
 * theirs inline; each sums its own range correctly. */
typedef struct summer {
    int64_t units;
    atomic_llong sum;
    int ok;
} summer;

static void sum_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    summer *s = ctx;
    long long part = 0;
    (void)slot;
    for (int64_t u = lo; u < hi; u++)
        part += u;
    atomic_fetch_add(&s->sum, part);
}

static void *sum_many(void *arg)
{
    summer *s = arg;
    s->ok = 1;
    for (int i = 0; i < 500 && s->ok; i++) {
        atomic_store(&s->sum, 0);
        runt_cpu_parallel(3, s->units, 7, sum_body, s);
        s->ok = atomic_load(&s->sum) == (long long)s->units * (s->units - 1) / 2;
    }
    return NULL;
}

RT_TEST(cpu_pool, loops_from_several_threads)
{
    summer s[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        s[i].units = 100 + 37 * i;
        atomic_init(&s[i].sum, 0);
        RT_ASSERT(pthread_create(&t[i], NULL, sum_many, &s[i]) == 0, "pthread_create");
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++)
        RT_ASSERT(s[i].ok, "thread %d: a loop's sum was wrong", i);
}

/* Sessions with different thread counts on two threads at once, at the
 * "c" tier where f32 GEMMs go to OpenBLAS (single-threaded, split over
 * the pool), against the reference backend. */
#define MLP_BATCH 64

typedef struct session_worker {
    const runt_model *model;
    int threads;
    const float *x;
    const float *expected;
    int64_t n_out;
    int ok;
    char error[256];
} session_worker;

static void *run_session(void *arg)
{
    session_worker *w = arg;
    runt_session_options o = runt_session_options_default();
    o.backend = "cpu";
    o.batch = MLP_BATCH;
    o.threads = w->threads;
    runt_cpu_options cpu = runt_cpu_options_default();
    cpu.tier = "c";
    o.backend_options = &cpu.base;
    runt_session *s = NULL;
    if (runt_session_create(w->model, &o, &s) != RUNT_OK) {
        snprintf(w->error, sizeof w->error, "create: %s", runt_last_error());
        return NULL;
    }
    runt_tensor in, out;
    runt_session_input_desc(s, 0, &in);
    runt_session_output_desc(s, 0, &out);
    float *y = malloc((size_t)w->n_out * sizeof(float));
    in.data = (void *)w->x;
    out.data = y;
    w->ok = y != NULL;
    for (int i = 0; i < 40 && w->ok; i++) {
        if (runt_session_run(s, &in, 1, &out, 1) != RUNT_OK) {
            snprintf(w->error, sizeof w->error, "run: %s", runt_last_error());
            w->ok = 0;
            break;
        }
        for (int64_t j = 0; j < w->n_out; j++)
            if (!(fabsf(y[j] - w->expected[j]) <= 1e-4f + 1e-4f * fabsf(w->expected[j]))) {
                snprintf(w->error, sizeof w->error, "run %d, output %lld: %g, reference %g", i,
                         (long long)j, y[j], w->expected[j]);
                w->ok = 0;
                break;
            }
    }
    free(y);
    runt_session_free(s);
    return NULL;
}

RT_TEST(cpu_pool, sessions_with_different_thread_counts)
{
    if (!rt_backend_available("cpu"))
        RT_SKIP("no cpu backend in this build");
    static const int64_t widths[4] = {256, 300, 128, 10};
    runt_model *m = rt_mlp3(NULL, widths, RUNT_OP_RELU, NULL, 9);
    RT_ASSERT(m, "model: %s", runt_last_error());
    int64_t n_in = MLP_BATCH * widths[0], n_out = MLP_BATCH * widths[3];
    float *x = malloc((size_t)n_in * sizeof(float)), *ref = malloc((size_t)n_out * sizeof(float));
    RT_ASSERT(x && ref, "out of memory");
    rt_rng r = rt_rng_make(17);
    rt_fill_uniform(&r, x, (size_t)n_in, -1.0f, 1.0f);
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    o.batch = MLP_BATCH;
    runt_session *s = NULL;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "ref: %s", runt_last_error());
    runt_tensor in, out;
    runt_session_input_desc(s, 0, &in);
    runt_session_output_desc(s, 0, &out);
    in.data = x;
    out.data = ref;
    RT_ASSERT(runt_session_run(s, &in, 1, &out, 1) == RUNT_OK, "ref run: %s", runt_last_error());
    runt_session_free(s);

    static const int counts[3] = {1, 2, 3};
    session_worker w[3];
    pthread_t t[3];
    for (int i = 0; i < 3; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i] = (session_worker){m, counts[i], x, ref, n_out, 0, ""};
        RT_ASSERT(pthread_create(&t[i], NULL, run_session, &w[i]) == 0, "pthread_create");
    }
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 3; i++)
        RT_ASSERT(w[i].ok, "session with %d threads: %s", counts[i], w[i].error);
    free(x);
    free(ref);
    runt_model_free(m);
}
#endif
