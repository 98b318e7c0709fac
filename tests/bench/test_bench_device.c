#define _POSIX_C_SOURCE 200809L
/* The bench's device-backend path without a GPU: a mock backend whose
 * "device memory" is host memory it copies inputs and outputs through (the
 * kernels are the reference ones). Calibration must measure host<->device copies, and
 * bench rows must carry h2d_us and d2h_us. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calibrate.h"
#include "cli.h"
#include "cli_harness.h"
#include "quick_calibration.h"
#include "ref/ref_impl.h"
#include "rt_test.h"
#include "runt-backend.h"
#include "test_util.h"

static rt_mock_device mockdev;

static void register_mockdev(void)
{
    RT_ASSERT(rt_mock_device_register(&mockdev, "mockdev") == RUNT_OK, "%s", runt_last_error());
}


RT_TEST(bench_device, calibration_measures_copies_and_device_levels)
{
    register_mockdev();
    runt_calibration_config cc = rt_quick_calibration_config();
    runt_calibration c;
    RT_ASSERT(runt_calibration_run("mockdev", 0, &cc, &c, NULL) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(!c.host_memory && c.threads == 1, "a device backend, host threads 1: %d", c.threads);
    RT_ASSERT(c.h2d_gbps > 0 && c.d2h_gbps > 0, "copies measured: %g %g", c.h2d_gbps, c.d2h_gbps);
    RT_ASSERT(isnan(c.bw_gbps[RUNT_LEVEL_L1]) && isnan(c.bw_gbps[RUNT_LEVEL_L3]),
              "no L1 or L3 probe on a device");
    RT_ASSERT(c.bw_gbps[RUNT_LEVEL_L2] > 0 && c.bw_gbps[RUNT_LEVEL_DRAM] > 0, "L2 and HBM probed");
    /* The device's cache as it reports it is the L2 level, and what does
     * not fit there comes from device memory. */
    RT_ASSERT(c.level_bytes[RUNT_LEVEL_L2] == RT_MOCK_DEVICE_CACHE_BYTES &&
                  c.level_bytes[RUNT_LEVEL_L3] == RT_MOCK_DEVICE_CACHE_BYTES &&
                  isinf(c.level_bytes[RUNT_LEVEL_DRAM]),
              "levels %g %g %g", c.level_bytes[RUNT_LEVEL_L2], c.level_bytes[RUNT_LEVEL_L3],
              c.level_bytes[RUNT_LEVEL_DRAM]);
    RT_ASSERT(isnan(c.peak_int8_gops), "the mock has no int8: %g", c.peak_int8_gops);
    /* Every probe that ran has a spread, those that did not have none, and
     * the record says how it was measured (values depend on the machine's
     * load, so only their presence is checked). */
    RT_ASSERT(c.checked && c.attempts == 1, "checked, one attempt: %d %d", c.checked, c.attempts);
    int ran[] = {RUNT_PROBE_PEAK_F32, RUNT_PROBE_ELTWISE, RUNT_PROBE_DISPATCH, RUNT_PROBE_BW_L2,
                 RUNT_PROBE_BW_DRAM, RUNT_PROBE_H2D, RUNT_PROBE_D2H};
    for (size_t i = 0; i < sizeof ran / sizeof ran[0]; i++)
        RT_ASSERT(c.spread[ran[i]] >= 0, "%s has a spread: %g", runt_probe_names[ran[i]],
                  c.spread[ran[i]]);
    RT_ASSERT(isnan(c.spread[RUNT_PROBE_BW_L1]) && isnan(c.spread[RUNT_PROBE_BW_L3]) &&
                  isnan(c.spread[RUNT_PROBE_PEAK_INT8]), "no spread for probes not run");
    RT_ASSERT(c.busy == 0 || c.busy == 1, "busy is a flag: %d", c.busy);
    /* A GEMM grid point too long to run takes the same n and k at the next
     * smaller batch (the peak at the smallest). */
    int skipped = 0;
    for (int i = 0; i < RUNT_GEMM_GRID_MS; i++)
        for (int j = 0; j < RUNT_GEMM_GRID_NS; j++)
            for (int l = 0; l < RUNT_GEMM_GRID_KS; l++) {
                double flops = 2.0 * (double)(runt_gemm_grid_m[i] * runt_gemm_grid_n[j] *
                                              runt_gemm_grid_k[l]);
                if (flops / (c.peak_gflops * 1e3) <= RUNT_GEMM_GRID_MAX_RUN_US)
                    continue;
                skipped++;
                double want = i ? c.gemm_gflops[0][i - 1][j][l] : c.peak_gflops;
                RT_ASSERT(c.gemm_gflops[0][i][j][l] == want, "m %lld n %lld k %lld: %g, want %g",
                          (long long)runt_gemm_grid_m[i], (long long)runt_gemm_grid_n[j],
                          (long long)runt_gemm_grid_k[l], c.gemm_gflops[0][i][j][l], want);
            }
    /* The mock computes as ref does (~4 GFLOP/s): its largest points are
     * over the cap. */
    RT_ASSERT(skipped > 0 || c.peak_gflops > 50, "%d points skipped at %g GFLOP/s", skipped,
              c.peak_gflops);
    double us;
    RT_ASSERT(runt_calibration_copy_us("mockdev", 0, 65536, 1, &cc, &us) == RUNT_OK && us > 0,
              "one copy timed: %g", us);
}

