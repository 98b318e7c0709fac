/*
 * compute_dtype int8: dynamic quantization on q8.h's kernels for every
 * Gemm, MatMul and Conv whose weight is a constant (weights quantized once
 * here at prepare, activations per run, per tensor, to u8). Nodes that do
 * not fit (a transposed A, alpha != 1, a C that is not a bias row, weights
 * computed at run time) and every other op stay in f32.
 *
 * Linear: only layers with at least RUNT_INT8_MIN_WEIGHTS_DEFAULT weights
 * (or runt_cpu_options.int8_min_weights) are quantized; smaller ones stay f32.
 * x is quantized as one tensor into scratch, rows spread to the
 * kernels' k_pad stride, then runt_q8_gemm_u8 with the session's threads
 * (runt_q8_linear would use OpenMP's default count).
 * Quantized layers (a quantized model's Gemm/MatMul/Conv with int8
 * weights, folded by runtime/quant_patterns.c): the weights are packed as
 * they are (runt_q8_weights_pack_s8) with their scales, and x is quantized
 * by the layer's own rule: its constant scale and zero point (QDQ) or per
 * run as DynamicQuantizeLinear (quantize_dynamic). Same kernels after that.
 *
 * Conv: X is quantized once per run; per image and group the u8 im2col
 * rows (one per output pixel, the zero point in the padding, so padding
 * dequantizes to exactly 0) go through runt_q8_gemm_u8, which writes the
 * transposed product straight into NCHW.
 */
#include <string.h>

#include "common/q8_layers.h"
#include "cpu_impl.h"
#include "q8_impl.h"

static size_t bytes_as_floats(size_t bytes) { return (bytes + 63) / 64 * 16; }

/* One group's conv weights, [mg][cg][taps] as ONNX stores them, into the
 * order of the im2col rows below, [mg][taps][cg]; elem bytes per weight.
 * Each output channel keeps the same values, so its scale and quantized
 * values do not change. */
static void taps_outer(const void *w, int64_t mg, int64_t cg, int64_t taps, size_t elem,
                       void *dst)
{
    const char *src = w;
    char *out = dst;
    for (int64_t m = 0; m < mg; m++)
        for (int64_t t = 0; t < taps; t++)
            for (int64_t c = 0; c < cg; c++)
                memcpy(out + (size_t)((m * taps + t) * cg + c) * elem,
                       src + (size_t)((m * cg + c) * taps + t) * elem, elem);
}

/* A layer's int8 weights, one runt_q8_weights per group: a Linear's n x k
 * (trans: stored [k][n]; taps 0), or a conv's [n][k][taps] per group put in
 * the order of its im2col rows (taps_outer). From f32 w, quantized; or from
 * int8 wq as they are, with scales (one, or one per output channel). */
typedef struct q8_pack_job {
    runt_cpu_state *st;      /* for the fill's temporary buffers              */
    int64_t groups, n, k, taps;
    int trans;
    const float *w;
    const int8_t *wq;
    const float *scales;
    int64_t scale_count;
} q8_pack_job;

static size_t round64(size_t bytes) { return (bytes + 63) / 64 * 64; }

static int64_t q8_depth(const q8_pack_job *j) { return j->taps ? j->k * j->taps : j->k; }

/* The shared buffer: the groups' runt_q8_weights, then each group's data. */
static size_t q8_head_bytes(const q8_pack_job *j)
{
    return round64((size_t)j->groups * sizeof(runt_q8_weights));
}

static runt_status q8_pack_group(const q8_pack_job *j, int64_t g, void *reordered, float *scales,
                                 runt_q8_weights *out, void *at, size_t one)
{
    int64_t depth = q8_depth(j);
    size_t elem = j->wq ? sizeof *j->wq : sizeof *j->w;
    const char *src = j->wq ? (const char *)j->wq : (const char *)j->w;
    src += (size_t)(g * j->n * depth) * elem;
    if (j->taps) {
        taps_outer(src, j->n, j->k, j->taps, elem, reordered);
        src = reordered;
    }
    if (!j->wq)
        return runt_q8_weights_pack((const float *)src, j->n, depth, j->trans, at, one, out);
    for (int64_t c = 0; c < j->n; c++)
        scales[c] = j->scales[j->scale_count == 1 ? 0 : g * j->n + c];
    return runt_q8_weights_pack_s8((const int8_t *)src, scales, j->n, depth, j->trans, at, one,
                                   out);
}

