/*
 * A firmware that runs one .rnt model on a Cortex-M4 (QEMU's mps2-an386)
 * with no heap: the model is read in place from flash, the few records a
 * model and a session need come from a fixed pool at load, the
 * activations live in one static arena of the size `runt compile` printed,
 * and the run allocates nothing. It prints the outputs' bits through
 * semihosting for examples/mcu/check.py to compare with the host's.
 *
 * model_data.h (written by check.py) gives the model bytes, the arena size
 * and batch recorded in its header, and the fixed input.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "model_data.h"
#include "runt-mcu.h"
#include "runt.h"
#include "semihost.h"

#define POOL_BYTES (64 * 1024)

/* Load-time memory: a first-fit allocator over a static pool, keeping its
 * live blocks in a table sorted by address (no headers in the pool, so a
 * block costs only its own bytes). runt allocates here while loading and
 * creating the session, and frees its planning scratch; a run allocates
 * nothing, which `allocs` shows. */
#define POOL_MAX_BLOCKS 256

typedef struct pool {
    unsigned char *base;
    size_t size, peak;
    long allocs;
    int n;
    struct { size_t at, size; } live[POOL_MAX_BLOCKS];
} pool;

static unsigned char pool_bytes[POOL_BYTES] __attribute__((aligned(64)));
static unsigned char arena[RUNT_FW_ARENA_BYTES] __attribute__((aligned(64)));
static float output[RUNT_FW_OUTPUT_COUNT];
static pool load_pool;   /* in .bss: its block table is 4 KiB of zeros */

static void *pool_alloc(void *user, size_t size, size_t align)
{
    pool *p = user;
    if (p->n == POOL_MAX_BLOCKS)
        return NULL;
    size_t at = 0;
    int i = 0;
    for (;; i++) {
        at = (at + align - 1) / align * align;
        size_t limit = i < p->n ? p->live[i].at : p->size;
        if (at <= limit && size <= limit - at)
            break;
        if (i == p->n)
            return NULL;
        at = p->live[i].at + p->live[i].size;
    }
    memmove(&p->live[i + 1], &p->live[i], sizeof p->live[0] * (size_t)(p->n - i));
    p->live[i].at = at;
    p->live[i].size = size;
    p->n++;
    p->allocs++;
    p->peak = at + size > p->peak ? at + size : p->peak;
    return p->base + at;
}

static void pool_free(void *user, void *ptr)
{
    pool *p = user;
    size_t at = (size_t)((unsigned char *)ptr - p->base);
    for (int i = 0; i < p->n; i++)
        if (p->live[i].at == at) {
            memmove(&p->live[i], &p->live[i + 1], sizeof p->live[0] * (size_t)(p->n - i - 1));
            p->n--;
            return;
        }
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    runt_semihost_write(line);
}

static int fail(const char *what)
{
    say("firmware: %s: %s\n", what, runt_last_error());
    return 1;
}

/* v's bits, and v with six decimals (printf's float support is not linked). */
static void say_value(int i, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    float a = v < 0 ? -v : v;
    unsigned long whole = (unsigned long)a;
    unsigned long micro = (unsigned long)(((double)a - whole) * 1e6 + 0.5);
    if (micro == 1000000)
        whole++, micro = 0;
    say("y %d 0x%08lx %s%lu.%06lu\n", i, (unsigned long)bits, v < 0 ? "-" : "", whole, micro);
}

int main(void)
{
    pool *p = &load_pool;
    p->base = pool_bytes;
    p->size = sizeof pool_bytes;
    runt_allocator a = {pool_alloc, pool_free, p};
    say("runt %s firmware: model %s, batch %d, %u bytes of .rnt in flash\n", runt_version(),
        RUNT_FW_NAME, RUNT_FW_BATCH, (unsigned)sizeof runt_fw_model);
    if (runt_backend_register(&runt_backend_mcu, NULL) != RUNT_OK)
        return fail("register mcu");
    runt_load_options lo;
    memset(&lo, 0, sizeof lo);
    lo.allocator = &a;
    runt_model *m;
    if (runt_model_load_rnt(runt_fw_model, sizeof runt_fw_model, &lo, &m) != RUNT_OK)
        return fail("load");
    runt_session_options o = runt_session_options_default();
    o.backend = "mcu";
    o.batch = RUNT_FW_BATCH;
    o.allocator = &a;
    size_t need;
    if (runt_session_arena_size(m, &o, &need) != RUNT_OK)
        return fail("arena size");
    say("arena: %u bytes (runt_session_arena_size %u)\n", (unsigned)sizeof arena, (unsigned)need);
    if (need != sizeof arena) {
        say("firmware: the arena runt compile recorded is not what the session needs\n");
        return 1;
    }
    /* One byte short is refused, as the header's figure is exact. */
    o.arena = arena;
    o.arena_size = need - 1;
    runt_session *s;
    if (runt_session_create(m, &o, &s) != RUNT_E_OOM) {
        say("firmware: an arena one byte short was not refused\n");
        return 1;
    }
    say("one byte short: %s\n", runt_last_error());
    o.arena_size = sizeof arena;
    if (runt_session_create(m, &o, &s) != RUNT_OK)
        return fail("session");
    long loaded = p->allocs;
    size_t in_use = 0;
    for (int i = 0; i < p->n; i++)
        in_use += p->live[i].size;
    say("load-time pool: %u bytes at most, %u held by the model and session, %ld allocations\n",
        (unsigned)p->peak, (unsigned)in_use, loaded);
    runt_tensor in, out;
    if (runt_session_input_desc(s, 0, &in) != RUNT_OK || runt_session_output_desc(s, 0, &out) != RUNT_OK)
        return fail("io");
    if (runt_tensor_count(&in) != RUNT_FW_INPUT_COUNT ||
        runt_tensor_count(&out) != RUNT_FW_OUTPUT_COUNT) {
        say("firmware: the input or output size differs from model_data.h\n");
        return 1;
    }
    in.data = (void *)runt_fw_input;
    out.data = output;
    for (int run = 0; run < 2; run++)
        if (runt_session_run(s, &in, 1, &out, 1) != RUNT_OK)
            return fail("run");
    say("allocations after load: %ld\n", p->allocs - loaded);
    say("output [");
    for (int d = 0; d < out.ndim; d++)
        say(d ? ", %ld" : "%ld", (long)out.dims[d]);
    say("]\n");
    for (int i = 0; i < RUNT_FW_OUTPUT_COUNT; i++)
        say_value(i, output[i]);
    runt_session_free(s);
    runt_model_free(m);
    say("done\n");
    return p->allocs == loaded ? 0 : 1;
}
