/*
 * ONNX op_type → runt op, attribute by attribute, for ai.onnx opsets 7 to 25
 * (the attributes and inputs of each op as docs/Changelog.md lists them per
 * version). Inputs that select behaviour (Reshape's shape, Pad's pads, Clip's
 * bounds) are read at load and folded into the runt attributes; they must be
 * constants. Whatever runt cannot compute exactly is refused with
 * RUNT_E_UNSUPPORTED naming the node, rather than approximated.
 */
#include <float.h>
#include <string.h>

#include "error.h"
#include "onnx_impl.h"

/* Window attributes (kernel, strides, dilations, pads) are bounded so that
 * products of two of them stay far inside int. */
#define RUNT_ONNX_MAX_WINDOW 65535

typedef runt_status (*runt_onnx_emit_fn)(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op);

/* ------------------------------------------------------------------------- */
/* Attributes                                                                */
/* ------------------------------------------------------------------------- */

static const runt_onnx_attr *runt_onnx_attr_find(const runt_onnx_ctx *c, const runt_onnx_node *n,
                                                 const char *name)
{
    const runt_onnx_attr *found = NULL;
    for (int i = 0; i < n->n_attrs; i++)
        if (runt_onnx_str_eq(&c->g.attrs[n->first_attr + i].name, name))
            found = &c->g.attrs[n->first_attr + i]; /* the last one wins, as in protobuf */
    return found;
}

static runt_status runt_onnx_attr_check(const runt_onnx_ctx *c, const runt_onnx_node *n,
                                        const runt_onnx_attr *a, int64_t type)
{
    static const char *const names[] = {"UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH",
                                        "FLOATS", "INTS", "STRINGS", "TENSORS", "GRAPHS"};
    if (a->type == type)
        return RUNT_OK;
    return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "attribute '%.*s' has type %s, expected %s",
                                runt_onnx_shown(&a->name), runt_onnx_chars(&a->name),
                                a->type >= 0 && a->type <= 10 ? names[a->type] : "unknown",
                                names[type]);
}

static runt_status runt_onnx_attr_float(const runt_onnx_ctx *c, const runt_onnx_node *n,
                                        const char *name, float dflt, float *out)
{
    const runt_onnx_attr *a = runt_onnx_attr_find(c, n, name);
    runt_status s = a ? runt_onnx_attr_check(c, n, a, RUNT_ONNX_ATTR_FLOAT) : RUNT_OK;
    *out = a ? a->f : dflt;
    return s;
}

/* An INT attribute that must lie in [lo, hi]. */
static runt_status runt_onnx_attr_int(const runt_onnx_ctx *c, const runt_onnx_node *n,
                                      const char *name, int64_t dflt, int64_t lo, int64_t hi,
                                      int *out)
{
    const runt_onnx_attr *a = runt_onnx_attr_find(c, n, name);
    runt_status s = a ? runt_onnx_attr_check(c, n, a, RUNT_ONNX_ATTR_INT) : RUNT_OK;
    int64_t v = a ? a->i : dflt;
    if (s == RUNT_OK && (v < lo || v > hi))
        return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "attribute '%s' is %lld, outside "
                                    "[%lld, %lld]", name, (long long)v, (long long)lo,
                                    (long long)hi);
    *out = (int)v;
    return s;
}

/* An INTS attribute; *count is -1 when it is absent. */
static runt_status runt_onnx_attr_ints(const runt_onnx_ctx *c, const runt_onnx_node *n,
                                       const char *name, int64_t *out, int cap, int *count)
{
    const runt_onnx_attr *a = runt_onnx_attr_find(c, n, name);
    size_t got;
    *count = -1;
    if (!a)
        return RUNT_OK;
    runt_status s = runt_onnx_attr_check(c, n, a, RUNT_ONNX_ATTR_INTS);
    if (s == RUNT_OK)
        s = runt_onnx_attr_values(c, a, 0, out, (size_t)cap, &got);
    if (s == RUNT_OK && got > (size_t)cap)
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "attribute '%s' has %zu values "
                                    "(at most %d supported)", name, got, cap);
    *count = (int)got;
    return s;
}

/* A STRING attribute compared against choices[]; *pick is its index. */
static runt_status runt_onnx_attr_choice(const runt_onnx_ctx *c, const runt_onnx_node *n,
                                         const char *name, const char *const *choices, int dflt,
                                         runt_status refusal, int *pick)
{
    const runt_onnx_attr *a = runt_onnx_attr_find(c, n, name);
    *pick = dflt;
    if (!a)
        return RUNT_OK;
    runt_status s = runt_onnx_attr_check(c, n, a, RUNT_ONNX_ATTR_STRING);
    if (s != RUNT_OK)
        return s;
    for (int i = 0; choices[i]; i++)
        if (runt_onnx_str_eq(&a->s, choices[i])) {
            *pick = i;
            return RUNT_OK;
        }
    return runt_onnx_node_error(c, n, refusal, "attribute '%s' is '%.*s', which %s", name,
                                runt_onnx_shown(&a->s), runt_onnx_chars(&a->s),
                                refusal == RUNT_E_BAD_MODEL ? "ONNX does not define"
                                                            : "runt does not support");
}

/* ------------------------------------------------------------------------- */
/* Inputs, outputs, constants                                                */
/* ------------------------------------------------------------------------- */

/* Input and output counts as ONNX defines them for the op; inputs below
 * min_in must be given. */
static runt_status runt_onnx_arity(const runt_onnx_ctx *c, const runt_onnx_node *n, int min_in,
                                   int max_in, int max_out)
{
    if (n->n_inputs < min_in || n->n_inputs > max_in)
        return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "has %d inputs; the op takes %d to %d",
                                    n->n_inputs, min_in, max_in);
    if (n->n_outputs < 1 || n->n_outputs > max_out)
        return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "has %d outputs; the op makes 1 to %d",
                                    n->n_outputs, max_out);
    for (int i = 0; i < min_in; i++)
        if (!runt_onnx_has_input(c, n, i))
            return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "input %d is required", i);
    if (!runt_onnx_output_name(c, n, 0)->n)
        return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "output 0 has no name");
    return RUNT_OK;
}

