#define _POSIX_C_SOURCE 200809L
/* The bench's plots: bench/plot.py draws them with matplotlib from the
 * bench's JSON. A small report with measured, unsupported and failed rows
 * goes through `--plots` (runt_bench_write_plots) and through plot.py
 * directly; the files must be compressed PNGs and each figure must hold the
 * points the report's measured rows give, counted here independently. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "rt_test.h"
#include "runt-backend.h"
#include "test_util.h"

enum { N_ROWS = 7 };

static void add_device(runt_bench_report *r, const char *backend, const char *name, double peak)
{
    runt_calibration *c = &r->devices[r->n_devices++];
    memset(c, 0, sizeof *c);
    snprintf(c->backend, sizeof c->backend, "%s", backend);
    snprintf(c->device, sizeof c->device, "%s", name);
    c->threads = 2;
    c->host_memory = 1;
    c->peak_gflops = peak;
    c->peak_int8_gops = NAN;
    c->eltwise_gflops = peak / 20;
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++)
        c->bw_gbps[l] = peak / (2.0 + l);
    c->launch_us = 0.5;
    c->h2d_gbps = c->d2h_gbps = NAN;
}

/* Rows 0..4 measured (two backends), 5 unsupported, 6 failed. */
static runt_bench_report *small_report(void)
{
    runt_bench_report *r = calloc(1, sizeof *r);
    RT_ASSERT(r, "calloc");
    snprintf(r->cpu, sizeof r->cpu, "test cpu");
    snprintf(r->os, sizeof r->os, "test os");
    r->threads = 2;
    add_device(r, "ref", "host", 4.0);
    add_device(r, "cpu", "test cpu", 200.0);
    r->rows = calloc(N_ROWS, sizeof *r->rows);
    RT_ASSERT(r->rows, "calloc");
    r->n_rows = r->cap_rows = N_ROWS;
    static const char *const models[N_ROWS] = {"seed1_model1", "seed1_model2", "seed0_simple",
                                               "width_64", "seed1_model3", "seed1_model4",
                                               "seed1_model5"};
    for (int i = 0; i < N_ROWS; i++) {
        runt_bench_row *w = &r->rows[i];
        snprintf(w->suite, sizeof w->suite, "%s", i == 3 ? "sweep" : "seeds");
        snprintf(w->model, sizeof w->model, "%s", models[i]);
        snprintf(w->family, sizeof w->family, "mlp");
        snprintf(w->backend, sizeof w->backend, "%s", i < 2 ? "ref" : "cpu");
        snprintf(w->dtype, sizeof w->dtype, "%s", i == 4 || i == 5 ? "int8" : "f32");
        w->batch = 1;
        w->params = 1000 * (i + 1);
        w->flops = 2000 * (int64_t)(i + 1) * (i + 1);
        w->bytes = 4000 * (i + 1);
        w->layers = w->launches = 2;
        w->median_us = 10.0 * (i + 1);
        w->p10_us = w->median_us * 0.9;
        w->p90_us = w->median_us * 1.2;
        w->first_run_us = w->median_us * 3;
        w->h2d_us = w->d2h_us = w->torch_us = w->ort_us = NAN;
        w->gflops = (double)w->flops / w->median_us * 1e-3;
        w->gbps = (double)w->bytes / w->median_us * 1e-3;
        w->predicted_us = w->median_us * 1.1;
        /* Rows 0..2 carry the prediction's terms; the others are drawn as
         * files from before terms_us were (one bar for the prediction). */
        for (int b = 0; b < RUNT_BOUND_COUNT; b++)
            w->terms_us[b] = NAN;
        if (i < 3) {
            w->terms_us[RUNT_BOUND_COMPUTE] = 0.6 * w->predicted_us;
            w->terms_us[RUNT_BOUND_L2] = 0.3 * w->predicted_us;
            w->terms_us[RUNT_BOUND_DISPATCH] = 0.1 * w->predicted_us;
        }
        w->reps = 10;
        if (i >= 5) {
            w->status = i == 5 ? RUNT_ROW_UNSUPPORTED : RUNT_ROW_FAILED;
            w->median_us = w->p10_us = w->p90_us = w->first_run_us = NAN;
            w->gflops = w->gbps = w->predicted_us = NAN;
            snprintf(w->note, sizeof w->note, "not measured");
        }
    }
    return r;
}

