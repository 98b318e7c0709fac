#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "calibrate.h"
#include "cli_args.h"
#include "cli_help.h"
#include "compile.h"
#include "cost_model.h"
#include "arg_values.h"
#include "json.h"
#include "model_batch.h"
#include "npy.h"
#include "output_check.h"
#include "runt.h"
#include "zoo.h"

#define RUNT_CLI_MAX_IO 8

/* "runt: what: message", without repeating what when the message names it. */
static int runt_cli_fail(FILE *err, const char *what)
{
    const char *msg = runt_last_error();
    if (strncmp(msg, what, strlen(what)) == 0)
        fprintf(err, "runt: %s\n", msg);
    else
        fprintf(err, "runt: %s: %s\n", what, msg);
    return 1;
}

/* One line, as DESIGN.md asks of every failure; `runt help` has the usage. */
static int runt_cli_usage_error(FILE *err, const char *msg, const char *arg)
{
    fprintf(err, "runt: %s%s%s (runt help: usage)\n", msg, arg ? " " : "", arg ? arg : "");
    return 2;
}

/* An output file for --json: "-" is standard output, anything else is
 * checked before the command does its work. */
static FILE *runt_cli_open_output(const char *path, FILE *out, FILE *err)
{
    if (strcmp(path, "-") == 0)
        return out;
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(err, "runt: --json %s: cannot write: %s\n", path, strerror(errno));
    return f;
}

static int runt_cli_close_output(FILE *f, FILE *out, const char *path, FILE *err)
{
    if (f == out ? fflush(f) != 0 : fclose(f) != 0) {
        fprintf(err, "runt: --json %s: writing failed\n", path);
        return 1;
    }
    return 0;
}

static runt_status runt_cli_load(const char *path, runt_model **m)
{
    if (path[0] == '@')
        return runt_zoo_build(path + 1, m);
    if (runt_cli_is_rnt(path))
        return runt_model_load_rnt_file(path, NULL, m);
    return runt_model_load_file(path, NULL, m);
}

static void runt_cli_shape(FILE *out, const runt_tensor *t, int width)
{
    char buf[96];
    size_t n = (size_t)snprintf(buf, sizeof buf, "[");
    for (int i = 0; i < t->ndim && n < sizeof buf; i++) {
        if (t->dims[i] == RUNT_DIM_BATCH)
            n += (size_t)snprintf(buf + n, sizeof buf - n, i ? ", N" : "N");
        else
            n += (size_t)snprintf(buf + n, sizeof buf - n, i ? ", %lld" : "%lld", (long long)t->dims[i]);
    }
    if (n < sizeof buf)
        snprintf(buf + n, sizeof buf - n, "]");
    fprintf(out, "%-*s", width, buf);
}

static int runt_cli_list_zoo(FILE *out)
{
    for (int i = 0; i < runt_zoo_count(); i++)
        fprintf(out, "@%-14s %s (batch %lld)\n", runt_zoo_get(i)->name, runt_zoo_get(i)->description,
                (long long)runt_zoo_get(i)->default_batch);
    return 0;
}

static void runt_cli_json_shape(runt_json *j, const char *key, const runt_tensor *t)
{
    runt_json_begin_array(j, key);
    for (int d = 0; d < t->ndim; d++) {
        if (t->dims[d] == RUNT_DIM_BATCH)
            runt_json_string(j, NULL, "N");
        else
            runt_json_int(j, NULL, t->dims[d]);
    }
    runt_json_end_array(j);
}

static void runt_cli_json_cost(runt_json *j, const runt_cost *c)
{
    runt_json_int(j, "params", c->params);
    runt_json_int(j, "flops", c->flops);
    runt_json_int(j, "bytes", c->bytes_read + c->bytes_written);
}

/* `runt info --json`: the table's content, one object. */
static runt_status runt_cli_info_json(FILE *f, const char *path, const runt_model *m, int64_t batch,
                                      int n_in, int n_out, const runt_node_info *rows, int n_rows,
                                      const runt_cost *total)
{
    runt_json j;
    runt_json_init(&j, f, 2);
    runt_json_begin_object(&j, NULL);
    runt_json_string(&j, "model", path);
    runt_json_int(&j, "batch", batch);
    for (int k = 0; k < 2; k++) {
        runt_json_begin_array(&j, k ? "outputs" : "inputs");
        for (int i = 0; i < (k ? n_out : n_in); i++) {
            runt_io_info io;
            runt_status s = k ? runt_model_output(m, i, &io) : runt_model_input(m, i, &io);
            if (s != RUNT_OK)
                return s;
            runt_json_begin_object(&j, NULL);
            runt_json_string(&j, "name", io.name);
            runt_json_string(&j, "dtype", runt_dtype_name(io.desc.dtype));
            runt_cli_json_shape(&j, "shape", &io.desc);
            runt_json_end_object(&j);
        }
        runt_json_end_array(&j);
    }
    runt_json_begin_array(&j, "nodes");
    for (int i = 0; i < n_rows; i++) {
        runt_json_begin_object(&j, NULL);
        runt_json_string(&j, "name", rows[i].name);
        runt_json_string(&j, "op", runt_op_name(rows[i].op));
        runt_cli_json_shape(&j, "output", &rows[i].output);
        runt_cli_json_cost(&j, &rows[i].cost);
        runt_json_end_object(&j);
    }
    runt_json_end_array(&j);
    runt_json_begin_object(&j, "total");
    runt_cli_json_cost(&j, total);
    runt_json_end_object(&j);
    runt_json_end_object(&j);
    fputc('\n', f);
    return runt_json_finish(&j) == 0 ? RUNT_OK : RUNT_E_IO; /* the caller says so */
}

