/*
 * The quantized-layer rewrite (runtime/quant_patterns.c) on layers built
 * node by node (quant_graphs.h): what folds, into what, and what must not.
 * Plans are read through the public session API on "qmock", a backend that
 * declares quantized_weights and computes nothing, so these tests need no
 * CPU backend; tests/backends/cpu/test_cpu_qmodels.c checks that the folded
 * layers compute what the graphs compute.
 *
 * A folded layer shows as one Gemm, MatMul or Conv node whose cost reads its
 * weights as int8: bytes_read = x (4 per element) + W (1 per element) +
 * bias + scales (4 per element), params = W + bias + w_scale elements (the
 * x scale and zero point of a QDQ layer are constants too: +2).
 */
#include <string.h>

#include "quant_graphs.h"
#include "runt-backend.h"

static runt_status qmock_probe(void *context, runt_device_info *info)
{
    (void)context;
    snprintf(info->name, sizeof info->name, "quantized-layer plan probe");
    info->available = 1;
    info->host_memory = 1;
    info->compute_units = 1;
    info->quantized_weights = 1;
    return RUNT_OK;
}

static runt_status qmock_prepare(void *context, const runt_plan *plan,
                                 const runt_session_options *options, void **state)
{
    (void)context, (void)plan, (void)options;
    *state = NULL;
    return RUNT_OK;
}

static runt_status qmock_execute(void *state, const runt_plan *plan, const runt_bindings *b)
{
    (void)state, (void)plan, (void)b;
    return RUNT_OK;
}

static const runt_backend_i qmock_backend = {
    .name = "qmock",
    .probe = qmock_probe,
    .prepare = qmock_prepare,
    .execute = qmock_execute,
};

static void qmock_register(void)
{
    runt_status s = runt_backend_register(&qmock_backend, NULL);
    RT_ASSERT(s == RUNT_OK || strstr(runt_last_error(), "registered already"), "register: %s",
              runt_last_error());
}

typedef struct plan_view {
    int n_nodes;
    runt_node_info node[64];
} plan_view;

static void plan_of(const runt_model *m, const char *backend, int fuse, int64_t batch,
                    plan_view *v)
{
    runt_session_options o = runt_session_options_default();
    runt_session *s;
    runt_session_stats st;
    o.backend = backend;
    o.fuse = fuse;
    o.batch = batch;
    QG_CHECK(runt_session_create(m, &o, &s));
    QG_CHECK(runt_session_stats_get(s, &st));
    RT_ASSERT(st.n_nodes <= 64, "%d nodes", st.n_nodes);
    v->n_nodes = st.n_nodes;
    for (int i = 0; i < st.n_nodes; i++)
        QG_CHECK(runt_session_node(s, i, &v->node[i], NULL));
    runt_session_free(s);
}

static int count_op(const plan_view *v, runt_op op)
{
    int n = 0;
    for (int i = 0; i < v->n_nodes; i++)
        n += v->node[i].op == op;
    return n;
}

static int model_nodes(const runt_model *m)
{
    int n = 0;
    runt_model_counts(m, NULL, NULL, &n);
    return n;
}

static qg_layer linear(int64_t k, int64_t n)
{
    qg_layer l;
    memset(&l, 0, sizeof l);
    l.k = k, l.n = n;
    return l;
}

