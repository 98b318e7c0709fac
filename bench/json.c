#include "json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void runt_json_init(runt_json *j, FILE *f, int indent)
{
    memset(j, 0, sizeof *j);
    j->f = f;
    j->indent = indent;
}

void runt_json_write_escaped(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            /* RFC 8259 section 7: control characters must be escaped; other
             * bytes (UTF-8 included) pass through. */
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void runt_json_newline(runt_json *j)
{
    if (!j->indent)
        return;
    fputc('\n', j->f);
    for (int i = 0; i < j->depth * j->indent; i++)
        fputc(' ', j->f);
}

/* The comma, line break and key before a member. */
static void runt_json_member(runt_json *j, const char *key)
{
    if (j->depth > 0) {
        if (j->count[j->depth - 1]++)
            fputc(',', j->f);
        runt_json_newline(j);
    }
    if (key) {
        runt_json_write_escaped(j->f, key);
        fputs(j->indent ? ": " : ":", j->f);
    }
}

static void runt_json_open(runt_json *j, const char *key, char bracket)
{
    runt_json_member(j, key);
    fputc(bracket, j->f);
    if (j->depth == RUNT_JSON_MAX_DEPTH) {
        j->error = 1;
        return;
    }
    j->count[j->depth++] = 0;
}

static void runt_json_close(runt_json *j, char bracket)
{
    if (j->depth == 0) {
        j->error = 1;
        return;
    }
    int had_members = j->count[--j->depth] > 0;
    if (had_members)
        runt_json_newline(j);
    fputc(bracket, j->f);
}

void runt_json_begin_object(runt_json *j, const char *key) { runt_json_open(j, key, '{'); }
void runt_json_end_object(runt_json *j) { runt_json_close(j, '}'); }
void runt_json_begin_array(runt_json *j, const char *key) { runt_json_open(j, key, '['); }
void runt_json_end_array(runt_json *j) { runt_json_close(j, ']'); }

void runt_json_string(runt_json *j, const char *key, const char *value)
{
    runt_json_member(j, key);
    if (value)
        runt_json_write_escaped(j->f, value);
    else
        fputs("null", j->f);
}

void runt_json_number(runt_json *j, const char *key, double value)
{
    runt_json_member(j, key);
    if (isfinite(value))
        fprintf(j->f, "%.10g", value);
    else
        fputs("null", j->f); /* JSON has no NaN or Infinity */
}

void runt_json_numbers(runt_json *j, const char *key, const char *prefix,
                       const char *const *names, const char *suffix, const double *values,
                       int count)
{
    runt_json_begin_object(j, key);
    for (int k = 0; k < count; k++) {
        char name[64];
        snprintf(name, sizeof name, "%s%s%s", prefix, names[k], suffix);
        runt_json_number(j, name, values[k]);
    }
    runt_json_end_object(j);
}

void runt_json_int(runt_json *j, const char *key, int64_t value)
{
    runt_json_member(j, key);
    fprintf(j->f, "%lld", (long long)value);
}

void runt_json_null(runt_json *j, const char *key)
{
    runt_json_member(j, key);
    fputs("null", j->f);
}

int runt_json_finish(runt_json *j)
{
    if (j->indent)
        fputc('\n', j->f);
    return j->error || j->depth != 0 || ferror(j->f) ? -1 : 0;
}

/* The first character of the value of "key", or NULL. */
static const char *runt_json_value_of(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *p = text; (p = strchr(p, '"')) != NULL; p++) {
        if (strncmp(p + 1, key, klen) != 0 || p[1 + klen] != '"')
            continue;
        const char *v = p + 2 + klen;
        while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
            v++;
        if (*v != ':')
            continue;
        v++;
        while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
            v++;
        return v;
    }
    return NULL;
}

int runt_json_find_number(const char *text, const char *key, double *value)
{
    *value = NAN;
    const char *v = runt_json_value_of(text, key);
    if (!v)
        return -1;
    if (strncmp(v, "null", 4) == 0)
        return 0;
    char *end;
    double d = strtod(v, &end);
    if (end == v)
        return -1;
    *value = d;
    return 1;
}

int runt_json_find_string(const char *text, const char *key, char *out, size_t size)
{
    if (size)
        out[0] = '\0';
    const char *v = runt_json_value_of(text, key);
    if (!v)
        return -1;
    if (strncmp(v, "null", 4) == 0)
        return 0;
    if (*v != '"')
        return -1;
    size_t n = 0;
    for (v++; *v && *v != '"'; v++) {
        if (*v == '\\' && v[1])
            v++;
        if (n + 1 < size)
            out[n++] = *v;
    }
    if (size)
        out[n] = '\0';
    return *v == '"' ? 1 : -1;
}
