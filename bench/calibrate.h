/*
 * Calibration: what one backend on one device achieves through runt itself,
 * measured with small probe models, and what the cost model (cost_model.h)
 * predicts from. `runt devices --calibrate` runs it; `runt bench` reuses the
 * cached result, keyed by backend, device name and threads.
 *
 * Probes (every one a runt model run through a session, so the numbers
 * include what runt adds; each reads the fastest of its runs, see calibrate.c):
 *   peak f32    Linear(n, n) at batch n, n doubling from 128 until a run takes
 *               50 ms (or n = 2048): the best GFLOP/s seen.
 *   peak int8   the same with compute_dtype int8 (NAN: backend has none).
 *   elementwise ReLU over 64 Ki floats (in L2): the rate of the ops that are
 *               not matrix products, which run far below the GEMM peak.
 *   dispatch    chains of 8 and 64 Linear(8, 8): the slope is the cost of
 *               one dispatched node, the intercept the fixed cost of a run.
 *   bandwidth   Linear(n, n) without bias at batch 1 (a GEMV reads each
 *               weight once) whose weights fill half of L1, half of L2,
 *               the geometric middle of L2 and L3, and twice L3 ("dram"):
 *               bytes / (time - dispatch - run cost), then raised where a
 *               nearer level came out slower than a farther one (noise:
 *               nearer data is never slower). Host cache sizes come
 *               from /sys/devices/system/cpu/cpu0/cache; a private cache
 *               counts once per thread (each thread streams its own share).
 *   h2d, d2h    device backends only: GlobalAveragePool of a 64 MiB input
 *               (the run is the input's copy) and a Pad from 1 element to
 *               64 MiB (the run is the output's copy), on the host clock.
 */
#ifndef RUNT_BENCH_CALIBRATE_H
#define RUNT_BENCH_CALIBRATE_H

#include <stddef.h>
#include <stdio.h>

#include "runt.h"

enum { RUNT_LEVEL_L1, RUNT_LEVEL_L2, RUNT_LEVEL_L3, RUNT_LEVEL_DRAM, RUNT_LEVEL_COUNT };

/* "l1", "l2", "l3", "dram": the keys of the bench JSON's bandwidth_gbps. */
extern const char *const runt_level_names[RUNT_LEVEL_COUNT];

/* NAN in a field means "not applicable" (written as JSON null). */
typedef struct runt_calibration {
    char backend[16];
    char device[128];
    int threads;                           /* threads the backend runs on       */
    int host_memory;
    double peak_gflops;                    /* f32                               */
    double peak_int8_gops;                 /* NAN: no int8 on this backend      */
    double eltwise_gflops;                 /* elementwise ops (1 FLOP/element)  */
    double bw_gbps[RUNT_LEVEL_COUNT];      /* NAN: level not probed             */
    double level_bytes[RUNT_LEVEL_COUNT];  /* capacity; dram INFINITY           */
    double launch_us;                      /* per dispatched node               */
    double run_us;                         /* per run, beside its nodes         */
    double h2d_gbps, d2h_gbps;             /* NAN on host-memory backends       */
    int raised;                            /* bit l: level l's probe came out
                                              slower than a farther level's and
                                              was raised (runt_calibration_monotone) */
} runt_calibration;

typedef struct runt_calibration_config {
    double min_time_s;        /* per probe                                         */
    int min_reps;
    double max_probe_bytes;   /* caps the largest working set (tests keep it small) */
    int max_gemm_n;           /* the peak probe's largest n                        */
} runt_calibration_config;

/* 0.2 s and 10 runs per probe; working sets up to 1 GiB, GEMMs up to 2048. */
runt_calibration_config runt_calibration_config_default(void);

/* The threads a backend runs on when asked for `requested` (0: all): a
 * single-unit host backend (ref) runs on 1 whatever is asked. */
int runt_calibration_threads(const runt_device_info *info, int requested);

/* Host cache capacities for `threads` threads: bytes[0..2] = L1d, L2, L3
 * from sysfs (a cache private to one CPU counts threads times), bytes[3] =
 * INFINITY. Returns 1 when sysfs had them, 0 when defaults were used
 * (32 KiB, 1 MiB, 32 MiB). */
int runt_host_cache_bytes(int threads, double bytes[RUNT_LEVEL_COUNT]);

/* Runs the probes on a backend; progress lines go to progress (may be NULL). */
runt_status runt_calibration_run(const char *backend, int threads,
                                 const runt_calibration_config *config, runt_calibration *out,
                                 FILE *progress);

/* Host clock of copying `bytes` to (to_device 1) or from a device backend's
 * memory, measured with the h2d/d2h probes at that size; RUNT_E_UNSUPPORTED
 * when the backend lacks the probe's op. */
runt_status runt_calibration_copy_us(const char *backend, int threads, double bytes,
                                     int to_device, const runt_calibration_config *config,
                                     double *us);

/* Data held in a nearer level is never read slower than from a farther one,
 * so a level that came out slower than the next farther one (another process
 * took its core meanwhile) is raised to that level's rate; unprobed (NAN)
 * levels are skipped. */
void runt_calibration_monotone(runt_calibration *c);

/* The cache directory: $XDG_CACHE_HOME/runt, else $HOME/.cache/runt, else
 * ./.runt-cache. */
void runt_calibration_default_dir(char *out, size_t size);
/* dir/calibration-<backend>-t<threads>.json */
void runt_calibration_path(const char *dir, const char *backend, int threads, char *out,
                           size_t size);
/* Writes (creating dir) / reads a cache file. */
runt_status runt_calibration_save(const runt_calibration *c, const char *dir);
runt_status runt_calibration_load(const char *path, runt_calibration *out);

/* The cached calibration when one matches backend, device and threads (and
 * force is 0); otherwise runs it and caches it. *from_cache says which. */
runt_status runt_calibration_get(const char *backend, int threads, const char *cache_dir,
                                 int force, runt_calibration *out, FILE *progress,
                                 int *from_cache);

#endif /* RUNT_BENCH_CALIBRATE_H */
