/*
 * onnx_op_mappers.h — the ONNX op mappers, one file per op family: each maps
 * ONNX node n to runt op `op`, the pairing the table in onnx_ops.c gives.
 * Only the table calls them, and ConvInteger (onnx_ops_quant.c) reuses the
 * windowed-op mapper of onnx_ops_conv.c.
 */
#ifndef RUNT_ONNX_OP_MAPPERS_H
#define RUNT_ONNX_OP_MAPPERS_H

#include "onnx_impl.h"

/* onnx_ops_math.c */
runt_status runt_onnx_emit_unary(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);
runt_status runt_onnx_emit_binary(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);
runt_status runt_onnx_emit_gemm(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);
runt_status runt_onnx_emit_leaky_relu(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);
runt_status runt_onnx_emit_clip(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);
runt_status runt_onnx_emit_gelu(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);
runt_status runt_onnx_emit_softmax(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);

/* onnx_ops_shape.c */
runt_status runt_onnx_emit_flatten(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);
runt_status runt_onnx_emit_reshape(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);
runt_status runt_onnx_emit_pad(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);
runt_status runt_onnx_emit_constant(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);

/* onnx_ops_conv.c */
runt_status runt_onnx_emit_windowed(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op,
                                    int n_in);
runt_status runt_onnx_emit_conv(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);
runt_status runt_onnx_emit_pool(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);
runt_status runt_onnx_emit_reduce_mean(runt_onnx_ctx *c, const runt_onnx_node *n,
                                       runt_op op);

/* onnx_ops_norm.c */
runt_status runt_onnx_emit_batch_norm(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);
runt_status runt_onnx_emit_layer_norm(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);
runt_status runt_onnx_emit_dropout(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);

/* onnx_ops_quant.c */
runt_status runt_onnx_emit_quantize(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);
runt_status runt_onnx_emit_dynamic_quantize(runt_onnx_ctx *c, const runt_onnx_node *n,
                                            runt_op op);
runt_status runt_onnx_emit_matmul_integer(runt_onnx_ctx *c, const runt_onnx_node *n,
                                          runt_op op);
runt_status runt_onnx_emit_conv_integer(runt_onnx_ctx *c, const runt_onnx_node *n,
                                        runt_op op);
runt_status runt_onnx_emit_cast(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);

#endif /* RUNT_ONNX_OP_MAPPERS_H */
