/* The model's cache of converted weights (runtime/weight_cache.c) through a
 * host backend that converts its first constant at prepare, as the CPU
 * backend packs its weights: sessions of one model share one conversion,
 * the last release frees it, a failed conversion holds nothing, and
 * sessions created on several threads at once agree. The same with the
 * weights in storage of the backend's own, as the CUDA backend keeps them
 * in device memory (runt_plan_weights_acquire_in). */
#if !defined(RUNT_BARE_METAL)
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"
#include "ref/ref_impl.h"
#include "rt_test.h"
#include "runt-backend.h"
#include "test_util.h"

typedef struct converter {
    atomic_int fills;
    int fail;                 /* the next fills fail                        */
    int64_t variant;          /* goes into the key                          */
    int in_storage;           /* acquire into `storage` below               */
    atomic_int held;          /* buffers the storage has made and not dropped */
} converter;

static converter conv;

typedef struct converted {
    const float *w;           /* what this session holds                    */
} converted;

/* The constant's values negated: bytes that depend on the source only. */
static runt_status negate_fill(void *ctx, void *dst, size_t bytes)
{
    const runt_plan_value *v = ctx;
    if (conv.fail)
        return runt_error_set(RUNT_E_BACKEND, "converter: refused to convert '%s'", v->name);
    atomic_fetch_add(&conv.fills, 1);
    for (size_t i = 0; i < bytes / sizeof(float); i++)
        ((float *)dst)[i] = -((const float *)v->data)[i];
    return RUNT_OK;
}

/* Storage of the backend's own: malloc, counted. */
static runt_status storage_make(void *ctx, size_t bytes, void **data)
{
    void *p = malloc(bytes ? bytes : 1);
    if (!p)
        return runt_error_set(RUNT_E_OOM, "converter: out of memory");
    runt_status s = negate_fill(ctx, p, bytes);
    if (s != RUNT_OK) {
        free(p);
        return s;
    }
    atomic_fetch_add(&conv.held, 1);
    *data = p;
    return RUNT_OK;
}

static void storage_drop(void *data)
{
    atomic_fetch_sub(&conv.held, 1);
    free(data);
}

static const runt_weight_storage storage = {storage_make, storage_drop};

static runt_status conv_probe(void *context, runt_device_info *info)
{
    (void)context;
    info->available = 1;
    info->host_memory = 1;
    return RUNT_OK;
}

static runt_status conv_prepare(void *context, const runt_plan *plan,
                                const runt_session_options *o, void **state)
{
    (void)context, (void)o;
    converted *c = calloc(1, sizeof *c);
    if (!c)
        return runt_error_set(RUNT_E_OOM, "converter: out of memory");
    for (int v = 0; v < plan->n_values; v++) {
        const runt_plan_value *pv = &plan->values[v];
        if (pv->storage != RUNT_STORE_CONSTANT)
            continue;
        runt_weight_key key = {pv->data, "converter", 7, {conv.variant}};
        const void *made = NULL;
        runt_status s =
            conv.in_storage
                ? runt_plan_weights_acquire_in(plan, &key, pv->nbytes, &storage, (void *)pv, &made)
                : runt_plan_weights_acquire(plan, &key, pv->nbytes, negate_fill, (void *)pv,
                                            &made);
        if (s != RUNT_OK) {
            free(c);
            return s;
        }
        c->w = made;
        break;
    }
    *state = c;
    return RUNT_OK;
}

static runt_status conv_execute(void *state, const runt_plan *plan, const runt_bindings *b)
{
    (void)state;
    for (int i = 0; i < plan->n_nodes; i++) {
        runt_status s = runt_ref_run_node(plan, i, b);
        if (s != RUNT_OK)
            return s;
    }
    return RUNT_OK;
}

static void conv_release(void *state, const runt_plan *plan)
{
    converted *c = state;
    runt_plan_weights_release(plan, c->w);
    free(c);
}

static void register_converter(void)
{
    static const runt_backend_i iface = {
        .name = "converter",
        .probe = conv_probe,
        .prepare = conv_prepare,
        .execute = conv_execute,
        .release = conv_release,
    };
    runt_device_info d;
    if (!rt_backend_lookup("converter", &d))
        RT_ASSERT(runt_backend_register(&iface, NULL) == RUNT_OK, "%s", runt_last_error());
}

static float weights[12] = {1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12};

static runt_model *linear_model(const runt_allocator *a)
{
    runt_builder *b;
    runt_value_id x, y;
    int64_t dims[2] = {RUNT_DIM_BATCH, 4};
    RT_ASSERT(runt_builder_create(a, &b) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_linear(b, x, 4, 3, weights, NULL, &y) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_output(b, y, "y") == RUNT_OK, "%s", runt_last_error());
    runt_model *m;
    RT_ASSERT(runt_builder_finish(b, &m) == RUNT_OK, "%s", runt_last_error());
    return m;
}

