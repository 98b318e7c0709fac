/*
 * Shape arithmetic every backend needs in the same form: ref, cpu and cuda
 * each computed these on their own, so a change to MatMul broadcasting had
 * to be made in four places. Header-only (static inline) so that each
 * backend compiles it into its own objects with no new link dependency, and
 * plain C11 with no OS, for the Cortex-M build of the reference backend.
 */
#ifndef RUNT_BACKENDS_COMMON_TENSOR_GEOM_H
#define RUNT_BACKENDS_COMMON_TENSOR_GEOM_H

#include <stdint.h>

#include "runt-backend.h"

/* 1 when a and b have the same rank and dims (no broadcast between them). */
static inline int runt_geom_same_dims(const runt_tensor *a, const runt_tensor *b)
{
    if (a->ndim != b->ndim)
        return 0;
    for (int d = 0; d < a->ndim; d++)
        if (a->dims[d] != b->dims[d])
            return 0;
    return 1;
}

/* MatMul broadcasting: element strides of t's matrices along the output's nb
 * batch dims; the last `mat` dims of t are the matrix (1 for a 1-D operand).
 * A batch dim t lacks or holds as 1 gets stride 0, so one matrix serves every
 * index there. */
static inline void runt_geom_batch_strides(const runt_tensor *t, int mat, int nb,
                                           int64_t *strides)
{
    int64_t step = 1;
    for (int d = t->ndim - mat; d < t->ndim; d++)
        step *= t->dims[d];
    int lead = nb - (t->ndim - mat); /* batch dims t lacks */
    for (int d = nb - 1; d >= 0; d--) {
        int64_t dim = d >= lead ? t->dims[d - lead] : 1;
        strides[d] = dim == 1 ? 0 : step;
        step *= dim;
    }
}

/* Offsets into A and B of batch bi of a broadcast product whose output has
 * the nb batch dims `dims` (row-major), from runt_geom_batch_strides'
 * strides sa and sb. */
static inline void runt_geom_batch_offsets(const int64_t *dims, int nb, int64_t bi,
                                           const int64_t *sa, const int64_t *sb,
                                           int64_t *off_a, int64_t *off_b)
{
    int64_t rest = bi;
    *off_a = *off_b = 0;
    for (int d = nb - 1; d >= 0; d--) {
        int64_t at = rest % dims[d];
        rest /= dims[d];
        *off_a += at * sa[d];
        *off_b += at * sb[d];
    }
}

/* MatMul y = a · b with NumPy broadcasting: n_batch products of [m, k] by
 * [k, n] over the output's nb batch dims, operand strides sa and sb per
 * batch dim (0 where an operand broadcasts). */
typedef struct runt_geom_matmul {
    int64_t m, n, k, n_batch;
    int nb;
    int64_t sa[RUNT_MAX_DIMS], sb[RUNT_MAX_DIMS];
} runt_geom_matmul;

static inline runt_geom_matmul runt_geom_matmul_of(const runt_tensor *a, const runt_tensor *b,
                                                   const runt_tensor *y)
{
    runt_geom_matmul g;
    int mat_a = a->ndim >= 2 ? 2 : 1, mat_b = b->ndim >= 2 ? 2 : 1;
    g.k = a->dims[a->ndim - 1];
    g.m = mat_a == 2 ? a->dims[a->ndim - 2] : 1;
    g.n = mat_b == 2 ? b->dims[b->ndim - 1] : 1;
    g.nb = a->ndim - mat_a > b->ndim - mat_b ? a->ndim - mat_a : b->ndim - mat_b;
    g.n_batch = 1;
    for (int d = 0; d < g.nb; d++)
        g.n_batch *= y->dims[d];
    runt_geom_batch_strides(a, mat_a, g.nb, g.sa);
    runt_geom_batch_strides(b, mat_b, g.nb, g.sb);
    return g;
}

#endif /* RUNT_BACKENDS_COMMON_TENSOR_GEOM_H */
