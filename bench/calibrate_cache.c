#define _POSIX_C_SOURCE 200809L /* mkdir */
/* The calibration cache: where it lives, and writing, reading and checking
 * its files (calibrate.h). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "calibrate_impl.h"
#include "runt-backend.h"
#include "json.h"

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

double *runt_cal_table_entry(runt_calibration *c, int index, const char **group, char *key,
                             size_t size)
{
    enum { ACTS = RUNT_ACT_RATE_COUNT - RUNT_ACT_RELU };
    int i = index;
    if (i >= 0 && i < RUNT_OP_RATE_COUNT) {
        if (group)
            *group = "op_gflops";
        snprintf(key, size, "op_%s", runt_op_name(runt_op_rate_ops[i]));
        return &c->op_gflops[i];
    }
    i -= RUNT_OP_RATE_COUNT;
    if (i >= 0 && i < RUNT_LEVEL_COUNT) {
        if (group)
            *group = "stream_gbps";
        snprintf(key, size, "stream_%s", runt_level_names[i]);
        return &c->stream_gbps[i];
    }
    i -= RUNT_LEVEL_COUNT;
    if (i >= 0 && i < RUNT_LEVEL_COUNT) {
        if (group)
            *group = "bandwidth_int8_gbps";
        snprintf(key, size, "int8_gemv_%s", runt_level_names[i]);
        return &c->bw_int8_gbps[i];
    }
    i -= RUNT_LEVEL_COUNT;
    /* The fused activations after a Gemm, then after a Conv. */
    for (int conv = 0; conv < 2; conv++) {
        if (i >= 0 && i < 2 * ACTS) {
            int q = i / ACTS, act = RUNT_ACT_RELU + i % ACTS;
            if (group)
                *group = conv ? "conv_act_gflops" : "act_gflops";
            snprintf(key, size, "%sepilogue_%s_%s", conv ? "conv_" : "", q ? "int8" : "f32",
                     runt_act_rate_names[act]);
            return conv ? &c->conv_act_gflops[q][act] : &c->act_gflops[q][act];
        }
        i -= 2 * ACTS;
    }
    /* The grids: i counts from the grid's f32 table through its int8 one,
     * which follow each other in the struct as in the file. */
    const runt_grid3 *grids[2] = {&runt_gemm_grid, &runt_conv_grid};
    double *rates[2] = {&c->gemm_gflops[0][0][0][0], &c->conv_gflops[0][0][0][0]};
    static const char *const groups[2] = {"gemm_gflops", "conv_gflops"};
    for (int g = 0; g < 2; g++) {
        int points = runt_grid3_points(grids[g]);
        if (i >= 0 && i < 2 * points) {
            int idx[3];
            runt_grid3_point(grids[g], i % points, idx);
            if (group)
                *group = groups[g];
            snprintf(key, size, "%s_%s_%s%lld_%s%lld_%s%lld", grids[g]->name,
                     i / points ? "int8" : "f32", grids[g]->axis[0],
                     (long long)grids[g]->values[0][idx[0]], grids[g]->axis[1],
                     (long long)grids[g]->values[1][idx[1]], grids[g]->axis[2],
                     (long long)grids[g]->values[2][idx[2]]);
            return rates[g] + i;
        }
        i -= 2 * points;
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
    runt_json_numbers(&j, "bandwidth_gbps", "", runt_level_names, "", c->bw_gbps,
                      RUNT_LEVEL_COUNT);
    runt_json_numbers(&j, "level_bytes", "", runt_level_names, "_bytes", c->level_bytes,
                      RUNT_LEVEL_DRAM);
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
    runt_json_numbers(&j, "probe_spread", "spread_", runt_probe_names, "", c->spread,
                      RUNT_PROBE_COUNT);
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
    if (format != RUNT_CALIBRATION_FORMAT && format != RUNT_CALIBRATION_FORMAT_REF_OPS &&
        format != RUNT_CALIBRATION_FORMAT_FASTEST && format != RUNT_CALIBRATION_FORMAT_NO_TABLES &&
        format != RUNT_CALIBRATION_FORMAT_UNCHECKED)
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

