/* The protobuf wire reader on its own: every wire type, packed and unpacked
 * repeated fields, groups, and every malformed form it must refuse with a
 * message naming the byte and the field. */
#include <stdlib.h>
#include <string.h>

#include "onnx/protobuf_wire.h"
#include "onnx_messages.h"
#include "rt_test.h"
#include "runt.h"
#include "test_util.h"

static const runt_pb_field_name test_fields[] = {
    {1, "count"}, {2, "blob"}, {3, "ratio"}, {4, "big"}, {5, "values"}, {0, NULL}};
static const runt_pb_message test_msg = {"TestProto", test_fields};

static runt_pb_reader reader_of(const pbw *w)
{
    return runt_pb_reader_make(w->p, w->n, "t.pb", &test_msg);
}

/* Reads every field; returns the status of the first failure. */
static runt_status read_all(const pbw *w, int *n_fields)
{
    runt_pb_reader r = reader_of(w);
    runt_pb_field f;
    runt_status s;
    *n_fields = 0;
    while ((s = runt_pb_next(&r, &f)) == RUNT_OK && f.number)
        (*n_fields)++;
    return s;
}

RT_TEST(pb_wire, varints_round_trip)
{
    rt_rng rng = rt_rng_make(11);
    uint64_t values[64] = {0, 1, 127, 128, 300, 16383, 16384, UINT32_MAX, (uint64_t)1 << 63,
                           UINT64_MAX};
    for (int i = 10; i < 64; i++)
        values[i] = rt_rng_next(&rng) >> (rt_rng_next(&rng) % 64);
    pbw w = {0};
    for (int i = 0; i < 64; i++) {
        runt_pb_put_tag(&w, 1, 0);
        runt_pb_put_varint(&w, values[i]);
    }
    runt_pb_reader r = reader_of(&w);
    runt_pb_field f;
    for (int i = 0; i < 64; i++) {
        RT_ASSERT(runt_pb_next(&r, &f) == RUNT_OK, "field %d: %s", i, runt_last_error());
        RT_ASSERT(f.number == 1 && f.wire == RUNT_PB_VARINT, "field %d: number %u wire %d", i,
                  f.number, (int)f.wire);
        RT_ASSERT(f.value == values[i], "varint %d: got %llu, want %llu", i,
                  (unsigned long long)f.value, (unsigned long long)values[i]);
    }
    RT_ASSERT(runt_pb_next(&r, &f) == RUNT_OK && f.number == 0, "end of message");
    runt_pb_writer_free(&w);
}

RT_TEST(pb_wire, every_wire_type_and_typed_getters)
{
    pbw w = {0};
    runt_pb_put_int(&w, 1, -42);
    runt_pb_put_str(&w, 2, "hello");
    runt_pb_put_float(&w, 3, 1.5f);
    runt_pb_put_tag(&w, 4, 1);
    runt_pb_put_fixed(&w, 0x1122334455667788ull, 8);
    runt_pb_reader r = reader_of(&w);
    runt_pb_field f;
    int64_t i64;
    float f32;
    const uint8_t *bytes;
    size_t len;
    RT_ASSERT(runt_pb_next(&r, &f) == RUNT_OK && runt_pb_int64(&r, &f, &i64) == RUNT_OK &&
              i64 == -42, "int64 field: %lld (%s)", (long long)i64, runt_last_error());
    RT_ASSERT(runt_pb_next(&r, &f) == RUNT_OK && runt_pb_bytes(&r, &f, &bytes, &len) == RUNT_OK &&
              len == 5 && memcmp(bytes, "hello", 5) == 0, "bytes field (%s)", runt_last_error());
    RT_ASSERT(runt_pb_next(&r, &f) == RUNT_OK && runt_pb_float(&r, &f, &f32) == RUNT_OK &&
              f32 == 1.5f, "float field: %g", (double)f32);
    RT_ASSERT(runt_pb_next(&r, &f) == RUNT_OK && f.wire == RUNT_PB_FIXED64 &&
              f.value == 0x1122334455667788ull, "fixed64 little-endian: %llx",
              (unsigned long long)f.value);
    /* A getter refuses the wrong wire type and names the field. */
    RT_ASSERT(runt_pb_float(&r, &f, &f32) == RUNT_E_BAD_MODEL, "fixed64 read as float");
    RT_ASSERT(strstr(runt_last_error(), "TestProto.big") && strstr(runt_last_error(), "byte "),
              "message names field and byte: %s", runt_last_error());
    runt_pb_writer_free(&w);
}

