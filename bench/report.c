/* The bench's outputs: table, summary and seed verdicts as text; JSON (the
 * contract in DESIGN.md) and CSV files. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "json.h"
#include "runt-backend.h"
#include "stats.h"

const char *const runt_corr_names[RUNT_CORR_COUNT] = {"params", "flops", "bytes", "predicted"};

void runt_bench_note(runt_bench_report *r, const char *fmt, ...)
{
    if (r->n_notes == RUNT_BENCH_MAX_NOTES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->notes[r->n_notes++], sizeof r->notes[0], fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------------- */
/* Summary                                                                   */
/* ------------------------------------------------------------------------- */

static double runt_row_measure(const runt_bench_row *row, int which)
{
    switch (which) {
    case RUNT_CORR_PARAMS: return (double)row->params;
    case RUNT_CORR_FLOPS: return (double)row->flops;
    case RUNT_CORR_BYTES: return (double)row->bytes;
    default: return row->predicted_us;
    }
}

/* An empty math is a row made before the mode was recorded: f32. */
int runt_bench_row_f32_math(const runt_bench_row *w)
{
    return !w->math[0] || strcmp(w->math, "f32") == 0;
}

static const char *runt_row_math(const runt_bench_row *w) { return w->math[0] ? w->math : "f32"; }

static int runt_summary_row(const runt_bench_row *row, const char *backend, const char *suite)
{
    return row->status == RUNT_ROW_MEASURED && strcmp(row->backend, backend) == 0 &&
           runt_bench_row_f32_math(row) && (!suite || strcmp(row->suite, suite) == 0);
}

void runt_bench_summarize(const runt_bench_report *r, const char *backend, runt_bench_summary *out)
{
    runt_bench_summarize_suite(r, backend, NULL, out);
}

int runt_bench_suites(const runt_bench_report *r, const char *names[], int max)
{
    int n = 0;
    for (int i = 0; i < r->n_rows; i++) {
        int seen = 0;
        for (int k = 0; k < n && !seen; k++)
            seen = strcmp(names[k], r->rows[i].suite) == 0;
        if (!seen && n < max)
            names[n++] = r->rows[i].suite;
    }
    return n;
}

void runt_bench_summarize_suite(const runt_bench_report *r, const char *backend, const char *suite,
                                runt_bench_summary *out)
{
    memset(out, 0, sizeof *out);
    for (int k = 0; k < RUNT_CORR_COUNT; k++)
        out->spearman[k] = NAN;
    out->within_15pct = NAN;
    size_t n = 0;
    double *v = malloc(2 * ((size_t)r->n_rows + 1) * sizeof *v);
    if (!v)
        return;
    double *lat = v + r->n_rows + 1;
    int within = 0;
    for (int i = 0; i < r->n_rows; i++) {
        const runt_bench_row *row = &r->rows[i];
        if (!runt_summary_row(row, backend, suite))
            continue;
        lat[n++] = row->median_us;
        within += fabs(row->predicted_us / row->median_us - 1.0) <= 0.15;
    }
    out->rows = (int)n;
    out->within = within;
    if (n)
        out->within_15pct = (double)within / (double)n;
    for (int k = 0; k < RUNT_CORR_COUNT; k++) {
        size_t m = 0;
        for (int i = 0; i < r->n_rows; i++) {
            const runt_bench_row *row = &r->rows[i];
            if (runt_summary_row(row, backend, suite))
                v[m++] = runt_row_measure(row, k);
        }
        out->spearman[k] = runt_stats_spearman(v, lat, n);
    }
    free(v);
}

/* ------------------------------------------------------------------------- */
/* Text                                                                      */
/* ------------------------------------------------------------------------- */

/* 1234567 -> "1.23M": counts in a narrow column. */
static const char *runt_si(char *buf, size_t size, double v)
{
    static const char *const suffix[] = {"", "k", "M", "G", "T"};
    int i = 0;
    while (fabs(v) >= 1000 && i < 4) {
        v /= 1000;
        i++;
    }
    if (i == 0)
        snprintf(buf, size, "%.0f", v);
    else
        snprintf(buf, size, "%.*f%s", fabs(v) < 10 ? 2 : fabs(v) < 100 ? 1 : 0, v, suffix[i]);
    return buf;
}

