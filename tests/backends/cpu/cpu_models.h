/*
 * Shorthands for the CPU backend's tests over tests/support/test_models.h:
 * operands by rank, a one-node model that must build, Conv attributes from
 * pads, strides and dilations, pooling attributes alike, and a small MLP.
 */
#ifndef CPU_MODELS_H
#define CPU_MODELS_H

#include "rt_test.h"
#include "runt.h"
#include "test_models.h"

typedef rt_operand operand;

/* One node (tests/support/test_models.h), asserting that it built. */
static inline runt_model *one_node(runt_op op, const runt_attrs *at, int n_in, const operand *ops,
                                   int n_out, uint64_t seed)
{
    runt_model *m = rt_one_node(op, at, n_in, ops, n_out, seed);
    RT_ASSERT(m != NULL, "%s: %s", runt_op_name(op), runt_last_error());
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

/* Conv attributes with these pads (top, left, bottom, right), strides and
 * dilations (per axis, y then x). */
static inline runt_attrs conv_attrs(const int pads[4], const int stride[2], const int dilation[2])
{
    runt_attrs at;
    runt_attrs_default(RUNT_OP_CONV, &at);
    for (int d = 0; d < 4; d++)
        at.conv.pads[d] = pads[d];
    for (int d = 0; d < 2; d++) {
        at.conv.strides[d] = stride[d];
        at.conv.dilations[d] = dilation[d];
    }
    return at;
}

/* Pooling attributes (MaxPool's defaults otherwise) with this kernel,
 * strides and dilations (per axis, y then x) and pads (top, left, bottom,
 * right). */
static inline runt_attrs pool_attrs(const int kernel[2], const int stride[2],
                                    const int dilation[2], const int pads[4])
{
    runt_attrs at;
    runt_attrs_default(RUNT_OP_MAX_POOL, &at);
    for (int d = 0; d < 2; d++) {
        at.pool.kernel[d] = kernel[d];
        at.pool.strides[d] = stride[d];
        at.pool.dilations[d] = dilation[d];
    }
    for (int d = 0; d < 4; d++)
        at.pool.pads[d] = pads[d];
    return at;
}

/* A 64-48-32-8 Relu MLP that must build. */
static inline runt_model *small_mlp(uint64_t seed)
{
    static const int64_t widths[4] = {64, 48, 32, 8};
    runt_model *m = rt_mlp3(NULL, widths, RUNT_OP_RELU, NULL, seed);
    RT_ASSERT(m, "mlp: %s", runt_last_error());
    return m;
}

#endif /* CPU_MODELS_H */
