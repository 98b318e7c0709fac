#define _POSIX_C_SOURCE 200809L
/* runt_model_save_onnx: models built with the builder are saved, loaded back
 * with runt_model_load_file, and both run on the reference backend with the
 * same random inputs. Every op maps to the same ONNX op with the same
 * attributes, so the outputs must be bit-identical. Gelu, which opset 17
 * lacks, is written as Mul/Erf/Tanh/Add nodes in the order the reference
 * kernel evaluates its formula, and with gcc it comes back bit-identical too;
 * but a compiler may contract the kernel's x + 0.044715 x^3 into one fused
 * multiply-add (clang's default -ffp-contract=on), which separate nodes
 * cannot, so Gelu is held to a bound instead. The onnx package's checker,
 * when installed, checks saved files too. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"
#include "rt_test.h"
#include "runt.h"
#include "test_util.h"

/* ------------------------------------------------------------------------- */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------- */

typedef struct tmp_onnx {
    char dir[64], path[96];
} tmp_onnx;

static void tmp_make(tmp_onnx *t)
{
    strcpy(t->dir, "/tmp/runt-onnxw-XXXXXX");
    RT_ASSERT(mkdtemp(t->dir) != NULL, "mkdtemp failed");
    snprintf(t->path, sizeof t->path, "%s/model.onnx", t->dir);
}

static void tmp_remove(tmp_onnx *t)
{
    remove(t->path);
    rmdir(t->dir);
}

/* Random weights in [-0.5, 0.5) (never zero), owned by the pool until the test ends. */
typedef struct wpool {
    rt_rng rng;
    float *bufs[64];
    int n;
} wpool;

static const float *rnd(wpool *p, size_t n, float lo, float hi)
{
    RT_ASSERT(p->n < 64, "weight pool full");
    float *w = malloc(n * sizeof *w);
    RT_ASSERT(w != NULL, "malloc");
    rt_fill_uniform(&p->rng, w, n, lo, hi);
    p->bufs[p->n++] = w;
    return w;
}

static void wpool_free(wpool *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->bufs[i]);
    p->n = 0;
}

static runt_value_id cnst(runt_builder *b, wpool *p, int ndim, const int64_t *dims, float lo, float hi)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= (size_t)dims[i];
    runt_value_id v;
    RT_ASSERT(runt_builder_constant(b, NULL, RUNT_F32, ndim, dims, rnd(p, n, lo, hi), &v) == RUNT_OK,
              "constant: %s", runt_last_error());
    return v;
}

#define OK(call) RT_ASSERT((call) == RUNT_OK, "%s: %s", #call, runt_last_error())

typedef struct outputs {
    int n;
    float *data[4];
    size_t count[4];
} outputs;

/* Runs m on the ref backend at batch with inputs drawn from seed. */
static outputs run_ref(const runt_model *m, int64_t batch, uint64_t seed)
{
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    o.batch = batch;
    runt_session *s;
    OK(runt_session_create(m, &o, &s));
    int n_in, n_out, n_nodes;
    OK(runt_model_counts(m, &n_in, &n_out, &n_nodes));
    RT_ASSERT(n_in <= 4 && n_out <= 4, "%d inputs, %d outputs", n_in, n_out);
    rt_rng rng = rt_rng_make(seed);
    runt_tensor in[4], out[4];
    outputs r = {n_out, {0}, {0}};
    for (int i = 0; i < n_in; i++) {
        OK(runt_session_input_desc(s, i, &in[i]));
        size_t n = (size_t)runt_tensor_count(&in[i]);
        in[i].data = malloc(n * sizeof(float));
        rt_fill_uniform(&rng, in[i].data, n, -2.0f, 2.0f);
    }
    for (int i = 0; i < n_out; i++) {
        OK(runt_session_output_desc(s, i, &out[i]));
        r.count[i] = (size_t)runt_tensor_count(&out[i]);
        out[i].data = r.data[i] = rt_guarded_alloc(r.count[i]);
    }
    OK(runt_session_run(s, in, n_in, out, n_out));
    for (int i = 0; i < n_out; i++)
        RT_ASSERT(rt_guard_intact(r.data[i], r.count[i]), "output %d written past its end", i);
    for (int i = 0; i < n_in; i++)
        free(in[i].data);
    runt_session_free(s);
    return r;
}

