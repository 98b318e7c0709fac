#define _POSIX_C_SOURCE 200809L /* mkdir */
#include "calibrate.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json.h"
#include "measure.h"
#include "runt-backend.h"
#include "zoo.h"

#define RUNT_CALIBRATION_FORMAT 3
#define RUNT_MIB (1024.0 * 1024.0)

const char *const runt_level_names[RUNT_LEVEL_COUNT] = {"l1", "l2", "l3", "dram"};

runt_calibration_config runt_calibration_config_default(void)
{
    runt_calibration_config c = {.min_time_s = 0.2, .min_reps = 10,
                                 .max_probe_bytes = 1024.0 * RUNT_MIB, .max_gemm_n = 2048};
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
} runt_probe;

static runt_status runt_probe_single_op(runt_op op, const runt_attrs *attrs, int ndim,
                                        const int64_t *dims, runt_model **out);

/* Times model m at a batch and dtype; RUNT_E_UNSUPPORTED passes through.
 * Probes read the fastest of their runs, not the median: calibration asks
 * what the device does when it has its cores to itself. Noise from other
 * processes only ever adds time, and on a shared 2-core machine most runs
 * of a 2-thread probe can wait for a core (measured on the dev VM: the p10
 * of the 33 MiB GEMV probe was 5.8 ms at load average 2.6, 0.58 ms at 1.9). */
static runt_status runt_probe_run(const runt_probe *p, const runt_model *m, int64_t batch,
                                  runt_dtype dtype, runt_measurement *meas,
                                  runt_session_stats *st)
{
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
    rc = runt_measure_session(s, &p->measure, meas);
    if (rc == RUNT_OK)
        rc = runt_session_stats_get(s, st);
    runt_session_free(s);
    return rc;
}

static runt_status runt_probe_mlp(const runt_probe *p, const int64_t *widths, int n, int bias,
                                  int64_t batch, runt_dtype dtype, runt_measurement *meas,
                                  runt_session_stats *st)
{
    runt_model *m;
    runt_status rc = runt_zoo_build_mlp(widths, n, bias, &m);
    if (rc != RUNT_OK)
        return rc;
    rc = runt_probe_run(p, m, batch, dtype, meas, st);
    runt_model_free(m);
    return rc;
}

/* Times one op on x[1, dims...] at batch 1 in f32: the elementwise and the
 * copy probes, which differ only in the op. */
static runt_status runt_probe_op(const runt_probe *p, runt_op op, const runt_attrs *attrs,
                                 int ndim, const int64_t *dims, runt_measurement *meas,
                                 runt_session_stats *st)
{
    runt_model *m;
    runt_status rc = runt_probe_single_op(op, attrs, ndim, dims, &m);
    if (rc != RUNT_OK)
        return rc;
    rc = runt_probe_run(p, m, 1, RUNT_F32, meas, st);
    runt_model_free(m);
    return rc;
}

/* The best GFLOP/s of square GEMMs, n doubling until a run takes 50 ms.
 * NAN with RUNT_OK when the backend refuses the dtype. */
static runt_status runt_probe_peak(const runt_probe *p, runt_dtype dtype, double *gflops)
{
    *gflops = NAN;
    for (int64_t n = 128; n <= (p->max_gemm_n > 128 ? p->max_gemm_n : 128); n *= 2) {
        int64_t w[2] = {n, n};
        runt_measurement meas;
        runt_session_stats st;
        runt_status rc = runt_probe_mlp(p, w, 2, 0, n, dtype, &meas, &st);
        if (rc == RUNT_E_UNSUPPORTED)
            return RUNT_OK;
        if (rc != RUNT_OK)
            return rc;
        double g = (double)st.total.flops / meas.min_us * 1e-3;
        if (!(g <= *gflops))
            *gflops = g;
        if (p->progress)
            fprintf(p->progress, "  %s %s GEMM %lld^3: %.1f us, %.2f G%s/s\n", p->backend,
                    runt_dtype_name(dtype), (long long)n, meas.min_us, g,
                    dtype == RUNT_F32 ? "FLOP" : "OP");
        if (meas.min_us > 50e3)
            break;
    }
    return RUNT_OK;
}

/* ReLU over 64 Ki floats: 512 KiB of traffic, in L2 on any current CPU, so
 * the rate is the kernel's, not memory's. */
