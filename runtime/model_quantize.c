/*
 * runt_model_quantize_int8: a copy of a model whose Linears and Convs are
 * written as onnxruntime's quantize_dynamic writes them, so every backend
 * runs them as it runs such a file: the reference backend node by node (the
 * int8 path every other is checked against), a backend with int8 kernels
 * as one quantized layer (runtime/quant_patterns.c). Weights are quantized
 * here, once, by the definition the backends' int8 paths use
 * (runtime/weight_quant.h): symmetric int8 per output channel, scale =
 * max|w| / 127, q = round half to even of w / scale.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "error.h"
#include "model.h"
#include "weight_quant.h"

typedef struct mq {
    const runt_model *m;
    runt_builder *b;
    int *map;                    /* old value id -> new, or -1 */
    const runt_allocator *a;
} mq;

/* The new id of old value v, copying a constant the first time it is used. */
static runt_status mq_value(mq *q, int v, runt_value_id *out)
{
    if (v < 0) {
        *out = -1;
        return RUNT_OK;
    }
    if (q->map[v] < 0) {
        const runt_model_value *mv = &q->m->values[v];
        if (!mv->is_constant)
            return runt_error_set(RUNT_E_BAD_MODEL, "quantizing: value '%s' is used before it is "
                                  "computed", mv->name);
        runt_status s = runt_builder_constant(q->b, mv->name, mv->desc.dtype, mv->desc.ndim,
                                              mv->desc.dims, mv->desc.data, &q->map[v]);
        if (s != RUNT_OK)
            return s;
    }
    *out = q->map[v];
    return RUNT_OK;
}

static const runt_model_value *mq_f32_constant(const mq *q, const runt_model_node *n, int j, int ndim)
{
    if (j >= n->n_inputs || n->inputs[j] < 0)
        return NULL;
    const runt_model_value *v = &q->m->values[n->inputs[j]];
    return v->is_constant && v->desc.dtype == RUNT_F32 && v->desc.ndim == ndim ? v : NULL;
}

/* Quantizes channel c of w (runtime/weight_quant.h's definition, as the
 * backends' int8 paths): its elements are w[c * c_stride + i * i_stride]
 * for i < count, written to q at the same places with q_c_stride/q_i_stride.
 * 0 if a weight is not finite. */
static int mq_channel(const float *w, int64_t c_stride, int64_t i_stride, int64_t count,
                      int8_t *qw, int64_t q_c_stride, int64_t q_i_stride, int64_t c, float *scale)
{
    const float *wc = w + c * c_stride;
    for (int64_t i = 0; i < count; i++)
        if (!isfinite(wc[i * i_stride]))
            return 0;
    float amax = runt_weight_quant_amax(wc, count, i_stride);
    *scale = runt_weight_quant_scale(amax);
    runt_weight_quant_run(wc, count, i_stride, amax, *scale, qw + c * q_c_stride, q_i_stride);
    return 1;
}

/* Which layers are quantized: Gemm (alpha 1, A not transposed, bias absent
 * or a [N] constant with beta 1), MatMul with a constant [K, N], Conv; all
 * with f32 constant weights and no epilogue. Others stay f32. */
static int mq_linear_ok(const mq *q, const runt_model_node *n)
{
    if (n->op == RUNT_OP_MATMUL)
        return mq_f32_constant(q, n, 1, 2) != NULL;
    if (n->op != RUNT_OP_GEMM)
        return 0;
    const runt_gemm_attrs *g = &n->attrs.gemm;
    const runt_model_value *w = mq_f32_constant(q, n, 1, 2);
    if (!w || g->alpha != 1.0f || g->trans_a || g->epilogue.act != RUNT_ACT_NONE)
        return 0;
    if (n->n_inputs < 3 || n->inputs[2] < 0)
        return 1;
    const runt_model_value *c = mq_f32_constant(q, n, 2, 1);
    return c && g->beta == 1.0f && c->desc.dims[0] == w->desc.dims[g->trans_b ? 0 : 1];
}

static int mq_conv_ok(const mq *q, const runt_model_node *n)
{
    if (n->op != RUNT_OP_CONV || !mq_f32_constant(q, n, 1, 4) ||
        n->attrs.conv.epilogue.act != RUNT_ACT_NONE)
        return 0;
    return n->n_inputs < 3 || n->inputs[2] < 0 || mq_f32_constant(q, n, 2, 1);
}