static void outputs_free(outputs *r)
{
    for (int i = 0; i < r->n; i++)
        rt_guarded_free(r->data[i]);
}

/* Saves m, loads it back, and compares the two on the ref backend: bitwise
 * when bound is 0, else within bound (normalized error). Returns the loaded
 * model for more checks (the caller frees it). */
static runt_model *round_trip(const runt_model *m, const char *what, int64_t batch, double bound)
{
    tmp_onnx t;
    tmp_make(&t);
    RT_ASSERT(runt_model_save_onnx(m, t.path) == RUNT_OK, "%s: save: %s", what, runt_last_error());
    runt_model *back = NULL;
    RT_ASSERT(runt_model_load_file(t.path, NULL, &back) == RUNT_OK, "%s: load: %s", what,
              runt_last_error());
    tmp_remove(&t);
    int a_in, a_out, a_nodes, b_in, b_out, b_nodes;
    OK(runt_model_counts(m, &a_in, &a_out, &a_nodes));
    OK(runt_model_counts(back, &b_in, &b_out, &b_nodes));
    RT_ASSERT(a_in == b_in && a_out == b_out, "%s: %d/%d inputs/outputs came back as %d/%d", what,
              a_in, a_out, b_in, b_out);
    for (int i = 0; i < a_in; i++) {
        runt_io_info x, y;
        OK(runt_model_input(m, i, &x));
        OK(runt_model_input(back, i, &y));
        RT_ASSERT(strcmp(x.name, y.name) == 0 && x.desc.ndim == y.desc.ndim &&
                  memcmp(x.desc.dims, y.desc.dims, sizeof(int64_t) * (size_t)x.desc.ndim) == 0,
                  "%s: input %d ('%s') came back as '%s' with another shape", what, i, x.name, y.name);
    }
    for (uint64_t seed = 1; seed <= 3; seed++) {
        outputs want = run_ref(m, batch, seed), got = run_ref(back, batch, seed);
        for (int i = 0; i < want.n; i++) {
            RT_ASSERT(want.count[i] == got.count[i], "%s: output %d has %zu elements, was %zu", what,
                      i, got.count[i], want.count[i]);
            if (bound == 0.0) {
                for (size_t k = 0; k < want.count[i]; k++)
                    RT_ASSERT(memcmp(&want.data[i][k], &got.data[i][k], sizeof(float)) == 0,
                              "%s: output %d element %zu: %.9g after the round trip, %.9g before",
                              what, i, k, got.data[i][k], want.data[i][k]);
            } else {
                double *ref = malloc(want.count[i] * sizeof(double));
                for (size_t k = 0; k < want.count[i]; k++)
                    ref[k] = want.data[i][k];
                double err = rt_norm_max_error(got.data[i], ref, want.count[i], 1e-6);
                free(ref);
                RT_ASSERT(err <= bound, "%s: output %d: normalized error %.3g > %.3g", what, i, err,
                          bound);
            }
        }
        outputs_free(&want);
        outputs_free(&got);
    }
    return back;
}

static runt_model *finish(runt_builder *b)
{
    runt_model *m = NULL;
    OK(runt_builder_finish(b, &m));
    return m;
}

/* x [N, 16] -> Linear(16, 24) -> op -> Linear(24, 8). */
static runt_model *mlp_with(wpool *p, runt_op op, const runt_attrs *attrs)
{
    runt_builder *b;
    runt_value_id x;
    int64_t dims[2] = {RUNT_DIM_BATCH, 16};
    OK(runt_builder_create(NULL, &b));
    OK(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x));
    OK(runt_builder_linear(b, x, 16, 24, rnd(p, 16 * 24, -0.5f, 0.5f), rnd(p, 24, -0.5f, 0.5f), &x));
    OK(runt_builder_unary(b, op, x, attrs, &x));
    OK(runt_builder_linear(b, x, 24, 8, rnd(p, 24 * 8, -0.5f, 0.5f), rnd(p, 8, -0.5f, 0.5f), &x));
    OK(runt_builder_output(b, x, "y"));
    return finish(b);
}

static int count_op(const runt_model *m, runt_op op)
{
    int n = 0;
    for (int i = 0; i < m->n_nodes; i++)
        n += m->nodes[i].op == op;
    return n;
}

/* ------------------------------------------------------------------------- */
/* Round trips                                                               */
/* ------------------------------------------------------------------------- */

