/* Sessions end to end on the reference backend: results against double
 * precision, fusion, caller arenas, allocation discipline, every error path. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "runt.h"
#include "test_backend_options.h"
#include "test_util.h"

/* An MLP: in -> Linear -> act -> Linear -> act -> Linear, weights random. */
typedef struct mlp {
    int64_t widths[4];
    float *w[3], *b[3];
    runt_op act;
} mlp;

static mlp mlp_make(rt_rng *r, int64_t a, int64_t b, int64_t c, int64_t d, runt_op act)
{
    mlp m = {{a, b, c, d}, {0}, {0}, act};
    for (int l = 0; l < 3; l++) {
        size_t n = (size_t)(m.widths[l] * m.widths[l + 1]);
        m.w[l] = malloc(n * sizeof(float));
        m.b[l] = malloc((size_t)m.widths[l + 1] * sizeof(float));
        rt_fill_uniform(r, m.w[l], n, -0.5f, 0.5f);
        rt_fill_uniform(r, m.b[l], (size_t)m.widths[l + 1], -0.5f, 0.5f);
    }
    return m;
}

static void mlp_free(mlp *m)
{
    for (int l = 0; l < 3; l++) {
        free(m->w[l]);
        free(m->b[l]);
    }
}

static runt_model *mlp_model(const mlp *m, const runt_allocator *a, runt_status *status)
{
    runt_builder *b;
    runt_value_id x;
    int64_t dims[2] = {RUNT_DIM_BATCH, m->widths[0]};
    runt_status s = runt_builder_create(a, &b);
    if (s != RUNT_OK) {
        *status = s;
        return NULL;
    }
    s = runt_builder_input(b, "x", RUNT_F32, 2, dims, &x);
    for (int l = 0; l < 3 && s == RUNT_OK; l++) {
        s = runt_builder_linear(b, x, m->widths[l], m->widths[l + 1], m->w[l], m->b[l], &x);
        if (s == RUNT_OK && l < 2)
            s = runt_builder_unary(b, m->act, x, NULL, &x);
    }
    if (s == RUNT_OK)
        s = runt_builder_output(b, x, "y");
    runt_model *model = NULL;
    if (s == RUNT_OK)
        s = runt_builder_finish(b, &model);
    else
        runt_builder_free(b);
    *status = s;
    return model;
}

static double act_double(runt_op op, double x)
{
    switch (op) {
    case RUNT_OP_RELU: return x > 0 ? x : 0;
    case RUNT_OP_TANH: return tanh(x);
    case RUNT_OP_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case RUNT_OP_GELU: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    default: return x;
    }
}

static double *mlp_double(const mlp *m, const float *x, int64_t batch)
{
    double *cur = malloc(sizeof(double) * (size_t)(batch * m->widths[0]));
    for (int64_t i = 0; i < batch * m->widths[0]; i++)
        cur[i] = x[i];
    for (int l = 0; l < 3; l++) {
        int64_t in = m->widths[l], out = m->widths[l + 1];
        double *next = malloc(sizeof(double) * (size_t)(batch * out));
        for (int64_t r = 0; r < batch; r++)
            for (int64_t o = 0; o < out; o++) {
                double acc = m->b[l][o];
                for (int64_t k = 0; k < in; k++)
                    acc += cur[r * in + k] * (double)m->w[l][o * in + k];
                next[r * out + o] = l < 2 ? act_double(m->act, acc) : acc;
            }
        free(cur);
        cur = next;
    }
    return cur;
}

static runt_session *session_on(const runt_model *m, const char *backend, int64_t batch, int fuse)
{
    runt_session_options o = runt_session_options_default();
    o.backend = backend;
    o.batch = batch;
    o.fuse = fuse;
    runt_session *s = NULL;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "session: %s", runt_last_error());
    return s;
}

