#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include "bench_options.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arg_values.h"
#include "model_batch.h"
#include "output_check.h"
#include "suite.h"
#include "zoo.h"

/* One line: "runt: bench: what" and exit status 2. */
int runt_bench_usage(FILE *err, const char *what, const char *arg)
{
    fprintf(err, "runt: bench: %s%s%s (runt help: usage)\n", what, arg ? " " : "", arg ? arg : "");
    return 2;
}

/* A comma-separated list of distinct values, each token read by parse, into
 * out (at most max); 0 when a token is unknown or repeated, or the list is
 * empty or too long. */
static int runt_bench_parse_list(const char *list, int (*parse)(const char *, int *), int *out,
                                 int max, int *n)
{
    *n = 0;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int v;
        if (*n == max || !parse(t, &v))
            return 0;
        for (int k = 0; k < *n; k++)
            if (out[k] == v)
                return 0;
        out[(*n)++] = v;
    }
    return *n > 0;
}

static int runt_bench_dtype_token(const char *s, int *v)
{
    runt_dtype d;
    return runt_dtype_arg_parse(s, &d) ? (*v = (int)d, 1) : 0;
}

static int runt_bench_math_token(const char *s, int *v)
{
    runt_math_mode m;
    return runt_math_arg_parse(s, &m) ? (*v = (int)m, 1) : 0;
}

static int runt_bench_parse_dtypes(const char *list, runt_bench_options *o)
{
    int v[2];
    if (!runt_bench_parse_list(list, runt_bench_dtype_token, v, 2, &o->n_dtypes))
        return 0;
    for (int k = 0; k < o->n_dtypes; k++)
        o->dtypes[k] = (runt_dtype)v[k];
    return 1;
}

static int runt_bench_parse_maths(const char *list, runt_bench_options *o)
{
    int v[3];
    if (!runt_bench_parse_list(list, runt_bench_math_token, v, 3, &o->n_maths))
        return 0;
    for (int k = 0; k < o->n_maths; k++)
        o->maths[k] = (runt_math_mode)v[k];
    return 1;
}

static int runt_bench_takes_value(const char *a)
{
    static const char *const valued[] = {"--suite", "--model", "--batch", "--backend", "--dtype",
                                         "--math", "--threads", "--json", "--csv", "--plots", "--min-time",
                                         "--min-reps", "--cache-dir"};
    for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++)
        if (strcmp(a, valued[k]) == 0)
            return 1;
    return 0;
}

/* One option that takes a value; returns 0 or the usage error's status. */
static int runt_bench_option(runt_bench_options *o, const char *a, const char *v, FILE *err)
{
    long long n;
    if (strcmp(a, "--suite") == 0) {
        if (!runt_suite_known(v))
            return runt_bench_usage(err, "--suite is seeds, sweep, zoo or all, not", v);
        o->suite = v;
    } else if (strcmp(a, "--batch") == 0) {
        if (!runt_int_arg_parse(v, 1, RUNT_CLI_MAX_BATCH, &n))
            return runt_bench_usage(err, "--batch must be an integer from 1 to "
                                    RUNT_CLI_MAX_BATCH_TEXT ", got", v);
        o->batch = n;
        o->batch_given = 1;
    } else if (strcmp(a, "--dtype") == 0) {
        if (!runt_bench_parse_dtypes(v, o))
            return runt_bench_usage(err, "--dtype is a list of f32 and int8, not", v);
    } else if (strcmp(a, "--math") == 0) {
        if (!runt_bench_parse_maths(v, o))
            return runt_bench_usage(err, "--math is a list of f32, tf32 and bf16, each once, not", v);
    } else if (strcmp(a, "--threads") == 0) {
        if (!runt_int_arg_parse(v, 1, 4096, &n))
            return runt_bench_usage(err, "--threads needs a positive integer, got", v);
        o->threads = (int)n;
    } else if (strcmp(a, "--min-reps") == 0) {
        if (!runt_int_arg_parse(v, 1, 1000000, &n))
            return runt_bench_usage(err, "--min-reps needs a positive integer, got", v);
        o->measure.min_reps = (int)n;
        if (o->measure.max_reps < (int)n)
            o->measure.max_reps = (int)n;
    } else if (strcmp(a, "--min-time") == 0) {
        char *end;
        double t = strtod(v, &end);
        if (!*v || *end || !(t >= 0 && t <= 3600))
            return runt_bench_usage(err, "--min-time needs seconds (0 to 3600), got", v);
        o->measure.min_time_s = t;
        o->measure.max_time_s = fmax(o->measure.max_time_s, t);
    } else {
        /* Plain strings: checked where they are used. */
        const char **slot = strcmp(a, "--model") == 0     ? &o->model
                            : strcmp(a, "--backend") == 0 ? &o->backends
                            : strcmp(a, "--json") == 0    ? &o->json
                            : strcmp(a, "--csv") == 0     ? &o->csv
                            : strcmp(a, "--plots") == 0   ? &o->plots
                                                          : &o->cache_dir;
        *slot = v; /* runt_bench_takes_value admitted only these */
    }
    return 0;
}

