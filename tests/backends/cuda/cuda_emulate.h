/*
 * A host emulation of what the CUDA backend enqueues, to test on machines
 * without a GPU everything about it that is not the GPU: the plan of each
 * node (cuda_nodes.c), its kernel records, the cuBLAS / cuBLASLt call
 * descriptions (read here by a CPU model of cublasGemmStridedBatchedEx's
 * documented semantics), the im2col layout and chunking, the per-call
 * offsets of broadcast MatMuls, the int8 pipeline and its packed weights.
 *
 * Element-wise kinds call the same cuda_elem.h functions the kernels call;
 * reductions and GEMMs are computed here by their definition. The run order
 * and the buffers mirror backends/cuda/cuda_run.c.
 */
#ifndef CUDA_EMULATE_H
#define CUDA_EMULATE_H

#include <stdlib.h>
#include <string.h>

#include "cuda/cuda_elem.h"
#include "cuda/cuda_lowering.h"
#include "plan.h"
#include "rt_test.h"

typedef struct emu {
    runt_plan *plan;
    runt_cuda_node *nodes;
    char *arena;
    void **packs;            /* per int8 node: q | scale | row_sum | bias */
    char *scratch;
} emu;

/* ---- the CPU model of cuBLAS (column-major, cuda_params.h) ---- */

static inline double emu_op(const float *x, int t, int64_t ld, int64_t r, int64_t c)
{
    return t ? x[c + r * ld] : x[r + c * ld];
}

static void emu_sgemm(const runt_cuda_gemm_desc *d, const float *a, const float *b, float *c)
{
    for (int64_t bt = 0; bt < d->batch; bt++)
        for (int64_t j = 0; j < d->n; j++)
            for (int64_t i = 0; i < d->m; i++) {
                double acc = 0.0;
                for (int64_t p = 0; p < d->k; p++)
                    acc += emu_op(a + bt * d->stride_a, d->op_a, d->lda, i, p) *
                           emu_op(b + bt * d->stride_b, d->op_b, d->ldb, p, j);
                float *out = c + bt * d->stride_c + i + j * d->ldc;
                *out = (float)(d->alpha * acc + (d->beta != 0.0f ? d->beta * *out : 0.0));
            }
}

static void emu_igemm(const runt_cuda_gemm_desc *d, const int8_t *a, const int8_t *b, int32_t *c)
{
    for (int64_t j = 0; j < d->n; j++)
        for (int64_t i = 0; i < d->m; i++) {
            int32_t acc = 0;
            for (int64_t p = 0; p < d->k; p++) {
                int32_t va = d->op_a ? a[p + i * d->lda] : a[i + p * d->lda];
                int32_t vb = d->op_b ? b[j + p * d->ldb] : b[p + j * d->ldb];
                acc += va * vb;
            }
            c[i + j * d->ldc] = acc;
        }
}

/* ---- buffers ---- */

static void *emu_value(const emu *e, int v)
{
    if (v < 0)
        return NULL;
    const runt_plan_value *pv = &e->plan->values[v];
    if (pv->storage == RUNT_STORE_CONSTANT)
        return (void *)pv->data;
    return pv->storage == RUNT_STORE_ARENA ? e->arena + pv->offset : NULL;
}

static void *emu_in(const emu *e, int i, int j)
{
    const runt_plan_node *n = &e->plan->nodes[i];
    return j < n->n_inputs ? emu_value(e, n->inputs[j]) : NULL;
}

static void *emu_out(const emu *e, int i, int j)
{
    const runt_plan_node *n = &e->plan->nodes[i];
    return j < n->n_outputs ? emu_value(e, n->outputs[j]) : NULL;
}

/* ---- reductions, by definition ---- */

static void emu_softmax(runt_cuda_softmax k)
{
    for (int64_t l = 0; l < k.outer * k.inner; l++) {
        int64_t base = (l / k.inner) * k.len * k.inner + l % k.inner;
        float m = k.x[base], s = 0.0f;
        for (int64_t t = 1; t < k.len; t++)
            m = k.x[base + t * k.inner] > m ? k.x[base + t * k.inner] : m;
        for (int64_t t = 0; t < k.len; t++) {
            k.y[base + t * k.inner] = expf(k.x[base + t * k.inner] - m);
            s += k.y[base + t * k.inner];
        }
        for (int64_t t = 0; t < k.len; t++)
            k.y[base + t * k.inner] *= 1.0f / s;
    }
}

