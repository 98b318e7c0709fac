/* `runt bench`: the measuring loop over cases, backends, dtypes and math
 * modes, and the outputs; the options are parsed and checked in bench_options.c. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, uname */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "arg_values.h"
#include "bench_options.h"
#include "cost_model.h"
#include "measure.h"
#include "peers.h"
#include "runt-backend.h"
#include "stats.h"
#include "suite.h"

/* Backends runt knows of, so that asking for one this build lacks is a
 * note ("not in this build"), not a usage error. */
static const char *const runt_bench_known_backends[] = {"ref", "cpu", "cuda"};

/* ------------------------------------------------------------------------- */
/* Backends and host                                                         */
/* ------------------------------------------------------------------------- */

typedef struct runt_bench_backends {
    int n;
    char names[RUNT_BENCH_MAX_BACKENDS][16];
} runt_bench_backends;

static int runt_bench_is_known(const char *name)
{
    for (size_t i = 0; i < sizeof runt_bench_known_backends / sizeof runt_bench_known_backends[0]; i++)
        if (strcmp(name, runt_bench_known_backends[i]) == 0)
            return 1;
    return 0;
}

/* 1: available (added to list), 0: noted as unavailable, -1: unknown name. */
static int runt_bench_add_backend(const char *name, runt_bench_backends *list, runt_bench_report *r)
{
    int n = 0;
    runt_backend_count(&n);
    for (int i = 0; i < n; i++) {
        runt_device_info info;
        if (runt_backend_info(i, &info) != RUNT_OK || strcmp(info.backend, name) != 0)
            continue;
        if (!info.available) {
            runt_bench_note(r, "%s: unavailable: %s", name, info.reason);
            return 0;
        }
        for (int k = 0; k < list->n; k++)
            if (strcmp(list->names[k], name) == 0)
                return 1;
        if (list->n == RUNT_BENCH_MAX_BACKENDS)
            return 1;
        snprintf(list->names[list->n++], sizeof list->names[0], "%s", name);
        return 1;
    }
    if (!runt_bench_is_known(name))
        return -1;
    runt_bench_note(r, "%s: unavailable: not in this build (its backend was not compiled; see "
                       "the README's build options)", name);
    return 0;
}

static int runt_bench_resolve_backends(const char *spec, runt_bench_backends *list,
                                       runt_bench_report *r, FILE *err)
{
    memset(list, 0, sizeof *list);
    if (!spec) {
        /* The default backend: the CPU one where it works, else the reference. */
        if (runt_bench_add_backend("cpu", list, r) != 1) {
            r->n_notes = 0; /* not asked for: not worth a note */
            runt_bench_add_backend("ref", list, r);
        }
        return 0;
    }
    if (strcmp(spec, "all") == 0) {
        for (size_t i = 0; i < sizeof runt_bench_known_backends / sizeof runt_bench_known_backends[0]; i++)
            runt_bench_add_backend(runt_bench_known_backends[i], list, r);
        int n = 0;
        runt_backend_count(&n);
        for (int i = 0; i < n; i++) {
            runt_device_info info;
            if (runt_backend_info(i, &info) == RUNT_OK && !runt_bench_is_known(info.backend))
                runt_bench_add_backend(info.backend, list, r);
        }
        return 0;
    }
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (runt_bench_add_backend(t, list, r) < 0)
            return runt_bench_usage(err, "no backend named", t);
    return 0;
}

