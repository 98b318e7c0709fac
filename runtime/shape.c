/*
 * Shape inference of the float ops (and of the ops that copy any dtype:
 * Identity, Dropout, Reshape, Flatten, Constant, Pad), and the shape helpers
 * every rule uses. The quantization ops are in shape_quant.c, which reuses
 * the MatMul and Conv rules here; runt_shape_infer (shape_infer.c) picks
 * between the two, so calls between these files only go down.
 */
#include "shape.h"

#include <stdio.h>
#include <string.h>

#include "error.h"
#include "ops.h"

const char *runt_shape_str(const runt_tensor *t, char *buf, size_t size)
{
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < t->ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, i ? ", %lld" : "%lld",
                                 (long long)t->dims[i]);
    if (used < size)
        snprintf(buf + used, size - used, "]");
    return buf;
}

static void runt_set_shape(runt_tensor *t, runt_dtype dtype, int ndim, const int64_t *dims)
{
    memset(t, 0, sizeof *t);
    t->dtype = dtype;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++)
        t->dims[i] = dims[i];
}

static runt_status runt_require_f32(const runt_tensor *in, int n_in)
{
    for (int i = 0; i < n_in; i++)
        if (in[i].ndim >= 0 && in[i].dtype != RUNT_F32)
            return runt_error_set(RUNT_E_UNSUPPORTED, "input %d is %s; this op supports f32", i,
                                  runt_dtype_name(in[i].dtype));
    return RUNT_OK;
}

static runt_status runt_require_rank(const runt_tensor *t, int input, int lo, int hi)
{
    char s[96];
    if (t->ndim < lo || t->ndim > hi)
        return runt_error_set(RUNT_E_SHAPE, "input %d has shape %s; expected rank %d%s%.0d", input,
                              runt_shape_str(t, s, sizeof s), lo, hi > lo ? " to " : "",
                              hi > lo ? hi : 0);
    return RUNT_OK;
}

/* The two operands of a product (Gemm's A and B, MatMul's, Conv's image and
 * weight): inputs 0 and 1, each of rank lo to hi. */
static runt_status runt_require_operands(const runt_tensor *in, int lo, int hi)
{
    runt_status s = runt_require_rank(&in[0], 0, lo, hi);
    return s != RUNT_OK ? s : runt_require_rank(&in[1], 1, lo, hi);
}

runt_status runt_shape_broadcast(const runt_tensor *a, const runt_tensor *b, runt_tensor *out)
{
    int nd = a->ndim > b->ndim ? a->ndim : b->ndim;
    int64_t dims[RUNT_MAX_DIMS];
    for (int i = 0; i < nd; i++) {
        int ia = a->ndim - nd + i, ib = b->ndim - nd + i;
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1) {
            char sa[96], sb[96];
            return runt_error_set(RUNT_E_SHAPE, "shapes %s and %s do not broadcast (axis %d: %lld vs %lld)",
                                  runt_shape_str(a, sa, sizeof sa), runt_shape_str(b, sb, sizeof sb),
                                  i, (long long)da, (long long)db);
        }
        dims[i] = da == 1 ? db : da;
    }
    runt_set_shape(out, a->dtype, nd, dims);
    return RUNT_OK;
}

