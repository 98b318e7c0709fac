/*
 * The CUDA backend's program, run on the host (cuda_emulate.h), against the
 * reference backend and, for int8, against the CPU backend's int8 path bit
 * for bit. No GPU needed: this checks the plan, the kernel records, the
 * cuBLAS / cuBLASLt descriptions, the im2col and chunking, the int8
 * pipeline and weight packing; the GPU tests (test_cuda_ops.c,
 * test_cuda_models.c) check the same cases on a device.
 */
#include "cuda_emulate.h"
#include "cuda_test.h"

/* Emulates m at this batch and dtype; runs it on `other` (compute dtype
 * other_dtype) with the same inputs. Returns the normalized max error of
 * the emulation against `other`; *identical: every output bit for bit. */
static double emulate_vs(const runt_model *m, int64_t batch, runt_dtype dtype, int fuse,
                         const char *other, runt_dtype other_dtype, uint64_t seed, int *identical)
{
    float *x[OC_MAX_IO] = {0}, *ye[OC_MAX_IO] = {0}, *yo[OC_MAX_IO] = {0};
    runt_tensor in[OC_MAX_IO];
    size_t no[OC_MAX_IO];
    int n_out = 0;
    int n_in = oc_inputs(m, batch, seed, x, in);
    emu *e = emu_create(m, batch, dtype, fuse);
    for (int o = 0; o < e->plan->n_outputs; o++) {
        const runt_plan_value *v = &e->plan->values[e->plan->outputs[o]];
        size_t n = v->nbytes / sizeof(float);
        ye[o] = rt_guarded_alloc(n ? n : 1);
    }
    emu_run(e, in, ye);
    oc_config c = oc_config_make(other, batch);
    c.dtype = other_dtype;
    c.fuse = fuse;
    oc_run(m, &c, in, n_in, yo, no, &n_out);
    RT_ASSERT(n_out == e->plan->n_outputs, "%d outputs vs %d", n_out, e->plan->n_outputs);
    double worst = 0.0;
    int same = 1;
    for (int o = 0; o < n_out; o++) {
        RT_ASSERT(rt_guard_intact(ye[o], no[o]), "the emulation wrote past output %d", o);
        double *want = malloc((no[o] ? no[o] : 1) * sizeof(double));
        for (size_t i = 0; i < no[o]; i++)
            want[i] = yo[o][i];
        double err = rt_norm_max_error(ye[o], want, no[o], 1e-6);
        worst = err > worst ? err : worst;
        same = same && memcmp(ye[o], yo[o], no[o] * sizeof(float)) == 0;
        free(want);
        rt_guarded_free(ye[o]);
        rt_guarded_free(yo[o]);
    }
    for (int i = 0; i < n_in; i++)
        free(x[i]);
    emu_free(e);
    if (identical)
        *identical = same;
    return worst;
}

RT_TEST(cuda_emulate, every_case_matches_the_reference)
{
    for (int c = 0; c < OC_N_CASES; c++) {
        runt_model *m = oc_case_model(c, 200 + (uint64_t)c);
        RT_ASSERT(m, "%s: %s", oc_cases[c].label, runt_last_error());
        for (int64_t batch = 1; batch <= 3; batch += 2) {
            double e = emulate_vs(m, batch, RUNT_F32, 1, "ref", RUNT_F32, 300 + (uint64_t)c, NULL);
            RT_ASSERT(e <= CT_BOUND_F32, "%s, batch %lld: normalized error %g > %g",
                      oc_cases[c].label, (long long)batch, e, CT_BOUND_F32);
        }
        runt_model_free(m);
    }
}

RT_TEST(cuda_emulate, models_match_the_reference)
{
    static const runt_op acts[] = {RUNT_OP_RELU, RUNT_OP_TANH, RUNT_OP_SIGMOID, RUNT_OP_GELU};
    static const int64_t widths[4] = {37, 64, 31, 5};
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
        runt_model *m = rt_mlp3(NULL, widths, acts[a], NULL, 10 + a);
        RT_ASSERT(m, "mlp: %s", runt_last_error());
        for (int fuse = 0; fuse <= 1; fuse++) {
            double e = emulate_vs(m, 5, RUNT_F32, fuse, "ref", RUNT_F32, 20 + a, NULL);
            RT_ASSERT(e <= CT_BOUND_F32, "MLP %s, fuse %d: %g", runt_op_name(acts[a]), fuse, e);
        }
        runt_model_free(m);
    }
    runt_model *m = rt_conv_net(NULL, 20, 18, 3);
    RT_ASSERT(m, "conv net: %s", runt_last_error());
    for (int64_t batch = 1; batch <= 4; batch += 3) {
        double e = emulate_vs(m, batch, RUNT_F32, 1, "ref", RUNT_F32, 30, NULL);
        RT_ASSERT(e <= CT_BOUND_F32, "conv net, batch %lld: %g", (long long)batch, e);
    }
    runt_model_free(m);
}

