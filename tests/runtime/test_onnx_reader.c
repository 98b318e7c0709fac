/* The ONNX reader: models written as bytes here (onnx_messages.h), loaded,
 * run on the reference backend and compared with double-precision
 * references; every encoding ONNX allows (raw vs typed data, packed vs
 * unpacked, unknown fields), the opset-dependent forms, and every malformed
 * or unsupported input, which must fail with a message, never crash. */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, rmdir for the external-data tests */

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "onnx_messages.h"
#include "rt_test.h"
#include "runt.h"
#include "test_util.h"

#define NAMES(...) ((const char *const[]){__VA_ARGS__})

/* ------------------------------------------------------------------------- */
/* Building models                                                           */
/* ------------------------------------------------------------------------- */

static void add_node(pbw *g, const char *op, const char *name, int n_in, const char *const *ins,
                     int n_out, const char *const *outs, int n_attrs, pbw *attrs)
{
    pbw nd = onnx_node(op, name, n_in, ins, n_out, outs, n_attrs, attrs);
    pbw_msg(g, ONNX_GRAPH_NODE, &nd);
}

static void add_init(pbw *g, pbw t)
{
    pbw_msg(g, ONNX_GRAPH_INITIALIZER, &t);
}

static void add_io(pbw *g, int field, const char *name, int ndim, const int64_t *dims)
{
    pbw vi = onnx_value_info(name, ONNX_FLOAT, ndim, dims);
    pbw_msg(g, (uint32_t)field, &vi);
}

static float *random_floats(rt_rng *r, int64_t n, float lo, float hi)
{
    float *p = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    rt_fill_uniform(r, p, (size_t)n, lo, hi);
    return p;
}

static runt_model *load_ok(const pbw *bytes, const runt_load_options *o)
{
    runt_model *m = NULL;
    runt_status s = runt_model_load_buffer(bytes->p, bytes->n, o, &m);
    RT_ASSERT(s == RUNT_OK && m, "load: %s: %s", runt_status_name(s), runt_last_error());
    return m;
}

/* Loads bytes expecting status want and a message holding each of the
 * strings in needles (NULL-terminated). */
static void load_fails(const pbw *bytes, const runt_load_options *o, runt_status want,
                       const char *const *needles)
{
    runt_model *m = (runt_model *)1;
    runt_status s = runt_model_load_buffer(bytes->p, bytes->n, o, &m);
    RT_ASSERT(s == want, "status %s, want %s (%s)", runt_status_name(s), runt_status_name(want),
              runt_last_error());
    RT_ASSERT(m == NULL, "no model on failure");
    for (int i = 0; needles && needles[i]; i++)
        RT_ASSERT(strstr(runt_last_error(), needles[i]), "message lacks '%s': %s", needles[i],
                  runt_last_error());
}

/* Runs m on the reference backend with one input; returns output 0 (a guarded
 * buffer, checked) and its element count. */
static float *run1(const runt_model *m, int64_t batch, float *x, size_t *n_out)
{
    runt_session_options o = runt_session_options_default();
    runt_session *s = NULL;
    runt_tensor in, out;
    o.backend = "ref";
    o.batch = batch;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "session: %s", runt_last_error());
    RT_ASSERT(runt_session_input_desc(s, 0, &in) == RUNT_OK, "input desc: %s", runt_last_error());
    RT_ASSERT(runt_session_output_desc(s, 0, &out) == RUNT_OK, "output desc: %s",
              runt_last_error());
    size_t n = (size_t)runt_tensor_count(&out);
    float *y = rt_guarded_alloc(n);
    in.data = x;
    out.data = y;
    RT_ASSERT(runt_session_run(s, &in, 1, &out, 1) == RUNT_OK, "run: %s", runt_last_error());
    RT_ASSERT(rt_guard_intact(y, n), "output sentinels overwritten");
    runt_session_free(s);
    *n_out = n;
    return y;
}

static void check_close(const float *got, const double *want, size_t n, const char *what)
{
    double err = rt_norm_max_error(got, want, n, 1e-3);
    RT_ASSERT(err < 1e-5, "%s: normalized error %g", what, err);
}

/* ------------------------------------------------------------------------- */
/* A two-layer MLP: Gemm (transB) → Relu → Gemm (alpha, beta)                */
/* ------------------------------------------------------------------------- */

typedef struct mlp {
    int64_t in, hid, out;
    float *w1, *b1, *w2, *b2; /* w1 [hid, in] (transB), w2 [hid, out] */
    float alpha, beta;
} mlp;

static mlp mlp_make(rt_rng *r)
{
    mlp m;
    m.in = rt_rng_int(r, 2, 7);
    m.hid = rt_rng_int(r, 2, 9);
    m.out = rt_rng_int(r, 1, 5);
    m.w1 = random_floats(r, m.hid * m.in, -1, 1);
    m.b1 = random_floats(r, m.hid, -1, 1);
    m.w2 = random_floats(r, m.hid * m.out, -1, 1);
    m.b2 = random_floats(r, m.out, -1, 1);
    m.alpha = (float)rt_rng_uniform(r, 0.25, 2);
    m.beta = (float)rt_rng_uniform(r, 0.25, 2);
    return m;
}

static void mlp_free(mlp *m)
{
    free(m->w1);
    free(m->b1);
    free(m->w2);
    free(m->b2);
}

/* extras 1: unknown fields of every wire type in every message; 2: the
 * initializers also listed as graph inputs, as IR version 3 required. */
static pbw mlp_bytes(const mlp *m, tensor_form form, int extras)
{
    pbw g = {0}, t[4], a1[1], a2[2];
    int64_t d_w1[2] = {m->hid, m->in}, d_w2[2] = {m->hid, m->out}, x_dims[2] = {-1, m->in};
    int64_t y_dims[2] = {-1, m->out};
    a1[0] = onnx_attr_i("transB", 1);
    a2[0] = onnx_attr_f("alpha", m->alpha);
    a2[1] = onnx_attr_f("beta", m->beta);
    if (extras == 1) {
        pbw_unknown_fields(&g);
        pbw_unknown_fields(&a1[0]);
        pbw_unknown_fields(&a2[1]);
    }
    pbw n1 = onnx_node("Gemm", "fc1", 3, NAMES("x", "W1", "B1"), 1, NAMES("h"), 1, a1);
    pbw n2 = onnx_node("Relu", "relu1", 1, NAMES("h"), 1, NAMES("hr"), 0, NULL);
    pbw n3 = onnx_node("Gemm", "fc2", 3, NAMES("hr", "W2", "B2"), 1, NAMES("y"), 2, a2);
    if (extras == 1)
        pbw_unknown_fields(&n2);
    pbw_msg(&g, ONNX_GRAPH_NODE, &n1);
    pbw_msg(&g, ONNX_GRAPH_NODE, &n2);
    pbw_msg(&g, ONNX_GRAPH_NODE, &n3);
    t[0] = onnx_tensor_f32("W1", 2, d_w1, m->w1, form);
    t[1] = onnx_tensor_f32("B1", 1, &m->hid, m->b1, form);
    t[2] = onnx_tensor_f32("W2", 2, d_w2, m->w2, form);
    t[3] = onnx_tensor_f32("B2", 1, &m->out, m->b2, form);
    for (int i = 0; i < 4; i++) {
        if (extras == 1)
            pbw_unknown_fields(&t[i]);
        add_init(&g, t[i]);
    }
    add_io(&g, ONNX_GRAPH_INPUT, "x", 2, x_dims);
    if (extras == 2) {
        add_io(&g, ONNX_GRAPH_INPUT, "W1", 2, d_w1);
        add_io(&g, ONNX_GRAPH_INPUT, "B1", 1, &m->hid);
        add_io(&g, ONNX_GRAPH_INPUT, "W2", 2, d_w2);
        add_io(&g, ONNX_GRAPH_INPUT, "B2", 1, &m->out);
    }
    add_io(&g, ONNX_GRAPH_OUTPUT, "y", 2, y_dims);
    pbw bytes = onnx_model(&g, 13);
    if (extras == 1)
        pbw_unknown_fields(&bytes);
    return bytes;
}

static double *mlp_reference(const mlp *m, const float *x, int64_t batch)
{
    double *y = malloc(sizeof(double) * (size_t)(batch * m->out));
    double *h = malloc(sizeof(double) * (size_t)m->hid);
    for (int64_t b = 0; b < batch; b++) {
        for (int64_t j = 0; j < m->hid; j++) {
            double s = m->b1[j];
            for (int64_t k = 0; k < m->in; k++)
                s += (double)x[b * m->in + k] * m->w1[j * m->in + k];
            h[j] = s > 0 ? s : 0;
        }
        for (int64_t o = 0; o < m->out; o++) {
            double s = 0;
            for (int64_t j = 0; j < m->hid; j++)
                s += h[j] * m->w2[j * m->out + o];
            y[b * m->out + o] = m->alpha * s + m->beta * (double)m->b2[o];
        }
    }
    free(h);
    return y;
}

