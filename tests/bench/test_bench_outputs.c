#define _POSIX_C_SOURCE 200809L
/* What the bench writes where: `--json -` puts the JSON alone on standard
 * output with the table on stderr, and a row that fails keeps the message
 * of its real cause. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calibrate.h"
#include "cli_harness.h"
#include "quick_calibration.h"
#include "rt_test.h"
#include "runt-backend.h"
#include "test_util.h"

/* A small calibration of `backend` cached in dir, described as ref measured
 * it, so the bench skips the full probes. */
static void cache_calibration(const char *dir, const char *backend, const char *device)
{
    runt_calibration cal;
    rt_quick_calibration("ref", &cal);
    snprintf(cal.backend, sizeof cal.backend, "%s", backend);
    snprintf(cal.device, sizeof cal.device, "%s", device);
    RT_ASSERT(runt_calibration_save(&cal, dir) == RUNT_OK, "%s", runt_last_error());
}

static void remove_dir(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    RT_ASSERT(system(cmd) == 0, "rm");
}

RT_TEST(bench_outputs, json_dash_is_standard_output_alone)
{
    char dir[] = "/tmp/runt-bench-out-XXXXXX";
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    runt_device_info d;
    RT_ASSERT(runt_backend_info(0, &d) == RUNT_OK && strcmp(d.backend, "ref") == 0, "ref first");
    cache_calibration(dir, "ref", d.name);
    cli_result *r = CLI("runt", "bench", "--model", "@seed1_model5", "--backend", "ref", "--dtype",
                        "f32", "--min-time", "0.001", "--min-reps", "2", "--json", "-",
                        "--cache-dir", dir);
    RT_ASSERT(r->status == 0, "status %d: %s", r->status, r->err);
    size_t n = strlen(r->out);
    RT_ASSERT(n > 2 && r->out[0] == '{' && r->out[n - 2] == '}', "JSON alone on stdout: %s", r->out);
    RT_ASSERT(strstr(r->out, "\"model\": \"seed1_model5\""), "the row: %s", r->out);
    RT_ASSERT(strstr(r->err, "seed1_model5") && strstr(r->err, "median"), "table on stderr: %s",
              r->err);
    RT_ASSERT(access("-", F_OK) != 0, "no file named '-'");
    remove_dir(dir);
}

/* A backend that prepares and then refuses every run, with its own words. */
static runt_status failing_prepare(void *context, const runt_plan *plan,
                                   const runt_session_options *options, void **state)
{
    (void)context, (void)plan, (void)options;
    *state = NULL;
    return RUNT_OK;
}

static runt_status failing_execute(void *state, const runt_plan *plan, const runt_bindings *b)
{
    (void)state, (void)plan, (void)b;
    return runt_error_set(RUNT_E_BACKEND, "bench_failing refuses to run on purpose");
}

static const runt_backend_i failing_backend = {
    .name = "bench_failing",
    .prepare = failing_prepare,
    .execute = failing_execute,
};

RT_TEST(bench_outputs, a_failed_row_keeps_the_message_of_its_cause)
{
    int n = 0;
    RT_ASSERT(runt_backend_count(&n) == RUNT_OK, "count");
    int index = -1;
    for (int i = 0; i < n && index < 0; i++) {
        const char *name;
        if (runt_backend_name(i, &name) == RUNT_OK && strcmp(name, "bench_failing") == 0)
            index = i;
    }
    if (index < 0) {
        RT_ASSERT(runt_backend_register(&failing_backend, NULL) == RUNT_OK, "%s", runt_last_error());
        index = n;
    }
    runt_device_info d;
    RT_ASSERT(runt_backend_info(index, &d) == RUNT_OK, "%s", runt_last_error());
    char dir[] = "/tmp/runt-bench-fail-XXXXXX";
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    cache_calibration(dir, "bench_failing", d.name);
    cli_result *r = CLI("runt", "bench", "--model", "@seed1_model5", "--backend", "bench_failing",
                        "--dtype", "f32", "--min-time", "0.001", "--min-reps", "2", "--cache-dir",
                        dir);
    RT_ASSERT(r->status == 1, "a failed row fails the bench: %d %s", r->status, r->err);
    RT_ASSERT(strstr(r->out, "refuses to run on purpose"), "the row names the cause: %s", r->out);
    RT_ASSERT(!strstr(r->out, "out of range") && !strstr(r->err, "out of range"),
              "no message from counting outputs: %s", r->out);
    remove_dir(dir);
}
