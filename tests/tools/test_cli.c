#define _POSIX_C_SOURCE 200809L
/* The command-line program, driven in-process: exit statuses, one-line
 * errors, and `run` against a session run directly on the same model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_harness.h"
#include "npy.h"
#include "rt_test.h"
#include "runt-backend.h"
#include "runt.h"
#include "test_util.h"
#include "zoo.h"

RT_TEST(cli, info_prints_every_node_and_totals)
{
    cli_result *r = CLI("runt", "info", "@seed1_model1", "--batch", "3");
    RT_ASSERT(r->status == 0, "status %d: %s", r->status, r->err);
    RT_ASSERT(strstr(r->out, "Gemm") && strstr(r->out, "total"), "table: %s", r->out);
    /* params of 1000-10-1000-1 with biases, counted independently */
    long long params = 1000 * 10 + 10 + 10 * 1000 + 1000 + 1000 * 1 + 1;
    char want[32];
    snprintf(want, sizeof want, " %lld ", params);
    RT_ASSERT(strstr(r->out, want), "total params %lld in: %s", params, r->out);
    RT_ASSERT(strstr(r->out, "[3, 1000]"), "batch 3 shapes: %s", r->out);
}

RT_TEST(cli, every_zoo_model_builds)
{
    for (int i = 0; i < runt_zoo_count(); i++) {
        runt_model *m;
        RT_ASSERT(runt_zoo_build(runt_zoo_get(i)->name, &m) == RUNT_OK, "%s: %s",
                  runt_zoo_get(i)->name, runt_last_error());
        runt_model_free(m);
    }
    runt_model *m;
    RT_ASSERT(runt_zoo_build("nonesuch", &m) == RUNT_E_INVALID_ARG, "unknown name");
    RT_ASSERT(strstr(runt_last_error(), "seed1_model1"), "lists the known: %s", runt_last_error());
}

RT_TEST(cli, usage_errors_exit_2_with_one_line)
{
    const char *cases[][4] = {
        {"runt", NULL}, {"runt", "frobnicate", NULL}, {"runt", "info", NULL},
        {"runt", "info", "@lenet", "--batch"}, {"runt", "run", "@lenet", NULL},
        {"runt", "run", "@lenet", "--dtype"}};
    int argcs[] = {1, 2, 2, 4, 3, 4};
    for (int i = 0; i < 6; i++) {
        cli_result *r = cli(argcs[i], cases[i]);
        RT_ASSERT(r->status == 2, "case %d: status %d", i, r->status);
        RT_ASSERT(strncmp(r->err, "runt: ", 6) == 0, "case %d: message %s", i, r->err);
    }
    cli_result *r = CLI("runt", "info", "@lenet", "--batch", "0");
    RT_ASSERT(r->status == 2 && strstr(r->err, "--batch"), "batch 0: %s", r->err);
    r = CLI("runt", "run", "@lenet", "--input", "x.npy", "--output", "y.npy", "--dtype", "f16");
    RT_ASSERT(r->status == 2 && strstr(r->err, "f16"), "dtype f16: %s", r->err);
}

RT_TEST(cli, run_threads_is_bounded_and_named)
{
    /* Refused before any file is opened: the usage error names the option
     * and the value, on one line, with status 2. */
    const char *bad[] = {"0", "-1", "4097", "two", "2x", "", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cli_result *r = CLI("runt", "run", "@lenet", "--input", "/nonexistent/x.npy", "--output",
                            "/tmp/y.npy", "--threads", bad[i]);
        RT_ASSERT(r->status == 2, "--threads '%s': status %d: %s", bad[i], r->status, r->err);
        RT_ASSERT(strstr(r->err, "--threads") && strchr(r->err, '\n') == r->err + strlen(r->err) - 1,
                  "--threads '%s': one line naming the option: %s", bad[i], r->err);
    }
    cli_result *r = CLI("runt", "run", "@lenet", "--input", "x.npy", "--output", "y.npy", "--threads");
    RT_ASSERT(r->status == 2 && strstr(r->err, "--threads"), "no value: %s", r->err);
    r = CLI("runt", "run", "--help");
    RT_ASSERT(r->status == 0 && strstr(r->out, "--threads N"), "help names it: %s", r->out);
}