RT_TEST(onnx_reader, gemm_relu_mlp_matches_reference)
{
    rt_rng r = rt_rng_make(101);
    mlp m = mlp_make(&r);
    pbw bytes = mlp_bytes(&m, FORM_RAW, 0);
    runt_model *model = load_ok(&bytes, NULL);
    runt_io_info io;
    int n_in, n_out, n_nodes;
    RT_ASSERT(runt_model_counts(model, &n_in, &n_out, &n_nodes) == RUNT_OK && n_in == 1 &&
              n_out == 1 && n_nodes == 3, "counts %d %d %d", n_in, n_out, n_nodes);
    RT_ASSERT(runt_model_input(model, 0, &io) == RUNT_OK && strcmp(io.name, "x") == 0 &&
              io.desc.ndim == 2 && io.desc.dims[0] == RUNT_DIM_BATCH && io.desc.dims[1] == m.in,
              "input 'x' [batch, %lld]", (long long)m.in);
    RT_ASSERT(runt_model_output(model, 0, &io) == RUNT_OK && strcmp(io.name, "y") == 0,
              "output named y");
    int64_t batch = rt_rng_int(&r, 1, 5);
    float *x = random_floats(&r, batch * m.in, -2, 2);
    size_t n;
    float *y = run1(model, batch, x, &n);
    RT_ASSERT(n == (size_t)(batch * m.out), "output count %zu", n);
    double *want = mlp_reference(&m, x, batch);
    check_close(y, want, n, "mlp");
    free(want);
    free(x);
    rt_guarded_free(y);
    runt_model_free(model);
    runt_pb_writer_free(&bytes);
    mlp_free(&m);
}

/* raw_data, packed float_data, unpacked float_data, a model full of unknown
 * fields and one listing its initializers as inputs all load to the same
 * model. */
RT_TEST(onnx_reader, encodings_and_unknown_fields_give_identical_results)
{
    rt_rng r = rt_rng_make(102);
    mlp m = mlp_make(&r);
    int64_t batch = 3;
    float *x = random_floats(&r, batch * m.in, -2, 2);
    float *first = NULL;
    size_t n_first = 0;
    for (int v = 0; v < 5; v++) {
        pbw bytes = mlp_bytes(&m, v >= 3 ? FORM_RAW : (tensor_form)v, v >= 3 ? v - 2 : 0);
        runt_model *model = load_ok(&bytes, NULL);
        int n_in;
        RT_ASSERT(runt_model_counts(model, &n_in, NULL, NULL) == RUNT_OK && n_in == 1,
                  "variant %d: %d inputs", v, n_in);
        size_t n;
        float *y = run1(model, batch, x, &n);
        if (!first) {
            first = y;
            n_first = n;
        } else {
            RT_ASSERT(n == n_first && memcmp(y, first, n * sizeof(float)) == 0,
                      "variant %d differs from raw_data", v);
            rt_guarded_free(y);
        }
        runt_model_free(model);
        runt_pb_writer_free(&bytes);
    }
    rt_guarded_free(first);
    free(x);
    mlp_free(&m);
}

/* ------------------------------------------------------------------------- */
/* Conv + Relu + MaxPool, 2-D and 1-D                                        */
/* ------------------------------------------------------------------------- */

typedef struct window {
    int k[2], s[2], d[2], p[4]; /* p: top, left, bottom, right */
} window;

static int64_t window_out(int64_t in, int k, int s, int d, int pb, int pe)
{
    return (in + pb + pe - ((int64_t)d * (k - 1) + 1)) / s + 1;
}

/* y[n, m, oh, ow] = b[m] + sum x[n, c, ih, iw] * w[m, c, i, j], NCHW. */
static double *conv_reference(const float *x, int64_t n, int64_t c, int64_t h, int64_t w,
                              const float *wt, int64_t m, const float *b, const window *win,
                              int64_t *ho, int64_t *wo)
{
    *ho = window_out(h, win->k[0], win->s[0], win->d[0], win->p[0], win->p[2]);
    *wo = window_out(w, win->k[1], win->s[1], win->d[1], win->p[1], win->p[3]);
    double *y = malloc(sizeof(double) * (size_t)(n * m * *ho * *wo));
    for (int64_t in = 0; in < n; in++)
        for (int64_t om = 0; om < m; om++)
            for (int64_t oy = 0; oy < *ho; oy++)
                for (int64_t ox = 0; ox < *wo; ox++) {
                    double s = b[om];
                    for (int64_t ic = 0; ic < c; ic++)
                        for (int i = 0; i < win->k[0]; i++)
                            for (int j = 0; j < win->k[1]; j++) {
                                int64_t iy = oy * win->s[0] - win->p[0] + (int64_t)i * win->d[0];
                                int64_t ix = ox * win->s[1] - win->p[1] + (int64_t)j * win->d[1];
                                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                    continue;
                                s += (double)x[((in * c + ic) * h + iy) * w + ix] *
                                     wt[((om * c + ic) * win->k[0] + i) * win->k[1] + j];
                            }
                    y[((in * m + om) * *ho + oy) * *wo + ox] = s;
                }
    return y;
}

/* relu, then a 2x2 (or 1x2) max pool with stride = kernel, no padding. */
static double *relu_pool_reference(const double *y, int64_t planes, int64_t h, int64_t w, int kh,
                                   int kw, int64_t *ph, int64_t *pw)
{
    *ph = (h - kh) / kh + 1;
    *pw = (w - kw) / kw + 1;
    double *p = malloc(sizeof(double) * (size_t)(planes * *ph * *pw));
    for (int64_t q = 0; q < planes; q++)
        for (int64_t i = 0; i < *ph; i++)
            for (int64_t j = 0; j < *pw; j++) {
                double best = 0; /* relu: nothing below 0 */
                for (int a = 0; a < kh; a++)
                    for (int b = 0; b < kw; b++) {
                        double v = y[(q * h + i * kh + a) * w + j * kw + b];
                        best = v > best ? v : best;
                    }
                p[(q * *ph + i) * *pw + j] = best;
            }
    return p;
}

RT_TEST(onnx_reader, conv_maxpool_matches_reference)
{
    rt_rng r = rt_rng_make(103);
    int64_t c = rt_rng_int(&r, 1, 3), m = rt_rng_int(&r, 2, 4);
    int64_t h = rt_rng_int(&r, 6, 9), w = rt_rng_int(&r, 6, 9), batch = 2;
    window win = {{(int)rt_rng_int(&r, 1, 3), (int)rt_rng_int(&r, 1, 3)}, {1, 2}, {2, 1}, {1, 2, 0, 1}};
    int64_t wd[4] = {m, c, win.k[0], win.k[1]};
    float *wt = random_floats(&r, m * c * win.k[0] * win.k[1], -1, 1);
    float *b = random_floats(&r, m, -1, 1);
    int64_t ks[2] = {win.k[0], win.k[1]}, st[2] = {1, 2}, dl[2] = {2, 1}, pd[4] = {1, 2, 0, 1};
    int64_t pk[2] = {2, 2};
    pbw g = {0};
    pbw conv_attrs[4] = {onnx_attr_ints("kernel_shape", ks, 2, 1), onnx_attr_ints("strides", st, 2, 0),
                         onnx_attr_ints("dilations", dl, 2, 1), onnx_attr_ints("pads", pd, 4, 1)};
    pbw pool_attrs[2] = {onnx_attr_ints("kernel_shape", pk, 2, 1), onnx_attr_ints("strides", pk, 2, 1)};
    add_node(&g, "Conv", "conv", 3, NAMES("x", "w", "b"), 1, NAMES("c"), 4, conv_attrs);
    add_node(&g, "Relu", "relu", 1, NAMES("c"), 1, NAMES("cr"), 0, NULL);
    /* The Indices output is named "" (not asked for). */
    add_node(&g, "MaxPool", "pool", 1, NAMES("cr"), 2, NAMES("y", ""), 2, pool_attrs);
    add_init(&g, onnx_tensor_f32("w", 4, wd, wt, FORM_RAW));
    add_init(&g, onnx_tensor_f32("b", 1, &m, b, FORM_PACKED));
    int64_t xd[4] = {-1, c, h, w};
    add_io(&g, ONNX_GRAPH_INPUT, "x", 4, xd);
    add_io(&g, ONNX_GRAPH_OUTPUT, "y", 0, NULL);
    pbw bytes = onnx_model(&g, 12);
    runt_model *model = load_ok(&bytes, NULL);
    float *x = random_floats(&r, batch * c * h * w, -1, 1);
    size_t n;
    float *y = run1(model, batch, x, &n);
    int64_t ho, wo, ph, pw;
    double *cy = conv_reference(x, batch, c, h, w, wt, m, b, &win, &ho, &wo);
    double *want = relu_pool_reference(cy, batch * m, ho, wo, 2, 2, &ph, &pw);
    RT_ASSERT(n == (size_t)(batch * m * ph * pw), "output count %zu, want %lld", n,
              (long long)(batch * m * ph * pw));
    check_close(y, want, n, "conv+maxpool");
    free(cy);
    free(want);
    free(x);
    rt_guarded_free(y);
    runt_model_free(model);
    runt_pb_writer_free(&bytes);
    free(wt);
    free(b);
}

