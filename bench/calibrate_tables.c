/* The tables: op rates, streams, fused activations and the GEMM and conv
 * grids, probed through the backend and looked up by the cost model
 * (calibrate.h says what each holds). */
#include <math.h>

#include "calibrate_impl.h"
#include "runt-backend.h"
#include "zoo.h"

/* "relu", ... by runt_activation: the cache's keys of the epilogue table. */
const char *const runt_act_rate_names[RUNT_ACT_RATE_COUNT] = {
    "none", "relu", "leaky_relu", "clip", "sigmoid", "tanh", "gelu", "gelu_tanh"};

/* The ops of runt_op_rate_ops. Activations and Softmax alone on a bench
 * input (uniform noise, as an op that no layer feeds sees): activations
 * over [1, 64 Ki], Softmax over [64, 1024] rows. The pools 2x2 stride 2
 * on the output of a Conv2d(1, 4, 3x3) on 64x64, less the conv alone: a
 * max pool's compares are branches, and on noise they mispredict (3.4 ns
 * a FLOP on the dev VM's Zen 5, against 0.8-1.7 on the zoo's feature maps,
 * which a conv has smoothed). */
runt_status runt_probe_op_rates(const runt_probe *probe, runt_calibration *c)
{
    runt_probe light = runt_probe_light(probe);
    double spreads[RUNT_OP_RATE_COUNT + 1];
    int n = 0;
    enum { POOL_IN = 1, POOL_CH = 4, POOL_SIDE = 64 };
    double conv_us = NAN;
    for (int k = 0; k < RUNT_OP_RATE_COUNT; k++) {
        runt_op op = runt_op_rate_ops[k];
        runt_attrs a;
        runt_attrs_default(op, &a);
        int pool = op == RUNT_OP_MAX_POOL || op == RUNT_OP_AVERAGE_POOL;
        runt_status rc;
        double us, sp = NAN;
        if (pool) {
            a.pool.kernel[0] = a.pool.kernel[1] = 2;
            a.pool.strides[0] = a.pool.strides[1] = 2;
            if (isnan(conv_us)) {
                rc = runt_probe_layer_then(&light, c, POOL_IN, POOL_CH, POOL_SIDE, 1, RUNT_F32,
                                           RUNT_OP_COUNT, NULL, &conv_us, &spreads[n]);
                if (rc != RUNT_OK && rc != RUNT_E_UNSUPPORTED)
                    return rc;
                n += rc == RUNT_OK;
            }
            rc = runt_probe_layer_then(&light, c, POOL_IN, POOL_CH, POOL_SIDE, 1, RUNT_F32, op, &a,
                                       &us, &sp);
            /* 4 FLOPs per output (max: compares; average: 3 adds, 1 divide) */
            double flops = 4.0 * POOL_CH * (POOL_SIDE / 2) * (POOL_SIDE / 2);
            if (rc == RUNT_OK && isfinite(conv_us))
                c->op_gflops[k] = runt_difference_rate(flops, us, conv_us);
        } else {
            int64_t flat[2] = {1, 64 * 1024}, rows[2] = {64, 1024};
            double meas_us;
            runt_session_stats st;
            rc = runt_probe_op(&light, op, &a, 2, op == RUNT_OP_SOFTMAX ? rows : flat, &meas_us,
                               &st, &sp);
            if (rc == RUNT_OK) {
                us = meas_us;
                c->op_gflops[k] = runt_probe_rate(c, meas_us, &st);
            }
        }
        if (rc == RUNT_E_UNSUPPORTED)
            continue; /* the backend lacks it: the elementwise rate stands in */
        if (rc != RUNT_OK)
            return rc;
        spreads[n++] = sp;
        if (probe->progress)
            fprintf(probe->progress, "  %s %s%s: %.2f us -> %.3f GFLOP/s (spread %.1f%%)\n",
                    probe->backend, runt_op_name(op), pool ? " after a conv, less the conv" : "",
                    us, c->op_gflops[k], 100 * sp);
    }
    c->spread[RUNT_PROBE_OP_RATES] = runt_median_spread(spreads, n);
    return RUNT_OK;
}

