#define _POSIX_C_SOURCE 200809L
/* The JSON writer and key lookup: exact text for a small document worked
 * out from RFC 8259 by hand, a separate validator for a larger one, and
 * the calibration cache written and read back. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
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

/* ------------------------------------------------------------------------- */
/* The bound field in the bench's JSON and CSV, and the contract checker      */
/* ------------------------------------------------------------------------- */

/* One ref device and two measured rows, one memory-bound, one compute-bound. */
static runt_bench_report *bound_report(void)
{
    runt_bench_report *r = calloc(1, sizeof *r);
    RT_ASSERT(r, "calloc");
    snprintf(r->cpu, sizeof r->cpu, "test cpu");
    snprintf(r->os, sizeof r->os, "test os");
    r->threads = 1;
    runt_calibration *c = &r->devices[r->n_devices++];
    snprintf(c->backend, sizeof c->backend, "ref");
    snprintf(c->device, sizeof c->device, "host");
    c->threads = 1;
    c->host_memory = 1;
    c->peak_gflops = 4;
    c->peak_int8_gops = c->h2d_gbps = c->d2h_gbps = NAN;
    c->eltwise_gflops = 0.5;
    for (int l = 0; l < RUNT_LEVEL_COUNT; l++)
        c->bw_gbps[l] = 10.0 / (1 + l);
    c->launch_us = 0.5;
    r->rows = calloc(2, sizeof *r->rows);
    RT_ASSERT(r->rows, "calloc");
    r->n_rows = r->cap_rows = 2;
    static const char *const models[2] = {"seed1_model2", "seed0_simple"};
    static const char *const bounds[2] = {"L3", "compute"};
    for (int i = 0; i < 2; i++) {
        runt_bench_row *w = &r->rows[i];
        snprintf(w->suite, sizeof w->suite, "seeds");
        snprintf(w->model, sizeof w->model, "%s", models[i]);
        snprintf(w->family, sizeof w->family, "mlp");
        snprintf(w->backend, sizeof w->backend, "ref");
        snprintf(w->dtype, sizeof w->dtype, "f32");
        snprintf(w->bound, sizeof w->bound, "%s", bounds[i]);
        w->batch = 1;
        w->params = w->flops = w->bytes = 1000;
        w->layers = w->launches = 1;
        w->median_us = w->p10_us = w->p90_us = w->first_run_us = 10;
        w->create_us = 1;
        w->h2d_us = w->d2h_us = w->torch_us = w->ort_us = w->torch_graph_us = w->err_vs_f32 = NAN;
        w->gflops = w->gbps = 0.1;
        w->predicted_us = 11;
        w->reps = 3;
    }
    return r;
}

static void free_bound_report(runt_bench_report *r)
{
    free(r->rows);
    free(r);
}

/* Runs bench/check_json.py on path; its exit status. */
static int check_json(const char *path)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "python3 %s/bench/check_json.py %s >/dev/null 2>&1",
             runt_bench_source_dir(), path);
    int rc = system(cmd);
    return rc == -1 ? -1 : WEXITSTATUS(rc);
}

/* Writes text to path with every line holding `drop` left out, and every
 * `from` replaced by `to` (when from is not NULL). */
static void rewrite(const char *text, const char *path, const char *drop, const char *from,
                    const char *to)
{
    FILE *f = fopen(path, "w");
    RT_ASSERT(f, "write %s", path);
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line + 1) : strlen(line);
        char buf[512];
        snprintf(buf, sizeof buf, "%.*s", (int)len, line);
        if (!drop || !strstr(buf, drop)) {
            char *at = from ? strstr(buf, from) : NULL;
            if (at)
                fprintf(f, "%.*s%s%s", (int)(at - buf), buf, to, at + strlen(from));
            else
                fputs(buf, f);
        }
        line += len;
    }
    fclose(f);
}

