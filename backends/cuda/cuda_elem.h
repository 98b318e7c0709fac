/*
 * What one GPU thread computes for one output element, written once for the
 * kernels (nvcc compiles these as __host__ __device__) and for the host tests
 * (the C compiler reads the same text), so the index arithmetic and the
 * int8 arithmetic that run on a GPU are exercised on the CPU as well, against
 * the reference backend and backends/cpu/q8.c.
 *
 * The kernels (cuda_*.cu) only map threads to elements and call these.
 * Activations follow backends/ref/ref_activation.c's definitions; pooling
 * and Pad follow ref_pool.c and ref_pad.c, summing in the same order.
 */
#ifndef RUNT_CUDA_ELEM_H
#define RUNT_CUDA_ELEM_H

#include <math.h>
#include <stdint.h>

#include "common/pad_source.h"
#include "cuda_params.h"

#ifdef __CUDACC__
#define RUNT_CUDA_HD static __host__ __device__ inline
#else
#define RUNT_CUDA_HD static inline
#endif

/* The int8 path must round exactly as q8.c does on the CPU: no fused
 * multiply-add where C has a separate multiply and add, and IEEE division
 * whatever -prec-div / -fmad say. On the host these are the plain operators
 * (-std=c11 does not contract across statements, and x86-64's baseline has
 * no FMA). */
#ifdef __CUDA_ARCH__
#define RUNT_FMUL(a, b) __fmul_rn((a), (b))
#define RUNT_FADD(a, b) __fadd_rn((a), (b))
#define RUNT_FSUB(a, b) __fsub_rn((a), (b))
#define RUNT_FDIV(a, b) __fdiv_rn((a), (b))
#define RUNT_CUDA_INF __int_as_float(0x7f800000)
#define RUNT_CUDA_NAN __int_as_float(0x7fc00000)
#else
#define RUNT_FMUL(a, b) ((a) * (b))
#define RUNT_FADD(a, b) ((a) + (b))
#define RUNT_FSUB(a, b) ((a) - (b))
#define RUNT_FDIV(a, b) ((a) / (b))
#define RUNT_CUDA_INF INFINITY
#define RUNT_CUDA_NAN NAN
#endif

/* sqrt(2/pi) and 1/sqrt(2), as ref_activation.c spells them. */
#define RUNT_CUDA_GELU_TANH_SCALE 0.7978845608028654f
#define RUNT_CUDA_INV_SQRT2 0.7071067811865476f

/* ---- activations (ref_activation.c's definitions) ----------------------- */

RUNT_CUDA_HD float runt_cuda_act(float x, runt_epilogue e)
{
    switch (e.act) {
    case RUNT_ACT_RELU: return x < 0.0f ? 0.0f : x;
    case RUNT_ACT_LEAKY_RELU: return x < 0.0f ? e.alpha * x : x;
    case RUNT_ACT_CLIP: /* min(max(x, lo), hi): lo > hi gives hi, as ONNX says */
        x = x < e.alpha ? e.alpha : x;
        return x > e.beta ? e.beta : x;
    case RUNT_ACT_SIGMOID:
        if (x >= 0.0f)
            return 1.0f / (1.0f + expf(-x));
        else {
            float t = expf(x);
            return t / (1.0f + t);
        }
    case RUNT_ACT_TANH: return tanhf(x);
    case RUNT_ACT_GELU: return 0.5f * x * (1.0f + erff(x * RUNT_CUDA_INV_SQRT2));
    case RUNT_ACT_GELU_TANH: {
        float inner = RUNT_CUDA_GELU_TANH_SCALE * (x + 0.044715f * x * x * x);
        return 0.5f * x * (1.0f + tanhf(inner));
    }
    case RUNT_ACT_NONE:
    default: return x;
    }
}

RUNT_CUDA_HD float runt_cuda_unary_at(const runt_cuda_unary *p, int64_t i)
{
    return p->erf ? erff(p->x[i]) : runt_cuda_act(p->x[i], p->act);
}

/* ---- broadcasting binary ops and GEMM epilogues -------------------------- */

RUNT_CUDA_HD float runt_cuda_binary_at(const runt_cuda_binary *p, int64_t i)
{
    int64_t oa = i, ob = i;
    if (!p->same_shape) {
        int64_t rest = i;
        oa = ob = 0;
        for (int d = p->rank - 1; d >= 0; d--) {
            int64_t at = rest % p->dims[d];
            rest /= p->dims[d];
            oa += at * p->sa[d];
            ob += at * p->sb[d];
        }
    }
    float a = p->a[oa], b = p->b[ob];
    switch (p->op) {
    case RUNT_CUDA_SUB: return a - b;
    case RUNT_CUDA_MUL: return a * b;
    case RUNT_CUDA_DIV: return a / b;
    case RUNT_CUDA_ADD:
    default: return a + b;
    }
}

