/* Timing a probe, and the main probes (calibrate_impl.h). */
#include <math.h>
#include <string.h>

#include "calibrate_impl.h"
#include "runt-backend.h"
#include "zoo.h"

static runt_status runt_probe_single_op(runt_op op, const runt_attrs *attrs, int ndim,
                                        const int64_t *dims, runt_model **out);

/* The one statistic every probe reads from a round of runs: what the bench
 * reports for a row (bench.c prints and judges each row's median, and
 * runt_session_last_run_us is the same clock in both), so the calibration
 * and the rows it predicts are measured alike. A copy probe reads the host
 * clock around the run (the copy is outside device events). Before, probes
 * read their fastest run while the rows report medians, a bias towards
 * predicting too little that every row inherited (the cpu seeds came out at
 * a median 0.66 of their time: bench/results/2026-12-05-cost-model/). */
static double runt_probe_statistic(const runt_probe *p, const runt_measurement *r)
{
    return p->wall ? r->wall_median_us : r->median_us;
}

/* Times model m at a batch and dtype into *us (see runt_probe_statistic);
 * RUNT_E_UNSUPPORTED passes through. A round is timed as the bench times a
 * row (runt_measure_session: first run, warm-up, a ring of inputs) and
 * reads its median. Another process only ever adds time, and a round that
 * shared its core with one reads slow throughout, so the runs are split
 * into rounds, repeated until the two fastest rounds agree (or
 * RUNT_CALIBRATION_MAX_ROUNDS): *us is the fastest round's median and
 * *spread the rounds' spread. */
runt_status runt_probe_run(const runt_probe *p, const runt_model *m, int64_t batch,
                           runt_dtype dtype, double *us, runt_session_stats *st,
                           double *spread)
{
    *us = NAN;
    runt_session_options o = runt_session_options_default();
    o.backend = p->backend;
    o.threads = p->threads;
    o.batch = batch;
    o.compute_dtype = dtype;
    o.fuse = !p->unfused;
    runt_session *s;
    runt_status rc = runt_session_create(m, &o, &s);
    if (rc != RUNT_OK)
        return rc;
    /* Two rounds cost what one stretch of runs did before rounds. */
    runt_measure_config round = p->measure;
    round.min_time_s /= 2;
    round.min_reps = round.min_reps / 2 > 2 ? round.min_reps / 2 : 2;
    if (round.max_reps < round.min_reps)
        round.max_reps = round.min_reps;
    double v[RUNT_CALIBRATION_MAX_ROUNDS];
    int n = 0;
    while (rc == RUNT_OK && n < RUNT_CALIBRATION_MAX_ROUNDS) {
        runt_measurement r;
        rc = runt_measure_session(s, &round, &r);
        if (rc != RUNT_OK)
            break;
        v[n] = runt_probe_statistic(p, &r);
        if (n == 0 || v[n] < *us)
            *us = v[n];
        n++;
        if (n >= RUNT_CALIBRATION_MIN_ROUNDS && runt_calibration_settled(v, n))
            break;
    }
    *spread = runt_calibration_spread(v, n);
    if (rc == RUNT_OK)
        rc = runt_session_stats_get(s, st);
    runt_session_free(s);
    return rc;
}

runt_status runt_probe_mlp(const runt_probe *p, const int64_t *widths, int n, int bias,
                           int64_t batch, runt_dtype dtype, double *us,
                           runt_session_stats *st, double *spread)
{
    runt_model *m;
    runt_status rc = runt_zoo_build_mlp(widths, n, bias, &m);
    if (rc != RUNT_OK)
        return rc;
    rc = runt_probe_run(p, m, batch, dtype, us, st, spread);
    runt_model_free(m);
    return rc;
}

/* Times one op on x[1, dims...] at batch 1 in f32: the elementwise and the
 * copy probes, which differ only in the op. */
runt_status runt_probe_op(const runt_probe *p, runt_op op, const runt_attrs *attrs,
                          int ndim, const int64_t *dims, double *us,
                          runt_session_stats *st, double *spread)
{
    runt_model *m;
    runt_status rc = runt_probe_single_op(op, attrs, ndim, dims, &m);
    if (rc != RUNT_OK)
        return rc;
    rc = runt_probe_run(p, m, 1, RUNT_F32, us, st, spread);
    runt_model_free(m);
    return rc;
}

