/*
 * arena_layout.c — greedy-by-size arena placement; see arena_layout.h for
 * the algorithm and why it was chosen.
 */
#include "arena_layout.h"

#include <stdint.h>
#include <string.h>

#include "error.h"

/* The caller's scratch, carved into arrays of n. */
typedef struct layout_work {
    int *order;             /* group heads, in the order they are placed       */
    int n_heads;
    int *by_offset;         /* placed nonzero heads, sorted by offset          */
    int n_placed;
    int *head;              /* the head of each buffer's group (itself if none) */
    int *reach;             /* per head: the last node any member is live       */
    unsigned char *taken;   /* 1 once a buffer has joined this one in place     */
} layout_work;

/* The caller rules out overflow: every rounded size fits under the naive sum. */
static size_t align_up(size_t x, size_t align) { return (x + align - 1) & ~(align - 1); }

static int is_power_of_two(size_t x) { return x != 0 && (x & (x - 1)) == 0; }

/* Sum of sizes rounded up to align; 0 if it overflows size_t. */
static int sum_rounded(const runt_arena_buffer *b, int n, size_t align, size_t *total)
{
    size_t sum = 0;
    for (int i = 0; i < n; i++) {
        if (b[i].size > SIZE_MAX - (align - 1))
            return 0;
        size_t r = align_up(b[i].size, align);
        if (sum > SIZE_MAX - r)
            return 0;
        sum += r;
    }
    *total = sum;
    return 1;
}

size_t runt_arena_scratch_size(int n)
{
    const size_t per = 4 * sizeof(int) + 1, slack = _Alignof(int) - 1;
    if (n <= 0)
        return 0;
    if ((size_t)n > (SIZE_MAX - slack) / per)
        return SIZE_MAX;
    return (size_t)n * per + slack;
}

size_t runt_arena_naive_size(const runt_arena_buffer *buffers, int n, size_t align)
{
    size_t total = 0;
    if (n <= 0)
        return 0;
    if (!buffers || !is_power_of_two(align) || !sum_rounded(buffers, n, align, &total))
        return SIZE_MAX;
    return total;
}

static runt_status check_buffers(const runt_arena_buffer *b, int n, size_t align)
{
    size_t total;
    for (int i = 0; i < n; i++) {
        if (b[i].last < b[i].first)
            return runt_error_set(RUNT_E_INVALID_ARG,
                                  "arena layout: buffer %d: last use %d is before first use %d", i,
                                  b[i].last, b[i].first);
        if (b[i].inplace_of < -1 || b[i].inplace_of >= i)
            return runt_error_set(RUNT_E_INVALID_ARG,
                                  "arena layout: buffer %d: inplace_of %d is neither -1 nor an "
                                  "earlier buffer",
                                  i, b[i].inplace_of);
    }
    if (!sum_rounded(b, n, align, &total))
        return runt_error_set(RUNT_E_INVALID_ARG,
                              "arena layout: the %d buffer sizes, rounded up to %zu, overflow size_t",
                              n, align);
    return RUNT_OK;
}

static runt_status check_args(const runt_arena_buffer *b, int n, size_t align,
                              const void *scratch, size_t scratch_size, const size_t *arena_size)
{
    if (!arena_size)
        return runt_error_set(RUNT_E_INVALID_ARG, "arena layout: arena_size is NULL");
    if (n < 0)
        return runt_error_set(RUNT_E_INVALID_ARG, "arena layout: n = %d buffers is negative", n);
    if (n > 0 && !b)
        return runt_error_set(RUNT_E_INVALID_ARG, "arena layout: buffers is NULL with n = %d", n);
    if (!is_power_of_two(align))
        return runt_error_set(RUNT_E_INVALID_ARG, "arena layout: align %zu is not a power of two",
                              align);
    size_t need = runt_arena_scratch_size(n);
    if (need > 0 && !scratch)
        return runt_error_set(RUNT_E_INVALID_ARG, "arena layout: scratch is NULL");
    if (scratch_size < need)
        return runt_error_set(RUNT_E_INVALID_ARG,
                              "arena layout: scratch is %zu bytes, %d buffers need %zu", scratch_size,
                              n, need);
    return check_buffers(b, n, align);
}

