/*
 * Per node: the kernel choice made at prepare, and the run. Gemm and MatMul
 * become runt_cpu_gemm descriptions here; Conv lives in cpu_conv.c; other
 * ops run the reference kernel, on slices in parallel where that pays
 * (cpu_sliced.c).
 */
#include <string.h>

#include "common/tensor_geom.h"
#include "cpu_impl.h"
#include "ref/ref_impl.h"

static int all_f32(const runt_plan *p, int i)
{
    const runt_plan_node *n = &p->nodes[i];
    for (int j = 0; j < n->n_inputs; j++)
        if (n->inputs[j] >= 0 && p->values[n->inputs[j]].desc.dtype != RUNT_F32)
            return 0;
    for (int j = 0; j < n->n_outputs; j++)
        if (n->outputs[j] >= 0 && p->values[n->outputs[j]].desc.dtype != RUNT_F32)
            return 0;
    return 1;
}

static const float *value_ptr(const runt_plan *p, const runt_bindings *b, const runt_plan_value *v)
{
    return b ? runt_plan_value_ptr(p, b, (int)(v - p->values)) : v->data;
}

/* ------------------------------------------------------------------------ */
/* Gemm                                                                     */
/* ------------------------------------------------------------------------ */

/* C as a row of N: [N] or [1, N] (what fusion makes of a Linear's bias). */
static int c_is_row(const runt_plan_value *c, int64_t n)
{
    const runt_tensor *d = &c->desc;
    return (d->ndim == 1 && d->dims[0] == n) || (d->ndim == 2 && d->dims[0] == 1 && d->dims[1] == n);
}

/* The product part of node i's Gemm: operands, shapes, strides (b may be
 * NULL at prepare: then only constant data are filled in). */
static runt_cpu_gemm gemm_describe(const runt_plan *p, int i, const runt_bindings *b)
{
    const runt_gemm_attrs *ga = &p->nodes[i].attrs.gemm;
    const runt_plan_value *va = runt_plan_node_input(p, i, 0), *vb = runt_plan_node_input(p, i, 1);
    const runt_plan_value *vy = &p->values[p->nodes[i].outputs[0]];
    runt_cpu_gemm g;
    memset(&g, 0, sizeof g);
    g.m = vy->desc.dims[0];
    g.n = vy->desc.dims[1];
    g.k = ga->trans_a ? va->desc.dims[0] : va->desc.dims[1];
    g.a = value_ptr(p, b, va);
    g.a_rs = ga->trans_a ? 1 : g.k;
    g.a_cs = ga->trans_a ? g.m : 1;
    g.b = value_ptr(p, b, vb);
    g.b_rs = ga->trans_b ? 1 : g.n;
    g.b_cs = ga->trans_b ? g.k : 1;
    g.alpha = ga->alpha;
    g.c = b ? runt_plan_value_ptr(p, b, p->nodes[i].outputs[0]) : NULL;
    g.ldc = g.n;
    g.epilogue = ga->epilogue;
    return g;
}

typedef struct pack_b_job {
    const runt_cpu_gemm *g;
    const float *b;
} pack_b_job;

static runt_status pack_b_fill(void *ctx, void *dst, size_t bytes)
{
    const pack_b_job *j = ctx;
    (void)bytes;
    runt_cpu_pack_b(j->b, j->g->b_rs, j->g->b_cs, j->g->k, j->g->n, dst);
    return RUNT_OK;
}

/* A constant B the packed GEMM reads in its own layout: packed once per
 * model into cn->packed, which g then reads. Anything else stays as stored. */
static runt_status pack_constant_b(runt_cpu_state *st, const runt_plan *p,
                                   const runt_plan_value *vb, runt_cpu_gemm *g, runt_cpu_node *cn)
{
    if (cn->impl != RUNT_CPU_GEMM_PACKED || vb->storage != RUNT_STORE_CONSTANT ||
        runt_cpu_packed_reads_b_as_stored(g))
        return RUNT_OK;
    pack_b_job job = {g, vb->data};
    const int64_t key[6] = {g->k, g->n, g->b_rs, g->b_cs};
    runt_status s = runt_cpu_weights_share(st, p, vb->data, RUNT_CPU_W_GEMM_B, key,
                                           runt_cpu_pack_b_floats(g->k, g->n) * sizeof(float),
                                           pack_b_fill, &job, (void **)&cn->packed);
    if (s != RUNT_OK)
        return s;
    g->b_packed = cn->packed;
    return RUNT_OK;
}