/* Optional outputs from `from` on carry state runt does not compute
 * (training statistics, indices): accepted only when nothing reads them. */
static runt_status runt_onnx_unused_from(const runt_onnx_ctx *c, const runt_onnx_node *n, int from,
                                         const char *what)
{
    for (int i = from; i < n->n_outputs; i++)
        if (runt_onnx_output_used(c, n, i)) {
            const runt_onnx_str *o = runt_onnx_output_name(c, n, i);
            return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "output %d ('%.*s', %s) is "
                                        "used; runt computes only output 0", i,
                                        runt_onnx_shown(o), runt_onnx_chars(o), what);
        }
    return RUNT_OK;
}

/* Integers of a constant input (a shape, pads, axes), at most cap. */
static runt_status runt_onnx_const_ints(runt_onnx_ctx *c, const runt_onnx_node *n, int i,
                                        const char *what, int64_t *out, int cap, int *count)
{
    runt_onnx_const k;
    runt_status s = runt_onnx_const_input(c, n, i, what, 0, &k);
    if (s != RUNT_OK)
        return s;
    if (k.dtype != RUNT_I64 && k.dtype != RUNT_I32)
        s = runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "the %s (input %d) is %s; ONNX wants "
                                 "int64", what, i, runt_dtype_name(k.dtype));
    else if (k.ndim > 1)
        s = runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "the %s (input %d) has %d dims; it is "
                                 "a list", what, i, k.ndim);
    else if (k.count > cap)
        s = runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "the %s (input %d) has %lld values "
                                 "(at most %d supported)", what, i, (long long)k.count, cap);
    for (int64_t j = 0; s == RUNT_OK && j < k.count; j++)
        out[j] = k.dtype == RUNT_I64 ? ((const int64_t *)k.data)[j]
                                     : ((const int32_t *)k.data)[j];
    *count = (int)k.count;
    runt_onnx_const_release(c, &k);
    return s;
}

/* A one-element constant input (a bound, a pad value) as float. */
static runt_status runt_onnx_const_scalar(runt_onnx_ctx *c, const runt_onnx_node *n, int i,
                                          const char *what, unsigned flags, double *out)
{
    runt_onnx_const k;
    runt_status s = runt_onnx_const_input(c, n, i, what, flags, &k);
    if (s != RUNT_OK)
        return s;
    if (k.count != 1) {
        runt_onnx_const_release(c, &k);
        return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "the %s (input %d) has %lld values; "
                                    "it is a scalar", what, i, (long long)k.count);
    }
    switch (k.dtype) {
    case RUNT_F32: *out = *(const float *)k.data; break;
    case RUNT_I8: *out = *(const int8_t *)k.data; break;
    case RUNT_U8: *out = *(const uint8_t *)k.data; break;
    case RUNT_I32: *out = *(const int32_t *)k.data; break;
    default: *out = (double)*(const int64_t *)k.data; break;
    }
    runt_onnx_const_release(c, &k);
    return RUNT_OK;
}

/* Adds the node and binds ONNX output 0 to its result. */
static runt_status runt_onnx_emit_one(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op,
                                      const runt_attrs *attrs, int n_in, const runt_value_id *in,
                                      int rank)
{
    runt_value_id y;
    runt_status s = runt_onnx_add_node(c, n, NULL, op, attrs, n_in, in, &y);
    return s == RUNT_OK ? runt_onnx_define(c, n, 0, y, rank) : s;
}

/* A helper Reshape for the 1-D → 2-D mappings (0 copies a dim, as in ONNX). */
static runt_status runt_onnx_reshape(runt_onnx_ctx *c, const runt_onnx_node *n,
                                     const char *suffix, runt_value_id x, int ndim,
                                     const int64_t *shape, runt_value_id *y)
{
    runt_attrs a;
    runt_attrs_default(RUNT_OP_RESHAPE, &a);
    a.reshape.ndim = ndim;
    memcpy(a.reshape.shape, shape, sizeof(int64_t) * (size_t)ndim);
    return runt_onnx_add_node(c, n, suffix, RUNT_OP_RESHAPE, &a, 1, &x, y);
}

static int runt_onnx_rank_broadcast(int a, int b)
{
    return a < 0 || b < 0 ? -1 : a > b ? a : b;
}

/* numpy matmul: a 1-D operand loses its added dim again. */
static int runt_onnx_rank_matmul(int a, int b)
{
    if (a < 0 || b < 0)
        return -1;
    if (a == 1 || b == 1)
        return a == 1 && b == 1 ? 0 : (a > b ? a : b) - 1;
    return a > b ? a : b;
}

/* ------------------------------------------------------------------------- */
/* Elementwise, matmul                                                       */
/* ------------------------------------------------------------------------- */

static runt_status runt_onnx_emit_unary(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_value_id x;
    int r;
    runt_status s;
    if ((s = runt_onnx_arity(c, n, 1, 1, 1)) || (s = runt_onnx_value(c, n, 0, &x, &r)))
        return s;
    return runt_onnx_emit_one(c, n, op, NULL, 1, &x, r);
}

static runt_status runt_onnx_emit_binary(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_value_id in[2];
    int ra, rb;
    runt_status s;
    if ((s = runt_onnx_arity(c, n, 2, 2, 1)) || (s = runt_onnx_value(c, n, 0, &in[0], &ra)) ||
        (s = runt_onnx_value(c, n, 1, &in[1], &rb)))
        return s;
    int r = op == RUNT_OP_MATMUL ? runt_onnx_rank_matmul(ra, rb) : runt_onnx_rank_broadcast(ra, rb);
    return runt_onnx_emit_one(c, n, op, NULL, 2, in, r);
}

