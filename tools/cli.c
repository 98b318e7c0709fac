/* The dispatch of every `runt` command (cli.h), and `runt run`; info and
 * devices are cli_info.c and cli_devices.c, what they share cli_common.c. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

#include "arg_values.h"
#include "bench.h"
#include "cli_args.h"
#include "cli_help.h"
#include "cli_impl.h"
#include "compile.h"
#include "npy.h"
#include "output_check.h"
#include "runt.h"

#define RUNT_CLI_MAX_IO 8

int runt_cli_run(int argc, char **argv, FILE *out, FILE *err)
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
        } else if (strcmp(a, "--math") == 0 && has_value) {
            const char *mode = argv[++i];
            if (!runt_math_arg_parse(mode, &o.math))
                return runt_cli_usage_error(err, "run: --math must be f32, tf32 or bf16, got", mode);
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
