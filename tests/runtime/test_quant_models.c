/*
 * Quantized ONNX models against onnxruntime: the fixtures of tests/data/quant
 * (onnxruntime 1.31.1's quantize_dynamic and quantize_static QDQ output, with
 * onnxruntime's own output for a saved input; scripts/make-quant-fixtures.py
 * writes them, MANIFEST.txt lists their nodes) load and reproduce
 * onnxruntime's output on the reference backend, which runs every node as
 * written, and on the CPU backend, where each quantized layer becomes one
 * int8-weight node (runtime/quant_patterns.c) unless options.fuse is off.
 *
 * Tolerance: one quantization step of the output (step.txt: the last
 * QuantizeLinear's scale for QDQ; one unit of the last layer's int32
 * accumulator, x_scale * w_scale, for quantize_dynamic). The reference
 * kernels do onnxruntime's float operations in its order, and the folded
 * layers do the replaced nodes' own operations on the same exact integers,
 * so outputs agree bit for bit where the operations round alike (measured:
 * 0 on every fixture, both backends, x86-64); a step is the smallest change
 * an output can show short of float rounding.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npy.h"
#include "rt_test.h"
#include "runt.h"
#include "test_util.h"

typedef struct quant_fixture {
    const char *name;
    int cpu_nodes;    /* planned nodes on cpu, with the quantized layers folded */
    int cpu_layers;   /* of them Gemm, MatMul or Conv: the folded layers         */
} quant_fixture;

/* Node counts from the graphs in MANIFEST.txt: a quantize_dynamic layer
 * (DynamicQuantizeLinear, scale Mul, MatMulInteger, Cast, Mul, Add, and a
 * bias Reshape for Conv) is one node, its Relu its epilogue. QDQ layers keep
 * the requantization of their outputs (QuantizeLinear -> DequantizeLinear
 * before each Add, Flatten and the output) and the DequantizeLinear of
 * biases; the Q/DQ pairs on layer inputs and the weight DequantizeLinear
 * fold in. mlp_dyn_u8 has uint8 weights (zero points 119 to 136), which the
 * u8 x s8 kernels cannot take: nothing folds. */
static const quant_fixture quant_fixtures[] = {
    {"mlp_dyn_s8", 2, 2},    /* Gemm+Relu, Gemm                              */
    {"mlp_dyn_s8_pc", 2, 2}, /* the same, per-channel weight scales          */
    {"mlp_dyn_u8", 13, 0},   /* as written                                   */
    {"mlp3d_dyn_s8", 3, 2},  /* MatMul, Relu, MatMul (3-D x: no epilogue)   */
    {"cnn_dyn_s8", 4, 3},    /* Conv+Relu, Conv+Relu, Flatten, Gemm          */
    {"mlp_qdq_s8", 12, 2},   /* DQ(b1) DQ(b2) Gemm Q DQ Add Gemm Q DQ Add Q DQ */
    {"mlp_qdq_u8", 12, 2},
    {"cnn_qdq_pc", 14, 3},   /* DQ(b1, b2, b3) Conv Conv Q DQ Flatten Gemm Q DQ Add Q DQ */
};
#define N_QUANT_FIXTURES ((int)(sizeof quant_fixtures / sizeof quant_fixtures[0]))

typedef struct loaded {
    runt_model *model;
    runt_tensor x, y;        /* input and onnxruntime's output (malloc'd data) */
    double step;
} loaded;

static const char *quant_dir(void)
{
    const char *data = getenv("RUNT_TEST_DATA");
    return data && *data ? data : NULL;
}

static void fixture_load(const quant_fixture *f, loaded *l)
{
    char path[512];
    const char *dir = quant_dir();
    memset(l, 0, sizeof *l);
    snprintf(path, sizeof path, "%s/quant/%s/model.onnx", dir, f->name);
    RT_ASSERT(runt_model_load_file(path, NULL, &l->model) == RUNT_OK, "%s: %s", f->name,
              runt_last_error());
    snprintf(path, sizeof path, "%s/quant/%s/input.npy", dir, f->name);
    RT_ASSERT(runt_npy_read(path, &l->x) == RUNT_OK, "%s", runt_last_error());
    snprintf(path, sizeof path, "%s/quant/%s/output.npy", dir, f->name);
    RT_ASSERT(runt_npy_read(path, &l->y) == RUNT_OK, "%s", runt_last_error());
    snprintf(path, sizeof path, "%s/quant/%s/step.txt", dir, f->name);
    FILE *fp = fopen(path, "r");
    RT_ASSERT(fp && fscanf(fp, "%lf", &l->step) == 1 && l->step > 0, "%s: no step", path);
    fclose(fp);
}

static void fixture_free(loaded *l)
{
    runt_model_free(l->model);
    free(l->x.data);
    free(l->y.data);
}

/* Runs the fixture on backend; returns max |runt - onnxruntime| and the
 * session's node count and Gemm/MatMul/Conv count. */