/* One level's probe of runt_probe_levels: a rate into c, its spread. */
typedef runt_status (*runt_level_probe)(const runt_probe *p, runt_calibration *c, double ws,
                                        int level, double *spread);

/* Runs one probe per level the bandwidth probes measured (ws[l] bytes), its
 * spreads joining op_rates'. RUNT_E_UNSUPPORTED ends it quietly. */
static runt_status runt_probe_levels(const runt_probe *probe, const double ws[RUNT_LEVEL_COUNT],
                                     runt_calibration *c, runt_level_probe one)
{
    runt_probe light = runt_probe_light(probe);
    double spreads[RUNT_LEVEL_COUNT + 1];
    int n = 0;
    runt_status rc = RUNT_OK;
    for (int l = 0; rc == RUNT_OK && l < RUNT_LEVEL_COUNT; l++) {
        if (!isfinite(c->bw_gbps[l]))
            continue; /* a level this backend's memory does not have */
        double sp = NAN;
        rc = one(&light, c, ws[l], l, &sp);
        if (rc == RUNT_OK)
            spreads[n++] = sp;
    }
    if (rc != RUNT_OK && rc != RUNT_E_UNSUPPORTED)
        return rc;
    if (n > 0 && !isnan(c->spread[RUNT_PROBE_OP_RATES]))
        spreads[n++] = c->spread[RUNT_PROBE_OP_RATES];
    c->spread[RUNT_PROBE_OP_RATES] = runt_median_spread(spreads, n);
    return RUNT_OK;
}

/* ReLU streaming ws bytes (input and output): stream_gbps[level]. */
static runt_status runt_probe_stream(const runt_probe *p, runt_calibration *c, double ws,
                                     int level, double *spread)
{
    int64_t floats = (int64_t)(ws / 8);
    int64_t dims[2] = {1, floats > 64 ? floats : 64};
    double meas_us;
    runt_session_stats st;
    runt_status rc = runt_probe_op(p, RUNT_OP_RELU, NULL, 2, dims, &meas_us, &st, spread);
    if (rc != RUNT_OK)
        return rc;
    double moved = (double)(st.total.bytes_read + st.total.bytes_written);
    c->stream_gbps[level] = moved / runt_probe_work_us(c, meas_us, &st) * 1e-3;
    if (p->progress)
        fprintf(p->progress, "  %s ReLU streaming %.0f KiB (%s): %.2f us -> %.1f GB/s "
                "(spread %.1f%%)\n", p->backend, moved / 1024, runt_level_names[level], meas_us,
                c->stream_gbps[level], 100 * *spread);
    return RUNT_OK;
}

runt_status runt_probe_streams(const runt_probe *probe, const double ws[RUNT_LEVEL_COUNT],
                               runt_calibration *c)
{
    return runt_probe_levels(probe, ws, c, runt_probe_stream);
}

/* An int8 GEMV whose 1-byte weights take ws bytes: bw_int8_gbps[level]. */
static runt_status runt_probe_int8_gemv(const runt_probe *p, runt_calibration *c, double ws,
                                        int level, double *spread)
{
    return runt_probe_bandwidth(p, c, RUNT_I8, ws, &c->bw_int8_gbps[level], spread);
}

/* An int8 GEMV per level, its 1-byte weights filling it as the f32 GEMV
 * probes' do: bw_int8_gbps. An int8 Linear reads its weights slower than
 * an f32 one reads its own (it also quantizes its input and widens each
 * product): at batch 1 with 4 MiB of int8 weights in L3 the sweep's MLPs
 * ran at ~0.75 of what the f32 GEMV's bandwidth said. */