RT_TEST(onnx_writer, mlp_with_each_activation_is_bit_identical)
{
    wpool p = {rt_rng_make(7), {0}, 0};
    static const struct {
        runt_op op;
        const char *name;
        int custom;
    } acts[] = {{RUNT_OP_RELU, "relu", 0},       {RUNT_OP_SIGMOID, "sigmoid", 0},
                {RUNT_OP_TANH, "tanh", 0},       {RUNT_OP_ERF, "erf", 0},
                {RUNT_OP_LEAKY_RELU, "leaky", 1}, {RUNT_OP_CLIP, "clip", 1},
                {RUNT_OP_CLIP, "clip_default", 0}, {RUNT_OP_IDENTITY, "identity", 0},
                {RUNT_OP_DROPOUT, "dropout", 0}};
    int n = (int)(sizeof acts / sizeof acts[0]);
    for (int i = 0; i < n; i++) {
        runt_attrs a;
        runt_attrs_default(acts[i].op, &a);
        if (acts[i].op == RUNT_OP_LEAKY_RELU)
            a.leaky_relu.alpha = 0.07f;
        if (acts[i].op == RUNT_OP_CLIP && acts[i].custom) {
            a.clip.min = -0.3f;
            a.clip.max = 0.45f;
        }
        runt_model *m = mlp_with(&p, acts[i].op, &a);
        runt_model *back = round_trip(m, acts[i].name, 3, 0.0);
        RT_ASSERT(count_op(back, acts[i].op) == 1, "%s: the op did not come back as one node",
                  acts[i].name);
        runt_model_free(back);
        runt_model_free(m);
        wpool_free(&p);
    }
}

RT_TEST(onnx_writer, gelu_is_decomposed_within_a_bound)
{
    wpool p = {rt_rng_make(8), {0}, 0};
    for (int tanh_form = 0; tanh_form < 2; tanh_form++) {
        runt_attrs a;
        runt_attrs_default(RUNT_OP_GELU, &a);
        a.gelu.approximate_tanh = tanh_form;
        runt_model *m = mlp_with(&p, RUNT_OP_GELU, &a);
        /* A few f32 roundings of a value of order 1 per element, through a
         * 24-wide Linear: far below 1e-5 of the output's scale. */
        runt_model *back = round_trip(m, tanh_form ? "gelu tanh" : "gelu erf", 3, 1e-5);
        RT_ASSERT(count_op(back, RUNT_OP_GELU) == 0, "opset 17 has no Gelu; the file has one");
        RT_ASSERT(count_op(back, tanh_form ? RUNT_OP_TANH : RUNT_OP_ERF) == 1,
                  "the decomposition's %s node is missing", tanh_form ? "Tanh" : "Erf");
        runt_model_free(back);
        runt_model_free(m);
        wpool_free(&p);
    }
}

/* Gemm attributes, binary ops with constant operands, Constant, MatMul, and
 * a Gemm carrying an epilogue (written as the activation node after it). */
