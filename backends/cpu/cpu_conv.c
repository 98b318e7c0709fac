/*
 * Conv as GEMM: per image and group, Y_g[Mg, P] = W_g[Mg, Kc] col[Kc, P]
 * with Kc = C/group * kH * kW and P = OH * OW, bias as the starting value of
 * each output row and the activation in the GEMM's epilogue. col is the
 * im2col matrix; a 1x1 stride-1 unpadded conv uses X itself (X_g is
 * already [C/group, H*W]). The weights are the A operand, packed once at
 * prepare for the packed GEMM, which also gets col already in its panels,
 * written from X (runt_cpu_pack_b_im2col) rather than as a matrix it packs
 * again. With that and im2col's copies by runs, Conv2d(C, C, 3x3) on 32x32
 * at one thread went from 194-291 to 59-65 us (C = 16) and from 1127-1230
 * to 595-605 us (C = 64) (bench/results/2026-11-22c-conv-before-after.txt).
 *
 * Groups with few output channels (depthwise) would make thin GEMMs that
 * cost more in packing than they compute: those run the reference kernel
 * on group ranges in parallel (cpu_sliced.c).
 */
#include <string.h>

#include "cpu_impl.h"

/* Output channels per group below which a GEMM does not pay. */
#define CONV_GEMM_MIN_MG 4

int runt_cpu_conv_as_gemm(const runt_plan *p, int i, int any_width)
{
    const runt_plan_node *n = &p->nodes[i];
    if (n->n_inputs < 2 || n->inputs[1] < 0 || n->outputs[0] < 0)
        return 0;
    const runt_plan_value *w = &p->values[n->inputs[1]];
    const runt_tensor *x = &p->values[n->inputs[0]].desc, *y = &p->values[n->outputs[0]].desc;
    const runt_conv_attrs *a = &n->attrs.conv;
    if (x->ndim != 4 || w->desc.ndim != 4 || y->ndim != 4 || a->group < 1)
        return 0;
    /* Shapes the reference kernel would refuse stay with it, and its message. */
    if (w->desc.dims[1] * a->group != x->dims[1] || w->desc.dims[0] % a->group ||
        y->dims[1] != w->desc.dims[0] || y->dims[0] != x->dims[0] ||
        (a->kernel[0] && a->kernel[0] != w->desc.dims[2]) ||
        (a->kernel[1] && a->kernel[1] != w->desc.dims[3]))
        return 0;
    return any_width || w->desc.dims[0] / a->group >= CONV_GEMM_MIN_MG;
}

static size_t round16(size_t n) { return (n + 15) / 16 * 16; }

/* The GEMM of image `img`, group `gi` (pointers NULL at prepare). */
static runt_cpu_gemm conv_gemm(const runt_cpu_conv_shape *s, const runt_conv_attrs *a, const float *w,
                               const float *packed, const float *bias, const float *x,
                               const float *col, float *y, int64_t img, int64_t gi)
{
    runt_cpu_gemm g;
    memset(&g, 0, sizeof g);
    g.m = s->mg, g.n = s->p, g.k = s->kc;
    g.a = w ? w + gi * s->mg * s->kc : NULL;
    g.a_rs = s->kc, g.a_cs = 1;
    g.a_packed = packed ? packed + gi * runt_cpu_pack_a_floats(s->mg, s->kc) : NULL;
    g.b = s->pointwise ? (x ? x + (img * s->c + gi * s->cg) * s->h * s->w : NULL) : col;
    g.b_rs = s->p, g.b_cs = 1;
    g.alpha = 1.0f;
    g.c = y ? y + (img * s->m + gi * s->mg) * s->p : NULL;
    g.ldc = s->p;
    g.init = bias ? RUNT_CPU_INIT_COL : RUNT_CPU_INIT_ZERO;
    g.bias = bias ? bias + gi * s->mg : NULL;
    g.epilogue = a->epilogue;
    return g;
}

/* 1 when B goes to the packed kernel as panels written straight from the
 * image (runt_cpu_pack_b_im2col), not as an im2col matrix it packs again. */
static int panels_from_image(const runt_cpu_node *cn, const runt_cpu_conv_shape *s)
{
    return !s->pointwise && cn->impl == RUNT_CPU_GEMM_PACKED && runt_cpu_packed_available();
}