static runt_status runt_infer_gemm(const runt_gemm_attrs *g, const runt_tensor *in, int n_in,
                                   runt_tensor *out)
{
    runt_status s = runt_require_operands(in, 2, 2);
    if (s != RUNT_OK)
        return s;
    int64_t m = g->trans_a ? in[0].dims[1] : in[0].dims[0];
    int64_t ka = g->trans_a ? in[0].dims[0] : in[0].dims[1];
    int64_t kb = g->trans_b ? in[1].dims[1] : in[1].dims[0];
    int64_t n = g->trans_b ? in[1].dims[0] : in[1].dims[1];
    if (ka != kb)
        return runt_error_set(RUNT_E_SHAPE, "inner dimensions differ: A gives K=%lld, B gives K=%lld"
                              " (trans_a=%d, trans_b=%d)", (long long)ka, (long long)kb,
                              g->trans_a, g->trans_b);
    int64_t dims[2] = {m, n};
    runt_set_shape(out, RUNT_F32, 2, dims);
    if (n_in > 2 && in[2].ndim >= 0) {
        /* C broadcasts one way only: to [M, N]. */
        const runt_tensor *c = &in[2];
        runt_tensor bc;
        if (c->ndim > 2 || runt_shape_broadcast(c, out, &bc) != RUNT_OK || bc.dims[0] != m ||
            (bc.ndim == 2 && bc.dims[1] != n)) {
            char sc[96];
            return runt_error_set(RUNT_E_SHAPE, "C has shape %s, which does not broadcast to [%lld, %lld]",
                                  runt_shape_str(c, sc, sizeof sc), (long long)m, (long long)n);
        }
    }
    return RUNT_OK;
}

static runt_status runt_infer_matmul(const runt_tensor *in, runt_tensor *out)
{
    runt_status s = runt_require_operands(in, 1, RUNT_MAX_DIMS);
    if (s != RUNT_OK)
        return s;
    runt_tensor a = in[0], b = in[1];
    /* numpy: a 1-D A is a row [1, K], a 1-D B a column [K, 1]; the added dim is dropped. */
    int drop_m = a.ndim == 1, drop_n = b.ndim == 1;
    if (drop_m) { a.ndim = 2; a.dims[1] = a.dims[0]; a.dims[0] = 1; }
    if (drop_n) { b.ndim = 2; b.dims[1] = 1; }
    int64_t k_a = a.dims[a.ndim - 1], k_b = b.dims[b.ndim - 2];
    if (k_a != k_b)
        return runt_error_set(RUNT_E_SHAPE, "inner dimensions differ: %lld vs %lld",
                              (long long)k_a, (long long)k_b);
    runt_tensor ba = a, bb = b, batch;
    ba.ndim -= 2;
    bb.ndim -= 2;
    if ((s = runt_shape_broadcast(&ba, &bb, &batch)))
        return s;
    int64_t dims[RUNT_MAX_DIMS + 2];
    int nd = batch.ndim;
    memcpy(dims, batch.dims, sizeof(int64_t) * (size_t)nd);
    if (!drop_m) dims[nd++] = a.dims[a.ndim - 2];
    if (!drop_n) dims[nd++] = b.dims[b.ndim - 1];
    if (nd > RUNT_MAX_DIMS)
        return runt_error_set(RUNT_E_UNSUPPORTED, "result has %d dims (at most %d)", nd, RUNT_MAX_DIMS);
    runt_set_shape(out, RUNT_F32, nd, dims);
    return RUNT_OK;
}

/* Output length of a sliding window along one axis, resolving auto_pad into
 * pads[begin]/pads[end]. ceil_mode as ONNX and PyTorch define it: a last
 * window that would start inside the end padding is dropped. */
static runt_status runt_window_out(int64_t in, int k, int stride, int dilation,
                                   runt_auto_pad auto_pad, int ceil_mode, int *pad_begin,
                                   int *pad_end, int64_t *out)
{
    int64_t span = (int64_t)(k - 1) * dilation + 1;
    if (auto_pad == RUNT_PAD_SAME_UPPER || auto_pad == RUNT_PAD_SAME_LOWER) {
        int64_t o = (in + stride - 1) / stride;
        int64_t total = (o - 1) * stride + span - in;
        if (total < 0)
            total = 0;
        int64_t small = total / 2, big = total - small;
        *pad_begin = (int)(auto_pad == RUNT_PAD_SAME_UPPER ? small : big);
        *pad_end = (int)(auto_pad == RUNT_PAD_SAME_UPPER ? big : small);
        *out = o;
        return RUNT_OK;
    }
    if (auto_pad == RUNT_PAD_VALID)
        *pad_begin = *pad_end = 0;
    int64_t padded = in + *pad_begin + *pad_end;
    if (padded < span)
        return runt_error_set(RUNT_E_SHAPE, "window of %lld (kernel %d, dilation %d) exceeds "
                              "padded input of %lld", (long long)span, k, dilation,
                              (long long)padded);
    int64_t o = ceil_mode ? (padded - span + stride - 1) / stride + 1 : (padded - span) / stride + 1;
    if (ceil_mode && (o - 1) * stride >= in + *pad_begin)
        o--;
    *out = o;
    return RUNT_OK;
}

