/*
 * A backend of your own, registered at run time with the public headers
 * only (runt.h, runt-backend.h): "f64acc" runs Linear layers (Gemm with a
 * constant weight, a bias row, ReLU or no activation) with the weights
 * converted to double once per model and sums accumulated in double.
 * It shows the three things prepare can ask of the core:
 *   - converted weights shared by every session of the model
 *     (runt_plan_weights_acquire, released at release);
 *   - per-run scratch in the session arena (scratch_size: one row of double
 *     accumulators), so a caller arena bounds every per-run byte;
 *   - refusing a node it cannot run, with a message naming it.
 * It then runs a two-layer MLP on it and on "ref", and tries MODEL.onnx,
 * which it refuses unless every node is such a Linear.
 *   custom_backend MODEL.onnx
 */

#include "example_util.h"
#include "runt-backend.h"

/* What prepare makes for one session. */
typedef struct f64_state {
    int n_nodes;
    const double **weights; /* per node: its weight as double, [N][K] */
    size_t scratch;         /* the widest layer's row of accumulators */
    size_t weight_bytes;
} f64_state;

/* A Linear as the core plans it: Y[M,N] = X[M,K] W[N,K]^T + bias[N]. */
static runt_status f64_supports_node(void *context, const runt_plan *plan, int i)
{
    (void)context;
    const runt_plan_node *n = &plan->nodes[i];
    const runt_plan_value *w = runt_plan_node_input(plan, i, 1);
    const runt_plan_value *c = runt_plan_node_input(plan, i, 2);
    if (n->op != RUNT_OP_GEMM)
        return runt_error_set(RUNT_E_UNSUPPORTED, "f64acc runs Linear layers only, not %s",
                              runt_op_name(n->op));
    const runt_gemm_attrs *g = &n->attrs.gemm;
    if (g->trans_a || !g->trans_b || !w || w->storage != RUNT_STORE_CONSTANT ||
        w->desc.dtype != RUNT_F32 || g->alpha != 1.0f || g->beta != 1.0f)
        return runt_error_set(RUNT_E_UNSUPPORTED, "f64acc: Gemm '%s' is not a plain Linear "
                              "(a constant f32 weight [out, in], alpha = beta = 1)", n->name);
    if (c && runt_tensor_count(&c->desc) != w->desc.dims[0])
        return runt_error_set(RUNT_E_UNSUPPORTED, "f64acc: Gemm '%s' has a bias that is not "
                              "one value per output", n->name);
    if (g->epilogue.act != RUNT_ACT_NONE && g->epilogue.act != RUNT_ACT_RELU)
        return runt_error_set(RUNT_E_UNSUPPORTED, "f64acc: Gemm '%s' ends in an activation "
                              "other than ReLU", n->name);
    return RUNT_OK;
}

static runt_status to_double(void *ctx, void *dst, size_t bytes)
{
    const float *w = ctx;
    for (size_t i = 0; i < bytes / sizeof(double); i++)
        ((double *)dst)[i] = w[i];
    return RUNT_OK;
}

static void f64_release(void *state, const runt_plan *plan)
{
    f64_state *st = state;
    for (int i = 0; i < st->n_nodes; i++)
        runt_plan_weights_release(plan, st->weights[i]);
    free(st->weights);
    free(st);
}

static runt_status f64_prepare(void *context, const runt_plan *plan,
                               const runt_session_options *o, void **state)
{
    (void)context, (void)o;
    f64_state *st = calloc(1, sizeof *st);
    if (st)
        st->weights = calloc((size_t)plan->n_nodes + 1, sizeof *st->weights);
    if (!st || !st->weights) {
        free(st);
        return runt_error_set(RUNT_E_OOM, "f64acc: out of memory");
    }
    st->n_nodes = plan->n_nodes;
    for (int i = 0; i < plan->n_nodes; i++) {
        const runt_plan_value *w = runt_plan_node_input(plan, i, 1);
        int64_t n = w->desc.dims[0], k = w->desc.dims[1];
        runt_weight_key key = {w->data, "f64acc", 1, {n, k}};
        const void *made;
        runt_status s = runt_plan_weights_acquire(plan, &key, (size_t)(n * k) * sizeof(double),
                                                  to_double, (void *)w->data, &made);
        if (s != RUNT_OK) {
            f64_release(st, plan);
            return s;
        }
        st->weights[i] = made;
        st->weight_bytes += (size_t)(n * k) * sizeof(double);
        if ((size_t)n * sizeof(double) > st->scratch)
            st->scratch = (size_t)n * sizeof(double);
    }
    *state = st;
    return RUNT_OK;
}

