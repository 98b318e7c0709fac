/*
 * runt_ref_pad against the definition, element by element: output index o
 * reads input index o - before on every axis; where that falls outside the
 * input, the constant (constant mode), the edge element (edge), the index
 * folded back by mirroring at the ends step by step (reflect: numpy's
 * "reflect", each step one bounce) or shifted by whole periods (wrap).
 * Ranks 0 to RUNT_MAX_DIMS, negative pads (crops, constant mode), non-zero
 * constants, pads longer than the axis in every mode. A pad only moves
 * values, so results are exact.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref_impl.h"
#include "rt_test.h"
#include "test_util.h"

typedef struct pad_case {
    int ndim;
    int64_t xd[RUNT_MAX_DIMS], yd[RUNT_MAX_DIMS];
    int64_t pads[2 * RUNT_MAX_DIMS];
    float value;
    runt_pad_mode mode;
} pad_case;

/* Input index i of an axis of n, brought inside by the mode's own
 * description (one bounce or one period at a time); -1: the constant. */
static int64_t fold_index(int64_t i, int64_t n, runt_pad_mode mode)
{
    if (i >= 0 && i < n)
        return i;
    switch (mode) {
    case RUNT_PAD_MODE_EDGE:
        return i < 0 ? 0 : n - 1;
    case RUNT_PAD_MODE_WRAP:
        while (i < 0)
            i += n;
        while (i >= n)
            i -= n;
        return i;
    case RUNT_PAD_MODE_REFLECT:
        if (n == 1)
            return 0;
        while (i < 0 || i >= n)
            i = i < 0 ? -i : 2 * (n - 1) - i; /* mirror at x[0] or x[n - 1] */
        return i;
    default:
        return -1;
    }
}

static int64_t dims_count(int ndim, const int64_t *d)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= d[i];
    return n;
}

/* The definition, one output element at a time from its flat index. */
static float pad_reference(const pad_case *k, const float *x, int64_t flat)
{
    int64_t src = 0, in_stride = 1;
    for (int i = k->ndim - 1; i >= 0; i--) {
        int64_t o = flat % k->yd[i], xi = fold_index(o - k->pads[i], k->xd[i], k->mode);
        flat /= k->yd[i];
        if (xi < 0)
            return k->value;
        src += xi * in_stride;
        in_stride *= k->xd[i];
    }
    return x[src];
}

static void pad_run(const pad_case *k, rt_rng *r, const char *what)
{
    int64_t nx = dims_count(k->ndim, k->xd), ny = dims_count(k->ndim, k->yd);
    float *x = malloc((size_t)(nx ? nx : 1) * sizeof *x), *y = rt_guarded_alloc((size_t)ny);
    RT_ASSERT(x && y, "%s: out of memory", what);
    rt_fill_uniform(r, x, (size_t)nx, -1.0f, 1.0f);
    for (int64_t i = 0; i < ny; i++)
        y[i] = NAN;
    runt_attrs a;
    memset(&a, 0, sizeof a);
    a.pad.ndim = k->ndim;
    memcpy(a.pad.pads, k->pads, sizeof a.pad.pads);
    a.pad.value = k->value;
    a.pad.mode = k->mode;
    runt_tensor in = rt_tensor_f32(x, k->ndim, k->xd), out = rt_tensor_f32(y, k->ndim, k->yd);
    runt_status s = runt_ref_pad(&a, &in, 1, &out, 1);
    RT_ASSERT(s == RUNT_OK, "%s: status %d (rank %d)", what, (int)s, k->ndim);
    for (int64_t i = 0; i < ny; i++) {
        float want = pad_reference(k, x, i);
        RT_ASSERT(y[i] == want, "%s: rank %d, y[%lld] = %g, want %g", what, k->ndim,
                  (long long)i, (double)y[i], (double)want);
    }
    RT_ASSERT(rt_guard_intact(y, (size_t)ny), "%s: write past the end of Y", what);
    free(x);
    rt_guarded_free(y);
}