static void free_report(runt_bench_report *r)
{
    free(r->rows);
    free(r);
}

static void need_matplotlib(void)
{
    if (runt_bench_plots_available() != RUNT_OK)
        RT_SKIP("%s", runt_last_error());
}

static void check_png(const char *dir, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    RT_ASSERT(f, "%s was not written", path);
    unsigned char sig[8];
    RT_ASSERT(fread(sig, 1, 8, f) == 8 && memcmp(sig, "\x89PNG\r\n\x1a\n", 8) == 0,
              "%s: not a PNG", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    /* A 1000x700 RGBA image stored uncompressed is 2.8 MB; compressed plots
     * of a few points are far below 1 MB. */
    RT_ASSERT(size > 1000 && size < 1000000, "%s: %ld bytes", path, size);
    remove(path);
}

RT_TEST(plot, bench_plots_are_compressed_pngs_from_the_json)
{
    need_matplotlib();
    runt_bench_report *r = small_report();
    char dir[] = "/tmp/runt-plot-XXXXXX";
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    RT_ASSERT(runt_bench_write_plots(dir, r) == RUNT_OK, "%s", runt_last_error());
    check_png(dir, "latency-vs-flops.png");
    check_png(dir, "latency-vs-params.png");
    check_png(dir, "predicted-vs-measured.png");
    check_png(dir, "roofline-ref.png");
    check_png(dir, "roofline-cpu.png");
    check_png(dir, "latency-ref.png");
    check_png(dir, "latency-cpu.png");
    check_png(dir, "terms-ref.png");
    check_png(dir, "terms-cpu.png");
    RT_ASSERT(rmdir(dir) == 0, "only the expected files were written");
    free_report(r);
}

/* Runs plot.py on json; fills counts[] from its "PATH: N points" lines in
 * order; returns its exit status. */
static int run_plot_py(const char *json, const char *dir, int *counts, int max, char *last,
                       size_t last_size)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "python3 '%s/bench/plot.py' '%s' --out '%s' 2>&1",
             runt_bench_source_dir(), json, dir);
    FILE *p = popen(cmd, "r");
    RT_ASSERT(p, "popen");
    char line[512];
    int n = 0;
    last[0] = '\0';
    while (fgets(line, sizeof line, p)) {
        const char *colon = strstr(line, ": ");
        if (colon && strstr(line, " points") && n < max)
            counts[n++] = atoi(colon + 2);
        snprintf(last, last_size, "%s", line);
    }
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

