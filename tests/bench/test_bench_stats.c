/* The bench's statistics against independent computations: quantiles by
 * counting (no sort), Spearman by the closed formula for distinct values and
 * a tie case worked by hand. */
#include <math.h>
#include <stdlib.h>

#include "rt_test.h"
#include "stats.h"
#include "test_util.h"

/* The k-th smallest (0-based) of distinct values, found by counting. */
static double kth_by_counting(const double *x, int n, int k)
{
    for (int i = 0; i < n; i++) {
        int smaller = 0;
        for (int j = 0; j < n; j++)
            smaller += x[j] < x[i];
        if (smaller == k)
            return x[i];
    }
    return NAN;
}

RT_TEST(bench_stats, quantiles_at_exact_ranks_match_counting)
{
    rt_rng rng = rt_rng_make(601);
    enum { N = 11 }; /* (N-1) * 0.1 = 1 and (N-1) * 0.9 = 9: exact ranks */
    double x[N], sorted[N];
    for (int i = 0; i < N; i++)
        sorted[i] = x[i] = rt_rng_uniform(&rng, -100, 100);
    runt_stats_sort(sorted, N);
    double p10 = runt_stats_quantile_sorted(sorted, N, 0.1);
    double med = runt_stats_quantile_sorted(sorted, N, 0.5);
    double p90 = runt_stats_quantile_sorted(sorted, N, 0.9);
    RT_ASSERT(p10 == kth_by_counting(x, N, 1), "p10 %g is the 2nd smallest %g", p10,
              kth_by_counting(x, N, 1));
    RT_ASSERT(med == kth_by_counting(x, N, 5), "median %g is the 6th smallest", med);
    RT_ASSERT(p90 == kth_by_counting(x, N, 9), "p90 %g is the 10th smallest", p90);
    for (int i = 1; i < N; i++)
        RT_ASSERT(sorted[i - 1] <= sorted[i], "sorted at %d", i);
}

RT_TEST(bench_stats, quantiles_interpolate_between_ranks)
{
    /* Worked by hand with NumPy's "linear" rule h = (n-1)p:
     * [10, 20, 30, 40]: median h = 1.5 -> 25; p10 h = 0.3 -> 13; p90 h = 2.7 -> 37. */
    double x[4] = {10, 20, 30, 40};
    RT_ASSERT(fabs(runt_stats_quantile_sorted(x, 4, 0.5) - 25) < 1e-12, "median of 4 is 25");
    RT_ASSERT(fabs(runt_stats_quantile_sorted(x, 4, 0.1) - 13) < 1e-12, "p10 is 13");
    RT_ASSERT(fabs(runt_stats_quantile_sorted(x, 4, 0.9) - 37) < 1e-12, "p90 is 37");
    RT_ASSERT(runt_stats_quantile_sorted(x, 4, 0) == 10 && runt_stats_quantile_sorted(x, 4, 1) == 40,
              "the ends are min and max");
    double one = 7;
    RT_ASSERT(runt_stats_quantile_sorted(&one, 1, 0.9) == 7, "one sample is every quantile");
    RT_ASSERT(isnan(runt_stats_quantile_sorted(x, 0, 0.5)), "no samples: NAN");
}

RT_TEST(bench_stats, spearman_matches_the_formula_for_distinct_values)
{
    rt_rng rng = rt_rng_make(602);
    enum { N = 40 };
    double x[N], y[N];
    for (int i = 0; i < N; i++) {
        x[i] = rt_rng_uniform(&rng, 0, 1);
        y[i] = x[i] * x[i] + rt_rng_uniform(&rng, -0.3, 0.3); /* related, not monotone */
    }
    /* rho = 1 - 6 sum d^2 / (n (n^2 - 1)), ranks by counting smaller values. */
    double d2 = 0;
    for (int i = 0; i < N; i++) {
        int rx = 1, ry = 1;
        for (int j = 0; j < N; j++) {
            rx += x[j] < x[i];
            ry += y[j] < y[i];
        }
        d2 += (double)(rx - ry) * (rx - ry);
    }
    double want = 1 - 6 * d2 / (N * ((double)N * N - 1));
    double got = runt_stats_spearman(x, y, N);
    RT_ASSERT(fabs(got - want) < 1e-12, "spearman %.15f, formula %.15f", got, want);
}

