/*
 * The CUDA backend's host-side decisions (backends/cuda/cuda_nodes.c), no GPU
 * needed: every op of the reference list gets a GPU path or a refusal that
 * names why; which kernels and library calls a node becomes, how many
 * launches a run issues, how MatMul batches and Conv images are grouped into
 * cuBLAS calls, and which nodes run int8 (the CPU backend's rules).
 */
#include "cuda/cuda_lowering.h"
#include "backend.h"
#include "cuda_test.h"
#include "plan.h"

extern const runt_backend_i runt_backend_cuda;

/* The plan a device backend gets for m (inputs and outputs in the arena). */
static runt_plan *plan_of(const runt_model *m, int64_t batch, runt_dtype dtype, int fuse)
{
    runt_plan_config c;
    memset(&c, 0, sizeof c);
    c.batch = batch;
    c.fuse = fuse;
    c.io_in_arena = 1;
    c.compute_dtype = dtype;
    runt_plan *p = NULL;
    RT_ASSERT(runt_plan_create(m, &c, NULL, &p) == RUNT_OK, "plan: %s", runt_last_error());
    return p;
}

/* Node 0 of case `label` (a one-node model) as the backend plans it. */
static runt_cuda_node case_node(const char *label, int64_t batch, runt_dtype dtype)
{
    int c = 0;
    while (c < OC_N_CASES && strcmp(oc_cases[c].label, label) != 0)
        c++;
    RT_ASSERT(c < OC_N_CASES, "no case '%s'", label);
    runt_model *m = oc_case_model(c, 5);
    RT_ASSERT(m, "%s: %s", label, runt_last_error());
    runt_plan *p = plan_of(m, batch, dtype, 1);
    runt_cuda_node n;
    RT_ASSERT(runt_cuda_node_plan(p, 0, &n) == RUNT_OK, "%s: %s", label, runt_last_error());
    runt_plan_destroy(p, NULL);
    runt_model_free(m);
    return n;
}

RT_TEST(cuda_lowering, every_case_has_a_gpu_path)
{
    for (int c = 0; c < OC_N_CASES; c++)
        for (int dtype = 0; dtype < 2; dtype++) {
            runt_model *m = oc_case_model(c, 100 + (uint64_t)c);
            RT_ASSERT(m, "%s: %s", oc_cases[c].label, runt_last_error());
            runt_plan *p = plan_of(m, 2, dtype ? RUNT_I8 : RUNT_F32, 1);
            runt_backend_handle h = {&runt_backend_cuda, NULL};
            RT_ASSERT(runt_backend_check_plan(h, p) == RUNT_OK, "%s (%s): %s", oc_cases[c].label,
                      dtype ? "int8" : "f32", runt_last_error());
            for (int i = 0; i < p->n_nodes; i++) {
                runt_cuda_node n;
                RT_ASSERT(runt_cuda_node_plan(p, i, &n) == RUNT_OK, "%s", runt_last_error());
                RT_ASSERT(runt_cuda_node_launches(&n) >= 0 && strcmp(runt_cuda_kind_name(&n), "?"),
                          "%s: kind %d", oc_cases[c].label, (int)n.kind);
            }
            runt_plan_destroy(p, NULL);
            runt_model_free(m);
        }
}