/* Microseconds with 3-4 significant digits; "-" when not applicable. */
static const char *runt_us(char *buf, size_t size, double us)
{
    if (!isfinite(us))
        snprintf(buf, size, "-");
    else if (us < 10)
        snprintf(buf, size, "%.2f", us);
    else if (us < 1000)
        snprintf(buf, size, "%.1f", us);
    else
        snprintf(buf, size, "%.0f", us);
    return buf;
}

/* The device (calibration) of a backend's rows, or NULL. */
static const runt_calibration *runt_report_device(const runt_bench_report *r, const char *backend)
{
    for (int d = 0; d < r->n_devices; d++)
        if (strcmp(r->devices[d].backend, backend) == 0)
            return &r->devices[d];
    return NULL;
}

void runt_bench_print_table(FILE *out, const runt_bench_report *r)
{
    int peers = 0, graphs = 0, maths = 0, errs = 0, creates = 0;
    for (int i = 0; i < r->n_rows; i++) {
        const runt_calibration *dev = runt_report_device(r, r->rows[i].backend);
        /* A GPU session does at creation what the first run used to pay
         * for (module loading, handles, graph capture): shown beside first. */
        creates |= dev && !dev->host_memory && isfinite(r->rows[i].create_us);
        peers |= isfinite(r->rows[i].torch_us) || isfinite(r->rows[i].ort_us);
        graphs |= isfinite(r->rows[i].torch_graph_us);
        maths |= !runt_bench_row_f32_math(&r->rows[i]);
        errs |= isfinite(r->rows[i].err_vs_f32);
    }
    /* bound is padded only where columns follow it: no trailing blanks. */
    int bound_width = peers || graphs || errs ? 8 : 0;
    /* The dtype column names the math mode too when a row is not in f32
     * math: "f32/tf32", "int8/bf16". */
    int dtype_width = maths ? 10 : 5;
    /* The model column fits the longest name (the zoo's spell out shapes). */
    int model_width = 18;
    for (int i = 0; i < r->n_rows; i++) {
        int len = (int)strlen(r->rows[i].model);
        model_width = len > model_width ? len : model_width;
    }
    fprintf(out, "runt bench: %s, %d thread%s, %s. Times in us: median, p10, p90 of the\n"
                 "measured runs after the first run and warm-up; first = the session's first run;\n"
                 "pred = the cost model's prediction; lay/lau = layers (model nodes) / launches;\n"
                 "bound = the prediction's largest term: compute, the memory level its bytes\n"
                 "come from (L1, L2, L3, DRAM; device = a GPU's own memory), dispatch, copy\n"
                 "(runt info MODEL --predict --backend B: the terms per node).\n",
            r->cpu, r->threads, r->threads == 1 ? "" : "s", r->os);
    if (creates)
        fputs("create = the session's creation (device backends: module loading, handles, the\n"
              "graph capture, which the first run no longer pays).\n", out);
    if (errs)
        fputs("err = ||y - y_f32|| / ||y_f32|| on one random input, y_f32 from the same backend\n"
              "in dtype f32 and f32 math (- for that row itself).\n", out);
    if (maths)
        fputs("dtype/math: TF32 and BF16 rows are predicted from the f32 rates and left out of\n"
              "the summary.\n", out);
    fputc('\n', out);
    fprintf(out, "%-6s %-*s %-7s %-*s %5s %7s %7s %7s %4s %4s %9s %9s %9s %9s", "suite",
            model_width, "model", "backend", dtype_width, maths ? "dtype/math" : "dtype", "batch",
            "params", "FLOPs", "bytes", "lay", "lau", "median", "p10", "p90", "first");
    if (creates)
        fprintf(out, " %9s", "create");
    fprintf(out, " %9s %6s %7s %6s %-*s", "pred", "pr/me", "GFLOP/s", "GB/s", bound_width, "bound");
    if (errs)
        fprintf(out, " %8s", "err");
    if (peers)
        fprintf(out, " %9s %9s %6s %6s", "torch", "ort", "/torch", "/ort");
    if (graphs)
        fprintf(out, " %9s %6s", "t.graph", "/graph");
    fputc('\n', out);
    for (int i = 0; i < r->n_rows; i++) {
        const runt_bench_row *w = &r->rows[i];
        char a[32], b[32], c[32], d[32], e[32], f[32], g[32], kind[24];
        snprintf(kind, sizeof kind, "%s%s%s", w->dtype, maths ? "/" : "",
                 maths ? runt_row_math(w) : "");
        fprintf(out, "%-6s %-*s %-7s %-*s %5lld %7s %7s %7s %4d %4d", w->suite, model_width,
                w->model, w->backend, dtype_width, kind, (long long)w->batch,
                runt_si(a, sizeof a, (double)w->params),
                runt_si(b, sizeof b, (double)w->flops), runt_si(c, sizeof c, (double)w->bytes),
                w->layers, w->launches);
        if (w->status != RUNT_ROW_MEASURED) {
            fprintf(out, " %s: %s\n", w->status == RUNT_ROW_UNSUPPORTED ? "not supported" : "failed",
                    w->note);
            continue;
        }
        fprintf(out, " %9s %9s %9s %9s", runt_us(a, sizeof a, w->median_us),
                runt_us(b, sizeof b, w->p10_us), runt_us(c, sizeof c, w->p90_us),
                runt_us(d, sizeof d, w->first_run_us));
        if (creates)
            fprintf(out, " %9s", runt_us(a, sizeof a, w->create_us));
        fprintf(out, " %9s %6.2f %7.2f %6.2f %-*s", runt_us(e, sizeof e, w->predicted_us),
                w->predicted_us / w->median_us, w->gflops, w->gbps, bound_width,
                w->bound[0] ? w->bound : "-");
        if (errs) {
            /* Exactly 0 where every layer stayed f32 (the int8 size rule). */
            if (isnan(w->err_vs_f32))
                snprintf(f, sizeof f, "-");
            else if (w->err_vs_f32 == 0)
                snprintf(f, sizeof f, "0");
            else
                snprintf(f, sizeof f, "%.2e", w->err_vs_f32);
            fprintf(out, " %8s", f);
        }
        if (peers) {
            snprintf(f, sizeof f, "-");
            snprintf(g, sizeof g, "-");
            if (isfinite(w->torch_us))
                snprintf(f, sizeof f, "%.3g", w->median_us / w->torch_us);
            if (isfinite(w->ort_us))
                snprintf(g, sizeof g, "%.3g", w->median_us / w->ort_us);
            fprintf(out, " %9s %9s %6s %6s", runt_us(a, sizeof a, w->torch_us),
                    runt_us(b, sizeof b, w->ort_us), f, g);
        }
        if (graphs) {
            snprintf(f, sizeof f, "-");
            if (isfinite(w->torch_graph_us))
                snprintf(f, sizeof f, "%.3g", w->median_us / w->torch_graph_us);
            fprintf(out, " %9s %6s", runt_us(a, sizeof a, w->torch_graph_us), f);
        }
        fputc('\n', out);
    }
    for (int i = 0; i < r->n_notes; i++)
        fprintf(out, "note: %s\n", r->notes[i]);
}

