#define _POSIX_C_SOURCE 200809L
/*
 * The node cases' TensorProto files (test_data_set_N/input_J.pb and
 * output_J.pb), decoded here with a reader of their own rather than runt's:
 * a fault in runt's reader must not be able to hide itself in the expected
 * values. Apart from the driver's other files because it is the one place
 * that knows the protobuf layout of a TensorProto; the plain file helpers
 * the driver reads its data folder with sit here, at the bottom, too.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "onnx_node.h"

int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}


/* onnx.proto TensorProto.DataType values this driver reads. */
enum { T_FLOAT = 1, T_UINT8 = 2, T_INT8 = 3, T_INT32 = 6, T_INT64 = 7, T_BOOL = 9 };

typedef struct pb {
    const uint8_t *p, *end;
} pb;

static int pb_varint(pb *r, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && r->p < r->end; shift += 7) {
        uint8_t b = *r->p++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 1;
    }
    return 0;
}

/* One field: its number and wire type; a LEN field's payload in *sub. */
static int pb_field(pb *r, uint32_t *number, int *wire, uint64_t *value, pb *sub)
{
    uint64_t key;
    if (!pb_varint(r, &key))
        return 0;
    *number = (uint32_t)(key >> 3);
    *wire = (int)(key & 7);
    switch (*wire) {
    case 0: return pb_varint(r, value);
    case 1: case 5: {
        size_t n = *wire == 1 ? 8 : 4;
        if ((size_t)(r->end - r->p) < n)
            return 0;
        *value = 0;
        for (size_t i = 0; i < n; i++)
            *value |= (uint64_t)r->p[i] << (8 * i);
        r->p += n;
        return 1;
    }
    case 2:
        if (!pb_varint(r, value) || *value > (uint64_t)(r->end - r->p))
            return 0;
        sub->p = r->p;
        sub->end = r->p + *value;
        r->p += *value;
        return 1;
    default: return 0;
    }
}

static int test_dtype(int64_t onnx_type, runt_dtype *out)
{
    switch (onnx_type) {
    case T_FLOAT: *out = RUNT_F32; return 1;
    case T_UINT8: case T_BOOL: *out = RUNT_U8; return 1;
    case T_INT8: *out = RUNT_I8; return 1;
    case T_INT32: *out = RUNT_I32; return 1;
    case T_INT64: *out = RUNT_I64; return 1;
    default: return 0;
    }
}

static const char *type_name(int64_t t)
{
    static const char *const names[] = {
        "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
        "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
        "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4",
        "FLOAT4E2M1", "FLOAT8E8M0", "UINT2", "INT2"};
    return t >= 0 && t < (int64_t)(sizeof names / sizeof names[0]) ? names[t] : "unknown";
}

/* Stores element i of a typed field (float_data: the float's bits). */
static void tensor_store(test_tensor *t, size_t i, uint64_t v)
{
    switch (t->dtype) {
    case RUNT_F32: {
        uint32_t bits = (uint32_t)v;
        memcpy((float *)t->data + i, &bits, 4);
        break;
    }
    case RUNT_U8: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
    case RUNT_I8: ((int8_t *)t->data)[i] = (int8_t)v; break;
    case RUNT_I32: ((int32_t *)t->data)[i] = (int32_t)v; break;
    default: ((int64_t *)t->data)[i] = (int64_t)v; break;
    }
}

/* A typed data field, packed or one element per occurrence. */
static int tensor_typed(test_tensor *t, size_t *filled, int wire, uint64_t v, pb *sub)
{
    if (wire != 2) {
        if (*filled >= t->count)
            return 0;
        tensor_store(t, (*filled)++, v);
        return 1;
    }
    while (sub->p < sub->end) {
        uint64_t e = 0;
        if (t->dtype == RUNT_F32) {
            if (sub->end - sub->p < 4)
                return 0;
            e = (uint64_t)sub->p[0] | (uint64_t)sub->p[1] << 8 | (uint64_t)sub->p[2] << 16 |
                (uint64_t)sub->p[3] << 24;
            sub->p += 4;
        } else if (!pb_varint(sub, &e)) {
            return 0;
        }
        if (*filled >= t->count)
            return 0;
        tensor_store(t, (*filled)++, e);
    }
    return 1;
}

