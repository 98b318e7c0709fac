/*
 * Quantized layers on the CPU backend: built node by node in onnxruntime's
 * forms (tests/runtime/quant_graphs.h), folded on cpu into int8-weight nodes
 * run by q8.h's kernels (weights packed as they are, runt_q8_weights_pack_s8;
 * activations quantized by runt_q8_quantize_u8 or, for QDQ, with the model's
 * own scale and zero point), and compared with the reference backend running
 * the same graphs node by node, on random shapes: depths 1, primes, powers of
 * two and beyond a kernel block; 1 to 9 rows; 3-D inputs; grouped, strided,
 * dilated and padded convolutions; per-tensor and per-channel scales.
 *
 * quantize_dynamic layers must agree bit for bit: the folded node forms the
 * same exact int32 sums and does the replaced Cast, Mul and Add in their
 * order (runt-backend.h, RUNT_QW_W_SCALE). QDQ layers agree to float
 * rounding: the reference's float MatMul sums rounded dequantized products,
 * the folded node sums exact integers. Bound QDQ_BOUND, normalized by the
 * largest output: each of the K dequantized operands carries one float
 * rounding (2^-24 relative), so the sums differ by about 2^-23 * sum |x w|,
 * and with these scales sum |x w| stays within ~30 times the largest output
 * (measured worst 2.0e-7 of it over these 24 cases); 1e-5 leaves a margin of 50.
 *
 * Also: allocation failure at every point of a folded session's prepare, no
 * allocation in its runs, and runt_q8_quantize_u8_with (QDQ activations)
 * against QuantizeLinear.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime/quant_graphs.h"
#include "cpu/q8.h"
#include "cpu_compare.h"

#define QDQ_BOUND 1e-5

/* Runs m with input x on backend; returns the output (malloc'd) and its
 * count, and the session's node count. */
static float *q_run(const runt_model *m, const char *backend, int64_t batch, int threads,
                    runt_dtype dtype, const float *x, size_t *n, int *nodes)
{
    runt_session_options o = runt_session_options_default();
    runt_session *s;
    runt_tensor in, out;
    runt_session_stats st;
    o.backend = backend;
    o.batch = batch;
    o.threads = threads;
    o.compute_dtype = dtype;
    QG_CHECK(runt_session_create(m, &o, &s));
    QG_CHECK(runt_session_input_desc(s, 0, &in));
    QG_CHECK(runt_session_output_desc(s, 0, &out));
    *n = (size_t)runt_tensor_count(&out);
    float *y = rt_guarded_alloc(*n);
    in.data = (void *)x;
    out.data = y;
    QG_CHECK(runt_session_run(s, &in, 1, &out, 1));
    RT_ASSERT(rt_guard_intact(y, *n), "%s wrote past the output", backend);
    QG_CHECK(runt_session_stats_get(s, &st));
    *nodes = st.n_nodes;
    runt_session_free(s);
    return y;
}

/* cpu (folded, 1 and 2 threads) against ref (as written). exact: bit for
 * bit; else the normalized error bound QDQ_BOUND. folded_nodes: the cpu
 * plan's node count. */
static void q_compare(const runt_model *m, int ndim, const int64_t *xdims, int exact,
                      int folded_nodes, uint64_t seed, const char *what)
{
    rt_rng r = rt_rng_make(seed);
    int64_t count = 1;
    for (int d = 0; d < ndim; d++)
        count *= xdims[d];
    float *x = malloc(sizeof *x * (size_t)count);
    rt_fill_uniform(&r, x, (size_t)count, -4.0f, 4.0f);
    size_t n_ref, n_cpu;
    int nodes_ref, nodes_cpu;
    float *want = q_run(m, "ref", xdims[0], 0, RUNT_F32, x, &n_ref, &nodes_ref);
    for (int threads = 1; threads <= 2; threads++) {
        float *got = q_run(m, "cpu", xdims[0], threads, RUNT_F32, x, &n_cpu, &nodes_cpu);
        RT_ASSERT(n_cpu == n_ref && nodes_cpu == folded_nodes,
                  "%s: cpu plans %d nodes (expected %d folded), ref %d", what, nodes_cpu,
                  folded_nodes, nodes_ref);
        if (exact) {
            for (size_t i = 0; i < n_ref; i++)
                RT_ASSERT(got[i] == want[i], "%s, %d threads: element %zu: cpu %.9g, ref %.9g "
                          "(must be bit-identical)", what, threads, i, (double)got[i],
                          (double)want[i]);
        } else {
            double *w = malloc(sizeof *w * n_ref);
            for (size_t i = 0; i < n_ref; i++)
                w[i] = want[i];
            double err = rt_norm_max_error(got, w, n_ref, 1e-6);
            RT_ASSERT(err <= QDQ_BOUND, "%s, %d threads: normalized error %.3g over %g", what,
                      threads, err, QDQ_BOUND);
            free(w);
        }
        rt_guarded_free(got);
    }
    rt_guarded_free(want);
    free(x);
}

