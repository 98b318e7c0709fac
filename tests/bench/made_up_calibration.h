/*
 * One made-up calibration for the cost model's tests, so the numbers they
 * work out by hand all start from the same table: L1 32 KiB at 100 GB/s,
 * L2 1 MiB at 50, L3 32 MiB at 20, DRAM 10; f32 100 GFLOP/s, int8
 * 400 GOP/s, elementwise 2 GFLOP/s; 0.5 us per launch, 0.25 us per run;
 * host memory (no copies). And the ref session on a built-in model that
 * those numbers are checked against.
 */
#ifndef RT_MADE_UP_CALIBRATION_H
#define RT_MADE_UP_CALIBRATION_H

#include <math.h>
#include <string.h>

#include "calibrate.h"
#include "rt_test.h"
#include "zoo.h"

static inline runt_calibration rt_made_up_calibration(void)
{
    runt_calibration c;
    memset(&c, 0, sizeof c);
    strcpy(c.backend, "ref");
    c.threads = 1;
    c.host_memory = 1;
    c.peak_gflops = 100;
    c.peak_int8_gops = 400;
    c.eltwise_gflops = 2;
    double bw[4] = {100, 50, 20, 10}, cap[4] = {32768, 1048576, 33554432, INFINITY};
    memcpy(c.bw_gbps, bw, sizeof bw);
    memcpy(c.level_bytes, cap, sizeof cap);
    c.launch_us = 0.5;
    c.run_us = 0.25;
    c.h2d_gbps = c.d2h_gbps = NAN;
    return c;
}

/* Builds the built-in model `name` into *m and a ref session on it into *s. */
static inline void rt_ref_session(const char *name, runt_model **m, runt_session **s)
{
    RT_ASSERT(runt_zoo_build(name, m) == RUNT_OK, "%s: %s", name, runt_last_error());
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    RT_ASSERT(runt_session_create(*m, &o, s) == RUNT_OK, "%s: %s", name, runt_last_error());
}

#endif
