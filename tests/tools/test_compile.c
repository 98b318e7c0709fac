#define _POSIX_C_SOURCE 200809L
/* `runt compile`, and `runt info` / `runt run` on the .rnt it writes: the
 * file runs as the model it came from, int8 files hold integer layers, and
 * bad arguments are refused with one line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_harness.h"
#include "npy.h"
#include "rt_test.h"
#include "runt.h"
#include "test_util.h"

/* A fresh path under /tmp ending in suffix (the file itself is removed). */
static void temp_path(char *buf, size_t size, const char *suffix)
{
    snprintf(buf, size, "/tmp/runt_compile_XXXXXX");
    int fd = mkstemp(buf);
    RT_ASSERT(fd >= 0, "mkstemp");
    close(fd);
    remove(buf);
    strncat(buf, suffix, size - strlen(buf) - 1);
}

static void *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    RT_ASSERT(f, "%s", path);
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    rewind(f);
    void *p = malloc(*size + 1);
    RT_ASSERT(fread(p, 1, *size, f) == *size, "%s", path);
    fclose(f);
    return p;
}

RT_TEST(compile, rnt_runs_as_the_model_it_came_from)
{
    char rnt[64], x[64], y1[64], y2[64];
    temp_path(rnt, sizeof rnt, ".rnt");
    temp_path(x, sizeof x, ".npy");
    temp_path(y1, sizeof y1, ".npy");
    temp_path(y2, sizeof y2, ".npy");
    cli_result *r = CLI("runt", "compile", "@lenet", "-o", rnt);
    RT_ASSERT(r->status == 0 && strstr(r->out, "arena:") && strstr(r->out, "bytes"),
              "compile: %d %s%s", r->status, r->out, r->err);
    float in[2 * 28 * 28];
    rt_rng g = rt_rng_make(5);
    rt_fill_uniform(&g, in, sizeof in / sizeof in[0], -1.0f, 1.0f);
    int64_t dims[4] = {2, 1, 28, 28};
    runt_tensor t = rt_tensor_f32(in, 4, dims);
    RT_ASSERT(runt_npy_write(x, &t) == RUNT_OK, "%s", runt_last_error());
    r = CLI("runt", "run", "@lenet", "--input", x, "--output", y1, "--backend", "ref");
    RT_ASSERT(r->status == 0, "run @lenet: %s", r->err);
    r = CLI("runt", "run", rnt, "--input", x, "--output", y2, "--backend", "ref");
    RT_ASSERT(r->status == 0, "run .rnt: %s", r->err);
    size_t n1, n2;
    void *a = slurp(y1, &n1), *b = slurp(y2, &n2);
    RT_ASSERT(n1 == n2 && memcmp(a, b, n1) == 0, "outputs differ");
    r = CLI("runt", "info", rnt);
    RT_ASSERT(r->status == 0 && strstr(r->out, "Conv") && strstr(r->out, "total"), "info: %s%s",
              r->out, r->err);
    free(a), free(b);
    remove(rnt), remove(x), remove(y1), remove(y2);
}

RT_TEST(compile, int8_file_holds_integer_layers)
{
    char rnt[64];
    temp_path(rnt, sizeof rnt, ".rnt");
    cli_result *r = CLI("runt", "compile", "@seed1_model4", "-o", rnt, "--dtype", "int8");
    RT_ASSERT(r->status == 0 && strstr(r->out, "int8"), "compile: %s%s", r->out, r->err);
    /* The header's arena is what a session on the loaded file asks for. */
    size_t size;
    void *bytes = slurp(rnt, &size);
    void *aligned = aligned_alloc(64, (size + 63) / 64 * 64);
    memcpy(aligned, bytes, size);
    runt_rnt_info info;
    runt_model *m = NULL;
    RT_ASSERT(runt_rnt_info_get(aligned, size, &info) == RUNT_OK &&
                  runt_model_load_rnt(aligned, size, NULL, &m) == RUNT_OK,
              "%s", runt_last_error());
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    size_t want;
    RT_ASSERT(runt_session_arena_size(m, &o, &want) == RUNT_OK && want == info.arena_bytes,
              "arena %zu, header %zu", want, info.arena_bytes);
    char line[96];
    snprintf(line, sizeof line, "arena: %zu bytes", want);
    RT_ASSERT(strstr(r->out, line), "compile prints '%s': %s", line, r->out);
    runt_model_free(m);
    r = CLI("runt", "info", rnt);
    RT_ASSERT(r->status == 0 && strstr(r->out, "MatMulInteger") &&
                  strstr(r->out, "DynamicQuantizeLinear") && !strstr(r->out, "Gemm"),
              "info: %s", r->out);
    free(bytes), free(aligned);
    remove(rnt);
}

RT_TEST(compile, bad_arguments_are_one_line)
{
    cli_result *r = CLI("runt", "compile", "@lenet");
    RT_ASSERT(r->status == 2 && strstr(r->err, "-o"), "no -o: %d %s", r->status, r->err);
    r = CLI("runt", "compile", "@lenet", "-o", "/tmp/x.rnt", "--dtype", "int4");
    RT_ASSERT(r->status == 2 && strstr(r->err, "int4"), "--dtype int4: %d %s", r->status, r->err);
    r = CLI("runt", "compile", "@lenet", "-o", "/tmp/x.rnt", "--batch", "0");
    RT_ASSERT(r->status == 2, "--batch 0: %d %s", r->status, r->err);
    r = CLI("runt", "compile", "/nonexistent.onnx", "-o", "/tmp/x.rnt");
    RT_ASSERT(r->status == 1 && strstr(r->err, "/nonexistent.onnx") &&
                  strchr(r->err, '\n') == r->err + strlen(r->err) - 1,
              "missing model: %d %s", r->status, r->err);
    r = CLI("runt", "compile", "@lenet", "-o", "/nonexistent/dir/x.rnt");
    RT_ASSERT(r->status == 1 && strstr(r->err, "cannot write"), "unwritable: %s", r->err);
    r = CLI("runt", "run", "/nonexistent.rnt", "--input", "x.npy", "--output", "y.npy");
    RT_ASSERT(r->status == 1 && strstr(r->err, "nonexistent.rnt"), "missing .rnt: %s", r->err);
}