RT_TEST(quant_patterns, dynamic_linear_folds_into_one_int8_gemm)
{
    qmock_register();
    int64_t x[2] = {3, 37};
    qg_layer l = linear(37, 19);
    l.bias = l.relu = 1;
    runt_model *m = qg_model(2, x, &l, 1, 0, 1);
    plan_view v;
    plan_of(m, "qmock", 1, 3, &v);
    RT_ASSERT(v.n_nodes == 1 && v.node[0].op == RUNT_OP_GEMM &&
                  v.node[0].epilogue.act == RUNT_ACT_RELU,
              "7 nodes fold into Gemm+Relu; got %d nodes, first %s", v.n_nodes,
              runt_op_name(v.node[0].op));
    const runt_cost *c = &v.node[0].cost;
    int64_t w = 37 * 19;
    RT_ASSERT(c->bytes_read == 3 * 37 * 4 + w + 19 * 4 + 1 * 4 && c->params == w + 19 + 1,
              "int8 weights: bytes_read %lld, params %lld", (long long)c->bytes_read,
              (long long)c->params);
    RT_ASSERT(c->flops == 2 * 3 * 19 * 37 + 3 * 19 + 3 * 19, "flops %lld", (long long)c->flops);
    /* fuse = 0, or a backend without int8-weight nodes: the graph as written. */
    plan_of(m, "qmock", 0, 3, &v);
    RT_ASSERT(v.n_nodes == model_nodes(m), "fuse 0: %d of %d nodes", v.n_nodes, model_nodes(m));
    plan_of(m, "ref", 1, 3, &v);
    RT_ASSERT(v.n_nodes == model_nodes(m) && count_op(&v, RUNT_OP_GEMM) == 0,
              "ref: %d of %d nodes", v.n_nodes, model_nodes(m));
    runt_model_free(m);
}

RT_TEST(quant_patterns, dynamic_layers_per_channel_stacked_and_3d)
{
    qmock_register();
    qg_layer l[2] = {linear(24, 16), linear(16, 5)};
    l[0].per_channel = l[0].bias = l[0].relu = 1;
    l[1].bias_through_reshape = l[1].bias = 1;
    int64_t x2[2] = {2, 24}, x3[3] = {2, 7, 24};
    runt_model *m = qg_model(2, x2, l, 2, 0, 2);
    plan_view v;
    plan_of(m, "qmock", 1, 2, &v);
    RT_ASSERT(v.n_nodes == 2 && count_op(&v, RUNT_OP_GEMM) == 2, "two layers: %d nodes",
              v.n_nodes);
    runt_model_free(m);
    /* x [B, 7, 24]: MatMul layers (no epilogue: Relu stays a node). */
    m = qg_model(3, x3, l, 2, 0, 3);
    plan_of(m, "qmock", 1, 2, &v);
    RT_ASSERT(v.n_nodes == 3 && count_op(&v, RUNT_OP_MATMUL) == 2 &&
                  v.node[0].output.ndim == 3 && v.node[0].output.dims[2] == 16,
              "3-D: %d nodes, %d MatMul", v.n_nodes, count_op(&v, RUNT_OP_MATMUL));
    runt_model_free(m);
}

RT_TEST(quant_patterns, dynamic_conv_folds_with_reshaped_bias)
{
    qmock_register();
    qg_layer l;
    memset(&l, 0, sizeof l);
    l.conv = 1, l.c = 4, l.m = 6, l.kh = 3, l.kw = 3;
    l.conv_attrs.group = 2;
    l.conv_attrs.pads[0] = l.conv_attrs.pads[1] = l.conv_attrs.pads[2] = l.conv_attrs.pads[3] = 1;
    l.bias = l.relu = l.per_channel = 1;
    int64_t x[4] = {1, 4, 9, 7};
    runt_model *m = qg_model(4, x, &l, 1, 0, 4);
    plan_view v;
    plan_of(m, "qmock", 1, 1, &v);
    RT_ASSERT(v.n_nodes == 1 && v.node[0].op == RUNT_OP_CONV &&
                  v.node[0].epilogue.act == RUNT_ACT_RELU && v.node[0].output.dims[1] == 6,
              "DQL, ConvInteger, Cast, Mul, Mul, Reshape, Add, Relu fold into Conv+Relu; got "
              "%d nodes", v.n_nodes);
    runt_model_free(m);
}