/* The first pass: name, type, dims. */
static int tensor_header(const uint8_t *buf, size_t size, test_tensor *t, char *why, size_t wn)
{
    pb r = {buf, buf + size}, sub;
    uint32_t number;
    int wire;
    uint64_t v;
    int ndim = 0;
    while (r.p < r.end) {
        if (!pb_field(&r, &number, &wire, &v, &sub))
            return snprintf(why, wn, "malformed TensorProto"), 0;
        if (number == 1) { /* dims */
            pb one = {NULL, NULL};
            pb *src = wire == 2 ? &sub : &one;
            do {
                if (wire == 2 && !pb_varint(src, &v))
                    return snprintf(why, wn, "malformed dims"), 0;
                if (ndim >= RUNT_MAX_DIMS)
                    return snprintf(why, wn, "more than %d dims", RUNT_MAX_DIMS), 0;
                t->dims[ndim++] = (int64_t)v;
            } while (wire == 2 && sub.p < sub.end);
        } else if (number == 2) {
            t->onnx_type = (int64_t)v;
        } else if (number == 8 && wire == 2) {
            size_t n = (size_t)(sub.end - sub.p);
            n = n < sizeof t->name - 1 ? n : sizeof t->name - 1;
            memcpy(t->name, sub.p, n);
            t->name[n] = '\0';
        } else if (number == 14 && v == 1) {
            return snprintf(why, wn, "external data"), 0;
        }
    }
    t->ndim = ndim;
    t->count = 1;
    for (int d = 0; d < ndim; d++) {
        if (t->dims[d] < 0 || t->dims[d] > (1 << 28))
            return snprintf(why, wn, "dim %d is %lld", d, (long long)t->dims[d]), 0;
        t->count *= (size_t)t->dims[d];
    }
    if (!test_dtype(t->onnx_type, &t->dtype))
        return snprintf(why, wn, "data type %s (%lld) is not one runt computes",
                        type_name(t->onnx_type), (long long)t->onnx_type), 0;
    return 1;
}

/* The second pass: raw_data or the typed field of the dtype. */
static int tensor_data(const uint8_t *buf, size_t size, test_tensor *t, char *why, size_t wn)
{
    pb r = {buf, buf + size}, sub;
    uint32_t number, typed = t->dtype == RUNT_F32 ? 4 : t->dtype == RUNT_I64 ? 7 : 5;
    int wire;
    uint64_t v;
    size_t esize = runt_dtype_size(t->dtype), filled = 0;
    if (!(t->data = calloc(t->count ? t->count : 1, esize)))
        return snprintf(why, wn, "out of memory"), 0;
    while (r.p < r.end) {
        if (!pb_field(&r, &number, &wire, &v, &sub))
            return snprintf(why, wn, "malformed TensorProto"), 0;
        if (number == 9 && wire == 2) {
            if ((size_t)(sub.end - sub.p) != t->count * esize)
                return snprintf(why, wn, "raw_data holds %zu bytes, dims need %zu",
                                (size_t)(sub.end - sub.p), t->count * esize), 0;
            memcpy(t->data, sub.p, t->count * esize); /* little-endian hosts only */
            filled = t->count;
        } else if (number == typed && !tensor_typed(t, &filled, wire, v, &sub)) {
            return snprintf(why, wn, "malformed or overlong typed data"), 0;
        }
    }
    if (filled != t->count)
        return snprintf(why, wn, "holds %zu elements, dims need %zu", filled, t->count), 0;
    return 1;
}

uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    *size = n > 0 ? (size_t)n : 0;
    return buf;
}

/* 1 and *t filled, or 0 and why. */
int tensor_read(const char *path, test_tensor *t, char *why, size_t wn)
{
    size_t size;
    uint8_t *buf = read_file(path, &size);
    memset(t, 0, sizeof *t);
    if (!buf)
        return snprintf(why, wn, "%.300s: cannot read", path), 0;
    int ok = tensor_header(buf, size, t, why, wn) && tensor_data(buf, size, t, why, wn);
    free(buf);
    return ok;
}

void tensor_free(test_tensor *t)
{
    free(t->data);
    t->data = NULL;
}

runt_tensor tensor_view(const test_tensor *t)
{
    runt_tensor v;
    memset(&v, 0, sizeof v);
    v.dtype = t->dtype;
    v.ndim = t->ndim;
    memcpy(v.dims, t->dims, sizeof v.dims);
    v.data = t->data;
    return v;
}
