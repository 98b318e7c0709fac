/*
 * One node's work, enqueued on the session stream: the records
 * cuda_nodes.c prepared, with this run's device pointers filled in. The same
 * code serves plain runs and CUDA graph capture (which records instead of
 * running), so a replay issues exactly what a plain run does.
 */
#include "common/tensor_geom.h"
#include "cuda_impl.h"

typedef struct node_io {
    const runt_cuda_state *st;
    const runt_plan *p;
    int i;
    char *base;
} node_io;

/* The device address of value v this run: a constant in the weight buffer
 * or a slot in the arena; NULL for an absent optional value. */
static void *value_ptr(const node_io *io, int v)
{
    if (v < 0)
        return NULL;
    const runt_plan_value *pv = &io->p->values[v];
    if (pv->storage == RUNT_STORE_CONSTANT)
        return (void *)io->st->const_ptr[v]; /* kernels read constants only */
    if (pv->storage == RUNT_STORE_ARENA)
        return io->base + pv->offset;
    return NULL;
}

static void *in(const node_io *io, int j)
{
    const runt_plan_node *n = &io->p->nodes[io->i];
    return j < n->n_inputs ? value_ptr(io, n->inputs[j]) : NULL;
}

static void *out(const node_io *io, int j)
{
    const runt_plan_node *n = &io->p->nodes[io->i];
    return j < n->n_outputs ? value_ptr(io, n->outputs[j]) : NULL;
}

static runt_status launched(cudaError_t e, const char *kernel)
{
    return runt_cuda_check(e, "launching the %s kernel", kernel);
}

static runt_status run_epilogue(const node_io *io, float *y, const float *c)
{
    const runt_cuda_node *n = &io->st->nodes[io->i];
    if (!n->has_epilogue)
        return RUNT_OK;
    runt_cuda_epilogue e = n->epilogue;
    e.y = y;
    e.c = c;
    return launched(runt_cuda_launch_epilogue(&e, io->st->stream), "epilogue");
}

/* ---- f32 products ---- */

static runt_status run_gemm(const node_io *io)
{
    const runt_cuda_node *n = &io->st->nodes[io->i];
    float *y = out(io, 0);
    runt_status s = runt_cuda_sgemm(io->st, &n->gemm, in(io, 1), in(io, 0), y);
    return s == RUNT_OK ? run_epilogue(io, y, in(io, 2)) : s;
}

static runt_status run_matmul(const node_io *io)
{
    const runt_cuda_node *n = &io->st->nodes[io->i];
    const float *a = in(io, 0), *b = in(io, 1);
    float *y = out(io, 0);
    if (n->mm_calls == 1)
        return runt_cuda_sgemm(io->st, &n->gemm, b, a, y);
    /* Batches that broadcast unevenly: one call each. */
    for (int bi = 0; bi < n->mm_calls; bi++) {
        int64_t off_a, off_b;
        runt_geom_batch_offsets(n->mm_dims, n->mm_rank, bi, n->mm_sa, n->mm_sb, &off_a, &off_b);
        runt_status s = runt_cuda_sgemm(io->st, &n->gemm, b + off_b, a + off_a,
                                        y + (int64_t)bi * n->mm_step_y);
        if (s != RUNT_OK)
            return s;
    }
    return RUNT_OK;
}

/* Conv as GEMM in chunks of images: im2col (unless the conv is 1x1), then
 * per chunk one call batched over its images (group 1) or per image one
 * call batched over the groups; bias and act once at the end. */
