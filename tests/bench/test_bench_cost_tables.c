/* The cost model's use of the calibration's tables (per-op rates, fused
 * activations, the conv grid) against numbers worked out by hand from the
 * made-up calibration with table entries set here. */
#include <math.h>
#include <string.h>

#include "cost_model.h"
#include "made_up_calibration.h"
#include "rt_test.h"

/* Index of op in runt_op_rate_ops; fails the test when it is not there. */
static int op_slot(runt_op op)
{
    for (int k = 0; k < RUNT_OP_RATE_COUNT; k++)
        if (runt_op_rate_ops[k] == op)
            return k;
    RT_ASSERT(0, "%s is not in runt_op_rate_ops", runt_op_name(op));
    return 0;
}

static int close_to(double got, double want)
{
    return fabs(got - want) <= 1e-9 * fmax(1, fabs(want));
}

RT_TEST(bench_cost_tables, an_op_takes_its_own_rate_else_the_elementwise_one)
{
    runt_calibration c = rt_made_up_calibration();
    c.op_gflops[op_slot(RUNT_OP_TANH)] = 0.1;
    /* 1e6 FLOPs of Tanh at 0.1 GFLOP/s = 10000 us (its 8e6 bytes in L3 at
     * 20 GB/s are 400 us, hidden under it). */
    runt_cost_model_node tanh_node = {.op = RUNT_OP_TANH, .flops = 1e6, .other_bytes = 8e6};
    double got = runt_cost_model_node_us(&c, &tanh_node, 8e6);
    RT_ASSERT(close_to(got, 10000), "Tanh %.6f us, by hand 10000", got);
    /* Softmax has no entry here: the elementwise 2 GFLOP/s, 500 us. */
    runt_cost_model_node softmax = tanh_node;
    softmax.op = RUNT_OP_SOFTMAX;
    got = runt_cost_model_node_us(&c, &softmax, 8e6);
    RT_ASSERT(close_to(got, 500), "Softmax %.6f us, by hand 500", got);
    RT_ASSERT(runt_calibration_op_gflops(&c, RUNT_OP_SOFTMAX) == 0 &&
                  runt_calibration_op_gflops(&c, RUNT_OP_GEMM) == 0,
              "no rate where none was measured, nor for an op outside the table");
}

RT_TEST(bench_cost_tables, a_fused_activation_adds_its_outputs_at_its_rate)
{
    runt_calibration c = rt_made_up_calibration();
    /* Gemm of 2e6 FLOPs (100 GFLOP/s: 20 us) with a Tanh over its 1000
     * outputs, counted in its FLOPs (runt_cost adds 1 per output). */
    runt_cost_model_node n = {.op = RUNT_OP_GEMM, .flops = 2e6 + 1000, .matmul = 1,
                              .act = RUNT_ACT_TANH, .act_elements = 1000};
    /* No table entry: the elementwise rate, 1000 / 2 GFLOP/s = 0.5 us. */
    double got = runt_cost_model_node_us(&c, &n, 0);
    RT_ASSERT(close_to(got, 20.5), "elementwise: %.6f us, by hand 20.5", got);
    /* The op's own rate, 0.25 GFLOP/s: 4 us. */
    c.op_gflops[op_slot(RUNT_OP_TANH)] = 0.25;
    got = runt_cost_model_node_us(&c, &n, 0);
    RT_ASSERT(close_to(got, 24), "op rate: %.6f us, by hand 24", got);
    /* The fused activation's own rate wins, 0.5 GFLOP/s: 2 us. */
    c.act_gflops[0][RUNT_ACT_TANH] = 0.5;
    got = runt_cost_model_node_us(&c, &n, 0);
    RT_ASSERT(close_to(got, 22), "epilogue rate: %.6f us, by hand 22", got);
    /* An int8 layer reads the int8 row: 2e6 at 400 GOP/s = 5 us, its Tanh
     * at 0.1 GFLOP/s 10 us; with no int8 entry, the op's rate again (4). */
    n.int8 = 1;
    got = runt_cost_model_node_us(&c, &n, 0);
    RT_ASSERT(close_to(got, 9), "int8, no int8 entry: %.6f us, by hand 9", got);
    c.act_gflops[1][RUNT_ACT_TANH] = 0.1;
    got = runt_cost_model_node_us(&c, &n, 0);
    RT_ASSERT(close_to(got, 15), "int8 entry: %.6f us, by hand 15", got);
    RT_ASSERT(runt_activation_op(RUNT_ACT_GELU_TANH) == RUNT_OP_GELU &&
                  runt_activation_op(RUNT_ACT_LEAKY_RELU) == RUNT_OP_LEAKY_RELU &&
                  runt_activation_op(RUNT_ACT_NONE) == RUNT_OP_COUNT &&
                  runt_activation_op((runt_activation)99) == RUNT_OP_COUNT,
              "activation to op");
    RT_ASSERT(runt_calibration_act_gflops(&c, RUNT_OP_GEMM, 0, (runt_activation)99) == 0 &&
                  runt_calibration_act_gflops(&c, RUNT_OP_GEMM, 0, RUNT_ACT_NONE) == 0,
              "no rate for none or an unknown activation");
}

