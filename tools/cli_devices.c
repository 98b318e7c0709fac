/* `runt devices`: each backend's devices, and their calibrations (measured
 * with --calibrate). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arg_values.h"
#include "bench.h"
#include "calibrate.h"
#include "cli_impl.h"
#include "json.h"
#include "output_check.h"

static int runt_cli_file_exists(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f)
        fclose(f);
    return f != NULL;
}

/* A backend's measured peaks on one line. */
static void runt_cli_print_calibration(FILE *out, const runt_calibration *c, const char *origin)
{
    fprintf(out, "       %d thread%s: f32 %.1f GFLOP/s, int8 ", c->threads,
            c->threads == 1 ? "" : "s", c->peak_gflops);
    if (isfinite(c->peak_int8_gops))
        fprintf(out, "%.1f GOP/s", c->peak_int8_gops);
    else
        fprintf(out, "-");
    fprintf(out, ", elementwise %.2f GFLOP/s, read GB/s", c->eltwise_gflops);
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++)
        if (isfinite(c->bw_gbps[l]))
            fprintf(out, " %s %.1f", runt_level_names[l], c->bw_gbps[l]);
    fprintf(out, ", %.3f us per node + %.2f us per run", c->launch_us, c->run_us);
    if (isfinite(c->h2d_gbps) || isfinite(c->d2h_gbps))
        fprintf(out, ", h2d %.1f GB/s, d2h %.1f GB/s", c->h2d_gbps, c->d2h_gbps);
    fprintf(out, " (%s)\n", origin);
}

/* The load a calibration was measured under and each probe's spread, so a
 * user sees why `runt bench` would measure it again. */
static void runt_cli_print_trust(FILE *out, const runt_calibration *c)
{
    if (!c->checked) {
        fprintf(out, "       load and probe spreads not recorded (an older cache file): runt "
                     "bench measures it again\n");
        return;
    }
    fprintf(out, "       load: ");
    if (isfinite(c->load_others))
        fprintf(out, "other processes %.2f of %d cores", c->load_others, c->cores);
    else
        fprintf(out, "other processes unknown");
    if (isfinite(c->load_avg))
        fprintf(out, ", 1-minute average %.2f", c->load_avg);
    fprintf(out, "%s; %d attempt%s\n", c->busy ? " (busy)" : "", c->attempts,
            c->attempts == 1 ? "" : "s");
    fprintf(out, "       spread of the two fastest rounds (over %.0f%%: unstable):",
            100 * RUNT_CALIBRATION_MAX_SPREAD);
    int unsettled = runt_calibration_unsettled(c), first = 1;
    for (int p = 0; p < RUNT_PROBE_COUNT; p++) {
        if (isnan(c->spread[p]) && !(unsettled & (1 << p)))
            continue; /* not probed */
        fprintf(out, "%s %s ", first ? "" : ",", runt_probe_names[p]);
        first = 0;
        if (isnan(c->spread[p]))
            fprintf(out, "-");
        else
            fprintf(out, "%.1f%%", 100 * c->spread[p]);
        if (unsettled & (1 << p))
            fprintf(out, " unstable");
    }
    fprintf(out, "\n");
    char why[512];
    if (!runt_calibration_reusable(c, NULL, c->threads, why, sizeof why))
        fprintf(out, "       runt bench measures it again: %s\n", why);
}

typedef struct runt_cli_devices_opts {
    int calibrate, threads;
    const char *backends, *cache_dir, *json;
} runt_cli_devices_opts;

static int runt_cli_devices_parse(int argc, char **argv, runt_cli_devices_opts *o, FILE *err)
{
    memset(o, 0, sizeof *o);
    for (int i = 0; i < argc; i++) {
        int has_value = i + 1 < argc;
        if (strcmp(argv[i], "--calibrate") == 0) {
            o->calibrate = 1;
        } else if (strcmp(argv[i], "--threads") == 0 && has_value) {
            long long t;
            if (!runt_int_arg_parse(argv[++i], 1, 4096, &t))
                return runt_cli_usage_error(err, "--threads needs a positive integer, got", argv[i]);
            o->threads = (int)t;
        } else if (strcmp(argv[i], "--backend") == 0 && has_value) {
            o->backends = argv[++i];
        } else if (strcmp(argv[i], "--cache-dir") == 0 && has_value) {
            o->cache_dir = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0 && has_value) {
            o->json = argv[++i];
        } else {
            return runt_cli_usage_error(err, "devices: unexpected argument", argv[i]);
        }
    }
    return 0;
}

