/*
 * Decodes an ONNX ModelProto (onnx/onnx.proto) into the views of
 * onnx_impl.h. Only the fields runt uses are read; every other field, known
 * or not, is skipped, as protobuf requires. A field runt reads with the wrong
 * wire type is an error, not skipped: silently ignoring it would load a
 * different model than the file describes.
 */
#include <limits.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "onnx_impl.h"

/* The views the decoder makes: compared, and printed in messages. They are
 * here, at the bottom of the reader's files, because every file above uses
 * them. */

int runt_onnx_str_eq(const runt_onnx_str *s, const char *z)
{
    size_t n = strlen(z);
    return s->n == n && (n == 0 || memcmp(s->p, z, n) == 0);
}

int runt_onnx_shown(const runt_onnx_str *s)
{
    return (int)(s->n > RUNT_ONNX_NAME_SHOWN ? RUNT_ONNX_NAME_SHOWN : s->n);
}

const char *runt_onnx_chars(const runt_onnx_str *s)
{
    return s->p ? (const char *)s->p : "";
}

/* Field names for messages; numbers from onnx.proto. */
static const runt_pb_field_name runt_onnx_model_fields[] = {
    {1, "ir_version"}, {2, "producer_name"}, {3, "producer_version"}, {4, "domain"},
    {5, "model_version"}, {6, "doc_string"}, {7, "graph"}, {8, "opset_import"},
    {14, "metadata_props"}, {20, "training_info"}, {25, "functions"}, {0, NULL}};
static const runt_pb_field_name runt_onnx_opset_fields[] = {
    {1, "domain"}, {2, "version"}, {0, NULL}};
static const runt_pb_field_name runt_onnx_graph_fields[] = {
    {1, "node"}, {2, "name"}, {5, "initializer"}, {10, "doc_string"}, {11, "input"},
    {12, "output"}, {13, "value_info"}, {14, "quantization_annotation"},
    {15, "sparse_initializer"}, {0, NULL}};
static const runt_pb_field_name runt_onnx_node_fields[] = {
    {1, "input"}, {2, "output"}, {3, "name"}, {4, "op_type"}, {5, "attribute"},
    {6, "doc_string"}, {7, "domain"}, {0, NULL}};
static const runt_pb_field_name runt_onnx_attr_fields[] = {
    {1, "name"}, {2, "f"}, {3, "i"}, {4, "s"}, {5, "t"}, {6, "g"}, {7, "floats"}, {8, "ints"},
    {9, "strings"}, {10, "tensors"}, {11, "graphs"}, {13, "doc_string"}, {20, "type"},
    {21, "ref_attr_name"}, {22, "sparse_tensor"}, {23, "sparse_tensors"}, {0, NULL}};
static const runt_pb_field_name runt_onnx_tensor_fields[] = {
    {1, "dims"}, {2, "data_type"}, {3, "segment"}, {4, "float_data"}, {5, "int32_data"},
    {6, "string_data"}, {7, "int64_data"}, {8, "name"}, {9, "raw_data"}, {10, "double_data"},
    {11, "uint64_data"}, {12, "doc_string"}, {13, "external_data"}, {14, "data_location"},
    {0, NULL}};
static const runt_pb_field_name runt_onnx_value_info_fields[] = {
    {1, "name"}, {2, "type"}, {3, "doc_string"}, {0, NULL}};
static const runt_pb_field_name runt_onnx_type_fields[] = {
    {1, "tensor_type"}, {4, "sequence_type"}, {5, "map_type"}, {6, "denotation"},
    {8, "optional_type"}, {9, "sparse_tensor_type"}, {0, NULL}};
static const runt_pb_field_name runt_onnx_tensor_type_fields[] = {
    {1, "elem_type"}, {2, "shape"}, {0, NULL}};
static const runt_pb_field_name runt_onnx_shape_fields[] = {{1, "dim"}, {0, NULL}};
static const runt_pb_field_name runt_onnx_dim_fields[] = {
    {1, "dim_value"}, {2, "dim_param"}, {3, "denotation"}, {0, NULL}};