static runt_status q8_pack_fill(void *ctx, void *dst, size_t bytes)
{
    const q8_pack_job *j = ctx;
    size_t one = round64(runt_q8_weights_size(j->n, q8_depth(j)));
    size_t elem = j->wq ? sizeof *j->wq : sizeof *j->w;
    void *reordered = j->taps ? runt_cpu_alloc(j->st, (size_t)(j->n * q8_depth(j)) * elem) : NULL;
    float *scales = j->wq ? runt_cpu_alloc(j->st, (size_t)j->n * sizeof(float)) : NULL;
    runt_status s = (j->taps && !reordered) || (j->wq && !scales)
                        ? runt_error_set(RUNT_E_OOM, "int8: out of memory packing the weights")
                        : RUNT_OK;
    char *storage = (char *)dst + q8_head_bytes(j);
    (void)bytes;
    for (int64_t g = 0; g < j->groups && s == RUNT_OK; g++)
        s = q8_pack_group(j, g, reordered, scales, (runt_q8_weights *)dst + g,
                          storage + one * (size_t)g, one);
    runt_cpu_free(j->st, reordered);
    runt_cpu_free(j->st, scales);
    return s;
}

/* Node i's int8 weights into cn->q8, shared with the model's sessions. */
static runt_status q8_pack(const runt_plan *p, runt_cpu_node *cn, const q8_pack_job *j)
{
    size_t one = runt_q8_weights_size(j->n, q8_depth(j));
    if (one == 0)
        return runt_error_set(RUNT_E_UNSUPPORTED, "int8: weights %lld x %lld are out of range",
                              (long long)j->n, (long long)q8_depth(j));
    const int64_t key[6] = {j->groups, j->n, j->k, j->taps, j->trans,
                            (int64_t)(intptr_t)j->scales};
    cn->q8_groups = (int)j->groups;
    return runt_cpu_weights_share(j->st, p, j->wq ? (const void *)j->wq : j->w, RUNT_CPU_W_Q8,
                                  key, q8_head_bytes(j) + round64(one) * (size_t)j->groups,
                                  q8_pack_fill, (void *)j, (void **)&cn->q8);
}

/* Scratch of an int8 conv: the quantized input, one group of it in HWC
 * order, and the im2col rows. */
static size_t conv_scratch_floats(const runt_tensor *x, const runt_tensor *y, int64_t cg,
                                  int64_t kc)
{
    return bytes_as_floats((size_t)runt_tensor_count(x)) +
           bytes_as_floats((size_t)(cg * x->dims[2] * x->dims[3])) +
           bytes_as_floats(runt_q8_linear_scratch(y->dims[2] * y->dims[3], kc));
}

/* A Linear with fewer weights stays f32 in an int8 session: its f32
 * weights fit in L1 (64 KB and less), so the f32 product runs at L1 speed
 * and quantizing x each run costs more than 4x fewer weight bytes save.
 * int8 / f32 time at 1 thread on the AVX-512 VNNI dev VM (runt sessions,
 * best of 5 x 5000 runs), batch 1: Linear(1000,1) 10.6, (10,1000) 1.30,
 * (1000,10) 2.31, (100,100) 1.53 | (128,128) 0.53, (256,256) 0.39,
 * (500,100) 0.67; batch 16 and 64 cross over at the same size (64x64 1.3-1.9,
 * 100x100 0.9-1.2, 100x500 0.7-0.8). It also keeps the quantization error
 * off layers too small to be worth it. That line is runt.h's
 * RUNT_INT8_MIN_WEIGHTS_DEFAULT (16384). */

