/* The zoo suite: the same list on every call, at least 40 models of both
 * kinds and every activation, each within its FLOPs budget (counted by
 * runt_model_describe, independently of the generator's own count) and
 * each one built and run on the reference backend. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "suite.h"
#include "test_util.h"

static const double caches[3] = {48 * 1024.0, 2048 * 1024.0, 32 * 1024 * 1024.0};

static runt_cost model_cost(const runt_model *m, int64_t batch)
{
    runt_cost total;
    int n;
    RT_ASSERT(runt_model_describe(m, batch, NULL, 0, &n, &total) == RUNT_OK, "%s", runt_last_error());
    return total;
}

RT_TEST(bench_zoo, the_list_is_the_same_every_time)
{
    runt_case_list a = {0}, b = {0};
    RT_ASSERT(runt_suite_append(&a, "zoo", caches) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_suite_append(&b, "zoo", caches) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(a.n == b.n, "%d and %d models", a.n, b.n);
    for (int i = 0; i < a.n; i++) {
        RT_ASSERT(strcmp(a.items[i].name, b.items[i].name) == 0, "%s vs %s", a.items[i].name,
                  b.items[i].name);
        RT_ASSERT(a.items[i].batch == b.items[i].batch &&
                      memcmp(&a.items[i].net, &b.items[i].net, sizeof a.items[i].net) == 0,
                  "%s: same shape both times", a.items[i].name);
    }
    runt_case_list_free(&a);
    runt_case_list_free(&b);
}

RT_TEST(bench_zoo, forty_or_more_named_models_of_every_kind)
{
    runt_case_list l = {0};
    RT_ASSERT(runt_suite_append(&l, "zoo", caches) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(l.n >= 40, "%d zoo models", l.n);
    int mlp = 0, cnn = 0, acts[RUNT_OP_COUNT + 1] = {0};
    for (int i = 0; i < l.n; i++) {
        const runt_bench_case *c = &l.items[i];
        RT_ASSERT(strcmp(c->suite, "zoo") == 0 && c->kind == RUNT_CASE_NET, "%s", c->name);
        RT_ASSERT(strncmp(c->name, "zoo_", 4) == 0, "%s: named zoo_...", c->name);
        for (int j = i + 1; j < l.n; j++)
            RT_ASSERT(strcmp(c->name, l.items[j].name) != 0, "unique name %s", c->name);
        /* The name says the shape: kind and batch at least. */
        char batch[24];
        snprintf(batch, sizeof batch, "_b%lld", (long long)c->batch);
        size_t nl = strlen(c->name), bl = strlen(batch);
        RT_ASSERT(nl > bl && strcmp(c->name + nl - bl, batch) == 0, "%s ends in %s", c->name, batch);
        if (c->net.n_convs) {
            cnn++;
            RT_ASSERT(strncmp(c->name, "zoo_cnn_", 8) == 0, "%s", c->name);
        } else {
            mlp++;
            RT_ASSERT(strncmp(c->name, "zoo_mlp_", 8) == 0, "%s", c->name);
        }
        acts[c->net.act]++;
    }
    RT_ASSERT(mlp >= 16 && cnn >= 16, "%d MLPs, %d CNNs", mlp, cnn);
    const runt_op wanted[] = {RUNT_OP_RELU, RUNT_OP_GELU, RUNT_OP_TANH, RUNT_OP_LEAKY_RELU};
    for (int k = 0; k < 4; k++)
        RT_ASSERT(acts[wanted[k]] >= 4, "activation %d in %d models", (int)wanted[k], acts[wanted[k]]);
    runt_case_list_free(&l);
    /* all = seeds, then sweep, then zoo */
    runt_case_list s = {0}, all = {0};
    RT_ASSERT(runt_suite_append(&s, "seeds", caches) == RUNT_OK, "seeds");
    RT_ASSERT(runt_suite_append(&s, "sweep", caches) == RUNT_OK, "sweep");
    RT_ASSERT(runt_suite_append(&s, "zoo", caches) == RUNT_OK, "zoo");
    RT_ASSERT(runt_suite_append(&all, "all", caches) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(all.n == s.n, "all has %d cases, the three suites %d", all.n, s.n);
    for (int i = 0; i < all.n; i++)
        RT_ASSERT(strcmp(all.items[i].name, s.items[i].name) == 0, "%s", all.items[i].name);
    runt_case_list_free(&s);
    runt_case_list_free(&all);
    RT_ASSERT(runt_suite_known("zoo") && runt_suite_known("all") && !runt_suite_known("zo"),
              "suite names");
}