/* A probe's time less what the model charges apart (each dispatched node
 * and the run's own cost, calibrate.h): the work the rate is of, so a
 * predicted node adds its dispatch back once. Dispatch is estimated
 * separately and noisily: it never takes more than 90 % of the run, or a
 * tiny probe would claim an infinite rate. */
double runt_probe_work_us(const runt_calibration *c, double us,
                          const runt_session_stats *st)
{
    double work = us - st->launches * c->launch_us - c->run_us;
    return work < 0.1 * us ? 0.1 * us : work;
}

/* GFLOP/s of a probe's run once its dispatch is paid. */
double runt_probe_rate(const runt_calibration *c, double us, const runt_session_stats *st)
{
    return (double)st->total.flops / runt_probe_work_us(c, us, st) * 1e-3;
}

/* The best GFLOP/s of square GEMMs, n doubling until a run takes 50 ms,
 * and the spread of the size that gave it. NAN with RUNT_OK when the
 * backend refuses the dtype. */
runt_status runt_probe_peak(const runt_probe *p, runt_dtype dtype, double *gflops,
                            double *spread)
{
    *gflops = *spread = NAN;
    for (int64_t n = 128; n <= (p->max_gemm_n > 128 ? p->max_gemm_n : 128); n *= 2) {
        int64_t w[2] = {n, n};
        double meas_us;
        runt_session_stats st;
        double sp;
        runt_status rc = runt_probe_mlp(p, w, 2, 0, n, dtype, &meas_us, &st, &sp);
        if (rc == RUNT_E_UNSUPPORTED)
            return RUNT_OK;
        if (rc != RUNT_OK)
            return rc;
        double g = (double)st.total.flops / meas_us * 1e-3;
        if (!(g <= *gflops)) {
            *gflops = g;
            *spread = sp;
        }
        if (p->progress)
            fprintf(p->progress, "  %s %s GEMM %lld^3: %.1f us, %.2f G%s/s (spread %.1f%%)\n",
                    p->backend, runt_dtype_name(dtype), (long long)n, meas_us, g,
                    dtype == RUNT_F32 ? "FLOP" : "OP", 100 * sp);
        if (meas_us > 50e3)
            break;
    }
    return RUNT_OK;
}

/* ReLU over 64 Ki floats: 512 KiB of traffic, in L2 on any current CPU, so
 * the rate is the kernel's, not memory's. */
runt_status runt_probe_eltwise(const runt_probe *p, const runt_calibration *c,
                               double *gflops, double *spread)
{
    int64_t dims[2] = {1, 64 * 1024};
    double meas_us;
    runt_session_stats st;
    runt_status rc = runt_probe_op(p, RUNT_OP_RELU, NULL, 2, dims, &meas_us, &st, spread);
    if (rc != RUNT_OK)
        return rc;
    *gflops = runt_probe_rate(c, meas_us, &st);
    if (p->progress)
        fprintf(p->progress, "  %s ReLU 64Ki: %.2f us -> %.2f GFLOP/s elementwise (spread %.1f%%)\n",
                p->backend, meas_us, *gflops, 100 * *spread);
    return RUNT_OK;
}

/* Chains of 8 and 64 tiny Linear layers: cost per dispatched node (slope)
 * and per run (intercept). Unfused: the CUDA backend would run each chain
 * as a few fused kernels (cuda_chain.c), and the slope would then divide
 * 56 layers' time by a handful of launches. */
runt_status runt_probe_dispatch(const runt_probe *probe, runt_calibration *c)
{
    runt_probe unfused = *probe;
    unfused.unfused = 1;
    const runt_probe *p = &unfused;
    enum { SHORT = 8, LONG = 64 };
    int64_t widths[LONG + 1];
    for (int i = 0; i <= LONG; i++)
        widths[i] = 8;
    double t[2], sp[2];
    int launches[2];
    for (int k = 0; k < 2; k++) {
        double meas_us;
        runt_session_stats st;
        runt_status rc = runt_probe_mlp(p, widths, (k ? LONG : SHORT) + 1, 1, 1, RUNT_F32, &meas_us,
                                        &st, &sp[k]);
        if (rc != RUNT_OK)
            return rc;
        t[k] = meas_us;
        launches[k] = st.launches;
    }
    /* Slope and intercept need both chains: the wider spread counts. */
    c->spread[RUNT_PROBE_DISPATCH] = isnan(sp[0]) || isnan(sp[1]) ? NAN : fmax(sp[0], sp[1]);
    double slope = launches[1] > launches[0] ? (t[1] - t[0]) / (launches[1] - launches[0]) : 0;
    c->launch_us = slope > 0 ? slope : 0;
    double intercept = t[0] - launches[0] * c->launch_us;
    c->run_us = intercept > 0 ? intercept : 0;
    if (p->progress)
        fprintf(p->progress, "  %s dispatch: %d nodes %.2f us, %d nodes %.2f us -> %.3f us/node "
                "+ %.2f us/run (spread %.1f%%)\n", p->backend, launches[0], t[0], launches[1], t[1],
                c->launch_us, c->run_us, 100 * c->spread[RUNT_PROBE_DISPATCH]);
    return RUNT_OK;
}

