/*
 * The quantized-layer rewrite: a quantized model's layers, as onnxruntime's
 * quantize_dynamic and quantize_static (QDQ format) write them, become single
 * Gemm, MatMul or Conv nodes with int8 weights, which a backend that sets
 * runt_device_info.quantized_weights runs on its int8 kernels. The node's
 * form and what it computes are in runt-backend.h (RUNT_QW_W_SCALE).
 *
 * A layer is rewritten only where the single node computes what the graph
 * computes: int8 weights with zero point 0 (onnxruntime's QInt8; its QUInt8
 * weights span up to 255 steps, which u8 x s8 kernels cannot take), scales
 * that are constants (finite, non-zero), per tensor or per output channel,
 * and no intermediate value read elsewhere or a graph output. Everything
 * else keeps its nodes and runs as written.
 */
#ifndef RUNT_QUANT_PATTERNS_H
#define RUNT_QUANT_PATTERNS_H

#include "runt-backend.h"

/* Rewrites the plan's quantized layers in place. removed[i] is set for each
 * node folded away (plan.c compacts them); consumers is scratch of
 * plan->n_values ints. Returns the number of layers rewritten. */
int runt_quant_rewrite(runt_plan *plan, int *removed, int *consumers);

#endif /* RUNT_QUANT_PATTERNS_H */
