#define _POSIX_C_SOURCE 200809L
/* bench/peers/peer.py against runt: a model with the ops whose ONNX
 * semantics are easy to get wrong (asymmetric pads, ceil_mode,
 * count_include_pad, auto_pad with dilations, groups, a negative Pad, Gelu's
 * decomposition, layer norm) is saved with runt_model_save_onnx and run by
 * ONNX Runtime and by the PyTorch module interpreted from the file; both must
 * give the reference backend's output. Needs python3 with numpy and at least
 * one of onnxruntime or torch (+ onnx); skips otherwise. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "npy.h"
#include "peers.h"
#include "rt_test.h"
#include "runt.h"
#include "test_util.h"

#define OK(call) RT_ASSERT((call) == RUNT_OK, "%s: %s", #call, runt_last_error())

typedef struct pool {
    rt_rng rng;
    float *bufs[32];
    int n;
} pool;

static const float *rnd(pool *p, size_t n, float lo, float hi)
{
    RT_ASSERT(p->n < 32, "pool full");
    float *w = malloc(n * sizeof *w);
    RT_ASSERT(w != NULL, "malloc");
    rt_fill_uniform(&p->rng, w, n, lo, hi);
    return p->bufs[p->n++] = w;
}

static runt_value_id cnst(runt_builder *b, pool *p, int ndim, const int64_t *dims, float lo, float hi)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= (size_t)dims[i];
    runt_value_id v;
    OK(runt_builder_constant(b, NULL, RUNT_F32, ndim, dims, rnd(p, n, lo, hi), &v));
    return v;
}

/* image [N, 3, 13, 11]
 *  -> conv 3x3, pads (1, 0, 2, 1), strides (1, 2)     [N, 4, 14, 5]
 *  -> batch norm -> relu
 *  -> maxpool 2x2/2, ceil_mode                          [N, 4, 7, 3]
 *  -> pad: one row after, one column cropped before
 *     and one added after, value -0.5                   [N, 4, 8, 3]
 *  -> conv 3x3, 2 groups, dilations (2, 1), SAME_UPPER  [N, 6, 8, 3]
 *  -> gelu
 *  -> avgpool 3x3/1, pads 1, count_include_pad 0        [N, 6, 8, 3]
 *  -> avgpool 2x2/2, pads (0, 0, 0, 1), count_include_pad 1
 *                                                       [N, 6, 4, 2]
 *  -> reshape [0, 6, -1]                                [N, 6, 8]
 *  -> layer norm (last axis) -> flatten                 [N, 48]
 *  -> linear 48 -> 5 -> tanh-gelu -> softmax            [N, 5] */
