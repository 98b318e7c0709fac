/*
 * Sessions and threads (run under ThreadSanitizer in CI):
 *   - a session used by two threads at once refuses the second run with
 *     RUNT_E_BUSY: once deterministically (a backend that holds its execute
 *     until told), then under a stress of two threads on one session, where
 *     every run that returned RUNT_OK must have the right outputs;
 *   - N threads with their own sessions of one shared model, on every host
 *     backend of the build, agree with a serial run.
 */
#if !defined(RUNT_BARE_METAL)
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref_impl.h"
#include "rt_test.h"
#include "runt-backend.h"
#include "runt.h"
#include "test_util.h"

#define IN_F 24
#define OUT_F 16
#define BATCH 3

/* x [BATCH, IN_F] -> Linear -> Tanh -> Linear: small, deterministic. */
static runt_model *busy_model(void)
{
    rt_rng r = rt_rng_make(71);
    float w1[IN_F * OUT_F], b1[OUT_F], w2[OUT_F * OUT_F], b2[OUT_F];
    rt_fill_uniform(&r, w1, IN_F * OUT_F, -0.3f, 0.3f);
    rt_fill_uniform(&r, b1, OUT_F, -1, 1);
    rt_fill_uniform(&r, w2, OUT_F * OUT_F, -0.3f, 0.3f);
    rt_fill_uniform(&r, b2, OUT_F, -1, 1);
    runt_builder *b = NULL;
    runt_value_id x, y;
    int64_t dims[2] = {RUNT_DIM_BATCH, IN_F};
    runt_model *m = NULL;
    RT_ASSERT(runt_builder_create(NULL, &b) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_linear(b, x, IN_F, OUT_F, w1, b1, &y) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_unary(b, RUNT_OP_TANH, y, NULL, &y) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_linear(b, y, OUT_F, OUT_F, w2, b2, &y) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_output(b, y, "y") == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_finish(b, &m) == RUNT_OK, "%s", runt_last_error());
    return m;
}

static runt_session *busy_session(const runt_model *m, const char *backend)
{
    runt_session_options o = runt_session_options_default();
    o.backend = backend;
    o.batch = BATCH;
    o.threads = 1;
    runt_session *s = NULL;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s session: %s", backend,
              runt_last_error());
    return s;
}

static runt_status run_one(runt_session *s, const float *x, float *y)
{
    int64_t xd[2] = {BATCH, IN_F}, yd[2] = {BATCH, OUT_F};
    runt_tensor tx = rt_tensor_f32((float *)x, 2, xd), ty = rt_tensor_f32(y, 2, yd);
    return runt_session_run(s, &tx, 1, &ty, 1);
}

/* ---- a backend whose execute waits at a gate ---------------------------- */

typedef struct gate {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int entered, open;
} gate;

static gate the_gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 1};

static runt_status gate_prepare(void *ctx, const runt_plan *plan, const runt_session_options *o,
                                void **state)
{
    (void)plan, (void)o;
    *state = ctx;
    return RUNT_OK;
}

static runt_status gate_execute(void *state, const runt_plan *plan, const runt_bindings *b)
{
    gate *g = state;
    pthread_mutex_lock(&g->mu);
    g->entered++;
    pthread_cond_broadcast(&g->cv);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    for (int i = 0; i < plan->n_nodes; i++) {
        runt_status s = runt_ref_run_node(plan, i, b);
        if (s != RUNT_OK)
            return s;
    }
    return RUNT_OK;
}

static const runt_backend_i gate_backend = {
    .name = "gate",
    .prepare = gate_prepare,
    .execute = gate_execute,
};

typedef struct gated_run {
    runt_session *s;
    const float *x;
    float y[BATCH * OUT_F];
    runt_status status;
} gated_run;

static void *gated_worker(void *arg)
{
    gated_run *r = arg;
    r->status = run_one(r->s, r->x, r->y);
    return NULL;
}

