/*
 * MaxPool and AveragePool (2-D, NCHW) and GlobalAveragePool.
 *
 * Along each spatial axis, output o reads the taps start + t*d (t < kernel),
 * start = o*stride - pad_begin. The output size, including ceil_mode's rule
 * that a last window starting in the end padding is dropped, is the core's.
 * What a window computes follows ONNX, with PyTorch's at::native avg_pool2d /
 * max_pool2d deciding where the ONNX text is silent:
 *   - MaxPool never lets padding win: only taps inside the input count. A
 *     window with none gives -inf (PyTorch's initial value); NaN propagates.
 *   - AveragePool, count_include_pad = 0: sum / number of taps inside the
 *     input; a window with none gives 0/0 = NaN, as the ONNX reference does.
 *   - count_include_pad = 1: sum / number of taps inside the padded input
 *     [-pad_begin, in + pad_end). Padding counts; positions a ceil_mode window
 *     runs past the padded input do not (PyTorch: pool_size = (min(start + k,
 *     in + pad) - start) per axis). onnx/reference/ops/op_pool_common.py
 *     instead zero-pads up to the ceil_mode extent and divides by the whole
 *     kernel; we do not follow that.
 * ONNX's node test averagepool_2d_ceil_last_window_starts_on_pad (onnx
 * 1.23.2: pads 1, count_include_pad = 1, ceil_mode) expects sum / 9 for a
 * window with 4 input cells, all 9 taps inside the padded input: both rules
 * agree there, and this kernel passes it (tests/onnx/onnx_node_driver.c).
 */
#include "ref_impl.h"

#include <math.h>


/* One spatial axis of a pooling window. */
typedef struct pool_axis {
    int64_t in, out;
    int64_t k, s, d, pad_begin, pad_end;
} pool_axis;

/* Taps of window o along an axis: inside the input, and inside the padded input. */
static void pool_axis_counts(const pool_axis *ax, int64_t o, int64_t *inside, int64_t *padded)
{
    int64_t start = o * ax->s - ax->pad_begin;
    *inside = *padded = 0;
    for (int64_t t = 0; t < ax->k; t++) {
        int64_t p = start + t * ax->d;
        *inside += p >= 0 && p < ax->in;
        *padded += p >= -ax->pad_begin && p < ax->in + ax->pad_end;
    }
}

static runt_status pool_check(const char *op, const runt_attrs *attrs, const runt_tensor *in,
                              int n_in, const runt_tensor *out, int n_out, pool_axis ax[2])
{
    if (!attrs || !in || !out || n_in < 1 || n_out < 1)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: needs one input and one output", op);
    const runt_pool_attrs *a = &attrs->pool;
    const runt_tensor *x = &in[0], *y = &out[0];
    if (x->dtype != RUNT_F32 || y->dtype != RUNT_F32)
        return runt_error_set(RUNT_E_UNSUPPORTED, "%s: reference kernel is f32 only", op);
    if (x->ndim != 4 || y->ndim != 4)
        return runt_error_set(RUNT_E_UNSUPPORTED, "%s: only 2-D (NCHW) is implemented", op);
    /* MaxPool's optional Indices output is not implemented. */
    if (n_out > 1 && out[1].data)
        return runt_error_set(RUNT_E_UNSUPPORTED, "%s: Indices output not implemented", op);
    if (!x->data || !y->data)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: missing data pointer", op);
    if (y->dims[0] != x->dims[0] || y->dims[1] != x->dims[1])
        return runt_error_set(RUNT_E_SHAPE, "%s: output N, C differ from the input's", op);
    for (int i = 0; i < 2; i++) {
        ax[i] = (pool_axis){x->dims[2 + i], y->dims[2 + i], a->kernel[i], a->strides[i],
                            a->dilations[i], a->pads[i], a->pads[2 + i]};
        if (ax[i].k < 1 || ax[i].s < 1 || ax[i].d < 1)
            return runt_error_set(RUNT_E_INVALID_ARG,
                                  "%s: kernel, strides, dilations must be >= 1", op);
    }
    return RUNT_OK;
}

/* Output (oy, ox) of a pooling window over one plane. */
typedef float pool_window_fn(const runt_attrs *attrs, const float *plane, const pool_axis ax[2],
                             int64_t oy, int64_t ox);

/* The max and the sum of the window's taps inside the input (max -inf where
 * there are none; a NaN tap is the max). */