static runt_model *tricky_model(pool *p)
{
    runt_builder *b;
    runt_value_id x, v[5];
    int64_t xd[4] = {RUNT_DIM_BATCH, 3, 13, 11}, ch4[1] = {4}, w8[1] = {8};
    OK(runt_builder_create(NULL, &b));
    OK(runt_builder_input(b, "image", RUNT_F32, 4, xd, &x));
    runt_attrs a;
    runt_attrs_default(RUNT_OP_CONV, &a);
    a.conv.pads[0] = 1, a.conv.pads[1] = 0, a.conv.pads[2] = 2, a.conv.pads[3] = 1;
    a.conv.strides[1] = 2;
    OK(runt_builder_conv2d(b, x, 3, 4, 3, 3, &a.conv, rnd(p, 4 * 3 * 9, -0.5f, 0.5f),
                           rnd(p, 4, -0.5f, 0.5f), &x));
    runt_attrs_default(RUNT_OP_BATCH_NORM, &a);
    v[0] = x;
    v[1] = cnst(b, p, 1, ch4, 0.5f, 1.5f);
    v[2] = cnst(b, p, 1, ch4, -0.5f, 0.5f);
    v[3] = cnst(b, p, 1, ch4, -0.5f, 0.5f);
    v[4] = cnst(b, p, 1, ch4, 0.5f, 2.0f);
    OK(runt_builder_node(b, RUNT_OP_BATCH_NORM, "bn", &a, 5, v, 1, &x));
    OK(runt_builder_unary(b, RUNT_OP_RELU, x, NULL, &x));
    runt_attrs_default(RUNT_OP_MAX_POOL, &a);
    a.pool.kernel[0] = a.pool.kernel[1] = 2;
    a.pool.strides[0] = a.pool.strides[1] = 2;
    a.pool.ceil_mode = 1;
    OK(runt_builder_unary(b, RUNT_OP_MAX_POOL, x, &a, &x));
    runt_attrs_default(RUNT_OP_PAD, &a);
    a.pad.ndim = 4;
    const int64_t pads[8] = {0, 0, 0, -1, 0, 0, 1, 1};
    memcpy(a.pad.pads, pads, sizeof pads);
    a.pad.value = -0.5f;
    OK(runt_builder_unary(b, RUNT_OP_PAD, x, &a, &x));
    runt_attrs_default(RUNT_OP_CONV, &a);
    a.conv.group = 2;
    a.conv.dilations[0] = 2;
    a.conv.auto_pad = RUNT_PAD_SAME_UPPER;
    OK(runt_builder_conv2d(b, x, 4, 6, 3, 3, &a.conv, rnd(p, 6 * 2 * 9, -0.5f, 0.5f), NULL, &x));
    OK(runt_builder_unary(b, RUNT_OP_GELU, x, NULL, &x));
    runt_attrs_default(RUNT_OP_AVERAGE_POOL, &a);
    a.pool.kernel[0] = a.pool.kernel[1] = 3;
    a.pool.pads[0] = a.pool.pads[1] = a.pool.pads[2] = a.pool.pads[3] = 1;
    OK(runt_builder_unary(b, RUNT_OP_AVERAGE_POOL, x, &a, &x));
    runt_attrs_default(RUNT_OP_AVERAGE_POOL, &a);
    a.pool.kernel[0] = a.pool.kernel[1] = 2;
    a.pool.strides[0] = a.pool.strides[1] = 2;
    a.pool.pads[3] = 1;
    a.pool.count_include_pad = 1;
    OK(runt_builder_unary(b, RUNT_OP_AVERAGE_POOL, x, &a, &x));
    runt_attrs_default(RUNT_OP_RESHAPE, &a);
    a.reshape.ndim = 3;
    a.reshape.shape[0] = 0, a.reshape.shape[1] = 6, a.reshape.shape[2] = -1;
    OK(runt_builder_unary(b, RUNT_OP_RESHAPE, x, &a, &x));
    runt_attrs_default(RUNT_OP_LAYER_NORM, &a);
    runt_value_id ln[3] = {x, cnst(b, p, 1, w8, 0.5f, 1.5f), cnst(b, p, 1, w8, -0.5f, 0.5f)};
    OK(runt_builder_node(b, RUNT_OP_LAYER_NORM, "ln", &a, 3, ln, 1, &x));
    OK(runt_builder_unary(b, RUNT_OP_FLATTEN, x, NULL, &x));
    OK(runt_builder_linear(b, x, 48, 5, rnd(p, 48 * 5, -0.5f, 0.5f), rnd(p, 5, -0.5f, 0.5f), &x));
    runt_attrs_default(RUNT_OP_GELU, &a);
    a.gelu.approximate_tanh = 1;
    OK(runt_builder_unary(b, RUNT_OP_GELU, x, &a, &x));
    OK(runt_builder_unary(b, RUNT_OP_SOFTMAX, x, NULL, &x));
    OK(runt_builder_output(b, x, "probs"));
    runt_model *m = NULL;
    OK(runt_builder_finish(b, &m));
    return m;
}

static int python_has(const char *module)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "python3 -c 'import %s' >/dev/null 2>&1", module);
    return system(cmd) == 0;
}

typedef struct tmp_dir {
    char path[64];
    char files[6][128];
    int n;
} tmp_dir;

static const char *tmp_file(tmp_dir *t, const char *name)
{
    char buf[sizeof t->files[0]];
    RT_ASSERT(t->n < 6, "too many files");
    snprintf(buf, sizeof buf, "%s/%s", t->path, name);
    return strcpy(t->files[t->n++], buf);
}

static void tmp_clean(tmp_dir *t)
{
    for (int i = 0; i < t->n; i++)
        remove(t->files[i]);
    rmdir(t->path);
}