/* A 1-D Conv and MaxPool run as 2-D ones over an H of 1. */
RT_TEST(onnx_reader, conv1d_maxpool1d_matches_reference)
{
    rt_rng r = rt_rng_make(104);
    int64_t c = rt_rng_int(&r, 1, 3), m = rt_rng_int(&r, 2, 4), len = rt_rng_int(&r, 9, 16);
    int64_t batch = 2, k = rt_rng_int(&r, 2, 4);
    window win = {{1, (int)k}, {1, 2}, {1, 1}, {0, 1, 0, 2}};
    int64_t wd[3] = {m, c, k};
    float *wt = random_floats(&r, m * c * k, -1, 1);
    float *b = random_floats(&r, m, -1, 1);
    int64_t st[1] = {2}, pd[2] = {1, 2}, pk[1] = {2};
    pbw g = {0};
    pbw conv_attrs[2] = {onnx_attr_ints("strides", st, 1, 1), onnx_attr_ints("pads", pd, 2, 0)};
    pbw pool_attrs[2] = {onnx_attr_ints("kernel_shape", pk, 1, 1), onnx_attr_ints("strides", pk, 1, 1)};
    add_node(&g, "Conv", "conv1d", 3, NAMES("x", "w", "b"), 1, NAMES("c"), 2, conv_attrs);
    add_node(&g, "Relu", NULL, 1, NAMES("c"), 1, NAMES("cr"), 0, NULL);
    add_node(&g, "MaxPool", "pool1d", 1, NAMES("cr"), 1, NAMES("y"), 2, pool_attrs);
    add_init(&g, onnx_tensor_f32("w", 3, wd, wt, FORM_UNPACKED));
    add_init(&g, onnx_tensor_f32("b", 1, &m, b, FORM_RAW));
    int64_t xd[3] = {-2, c, len}; /* a first dim without value or param: the batch */
    add_io(&g, ONNX_GRAPH_INPUT, "x", 3, xd);
    add_io(&g, ONNX_GRAPH_OUTPUT, "y", 0, NULL);
    pbw bytes = onnx_model(&g, 17);
    runt_model *model = load_ok(&bytes, NULL);
    float *x = random_floats(&r, batch * c * len, -1, 1);
    size_t n;
    float *y = run1(model, batch, x, &n);
    int64_t ho, wo, ph, pw;
    /* The same computation as a 2-D conv over H = 1 with a 1 x k kernel. */
    double *cy = conv_reference(x, batch, c, 1, len, wt, m, b, &win, &ho, &wo);
    double *want = relu_pool_reference(cy, batch * m, ho, wo, 1, 2, &ph, &pw);
    RT_ASSERT(ho == 1 && n == (size_t)(batch * m * pw), "output count %zu", n);
    check_close(y, want, n, "conv1d+maxpool1d");
    /* A weight that is not a constant is reshaped in the graph instead. */
    pbw g2 = {0};
    pbw conv2[1] = {onnx_attr_ints("pads", pd, 2, 1)};
    add_node(&g2, "Conv", "conv1d", 2, NAMES("x", "w"), 1, NAMES("y"), 1, conv2);
    add_io(&g2, ONNX_GRAPH_INPUT, "x", 3, xd);
    add_io(&g2, ONNX_GRAPH_INPUT, "w", 3, wd);
    add_io(&g2, ONNX_GRAPH_OUTPUT, "y", 0, NULL);
    pbw bytes2 = onnx_model(&g2, 17);
    runt_model *model2 = load_ok(&bytes2, NULL);
    int n_in, n_nodes;
    RT_ASSERT(runt_model_counts(model2, &n_in, NULL, &n_nodes) == RUNT_OK && n_in == 2 &&
              n_nodes == 4, "reshape x, reshape w, conv, reshape y: %d nodes", n_nodes);
    runt_model_free(model2);
    runt_pb_writer_free(&bytes2);
    free(cy);
    free(want);
    free(x);
    rt_guarded_free(y);
    runt_model_free(model);
    runt_pb_writer_free(&bytes);
    free(wt);
    free(b);
}

/* ------------------------------------------------------------------------- */
/* Constant folding                                                          */
/* ------------------------------------------------------------------------- */

RT_TEST(onnx_reader, constant_nodes_fold_into_constants_and_attributes)
{
    rt_rng r = rt_rng_make(105);
    float add[6], scale = (float)rt_rng_uniform(&r, 0.5, 2);
    rt_fill_uniform(&r, add, 6, -1, 1);
    int64_t shape1[2] = {0, 6}, shape2[3] = {-1, 2, 3}, two = 2;
    pbw g = {0};
    pbw shape_t = onnx_tensor_int(NULL, ONNX_INT64, 1, &two, shape1, FORM_PACKED);
    pbw a_shape[1] = {onnx_attr_t("value", &shape_t)};
    pbw a_add[1] = {onnx_attr_floats("value_floats", add, 6, 0)};
    pbw a_scale[1] = {onnx_attr_f("value_float", scale)};
    pbw a_shape2[1] = {onnx_attr_ints("value_ints", shape2, 3, 1)};
    pbw a_max[1] = {onnx_attr_i("value_int", 1)};
    add_node(&g, "Constant", "k_shape", 0, NULL, 1, NAMES("shape"), 1, a_shape);
    add_node(&g, "Constant", "k_add", 0, NULL, 1, NAMES("addend"), 1, a_add);
    add_node(&g, "Constant", "k_scale", 0, NULL, 1, NAMES("scale"), 1, a_scale);
    add_node(&g, "Constant", "k_shape2", 0, NULL, 1, NAMES("shape2"), 1, a_shape2);
    add_node(&g, "Constant", "k_max", 0, NULL, 1, NAMES("hi"), 1, a_max);
    add_node(&g, "Reshape", "flat", 2, NAMES("x", "shape"), 1, NAMES("f"), 0, NULL);
    add_node(&g, "Add", "add", 2, NAMES("f", "addend"), 1, NAMES("s"), 0, NULL);
    add_node(&g, "Mul", "mul", 2, NAMES("s", "scale"), 1, NAMES("t"), 0, NULL);
    add_node(&g, "Reshape", "back", 2, NAMES("t", "shape2"), 1, NAMES("u"), 0, NULL);
    add_node(&g, "Clip", "clip", 3, NAMES("u", "", "hi"), 1, NAMES("y"), 0, NULL);
    int64_t xd[3] = {-1, 2, 3};
    add_io(&g, ONNX_GRAPH_INPUT, "x", 3, xd);
    add_io(&g, ONNX_GRAPH_OUTPUT, "y", 3, xd);
    pbw bytes = onnx_model(&g, 13);
    runt_model *model = load_ok(&bytes, NULL);
    int n_nodes;
    runt_cost total;
    int n_rows;
    RT_ASSERT(runt_model_counts(model, NULL, NULL, &n_nodes) == RUNT_OK && n_nodes == 5,
              "Constant nodes are folded: %d nodes", n_nodes);
    RT_ASSERT(runt_model_describe(model, 1, NULL, 0, &n_rows, &total) == RUNT_OK,
              "describe: %s", runt_last_error());
    /* The addend (6) and the scale (1) are weights; the shapes and the bound
     * became attributes and are stored nowhere. */
    RT_ASSERT(total.params == 7, "params %lld", (long long)total.params);
    int64_t batch = 3;
    float *x = random_floats(&r, batch * 6, -2, 2);
    /* Clip without a min bounds at the lowest float, not at -infinity. */
    x[0] = -INFINITY;
    size_t n;
    float *y = run1(model, batch, x, &n);
    double want[18];
    for (int i = 0; i < 18; i++) {
        double v = ((double)x[i] + add[i % 6]) * scale;
        want[i] = v < 1 ? v : 1;
    }
    RT_ASSERT(n == 18, "count %zu", n);
    RT_ASSERT(y[0] == -FLT_MAX, "clip of -inf without min: %g", (double)y[0]);
    check_close(y + 1, want + 1, n - 1, "constant folding");
    free(x);
    rt_guarded_free(y);
    runt_model_free(model);
    runt_pb_writer_free(&bytes);
}

/* ------------------------------------------------------------------------- */
/* Forms that depend on the opset                                            */
/* ------------------------------------------------------------------------- */

/* Clip: min/max attributes before opset 11, inputs from 11 (initializers of
 * any integer or float type, or Constant outputs). */