RT_TEST(cuda_lowering, gemm_and_matmul_calls)
{
    runt_cuda_node n = case_node("Gemm 1x1x1", 1, RUNT_F32);
    RT_ASSERT(n.kind == RUNT_CUDA_K_GEMM && runt_cuda_node_launches(&n) == 1,
              "a Gemm without C or act is one cuBLAS call: kind %d, %d launches", (int)n.kind,
              runt_cuda_node_launches(&n));
    n = case_node("Gemm bias + gelu", 3, RUNT_F32);
    RT_ASSERT(n.has_epilogue && runt_cuda_node_launches(&n) == 2 && n.epilogue.c_row == 0 &&
              n.epilogue.c_col == 1, "bias row + act: one epilogue kernel after the GEMM");
    n = case_node("Gemm transA transB alpha beta, C [M,N] input", 1, RUNT_F32);
    RT_ASSERT(n.gemm.op_a == 1 && n.gemm.op_b == 1 && n.gemm.m == 13 && n.gemm.n == 7 &&
              n.gemm.k == 17 && n.gemm.lda == 17 && n.gemm.ldb == 7 && n.gemm.alpha == 0.75f &&
              n.gemm.beta == 0.0f && n.epilogue.beta == -0.5f && n.epilogue.c_row == 13,
              "transposed Gemm: op %d %d, m %lld n %lld k %lld, ld %lld %lld",
              n.gemm.op_a, n.gemm.op_b, (long long)n.gemm.m, (long long)n.gemm.n,
              (long long)n.gemm.k, (long long)n.gemm.lda, (long long)n.gemm.ldb);

    n = case_node("MatMul 3-D x constant 2-D", 4, RUNT_F32);
    RT_ASSERT(n.mm_calls == 1 && n.gemm.batch == 1 && n.gemm.n == 4 * 5,
              "a shared weight makes one tall product: %d calls, batch %lld, n %lld",
              n.mm_calls, (long long)n.gemm.batch, (long long)n.gemm.n);
    n = case_node("MatMul equal batches", 1, RUNT_F32);
    RT_ASSERT(n.mm_calls == 1 && n.gemm.batch == 4 && n.gemm.stride_a == 8 * 5 &&
              n.gemm.stride_b == 6 * 8 && n.gemm.stride_c == 6 * 5,
              "equal batches: one strided call (batch %lld)", (long long)n.gemm.batch);
    n = case_node("MatMul 2-D x batched", 1, RUNT_F32);
    RT_ASSERT(n.mm_calls == 1 && n.gemm.batch == 4 && n.gemm.stride_b == 0,
              "a broadcast A is stride 0 (stride %lld)", (long long)n.gemm.stride_b);
    n = case_node("MatMul broadcast batches", 1, RUNT_F32);
    RT_ASSERT(n.mm_calls == 6 && runt_cuda_node_launches(&n) == 6,
              "[2,1] x [3] batches: one call per output matrix (%d)", n.mm_calls);
}

RT_TEST(cuda_lowering, conv_paths_and_chunks)
{
    runt_cuda_node n = case_node("Conv 3x3 pad 1 + relu", 1, RUNT_F32);
    RT_ASSERT(n.kind == RUNT_CUDA_K_CONV_GEMM && !n.conv_1x1 && runt_cuda_node_launches(&n) == 3,
              "im2col, GEMM, epilogue: %d launches", runt_cuda_node_launches(&n));
    RT_ASSERT(n.gemm.m == 11 * 13 && n.gemm.n == 8 && n.gemm.k == 27 && n.scratch > 0,
              "GEMM of P x Kc by Kc x M per image");
    n = case_node("Conv 1x1 + clip (no im2col)", 3, RUNT_F32);
    RT_ASSERT(n.conv_1x1 && n.scratch == 0 && runt_cuda_node_launches(&n) == 2,
              "a 1x1 conv reads X as its columns: %d launches", runt_cuda_node_launches(&n));
    n = case_node("Conv depthwise (direct kernel)", 2, RUNT_F32);
    RT_ASSERT(n.kind == RUNT_CUDA_K_CONV_DIRECT && runt_cuda_node_launches(&n) == 1,
              "depthwise: one direct kernel");
    n = case_node("Conv 2 groups of 8, leaky relu", 3, RUNT_F32);
    RT_ASSERT(n.gemm.batch == 2 && runt_cuda_node_launches(&n) == 1 + 3 + 1,
              "groups: one im2col, one call per image batched over groups, one epilogue (%d)",
              runt_cuda_node_launches(&n));
    n = case_node("Conv im2col in chunks of one image", 3, RUNT_F32);
    size_t image = (size_t)256 * 9 * 64 * 64 * sizeof(float);
    RT_ASSERT(n.chunk_images == 1 && n.scratch == image && runt_cuda_node_launches(&n) == 7,
              "37.7 MB of columns per image: chunks of %lld, %zu bytes, %d launches",
              (long long)n.chunk_images, n.scratch, runt_cuda_node_launches(&n));
}