static void runt_cli_info_table(FILE *out, const char *path, const runt_model *m, int64_t batch,
                                int n_in, int n_out, const runt_node_info *rows, int n_rows,
                                const runt_cost *total)
{
    fprintf(out, "model %s, batch %lld\n", path, (long long)batch);
    for (int i = 0; i < n_in + n_out; i++) {
        runt_io_info io;
        if ((i < n_in ? runt_model_input(m, i, &io) : runt_model_output(m, i - n_in, &io)) != RUNT_OK)
            continue;
        fprintf(out, "%-7s %-20s %-5s ", i < n_in ? "input" : "output", io.name,
                runt_dtype_name(io.desc.dtype));
        runt_cli_shape(out, &io.desc, 0);
        fprintf(out, "\n");
    }
    fprintf(out, "\n%4s  %-24s %-20s %-22s %12s %14s %14s\n", "#", "node", "op", "output",
            "params", "FLOPs", "bytes");
    for (int i = 0; i < n_rows; i++) {
        fprintf(out, "%4d  %-24s %-20s ", i, rows[i].name, runt_op_name(rows[i].op));
        runt_cli_shape(out, &rows[i].output, 22);
        fprintf(out, " %12lld %14lld %14lld\n", (long long)rows[i].cost.params,
                (long long)rows[i].cost.flops,
                (long long)(rows[i].cost.bytes_read + rows[i].cost.bytes_written));
    }
    fprintf(out, "%4s  %-24s %-20s %-22s %12lld %14lld %14lld\n", "", "total", "", "",
            (long long)total->params, (long long)total->flops,
            (long long)(total->bytes_read + total->bytes_written));
}

/* `runt info --predict`: what the prediction is for. */
typedef struct runt_cli_predict_opts {
    const char *backend, *cache_dir;
    int threads;        /* 0: the backend's default */
    runt_dtype dtype;
} runt_cli_predict_opts;

/* The cached calibration of o->backend at o->threads on this machine's
 * device. Never measured here: a prediction that silently ran the probes
 * would take seconds and change the machine's state under the user. */
static int runt_cli_predict_calibration(const runt_cli_predict_opts *o, runt_calibration *c,
                                        char *path, size_t path_size, FILE *err)
{
    int n = 0;
    runt_backend_count(&n);
    char known[160] = "";
    for (int i = 0; i < n; i++) {
        const char *name;
        if (runt_backend_name(i, &name) != RUNT_OK)
            continue;
        strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
        strncat(known, name, sizeof known - strlen(known) - 1);
        if (strcmp(name, o->backend) != 0)
            continue;
        runt_device_info d;
        if (runt_backend_info(i, &d) != RUNT_OK)
            return runt_cli_fail(err, o->backend);
        if (!d.available) {
            fprintf(err, "runt: info: backend '%s' is unavailable: %s\n", o->backend, d.reason);
            return 1;
        }
        char dir[1024];
        if (o->cache_dir)
            snprintf(dir, sizeof dir, "%s", o->cache_dir);
        else
            runt_calibration_default_dir(dir, sizeof dir);
        int threads = runt_calibration_threads(&d, o->threads);
        runt_calibration_path(dir, d.backend, threads, path, path_size);
        if (runt_calibration_load(path, c) == RUNT_OK && strcmp(c->backend, d.backend) == 0 &&
            strcmp(c->device, d.name) == 0 && c->threads == threads)
            return 0;
        char again[64] = "";
        if (o->threads > 0)
            snprintf(again, sizeof again, " --threads %d", o->threads);
        fprintf(err, "runt: info: no calibration of %s at %d thread%s on %s in %s; "
                     "run `runt devices --calibrate --backend %s%s%s%s` first\n",
                d.backend, threads, threads == 1 ? "" : "s", d.name, dir, d.backend, again,
                o->cache_dir ? " --cache-dir " : "", o->cache_dir ? o->cache_dir : "");
        return 1;
    }
    fprintf(err, "runt: info: no backend named '%s' (this build has: %s)\n", o->backend, known);
    return 2;
}

