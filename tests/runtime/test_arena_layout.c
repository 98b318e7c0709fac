/*
 * Tests of the arena layout (runtime/arena_layout.c): hand-built graphs whose best
 * layout is known, and property checks over many random lifetime sets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "arena_layout.h"
#include "rt_test.h"
#include "test_util.h"

/* Lifetimes overlap, for buffers b and c. */
static int meets(const runt_arena_buffer *b, const runt_arena_buffer *c)
{
    return b->first <= c->last && c->first <= b->last;
}

static int bytes_overlap(const runt_arena_buffer *b, const runt_arena_buffer *c)
{
    if (b->size == 0 || c->size == 0)
        return 0;
    return b->offset < c->offset + c->size && c->offset < b->offset + b->size;
}

/* j took i's memory in place, as arena_layout.h allows: same offset, j fits in i,
 * and i dies at the node that writes j. */
static int legal_in_place(const runt_arena_buffer *b, int i, int j)
{
    return b[j].inplace_of == i && b[j].offset == b[i].offset && b[j].size <= b[i].size &&
           b[i].last == b[j].first;
}

/* Runs the arena layout with guarded scratch (so writes past scratch_size are
 * caught) and returns its status. */
static runt_status plan(runt_arena_buffer *b, int n, size_t align, size_t *arena)
{
    size_t need = runt_arena_scratch_size(n);
    size_t nfloats = (need + sizeof(float) - 1) / sizeof(float);
    float *scratch = rt_guarded_alloc(nfloats);
    RT_ASSERT(scratch != NULL, "cannot allocate %zu bytes of scratch", need);
    runt_status s = runt_arena_place(b, n, align, scratch, nfloats * sizeof(float), arena);
    RT_ASSERT(rt_guard_intact(scratch, nfloats), "the layout wrote past its %zu-byte scratch",
              nfloats * sizeof(float));
    rt_guarded_free(scratch);
    return s;
}

/* The live bytes at each node, maximised over nodes: no layout can do better.
 * A buffer that took its target in place adds nothing at the node where the
 * target dies, since it lies inside the target's bytes there. */
static size_t peak_live_bytes(const runt_arena_buffer *b, int n)
{
    int lo = 0, hi = -1;
    for (int i = 0; i < n; i++) {
        if (i == 0 || b[i].first < lo)
            lo = b[i].first;
        if (b[i].last > hi)
            hi = b[i].last;
    }
    size_t peak = 0;
    for (int node = lo; node <= hi; node++) {
        size_t live = 0;
        for (int j = 0; j < n; j++) {
            if (node < b[j].first || node > b[j].last)
                continue;
            int t = b[j].inplace_of;
            if (t >= 0 && node == b[j].first && legal_in_place(b, t, j))
                continue;
            live += b[j].size;
        }
        if (live > peak)
            peak = live;
    }
    return peak;
}

/* Every guarantee of arena_layout.h, checked on a finished plan. */
static void check_plan(const runt_arena_buffer *b, int n, size_t align, size_t arena,
                       const char *what)
{
    size_t max_end = 0;
    for (int i = 0; i < n; i++) {
        RT_ASSERT(b[i].offset % align == 0, "%s: buffer %d offset %zu not a multiple of %zu",
                  what, i, b[i].offset, align);
        if (b[i].size == 0)
            RT_ASSERT(b[i].offset == 0, "%s: empty buffer %d at %zu, not 0", what, i, b[i].offset);
        if (b[i].offset + b[i].size > max_end)
            max_end = b[i].offset + b[i].size;
        for (int j = i + 1; j < n; j++) {
            if (!meets(&b[i], &b[j]) || !bytes_overlap(&b[i], &b[j]))
                continue;
            RT_ASSERT(legal_in_place(b, i, j),
                      "%s: buffers %d [%d,%d] @%zu+%zu and %d [%d,%d] @%zu+%zu are live together "
                      "and overlap",
                      what, i, b[i].first, b[i].last, b[i].offset, b[i].size, j, b[j].first,
                      b[j].last, b[j].offset, b[j].size);
        }
    }
    RT_ASSERT(arena >= max_end, "%s: arena %zu < last byte used %zu", what, arena, max_end);
    RT_ASSERT(arena % align == 0, "%s: arena %zu not a multiple of %zu", what, arena, align);
    size_t naive = runt_arena_naive_size(b, n, align);
    RT_ASSERT(arena <= naive, "%s: arena %zu > naive %zu", what, arena, naive);
    size_t peak = peak_live_bytes(b, n);
    RT_ASSERT(arena >= peak, "%s: arena %zu below the live-bytes bound %zu", what, arena, peak);
}

