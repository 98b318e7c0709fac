#include "stats.h"

#include <math.h>
#include <stdlib.h>

static int runt_stats_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void runt_stats_sort(double *x, size_t n)
{
    if (n > 1)
        qsort(x, n, sizeof *x, runt_stats_cmp_double);
}

double runt_stats_quantile_sorted(const double *x, size_t n, double p)
{
    if (n == 0)
        return NAN;
    p = p < 0 ? 0 : p > 1 ? 1 : p;
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo + 1 >= n)
        return x[n - 1];
    return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

typedef struct runt_stats_pair {
    double value;
    size_t index;
} runt_stats_pair;

static int runt_stats_cmp_pair(const void *a, const void *b)
{
    const runt_stats_pair *x = a, *y = b;
    if (x->value != y->value)
        return (x->value > y->value) - (x->value < y->value);
    /* Equal values: keep the sort deterministic (qsort is not stable). */
    return (x->index > y->index) - (x->index < y->index);
}

int runt_stats_rank(const double *x, size_t n, double *ranks)
{
    runt_stats_pair *p = malloc((n ? n : 1) * sizeof *p);
    if (!p)
        return -1;
    for (size_t i = 0; i < n; i++)
        p[i] = (runt_stats_pair){x[i], i};
    qsort(p, n, sizeof *p, runt_stats_cmp_pair);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && p[j + 1].value == p[i].value)
            j++;
        /* Positions i..j (0-based) hold ranks i+1..j+1; ties share their mean. */
        double mean_rank = ((double)i + (double)j) / 2.0 + 1.0;
        for (size_t k = i; k <= j; k++)
            ranks[p[k].index] = mean_rank;
        i = j + 1;
    }
    free(p);
    return 0;
}

double runt_stats_spearman(const double *x, const double *y, size_t n)
{
    if (n < 3)
        return NAN;
    double *rx = malloc(2 * n * sizeof *rx);
    if (!rx)
        return NAN;
    double *ry = rx + n, rho = NAN;
    if (runt_stats_rank(x, n, rx) == 0 && runt_stats_rank(y, n, ry) == 0) {
        /* Both rank vectors have mean (n+1)/2. */
        double mean = ((double)n + 1.0) / 2.0, sxy = 0, sxx = 0, syy = 0;
        for (size_t i = 0; i < n; i++) {
            double dx = rx[i] - mean, dy = ry[i] - mean;
            sxy += dx * dy;
            sxx += dx * dx;
            syy += dy * dy;
        }
        if (sxx > 0 && syy > 0)
            rho = sxy / sqrt(sxx * syy);
    }
    free(rx);
    return rho;
}

double runt_stats_rel_l2(const float *y, const float *ref, size_t n)
{
    double diff = 0, norm = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i]) || !isfinite(ref[i]))
            return NAN;
        double d = (double)y[i] - (double)ref[i];
        diff += d * d;
        norm += (double)ref[i] * (double)ref[i];
    }
    if (diff == 0)
        return 0;
    return norm == 0 ? INFINITY : sqrt(diff / norm);
}
