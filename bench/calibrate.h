/*
 * Calibration: what one backend on one device achieves through runt itself,
 * measured with small probe models, and what the cost model (cost_model.h)
 * predicts from. `runt devices --calibrate` runs it; `runt bench` reuses the
 * cached result, keyed by backend, device name and threads.
 *
 * Probes (every one a runt model run through a session, so the numbers
 * include what runt adds; each reads the median of its runs, timed as the
 * bench times a row, see calibrate.c):
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
 *   op rates    every op in runt_op_rate_ops: an activation or Softmax
 *               alone over 64 Ki floats, a 2x2 pool on a conv's output less
 *               the conv (calibrate.c says why); GFLOP/s as runt_cost
 *               counts its FLOPs. One elementwise rate called a tanh or a
 *               GELU (libm transcendentals, ~10 ns an element on one Zen 5
 *               core) as cheap as a ReLU (~0.1 ns), and the zoo's MLPs with
 *               them came out 5-15x faster than measured; a max pool
 *               (reference kernel) is ~20x slower per FLOP than a ReLU.
 *   epilogues   each fused activation (a Gemm's or Conv's epilogue):
 *               Linear(16, 16) then Linear(16, 1024) at batch 64, each
 *               with it (the second sees a hidden layer's values), less
 *               without, over their outputs, in f32 and int8; and the same after
 *               a Conv2d(1, 16, 3x3) on 64x64 (a conv's epilogue loop is
 *               not the GEMM's). Not the op's rate: the CPU
 *               backend's packed GEMM runs some activations in its own
 *               vector loop.
 *   streams     ReLU over a buffer whose input and output together fill
 *               each level as the GEMV probes' weights do: the bandwidth of
 *               activations, which elementwise ops stream. The GEMV probes
 *               measure the weights' (read by matrix products), and on ref
 *               a GEMV is compute-bound (5-9 GB/s on the dev VM at every
 *               level, where a ReLU streamed 8 MB in 182 us, 46 GB/s), so
 *               ref's seed0_relu was predicted 7x its time. Their spreads
 *               count in op_rates'.
 *   int8 GEMV   the bandwidth probes in int8 (1-byte weights filling each
 *               level alike): int8 weights' bandwidth (an int8 Linear
 *               reads them slower than an f32 GEMV reads its own).
 *   gemm grid   Linear(k, n) without bias at batch m over the grid
 *               runt_gemm_grid_* (m by n by k), f32 and int8: GFLOP/s per
 *               shape. Small and skinny products run far below the square
 *               peak (a batch-8 Linear(64, 64) at ~20 % of it on the dev
 *               VM; an int8 one pays its activations' quantization per
 *               layer), and the reference backend's plain loops fall off as
 *               the operands leave the cache. A point whose one run would
 *               take over RUNT_GEMM_GRID_MAX_RUN_US at the peak is not run
 *               and takes the point of the same n and k at the next smaller
 *               m (the peak where there is none): the peak probe's best
 *               size fits the cache, and on ref, whose loops slow as the
 *               operands leave it, taking the peak for batch-1024 Linear
 *               layers of width 1024 put seed0_simple and the sweep's
 *               batch_b64+ rows at 0.77-0.80 of their time.
 *               (After bench/results/2026-12-05-gemm-grid.md, whose grid
 *               alone gained nothing while convs and epilogues were off.)
 *   conv grid   Conv2d(c_in, c_out, 3x3, 'same') at batch 1 over the
 *               grid runt_conv_grid_* (GEMM depth c_in*9, output channels,
 *               image side), in f32 and int8: GFLOP/s through the backend,
 *               so whatever algorithm it picks for that shape (im2col +
 *               GEMM, direct, reference) is what is measured. Small depths
 *               and few channels ran 10-20x below the GEMM peak, which the
 *               model then gave every Conv.
 *   h2d, d2h    device backends only: GlobalAveragePool of a 64 MiB input
 *               (the run is the input's copy) and a Pad from 1 element to
 *               64 MiB (the run is the output's copy), on the host clock.
 *
 * Guarding against load (a calibration taken while another process held a
 * core was once cached and made later predictions 431x off):
 *   rounds      every probe is timed in rounds, each the median of its runs
 *               (the statistic a bench row reports: one place, calibrate.c's
 *               runt_probe_statistic); the probe reads the fastest round's
 *               median once the two fastest rounds agree
 *               (runt_calibration_settled), within RUNT_CALIBRATION_MAX_ROUNDS.
 *               Its spread is recorded per probe.
 *   busy        the cores other processes kept busy while the probes ran
 *               (/proc/stat less this process's own CPU time) against the
 *               cores the probes left free (runt_calibration_busy). The
 *               1-minute load average is recorded beside it but does not
 *               decide: it trails the load by a minute and counts this
 *               process's own threads (on the dev VM it read 2.05 while
 *               other processes held 0.00 cores during the probes, a build
 *               having ended; a second backend calibrated in the same
 *               process would find the first one's threads in it).
 *   attempts    a busy or unsettled attempt is repeated after a pause, a
 *               bounded number of times within a time budget. A quiet,
 *               settled attempt is kept as it is; otherwise each probe keeps
 *               its fastest result over the attempts, and the load record
 *               the worst attempt's. Spreads and load are cached with it, and
 *               a cached calibration that was busy or unsettled is measured
 *               again by the next `runt bench` (runt_calibration_reusable).
 */
