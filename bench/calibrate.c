#define _POSIX_C_SOURCE 200809L /* mkdir, clock_gettime, nanosleep */
#include "calibrate.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "measure.h"
#include "runt-backend.h"
#include "zoo.h"

/* 6: probes read medians (runt_probe_statistic) and the GEMM grid is by m,
 * n and k; 5 (fastest runs, a grid by m and sqrt(n*k)) still loads and is
 * measured again, as are 4 (before the op-rate and conv tables: tables 0)
 * and 3 (before the spreads and the load: checked 0). */
#define RUNT_CALIBRATION_FORMAT 6
#define RUNT_CALIBRATION_FORMAT_FASTEST 5
#define RUNT_CALIBRATION_FORMAT_NO_TABLES 4
#define RUNT_CALIBRATION_FORMAT_UNCHECKED 3
#define RUNT_MIB (1024.0 * 1024.0)

const char *const runt_level_names[RUNT_LEVEL_COUNT] = {"l1", "l2", "l3", "dram"};
const char *const runt_probe_names[RUNT_PROBE_COUNT] = {
    "peak_f32", "peak_int8", "elementwise", "dispatch", "l1", "l2", "l3", "dram", "h2d", "d2h",
    "op_rates", "epilogues", "conv_grid"};
const runt_op runt_op_rate_ops[RUNT_OP_RATE_COUNT] = {
    RUNT_OP_RELU, RUNT_OP_LEAKY_RELU, RUNT_OP_SIGMOID,  RUNT_OP_TANH,
    RUNT_OP_GELU, RUNT_OP_SOFTMAX,    RUNT_OP_MAX_POOL, RUNT_OP_AVERAGE_POOL};
const int64_t runt_gemm_grid_m[RUNT_GEMM_GRID_MS] = {1, 8, 64, 512};
const int64_t runt_gemm_grid_n[RUNT_GEMM_GRID_NS] = {16, 64, 256, 1024};
const int64_t runt_gemm_grid_k[RUNT_GEMM_GRID_KS] = {16, 64, 256, 1024};
const int64_t runt_conv_grid_depth[RUNT_CONV_GRID_DEPTHS] = {9, 72, 576};
const int64_t runt_conv_grid_out[RUNT_CONV_GRID_OUTS] = {4, 16, 64};
const int64_t runt_conv_grid_side[RUNT_CONV_GRID_SIDES] = {8, 32};

runt_calibration_config runt_calibration_config_default(void)
{
    runt_calibration_config c = {.min_time_s = 0.2, .min_reps = 10,
                                 .max_probe_bytes = 1024.0 * RUNT_MIB, .max_gemm_n = 2048,
                                 .max_attempts = 3, .retry_pause_s = 2.0, .max_total_s = 50.0};
    return c;
}

/* ------------------------------------------------------------------------- */
/* Trust: the rules on rounds, load and reuse                                */
/* ------------------------------------------------------------------------- */

double runt_calibration_spread(const double *rounds_us, int n)
{
    double best = INFINITY, second = INFINITY;
    int used = 0;
    for (int i = 0; i < n; i++) {
        double v = rounds_us[i];
        if (!(v > 0) || !isfinite(v))
            continue;
        used++;
        if (v < best) {
            second = best;
            best = v;
        } else if (v < second) {
            second = v;
        }
    }
    return used < 2 ? NAN : second / best - 1;
}

/* The bound with room for rounding: 110 / 100 - 1 is 0.10000000000000009
 * in doubles, and 10 % exactly should settle. NAN is not settled. */
static int runt_spread_ok(double spread)
{
    return spread <= RUNT_CALIBRATION_MAX_SPREAD * (1 + 1e-9);
}

int runt_calibration_settled(const double *rounds_us, int n)
{
    return runt_spread_ok(runt_calibration_spread(rounds_us, n));
}

int runt_calibration_busy(double others_cores, int cores, int threads)
{
    if (!(others_cores >= 0) || cores < 1)
        return 0;
    int free_cores = cores > threads ? cores - threads : 0;
    return others_cores > free_cores + RUNT_CALIBRATION_LOAD_SLACK;
}

/* Which probes a calibration ran: the peaks, elementwise and dispatch
 * always, int8 when the backend has it, the levels it probed, the copies on
 * a device backend. */
static int runt_calibration_probed(const runt_calibration *c, int p)
{
    switch (p) {
    case RUNT_PROBE_PEAK_INT8:
        return isfinite(c->peak_int8_gops);
    case RUNT_PROBE_BW_L1:
    case RUNT_PROBE_BW_L2:
    case RUNT_PROBE_BW_L3:
    case RUNT_PROBE_BW_DRAM:
        return isfinite(c->bw_gbps[p - RUNT_PROBE_BW_L1]);
    case RUNT_PROBE_H2D:
        return isfinite(c->h2d_gbps);
    case RUNT_PROBE_D2H:
        return isfinite(c->d2h_gbps);
    case RUNT_PROBE_OP_RATES:
    case RUNT_PROBE_EPILOGUES:
    case RUNT_PROBE_CONV:
        return c->tables;
    default:
        return 1;
    }
}

int runt_calibration_unsettled(const runt_calibration *c)
{
    int bits = 0;
    if (!c->checked)
        return 0;
    for (int p = 0; p < RUNT_PROBE_COUNT; p++)
        if (runt_calibration_probed(c, p) && !runt_spread_ok(c->spread[p]))
            bits |= 1 << p;
    return bits;
}

int runt_calibration_reusable(const runt_calibration *c, const char *device, int threads,
                              char *why, size_t why_size)
{
    if (why_size)
        why[0] = '\0';
    if (device && strcmp(c->device, device) != 0) {
        snprintf(why, why_size, "it was measured on another device ('%s', this is '%s')",
                 c->device, device);
        return 0;
    }
    if (c->threads != threads) {
        snprintf(why, why_size, "it was measured on %d threads, not %d", c->threads, threads);
        return 0;
    }
    if (!c->checked) {
        snprintf(why, why_size, "it predates the load and stability checks (cache format %d)",
                 RUNT_CALIBRATION_FORMAT_UNCHECKED);
        return 0;
    }
    if (!c->tables) {
        snprintf(why, why_size, "it predates the op-rate and conv tables (cache format %d)",
                 RUNT_CALIBRATION_FORMAT_NO_TABLES);
        return 0;
    }
    if (c->format && c->format < RUNT_CALIBRATION_FORMAT) {
        snprintf(why, why_size, "its probes read their fastest runs and its GEMM grid is by "
                 "width alone (cache format %d); this runt reads medians, as the bench reports, "
                 "over an m x n x k grid (format %d)", c->format, RUNT_CALIBRATION_FORMAT);
        return 0;
    }
    if (c->busy) {
        char avg[48] = "";
        if (isfinite(c->load_avg))
            snprintf(avg, sizeof avg, "; 1-minute load average %.2f", c->load_avg);
        snprintf(why, why_size,
                 "it was measured while the machine was busy (other processes kept %.2f of %d "
                 "cores busy, %d thread%s calibrated%s)", c->load_others, c->cores, c->threads,
                 c->threads == 1 ? "" : "s", avg);
        return 0;
    }
    int bits = runt_calibration_unsettled(c);
    if (bits) {
        char list[160] = "";
        for (int p = 0; p < RUNT_PROBE_COUNT; p++)
            if (bits & (1 << p)) {
                size_t len = strlen(list);
                snprintf(list + len, sizeof list - len, "%s%s %.1f%%", len ? ", " : "",
                         runt_probe_names[p], 100 * c->spread[p]);
            }
        snprintf(why, why_size, "its probes did not settle (%s; at most %.0f%% is stable)", list,
                 100 * RUNT_CALIBRATION_MAX_SPREAD);
        return 0;
    }
    return 1;
}

