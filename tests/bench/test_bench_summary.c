#define _POSIX_C_SOURCE 200809L
/* The summary's share of rows within +-15 % of the prediction, per suite
 * and backend: counted on hand-made rows whose prediction/measurement
 * ratios sit well inside or outside the band, in the text and in the JSON
 * (checked by bench/check_json.py and read back by python3's json). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "rt_test.h"
#include "test_util.h"

typedef struct hand_row {
    const char *suite, *backend;
    double ratio;   /* predicted / measured */
    int status;
} hand_row;

/* ref: seeds 2 of 4 within, sweep 2 of 3, zoo 2 of 3 (two rows that were
 * not measured do not count); cpu: zoo 1 of 2, no seeds or sweep rows. */
static const hand_row hand_rows[] = {
    {"seeds", "ref", 1.00, RUNT_ROW_MEASURED}, {"seeds", "ref", 1.10, RUNT_ROW_MEASURED},
    {"seeds", "ref", 1.20, RUNT_ROW_MEASURED}, {"seeds", "ref", 0.80, RUNT_ROW_MEASURED},
    {"sweep", "ref", 0.90, RUNT_ROW_MEASURED}, {"sweep", "ref", 1.14, RUNT_ROW_MEASURED},
    {"sweep", "ref", 1.16, RUNT_ROW_MEASURED}, {"zoo", "ref", 0.50, RUNT_ROW_MEASURED},
    {"zoo", "cpu", 1.00, RUNT_ROW_MEASURED},   {"zoo", "ref", 1.05, RUNT_ROW_MEASURED},
    {"zoo", "ref", 0.86, RUNT_ROW_MEASURED},   {"zoo", "ref", 1.00, RUNT_ROW_UNSUPPORTED},
    {"zoo", "ref", 1.00, RUNT_ROW_FAILED},     {"zoo", "cpu", 2.00, RUNT_ROW_MEASURED},
};
enum { N_HAND = sizeof hand_rows / sizeof hand_rows[0] };

static void add_device(runt_bench_report *r, const char *backend)
{
    runt_calibration *c = &r->devices[r->n_devices++];
    memset(c, 0, sizeof *c);
    snprintf(c->backend, sizeof c->backend, "%s", backend);
    snprintf(c->device, sizeof c->device, "test %s", backend);
    c->threads = 1;
    c->host_memory = 1;
    c->peak_gflops = 10;
    c->peak_int8_gops = NAN;
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++)
        c->bw_gbps[l] = 10.0 / (1 + l);
    c->launch_us = 0.1;
    c->h2d_gbps = c->d2h_gbps = NAN;
}

static runt_bench_report *hand_report(void)
{
    runt_bench_report *r = calloc(1, sizeof *r);
    RT_ASSERT(r, "calloc");
    snprintf(r->cpu, sizeof r->cpu, "test cpu");
    snprintf(r->os, sizeof r->os, "test os");
    r->threads = 1;
    add_device(r, "ref");
    add_device(r, "cpu");
    r->rows = calloc(N_HAND, sizeof *r->rows);
    RT_ASSERT(r->rows, "calloc");
    r->n_rows = r->cap_rows = N_HAND;
    for (int i = 0; i < N_HAND; i++) {
        runt_bench_row *w = &r->rows[i];
        snprintf(w->suite, sizeof w->suite, "%s", hand_rows[i].suite);
        snprintf(w->model, sizeof w->model, "%s", strcmp(w->suite, "seeds") == 0
                                                     ? "seed1_model1" : "m");
        snprintf(w->backend, sizeof w->backend, "%s", hand_rows[i].backend);
        snprintf(w->dtype, sizeof w->dtype, "f32");
        w->status = hand_rows[i].status;
        w->batch = 1;
        w->params = w->flops = w->bytes = 1000 * (i + 1);
        w->layers = w->launches = 1;
        w->median_us = 10.0 * (i + 1);
        w->p10_us = 0.9 * w->median_us;
        w->p90_us = 1.1 * w->median_us;
        w->first_run_us = 2 * w->median_us;
        w->predicted_us = hand_rows[i].ratio * w->median_us;
        w->h2d_us = w->d2h_us = w->torch_us = w->ort_us = w->torch_graph_us = w->create_us = w->err_vs_f32 =
            NAN;
        w->gflops = w->gbps = 1;
        for (int b = 0; b < RUNT_BOUND_COUNT; b++)
            w->terms_us[b] = b == RUNT_BOUND_COMPUTE ? w->predicted_us : 0;
        snprintf(w->bound, sizeof w->bound, "compute");
        if (w->status != RUNT_ROW_MEASURED)
            w->median_us = w->p10_us = w->p90_us = w->predicted_us = NAN;
    }
    return r;
}

static void free_report(runt_bench_report *r)
{
    free(r->rows);
    free(r);
}

static void expect(const runt_bench_report *r, const char *backend, const char *suite, int within,
                   int rows)
{
    runt_bench_summary s;
    runt_bench_summarize_suite(r, backend, suite, &s);
    RT_ASSERT(s.rows == rows && s.within == within, "%s %s: %d of %d within, want %d of %d", backend,
              suite ? suite : "all", s.within, s.rows, within, rows);
    if (rows)
        RT_ASSERT(fabs(s.within_15pct - (double)within / rows) < 1e-12, "%s %s: share %g", backend,
                  suite ? suite : "all", s.within_15pct);
    else
        RT_ASSERT(isnan(s.within_15pct), "%s %s: no rows, no share", backend, suite);
}

