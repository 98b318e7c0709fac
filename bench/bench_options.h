/*
 * `runt bench`'s options: parsing the command line into them and checking,
 * before anything is measured, that the outputs can be written and the model
 * takes the batch asked for. Messages follow the CLI's conventions: one line
 * on err, exit status 2 for bad usage, 1 for failure.
 */
#ifndef RUNT_BENCH_OPTIONS_H
#define RUNT_BENCH_OPTIONS_H

#include <stdio.h>

#include "measure.h"
#include "runt.h"

typedef struct runt_bench_options {
    const char *suite;             /* NULL: seeds, unless --model            */
    const char *model;
    int64_t batch;
    int batch_given;
    const char *backends;          /* NULL: the default backend              */
    runt_dtype dtypes[2];
    int n_dtypes;
    runt_math_mode maths[3];       /* --math: each dtype runs in each mode   */
    int n_maths;
    int threads;                   /* 0: all cores                           */
    const char *json, *csv, *plots, *cache_dir;
    int peers, recalibrate;
    runt_measure_config measure;
} runt_bench_options;

/* Fills o from argv (argv[0] is "bench"). 0, or the exit status. */
int runt_bench_parse(int argc, char **argv, runt_bench_options *o, FILE *err);

/* 0 when every output path can be written, else 1 after saying which. */
int runt_bench_check_outputs(const runt_bench_options *o, FILE *err);

/* 0 unless --model and --batch are given and the model cannot take the batch. */
int runt_bench_check_model_batch(const runt_bench_options *o, FILE *err);

/* One usage line, "runt: bench: what arg"; returns 2. */
int runt_bench_usage(FILE *err, const char *what, const char *arg);

/* One failure line with runt_last_error(); returns 1. */
int runt_bench_fail(FILE *err, const char *what);

#endif /* RUNT_BENCH_OPTIONS_H */
