#define _POSIX_C_SOURCE 200809L
/*
 * Models exported from PyTorch (tests/data/pytorch, written by
 * scripts/make-pytorch-fixtures.py with PyTorch's outputs saved beside
 * them): every available backend reproduces PyTorch's output within 1e-4 of
 * its scale, at the saved batch and at batch 1; `runt run` does the same end
 * to end; and real exporter files cut short or corrupted give errors, never
 * crashes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "npy.h"
#include "rt_test.h"
#include "runt.h"
#include "test_util.h"

/* What the issue asks of a PyTorch round trip; float32 kernels in another
 * order than PyTorch's land near 1e-7 of the output's scale (measured
 * 6e-8 to 2e-7 on these models), so a wrong op errs far above it. */
#define PYTORCH_BOUND 1e-4
#define MAX_FIXTURES 64

#ifndef RUNT_BUILT_IN_BACKENDS
#define RUNT_BUILT_IN_BACKENDS "ref,cpu,cuda"
#endif

/* A backend of the build (tests/onnx/CMakeLists.txt names them), not one a
 * test registered: the in-process runner shares one registry between tests. */
static int built_in(const char *backend)
{
    const char *list = RUNT_BUILT_IN_BACKENDS;
    size_t n = strlen(backend);
    for (const char *p = list; (p = strstr(p, backend)); p += n)
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

typedef struct fixture {
    char onnx[512], x[512], y[512];
} fixture;

/* tests/data/pytorch, or NULL (RUNT_TEST_DATA unset: not run by ctest). */
static const char *fixture_dir(void)
{
    static char dir[256];
    const char *data = getenv("RUNT_TEST_DATA");
    if (!data || !*data)
        return NULL;
    snprintf(dir, sizeof dir, "%s/pytorch", data);
    return dir;
}

/* fixtures.txt: "ONNX_FILE INPUT_NPY OUTPUT_NPY" per line, '#' comments. */
static int fixtures_read(fixture *f, int cap)
{
    const char *dir = fixture_dir();
    char path[512], line[512], a[128], b[128], c[128];
    int n = 0;
    if (!dir)
        RT_SKIP("RUNT_TEST_DATA is not set (ctest sets it to tests/data)");
    snprintf(path, sizeof path, "%s/fixtures.txt", dir);
    FILE *fp = fopen(path, "r");
    RT_ASSERT(fp, "cannot open %s", path);
    while (n < cap && fgets(line, sizeof line, fp)) {
        if (line[0] == '#' || sscanf(line, "%127s %127s %127s", a, b, c) != 3)
            continue;
        snprintf(f[n].onnx, sizeof f[n].onnx, "%s/%s", dir, a);
        snprintf(f[n].x, sizeof f[n].x, "%s/%s", dir, b);
        snprintf(f[n].y, sizeof f[n].y, "%s/%s", dir, c);
        n++;
    }
    fclose(fp);
    RT_ASSERT(n >= 10, "%s lists %d fixtures; the script writes 18", path, n);
    return n;
}

static double *to_double(const runt_tensor *t, int64_t count)
{
    double *d = malloc(sizeof *d * (size_t)count);
    RT_ASSERT(d, "out of memory");
    for (int64_t i = 0; i < count; i++)
        d[i] = ((const float *)t->data)[i];
    return d;
}

/* Runs m on backend at the batch x's first rows give, compares with the
 * first rows of want, and returns the normalized error. */
static double run_rows(const runt_model *m, const char *backend, const runt_tensor *x,
                       const runt_tensor *want, int64_t rows, const char *what)
{
    runt_session_options o = runt_session_options_default();
    runt_session *s = NULL;
    runt_tensor in = *x, out;
    o.backend = backend;
    o.batch = rows;
    in.dims[0] = rows;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s on %s: session: %s", what, backend,
              runt_last_error());
    RT_ASSERT(runt_session_output_desc(s, 0, &out) == RUNT_OK, "%s: %s", what, runt_last_error());
    int64_t per_row = runt_tensor_count(want) / want->dims[0];
    RT_ASSERT(out.ndim == want->ndim && out.dims[0] == rows &&
                  runt_tensor_count(&out) == rows * per_row,
              "%s on %s: output of %d dims, %lld elements; PyTorch's: %d dims, %lld", what,
              backend, out.ndim, (long long)runt_tensor_count(&out), want->ndim,
              (long long)(rows * per_row));
    size_t n = (size_t)(rows * per_row);
    float *y = rt_guarded_alloc(n);
    out.data = y;
    RT_ASSERT(runt_session_run(s, &in, 1, &out, 1) == RUNT_OK, "%s on %s: run: %s", what,
              backend, runt_last_error());
    RT_ASSERT(rt_guard_intact(y, n), "%s on %s: wrote past the output", what, backend);
    double *w = to_double(want, (int64_t)n);
    double err = rt_norm_max_error(y, w, n, 1e-6);
    free(w);
    rt_guarded_free(y);
    runt_session_free(s);
    return err;
}