RT_TEST(onnx_reader, clip_attribute_and_input_forms_agree)
{
    rt_rng r = rt_rng_make(106);
    float lo = -0.25f, hi = 0.5f;
    int64_t xd[2] = {-1, 5}, none = 0;
    int64_t batch = 4;
    float *x = random_floats(&r, batch * 5, -1, 1);
    double want[20];
    for (int i = 0; i < 20; i++)
        want[i] = x[i] < lo ? lo : x[i] > hi ? hi : x[i];
    for (int form = 0; form < 3; form++) {
        pbw g = {0};
        int64_t opset = form == 0 ? 10 : 13;
        if (form == 0) {
            pbw a[2] = {onnx_attr_f("min", lo), onnx_attr_f("max", hi)};
            add_node(&g, "Clip", "clip", 1, NAMES("x"), 1, NAMES("y"), 2, a);
        } else if (form == 1) {
            pbw a[1] = {onnx_attr_f("value_float", hi)};
            add_node(&g, "Constant", NULL, 0, NULL, 1, NAMES("hi"), 1, a);
            add_init(&g, onnx_tensor_f32("lo", 0, &none, &lo, FORM_RAW));
            add_node(&g, "Clip", "clip", 3, NAMES("x", "lo", "hi"), 1, NAMES("y"), 0, NULL);
        } else {
            /* Integer bounds in both INT8 forms: raw byte and int32_data. */
            int64_t lo_i = -1, hi_i = 0;
            add_init(&g, onnx_tensor_int("lo", ONNX_INT8, 0, &none, &lo_i, FORM_RAW));
            add_init(&g, onnx_tensor_int("hi", ONNX_INT8, 0, &none, &hi_i, FORM_UNPACKED));
            add_node(&g, "Clip", "clip", 3, NAMES("x", "lo", "hi"), 1, NAMES("y"), 0, NULL);
            for (int i = 0; i < 20; i++)
                want[i] = x[i] < -1 ? -1 : x[i] > 0 ? 0 : x[i];
        }
        add_io(&g, ONNX_GRAPH_INPUT, "x", 2, xd);
        add_io(&g, ONNX_GRAPH_OUTPUT, "y", 2, xd);
        pbw bytes = onnx_model(&g, opset);
        runt_model *model = load_ok(&bytes, NULL);
        size_t n;
        float *y = run1(model, batch, x, &n);
        check_close(y, want, n, form == 0 ? "clip attrs" : "clip inputs");
        rt_guarded_free(y);
        runt_model_free(model);
        runt_pb_writer_free(&bytes);
    }
    free(x);
}

static pbw clip_with_input_bound(void)
{
    pbw g = {0};
    int64_t xd[2] = {-1, 4};
    add_node(&g, "Clip", "clamp", 2, NAMES("x", "m"), 1, NAMES("y"), 0, NULL);
    add_io(&g, ONNX_GRAPH_INPUT, "x", 2, xd);
    add_io(&g, ONNX_GRAPH_INPUT, "m", 0, NULL);
    add_io(&g, ONNX_GRAPH_OUTPUT, "y", 2, xd);
    return onnx_model(&g, 13);
}

RT_TEST(onnx_reader, behaviour_inputs_must_be_constant_unless_frozen)
{
    pbw bytes = clip_with_input_bound();
    load_fails(&bytes, NULL, RUNT_E_UNSUPPORTED,
               NAMES("clamp", "Clip", "opset 13", "input 1 ('m', the min)", "constant", NULL));
    /* Frozen by the caller, the input becomes a constant. */
    float bound = 0.125f;
    runt_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = RUNT_F32;
    t.data = &bound;
    const char *names[1] = {"m"};
    runt_load_options o;
    memset(&o, 0, sizeof o);
    o.n_constant_inputs = 1;
    o.constant_input_names = names;
    o.constant_inputs = &t;
    runt_model *model = load_ok(&bytes, &o);
    int n_in;
    RT_ASSERT(runt_model_counts(model, &n_in, NULL, NULL) == RUNT_OK && n_in == 1,
              "the frozen input is no longer an input: %d", n_in);
    rt_rng r = rt_rng_make(107);
    float *x = random_floats(&r, 8, -1, 1);
    size_t n;
    float *y = run1(model, 2, x, &n);
    double want[8];
    for (int i = 0; i < 8; i++)
        want[i] = x[i] < bound ? bound : x[i];
    check_close(y, want, n, "frozen min");
    rt_guarded_free(y);
    free(x);
    runt_model_free(model);
    /* Names that are not inputs, or tensors that do not match, are refused. */
    const char *wrong[1] = {"nope"};
    o.constant_input_names = wrong;
    load_fails(&bytes, &o, RUNT_E_INVALID_ARG, NAMES("'nope'", NULL));
    o.constant_input_names = names;
    t.ndim = 1;
    t.dims[0] = 2;
    load_fails(&bytes, &o, RUNT_E_INVALID_ARG, NAMES("'m'", "does not match", NULL));
    o.constant_inputs = NULL;
    load_fails(&bytes, &o, RUNT_E_INVALID_ARG, NAMES("n_constant_inputs", NULL));
    runt_pb_writer_free(&bytes);
}

/* ONNX's test_constant is a graph of one Constant node and no input: valid
 * ONNX, but nothing for runt to compute from. So is a graph whose only input
 * the caller froze. Both are refused as unsupported, not as malformed. */
RT_TEST(onnx_reader, graph_with_no_input_left_is_unsupported)
{
    rt_rng r = rt_rng_make(131);
    float k[4];
    int64_t dims[2] = {2, 2};
    rt_fill_uniform(&r, k, 4, -1, 1);
    pbw g = {0};
    pbw kt = onnx_tensor_f32(NULL, 2, dims, k, FORM_RAW);
    pbw a[1] = {onnx_attr_t("value", &kt)};
    add_node(&g, "Constant", "k", 0, NULL, 1, NAMES("y"), 1, a);
    add_io(&g, ONNX_GRAPH_OUTPUT, "y", 2, dims);
    pbw bytes = onnx_model(&g, 13);
    load_fails(&bytes, NULL, RUNT_E_UNSUPPORTED, NAMES("no input left", "0 graph inputs", NULL));
    runt_pb_writer_free(&bytes);

    pbw g2 = {0};
    add_node(&g2, "Relu", "relu", 1, NAMES("x"), 1, NAMES("y"), 0, NULL);
    add_io(&g2, ONNX_GRAPH_INPUT, "x", 2, dims);
    add_io(&g2, ONNX_GRAPH_OUTPUT, "y", 2, dims);
    bytes = onnx_model(&g2, 13);
    runt_tensor t = rt_tensor_f32(k, 2, dims);
    const char *names[1] = {"x"};
    runt_load_options o;
    memset(&o, 0, sizeof o);
    o.n_constant_inputs = 1;
    o.constant_input_names = names;
    o.constant_inputs = &t;
    load_fails(&bytes, &o, RUNT_E_UNSUPPORTED, NAMES("no input left", "1 graph inputs", NULL));
    runt_pb_writer_free(&bytes);
}

/* ReduceMean over axes (2, 3) of an NCHW input, keepdims or not, with axes
 * as an attribute (opset 13) or a constant input (opset 18). */
static pbw reduce_mean_model(int64_t opset, int keepdims, const int64_t *axes, int rank)
{
    int64_t xd[4] = {-1, 3, 4, 5}, yd[4] = {-1, 3, 1, 1}, two = 2;
    pbw g = {0}, attrs[2];
    int n_attrs = 0;
    attrs[n_attrs++] = onnx_attr_i("keepdims", keepdims);
    if (opset < 18) {
        attrs[n_attrs++] = onnx_attr_ints("axes", axes, 2, 1);
        add_node(&g, "ReduceMean", "mean", 1, NAMES("x"), 1, NAMES("y"), n_attrs, attrs);
    } else {
        add_init(&g, onnx_tensor_int("axes", ONNX_INT64, 1, &two, axes, FORM_RAW));
        add_node(&g, "ReduceMean", "mean", 2, NAMES("x", "axes"), 1, NAMES("y"), n_attrs, attrs);
    }
    add_io(&g, ONNX_GRAPH_INPUT, "x", rank, xd);
    add_io(&g, ONNX_GRAPH_OUTPUT, "y", keepdims ? rank : 2, yd);
    return onnx_model(&g, opset);
}

