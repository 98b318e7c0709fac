/*
 * A quick calibration for tests that exercise the calibration cache: tiny
 * probes and one attempt, then recorded as settled and quiet, so that
 * `runt bench` reuses it whatever load the machine had while the test ran.
 * The rules that decide reuse have tests of their own
 * (test_calibration_trust.c) on hand-made records.
 */
#ifndef RUNT_TESTS_QUICK_CALIBRATION_H
#define RUNT_TESTS_QUICK_CALIBRATION_H

#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "calibrate.h"
#include "rt_test.h"

static inline runt_calibration_config rt_quick_calibration_config(void)
{
    runt_calibration_config cc = runt_calibration_config_default();
    cc.min_time_s = 0.001;
    cc.min_reps = 2;
    cc.max_probe_bytes = 256 * 1024;
    cc.max_gemm_n = 128;
    cc.max_attempts = 1;
    return cc;
}

/* Settled and quiet: every probe that ran gets spread 0, the load is
 * recorded as none. */
static inline void rt_calibration_mark_quiet(runt_calibration *cal)
{
    cal->checked = 1;
    cal->busy = 0;
    cal->load_others = 0;
    for (int p = 0; p < RUNT_PROBE_COUNT; p++)
        if (!isnan(cal->spread[p]) || p == RUNT_PROBE_PEAK_F32 || p == RUNT_PROBE_ELTWISE ||
            p == RUNT_PROBE_DISPATCH)
            cal->spread[p] = 0;
    if (cal->attempts < 1)
        cal->attempts = 1;
}

static inline void rt_quick_calibration(const char *backend, runt_calibration *cal)
{
    runt_calibration_config cc = rt_quick_calibration_config();
    RT_ASSERT(runt_calibration_run(backend, 0, &cc, cal, NULL) == RUNT_OK, "%s", runt_last_error());
    rt_calibration_mark_quiet(cal);
}

/* A fresh directory (dir: a mkdtemp template) holding a quick calibration
 * of `backend`, where `runt bench --cache-dir dir` finds it. */
static inline void rt_cached_quick_calibration(const char *backend, char *dir,
                                               runt_calibration *cal)
{
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    rt_quick_calibration(backend, cal);
    RT_ASSERT(runt_calibration_save(cal, dir) == RUNT_OK, "%s", runt_last_error());
}

/* Removes what rt_cached_quick_calibration made, and extra (a file the test
 * wrote there, or NULL); the directory must hold nothing else. */
static inline void rt_cached_calibration_remove(const char *dir, const runt_calibration *cal,
                                                const char *extra)
{
    char path[512];
    runt_calibration_path(dir, cal->backend, cal->threads, path, sizeof path);
    unlink(path);
    if (extra)
        unlink(extra);
    rmdir(dir);
}

#endif /* RUNT_TESTS_QUICK_CALIBRATION_H */
