/*
 * What calibrate.c's parts share, and nothing outside bench/calibrate*.c
 * includes: the cache formats, the probe (how one microbenchmark is timed),
 * the probes each part runs, and the host's CPU accounting. One concept a
 * file:
 *   calibrate.c         the grids' and tables' coordinates, one attempt of
 *                       all probes, folding attempts, the cached get
 *   calibrate_probe.c   timing a probe (its statistic, rounds) and the main
 *                       probes: peaks, dispatch, elementwise, bandwidth,
 *                       copies
 *   calibrate_tables.c  the tables: op rates, streams, fused activations,
 *                       the GEMM and conv grids, probed and looked up
 *   calibrate_trust.c   the rules on rounds, load and reuse
 *   calibrate_host.c    host cache sizes and CPU accounting (/sys, /proc)
 *   calibrate_cache.c   the cache file: path, save, load, checks
 *   calibrate_print.c   the tables as text (runt devices)
 */
#ifndef RUNT_BENCH_CALIBRATE_IMPL_H
#define RUNT_BENCH_CALIBRATE_IMPL_H

#include <stdio.h>

#include "calibrate.h"
#include "measure.h"

/* 7: the op rates of the CPU's own activation and max-pooling kernels
 * (cpu_act.c, cpu_max_pool.c); 6 (probes read medians, runt_probe_statistic,
 * and the GEMM grid is by m, n and k, but those ops ran the reference's
 * kernels, 10-30x slower) still loads and is measured again, as are 5
 * (fastest runs, a grid by m and sqrt(n*k)), 4 (before the op-rate and conv
 * tables: tables 0) and 3 (before the spreads and the load: checked 0). */
#define RUNT_CALIBRATION_FORMAT 7
#define RUNT_CALIBRATION_FORMAT_REF_OPS 6
#define RUNT_CALIBRATION_FORMAT_FASTEST 5
#define RUNT_CALIBRATION_FORMAT_NO_TABLES 4
#define RUNT_CALIBRATION_FORMAT_UNCHECKED 3
#define RUNT_MIB (1024.0 * 1024.0)

/* How the probes of one calibration run. */
typedef struct runt_probe {
    const char *backend;
    int threads;
    int max_gemm_n;
    runt_measure_config measure;
    FILE *progress;
    int unfused;             /* sessions with options.fuse = 0 */
    int wall;                /* rounds read wall_median_us, not median_us */
} runt_probe;

/* calibrate_probe.c: timing (see there) */
runt_status runt_probe_run(const runt_probe *p, const runt_model *m, int64_t batch,
                           runt_dtype dtype, double *us, runt_session_stats *st, double *spread);
runt_status runt_probe_mlp(const runt_probe *p, const int64_t *widths, int n, int bias,
                           int64_t batch, runt_dtype dtype, double *us, runt_session_stats *st,
                           double *spread);
runt_status runt_probe_op(const runt_probe *p, runt_op op, const runt_attrs *attrs, int ndim,
                          const int64_t *dims, double *us, runt_session_stats *st,
                          double *spread);
runt_status runt_probe_layer_then(const runt_probe *p, const runt_calibration *c, int64_t c_in,
                                  int64_t c_out, int64_t side, int64_t batch, runt_dtype dtype,
                                  runt_op then, const runt_attrs *attrs, double *us,
                                  double *spread);
/* m's time (runt_probe_run) less the dispatch of its launches. */
runt_status runt_probe_work(const runt_probe *p, const runt_calibration *c, const runt_model *m,
                            int64_t batch, runt_dtype dtype, double *us, double *spread);
runt_probe runt_probe_light(const runt_probe *p);
double runt_probe_work_us(const runt_calibration *c, double us, const runt_session_stats *st);
double runt_probe_rate(const runt_calibration *c, double us, const runt_session_stats *st);
double runt_difference_rate(double flops, double with_us, double without_us);
double runt_median_spread(double *v, int n);
/* calibrate_probe.c: the main probes */
runt_status runt_probe_peak(const runt_probe *p, runt_dtype dtype, double *gflops, double *spread);
runt_status runt_probe_eltwise(const runt_probe *p, const runt_calibration *c, double *gflops,
                               double *spread);
