/*
 * runt_model_quantize_int8 (runtime/model_quantize.c): which layers become
 * quantize_dynamic chains, that the weights are per-channel symmetric int8
 * (checked against a double-precision quantization), and what is refused.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "rt_test.h"
#include "runt.h"
#include "test_models.h"
#include "test_util.h"

#define CHECK(call) RT_ASSERT((call) == RUNT_OK, "%s: %s", #call, runt_last_error())

static int count_op(const runt_model *m, runt_op op)
{
    int n = 0;
    for (int i = 0; i < m->n_nodes; i++)
        n += m->nodes[i].op == op;
    return n;
}

/* Gemm(x [N, 12], W [5, 12] transposed, bias [5]) with attributes a. */
static runt_model *gemm_model(const runt_attrs *a, uint64_t seed)
{
    rt_operand ops[3] = {{2, {RUNT_DIM_BATCH, 12}, 0}, {2, {5, 12}, 1}, {1, {5}, 1}};
    runt_model *m = rt_one_node(RUNT_OP_GEMM, a, 3, ops, 1, seed);
    RT_ASSERT(m, "%s", runt_last_error());
    return m;
}

RT_TEST(model_quantize, weights_are_per_channel_symmetric_int8)
{
    runt_attrs a;
    runt_attrs_default(RUNT_OP_GEMM, &a);
    a.gemm.trans_b = 1;
    runt_model *m = gemm_model(&a, 3), *q;
    CHECK(runt_model_quantize_int8(m, NULL, &q));
    RT_ASSERT(count_op(q, RUNT_OP_GEMM) == 0 && count_op(q, RUNT_OP_MATMUL_INTEGER) == 1 &&
                  count_op(q, RUNT_OP_DYNAMIC_QUANTIZE_LINEAR) == 1,
              "the Gemm becomes one quantize_dynamic chain");
    const float *w = NULL;
    for (int v = 0; v < m->n_values; v++)
        if (m->values[v].is_constant && m->values[v].desc.ndim == 2)
            w = m->values[v].desc.data;
    const int8_t *qw = NULL;
    const float *scale = NULL;
    for (int v = 0; v < q->n_values; v++) {
        const runt_model_value *mv = &q->values[v];
        if (mv->is_constant && mv->desc.dtype == RUNT_I8) {
            RT_ASSERT(mv->desc.dims[0] == 12 && mv->desc.dims[1] == 5, "int8 B is [K, N]");
            qw = mv->desc.data;
        }
        if (mv->is_constant && mv->name && strstr(mv->name, ".scale"))
            scale = mv->desc.data;
    }
    RT_ASSERT(w && qw && scale, "weights, int8 weights and scales present");
    for (int n = 0; n < 5; n++) {
        double mx = 0;
        for (int k = 0; k < 12; k++) {
            /* The assert in the loop also keeps Debian's gcc 12 for aarch64
             * from vectorizing this max, where it crashes (see tests/CMakeLists). */
            double v = fabs((double)w[n * 12 + k]);
            RT_ASSERT(isfinite(v), "weight [%d][%d] is %g", n, k, v);
            mx = v > mx ? v : mx;
        }
        RT_ASSERT(fabs(scale[n] - mx / 127.0) <= 1e-6 * mx, "scale %d: %g, max/127 %g", n,
                  (double)scale[n], mx / 127.0);
        for (int k = 0; k < 12; k++) {
            double want = w[n * 12 + k] / (double)scale[n];
            RT_ASSERT(fabs(qw[k * 5 + n] - want) <= 0.5 + 1e-4, "q[%d][%d] = %d for %g", k, n,
                      qw[k * 5 + n], want);
        }
    }
    runt_model_free(q), runt_model_free(m);
}

RT_TEST(model_quantize, layers_it_cannot_express_stay_f32)
{
    runt_attrs a;
    runt_attrs_default(RUNT_OP_GEMM, &a);
    a.gemm.trans_b = 1;
    a.gemm.alpha = 2.0f;   /* quantize_dynamic's chain has no alpha */
    runt_model *m = gemm_model(&a, 4), *q;
    CHECK(runt_model_quantize_int8(m, NULL, &q));
    RT_ASSERT(count_op(q, RUNT_OP_GEMM) == 1 && count_op(q, RUNT_OP_MATMUL_INTEGER) == 0,
              "Gemm with alpha 2 stays f32");
    runt_model_free(q), runt_model_free(m);
    /* A MatMul whose B is an input (not a weight) stays too. */
    rt_operand ops[2] = {{2, {RUNT_DIM_BATCH, 6}, 0}, {2, {6, 3}, 0}};
    m = rt_one_node(RUNT_OP_MATMUL, NULL, 2, ops, 1, 5);
    RT_ASSERT(m, "%s", runt_last_error());
    CHECK(runt_model_quantize_int8(m, NULL, &q));
    RT_ASSERT(count_op(q, RUNT_OP_MATMUL) == 1 && count_op(q, RUNT_OP_MATMUL_INTEGER) == 0,
              "MatMul of two inputs stays f32");
    runt_model_free(q), runt_model_free(m);
}

RT_TEST(model_quantize, non_finite_weights_are_refused)
{
    runt_attrs a;
    runt_attrs_default(RUNT_OP_GEMM, &a);
    a.gemm.trans_b = 1;
    runt_model *m = gemm_model(&a, 6), *q = NULL;
    for (int v = 0; v < m->n_values; v++)
        if (m->values[v].is_constant && m->values[v].desc.ndim == 2)
            ((float *)m->values[v].desc.data)[7] = NAN;
    RT_ASSERT(runt_model_quantize_int8(m, NULL, &q) == RUNT_E_INVALID_ARG && !q &&
                  strstr(runt_last_error(), "node") && strstr(runt_last_error(), "finite"),
              "a NaN weight: %s", runt_last_error());
    RT_ASSERT(runt_model_quantize_int8(NULL, NULL, &q) == RUNT_E_INVALID_ARG, "NULL model");
    RT_ASSERT(runt_model_quantize_int8(m, NULL, NULL) == RUNT_E_INVALID_ARG, "NULL out");
    runt_model_free(m);
}

RT_TEST(model_quantize, out_of_memory_everywhere_leaks_nothing)
{
    int64_t w[4] = {8, 6, 4, 3};
    runt_model *m = rt_mlp3(NULL, w, RUNT_OP_RELU, NULL, 2), *q = NULL;
    RT_ASSERT(m, "%s", runt_last_error());
    int done = 0;
    for (long k = 0; k < 5000 && !done; k++) {
        rt_counting counts = {0, 0, k};
        runt_allocator a = {rt_counting_alloc, rt_counting_free, &counts};
        runt_status s = runt_model_quantize_int8(m, &a, &q);
        RT_ASSERT(s == RUNT_OK || (s == RUNT_E_OOM && !q), "allocation %ld failing: %s", k,
                  runt_last_error());
        done = s == RUNT_OK;
        runt_model_free(q);
        q = NULL;
        RT_ASSERT(counts.allocs == counts.frees, "allocation %ld failing: %ld allocs, %ld frees",
                  k, counts.allocs, counts.frees);
    }
    RT_ASSERT(done, "never succeeded");
    runt_model_free(m);
}