static runt_status runt_onnx_emit_gemm(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_value_id in[3];
    int r;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 2, 3, 1)) ||
        (s = runt_onnx_attr_float(c, n, "alpha", 1.0f, &a.gemm.alpha)) ||
        (s = runt_onnx_attr_float(c, n, "beta", 1.0f, &a.gemm.beta)) ||
        (s = runt_onnx_attr_int(c, n, "transA", 0, INT32_MIN, INT32_MAX, &a.gemm.trans_a)) ||
        (s = runt_onnx_attr_int(c, n, "transB", 0, INT32_MIN, INT32_MAX, &a.gemm.trans_b)))
        return s;
    /* Any non-zero value transposes (as onnxruntime reads it). */
    a.gemm.trans_a = a.gemm.trans_a != 0;
    a.gemm.trans_b = a.gemm.trans_b != 0;
    for (int i = 0; i < 3; i++)
        if ((s = runt_onnx_value(c, n, i, &in[i], &r)))
            return s;
    return runt_onnx_emit_one(c, n, op, &a, 3, in, 2);
}

static runt_status runt_onnx_emit_leaky_relu(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_value_id x;
    int r;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 1, 1, 1)) ||
        (s = runt_onnx_attr_float(c, n, "alpha", 0.01f, &a.leaky_relu.alpha)) ||
        (s = runt_onnx_value(c, n, 0, &x, &r)))
        return s;
    return runt_onnx_emit_one(c, n, op, &a, 1, &x, r);
}

/* Clip: bounds are attributes before opset 11, optional inputs from 11. A
 * bound left out is numeric_limits<float>::lowest() / max() in every version
 * (not infinity: an infinite input comes out as the largest float). */
static runt_status runt_onnx_emit_clip(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_value_id x;
    int r;
    double v;
    runt_status s;
    runt_attrs_default(op, &a);
    a.clip.min = -FLT_MAX;
    a.clip.max = FLT_MAX;
    if (c->opset < 11) {
        if ((s = runt_onnx_arity(c, n, 1, 1, 1)) ||
            (s = runt_onnx_attr_float(c, n, "min", -FLT_MAX, &a.clip.min)) ||
            (s = runt_onnx_attr_float(c, n, "max", FLT_MAX, &a.clip.max)))
            return s;
    } else {
        if ((s = runt_onnx_arity(c, n, 1, 3, 1)))
            return s;
        if (runt_onnx_has_input(c, n, 1)) {
            if ((s = runt_onnx_const_scalar(c, n, 1, "min", 0, &v)))
                return s;
            a.clip.min = (float)v;
        }
        if (runt_onnx_has_input(c, n, 2)) {
            if ((s = runt_onnx_const_scalar(c, n, 2, "max", 0, &v)))
                return s;
            a.clip.max = (float)v;
        }
    }
    if ((s = runt_onnx_value(c, n, 0, &x, &r)))
        return s;
    return runt_onnx_emit_one(c, n, op, &a, 1, &x, r);
}

static runt_status runt_onnx_emit_gelu(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    static const char *const forms[] = {"none", "tanh", NULL};
    runt_attrs a;
    runt_value_id x;
    int r;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 1, 1, 1)) ||
        (s = runt_onnx_attr_choice(c, n, "approximate", forms, 0, RUNT_E_BAD_MODEL,
                                   &a.gelu.approximate_tanh)) ||
        (s = runt_onnx_value(c, n, 0, &x, &r)))
        return s;
    return runt_onnx_emit_one(c, n, op, &a, 1, &x, r);
}

/* Softmax from opset 13 normalizes along one axis (default -1). Before 13 it
 * flattens the input to 2-D at axis (default 1) and normalizes each row over
 * all dims from axis on; that equals the per-axis form only when axis is the
 * last dim. Other axes are refused rather than computed differently. */
static runt_status runt_onnx_emit_softmax(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_value_id x;
    int r, axis;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 1, 1, 1)) ||
        (s = runt_onnx_attr_int(c, n, "axis", c->opset < 13 ? 1 : -1, -RUNT_MAX_DIMS,
                                RUNT_MAX_DIMS, &axis)) ||
        (s = runt_onnx_value(c, n, 0, &x, &r)))
        return s;
    if (c->opset < 13) {
        int norm = axis < 0 && r >= 0 ? axis + r : axis;
        if (r < 0)
            return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "before opset 13 Softmax "
                                        "flattens at axis %d, and the input's rank is unknown",
                                        axis);
        if (norm < 0 || norm >= r)
            return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "axis %d is out of range for "
                                        "rank %d", axis, r);
        if (norm != r - 1)
            return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "before opset 13 Softmax "
                                        "normalizes over dims %d to %d together; runt normalizes "
                                        "along one axis, the same only for the last (axis %d, "
                                        "rank %d)", norm, r - 1, axis, r);
        axis = norm;
    }
    a.axis.axis = axis;
    return runt_onnx_emit_one(c, n, op, &a, 1, &x, r);
}

static runt_status runt_onnx_emit_flatten(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_value_id x;
    int r;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 1, 1, 1)) ||
        (s = runt_onnx_attr_int(c, n, "axis", 1, -RUNT_MAX_DIMS, RUNT_MAX_DIMS, &a.axis.axis)) ||
        (s = runt_onnx_value(c, n, 0, &x, &r)))
        return s;
    return runt_onnx_emit_one(c, n, op, &a, 1, &x, 2);
}

/* Reshape takes its shape as an input from opset 5 (runt reads 7 on). */
static runt_status runt_onnx_emit_reshape(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_value_id x;
    int r;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 2, 2, 1)) ||
        (s = runt_onnx_const_ints(c, n, 1, "shape", a.reshape.shape, RUNT_MAX_DIMS,
                                  &a.reshape.ndim)) ||
        (s = runt_onnx_attr_int(c, n, "allowzero", 0, 0, 1, &a.reshape.allowzero)) ||
        (s = runt_onnx_value(c, n, 0, &x, &r)))
        return s;
    return runt_onnx_emit_one(c, n, op, &a, 1, &x, a.reshape.ndim);
}

