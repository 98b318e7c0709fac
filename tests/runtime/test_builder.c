/* The builder API: every argument check, and validation at finish. */
#include <math.h>
#include <string.h>

#include "rt_test.h"
#include "runt.h"

static runt_builder *new_builder(void)
{
    runt_builder *b = NULL;
    RT_ASSERT(runt_builder_create(NULL, &b) == RUNT_OK, "create: %s", runt_last_error());
    return b;
}

RT_TEST(builder, null_arguments_are_errors)
{
    runt_builder *b = new_builder();
    runt_value_id v;
    int64_t dims[2] = {1, 4};
    float w[4] = {1, 2, 3, 4};
    RT_ASSERT(runt_builder_create(NULL, NULL) == RUNT_E_INVALID_ARG, "create(NULL)");
    RT_ASSERT(runt_builder_input(NULL, "x", RUNT_F32, 2, dims, &v) == RUNT_E_INVALID_ARG, "b NULL");
    RT_ASSERT(runt_builder_input(b, NULL, RUNT_F32, 2, dims, &v) == RUNT_E_INVALID_ARG, "name NULL");
    RT_ASSERT(strstr(runt_last_error(), "name"), "message names the argument: %s", runt_last_error());
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, NULL, &v) == RUNT_E_INVALID_ARG, "dims NULL");
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, dims, NULL) == RUNT_E_INVALID_ARG, "out NULL");
    RT_ASSERT(runt_builder_constant(b, "w", RUNT_F32, 2, dims, NULL, &v) == RUNT_E_INVALID_ARG,
              "data NULL");
    RT_ASSERT(runt_builder_linear(b, 0, 4, 1, NULL, NULL, &v) == RUNT_E_INVALID_ARG, "weight NULL");
    RT_ASSERT(runt_builder_linear(b, 0, 0, 1, w, NULL, &v) == RUNT_E_INVALID_ARG, "0 features");
    RT_ASSERT(runt_builder_output(NULL, 0, NULL) == RUNT_E_INVALID_ARG, "output b NULL");
    RT_ASSERT(runt_builder_finish(NULL, NULL) == RUNT_E_INVALID_ARG, "finish NULL");
    runt_builder_free(b);
    runt_builder_free(NULL);
}

RT_TEST(builder, bad_shapes_and_dtypes)
{
    runt_builder *b = new_builder();
    runt_value_id v;
    int64_t bad[2] = {1, -5}, many[RUNT_MAX_DIMS + 1] = {1, 1, 1, 1, 1, 1, 1};
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, bad, &v) == RUNT_E_INVALID_ARG, "negative dim");
    RT_ASSERT(strstr(runt_last_error(), "'x'"), "names the value: %s", runt_last_error());
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, RUNT_MAX_DIMS + 1, many, &v) ==
                  RUNT_E_INVALID_ARG, "too many dims");
    RT_ASSERT(runt_builder_input(b, "x", (runt_dtype)99, 1, many, &v) == RUNT_E_INVALID_ARG,
              "unknown dtype");
    int64_t batch_in_const[1] = {RUNT_DIM_BATCH};
    float one = 1.0f;
    RT_ASSERT(runt_builder_constant(b, "c", RUNT_F32, 1, batch_in_const, &one, &v) ==
                  RUNT_E_INVALID_ARG, "a constant cannot have a batch dim");
    runt_builder_free(b);
}

RT_TEST(builder, duplicate_names_are_refused)
{
    runt_builder *b = new_builder();
    runt_value_id x, y;
    int64_t dims[2] = {RUNT_DIM_BATCH, 3};
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, dims, &y) == RUNT_E_INVALID_ARG, "dup input");
    RT_ASSERT(strstr(runt_last_error(), "exists"), "%s", runt_last_error());
    runt_builder_free(b);
}

RT_TEST(builder, node_arity_and_references_are_checked)
{
    runt_builder *b = new_builder();
    runt_value_id x, y[2];
    int64_t dims[2] = {RUNT_DIM_BATCH, 3};
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x) == RUNT_OK, "%s", runt_last_error());
    runt_value_id ins[2] = {x, x};
    RT_ASSERT(runt_builder_node(b, RUNT_OP_RELU, "r", NULL, 2, ins, 1, y) == RUNT_E_INVALID_ARG,
              "relu with 2 inputs");
    RT_ASSERT(strstr(runt_last_error(), "Relu"), "names the op: %s", runt_last_error());
    RT_ASSERT(runt_builder_node(b, RUNT_OP_GEMM, "g", NULL, 1, ins, 1, y) == RUNT_E_INVALID_ARG,
              "gemm with 1 input");
    runt_value_id dangling = 42;
    RT_ASSERT(runt_builder_node(b, RUNT_OP_RELU, "r", NULL, 1, &dangling, 1, y) == RUNT_E_INVALID_ARG,
              "unknown value id");
    RT_ASSERT(runt_builder_node(b, (runt_op)1000, "r", NULL, 1, &x, 1, y) == RUNT_E_INVALID_ARG,
              "unknown op");
    RT_ASSERT(runt_builder_node(b, RUNT_OP_RELU, "r", NULL, 1, &x, 2, y) == RUNT_E_INVALID_ARG,
              "relu with 2 outputs");
    runt_builder_free(b);
}