static void runt_bench_host(runt_bench_report *r, int threads)
{
    snprintf(r->cpu, sizeof r->cpu, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        const char *v = strchr(line, ':');
        if (v && (strncmp(line, "model name", 10) == 0 || strncmp(line, "Hardware", 8) == 0)) {
            v += 1 + strspn(v + 1, " \t");
            snprintf(r->cpu, sizeof r->cpu, "%.*s", (int)strcspn(v, "\n"), v);
            break;
        }
    }
    if (f)
        fclose(f);
    /* The CPU backend's description adds the kernel tier its sessions use. */
    int count = 0;
    runt_device_info info;
    for (int i = 0; runt_backend_count(&count) == RUNT_OK && i < count; i++)
        if (runt_backend_info(i, &info) == RUNT_OK && !strcmp(info.backend, "cpu") &&
            info.available)
            snprintf(r->cpu, sizeof r->cpu, "%s", info.name);
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(r->os, sizeof r->os, "%.30s %.70s %.20s", u.sysname, u.release, u.machine);
    else
        snprintf(r->os, sizeof r->os, "unknown OS");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int n = 0;
    runt_backend_count(&n);
    for (int i = 0; i < n; i++) {
        runt_device_info info;
        /* The CPU backend counts the cores this process may use (affinity). */
        if (runt_backend_info(i, &info) == RUNT_OK && strcmp(info.backend, "cpu") == 0)
            cores = info.compute_units;
    }
    r->threads = threads > 0 ? threads : (int)(cores > 0 ? cores : 1);
    /* Other processes on the machine move medians; say how busy it was. */
    double load;
    FILE *l = fopen("/proc/loadavg", "r");
    if (l && fscanf(l, "%lf", &load) == 1 && load >= 0.5)
        runt_bench_note(r, "load average %.2f on %ld CPUs when the bench started: other processes "
                           "shared the machine, so read each median with its p10..p90", load, cores);
    if (l)
        fclose(l);
}

/* ------------------------------------------------------------------------- */
/* Measuring                                                                 */
/* ------------------------------------------------------------------------- */

typedef struct runt_bench_ctx {
    const runt_bench_options *o;
    runt_bench_report *r;
    FILE *err;
    int done, total, failures;
    char peer_dir[64];
    int peers_off;
    /* Copy timings already measured: rows with equal inputs share them. */
    int n_copies;
    struct { char backend[16]; double bytes; int to_device; double us; } copies[64];
    /* The case's f32 outputs per backend (dtype f32, math f32): what every
     * other row of the case on that backend is compared with. */
    int n_refs;
    struct { char backend[16]; float *values; size_t count; } refs[RUNT_BENCH_MAX_BACKENDS];
} runt_bench_ctx;

static runt_bench_row *runt_bench_new_row(runt_bench_report *r)
{
    if (r->n_rows == r->cap_rows) {
        int cap = r->cap_rows ? 2 * r->cap_rows : 128;
        runt_bench_row *p = realloc(r->rows, (size_t)cap * sizeof *p);
        if (!p)
            return NULL;
        r->rows = p;
        r->cap_rows = cap;
    }
    runt_bench_row *w = &r->rows[r->n_rows++];
    memset(w, 0, sizeof *w);
    w->median_us = w->p10_us = w->p90_us = w->first_run_us = NAN;
    w->h2d_us = w->d2h_us = w->gflops = w->gbps = w->predicted_us = NAN;
    w->torch_us = w->ort_us = w->torch_graph_us = w->create_us = w->err_vs_f32 = NAN;
    for (int b = 0; b < RUNT_BOUND_COUNT; b++)
        w->terms_us[b] = NAN;
    return w;
}

/* One copy's time (NAN when the backend cannot run the probe), measured
 * once per backend, size and direction. */
static double runt_bench_copy_us(runt_bench_ctx *x, const char *backend, double bytes, int to_device)
{
    for (int i = 0; i < x->n_copies; i++)
        if (x->copies[i].bytes == bytes && x->copies[i].to_device == to_device &&
            strcmp(x->copies[i].backend, backend) == 0)
            return x->copies[i].us;
    runt_calibration_config cc = runt_calibration_config_default();
    cc.min_time_s = x->o->measure.min_time_s / 2;
    cc.min_reps = x->o->measure.min_reps;
    double us;
    if (runt_calibration_copy_us(backend, x->o->threads, bytes, to_device, &cc, &us) != RUNT_OK)
        us = NAN;
    if (x->n_copies < (int)(sizeof x->copies / sizeof x->copies[0])) {
        int i = x->n_copies++;
        snprintf(x->copies[i].backend, sizeof x->copies[i].backend, "%s", backend);
        x->copies[i].bytes = bytes;
        x->copies[i].to_device = to_device;
        x->copies[i].us = us;
    }
    return us;
}

/* Device backends: the copies of this row's inputs and outputs, each timed
 * on its own (the seed's "data transfer" case), from pageable host memory. */
static void runt_bench_copies(runt_bench_ctx *x, const runt_calibration *cal, double in_bytes,
                              double out_bytes, runt_bench_row *w)
{
    w->h2d_us = runt_bench_copy_us(x, cal->backend, in_bytes, 1);
    w->d2h_us = runt_bench_copy_us(x, cal->backend, out_bytes, 0);
}

