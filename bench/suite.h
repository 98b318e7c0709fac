/*
 * The bench suites as lists of cases (a model, how to build it, a batch).
 *   seeds  the seeds' experiments, named as DESIGN.md fixes them
 *   sweep  generated from a few parameter loops (suite.c says which), so
 *          each family varies one thing: width, depth at fixed FLOPs,
 *          bottleneck width, batch, working set, conv vs linear
 * plus one case for a model given on the command line.
 */
#ifndef RUNT_BENCH_SUITE_H
#define RUNT_BENCH_SUITE_H

#include <stdint.h>

#include "runt.h"

typedef enum runt_case_kind {
    RUNT_CASE_ZOO,     /* a built-in model: name (bench/zoo.h)           */
    RUNT_CASE_MLP,     /* Linear layers, no activations                   */
    RUNT_CASE_CONV,    /* one 'same' Conv2d                               */
    RUNT_CASE_FILE     /* an ONNX file: path                              */
} runt_case_kind;

#define RUNT_CASE_MAX_WIDTHS 8

typedef struct runt_bench_case {
    char suite[8];           /* "seeds", "sweep", "model"                        */
    char name[64];
    char family[16];         /* sweep family, "" otherwise                        */
    int64_t batch;
    runt_case_kind kind;
    /* MLP: widths[0..n_widths), then `repeat` more layers of the last width */
    int64_t widths[RUNT_CASE_MAX_WIDTHS];
    int n_widths, repeat, bias;
    /* CONV */
    int64_t c_in, c_out, h, w;
    int k;
    char path[512];          /* ZOO: the name; FILE: the path                     */
} runt_bench_case;

typedef struct runt_case_list {
    runt_bench_case *items;
    int n, cap;
} runt_case_list;

/* Appends suite "seeds" or "sweep"; cache_bytes (L1, L2, L3) sizes the
 * working-set family. RUNT_E_INVALID_ARG for another name. */
runt_status runt_suite_append(runt_case_list *list, const char *suite, const double cache_bytes[3]);
/* Appends one case; -1 when out of memory. */
int runt_case_list_push(runt_case_list *list, const runt_bench_case *c);
void runt_case_list_free(runt_case_list *list);

runt_status runt_case_build(const runt_bench_case *c, runt_model **out);

#endif /* RUNT_BENCH_SUITE_H */