static void runt_cli_predict_terms(FILE *out, const runt_calibration *c, const runt_cost_terms *t)
{
    int level = runt_cost_terms_level(t);
    fprintf(out, " %10.3f %10.3f %10.3f %-6s %10.3f %10.3f  %s\n", runt_cost_terms_us(t),
            t->compute_us, runt_cost_terms_memory_us(t),
            level < 0 ? "-" : runt_cost_model_bound_name(c, (runt_bound)(RUNT_BOUND_L1 + level)),
            t->dispatch_us, t->copy_us, runt_cost_model_bound_name(c, runt_cost_terms_bound(t)));
}

/* `runt info MODEL --predict --backend B`: the cost model's terms per plan
 * node (after fusion, as the backend runs it) and the run's. */
static int runt_cli_info_predict(FILE *out, FILE *err, const char *path, const runt_model *m,
                                 int64_t batch, const runt_cli_predict_opts *o)
{
    runt_calibration c;
    char cal_path[1200];
    int rc = runt_cli_predict_calibration(o, &c, cal_path, sizeof cal_path, err);
    if (rc)
        return rc;
    runt_session_options so = runt_session_options_default();
    so.backend = o->backend;
    so.batch = batch;
    so.compute_dtype = o->dtype;
    so.threads = o->threads;
    runt_session *s;
    if (runt_session_create(m, &so, &s) != RUNT_OK)
        return runt_cli_fail(err, path);
    runt_session_stats st;
    runt_cost_terms *nodes = NULL;
    runt_cost_prediction p;
    double in_bytes, out_bytes;
    rc = 1;
    if (runt_session_stats_get(s, &st) != RUNT_OK)
        goto done;
    nodes = calloc((size_t)st.n_nodes + 1, sizeof *nodes);
    if (!nodes) {
        fprintf(err, "runt: info: out of memory\n");
        goto quiet;
    }
    runt_cost_model_io_bytes(s, &in_bytes, &out_bytes);
    if (runt_cost_model_explain(&c, s, o->dtype, in_bytes, out_bytes, nodes, &p) != RUNT_OK)
        goto done;
    fprintf(out, "model %s, batch %lld, %s on %s, %s at %d thread%s\n", path, (long long)batch,
            runt_dtype_name(o->dtype) ? runt_dtype_name(o->dtype) : "?", c.backend, c.device,
            c.threads, c.threads == 1 ? "" : "s");
    fprintf(out, "calibration %s\n", cal_path);
    fprintf(out,
            "Predicted us per node (bench/cost_model.h): compute = FLOPs / the calibrated rate\n"
            "of the node's kind (Gemm, MatMul with weights: the GEMM grid at its m, n, k; Conv:\n"
            "the conv grid at its depth, channels and pixels; other ops: their own probed rate,\n"
            "else the elementwise one) + a fused activation at its epilogue rate; memory =\n"
            "weight bytes / the GEMV bandwidth of the level the model's footprint fits +\n"
            "activation bytes / the streaming bandwidth of the level the node's traffic fits.\n"
            "A node takes max(compute, memory) + its share of dispatch; per run adds the run's\n"
            "own cost. Every rate is a probe's median run, as the bench reports medians.\n"
            "bound = the largest term (compute, L1, L2, L3, DRAM or device memory, dispatch,\n"
            "copy).\n\n");
    fprintf(out, "%4s  %-24s %-18s %10s %10s %10s %-6s %10s %10s  %s\n", "#", "node", "op", "pred",
            "compute", "memory", "level", "dispatch", "copy", "bound");
    runt_cost_terms sum;
    memset(&sum, 0, sizeof sum);
    for (int i = 0; i < st.n_nodes; i++) {
        runt_node_info info;
        if (runt_session_node(s, i, &info, NULL) != RUNT_OK)
            goto done;
        fprintf(out, "%4d  %-24.24s %-18.18s", i, info.name ? info.name : "", runt_op_name(info.op));
        runt_cli_predict_terms(out, &c, &nodes[i]);
        sum.compute_us += nodes[i].compute_us;
        for (int l = 0; l < RUNT_LEVEL_COUNT; l++)
            sum.memory_us[l] += nodes[i].memory_us[l];
        sum.dispatch_us += nodes[i].dispatch_us;
    }
    fprintf(out, "%4s  %-24s %-18s", "", "per run", "");
    runt_cli_predict_terms(out, &c, &p.run);
    int level = runt_cost_terms_level(&sum);
    fprintf(out, "%4s  %-24s %-18s %10.3f %10.3f %10.3f %-6s %10.3f %10.3f  %s\n", "", "total", "",
            p.us + p.copy_us, sum.compute_us, runt_cost_terms_memory_us(&sum),
            level < 0 ? "-" : runt_cost_model_bound_name(&c, (runt_bound)(RUNT_BOUND_L1 + level)),
            sum.dispatch_us + p.run.dispatch_us, p.copy_us, runt_cost_model_bound_name(&c, p.bound));
    fprintf(out, "\npredicted %.3f us per run (the bench's pred column)", p.us);
    if (p.copy_us > 0)
        fprintf(out, "; the copies of inputs and outputs add %.3f us, which device events (the\n"
                     "bench's median) leave out", p.copy_us);
    fprintf(out, "\nbound by %s:", runt_cost_model_bound_name(&c, p.bound));
    for (int b = 0; b < RUNT_BOUND_COUNT; b++)
        if (p.by_bound[b] > 0)
            fprintf(out, " %s %.3f us", runt_cost_model_bound_name(&c, (runt_bound)b), p.by_bound[b]);
    fputc('\n', out);
    rc = 0;
done:
    if (rc)
        runt_cli_fail(err, path);
quiet:
    free(nodes);
    runt_session_free(s);
    return rc;
}