static int runt_read_line(const char *path, char *buf, size_t size);

/* ------------------------------------------------------------------------- */
/* Load                                                                      */
/* ------------------------------------------------------------------------- */

/* A moment of the machine's CPU accounting: time all CPUs spent not idle
 * (user, nice, system, irq, softirq, steal: a hypervisor that took the CPU
 * took it from the probes too), this process's own CPU time, and the wall
 * clock. ok 0 where /proc/stat cannot be read (another OS). */
typedef struct runt_load_mark {
    int ok, cores;
    double busy_s, own_s, wall_s;
} runt_load_mark;

static runt_load_mark runt_load_mark_now(void)
{
    runt_load_mark m = {0, 0, 0, 0, 0};
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == 0)
        m.own_s = (double)ts.tv_sec + ts.tv_nsec * 1e-9;
    m.wall_s = runt_clock_us() * 1e-6;
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return m;
    char line[512];
    long hz = sysconf(_SC_CLK_TCK);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "cpu ", 4) == 0) {
            unsigned long long v[8] = {0};
            int got = sscanf(line + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                             &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
            if (got >= 4 && hz > 0) {
                /* user nice system idle iowait irq softirq steal */
                double ticks = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]);
                m.busy_s = ticks / (double)hz;
                m.ok = 1;
            }
        } else if (strncmp(line, "cpu", 3) == 0 && line[3] >= '0' && line[3] <= '9') {
            m.cores++;
        }
    }
    fclose(f);
    if (m.cores < 1)
        m.ok = 0;
    return m;
}

/* Cores other processes kept busy between two marks: the machine's busy
 * time less this process's own, over the wall time. NAN when unknown. */
static double runt_load_others(const runt_load_mark *a, const runt_load_mark *b)
{
    double wall = b->wall_s - a->wall_s;
    if (!a->ok || !b->ok || !(wall > 0))
        return NAN;
    double others = ((b->busy_s - a->busy_s) - (b->own_s - a->own_s)) / wall;
    /* Tick accounting rounds both terms: clamp what rounding can overshoot. */
    return others < 0 ? 0 : others > b->cores ? b->cores : others;
}

/* The 1-minute load average; NAN without /proc/loadavg. */
static double runt_load_average(void)
{
    char line[128];
    double one;
    if (!runt_read_line("/proc/loadavg", line, sizeof line) || sscanf(line, "%lf", &one) != 1 ||
        !(one >= 0))
        return NAN;
    return one;
}

int runt_calibration_threads(const runt_device_info *info, int requested)
{
    if (!info->host_memory)
        return requested > 0 ? requested : 1;
    if (info->compute_units <= 1)
        return 1;
    return requested > 0 ? requested : info->compute_units;
}

/* ------------------------------------------------------------------------- */
/* Host caches                                                               */
/* ------------------------------------------------------------------------- */

static int runt_read_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int ok = fgets(buf, (int)size, f) != NULL;
    fclose(f);
    if (ok)
        buf[strcspn(buf, "\n")] = '\0';
    return ok;
}

/* "48K", "2048K", "260M" -> bytes. */
static double runt_parse_size(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (*end == 'K')
        v *= 1024;
    else if (*end == 'M')
        v *= RUNT_MIB;
    else if (*end == 'G')
        v *= 1024 * RUNT_MIB;
    return v;
}

/* CPUs sharing a cache, from "0", "0-1", "0,2-3". */
static int runt_count_cpus(const char *list)
{
    int n = 0;
    for (const char *p = list; *p;) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p)
            break;
        if (*end == '-')
            b = strtol(end + 1, &end, 10);
        n += (int)(b - a + 1);
        p = *end == ',' ? end + 1 : end;
        if (*end != ',')
            break;
    }
    return n > 0 ? n : 1;
}

int runt_host_cache_bytes(int threads, double bytes[RUNT_LEVEL_COUNT])
{
    /* Common sizes when sysfs is absent (another OS, a container without /sys). */
    bytes[RUNT_LEVEL_L1] = 32 * 1024.0;
    bytes[RUNT_LEVEL_L2] = RUNT_MIB;
    bytes[RUNT_LEVEL_L3] = 32 * RUNT_MIB;
    bytes[RUNT_LEVEL_DRAM] = INFINITY;
    int found = 0;
    for (int i = 0; i < 8; i++) {
        char path[128], level[16], type[32], size[32], shared[64] = "0";
        const char *dir = "/sys/devices/system/cpu/cpu0/cache";
        snprintf(path, sizeof path, "%s/index%d/level", dir, i);
        if (!runt_read_line(path, level, sizeof level))
            break;
        snprintf(path, sizeof path, "%s/index%d/type", dir, i);
        runt_read_line(path, type, sizeof type);
        snprintf(path, sizeof path, "%s/index%d/size", dir, i);
        if (!runt_read_line(path, size, sizeof size) || strcmp(type, "Instruction") == 0)
            continue;
        snprintf(path, sizeof path, "%s/index%d/shared_cpu_list", dir, i);
        runt_read_line(path, shared, sizeof shared);
        int l = atoi(level);
        if (l < 1 || l > 3)
            continue;
        double b = runt_parse_size(size);
        /* A cache of one CPU serves each thread separately: t threads that
         * split a matrix between them hold t times as much. */
        int sharers = runt_count_cpus(shared);
        if (sharers == 1 && threads > 1)
            b *= threads;
        bytes[l - 1] = b;
        found = 1;
    }
    return found;
}

/* ------------------------------------------------------------------------- */
/* Probes                                                                    */
/* ------------------------------------------------------------------------- */

typedef struct runt_probe {
    const char *backend;
    int threads;
    int max_gemm_n;
    runt_measure_config measure;
    FILE *progress;
    int unfused;             /* sessions with options.fuse = 0 */
    int wall;                /* rounds read wall_median_us, not median_us */
} runt_probe;

static runt_status runt_probe_single_op(runt_op op, const runt_attrs *attrs, int ndim,
                                        const int64_t *dims, runt_model **out);