static const runt_pb_message runt_onnx_model_msg = {"ModelProto", runt_onnx_model_fields};
static const runt_pb_message runt_onnx_opset_msg = {"OperatorSetIdProto", runt_onnx_opset_fields};
static const runt_pb_message runt_onnx_graph_msg = {"GraphProto", runt_onnx_graph_fields};
static const runt_pb_message runt_onnx_node_msg = {"NodeProto", runt_onnx_node_fields};
static const runt_pb_message runt_onnx_attr_msg = {"AttributeProto", runt_onnx_attr_fields};
const runt_pb_message runt_onnx_tensor_msg = {"TensorProto", runt_onnx_tensor_fields};
static const runt_pb_message runt_onnx_value_info_msg = {"ValueInfoProto",
                                                         runt_onnx_value_info_fields};
static const runt_pb_message runt_onnx_type_msg = {"TypeProto", runt_onnx_type_fields};
static const runt_pb_message runt_onnx_tensor_type_msg = {"TypeProto.Tensor",
                                                          runt_onnx_tensor_type_fields};
static const runt_pb_message runt_onnx_shape_msg = {"TensorShapeProto", runt_onnx_shape_fields};
static const runt_pb_message runt_onnx_dim_msg = {"TensorShapeProto.Dimension",
                                                  runt_onnx_dim_fields};

/* Grows an array by one slot, returning it zeroed in *slot. */
static runt_status runt_onnx_push(runt_onnx_ctx *c, void **items, int *n, int *cap, size_t elem,
                                  void **slot)
{
    if (*n == *cap) {
        if (*cap > INT_MAX / 2)
            return runt_error_set(RUNT_E_UNSUPPORTED, "%s: more than %d items in one list",
                                  c->source, INT_MAX / 2);
        int new_cap = *cap ? *cap * 2 : 8;
        void *p = runt_alloc_zeroed(c->alloc, (size_t)new_cap, elem);
        if (!p)
            return runt_error_set(RUNT_E_OOM, "%s: out of memory reading the graph", c->source);
        if (*items)
            memcpy(p, *items, (size_t)*cap * elem);
        runt_free(c->alloc, *items);
        *items = p;
        *cap = new_cap;
    }
    *slot = (char *)*items + (size_t)*n * elem;
    memset(*slot, 0, elem);
    (*n)++;
    return RUNT_OK;
}

#define RUNT_ONNX_PUSH(c, arr, slot)                                                         \
    runt_onnx_push((c), (void **)&(c)->g.arr, &(c)->g.n_##arr, &(c)->g.cap_##arr,            \
                   sizeof *(c)->g.arr, (void **)(slot))

void runt_onnx_graph_free(runt_onnx_ctx *c)
{
    runt_onnx_graph *g = &c->g;
    runt_free(c->alloc, g->nodes);
    runt_free(c->alloc, g->node_inputs);
    runt_free(c->alloc, g->node_outputs);
    runt_free(c->alloc, g->attrs);
    runt_free(c->alloc, g->initializers);
    runt_free(c->alloc, g->inputs);
    runt_free(c->alloc, g->outputs);
    memset(g, 0, sizeof *g);
}

/* A string field. NUL bytes are refused: names become C strings later, and a
 * name cut at a NUL would silently alias another. */
static runt_status runt_onnx_get_str(const runt_pb_reader *r, const runt_pb_field *f,
                                     runt_onnx_str *out)
{
    runt_status s = runt_pb_bytes(r, f, &out->p, &out->n);
    if (s != RUNT_OK)
        return s;
    out->at = f->offset;
    if (memchr(out->p, 0, out->n))
        return runt_pb_error(r, f->at, f->number, RUNT_E_BAD_MODEL, "string holds a NUL byte");
    return RUNT_OK;
}

static runt_status runt_onnx_sub(const runt_pb_reader *r, const runt_pb_field *f,
                                 const runt_pb_message *msg, runt_pb_reader *sub)
{
    runt_status s = runt_pb_expect(r, f, RUNT_PB_LEN);
    if (s == RUNT_OK)
        *sub = runt_pb_reader_sub(r, f, msg);
    return s;
}

runt_status runt_onnx_count_values(const runt_pb_reader *r, const runt_pb_field *f,
                                   runt_pb_wire elem, size_t *total)
{
    runt_pb_values v;
    size_t n;
    runt_status s = runt_pb_values_begin(r, f, elem, &v);
    if (s == RUNT_OK)
        s = runt_pb_values_count(r, &v, &n);
    if (s == RUNT_OK)
        *total += n;
    return s;
}