RT_TEST(onnx_writer, gemm_attributes_binary_ops_and_epilogues)
{
    wpool p = {rt_rng_make(9), {0}, 0};
    runt_builder *b;
    runt_value_id x, y, z, c, k;
    int64_t xd[2] = {4, 6}, wd[2] = {4, 5}, cd[1] = {5}, md[2] = {5, 3}, rowd[2] = {1, 3};
    OK(runt_builder_create(NULL, &b));
    OK(runt_builder_input(b, "x", RUNT_F32, 2, xd, &x));
    runt_attrs g;
    runt_attrs_default(RUNT_OP_GEMM, &g);
    g.gemm.alpha = 0.75f;
    g.gemm.beta = -1.5f;
    g.gemm.trans_a = 1; /* x^T: [6, 4] x [4, 5] */
    g.gemm.epilogue.act = RUNT_ACT_LEAKY_RELU;
    g.gemm.epilogue.alpha = 0.2f;
    runt_value_id gin[3] = {x, cnst(b, &p, 2, wd, -0.5f, 0.5f), cnst(b, &p, 1, cd, -0.5f, 0.5f)};
    OK(runt_builder_node(b, RUNT_OP_GEMM, "gemm_t", &g, 3, gin, 1, &y));
    runt_value_id mm[2] = {y, cnst(b, &p, 2, md, -0.5f, 0.5f)};
    OK(runt_builder_node(b, RUNT_OP_MATMUL, NULL, NULL, 2, mm, 1, &z));
    const runt_op bins[4] = {RUNT_OP_ADD, RUNT_OP_SUB, RUNT_OP_MUL, RUNT_OP_DIV};
    for (int i = 0; i < 4; i++) {
        /* Div by a constant in [0.5, 1.5): no division by near-zero. */
        c = cnst(b, &p, 2, rowd, i == 3 ? 0.5f : -1.0f, i == 3 ? 1.5f : 1.0f);
        runt_value_id in[2] = {z, c};
        OK(runt_builder_node(b, bins[i], NULL, NULL, 2, in, 1, &z));
    }
    c = cnst(b, &p, 2, rowd, -1.0f, 1.0f);
    OK(runt_builder_node(b, RUNT_OP_CONSTANT, "const_copy", NULL, 1, &c, 1, &k));
    runt_value_id last[2] = {z, k};
    OK(runt_builder_node(b, RUNT_OP_ADD, "plus_const", NULL, 2, last, 1, &z));
    OK(runt_builder_output(b, z, "out"));
    OK(runt_builder_output(b, y, "gemm_out"));
    runt_model *m = finish(b);
    runt_model *back = round_trip(m, "gemm/binary", 1, 0.0);
    RT_ASSERT(count_op(back, RUNT_OP_LEAKY_RELU) == 1, "the epilogue did not become a LeakyRelu");
    runt_model_free(back);
    runt_model_free(m);
    wpool_free(&p);
}

/* conv (asymmetric pads, strides, dilations, groups, auto_pad), batch norm,
 * relu, max and average pools (ceil_mode, count_include_pad), global average
 * pool, flatten, linear, softmax. */
RT_TEST(onnx_writer, cnn_is_bit_identical)
{
    wpool p = {rt_rng_make(10), {0}, 0};
    runt_builder *b;
    runt_value_id x, v[5];
    int64_t xd[4] = {RUNT_DIM_BATCH, 3, 12, 12}, ch4[1] = {4};
    OK(runt_builder_create(NULL, &b));
    OK(runt_builder_input(b, "image", RUNT_F32, 4, xd, &x));

    runt_attrs c1;
    runt_attrs_default(RUNT_OP_CONV, &c1);
    int pads1[4] = {1, 0, 2, 1};
    memcpy(c1.conv.pads, pads1, sizeof pads1);
    c1.conv.strides[1] = 2;
    OK(runt_builder_conv2d(b, x, 3, 4, 3, 3, &c1.conv, rnd(&p, 4 * 3 * 9, -0.5f, 0.5f),
                           rnd(&p, 4, -0.5f, 0.5f), &x));
    runt_attrs bn;
    runt_attrs_default(RUNT_OP_BATCH_NORM, &bn);
    bn.batch_norm.epsilon = 1e-3f;
    v[0] = x;
    v[1] = cnst(b, &p, 1, ch4, 0.5f, 1.5f);  /* scale */
    v[2] = cnst(b, &p, 1, ch4, -0.5f, 0.5f); /* bias  */
    v[3] = cnst(b, &p, 1, ch4, -0.5f, 0.5f); /* mean  */
    v[4] = cnst(b, &p, 1, ch4, 0.5f, 2.0f);  /* var   */
    OK(runt_builder_node(b, RUNT_OP_BATCH_NORM, "bn", &bn, 5, v, 1, &x));
    OK(runt_builder_unary(b, RUNT_OP_RELU, x, NULL, &x));
    runt_attrs mp;
    runt_attrs_default(RUNT_OP_MAX_POOL, &mp);
    mp.pool.kernel[0] = mp.pool.kernel[1] = 2;
    mp.pool.strides[0] = mp.pool.strides[1] = 2;
    mp.pool.ceil_mode = 1;
    OK(runt_builder_unary(b, RUNT_OP_MAX_POOL, x, &mp, &x));
    runt_attrs c2;
    runt_attrs_default(RUNT_OP_CONV, &c2);
    c2.conv.group = 2;
    c2.conv.dilations[0] = 2;
    c2.conv.auto_pad = RUNT_PAD_SAME_UPPER;
    OK(runt_builder_conv2d(b, x, 4, 6, 3, 3, &c2.conv, rnd(&p, 6 * 2 * 9, -0.5f, 0.5f), NULL, &x));
    runt_attrs ap;
    runt_attrs_default(RUNT_OP_AVERAGE_POOL, &ap);
    ap.pool.kernel[0] = ap.pool.kernel[1] = 3;
    ap.pool.pads[0] = ap.pool.pads[1] = ap.pool.pads[2] = ap.pool.pads[3] = 1;
    ap.pool.count_include_pad = 0;
    OK(runt_builder_unary(b, RUNT_OP_AVERAGE_POOL, x, &ap, &x));
    runt_attrs ap2 = ap;
    ap2.pool.count_include_pad = 1;
    ap2.pool.strides[0] = 2;
    ap2.pool.ceil_mode = 1;
    runt_value_id side;
    OK(runt_builder_unary(b, RUNT_OP_AVERAGE_POOL, x, &ap2, &side));
    OK(runt_builder_output(b, side, "pooled"));
    OK(runt_builder_unary(b, RUNT_OP_GLOBAL_AVERAGE_POOL, x, NULL, &x));
    OK(runt_builder_unary(b, RUNT_OP_FLATTEN, x, NULL, &x));
    OK(runt_builder_linear(b, x, 6, 5, rnd(&p, 30, -0.5f, 0.5f), rnd(&p, 5, -0.5f, 0.5f), &x));
    OK(runt_builder_unary(b, RUNT_OP_SOFTMAX, x, NULL, &x));
    OK(runt_builder_output(b, x, "probs"));
    runt_model *m = finish(b);
    runt_model *back = round_trip(m, "cnn", 2, 0.0);
    runt_model_free(back);
    runt_model_free(m);
    wpool_free(&p);
}