RT_TEST(bench_json, rows_carry_the_bound_and_the_checker_takes_old_and_new)
{
    runt_bench_report *r = bound_report();
    char dir[] = "/tmp/runt-bound-XXXXXX";
    RT_ASSERT(mkdtemp(dir), "mkdtemp");
    char json[256], old[256], bad[256], csv[256];
    snprintf(json, sizeof json, "%s/new.json", dir);
    snprintf(old, sizeof old, "%s/old.json", dir);
    snprintf(bad, sizeof bad, "%s/bad.json", dir);
    snprintf(csv, sizeof csv, "%s/rows.csv", dir);
    RT_ASSERT(runt_bench_write_json_to(json, stdout, r) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_bench_write_csv_to(csv, stdout, r) == RUNT_OK, "%s", runt_last_error());

    static char text[16384];
    FILE *f = fopen(json, "r");
    RT_ASSERT(f, "JSON written");
    slurp(f, text, sizeof text);
    RT_ASSERT(strstr(text, "\"bound\": \"L3\"") && strstr(text, "\"bound\": \"compute\""),
              "each row's bound in the JSON:\n%s", text);
    /* The bound sits right after the prediction it explains. */
    const char *pred = strstr(text, "\"predicted_us\"");
    RT_ASSERT(pred && strstr(pred, "\"bound\"") < strstr(pred, "\"peer\""), "bound after predicted_us");

    f = fopen(csv, "r");
    RT_ASSERT(f, "CSV written");
    static char ctext[4096];
    slurp(f, ctext, sizeof ctext);
    /* Appended after the older columns (bound, then the math mode and the
     * error), so readers that index the older columns by position still
     * find them. */
    static const char tail[] = ",bound,math,err_vs_f32";
    const size_t tail_len = sizeof tail - 1;
    const char *eol = strchr(ctext, '\n');
    RT_ASSERT(eol && (size_t)(eol - ctext) > tail_len && strncmp(eol - tail_len, tail, tail_len) == 0,
              "header ends in bound, math, err_vs_f32: %s", ctext);
    static const char older[] = "suite,model,family,backend,dtype,batch,params,flops,bytes,"
                                "layers,launches,status,median_us,";
    RT_ASSERT(strncmp(ctext, older, sizeof older - 1) == 0, "the older columns keep their places");
    int header_commas = 0;
    for (const char *p = ctext; p < eol; p++)
        header_commas += *p == ',';
    const char *row = eol + 1, *row_end = strchr(row, '\n');
    int row_commas = 0;
    for (const char *p = row; p < row_end; p++)
        row_commas += *p == ',';
    RT_ASSERT(row_commas == header_commas, "a row has the header's %d columns: %d", header_commas + 1,
              row_commas + 1);
    /* bound L3, math f32, no error (the f32 row is its own reference). */
    RT_ASSERT(row_end - row > 8 && strncmp(row_end - 8, ",L3,f32,", 8) == 0,
              "first row ends in L3, f32 and an empty error: %.*s", (int)(row_end - row), row);

    if (system("python3 -c 'import json' >/dev/null 2>&1") != 0) {
        const char *files[] = {json, csv};
        for (int i = 0; i < 2; i++)
            unlink(files[i]);
        rmdir(dir);
        free_bound_report(r);
        RT_SKIP("python3 is not here: bench/check_json.py not run");
    }
    RT_ASSERT(check_json(json) == 0, "the checker accepts output with bound");
    rewrite(text, old, "\"bound\"", NULL, NULL);
    f = fopen(old, "r");
    static char otext[16384];
    slurp(f, otext, sizeof otext);
    RT_ASSERT(!strstr(otext, "bound"), "the old form has no bound");
    RT_ASSERT(check_json(old) == 0, "the checker accepts output from before the bound");
    rewrite(text, bad, NULL, "\"bound\": \"L3\"", "\"bound\": \"L4\"");
    RT_ASSERT(check_json(bad) == 1, "a bound that names nothing known is refused");
    rewrite(text, bad, NULL, "\"bound\": \"L3\"", "\"bound\": 3");
    RT_ASSERT(check_json(bad) == 1, "a bound that is not a string is refused");
    const char *files[] = {json, old, bad, csv};
    for (int i = 0; i < 4; i++)
        unlink(files[i]);
    rmdir(dir);
    free_bound_report(r);
}
