/*
 * 2-D MaxPool and AveragePool (NCHW, f32) for the CPU backend, with the
 * reference's semantics (backends/ref/ref_pool.c says them: taps in the
 * padding are skipped, a max window with no tap inside is -inf, a NaN tap
 * is the maximum, an average divides by the taps inside the input or, with
 * count_include_pad, inside the padded input) and its sums in its order,
 * so both agree bit for bit. What the reference does per tap is moved out
 * of the inner loop: it asks, for every tap of every output, whether the
 * tap lies inside the image, and keeps a sum and a maximum for either op.
 * That was 73 % of a Conv2d(1, 8, 1x1) + MaxPool(2) + Linear model's time
 * on this backend; AveragePool calibrated at a seventh of MaxPool's rate.
 * Here each output row and column knows its range of inside taps before the
 * loop, and the common 2x2 / stride 2 window inside the image is a loop the
 * compiler vectorizes.
 *
 * Anything else (an Indices output, other ranks or types, missing data,
 * outputs wider than the column table) goes to the reference kernel, which
 * computes it or says what is wrong.
 */
#include <math.h>

#include "cpu_impl.h"
#include "ref/ref_impl.h"

/* Output columns whose tap ranges are precomputed (24 KiB of stack). */
#define POOL_COLUMNS 1024

/* Along one axis, output o's taps start + t * d for t < k: those in
 * [t0, t1) land inside the input, and `padded` of them inside the padded
 * input [-pad_begin, in + pad_end) (AveragePool's count_include_pad). */
typedef struct tap_range {
    int64_t start;
    int32_t t0, t1, padded;
} tap_range;

/* The taps t < k with lo <= start + t d < hi, as [first, end). */
static void taps_within(int64_t start, int64_t lo, int64_t hi, int64_t k, int64_t d,
                        int64_t *first, int64_t *end)
{
    int64_t t0 = start < lo ? (lo - start + d - 1) / d : 0;
    int64_t t1 = start >= hi ? 0 : (hi - start + d - 1) / d;
    *first = t0 < k ? t0 : k;
    *end = t1 < k ? t1 : k;
    if (*end < *first)
        *end = *first;
}

static tap_range taps_of(int64_t o, int64_t in, int64_t k, int64_t s, int64_t d,
                         int64_t pad_begin, int64_t pad_end)
{
    tap_range r;
    int64_t t0, t1, p0, p1;
    r.start = o * s - pad_begin;
    taps_within(r.start, 0, in, k, d, &t0, &t1);
    taps_within(r.start, -pad_begin, in + pad_end, k, d, &p0, &p1);
    r.t0 = (int32_t)t0, r.t1 = (int32_t)t1, r.padded = (int32_t)(p1 - p0);
    return r;
}

/* The maximum of the non-NaN taps, and apart from it whether any tap was
 * NaN: the reference's update (a NaN tap is the maximum and stays it) in a
 * form without branches on the data, which random values mispredict; the
 * window is NaN at the end if any tap was. */
static inline float max_of(float m, float v) { return v > m ? v : m; }
static inline int is_nan(float v) { return v != v; }

typedef struct pool_shape {
    int64_t h, w, oh, ow;
    const runt_pool_attrs *a;
    int average;
    const tap_range *cols;
} pool_shape;

/* Columns [lo, hi) of a 2x2 / stride 2 row pair whose windows lie inside. */
static void row_pair_2x2(const float *r0, const float *r1, int64_t left, int average, float *out,
                         int64_t lo, int64_t hi)
{
    if (average) {
        for (int64_t ox = lo; ox < hi; ox++) {
            int64_t c = 2 * ox - left;
            out[ox] = ((((0.0f + r0[c]) + r0[c + 1]) + r1[c]) + r1[c + 1]) / 4.0f;
        }
        return;
    }
    for (int64_t ox = lo; ox < hi; ox++) {
        int64_t c = 2 * ox - left;
        float t00 = r0[c], t01 = r0[c + 1], t10 = r1[c], t11 = r1[c + 1];
        float m = max_of(max_of(t00, t01), max_of(t10, t11));
        out[ox] = is_nan(t00) | is_nan(t01) | is_nan(t10) | is_nan(t11) ? NAN : m;
    }
}

