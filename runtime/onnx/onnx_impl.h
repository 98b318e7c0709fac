/*
 * onnx_impl.h — internals shared by the ONNX reader's files, listed from the
 * bottom up (each calls only the files listed before it):
 *   protobuf_wire.c  reads the protobuf wire format
 *   onnx_proto.c     decodes the ModelProto messages into the structs below
 *   onnx_tensor.c    decodes tensor data (raw, typed fields, external files)
 *   onnx_symbols.c   names → builder values; what the op mappers build with
 *   onnx_op_args.c   what the op mappers read nodes with (onnx_op_args.h)
 *   onnx_ops_*.c     map each ONNX op_type and its attributes to runt ops, one
 *                    file per op family (onnx_op_mappers.h)
 *   onnx_ops.c       the table of op_types, and the dispatch to the mappers
 *   onnx_reader.c    the public entry points; graph assembly
 * The writer, onnx_writer.c (runt_model_save_onnx), needs none of this: it
 * reads a runt model and encodes with protobuf_encode.h.
 *
 * Decoding keeps no copies: strings and payloads are (pointer, length) views
 * into the caller's buffer, and repeated fields that may be split over many
 * occurrences (tensor data, attribute lists) are read again from their
 * message when needed.
 */
#ifndef RUNT_ONNX_IMPL_H
#define RUNT_ONNX_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "protobuf_wire.h"
#include "runt.h"

/* The ai.onnx opsets whose definitions of the mapped ops were checked. Below
 * 7, ops had legacy attributes (consumed_inputs, broadcast) that are not read. */
#define RUNT_ONNX_OPSET_MIN 7
#define RUNT_ONNX_OPSET_MAX 25

/* Names in messages are cut to this many bytes. */
#define RUNT_ONNX_NAME_SHOWN 120

/* TensorProto.DataType values runt reads. */
enum {
    RUNT_ONNX_FLOAT = 1,
    RUNT_ONNX_UINT8 = 2,
    RUNT_ONNX_INT8 = 3,
    RUNT_ONNX_INT32 = 6,
    RUNT_ONNX_INT64 = 7,
    RUNT_ONNX_BOOL = 9
};

/* AttributeProto.AttributeType values. */
enum {
    RUNT_ONNX_ATTR_UNDEFINED = 0,
    RUNT_ONNX_ATTR_FLOAT = 1,
    RUNT_ONNX_ATTR_INT = 2,
    RUNT_ONNX_ATTR_STRING = 3,
    RUNT_ONNX_ATTR_TENSOR = 4,
    RUNT_ONNX_ATTR_FLOATS = 6,
    RUNT_ONNX_ATTR_INTS = 7
};

/* A string in the input buffer (not NUL-terminated) and where it is. */
typedef struct runt_onnx_str {
    const uint8_t *p;
    size_t n;
    size_t at;
} runt_onnx_str;

typedef struct runt_onnx_tensor {
    runt_onnx_str name;
    size_t at, end;            /* the TensorProto message, read again for data */
    int64_t data_type;
    int ndim;                  /* dims seen; RUNT_MAX_DIMS + 1 means "more"    */
    int64_t dims[RUNT_MAX_DIMS];
    int64_t data_location;     /* 1: EXTERNAL                                 */
    int has_segment;
} runt_onnx_tensor;

typedef struct runt_onnx_attr {
    runt_onnx_str name;
    int64_t type;              /* RUNT_ONNX_ATTR_*                            */
    float f;
    int64_t i;
    runt_onnx_str s;
    runt_onnx_tensor t;
    int has_t;
    size_t at, end;            /* the AttributeProto message (FLOATS, INTS)   */
    size_t n_floats, n_ints;
} runt_onnx_attr;

typedef struct runt_onnx_node {
    runt_onnx_str op_type, domain, name;
    int first_input, n_inputs;     /* into graph.node_inputs  */
    int first_output, n_outputs;   /* into graph.node_outputs */
    int first_attr, n_attrs;       /* into graph.attrs        */
    int index;                     /* position in the graph   */
    size_t at;
} runt_onnx_node;

enum { RUNT_ONNX_DIM_MISSING = 0, RUNT_ONNX_DIM_VALUE, RUNT_ONNX_DIM_PARAM };

typedef struct runt_onnx_dim {
    int kind;
    int64_t value;
    runt_onnx_str param;
} runt_onnx_dim;

typedef struct runt_onnx_value_info {
    runt_onnx_str name;
    size_t at;
    int has_type, is_tensor, has_shape;
    int64_t elem_type;
    int ndim;                  /* RUNT_MAX_DIMS + 1 means "more" */
    runt_onnx_dim dims[RUNT_MAX_DIMS];
} runt_onnx_value_info;

