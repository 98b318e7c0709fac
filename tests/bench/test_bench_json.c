#define _POSIX_C_SOURCE 200809L
/* The JSON writer and key lookup: exact text for a small document worked
 * out from RFC 8259 by hand, a separate validator for a larger one, and
 * the calibration cache written and read back. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"
#include "json.h"
#include "rt_test.h"
#include "test_util.h"

static void slurp(FILE *f, char *buf, size_t size)
{
    rewind(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

RT_TEST(bench_json, compact_text_escapes_and_nulls)
{
    FILE *f = tmpfile();
    RT_ASSERT(f, "tmpfile");
    runt_json j;
    runt_json_init(&j, f, 0);
    runt_json_begin_object(&j, NULL);
    runt_json_string(&j, "s", "a\"b\\c\nd\x01 \xc3\xa9");
    runt_json_string(&j, "none", NULL);
    runt_json_number(&j, "nan", NAN);
    runt_json_number(&j, "inf", INFINITY);
    runt_json_begin_array(&j, "v");
    runt_json_int(&j, NULL, -3);
    runt_json_number(&j, NULL, 2.5);
    runt_json_null(&j, NULL);
    runt_json_begin_object(&j, NULL);
    runt_json_end_object(&j);
    runt_json_end_array(&j);
    runt_json_end_object(&j);
    RT_ASSERT(runt_json_finish(&j) == 0, "balanced document");
    char text[512];
    slurp(f, text, sizeof text);
    const char *want = "{\"s\":\"a\\\"b\\\\c\\nd\\u0001 \xc3\xa9\",\"none\":null,\"nan\":null,"
                       "\"inf\":null,\"v\":[-3,2.5,null,{}]}";
    RT_ASSERT(strcmp(text, want) == 0, "got  %s\nwant %s", text, want);
}

RT_TEST(bench_json, unbalanced_nesting_is_an_error)
{
    FILE *f = tmpfile();
    RT_ASSERT(f, "tmpfile");
    runt_json j;
    runt_json_init(&j, f, 2);
    runt_json_begin_object(&j, NULL);
    runt_json_begin_array(&j, "a");
    RT_ASSERT(runt_json_finish(&j) != 0, "unclosed array and object");
    runt_json_init(&j, f, 2);
    runt_json_end_object(&j);
    RT_ASSERT(runt_json_finish(&j) != 0, "closing what was never opened");
    fclose(f);
}

/* A validator written apart from the writer: RFC 8259's grammar. */
static const char *ws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
        p++;
    return p;
}

static const char *value(const char *p, int depth);

static const char *string(const char *p)
{
    if (*p++ != '"')
        return NULL;
    while (*p != '"') {
        if ((unsigned char)*p < 0x20)
            return NULL;
        if (*p == '\\') {
            p++;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
                        return NULL;
                p += 4;
            } else if (!*p || !strchr("\"\\/bfnrt", *p)) {
                return NULL;
            }
        }
        p++;
    }
    return p + 1;
}

static const char *number(const char *p)
{
    const char *start = p;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (*p >= '0' && *p <= '9')
            p++;
    else
        return NULL;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return NULL;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!(*p >= '0' && *p <= '9'))
            return NULL;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return p > start ? p : NULL;
}

static const char *value(const char *p, int depth)
{
    p = ws(p);
    if (depth > 32)
        return NULL;
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        p = ws(p + 1);
        if (*p == close)
            return p + 1;
        for (;;) {
            if (close == '}') {
                if (!(p = string(ws(p))) || *(p = ws(p)) != ':')
                    return NULL;
                p++;
            }
            if (!(p = value(p, depth + 1)))
                return NULL;
            p = ws(p);
            if (*p == close)
                return p + 1;
            if (*p++ != ',')
                return NULL;
        }
    }
    if (*p == '"')
        return string(p);
    if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
        return p + 4;
    if (!strncmp(p, "false", 5))
        return p + 5;
    return number(p);
}

static int valid_json(const char *text)
{
    const char *end = value(text, 0);
    return end && *ws(end) == '\0';
}