static int runt_cli_info(int argc, char **argv, FILE *out, FILE *err)
{
    const char *path = NULL, *json = NULL;
    int64_t batch = 1;
    int batch_given = 0, predict = 0;
    const char *predict_only = NULL;   /* an option that only --predict takes */
    runt_cli_predict_opts po = {.backend = NULL, .cache_dir = NULL, .threads = 0, .dtype = RUNT_F32};
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--predict") == 0) {
            predict = 1;
        } else if (strcmp(argv[i], "--backend") == 0 && i + 1 < argc) {
            predict_only = argv[i];
            po.backend = argv[++i];
        } else if (strcmp(argv[i], "--cache-dir") == 0 && i + 1 < argc) {
            predict_only = argv[i];
            po.cache_dir = argv[++i];
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            long long t;
            predict_only = argv[i];
            if (!runt_int_arg_parse(argv[++i], 1, 4096, &t))
                return runt_cli_usage_error(err, "--threads needs a positive integer, got", argv[i]);
            po.threads = (int)t;
        } else if (strcmp(argv[i], "--dtype") == 0 && i + 1 < argc) {
            predict_only = argv[i];
            if (!runt_dtype_arg_parse(argv[++i], &po.dtype))
                return runt_cli_usage_error(err, "--dtype must be f32 or int8, got", argv[i]);
        } else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
            long long v;
            if (!runt_int_arg_parse(argv[++i], 1, RUNT_CLI_MAX_BATCH, &v))
                return runt_cli_usage_error(err, "--batch must be an integer from 1 to "
                                            RUNT_CLI_MAX_BATCH_TEXT ", got", argv[i]);
            batch = v;
            batch_given = 1;
        } else if (strcmp(argv[i], "--json") == 0 && i + 1 < argc) {
            json = argv[++i];
        } else if (argv[i][0] == '-' || path) {
            return runt_cli_usage_error(err, "info: unexpected argument", argv[i]);
        } else {
            path = argv[i];
        }
    }
    if (!path)
        return runt_cli_usage_error(err, "info: which model?", NULL);
    if (predict_only && !predict)
        return runt_cli_usage_error(err, "info: this option needs --predict:", predict_only);
    if (predict && !po.backend)
        return runt_cli_usage_error(err, "info: --predict needs --backend B", NULL);
    if (predict && json)
        return runt_cli_usage_error(err, "info: --predict prints a table; --json is not for it", NULL);
    if (strcmp(path, "@list") == 0)
        return runt_cli_list_zoo(out);
    if (json && runt_output_check_file(json) != RUNT_OK) {
        fprintf(err, "runt: --json %s\n", runt_last_error());
        return 1;
    }
    runt_model *m;
    if (runt_cli_load(path, &m) != RUNT_OK)
        return runt_cli_fail(err, path);
    if (predict) {
        int prc = batch_given && runt_model_check_batch(m, batch) != RUNT_OK
                      ? runt_cli_fail(err, path)
                      : runt_cli_info_predict(out, err, path, m, batch, &po);
        runt_model_free(m);
        return prc;
    }
    int n_rows = 0, n_in = 0, n_out = 0;
    runt_cost total;
    runt_node_info *rows = NULL;
    int rc = 1;
    if (runt_model_counts(m, &n_in, &n_out, NULL) != RUNT_OK ||
        (batch_given && runt_model_check_batch(m, batch) != RUNT_OK) ||
        runt_model_describe(m, batch, NULL, 0, &n_rows, NULL) != RUNT_OK)
        goto done;
    rows = calloc((size_t)n_rows + 1, sizeof *rows);
    if (!rows || runt_model_describe(m, batch, rows, n_rows, &n_rows, &total) != RUNT_OK)
        goto done;
    if (json) {
        FILE *f = runt_cli_open_output(json, out, err);
        if (!f)
            goto quiet;
        runt_status s = runt_cli_info_json(f, path, m, batch, n_in, n_out, rows, n_rows, &total);
        if (runt_cli_close_output(f, out, json, err) != 0)
            goto quiet;
        if (s == RUNT_E_IO) {
            fprintf(err, "runt: --json %s: writing failed\n", json);
            goto quiet;
        }
        if (s != RUNT_OK)
            goto done;
    } else {
        runt_cli_info_table(out, path, m, batch, n_in, n_out, rows, n_rows, &total);
    }
    rc = 0;
