/* `runt info`: a model's nodes, shapes and costs, and with --predict the
 * cost model's per-node terms. */
#include <stdlib.h>
#include <string.h>

#include "arg_values.h"
#include "calibrate.h"
#include "cli_impl.h"
#include "cost_model.h"
#include "json.h"
#include "output_check.h"
#include "model_batch.h"
#include "zoo.h"

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

int runt_cli_info(int argc, char **argv, FILE *out, FILE *err)
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
