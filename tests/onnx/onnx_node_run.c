/*
 * Running one loaded node case on one backend and comparing its outputs
 * with ONNX's expected values, within ONNX's default tolerance
 * |got - want| <= atol + rtol * |want| (onnx/backend/test/runner:
 * assert_allclose), with guard bytes after every output to catch a write
 * past its end. Apart from the driver's main so that the pass rule is read
 * in one place.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_node.h"

#define RTOL 1e-3
#define ATOL 1e-7
#define GUARD_BYTES 64
#define GUARD_BYTE 0xA5

static double element(const runt_tensor *t, size_t i)
{
    switch (t->dtype) {
    case RUNT_F32: return ((const float *)t->data)[i];
    case RUNT_U8: return ((const uint8_t *)t->data)[i];
    case RUNT_I8: return ((const int8_t *)t->data)[i];
    case RUNT_I32: return ((const int32_t *)t->data)[i];
    default: return (double)((const int64_t *)t->data)[i];
    }
}

static int close_enough(double got, double want)
{
    if (isnan(want) || isnan(got))
        return isnan(want) && isnan(got);
    if (got == want) /* also equal infinities */
        return 1;
    return fabs(got - want) <= ATOL + RTOL * fabs(want);
}

static void shape_text(const runt_tensor *t, char *buf, size_t n)
{
    size_t at = (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < t->ndim && at < n; d++)
        at += (size_t)snprintf(buf + at, n - at, "%s%lld", d ? ", " : "", (long long)t->dims[d]);
    if (at < n)
        snprintf(buf + at, n - at, "]");
}

/* Output j against the expected tensor; why says what differs. */
static int compare(const runt_tensor *got, const test_tensor *want, char *why, size_t wn)
{
    runt_tensor w = tensor_view(want);
    char gs[128], ws[128];
    shape_text(got, gs, sizeof gs);
    shape_text(&w, ws, sizeof ws);
    int same_shape = got->ndim == w.ndim;
    for (int d = 0; same_shape && d < w.ndim; d++)
        same_shape = got->dims[d] == w.dims[d];
    if (!same_shape)
        return snprintf(why, wn, "output '%s': shape %s, expected %s", want->name, gs, ws), 0;
    size_t bad = 0, first = 0;
    double worst = 0.0;
    for (size_t i = 0; i < want->count; i++) {
        double g = element(got, i), x = element(&w, i);
        if (close_enough(g, x))
            continue;
        if (!bad++)
            first = i;
        if (!(fabs(g - x) <= worst))
            worst = fabs(g - x);
    }
    if (!bad)
        return 1;
    return snprintf(why, wn, "output '%s' %s: %zu of %zu elements differ; first at %zu: got %.9g, "
                    "expected %.9g; max |difference| %.3g (tolerance %g + %g * |expected|)",
                    want->name, ws, bad, want->count, first, element(got, first),
                    element(&w, first), worst, ATOL, RTOL), 0;
}

/* The session's batch: the size the test data give a dim declared as batch. */
static int64_t batch_of(const test_case *c)
{
    int n_in, n_out, n_nodes;
    runt_model_counts(c->model, &n_in, &n_out, &n_nodes);
    for (int i = 0; i < n_in; i++) {
        runt_io_info io;
        const test_tensor *t;
        if (runt_model_input(c->model, i, &io) == RUNT_OK && io.desc.ndim > 0 &&
            io.desc.dims[0] == RUNT_DIM_BATCH &&
            (t = find_tensor(c->sets[0].in, c->sets[0].n_in, io.name)) && t->ndim > 0)
            return t->dims[0];
    }
    return 1;
}

typedef struct run_buffers {
    int n_in, n_out;
    runt_tensor in[MAX_IO], out[MAX_IO];
    size_t out_bytes[MAX_IO];
} run_buffers;

static void buffers_free(run_buffers *b)
{
    for (int j = 0; j < b->n_out; j++)
        free(b->out[j].data);
    b->n_out = 0;
}