/* A builder with input x [N, 2, 3, 4] and one Pad of it into *y. */
static runt_builder *padded_input(const int64_t pads[8], float value, runt_pad_mode mode,
                                  runt_value_id *y)
{
    runt_builder *b;
    runt_value_id x;
    int64_t xd[4] = {RUNT_DIM_BATCH, 2, 3, 4};
    OK(runt_builder_create(NULL, &b));
    OK(runt_builder_input(b, "x", RUNT_F32, 4, xd, &x));
    runt_attrs pad;
    runt_attrs_default(RUNT_OP_PAD, &pad);
    pad.pad.ndim = 4;
    memcpy(pad.pad.pads, pads, sizeof pad.pad.pads[0] * 8);
    pad.pad.value = value;
    pad.pad.mode = mode;
    OK(runt_builder_unary(b, RUNT_OP_PAD, x, &pad, y));
    return b;
}

RT_TEST(onnx_writer, pad_reshape_flatten_are_bit_identical)
{
    runt_value_id x;
    const int64_t pads[8] = {0, 0, 1, -1, 0, 1, 0, 2}; /* a negative pad crops */
    runt_builder *b = padded_input(pads, 0.25f, RUNT_PAD_MODE_CONSTANT, &x); /* [N, 3, 4, 5] */
    runt_attrs rs;
    runt_attrs_default(RUNT_OP_RESHAPE, &rs);
    rs.reshape.ndim = 3;
    rs.reshape.shape[0] = 0;
    rs.reshape.shape[1] = -1;
    rs.reshape.shape[2] = 5;
    OK(runt_builder_unary(b, RUNT_OP_RESHAPE, x, &rs, &x)); /* [N, 12, 5] */
    runt_attrs sm;
    runt_attrs_default(RUNT_OP_SOFTMAX, &sm);
    sm.axis.axis = 1;
    OK(runt_builder_unary(b, RUNT_OP_SOFTMAX, x, &sm, &x));
    runt_attrs fl;
    runt_attrs_default(RUNT_OP_FLATTEN, &fl);
    fl.axis.axis = 2;
    OK(runt_builder_unary(b, RUNT_OP_FLATTEN, x, &fl, &x)); /* [N * 12, 5] */
    OK(runt_builder_output(b, x, "y"));
    runt_model *m = finish(b);
    runt_model *back = round_trip(m, "pad/reshape/flatten", 3, 0.0);
    runt_model_free(back);
    runt_model_free(m);
}

/* Reflect and edge padding go out as Pad's mode and come back the same;
 * wrap needs opset 19 and is refused by name. */
