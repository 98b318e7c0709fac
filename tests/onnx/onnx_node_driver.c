#define _POSIX_C_SOURCE 200809L
/*
 * onnx_node_driver — runs the ONNX project's backend node tests on runt.
 *
 *   onnx_node_driver DATA_DIR [--backend NAME] [--verbose] [SUBSTRING ...]
 *
 * DATA_DIR holds what scripts/onnx-node-data.py writes: one folder per case
 * with model.onnx and test_data_set_N/{input,output}_J.pb (TensorProtos).
 * Every case is loaded once and run on every available backend (or the one
 * named), and its outputs are compared with ONNX's expected outputs within
 * ONNX's default tolerance, |got - want| <= atol + rtol * |want| with
 * rtol 1e-3 and atol 1e-7 (onnx/backend/test/runner: assert_allclose).
 *
 * A case runt refuses with RUNT_E_UNSUPPORTED (an op form, dtype or rank it
 * does not compute) is skipped with the reason; any other error, a wrong
 * shape, a wrong value or a write past an output is a failure. Graph inputs
 * that select behaviour (a Reshape's shape) are frozen as constants through
 * runt_load_options when the loader asks for them.
 *
 * The TensorProtos are decoded here, not by runt's reader, so that a fault
 * in that reader cannot hide itself in the expected values.
 *
 * Per backend the driver prints the failures, the skipped cases with their
 * reasons and the closing line "N passed, M failed, K skipped". Exit status:
 * 0 when nothing failed, 1 otherwise, 77 when there is nothing to run (no
 * data: onnx not installed; the backend unavailable), 2 on bad usage.
 */
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "runt.h"

#define EXIT_SKIP 77
#define MAX_IO 16
#define MAX_SETS 8
#define MAX_BACKENDS 8
#define RTOL 1e-3
#define ATOL 1e-7
#define GUARD_BYTES 64
#define GUARD_BYTE 0xA5
#define REASON_MAX 600

/* ------------------------------------------------------------------------- */
/* Cases whose difference from ONNX's expected output is known and explained. */
/* ------------------------------------------------------------------------- */

typedef struct known_difference {
    const char *test;
    const char *why;
} known_difference;

/* Kept tiny: every entry is a decision recorded with its evidence. */
static const known_difference known_differences[] = {
    {NULL, NULL},
};

static const char *known_difference_for(const char *test)
{
    for (int i = 0; known_differences[i].test; i++)
        if (strcmp(known_differences[i].test, test) == 0)
            return known_differences[i].why;
    return NULL;
}

/* ------------------------------------------------------------------------- */
/* TensorProto files                                                         */
/* ------------------------------------------------------------------------- */

/* onnx.proto TensorProto.DataType values this driver reads. */
enum { T_FLOAT = 1, T_UINT8 = 2, T_INT8 = 3, T_INT32 = 6, T_INT64 = 7, T_BOOL = 9 };

typedef struct test_tensor {
    char name[256];
    int64_t onnx_type;
    runt_dtype dtype;
    int ndim;
    int64_t dims[RUNT_MAX_DIMS];
    size_t count;
    void *data;                    /* count elements of dtype, host order */
} test_tensor;

typedef struct pb {
    const uint8_t *p, *end;
} pb;

static int pb_varint(pb *r, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && r->p < r->end; shift += 7) {
        uint8_t b = *r->p++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return 1;
    }
    return 0;
}