/* After a Conv, a fused activation takes the conv table's rate where it was
 * measured, else the Gemm's; a Gemm never takes the conv's. */
RT_TEST(bench_cost_tables, a_conv_epilogue_takes_its_own_rate)
{
    runt_calibration c = rt_made_up_calibration();
    c.act_gflops[0][RUNT_ACT_LEAKY_RELU] = 100;
    RT_ASSERT(runt_calibration_act_gflops(&c, RUNT_OP_CONV, 0, RUNT_ACT_LEAKY_RELU) == 100,
              "no conv entry: the Gemm's");
    c.conv_act_gflops[0][RUNT_ACT_LEAKY_RELU] = 0.25;
    RT_ASSERT(runt_calibration_act_gflops(&c, RUNT_OP_CONV, 0, RUNT_ACT_LEAKY_RELU) == 0.25 &&
                  runt_calibration_act_gflops(&c, RUNT_OP_GEMM, 0, RUNT_ACT_LEAKY_RELU) == 100 &&
                  runt_calibration_act_gflops(&c, RUNT_OP_CONV, 1, RUNT_ACT_LEAKY_RELU) == 0,
              "conv f32 its own; Gemm the Gemm's; conv int8 none");
    /* A Conv node with 1000 fused outputs: 1000 / 0.25 GFLOP/s = 4 us on
     * top of 2e6 FLOPs at the 100 GFLOP/s peak (no conv grid: 20 us). */
    runt_cost_model_node n = {.op = RUNT_OP_CONV, .flops = 2e6 + 1000, .matmul = 1,
                              .act = RUNT_ACT_LEAKY_RELU, .act_elements = 1000};
    double got = runt_cost_model_node_us(&c, &n, 0);
    RT_ASSERT(close_to(got, 24), "conv + its epilogue: %.6f us, by hand 24", got);
    n.op = RUNT_OP_GEMM;
    got = runt_cost_model_node_us(&c, &n, 0);
    RT_ASSERT(close_to(got, 20.01), "gemm + its epilogue: %.6f us, by hand 20.01", got);
}

/* A rate that is a product of powers of depth, channels and side is linear
 * in their logs, so log-space interpolation must give it exactly between
 * the grid's points. */
static double power_law(double depth, double out, double side)
{
    return 3.0 * pow(depth, 0.4) * pow(out, 0.7) * pow(side, 0.2);
}

static void fill_grid(runt_calibration *c, int q)
{
    for (int d = 0; d < RUNT_CONV_GRID_DEPTHS; d++)
        for (int o = 0; o < RUNT_CONV_GRID_OUTS; o++)
            for (int s = 0; s < RUNT_CONV_GRID_SIDES; s++)
                c->conv_gflops[q][d][o][s] =
                    power_law((double)runt_conv_grid_depth[d], (double)runt_conv_grid_out[o],
                              (double)runt_conv_grid_side[s]);
}