static runt_status run_conv_gemm(const node_io *io)
{
    const runt_cuda_node *n = &io->st->nodes[io->i];
    const runt_cuda_conv_geom *g = &n->conv;
    const float *x = in(io, 0), *w = in(io, 1);
    float *y = out(io, 0), *col = io->st->scratch;
    int64_t image_in = g->c * g->h * g->w, image_cols = g->c * g->kh * g->kw * g->p;
    runt_status s = RUNT_OK;
    for (int64_t img0 = 0; s == RUNT_OK && img0 < g->n; img0 += n->chunk_images) {
        int64_t count = g->n - img0 < n->chunk_images ? g->n - img0 : n->chunk_images;
        const float *cols = x + img0 * image_in;
        if (!n->conv_1x1) {
            runt_cuda_im2col ic;
            ic.x = cols;
            ic.col = col;
            ic.images = count;
            ic.count = count * image_cols;
            ic.g = *g;
            s = launched(runt_cuda_launch_im2col(&ic, io->st->stream), "im2col");
            cols = col;
        }
        if (s == RUNT_OK && g->group == 1) {
            runt_cuda_gemm_desc d = n->gemm;
            d.batch = count;
            s = runt_cuda_sgemm(io->st, &d, cols, w, y + img0 * g->m * g->p);
        }
        for (int64_t t = 0; s == RUNT_OK && g->group > 1 && t < count; t++)
            s = runt_cuda_sgemm(io->st, &n->gemm, cols + t * image_cols, w,
                                y + (img0 + t) * g->m * g->p);
    }
    return s == RUNT_OK ? run_epilogue(io, y, in(io, 2)) : s;
}

/* ---- int8 ---- */

/* Range and quantization of the node's input into scratch: rows of ldq
 * bytes (k floats each) for a linear node, the whole tensor for a conv. */
static runt_status run_q8_quantize(const node_io *io, int64_t rows, int64_t k, int64_t ldq)
{
    const runt_cuda_node *n = &io->st->nodes[io->i];
    char *sc = io->st->scratch;
    runt_cuda_q8_range r;
    r.x = in(io, 0);
    r.count = n->q8_x_count;
    r.partials = (float *)(sc + n->sc_partials);
    runt_status s = launched(runt_cuda_launch_q8_range(&r, io->st->stream), "int8 range");
    if (s != RUNT_OK)
        return s;
    runt_cuda_q8_quantize q;
    q.x = r.x;
    q.q = (int8_t *)(sc + n->sc_xq);
    q.partials = r.partials;
    q.n_partials = RUNT_CUDA_Q8_RANGE_BLOCKS;
    q.rows = rows, q.k = k, q.ldq = ldq;
    q.count = rows * ldq;
    q.scale_out = (runt_cuda_q8_scale *)(sc + n->sc_scale);
    return launched(runt_cuda_launch_q8_quantize(&q, io->st->stream), "int8 quantize");
}

static runt_cuda_q8_weights q8_weights(const node_io *io, const float *bias)
{
    const runt_cuda_node *n = &io->st->nodes[io->i];
    const char *w = io->st->q8_weights[io->i];
    runt_cuda_q8_weights qw;
    qw.q = (const int8_t *)(w + n->w_q);
    qw.scale = (const float *)(w + n->w_scale);
    qw.row_sum = (const int32_t *)(w + n->w_row_sum);
    qw.bias = bias;
    qw.n = n->q8_n, qw.k = n->q8_k, qw.k_pad = n->q8_k_pad;
    return qw;
}

/* The product of the quantized rows x (k_pad bytes each) with the weights,
 * dequantized into y: cuBLASLt + the dequant kernel, or the dp4a kernel. */
