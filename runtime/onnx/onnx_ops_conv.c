/*
 * ONNX op mappers of the windowed ops: Conv, MaxPool, AveragePool, and the
 * ReduceMean that is a global average pool. They share the window
 * attributes (kernel_shape, strides, dilations, pads, auto_pad) and the
 * 1-D as 2-D mapping; ConvInteger (onnx_ops_quant.c) reuses them through
 * runt_onnx_emit_windowed.
 */
#include <string.h>

#include "error.h"
#include "onnx_impl.h"
#include "onnx_op_args.h"
#include "onnx_op_mappers.h"

/* Window attributes (kernel, strides, dilations, pads) are bounded so that
 * products of two of them stay far inside int. */
#define RUNT_ONNX_MAX_WINDOW 65535

/* The window attributes shared by Conv, MaxPool and AveragePool, for 1 or 2
 * spatial dims; pads in ONNX order (x1_begin, x2_begin, x1_end, x2_end). */
typedef struct runt_onnx_window {
    int dims;                 /* spatial dims: 1 or 2 */
    int has_kernel;
    int64_t kernel[2], strides[2], dilations[2], pads[4];
    int auto_pad;
} runt_onnx_window;

/* How many spatial dims: from the input's rank, else from kernel_shape. */
static runt_status runt_onnx_spatial_dims(runt_onnx_ctx *c, const runt_onnx_node *n, int x_rank,
                                          int *dims)
{
    int64_t k[RUNT_MAX_DIMS];
    int n_k;
    runt_status s = runt_onnx_attr_ints(c, n, "kernel_shape", k, RUNT_MAX_DIMS, &n_k);
    if (s != RUNT_OK)
        return s;
    *dims = x_rank >= 0 ? x_rank - 2 : n_k >= 0 ? n_k : 2;
    if (*dims != 1 && *dims != 2)
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "%d spatial dims; runt computes 1 "
                                    "and 2", *dims);
    return RUNT_OK;
}

/* An INTS window attribute of `want` values in [lo, RUNT_ONNX_MAX_WINDOW]. */
static runt_status runt_onnx_window_ints(runt_onnx_ctx *c, const runt_onnx_node *n,
                                         const char *name, int want, int64_t lo, int64_t dflt,
                                         int64_t *out, int *present)
{
    int got;
    runt_status s = runt_onnx_attr_ints(c, n, name, out, 4, &got);
    if (s != RUNT_OK)
        return s;
    *present = got >= 0;
    if (got < 0) {
        for (int i = 0; i < want; i++)
            out[i] = dflt;
        return RUNT_OK;
    }
    if (got != want)
        return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "attribute '%s' has %d values, "
                                    "expected %d", name, got, want);
    for (int i = 0; i < want; i++)
        if (out[i] < lo || out[i] > RUNT_ONNX_MAX_WINDOW)
            return runt_onnx_node_error(c, n, out[i] < lo ? RUNT_E_BAD_MODEL : RUNT_E_UNSUPPORTED,
                                        "attribute '%s' holds %lld, outside [%lld, %d]", name,
                                        (long long)out[i], (long long)lo, RUNT_ONNX_MAX_WINDOW);
    return RUNT_OK;
}

static runt_status runt_onnx_window_read(runt_onnx_ctx *c, const runt_onnx_node *n, int dims,
                                         runt_onnx_window *w)
{
    static const char *const auto_pads[] = {"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER", "",
                                            NULL};
    int present;
    runt_status s;
    memset(w, 0, sizeof *w);
    w->dims = dims;
    if ((s = runt_onnx_window_ints(c, n, "kernel_shape", dims, 1, 0, w->kernel, &w->has_kernel)) ||
        (s = runt_onnx_window_ints(c, n, "strides", dims, 1, 1, w->strides, &present)) ||
        (s = runt_onnx_window_ints(c, n, "dilations", dims, 1, 1, w->dilations, &present)) ||
        (s = runt_onnx_window_ints(c, n, "pads", 2 * dims, 0, 0, w->pads, &present)) ||
        (s = runt_onnx_attr_choice(c, n, "auto_pad", auto_pads, 0, RUNT_E_BAD_MODEL,
                                   &w->auto_pad)))
        return s;
    if (w->auto_pad == 4) /* "" is NOTSET */
        w->auto_pad = 0;
    return RUNT_OK;
}

