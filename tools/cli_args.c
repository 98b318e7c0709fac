#include "cli_args.h"

#include <stdlib.h>
#include <string.h>

static char *runt_cli_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

char **runt_cli_args_expand(int argc, char **argv, int *out_argc)
{
    char **out = calloc(2 * (size_t)argc + 1, sizeof *out);
    if (!out)
        return NULL;
    int n = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        if (eq) {
            out[n++] = runt_cli_strndup(a, (size_t)(eq - a));
            out[n++] = runt_cli_strndup(eq + 1, strlen(eq + 1));
        } else {
            out[n++] = runt_cli_strndup(a, strlen(a));
        }
        if (!out[n - 1] || (eq && !out[n - 2])) {
            runt_cli_args_free(out, n);
            return NULL;
        }
    }
    *out_argc = n;
    return out;
}

void runt_cli_args_free(char **argv, int argc)
{
    if (!argv)
        return;
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
}

int runt_cli_args_want_help(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
            return 1;
    return 0;
}