static void emu_layer_norm(runt_cuda_layer_norm k)
{
    for (int64_t r = 0; r < k.outer; r++) {
        const float *x = k.x + r * k.block;
        float *y = k.y + r * k.block, s = 0.0f, sq = 0.0f;
        for (int64_t i = 0; i < k.block; i++)
            s += x[i];
        float mean = s / (float)k.block;
        for (int64_t i = 0; i < k.block; i++)
            sq += (x[i] - mean) * (x[i] - mean);
        float inv_std = 1.0f / sqrtf(sq / (float)k.block + k.epsilon);
        for (int64_t i = 0; i < k.block; i++) {
            int64_t si = k.scale_direct ? i : runt_cuda_ln_param_index(i, k.bdims, k.nd, k.scale_stride);
            float v = (x[i] - mean) * inv_std * k.scale[si];
            if (k.bias)
                v += k.bias[k.bias_direct ? i : runt_cuda_ln_param_index(i, k.bdims, k.nd, k.bias_stride)];
            y[i] = v;
        }
        if (k.mean)
            k.mean[r] = mean;
        if (k.inv_std)
            k.inv_std[r] = inv_std;
    }
}

/* ---- int8 ---- */

/* cuda_int8.cu's range + quantize: rows of ldq bytes from rows x k floats. */
static runt_cuda_q8_scale emu_q8_quantize(const float *x, int64_t count, int64_t rows, int64_t k,
                                          int64_t ldq, int8_t *q)
{
    float lo = 0.0f, hi = 0.0f;
    for (int64_t i = 0; i < count; i++)
        runt_cuda_q8_extend(x[i], &lo, &hi);
    runt_cuda_q8_scale s = runt_cuda_q8_params(lo, hi);
    for (int64_t i = 0; i < rows * ldq; i++)
        q[i] = i % ldq < k ? runt_cuda_q8_quantize_one(x[(i / ldq) * k + i % ldq], s) : 0;
    return s;
}

static runt_cuda_q8_weights emu_q8_weights(const emu *e, int i, const float *bias)
{
    const runt_cuda_node *n = &e->nodes[i];
    int8_t *q = e->packs[i];
    float *scale = (float *)(q + n->q8_n * n->q8_k_pad);
    runt_cuda_q8_weights w;
    w.q = q;
    w.scale = scale;
    w.row_sum = (const int32_t *)(scale + n->q8_n);
    w.bias = bias;
    w.n = n->q8_n, w.k = n->q8_k, w.k_pad = n->q8_k_pad;
    return w;
}

/* Either engine: the dp4a kernel's word-wise dot, or the cuBLASLt product
 * read through its description. */
static void emu_q8_product(const emu *e, int i, const int8_t *x, runt_cuda_q8_weights w,
                           runt_cuda_q8_scale s)
{
    const runt_cuda_node *n = &e->nodes[i];
    runt_cuda_q8_out o = n->q8_out;
    o.y = emu_out(e, i, 0);
    int32_t *acc = malloc((size_t)(n->q8_rows * n->q8_ldacc + 1) * sizeof(int32_t));
    if (n->q8_engine == RUNT_CUDA_Q8_LT)
        emu_igemm(&n->gemm, w.q, x, acc);
    for (int64_t r = 0; r < n->q8_rows; r++)
        for (int64_t j = 0; j < w.n; j++) {
            int32_t a = 0;
            if (n->q8_engine == RUNT_CUDA_Q8_LT) {
                a = acc[r * n->q8_ldacc + j];
            } else {
                const uint8_t *xr = (const uint8_t *)(x + r * w.k_pad);
                const uint8_t *wr = (const uint8_t *)(w.q + j * w.k_pad);
                for (int64_t t = 0; t < w.k_pad; t += 4) {
                    uint32_t xw = 0, ww = 0;
                    for (int b = 0; b < 4; b++) {
                        xw |= (uint32_t)xr[t + b] << (8 * b);
                        ww |= (uint32_t)wr[t + b] << (8 * b);
                    }
                    a = runt_cuda_dp4a((int32_t)xw, (int32_t)ww, a);
                }
            }
            o.y[runt_cuda_q8_out_index(&o, r, j)] = runt_cuda_q8_finish(a, j, &w, s, n->q8_act);
        }
    free(acc);
}