/* Fills runt's 2-D fields; a 1-D window becomes 1 x k over an H of 1. The
 * NOTSET, VALID, SAME_UPPER, SAME_LOWER order matches runt_auto_pad. */
static void runt_onnx_window_2d(const runt_onnx_window *w, int *kernel, int *strides,
                                int *dilations, int *pads, runt_auto_pad *auto_pad)
{
    int one = w->dims == 1;
    for (int i = 0; i < 2; i++) {
        int src = one ? 0 : i, real = !one || i == 1;
        kernel[i] = !w->has_kernel ? 0 : real ? (int)w->kernel[src] : 1;
        strides[i] = real ? (int)w->strides[src] : 1;
        dilations[i] = real ? (int)w->dilations[src] : 1;
        pads[i] = real ? (int)w->pads[src] : 0;                  /* begin: top, left    */
        pads[2 + i] = real ? (int)w->pads[src + w->dims] : 0;    /* end: bottom, right  */
    }
    *auto_pad = (runt_auto_pad)w->auto_pad;
}

static const int64_t runt_onnx_to_2d[4] = {0, 0, 1, -1};   /* [N, C, L] → [N, C, 1, L] */
static const int64_t runt_onnx_to_1d[3] = {0, 0, -1};      /* [N, C, 1, L] → [N, C, L] */

/* Runs op over a 1-D input as a 2-D op on [N, C, 1, L]. */
static runt_status runt_onnx_emit_as_2d(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op,
                                        const runt_attrs *a, int n_in, runt_value_id *in)
{
    runt_value_id y4, y;
    runt_status s;
    if ((s = runt_onnx_reshape(c, n, "/to_2d", in[0], 4, runt_onnx_to_2d, &in[0])) ||
        (s = runt_onnx_add_node(c, n, NULL, op, a, n_in, in, &y4)) ||
        (s = runt_onnx_reshape(c, n, "/to_1d", y4, 3, runt_onnx_to_1d, &y)))
        return s;
    return runt_onnx_define(c, n, 0, y, 3);
}

/* Conv (X, W[, B]) and ConvInteger (X, W[, x_zero_point[, w_zero_point]]):
 * the same window attributes and the same 1-D handling; the inputs after the
 * weight (n_in in all) pass through unchanged. */
runt_status runt_onnx_emit_windowed(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op,
                                    int n_in)
{
    runt_attrs a;
    runt_onnx_window w;
    runt_value_id in[4];
    int rx, rw, rest, dims;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 2, n_in, 1)) || (s = runt_onnx_value(c, n, 0, &in[0], &rx)))
        return s;
    for (int i = 2; i < n_in; i++)
        if ((s = runt_onnx_value(c, n, i, &in[i], &rest)))
            return s;
    if ((s = runt_onnx_spatial_dims(c, n, rx, &dims)) ||
        (s = runt_onnx_window_read(c, n, dims, &w)) ||
        (s = runt_onnx_attr_int(c, n, "group", 1, 1, INT32_MAX, &a.conv.group)))
        return s;
    runt_onnx_window_2d(&w, a.conv.kernel, a.conv.strides, a.conv.dilations, a.conv.pads,
                        &a.conv.auto_pad);
    if (dims == 2) {
        if ((s = runt_onnx_value(c, n, 1, &in[1], &rw)))
            return s;
        return runt_onnx_emit_one(c, n, op, &a, n_in, in, 4);
    }
    /* A constant weight [M, C/g, k] is stored once as [M, C/g, 1, k]; any
     * other weight is reshaped in the graph. */
    if ((s = runt_onnx_const_as_2d(c, n, 1, &in[1])))
        return s;
    if (in[1] < 0 && ((s = runt_onnx_value(c, n, 1, &in[1], &rw)) ||
                      (s = runt_onnx_reshape(c, n, "/weight_2d", in[1], 4, runt_onnx_to_2d,
                                             &in[1]))))
        return s;
    return runt_onnx_emit_as_2d(c, n, op, &a, n_in, in);
}

runt_status runt_onnx_emit_conv(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    return runt_onnx_emit_windowed(c, n, op, 3);
}