RT_TEST(onnx_reader, reduce_mean_over_spatial_dims_is_global_average_pool)
{
    rt_rng r = rt_rng_make(132);
    static const int64_t forms[3][2] = {{2, 3}, {-1, -2}, {3, 2}};
    int64_t batch = 2, planes = batch * 3, hw = 20;
    float *x = random_floats(&r, planes * hw, -2, 2);
    double want[6];
    for (int64_t p = 0; p < planes; p++) {
        double sum = 0;
        for (int64_t i = 0; i < hw; i++)
            sum += x[p * hw + i];
        want[p] = sum / (double)hw;
    }
    for (int opset = 13; opset <= 18; opset += 5)
        for (int keep = 0; keep <= 1; keep++)
            for (int f = 0; f < 3; f++) {
                pbw bytes = reduce_mean_model(opset, keep, forms[f], 4);
                runt_model *m = load_ok(&bytes, NULL);
                runt_io_info io;
                RT_ASSERT(runt_model_output(m, 0, &io) == RUNT_OK && io.desc.ndim == (keep ? 4 : 2),
                          "opset %d keepdims %d: output rank %d", opset, keep, io.desc.ndim);
                size_t n;
                float *y = run1(m, batch, x, &n);
                RT_ASSERT(n == (size_t)planes, "opset %d keepdims %d: %zu outputs", opset, keep, n);
                check_close(y, want, n, "ReduceMean as GlobalAveragePool");
                rt_guarded_free(y);
                runt_model_free(m);
                runt_pb_writer_free(&bytes);
            }
    /* Any other reduction is refused, naming the node. */
    static const int64_t other[2] = {1, 2};
    pbw bytes = reduce_mean_model(13, 1, other, 4);
    load_fails(&bytes, NULL, RUNT_E_UNSUPPORTED, NAMES("'mean'", "ReduceMean", "spatial", NULL));
    runt_pb_writer_free(&bytes);
    bytes = reduce_mean_model(18, 1, forms[0], 3);
    load_fails(&bytes, NULL, RUNT_E_UNSUPPORTED, NAMES("'mean'", "rank 3", NULL));
    runt_pb_writer_free(&bytes);
    free(x);
}

static pbw softmax_model(int64_t opset, int has_axis, int64_t axis, int ndim, const int64_t *dims)
{
    pbw g = {0};
    pbw a[1];
    if (has_axis)
        a[0] = onnx_attr_i("axis", axis);
    add_node(&g, "Softmax", "sm", 1, NAMES("x"), 1, NAMES("y"), has_axis, a);
    add_io(&g, ONNX_GRAPH_INPUT, "x", ndim, dims);
    add_io(&g, ONNX_GRAPH_OUTPUT, "y", ndim, dims);
    return onnx_model(&g, opset);
}

/* softmax over axis 1 of [a, k, b]. */
static void softmax_reference(const float *x, int64_t a, int64_t k, int64_t b, double *y)
{
    for (int64_t i = 0; i < a; i++)
        for (int64_t j = 0; j < b; j++) {
            double mx = -INFINITY, sum = 0;
            for (int64_t q = 0; q < k; q++)
                mx = fmax(mx, x[(i * k + q) * b + j]);
            for (int64_t q = 0; q < k; q++)
                sum += exp(x[(i * k + q) * b + j] - mx);
            for (int64_t q = 0; q < k; q++)
                y[(i * k + q) * b + j] = exp(x[(i * k + q) * b + j] - mx) / sum;
        }
}

RT_TEST(onnx_reader, softmax_axis_follows_the_opset)
{
    rt_rng r = rt_rng_make(108);
    int64_t k = rt_rng_int(&r, 2, 6), batch = 3;
    float *x = random_floats(&r, batch * 3 * k, -3, 3);
    double *want = malloc(sizeof(double) * (size_t)(batch * 3 * k));
    size_t n;
    /* Opset 11, default axis 1 on a 2-D input: the last axis, exact. */
    int64_t d2[2] = {-1, k};
    pbw bytes = softmax_model(11, 0, 0, 2, d2);
    runt_model *model = load_ok(&bytes, NULL);
    float *y = run1(model, batch, x, &n);
    softmax_reference(x, batch, k, 1, want);
    check_close(y, want, n, "softmax opset 11 2-D");
    rt_guarded_free(y);
    runt_model_free(model);
    runt_pb_writer_free(&bytes);
    /* Opset 11, axis 1 of [N, 3, k] normalizes over 3 * k values: refused. */
    int64_t d3[3] = {-1, 3, k};
    bytes = softmax_model(11, 0, 0, 3, d3);
    load_fails(&bytes, NULL, RUNT_E_UNSUPPORTED, NAMES("'sm'", "opset 11", "Softmax", NULL));
    runt_pb_writer_free(&bytes);
    /* Opset 11, axis -1 of the same input is the last axis. */
    bytes = softmax_model(11, 1, -1, 3, d3);
    model = load_ok(&bytes, NULL);
    y = run1(model, batch, x, &n);
    softmax_reference(x, batch * 3, k, 1, want);
    check_close(y, want, n, "softmax opset 11 axis -1");
    rt_guarded_free(y);
    runt_model_free(model);
    runt_pb_writer_free(&bytes);
    /* Opset 13, axis 1 of [N, 3, k]: along that axis alone. */
    bytes = softmax_model(13, 1, 1, 3, d3);
    model = load_ok(&bytes, NULL);
    y = run1(model, batch, x, &n);
    softmax_reference(x, batch, 3, k, want);
    check_close(y, want, n, "softmax opset 13 axis 1");
    rt_guarded_free(y);
    runt_model_free(model);
    runt_pb_writer_free(&bytes);
    free(want);
    free(x);
}

/* Pad: attributes (opset 10), inputs (opset 11), inputs with axes (18). */
RT_TEST(onnx_reader, pad_forms_agree)
{
    rt_rng r = rt_rng_make(109);
    int64_t c = 2, h = 3, w = 4, batch = 2;
    int64_t pads[8] = {0, 0, 1, 2, 0, 0, 2, 1}, axes_pads[4] = {1, 2, 2, 1}, axes[2] = {-2, 3};
    int64_t eight = 8, four = 4, two = 2, none = 0;
    float value = 0.75f;
    float *x = random_floats(&r, batch * c * h * w, -1, 1);
    int64_t ho = h + 3, wo = w + 3;
    double *want = malloc(sizeof(double) * (size_t)(batch * c * ho * wo));
    for (int64_t q = 0; q < batch * c; q++)
        for (int64_t i = 0; i < ho; i++)
            for (int64_t j = 0; j < wo; j++) {
                int64_t si = i - 1, sj = j - 2;
                want[(q * ho + i) * wo + j] = si >= 0 && si < h && sj >= 0 && sj < w
                                                  ? x[(q * h + si) * w + sj] : value;
            }
    for (int form = 0; form < 3; form++) {
        pbw g = {0};
        if (form == 0) {
            pbw a[3] = {onnx_attr_ints("pads", pads, 8, 0), onnx_attr_f("value", value),
                        onnx_attr_s("mode", "constant")};
            add_node(&g, "Pad", "pad", 1, NAMES("x"), 1, NAMES("y"), 3, a);
        } else if (form == 1) {
            add_init(&g, onnx_tensor_int("pads", ONNX_INT64, 1, &eight, pads, FORM_UNPACKED));
            add_init(&g, onnx_tensor_f32("v", 0, &none, &value, FORM_PACKED));
            add_node(&g, "Pad", "pad", 3, NAMES("x", "pads", "v"), 1, NAMES("y"), 0, NULL);
        } else {
            add_init(&g, onnx_tensor_int("pads", ONNX_INT64, 1, &four, axes_pads, FORM_RAW));
            add_init(&g, onnx_tensor_f32("v", 0, &none, &value, FORM_RAW));
            add_init(&g, onnx_tensor_int("axes", ONNX_INT64, 1, &two, axes, FORM_RAW));
            add_node(&g, "Pad", "pad", 4, NAMES("x", "pads", "v", "axes"), 1, NAMES("y"), 0,
                     NULL);
        }
        int64_t xd[4] = {-1, c, h, w};
        add_io(&g, ONNX_GRAPH_INPUT, "x", 4, xd);
        add_io(&g, ONNX_GRAPH_OUTPUT, "y", 0, NULL);
        pbw bytes = onnx_model(&g, form == 0 ? 10 : form == 1 ? 11 : 18);
        runt_model *model = load_ok(&bytes, NULL);
        size_t n;
        float *y = run1(model, batch, x, &n);
        RT_ASSERT(n == (size_t)(batch * c * ho * wo), "form %d: count %zu", form, n);
        check_close(y, want, n, "pad");
        rt_guarded_free(y);
        runt_model_free(model);
        runt_pb_writer_free(&bytes);
    }
    free(want);
    free(x);
}

/* LeakyRelu alpha, Gelu approximate="tanh", Flatten axis, BatchNormalization
 * epsilon, LayerNormalization axis and epsilon, Dropout (identity). */