#ifndef RUNT_BENCH_CALIBRATE_H
#define RUNT_BENCH_CALIBRATE_H

#include <stddef.h>
#include <stdio.h>

#include "runt.h"

enum { RUNT_LEVEL_L1, RUNT_LEVEL_L2, RUNT_LEVEL_L3, RUNT_LEVEL_DRAM, RUNT_LEVEL_COUNT };

/* "l1", "l2", "l3", "dram": the keys of the bench JSON's bandwidth_gbps. */
extern const char *const runt_level_names[RUNT_LEVEL_COUNT];

/* The probes whose rounds are checked for agreement, in display order. */
enum {
    RUNT_PROBE_PEAK_F32,
    RUNT_PROBE_PEAK_INT8,
    RUNT_PROBE_ELTWISE,
    RUNT_PROBE_DISPATCH,
    RUNT_PROBE_BW_L1, /* the bandwidth probes, in level order */
    RUNT_PROBE_BW_L2,
    RUNT_PROBE_BW_L3,
    RUNT_PROBE_BW_DRAM,
    RUNT_PROBE_H2D,
    RUNT_PROBE_D2H,
    RUNT_PROBE_OP_RATES, /* the median spread of the op-rate probes */
    RUNT_PROBE_EPILOGUES, /* ... of the fused activations' probes   */
    RUNT_PROBE_CONV,     /* ... and of the conv grid's points       */
    RUNT_PROBE_COUNT
};

/* "peak_f32", "peak_int8", "elementwise", "dispatch", "l1", "l2", "l3",
 * "dram", "h2d", "d2h", "op_rates", "epilogues", "conv_grid". */
extern const char *const runt_probe_names[RUNT_PROBE_COUNT];

/* A probe has settled when its second-fastest round is within 10 % of its
 * fastest. Measured on the 2-core dev VM with other processes holding under
 * 0.01 core, the two fastest rounds agreed within 0.3-4.8 % (the widest:
 * the L1 GEMV, whose 0.2 us runs make 10 ns 5 %; once an int8 GEMM at
 * 6.1 %), and probes that caught another process spread 9.5-38 % and more.
 * 10 % is twice the quiet spread, so a quiet machine is not sent round
 * again for timer grain, and under the 15 % a prediction is judged by
 * (within_15pct), so a settled input does not use up that error alone.
 * Rounds all slowed alike agree (the ReLU probe once settled at 0.01
 * GFLOP/s, every run waiting out a timeslice): the busy rule catches those. */