static runt_status runt_onnx_parse_dims(const runt_pb_reader *r, const runt_pb_field *f,
                                        runt_onnx_tensor *t)
{
    runt_pb_values v;
    uint64_t bits;
    int has;
    runt_status s = runt_pb_values_begin(r, f, RUNT_PB_VARINT, &v);
    while (s == RUNT_OK && (s = runt_pb_values_next(r, &v, &bits, &has)) == RUNT_OK && has) {
        int64_t d = (int64_t)bits;
        if (d < 0)
            return runt_pb_error(r, f->at, f->number, RUNT_E_BAD_MODEL,
                                 "dim %d is %lld; dims may not be negative", t->ndim,
                                 (long long)d);
        if (t->ndim < RUNT_MAX_DIMS)
            t->dims[t->ndim] = d;
        if (t->ndim <= RUNT_MAX_DIMS)
            t->ndim++;
    }
    return s;
}

/* The embedded message in field f, read field by field through field. */
static runt_status runt_onnx_message(const runt_pb_reader *r, const runt_pb_field *f,
                                     const runt_pb_message *msg, runt_pb_field_fn *field,
                                     void *ctx)
{
    runt_pb_reader sub;
    runt_status s = runt_onnx_sub(r, f, msg, &sub);
    return s == RUNT_OK ? runt_pb_fields(&sub, field, ctx) : s;
}

static runt_status runt_onnx_tensor_field(runt_pb_reader *r, const runt_pb_field *f, void *ctx)
{
    runt_onnx_tensor *t = ctx;
    switch (f->number) {
    case 1: return runt_onnx_parse_dims(r, f, t);
    case 2: return runt_pb_int64(r, f, &t->data_type);
    case 3: t->has_segment = 1; return RUNT_OK;
    case 8: return runt_onnx_get_str(r, f, &t->name);
    case 14: return runt_pb_int64(r, f, &t->data_location);
    default: return RUNT_OK; /* data fields are read when the tensor is used */
    }
}

/* The TensorProto in field f; its bytes are kept to read the data later. */
static runt_status runt_onnx_parse_tensor(const runt_pb_reader *r, const runt_pb_field *f,
                                          runt_onnx_tensor *t)
{
    runt_pb_reader sub;
    runt_status s = runt_onnx_sub(r, f, &runt_onnx_tensor_msg, &sub);
    if (s != RUNT_OK)
        return s;
    t->at = sub.pos;
    t->end = sub.end;
    return runt_pb_fields(&sub, runt_onnx_tensor_field, t);
}

/* An AttributeProto being read, and which singular value fields it had. */
typedef struct runt_onnx_attr_read {
    runt_onnx_attr *a;
    int has_f, has_i, has_s;
} runt_onnx_attr_read;

static runt_status runt_onnx_attr_field(runt_pb_reader *r, const runt_pb_field *f, void *ctx)
{
    runt_onnx_attr_read *ar = ctx;
    runt_onnx_attr *a = ar->a;
    switch (f->number) {
    case 1: return runt_onnx_get_str(r, f, &a->name);
    case 2: ar->has_f = 1; return runt_pb_float(r, f, &a->f);
    case 3: ar->has_i = 1; return runt_pb_int64(r, f, &a->i);
    case 4: ar->has_s = 1; return runt_onnx_get_str(r, f, &a->s);
    case 5: a->has_t = 1; return runt_onnx_parse_tensor(r, f, &a->t);
    case 7: return runt_onnx_count_values(r, f, RUNT_PB_FIXED32, &a->n_floats);
    case 8: return runt_onnx_count_values(r, f, RUNT_PB_VARINT, &a->n_ints);
    case 20: return runt_pb_int64(r, f, &a->type);
    default: return RUNT_OK;
    }
}

