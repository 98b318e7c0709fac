/*
 * Tensor data of an ONNX TensorProto, in one of its three forms:
 *   raw_data      fixed-width little-endian bytes (what exporters write);
 *   typed fields  float_data, int32_data (also INT8/UINT8), int64_data,
 *                 packed or one element per field;
 *   external      data_location = EXTERNAL: bytes in a file next to the model
 *                 (external_data: location, offset, length).
 * The element count is checked against the dims before anything is
 * allocated, so a corrupted dim cannot ask for a huge buffer.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "onnx_impl.h"

#if !defined(RUNT_BARE_METAL)
#include <errno.h>
#endif

/* data points here for tensors with no elements (the builder wants non-NULL). */
static const int64_t runt_onnx_empty = 0;

runt_status runt_onnx_dtype(int64_t onnx_type, runt_dtype *out)
{
    switch (onnx_type) {
    case RUNT_ONNX_FLOAT: *out = RUNT_F32; return RUNT_OK;
    case RUNT_ONNX_UINT8: *out = RUNT_U8; return RUNT_OK;
    case RUNT_ONNX_INT8: *out = RUNT_I8; return RUNT_OK;
    case RUNT_ONNX_INT32: *out = RUNT_I32; return RUNT_OK;
    case RUNT_ONNX_INT64: *out = RUNT_I64; return RUNT_OK;
    default: return RUNT_E_UNSUPPORTED;
    }
}

const char *runt_onnx_type_name(int64_t t)
{
    static const char *const names[] = {
        "UNDEFINED", "FLOAT",     "UINT8",      "INT8",        "UINT16",       "INT16",
        "INT32",     "INT64",     "STRING",     "BOOL",        "FLOAT16",      "DOUBLE",
        "UINT32",    "UINT64",    "COMPLEX64",  "COMPLEX128",  "BFLOAT16",     "FLOAT8E4M3FN",
        "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1"};
    if (t >= 0 && t < (int64_t)(sizeof names / sizeof names[0]))
        return names[t];
    return "unknown";
}

static const char *runt_onnx_tensor_label(const runt_onnx_tensor *t, char *buf, size_t size)
{
    if (t->name.n)
        snprintf(buf, size, "tensor '%.*s'", (int)(t->name.n > 200 ? 200 : t->name.n),
                 (const char *)t->name.p);
    else
        snprintf(buf, size, "unnamed tensor at byte %zu", t->at);
    return buf;
}

