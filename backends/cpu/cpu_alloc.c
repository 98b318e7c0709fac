/*
 * Allocation through the session's allocator, for every file of the CPU
 * backend that packs weights or sizes scratch. It sits below them all (it
 * calls only the core's runt_alloc), so cpu_nodes.c, cpu_conv.c and
 * cpu_int8.c reach it without calling back up into cpu_backend.c, which
 * calls them.
 */
#include "alloc.h"
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