static double fixture_run(const loaded *l, const char *backend, int fuse, const char *name,
                          int *nodes, int *layers)
{
    runt_session_options o = runt_session_options_default();
    runt_session *s = NULL;
    runt_session_stats st;
    runt_tensor out;
    o.backend = backend;
    o.batch = l->x.dims[0];
    o.fuse = fuse;
    RT_ASSERT(runt_session_create(l->model, &o, &s) == RUNT_OK, "%s on %s: %s", name, backend,
              runt_last_error());
    RT_ASSERT(runt_session_output_desc(s, 0, &out) == RUNT_OK, "%s", runt_last_error());
    size_t n = (size_t)runt_tensor_count(&l->y);
    RT_ASSERT(out.dtype == RUNT_F32 && (size_t)runt_tensor_count(&out) == n && out.ndim == l->y.ndim,
              "%s on %s: output shape differs from onnxruntime's", name, backend);
    float *y = rt_guarded_alloc(n);
    out.data = y;
    RT_ASSERT(runt_session_run(s, &l->x, 1, &out, 1) == RUNT_OK, "%s on %s: run: %s", name,
              backend, runt_last_error());
    RT_ASSERT(rt_guard_intact(y, n), "%s on %s: wrote past the output", name, backend);
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)y[i] - (double)((const float *)l->y.data)[i]);
        worst = d > worst || d != d ? d : worst;
    }
    RT_ASSERT(runt_session_stats_get(s, &st) == RUNT_OK, "%s", runt_last_error());
    *nodes = st.n_nodes;
    *layers = 0;
    for (int i = 0; i < st.n_nodes; i++) {
        runt_node_info info;
        RT_ASSERT(runt_session_node(s, i, &info, NULL) == RUNT_OK, "%s", runt_last_error());
        *layers += info.op == RUNT_OP_GEMM || info.op == RUNT_OP_MATMUL || info.op == RUNT_OP_CONV;
    }
    rt_guarded_free(y);
    runt_session_free(s);
    return worst;
}

RT_TEST(quant_models, fixtures_match_onnxruntime_on_ref)
{
    if (!quant_dir()) {
        RT_SKIP("RUNT_TEST_DATA is not set (ctest sets it to tests/data)");
        return;
    }
    for (int f = 0; f < N_QUANT_FIXTURES; f++) {
        const quant_fixture *q = &quant_fixtures[f];
        loaded l;
        int nodes, layers, model_nodes;
        fixture_load(q, &l);
        double err = fixture_run(&l, "ref", 1, q->name, &nodes, &layers);
        RT_ASSERT(err <= l.step, "%s on ref: max |runt - onnxruntime| = %g, over one output "
                  "step %g", q->name, err, l.step);
        /* The reference backend runs the graph as written: nothing folds (no
         * MatMul here has a constant weight for fusion's MatMul + Add). */
        runt_model_counts(l.model, NULL, NULL, &model_nodes);
        RT_ASSERT(nodes == model_nodes, "%s on ref: %d nodes planned of %d", q->name, nodes,
                  model_nodes);
        fixture_free(&l);
    }
}

RT_TEST(quant_models, fixtures_match_onnxruntime_on_cpu_folded_and_not)
{
    if (!quant_dir()) {
        RT_SKIP("RUNT_TEST_DATA is not set (ctest sets it to tests/data)");
        return;
    }
    if (!rt_backend_available("cpu")) {
        RT_SKIP("the cpu backend is not in this build");
        return;
    }
    for (int f = 0; f < N_QUANT_FIXTURES; f++) {
        const quant_fixture *q = &quant_fixtures[f];
        loaded l;
        int nodes, layers, raw_nodes, raw_layers;
        fixture_load(q, &l);
        double err = fixture_run(&l, "cpu", 1, q->name, &nodes, &layers);
        RT_ASSERT(err <= l.step, "%s on cpu: max |runt - onnxruntime| = %g, over one output "
                  "step %g", q->name, err, l.step);
        RT_ASSERT(nodes == q->cpu_nodes && layers == q->cpu_layers,
                  "%s on cpu: %d nodes, %d Gemm/MatMul/Conv; expected %d and %d (quantized "
                  "layers folded)", q->name, nodes, layers, q->cpu_nodes, q->cpu_layers);
        /* fuse = 0: no folding; the graph runs as written on cpu too. */
        double raw = fixture_run(&l, "cpu", 0, q->name, &raw_nodes, &raw_layers);
        RT_ASSERT(raw <= l.step, "%s on cpu, unfused: max |runt - onnxruntime| = %g, over %g",
                  q->name, raw, l.step);
        int model_nodes;
        runt_model_counts(l.model, NULL, NULL, &model_nodes);
        RT_ASSERT(raw_nodes == model_nodes, "%s on cpu, unfused: %d nodes of %d", q->name,
                  raw_nodes, model_nodes);
        fixture_free(&l);
    }
}

/* The reference backend's plan keeps every node of a quantize_dynamic model
 * (it does not run int8-weight nodes), even with fusion on. */
RT_TEST(quant_models, reference_backend_runs_the_graph_as_written)
{
    if (!quant_dir()) {
        RT_SKIP("RUNT_TEST_DATA is not set (ctest sets it to tests/data)");
        return;
    }
    loaded l;
    int nodes, layers, model_nodes;
    fixture_load(&quant_fixtures[0], &l);
    fixture_run(&l, "ref", 1, quant_fixtures[0].name, &nodes, &layers);
    runt_model_counts(l.model, NULL, NULL, &model_nodes);
    /* Relu stays a node: no Gemm for fusion to fold it into. */
    RT_ASSERT(nodes == model_nodes && layers == 0, "ref: %d nodes (model %d), %d layers", nodes,
              model_nodes, layers);
    fixture_free(&l);
}
