/*
 * Allocation for every file of the CPU backend that packs weights: its own
 * buffers through the session's allocator, weights shared with the model's
 * other sessions through the model's cache. It sits below them all (it
 * calls only the core), so cpu_nodes.c, cpu_conv.c and cpu_int8.c reach it
 * without calling back up into cpu_backend.c, which calls them.
 */
#include <string.h>

#include "cpu_impl.h"

void *runt_cpu_alloc(runt_cpu_state *st, size_t bytes)
{
    return runt_alloc(&st->allocator, bytes);
}

void *runt_cpu_alloc_weights(runt_cpu_state *st, size_t bytes)
{
    void *p = runt_alloc(&st->allocator, bytes);
    if (p)
        st->weight_bytes += bytes;
    return p;
}

void runt_cpu_free(runt_cpu_state *st, void *p) { runt_free(&st->allocator, p); }

runt_status runt_cpu_weights_share(runt_cpu_state *st, const runt_plan *p, const void *source,
                                   runt_cpu_layout layout, const int64_t params[6], size_t bytes,
                                   runt_weight_fill_fn fill, void *ctx, void **out)
{
    runt_weight_key key = {source, "cpu", (uint32_t)layout, {0}};
    memcpy(key.params, params, sizeof key.params);
    const void *made = NULL;
    runt_status s = runt_plan_weights_acquire(p, &key, bytes, fill, ctx, &made);
    if (s != RUNT_OK)
        return s;
    st->weight_bytes += bytes;
    *out = (void *)made; /* the kernels only read it */
    return RUNT_OK;
}
