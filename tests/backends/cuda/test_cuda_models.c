/*
 * Whole models on a GPU: an MLP with every activation (fused and not) and a
 * small conv net against the reference backend; int8 against the CPU
 * backend's int8 path (bit for bit where the same integers and float
 * operations are computed) and against f32; and the session contract on a
 * device: nothing allocated in a run, device timing, per-node profiling,
 * the launch count, no capture warning when CUDA graphs work, graphs off.
 * Skips, saying why, where no usable CUDA device exists.
 */
#include "cuda_test.h"

RT_TEST(cuda_models, mlp_every_activation_fused_and_unfused)
{
    CT_REQUIRE_GPU();
    static const int64_t widths[][4] = {{37, 64, 31, 5}, {1000, 1000, 100, 1}};
    for (size_t a = 0; a < RT_N_ACTIVATIONS; a++)
        for (size_t w = 0; w < 2; w++) {
            runt_model *m = rt_activation_mlp(widths[w], a, 40 + a);
            RT_ASSERT(m, "mlp: %s", runt_last_error());
            for (int fuse = 0; fuse <= 1; fuse++)
                for (int64_t batch = 1; batch <= 7; batch += 6) {
                    oc_config gpu = oc_config_make("cuda", batch), ref = oc_config_make("ref", batch);
                    gpu.fuse = ref.fuse = fuse;
                    double e = oc_compare(m, &gpu, &ref, 50 + a, NULL);
                    RT_ASSERT(e <= CT_BOUND_F32, "MLP %s widths %zu fuse %d batch %lld: %g",
                              runt_op_name(rt_activations[a].op), w, fuse, (long long)batch, e);
                }
            runt_model_free(m);
        }
}

RT_TEST(cuda_models, conv_net_against_the_reference_and_replayed)
{
    CT_REQUIRE_GPU();
    runt_model *m = rt_conv_net(NULL, 20, 18, 7);
    RT_ASSERT(m, "conv net: %s", runt_last_error());
    for (int64_t batch = 1; batch <= 4; batch += 3) {
        oc_config gpu = oc_config_make("cuda", batch), ref = oc_config_make("ref", batch);
        double e = oc_compare(m, &gpu, &ref, 71, NULL);
        RT_ASSERT(e <= CT_BOUND_F32, "conv net batch %lld: %g", (long long)batch, e);
        oc_config plain = gpu;
        plain.cuda_graphs = 0;
        gpu.runs = 4;
        int same = 0;
        e = oc_compare(m, &gpu, &plain, 72, &same);
        RT_ASSERT(same, "conv net batch %lld: graph replay differs by %g", (long long)batch, e);
    }
    runt_model_free(m);
}

RT_TEST(cuda_models, int8_against_f32_and_the_cpu_backend)
{
    CT_REQUIRE_GPU();
    runt_model *net = rt_conv_net(NULL, 20, 18, 8);
    RT_ASSERT(net, "conv net: %s", runt_last_error());
    oc_config gpu = oc_config_make("cuda", 3), ref = oc_config_make("ref", 3);
    gpu.dtype = RUNT_I8;
    double e = oc_compare(net, &gpu, &ref, 81, NULL);
    RT_ASSERT(e <= CT_BOUND_INT8, "int8 conv net against f32: %g", e);
    runt_model_free(net);
    if (!rt_backend_available("cpu")) {
        RT_SKIP("the cpu backend is not in this build: the int8 comparison with it is skipped");
        return;
    }
    /* Single quantized nodes and an MLP of them: the same integers and float
     * operations as q8.c, so the same bits (the activations with
     * transcendental functions may differ by the GPU's libm: ulps). */
    static const char *nodes[] = {"Gemm bias row", "Gemm bias + clip",
                                  "Gemm GEMV 300 -> 257", "MatMul 3-D x constant 2-D",
                                  "Conv 3x3 pad 1 + relu", "Conv 2 groups of 8, leaky relu",
                                  "Conv 1x1 + clip (no im2col)", "Gemm bias + gelu"};
    for (size_t k = 0; k < sizeof nodes / sizeof nodes[0]; k++) {
        int c = 0;
        while (strcmp(oc_cases[c].label, nodes[k]) != 0)
            c++;
        runt_model *m = oc_case_model(c, 90 + k);
        RT_ASSERT(m, "%s: %s", nodes[k], runt_last_error());
        int exact = strcmp(nodes[k], "Gemm bias + gelu") != 0;
        for (int64_t batch = 1; batch <= 32; batch += 31) {
            oc_config a = oc_config_make("cuda", batch), b = oc_config_make("cpu", batch);
            a.dtype = b.dtype = RUNT_I8;
            int same = 0;
            e = oc_compare(m, &a, &b, 100 + k, &same);
            RT_ASSERT(exact ? same : e <= 1e-5, "int8 %s batch %lld: differs from the cpu "
                      "backend by %g", nodes[k], (long long)batch, e);
        }
        runt_model_free(m);
    }
    static const int64_t widths[4] = {300, 257, 129, 10};
    runt_model *m = rt_mlp3(NULL, widths, RUNT_OP_RELU, NULL, 110);
    RT_ASSERT(m, "mlp: %s", runt_last_error());
    for (int64_t batch = 1; batch <= 20; batch += 19) {
        oc_config a = oc_config_make("cuda", batch), b = oc_config_make("cpu", batch);
        a.dtype = b.dtype = RUNT_I8;
        int same = 0;
        e = oc_compare(m, &a, &b, 111, &same);
        RT_ASSERT(same, "int8 relu MLP batch %lld: differs from the cpu backend by %g",
                  (long long)batch, e);
    }
    runt_model_free(m);
}