static runt_status mq_node(mq *q, runt_op op, const char *name, const runt_attrs *a, int n_in,
                           const runt_value_id *in, int n_out, runt_value_id *out)
{
    return runt_builder_node(q->b, op, name, a, n_in, in, n_out, out);
}

/* DynamicQuantizeLinear -> MatMulInteger/ConvInteger -> Cast -> Mul(x_scale
 * * w_scale) [-> Add(bias)], ending in *y. */
static runt_status mq_layer(mq *q, const runt_model_node *n, int is_conv, runt_value_id *y)
{
    const runt_model_value *w = &q->m->values[n->inputs[1]];
    const runt_model_value *bias = n->n_inputs > 2 && n->inputs[2] >= 0 ? &q->m->values[n->inputs[2]]
                                                                         : NULL;
    int trans_b = !is_conv && n->op == RUNT_OP_GEMM && n->attrs.gemm.trans_b;
    int64_t channels = is_conv ? w->desc.dims[0] : w->desc.dims[trans_b ? 0 : 1];
    int64_t per_channel = runt_tensor_count(&w->desc) / channels;
    int64_t qdims[4];
    memcpy(qdims, w->desc.dims, sizeof qdims);
    if (trans_b)    /* MatMulInteger's B is [K, N] */
        qdims[0] = w->desc.dims[1], qdims[1] = w->desc.dims[0];
    int8_t *qw = runt_alloc(q->a, (size_t)runt_tensor_count(&w->desc));
    float *scales = runt_alloc(q->a, sizeof(float) * (size_t)channels);
    runt_status s = RUNT_OK;
    char name[160];
    if (!qw || !scales) {
        s = runt_error_set(RUNT_E_OOM, "quantizing '%s': out of memory", n->name);
        goto done;
    }
    const float *wd = w->desc.data;
    for (int64_t c = 0; c < channels; c++) {
        /* Conv and Gemm transB: channel c is a row of per_channel values.
         * Otherwise W is [K, N] and channel c a column. Either way q is
         * written as [K, N] for Linears and as W's layout for Conv. */
        int64_t cs = is_conv || trans_b ? per_channel : 1, is = is_conv || trans_b ? 1 : channels;
        int64_t qcs = is_conv ? per_channel : 1, qis = is_conv ? 1 : channels;
        if (!mq_channel(wd, cs, is, per_channel, qw, qcs, qis, c, &scales[c])) {
            s = runt_error_set(RUNT_E_INVALID_ARG, "quantizing node '%s': weight '%s' is not "
                               "finite", n->name, w->name);
            goto done;
        }
    }
    /* Zeroed: a failed step leaves the later ids unset, and they are still
     * gathered into the next step's input list (which is then skipped). */
    runt_value_id x = 0, xq[3] = {0}, wq = 0, ws = 0, acc = 0, f = 0, sc = 0, yv = 0;
    int64_t ws_dims[3] = {channels, 1, 1};
    s = mq_value(q, n->inputs[0], &x);
    snprintf(name, sizeof name, "%s.quantize_x", n->name);
    if (s == RUNT_OK)
        s = mq_node(q, RUNT_OP_DYNAMIC_QUANTIZE_LINEAR, name, NULL, 1, &x, 3, xq);
    snprintf(name, sizeof name, "%s.int8", w->name);
    if (s == RUNT_OK)
        s = runt_builder_constant(q->b, name, RUNT_I8, w->desc.ndim, qdims, qw, &wq);
    snprintf(name, sizeof name, "%s.scale", w->name);
    if (s == RUNT_OK)
        s = runt_builder_constant(q->b, name, RUNT_F32, is_conv ? 3 : 1, ws_dims, scales, &ws);
    runt_value_id mm_in[3] = {xq[0], wq, xq[2]};
    runt_attrs ca;
    runt_attrs_default(RUNT_OP_CONV_INTEGER, &ca);
    ca.conv = n->attrs.conv;
    snprintf(name, sizeof name, "%s.int8", n->name);
    if (s == RUNT_OK)
        s = mq_node(q, is_conv ? RUNT_OP_CONV_INTEGER : RUNT_OP_MATMUL_INTEGER, name,
                    is_conv ? &ca : NULL, 3, mm_in, 1, &acc);
    runt_attrs cast;
    runt_attrs_default(RUNT_OP_CAST, &cast);
    cast.cast.to = RUNT_F32;
    snprintf(name, sizeof name, "%s.to_f32", n->name);
    if (s == RUNT_OK)
        s = mq_node(q, RUNT_OP_CAST, name, &cast, 1, &acc, 1, &f);
    runt_value_id sin[2] = {xq[1], ws};
    snprintf(name, sizeof name, "%s.scale", n->name);
    if (s == RUNT_OK)
        s = mq_node(q, RUNT_OP_MUL, name, NULL, 2, sin, 1, &sc);
    runt_value_id min[2] = {f, sc};
    snprintf(name, sizeof name, "%s.rescale", n->name);
    if (s == RUNT_OK)
        s = mq_node(q, RUNT_OP_MUL, name, NULL, 2, min, 1, &yv);
    if (s == RUNT_OK && bias) {
        runt_value_id bv, ain[2];
        snprintf(name, sizeof name, "%s.bias", n->name);
        /* Conv's bias [M] broadcasts as [M, 1, 1] over NCHW. */
        s = runt_builder_constant(q->b, bias->name, RUNT_F32, is_conv ? 3 : 1, ws_dims,
                                  bias->desc.data, &bv);
        ain[0] = yv, ain[1] = bv;
        if (s == RUNT_OK)
            s = mq_node(q, RUNT_OP_ADD, name, NULL, 2, ain, 1, &yv);
    }
    if (s == RUNT_OK)
        *y = yv;
done:
    runt_free(q->a, qw);
    runt_free(q->a, scales);
    return s;
}

