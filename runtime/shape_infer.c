/*
 * The one entry of shape inference. It stands apart from shape.c (the float
 * ops) and shape_quant.c (the quantization ops) because the quantization
 * rules reuse the float rules of MatMul and Conv: with the choice made here,
 * shape_quant.c calls down into shape.c and nothing calls back up.
 */
#include "shape.h"

runt_status runt_shape_infer(runt_op op, runt_attrs *attrs, const runt_tensor *in, int n_in,
                             runt_tensor *out, int n_out)
{
    if (runt_shape_is_quant(op))
        return runt_shape_infer_quant(op, attrs, in, n_in, out, n_out);
    return runt_shape_infer_float(op, attrs, in, n_in, out, n_out);
}
