/*
 * Finds quantized layers in a plan and folds each into one int8-weight node
 * (the form runt-backend.h defines at RUNT_QW_W_SCALE):
 *
 *   dynamic (quantize_dynamic):
 *     x -> DynamicQuantizeLinear -> (xq, x_scale, x_zp)
 *     MatMulInteger(xq, W, x_zp, w_zp) or ConvInteger(...)  -> Cast(float)
 *       -> Mul(., Mul(x_scale, w_scale)) [-> Add(., bias)]
 *   QDQ (quantize_static, QuantFormat.QDQ):
 *     x -> QuantizeLinear(x_scale, x_zp) -> DequantizeLinear(x_scale, x_zp) -> x'
 *     DequantizeLinear(W, w_scale, w_zp) -> W'
 *     MatMul(x', W') / Gemm(x', W', C) / Conv(x', W', B)
 *
 * The new node takes the matched MatMulInteger's (or float op's) place;
 * the nodes it absorbs are marked removed, and the nodes that fed only it
 * (DynamicQuantizeLinear, the scale Mul, QuantizeLinear, DequantizeLinear, a
 * Reshape of the bias) are removed once nothing reads them. It runs before
 * fusion, so an activation after the layer becomes its epilogue.
 *
 * Why the folded node computes what the graph computes: MatMulInteger's int32
 * result is sum (xq - x_zp)(W - 0) exactly; the node forms the same integer,
 * converts it as Cast does, multiplies by x_scale * w_scale[n] computed as
 * the scale Mul computes it, and adds the bias as Add does. Each float
 * operation is the graph's own, so quantize_dynamic layers match bit for
 * bit; a QDQ layer's float MatMul rounds partial sums the integer form does
 * not have.
 */
#include "quant_patterns.h"

#include <math.h>
#include <string.h>

typedef struct qp {
    runt_plan *p;
    int *removed;
    int *consumers;
} qp;

static void count_consumers(qp *q)
{
    const runt_plan *p = q->p;
    memset(q->consumers, 0, sizeof(int) * (size_t)p->n_values);
    for (int i = 0; i < p->n_nodes; i++) {
        if (q->removed[i])
            continue;
        for (int j = 0; j < p->nodes[i].n_inputs; j++)
            if (p->nodes[i].inputs[j] >= 0)
                q->consumers[p->nodes[i].inputs[j]]++;
    }
}

static int input(const runt_plan_node *n, int j) { return j < n->n_inputs ? n->inputs[j] : -1; }

/* The live node of op that produces v, or -1. */
static int producer(const qp *q, int v, runt_op op)
{
    int i = v >= 0 ? q->p->values[v].producer : -1;
    return i >= 0 && !q->removed[i] && q->p->nodes[i].op == op ? i : -1;
}

/* The only live node reading v (which is no graph output), or -1. */
static int only_reader(const qp *q, int v)
{
    const runt_plan *p = q->p;
    if (v < 0 || q->consumers[v] != 1 || p->values[v].output_index >= 0)
        return -1;
    for (int i = 0; i < p->n_nodes; i++)
        for (int j = 0; !q->removed[i] && j < p->nodes[i].n_inputs; j++)
            if (p->nodes[i].inputs[j] == v)
                return i;
    return -1;
}

/* The other input of a two-input node, or -1 when v is not exactly one of them. */
static int other_input(const runt_plan_node *n, int v)
{
    if (n->n_inputs != 2 || n->inputs[0] == n->inputs[1])
        return -1;
    return n->inputs[0] == v ? n->inputs[1] : n->inputs[1] == v ? n->inputs[0] : -1;
}

static const runt_plan_value *constant(const qp *q, int v, runt_dtype dtype)
{
    if (v < 0 || q->p->values[v].storage != RUNT_STORE_CONSTANT ||
        q->p->values[v].desc.dtype != dtype)
        return NULL;
    return &q->p->values[v];
}

/* An absent zero point, or a constant one that is all zeros. */
static int zero_or_absent(const qp *q, int v)
{
    if (v < 0)
        return 1;
    const runt_plan_value *c = &q->p->values[v];
    if (c->storage != RUNT_STORE_CONSTANT)
        return 0;
    size_t n = (size_t)runt_tensor_count(&c->desc) * runt_dtype_size(c->desc.dtype);
    for (size_t i = 0; i < n; i++)
        if (((const unsigned char *)c->data)[i])
            return 0;
    return 1;
}

/* An f32 constant whose elements are all finite (and non-zero if asked:
 * a scale QuantizeLinear divides by). */