/* Each bend breaks one condition of the rewrite: the layer keeps its nodes. */
RT_TEST(quant_patterns, dynamic_layers_that_must_not_fold)
{
    qmock_register();
    int64_t x[2] = {2, 16};
    for (int bend = 0; bend < 4; bend++) {
        qg_layer l = linear(16, 8);
        l.bias = 1;
        const char *what = NULL;
        switch (bend) {
        case 0: l.w_dtype = RUNT_U8, l.w_zero_point = 128, what = "uint8 weights"; break;
        case 1: l.w_zero_point = 1, what = "a weight zero point of 1"; break;
        case 2: l.cast_to_i32 = 1, what = "a Cast to int32"; break;
        default: l.foreign_scale = 1, what = "a scale not from DynamicQuantizeLinear"; break;
        }
        runt_model *m = qg_model(2, x, &l, 1, 0, 10 + (uint64_t)bend);
        plan_view v;
        plan_of(m, "qmock", 1, 2, &v);
        RT_ASSERT(v.n_nodes == model_nodes(m) && count_op(&v, RUNT_OP_GEMM) == 0,
                  "%s: %d nodes of %d, %d Gemm", what, v.n_nodes, model_nodes(m),
                  count_op(&v, RUNT_OP_GEMM));
        runt_model_free(m);
    }
}

/* An intermediate value that is also a graph output cannot disappear. */
RT_TEST(quant_patterns, read_intermediates_stay)
{
    qmock_register();
    rt_rng r = rt_rng_make(20);
    runt_builder *b;
    runt_value_id x, y, y2;
    int64_t dims[2] = {RUNT_DIM_BATCH, 12};
    QG_CHECK(runt_builder_create(NULL, &b));
    QG_CHECK(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x));
    qg_layer l = linear(12, 6);
    y = qg_dynamic(b, x, &l, &r);
    /* A second layer reading the same x shares its DynamicQuantizeLinear in
     * onnxruntime's graphs; here each has its own, and both fold. */
    y2 = qg_dynamic(b, x, &l, &r);
    QG_CHECK(runt_builder_output(b, y, "y"));
    QG_CHECK(runt_builder_output(b, y2, "y2"));
    runt_model *m = NULL;
    QG_CHECK(runt_builder_finish(b, &m));
    plan_view v;
    plan_of(m, "qmock", 1, 1, &v);
    RT_ASSERT(v.n_nodes == 2 && count_op(&v, RUNT_OP_GEMM) == 2, "two layers: %d nodes",
              v.n_nodes);
    runt_model_free(m);

    /* The Cast's output as a graph output: nothing of that layer folds. */
    QG_CHECK(runt_builder_create(NULL, &b));
    QG_CHECK(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x));
    y = qg_dynamic(b, x, &l, &r);
    QG_CHECK(runt_builder_output(b, y, "y"));
    QG_CHECK(runt_builder_finish(b, &m));
    int n = model_nodes(m);
    runt_model_free(m);
    QG_CHECK(runt_builder_create(NULL, &b));
    QG_CHECK(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x));
    runt_value_id q[3], in[4], acc, f;
    int8_t w[12 * 6], zp = 0;
    float ws = 0.01f;
    int64_t wd[2] = {12, 6};
    memset(w, 3, sizeof w);
    QG_CHECK(runt_builder_node(b, RUNT_OP_DYNAMIC_QUANTIZE_LINEAR, NULL, NULL, 1, &x, 3, q));
    in[0] = q[0], in[1] = qg_const(b, RUNT_I8, 2, wd, w), in[2] = q[2];
    in[3] = qg_const(b, RUNT_I8, 0, NULL, &zp);
    acc = qg_node(b, RUNT_OP_MATMUL_INTEGER, NULL, 4, in);
    runt_attrs ca;
    runt_attrs_default(RUNT_OP_CAST, &ca);
    f = qg_node(b, RUNT_OP_CAST, &ca, 1, &acc);
    runt_value_id sin[2] = {q[1], qg_const(b, RUNT_F32, 0, NULL, &ws)};
    runt_value_id min[2] = {f, qg_node(b, RUNT_OP_MUL, NULL, 2, sin)};
    y = qg_node(b, RUNT_OP_MUL, NULL, 2, min);
    QG_CHECK(runt_builder_output(b, y, "y"));
    QG_CHECK(runt_builder_output(b, f, "accumulator_as_float"));
    QG_CHECK(runt_builder_finish(b, &m));
    plan_of(m, "qmock", 1, 1, &v);
    RT_ASSERT(v.n_nodes == model_nodes(m) && count_op(&v, RUNT_OP_GEMM) == 0,
              "Cast output read outside: %d of %d nodes stay (a plain layer has %d)", v.n_nodes,
              model_nodes(m), n);
    runt_model_free(m);
}

