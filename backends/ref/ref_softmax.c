/*
 * Softmax, opset-13 semantics: normalized along the single axis attrs->axis
 * (negative counts from the end), not over the flattened trailing block as
 * opsets 1-12 did.
 */
#include "ref_impl.h"

#include <math.h>

/* One softmax over len elements spaced `stride` apart. Subtracting the max
 * keeps every exponent <= 0, so nothing overflows for large inputs and the
 * largest term is exactly 1 (the sum is >= 1: no division by zero). The sum
 * is in double so a long axis does not lose the small terms. Reads x[i]
 * before writing y[i], so y may be x. */
static void softmax_line(const float *x, float *y, int64_t len, int64_t stride)
{
    float max = x[0];
    for (int64_t i = 1; i < len; i++)
        if (x[i * stride] > max)
            max = x[i * stride];
    double sum = 0.0;
    for (int64_t i = 0; i < len; i++) {
        y[i * stride] = expf(x[i * stride] - max);
        sum += y[i * stride];
    }
    float inv = (float)(1.0 / sum);
    for (int64_t i = 0; i < len; i++)
        y[i * stride] *= inv;
}

runt_status runt_ref_softmax(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                             runt_tensor *out, int n_out)
{
    (void)n_in, (void)n_out;
    if (in[0].dtype != RUNT_F32 || out[0].dtype != RUNT_F32)
        return RUNT_E_UNSUPPORTED;
    const runt_tensor *x = &in[0];
    if (x->ndim == 0) { /* a scalar is its own one-element axis */
        softmax_line(x->data, out[0].data, 1, 1);
        return RUNT_OK;
    }
    int axis = attrs->axis.axis < 0 ? attrs->axis.axis + x->ndim : attrs->axis.axis;
    int64_t outer = 1, inner = 1, len = x->dims[axis];
    for (int d = 0; d < axis; d++)
        outer *= x->dims[d];
    for (int d = axis + 1; d < x->ndim; d++)
        inner *= x->dims[d];
    if (len == 0)
        return RUNT_OK;

    const float *xd = x->data;
    float *yd = out[0].data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            int64_t base = o * len * inner + j;
            softmax_line(xd + base, yd + base, len, inner);
        }
    return RUNT_OK;
}
