/*
 * The one-node cases every backend is checked with (tests/backends/
 * test_backend_ops.c runs them on every backend in the registry; the CUDA
 * tests run them on the GPU and in the host emulation), and running a model
 * on a backend with random inputs (never zeros) into guarded outputs.
 *
 * Error measure: test_util.h's normalized max error, max |got - want| /
 * max(max |want|, 1e-6), against the reference backend.
 */
#ifndef RT_OP_CASES_H
#define RT_OP_CASES_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "runt.h"
#include "test_backend_options.h"
#include "test_models.h"
#include "test_util.h"

/* f32 against the reference: a backend sums in float in its own order where
 * the reference sums in double (sqrt(K) * 2^-24 of the scale for random
 * signs, K <= 2304 here: ~3e-6); GPU expf / tanhf / erff are within 2 ulp. */
#define OC_BOUND_F32 1e-5
/* int8 against f32 (backends/cpu's test_cpu_int8.c's bound and reason). */
#define OC_BOUND_INT8 2e-2

#define OC_MAX_IO 4

/* ------------------------------------------------------------------------- */
/* Models                                                                    */
/* ------------------------------------------------------------------------- */

/* The builders are tests/support/test_models.h's; operands of the cases: */
#define OC_IN2(a, b) {2, {a, b}, 0}
#define OC_K2(a, b) {2, {a, b}, 1}
#define OC_IN4(a, b, c, d) {4, {a, b, c, d}, 0}
#define OC_K1(a) {1, {a}, 1}
#define OC_NONE {-1, {0}, 0}
#define B RUNT_DIM_BATCH

/* ------------------------------------------------------------------------- */
/* The one-node cases: every op of the reference list the GPU runs           */
/* ------------------------------------------------------------------------- */

typedef struct oc_case {
    const char *label;
    runt_op op;
    void (*attrs)(runt_attrs *);     /* NULL: the op's defaults */
    int n_in, n_out;
    rt_operand in[5];
} oc_case;