static runt_status runt_check_window(const int *kernel, const int *strides, const int *dilations,
                                     const int *pads)
{
    for (int i = 0; i < 2; i++) {
        if (kernel[i] <= 0 || strides[i] <= 0 || dilations[i] <= 0)
            return runt_error_set(RUNT_E_BAD_MODEL, "kernel %dx%d, strides %dx%d, dilations %dx%d:"
                                  " all must be positive", kernel[0], kernel[1], strides[0],
                                  strides[1], dilations[0], dilations[1]);
    }
    for (int i = 0; i < 4; i++)
        if (pads[i] < 0)
            return runt_error_set(RUNT_E_BAD_MODEL, "negative padding %d", pads[i]);
    return RUNT_OK;
}

static runt_status runt_infer_conv(runt_conv_attrs *c, const runt_tensor *in, int n_in,
                                   runt_tensor *out)
{
    runt_status s = runt_require_operands(in, 4, 4);
    if (s != RUNT_OK)
        return s;
    const int64_t *x = in[0].dims, *w = in[1].dims;
    for (int i = 0; i < 2; i++) {
        if (c->kernel[i] == 0)
            c->kernel[i] = (int)w[2 + i];
        if (c->kernel[i] != w[2 + i])
            return runt_error_set(RUNT_E_SHAPE, "kernel_shape %dx%d disagrees with weight %lldx%lld",
                                  c->kernel[0], c->kernel[1], (long long)w[2], (long long)w[3]);
    }
    if (c->group <= 0 || w[0] % c->group || x[1] != w[1] * c->group)
        return runt_error_set(RUNT_E_SHAPE, "input has %lld channels, weight [%lld, %lld, ...] with "
                              "group %d needs %lld", (long long)x[1], (long long)w[0],
                              (long long)w[1], c->group, (long long)(w[1] * c->group));
    if (n_in > 2 && in[2].ndim >= 0 && (in[2].ndim != 1 || in[2].dims[0] != w[0]))
        return runt_error_set(RUNT_E_SHAPE, "bias must have shape [%lld]", (long long)w[0]);
    if ((s = runt_check_window(c->kernel, c->strides, c->dilations, c->pads)))
        return s;
    int64_t dims[4] = {x[0], w[0], 0, 0};
    for (int i = 0; i < 2; i++)
        if ((s = runt_window_out(x[2 + i], c->kernel[i], c->strides[i], c->dilations[i],
                                 c->auto_pad, 0, &c->pads[i], &c->pads[2 + i], &dims[2 + i])))
            return s;
    c->auto_pad = RUNT_PAD_EXPLICIT;
    runt_set_shape(out, RUNT_F32, 4, dims);
    return RUNT_OK;
}