RT_TEST(pb_wire, packed_and_unpacked_repeated_fields_agree)
{
    rt_rng rng = rt_rng_make(12);
    int64_t ints[40];
    float floats[40];
    for (int i = 0; i < 40; i++) {
        ints[i] = rt_rng_int(&rng, -100000, 100000);
        floats[i] = (float)rt_rng_uniform(&rng, -3, 3);
    }
    for (int packed = 0; packed < 2; packed++) {
        pbw w = {0};
        /* Split in two occurrences: a reader must gather both. */
        pbw_ints(&w, 5, ints, 25, packed);
        pbw_floats(&w, 3, floats, 40, packed);
        pbw_ints(&w, 5, ints + 25, 15, !packed);
        runt_pb_reader r = reader_of(&w);
        runt_pb_field f;
        int ni = 0, nf = 0;
        while (runt_pb_next(&r, &f) == RUNT_OK && f.number) {
            runt_pb_values v;
            runt_pb_wire elem = f.number == 3 ? RUNT_PB_FIXED32 : RUNT_PB_VARINT;
            size_t count;
            uint64_t bits;
            int has;
            RT_ASSERT(runt_pb_values_begin(&r, &f, elem, &v) == RUNT_OK, "begin: %s",
                      runt_last_error());
            RT_ASSERT(runt_pb_values_count(&r, &v, &count) == RUNT_OK && count >= 1,
                      "count %zu", count);
            while (runt_pb_values_next(&r, &v, &bits, &has) == RUNT_OK && has) {
                if (f.number == 5) {
                    RT_ASSERT((int64_t)bits == ints[ni], "int %d: %lld vs %lld", ni,
                              (long long)(int64_t)bits, (long long)ints[ni]);
                    ni++;
                } else {
                    float x;
                    uint32_t b32 = (uint32_t)bits;
                    memcpy(&x, &b32, 4);
                    RT_ASSERT(x == floats[nf], "float %d: %g vs %g", nf, (double)x,
                              (double)floats[nf]);
                    nf++;
                }
            }
        }
        RT_ASSERT(ni == 40 && nf == 40, "packed=%d: read %d ints, %d floats", packed, ni, nf);
        runt_pb_writer_free(&w);
    }
}

RT_TEST(pb_wire, groups_are_skipped_whole)
{
    pbw w = {0};
    pbw_unknown_fields(&w);
    runt_pb_put_int(&w, 1, 9);
    int n;
    RT_ASSERT(read_all(&w, &n) == RUNT_OK, "unknown fields: %s", runt_last_error());
    /* Four non-group unknown fields, the group (skipped), then count. */
    RT_ASSERT(n == 5, "fields seen: %d", n);
    runt_pb_writer_free(&w);
}

RT_TEST(pb_wire, malformed_groups_are_refused)
{
    pbw stray = {0}, open = {0}, mismatch = {0};
    runt_pb_put_tag(&stray, 7, 4);
    runt_pb_put_tag(&open, 7, 3);
    runt_pb_put_int(&open, 1, 1);
    runt_pb_put_tag(&mismatch, 7, 3);
    runt_pb_put_tag(&mismatch, 8, 4);
    const pbw *cases[3] = {&stray, &open, &mismatch};
    const char *want[3] = {"without a group start", "group runs past the end", "does not match"};
    for (int i = 0; i < 3; i++) {
        int n;
        RT_ASSERT(read_all(cases[i], &n) == RUNT_E_BAD_MODEL, "case %d accepted", i);
        RT_ASSERT(strstr(runt_last_error(), want[i]), "case %d: %s", i, runt_last_error());
    }
    pbw deep = {0};
    for (int i = 0; i < 100; i++)
        runt_pb_put_tag(&deep, 7, 3);
    int n;
    /* Nesting past the reader's depth is a limit (runt_limits.max_nesting). */
    RT_ASSERT(read_all(&deep, &n) == RUNT_E_LIMIT && strstr(runt_last_error(), "deep"),
              "nesting limit: %s", runt_last_error());
    runt_pb_writer_free(&stray);
    runt_pb_writer_free(&open);
    runt_pb_writer_free(&mismatch);
    runt_pb_writer_free(&deep);
}

RT_TEST(pb_wire, bad_wire_types_and_field_numbers)
{
    for (int wire = 6; wire <= 7; wire++) {
        pbw w = {0};
        runt_pb_put_int(&w, 1, 3);
        runt_pb_put_tag(&w, 2, wire);
        int n;
        RT_ASSERT(read_all(&w, &n) == RUNT_E_BAD_MODEL, "wire type %d accepted", wire);
        RT_ASSERT(strstr(runt_last_error(), "wire type") && strstr(runt_last_error(), "byte 2"),
                  "wire %d: %s", wire, runt_last_error());
        runt_pb_writer_free(&w);
    }
    pbw zero = {0};
    runt_pb_put_tag(&zero, 0, 0);
    runt_pb_put_varint(&zero, 1);
    int n;
    RT_ASSERT(read_all(&zero, &n) == RUNT_E_BAD_MODEL && strstr(runt_last_error(), "field number"),
              "field 0: %s", runt_last_error());
    runt_pb_writer_free(&zero);
}