RT_TEST(plot, every_measured_row_is_a_point_and_only_those)
{
    need_matplotlib();
    runt_bench_report *r = small_report();
    char dir[] = "/tmp/runt-plot-XXXXXX", json[128];
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    snprintf(json, sizeof json, "%s/results.json", dir);
    RT_ASSERT(runt_bench_write_json(json, r) == RUNT_OK, "%s", runt_last_error());
    int counts[16] = {0}, measured = 0, per_device[2] = {0, 0}, seeds[2] = {0, 0};
    for (int i = 0; i < r->n_rows; i++)
        if (r->rows[i].status == RUNT_ROW_MEASURED) {
            int d = strcmp(r->rows[i].backend, "ref") == 0 ? 0 : 1;
            measured++;
            per_device[d]++;
            seeds[d] += strcmp(r->rows[i].suite, "seeds") == 0;
        }
    char last[512];
    int status = run_plot_py(json, dir, counts, 16, last, sizeof last);
    RT_ASSERT(status == 0, "plot.py: status %d: %s", status, last);
    /* flops, params, predicted, then one roofline per device in JSON order. */
    for (int k = 0; k < 3; k++)
        RT_ASSERT(counts[k] == measured, "figure %d: %d points, %d measured rows", k, counts[k],
                  measured);
    RT_ASSERT(counts[3] == per_device[0] && counts[4] == per_device[1], "rooflines %d %d", counts[3],
              counts[4]);
    /* Then per device: its latency panels (its measured rows) and its terms
     * (its seeds rows). */
    for (int d = 0; d < 2; d++) {
        RT_ASSERT(counts[5 + 2 * d] == per_device[d], "latency panels of device %d: %d points, %d rows",
                  d, counts[5 + 2 * d], per_device[d]);
        RT_ASSERT(counts[6 + 2 * d] == seeds[d], "terms of device %d: %d bars, %d seeds rows", d,
                  counts[6 + 2 * d], seeds[d]);
    }
    const char *files[] = {"latency-vs-flops.png", "latency-vs-params.png",
                           "predicted-vs-measured.png", "roofline-ref.png", "roofline-cpu.png",
                           "latency-ref.png", "terms-ref.png", "latency-cpu.png", "terms-cpu.png"};
    for (int k = 0; k < 9; k++)
        check_png(dir, files[k]);
    remove(json);
    RT_ASSERT(rmdir(dir) == 0, "only the expected files were written");
    free_report(r);
}

RT_TEST(plot, a_file_that_is_not_bench_json_is_refused)
{
    need_matplotlib();
    char dir[] = "/tmp/runt-plot-XXXXXX", json[128];
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    snprintf(json, sizeof json, "%s/other.json", dir);
    FILE *f = fopen(json, "w");
    RT_ASSERT(f, "fopen");
    fputs("{\"not\": \"a bench\"}\n", f);
    fclose(f);
    int counts[8];
    char last[512];
    int status = run_plot_py(json, dir, counts, 8, last, sizeof last);
    RT_ASSERT(status == 1 && strstr(last, "not a runt bench JSON"), "status %d: %s", status, last);
    remove(json);
    RT_ASSERT(rmdir(dir) == 0, "no plots written");
}

RT_TEST(plot, a_file_from_before_bound_and_terms_still_draws)
{
    need_matplotlib();
    runt_bench_report *r = small_report();
    char dir[] = "/tmp/runt-plot-XXXXXX", json[128], cmd[1024];
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    snprintf(json, sizeof json, "%s/results.json", dir);
    RT_ASSERT(runt_bench_write_json(json, r) == RUNT_OK, "%s", runt_last_error());
    /* The contract's fields only: no bound, terms_us, create_us or suites. */
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))\n"
             "for row in d[\"results\"]:\n"
             "  for k in (\"bound\", \"terms_us\", \"create_us\"): row.pop(k, None)\n"
             "for s in d[\"summary\"].values(): s.pop(\"suites\", None)\n"
             "json.dump(d, open(sys.argv[1], \"w\"))' %s",
             json);
    RT_ASSERT(system(cmd) == 0, "strip the newer fields");
    int counts[16] = {0};
    char last[512];
    int status = run_plot_py(json, dir, counts, 16, last, sizeof last);
    RT_ASSERT(status == 0, "plot.py on an old file: status %d: %s", status, last);
    const char *files[] = {"latency-vs-flops.png", "latency-vs-params.png",
                           "predicted-vs-measured.png", "roofline-ref.png", "roofline-cpu.png",
                           "latency-ref.png", "terms-ref.png", "latency-cpu.png", "terms-cpu.png"};
    for (int k = 0; k < 9; k++)
        check_png(dir, files[k]);
    remove(json);
    RT_ASSERT(rmdir(dir) == 0, "only the expected files were written");
    free_report(r);
}
