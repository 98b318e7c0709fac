/*
 * `runt bench`: the suites run per backend and dtype, each row measured
 * (measure.h), predicted (cost_model.h from calibrate.h) and, with --peers,
 * set beside PyTorch and ONNX Runtime (peers.h); then reported as a table
 * with the seed verdicts on stdout, and as JSON (the contract in DESIGN.md),
 * CSV and PNG plots on request.
 */
#ifndef RUNT_BENCH_H
#define RUNT_BENCH_H

#include <stdint.h>
#include <stdio.h>

#include "calibrate.h"
#include "cost_model.h"
#include "runt.h"

#define RUNT_BENCH_MAX_BACKENDS 8
#define RUNT_BENCH_MAX_NOTES 32

/* One model on one backend in one dtype and math mode. NAN marks "not
 * applicable" (JSON null): h2d/d2h on host backends, peers that did not
 * run, the error of the f32 reference itself. */
typedef struct runt_bench_row {
    char suite[8], model[64], family[16], backend[16], dtype[8];
    char math[8];            /* runt_session_options.math: f32, tf32, bf16      */
    int64_t batch, params, flops, bytes;
    int layers, launches;
    int status;              /* 0 measured, 1 not supported, 2 failed: note says why */
    char note[256];
    double median_us, p10_us, p90_us, first_run_us;
    double create_us;        /* runt_session_create on the host clock           */
    double h2d_us, d2h_us;
    double gflops, gbps, predicted_us;
    char bound[16];          /* what the prediction is bound by (cost_model.h);
                                empty when there is no prediction          */
    double terms_us[RUNT_BOUND_COUNT]; /* predicted_us + copies, split by bound
                                (runt_cost_prediction's by_bound); NAN when
                                there is no prediction                      */
    double torch_us, ort_us;
    double torch_graph_us;   /* device backends: PyTorch's CUDA-graph replay   */
    double err_vs_f32;       /* ||y - y_f32|| / ||y_f32|| (2-norms) on one input,
                                y_f32 from the same backend in dtype f32 and
                                math f32; NAN for that row itself              */
    int reps;
} runt_bench_row;

enum { RUNT_ROW_MEASURED = 0, RUNT_ROW_UNSUPPORTED = 1, RUNT_ROW_FAILED = 2 };

/* Rows in IEEE f32 math: what the summary, the verdicts and the peers
 * read. TF32 and BF16 rows are predicted from the f32 rates (a calibration
 * measures f32 only), so they would only blur how well the model predicts. */
int runt_bench_row_f32_math(const runt_bench_row *w);

/* The measures the summary correlates latency with. */
enum { RUNT_CORR_PARAMS, RUNT_CORR_FLOPS, RUNT_CORR_BYTES, RUNT_CORR_PREDICTED, RUNT_CORR_COUNT };
extern const char *const runt_corr_names[RUNT_CORR_COUNT];

typedef struct runt_bench_summary {
    int rows;                             /* measured rows of the backend   */
    int within;                           /* of them, |pred/meas - 1| <= 0.15 */
    double within_15pct;                  /* share with |pred/meas - 1| <= 0.15 */
    double spearman[RUNT_CORR_COUNT];     /* NAN with fewer than 3 rows      */
} runt_bench_summary;

typedef struct runt_bench_report {
    char cpu[128], os[128];
    int threads;
    int n_devices;
    runt_calibration devices[RUNT_BENCH_MAX_BACKENDS];
    int n_rows, cap_rows;
    runt_bench_row *rows;
    int n_notes;
    char notes[RUNT_BENCH_MAX_NOTES][256];
    char torch_version[32], ort_version[32];
} runt_bench_report;

/* Adds a note (unavailable backends, peers); printf-style. */
void runt_bench_note(runt_bench_report *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* report.c */
void runt_bench_summarize(const runt_bench_report *r, const char *backend, runt_bench_summary *out);
/* The same over the backend's rows of one suite ("seeds", "sweep", "zoo",
 * "model"); suite NULL: every suite (runt_bench_summarize). */
void runt_bench_summarize_suite(const runt_bench_report *r, const char *backend, const char *suite,
                                runt_bench_summary *out);
/* The suites of the report's rows, in the order they first appear; returns
 * how many (at most max). */
int runt_bench_suites(const runt_bench_report *r, const char *names[], int max);
void runt_bench_print_table(FILE *out, const runt_bench_report *r);
void runt_bench_print_summary(FILE *out, const runt_bench_report *r);
/* What each seed claim turns out to be, per backend, from the rows. */
void runt_bench_print_verdicts(FILE *out, const runt_bench_report *r);
/* The report as JSON or CSV; path "-" writes to standard_output (to stdout
 * for runt_bench_write_json, which plots.c and the tests use). */
runt_status runt_bench_write_json(const char *path, const runt_bench_report *r);
runt_status runt_bench_write_json_to(const char *path, FILE *standard_output,
                                     const runt_bench_report *r);
runt_status runt_bench_write_csv_to(const char *path, FILE *standard_output,
                                    const runt_bench_report *r);
/* A device's measured peaks with the bench JSON's keys (peak_gflops,
 * peak_int8_gops, bandwidth_gbps, launch_us, h2d_gbps, d2h_gbps), into the
 * object being written; `runt devices --json` uses the same. */
struct runt_json;
void runt_json_device_measures(struct runt_json *j, const runt_calibration *c);
/* plots.c: bench/plot.py draws latency-vs-flops.png, latency-vs-params.png,
 * predicted-vs-measured.png and, per backend, roofline-<backend>.png,
 * latency-<backend>.png (latency against FLOPs, params and the prediction)
 * and terms-<backend>.png (the seeds rows' predicted terms beside their
 * medians) into dir (an existing directory) from the report's JSON. */
runt_status runt_bench_write_plots(const char *dir, const runt_bench_report *r);
/* RUNT_OK when plot.py and python3 with matplotlib are there; else
 * RUNT_E_UNSUPPORTED saying which is missing. */
runt_status runt_bench_plots_available(void);

/* The source tree the tool was built from (plot.py; tests find check_json.py
 * through it). */
const char *runt_bench_source_dir(void);

/* `runt bench ...`: argv[0] is "bench". Exit status: 0, 1 failure, 2 usage. */
int runt_bench_main(int argc, char **argv, FILE *out, FILE *err);

#endif /* RUNT_BENCH_H */
