/*
 * Quantized layers built node by node with the builder API, in the forms
 * onnxruntime's quantizers write (scripts/make-quant-fixtures.py shows them
 * on real files): quantize_dynamic's
 *   DynamicQuantizeLinear -> MatMulInteger / ConvInteger -> Cast
 *     -> Mul(., Mul(x_scale, w_scale)) [-> Add(bias)] [-> Relu]
 * and QDQ's
 *   QuantizeLinear -> DequantizeLinear -> MatMul / Gemm / Conv(., DequantizeLinear(W)).
 * Options bend one part at a time so tests can check that a layer folds
 * (runtime/quant_patterns.c) exactly when it should. Shared by
 * tests/runtime/test_quant_patterns.c and tests/backends/cpu/test_cpu_qmodels.c.
 */
#ifndef RT_QUANT_GRAPHS_H
#define RT_QUANT_GRAPHS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "runt.h"
#include "test_util.h"

#define QG_CHECK(call) \
    RT_ASSERT((call) == RUNT_OK, "%s: %s", #call, runt_last_error())

/* One layer; zero-initialized options give the plain form that folds. */
typedef struct qg_layer {
    int conv;                  /* ConvInteger / Conv instead of MatMulInteger / MatMul */
    int64_t k, n;              /* linear: depth and outputs                       */
    int64_t c, m, kh, kw;      /* conv: channels in and out, kernel               */
    runt_conv_attrs conv_attrs;/* conv: strides, pads, dilations, group (set group) */
    runt_dtype w_dtype;        /* RUNT_I8 (0 means I8) or RUNT_U8                */
    int w_zero_point;          /* the weights' zero point value                    */
    int per_channel;           /* w_scale per output channel                       */
    int bias, relu;
    /* dynamic form, bends: */
    int cast_to_i32;           /* Cast to int32 instead of float                   */
    int foreign_scale;         /* the scale Mul uses a constant, not x_scale       */
    int bias_through_reshape;  /* bias as Reshape(constant) (onnxruntime's Conv)   */
    /* QDQ form: */
    runt_dtype x_dtype;        /* activation type: RUNT_I8 (0) or RUNT_U8          */
    int gemm_trans_b;          /* Gemm(x', W'^T, C) instead of MatMul              */
    int w_axis_wrong;          /* per-channel scales along the depth axis          */
    int dq_scale_differs;      /* DequantizeLinear's x scale is not QuantizeLinear's */
} qg_layer;

static inline runt_value_id qg_const(runt_builder *b, runt_dtype t, int ndim, const int64_t *dims,
                                     const void *data)
{
    runt_value_id v;
    QG_CHECK(runt_builder_constant(b, NULL, t, ndim, dims, data, &v));
    return v;
}

static inline runt_value_id qg_node(runt_builder *b, runt_op op, const runt_attrs *a, int n_in,
                                    const runt_value_id *in)
{
    runt_value_id y;
    QG_CHECK(runt_builder_node(b, op, NULL, a, n_in, in, 1, &y));
    return y;
}

/* Random int8 or uint8 weights of count elements. */
static inline void *qg_weights(rt_rng *r, runt_dtype t, int64_t count)
{
    uint8_t *w = malloc((size_t)count);
    for (int64_t i = 0; i < count; i++)
        w[i] = (uint8_t)(t == RUNT_U8 ? rt_rng_int(r, 0, 255) : rt_rng_int(r, -128, 127));
    return w;
}

static inline float *qg_scales(rt_rng *r, int64_t count)
{
    float *s = malloc(sizeof *s * (size_t)count);
    for (int64_t i = 0; i < count; i++)
        s[i] = (float)rt_rng_uniform(r, 0.002, 0.02);
    return s;
}

/* The weight of a layer: shape, channel count, depth. */
static inline void qg_weight_shape(const qg_layer *o, int64_t *dims, int *ndim, int64_t *channels)
{
    if (o->conv) {
        int g = o->conv_attrs.group ? o->conv_attrs.group : 1;
        dims[0] = o->m, dims[1] = o->c / g, dims[2] = o->kh, dims[3] = o->kw;
        *ndim = 4;
        *channels = o->m;
    } else {
        dims[0] = o->gemm_trans_b ? o->n : o->k;
        dims[1] = o->gemm_trans_b ? o->k : o->n;
        *ndim = 2;
        *channels = o->n;
    }
}

/* Bias, then Relu, on y (per channel: the last axis, or Conv's axis 1). */
static inline runt_value_id qg_tail(runt_builder *b, runt_value_id y, const qg_layer *o,
                                    int64_t channels, rt_rng *r)
{
    if (o->bias) {
        float *bias = malloc(sizeof *bias * (size_t)channels);
        rt_fill_uniform(r, bias, (size_t)channels, -0.5f, 0.5f);
        runt_value_id bv = qg_const(b, RUNT_F32, 1, &channels, bias);
        if (o->conv || o->bias_through_reshape) {
            runt_attrs ra;
            runt_attrs_default(RUNT_OP_RESHAPE, &ra);
            ra.reshape.ndim = o->conv ? 4 : 2;
            ra.reshape.shape[0] = 1;
            ra.reshape.shape[1] = -1;
            ra.reshape.shape[2] = ra.reshape.shape[3] = 1;
            bv = qg_node(b, RUNT_OP_RESHAPE, &ra, 1, &bv);
        }
        runt_value_id in[2] = {y, bv};
        y = qg_node(b, RUNT_OP_ADD, NULL, 2, in);
        free(bias);
    }
    if (o->relu)
        y = qg_node(b, RUNT_OP_RELU, NULL, 1, &y);
    return y;
}

/* quantize_dynamic's form of the layer on x. */
static inline runt_value_id qg_dynamic(runt_builder *b, runt_value_id x, const qg_layer *o,
                                       rt_rng *r)
{
    runt_dtype wt = o->w_dtype == RUNT_U8 ? RUNT_U8 : RUNT_I8;
    int64_t wd[4], channels;
    int wn;
    qg_weight_shape(o, wd, &wn, &channels);
    int64_t count = wd[0] * wd[1] * (wn == 4 ? wd[2] * wd[3] : 1);
    void *w = qg_weights(r, wt, count);
    float *ws = qg_scales(r, channels);
    int64_t ws_dims[3] = {channels, 1, 1};
    uint8_t wzp = (uint8_t)o->w_zero_point;
    runt_value_id q[3];
    QG_CHECK(runt_builder_node(b, RUNT_OP_DYNAMIC_QUANTIZE_LINEAR, NULL, NULL, 1, &x, 3, q));
    runt_value_id wv = qg_const(b, wt, wn, wd, w), zv = qg_const(b, wt, 0, NULL, &wzp);
    runt_value_id in[4] = {q[0], wv, q[2], zv};
    runt_attrs ca;
    runt_attrs_default(RUNT_OP_CONV_INTEGER, &ca);
    if (o->conv) {
        ca.conv = o->conv_attrs;
        if (!ca.conv.group)
            ca.conv.group = 1;
        for (int i = 0; i < 2; i++) {
            ca.conv.strides[i] = ca.conv.strides[i] ? ca.conv.strides[i] : 1;
            ca.conv.dilations[i] = ca.conv.dilations[i] ? ca.conv.dilations[i] : 1;
        }
    }
    runt_value_id acc = qg_node(b, o->conv ? RUNT_OP_CONV_INTEGER : RUNT_OP_MATMUL_INTEGER,
                                o->conv ? &ca : NULL, 4, in);
    runt_attrs cast;
    runt_attrs_default(RUNT_OP_CAST, &cast);
    cast.cast.to = o->cast_to_i32 ? RUNT_I32 : RUNT_F32;
    runt_value_id f = qg_node(b, RUNT_OP_CAST, &cast, 1, &acc);
    if (o->cast_to_i32) {
        cast.cast.to = RUNT_F32;
        f = qg_node(b, RUNT_OP_CAST, &cast, 1, &f);
    }
    float other = 0.01f;
    runt_value_id wsv = o->per_channel ? qg_const(b, RUNT_F32, o->conv ? 3 : 1, ws_dims, ws)
                                       : qg_const(b, RUNT_F32, 0, NULL, ws);
    runt_value_id sin[2] = {o->foreign_scale ? qg_const(b, RUNT_F32, 0, NULL, &other) : q[1], wsv};
    runt_value_id s = qg_node(b, RUNT_OP_MUL, NULL, 2, sin);
    runt_value_id min[2] = {f, s};
    runt_value_id y = qg_node(b, RUNT_OP_MUL, NULL, 2, min);
    free(w);
    free(ws);
    return qg_tail(b, y, o, channels, r);
}

/* QDQ's form of the layer on x; x_scale suits inputs in [-4, 4]. */
static inline runt_value_id qg_qdq(runt_builder *b, runt_value_id x, const qg_layer *o, rt_rng *r)
{
    runt_dtype at = o->x_dtype == RUNT_U8 ? RUNT_U8 : RUNT_I8;
    float xs = 8.0f / 255.0f, xs2 = xs * 1.5f;
    uint8_t xzp_u = 128;
    int8_t xzp_s = 3;
    runt_value_id xsv = qg_const(b, RUNT_F32, 0, NULL, &xs);
    runt_value_id xzv = qg_const(b, at, 0, NULL, at == RUNT_U8 ? (void *)&xzp_u : (void *)&xzp_s);
    runt_attrs qa;
    runt_attrs_default(RUNT_OP_QUANTIZE_LINEAR, &qa);
    runt_value_id qin[3] = {x, xsv, xzv};
    runt_value_id xq = qg_node(b, RUNT_OP_QUANTIZE_LINEAR, &qa, 3, qin);
    runt_value_id dqin[3] = {xq, o->dq_scale_differs ? qg_const(b, RUNT_F32, 0, NULL, &xs2) : xsv,
                             xzv};
    runt_value_id xd = qg_node(b, RUNT_OP_DEQUANTIZE_LINEAR, &qa, 3, dqin);

    int64_t wd[4], channels;
    int wn;
    qg_weight_shape(o, wd, &wn, &channels);
    int64_t count = wd[0] * wd[1] * (wn == 4 ? wd[2] * wd[3] : 1);
    int c_axis = o->conv || o->gemm_trans_b ? 0 : 1;
    int axis = o->w_axis_wrong ? 1 - c_axis : c_axis;
    int64_t n_scales = o->per_channel ? wd[axis] : 1;
    void *w = qg_weights(r, RUNT_I8, count);
    float *ws = qg_scales(r, n_scales);
    int8_t *wzp = malloc((size_t)n_scales);   /* the zero point has the scale's shape */
    memset(wzp, o->w_zero_point, (size_t)n_scales);
    runt_attrs wa;
    runt_attrs_default(RUNT_OP_DEQUANTIZE_LINEAR, &wa);
    wa.quant.axis = axis;
    runt_value_id win[3] = {qg_const(b, RUNT_I8, wn, wd, w),
                            qg_const(b, RUNT_F32, o->per_channel ? 1 : 0, &n_scales, ws),
                            qg_const(b, RUNT_I8, o->per_channel ? 1 : 0, &n_scales, wzp)};
    runt_value_id wdq = qg_node(b, RUNT_OP_DEQUANTIZE_LINEAR, &wa, 3, win);
    runt_value_id y;
    float *bias = malloc(sizeof *bias * (size_t)channels);
    rt_fill_uniform(r, bias, (size_t)channels, -0.5f, 0.5f);
    if (o->conv) {
        runt_attrs ca;
        runt_attrs_default(RUNT_OP_CONV, &ca);
        ca.conv = o->conv_attrs;
        if (!ca.conv.group)
            ca.conv.group = 1;
        for (int i = 0; i < 2; i++) {
            ca.conv.strides[i] = ca.conv.strides[i] ? ca.conv.strides[i] : 1;
            ca.conv.dilations[i] = ca.conv.dilations[i] ? ca.conv.dilations[i] : 1;
        }
        runt_value_id in[3] = {xd, wdq, o->bias ? qg_const(b, RUNT_F32, 1, &channels, bias) : -1};
        y = qg_node(b, RUNT_OP_CONV, &ca, 3, in);
    } else if (o->gemm_trans_b) {
        runt_attrs ga;
        runt_attrs_default(RUNT_OP_GEMM, &ga);
        ga.gemm.trans_b = 1;
        runt_value_id in[3] = {xd, wdq, o->bias ? qg_const(b, RUNT_F32, 1, &channels, bias) : -1};
        y = qg_node(b, RUNT_OP_GEMM, &ga, 3, in);
    } else {
        runt_value_id in[2] = {xd, wdq};
        y = qg_node(b, RUNT_OP_MATMUL, NULL, 2, in);
    }
    if (o->relu)
        y = qg_node(b, RUNT_OP_RELU, NULL, 1, &y);
    free(w);
    free(ws);
    free(wzp);
    free(bias);
    return y;
}

/* A model of one input x of shape xdims (dims[0] the batch) and the layers
 * given (qdq: QDQ form, else dynamic), each fed by the previous one. */
static inline runt_model *qg_model(int ndim, const int64_t *xdims, const qg_layer *layers,
                                   int n_layers, int qdq, uint64_t seed)
{
    rt_rng r = rt_rng_make(seed);
    runt_builder *b;
    runt_value_id y;
    int64_t dims[RUNT_MAX_DIMS];
    memcpy(dims, xdims, sizeof(int64_t) * (size_t)ndim);
    dims[0] = RUNT_DIM_BATCH;
    QG_CHECK(runt_builder_create(NULL, &b));
    QG_CHECK(runt_builder_input(b, "x", RUNT_F32, ndim, dims, &y));
    for (int i = 0; i < n_layers; i++)
        y = qdq ? qg_qdq(b, y, &layers[i], &r) : qg_dynamic(b, y, &layers[i], &r);
    QG_CHECK(runt_builder_output(b, y, "y"));
    runt_model *m = NULL;
    QG_CHECK(runt_builder_finish(b, &m));
    return m;
}

#endif /* RT_QUANT_GRAPHS_H */