static inline void oc_gemm_tt(runt_attrs *a)
{
    a->gemm.trans_a = a->gemm.trans_b = 1;
    a->gemm.alpha = 0.75f, a->gemm.beta = -0.5f;
}
static inline void oc_gemm_beta2(runt_attrs *a) { a->gemm.beta = 2.0f; }
static inline void oc_gemm_tb_relu(runt_attrs *a)
{
    a->gemm.trans_b = 1;
    a->gemm.epilogue.act = RUNT_ACT_RELU;
}
static inline void oc_gemm_gelu(runt_attrs *a) { a->gemm.epilogue.act = RUNT_ACT_GELU; }
static inline void oc_gemm_gelu_tanh(runt_attrs *a) { a->gemm.epilogue.act = RUNT_ACT_GELU_TANH; }
static inline void oc_gemm_sigmoid(runt_attrs *a) { a->gemm.epilogue.act = RUNT_ACT_SIGMOID; }
static inline void oc_gemm_clip(runt_attrs *a)
{
    a->gemm.epilogue.act = RUNT_ACT_CLIP;
    a->gemm.epilogue.alpha = -0.3f, a->gemm.epilogue.beta = 0.4f;
}
static inline void oc_conv_pad1_relu(runt_attrs *a)
{
    a->conv.pads[0] = a->conv.pads[1] = a->conv.pads[2] = a->conv.pads[3] = 1;
    a->conv.epilogue.act = RUNT_ACT_RELU;
}
static inline void oc_conv_stride2(runt_attrs *a)
{
    a->conv.strides[0] = a->conv.strides[1] = 2;
    a->conv.pads[2] = 1; /* asymmetric: extra padding at the bottom */
}
static inline void oc_conv_dilated(runt_attrs *a)
{
    a->conv.dilations[0] = a->conv.dilations[1] = 2;
    a->conv.pads[0] = a->conv.pads[1] = a->conv.pads[2] = a->conv.pads[3] = 2;
    a->conv.epilogue.act = RUNT_ACT_SIGMOID;
}
static inline void oc_conv_clip(runt_attrs *a)
{
    a->conv.epilogue.act = RUNT_ACT_CLIP;
    a->conv.epilogue.alpha = -0.2f, a->conv.epilogue.beta = 0.3f;
}
static inline void oc_conv_s2(runt_attrs *a) { a->conv.strides[0] = a->conv.strides[1] = 2; }
static inline void oc_conv_g2(runt_attrs *a)
{
    oc_conv_pad1_relu(a);
    a->conv.group = 2;
    a->conv.epilogue.act = RUNT_ACT_LEAKY_RELU;
    a->conv.epilogue.alpha = 0.05f;
}
static inline void oc_conv_dw(runt_attrs *a)
{
    a->conv.pads[0] = a->conv.pads[1] = a->conv.pads[2] = a->conv.pads[3] = 1;
    a->conv.group = 6;
}
static inline void oc_conv_tanh(runt_attrs *a)
{
    a->conv.pads[0] = a->conv.pads[1] = a->conv.pads[2] = a->conv.pads[3] = 1;
    a->conv.epilogue.act = RUNT_ACT_TANH;
}
static inline void oc_conv_pad1(runt_attrs *a)
{
    a->conv.pads[0] = a->conv.pads[1] = a->conv.pads[2] = a->conv.pads[3] = 1;
}
static inline void oc_leaky(runt_attrs *a) { a->leaky_relu.alpha = 0.2f; }
static inline void oc_clip(runt_attrs *a) { a->clip.min = -0.5f, a->clip.max = 0.25f; }
static inline void oc_gelu_tanh(runt_attrs *a) { a->gelu.approximate_tanh = 1; }
static inline void oc_axis1(runt_attrs *a) { a->axis.axis = 1; }
static inline void oc_axis0(runt_attrs *a) { a->axis.axis = 0; }
static inline void oc_ln_axis2(runt_attrs *a) { a->layer_norm.axis = -2; }
static inline void oc_pool_basic(runt_attrs *a)
{
    a->pool.kernel[0] = 3, a->pool.kernel[1] = 2;
}
static inline void oc_pool_strided_padded(runt_attrs *a)
{
    oc_pool_basic(a);
    a->pool.strides[0] = a->pool.strides[1] = 2;
    a->pool.pads[0] = a->pool.pads[1] = a->pool.pads[2] = a->pool.pads[3] = 1;
    a->pool.count_include_pad = 1;
}
static inline void oc_pool_ceil(runt_attrs *a)
{
    oc_pool_strided_padded(a);
    a->pool.ceil_mode = 1;
    a->pool.count_include_pad = 0;
    a->pool.dilations[1] = 2;
}
static inline void oc_pad_set(runt_attrs *a, const int64_t pads[8], runt_pad_mode mode)
{
    a->pad.ndim = 4;
    memcpy(a->pad.pads, pads, 8 * sizeof *pads);
    a->pad.mode = mode;
}
static inline void oc_pad(runt_attrs *a)
{
    static const int64_t pads[8] = {0, 1, 2, 0, 0, 0, 1, -1};
    oc_pad_set(a, pads, RUNT_PAD_MODE_CONSTANT);
    a->pad.value = 0.5f;
}
/* The other modes, with pads longer than an axis (several bounces or
 * periods) and on the batch's neighbour, the channel axis. */
static inline void oc_pad_reflect(runt_attrs *a)
{
    static const int64_t pads[8] = {0, 2, 8, 3, 0, 0, 3, 17};
    oc_pad_set(a, pads, RUNT_PAD_MODE_REFLECT);
}
static inline void oc_pad_edge(runt_attrs *a)
{
    static const int64_t pads[8] = {0, 1, 1, 4, 0, 3, 9, 1};
    oc_pad_set(a, pads, RUNT_PAD_MODE_EDGE);
}
static inline void oc_pad_wrap(runt_attrs *a)
{
    static const int64_t pads[8] = {0, 4, 9, 0, 0, 0, 0, 20};
    oc_pad_set(a, pads, RUNT_PAD_MODE_WRAP);
}
static inline void oc_reshape(runt_attrs *a)
{
    a->reshape.ndim = 2;
    a->reshape.shape[0] = 0, a->reshape.shape[1] = -1;
}