#define RUNT_CALIBRATION_MAX_SPREAD 0.10
/* Rounds per probe: 2 is the least that can agree; past 5, a probe that has
 * not settled is not going to (the load is steady), and 5 rounds of the
 * slowest probe (a 2048^3 GEMM) still fit the time budget. */
#define RUNT_CALIBRATION_MIN_ROUNDS 2
#define RUNT_CALIBRATION_MAX_ROUNDS 5
/* Busy: other processes kept more than (cores - threads) + 0.5 cores busy.
 * The probes read the fastest round's median, so brief activity (a daemon
 * waking) is filtered out; what poisons them is a core taken for most of
 * the time, and past half a core taken on average, most runs of a probe that
 * uses every free core share one. */
#define RUNT_CALIBRATION_LOAD_SLACK 0.5

/* The ops whose rate is probed one by one (op_gflops); the others take the
 * elementwise rate. Activations (the zoo's and ONNX exports' commonest) and
 * the pools, which run reference kernels on the CPU backend. */
#define RUNT_OP_RATE_COUNT 8
extern const runt_op runt_op_rate_ops[RUNT_OP_RATE_COUNT];

/* Fused activations, by runt_activation (RUNT_ACT_NONE .. GELU_TANH). */
#define RUNT_ACT_RATE_COUNT (RUNT_ACT_GELU_TANH + 1)

/* "none", "relu", "leaky_relu", ... by runt_activation: the epilogue
 * table's names (the cache's keys, `runt devices`). */
extern const char *const runt_act_rate_names[RUNT_ACT_RATE_COUNT];

/* The op whose element function a fused activation runs; RUNT_OP_COUNT for
 * RUNT_ACT_NONE or an unknown value. */
runt_op runt_activation_op(runt_activation act);

/* The conv grid: GEMM depth (c_in * 3 * 3, with c_in 1, 8, 64), output
 * channels and image side (square) of its points. The zoo and small
 * exported CNNs have depths from 9 (a 1-channel 3x3) to ~1600, 4 to 128
 * channels and sides from 4 to 32; outside the grid the nearest edge holds. */
#define RUNT_CONV_GRID_DEPTHS 3
#define RUNT_CONV_GRID_OUTS 3
#define RUNT_CONV_GRID_SIDES 2
extern const int64_t runt_conv_grid_depth[RUNT_CONV_GRID_DEPTHS];
extern const int64_t runt_conv_grid_out[RUNT_CONV_GRID_OUTS];
extern const int64_t runt_conv_grid_side[RUNT_CONV_GRID_SIDES];

/* The GEMM grid: rows m (a Linear's batch: 1 is a GEMV, 8 and 64 small
 * serving batches, 512 past where a blocked kernel reaches its peak) by
 * outputs n by depth k, each on its own log grid from 16 (a bottleneck, a
 * classifier's 10 outputs clamp to it) to 1024 (a large MLP's width). A
 * grid indexed by sqrt(n*k) read a square layer's rate for a narrow one:
 * Linear(576, 64) at batch 1024 (convlin_*) came out at 0.32-0.84 of its
 * time, and a 64x10 classifier at a tenth. */