RT_TEST(cpu_qmodels, dynamic_linear_layers_are_bit_exact)
{
    CPU_REQUIRE();
    static const int64_t depths[] = {1, 3, 17, 64, 97, 257, 1031};
    static const int64_t widths[] = {1, 5, 16, 33, 129};
    rt_rng r = rt_rng_make(100);
    for (int rep = 0; rep < 24; rep++) {
        qg_layer l[2];
        memset(l, 0, sizeof l);
        l[0].k = depths[rep % 7];
        l[0].n = widths[rt_rng_int(&r, 0, 4)];
        l[0].per_channel = rep % 2;
        l[0].bias = rep % 3 != 0;
        l[0].relu = rep % 4 < 2;
        l[1].k = l[0].n;
        l[1].n = widths[rt_rng_int(&r, 0, 4)];
        l[1].per_channel = !l[0].per_channel;
        l[1].bias = 1;
        l[1].bias_through_reshape = rep % 5 == 0;
        int layers = rep % 3 == 2 ? 2 : 1, three_d = rep % 6 == 5;
        int64_t batch = rt_rng_int(&r, 1, 9);
        int64_t x2[2] = {batch, l[0].k}, x3[3] = {batch, 3, l[0].k};
        runt_model *m = qg_model(three_d ? 3 : 2, three_d ? x3 : x2, l, layers, 0, 200 + (uint64_t)rep);
        /* One node per layer; a Relu after a 3-D (MatMul) layer stays a node. */
        int nodes = layers + (three_d && l[0].relu);
        char what[96];
        snprintf(what, sizeof what, "dynamic linear K=%lld N=%lld %s%s, %d layer(s)",
                 (long long)l[0].k, (long long)l[0].n, l[0].per_channel ? "per channel" : "per tensor",
                 three_d ? ", 3-D x" : "", layers);
        q_compare(m, three_d ? 3 : 2, three_d ? x3 : x2, 1, nodes, 300 + (uint64_t)rep, what);
        runt_model_free(m);
    }
}

static qg_layer random_conv(rt_rng *r)
{
    qg_layer l;
    memset(&l, 0, sizeof l);
    l.conv = 1;
    int group = (int)rt_rng_int(r, 1, 3);
    l.conv_attrs.group = group;
    l.c = group * rt_rng_int(r, 1, 4);
    l.m = group * rt_rng_int(r, 1, 5);
    l.kh = rt_rng_int(r, 1, 3);
    l.kw = rt_rng_int(r, 1, 3);
    for (int i = 0; i < 2; i++) {
        l.conv_attrs.strides[i] = (int)rt_rng_int(r, 1, 2);
        l.conv_attrs.dilations[i] = (int)rt_rng_int(r, 1, 2);
    }
    for (int i = 0; i < 4; i++)
        l.conv_attrs.pads[i] = (int)rt_rng_int(r, 0, 1);
    l.per_channel = (int)rt_rng_int(r, 0, 1);
    l.bias = (int)rt_rng_int(r, 0, 1);
    l.relu = (int)rt_rng_int(r, 0, 1);
    return l;
}

RT_TEST(cpu_qmodels, dynamic_conv_layers_are_bit_exact)
{
    CPU_REQUIRE();
    rt_rng r = rt_rng_make(101);
    for (int rep = 0; rep < 20; rep++) {
        qg_layer l = random_conv(&r);
        int64_t x[4] = {rt_rng_int(&r, 1, 3), l.c, rt_rng_int(&r, 5, 11), rt_rng_int(&r, 5, 11)};
        runt_model *m = qg_model(4, x, &l, 1, 0, 400 + (uint64_t)rep);
        char what[96];
        snprintf(what, sizeof what, "dynamic conv C=%lld M=%lld %lldx%lld group %d",
                 (long long)l.c, (long long)l.m, (long long)l.kh, (long long)l.kw,
                 l.conv_attrs.group);
        q_compare(m, 4, x, 1, 1, 500 + (uint64_t)rep, what);
        runt_model_free(m);
    }
}