/* ---- the session contract on a device ---- */

typedef struct log_record {
    int warnings;
    char last[512];
} log_record;

static void record_log(void *user, runt_log_level level, const char *message)
{
    log_record *r = user;
    if (level >= RUNT_LOG_WARN) {
        r->warnings++;
        snprintf(r->last, sizeof r->last, "%s", message);
    }
}

RT_TEST(cuda_models, session_contract)
{
    CT_REQUIRE_GPU();
    runt_model *m = rt_conv_net(NULL, 20, 18, 9);
    RT_ASSERT(m, "conv net: %s", runt_last_error());
    for (int variant = 0; variant < 3; variant++) { /* graphs, plain, profiled */
        rt_counting c = {0, 0, -1};
        log_record log = {0, ""};
        runt_allocator a = {rt_counting_alloc, rt_counting_free, &c};
        runt_session_options o = runt_session_options_default();
        o.backend = "cuda";
        o.batch = 2;
        o.allocator = &a;
        o.log = record_log;
        o.log_user = &log;
        runt_cuda_options cuda = runt_cuda_options_default();
        cuda.graphs = variant != 1;
        o.backend_options = &cuda.base;
        o.profile = variant == 2;
        runt_session *s = NULL;
        RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
        runt_tensor in, out;
        runt_session_input_desc(s, 0, &in);
        runt_session_output_desc(s, 0, &out);
        size_t ni = (size_t)runt_tensor_count(&in), no = (size_t)runt_tensor_count(&out);
        rt_rng r = rt_rng_make(12);
        float *x = malloc(ni * sizeof(float)), *y = rt_guarded_alloc(no);
        rt_fill_uniform(&r, x, ni, -1.0f, 1.0f);
        in.data = x;
        out.data = y;
        long before = c.allocs;
        for (int run = 0; run < 3; run++)
            RT_ASSERT(runt_session_run(s, &in, 1, &out, 1) == RUNT_OK, "run %d: %s", run,
                      runt_last_error());
        RT_ASSERT(c.allocs == before, "variant %d: runs allocated %ld times", variant,
                  c.allocs - before);
        RT_ASSERT(rt_guard_intact(y, no), "wrote past the output");
        RT_ASSERT(log.warnings == 0, "variant %d: a warning was logged: %s", variant, log.last);
        double us = -1.0;
        RT_ASSERT(runt_session_last_run_us(s, &us) == RUNT_OK && us > 0.0,
                  "device time of the last run: %g us", us);
        runt_session_stats st;
        RT_ASSERT(runt_session_stats_get(s, &st) == RUNT_OK && st.launches >= st.n_nodes - 2 &&
                  st.launches > 0, "%d launches for %d nodes", st.launches, st.n_nodes);
        for (int i = 0; variant == 2 && i < st.n_nodes; i++) {
            runt_node_info info;
            double node_us = -1.0;
            RT_ASSERT(runt_session_node(s, i, &info, &node_us) == RUNT_OK && node_us >= 0.0,
                      "node %d: %g us", i, node_us);
        }
        runt_session_free(s);
        RT_ASSERT(c.allocs == c.frees, "variant %d: %ld allocations, %ld frees", variant,
                  c.allocs, c.frees);
        free(x);
        rt_guarded_free(y);
    }
    runt_model_free(m);
}