#define RUNT_GEMM_GRID_MS 4
#define RUNT_GEMM_GRID_NS 4
#define RUNT_GEMM_GRID_KS 4
extern const int64_t runt_gemm_grid_m[RUNT_GEMM_GRID_MS];
extern const int64_t runt_gemm_grid_n[RUNT_GEMM_GRID_NS];
extern const int64_t runt_gemm_grid_k[RUNT_GEMM_GRID_KS];
/* 20 ms keeps ref's grid, at ~4 GFLOP/s, to a few seconds. */
#define RUNT_GEMM_GRID_MAX_RUN_US 20e3

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
    /* The tables; 0 where not measured (a cache file older than them, a
     * dtype the backend lacks, a made-up calibration), and the model then
     * falls back to eltwise_gflops and the GEMM peaks. */
    double op_gflops[RUNT_OP_RATE_COUNT];  /* by runt_op_rate_ops' order      */
    double stream_gbps[RUNT_LEVEL_COUNT];  /* activations, by level            */
    double bw_int8_gbps[RUNT_LEVEL_COUNT]; /* an int8 GEMV's weights, by level */
    double act_gflops[2][RUNT_ACT_RATE_COUNT]; /* a fused activation, [0] f32,
                                              [1] int8, by runt_activation;
                                              1 FLOP an output               */
    double conv_act_gflops[2][RUNT_ACT_RATE_COUNT]; /* the same after a Conv */
    double gemm_gflops[2][RUNT_GEMM_GRID_MS][RUNT_GEMM_GRID_NS]
                      [RUNT_GEMM_GRID_KS];     /* [0] f32, [1] int8           */
    double conv_gflops[2][RUNT_CONV_GRID_DEPTHS][RUNT_CONV_GRID_OUTS]
                      [RUNT_CONV_GRID_SIDES];  /* [0] f32, [1] int8           */
    int tables;                            /* 0: a cache file older than the
                                              tables (format 4 or 3)         */
    int format;                            /* the cache format it was loaded
                                              from; 0: measured by this runt */
    int raised;                            /* bit l: level l's probe came out
                                              slower than a farther level's and
                                              was raised (runt_calibration_monotone) */
    /* How much to trust the numbers above. checked 0: a cache file older
     * than these fields (spread and load NAN, busy 0). */
    int checked;
    double spread[RUNT_PROBE_COUNT];       /* second-fastest round / fastest - 1;
                                              NAN: probe not run              */
    double load_avg;                       /* 1-minute load average at the end;
                                              NAN: unknown (no /proc/loadavg)  */
    double load_others;                    /* cores other processes kept busy
                                              during the probes; NAN: unknown  */
    int cores;                             /* online CPUs; 0: unknown          */
    int busy;                              /* runt_calibration_busy said so    */
    int attempts;                          /* attempts made (the best is kept) */
} runt_calibration;

typedef struct runt_calibration_config {
    double min_time_s;        /* per probe                                         */
    int min_reps;
    double max_probe_bytes;   /* caps the largest working set (tests keep it small) */
    int max_gemm_n;           /* the peak probe's largest n                        */
    int max_attempts;         /* full attempts while busy or unsettled (>= 1)      */
    double retry_pause_s;     /* wait before another attempt                       */
    double max_total_s;       /* no attempt starts that would likely end past this */
} runt_calibration_config;

/* 0.2 s and 10 runs per probe (split over its rounds; a table's probes a
 * quarter of that); working sets up to 1 GiB, GEMMs up to 2048; 3 attempts
 * 2 s apart within 50 s. Before the tables one quiet attempt took 3.6 s for
 * ref and 6-7 s for cpu (2 threads) on the dev VM; with them, at load
 * average 5, ref took 15 s and cpu 12-20 s an attempt (1 thread), so a
 * busy backend gets two attempts, or one and the marked result, and stays
 * within the 60 s it may take; the pause lets a transient (a compile)
 * end. */
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

/* The probed rate of op (GFLOP/s as runt_cost counts), or 0 when op has
 * none in c (not probed, or not one of runt_op_rate_ops). */
double runt_calibration_op_gflops(const runt_calibration *c, runt_op op);
/* The probed rate of a fused activation in an f32 (int8 0) or int8 layer:
 * after a Conv (layer RUNT_OP_CONV) its conv table's where measured, else
 * (and after a Gemm or MatMul) the Gemm's; 0 when c has none. */
double runt_calibration_act_gflops(const runt_calibration *c, runt_op layer, int int8,
                                   runt_activation act);

/* A matrix product's rate from the GEMM grid, by interpolation in the logs
 * of its rows m, outputs n and depth k, each clamped to the grid's edges;
 * int8 picks the int8 grid. 0 when the grid lacks any of the 8 points
 * around the shape. */
double runt_calibration_gemm_gflops(const runt_calibration *c, int int8, double m, double n,
                                    double k);