static int runt_onnx_host_little_endian(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

/* count elements of esize bytes, little-endian in src, into dst in host order. */
static void runt_onnx_copy_le(void *dst, const uint8_t *src, size_t count, size_t esize)
{
    if (runt_onnx_host_little_endian()) {
        memmove(dst, src, count * esize);
        return;
    }
    uint8_t *d = dst;
    for (size_t i = 0; i < count; i++) {
        uint8_t tmp[8];
        for (size_t j = 0; j < esize; j++)
            tmp[j] = src[i * esize + esize - 1 - j];
        memcpy(d + i * esize, tmp, esize);
    }
}

/* Which typed field holds each dtype's elements (onnx.proto comments). */
static uint32_t runt_onnx_typed_field(runt_dtype dt)
{
    switch (dt) {
    case RUNT_F32: return 4;                                /* float_data */
    case RUNT_I8: case RUNT_U8: case RUNT_I32: return 5;    /* int32_data */
    default: return 7;                                      /* int64_data */
    }
}

static const char *runt_onnx_data_field_name(uint32_t number)
{
    switch (number) {
    case 4: return "float_data";
    case 5: return "int32_data";
    case 6: return "string_data";
    case 7: return "int64_data";
    case 10: return "double_data";
    case 11: return "uint64_data";
    default: return "raw_data";
    }
}

static runt_pb_reader runt_onnx_tensor_reader(const runt_onnx_ctx *c, const runt_onnx_tensor *t)
{
    runt_pb_reader r = runt_onnx_reader(c, &runt_onnx_tensor_msg);
    r.pos = t->at;
    r.end = t->end;
    return r;
}

/* Stores one typed element, checking that it fits the dtype. */
static runt_status runt_onnx_store(const runt_pb_reader *r, const runt_pb_values *v,
                                   runt_onnx_const *k, size_t i, uint64_t bits)
{
    int64_t x = (int64_t)bits;
    switch (k->dtype) {
    case RUNT_F32: {
        uint32_t b32 = (uint32_t)bits;
        memcpy((float *)k->owned + i, &b32, sizeof(float));
        return RUNT_OK;
    }
    case RUNT_I64: ((int64_t *)k->owned)[i] = x; return RUNT_OK;
    case RUNT_I32:
        if (x >= INT32_MIN && x <= INT32_MAX) {
            ((int32_t *)k->owned)[i] = (int32_t)x;
            return RUNT_OK;
        }
        break;
    case RUNT_I8:
        if (x >= INT8_MIN && x <= INT8_MAX) {
            ((int8_t *)k->owned)[i] = (int8_t)x;
            return RUNT_OK;
        }
        break;
    case RUNT_U8:
        if (x >= 0 && x <= UINT8_MAX) {
            ((uint8_t *)k->owned)[i] = (uint8_t)x;
            return RUNT_OK;
        }
        break;
    default: break;
    }
    return runt_pb_error(r, v->at, v->number, RUNT_E_BAD_MODEL, "element %zu is %lld, out of range for %s",
                         i, (long long)x, runt_dtype_name(k->dtype));
}

/* Stores one typed element of a constant of k->count elements (runt_onnx_store
 * checks it fits the dtype); elements past the count are not stored. */
static runt_status runt_onnx_store_next(const runt_pb_reader *r, const runt_pb_values *v,
                                        size_t i, uint64_t bits, void *ctx)
{
    runt_onnx_const *k = ctx;
    return i < (size_t)k->count ? runt_onnx_store(r, v, k, i, bits) : RUNT_OK;
}

static runt_status runt_onnx_fill_typed(const runt_onnx_ctx *c, const runt_onnx_tensor *t,
                                        uint32_t field, runt_onnx_const *k)
{
    runt_pb_reader r = runt_onnx_tensor_reader(c, t);
    return runt_pb_repeated(&r, field, field == 4 ? RUNT_PB_FIXED32 : RUNT_PB_VARINT,
                            runt_onnx_store_next, k);
}

/* What a tensor holds inline: raw_data, and the values in each typed field
 * (counts[number]). */
typedef struct runt_onnx_inline {
    const uint8_t *raw;
    size_t raw_len, counts[12];
    int has_raw;
} runt_onnx_inline;

static runt_status runt_onnx_inline_field(runt_pb_reader *r, const runt_pb_field *f, void *ctx)
{
    runt_onnx_inline *in = ctx;
    switch (f->number) {
    case 9: in->has_raw = 1; return runt_pb_bytes(r, f, &in->raw, &in->raw_len);
    case 4: return runt_onnx_count_values(r, f, RUNT_PB_FIXED32, &in->counts[4]);
    case 10: return runt_onnx_count_values(r, f, RUNT_PB_FIXED64, &in->counts[10]);
    case 5: case 7: case 11:
        return runt_onnx_count_values(r, f, RUNT_PB_VARINT, &in->counts[f->number]);
    case 6: in->counts[6]++; return RUNT_OK;
    default: return RUNT_OK;
    }
}

/* Data stored in the model itself: raw_data or one typed field. */
static runt_status runt_onnx_decode_inline(runt_onnx_ctx *c, const runt_onnx_tensor *t,
                                           const char *label, runt_onnx_const *k)
{
    runt_pb_reader r = runt_onnx_tensor_reader(c, t);
    runt_onnx_inline in;
    memset(&in, 0, sizeof in);
    runt_status s = runt_pb_fields(&r, runt_onnx_inline_field, &in);
    if (s != RUNT_OK)
        return s;
    const uint8_t *raw = in.raw;
    size_t raw_len = in.raw_len, *counts = in.counts;
    int has_raw = in.has_raw;
    size_t esize = runt_dtype_size(k->dtype), want = (size_t)k->count;
    uint32_t typed = runt_onnx_typed_field(k->dtype);
    static const uint32_t fields[] = {4, 5, 6, 7, 10, 11};
    for (size_t j = 0; j < sizeof fields / sizeof fields[0]; j++)
        if (fields[j] != typed && counts[fields[j]])
            return runt_error_set(RUNT_E_BAD_MODEL, "%s: %s: has %s, which a %s tensor does not use",
                                  c->source, label, runt_onnx_data_field_name(fields[j]),
                                  runt_dtype_name(k->dtype));
    if (has_raw && counts[typed])
        return runt_error_set(RUNT_E_BAD_MODEL, "%s: %s: has both raw_data and %s", c->source,
                              label, runt_onnx_data_field_name(typed));
    if (has_raw ? raw_len != want * esize : counts[typed] != want)
        return runt_error_set(RUNT_E_BAD_MODEL, "%s: %s: %s holds %zu %s, its dims need %zu",
                              c->source, label, runt_onnx_data_field_name(has_raw ? 9 : typed),
                              has_raw ? raw_len : counts[typed], has_raw ? "bytes" : "values",
                              has_raw ? want * esize : want);
    if (want == 0) {
        k->data = &runt_onnx_empty;
        return RUNT_OK;
    }
    if (!(k->owned = runt_alloc(c->alloc, want * esize)))
        return runt_error_set(RUNT_E_OOM, "%s: %s: out of memory for %zu bytes", c->source, label,
                              want * esize);
    k->data = k->owned;
    if (has_raw) {
        runt_onnx_copy_le(k->owned, raw, want, esize);
        return RUNT_OK;
    }
    return runt_onnx_fill_typed(c, t, typed, k);
}

#if !defined(RUNT_BARE_METAL)

/* A decimal integer string of external_data ("offset", "length"). */
static int runt_onnx_parse_decimal(const runt_onnx_str *s, uint64_t *out)
{
    uint64_t v = 0;
    if (s->n == 0 || s->n > 19)
        return 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->p[i] < '0' || s->p[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(s->p[i] - '0');
    }
    *out = v;
    return 1;
}

/* A location may only name a file inside the data directory: relative, with
 * no ".." component (a model from elsewhere must not read /etc/passwd). */
static int runt_onnx_location_safe(const runt_onnx_str *loc)
{
    const uint8_t *p = loc->p;
    size_t n = loc->n;
    if (n == 0 || p[0] == '/' || p[0] == '\\' || (n >= 2 && p[1] == ':'))
        return 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && p[i] != '/' && p[i] != '\\')
            continue;
        if (i - start == 2 && p[start] == '.' && p[start + 1] == '.')
            return 0;
        start = i + 1;
    }
    return 1;
}