/* The model's converted weights are `buffers` of the 12 weights each. */
static void expect_converted(const runt_model *m, int buffers)
{
    size_t bytes = 1;
    int n = -1;
    RT_ASSERT(runt_model_converted_weights(m, &bytes, &n) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(n == buffers && bytes == (size_t)buffers * sizeof weights,
              "converted weights: %d buffers of %zu bytes, expected %d of %zu", n, bytes,
              buffers, (size_t)buffers * sizeof weights);
}

static runt_session *session(const runt_model *m, int64_t batch)
{
    runt_session_options o = runt_session_options_default();
    o.backend = "converter";
    o.batch = batch;
    runt_session *s = NULL;
    runt_status st = runt_session_create(m, &o, &s);
    return st == RUNT_OK ? s : NULL;
}

RT_TEST(weight_cache, sessions_of_a_model_share_one_conversion)
{
    register_converter();
    rt_counting counts = {0, 0, -1};
    runt_allocator a = {rt_counting_alloc, rt_counting_free, &counts};
    runt_model *m = linear_model(&a);
    long model_allocs = counts.allocs, model_frees = counts.frees;
    atomic_store(&conv.fills, 0);
    conv.fail = 0;
    conv.variant = 0;

    runt_session *s1 = session(m, 1);
    RT_ASSERT(s1, "%s", runt_last_error());
    long after_first = counts.allocs;
    RT_ASSERT(atomic_load(&conv.fills) == 1 && after_first > model_allocs,
              "the first session converts, from the model's allocator (%ld allocations)",
              after_first - model_allocs);
    runt_session *s2 = session(m, 3); /* another batch: the same conversion */
    RT_ASSERT(s2, "%s", runt_last_error());
    RT_ASSERT(atomic_load(&conv.fills) == 1 && counts.allocs == after_first,
              "the second session shares it: %d fills, %ld more allocations",
              atomic_load(&conv.fills), counts.allocs - after_first);
    expect_converted(m, 1);
    conv.variant = 1; /* another key: its own conversion */
    runt_session *s3 = session(m, 1);
    RT_ASSERT(s3 && atomic_load(&conv.fills) == 2, "a different key converts again");
    expect_converted(m, 2);
    runt_session_free(s3);
    conv.variant = 0;

    long frees = counts.frees;
    runt_session_free(s1);
    RT_ASSERT(counts.frees == frees, "s2 still holds the conversion");
    runt_session_free(s2);
    expect_converted(m, 0);
    RT_ASSERT(counts.allocs - model_allocs == counts.frees - model_frees,
              "the last release freed it: %ld allocations, %ld frees since the model",
              counts.allocs - model_allocs, counts.frees - model_frees);
    runt_session *s4 = session(m, 1);
    RT_ASSERT(s4 && atomic_load(&conv.fills) == 3, "after the last release it is made again");
    runt_session_free(s4);

    conv.fail = 1;
    long before = counts.allocs - counts.frees;
    RT_ASSERT(!session(m, 1), "a failed conversion fails the session");
    RT_ASSERT(strstr(runt_last_error(), "refused to convert"), "with its message: %s",
              runt_last_error());
    RT_ASSERT(counts.allocs - counts.frees == before, "and holds nothing");
    conv.fail = 0;
    runt_model_free(m);
    RT_ASSERT(counts.allocs == counts.frees, "all freed: %ld allocations, %ld frees",
              counts.allocs, counts.frees);
}

RT_TEST(weight_cache, weights_in_the_backends_own_storage_are_shared_too)
{
    register_converter();
    runt_model *m = linear_model(NULL);
    atomic_store(&conv.fills, 0);
    atomic_store(&conv.held, 0);
    conv.fail = 0;
    conv.variant = 0;
    conv.in_storage = 1;
    runt_session *s1 = session(m, 2), *s2 = session(m, 1);
    RT_ASSERT(s1 && s2, "%s", runt_last_error());
    RT_ASSERT(atomic_load(&conv.fills) == 1 && atomic_load(&conv.held) == 1,
              "two sessions, one buffer: %d made, %d held", atomic_load(&conv.fills),
              atomic_load(&conv.held));
    expect_converted(m, 1);
    float x[4] = {1, 2, 3, 4}, y[3], expect[3];
    int64_t xd[2] = {1, 4}, yd[2] = {1, 3};
    runt_tensor tx = rt_tensor_f32(x, 2, xd), ty = rt_tensor_f32(y, 2, yd);
    RT_ASSERT(runt_session_run(s2, &tx, 1, &ty, 1) == RUNT_OK, "%s", runt_last_error());
    memcpy(expect, y, sizeof y);
    runt_session_free(s1);
    RT_ASSERT(atomic_load(&conv.held) == 1, "the second session still holds it");
    RT_ASSERT(runt_session_run(s2, &tx, 1, &ty, 1) == RUNT_OK &&
                  memcmp(y, expect, sizeof y) == 0,
              "and runs as before");
    runt_session_free(s2);
    RT_ASSERT(atomic_load(&conv.held) == 0, "the last release drops it through the storage");
    expect_converted(m, 0);

    conv.fail = 1;
    RT_ASSERT(!session(m, 1) && strstr(runt_last_error(), "refused to convert"),
              "a failed make fails the session with its message: %s", runt_last_error());
    RT_ASSERT(atomic_load(&conv.held) == 0, "and holds nothing");
    conv.fail = 0;

    runt_session *kept = session(m, 1);
    RT_ASSERT(kept && atomic_load(&conv.held) == 1, "%s", runt_last_error());
    runt_session_free(kept);
    conv.in_storage = 0;
    runt_model_free(m);
    RT_ASSERT(atomic_load(&conv.held) == 0, "nothing left in the storage");
}

static runt_status make_nothing(void *ctx, size_t bytes, void **data)
{
    (void)ctx, (void)bytes, (void)data;
    return RUNT_OK; /* a broken storage: success without memory */
}

RT_TEST(weight_cache, bad_arguments_are_refused)
{
    runt_weight_key key = {weights, "converter", 7, {0}};
    const void *out = weights;
    RT_ASSERT(runt_plan_weights_acquire(NULL, &key, 4, negate_fill, NULL, &out) ==
                  RUNT_E_INVALID_ARG && strstr(runt_last_error(), "plan"),
              "NULL plan: %s", runt_last_error());
    runt_plan_weights_release(NULL, weights); /* ignored */
    RT_ASSERT(runt_model_converted_weights(NULL, NULL, NULL) == RUNT_E_INVALID_ARG &&
                  strstr(runt_last_error(), "model is NULL"),
              "NULL model: %s", runt_last_error());

    runt_model *m = linear_model(NULL);
    runt_plan *plan = NULL;
    runt_plan_config c = {0};
    c.batch = 1;
    RT_ASSERT(runt_plan_create(m, &c, NULL, &plan) == RUNT_OK, "%s", runt_last_error());
    runt_weight_storage half = {storage_make, NULL}, broken = {make_nothing, storage_drop};
    RT_ASSERT(runt_plan_weights_acquire_in(plan, &key, 4, NULL, NULL, &out) ==
                      RUNT_E_INVALID_ARG &&
                  strstr(runt_last_error(), "storage is NULL"),
              "NULL storage: %s", runt_last_error());
    RT_ASSERT(runt_plan_weights_acquire_in(plan, &key, 4, &half, NULL, &out) ==
                      RUNT_E_INVALID_ARG &&
                  strstr(runt_last_error(), "storage->drop"),
              "storage without drop: %s", runt_last_error());
    RT_ASSERT(runt_plan_weights_acquire_in(plan, &key, 4, &broken, NULL, &out) ==
                      RUNT_E_BACKEND &&
                  strstr(runt_last_error(), "gave no memory"),
              "a make that gives no memory: %s", runt_last_error());
    runt_plan_destroy(plan, NULL);
    runt_model_free(m);
}

typedef struct creator {
    const runt_model *model;
    int ok;
    float y[2 * 3];
} creator;

static void *create_and_run(void *arg)
{
    creator *c = arg;
    float x[8] = {1, 2, 3, 4, -1, -2, -3, -4};
    int64_t xd[2] = {2, 4}, yd[2] = {2, 3};
    c->ok = 1;
    for (int i = 0; i < 50 && c->ok; i++) {
        runt_session *s = session(c->model, 2);
        runt_tensor tx = rt_tensor_f32(x, 2, xd), ty = rt_tensor_f32(c->y, 2, yd);
        c->ok = s && runt_session_run(s, &tx, 1, &ty, 1) == RUNT_OK;
        runt_session_free(s);
    }
    return NULL;
}

RT_TEST(weight_cache, sessions_created_on_several_threads_at_once)
{
    register_converter();
    for (int in_storage = 0; in_storage <= 1; in_storage++) {
        runt_model *m = linear_model(NULL); /* leaks are ASan's and valgrind's to find */
        conv.fail = 0;
        conv.variant = 0;
        conv.in_storage = in_storage;
        atomic_store(&conv.fills, 0);
        atomic_store(&conv.held, 0);
        enum { THREADS = 4 };
        creator c[THREADS];
        pthread_t t[THREADS];
        for (int i = 0; i < THREADS; i++) {
            memset(&c[i], 0, sizeof c[i]);
            c[i].model = m;
            RT_ASSERT(pthread_create(&t[i], NULL, create_and_run, &c[i]) == 0, "pthread_create");
        }
        for (int i = 0; i < THREADS; i++)
            pthread_join(t[i], NULL);
        for (int i = 0; i < THREADS; i++) {
            RT_ASSERT(c[i].ok, "thread %d: %s", i, runt_last_error());
            RT_ASSERT(memcmp(c[i].y, c[0].y, sizeof c[0].y) == 0, "thread %d's output", i);
        }
        RT_ASSERT(atomic_load(&conv.fills) >= 1 && atomic_load(&conv.fills) <= THREADS * 50,
                  "%d conversions", atomic_load(&conv.fills));
        RT_ASSERT(atomic_load(&conv.held) == 0, "storage %d: %d buffers not dropped", in_storage,
                  atomic_load(&conv.held));
        runt_model_free(m);
    }
    conv.in_storage = 0;
}
#endif