RT_TEST(cuda_lowering, int8_follows_the_cpu_backend_rules)
{
    runt_cuda_node n = case_node("Gemm bias row", 1, RUNT_I8);
    RT_ASSERT(n.kind == RUNT_CUDA_K_Q8_LINEAR && n.q8_engine == RUNT_CUDA_Q8_DP4A && n.q8_fused &&
              runt_cuda_node_launches(&n) == 1 && n.q8_k_pad == 32 && n.q8_has_bias,
              "batch 1: range, quantize and dp4a in one kernel (%s)", runt_cuda_kind_name(&n));
    n = case_node("Gemm bias row", RUNT_CUDA_Q8_LT_MIN_ROWS, RUNT_I8);
    RT_ASSERT(n.q8_engine == RUNT_CUDA_Q8_LT && runt_cuda_node_launches(&n) == 4 &&
              n.gemm.op_a == 1 && n.gemm.op_b == 0 && n.gemm.m == 13 &&
              n.gemm.n == RUNT_CUDA_Q8_LT_MIN_ROWS && n.gemm.lda == 32 && n.q8_ldacc == 16,
              "batch %d: cuBLASLt TN int8 product and a dequantize pass",
              RUNT_CUDA_Q8_LT_MIN_ROWS);
    n = case_node("Conv 3x3 pad 1 + relu", 1, RUNT_I8);
    RT_ASSERT(n.kind == RUNT_CUDA_K_Q8_CONV && n.q8_engine == RUNT_CUDA_Q8_LT &&
              n.q8_rows == 143 && runt_cuda_node_launches(&n) == 5,
              "a group-1 conv: range, quantize, u8 im2col, cuBLASLt, dequantize");
    n = case_node("Conv 2 groups of 8, leaky relu", 1, RUNT_I8);
    RT_ASSERT(n.q8_engine == RUNT_CUDA_Q8_DIRECT && runt_cuda_node_launches(&n) == 3,
              "grouped convs run the direct int8 kernel");
    /* These stay f32, as on the CPU: A transposed / alpha != 1, a weight
     * that is not constant. */
    n = case_node("Gemm transA transB alpha beta, C [M,N] input", 1, RUNT_I8);
    RT_ASSERT(n.kind == RUNT_CUDA_K_GEMM, "transposed A stays f32 (kind %d)", (int)n.kind);
    n = case_node("MatMul 2-D x input 2-D", 1, RUNT_I8);
    RT_ASSERT(n.kind == RUNT_CUDA_K_MATMUL, "a weight computed at run time stays f32");
    n = case_node("MatMul 2-D x 1-D", 3, RUNT_I8);
    RT_ASSERT(n.kind == RUNT_CUDA_K_Q8_LINEAR && n.q8_n == 1 && n.q8_rows == 3 && !n.q8_trans,
              "a constant vector is an n = 1 weight");
}

