/* Cost accounting (runtime/cost.h) on whole models: totals against the
 * counting rules applied by hand to the layer list. */
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "runt.h"
#include "test_util.h"

static runt_model *linear_chain(const int64_t *w, int n, int relu)
{
    runt_builder *b;
    runt_value_id x;
    int64_t dims[2] = {RUNT_DIM_BATCH, w[0]};
    RT_ASSERT(runt_builder_create(NULL, &b) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_builder_input(b, "x", RUNT_F32, 2, dims, &x) == RUNT_OK, "%s", runt_last_error());
    rt_rng r = rt_rng_make(21);
    for (int i = 0; i + 1 < n; i++) {
        size_t count = (size_t)(w[i] * w[i + 1]);
        float *wt = malloc(count * sizeof(float)), *bias = malloc((size_t)w[i + 1] * sizeof(float));
        rt_fill_uniform(&r, wt, count, -1, 1);
        rt_fill_uniform(&r, bias, (size_t)w[i + 1], -1, 1);
        RT_ASSERT(runt_builder_linear(b, x, w[i], w[i + 1], wt, bias, &x) == RUNT_OK, "%s",
                  runt_last_error());
        if (relu)
            RT_ASSERT(runt_builder_unary(b, RUNT_OP_RELU, x, NULL, &x) == RUNT_OK, "%s",
                      runt_last_error());
        free(wt);
        free(bias);
    }
    RT_ASSERT(runt_builder_output(b, x, "y") == RUNT_OK, "%s", runt_last_error());
    runt_model *m;
    RT_ASSERT(runt_builder_finish(b, &m) == RUNT_OK, "%s", runt_last_error());
    return m;
}

RT_TEST(cost, linear_layers_follow_the_rules)
{
    const int64_t widths[] = {1000, 10, 1000, 1};
    runt_model *m = linear_chain(widths, 4, 0);
    for (int64_t batch = 1; batch <= 64; batch *= 4) {
        int n = 0;
        runt_cost total;
        runt_node_info rows[3];
        RT_ASSERT(runt_model_describe(m, batch, rows, 3, &n, &total) == RUNT_OK, "%s", runt_last_error());
        RT_ASSERT(n == 3, "3 rows");
        int64_t params = 0, flops = 0, bytes = 0;
        for (int i = 0; i < 3; i++) {
            int64_t in = widths[i], out = widths[i + 1];
            int64_t p = in * out + out, f = 2 * batch * in * out + batch * out;
            int64_t by = 4 * (batch * in + in * out + out + batch * out);
            RT_ASSERT(rows[i].cost.params == p, "layer %d params %lld want %lld", i,
                      (long long)rows[i].cost.params, (long long)p);
            RT_ASSERT(rows[i].cost.flops == f, "layer %d flops %lld want %lld", i,
                      (long long)rows[i].cost.flops, (long long)f);
            RT_ASSERT(rows[i].cost.bytes_read + rows[i].cost.bytes_written == by, "layer %d bytes", i);
            RT_ASSERT(rows[i].output.dims[0] == batch && rows[i].output.dims[1] == out, "shape");
            params += p;
            flops += f;
            bytes += by;
        }
        RT_ASSERT(total.params == params && total.flops == flops &&
                      total.bytes_read + total.bytes_written == bytes, "totals add up");
    }
    int n;
    runt_node_info rows[1];
    RT_ASSERT(runt_model_describe(m, 1, rows, 1, &n, NULL) == RUNT_E_INVALID_ARG, "capacity too small");
    RT_ASSERT(runt_model_describe(m, 0, NULL, 0, &n, NULL) == RUNT_E_INVALID_ARG, "batch 0");
    RT_ASSERT(runt_model_describe(NULL, 1, NULL, 0, &n, NULL) == RUNT_E_INVALID_ARG, "NULL model");
    runt_model_free(m);
}

RT_TEST(cost, fusion_keeps_flops_and_saves_bytes)
{
    const int64_t widths[] = {64, 32, 16};
    runt_model *m = linear_chain(widths, 3, 1);
    runt_session_options o = runt_session_options_default();
    o.backend = "ref";
    o.batch = 8;
    runt_session *plain, *fused;
    o.fuse = 0;
    RT_ASSERT(runt_session_create(m, &o, &plain) == RUNT_OK, "%s", runt_last_error());
    o.fuse = 1;
    RT_ASSERT(runt_session_create(m, &o, &fused) == RUNT_OK, "%s", runt_last_error());
    runt_session_stats a, b;
    RT_ASSERT(runt_session_stats_get(plain, &a) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(runt_session_stats_get(fused, &b) == RUNT_OK, "%s", runt_last_error());
    RT_ASSERT(a.n_nodes == 4 && b.n_nodes == 2, "nodes %d -> %d", a.n_nodes, b.n_nodes);
    RT_ASSERT(a.total.flops == b.total.flops, "an activation is one flop per element either way");
    /* Each fused ReLU no longer reads and writes its batch x width tensor. */
    int64_t saved = 2 * 4 * 8 * (32 + 16);
    RT_ASSERT(a.total.bytes_read + a.total.bytes_written - (b.total.bytes_read + b.total.bytes_written) ==
                  saved, "fusion saves exactly the activation traffic");
    runt_node_info info;
    RT_ASSERT(runt_session_node(fused, 0, &info, NULL) == RUNT_OK && info.epilogue.act == RUNT_ACT_RELU,
              "epilogue reported");
    RT_ASSERT(runt_session_node(fused, 2, &info, NULL) == RUNT_E_INVALID_ARG, "index out of range");
    runt_session_free(plain);
    runt_session_free(fused);
    runt_model_free(m);
}
