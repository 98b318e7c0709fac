/* The ONNX reader on the forms of an op that depend on the opset (Clip's
 * bounds, Pad's pads, Softmax's axis, ReduceMean's axes), on attributes
 * read per op, and on inputs that select behaviour and so must be constant
 * unless frozen through runt_load_options. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_reader_fixtures.h"

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