static void emu_q8(const emu *e, int i)
{
    const runt_cuda_node *n = &e->nodes[i];
    const float *x = emu_in(e, i, 0);
    int conv = n->kind == RUNT_CUDA_K_Q8_CONV;
    int64_t rows = conv ? 1 : n->q8_rows, k = conv ? n->q8_x_count : n->q8_k;
    int64_t ldq = conv ? n->q8_x_count : n->q8_k_pad;
    int8_t *xq = (int8_t *)(e->scratch + n->sc_xq);
    runt_cuda_q8_scale s = emu_q8_quantize(x, n->q8_x_count, rows, k, ldq, xq);
    const float *bias = conv ? emu_in(e, i, 2)
                      : n->q8_has_bias ? (const float *)((int8_t *)e->packs[i] + n->q8_n * n->q8_k_pad) + 2 * n->q8_n
                                       : NULL;
    runt_cuda_q8_weights w = emu_q8_weights(e, i, bias);
    if (!conv) {
        emu_q8_product(e, i, xq, w, s);
        return;
    }
    if (n->q8_engine == RUNT_CUDA_Q8_DIRECT) {
        runt_cuda_q8_conv c;
        c.xq = xq, c.w = w, c.x_scale = NULL, c.y = emu_out(e, i, 0);
        c.count = n->conv.n * n->conv.m * n->conv.p;
        c.g = n->conv, c.act = n->q8_act;
        for (int64_t t = 0; t < c.count; t++)
            c.y[t] = runt_cuda_q8_conv_at(&c, t, s);
        return;
    }
    runt_cuda_q8_im2col ic;
    ic.xq = xq, ic.col = (int8_t *)(e->scratch + n->sc_col), ic.scale = NULL;
    ic.ldc = n->q8_k_pad, ic.count = n->q8_rows * n->q8_k_pad, ic.g = n->conv;
    for (int64_t t = 0; t < ic.count; t++)
        ic.col[t] = runt_cuda_q8_im2col_at(&ic, t, s);
    emu_q8_product(e, i, ic.col, w, s);
}

/* ---- f32 products ---- */

static void emu_epilogue(const emu *e, int i, float *y, const float *c)
{
    const runt_cuda_node *n = &e->nodes[i];
    if (!n->has_epilogue)
        return;
    runt_cuda_epilogue k = n->epilogue;
    k.y = y, k.c = c;
    for (int64_t t = 0; t < k.count; t++)
        y[t] = runt_cuda_epilogue_at(&k, t);
}

static void emu_matmul(const emu *e, int i)
{
    const runt_cuda_node *n = &e->nodes[i];
    const float *a = emu_in(e, i, 0), *b = emu_in(e, i, 1);
    float *y = emu_out(e, i, 0);
    for (int bi = 0; bi < n->mm_calls; bi++) {
        int64_t rest = bi, off_a = 0, off_b = 0;
        for (int d = n->mm_rank - 1; n->mm_calls > 1 && d >= 0; d--) {
            int64_t at = rest % n->mm_dims[d];
            rest /= n->mm_dims[d];
            off_a += at * n->mm_sa[d];
            off_b += at * n->mm_sb[d];
        }
        emu_sgemm(&n->gemm, b + off_b, a + off_a, y + (n->mm_calls > 1 ? bi * n->mm_step_y : 0));
    }
}

static void emu_conv_gemm(const emu *e, int i)
{
    const runt_cuda_node *n = &e->nodes[i];
    const runt_cuda_conv_geom *g = &n->conv;
    const float *x = emu_in(e, i, 0), *w = emu_in(e, i, 1);
    float *y = emu_out(e, i, 0), *col = (float *)e->scratch;
    int64_t image_in = g->c * g->h * g->w, image_cols = g->c * g->kh * g->kw * g->p;
    for (int64_t img0 = 0; img0 < g->n; img0 += n->chunk_images) {
        int64_t count = g->n - img0 < n->chunk_images ? g->n - img0 : n->chunk_images;
        const float *cols = x + img0 * image_in;
        if (!n->conv_1x1) {
            RT_ASSERT((size_t)(count * image_cols) * sizeof(float) <= n->scratch,
                      "im2col of %lld images overruns the node's %zu bytes of scratch",
                      (long long)count, n->scratch);
            runt_cuda_im2col ic;
            ic.x = cols, ic.col = col, ic.images = count, ic.count = count * image_cols, ic.g = *g;
            for (int64_t t = 0; t < ic.count; t++)
                col[t] = runt_cuda_im2col_at(&ic, t);
            cols = col;
        }
        if (g->group == 1) {
            runt_cuda_gemm_desc d = n->gemm;
            d.batch = count;
            emu_sgemm(&d, cols, w, y + img0 * g->m * g->p);
        }
        for (int64_t t = 0; g->group > 1 && t < count; t++)
            emu_sgemm(&n->gemm, cols + t * image_cols, w, y + (img0 + t) * g->m * g->p);
    }
    emu_epilogue(e, i, y, emu_in(e, i, 2));
}