typedef struct runt_onnx_external {
    runt_onnx_str location;
    uint64_t offset, length;
    int has_location, has_length;
} runt_onnx_external;

/* A StringStringEntryProto: key (field 1) and value (field 2). */
static runt_status runt_onnx_entry_field(runt_pb_reader *r, const runt_pb_field *f, void *ctx)
{
    runt_onnx_str *key_value = ctx;
    if (f->number != 1 && f->number != 2)
        return RUNT_OK;
    runt_onnx_str *dst = &key_value[f->number - 1];
    dst->at = f->offset;
    return runt_pb_bytes(r, f, &dst->p, &dst->n);
}

/* One external_data entry (field f of a TensorProto) into *e. */
static runt_status runt_onnx_external_entry(const runt_onnx_ctx *c, const char *label,
                                            runt_pb_reader *r, const runt_pb_field *f,
                                            runt_onnx_external *e)
{
    static const runt_pb_field_name entry_fields[] = {{1, "key"}, {2, "value"}, {0, NULL}};
    static const runt_pb_message entry_msg = {"StringStringEntryProto", entry_fields};
    runt_onnx_str kv[2] = {{NULL, 0, 0}, {NULL, 0, 0}};
    runt_status s = runt_pb_expect(r, f, RUNT_PB_LEN);
    if (s != RUNT_OK)
        return s;
    runt_pb_reader sub = runt_pb_reader_sub(r, f, &entry_msg);
    if ((s = runt_pb_fields(&sub, runt_onnx_entry_field, kv)) != RUNT_OK)
        return s;
    runt_onnx_str key = kv[0], value = kv[1];
    if (runt_onnx_str_eq(&key, "location")) {
        /* A value field may be absent (p NULL): memchr must not see it. */
        if (value.n && memchr(value.p, 0, value.n))
            return runt_error_set(RUNT_E_BAD_MODEL, "%s: %s: external data location holds a NUL",
                                  c->source, label);
        e->location = value;
        e->has_location = 1;
    } else if (runt_onnx_str_eq(&key, "offset") || runt_onnx_str_eq(&key, "length")) {
        int is_length = key.p[0] == 'l';
        if (!runt_onnx_parse_decimal(&value, is_length ? &e->length : &e->offset))
            return runt_error_set(RUNT_E_BAD_MODEL, "%s: byte %zu: %s: external data %s '%.*s' "
                                  "is not a decimal number", c->source, value.at, label,
                                  is_length ? "length" : "offset",
                                  (int)(value.n > 40 ? 40 : value.n), (const char *)value.p);
        e->has_length |= is_length;
    }
    return RUNT_OK;
}