RT_TEST(bench_json, indented_documents_are_valid_json)
{
    RT_ASSERT(!valid_json("{\"a\":1,}") && !valid_json("{\"a\":nan}") && valid_json("[1e-3, -0.5]"),
              "the validator itself rejects and accepts");
    rt_rng rng = rt_rng_make(611);
    FILE *f = tmpfile();
    RT_ASSERT(f, "tmpfile");
    runt_json j;
    runt_json_init(&j, f, 2);
    runt_json_begin_object(&j, NULL);
    runt_json_begin_array(&j, "rows");
    for (int i = 0; i < 20; i++) {
        runt_json_begin_object(&j, NULL);
        char name[32];
        snprintf(name, sizeof name, "m\t%d\"", i);
        runt_json_string(&j, "name", name);
        runt_json_number(&j, "x", rt_rng_uniform(&rng, -1e9, 1e9));
        runt_json_number(&j, "tiny", rt_rng_uniform(&rng, 1e-12, 1e-9));
        runt_json_number(&j, "maybe", i % 3 ? 1.0 / i : NAN);
        runt_json_int(&j, "n", rt_rng_int(&rng, -1000000000000LL, 1000000000000LL));
        runt_json_end_object(&j);
    }
    runt_json_end_array(&j);
    runt_json_end_object(&j);
    RT_ASSERT(runt_json_finish(&j) == 0, "finish");
    static char text[16384];
    slurp(f, text, sizeof text);
    RT_ASSERT(valid_json(text), "valid JSON:\n%s", text);
}

RT_TEST(bench_json, lookup_finds_numbers_strings_and_nulls)
{
    const char *doc = "{\"a\": 1.5e3, \"b\" : null, \"name\": \"x \\\"y\\\"\", \"nested\": {\"c\": -2}}";
    double v;
    RT_ASSERT(runt_json_find_number(doc, "a", &v) == 1 && v == 1500, "a = 1500: %g", v);
    RT_ASSERT(runt_json_find_number(doc, "b", &v) == 0 && isnan(v), "b is null");
    RT_ASSERT(runt_json_find_number(doc, "c", &v) == 1 && v == -2, "nested c = -2");
    RT_ASSERT(runt_json_find_number(doc, "missing", &v) == -1, "missing key");
    RT_ASSERT(runt_json_find_number(doc, "name", &v) == -1, "a string is not a number");
    char s[16];
    RT_ASSERT(runt_json_find_string(doc, "name", s, sizeof s) == 1 && strcmp(s, "x \"y\"") == 0,
              "string with escaped quotes: %s", s);
    RT_ASSERT(runt_json_find_string(doc, "b", s, sizeof s) == 0, "null string");
    char small[3];
    RT_ASSERT(runt_json_find_string(doc, "name", small, sizeof small) == 1 && strlen(small) == 2,
              "truncated to the buffer: '%s'", small);
}

RT_TEST(bench_json, calibration_cache_round_trip)
{
    char dir[] = "/tmp/runt-cal-XXXXXX";
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    runt_calibration c, back;
    memset(&c, 0, sizeof c);
    strcpy(c.backend, "ref");
    strcpy(c.device, "a \"quoted\" device");
    c.threads = 3;
    c.host_memory = 1;
    c.peak_gflops = 12.5;
    c.peak_int8_gops = NAN;
    c.eltwise_gflops = 0.75;
    double bw[4] = {100, 50, NAN, 10}, cap[4] = {32768, 1048576, 33554432, INFINITY};
    memcpy(c.bw_gbps, bw, sizeof bw);
    memcpy(c.level_bytes, cap, sizeof cap);
    c.launch_us = 0.125;
    c.run_us = 0.5;
    c.h2d_gbps = c.d2h_gbps = NAN;
    c.raised = 1 << RUNT_LEVEL_L3;
    RT_ASSERT(runt_calibration_save(&c, dir) == RUNT_OK, "%s", runt_last_error());
    char path[256];
    runt_calibration_path(dir, "ref", 3, path, sizeof path);
    RT_ASSERT(runt_calibration_load(path, &back) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(strcmp(back.device, c.device) == 0 && back.threads == 3 && back.host_memory == 1,
              "identity: '%s' %d", back.device, back.threads);
    RT_ASSERT(back.peak_gflops == 12.5 && isnan(back.peak_int8_gops) && back.eltwise_gflops == 0.75,
              "peaks");
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++) {
        RT_ASSERT(isnan(bw[l]) ? isnan(back.bw_gbps[l]) : back.bw_gbps[l] == bw[l], "bw level %d", l);
        RT_ASSERT(back.level_bytes[l] == cap[l], "capacity level %d", l);
    }
    RT_ASSERT(back.launch_us == 0.125 && back.run_us == 0.5 && isnan(back.h2d_gbps), "dispatch");
    RT_ASSERT(back.raised == 1 << RUNT_LEVEL_L3, "raised levels: %d", back.raised);
    /* A file that is not a calibration is refused. */
    FILE *f = fopen(path, "w");
    RT_ASSERT(f, "rewrite");
    fputs("{\"format\": 999}", f);
    fclose(f);
    RT_ASSERT(runt_calibration_load(path, &back) == RUNT_E_IO, "another format is refused");
    RT_ASSERT(runt_calibration_load("/nonexistent/x.json", &back) == RUNT_E_IO, "missing file");
    remove(path);
    remove(dir);
}