static runt_status runt_probe_eltwise(const runt_probe *p, const runt_calibration *c, double *gflops)
{
    int64_t dims[2] = {1, 64 * 1024};
    runt_measurement meas;
    runt_session_stats st;
    runt_status rc = runt_probe_op(p, RUNT_OP_RELU, NULL, 2, dims, &meas, &st);
    if (rc != RUNT_OK)
        return rc;
    double us = meas.min_us - st.launches * c->launch_us - c->run_us;
    if (us < 0.1 * meas.min_us)
        us = 0.1 * meas.min_us;
    *gflops = (double)st.total.flops / us * 1e-3;
    if (p->progress)
        fprintf(p->progress, "  %s ReLU 64Ki: %.2f us -> %.2f GFLOP/s elementwise\n", p->backend,
                meas.min_us, *gflops);
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
    double t[2];
    int launches[2];
    for (int k = 0; k < 2; k++) {
        runt_measurement meas;
        runt_session_stats st;
        runt_status rc = runt_probe_mlp(p, widths, (k ? LONG : SHORT) + 1, 1, 1, RUNT_F32, &meas, &st);
        if (rc != RUNT_OK)
            return rc;
        t[k] = meas.min_us;
        launches[k] = st.launches;
    }
    double slope = launches[1] > launches[0] ? (t[1] - t[0]) / (launches[1] - launches[0]) : 0;
    c->launch_us = slope > 0 ? slope : 0;
    double intercept = t[0] - launches[0] * c->launch_us;
    c->run_us = intercept > 0 ? intercept : 0;
    if (p->progress)
        fprintf(p->progress, "  %s dispatch: %d nodes %.2f us, %d nodes %.2f us -> %.3f us/node + %.2f us/run\n",
                p->backend, launches[0], t[0], launches[1], t[1], c->launch_us, c->run_us);
    return RUNT_OK;
}

/* A GEMV whose weights take `bytes`: read bandwidth once dispatch is paid. */
static runt_status runt_probe_bandwidth(const runt_probe *p, const runt_calibration *c,
                                        double bytes, double *gbps)
{
    int64_t n = (int64_t)llround(sqrt(bytes / 4.0));
    if (n < 16)
        n = 16;
    int64_t w[2] = {n, n};
    runt_measurement meas;
    runt_session_stats st;
    runt_status rc = runt_probe_mlp(p, w, 2, 0, 1, RUNT_F32, &meas, &st);
    if (rc != RUNT_OK)
        return rc;
    double moved = (double)(st.total.bytes_read + st.total.bytes_written);
    /* Dispatch is estimated separately and noisily; never let it eat more
     * than 90 % of the run, or a tiny probe would claim infinite bandwidth. */
    double mem_us = meas.min_us - st.launches * c->launch_us - c->run_us;
    if (mem_us < 0.1 * meas.min_us)
        mem_us = 0.1 * meas.min_us;
    *gbps = moved / mem_us * 1e-3;
    if (p->progress)
        fprintf(p->progress, "  %s GEMV %lldx%lld (%.0f KiB): %.2f us -> %.1f GB/s\n", p->backend,
                (long long)n, (long long)n, moved / 1024, meas.min_us, *gbps);
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
static runt_status runt_probe_copy(const runt_probe *p, double bytes, int to_device, double *us)
{
    int64_t elems = (int64_t)(bytes / 4);
    elems = elems < 64 ? 64 : elems - elems % 64;
    runt_measurement meas;
    runt_session_stats st;
    runt_status rc;
    if (to_device) {
        int64_t d4[4] = {1, 64, 1, elems / 64}; /* the pool wants [N, C, H, W] */
        rc = runt_probe_op(p, RUNT_OP_GLOBAL_AVERAGE_POOL, NULL, 4, d4, &meas, &st);
    } else {
        runt_attrs a;
        runt_attrs_default(RUNT_OP_PAD, &a);
        a.pad.ndim = 2;
        memset(a.pad.pads, 0, sizeof a.pad.pads);
        a.pad.pads[3] = elems - 1; /* after axis 1 */
        int64_t d2[2] = {1, 1};
        rc = runt_probe_op(p, RUNT_OP_PAD, &a, 2, d2, &meas, &st);
    }
    *us = rc == RUNT_OK ? meas.wall_median_us : NAN;
    return rc;
}

static runt_status runt_probe_copies(const runt_probe *p, double max_bytes, runt_calibration *c)
{
    double bytes = fmin(64 * RUNT_MIB, max_bytes);
    for (int dir = 0; dir < 2; dir++) {
        double us;
        runt_status rc = runt_probe_copy(p, bytes, dir == 0, &us);
        if (rc == RUNT_E_UNSUPPORTED)
            continue; /* the backend lacks the probe's op: leave it null */
        if (rc != RUNT_OK)
            return rc;
        double gbps = bytes / us * 1e-3;
        *(dir == 0 ? &c->h2d_gbps : &c->d2h_gbps) = gbps;
        if (p->progress)
            fprintf(p->progress, "  %s %s %.0f MiB: %.1f GB/s\n", p->backend,
                    dir == 0 ? "host->device" : "device->host", bytes / RUNT_MIB, gbps);
    }
    return RUNT_OK;
}

runt_status runt_calibration_copy_us(const char *backend, int threads, double bytes,
                                     int to_device, const runt_calibration_config *config,
                                     double *us)
{
    runt_probe p = {backend, threads, config->max_gemm_n, runt_measure_config_default(), NULL, 0};
    p.measure.min_time_s = config->min_time_s;
    p.measure.min_reps = config->min_reps;
    return runt_probe_copy(&p, bytes, to_device, us);
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
    snprintf(out->backend, sizeof out->backend, "%s", info.backend);
    snprintf(out->device, sizeof out->device, "%s", info.name);
    out->threads = runt_calibration_threads(&info, threads);
    out->host_memory = info.host_memory;
    out->h2d_gbps = out->d2h_gbps = NAN;
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++)
        out->bw_gbps[l] = NAN;
    if (info.host_memory)
        runt_host_cache_bytes(out->threads, out->level_bytes);
    else
        runt_device_levels(out);

    runt_probe p = {backend, threads, config->max_gemm_n, runt_measure_config_default(), progress, 0};
    p.measure.min_time_s = config->min_time_s;
    p.measure.min_reps = config->min_reps;
    p.measure.max_time_s = fmax(1.0, 10 * config->min_time_s);
    if (progress)
        fprintf(progress, "calibrating %s (%s, %d thread%s)\n", backend, info.name, out->threads,
                out->threads == 1 ? "" : "s");
    rc = runt_probe_peak(&p, RUNT_F32, &out->peak_gflops);
    if (rc == RUNT_OK)
        rc = runt_probe_peak(&p, RUNT_I8, &out->peak_int8_gops);
    if (rc == RUNT_OK)
        rc = runt_probe_dispatch(&p, out);
    if (rc == RUNT_OK)
        rc = runt_probe_eltwise(&p, out, &out->eltwise_gflops);
    double ws[RUNT_LEVEL_COUNT];
    runt_probe_sizes(out, config->max_probe_bytes, ws);
    for (int l = 0; rc == RUNT_OK && l < RUNT_LEVEL_COUNT; l++) {
        if (!info.host_memory && (l == RUNT_LEVEL_L1 || l == RUNT_LEVEL_L3))
            continue;
        if (!info.host_memory)
            ws[l] = fmin(l == RUNT_LEVEL_L2 ? 8 * RUNT_MIB : 1024 * RUNT_MIB, config->max_probe_bytes);
        rc = runt_probe_bandwidth(&p, out, ws[l], &out->bw_gbps[l]);
    }
    /* A level slower than a farther one caught another process on the
     * machine for its whole probe: measure it twice more, keep the best. */
    for (int l = 0; rc == RUNT_OK && l < RUNT_LEVEL_DRAM; l++) {
        double farther = 0;
        for (int k = l + 1; k < RUNT_LEVEL_COUNT; k++)
            if (isfinite(out->bw_gbps[k]))
                farther = fmax(farther, out->bw_gbps[k]);
        for (int retry = 0; rc == RUNT_OK && retry < 2 && out->bw_gbps[l] < farther; retry++) {
            double again;
            rc = runt_probe_bandwidth(&p, out, ws[l], &again);
            out->bw_gbps[l] = fmax(out->bw_gbps[l], again);
        }
    }
    if (rc == RUNT_OK)
        runt_calibration_monotone(out);
    if (rc == RUNT_OK && !info.host_memory)
        rc = runt_probe_copies(&p, config->max_probe_bytes, out);
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
    runt_json_end_object(&j);
    int bad = runt_json_finish(&j);
    if (fclose(f) != 0 || bad)
        return runt_error_set(RUNT_E_IO, "writing %s failed", path);
    return RUNT_OK;
}