static runt_status f64_execute(void *state, const runt_plan *plan, const runt_bindings *b)
{
    const f64_state *st = state;
    double *acc = b->scratch; /* st->scratch bytes, in the session arena */
    for (int i = 0; i < plan->n_nodes; i++) {
        const runt_plan_node *node = &plan->nodes[i];
        const runt_plan_value *w = runt_plan_node_input(plan, i, 1);
        const runt_plan_value *c = runt_plan_node_input(plan, i, 2);
        const float *x = runt_plan_value_ptr(plan, b, node->inputs[0]);
        const float *bias = c ? runt_plan_value_ptr(plan, b, node->inputs[2]) : NULL;
        float *y = runt_plan_value_ptr(plan, b, node->outputs[0]);
        int64_t n = w->desc.dims[0], k = w->desc.dims[1];
        int64_t m = runt_tensor_count(&plan->values[node->outputs[0]].desc) / n;
        for (int64_t r = 0; r < m; r++) {
            for (int64_t j = 0; j < n; j++) {
                const double *wj = st->weights[i] + j * k;
                acc[j] = bias ? bias[j] : 0.0;
                for (int64_t t = 0; t < k; t++)
                    acc[j] += (double)x[r * k + t] * wj[t];
            }
            for (int64_t j = 0; j < n; j++) {
                double v = acc[j];
                if (node->attrs.gemm.epilogue.act == RUNT_ACT_RELU && v < 0.0)
                    v = 0.0;
                y[r * n + j] = (float)v;
            }
        }
    }
    return RUNT_OK;
}

static size_t f64_scratch_size(void *state, const runt_plan *plan)
{
    (void)plan;
    return ((const f64_state *)state)->scratch;
}

static size_t f64_weight_bytes(void *state, const runt_plan *plan)
{
    (void)plan;
    return ((const f64_state *)state)->weight_bytes;
}

static const runt_backend_i f64acc = {
    .name = "f64acc",
    .supports_node = f64_supports_node,
    .prepare = f64_prepare,
    .execute = f64_execute,
    .release = f64_release,
    .scratch_size = f64_scratch_size,
    .weight_bytes = f64_weight_bytes,
};

/* x -> Linear(8, 16) -> ReLU -> Linear(16, 4), weights from a fixed rule. */
static runt_model *small_mlp(float *w1, float *b1, float *w2, float *b2)
{
    for (int i = 0; i < 16 * 8; i++)
        w1[i] = (float)((i * 37) % 19) / 19.0f - 0.5f;
    for (int i = 0; i < 4 * 16; i++)
        w2[i] = (float)((i * 53) % 23) / 23.0f - 0.5f;
    for (int i = 0; i < 16; i++)
        b1[i] = 0.01f * (float)i;
    for (int i = 0; i < 4; i++)
        b2[i] = -0.02f * (float)i;
    runt_builder *b;
    runt_value_id x, h;
    int64_t dims[2] = {RUNT_DIM_BATCH, 8};
    CHECK(runt_builder_create(NULL, &b));
    CHECK(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x));
    CHECK(runt_builder_linear(b, x, 8, 16, w1, b1, &h));
    CHECK(runt_builder_unary(b, RUNT_OP_RELU, h, NULL, &h));
    CHECK(runt_builder_linear(b, h, 16, 4, w2, b2, &h));
    CHECK(runt_builder_output(b, h, "y"));
    runt_model *m;
    CHECK(runt_builder_finish(b, &m));
    return m;
}

static runt_session *session_on(const runt_model *m, const char *backend)
{
    runt_session_options o = runt_session_options_default();
    o.backend = backend;
    o.batch = 3;
    runt_session *s;
    CHECK(runt_session_create(m, &o, &s));
    return s;
}

int main(int argc, char **argv)
{
    example_check_args(argc, argv, 1, 1, "MODEL.onnx");
    CHECK(runt_backend_register(&f64acc, NULL));
    static float w1[16 * 8], b1[16], w2[4 * 16], b2[4];
    runt_model *mlp = small_mlp(w1, b1, w2, b2);
    runt_session *mine = session_on(mlp, "f64acc"), *twin = session_on(mlp, "f64acc");
    runt_session *ref = session_on(mlp, "ref");
    runt_tensor in, out_mine, in_ref, out_ref; /* the inputs filled alike */
    example_io(mine, &in, &out_mine);
    example_io(ref, &in_ref, &out_ref);
    CHECK(runt_session_run(mine, &in, 1, &out_mine, 1));
    CHECK(runt_session_run(ref, &in_ref, 1, &out_ref, 1));
    double diff = 0.0;
    for (int i = 0; i < 3 * 4; i++) {
        double d = (double)((float *)out_mine.data)[i] - ((float *)out_ref.data)[i];
        diff = d > diff ? d : -d > diff ? -d : diff;
    }
    runt_session_stats st;
    CHECK(runt_session_stats_get(mine, &st));
    printf("f64acc: largest difference from ref %.3g; arena %zu bytes (%zu of them scratch); "
           "%zu bytes of double weights, shared by its 2 sessions\n",
           diff, st.session_arena_bytes, st.scratch_bytes, st.backend_weight_bytes);

    runt_model *model;
    CHECK(runt_model_load_file(argv[1], NULL, &model));
    runt_session_options o = runt_session_options_default();
    o.backend = "f64acc";
    runt_session *s;
    if (runt_session_create(model, &o, &s) == RUNT_OK) {
        printf("f64acc runs %s\n", argv[1]);
        runt_session_free(s);
    } else {
        printf("f64acc refuses %s: %s\n", argv[1], runt_last_error());
    }
    runt_model_free(model);

    free(in.data);
    free(out_mine.data);
    free(in_ref.data);
    free(out_ref.data);
    runt_session_free(mine);
    runt_session_free(twin);
    runt_session_free(ref);
    runt_model_free(mlp);
    return diff < 1e-5 ? 0 : 1;
}