static runt_arena_buffer buf(size_t size, int first, int last, int inplace_of)
{
    runt_arena_buffer b = {size, first, last, inplace_of, (size_t)-1};
    return b;
}

/* ------------------------------------------------------------------------- */
/* Hand-built cases                                                          */
/* ------------------------------------------------------------------------- */

/* x0 -> x1 -> x2 -> x3, each read only by the next node: two buffers at a time,
 * so the arena is the largest neighbouring pair. */
RT_TEST(arena_layout, chain)
{
    runt_arena_buffer b[4] = {buf(300, 0, 1, -1), buf(100, 1, 2, -1), buf(200, 2, 3, -1),
                                buf(100, 3, 4, -1)};
    size_t arena = 0;
    RT_ASSERT(plan(b, 4, 1, &arena) == RUNT_OK, "chain: %s", runt_last_error());
    check_plan(b, 4, 1, arena, "chain");
    /* 300 at 0; 200 (lives 2-3) at 0; 100s after the 300 and after the 200. */
    RT_ASSERT(b[0].offset == 0 && b[2].offset == 0, "chain: big buffers at %zu, %zu, want 0, 0",
              b[0].offset, b[2].offset);
    RT_ASSERT(b[1].offset == 300 && b[3].offset == 200, "chain: small ones at %zu, %zu, want 300, 200",
              b[1].offset, b[3].offset);
    RT_ASSERT(arena == 400, "chain: arena %zu, want 400 (300 + 100)", arena);
}

/* a feeds b and c, which both feed d: a, b, c live together at node 2. */
RT_TEST(arena_layout, diamond)
{
    runt_arena_buffer b[4] = {buf(64, 0, 2, -1), buf(128, 1, 3, -1), buf(32, 2, 3, -1),
                                buf(192, 3, 4, -1)};
    size_t arena = 0;
    RT_ASSERT(plan(b, 4, 1, &arena) == RUNT_OK, "diamond: %s", runt_last_error());
    check_plan(b, 4, 1, arena, "diamond");
    /* d (192) at 0; b (128, meets d) at 192; a (64, meets b) at 0; c (meets all) at 320. */
    RT_ASSERT(b[3].offset == 0 && b[1].offset == 192 && b[0].offset == 0 && b[2].offset == 320,
              "diamond: offsets %zu %zu %zu %zu, want 0 192 320 0", b[0].offset, b[1].offset,
              b[2].offset, b[3].offset);
    RT_ASSERT(arena == 352, "diamond: arena %zu, want 352 (live at node 3)", arena);
}

/* relu(relu(relu(x))): every link may write over its input. */
RT_TEST(arena_layout, in_place_chain)
{
    runt_arena_buffer b[5] = {buf(256, 0, 1, -1), buf(256, 1, 2, 0), buf(256, 2, 3, 1),
                                buf(200, 3, 4, 2), buf(64, 0, 4, -1)};
    size_t arena = 0;
    RT_ASSERT(plan(b, 5, 16, &arena) == RUNT_OK, "in-place chain: %s", runt_last_error());
    check_plan(b, 5, 16, arena, "in-place chain");
    for (int i = 1; i < 4; i++)
        RT_ASSERT(b[i].offset == b[0].offset, "in-place chain: link %d at %zu, x at %zu", i,
                  b[i].offset, b[0].offset);
    RT_ASSERT(arena == 320, "in-place chain: arena %zu, want 320 (256 + 64)", arena);
}

