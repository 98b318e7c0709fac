/*
 * Softmax (opset 13: one axis) against a double-precision softmax written
 * here, on every axis of random shapes, negative axes included, and on
 * inputs large enough to overflow expf without the max subtraction.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "test_util.h"
#include "ref/ref_impl.h"

/* expf is within a few ulp, and the float subtraction x - max costs
 * |x - max| * 2^-24 relative in the exponent (<= ~1e-6 for the spreads where
 * the result is not 0); 1e-5 of the output's scale keeps a margin, while a
 * wrong axis or stride errs by O(1/len) >= 1e-2 here. */
#define BOUND 1e-5

static double ref_softmax_at(const float *x, const int64_t *dims, int ndim, int axis,
                             int64_t flat)
{
    int64_t inner = 1;
    for (int d = axis + 1; d < ndim; d++)
        inner *= dims[d];
    int64_t len = dims[axis], pos = flat / inner % len;
    const float *line = x + (flat - pos * inner); /* element 0 of this line */
    double max = line[0], sum = 0.0;
    for (int64_t i = 1; i < len; i++)
        max = fmax(max, line[i * inner]);
    for (int64_t i = 0; i < len; i++)
        sum += exp((double)line[i * inner] - max);
    return exp((double)x[flat] - max) / sum;
}

/* Runs softmax on x along attr_axis; asserts against the double reference. */
static void check_softmax(const float *x, int ndim, const int64_t *dims, int attr_axis,
                          const char *what)
{
    size_t n = 1;
    for (int d = 0; d < ndim; d++)
        n *= (size_t)dims[d];
    int axis = attr_axis < 0 ? attr_axis + ndim : attr_axis;
    float *y = rt_guarded_alloc(n);
    double *want = malloc(n * sizeof *want);
    runt_attrs attrs;
    memset(&attrs, 0, sizeof attrs);
    attrs.axis.axis = attr_axis;
    runt_tensor in = rt_tensor_f32((float *)x, ndim, dims), out = rt_tensor_f32(y, ndim, dims);
    runt_status st = runt_ref_softmax(&attrs, &in, 1, &out, 1);
    RT_ASSERT(st == RUNT_OK, "%s: rank %d axis %d: status %d", what, ndim, attr_axis, (int)st);
    for (size_t i = 0; i < n; i++) {
        want[i] = ref_softmax_at(x, dims, ndim, axis, (int64_t)i);
        RT_ASSERT(isfinite(y[i]), "%s: rank %d axis %d: y[%zu] = %g", what, ndim, attr_axis, i,
                  y[i]);
    }
    double err = rt_norm_max_error(y, want, n, 1e-30);
    RT_ASSERT(err < BOUND, "%s: rank %d axis %d: error %g", what, ndim, attr_axis, err);
    RT_ASSERT(rt_guard_intact(y, n), "%s: rank %d axis %d wrote past Y", what, ndim, attr_axis);
    free(want);
    rt_guarded_free(y);
}

static int random_shape(rt_rng *r, int64_t *dims, size_t *n)
{
    static const int64_t sizes[] = {1, 2, 3, 5, 7, 13};
    int ndim = (int)rt_rng_int(r, 1, 5);
    *n = 1;
    for (int d = 0; d < ndim; d++) {
        dims[d] = sizes[rt_rng_int(r, 0, ndim > 3 ? 4 : 5)];
        *n *= (size_t)dims[d];
    }
    return ndim;
}

RT_TEST(ref_softmax, every_axis_positive_and_negative)
{
    rt_rng r = rt_rng_make(401);
    for (int t = 0; t < 20; t++) {
        int64_t dims[RUNT_MAX_DIMS];
        size_t n;
        int ndim = random_shape(&r, dims, &n);
        float *x = rt_guarded_alloc(n);
        rt_fill_uniform(&r, x, n, -6.0f, 6.0f);
        for (int axis = -ndim; axis < ndim; axis++)
            check_softmax(x, ndim, dims, axis, "random");
        rt_guarded_free(x);
    }
}

RT_TEST(ref_softmax, long_axis)
{
    rt_rng r = rt_rng_make(402);
    int64_t dims[2] = {3, 4099};
    float *x = rt_guarded_alloc(3 * 4099);
    rt_fill_uniform(&r, x, 3 * 4099, -10.0f, 10.0f);
    check_softmax(x, 2, dims, 1, "long axis");
    check_softmax(x, 2, dims, 0, "short axis");
    rt_guarded_free(x);
}

/* Magnitudes up to 1e30: without subtracting the max, expf overflows to inf
 * and the result is NaN. Each line must also sum to 1. */