RT_TEST(cuda_emulate, int8_stays_within_the_int8_bound_of_f32)
{
    runt_model *m = rt_conv_net(NULL, 20, 18, 4);
    RT_ASSERT(m, "conv net: %s", runt_last_error());
    double e = emulate_vs(m, 2, RUNT_I8, 1, "ref", RUNT_F32, 40, NULL);
    RT_ASSERT(e <= CT_BOUND_INT8, "int8 conv net against f32: %g > %g", e, CT_BOUND_INT8);
    runt_model_free(m);
    static const int64_t widths[4] = {300, 257, 129, 10};
    m = rt_mlp3(NULL, widths, RUNT_OP_RELU, NULL, 41);
    RT_ASSERT(m, "mlp: %s", runt_last_error());
    e = emulate_vs(m, 20, RUNT_I8, 1, "ref", RUNT_F32, 42, NULL);
    RT_ASSERT(e <= CT_BOUND_INT8, "int8 MLP against f32: %g > %g", e, CT_BOUND_INT8);
    runt_model_free(m);
}

/* Quantized nodes compute what backends/cpu computes, bit for bit: the same
 * packed weights, the same activation quantization, exact integer sums and
 * the dequantization's float operations in q8.c's order. Batch 1 takes the
 * dp4a path, RUNT_CUDA_Q8_LT_MIN_ROWS rows and more the cuBLASLt one.
 * Unfused (fuse 0), Tanh, Sigmoid and Gelu are ops of their own, which the
 * CPU computes in vectors (act_vec.h) and CUDA with libm's functions: those
 * agree within the CPU tests' BOUND_ACT instead. */
RT_TEST(cuda_emulate, int8_matches_the_cpu_backend_bit_for_bit)
{
    if (!rt_backend_available("cpu")) {
        RT_SKIP("the cpu backend is not in this build (RUNT_BLAS=OFF or no OpenBLAS)");
        return;
    }
    static const runt_op acts[] = {RUNT_OP_RELU, RUNT_OP_TANH, RUNT_OP_SIGMOID, RUNT_OP_GELU};
    static const int64_t widths[][4] = {{37, 64, 31, 5}, {300, 257, 129, 10}};
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++)
        for (size_t w = 0; w < 2; w++) {
            runt_model *m = rt_mlp3(NULL, widths[w], acts[a], NULL, 50 + a);
            RT_ASSERT(m, "mlp: %s", runt_last_error());
            for (int fuse = 0; fuse <= 1; fuse++)
                for (int64_t batch = 1; batch <= 20; batch += 19) {
                    int same = 0;
                    double e = emulate_vs(m, batch, RUNT_I8, fuse, "cpu", RUNT_I8, 60 + a, &same);
                    if (!fuse && acts[a] != RUNT_OP_RELU)
                        RT_ASSERT(e <= 1e-6, "int8 MLP %s widths %zu, unfused, batch %lld: "
                                  "differs from the cpu backend by %g", runt_op_name(acts[a]), w,
                                  (long long)batch, e);
                    else
                        RT_ASSERT(same, "int8 MLP %s widths %zu, fuse %d, batch %lld: differs "
                                  "from the cpu backend by %g", runt_op_name(acts[a]), w, fuse,
                                  (long long)batch, e);
                }
            runt_model_free(m);
        }
    static const char *nodes[] = {"Gemm bias row", "Gemm bias + clip",
                                  "Gemm bias + gelu", "Gemm GEMV 300 -> 257",
                                  "MatMul 3-D x constant 2-D", "MatMul 2-D x 1-D",
                                  "Conv 3x3 pad 1 + relu", "Conv 3x3 stride 2, asymmetric pads",
                                  "Conv 2 groups of 8, leaky relu", "Conv 1x1 + clip (no im2col)",
                                  "Conv depthwise (direct kernel)"};
    for (size_t k = 0; k < sizeof nodes / sizeof nodes[0]; k++) {
        int c = 0;
        while (strcmp(oc_cases[c].label, nodes[k]) != 0)
            c++;
        runt_model *m = oc_case_model(c, 70 + k);
        RT_ASSERT(m, "%s: %s", nodes[k], runt_last_error());
        for (int64_t batch = 1; batch <= 17; batch += 16) {
            int same = 0;
            double e = emulate_vs(m, batch, RUNT_I8, 1, "cpu", RUNT_I8, 80 + k, &same);
            RT_ASSERT(same, "int8 %s, batch %lld: differs from the cpu backend by %g", nodes[k],
                      (long long)batch, e);
        }
        runt_model_free(m);
    }
}
