/*
 * How values are spelled on the command line: a compute dtype ("f32",
 * "int8"), a math mode ("f32", "tf32", "bf16") and a bounded integer. `runt bench`, `runt run` and `runt compile`
 * all take them; they live in bench/ because tools/ may call into bench/ and
 * not the reverse.
 */
#ifndef RUNT_BENCH_ARG_VALUES_H
#define RUNT_BENCH_ARG_VALUES_H

#include "runt.h"

/* 1 and *out set when s is "f32" or "int8"; 0 (and *out untouched) else. */
int runt_dtype_arg_parse(const char *s, runt_dtype *out);

/* 1 and *out set when s is "f32", "tf32" or "bf16"; 0 (and *out
 * untouched) else. */
int runt_math_arg_parse(const char *s, runt_math_mode *out);

/* The spelling runt_math_arg_parse takes for m ("?" for no mode). */
const char *runt_math_arg_name(runt_math_mode m);

/* 1 and *out set when s is a whole decimal integer in [lo, hi]; 0 (and *out
 * untouched) else: empty, trailing characters, or out of range. */
int runt_int_arg_parse(const char *s, long long lo, long long hi, long long *out);

#endif /* RUNT_BENCH_ARG_VALUES_H */