static runt_status runt_onnx_read_file(runt_onnx_ctx *c, const char *label, const char *path,
                                       const runt_onnx_external *e, runt_onnx_const *k)
{
    size_t esize = runt_dtype_size(k->dtype), want = (size_t)k->count * esize;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return runt_error_set(RUNT_E_IO, "%s: %s: cannot open external data '%s': %s", c->source,
                              label, path, strerror(errno));
    runt_status s = RUNT_OK;
    long end = fseek(fp, 0, SEEK_END) == 0 ? ftell(fp) : -1;
    uint64_t length = e->has_length ? e->length : (uint64_t)(end > 0 ? end : 0) - e->offset;
    if (end < 0)
        s = runt_error_set(RUNT_E_IO, "%s: %s: cannot seek in '%s'", c->source, label, path);
    else if (e->offset > (uint64_t)end || length > (uint64_t)end - e->offset)
        s = runt_error_set(RUNT_E_BAD_MODEL, "%s: %s: external data at offset %llu, length %llu "
                           "runs past the end of '%s' (%ld bytes)", c->source, label,
                           (unsigned long long)e->offset, (unsigned long long)length, path, end);
    else if (length != want)
        s = runt_error_set(RUNT_E_BAD_MODEL, "%s: %s: external data has %llu bytes, its dims "
                           "need %zu", c->source, label, (unsigned long long)length, want);
    else if (want && !(k->owned = runt_alloc(c->alloc, want)))
        s = runt_error_set(RUNT_E_OOM, "%s: %s: out of memory for %zu bytes", c->source, label,
                           want);
    else if (want && (fseek(fp, (long)e->offset, SEEK_SET) != 0 ||
                      fread(k->owned, 1, want, fp) != want))
        s = runt_error_set(RUNT_E_IO, "%s: %s: reading %zu bytes of '%s' failed", c->source,
                           label, want, path);
    fclose(fp);
    if (s == RUNT_OK && want) {
        k->data = k->owned;
        runt_onnx_copy_le(k->owned, k->owned, (size_t)k->count, esize);
    } else if (s == RUNT_OK) {
        k->data = &runt_onnx_empty;
    }
    return s;
}

/* A TensorProto's external_data entries being read. */
typedef struct runt_onnx_external_read {
    const runt_onnx_ctx *c;
    const char *label;
    runt_onnx_external e;
} runt_onnx_external_read;

static runt_status runt_onnx_external_field(runt_pb_reader *r, const runt_pb_field *f,
                                            void *ctx)
{
    runt_onnx_external_read *er = ctx;
    return f->number == 13 ? runt_onnx_external_entry(er->c, er->label, r, f, &er->e) : RUNT_OK;
}