RT_TEST(pb_wire, overlong_and_truncated_varints)
{
    uint8_t eleven[12] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    uint8_t overflow[11] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
    uint8_t cut[3] = {0x08, 0xff, 0xff};
    const uint8_t *bufs[3] = {eleven, overflow, cut};
    size_t sizes[3] = {sizeof eleven, sizeof overflow, sizeof cut};
    for (int i = 0; i < 3; i++) {
        runt_pb_reader r = runt_pb_reader_make(bufs[i], sizes[i], "t.pb", &test_msg);
        runt_pb_field f;
        RT_ASSERT(runt_pb_next(&r, &f) == RUNT_E_BAD_MODEL, "case %d accepted", i);
        RT_ASSERT(strstr(runt_last_error(), "TestProto.count") &&
                  strstr(runt_last_error(), "byte 1"), "case %d: %s", i, runt_last_error());
    }
}

RT_TEST(pb_wire, lengths_past_the_end_name_field_and_offset)
{
    pbw w = {0};
    runt_pb_put_int(&w, 1, 1);
    runt_pb_put_tag(&w, 2, 2);
    runt_pb_put_varint(&w, 99999);
    runt_pb_put_raw(&w, "abc", 3);
    int n;
    RT_ASSERT(read_all(&w, &n) == RUNT_E_BAD_MODEL, "length past the end accepted");
    const char *e = runt_last_error();
    RT_ASSERT(strstr(e, "t.pb: byte 2: TestProto.blob: length 99999 runs past the end"),
              "message: %s", e);
    /* A 2^62 length must not wrap around any offset arithmetic. */
    pbw huge = {0};
    runt_pb_put_tag(&huge, 2, 2);
    runt_pb_put_varint(&huge, (uint64_t)1 << 62);
    RT_ASSERT(read_all(&huge, &n) == RUNT_E_BAD_MODEL, "huge length accepted");
    runt_pb_writer_free(&w);
    runt_pb_writer_free(&huge);
}

RT_TEST(pb_wire, sub_messages_stay_inside_their_parent)
{
    /* The inner field claims 4 bytes; the buffer has them, its parent not. */
    pbw inner = {0}, outer = {0};
    runt_pb_put_tag(&inner, 2, 2);
    runt_pb_put_varint(&inner, 4);
    pbw_msg(&outer, 2, &inner);
    runt_pb_put_raw(&outer, "wxyz", 4);
    runt_pb_reader r = reader_of(&outer);
    runt_pb_field f;
    RT_ASSERT(runt_pb_next(&r, &f) == RUNT_OK && f.number == 2, "outer: %s", runt_last_error());
    runt_pb_reader sub = runt_pb_reader_sub(&r, &f, &test_msg);
    RT_ASSERT(runt_pb_next(&sub, &f) == RUNT_E_BAD_MODEL, "inner read past its parent");
    runt_pb_writer_free(&outer);
}

RT_TEST(pb_wire, malformed_packed_payloads)
{
    pbw odd = {0};
    runt_pb_put_bytes(&odd, 3, "abcde", 5); /* 5 bytes of fixed32 */
    runt_pb_reader r = reader_of(&odd);
    runt_pb_field f;
    runt_pb_values v;
    size_t count;
    RT_ASSERT(runt_pb_next(&r, &f) == RUNT_OK, "read: %s", runt_last_error());
    RT_ASSERT(runt_pb_values_begin(&r, &f, RUNT_PB_FIXED32, &v) == RUNT_E_BAD_MODEL &&
              strstr(runt_last_error(), "multiple of 4"), "odd packed fixed32: %s",
              runt_last_error());
    pbw cut = {0};
    uint8_t payload[3] = {0x01, 0x80, 0x80}; /* the last varint never ends */
    runt_pb_put_bytes(&cut, 5, payload, 3);
    r = reader_of(&cut);
    RT_ASSERT(runt_pb_next(&r, &f) == RUNT_OK &&
              runt_pb_values_begin(&r, &f, RUNT_PB_VARINT, &v) == RUNT_OK, "begin");
    RT_ASSERT(runt_pb_values_count(&r, &v, &count) == RUNT_E_BAD_MODEL, "cut packed varint counted");
    uint64_t bits;
    int has;
    RT_ASSERT(runt_pb_values_next(&r, &v, &bits, &has) == RUNT_OK && has && bits == 1, "first");
    RT_ASSERT(runt_pb_values_next(&r, &v, &bits, &has) == RUNT_E_BAD_MODEL, "cut varint read");
    /* A repeated varint field given as 32-bit is refused. */
    pbw wrong = {0};
    runt_pb_put_float(&wrong, 5, 1.0f);
    r = reader_of(&wrong);
    RT_ASSERT(runt_pb_next(&r, &f) == RUNT_OK &&
              runt_pb_values_begin(&r, &f, RUNT_PB_VARINT, &v) == RUNT_E_BAD_MODEL,
              "32-bit as varint accepted");
    runt_pb_writer_free(&odd);
    runt_pb_writer_free(&cut);
    runt_pb_writer_free(&wrong);
}
