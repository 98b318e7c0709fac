#include "measure.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runt-backend.h"
#include "stats.h"

#define RUNT_MEASURE_MAX_IO 8
/* The ring stops growing at this many bytes of inputs: past it, more
 * buffers only cost memory (a model with 512 MiB inputs gets 1 buffer). */
#define RUNT_MEASURE_RING_BYTES (256.0 * 1024 * 1024)

runt_measure_config runt_measure_config_default(void)
{
    runt_measure_config c = {.min_time_s = 0.2, .min_reps = 10, .max_time_s = 3.0,
                             .max_reps = 100000, .ring = 8};
    return c;
}

typedef struct runt_measure_io {
    int n_in, n_out, ring;
    runt_tensor in[RUNT_MEASURE_MAX_IO * 16];  /* ring sets of n_in */
    runt_tensor out[RUNT_MEASURE_MAX_IO];
} runt_measure_io;

/* splitmix64 -> [-1, 1), redrawing exact zeros. */
static float runt_measure_random(uint64_t *state)
{
    for (;;) {
        uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        float v = (float)((double)(z >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0);
        if (v != 0.0f)
            return v;
    }
}

static void runt_measure_io_free(runt_measure_io *io)
{
    for (int i = 0; i < io->n_in * io->ring; i++)
        free(io->in[i].data);
    for (int i = 0; i < io->n_out; i++)
        free(io->out[i].data);
}

static runt_status runt_measure_io_alloc(runt_session *s, const runt_measure_config *c,
                                         runt_measure_io *io)
{
    memset(io, 0, sizeof *io);
    runt_session_stats st;
    runt_status rc = runt_session_stats_get(s, &st);
    if (rc != RUNT_OK)
        return rc;
    /* Count inputs and outputs through their descs (index out of range ends). */
    runt_tensor d;
    while (io->n_in < RUNT_MEASURE_MAX_IO && runt_session_input_desc(s, io->n_in, &d) == RUNT_OK)
        io->n_in++;
    while (io->n_out < RUNT_MEASURE_MAX_IO && runt_session_output_desc(s, io->n_out, &d) == RUNT_OK)
        io->n_out++;
    double in_bytes = 0;
    for (int i = 0; i < io->n_in; i++) {
        runt_session_input_desc(s, i, &d);
        in_bytes += (double)runt_tensor_count(&d) * (double)runt_dtype_size(d.dtype);
    }
    int ring = c->ring < 1 ? 1 : c->ring > 16 ? 16 : c->ring;
    while (ring > 1 && ring * in_bytes > RUNT_MEASURE_RING_BYTES)
        ring--;
    io->ring = ring;
    uint64_t rng = 0xBE7C4;
    for (int r = 0; r < ring; r++)
        for (int i = 0; i < io->n_in; i++) {
            runt_tensor *t = &io->in[r * io->n_in + i];
            runt_session_input_desc(s, i, t);
            size_t n = (size_t)runt_tensor_count(t), es = runt_dtype_size(t->dtype);
            t->data = calloc(n ? n : 1, es ? es : 1);
            if (!t->data)
                return runt_error_set(RUNT_E_OOM, "bench: out of memory for %zu input bytes", n * es);
            if (t->dtype == RUNT_F32)
                for (size_t k = 0; k < n; k++)
                    ((float *)t->data)[k] = runt_measure_random(&rng);
        }
    for (int i = 0; i < io->n_out; i++) {
        runt_tensor *t = &io->out[i];
        runt_session_output_desc(s, i, t);
        size_t n = (size_t)runt_tensor_count(t), es = runt_dtype_size(t->dtype);
        t->data = malloc((n ? n : 1) * (es ? es : 1));
        if (!t->data)
            return runt_error_set(RUNT_E_OOM, "bench: out of memory for %zu output bytes", n * es);
    }
    return RUNT_OK;
}

static runt_status runt_measure_run(runt_session *s, runt_measure_io *io, int k, double *us,
                                    double *wall_us)
{
    int r = k % io->ring;
    double t0 = runt_clock_us();
    runt_status rc = runt_session_run(s, &io->in[r * io->n_in], io->n_in, io->out, io->n_out);
    if (wall_us)
        *wall_us = runt_clock_us() - t0;
    if (rc == RUNT_OK)
        rc = runt_session_last_run_us(s, us);
    return rc;
}

/* Runs until the clock has advanced by at least min_s and min_reps runs
 * were made (or max_s passed with at least floor_reps runs, or max_reps);
 * samples and wall may be NULL (warm-up). */
static runt_status runt_measure_loop(runt_session *s, runt_measure_io *io, int *k, double min_s,
                                     int min_reps, double max_s, int floor_reps, int max_reps,
                                     double *samples, double *wall, int *n)
{
    double t0 = runt_clock_us(), spent_s = 0;
    *n = 0;
    while (*n < max_reps) {
        if (*n >= min_reps && spent_s >= min_s)
            break;
        if (*n >= floor_reps && spent_s >= max_s)
            break;
        double us, wall_us;
        runt_status rc = runt_measure_run(s, io, (*k)++, &us, &wall_us);
        if (rc != RUNT_OK)
            return rc;
        if (samples)
            samples[*n] = us;
        if (wall)
            wall[*n] = wall_us;
        (*n)++;
        spent_s = (runt_clock_us() - t0) * 1e-6;
    }
    return RUNT_OK;
}

runt_status runt_measure_session(runt_session *s, const runt_measure_config *c,
                                 runt_measurement *out)
{
    if (!s || !c || !out)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_measure_session: an argument is NULL");
    if (!(c->min_time_s >= 0) || c->min_reps < 1 || c->max_reps < c->min_reps)
        return runt_error_set(RUNT_E_INVALID_ARG,
                              "runt_measure_session: min_time %g s, min_reps %d, max_reps %d",
                              c->min_time_s, c->min_reps, c->max_reps);
    memset(out, 0, sizeof *out);
    runt_measure_io *io = malloc(sizeof *io);
    if (!io)
        return runt_error_set(RUNT_E_OOM, "bench: out of memory");
    double *samples = malloc(2 * (size_t)c->max_reps * sizeof *samples);
    double *wall = samples ? samples + c->max_reps : NULL;
    runt_status rc = samples ? runt_measure_io_alloc(s, c, io)
                             : runt_error_set(RUNT_E_OOM, "bench: out of memory for samples");
    int k = 0, n = 0;
    if (rc == RUNT_OK)
        rc = runt_measure_run(s, io, k++, &out->first_run_us, NULL);
    /* Warm-up: a quarter of the measuring time, at least one run; a model
     * whose first run already took longer than that is warm enough. */
    double warm_s = c->min_time_s / 4;
    if (rc == RUNT_OK && out->first_run_us * 1e-6 < warm_s)
        rc = runt_measure_loop(s, io, &k, warm_s, 1, c->max_time_s / 4, 1, c->max_reps, NULL,
                               NULL, &out->warmup_reps);
    if (rc == RUNT_OK)
        rc = runt_measure_loop(s, io, &k, c->min_time_s, c->min_reps, c->max_time_s,
                               c->min_reps < 3 ? c->min_reps : 3, c->max_reps, samples, wall, &n);
    if (rc == RUNT_OK) {
        runt_stats_sort(samples, (size_t)n);
        out->reps = n;
        out->ring = io->ring;
        out->median_us = runt_stats_quantile_sorted(samples, (size_t)n, 0.5);
        out->min_us = samples[0];
        out->p10_us = runt_stats_quantile_sorted(samples, (size_t)n, 0.1);
        out->p90_us = runt_stats_quantile_sorted(samples, (size_t)n, 0.9);
        runt_stats_sort(wall, (size_t)n);
        out->wall_median_us = runt_stats_quantile_sorted(wall, (size_t)n, 0.5);
    }
    if (samples)
        runt_measure_io_free(io);
    free(io);
    free(samples);
    return rc;
}

runt_status runt_measure_outputs(runt_session *s, float **values, size_t *count)
{
    if (!s || !values || !count)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_measure_outputs: an argument is NULL");
    *values = NULL;
    *count = 0;
    runt_measure_io *io = malloc(sizeof *io);
    if (!io)
        return runt_error_set(RUNT_E_OOM, "bench: out of memory");
    runt_measure_config one = runt_measure_config_default();
    one.ring = 1;
    runt_status rc = runt_measure_io_alloc(s, &one, io);
    double us;
    if (rc == RUNT_OK)
        rc = runt_measure_run(s, io, 0, &us, NULL);
    size_t n = 0;
    for (int i = 0; rc == RUNT_OK && i < io->n_out; i++)
        if (io->out[i].dtype == RUNT_F32)
            n += (size_t)runt_tensor_count(&io->out[i]);
    float *v = rc == RUNT_OK ? malloc((n ? n : 1) * sizeof *v) : NULL;
    if (rc == RUNT_OK && !v)
        rc = runt_error_set(RUNT_E_OOM, "bench: out of memory for %zu output values", n);
    size_t at = 0;
    for (int i = 0; rc == RUNT_OK && i < io->n_out; i++)
        if (io->out[i].dtype == RUNT_F32) {
            size_t k = (size_t)runt_tensor_count(&io->out[i]);
            memcpy(v + at, io->out[i].data, k * sizeof *v);
            at += k;
        }
    runt_measure_io_free(io);
    free(io);
    if (rc != RUNT_OK) {
        free(v);
        return rc;
    }
    *values = v;
    *count = n;
    return RUNT_OK;
}