static const runt_plan_value *scale_of(const qp *q, int v, int nonzero)
{
    const runt_plan_value *s = constant(q, v, RUNT_F32);
    if (!s)
        return NULL;
    const float *d = s->data;
    for (int64_t i = 0; i < runt_tensor_count(&s->desc); i++)
        if (!isfinite(d[i]) || (nonzero && d[i] == 0.0f))
            return NULL;
    return s;
}

/* Two inputs that hold the same constant (one value, or equal bytes). */
static int same_constant(const qp *q, int a, int b)
{
    if (a == b)
        return a >= 0;
    if (a < 0 || b < 0)
        return 0;
    const runt_plan_value *x = &q->p->values[a], *y = &q->p->values[b];
    return x->storage == RUNT_STORE_CONSTANT && y->storage == RUNT_STORE_CONSTANT &&
           x->desc.dtype == y->desc.dtype && x->nbytes == y->nbytes &&
           runt_tensor_count(&x->desc) == runt_tensor_count(&y->desc) &&
           memcmp(x->data, y->data, (size_t)runt_tensor_count(&x->desc) *
                                        runt_dtype_size(x->desc.dtype)) == 0;
}

/* 1 if t, broadcast onto an output of rank `rank`, is one value or one per
 * channel along `axis` (`channels` of them), never widening the output. */
static int per_channel(const runt_tensor *t, int rank, int axis, int64_t channels)
{
    if (t->ndim > rank)
        return 0;
    if (runt_tensor_count(t) == 1)
        return 1;
    for (int d = 0; d < t->ndim; d++)
        if (t->dims[d] != (rank - t->ndim + d == axis ? channels : 1))
            return 0;
    return 1;
}

/* v, or the constant whose bytes a live Reshape, Flatten or Identity of it
 * passes on unchanged (*view: that node, or -1). */
static int through_view(const qp *q, int v, int *view)
{
    static const runt_op views[] = {RUNT_OP_RESHAPE, RUNT_OP_FLATTEN, RUNT_OP_IDENTITY};
    *view = -1;
    for (size_t k = 0; k < sizeof views / sizeof views[0]; k++) {
        int n = producer(q, v, views[k]);
        if (n >= 0 && q->p->values[q->p->nodes[n].inputs[0]].storage == RUNT_STORE_CONSTANT) {
            *view = n;
            return q->p->nodes[n].inputs[0];
        }
    }
    return v;
}

/* Removes node i (if any) once none of its outputs is read or a graph output. */
static void drop_if_unread(qp *q, int i)
{
    if (i < 0 || q->removed[i])
        return;
    count_consumers(q);
    const runt_plan_node *n = &q->p->nodes[i];
    for (int j = 0; j < n->n_outputs; j++) {
        int v = n->outputs[j];
        if (v >= 0 && (q->consumers[v] || q->p->values[v].output_index >= 0))
            return;
    }
    q->removed[i] = 1;
}

/* Node i becomes the quantized layer: op, inputs per runt-backend.h. */
static void make_layer(qp *q, int i, runt_op op, const int *in)
{
    runt_plan_node *n = &q->p->nodes[i];
    if (op != n->op && op != RUNT_OP_CONV) /* ConvInteger's Conv attributes stay */
        runt_attrs_default(op, &n->attrs);
    n->op = op;
    n->n_inputs = RUNT_QW_INPUTS;
    for (int j = 0; j < RUNT_QW_INPUTS; j++)
        n->inputs[j] = in[j];
}

/* The f32 op of a layer with output rank y_rank: Gemm when 2-D (the CPU's
 * and fusion's Linear), MatMul otherwise. */
static runt_op linear_op(int y_rank, int x_rank)
{
    return y_rank == 2 && x_rank == 2 ? RUNT_OP_GEMM : RUNT_OP_MATMUL;
}

/* ------------------------------------------------------------------------- */
/* quantize_dynamic                                                          */
/* ------------------------------------------------------------------------- */

/* A layer's geometry: output rank, channel axis and count, depth. */
typedef struct qlayer {
    int rank, axis;
    int64_t channels, depth;
} qlayer;