static runt_status runt_onnx_parse_attr(const runt_pb_reader *r, const runt_pb_field *f,
                                        runt_onnx_attr *a)
{
    runt_pb_reader sub;
    runt_onnx_attr_read ar = {a, 0, 0, 0};
    runt_status s = runt_onnx_sub(r, f, &runt_onnx_attr_msg, &sub);
    if (s != RUNT_OK)
        return s;
    a->at = sub.pos;
    a->end = sub.end;
    if ((s = runt_pb_fields(&sub, runt_onnx_attr_field, &ar)) != RUNT_OK)
        return s;
    /* IR version 1 had no type field: the field in use says it. */
    if (a->type == RUNT_ONNX_ATTR_UNDEFINED)
        a->type = a->has_t ? RUNT_ONNX_ATTR_TENSOR : a->n_floats ? RUNT_ONNX_ATTR_FLOATS
                  : a->n_ints ? RUNT_ONNX_ATTR_INTS : ar.has_s ? RUNT_ONNX_ATTR_STRING
                  : ar.has_f ? RUNT_ONNX_ATTR_FLOAT : ar.has_i ? RUNT_ONNX_ATTR_INT
                  : RUNT_ONNX_ATTR_UNDEFINED;
    return RUNT_OK;
}

/* Where runt_onnx_attr_values puts the elements, and how many it saw. */
typedef struct runt_onnx_attr_out {
    int is_float;
    void *out;
    size_t cap, *n;
} runt_onnx_attr_out;

static runt_status runt_onnx_attr_value(const runt_pb_reader *r, const runt_pb_values *v,
                                        size_t i, uint64_t bits, void *ctx)
{
    (void)r, (void)v;
    const runt_onnx_attr_out *o = ctx;
    *o->n = i + 1;
    if (i >= o->cap)
        return RUNT_OK; /* counted, not stored */
    if (o->is_float) {
        uint32_t b32 = (uint32_t)bits;
        memcpy((float *)o->out + i, &b32, sizeof(float));
    } else {
        ((int64_t *)o->out)[i] = (int64_t)bits;
    }
    return RUNT_OK;
}

runt_status runt_onnx_attr_values(const runt_onnx_ctx *c, const runt_onnx_attr *a, int is_float,
                                  void *out, size_t cap, size_t *n)
{
    runt_pb_reader r = runt_onnx_reader(c, &runt_onnx_attr_msg);
    runt_onnx_attr_out o = {is_float, out, cap, n};
    r.pos = a->at;
    r.end = a->end;
    *n = 0;
    return runt_pb_repeated(&r, is_float ? 7 : 8, is_float ? RUNT_PB_FIXED32 : RUNT_PB_VARINT,
                            runt_onnx_attr_value, &o);
}

/* A NodeProto being read: its lists are appended to the graph's as read. */
typedef struct runt_onnx_node_read {
    runt_onnx_ctx *c;
    runt_onnx_node *node;
} runt_onnx_node_read;

/* A string appended to one of the graph's lists (a node's inputs, outputs). */
static runt_status runt_onnx_push_str(runt_onnx_ctx *c, const runt_pb_reader *r,
                                      const runt_pb_field *f, int is_output)
{
    runt_onnx_str *str;
    runt_status s = is_output ? RUNT_ONNX_PUSH(c, node_outputs, &str)
                              : RUNT_ONNX_PUSH(c, node_inputs, &str);
    return s == RUNT_OK ? runt_onnx_get_str(r, f, str) : s;
}

static runt_status runt_onnx_node_field(runt_pb_reader *r, const runt_pb_field *f, void *ctx)
{
    runt_onnx_node_read *nr = ctx;
    runt_onnx_attr *attr;
    runt_status s;
    switch (f->number) {
    case 1: return runt_onnx_push_str(nr->c, r, f, 0);
    case 2: return runt_onnx_push_str(nr->c, r, f, 1);
    case 3: return runt_onnx_get_str(r, f, &nr->node->name);
    case 4: return runt_onnx_get_str(r, f, &nr->node->op_type);
    case 5:
        if ((s = runt_pb_expect(r, f, RUNT_PB_LEN)) != RUNT_OK ||
            (s = RUNT_ONNX_PUSH(nr->c, attrs, &attr)) != RUNT_OK)
            return s;
        return runt_onnx_parse_attr(r, f, attr);
    case 7: return runt_onnx_get_str(r, f, &nr->node->domain);
    default: return RUNT_OK;
    }
}

