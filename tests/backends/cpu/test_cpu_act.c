/*
 * The CPU's vector activations (act_vec.h, through runt_cpu_map_for at each
 * tier this CPU runs) against the same functions computed in double
 * precision with libm: a dense grid over [-20, 20], tiny and huge values,
 * lengths that end in a part of a vector, and the special values.
 *
 * Bounds: tanh and sigmoid within 4e-7 of the value (about 3 float ulps;
 * both are accurate near 0 and in the tails), the GELUs within 4e-7
 * max(1, |x|) (0.5 x (1 + erf) cancels for negative x, in the reference's
 * float expression as much as here), the piecewise-linear ones exactly.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "cpu/cpu_impl.h"

static double want_of(runt_activation act, double x, const runt_epilogue *e)
{
    switch (act) {
    case RUNT_ACT_RELU: return x < 0 ? 0 : x;
    case RUNT_ACT_LEAKY_RELU: return x < 0 ? (double)(e->alpha * (float)x) : x;
    case RUNT_ACT_CLIP: return x < e->alpha ? e->alpha : x > e->beta ? e->beta : x;
    case RUNT_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case RUNT_ACT_TANH: return tanh(x);
    case RUNT_ACT_GELU: return 0.5 * x * (1.0 + erf(x / sqrt(2.0)));
    case RUNT_ACT_GELU_TANH:
        return 0.5 * x * (1.0 + tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)));
    default: return x;
    }
}

/* The allowed error at x (see the top). */
static double allowed(runt_activation act, double x, double want)
{
    switch (act) {
    case RUNT_ACT_SIGMOID:
    case RUNT_ACT_TANH: return 4e-7 * fabs(want) + 1e-37;
    case RUNT_ACT_GELU:
    case RUNT_ACT_GELU_TANH: return 4e-7 * (fabs(x) > 1 ? fabs(x) : 1.0);
    default: return 0.0;
    }
}

static void check_act(runt_cpu_map_fn map, const char *tier, runt_activation act)
{
    runt_epilogue e = {act, 0.1f, 0.0f};
    if (act == RUNT_ACT_CLIP)
        e.alpha = -0.5f, e.beta = 0.75f;
    /* The grid, then the edges; 200003 values, so the last vector is part
     * of one at every width. */
    enum { GRID = 200000 };
    static const float edges[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-6f, -1e-6f, 0.6249f, 0.6251f,
                                  0.4999f, 0.5001f, 9.0f, -9.0f, 44.0f, -44.0f, 87.0f, -87.0f,
                                  88.8f, -88.8f, 100.0f, -100.0f, 1e30f, -1e30f, 3e38f};
    size_t n_edges = sizeof edges / sizeof edges[0], n = GRID + n_edges;
    float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
    RT_ASSERT(x && y, "out of memory");
    for (size_t i = 0; i < GRID; i++)
        x[i] = -20.0f + 40.0f * (float)i / (float)GRID;
    for (size_t i = 0; i < n_edges; i++)
        x[GRID + i] = edges[i];
    map(x, y, (int64_t)n, &e);
    for (size_t i = 0; i < n; i++) {
        double want = want_of(act, x[i], &e), err = fabs((double)y[i] - want);
        if (isinf(want))
            err = y[i] == want ? 0.0 : INFINITY;
        RT_ASSERT(err <= allowed(act, x[i], want), "%s act %d at x = %.9g: %.9g, not %.9g (error %g)",
                  tier, (int)act, (double)x[i], (double)y[i], want, err);
    }
    /* In place (y is x) gives the same bits, for every length up to a few
     * vectors: the last vector overlaps the one before it. */
    for (int64_t len = 1; len <= 67; len++) {
        float in_place[67];
        memcpy(in_place, x + 1000, (size_t)len * sizeof(float));
        map(in_place, in_place, len, &e);
        map(x + 1000, y, len, &e);
        RT_ASSERT(memcmp(in_place, y, (size_t)len * sizeof(float)) == 0,
                  "%s act %d: in place differs at length %lld", tier, (int)act, (long long)len);
    }
    /* Special values, in place. */
    float s[4] = {NAN, INFINITY, -INFINITY, -NAN};
    map(s, s, 4, &e);
    RT_ASSERT(isnan(s[0]) && isnan(s[3]), "%s act %d: NaN in gives %g, %g", tier, (int)act,
              (double)s[0], (double)s[3]);
    double at_inf = want_of(act, INFINITY, &e), at_minus_inf = want_of(act, -INFINITY, &e);
    RT_ASSERT(s[1] == (float)at_inf || (isnan(at_inf) && isnan(s[1])),
              "%s act %d at +inf: %g, not %g", tier, (int)act, (double)s[1], at_inf);
    RT_ASSERT(s[2] == (float)at_minus_inf || (isnan(at_minus_inf) && isnan(s[2])),
              "%s act %d at -inf: %g, not %g", tier, (int)act, (double)s[2], at_minus_inf);
    free(x);
    free(y);
}

RT_TEST(cpu_act, vector_activations_against_double_precision)
{
    static const runt_activation acts[] = {RUNT_ACT_RELU, RUNT_ACT_LEAKY_RELU, RUNT_ACT_CLIP,
                                           RUNT_ACT_SIGMOID, RUNT_ACT_TANH, RUNT_ACT_GELU,
                                           RUNT_ACT_GELU_TANH};
    for (int tier = RUNT_CPU_TIER_C; tier <= runt_cpu_tier_max(); tier++)
        for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++)
            check_act(runt_cpu_map_for(tier), runt_cpu_tier_name(tier), acts[a]);
}
