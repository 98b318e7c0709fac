/*
 * ONNX op mappers of the ops that move or supply data without arithmetic:
 * Flatten, Reshape, Pad and Constant. Their behaviour comes from constant
 * inputs or attributes (a shape, pads, a value) folded at load, which is
 * what sets them apart from the computing ops.
 */
#include <string.h>

#include "error.h"
#include "ops.h"
#include "onnx_impl.h"
#include "onnx_op_args.h"
#include "onnx_op_mappers.h"

runt_status runt_onnx_emit_flatten(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 1, 1, 1)) ||
        (s = runt_onnx_attr_int(c, n, "axis", 1, -RUNT_MAX_DIMS, RUNT_MAX_DIMS, &a.axis.axis)))
        return s;
    return runt_onnx_emit_on_input0(c, n, op, &a, 2);
}

/* Reshape takes its shape as an input from opset 5 (runt reads 7 on). */
runt_status runt_onnx_emit_reshape(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, 2, 2, 1)) ||
        (s = runt_onnx_const_ints(c, n, 1, "shape", a.reshape.shape, RUNT_MAX_DIMS,
                                  &a.reshape.ndim)) ||
        (s = runt_onnx_attr_int(c, n, "allowzero", 0, 0, 1, &a.reshape.allowzero)))
        return s;
    return runt_onnx_emit_on_input0(c, n, op, &a, a.reshape.ndim);
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
 * (opset 18) limits the pads to some dims. The modes in runt_pad_mode's
 * order (wrap came with opset 19; an older file naming it is still read). */
runt_status runt_onnx_emit_pad(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
{
    runt_attrs a;
    runt_value_id x;
    int64_t pads[2 * RUNT_MAX_DIMS];
    int n_pads, r, mode;
    double v = 0.0;
    runt_status s;
    runt_attrs_default(op, &a);
    if ((s = runt_onnx_arity(c, n, c->opset < 11 ? 1 : 2, c->opset < 11 ? 1 : 4, 1)) ||
        (s = runt_onnx_attr_choice(c, n, "mode", runt_pad_mode_names, 0, RUNT_E_BAD_MODEL,
                                   &mode)) ||
        (s = runt_onnx_value(c, n, 0, &x, &r)))
        return s;
    a.pad.mode = (runt_pad_mode)mode;
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

/* Constant nodes are folded: their value becomes a builder constant when a
 * node reads it, or only an attribute when it selects behaviour. */
runt_status runt_onnx_emit_constant(runt_onnx_ctx *c, const runt_onnx_node *n, runt_op op)
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