/* One field: its number and wire type; a LEN field's payload in *sub. */
static int pb_field(pb *r, uint32_t *number, int *wire, uint64_t *value, pb *sub)
{
    uint64_t key;
    if (!pb_varint(r, &key))
        return 0;
    *number = (uint32_t)(key >> 3);
    *wire = (int)(key & 7);
    switch (*wire) {
    case 0: return pb_varint(r, value);
    case 1: case 5: {
        size_t n = *wire == 1 ? 8 : 4;
        if ((size_t)(r->end - r->p) < n)
            return 0;
        *value = 0;
        for (size_t i = 0; i < n; i++)
            *value |= (uint64_t)r->p[i] << (8 * i);
        r->p += n;
        return 1;
    }
    case 2:
        if (!pb_varint(r, value) || *value > (uint64_t)(r->end - r->p))
            return 0;
        sub->p = r->p;
        sub->end = r->p + *value;
        r->p += *value;
        return 1;
    default: return 0;
    }
}

static int test_dtype(int64_t onnx_type, runt_dtype *out)
{
    switch (onnx_type) {
    case T_FLOAT: *out = RUNT_F32; return 1;
    case T_UINT8: case T_BOOL: *out = RUNT_U8; return 1;
    case T_INT8: *out = RUNT_I8; return 1;
    case T_INT32: *out = RUNT_I32; return 1;
    case T_INT64: *out = RUNT_I64; return 1;
    default: return 0;
    }
}

static const char *type_name(int64_t t)
{
    static const char *const names[] = {
        "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING",
        "BOOL", "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16",
        "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4",
        "FLOAT4E2M1", "FLOAT8E8M0", "UINT2", "INT2"};
    return t >= 0 && t < (int64_t)(sizeof names / sizeof names[0]) ? names[t] : "unknown";
}

/* Stores element i of a typed field (float_data: the float's bits). */
static void tensor_store(test_tensor *t, size_t i, uint64_t v)
{
    switch (t->dtype) {
    case RUNT_F32: {
        uint32_t bits = (uint32_t)v;
        memcpy((float *)t->data + i, &bits, 4);
        break;
    }
    case RUNT_U8: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
    case RUNT_I8: ((int8_t *)t->data)[i] = (int8_t)v; break;
    case RUNT_I32: ((int32_t *)t->data)[i] = (int32_t)v; break;
    default: ((int64_t *)t->data)[i] = (int64_t)v; break;
    }
}

/* A typed data field, packed or one element per occurrence. */
static int tensor_typed(test_tensor *t, size_t *filled, int wire, uint64_t v, pb *sub)
{
    if (wire != 2) {
        if (*filled >= t->count)
            return 0;
        tensor_store(t, (*filled)++, v);
        return 1;
    }
    while (sub->p < sub->end) {
        uint64_t e = 0;
        if (t->dtype == RUNT_F32) {
            if (sub->end - sub->p < 4)
                return 0;
            e = (uint64_t)sub->p[0] | (uint64_t)sub->p[1] << 8 | (uint64_t)sub->p[2] << 16 |
                (uint64_t)sub->p[3] << 24;
            sub->p += 4;
        } else if (!pb_varint(sub, &e)) {
            return 0;
        }
        if (*filled >= t->count)
            return 0;
        tensor_store(t, (*filled)++, e);
    }
    return 1;
}

/* The first pass: name, type, dims. */
static int tensor_header(const uint8_t *buf, size_t size, test_tensor *t, char *why, size_t wn)
{
    pb r = {buf, buf + size}, sub;
    uint32_t number;
    int wire;
    uint64_t v;
    int ndim = 0;
    while (r.p < r.end) {
        if (!pb_field(&r, &number, &wire, &v, &sub))
            return snprintf(why, wn, "malformed TensorProto"), 0;
        if (number == 1) { /* dims */
            pb one = {NULL, NULL};
            pb *src = wire == 2 ? &sub : &one;
            do {
                if (wire == 2 && !pb_varint(src, &v))
                    return snprintf(why, wn, "malformed dims"), 0;
                if (ndim >= RUNT_MAX_DIMS)
                    return snprintf(why, wn, "more than %d dims", RUNT_MAX_DIMS), 0;
                t->dims[ndim++] = (int64_t)v;
            } while (wire == 2 && sub.p < sub.end);
        } else if (number == 2) {
            t->onnx_type = (int64_t)v;
        } else if (number == 8 && wire == 2) {
            size_t n = (size_t)(sub.end - sub.p);
            n = n < sizeof t->name - 1 ? n : sizeof t->name - 1;
            memcpy(t->name, sub.p, n);
            t->name[n] = '\0';
        } else if (number == 14 && v == 1) {
            return snprintf(why, wn, "external data"), 0;
        }
    }
    t->ndim = ndim;
    t->count = 1;
    for (int d = 0; d < ndim; d++) {
        if (t->dims[d] < 0 || t->dims[d] > (1 << 28))
            return snprintf(why, wn, "dim %d is %lld", d, (long long)t->dims[d]), 0;
        t->count *= (size_t)t->dims[d];
    }
    if (!test_dtype(t->onnx_type, &t->dtype))
        return snprintf(why, wn, "data type %s (%lld) is not one runt computes",
                        type_name(t->onnx_type), (long long)t->onnx_type), 0;
    return 1;
}