static runt_status runt_infer_pool(runt_attrs *attrs, const runt_tensor *in, runt_tensor *out)
{
    runt_status s;
    if ((s = runt_require_rank(&in[0], 0, 4, 4)))
        return s;
    runt_pool_attrs *p = &attrs->pool;
    if ((s = runt_check_window(p->kernel, p->strides, p->dilations, p->pads)))
        return s;
    int64_t dims[4] = {in[0].dims[0], in[0].dims[1], 0, 0};
    for (int i = 0; i < 2; i++) {
        if (p->pads[i] >= p->kernel[i] * p->dilations[i] ||
            p->pads[2 + i] >= p->kernel[i] * p->dilations[i])
            /* A window made only of padding has no value (max of nothing). */
            return runt_error_set(RUNT_E_BAD_MODEL, "padding %d/%d is not smaller than the window %d",
                                  p->pads[i], p->pads[2 + i], p->kernel[i]);
        if ((s = runt_window_out(in[0].dims[2 + i], p->kernel[i], p->strides[i], p->dilations[i],
                                 p->auto_pad, p->ceil_mode, &p->pads[i], &p->pads[2 + i],
                                 &dims[2 + i])))
            return s;
    }
    p->auto_pad = RUNT_PAD_EXPLICIT;
    runt_set_shape(out, RUNT_F32, 4, dims);
    return RUNT_OK;
}

static runt_status runt_normalize_axis(int *axis, int rank, int allow_rank)
{
    int hi = allow_rank ? rank : rank - 1;
    if (*axis < -rank || *axis > hi)
        return runt_error_set(RUNT_E_BAD_MODEL, "axis %d out of range for rank %d", *axis, rank);
    if (*axis < 0)
        *axis += rank;
    return RUNT_OK;
}

static runt_status runt_infer_reshape(const runt_reshape_attrs *r, const runt_tensor *x,
                                      runt_tensor *out)
{
    int64_t dims[RUNT_MAX_DIMS], known = 1, total = runt_tensor_count(x);
    int infer_at = -1;
    if (r->ndim < 0 || r->ndim > RUNT_MAX_DIMS)
        return runt_error_set(RUNT_E_BAD_MODEL, "target shape has %d dims", r->ndim);
    for (int i = 0; i < r->ndim; i++) {
        int64_t d = r->shape[i];
        if (d == 0 && !r->allowzero) {
            if (i >= x->ndim)
                return runt_error_set(RUNT_E_SHAPE, "shape[%d] = 0 copies a dim the input lacks", i);
            d = x->dims[i];
        } else if (d == -1) {
            if (infer_at >= 0)
                return runt_error_set(RUNT_E_BAD_MODEL, "more than one -1 in the target shape");
            infer_at = i;
            d = 1;
        } else if (d < 0) {
            return runt_error_set(RUNT_E_BAD_MODEL, "shape[%d] = %lld", i, (long long)d);
        }
        if (d > 0 && known > INT64_MAX / d)
            return runt_error_set(RUNT_E_BAD_MODEL, "target shape overflows at dim %d (%lld)", i,
                                  (long long)d);
        dims[i] = d;
        known *= d;
    }
    if (infer_at >= 0) {
        if (known == 0 || total % known)
            return runt_error_set(RUNT_E_SHAPE, "cannot infer -1: %lld elements into blocks of %lld",
                                  (long long)total, (long long)known);
        dims[infer_at] = total / known;
        known = total;
    }
    if (known != total) {
        char sx[96];
        return runt_error_set(RUNT_E_SHAPE, "input %s has %lld elements, target shape %lld",
                              runt_shape_str(x, sx, sizeof sx), (long long)total, (long long)known);
    }
    runt_set_shape(out, x->dtype, r->ndim, dims);
    return RUNT_OK;
}