/* Random dims and pads in [lo, hi] per side, output dims kept >= min_out. */
static pad_case pad_random(rt_rng *r, int ndim, int lo, int hi, int min_out)
{
    pad_case k;
    memset(&k, 0, sizeof k);
    k.ndim = ndim;
    k.value = (float)rt_rng_uniform(r, -4.0, 4.0);
    if (k.value == 0.0f)
        k.value = 2.5f;
    for (int i = 0; i < ndim; i++) {
        k.xd[i] = rt_rng_int(r, 1, ndim > 4 ? 4 : 7);
        int64_t *b = &k.pads[i], *e = &k.pads[ndim + i];
        *b = rt_rng_int(r, lo, hi);
        *e = rt_rng_int(r, lo, hi);
        /* Give back crop until the axis keeps min_out elements. */
        while (k.xd[i] + *b + *e < min_out) {
            if (*b < *e)
                (*b)++;
            else
                (*e)++;
        }
        k.yd[i] = k.xd[i] + *b + *e;
    }
    return k;
}

RT_TEST(ref_pad, random_every_rank)
{
    rt_rng r = rt_rng_make(301);
    for (int t = 0; t < 60; t++) {
        pad_case k = pad_random(&r, 1 + t % RUNT_MAX_DIMS, -2, 3, 1);
        pad_run(&k, &r, "random_every_rank");
    }
}

RT_TEST(ref_pad, grow_only_nchw)
{
    rt_rng r = rt_rng_make(302);
    for (int t = 0; t < 20; t++) {
        pad_case k = pad_random(&r, 4, 0, 3, 1);
        k.pads[0] = k.pads[4] = 0; /* the usual spatial-only pad */
        k.yd[0] = k.xd[0];
        pad_run(&k, &r, "grow_only_nchw");
    }
}

/* Negative pads only: a pure crop, where the constant never appears. */
RT_TEST(ref_pad, negative_pads_crop)
{
    rt_rng r = rt_rng_make(303);
    for (int t = 0; t < 20; t++) {
        pad_case k = pad_random(&r, 1 + t % 4, -3, 0, 1);
        pad_run(&k, &r, "negative_pads_crop");
    }
}

/* Crop on one side, pad on the other, on the same axis. */
RT_TEST(ref_pad, crop_and_pad_same_axis)
{
    rt_rng r = rt_rng_make(304);
    for (int t = 0; t < 20; t++) {
        pad_case k = pad_random(&r, 3, 0, 0, 1);
        int ax = (int)rt_rng_int(&r, 0, 2);
        k.xd[ax] = rt_rng_int(&r, 3, 7);
        k.pads[ax] = t % 2 ? -2 : 2;
        k.pads[3 + ax] = t % 2 ? 3 : -2;
        k.yd[ax] = k.xd[ax] + k.pads[ax] + k.pads[3 + ax];
        pad_run(&k, &r, "crop_and_pad_same_axis");
    }
}

/* Cropping an axis to nothing gives an empty output: nothing written. */
RT_TEST(ref_pad, crop_to_empty)
{
    rt_rng r = rt_rng_make(305);
    pad_case k = pad_random(&r, 3, 0, 1, 1);
    k.pads[1] = -k.xd[1];
    k.pads[4] = 0;
    k.yd[1] = 0;
    pad_run(&k, &r, "crop_to_empty");
}

RT_TEST(ref_pad, rank_zero_is_a_copy)
{
    rt_rng r = rt_rng_make(306);
    pad_case k;
    memset(&k, 0, sizeof k);
    k.value = 7.0f;
    pad_run(&k, &r, "rank_zero");
}

/* Reflect, edge and wrap at every rank, with pads up to three times an
 * axis's length (several bounces or periods) and one-element axes. */
RT_TEST(ref_pad, reflect_edge_and_wrap_every_rank)
{
    static const runt_pad_mode modes[3] = {RUNT_PAD_MODE_REFLECT, RUNT_PAD_MODE_EDGE,
                                           RUNT_PAD_MODE_WRAP};
    rt_rng r = rt_rng_make(307);
    for (int t = 0; t < 90; t++) {
        pad_case k = pad_random(&r, 1 + t % RUNT_MAX_DIMS, 0, 0, 1);
        k.mode = modes[t % 3];
        for (int i = 0; i < k.ndim; i++) {
            if (t % 5 == 0)
                k.xd[i] = 1;
            k.pads[i] = rt_rng_int(&r, 0, 3 * k.xd[i]);
            k.pads[k.ndim + i] = rt_rng_int(&r, 0, 3 * k.xd[i]);
            k.yd[i] = k.xd[i] + k.pads[i] + k.pads[k.ndim + i];
        }
        pad_run(&k, &r, "reflect_edge_and_wrap_every_rank");
    }
}