/* The second pass: raw_data or the typed field of the dtype. */
static int tensor_data(const uint8_t *buf, size_t size, test_tensor *t, char *why, size_t wn)
{
    pb r = {buf, buf + size}, sub;
    uint32_t number, typed = t->dtype == RUNT_F32 ? 4 : t->dtype == RUNT_I64 ? 7 : 5;
    int wire;
    uint64_t v;
    size_t esize = runt_dtype_size(t->dtype), filled = 0;
    if (!(t->data = calloc(t->count ? t->count : 1, esize)))
        return snprintf(why, wn, "out of memory"), 0;
    while (r.p < r.end) {
        if (!pb_field(&r, &number, &wire, &v, &sub))
            return snprintf(why, wn, "malformed TensorProto"), 0;
        if (number == 9 && wire == 2) {
            if ((size_t)(sub.end - sub.p) != t->count * esize)
                return snprintf(why, wn, "raw_data holds %zu bytes, dims need %zu",
                                (size_t)(sub.end - sub.p), t->count * esize), 0;
            memcpy(t->data, sub.p, t->count * esize); /* little-endian hosts only */
            filled = t->count;
        } else if (number == typed && !tensor_typed(t, &filled, wire, v, &sub)) {
            return snprintf(why, wn, "malformed or overlong typed data"), 0;
        }
    }
    if (filled != t->count)
        return snprintf(why, wn, "holds %zu elements, dims need %zu", filled, t->count), 0;
    return 1;
}

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    *size = n > 0 ? (size_t)n : 0;
    return buf;
}

/* 1 and *t filled, or 0 and why. */
static int tensor_read(const char *path, test_tensor *t, char *why, size_t wn)
{
    size_t size;
    uint8_t *buf = read_file(path, &size);
    memset(t, 0, sizeof *t);
    if (!buf)
        return snprintf(why, wn, "%.300s: cannot read", path), 0;
    int ok = tensor_header(buf, size, t, why, wn) && tensor_data(buf, size, t, why, wn);
    free(buf);
    return ok;
}

static void tensor_free(test_tensor *t)
{
    free(t->data);
    t->data = NULL;
}

static runt_tensor tensor_view(const test_tensor *t)
{
    runt_tensor v;
    memset(&v, 0, sizeof v);
    v.dtype = t->dtype;
    v.ndim = t->ndim;
    memcpy(v.dims, t->dims, sizeof v.dims);
    v.data = t->data;
    return v;
}

/* ------------------------------------------------------------------------- */
/* A case: model and data sets                                               */
/* ------------------------------------------------------------------------- */

typedef struct data_set {
    int n_in, n_out;
    test_tensor in[MAX_IO], out[MAX_IO];
} data_set;

typedef struct test_case {
    const char *name;
    char dir[4096];
    int n_sets;
    data_set sets[MAX_SETS];
    runt_model *model;
    int n_frozen;
    const char *frozen_names[MAX_IO];
    runt_tensor frozen[MAX_IO];
} test_case;