RT_TEST(peers, torch_and_onnxruntime_compute_what_runt_computes)
{
    if (!python_has("numpy"))
        RT_SKIP("python3 with numpy is not available, so peer.py cannot run");
    int has_ort = python_has("onnxruntime"), has_torch = python_has("torch") && python_has("onnx");
    if (!has_ort && !has_torch)
        RT_SKIP("neither onnxruntime nor torch with onnx is installed for python3");
    pool p = {rt_rng_make(21), {0}, 0};
    runt_model *m = tricky_model(&p);
    tmp_dir t = {.n = 0};
    strcpy(t.path, "/tmp/runt-peers-test-XXXXXX");
    RT_ASSERT(mkdtemp(t.path) != NULL, "mkdtemp");
    const char *model = tmp_file(&t, "m.onnx"), *in_path = tmp_file(&t, "x.npy");
    OK(runt_model_save_onnx(m, model));

    /* runt's answer on the reference backend, batch 2 */
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    o.batch = 2;
    runt_session *s;
    OK(runt_session_create(m, &o, &s));
    runt_tensor in, out;
    OK(runt_session_input_desc(s, 0, &in));
    OK(runt_session_output_desc(s, 0, &out));
    size_t n_in = (size_t)runt_tensor_count(&in), n_out = (size_t)runt_tensor_count(&out);
    in.data = malloc(n_in * sizeof(float));
    out.data = rt_guarded_alloc(n_out);
    rt_fill_uniform(&p.rng, in.data, n_in, -2.0f, 2.0f);
    OK(runt_session_run(s, &in, 1, &out, 1));
    RT_ASSERT(rt_guard_intact(out.data, n_out), "runt wrote past the output");
    OK(runt_npy_write(in_path, &in));

    char prefix[96], cmd[1024];
    snprintf(prefix, sizeof prefix, "%s/y", t.path);
    snprintf(cmd, sizeof cmd, "python3 %s --model %s --input-shape 2,3,13,11 --run-npy %s "
             "--save-prefix %s > %s/answer.json", runt_peer_script(), model, in_path, prefix,
             t.path);
    RT_ASSERT(system(cmd) == 0, "peer.py failed: %s", cmd);
    const char *answer = tmp_file(&t, "answer.json");
    FILE *f = fopen(answer, "r");
    char line[2048] = "";
    RT_ASSERT(f && fgets(line, sizeof line, f), "peer.py printed nothing");
    fclose(f);
    RT_ASSERT(!strstr(line, "\"agreement\""), "torch and onnxruntime disagree: %s", line);

    double *want = malloc(n_out * sizeof(double));
    for (size_t i = 0; i < n_out; i++)
        want[i] = ((float *)out.data)[i];
    const char *peers[2] = {"onnxruntime", "torch"};
    int has[2] = {has_ort, has_torch};
    for (int k = 0; k < 2; k++) {
        char name[32];
        snprintf(name, sizeof name, "y.%s.npy", peers[k]);
        const char *path = tmp_file(&t, name);
        if (!has[k])
            continue;
        runt_tensor y;
        RT_ASSERT(runt_npy_read(path, &y) == RUNT_OK, "%s left no output (%s): %s", peers[k],
                  runt_last_error(), line);
        RT_ASSERT(runt_tensor_count(&y) == (int64_t)n_out, "%s: %lld outputs, runt has %zu", peers[k],
                  (long long)runt_tensor_count(&y), n_out);
        /* f32 kernels summing in other orders, and Gelu's decomposition */
        double err = rt_norm_max_error(y.data, want, n_out, 1e-6);
        RT_ASSERT(err < 1e-4, "%s differs from runt's reference backend: normalized error %.3g",
                  peers[k], err);
        free(y.data);
    }
    free(want);
    free(in.data);
    rt_guarded_free(out.data);
    runt_session_free(s);
    runt_model_free(m);
    for (int i = 0; i < p.n; i++)
        free(p.bufs[i]);
    tmp_clean(&t);
}

RT_TEST(peers, timing_answer_is_one_json_line)
{
    if (!python_has("numpy"))
        RT_SKIP("python3 with numpy is not available, so peer.py cannot run");
    pool p = {rt_rng_make(22), {0}, 0};
    runt_builder *b;
    runt_value_id x;
    int64_t xd[2] = {RUNT_DIM_BATCH, 32};
    OK(runt_builder_create(NULL, &b));
    OK(runt_builder_input(b, "x", RUNT_F32, 2, xd, &x));
    OK(runt_builder_linear(b, x, 32, 8, rnd(&p, 32 * 8, -0.5f, 0.5f), rnd(&p, 8, -0.5f, 0.5f), &x));
    OK(runt_builder_output(b, x, "y"));
    runt_model *m;
    OK(runt_builder_finish(b, &m));
    tmp_dir t = {.n = 0};
    strcpy(t.path, "/tmp/runt-peers-test-XXXXXX");
    RT_ASSERT(mkdtemp(t.path) != NULL, "mkdtemp");
    const char *model = tmp_file(&t, "m.onnx");
    OK(runt_model_save_onnx(m, model));
    int64_t dims[2] = {3, 32};
    runt_tensor in = {.dtype = RUNT_F32, .ndim = 2, .dims = {dims[0], dims[1]}};
    runt_peer_result r;
    OK(runt_peer_run(model, &in, "cpu", 1, 0.01, 3, &r));
    RT_ASSERT(r.torch_version[0] || r.error[0], "torch is null without a reason");
    RT_ASSERT(r.ort_version[0] || r.error[0], "onnxruntime is null without a reason");
    if (r.torch_version[0])
        RT_ASSERT(r.torch_us > 0 && isfinite(r.torch_us), "torch_us %g", r.torch_us);
    if (r.ort_version[0])
        RT_ASSERT(r.ort_us > 0 && isfinite(r.ort_us), "onnxruntime_us %g", r.ort_us);
    runt_model_free(m);
    for (int i = 0; i < p.n; i++)
        free(p.bufs[i]);
    tmp_clean(&t);
}
