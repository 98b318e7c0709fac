/*
 * onnx_op_args.h — what every ONNX op mapper (onnx_ops_*.c) reads a node
 * with and adds its builder nodes with (onnx_op_args.c).
 */
#ifndef RUNT_ONNX_OP_ARGS_H
#define RUNT_ONNX_OP_ARGS_H

#include "onnx_impl.h"

const runt_onnx_attr *runt_onnx_attr_find(const runt_onnx_ctx *c, const runt_onnx_node *n,
                                          const char *name);
runt_status runt_onnx_attr_check(const runt_onnx_ctx *c, const runt_onnx_node *n,
                                 const runt_onnx_attr *a, int64_t type);
runt_status runt_onnx_attr_float(const runt_onnx_ctx *c, const runt_onnx_node *n,
                                 const char *name, float dflt, float *out);
/* An INT attribute that must lie in [lo, hi]. */
runt_status runt_onnx_attr_int(const runt_onnx_ctx *c, const runt_onnx_node *n,
                               const char *name, int64_t dflt, int64_t lo, int64_t hi,
                               int *out);
/* An INTS attribute; *count is -1 when it is absent. */
runt_status runt_onnx_attr_ints(const runt_onnx_ctx *c, const runt_onnx_node *n,
                                const char *name, int64_t *out, int cap, int *count);
/* A STRING attribute compared against choices[]; *pick is its index. */
runt_status runt_onnx_attr_choice(const runt_onnx_ctx *c, const runt_onnx_node *n,
                                  const char *name, const char *const *choices, int dflt,
                                  runt_status refusal, int *pick);
/* Input and output counts as ONNX defines them for the op; inputs below
 * min_in must be given. */
runt_status runt_onnx_arity(const runt_onnx_ctx *c, const runt_onnx_node *n, int min_in,
                            int max_in, int max_out);
/* Optional outputs from `from` on carry state runt does not compute
 * (training statistics, indices): accepted only when nothing reads them. */
runt_status runt_onnx_unused_from(const runt_onnx_ctx *c, const runt_onnx_node *n, int from,
                                  const char *what);
/* Integers of a constant input (a shape, pads, axes), at most cap. */
runt_status runt_onnx_const_ints(runt_onnx_ctx *c, const runt_onnx_node *n, int i,
                                 const char *what, int64_t *out, int cap, int *count);
/* A one-element constant input (a bound, a pad value) as float. */
runt_status runt_onnx_const_scalar(runt_onnx_ctx *c, const runt_onnx_node *n, int i,
                                   const char *what, unsigned flags, double *out);
/* Adds the node and binds ONNX output 0 to its result. */
runt_status runt_onnx_emit_one(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op,
                               const runt_attrs *attrs, int n_in, const runt_value_id *in,
                               int rank);
/* The last step of the mappers of one-input ops, once their attributes are
 * read: the node on input 0, bound to output 0, of the given rank or, with
 * RUNT_ONNX_SAME_RANK, of input 0's. */
#define RUNT_ONNX_SAME_RANK (-2)
runt_status runt_onnx_emit_on_input0(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op,
                                    const runt_attrs *attrs, int rank);
/* A helper Reshape for the 1-D → 2-D mappings (0 copies a dim, as in ONNX). */
runt_status runt_onnx_reshape(runt_onnx_ctx *c, const runt_onnx_node *n,
                              const char *suffix, runt_value_id x, int ndim,
                              const int64_t *shape, runt_value_id *y);
int runt_onnx_rank_broadcast(int a, int b);
/* numpy matmul: a 1-D operand loses its added dim again. */
int runt_onnx_rank_matmul(int a, int b);
/* A data-type attribute (a TensorProto.DataType: output_dtype, precision,
 * Cast's to) as one of runt's dtypes; *given is 0 when it is absent or 0
 * (UNDEFINED, which these attributes use for "unset"). */
runt_status runt_onnx_attr_dtype(const runt_onnx_ctx *c, const runt_onnx_node *n,
                                 const char *name, runt_dtype *out, int *given);
/* The op exists from opset `since` (QuantizeLinear from 10, ...). */
runt_status runt_onnx_since(const runt_onnx_ctx *c, const runt_onnx_node *n, int since);

#endif /* RUNT_ONNX_OP_ARGS_H */
