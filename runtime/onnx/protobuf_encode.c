/*
 * The protobuf wire-format writer (protobuf_encode.h). It is apart from the
 * reader (protobuf_wire.c) because the two share only the wire types: the
 * reader checks untrusted bytes and allocates nothing, the writer grows a
 * buffer. onnx_writer.c encodes models with it, and the tests build their
 * ONNX inputs with it.
 */
#include "protobuf_encode.h"

#include <string.h>

#include "alloc.h"

/* Room left for a length in front of a message: a varint of up to 5 bytes
 * holds any length below 2^35, beyond anything a buffer here holds. */
#define RUNT_PB_LEN_ROOM 5

void runt_pb_writer_free(runt_pb_writer *w)
{
    runt_free(w->alloc, w->p);
    w->p = NULL;
    w->n = w->cap = 0;
    w->oom = 0;
}

void runt_pb_put_raw(runt_pb_writer *w, const void *data, size_t n)
{
    if (w->oom)
        return;
    if (n > w->cap - w->n) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap - w->n < n) {
            if (cap > (size_t)-1 / 2) {
                w->oom = 1;
                return;
            }
            cap *= 2;
        }
        uint8_t *p = runt_alloc(w->alloc, cap);
        if (!p) {
            w->oom = 1;
            return;
        }
        if (w->n)
            memcpy(p, w->p, w->n);
        runt_free(w->alloc, w->p);
        w->p = p;
        w->cap = cap;
    }
    if (n)
        memcpy(w->p + w->n, data, n);
    w->n += n;
}

static size_t runt_pb_varint_bytes(uint64_t v, uint8_t *b)
{
    size_t n = 0;
    do {
        b[n] = (uint8_t)(v & 0x7F);
        v >>= 7;
        if (v)
            b[n] |= 0x80;
        n++;
    } while (v);
    return n;
}

void runt_pb_put_varint(runt_pb_writer *w, uint64_t v)
{
    uint8_t b[10];
    runt_pb_put_raw(w, b, runt_pb_varint_bytes(v, b));
}

void runt_pb_put_fixed(runt_pb_writer *w, uint64_t bits, int bytes)
{
    uint8_t b[8];
    for (int i = 0; i < bytes && i < 8; i++)
        b[i] = (uint8_t)(bits >> (8 * i));
    runt_pb_put_raw(w, b, (size_t)(bytes < 8 ? bytes : 8));
}

void runt_pb_put_tag(runt_pb_writer *w, uint32_t field, runt_pb_wire wire)
{
    runt_pb_put_varint(w, (uint64_t)field << 3 | (uint64_t)wire);
}

void runt_pb_put_int(runt_pb_writer *w, uint32_t field, int64_t v)
{
    runt_pb_put_tag(w, field, RUNT_PB_VARINT);
    runt_pb_put_varint(w, (uint64_t)v);
}

void runt_pb_put_float(runt_pb_writer *w, uint32_t field, float f)
{
    uint32_t bits;
    memcpy(&bits, &f, 4);
    runt_pb_put_tag(w, field, RUNT_PB_FIXED32);
    runt_pb_put_fixed(w, bits, 4);
}

void runt_pb_put_bytes(runt_pb_writer *w, uint32_t field, const void *data, size_t n)
{
    runt_pb_put_tag(w, field, RUNT_PB_LEN);
    runt_pb_put_varint(w, n);
    runt_pb_put_raw(w, data, n);
}

void runt_pb_put_str(runt_pb_writer *w, uint32_t field, const char *s)
{
    runt_pb_put_bytes(w, field, s, strlen(s));
}

size_t runt_pb_begin(runt_pb_writer *w, uint32_t field)
{
    static const uint8_t room[RUNT_PB_LEN_ROOM];
    runt_pb_put_tag(w, field, RUNT_PB_LEN);
    runt_pb_put_raw(w, room, sizeof room);
    return w->n;
}

/* The length goes into the room left in front, and the body moves back over
 * what the length did not use. */
void runt_pb_end(runt_pb_writer *w, size_t body)
{
    if (w->oom)
        return;
    uint8_t b[10];
    size_t len = w->n - body, k = runt_pb_varint_bytes(len, b);
    uint8_t *at = w->p + body - RUNT_PB_LEN_ROOM;
    memcpy(at, b, k);
    memmove(at + k, w->p + body, len);
    w->n -= RUNT_PB_LEN_ROOM - k;
}
