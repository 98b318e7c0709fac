/*
 * Cost accounting per node — the numbers `runt info` prints and the bench's
 * cost model consumes. The counting rules:
 *
 *   params  elements of the node's constant inputs (weights, biases, norm
 *           parameters). Not bytes: an int8 weight counts as one parameter.
 *   flops   a multiply and an add count as 2. So Gemm [M,K]x[K,N] = 2·M·N·K,
 *           Conv = 2·N·M·OH·OW·(C/group)·kH·kW. A bias add, a beta·C term and
 *           a fused activation add 1 per output element each. Elementwise ops
 *           count 1 per output element, whatever the function (a transcendental
 *           like exp or erf is 1). Max pooling counts 1 compare per window
 *           element, average pooling 1 add per window element plus 1 divide
 *           per output. Softmax counts 5 per element (max, subtract, exp, sum,
 *           divide); BatchNormalization 2 (it folds into a scale and a shift);
 *           LayerNormalization 7 (mean, variance: 3; normalize, scale, shift: 4).
 *           Data movement (Pad, Reshape, Flatten, Identity, Dropout, Constant)
 *           counts 0. Quantization: QuantizeLinear and DequantizeLinear 2 per
 *           element (the divide or multiply, and the zero point; rounding and
 *           saturation are not counted, as compares are not), DynamicQuantize-
 *           Linear 4 (its min/max pass 2, then quantizing 2), Cast 0 (a
 *           conversion moves data), MatMulInteger and ConvInteger as MatMul
 *           and Conv without bias (an integer multiply-add is 2). A Gemm,
 *           MatMul or Conv with int8 weights (a quantized model's layer after
 *           runtime/quant_patterns.c) counts as the float op, bias included.
 *   bytes   every input read once and every output written once, weights
 *           included (int8 weights and zero points 1 byte each, scales 4):
 *           the traffic of a kernel with perfect reuse. Views
 *           (Reshape, Flatten, Identity, Dropout) move nothing and count 0.
 */
#ifndef RUNT_COST_H
#define RUNT_COST_H

#include "runt.h"

/* in/out: the node's tensor descs (ndim < 0 for absent); constant flags which
 * inputs are constants. */
runt_cost runt_cost_node(runt_op op, const runt_attrs *attrs, const runt_tensor *in,
                         const int *constant, int n_in, const runt_tensor *out, int n_out);

void runt_cost_add(runt_cost *total, const runt_cost *c);

#endif /* RUNT_COST_H */
