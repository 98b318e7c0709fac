/* The model's cache of converted weights (weight_cache.h says why). */
#include "weight_cache.h"

#include <string.h>

#include "alloc.h"
#include "error.h"

typedef struct runt_weight_entry {
    runt_weight_key key;
    size_t bytes;
    int refs;
    void *data;
    const runt_weight_storage *storage; /* NULL: the model's allocator */
    struct runt_weight_entry *next;
} runt_weight_entry;

#if !defined(RUNT_BARE_METAL) && !defined(__STDC_NO_ATOMICS__)
/* Held only while the list is read or relinked (never while converting),
 * so a spin is the whole wait. */
static void lock(runt_weight_cache *c)
{
    int expected = 0;
    while (!atomic_compare_exchange_weak_explicit(&c->lock, &expected, 1, memory_order_acquire,
                                                  memory_order_relaxed))
        expected = 0;
}
static void unlock(runt_weight_cache *c)
{
    atomic_store_explicit(&c->lock, 0, memory_order_release);
}
#else
static void lock(runt_weight_cache *c) { (void)c; }
static void unlock(runt_weight_cache *c) { (void)c; }
#endif

static int same_key(const runt_weight_key *a, const runt_weight_key *b, size_t a_bytes,
                    size_t b_bytes)
{
    return a->source == b->source && a->layout == b->layout && a_bytes == b_bytes &&
           strcmp(a->backend, b->backend) == 0 &&
           memcmp(a->params, b->params, sizeof a->params) == 0;
}

/* The entry for key with one more reference, or NULL. Under the lock. */
static runt_weight_entry *take(runt_weight_cache *c, const runt_weight_key *key, size_t bytes)
{
    for (runt_weight_entry *e = c->entries; e; e = e->next)
        if (same_key(&e->key, key, e->bytes, bytes)) {
            e->refs++;
            return e;
        }
    return NULL;
}

/* Weights in host memory from the model's allocator, filled by fill: the
 * storage runt_plan_weights_acquire uses. */
typedef struct host_job {
    const runt_allocator *allocator;
    runt_weight_fill_fn fill;
    void *ctx;
} host_job;

static runt_status make_in_host(const host_job *job, size_t bytes, void **data)
{
    void *p = runt_alloc(job->allocator, bytes ? bytes : 1);
    if (!p)
        return runt_error_set(RUNT_E_OOM, "out of memory for %zu bytes of converted weights",
                              bytes);
    runt_status s = job->fill(job->ctx, p, bytes);
    if (s != RUNT_OK) {
        runt_free(job->allocator, p);
        return s;
    }
    *data = p;
    return RUNT_OK;
}

static void drop(const runt_weight_cache *c, runt_weight_entry *e)
{
    if (e->storage)
        e->storage->drop(e->data);
    else
        runt_free(c->allocator, e->data);
    runt_free(c->allocator, e);
}

/* The shared entry for key, made (by storage, or in host memory by
 * host_job) when no session holds one. */
static runt_status acquire(const runt_plan *plan, const runt_weight_key *key, size_t bytes,
                           const runt_weight_storage *storage, void *storage_ctx,
                           const host_job *host, const void **out)
{
    runt_weight_cache *c = plan->weights;
    lock(c);
    runt_weight_entry *e = take(c, key, bytes);
    unlock(c);
    if (e) {
        *out = e->data;
        return RUNT_OK;
    }
    /* Made outside the lock; another thread may make the same meanwhile. */
    runt_weight_entry *made = runt_alloc_zeroed(c->allocator, 1, sizeof *made);
    if (!made)
        return runt_error_set(RUNT_E_OOM, "out of memory for a weight cache entry (%s)",
                              key->backend);
    runt_status s = storage ? storage->make(storage_ctx, bytes, &made->data)
                            : make_in_host(host, bytes, &made->data);
    if (s == RUNT_OK && !made->data) /* release finds an entry by its pointer */
        s = runt_error_set(RUNT_E_BACKEND, "%s: storage->make gave no memory for %zu bytes",
                           key->backend, bytes);
    if (s != RUNT_OK) {
        runt_free(c->allocator, made);
        return s;
    }
    made->key = *key;
    made->bytes = bytes;
    made->refs = 1;
    made->storage = storage;
    lock(c);
    e = take(c, key, bytes);
    if (!e) {
        made->next = c->entries;
        c->entries = made;
    }
    unlock(c);
    if (e) { /* the other thread's copy won */
        drop(c, made);
        *out = e->data;
        return RUNT_OK;
    }
    *out = made->data;
    return RUNT_OK;
}

/* The arguments every acquire needs, or RUNT_E_INVALID_ARG naming the
 * first missing one. */
static runt_status check_arguments(const char *fn, const runt_plan *plan,
                                   const runt_weight_key *key, int have_maker,
                                   const char *maker_name, const void **out)
{
    if (plan && plan->weights && key && key->source && key->backend && have_maker && out) {
        *out = NULL;
        return RUNT_OK;
    }
    return runt_error_set(RUNT_E_INVALID_ARG, "%s: %s is NULL", fn,
                          !plan ? "plan" : !plan->weights ? "plan->weights"
                          : !key ? "key" : !key->source ? "key->source"
                          : !key->backend ? "key->backend" : !have_maker ? maker_name : "out");
}

runt_status runt_plan_weights_acquire(const runt_plan *plan, const runt_weight_key *key,
                                      size_t bytes, runt_weight_fill_fn fill, void *ctx,
                                      const void **out)
{
    runt_status s = check_arguments("runt_plan_weights_acquire", plan, key, fill != NULL, "fill",
                                    out);
    if (s != RUNT_OK)
        return s;
    host_job host = {plan->weights->allocator, fill, ctx};
    return acquire(plan, key, bytes, NULL, NULL, &host, out);
}

runt_status runt_plan_weights_acquire_in(const runt_plan *plan, const runt_weight_key *key,
                                         size_t bytes, const runt_weight_storage *storage,
                                         void *ctx, const void **out)
{
    int whole = storage && storage->make && storage->drop;
    runt_status s = check_arguments("runt_plan_weights_acquire_in", plan, key, whole,
                                    !storage ? "storage" : !storage->make ? "storage->make"
                                                                          : "storage->drop",
                                    out);
    if (s != RUNT_OK)
        return s;
    return acquire(plan, key, bytes, storage, ctx, NULL, out);
}

void runt_plan_weights_release(const runt_plan *plan, const void *weights)
{
    if (!plan || !plan->weights || !weights)
        return;
    runt_weight_cache *c = plan->weights;
    runt_weight_entry *gone = NULL;
    lock(c);
    for (runt_weight_entry **at = &c->entries; *at; at = &(*at)->next)
        if ((*at)->data == weights) {
            if (--(*at)->refs == 0) {
                gone = *at;
                *at = gone->next;
            }
            break;
        }
    unlock(c);
    if (gone)
        drop(c, gone);
}

void runt_weight_cache_clear(runt_weight_cache *c)
{
    runt_weight_entry *e = c->entries;
    c->entries = NULL;
    while (e) {
        runt_weight_entry *next = e->next;
        drop(c, e);
        e = next;
    }
}

void runt_weight_cache_totals(runt_weight_cache *c, size_t *bytes, int *entries)
{
    size_t b = 0;
    int n = 0;
    lock(c);
    for (const runt_weight_entry *e = c->entries; e; e = e->next) {
        b += e->bytes;
        n++;
    }
    unlock(c);
    if (bytes)
        *bytes = b;
    if (entries)
        *entries = n;
}