/* pads (2 * k values) for the listed axes, spread over all r dims. */
static runt_status runt_onnx_pad_axes(runt_onnx_ctx *c, const runt_onnx_node *n, int r,
                                      const int64_t *pads, int n_pads, runt_pad_attrs *p)
{
    int64_t axes[RUNT_MAX_DIMS];
    int n_axes;
    runt_status s = runt_onnx_const_ints(c, n, 3, "axes", axes, RUNT_MAX_DIMS, &n_axes);
    if (s != RUNT_OK)
        return s;
    if (r < 0)
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "axes need the input's rank, "
                                    "which is unknown");
    if (n_pads != 2 * n_axes)
        return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "%d pads for %d axes", n_pads, n_axes);
    memset(p->pads, 0, sizeof p->pads);
    for (int j = 0; j < n_axes; j++) {
        int64_t ax = axes[j] < 0 ? axes[j] + r : axes[j];
        if (ax < 0 || ax >= r || p->pads[ax] || p->pads[r + ax])
            return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "axis %lld is out of range for "
                                        "rank %d or repeated", (long long)axes[j], r);
        p->pads[ax] = pads[j];
        p->pads[r + ax] = pads[n_axes + j];
    }
    p->ndim = r;
    return RUNT_OK;
}

/* Pad: pads and value are attributes before opset 11, inputs from 11; axes
 * (opset 18) limits the pads to some dims. Only constant mode is computed. */
static runt_status runt_onnx_emit_pad(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    static const char *const modes[] = {"constant", NULL};
    runt_attrs a;
    runt_value_id x;
    int64_t pads[2 * RUNT_MAX_DIMS];
    int n_pads, r, mode;
    double v = 0.0;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, c->opset < 11 ? 1 : 2, c->opset < 11 ? 1 : 4, 1)) ||
        (s = runt_onnx_attr_choice(c, n, "mode", modes, 0, RUNT_E_UNSUPPORTED, &mode)) ||
        (s = runt_onnx_value(c, n, 0, &x, &r)))
        return s;
    if (c->opset < 11) {
        if ((s = runt_onnx_attr_ints(c, n, "pads", pads, 2 * RUNT_MAX_DIMS, &n_pads)) ||
            (s = runt_onnx_attr_float(c, n, "value", 0.0f, &a.pad.value)))
            return s;
        if (n_pads < 0)
            return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "attribute 'pads' is required");
    } else {
        if ((s = runt_onnx_const_ints(c, n, 1, "pads", pads, 2 * RUNT_MAX_DIMS, &n_pads)))
            return s;
        if (runt_onnx_has_input(c, n, 2) &&
            (s = runt_onnx_const_scalar(c, n, 2, "constant_value", 0, &v)))
            return s;
        a.pad.value = (float)v;
    }
    if (runt_onnx_has_input(c, n, 3)) {
        if ((s = runt_onnx_pad_axes(c, n, r, pads, n_pads, &a.pad)))
            return s;
    } else {
        if (n_pads % 2 || (r >= 0 && n_pads != 2 * r))
            return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "%d pads for an input of rank %d",
                                        n_pads, r);
        a.pad.ndim = n_pads / 2;
        memcpy(a.pad.pads, pads, sizeof(int64_t) * (size_t)n_pads);
    }
    return runt_onnx_emit_one(c, n, op, &a, 1, &x, a.pad.ndim);
}

/* ------------------------------------------------------------------------- */
/* Convolution and pooling                                                   */
/* ------------------------------------------------------------------------- */

/* The window attributes shared by Conv, MaxPool and AveragePool, for 1 or 2
 * spatial dims; pads in ONNX order (x1_begin, x2_begin, x1_end, x2_end). */
typedef struct runt_onnx_window {
    int dims;                 /* spatial dims: 1 or 2 */
    int has_kernel;
    int64_t kernel[2], strides[2], dilations[2], pads[4];
    int auto_pad;
} runt_onnx_window;

/* How many spatial dims: from the input's rank, else from kernel_shape. */
static runt_status runt_onnx_spatial_dims(runt_onnx_ctx *c, const runt_onnx_node *n, int x_rank,
                                          int *dims)
{
    int64_t k[RUNT_MAX_DIMS];
    int n_k;
    runt_status s = runt_onnx_attr_ints(c, n, "kernel_shape", k, RUNT_MAX_DIMS, &n_k);
    if (s != RUNT_OK)
        return s;
    *dims = x_rank >= 0 ? x_rank - 2 : n_k >= 0 ? n_k : 2;
    if (*dims != 1 && *dims != 2)
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "%d spatial dims; runt computes 1 "
                                    "and 2", *dims);
    return RUNT_OK;
}

/* An INTS window attribute of `want` values in [lo, RUNT_ONNX_MAX_WINDOW]. */
static runt_status runt_onnx_window_ints(runt_onnx_ctx *c, const runt_onnx_node *n,
                                         const char *name, int want, int64_t lo, int64_t dflt,
                                         int64_t *out, int *present)
{
    int got;
    runt_status s = runt_onnx_attr_ints(c, n, name, out, 4, &got);
    if (s != RUNT_OK)
        return s;
    *present = got >= 0;
    if (got < 0) {
        for (int i = 0; i < want; i++)
            out[i] = dflt;
        return RUNT_OK;
    }
    if (got != want)
        return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "attribute '%s' has %d values, "
                                    "expected %d", name, got, want);
    for (int i = 0; i < want; i++)
        if (out[i] < lo || out[i] > RUNT_ONNX_MAX_WINDOW)
            return runt_onnx_node_error(c, n, out[i] < lo ? RUNT_E_BAD_MODEL : RUNT_E_UNSUPPORTED,
                                        "attribute '%s' holds %lld, outside [%lld, %d]", name,
                                        (long long)out[i], (long long)lo, RUNT_ONNX_MAX_WINDOW);
    return RUNT_OK;
}

static runt_status runt_onnx_window_read(runt_onnx_ctx *c, const runt_onnx_node *n, int dims,
                                         runt_onnx_window *w)
{
    static const char *const auto_pads[] = {"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER", "",
                                            NULL};
    int present;
    runt_status s;
    memset(w, 0, sizeof *w);
    w->dims = dims;
    if ((s = runt_onnx_window_ints(c, n, "kernel_shape", dims, 1, 0, w->kernel, &w->has_kernel)) ||
        (s = runt_onnx_window_ints(c, n, "strides", dims, 1, 1, w->strides, &present)) ||
        (s = runt_onnx_window_ints(c, n, "dilations", dims, 1, 1, w->dilations, &present)) ||
        (s = runt_onnx_window_ints(c, n, "pads", 2 * dims, 0, 0, w->pads, &present)) ||
        (s = runt_onnx_attr_choice(c, n, "auto_pad", auto_pads, 0, RUNT_E_BAD_MODEL,
                                   &w->auto_pad)))
        return s;
    if (w->auto_pad == 4) /* "" is NOTSET */
        w->auto_pad = 0;
    return RUNT_OK;
}