static runt_session_options runt_bench_session_options(const runt_bench_ctx *x,
                                                       const runt_bench_case *c,
                                                       const runt_calibration *cal,
                                                       runt_dtype dtype, runt_math_mode math)
{
    runt_session_options so = runt_session_options_default();
    so.backend = cal->backend;
    so.batch = c->batch;
    so.compute_dtype = dtype;
    so.math = math;
    so.threads = x->o->threads;
    return so;
}

static void runt_bench_refs_clear(runt_bench_ctx *x)
{
    for (int i = 0; i < x->n_refs; i++)
        free(x->refs[i].values);
    x->n_refs = 0;
}

/* The case's f32 reference on w's backend: the outputs of this row's own
 * session when it is the f32 row, else those of the f32 row run earlier,
 * else of a session made for the purpose (--dtype int8 or --math tf32
 * alone). NULL, with the error set, when none can be had. */
static const float *runt_bench_reference(runt_bench_ctx *x, const runt_bench_case *c,
                                         const runt_model *m, const runt_calibration *cal,
                                         runt_session *own, int own_is_f32, size_t *count)
{
    for (int i = 0; i < x->n_refs; i++)
        if (strcmp(x->refs[i].backend, cal->backend) == 0) {
            *count = x->refs[i].count;
            return x->refs[i].values;
        }
    if (x->n_refs == RUNT_BENCH_MAX_BACKENDS) {
        runt_error_set(RUNT_E_OOM, "bench: more backends than references");
        return NULL;
    }
    runt_session *s = own;
    if (!own_is_f32) {
        runt_session_options so = runt_bench_session_options(x, c, cal, RUNT_F32, RUNT_MATH_F32);
        if (runt_session_create(m, &so, &s) != RUNT_OK) {
            runt_error_prefix(RUNT_E_BACKEND, "the f32 session to compare with");
            return NULL;
        }
    }
    float *values = NULL;
    runt_status rc = runt_measure_outputs(s, &values, count);
    if (s != own)
        runt_session_free(s);
    if (rc != RUNT_OK)
        return NULL;
    int i = x->n_refs++;
    snprintf(x->refs[i].backend, sizeof x->refs[i].backend, "%s", cal->backend);
    x->refs[i].values = values;
    x->refs[i].count = *count;
    return values;
}

