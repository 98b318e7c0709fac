/*
 * protobuf_writer.h — a tiny protobuf writer for tests, and ONNX messages
 * built with it (field numbers of onnx/onnx.proto), so reader tests make
 * their models as bytes in the test itself, with no Python and no files.
 *
 * Messages are pbw buffers; a sub-message is written into its parent with
 * pbw_msg, which frees it. Allocation failure is not handled (tests).
 */
#ifndef RT_PROTOBUF_WRITER_H
#define RT_PROTOBUF_WRITER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct pbw {
    uint8_t *p;
    size_t n, cap;
} pbw;

static inline void pbw_raw(pbw *w, const void *d, size_t n)
{
    if (w->n + n > w->cap) {
        w->cap = (w->n + n) * 2 + 64;
        w->p = realloc(w->p, w->cap);
    }
    if (n)
        memcpy(w->p + w->n, d, n);
    w->n += n;
}

static inline void pbw_varint(pbw *w, uint64_t v)
{
    uint8_t b[10];
    int n = 0;
    do {
        b[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            b[n] |= 0x80;
        n++;
    } while (v);
    pbw_raw(w, b, (size_t)n);
}

static inline void pbw_tag(pbw *w, uint32_t field, int wire)
{
    pbw_varint(w, (uint64_t)field << 3 | (uint64_t)wire);
}

static inline void pbw_fixed(pbw *w, uint64_t v, int bytes)
{
    uint8_t b[8];
    for (int i = 0; i < bytes; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    pbw_raw(w, b, (size_t)bytes);
}

/* int32 and int64 fields: negative values sign-extend to 10 bytes. */
static inline void pbw_int(pbw *w, uint32_t field, int64_t v)
{
    pbw_tag(w, field, 0);
    pbw_varint(w, (uint64_t)v);
}

static inline void pbw_f32(pbw *w, uint32_t field, float f)
{
    uint32_t bits;
    memcpy(&bits, &f, 4);
    pbw_tag(w, field, 5);
    pbw_fixed(w, bits, 4);
}

static inline void pbw_bytes(pbw *w, uint32_t field, const void *d, size_t n)
{
    pbw_tag(w, field, 2);
    pbw_varint(w, n);
    pbw_raw(w, d, n);
}

static inline void pbw_str(pbw *w, uint32_t field, const char *s)
{
    pbw_bytes(w, field, s, strlen(s));
}

static inline void pbw_msg(pbw *w, uint32_t field, pbw *sub)
{
    pbw_bytes(w, field, sub->p, sub->n);
    free(sub->p);
    memset(sub, 0, sizeof *sub);
}

/* Repeated int64: packed (one LEN field) or one VARINT field per value. */
static inline void pbw_ints(pbw *w, uint32_t field, const int64_t *v, int n, int packed)
{
    if (!packed) {
        for (int i = 0; i < n; i++)
            pbw_int(w, field, v[i]);
        return;
    }
    pbw body = {0};
    for (int i = 0; i < n; i++)
        pbw_varint(&body, (uint64_t)v[i]);
    pbw_msg(w, field, &body);
}

static inline void pbw_floats(pbw *w, uint32_t field, const float *v, int n, int packed)
{
    if (!packed) {
        for (int i = 0; i < n; i++)
            pbw_f32(w, field, v[i]);
        return;
    }
    pbw body = {0};
    for (int i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &v[i], 4);
        pbw_fixed(&body, bits, 4);
    }
    pbw_msg(w, field, &body);
}

/* One unknown field of each wire type (numbers ONNX does not use), groups
 * included, to check that readers skip them. */
static inline void pbw_unknown_fields(pbw *w)
{
    pbw_int(w, 1000, -5);                      /* varint          */
    pbw_tag(w, 1001, 1);                       /* 64-bit          */
    pbw_fixed(w, 0x0123456789abcdefull, 8);
    pbw_str(w, 1002, "ignored");              /* length-delimited */
    pbw_tag(w, 1003, 5);                       /* 32-bit          */
    pbw_fixed(w, 0xdeadbeef, 4);
    pbw_tag(w, 1004, 3);                       /* group, nested   */
    pbw_int(w, 1, 7);
    pbw_tag(w, 2, 3);
    pbw_str(w, 3, "deep");
    pbw_tag(w, 2, 4);
    pbw_tag(w, 1004, 4);
}

/* ------------------------------------------------------------------------- */
/* ONNX messages                                                             */
/* ------------------------------------------------------------------------- */

enum { ONNX_FLOAT = 1, ONNX_UINT8 = 2, ONNX_INT8 = 3, ONNX_INT32 = 6, ONNX_INT64 = 7,
       ONNX_BOOL = 9, ONNX_DOUBLE = 11 };

/* How a test tensor stores its data. */
typedef enum tensor_form {
    FORM_RAW = 0,       /* raw_data, little-endian          */
    FORM_PACKED,        /* float_data / int*_data, packed   */
    FORM_UNPACKED       /* one field per element            */
} tensor_form;

static inline int64_t onnx_count(int ndim, const int64_t *dims)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= dims[i];
    return n;
}

static inline void onnx_tensor_head(pbw *t, const char *name, int type, int ndim,
                                    const int64_t *dims, int packed_dims)
{
    pbw_ints(t, 1, dims, ndim, packed_dims);
    pbw_int(t, 2, type);
    if (name)
        pbw_str(t, 8, name);
}