RT_TEST(session_busy, second_thread_gets_busy_while_a_run_is_in_progress)
{
    runt_status reg = runt_backend_register(&gate_backend, &the_gate);
    RT_ASSERT(reg == RUNT_OK || strstr(runt_last_error(), "registered already"), "register: %s",
              runt_last_error());
    runt_model *m = busy_model();
    runt_session *s = busy_session(m, "gate"), *ref = busy_session(m, "ref");
    rt_rng r = rt_rng_make(72);
    float x[BATCH * IN_F], want[BATCH * OUT_F], y[BATCH * OUT_F];
    rt_fill_uniform(&r, x, BATCH * IN_F, -1, 1);
    RT_ASSERT(run_one(ref, x, want) == RUNT_OK, "ref: %s", runt_last_error());

    pthread_mutex_lock(&the_gate.mu);
    the_gate.open = 0;
    the_gate.entered = 0;
    pthread_mutex_unlock(&the_gate.mu);
    gated_run first = {s, x, {0}, RUNT_E_BACKEND};
    pthread_t t;
    RT_ASSERT(pthread_create(&t, NULL, gated_worker, &first) == 0, "pthread_create");
    pthread_mutex_lock(&the_gate.mu);
    while (!the_gate.entered)
        pthread_cond_wait(&the_gate.cv, &the_gate.mu);
    pthread_mutex_unlock(&the_gate.mu);

    /* The first run is inside execute now: this one must be refused. */
    memset(y, 0, sizeof y);
    runt_status st = run_one(s, x, y);
    RT_ASSERT(st == RUNT_E_BUSY, "a run during another returned %s", runt_status_name(st));
    RT_ASSERT(strstr(runt_last_error(), "another thread") != NULL, "message: %s",
              runt_last_error());
    for (int i = 0; i < BATCH * OUT_F; i++)
        RT_ASSERT(y[i] == 0.0f, "a refused run wrote output %d", i);

    pthread_mutex_lock(&the_gate.mu);
    the_gate.open = 1;
    pthread_cond_broadcast(&the_gate.cv);
    pthread_mutex_unlock(&the_gate.mu);
    pthread_join(t, NULL);
    RT_ASSERT(first.status == RUNT_OK, "the first run: %s", runt_status_name(first.status));
    RT_ASSERT(memcmp(first.y, want, sizeof want) == 0, "the first run's output is wrong");

    /* Once the run is over the session is free again. */
    RT_ASSERT(run_one(s, x, y) == RUNT_OK, "after the run: %s", runt_last_error());
    RT_ASSERT(memcmp(y, want, sizeof want) == 0, "the later run's output is wrong");
    runt_session_free(s);
    runt_session_free(ref);
    runt_model_free(m);
}

/* ---- two threads, one session: misuse under stress ---------------------- */

#define STRESS_RUNS 2000

typedef struct stress {
    runt_session *s;
    float x[BATCH * IN_F], want[BATCH * OUT_F], y[BATCH * OUT_F];
    long ok, busy, wrong, other;
} stress;

/* Each thread goes on until STRESS_RUNS of its runs succeeded (a refused run
 * returns at once, so counting attempts would let one thread's refusals all
 * fall inside the other's single run), or a bound of attempts says the flag
 * stayed set. */
static void *stress_worker(void *arg)
{
    stress *w = arg;
    for (long attempt = 0; w->ok < STRESS_RUNS && attempt < 1000L * STRESS_RUNS; attempt++) {
        runt_status st = run_one(w->s, w->x, w->y);
        if (st == RUNT_OK)
            w->ok++, w->wrong += memcmp(w->y, w->want, sizeof w->want) != 0;
        else if (st == RUNT_E_BUSY)
            w->busy++, sched_yield();
        else
            w->other++;
    }
    return NULL;
}