static void case_free(test_case *c)
{
    for (int s = 0; s < c->n_sets; s++) {
        for (int i = 0; i < c->sets[s].n_in; i++)
            tensor_free(&c->sets[s].in[i]);
        for (int i = 0; i < c->sets[s].n_out; i++)
            tensor_free(&c->sets[s].out[i]);
    }
    runt_model_free(c->model);
    c->model = NULL;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* input_0.pb, input_1.pb, ... until one is missing. */
static int read_tensors(const char *dir, const char *kind, test_tensor *ts, int *n, char *why,
                        size_t wn)
{
    char path[4200];
    for (*n = 0; *n < MAX_IO; (*n)++) {
        snprintf(path, sizeof path, "%s/%s_%d.pb", dir, kind, *n);
        if (!file_exists(path))
            return 1;
        char inner[REASON_MAX];
        if (!tensor_read(path, &ts[*n], inner, sizeof inner)) {
            snprintf(why, wn, "test data %s_%d.pb: %s", kind, *n, inner);
            (*n)++; /* freed with the rest */
            return 0;
        }
    }
    return 1;
}

static int read_sets(test_case *c, char *why, size_t wn)
{
    char dir[4200];
    for (c->n_sets = 0; c->n_sets < MAX_SETS; c->n_sets++) {
        snprintf(dir, sizeof dir, "%s/test_data_set_%d", c->dir, c->n_sets);
        if (!file_exists(dir))
            break;
        data_set *s = &c->sets[c->n_sets];
        int ok = read_tensors(dir, "input", s->in, &s->n_in, why, wn) &&
                 read_tensors(dir, "output", s->out, &s->n_out, why, wn);
        if (!ok) {
            c->n_sets++;
            return 0;
        }
    }
    if (!c->n_sets)
        return snprintf(why, wn, "no test_data_set_0"), 0;
    return 1;
}

/* The test input that a "must be a constant" refusal names, not yet frozen. */
static const test_tensor *input_to_freeze(const test_case *c, const char *message)
{
    if (!strstr(message, "must be a constant"))
        return NULL;
    for (int i = 0; i < c->sets[0].n_in; i++) {
        const test_tensor *t = &c->sets[0].in[i];
        char quoted[300];
        int frozen = 0;
        snprintf(quoted, sizeof quoted, "('%s'", t->name);
        for (int j = 0; j < c->n_frozen; j++)
            frozen |= strcmp(c->frozen_names[j], t->name) == 0;
        if (!frozen && strstr(message, quoted))
            return t;
    }
    return NULL;
}

/* Loads model.onnx, freezing the inputs the loader wants constant (the
 * values of the first data set: every set of a node test shares them). */
static runt_status load_model(test_case *c, char *why, size_t wn)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/model.onnx", c->dir);
    for (;;) {
        runt_load_options o;
        memset(&o, 0, sizeof o);
        o.n_constant_inputs = c->n_frozen;
        o.constant_input_names = c->frozen_names;
        o.constant_inputs = c->frozen;
        runt_status s = runt_model_load_file(path, &o, &c->model);
        if (s == RUNT_OK)
            return s;
        snprintf(why, wn, "%s: %s", runt_status_name(s), runt_last_error());
        const test_tensor *t = s == RUNT_E_UNSUPPORTED ? input_to_freeze(c, runt_last_error()) : NULL;
        if (!t || c->n_frozen == MAX_IO)
            return s;
        c->frozen_names[c->n_frozen] = t->name;
        c->frozen[c->n_frozen++] = tensor_view(t);
    }
}

/* ------------------------------------------------------------------------- */
/* Running and comparing                                                     */
/* ------------------------------------------------------------------------- */

typedef enum outcome { PASSED, FAILED, SKIPPED } outcome;

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