static void runt_print_rho(FILE *out, double rho)
{
    if (isfinite(rho))
        fprintf(out, " %9.2f", rho);
    else
        fprintf(out, " %9s", "-");
}

/* Within +-15 % per suite: the seeds and the sweep are what the cost model
 * was built beside, the zoo is what it never saw, so one share over all of
 * them would hide the difference the zoo is there to show. */
static void runt_print_suites(FILE *out, const runt_bench_report *r)
{
    const char *suites[8];
    int n = runt_bench_suites(r, suites, 8);
    if (n < 2 && !(n == 1 && strcmp(suites[0], "zoo") == 0))
        return; /* one suite: the line above says it all */
    fprintf(out, "\nWithin +-15 %% per suite (rows within / measured rows):\n%-7s", "backend");
    for (int k = 0; k < n; k++)
        fprintf(out, " %17s", suites[k]);
    fputc('\n', out);
    for (int d = 0; d < r->n_devices; d++) {
        fprintf(out, "%-7s", r->devices[d].backend);
        for (int k = 0; k < n; k++) {
            runt_bench_summary s;
            runt_bench_summarize_suite(r, r->devices[d].backend, suites[k], &s);
            char cell[32];
            if (s.rows)
                snprintf(cell, sizeof cell, "%d/%d %5.1f %%", s.within, s.rows, 100 * s.within_15pct);
            else
                snprintf(cell, sizeof cell, "-");
            fprintf(out, " %17s", cell);
        }
        fputc('\n', out);
    }
}

