/*
 * Which Gemm / MatMul nodes run int8, decided once for the CPU backend
 * (cpu_int8.c) and the CUDA backend (cuda_nodes.c): each had its own copy,
 * and an int8 session must quantize the same layers on both, or their
 * results differ by more than the int8 error bound. Each backend adds only
 * its own limits (its scratch, its kernels) on top. Header-only, like
 * tensor_geom.h, so no backend gains a link dependency.
 */
#ifndef RUNT_BACKENDS_COMMON_Q8_LAYERS_H
#define RUNT_BACKENDS_COMMON_Q8_LAYERS_H

#include <stdint.h>

#include "runt-backend.h"

/* A Linear layer: y[m, n] = x[m, k] W (+ bias), W constant. */
typedef struct runt_q8_layer_linear {
    int64_t m, n, k;
    int trans;       /* 1: W is stored [k][n] (Gemm with trans_b 0, MatMul) */
    const float *w;  /* the constant weight as stored */
} runt_q8_layer_linear;

/* 1 and *s filled when Gemm / MatMul node i is a Linear the int8 kernels
 * take: W constant and at most 2-D (a batch of weights stays f32), a Gemm
 * with alpha 1, A not transposed and a bias that is one row, and a depth
 * the int32 accumulators hold (RUNT_QW_MAX_K). 0: the node stays f32. The
 * rank checks only refuse plans no valid model makes (a Gemm operand that
 * is not 2-D, a 0-D MatMul operand), where the dims read would be out of
 * bounds. */
static inline int runt_q8_linear_shape(const runt_plan *p, int i, runt_q8_layer_linear *s)
{
    const runt_plan_node *node = &p->nodes[i];
    const runt_plan_value *va = runt_plan_node_input(p, i, 0);
    const runt_plan_value *vb = runt_plan_node_input(p, i, 1);
    const runt_plan_value *vc = runt_plan_node_input(p, i, 2);
    const runt_tensor *ty = &p->values[node->outputs[0]].desc;
    if (!vb || vb->storage != RUNT_STORE_CONSTANT)
        return 0;
    if (node->op == RUNT_OP_GEMM) {
        const runt_gemm_attrs *g = &node->attrs.gemm;
        int row_c = !vc || (vc->storage == RUNT_STORE_CONSTANT &&
                            runt_tensor_count(&vc->desc) == ty->dims[1] &&
                            (vc->desc.ndim == 1 || (vc->desc.ndim == 2 && vc->desc.dims[0] == 1)));
        if (g->trans_a || g->alpha != 1.0f || !row_c || va->desc.ndim != 2)
            return 0;
        s->m = ty->dims[0], s->n = ty->dims[1], s->k = va->desc.dims[1];
        s->trans = !g->trans_b; /* B [K, N] is W stored transposed */
    } else {
        const runt_tensor *tb = &vb->desc, *ta = &va->desc;
        if (tb->ndim > 2 || tb->ndim < 1 || ta->ndim < 1)
            return 0;
        s->k = ta->dims[ta->ndim - 1];
        s->n = tb->ndim == 2 ? tb->dims[1] : 1;
        s->m = runt_tensor_count(ty) / (s->n ? s->n : 1);
        s->trans = tb->ndim == 2;
    }
    s->w = vb->data;
    return s->k > 0 && s->k <= RUNT_QW_MAX_K;
}

#endif /* RUNT_BACKENDS_COMMON_Q8_LAYERS_H */