RUNT_CUDA_HD float runt_cuda_epilogue_at(const runt_cuda_epilogue *p, int64_t i)
{
    float v = p->y[i];
    if (p->c) {
        int64_t k = ((i / p->cols) % p->rows) * p->c_row + (i % p->cols) * p->c_col;
        v = v + p->beta * p->c[k];
    }
    return runt_cuda_act(v, p->act);
}

/* ---- normalization ------------------------------------------------------- */

RUNT_CUDA_HD float runt_cuda_batch_norm_at(const runt_cuda_batch_norm *p, int64_t i)
{
    int64_t c = (i / p->spatial) % p->channels;
    float k = p->scale[c] / sqrtf(p->var[c] + p->epsilon);
    return p->x[i] * k + (p->bias[c] - p->mean[c] * k);
}

/* Index into a LayerNorm parameter of element i of a block (stride 0 along
 * the dims where the parameter broadcasts; ref_norm.c's block_index). */
RUNT_CUDA_HD int64_t runt_cuda_ln_param_index(int64_t i, const int64_t *bdims, int nd,
                                              const int64_t *stride)
{
    int64_t index = 0;
    for (int d = nd - 1; d >= 0; d--) {
        index += (i % bdims[d]) * stride[d];
        i /= bdims[d];
    }
    return index;
}

/* ---- pooling, Pad -------------------------------------------------------- */

/* Taps of output o along one axis inside the input and inside the padded
 * input (ref_pool.c's pool_axis_counts). */
RUNT_CUDA_HD void runt_cuda_pool_counts(int64_t o, int k, int s, int d, int pad_begin,
                                        int pad_end, int64_t in, int64_t *inside,
                                        int64_t *padded)
{
    int64_t start = o * s - pad_begin;
    *inside = *padded = 0;
    for (int t = 0; t < k; t++) {
        int64_t q = start + (int64_t)t * d;
        *inside += q >= 0 && q < in;
        *padded += q >= -pad_begin && q < in + pad_end;
    }
}

RUNT_CUDA_HD float runt_cuda_pool_at(const runt_cuda_pool *p, int64_t i)
{
    int64_t per_plane = p->oh * p->ow;
    int64_t plane = i / per_plane, r = i % per_plane, oy = r / p->ow, ox = r % p->ow;
    const float *x = p->x + plane * p->ih * p->iw;
    int64_t y0 = oy * p->sh - p->pt, x0 = ox * p->sw - p->pl;
    float m = p->is_max ? -RUNT_CUDA_INF : 0.0f;
    for (int ki = 0; ki < p->kh; ki++) {
        int64_t iy = y0 + (int64_t)ki * p->dh;
        if (iy < 0 || iy >= p->ih)
            continue;
        for (int kj = 0; kj < p->kw; kj++) {
            int64_t ix = x0 + (int64_t)kj * p->dw;
            if (ix < 0 || ix >= p->iw)
                continue;
            float v = x[iy * p->iw + ix];
            if (!p->is_max)
                m += v;
            else if (v > m || v != v)   /* NaN propagates */
                m = v;
        }
    }
    if (p->is_max)
        return m;
    int64_t in_y, pad_y, in_x, pad_x;
    runt_cuda_pool_counts(oy, p->kh, p->sh, p->dh, p->pt, p->pb, p->ih, &in_y, &pad_y);
    runt_cuda_pool_counts(ox, p->kw, p->sw, p->dw, p->pl, p->pr, p->iw, &in_x, &pad_x);
    int64_t count = p->count_include_pad ? pad_y * pad_x : in_y * in_x;
    return count ? m / (float)count : RUNT_CUDA_NAN;
}

RUNT_CUDA_HD float runt_cuda_pad_at(const runt_cuda_pad *p, int64_t i)
{
    int64_t rest = i, src = 0, stride = 1;
    int inside = 1;
    for (int d = p->rank - 1; d >= 0; d--) {
        int64_t o = rest % p->ydims[d];
        rest /= p->ydims[d];
        int64_t xi = runt_pad_source(o - p->before[d], p->xdims[d], p->mode);
        inside = inside && xi >= 0;
        src += xi * stride;
        stride *= p->xdims[d];
    }
    return inside ? p->x[src] : p->value;
}

