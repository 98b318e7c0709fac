/*
 * BatchNormalization (inference) and LayerNormalization-17.
 *
 * Statistics and per-channel factors are computed in double: a layer-norm
 * row can be long, and the two-pass variance in double leaves the only
 * rounding at the final store, which keeps this the oracle other backends are
 * measured against. Every loop reads x[i] before writing y[i], so Y may be X.
 */
#include "ref_impl.h"

#include <math.h>

/* Inference form: y = (x - mean) / sqrt(var + epsilon) * scale + B, with the
 * five inputs X [N, C, D1, ...], scale, B, mean, var ([C] each). */
runt_status runt_ref_batch_norm(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                                runt_tensor *out, int n_out)
{
    (void)n_in, (void)n_out;
    for (int i = 0; i < 5; i++)
        if (in[i].dtype != RUNT_F32)
            return RUNT_E_UNSUPPORTED;
    if (out[0].dtype != RUNT_F32)
        return RUNT_E_UNSUPPORTED;

    const runt_tensor *x = &in[0];
    const float *scale = in[1].data, *bias = in[2].data;
    const float *mean = in[3].data, *var = in[4].data;
    int64_t batch = x->dims[0], channels = x->dims[1], spatial = 1;
    for (int d = 2; d < x->ndim; d++)
        spatial *= x->dims[d];

    const float *xd = x->data;
    float *yd = out[0].data;
    for (int64_t c = 0; c < channels; c++) {
        double k = scale[c] / sqrt((double)var[c] + attrs->batch_norm.epsilon);
        double shift = bias[c] - mean[c] * k;
        for (int64_t b = 0; b < batch; b++) {
            int64_t base = (b * channels + c) * spatial;
            for (int64_t i = 0; i < spatial; i++)
                yd[base + i] = (float)(xd[base + i] * k + shift);
        }
    }
    return RUNT_OK;
}

/* Index into p (Scale or B) of element `flat` of one normalized block of
 * shape dims[0..nd-1]: p is aligned from the right and its size-1 dims
 * broadcast. Dims of p to the left of the block must be 1. */
static int64_t block_index(int64_t flat, const int64_t *dims, int nd, const runt_tensor *p)
{
    int64_t index = 0, step = 1;
    for (int d = nd - 1, pd = p->ndim - 1; d >= 0 && pd >= 0; d--, pd--) {
        int64_t i = flat % dims[d];
        flat /= dims[d];
        if (p->dims[pd] != 1)
            index += i * step;
        step *= p->dims[pd];
    }
    return index;
}

/* One parameter of a block element: the common case (p has the block's shape)
 * is a direct index; any other shape goes through block_index. */
static float block_param(const runt_tensor *p, int64_t block, int64_t i, const int64_t *dims,
                         int nd)
{
    const float *pd = p->data;
    return runt_tensor_count(p) == block ? pd[i] : pd[block_index(i, dims, nd, p)];
}

static int has_output(const runt_tensor *out, int n_out, int i)
{
    return n_out > i && out[i].data != NULL;
}

/* ONNX LayerNormalization-17: each block of X over axes [axis, rank) is
 * normalized to zero mean and unit variance, then scaled and shifted by Scale
 * and the optional B. The optional outputs Mean and InvStdDev hold one value
 * per block (X's shape with the normalized dims set to 1). */
runt_status runt_ref_layer_norm(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                                runt_tensor *out, int n_out)
{
    const runt_tensor *x = &in[0], *scale = &in[1];
    const runt_tensor *bias = n_in > 2 && in[2].data ? &in[2] : NULL;
    if (x->dtype != RUNT_F32 || scale->dtype != RUNT_F32 || (bias && bias->dtype != RUNT_F32))
        return RUNT_E_UNSUPPORTED;
    for (int i = 0; i < n_out; i++)
        if (out[i].data && out[i].dtype != RUNT_F32)
            return RUNT_E_UNSUPPORTED;

    int axis = attrs->layer_norm.axis < 0 ? attrs->layer_norm.axis + x->ndim
                                          : attrs->layer_norm.axis;
    const int64_t *bdims = x->dims + axis;
    int nd = x->ndim - axis;
    int64_t outer = 1, block = 1;
    for (int d = 0; d < axis; d++)
        outer *= x->dims[d];
    for (int d = 0; d < nd; d++)
        block *= bdims[d];

    const float *xd = x->data;
    float *yd = out[0].data;
    for (int64_t o = 0; o < outer; o++) {
        const float *xr = xd + o * block;
        float *yr = yd + o * block;
        double sum = 0.0, sq = 0.0;
        for (int64_t i = 0; i < block; i++)
            sum += xr[i];
        double mean = sum / (double)block;
        for (int64_t i = 0; i < block; i++)
            sq += (xr[i] - mean) * (xr[i] - mean);
        double inv_std = 1.0 / sqrt(sq / (double)block + attrs->layer_norm.epsilon);
        for (int64_t i = 0; i < block; i++) {
            double v = (xr[i] - mean) * inv_std * block_param(scale, block, i, bdims, nd);
            if (bias)
                v += block_param(bias, block, i, bdims, nd);
            yr[i] = (float)v;
        }
        if (has_output(out, n_out, 1))
            ((float *)out[1].data)[o] = (float)mean;
        if (has_output(out, n_out, 2))
            ((float *)out[2].data)[o] = (float)inv_std;
    }
    return RUNT_OK;
}