static int runt_bench_all_finite(const float *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

/* w's error against the f32 reference. A row whose outputs hold a NaN or
 * an infinity where the reference's are finite failed (a wrong answer is
 * never a small error). The error stays NAN for the f32 row itself (it is
 * the reference), where the backend cannot make an f32 reference or its
 * reference is not finite or all zero (nothing to measure against), and
 * for a model without f32 outputs. */
static runt_status runt_bench_error(runt_bench_ctx *x, const runt_bench_case *c,
                                    const runt_model *m, const runt_calibration *cal,
                                    runt_session *s, runt_dtype dtype, runt_math_mode math,
                                    runt_bench_row *w)
{
    int is_f32 = dtype == RUNT_F32 && math == RUNT_MATH_F32;
    size_t n_ref = 0, n = 0;
    const float *ref = runt_bench_reference(x, c, m, cal, s, is_f32, &n_ref);
    if (!ref && is_f32)
        return RUNT_E_BACKEND; /* this row's own run failed */
    if (!ref) {
        runt_error_clear();
        return RUNT_OK;
    }
    if (is_f32 || !runt_bench_all_finite(ref, n_ref))
        return RUNT_OK;
    float *y = NULL;
    runt_status rc = runt_measure_outputs(s, &y, &n);
    if (rc == RUNT_OK && n != n_ref)
        rc = runt_error_set(RUNT_E_BACKEND, "bench: %zu output values, the f32 session gave %zu",
                            n, n_ref);
    if (rc == RUNT_OK && n > 0) {
        w->err_vs_f32 = runt_stats_rel_l2(y, ref, n);
        if (isnan(w->err_vs_f32))
            rc = runt_error_set(RUNT_E_BACKEND, "outputs hold a NaN or an infinity where the "
                                "f32 session's are finite");
        else if (isinf(w->err_vs_f32))
            w->err_vs_f32 = NAN; /* an all-zero reference: no relative error exists */
    }
    free(y);
    return rc;
}

static void runt_bench_fill(runt_bench_ctx *x, const runt_bench_case *c,
                            const runt_model *model, runt_session *s,
                            const runt_calibration *cal, runt_dtype dtype, runt_math_mode math,
                            runt_bench_row *w)
{
    runt_session_stats st;
    runt_measurement m;
    runt_status rc = runt_session_stats_get(s, &st);
    if (rc == RUNT_OK) {
        w->params = st.total.params;
        w->flops = st.total.flops;
        w->bytes = st.total.bytes_read + st.total.bytes_written;
        w->launches = st.launches;
        rc = runt_measure_session(s, &x->o->measure, &m);
    }
    /* Only after a success: counting the outputs ends on an "index out of
     * range" message, which would hide why the measurement failed. */
    double in_bytes = 0, out_bytes = 0;
    runt_cost_prediction p;
    if (rc == RUNT_OK) {
        runt_cost_model_io_bytes(s, &in_bytes, &out_bytes);
        rc = runt_cost_model_explain(cal, s, dtype, in_bytes, out_bytes, NULL, &p);
    }
    if (rc == RUNT_OK)
        rc = runt_bench_error(x, c, model, cal, s, dtype, math, w);
    if (rc != RUNT_OK) {
        w->status = RUNT_ROW_FAILED;
        snprintf(w->note, sizeof w->note, "%s", runt_last_error());
        return;
    }
    w->predicted_us = p.us;
    for (int b = 0; b < RUNT_BOUND_COUNT; b++)
        w->terms_us[b] = p.by_bound[b];
    snprintf(w->bound, sizeof w->bound, "%s", runt_cost_model_bound_name(cal, p.bound));
    w->median_us = m.median_us;
    w->p10_us = m.p10_us;
    w->p90_us = m.p90_us;
    w->first_run_us = m.first_run_us;
    w->reps = m.reps;
    w->gflops = (double)w->flops / m.median_us * 1e-3;
    w->gbps = (double)w->bytes / m.median_us * 1e-3;
    if (!cal->host_memory)
        runt_bench_copies(x, cal, in_bytes, out_bytes, w);
}

static void runt_bench_progress(runt_bench_ctx *x, const runt_bench_row *w)
{
    x->done++;
    char kind[24];
    snprintf(kind, sizeof kind, "%s%s%s", w->dtype, runt_bench_row_f32_math(w) ? "" : "/",
             runt_bench_row_f32_math(w) ? "" : w->math);
    if (w->status == RUNT_ROW_MEASURED)
        fprintf(x->err, "[%3d/%d] %-4s %-4s %-24s b%-5lld %10.2f us (p10 %.2f, p90 %.2f, %d runs)\n",
                x->done, x->total, w->backend, kind, w->model, (long long)w->batch,
                w->median_us, w->p10_us, w->p90_us, w->reps);
    else
        fprintf(x->err, "[%3d/%d] %-4s %-4s %-24s b%-5lld %s: %s\n", x->done, x->total, w->backend,
                kind, w->model, (long long)w->batch,
                w->status == RUNT_ROW_UNSUPPORTED ? "not supported" : "failed", w->note);
    fflush(x->err);
}

static runt_status runt_bench_row_run(runt_bench_ctx *x, const runt_bench_case *c,
                                      const runt_model *m, const runt_calibration *cal,
                                      runt_dtype dtype, runt_math_mode math)
{
    runt_bench_row *w = runt_bench_new_row(x->r);
    if (!w)
        return runt_error_set(RUNT_E_OOM, "bench: out of memory for rows");
    snprintf(w->suite, sizeof w->suite, "%s", c->suite);
    snprintf(w->model, sizeof w->model, "%s", c->name);
    snprintf(w->family, sizeof w->family, "%s", c->family);
    snprintf(w->backend, sizeof w->backend, "%s", cal->backend);
    snprintf(w->dtype, sizeof w->dtype, "%s", runt_dtype_name(dtype));
    snprintf(w->math, sizeof w->math, "%s", runt_math_arg_name(math));
    w->batch = c->batch;
    runt_model_counts(m, NULL, NULL, &w->layers);
    /* The model's own counts, so a row that cannot run still says what it
     * is; a measured row takes its session's (after fusion) below. */
    runt_cost total;
    int n_rows;
    if (runt_model_describe(m, c->batch, NULL, 0, &n_rows, &total) == RUNT_OK) {
        w->params = total.params;
        w->flops = total.flops;
        w->bytes = total.bytes_read + total.bytes_written;
    }
    runt_session_options so = runt_bench_session_options(x, c, cal, dtype, math);
    runt_session *s;
    double t0 = runt_clock_us();
    runt_status rc = runt_session_create(m, &so, &s);
    w->create_us = runt_clock_us() - t0;
    if (rc != RUNT_OK) {
        w->create_us = NAN;
        /* int8 on the reference backend and the like: a fact, not a failure. */
        w->status = rc == RUNT_E_UNSUPPORTED ? RUNT_ROW_UNSUPPORTED : RUNT_ROW_FAILED;
        snprintf(w->note, sizeof w->note, "%s", runt_last_error());
    } else {
        runt_bench_fill(x, c, m, s, cal, dtype, math, w);
        runt_session_free(s);
    }
    x->failures += w->status == RUNT_ROW_FAILED;
    runt_bench_progress(x, w);
    return RUNT_OK;
}

/* The model's input at the case's batch, for the peers. */
static runt_status runt_bench_input_shape(const runt_model *m, int64_t batch, runt_tensor *t)
{
    runt_io_info io;
    runt_status rc = runt_model_input(m, 0, &io);
    if (rc != RUNT_OK)
        return rc;
    *t = io.desc;
    for (int d = 0; d < t->ndim; d++)
        if (t->dims[d] == RUNT_DIM_BATCH)
            t->dims[d] = batch;
    return RUNT_OK;
}

/* PyTorch and ONNX Runtime on the same model, on the CPU for the f32 rows
 * of host backends and on the GPU for those of device backends (rows
 * first..n_rows of case c). */
static void runt_bench_peers(runt_bench_ctx *x, const runt_bench_case *c, const runt_model *m,
                             int first)
{
    if (x->peers_off)
        return;
    char path[600];
    const char *why = NULL;
    runt_tensor in;
    if (c->kind == RUNT_CASE_FILE) {
        snprintf(path, sizeof path, "%s", c->path);
    } else {
        if (!x->peer_dir[0]) {
            snprintf(x->peer_dir, sizeof x->peer_dir, "/tmp/runt-peers-XXXXXX");
            if (!mkdtemp(x->peer_dir)) {
                x->peer_dir[0] = '\0';
                why = "cannot create a temporary directory";
            }
        }
        snprintf(path, sizeof path, "%s/%s.onnx", x->peer_dir, c->name);
        if (!why && runt_model_save_onnx(m, path) != RUNT_OK)
            why = runt_last_error();
    }
    if (!why && runt_bench_input_shape(m, c->batch, &in) != RUNT_OK)
        why = runt_last_error();
    for (int device = 0; device < 2 && !x->peers_off; device++) {
        int wanted = 0;
        for (int i = first; i < x->r->n_rows; i++) {
            const runt_bench_row *w = &x->r->rows[i];
            for (int d = 0; d < x->r->n_devices; d++)
                if (strcmp(x->r->devices[d].backend, w->backend) == 0 &&
                    x->r->devices[d].host_memory == !device && w->status == RUNT_ROW_MEASURED &&
                    strcmp(w->dtype, "f32") == 0 && runt_bench_row_f32_math(w))
                    wanted = 1;
        }
        if (!wanted)
            continue;
        runt_peer_result p;
        const char *where = device ? "cuda" : "cpu";
        if (!why && runt_peer_run(path, &in, where, x->r->threads, x->o->measure.min_time_s,
                                  x->o->measure.min_reps, &p) != RUNT_OK) {
            /* No script or no python: every later case would fail the same way. */
            runt_bench_note(x->r, "peers: %s; peer columns are null", runt_last_error());
            x->peers_off = 1;
            break;
        }
        if (!why) {
            snprintf(x->r->torch_version, sizeof x->r->torch_version, "%s", p.torch_version);
            snprintf(x->r->ort_version, sizeof x->r->ort_version, "%s", p.ort_version);
        }
        for (int i = first; i < x->r->n_rows; i++) {
            runt_bench_row *w = &x->r->rows[i];
            int host = 0;
            for (int d = 0; d < x->r->n_devices; d++)
                if (strcmp(x->r->devices[d].backend, w->backend) == 0)
                    host = x->r->devices[d].host_memory;
            if (w->status != RUNT_ROW_MEASURED || strcmp(w->dtype, "f32") != 0 ||
                !runt_bench_row_f32_math(w) || host == device)
                continue;
            if (why) {
                snprintf(w->note, sizeof w->note, "peers: %.240s", why);
                continue;
            }
            w->torch_us = p.torch_us;
            w->ort_us = p.ort_us;
            w->torch_graph_us = p.torch_graph_us;
            if (p.error[0])
                snprintf(w->note, sizeof w->note, "peers: %.240s", p.error);
        }
        fprintf(x->err, "        peers %-18s %s: torch %.2f us, onnxruntime %.2f us%s%s\n", c->name,
                where, why ? NAN : p.torch_us, why ? NAN : p.ort_us, why ? ": " : "",
                why ? why : "");
        if (device && !why)
            fprintf(x->err, "        peers %-18s cuda: torch CUDA graph %.2f us\n", c->name,
                    p.torch_graph_us);
    }
    if (c->kind != RUNT_CASE_FILE)
        unlink(path);
}

static runt_status runt_bench_case_run(runt_bench_ctx *x, const runt_bench_case *c)
{
    runt_model *m;
    runt_status rc = runt_case_build(c, &m);
    if (rc != RUNT_OK)
        return rc;
    int first = x->r->n_rows;
    for (int d = 0; rc == RUNT_OK && d < x->r->n_devices; d++)
        for (int t = 0; rc == RUNT_OK && t < x->o->n_dtypes; t++)
            for (int k = 0; rc == RUNT_OK && k < x->o->n_maths; k++)
                rc = runt_bench_row_run(x, c, m, &x->r->devices[d], x->o->dtypes[t],
                                        x->o->maths[k]);
    runt_bench_refs_clear(x);
    if (rc == RUNT_OK && x->o->peers)
        runt_bench_peers(x, c, m, first);
    runt_model_free(m);
    return rc;
}

static runt_status runt_bench_cases(const runt_bench_options *o, runt_case_list *cases)
{
    if (o->model) {
        runt_bench_case c;
        memset(&c, 0, sizeof c);
        snprintf(c.suite, sizeof c.suite, "model");
        c.batch = o->batch;
        c.kind = o->model[0] == '@' ? RUNT_CASE_ZOO : RUNT_CASE_FILE;
        snprintf(c.path, sizeof c.path, "%s", o->model + (o->model[0] == '@'));
        /* The row's name: the file's base name without .onnx. */
        const char *base = strrchr(o->model, '/');
        base = base ? base + 1 : o->model + (o->model[0] == '@');
        size_t len = strlen(base);
        if (len > 5 && strcmp(base + len - 5, ".onnx") == 0)
            len -= 5;
        snprintf(c.name, sizeof c.name, "%.*s", (int)len, base);
        return runt_case_list_push(cases, &c) ? runt_error_set(RUNT_E_OOM, "bench: out of memory")
                                              : RUNT_OK;
    }
    double caches[RUNT_LEVEL_COUNT];
    runt_host_cache_bytes(1, caches);
    return runt_suite_append(cases, o->suite ? o->suite : "seeds", caches);
}

/* ------------------------------------------------------------------------- */
/* Entry                                                                     */
/* ------------------------------------------------------------------------- */

static int runt_bench_calibrate(runt_bench_ctx *x, const runt_bench_backends *list)
{
    for (int b = 0; b < list->n; b++) {
        int cached = 0;
        runt_calibration *cal = &x->r->devices[x->r->n_devices];
        if (runt_calibration_get(list->names[b], x->o->threads, x->o->cache_dir, x->o->recalibrate,
                                 cal, x->err, &cached) != RUNT_OK) {
            /* One backend that cannot be calibrated does not stop the others. */
            runt_bench_note(x->r, "%s: calibration failed, backend skipped: %s", list->names[b],
                            runt_last_error());
            fprintf(x->err, "note: %s\n", x->r->notes[x->r->n_notes - 1]);
            continue;
        }
        fprintf(x->err, "%s: calibration %s (%.1f GFLOP/s f32, %.3f us per node)\n", cal->backend,
                cached ? "from the cache" : "measured and cached", cal->peak_gflops, cal->launch_us);
        if (cal->raised) {
            char levels[64] = "";
            for (int l = 0; l < RUNT_LEVEL_COUNT; l++)
                if (cal->raised & (1 << l)) {
                    strncat(levels, levels[0] ? ", " : "", sizeof levels - strlen(levels) - 1);
                    strncat(levels, runt_level_names[l], sizeof levels - strlen(levels) - 1);
                }
            runt_bench_note(x->r, "%s: the calibration's %s probe ran slower than a farther "
                                  "level's and was raised to it (a stall or another process; "
                                  "runt devices --calibrate redoes it)", cal->backend, levels);
        }
        x->r->n_devices++;
    }
    if (x->r->n_devices == 0) {
        fprintf(x->err, "runt: bench: no backend could be calibrated\n");
        return 1;
    }
    return 0;
}

/* The table goes to out, or to err when the JSON or CSV takes out ("-"). */
static int runt_bench_outputs(const runt_bench_options *o, runt_bench_report *r, FILE *out,
                              FILE *err)
{
    int data_on_out = (o->json && strcmp(o->json, "-") == 0) || (o->csv && strcmp(o->csv, "-") == 0);
    FILE *table = data_on_out ? err : out;
    runt_bench_print_table(table, r);
    runt_bench_print_summary(table, r);
    runt_bench_print_verdicts(table, r);
    if (o->json && runt_bench_write_json_to(o->json, out, r) != RUNT_OK)
        return runt_bench_fail(err, o->json);
    if (o->csv && runt_bench_write_csv_to(o->csv, out, r) != RUNT_OK)
        return runt_bench_fail(err, o->csv);
    if (o->plots && runt_bench_write_plots(o->plots, r) != RUNT_OK)
        return runt_bench_fail(err, o->plots);
    return 0;
}

int runt_bench_main(int argc, char **argv, FILE *out, FILE *err)
{
    runt_bench_options o;
    int rc = runt_bench_parse(argc, argv, &o, err);
    if (rc || (rc = runt_bench_check_outputs(&o, err)) != 0 ||
        (rc = runt_bench_check_model_batch(&o, err)) != 0)
        return rc;
    /* No matplotlib: say so now, run the bench, and leave the plots to
     * bench/plot.py on a saved --json. */
    char plots_off[300] = "";
    if (o.plots && runt_bench_plots_available() != RUNT_OK) {
        snprintf(plots_off, sizeof plots_off, "--plots: no plots drawn: %s; bench/plot.py draws "
                 "them from a --json file", runt_last_error());
        o.plots = NULL;
    }
    runt_bench_report *r = calloc(1, sizeof *r);
    runt_case_list cases = {0};
    if (!r) {
        fprintf(err, "runt: bench: out of memory\n");
        return 1;
    }
    runt_bench_backends list;
    rc = runt_bench_resolve_backends(o.backends, &list, r, err);
    if (rc == 0 && list.n == 0) {
        fprintf(err, "runt: bench: no available backend (%s)\n",
                r->n_notes ? r->notes[0] : "none registered");
        rc = 1;
    }
    if (plots_off[0])
        runt_bench_note(r, "%s", plots_off);
    runt_bench_ctx x = {.o = &o, .r = r, .err = err};
    if (rc == 0) {
        for (int i = 0; i < r->n_notes; i++)
            fprintf(err, "note: %s\n", r->notes[i]);
        runt_bench_host(r, o.threads);
        rc = runt_bench_calibrate(&x, &list);
    }
    if (rc == 0 && runt_bench_cases(&o, &cases) != RUNT_OK)
        rc = runt_bench_fail(err, "cases");
    x.total = cases.n * r->n_devices * o.n_dtypes * o.n_maths;
    for (int i = 0; rc == 0 && i < cases.n; i++)
        if (runt_bench_case_run(&x, &cases.items[i]) != RUNT_OK)
            rc = runt_bench_fail(err, cases.items[i].kind == RUNT_CASE_FILE ? cases.items[i].path
                                                                            : cases.items[i].name);
    if (x.peer_dir[0])
        rmdir(x.peer_dir);
    if (rc == 0 && o.peers && !x.peers_off && !r->torch_version[0] && !r->ort_version[0])
        runt_bench_note(r, "peers: neither PyTorch nor ONNX Runtime is installed for python3");
    if (rc == 0)
        rc = runt_bench_outputs(&o, r, out, err);
    if (rc == 0 && x.failures) {
        fprintf(err, "runt: bench: %d rows failed (their notes say why)\n", x.failures);
        rc = 1;
    }
    runt_case_list_free(&cases);
    free(r->rows);
    free(r);
    return rc;
}
