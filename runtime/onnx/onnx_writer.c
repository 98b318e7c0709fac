/*
 * Writing a model as ONNX: runt_model_save_onnx. The bench hands these files
 * to peer runtimes (ONNX Runtime, PyTorch through bench/peers/peer.py) so
 * every runtime runs one definition of each model.
 *
 * The file is ir_version 8 with the ai.onnx opset 17, what ONNX Runtime and
 * the onnx checker of 2022 on accept. Each runt node becomes one ONNX node
 * with its attributes, except where opset 17 says otherwise:
 *   - Reshape's shape, Pad's pads and value, Clip's bounds are constant inputs
 *     (initializers named after the node), as the opset defines them;
 *   - Gelu is not in opset 17 (it came in 20), so it is written with Mul,
 *     Erf (or Tanh), Add in the order of the reference backend's formula;
 *   - an epilogue on a Gemm or Conv (only plans fuse them, but a model built
 *     node by node may carry one) becomes the activation node after it.
 * Weights are initializers with raw_data (little-endian, as onnx.proto says).
 * Graph inputs get the symbolic batch dim "N" where runt declares
 * RUNT_DIM_BATCH.
 *
 * The bytes are encoded with protobuf_encode.h, the writer beside the
 * reader's wire decoder.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "model.h"
#include "ops.h"
#include "protobuf_encode.h"

#if defined(RUNT_BARE_METAL)

runt_status runt_model_save_onnx(const runt_model *m, const char *path)
{
    (void)m;
    (void)path;
    return runt_error_set(RUNT_E_UNSUPPORTED, "runt_model_save_onnx: a bare-metal build has no "
                          "files");
}

#else

#define RUNT_ONNX_WRITE_IR 8
#define RUNT_ONNX_WRITE_OPSET 17

/* Field numbers of onnx/onnx.proto. */
enum {
    MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_PRODUCER_VERSION = 3, MODEL_GRAPH = 7,
    MODEL_OPSET_IMPORT = 8,
    OPSET_VERSION = 2,
    GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12,
    NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5,
    ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_S = 4, ATTR_INTS = 8, ATTR_TYPE = 20,
    TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW_DATA = 9,
    VALUE_INFO_NAME = 1, VALUE_INFO_TYPE = 2,
    TYPE_TENSOR = 1, TYPE_TENSOR_ELEM_TYPE = 1, TYPE_TENSOR_SHAPE = 2,
    SHAPE_DIM = 1, DIM_VALUE = 1, DIM_PARAM = 2
};

/* AttributeProto.AttributeType and TensorProto.DataType values. */
enum { ATTR_TYPE_FLOAT = 1, ATTR_TYPE_INT = 2, ATTR_TYPE_STRING = 3, ATTR_TYPE_INTS = 7 };

/* The model being written and the bytes so far. */
typedef struct onnx_w {
    const runt_model *m;
    const runt_allocator *a;
    runt_pb_writer pb;
    /* Names made up for helper values, so none repeats a model name. */
    char **names;
    int n_names, cap_names;
} onnx_w;

/* ------------------------------------------------------------------------- */
/* Names                                                                     */
/* ------------------------------------------------------------------------- */

static int ow_name_taken(const onnx_w *w, const char *name)
{
    for (int i = 0; i < w->m->n_values; i++)
        if (w->m->values[i].name && strcmp(w->m->values[i].name, name) == 0)
            return 1;
    for (int i = 0; i < w->n_names; i++)
        if (strcmp(w->names[i], name) == 0)
            return 1;
    return 0;
}

/* A fresh value name "<base>/<what>" (with "_2", "_3", ... if taken); NULL
 * when out of memory. Owned by w. */