/* Sizes: odd, primes, 1, past warp and block sizes; batch dims as B. */
static const oc_case oc_cases[] = {
    {"Gemm 1x1x1", RUNT_OP_GEMM, NULL, 2, 1, {OC_IN2(B, 1), OC_K2(1, 1)}},
    {"Gemm bias row", RUNT_OP_GEMM, NULL, 3, 1, {OC_IN2(B, 17), OC_K2(17, 13), OC_K1(13)}},
    {"Gemm transA transB alpha beta, C [M,N] input", RUNT_OP_GEMM, oc_gemm_tt, 3, 1,
     {OC_IN2(17, 7), OC_K2(13, 17), OC_IN2(7, 13)}},
    {"Gemm B input, C [M,1], beta 2", RUNT_OP_GEMM, oc_gemm_beta2, 3, 1,
     {OC_IN2(5, 33), OC_IN2(33, 9), OC_K2(5, 1)}},
    {"Gemm transB, scalar C, relu", RUNT_OP_GEMM, oc_gemm_tb_relu, 3, 1,
     {OC_IN2(B, 45), OC_K2(70, 45), {0, {0}, 1}}},
    {"Gemm bias + gelu", RUNT_OP_GEMM, oc_gemm_gelu, 3, 1, {OC_IN2(B, 64), OC_K2(64, 40), OC_K1(40)}},
    {"Gemm bias + gelu tanh", RUNT_OP_GEMM, oc_gemm_gelu_tanh, 3, 1,
     {OC_IN2(B, 31), OC_K2(31, 33), OC_K1(33)}},
    {"Gemm bias + sigmoid", RUNT_OP_GEMM, oc_gemm_sigmoid, 3, 1,
     {OC_IN2(B, 20), OC_K2(20, 30), OC_K1(30)}},
    {"Gemm bias + clip", RUNT_OP_GEMM, oc_gemm_clip, 3, 1, {OC_IN2(B, 50), OC_K2(50, 3), OC_K1(3)}},
    {"Gemm GEMV 300 -> 257", RUNT_OP_GEMM, NULL, 3, 1, {OC_IN2(B, 300), OC_K2(300, 257), OC_K1(257)}},
    {"MatMul 3-D x constant 2-D", RUNT_OP_MATMUL, NULL, 2, 1, {{3, {B, 5, 40}, 0}, OC_K2(40, 33)}},
    {"MatMul 2-D x input 2-D", RUNT_OP_MATMUL, NULL, 2, 1, {OC_IN2(B, 300), OC_IN2(300, 70)}},
    {"MatMul broadcast batches", RUNT_OP_MATMUL, NULL, 2, 1,
     {OC_IN4(2, 1, 9, 17), {3, {3, 17, 11}, 0}}},
    {"MatMul equal batches", RUNT_OP_MATMUL, NULL, 2, 1, {{3, {4, 6, 8}, 0}, {3, {4, 8, 5}, 1}}},
    {"MatMul 2-D x batched", RUNT_OP_MATMUL, NULL, 2, 1, {OC_IN2(6, 8), {3, {4, 8, 5}, 0}}},
    {"MatMul 1-D x 2-D", RUNT_OP_MATMUL, NULL, 2, 1, {{1, {37}, 0}, OC_K2(37, 29)}},
    {"MatMul 2-D x 1-D", RUNT_OP_MATMUL, NULL, 2, 1, {OC_IN2(B, 37), OC_K1(37)}},
    {"MatMul 3-D x 1-D", RUNT_OP_MATMUL, NULL, 2, 1, {{3, {2, 3, 37}, 0}, {1, {37}, 0}}},
    {"MatMul 1-D x 3-D", RUNT_OP_MATMUL, NULL, 2, 1, {{1, {300}, 0}, {3, {2, 300, 7}, 0}}},
    {"Conv 3x3 pad 1 + relu", RUNT_OP_CONV, oc_conv_pad1_relu, 3, 1,
     {OC_IN4(B, 3, 11, 13), {4, {8, 3, 3, 3}, 1}, OC_K1(8)}},
    {"Conv 3x3 stride 2, asymmetric pads", RUNT_OP_CONV, oc_conv_stride2, 3, 1,
     {OC_IN4(B, 4, 17, 9), {4, {6, 4, 3, 3}, 1}, OC_K1(6)}},
    {"Conv dilation 2, no bias, sigmoid", RUNT_OP_CONV, oc_conv_dilated, 3, 1,
     {OC_IN4(B, 5, 15, 15), {4, {7, 5, 3, 3}, 1}, OC_NONE}},
    {"Conv 1x1 + clip (no im2col)", RUNT_OP_CONV, oc_conv_clip, 3, 1,
     {OC_IN4(B, 16, 14, 14), {4, {24, 16, 1, 1}, 1}, OC_K1(24)}},
    {"Conv 1x1 stride 2", RUNT_OP_CONV, oc_conv_s2, 3, 1,
     {OC_IN4(B, 8, 9, 9), {4, {5, 8, 1, 1}, 1}, OC_K1(5)}},
    {"Conv 2 groups of 8, leaky relu", RUNT_OP_CONV, oc_conv_g2, 3, 1,
     {OC_IN4(B, 8, 10, 10), {4, {16, 4, 3, 3}, 1}, OC_K1(16)}},
    {"Conv depthwise (direct kernel)", RUNT_OP_CONV, oc_conv_dw, 3, 1,
     {OC_IN4(B, 6, 12, 12), {4, {6, 1, 3, 3}, 1}, OC_K1(6)}},
    {"Conv 5x2 kernel, 3 outputs (direct), tanh", RUNT_OP_CONV, oc_conv_tanh, 3, 1,
     {OC_IN4(B, 2, 7, 5), {4, {3, 2, 5, 2}, 1}, OC_K1(3)}},
    {"Conv 1x1x1x1", RUNT_OP_CONV, NULL, 3, 1, {OC_IN4(B, 1, 1, 1), {4, {1, 1, 1, 1}, 1}, OC_K1(1)}},
    {"Conv im2col in chunks of one image", RUNT_OP_CONV, oc_conv_pad1, 3, 1,
     {OC_IN4(B, 256, 64, 64), {4, {4, 256, 3, 3}, 1}, OC_K1(4)}},
    {"Relu", RUNT_OP_RELU, NULL, 1, 1, {OC_IN2(B, 1000)}},
    {"LeakyRelu", RUNT_OP_LEAKY_RELU, oc_leaky, 1, 1, {OC_IN2(B, 1000)}},
    {"Clip", RUNT_OP_CLIP, oc_clip, 1, 1, {OC_IN2(B, 1000)}},
    {"Sigmoid", RUNT_OP_SIGMOID, NULL, 1, 1, {OC_IN2(B, 1000)}},
    {"Tanh", RUNT_OP_TANH, NULL, 1, 1, {OC_IN2(B, 1000)}},
    {"Erf", RUNT_OP_ERF, NULL, 1, 1, {OC_IN2(B, 1000)}},
    {"Gelu", RUNT_OP_GELU, NULL, 1, 1, {OC_IN2(B, 1000)}},
    {"Gelu tanh", RUNT_OP_GELU, oc_gelu_tanh, 1, 1, {OC_IN2(B, 1001)}},
    {"Add same shape", RUNT_OP_ADD, NULL, 2, 1, {OC_IN2(B, 3000), OC_IN2(B, 3000)}},
    {"Sub row broadcast", RUNT_OP_SUB, NULL, 2, 1, {OC_IN2(B, 333), OC_K1(333)}},
    {"Mul per channel", RUNT_OP_MUL, NULL, 2, 1, {OC_IN4(B, 8, 6, 7), {4, {1, 8, 1, 1}, 1}}},
    {"Div by a scalar", RUNT_OP_DIV, NULL, 2, 1, {OC_IN2(B, 13), {0, {0}, 2}}},
    {"Add outer-product shape", RUNT_OP_ADD, NULL, 2, 1, {OC_IN2(5, 1), {1, {7}, 0}}},
    {"Softmax last axis", RUNT_OP_SOFTMAX, NULL, 1, 1, {{3, {B, 40, 1001}, 0}}},
    {"Softmax axis 1", RUNT_OP_SOFTMAX, oc_axis1, 1, 1, {{3, {B, 40, 101}, 0}}},
    {"Softmax axis 0", RUNT_OP_SOFTMAX, oc_axis0, 1, 1, {{3, {B, 4, 9}, 0}}},
    {"LayerNorm last axis, bias", RUNT_OP_LAYER_NORM, NULL, 3, 1,
     {{3, {B, 64, 777}, 0}, OC_K1(777), OC_K1(777)}},
    {"LayerNorm 2 axes, broadcast scale, Mean and InvStdDev", RUNT_OP_LAYER_NORM, oc_ln_axis2, 3, 3,
     {{3, {B, 6, 77}, 0}, OC_K1(77), OC_NONE}},
    {"BatchNorm", RUNT_OP_BATCH_NORM, NULL, 5, 1,
     {OC_IN4(B, 13, 10, 12), OC_K1(13), OC_K1(13), OC_K1(13), {1, {13}, 2}}},
    {"MaxPool 3x2", RUNT_OP_MAX_POOL, oc_pool_basic, 1, 1, {OC_IN4(B, 12, 23, 25)}},
    {"MaxPool strided, padded", RUNT_OP_MAX_POOL, oc_pool_strided_padded, 1, 1,
     {OC_IN4(B, 12, 23, 25)}},
    {"AveragePool strided, padded, count_include_pad", RUNT_OP_AVERAGE_POOL,
     oc_pool_strided_padded, 1, 1, {OC_IN4(B, 12, 23, 25)}},
    {"AveragePool ceil_mode, dilated", RUNT_OP_AVERAGE_POOL, oc_pool_ceil, 1, 1,
     {OC_IN4(B, 12, 23, 25)}},
    {"GlobalAveragePool", RUNT_OP_GLOBAL_AVERAGE_POOL, NULL, 1, 1, {OC_IN4(B, 30, 11, 13)}},
    {"Pad, negative pad crops", RUNT_OP_PAD, oc_pad, 1, 1, {OC_IN4(B, 3, 7, 9)}},
    {"Pad, reflect", RUNT_OP_PAD, oc_pad_reflect, 1, 1, {OC_IN4(B, 3, 7, 9)}},
    {"Pad, edge", RUNT_OP_PAD, oc_pad_edge, 1, 1, {OC_IN4(B, 3, 7, 9)}},
    {"Pad, wrap", RUNT_OP_PAD, oc_pad_wrap, 1, 1, {OC_IN4(B, 3, 7, 9)}},
    {"Identity", RUNT_OP_IDENTITY, NULL, 1, 1, {OC_IN4(B, 3, 7, 9)}},
    {"Dropout", RUNT_OP_DROPOUT, NULL, 1, 1, {OC_IN4(B, 3, 7, 9)}},
    {"Flatten", RUNT_OP_FLATTEN, NULL, 1, 1, {OC_IN4(B, 3, 7, 9)}},
    {"Reshape", RUNT_OP_RESHAPE, oc_reshape, 1, 1, {OC_IN4(B, 3, 7, 9)}},
};

