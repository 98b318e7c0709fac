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

#endif /* RUNT_BACKENDS_COMMON_TENSOR_GEOM_H */