RT_TEST(onnx_writer, pad_modes_round_trip_and_wrap_is_refused)
{
    static const runt_pad_mode modes[2] = {RUNT_PAD_MODE_REFLECT, RUNT_PAD_MODE_EDGE};
    for (int k = 0; k < 3; k++) {
        runt_value_id x;
        const int64_t pads[8] = {0, 0, 2, 5, 0, 1, 1, 3};
        runt_builder *b = padded_input(pads, 0.0f, k < 2 ? modes[k] : RUNT_PAD_MODE_WRAP, &x);
        OK(runt_builder_output(b, x, "y"));
        runt_model *m = finish(b);
        if (k < 2) {
            runt_model *back = round_trip(m, k ? "edge pad" : "reflect pad", 2, 0.0);
            runt_model_free(back);
        } else {
            char path[] = "/tmp/runt-ow-wrap-XXXXXX";
            int fd = mkstemp(path);
            RT_ASSERT(fd >= 0, "mkstemp");
            close(fd);
            RT_ASSERT(runt_model_save_onnx(m, path) == RUNT_E_UNSUPPORTED &&
                          strstr(runt_last_error(), "wrap") && strstr(runt_last_error(), "opset 19"),
                      "wrap refused: %s", runt_last_error());
            unlink(path);
        }
        runt_model_free(m);
    }
}

RT_TEST(onnx_writer, layer_norm_is_bit_identical)
{
    wpool p = {rt_rng_make(11), {0}, 0};
    runt_builder *b;
    runt_value_id x, y1, y2;
    int64_t xd[3] = {RUNT_DIM_BATCH, 5, 8}, last[1] = {8}, two[2] = {5, 8};
    OK(runt_builder_create(NULL, &b));
    OK(runt_builder_input(b, "x", RUNT_F32, 3, xd, &x));
    runt_attrs ln;
    runt_attrs_default(RUNT_OP_LAYER_NORM, &ln);
    ln.layer_norm.epsilon = 1e-4f;
    runt_value_id in1[3] = {x, cnst(b, &p, 1, last, 0.5f, 1.5f), cnst(b, &p, 1, last, -0.5f, 0.5f)};
    OK(runt_builder_node(b, RUNT_OP_LAYER_NORM, "ln_last", &ln, 3, in1, 1, &y1));
    ln.layer_norm.axis = 1;
    ln.layer_norm.epsilon = 1e-5f;
    runt_value_id in2[2] = {x, cnst(b, &p, 2, two, 0.5f, 1.5f)};
    OK(runt_builder_node(b, RUNT_OP_LAYER_NORM, "ln_two_axes", &ln, 2, in2, 1, &y2));
    OK(runt_builder_output(b, y1, "y1"));
    OK(runt_builder_output(b, y2, "y2"));
    runt_model *m = finish(b);
    runt_model *back = round_trip(m, "layer norm", 2, 0.0);
    runt_model_free(back);
    runt_model_free(m);
    wpool_free(&p);
}

/* ------------------------------------------------------------------------- */
/* The onnx package's checker                                                */
/* ------------------------------------------------------------------------- */

RT_TEST(onnx_writer, onnx_checker_accepts_the_files)
{
    if (system("python3 -c 'import onnx' >/dev/null 2>&1") != 0)
        RT_SKIP("python3 with the onnx package is not available, so the checker cannot run");
    wpool p = {rt_rng_make(12), {0}, 0};
    runt_attrs a;
    runt_attrs_default(RUNT_OP_GELU, &a);
    runt_attrs clip;
    runt_attrs_default(RUNT_OP_CLIP, &clip);
    runt_model *models[2] = {mlp_with(&p, RUNT_OP_GELU, &a), mlp_with(&p, RUNT_OP_CLIP, &clip)};
    for (int i = 0; i < 2; i++) {
        tmp_onnx t;
        tmp_make(&t);
        OK(runt_model_save_onnx(models[i], t.path));
        char cmd[512];
        snprintf(cmd, sizeof cmd, "python3 -c \"import sys, onnx; m = onnx.load(sys.argv[1]); "
                 "onnx.checker.check_model(m, full_check=True); "
                 "assert m.ir_version == 8 and m.opset_import[0].version == 17\" %s", t.path);
        RT_ASSERT(system(cmd) == 0, "the onnx checker refused the file (%s)", cmd);
        tmp_remove(&t);
        runt_model_free(models[i]);
    }
    wpool_free(&p);
}

