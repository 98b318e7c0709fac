/*
 * Shape inference for one node, following the ONNX operator specifications.
 * Input descs carry dtype and dims (ndim < 0 marks an absent optional input);
 * the output descs are filled in. Attributes that depend on shapes are
 * resolved in place, so kernels see them explicit: Conv/Pool kernel sizes,
 * auto_pad turned into pads, negative axes made positive.
 * Errors name what is wrong but not the node: the caller prefixes that.
 */
#ifndef RUNT_SHAPE_H
#define RUNT_SHAPE_H

#include "runt.h"

runt_status runt_shape_infer(runt_op op, runt_attrs *attrs, const runt_tensor *in, int n_in,
                             runt_tensor *out, int n_out);

/* The two halves runt_shape_infer (shape_infer.c) picks between. The float
 * ops and the ops that copy any dtype: shape.c. */
runt_status runt_shape_infer_float(runt_op op, runt_attrs *attrs, const runt_tensor *in, int n_in,
                                   runt_tensor *out, int n_out);
/* The quantization ops (QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear,
 * MatMulInteger, ConvInteger, Cast), whose dtypes vary by input: shape_quant.c.
 * 0 from runt_shape_is_quant for other ops. */
int runt_shape_is_quant(runt_op op);
runt_status runt_shape_infer_quant(runt_op op, runt_attrs *attrs, const runt_tensor *in, int n_in,
                                   runt_tensor *out, int n_out);

/* numpy-style broadcast of two shapes; RUNT_E_SHAPE if they do not broadcast. */
runt_status runt_shape_broadcast(const runt_tensor *a, const runt_tensor *b, runt_tensor *out);

/* "[1, 3, 224, 224]" into buf. */
const char *runt_shape_str(const runt_tensor *t, char *buf, size_t size);

#endif /* RUNT_SHAPE_H */