static runt_status runt_onnx_parse_node(runt_onnx_ctx *c, const runt_pb_reader *r,
                                        const runt_pb_field *f)
{
    runt_onnx_node node;
    runt_onnx_node_read nr = {c, &node};
    runt_pb_reader sub;
    runt_status s = runt_onnx_sub(r, f, &runt_onnx_node_msg, &sub);
    if (s != RUNT_OK)
        return s;
    memset(&node, 0, sizeof node);
    node.at = sub.pos;
    node.index = c->g.n_nodes;
    node.first_input = c->g.n_node_inputs;
    node.first_output = c->g.n_node_outputs;
    node.first_attr = c->g.n_attrs;
    if ((s = runt_pb_fields(&sub, runt_onnx_node_field, &nr)) != RUNT_OK)
        return s;
    if (c->g.n_nodes >= c->limits.max_nodes)
        return runt_pb_error(&sub, node.at, 0, RUNT_E_LIMIT, "the graph has more than %lld nodes "
                             "(runt_limits.max_nodes)", (long long)c->limits.max_nodes);
    node.n_inputs = c->g.n_node_inputs - node.first_input;
    node.n_outputs = c->g.n_node_outputs - node.first_output;
    node.n_attrs = c->g.n_attrs - node.first_attr;
    runt_onnx_node *slot;
    if ((s = RUNT_ONNX_PUSH(c, nodes, &slot)) == RUNT_OK)
        *slot = node;
    return s;
}

static runt_status runt_onnx_dim_field(runt_pb_reader *r, const runt_pb_field *f, void *ctx)
{
    runt_onnx_dim *d = ctx;
    switch (f->number) {
    case 1: d->kind = RUNT_ONNX_DIM_VALUE; return runt_pb_int64(r, f, &d->value);
    case 2: d->kind = RUNT_ONNX_DIM_PARAM; return runt_onnx_get_str(r, f, &d->param);
    default: return RUNT_OK;
    }
}

static runt_status runt_onnx_shape_field(runt_pb_reader *r, const runt_pb_field *f, void *ctx)
{
    runt_onnx_value_info *vi = ctx;
    runt_onnx_dim scratch;
    if (f->number != 1)
        return RUNT_OK;
    /* Dims past RUNT_MAX_DIMS are still checked, then refused by the caller. */
    runt_onnx_dim *d = vi->ndim < RUNT_MAX_DIMS ? &vi->dims[vi->ndim] : &scratch;
    memset(d, 0, sizeof *d);
    runt_status s = runt_onnx_message(r, f, &runt_onnx_dim_msg, runt_onnx_dim_field, d);
    if (s == RUNT_OK && vi->ndim <= RUNT_MAX_DIMS)
        vi->ndim++;
    return s;
}

static runt_status runt_onnx_tensor_type_field(runt_pb_reader *r, const runt_pb_field *f,
                                               void *ctx)
{
    runt_onnx_value_info *vi = ctx;
    switch (f->number) {
    case 1: return runt_pb_int64(r, f, &vi->elem_type);
    case 2:
        vi->has_shape = 1;
        vi->ndim = 0;
        return runt_onnx_message(r, f, &runt_onnx_shape_msg, runt_onnx_shape_field, vi);
    default: return RUNT_OK;
    }
}

static runt_status runt_onnx_type_field(runt_pb_reader *r, const runt_pb_field *f, void *ctx)
{
    runt_onnx_value_info *vi = ctx;
    switch (f->number) {
    case 1:
        vi->has_type = vi->is_tensor = 1;
        return runt_onnx_message(r, f, &runt_onnx_tensor_type_msg, runt_onnx_tensor_type_field,
                                 vi);
    case 4: case 5: case 8: case 9: /* sequence, map, optional, sparse: not tensors */
        vi->has_type = 1;
        vi->is_tensor = 0;
        return RUNT_OK;
    default: return RUNT_OK;
    }
}

static runt_status runt_onnx_value_info_field(runt_pb_reader *r, const runt_pb_field *f,
                                              void *ctx)
{
    runt_onnx_value_info *vi = ctx;
    switch (f->number) {
    case 1: return runt_onnx_get_str(r, f, &vi->name);
    case 2: return runt_onnx_message(r, f, &runt_onnx_type_msg, runt_onnx_type_field, vi);
    default: return RUNT_OK;
    }
}

