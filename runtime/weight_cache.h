/*
 * The converted weights of one model that its sessions share: a backend
 * that packs or quantizes a constant for its kernels asks the model's cache
 * (runt_plan_weights_acquire in runt-backend.h) instead of allocating, so
 * two sessions that convert a weight the same way (the same backend, layout
 * and parameters) hold one copy: in host memory from the model's allocator,
 * or in the backend's own storage (a device's memory,
 * runt_plan_weights_acquire_in).
 *
 * The model is immutable to its users; this cache is the one part of it that
 * changes after creation, behind its own lock. Conversion runs outside the
 * lock: two sessions created at once may both convert a weight, and the
 * second to finish frees its copy and takes the first's.
 */
#ifndef RUNT_WEIGHT_CACHE_H
#define RUNT_WEIGHT_CACHE_H

#include "runt-backend.h"

#if !defined(RUNT_BARE_METAL) && !defined(__STDC_NO_ATOMICS__)
#include <stdatomic.h>
typedef atomic_int runt_weight_cache_lock; /* 0: free (a zeroed model is unlocked) */
#else
typedef int runt_weight_cache_lock;       /* no threads: nothing to exclude */
#endif

struct runt_weight_entry;

struct runt_weight_cache {
    runt_weight_cache_lock lock;
    struct runt_weight_entry *entries;
    const runt_allocator *allocator; /* the model's: entries outlive any one session */
};

/* Frees every entry (a model freed while sessions still hold some is the
 * caller's error; their weights go with it). */
void runt_weight_cache_clear(runt_weight_cache *c);

/* Bytes and number of the entries held now; either pointer may be NULL. */
void runt_weight_cache_totals(runt_weight_cache *c, size_t *bytes, int *entries);

#endif /* RUNT_WEIGHT_CACHE_H */