/* Runs a one-input one-output session; returns the guarded output. */
static float *run_once(runt_session *s, float *x, int64_t batch, int64_t in_w, int64_t out_w)
{
    int64_t xd[2] = {batch, in_w}, yd[2] = {batch, out_w};
    float *y = rt_guarded_alloc((size_t)(batch * out_w));
    runt_tensor tx = rt_tensor_f32(x, 2, xd), ty = rt_tensor_f32(y, 2, yd);
    RT_ASSERT(runt_session_run(s, &tx, 1, &ty, 1) == RUNT_OK, "run: %s", runt_last_error());
    RT_ASSERT(rt_guard_intact(y, (size_t)(batch * out_w)), "wrote past the output");
    return y;
}

RT_TEST(session, mlp_matches_double_for_every_activation)
{
    const runt_op acts[] = {RUNT_OP_RELU, RUNT_OP_TANH, RUNT_OP_SIGMOID, RUNT_OP_GELU};
    rt_rng r = rt_rng_make(1);
    for (int a = 0; a < 4; a++) {
        for (int fuse = 0; fuse < 2; fuse++) {
            int64_t batch = rt_rng_int(&r, 1, 7);
            mlp m = mlp_make(&r, rt_rng_int(&r, 1, 40), rt_rng_int(&r, 1, 40), 17, 3, acts[a]);
            runt_status st;
            runt_model *model = mlp_model(&m, NULL, &st);
            RT_ASSERT(model, "model: %s", runt_last_error());
            float *x = malloc(sizeof(float) * (size_t)(batch * m.widths[0]));
            rt_fill_uniform(&r, x, (size_t)(batch * m.widths[0]), -1, 1);
            runt_session *s = session_on(model, "ref", batch, fuse);
            float *y = run_once(s, x, batch, m.widths[0], 3);
            double *want = mlp_double(&m, x, batch);
            double err = rt_norm_max_error(y, want, (size_t)(batch * 3), 1e-3);
            /* f32 dot products of length <= 40 in three layers: a few ulps of the scale. */
            RT_ASSERT(err < 1e-5, "%s fuse=%d: normalized error %g", runt_op_name(acts[a]), fuse, err);
            runt_session_stats st2;
            RT_ASSERT(runt_session_stats_get(s, &st2) == RUNT_OK, "%s", runt_last_error());
            RT_ASSERT(st2.n_nodes == (fuse ? 3 : 5), "fusion folds the activations: %d nodes",
                      st2.n_nodes);
            RT_ASSERT(st2.arena_bytes <= st2.naive_arena_bytes, "planned %zu > naive %zu",
                      st2.arena_bytes, st2.naive_arena_bytes);
            free(want);
            rt_guarded_free(y);
            free(x);
            runt_session_free(s);
            runt_model_free(model);
            mlp_free(&m);
        }
    }
}

RT_TEST(session, fused_and_unfused_agree_bit_for_bit)
{
    rt_rng r = rt_rng_make(2);
    mlp m = mlp_make(&r, 33, 64, 31, 5, RUNT_OP_RELU);
    runt_status st;
    runt_model *model = mlp_model(&m, NULL, &st);
    RT_ASSERT(model, "%s", runt_last_error());
    float x[4 * 33];
    rt_fill_uniform(&r, x, 4 * 33, -2, 2);
    runt_session *a = session_on(model, "ref", 4, 0), *b = session_on(model, "ref", 4, 1);
    float *ya = run_once(a, x, 4, 33, 5), *yb = run_once(b, x, 4, 33, 5);
    /* The epilogue applies the same function to the same float: no rounding differs. */
    RT_ASSERT(memcmp(ya, yb, sizeof(float) * 4 * 5) == 0, "fusion changed the result");
    rt_guarded_free(ya);
    rt_guarded_free(yb);
    runt_session_free(a);
    runt_session_free(b);
    runt_model_free(model);
    mlp_free(&m);
}