/* Where in place is not allowed, the buffer is placed as any other. */
RT_TEST(arena_layout, in_place_refused)
{
    /* 0: target dies at 2, not at 1 where buffer 1 is written. */
    runt_arena_buffer late[2] = {buf(64, 0, 2, -1), buf(64, 1, 3, 0)};
    /* 1: larger than its target. */
    runt_arena_buffer big[2] = {buf(64, 0, 1, -1), buf(128, 1, 2, 0)};
    /* 2 and 3 both want buffer 0; only the first placed gets it. */
    runt_arena_buffer twice[3] = {buf(64, 0, 1, -1), buf(64, 1, 2, 0), buf(64, 1, 2, 0)};
    size_t arena = 0;
    RT_ASSERT(plan(late, 2, 1, &arena) == RUNT_OK, "late: %s", runt_last_error());
    check_plan(late, 2, 1, arena, "late");
    RT_ASSERT(late[1].offset != late[0].offset, "late: buffer took memory still in use");
    RT_ASSERT(plan(big, 2, 1, &arena) == RUNT_OK, "big: %s", runt_last_error());
    check_plan(big, 2, 1, arena, "big");
    RT_ASSERT(arena == 192, "big: arena %zu, want 192", arena);
    RT_ASSERT(plan(twice, 3, 1, &arena) == RUNT_OK, "twice: %s", runt_last_error());
    check_plan(twice, 3, 1, arena, "twice");
    RT_ASSERT(twice[1].offset == 0 && twice[2].offset == 64,
              "twice: offsets %zu %zu, want 0 (in place) and 64", twice[1].offset,
              twice[2].offset);
}

/* An in-place pair is placed as one block over both lifetimes, so a larger
 * buffer live after the target's death cannot claim the target's bytes. */
RT_TEST(arena_layout, in_place_group_placed_whole)
{
    runt_arena_buffer b[3] = {buf(64, 0, 1, -1), buf(64, 1, 3, 0), buf(128, 2, 3, -1)};
    size_t arena = 0;
    RT_ASSERT(plan(b, 3, 1, &arena) == RUNT_OK, "group: %s", runt_last_error());
    check_plan(b, 3, 1, arena, "group");
    RT_ASSERT(b[2].offset == 0 && b[0].offset == 128 && b[1].offset == 128,
              "group: offsets %zu %zu %zu, want 128 128 0", b[0].offset, b[1].offset,
              b[2].offset);
    RT_ASSERT(arena == 192, "group: arena %zu, want 192", arena);
}

/* Sizes may shrink along a chain (never grow); the block keeps the head's. */
RT_TEST(arena_layout, in_place_shrinking_chain)
{
    runt_arena_buffer b[4] = {buf(256, 0, 1, -1), buf(128, 1, 2, 0), buf(128, 2, 3, 1),
                                buf(100, 1, 3, -1)};
    size_t arena = 0;
    RT_ASSERT(plan(b, 4, 4, &arena) == RUNT_OK, "shrinking: %s", runt_last_error());
    check_plan(b, 4, 4, arena, "shrinking");
    RT_ASSERT(b[1].offset == b[0].offset && b[2].offset == b[0].offset,
              "shrinking: chain at %zu %zu %zu, want one offset", b[0].offset, b[1].offset,
              b[2].offset);
    RT_ASSERT(arena == 356, "shrinking: arena %zu, want 356 (256 + 100)", arena);
}

/* A buffer written and never read (last == first) that a second output wants
 * to take in place while the first target's memory is still live: chains may
 * only link through buffers that are dead. */
RT_TEST(arena_layout, in_place_chain_through_dead_buffer)
{
    runt_arena_buffer b[3] = {buf(64, 0, 1, -1), buf(64, 1, 1, 0), buf(64, 1, 2, 1)};
    size_t arena = 0;
    RT_ASSERT(plan(b, 3, 1, &arena) == RUNT_OK, "dead link: %s", runt_last_error());
    check_plan(b, 3, 1, arena, "dead link");
    RT_ASSERT(b[1].offset == b[0].offset && b[2].offset != b[0].offset,
              "dead link: offsets %zu %zu %zu", b[0].offset, b[1].offset, b[2].offset);
}