typedef struct runt_onnx_graph {
    runt_onnx_node *nodes;
    int n_nodes, cap_nodes;
    runt_onnx_str *node_inputs;
    int n_node_inputs, cap_node_inputs;
    runt_onnx_str *node_outputs;
    int n_node_outputs, cap_node_outputs;
    runt_onnx_attr *attrs;
    int n_attrs, cap_attrs;
    runt_onnx_tensor *initializers;
    int n_initializers, cap_initializers;
    runt_onnx_value_info *inputs;
    int n_inputs, cap_inputs;
    runt_onnx_value_info *outputs;
    int n_outputs, cap_outputs;
    int n_sparse;              /* sparse initializers (refused) */
    size_t sparse_at;
} runt_onnx_graph;

/* What a name refers to. */
typedef enum runt_onnx_sym_kind {
    RUNT_ONNX_SYM_NONE = 0,    /* seen, not (yet) defined                  */
    RUNT_ONNX_SYM_INPUT,       /* a graph input                           */
    RUNT_ONNX_SYM_NODE,        /* a node's output                         */
    RUNT_ONNX_SYM_INITIALIZER, /* index: graph.initializers              */
    RUNT_ONNX_SYM_CONSTANT,    /* a Constant node's output; index: attrs  */
    RUNT_ONNX_SYM_FROZEN       /* index: options.constant_inputs          */
} runt_onnx_sym_kind;

typedef struct runt_onnx_sym {
    runt_onnx_str name;        /* n == 0 and p == NULL: empty slot */
    uint32_t hash;
    runt_onnx_sym_kind kind;
    int index;
    runt_value_id id;          /* -1 until given to the builder (constants lazily) */
    runt_value_id id_2d;       /* a 1-D conv weight as a 2-D one, or -1        */
    int rank;                  /* -1 when unknown                              */
    int uses;                  /* node inputs and graph outputs naming it      */
} runt_onnx_sym;

typedef struct runt_onnx_ctx {
    const runt_allocator *alloc;
    const runt_load_options *opt;  /* never NULL */
    const uint8_t *buf;
    size_t size;
    const char *source;            /* for messages: the path, or "onnx buffer" */
    const char *ext_dir;           /* NULL: external data refused              */
    runt_limits limits;            /* resolved: no field 0                     */

    int64_t ir_version;
    int64_t opset;                 /* ai.onnx; 0 when not imported */
    int has_graph;
    runt_onnx_graph g;

    runt_onnx_sym *syms;
    size_t cap_syms;               /* a power of two */
    runt_builder *b;
    char *scratch;                 /* NUL-terminated names for the builder */
    size_t cap_scratch;
} runt_onnx_ctx;

/* A decoded constant: data in runt's layout (host byte order). */
typedef struct runt_onnx_const {
    runt_dtype dtype;
    int ndim;
    int64_t dims[RUNT_MAX_DIMS];
    int64_t count;
    const void *data;              /* never NULL, also for 0 elements */
    void *owned;                   /* what to free, or NULL           */
} runt_onnx_const;

/* A reader of buf at the load's nesting limit (onnx_proto.c). */
runt_pb_reader runt_onnx_reader(const runt_onnx_ctx *c, const runt_pb_message *msg);

/* onnx_proto.c */
extern const runt_pb_message runt_onnx_tensor_msg;
runt_status runt_onnx_parse(runt_onnx_ctx *c);
void runt_onnx_graph_free(runt_onnx_ctx *c);
/* All elements of an INTS (is_float 0) or FLOATS attribute, at most cap of
 * them written to out (int64_t or float); *n is the full count. */
runt_status runt_onnx_attr_values(const runt_onnx_ctx *c, const runt_onnx_attr *a, int is_float,
                                  void *out, size_t cap, size_t *n);
/* Adds to *total the elements of one occurrence of a repeated scalar field
 * (attribute lists, tensor data), packed or not. */
runt_status runt_onnx_count_values(const runt_pb_reader *r, const runt_pb_field *f,
                                   runt_pb_wire elem, size_t *total);
int runt_onnx_str_eq(const runt_onnx_str *s, const char *z);
/* The bytes of s for "%.*s" (never NULL) and a length cut for messages. */
const char *runt_onnx_chars(const runt_onnx_str *s);
int runt_onnx_shown(const runt_onnx_str *s);

/* onnx_tensor.c */
runt_status runt_onnx_dtype(int64_t onnx_type, runt_dtype *out);
const char *runt_onnx_type_name(int64_t onnx_type);
/* Flags of runt_onnx_tensor_decode. BOOL tensors only select behaviour
 * (Dropout's training_mode); they are read as U8 where asked for. */
