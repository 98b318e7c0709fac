/*
 * The CPU's MaxPool and AveragePool kernels (cpu_pooling.c) against the
 * reference kernels, called directly on inputs the model-level tests never
 * draw: NaN and -inf among the values, windows partly in the padding, both
 * count_include_pad modes. Max pooling is exact and the averages add the
 * same floats in the same order, so the two must agree bit for bit (NaN
 * where the other has NaN).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_models.h"
#include "rt_test.h"
#include "test_util.h"
#include "cpu/cpu_impl.h"
#include "ref/ref_impl.h"

static int64_t out_size(int64_t in, int k, int s, int d, int pb, int pe)
{
    return (in + pb + pe - ((int64_t)k - 1) * d - 1) / s + 1;
}

RT_TEST(cpu_pooling, matches_the_reference_on_nan_and_infinities)
{
    static const struct {
        int k[2], s[2], d[2], pads[4];
    } cases[] = {
        {{2, 2}, {2, 2}, {1, 1}, {0, 0, 0, 0}},
        {{2, 2}, {2, 2}, {1, 1}, {1, 1, 1, 1}},
        {{3, 3}, {1, 2}, {2, 1}, {2, 2, 2, 2}},
        {{4, 2}, {3, 1}, {1, 2}, {3, 0, 3, 1}},
    };
    rt_rng r = rt_rng_make(1101);
    const int64_t n = 2, c = 3, h = 9, w = 11;
    size_t nx = (size_t)(n * c * h * w);
    float *x = malloc(nx * sizeof(float));
    RT_ASSERT(x, "out of memory");
    rt_fill_uniform(&r, x, nx, -1.0f, 1.0f);
    for (size_t i = 0; i < nx; i += 7)
        x[i] = i % 2 ? NAN : -INFINITY;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        runt_attrs at = pool_attrs(cases[k].k, cases[k].s, cases[k].d, cases[k].pads);
        int64_t xd[4] = {n, c, h, w};
        int64_t yd[4] = {n, c,
                         out_size(h, cases[k].k[0], cases[k].s[0], cases[k].d[0], cases[k].pads[0],
                                  cases[k].pads[2]),
                         out_size(w, cases[k].k[1], cases[k].s[1], cases[k].d[1], cases[k].pads[1],
                                  cases[k].pads[3])};
        size_t ny = (size_t)(yd[0] * yd[1] * yd[2] * yd[3]);
        runt_tensor in = rt_tensor_f32(x, 4, xd);
        /* max, average without and with the padding counted */
        for (int op = 0; op < 3; op++) {
            float *mine = rt_guarded_alloc(ny), *ref = rt_guarded_alloc(ny);
            runt_tensor out_mine = rt_tensor_f32(mine, 4, yd), out_ref = rt_tensor_f32(ref, 4, yd);
            at.pool.count_include_pad = op == 2;
            runt_status a = op ? runt_cpu_average_pool(&at, &in, 1, &out_mine, 1)
                               : runt_cpu_max_pool(&at, &in, 1, &out_mine, 1);
            RT_ASSERT(a == RUNT_OK, "case %zu op %d: %s", k, op, runt_last_error());
            runt_status b = op ? runt_ref_average_pool(&at, &in, 1, &out_ref, 1)
                               : runt_ref_max_pool(&at, &in, 1, &out_ref, 1);
            RT_ASSERT(b == RUNT_OK, "case %zu op %d: %s", k, op, runt_last_error());
            for (size_t i = 0; i < ny; i++)
                RT_ASSERT((isnan(mine[i]) && isnan(ref[i])) || mine[i] == ref[i],
                          "case %zu op %d, output %zu: %g, the reference %g", k, op, i,
                          (double)mine[i], (double)ref[i]);
            RT_ASSERT(rt_guard_intact(mine, ny), "case %zu op %d: wrote past the output", k, op);
            rt_guarded_free(mine);
            rt_guarded_free(ref);
        }
    }
    free(x);
}