runt_status runt_probe_int8_bandwidth(const runt_probe *probe, const double ws[RUNT_LEVEL_COUNT],
                                      runt_calibration *c)
{
    return runt_probe_levels(probe, ws, c, runt_probe_int8_gemv);
}

/* The time less dispatch of the epilogue probe's model with `then` after
 * its layers (see runt_probe_epilogues_of). */
static runt_status runt_probe_epilogue_model(const runt_probe *p, const runt_calibration *c,
                                             int64_t in, int64_t out, int64_t side, int64_t batch,
                                             runt_dtype dtype, runt_op then,
                                             const runt_attrs *attrs, double *us, double *spread)
{
    if (side)
        return runt_probe_layer_then(p, c, in, out, side, batch, dtype, then, attrs, us, spread);
    runt_model *m;
    runt_status rc = runt_zoo_build_hidden_then(in, in, out, then, attrs, &m);
    if (rc != RUNT_OK)
        return rc;
    rc = runt_probe_work(p, c, m, batch, dtype, us, spread);
    runt_model_free(m);
    return rc;
}

static runt_status runt_probe_epilogues_of(const runt_probe *p, int q, int64_t in, int64_t out,
                                           int64_t side, int64_t batch, runt_calibration *c,
                                           double rates[2][RUNT_ACT_RATE_COUNT], double *spreads,
                                           int *n)
{
    runt_dtype dtype = q ? RUNT_I8 : RUNT_F32;
    /* A Linear's probe has a hidden Linear(in, in) before it, whose
     * activation counts too. */
    double outputs = (double)(batch * out * (side ? side * side : 1)) +
                     (side ? 0 : (double)(batch * in));
    double plain_us;
    runt_status rc = runt_probe_epilogue_model(p, c, in, out, side, batch, dtype, RUNT_OP_COUNT,
                                               NULL, &plain_us, &spreads[*n]);
    if (rc == RUNT_E_UNSUPPORTED)
        return RUNT_OK; /* no int8 on this backend */
    if (rc != RUNT_OK)
        return rc;
    (*n)++;
    for (int act = RUNT_ACT_RELU; act < RUNT_ACT_RATE_COUNT; act++) {
        runt_op op = runt_activation_op((runt_activation)act);
        runt_attrs a;
        runt_attrs_default(op, &a);
        if (act == RUNT_ACT_CLIP) {
            a.clip.min = 0;
            a.clip.max = 6; /* ReLU6 */
        }
        if (act == RUNT_ACT_GELU_TANH)
            a.gelu.approximate_tanh = 1;
        double us;
        rc = runt_probe_epilogue_model(p, c, in, out, side, batch, dtype, op, &a, &us,
                                       &spreads[*n]);
        if (rc == RUNT_E_UNSUPPORTED)
            continue;
        if (rc != RUNT_OK)
            return rc;
        (*n)++;
        rates[q][act] = runt_difference_rate(outputs, us, plain_us);
        if (p->progress)
            fprintf(p->progress, "  %s %s %s(%lld, %lld) + %s: %.2f us, %.2f us alone -> "
                    "%.3f GFLOP/s (spread %.1f%%)\n", p->backend, runt_dtype_name(dtype),
                    side ? "Conv3x3" : "Linear", (long long)in, (long long)out,
                    runt_act_rate_names[act], us, plain_us, rates[q][act],
                    100 * spreads[*n - 1]);
    }
    return RUNT_OK;
}

/* Each fused activation: Linear(16, 16) and Linear(16, 1024) at batch 64
 * each followed by the activation's op (which the session fuses into the
 * Gemm's epilogue), less the two Linears alone, over their 65 Ki outputs
 * (the zoo's tanh MLPs came out at 1.2-1.6x their time when the
 * activation saw the uniform noise of a first layer). Through the fused path, as the
 * CPU backend's packed GEMM applies some activations in its own vector
 * loop (a fused LeakyRelu measured ~0.1 ns an element, the op alone 4 ns:
 * its branch mispredicts on noise). In f32 and in int8, whose layers apply
 * the activation in their own loop too (an int8 LeakyRelu layer: ~4 ns an
 * output). And the same after a Conv2d(1, 16, 3x3) on 64x64 (64 Ki
 * outputs): a conv's epilogue is not the packed GEMM's, and the zoo's f32
 * CNNs with a LeakyRelu came out at 0.44-0.65 of their time when it was
 * charged at the GEMM's 0.1 ns an element. */
