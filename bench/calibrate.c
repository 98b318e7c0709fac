#define _POSIX_C_SOURCE 200809L /* nanosleep */
/* Calibration: the grids' coordinates, one attempt of every probe, folding
 * attempts, and the cached get (calibrate.h; calibrate_impl.h lists
 * the other parts). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "calibrate_impl.h"
#include "runt-backend.h"

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


int runt_calibration_threads(const runt_device_info *info, int requested)
{
    if (!info->host_memory)
        return requested > 0 ? requested : 1;
    if (info->compute_units <= 1)
        return 1;
    return requested > 0 ? requested : info->compute_units;
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

/* A device's one shared cache (a GPU's L2: 50 MiB on an H100, 60 on an
 * H200, from its probe; 16 MiB, the least of current datacenter GPUs, when
 * the backend does not say) is the L2 level, and L3 ends where it ends:
 * weights past it come from the device's memory. L1 and L3 stay unprobed
 * (null). */
static void runt_device_levels(runt_calibration *c, const runt_device_info *info)
{
    double cache = info->cache_bytes > 0 ? (double)info->cache_bytes : 16 * RUNT_MIB;
    c->level_bytes[RUNT_LEVEL_L1] = 0;
    c->level_bytes[RUNT_LEVEL_L2] = cache;
    c->level_bytes[RUNT_LEVEL_L3] = cache;
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
    double *v;
    for (int k = 0; (v = runt_cal_table_entry(out, k, NULL, NULL, 0)) != NULL; k++)
        *v = 0;
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
        /* On a device: half the cache, so the weights stay resident and one
         * run reads long enough that its fixed cost is a small part (8 MiB
         * took ~4 us at an H200's L2 rate: launch-bound); 1 GiB for HBM. */
        if (!info->host_memory)
            ws[l] = fmin(l == RUNT_LEVEL_L2 ? out->level_bytes[RUNT_LEVEL_L2] / 2 : 1024 * RUNT_MIB,
                         config->max_probe_bytes);
        rc = runt_probe_bandwidth(p, out, RUNT_F32, ws[l], &out->bw_gbps[l],
                                  &out->spread[RUNT_PROBE_BW_L1 + l]);
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
            rc = runt_probe_bandwidth(p, out, RUNT_F32, ws[l], &again, &spread);
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
    if (rc == RUNT_OK && isfinite(out->peak_int8_gops))
        rc = runt_probe_int8_bandwidth(p, ws, out);
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
    double *keep;
    for (int k = 0; (keep = runt_cal_table_entry(into, k, NULL, NULL, 0)) != NULL; k++)
        *keep = fmax(*keep, *runt_cal_table_entry((runt_calibration *)b, k, NULL, NULL, 0));
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
        runt_device_levels(trial, &info);

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