/* ------------------------------------------------------------------------- */
/* Errors                                                                    */
/* ------------------------------------------------------------------------- */

RT_TEST(onnx_writer, bad_arguments_and_unwritable_paths)
{
    wpool p = {rt_rng_make(13), {0}, 0};
    runt_model *m = mlp_with(&p, RUNT_OP_RELU, NULL);
    RT_ASSERT(runt_model_save_onnx(NULL, "/tmp/x.onnx") == RUNT_E_INVALID_ARG, "NULL model");
    RT_ASSERT(strstr(runt_last_error(), "model"), "message: %s", runt_last_error());
    RT_ASSERT(runt_model_save_onnx(m, NULL) == RUNT_E_INVALID_ARG, "NULL path");
    RT_ASSERT(strstr(runt_last_error(), "path"), "message: %s", runt_last_error());
    const char *bad = "/nonexistent-runt-dir/model.onnx";
    RT_ASSERT(runt_model_save_onnx(m, bad) == RUNT_E_IO, "unwritable path");
    RT_ASSERT(strstr(runt_last_error(), bad), "message names the path: %s", runt_last_error());
    runt_model_free(m);
    wpool_free(&p);
}

RT_TEST(onnx_writer, what_opset_17_cannot_say_is_refused)
{
    runt_builder *b;
    runt_value_id x;
    int64_t xd[4] = {1, 2, 9, 9};
    OK(runt_builder_create(NULL, &b));
    OK(runt_builder_input(b, "x", RUNT_F32, 4, xd, &x));
    runt_attrs ap;
    runt_attrs_default(RUNT_OP_AVERAGE_POOL, &ap);
    ap.pool.kernel[0] = ap.pool.kernel[1] = 2;
    ap.pool.dilations[0] = 2;
    OK(runt_builder_node(b, RUNT_OP_AVERAGE_POOL, "dilated_avg", &ap, 1, &x, 1, &x));
    OK(runt_builder_output(b, x, "y"));
    runt_model *m = finish(b);
    tmp_onnx t;
    tmp_make(&t);
    RT_ASSERT(runt_model_save_onnx(m, t.path) == RUNT_E_UNSUPPORTED, "AveragePool with dilations");
    RT_ASSERT(strstr(runt_last_error(), "dilated_avg") && strstr(runt_last_error(), "opset"),
              "message names the node and the opset: %s", runt_last_error());
    RT_ASSERT(access(t.path, F_OK) != 0, "a refused model left a file behind");
    tmp_remove(&t);
    runt_model_free(m);
}

/* ------------------------------------------------------------------------- */
/* Quantized models (tests/data/quant, written by onnxruntime's quantizer)   */
/* ------------------------------------------------------------------------- */

RT_TEST(onnx_writer, quantized_models_round_trip_bit_identical)
{
    const char *data = getenv("RUNT_TEST_DATA");
    if (!data)
        RT_SKIP("RUNT_TEST_DATA is not set (ctest sets it to tests/data)");
    static const char *const fixtures[] = {"mlp_dyn_s8", "mlp_dyn_s8_pc", "mlp_dyn_u8",
                                           "mlp3d_dyn_s8", "cnn_dyn_s8", "mlp_qdq_s8",
                                           "mlp_qdq_u8", "cnn_qdq_pc"};
    int checker = system("python3 -c 'import onnx' >/dev/null 2>&1") == 0;
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/quant/%s/model.onnx", data, fixtures[i]);
        runt_model *m = NULL;
        RT_ASSERT(runt_model_load_file(path, NULL, &m) == RUNT_OK, "%s: %s", path, runt_last_error());
        runt_model_free(round_trip(m, fixtures[i], 2, 0.0));
        if (checker) {
            tmp_onnx t;
            tmp_make(&t);
            OK(runt_model_save_onnx(m, t.path));
            char cmd[512];
            snprintf(cmd, sizeof cmd, "python3 -c \"import sys, onnx; "
                     "onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\" %s",
                     t.path);
            RT_ASSERT(system(cmd) == 0, "%s: the onnx checker refused the written file", fixtures[i]);
            tmp_remove(&t);
        }
        runt_model_free(m);
    }
}
