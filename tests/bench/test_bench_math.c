#define _POSIX_C_SOURCE 200809L
/* The bench's math modes and its error column: a row not in f32 (int8, or
 * TF32/BF16 math) carries its outputs' relative error against the same
 * backend's f32 row; here that figure is recomputed from two sessions'
 * outputs with a plain double loop, and the modes a backend cannot run are
 * rows that say so. No timing is asserted. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "calibrate.h"
#include "cli_harness.h"
#include "measure.h"
#include "npy.h"
#include "quick_calibration.h"
#include "rt_test.h"
#include "test_util.h"
#include "zoo.h"

/* The number after "err_vs_f32": in the first result of dtype `dtype`
 * (results are written one object per row, keys in a fixed order). */
static double json_row_error(const char *text, const char *dtype)
{
    char key[48];
    snprintf(key, sizeof key, "\"dtype\": \"%s\"", dtype);
    const char *row = strstr(text, key);
    RT_ASSERT(row, "a %s row in:\n%s", dtype, text);
    const char *e = strstr(row, "\"err_vs_f32\": ");
    RT_ASSERT(e, "the row carries err_vs_f32");
    e += strlen("\"err_vs_f32\": ");
    return strncmp(e, "null", 4) == 0 ? NAN : strtod(e, NULL);
}

/* ||y - ref|| / ||ref|| by its definition, in double. */
static double relative_error(const float *y, const float *ref, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += ((double)y[i] - ref[i]) * ((double)y[i] - ref[i]);
        den += (double)ref[i] * ref[i];
    }
    return sqrt(num / den);
}

/* The outputs runt_measure_outputs gives for one session of seed1_model2. */
static float *session_outputs(const char *backend, runt_dtype dtype, size_t *n)
{
    runt_model *m = NULL;
    RT_ASSERT(runt_zoo_build("seed1_model2", &m) == RUNT_OK, "%s", runt_last_error());
    runt_session_options o = runt_session_options_default();
    o.backend = backend;
    o.compute_dtype = dtype;
    runt_session *s = NULL;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    float *y = NULL;
    RT_ASSERT(runt_measure_outputs(s, &y, n) == RUNT_OK, "%s", runt_last_error());
    runt_session_free(s);
    runt_model_free(m);
    return y;
}

RT_TEST(bench_math, the_int8_rows_error_is_that_of_its_outputs_against_f32)
{
    if (!rt_backend_available("cpu"))
        RT_SKIP("no cpu backend in this build");
    char dir[] = "/tmp/runt-math-XXXXXX", json[256];
    runt_calibration cal;
    rt_cached_quick_calibration("cpu", dir, &cal);
    snprintf(json, sizeof json, "%s/out.json", dir);
    /* seed1_model2's 1000x1000 layer is past int8_min_weights: int8 runs. */
    cli_result *r = CLI("runt", "bench", "--model", "@seed1_model2", "--backend", "cpu",
                        "--min-time", "0.001", "--min-reps", "3", "--json", json, "--cache-dir", dir);
    RT_ASSERT(r->status == 0, "status %d: %s", r->status, r->err);
    RT_ASSERT(strstr(r->out, " err"), "the table has the err column:\n%s", r->out);
    static char text[65536];
    FILE *f = fopen(json, "r");
    RT_ASSERT(f, "JSON written");
    cli_slurp(f, text, sizeof text);
    double f32_err = json_row_error(text, "f32"), int8_err = json_row_error(text, "int8");
    RT_ASSERT(isnan(f32_err), "the f32 row is the reference: null, got %g", f32_err);

    size_t n32 = 0, n8 = 0;
    float *y32 = session_outputs("cpu", RUNT_F32, &n32);
    float *y8 = session_outputs("cpu", RUNT_I8, &n8);
    RT_ASSERT(n32 == n8 && n32 > 0, "%zu and %zu outputs", n32, n8);
    double expected = relative_error(y8, y32, n32);
    /* The JSON holds 17 significant digits; int8 of this model errs by
     * well under a percent and never by nothing. */
    RT_ASSERT(fabs(int8_err - expected) <= 1e-12 + 1e-9 * expected,
              "int8 err %.17g, recomputed %.17g", int8_err, expected);
    RT_ASSERT(expected > 0 && expected < 0.01, "int8 error %g", expected);
    free(y32);
    free(y8);

    /* Without an f32 row the reference is made for the comparison: the
     * same figure. */
    r = CLI("runt", "bench", "--model", "@seed1_model2", "--backend", "cpu", "--dtype", "int8",
            "--min-time", "0.001", "--min-reps", "3", "--json", json, "--cache-dir", dir);
    RT_ASSERT(r->status == 0, "status %d: %s", r->status, r->err);
    f = fopen(json, "r");
    RT_ASSERT(f, "JSON written");
    cli_slurp(f, text, sizeof text);
    double alone = json_row_error(text, "int8");
    RT_ASSERT(fabs(alone - expected) <= 1e-12 + 1e-9 * expected, "int8 alone: %.17g, %.17g",
              alone, expected);
    rt_cached_calibration_remove(dir, &cal, json);
}

