/*
 * Models the CPU backend's tests build through the public builder: one-node
 * models from operand descriptions, an MLP, a small conv net. Weights are
 * random, never zero.
 */
#ifndef CPU_MODELS_H
#define CPU_MODELS_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "runt.h"
#include "test_util.h"

/* One operand of the node: a graph input or a random constant; ndim -1 is
 * an absent optional input. dims[0] may be RUNT_DIM_BATCH for inputs. */
typedef struct operand {
    int ndim;
    int64_t dims[RUNT_MAX_DIMS];
    int constant;            /* 0 input; 1 constant in [-1, 1); 2 constant in [0.1, 1) */
} operand;

static inline runt_model *one_node(runt_op op, const runt_attrs *at, int n_in, const operand *ops,
                            int n_out, uint64_t seed)
{
    rt_rng r = rt_rng_make(seed);
    runt_builder *b = NULL;
    RT_ASSERT(runt_builder_create(NULL, &b) == RUNT_OK, "%s", runt_last_error());
    runt_value_id ids[RUNT_MAX_DIMS + 2], outs[4];
    for (int i = 0; i < n_in; i++) {
        char name[16];
        snprintf(name, sizeof name, "in%d", i);
        if (ops[i].ndim < 0) {
            ids[i] = -1;
        } else if (ops[i].constant) {
            int64_t n = 1;
            for (int d = 0; d < ops[i].ndim; d++)
                n *= ops[i].dims[d];
            float *data = malloc((size_t)(n ? n : 1) * sizeof(float));
            rt_fill_uniform(&r, data, (size_t)n, ops[i].constant == 2 ? 0.1f : -1.0f, 1.0f);
            RT_ASSERT(runt_builder_constant(b, name, RUNT_F32, ops[i].ndim, ops[i].dims, data,
                                            &ids[i]) == RUNT_OK, "%s", runt_last_error());
            free(data);
        } else {
            RT_ASSERT(runt_builder_input(b, name, RUNT_F32, ops[i].ndim, ops[i].dims, &ids[i]) ==
                      RUNT_OK, "%s", runt_last_error());
        }
    }
    RT_ASSERT(runt_builder_node(b, op, "node", at, n_in, ids, n_out, outs) == RUNT_OK, "%s: %s",
              runt_op_name(op), runt_last_error());
    for (int o = 0; o < n_out; o++) {
        char name[16];
        snprintf(name, sizeof name, "out%d", o);
        RT_ASSERT(runt_builder_output(b, outs[o], name) == RUNT_OK, "%s", runt_last_error());
    }
    runt_model *m = NULL;
    RT_ASSERT(runt_builder_finish(b, &m) == RUNT_OK, "%s: %s", runt_op_name(op), runt_last_error());
    return m;
}

static inline operand op2(int64_t d0, int64_t d1, int constant)
{
    operand o = {2, {d0, d1}, constant};
    return o;
}

static inline operand op4(int64_t d0, int64_t d1, int64_t d2, int64_t d3, int constant)
{
    operand o = {4, {d0, d1, d2, d3}, constant};
    return o;
}

static const operand ABSENT = {-1, {0}, 0};

static inline void *fill_random(rt_rng *r, size_t n, float lo)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    rt_fill_uniform(r, p, n, lo, 1.0f);
    return p;
}

