/*
 * A 2-D conv node's sizes, read once from the plan for both paths that run
 * it: im2col + GEMM (cpu_conv.c) and direct (cpu_conv_direct.c). Apart from
 * either, so that neither path's file depends on the other's.
 */
#include "cpu_impl.h"

runt_cpu_conv_shape runt_cpu_conv_shape_of(const runt_plan *p, int i)
{
    const runt_plan_node *n = &p->nodes[i];
    const runt_conv_attrs *a = &n->attrs.conv;
    const runt_tensor *x = &p->values[n->inputs[0]].desc, *w = &p->values[n->inputs[1]].desc;
    const runt_tensor *y = &p->values[n->outputs[0]].desc;
    runt_cpu_conv_shape s;
    s.n = x->dims[0], s.c = x->dims[1], s.h = x->dims[2], s.w = x->dims[3];
    s.m = w->dims[0], s.cg = w->dims[1], s.kh = w->dims[2], s.kw = w->dims[3];
    s.oh = y->dims[2], s.ow = y->dims[3];
    s.group = a->group;
    s.mg = s.m / s.group;
    s.kc = s.cg * s.kh * s.kw;
    s.p = s.oh * s.ow;
    s.pointwise = s.kh == 1 && s.kw == 1 && a->strides[0] == 1 && a->strides[1] == 1 &&
               a->pads[0] == 0 && a->pads[1] == 0 && a->pads[2] == 0 && a->pads[3] == 0 &&
               s.oh == s.h && s.ow == s.w;
    return s;
}