static runt_status runt_infer_pad(const runt_pad_attrs *p, const runt_tensor *x, runt_tensor *out)
{
    const char *const *modes = runt_pad_mode_names;
    if (p->ndim != x->ndim)
        return runt_error_set(RUNT_E_SHAPE, "pads given for %d dims, input has %d", p->ndim, x->ndim);
    if ((unsigned)p->mode > (unsigned)RUNT_PAD_MODE_WRAP)
        return runt_error_set(RUNT_E_BAD_MODEL, "unknown pad mode %d", (int)p->mode);
    int64_t dims[RUNT_MAX_DIMS];
    for (int i = 0; i < x->ndim && p->mode != RUNT_PAD_MODE_CONSTANT; i++) {
        int64_t before = p->pads[i], after = p->pads[x->ndim + i];
        /* A crop beside a reflection is ambiguous (of the input or of the
         * cropped axis?); and an empty axis has nothing to repeat. */
        if (before < 0 || after < 0)
            return runt_error_set(RUNT_E_UNSUPPORTED, "axis %d: pads %lld/%lld: mode '%s' takes no "
                                  "negative pads (only constant mode crops)", i, (long long)before,
                                  (long long)after, modes[p->mode]);
        if (x->dims[i] == 0 && (before > 0 || after > 0))
            return runt_error_set(RUNT_E_SHAPE, "axis %d is empty: mode '%s' has nothing to pad "
                                  "it with", i, modes[p->mode]);
    }
    for (int i = 0; i < x->ndim; i++) {
        /* In int64 only: a sum past it is no shape (the count of the whole
         * output is checked where every node's outputs are). */
        int64_t before = p->pads[i], after = p->pads[x->ndim + i];
        if ((before > 0 && x->dims[i] > INT64_MAX - before) ||
            (before < 0 && x->dims[i] < INT64_MIN - before) ||
            (after > 0 && x->dims[i] + before > INT64_MAX - after) ||
            (after < 0 && x->dims[i] + before < INT64_MIN - after))
            return runt_error_set(RUNT_E_SHAPE, "axis %d: %lld + pads %lld/%lld overflows", i,
                                  (long long)x->dims[i], (long long)before, (long long)after);
        dims[i] = x->dims[i] + before + after;
        if (dims[i] < 0)
            return runt_error_set(RUNT_E_SHAPE, "axis %d: pads %lld/%lld crop more than its %lld",
                                  i, (long long)p->pads[i], (long long)p->pads[x->ndim + i],
                                  (long long)x->dims[i]);
    }
    runt_set_shape(out, x->dtype, x->ndim, dims);
    return RUNT_OK;
}

static runt_status runt_infer_layer_norm(runt_attrs *attrs, const runt_tensor *in, int n_in,
                                         runt_tensor *out, int n_out)
{
    runt_status s;
    const runt_tensor *x = &in[0];
    if ((s = runt_normalize_axis(&attrs->layer_norm.axis, x->ndim, 0)))
        return s;
    int axis = attrs->layer_norm.axis;
    for (int i = 1; i < n_in; i++) {
        if (in[i].ndim < 0)
            continue;
        /* Scale and B broadcast over the normalized dims [axis, rank). */
        runt_tensor tail = *x, bc;
        tail.ndim = x->ndim - axis;
        memmove(tail.dims, x->dims + axis, sizeof(int64_t) * (size_t)tail.ndim);
        if (in[i].ndim > tail.ndim || runt_shape_broadcast(&in[i], &tail, &bc) ||
            runt_tensor_count(&bc) != runt_tensor_count(&tail))
            return runt_error_set(RUNT_E_SHAPE, "input %d does not broadcast to the normalized "
                                  "dims from axis %d", i, axis);
    }
    runt_set_shape(&out[0], RUNT_F32, x->ndim, x->dims);
    for (int i = 1; i < n_out; i++) {
        runt_set_shape(&out[i], RUNT_F32, x->ndim, x->dims);
        for (int d = axis; d < x->ndim; d++)
            out[i].dims[d] = 1;
    }
    return RUNT_OK;
}

static runt_status runt_infer_batch_norm(const runt_tensor *in, runt_tensor *out)
{
    runt_status s;
    if ((s = runt_require_rank(&in[0], 0, 2, RUNT_MAX_DIMS)))
        return s;
    for (int i = 1; i < 5; i++)
        if (in[i].ndim != 1 || in[i].dims[0] != in[0].dims[1])
            return runt_error_set(RUNT_E_SHAPE, "input %d must have shape [%lld] (the channels)", i,
                                  (long long)in[0].dims[1]);
    runt_set_shape(out, RUNT_F32, in[0].ndim, in[0].dims);
    return RUNT_OK;
}