static const test_tensor *find_tensor(const test_tensor *ts, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(ts[i].name, name) == 0)
            return &ts[i];
    return NULL;
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

static outcome run_on(const test_case *c, const char *backend, char *why, size_t wn)
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

/* ------------------------------------------------------------------------- */
/* Tallies and the report                                                    */
/* ------------------------------------------------------------------------- */

typedef struct skip_note {
    char test[160];
    char reason[REASON_MAX];
} skip_note;

typedef struct tally {
    const char *backend;
    int passed, failed, skipped;
    skip_note *skips;
    int cap_skips;
} tally;

static void note_skip(tally *t, const char *test, const char *reason)
{
    if (t->skipped == t->cap_skips) {
        int cap = t->cap_skips ? 2 * t->cap_skips : 64;
        skip_note *p = realloc(t->skips, (size_t)cap * sizeof *p);
        if (!p) {
            t->skipped++;
            return;
        }
        t->skips = p;
        t->cap_skips = cap;
    }
    snprintf(t->skips[t->skipped].test, sizeof t->skips[0].test, "%s", test);
    snprintf(t->skips[t->skipped].reason, sizeof t->skips[0].reason, "%s", reason);
    t->skipped++;
}

static void record(tally *t, const char *test, outcome r, const char *why, int verbose)
{
    const char *known = known_difference_for(test);
    if (r == FAILED && known) {
        char reason[REASON_MAX];
        snprintf(reason, sizeof reason, "known difference: %s", known);
        note_skip(t, test, reason);
        return;
    }
    if (r == PASSED && known)
        printf("NOTE  %-5s %s: passes; remove it from known_differences\n", t->backend, test);
    if (r == PASSED) {
        t->passed++;
        if (verbose)
            printf("ok    %-5s %s\n", t->backend, test);
    } else if (r == FAILED) {
        t->failed++;
        printf("FAIL  %-5s %s: %s\n", t->backend, test, why);
    } else {
        note_skip(t, test, why);
    }
}

static void report(const tally *t)
{
    if (t->skipped)
        printf("skipped on %s (unsupported):\n", t->backend);
    for (int i = 0; i < t->skipped && i < t->cap_skips; i++)
        printf("  %s: %s\n", t->skips[i].test, t->skips[i].reason);
    printf("== backend %s\n%d passed, %d failed, %d skipped\n", t->backend, t->passed,
           t->failed, t->skipped);
}