RT_TEST(bench_zoo, every_model_builds_runs_and_keeps_its_budget)
{
    runt_case_list l = {0};
    RT_ASSERT(runt_suite_append(&l, "zoo", caches) == RUNT_OK, "%s", runt_last_error());
    rt_rng rng = rt_rng_make(16);
    for (int i = 0; i < l.n; i++) {
        const runt_bench_case *c = &l.items[i];
        runt_model *m;
        RT_ASSERT(runt_case_build(c, &m) == RUNT_OK, "%s: %s", c->name, runt_last_error());
        runt_cost at_batch = model_cost(m, c->batch), one = model_cost(m, 1);
        RT_ASSERT(at_batch.flops <= RUNT_ZOO_SUITE_MAX_FLOPS, "%s: %lld FLOPs at batch %lld",
                  c->name, (long long)at_batch.flops, (long long)c->batch);
        int64_t flops, params;
        runt_zoo_net_counts(&c->net, &flops, &params);
        RT_ASSERT(flops == one.flops && params == one.params,
                  "%s: the generator counts %lld FLOPs, %lld params; the runtime %lld, %lld",
                  c->name, (long long)flops, (long long)params, (long long)one.flops,
                  (long long)one.params);
        /* Run at batch 1 (the test's time, not the bench's): finite outputs. */
        runt_session_options o = runt_session_options_default();
        o.backend = "ref";
        o.batch = 1;
        runt_session *s;
        RT_ASSERT(runt_session_create(m, &o, &s) == RUNT_OK, "%s: %s", c->name, runt_last_error());
        runt_tensor in, out;
        RT_ASSERT(runt_session_input_desc(s, 0, &in) == RUNT_OK, "%s", runt_last_error());
        RT_ASSERT(runt_session_output_desc(s, 0, &out) == RUNT_OK, "%s", runt_last_error());
        size_t n_in = (size_t)runt_tensor_count(&in), n_out = (size_t)runt_tensor_count(&out);
        float *x = malloc(n_in * sizeof *x), *y = rt_guarded_alloc(n_out);
        RT_ASSERT(x && y, "alloc");
        rt_fill_uniform(&rng, x, n_in, -1, 1);
        in.data = x;
        out.data = y;
        RT_ASSERT(runt_session_run(s, &in, 1, &out, 1) == RUNT_OK, "%s: %s", c->name,
                  runt_last_error());
        for (size_t k = 0; k < n_out; k++)
            RT_ASSERT(isfinite(y[k]), "%s: output %zu is %g", c->name, k, (double)y[k]);
        RT_ASSERT(rt_guard_intact(y, n_out), "%s: wrote past its output", c->name);
        free(x);
        rt_guarded_free(y);
        runt_session_free(s);
        runt_model_free(m);
    }
    runt_case_list_free(&l);
}

RT_TEST(bench_zoo, a_small_net_counts_as_worked_by_hand)
{
    /* x[1,1,4,4] -> Conv(1->2, 3x3, same) -> Relu -> MaxPool 2x2 -> Flatten
     * -> Linear(8, 3). Conv: 32 outputs * 2*9 + 32 bias = 608, Relu 32,
     * pool 8 outputs * 4 = 32, Linear 2*8*3 + 3 = 51: 723 FLOPs.
     * Params: 2*9 + 2 and 8*3 + 3: 47. */
    runt_zoo_net n;
    memset(&n, 0, sizeof n);
    n.c = 1;
    n.h = n.w = 4;
    n.n_convs = 1;
    n.conv_out[0] = 2;
    n.conv_k[0] = 3;
    n.pool[0] = 1;
    n.n_linear = 1;
    n.linear_out[0] = 3;
    n.act = RUNT_OP_RELU;
    int64_t flops, params;
    runt_zoo_net_counts(&n, &flops, &params);
    RT_ASSERT(flops == 723 && params == 47, "%lld FLOPs, %lld params", (long long)flops,
              (long long)params);
    runt_model *m;
    RT_ASSERT(runt_zoo_build_net(&n, &m) == RUNT_OK, "%s", runt_last_error());
    runt_cost c = model_cost(m, 1);
    RT_ASSERT(c.flops == 723 && c.params == 47, "the runtime counts %lld, %lld",
              (long long)c.flops, (long long)c.params);
    runt_model_free(m);
    /* Specs the builder cannot make are refused, not built wrong. */
    runt_zoo_net bad = n;
    bad.conv_k[0] = 2;
    RT_ASSERT(runt_zoo_build_net(&bad, &m) == RUNT_E_INVALID_ARG, "even kernel");
    bad = n;
    bad.n_linear = 0;
    RT_ASSERT(runt_zoo_build_net(&bad, &m) == RUNT_E_INVALID_ARG, "no Linear layer");
    bad = n;
    bad.h = bad.w = 1;
    RT_ASSERT(runt_zoo_build_net(&bad, &m) == RUNT_E_INVALID_ARG, "pool on a 1x1 image");
    bad = n;
    bad.act = RUNT_OP_SOFTMAX;
    RT_ASSERT(runt_zoo_build_net(&bad, &m) == RUNT_E_INVALID_ARG, "an activation not offered");
    bad = n;
    bad.h = bad.w = 0;
    RT_ASSERT(runt_zoo_build_net(&bad, &m) == RUNT_E_INVALID_ARG, "convolutions on a vector");
    RT_ASSERT(runt_zoo_build_net(NULL, &m) == RUNT_E_INVALID_ARG, "NULL net");
}