void runt_bench_print_summary(FILE *out, const runt_bench_report *r)
{
    fprintf(out, "\nDevices (calibrated through runt; GB/s are GEMV reads whose weights fit each level):\n");
    fprintf(out, "%-7s %-32s %3s %9s %9s %7s %7s %7s %7s %7s %8s %7s %7s\n", "backend", "device",
            "thr", "GFLOP/s", "int8 GOP/s", "eltwise", "L1", "L2", "L3", "DRAM", "us/node", "H2D",
            "D2H");
    for (int d = 0; d < r->n_devices; d++) {
        const runt_calibration *c = &r->devices[d];
        fprintf(out, "%-7s %-32.32s %3d %9.1f", c->backend, c->device, c->threads, c->peak_gflops);
        if (isfinite(c->peak_int8_gops))
            fprintf(out, " %9.1f ", c->peak_int8_gops);
        else
            fprintf(out, " %9s ", "-");
        fprintf(out, " %7.2f", c->eltwise_gflops);
        for (int l = 0; l < RUNT_LEVEL_COUNT; l++)
            if (isfinite(c->bw_gbps[l]))
                fprintf(out, " %7.1f", c->bw_gbps[l]);
            else
                fprintf(out, " %7s", "-");
        fprintf(out, " %8.3f", c->launch_us);
        for (int k = 0; k < 2; k++) {
            double v = k ? c->d2h_gbps : c->h2d_gbps;
            if (isfinite(v))
                fprintf(out, " %7.1f", v);
            else
                fprintf(out, " %7s", "-");
        }
        fputc('\n', out);
    }
    fprintf(out, "\nSummary per backend: share of rows the cost model predicts within +-15 %%, and\n"
                 "Spearman's rho of the median latency with each measure (1 = same order):\n");
    fprintf(out, "%-7s %5s %12s %9s %9s %9s %9s\n", "backend", "rows", "within 15%", "params",
            "FLOPs", "bytes", "predicted");
    for (int d = 0; d < r->n_devices; d++) {
        runt_bench_summary s;
        runt_bench_summarize(r, r->devices[d].backend, &s);
        fprintf(out, "%-7s %5d", r->devices[d].backend, s.rows);
        if (isfinite(s.within_15pct))
            fprintf(out, " %10.1f %%", 100 * s.within_15pct);
        else
            fprintf(out, " %12s", "-");
        for (int k = 0; k < RUNT_CORR_COUNT; k++)
            runt_print_rho(out, s.spearman[k]);
        fputc('\n', out);
    }
    runt_print_suites(out, r);
}

/* ------------------------------------------------------------------------- */
/* Seed verdicts                                                             */
/* ------------------------------------------------------------------------- */

static const runt_bench_row *runt_find_row(const runt_bench_report *r, const char *model,
                                           const char *backend, const char *dtype)
{
    for (int i = 0; i < r->n_rows; i++) {
        const runt_bench_row *w = &r->rows[i];
        if (strcmp(w->suite, "seeds") == 0 && strcmp(w->model, model) == 0 &&
            strcmp(w->backend, backend) == 0 && strcmp(w->dtype, dtype) == 0 &&
            runt_bench_row_f32_math(w))
            return w;
    }
    return NULL;
}

static int runt_measured(const runt_bench_row *w) { return w && w->status == RUNT_ROW_MEASURED; }

/* "a is faster" / "a is slower", or no measurable difference when the
 * p10..p90 ranges of the two overlap (the machine's noise covers it). */
static const char *runt_compare(const runt_bench_row *a, const runt_bench_row *b)
{
    if (a->p10_us <= b->p90_us && b->p10_us <= a->p90_us)
        return "no measurable difference (their p10..p90 ranges overlap)";
    return a->median_us < b->median_us ? "faster" : "slower";
}

/* A ratio with 3 significant digits: 0.00412x, 0.62x, 12.3x. */
static const char *runt_ratio(char *buf, size_t size, double r)
{
    snprintf(buf, size, "%.3gx", r);
    return buf;
}

static void runt_verdict_pair(FILE *out, const runt_bench_report *r, const char *backend,
                              const char *label, const char *ma, const char *mb)
{
    const runt_bench_row *a = runt_find_row(r, ma, backend, "f32"),
                         *b = runt_find_row(r, mb, backend, "f32");
    if (!runt_measured(a) || !runt_measured(b))
        return;
    char fa[32], fb[32], ta[32], tb[32], rt[32], rf[32];
    int same = strncmp(runt_compare(a, b), "no", 2) == 0;
    fprintf(out, "  %-14s %s (%d layer%s, %s FLOPs) takes %s the time of %s (%d layer%s, %s FLOPs), "
                 "%s vs %s us,\n  %-14s with %s the FLOPs: %s%s%s.\n",
            label, ma, a->layers, a->layers == 1 ? "" : "s", runt_si(fa, sizeof fa, (double)a->flops),
            runt_ratio(rt, sizeof rt, a->median_us / b->median_us), mb, b->layers,
            b->layers == 1 ? "" : "s", runt_si(fb, sizeof fb, (double)b->flops),
            runt_us(ta, sizeof ta, a->median_us), runt_us(tb, sizeof tb, b->median_us), "",
            runt_ratio(rf, sizeof rf, (double)a->flops / (double)b->flops), same ? "" : ma,
            same ? "" : " is ", runt_compare(a, b));
}