/* A graph input or output (ValueInfoProto in field f), appended to its list. */
static runt_status runt_onnx_parse_value_info(runt_onnx_ctx *c, const runt_pb_reader *r,
                                              const runt_pb_field *f, int is_output)
{
    runt_pb_reader sub;
    runt_onnx_value_info *vi;
    runt_status s = runt_onnx_sub(r, f, &runt_onnx_value_info_msg, &sub);
    if (s == RUNT_OK)
        s = is_output ? RUNT_ONNX_PUSH(c, outputs, &vi) : RUNT_ONNX_PUSH(c, inputs, &vi);
    if (s != RUNT_OK)
        return s;
    vi->at = sub.pos;
    return runt_pb_fields(&sub, runt_onnx_value_info_field, vi);
}

static runt_status runt_onnx_graph_field(runt_pb_reader *r, const runt_pb_field *f, void *ctx)
{
    runt_onnx_ctx *c = ctx;
    runt_onnx_tensor *initializer;
    runt_status s;
    switch (f->number) {
    case 1: return runt_onnx_parse_node(c, r, f);
    case 5:
        if ((s = runt_pb_expect(r, f, RUNT_PB_LEN)) != RUNT_OK ||
            (s = RUNT_ONNX_PUSH(c, initializers, &initializer)) != RUNT_OK)
            return s;
        return runt_onnx_parse_tensor(r, f, initializer);
    case 11: return runt_onnx_parse_value_info(c, r, f, 0);
    case 12: return runt_onnx_parse_value_info(c, r, f, 1);
    case 15:
        if (!c->g.n_sparse++)
            c->g.sparse_at = f->at;
        return RUNT_OK;
    default: return RUNT_OK;
    }
}

/* An OperatorSetIdProto's two fields. */
typedef struct runt_onnx_opset {
    runt_onnx_str domain;
    int64_t version;
} runt_onnx_opset;

static runt_status runt_onnx_opset_field(runt_pb_reader *r, const runt_pb_field *f, void *ctx)
{
    runt_onnx_opset *o = ctx;
    switch (f->number) {
    case 1: return runt_onnx_get_str(r, f, &o->domain);
    case 2: return runt_pb_int64(r, f, &o->version);
    default: return RUNT_OK;
    }
}

static runt_status runt_onnx_parse_opset(runt_onnx_ctx *c, const runt_pb_reader *r,
                                         const runt_pb_field *f)
{
    runt_onnx_opset o = {{NULL, 0, 0}, 0};
    runt_pb_reader sub;
    runt_status s = runt_onnx_sub(r, f, &runt_onnx_opset_msg, &sub);
    if (s == RUNT_OK)
        s = runt_pb_fields(&sub, runt_onnx_opset_field, &o);
    if (s != RUNT_OK)
        return s;
    if (o.domain.n == 0 || runt_onnx_str_eq(&o.domain, "ai.onnx")) {
        if (o.version < 1)
            return runt_pb_error(&sub, f->offset, 2, RUNT_E_BAD_MODEL,
                                 "opset version %lld is invalid", (long long)o.version);
        /* Nodes bind to the highest version imported for their domain. */
        if (o.version > c->opset)
            c->opset = o.version;
    }
    return RUNT_OK;
}

runt_pb_reader runt_onnx_reader(const runt_onnx_ctx *c, const runt_pb_message *msg)
{
    runt_pb_reader r = runt_pb_reader_make(c->buf, c->size, c->source, msg);
    r.max_depth = (int)c->limits.max_nesting;
    return r;
}

static runt_status runt_onnx_model_field(runt_pb_reader *r, const runt_pb_field *f, void *ctx)
{
    runt_onnx_ctx *c = ctx;
    switch (f->number) {
    case 1: return runt_pb_int64(r, f, &c->ir_version);
    case 7:
        /* A repeated message field merges (protobuf rules): lists append. */
        c->has_graph = 1;
        return runt_onnx_message(r, f, &runt_onnx_graph_msg, runt_onnx_graph_field, c);
    case 8: return runt_onnx_parse_opset(c, r, f);
    default: return RUNT_OK;
    }
}

runt_status runt_onnx_parse(runt_onnx_ctx *c)
{
    runt_pb_reader r = runt_onnx_reader(c, &runt_onnx_model_msg);
    return runt_pb_fields(&r, runt_onnx_model_field, c);
}