RT_TEST(bench_cost_tables, conv_grid_interpolates_in_logs_and_clamps)
{
    runt_calibration c = rt_made_up_calibration();
    RT_ASSERT(runt_calibration_conv_gflops(&c, 0, 72, 16, 64) == 0, "no grid: 0");
    fill_grid(&c, 0);
    double lo_d = (double)runt_conv_grid_depth[0], hi_d = (double)runt_conv_grid_depth[2];
    double lo_o = (double)runt_conv_grid_out[0], hi_o = (double)runt_conv_grid_out[2];
    double lo_s = (double)runt_conv_grid_side[0], hi_s = (double)runt_conv_grid_side[1];
    /* Between the points: depth 24, 8 channels, a 16x16 image. */
    double depth = sqrt(lo_d * (double)runt_conv_grid_depth[1]), out = 8, side = 16;
    double got = runt_calibration_conv_gflops(&c, 0, depth, out, side * side);
    RT_ASSERT(close_to(got, power_law(depth, out, side)), "inside: %.9f against %.9f", got,
              power_law(depth, out, side));
    /* A grid point itself. */
    got = runt_calibration_conv_gflops(&c, 0, 72, 16, lo_s * lo_s);
    RT_ASSERT(close_to(got, power_law(72, 16, lo_s)), "on a point: %g", got);
    /* Outside on every axis: the nearest corner. */
    got = runt_calibration_conv_gflops(&c, 0, 5000, 1000, 1e6);
    RT_ASSERT(close_to(got, power_law(hi_d, hi_o, hi_s)), "above: %g", got);
    got = runt_calibration_conv_gflops(&c, 0, 1, 1, 1);
    RT_ASSERT(close_to(got, power_law(lo_d, lo_o, lo_s)), "below: %g", got);
    /* int8 reads its own grid, empty here. */
    RT_ASSERT(runt_calibration_conv_gflops(&c, 1, depth, out, side * side) == 0, "no int8 grid");
    fill_grid(&c, 1);
    c.conv_gflops[1][0][0][0] = 0; /* one point not measured */
    RT_ASSERT(runt_calibration_conv_gflops(&c, 1, depth, out, side * side) == 0,
              "a shape that needs a missing point gets 0");
    RT_ASSERT(close_to(runt_calibration_conv_gflops(&c, 1, hi_d, hi_o, hi_s * hi_s),
                       power_law(hi_d, hi_o, hi_s)),
              "a shape away from it still has its rate");
}

RT_TEST(bench_cost_tables, describe_reads_a_convs_shape_and_activation)
{
    runt_node_info info;
    memset(&info, 0, sizeof info);
    info.op = RUNT_OP_CONV;
    info.epilogue.act = RUNT_ACT_RELU;
    info.output.ndim = 4;
    int64_t dims[4] = {2, 8, 16, 16};
    memcpy(info.output.dims, dims, sizeof dims);
    double outputs = 2.0 * 8 * 16 * 16, depth = 3 * 5 * 5;
    /* runt_cost's count: 2 per multiply-add, 1 per output for the bias and
     * 1 for the activation. */
    info.cost.flops = (int64_t)(2 * outputs * depth + outputs + outputs);
    runt_cost_model_node n = runt_cost_model_describe(&info, RUNT_F32);
    RT_ASSERT(n.conv_depth == depth && n.conv_out_channels == 8 && n.conv_pixels == 256,
              "depth %g, channels %g, pixels %g", n.conv_depth, n.conv_out_channels, n.conv_pixels);
    RT_ASSERT(n.act == RUNT_ACT_RELU && n.act_elements == outputs, "activation over %g outputs",
              n.act_elements);
    info.epilogue.act = RUNT_ACT_NONE;
    info.cost.flops = (int64_t)(2 * outputs * depth); /* no bias, no activation */
    n = runt_cost_model_describe(&info, RUNT_F32);
    RT_ASSERT(n.conv_depth == depth && n.act_elements == 0, "bare conv: depth %g", n.conv_depth);
    info.op = RUNT_OP_GEMM;
    RT_ASSERT(runt_cost_model_describe(&info, RUNT_F32).conv_depth == 0, "a Gemm has no depth");
}

RT_TEST(bench_cost_tables, a_conv_takes_the_grids_rate_and_a_gemm_the_peak)
{
    runt_calibration c = rt_made_up_calibration();
    fill_grid(&c, 0);
    c.act_gflops[0][RUNT_ACT_RELU] = 4;
    c.act_gflops[1][RUNT_ACT_RELU] = 4;
    /* Conv at a grid point (depth 72, 16 channels, 8x8), 2e6 FLOPs of
     * product and 1000 ReLU outputs. */
    double side = (double)runt_conv_grid_side[0], rate = power_law(72, 16, side);
    runt_cost_model_node n = {.op = RUNT_OP_CONV, .flops = 2e6 + 1000, .matmul = 1,
                              .act = RUNT_ACT_RELU, .act_elements = 1000, .conv_depth = 72,
                              .conv_out_channels = 16, .conv_pixels = side * side};
    double want = 2e6 / (rate * 1e3) + 1000 / (4 * 1e3);
    double got = runt_cost_model_node_us(&c, &n, 0);
    RT_ASSERT(close_to(got, want), "conv %.6f us, by hand %.6f", got, want);
    /* In int8 with no int8 grid: the int8 peak, 400 GOP/s. */
    n.int8 = 1;
    want = 2e6 / (400 * 1e3) + 1000 / (4 * 1e3);
    got = runt_cost_model_node_us(&c, &n, 0);
    RT_ASSERT(close_to(got, want), "int8 conv %.6f us, by hand %.6f", got, want);
    /* The same FLOPs as a Gemm: the f32 peak, 100 GFLOP/s. */
    n.int8 = 0;
    n.op = RUNT_OP_GEMM;
    n.conv_depth = 0;
    want = 2e6 / (100 * 1e3) + 1000 / (4 * 1e3);
    got = runt_cost_model_node_us(&c, &n, 0);
    RT_ASSERT(close_to(got, want), "gemm %.6f us, by hand %.6f", got, want);
}