/* The one statistic every probe reads from a round of runs: what the bench
 * reports for a row (bench.c prints and judges each row's median, and
 * runt_session_last_run_us is the same clock in both), so the calibration
 * and the rows it predicts are measured alike. A copy probe reads the host
 * clock around the run (the copy is outside device events). Before, probes
 * read their fastest run against the rows' medians: on short batch-1 MLPs
 * (a few us) the fastest run was 0.6-0.8 of the median, a bias every such
 * row inherited (bench/results/2026-12-05-cost-model/README.md). */
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
static runt_status runt_probe_run(const runt_probe *p, const runt_model *m, int64_t batch,
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

static runt_status runt_probe_mlp(const runt_probe *p, const int64_t *widths, int n, int bias,
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
static runt_status runt_probe_op(const runt_probe *p, runt_op op, const runt_attrs *attrs,
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
static double runt_probe_work_us(const runt_calibration *c, double us,
                                 const runt_session_stats *st)
{
    double work = us - st->launches * c->launch_us - c->run_us;
    return work < 0.1 * us ? 0.1 * us : work;
}

/* GFLOP/s of a probe's run once its dispatch is paid. */
static double runt_probe_rate(const runt_calibration *c, double us, const runt_session_stats *st)
{
    return (double)st->total.flops / runt_probe_work_us(c, us, st) * 1e-3;
}

/* The best GFLOP/s of square GEMMs, n doubling until a run takes 50 ms,
 * and the spread of the size that gave it. NAN with RUNT_OK when the
 * backend refuses the dtype. */
static runt_status runt_probe_peak(const runt_probe *p, runt_dtype dtype, double *gflops,
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
static runt_status runt_probe_eltwise(const runt_probe *p, const runt_calibration *c,
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
static runt_status runt_probe_dispatch(const runt_probe *probe, runt_calibration *c)
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
static runt_probe runt_probe_light(const runt_probe *p)
{
    runt_probe light = *p;
    light.measure.min_time_s /= 4;
    return light;
}

/* The median of the spreads that are numbers, NAN when none is: one spread
 * for a table of many probes, where a single point that caught another
 * process is not the table's trust (the fold keeps each point's fastest). */
static double runt_median_spread(double *v, int n)
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

/* The fastest run of a layer followed by `then` (RUNT_OP_COUNT: the layer
 * alone) at a batch, see runt_zoo_build_layer_then (side 0: a Linear). */
static runt_status runt_probe_layer_then(const runt_probe *p, int64_t c_in, int64_t c_out,
                                         int64_t side, int64_t batch, runt_dtype dtype,
                                         runt_op then, const runt_attrs *attrs, double *us,
                                         double *spread)
{
    runt_model *m;
    runt_status rc = runt_zoo_build_layer_then(c_in, c_out, 3, side, side, then, attrs, &m);
    if (rc != RUNT_OK)
        return rc;
    double meas_us;
    runt_session_stats st;
    rc = runt_probe_run(p, m, batch, dtype, &meas_us, &st, spread);
    runt_model_free(m);
    *us = rc == RUNT_OK ? meas_us : NAN;
    return rc;
}

/* GFLOP/s of `flops` that took with_us - without_us. A difference lost in
 * the noise (at most 1 % of the run) says the work is about free: it is
 * given 1 % of the run, so a rate stays finite and never 0 ("not
 * measured"). */
static double runt_difference_rate(double flops, double with_us, double without_us)
{
    double us = fmax(with_us - without_us, 0.01 * with_us);
    return flops / us * 1e-3;
}

/* The ops of runt_op_rate_ops. Activations and Softmax alone on a bench
 * input (uniform noise, as an op that no layer feeds sees): activations
 * over [1, 64 Ki], Softmax over [64, 1024] rows. The pools 2x2 stride 2
 * on the output of a Conv2d(1, 4, 3x3) on 64x64, less the conv alone: a
 * max pool's compares are branches, and on noise they mispredict (3.4 ns
 * a FLOP on the dev VM's Zen 5, against 0.8-1.7 on the zoo's feature maps,
 * which a conv has smoothed). */
static runt_status runt_probe_op_rates(const runt_probe *probe, runt_calibration *c)
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
                rc = runt_probe_layer_then(&light, POOL_IN, POOL_CH, POOL_SIDE, 1, RUNT_F32,
                                           RUNT_OP_COUNT, NULL, &conv_us, &spreads[n]);
                if (rc != RUNT_OK && rc != RUNT_E_UNSUPPORTED)
                    return rc;
                n += rc == RUNT_OK;
            }
            rc = runt_probe_layer_then(&light, POOL_IN, POOL_CH, POOL_SIDE, 1, RUNT_F32, op, &a,
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

/* ReLU streaming ws[l] bytes (input and output) at each probed level:
 * stream_gbps. Called after runt_probe_op_rates, whose spread it joins. */
static runt_status runt_probe_streams(const runt_probe *probe, const double ws[RUNT_LEVEL_COUNT],
                                      runt_calibration *c)
{
    runt_probe light = runt_probe_light(probe);
    double spreads[RUNT_LEVEL_COUNT + 1];
    int n = 0;
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++) {
        if (!isfinite(c->bw_gbps[l]))
            continue; /* a level this backend's memory does not have */
        int64_t floats = (int64_t)(ws[l] / 8);
        int64_t dims[2] = {1, floats > 64 ? floats : 64};
        double meas_us;
        runt_session_stats st;
        double sp = NAN;
        runt_status rc = runt_probe_op(&light, RUNT_OP_RELU, NULL, 2, dims, &meas_us, &st, &sp);
        if (rc == RUNT_E_UNSUPPORTED)
            return RUNT_OK;
        if (rc != RUNT_OK)
            return rc;
        double moved = (double)(st.total.bytes_read + st.total.bytes_written);
        c->stream_gbps[l] = moved / runt_probe_work_us(c, meas_us, &st) * 1e-3;
        spreads[n++] = sp;
        if (probe->progress)
            fprintf(probe->progress, "  %s ReLU streaming %.0f KiB (%s): %.2f us -> %.1f GB/s "
                    "(spread %.1f%%)\n", probe->backend, moved / 1024, runt_level_names[l],
                    meas_us, c->stream_gbps[l], 100 * sp);
    }
    if (n > 0 && !isnan(c->spread[RUNT_PROBE_OP_RATES]))
        spreads[n++] = c->spread[RUNT_PROBE_OP_RATES];
    c->spread[RUNT_PROBE_OP_RATES] = runt_median_spread(spreads, n);
    return RUNT_OK;
}

/* "relu", ... by runt_activation: the cache's keys of the epilogue table. */
const char *const runt_act_rate_names[RUNT_ACT_RATE_COUNT] = {
    "none", "relu", "leaky_relu", "clip", "sigmoid", "tanh", "gelu", "gelu_tanh"};

/* The epilogue probes of one dtype (q 1: int8) into c->act_gflops[q],
 * their spreads appended to spreads[*n...]. */
static runt_status runt_probe_epilogues_of(const runt_probe *p, int q, int64_t in, int64_t out,
                                           int64_t batch, runt_calibration *c, double *spreads,
                                           int *n)
{
    runt_dtype dtype = q ? RUNT_I8 : RUNT_F32;
    double plain_us;
    runt_status rc = runt_probe_layer_then(p, in, out, 0, batch, dtype, RUNT_OP_COUNT, NULL,
                                           &plain_us, &spreads[*n]);
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
        rc = runt_probe_layer_then(p, in, out, 0, batch, dtype, op, &a, &us, &spreads[*n]);
        if (rc == RUNT_E_UNSUPPORTED)
            continue;
        if (rc != RUNT_OK)
            return rc;
        (*n)++;
        c->act_gflops[q][act] = runt_difference_rate((double)(batch * out), us, plain_us);
        if (p->progress)
            fprintf(p->progress, "  %s %s Linear(%lld, %lld) + %s: %.2f us, %.2f us alone -> "
                    "%.3f GFLOP/s (spread %.1f%%)\n", p->backend, runt_dtype_name(dtype),
                    (long long)in, (long long)out, runt_act_rate_names[act], us, plain_us,
                    c->act_gflops[q][act], 100 * spreads[*n - 1]);
    }
    return RUNT_OK;
}

/* Each fused activation: Linear(16, 1024) at batch 64 followed by the
 * activation's op (which the session fuses into the Gemm's epilogue), less
 * the Linear alone, over its 64 Ki outputs. Through the fused path, as the
 * CPU backend's packed GEMM applies some activations in its own vector
 * loop (a fused LeakyRelu measured ~0.1 ns an element, the op alone 4 ns:
 * its branch mispredicts on noise). In f32 and in int8, whose layers apply
 * the activation in their own loop too (an int8 LeakyRelu layer: ~4 ns an
 * output). */
static runt_status runt_probe_epilogues(const runt_probe *probe, runt_calibration *c)
{
    runt_probe light = runt_probe_light(probe);
    enum { IN = 16, OUT = 1024, BATCH = 64 };
    double spreads[2 * RUNT_ACT_RATE_COUNT];
    int n = 0;
    for (int q = 0; q < 2; q++) {
        runt_status rc = runt_probe_epilogues_of(&light, q, IN, OUT, BATCH, c, spreads, &n);
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
                        *g = peak;
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
static runt_status runt_probe_conv_grid(const runt_probe *probe, runt_calibration *c)
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

/* A GEMV whose weights take `bytes`: read bandwidth once dispatch is paid. */
static runt_status runt_probe_bandwidth(const runt_probe *p, const runt_calibration *c,
                                        double bytes, double *gbps, double *spread)
{
    int64_t n = (int64_t)llround(sqrt(bytes / 4.0));
    if (n < 16)
        n = 16;
    int64_t w[2] = {n, n};
    double meas_us;
    runt_session_stats st;
    runt_status rc = runt_probe_mlp(p, w, 2, 0, 1, RUNT_F32, &meas_us, &st, spread);
    if (rc != RUNT_OK)
        return rc;
    double moved = (double)(st.total.bytes_read + st.total.bytes_written);
    *gbps = moved / runt_probe_work_us(c, meas_us, &st) * 1e-3;
    if (p->progress)
        fprintf(p->progress, "  %s GEMV %lldx%lld (%.0f KiB): %.2f us -> %.1f GB/s (spread %.1f%%)\n",
                p->backend, (long long)n, (long long)n, moved / 1024, meas_us, *gbps,
                100 * *spread);
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

static runt_status runt_probe_copies(const runt_probe *p, double max_bytes, runt_calibration *c)
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

double runt_calibration_act_gflops(const runt_calibration *c, int int8, runt_activation act)
{
    if ((int)act <= RUNT_ACT_NONE || (int)act >= RUNT_ACT_RATE_COUNT)
        return 0;
    double g = c->act_gflops[int8 ? 1 : 0][act];
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

double runt_calibration_gemm_gflops(const runt_calibration *c, int int8, double m, double n,
                                    double k)
{
    int im, in, ik;
    double tm, tn, tk;
    runt_grid_locate(runt_gemm_grid_m, RUNT_GEMM_GRID_MS, m, &im, &tm);
    runt_grid_locate(runt_gemm_grid_n, RUNT_GEMM_GRID_NS, n, &in, &tn);
    runt_grid_locate(runt_gemm_grid_k, RUNT_GEMM_GRID_KS, k, &ik, &tk);
    /* Trilinear in the logs of the rates, as the conv grid. */
    double sum = 0;
    for (int corner = 0; corner < 8; corner++) {
        int mm = corner & 1, nn = (corner >> 1) & 1, kk = (corner >> 2) & 1;
        double w = (mm ? tm : 1 - tm) * (nn ? tn : 1 - tn) * (kk ? tk : 1 - tk);
        double g = c->gemm_gflops[int8 ? 1 : 0][im + mm][in + nn][ik + kk];
        if (w == 0)
            continue;
        if (!(g > 0) || !isfinite(g))
            return 0;
        sum += w * log(g);
    }
    return exp(sum);
}

double runt_calibration_conv_gflops(const runt_calibration *c, int int8, double depth,
                                    double out_channels, double pixels)
{
    int id, io, is;
    double td, to, ts;
    /* The grid's sides are image sides; a shape's pixels compare with their
     * squares. */
    runt_grid_locate(runt_conv_grid_depth, RUNT_CONV_GRID_DEPTHS, depth, &id, &td);
    runt_grid_locate(runt_conv_grid_out, RUNT_CONV_GRID_OUTS, out_channels, &io, &to);
    runt_grid_locate(runt_conv_grid_side, RUNT_CONV_GRID_SIDES, sqrt(pixels), &is, &ts);
    /* Trilinear in the logs of the rates: rates span orders of magnitude
     * and a point between two is their geometric, not arithmetic, mean. */
    double sum = 0;
    for (int k = 0; k < 8; k++) {
        int dd = k & 1, oo = (k >> 1) & 1, ss = (k >> 2) & 1;
        double w = (dd ? td : 1 - td) * (oo ? to : 1 - to) * (ss ? ts : 1 - ts);
        double g = c->conv_gflops[int8 ? 1 : 0][id + dd][io + oo][is + ss];
        if (w == 0)
            continue;
        if (!(g > 0) || !isfinite(g))
            return 0;
        sum += w * log(g);
    }
    return exp(sum);
}

void runt_calibration_monotone(runt_calibration *c)
{
    double farther = NAN;
    for (int l = RUNT_LEVEL_DRAM; l >= 0; l--) {
        if (!isfinite(c->bw_gbps[l]))
            continue;
        if (isfinite(farther) && c->bw_gbps[l] < farther) {
            c->bw_gbps[l] = farther;
            c->raised |= 1 << l;
        }
        farther = c->bw_gbps[l];
    }
}

/* Working sets that sit well inside each level (see calibrate.h). */
static void runt_probe_sizes(const runt_calibration *c, double max_bytes,
                             double ws[RUNT_LEVEL_COUNT])
{
    const double *cap = c->level_bytes;
    ws[RUNT_LEVEL_L1] = cap[RUNT_LEVEL_L1] / 2;
    ws[RUNT_LEVEL_L2] = cap[RUNT_LEVEL_L2] / 2;
    ws[RUNT_LEVEL_L3] = sqrt(cap[RUNT_LEVEL_L2] * cap[RUNT_LEVEL_L3]);
    ws[RUNT_LEVEL_DRAM] = 2 * cap[RUNT_LEVEL_L3];
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++)
        if (ws[l] > max_bytes)
            ws[l] = max_bytes;
}

/* Device backends describe no caches through runt_device_info: every
 * current datacenter GPU has at least 16 MiB of L2, so probe 8 MiB there
 * and the rest as HBM; L1 and L3 stay unprobed (null). */
static void runt_device_levels(runt_calibration *c)
{
    c->level_bytes[RUNT_LEVEL_L1] = 0;
    c->level_bytes[RUNT_LEVEL_L2] = 16 * RUNT_MIB;
    c->level_bytes[RUNT_LEVEL_L3] = 16 * RUNT_MIB;
    c->level_bytes[RUNT_LEVEL_DRAM] = INFINITY;
}

/* One full pass of the probes into out, whose identity and level sizes are
 * set; the spreads of the probes that ran are filled in. */
static runt_status runt_calibration_attempt(const runt_probe *probe, const runt_device_info *info,
                                            const runt_calibration_config *config,
                                            runt_calibration *out)
{
    const runt_probe *p = probe;
    out->h2d_gbps = out->d2h_gbps = NAN;
    out->raised = 0;
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++)
        out->bw_gbps[l] = NAN;
    for (int k = 0; k < RUNT_PROBE_COUNT; k++)
        out->spread[k] = NAN;
    memset(out->op_gflops, 0, sizeof out->op_gflops);
    memset(out->stream_gbps, 0, sizeof out->stream_gbps);
    memset(out->act_gflops, 0, sizeof out->act_gflops);
    memset(out->conv_gflops, 0, sizeof out->conv_gflops);
    memset(out->gemm_gflops, 0, sizeof out->gemm_gflops);
    out->tables = 1;
    runt_status rc = runt_probe_peak(p, RUNT_F32, &out->peak_gflops,
                                     &out->spread[RUNT_PROBE_PEAK_F32]);
    if (rc == RUNT_OK)
        rc = runt_probe_peak(p, RUNT_I8, &out->peak_int8_gops, &out->spread[RUNT_PROBE_PEAK_INT8]);
    if (rc == RUNT_OK)
        rc = runt_probe_dispatch(p, out);
    if (rc == RUNT_OK)
        rc = runt_probe_eltwise(p, out, &out->eltwise_gflops, &out->spread[RUNT_PROBE_ELTWISE]);
    if (rc == RUNT_OK)
        rc = runt_probe_op_rates(p, out);
    if (rc == RUNT_OK)
        rc = runt_probe_epilogues(p, out);
    if (rc == RUNT_OK)
        rc = runt_probe_conv_grid(p, out);
    double ws[RUNT_LEVEL_COUNT];
    runt_probe_sizes(out, config->max_probe_bytes, ws);
    for (int l = 0; rc == RUNT_OK && l < RUNT_LEVEL_COUNT; l++) {
        if (!info->host_memory && (l == RUNT_LEVEL_L1 || l == RUNT_LEVEL_L3))
            continue;
        if (!info->host_memory)
            ws[l] = fmin(l == RUNT_LEVEL_L2 ? 8 * RUNT_MIB : 1024 * RUNT_MIB, config->max_probe_bytes);
        rc = runt_probe_bandwidth(p, out, ws[l], &out->bw_gbps[l], &out->spread[RUNT_PROBE_BW_L1 + l]);
    }
    /* A level slower than a farther one caught another process on the
     * machine for its whole probe: measure it twice more, keep the best. */
    for (int l = 0; rc == RUNT_OK && l < RUNT_LEVEL_DRAM; l++) {
        double farther = 0;
        for (int k = l + 1; k < RUNT_LEVEL_COUNT; k++)
            if (isfinite(out->bw_gbps[k]))
                farther = fmax(farther, out->bw_gbps[k]);
        for (int retry = 0; rc == RUNT_OK && retry < 2 && out->bw_gbps[l] < farther; retry++) {
            double again, spread;
            rc = runt_probe_bandwidth(p, out, ws[l], &again, &spread);
            if (rc == RUNT_OK && again > out->bw_gbps[l]) {
                out->bw_gbps[l] = again;
                out->spread[RUNT_PROBE_BW_L1 + l] = spread;
            }
        }
    }
    if (rc == RUNT_OK)
        runt_calibration_monotone(out);
    if (rc == RUNT_OK)
        rc = runt_probe_streams(p, ws, out);
    if (rc == RUNT_OK && !info->host_memory)
        rc = runt_probe_copies(p, config->max_probe_bytes, out);
    return rc;
}

/* The measurement behind "the faster result wins" (see calibrate.h):
 * measured on the dev VM at load average 3.9, one attempt read ReLU at 24
 * GFLOP/s and the next, with every run waiting out a ~8 ms timeslice, at
 * 0.01 with a spread of 1.2 %: agreeing rounds can all be slow alike. */
void runt_calibration_fold(runt_calibration *into, const runt_calibration *b)
{
    struct {
        double *keep;
        double other;
        int probe;
    } rates[] = {
        {&into->peak_gflops, b->peak_gflops, RUNT_PROBE_PEAK_F32},
        {&into->peak_int8_gops, b->peak_int8_gops, RUNT_PROBE_PEAK_INT8},
        {&into->eltwise_gflops, b->eltwise_gflops, RUNT_PROBE_ELTWISE},
        {&into->bw_gbps[RUNT_LEVEL_L1], b->bw_gbps[RUNT_LEVEL_L1], RUNT_PROBE_BW_L1},
        {&into->bw_gbps[RUNT_LEVEL_L2], b->bw_gbps[RUNT_LEVEL_L2], RUNT_PROBE_BW_L2},
        {&into->bw_gbps[RUNT_LEVEL_L3], b->bw_gbps[RUNT_LEVEL_L3], RUNT_PROBE_BW_L3},
        {&into->bw_gbps[RUNT_LEVEL_DRAM], b->bw_gbps[RUNT_LEVEL_DRAM], RUNT_PROBE_BW_DRAM},
        {&into->h2d_gbps, b->h2d_gbps, RUNT_PROBE_H2D},
        {&into->d2h_gbps, b->d2h_gbps, RUNT_PROBE_D2H},
    };
    for (size_t k = 0; k < sizeof rates / sizeof rates[0]; k++) {
        if (!(rates[k].other > *rates[k].keep) && !(isnan(*rates[k].keep) && !isnan(rates[k].other)))
            continue;
        *rates[k].keep = rates[k].other;
        into->spread[rates[k].probe] = b->spread[rates[k].probe];
        int level = rates[k].probe - RUNT_PROBE_BW_L1;
        if (level >= 0 && level < RUNT_LEVEL_COUNT)
            into->raised = (into->raised & ~(1 << level)) | (b->raised & (1 << level));
    }
    /* The tables point by point, the same rule; each table's spread (a
     * median over its points) is the smaller of the two, as its points now
     * come from the faster of two attempts. */
    for (int k = 0; k < RUNT_OP_RATE_COUNT; k++)
        into->op_gflops[k] = fmax(into->op_gflops[k], b->op_gflops[k]);
    for (int q = 0; q < 2; q++)
        for (int k = 0; k < RUNT_ACT_RATE_COUNT; k++)
            into->act_gflops[q][k] = fmax(into->act_gflops[q][k], b->act_gflops[q][k]);
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++)
        into->stream_gbps[l] = fmax(into->stream_gbps[l], b->stream_gbps[l]);
    double *conv = &into->conv_gflops[0][0][0][0];
    const double *conv_b = &b->conv_gflops[0][0][0][0];
    for (size_t k = 0; k < sizeof into->conv_gflops / sizeof *conv; k++)
        conv[k] = fmax(conv[k], conv_b[k]);
    double *gemm = &into->gemm_gflops[0][0][0][0];
    const double *gemm_b = &b->gemm_gflops[0][0][0][0];
    for (size_t k = 0; k < sizeof into->gemm_gflops / sizeof *gemm; k++)
        gemm[k] = fmax(gemm[k], gemm_b[k]);
    for (int p = RUNT_PROBE_OP_RATES; p <= RUNT_PROBE_CONV; p++)
        if (isnan(into->spread[p]) || b->spread[p] < into->spread[p])
            into->spread[p] = b->spread[p];
    if (b->launch_us < into->launch_us ||
        (b->launch_us == into->launch_us && b->run_us < into->run_us)) {
        into->launch_us = b->launch_us;
        into->run_us = b->run_us;
        into->spread[RUNT_PROBE_DISPATCH] = b->spread[RUNT_PROBE_DISPATCH];
    }
    /* Levels from different attempts can again come out nearer-slower. */
    runt_calibration_monotone(into);
    into->busy |= b->busy;
    if (!(into->load_others >= b->load_others))
        into->load_others = b->load_others;
    if (!(into->load_avg >= b->load_avg))
        into->load_avg = b->load_avg;
}

static void runt_sleep_s(double s)
{
    if (!(s > 0))
        return;
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

runt_status runt_calibration_run(const char *backend, int threads,
                                 const runt_calibration_config *config, runt_calibration *out,
                                 FILE *progress)
{
    if (!backend || !config || !out)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_calibration_run: an argument is NULL");
    memset(out, 0, sizeof *out);
    runt_device_info info;
    int n = 0;
    runt_status rc = runt_backend_count(&n);
    int found = 0;
    for (int i = 0; rc == RUNT_OK && i < n && !found; i++) {
        rc = runt_backend_info(i, &info);
        found = rc == RUNT_OK && strcmp(info.backend, backend) == 0;
    }
    if (rc != RUNT_OK)
        return rc;
    if (!found)
        return runt_error_set(RUNT_E_INVALID_ARG, "calibration: no backend '%s' in this build", backend);
    if (!info.available)
        return runt_error_set(RUNT_E_BACKEND, "calibration: backend '%s' is not available: %s",
                              backend, info.reason);
    runt_calibration *trial = malloc(sizeof *trial);
    if (!trial)
        return runt_error_set(RUNT_E_OOM, "calibration: out of memory");
    memset(trial, 0, sizeof *trial);
    snprintf(trial->backend, sizeof trial->backend, "%s", info.backend);
    snprintf(trial->device, sizeof trial->device, "%s", info.name);
    trial->threads = runt_calibration_threads(&info, threads);
    trial->host_memory = info.host_memory;
    trial->checked = 1;
    if (info.host_memory)
        runt_host_cache_bytes(trial->threads, trial->level_bytes);
    else
        runt_device_levels(trial);

    runt_probe p = {backend, threads, config->max_gemm_n, runt_measure_config_default(), progress, 0, 0};
    p.measure.min_time_s = config->min_time_s;
    p.measure.min_reps = config->min_reps;
    p.measure.max_time_s = fmax(1.0, 10 * config->min_time_s);
    if (progress)
        fprintf(progress, "calibrating %s (%s, %d thread%s)\n", backend, info.name, trial->threads,
                trial->threads == 1 ? "" : "s");
    int attempts = config->max_attempts > 1 ? config->max_attempts : 1;
    double start_s = runt_clock_us() * 1e-6;
    int kept = 0;
    for (int a = 1; a <= attempts; a++) {
        runt_load_mark before = runt_load_mark_now();
        rc = runt_calibration_attempt(&p, &info, config, trial);
        if (rc != RUNT_OK)
            break;
        runt_load_mark after = runt_load_mark_now();
        trial->load_others = runt_load_others(&before, &after);
        trial->load_avg = runt_load_average();
        trial->cores = after.ok ? after.cores : 0;
        trial->busy = runt_calibration_busy(trial->load_others, trial->cores, trial->threads);
        trial->attempts = a;
        int clean = !trial->busy && !runt_calibration_unsettled(trial);
        /* A quiet, settled attempt stands alone; earlier ones would only
         * bring their busy mark. */
        if (!kept || clean)
            *out = *trial;
        else
            runt_calibration_fold(out, trial);
        kept = 1;
        out->attempts = a;
        if (clean)
            break;
        /* Another attempt only when it would likely end within the budget:
         * this one's duration again, plus the pause. */
        double now_s = runt_clock_us() * 1e-6, took_s = after.wall_s - before.wall_s;
        int again = a < attempts &&
                    now_s - start_s + config->retry_pause_s + took_s <= config->max_total_s;
        if (progress) {
            char why[320];
            runt_calibration_reusable(trial, NULL, trial->threads, why, sizeof why);
            fprintf(progress, "  %s: attempt %d: %s; %s\n", backend, a, why,
                    again ? "measuring again after a pause"
                                  : "keeping each probe's fastest result over the attempts, marked");
        }
        if (!again)
            break;
        runt_sleep_s(config->retry_pause_s);
    }
    free(trial);
    return rc;
}

/* ------------------------------------------------------------------------- */
/* The cache                                                                 */
/* ------------------------------------------------------------------------- */

void runt_calibration_default_dir(char *out, size_t size)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && xdg[0])
        snprintf(out, size, "%s/runt", xdg);
    else if (home && home[0])
        snprintf(out, size, "%s/.cache/runt", home);
    else
        snprintf(out, size, ".runt-cache");
}

void runt_calibration_path(const char *dir, const char *backend, int threads, char *out,
                           size_t size)
{
    snprintf(out, size, "%s/calibration-%s-t%d.json", dir, backend, threads);
}

/* mkdir -p */
static int runt_make_dirs(const char *dir)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* The tables' entries one by one, in the file's order: entry `index` of c
 * (NULL past the last), the object it is written in (*group) and its key,
 * unique in the whole file (the reader finds the first "key":): op_Relu,
 * ..., stream_l1, ..., epilogue_f32_relu, ..., gemm_f32_m1_n16_k16, ...,
 * conv_f32_d9_m4_s8, .... Saving, loading and checking a loaded file all
 * walk this one list, so a table is added in one place. */
static double *runt_cal_table_entry(runt_calibration *c, int index, const char **group, char *key,
                                    size_t size)
{
    enum {
        ACTS = RUNT_ACT_RATE_COUNT - RUNT_ACT_RELU,
        GEMM = RUNT_GEMM_GRID_MS * RUNT_GEMM_GRID_NS * RUNT_GEMM_GRID_KS,
        CONV = RUNT_CONV_GRID_DEPTHS * RUNT_CONV_GRID_OUTS * RUNT_CONV_GRID_SIDES
    };
    int i = index;
    if (i >= 0 && i < RUNT_OP_RATE_COUNT) {
        *group = "op_gflops";
        snprintf(key, size, "op_%s", runt_op_name(runt_op_rate_ops[i]));
        return &c->op_gflops[i];
    }
    i -= RUNT_OP_RATE_COUNT;
    if (i >= 0 && i < RUNT_LEVEL_COUNT) {
        *group = "stream_gbps";
        snprintf(key, size, "stream_%s", runt_level_names[i]);
        return &c->stream_gbps[i];
    }
    i -= RUNT_LEVEL_COUNT;
    if (i >= 0 && i < 2 * ACTS) {
        int q = i / ACTS, act = RUNT_ACT_RELU + i % ACTS;
        *group = "act_gflops";
        snprintf(key, size, "epilogue_%s_%s", q ? "int8" : "f32", runt_act_rate_names[act]);
        return &c->act_gflops[q][act];
    }
    i -= 2 * ACTS;
    if (i >= 0 && i < 2 * GEMM) {
        int q = i / GEMM, r = i % GEMM;
        int im = r / (RUNT_GEMM_GRID_NS * RUNT_GEMM_GRID_KS);
        int in = r / RUNT_GEMM_GRID_KS % RUNT_GEMM_GRID_NS, ik = r % RUNT_GEMM_GRID_KS;
        *group = "gemm_gflops";
        snprintf(key, size, "gemm_%s_m%lld_n%lld_k%lld", q ? "int8" : "f32",
                 (long long)runt_gemm_grid_m[im], (long long)runt_gemm_grid_n[in],
                 (long long)runt_gemm_grid_k[ik]);
        return &c->gemm_gflops[q][im][in][ik];
    }
    i -= 2 * GEMM;
    if (i >= 0 && i < 2 * CONV) {
        int q = i / CONV, r = i % CONV;
        int d = r / (RUNT_CONV_GRID_OUTS * RUNT_CONV_GRID_SIDES);
        int o = r / RUNT_CONV_GRID_SIDES % RUNT_CONV_GRID_OUTS, si = r % RUNT_CONV_GRID_SIDES;
        *group = "conv_gflops";
        snprintf(key, size, "conv_%s_d%lld_m%lld_s%lld", q ? "int8" : "f32",
                 (long long)runt_conv_grid_depth[d], (long long)runt_conv_grid_out[o],
                 (long long)runt_conv_grid_side[si]);
        return &c->conv_gflops[q][d][o][si];
    }
    return NULL;
}

runt_status runt_calibration_save(const runt_calibration *c, const char *dir)
{
    char path[1200];
    runt_calibration_path(dir, c->backend, c->threads, path, sizeof path);
    if (runt_make_dirs(dir) != 0)
        return runt_error_set(RUNT_E_IO, "cannot create the cache directory %s: %s", dir,
                              strerror(errno));
    FILE *f = fopen(path, "w");
    if (!f)
        return runt_error_set(RUNT_E_IO, "cannot write %s: %s", path, strerror(errno));
    runt_json j;
    runt_json_init(&j, f, 2);
    runt_json_begin_object(&j, NULL);
    runt_json_int(&j, "format", RUNT_CALIBRATION_FORMAT);
    runt_json_string(&j, "runt_version", runt_version());
    runt_json_string(&j, "backend", c->backend);
    runt_json_string(&j, "name", c->device);
    runt_json_int(&j, "threads", c->threads);
    runt_json_int(&j, "host_memory", c->host_memory);
    runt_json_number(&j, "peak_gflops", c->peak_gflops);
    runt_json_number(&j, "peak_int8_gops", c->peak_int8_gops);
    runt_json_number(&j, "elementwise_gflops", c->eltwise_gflops);
    runt_json_begin_object(&j, "bandwidth_gbps");
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++)
        runt_json_number(&j, runt_level_names[l], c->bw_gbps[l]);
    runt_json_end_object(&j);
    runt_json_begin_object(&j, "level_bytes");
    for (int l = 0; l < RUNT_LEVEL_DRAM; l++) {
        char key[16];
        snprintf(key, sizeof key, "%s_bytes", runt_level_names[l]);
        runt_json_number(&j, key, c->level_bytes[l]);
    }
    runt_json_end_object(&j);
    runt_json_number(&j, "launch_us", c->launch_us);
    runt_json_number(&j, "run_us", c->run_us);
    runt_json_number(&j, "h2d_gbps", c->h2d_gbps);
    runt_json_number(&j, "d2h_gbps", c->d2h_gbps);
    runt_json_int(&j, "raised_levels", c->raised);
    const char *open = NULL, *group;
    char key[48];
    double *v;
    for (int k = 0; (v = runt_cal_table_entry((runt_calibration *)c, k, &group, key,
                                               sizeof key)) != NULL; k++) {
        if (!open || strcmp(open, group) != 0) {
            if (open)
                runt_json_end_object(&j);
            runt_json_begin_object(&j, group);
            open = group;
        }
        runt_json_number(&j, key, *v);
    }
    runt_json_end_object(&j);
    /* Keys unique in the whole file: the reader finds the first "key":. */
    runt_json_number(&j, "load_avg_1m", c->load_avg);
    runt_json_number(&j, "load_others_cores", c->load_others);
    runt_json_int(&j, "cores", c->cores);
    runt_json_int(&j, "busy", c->busy);
    runt_json_int(&j, "attempts", c->attempts);
    runt_json_begin_object(&j, "probe_spread");
    for (int k = 0; k < RUNT_PROBE_COUNT; k++) {
        char key[32];
        snprintf(key, sizeof key, "spread_%s", runt_probe_names[k]);
        runt_json_number(&j, key, c->spread[k]);
    }
    runt_json_end_object(&j);
    runt_json_end_object(&j);
    int bad = runt_json_finish(&j);
    if (fclose(f) != 0 || bad)
        return runt_error_set(RUNT_E_IO, "writing %s failed", path);
    return RUNT_OK;
}

/* A rate or time read from a file: finite and within what any device of
 * today reaches by orders of magnitude; NAN allowed where optional. */
static int runt_cal_value_ok(double v, double lo, double hi, int optional)
{
    if (isnan(v))
        return optional;
    return v >= lo && v <= hi;
}

/* 1, with the name of the first field of a loaded calibration that no
 * measurement can give in field, or 0. A negative or NaN rate would make the cost model predict
 * negative or NaN times; a cache file is text anyone can edit. */
static int runt_calibration_absurd(const runt_calibration *c, double *bad, char *field,
                                   size_t size)
{
#define RUNT_CAL_CHECK(name, v, lo, hi, opt)                                                       \
    do {                                                                                           \
        if (!runt_cal_value_ok((v), (lo), (hi), (opt))) {                                          \
            *bad = (v);                                                                            \
            snprintf(field, size, "%s", (name));                                                   \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)
    RUNT_CAL_CHECK("threads", c->threads, 1, 4096, 0);
    RUNT_CAL_CHECK("host_memory", c->host_memory, 0, 1, 0);
    /* 1e9 G(FL)OP/s is an exaflop: three orders past any single device. */
    RUNT_CAL_CHECK("peak_gflops", c->peak_gflops, 1e-9, 1e9, 0);
    RUNT_CAL_CHECK("peak_int8_gops", c->peak_int8_gops, 1e-9, 1e9, 1);
    RUNT_CAL_CHECK("elementwise_gflops", c->eltwise_gflops, 1e-9, 1e9, 0);
    RUNT_CAL_CHECK("launch_us", c->launch_us, 0, 1e9, 0);
    RUNT_CAL_CHECK("run_us", c->run_us, 0, 1e9, 0);
    RUNT_CAL_CHECK("h2d_gbps", c->h2d_gbps, 1e-9, 1e9, 1);
    RUNT_CAL_CHECK("d2h_gbps", c->d2h_gbps, 1e-9, 1e9, 1);
    static const char *const bw[RUNT_LEVEL_COUNT] = {"bandwidth_gbps.l1", "bandwidth_gbps.l2",
                                                     "bandwidth_gbps.l3", "bandwidth_gbps.dram"};
    static const char *const cap[RUNT_LEVEL_DRAM] = {"l1_bytes", "l2_bytes", "l3_bytes"};
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++) {
        RUNT_CAL_CHECK(bw[l], c->bw_gbps[l], 1e-9, 1e9, 1);
        if (l < RUNT_LEVEL_DRAM)
            RUNT_CAL_CHECK(cap[l], c->level_bytes[l], 0, 1e18, 0);
    }
    RUNT_CAL_CHECK("raised_levels", c->raised, 0, (1 << RUNT_LEVEL_COUNT) - 1, 0);
    /* Table entries: 0 is "not measured". */
    const char *group;
    char key[48];
    const double *v;
    for (int k = 0; (v = runt_cal_table_entry((runt_calibration *)c, k, &group, key,
                                               sizeof key)) != NULL; k++)
        RUNT_CAL_CHECK(key, *v, 0, 1e9, 0);
    if (c->checked) {
        RUNT_CAL_CHECK("load_avg_1m", c->load_avg, 0, 1e6, 1);
        RUNT_CAL_CHECK("load_others_cores", c->load_others, 0, 1e6, 1);
        RUNT_CAL_CHECK("cores", c->cores, 0, 1e6, 0);
        RUNT_CAL_CHECK("busy", c->busy, 0, 1, 0);
        RUNT_CAL_CHECK("attempts", c->attempts, 0, 1000, 0);
        for (int k = 0; k < RUNT_PROBE_COUNT; k++)
            RUNT_CAL_CHECK(runt_probe_names[k], c->spread[k], 0, 1e9, 1);
    }
#undef RUNT_CAL_CHECK
    return 0;
}

/* 1 when the text is one JSON object whose braces close (outside strings):
 * a file cut short can still hold every key, but it was not written whole,
 * so nothing in it is trusted. */
static int runt_cal_whole_object(const char *text)
{
    int depth = 0, in_string = 0, opened = 0;
    const char *last = NULL;
    for (const char *p = text; *p; p++) {
        if (in_string) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                in_string = 0;
            continue;
        }
        if (*p == '"')
            in_string = 1;
        else if (*p == '{')
            depth++, opened = 1;
        else if (*p == '}' && --depth == 0)
            last = p;
        if (depth < 0)
            return 0;
    }
    if (!opened || depth != 0 || in_string || !last)
        return 0;
    for (const char *p = last + 1; *p; p++)
        if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t')
            return 0;
    return 1;
}

/* An integer field read as a double: whole and in int range, else NAN so
 * the range check names it. */
static int runt_cal_int(double v)
{
    return v == floor(v) && fabs(v) < 1e9 ? (int)v : -1;
}

runt_status runt_calibration_load(const char *path, runt_calibration *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return runt_error_set(RUNT_E_IO, "cannot read %s: %s", path, strerror(errno));
    /* A calibration runt writes is under 12 KiB; a file that fills the
     * buffer is not one (and reading part of it would miss fields). */
    char text[32768];
    size_t n = fread(text, 1, sizeof text - 1, f);
    int more = fgetc(f) != EOF;
    fclose(f);
    text[n] = '\0';
    memset(out, 0, sizeof *out);
    if (more)
        return runt_error_set(RUNT_E_IO, "%s is not a calibration: over %zu bytes", path, n);
    if (strlen(text) != n)
        return runt_error_set(RUNT_E_IO, "%s is not a calibration: it holds a zero byte", path);
    double format, threads, host_memory;
    char version[32];
    if (!runt_cal_whole_object(text))
        return runt_error_set(RUNT_E_IO, "%s is not a calibration: not one whole JSON object "
                              "(truncated or damaged)", path);
    if (runt_json_find_number(text, "format", &format) != 1)
        return runt_error_set(RUNT_E_IO, "%s is not a runt calibration (no \"format\")", path);
    if (format != RUNT_CALIBRATION_FORMAT && format != RUNT_CALIBRATION_FORMAT_FASTEST &&
        format != RUNT_CALIBRATION_FORMAT_NO_TABLES && format != RUNT_CALIBRATION_FORMAT_UNCHECKED)
        return runt_error_set(RUNT_E_IO, "%s has calibration format %g; this runt reads %d to %d",
                              path, format, RUNT_CALIBRATION_FORMAT_UNCHECKED,
                              RUNT_CALIBRATION_FORMAT);
    if (runt_json_find_string(text, "runt_version", version, sizeof version) != 1 ||
        strcmp(version, runt_version()) != 0)
        return runt_error_set(RUNT_E_IO, "%s is a calibration of runt %s, not of this runt %s", path,
                              version[0] ? version : "(unknown)", runt_version());
    static const char *const required[] = {"threads", "host_memory", "peak_gflops", "launch_us",
                                           "elementwise_gflops", "run_us"};
    double *slot[] = {&threads, &host_memory, &out->peak_gflops, &out->launch_us,
                      &out->eltwise_gflops, &out->run_us};
    if (runt_json_find_string(text, "backend", out->backend, sizeof out->backend) != 1 ||
        runt_json_find_string(text, "name", out->device, sizeof out->device) != 1)
        return runt_error_set(RUNT_E_IO, "%s: the calibration has no backend or device name "
                              "(truncated?)", path);
    for (size_t k = 0; k < sizeof required / sizeof required[0]; k++)
        if (runt_json_find_number(text, required[k], slot[k]) != 1)
            return runt_error_set(RUNT_E_IO, "%s: the calibration has no number \"%s\" "
                                  "(truncated?)", path, required[k]);
    out->threads = runt_cal_int(threads);
    out->host_memory = runt_cal_int(host_memory);
    double raised;
    out->raised = runt_json_find_number(text, "raised_levels", &raised) == 1 ? runt_cal_int(raised) : 0;
    runt_json_find_number(text, "peak_int8_gops", &out->peak_int8_gops);
    runt_json_find_number(text, "h2d_gbps", &out->h2d_gbps);
    runt_json_find_number(text, "d2h_gbps", &out->d2h_gbps);
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++) {
        char key[16];
        runt_json_find_number(text, runt_level_names[l], &out->bw_gbps[l]);
        snprintf(key, sizeof key, "%s_bytes", runt_level_names[l]);
        if (l == RUNT_LEVEL_DRAM || runt_json_find_number(text, key, &out->level_bytes[l]) != 1)
            out->level_bytes[l] = l == RUNT_LEVEL_DRAM ? INFINITY : 0;
    }
    out->checked = format != RUNT_CALIBRATION_FORMAT_UNCHECKED;
    out->tables = format >= RUNT_CALIBRATION_FORMAT_FASTEST;
    out->format = (int)format;
    /* A table entry that is missing or null was not measured (0). */
    const char *group;
    char key[48];
    double *v;
    for (int k = 0; out->tables && (v = runt_cal_table_entry(out, k, &group, key, sizeof key));
         k++)
        if (runt_json_find_number(text, key, v) != 1)
            *v = 0;
    out->load_avg = out->load_others = NAN;
    for (int k = 0; k < RUNT_PROBE_COUNT; k++)
        out->spread[k] = NAN;
    if (out->checked) {
        double cores, busy, attempts;
        if (runt_json_find_number(text, "cores", &cores) != 1 ||
            runt_json_find_number(text, "busy", &busy) != 1 ||
            runt_json_find_number(text, "attempts", &attempts) != 1 ||
            runt_json_find_number(text, "load_avg_1m", &out->load_avg) == -1 ||
            runt_json_find_number(text, "load_others_cores", &out->load_others) == -1)
            return runt_error_set(RUNT_E_IO, "%s: the calibration lacks its load record "
                                  "(cores, busy, attempts, load_avg_1m, load_others_cores; "
                                  "truncated?)", path);
        out->cores = runt_cal_int(cores);
        out->busy = runt_cal_int(busy);
        out->attempts = runt_cal_int(attempts);
        for (int k = 0; k < RUNT_PROBE_COUNT; k++) {
            char key[32];
            snprintf(key, sizeof key, "spread_%s", runt_probe_names[k]);
            if (!out->tables && k >= RUNT_PROBE_OP_RATES && k <= RUNT_PROBE_CONV)
                continue; /* format 4 has no tables, so no spreads of them */
            if (runt_json_find_number(text, key, &out->spread[k]) == -1)
                return runt_error_set(RUNT_E_IO, "%s: the calibration has no \"%s\" (truncated?)",
                                      path, key);
        }
    }
    double bad;
    char field[64];
    if (runt_calibration_absurd(out, &bad, field, sizeof field))
        return runt_error_set(RUNT_E_IO, "%s: the calibration's %s is %g, which no measurement "
                              "gives", path, field, bad);
    return RUNT_OK;
}

