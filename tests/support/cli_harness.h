/*
 * Runs the `runt` command line in-process (tools/cli.h) and captures what it
 * writes: CLI(argv...) returns the exit status and the stdout/stderr text.
 */
#ifndef RT_CLI_HARNESS_H
#define RT_CLI_HARNESS_H

#include <stdio.h>

#include "cli.h"
#include "rt_test.h"

typedef struct cli_result {
    int status;
    char out[65536], err[8192];
} cli_result;

static inline void cli_slurp(FILE *f, char *buf, size_t size)
{
    rewind(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* One result at a time: the next call overwrites it. */
static inline cli_result *cli(int argc, const char **argv)
{
    static cli_result r;
    FILE *out = tmpfile(), *err = tmpfile();
    RT_ASSERT(out && err, "tmpfile");
    r.status = runt_cli_main(argc, (char **)argv, out, err);
    cli_slurp(out, r.out, sizeof r.out);
    cli_slurp(err, r.err, sizeof r.err);
    return &r;
}

#define CLI(...)                                                                      \
    cli((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *)),          \
        (const char *[]){__VA_ARGS__})

#endif /* RT_CLI_HARNESS_H */