static runt_status runt_onnx_decode_external(runt_onnx_ctx *c, const runt_onnx_tensor *t,
                                             const char *label, runt_onnx_const *k)
{
    runt_pb_reader r = runt_onnx_tensor_reader(c, t);
    runt_onnx_external_read er = {c, label, {{NULL, 0, 0}, 0, 0, 0, 0}};
    runt_status s = runt_pb_fields(&r, runt_onnx_external_field, &er);
    if (s != RUNT_OK)
        return s;
    runt_onnx_external e = er.e;
    if (!e.has_location)
        return runt_error_set(RUNT_E_BAD_MODEL, "%s: %s: external data without a location",
                              c->source, label);
    int len = (int)(e.location.n > 200 ? 200 : e.location.n);
    if (!e.location.n)
        return runt_error_set(RUNT_E_BAD_MODEL, "%s: %s: external data location is empty",
                              c->source, label);
    if (!runt_onnx_location_safe(&e.location))
        return runt_error_set(RUNT_E_BAD_MODEL, "%s: %s: external data location '%.*s' leaves "
                              "the model's directory", c->source, label, len,
                              (const char *)e.location.p);
    if (!c->ext_dir)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: %s: data is in the external file '%.*s'; "
                              "set runt_load_options.external_data_dir", c->source, label, len,
                              (const char *)e.location.p);
    if (e.offset > (uint64_t)LONG_MAX) /* fseek takes a long */
        return runt_error_set(RUNT_E_UNSUPPORTED, "%s: %s: external data offset %llu is too "
                              "large", c->source, label, (unsigned long long)e.offset);
    size_t dir_len = strlen(c->ext_dir);
    char *path = runt_alloc(c->alloc, dir_len + 1 + e.location.n + 1);
    if (!path)
        return runt_error_set(RUNT_E_OOM, "%s: out of memory", c->source);
    memcpy(path, c->ext_dir, dir_len);
    path[dir_len] = '/';
    memcpy(path + dir_len + 1, e.location.p, e.location.n);
    path[dir_len + 1 + e.location.n] = '\0';
    s = runt_onnx_read_file(c, label, path, &e, k);
    runt_free(c->alloc, path);
    return s;
}

#else /* RUNT_BARE_METAL */

static runt_status runt_onnx_decode_external(runt_onnx_ctx *c, const runt_onnx_tensor *t,
                                             const char *label, runt_onnx_const *k)
{
    (void)t;
    (void)k;
    return runt_error_set(RUNT_E_UNSUPPORTED, "%s: %s: external data needs a file system, which "
                          "a bare-metal build has not", c->source, label);
}

#endif /* RUNT_BARE_METAL */

