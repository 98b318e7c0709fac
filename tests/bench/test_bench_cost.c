/* The cost model's arithmetic against numbers worked out by hand from a
 * made-up calibration, and a session's prediction against the same
 * arithmetic done from the layer's shape. */
#include <math.h>
#include <string.h>

#include "cost_model.h"
#include "made_up_calibration.h"
#include "rt_test.h"
#include "zoo.h"

RT_TEST(bench_cost, levels_follow_capacity)
{
    runt_calibration c = rt_made_up_calibration();
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
    runt_calibration c = rt_made_up_calibration();
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
    runt_session *s;
    rt_ref_session("seed1_model5", &m, &s);
    runt_session_stats st;
    RT_ASSERT(runt_session_stats_get(s, &st) == RUNT_OK, "stats");
    /* Linear(1000, 10) at batch 1: weights 10000 + 10 floats = 40040 bytes;
     * input 4000 + output 40 bytes. Footprint = arena + io + weights. */
    double io = 4000 + 40, weights = 40040;
    double footprint = (double)st.arena_bytes + io + weights;
    runt_calibration c = rt_made_up_calibration();
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
    runt_calibration c = rt_made_up_calibration();
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

/* ------------------------------------------------------------------------- */
/* The terms and the bound                                                    */
/* ------------------------------------------------------------------------- */

RT_TEST(bench_cost, node_terms_name_the_level_of_each_kind_of_bytes)
{
    runt_calibration c = rt_made_up_calibration();
    /* A GEMV with a 4 MB footprint: its weights come from L3, its 1000
     * activation bytes (own traffic) from L1. */
    double flops = 2e6, weights = 4e6, acts = 1000, footprint = 4e6;
    runt_cost_model_node n = {.flops = flops, .weight_bytes = weights, .other_bytes = acts,
                              .matmul = 1};
    runt_cost_terms t = runt_cost_model_node_terms(&c, &n, footprint);
    double compute = flops / (c.peak_gflops * 1e3);
    double l3 = weights / (c.bw_gbps[RUNT_LEVEL_L3] * 1e3);
    double l1 = acts / (c.bw_gbps[RUNT_LEVEL_L1] * 1e3);
    RT_ASSERT(fabs(t.compute_us - compute) < 1e-12, "compute %.9f, by hand %.9f", t.compute_us,
              compute);
    RT_ASSERT(fabs(t.memory_us[RUNT_LEVEL_L3] - l3) < 1e-12 &&
                  fabs(t.memory_us[RUNT_LEVEL_L1] - l1) < 1e-12,
              "L3 %.9f (by hand %.9f), L1 %.9f (by hand %.9f)", t.memory_us[RUNT_LEVEL_L3], l3,
              t.memory_us[RUNT_LEVEL_L1], l1);
    RT_ASSERT(t.memory_us[RUNT_LEVEL_L2] == 0 && t.memory_us[RUNT_LEVEL_DRAM] == 0,
              "no bytes from L2 or DRAM");
    RT_ASSERT(t.dispatch_us == 0 && t.copy_us == 0, "a node's work has no dispatch or copy");
    RT_ASSERT(runt_cost_terms_level(&t) == RUNT_LEVEL_L3, "most memory time is L3's");
    RT_ASSERT(runt_cost_terms_bound(&t) == RUNT_BOUND_L3, "bound by L3: %d",
              runt_cost_terms_bound(&t));
    /* The node's time is the slower of compute and memory plus its dispatch
     * and copy, and the same as runt_cost_model_node_us without them. */
    t.dispatch_us = c.launch_us;
    double want = fmax(compute, l3 + l1) + c.launch_us;
    RT_ASSERT(fabs(runt_cost_terms_us(&t) - want) < 1e-12, "node %.9f, by hand %.9f",
              runt_cost_terms_us(&t), want);
    RT_ASSERT(fabs(runt_cost_model_node_us(&c, &n, footprint) - (want - c.launch_us)) < 1e-12,
              "node_us leaves dispatch out");
    /* Enough FLOPs and compute takes over. */
    n.flops = 1e9;
    t = runt_cost_model_node_terms(&c, &n, footprint);
    RT_ASSERT(runt_cost_terms_bound(&t) == RUNT_BOUND_COMPUTE, "1 GFLOP is compute-bound");
    RT_ASSERT(runt_cost_terms_level(&t) == RUNT_LEVEL_L3, "the level is still named");
}

RT_TEST(bench_cost, attribution_counts_only_the_slower_of_compute_and_memory)
{
    runt_cost_terms t;
    memset(&t, 0, sizeof t);
    t.compute_us = 3;
    t.memory_us[RUNT_LEVEL_L1] = 1;
    t.memory_us[RUNT_LEVEL_DRAM] = 4;  /* memory 5 > compute 3 */
    t.dispatch_us = 0.5;
    t.copy_us = 0.25;
    double by[RUNT_BOUND_COUNT] = {0};
    runt_cost_terms_attribute(&t, by);
    RT_ASSERT(by[RUNT_BOUND_COMPUTE] == 0, "compute hidden under memory: %g", by[RUNT_BOUND_COMPUTE]);
    RT_ASSERT(by[RUNT_BOUND_L1] == 1 && by[RUNT_BOUND_DRAM] == 4 && by[RUNT_BOUND_L2] == 0,
              "each level its own time");
    RT_ASSERT(by[RUNT_BOUND_DISPATCH] == 0.5 && by[RUNT_BOUND_COPY] == 0.25, "dispatch and copy");
    double sum = 0;
    for (int b = 0; b < RUNT_BOUND_COUNT; b++)
        sum += by[b];
    RT_ASSERT(sum == runt_cost_terms_us(&t), "the split adds up to the node's time: %g vs %g", sum,
              runt_cost_terms_us(&t));
    RT_ASSERT(runt_cost_model_bound(by) == RUNT_BOUND_DRAM, "bound by DRAM");
    /* Attribution adds: a second node's compute lands beside the first's. */
    runt_cost_terms u;
    memset(&u, 0, sizeof u);
    u.compute_us = 6;
    u.memory_us[RUNT_LEVEL_L2] = 2;
    runt_cost_terms_attribute(&u, by);
    RT_ASSERT(by[RUNT_BOUND_COMPUTE] == 6 && by[RUNT_BOUND_L2] == 0, "compute 6 over memory 2");
    RT_ASSERT(runt_cost_model_bound(by) == RUNT_BOUND_COMPUTE, "6 us of compute beat 4 of DRAM");
}

RT_TEST(bench_cost, ties_go_to_the_earlier_bound)
{
    runt_calibration c = rt_made_up_calibration();
    /* 1e5 FLOPs at 100 GFLOP/s and 1e5 bytes at L1's 100 GB/s: both 1 us. */
    runt_cost_model_node n = {.flops = 1e5, .weight_bytes = 0, .other_bytes = 1e5, .matmul = 1};
    c.level_bytes[RUNT_LEVEL_L1] = 1e5;
    runt_cost_terms t = runt_cost_model_node_terms(&c, &n, 0);
    RT_ASSERT(t.compute_us == t.memory_us[RUNT_LEVEL_L1], "a tie: %.17g vs %.17g", t.compute_us,
              t.memory_us[RUNT_LEVEL_L1]);
    RT_ASSERT(runt_cost_terms_bound(&t) == RUNT_BOUND_COMPUTE, "compute wins a tie with memory");
    double by[RUNT_BOUND_COUNT] = {0};
    by[RUNT_BOUND_L2] = by[RUNT_BOUND_DISPATCH] = by[RUNT_BOUND_COPY] = 5;
    RT_ASSERT(runt_cost_model_bound(by) == RUNT_BOUND_L2, "L2 before dispatch and copy");
    by[RUNT_BOUND_L1] = 5;
    RT_ASSERT(runt_cost_model_bound(by) == RUNT_BOUND_L1, "the nearer level first");
    double none[RUNT_BOUND_COUNT] = {0};
    RT_ASSERT(runt_cost_model_bound(none) == RUNT_BOUND_COMPUTE, "no time at all: the first");
    memset(&t, 0, sizeof t);
    t.memory_us[RUNT_LEVEL_L2] = t.memory_us[RUNT_LEVEL_DRAM] = 2;
    RT_ASSERT(runt_cost_terms_level(&t) == RUNT_LEVEL_L2, "equal levels: the nearer is named");
    memset(&t, 0, sizeof t);
    RT_ASSERT(runt_cost_terms_level(&t) == -1, "no memory time: no level");
}

RT_TEST(bench_cost, bound_names)
{
    runt_calibration c = rt_made_up_calibration();
    static const char *const host[RUNT_BOUND_COUNT] = {"compute", "L1",       "L2",  "L3",
                                                       "DRAM",    "dispatch", "copy"};
    for (int b = 0; b < RUNT_BOUND_COUNT; b++)
        RT_ASSERT(strcmp(runt_cost_model_bound_name(&c, (runt_bound)b), host[b]) == 0,
                  "bound %d is %s", b, runt_cost_model_bound_name(&c, (runt_bound)b));
    c.host_memory = 0;
    RT_ASSERT(strcmp(runt_cost_model_bound_name(&c, RUNT_BOUND_DRAM), "device") == 0,
              "a GPU's farthest level is its own memory");
    RT_ASSERT(strcmp(runt_cost_model_bound_name(&c, RUNT_BOUND_L2), "L2") == 0, "its L2 is L2");
}

/* Two Linears, 100 -> 500 -> 100 at batch 1, on ref: every term worked out
 * from the shapes and the made-up calibration. */
RT_TEST(bench_cost, two_node_session_terms_from_the_shapes)
{
    runt_model *m;
    runt_session *s;
    rt_ref_session("seed1_model4", &m, &s);
    runt_session_stats st;
    RT_ASSERT(runt_session_stats_get(s, &st) == RUNT_OK, "stats");
    RT_ASSERT(st.n_nodes == 2, "two Gemm nodes, got %d", st.n_nodes);
    runt_calibration c = rt_made_up_calibration();
    const double in[2] = {100, 500}, outw[2] = {500, 100};
    double in_bytes = 4 * in[0], out_bytes = 4 * outw[1];
    double weights[2], all_weights = 0;
    for (int i = 0; i < 2; i++)
        all_weights += weights[i] = 4 * (in[i] * outw[i] + outw[i]);
    double footprint = (double)st.arena_bytes + in_bytes + out_bytes + all_weights;
    /* The made-up levels: 32 KiB, 1 MiB, 32 MiB, then DRAM. */
    int wl = footprint <= 32768 ? RUNT_LEVEL_L1 : footprint <= 1048576 ? RUNT_LEVEL_L2 : RUNT_LEVEL_L3;
    runt_cost_terms nodes[2];
    runt_cost_prediction p;
    RT_ASSERT(runt_cost_model_explain(&c, s, RUNT_F32, in_bytes, out_bytes, nodes, &p) == RUNT_OK,
              "%s", runt_last_error());
    double want_by[RUNT_BOUND_COUNT] = {0};
    double want_us = c.run_us + st.launches * c.launch_us;
    for (int i = 0; i < 2; i++) {
        double compute = (2 * in[i] * outw[i] + outw[i]) / (c.peak_gflops * 1e3);
        double acts = 4 * (in[i] + outw[i]); /* its input read, its output written */
        int al = acts <= 32768 ? RUNT_LEVEL_L1 : RUNT_LEVEL_L2;
        double mem_w = weights[i] / (c.bw_gbps[wl] * 1e3), mem_a = acts / (c.bw_gbps[al] * 1e3);
        double dispatch = st.launches * c.launch_us / 2;
        RT_ASSERT(fabs(nodes[i].compute_us - compute) < 1e-12, "node %d compute %.9f, by hand %.9f",
                  i, nodes[i].compute_us, compute);
        double got_w = nodes[i].memory_us[wl] - (al == wl ? mem_a : 0);
        RT_ASSERT(fabs(got_w - mem_w) < 1e-12, "node %d weights %.9f us, by hand %.9f", i, got_w,
                  mem_w);
        RT_ASSERT(fabs(runt_cost_terms_memory_us(&nodes[i]) - (mem_w + mem_a)) < 1e-12,
                  "node %d memory %.9f, by hand %.9f", i, runt_cost_terms_memory_us(&nodes[i]),
                  mem_w + mem_a);
        RT_ASSERT(fabs(nodes[i].dispatch_us - dispatch) < 1e-12 && nodes[i].copy_us == 0,
                  "node %d dispatch %.9f, by hand %.9f", i, nodes[i].dispatch_us, dispatch);
        want_us += fmax(compute, mem_w + mem_a);
        if (compute >= mem_w + mem_a) {
            want_by[RUNT_BOUND_COMPUTE] += compute;
        } else {
            want_by[RUNT_BOUND_L1 + wl] += mem_w;
            want_by[RUNT_BOUND_L1 + al] += mem_a;
        }
        want_by[RUNT_BOUND_DISPATCH] += dispatch;
    }
    want_by[RUNT_BOUND_DISPATCH] += c.run_us;
    RT_ASSERT(fabs(p.us - want_us) < 1e-9, "predicted %.9f us, by hand %.9f", p.us, want_us);
    RT_ASSERT(p.copy_us == 0 && p.run.copy_us == 0 && p.run.dispatch_us == c.run_us,
              "a host backend copies nothing; the run's own term is run_us");
    runt_bound want_bound = RUNT_BOUND_COMPUTE;
    for (int b = 0; b < RUNT_BOUND_COUNT; b++) {
        RT_ASSERT(fabs(p.by_bound[b] - want_by[b]) < 1e-9, "%s: %.9f us, by hand %.9f",
                  runt_cost_model_bound_name(&c, (runt_bound)b), p.by_bound[b], want_by[b]);
        if (want_by[b] > want_by[want_bound])
            want_bound = (runt_bound)b;
    }
    RT_ASSERT(p.bound == want_bound, "bound %s, by hand %s", runt_cost_model_bound_name(&c, p.bound),
              runt_cost_model_bound_name(&c, want_bound));
    /* With these numbers the weights' level dominates: 402400 weight bytes
     * against 100600 FLOPs at a 100 GFLOP/s peak. */
    RT_ASSERT(p.bound == (runt_bound)(RUNT_BOUND_L1 + wl), "memory-bound at the weights' level");
    runt_session_free(s);
    runt_model_free(m);
}

/* A device-memory calibration: the copies of inputs and outputs are a term
 * of their own, outside predicted_us (device events leave them out), and
 * they are the bound when they are the largest. */
RT_TEST(bench_cost, device_copies_are_their_own_term)
{
    runt_model *m;
    runt_session *s;
    rt_ref_session("seed1_model5", &m, &s);
    runt_calibration host = rt_made_up_calibration(), dev = rt_made_up_calibration();
    dev.host_memory = 0;
    dev.h2d_gbps = 0.5;   /* a slow, pageable copy */
    dev.d2h_gbps = 0.25;
    double in_bytes = 4 * 1000, out_bytes = 4 * 10; /* Linear(1000, 10) at batch 1 */
    runt_cost_prediction ph, pd;
    RT_ASSERT(runt_cost_model_explain(&host, s, RUNT_F32, in_bytes, out_bytes, NULL, &ph) == RUNT_OK &&
                  runt_cost_model_explain(&dev, s, RUNT_F32, in_bytes, out_bytes, NULL, &pd) ==
                      RUNT_OK,
              "%s", runt_last_error());
    double copy = in_bytes / (dev.h2d_gbps * 1e3) + out_bytes / (dev.d2h_gbps * 1e3);
    RT_ASSERT(fabs(pd.copy_us - copy) < 1e-12 && pd.run.copy_us == pd.copy_us,
              "copies %.9f us, by hand %.9f", pd.copy_us, copy);
    RT_ASSERT(pd.us == ph.us, "predicted_us is the same with or without copies: %.9f vs %.9f",
              pd.us, ph.us);
    RT_ASSERT(pd.by_bound[RUNT_BOUND_COPY] == pd.copy_us && pd.bound == RUNT_BOUND_COPY,
              "%.3f us of copies against a %.3f us run: bound by copy", pd.copy_us, pd.us);
    RT_ASSERT(ph.copy_us == 0 && ph.bound != RUNT_BOUND_COPY, "host memory: no copies");
    /* Unmeasured copy rates give no term rather than a made-up one. */
    dev.h2d_gbps = dev.d2h_gbps = NAN;
    RT_ASSERT(runt_cost_model_explain(&dev, s, RUNT_F32, in_bytes, out_bytes, NULL, &pd) == RUNT_OK &&
                  pd.copy_us == 0,
              "no rate, no copy term");
    runt_session_free(s);
    runt_model_free(m);
}