RT_TEST(ref_softmax, large_magnitudes_stay_finite)
{
    rt_rng r = rt_rng_make(403);
    int64_t dims[3] = {5, 7, 11};
    size_t n = 385;
    float *x = rt_guarded_alloc(n), *y = rt_guarded_alloc(n);
    for (size_t i = 0; i < n; i++) {
        double mag = pow(10.0, rt_rng_uniform(&r, 0.0, 30.0));
        x[i] = (float)(rt_rng_next(&r) & 1 ? mag : -mag);
    }
    x[3] = x[4] = 1e30f; /* a tie at the maximum */
    for (int axis = -3; axis < 3; axis++) {
        check_softmax(x, 3, dims, axis, "large");
        runt_attrs attrs;
        memset(&attrs, 0, sizeof attrs);
        attrs.axis.axis = axis;
        runt_tensor in = rt_tensor_f32(x, 3, dims), out = rt_tensor_f32(y, 3, dims);
        RT_ASSERT(runt_ref_softmax(&attrs, &in, 1, &out, 1) == RUNT_OK, "axis %d", axis);
        if (axis == 2 || axis == -1)
            for (int line = 0; line < 35; line++) {
                double s = 0.0;
                for (int i = 0; i < 11; i++)
                    s += y[line * 11 + i];
                RT_ASSERT(fabs(s - 1.0) < BOUND, "line %d sums to %.9g", line, s);
            }
    }
    rt_guarded_free(x);
    rt_guarded_free(y);
}

RT_TEST(ref_softmax, in_place_matches_out_of_place)
{
    rt_rng r = rt_rng_make(404);
    int64_t dims[3] = {3, 5, 7};
    size_t n = 105;
    float *x = rt_guarded_alloc(n), *y = rt_guarded_alloc(n), *io = rt_guarded_alloc(n);
    rt_fill_uniform(&r, x, n, -4.0f, 4.0f);
    for (int axis = -3; axis < 3; axis++) {
        runt_attrs attrs;
        memset(&attrs, 0, sizeof attrs);
        attrs.axis.axis = axis;
        runt_tensor in = rt_tensor_f32(x, 3, dims), out = rt_tensor_f32(y, 3, dims);
        runt_tensor both = rt_tensor_f32(io, 3, dims);
        memcpy(io, x, n * sizeof *x);
        RT_ASSERT(runt_ref_softmax(&attrs, &in, 1, &out, 1) == RUNT_OK, "axis %d", axis);
        RT_ASSERT(runt_ref_softmax(&attrs, &both, 1, &both, 1) == RUNT_OK, "axis %d in place",
                  axis);
        RT_ASSERT(memcmp(io, y, n * sizeof *y) == 0, "axis %d: in-place result differs", axis);
        RT_ASSERT(rt_guard_intact(io, n), "axis %d wrote past Y", axis);
    }
    rt_guarded_free(x);
    rt_guarded_free(y);
    rt_guarded_free(io);
}

/* A scalar is a one-element axis: its softmax is 1. */
RT_TEST(ref_softmax, scalar_is_one)
{
    float x = -3.5f, *y = rt_guarded_alloc(1);
    runt_attrs attrs;
    memset(&attrs, 0, sizeof attrs);
    attrs.axis.axis = -1;
    runt_tensor in = rt_tensor_f32(&x, 0, NULL), out = rt_tensor_f32(y, 0, NULL);
    RT_ASSERT(runt_ref_softmax(&attrs, &in, 1, &out, 1) == RUNT_OK, "scalar softmax failed");
    RT_ASSERT(y[0] == 1.0f, "softmax of a scalar is %g", y[0]);
    RT_ASSERT(rt_guard_intact(y, 1), "scalar softmax wrote past Y");
    rt_guarded_free(y);
}

RT_TEST(ref_softmax, non_f32_is_unsupported)
{
    float x[6] = {1, 2, 3, 4, 5, 6}, y[6] = {9, 9, 9, 9, 9, 9};
    int64_t dims[2] = {2, 3};
    runt_attrs attrs;
    memset(&attrs, 0, sizeof attrs);
    attrs.axis.axis = -1;
    for (int which = 0; which < 2; which++) {
        runt_tensor in = rt_tensor_f32(x, 2, dims), out = rt_tensor_f32(y, 2, dims);
        if (which == 0)
            in.dtype = RUNT_I8;
        else
            out.dtype = RUNT_U8;
        runt_status st = runt_ref_softmax(&attrs, &in, 1, &out, 1);
        RT_ASSERT(st == RUNT_E_UNSUPPORTED, "softmax with %s not f32: status %d",
                  which ? "Y" : "X", (int)st);
        RT_ASSERT(y[0] == 9 && y[5] == 9, "softmax wrote an output it refused");
    }
}