RT_TEST(cpu_qmodels, qdq_layers_agree_to_float_rounding)
{
    CPU_REQUIRE();
    static const int64_t depths[] = {1, 7, 64, 101, 300};
    rt_rng r = rt_rng_make(102);
    for (int rep = 0; rep < 24; rep++) {
        qg_layer l;
        memset(&l, 0, sizeof l);
        int form = rep % 3;
        int64_t x2[2], x4[4];
        runt_model *m;
        if (form < 2) {
            l.k = depths[rep % 5];
            l.n = rt_rng_int(&r, 1, 40);
            l.gemm_trans_b = form == 1;
            l.bias = form == 1 && rep % 2;
            l.per_channel = rep % 2;
            l.relu = rep % 4 == 0;
            l.x_dtype = rep % 5 < 2 ? RUNT_U8 : RUNT_I8;
            x2[0] = rt_rng_int(&r, 1, 9), x2[1] = l.k;
            m = qg_model(2, x2, &l, 1, 1, 600 + (uint64_t)rep);
        } else {
            l = random_conv(&r);
            l.x_dtype = rep % 2 ? RUNT_U8 : RUNT_I8;
            x4[0] = rt_rng_int(&r, 1, 2), x4[1] = l.c;
            x4[2] = rt_rng_int(&r, 4, 9), x4[3] = rt_rng_int(&r, 4, 9);
            m = qg_model(4, x4, &l, 1, 1, 600 + (uint64_t)rep);
        }
        char what[96];
        snprintf(what, sizeof what, "QDQ %s, %s activations, %s weights",
                 form == 0 ? "MatMul" : form == 1 ? "Gemm transB" : "Conv",
                 l.x_dtype == RUNT_U8 ? "uint8" : "int8", l.per_channel ? "per-channel" : "per-tensor");
        q_compare(m, form < 2 ? 2 : 4, form < 2 ? x2 : x4, 0, 1, 700 + (uint64_t)rep, what);
        runt_model_free(m);
    }
}

/* compute_dtype int8 quantizes the float layers a model has left; a
 * quantized model's own layers are folded either way, with the same bits. */
RT_TEST(cpu_qmodels, int8_compute_dtype_leaves_quantized_layers_as_they_are)
{
    CPU_REQUIRE();
    qg_layer l[2];
    memset(l, 0, sizeof l);
    l[0].k = 50, l[0].n = 30, l[0].bias = l[0].relu = 1;
    l[1].k = 30, l[1].n = 7, l[1].bias = 1;
    int64_t x[2] = {3, 50};
    runt_model *m = qg_model(2, x, l, 2, 0, 800);
    rt_rng r = rt_rng_make(801);
    float in[150];
    rt_fill_uniform(&r, in, 150, -2.0f, 2.0f);
    size_t n1, n2;
    int nodes1, nodes2;
    float *a = q_run(m, "cpu", 3, 0, RUNT_F32, in, &n1, &nodes1);
    float *b = q_run(m, "cpu", 3, 0, RUNT_I8, in, &n2, &nodes2);
    RT_ASSERT(n1 == n2 && nodes1 == 2 && nodes2 == 2, "nodes %d and %d", nodes1, nodes2);
    for (size_t i = 0; i < n1; i++)
        RT_ASSERT(a[i] == b[i], "element %zu: f32 session %.9g, int8 session %.9g", i,
                  (double)a[i], (double)b[i]);
    rt_guarded_free(a);
    rt_guarded_free(b);
    runt_model_free(m);
}

/* Folded layers' prepare (scales, packed weights, scratch) fails cleanly at
 * every allocation, and a run allocates nothing. */