static runt_status linear_prepare(runt_cpu_state *st, const runt_plan *p, int i, int *taken)
{
    runt_cpu_node *cn = &st->nodes[i];
    runt_q8_layer_linear lin;
    if (!runt_q8_linear_shape(p, i, &lin))
        return RUNT_OK;
    int64_t m = lin.m, n = lin.n, k = lin.k;
    int64_t min_weights = st->int8_min_weights > 0 ? st->int8_min_weights
                                                   : RUNT_INT8_MIN_WEIGHTS_DEFAULT;
    if (n * k < min_weights) {
        runt_plan_log(p, RUNT_LOG_INFO, "node '%s': %lld weights, f32 (int8 from %lld)",
                      p->nodes[i].name, (long long)(n * k), (long long)min_weights);
        return RUNT_OK;
    }
    q8_pack_job job = {st, 1, n, k, 0, lin.trans, lin.w, NULL, NULL, 0};
    runt_status s = q8_pack(p, cn, &job);
    if (s != RUNT_OK)
        return s;
    const runt_plan_value *vc = runt_plan_node_input(p, i, 2);
    float beta = p->nodes[i].attrs.gemm.beta;
    if (vc && beta != 1.0f) {
        cn->bias = runt_cpu_alloc_weights(st, (size_t)n * sizeof(float));
        if (!cn->bias)
            return runt_error_set(RUNT_E_OOM, "int8: out of memory for the bias");
        for (int64_t j = 0; j < n; j++)
            cn->bias[j] = beta * ((const float *)vc->data)[j];
    }
    cn->kind = RUNT_CPU_K_Q8_LINEAR;
    /* u8 rows k_pad apart: what runt_q8_linear would ask for. */
    cn->scratch_floats = bytes_as_floats(runt_q8_linear_scratch(m, k));
    *taken = 1;
    return RUNT_OK;
}

/* Quantizes node i's input x (count floats, one tensor) to u8: with the
 * layer's constant x_scale and x_zero_point when it has them (a QDQ model;
 * an int8 zero point moves to u8 by + 128, see runt_q8_quantize_u8_with),
 * else per run as DynamicQuantizeLinear does. */
static runt_status quantize_input(const runt_plan *p, int i, const float *x, int64_t count,
                                  uint8_t *q, float *scale, uint8_t *zp)
{
    const runt_plan_node *n = &p->nodes[i];
    int vs = n->n_inputs > RUNT_QW_X_SCALE ? n->inputs[RUNT_QW_X_SCALE] : -1;
    if (vs < 0)
        return runt_q8_quantize_u8(x, count, q, scale, zp);
    const runt_plan_value *z = &p->values[n->inputs[RUNT_QW_X_ZERO_POINT]];
    *scale = *(const float *)p->values[vs].data;
    *zp = z->desc.dtype == RUNT_I8 ? (uint8_t)(*(const int8_t *)z->data + 128)
                                   : *(const uint8_t *)z->data;
    return runt_q8_quantize_u8_with(x, count, *scale, *zp, q);
}

/* The u8 scale and zero point quantize_input would use, without
 * quantizing (the direct conv quantizes as it lays the input out). */
static runt_status input_params(const runt_plan *p, int i, const float *x, int64_t count,
                                float *scale, uint8_t *zp)
{
    const runt_plan_node *n = &p->nodes[i];
    int vs = n->n_inputs > RUNT_QW_X_SCALE ? n->inputs[RUNT_QW_X_SCALE] : -1;
    if (vs < 0)
        return runt_q8_quantize_u8(x, count, NULL, scale, zp);
    uint8_t unused;
    return quantize_input(p, i, x, 0, &unused, scale, zp); /* checks the scale */
}

/* Quantizes x [m][k] as one tensor into q, rows k_pad bytes apart. */
static runt_status quantize_rows(const runt_plan *p, int i, const float *x, int64_t m, int64_t k,
                                 int64_t k_pad, uint8_t *q, float *scale, uint8_t *zp)
{
    runt_status s = quantize_input(p, i, x, m * k, q, scale, zp);
    for (int64_t r = m - 1; s == RUNT_OK && r > 0 && k_pad != k; r--)
        memmove(q + r * k_pad, q + r * k, (size_t)k);
    /* The kernels read each row to k_pad; the weights are zero past k, so any
     * byte would do, but an unwritten one is uninitialised memory the product
     * reads (valgrind reports every use of it downstream). */
    for (int64_t r = 0; s == RUNT_OK && r < m && k_pad != k; r++)
        memset(q + r * k_pad + k, 0, (size_t)(k_pad - k));
    return s;
}

