/*
 * compute_dtype int8 on the CPU backend, end to end through sessions: the
 * quantized Gemm/MatMul/Conv against the f32 reference, the nodes that stay
 * in f32, and the session contract (no allocation in a run).
 *
 * Bound, BOUND_INT8 = 2e-2 of the output scale (normalized max error,
 * cpu_compare.h): activations are u8 per tensor (step = range / 255), weights
 * int8 per output channel (step = max / 127), so one product is off by up to
 * ~0.6 % of its scale and a sum of random-sign errors by far less; three
 * layers compound that. The worst case seen in these tests was 7.1e-3. The kernels' own bit-exactness and the measured
 * errors on the seed MLPs are in test_q8*.c.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_compare.h"
#include "cpu_models.h"

#define BOUND_INT8 2e-2

RT_TEST(cpu_int8, mlp_every_activation)
{
    CPU_REQUIRE();
    static const runt_op acts[] = {RUNT_OP_RELU, RUNT_OP_TANH, RUNT_OP_SIGMOID, RUNT_OP_GELU};
    static const int64_t widths[][4] = {{37, 64, 31, 5}, {1000, 1000, 100, 1}};
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++)
        for (size_t w = 0; w < 2; w++) {
            runt_model *m = mlp(NULL, widths[w], acts[a], NULL, 80 + a);
            RT_ASSERT(m, "%s", runt_last_error());
            cmp_check_dtype(m, RUNT_I8, 1, 1, BOUND_INT8, 90 + a, runt_op_name(acts[a]));
            cmp_check_dtype(m, RUNT_I8, 6, 0, BOUND_INT8, 91 + a, runt_op_name(acts[a]));
            runt_model_free(m);
        }
}

RT_TEST(cpu_int8, conv_net_and_conv_geometries)
{
    CPU_REQUIRE();
    runt_model *m = conv_net(NULL, 17);
    RT_ASSERT(m, "%s", runt_last_error());
    cmp_check_dtype(m, RUNT_I8, 1, 1, BOUND_INT8, 100, "conv net");
    cmp_check_dtype(m, RUNT_I8, 3, 1, BOUND_INT8, 101, "conv net");
    runt_model_free(m);
    /* padded, strided, grouped and depthwise convs: the padding is the zero
     * point, which dequantizes to exactly 0. */
    static const int groups[] = {1, 2, 8};
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        runt_attrs at;
        runt_attrs_default(RUNT_OP_CONV, &at);
        at.conv.pads[0] = at.conv.pads[1] = at.conv.pads[2] = at.conv.pads[3] = 1;
        at.conv.strides[0] = at.conv.strides[1] = (int)g + 1;
        at.conv.group = groups[g];
        at.conv.epilogue.act = RUNT_ACT_RELU;
        operand ops[3] = {op4(RUNT_DIM_BATCH, 8, 13, 11, 0), op4(16, 8 / groups[g], 3, 3, 1),
                          {1, {16}, 1}};
        runt_model *c = one_node(RUNT_OP_CONV, &at, 3, ops, 1, 110 + g);
        char label[32];
        snprintf(label, sizeof label, "Conv group %d", groups[g]);
        cmp_check_dtype(c, RUNT_I8, 2, 1, BOUND_INT8, 120 + g, label);
        runt_model_free(c);
    }
}

RT_TEST(cpu_int8, linear_forms_and_f32_fallbacks)
{
    CPU_REQUIRE();
    runt_attrs at;
    runt_attrs_default(RUNT_OP_GEMM, &at);
    at.gemm.trans_b = 1;
    at.gemm.beta = 0.5f;
    operand gemm[3] = {op2(RUNT_DIM_BATCH, 70, 0), op2(33, 70, 1), {1, {33}, 1}};
    runt_model *m = one_node(RUNT_OP_GEMM, &at, 3, gemm, 1, 130);
    cmp_check_dtype(m, RUNT_I8, 4, 1, BOUND_INT8, 131, "Gemm transB, beta 0.5");
    runt_model_free(m);
    operand mm[2] = {{3, {RUNT_DIM_BATCH, 5, 40}, 0}, op2(40, 19, 1)};
    m = one_node(RUNT_OP_MATMUL, NULL, 2, mm, 1, 132);
    cmp_check_dtype(m, RUNT_I8, 2, 1, BOUND_INT8, 133, "MatMul 3-D x constant");
    runt_model_free(m);
    operand mv[2] = {op2(RUNT_DIM_BATCH, 40, 0), {1, {40}, 1}};
    m = one_node(RUNT_OP_MATMUL, NULL, 2, mv, 1, 134);
    cmp_check_dtype(m, RUNT_I8, 3, 1, BOUND_INT8, 135, "MatMul x constant vector");
    runt_model_free(m);
    /* These stay in f32, so they meet the f32 bound: A transposed, alpha != 1,
     * a C that is not a bias row, a B computed at run time. */
    at.gemm.trans_a = 1;
    operand ta[3] = {op2(70, 6, 0), op2(33, 70, 1), {1, {33}, 1}};
    m = one_node(RUNT_OP_GEMM, &at, 3, ta, 1, 136);
    cmp_check_dtype(m, RUNT_I8, 1, 1, BOUND_F32, 137, "Gemm transA (f32)");
    runt_model_free(m);
    at.gemm.trans_a = 0;
    at.gemm.alpha = 2.0f;
    m = one_node(RUNT_OP_GEMM, &at, 3, gemm, 1, 138);
    cmp_check_dtype(m, RUNT_I8, 2, 1, BOUND_F32, 139, "Gemm alpha 2 (f32)");
    runt_model_free(m);
    at.gemm.alpha = 1.0f;
    operand full_c[3] = {op2(6, 70, 0), op2(33, 70, 1), op2(6, 33, 1)};
    m = one_node(RUNT_OP_GEMM, &at, 3, full_c, 1, 140);
    cmp_check_dtype(m, RUNT_I8, 1, 1, BOUND_F32, 141, "Gemm with [M, N] C (f32)");
    runt_model_free(m);
    operand both[2] = {op2(RUNT_DIM_BATCH, 40, 0), op2(40, 19, 0)};
    m = one_node(RUNT_OP_MATMUL, NULL, 2, both, 1, 142);
    cmp_check_dtype(m, RUNT_I8, 3, 1, BOUND_F32, 143, "MatMul of two inputs (f32)");
    runt_model_free(m);
}