RT_TEST(pytorch_fixtures, every_backend_matches_pytorch)
{
    static fixture f[MAX_FIXTURES];
    int n = fixtures_read(f, MAX_FIXTURES), count = 0, checked = 0;
    RT_ASSERT(runt_backend_count(&count) == RUNT_OK, "backend count: %s", runt_last_error());
    for (int i = 0; i < n; i++) {
        runt_model *m = NULL;
        runt_tensor x, y;
        RT_ASSERT(runt_model_load_file(f[i].onnx, NULL, &m) == RUNT_OK, "%s", runt_last_error());
        RT_ASSERT(runt_npy_read(f[i].x, &x) == RUNT_OK, "%s", runt_last_error());
        RT_ASSERT(runt_npy_read(f[i].y, &y) == RUNT_OK, "%s", runt_last_error());
        RT_ASSERT(x.ndim >= 1 && y.ndim >= 1 && x.dims[0] == y.dims[0] && x.dims[0] > 1,
                  "%s: input and output share a batch of more than 1", f[i].x);
        for (int b = 0; b < count; b++) {
            runt_device_info d;
            RT_ASSERT(runt_backend_info(b, &d) == RUNT_OK, "%s", runt_last_error());
            if (!d.available || !built_in(d.backend))
                continue; /* a CUDA build without a GPU: the other tests say so */
            double full = run_rows(m, d.backend, &x, &y, x.dims[0], f[i].onnx);
            double one = run_rows(m, d.backend, &x, &y, 1, f[i].onnx);
            RT_ASSERT(full < PYTORCH_BOUND && one < PYTORCH_BOUND,
                      "%s on %s: normalized error %g at batch %lld, %g at batch 1 (bound %g)",
                      f[i].onnx, d.backend, full, (long long)x.dims[0], one, PYTORCH_BOUND);
            checked++;
        }
        free(x.data);
        free(y.data);
        runt_model_free(m);
    }
    RT_ASSERT(checked >= n, "%d fixture runs for %d fixtures: no available backend?", checked, n);
}

/* `runt run` on the default exporter's LeNet, on the reference backend and
 * on the default one, against PyTorch's output. */