RT_TEST(session, run_allocates_nothing)
{
    rt_rng r = rt_rng_make(3);
    mlp m = mlp_make(&r, 50, 20, 20, 4, RUNT_OP_TANH);
    rt_counting c = {0, 0, -1};
    runt_allocator a = {rt_counting_alloc, rt_counting_free, &c};
    runt_status st;
    runt_model *model = mlp_model(&m, &a, &st);
    RT_ASSERT(model, "%s", runt_last_error());
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    o.batch = 2;
    o.allocator = &a;
    o.profile = 1;
    runt_session *s;
    RT_ASSERT(runt_session_create(model, &o, &s) == RUNT_OK, "%s", runt_last_error());
    float x[2 * 50];
    rt_fill_uniform(&r, x, 100, -1, 1);
    long before = c.allocs;
    RT_ASSERT(before > 0, "the allocator is really used");
    for (int i = 0; i < 5; i++)
        rt_guarded_free(run_once(s, x, 2, 50, 4));
    RT_ASSERT(c.allocs == before, "runt_session_run allocated %ld times", c.allocs - before);
    double us = -2;
    runt_node_info info;
    RT_ASSERT(runt_session_node(s, 0, &info, &us) == RUNT_OK && us >= 0, "profiled time %g", us);
    runt_session_free(s);
    runt_model_free(model);
    RT_ASSERT(c.allocs == c.frees, "leak: %ld allocs, %ld frees", c.allocs, c.frees);
    mlp_free(&m);
}

RT_TEST(session, every_allocation_failure_is_clean)
{
    rt_rng r = rt_rng_make(4);
    mlp m = mlp_make(&r, 6, 5, 4, 3, RUNT_OP_RELU);
    int succeeded = 0;
    for (long k = 0; k < 10000 && !succeeded; k++) {
        rt_counting c = {0, 0, k};
        runt_allocator a = {rt_counting_alloc, rt_counting_free, &c};
        runt_status st;
        runt_model *model = mlp_model(&m, &a, &st);
        runt_session *s = NULL;
        if (model) {
            runt_session_options o = runt_session_options_default();
            o.backend = "ref";
            o.allocator = &a;
            st = runt_session_create(model, &o, &s);
        }
        if (st == RUNT_OK) {
            succeeded = 1;
        } else {
            RT_ASSERT(st == RUNT_E_OOM, "failing allocation %ld gave %s: %s", k, runt_status_name(st),
                      runt_last_error());
            RT_ASSERT(runt_last_error()[0], "failing allocation %ld left no message", k);
        }
        runt_session_free(s);
        runt_model_free(model);
        RT_ASSERT(c.allocs == c.frees, "failing allocation %ld leaked: %ld allocs, %ld frees", k,
                  c.allocs, c.frees);
    }
    RT_ASSERT(succeeded, "never succeeded");
    mlp_free(&m);
}

RT_TEST(session, caller_arena)
{
    rt_rng r = rt_rng_make(5);
    mlp m = mlp_make(&r, 8, 16, 16, 2, RUNT_OP_RELU);
    runt_status st;
    runt_model *model = mlp_model(&m, NULL, &st);
    RT_ASSERT(model, "%s", runt_last_error());
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    o.batch = 3;
    size_t need = 0;
    RT_ASSERT(runt_session_arena_size(model, &o, &need) == RUNT_OK && need > 0, "arena %zu", need);
    unsigned char *arena = aligned_alloc(64, (need + 64 + 63) / 64 * 64);
    runt_session *s = NULL;
    o.arena = arena;
    o.arena_size = need - 1;
    RT_ASSERT(runt_session_create(model, &o, &s) == RUNT_E_OOM, "too small arena");
    RT_ASSERT(strstr(runt_last_error(), "arena"), "%s", runt_last_error());
    o.arena = arena + 4;
    o.arena_size = need;
    RT_ASSERT(runt_session_create(model, &o, &s) == RUNT_E_INVALID_ARG, "misaligned arena");
    o.arena = arena;
    RT_ASSERT(runt_session_create(model, &o, &s) == RUNT_OK, "%s", runt_last_error());
    float x[3 * 8];
    rt_fill_uniform(&r, x, 24, -1, 1);
    float *y = run_once(s, x, 3, 8, 2);
    double *want = mlp_double(&m, x, 3);
    RT_ASSERT(rt_norm_max_error(y, want, 6, 1e-3) < 1e-5, "caller arena result");
    free(want);
    rt_guarded_free(y);
    runt_session_free(s);
    free(arena);
    runt_model_free(model);
    mlp_free(&m);
}

