/*
 * How a compute dtype is spelled on the command line ("f32", "int8"). `runt
 * bench --dtype`, `runt run --dtype` and `runt compile --dtype` all take it;
 * it lives in bench/ because tools/ may call into bench/ and not the reverse.
 */
#ifndef RUNT_BENCH_DTYPE_ARG_H
#define RUNT_BENCH_DTYPE_ARG_H

#include "runt.h"

/* 1 and *out set when s is "f32" or "int8"; 0 (and *out untouched) else. */
int runt_dtype_arg_parse(const char *s, runt_dtype *out);

#endif /* RUNT_BENCH_DTYPE_ARG_H */