/* 1 when name is in the comma list (or the list is NULL or "all"). */
static int runt_cli_listed(const char *list, const char *name)
{
    if (!list || strcmp(list, "all") == 0)
        return 1;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

/* Every name of a --backend list is one this build has; the message lists
 * those it has. Names only: nothing is loaded to check them. */
static int runt_cli_check_backend_list(const char *list, FILE *err)
{
    if (!list || strcmp(list, "all") == 0)
        return 0;
    int n = 0;
    runt_backend_count(&n);
    char known[160] = "";
    for (int i = 0; i < n; i++) {
        const char *name;
        if (runt_backend_name(i, &name) == RUNT_OK) {
            strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
            strncat(known, name, sizeof known - strlen(known) - 1);
        }
    }
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        int found = 0;
        for (int i = 0; i < n && !found; i++) {
            const char *name;
            found = runt_backend_name(i, &name) == RUNT_OK && strlen(name) == len &&
                    strncmp(name, p, len) == 0;
        }
        if (!found) {
            fprintf(err, "runt: devices: no backend named '%.*s' (this build has: %s)\n", (int)len,
                    p, known);
            return 2;
        }
        p += len + (p[len] == ',');
    }
    return 0;
}

static void runt_cli_devices_json_one(runt_json *j, const runt_device_info *d,
                                      const runt_calibration *c, const char *refused)
{
    runt_json_begin_object(j, NULL);
    runt_json_string(j, "backend", d->backend);
    runt_json_string(j, "name", d->name);
    runt_json_int(j, "available", d->available);
    if (d->available)
        runt_json_null(j, "reason");
    else
        runt_json_string(j, "reason", d->reason);
    runt_json_int(j, "host_memory", d->host_memory);
    runt_json_int(j, "compute_units", d->compute_units);
    runt_json_int(j, "memory_bytes", d->memory_bytes);
    runt_json_int(j, "cache_bytes", d->cache_bytes);
    if (refused[0])
        runt_json_string(j, "calibration_refused", refused);
    if (!c) {
        runt_json_null(j, "calibration");
    } else {
        runt_json_begin_object(j, "calibration");
        runt_json_int(j, "threads", c->threads);
        runt_json_number(j, "eltwise_gflops", c->eltwise_gflops);
        runt_json_device_measures(j, c);
        /* How much to trust the numbers: null where an older cache file
         * did not record it. */
        char why[512];
        int reusable = runt_calibration_reusable(c, NULL, c->threads, why, sizeof why);
        runt_json_int(j, "checked", c->checked);
        runt_json_int(j, "reusable", reusable);
        runt_json_string(j, "remeasure_reason", reusable ? NULL : why);
        if (c->checked) {
            runt_json_number(j, "load_avg_1m", c->load_avg);
            runt_json_number(j, "load_others_cores", c->load_others);
            runt_json_int(j, "cores", c->cores);
            runt_json_int(j, "busy", c->busy);
            runt_json_int(j, "attempts", c->attempts);
            int unsettled = runt_calibration_unsettled(c);
            runt_json_begin_object(j, "probes");
            for (int p = 0; p < RUNT_PROBE_COUNT; p++) {
                if (isnan(c->spread[p]) && !(unsettled & (1 << p)))
                    continue;
                runt_json_begin_object(j, runt_probe_names[p]);
                runt_json_number(j, "spread", c->spread[p]);
                runt_json_int(j, "stable", !(unsettled & (1 << p)));
                runt_json_end_object(j);
            }
            runt_json_end_object(j);
        } else {
            runt_json_null(j, "load_avg_1m");
            runt_json_null(j, "load_others_cores");
            runt_json_null(j, "cores");
            runt_json_null(j, "busy");
            runt_json_null(j, "attempts");
            runt_json_null(j, "probes");
        }
        runt_json_end_object(j);
    }
    runt_json_end_object(j);
}

