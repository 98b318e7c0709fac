/* The cost model's arithmetic against numbers worked out by hand from a
 * made-up calibration, and a session's prediction against the same
 * arithmetic done from the layer's shape. */
#include <math.h>
#include <string.h>

#include "cost_model.h"
#include "rt_test.h"
#include "zoo.h"

/* L1 32 KiB at 100 GB/s, L2 1 MiB at 50, L3 32 MiB at 20, DRAM 10; f32
 * 100 GFLOP/s, int8 400 GOP/s, elementwise 2 GFLOP/s; 0.5 us per launch,
 * 0.25 us per run. */
static runt_calibration made_up(void)
{
    runt_calibration c;
    memset(&c, 0, sizeof c);
    strcpy(c.backend, "ref");
    c.threads = 1;
    c.host_memory = 1;
    c.peak_gflops = 100;
    c.peak_int8_gops = 400;
    c.eltwise_gflops = 2;
    double bw[4] = {100, 50, 20, 10}, cap[4] = {32768, 1048576, 33554432, INFINITY};
    memcpy(c.bw_gbps, bw, sizeof bw);
    memcpy(c.level_bytes, cap, sizeof cap);
    c.launch_us = 0.5;
    c.run_us = 0.25;
    c.h2d_gbps = c.d2h_gbps = NAN;
    return c;
}

RT_TEST(bench_cost, levels_follow_capacity)
{
    runt_calibration c = made_up();
    RT_ASSERT(runt_cost_model_level(&c, 1000) == RUNT_LEVEL_L1, "1 kB in L1");
    RT_ASSERT(runt_cost_model_level(&c, 32768) == RUNT_LEVEL_L1, "exactly L1 fits L1");
    RT_ASSERT(runt_cost_model_level(&c, 32769) == RUNT_LEVEL_L2, "one byte more is L2");
    RT_ASSERT(runt_cost_model_level(&c, 4e6) == RUNT_LEVEL_L3, "4 MB in L3");
    RT_ASSERT(runt_cost_model_level(&c, 1e9) == RUNT_LEVEL_DRAM, "1 GB in DRAM");
    c.bw_gbps[RUNT_LEVEL_L1] = NAN; /* a GPU: no L1 probe */
    RT_ASSERT(runt_cost_model_level(&c, 1000) == RUNT_LEVEL_L2, "unprobed L1 is skipped");
}

RT_TEST(bench_cost, node_is_the_slower_of_compute_and_memory)
{
    runt_calibration c = made_up();
    /* Memory-bound GEMV: 4e6 weight bytes with a 4 MB footprint (L3, 20 GB/s)
     * = 200 us, plus 1000 activation bytes in L1 (100 GB/s) = 0.01 us;
     * compute 2e6 FLOPs / 100 GFLOP/s = 20 us. */
    runt_cost_model_node n = {.flops = 2e6, .weight_bytes = 4e6, .other_bytes = 1000, .matmul = 1};
    double got = runt_cost_model_node_us(&c, &n, 4e6);
    RT_ASSERT(fabs(got - 200.01) < 1e-9, "GEMV %.6f us, by hand 200.01", got);
    /* Compute-bound GEMM: 2e9 FLOPs = 20000 us against 200.01 us of memory. */
    n.flops = 2e9;
    got = runt_cost_model_node_us(&c, &n, 4e6);
    RT_ASSERT(fabs(got - 20000) < 1e-6, "GEMM %.6f us, by hand 20000", got);
    /* The same in int8: 2e9 / 400 GOP/s = 5000 us. */
    n.int8 = 1;
    got = runt_cost_model_node_us(&c, &n, 4e6);
    RT_ASSERT(fabs(got - 5000) < 1e-6, "int8 GEMM %.6f us, by hand 5000", got);
    /* An elementwise op: 1e6 FLOPs at 2 GFLOP/s = 500 us; its 8e6 bytes in
     * L3 = 400 us. */
    runt_cost_model_node relu = {.flops = 1e6, .weight_bytes = 0, .other_bytes = 8e6};
    got = runt_cost_model_node_us(&c, &relu, 8e6);
    RT_ASSERT(fabs(got - 500) < 1e-9, "ReLU %.6f us, by hand 500", got);
}