runt_status runt_probe_dispatch(const runt_probe *probe, runt_calibration *c);
runt_status runt_probe_bandwidth(const runt_probe *p, const runt_calibration *c, runt_dtype dtype,
                                 double bytes, double *gbps, double *spread);
runt_status runt_probe_copies(const runt_probe *p, double max_bytes, runt_calibration *c);
/* calibrate_tables.c */
/* A 3-axis grid of rates, per dtype ([0] f32, [1] int8, then row-major
 * over its axes): the GEMM grid (m, n, k) and the conv grid (d, m, s). Its
 * cache keys are <name>_<f32|int8>_<axis><value>_..., e.g.
 * gemm_f32_m1_n16_k64, conv_int8_d9_m4_s8. */
typedef struct runt_grid3 {
    const char *name;
    const char *axis[3];
    const int64_t *values[3];
    int n[3];
} runt_grid3;
extern const runt_grid3 runt_gemm_grid, runt_conv_grid;
/* The points of one dtype's grid. */
int runt_grid3_points(const runt_grid3 *g);
/* Point `r` (0 .. points - 1) of g: its index on each axis. */
void runt_grid3_point(const runt_grid3 *g, int r, int idx[3]);
/* The rate at x[3], by interpolation in the logs of each coordinate and of
 * the rates (rates span orders of magnitude, and a point between two is
 * their geometric mean), each coordinate clamped to its axis; rates is one
 * dtype's table. 0 when any of the points around x is 0 (not measured). */
double runt_grid3_rate(const runt_grid3 *g, const double *rates, const double x[3]);

runt_status runt_probe_op_rates(const runt_probe *probe, runt_calibration *c);
runt_status runt_probe_streams(const runt_probe *probe, const double ws[RUNT_LEVEL_COUNT],
                               runt_calibration *c);
runt_status runt_probe_epilogues(const runt_probe *probe, runt_calibration *c);
runt_status runt_probe_int8_bandwidth(const runt_probe *probe, const double ws[RUNT_LEVEL_COUNT],
                                      runt_calibration *c);
runt_status runt_probe_conv_grid(const runt_probe *probe, runt_calibration *c);

/* calibrate_cache.c: the tables' entries one by one, in the cache file's
 * order: entry `index` of c (NULL past the last), the object it is written
 * in (*group) and its key, unique in the whole file (the reader finds the
 * first "key":): op_Relu, ..., stream_l1, ..., int8_gemv_l1, ...,
 * epilogue_f32_relu, ..., gemm_f32_m1_n16_k16, ..., conv_f32_d9_m4_s8, ....
 * group may be NULL and key NULL with size 0. Clearing an attempt, folding
 * attempts, saving, loading and checking a loaded file all walk this one
 * list, so a table is added in one place. */
double *runt_cal_table_entry(runt_calibration *c, int index, const char **group, char *key,
                             size_t size);

/* calibrate_host.c */
/* A moment of the machine's CPU accounting: time all CPUs spent not idle
 * (user, nice, system, irq, softirq, steal: a hypervisor that took the CPU
 * took it from the probes too), this process's own CPU time, and the wall
 * clock. ok 0 where /proc/stat cannot be read (another OS). */
typedef struct runt_load_mark {
    int ok, cores;
    double busy_s, own_s, wall_s;
} runt_load_mark;

runt_load_mark runt_load_mark_now(void);
/* Cores other processes kept busy between two marks: the machine's busy
 * time less this process's own, over the wall time. NAN when unknown. */
double runt_load_others(const runt_load_mark *a, const runt_load_mark *b);
/* The 1-minute load average; NAN without /proc/loadavg. */
double runt_load_average(void);
/* The first line of a file, without its newline; 0 when unreadable. */
int runt_read_line(const char *path, char *buf, size_t size);

#endif /* RUNT_BENCH_CALIBRATE_IMPL_H */