done:
    if (rc)
        runt_cli_fail(err, path);
quiet:
    free(rows);
    runt_model_free(m);
    return rc;
}

static int runt_cli_run(int argc, char **argv, FILE *out, FILE *err)
{
    const char *path = NULL, *inputs[RUNT_CLI_MAX_IO], *outputs[RUNT_CLI_MAX_IO];
    int n_in = 0, n_out = 0;
    runt_session_options o = runt_session_options_default();
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (strcmp(a, "--input") == 0 && has_value && n_in < RUNT_CLI_MAX_IO) {
            inputs[n_in++] = argv[++i];
        } else if (strcmp(a, "--output") == 0 && has_value && n_out < RUNT_CLI_MAX_IO) {
            outputs[n_out++] = argv[++i];
        } else if (strcmp(a, "--backend") == 0 && has_value) {
            o.backend = argv[++i];
        } else if (strcmp(a, "--dtype") == 0 && has_value) {
            const char *d = argv[++i];
            if (!runt_dtype_arg_parse(d, &o.compute_dtype))
                return runt_cli_usage_error(err, "--dtype must be f32 or int8, got", d);
        } else if (strcmp(a, "--threads") == 0 && has_value) {
            /* The same bounds as bench's --threads, so a count one accepts the
             * other does too; backends without threads ignore it. */
            long long t;
            if (!runt_int_arg_parse(argv[++i], 1, 4096, &t))
                return runt_cli_usage_error(err, "run: --threads needs an integer from 1 to 4096, got",
                                            argv[i]);
            o.threads = (int)t;
        } else if (a[0] == '-' || path) {
            return runt_cli_usage_error(err, "run: unexpected argument", a);
        } else {
            path = a;
        }
    }
    if (!path || !n_in || !n_out)
        return runt_cli_usage_error(err, "run: needs MODEL, --input and --output", NULL);
    for (int i = 0; i < n_out; i++)
        if (runt_output_check_file(outputs[i]) != RUNT_OK) {
            fprintf(err, "runt: --output %s\n", runt_last_error());
            return 1;
        }
    runt_model *m = NULL;
    runt_session *s = NULL;
    runt_tensor in[RUNT_CLI_MAX_IO], res[RUNT_CLI_MAX_IO];
    memset(in, 0, sizeof in);
    memset(res, 0, sizeof res);
    int rc = 1, model_in = 0, model_out = 0;
    const char *what = path;
    if (runt_cli_load(path, &m) != RUNT_OK || runt_model_counts(m, &model_in, &model_out, NULL))
        goto done;
    if (model_in != n_in || model_out != n_out) {
        fprintf(err, "runt: %s takes %d inputs and gives %d outputs; got %d --input and %d --output\n",
                path, model_in, model_out, n_in, n_out);
        goto quiet;
    }
    for (int i = 0; i < n_in; i++) {
        what = inputs[i];
        if (runt_npy_read(inputs[i], &in[i]) != RUNT_OK)
            goto done;
    }
    /* The batch is the first input's leading dim when the model leaves it open. */
    runt_io_info first;
    what = path;
    if (runt_model_input(m, 0, &first) != RUNT_OK)
        goto done;
    if (first.desc.ndim > 0 && first.desc.dims[0] == RUNT_DIM_BATCH && in[0].ndim > 0)
        o.batch = in[0].dims[0];
    if (runt_session_create(m, &o, &s) != RUNT_OK)
        goto done;
    for (int i = 0; i < n_out; i++) {
        if (runt_session_output_desc(s, i, &res[i]) != RUNT_OK)
            goto done;
        res[i].data = malloc((size_t)runt_tensor_count(&res[i]) * sizeof(float) + 1);
        if (!res[i].data) {
            fprintf(err, "runt: out of memory\n");
            goto quiet;
        }
    }
    if (runt_session_run(s, in, n_in, res, n_out) != RUNT_OK)
        goto done;
    for (int i = 0; i < n_out; i++) {
        what = outputs[i];
        if (runt_npy_write(outputs[i], &res[i]) != RUNT_OK)
            goto done;
    }
    fprintf(out, "wrote");
    for (int i = 0; i < n_out; i++) {
        fprintf(out, " %s ", outputs[i]);
        runt_cli_shape(out, &res[i], 0);
    }
    fprintf(out, "\n");
    rc = 0;
