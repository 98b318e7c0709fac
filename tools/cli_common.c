/* What the `runt` commands share: errors, output files, loading a model. */
#include <errno.h>
#include <string.h>

#include "cli_impl.h"
#include "compile.h"
#include "zoo.h"

int runt_cli_fail(FILE *err, const char *what)
{
    const char *msg = runt_last_error();
    if (strncmp(msg, what, strlen(what)) == 0)
        fprintf(err, "runt: %s\n", msg);
    else
        fprintf(err, "runt: %s: %s\n", what, msg);
    return 1;
}

/* One line, as DESIGN.md asks of every failure; `runt help` has the usage. */
int runt_cli_usage_error(FILE *err, const char *msg, const char *arg)
{
    fprintf(err, "runt: %s%s%s (runt help: usage)\n", msg, arg ? " " : "", arg ? arg : "");
    return 2;
}

/* An output file for --json: "-" is standard output, anything else is
 * checked before the command does its work. */
FILE *runt_cli_open_output(const char *path, FILE *out, FILE *err)
{
    if (strcmp(path, "-") == 0)
        return out;
    FILE *f = fopen(path, "w");
    if (!f)
        fprintf(err, "runt: --json %s: cannot write: %s\n", path, strerror(errno));
    return f;
}

int runt_cli_close_output(FILE *f, FILE *out, const char *path, FILE *err)
{
    if (f == out ? fflush(f) != 0 : fclose(f) != 0) {
        fprintf(err, "runt: --json %s: writing failed\n", path);
        return 1;
    }
    return 0;
}

runt_status runt_cli_load(const char *path, runt_model **m)
{
    if (path[0] == '@')
        return runt_zoo_build(path + 1, m);
    if (runt_cli_is_rnt(path))
        return runt_model_load_rnt_file(path, NULL, m);
    return runt_model_load_file(path, NULL, m);
}

void runt_cli_shape(FILE *out, const runt_tensor *t, int width)
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