/* Fills runt's 2-D fields; a 1-D window becomes 1 x k over an H of 1. The
 * NOTSET, VALID, SAME_UPPER, SAME_LOWER order matches runt_auto_pad. */
static void runt_onnx_window_2d(const runt_onnx_window *w, int *kernel, int *strides,
                                int *dilations, int *pads, runt_auto_pad *auto_pad)
{
    int one = w->dims == 1;
    for (int i = 0; i < 2; i++) {
        int src = one ? 0 : i, real = !one || i == 1;
        kernel[i] = !w->has_kernel ? 0 : real ? (int)w->kernel[src] : 1;
        strides[i] = real ? (int)w->strides[src] : 1;
        dilations[i] = real ? (int)w->dilations[src] : 1;
        pads[i] = real ? (int)w->pads[src] : 0;                  /* begin: top, left    */
        pads[2 + i] = real ? (int)w->pads[src + w->dims] : 0;    /* end: bottom, right  */
    }
    *auto_pad = (runt_auto_pad)w->auto_pad;
}

static const int64_t runt_onnx_to_2d[4] = {0, 0, 1, -1};   /* [N, C, L] → [N, C, 1, L] */
static const int64_t runt_onnx_to_1d[3] = {0, 0, -1};      /* [N, C, 1, L] → [N, C, L] */

/* Runs op over a 1-D input as a 2-D op on [N, C, 1, L]. */
static runt_status runt_onnx_emit_as_2d(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op,
                                        const runt_attrs *a, int n_in, runt_value_id *in)
{
    runt_value_id y4, y;
    runt_status s;
    if ((s = runt_onnx_reshape(c, n, "/to_2d", in[0], 4, runt_onnx_to_2d, &in[0])) ||
        (s = runt_onnx_add_node(c, n, NULL, op, a, n_in, in, &y4)) ||
        (s = runt_onnx_reshape(c, n, "/to_1d", y4, 3, runt_onnx_to_1d, &y)))
        return s;
    return runt_onnx_define(c, n, 0, y, 3);
}

/* Conv (X, W[, B]) and ConvInteger (X, W[, x_zero_point[, w_zero_point]]):
 * the same window attributes and the same 1-D handling; the inputs after the
 * weight (n_in in all) pass through unchanged. */
static runt_status runt_onnx_emit_windowed(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op,
                                           int n_in)
{
    runt_attrs a;
    runt_onnx_window w;
    runt_value_id in[4];
    int rx, rw, rest, dims;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 2, n_in, 1)) || (s = runt_onnx_value(c, n, 0, &in[0], &rx)))
        return s;
    for (int i = 2; i < n_in; i++)
        if ((s = runt_onnx_value(c, n, i, &in[i], &rest)))
            return s;
    if ((s = runt_onnx_spatial_dims(c, n, rx, &dims)) ||
        (s = runt_onnx_window_read(c, n, dims, &w)) ||
        (s = runt_onnx_attr_int(c, n, "group", 1, 1, INT32_MAX, &a.conv.group)))
        return s;
    runt_onnx_window_2d(&w, a.conv.kernel, a.conv.strides, a.conv.dilations, a.conv.pads,
                        &a.conv.auto_pad);
    if (dims == 2) {
        if ((s = runt_onnx_value(c, n, 1, &in[1], &rw)))
            return s;
        return runt_onnx_emit_one(c, n, op, &a, n_in, in, 4);
    }
    /* A constant weight [M, C/g, k] is stored once as [M, C/g, 1, k]; any
     * other weight is reshaped in the graph. */
    if ((s = runt_onnx_const_as_2d(c, n, 1, &in[1])))
        return s;
    if (in[1] < 0 && ((s = runt_onnx_value(c, n, 1, &in[1], &rw)) ||
                      (s = runt_onnx_reshape(c, n, "/weight_2d", in[1], 4, runt_onnx_to_2d,
                                             &in[1]))))
        return s;
    return runt_onnx_emit_as_2d(c, n, op, &a, n_in, in);
}

static runt_status runt_onnx_emit_conv(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    return runt_onnx_emit_windowed(c, n, op, 3);
}

static runt_status runt_onnx_emit_pool(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_onnx_window w;
    runt_value_id x;
    int r, dims, storage_order;
    runt_status s;
    int is_max = op == RUNT_OP_MAX_POOL;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 1, 1, is_max ? 2 : 1)) ||
        (s = runt_onnx_unused_from(c, n, 1, "the indices")) ||
        (s = runt_onnx_value(c, n, 0, &x, &r)) ||
        (s = runt_onnx_spatial_dims(c, n, r, &dims)) ||
        (s = runt_onnx_window_read(c, n, dims, &w)) ||
        (s = runt_onnx_attr_int(c, n, "ceil_mode", 0, 0, 1, &a.pool.ceil_mode)) ||
        (s = runt_onnx_attr_int(c, n, "count_include_pad", 0, 0, 1, &a.pool.count_include_pad)) ||
        (s = runt_onnx_attr_int(c, n, "storage_order", 0, 0, 1, &storage_order)))
        return s;
    if (!w.has_kernel)
        return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "attribute 'kernel_shape' is required");
    runt_onnx_window_2d(&w, a.pool.kernel, a.pool.strides, a.pool.dilations, a.pool.pads,
                        &a.pool.auto_pad);
    if (dims == 2)
        return runt_onnx_emit_one(c, n, op, &a, 1, &x, 4);
    return runt_onnx_emit_as_2d(c, n, op, &a, 1, &x);
}

