/*
 * Models the backend tests build through the public builder: a one-node
 * model from operand descriptions, a three-layer MLP and a small conv net.
 * Weights are random in a stated range, never zero. Every builder returns
 * NULL on failure, with the builder's message in runt_last_error().
 */
#ifndef RT_TEST_MODELS_H
#define RT_TEST_MODELS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "runt.h"
#include "test_util.h"

/* One operand of a one-node model: a graph input or a random constant.
 * dims[0] may be RUNT_DIM_BATCH for inputs. */
typedef struct rt_operand {
    int ndim;                /* -1: an absent optional input */
    int64_t dims[RUNT_MAX_DIMS];
    int constant;            /* 0 input; 1 constant in [-1, 1); 2 constant in [0.1, 1) */
} rt_operand;

/* n floats uniform in [lo, 1), malloc'ed (at least one). */
static inline float *rt_random_floats(rt_rng *r, size_t n, float lo)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    if (p)
        rt_fill_uniform(r, p, n, lo, 1.0f);
    return p;
}

/* A model of one node named "node": inputs in0, in1, ... (constants drawn
 * from `seed`), each output a graph output out0, out1, ... */
static inline runt_model *rt_one_node(runt_op op, const runt_attrs *attrs, int n_in,
                                      const rt_operand *ops, int n_out, uint64_t seed)
{
    rt_rng r = rt_rng_make(seed);
    runt_builder *b = NULL;
    if (n_in > 8 || n_out > 4 || runt_builder_create(NULL, &b) != RUNT_OK)
        return NULL;
    runt_value_id ids[8], outs[4];
    runt_status s = RUNT_OK;
    for (int i = 0; i < n_in && s == RUNT_OK; i++) {
        char name[16];
        snprintf(name, sizeof name, "in%d", i);
        if (ops[i].ndim < 0) {
            ids[i] = -1;
            continue;
        }
        if (!ops[i].constant) {
            s = runt_builder_input(b, name, RUNT_F32, ops[i].ndim, ops[i].dims, &ids[i]);
            continue;
        }
        int64_t n = 1;
        for (int d = 0; d < ops[i].ndim; d++)
            n *= ops[i].dims[d];
        float *data = rt_random_floats(&r, (size_t)n, ops[i].constant == 2 ? 0.1f : -1.0f);
        s = runt_builder_constant(b, name, RUNT_F32, ops[i].ndim, ops[i].dims, data, &ids[i]);
        free(data);
    }
    if (s == RUNT_OK)
        s = runt_builder_node(b, op, "node", attrs, n_in, ids, n_out, outs);
    for (int o = 0; o < n_out && s == RUNT_OK; o++) {
        char name[16];
        snprintf(name, sizeof name, "out%d", o);
        s = runt_builder_output(b, outs[o], name);
    }
    runt_model *m = NULL;
    if (s == RUNT_OK)
        s = runt_builder_finish(b, &m);
    else
        runt_builder_free(b);
    return s == RUNT_OK ? m : NULL;
}

/* Every activation the MLP tests put between layers, with its parameters
 * (LeakyRelu's alpha; Clip's min and max; Gelu's approximate_tanh). */
typedef struct rt_activation {
    runt_op op;
    float p0, p1;
} rt_activation;

static const rt_activation rt_activations[] = {
    {RUNT_OP_RELU, 0, 0},    {RUNT_OP_LEAKY_RELU, 0.1f, 0}, {RUNT_OP_CLIP, -0.5f, 0.5f},
    {RUNT_OP_SIGMOID, 0, 0}, {RUNT_OP_TANH, 0, 0},          {RUNT_OP_GELU, 0, 0},
    {RUNT_OP_GELU, 1, 0},
};
#define RT_N_ACTIVATIONS (sizeof rt_activations / sizeof rt_activations[0])

/* The attributes of an activation node for *act. */
static inline runt_attrs rt_activation_attrs(const rt_activation *act)
{
    runt_attrs at;
    runt_attrs_default(act->op, &at);
    if (act->op == RUNT_OP_LEAKY_RELU)
        at.leaky_relu.alpha = act->p0;
    if (act->op == RUNT_OP_CLIP)
        at.clip.min = act->p0, at.clip.max = act->p1;
    if (act->op == RUNT_OP_GELU)
        at.gelu.approximate_tanh = (int)act->p0;
    return at;
}

/* x -> Linear -> act -> Linear -> act -> Linear, widths w[0..3]; weights
 * scaled by 1/sqrt(fan-in) so activations stay O(1) through the layers. */
static inline runt_model *rt_mlp3(const runt_allocator *a, const int64_t *w, runt_op act,
                                  const runt_attrs *act_attrs, uint64_t seed)
{
    rt_rng r = rt_rng_make(seed);
    runt_builder *b = NULL;
    runt_value_id x;
    int64_t dims[2] = {RUNT_DIM_BATCH, w[0]};
    if (runt_builder_create(a, &b) != RUNT_OK)
        return NULL;
    runt_status s = runt_builder_input(b, "x", RUNT_F32, 2, dims, &x);
    for (int l = 0; l < 3 && s == RUNT_OK; l++) {
        float *wt = rt_random_floats(&r, (size_t)(w[l] * w[l + 1]), -1.0f);
        float *bias = rt_random_floats(&r, (size_t)w[l + 1], -1.0f);
        for (int64_t i = 0; i < w[l] * w[l + 1]; i++)
            wt[i] /= sqrtf((float)w[l]);
        s = runt_builder_linear(b, x, w[l], w[l + 1], wt, bias, &x);
        if (s == RUNT_OK && l < 2)
            s = runt_builder_unary(b, act, x, act_attrs, &x);
        free(wt);
        free(bias);
    }
    if (s == RUNT_OK)
        s = runt_builder_output(b, x, "y");
    runt_model *m = NULL;
    if (s == RUNT_OK)
        s = runt_builder_finish(b, &m);
    else
        runt_builder_free(b);
    return s == RUNT_OK ? m : NULL;
}

