#define _POSIX_C_SOURCE 200809L
/* `runt bench` and `runt devices` from the command line, in-process:
 * argument errors (exit 2, one line), an unavailable backend, and a tiny
 * end-to-end run whose JSON must carry every key of DESIGN.md's contract.
 * No timing is asserted. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "calibrate.h"
#include "cli_harness.h"
#include "quick_calibration.h"
#include "rt_test.h"

static int one_line(const char *s)
{
    const char *nl = strchr(s, '\n');
    return strncmp(s, "runt: ", 6) == 0 && nl && nl[1] == '\0';
}

RT_TEST(bench_cli, argument_errors_exit_2_with_one_line)
{
    static const char *const cases[][4] = {
        {"--threads", "0"},          {"--threads", "x"},        {"--suite", "everything"},
        {"--dtype", "f16"},          {"--dtype", "f32,f32"},    {"--backend", "nonesuch"},
        {"--batch", "4"},            {"--min-time", "-1"},      {"--min-reps", "0"},
        {"--frobnicate"},            {"--json"},                {"--suite", "seeds", "--model", "x.onnx"},
        {"--model", "@seed1_model5", "--batch", "0"},
        {"--math", "tf33"},          {"--math", "f32,f32"},     {"--math", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *argv[8] = {"runt", "bench"};
        int argc = 2;
        for (int k = 0; k < 4 && cases[i][k]; k++)
            argv[argc++] = cases[i][k];
        cli_result *r = cli(argc, argv);
        RT_ASSERT(r->status == 2, "case %zu (%s): status %d, %s", i, cases[i][0], r->status, r->err);
        RT_ASSERT(one_line(r->err), "case %zu: one line on stderr: '%s'", i, r->err);
        RT_ASSERT(r->out[0] == '\0', "case %zu: nothing on stdout", i);
    }
    cli_result *r = CLI("runt", "devices", "--threads", "0");
    RT_ASSERT(r->status == 2 && one_line(r->err), "devices --threads 0: %d %s", r->status, r->err);
    r = CLI("runt", "devices", "--bogus");
    RT_ASSERT(r->status == 2 && one_line(r->err), "devices --bogus: %d %s", r->status, r->err);
}

RT_TEST(bench_cli, an_unavailable_backend_is_reported_not_fatal)
{
    /* cuda is either not in this build or in it without a usable GPU (this
     * machine); with a GPU there is nothing unavailable to test. */
    int n = 0, built = 0;
    runt_backend_count(&n);
    for (int i = 0; i < n; i++) {
        runt_device_info d;
        runt_backend_info(i, &d);
        if (strcmp(d.backend, "cuda") == 0) {
            if (d.available)
                RT_SKIP("a usable CUDA device is here; the unavailable case needs a machine without one");
            built = 1;
        }
    }
    cli_result *r = CLI("runt", "bench", "--backend", "cuda");
    RT_ASSERT(r->status == 1 && one_line(r->err), "alone: status %d: %s", r->status, r->err);
    RT_ASSERT(strstr(r->err, "cuda: unavailable") &&
                  (built || strstr(r->err, "not in this build")), "says why: %s", r->err);
    /* Beside an available backend it is a note, and the rest runs. */
    char dir[] = "/tmp/runt-unavail-XXXXXX";
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    runt_calibration cal;
    rt_quick_calibration("ref", &cal);
    RT_ASSERT(runt_calibration_save(&cal, dir) == RUNT_OK, "%s", runt_last_error());
    r = CLI("runt", "bench", "--model", "@seed1_model5", "--backend", "ref,cuda", "--dtype", "f32",
            "--min-time", "0.001", "--min-reps", "2", "--cache-dir", dir);
    RT_ASSERT(r->status == 0, "status %d: %s", r->status, r->err);
    RT_ASSERT(strstr(r->out, "note: cuda: unavailable"), "noted in the report: %s", r->out);
    char path[256];
    runt_calibration_path(dir, "ref", cal.threads, path, sizeof path);
    unlink(path);
    rmdir(dir);
}

RT_TEST(bench_cli, a_model_that_does_not_load_fails_naming_it)
{
    char dir[] = "/tmp/runt-nomodel-XXXXXX";
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    runt_calibration cal;
    rt_quick_calibration("ref", &cal);
    RT_ASSERT(runt_calibration_save(&cal, dir) == RUNT_OK, "%s", runt_last_error());
    cli_result *r = CLI("runt", "bench", "--model", "/nonexistent/m.onnx", "--backend", "ref",
                        "--cache-dir", dir);
    RT_ASSERT(r->status == 1, "status %d: %s", r->status, r->err);
    const char *last = r->err;
    for (const char *p = r->err; *p; p++)
        if (*p == '\n' && p[1])
            last = p + 1;
    RT_ASSERT(strncmp(last, "runt: bench: ", 13) == 0 && strstr(last, "/nonexistent/m.onnx"),
              "the last line names the file: %s", r->err);
    char path[256];
    runt_calibration_path(dir, "ref", cal.threads, path, sizeof path);
    unlink(path);
    rmdir(dir);
}

static void remove_tree(const char *dir, const char *const *files, int n)
{
    char path[512];
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
}

