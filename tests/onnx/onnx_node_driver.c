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
 * The TensorProtos are decoded by the driver itself (onnx_node_tensor.c),
 * not by runt's reader, so that a fault in that reader cannot hide itself in
 * the expected values. This file holds the command: the cases and backends
 * it runs, the known differences, the tallies and the report (onnx_node.h
 * lists the other files).
 *
 * Per backend the driver prints the failures, the skipped cases with their
 * reasons and the closing line "N passed, M failed, K skipped". Exit status:
 * 0 when nothing failed, 1 otherwise, 77 when there is nothing to run (no
 * data: onnx not installed; the backend unavailable), 2 on bad usage.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_node.h"
#include "runt.h"

#define EXIT_SKIP 77
#define MAX_BACKENDS 8

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
    /* A reason longer than a note is cut, with the precision saying so. */
    snprintf(t->skips[t->skipped].reason, sizeof t->skips[0].reason, "%.*s",
             (int)sizeof t->skips[0].reason - 1, reason);
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
