/*
 * protobuf_wire.h — a reader of the protobuf wire format, enough for ONNX.
 *
 * There is no schema and no code generation: the caller walks a message field
 * by field and decides what each field number means. Every tag, varint and
 * length is checked against the end of the enclosing message before it is
 * used, so a truncated or corrupted input yields an error, never a read out of
 * bounds. Errors name the source, the byte offset and the field:
 *   "model.onnx: byte 1234: GraphProto.node: length 99999 runs past the end ..."
 *
 * The reader allocates nothing; payloads are returned as offsets into the
 * caller's buffer.
 */
#ifndef RUNT_PROTOBUF_WIRE_H
#define RUNT_PROTOBUF_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "runt-backend.h"

typedef enum runt_pb_wire {
    RUNT_PB_VARINT = 0,
    RUNT_PB_FIXED64 = 1,
    RUNT_PB_LEN = 2,          /* strings, bytes, messages, packed repeated scalars */
    RUNT_PB_GROUP_START = 3,  /* deprecated groups: skipped whole by runt_pb_next */
    RUNT_PB_GROUP_END = 4,
    RUNT_PB_FIXED32 = 5
} runt_pb_wire;

/* A field's name for messages; a message's table ends with {0, NULL}. */
typedef struct runt_pb_field_name {
    uint32_t number;
    const char *name;
} runt_pb_field_name;

/* What a reader is reading, for messages: "GraphProto" and its fields. */
typedef struct runt_pb_message {
    const char *name;
    const runt_pb_field_name *fields;
} runt_pb_message;

/* One message being read: the bytes [pos, end) of buf. */
typedef struct runt_pb_reader {
    const uint8_t *buf;        /* the whole input; offsets count from its start */
    size_t size;
    size_t pos, end;
    const char *source;        /* "model.onnx", for messages                     */
    const runt_pb_message *msg;
    int max_depth;             /* groups nested deeper are refused, RUNT_E_LIMIT;
                                  at most RUNT_PB_MAX_GROUP_DEPTH (the default)   */
} runt_pb_reader;

typedef struct runt_pb_field {
    uint32_t number;           /* 0: the message has ended                     */
    runt_pb_wire wire;
    size_t at;                 /* offset of the tag                            */
    uint64_t value;            /* VARINT, FIXED64, FIXED32 (the raw bits)      */
    size_t offset, len;        /* LEN: where the payload starts, its length    */
} runt_pb_field;

/* The deepest group nesting a reader follows. */
#define RUNT_PB_MAX_GROUP_DEPTH 64

/* A reader of the top-level message in buf[0, size). */
runt_pb_reader runt_pb_reader_make(const void *buf, size_t size, const char *source,
                                   const runt_pb_message *msg);

/* A reader of the message in a LEN field f read by r. */
runt_pb_reader runt_pb_reader_sub(const runt_pb_reader *r, const runt_pb_field *f,
                                  const runt_pb_message *msg);

/* Reads the next field into *f; f->number is 0 at the end of the message.
 * Groups are skipped whole (ONNX has none). */
runt_status runt_pb_next(runt_pb_reader *r, runt_pb_field *f);

/* Reads the rest of r's message: each field, in order, goes to
 * field(r, f, ctx), which reads it or leaves it (a field left is skipped, as
 * protobuf requires of unknown ones); the first status other than RUNT_OK
 * ends the read and is returned. */
typedef runt_status runt_pb_field_fn(runt_pb_reader *r, const runt_pb_field *f, void *ctx);
runt_status runt_pb_fields(runt_pb_reader *r, runt_pb_field_fn *field, void *ctx);

/* RUNT_E_BAD_MODEL naming the field unless f has wire type w. */
runt_status runt_pb_expect(const runt_pb_reader *r, const runt_pb_field *f, runt_pb_wire w);

/* Typed values of singular fields; each checks the wire type. */
runt_status runt_pb_int64(const runt_pb_reader *r, const runt_pb_field *f, int64_t *out);
runt_status runt_pb_float(const runt_pb_reader *r, const runt_pb_field *f, float *out);
runt_status runt_pb_bytes(const runt_pb_reader *r, const runt_pb_field *f, const uint8_t **data,
                          size_t *len);

/* The elements of one occurrence of a repeated scalar field, packed (one LEN
 * field holding many elements) or not (the field is one element); protobuf
 * parsers must accept both. elem is VARINT, FIXED32 or FIXED64. */
typedef struct runt_pb_values {
    runt_pb_wire elem;
    uint32_t number;
    size_t at;                 /* the field's tag, for messages      */
    size_t pos, end;           /* packed: the payload still to read  */
    int packed, single_left;
    uint64_t single;
} runt_pb_values;

runt_status runt_pb_values_begin(const runt_pb_reader *r, const runt_pb_field *f,
                                 runt_pb_wire elem, runt_pb_values *v);
/* Number of elements not yet read (scans a packed varint payload). */
runt_status runt_pb_values_count(const runt_pb_reader *r, const runt_pb_values *v, size_t *n);
/* *has is 0 when no element is left; otherwise *bits holds the next one. */
runt_status runt_pb_values_next(const runt_pb_reader *r, runt_pb_values *v, uint64_t *bits,
                                int *has);

/* Every element of every occurrence of the repeated scalar field `number`
 * in the rest of r's message, in order, to value(r, v, i, bits, ctx), i
 * counting the elements from 0; other fields are skipped. The first status
 * other than RUNT_OK ends the read and is returned. */
typedef runt_status runt_pb_value_fn(const runt_pb_reader *r, const runt_pb_values *v, size_t i,
                                     uint64_t bits, void *ctx);
runt_status runt_pb_repeated(runt_pb_reader *r, uint32_t number, runt_pb_wire elem,
                             runt_pb_value_fn *value, void *ctx);

/* Sets an error "source: byte AT: Message.field: <fmt ...>" and returns s.
 * number 0 names only the message. */
runt_status runt_pb_error(const runt_pb_reader *r, size_t at, uint32_t number, runt_status s,
                          const char *fmt, ...) RUNT_PRINTF_FORMAT(5, 6);

/* "GraphProto.node", or "GraphProto field 99" for a field without a name. */
const char *runt_pb_field_label(const runt_pb_message *msg, uint32_t number, char *buf,
                                size_t size);

#endif /* RUNT_PROTOBUF_WIRE_H */