static runt_status linear_run(const runt_cpu_state *st, const runt_plan *p, int i,
                              const runt_bindings *b)
{
    const runt_cpu_node *cn = &st->nodes[i];
    const runt_plan_node *node = &p->nodes[i];
    const runt_q8_weights *w = &cn->q8[0];
    const float *x = runt_plan_value_ptr(p, b, node->inputs[0]);
    float *y = runt_plan_value_ptr(p, b, node->outputs[0]);
    const runt_plan_value *vc = runt_plan_node_input(p, i, 2);
    const float *bias = cn->bias ? cn->bias : vc ? runt_plan_value_ptr(p, b, node->inputs[2]) : NULL;
    const runt_epilogue *e = node->op == RUNT_OP_GEMM ? &node->attrs.gemm.epilogue : NULL;
    int64_t m = runt_tensor_count(&p->values[node->outputs[0]].desc) / w->n;
    uint8_t *q = (uint8_t *)runt_cpu_scratch(b);
    float scale;
    uint8_t zp;
    runt_status s = quantize_rows(p, i, x, m, w->k, w->k_pad, q, &scale, &zp);
    if (s != RUNT_OK)
        return s;
    runt_q8_output out = {y, w->n, 1, st->threads};
    return runt_q8_gemm_u8_with(st->q8_kernel, q, w->k_pad, m, scale, zp, w, bias, e, &out);
}

/* An int8 conv with its weights packed: direct (cpu_conv_direct.c) where
 * that runs, else im2col + the q8 GEMM. */
static runt_status conv_path(runt_cpu_state *st, const runt_plan *p, int i, const runt_tensor *x,
                             const runt_tensor *y, int64_t cg, int64_t kc)
{
    if (runt_cpu_conv_direct_q8_wanted(st, p, i))
        return runt_cpu_conv_direct_q8_prepare(st, p, i);
    st->nodes[i].kind = RUNT_CPU_K_Q8_CONV;
    st->nodes[i].scratch_floats = conv_scratch_floats(x, y, cg, kc);
    return RUNT_OK;
}

static runt_status conv_prepare(runt_cpu_state *st, const runt_plan *p, int i, int *taken)
{
    runt_cpu_node *cn = &st->nodes[i];
    const runt_plan_node *node = &p->nodes[i];
    const runt_plan_value *vw = runt_plan_node_input(p, i, 1);
    if (!vw || vw->storage != RUNT_STORE_CONSTANT || !runt_cpu_conv_as_gemm(p, i, 1))
        return RUNT_OK;
    const runt_tensor *x = &p->values[node->inputs[0]].desc, *wd = &vw->desc;
    const runt_tensor *y = &p->values[node->outputs[0]].desc;
    int64_t groups = node->attrs.conv.group, mg = wd->dims[0] / groups;
    int64_t kc = wd->dims[1] * wd->dims[2] * wd->dims[3];
    if (kc > RUNT_Q8_MAX_K)
        return RUNT_OK;
    q8_pack_job job = {st, groups, mg, wd->dims[1], wd->dims[2] * wd->dims[3], 0, vw->data,
                       NULL, NULL, 0};
    runt_status s = q8_pack(p, cn, &job);
    if (s != RUNT_OK)
        return s;
    *taken = 1;
    return conv_path(st, p, i, x, y, wd->dims[1], kc);
}

/* The quantized image's channels of one group, [cg][h][w], as [h][w][cg]
 * (NHWC): one tap of an output pixel is then cg consecutive bytes, which
 * im2col copies as a run (the byte-by-byte gather from [cg][h][w] took two
 * thirds of an int8 3x3 conv's time). Units: image rows. */
typedef struct hwc_loop {
    const uint8_t *src;
    int64_t cg, h, w;
    uint8_t *dst;
} hwc_loop;

static void hwc_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    const hwc_loop *l = ctx;
    (void)slot;
    for (int64_t y = lo; y < hi; y++)
        for (int64_t c = 0; c < l->cg; c++) {
            const uint8_t *src = l->src + (c * l->h + y) * l->w;
            uint8_t *dst = l->dst + y * l->w * l->cg + c;
            for (int64_t x = 0; x < l->w; x++)
                dst[x * l->cg] = src[x];
        }
}

/* The im2col rows [lo, hi) (output pixels) of one group from its HWC image:
 * taps in (i, j) order, each cg bytes (the weights' order, taps_outer), zp
 * where a tap falls into the padding, zeros from kc to k_pad. */