static runt_status run_q8_product(const node_io *io, const int8_t *x, const float *bias)
{
    const runt_cuda_node *n = &io->st->nodes[io->i];
    char *sc = io->st->scratch;
    runt_cuda_q8_tail tail;
    tail.w = q8_weights(io, bias);
    tail.x_scale = (const runt_cuda_q8_scale *)(sc + n->sc_scale);
    tail.out = n->q8_out;
    tail.out.y = out(io, 0);
    tail.act = n->q8_act;
    if (n->q8_engine == RUNT_CUDA_Q8_LT) {
        int32_t *acc = (int32_t *)(sc + n->sc_acc);
        runt_status s = runt_cuda_lt_run(io->st, &io->st->lt[io->i], tail.w.q, x, acc);
        if (s != RUNT_OK)
            return s;
        runt_cuda_q8_dequant d;
        d.acc = acc, d.ldacc = n->q8_ldacc, d.rows = n->q8_rows, d.tail = tail;
        return launched(runt_cuda_launch_q8_dequant(&d, io->st->stream), "int8 dequantize");
    }
    runt_cuda_q8_gemm g;
    g.x = x, g.ldx = n->q8_k_pad, g.rows = n->q8_rows, g.tail = tail;
    return launched(runt_cuda_launch_q8_gemm(&g, io->st->stream), "int8 dp4a");
}

static runt_status run_q8_linear(const node_io *io)
{
    const runt_cuda_node *n = &io->st->nodes[io->i];
    if (n->q8_fused) {
        runt_cuda_q8_fused f;
        f.x = in(io, 0);
        f.rows = n->q8_rows;
        f.w = q8_weights(io, io->st->q8_bias[io->i]);
        f.out = n->q8_out;
        f.out.y = out(io, 0);
        f.act = n->q8_act;
        return launched(runt_cuda_launch_q8_fused(&f, io->st->stream), "int8 dp4a (fused)");
    }
    runt_status s = run_q8_quantize(io, n->q8_rows, n->q8_k, n->q8_k_pad);
    if (s != RUNT_OK)
        return s;
    return run_q8_product(io, (const int8_t *)((char *)io->st->scratch + n->sc_xq),
                          io->st->q8_bias[io->i]);
}

static runt_status run_q8_conv(const node_io *io)
{
    const runt_cuda_node *n = &io->st->nodes[io->i];
    char *sc = io->st->scratch;
    runt_status s = run_q8_quantize(io, 1, n->q8_x_count, n->q8_x_count);
    if (s != RUNT_OK)
        return s;
    const int8_t *xq = (const int8_t *)(sc + n->sc_xq);
    const runt_cuda_q8_scale *xs = (const runt_cuda_q8_scale *)(sc + n->sc_scale);
    const float *bias = in(io, 2);
    if (n->q8_engine == RUNT_CUDA_Q8_DIRECT) {
        runt_cuda_q8_conv c;
        c.xq = xq, c.w = q8_weights(io, bias), c.x_scale = xs;
        c.y = out(io, 0);
        c.count = n->conv.n * n->conv.m * n->conv.p;
        c.g = n->conv;
        c.act = n->q8_act;
        return launched(runt_cuda_launch_q8_conv(&c, io->st->stream), "int8 direct conv");
    }
    runt_cuda_q8_im2col ic;
    ic.xq = xq;
    ic.col = (int8_t *)(sc + n->sc_col);
    ic.scale = xs;
    ic.ldc = n->q8_k_pad;
    ic.count = n->q8_rows * n->q8_k_pad;
    ic.g = n->conv;
    s = launched(runt_cuda_launch_q8_im2col(&ic, io->st->stream), "int8 im2col");
    return s == RUNT_OK ? run_q8_product(io, ic.col, bias) : s;
}

/* ---- fused chains ---- */

/* The chain's record with this run's pointers: x of its first layer, each
 * layer's weight and C, y of its last layer. */
static runt_status run_chain(const node_io *io)
{
    runt_cuda_chain c = io->st->nodes[io->i].k.chain;
    node_io layer = *io;
    c.x = in(io, 0);
    for (int l = 0; l < c.n_layers; l++) {
        layer.i = io->i + l;
        c.layer[l].w = in(&layer, 1);
        c.layer[l].c = in(&layer, 2);
    }
    c.y = out(&layer, 0);
    return launched(runt_cuda_launch_chain(&c, io->st->stream), "fused chain");
}

/* ---- everything else: one kernel each ---- */

/* A kernel of one input x and one output y: the node's record, with this
 * run's pointers, to runt_cuda_launch_<kind>. */