RT_TEST(onnx_reader, activation_and_norm_attributes_are_read)
{
    rt_rng r = rt_rng_make(110);
    int64_t c = 3, h = 2, w = 4, batch = 2;
    float *scale = random_floats(&r, c, 0.5f, 1.5f), *bias = random_floats(&r, c, -1, 1);
    float *mean = random_floats(&r, c, -1, 1), *var = random_floats(&r, c, 0.5f, 2);
    float *ln_s = random_floats(&r, h * w, 0.5f, 1.5f), *ln_b = random_floats(&r, h * w, -1, 1);
    float eps_bn = 1e-2f, eps_ln = 1e-3f, alpha = 0.2f;
    int64_t hw[2] = {h, w};
    pbw g = {0};
    pbw a_bn[1] = {onnx_attr_f("epsilon", eps_bn)};
    pbw a_lr[1] = {onnx_attr_f("alpha", alpha)};
    pbw a_ln[2] = {onnx_attr_i("axis", 2), onnx_attr_f("epsilon", eps_ln)};
    pbw a_ge[1] = {onnx_attr_s("approximate", "tanh")};
    pbw a_fl[1] = {onnx_attr_i("axis", 2)};
    add_node(&g, "BatchNormalization", "bn", 5, NAMES("x", "s", "b", "m", "v"), 1, NAMES("t1"), 1,
             a_bn);
    add_node(&g, "LeakyRelu", "lr", 1, NAMES("t1"), 1, NAMES("t2"), 1, a_lr);
    add_node(&g, "LayerNormalization", "ln", 3, NAMES("t2", "ls", "lb"), 1, NAMES("t3"), 2, a_ln);
    add_node(&g, "Dropout", "drop", 1, NAMES("t3"), 2, NAMES("t4", "mask"), 0, NULL);
    add_node(&g, "Gelu", "gelu", 1, NAMES("t4"), 1, NAMES("t5"), 1, a_ge);
    add_node(&g, "Flatten", "flat", 1, NAMES("t5"), 1, NAMES("y"), 1, a_fl);
    add_init(&g, onnx_tensor_f32("s", 1, &c, scale, FORM_RAW));
    add_init(&g, onnx_tensor_f32("b", 1, &c, bias, FORM_RAW));
    add_init(&g, onnx_tensor_f32("m", 1, &c, mean, FORM_RAW));
    add_init(&g, onnx_tensor_f32("v", 1, &c, var, FORM_RAW));
    add_init(&g, onnx_tensor_f32("ls", 2, hw, ln_s, FORM_RAW));
    add_init(&g, onnx_tensor_f32("lb", 2, hw, ln_b, FORM_RAW));
    int64_t xd[4] = {-1, c, h, w};
    add_io(&g, ONNX_GRAPH_INPUT, "x", 4, xd);
    add_io(&g, ONNX_GRAPH_OUTPUT, "y", 0, NULL);
    pbw bytes = onnx_model(&g, 20);
    runt_model *model = load_ok(&bytes, NULL);
    float *x = random_floats(&r, batch * c * h * w, -2, 2);
    size_t n;
    float *y = run1(model, batch, x, &n);
    int64_t plane = h * w, total = batch * c * plane;
    double *t = malloc(sizeof(double) * (size_t)total);
    for (int64_t i = 0; i < total; i++) {
        int64_t ch = (i / plane) % c;
        double v = (x[i] - mean[ch]) / sqrt((double)var[ch] + eps_bn) * scale[ch] + bias[ch];
        t[i] = v > 0 ? v : alpha * v;
    }
    for (int64_t q = 0; q < batch * c; q++) {
        double mu = 0, sq = 0;
        for (int64_t i = 0; i < plane; i++)
            mu += t[q * plane + i];
        mu /= (double)plane;
        for (int64_t i = 0; i < plane; i++)
            sq += (t[q * plane + i] - mu) * (t[q * plane + i] - mu);
        double inv = 1.0 / sqrt(sq / (double)plane + eps_ln);
        for (int64_t i = 0; i < plane; i++) {
            double v = (t[q * plane + i] - mu) * inv * ln_s[i] + ln_b[i];
            t[q * plane + i] =
                0.5 * v * (1 + tanh(sqrt(2 / 3.14159265358979323846) * (v + 0.044715 * v * v * v)));
        }
    }
    RT_ASSERT(n == (size_t)total, "count %zu", n);
    check_close(y, t, n, "bn/leaky/ln/dropout/gelu/flatten");
    free(t);
    free(x);
    rt_guarded_free(y);
    runt_model_free(model);
    runt_pb_writer_free(&bytes);
    free(scale);
    free(bias);
    free(mean);
    free(var);
    free(ln_s);
    free(ln_b);
}

RT_TEST(onnx_reader, dropout_mask_and_training_mode)
{
    int64_t xd[2] = {-1, 3}, none = 0;
    for (int c = 0; c < 4; c++) {
        pbw g = {0};
        if (c == 0) { /* mask read by a graph output: refused */
            add_node(&g, "Dropout", "drop", 1, NAMES("x"), 2, NAMES("y", "mask"), 0, NULL);
            add_io(&g, ONNX_GRAPH_OUTPUT, "mask", 2, xd);
        } else {
            int64_t flag = c == 3;
            add_init(&g, onnx_tensor_int("tm", ONNX_BOOL, 0, &none, &flag,
                                         c == 1 ? FORM_RAW : FORM_PACKED));
            add_node(&g, "Dropout", "drop", 3, NAMES("x", "", "tm"), 1, NAMES("y"), 0, NULL);
        }
        add_io(&g, ONNX_GRAPH_INPUT, "x", 2, xd);
        add_io(&g, ONNX_GRAPH_OUTPUT, "y", 2, xd);
        pbw bytes = onnx_model(&g, 13);
        if (c == 0)
            load_fails(&bytes, NULL, RUNT_E_UNSUPPORTED, NAMES("'drop'", "mask", NULL));
        else if (c == 3)
            load_fails(&bytes, NULL, RUNT_E_UNSUPPORTED, NAMES("'drop'", "training_mode", NULL));
        else
            runt_model_free(load_ok(&bytes, NULL));
        runt_pb_writer_free(&bytes);
    }
}

/* Reshape's shape from an INT32 initializer, a graph input frozen by the
 * caller, and Flatten/Identity in between. */
RT_TEST(onnx_reader, reshape_shape_from_initializer_or_frozen_input)
{
    rt_rng r = rt_rng_make(111);
    int64_t shape[3] = {-1, 4, 3}, three = 3;
    for (int form = 0; form < 2; form++) {
        pbw g = {0};
        add_node(&g, "Identity", "id", 1, NAMES("x"), 1, NAMES("xi"), 0, NULL);
        add_node(&g, "Reshape", "rs", 2, NAMES("xi", "shape"), 1, NAMES("y"), 0, NULL);
        int64_t xd[2] = {-1, 12};
        add_io(&g, ONNX_GRAPH_INPUT, "x", 2, xd);
        runt_load_options o;
        memset(&o, 0, sizeof o);
        runt_tensor t;
        const char *names[1] = {"shape"};
        if (form == 0) {
            add_init(&g, onnx_tensor_int("shape", ONNX_INT32, 1, &three, shape, FORM_PACKED));
        } else {
            pbw vi = {0}, tt = {0}, type = {0}, sh = {0}, d = {0};
            runt_pb_put_int(&d, 1, 3);
            pbw_msg(&sh, 1, &d);
            runt_pb_put_int(&tt, 1, ONNX_INT64);
            pbw_msg(&tt, 2, &sh);
            pbw_msg(&type, 1, &tt);
            runt_pb_put_str(&vi, 1, "shape");
            pbw_msg(&vi, 2, &type);
            pbw_msg(&g, ONNX_GRAPH_INPUT, &vi);
            memset(&t, 0, sizeof t);
            t.dtype = RUNT_I64;
            t.ndim = 1;
            t.dims[0] = 3;
            t.data = shape;
            o.n_constant_inputs = 1;
            o.constant_input_names = names;
            o.constant_inputs = &t;
        }
        add_io(&g, ONNX_GRAPH_OUTPUT, "y", 0, NULL);
        pbw bytes = onnx_model(&g, 14);
        runt_model *model = load_ok(&bytes, &o);
        float *x = random_floats(&r, 24, -1, 1);
        size_t n;
        float *y = run1(model, 2, x, &n);
        RT_ASSERT(n == 24 && memcmp(x, y, 24 * sizeof(float)) == 0, "reshape keeps the data");
        rt_guarded_free(y);
        free(x);
        runt_model_free(model);
        runt_pb_writer_free(&bytes);
    }
}

/* ------------------------------------------------------------------------- */
/* Malformed input                                                           */
/* ------------------------------------------------------------------------- */

static pbw small_mlp_bytes(void)
{
    rt_rng r = rt_rng_make(120);
    mlp m = mlp_make(&r);
    m.in = 3;
    m.hid = 4;
    m.out = 2;
    pbw bytes = mlp_bytes(&m, FORM_PACKED, 0);
    mlp_free(&m);
    return bytes;
}

/* Every proper prefix of a model is an incomplete model (the graph is its last
 * field); each must fail with a message. Copies are exact-sized so that a
 * sanitizer sees any read past the end. */