/* The tables' probes are many and small: each gets a quarter of a main
 * probe's time, so all of them together take about what the main probes do
 * (on the dev VM's Zen 5 core: 2-4 s per dtype and backend). */
runt_probe runt_probe_light(const runt_probe *p)
{
    runt_probe light = *p;
    light.measure.min_time_s /= 4;
    return light;
}

/* The median of the spreads that are numbers, NAN when none is: one spread
 * for a table of many probes, where a single point that caught another
 * process is not the table's trust (the fold keeps each point's fastest). */
double runt_median_spread(double *v, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(v[i]))
            v[k++] = v[i];
    if (k == 0)
        return NAN;
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}

/* The time (runt_probe_run) of a layer followed by `then` (RUNT_OP_COUNT:
 * the layer alone) at a batch, less the dispatch of its launches (c's
 * launch_us each), so a difference of two such times is work alone and the
 * model, which charges each node's dispatch apart, does not charge a
 * pool's launch twice; see runt_zoo_build_layer_then (side 0: a Linear). */
runt_status runt_probe_layer_then(const runt_probe *p, const runt_calibration *c, int64_t c_in,
                                  int64_t c_out, int64_t side, int64_t batch, runt_dtype dtype,
                                  runt_op then, const runt_attrs *attrs, double *us,
                                  double *spread)
{
    runt_model *m;
    runt_status rc = runt_zoo_build_layer_then(c_in, c_out, 3, side, side, then, attrs, &m);
    if (rc != RUNT_OK)
        return rc;
    rc = runt_probe_work(p, c, m, batch, dtype, us, spread);
    runt_model_free(m);
    return rc;
}

runt_status runt_probe_work(const runt_probe *p, const runt_calibration *c, const runt_model *m,
                            int64_t batch, runt_dtype dtype, double *us, double *spread)
{
    double meas_us;
    runt_session_stats st;
    runt_status rc = runt_probe_run(p, m, batch, dtype, &meas_us, &st, spread);
    *us = rc == RUNT_OK ? meas_us - st.launches * c->launch_us : NAN;
    return rc;
}

/* GFLOP/s of `flops` that took with_us - without_us. A difference lost in
 * the noise (at most 1 % of the run) says the work is about free: it is
 * given 1 % of the run, so a rate stays finite and never 0 ("not
 * measured"). */
double runt_difference_rate(double flops, double with_us, double without_us)
{
    double us = fmax(with_us - without_us, 0.01 * with_us);
    return flops / us * 1e-3;
}

/* A GEMV whose weights take `bytes` (4 a weight in f32, 1 in int8): read
 * bandwidth once dispatch is paid. RUNT_E_UNSUPPORTED passes through. */
runt_status runt_probe_bandwidth(const runt_probe *p, const runt_calibration *c, runt_dtype dtype,
                                 double bytes, double *gbps, double *spread)
{
    int int8 = dtype == RUNT_I8;
    int64_t n = (int64_t)llround(sqrt(bytes / (int8 ? 1.0 : 4.0)));
    if (n < 16)
        n = 16;
    int64_t w[2] = {n, n};
    double meas_us;
    runt_session_stats st;
    runt_status rc = runt_probe_mlp(p, w, 2, 0, 1, dtype, &meas_us, &st, spread);
    if (rc != RUNT_OK)
        return rc;
    /* runt_cost counts weights at their model size (f32); an int8 session
     * reads 1 byte of each. */
    double moved = (double)(st.total.bytes_read + st.total.bytes_written) -
                   (int8 ? 3.0 * (double)st.total.params : 0);
    *gbps = moved / runt_probe_work_us(c, meas_us, &st) * 1e-3;
    if (p->progress)
        fprintf(p->progress, "  %s %s GEMV %lldx%lld (%.0f KiB): %.2f us -> %.1f GB/s (spread "
                "%.1f%%)\n", p->backend, runt_dtype_name(dtype), (long long)n, (long long)n,
                moved / 1024, meas_us, *gbps, 100 * *spread);
    return RUNT_OK;
}