RT_TEST(bench_summary, within_15pct_is_counted_per_suite)
{
    runt_bench_report *r = hand_report();
    expect(r, "ref", "seeds", 2, 4);
    expect(r, "ref", "sweep", 2, 3);
    expect(r, "ref", "zoo", 2, 3);
    expect(r, "ref", NULL, 6, 10);
    expect(r, "cpu", "zoo", 1, 2);
    expect(r, "cpu", "seeds", 0, 0);
    runt_bench_summary all;
    runt_bench_summarize(r, "ref", &all);
    RT_ASSERT(all.rows == 10 && all.within == 6, "every suite together: %d of %d", all.within,
              all.rows);
    const char *names[8];
    int n = runt_bench_suites(r, names, 8);
    RT_ASSERT(n == 3 && strcmp(names[0], "seeds") == 0 && strcmp(names[1], "sweep") == 0 &&
                  strcmp(names[2], "zoo") == 0,
              "suites in the order they first appear: %d", n);
    free_report(r);
}

RT_TEST(bench_summary, the_text_has_a_line_per_backend_with_each_suite)
{
    runt_bench_report *r = hand_report();
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    RT_ASSERT(f, "open_memstream");
    runt_bench_print_summary(f, r);
    fclose(f);
    const char *table = strstr(text, "Within +-15 % per suite");
    RT_ASSERT(table, "a per-suite table:\n%s", text);
    const char *ref = strstr(table, "\nref "), *cpu = strstr(table, "\ncpu ");
    RT_ASSERT(ref && cpu, "a line per backend:\n%s", table);
    char line[256];
    snprintf(line, sizeof line, "%.*s", (int)strcspn(ref + 1, "\n"), ref + 1);
    const char *seeds = strstr(line, "2/4"), *sweep = strstr(line, "2/3"),
               *zoo = sweep ? strstr(sweep + 3, "2/3") : NULL;
    RT_ASSERT(seeds && sweep && zoo && seeds < sweep, "ref: seeds 2/4, sweep 2/3, zoo 2/3: %s", line);
    RT_ASSERT(strstr(line, "50.0 %") && strstr(line, "66.7 %"), "ref's shares: %s", line);
    snprintf(line, sizeof line, "%.*s", (int)strcspn(cpu + 1, "\n"), cpu + 1);
    RT_ASSERT(strstr(line, " - ") && strstr(line, "1/2  50.0 %"), "cpu: no seeds, zoo 1/2: %s", line);
    free(text);
    free_report(r);
}

RT_TEST(bench_summary, the_json_carries_the_suites_and_passes_the_checker)
{
    if (system("python3 -c 'import json' >/dev/null 2>&1") != 0)
        RT_SKIP("python3 is not here: the JSON is not read back");
    runt_bench_report *r = hand_report();
    char dir[] = "/tmp/runt-summary-XXXXXX";
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    char json[128], cmd[1024];
    snprintf(json, sizeof json, "%s/r.json", dir);
    RT_ASSERT(runt_bench_write_json(json, r) == RUNT_OK, "%s", runt_last_error());
    snprintf(cmd, sizeof cmd, "python3 %s/bench/check_json.py %s >/dev/null 2>&1",
             runt_bench_source_dir(), json);
    int rc = system(cmd);
    RT_ASSERT(rc != -1 && WEXITSTATUS(rc) == 0, "check_json.py refuses it");
    /* Each backend's suites with rows, as "backend suite rows share". */
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))\n"
             "for b in sorted(d[\"summary\"]):\n"
             "  for s, e in sorted(d[\"summary\"][b][\"suites\"].items()):\n"
             "    print(b, s, e[\"rows\"], round(e[\"within_15pct\"], 4))' %s", json);
    FILE *p = popen(cmd, "r");
    RT_ASSERT(p, "popen");
    char out[512] = "";
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    pclose(p);
    RT_ASSERT(strcmp(out, "cpu zoo 2 0.5\nref seeds 4 0.5\nref sweep 3 0.6667\nref zoo 3 0.6667\n") == 0,
              "per-suite summary in the JSON:\n%s", out);
    /* The checker refuses a suite it does not know, a share out of [0, 1]
     * and per-suite rows in a result. */
    static const char *const bad[] = {
        "z[\"swept\"] = z.pop(\"sweep\")",
        "z[\"zoo\"][\"within_15pct\"] = 1.5",
        "d[\"results\"][0][\"suites\"] = z",
    };
    for (int k = 0; k < 3; k++) {
        snprintf(cmd, sizeof cmd,
                 "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); "
                 "z=d[\"summary\"][\"ref\"][\"suites\"]; %s; "
                 "json.dump(d, open(sys.argv[1]+\".bad\",\"w\"))' %s && "
                 "python3 %s/bench/check_json.py %s.bad >/dev/null 2>&1",
                 bad[k], json, runt_bench_source_dir(), json);
        rc = system(cmd);
        RT_ASSERT(rc != -1 && WEXITSTATUS(rc) == 1, "check_json.py takes: %s", bad[k]);
    }
    char path[160];
    snprintf(path, sizeof path, "%s.bad", json);
    unlink(path);
    unlink(json);
    RT_ASSERT(rmdir(dir) == 0, "only the expected files were written");
    free_report(r);
}