RT_TEST(bench_cost, describe_converts_weights_for_int8)
{
    runt_node_info info;
    memset(&info, 0, sizeof info);
    info.op = RUNT_OP_GEMM;
    info.cost.params = 1000;
    info.cost.flops = 2000;
    info.cost.bytes_read = 4000 + 400;  /* weights, input */
    info.cost.bytes_written = 40;
    runt_cost_model_node f = runt_cost_model_describe(&info, RUNT_F32);
    RT_ASSERT(f.weight_bytes == 4000 && f.other_bytes == 440 && f.matmul && !f.int8,
              "f32: %g weight bytes, %g others", f.weight_bytes, f.other_bytes);
    runt_cost_model_node q = runt_cost_model_describe(&info, RUNT_I8);
    RT_ASSERT(q.weight_bytes == 1000 && q.other_bytes == 440 && q.int8,
              "int8: 1 byte per weight, got %g", q.weight_bytes);
    info.op = RUNT_OP_RELU;
    RT_ASSERT(!runt_cost_model_describe(&info, RUNT_I8).int8, "a ReLU is no int8 matrix product");
}

RT_TEST(bench_cost, session_prediction_from_the_layer_shape)
{
    runt_model *m;
    RT_ASSERT(runt_zoo_build("seed1_model5", &m) == RUNT_OK, "%s", runt_last_error());
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    runt_session *s;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    runt_session_stats st;
    RT_ASSERT(runt_session_stats_get(s, &st) == RUNT_OK, "stats");
    /* Linear(1000, 10) at batch 1: weights 10000 + 10 floats = 40040 bytes;
     * input 4000 + output 40 bytes. Footprint = arena + io + weights. */
    double io = 4000 + 40, weights = 40040;
    double footprint = (double)st.arena_bytes + io + weights;
    runt_calibration c = made_up();
    double bw = footprint <= 32768 ? 100 : footprint <= 1048576 ? 50 : 20;
    double memory = weights / (bw * 1e3) + io / (100 * 1e3);
    double compute = (2.0 * 1000 * 10 + 10) / (100 * 1e3);
    double want = c.run_us + st.launches * c.launch_us + fmax(memory, compute);
    runt_cost_prediction p;
    RT_ASSERT(runt_cost_model_explain(&c, s, RUNT_F32, 4000, 40, NULL, &p) == RUNT_OK, "%s",
              runt_last_error());
    RT_ASSERT(fabs(p.us - want) < 1e-9, "predicted %.9f us, by hand %.9f", p.us, want);
    runt_session_free(s);
    runt_model_free(m);
}

RT_TEST(bench_cost, nearer_levels_are_never_slower)
{
    runt_calibration c = made_up();
    double noisy[4] = {80, 0.4, NAN, 9};  /* L2 caught another process; L3 unprobed */
    memcpy(c.bw_gbps, noisy, sizeof noisy);
    runt_calibration_monotone(&c);
    RT_ASSERT(c.bw_gbps[0] == 80 && c.bw_gbps[1] == 9 && isnan(c.bw_gbps[2]) && c.bw_gbps[3] == 9,
              "raised to the farther level: %g %g %g %g", c.bw_gbps[0], c.bw_gbps[1], c.bw_gbps[2],
              c.bw_gbps[3]);
    RT_ASSERT(c.raised == 1 << RUNT_LEVEL_L2, "L2 marked as raised: %d", c.raised);
    double sane[4] = {100, 50, 20, 10};
    memcpy(c.bw_gbps, sane, sizeof sane);
    c.raised = 0;
    runt_calibration_monotone(&c);
    RT_ASSERT(memcmp(c.bw_gbps, sane, sizeof sane) == 0 && !c.raised, "ordered levels are left alone");
}