static int dynamic_layer(const qp *q, const runt_plan_node *mi, const runt_plan_value *w,
                         qlayer *l)
{
    const runt_tensor *wd = &w->desc;
    l->rank = q->p->values[mi->outputs[0]].desc.ndim;
    if (mi->op == RUNT_OP_CONV_INTEGER) {
        l->axis = 1;
        l->channels = wd->dims[0];
        l->depth = wd->dims[1] * wd->dims[2] * wd->dims[3];
    } else {
        if (wd->ndim != 2)
            return 0;
        l->axis = l->rank - 1;
        l->channels = wd->dims[1];
        l->depth = wd->dims[0];
    }
    return l->rank >= 1 && l->depth <= RUNT_QW_MAX_K;
}

/* The Add after the layer's output y and its bias constant (per channel,
 * one element per channel), or -1. */
static int bias_add(const qp *q, int y, const qlayer *l, int *bias, int *view)
{
    int add = only_reader(q, y);
    if (add < 0 || q->p->nodes[add].op != RUNT_OP_ADD)
        return -1;
    int other = other_input(&q->p->nodes[add], y);
    if (other < 0)
        return -1;
    int b = through_view(q, other, view);
    const runt_plan_value *bv = constant(q, b, RUNT_F32);
    if (!bv || runt_tensor_count(&bv->desc) != l->channels ||
        !per_channel(&q->p->values[other].desc, l->rank, l->axis, l->channels))
        return -1;
    *bias = b;
    return add;
}

static int rewrite_dynamic(qp *q, int i)
{
    runt_plan *p = q->p;
    const runt_plan_node *mi = &p->nodes[i];
    int d = producer(q, input(mi, 0), RUNT_OP_DYNAMIC_QUANTIZE_LINEAR);
    const runt_plan_value *w = constant(q, input(mi, 1), RUNT_I8);
    qlayer l;
    if (d < 0 || p->nodes[d].n_outputs != 3 || p->nodes[d].outputs[0] != mi->inputs[0] ||
        input(mi, 2) != p->nodes[d].outputs[2] || !w || !zero_or_absent(q, input(mi, 3)) ||
        !dynamic_layer(q, mi, w, &l))
        return 0;
    int cast = only_reader(q, mi->outputs[0]);
    if (cast < 0 || p->nodes[cast].op != RUNT_OP_CAST || p->nodes[cast].attrs.cast.to != RUNT_F32)
        return 0;
    int mul = only_reader(q, p->nodes[cast].outputs[0]);
    if (mul < 0 || p->nodes[mul].op != RUNT_OP_MUL)
        return 0;
    /* The scale product x_scale * w_scale, made from DynamicQuantizeLinear's scale. */
    int s = producer(q, other_input(&p->nodes[mul], p->nodes[cast].outputs[0]), RUNT_OP_MUL);
    int ws = s >= 0 ? other_input(&p->nodes[s], p->nodes[d].outputs[1]) : -1;
    const runt_plan_value *wsv = scale_of(q, ws, 0);
    if (!wsv || !per_channel(&wsv->desc, l.rank, l.axis, l.channels))
        return 0;
    int y = p->nodes[mul].outputs[0], bias = -1, view = -1;
    int add = bias_add(q, y, &l, &bias, &view);
    if (add >= 0)
        y = p->nodes[add].outputs[0];

    int x = p->nodes[d].inputs[0], old = mi->outputs[0];
    int in[RUNT_QW_INPUTS] = {x, mi->inputs[1], bias, ws, -1, -1};
    runt_op op = mi->op == RUNT_OP_CONV_INTEGER ? RUNT_OP_CONV
                                                : linear_op(l.rank, p->values[x].desc.ndim);
    make_layer(q, i, op, in);
    p->nodes[i].outputs[0] = y;
    p->values[y].producer = i;
    p->values[old].producer = -1;
    q->removed[cast] = q->removed[mul] = 1;
    if (add >= 0)
        q->removed[add] = 1;
    drop_if_unread(q, s);
    drop_if_unread(q, view);
    drop_if_unread(q, d);
    return 1;
}

/* ------------------------------------------------------------------------- */
/* QDQ                                                                       */
/* ------------------------------------------------------------------------- */

/* DequantizeLinear of constant int8 weights, zero point 0, scales per tensor
 * or along the weight's output-channel axis w_axis: the node, or -1. */
static int qdq_weights(const qp *q, int v, int rank, int w_axis, int *w, int *ws)
{
    int dq = producer(q, v, RUNT_OP_DEQUANTIZE_LINEAR);
    if (dq < 0)
        return -1;
    const runt_plan_node *n = &q->p->nodes[dq];
    const runt_plan_value *wv = constant(q, input(n, 0), RUNT_I8);
    const runt_plan_value *sv = scale_of(q, input(n, 1), 0);
    if (!wv || wv->desc.ndim != rank || !sv || !zero_or_absent(q, input(n, 2)))
        return -1;
    int64_t count = runt_tensor_count(&sv->desc);
    if (count != 1 && (n->attrs.quant.block_size != 0 || n->attrs.quant.axis != w_axis ||
                       sv->desc.ndim != 1 || count != wv->desc.dims[w_axis]))
        return -1;
    *w = n->inputs[0];
    *ws = n->inputs[1];
    return dq;
}

