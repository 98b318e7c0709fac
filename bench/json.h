/*
 * A small streaming JSON writer for the bench's reports and calibration
 * cache, and a key lookup for reading back the flat documents runt itself
 * writes (the calibration cache, a peer script's one-line answer). Not a
 * general parser: it finds the first "key": in the text.
 */
#ifndef RUNT_BENCH_JSON_H
#define RUNT_BENCH_JSON_H

#include <stdint.h>
#include <stdio.h>

#define RUNT_JSON_MAX_DEPTH 16

typedef struct runt_json {
    FILE *f;
    int depth;
    int count[RUNT_JSON_MAX_DEPTH];  /* members written so far at each level */
    int indent;                      /* spaces per level; 0: one line       */
    int error;                       /* nesting misuse                       */
} runt_json;

void runt_json_init(runt_json *j, FILE *f, int indent);

/* key is the member name inside an object, NULL inside an array or at the top. */
void runt_json_begin_object(runt_json *j, const char *key);
void runt_json_end_object(runt_json *j);
void runt_json_begin_array(runt_json *j, const char *key);
void runt_json_end_array(runt_json *j);
/* NULL writes null. */
void runt_json_string(runt_json *j, const char *key, const char *value);
/* A non-finite value (NAN marks "not applicable") writes null. */
void runt_json_number(runt_json *j, const char *key, double value);
void runt_json_int(runt_json *j, const char *key, int64_t value);
/* An object `key` of count numbers, number k keyed prefix + names[k] +
 * suffix (a table indexed by an enum with a names array). */
void runt_json_numbers(runt_json *j, const char *key, const char *prefix,
                       const char *const *names, const char *suffix, const double *values,
                       int count);
void runt_json_null(runt_json *j, const char *key);

/* 0 when every call nested correctly and the stream has no error. */
int runt_json_finish(runt_json *j);

/* Writes s as a JSON string literal (quotes, escapes) to f. */
void runt_json_write_escaped(FILE *f, const char *s);

/* Looks up the first "key": in text. Returns 1 and sets *value for a number,
 * 0 for null (value NAN), -1 when the key is missing or holds something else. */
int runt_json_find_number(const char *text, const char *key, double *value);
/* As above for a string (no escapes beyond \" and \\ are decoded); 1 found,
 * 0 null, -1 missing. out is always terminated. */
int runt_json_find_string(const char *text, const char *key, char *out, size_t size);

#endif /* RUNT_BENCH_JSON_H */