/* ---- convolution --------------------------------------------------------- */

/* Input position of tap (ki, kj) of output pixel `pixel`; 0 when it falls
 * into the padding. */
RUNT_CUDA_HD int runt_cuda_conv_tap(const runt_cuda_conv_geom *g, int64_t pixel, int ki, int kj,
                                    int64_t *iy, int64_t *ix)
{
    int64_t oy = pixel / g->ow, ox = pixel % g->ow;
    *iy = oy * g->sh - g->pt + (int64_t)ki * g->dh;
    *ix = ox * g->sw - g->pl + (int64_t)kj * g->dw;
    return *iy >= 0 && *iy < g->h && *ix >= 0 && *ix < g->w;
}

RUNT_CUDA_HD float runt_cuda_im2col_at(const runt_cuda_im2col *p, int64_t i)
{
    const runt_cuda_conv_geom *g = &p->g;
    int64_t pixel = i % g->p, t = i / g->p;
    int kj = (int)(t % g->kw);
    t /= g->kw;
    int ki = (int)(t % g->kh);
    t /= g->kh;
    int64_t c = t % g->c, img = t / g->c;
    int64_t iy, ix;
    if (!runt_cuda_conv_tap(g, pixel, ki, kj, &iy, &ix))
        return 0.0f;
    return p->x[((img * g->c + c) * g->h + iy) * g->w + ix];
}

/* ref_conv.c's loop order: bias + sum over (c, ki, kj), then the act. */
RUNT_CUDA_HD float runt_cuda_conv_direct_at(const runt_cuda_conv_direct *p, int64_t i)
{
    const runt_cuda_conv_geom *g = &p->g;
    int64_t pixel = i % g->p, t = i / g->p;
    int64_t m = t % g->m, img = t / g->m;
    int64_t c0 = (m / g->mg) * g->cg;
    float acc = 0.0f;
    for (int64_t c = 0; c < g->cg; c++) {
        const float *plane = p->x + (img * g->c + c0 + c) * g->h * g->w;
        const float *wc = p->w + (m * g->cg + c) * g->kh * g->kw;
        for (int ki = 0; ki < g->kh; ki++)
            for (int kj = 0; kj < g->kw; kj++) {
                int64_t iy, ix;
                if (runt_cuda_conv_tap(g, pixel, ki, kj, &iy, &ix))
                    acc += plane[iy * g->w + ix] * wc[ki * g->kw + kj];
            }
    }
    return runt_cuda_act((p->bias ? p->bias[m] : 0.0f) + acc, p->act);
}

/* ---- int8: q8.c's arithmetic, operation for operation -------------------- */

/* ONNX DynamicQuantizeLinear's parameters from the range [lo, hi] (which
 * includes 0), in q8.c's q8_params order: scale = (hi - lo) / 255 (1 when
 * hi == lo), zero point = round_half_even(clamp(0 - lo / scale, 0, 255)).
 * rintf rounds half to even in the default rounding mode, as q8.c's
 * magic-number round does. */
RUNT_CUDA_HD runt_cuda_q8_scale runt_cuda_q8_params(float lo, float hi)
{
    runt_cuda_q8_scale s;
    float scale = hi == lo ? 1.0f : RUNT_FDIV(RUNT_FSUB(hi, lo), 255.0f);
    float zp = RUNT_FSUB(0.0f, RUNT_FDIV(lo, scale));
    zp = zp > 0.0f ? zp : 0.0f;
    zp = zp < 255.0f ? zp : 255.0f;
    s.scale = scale;
    s.zero_point = (int32_t)rintf(zp);
    return s;
}

/* The range of q8.c's q8_range: start from 0, NaN ignored (a comparison
 * with NaN is false). */
RUNT_CUDA_HD void runt_cuda_q8_extend(float v, float *lo, float *hi)
{
    *lo = v < *lo ? v : *lo;
    *hi = v > *hi ? v : *hi;
}

/* saturate(round_half_even(x / scale) + zero_point) as u8 (q8.c's
 * q8_quantize_one; NaN becomes 0), returned as that u8 minus 128. */
RUNT_CUDA_HD int8_t runt_cuda_q8_quantize_one(float x, runt_cuda_q8_scale s)
{
    float lo = (float)-s.zero_point, hi = (float)(255 - s.zero_point);
    float v = RUNT_FDIV(x, s.scale);
    v = v > lo ? v : lo;
    v = v < hi ? v : hi;
    return (int8_t)((int32_t)rintf(v) + s.zero_point - 128);
}