/* ---- one node ---- */

#define EMU_MAP(rec, fn, count, out)                 \
    do {                                             \
        for (int64_t t_ = 0; t_ < (count); t_++)     \
            (out)[t_] = fn(&(rec), t_);              \
    } while (0)

static void emu_node(const emu *e, int i)
{
    const runt_cuda_node *n = &e->nodes[i];
    float *y = emu_out(e, i, 0);
    switch (n->kind) {
    case RUNT_CUDA_K_NOP: break;
    case RUNT_CUDA_K_COPY: memmove(y, emu_in(e, i, 0), n->copy_bytes); break;
    case RUNT_CUDA_K_UNARY: {
        runt_cuda_unary k = n->k.unary;
        k.x = emu_in(e, i, 0), k.y = y;
        EMU_MAP(k, runt_cuda_unary_at, k.count, y);
        break;
    }
    case RUNT_CUDA_K_BINARY: {
        runt_cuda_binary k = n->k.binary;
        k.a = emu_in(e, i, 0), k.b = emu_in(e, i, 1), k.y = y;
        EMU_MAP(k, runt_cuda_binary_at, k.count, y);
        break;
    }
    case RUNT_CUDA_K_BATCH_NORM: {
        runt_cuda_batch_norm k = n->k.batch_norm;
        k.x = emu_in(e, i, 0), k.scale = emu_in(e, i, 1), k.bias = emu_in(e, i, 2);
        k.mean = emu_in(e, i, 3), k.var = emu_in(e, i, 4), k.y = y;
        EMU_MAP(k, runt_cuda_batch_norm_at, k.count, y);
        break;
    }
    case RUNT_CUDA_K_POOL: {
        runt_cuda_pool k = n->k.pool;
        k.x = emu_in(e, i, 0), k.y = y;
        EMU_MAP(k, runt_cuda_pool_at, k.count, y);
        break;
    }
    case RUNT_CUDA_K_PAD: {
        runt_cuda_pad k = n->k.pad;
        k.x = emu_in(e, i, 0), k.y = y;
        EMU_MAP(k, runt_cuda_pad_at, k.count, y);
        break;
    }
    case RUNT_CUDA_K_CONV_DIRECT: {
        runt_cuda_conv_direct k = n->k.conv_direct;
        k.x = emu_in(e, i, 0), k.w = emu_in(e, i, 1), k.bias = emu_in(e, i, 2), k.y = y;
        EMU_MAP(k, runt_cuda_conv_direct_at, k.count, y);
        break;
    }
    case RUNT_CUDA_K_SOFTMAX: {
        runt_cuda_softmax k = n->k.softmax;
        k.x = emu_in(e, i, 0), k.y = y;
        emu_softmax(k);
        break;
    }
    case RUNT_CUDA_K_LAYER_NORM: {
        runt_cuda_layer_norm k = n->k.layer_norm;
        k.x = emu_in(e, i, 0), k.scale = emu_in(e, i, 1), k.bias = emu_in(e, i, 2), k.y = y;
        k.mean = emu_out(e, i, 1), k.inv_std = emu_out(e, i, 2);
        emu_layer_norm(k);
        break;
    }
    case RUNT_CUDA_K_GLOBAL_POOL: {
        runt_cuda_global_pool k = n->k.global_pool;
        const float *x = emu_in(e, i, 0);
        for (int64_t p = 0; p < k.planes; p++) {
            float s = 0.0f;
            for (int64_t t = 0; t < k.size; t++)
                s += x[p * k.size + t];
            y[p] = s / (float)k.size;
        }
        break;
    }
    case RUNT_CUDA_K_GEMM:
        emu_sgemm(&n->gemm, emu_in(e, i, 1), emu_in(e, i, 0), y);
        emu_epilogue(e, i, y, emu_in(e, i, 2));
        break;
    case RUNT_CUDA_K_MATMUL: emu_matmul(e, i); break;
    case RUNT_CUDA_K_CONV_GEMM: emu_conv_gemm(e, i); break;
    case RUNT_CUDA_K_Q8_LINEAR:
    case RUNT_CUDA_K_Q8_CONV: emu_q8(e, i); break;
    default: RT_ASSERT(0, "node %d: unknown kind %d", i, (int)n->kind);
    }
}