RT_TEST(arena_layout, zero_sizes)
{
    runt_arena_buffer b[4] = {buf(0, 0, 5, -1), buf(96, 0, 1, -1), buf(0, 1, 2, 1),
                                buf(32, 1, 3, -1)};
    size_t arena = 0;
    RT_ASSERT(plan(b, 4, 32, &arena) == RUNT_OK, "zero sizes: %s", runt_last_error());
    check_plan(b, 4, 32, arena, "zero sizes");
    RT_ASSERT(b[0].offset == 0 && b[2].offset == 0, "zero sizes: empty buffers at %zu, %zu",
              b[0].offset, b[2].offset);
    RT_ASSERT(arena == 128, "zero sizes: arena %zu, want 128", arena);

    runt_arena_buffer empty[3] = {buf(0, 0, 1, -1), buf(0, 0, 1, 0), buf(0, 1, 2, -1)};
    RT_ASSERT(plan(empty, 3, 64, &arena) == RUNT_OK, "all empty: %s", runt_last_error());
    RT_ASSERT(arena == 0, "all empty: arena %zu, want 0", arena);
    RT_ASSERT(runt_arena_naive_size(empty, 3, 64) == 0, "all empty: naive size not 0");
}

RT_TEST(arena_layout, no_buffers)
{
    size_t arena = 99;
    RT_ASSERT(runt_arena_place(NULL, 0, 64, NULL, 0, &arena) == RUNT_OK, "n = 0: %s",
              runt_last_error());
    RT_ASSERT(arena == 0, "n = 0: arena %zu, want 0", arena);
    RT_ASSERT(runt_arena_scratch_size(0) == 0, "scratch for 0 buffers is not 0");
    RT_ASSERT(runt_arena_naive_size(NULL, 0, 64) == 0, "naive size of nothing is not 0");
}

RT_TEST(arena_layout, alignment)
{
    /* All live together, so they stack; each starts on a 64-byte boundary. */
    runt_arena_buffer b[3] = {buf(1, 0, 2, -1), buf(65, 0, 2, -1), buf(3, 0, 2, -1)};
    size_t arena = 0;
    RT_ASSERT(plan(b, 3, 64, &arena) == RUNT_OK, "align 64: %s", runt_last_error());
    check_plan(b, 3, 64, arena, "align 64");
    RT_ASSERT(b[1].offset == 0 && b[2].offset == 128 && b[0].offset == 192,
              "align 64: offsets %zu %zu %zu, want 192 0 128", b[0].offset, b[1].offset,
              b[2].offset);
    RT_ASSERT(arena == 256, "align 64: arena %zu, want 256", arena);
    RT_ASSERT(runt_arena_naive_size(b, 3, 64) == 256, "align 64: naive %zu, want 256",
              runt_arena_naive_size(b, 3, 64));

    RT_ASSERT(plan(b, 3, 1, &arena) == RUNT_OK, "align 1: %s", runt_last_error());
    check_plan(b, 3, 1, arena, "align 1");
    RT_ASSERT(arena == 69, "align 1: arena %zu, want 69 (packed)", arena);
    RT_ASSERT(runt_arena_naive_size(b, 3, 1) == 69, "align 1: naive %zu, want 69",
              runt_arena_naive_size(b, 3, 1));
}

/* The scratch pointer needs no alignment of its own. */
RT_TEST(arena_layout, unaligned_scratch)
{
    enum { N = 7 };
    runt_arena_buffer b[N];
    for (int i = 0; i < N; i++)
        b[i] = buf((size_t)(i + 1) * 8, i, i + 1, -1);
    size_t need = runt_arena_scratch_size(N);
    unsigned char *mem = malloc(need + 1);
    RT_ASSERT(mem != NULL, "cannot allocate scratch");
    size_t arena = 0;
    runt_status s = runt_arena_place(b, N, 8, mem + 1, need, &arena);
    free(mem);
    RT_ASSERT(s == RUNT_OK, "unaligned scratch: %s", runt_last_error());
    check_plan(b, N, 8, arena, "unaligned scratch");
}

/* ------------------------------------------------------------------------- */
/* Random lifetimes                                                          */
/* ------------------------------------------------------------------------- */

/* A random plan: lifetimes anywhere in [0, nodes), sizes 0 .. 4096 with some
 * empty, and in-place requests both legal and not. */