RT_TEST(bench_cost_tables, activations_stream_at_their_own_bandwidth)
{
    runt_calibration c = rt_made_up_calibration();
    /* 4e6 weight bytes with a 4 MB footprint (L3, GEMV 20 GB/s) = 200 us;
     * 2e6 activation bytes (L3 by their own traffic) at the GEMV's 20 GB/s
     * = 100 us, 300 us in all. */
    runt_cost_model_node n = {.op = RUNT_OP_GEMM, .weight_bytes = 4e6, .other_bytes = 2e6,
                              .matmul = 1};
    double got = runt_cost_model_node_us(&c, &n, 4e6);
    RT_ASSERT(close_to(got, 300), "no stream table: %.6f us, by hand 300", got);
    /* Streamed at 80 GB/s from L3: 25 us; the weights too, as a ReLU
     * streams L3 faster than the GEMV read it (the GEMV was bound by its
     * arithmetic): 50 us, 75 in all. */
    c.stream_gbps[RUNT_LEVEL_L3] = 80;
    got = runt_cost_model_node_us(&c, &n, 4e6);
    RT_ASSERT(close_to(got, 75), "stream table: %.6f us, by hand 75", got);
    /* A stream slower than the GEMV leaves the weights at the GEMV's 20
     * GB/s (200 us), the activations at 10 GB/s (200 us): 400. */
    c.stream_gbps[RUNT_LEVEL_L3] = 10;
    got = runt_cost_model_node_us(&c, &n, 4e6);
    RT_ASSERT(close_to(got, 400), "slow stream: %.6f us, by hand 400", got);
}

/* The GEMM grid: a rate that is a power law in m, n and k, exactly
 * interpolated in logs, clamped outside. */
static double gemm_law(double m, double n, double k)
{
    return 2.0 * pow(m, 0.5) * pow(n, 0.3) * pow(k, 0.1);
}

static void fill_gemm_law(runt_calibration *c, int q)
{
    for (int i = 0; i < RUNT_GEMM_GRID_MS; i++)
        for (int j = 0; j < RUNT_GEMM_GRID_NS; j++)
            for (int l = 0; l < RUNT_GEMM_GRID_KS; l++)
                c->gemm_gflops[q][i][j][l] =
                    gemm_law((double)runt_gemm_grid_m[i], (double)runt_gemm_grid_n[j],
                             (double)runt_gemm_grid_k[l]);
}