runt_status runt_shape_infer_float(runt_op op, runt_attrs *attrs, const runt_tensor *in, int n_in,
                                   runt_tensor *out, int n_out)
{
    runt_status s;
    const runt_tensor *x = &in[0];
    int is_copy = op == RUNT_OP_IDENTITY || op == RUNT_OP_DROPOUT || op == RUNT_OP_RESHAPE ||
                  op == RUNT_OP_FLATTEN || op == RUNT_OP_CONSTANT || op == RUNT_OP_PAD;
    if (!is_copy && (s = runt_require_f32(in, n_in)))
        return s;
    if (op == RUNT_OP_PAD && x->dtype != RUNT_F32)
        return runt_error_set(RUNT_E_UNSUPPORTED, "input 0 is %s; Pad supports f32",
                              runt_dtype_name(x->dtype));
    switch (op) {
    case RUNT_OP_GEMM: return runt_infer_gemm(&attrs->gemm, in, n_in, out);
    case RUNT_OP_MATMUL: return runt_infer_matmul(in, out);
    case RUNT_OP_ADD: case RUNT_OP_SUB: case RUNT_OP_MUL: case RUNT_OP_DIV:
        return runt_shape_broadcast(&in[0], &in[1], out);
    case RUNT_OP_RELU: case RUNT_OP_LEAKY_RELU: case RUNT_OP_CLIP: case RUNT_OP_SIGMOID:
    case RUNT_OP_TANH: case RUNT_OP_ERF: case RUNT_OP_GELU: case RUNT_OP_IDENTITY:
    case RUNT_OP_DROPOUT: case RUNT_OP_CONSTANT:
        runt_set_shape(out, x->dtype, x->ndim, x->dims);
        return RUNT_OK;
    case RUNT_OP_SOFTMAX:
        if ((s = runt_normalize_axis(&attrs->axis.axis, x->ndim, 0)))
            return s;
        runt_set_shape(out, RUNT_F32, x->ndim, x->dims);
        return RUNT_OK;
    case RUNT_OP_CONV: return runt_infer_conv(&attrs->conv, in, n_in, out);
    case RUNT_OP_MAX_POOL: case RUNT_OP_AVERAGE_POOL: return runt_infer_pool(attrs, in, out);
    case RUNT_OP_GLOBAL_AVERAGE_POOL: {
        if ((s = runt_require_rank(x, 0, 3, RUNT_MAX_DIMS)))
            return s;
        runt_set_shape(out, RUNT_F32, x->ndim, x->dims);
        for (int i = 2; i < x->ndim; i++)
            out->dims[i] = 1;
        return RUNT_OK;
    }
    case RUNT_OP_PAD: return runt_infer_pad(&attrs->pad, x, out);
    case RUNT_OP_FLATTEN: {
        if ((s = runt_normalize_axis(&attrs->axis.axis, x->ndim, 1)))
            return s;
        int64_t dims[2] = {1, 1};
        for (int i = 0; i < x->ndim; i++)
            dims[i < attrs->axis.axis ? 0 : 1] *= x->dims[i];
        runt_set_shape(out, x->dtype, 2, dims);
        return RUNT_OK;
    }
    case RUNT_OP_RESHAPE: return runt_infer_reshape(&attrs->reshape, x, out);
    case RUNT_OP_BATCH_NORM: return runt_infer_batch_norm(in, out);
    case RUNT_OP_LAYER_NORM: return runt_infer_layer_norm(attrs, in, n_in, out, n_out);
    default:
        return runt_error_set(RUNT_E_UNSUPPORTED, "no shape inference for op %d", (int)op);
    }
}
