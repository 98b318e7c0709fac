/*
 * Per plan node: which kernels and library calls it becomes on the GPU, with
 * their shapes, or why it cannot run there. The one place the CUDA backend
 * decides kernels; supports_node, prepare and the launch count all ask it.
 * No CUDA calls here (cuda_lowering.h).
 */
#include <limits.h>
#include <string.h>

#include "common/q8_layers.h"
#include "common/tensor_geom.h"
#include "cuda_lowering.h"

static int64_t max1(int64_t v) { return v > 1 ? v : 1; }
static int fits_int(int64_t v) { return v >= 0 && v <= INT_MAX; }
static int64_t round_up(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

size_t runt_cuda_align(size_t bytes)
{
    if (bytes > SIZE_MAX - (RUNT_CUDA_ALIGN - 1))
        return SIZE_MAX;
    return (bytes + RUNT_CUDA_ALIGN - 1) & ~(size_t)(RUNT_CUDA_ALIGN - 1);
}

runt_status runt_cuda_parse_device(const char *backend, int *device)
{
    if (!device)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_cuda_parse_device: device is NULL");
    if (!backend || strcmp(backend, "cuda") == 0) {
        *device = -1;
        return RUNT_OK;
    }
    const char *digits = backend + 5;
    long long v = 0;
    int ok = strncmp(backend, "cuda:", 5) == 0 && *digits;
    for (const char *c = digits; ok && *c; c++) {
        ok = *c >= '0' && *c <= '9';
        v = v * 10 + (*c - '0');
        ok = ok && v <= INT_MAX;
    }
    if (!ok)
        return runt_error_set(RUNT_E_INVALID_ARG,
                              "backend '%s': name the device as cuda or cuda:N (N a device "
                              "number, 0 .. %d)", backend, INT_MAX);
    *device = (int)v;
    return RUNT_OK;
}

/* ------------------------------------------------------------------------- */
/* Checks every node must pass                                               */
/* ------------------------------------------------------------------------- */

/* Ops whose output is input 0's bytes, whatever the dtype (a Cast to the
 * dtype the input already has is one too). */
static int is_copy(const runt_plan *p, int i)
{
    const runt_plan_node *n = &p->nodes[i];
    if (n->op == RUNT_OP_CAST)
        return runt_plan_node_input(p, i, 0) && runt_plan_node_output(p, i, 0) &&
               runt_plan_node_input(p, i, 0)->desc.dtype == runt_plan_node_output(p, i, 0)->desc.dtype;
    return n->op == RUNT_OP_IDENTITY || n->op == RUNT_OP_RESHAPE || n->op == RUNT_OP_FLATTEN ||
           n->op == RUNT_OP_DROPOUT || n->op == RUNT_OP_CONSTANT;
}

/* ONNX's integer ops: quantized models keep them only on backends that do
 * not take their layers fused (runt-backend.h, RUNT_QW_W_SCALE); this one
 * does not, and has no kernels for them. */
static int is_integer_op(runt_op op)
{
    return op == RUNT_OP_QUANTIZE_LINEAR || op == RUNT_OP_DEQUANTIZE_LINEAR ||
           op == RUNT_OP_DYNAMIC_QUANTIZE_LINEAR || op == RUNT_OP_MATMUL_INTEGER ||
           op == RUNT_OP_CONV_INTEGER || op == RUNT_OP_CAST;
}

/* Every tensor the node touches is f32 and bound to device memory. */
static runt_status check_values(const runt_plan *p, int i)
{
    const runt_plan_node *n = &p->nodes[i];
    for (int side = 0; side < 2; side++) {
        int count = side ? n->n_outputs : n->n_inputs;
        for (int j = 0; j < count; j++) {
            const runt_plan_value *v = side ? runt_plan_node_output(p, i, j) : runt_plan_node_input(p, i, j);
            if (!v)
                continue;
            if (v->storage == RUNT_STORE_INPUT || v->storage == RUNT_STORE_OUTPUT)
                return runt_error_set(RUNT_E_UNSUPPORTED,
                                      "value '%s' is bound to host memory; the CUDA backend "
                                      "needs every value in the device arena", v->name);
            if (!is_copy(p, i) && v->desc.dtype != RUNT_F32)
                return runt_error_set(RUNT_E_UNSUPPORTED,
                                      "%s %d ('%s') is %s; the CUDA kernels compute in f32",
                                      side ? "output" : "input", j, v->name,
                                      runt_dtype_name(v->desc.dtype));
        }
    }
    return RUNT_OK;
}

/* ------------------------------------------------------------------------- */
/* Element-wise, normalization, pooling, data movement                       */
/* ------------------------------------------------------------------------- */

static runt_status plan_copy(const runt_plan *p, int i, runt_cuda_node *o)
{
    const runt_plan_value *x = runt_plan_node_input(p, i, 0), *y = runt_plan_node_output(p, i, 0);
    o->kind = RUNT_CUDA_K_NOP;
    if (!y)
        return RUNT_OK;
    if (!x || x->nbytes != y->nbytes)
        return runt_error_set(RUNT_E_UNSUPPORTED, "a copy of %zu bytes into %zu",
                              x ? x->nbytes : 0, y->nbytes);
    if (x->storage == RUNT_STORE_ARENA && y->storage == RUNT_STORE_ARENA && x->offset == y->offset)
        return RUNT_OK; /* the planner put the view on its input's bytes */
    o->kind = RUNT_CUDA_K_COPY;
    o->copy_bytes = y->nbytes;
    return RUNT_OK;
}

static runt_status plan_unary(const runt_plan *p, int i, runt_cuda_node *o)
{
    const runt_plan_node *n = &p->nodes[i];
    runt_cuda_unary *u = &o->k.unary;
    o->kind = RUNT_CUDA_K_UNARY;
    u->count = runt_tensor_count(&runt_plan_node_output(p, i, 0)->desc);
    u->erf = n->op == RUNT_OP_ERF;
    if (!u->erf && !runt_op_as_epilogue(n->op, &n->attrs, &u->act))
        return runt_error_set(RUNT_E_UNSUPPORTED, "no element-wise kernel for this op");
    return RUNT_OK;
}

/* Strides of t read as a tensor of rank `rank` aligned from the right; a dim
 * of 1 or a missing leading dim is read with stride 0 (numpy broadcasting). */
static void broadcast_strides(const runt_tensor *t, int rank, int64_t *strides)
{
    int64_t step = 1;
    int lead = rank - t->ndim;
    for (int d = rank - 1; d >= 0; d--) {
        int64_t dim = d >= lead ? t->dims[d - lead] : 1;
        strides[d] = dim == 1 ? 0 : step;
        step *= dim;
    }
}

static runt_status plan_binary(const runt_plan *p, int i, runt_cuda_node *o)
{
    static const runt_cuda_binop ops[] = {RUNT_CUDA_ADD, RUNT_CUDA_SUB, RUNT_CUDA_MUL,
                                          RUNT_CUDA_DIV};
    const runt_tensor *a = &runt_plan_node_input(p, i, 0)->desc, *b = &runt_plan_node_input(p, i, 1)->desc;
    const runt_tensor *y = &runt_plan_node_output(p, i, 0)->desc;
    runt_cuda_binary *k = &o->k.binary;
    o->kind = RUNT_CUDA_K_BINARY;
    k->op = ops[p->nodes[i].op - RUNT_OP_ADD];
    k->count = runt_tensor_count(y);
    k->same_shape = runt_geom_same_dims(a, y) && runt_geom_same_dims(b, y);
    k->rank = y->ndim > 0 ? y->ndim : 1; /* a scalar as shape [1] */
    for (int d = 0; d < k->rank; d++)
        k->dims[d] = y->ndim > 0 ? y->dims[d] : 1;
    broadcast_strides(a, k->rank, k->sa);
    broadcast_strides(b, k->rank, k->sb);
    return RUNT_OK;
}

static int norm_axis(int axis, int ndim) { return axis < 0 ? axis + ndim : axis; }

static runt_status plan_softmax(const runt_plan *p, int i, runt_cuda_node *o)
{
    const runt_tensor *x = &runt_plan_node_input(p, i, 0)->desc;
    runt_cuda_softmax *k = &o->k.softmax;
    o->kind = RUNT_CUDA_K_SOFTMAX;
    k->outer = k->len = k->inner = 1;
    if (x->ndim == 0)
        return RUNT_OK; /* a scalar is its own one-element axis */
    int axis = norm_axis(p->nodes[i].attrs.axis.axis, x->ndim);
    if (axis < 0 || axis >= x->ndim)
        return runt_error_set(RUNT_E_UNSUPPORTED, "Softmax axis %d of a rank-%d tensor",
                              p->nodes[i].attrs.axis.axis, x->ndim);
    for (int d = 0; d < axis; d++)
        k->outer *= x->dims[d];
    k->len = x->dims[axis];
    for (int d = axis + 1; d < x->ndim; d++)
        k->inner *= x->dims[d];
    return RUNT_OK;
}

/* A LayerNorm parameter's strides over the block dims (ref_norm.c's
 * block_index); *direct when it has the block's element count. */
static void ln_param(const runt_tensor *t, int nd, int64_t block, int *direct, int64_t *stride)
{
    *direct = runt_tensor_count(t) == block;
    int64_t step = 1;
    for (int d = nd - 1, pd = t->ndim - 1; d >= 0; d--, pd--) {
        int64_t dim = pd >= 0 ? t->dims[pd] : 1;
        stride[d] = pd >= 0 && dim != 1 ? step : 0;
        step *= dim;
    }
}

static runt_status plan_layer_norm(const runt_plan *p, int i, runt_cuda_node *o)
{
    const runt_plan_node *n = &p->nodes[i];
    const runt_tensor *x = &runt_plan_node_input(p, i, 0)->desc;
    runt_cuda_layer_norm *k = &o->k.layer_norm;
    o->kind = RUNT_CUDA_K_LAYER_NORM;
    int axis = norm_axis(n->attrs.layer_norm.axis, x->ndim);
    if (axis < 0 || axis >= x->ndim)
        return runt_error_set(RUNT_E_UNSUPPORTED, "LayerNormalization axis %d of a rank-%d tensor",
                              n->attrs.layer_norm.axis, x->ndim);
    k->nd = x->ndim - axis;
    k->outer = k->block = 1;
    for (int d = 0; d < axis; d++)
        k->outer *= x->dims[d];
    for (int d = 0; d < k->nd; d++) {
        k->bdims[d] = x->dims[axis + d];
        k->block *= k->bdims[d];
    }
    k->epsilon = n->attrs.layer_norm.epsilon;
    ln_param(&runt_plan_node_input(p, i, 1)->desc, k->nd, k->block, &k->scale_direct, k->scale_stride);
    if (runt_plan_node_input(p, i, 2))
        ln_param(&runt_plan_node_input(p, i, 2)->desc, k->nd, k->block, &k->bias_direct, k->bias_stride);
    return RUNT_OK;
}

static runt_status plan_batch_norm(const runt_plan *p, int i, runt_cuda_node *o)
{
    const runt_tensor *x = &runt_plan_node_input(p, i, 0)->desc;
    runt_cuda_batch_norm *k = &o->k.batch_norm;
    o->kind = RUNT_CUDA_K_BATCH_NORM;
    /* Shape inference (runtime/shape.c) has checked that x has rank 2 or more
     * and that inputs 1 to 4 hold x->dims[1] values each. */
    k->count = runt_tensor_count(x);
    k->channels = x->dims[1];
    k->spatial = 1;
    for (int d = 2; d < x->ndim; d++)
        k->spatial *= x->dims[d];
    k->epsilon = p->nodes[i].attrs.batch_norm.epsilon;
    return RUNT_OK;
}

static runt_status plan_pool(const runt_plan *p, int i, runt_cuda_node *o)
{
    const runt_plan_node *n = &p->nodes[i];
    const runt_pool_attrs *a = &n->attrs.pool;
    const runt_tensor *x = &runt_plan_node_input(p, i, 0)->desc, *y = &runt_plan_node_output(p, i, 0)->desc;
    runt_cuda_pool *k = &o->k.pool;
    o->kind = RUNT_CUDA_K_POOL;
    if (x->ndim != 4 || y->ndim != 4)
        return runt_error_set(RUNT_E_UNSUPPORTED, "only 2-D (NCHW) pooling has a kernel");
    if (runt_plan_node_output(p, i, 1))
        return runt_error_set(RUNT_E_UNSUPPORTED, "MaxPool's Indices output has no kernel");
    k->count = runt_tensor_count(y);
    k->ih = x->dims[2], k->iw = x->dims[3], k->oh = y->dims[2], k->ow = y->dims[3];
    k->kh = a->kernel[0], k->kw = a->kernel[1];
    k->sh = a->strides[0], k->sw = a->strides[1];
    k->dh = a->dilations[0], k->dw = a->dilations[1];
    k->pt = a->pads[0], k->pl = a->pads[1], k->pb = a->pads[2], k->pr = a->pads[3];
    k->is_max = n->op == RUNT_OP_MAX_POOL;
    k->count_include_pad = !k->is_max && a->count_include_pad;
    if (k->kh < 1 || k->kw < 1 || k->sh < 1 || k->sw < 1 || k->dh < 1 || k->dw < 1)
        return runt_error_set(RUNT_E_UNSUPPORTED, "pooling kernel, strides and dilations must "
                              "be at least 1");
    return RUNT_OK;
}

static runt_status plan_global_pool(const runt_plan *p, int i, runt_cuda_node *o)
{
    const runt_tensor *x = &runt_plan_node_input(p, i, 0)->desc;
    runt_cuda_global_pool *k = &o->k.global_pool;
    o->kind = RUNT_CUDA_K_GLOBAL_POOL;
    /* Shape inference has checked that x has rank 3 or more. */
    k->planes = x->dims[0] * x->dims[1];
    k->size = k->planes ? runt_tensor_count(x) / k->planes : 0;
    return RUNT_OK;
}

static runt_status plan_pad(const runt_plan *p, int i, runt_cuda_node *o)
{
    const runt_pad_attrs *a = &p->nodes[i].attrs.pad;
    const runt_tensor *x = &runt_plan_node_input(p, i, 0)->desc, *y = &runt_plan_node_output(p, i, 0)->desc;
    runt_cuda_pad *k = &o->k.pad;
    o->kind = RUNT_CUDA_K_PAD;
    if (a->ndim != x->ndim || y->ndim != x->ndim)
        return runt_error_set(RUNT_E_UNSUPPORTED, "Pad: pads for rank %d, input rank %d",
                              a->ndim, x->ndim);
    k->count = runt_tensor_count(y);
    k->rank = x->ndim;
    k->mode = (int)a->mode;
    k->value = a->value;
    for (int d = 0; d < x->ndim; d++) {
        k->xdims[d] = x->dims[d];
        k->ydims[d] = y->dims[d];
        k->before[d] = a->pads[d];
    }
    return RUNT_OK;
}

/* ------------------------------------------------------------------------- */
/* Gemm and MatMul                                                           */
/* ------------------------------------------------------------------------- */

/* Row-major Y[M, N] = op(A) op(B) is column-major Yᵀ = op(B)ᵀ op(A)ᵀ:
 * cuBLAS's A is runt's B. B stored [K, N] is, read column-major, the N x K
 * matrix op(B)ᵀ with ld N (no transpose); stored [N, K] (trans_b) it is its
 * transpose (ld K). Likewise A. */
static runt_status plan_gemm(const runt_plan *p, int i, runt_cuda_node *o)
{
    const runt_gemm_attrs *g = &p->nodes[i].attrs.gemm;
    const runt_tensor *a = &runt_plan_node_input(p, i, 0)->desc, *y = &runt_plan_node_output(p, i, 0)->desc;
    const runt_plan_value *c = runt_plan_node_input(p, i, 2);
    if (a->ndim != 2 || y->ndim != 2)
        return runt_error_set(RUNT_E_UNSUPPORTED, "Gemm of rank %d operands", a->ndim);
    int64_t m = y->dims[0], n = y->dims[1], k = g->trans_a ? a->dims[0] : a->dims[1];
    if (!fits_int(m) || !fits_int(n) || !fits_int(k))
        return runt_error_set(RUNT_E_UNSUPPORTED, "Gemm %lld x %lld x %lld exceeds cuBLAS's "
                              "int dimensions", (long long)m, (long long)n, (long long)k);
    runt_cuda_gemm_desc *d = &o->gemm;
    o->kind = RUNT_CUDA_K_GEMM;
    d->op_a = g->trans_b, d->op_b = g->trans_a;
    d->m = n, d->n = m, d->k = k;
    d->lda = max1(g->trans_b ? k : n);
    d->ldb = max1(g->trans_a ? m : k);
    d->ldc = max1(n);
    d->batch = 1;
    d->alpha = g->alpha;
    d->beta = 0.0f; /* beta * C is the epilogue's */
    o->has_epilogue = c || g->epilogue.act != RUNT_ACT_NONE;
    runt_cuda_epilogue *e = &o->epilogue;
    e->count = m * n;
    e->rows = max1(m), e->cols = max1(n);
    e->beta = g->beta;
    e->act = g->epilogue;
    if (c) {
        /* C broadcast to [M, N] from [], [1], [N], [1, N], [M, 1] or [M, N]. */
        const runt_tensor *ct = &c->desc;
        int64_t rows = ct->ndim >= 2 ? ct->dims[ct->ndim - 2] : 1;
        int64_t cols = ct->ndim >= 1 ? ct->dims[ct->ndim - 1] : 1;
        e->c_row = rows == 1 ? 0 : cols;
        e->c_col = cols == 1 ? 0 : 1;
    }
    return RUNT_OK;
}

/* How an operand's matrices follow the flat batch index: 0 all the same
 * matrix, 1 one after another (its batch dims are the output's), -1 neither. */
static int mm_batch_kind(const runt_tensor *t, int mat, const runt_tensor *y, int nb,
                         const int64_t *strides)
{
    int all_zero = 1;
    for (int d = 0; d < nb; d++)
        all_zero = all_zero && strides[d] == 0;
    if (all_zero)
        return 0;
    if (t->ndim - mat != nb)
        return -1;
    for (int d = 0; d < nb; d++)
        if (t->dims[d] != y->dims[d])
            return -1;
    return 1;
}

/* numpy matmul (ref_gemm.c): a 1-D A is a row, a 1-D B a column; batch dims
 * broadcast. One call when the batches line up, else one call per batch. */
static runt_status plan_matmul(const runt_plan *p, int i, runt_cuda_node *o)
{
    const runt_tensor *a = &runt_plan_node_input(p, i, 0)->desc, *b = &runt_plan_node_input(p, i, 1)->desc;
    const runt_tensor *y = &runt_plan_node_output(p, i, 0)->desc;
    int mat_a = a->ndim >= 2 ? 2 : 1, mat_b = b->ndim >= 2 ? 2 : 1;
    if (a->ndim < 1 || b->ndim < 1)
        return runt_error_set(RUNT_E_UNSUPPORTED, "MatMul of a scalar");
    int64_t k = a->dims[a->ndim - 1];
    int64_t m = mat_a == 2 ? a->dims[a->ndim - 2] : 1;
    int64_t n = mat_b == 2 ? b->dims[b->ndim - 1] : 1;
    int nb = a->ndim - mat_a > b->ndim - mat_b ? a->ndim - mat_a : b->ndim - mat_b;
    int64_t n_batch = 1;
    for (int d = 0; d < nb; d++)
        n_batch *= y->dims[d];
    runt_geom_batch_strides(a, mat_a, nb, o->mm_sa);
    runt_geom_batch_strides(b, mat_b, nb, o->mm_sb);
    int ka = mm_batch_kind(a, mat_a, y, nb, o->mm_sa), kb = mm_batch_kind(b, mat_b, y, nb, o->mm_sb);

    runt_cuda_gemm_desc *d = &o->gemm;
    o->kind = RUNT_CUDA_K_MATMUL;
    d->op_a = d->op_b = 0;
    d->m = n, d->n = m, d->k = k;
    d->lda = max1(n), d->ldb = max1(k), d->ldc = max1(n);
    d->alpha = 1.0f, d->beta = 0.0f;
    d->batch = 1;
    o->mm_calls = 1;
    o->mm_rank = nb;
    o->mm_step_y = m * n;
    for (int t = 0; t < nb; t++)
        o->mm_dims[t] = y->dims[t];
    if (kb == 0 && ka == 1) {
        d->n = n_batch * m; /* one weight for every batch: one tall product */
    } else if (ka >= 0 && kb >= 0) {
        d->batch = n_batch;
        d->stride_a = kb ? k * n : 0;
        d->stride_b = ka ? m * k : 0;
        d->stride_c = m * n;
    } else {
        o->mm_calls = (int)n_batch;
        if ((int64_t)o->mm_calls != n_batch)
            return runt_error_set(RUNT_E_UNSUPPORTED, "MatMul over %lld broadcast batches",
                                  (long long)n_batch);
    }
    if (!fits_int(d->m) || !fits_int(d->n) || !fits_int(d->k) || !fits_int(d->batch))
        return runt_error_set(RUNT_E_UNSUPPORTED, "MatMul %lld x %lld x %lld (batch %lld) "
                              "exceeds cuBLAS's int dimensions", (long long)d->n,
                              (long long)d->m, (long long)d->k, (long long)d->batch);
    return RUNT_OK;
}

/* ------------------------------------------------------------------------- */
/* Conv                                                                      */
/* ------------------------------------------------------------------------- */

static runt_status conv_geometry(const runt_plan *p, int i, runt_cuda_conv_geom *g)
{
    const runt_conv_attrs *a = &p->nodes[i].attrs.conv;
    const runt_tensor *x = &runt_plan_node_input(p, i, 0)->desc, *w = &runt_plan_node_input(p, i, 1)->desc;
    const runt_tensor *y = &runt_plan_node_output(p, i, 0)->desc;
    if (x->ndim != 4 || w->ndim != 4 || y->ndim != 4)
        return runt_error_set(RUNT_E_UNSUPPORTED, "only 2-D (NCHW) Conv has a kernel");
    memset(g, 0, sizeof *g);
    g->n = x->dims[0], g->c = x->dims[1], g->h = x->dims[2], g->w = x->dims[3];
    g->m = w->dims[0], g->cg = w->dims[1], g->kh = (int)w->dims[2], g->kw = (int)w->dims[3];
    g->oh = y->dims[2], g->ow = y->dims[3];
    g->group = a->group;
    g->sh = a->strides[0], g->sw = a->strides[1];
    g->dh = a->dilations[0], g->dw = a->dilations[1];
    g->pt = a->pads[0], g->pl = a->pads[1];
    if (g->group < 1 || g->cg * g->group != g->c || g->m % g->group || y->dims[1] != g->m ||
        y->dims[0] != g->n || g->sh < 1 || g->sw < 1 || g->dh < 1 || g->dw < 1)
        return runt_error_set(RUNT_E_UNSUPPORTED, "Conv shapes X [%lld, %lld, ..], W [%lld, "
                              "%lld, ..], group %d do not agree", (long long)g->n,
                              (long long)g->c, (long long)g->m, (long long)g->cg, g->group);
    g->mg = g->m / g->group;
    g->kc = g->cg * g->kh * g->kw;
    g->p = g->oh * g->ow;
    return RUNT_OK;
}

static runt_status plan_conv(const runt_plan *p, int i, runt_cuda_node *o)
{
    const runt_conv_attrs *a = &p->nodes[i].attrs.conv;
    runt_cuda_conv_geom *g = &o->conv;
    runt_status s = conv_geometry(p, i, g);
    if (s != RUNT_OK)
        return s;
    if (g->mg < RUNT_CUDA_CONV_GEMM_MIN_MG) {
        o->kind = RUNT_CUDA_K_CONV_DIRECT;
        o->k.conv_direct.g = *g;
        o->k.conv_direct.count = g->n * g->m * g->p;
        o->k.conv_direct.act = a->epilogue;
        return RUNT_OK;
    }
    if (!fits_int(g->p) || !fits_int(g->mg) || !fits_int(g->kc) || !fits_int(g->group) ||
        !fits_int(g->n))
        return runt_error_set(RUNT_E_UNSUPPORTED, "Conv GEMM %lld x %lld x %lld exceeds "
                              "cuBLAS's int dimensions", (long long)g->mg, (long long)g->p,
                              (long long)g->kc);
    o->kind = RUNT_CUDA_K_CONV_GEMM;
    o->conv_1x1 = g->kh == 1 && g->kw == 1 && g->sh == 1 && g->sw == 1 && a->pads[0] == 0 &&
                  a->pads[1] == 0 && a->pads[2] == 0 && a->pads[3] == 0 && g->oh == g->h &&
                  g->ow == g->w;
    size_t per_image = (size_t)(g->c * g->kh * g->kw) * (size_t)g->p * sizeof(float);
    o->chunk_images = g->n;
    if (!o->conv_1x1) {
        int64_t fit = per_image ? (int64_t)(RUNT_CUDA_IM2COL_BYTES / per_image) : g->n;
        o->chunk_images = fit < 1 ? 1 : fit < g->n ? fit : g->n;
        o->scratch = per_image * (size_t)o->chunk_images;
    }
    /* Per group: Y_g [mg, P] = W_g [mg, Kc] col_g [Kc, P], i.e. column-major
     * Y_gᵀ (P x mg, ld P) = col_gᵀ (P x Kc, ld P) W_gᵀ (Kc x mg, ld Kc). */
    runt_cuda_gemm_desc *d = &o->gemm;
    d->m = g->p, d->n = g->mg, d->k = g->kc;
    d->lda = max1(g->p), d->ldb = max1(g->kc), d->ldc = max1(g->p);
    d->alpha = 1.0f, d->beta = 0.0f;
    d->stride_a = g->kc * g->p;
    if (g->group == 1) {           /* one call per chunk, batched over its images */
        d->batch = o->chunk_images;
        d->stride_b = 0;
        d->stride_c = g->m * g->p;
    } else {                       /* one call per image, batched over groups */
        d->batch = g->group;
        d->stride_b = g->mg * g->kc;
        d->stride_c = g->mg * g->p;
    }
    o->has_epilogue = runt_plan_node_input(p, i, 2) || a->epilogue.act != RUNT_ACT_NONE;
    runt_cuda_epilogue *e = &o->epilogue;
    e->count = g->n * g->m * g->p;
    e->rows = max1(g->m), e->cols = max1(g->p);
    e->c_row = 1, e->c_col = 0, e->beta = 1.0f;
    e->act = a->epilogue;
    return RUNT_OK;
}

/* ------------------------------------------------------------------------- */
/* int8: the nodes the CPU backend quantizes (cpu_int8.c), the same way      */
/* ------------------------------------------------------------------------- */

/* Gemm / MatMul as y[M, N] = x[M, K] W + bias with W constant, the layers
 * the CPU backend quantizes (common/q8_layers.h). 0 when the node stays
 * f32, which it also does here with no outputs (nothing to launch). */
static int q8_linear_shape(const runt_plan *p, int i, runt_cuda_node *o)
{
    runt_q8_layer_linear lin;
    if (!runt_q8_linear_shape(p, i, &lin) || lin.n <= 0)
        return 0;
    o->q8_rows = lin.m, o->q8_n = lin.n, o->q8_k = lin.k;
    o->q8_trans = lin.trans;
    if (p->nodes[i].op == RUNT_OP_GEMM) {
        const runt_gemm_attrs *g = &p->nodes[i].attrs.gemm;
        o->q8_has_bias = runt_plan_node_input(p, i, 2) != NULL;
        o->q8_bias_beta = g->beta;
        o->q8_act = g->epilogue;
    }
    return 1;
}

/* Scratch of an int8 node: range partials, the scale, the quantized
 * activations, the u8 im2col columns (conv), the int32 products (cuBLASLt). */
static void q8_scratch(runt_cuda_node *o, size_t xq_bytes, size_t col_bytes)
{
    size_t at = 0;
    o->sc_partials = at;
    at += runt_cuda_align(2 * RUNT_CUDA_Q8_RANGE_BLOCKS * sizeof(float));
    o->sc_scale = at;
    at += runt_cuda_align(sizeof(runt_cuda_q8_scale));
    o->sc_xq = at;
    at += runt_cuda_align(xq_bytes);
    o->sc_col = at;
    at += runt_cuda_align(col_bytes);
    o->sc_acc = at;
    if (o->q8_engine == RUNT_CUDA_Q8_LT)
        at += runt_cuda_align((size_t)o->q8_rows * (size_t)o->q8_ldacc * sizeof(int32_t));
    o->scratch = at;
}

/* The int8 product acc [rows][ldacc] = x [rows][k_pad] · w [n][k_pad]ᵀ in
 * cuBLAS terms: column-major acc (n x rows, ld ldacc) = wᵀ-read-as-stored
 * (op T of the k_pad x n column-major view of w) times the k_pad x rows view
 * of x. Used by cuBLASLt; the dp4a kernel reads the same buffers. */
static void q8_product_desc(runt_cuda_node *o)
{
    runt_cuda_gemm_desc *d = &o->gemm;
    d->op_a = 1, d->op_b = 0;
    d->m = o->q8_n, d->n = o->q8_rows, d->k = o->q8_k_pad;
    d->lda = o->q8_k_pad, d->ldb = o->q8_k_pad, d->ldc = o->q8_ldacc;
    d->batch = 1;
    d->alpha = 1.0f, d->beta = 0.0f;
}

static runt_cuda_q8_engine q8_product_engine(int64_t rows, int64_t n, int64_t k_pad)
{
    return rows >= RUNT_CUDA_Q8_LT_MIN_ROWS && fits_int(rows) && fits_int(n) && fits_int(k_pad)
               ? RUNT_CUDA_Q8_LT : RUNT_CUDA_Q8_DP4A;
}

static runt_status plan_q8_linear(runt_cuda_node *o)
{
    o->kind = RUNT_CUDA_K_Q8_LINEAR;
    o->q8_k_pad = round_up(o->q8_k, RUNT_CUDA_Q8_KB);
    o->q8_ldacc = round_up(o->q8_n, 4);
    o->q8_x_count = o->q8_rows * o->q8_k;
    o->q8_engine = q8_product_engine(o->q8_rows, o->q8_n, o->q8_k_pad);
    o->q8_fused = o->q8_engine == RUNT_CUDA_Q8_DP4A &&
                  o->q8_x_count <= RUNT_CUDA_Q8_FUSED_MAX_FLOATS;
    o->q8_out.rows_per_image = max1(o->q8_rows);
    o->q8_out.image_stride = 0;
    o->q8_out.row_stride = o->q8_n;
    o->q8_out.col_stride = 1;
    q8_product_desc(o);
    q8_scratch(o, (size_t)o->q8_rows * (size_t)o->q8_k_pad, 0);
    return RUNT_OK;
}

/* cpu_int8.c's conv_prepare: a constant weight, a valid 2-D conv, kc in range. */
static int q8_conv_fits(const runt_plan *p, int i, runt_cuda_node *o)
{
    const runt_plan_value *w = runt_plan_node_input(p, i, 1);
    runt_cuda_conv_geom g;
    if (!w || w->storage != RUNT_STORE_CONSTANT || conv_geometry(p, i, &g) != RUNT_OK) {
        runt_error_clear();
        return 0;
    }
    o->conv = g;
    return g.kc <= RUNT_CUDA_Q8_MAX_K;
}

static runt_status plan_q8_conv(const runt_plan *p, int i, runt_cuda_node *o)
{
    const runt_cuda_conv_geom *g = &o->conv;
    o->kind = RUNT_CUDA_K_Q8_CONV;
    o->q8_n = g->m, o->q8_k = g->kc;
    o->q8_k_pad = round_up(g->kc, RUNT_CUDA_Q8_KB);
    o->q8_ldacc = round_up(g->m, 4);
    o->q8_rows = g->n * g->p;
    o->q8_x_count = g->n * g->c * g->h * g->w;
    o->q8_act = p->nodes[i].attrs.conv.epilogue;
    o->q8_out.rows_per_image = max1(g->p);
    o->q8_out.image_stride = g->m * g->p;
    o->q8_out.row_stride = 1;
    o->q8_out.col_stride = g->p;
    size_t col = 0;
    if (g->group == 1) {
        o->q8_engine = q8_product_engine(o->q8_rows, o->q8_n, o->q8_k_pad);
        col = (size_t)o->q8_rows * (size_t)o->q8_k_pad;
    } else {
        o->q8_engine = RUNT_CUDA_Q8_DIRECT;
    }
    q8_product_desc(o);
    q8_scratch(o, (size_t)o->q8_x_count, col);
    return RUNT_OK;
}

/* ------------------------------------------------------------------------- */
/* Dispatch                                                                  */
/* ------------------------------------------------------------------------- */

runt_status runt_cuda_node_plan(const runt_plan *plan, int i, runt_cuda_node *out)
{
    memset(out, 0, sizeof *out);
    if (!plan || i < 0 || i >= plan->n_nodes)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_cuda_node_plan: node %d out of range", i);
    runt_op op = plan->nodes[i].op;
    if (is_integer_op(op) && !is_copy(plan, i))
        return runt_error_set(RUNT_E_UNSUPPORTED,
                              "the CUDA backend has no kernels for ONNX's integer ops; on the "
                              "GPU, run the f32 model with compute_dtype int8 (dynamic "
                              "quantization), or this model on the cpu or ref backend");
    runt_status s = check_values(plan, i);
    if (s != RUNT_OK)
        return s;
    if (!runt_plan_node_output(plan, i, 0))
        return RUNT_OK; /* nothing reads the result: a NOP */
    if (plan->compute_dtype == RUNT_I8) {
        if ((op == RUNT_OP_GEMM || op == RUNT_OP_MATMUL) && q8_linear_shape(plan, i, out))
            return plan_q8_linear(out);
        if (op == RUNT_OP_CONV && q8_conv_fits(plan, i, out))
            return plan_q8_conv(plan, i, out);
        memset(out, 0, sizeof *out); /* stays f32 */
    }
    switch (op) {
    case RUNT_OP_IDENTITY:
    case RUNT_OP_RESHAPE:
    case RUNT_OP_FLATTEN:
    case RUNT_OP_DROPOUT:
    case RUNT_OP_CONSTANT:
    case RUNT_OP_CAST: return plan_copy(plan, i, out);
    case RUNT_OP_RELU:
    case RUNT_OP_LEAKY_RELU:
    case RUNT_OP_CLIP:
    case RUNT_OP_SIGMOID:
    case RUNT_OP_TANH:
    case RUNT_OP_ERF:
    case RUNT_OP_GELU: return plan_unary(plan, i, out);
    case RUNT_OP_ADD:
    case RUNT_OP_SUB:
    case RUNT_OP_MUL:
    case RUNT_OP_DIV: return plan_binary(plan, i, out);
    case RUNT_OP_SOFTMAX: return plan_softmax(plan, i, out);
    case RUNT_OP_LAYER_NORM: return plan_layer_norm(plan, i, out);
    case RUNT_OP_BATCH_NORM: return plan_batch_norm(plan, i, out);
    case RUNT_OP_MAX_POOL:
    case RUNT_OP_AVERAGE_POOL: return plan_pool(plan, i, out);
    case RUNT_OP_GLOBAL_AVERAGE_POOL: return plan_global_pool(plan, i, out);
    case RUNT_OP_PAD: return plan_pad(plan, i, out);
    case RUNT_OP_GEMM: return plan_gemm(plan, i, out);
    case RUNT_OP_MATMUL: return plan_matmul(plan, i, out);
    case RUNT_OP_CONV: return plan_conv(plan, i, out);
    default:
        return runt_error_set(RUNT_E_UNSUPPORTED, "the CUDA backend has no kernel for op %d",
                              (int)op);
    }
}

static int nonzero(int64_t count) { return count > 0; }

int runt_cuda_node_launches(const runt_cuda_node *n)
{
    int epilogue = n->has_epilogue && n->epilogue.count > 0;
    switch (n->kind) {
    case RUNT_CUDA_K_NOP: return 0;
    case RUNT_CUDA_K_COPY: return n->copy_bytes > 0;
    case RUNT_CUDA_K_UNARY: return nonzero(n->k.unary.count);
    case RUNT_CUDA_K_BINARY: return nonzero(n->k.binary.count);
    case RUNT_CUDA_K_SOFTMAX: return nonzero(n->k.softmax.outer * n->k.softmax.len * n->k.softmax.inner);
    case RUNT_CUDA_K_LAYER_NORM: return nonzero(n->k.layer_norm.outer * n->k.layer_norm.block);
    case RUNT_CUDA_K_BATCH_NORM: return nonzero(n->k.batch_norm.count);
    case RUNT_CUDA_K_POOL: return nonzero(n->k.pool.count);
    case RUNT_CUDA_K_GLOBAL_POOL: return nonzero(n->k.global_pool.planes);
    case RUNT_CUDA_K_PAD: return nonzero(n->k.pad.count);
    case RUNT_CUDA_K_CONV_DIRECT: return nonzero(n->k.conv_direct.count);
    case RUNT_CUDA_K_GEMM: return 1 + epilogue;
    case RUNT_CUDA_K_MATMUL: return n->mm_calls;
    case RUNT_CUDA_K_CONV_GEMM: {
        const runt_cuda_conv_geom *g = &n->conv;
        int64_t chunks = (g->n + n->chunk_images - 1) / n->chunk_images;
        int64_t gemms = g->group == 1 ? chunks : g->n;
        return (int)((n->conv_1x1 ? 0 : chunks) + gemms) + epilogue;
    }
    case RUNT_CUDA_K_Q8_LINEAR:
        return n->q8_fused ? 1 : 2 + (n->q8_engine == RUNT_CUDA_Q8_LT ? 2 : 1);
    case RUNT_CUDA_K_Q8_CONV:
        return 2 + (n->q8_engine == RUNT_CUDA_Q8_DIRECT ? 1
                    : n->q8_engine == RUNT_CUDA_Q8_LT    ? 3 : 2);
    case RUNT_CUDA_K_CHAIN: return 1;
    case RUNT_CUDA_K_CHAINED: return 0;
    default: return 1;
    }
}

const char *runt_cuda_kind_name(const runt_cuda_node *n)
{
    switch (n->kind) {
    case RUNT_CUDA_K_NOP: return "none (in place)";
    case RUNT_CUDA_K_COPY: return "device copy";
    case RUNT_CUDA_K_UNARY: return "element-wise";
    case RUNT_CUDA_K_BINARY: return n->k.binary.same_shape ? "binary" : "binary (broadcast)";
    case RUNT_CUDA_K_SOFTMAX: return n->k.softmax.inner == 1 ? "softmax (rows)" : "softmax (strided)";
    case RUNT_CUDA_K_LAYER_NORM: return "layer norm";
    case RUNT_CUDA_K_BATCH_NORM: return "batch norm";
    case RUNT_CUDA_K_POOL: return n->k.pool.is_max ? "max pool" : "average pool";
    case RUNT_CUDA_K_GLOBAL_POOL: return "global average pool";
    case RUNT_CUDA_K_PAD: return "pad";
    case RUNT_CUDA_K_GEMM: return "cublas gemm";
    case RUNT_CUDA_K_MATMUL: return n->mm_calls > 1 ? "cublas gemm per batch" : "cublas gemm";
    case RUNT_CUDA_K_CONV_GEMM: return n->conv_1x1 ? "cublas conv 1x1" : "im2col + cublas";
    case RUNT_CUDA_K_CONV_DIRECT: return "direct conv";
    case RUNT_CUDA_K_Q8_LINEAR:
    case RUNT_CUDA_K_Q8_CONV:
        return n->q8_engine == RUNT_CUDA_Q8_LT     ? "int8 cublasLt"
               : n->q8_fused                       ? "int8 dp4a (quantizing in the kernel)"
               : n->q8_engine == RUNT_CUDA_Q8_DP4A ? "int8 dp4a"
                                                   : "int8 direct conv";
    case RUNT_CUDA_K_CHAIN: return "fused chain (cluster kernel)";
    case RUNT_CUDA_K_CHAINED: return "in the fused chain above";
    default: return "?";
    }
}