static void runt_verdict_warmup(FILE *out, const runt_bench_report *r, const char *backend)
{
    const runt_bench_row *relu = runt_find_row(r, "seed0_relu", backend, "f32");
    double ratios[64];
    size_t n = 0, slower = 0;
    for (int i = 0; i < r->n_rows && n < 64; i++) {
        const runt_bench_row *w = &r->rows[i];
        if (runt_measured(w) && strcmp(w->suite, "seeds") == 0 && strcmp(w->backend, backend) == 0) {
            ratios[n++] = w->first_run_us / w->median_us;
            slower += w->first_run_us > w->p90_us;
        }
    }
    if (!runt_measured(relu) || !n)
        return;
    runt_stats_sort(ratios, n);
    char a[32], b[32], c[32];
    fprintf(out, "  %-14s seed0_relu's first run took %s us, its warm median %s us (%s): %s.\n"
                 "  %-14s The first run is above the warm p90 in %zu of %zu seeds rows (first/warm: "
                 "median %.2fx, max %.2fx),\n  %-14s %s\n",
            "\"optimization\"", runt_us(a, sizeof a, relu->first_run_us),
            runt_us(b, sizeof b, relu->median_us),
            runt_ratio(c, sizeof c, relu->first_run_us / relu->median_us),
            relu->first_run_us > relu->p90_us ? "the first run is the slow one"
                                              : "within the warm runs' spread",
            "", slower, n, runt_stats_quantile_sorted(ratios, n, 0.5), ratios[n - 1], "",
            2 * slower >= n ? "so a second call of the same model is faster by warm-up alone."
                            : "so warm-up alone would not make a second call look faster here.");
}

static void runt_verdict_transfer(FILE *out, const runt_bench_report *r, const char *backend)
{
    const runt_bench_row *w = runt_find_row(r, "seed0_simple", backend, "f32");
    if (!runt_measured(w))
        return;
    char a[32], b[32];
    if (!isfinite(w->h2d_us))
        fprintf(out, "  %-14s none: %s computes in host memory, so the seed's host-to-device copy "
                     "does not exist here.\n", "data transfer", backend);
    else
        fprintf(out, "  %-14s copying seed0_simple's input to the device takes %s us (pageable), "
                     "%.2fx its compute (%s us).\n", "data transfer", runt_us(a, sizeof a, w->h2d_us),
                w->h2d_us / w->median_us, runt_us(b, sizeof b, w->median_us));
}

static void runt_verdict_int8(FILE *out, const runt_bench_report *r, const char *backend)
{
    const runt_bench_row *f = runt_find_row(r, "seed1_model5", backend, "f32"),
                         *q = runt_find_row(r, "seed1_model5", backend, "int8");
    if (!runt_measured(f))
        return;
    char a[32], b[32];
    if (!q || q->status == RUNT_ROW_UNSUPPORTED)
        fprintf(out, "  %-14s int8 Linear(1000,10): not supported on %s (%s).\n", "quantization",
                backend, q ? q->note : "int8 not requested");
    else if (runt_measured(q))
        fprintf(out, "  %-14s int8 Linear(1000,10) takes %.3gx the time of f32 (%s vs %s us): %s%s.\n",
                "quantization", q->median_us / f->median_us, runt_us(a, sizeof a, q->median_us),
                runt_us(b, sizeof b, f->median_us),
                strncmp(runt_compare(q, f), "no", 2) == 0 ? "" : "int8 is ", runt_compare(q, f));
    /* The CPU backend's size rule (cpu_int8.c): Linear(1000,10)'s 10000
     * weights are under its default line, so both of those rows ran f32. */
    const runt_bench_row *f2 = runt_find_row(r, "seed1_model2", backend, "f32"),
                         *q2 = runt_find_row(r, "seed1_model2", backend, "int8");
    if (runt_measured(q) && strcmp(backend, "cpu") == 0 &&
        1000 * 10 < RUNT_INT8_MIN_WEIGHTS_DEFAULT) {
        fprintf(out, "  %-14s on cpu an int8 session keeps a Linear under %d weights in f32, "
                     "where int8 does not pay, so both ran f32.\n", "",
                RUNT_INT8_MIN_WEIGHTS_DEFAULT);
        if (runt_measured(f2) && runt_measured(q2))
            fprintf(out, "  %-14s int8 at work: seed1_model2 (a 1000x1000 Linear) takes %.3gx the "
                         "time of f32 (%s vs %s us).\n", "", q2->median_us / f2->median_us,
                    runt_us(a, sizeof a, q2->median_us), runt_us(b, sizeof b, f2->median_us));
    }
}

