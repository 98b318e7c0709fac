/*
 * `runt compile MODEL -o OUT.rnt [--dtype f32|int8] [--batch N]`: writes a
 * model as .rnt, the compact form a microcontroller reads in place, and
 * says how large the file is and how many arena bytes a session needs.
 */
#include "compile.h"

#include <stdlib.h>
#include <string.h>

#include "arg_values.h"
#include "runt.h"
#include "zoo.h"

static int runt_compile_usage(FILE *err, const char *msg, const char *arg)
{
    fprintf(err, "runt: compile: %s%s%s (runt help: usage)\n", msg, arg ? " " : "", arg ? arg : "");
    return 2;
}

static int runt_compile_fail(FILE *err, const char *what)
{
    fprintf(err, "runt: %s: %s\n", what, runt_last_error());
    return 1;
}

int runt_cli_is_rnt(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && strcmp(path + n - 4, ".rnt") == 0;
}

/* Reads the written bytes back, as a device would, for the ops they use:
 * bit i of *mask for runt_op i (what RUNT_REF_OP_MASK takes). Returns 0, or
 * 1 after saying on err what failed. */
static int runt_compile_op_mask(const void *bytes, size_t size, int64_t batch, const char *dest,
                                unsigned long long *mask, FILE *err)
{
    runt_model *m = NULL;
    runt_node_info *rows = NULL;
    int n_rows = 0, rc = 1;
    if (runt_model_load_rnt(bytes, size, NULL, &m) != RUNT_OK ||
        runt_model_describe(m, batch, NULL, 0, &n_rows, NULL) != RUNT_OK) {
        runt_compile_fail(err, dest);
    } else if (!(rows = calloc((size_t)n_rows + 1, sizeof *rows))) {
        fprintf(err, "runt: %s: out of memory\n", dest);
    } else if (runt_model_describe(m, batch, rows, n_rows, &n_rows, NULL) != RUNT_OK) {
        runt_compile_fail(err, dest);
    } else {
        for (int j = 0; j < n_rows; j++)
            *mask |= 1ull << rows[j].op;
        rc = 0;
    }
    free(rows);
    runt_model_free(m);
    return rc;
}

int runt_cli_compile(int argc, char **argv, FILE *out, FILE *err)
{
    const char *path = NULL, *dest = NULL;
    runt_rnt_options o = {RUNT_F32, 1};
    for (int i = 0; i < argc; i++) {
        int has_value = i + 1 < argc;
        if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) && has_value) {
            dest = argv[++i];
        } else if (strcmp(argv[i], "--dtype") == 0 && has_value) {
            const char *d = argv[++i];
            if (!runt_dtype_arg_parse(d, &o.dtype))
                return runt_compile_usage(err, "--dtype must be f32 or int8, got", d);
        } else if (strcmp(argv[i], "--batch") == 0 && has_value) {
            long long b;
            if (!runt_int_arg_parse(argv[++i], 1, 1 << 24, &b))
                return runt_compile_usage(err, "--batch needs a positive integer, got", argv[i]);
            o.batch = b;
        } else if (argv[i][0] == '-' || path) {
            return runt_compile_usage(err, "unexpected argument", argv[i]);
        } else {
            path = argv[i];
        }
    }
    if (!path || !dest)
        return runt_compile_usage(err, "needs MODEL and -o OUT.rnt", NULL);
    runt_model *m = NULL;
    runt_status s = path[0] == '@'            ? runt_zoo_build(path + 1, &m)
                    : runt_cli_is_rnt(path) ? runt_model_load_rnt_file(path, NULL, &m)
                                            : runt_model_load_file(path, NULL, &m);
    if (s != RUNT_OK)
        return runt_compile_fail(err, path);
    void *bytes = NULL;
    size_t size = 0;
    runt_rnt_info info;
    s = runt_model_save_rnt(m, &o, NULL, &bytes, &size, &info);
    runt_model_free(m);
    if (s != RUNT_OK)
        return runt_compile_fail(err, path);
    unsigned long long mask = 0;
    if (runt_compile_op_mask(bytes, size, info.batch, dest, &mask, err)) {
        free(bytes);
        return 1;
    }
    FILE *f = fopen(dest, "wb");
    int ok = f && fwrite(bytes, 1, size, f) == size;
    if (f && fclose(f) != 0)
        ok = 0;
    free(bytes);
    if (!ok) {
        fprintf(err, "runt: %s: cannot write\n", dest);
        return 1;
    }
    fprintf(out, "wrote %s: %zu bytes, format version %d, %s\n", dest, size, info.version,
            o.dtype == RUNT_I8 ? "Linears and Convs quantized to int8" : "weights as the model has them");
    fprintf(out, "arena: %zu bytes at batch %lld (runt_session_arena_size, reference kernels)\n",
            info.arena_bytes, (long long)info.batch);
    fprintf(out, "ops:");
    for (int op = 0; op < RUNT_OP_COUNT; op++)
        if (mask >> op & 1)
            fprintf(out, " %s", runt_op_name((runt_op)op));
    fprintf(out, " (a firmware for this model alone: -DRUNT_REF_OP_MASK=0x%llx)\n", mask);
    return 0;
}
