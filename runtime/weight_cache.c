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

runt_status runt_plan_weights_acquire(const runt_plan *plan, const runt_weight_key *key,
                                      size_t bytes, runt_weight_fill_fn fill, void *ctx,
                                      const void **out)
{
    const char *fn = "runt_plan_weights_acquire";
    if (!plan || !plan->weights || !key || !key->source || !key->backend || !fill || !out)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %s is NULL", fn,
                              !plan ? "plan" : !plan->weights ? "plan->weights"
                              : !key ? "key" : !key->source ? "key->source"
                              : !key->backend ? "key->backend" : !fill ? "fill" : "out");
    *out = NULL;
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
    void *data = runt_alloc(c->allocator, bytes ? bytes : 1);
    if (!made || !data) {
        runt_free(c->allocator, made);
        runt_free(c->allocator, data);
        return runt_error_set(RUNT_E_OOM, "%s: out of memory for %zu bytes of %s weights", fn,
                              bytes, key->backend);
    }
    runt_status s = fill(ctx, data, bytes);
    if (s != RUNT_OK) {
        runt_free(c->allocator, made);
        runt_free(c->allocator, data);
        return s;
    }
    made->key = *key;
    made->bytes = bytes;
    made->refs = 1;
    made->data = data;
    lock(c);
    e = take(c, key, bytes);
    if (!e) {
        made->next = c->entries;
        c->entries = made;
    }
    unlock(c);
    if (e) { /* the other thread's copy won */
        runt_free(c->allocator, made);
        runt_free(c->allocator, data);
        *out = e->data;
        return RUNT_OK;
    }
    *out = data;
    return RUNT_OK;
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
    if (gone) {
        runt_free(c->allocator, gone->data);
        runt_free(c->allocator, gone);
    }
}

void runt_weight_cache_clear(runt_weight_cache *c)
{
    runt_weight_entry *e = c->entries;
    c->entries = NULL;
    while (e) {
        runt_weight_entry *next = e->next;
        runt_free(c->allocator, e->data);
        runt_free(c->allocator, e);
        e = next;
    }
}