static void two_threads_one_session(const char *backend)
{
    runt_model *m = busy_model();
    runt_session *s = busy_session(m, backend), *ref = busy_session(m, backend);
    stress w[2];
    memset(w, 0, sizeof w);
    rt_rng r = rt_rng_make(73);
    for (int k = 0; k < 2; k++) {
        w[k].s = s;
        rt_fill_uniform(&r, w[k].x, BATCH * IN_F, -1, 1);
        RT_ASSERT(run_one(ref, w[k].x, w[k].want) == RUNT_OK, "%s", runt_last_error());
    }
    pthread_t t[2];
    for (int k = 0; k < 2; k++)
        RT_ASSERT(pthread_create(&t[k], NULL, stress_worker, &w[k]) == 0, "pthread_create");
    for (int k = 0; k < 2; k++)
        pthread_join(t[k], NULL);
    for (int k = 0; k < 2; k++) {
        RT_ASSERT(w[k].other == 0, "%s thread %d: %ld runs failed with another status", backend,
                  k, w[k].other);
        RT_ASSERT(w[k].wrong == 0, "%s thread %d: %ld of %ld RUNT_OK runs had wrong outputs",
                  backend, k, w[k].wrong, w[k].ok);
        RT_ASSERT(w[k].ok == STRESS_RUNS, "%s thread %d: %ld runs succeeded, %ld refused busy",
                  backend, k, w[k].ok, w[k].busy);
    }
    printf("session_busy: %s, two threads on one session: %d runs each, %ld and %ld refused "
           "busy\n", backend, STRESS_RUNS, w[0].busy, w[1].busy);
    runt_session_free(s);
    runt_session_free(ref);
    runt_model_free(m);
}

RT_TEST(session_busy, two_threads_on_one_ref_session_never_return_wrong_outputs)
{
    two_threads_one_session("ref");
}

RT_TEST(session_busy, two_threads_on_one_cpu_session_never_return_wrong_outputs)
{
    if (!rt_backend_available("cpu")) {
        RT_SKIP("the cpu backend is not in this build");
        return;
    }
    two_threads_one_session("cpu");
}

/* ---- N threads, own sessions, one model ---------------------------------- */

#define OWN_THREADS 4
#define OWN_RUNS 500

typedef struct own {
    const runt_model *m;
    const char *backend;
    float x[BATCH * IN_F], want[BATCH * OUT_F], y[BATCH * OUT_F];
    long bad;
    runt_status create;
} own;

static void *own_worker(void *arg)
{
    own *w = arg;
    runt_session_options o = runt_session_options_default();
    o.backend = w->backend;
    o.batch = BATCH;
    o.threads = 1;
    runt_session *s = NULL;
    if ((w->create = runt_session_create(w->m, &o, &s)) != RUNT_OK)
        return NULL;
    for (int i = 0; i < OWN_RUNS; i++)
        w->bad += run_one(s, w->x, w->y) != RUNT_OK || memcmp(w->y, w->want, sizeof w->y) != 0;
    runt_session_free(s);
    return NULL;
}

static void own_sessions(const char *backend)
{
    runt_model *m = busy_model();
    runt_session *serial = busy_session(m, backend);
    own w[OWN_THREADS];
    memset(w, 0, sizeof w);
    rt_rng r = rt_rng_make(74);
    for (int k = 0; k < OWN_THREADS; k++) {
        w[k].m = m;
        w[k].backend = backend;
        rt_fill_uniform(&r, w[k].x, BATCH * IN_F, -1, 1);
        RT_ASSERT(run_one(serial, w[k].x, w[k].want) == RUNT_OK, "%s", runt_last_error());
    }
    pthread_t t[OWN_THREADS];
    for (int k = 0; k < OWN_THREADS; k++)
        RT_ASSERT(pthread_create(&t[k], NULL, own_worker, &w[k]) == 0, "pthread_create");
    for (int k = 0; k < OWN_THREADS; k++)
        pthread_join(t[k], NULL);
    for (int k = 0; k < OWN_THREADS; k++) {
        RT_ASSERT(w[k].create == RUNT_OK, "%s thread %d: create failed", backend, k);
        RT_ASSERT(w[k].bad == 0, "%s thread %d: %ld of %d runs failed or differed", backend, k,
                  w[k].bad, OWN_RUNS);
    }
    runt_session_free(serial);
    runt_model_free(m);
}

RT_TEST(session_busy, threads_with_own_sessions_of_one_model_ref)
{
    own_sessions("ref");
}

RT_TEST(session_busy, threads_with_own_sessions_of_one_model_cpu)
{
    if (!rt_backend_available("cpu")) {
        RT_SKIP("the cpu backend is not in this build");
        return;
    }
    own_sessions("cpu");
}

#endif /* !RUNT_BARE_METAL */