done:
    if (rc)
        runt_cli_fail(err, what);
quiet:
    for (int i = 0; i < RUNT_CLI_MAX_IO; i++) {
        free(in[i].data);
        free(res[i].data);
    }
    runt_session_free(s);
    runt_model_free(m);
    return rc;
}

static int runt_cli_file_exists(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f)
        fclose(f);
    return f != NULL;
}

/* A backend's measured peaks on one line. */
static void runt_cli_print_calibration(FILE *out, const runt_calibration *c, const char *origin)
{
    fprintf(out, "       %d thread%s: f32 %.1f GFLOP/s, int8 ", c->threads,
            c->threads == 1 ? "" : "s", c->peak_gflops);
    if (isfinite(c->peak_int8_gops))
        fprintf(out, "%.1f GOP/s", c->peak_int8_gops);
    else
        fprintf(out, "-");
    fprintf(out, ", elementwise %.2f GFLOP/s, read GB/s", c->eltwise_gflops);
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++)
        if (isfinite(c->bw_gbps[l]))
            fprintf(out, " %s %.1f", runt_level_names[l], c->bw_gbps[l]);
    fprintf(out, ", %.3f us per node + %.2f us per run", c->launch_us, c->run_us);
    if (isfinite(c->h2d_gbps) || isfinite(c->d2h_gbps))
        fprintf(out, ", h2d %.1f GB/s, d2h %.1f GB/s", c->h2d_gbps, c->d2h_gbps);
    fprintf(out, " (%s)\n", origin);
}

/* The load a calibration was measured under and each probe's spread, so a
 * user sees why `runt bench` would measure it again. */
static void runt_cli_print_trust(FILE *out, const runt_calibration *c)
{
    if (!c->checked) {
        fprintf(out, "       load and probe spreads not recorded (an older cache file): runt "
                     "bench measures it again\n");
        return;
    }
    fprintf(out, "       load: ");
    if (isfinite(c->load_others))
        fprintf(out, "other processes %.2f of %d cores", c->load_others, c->cores);
    else
        fprintf(out, "other processes unknown");
    if (isfinite(c->load_avg))
        fprintf(out, ", 1-minute average %.2f", c->load_avg);
    fprintf(out, "%s; %d attempt%s\n", c->busy ? " (busy)" : "", c->attempts,
            c->attempts == 1 ? "" : "s");
    fprintf(out, "       spread of the two fastest rounds (over %.0f%%: unstable):",
            100 * RUNT_CALIBRATION_MAX_SPREAD);
    int unsettled = runt_calibration_unsettled(c), first = 1;
    for (int p = 0; p < RUNT_PROBE_COUNT; p++) {
        if (isnan(c->spread[p]) && !(unsettled & (1 << p)))
            continue; /* not probed */
        fprintf(out, "%s %s ", first ? "" : ",", runt_probe_names[p]);
        first = 0;
        if (isnan(c->spread[p]))
            fprintf(out, "-");
        else
            fprintf(out, "%.1f%%", 100 * c->spread[p]);
        if (unsettled & (1 << p))
            fprintf(out, " unstable");
    }
    fprintf(out, "\n");
    char why[512];
    if (!runt_calibration_reusable(c, NULL, c->threads, why, sizeof why))
        fprintf(out, "       runt bench measures it again: %s\n", why);
}

typedef struct runt_cli_devices_opts {
    int calibrate, threads;
    const char *backends, *cache_dir, *json;
} runt_cli_devices_opts;

static int runt_cli_devices_parse(int argc, char **argv, runt_cli_devices_opts *o, FILE *err)
{
    memset(o, 0, sizeof *o);
    for (int i = 0; i < argc; i++) {
        int has_value = i + 1 < argc;
        if (strcmp(argv[i], "--calibrate") == 0) {
            o->calibrate = 1;
        } else if (strcmp(argv[i], "--threads") == 0 && has_value) {
            long long t;
            if (!runt_int_arg_parse(argv[++i], 1, 4096, &t))
                return runt_cli_usage_error(err, "--threads needs a positive integer, got", argv[i]);
            o->threads = (int)t;
        } else if (strcmp(argv[i], "--backend") == 0 && has_value) {
            o->backends = argv[++i];
        } else if (strcmp(argv[i], "--cache-dir") == 0 && has_value) {
            o->cache_dir = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0 && has_value) {
            o->json = argv[++i];
        } else {
            return runt_cli_usage_error(err, "devices: unexpected argument", argv[i]);
        }
    }
    return 0;
}