static const char *ow_new_name(onnx_w *w, const char *base, const char *what)
{
    char buf[300];
    if (w->pb.oom)
        return NULL;
    snprintf(buf, sizeof buf, "%.200s/%s", base, what);
    for (int k = 2; ow_name_taken(w, buf); k++)
        snprintf(buf, sizeof buf, "%.200s/%s_%d", base, what, k);
    if (w->n_names == w->cap_names) {
        int cap = w->cap_names ? 2 * w->cap_names : 16;
        char **p = runt_alloc_zeroed(w->a, (size_t)cap, sizeof *p);
        if (!p) {
            w->pb.oom = 1;
            return NULL;
        }
        if (w->n_names)
            memcpy(p, w->names, sizeof *p * (size_t)w->n_names);
        runt_free(w->a, w->names);
        w->names = p;
        w->cap_names = cap;
    }
    char *copy = runt_strdup(w->a, buf);
    if (!copy) {
        w->pb.oom = 1;
        return NULL;
    }
    w->names[w->n_names++] = copy;
    return copy;
}

static const char *ow_value_name(const onnx_w *w, int v)
{
    return v >= 0 ? w->m->values[v].name : "";
}

/* ------------------------------------------------------------------------- */
/* Tensors and value infos                                                   */
/* ------------------------------------------------------------------------- */

static int ow_onnx_dtype(runt_dtype t)
{
    switch (t) {
    case RUNT_F32: return 1;  /* FLOAT */
    case RUNT_U8: return 2;   /* UINT8 */
    case RUNT_I8: return 3;   /* INT8  */
    case RUNT_I32: return 6;  /* INT32 */
    case RUNT_I64: return 7;  /* INT64 */
    default: return 0;
    }
}