runt_status runt_onnx_emit_pool(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_onnx_window w;
    runt_value_id x;
    int r, dims, storage_order;
    runt_status s;
    int is_max = op == RUNT_OP_MAX_POOL;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 1, 1, is_max ? 2 : 1)) ||
        (s = runt_onnx_unused_from(c, n, 1, "the indices")) ||
        (s = runt_onnx_value(c, n, 0, &x, &r)) ||
        (s = runt_onnx_spatial_dims(c, n, r, &dims)) ||
        (s = runt_onnx_window_read(c, n, dims, &w)) ||
        (s = runt_onnx_attr_int(c, n, "ceil_mode", 0, 0, 1, &a.pool.ceil_mode)) ||
        (s = runt_onnx_attr_int(c, n, "count_include_pad", 0, 0, 1, &a.pool.count_include_pad)) ||
        (s = runt_onnx_attr_int(c, n, "storage_order", 0, 0, 1, &storage_order)))
        return s;
    if (!w.has_kernel)
        return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "attribute 'kernel_shape' is required");
    runt_onnx_window_2d(&w, a.pool.kernel, a.pool.strides, a.pool.dilations, a.pool.pads,
                        &a.pool.auto_pad);
    if (dims == 2)
        return runt_onnx_emit_one(c, n, op, &a, 1, &x, 4);
    return runt_onnx_emit_as_2d(c, n, op, &a, 1, &x);
}

/* ReduceMean over the two spatial dims of an NCHW input is GlobalAveragePool:
 * what torch.onnx's default (dynamo) exporter writes for
 * nn.AdaptiveAvgPool2d(1) (keepdims 1) and x.mean((2, 3)) (keepdims 0).
 * Other axes are refused. axes is an attribute before opset 18, an input
 * from 18; noop_with_empty_axes (18) is read only to check its type, since
 * it matters only when no axes are given, which is refused. */
runt_status runt_onnx_emit_reduce_mean(runt_onnx_ctx *c, const runt_onnx_node *n,
                                       runt_op op)
{
    static const int64_t runt_onnx_keep_nc[2] = {0, 0}; /* [N, C, 1, 1] → [N, C] */
    int64_t axes[RUNT_MAX_DIMS] = {0};
    int n_axes = -1, keepdims, noop, r;
    runt_value_id x, y;
    runt_status s;
    if ((s = runt_onnx_arity(c, n, 1, c->opset < 18 ? 1 : 2, 1)) ||
        (s = runt_onnx_attr_int(c, n, "keepdims", 1, 0, 1, &keepdims)) ||
        (s = runt_onnx_attr_int(c, n, "noop_with_empty_axes", 0, 0, 1, &noop)) ||
        (s = runt_onnx_value(c, n, 0, &x, &r)))
        return s;
    if (c->opset < 18)
        s = runt_onnx_attr_ints(c, n, "axes", axes, RUNT_MAX_DIMS, &n_axes);
    else if (runt_onnx_has_input(c, n, 1))
        s = runt_onnx_const_ints(c, n, 1, "axes", axes, RUNT_MAX_DIMS, &n_axes);
    if (s != RUNT_OK)
        return s;
    int64_t a0 = n_axes == 2 && axes[0] < 0 ? axes[0] + r : axes[0];
    int64_t a1 = n_axes == 2 && axes[1] < 0 ? axes[1] + r : axes[1];
    if (r != 4 || n_axes != 2 || !((a0 == 2 && a1 == 3) || (a0 == 3 && a1 == 2)))
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "runt computes ReduceMean only "
                                    "over the two spatial dims of a 4-D input (axes 2 and 3, as "
                                    "GlobalAveragePool); here the input has rank %d and %d axes "
                                    "are given", r, n_axes < 0 ? 0 : n_axes);
    if ((s = runt_onnx_add_node(c, n, keepdims ? NULL : "/pool", op, NULL, 1, &x, &y)))
        return s;
    if (!keepdims && (s = runt_onnx_reshape(c, n, NULL, y, 2, runt_onnx_keep_nc, &y)))
        return s;
    return runt_onnx_define(c, n, 0, y, keepdims ? 4 : 2);
}