int runt_bench_parse(int argc, char **argv, runt_bench_options *o, FILE *err)
{
    memset(o, 0, sizeof *o);
    o->batch = 1;
    o->dtypes[0] = RUNT_F32;
    o->dtypes[1] = RUNT_I8;
    o->n_dtypes = 2;
    o->maths[0] = RUNT_MATH_F32;
    o->n_maths = 1;
    o->measure = runt_measure_config_default();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--peers") == 0) {
            o->peers = 1;
        } else if (strcmp(a, "--recalibrate") == 0) {
            o->recalibrate = 1;
        } else if (!runt_bench_takes_value(a)) {
            return runt_bench_usage(err, "unexpected argument", a);
        } else if (i + 1 == argc) {
            return runt_bench_usage(err, "a value must follow", a);
        } else {
            int rc = runt_bench_option(o, a, argv[++i], err);
            if (rc)
                return rc;
        }
    }
    if (o->model && o->suite)
        return runt_bench_usage(err, "--suite and --model exclude each other", NULL);
    if (o->batch_given && !o->model)
        return runt_bench_usage(err, "--batch goes with --model", NULL);
    if (o->json && o->csv && strcmp(o->json, "-") == 0 && strcmp(o->csv, "-") == 0)
        return runt_bench_usage(err, "--json - and --csv - cannot both write to standard output",
                                NULL);
    return 0;
}

/* Every output is checked before the bench runs, so a mistyped path fails
 * in a second, not after the whole suite. */
int runt_bench_check_outputs(const runt_bench_options *o, FILE *err)
{
    const char *files[] = {o->json, o->csv};
    const char *flags[] = {"--json", "--csv"};
    for (int i = 0; i < 2; i++)
        if (files[i] && runt_output_check_file(files[i]) != RUNT_OK) {
            fprintf(err, "runt: bench: %s %s\n", flags[i], runt_last_error());
            return 1;
        }
    if (o->plots && runt_output_check_dir(o->plots) != RUNT_OK) {
        fprintf(err, "runt: bench: --plots %s\n", runt_last_error());
        return 1;
    }
    return 0;
}

/* --model with --batch: the model must be able to take that batch (the
 * bench would otherwise time its fixed batch and report the asked one). */
int runt_bench_check_model_batch(const runt_bench_options *o, FILE *err)
{
    if (!o->model || !o->batch_given)
        return 0;
    runt_model *m;
    runt_status s = o->model[0] == '@' ? runt_zoo_build(o->model + 1, &m)
                                       : runt_model_load_file(o->model, NULL, &m);
    if (s == RUNT_OK) {
        s = runt_model_check_batch(m, o->batch);
        runt_model_free(m);
    }
    return s == RUNT_OK ? 0 : runt_bench_fail(err, o->model);
}


/* "runt: bench: what: message", without repeating what when the message
 * starts with it. */
int runt_bench_fail(FILE *err, const char *what)
{
    const char *msg = runt_last_error();
    if (strncmp(msg, what, strlen(what)) == 0)
        fprintf(err, "runt: bench: %s\n", msg);
    else
        fprintf(err, "runt: bench: %s%s%s\n", what, *msg ? ": " : "", msg);
    return 1;
}