runt_status runt_probe_epilogues(const runt_probe *probe, runt_calibration *c)
{
    runt_probe light = runt_probe_light(probe);
    enum { IN = 16, OUT = 1024, BATCH = 64, CONV_IN = 1, CONV_OUT = 16, SIDE = 64 };
    double spreads[4 * RUNT_ACT_RATE_COUNT];
    int n = 0;
    for (int q = 0; q < 2; q++) {
        runt_status rc = runt_probe_epilogues_of(&light, q, IN, OUT, 0, BATCH, c, c->act_gflops,
                                                 spreads, &n);
        if (rc == RUNT_OK)
            rc = runt_probe_epilogues_of(&light, q, CONV_IN, CONV_OUT, SIDE, 1, c,
                                         c->conv_act_gflops, spreads, &n);
        if (rc != RUNT_OK)
            return rc;
    }
    c->spread[RUNT_PROBE_EPILOGUES] = runt_median_spread(spreads, n);
    return RUNT_OK;
}

/* The GEMM grid (calibrate.h), f32 then int8; its points' spreads join
 * the conv grid's (both are matrix products timed the same way). */
static runt_status runt_probe_gemm_grid(const runt_probe *probe, runt_calibration *c,
                                        double *spreads, int *n_spreads)
{
    runt_probe light = runt_probe_light(probe);
    for (int q = 0; q < 2; q++) {
        runt_dtype dtype = q ? RUNT_I8 : RUNT_F32;
        double peak = q ? c->peak_int8_gops : c->peak_gflops;
        if (!(peak > 0) || !isfinite(peak))
            continue; /* no int8 on this backend */
        for (int i = 0; i < RUNT_GEMM_GRID_MS; i++)
            for (int j = 0; j < RUNT_GEMM_GRID_NS; j++)
                for (int l = 0; l < RUNT_GEMM_GRID_KS; l++) {
                    int64_t m = runt_gemm_grid_m[i], n = runt_gemm_grid_n[j];
                    int64_t k = runt_gemm_grid_k[l];
                    double *g = &c->gemm_gflops[q][i][j][l];
                    if (2.0 * (double)(m * n * k) / (peak * 1e3) > RUNT_GEMM_GRID_MAX_RUN_US) {
                        /* Too long to run: the same n and k at the next
                         * smaller batch (a product's rate is flat in m
                         * past a few rows), else the peak. */
                        double fewer = i > 0 ? c->gemm_gflops[q][i - 1][j][l] : 0;
                        *g = fewer > 0 ? fewer : peak;
                        continue;
                    }
                    int64_t w[2] = {k, n};
                    double us, sp = NAN;
                    runt_session_stats st;
                    runt_status rc = runt_probe_mlp(&light, w, 2, 0, m, dtype, &us, &st, &sp);
                    if (rc == RUNT_E_UNSUPPORTED)
                        return RUNT_OK;
                    if (rc != RUNT_OK)
                        return rc;
                    spreads[(*n_spreads)++] = sp;
                    *g = runt_probe_rate(c, us, &st);
                    if (probe->progress)
                        fprintf(probe->progress, "  %s %s Linear(%lld, %lld) at batch %lld: "
                                "%.2f us -> %.2f G%s/s (spread %.1f%%)\n", probe->backend,
                                runt_dtype_name(dtype), (long long)k, (long long)n,
                                (long long)m, us, *g, q ? "OP" : "FLOP", 100 * sp);
                }
    }
    return RUNT_OK;
}

