/*
 * The bench suites as lists of cases (a model, how to build it, a batch).
 *   seeds  the seeds' experiments, named as DESIGN.md fixes them
 *   sweep  generated from a few parameter loops (suite.c says which), so
 *          each family varies one thing: width, depth at fixed FLOPs,
 *          bottleneck width, batch, working set, conv vs linear
 *   zoo    MLPs and CNNs drawn from a fixed seed (widths, depths, kernel
 *          sizes, activations, batches): models the cost model was never
 *          tuned on, the same list on every machine
 * plus one case for a model given on the command line.
 */
#ifndef RUNT_BENCH_SUITE_H
#define RUNT_BENCH_SUITE_H

#include <stdint.h>

#include "runt.h"
#include "zoo.h"

typedef enum runt_case_kind {
    RUNT_CASE_ZOO,     /* a built-in model: name (bench/zoo.h)           */
    RUNT_CASE_MLP,     /* Linear layers, no activations                   */
    RUNT_CASE_CONV,    /* one 'same' Conv2d                               */
    RUNT_CASE_FILE,    /* an ONNX file: path                              */
    RUNT_CASE_NET      /* a generated MLP or CNN: net (zoo suite)         */
} runt_case_kind;

#define RUNT_CASE_MAX_WIDTHS 8

typedef struct runt_bench_case {
    char suite[8];           /* "seeds", "sweep", "zoo", "model"                 */
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
    runt_zoo_net net;        /* NET                                              */
} runt_bench_case;

typedef struct runt_case_list {
    runt_bench_case *items;
    int n, cap;
} runt_case_list;

/* The zoo suite: how many models, and the FLOPs one run of each (at its
 * batch) stays under. 32 MFLOP is ~9 ms on the reference backend's plain
 * loops (3.8 GFLOP/s measured on one Zen 2 core), so a model's 10 runs stay
 * under 0.1 s: the whole suite took 5 s there at --min-time 0.05, and 3.5 s
 * on the CPU backend in f32 and int8 at --min-time 0.02. */
#define RUNT_ZOO_SUITE_MODELS 48
#define RUNT_ZOO_SUITE_MAX_FLOPS ((int64_t)32 * 1000 * 1000)

/* Appends suite "seeds", "sweep", "zoo" or "all" (the three, in that
 * order); cache_bytes (L1, L2, L3) sizes the working-set family.
 * RUNT_E_INVALID_ARG for another name. */
runt_status runt_suite_append(runt_case_list *list, const char *suite, const double cache_bytes[3]);
/* 1 when name is a suite runt_suite_append takes. */
int runt_suite_known(const char *name);
/* Appends one case; -1 when out of memory. */
int runt_case_list_push(runt_case_list *list, const runt_bench_case *c);
void runt_case_list_free(runt_case_list *list);

runt_status runt_case_build(const runt_bench_case *c, runt_model **out);

#endif /* RUNT_BENCH_SUITE_H */