static void random_plan(rt_rng *r, runt_arena_buffer *b, int n, int nodes)
{
    for (int i = 0; i < n; i++) {
        int first = (int)rt_rng_int(r, 0, nodes - 1);
        int last = first + (int)rt_rng_int(r, 0, rt_rng_int(r, 0, 1) ? 2 : nodes / 2);
        size_t size = rt_rng_int(r, 0, 9) == 0 ? 0 : (size_t)rt_rng_int(r, 1, 4096);
        b[i] = buf(size, first, last, -1);
        if (i > 0 && rt_rng_int(r, 0, 2) == 0) {
            int t = (int)rt_rng_int(r, 0, i - 1);
            b[i].inplace_of = t;
            if (rt_rng_int(r, 0, 1)) { /* make it legal, the case worth testing */
                b[i].first = b[t].last;
                b[i].last = b[i].first + (int)rt_rng_int(r, 0, 3);
                if (b[i].size > b[t].size)
                    b[i].size = b[t].size;
            }
        }
    }
}

RT_TEST(arena_layout, random_properties)
{
    static const size_t aligns[] = {1, 4, 16, 64, 256};
    rt_rng r = rt_rng_make(20240601);
    runt_arena_buffer b[80];
    for (int trial = 0; trial < 3000; trial++) {
        int n = (int)rt_rng_int(&r, 1, 80);
        int nodes = (int)rt_rng_int(&r, 1, 40);
        size_t align = aligns[rt_rng_int(&r, 0, 4)];
        random_plan(&r, b, n, nodes);
        size_t arena = 0;
        char what[64];
        snprintf(what, sizeof what, "trial %d (n %d, align %zu)", trial, n, align);
        RT_ASSERT(plan(b, n, align, &arena) == RUNT_OK, "%s: %s", what, runt_last_error());
        check_plan(b, n, align, arena, what);
    }
}

/* A sequential net where each node reads the previous output and maybe an
 * older one (skip connections), and elementwise nodes ask to write in place.
 * Checks the properties, that the same input gives the same plan, and that
 * every in-place request whose conditions hold is granted. */
RT_TEST(arena_layout, random_networks_in_place)
{
    enum { N = 120 };
    rt_rng r = rt_rng_make(77);
    runt_arena_buffer b[N], again[N];
    int granted = 0, eligible = 0;
    for (int trial = 0; trial < 300; trial++) {
        for (int i = 0; i < N; i++) {
            b[i] = buf((size_t)rt_rng_int(&r, 1, 64) * 64, i, i + 1, -1);
            if (i > 2 && rt_rng_int(&r, 0, 3) == 0) { /* a skip connection reads b[i - 3] */
                if (b[i - 3].last < i)
                    b[i - 3].last = i;
            }
        }
        for (int i = 1; i < N; i++) {
            if (rt_rng_int(&r, 0, 1) && b[i - 1].last == i) {
                b[i].inplace_of = i - 1;
                b[i].size = b[i - 1].size;
                eligible++;
            }
        }
        size_t arena = 0, arena2 = 0;
        char what[64];
        snprintf(what, sizeof what, "network %d", trial);
        RT_ASSERT(plan(b, N, 64, &arena) == RUNT_OK, "%s: %s", what, runt_last_error());
        check_plan(b, N, 64, arena, what);
        for (int i = 1; i < N; i++)
            granted += b[i].inplace_of >= 0 && b[i].offset == b[b[i].inplace_of].offset;
        memcpy(again, b, sizeof b);
        RT_ASSERT(plan(again, N, 64, &arena2) == RUNT_OK, "%s again: %s", what,
                  runt_last_error());
        RT_ASSERT(arena2 == arena, "%s: a second run gave arena %zu, not %zu", what, arena2,
                  arena);
        for (int i = 0; i < N; i++)
            RT_ASSERT(again[i].offset == b[i].offset, "%s: a second run moved buffer %d", what, i);
    }
    RT_ASSERT(eligible > 0 && granted == eligible, "in place granted %d times of %d eligible",
              granted, eligible);
}

/* A long chain is placed in two slots' worth of memory whatever its length. */
RT_TEST(arena_layout, long_chain)
{
    enum { N = 3000 };
    runt_arena_buffer *b = malloc(N * sizeof *b);
    RT_ASSERT(b != NULL, "cannot allocate %d buffers", N);
    for (int i = 0; i < N; i++)
        b[i] = buf(4096, i, i + 1, -1);
    size_t arena = 0;
    runt_status s = plan(b, N, 64, &arena);
    if (s == RUNT_OK)
        check_plan(b, N, 64, arena, "long chain");
    free(b);
    RT_ASSERT(s == RUNT_OK, "long chain: %s", runt_last_error());
    RT_ASSERT(arena == 8192, "long chain: arena %zu, want 8192", arena);
}