runt_status runt_onnx_tensor_decode(runt_onnx_ctx *c, const runt_onnx_tensor *t, unsigned flags,
                                    runt_onnx_const *out)
{
    char label[256];
    runt_onnx_tensor_label(t, label, sizeof label);
    memset(out, 0, sizeof *out);
    /* BOOL is stored as UINT8 is: one byte in raw_data, or int32_data. */
    int as_u8 = (flags & RUNT_ONNX_READ_BOOL) && t->data_type == RUNT_ONNX_BOOL;
    if (as_u8)
        out->dtype = RUNT_U8;
    else if (runt_onnx_dtype(t->data_type, &out->dtype) != RUNT_OK)
        return runt_error_set(RUNT_E_UNSUPPORTED, "%s: %s: data type %s (%lld) is not supported "
                              "(runt reads FLOAT, INT8, UINT8, INT32, INT64)", c->source, label,
                              runt_onnx_type_name(t->data_type), (long long)t->data_type);
    if (t->ndim > RUNT_MAX_DIMS)
        return runt_error_set(RUNT_E_UNSUPPORTED, "%s: %s: more than %d dims", c->source, label,
                              RUNT_MAX_DIMS);
    if (t->has_segment)
        return runt_error_set(RUNT_E_UNSUPPORTED, "%s: %s: segmented tensors are not supported",
                              c->source, label);
    out->ndim = t->ndim;
    out->count = 1;
    for (int i = 0; i < t->ndim; i++) {
        out->dims[i] = t->dims[i];
        /* Checked per dim, so the product never overflows on the way. */
        if (t->dims[i] && out->count > c->limits.max_tensor_elements / t->dims[i])
            return runt_error_set(RUNT_E_LIMIT, "%s: %s: its dims hold more than "
                                  "runt_limits.max_tensor_elements (%lld) elements", c->source,
                                  label, (long long)c->limits.max_tensor_elements);
        /* Bounded so that count * element size fits size_t on every target. */
        if (t->dims[i] && out->count > (int64_t)(SIZE_MAX / 8) / t->dims[i])
            return runt_error_set(RUNT_E_UNSUPPORTED, "%s: %s: too many elements for this "
                                  "target's address space", c->source, label);
        out->count *= t->dims[i];
    }
    runt_status s;
    if (t->data_location == 1)
        s = runt_onnx_decode_external(c, t, label, out);
    else if (t->data_location == 0)
        s = runt_onnx_decode_inline(c, t, label, out);
    else
        s = runt_error_set(RUNT_E_BAD_MODEL, "%s: %s: data_location %lld is neither DEFAULT nor "
                           "EXTERNAL", c->source, label, (long long)t->data_location);
    if (s != RUNT_OK)
        runt_onnx_const_release(c, out);
    return s;
}

runt_status runt_onnx_attr_const(runt_onnx_ctx *c, const runt_onnx_attr *a, runt_onnx_const *out)
{
    memset(out, 0, sizeof *out);
    int is_float = a->type == RUNT_ONNX_ATTR_FLOAT || a->type == RUNT_ONNX_ATTR_FLOATS;
    size_t n = 1;
    switch (a->type) {
    case RUNT_ONNX_ATTR_TENSOR:
        return runt_onnx_tensor_decode(c, &a->t, 0, out);
    case RUNT_ONNX_ATTR_FLOAT:
    case RUNT_ONNX_ATTR_INT:
        break;
    case RUNT_ONNX_ATTR_FLOATS:
    case RUNT_ONNX_ATTR_INTS:
        n = is_float ? a->n_floats : a->n_ints;
        if (n > (uint64_t)c->limits.max_tensor_elements)
            return runt_error_set(RUNT_E_LIMIT, "%s: attribute '%.*s' holds %zu values, above "
                                  "runt_limits.max_tensor_elements (%lld)", c->source,
                                  (int)a->name.n, (const char *)a->name.p, n,
                                  (long long)c->limits.max_tensor_elements);
        out->ndim = 1;
        out->dims[0] = (int64_t)n;
        break;
    default:
        return runt_error_set(RUNT_E_UNSUPPORTED, "%s: attribute '%.*s' of type %lld cannot be a "
                              "constant", c->source, (int)a->name.n, (const char *)a->name.p,
                              (long long)a->type);
    }
    out->dtype = is_float ? RUNT_F32 : RUNT_I64;
    out->count = (int64_t)n;
    if (n == 0) {
        out->data = &runt_onnx_empty;
        return RUNT_OK;
    }
    if (!(out->owned = runt_alloc_zeroed(c->alloc, n, 8)))
        return runt_error_set(RUNT_E_OOM, "%s: out of memory", c->source);
    out->data = out->owned;
    runt_status s = RUNT_OK;
    if (a->type == RUNT_ONNX_ATTR_FLOAT)
        *(float *)out->owned = a->f;
    else if (a->type == RUNT_ONNX_ATTR_INT)
        *(int64_t *)out->owned = a->i;
    else
        s = runt_onnx_attr_values(c, a, is_float, out->owned, n, &n);
    if (s != RUNT_OK)
        runt_onnx_const_release(c, out);
    return s;
}

void runt_onnx_const_release(runt_onnx_ctx *c, runt_onnx_const *k)
{
    runt_free(c->alloc, k->owned);
    k->owned = NULL;
    k->data = NULL;
}