static void window_max_sum(const float *plane, const pool_axis ax[2], int64_t oy, int64_t ox,
                           float *max, float *sum)
{
    float m = -INFINITY, s = 0.0f;
    int64_t y0 = oy * ax[0].s - ax[0].pad_begin, x0 = ox * ax[1].s - ax[1].pad_begin;
    for (int64_t i = 0; i < ax[0].k; i++) {
        int64_t iy = y0 + i * ax[0].d;
        if (iy < 0 || iy >= ax[0].in)
            continue;
        for (int64_t j = 0; j < ax[1].k; j++) {
            int64_t ix = x0 + j * ax[1].d;
            if (ix < 0 || ix >= ax[1].in)
                continue;
            float v = plane[iy * ax[1].in + ix];
            if (v > m || isnan(v))
                m = v;
            s += v;
        }
    }
    *max = m;
    *sum = s;
}

static float max_window(const runt_attrs *attrs, const float *plane, const pool_axis ax[2],
                        int64_t oy, int64_t ox)
{
    (void)attrs;
    float m, s;
    window_max_sum(plane, ax, oy, ox, &m, &s);
    return m;
}

static float average_window(const runt_attrs *attrs, const float *plane, const pool_axis ax[2],
                            int64_t oy, int64_t ox)
{
    int64_t in_y, pad_y, in_x, pad_x;
    pool_axis_counts(&ax[0], oy, &in_y, &pad_y);
    pool_axis_counts(&ax[1], ox, &in_x, &pad_x);
    int64_t count = attrs->pool.count_include_pad ? pad_y * pad_x : in_y * in_x;
    if (!count)
        return NAN;
    float m, s;
    window_max_sum(plane, ax, oy, ox, &m, &s);
    return s / (float)count;
}

static runt_status pool_2d(const char *op, pool_window_fn *window, const runt_attrs *attrs,
                           const runt_tensor *in, int n_in, runt_tensor *out, int n_out)
{
    pool_axis ax[2];
    runt_status st = pool_check(op, attrs, in, n_in, out, n_out, ax);
    if (st != RUNT_OK)
        return st;
    const float *x = in[0].data;
    float *y = out[0].data;
    int64_t planes = in[0].dims[0] * in[0].dims[1];
    for (int64_t p = 0; p < planes; p++) {
        const float *plane = x + p * ax[0].in * ax[1].in;
        for (int64_t oy = 0; oy < ax[0].out; oy++)
            for (int64_t ox = 0; ox < ax[1].out; ox++)
                *y++ = window(attrs, plane, ax, oy, ox);
    }
    return RUNT_OK;
}

runt_status runt_ref_max_pool(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                              runt_tensor *out, int n_out)
{
    return pool_2d("MaxPool", max_window, attrs, in, n_in, out, n_out);
}

runt_status runt_ref_average_pool(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                                  runt_tensor *out, int n_out)
{
    return pool_2d("AveragePool", average_window, attrs, in, n_in, out, n_out);
}

/* Any rank >= 3: the mean over every axis after N and C, one value per plane. */
runt_status runt_ref_global_average_pool(const runt_attrs *attrs, const runt_tensor *in,
                                         int n_in, runt_tensor *out, int n_out)
{
    (void)attrs;
    if (!in || !out || n_in < 1 || n_out < 1)
        return runt_error_set(RUNT_E_INVALID_ARG,
                              "GlobalAveragePool: needs one input and one output");
    const runt_tensor *x = &in[0], *y = &out[0];
    if (x->dtype != RUNT_F32 || y->dtype != RUNT_F32)
        return runt_error_set(RUNT_E_UNSUPPORTED,
                              "GlobalAveragePool: reference kernel is f32 only");
    if (x->ndim < 3 || x->ndim > RUNT_MAX_DIMS)
        return runt_error_set(RUNT_E_SHAPE, "GlobalAveragePool: input rank %d, needs 3 to %d",
                              x->ndim, RUNT_MAX_DIMS);
    int64_t planes = x->dims[0] * x->dims[1];
    int64_t size = runt_tensor_count(x) / (planes ? planes : 1);
    if (runt_tensor_count(y) != planes || y->dims[0] != x->dims[0] || y->dims[1] != x->dims[1])
        return runt_error_set(RUNT_E_SHAPE, "GlobalAveragePool: output is not [N, C, 1, ...]");
    if (planes && (!x->data || !y->data))
        return runt_error_set(RUNT_E_INVALID_ARG, "GlobalAveragePool: missing data pointer");
    const float *xp = x->data;
    float *yp = y->data;
    for (int64_t p = 0; p < planes; p++) {
        float s = 0.0f;
        for (int64_t i = 0; i < size; i++)
            s += xp[p * size + i];
        yp[p] = s / (float)size;
    }
    return RUNT_OK;
}