RT_TEST(bench_cli, end_to_end_json_has_every_contract_key)
{
    char dir[] = "/tmp/runt-bench-XXXXXX";
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    /* A small calibration, cached where the bench will look, so the run
     * exercises the cache instead of the full probes. */
    runt_calibration cal;
    rt_quick_calibration("ref", &cal);
    RT_ASSERT(cal.peak_gflops > 0 && isnan(cal.peak_int8_gops) && isnan(cal.h2d_gbps),
              "ref: f32 peak, no int8, no copies");
    RT_ASSERT(runt_calibration_save(&cal, dir) == RUNT_OK, "%s", runt_last_error());

    char json[256], csv[256];
    snprintf(json, sizeof json, "%s/out.json", dir);
    snprintf(csv, sizeof csv, "%s/out.csv", dir);
    cli_result *r = CLI("runt", "bench", "--model", "@seed1_model5", "--backend", "ref",
                        "--min-time", "0.001", "--min-reps", "3", "--json", json, "--csv", csv,
                        "--cache-dir", dir);
    RT_ASSERT(r->status == 0, "status %d: %s", r->status, r->err);
    RT_ASSERT(strstr(r->err, "from the cache"), "reused the cached calibration: %s", r->err);
    RT_ASSERT(strstr(r->out, "seed1_model5") && strstr(r->out, "not supported"),
              "table has the f32 row and int8 as not supported: %s", r->out);
    RT_ASSERT(!strstr(r->out, "create"), "no create column for a host backend: %s", r->out);

    FILE *f = fopen(json, "r");
    RT_ASSERT(f, "JSON written");
    static char text[65536];
    cli_slurp(f, text, sizeof text);
    static const char *const keys[] = {
        "runt_version", "host", "cpu", "threads", "os", "devices", "backend", "name",
        "peak_gflops", "peak_int8_gops", "bandwidth_gbps", "l1", "l2", "l3", "dram", "launch_us",
        "h2d_gbps", "d2h_gbps", "results", "suite", "model", "dtype", "batch", "params", "flops",
        "bytes", "layers", "launches", "median_us", "p10_us", "p90_us", "first_run_us", "h2d_us",
        "d2h_us", "gflops", "gbps", "predicted_us", "peer", "torch_us", "onnxruntime_us",
        "summary", "within_15pct", "spearman", "predicted"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\"%s\":", keys[i]);
        RT_ASSERT(strstr(text, quoted), "key %s in:\n%s", keys[i], text);
    }
    RT_ASSERT(strstr(text, "\"h2d_us\": null") && strstr(text, "\"peak_int8_gops\": null"),
              "null where not applicable");
    RT_ASSERT(strstr(text, "\"model\": \"seed1_model5\"") && strstr(text, "\"suite\": \"model\""),
              "the row names the model");
    /* Beyond the contract: what the row's prediction is bound by, a name
     * check_json.py knows (it runs below). */
    RT_ASSERT(strstr(text, "\"bound\": \""), "the row carries its bound:\n%s", text);

    f = fopen(csv, "r");
    RT_ASSERT(f, "CSV written");
    static char ctext[16384];
    cli_slurp(f, ctext, sizeof ctext);
    RT_ASSERT(strncmp(ctext, "suite,model,", 12) == 0 && strstr(ctext, "not supported"),
              "CSV header and the unsupported int8 row: %s", ctext);
    RT_ASSERT(strstr(ctext, ",torch_graph_us,bound,math,err_vs_f32\n"),
              "bound, math and the error follow the older columns: %s", ctext);

    /* The committed schema check, when python3 is here. */
    if (system("python3 -c 'import json' >/dev/null 2>&1") == 0) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "python3 %s/bench/check_json.py %s >/dev/null",
                 runt_bench_source_dir(), json);
        int rc = system(cmd);
        RT_ASSERT(rc == 0, "bench/check_json.py accepts the file (status %d)", rc);
    }
    char calfile[64];
    snprintf(calfile, sizeof calfile, "calibration-ref-t%d.json", cal.threads);
    const char *files[] = {"out.json", "out.csv", calfile};
    remove_tree(dir, files, 3);
}

RT_TEST(bench_cli, devices_reads_the_cache)
{
    char dir[] = "/tmp/runt-dev-XXXXXX";
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    cli_result *r = CLI("runt", "devices", "--backend", "ref", "--cache-dir", dir);
    RT_ASSERT(r->status == 0 && strstr(r->out, "not calibrated"), "uncalibrated: %s", r->out);
    runt_device_info d;
    RT_ASSERT(runt_backend_info(0, &d) == RUNT_OK && strcmp(d.backend, "ref") == 0, "ref first");
    runt_calibration c;
    memset(&c, 0, sizeof c);
    strcpy(c.backend, "ref");
    snprintf(c.device, sizeof c.device, "%s", d.name);
    c.threads = runt_calibration_threads(&d, 0);
    c.host_memory = 1;
    c.peak_gflops = 1.25;
    c.peak_int8_gops = c.h2d_gbps = c.d2h_gbps = NAN;
    c.eltwise_gflops = 0.5;
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++)
        c.bw_gbps[l] = 1 + l, c.level_bytes[l] = l == RUNT_LEVEL_DRAM ? INFINITY : 1024 << (4 * l);
    RT_ASSERT(runt_calibration_save(&c, dir) == RUNT_OK, "%s", runt_last_error());
    r = CLI("runt", "devices", "--backend", "ref", "--cache-dir", dir);
    RT_ASSERT(r->status == 0 && strstr(r->out, "1.2 GFLOP/s"), "cached peak shown: %s", r->out);
    RT_ASSERT(strstr(r->out, "GEMM grid (f32)") && strstr(r->out, "m    1 n   16:       -"),
              "its (empty) tables shown from the cache: %s", r->out);
    char path[256];
    runt_calibration_path(dir, "ref", c.threads, path, sizeof path);
    unlink(path);
    rmdir(dir);
}