/* Only its address is used: it marks B as packed when counting scratch. */
static const float b_packed_at_run = 0.0f;

/* Scratch floats for B ahead of the GEMM's own: its panels, the im2col
 * matrix, or nothing (a 1x1 conv reads X). */
static size_t col_floats(const runt_cpu_node *cn, const runt_cpu_conv_shape *s)
{
    if (panels_from_image(cn, s))
        return round16(runt_cpu_pack_b_floats(s->kc, s->p));
    if (s->pointwise)
        return 0;
    return round16((size_t)(s->kc > 0 ? s->kc : 1) * (size_t)(s->p > 0 ? s->p : 1));
}

typedef struct pack_conv_job {
    const runt_cpu_conv_shape *s;
    const float *w;
} pack_conv_job;

/* Each group's [mg][kc] weights as the packed kernel's A. */
static runt_status pack_conv_fill(void *ctx, void *dst, size_t bytes)
{
    const pack_conv_job *j = ctx;
    const runt_cpu_conv_shape *s = j->s;
    size_t per_group = runt_cpu_pack_a_floats(s->mg, s->kc);
    (void)bytes;
    for (int64_t gi = 0; gi < s->group; gi++)
        runt_cpu_pack_a(j->w + gi * s->mg * s->kc, s->kc, 1, s->mg, s->kc,
                        (float *)dst + gi * per_group);
    return RUNT_OK;
}

runt_status runt_cpu_conv_prepare(runt_cpu_state *st, const runt_plan *p, int i)
{
    runt_cpu_node *cn = &st->nodes[i];
    const runt_plan_node *n = &p->nodes[i];
    const runt_plan_value *w = &p->values[n->inputs[1]];
    if (runt_cpu_conv_direct_wanted(st, p, i))
        return runt_cpu_conv_direct_prepare(st, p, i);
    runt_cpu_conv_shape s = runt_cpu_conv_shape_of(p, i);
    cn->kind = RUNT_CPU_K_CONV;
    if (cn->impl == RUNT_CPU_GEMM_PACKED && w->storage == RUNT_STORE_CONSTANT) {
        pack_conv_job job = {&s, w->data};
        const int64_t key[6] = {s.group, s.mg, s.kc};
        size_t bytes = runt_cpu_pack_a_floats(s.mg, s.kc) * (size_t)s.group * sizeof(float);
        runt_status rc = runt_cpu_weights_share(st, p, w->data, RUNT_CPU_W_CONV_A, key, bytes,
                                                 pack_conv_fill, &job, (void **)&cn->packed);
        if (rc != RUNT_OK)
            return rc;
    }
    runt_cpu_gemm g = conv_gemm(&s, &n->attrs.conv, NULL, cn->packed, NULL, NULL, NULL, NULL, 0, 0);
    if (panels_from_image(cn, &s))
        g.b_packed = &b_packed_at_run;
    cn->scratch_floats = col_floats(cn, &s) + runt_cpu_sgemm_scratch_floats(&g, cn->impl,
                                                                            st->threads);
    return RUNT_OK;
}

/* The output columns [lo, hi) whose tap at input column ox * stride + off
 * falls inside [0, w); the others read the zero padding. */
static void tap_range(int64_t off, int64_t stride, int64_t w, int64_t ow, int64_t *lo,
                      int64_t *hi)
{
    int64_t l = off >= 0 ? 0 : (-off + stride - 1) / stride;
    int64_t h = w - 1 - off < 0 ? 0 : (w - 1 - off) / stride + 1;
    *lo = l < ow ? l : ow;
    *hi = h < ow ? h : ow;
    if (*hi < *lo)
        *hi = *lo;
}

/* col[k][p] for k = (c, i, j) over the group's channels and p = (oy, ox):
 * the input pixel tap (i, j) of output pixel p reads, or 0 in the padding.
 * The padding's columns are the same for every row of a tap, so each row
 * is a zero run, a copy (memcpy at stride 1) and a zero run, with no test
 * per element. */
typedef struct im2col_loop {
    const runt_cpu_conv_shape *s;
    const runt_conv_attrs *a;
    const float *x;
    float *col;
} im2col_loop;