#define OC_N_CASES ((int)(sizeof oc_cases / sizeof oc_cases[0]))

static inline runt_model *oc_case_model(int c, uint64_t seed)
{
    runt_attrs at;
    runt_attrs_default(oc_cases[c].op, &at);
    if (oc_cases[c].attrs)
        oc_cases[c].attrs(&at);
    return rt_one_node(oc_cases[c].op, &at, oc_cases[c].n_in, oc_cases[c].in, oc_cases[c].n_out,
                       seed);
}

#undef B

/* ------------------------------------------------------------------------- */
/* Running                                                                   */
/* ------------------------------------------------------------------------- */

typedef struct oc_config {
    const char *backend;
    int64_t batch;
    runt_dtype dtype;
    runt_math_mode math;
    int cuda_graphs;
    int fuse;
    int runs;                /* runs in one session; the last one's outputs count */
} oc_config;

static inline oc_config oc_config_make(const char *backend, int64_t batch)
{
    oc_config c = {backend, batch, RUNT_F32, RUNT_MATH_F32, 1, 1, 1};
    return c;
}

/* The model's inputs at this batch, random in [-1, 1), never 0. */
static inline int oc_inputs(const runt_model *m, int64_t batch, uint64_t seed, float **x,
                            runt_tensor *desc)
{
    rt_rng r = rt_rng_make(seed);
    int n_in = 0, n_out = 0, n_nodes = 0;
    runt_model_counts(m, &n_in, &n_out, &n_nodes);
    RT_ASSERT(n_in <= OC_MAX_IO && n_out <= OC_MAX_IO, "%d inputs, %d outputs", n_in, n_out);
    for (int i = 0; i < n_in; i++) {
        runt_io_info io;
        RT_ASSERT(runt_model_input(m, i, &io) == RUNT_OK, "%s", runt_last_error());
        desc[i] = io.desc;
        for (int d = 0; d < desc[i].ndim; d++)
            if (desc[i].dims[d] == RUNT_DIM_BATCH)
                desc[i].dims[d] = batch;
        size_t n = (size_t)runt_tensor_count(&desc[i]);
        x[i] = malloc((n ? n : 1) * sizeof(float));
        rt_fill_uniform(&r, x[i], n, -1.0f, 1.0f);
        desc[i].data = x[i];
    }
    return n_in;
}