static void runt_verdict_layers(FILE *out, const runt_bench_report *r, const char *backend)
{
    const runt_bench_row *a = runt_find_row(r, "seed1_model3", backend, "f32"),
                         *b = runt_find_row(r, "seed1_model4", backend, "f32");
    const runt_calibration *c = runt_report_device(r, backend);
    if (!runt_measured(a) || !runt_measured(b) || !c)
        return;
    int extra = a->launches - b->launches;
    if (strncmp(runt_compare(a, b), "no", 2) == 0)
        fprintf(out, "  %-14s %d more launches at the calibrated %.3f us each would add %.2f us; "
                     "the measured difference (%.2f us) is within the noise.\n", "", extra,
                c->launch_us, extra * c->launch_us, a->median_us - b->median_us);
    else
        fprintf(out, "  %-14s %d more launches at the calibrated %.3f us each account for %.2f us of "
                     "the %.2f us difference.\n", "", extra, c->launch_us, extra * c->launch_us,
                a->median_us - b->median_us);
}

void runt_bench_print_verdicts(FILE *out, const runt_bench_report *r)
{
    for (int d = 0; d < r->n_devices; d++) {
        const char *be = r->devices[d].backend;
        int any = 0;
        for (int i = 0; i < r->n_rows && !any; i++)
            any = strcmp(r->rows[i].suite, "seeds") == 0 && strcmp(r->rows[i].backend, be) == 0;
        if (!any)
            continue;
        fprintf(out, "\nSeed verdicts on %s (%s, %d thread%s), computed from the rows above:\n", be,
                r->devices[d].device, r->devices[d].threads, r->devices[d].threads == 1 ? "" : "s");
        runt_verdict_transfer(out, r, be);
        runt_verdict_pair(out, r, be, "more layers", "seed0_complex", "seed0_simple");
        runt_verdict_warmup(out, r, be);
        runt_verdict_pair(out, r, be, "fewer FLOPs", "seed1_model1", "seed1_model2");
        runt_verdict_pair(out, r, be, "small layers", "seed1_model3", "seed1_model4");
        runt_verdict_layers(out, r, be);
        runt_verdict_int8(out, r, be);
    }
}

/* ------------------------------------------------------------------------- */
/* Files                                                                     */
/* ------------------------------------------------------------------------- */

void runt_json_device_measures(runt_json *j, const runt_calibration *c)
{
    runt_json_number(j, "peak_gflops", c->peak_gflops);
    runt_json_number(j, "peak_int8_gops", c->peak_int8_gops);
    runt_json_numbers(j, "bandwidth_gbps", "", runt_level_names, "", c->bw_gbps, RUNT_LEVEL_COUNT);
    runt_json_number(j, "launch_us", c->launch_us);
    runt_json_number(j, "h2d_gbps", c->h2d_gbps);
    runt_json_number(j, "d2h_gbps", c->d2h_gbps);
}

static void runt_json_device(runt_json *j, const runt_calibration *c)
{
    runt_json_begin_object(j, NULL);
    runt_json_string(j, "backend", c->backend);
    runt_json_string(j, "name", c->device);
    runt_json_device_measures(j, c);
    runt_json_end_object(j);
}

/* The row's predicted time split by bound, keyed by the bound names the
 * "bound" field uses (so a device backend says "device", not "DRAM");
 * nothing when the row has no prediction or no calibrated device. */
static void runt_json_terms(runt_json *j, const runt_bench_row *w, const runt_calibration *c)
{
    int any = 0;
    for (int b = 0; b < RUNT_BOUND_COUNT; b++)
        any |= isfinite(w->terms_us[b]);
    if (!any || !c)
        return;
    runt_json_begin_object(j, "terms_us");
    for (int b = 0; b < RUNT_BOUND_COUNT; b++)
        runt_json_number(j, runt_cost_model_bound_name(c, (runt_bound)b), w->terms_us[b]);
    runt_json_end_object(j);
}