typedef struct im2col_u8_loop {
    const runt_conv_attrs *a;
    const uint8_t *hwc;
    int64_t cg, h, w, kh, kw, ow, kc, k_pad;
    uint8_t zp;
    uint8_t *col;
} im2col_u8_loop;

static void im2col_u8_body(void *ctx, int64_t lo, int64_t hi, int slot)
{
    const im2col_u8_loop *l = ctx;
    const runt_conv_attrs *a = l->a;
    size_t run = (size_t)l->cg;
    (void)slot;
    for (int64_t px = lo; px < hi; px++) {
        uint8_t *row = l->col + px * l->k_pad;
        int64_t y0 = px / l->ow * a->strides[0] - a->pads[0];
        int64_t x0 = px % l->ow * a->strides[1] - a->pads[1];
        for (int64_t i = 0; i < l->kh; i++) {
            int64_t iy = y0 + i * a->dilations[0];
            if (iy < 0 || iy >= l->h) {
                memset(row, l->zp, run * (size_t)l->kw);
                row += run * (size_t)l->kw;
                continue;
            }
            const uint8_t *src = l->hwc + iy * l->w * l->cg;
            if (a->dilations[1] == 1 && x0 >= 0 && x0 + l->kw <= l->w) {
                /* The row's taps lie side by side in the image: one run. */
                memcpy(row, src + x0 * l->cg, run * (size_t)l->kw);
                row += run * (size_t)l->kw;
                continue;
            }
            for (int64_t j = 0; j < l->kw; j++, row += run) {
                int64_t ix = x0 + j * a->dilations[1];
                if (ix >= 0 && ix < l->w)
                    memcpy(row, src + ix * l->cg, run);
                else
                    memset(row, l->zp, run);
            }
        }
        memset(row, 0, (size_t)(l->k_pad - l->kc)); /* as in quantize_rows */
    }
}

static runt_status conv_run(const runt_cpu_state *st, const runt_plan *p, int i,
                            const runt_bindings *b)
{
    const runt_cpu_node *cn = &st->nodes[i];
    const runt_plan_node *node = &p->nodes[i];
    const runt_conv_attrs *a = &node->attrs.conv;
    const runt_tensor *xd = &p->values[node->inputs[0]].desc;
    const runt_tensor *wd = &p->values[node->inputs[1]].desc;
    const runt_tensor *yd = &p->values[node->outputs[0]].desc;
    const float *x = runt_plan_value_ptr(p, b, node->inputs[0]);
    const float *bias = node->n_inputs > 2 && node->inputs[2] >= 0
                            ? runt_plan_value_ptr(p, b, node->inputs[2]) : NULL;
    float *y = runt_plan_value_ptr(p, b, node->outputs[0]);
    int64_t n = xd->dims[0], c = xd->dims[1], h = xd->dims[2], w = xd->dims[3];
    int64_t groups = a->group, cg = wd->dims[1], mg = wd->dims[0] / groups;
    int64_t kh = wd->dims[2], kw = wd->dims[3], ow = yd->dims[3];
    int64_t pixels = yd->dims[2] * ow, kc = cg * kh * kw;
    float *scratch = runt_cpu_scratch(b);
    uint8_t *xq = (uint8_t *)scratch;
    uint8_t *hwc = (uint8_t *)(scratch + bytes_as_floats((size_t)runt_tensor_count(xd)));
    uint8_t *col = hwc + bytes_as_floats((size_t)(cg * h * w)) * sizeof(float);
    float scale;
    uint8_t zp;
    runt_status st_q = quantize_input(p, i, x, runt_tensor_count(xd), xq, &scale, &zp);
    if (st_q != RUNT_OK)
        return st_q;
    for (int64_t img = 0; img < n; img++)
        for (int64_t g = 0; g < groups; g++) {
            const runt_q8_weights *wq = &cn->q8[g];
            hwc_loop t = {xq + (img * c + g * cg) * h * w, cg, h, w, hwc};
            runt_cpu_parallel(runt_cpu_pass_threads((double)(cg * h * w), st->threads), h, 0,
                              hwc_body, &t);
            im2col_u8_loop l = {a, hwc, cg, h, w, kh, kw, ow, kc, wq->k_pad, zp, col};
            runt_cpu_parallel(runt_cpu_pass_threads((double)pixels * (double)kc, st->threads),
                              pixels, 0, im2col_u8_body, &l);
            runt_q8_output out = {y + (img * yd->dims[1] + g * mg) * pixels, 1, pixels,
                                  st->threads};
            runt_status s = runt_q8_gemm_u8_with(st->q8_kernel, col, wq->k_pad, pixels, scale,
                                                 zp, wq, bias ? bias + g * mg : NULL,
                                                 &a->epilogue, &out);
            if (s != RUNT_OK)
                return s;
        }
    return RUNT_OK;
}