#define RUN_X_TO_Y(kind, what)                                                    \
    {                                                                             \
        runt_cuda_##kind k = n->k.kind;                                           \
        k.x = in(io, 0), k.y = out(io, 0);                                        \
        return launched(runt_cuda_launch_##kind(&k, stream), what);               \
    }

static runt_status run_simple(const node_io *io)
{
    const runt_cuda_node *n = &io->st->nodes[io->i];
    cudaStream_t stream = io->st->stream;
    switch (n->kind) {
    case RUNT_CUDA_K_UNARY: RUN_X_TO_Y(unary, "element-wise")
    case RUNT_CUDA_K_SOFTMAX: RUN_X_TO_Y(softmax, "softmax")
    case RUNT_CUDA_K_POOL: RUN_X_TO_Y(pool, "pool")
    case RUNT_CUDA_K_GLOBAL_POOL: RUN_X_TO_Y(global_pool, "global pool")
    case RUNT_CUDA_K_PAD: RUN_X_TO_Y(pad, "pad")
    case RUNT_CUDA_K_BINARY: {
        runt_cuda_binary k = n->k.binary;
        k.a = in(io, 0), k.b = in(io, 1), k.y = out(io, 0);
        return launched(runt_cuda_launch_binary(&k, stream), "binary");
    }
    case RUNT_CUDA_K_LAYER_NORM: {
        runt_cuda_layer_norm k = n->k.layer_norm;
        k.x = in(io, 0), k.scale = in(io, 1), k.bias = in(io, 2);
        k.y = out(io, 0), k.mean = out(io, 1), k.inv_std = out(io, 2);
        return launched(runt_cuda_launch_layer_norm(&k, stream), "layer norm");
    }
    case RUNT_CUDA_K_BATCH_NORM: {
        runt_cuda_batch_norm k = n->k.batch_norm;
        k.x = in(io, 0), k.scale = in(io, 1), k.bias = in(io, 2);
        k.mean = in(io, 3), k.var = in(io, 4), k.y = out(io, 0);
        return launched(runt_cuda_launch_batch_norm(&k, stream), "batch norm");
    }
    case RUNT_CUDA_K_CONV_DIRECT: {
        runt_cuda_conv_direct k = n->k.conv_direct;
        k.x = in(io, 0), k.w = in(io, 1), k.bias = in(io, 2), k.y = out(io, 0);
        return launched(runt_cuda_launch_conv_direct(&k, stream), "direct conv");
    }
    default:
        return runt_error_set(RUNT_E_BACKEND, "no run function for kind %d", (int)n->kind);
    }
}

#undef RUN_X_TO_Y

runt_status runt_cuda_run_node(const runt_cuda_state *st, const runt_plan *p, int i, char *base)
{
    node_io io = {st, p, i, base};
    const runt_cuda_node *n = &st->nodes[i];
    switch (n->kind) {
    case RUNT_CUDA_K_NOP:
    case RUNT_CUDA_K_CHAINED: return RUNT_OK;
    case RUNT_CUDA_K_CHAIN: return run_chain(&io);
    case RUNT_CUDA_K_COPY:
        return runt_cuda_check(cudaMemcpyAsync(out(&io, 0), in(&io, 0), n->copy_bytes,
                                               cudaMemcpyDeviceToDevice, st->stream),
                               "cudaMemcpyAsync (device to device, %zu bytes)", n->copy_bytes);
    case RUNT_CUDA_K_GEMM: return run_gemm(&io);
    case RUNT_CUDA_K_MATMUL: return run_matmul(&io);
    case RUNT_CUDA_K_CONV_GEMM: return run_conv_gemm(&io);
    case RUNT_CUDA_K_Q8_LINEAR: return run_q8_linear(&io);
    case RUNT_CUDA_K_Q8_CONV: return run_q8_conv(&io);
    default: return run_simple(&io);
    }
}
