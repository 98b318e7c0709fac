/*
 * The first step of a backend's prepare, alike on cpu and cuda: its
 * per-session state, zeroed, from the session's allocator, which the state
 * keeps (as its first member) for every later allocation and free.
 * Header-only, like the other files here, so no backend gains a link
 * dependency.
 */
#ifndef RUNT_BACKENDS_COMMON_BACKEND_STATE_H
#define RUNT_BACKENDS_COMMON_BACKEND_STATE_H

#include <stddef.h>

#include "runt-backend.h"

/* A zeroed state of `size` bytes whose first member is a runt_allocator,
 * set to options' allocator (none given: left zero, which allocates with
 * the C library); NULL when out of memory, with a message naming the
 * backend ("CPU", "CUDA"). */
static inline void *runt_backend_state_new(const runt_session_options *options, size_t size,
                                           const char *backend)
{
    const runt_allocator *a = options ? options->allocator : NULL;
    runt_allocator *st = runt_alloc_zeroed(a, 1, size);
    if (!st) {
        runt_error_set(RUNT_E_OOM, "out of memory for the %s backend's state", backend);
        return NULL;
    }
    if (a)
        *st = *a;
    return st;
}

#endif /* RUNT_BACKENDS_COMMON_BACKEND_STATE_H */
