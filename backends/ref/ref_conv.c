/*
 * ONNX Conv, 2-D, NCHW: Y[n, m] = B[m] + sum over the C/group input channels
 * of m's group of X[n, c] correlated with W[m, c - group start], then the
 * fused epilogue. Taps that fall into the padding contribute zero, so they
 * are skipped rather than read.
 *
 * The output's spatial size is the core's (shape inference decides it once);
 * this kernel only checks the shapes it indexes with.
 */
#include "ref_impl.h"


typedef struct conv_geom {
    int64_t n, c, h, w;     /* input                       */
    int64_t m, oh, ow;      /* output channels and size    */
    int64_t kh, kw;         /* kernel                      */
    int64_t cg, mg;         /* input / output channels per group */
} conv_geom;

static runt_status conv_check(const runt_conv_attrs *a, const runt_tensor *in, int n_in,
                              const runt_tensor *out, int n_out, conv_geom *g)
{
    if (!a || !in || !out || n_in < 2 || n_out < 1)
        return runt_error_set(RUNT_E_INVALID_ARG, "Conv: needs X, W and one output");
    const runt_tensor *x = &in[0], *w = &in[1], *y = &out[0];
    const runt_tensor *b = n_in > 2 && in[2].data ? &in[2] : NULL;
    if (x->dtype != RUNT_F32 || w->dtype != RUNT_F32 || y->dtype != RUNT_F32 ||
        (b && b->dtype != RUNT_F32))
        return runt_error_set(RUNT_E_UNSUPPORTED, "Conv: reference kernel is f32 only");
    if (x->ndim != 4 || w->ndim != 4 || y->ndim != 4)
        return runt_error_set(RUNT_E_UNSUPPORTED, "Conv: only 2-D (NCHW) is implemented");
    if (!x->data || !w->data || !y->data)
        return runt_error_set(RUNT_E_INVALID_ARG, "Conv: missing data pointer");
    if (a->group < 1 || a->strides[0] < 1 || a->strides[1] < 1 || a->dilations[0] < 1 ||
        a->dilations[1] < 1)
        return runt_error_set(RUNT_E_INVALID_ARG, "Conv: group, strides, dilations must be >= 1");
    *g = (conv_geom){x->dims[0], x->dims[1], x->dims[2], x->dims[3], w->dims[0],
                     y->dims[2], y->dims[3], w->dims[2], w->dims[3], w->dims[1],
                     w->dims[0] / a->group};
    /* ONNX: W is [M, C/group, kH, kW] and M is a multiple of group. */
    if (g->cg * a->group != g->c || g->mg * a->group != g->m || y->dims[0] != g->n ||
        y->dims[1] != g->m || (b && (b->ndim != 1 || b->dims[0] != g->m)) ||
        (a->kernel[0] && a->kernel[0] != g->kh) || (a->kernel[1] && a->kernel[1] != g->kw))
        return runt_error_set(RUNT_E_SHAPE,
                              "Conv: X [%lld,%lld,..], W [%lld,%lld,%lld,%lld], group %d, "
                              "Y [%lld,%lld,..] do not agree",
                              (long long)g->n, (long long)g->c, (long long)w->dims[0],
                              (long long)w->dims[1], (long long)g->kh, (long long)g->kw,
                              a->group, (long long)y->dims[0], (long long)y->dims[1]);
    return RUNT_OK;
}

/* One output pixel of output channel m: the taps of the input channels
 * [c0, c0 + cg) of one image x (C planes of h*w). */
static float conv_pixel(const runt_conv_attrs *a, const conv_geom *g, const float *x,
                        const float *wm, int64_t c0, int64_t oy, int64_t ox)
{
    float acc = 0.0f;
    int64_t y0 = oy * a->strides[0] - a->pads[0];
    int64_t x0 = ox * a->strides[1] - a->pads[1];
    for (int64_t c = 0; c < g->cg; c++) {
        const float *plane = x + (c0 + c) * g->h * g->w;
        const float *wc = wm + c * g->kh * g->kw;
        for (int64_t i = 0; i < g->kh; i++) {
            int64_t iy = y0 + i * a->dilations[0];
            if (iy < 0 || iy >= g->h)
                continue;
            for (int64_t j = 0; j < g->kw; j++) {
                int64_t ix = x0 + j * a->dilations[1];
                if (ix >= 0 && ix < g->w)
                    acc += plane[iy * g->w + ix] * wc[i * g->kw + j];
            }
        }
    }
    return acc;
}

runt_status runt_ref_conv(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                          runt_tensor *out, int n_out)
{
    conv_geom g = {0};
    const runt_conv_attrs *a = attrs ? &attrs->conv : NULL;
    runt_status s = conv_check(a, in, n_in, out, n_out, &g);
    if (s != RUNT_OK)
        return s;
    const float *x = in[0].data, *w = in[1].data;
    const float *bias = n_in > 2 ? in[2].data : NULL;
    float *y = out[0].data;
    for (int64_t n = 0; n < g.n; n++) {
        const float *xn = x + n * g.c * g.h * g.w;
        for (int64_t m = 0; m < g.m; m++) {
            const float *wm = w + m * g.cg * g.kh * g.kw;
            int64_t c0 = (m / g.mg) * g.cg;
            float b = bias ? bias[m] : 0.0f;
            float *ym = y + (n * g.m + m) * g.oh * g.ow;
            for (int64_t oy = 0; oy < g.oh; oy++)
                for (int64_t ox = 0; ox < g.ow; ox++)
                    ym[oy * g.ow + ox] = b + conv_pixel(a, &g, xn, wm, c0, oy, ox);
        }
    }
    runt_ref_apply_epilogue(y, g.n * g.m * g.oh * g.ow, &a->epilogue);
    return RUNT_OK;
}
