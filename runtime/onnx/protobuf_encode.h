/*
 * protobuf_encode.h — a writer of the protobuf wire format, the counterpart
 * of protobuf_wire.h's reader, and like it schema-free: the caller writes
 * field by field with the numbers of its .proto.
 *
 * Bytes go to one growing buffer from the writer's allocator. A failed
 * allocation sets oom and turns every later call into a no-op, so a caller
 * writes a whole message and checks once at the end. A length-delimited
 * message is written in place (runt_pb_begin / runt_pb_end) and its length
 * put in front afterwards, so nothing is encoded twice.
 */
#ifndef RUNT_PROTOBUF_ENCODE_H
#define RUNT_PROTOBUF_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "protobuf_wire.h"
#include "runt.h"

/* All zero is an empty writer on the C library's allocator. */
typedef struct runt_pb_writer {
    const runt_allocator *alloc;   /* NULL: the C library              */
    uint8_t *p;                    /* the bytes written, n of them     */
    size_t n, cap;
    /* An allocation failed: the bytes are incomplete and later writes do
     * nothing. */
    int oom;
} runt_pb_writer;

/* Frees the bytes and leaves an empty writer on the same allocator. */
void runt_pb_writer_free(runt_pb_writer *w);

/* Bytes as they are, with no tag: a payload, or a deliberately odd input. */
void runt_pb_put_raw(runt_pb_writer *w, const void *data, size_t n);
void runt_pb_put_varint(runt_pb_writer *w, uint64_t v);
/* The low `bytes` bytes (1 to 8) of bits, little-endian: FIXED32/FIXED64
 * payloads and raw tensor elements. */
void runt_pb_put_fixed(runt_pb_writer *w, uint64_t bits, int bytes);
void runt_pb_put_tag(runt_pb_writer *w, uint32_t field, runt_pb_wire wire);

/* Whole fields. int32 and int64 values: a negative one is its 64-bit two's
 * complement (10 bytes), as protobuf writes it. */
void runt_pb_put_int(runt_pb_writer *w, uint32_t field, int64_t v);
void runt_pb_put_float(runt_pb_writer *w, uint32_t field, float f);
void runt_pb_put_bytes(runt_pb_writer *w, uint32_t field, const void *data, size_t n);
void runt_pb_put_str(runt_pb_writer *w, uint32_t field, const char *s);

/* Opens a sub-message of field; returns where its body starts, for
 * runt_pb_end, which puts the body's length in front of it. */
size_t runt_pb_begin(runt_pb_writer *w, uint32_t field);
void runt_pb_end(runt_pb_writer *w, size_t body);

#endif /* RUNT_PROTOBUF_ENCODE_H */
