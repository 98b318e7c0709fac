/*
 * The protobuf wire format (protobuf.dev/programming-guides/encoding): a
 * message is a sequence of fields, each a varint tag (field number << 3 | wire
 * type) followed by a varint, 8 bytes, a varint length and that many bytes,
 * or 4 bytes. Nothing here trusts a length: every read is checked against the
 * end of the message that holds it.
 */
#include "protobuf_wire.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

/* The spec limits field numbers to 29 bits. */
#define RUNT_PB_MAX_FIELD 0x1FFFFFFFu

static const char *runt_pb_wire_name(unsigned wire)
{
    static const char *const names[] = {"varint", "64-bit", "length-delimited", "group start",
                                        "group end", "32-bit"};
    return wire < 6 ? names[wire] : "invalid";
}

const char *runt_pb_field_label(const runt_pb_message *msg, uint32_t number, char *buf,
                                size_t size)
{
    const char *mname = msg && msg->name ? msg->name : "message";
    if (number && msg && msg->fields)
        for (const runt_pb_field_name *f = msg->fields; f->name; f++)
            if (f->number == number) {
                snprintf(buf, size, "%s.%s", mname, f->name);
                return buf;
            }
    if (number)
        snprintf(buf, size, "%s field %u", mname, (unsigned)number);
    else
        snprintf(buf, size, "%s", mname);
    return buf;
}