static int ow_host_little_endian(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* raw_data: the elements little-endian, whatever the host's order. */
static void ow_raw_data(onnx_w *w, const void *data, size_t count, size_t esize)
{
    size_t bytes = count * esize;
    runt_pb_put_tag(&w->pb, TENSOR_RAW_DATA, RUNT_PB_LEN);
    runt_pb_put_varint(&w->pb, bytes);
    if (ow_host_little_endian() || esize == 1) {
        runt_pb_put_raw(&w->pb, data, bytes);
        return;
    }
    const uint8_t *src = data;
    for (size_t i = 0; i < count; i++) {
        uint8_t e[8];
        for (size_t k = 0; k < esize; k++)
            e[k] = src[i * esize + esize - 1 - k];
        runt_pb_put_raw(&w->pb, e, esize);
    }
}

static void ow_initializer(onnx_w *w, const char *name, runt_dtype dtype, int ndim,
                           const int64_t *dims, const void *data)
{
    size_t body = runt_pb_begin(&w->pb, GRAPH_INITIALIZER);
    size_t count = 1;
    for (int d = 0; d < ndim; d++) {
        runt_pb_put_int(&w->pb, TENSOR_DIMS, dims[d]);
        count *= (size_t)dims[d];
    }
    runt_pb_put_int(&w->pb, TENSOR_DATA_TYPE, ow_onnx_dtype(dtype));
    runt_pb_put_str(&w->pb, TENSOR_NAME, name);
    ow_raw_data(w, data, count, runt_dtype_size(dtype));
    runt_pb_end(&w->pb, body);
}

/* A scalar (0-dim) f32 initializer, for Clip's bounds, Pad's value and the
 * constants of Gelu's formula. */
static const char *ow_scalar(onnx_w *w, const char *base, const char *what, float v)
{
    const char *name = ow_new_name(w, base, what);
    if (name)
        ow_initializer(w, name, RUNT_F32, 0, NULL, &v);
    return name;
}

static const char *ow_int64s(onnx_w *w, const char *base, const char *what, const int64_t *v,
                             int n)
{
    const char *name = ow_new_name(w, base, what);
    int64_t dims[1] = {n};
    if (name)
        ow_initializer(w, name, RUNT_I64, 1, dims, v);
    return name;
}

/* A graph input or output: dtype and shape; a batch dim is "N" on inputs. A
 * node output's dims that change with the batch (runt_plan_annotate_model
 * marks them) are "N" in front and unnamed elsewhere: a Reshape may make
 * them a multiple of the batch, which "N" would misstate. */
static void ow_value_info(onnx_w *w, uint32_t field, const runt_model_value *v)
{
    size_t info = runt_pb_begin(&w->pb, field);
    runt_pb_put_str(&w->pb, VALUE_INFO_NAME, v->name);
    size_t type = runt_pb_begin(&w->pb, VALUE_INFO_TYPE);
    size_t tensor = runt_pb_begin(&w->pb, TYPE_TENSOR);
    runt_pb_put_int(&w->pb, TYPE_TENSOR_ELEM_TYPE, ow_onnx_dtype(v->desc.dtype));
    size_t shape = runt_pb_begin(&w->pb, TYPE_TENSOR_SHAPE);
    for (int d = 0; d < v->desc.ndim; d++) {
        size_t dim = runt_pb_begin(&w->pb, SHAPE_DIM);
        if (v->desc.dims[d] >= 0)
            runt_pb_put_int(&w->pb, DIM_VALUE, v->desc.dims[d]);
        else if (d == 0)
            runt_pb_put_str(&w->pb, DIM_PARAM, "N");
        runt_pb_end(&w->pb, dim);
    }
    runt_pb_end(&w->pb, shape);
    runt_pb_end(&w->pb, tensor);
    runt_pb_end(&w->pb, type);
    runt_pb_end(&w->pb, info);
}

/* ------------------------------------------------------------------------- */
/* Nodes and attributes                                                      */
/* ------------------------------------------------------------------------- */

/* An attribute's name and type; its value follows, then runt_pb_end. */
static size_t ow_attr_begin(onnx_w *w, const char *name, int64_t type)
{
    size_t a = runt_pb_begin(&w->pb, NODE_ATTRIBUTE);
    runt_pb_put_str(&w->pb, ATTR_NAME, name);
    runt_pb_put_int(&w->pb, ATTR_TYPE, type);
    return a;
}

static void ow_attr_int(onnx_w *w, const char *name, int64_t v)
{
    size_t a = ow_attr_begin(w, name, ATTR_TYPE_INT);
    runt_pb_put_int(&w->pb, ATTR_I, v);
    runt_pb_end(&w->pb, a);
}

static void ow_attr_float(onnx_w *w, const char *name, float v)
{
    size_t a = ow_attr_begin(w, name, ATTR_TYPE_FLOAT);
    runt_pb_put_float(&w->pb, ATTR_F, v);
    runt_pb_end(&w->pb, a);
}

static void ow_attr_ints(onnx_w *w, const char *name, const int *v, int n)
{
    size_t a = ow_attr_begin(w, name, ATTR_TYPE_INTS);
    for (int i = 0; i < n; i++)
        runt_pb_put_int(&w->pb, ATTR_INTS, v[i]); /* unpacked, the proto2 default encoding */
    runt_pb_end(&w->pb, a);
}

static void ow_attr_string(onnx_w *w, const char *name, const char *s)
{
    size_t a = ow_attr_begin(w, name, ATTR_TYPE_STRING);
    runt_pb_put_str(&w->pb, ATTR_S, s);
    runt_pb_end(&w->pb, a);
}

/* A node header: its names, op_type, inputs ("" for an absent optional one,
 * trailing absent ones dropped) and outputs. The caller adds attributes and
 * closes it with ow_end. */
static size_t ow_node_begin(onnx_w *w, const char *name, const char *op_type, int n_in,
                            const char *const *in, int n_out, const char *const *out)
{
    size_t node = runt_pb_begin(&w->pb, GRAPH_NODE);
    while (n_in > 0 && !*in[n_in - 1])
        n_in--;
    for (int i = 0; i < n_in; i++)
        runt_pb_put_str(&w->pb, NODE_INPUT, in[i]);
    for (int i = 0; i < n_out; i++)
        runt_pb_put_str(&w->pb, NODE_OUTPUT, out[i]);
    runt_pb_put_str(&w->pb, NODE_NAME, name);
    runt_pb_put_str(&w->pb, NODE_OP_TYPE, op_type);
    return node;
}

/* A node without attributes. */
static void ow_node(onnx_w *w, const char *name, const char *op_type, int n_in,
                    const char *const *in, const char *out)
{
    runt_pb_end(&w->pb, ow_node_begin(w, name, op_type, n_in, in, 1, &out));
}

/* "<base>/<what>" as a node name (node names need not be unique in ONNX,
 * but distinct ones make ONNX Runtime's messages readable). */
static const char *ow_node_name(char *buf, size_t size, const char *base, const char *what)
{
    snprintf(buf, size, "%.200s/%s", base, what);
    return buf;
}

/* A node "<base>/<what>" of one or (b not NULL) two inputs. */
static void ow_op(onnx_w *w, const char *base, const char *what, const char *op_type,
                  const char *a, const char *b, const char *y)
{
    char name[300];
    const char *in[2] = {a, b};
    ow_node(w, ow_node_name(name, sizeof name, base, what), op_type, b ? 2 : 1, in, y);
}

/* Gelu in opset 17 operators, as backends/ref evaluates it:
 * erf form  0.5f * x * (1 + erf(x * (1/sqrt 2)))
 * tanh form 0.5f * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x * x * x))). */
static void ow_gelu(onnx_w *w, const char *base, const char *x, const char *y, int tanh_form)
{
    const char *one = ow_scalar(w, base, "one", 1.0f), *half = ow_scalar(w, base, "half", 0.5f);
    const char *t = NULL;
    if (!tanh_form) {
        const char *c = ow_scalar(w, base, "inv_sqrt2", 0.7071067811865476f);
        const char *scaled = ow_new_name(w, base, "scaled"), *e = ow_new_name(w, base, "erf");
        if (!one || !half || !c || !scaled || !e)
            return;
        ow_op(w, base, "scale", "Mul", x, c, scaled);
        ow_op(w, base, "erf", "Erf", scaled, NULL, e);
        t = e;
    } else {
        const char *k = ow_scalar(w, base, "cubic", 0.044715f);
        const char *s = ow_scalar(w, base, "sqrt_2_over_pi", 0.7978845608028654f);
        const char *kx = ow_new_name(w, base, "kx"), *kx2 = ow_new_name(w, base, "kx2");
        const char *kx3 = ow_new_name(w, base, "kx3"), *sum = ow_new_name(w, base, "sum");
        const char *inner = ow_new_name(w, base, "inner"), *th = ow_new_name(w, base, "tanh");
        if (!one || !half || !k || !s || !kx || !kx2 || !kx3 || !sum || !inner || !th)
            return;
        ow_op(w, base, "kx", "Mul", k, x, kx);
        ow_op(w, base, "kx2", "Mul", kx, x, kx2);
        ow_op(w, base, "kx3", "Mul", kx2, x, kx3);
        ow_op(w, base, "sum", "Add", x, kx3, sum);
        ow_op(w, base, "inner", "Mul", s, sum, inner);
        ow_op(w, base, "tanh", "Tanh", inner, NULL, th);
        t = th;
    }
    const char *one_plus = ow_new_name(w, base, "one_plus"), *hx = ow_new_name(w, base, "half_x");
    if (!one_plus || !hx)
        return;
    ow_op(w, base, "one_plus", "Add", one, t, one_plus);
    ow_op(w, base, "half_x", "Mul", half, x, hx);
    ow_op(w, base, "out", "Mul", hx, one_plus, y);
}

/* An activation (a standalone op, or an epilogue written out) from x to y. */
static void ow_activation(onnx_w *w, const char *base, const runt_epilogue *e, const char *x,
                          const char *y)
{
    size_t node;
    switch (e->act) {
    case RUNT_ACT_RELU: ow_node(w, base, "Relu", 1, &x, y); break;
    case RUNT_ACT_SIGMOID: ow_node(w, base, "Sigmoid", 1, &x, y); break;
    case RUNT_ACT_TANH: ow_node(w, base, "Tanh", 1, &x, y); break;
    case RUNT_ACT_LEAKY_RELU:
        node = ow_node_begin(w, base, "LeakyRelu", 1, &x, 1, &y);
        ow_attr_float(w, "alpha", e->alpha);
        runt_pb_end(&w->pb, node);
        break;
    case RUNT_ACT_CLIP: {
        /* The bounds as they are, +-inf included, so a loaded copy clips alike. */
        const char *lo = ow_scalar(w, base, "min", e->alpha);
        const char *hi = ow_scalar(w, base, "max", e->beta);
        if (lo && hi)
            ow_node(w, base, "Clip", 3, (const char *[]){x, lo, hi}, y);
        break;
    }
    case RUNT_ACT_GELU: ow_gelu(w, base, x, y, 0); break;
    case RUNT_ACT_GELU_TANH: ow_gelu(w, base, x, y, 1); break;
    case RUNT_ACT_NONE:
    default: ow_node(w, base, "Identity", 1, &x, y); break;
    }
}

/* The pads auto_pad stands for, from the input's spatial dims (as
 * runtime/shape.c resolves them); 0 when a dim is not known. */
static int ow_resolve_auto_pad(const int *kernel, const int *strides, const int *dilations,
                               runt_auto_pad auto_pad, const runt_tensor *x, int pads[4])
{
    if (x->ndim != 4 || kernel[0] <= 0 || kernel[1] <= 0)
        return 0;
    for (int i = 0; i < 2; i++) {
        int64_t in = x->dims[2 + i], total = 0;
        if (in < 0 || strides[i] <= 0)
            return 0;
        if (auto_pad != RUNT_PAD_VALID) {
            int64_t out = (in + strides[i] - 1) / strides[i];
            total = (out - 1) * strides[i] + (int64_t)(kernel[i] - 1) * dilations[i] + 1 - in;
            total = total < 0 ? 0 : total;
        }
        int64_t small = total / 2, big = total - small;
        pads[i] = (int)(auto_pad == RUNT_PAD_SAME_LOWER ? big : small);
        pads[2 + i] = (int)(auto_pad == RUNT_PAD_SAME_LOWER ? small : big);
    }
    return 1;
}

/* Conv's and the pools' window attributes; runt's pads are already in ONNX
 * order (x1_begin, x2_begin, x1_end, x2_end) = (top, left, bottom, right).
 * auto_pad is written as the pads it means where the input's size is known:
 * ONNX Runtime 1.31 refuses SAME_UPPER/SAME_LOWER on a dilated Conv. */
static void ow_window(onnx_w *w, const int *kernel, const int *strides, const int *dilations,
                      const int *pads, runt_auto_pad auto_pad, const runt_tensor *x)
{
    static const char *const auto_pads[] = {"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"};
    int resolved[4];
    if (kernel[0] > 0 && kernel[1] > 0)
        ow_attr_ints(w, "kernel_shape", kernel, 2);
    ow_attr_ints(w, "strides", strides, 2);
    if (auto_pad == RUNT_PAD_EXPLICIT)
        ow_attr_ints(w, "pads", pads, 4);
    else if (ow_resolve_auto_pad(kernel, strides, dilations, auto_pad, x, resolved))
        ow_attr_ints(w, "pads", resolved, 4);
    else
        ow_attr_string(w, "auto_pad", auto_pads[auto_pad]);
}

/* Conv with kernel 0 takes it from the weight; written out when the weight
 * is a constant, left to the weight's shape (as ONNX allows) otherwise. */
static void ow_conv_kernel(const onnx_w *w, const runt_model_node *n, int kernel[2])
{
    kernel[0] = n->attrs.conv.kernel[0];
    kernel[1] = n->attrs.conv.kernel[1];
    const runt_model_value *wt = &w->m->values[n->inputs[1]];
    if ((kernel[0] <= 0 || kernel[1] <= 0) && wt->is_constant && wt->desc.ndim == 4) {
        kernel[0] = (int)wt->desc.dims[2];
        kernel[1] = (int)wt->desc.dims[3];
    }
}

static runt_status ow_refuse(const runt_model_node *n, const char *why)
{
    char label[200];
    return runt_error_set(RUNT_E_UNSUPPORTED, "runt_model_save_onnx: %s: %s",
                          runt_model_node_label(n, label, sizeof label), why);
}

/* What opset 17 cannot say is refused before anything is written. */
static runt_status ow_check_node(const runt_model_node *n)
{
    if (!runt_op_traits_get(n->op))
        return ow_refuse(n, "unknown op");
    if (n->op == RUNT_OP_AVERAGE_POOL &&
        (n->attrs.pool.dilations[0] != 1 || n->attrs.pool.dilations[1] != 1))
        return ow_refuse(n, "AveragePool has dilations only from opset 19; the file is opset 17");
    if ((n->op == RUNT_OP_CONV || n->op == RUNT_OP_MAX_POOL || n->op == RUNT_OP_AVERAGE_POOL) &&
        ((unsigned)(n->op == RUNT_OP_CONV ? n->attrs.conv.auto_pad : n->attrs.pool.auto_pad) >
         RUNT_PAD_SAME_LOWER))
        return ow_refuse(n, "unknown auto_pad value");
    if (n->op == RUNT_OP_PAD && (n->attrs.pad.ndim < 0 || n->attrs.pad.ndim > RUNT_MAX_DIMS))
        return ow_refuse(n, "pads for an impossible rank");
    if (n->op == RUNT_OP_PAD && (unsigned)n->attrs.pad.mode > (unsigned)RUNT_PAD_MODE_WRAP)
        return ow_refuse(n, "an unknown pad mode");
    if (n->op == RUNT_OP_PAD && n->attrs.pad.mode == RUNT_PAD_MODE_WRAP)
        return ow_refuse(n, "pad mode 'wrap' needs opset 19; the file is opset 17");
    if (n->op == RUNT_OP_RESHAPE &&
        (n->attrs.reshape.ndim < 0 || n->attrs.reshape.ndim > RUNT_MAX_DIMS))
        return ow_refuse(n, "a shape of an impossible rank");
    if ((n->op == RUNT_OP_QUANTIZE_LINEAR || n->op == RUNT_OP_DEQUANTIZE_LINEAR) &&
        n->attrs.quant.block_size > 0)
        return ow_refuse(n, "blocked quantization needs opset 21; the file is opset 17");
    if (n->op == RUNT_OP_QUANTIZE_LINEAR && n->attrs.quant.output_dtype != RUNT_F32 &&
        (n->n_inputs < 3 || n->inputs[2] < 0))
        return ow_refuse(n, "output_dtype without a zero point needs opset 21; the file is opset 17");
    if (n->op == RUNT_OP_CAST && !ow_onnx_dtype(n->attrs.cast.to))
        return ow_refuse(n, "Cast to a dtype ONNX files here cannot name");
    return RUNT_OK;
}

/* The attributes of a node written with its own inputs and outputs: every op
 * but those whose constant operands runt folds into attributes (Pad, Reshape)
 * and Constant, which ow_model_node writes itself. */
static void ow_attrs(onnx_w *w, const runt_model_node *n)
{
    const runt_attrs *a = &n->attrs;
    switch (n->op) {
    case RUNT_OP_GEMM:
        ow_attr_float(w, "alpha", a->gemm.alpha);
        ow_attr_float(w, "beta", a->gemm.beta);
        ow_attr_int(w, "transA", a->gemm.trans_a != 0);
        ow_attr_int(w, "transB", a->gemm.trans_b != 0);
        break;
    case RUNT_OP_CONV:
    case RUNT_OP_CONV_INTEGER: {
        int kernel[2];
        ow_conv_kernel(w, n, kernel);
        ow_window(w, kernel, a->conv.strides, a->conv.dilations, a->conv.pads, a->conv.auto_pad,
                  &w->m->values[n->inputs[0]].desc);
        ow_attr_ints(w, "dilations", a->conv.dilations, 2);
        ow_attr_int(w, "group", a->conv.group);
        break;
    }
    case RUNT_OP_MAX_POOL:
    case RUNT_OP_AVERAGE_POOL:
        ow_window(w, a->pool.kernel, a->pool.strides, a->pool.dilations, a->pool.pads,
                  a->pool.auto_pad, &w->m->values[n->inputs[0]].desc);
        ow_attr_int(w, "ceil_mode", a->pool.ceil_mode != 0);
        if (n->op == RUNT_OP_MAX_POOL)
            ow_attr_ints(w, "dilations", a->pool.dilations, 2);
        else
            ow_attr_int(w, "count_include_pad", a->pool.count_include_pad != 0);
        break;
    case RUNT_OP_SOFTMAX:
    case RUNT_OP_FLATTEN:
        ow_attr_int(w, "axis", a->axis.axis);
        break;
    case RUNT_OP_BATCH_NORM:
        ow_attr_float(w, "epsilon", a->batch_norm.epsilon);
        break;
    case RUNT_OP_LAYER_NORM:
        ow_attr_int(w, "axis", a->layer_norm.axis);
        ow_attr_float(w, "epsilon", a->layer_norm.epsilon);
        break;
    case RUNT_OP_QUANTIZE_LINEAR:
    case RUNT_OP_DEQUANTIZE_LINEAR:
        ow_attr_int(w, "axis", a->quant.axis);
        break;
    case RUNT_OP_CAST:
        ow_attr_int(w, "to", ow_onnx_dtype(a->cast.to));
        break;
    default: /* MatMul, MatMulInteger, Add, Sub, Mul, Div, Erf, GlobalAveragePool, Identity,
                Dropout, DynamicQuantizeLinear */
        break;
    }
}

/* Writes one model node as one or more ONNX nodes. */
static void ow_model_node(onnx_w *w, const runt_model_node *n)
{
    const char *in[RUNT_MAX_NODE_INPUTS], *out[RUNT_MAX_NODE_OUTPUTS];
    const runt_attrs *a = &n->attrs;
    const char *op_type = runt_op_name(n->op);
    runt_epilogue e;
    for (int i = 0; i < n->n_inputs; i++)
        in[i] = ow_value_name(w, n->inputs[i]);
    for (int i = 0; i < n->n_outputs; i++)
        out[i] = ow_value_name(w, n->outputs[i]);

    if (runt_op_as_epilogue(n->op, a, &e)) {
        ow_activation(w, n->name, &e, in[0], out[0]);
        return;
    }
    /* Gemm and Conv write their result to a helper value when an epilogue follows. */
    const runt_epilogue *epi = n->op == RUNT_OP_GEMM ? &a->gemm.epilogue
                               : n->op == RUNT_OP_CONV ? &a->conv.epilogue : NULL;
    const char *y = out[0];
    if (epi && epi->act != RUNT_ACT_NONE && !(y = ow_new_name(w, n->name, "pre_activation")))
        return;

    switch (n->op) {
    case RUNT_OP_PAD: {
        const char *pads = ow_int64s(w, n->name, "pads", a->pad.pads, 2 * a->pad.ndim);
        const char *value = ow_scalar(w, n->name, "constant_value", a->pad.value);
        if (!pads || !value)
            break;
        size_t node = ow_node_begin(w, n->name, op_type, 3,
                                    (const char *[]){in[0], pads, value}, 1, &y);
        if (a->pad.mode != RUNT_PAD_MODE_CONSTANT)
            ow_attr_string(w, "mode", runt_pad_mode_names[a->pad.mode]);
        runt_pb_end(&w->pb, node);
        break;
    }
    case RUNT_OP_RESHAPE: {
        const char *shape = ow_int64s(w, n->name, "shape", a->reshape.shape, a->reshape.ndim);
        if (!shape)
            break;
        size_t node = ow_node_begin(w, n->name, op_type, 2, (const char *[]){in[0], shape}, 1, &y);
        if (a->reshape.allowzero)
            ow_attr_int(w, "allowzero", 1);
        runt_pb_end(&w->pb, node);
        break;
    }
    case RUNT_OP_CONSTANT:
        /* runt's Constant copies its constant input: an Identity of the initializer. */
        ow_node(w, n->name, "Identity", 1, in, y);
        break;
    default: {
        /* The node as it stands, but for y in place of its first output. */
        const char *outs[RUNT_MAX_NODE_OUTPUTS];
        outs[0] = y;
        for (int i = 1; i < n->n_outputs; i++)
            outs[i] = out[i];
        size_t node = ow_node_begin(w, n->name, op_type, n->n_inputs, in, n->n_outputs, outs);
        ow_attrs(w, n);
        runt_pb_end(&w->pb, node);
        break;
    }
    }
    if (y != out[0]) {
        char nn[300];
        ow_activation(w, ow_node_name(nn, sizeof nn, n->name, "activation"), epi, y, out[0]);
    }
}

/* ------------------------------------------------------------------------- */
/* The model                                                                 */
/* ------------------------------------------------------------------------- */

static void ow_graph(onnx_w *w)
{
    const runt_model *m = w->m;
    size_t graph = runt_pb_begin(&w->pb, MODEL_GRAPH);
    runt_pb_put_str(&w->pb, GRAPH_NAME, "runt");
    for (int v = 0; v < m->n_values; v++) {
        const runt_model_value *mv = &m->values[v];
        if (mv->is_constant)
            ow_initializer(w, mv->name, mv->desc.dtype, mv->desc.ndim, mv->desc.dims,
                           mv->desc.data);
    }
    for (int i = 0; i < m->n_nodes; i++)
        ow_model_node(w, &m->nodes[i]);
    for (int i = 0; i < m->n_inputs; i++)
        ow_value_info(w, GRAPH_INPUT, &m->values[m->inputs[i]]);
    for (int i = 0; i < m->n_outputs; i++)
        ow_value_info(w, GRAPH_OUTPUT, &m->values[m->outputs[i]]);
    runt_pb_end(&w->pb, graph);
}

static runt_status ow_model(onnx_w *w)
{
    for (int i = 0; i < w->m->n_nodes; i++) {
        runt_status s = ow_check_node(&w->m->nodes[i]);
        if (s != RUNT_OK)
            return s;
    }
    for (int v = 0; v < w->m->n_values; v++)
        if (!ow_onnx_dtype(w->m->values[v].desc.dtype) || !w->m->values[v].name)
            return runt_error_set(RUNT_E_UNSUPPORTED, "runt_model_save_onnx: value %d ('%s') "
                                  "has dtype %d, which has no ONNX type here", v,
                                  w->m->values[v].name ? w->m->values[v].name : "?",
                                  (int)w->m->values[v].desc.dtype);
    runt_pb_put_int(&w->pb, MODEL_IR_VERSION, RUNT_ONNX_WRITE_IR);
    runt_pb_put_str(&w->pb, MODEL_PRODUCER_NAME, "runt");
    runt_pb_put_str(&w->pb, MODEL_PRODUCER_VERSION, runt_version());
    size_t opset = runt_pb_begin(&w->pb, MODEL_OPSET_IMPORT);
    runt_pb_put_int(&w->pb, OPSET_VERSION, RUNT_ONNX_WRITE_OPSET); /* domain "" (ai.onnx) is the default */
    runt_pb_end(&w->pb, opset);
    ow_graph(w);
    if (w->pb.oom)
        return runt_error_set(RUNT_E_OOM, "runt_model_save_onnx: out of memory (%zu bytes "
                              "encoded)", w->pb.n);
    return RUNT_OK;
}

static runt_status ow_write_file(const onnx_w *w, const char *path)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return runt_error_set(RUNT_E_IO, "runt_model_save_onnx: cannot open '%s' for writing: %s",
                              path, strerror(errno));
    int ok = fwrite(w->pb.p, 1, w->pb.n, fp) == w->pb.n;
    int err = errno;
    if (fclose(fp) != 0 && ok) {
        ok = 0;
        err = errno;
    }
    if (!ok)
        return runt_error_set(RUNT_E_IO, "runt_model_save_onnx: writing %zu bytes to '%s' "
                              "failed: %s", w->pb.n, path, strerror(err));
    return RUNT_OK;
}

runt_status runt_model_save_onnx(const runt_model *m, const char *path)
{
    if (!m || !path)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_model_save_onnx: %s is NULL",
                              !m ? "model" : "path");
    onnx_w w;
    memset(&w, 0, sizeof w);
    w.m = m;
    w.a = &m->allocator;
    w.pb.alloc = w.a;
    runt_status s = ow_model(&w);
    if (s == RUNT_OK)
        s = ow_write_file(&w, path);
    for (int i = 0; i < w.n_names; i++)
        runt_free(w.a, w.names[i]);
    runt_free(w.a, w.names);
    runt_pb_writer_free(&w.pb);
    return s;
}

#endif /* RUNT_BARE_METAL */