/* ------------------------------------------------------------------------- */
/* Bad arguments                                                             */
/* ------------------------------------------------------------------------- */

/* The call fails with RUNT_E_INVALID_ARG, leaves a message containing
 * `needle`, and writes neither offsets nor the arena size. */
static void expect_invalid(runt_arena_buffer *b, int n, size_t align, void *scratch,
                           size_t scratch_size, size_t *arena, const char *needle)
{
    runt_error_clear();
    if (arena)
        *arena = 12345;
    runt_status s = runt_arena_place(b, n, align, scratch, scratch_size, arena);
    RT_ASSERT(s == RUNT_E_INVALID_ARG, "'%s': got %s", needle, runt_status_name(s));
    RT_ASSERT(strstr(runt_last_error(), needle) != NULL, "message '%s' does not mention '%s'",
              runt_last_error(), needle);
    if (arena)
        RT_ASSERT(*arena == 12345, "'%s': arena size written on failure", needle);
    for (int i = 0; b && i < n; i++)
        RT_ASSERT(b[i].offset == (size_t)-1, "'%s': offset %d written on failure", needle, i);
}

RT_TEST(arena_layout, bad_arguments)
{
    enum { N = 3 };
    union { int i; unsigned char bytes[256]; } scratch;
    size_t need = runt_arena_scratch_size(N), arena;
    RT_ASSERT(need <= sizeof scratch.bytes, "scratch for %d buffers is %zu bytes", N, need);
    runt_arena_buffer b[N] = {buf(8, 0, 1, -1), buf(8, 1, 2, 0), buf(8, 2, 3, 1)};

    expect_invalid(b, N, 8, scratch.bytes, need, NULL, "arena_size is NULL");
    expect_invalid(NULL, N, 8, scratch.bytes, need, &arena, "buffers is NULL");
    expect_invalid(b, -1, 8, scratch.bytes, need, &arena, "negative");
    expect_invalid(b, N, 0, scratch.bytes, need, &arena, "power of two");
    expect_invalid(b, N, 24, scratch.bytes, need, &arena, "power of two");
    expect_invalid(b, N, 8, NULL, need, &arena, "scratch is NULL");
    expect_invalid(b, N, 8, scratch.bytes, need - 1, &arena, "scratch is");

    b[1].last = 0; /* before first = 1 */
    expect_invalid(b, N, 8, scratch.bytes, need, &arena, "buffer 1: last use 0");
    b[1].last = 2;
    b[2].inplace_of = 2; /* itself, not earlier */
    expect_invalid(b, N, 8, scratch.bytes, need, &arena, "buffer 2: inplace_of 2");
    b[2].inplace_of = 5; /* out of range */
    expect_invalid(b, N, 8, scratch.bytes, need, &arena, "buffer 2: inplace_of 5");
    b[2].inplace_of = -2;
    expect_invalid(b, N, 8, scratch.bytes, need, &arena, "buffer 2: inplace_of -2");
    b[2].inplace_of = 1;

    b[0].size = SIZE_MAX - 2; /* rounds up past SIZE_MAX */
    expect_invalid(b, N, 8, scratch.bytes, need, &arena, "overflow");
    b[0].size = SIZE_MAX / 2;
    b[1].size = SIZE_MAX / 2;
    expect_invalid(b, N, 8, scratch.bytes, need, &arena, "overflow");
    RT_ASSERT(runt_arena_naive_size(b, N, 8) == SIZE_MAX, "overflowing naive size not SIZE_MAX");
    RT_ASSERT(runt_arena_naive_size(b, N, 3) == SIZE_MAX, "naive size with align 3 not SIZE_MAX");
    RT_ASSERT(runt_arena_naive_size(NULL, N, 8) == SIZE_MAX, "naive size of NULL not SIZE_MAX");

    RT_ASSERT(runt_arena_scratch_size(-5) == 0, "scratch for n < 0 is not 0");
    RT_ASSERT(runt_arena_scratch_size(INT32_MAX) >= (size_t)INT32_MAX,
              "scratch for INT32_MAX buffers wrapped around");
}