/* Runs m under c `c->runs` times on the inputs; y[o] receive the last run's
 * outputs (guarded buffers, checked intact; the caller frees them). */
static inline void oc_run(const runt_model *m, const oc_config *c, runt_tensor *in, int n_in,
                          float **y, size_t *ny, int *n_out)
{
    runt_session_options o = runt_session_options_default();
    o.backend = c->backend;
    o.batch = c->batch;
    o.compute_dtype = c->dtype;
    o.math = c->math;
    o.fuse = c->fuse;
    rt_backend_options bo = rt_backend_options_make();
    bo.cuda.graphs = c->cuda_graphs;
    rt_backend_options_chain(&bo, &o);
    runt_session *s = NULL;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s session: %s", c->backend,
              runt_last_error());
    int n_nodes = 0, ni = 0;
    runt_model_counts(m, &ni, n_out, &n_nodes);
    runt_tensor out[OC_MAX_IO];
    for (int i = 0; i < *n_out; i++) {
        RT_ASSERT(runt_session_output_desc(s, i, &out[i]) == RUNT_OK, "%s", runt_last_error());
        ny[i] = (size_t)runt_tensor_count(&out[i]);
        y[i] = rt_guarded_alloc(ny[i] ? ny[i] : 1);
        out[i].data = y[i];
    }
    for (int r = 0; r < (c->runs > 0 ? c->runs : 1); r++)
        RT_ASSERT(runt_session_run(s, in, n_in, out, *n_out) == RUNT_OK, "%s run %d: %s",
                  c->backend, r, runt_last_error());
    for (int i = 0; i < *n_out; i++)
        RT_ASSERT(rt_guard_intact(y[i], ny[i]), "%s wrote past output %d", c->backend, i);
    runt_session_free(s);
}