/* 1 when name is in the comma list (or the list is NULL or "all"). */
static int runt_cli_listed(const char *list, const char *name)
{
    if (!list || strcmp(list, "all") == 0)
        return 1;
    size_t n = strlen(name);
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, name, n) == 0)
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

/* Every name of a --backend list is one this build has; the message lists
 * those it has. Names only: nothing is loaded to check them. */
static int runt_cli_check_backend_list(const char *list, FILE *err)
{
    if (!list || strcmp(list, "all") == 0)
        return 0;
    int n = 0;
    runt_backend_count(&n);
    char known[160] = "";
    for (int i = 0; i < n; i++) {
        const char *name;
        if (runt_backend_name(i, &name) == RUNT_OK) {
            strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
            strncat(known, name, sizeof known - strlen(known) - 1);
        }
    }
    for (const char *p = list; *p;) {
        size_t len = strcspn(p, ",");
        int found = 0;
        for (int i = 0; i < n && !found; i++) {
            const char *name;
            found = runt_backend_name(i, &name) == RUNT_OK && strlen(name) == len &&
                    strncmp(name, p, len) == 0;
        }
        if (!found) {
            fprintf(err, "runt: devices: no backend named '%.*s' (this build has: %s)\n", (int)len,
                    p, known);
            return 2;
        }
        p += len + (p[len] == ',');
    }
    return 0;
}

static void runt_cli_devices_json_one(runt_json *j, const runt_device_info *d,
                                      const runt_calibration *c, const char *refused)
{
    runt_json_begin_object(j, NULL);
    runt_json_string(j, "backend", d->backend);
    runt_json_string(j, "name", d->name);
    runt_json_int(j, "available", d->available);
    if (d->available)
        runt_json_null(j, "reason");
    else
        runt_json_string(j, "reason", d->reason);
    runt_json_int(j, "host_memory", d->host_memory);
    runt_json_int(j, "compute_units", d->compute_units);
    runt_json_int(j, "memory_bytes", d->memory_bytes);
    if (refused[0])
        runt_json_string(j, "calibration_refused", refused);
    if (!c) {
        runt_json_null(j, "calibration");
    } else {
        runt_json_begin_object(j, "calibration");
        runt_json_int(j, "threads", c->threads);
        runt_json_number(j, "eltwise_gflops", c->eltwise_gflops);
        runt_json_device_measures(j, c);
        /* How much to trust the numbers: null where an older cache file
         * did not record it. */
        char why[512];
        int reusable = runt_calibration_reusable(c, NULL, c->threads, why, sizeof why);
        runt_json_int(j, "checked", c->checked);
        runt_json_int(j, "reusable", reusable);
        runt_json_string(j, "remeasure_reason", reusable ? NULL : why);
        if (c->checked) {
            runt_json_number(j, "load_avg_1m", c->load_avg);
            runt_json_number(j, "load_others_cores", c->load_others);
            runt_json_int(j, "cores", c->cores);
            runt_json_int(j, "busy", c->busy);
            runt_json_int(j, "attempts", c->attempts);
            int unsettled = runt_calibration_unsettled(c);
            runt_json_begin_object(j, "probes");
            for (int p = 0; p < RUNT_PROBE_COUNT; p++) {
                if (isnan(c->spread[p]) && !(unsettled & (1 << p)))
                    continue;
                runt_json_begin_object(j, runt_probe_names[p]);
                runt_json_number(j, "spread", c->spread[p]);
                runt_json_int(j, "stable", !(unsettled & (1 << p)));
                runt_json_end_object(j);
            }
            runt_json_end_object(j);
        } else {
            runt_json_null(j, "load_avg_1m");
            runt_json_null(j, "load_others_cores");
            runt_json_null(j, "cores");
            runt_json_null(j, "busy");
            runt_json_null(j, "attempts");
            runt_json_null(j, "probes");
        }
        runt_json_end_object(j);
    }
    runt_json_end_object(j);
}