RT_TEST(pytorch_fixtures, runt_run_reproduces_pytorch)
{
    const char *dir = fixture_dir();
    if (!dir)
        RT_SKIP("RUNT_TEST_DATA is not set (ctest sets it to tests/data)");
    char model[512], xpath[512], ypath[512], out[64] = "/tmp/runt-pytorch-XXXXXX";
    snprintf(model, sizeof model, "%s/lenet5_dynamo18.onnx", dir);
    snprintf(xpath, sizeof xpath, "%s/lenet5_x.npy", dir);
    snprintf(ypath, sizeof ypath, "%s/lenet5_y.npy", dir);
    RT_ASSERT(mkdtemp(out), "mkdtemp");
    char got_path[96];
    snprintf(got_path, sizeof got_path, "%s/y.npy", out);
    runt_tensor want;
    RT_ASSERT(runt_npy_read(ypath, &want) == RUNT_OK, "%s", runt_last_error());
    for (int pass = 0; pass < 2; pass++) {
        const char *argv[] = {"runt", "run", model, "--input", xpath, "--output", got_path,
                              "--backend", "ref", NULL};
        int argc = pass == 0 ? 9 : 7; /* the second pass: the default backend */
        FILE *so = tmpfile(), *se = tmpfile();
        RT_ASSERT(so && se, "tmpfile");
        int status = runt_cli_main(argc, (char **)argv, so, se);
        char err[512] = "";
        rewind(se);
        size_t got_n = fread(err, 1, sizeof err - 1, se);
        err[got_n] = '\0';
        fclose(so);
        fclose(se);
        RT_ASSERT(status == 0, "runt run (%s): status %d: %s", pass ? "default" : "ref", status,
                  err);
        runt_tensor got;
        RT_ASSERT(runt_npy_read(got_path, &got) == RUNT_OK, "%s", runt_last_error());
        RT_ASSERT(got.ndim == want.ndim && got.dims[0] == want.dims[0] &&
                      runt_tensor_count(&got) == runt_tensor_count(&want),
                  "runt run wrote %d dims, %lld elements", got.ndim,
                  (long long)runt_tensor_count(&got));
        double *w = to_double(&want, runt_tensor_count(&want));
        double e = rt_norm_max_error(got.data, w, (size_t)runt_tensor_count(&want), 1e-6);
        RT_ASSERT(e < PYTORCH_BOUND, "runt run (%s): normalized error %g", pass ? "default" : "ref",
                  e);
        free(w);
        free(got.data);
        unlink(got_path);
    }
    free(want.data);
    rmdir(out);
}

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    RT_ASSERT(fp, "cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)n);
    RT_ASSERT(p && fread(p, 1, (size_t)n, fp) == (size_t)n, "cannot read %s", path);
    fclose(fp);
    *size = (size_t)n;
    return p;
}

/* Exporter output cut at many points, and with bytes overwritten: an error
 * with a message, or (a flip in a weight) a model; never a crash. */
RT_TEST(pytorch_fixtures, truncated_and_corrupted_exports_fail_cleanly)
{
    const char *dir = fixture_dir();
    if (!dir)
        RT_SKIP("RUNT_TEST_DATA is not set (ctest sets it to tests/data)");
    char path[512];
    snprintf(path, sizeof path, "%s/cnn_batchnorm_pool_dynamo18.onnx", dir);
    size_t size;
    unsigned char *bytes = slurp(path, &size);
    runt_model *m = NULL;
    for (size_t cut = 0; cut < size; cut += 1 + cut / 8) {
        runt_status s = runt_model_load_buffer(bytes, cut, NULL, &m);
        RT_ASSERT(s != RUNT_OK && m == NULL && runt_last_error()[0],
                  "cut at %zu of %zu: status %s, message '%s'", cut, size, runt_status_name(s),
                  runt_last_error());
    }
    rt_rng r = rt_rng_make(141);
    unsigned char *copy = malloc(size);
    RT_ASSERT(copy, "out of memory");
    for (int t = 0; t < 300; t++) {
        memcpy(copy, bytes, size);
        for (int k = 0; k < 4; k++)
            copy[rt_rng_int(&r, 0, (int64_t)size - 1)] = (unsigned char)rt_rng_int(&r, 0, 255);
        runt_status s = runt_model_load_buffer(copy, size, NULL, &m);
        RT_ASSERT((s == RUNT_OK) == (m != NULL) && (s == RUNT_OK || runt_last_error()[0]),
                  "corruption %d: status %s without %s", t, runt_status_name(s),
                  s == RUNT_OK ? "a model" : "a message");
        runt_model_free(m);
        m = NULL;
    }
    free(copy);
    free(bytes);
}