RT_TEST(cuda_lowering, views_in_place_launch_nothing)
{
    runt_builder *b = NULL;
    runt_value_id x, y;
    int64_t dims[2] = {RUNT_DIM_BATCH, 12};
    runt_attrs at;
    runt_attrs_default(RUNT_OP_RESHAPE, &at);
    at.reshape.ndim = 3, at.reshape.shape[0] = 0, at.reshape.shape[1] = 3, at.reshape.shape[2] = 4;
    RT_ASSERT(runt_builder_create(NULL, &b) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_unary(b, RUNT_OP_RELU, x, NULL, &y) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_unary(b, RUNT_OP_RESHAPE, y, &at, &y) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_unary(b, RUNT_OP_TANH, y, NULL, &y) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_output(b, y, "y") == RUNT_OK, "%s", runt_last_error());
    runt_model *m = NULL;
    RT_ASSERT(runt_builder_finish(b, &m) == RUNT_OK, "%s", runt_last_error());
    runt_plan *p = plan_of(m, 2, RUNT_F32, 1);
    runt_cuda_node n;
    RT_ASSERT(p->n_nodes == 3 && runt_cuda_node_plan(p, 1, &n) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(n.kind == RUNT_CUDA_K_NOP && runt_cuda_node_launches(&n) == 0,
              "the planner put the Reshape on its input's bytes: no copy (kind %s)",
              runt_cuda_kind_name(&n));
    runt_plan_destroy(p, NULL);
    runt_model_free(m);
}

/* A one-node model with one f32 input x [2, 5]. */
static runt_model *one_input_node(runt_op op, const runt_attrs *at, int n_out)
{
    rt_operand x = OC_IN2(2, 5);
    runt_model *m = rt_one_node(op, at, 1, &x, n_out, 1);
    RT_ASSERT(m, "%s: %s", runt_op_name(op), runt_last_error());
    return m;
}

RT_TEST(cuda_lowering, refusals_name_what_is_missing)
{
    runt_backend_handle h = {&runt_backend_cuda, NULL};
    /* ONNX's integer ops: refused at session creation with the reason. */
    runt_model *m = one_input_node(RUNT_OP_DYNAMIC_QUANTIZE_LINEAR, NULL, 3);
    runt_plan *p = plan_of(m, 1, RUNT_F32, 0);
    runt_status s = runt_backend_check_plan(h, p);
    RT_ASSERT(s == RUNT_E_UNSUPPORTED && strstr(runt_last_error(), "backend 'cuda' cannot run node") &&
              strstr(runt_last_error(), "DynamicQuantizeLinear") &&
              strstr(runt_last_error(), "integer ops"),
              "DynamicQuantizeLinear: %s %s", runt_status_name(s), runt_last_error());
    runt_plan_destroy(p, NULL);
    runt_model_free(m);

    runt_attrs at;
    runt_attrs_default(RUNT_OP_CAST, &at);
    at.cast.to = RUNT_I8;
    m = one_input_node(RUNT_OP_CAST, &at, 1);
    p = plan_of(m, 1, RUNT_F32, 0);
    s = runt_backend_check_plan(h, p);
    RT_ASSERT(s == RUNT_E_UNSUPPORTED && strstr(runt_last_error(), "Cast"),
              "Cast to int8: %s %s", runt_status_name(s), runt_last_error());
    runt_plan_destroy(p, NULL);
    runt_model_free(m);

    /* A Cast to the dtype it has is a copy. */
    at.cast.to = RUNT_F32;
    m = one_input_node(RUNT_OP_CAST, &at, 1);
    p = plan_of(m, 1, RUNT_F32, 0);
    runt_cuda_node n;
    RT_ASSERT(runt_backend_check_plan(h, p) == RUNT_OK && runt_cuda_node_plan(p, 0, &n) == RUNT_OK &&
              (n.kind == RUNT_CUDA_K_COPY || n.kind == RUNT_CUDA_K_NOP),
              "Cast f32 to f32: %s", runt_last_error());
    runt_plan_destroy(p, NULL);

    /* A plan whose I/O stayed in host memory cannot run here. */
    runt_plan_config c;
    memset(&c, 0, sizeof c);
    c.batch = 1;
    RT_ASSERT(runt_plan_create(m, &c, NULL, &p) == RUNT_OK, "%s", runt_last_error());
    s = runt_cuda_node_plan(p, 0, &n);
    RT_ASSERT(s == RUNT_E_UNSUPPORTED && strstr(runt_last_error(), "host memory"),
              "host-bound I/O: %s %s", runt_status_name(s), runt_last_error());
    s = runt_cuda_node_plan(p, 7, &n);
    RT_ASSERT(s == RUNT_E_INVALID_ARG && strstr(runt_last_error(), "out of range"),
              "node 7 of 1: %s %s", runt_status_name(s), runt_last_error());
    runt_plan_destroy(p, NULL);
    runt_model_free(m);
}

RT_TEST(cuda_lowering, alignment_helper)
{
    RT_ASSERT(runt_cuda_align(0) == 0 && runt_cuda_align(1) == RUNT_CUDA_ALIGN &&
              runt_cuda_align(RUNT_CUDA_ALIGN) == RUNT_CUDA_ALIGN &&
              runt_cuda_align(RUNT_CUDA_ALIGN + 1) == 2 * RUNT_CUDA_ALIGN,
              "rounding up to %d", RUNT_CUDA_ALIGN);
    RT_ASSERT(runt_cuda_align(SIZE_MAX - 3) == SIZE_MAX, "overflow saturates");
}
