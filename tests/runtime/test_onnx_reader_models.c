/* The ONNX reader on whole models: models written as bytes here, loaded, run
 * on the reference backend and compared with double-precision references —
 * the MLP in every encoding ONNX allows (raw vs typed data, packed vs
 * unpacked, unknown fields), Conv and MaxPool in 2-D and 1-D, and Constant
 * nodes folded into constants and attributes. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_reader_fixtures.h"

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