/* A product of s8 activations (u8 - 128) and the weights of channel j, to
 * q8.c's result. sum (u8 - zp) q = sum s8 q + (128 - zp) row_sum: the same
 * integer q8.c computes as acc - zp * row_sum, and no intermediate leaves
 * int32 (each term is at most 128 * 127 * k, the sum at most 255 * 127 * k,
 * k <= RUNT_Q8_MAX_K). Then q8_dequantize_one's float operations in its
 * order, plus the bias (q8.c adds 0 when there is none, which turns -0 into
 * +0), plus the act. */
RUNT_CUDA_HD float runt_cuda_q8_finish(int32_t acc_s8, int64_t j, const runt_cuda_q8_weights *w,
                                       runt_cuda_q8_scale xs, runt_epilogue act)
{
    int32_t exact = acc_s8 + (128 - xs.zero_point) * w->row_sum[j];
    float y = RUNT_FMUL((float)exact, RUNT_FMUL(xs.scale, w->scale[j]));
    y = RUNT_FADD(y, w->bias ? w->bias[j] : 0.0f);
    return runt_cuda_act(y, act);
}

/* c + the dot product of a's and b's four signed bytes. */
RUNT_CUDA_HD int32_t runt_cuda_dp4a(int32_t a, int32_t b, int32_t c)
{
#ifdef __CUDA_ARCH__
    return __dp4a(a, b, c);
#else
    for (int t = 0; t < 4; t++)
        c += (int32_t)(int8_t)(uint8_t)((uint32_t)a >> (8 * t)) *
             (int32_t)(int8_t)(uint8_t)((uint32_t)b >> (8 * t));
    return c;
#endif
}

RUNT_CUDA_HD int64_t runt_cuda_q8_out_index(const runt_cuda_q8_out *o, int64_t r, int64_t j)
{
    return (r / o->rows_per_image) * o->image_stride + (r % o->rows_per_image) * o->row_stride +
           j * o->col_stride;
}

/* q8.c's quantize-then-im2col for a group-1 conv (cpu_int8.c's im2col_u8),
 * in s8: the zero point (as s8) in the padding, 0 past kc. */
RUNT_CUDA_HD int8_t runt_cuda_q8_im2col_at(const runt_cuda_q8_im2col *p, int64_t i,
                                           runt_cuda_q8_scale s)
{
    const runt_cuda_conv_geom *g = &p->g;
    int64_t t = i % p->ldc, r = i / p->ldc;
    if (t >= g->kc)
        return 0;
    int64_t pixel = r % g->p, img = r / g->p;
    int64_t c = t / (g->kh * g->kw);
    int ki = (int)(t / g->kw % g->kh), kj = (int)(t % g->kw);
    int64_t iy, ix;
    if (!runt_cuda_conv_tap(g, pixel, ki, kj, &iy, &ix))
        return (int8_t)(s.zero_point - 128);
    return p->xq[((img * g->c + c) * g->h + iy) * g->w + ix];
}

/* Direct int8 convolution of output element i (grouped convs): the exact
 * integer sum over the taps of its group, then runt_cuda_q8_finish. */
RUNT_CUDA_HD float runt_cuda_q8_conv_at(const runt_cuda_q8_conv *p, int64_t i,
                                        runt_cuda_q8_scale s)
{
    const runt_cuda_conv_geom *g = &p->g;
    int64_t pixel = i % g->p, t = i / g->p;
    int64_t m = t % g->m, img = t / g->m;
    int64_t c0 = (m / g->mg) * g->cg;
    const int8_t *wm = p->w.q + m * p->w.k_pad;
    int32_t pad = s.zero_point - 128, acc = 0;
    for (int64_t c = 0; c < g->cg; c++) {
        const int8_t *plane = p->xq + (img * g->c + c0 + c) * g->h * g->w;
        for (int ki = 0; ki < g->kh; ki++)
            for (int kj = 0; kj < g->kw; kj++) {
                int64_t iy, ix;
                int32_t xv = runt_cuda_conv_tap(g, pixel, ki, kj, &iy, &ix)
                                 ? (int32_t)plane[iy * g->w + ix] : pad;
                acc += xv * (int32_t)wm[(c * g->kh + ki) * g->kw + kj];
            }
    }
    return runt_cuda_q8_finish(acc, m, &p->w, s, p->act);
}

#endif /* RUNT_CUDA_ELEM_H */
