#define _POSIX_C_SOURCE 200809L /* mkdtemp, rmdir for the external-data tests */
/* The ONNX reader on files: runt_model_load_file, and weights in external
 * data files (location, offset, length) beside the model or in a folder
 * named by runt_load_options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onnx_reader_fixtures.h"

/* ------------------------------------------------------------------------- */
/* Files and external data                                                   */
/* ------------------------------------------------------------------------- */

typedef struct tmpdir {
    char path[64];
    char files[4][128];
    int n_files;
} tmpdir;

static void tmp_make(tmpdir *t)
{
    memset(t, 0, sizeof *t);
    strcpy(t->path, "/tmp/runt-onnx-XXXXXX");
    RT_ASSERT(mkdtemp(t->path) != NULL, "mkdtemp failed");
}

static const char *tmp_write(tmpdir *t, const char *name, const void *data, size_t n)
{
    char full[sizeof t->files[0]];
    snprintf(full, sizeof full, "%s/%s", t->path, name);
    char *p = strcpy(t->files[t->n_files++], full);
    FILE *f = fopen(p, "wb");
    RT_ASSERT(f && fwrite(data, 1, n, f) == n, "writing %s", p);
    fclose(f);
    return p;
}

static void tmp_remove(tmpdir *t)
{
    for (int i = 0; i < t->n_files; i++)
        remove(t->files[i]);
    rmdir(t->path);
}

/* The MLP with W1 in an external file (location, offset, length). */
static pbw mlp_external_bytes(const mlp *m, const char *location, int64_t offset, int64_t length)
{
    pbw g = {0}, a1[1] = {onnx_attr_i("transB", 1)};
    pbw a2[2] = {onnx_attr_f("alpha", m->alpha), onnx_attr_f("beta", m->beta)};
    int64_t d_w1[2] = {m->hid, m->in}, d_w2[2] = {m->hid, m->out}, x_dims[2] = {-1, m->in};
    add_node(&g, "Gemm", "fc1", 3, NAMES("x", "W1", "B1"), 1, NAMES("h"), 1, a1);
    add_node(&g, "Relu", "relu1", 1, NAMES("h"), 1, NAMES("hr"), 0, NULL);
    add_node(&g, "Gemm", "fc2", 3, NAMES("hr", "W2", "B2"), 1, NAMES("y"), 2, a2);
    pbw w1 = {0};
    onnx_tensor_head(&w1, "W1", ONNX_FLOAT, 2, d_w1, 1);
    const char *keys[3] = {"location", "offset", "length"};
    char vals[3][64];
    snprintf(vals[0], sizeof vals[0], "%s", location);
    snprintf(vals[1], sizeof vals[1], "%lld", (long long)offset);
    snprintf(vals[2], sizeof vals[2], "%lld", (long long)length);
    for (int i = 0; i < 3; i++) {
        if (i == 2 && length < 0)
            continue;
        pbw e = {0};
        runt_pb_put_str(&e, 1, keys[i]);
        runt_pb_put_str(&e, 2, vals[i]);
        pbw_msg(&w1, 13, &e);
    }
    runt_pb_put_int(&w1, 14, 1);
    add_init(&g, w1);
    add_init(&g, onnx_tensor_f32("B1", 1, &m->hid, m->b1, FORM_RAW));
    add_init(&g, onnx_tensor_f32("W2", 2, d_w2, m->w2, FORM_RAW));
    add_init(&g, onnx_tensor_f32("B2", 1, &m->out, m->b2, FORM_RAW));
    add_io(&g, ONNX_GRAPH_INPUT, "x", 2, x_dims);
    add_io(&g, ONNX_GRAPH_OUTPUT, "y", 0, NULL);
    return onnx_model(&g, 13);
}

RT_TEST(onnx_reader, files_and_external_data)
{
    rt_rng r = rt_rng_make(130);
    mlp m = mlp_make(&r);
    tmpdir t;
    tmp_make(&t);
    /* 16 bytes of padding, then W1 little-endian (the host here is LE). */
    size_t wbytes = sizeof(float) * (size_t)(m.hid * m.in);
    uint8_t *blob = calloc(1, 16 + wbytes);
    memcpy(blob + 16, m.w1, wbytes);
    tmp_write(&t, "weights.bin", blob, 16 + wbytes);
    pbw ok = mlp_external_bytes(&m, "weights.bin", 16, (int64_t)wbytes);
    const char *path = tmp_write(&t, "model.onnx", ok.p, ok.n);
    runt_model *model = NULL;
    RT_ASSERT(runt_model_load_file(path, NULL, &model) == RUNT_OK, "load_file: %s",
              runt_last_error());
    int64_t batch = 2;
    float *x = random_floats(&r, batch * m.in, -1, 1);
    size_t n;
    float *y = run1(model, batch, x, &n);
    double *want = mlp_reference(&m, x, batch);
    check_close(y, want, n, "external W1");
    rt_guarded_free(y);
    runt_model_free(model);
    /* The buffer path needs the directory named. */
    load_fails(&ok, NULL, RUNT_E_INVALID_ARG, NAMES("tensor 'W1'", "external_data_dir", NULL));
    runt_load_options o;
    memset(&o, 0, sizeof o);
    o.external_data_dir = t.path;
    runt_model_free(load_ok(&ok, &o));
    /* Without a length the data runs to the end of the file. */
    pbw rest = mlp_external_bytes(&m, "weights.bin", 16, -1);
    runt_model_free(load_ok(&rest, &o));
    /* Escapes, wrong sizes, missing files. */
    pbw esc = mlp_external_bytes(&m, "../weights.bin", 16, (int64_t)wbytes);
    load_fails(&esc, &o, RUNT_E_BAD_MODEL, NAMES("'../weights.bin'", "leaves", NULL));
    pbw abs = mlp_external_bytes(&m, "/etc/passwd", 0, -1);
    load_fails(&abs, &o, RUNT_E_BAD_MODEL, NAMES("'/etc/passwd'", NULL));
    pbw len = mlp_external_bytes(&m, "weights.bin", 16, (int64_t)wbytes - 4);
    load_fails(&len, &o, RUNT_E_BAD_MODEL, NAMES("tensor 'W1'", "need", NULL));
    pbw off = mlp_external_bytes(&m, "weights.bin", 1 << 20, (int64_t)wbytes);
    load_fails(&off, &o, RUNT_E_BAD_MODEL, NAMES("runs past the end", NULL));
    pbw missing = mlp_external_bytes(&m, "absent.bin", 0, (int64_t)wbytes);
    load_fails(&missing, &o, RUNT_E_IO, NAMES("absent.bin", NULL));
    runt_pb_writer_free(&ok);
    runt_pb_writer_free(&rest);
    runt_pb_writer_free(&esc);
    runt_pb_writer_free(&abs);
    runt_pb_writer_free(&len);
    runt_pb_writer_free(&off);
    runt_pb_writer_free(&missing);
    free(want);
    free(x);
    free(blob);
    tmp_remove(&t);
    mlp_free(&m);
}