RT_TEST(session, bad_options_are_refused)
{
    rt_rng r = rt_rng_make(6);
    mlp m = mlp_make(&r, 4, 4, 4, 4, RUNT_OP_RELU);
    runt_status st;
    runt_model *model = mlp_model(&m, NULL, &st);
    RT_ASSERT(model, "%s", runt_last_error());
    runt_session *s = NULL;
    runt_session_options o = runt_session_options_default();
    RT_ASSERT(runt_session_create(NULL, &o, &s) == RUNT_E_INVALID_ARG, "NULL model");
    RT_ASSERT(runt_session_create(model, &o, NULL) == RUNT_E_INVALID_ARG, "NULL out");
    o.batch = 0;
    RT_ASSERT(runt_session_create(model, &o, &s) == RUNT_E_INVALID_ARG, "batch 0");
    o = runt_session_options_default();
    o.backend = "nonesuch";
    RT_ASSERT(runt_session_create(model, &o, &s) == RUNT_E_INVALID_ARG, "unknown backend");
    RT_ASSERT(strstr(runt_last_error(), "nonesuch") && strstr(runt_last_error(), "ref"),
              "names the backend and the known ones: %s", runt_last_error());
    o = runt_session_options_default();
    o.backend = "ref";
    o.compute_dtype = RUNT_I8;
    RT_ASSERT(runt_session_create(model, &o, &s) == RUNT_E_UNSUPPORTED, "int8 on ref");
    RT_ASSERT(strstr(runt_last_error(), "ref"), "%s", runt_last_error());
    o.compute_dtype = RUNT_I64;
    RT_ASSERT(runt_session_create(model, &o, &s) == RUNT_E_INVALID_ARG, "i64 compute");
    o = runt_session_options_default();
    o.threads = -1;
    RT_ASSERT(runt_session_create(model, &o, &s) == RUNT_E_INVALID_ARG, "threads -1");
    RT_ASSERT(s == NULL, "no session on failure");
    runt_model_free(model);
    mlp_free(&m);
}

RT_TEST(session, bad_run_arguments_are_refused)
{
    rt_rng r = rt_rng_make(7);
    mlp m = mlp_make(&r, 4, 4, 4, 2, RUNT_OP_RELU);
    runt_status st;
    runt_model *model = mlp_model(&m, NULL, &st);
    RT_ASSERT(model, "%s", runt_last_error());
    runt_session *s = session_on(model, "ref", 2, 1);
    float x[8], y[4];
    int64_t xd[2] = {2, 4}, yd[2] = {2, 2}, wrong[2] = {3, 4};
    runt_tensor tx = rt_tensor_f32(x, 2, xd), ty = rt_tensor_f32(y, 2, yd);
    rt_fill_uniform(&r, x, 8, -1, 1);
    RT_ASSERT(runt_session_run(NULL, &tx, 1, &ty, 1) == RUNT_E_INVALID_ARG, "NULL session");
    RT_ASSERT(runt_session_run(s, &tx, 2, &ty, 1) == RUNT_E_INVALID_ARG, "2 inputs");
    RT_ASSERT(runt_session_run(s, NULL, 1, &ty, 1) == RUNT_E_INVALID_ARG, "NULL inputs");
    runt_tensor bad = rt_tensor_f32(x, 2, wrong);
    RT_ASSERT(runt_session_run(s, &bad, 1, &ty, 1) == RUNT_E_SHAPE, "wrong shape");
    RT_ASSERT(strstr(runt_last_error(), "[3, 4]") && strstr(runt_last_error(), "[2, 4]"),
              "message shows both shapes: %s", runt_last_error());
    bad = tx;
    bad.data = NULL;
    RT_ASSERT(runt_session_run(s, &bad, 1, &ty, 1) == RUNT_E_INVALID_ARG, "NULL data");
    bad = tx;
    bad.dtype = RUNT_I8;
    RT_ASSERT(runt_session_run(s, &bad, 1, &ty, 1) == RUNT_E_INVALID_ARG, "wrong dtype");
    RT_ASSERT(strstr(runt_last_error(), "int8"), "%s", runt_last_error());
    bad = ty;
    bad.ndim = 1;
    RT_ASSERT(runt_session_run(s, &tx, 1, &bad, 1) == RUNT_E_SHAPE, "wrong output rank");
    RT_ASSERT(runt_session_run(s, &tx, 1, &ty, 1) == RUNT_OK, "a good run after bad ones: %s",
              runt_last_error());
    runt_tensor desc;
    RT_ASSERT(runt_session_output_desc(s, 0, &desc) == RUNT_OK && desc.dims[0] == 2 &&
                  desc.dims[1] == 2, "output desc");
    RT_ASSERT(runt_session_output_desc(s, 1, &desc) == RUNT_E_INVALID_ARG, "out of range");
    RT_ASSERT(runt_session_input_desc(NULL, 0, &desc) == RUNT_E_INVALID_ARG, "NULL session");
    runt_session_free(s);
    runt_model_free(model);
    mlp_free(&m);
}