static void im2col_body(void *ctx, int64_t k_lo, int64_t k_hi, int slot)
{
    const im2col_loop *l = ctx;
    const runt_cpu_conv_shape *s = l->s;
    const runt_conv_attrs *a = l->a;
    const float *x = l->x;
    float *col = l->col;
    (void)slot;
    for (int64_t k = k_lo; k < k_hi; k++) {
        int64_t c = k / (s->kh * s->kw), i = k / s->kw % s->kh, j = k % s->kw;
        int64_t sx = a->strides[1], off = j * a->dilations[1] - a->pads[1], lo, hi;
        tap_range(off, sx, s->w, s->ow, &lo, &hi);
        const float *plane = x + c * s->h * s->w;
        float *row = col + k * s->p;
        for (int64_t oy = 0; oy < s->oh; oy++) {
            int64_t iy = oy * a->strides[0] - a->pads[0] + i * a->dilations[0];
            float *out = row + oy * s->ow;
            if (iy < 0 || iy >= s->h) {
                memset(out, 0, (size_t)s->ow * sizeof(float));
                continue;
            }
            const float *src = plane + iy * s->w; /* input column ox * sx + off */
            memset(out, 0, (size_t)lo * sizeof(float));
            if (sx == 1)
                memcpy(out + lo, src + lo + off, (size_t)(hi - lo) * sizeof(float));
            else
                for (int64_t ox = lo; ox < hi; ox++)
                    out[ox] = src[ox * sx + off];
            memset(out + hi, 0, (size_t)(s->ow - hi) * sizeof(float));
        }
    }
}

static void im2col(const runt_cpu_conv_shape *s, const runt_conv_attrs *a, const float *x, float *col,
                   int threads)
{
    im2col_loop l = {s, a, x, col};
    runt_cpu_parallel(runt_cpu_pass_threads((double)s->kc * (double)s->p, threads), s->kc, 0,
                      im2col_body, &l);
}

runt_status runt_cpu_conv_run(const runt_cpu_state *st, const runt_plan *p, int i,
                              const runt_bindings *b)
{
    const runt_cpu_node *cn = &st->nodes[i];
    const runt_plan_node *n = &p->nodes[i];
    const runt_conv_attrs *a = &n->attrs.conv;
    runt_cpu_conv_shape s = runt_cpu_conv_shape_of(p, i);
    const float *x = runt_plan_value_ptr(p, b, n->inputs[0]);
    const float *w = runt_plan_value_ptr(p, b, n->inputs[1]);
    const float *bias = n->n_inputs > 2 && n->inputs[2] >= 0
                            ? runt_plan_value_ptr(p, b, n->inputs[2]) : NULL;
    float *y = runt_plan_value_ptr(p, b, n->outputs[0]);
    int panels = panels_from_image(cn, &s);
    float *scratch = runt_cpu_scratch(b);
    float *col = s.pointwise ? NULL : scratch;
    /* No node may need scratch (a 1x1 conv on OpenBLAS): scratch is then NULL,
     * and an offset from NULL is undefined even when it is 0. */
    float *gemm_scratch = scratch ? scratch + col_floats(cn, &s) : NULL;
    for (int64_t img = 0; img < s.n; img++)
        for (int64_t gi = 0; gi < s.group; gi++) {
            const float *xg = x + (img * s.c + gi * s.cg) * s.h * s.w;
            if (panels) {
                runt_cpu_im2col ic = {xg, s.cg, s.h, s.w, s.kh, s.kw, s.oh, s.ow,
                                      {a->strides[0], a->strides[1]},
                                      {a->dilations[0], a->dilations[1]},
                                      {a->pads[0], a->pads[1]}};
                runt_cpu_pack_b_im2col(&ic, st->threads, col);
            } else if (!s.pointwise) {
                im2col(&s, a, xg, col, st->threads);
            }
            runt_cpu_gemm g = conv_gemm(&s, a, w, cn->packed, bias, x, col, y, img, gi);
            if (panels) {
                g.b = NULL;
                g.b_packed = col;
            }
            g.map = st->map;
            runt_cpu_sgemm(&g, cn->impl, st->threads, gemm_scratch);
        }
    return RUNT_OK;
}