/* ReduceMean over the two spatial dims of an NCHW input is GlobalAveragePool:
 * what torch.onnx's default (dynamo) exporter writes for
 * nn.AdaptiveAvgPool2d(1) (keepdims 1) and x.mean((2, 3)) (keepdims 0).
 * Other axes are refused. axes is an attribute before opset 18, an input
 * from 18; noop_with_empty_axes (18) is read only to check its type, since
 * it matters only when no axes are given, which is refused. */
static runt_status runt_onnx_emit_reduce_mean(runt_onnx_ctx *c, const runt_onnx_node *n,
                                              runt_op op)
{
    static const int64_t runt_onnx_keep_nc[2] = {0, 0}; /* [N, C, 1, 1] → [N, C] */
    int64_t axes[RUNT_MAX_DIMS] = {0};
    int n_axes = -1, keepdims, noop, r;
    runt_value_id x, y;
    runt_status s;
    if ((s = runt_onnx_arity(c, n, 1, c->opset < 18 ? 1 : 2, 1)) ||
        (s = runt_onnx_attr_int(c, n, "keepdims", 1, 0, 1, &keepdims)) ||
        (s = runt_onnx_attr_int(c, n, "noop_with_empty_axes", 0, 0, 1, &noop)) ||
        (s = runt_onnx_value(c, n, 0, &x, &r)))
        return s;
    if (c->opset < 18)
        s = runt_onnx_attr_ints(c, n, "axes", axes, RUNT_MAX_DIMS, &n_axes);
    else if (runt_onnx_has_input(c, n, 1))
        s = runt_onnx_const_ints(c, n, 1, "axes", axes, RUNT_MAX_DIMS, &n_axes);
    if (s != RUNT_OK)
        return s;
    int64_t a0 = n_axes == 2 && axes[0] < 0 ? axes[0] + r : axes[0];
    int64_t a1 = n_axes == 2 && axes[1] < 0 ? axes[1] + r : axes[1];
    if (r != 4 || n_axes != 2 || !((a0 == 2 && a1 == 3) || (a0 == 3 && a1 == 2)))
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "runt computes ReduceMean only "
                                    "over the two spatial dims of a 4-D input (axes 2 and 3, as "
                                    "GlobalAveragePool); here the input has rank %d and %d axes "
                                    "are given", r, n_axes < 0 ? 0 : n_axes);
    if ((s = runt_onnx_add_node(c, n, keepdims ? NULL : "/pool", op, NULL, 1, &x, &y)))
        return s;
    if (!keepdims && (s = runt_onnx_reshape(c, n, NULL, y, 2, runt_onnx_keep_nc, &y)))
        return s;
    return runt_onnx_define(c, n, 0, y, keepdims ? 4 : 2);
}

/* ------------------------------------------------------------------------- */
/* Normalization, dropout, constants                                         */
/* ------------------------------------------------------------------------- */

static runt_status runt_onnx_emit_batch_norm(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_value_id in[5];
    int r, rr, spatial, training;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 5, 5, 5)) ||
        (s = runt_onnx_unused_from(c, n, 1, "a training statistic")) ||
        (s = runt_onnx_attr_float(c, n, "epsilon", 1e-5f, &a.batch_norm.epsilon)) ||
        (s = runt_onnx_attr_int(c, n, "spatial", 1, 0, 1, &spatial)) ||
        (s = runt_onnx_attr_int(c, n, "training_mode", 0, 0, 1, &training)))
        return s;
    /* spatial = 0 (opsets 7-8): statistics per element, not per channel. */
    if (c->opset < 9 && !spatial)
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "spatial = 0 (per-element "
                                    "statistics) is not supported");
    if (training)
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "training_mode = 1 is not "
                                    "supported (inference only)");
    for (int i = 0; i < 5; i++)
        if ((s = runt_onnx_value(c, n, i, &in[i], i ? &rr : &r)))
            return s;
    return runt_onnx_emit_one(c, n, op, &a, 5, in, r);
}

static runt_status runt_onnx_emit_layer_norm(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_value_id in[3];
    int r, rr, stash;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 2, 3, 3)) ||
        (s = runt_onnx_unused_from(c, n, 1, "a statistic")) ||
        (s = runt_onnx_attr_int(c, n, "axis", -1, -RUNT_MAX_DIMS, RUNT_MAX_DIMS - 1,
                                &a.layer_norm.axis)) ||
        (s = runt_onnx_attr_float(c, n, "epsilon", 1e-5f, &a.layer_norm.epsilon)) ||
        /* stash_type picks the precision of the statistics; runt computes in f32. */
        (s = runt_onnx_attr_int(c, n, "stash_type", 1, INT32_MIN, INT32_MAX, &stash)))
        return s;
    for (int i = 0; i < 3; i++)
        if ((s = runt_onnx_value(c, n, i, &in[i], i ? &rr : &r)))
            return s;
    return runt_onnx_emit_one(c, n, op, &a, 3, in, r);
}

/* Dropout is the identity at inference. From opset 12 a training_mode input
 * may turn it on; it must then be a constant false. */
static runt_status runt_onnx_emit_dropout(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_value_id x;
    int r;
    double training = 0.0;
    runt_status s;
    if ((s = runt_onnx_arity(c, n, 1, c->opset < 12 ? 1 : 3, 2)) ||
        (s = runt_onnx_unused_from(c, n, 1, "the mask")))
        return s;
    if (runt_onnx_has_input(c, n, 2) &&
        (s = runt_onnx_const_scalar(c, n, 2, "training_mode", RUNT_ONNX_READ_BOOL, &training)))
        return s;
    if (training != 0.0)
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "training_mode is true (inference "
                                    "only)");
    if ((s = runt_onnx_value(c, n, 0, &x, &r)))
        return s;
    return runt_onnx_emit_one(c, n, op, NULL, 1, &x, r);
}

/* Constant nodes are folded: their value becomes a builder constant when a
 * node reads it, or only an attribute when it selects behaviour. */