static runt_status gemm_prepare(runt_cpu_state *st, const runt_plan *p, int i, runt_cpu_node *cn)
{
    const runt_plan_value *vb = runt_plan_node_input(p, i, 1), *vc = runt_plan_node_input(p, i, 2);
    const runt_gemm_attrs *ga = &p->nodes[i].attrs.gemm;
    runt_cpu_gemm g = gemm_describe(p, i, NULL);
    cn->kind = RUNT_CPU_K_GEMM;
    runt_status s = pack_constant_b(st, p, vb, &g, cn);
    if (s != RUNT_OK)
        return s;
    /* A constant bias row with beta != 1 is scaled once here. */
    if (vc && vc->storage == RUNT_STORE_CONSTANT && c_is_row(vc, g.n) && ga->beta != 1.0f) {
        cn->bias = runt_cpu_alloc_weights(st, (size_t)(g.n > 0 ? g.n : 1) * sizeof(float));
        if (!cn->bias)
            return runt_error_set(RUNT_E_OOM, "out of memory for the bias");
        for (int64_t j = 0; j < g.n; j++)
            cn->bias[j] = ga->beta * ((const float *)vc->data)[j];
    }
    cn->scratch_floats = runt_cpu_sgemm_scratch_floats(&g, cn->impl, st->threads);
    return RUNT_OK;
}

typedef struct fill_c_loop {
    const runt_cpu_gemm *g;
    const float *cd;
    float beta;
    int64_t rs, cs; /* C's strides as broadcast: 0 along a dimension of 1 */
} fill_c_loop;

static void fill_c_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    const fill_c_loop *l = ctx;
    const runt_cpu_gemm *g = l->g;
    (void)slot;
    for (int64_t i = lo; i < hi; i++)
        for (int64_t j = 0; j < g->n; j++)
            g->c[i * g->ldc + j] = l->beta * l->cd[i * l->rs + j * l->cs];
}

/* Y = beta * C broadcast to [M, N] (ONNX Gemm: C is [], [1], [N], [1, N],
 * [M, 1] or [M, N]), before the product is added. */
static void gemm_fill_c(const runt_cpu_gemm *g, const runt_tensor *c, const float *cd, float beta,
                        int threads)
{
    int64_t rows = c->ndim >= 2 ? c->dims[c->ndim - 2] : 1;
    int64_t cols = c->ndim >= 1 ? c->dims[c->ndim - 1] : 1;
    fill_c_loop l = {g, cd, beta, rows == 1 ? 0 : cols, cols == 1 ? 0 : 1};
    runt_cpu_parallel(runt_cpu_pass_threads((double)g->m * (double)g->n, threads), g->m, 0,
                      fill_c_body, &l);
}

static void gemm_run(const runt_cpu_state *st, const runt_plan *p, int i, const runt_bindings *b)
{
    const runt_cpu_node *cn = &st->nodes[i];
    const runt_plan_value *vc = runt_plan_node_input(p, i, 2);
    float beta = p->nodes[i].attrs.gemm.beta;
    runt_cpu_gemm g = gemm_describe(p, i, b);
    g.b_packed = cn->packed;
    if (vc) {
        const float *cd = runt_plan_value_ptr(p, b, (int)(vc - p->values));
        if (cn->bias || (c_is_row(vc, g.n) && beta == 1.0f)) {
            g.init = RUNT_CPU_INIT_ROW;
            g.bias = cn->bias ? cn->bias : cd;
        } else {
            gemm_fill_c(&g, &vc->desc, cd, beta, st->threads);
            g.init = RUNT_CPU_INIT_C;
        }
    }
    g.map = st->map;
    runt_cpu_sgemm(&g, cn->impl, st->threads, runt_cpu_scratch(b));
}

/* ------------------------------------------------------------------------ */
/* MatMul (numpy semantics: 1-D operands, broadcast batch dims)             */
/* ------------------------------------------------------------------------ */

typedef struct matmul_geom {
    runt_geom_matmul g;
    int64_t m, n, k, n_batch;
    int b_flat;                       /* B has no batch: one GEMM         */
} matmul_geom;

static matmul_geom matmul_geometry(const runt_plan *p, int i)
{
    const runt_tensor *ta = &runt_plan_node_input(p, i, 0)->desc, *tb = &runt_plan_node_input(p, i, 1)->desc;
    const runt_tensor *ty = &p->values[p->nodes[i].outputs[0]].desc;
    matmul_geom mg;
    mg.g = runt_geom_matmul_of(ta, tb, ty);
    mg.m = mg.g.m, mg.n = mg.g.n, mg.k = mg.g.k, mg.n_batch = mg.g.n_batch;
    /* B with no batch of its own: A's batch is the output's and A is dense,
     * so the batches stack into one [n_batch * m, K] product. */
    mg.b_flat = 1;
    for (int d = 0; d < mg.g.nb; d++)
        mg.b_flat &= mg.g.sb[d] == 0;
    return mg;
}

static runt_cpu_gemm matmul_gemm(const matmul_geom *mg, const float *a, const float *b, float *y)
{
    runt_cpu_gemm g;
    memset(&g, 0, sizeof g);
    g.m = mg->b_flat ? mg->n_batch * mg->m : mg->m;
    g.n = mg->n;
    g.k = mg->k;
    g.a = a;
    g.a_rs = mg->k;
    g.a_cs = 1;
    g.b = b;
    g.b_rs = mg->n;
    g.b_cs = 1;
    g.alpha = 1.0f;
    g.c = y;
    g.ldc = mg->n;
    return g;
}