/* in -> Linear -> act -> Linear -> act -> Linear; act given as an op. */
static inline runt_model *mlp(const runt_allocator *a, const int64_t *w, runt_op act,
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
        float *wt = fill_random(&r, (size_t)(w[l] * w[l + 1]), -1.0f);
        float *bias = fill_random(&r, (size_t)w[l + 1], -1.0f);
        for (int64_t i = 0; i < w[l] * w[l + 1]; i++)
            wt[i] /= sqrtf((float)w[l]); /* keeps activations O(1) through the layers */
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

/* conv 3x3 + bias -> BatchNorm -> Relu -> MaxPool 2x2 -> conv 1x1 (fused
 * relu) -> Add(Constant) -> GlobalAveragePool -> Flatten -> Linear -> Softmax. */
static inline runt_model *conv_net(const runt_allocator *a, uint64_t seed)
{
    rt_rng r = rt_rng_make(seed);
    runt_builder *b = NULL;
    if (runt_builder_create(a, &b) != RUNT_OK)
        return NULL;
    int64_t dims[4] = {RUNT_DIM_BATCH, 3, 32, 30};
    runt_value_id x = -1, bn_in[5] = {-1, -1, -1, -1, -1}, y = -1, cst = -1;
    runt_status s = runt_builder_input(b, "image", RUNT_F32, 4, dims, &x);
    float *w1 = fill_random(&r, 16 * 3 * 9, -0.5f), *b1 = fill_random(&r, 16, -1.0f);
    float *w2 = fill_random(&r, 24 * 16, -0.5f), *b2 = fill_random(&r, 24, -1.0f);
    float *bnp[4] = {fill_random(&r, 16, 0.5f), fill_random(&r, 16, -1.0f),
                     fill_random(&r, 16, -0.2f), fill_random(&r, 16, 0.2f)};
    float *lw = fill_random(&r, 10 * 24, -1.0f), *lb = fill_random(&r, 10, -1.0f);
    float *cv = fill_random(&r, 24, -1.0f);
    runt_conv_attrs ca;
    memset(&ca, 0, sizeof ca);
    ca.strides[0] = ca.strides[1] = 1;
    ca.dilations[0] = ca.dilations[1] = 1;
    ca.pads[0] = ca.pads[1] = ca.pads[2] = ca.pads[3] = 1;
    ca.group = 1;
    if (s == RUNT_OK)
        s = runt_builder_conv2d(b, x, 3, 16, 3, 3, &ca, w1, b1, &bn_in[0]);
    int64_t cdim = 16;
    for (int i = 0; i < 4 && s == RUNT_OK; i++)
        s = runt_builder_constant(b, NULL, RUNT_F32, 1, &cdim, bnp[i], &bn_in[i + 1]);
    runt_attrs at;
    runt_attrs_default(RUNT_OP_BATCH_NORM, &at);
    at.batch_norm.epsilon = 1e-5f;
    if (s == RUNT_OK)
        s = runt_builder_node(b, RUNT_OP_BATCH_NORM, "bn", &at, 5, bn_in, 1, &y);
    if (s == RUNT_OK)
        s = runt_builder_unary(b, RUNT_OP_RELU, y, NULL, &y);
    runt_attrs_default(RUNT_OP_MAX_POOL, &at);
    at.pool.kernel[0] = at.pool.kernel[1] = 2;
    at.pool.strides[0] = at.pool.strides[1] = 2;
    at.pool.dilations[0] = at.pool.dilations[1] = 1;
    if (s == RUNT_OK)
        s = runt_builder_unary(b, RUNT_OP_MAX_POOL, y, &at, &y);
    ca.pads[0] = ca.pads[1] = ca.pads[2] = ca.pads[3] = 0;
    if (s == RUNT_OK)
        s = runt_builder_conv2d(b, y, 16, 24, 1, 1, &ca, w2, b2, &y);
    if (s == RUNT_OK)
        s = runt_builder_unary(b, RUNT_OP_RELU, y, NULL, &y);
    int64_t cshape[4] = {1, 24, 1, 1};
    runt_value_id cin = -1, sum_in[2];
    if (s == RUNT_OK)
        s = runt_builder_constant(b, "offsets", RUNT_F32, 4, cshape, cv, &cin);
    if (s == RUNT_OK)
        s = runt_builder_node(b, RUNT_OP_CONSTANT, "const", NULL, 1, &cin, 1, &cst);
    sum_in[0] = y, sum_in[1] = cst;
    if (s == RUNT_OK)
        s = runt_builder_node(b, RUNT_OP_ADD, "shift", NULL, 2, sum_in, 1, &y);
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

#endif /* CPU_MODELS_H */