static runt_status runt_onnx_emit_constant(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    static const struct {
        const char *name;
        int64_t type;
        int rank;
    } forms[] = {{"value", RUNT_ONNX_ATTR_TENSOR, -1}, {"value_float", RUNT_ONNX_ATTR_FLOAT, 0},
                 {"value_floats", RUNT_ONNX_ATTR_FLOATS, 1}, {"value_int", RUNT_ONNX_ATTR_INT, 0},
                 {"value_ints", RUNT_ONNX_ATTR_INTS, 1}};
    int found = -1, form = 0;
    runt_status s;
    (void)op;
    if ((s = runt_onnx_arity(c, n, 0, 0, 1)))
        return s;
    for (int i = 0; i < n->n_attrs; i++) {
        const runt_onnx_attr *at = &c->g.attrs[n->first_attr + i];
        for (int f = 0; f < (int)(sizeof forms / sizeof forms[0]); f++)
            if (runt_onnx_str_eq(&at->name, forms[f].name)) {
                if (found >= 0)
                    return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "has more than one "
                                                "value attribute");
                found = n->first_attr + i;
                form = f;
            }
    }
    if (found < 0)
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "holds no value, value_float(s) or "
                                    "value_int(s) attribute (string and sparse constants are "
                                    "not supported)");
    const runt_onnx_attr *at = &c->g.attrs[found];
    if ((s = runt_onnx_attr_check(c, n, at, forms[form].type)))
        return s;
    int rank = forms[form].rank;
    if (rank < 0)
        rank = at->t.ndim <= RUNT_MAX_DIMS ? at->t.ndim : -1;
    return runt_onnx_define_const(c, n, 0, found, rank);
}

/* ------------------------------------------------------------------------- */
/* Quantization                                                              */
/* ------------------------------------------------------------------------- */

/* A data-type attribute (a TensorProto.DataType: output_dtype, precision,
 * Cast's to) as one of runt's dtypes; *given is 0 when it is absent or 0
 * (UNDEFINED, which these attributes use for "unset"). */
static runt_status runt_onnx_attr_dtype(const runt_onnx_ctx *c, const runt_onnx_node *n,
                                        const char *name, runt_dtype *out, int *given)
{
    const runt_onnx_attr *a = runt_onnx_attr_find(c, n, name);
    runt_status s = a ? runt_onnx_attr_check(c, n, a, RUNT_ONNX_ATTR_INT) : RUNT_OK;
    *given = s == RUNT_OK && a && a->i != 0;
    if (!*given)
        return s;
    if (runt_onnx_dtype(a->i, out) != RUNT_OK)
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "attribute '%s' is %s (%lld); "
                                    "runt's dtypes are FLOAT, UINT8, INT8, INT32 and INT64",
                                    name, runt_onnx_type_name(a->i), (long long)a->i);
    return RUNT_OK;
}

/* The op exists from opset `since` (QuantizeLinear from 10, ...). */
static runt_status runt_onnx_since(const runt_onnx_ctx *c, const runt_onnx_node *n, int since)
{
    if (c->opset >= since)
        return RUNT_OK;
    return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "the op is defined from opset %d; the "
                                "model imports opset %lld", since, (long long)c->opset);
}

/* QuantizeLinear and DequantizeLinear: axis from opset 13, saturate from 19
 * (it changes only float8 results), block_size and QuantizeLinear's
 * output_dtype from 21, precision (QuantizeLinear) and DequantizeLinear's
 * output_dtype from 23. Scale and zero point may be graph inputs. */
static runt_status runt_onnx_emit_quantize(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_value_id in[3];
    runt_dtype out_dtype = RUNT_F32, precision = RUNT_F32;
    int r, rr, saturate, has_out, has_precision;
    runt_status s;
    int is_q = op == RUNT_OP_QUANTIZE_LINEAR;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_since(c, n, 10)) || (s = runt_onnx_arity(c, n, 2, 3, 1)) ||
        (s = runt_onnx_attr_int(c, n, "axis", 1, -RUNT_MAX_DIMS, RUNT_MAX_DIMS - 1,
                                &a.quant.axis)) ||
        (s = runt_onnx_attr_int(c, n, "block_size", 0, 0, INT32_MAX, &a.quant.block_size)) ||
        (s = runt_onnx_attr_int(c, n, "saturate", 1, 0, 1, &saturate)) ||
        (s = runt_onnx_attr_dtype(c, n, "output_dtype", &out_dtype, &has_out)) ||
        (s = runt_onnx_attr_dtype(c, n, "precision", &precision, &has_precision)))
        return s;
    if (has_out && is_q && out_dtype != RUNT_U8 && out_dtype != RUNT_I8)
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "output_dtype %s: runt quantizes "
                                    "to UINT8 and INT8", runt_dtype_name(out_dtype));
    if (has_out && !is_q && out_dtype != RUNT_F32)
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "output_dtype %s: runt "
                                    "dequantizes to FLOAT", runt_dtype_name(out_dtype));
    if (has_precision && precision != RUNT_F32)
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "precision %s: runt divides in "
                                    "FLOAT", runt_dtype_name(precision));
    if (is_q && has_out)
        a.quant.output_dtype = out_dtype;
    for (int i = 0; i < 3; i++)
        if ((s = runt_onnx_value(c, n, i, &in[i], i ? &rr : &r)))
            return s;
    return runt_onnx_emit_one(c, n, op, &a, 3, in, r);
}

/* DynamicQuantizeLinear makes y, y_scale and y_zero_point in one node. */
static runt_status runt_onnx_emit_dynamic_quantize(runt_onnx_ctx *c, const runt_onnx_node *n,
                                                   runt_op op)
{
    runt_value_id x, y[3];
    int r;
    runt_status s;
    if ((s = runt_onnx_since(c, n, 11)) || (s = runt_onnx_arity(c, n, 1, 1, 3)) ||
        (s = runt_onnx_value(c, n, 0, &x, &r)) ||
        (s = runt_onnx_add_node_n(c, n, NULL, op, NULL, 1, &x, 3, y)))
        return s;
    for (int i = 0; i < 3 && i < n->n_outputs; i++)
        if ((s = runt_onnx_define(c, n, i, y[i], i ? 0 : r)))
            return s;
    return RUNT_OK;
}