RT_TEST(bench_cost_tables, gemm_grid_interpolates_and_a_gemm_takes_its_rate)
{
    runt_calibration c = rt_made_up_calibration();
    RT_ASSERT(runt_calibration_gemm_gflops(&c, 0, 8, 256, 256) == 0, "no grid: 0");
    fill_gemm_law(&c, 0);
    double got = runt_calibration_gemm_gflops(&c, 0, 20, 100, 300);
    RT_ASSERT(close_to(got, gemm_law(20, 100, 300)), "inside: %g against %g", got,
              gemm_law(20, 100, 300));
    double top_m = (double)runt_gemm_grid_m[RUNT_GEMM_GRID_MS - 1];
    double top_n = (double)runt_gemm_grid_n[RUNT_GEMM_GRID_NS - 1];
    double low_k = (double)runt_gemm_grid_k[0];
    got = runt_calibration_gemm_gflops(&c, 0, 1e5, 1e5, 1);
    RT_ASSERT(close_to(got, gemm_law(top_m, top_n, low_k)), "clamped: %g", got);
    RT_ASSERT(runt_calibration_gemm_gflops(&c, 1, 20, 100, 300) == 0, "no int8 grid");

    /* Linear(100, 100) with bias at batch 20 as runt_cost counts it:
     * 2*20*100*100 + 20*100 FLOPs, 100*100 + 100 params. */
    runt_node_info info;
    memset(&info, 0, sizeof info);
    info.op = RUNT_OP_GEMM;
    info.cost.params = 100 * 100 + 100;
    info.cost.flops = 2 * 20 * 100 * 100 + 20 * 100;
    info.output.ndim = 2;
    info.output.dims[0] = 20;
    info.output.dims[1] = 100;
    runt_cost_model_node n = runt_cost_model_describe(&info, RUNT_F32);
    RT_ASSERT(n.gemm_m == 20 && n.gemm_n == 100 && n.gemm_k == 100, "m %g n %g k %g", n.gemm_m,
              n.gemm_n, n.gemm_k);
    double want = (double)info.cost.flops / (gemm_law(20, 100, 100) * 1e3);
    n.weight_bytes = n.other_bytes = 0;
    got = runt_cost_model_node_us(&c, &n, 0);
    RT_ASSERT(close_to(got, want), "Gemm at the grid's rate: %.6f us, by hand %.6f", got, want);
    /* A MatMul of two activations has no weights: the peak. */
    info.op = RUNT_OP_MATMUL;
    info.cost.params = 0;
    n = runt_cost_model_describe(&info, RUNT_F32);
    RT_ASSERT(n.gemm_m == 0 && n.gemm_n == 0 && n.gemm_k == 0, "no weights, no grid shape");
}

/* A narrow layer and a square one of as many weights: the grid by m, n and
 * k tells them apart, where one by sqrt(n*k) gave both the same rate. */
RT_TEST(bench_cost_tables, a_skinny_gemm_reads_its_own_grid_point)
{
    runt_calibration c = rt_made_up_calibration();
    fill_gemm_law(&c, 0);
    /* Linear(1024, 16) at batch 512 and Linear(128, 128) at batch 512:
     * 16384 weights each. The grid's points hold exactly these shapes. */
    runt_node_info info;
    memset(&info, 0, sizeof info);
    info.op = RUNT_OP_GEMM;
    info.cost.params = 1024 * 16;
    info.cost.flops = 2LL * 512 * 16 * 1024;
    info.output.ndim = 2;
    info.output.dims[0] = 512;
    info.output.dims[1] = 16;
    runt_cost_model_node skinny = runt_cost_model_describe(&info, RUNT_F32);
    RT_ASSERT(skinny.gemm_m == 512 && skinny.gemm_n == 16 && skinny.gemm_k == 1024,
              "m %g n %g k %g", skinny.gemm_m, skinny.gemm_n, skinny.gemm_k);
    skinny.weight_bytes = skinny.other_bytes = 0;
    double want = (double)info.cost.flops / (gemm_law(512, 16, 1024) * 1e3);
    double got = runt_cost_model_node_us(&c, &skinny, 0);
    RT_ASSERT(close_to(got, want), "skinny: %.6f us, by hand %.6f", got, want);
    info.cost.params = 128 * 128;
    info.output.dims[1] = 128;
    info.cost.flops = 2LL * 512 * 128 * 128;
    runt_cost_model_node square = runt_cost_model_describe(&info, RUNT_F32);
    square.weight_bytes = square.other_bytes = 0;
    double square_rate = (double)info.cost.flops / (runt_cost_model_node_us(&c, &square, 0) * 1e3);
    double skinny_rate = (double)(2LL * 512 * 16 * 1024) / (got * 1e3);
    RT_ASSERT(close_to(square_rate, gemm_law(512, 128, 128)) && skinny_rate < square_rate,
              "square %g GFLOP/s, skinny %g", square_rate, skinny_rate);
    /* A batched MatMul with weights folds its leading dims into m. */
    info.op = RUNT_OP_MATMUL;
    info.output.ndim = 3;
    info.output.dims[0] = 4;
    info.output.dims[1] = 8;
    info.output.dims[2] = 128;
    info.cost.flops = 2LL * 32 * 128 * 128;
    runt_cost_model_node batched = runt_cost_model_describe(&info, RUNT_F32);
    RT_ASSERT(batched.gemm_m == 32 && batched.gemm_n == 128 && batched.gemm_k == 128,
              "m %g n %g k %g", batched.gemm_m, batched.gemm_n, batched.gemm_k);
}