/* QuantizeLinear -> DequantizeLinear of x with one constant scale and zero
 * point: the DequantizeLinear node, or -1 (*qx the QuantizeLinear). */
static int qdq_activation(const qp *q, int v, int *qx)
{
    int dq = producer(q, v, RUNT_OP_DEQUANTIZE_LINEAR);
    *qx = dq >= 0 ? producer(q, q->p->nodes[dq].inputs[0], RUNT_OP_QUANTIZE_LINEAR) : -1;
    if (*qx < 0)
        return -1;
    const runt_plan_node *dn = &q->p->nodes[dq], *qn = &q->p->nodes[*qx];
    const runt_plan_value *s = scale_of(q, input(qn, 1), 1);
    int zp = input(qn, 2);
    if (!s || runt_tensor_count(&s->desc) != 1 || zp < 0 ||
        q->p->values[zp].storage != RUNT_STORE_CONSTANT ||
        runt_tensor_count(&q->p->values[zp].desc) != 1 ||
        !same_constant(q, input(dn, 1), input(qn, 1)) || !same_constant(q, input(dn, 2), zp))
        return -1;
    return dq;
}

static int rewrite_qdq(qp *q, int i)
{
    runt_plan *p = q->p;
    const runt_plan_node *n = &p->nodes[i];
    if (n->n_inputs > 3 || n->outputs[0] < 0)
        return 0;
    int conv = n->op == RUNT_OP_CONV, gemm = n->op == RUNT_OP_GEMM;
    int rank = conv ? 4 : 2, w_axis = conv || (gemm && n->attrs.gemm.trans_b) ? 0 : 1;
    int w, ws, qx, bias = conv || gemm ? input(n, 2) : -1;
    int dw = qdq_weights(q, input(n, 1), rank, w_axis, &w, &ws);
    int dx = dw >= 0 ? qdq_activation(q, input(n, 0), &qx) : -1;
    if (dx < 0)
        return 0;
    const runt_tensor *wd = &p->values[w].desc;
    int64_t depth = conv ? wd->dims[1] * wd->dims[2] * wd->dims[3] : wd->dims[1 - w_axis];
    if (depth > RUNT_QW_MAX_K)
        return 0;
    if (gemm) {
        const runt_gemm_attrs *g = &n->attrs.gemm;
        const runt_tensor *c = bias >= 0 ? &p->values[bias].desc : NULL;
        if (g->alpha != 1.0f || g->trans_a ||
            (c && (g->beta != 1.0f || c->dtype != RUNT_F32 ||
                   !per_channel(c, 2, 1, wd->dims[w_axis]) ||
                   runt_tensor_count(c) != wd->dims[w_axis])))
            return 0;
    }
    int x = p->nodes[qx].inputs[0];
    int in[RUNT_QW_INPUTS] = {x, w, bias, ws, p->nodes[qx].inputs[1], p->nodes[qx].inputs[2]};
    runt_op op = conv ? RUNT_OP_CONV
                      : gemm ? RUNT_OP_GEMM
                             : linear_op(p->values[n->outputs[0]].desc.ndim, p->values[x].desc.ndim);
    make_layer(q, i, op, in);
    drop_if_unread(q, dx);
    drop_if_unread(q, qx);
    drop_if_unread(q, dw);
    return 1;
}

int runt_quant_rewrite(runt_plan *plan, int *removed, int *consumers)
{
    qp q = {plan, removed, consumers};
    int rewrites = 0;
    count_consumers(&q);
    for (int i = 0; i < plan->n_nodes; i++) {
        if (removed[i])
            continue;
        runt_op op = plan->nodes[i].op;
        int done = op == RUNT_OP_MATMUL_INTEGER || op == RUNT_OP_CONV_INTEGER ? rewrite_dynamic(&q, i)
                   : op == RUNT_OP_MATMUL || op == RUNT_OP_GEMM || op == RUNT_OP_CONV
                       ? rewrite_qdq(&q, i)
                       : 0;
        if (done) {
            rewrites++;
            count_consumers(&q);
        }
    }
    return rewrites;
}