RT_TEST(session, backends_are_listed)
{
    int n = 0;
    RT_ASSERT(runt_backend_count(&n) == RUNT_OK && n >= 1, "count %d", n);
    int found_ref = 0;
    for (int i = 0; i < n; i++) {
        runt_device_info d;
        RT_ASSERT(runt_backend_info(i, &d) == RUNT_OK, "%s", runt_last_error());
        RT_ASSERT(d.available || d.reason[0], "backend %s unavailable without a reason", d.backend);
        found_ref |= strcmp(d.backend, "ref") == 0 && d.available;
    }
    RT_ASSERT(found_ref, "the reference backend is always there");
    runt_device_info d;
    RT_ASSERT(runt_backend_info(n, &d) == RUNT_E_INVALID_ARG, "out of range");
    RT_ASSERT(runt_backend_count(NULL) == RUNT_E_INVALID_ARG, "NULL");
}

/* GELU in the Erf form PyTorch exports: x is read by two nodes (a DAG). */
RT_TEST(session, gelu_erf_form_dag)
{
    runt_builder *b;
    runt_value_id x, s2, half, one, d, e, a, m1, y;
    int64_t dims[3] = {RUNT_DIM_BATCH, 3, 7};
    float sqrt2 = 1.41421356f, c_half = 0.5f, c_one = 1.0f;
    RT_ASSERT(runt_builder_create(NULL, &b) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 3, dims, &x) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_constant(b, "sqrt2", RUNT_F32, 0, NULL, &sqrt2, &s2) == RUNT_OK, "%s",
              runt_last_error());
    RT_ASSERT(runt_builder_constant(b, "half", RUNT_F32, 0, NULL, &c_half, &half) == RUNT_OK, "%s",
              runt_last_error());
    RT_ASSERT(runt_builder_constant(b, "one", RUNT_F32, 0, NULL, &c_one, &one) == RUNT_OK, "%s",
              runt_last_error());
    runt_value_id in_div[2] = {x, s2}, in_add[2] = {0, one}, in_mul1[2] = {x, 0}, in_mul2[2] = {0, half};
    RT_ASSERT(runt_builder_node(b, RUNT_OP_DIV, "div", NULL, 2, in_div, 1, &d) == RUNT_OK, "%s",
              runt_last_error());
    RT_ASSERT(runt_builder_unary(b, RUNT_OP_ERF, d, NULL, &e) == RUNT_OK, "%s", runt_last_error());
    in_add[0] = e;
    RT_ASSERT(runt_builder_node(b, RUNT_OP_ADD, "add", NULL, 2, in_add, 1, &a) == RUNT_OK, "%s",
              runt_last_error());
    in_mul1[1] = a;
    RT_ASSERT(runt_builder_node(b, RUNT_OP_MUL, "mul", NULL, 2, in_mul1, 1, &m1) == RUNT_OK, "%s",
              runt_last_error());
    in_mul2[0] = m1;
    RT_ASSERT(runt_builder_node(b, RUNT_OP_MUL, "mul_half", NULL, 2, in_mul2, 1, &y) == RUNT_OK, "%s",
              runt_last_error());
    RT_ASSERT(runt_builder_output(b, y, "y") == RUNT_OK, "%s", runt_last_error());
    runt_model *m;
    RT_ASSERT(runt_builder_finish(b, &m) == RUNT_OK, "%s", runt_last_error());
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    o.batch = 2;
    runt_session *s;
    RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s", runt_last_error());
    rt_rng r = rt_rng_make(8);
    float in[42], out[42];
    double want[42];
    rt_fill_uniform(&r, in, 42, -3, 3);
    for (int i = 0; i < 42; i++)
        want[i] = 0.5 * in[i] * (1.0 + erf(in[i] / sqrt(2.0)));
    int64_t d3[3] = {2, 3, 7};
    runt_tensor tx = rt_tensor_f32(in, 3, d3), ty = rt_tensor_f32(out, 3, d3);
    RT_ASSERT(runt_session_run(s, &tx, 1, &ty, 1) == RUNT_OK, "%s", runt_last_error());
    /* erff and the f32 constant sqrt(2) each round once: a few ulps. */
    RT_ASSERT(rt_norm_max_error(out, want, 42, 1e-3) < 1e-6, "gelu dag error %g",
              rt_norm_max_error(out, want, 42, 1e-3));
    runt_session_stats st;
    RT_ASSERT(runt_session_stats_get(s, &st) == RUNT_OK && st.n_nodes == 5, "5 nodes");
    runt_session_free(s);
    runt_model_free(m);
}