runt_status runt_calibration_load(const char *path, runt_calibration *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return runt_error_set(RUNT_E_IO, "cannot read %s: %s", path, strerror(errno));
    char text[4096];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    memset(out, 0, sizeof *out);
    double format, threads, host_memory;
    char version[32];
    if (runt_json_find_number(text, "format", &format) != 1 || format != RUNT_CALIBRATION_FORMAT ||
        runt_json_find_string(text, "runt_version", version, sizeof version) != 1 ||
        strcmp(version, runt_version()) != 0 ||
        runt_json_find_string(text, "backend", out->backend, sizeof out->backend) != 1 ||
        runt_json_find_string(text, "name", out->device, sizeof out->device) != 1 ||
        runt_json_find_number(text, "threads", &threads) != 1 ||
        runt_json_find_number(text, "host_memory", &host_memory) != 1 ||
        runt_json_find_number(text, "peak_gflops", &out->peak_gflops) != 1 ||
        runt_json_find_number(text, "launch_us", &out->launch_us) != 1 ||
        runt_json_find_number(text, "elementwise_gflops", &out->eltwise_gflops) != 1 ||
        runt_json_find_number(text, "run_us", &out->run_us) != 1)
        return runt_error_set(RUNT_E_IO, "%s is not a calibration of this runt version", path);
    out->threads = (int)threads;
    out->host_memory = (int)host_memory;
    double raised;
    out->raised = runt_json_find_number(text, "raised_levels", &raised) == 1 ? (int)raised : 0;
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
    if (!force && runt_calibration_load(path, out) == RUNT_OK && strcmp(out->backend, backend) == 0 &&
        strcmp(out->device, info.name) == 0 && out->threads == eff) {
        *from_cache = 1;
        return RUNT_OK;
    }
    runt_calibration_config config = runt_calibration_config_default();
    runt_status rc = runt_calibration_run(backend, threads, &config, out, progress);
    if (rc != RUNT_OK)
        return rc;
    rc = runt_calibration_save(out, dir);
    if (rc != RUNT_OK && progress) /* a read-only home still benches */
        fprintf(progress, "note: calibration not cached: %s\n", runt_last_error());
    return RUNT_OK;
}