RT_TEST(bench_math, a_mode_the_backend_lacks_is_a_row_that_says_so)
{
    char dir[] = "/tmp/runt-math-XXXXXX", json[256];
    runt_calibration cal;
    rt_cached_quick_calibration("ref", dir, &cal);
    snprintf(json, sizeof json, "%s/out.json", dir);
    cli_result *r = CLI("runt", "bench", "--model", "@seed1_model5", "--backend", "ref",
                        "--dtype", "f32", "--math", "f32,tf32,bf16", "--min-time", "0.001",
                        "--min-reps", "3", "--json", json, "--cache-dir", dir);
    RT_ASSERT(r->status == 0, "unsupported modes are not failures: %d %s", r->status, r->err);
    RT_ASSERT(strstr(r->out, "dtype/math") && strstr(r->out, "f32/tf32") &&
                  strstr(r->out, "f32/bf16"),
              "the rows name their mode:\n%s", r->out);
    RT_ASSERT(strstr(r->out, "not supported: backend 'ref': prepare: the reference backend has "
                             "no reduced-precision math modes"),
              "and why ref runs none:\n%s", r->out);
    static char text[65536];
    FILE *f = fopen(json, "r");
    RT_ASSERT(f, "JSON written");
    cli_slurp(f, text, sizeof text);
    RT_ASSERT(strstr(text, "\"math\": \"f32\"") && !strstr(text, "\"math\": \"tf32\""),
              "only the measured f32 row is in the JSON:\n%s", text);
    /* The summary counts f32 math only: one ref row. */
    RT_ASSERT(strstr(text, "\"rows\": 1"), "one row summarized:\n%s", text);
    rt_cached_calibration_remove(dir, &cal, json);
}

RT_TEST(bench_math, run_takes_the_mode_and_a_backend_refuses_what_it_lacks)
{
    char dir[] = "/tmp/runt-math-XXXXXX", x[256], y[256];
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    snprintf(x, sizeof x, "%s/x.npy", dir);
    snprintf(y, sizeof y, "%s/y.npy", dir);
    /* ref has no TF32: a clear failure naming the mode, no output file. */
    float v[1000];
    for (int i = 0; i < 1000; i++)
        v[i] = (float)(i % 7) * 0.1f;
    runt_tensor t = {.dtype = RUNT_F32, .ndim = 2, .dims = {1, 1000}, .data = v};
    RT_ASSERT(runt_npy_write(x, &t) == RUNT_OK, "%s", runt_last_error());
    cli_result *r = CLI("runt", "run", "@seed1_model5", "--input", x, "--output", y, "--backend",
                        "ref", "--math", "tf32");
    RT_ASSERT(r->status == 1 && strstr(r->err, "math modes"), "refused: %d %s", r->status, r->err);
    RT_ASSERT(access(y, F_OK) != 0, "no output written");
    r = CLI("runt", "run", "@seed1_model5", "--input", x, "--output", y, "--backend", "ref",
            "--math", "f32");
    RT_ASSERT(r->status == 0, "f32 runs: %d %s", r->status, r->err);
    unlink(x);
    unlink(y);
    rmdir(dir);
}