/* The calibration's "layer then op" models, counted by hand. */
RT_TEST(bench_zoo, a_layer_then_an_op_counts_as_worked_by_hand)
{
    runt_model *m;
    /* Linear(16, 8) with bias then Tanh, batch 2: 2*2*16*8 + 2*8 + 2*8 =
     * 544 FLOPs; 16*8 + 8 = 136 params; 2 nodes. */
    RT_ASSERT(runt_zoo_build_layer_then(16, 8, 3, 0, 0, RUNT_OP_TANH, NULL, &m) == RUNT_OK, "%s",
              runt_last_error());
    runt_cost c = model_cost(m, 2);
    int nodes;
    RT_ASSERT(runt_model_counts(m, NULL, NULL, &nodes) == RUNT_OK && nodes == 2, "2 nodes");
    RT_ASSERT(c.flops == 544 && c.params == 136, "%lld FLOPs, %lld params", (long long)c.flops,
              (long long)c.params);
    runt_model_free(m);
    /* Conv(1->2, 3x3, same) on 4x4 then a 2x2 max pool, batch 1: 32
     * outputs * 18 + 32 bias = 608, pool 8 outputs * 4 = 32: 640. */
    runt_attrs pool;
    runt_attrs_default(RUNT_OP_MAX_POOL, &pool);
    pool.pool.kernel[0] = pool.pool.kernel[1] = 2;
    pool.pool.strides[0] = pool.pool.strides[1] = 2;
    RT_ASSERT(runt_zoo_build_layer_then(1, 2, 3, 4, 4, RUNT_OP_MAX_POOL, &pool, &m) == RUNT_OK,
              "%s", runt_last_error());
    c = model_cost(m, 1);
    RT_ASSERT(c.flops == 640 && c.params == 20, "%lld FLOPs, %lld params", (long long)c.flops,
              (long long)c.params);
    runt_model_free(m);
    /* The layer alone. */
    RT_ASSERT(runt_zoo_build_layer_then(1, 2, 3, 4, 4, RUNT_OP_COUNT, NULL, &m) == RUNT_OK, "%s",
              runt_last_error());
    RT_ASSERT(model_cost(m, 1).flops == 608, "conv alone");
    runt_model_free(m);
    RT_ASSERT(runt_zoo_build_layer_then(1, 2, 2, 4, 4, RUNT_OP_COUNT, NULL, &m) ==
                  RUNT_E_INVALID_ARG, "even kernel");
    RT_ASSERT(runt_zoo_build_layer_then(0, 2, 3, 0, 0, RUNT_OP_COUNT, NULL, &m) ==
                  RUNT_E_INVALID_ARG, "no input channels");
    RT_ASSERT(runt_zoo_build_layer_then(1, 2, 3, 4, 4, RUNT_OP_COUNT, NULL, NULL) ==
                  RUNT_E_INVALID_ARG, "NULL out");
}

/* Linear(4, 4) -> Tanh -> Linear(4, 8) -> Tanh at batch 2: (2*2*4*4 + 8 +
 * 8) + (2*2*4*8 + 16 + 16) = 80 + 160 = 240 FLOPs; 20 + 40 = 60 params;
 * 4 nodes, 2 without the activations (and 24 fewer FLOPs, 1 an output). A conv's
 * builder refuses the sizes that would make it a Linear. */
RT_TEST(bench_zoo, hidden_then_builds_two_linears_each_followed)
{
    runt_model *m;
    RT_ASSERT(runt_zoo_build_hidden_then(4, 4, 8, RUNT_OP_TANH, NULL, &m) == RUNT_OK, "%s",
              runt_last_error());
    runt_cost c = model_cost(m, 2);
    int nodes;
    RT_ASSERT(runt_model_counts(m, NULL, NULL, &nodes) == RUNT_OK && nodes == 4, "4 nodes");
    RT_ASSERT(c.flops == 240 && c.params == 60, "%lld FLOPs, %lld params", (long long)c.flops,
              (long long)c.params);
    runt_model_free(m);
    RT_ASSERT(runt_zoo_build_hidden_then(4, 4, 8, RUNT_OP_COUNT, NULL, &m) == RUNT_OK, "%s",
              runt_last_error());
    RT_ASSERT(runt_model_counts(m, NULL, NULL, &nodes) == RUNT_OK && nodes == 2 &&
                  model_cost(m, 2).flops == 216, "no activations");
    runt_model_free(m);
    RT_ASSERT(runt_zoo_build_hidden_then(4, 0, 8, RUNT_OP_COUNT, NULL, &m) == RUNT_E_INVALID_ARG,
              "no hidden width");
    RT_ASSERT(runt_zoo_build_conv(1, 2, 3, 0, 0, &m) == RUNT_E_INVALID_ARG, "conv without image");
}