RT_TEST(cpu_qmodels, folded_sessions_fail_cleanly_and_runs_allocate_nothing)
{
    CPU_REQUIRE();
    qg_layer l;
    memset(&l, 0, sizeof l);
    l.conv = 1, l.c = 4, l.m = 6, l.kh = l.kw = 3, l.bias = l.relu = l.per_channel = 1;
    l.conv_attrs.group = 2;
    int64_t x[4] = {2, 4, 7, 7};
    runt_model *m = qg_model(4, x, &l, 1, 0, 900);
    int succeeded = 0;
    long k = 0;
    for (; k < 1000 && !succeeded; k++) {
        rt_counting c = {0, 0, k};
        runt_allocator a = {rt_counting_alloc, rt_counting_free, &c};
        runt_session_options o = runt_session_options_default();
        o.backend = "cpu";
        o.batch = 2;
        o.allocator = &a;
        runt_session *s = NULL;
        runt_status st = runt_session_create(m, &o, &s);
        if (st == RUNT_OK) {
            succeeded = 1;
            runt_tensor in, out;
            QG_CHECK(runt_session_input_desc(s, 0, &in));
            QG_CHECK(runt_session_output_desc(s, 0, &out));
            float *xd = malloc(sizeof(float) * (size_t)runt_tensor_count(&in));
            float *yd = malloc(sizeof(float) * (size_t)runt_tensor_count(&out));
            rt_rng r = rt_rng_make(901);
            rt_fill_uniform(&r, xd, (size_t)runt_tensor_count(&in), -1.0f, 1.0f);
            in.data = xd, out.data = yd;
            long before = c.allocs;
            for (int i = 0; i < 3; i++)
                QG_CHECK(runt_session_run(s, &in, 1, &out, 1));
            RT_ASSERT(c.allocs == before, "a run allocated %ld times", c.allocs - before);
            free(xd), free(yd);
        } else {
            RT_ASSERT(st == RUNT_E_OOM && runt_last_error()[0],
                      "failing allocation %ld gave %s: '%s'", k, runt_status_name(st),
                      runt_last_error());
        }
        runt_session_free(s);
        RT_ASSERT(c.allocs == c.frees, "failing allocation %ld leaked: %ld allocs, %ld frees", k,
                  c.allocs, c.frees);
    }
    RT_ASSERT(succeeded && k > 5, "succeeded %d after %ld tries", succeeded, k);
    runt_model_free(m);
}

/* runt_q8_quantize_u8_with is QuantizeLinear to uint8, and with zero point
 * z + 128 it is QuantizeLinear to int8 plus 128 (how QDQ's int8 activations
 * reach the u8 x s8 kernels). */
RT_TEST(cpu_qmodels, quantize_with_a_given_scale_is_quantize_linear)
{
    rt_rng r = rt_rng_make(902);
    float x[301];
    uint8_t q[301];
    rt_fill_uniform(&r, x, 301, -60.0f, 60.0f);
    x[0] = 2.5f, x[1] = -3.5f, x[2] = INFINITY, x[3] = -INFINITY;
    for (int rep = 0; rep < 8; rep++) {
        float scale = rep < 2 ? 1.0f : (float)rt_rng_uniform(&r, 0.05, 0.5);
        int s8 = rep % 2;
        int zp = s8 ? (int)rt_rng_int(&r, -128, 127) : (int)rt_rng_int(&r, 0, 255);
        QG_CHECK(runt_q8_quantize_u8_with(x, 301, scale, (uint8_t)(s8 ? zp + 128 : zp), q));
        for (int i = 0; i < 301; i++) {
            double v = (double)(float)((double)x[i] / scale);
            double want = rint(v) + zp;
            double lo = s8 ? -128 : 0, hi = s8 ? 127 : 255;
            want = want < lo ? lo : want > hi ? hi : want;
            RT_ASSERT(q[i] == (int)want + (s8 ? 128 : 0), "%s zp %d x=%.9g scale %.9g: %d, spec %g",
                      s8 ? "int8" : "uint8", zp, (double)x[i], (double)scale, q[i], want);
        }
    }
    RT_ASSERT(runt_q8_quantize_u8_with(x, 3, 0.0f, 0, q) == RUNT_E_INVALID_ARG &&
                  strstr(runt_last_error(), "non-zero"), "zero scale: '%s'", runt_last_error());
    RT_ASSERT(runt_q8_quantize_u8_with(x, 3, NAN, 0, q) == RUNT_E_INVALID_ARG, "NaN scale");
    RT_ASSERT(runt_q8_quantize_u8_with(NULL, 3, 1.0f, 0, q) == RUNT_E_INVALID_ARG, "NULL x");
    RT_ASSERT(runt_q8_quantize_u8_with(x, -1, 1.0f, 0, q) == RUNT_E_INVALID_ARG, "count -1");
}