/* An input with a zero-length axis: every intermediate is empty, so the plan
 * needs no arena at all. Each available backend (f32, and int8 where it has
 * it; fused and not) must run it and write nothing. */
RT_TEST(session, empty_tensors_run_on_every_backend)
{
    rt_rng r = rt_rng_make(5);
    float w[12], bias[3];
    rt_fill_uniform(&r, w, 12, -0.5f, 0.5f);
    rt_fill_uniform(&r, bias, 3, -0.5f, 0.5f);
    runt_builder *b;
    runt_value_id x;
    int64_t dims[2] = {0, 4};
    RT_ASSERT(runt_builder_create(NULL, &b) == RUNT_OK, "%s", runt_last_error());
    runt_status s = runt_builder_input(b, "x", RUNT_F32, 2, dims, &x);
    if (s == RUNT_OK)
        s = runt_builder_linear(b, x, 4, 3, w, bias, &x);
    if (s == RUNT_OK)
        s = runt_builder_unary(b, RUNT_OP_RELU, x, NULL, &x);
    if (s == RUNT_OK)
        s = runt_builder_output(b, x, "y");
    runt_model *m = NULL;
    RT_ASSERT(s == RUNT_OK && runt_builder_finish(b, &m) == RUNT_OK, "%s", runt_last_error());
    int n = 0;
    RT_ASSERT(runt_backend_count(&n) == RUNT_OK, "%s", runt_last_error());
    for (int i = 0; i < n; i++) {
        runt_device_info d;
        RT_ASSERT(runt_backend_info(i, &d) == RUNT_OK, "%s", runt_last_error());
        for (int mode = 0; mode < 4 && d.available; mode++) {
            int q8 = mode & 1;
            runt_session_options o = runt_session_options_default();
            o.backend = d.backend;
            o.fuse = mode >> 1; /* unfused, a Relu reads an empty product */
            o.compute_dtype = q8 ? RUNT_I8 : RUNT_F32;
            rt_backend_options bo = rt_backend_options_make();
            rt_backend_options_chain(&bo, &o);
            runt_session *sess = NULL;
            if (runt_session_create(m, &o, &sess) != RUNT_OK) {
                RT_ASSERT(q8, "%s: an empty f32 model is refused: %s", d.backend,
                          runt_last_error());
                continue; /* this backend has no int8 */
            }
            float xin[1], yout[1] = {42.0f};
            int64_t xd[2] = {0, 4}, yd[2] = {0, 3};
            runt_tensor tx = rt_tensor_f32(xin, 2, xd), ty = rt_tensor_f32(yout, 2, yd);
            RT_ASSERT(runt_session_run(sess, &tx, 1, &ty, 1) == RUNT_OK, "%s%s: %s", d.backend,
                      q8 ? " int8" : "", runt_last_error());
            RT_ASSERT(yout[0] == 42.0f, "%s: wrote into an empty output", d.backend);
            runt_session_free(sess);
        }
    }
    runt_model_free(m);
}