/* What ONNX's documentation shows for Pad on [[1.0, 1.2], [2.3, 3.4],
 * [4.5, 5.7]] with pads [0, 2, 0, 0]. */
RT_TEST(ref_pad, the_onnx_documentation_examples)
{
    static const float x[6] = {1.0f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f};
    static const struct {
        runt_pad_mode mode;
        float y[12];
    } want[3] = {
        {RUNT_PAD_MODE_REFLECT, {1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f}},
        {RUNT_PAD_MODE_EDGE, {1.0f, 1.0f, 1.0f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f}},
        {RUNT_PAD_MODE_WRAP, {1.0f, 1.2f, 1.0f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f}},
    };
    for (int m = 0; m < 3; m++) {
        float y[12];
        int64_t xd[2] = {3, 2}, yd[2] = {3, 4};
        runt_attrs a;
        memset(&a, 0, sizeof a);
        a.pad.ndim = 2;
        a.pad.pads[1] = 2;
        a.pad.mode = want[m].mode;
        runt_tensor in = rt_tensor_f32((float *)x, 2, xd), out = rt_tensor_f32(y, 2, yd);
        RT_ASSERT(runt_ref_pad(&a, &in, 1, &out, 1) == RUNT_OK, "%s", runt_last_error());
        for (int i = 0; i < 12; i++)
            RT_ASSERT(y[i] == want[m].y[i], "mode %d: y[%d] = %g, want %g", m, i, (double)y[i],
                      (double)want[m].y[i]);
    }
}

/* ------------------------------------------------------------------------- */
/* Bad inputs                                                                */
/* ------------------------------------------------------------------------- */

RT_TEST(ref_pad, rejects_bad_inputs)
{
    static const runt_status want[12] = {
        RUNT_OK,      RUNT_E_UNSUPPORTED, RUNT_E_SHAPE,       RUNT_E_SHAPE,       RUNT_E_SHAPE,
        RUNT_E_SHAPE, RUNT_E_INVALID_ARG, RUNT_E_INVALID_ARG, RUNT_E_INVALID_ARG, RUNT_E_INVALID_ARG,
        RUNT_E_SHAPE, RUNT_E_SHAPE};
    for (int t = 0; t < 12; t++) {
        float x[6] = {1, 2, 3, 4, 5, 6}, y[20];
        int64_t xd[2] = {2, 3}, yd[2] = {4, 5};
        runt_attrs a;
        memset(&a, 0, sizeof a);
        a.pad.ndim = 2;
        a.pad.pads[0] = a.pad.pads[1] = a.pad.pads[2] = a.pad.pads[3] = 1;
        a.pad.value = 1.5f;
        runt_tensor in = rt_tensor_f32(x, 2, xd), out = rt_tensor_f32(y, 2, yd);
        int n_in = 1;
        switch (t) {
        case 1: in.dtype = RUNT_I32; break;
        case 2: a.pad.ndim = 3; break;      /* pads for another rank */
        case 3: out.ndim = 3; break;
        case 4: out.dims[1] = 6; break;     /* 3 + 1 + 1 != 6 */
        case 5: a.pad.pads[0] = -4; break;  /* 2 - 4 + 1 < 0 */
        case 6: in.data = NULL; break;
        case 7: out.data = NULL; break;
        case 8: n_in = 0; break;
        case 9: a.pad.mode = (runt_pad_mode)7; break;  /* no such mode */
        case 10:                                       /* reflect does not crop */
            a.pad.mode = RUNT_PAD_MODE_REFLECT;
            a.pad.pads[0] = -1, a.pad.pads[2] = 3;
            break;
        case 11: /* nothing to repeat on an empty axis */
            a.pad.mode = RUNT_PAD_MODE_EDGE;
            in.dims[1] = 0, out.dims[1] = 2;
            break;
        }
        if (t == 5)
            out.dims[0] = -1;
        runt_status s = runt_ref_pad(&a, &in, n_in, &out, 1);
        RT_ASSERT(s == want[t], "case %d: status %d, want %d", t, (int)s, (int)want[t]);
        if (s != RUNT_OK)
            RT_ASSERT(runt_last_error()[0] != '\0', "case %d: no error message", t);
    }
    RT_ASSERT(runt_ref_pad(NULL, NULL, 1, NULL, 1) == RUNT_E_INVALID_ARG, "NULL arguments");
}
