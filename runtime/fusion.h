/*
 * Graph rewrites that save memory traffic and dispatches without changing
 * results beyond float rounding:
 *   MatMul(x, W) + Add(bias)          -> Gemm(x, W, bias)   (W, bias constant, x 2-D)
 *   Gemm or Conv  + activation        -> Gemm/Conv with the activation as epilogue
 * A rewrite applies only where the intermediate value has no other reader and
 * is not a graph output. Removed nodes are marked and later compacted when
 * the plan is made (plan.c); the values they wrote become unused.
 */
#ifndef RUNT_FUSION_H
#define RUNT_FUSION_H

#include "runt-backend.h"

/* removed[i] is set for every plan node folded into another. consumers is
 * scratch of plan->n_values ints. Returns the number of rewrites. */
int runt_fuse(runt_plan *plan, int *removed, int *consumers);

#endif /* RUNT_FUSION_H */
