/*
 * arena_layout.h — places a plan's intermediate values in one arena.
 *
 * A pure function over abstract buffers: the session describes every
 * intermediate value as (size, lifetime [first, last] in plan node indices,
 * optional in-place candidate) and gets back a byte offset for each. The
 * layout knows nothing about ops and never allocates: the caller hands in
 * scratch memory of runt_arena_scratch_size(n) bytes.
 *
 * Algorithm: greedy by size (the idea of TensorFlow Lite Micro's greedy
 * memory planner), over groups of buffers that share memory in place.
 *   1. Link in-place pairs, in index order. Buffer j (size > 0) with
 *      inplace_of = t joins t's group when t's last use is j's first node,
 *      j is no larger than t, no lower-index buffer has joined t already, and
 *      t is the head of its group or lives past its first node (a chain may not
 *      pass through a buffer born and dead at one node: its two neighbours
 *      would both be live there, on the same bytes). Otherwise j stands alone.
 *      In a group every member lies on the same offset; sizes never grow along
 *      the chain, so the head is the largest, and members' lifetimes meet only
 *      at each handoff node, where the op writes over its input (relu after
 *      relu after relu all at one offset).
 *   2. Treat each group as one block: its head's size, live from its head's
 *      first node to the last node of any member. Order the blocks largest
 *      first; ties by first use, then by index, so the result is deterministic.
 *   3. Put each block at the lowest offset, a multiple of align, where it
 *      overlaps no already-placed block whose lifetime intersects its own.
 *      Placed blocks are kept sorted by offset, so this is one walk over them
 *      looking for the first gap that fits. Members take their head's offset.
 * Linking before placing means every legal in-place request is granted; the
 * first version placed buffer by buffer and took the target's offset only if
 * it was still free, and granted 75% of them on random networks (tested),
 * because a larger buffer placed earlier had claimed the target's bytes for
 * the nodes after the target's death. A group whose members shrink reserves
 * its head's size throughout; elementwise ops keep sizes equal, so this
 * costs nothing in practice.
 *
 * Why greedy by size: large buffers are the hard ones to fit, so they go first
 * and small ones fill the gaps left between them; placing in execution order
 * instead strands large buffers above small ones that died long ago. Optimal
 * placement is NP-hard (dynamic storage allocation), and Pisarchyk & Lee
 * ("Efficient Memory Management for Deep Neural Net Inference", 2020) found
 * greedy-by-size offsets close to the lower bound (the peak of live bytes) on
 * common mobile networks. It costs O(n^2) time and no allocation, which suits
 * microcontrollers.
 *
 * Guarantees (tests/runtime/test_arena_layout.c checks them on random lifetimes):
 * offsets are multiples of align; two buffers whose lifetimes intersect never
 * share a byte, except a buffer and the in-place target it took, which meet
 * only at the node where one is read for the last time and the other written;
 * arena_size is at most runt_arena_naive_size (a nonzero offset is always
 * the end of a placed block, so by induction each block ends below the sum of
 * the sizes placed up to it).
 */
#ifndef RUNT_ARENA_LAYOUT_H
#define RUNT_ARENA_LAYOUT_H

#include <stddef.h>

#include "runt.h"

typedef struct runt_arena_buffer {
    size_t size;        /* bytes; 0 allowed (placed at offset 0, never overlaps anything) */
    int first;          /* plan node index that writes it (the buffer is live from here) */
    int last;           /* last plan node index that reads it (inclusive); >= first      */
    int inplace_of;     /* -1, or index of an earlier buffer whose memory this one may
                           take when that buffer's last use is this buffer's first node
                           and the sizes fit (elementwise ops writing over their input) */
    size_t offset;      /* out: byte offset in the arena, a multiple of align */
} runt_arena_buffer;

/* Scratch bytes runt_arena_place needs for n buffers (the arena layout never
 * allocates). Includes slack so the scratch pointer needs no alignment.
 * 0 for n <= 0; SIZE_MAX if the size does not fit a size_t. */
size_t runt_arena_scratch_size(int n);

/* Places every buffer (sets .offset); *arena_size = the bytes the arena needs,
 * rounded up to align. align: a power of two. buffers may be NULL when n is 0,
 * and scratch may be NULL when runt_arena_scratch_size(n) is 0.
 * Returns RUNT_E_INVALID_ARG for bad arguments (NULL pointers, n < 0, align
 * not a power of two, last < first, inplace_of out of range or not earlier,
 * scratch too small, sizes whose sum overflows size_t); then no offset and not
 * *arena_size is written. */
runt_status runt_arena_place(runt_arena_buffer *buffers, int n, size_t align,
                               void *scratch, size_t scratch_size, size_t *arena_size);

/* Sum of all sizes each rounded up to align: the plan with no reuse (for
 * reports and tests). SIZE_MAX if that overflows, or for bad arguments
 * (buffers NULL with n > 0, align not a power of two); 0 for n <= 0. */
size_t runt_arena_naive_size(const runt_arena_buffer *buffers, int n, size_t align);

#endif /* RUNT_ARENA_LAYOUT_H */