runt_status runt_pb_error(const runt_pb_reader *r, size_t at, uint32_t number, runt_status s,
                          const char *fmt, ...)
{
    char label[128], what[RUNT_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return runt_error_set(s, "%s: byte %zu: %s: %s", r->source ? r->source : "onnx", at,
                          runt_pb_field_label(r->msg, number, label, sizeof label), what);
}

static runt_status runt_pb_past_end(const runt_pb_reader *r, size_t at, uint32_t number,
                                    const char *what)
{
    return runt_pb_error(r, at, number, RUNT_E_BAD_MODEL,
                         "%s runs past the end (%s ends at byte %zu, size %zu)", what,
                         r->msg && r->msg->name ? r->msg->name : "message", r->end, r->size);
}

/* A base-128 varint at *pos, at most 10 bytes, ending before end. */
static runt_status runt_pb_varint(const runt_pb_reader *r, size_t *pos, size_t end,
                                  uint32_t number, uint64_t *out)
{
    size_t start = *pos;
    uint64_t v = 0;
    for (int i = 0; i < 10; i++) {
        if (*pos >= end)
            return runt_pb_past_end(r, start, number, "varint");
        uint8_t byte = r->buf[(*pos)++];
        /* The 10th byte holds bit 63 only; more would not fit 64 bits. */
        if (i == 9 && byte > 1)
            return runt_pb_error(r, start, number, RUNT_E_BAD_MODEL,
                                 "varint does not fit in 64 bits");
        v |= (uint64_t)(byte & 0x7f) << (7 * i);
        if (!(byte & 0x80)) {
            *out = v;
            return RUNT_OK;
        }
    }
    return RUNT_OK; /* not reached: the 10th byte either ends the varint or fails */
}

static uint64_t runt_pb_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* The value of a field whose tag has been read: r->pos is just after the tag. */
static runt_status runt_pb_value(runt_pb_reader *r, runt_pb_field *f)
{
    size_t left = r->end - r->pos;
    switch (f->wire) {
    case RUNT_PB_VARINT:
        return runt_pb_varint(r, &r->pos, r->end, f->number, &f->value);
    case RUNT_PB_FIXED64:
    case RUNT_PB_FIXED32: {
        int n = f->wire == RUNT_PB_FIXED64 ? 8 : 4;
        if (left < (size_t)n)
            return runt_pb_past_end(r, f->at, f->number,
                                    n == 8 ? "64-bit value" : "32-bit value");
        f->value = runt_pb_le(r->buf + r->pos, n);
        r->pos += (size_t)n;
        return RUNT_OK;
    }
    case RUNT_PB_LEN: {
        uint64_t len = 0;
        runt_status s = runt_pb_varint(r, &r->pos, r->end, f->number, &len);
        if (s != RUNT_OK)
            return s;
        left = r->end - r->pos;
        if (len > left)
            return runt_pb_error(r, f->at, f->number, RUNT_E_BAD_MODEL,
                                 "length %llu runs past the end (%s ends at byte %zu, size %zu)",
                                 (unsigned long long)len,
                                 r->msg && r->msg->name ? r->msg->name : "message", r->end,
                                 r->size);
        f->offset = r->pos;
        f->len = (size_t)len;
        r->pos += (size_t)len;
        return RUNT_OK;
    }
    default:
        return RUNT_OK; /* groups carry no value of their own */
    }
}

static runt_status runt_pb_tag(runt_pb_reader *r, runt_pb_field *f)
{
    uint64_t tag = 0;
    memset(f, 0, sizeof *f);
    f->at = r->pos;
    runt_status s = runt_pb_varint(r, &r->pos, r->end, 0, &tag);
    if (s != RUNT_OK)
        return s;
    if ((tag >> 3) == 0 || (tag >> 3) > RUNT_PB_MAX_FIELD)
        return runt_pb_error(r, f->at, 0, RUNT_E_BAD_MODEL, "field number %llu is invalid",
                             (unsigned long long)(tag >> 3));
    f->number = (uint32_t)(tag >> 3);
    f->wire = (runt_pb_wire)(tag & 7);
    if (f->wire > RUNT_PB_FIXED32)
        return runt_pb_error(r, f->at, f->number, RUNT_E_BAD_MODEL,
                             "wire type %d is not a protobuf wire type", (int)f->wire);
    return RUNT_OK;
}

/* Skips a group whose start tag `start` has been read, up to its end tag. */
static runt_status runt_pb_skip_group(runt_pb_reader *r, const runt_pb_field *start)
{
    uint32_t open[RUNT_PB_MAX_GROUP_DEPTH];
    int depth = 0;
    int max_depth = r->max_depth > 0 && r->max_depth < RUNT_PB_MAX_GROUP_DEPTH
                        ? r->max_depth : RUNT_PB_MAX_GROUP_DEPTH;
    open[depth++] = start->number;
    while (depth > 0) {
        runt_pb_field f;
        if (r->pos >= r->end)
            return runt_pb_past_end(r, start->at, start->number, "group");
        runt_status s = runt_pb_tag(r, &f);
        if (s == RUNT_OK)
            s = runt_pb_value(r, &f);
        if (s != RUNT_OK)
            return s;
        if (f.wire == RUNT_PB_GROUP_START) {
            /* Deeper nesting of (deprecated) groups is refused rather than followed. */
            if (depth == max_depth)
                return runt_pb_error(r, f.at, f.number, RUNT_E_LIMIT, "groups nested more than "
                                     "%d deep (runt_limits.max_nesting)", max_depth);
            open[depth++] = f.number;
        } else if (f.wire == RUNT_PB_GROUP_END) {
            if (f.number != open[depth - 1])
                return runt_pb_error(r, f.at, f.number, RUNT_E_BAD_MODEL,
                                     "group end does not match the group started as field %u",
                                     (unsigned)open[depth - 1]);
            depth--;
        }
    }
    return RUNT_OK;
}

runt_pb_reader runt_pb_reader_make(const void *buf, size_t size, const char *source,
                                   const runt_pb_message *msg)
{
    runt_pb_reader r = {(const uint8_t *)buf, size, 0, size, source, msg,
                        RUNT_PB_MAX_GROUP_DEPTH};
    return r;
}

runt_pb_reader runt_pb_reader_sub(const runt_pb_reader *r, const runt_pb_field *f,
                                  const runt_pb_message *msg)
{
    runt_pb_reader sub = *r;
    sub.pos = f->offset;
    sub.end = f->offset + f->len;
    sub.msg = msg;
    return sub;
}

runt_status runt_pb_next(runt_pb_reader *r, runt_pb_field *f)
{
    for (;;) {
        if (r->pos >= r->end) {
            memset(f, 0, sizeof *f);
            f->at = r->end;
            return RUNT_OK;
        }
        runt_status s = runt_pb_tag(r, f);
        if (s == RUNT_OK)
            s = runt_pb_value(r, f);
        if (s != RUNT_OK)
            return s;
        if (f->wire == RUNT_PB_GROUP_END)
            return runt_pb_error(r, f->at, f->number, RUNT_E_BAD_MODEL,
                                 "group end without a group start");
        if (f->wire != RUNT_PB_GROUP_START)
            return RUNT_OK;
        if ((s = runt_pb_skip_group(r, f)) != RUNT_OK)
            return s;
    }
}

runt_status runt_pb_fields(runt_pb_reader *r, runt_pb_field_fn *field, void *ctx)
{
    runt_pb_field f;
    runt_status s;
    while ((s = runt_pb_next(r, &f)) == RUNT_OK && f.number)
        if ((s = field(r, &f, ctx)) != RUNT_OK)
            return s;
    return s;
}

runt_status runt_pb_expect(const runt_pb_reader *r, const runt_pb_field *f, runt_pb_wire w)
{
    if (f->wire == w)
        return RUNT_OK;
    return runt_pb_error(r, f->at, f->number, RUNT_E_BAD_MODEL, "wire type %d (%s), expected %d (%s)",
                         (int)f->wire, runt_pb_wire_name(f->wire), (int)w, runt_pb_wire_name(w));
}

runt_status runt_pb_int64(const runt_pb_reader *r, const runt_pb_field *f, int64_t *out)
{
    runt_status s = runt_pb_expect(r, f, RUNT_PB_VARINT);
    if (s == RUNT_OK)
        *out = (int64_t)f->value; /* int32 and int64 fields both sign-extend to 64 bits */
    return s;
}

runt_status runt_pb_float(const runt_pb_reader *r, const runt_pb_field *f, float *out)
{
    runt_status s = runt_pb_expect(r, f, RUNT_PB_FIXED32);
    if (s == RUNT_OK) {
        uint32_t bits = (uint32_t)f->value;
        memcpy(out, &bits, sizeof *out);
    }
    return s;
}

runt_status runt_pb_bytes(const runt_pb_reader *r, const runt_pb_field *f, const uint8_t **data,
                          size_t *len)
{
    runt_status s = runt_pb_expect(r, f, RUNT_PB_LEN);
    if (s == RUNT_OK) {
        *data = r->buf + f->offset;
        *len = f->len;
    }
    return s;
}

static size_t runt_pb_fixed_width(runt_pb_wire elem)
{
    return elem == RUNT_PB_FIXED64 ? 8 : elem == RUNT_PB_FIXED32 ? 4 : 0;
}

runt_status runt_pb_values_begin(const runt_pb_reader *r, const runt_pb_field *f,
                                 runt_pb_wire elem, runt_pb_values *v)
{
    memset(v, 0, sizeof *v);
    v->elem = elem;
    v->number = f->number;
    v->at = f->at;
    if (f->wire == elem) {
        v->single = f->value;
        v->single_left = 1;
        return RUNT_OK;
    }
    if (f->wire != RUNT_PB_LEN)
        return runt_pb_error(r, f->at, f->number, RUNT_E_BAD_MODEL,
                             "wire type %d (%s), expected %s or packed", (int)f->wire,
                             runt_pb_wire_name(f->wire), runt_pb_wire_name(elem));
    size_t width = runt_pb_fixed_width(elem);
    if (width && f->len % width)
        return runt_pb_error(r, f->at, f->number, RUNT_E_BAD_MODEL,
                             "packed length %zu is not a multiple of %zu", f->len, width);
    v->packed = 1;
    v->pos = f->offset;
    v->end = f->offset + f->len;
    return RUNT_OK;
}

runt_status runt_pb_values_count(const runt_pb_reader *r, const runt_pb_values *v, size_t *n)
{
    if (!v->packed) {
        *n = (size_t)v->single_left;
        return RUNT_OK;
    }
    size_t width = runt_pb_fixed_width(v->elem);
    if (width) {
        *n = (v->end - v->pos) / width;
        return RUNT_OK;
    }
    /* Each varint ends in the one byte without the continuation bit. */
    size_t count = 0;
    for (size_t i = v->pos; i < v->end; i++)
        count += !(r->buf[i] & 0x80);
    if (v->end > v->pos && (r->buf[v->end - 1] & 0x80))
        return runt_pb_error(r, v->at, v->number, RUNT_E_BAD_MODEL,
                             "the last packed varint runs past the end of the field (byte %zu)",
                             v->end);
    *n = count;
    return RUNT_OK;
}

runt_status runt_pb_values_next(const runt_pb_reader *r, runt_pb_values *v, uint64_t *bits,
                                int *has)
{
    *has = 0;
    if (!v->packed) {
        if (v->single_left) {
            v->single_left = 0;
            *bits = v->single;
            *has = 1;
        }
        return RUNT_OK;
    }
    if (v->pos >= v->end)
        return RUNT_OK;
    size_t width = runt_pb_fixed_width(v->elem);
    if (width) {
        *bits = runt_pb_le(r->buf + v->pos, (int)width);
        v->pos += width;
    } else {
        runt_status s = runt_pb_varint(r, &v->pos, v->end, v->number, bits);
        if (s != RUNT_OK)
            return s;
    }
    *has = 1;
    return RUNT_OK;
}

runt_status runt_pb_repeated(runt_pb_reader *r, uint32_t number, runt_pb_wire elem,
                             runt_pb_value_fn *value, void *ctx)
{
    runt_pb_field f;
    runt_status s;
    size_t i = 0;
    while ((s = runt_pb_next(r, &f)) == RUNT_OK && f.number) {
        if (f.number != number)
            continue;
        runt_pb_values v;
        uint64_t bits;
        int has;
        s = runt_pb_values_begin(r, &f, elem, &v);
        while (s == RUNT_OK && (s = runt_pb_values_next(r, &v, &bits, &has)) == RUNT_OK && has)
            s = value(r, &v, i++, bits, ctx);
        if (s != RUNT_OK)
            return s;
    }
    return s;
}