RT_TEST(quant_patterns, qdq_linear_gemm_and_conv_fold)
{
    qmock_register();
    int64_t x2[2] = {4, 20}, x4[4] = {2, 3, 6, 6};
    plan_view v;
    for (int form = 0; form < 4; form++) {
        qg_layer l = linear(20, 9);
        runt_model *m;
        runt_op want = RUNT_OP_GEMM;
        if (form == 0) {            /* MatMul, per-tensor weights, int8 activations */
            m = qg_model(2, x2, &l, 1, 1, 30);
        } else if (form == 1) {     /* MatMul, per-channel, uint8 activations, Relu */
            l.per_channel = l.relu = 1, l.x_dtype = RUNT_U8;
            m = qg_model(2, x2, &l, 1, 1, 31);
        } else if (form == 2) {     /* Gemm(x', W'^T, C), per channel along W's axis 0 */
            l.gemm_trans_b = l.per_channel = l.bias = 1;
            m = qg_model(2, x2, &l, 1, 1, 32);
        } else {                    /* Conv, per channel, bias, strides */
            memset(&l, 0, sizeof l);
            l.conv = 1, l.c = 3, l.m = 5, l.kh = 2, l.kw = 3, l.per_channel = l.bias = 1;
            l.conv_attrs.strides[0] = 2;
            m = qg_model(4, x4, &l, 1, 1, 33);
            want = RUNT_OP_CONV;
        }
        plan_of(m, "qmock", 1, form == 3 ? 2 : 4, &v);
        /* Q, DQ (x), DQ (W) and the op: one node (+ Relu folded). */
        RT_ASSERT(v.n_nodes == 1 && v.node[0].op == want &&
                      v.node[0].epilogue.act == (l.relu ? RUNT_ACT_RELU : RUNT_ACT_NONE),
                  "QDQ form %d: %d nodes, first %s", form, v.n_nodes, runt_op_name(v.node[0].op));
        int64_t wn = l.conv ? 5 * 3 * 2 * 3 : 20 * 9, ch = l.conv ? 5 : 9;
        RT_ASSERT(v.node[0].cost.params == wn + (l.bias ? ch : 0) + (l.per_channel ? ch : 1) + 2,
                  "QDQ form %d: params %lld", form, (long long)v.node[0].cost.params);
        runt_model_free(m);
    }
}

RT_TEST(quant_patterns, qdq_layers_that_must_not_fold)
{
    qmock_register();
    int64_t x[2] = {4, 10};
    for (int bend = 0; bend < 3; bend++) {
        qg_layer l = linear(10, 7);
        const char *what;
        switch (bend) {
        case 0: l.dq_scale_differs = 1, what = "DequantizeLinear with another x scale"; break;
        case 1: l.per_channel = l.w_axis_wrong = 1, what = "weight scales along K"; break;
        default: l.w_zero_point = 2, what = "a weight zero point of 2"; break;
        }
        runt_model *m = qg_model(2, x, &l, 1, 1, 40 + (uint64_t)bend);
        plan_view v;
        plan_of(m, "qmock", 1, 4, &v);
        RT_ASSERT(v.n_nodes == model_nodes(m) && count_op(&v, RUNT_OP_MATMUL) == 1,
                  "%s: %d of %d nodes", what, v.n_nodes, model_nodes(m));
        runt_model_free(m);
    }
}
