/* The bench's PNG plots, drawn by plot.h. */
#define _POSIX_C_SOURCE 200809L /* mkdir */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"
#include "plot.h"
#include "runt-backend.h"

#define RUNT_PLOT_W 1100
#define RUNT_PLOT_H 760
#define RUNT_PLOT_MAX_SERIES 16

/* Short names for the seed models, so labels stay readable beside points. */
static const char *runt_plot_label(const runt_bench_row *w)
{
    static const char *const map[][2] = {
        {"seed0_simple", "simple"}, {"seed0_complex", "complex"}, {"seed0_relu", "relu"},
        {"seed1_model1", "m1"}, {"seed1_model2", "m2"}, {"seed1_model3", "m3"},
        {"seed1_model4", "m4"}, {"seed1_model5", "m5"}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(w->model, map[i][0]) == 0)
            return map[i][1];
    return w->model;
}

/* Storage for a plot's series: x, y and labels per series. */
typedef struct runt_plot_data {
    int n_series;
    runt_plot_series series[RUNT_PLOT_MAX_SERIES];
    double *x[RUNT_PLOT_MAX_SERIES], *y[RUNT_PLOT_MAX_SERIES];
    const char **labels[RUNT_PLOT_MAX_SERIES];
    char names[RUNT_PLOT_MAX_SERIES][64];
} runt_plot_data;

static void runt_plot_data_free(runt_plot_data *d)
{
    for (int i = 0; i < d->n_series; i++) {
        free(d->x[i]);
        free(d->y[i]);
        free(d->labels[i]);
    }
}

/* A new series with room for cap points; NULL when full or out of memory. */
static runt_plot_series *runt_plot_add(runt_plot_data *d, const char *name, int cap, int lines,
                                       int labelled)
{
    if (d->n_series == RUNT_PLOT_MAX_SERIES)
        return NULL;
    int i = d->n_series;
    d->x[i] = malloc((size_t)(cap ? cap : 1) * sizeof(double));
    d->y[i] = malloc((size_t)(cap ? cap : 1) * sizeof(double));
    d->labels[i] = labelled ? calloc((size_t)(cap ? cap : 1), sizeof(char *)) : NULL;
    if (!d->x[i] || !d->y[i] || (labelled && !d->labels[i])) {
        free(d->x[i]);
        free(d->y[i]);
        free(d->labels[i]);
        return NULL;
    }
    snprintf(d->names[i], sizeof d->names[i], "%s", name);
    runt_plot_series *s = &d->series[i];
    memset(s, 0, sizeof *s);
    s->label = d->names[i];
    s->x = d->x[i];
    s->y = d->y[i];
    s->point_labels = labelled ? (const char *const *)d->labels[i] : NULL;
    s->draw_lines = lines;
    d->n_series++;
    return s;
}

static void runt_plot_point(runt_plot_data *d, runt_plot_series *s, double x, double y,
                            const char *label)
{
    int i = (int)(s - d->series);
    d->x[i][s->n] = x;
    d->y[i][s->n] = y;
    if (d->labels[i])
        d->labels[i][s->n] = label;
    s->n++;
}

static runt_status runt_plot_write(runt_plot_data *d, const char *dir, const char *file,
                                   const char *title, const char *xl, const char *yl, int diagonal)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    runt_plot_spec spec = {title, xl, yl, 1, 1, d->n_series, d->series, diagonal};
    runt_status rc = runt_plot_write_png(&spec, RUNT_PLOT_W, RUNT_PLOT_H, path);
    runt_plot_data_free(d);
    return rc;
}

/* A roof: min(peak, bandwidth * intensity) across [lo, hi]. */
static void runt_plot_roof(runt_plot_data *d, const char *name, double peak, double bw,
                           double lo, double hi)
{
    if (!isfinite(peak) || !isfinite(bw) || peak <= 0 || bw <= 0)
        return;
    runt_plot_series *s = runt_plot_add(d, name, 3, 1, 0);
    if (!s)
        return;
    double knee = peak / bw;
    runt_plot_point(d, s, lo, fmin(peak, bw * lo), NULL);
    if (knee > lo && knee < hi)
        runt_plot_point(d, s, knee, peak, NULL);
    runt_plot_point(d, s, hi, fmin(peak, bw * hi), NULL);
}

