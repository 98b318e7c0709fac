/* Fusion rewrites (runtime/fusion.h) through sessions: MatMul+Add becomes a
 * Gemm, activations fold into Gemm/Conv, and nothing fuses across a value
 * that something else reads or that is a graph output. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "runt.h"
#include "test_util.h"

static int planned_nodes(const runt_model *m, int fuse)
{
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    o.fuse = fuse;
    runt_session *s;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    runt_session_stats st;
    RT_ASSERT(runt_session_stats_get(s, &st) == RUNT_OK, "%s", runt_last_error());
    runt_session_free(s);
    return st.n_nodes;
}

/* y = act(x · W + b) written as MatMul, Add, activation; optionally the
 * MatMul result is also a graph output (then it must not fuse). */
static runt_model *matmul_add_act(rt_rng *r, runt_op act, int expose_matmul, float *out_w, float *out_b)
{
    runt_builder *b;
    runt_value_id x, w, bias, mm, sum, y;
    int64_t xd[2] = {RUNT_DIM_BATCH, 5}, wd[2] = {5, 3}, bd[1] = {3};
    rt_fill_uniform(r, out_w, 15, -1, 1);
    rt_fill_uniform(r, out_b, 3, -1, 1);
    RT_ASSERT(runt_builder_create(NULL, &b) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, xd, &x) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_constant(b, "w", RUNT_F32, 2, wd, out_w, &w) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_constant(b, "b", RUNT_F32, 1, bd, out_b, &bias) == RUNT_OK, "%s", runt_last_error());
    runt_value_id mm_in[2] = {x, w};
    RT_ASSERT(runt_builder_node(b, RUNT_OP_MATMUL, "mm", NULL, 2, mm_in, 1, &mm) == RUNT_OK, "%s",
              runt_last_error());
    runt_value_id add_in[2] = {bias, mm}; /* bias first: either order fuses */
    RT_ASSERT(runt_builder_node(b, RUNT_OP_ADD, "add", NULL, 2, add_in, 1, &sum) == RUNT_OK, "%s",
              runt_last_error());
    RT_ASSERT(runt_builder_unary(b, act, sum, NULL, &y) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_output(b, y, "y") == RUNT_OK, "%s", runt_last_error());
    if (expose_matmul)
        RT_ASSERT(runt_builder_output(b, mm, "mm_out") == RUNT_OK, "%s", runt_last_error());
    runt_model *m;
    RT_ASSERT(runt_builder_finish(b, &m) == RUNT_OK, "%s", runt_last_error());
    return m;
}

RT_TEST(fusion, matmul_add_activation_becomes_one_gemm)
{
    rt_rng r = rt_rng_make(31);
    float w[15], bias[3];
    runt_model *m = matmul_add_act(&r, RUNT_OP_SIGMOID, 0, w, bias);
    RT_ASSERT(planned_nodes(m, 0) == 3 && planned_nodes(m, 1) == 1, "3 nodes fuse into 1");
    runt_session *s;
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    o.batch = 4;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    float x[20], y[12];
    double want[12];
    rt_fill_uniform(&r, x, 20, -2, 2);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) {
            double acc = bias[j];
            for (int k = 0; k < 5; k++)
                acc += (double)x[i * 5 + k] * w[k * 3 + j];
            want[i * 3 + j] = 1.0 / (1.0 + exp(-acc));
        }
    int64_t xd[2] = {4, 5}, yd[2] = {4, 3};
    runt_tensor tx = rt_tensor_f32(x, 2, xd), ty = rt_tensor_f32(y, 2, yd);
    RT_ASSERT(runt_session_run(s, &tx, 1, &ty, 1) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(rt_norm_max_error(y, want, 12, 1e-3) < 1e-6, "fused result");
    runt_session_free(s);
    runt_model_free(m);
}

RT_TEST(fusion, a_value_read_elsewhere_does_not_fuse)
{
    rt_rng r = rt_rng_make(32);
    float w[15], bias[3];
    runt_model *m = matmul_add_act(&r, RUNT_OP_RELU, 1, w, bias);
    /* The MatMul output is a graph output: MatMul and Add stay; Add+Relu
     * cannot fuse either (Add is not a Gemm). */
    RT_ASSERT(planned_nodes(m, 1) == 3, "nothing fuses: %d", planned_nodes(m, 1));
    runt_model_free(m);
}
