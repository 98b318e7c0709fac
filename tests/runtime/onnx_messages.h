/*
 * onnx_messages.h — ONNX messages for tests (field numbers of
 * onnx/onnx.proto), so reader tests make their models as bytes in the test
 * itself, with no Python and no files.
 *
 * The bytes come from the library's own protobuf encoder
 * (runtime/onnx/protobuf_encode.h), the one the ONNX writer uses. That is no
 * loop of the code under test checking itself: the encoder and the wire
 * reader share no code, the encoder is held to bytes written out by hand
 * from the wire-format specification (test_protobuf_encode.c), the reader's
 * tests also hold hand-written bytes (test_protobuf_wire.c), and models
 * saved by the writer are checked by the onnx package's own checker
 * (test_onnx_writer.c).
 *
 * Messages are pbw buffers; a sub-message is built on its own and written
 * into its parent with pbw_msg, which frees it. Allocation failure is not
 * handled (tests).
 */
#ifndef RT_ONNX_MESSAGES_H
#define RT_ONNX_MESSAGES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/protobuf_encode.h"

/* Short, as the tests write many. All zero is an empty buffer. */
typedef runt_pb_writer pbw;

static inline void pbw_msg(pbw *w, uint32_t field, pbw *sub)
{
    runt_pb_put_bytes(w, field, sub->p, sub->n);
    runt_pb_writer_free(sub);
}

/* Repeated int64: packed (one LEN field) or one VARINT field per value. */
static inline void pbw_ints(pbw *w, uint32_t field, const int64_t *v, int n, int packed)
{
    if (!packed) {
        for (int i = 0; i < n; i++)
            runt_pb_put_int(w, field, v[i]);
        return;
    }
    pbw body = {0};
    for (int i = 0; i < n; i++)
        runt_pb_put_varint(&body, (uint64_t)v[i]);
    pbw_msg(w, field, &body);
}

static inline void pbw_floats(pbw *w, uint32_t field, const float *v, int n, int packed)
{
    if (!packed) {
        for (int i = 0; i < n; i++)
            runt_pb_put_float(w, field, v[i]);
        return;
    }
    pbw body = {0};
    for (int i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &v[i], 4);
        runt_pb_put_fixed(&body, bits, 4);
    }
    pbw_msg(w, field, &body);
}

/* One unknown field of each wire type (numbers ONNX does not use), groups
 * included, to check that readers skip them. */
static inline void pbw_unknown_fields(pbw *w)
{
    runt_pb_put_int(w, 1000, -5);                    /* varint           */
    runt_pb_put_tag(w, 1001, RUNT_PB_FIXED64);       /* 64-bit           */
    runt_pb_put_fixed(w, 0x0123456789abcdefull, 8);
    runt_pb_put_str(w, 1002, "ignored");             /* length-delimited */
    runt_pb_put_tag(w, 1003, RUNT_PB_FIXED32);       /* 32-bit           */
    runt_pb_put_fixed(w, 0xdeadbeef, 4);
    runt_pb_put_tag(w, 1004, RUNT_PB_GROUP_START);   /* group, nested    */
    runt_pb_put_int(w, 1, 7);
    runt_pb_put_tag(w, 2, RUNT_PB_GROUP_START);
    runt_pb_put_str(w, 3, "deep");
    runt_pb_put_tag(w, 2, RUNT_PB_GROUP_END);
    runt_pb_put_tag(w, 1004, RUNT_PB_GROUP_END);
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
    runt_pb_put_int(t, 2, type);
    if (name)
        runt_pb_put_str(t, 8, name);
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
            runt_pb_put_fixed(&raw, bits, 4);
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
            runt_pb_put_fixed(&raw, (uint64_t)data[i], width);
        pbw_msg(&t, 9, &raw);
    } else {
        pbw_ints(&t, type == ONNX_INT64 ? 7 : 5, data, n, form == FORM_PACKED);
    }
    return t;
}

static inline pbw onnx_attr_head(const char *name, int type)
{
    pbw a = {0};
    runt_pb_put_str(&a, 1, name);
    runt_pb_put_int(&a, 20, type);
    return a;
}

static inline pbw onnx_attr_f(const char *name, float f)
{
    pbw a = onnx_attr_head(name, 1);
    runt_pb_put_float(&a, 2, f);
    return a;
}

static inline pbw onnx_attr_i(const char *name, int64_t i)
{
    pbw a = onnx_attr_head(name, 2);
    runt_pb_put_int(&a, 3, i);
    return a;
}

static inline pbw onnx_attr_s(const char *name, const char *s)
{
    pbw a = onnx_attr_head(name, 3);
    runt_pb_put_str(&a, 4, s);
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
        runt_pb_put_str(&nd, 1, ins[i]);
    for (int i = 0; i < n_out; i++)
        runt_pb_put_str(&nd, 2, outs[i]);
    if (name)
        runt_pb_put_str(&nd, 3, name);
    runt_pb_put_str(&nd, 4, op);
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
            runt_pb_put_str(&d, 2, i == 0 ? "N" : "H");
        else if (dims[i] != -2)
            runt_pb_put_int(&d, 1, dims[i]);
        pbw_msg(&shape, 1, &d);
    }
    runt_pb_put_int(&tt, 1, elem_type);
    if (ndim >= 0)
        pbw_msg(&tt, 2, &shape);
    else
        runt_pb_writer_free(&shape);
    pbw_msg(&type, 1, &tt);
    runt_pb_put_str(&vi, 1, name);
    pbw_msg(&vi, 2, &type);
    return vi;
}

/* A ModelProto around a graph, the graph written last so that every proper
 * prefix of the bytes is an incomplete model. Consumes graph. */
static inline pbw onnx_model(pbw *graph, int64_t opset)
{
    pbw m = {0}, op = {0};
    runt_pb_put_int(&m, 1, 8);
    runt_pb_put_str(&m, 2, "runt-test");
    runt_pb_put_str(&op, 1, "");
    runt_pb_put_int(&op, 2, opset);
    pbw_msg(&m, 8, &op);
    pbw_msg(&m, 7, graph);
    return m;
}

/* GraphProto fields. */
#define ONNX_GRAPH_NODE 1
#define ONNX_GRAPH_INITIALIZER 5
#define ONNX_GRAPH_INPUT 11
#define ONNX_GRAPH_OUTPUT 12

#endif /* RT_ONNX_MESSAGES_H */