/* The CPU backend keeps an int8 session's Linear under
 * RUNT_INT8_MIN_WEIGHTS_DEFAULT weights in f32: the model costs it at the
 * f32 grid with 4-byte weights; at the line and above, int8. Other
 * backends are taken at their word. */
RT_TEST(bench_cost_tables, a_small_int8_linear_on_cpu_is_costed_as_f32)
{
    runt_calibration c = rt_made_up_calibration();
    strcpy(c.backend, "cpu");
    fill_gemm_law(&c, 0);
    for (int i = 0; i < RUNT_GEMM_GRID_MS; i++)
        for (int j = 0; j < RUNT_GEMM_GRID_NS; j++)
            for (int l = 0; l < RUNT_GEMM_GRID_KS; l++)
                c.gemm_gflops[1][i][j][l] = 4 * c.gemm_gflops[0][i][j][l];
    /* Linear(1000, 10) with bias at batch 1: 10000 weights. */
    runt_node_info info;
    memset(&info, 0, sizeof info);
    info.op = RUNT_OP_GEMM;
    info.cost.params = 1000 * 10 + 10;
    info.cost.flops = 2 * 1000 * 10 + 10;
    info.output.ndim = 2;
    info.output.dims[0] = 1;
    info.output.dims[1] = 10;
    runt_cost_model_node n = runt_cost_model_describe(&info, RUNT_I8);
    RT_ASSERT(n.int8 && n.weight_bytes == 10010, "described as int8, 1 byte a weight");
    runt_cost_model_as_run(&c, &n);
    RT_ASSERT(!n.int8 && n.weight_bytes == 4 * 10010, "runs f32 on cpu: int8 %d, %g bytes",
              n.int8, n.weight_bytes);
    n.weight_bytes = n.other_bytes = 0;
    /* 10 outputs clamp to the grid's narrowest, 16. */
    double want = (double)info.cost.flops / (gemm_law(1, 16, 1000) * 1e3);
    double got = runt_cost_model_node_us(&c, &n, 0);
    RT_ASSERT(close_to(got, want), "at the f32 grid: %.6f us, by hand %.6f", got, want);
    /* 128 x 128 = 16384 weights: the line itself is int8. */
    info.cost.params = 128 * 128;
    info.cost.flops = 2 * 128 * 128;
    info.output.dims[1] = 128;
    n = runt_cost_model_describe(&info, RUNT_I8);
    runt_cost_model_as_run(&c, &n);
    RT_ASSERT(n.int8 && n.weight_bytes == 16384, "16384 weights stay int8");
    /* On another backend the small layer stays as described. */
    strcpy(c.backend, "ref");
    info.cost.params = 1000 * 10;
    info.output.dims[1] = 10;
    n = runt_cost_model_describe(&info, RUNT_I8);
    runt_cost_model_as_run(&c, &n);
    RT_ASSERT(n.int8, "not the CPU backend's rule elsewhere");
}

/* An int8 node's weights are read at the int8 GEMV's bandwidth where it was
 * measured, an f32 node's at the f32 GEMV's; activations at the stream's. */
RT_TEST(bench_cost_tables, int8_weights_read_at_the_int8_gemv_bandwidth)
{
    runt_calibration c = rt_made_up_calibration();
    runt_cost_model_node n;
    memset(&n, 0, sizeof n);
    n.op = RUNT_OP_GEMM;
    n.matmul = 1;
    n.int8 = 1;
    n.weight_bytes = 500e3; /* a footprint in L2 (1 MiB) */
    runt_cost_terms t = runt_cost_model_node_terms(&c, &n, 600e3);
    RT_ASSERT(close_to(t.memory_us[RUNT_LEVEL_L2], 500e3 / (50 * 1e3)),
              "no int8 GEMV measured: the f32 GEMV's 50 GB/s: %g us", t.memory_us[RUNT_LEVEL_L2]);
    c.bw_int8_gbps[RUNT_LEVEL_L2] = 40;
    t = runt_cost_model_node_terms(&c, &n, 600e3);
    RT_ASSERT(close_to(t.memory_us[RUNT_LEVEL_L2], 500e3 / (40 * 1e3)), "int8: 40 GB/s: %g us",
              t.memory_us[RUNT_LEVEL_L2]);
    n.int8 = 0;
    t = runt_cost_model_node_terms(&c, &n, 600e3);
    RT_ASSERT(close_to(t.memory_us[RUNT_LEVEL_L2], 500e3 / (50 * 1e3)), "f32: 50 GB/s: %g us",
              t.memory_us[RUNT_LEVEL_L2]);
}
