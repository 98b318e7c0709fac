/*
 * ONNX Pad, any rank up to RUNT_MAX_DIMS, in every mode. Output element o
 * along axis i reads input element o - before[i]; where that is outside
 * the input, the mode decides: the constant, the mirror image, the edge
 * element or the periodic repeat (common/pad_source.h). A negative pad
 * crops (constant mode only), which the same rule covers: the shift just
 * points further into the input.
 */
#include "common/pad_source.h"
#include "ref_impl.h"

/* One output row along the last axis. x is NULL when the row lies in the
 * constant padding of an outer axis. */
static void pad_row(float *y, int64_t ny, const float *x, int64_t nx, int64_t before,
                    const runt_pad_attrs *p)
{
    for (int64_t o = 0; o < ny; o++) {
        int64_t i = x ? runt_pad_source(o - before, nx, p->mode) : -1;
        y[o] = i >= 0 ? x[i] : p->value;
    }
}

static runt_status pad_check(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                             const runt_tensor *out, int n_out)
{
    if (!attrs || !in || !out || n_in < 1 || n_out < 1)
        return runt_error_set(RUNT_E_INVALID_ARG, "Pad: needs one input and one output");
    const runt_pad_attrs *p = &attrs->pad;
    const runt_tensor *x = &in[0], *y = &out[0];
    if (x->dtype != RUNT_F32 || y->dtype != RUNT_F32)
        return runt_error_set(RUNT_E_UNSUPPORTED, "Pad: reference kernel is f32 only");
    if (x->ndim < 0 || x->ndim > RUNT_MAX_DIMS || p->ndim != x->ndim || y->ndim != x->ndim)
        return runt_error_set(RUNT_E_SHAPE, "Pad: pads for rank %d, input rank %d, output rank %d",
                              p->ndim, x->ndim, y->ndim);
    for (int i = 0; i < x->ndim; i++)
        if (y->dims[i] < 0 || y->dims[i] != x->dims[i] + p->pads[i] + p->pads[x->ndim + i])
            return runt_error_set(RUNT_E_SHAPE, "Pad: axis %d: %lld + %lld + %lld != %lld", i,
                                  (long long)x->dims[i], (long long)p->pads[i],
                                  (long long)p->pads[x->ndim + i], (long long)y->dims[i]);
    if ((unsigned)p->mode > (unsigned)RUNT_PAD_MODE_WRAP)
        return runt_error_set(RUNT_E_INVALID_ARG, "Pad: unknown mode %d", (int)p->mode);
    for (int i = 0; i < x->ndim && p->mode != RUNT_PAD_MODE_CONSTANT; i++)
        if (p->pads[i] < 0 || p->pads[x->ndim + i] < 0 ||
            (x->dims[i] == 0 && p->pads[i] + p->pads[x->ndim + i] > 0))
            return runt_error_set(RUNT_E_SHAPE, "Pad: axis %d: a mode other than constant takes "
                                  "pads >= 0 and a non-empty axis", i);
    if (runt_tensor_count(y) > 0 && (!y->data || (runt_tensor_count(x) > 0 && !x->data)))
        return runt_error_set(RUNT_E_INVALID_ARG, "Pad: missing data pointer");
    return RUNT_OK;
}

runt_status runt_ref_pad(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                         runt_tensor *out, int n_out)
{
    runt_status s = pad_check(attrs, in, n_in, out, n_out);
    if (s != RUNT_OK)
        return s;
    const runt_pad_attrs *p = &attrs->pad;
    const runt_tensor *x = &in[0], *y = &out[0];
    int nd = x->ndim, last = nd - 1;
    int64_t nx = nd ? x->dims[last] : 1, ny = nd ? y->dims[last] : 1;
    int64_t before = nd ? p->pads[last] : 0;
    int64_t rows = ny ? runt_tensor_count(y) / ny : 0;
    int64_t stride[RUNT_MAX_DIMS]; /* the input's, in elements */
    for (int i = last; i >= 0; i--)
        stride[i] = i == last ? 1 : stride[i + 1] * x->dims[i + 1];
    int64_t idx[RUNT_MAX_DIMS] = {0}; /* output index over the outer axes */
    float *yp = y->data;
    for (int64_t r = 0; r < rows; r++, yp += ny) {
        /* Where this output row starts in the input; NULL in an outer
         * axis's constant padding. */
        const float *src = x->data;
        for (int i = 0; i < last && src; i++) {
            int64_t xi = runt_pad_source(idx[i] - p->pads[i], x->dims[i], p->mode);
            src = xi >= 0 ? src + xi * stride[i] : NULL;
        }
        pad_row(yp, ny, src, nx, before, p);
        for (int i = last - 1; i >= 0 && ++idx[i] == y->dims[i]; i--)
            idx[i] = 0;
    }
    return RUNT_OK;
}