RT_TEST(cuda_models, a_caller_arena_is_for_host_backends)
{
    CT_REQUIRE_GPU();
    runt_model *m = rt_conv_net(NULL, 20, 18, 10);
    RT_ASSERT(m, "conv net: %s", runt_last_error());
    static _Alignas(64) char arena[1 << 20];
    runt_session_options o = runt_session_options_default();
    o.backend = "cuda";
    o.arena = arena;
    o.arena_size = sizeof arena;
    runt_session *s = NULL;
    runt_status st = runt_session_create(m, &o, &s);
    RT_ASSERT(st == RUNT_E_INVALID_ARG && !s && strstr(runt_last_error(), "device memory"),
              "%s %s", runt_status_name(st), runt_last_error());
    runt_model_free(m);
}

/* Sessions of one model on the GPU hold one copy of its weights: the
 * model's converted weights do not grow with a second session of another
 * batch, the second runs on, bit for bit, after the first (which uploaded
 * them) is freed, and the last release frees them. f32 and int8. */
RT_TEST(cuda_models, sessions_of_a_model_share_its_weights_on_the_device)
{
    CT_REQUIRE_GPU();
    runt_model *m = rt_conv_net(NULL, 20, 18, 13);
    RT_ASSERT(m, "conv net: %s", runt_last_error());
    for (int int8 = 0; int8 <= 1; int8++) {
        runt_session_options o = runt_session_options_default();
        o.backend = "cuda";
        o.compute_dtype = int8 ? RUNT_I8 : RUNT_F32;
        runt_session *first = NULL, *second = NULL;
        o.batch = 3;
        RT_ASSERT(runt_session_create(m, &o, &first) == RUNT_OK, "%s", runt_last_error());
        size_t bytes = 0, bytes_after = 0;
        int buffers = 0, buffers_after = 0;
        RT_ASSERT(runt_model_converted_weights(m, &bytes, &buffers) == RUNT_OK && buffers > 0,
                  "int8 %d: %d buffers of converted weights", int8, buffers);
        o.batch = 2;
        RT_ASSERT(runt_session_create(m, &o, &second) == RUNT_OK, "%s", runt_last_error());
        runt_model_converted_weights(m, &bytes_after, &buffers_after);
        RT_ASSERT(bytes_after == bytes && buffers_after == buffers,
                  "int8 %d: the second session added weights: %d buffers of %zu bytes, then "
                  "%d of %zu", int8, buffers, bytes, buffers_after, bytes_after);
        runt_session_stats st;
        RT_ASSERT(runt_session_stats_get(second, &st) == RUNT_OK &&
                      st.backend_weight_bytes == bytes,
                  "int8 %d: the second session reads %zu bytes of the model's %zu", int8,
                  st.backend_weight_bytes, bytes);

        runt_tensor in, out;
        runt_session_input_desc(second, 0, &in);
        runt_session_output_desc(second, 0, &out);
        size_t ni = (size_t)runt_tensor_count(&in), no = (size_t)runt_tensor_count(&out);
        rt_rng r = rt_rng_make(14);
        float *x = malloc(ni * sizeof(float)), *y = malloc(no * sizeof(float)),
              *y_before = malloc(no * sizeof(float));
        RT_ASSERT(x && y && y_before, "out of memory");
        rt_fill_uniform(&r, x, ni, -1.0f, 1.0f);
        in.data = x;
        out.data = y_before;
        RT_ASSERT(runt_session_run(second, &in, 1, &out, 1) == RUNT_OK, "%s", runt_last_error());
        runt_session_free(first);
        out.data = y;
        RT_ASSERT(runt_session_run(second, &in, 1, &out, 1) == RUNT_OK, "%s", runt_last_error());
        RT_ASSERT(memcmp(y, y_before, no * sizeof(float)) == 0,
                  "int8 %d: the outputs changed when the session that uploaded the weights "
                  "was freed", int8);
        runt_session_free(second);
        runt_model_converted_weights(m, &bytes_after, &buffers_after);
        RT_ASSERT(buffers_after == 0 && bytes_after == 0,
                  "int8 %d: %d buffers left after the last session", int8, buffers_after);
        free(x);
        free(y);
        free(y_before);
    }
    runt_model_free(m);
}