RT_TEST(bench_stats, spearman_ties_share_ranks)
{
    /* x ranks [1, 2.5, 2.5, 4], y ranks [1, 2, 3, 4]: Pearson of the ranks
     * = 4.5 / sqrt(4.5 * 5) by hand. */
    double x[4] = {1, 2, 2, 3}, y[4] = {1, 2, 3, 4};
    double want = 4.5 / sqrt(4.5 * 5.0);
    double got = runt_stats_spearman(x, y, 4);
    RT_ASSERT(fabs(got - want) < 1e-12, "tied spearman %.15f, by hand %.15f", got, want);
    double ranks[4];
    RT_ASSERT(runt_stats_rank(x, 4, ranks) == 0, "rank");
    RT_ASSERT(ranks[0] == 1 && ranks[1] == 2.5 && ranks[2] == 2.5 && ranks[3] == 4,
              "ranks %g %g %g %g", ranks[0], ranks[1], ranks[2], ranks[3]);
}

RT_TEST(bench_stats, spearman_edge_cases)
{
    double x[5] = {1, 2, 3, 4, 5}, up[5] = {1, 10, 100, 1000, 1e4}, down[5] = {5, 4, 3, 2, 1},
           flat[5] = {3, 3, 3, 3, 3};
    RT_ASSERT(fabs(runt_stats_spearman(x, up, 5) - 1) < 1e-12, "monotone transform: 1");
    RT_ASSERT(fabs(runt_stats_spearman(x, down, 5) + 1) < 1e-12, "reversed: -1");
    RT_ASSERT(isnan(runt_stats_spearman(x, flat, 5)), "a constant has no ranking: NAN");
    RT_ASSERT(isnan(runt_stats_spearman(x, up, 2)), "fewer than 3 points: NAN");
}

/* Vectors whose relative error is known by construction: ref = (3, 4)
 * (norm 5) and y = ref + 5e-3 * (0, 1) have ||y - ref|| / ||ref|| = 1e-3
 * exactly in real arithmetic. */
RT_TEST(bench_stats, relative_error_of_constructed_vectors)
{
    const float ref[2] = {3.0f, 4.0f};
    const float y[2] = {3.0f, 4.0f + 5e-3f};
    double e = runt_stats_rel_l2(y, ref, 2);
    /* 4 + 5e-3 in f32 is off by at most half an ulp of 4 (2.4e-7). */
    RT_ASSERT(fabs(e - 1e-3) < 1e-7, "error %.9g, expected 1e-3", e);
    RT_ASSERT(runt_stats_rel_l2(ref, ref, 2) == 0, "equal vectors: 0");
    const float zeros[2] = {0, 0};
    RT_ASSERT(runt_stats_rel_l2(zeros, zeros, 2) == 0, "both zero: 0");
    RT_ASSERT(isinf(runt_stats_rel_l2(y, zeros, 2)), "a zero reference and y not: infinite");
    const float bad[2] = {3.0f, NAN}, inf[2] = {INFINITY, 4.0f};
    RT_ASSERT(isnan(runt_stats_rel_l2(bad, ref, 2)), "a NaN output is no small error");
    RT_ASSERT(isnan(runt_stats_rel_l2(inf, ref, 2)), "nor an infinite one");
    RT_ASSERT(isnan(runt_stats_rel_l2(ref, bad, 2)), "nor a NaN reference");
    RT_ASSERT(runt_stats_rel_l2(y, ref, 0) == 0, "no values: nothing differs");
}