/* ------------------------------------------------------------------------- */
/* Main                                                                      */
/* ------------------------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The case folders (those holding a model.onnx), sorted. */
static char **list_cases(const char *dir, int *n)
{
    DIR *d = opendir(dir);
    char **names = NULL, path[4200];
    int cap = 0;
    struct dirent *e;
    *n = 0;
    if (!d)
        return NULL;
    while ((e = readdir(d))) {
        snprintf(path, sizeof path, "%s/%s/model.onnx", dir, e->d_name);
        if (e->d_name[0] == '.' || !file_exists(path))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 256;
            char **p = realloc(names, (size_t)cap * sizeof *p);
            if (!p)
                break;
            names = p;
        }
        names[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    if (names)
        qsort(names, (size_t)*n, sizeof *names, by_name);
    return names;
}

/* 1 if the data folder is usable; prints why not otherwise. */
static int data_ready(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/UNAVAILABLE", dir);
    size_t size;
    uint8_t *why = read_file(path, &size);
    if (why) {
        why[size] = '\0';
        printf("SKIPPED: no ONNX node test data: %s", (const char *)why);
        free(why);
        return 0;
    }
    if (!file_exists(dir)) {
        printf("SKIPPED: no ONNX node test data in %s (scripts/onnx-node-data.py writes it; it "
               "needs python3 with onnx)\n", dir);
        return 0;
    }
    return 1;
}

/* The generator leaves out cases with op types runt does not read and lists
 * them in excluded.txt, one per line: say how many. */
static void note_excluded(const char *dir)
{
    char path[4200], line[1024];
    int n = 0;
    snprintf(path, sizeof path, "%s/excluded.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        n += line[0] != '#' && strchr(line, '\n');
    fclose(f);
    printf("not generated: %d node cases use op types runt does not read (%s)\n", n, path);
}

static int selected(const char *name, char **filters, int n_filters)
{
    for (int i = 0; i < n_filters; i++)
        if (strstr(name, filters[i]))
            return 1;
    return n_filters == 0;
}

/* The backends to run: the one named (which must be available), or all
 * available ones. */
static int pick_backends(const char *only, tally *ts, runt_device_info *infos)
{
    int count = 0, n = 0;
    runt_backend_count(&count);
    for (int i = 0; i < count && n < MAX_BACKENDS; i++) {
        runt_device_info *d = &infos[n];
        if (runt_backend_info(i, d) != RUNT_OK || (only && strcmp(d->backend, only) != 0))
            continue;
        if (!d->available) {
            printf("backend %s is not available: %s\n", d->backend, d->reason);
            continue;
        }
        memset(&ts[n], 0, sizeof ts[n]);
        ts[n].backend = d->backend;
        n++;
    }
    return n;
}

static void run_case(const char *data_dir, const char *name, tally *ts, int n_backends,
                     int verbose)
{
    static test_case c; /* large: data sets of tensors */
    char why[REASON_MAX * 2];
    memset(&c, 0, sizeof c);
    c.name = name;
    snprintf(c.dir, sizeof c.dir, "%s/%s", data_dir, name);
    outcome load = PASSED;
    if (!read_sets(&c, why, sizeof why))
        load = strstr(why, "not one runt computes") ? SKIPPED : FAILED;
    else if (load_model(&c, why, sizeof why) != RUNT_OK)
        load = strncmp(why, "RUNT_E_UNSUPPORTED", 18) == 0 ? SKIPPED : FAILED;
    for (int b = 0; b < n_backends; b++) {
        outcome r = load;
        if (load == PASSED)
            r = run_on(&c, ts[b].backend, why, sizeof why);
        record(&ts[b], name, r, why, verbose);
    }
    case_free(&c);
}

int main(int argc, char **argv)
{
    const char *data_dir = NULL, *only = NULL;
    char **filters = calloc((size_t)argc, sizeof *filters);
    int n_filters = 0, verbose = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc)
            only = argv[++i];
        else if (strcmp(argv[i], "--verbose") == 0)
            verbose = 1;
        else if (!data_dir)
            data_dir = argv[i];
        else if (filters)
            filters[n_filters++] = argv[i];
    }
    if (!data_dir || !filters) {
        fprintf(stderr, "usage: %s DATA_DIR [--backend NAME] [--verbose] [SUBSTRING ...]\n",
                argv[0]);
        return 2;
    }
    if (!data_ready(data_dir))
        return EXIT_SKIP;
    tally ts[MAX_BACKENDS];
    runt_device_info infos[MAX_BACKENDS];
    int n_backends = pick_backends(only, ts, infos);
    if (!n_backends) {
        printf("SKIPPED: no available backend%s%s\n", only ? " named " : "", only ? only : "");
        return EXIT_SKIP;
    }
    int n_cases;
    char **names = list_cases(data_dir, &n_cases);
    for (int i = 0; i < n_cases; i++) {
        if (selected(names[i], filters, n_filters))
            run_case(data_dir, names[i], ts, n_backends, verbose);
        free(names[i]);
    }
    free(names);
    free(filters);
    note_excluded(data_dir);
    int failed = 0;
    for (int b = 0; b < n_backends; b++) {
        report(&ts[b]);
        failed += ts[b].failed;
        free(ts[b].skips);
    }
    if (n_cases == 0) {
        printf("no cases in %s\n", data_dir);
        return 1;
    }
    return failed ? 1 : 0;
}