RT_TEST(onnx_reader, every_truncation_fails_with_a_message)
{
    pbw bytes = small_mlp_bytes();
    for (size_t len = 0; len < bytes.n; len++) {
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, bytes.p, len);
        runt_model *m = NULL;
        runt_status s = runt_model_load_buffer(copy, len, NULL, &m);
        RT_ASSERT(s != RUNT_OK && m == NULL, "prefix of %zu of %zu bytes loaded", len, bytes.n);
        RT_ASSERT(runt_last_error()[0] != '\0', "prefix %zu: no message", len);
        free(copy);
    }
    runt_model_free(load_ok(&bytes, NULL));
    runt_pb_writer_free(&bytes);
}

/* Random corruption must never crash (run under ASan/valgrind); what loads is
 * a valid model, what fails says why. */
RT_TEST(onnx_reader, random_byte_flips_never_crash)
{
    pbw bytes = small_mlp_bytes();
    rt_rng r = rt_rng_make(121);
    int loaded = 0;
    for (int iter = 0; iter < 3000; iter++) {
        uint8_t *copy = malloc(bytes.n);
        memcpy(copy, bytes.p, bytes.n);
        int flips = (int)rt_rng_int(&r, 1, 3);
        for (int f = 0; f < flips; f++)
            copy[rt_rng_int(&r, 0, (int64_t)bytes.n - 1)] = (uint8_t)rt_rng_int(&r, 0, 255);
        runt_model *m = NULL;
        runt_status s = runt_model_load_buffer(copy, bytes.n, NULL, &m);
        if (s == RUNT_OK) {
            loaded++;
            runt_model_free(m);
        } else {
            RT_ASSERT(m == NULL && runt_last_error()[0], "iteration %d: failure without message",
                      iter);
        }
        free(copy);
    }
    RT_ASSERT(loaded < 3000, "corruption was never detected");
    runt_pb_writer_free(&bytes);
}

RT_TEST(onnx_reader, bad_wire_types_are_refused_with_offset_and_field)
{
    pbw bytes = small_mlp_bytes();
    pbw bad = {0};
    runt_pb_put_raw(&bad, bytes.p, bytes.n);
    runt_pb_put_tag(&bad, 9, 7);
    char at[32];
    snprintf(at, sizeof at, "byte %zu", bytes.n);
    load_fails(&bad, NULL, RUNT_E_BAD_MODEL, NAMES(at, "ModelProto field 9", "wire type 7", NULL));
    runt_pb_writer_free(&bad);
    /* A field runt reads, with the wrong wire type. */
    pbw wrong = {0};
    runt_pb_put_int(&wrong, 7, 5);
    load_fails(&wrong, NULL, RUNT_E_BAD_MODEL,
               NAMES("byte 0", "ModelProto.graph", "expected 2 (length-delimited)", NULL));
    runt_pb_writer_free(&wrong);
    runt_pb_writer_free(&bytes);
}

RT_TEST(onnx_reader, huge_lengths_are_refused)
{
    pbw g = {0};
    runt_pb_put_tag(&g, ONNX_GRAPH_NODE, 2);
    runt_pb_put_varint(&g, (uint64_t)1 << 40);
    runt_pb_put_raw(&g, "xyz", 3);
    pbw bytes = onnx_model(&g, 13);
    load_fails(&bytes, NULL, RUNT_E_BAD_MODEL,
               NAMES("onnx buffer: byte", "GraphProto.node: length 1099511627776 runs past the end",
                     NULL));
    runt_pb_writer_free(&bytes);
}

/* One small model per malformed or unsupported detail. */
typedef enum defect {
    D_NEGATIVE_DIM, D_NEGATIVE_INPUT_DIM, D_SYMBOLIC_DIM, D_NO_SHAPE, D_RAW_SIZE, D_COUNT,
    D_RAW_AND_TYPED, D_INT8_RANGE, D_DOUBLE, D_UNDEFINED_INPUT, D_TWICE_DEFINED, D_NO_OUTPUT,
    D_NUL_NAME, D_DOMAIN, D_PAD_MODE, D_BN_TRAINING, D_CONV3D, D_ATTR_TYPE, D_NO_OPSET,
    D_OLD_OPSET, D_NEW_OPSET, D_NO_GRAPH, D_SPARSE, D_COUNT_OF_DEFECTS
} defect;

static pbw defect_model(defect d)
{
    pbw g = {0};
    int64_t xd[2] = {-1, 2}, two = 2, neg[2] = {2, -3};
    float vals[2] = {1.5f, -2.5f};
    const char *op = "Relu", *in = "x";
    int64_t opset = 13;
    switch (d) {
    case D_NEGATIVE_DIM: add_init(&g, onnx_tensor_f32("w", 2, neg, vals, FORM_PACKED)); break;
    case D_NEGATIVE_INPUT_DIM: xd[1] = -7; break;
    case D_SYMBOLIC_DIM: xd[1] = -1; break;
    case D_RAW_SIZE: {
        pbw t = onnx_tensor_f32("w", 1, &two, vals, FORM_RAW);
        runt_pb_put_int(&t, 1, 2); /* a second dim makes the data too short */
        add_init(&g, t);
        in = "w";
        break;
    }
    case D_COUNT: {
        pbw t = {0};
        int64_t three = 3;
        onnx_tensor_head(&t, "w", ONNX_FLOAT, 1, &three, 1);
        pbw_floats(&t, 4, vals, 2, 1);
        add_init(&g, t);
        in = "w";
        break;
    }
    case D_RAW_AND_TYPED: {
        pbw t = onnx_tensor_f32("w", 1, &two, vals, FORM_RAW);
        pbw_floats(&t, 4, vals, 2, 1);
        add_init(&g, t);
        in = "w";
        break;
    }
    case D_INT8_RANGE: {
        int64_t big[2] = {1, 300};
        add_init(&g, onnx_tensor_int("w", ONNX_INT8, 1, &two, big, FORM_PACKED));
        op = "Clip";
        break;
    }
    case D_DOUBLE: {
        pbw t = {0};
        double dv[2] = {1, 2};
        onnx_tensor_head(&t, "w", ONNX_DOUBLE, 1, &two, 1);
        runt_pb_put_bytes(&t, 9, dv, sizeof dv);
        add_init(&g, t);
        in = "w";
        break;
    }
    case D_UNDEFINED_INPUT: in = "ghost"; break;
    case D_TWICE_DEFINED:
        add_node(&g, "Relu", "first", 1, NAMES("x"), 1, NAMES("y"), 0, NULL);
        break;
    case D_NO_OUTPUT: break;
    case D_NUL_NAME: {
        pbw vi = {0};
        runt_pb_put_bytes(&vi, 1, "x\0y", 3);
        pbw_msg(&g, ONNX_GRAPH_INPUT, &vi);
        break;
    }
    case D_DOMAIN: break;
    case D_PAD_MODE: op = "Pad"; break;
    case D_BN_TRAINING: op = "BatchNormalization"; break;
    case D_CONV3D: op = "Conv"; break;
    case D_ATTR_TYPE: op = "LeakyRelu"; break;
    case D_NO_OPSET: opset = 0; break;
    case D_OLD_OPSET: opset = 6; break;
    case D_NEW_OPSET: opset = 26; break;
    case D_SPARSE: runt_pb_put_str(&g, 15, ""); break;
    default: break;
    }
    if (d == D_INT8_RANGE) {
        add_node(&g, op, "n", 2, NAMES("x", "w"), 1, NAMES("y"), 0, NULL);
    } else if (d == D_DOMAIN) {
        pbw nd = onnx_node("Gelu", "n", 1, NAMES("x"), 1, NAMES("y"), 0, NULL);
        runt_pb_put_str(&nd, 7, "com.microsoft");
        pbw_msg(&g, ONNX_GRAPH_NODE, &nd);
    } else if (d == D_PAD_MODE) {
        int64_t p[4] = {0, 1, 0, 1};
        add_init(&g, onnx_tensor_int("p", ONNX_INT64, 1, (int64_t[]){4}, p, FORM_RAW));
        pbw a[1] = {onnx_attr_s("mode", "reflect")};
        add_node(&g, op, "n", 2, NAMES("x", "p"), 1, NAMES("y"), 1, a);
    } else if (d == D_BN_TRAINING) {
        pbw a[1] = {onnx_attr_i("training_mode", 1)};
        add_node(&g, op, "n", 5, NAMES("x", "x", "x", "x", "x"), 1, NAMES("y"), 1, a);
    } else if (d == D_CONV3D) {
        int64_t k[3] = {1, 1, 1};
        pbw a[1] = {onnx_attr_ints("kernel_shape", k, 3, 1)};
        add_node(&g, op, "n", 2, NAMES("x", "x"), 1, NAMES("y"), 1, a);
    } else if (d == D_ATTR_TYPE) {
        pbw a[1] = {onnx_attr_i("alpha", 1)};
        add_node(&g, op, "n", 1, NAMES(in), 1, NAMES("y"), 1, a);
    } else if (d != D_NO_OUTPUT && d != D_NO_GRAPH) {
        add_node(&g, op, "n", 1, NAMES(in), 1, NAMES("y"), 0, NULL);
    }
    if (d == D_NO_SHAPE) {
        pbw vi = onnx_value_info("x", ONNX_FLOAT, -1, NULL);
        pbw_msg(&g, ONNX_GRAPH_INPUT, &vi);
    } else if (d != D_NUL_NAME) {
        add_io(&g, ONNX_GRAPH_INPUT, "x", 2, xd);
    }
    add_io(&g, ONNX_GRAPH_OUTPUT, "y", 2, xd);
    if (d == D_NO_GRAPH) {
        runt_pb_writer_free(&g);
        pbw m = {0};
        runt_pb_put_int(&m, 1, 8);
        return m;
    }
    if (d == D_NO_OPSET) {
        pbw m = {0};
        pbw_msg(&m, 7, &g);
        return m;
    }
    return onnx_model(&g, opset);
}

