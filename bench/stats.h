/*
 * Order statistics and rank correlation for the bench: the median and
 * percentiles of a run's samples, Spearman's rho between latency and the
 * quantities that are supposed to predict it, and the relative error of a
 * row's outputs against its f32 reference.
 */
#ifndef RUNT_BENCH_STATS_H
#define RUNT_BENCH_STATS_H

#include <stddef.h>

/* Sorts x ascending in place. */
void runt_stats_sort(double *x, size_t n);

/* The p-th quantile (0 <= p <= 1) of sorted x by linear interpolation
 * between closest ranks (NumPy's default "linear" method): h = (n-1)p,
 * x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]). NAN when n == 0. */
double runt_stats_quantile_sorted(const double *x, size_t n, double p);

/* Ranks 1..n of x in ranks, tied values sharing the mean of their ranks.
 * Returns 0, or -1 when out of memory. */
int runt_stats_rank(const double *x, size_t n, double *ranks);

/* Spearman's rank correlation of x and y: the Pearson correlation of their
 * ranks. NAN when n < 3, when either variable is constant (nothing to
 * rank), or when out of memory. */
double runt_stats_spearman(const double *x, const double *y, size_t n);

/* ||y - ref||_2 / ||ref||_2 over n values, summed in double: 0 when y
 * equals ref (both zero included), INFINITY when ref is all zeros and y is
 * not, NAN when either holds a NaN or an infinity (a wrong answer must not
 * read as a small error). */
double runt_stats_rel_l2(const float *y, const float *ref, size_t n);

#endif /* RUNT_BENCH_STATS_H */
