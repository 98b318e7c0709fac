/*
 * Which Gemm nodes run as one fused chain kernel (cuda_lowering.h), decided on
 * the host from the plan alone, so it is tested without a GPU.
 *
 * Why: a small Linear at batch 1 costs two launches (cuBLAS, then the bias
 * and activation epilogue) of ~1.6 µs each inside a replayed graph on an
 * H200, while its arithmetic takes nanoseconds; a ten-layer MLP of width 100
 * spends its whole 36 µs launching. One kernel per chain removes all but one
 * launch, and keeps the activations on chip between layers.
 */
#include <string.h>

#include "cuda_lowering.h"

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

/* Rounds a float count up to 4 floats (16 bytes), so every region of a
 * block's shared memory starts aligned for vector access. */
static int64_t round4(int64_t floats) { return (floats + 3) & ~(int64_t)3; }

/* Node i as a chain layer, if it can be one: an f32 Gemm with x [rows][k]
 * (not transposed), a constant weight and a constant C that broadcasts
 * along the rows ([N] or [1, N]) or none. */
static int as_layer(const runt_plan *p, const runt_cuda_node *nodes, int i,
                    runt_cuda_chain_layer *l, int64_t *rows)
{
    const runt_plan_node *pn = &p->nodes[i];
    const runt_cuda_node *n = &nodes[i];
    if (n->kind != RUNT_CUDA_K_GEMM || pn->op != RUNT_OP_GEMM || pn->attrs.gemm.trans_a)
        return 0;
    int xv = pn->inputs[0], wv = pn->inputs[1], cv = pn->n_inputs > 2 ? pn->inputs[2] : -1;
    int yv = pn->outputs[0];
    if (xv < 0 || wv < 0 || yv < 0 || p->values[wv].storage != RUNT_STORE_CONSTANT)
        return 0;
    const runt_tensor *x = &p->values[xv].desc, *y = &p->values[yv].desc;
    if (x->dtype != RUNT_F32 || x->ndim != 2 || y->ndim != 2 || p->values[wv].desc.dtype != RUNT_F32)
        return 0;
    /* C read as c[j]: [N] or [1, N] (c_col 1), or one element when N is 1. */
    if (cv >= 0 && (p->values[cv].storage != RUNT_STORE_CONSTANT || n->epilogue.c_row != 0 ||
                    (n->epilogue.c_col != 1 && y->dims[1] != 1)))
        return 0;
    *rows = x->dims[0];
    l->k = (int32_t)(x->dims[1] < INT32_MAX ? x->dims[1] : 0);
    l->n = (int32_t)(y->dims[1] < INT32_MAX ? y->dims[1] : 0);
    if (*rows < 1 || *rows > RUNT_CUDA_CHAIN_MAX_ROWS || l->k < 1 || l->n < 1 ||
        l->k > RUNT_CUDA_CHAIN_MAX_WIDTH || l->n > RUNT_CUDA_CHAIN_MAX_N)
        return 0;
    l->w = NULL;
    l->c = NULL;
    l->w_kn = !pn->attrs.gemm.trans_b;
    l->alpha = pn->attrs.gemm.alpha;
    l->beta = cv >= 0 ? pn->attrs.gemm.beta : 0.0f;
    l->act = pn->attrs.gemm.epilogue;
    l->rows_per_block = (int32_t)ceil_div(l->n, RUNT_CUDA_CHAIN_BLOCKS);
    return 1;
}

/* Node j continues the chain whose last layer is node j - 1: it reads that
 * layer's output, which nothing else reads and the caller does not get. */
static int continues(const runt_plan *p, int j)
{
    int v = p->nodes[j - 1].outputs[0];
    return p->nodes[j].inputs[0] == v && p->values[v].last_use == j &&
           p->values[v].output_index < 0;
}

/* Shared memory of a chain of `layers` (w_smem filled in on the way):
 * every layer's block rows, then two activation buffers. */
static int64_t chain_smem_bytes(runt_cuda_chain *c)
{
    int64_t floats = 0, width = 0;
    for (int l = 0; l < c->n_layers; l++) {
        runt_cuda_chain_layer *L = &c->layer[l];
        L->w_smem = (uint32_t)floats;
        floats += round4((int64_t)L->rows_per_block * L->k);
        width = L->k > width ? L->k : width;
        width = L->n > width ? L->n : width;
    }
    c->act_smem = (uint32_t)floats;
    c->max_width = (uint32_t)round4(width);
    floats += 2 * (int64_t)c->rows * c->max_width;
    return floats * (int64_t)sizeof(float);
}

int runt_cuda_plan_chains(const runt_plan *plan, runt_cuda_node *nodes, int sm)
{
    if (sm < RUNT_CUDA_CHAIN_MIN_SM || plan->math != RUNT_MATH_F32)
        return 0;
    int chains = 0;
    for (int i = 0; i < plan->n_nodes;) {
        runt_cuda_chain c;
        int64_t rows = 0;
        memset(&c, 0, sizeof c);
        c.blocks = RUNT_CUDA_CHAIN_BLOCKS;
        if (!as_layer(plan, nodes, i, &c.layer[0], &rows)) {
            i++;
            continue;
        }
        c.rows = (int32_t)rows;
        c.n_layers = 1;
        int64_t bytes = chain_smem_bytes(&c);
        if (bytes > (int64_t)RUNT_CUDA_CHAIN_SMEM_MAX) {
            i++;
            continue;
        }
        /* Grow while the next node continues the chain and everything fits. */
        while (i + c.n_layers < plan->n_nodes && c.n_layers < RUNT_CUDA_CHAIN_MAX_LAYERS) {
            int j = i + c.n_layers;
            int64_t r;
            runt_cuda_chain grown = c;
            if (!continues(plan, j) || !as_layer(plan, nodes, j, &grown.layer[c.n_layers], &r) ||
                r != rows)
                break;
            grown.n_layers++;
            int64_t b = chain_smem_bytes(&grown);
            if (b > (int64_t)RUNT_CUDA_CHAIN_SMEM_MAX)
                break;
            c = grown;
            bytes = b;
        }
        /* One Gemm with nothing after its product is one launch already. */
        if (c.n_layers == 1 && !nodes[i].has_epilogue) {
            i++;
            continue;
        }
        c.smem_bytes = (uint32_t)bytes;
        nodes[i].kind = RUNT_CUDA_K_CHAIN;
        nodes[i].has_epilogue = 0;
        nodes[i].k.chain = c;
        for (int l = 1; l < c.n_layers; l++)
            nodes[i + l].kind = RUNT_CUDA_K_CHAINED;
        chains++;
        i += c.n_layers;
    }
    return chains;
}