/* Runs m under a and under b on the same random inputs. Returns the
 * largest normalized error of a's outputs against b's; *identical says
 * whether every output matched bit for bit. */
static inline double oc_compare(const runt_model *m, const oc_config *a, const oc_config *b,
                                uint64_t seed, int *identical)
{
    float *x[OC_MAX_IO] = {0}, *ya[OC_MAX_IO] = {0}, *yb[OC_MAX_IO] = {0};
    runt_tensor in[OC_MAX_IO];
    size_t na[OC_MAX_IO], nb[OC_MAX_IO];
    int n_out = 0, n_out_b = 0;
    int n_in = oc_inputs(m, a->batch, seed, x, in);
    oc_run(m, a, in, n_in, ya, na, &n_out);
    oc_run(m, b, in, n_in, yb, nb, &n_out_b);
    double worst = 0.0;
    int same = 1;
    for (int o = 0; o < n_out; o++) {
        RT_ASSERT(na[o] == nb[o], "output %d: %zu vs %zu elements", o, na[o], nb[o]);
        double *want = malloc((nb[o] ? nb[o] : 1) * sizeof(double));
        for (size_t i = 0; i < nb[o]; i++)
            want[i] = yb[o][i];
        double e = rt_norm_max_error(ya[o], want, na[o], 1e-6);
        worst = e > worst ? e : worst;
        same = same && memcmp(ya[o], yb[o], na[o] * sizeof(float)) == 0;
        free(want);
        rt_guarded_free(ya[o]);
        rt_guarded_free(yb[o]);
    }
    for (int i = 0; i < n_in; i++)
        free(x[i]);
    if (identical)
        *identical = same;
    return worst;
}

#endif /* RT_OP_CASES_H */