/* Counts allocations (the run must make none). */
typedef struct counter {
    long allocs, frees;
} counter;

static void *counted_alloc(void *user, size_t size, size_t align)
{
    ((counter *)user)->allocs++;
    return aligned_alloc(align, (size + align - 1) / align * align);
}

static void counted_free(void *user, void *p)
{
    ((counter *)user)->frees++;
    free(p);
}

RT_TEST(cpu_int8, run_allocates_nothing)
{
    CPU_REQUIRE();
    counter c = {0, 0};
    runt_allocator a = {counted_alloc, counted_free, &c};
    runt_model *m = conv_net(&a, 18);
    RT_ASSERT(m, "%s", runt_last_error());
    runt_session_options o = runt_session_options_default();
    o.backend = "cpu";
    o.compute_dtype = RUNT_I8;
    o.batch = 2;
    o.allocator = &a;
    runt_session *s = NULL;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    runt_tensor ti, to;
    runt_session_input_desc(s, 0, &ti);
    runt_session_output_desc(s, 0, &to);
    size_t nx = (size_t)runt_tensor_count(&ti), ny = (size_t)runt_tensor_count(&to);
    float *x = malloc(nx * sizeof(float)), *y = rt_guarded_alloc(ny);
    rt_rng r = rt_rng_make(19);
    rt_fill_uniform(&r, x, nx, -1, 1);
    ti.data = x;
    to.data = y;
    long before = c.allocs;
    for (int i = 0; i < 3; i++)
        RT_ASSERT(runt_session_run(s, &ti, 1, &to, 1) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(c.allocs == before, "an int8 run allocated %ld times", c.allocs - before);
    RT_ASSERT(rt_guard_intact(y, ny), "wrote past the output");
    runt_session_free(s);
    runt_model_free(m);
    RT_ASSERT(c.allocs == c.frees, "leak: %ld allocations, %ld frees", c.allocs, c.frees);
    free(x);
    rt_guarded_free(y);
}

RT_TEST(cpu_int8, non_finite_weights_are_refused_with_the_node)
{
    CPU_REQUIRE();
    float w[4 * 3], bias[3] = {0.5f, -0.5f, 0.25f};
    rt_rng r = rt_rng_make(20);
    rt_fill_uniform(&r, w, 12, -1, 1);
    w[5] = NAN;
    runt_builder *b = NULL;
    runt_value_id x, y;
    int64_t dims[2] = {RUNT_DIM_BATCH, 4};
    RT_ASSERT(runt_builder_create(NULL, &b) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_linear(b, x, 4, 3, w, bias, &y) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_output(b, y, "y") == RUNT_OK, "%s", runt_last_error());
    runt_model *m = NULL;
    RT_ASSERT(runt_builder_finish(b, &m) == RUNT_OK, "%s", runt_last_error());
    runt_session_options o = runt_session_options_default();
    o.backend = "cpu";
    o.compute_dtype = RUNT_I8;
    runt_session *s = NULL;
    runt_status st = runt_session_create(m, &o, &s);
    RT_ASSERT(st == RUNT_E_INVALID_ARG && !s, "NaN weight in int8: %s", runt_status_name(st));
    RT_ASSERT(strstr(runt_last_error(), "Gemm"), "the message names the node: %s",
              runt_last_error());
    o.compute_dtype = RUNT_F32; /* f32 takes the weights as they are */
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    runt_session_free(s);
    runt_model_free(m);
}
