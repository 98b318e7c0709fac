/* The ONNX reader's memory: every allocation goes through the caller's
 * allocator, none is leaked, and a failure at any allocation is reported
 * cleanly (the SQLite way: fail each allocation in turn). */
#include <stdint.h>
#include <stdlib.h>

#include "onnx_reader_fixtures.h"

/* ------------------------------------------------------------------------- */
/* Memory: every allocation through the caller's allocator, none leaked, and */
/* a failure at any allocation handled                                       */
/* ------------------------------------------------------------------------- */

typedef struct counting {
    long live, calls, fail_at; /* fail_at: the call number that fails, or -1 */
} counting;

static void *counting_alloc(void *user, size_t size, size_t alignment)
{
    counting *c = user;
    if (c->calls++ == c->fail_at)
        return NULL;
    size_t rounded = (size + alignment - 1) / alignment * alignment;
    void *p = aligned_alloc(alignment, rounded);
    if (p)
        c->live++;
    return p;
}

static void counting_free(void *user, void *p)
{
    counting *c = user;
    c->live--;
    free(p);
}

RT_TEST(onnx_reader, allocations_go_through_the_allocator_and_failures_are_clean)
{
    pbw bytes = small_mlp_bytes();
    counting cnt = {0, 0, -1};
    runt_allocator a = {counting_alloc, counting_free, &cnt};
    runt_load_options o;
    memset(&o, 0, sizeof o);
    o.allocator = &a;
    runt_model *m = load_ok(&bytes, &o);
    RT_ASSERT(cnt.live > 0, "the model lives in the caller's allocator");
    runt_model_free(m);
    RT_ASSERT(cnt.live == 0, "%ld allocations leaked", cnt.live);
    long total = cnt.calls;
    for (long k = 0; k < total; k++) {
        cnt = (counting){0, 0, k};
        m = NULL;
        runt_status s = runt_model_load_buffer(bytes.p, bytes.n, &o, &m);
        RT_ASSERT(s == RUNT_E_OOM && m == NULL, "allocation %ld failing: %s (%s)", k,
                  runt_status_name(s), runt_last_error());
        RT_ASSERT(cnt.live == 0, "allocation %ld failing: %ld leaked", k, cnt.live);
    }
    runt_pb_writer_free(&bytes);
}