RT_TEST(builder, finish_checks_the_graph)
{
    runt_model *m = (runt_model *)1;
    runt_builder *b = new_builder();
    RT_ASSERT(runt_builder_finish(b, &m) == RUNT_E_BAD_MODEL, "no inputs");
    RT_ASSERT(m == NULL, "out cleared on failure");

    b = new_builder();
    runt_value_id x;
    int64_t dims[2] = {RUNT_DIM_BATCH, 3};
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_finish(b, &m) == RUNT_E_BAD_MODEL, "no outputs");
    RT_ASSERT(strstr(runt_last_error(), "output"), "%s", runt_last_error());

    b = new_builder();
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_output(b, x, NULL) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_finish(b, &m) == RUNT_E_UNSUPPORTED, "an input as output");
}

RT_TEST(builder, shape_mismatch_names_the_node)
{
    runt_builder *b = new_builder();
    runt_value_id x, y;
    int64_t dims[2] = {RUNT_DIM_BATCH, 3};
    float w[4 * 5] = {0};
    w[0] = 1.0f;
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x) == RUNT_OK, "%s", runt_last_error());
    /* A Linear that expects 5 features on a 3-feature input. */
    RT_ASSERT(runt_builder_linear(b, x, 5, 4, w, NULL, &y) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_output(b, y, "y") == RUNT_OK, "%s", runt_last_error());
    runt_model *m;
    RT_ASSERT(runt_builder_finish(b, &m) == RUNT_E_SHAPE, "shape error expected");
    RT_ASSERT(strstr(runt_last_error(), "Gemm") && strstr(runt_last_error(), "linear"),
              "message names the node: %s", runt_last_error());
}

RT_TEST(builder, output_shapes_mark_the_batch_dim)
{
    runt_builder *b = new_builder();
    runt_value_id x, y;
    int64_t dims[2] = {RUNT_DIM_BATCH, 3};
    float w[3 * 2] = {1, 2, 3, 4, 5, 6};
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_linear(b, x, 3, 2, w, NULL, &y) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_output(b, y, "y") == RUNT_OK, "%s", runt_last_error());
    runt_model *m;
    RT_ASSERT(runt_builder_finish(b, &m) == RUNT_OK, "%s", runt_last_error());
    runt_io_info io;
    RT_ASSERT(runt_model_output(m, 0, &io) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(strcmp(io.name, "y") == 0, "name %s", io.name);
    RT_ASSERT(io.desc.ndim == 2 && io.desc.dims[0] == RUNT_DIM_BATCH && io.desc.dims[1] == 2,
              "shape [N, 2], got ndim %d dims %lld %lld", io.desc.ndim, (long long)io.desc.dims[0],
              (long long)io.desc.dims[1]);
    RT_ASSERT(runt_model_output(m, 1, &io) == RUNT_E_INVALID_ARG, "index out of range");
    RT_ASSERT(runt_model_input(NULL, 0, &io) == RUNT_E_INVALID_ARG, "NULL model");
    int ni, no, nn;
    RT_ASSERT(runt_model_counts(m, &ni, &no, &nn) == RUNT_OK && ni == 1 && no == 1 && nn == 1,
              "counts %d %d %d", ni, no, nn);
    runt_model_free(m);
}

RT_TEST(builder, attrs_defaults_follow_onnx)
{
    runt_attrs a;
    RT_ASSERT(runt_attrs_default(RUNT_OP_GEMM, &a) == RUNT_OK, "gemm");
    RT_ASSERT(a.gemm.alpha == 1.0f && a.gemm.beta == 1.0f && !a.gemm.trans_a, "gemm defaults");
    RT_ASSERT(runt_attrs_default(RUNT_OP_CLIP, &a) == RUNT_OK && isinf(a.clip.min) && a.clip.min < 0,
              "clip min -inf");
    RT_ASSERT(runt_attrs_default(RUNT_OP_LEAKY_RELU, &a) == RUNT_OK && a.leaky_relu.alpha == 0.01f,
              "leaky alpha");
    RT_ASSERT(runt_attrs_default(RUNT_OP_COUNT, &a) == RUNT_E_INVALID_ARG, "out of range");
    RT_ASSERT(runt_attrs_default(RUNT_OP_GEMM, NULL) == RUNT_E_INVALID_ARG, "NULL out");
    for (int op = 0; op < RUNT_OP_COUNT; op++)
        RT_ASSERT(runt_op_name((runt_op)op) != NULL, "op %d has a name", op);
    RT_ASSERT(strcmp(runt_op_name(RUNT_OP_BATCH_NORM), "BatchNormalization") == 0, "onnx name");
}