static void runt_json_row(runt_json *j, const runt_bench_row *w, const runt_calibration *c)
{
    runt_json_begin_object(j, NULL);
    runt_json_string(j, "suite", w->suite);
    runt_json_string(j, "model", w->model);
    runt_json_string(j, "backend", w->backend);
    runt_json_string(j, "dtype", w->dtype);
    runt_json_string(j, "math", runt_row_math(w));
    runt_json_int(j, "batch", w->batch);
    runt_json_int(j, "params", w->params);
    runt_json_int(j, "flops", w->flops);
    runt_json_int(j, "bytes", w->bytes);
    runt_json_int(j, "layers", w->layers);
    runt_json_int(j, "launches", w->launches);
    runt_json_number(j, "median_us", w->median_us);
    runt_json_number(j, "p10_us", w->p10_us);
    runt_json_number(j, "p90_us", w->p90_us);
    runt_json_number(j, "first_run_us", w->first_run_us);
    runt_json_number(j, "create_us", w->create_us);
    runt_json_number(j, "h2d_us", w->h2d_us);
    runt_json_number(j, "d2h_us", w->d2h_us);
    runt_json_number(j, "gflops", w->gflops);
    runt_json_number(j, "gbps", w->gbps);
    runt_json_number(j, "predicted_us", w->predicted_us);
    runt_json_string(j, "bound", w->bound[0] ? w->bound : NULL);
    runt_json_terms(j, w, c);
    runt_json_number(j, "err_vs_f32", w->err_vs_f32);
    runt_json_begin_object(j, "peer");
    runt_json_number(j, "torch_us", w->torch_us);
    runt_json_number(j, "onnxruntime_us", w->ort_us);
    runt_json_number(j, "torch_graph_us", w->torch_graph_us);
    runt_json_end_object(j);
    runt_json_end_object(j);
}

/* The JSON and the CSV are written alike: "-" is standard output, which is
 * flushed and left open; a file is closed, and a failure at either step or
 * an earlier write error (bad) fails the whole report. */
static runt_status runt_report_open(const char *path, FILE *standard_output, FILE **f)
{
    *f = strcmp(path, "-") == 0 ? standard_output : fopen(path, "w");
    if (!*f)
        return runt_error_set(RUNT_E_IO, "cannot write %s: %s", path, strerror(errno));
    return RUNT_OK;
}

static runt_status runt_report_close(FILE *f, const char *path, FILE *standard_output, int bad)
{
    if ((f == standard_output ? fflush(f) : fclose(f)) != 0 || bad)
        return runt_error_set(RUNT_E_IO, "writing %s failed", path);
    return RUNT_OK;
}

runt_status runt_bench_write_json(const char *path, const runt_bench_report *r)
{
    return runt_bench_write_json_to(path, stdout, r);
}

/* Opens path (standard_output for "-"), writes r with body, which returns
 * nonzero when writing failed, and closes it. */
static runt_status runt_report_write(const char *path, FILE *standard_output,
                                     const runt_bench_report *r,
                                     int (*body)(FILE *f, const runt_bench_report *r))
{
    FILE *f;
    runt_status rc = runt_report_open(path, standard_output, &f);
    if (rc != RUNT_OK)
        return rc;
    int bad = body(f, r);
    return runt_report_close(f, path, standard_output, bad);
}