static inline pbw onnx_tensor_f32(const char *name, int ndim, const int64_t *dims,
                                  const float *data, tensor_form form)
{
    pbw t = {0};
    int n = (int)onnx_count(ndim, dims);
    onnx_tensor_head(&t, name, ONNX_FLOAT, ndim, dims, form != FORM_UNPACKED);
    if (form == FORM_RAW) {
        pbw raw = {0};
        for (int i = 0; i < n; i++) {
            uint32_t bits;
            memcpy(&bits, &data[i], 4);
            pbw_fixed(&raw, bits, 4);
        }
        pbw_msg(&t, 9, &raw);
    } else {
        pbw_floats(&t, 4, data, n, form == FORM_PACKED);
    }
    return t;
}

/* Integer tensors: INT64 in int64_data, INT32/INT8/UINT8/BOOL in int32_data. */
static inline pbw onnx_tensor_int(const char *name, int type, int ndim, const int64_t *dims,
                                  const int64_t *data, tensor_form form)
{
    pbw t = {0};
    int n = (int)onnx_count(ndim, dims);
    onnx_tensor_head(&t, name, type, ndim, dims, form != FORM_UNPACKED);
    if (form == FORM_RAW) {
        int width = type == ONNX_INT64 ? 8 : type == ONNX_INT32 ? 4 : 1;
        pbw raw = {0};
        for (int i = 0; i < n; i++)
            pbw_fixed(&raw, (uint64_t)data[i], width);
        pbw_msg(&t, 9, &raw);
    } else {
        pbw_ints(&t, type == ONNX_INT64 ? 7 : 5, data, n, form == FORM_PACKED);
    }
    return t;
}

static inline pbw onnx_attr_head(const char *name, int type)
{
    pbw a = {0};
    pbw_str(&a, 1, name);
    pbw_int(&a, 20, type);
    return a;
}

static inline pbw onnx_attr_f(const char *name, float f)
{
    pbw a = onnx_attr_head(name, 1);
    pbw_f32(&a, 2, f);
    return a;
}

static inline pbw onnx_attr_i(const char *name, int64_t i)
{
    pbw a = onnx_attr_head(name, 2);
    pbw_int(&a, 3, i);
    return a;
}

static inline pbw onnx_attr_s(const char *name, const char *s)
{
    pbw a = onnx_attr_head(name, 3);
    pbw_str(&a, 4, s);
    return a;
}

static inline pbw onnx_attr_t(const char *name, pbw *tensor)
{
    pbw a = onnx_attr_head(name, 4);
    pbw_msg(&a, 5, tensor);
    return a;
}

static inline pbw onnx_attr_floats(const char *name, const float *v, int n, int packed)
{
    pbw a = onnx_attr_head(name, 6);
    pbw_floats(&a, 7, v, n, packed);
    return a;
}

static inline pbw onnx_attr_ints(const char *name, const int64_t *v, int n, int packed)
{
    pbw a = onnx_attr_head(name, 7);
    pbw_ints(&a, 8, v, n, packed);
    return a;
}

/* A NodeProto. ins/outs: arrays of names ("" leaves an optional one out);
 * attrs are consumed. */
static inline pbw onnx_node(const char *op, const char *name, int n_in, const char *const *ins,
                            int n_out, const char *const *outs, int n_attrs, pbw *attrs)
{
    pbw nd = {0};
    for (int i = 0; i < n_in; i++)
        pbw_str(&nd, 1, ins[i]);
    for (int i = 0; i < n_out; i++)
        pbw_str(&nd, 2, outs[i]);
    if (name)
        pbw_str(&nd, 3, name);
    pbw_str(&nd, 4, op);
    for (int i = 0; i < n_attrs; i++)
        pbw_msg(&nd, 5, &attrs[i]);
    return nd;
}

/* A tensor ValueInfoProto. A dim of -1 is written as dim_param ("N" first,
 * "H" after), -2 as a dim with neither value nor param, anything else as
 * dim_value (negative ones too); ndim < 0 writes no shape at all. */
static inline pbw onnx_value_info(const char *name, int elem_type, int ndim, const int64_t *dims)
{
    pbw shape = {0}, tt = {0}, type = {0}, vi = {0};
    for (int i = 0; i < ndim; i++) {
        pbw d = {0};
        if (dims[i] == -1)
            pbw_str(&d, 2, i == 0 ? "N" : "H");
        else if (dims[i] != -2)
            pbw_int(&d, 1, dims[i]);
        pbw_msg(&shape, 1, &d);
    }
    pbw_int(&tt, 1, elem_type);
    if (ndim >= 0)
        pbw_msg(&tt, 2, &shape);
    else
        free(shape.p);
    pbw_msg(&type, 1, &tt);
    pbw_str(&vi, 1, name);
    pbw_msg(&vi, 2, &type);
    return vi;
}

/* A ModelProto around a graph, the graph written last so that every proper
 * prefix of the bytes is an incomplete model. Consumes graph. */
static inline pbw onnx_model(pbw *graph, int64_t opset)
{
    pbw m = {0}, op = {0};
    pbw_int(&m, 1, 8);
    pbw_str(&m, 2, "runt-test");
    pbw_str(&op, 1, "");
    pbw_int(&op, 2, opset);
    pbw_msg(&m, 8, &op);
    pbw_msg(&m, 7, graph);
    return m;
}

/* GraphProto fields. */
#define ONNX_GRAPH_NODE 1
#define ONNX_GRAPH_INITIALIZER 5
#define ONNX_GRAPH_INPUT 11
#define ONNX_GRAPH_OUTPUT 12

#endif /* RT_PROTOBUF_WRITER_H */
