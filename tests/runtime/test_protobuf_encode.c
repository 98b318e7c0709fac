/* The protobuf encoder on its own, against bytes written out by hand from the
 * wire-format specification, so that neither the reader's tests (which build
 * their inputs with it) nor the ONNX writer's round trips rest on the encoder
 * agreeing with itself: varints, negative ints, fixed-width fields, the
 * in-place length of a sub-message at every length size, and an allocation
 * failure. */
#include <stdint.h>
#include <string.h>

#include "onnx/protobuf_encode.h"
#include "rt_test.h"
#include "runt.h"

static void expect_bytes(const runt_pb_writer *w, const uint8_t *want, size_t n, const char *what)
{
    RT_ASSERT(!w->oom, "%s: out of memory", what);
    RT_ASSERT(w->n == n, "%s: %zu bytes, want %zu", what, w->n, n);
    for (size_t i = 0; i < n; i++)
        RT_ASSERT(w->p[i] == want[i], "%s: byte %zu is 0x%02x, want 0x%02x", what, i, w->p[i],
                  want[i]);
}

RT_TEST(pb_encode, scalar_fields_match_the_specification)
{
    runt_pb_writer w = {0};
    runt_pb_put_int(&w, 1, 150);         /* the specification's own example */
    runt_pb_put_int(&w, 2, -1);          /* ten bytes, as int64 sign-extends */
    runt_pb_put_float(&w, 3, 1.0f);      /* 0x3f800000, little-endian        */
    runt_pb_put_str(&w, 4, "hi");
    runt_pb_put_tag(&w, 5, RUNT_PB_FIXED64);
    runt_pb_put_fixed(&w, 0x0102030405060708ull, 8);
    runt_pb_put_varint(&w, 300);
    static const uint8_t want[] = {
        0x08, 0x96, 0x01,
        0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        0x1d, 0x00, 0x00, 0x80, 0x3f,
        0x22, 0x02, 'h', 'i',
        0x29, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
        0xac, 0x02};
    expect_bytes(&w, want, sizeof want, "scalars");
    runt_pb_writer_free(&w);
    RT_ASSERT(w.p == NULL && w.n == 0, "freed writer is empty");
}

/* A sub-message's length is written in front of its body afterwards; the
 * room left for it shrinks to the varint's size, whatever that is. */
RT_TEST(pb_encode, sub_message_lengths_at_every_varint_size)
{
    static const size_t lengths[] = {0, 1, 127, 128, 16383, 16384, 70000};
    for (size_t k = 0; k < sizeof lengths / sizeof lengths[0]; k++) {
        size_t len = lengths[k];
        runt_pb_writer w = {0};
        runt_pb_put_int(&w, 1, 7);
        size_t body = runt_pb_begin(&w, 2);
        for (size_t i = 0; i < len; i++) {
            uint8_t b = (uint8_t)(i * 31);
            runt_pb_put_raw(&w, &b, 1);
        }
        runt_pb_end(&w, body);
        runt_pb_put_int(&w, 3, 1);
        size_t len_bytes = len < 128 ? 1 : len < 16384 ? 2 : 3;
        RT_ASSERT(!w.oom && w.n == 2 + 1 + len_bytes + len + 2, "length %zu: %zu bytes", len,
                  w.n);
        RT_ASSERT(w.p[0] == 0x08 && w.p[1] == 7 && w.p[2] == 0x12, "length %zu: head", len);
        size_t got = 0;
        for (size_t i = 0; i < len_bytes; i++)
            got |= (size_t)(w.p[3 + i] & 0x7f) << (7 * i);
        RT_ASSERT(got == len, "length %zu written as %zu", len, got);
        for (size_t i = 0; i < len; i++)
            RT_ASSERT(w.p[3 + len_bytes + i] == (uint8_t)(i * 31), "length %zu: body byte %zu",
                      len, i);
        RT_ASSERT(w.p[w.n - 2] == 0x18 && w.p[w.n - 1] == 1, "length %zu: tail", len);
        runt_pb_writer_free(&w);
    }
}

static void *refuse_alloc(void *user, size_t size, size_t alignment)
{
    (void)user;
    (void)size;
    (void)alignment;
    return NULL;
}

static void never_free(void *user, void *p)
{
    (void)user;
    (void)p;
}

/* A failed allocation is remembered and later writes do nothing, so a caller
 * checks once at the end. */
RT_TEST(pb_encode, allocation_failure_is_sticky)
{
    const runt_allocator none = {refuse_alloc, never_free, NULL};
    runt_pb_writer w = {0};
    w.alloc = &none;
    size_t body = runt_pb_begin(&w, 1);
    runt_pb_put_str(&w, 2, "lost");
    runt_pb_end(&w, body);
    RT_ASSERT(w.oom && w.n == 0 && w.p == NULL, "oom %d, %zu bytes", w.oom, w.n);
    runt_pb_writer_free(&w);
    RT_ASSERT(!w.oom && w.alloc == &none, "freed writer keeps its allocator, clears oom");
}