static runt_status runt_plot_roofline(const char *dir, const runt_bench_report *r,
                                      const runt_calibration *c)
{
    runt_plot_data d;
    memset(&d, 0, sizeof d);
    const char *names[3] = {"seeds f32", "sweep f32", "int8 (GOP/s)"};
    runt_plot_series *s[3];
    for (int k = 0; k < 3; k++)
        s[k] = runt_plot_add(&d, names[k], r->n_rows, 0, k == 0);
    double lo = INFINITY, hi = 0;
    for (int i = 0; i < r->n_rows; i++) {
        const runt_bench_row *w = &r->rows[i];
        if (w->status != RUNT_ROW_MEASURED || strcmp(w->backend, c->backend) != 0 || w->bytes <= 0)
            continue;
        double ai = (double)w->flops / (double)w->bytes;
        int k = strcmp(w->dtype, "int8") == 0 ? 2 : strcmp(w->suite, "seeds") == 0 ? 0 : 1;
        if (s[k] && ai > 0 && w->gflops > 0) {
            runt_plot_point(&d, s[k], ai, w->gflops, k == 0 ? runt_plot_label(w) : NULL);
            lo = fmin(lo, ai);
            hi = fmax(hi, ai);
        }
    }
    for (int k = 0; k < 3; k++)
        if (s[k] && s[k]->n == 0)
            s[k]->label = NULL; /* nothing measured (int8 on ref): no legend entry */
    if (!(hi > 0))
        lo = 0.1, hi = 100;
    lo /= 2;
    hi *= 2;
    char name[64];
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++) {
        snprintf(name, sizeof name, "roof f32, %s %.0f GB/s", runt_level_names[l], c->bw_gbps[l]);
        if (l == RUNT_LEVEL_L1 || l == RUNT_LEVEL_DRAM || !c->host_memory)
            runt_plot_roof(&d, name, c->peak_gflops, c->bw_gbps[l], lo, hi);
    }
    char file[64], title[256];
    snprintf(file, sizeof file, "roofline-%s.png", c->backend);
    snprintf(title, sizeof title, "Roofline: %s, %d thread%s, peak %.0f GFLOP/s", c->backend,
             c->threads, c->threads == 1 ? "" : "s", c->peak_gflops);
    return runt_plot_write(&d, dir, file, title, "arithmetic intensity (FLOPs per byte)",
                           "achieved GFLOP/s", 0);
}

typedef enum { RUNT_AXIS_FLOPS, RUNT_AXIS_PARAMS, RUNT_AXIS_MEASURED } runt_plot_axis;

/* One series per backend and dtype: x against median latency (or predicted
 * against measured). */
static runt_status runt_plot_latency(const char *dir, const runt_bench_report *r,
                                     runt_plot_axis axis)
{
    runt_plot_data d;
    memset(&d, 0, sizeof d);
    static const char *const dtypes[2] = {"f32", "int8"};
    for (int b = 0; b < r->n_devices; b++)
        for (int t = 0; t < 2; t++) {
            char name[64];
            snprintf(name, sizeof name, "%s %s", r->devices[b].backend, dtypes[t]);
            runt_plot_series *s = NULL;
            for (int i = 0; i < r->n_rows; i++) {
                const runt_bench_row *w = &r->rows[i];
                if (w->status != RUNT_ROW_MEASURED || strcmp(w->backend, r->devices[b].backend) ||
                    strcmp(w->dtype, dtypes[t]))
                    continue;
                if (!s && !(s = runt_plot_add(&d, name, r->n_rows, 0, 0)))
                    break;
                double x = axis == RUNT_AXIS_FLOPS ? (double)w->flops
                           : axis == RUNT_AXIS_PARAMS ? (double)w->params : w->median_us;
                double y = axis == RUNT_AXIS_MEASURED ? w->predicted_us : w->median_us;
                runt_plot_point(&d, s, x, y, NULL);
            }
        }
    if (axis == RUNT_AXIS_FLOPS)
        return runt_plot_write(&d, dir, "latency-vs-flops.png", "Latency against FLOPs (median)",
                               "FLOPs per run", "latency (us)", 0);
    if (axis == RUNT_AXIS_PARAMS)
        return runt_plot_write(&d, dir, "latency-vs-params.png",
                               "Latency against parameters (median)",
                               "parameters", "latency (us)", 0);
    return runt_plot_write(&d, dir, "predicted-vs-measured.png",
                           "Predicted against measured (y = x: exact)",
                           "measured median (us)", "predicted (us)", 1);
}

runt_status runt_bench_write_plots(const char *dir, const runt_bench_report *r)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return runt_error_set(RUNT_E_IO, "cannot create %s: %s", dir, strerror(errno));
    runt_status rc = RUNT_OK;
    for (int b = 0; rc == RUNT_OK && b < r->n_devices; b++)
        rc = runt_plot_roofline(dir, r, &r->devices[b]);
    for (int a = RUNT_AXIS_FLOPS; rc == RUNT_OK && a <= RUNT_AXIS_MEASURED; a++)
        rc = runt_plot_latency(dir, r, (runt_plot_axis)a);
    return rc;
}