RT_TEST(bench_device, rows_carry_copy_times)
{
    register_mockdev();
    char dir[] = "/tmp/runt-mockdev-XXXXXX";
    runt_calibration c;
    rt_cached_quick_calibration("mockdev", dir, &c);
    char json[256];
    snprintf(json, sizeof json, "%s/out.json", dir);
    FILE *out = tmpfile(), *err = tmpfile();
    RT_ASSERT(out && err, "tmpfile");
    const char *argv[] = {"runt", "bench", "--model", "@seed1_model4", "--backend", "mockdev",
                          "--dtype", "f32", "--min-time", "0.001", "--min-reps", "2",
                          "--cache-dir", dir, "--json", json};
    int status = runt_cli_main((int)(sizeof argv / sizeof argv[0]), (char **)argv, out, err);
    static char table[16384];
    rewind(out);
    size_t got = fread(table, 1, sizeof table - 1, out);
    table[got] = '\0';
    fclose(out);
    fclose(err);
    RT_ASSERT(status == 0, "status %d", status);
    /* A device backend's rows show the session's creation beside its first run. */
    RT_ASSERT(strstr(table, "     first    create      pred"), "the create column:\n%s", table);
    FILE *f = fopen(json, "r");
    RT_ASSERT(f, "JSON written");
    static char text[16384];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    RT_ASSERT(!strstr(text, "\"h2d_us\": null") && !strstr(text, "\"d2h_us\": null"),
              "copy times are numbers on a device backend:\n%s", text);
    RT_ASSERT(!strstr(text, "\"h2d_gbps\": null"), "the device entry has its copy bandwidth");
    rt_cached_calibration_remove(dir, &c, json);
}

/* The error column on a backend that takes TF32 math: the mock computes it
 * as f32, so its error is exactly 0; told to answer with a NaN in TF32, its
 * row fails saying so and the bench exits 1 (a wrong answer is not a large
 * error). */
RT_TEST(bench_device, a_nan_where_f32_is_finite_fails_the_row)
{
    register_mockdev();
    char dir[] = "/tmp/runt-mockdev-XXXXXX";
    runt_calibration c;
    rt_cached_quick_calibration("mockdev", dir, &c);
    for (int nan = 0; nan < 2; nan++) {
        mockdev.nan_outside_f32_math = nan;
        cli_result *r = CLI("runt", "bench", "--model", "@seed1_model5", "--backend", "mockdev",
                            "--dtype", "f32", "--math", "f32,tf32", "--min-time", "0.001",
                            "--min-reps", "2", "--cache-dir", dir);
        if (!nan) {
            RT_ASSERT(r->status == 0, "status %d: %s", r->status, r->err);
            RT_ASSERT(strstr(r->out, "f32/tf32") && strstr(r->out, "        0"),
                      "the TF32 row, error 0:\n%s", r->out);
        } else {
            RT_ASSERT(r->status == 1, "a wrong answer fails the bench: %d", r->status);
            RT_ASSERT(strstr(r->out, "failed: outputs hold a NaN or an infinity where the f32 "
                                     "session's are finite"),
                      "the row says why:\n%s", r->out);
        }
    }
    mockdev.nan_outside_f32_math = 0;
    rt_cached_calibration_remove(dir, &c, NULL);
}