runt_status runt_calibration_get(const char *backend, int threads, const char *cache_dir,
                                 int force, runt_calibration *out, FILE *progress,
                                 int *from_cache)
{
    char dir[1024], path[1200];
    if (cache_dir)
        snprintf(dir, sizeof dir, "%s", cache_dir);
    else
        runt_calibration_default_dir(dir, sizeof dir);
    *from_cache = 0;
    /* The key: backend and effective threads in the file name, the device
     * name inside (a different machine sharing a home directory recalibrates). */
    int n = 0, eff = threads;
    runt_backend_count(&n);
    runt_device_info info;
    memset(&info, 0, sizeof info);
    for (int i = 0; i < n; i++)
        if (runt_backend_info(i, &info) == RUNT_OK && strcmp(info.backend, backend) == 0) {
            eff = runt_calibration_threads(&info, threads);
            break;
        }
    runt_calibration_path(dir, backend, eff, path, sizeof path);
    struct stat sb;
    if (!force && stat(path, &sb) == 0) {
        /* A cached file that is not reused is said why, so a user who sees a
         * bench calibrate again knows it was not the cache being ignored. */
        char why[512];
        if (runt_calibration_load(path, out) != RUNT_OK)
            snprintf(why, sizeof why, "%s", runt_last_error());
        else if (strcmp(out->backend, backend) != 0)
            snprintf(why, sizeof why, "it is a calibration of backend '%s'", out->backend);
        else if (runt_calibration_reusable(out, info.name, eff, why, sizeof why)) {
            *from_cache = 1;
            return RUNT_OK;
        }
        if (progress)
            fprintf(progress, "note: %s: measuring the calibration again, the cached one is not "
                    "reused: %s\n", backend, why);
    }
    runt_calibration_config config = runt_calibration_config_default();
    runt_status rc = runt_calibration_run(backend, threads, &config, out, progress);
    if (rc != RUNT_OK)
        return rc;
    char why[512];
    if (progress && !runt_calibration_reusable(out, NULL, out->threads, why, sizeof why))
        fprintf(progress, "note: %s: kept a calibration after %d attempt%s although %s; the next "
                "runt bench measures it again\n", backend, out->attempts,
                out->attempts == 1 ? "" : "s", why);
    rc = runt_calibration_save(out, dir);
    if (rc != RUNT_OK && progress) /* a read-only home still benches */
        fprintf(progress, "note: calibration not cached: %s\n", runt_last_error());
    return RUNT_OK;
}