static int runt_cli_devices(int argc, char **argv, FILE *out, FILE *err)
{
    runt_cli_devices_opts o;
    int rc = runt_cli_devices_parse(argc, argv, &o, err);
    if (rc || (rc = runt_cli_check_backend_list(o.backends, err)) != 0)
        return rc;
    if (o.json && runt_output_check_file(o.json) != RUNT_OK) {
        fprintf(err, "runt: --json %s\n", runt_last_error());
        return 1;
    }
    int n = 0;
    if (runt_backend_count(&n) != RUNT_OK)
        return runt_cli_fail(err, "devices");
    char dir[1024];
    if (o.cache_dir)
        snprintf(dir, sizeof dir, "%s", o.cache_dir);
    else
        runt_calibration_default_dir(dir, sizeof dir);
    runt_json j;
    FILE *jf = NULL;
    if (o.json) {
        if (!(jf = runt_cli_open_output(o.json, out, err)))
            return 1;
        runt_json_init(&j, jf, 2);
        runt_json_begin_array(&j, NULL);
    }
    for (int i = 0; i < n && rc == 0; i++) {
        const char *name;
        if (runt_backend_name(i, &name) != RUNT_OK || !runt_cli_listed(o.backends, name))
            continue; /* not probed: an unlisted module stays unloaded */
        runt_device_info d;
        if (runt_backend_info(i, &d) != RUNT_OK) {
            rc = runt_cli_fail(err, "devices");
            break;
        }
        runt_calibration c;
        const runt_calibration *shown = NULL;
        char path[1200] = "", refused[1400] = "";
        if (d.available) {
            int threads = runt_calibration_threads(&d, o.threads), cached = 0;
            runt_calibration_path(dir, d.backend, threads, path, sizeof path);
            if (o.calibrate) {
                if (runt_calibration_get(d.backend, o.threads, o.cache_dir, 1, &c, err, &cached) !=
                    RUNT_OK) {
                    rc = runt_cli_fail(err, d.backend);
                    break;
                }
                shown = &c;
            } else if (runt_calibration_load(path, &c) == RUNT_OK) {
                if (strcmp(c.device, d.name) == 0)
                    shown = &c;
            } else if (runt_cli_file_exists(path)) {
                /* There is a file, and it is not a calibration this runt
                 * takes: say why rather than "not calibrated". */
                snprintf(refused, sizeof refused, "%s", runt_last_error());
            }
        }
        if (jf) {
            runt_cli_devices_json_one(&j, &d, shown, refused);
            continue;
        }
        if (!d.available) {
            fprintf(out, "%-6s unavailable: %s\n", d.backend, d.reason);
            continue;
        }
        fprintf(out, "%-6s %-40s units %d%s\n", d.backend, d.name, d.compute_units,
                d.host_memory ? ", host memory" : "");
        if (shown) {
            runt_cli_print_calibration(out, shown, path);
            runt_cli_print_trust(out, shown);
            runt_calibration_print_tables(out, shown, "       ");
        } else if (refused[0]) {
            fprintf(out, "       cached calibration refused: %s (runt devices --calibrate "
                         "measures it again)\n", refused);
        } else {
            fprintf(out, "       not calibrated (runt devices --calibrate)\n");
        }
    }
    if (jf) {
        runt_json_end_array(&j);
        fputc('\n', jf);
        if (runt_json_finish(&j) != 0 && rc == 0) {
            fprintf(err, "runt: --json %s: writing failed\n", o.json);
            rc = 1;
        }
        if (runt_cli_close_output(jf, out, o.json, err) != 0 && rc == 0)
            rc = 1;
    }
    return rc;
}

static int runt_cli_dispatch(int argc, char **argv, FILE *out, FILE *err)
{
    if (argc < 2)
        return runt_cli_usage_error(err, "no command given", NULL);
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0 || strcmp(cmd, "version") == 0) {
        fprintf(out, "runt %s\n", runt_version());
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        const char *text = runt_cli_help_text(argc > 2 ? argv[2] : NULL);
        if (!text)
            return runt_cli_usage_error(err, "help: no command named", argv[2]);
        fputs(text, out);
        return 0;
    }
    /* COMMAND -h / --help, wherever the flag is. */
    const char *help = runt_cli_help_text(cmd);
    if (help && runt_cli_args_want_help(argc - 2, argv + 2)) {
        fputs(help, out);
        return 0;
    }
    if (strcmp(cmd, "info") == 0)
        return runt_cli_info(argc - 2, argv + 2, out, err);
    if (strcmp(cmd, "run") == 0)
        return runt_cli_run(argc - 2, argv + 2, out, err);
    if (strcmp(cmd, "devices") == 0)
        return runt_cli_devices(argc - 2, argv + 2, out, err);
    if (strcmp(cmd, "bench") == 0)
        return runt_bench_main(argc - 1, argv + 1, out, err);
    if (strcmp(cmd, "compile") == 0)
        return runt_cli_compile(argc - 2, argv + 2, out, err);
    return runt_cli_usage_error(err, "unknown command", cmd);
}

int runt_cli_main(int argc, char **argv, FILE *out, FILE *err)
{
    int n = 0;
    char **args = runt_cli_args_expand(argc, argv, &n);
    if (!args) {
        fprintf(err, "runt: out of memory reading the command line\n");
        return 1;
    }
    int rc = runt_cli_dispatch(n, args, out, err);
    runt_cli_args_free(args, n);
    return rc;
}