/* A model of one op on x[1, dims...] -> y, for runt_probe_op. */
static runt_status runt_probe_single_op(runt_op op, const runt_attrs *attrs, int ndim,
                                        const int64_t *dims, runt_model **out)
{
    runt_builder *b;
    runt_status rc = runt_builder_create(NULL, &b);
    if (rc != RUNT_OK)
        return rc;
    runt_value_id x, y;
    rc = runt_builder_input(b, "x", RUNT_F32, ndim, dims, &x);
    if (!rc)
        rc = runt_builder_unary(b, op, x, attrs, &y);
    if (!rc)
        rc = runt_builder_output(b, y, "y");
    if (rc) {
        runt_builder_free(b);
        return rc;
    }
    return runt_builder_finish(b, out);
}

/* Host clock of one copy of `bytes`: a GlobalAveragePool's run is its
 * input's copy (to_device), a Pad from 1 element's run is its output's copy;
 * the device work in either is microseconds against the copy's milliseconds. */
static runt_status runt_probe_copy(const runt_probe *probe, double bytes, int to_device,
                                   double *us, double *spread)
{
    runt_probe copy = *probe;
    copy.wall = 1; /* the copy is on the host clock, outside device events */
    const runt_probe *p = &copy;
    int64_t elems = (int64_t)(bytes / 4);
    elems = elems < 64 ? 64 : elems - elems % 64;
    double meas_us;
    runt_session_stats st;
    runt_status rc;
    if (to_device) {
        int64_t d4[4] = {1, 64, 1, elems / 64}; /* the pool wants [N, C, H, W] */
        rc = runt_probe_op(p, RUNT_OP_GLOBAL_AVERAGE_POOL, NULL, 4, d4, &meas_us, &st, spread);
    } else {
        runt_attrs a;
        runt_attrs_default(RUNT_OP_PAD, &a);
        a.pad.ndim = 2;
        memset(a.pad.pads, 0, sizeof a.pad.pads);
        a.pad.pads[3] = elems - 1; /* after axis 1 */
        int64_t d2[2] = {1, 1};
        rc = runt_probe_op(p, RUNT_OP_PAD, &a, 2, d2, &meas_us, &st, spread);
    }
    *us = rc == RUNT_OK ? meas_us : NAN;
    return rc;
}

runt_status runt_probe_copies(const runt_probe *p, double max_bytes, runt_calibration *c)
{
    double bytes = fmin(64 * RUNT_MIB, max_bytes);
    for (int dir = 0; dir < 2; dir++) {
        double us, *spread = &c->spread[dir == 0 ? RUNT_PROBE_H2D : RUNT_PROBE_D2H];
        runt_status rc = runt_probe_copy(p, bytes, dir == 0, &us, spread);
        if (rc == RUNT_E_UNSUPPORTED)
            continue; /* the backend lacks the probe's op: leave it null */
        if (rc != RUNT_OK)
            return rc;
        double gbps = bytes / us * 1e-3;
        *(dir == 0 ? &c->h2d_gbps : &c->d2h_gbps) = gbps;
        if (p->progress)
            fprintf(p->progress, "  %s %s %.0f MiB: %.1f GB/s (spread %.1f%%)\n", p->backend,
                    dir == 0 ? "host->device" : "device->host", bytes / RUNT_MIB, gbps,
                    100 * *spread);
    }
    return RUNT_OK;
}

runt_status runt_calibration_copy_us(const char *backend, int threads, double bytes,
                                     int to_device, const runt_calibration_config *config,
                                     double *us)
{
    runt_probe p = {backend, threads, config->max_gemm_n, runt_measure_config_default(), NULL, 0, 0};
    p.measure.min_time_s = config->min_time_s;
    p.measure.min_reps = config->min_reps;
    double spread;
    return runt_probe_copy(&p, bytes, to_device, us, &spread);
}

