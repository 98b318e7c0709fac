/*
 * 2-D max pooling (NCHW, f32) for the CPU backend: the reference's
 * semantics (taps in the padding are skipped, a window with no tap inside
 * is -inf, a NaN tap is the maximum) with the work the reference does per
 * output moved out of the inner loop. The reference asks, for every tap of
 * every output, whether it lies inside the image, and adds up a sum that
 * max pooling throws away (its window function serves average pooling
 * too); that was 73 % of a Conv2d(1, 8, 1x1) + MaxPool(2) + Linear model's
 * time on this backend. Here each output row and column knows its range of
 * inside taps before the loop, and the common 2x2 / stride 2 window inside
 * the image is four loads and three comparisons.
 *
 * Anything else (an Indices output, other ranks or types, missing data,
 * outputs wider than the column table) goes to the reference kernel, which
 * computes it or says what is wrong.
 */
#include <math.h>

#include "cpu_impl.h"
#include "ref/ref_impl.h"

/* Output columns whose tap ranges are precomputed (16 KiB of stack). */
#define MAX_POOL_COLUMNS 1024

/* The taps [t0, t1) of output o that land inside [0, in) along one axis,
 * and the input index of tap 0. */
typedef struct tap_range {
    int64_t start;
    int32_t t0, t1;
} tap_range;

static tap_range taps_inside(int64_t o, int64_t in, int64_t k, int64_t s, int64_t d, int64_t pad)
{
    tap_range r;
    r.start = o * s - pad;
    int64_t t0 = r.start < 0 ? (-r.start + d - 1) / d : 0;
    int64_t t1 = r.start >= in ? 0 : (in - r.start + d - 1) / d;
    r.t0 = (int32_t)(t0 < k ? t0 : k);
    r.t1 = (int32_t)(t1 < k ? t1 : k);
    if (r.t1 < r.t0)
        r.t1 = r.t0;
    return r;
}

/* The maximum of the non-NaN taps, and apart from it whether any tap was
 * NaN: the reference's update (a NaN tap is the maximum and stays it) in a
 * form without branches on the data, which random values mispredict; the
 * window is NaN at the end if any tap was. */
static inline float max_of(float m, float v) { return v > m ? v : m; }
static inline int is_nan(float v) { return v != v; }

static void pool_plane(const float *x, float *y, int64_t h, int64_t w, int64_t oh, int64_t ow,
                       const runt_pool_attrs *a, const tap_range *cols)
{
    int64_t kh = a->kernel[0], kw = a->kernel[1], sy = a->strides[0], sx = a->strides[1];
    int64_t dy = a->dilations[0], dx = a->dilations[1];
    int square2 = kh == 2 && kw == 2 && sy == 2 && sx == 2 && dy == 1 && dx == 1;
    for (int64_t oy = 0; oy < oh; oy++) {
        tap_range r = taps_inside(oy, h, kh, sy, dy, a->pads[0]);
        float *out = y + oy * ow;
        int64_t inner_lo = 0, inner_hi = 0;
        if (square2 && r.t0 == 0 && r.t1 == 2) {
            /* The columns whose window lies inside, a run in the middle:
             * two taps from each of two rows, in a loop the compiler
             * vectorizes (stride-2 loads, no branch). */
            while (inner_lo < ow && (cols[inner_lo].t0 != 0 || cols[inner_lo].t1 != 2))
                inner_lo++;
            inner_hi = inner_lo;
            while (inner_hi < ow && cols[inner_hi].t0 == 0 && cols[inner_hi].t1 == 2)
                inner_hi++;
            /* Column ox's first tap is at 2 ox - pad (stride 2). */
            const float *r0 = x + r.start * w, *r1 = r0 + w;
            const int64_t left = a->pads[1];
            for (int64_t ox = inner_lo; ox < inner_hi; ox++) {
                int64_t c = 2 * ox - left;
                float t00 = r0[c], t01 = r0[c + 1], t10 = r1[c], t11 = r1[c + 1];
                float m = max_of(max_of(t00, t01), max_of(t10, t11));
                out[ox] = is_nan(t00) | is_nan(t01) | is_nan(t10) | is_nan(t11) ? NAN : m;
            }
        }
        for (int64_t ox = 0; ox < ow; ox++) {
            if (ox == inner_lo && inner_hi > inner_lo)
                ox = inner_hi;
            if (ox >= ow)
                break;
            float m = -INFINITY;
            int nan = 0;
            for (int32_t ty = r.t0; ty < r.t1; ty++) {
                const float *row = x + (r.start + ty * dy) * w + cols[ox].start;
                for (int32_t tx = cols[ox].t0; tx < cols[ox].t1; tx++) {
                    m = max_of(m, row[tx * dx]);
                    nan |= is_nan(row[tx * dx]);
                }
            }
            out[ox] = nan ? NAN : m;
        }
    }
}

runt_status runt_cpu_max_pool(const runt_attrs *attrs, const runt_tensor *in, int n_in,
                              runt_tensor *out, int n_out)
{
    const runt_pool_attrs *a = attrs ? &attrs->pool : NULL;
    const runt_tensor *x = n_in >= 1 && in ? &in[0] : NULL, *y = n_out >= 1 && out ? &out[0] : NULL;
    int plain = a && x && y && (n_out < 2 || !out[1].data) && x->dtype == RUNT_F32 &&
                y->dtype == RUNT_F32 && x->ndim == 4 && y->ndim == 4 && x->data && y->data &&
                y->dims[0] == x->dims[0] && y->dims[1] == x->dims[1] &&
                y->dims[3] <= MAX_POOL_COLUMNS;
    for (int i = 0; plain && i < 2; i++)
        plain = a->kernel[i] >= 1 && a->strides[i] >= 1 && a->dilations[i] >= 1;
    if (!plain)
        return runt_ref_max_pool(attrs, in, n_in, out, n_out);
    int64_t h = x->dims[2], w = x->dims[3], oh = y->dims[2], ow = y->dims[3];
    tap_range cols[MAX_POOL_COLUMNS];
    for (int64_t ox = 0; ox < ow; ox++)
        cols[ox] = taps_inside(ox, w, a->kernel[1], a->strides[1], a->dilations[1], a->pads[1]);
    int64_t planes = x->dims[0] * x->dims[1];
    for (int64_t p = 0; p < planes; p++)
        pool_plane((const float *)x->data + p * h * w, (float *)y->data + p * oh * ow, h, w, oh,
                   ow, a, cols);
    return RUNT_OK;
}
