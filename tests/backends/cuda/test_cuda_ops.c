/*
 * The conformance suite on a GPU: every one-node case of cuda_test.h on the
 * "cuda" backend against the reference backend (random inputs, guarded
 * outputs), CUDA graph replay against plain launches bit for bit, and the
 * TF32 / BF16 math modes within their bounds. Skips, saying why, where no
 * usable CUDA device exists.
 */
#include "cuda_test.h"

RT_TEST(cuda_ops, every_case_against_the_reference)
{
    CT_REQUIRE_GPU();
    for (int c = 0; c < OC_N_CASES; c++) {
        runt_model *m = oc_case_model(c, 400 + (uint64_t)c);
        RT_ASSERT(m, "%s: %s", oc_cases[c].label, runt_last_error());
        for (int64_t batch = 1; batch <= 3; batch += 2) {
            oc_config gpu = oc_config_make("cuda", batch), ref = oc_config_make("ref", batch);
            double e = oc_compare(m, &gpu, &ref, 500 + (uint64_t)c, NULL);
            RT_ASSERT(e <= CT_BOUND_F32, "%s, batch %lld: normalized error %g > %g",
                      oc_cases[c].label, (long long)batch, e, CT_BOUND_F32);
        }
        runt_model_free(m);
    }
}

/* The first run of a session issues every launch and captures them; later
 * runs replay the graph. Their outputs must be the plain launches' exactly. */
RT_TEST(cuda_ops, graph_replay_equals_plain_launches)
{
    CT_REQUIRE_GPU();
    for (int c = 0; c < OC_N_CASES; c++) {
        runt_model *m = oc_case_model(c, 600 + (uint64_t)c);
        RT_ASSERT(m, "%s: %s", oc_cases[c].label, runt_last_error());
        oc_config graph = oc_config_make("cuda", 2), plain = oc_config_make("cuda", 2);
        graph.runs = 3;
        plain.cuda_graphs = 0;
        int same = 0;
        double e = oc_compare(m, &graph, &plain, 700 + (uint64_t)c, &same);
        RT_ASSERT(same, "%s: graph replay differs from plain launches by %g", oc_cases[c].label, e);
        runt_model_free(m);
    }
}

RT_TEST(cuda_ops, reduced_precision_math_modes)
{
    CT_REQUIRE_GPU();
    for (int c = 0; c < OC_N_CASES; c++) {
        runt_op op = oc_cases[c].op;
        if (op != RUNT_OP_GEMM && op != RUNT_OP_MATMUL && op != RUNT_OP_CONV)
            continue;
        runt_model *m = oc_case_model(c, 800 + (uint64_t)c);
        RT_ASSERT(m, "%s: %s", oc_cases[c].label, runt_last_error());
        for (int mode = 0; mode < 2; mode++) {
            oc_config gpu = oc_config_make("cuda", 2), ref = oc_config_make("ref", 2);
            gpu.math = mode ? RUNT_MATH_BF16 : RUNT_MATH_TF32;
            double bound = mode ? CT_BOUND_BF16 : CT_BOUND_TF32;
            double e = oc_compare(m, &gpu, &ref, 900 + (uint64_t)c, NULL);
            RT_ASSERT(e <= bound, "%s, %s: normalized error %g > %g", oc_cases[c].label,
                      mode ? "BF16" : "TF32", e, bound);
        }
        runt_model_free(m);
    }
}