/* rt_mlp3 with activation rt_activations[a] between its layers. */
static inline runt_model *rt_activation_mlp(const int64_t *w, size_t a, uint64_t seed)
{
    runt_attrs at = rt_activation_attrs(&rt_activations[a]);
    return rt_mlp3(NULL, w, rt_activations[a].op, &at, seed);
}

/* image [N, 3, h, w] -> Conv 3x3 + bias -> BatchNorm -> Relu -> MaxPool
 * 2x2 -> Conv 1x1 -> Relu -> Add(Constant) -> GlobalAveragePool ->
 * Flatten -> Linear -> Softmax: most ops, a fused epilogue, and arena reuse
 * across nodes. */
static inline runt_model *rt_conv_net(const runt_allocator *a, int64_t h, int64_t w,
                                      uint64_t seed)
{
    rt_rng r = rt_rng_make(seed);
    runt_builder *b = NULL;
    if (runt_builder_create(a, &b) != RUNT_OK)
        return NULL;
    int64_t dims[4] = {RUNT_DIM_BATCH, 3, h, w}, c16 = 16, shape[4] = {1, 24, 1, 1};
    runt_value_id x = -1, y = -1, bn[5] = {-1, -1, -1, -1, -1}, cin = -1, cst = -1, sum[2];
    runt_status s = runt_builder_input(b, "image", RUNT_F32, 4, dims, &x);
    float *w1 = rt_random_floats(&r, 16 * 3 * 9, -0.5f), *b1 = rt_random_floats(&r, 16, -1.0f);
    float *w2 = rt_random_floats(&r, 24 * 16, -0.5f), *b2 = rt_random_floats(&r, 24, -1.0f);
    float *bnp[4] = {rt_random_floats(&r, 16, 0.5f), rt_random_floats(&r, 16, -1.0f),
                     rt_random_floats(&r, 16, -0.2f), rt_random_floats(&r, 16, 0.2f)};
    float *lw = rt_random_floats(&r, 10 * 24, -1.0f), *lb = rt_random_floats(&r, 10, -1.0f);
    float *cv = rt_random_floats(&r, 24, -1.0f);
    runt_attrs at;
    runt_attrs_default(RUNT_OP_CONV, &at);
    runt_conv_attrs ca = at.conv;
    ca.pads[0] = ca.pads[1] = ca.pads[2] = ca.pads[3] = 1;
    if (s == RUNT_OK)
        s = runt_builder_conv2d(b, x, 3, 16, 3, 3, &ca, w1, b1, &bn[0]);
    for (int i = 0; i < 4 && s == RUNT_OK; i++)
        s = runt_builder_constant(b, NULL, RUNT_F32, 1, &c16, bnp[i], &bn[i + 1]);
    runt_attrs_default(RUNT_OP_BATCH_NORM, &at);
    at.batch_norm.epsilon = 1e-5f;
    if (s == RUNT_OK)
        s = runt_builder_node(b, RUNT_OP_BATCH_NORM, "bn", &at, 5, bn, 1, &y);
    if (s == RUNT_OK)
        s = runt_builder_unary(b, RUNT_OP_RELU, y, NULL, &y);
    runt_attrs_default(RUNT_OP_MAX_POOL, &at);
    at.pool.kernel[0] = at.pool.kernel[1] = 2;
    at.pool.strides[0] = at.pool.strides[1] = 2;
    if (s == RUNT_OK)
        s = runt_builder_unary(b, RUNT_OP_MAX_POOL, y, &at, &y);
    ca.pads[0] = ca.pads[1] = ca.pads[2] = ca.pads[3] = 0;
    if (s == RUNT_OK)
        s = runt_builder_conv2d(b, y, 16, 24, 1, 1, &ca, w2, b2, &y);
    if (s == RUNT_OK)
        s = runt_builder_unary(b, RUNT_OP_RELU, y, NULL, &y);
    if (s == RUNT_OK)
        s = runt_builder_constant(b, "offsets", RUNT_F32, 4, shape, cv, &cin);
    if (s == RUNT_OK)
        s = runt_builder_node(b, RUNT_OP_CONSTANT, "const", NULL, 1, &cin, 1, &cst);
    sum[0] = y, sum[1] = cst;
    if (s == RUNT_OK)
        s = runt_builder_node(b, RUNT_OP_ADD, "shift", NULL, 2, sum, 1, &y);
    if (s == RUNT_OK)
        s = runt_builder_unary(b, RUNT_OP_GLOBAL_AVERAGE_POOL, y, NULL, &y);
    if (s == RUNT_OK)
        s = runt_builder_unary(b, RUNT_OP_FLATTEN, y, NULL, &y);
    if (s == RUNT_OK)
        s = runt_builder_linear(b, y, 24, 10, lw, lb, &y);
    if (s == RUNT_OK)
        s = runt_builder_unary(b, RUNT_OP_SOFTMAX, y, NULL, &y);
    if (s == RUNT_OK)
        s = runt_builder_output(b, y, "probs");
    runt_model *m = NULL;
    if (s == RUNT_OK)
        s = runt_builder_finish(b, &m);
    else
        runt_builder_free(b);
    free(w1), free(b1), free(w2), free(b2), free(lw), free(lb), free(cv);
    for (int i = 0; i < 4; i++)
        free(bnp[i]);
    return s == RUNT_OK ? m : NULL;
}

#endif /* RT_TEST_MODELS_H */