int runt_cli_devices(int argc, char **argv, FILE *out, FILE *err)
{
    runt_cli_devices_opts o;
    int rc = runt_cli_devices_parse(argc, argv, &o, err);
    if (rc || (rc = runt_cli_check_backend_list(o.backends, err)) != 0)
        return rc;
    if (o.json && runt_output_check_file(o.json) != RUNT_OK) {
        fprintf(err, "runt: --json %s\n", runt_last_error());
        return 1;
    }
    int n = 0;
    if (runt_backend_count(&n) != RUNT_OK)
        return runt_cli_fail(err, "devices");
    char dir[1024];
    if (o.cache_dir)
        snprintf(dir, sizeof dir, "%s", o.cache_dir);
    else
        runt_calibration_default_dir(dir, sizeof dir);
    runt_json j;
    FILE *jf = NULL;
    if (o.json) {
        if (!(jf = runt_cli_open_output(o.json, out, err)))
            return 1;
        runt_json_init(&j, jf, 2);
        runt_json_begin_array(&j, NULL);
    }
    for (int i = 0; i < n && rc == 0; i++) {
        const char *name;
        if (runt_backend_name(i, &name) != RUNT_OK || !runt_cli_listed(o.backends, name))
            continue; /* not probed: an unlisted module stays unloaded */
        runt_device_info d;
        if (runt_backend_info(i, &d) != RUNT_OK) {
            rc = runt_cli_fail(err, "devices");
            break;
        }
        runt_calibration c;
        const runt_calibration *shown = NULL;
        char path[1200] = "", refused[1400] = "";
        if (d.available) {
            int threads = runt_calibration_threads(&d, o.threads), cached = 0;
            runt_calibration_path(dir, d.backend, threads, path, sizeof path);
            if (o.calibrate) {
                if (runt_calibration_get(d.backend, o.threads, o.cache_dir, 1, &c, err, &cached) !=
                    RUNT_OK) {
                    rc = runt_cli_fail(err, d.backend);
                    break;
                }
                shown = &c;
            } else if (runt_calibration_load(path, &c) == RUNT_OK) {
                if (strcmp(c.device, d.name) == 0)
                    shown = &c;
            } else if (runt_cli_file_exists(path)) {
                /* There is a file, and it is not a calibration this runt
                 * takes: say why rather than "not calibrated". */
                snprintf(refused, sizeof refused, "%s", runt_last_error());
            }
        }
        if (jf) {
            runt_cli_devices_json_one(&j, &d, shown, refused);
            continue;
        }
        if (!d.available) {
            fprintf(out, "%-6s unavailable: %s\n", d.backend, d.reason);
            continue;
        }
        fprintf(out, "%-6s %-40s units %d%s\n", d.backend, d.name, d.compute_units,
                d.host_memory ? ", host memory" : "");
        if (shown) {
            runt_cli_print_calibration(out, shown, path);
            runt_cli_print_trust(out, shown);
            runt_calibration_print_tables(out, shown, "       ");
        } else if (refused[0]) {
            fprintf(out, "       cached calibration refused: %s (runt devices --calibrate "
                         "measures it again)\n", refused);
        } else {
            fprintf(out, "       not calibrated (runt devices --calibrate)\n");
        }
    }
    if (jf) {
        runt_json_end_array(&j);
        fputc('\n', jf);
        if (runt_json_finish(&j) != 0 && rc == 0) {
            fprintf(err, "runt: --json %s: writing failed\n", o.json);
            rc = 1;
        }
        if (runt_cli_close_output(jf, out, o.json, err) != 0 && rc == 0)
            rc = 1;
    }
    return rc;
}