/* ---- a session's worth ---- */

/* Plans m as a device backend gets it (inputs and outputs in the arena) and
 * decides every node as the CUDA backend would; int8 weights are packed as
 * prepare packs them. */
static emu *emu_create(const runt_model *m, int64_t batch, runt_dtype dtype, int fuse)
{
    emu *e = calloc(1, sizeof *e);
    runt_plan_config c;
    memset(&c, 0, sizeof c);
    c.batch = batch;
    c.fuse = fuse;
    c.io_in_arena = 1;
    c.compute_dtype = dtype;
    RT_ASSERT(runt_plan_create(m, &c, NULL, &e->plan) == RUNT_OK, "plan: %s", runt_last_error());
    const runt_plan *p = e->plan;
    e->nodes = calloc((size_t)p->n_nodes + 1, sizeof *e->nodes);
    e->packs = calloc((size_t)p->n_nodes + 1, sizeof *e->packs);
    size_t scratch = 0;
    for (int i = 0; i < p->n_nodes; i++) {
        runt_cuda_node *n = &e->nodes[i];
        RT_ASSERT(runt_cuda_node_plan(p, i, n) == RUNT_OK, "node '%s' (%s): %s", p->nodes[i].name,
                  runt_op_name(p->nodes[i].op), runt_last_error());
        scratch = n->scratch > scratch ? n->scratch : scratch;
        if (n->kind != RUNT_CUDA_K_Q8_LINEAR && n->kind != RUNT_CUDA_K_Q8_CONV)
            continue;
        size_t q = (size_t)(n->q8_n * n->q8_k_pad), vec = (size_t)n->q8_n * 4;
        int8_t *pack = calloc(1, q + 3 * vec);
        float *scale = (float *)(pack + q);
        RT_ASSERT(runt_cuda_q8_pack(p->values[p->nodes[i].inputs[1]].data, n->q8_n, n->q8_k,
                                    n->q8_trans, n->q8_k_pad, pack, scale,
                                    (int32_t *)(scale + n->q8_n)) == RUNT_OK,
                  "%s", runt_last_error());
        for (int64_t j = 0; n->q8_has_bias && j < n->q8_n; j++)
            scale[2 * n->q8_n + j] =
                n->q8_bias_beta * ((const float *)p->values[p->nodes[i].inputs[2]].data)[j];
        e->packs[i] = pack;
    }
    e->arena = calloc(1, p->arena_size + 64);
    e->scratch = calloc(1, scratch + 64);
    return e;
}

/* One run: inputs into their slots, every node, outputs out of theirs. */
static void emu_run(emu *e, const runt_tensor *in, float **out)
{
    const runt_plan *p = e->plan;
    for (int i = 0; i < p->n_inputs; i++) {
        const runt_plan_value *v = &p->values[p->inputs[i]];
        memcpy(e->arena + v->offset, in[i].data, v->nbytes);
    }
    for (int i = 0; i < p->n_nodes; i++)
        emu_node(e, i);
    for (int i = 0; i < p->n_outputs; i++) {
        const runt_plan_value *v = &p->values[p->outputs[i]];
        memcpy(out[i], e->arena + v->offset, v->nbytes);
    }
}

static void emu_free(emu *e)
{
    for (int i = 0; e->plan && i < e->plan->n_nodes; i++)
        free(e->packs[i]);
    free(e->packs);
    free(e->nodes);
    free(e->arena);
    free(e->scratch);
    runt_plan_destroy(e->plan, NULL);
    free(e);
}

#endif /* CUDA_EMULATE_H */