/* The conv grid (calibrate.h), f32 then int8. A point whose FLOPs pass the
 * peak probe's largest GEMM is left unmeasured (0), as are the int8 points
 * of a backend without int8. */
runt_status runt_probe_conv_grid(const runt_probe *probe, runt_calibration *c)
{
    runt_probe light = runt_probe_light(probe);
    double gemm_n = probe->max_gemm_n > 128 ? probe->max_gemm_n : 128;
    double max_flops = 2 * gemm_n * gemm_n * gemm_n;
    enum { POINTS = RUNT_CONV_GRID_DEPTHS * RUNT_CONV_GRID_OUTS * RUNT_CONV_GRID_SIDES +
                    RUNT_GEMM_GRID_MS * RUNT_GEMM_GRID_NS * RUNT_GEMM_GRID_KS };
    double spreads[2 * POINTS];
    int n = 0;
    runt_status grc = runt_probe_gemm_grid(probe, c, spreads, &n);
    if (grc != RUNT_OK)
        return grc;
    for (int q = 0; q < 2; q++) {
        runt_dtype dtype = q ? RUNT_I8 : RUNT_F32;
        int supported = 1;
        for (int d = 0; d < RUNT_CONV_GRID_DEPTHS && supported; d++)
            for (int o = 0; o < RUNT_CONV_GRID_OUTS && supported; o++)
                for (int si = 0; si < RUNT_CONV_GRID_SIDES && supported; si++) {
                    int64_t c_in = runt_conv_grid_depth[d] / 9, m = runt_conv_grid_out[o];
                    int64_t side = runt_conv_grid_side[si];
                    if (2.0 * (double)(m * c_in * 9 * side * side) > max_flops)
                        continue;
                    runt_model *model;
                    runt_status rc = runt_zoo_build_conv(c_in, m, 3, side, side, &model);
                    if (rc != RUNT_OK)
                        return rc;
                    double meas_us;
                    runt_session_stats st;
                    double sp = NAN;
                    rc = runt_probe_run(&light, model, 1, dtype, &meas_us, &st, &sp);
                    runt_model_free(model);
                    if (rc == RUNT_E_UNSUPPORTED) {
                        supported = 0;
                        break;
                    }
                    if (rc != RUNT_OK)
                        return rc;
                    spreads[n++] = sp;
                    double g = runt_probe_rate(c, meas_us, &st);
                    c->conv_gflops[q][d][o][si] = g;
                    if (probe->progress)
                        fprintf(probe->progress, "  %s %s Conv %lld->%lld 3x3 on %lldx%lld: %.2f us "
                                "-> %.2f G%s/s (spread %.1f%%)\n", probe->backend,
                                runt_dtype_name(dtype), (long long)c_in, (long long)m,
                                (long long)side, (long long)side, meas_us, g,
                                q ? "OP" : "FLOP", 100 * sp);
                }
    }
    c->spread[RUNT_PROBE_CONV] = runt_median_spread(spreads, n);
    return RUNT_OK;
}

runt_op runt_activation_op(runt_activation act)
{
    switch (act) {
    case RUNT_ACT_RELU: return RUNT_OP_RELU;
    case RUNT_ACT_LEAKY_RELU: return RUNT_OP_LEAKY_RELU;
    case RUNT_ACT_CLIP: return RUNT_OP_CLIP;
    case RUNT_ACT_SIGMOID: return RUNT_OP_SIGMOID;
    case RUNT_ACT_TANH: return RUNT_OP_TANH;
    case RUNT_ACT_GELU:
    case RUNT_ACT_GELU_TANH: return RUNT_OP_GELU;
    case RUNT_ACT_NONE:
    default: return RUNT_OP_COUNT;
    }
}