static int guard_intact(const run_buffers *b, int j)
{
    const uint8_t *p = (const uint8_t *)b->out[j].data + b->out_bytes[j];
    for (int k = 0; k < GUARD_BYTES; k++)
        if (p[k] != GUARD_BYTE)
            return 0;
    return 1;
}

/* Inputs by name from the data set; outputs allocated as the session says,
 * filled with NaN-like bytes (a value never written shows) and guarded. */
static int bind(runt_session *s, const runt_model *m, const data_set *set, run_buffers *b,
                char *why, size_t wn)
{
    int n_nodes;
    runt_model_counts(m, &b->n_in, &b->n_out, &n_nodes);
    if (b->n_in > MAX_IO || b->n_out > MAX_IO)
        return snprintf(why, wn, "more than %d inputs or outputs", MAX_IO), 0;
    for (int i = 0; i < b->n_in; i++) {
        runt_io_info io;
        runt_model_input(m, i, &io);
        const test_tensor *t = find_tensor(set->in, set->n_in, io.name);
        if (!t)
            return b->n_out = 0, snprintf(why, wn, "no test input named '%s'", io.name), 0;
        b->in[i] = tensor_view(t);
    }
    for (int j = 0; j < b->n_out; j++) {
        runt_session_output_desc(s, j, &b->out[j]);
        b->out_bytes[j] = (size_t)runt_tensor_count(&b->out[j]) * runt_dtype_size(b->out[j].dtype);
        b->out[j].data = malloc(b->out_bytes[j] + GUARD_BYTES);
        if (!b->out[j].data)
            return b->n_out = j, snprintf(why, wn, "out of memory"), 0;
        memset(b->out[j].data, 0xFF, b->out_bytes[j]);
        memset((uint8_t *)b->out[j].data + b->out_bytes[j], GUARD_BYTE, GUARD_BYTES);
    }
    return 1;
}

static outcome check_outputs(const runt_model *m, const data_set *set, const run_buffers *b,
                             char *why, size_t wn)
{
    for (int j = 0; j < b->n_out; j++) {
        runt_io_info io;
        runt_model_output(m, j, &io);
        const test_tensor *want = find_tensor(set->out, set->n_out, io.name);
        if (!guard_intact(b, j))
            return snprintf(why, wn, "output '%s': written past its end", io.name), FAILED;
        if (!want)
            return snprintf(why, wn, "no expected output named '%s'", io.name), FAILED;
        if (!compare(&b->out[j], want, why, wn))
            return FAILED;
    }
    return PASSED;
}

static outcome run_set(runt_session *s, const test_case *c, int k, char *why, size_t wn)
{
    run_buffers b;
    memset(&b, 0, sizeof b);
    if (!bind(s, c->model, &c->sets[k], &b, why, wn)) {
        buffers_free(&b);
        return FAILED;
    }
    outcome r = PASSED;
    runt_status st = runt_session_run(s, b.in, b.n_in, b.out, b.n_out);
    if (st != RUNT_OK) {
        snprintf(why, wn, "run: %s: %s", runt_status_name(st), runt_last_error());
        r = st == RUNT_E_UNSUPPORTED ? SKIPPED : FAILED;
    } else {
        r = check_outputs(c->model, &c->sets[k], &b, why, wn);
    }
    buffers_free(&b);
    return r;
}

outcome run_on(const test_case *c, const char *backend, char *why, size_t wn)
{
    runt_session_options o = runt_session_options_default();
    runt_session *s = NULL;
    o.backend = backend;
    o.batch = batch_of(c);
    runt_status st = runt_session_create(c->model, &o, &s);
    if (st != RUNT_OK) {
        snprintf(why, wn, "session: %s: %s", runt_status_name(st), runt_last_error());
        return st == RUNT_E_UNSUPPORTED ? SKIPPED : FAILED;
    }
    outcome r = PASSED;
    for (int k = 0; k < c->n_sets && r == PASSED; k++)
        if ((r = run_set(s, c, k, why, wn)) != PASSED && c->n_sets > 1) {
            size_t n = strlen(why);
            snprintf(why + n, wn - n, " (test_data_set_%d)", k);
        }
    runt_session_free(s);
    return r;
}