/* One window, any shape: its taps inside, in the reference's order. */
static float window(const float *x, const pool_shape *p, const tap_range *r,
                    const tap_range *col)
{
    const runt_pool_attrs *a = p->a;
    float m = -INFINITY, sum = 0.0f;
    int nan = 0;
    for (int32_t ty = r->t0; ty < r->t1; ty++) {
        const float *row = x + (r->start + ty * a->dilations[0]) * p->w + col->start;
        for (int32_t tx = col->t0; tx < col->t1; tx++) {
            float v = row[tx * a->dilations[1]];
            m = max_of(m, v);
            nan |= is_nan(v);
            sum += v;
        }
    }
    if (!p->average)
        return nan ? NAN : m;
    int64_t count = a->count_include_pad ? (int64_t)r->padded * col->padded
                                         : (int64_t)(r->t1 - r->t0) * (col->t1 - col->t0);
    return count ? sum / (float)count : NAN;
}

static void pool_plane(const float *x, float *y, const pool_shape *p)
{
    const runt_pool_attrs *a = p->a;
    int square2 = a->kernel[0] == 2 && a->kernel[1] == 2 && a->strides[0] == 2 &&
                  a->strides[1] == 2 && a->dilations[0] == 1 && a->dilations[1] == 1;
    for (int64_t oy = 0; oy < p->oh; oy++) {
        tap_range r = taps_of(oy, p->h, a->kernel[0], a->strides[0], a->dilations[0], a->pads[0],
                              a->pads[2]);
        float *out = y + oy * p->ow;
        int64_t lo = 0, hi = 0;
        if (square2 && r.t0 == 0 && r.t1 == 2) {
            /* The columns whose window lies inside, a run in the middle. */
            while (lo < p->ow && (p->cols[lo].t0 != 0 || p->cols[lo].t1 != 2))
                lo++;
            hi = lo;
            while (hi < p->ow && p->cols[hi].t0 == 0 && p->cols[hi].t1 == 2)
                hi++;
            const float *r0 = x + r.start * p->w;
            row_pair_2x2(r0, r0 + p->w, a->pads[1], p->average, out, lo, hi);
        }
        for (int64_t ox = 0; ox < p->ow; ox++) {
            if (ox == lo && hi > lo)
                ox = hi;
            if (ox >= p->ow)
                break;
            out[ox] = window(x, p, &r, &p->cols[ox]);
        }
    }
}

/* Whether this file computes the node (else the reference does). */
static int plain(const runt_attrs *attrs, const runt_tensor *in, int n_in, const runt_tensor *out,
                 int n_out)
{
    if (!attrs || !in || !out || n_in < 1 || n_out < 1 || (n_out > 1 && out[1].data))
        return 0;
    const runt_tensor *x = &in[0], *y = &out[0];
    const runt_pool_attrs *a = &attrs->pool;
    int ok = x->dtype == RUNT_F32 && y->dtype == RUNT_F32 && x->ndim == 4 && y->ndim == 4 &&
             x->data && y->data && y->dims[0] == x->dims[0] && y->dims[1] == x->dims[1] &&
             y->dims[3] <= POOL_COLUMNS;
    for (int i = 0; ok && i < 2; i++)
        ok = a->kernel[i] >= 1 && a->strides[i] >= 1 && a->dilations[i] >= 1;
    return ok;
}

static runt_status pool(int average, const runt_attrs *attrs, const runt_tensor *in, int n_in,
                        runt_tensor *out, int n_out)
{
    if (!plain(attrs, in, n_in, out, n_out))
        return average ? runt_ref_average_pool(attrs, in, n_in, out, n_out)
                       : runt_ref_max_pool(attrs, in, n_in, out, n_out);
    const runt_pool_attrs *a = &attrs->pool;
    tap_range cols[POOL_COLUMNS];
    pool_shape p = {in[0].dims[2], in[0].dims[3], out[0].dims[2], out[0].dims[3], a, average,
                    cols};
    for (int64_t ox = 0; ox < p.ow; ox++)
        cols[ox] = taps_of(ox, p.w, a->kernel[1], a->strides[1], a->dilations[1], a->pads[1],
                           a->pads[3]);
    int64_t planes = in[0].dims[0] * in[0].dims[1];
    for (int64_t i = 0; i < planes; i++)
        pool_plane((const float *)in[0].data + i * p.h * p.w,
                   (float *)out[0].data + i * p.oh * p.ow, &p);
    return RUNT_OK;
}

runt_status runt_cpu_max_pool(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                              runt_tensor *out, int n_out)
{
    return pool(0, attrs, in, n_in, out, n_out);
}

runt_status runt_cpu_average_pool(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                                  runt_tensor *out, int n_out)
{
    return pool(1, attrs, in, n_in, out, n_out);
}