runt_status runt_model_quantize_int8(const runt_model *m, const runt_allocator *a,
                                     runt_model **out)
{
    if (!m || !out)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_model_quantize_int8: %s is NULL",
                              m ? "out" : "model");
    *out = NULL;
    mq q = {m, NULL, runt_alloc_zeroed(a, (size_t)(m->n_values ? m->n_values : 1), sizeof(int)), a};
    if (!q.map)
        return runt_error_set(RUNT_E_OOM, "runt_model_quantize_int8: out of memory");
    runt_status s = runt_builder_create(a, &q.b);
    for (int v = 0; v < m->n_values; v++)
        q.map[v] = -1;
    for (int i = 0; i < m->n_inputs && s == RUNT_OK; i++) {
        const runt_model_value *mv = &m->values[m->inputs[i]];
        s = runt_builder_input(q.b, mv->name, mv->desc.dtype, mv->desc.ndim, mv->desc.dims,
                               &q.map[m->inputs[i]]);
    }
    for (int i = 0; i < m->n_nodes && s == RUNT_OK; i++) {
        const runt_model_node *n = &m->nodes[i];
        int conv = mq_conv_ok(&q, n);
        if (conv || mq_linear_ok(&q, n)) {
            s = mq_layer(&q, n, conv, &q.map[n->outputs[0]]);
            continue;
        }
        runt_value_id in[RUNT_MAX_NODE_INPUTS], outs[RUNT_MAX_NODE_OUTPUTS];
        for (int j = 0; j < n->n_inputs && s == RUNT_OK; j++)
            s = mq_value(&q, n->inputs[j], &in[j]);
        if (s == RUNT_OK)
            s = runt_builder_node(q.b, n->op, n->name, &n->attrs, n->n_inputs, in, n->n_outputs,
                                  outs);
        for (int j = 0; j < n->n_outputs && s == RUNT_OK; j++)
            q.map[n->outputs[j]] = outs[j];
    }
    for (int i = 0; i < m->n_outputs && s == RUNT_OK; i++)
        s = runt_builder_output(q.b, q.map[m->outputs[i]], m->values[m->outputs[i]].name);
    if (s == RUNT_OK) {
        s = runt_builder_finish(q.b, out);
        q.b = NULL;
    }
    runt_builder_free(q.b);
    runt_free(a, q.map);
    if (s != RUNT_OK)
        return runt_error_prefix(s, "runt_model_quantize_int8");
    return RUNT_OK;
}
