/*
 * onnx_reader_fixtures.h — what the ONNX reader's tests (test_onnx_reader_*.c)
 * share: graph builders over onnx_messages.h, load helpers that expect
 * success or a given failure and message, a one-input run on the reference
 * backend, and the two-layer MLP (Gemm with transB → Relu → Gemm with alpha
 * and beta) with its double-precision reference, which several of them load
 * in different encodings.
 */
#ifndef RT_ONNX_READER_FIXTURES_H
#define RT_ONNX_READER_FIXTURES_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_messages.h"
#include "rt_test.h"
#include "runt.h"
#include "test_util.h"

#define NAMES(...) ((const char *const[]){__VA_ARGS__})

/* ------------------------------------------------------------------------- */
/* Building models                                                           */
/* ------------------------------------------------------------------------- */

static inline void add_node(pbw *g, const char *op, const char *name, int n_in,
                            const char *const *ins, int n_out, const char *const *outs,
                            int n_attrs, pbw *attrs)
{
    pbw nd = onnx_node(op, name, n_in, ins, n_out, outs, n_attrs, attrs);
    pbw_msg(g, ONNX_GRAPH_NODE, &nd);
}

static inline void add_init(pbw *g, pbw t)
{
    pbw_msg(g, ONNX_GRAPH_INITIALIZER, &t);
}

static inline void add_io(pbw *g, int field, const char *name, int ndim, const int64_t *dims)
{
    pbw vi = onnx_value_info(name, ONNX_FLOAT, ndim, dims);
    pbw_msg(g, (uint32_t)field, &vi);
}

static inline float *random_floats(rt_rng *r, int64_t n, float lo, float hi)
{
    float *p = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    rt_fill_uniform(r, p, (size_t)n, lo, hi);
    return p;
}

static inline runt_model *load_ok(const pbw *bytes, const runt_load_options *o)
{
    runt_model *m = NULL;
    runt_status s = runt_model_load_buffer(bytes->p, bytes->n, o, &m);
    RT_ASSERT(s == RUNT_OK && m, "load: %s: %s", runt_status_name(s), runt_last_error());
    return m;
}

/* Loads bytes expecting status want and a message holding each of the
 * strings in needles (NULL-terminated). */
static inline void load_fails(const pbw *bytes, const runt_load_options *o, runt_status want,
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
static inline float *run1(const runt_model *m, int64_t batch, float *x, size_t *n_out)
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

static inline void check_close(const float *got, const double *want, size_t n, const char *what)
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

static inline mlp mlp_make(rt_rng *r)
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

static inline void mlp_free(mlp *m)
{
    free(m->w1);
    free(m->b1);
    free(m->w2);
    free(m->b2);
}

/* extras 1: unknown fields of every wire type in every message; 2: the
 * initializers also listed as graph inputs, as IR version 3 required. */
static inline pbw mlp_bytes(const mlp *m, tensor_form form, int extras)
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

static inline double *mlp_reference(const mlp *m, const float *x, int64_t batch)
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

static inline pbw small_mlp_bytes(void)
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

#endif /* RT_ONNX_READER_FIXTURES_H */