static runt_status runt_onnx_emit_matmul_integer(runt_onnx_ctx *c, const runt_onnx_node *n,
                                                 runt_op op)
{
    runt_value_id in[4];
    int r[4];
    runt_status s;
    if ((s = runt_onnx_since(c, n, 10)) || (s = runt_onnx_arity(c, n, 2, 4, 1)))
        return s;
    for (int i = 0; i < 4; i++)
        if ((s = runt_onnx_value(c, n, i, &in[i], &r[i])))
            return s;
    return runt_onnx_emit_one(c, n, op, NULL, 4, in, runt_onnx_rank_matmul(r[0], r[1]));
}

/* ConvInteger: Conv's window attributes; its inputs after the weight are the
 * two zero points instead of a bias. */
static runt_status runt_onnx_emit_conv_integer(runt_onnx_ctx *c, const runt_onnx_node *n,
                                               runt_op op)
{
    runt_status s = runt_onnx_since(c, n, 10);
    return s ? s : runt_onnx_emit_windowed(c, n, op, 4);
}

/* Cast: saturate (opset 19) and round_mode (opset 24) change only float8
 * results, which runt does not compute. */
static runt_status runt_onnx_emit_cast(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_value_id x;
    int r, given;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 1, 1, 1)) ||
        (s = runt_onnx_attr_dtype(c, n, "to", &a.cast.to, &given)))
        return s;
    if (!given)
        return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "attribute 'to' is required");
    if ((s = runt_onnx_value(c, n, 0, &x, &r)))
        return s;
    return runt_onnx_emit_one(c, n, op, &a, 1, &x, r);
}

/* ------------------------------------------------------------------------- */
/* The table                                                                 */
/* ------------------------------------------------------------------------- */

static const struct {
    const char *op_type;
    runt_op op;
    runt_onnx_emit_fn emit;
} runt_onnx_ops[] = {
    {"Gemm", RUNT_OP_GEMM, runt_onnx_emit_gemm},
    {"MatMul", RUNT_OP_MATMUL, runt_onnx_emit_binary},
    {"Add", RUNT_OP_ADD, runt_onnx_emit_binary},
    {"Sub", RUNT_OP_SUB, runt_onnx_emit_binary},
    {"Mul", RUNT_OP_MUL, runt_onnx_emit_binary},
    {"Div", RUNT_OP_DIV, runt_onnx_emit_binary},
    {"Relu", RUNT_OP_RELU, runt_onnx_emit_unary},
    {"LeakyRelu", RUNT_OP_LEAKY_RELU, runt_onnx_emit_leaky_relu},
    {"Clip", RUNT_OP_CLIP, runt_onnx_emit_clip},
    {"Sigmoid", RUNT_OP_SIGMOID, runt_onnx_emit_unary},
    {"Tanh", RUNT_OP_TANH, runt_onnx_emit_unary},
    {"Erf", RUNT_OP_ERF, runt_onnx_emit_unary},
    {"Gelu", RUNT_OP_GELU, runt_onnx_emit_gelu},
    {"Softmax", RUNT_OP_SOFTMAX, runt_onnx_emit_softmax},
    {"Conv", RUNT_OP_CONV, runt_onnx_emit_conv},
    {"MaxPool", RUNT_OP_MAX_POOL, runt_onnx_emit_pool},
    {"AveragePool", RUNT_OP_AVERAGE_POOL, runt_onnx_emit_pool},
    {"GlobalAveragePool", RUNT_OP_GLOBAL_AVERAGE_POOL, runt_onnx_emit_unary},
    {"ReduceMean", RUNT_OP_GLOBAL_AVERAGE_POOL, runt_onnx_emit_reduce_mean},
    {"Pad", RUNT_OP_PAD, runt_onnx_emit_pad},
    {"Flatten", RUNT_OP_FLATTEN, runt_onnx_emit_flatten},
    {"Reshape", RUNT_OP_RESHAPE, runt_onnx_emit_reshape},
    {"Identity", RUNT_OP_IDENTITY, runt_onnx_emit_unary},
    {"Dropout", RUNT_OP_DROPOUT, runt_onnx_emit_dropout},
    {"BatchNormalization", RUNT_OP_BATCH_NORM, runt_onnx_emit_batch_norm},
    {"LayerNormalization", RUNT_OP_LAYER_NORM, runt_onnx_emit_layer_norm},
    {"Constant", RUNT_OP_CONSTANT, runt_onnx_emit_constant},
    {"QuantizeLinear", RUNT_OP_QUANTIZE_LINEAR, runt_onnx_emit_quantize},
    {"DequantizeLinear", RUNT_OP_DEQUANTIZE_LINEAR, runt_onnx_emit_quantize},
    {"DynamicQuantizeLinear", RUNT_OP_DYNAMIC_QUANTIZE_LINEAR, runt_onnx_emit_dynamic_quantize},
    {"MatMulInteger", RUNT_OP_MATMUL_INTEGER, runt_onnx_emit_matmul_integer},
    {"ConvInteger", RUNT_OP_CONV_INTEGER, runt_onnx_emit_conv_integer},
    {"Cast", RUNT_OP_CAST, runt_onnx_emit_cast},
};

runt_status runt_onnx_emit_node(runt_onnx_ctx *c, const runt_onnx_node *n)
{
    if (!n->op_type.n)
        return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "has no op_type");
    if (n->domain.n && !runt_onnx_str_eq(&n->domain, "ai.onnx"))
        return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "op_type '%.*s' of domain '%.*s' is "
                                    "not supported (runt reads the default ONNX domain)",
                                    runt_onnx_shown(&n->op_type), runt_onnx_chars(&n->op_type),
                                    runt_onnx_shown(&n->domain), runt_onnx_chars(&n->domain));
    for (size_t i = 0; i < sizeof runt_onnx_ops / sizeof runt_onnx_ops[0]; i++)
        if (runt_onnx_str_eq(&n->op_type, runt_onnx_ops[i].op_type))
            return runt_onnx_ops[i].emit(c, n, runt_onnx_ops[i].op);
    return runt_onnx_node_error(c, n, RUNT_E_UNSUPPORTED, "op_type '%.*s' is not supported",
                                runt_onnx_shown(&n->op_type), runt_onnx_chars(&n->op_type));
}