/* ------------------------------------------------------------------------ */
/* Quantized layers (a quantized model's, runt-backend.h): int8 weights      */
/* ------------------------------------------------------------------------ */

/* The weights of each group, packed as they are with w_scale (one value,
 * or one per output channel): a Linear's [n][k] (taps 0), or a conv's
 * [n][k][taps]. */
static runt_status qlayer_pack(runt_cpu_state *st, const runt_plan *p, int i, int64_t groups,
                               int64_t n, int64_t k, int64_t taps, int trans)
{
    const runt_plan_value *vw = runt_plan_node_input(p, i, 1);
    const runt_plan_value *vs = runt_plan_node_input(p, i, RUNT_QW_W_SCALE);
    q8_pack_job job = {st, groups, n, k, taps, trans, NULL, vw->data, vs->data,
                       runt_tensor_count(&vs->desc)};
    return q8_pack(p, &st->nodes[i], &job);
}

runt_status runt_cpu_qlayer_prepare(runt_cpu_state *st, const runt_plan *p, int i)
{
    runt_cpu_node *cn = &st->nodes[i];
    const runt_plan_node *node = &p->nodes[i];
    const runt_tensor *wd = &runt_plan_node_input(p, i, 1)->desc, *x = &p->values[node->inputs[0]].desc;
    const runt_tensor *y = &p->values[node->outputs[0]].desc;
    runt_status s;
    if (node->op == RUNT_OP_CONV) {
        if (!runt_cpu_conv_as_gemm(p, i, 1))
            return runt_error_set(RUNT_E_UNSUPPORTED, "int8: a quantized Conv of this shape");
        int64_t groups = node->attrs.conv.group, taps = wd->dims[2] * wd->dims[3];
        if ((s = qlayer_pack(st, p, i, groups, wd->dims[0] / groups, wd->dims[1], taps, 0)))
            return s;
        return conv_path(st, p, i, x, y, wd->dims[1], wd->dims[1] * taps);
    }
    /* Gemm's B with trans_b is [N, K]; otherwise [K, N], as MatMul's. */
    int nk = node->op == RUNT_OP_GEMM && node->attrs.gemm.trans_b;
    int64_t n = wd->dims[nk ? 0 : 1], k = wd->dims[nk ? 1 : 0];
    if ((s = qlayer_pack(st, p, i, 1, n, k, 0, !nk)))
        return s;
    cn->kind = RUNT_CPU_K_Q8_LINEAR;
    cn->scratch_floats = bytes_as_floats(runt_q8_linear_scratch(runt_tensor_count(y) / n, k));
    return RUNT_OK;
}

runt_status runt_cpu_int8_prepare(runt_cpu_state *st, const runt_plan *p, int i, int *taken)
{
    *taken = 0;
    switch (p->nodes[i].op) {
    case RUNT_OP_GEMM:
    case RUNT_OP_MATMUL: return linear_prepare(st, p, i, taken);
    case RUNT_OP_CONV: return conv_prepare(st, p, i, taken);
    default: return RUNT_OK;
    }
}

runt_status runt_cpu_int8_run(const runt_cpu_state *st, const runt_plan *p, int i,
                              const runt_bindings *b)
{
    switch (st->nodes[i].kind) {
    case RUNT_CPU_K_Q8_CONV: return conv_run(st, p, i, b);
    case RUNT_CPU_K_Q8_CONV_DIRECT: {
        const runt_tensor *xd = &p->values[p->nodes[i].inputs[0]].desc;
        float scale;
        uint8_t zp;
        runt_status s = input_params(p, i, runt_plan_value_ptr(p, b, p->nodes[i].inputs[0]),
                                     runt_tensor_count(xd), &scale, &zp);
        return s != RUNT_OK ? s : runt_cpu_conv_direct_q8_run(st, p, i, b, scale, zp);
    }
    default: return linear_run(st, p, i, b);
    }
}