#define RUNT_ONNX_READ_BOOL 1u
runt_status runt_onnx_tensor_decode(runt_onnx_ctx *c, const runt_onnx_tensor *t, unsigned flags,
                                    runt_onnx_const *out);
/* The constant a Constant node's attribute holds (value, value_float, ...). */
runt_status runt_onnx_attr_const(runt_onnx_ctx *c, const runt_onnx_attr *a, runt_onnx_const *out);
void runt_onnx_const_release(runt_onnx_ctx *c, runt_onnx_const *k);

/* onnx_symbols.c: the symbol table, for onnx_reader.c */
runt_onnx_sym *runt_onnx_sym_find(const runt_onnx_ctx *c, const uint8_t *p, size_t n);
/* The symbol of a non-empty name, created on first sight. */
runt_onnx_sym *runt_onnx_sym_add(runt_onnx_ctx *c, const runt_onnx_str *name);
/* A NUL-terminated copy of name + suffix in c's scratch buffer (valid until
 * the next call). */
runt_status runt_onnx_cname(runt_onnx_ctx *c, const runt_onnx_str *name, const char *suffix,
                            const char **out);
/* Gives a constant symbol to the builder under its own name (once); other
 * symbols have their builder value already. */
runt_status runt_onnx_declare(runt_onnx_ctx *c, runt_onnx_sym *s);

/* onnx_symbols.c: what the op mappers use */
const runt_onnx_str *runt_onnx_input_name(const runt_onnx_ctx *c, const runt_onnx_node *n, int i);
const runt_onnx_str *runt_onnx_output_name(const runt_onnx_ctx *c, const runt_onnx_node *n, int i);
/* 1 if input i is given (present and not ""). */
int runt_onnx_has_input(const runt_onnx_ctx *c, const runt_onnx_node *n, int i);
/* The builder value of input i (declaring a constant on first use); -1 and
 * rank -1 when absent. */
runt_status runt_onnx_value(runt_onnx_ctx *c, const runt_onnx_node *n, int i, runt_value_id *id,
                            int *rank);
/* The data of input i, which selects behaviour and so must be a constant:
 * RUNT_E_UNSUPPORTED naming node and input otherwise. what: "shape", "pads". */
runt_status runt_onnx_const_input(runt_onnx_ctx *c, const runt_onnx_node *n, int i,
                                  const char *what, unsigned flags, runt_onnx_const *out);
/* 1 if input i is a constant (initializer, Constant output, frozen input). */
int runt_onnx_is_const_input(const runt_onnx_ctx *c, const runt_onnx_node *n, int i);
/* Constant input i, of shape [a, b, k], as the constant [a, b, 1, k] (a 1-D
 * conv weight for a 2-D conv), declared once; *id is -1 if the input is not a
 * constant. */
runt_status runt_onnx_const_as_2d(runt_onnx_ctx *c, const runt_onnx_node *n, int i,
                                  runt_value_id *id);
/* Adds a builder node named after n (plus suffix, for helper nodes). */
runt_status runt_onnx_add_node(runt_onnx_ctx *c, const runt_onnx_node *n, const char *suffix,
                               runt_op op, const runt_attrs *attrs, int n_in,
                               const runt_value_id *in, runt_value_id *out);
/* The same with n_out outputs (DynamicQuantizeLinear's three). */
runt_status runt_onnx_add_node_n(runt_onnx_ctx *c, const runt_onnx_node *n, const char *suffix,
                                 runt_op op, const runt_attrs *attrs, int n_in,
                                 const runt_value_id *in, int n_out, runt_value_id *out);
/* Binds output i of n to a builder value. */
runt_status runt_onnx_define(runt_onnx_ctx *c, const runt_onnx_node *n, int i, runt_value_id id,
                             int rank);
/* Binds output i of a Constant node to its attribute (declared when used). */
runt_status runt_onnx_define_const(runt_onnx_ctx *c, const runt_onnx_node *n, int i, int attr,
                                   int rank);
/* 1 if output i of n is read by a node or is a graph output. */
int runt_onnx_output_used(const runt_onnx_ctx *c, const runt_onnx_node *n, int i);
/* "source: node 'name' (OpType, opset N): <fmt ...>" */
runt_status runt_onnx_node_error(const runt_onnx_ctx *c, const runt_onnx_node *n, runt_status s,
                                 const char *fmt, ...) RUNT_PRINTF_FORMAT(4, 5);

/* onnx_ops.c */
runt_status runt_onnx_emit_node(runt_onnx_ctx *c, const runt_onnx_node *n);

#endif /* RUNT_ONNX_IMPL_H */