/* A convolution's rate from the conv grid, by interpolation in the logs of
 * depth (c_in * kH * kW), output channels and pixels per image (OH * OW),
 * each clamped to the grid's edges; int8 picks the int8 grid. 0 when the
 * grid lacks any of the 8 points around the shape. */
double runt_calibration_conv_gflops(const runt_calibration *c, int int8, double depth,
                                    double out_channels, double pixels);

/* Prints c's tables (op rates, streams, fused activations, GEMM and conv
 * grids), each line starting with indent; one line when c has none. */
void runt_calibration_print_tables(FILE *out, const runt_calibration *c, const char *indent);

/* Data held in a nearer level is never read slower than from a farther one,
 * so a level that came out slower than the next farther one (another process
 * took its core meanwhile) is raised to that level's rate; unprobed (NAN)
 * levels are skipped. */
void runt_calibration_monotone(runt_calibration *c);

/* The spread of a probe's rounds (times, smaller is faster): the
 * second-fastest over the fastest, minus 1. Rounds that are not finite and
 * positive are ignored; NAN when fewer than 2 remain. */
double runt_calibration_spread(const double *rounds_us, int n);

/* 1 when the rounds have settled: spread at most RUNT_CALIBRATION_MAX_SPREAD. */
int runt_calibration_settled(const double *rounds_us, int n);

/* 1 when others_cores (cores other processes kept busy) leaves the probes'
 * threads less than their cores: others_cores > max(cores - threads, 0) +
 * RUNT_CALIBRATION_LOAD_SLACK. 0 when the load is unknown (NAN or
 * negative) or cores < 1: an unknown load cannot be blamed, and the spreads
 * are still checked. */
int runt_calibration_busy(double others_cores, int cores, int threads);

/* Bit p set for every probe p that ran and did not settle (a NAN spread of a
 * probe that ran counts as unsettled only when checked). */
int runt_calibration_unsettled(const runt_calibration *c);

/* Folds attempt b into the kept attempt into, probe by probe: the faster
 * result wins (another process only ever slows a probe down) with its
 * spread and raised bit; the load record keeps the worse of the two (busy
 * if either was), so a folded calibration is reused only when no attempt
 * was busy. */
void runt_calibration_fold(runt_calibration *into, const runt_calibration *b);

/* Whether `runt bench` may reuse a cached calibration for device name and
 * effective threads: 1, or 0 with the reason in why (one phrase, e.g. "it
 * was measured while the machine was busy (...)"). Decides on the record
 * alone, so it is tested without measuring. */
int runt_calibration_reusable(const runt_calibration *c, const char *device, int threads,
                              char *why, size_t why_size);

/* The cache directory: $XDG_CACHE_HOME/runt, else $HOME/.cache/runt, else
 * ./.runt-cache. */
void runt_calibration_default_dir(char *out, size_t size);
/* dir/calibration-<backend>-t<threads>.json */
void runt_calibration_path(const char *dir, const char *backend, int threads, char *out,
                           size_t size);
/* Writes (creating dir) / reads a cache file. A file of format 5 (fastest
 * runs, the GEMM grid by width) loads with its format recorded, one of
 * format 4 (before
 * the op-rate and conv tables) loads with tables 0 and format 3 (before
 * spreads and load) also with checked 0; runt_calibration_reusable refuses
 * both, so they are measured again. A file that is
 * truncated, of another format or runt version, or holds an absurd value
 * (a negative or non-finite rate, NaN) is refused with RUNT_E_IO and a
 * message naming the file and the field. */
runt_status runt_calibration_save(const runt_calibration *c, const char *dir);
runt_status runt_calibration_load(const char *path, runt_calibration *out);

/* The cached calibration when one matches backend, device and threads, is
 * reusable and force is 0; otherwise runs it and caches it. *from_cache
 * says which. Why a cached one was not reused, and a kept calibration that
 * was busy or unsettled, are said on progress (may be NULL). */
runt_status runt_calibration_get(const char *backend, int threads, const char *cache_dir,
                                 int force, runt_calibration *out, FILE *progress,
                                 int *from_cache);

#endif /* RUNT_BENCH_CALIBRATE_H */