static layout_work carve_scratch(void *scratch, size_t n)
{
    uintptr_t p = (uintptr_t)scratch, a = _Alignof(int);
    int *ints = (int *)((p + a - 1) & ~(a - 1));
    layout_work w = {ints, 0, ints + n, 0, ints + 2 * n, ints + 3 * n,
                      (unsigned char *)(ints + 4 * n)};
    return w;
}

/* Step 1 of arena_layout.h: j joins its target's group where the rules allow. */
static void link_in_place(const runt_arena_buffer *b, layout_work *w, int j)
{
    int t = b[j].inplace_of;
    w->head[j] = j;
    w->reach[j] = b[j].last;
    w->taken[j] = 0;
    if (t < 0 || b[j].size == 0 || w->taken[t])
        return;
    if (b[t].last != b[j].first || b[j].size > b[t].size)
        return;
    if (w->head[t] != t && b[t].first == b[t].last)
        return;
    int h = w->head[t];
    w->head[j] = h;
    w->taken[t] = 1;
    if (b[j].last > w->reach[h])
        w->reach[h] = b[j].last;
}

/* Largest first, then earliest first use, then lowest index (deterministic). */
static int placed_before(const runt_arena_buffer *b, int i, int j)
{
    if (b[i].size != b[j].size)
        return b[i].size > b[j].size;
    if (b[i].first != b[j].first)
        return b[i].first < b[j].first;
    return i < j;
}

/* Insertion sort of the group heads: O(n^2) at worst, no more than the
 * placement itself costs. */
static void sort_heads(const runt_arena_buffer *b, layout_work *w, int n)
{
    w->n_heads = 0;
    for (int i = 0; i < n; i++) {
        if (w->head[i] != i)
            continue;
        int k = w->n_heads++;
        for (; k > 0 && placed_before(b, i, w->order[k - 1]); k--)
            w->order[k] = w->order[k - 1];
        w->order[k] = i;
    }
}

/* Blocks (group heads) h and g are live at some node together. */
static int blocks_meet(const runt_arena_buffer *b, const layout_work *w, int h, int g)
{
    return b[h].first <= w->reach[g] && b[g].first <= w->reach[h];
}

/* The lowest aligned offset where block h fits between the placed blocks live
 * at the same time: one walk up through them in offset order. */
static size_t lowest_fit(const runt_arena_buffer *b, const layout_work *w, int h, size_t align)
{
    size_t candidate = 0;
    for (int k = 0; k < w->n_placed; k++) {
        const runt_arena_buffer *p = &b[w->by_offset[k]];
        if (!blocks_meet(b, w, h, w->by_offset[k]))
            continue;
        if (p->offset >= candidate + b[h].size)
            break;
        size_t end = align_up(p->offset + p->size, align);
        if (end > candidate)
            candidate = end;
    }
    return candidate;
}

static void insert_by_offset(const runt_arena_buffer *b, layout_work *w, int i)
{
    int lo = 0, hi = w->n_placed;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (b[w->by_offset[mid]].offset <= b[i].offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(&w->by_offset[lo + 1], &w->by_offset[lo], (size_t)(w->n_placed - lo) * sizeof(int));
    w->by_offset[lo] = i;
    w->n_placed++;
}

runt_status runt_arena_place(runt_arena_buffer *buffers, int n, size_t align,
                               void *scratch, size_t scratch_size, size_t *arena_size)
{
    runt_status s = check_args(buffers, n, align, scratch, scratch_size, arena_size);
    if (s != RUNT_OK)
        return s;
    if (n == 0) {
        *arena_size = 0;
        return RUNT_OK;
    }
    layout_work w = carve_scratch(scratch, (size_t)n);
    for (int j = 0; j < n; j++)
        link_in_place(buffers, &w, j);
    sort_heads(buffers, &w, n);
    size_t end = 0;
    for (int k = 0; k < w.n_heads; k++) {
        int h = w.order[k];
        buffers[h].offset = 0; /* an empty buffer occupies nothing, so it cannot collide */
        if (buffers[h].size == 0)
            continue;
        buffers[h].offset = lowest_fit(buffers, &w, h, align);
        insert_by_offset(buffers, &w, h);
        if (buffers[h].offset + buffers[h].size > end)
            end = buffers[h].offset + buffers[h].size;
    }
    for (int j = 0; j < n; j++)
        buffers[j].offset = buffers[w.head[j]].offset;
    *arena_size = align_up(end, align);
    return RUNT_OK;
}