RT_TEST(cli, run_threads_reaches_the_cpu_backend)
{
    runt_device_info d;
    int n = 0, cpu = 0;
    RT_ASSERT(runt_backend_count(&n) == RUNT_OK, "%s", runt_last_error());
    for (int i = 0; i < n && !cpu; i++)
        cpu = runt_backend_info(i, &d) == RUNT_OK && strcmp(d.backend, "cpu") == 0 && d.available;
    char dir[] = "/tmp/runt-cli-threads-XXXXXX";
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    char xpath[80], y1[80], y2[80];
    snprintf(xpath, sizeof xpath, "%s/x.npy", dir);
    snprintf(y1, sizeof y1, "%s/y1.npy", dir);
    snprintf(y2, sizeof y2, "%s/y2.npy", dir);
    rt_rng rng = rt_rng_make(52);
    float x[3 * 28 * 28];
    rt_fill_uniform(&rng, x, 3 * 28 * 28, -1, 1);
    int64_t xd[4] = {3, 1, 28, 28};
    runt_tensor tx = rt_tensor_f32(x, 4, xd);
    RT_ASSERT(runt_npy_write(xpath, &tx) == RUNT_OK, "%s", runt_last_error());
    /* ref takes the option and runs on one thread; cpu (where this build
     * has it) runs on the count given, and agrees with ref. */
    cli_result *r = CLI("runt", "run", "@lenet", "--input", xpath, "--output", y1, "--backend",
                        "ref", "--threads", "3");
    RT_ASSERT(r->status == 0, "ref --threads 3: status %d: %s", r->status, r->err);
    if (cpu) {
        r = CLI("runt", "run", "@lenet", "--input", xpath, "--output", y2, "--backend", "cpu",
                "--threads=1");
        RT_ASSERT(r->status == 0, "cpu --threads=1: status %d: %s", r->status, r->err);
        runt_tensor a, b;
        RT_ASSERT(runt_npy_read(y1, &a) == RUNT_OK && runt_npy_read(y2, &b) == RUNT_OK, "%s",
                  runt_last_error());
        RT_ASSERT(a.ndim == 2 && b.ndim == 2 && a.dims[0] == 3 && b.dims[0] == 3, "shapes [3, 10]");
        for (int i = 0; i < 30; i++)
            RT_ASSERT(fabsf(((float *)a.data)[i] - ((float *)b.data)[i]) < 1e-4f,
                      "element %d: ref %g, cpu %g", i, ((float *)a.data)[i], ((float *)b.data)[i]);
        free(a.data);
        free(b.data);
        unlink(y2);
    }
    unlink(xpath);
    unlink(y1);
    rmdir(dir);
    if (!cpu)
        RT_SKIP("no available cpu backend in this build: only the ref half ran");
}

RT_TEST(cli, failures_exit_1_naming_the_file)
{
    cli_result *r = CLI("runt", "info", "/nonexistent/model.onnx");
    RT_ASSERT(r->status == 1, "status %d", r->status);
    RT_ASSERT(strstr(r->err, "/nonexistent/model.onnx"), "names the file: %s", r->err);
    r = CLI("runt", "info", "@nonesuch");
    RT_ASSERT(r->status == 1 && strstr(r->err, "nonesuch"), "unknown built-in: %s", r->err);
    r = CLI("runt", "run", "@lenet", "--input", "/nonexistent/x.npy", "--output", "/tmp/y.npy");
    RT_ASSERT(r->status == 1 && strstr(r->err, "/nonexistent/x.npy"), "missing input: %s", r->err);
}

RT_TEST(cli, run_matches_a_direct_session)
{
    char dir[] = "/tmp/runt-cli-XXXXXX";
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    char xpath[64], ypath[64];
    snprintf(xpath, sizeof xpath, "%s/x.npy", dir);
    snprintf(ypath, sizeof ypath, "%s/y.npy", dir);
    rt_rng rng = rt_rng_make(51);
    float x[2 * 28 * 28];
    rt_fill_uniform(&rng, x, 2 * 28 * 28, -1, 1);
    int64_t xd[4] = {2, 1, 28, 28};
    runt_tensor tx = rt_tensor_f32(x, 4, xd);
    RT_ASSERT(runt_npy_write(xpath, &tx) == RUNT_OK, "%s", runt_last_error());

    cli_result *r = CLI("runt", "run", "@lenet", "--input", xpath, "--output", ypath, "--backend", "ref");
    RT_ASSERT(r->status == 0, "status %d: %s", r->status, r->err);
    runt_tensor got;
    RT_ASSERT(runt_npy_read(ypath, &got) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(got.ndim == 2 && got.dims[0] == 2 && got.dims[1] == 10, "shape [2, 10]");

    runt_model *m;
    RT_ASSERT(runt_zoo_build("lenet", &m) == RUNT_OK, "%s", runt_last_error());
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    o.batch = 2;
    runt_session *s;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    float y[20];
    int64_t yd[2] = {2, 10};
    runt_tensor ty = rt_tensor_f32(y, 2, yd);
    RT_ASSERT(runt_session_run(s, &tx, 1, &ty, 1) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(memcmp(y, got.data, sizeof y) == 0, "the file holds the session's output");
    double sum = 0;
    for (int i = 0; i < 10; i++)
        sum += y[i];
    RT_ASSERT(sum > 0.999 && sum < 1.001, "softmax rows sum to 1: %g", sum);
    free(got.data);
    runt_session_free(s);
    runt_model_free(m);
    unlink(xpath);
    unlink(ypath);
    rmdir(dir);
}

RT_TEST(cli, devices_lists_ref)
{
    cli_result *r = CLI("runt", "devices");
    RT_ASSERT(r->status == 0 && strstr(r->out, "ref"), "devices: %s %s", r->out, r->err);
}