double runt_calibration_act_gflops(const runt_calibration *c, runt_op layer, int int8,
                                   runt_activation act)
{
    if ((int)act <= RUNT_ACT_NONE || (int)act >= RUNT_ACT_RATE_COUNT)
        return 0;
    double g = layer == RUNT_OP_CONV ? c->conv_act_gflops[int8 ? 1 : 0][act] : 0;
    if (!(isfinite(g) && g > 0))
        g = c->act_gflops[int8 ? 1 : 0][act];
    return isfinite(g) && g > 0 ? g : 0;
}

double runt_calibration_op_gflops(const runt_calibration *c, runt_op op)
{
    for (int k = 0; k < RUNT_OP_RATE_COUNT; k++)
        if (runt_op_rate_ops[k] == op)
            return isfinite(c->op_gflops[k]) && c->op_gflops[k] > 0 ? c->op_gflops[k] : 0;
    return 0;
}

/* Where x falls among the n ascending grid values g: the lower index *i and
 * the weight *t of the upper one, by log(x); clamped at both ends. */
static void runt_grid_locate(const int64_t *g, int n, double x, int *i, double *t)
{
    *i = 0;
    *t = 0;
    if (n < 2 || !(x > (double)g[0]))
        return;
    if (x >= (double)g[n - 1]) {
        *i = n - 2;
        *t = 1;
        return;
    }
    while (*i < n - 2 && x > (double)g[*i + 1])
        (*i)++;
    *t = log(x / (double)g[*i]) / log((double)g[*i + 1] / (double)g[*i]);
}

const runt_grid3 runt_gemm_grid = {
    "gemm", {"m", "n", "k"}, {runt_gemm_grid_m, runt_gemm_grid_n, runt_gemm_grid_k},
    {RUNT_GEMM_GRID_MS, RUNT_GEMM_GRID_NS, RUNT_GEMM_GRID_KS}};
const runt_grid3 runt_conv_grid = {
    "conv", {"d", "m", "s"}, {runt_conv_grid_depth, runt_conv_grid_out, runt_conv_grid_side},
    {RUNT_CONV_GRID_DEPTHS, RUNT_CONV_GRID_OUTS, RUNT_CONV_GRID_SIDES}};

int runt_grid3_points(const runt_grid3 *g)
{
    return g->n[0] * g->n[1] * g->n[2];
}

void runt_grid3_point(const runt_grid3 *g, int r, int idx[3])
{
    idx[2] = r % g->n[2];
    idx[1] = r / g->n[2] % g->n[1];
    idx[0] = r / (g->n[2] * g->n[1]);
}

double runt_grid3_rate(const runt_grid3 *g, const double *rates, const double x[3])
{
    int i[3];
    double t[3];
    for (int a = 0; a < 3; a++)
        runt_grid_locate(g->values[a], g->n[a], x[a], &i[a], &t[a]);
    double sum = 0;
    for (int corner = 0; corner < 8; corner++) {
        double w = 1;
        int flat = 0;
        for (int a = 0; a < 3; a++) {
            int up = (corner >> a) & 1;
            w *= up ? t[a] : 1 - t[a];
            flat = flat * g->n[a] + i[a] + up;
        }
        if (w == 0)
            continue;
        double v = rates[flat];
        if (!(v > 0) || !isfinite(v))
            return 0;
        sum += w * log(v);
    }
    return exp(sum);
}

double runt_calibration_gemm_gflops(const runt_calibration *c, int int8, double m, double n,
                                    double k)
{
    double x[3] = {m, n, k};
    return runt_grid3_rate(&runt_gemm_grid, &c->gemm_gflops[int8 ? 1 : 0][0][0][0], x);
}

double runt_calibration_conv_gflops(const runt_calibration *c, int int8, double depth,
                                    double out_channels, double pixels)
{
    /* The grid's sides are image sides; a shape's pixels compare with their
     * squares. */
    double x[3] = {depth, out_channels, sqrt(pixels)};
    return runt_grid3_rate(&runt_conv_grid, &c->conv_gflops[int8 ? 1 : 0][0][0][0], x);
}