static runt_status matmul_prepare(runt_cpu_state *st, const runt_plan *p, int i, runt_cpu_node *cn)
{
    const runt_plan_value *vb = runt_plan_node_input(p, i, 1);
    matmul_geom mg = matmul_geometry(p, i);
    runt_cpu_gemm g = matmul_gemm(&mg, NULL, vb->data, NULL);
    cn->kind = RUNT_CPU_K_MATMUL;
    if (mg.b_flat) {
        runt_status s = pack_constant_b(st, p, vb, &g, cn);
        if (s != RUNT_OK)
            return s;
    }
    cn->scratch_floats = runt_cpu_sgemm_scratch_floats(&g, cn->impl, st->threads);
    return RUNT_OK;
}

static void matmul_run(const runt_cpu_state *st, const runt_plan *p, int i, const runt_bindings *b)
{
    const runt_cpu_node *cn = &st->nodes[i];
    const runt_plan_node *n = &p->nodes[i];
    const float *a = runt_plan_value_ptr(p, b, n->inputs[0]);
    const float *bd = runt_plan_value_ptr(p, b, n->inputs[1]);
    float *y = runt_plan_value_ptr(p, b, n->outputs[0]);
    const runt_tensor *ty = &p->values[n->outputs[0]].desc;
    matmul_geom mg = matmul_geometry(p, i);
    if (mg.b_flat) {
        runt_cpu_gemm g = matmul_gemm(&mg, a, bd, y);
        g.b_packed = cn->packed;
        g.map = st->map;
        runt_cpu_sgemm(&g, cn->impl, st->threads, runt_cpu_scratch(b));
        return;
    }
    for (int64_t bi = 0; bi < mg.n_batch; bi++) {
        int64_t off_a, off_b;
        runt_geom_batch_offsets(ty->dims, mg.g.nb, bi, mg.g.sa, mg.g.sb, &off_a, &off_b);
        runt_cpu_gemm g = matmul_gemm(&mg, a + off_a, bd + off_b, y + bi * mg.m * mg.n);
        g.map = st->map;
        runt_cpu_sgemm(&g, cn->impl, st->threads, runt_cpu_scratch(b));
    }
}

/* ------------------------------------------------------------------------ */
/* Dispatch                                                                 */
/* ------------------------------------------------------------------------ */

runt_status runt_cpu_node_prepare(runt_cpu_state *st, const runt_plan *p, int i,
                                  runt_cpu_gemm_impl impl)
{
    runt_cpu_node *cn = &st->nodes[i];
    cn->kind = RUNT_CPU_K_REF;
    cn->impl = impl;
    if (runt_plan_node_quantized(p, i))
        return runt_cpu_qlayer_prepare(st, p, i);
    if (!all_f32(p, i))
        return RUNT_OK; /* the reference kernel reports what it cannot do */
    if (p->compute_dtype == RUNT_I8) {
        int taken = 0;
        runt_status s = runt_cpu_int8_prepare(st, p, i, &taken);
        if (s != RUNT_OK || taken)
            return s;
    }
    switch (p->nodes[i].op) {
    case RUNT_OP_GEMM: return gemm_prepare(st, p, i, cn);
    case RUNT_OP_MATMUL: return matmul_prepare(st, p, i, cn);
    case RUNT_OP_CONV:
        if (runt_cpu_conv_as_gemm(p, i, 0))
            return runt_cpu_conv_prepare(st, p, i);
        break;
    default: break;
    }
    if (runt_cpu_map_fits(p, i))
        cn->kind = RUNT_CPU_K_MAP;
    else if (runt_cpu_sliceable(p, i, st->threads, &cn->slicing, &cn->units))
        cn->kind = RUNT_CPU_K_SLICED;
    return RUNT_OK;
}

runt_status runt_cpu_node_run(const runt_cpu_state *st, const runt_plan *p, int i,
                              const runt_bindings *b)
{
    switch (st->nodes[i].kind) {
    case RUNT_CPU_K_GEMM: gemm_run(st, p, i, b); return RUNT_OK;
    case RUNT_CPU_K_MATMUL: matmul_run(st, p, i, b); return RUNT_OK;
    case RUNT_CPU_K_CONV: return runt_cpu_conv_run(st, p, i, b);
    case RUNT_CPU_K_CONV_DIRECT: return runt_cpu_conv_direct_run(st, p, i, b);
    case RUNT_CPU_K_SLICED: return runt_cpu_sliced_run(st, p, i, b);
    case RUNT_CPU_K_MAP: return runt_cpu_map_run(st, p, i, b);
    case RUNT_CPU_K_Q8_LINEAR:
    case RUNT_CPU_K_Q8_CONV:
    case RUNT_CPU_K_Q8_CONV_DIRECT: return runt_cpu_int8_run(st, p, i, b);
    case RUNT_CPU_K_REF:
    default: return runt_ref_run_node(p, i, b);
    }
}
