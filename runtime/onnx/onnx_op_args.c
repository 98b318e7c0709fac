/*
 * What every ONNX op mapper reads a node with: typed attributes with their
 * defaults and bounds, input and output counts, constant inputs that select
 * behaviour (shapes, pads, bounds), and the one-node emit with its rank
 * rules. Apart from the mappers so that each op family's file holds only
 * its own ops, and so that an attribute rule (the last attribute of a name
 * wins, a wrong type is named) is written once for all of them.
 */
#include <string.h>

#include "error.h"
#include "onnx_impl.h"
#include "onnx_op_args.h"

/* ------------------------------------------------------------------------- */
/* Attributes                                                                */
/* ------------------------------------------------------------------------- */

const runt_onnx_attr *runt_onnx_attr_find(const runt_onnx_ctx *c, const runt_onnx_node *n,
                                          const char *name)
{
    const runt_onnx_attr *found = NULL;
    for (int i = 0; i < n->n_attrs; i++)
        if (runt_onnx_str_eq(&c->g.attrs[n->first_attr + i].name, name))
            found = &c->g.attrs[n->first_attr + i]; /* the last one wins, as in protobuf */
    return found;
}

runt_status runt_onnx_attr_check(const runt_onnx_ctx *c, const runt_onnx_node *n,
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

runt_status runt_onnx_attr_float(const runt_onnx_ctx *c, const runt_onnx_node *n,
                                 const char *name, float dflt, float *out)
{
    const runt_onnx_attr *a = runt_onnx_attr_find(c, n, name);
    runt_status s = a ? runt_onnx_attr_check(c, n, a, RUNT_ONNX_ATTR_FLOAT) : RUNT_OK;
    *out = a ? a->f : dflt;
    return s;
}

runt_status runt_onnx_attr_int(const runt_onnx_ctx *c, const runt_onnx_node *n,
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

runt_status runt_onnx_attr_ints(const runt_onnx_ctx *c, const runt_onnx_node *n,
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

runt_status runt_onnx_attr_choice(const runt_onnx_ctx *c, const runt_onnx_node *n,
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

runt_status runt_onnx_arity(const runt_onnx_ctx *c, const runt_onnx_node *n, int min_in,
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

runt_status runt_onnx_unused_from(const runt_onnx_ctx *c, const runt_onnx_node *n, int from,
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

runt_status runt_onnx_const_ints(runt_onnx_ctx *c, const runt_onnx_node *n, int i,
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

runt_status runt_onnx_const_scalar(runt_onnx_ctx *c, const runt_onnx_node *n, int i,
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

runt_status runt_onnx_emit_one(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op,
                               const runt_attrs *attrs, int n_in, const runt_value_id *in,
                               int rank)
{
    runt_value_id y;
    runt_status s = runt_onnx_add_node(c, n, NULL, op, attrs, n_in, in, &y);
    return s == RUNT_OK ? runt_onnx_define(c, n, 0, y, rank) : s;
}

runt_status runt_onnx_reshape(runt_onnx_ctx *c, const runt_onnx_node *n,
                              const char *suffix, runt_value_id x, int ndim,
                              const int64_t *shape, runt_value_id *y)
{
    runt_attrs a;
    runt_attrs_default(RUNT_OP_RESHAPE, &a);
    a.reshape.ndim = ndim;
    memcpy(a.reshape.shape, shape, sizeof(int64_t) * (size_t)ndim);
    return runt_onnx_add_node(c, n, suffix, RUNT_OP_RESHAPE, &a, 1, &x, y);
}

int runt_onnx_rank_broadcast(int a, int b)
{
    return a < 0 || b < 0 ? -1 : a > b ? a : b;
}

int runt_onnx_rank_matmul(int a, int b)
{
    if (a < 0 || b < 0)
        return -1;
    if (a == 1 || b == 1)
        return a == 1 && b == 1 ? 0 : (a > b ? a : b) - 1;
    return a > b ? a : b;
}

runt_status runt_onnx_emit_on_input0(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op,
                                    const runt_attrs *attrs, int rank)
{
    runt_value_id x;
    int r;
    runt_status s = runt_onnx_value(c, n, 0, &x, &r);
    if (s != RUNT_OK)
        return s;
    return runt_onnx_emit_one(c, n, op, attrs, 1, &x, rank == RUNT_ONNX_SAME_RANK ? r : rank);
}

/* ------------------------------------------------------------------------- */
/* Dtypes and opsets                                                         */
/* ------------------------------------------------------------------------- */

runt_status runt_onnx_attr_dtype(const runt_onnx_ctx *c, const runt_onnx_node *n,
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

runt_status runt_onnx_since(const runt_onnx_ctx *c, const runt_onnx_node *n, int since)
{
    if (c->opset >= since)
        return RUNT_OK;
    return runt_onnx_node_error(c, n, RUNT_E_BAD_MODEL, "the op is defined from opset %d; the "
                                "model imports opset %lld", since, (long long)c->opset);
}