RT_TEST(onnx_reader, malformed_and_unsupported_models_say_why)
{
    static const struct {
        runt_status status;
        const char *needles[4];
    } want[D_COUNT_OF_DEFECTS] = {
        [D_NEGATIVE_DIM] = {RUNT_E_BAD_MODEL, {"TensorProto.dims", "-3", "negative"}},
        [D_NEGATIVE_INPUT_DIM] = {RUNT_E_BAD_MODEL, {"graph input 'x'", "-7"}},
        [D_SYMBOLIC_DIM] = {RUNT_E_UNSUPPORTED, {"graph input 'x'", "dim 1", "'H'"}},
        [D_NO_SHAPE] = {RUNT_E_UNSUPPORTED, {"graph input 'x'", "no shape"}},
        [D_RAW_SIZE] = {RUNT_E_BAD_MODEL, {"tensor 'w'", "raw_data holds 8 bytes", "need 16"}},
        [D_COUNT] = {RUNT_E_BAD_MODEL, {"tensor 'w'", "float_data holds 2 values", "need 3"}},
        [D_RAW_AND_TYPED] = {RUNT_E_BAD_MODEL, {"tensor 'w'", "both raw_data and float_data"}},
        [D_INT8_RANGE] = {RUNT_E_BAD_MODEL, {"TensorProto.int32_data", "300", "int8"}},
        [D_DOUBLE] = {RUNT_E_UNSUPPORTED, {"tensor 'w'", "DOUBLE"}},
        [D_UNDEFINED_INPUT] = {RUNT_E_BAD_MODEL, {"node 'n'", "'ghost'"}},
        [D_TWICE_DEFINED] = {RUNT_E_BAD_MODEL, {"node 'n'", "'y'", "already defined"}},
        [D_NO_OUTPUT] = {RUNT_E_BAD_MODEL, {"graph output 'y'", "not produced"}},
        [D_NUL_NAME] = {RUNT_E_BAD_MODEL, {"ValueInfoProto.name", "NUL"}},
        [D_DOMAIN] = {RUNT_E_UNSUPPORTED, {"node 'n'", "Gelu", "com.microsoft"}},
        [D_PAD_MODE] = {RUNT_E_UNSUPPORTED, {"node 'n'", "mode", "reflect"}},
        [D_BN_TRAINING] = {RUNT_E_UNSUPPORTED, {"node 'n'", "training_mode"}},
        [D_CONV3D] = {RUNT_E_UNSUPPORTED, {"node 'n'", "0 spatial dims"}},
        [D_ATTR_TYPE] = {RUNT_E_BAD_MODEL, {"node 'n'", "'alpha'", "INT, expected FLOAT"}},
        [D_NO_OPSET] = {RUNT_E_BAD_MODEL, {"no opset"}},
        [D_OLD_OPSET] = {RUNT_E_UNSUPPORTED, {"opset 6"}},
        [D_NEW_OPSET] = {RUNT_E_UNSUPPORTED, {"opset 26"}},
        [D_NO_GRAPH] = {RUNT_E_BAD_MODEL, {"no graph"}},
        [D_SPARSE] = {RUNT_E_UNSUPPORTED, {"sparse_initializer"}},
    };
    for (int d = 0; d < D_COUNT_OF_DEFECTS; d++) {
        pbw bytes = defect_model((defect)d);
        runt_model *m = (runt_model *)1;
        runt_status s = runt_model_load_buffer(bytes.p, bytes.n, NULL, &m);
        RT_ASSERT(s == want[d].status && m == NULL, "defect %d: %s, want %s (%s)", d,
                  runt_status_name(s), runt_status_name(want[d].status), runt_last_error());
        for (int i = 0; i < 4 && want[d].needles[i]; i++)
            RT_ASSERT(strstr(runt_last_error(), want[d].needles[i]), "defect %d: lacks '%s': %s",
                      d, want[d].needles[i], runt_last_error());
        runt_pb_writer_free(&bytes);
    }
}

RT_TEST(onnx_reader, unsupported_op_names_op_node_and_opset)
{
    pbw g = {0};
    int64_t xd[2] = {-1, 4};
    add_node(&g, "Relu", "ok", 1, NAMES("x"), 1, NAMES("t"), 0, NULL);
    add_node(&g, "Einsum", "my_einsum", 1, NAMES("t"), 1, NAMES("y"), 0, NULL);
    add_io(&g, ONNX_GRAPH_INPUT, "x", 2, xd);
    add_io(&g, ONNX_GRAPH_OUTPUT, "y", 2, xd);
    pbw bytes = onnx_model(&g, 14);
    load_fails(&bytes, NULL, RUNT_E_UNSUPPORTED,
               NAMES("'my_einsum'", "op_type 'Einsum'", "opset 14", "not supported", NULL));
    runt_pb_writer_free(&bytes);
}

RT_TEST(onnx_reader, bad_arguments)
{
    runt_model *m = (runt_model *)1;
    RT_ASSERT(runt_model_load_buffer(NULL, 10, NULL, &m) == RUNT_E_INVALID_ARG && m == NULL,
              "NULL data with a size");
    RT_ASSERT(runt_model_load_buffer("", 0, NULL, NULL) == RUNT_E_INVALID_ARG, "NULL out");
    RT_ASSERT(runt_model_load_buffer(NULL, 0, NULL, &m) == RUNT_E_BAD_MODEL &&
              strstr(runt_last_error(), "no graph"), "empty buffer: %s", runt_last_error());
    RT_ASSERT(runt_model_load_file(NULL, NULL, &m) == RUNT_E_INVALID_ARG, "NULL path");
    RT_ASSERT(runt_model_load_file("/nonexistent/dir/model.onnx", NULL, &m) == RUNT_E_IO &&
              m == NULL && strstr(runt_last_error(), "/nonexistent/dir/model.onnx"),
              "missing file: %s", runt_last_error());
}

/* ------------------------------------------------------------------------- */
/* Memory: every allocation through the caller's allocator, none leaked, and */
/* a failure at any allocation handled                                       */
/* ------------------------------------------------------------------------- */

typedef struct counting {
    long live, calls, fail_at; /* fail_at: the call number that fails, or -1 */
} counting;

static void *counting_alloc(void *user, size_t size, size_t alignment)
{
    counting *c = user;
    if (c->calls++ == c->fail_at)
        return NULL;
    size_t rounded = (size + alignment - 1) / alignment * alignment;
    void *p = aligned_alloc(alignment, rounded);
    if (p)
        c->live++;
    return p;
}

static void counting_free(void *user, void *p)
{
    counting *c = user;
    c->live--;
    free(p);
}

RT_TEST(onnx_reader, allocations_go_through_the_allocator_and_failures_are_clean)
{
    pbw bytes = small_mlp_bytes();
    counting cnt = {0, 0, -1};
    runt_allocator a = {counting_alloc, counting_free, &cnt};
    runt_load_options o;
    memset(&o, 0, sizeof o);
    o.allocator = &a;
    runt_model *m = load_ok(&bytes, &o);
    RT_ASSERT(cnt.live > 0, "the model lives in the caller's allocator");
    runt_model_free(m);
    RT_ASSERT(cnt.live == 0, "%ld allocations leaked", cnt.live);
    long total = cnt.calls;
    for (long k = 0; k < total; k++) {
        cnt = (counting){0, 0, k};
        m = NULL;
        runt_status s = runt_model_load_buffer(bytes.p, bytes.n, &o, &m);
        RT_ASSERT(s == RUNT_E_OOM && m == NULL, "allocation %ld failing: %s (%s)", k,
                  runt_status_name(s), runt_last_error());
        RT_ASSERT(cnt.live == 0, "allocation %ld failing: %ld leaked", k, cnt.live);
    }
    runt_pb_writer_free(&bytes);
}

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