static int runt_report_json_body(FILE *f, const runt_bench_report *r)
{
    runt_json j;
    runt_json_init(&j, f, 2);
    runt_json_begin_object(&j, NULL);
    runt_json_string(&j, "runt_version", runt_version());
    runt_json_begin_object(&j, "host");
    runt_json_string(&j, "cpu", r->cpu);
    runt_json_int(&j, "threads", r->threads);
    runt_json_string(&j, "os", r->os);
    runt_json_end_object(&j);
    runt_json_begin_array(&j, "devices");
    for (int d = 0; d < r->n_devices; d++)
        runt_json_device(&j, &r->devices[d]);
    runt_json_end_array(&j);
    /* Rows that were not measured (int8 on a backend without it) have no
     * numbers for the contract's fields: they are in the table and CSV. */
    runt_json_begin_array(&j, "results");
    for (int i = 0; i < r->n_rows; i++)
        if (r->rows[i].status == RUNT_ROW_MEASURED)
            runt_json_row(&j, &r->rows[i], runt_report_device(r, r->rows[i].backend));
    runt_json_end_array(&j);
    runt_json_begin_object(&j, "summary");
    const char *suites[8];
    int n_suites = runt_bench_suites(r, suites, 8);
    for (int d = 0; d < r->n_devices; d++) {
        runt_bench_summary s;
        runt_bench_summarize(r, r->devices[d].backend, &s);
        runt_json_begin_object(&j, r->devices[d].backend);
        runt_json_number(&j, "within_15pct", s.within_15pct);
        runt_json_begin_object(&j, "spearman");
        for (int k = 0; k < RUNT_CORR_COUNT; k++)
            runt_json_number(&j, runt_corr_names[k], s.spearman[k]);
        runt_json_end_object(&j);
        /* Added after the contract: the same share per suite, for the
         * backend's suites with measured rows. */
        runt_json_begin_object(&j, "suites");
        for (int k = 0; k < n_suites; k++) {
            runt_bench_summary t;
            runt_bench_summarize_suite(r, r->devices[d].backend, suites[k], &t);
            if (!t.rows)
                continue;
            runt_json_begin_object(&j, suites[k]);
            runt_json_int(&j, "rows", t.rows);
            runt_json_number(&j, "within_15pct", t.within_15pct);
            runt_json_end_object(&j);
        }
        runt_json_end_object(&j);
        runt_json_end_object(&j);
    }
    runt_json_end_object(&j);
    runt_json_end_object(&j);
    return runt_json_finish(&j);
}

runt_status runt_bench_write_json_to(const char *path, FILE *standard_output,
                                     const runt_bench_report *r)
{
    return runt_report_write(path, standard_output, r, runt_report_json_body);
}

/* RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
static void runt_csv_text(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void runt_csv_number(FILE *f, double v)
{
    fputc(',', f);
    if (isfinite(v))
        fprintf(f, "%.6g", v);
}

static int runt_report_csv_body(FILE *f, const runt_bench_report *r)
{
    fputs("suite,model,family,backend,dtype,batch,params,flops,bytes,layers,launches,status,"
          "median_us,p10_us,p90_us,first_run_us,h2d_us,d2h_us,gflops,gbps,predicted_us,"
          "torch_us,onnxruntime_us,runt_over_torch,runt_over_onnxruntime,reps,threads,note,"
          "create_us,torch_graph_us,bound,math,err_vs_f32\n", f);
    static const char *const status[] = {"measured", "not supported", "failed"};
    for (int i = 0; i < r->n_rows; i++) {
        const runt_bench_row *w = &r->rows[i];
        fprintf(f, "%s,%s,%s,%s,%s,%lld,%lld,%lld,%lld,%d,%d,%s", w->suite, w->model, w->family,
                w->backend, w->dtype, (long long)w->batch, (long long)w->params,
                (long long)w->flops, (long long)w->bytes, w->layers, w->launches,
                status[w->status]);
        runt_csv_number(f, w->median_us);
        runt_csv_number(f, w->p10_us);
        runt_csv_number(f, w->p90_us);
        runt_csv_number(f, w->first_run_us);
        runt_csv_number(f, w->h2d_us);
        runt_csv_number(f, w->d2h_us);
        runt_csv_number(f, w->gflops);
        runt_csv_number(f, w->gbps);
        runt_csv_number(f, w->predicted_us);
        runt_csv_number(f, w->torch_us);
        runt_csv_number(f, w->ort_us);
        runt_csv_number(f, w->median_us / w->torch_us);
        runt_csv_number(f, w->median_us / w->ort_us);
        const runt_calibration *c = runt_report_device(r, w->backend);
        int threads = c ? c->threads : r->threads;
        fprintf(f, ",%d,%d,", w->reps, threads);
        runt_csv_text(f, w->note);
        runt_csv_number(f, w->create_us);
        runt_csv_number(f, w->torch_graph_us);
        /* Appended last, after the columns older readers index by position. */
        fputc(',', f);
        runt_csv_text(f, w->bound);
        fputc(',', f);
        runt_csv_text(f, runt_row_math(w));
        runt_csv_number(f, w->err_vs_f32);
        fputc('\n', f);
    }
    return ferror(f);
}

runt_status runt_bench_write_csv_to(const char *path, FILE *standard_output,
                                    const runt_bench_report *r)
{
    return runt_report_write(path, standard_output, r, runt_report_csv_body);
}
