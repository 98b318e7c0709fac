/*
 * runt_ref_max_pool, runt_ref_average_pool and runt_ref_global_average_pool
 * against per-window definitions computed in double. The reference builds the
 * padded input explicitly (as onnx/reference/ops/op_pool_common.py does) and
 * marks which of its cells are padding:
 *   - MaxPool: the max over the window's cells that are input;
 *   - AveragePool, count_include_pad 0: the mean over the input cells;
 *   - count_include_pad 1: the sum over the input cells divided by the number
 *     of the window's cells inside the padded input; cells a ceil_mode window
 *     reaches past the padded input are not counted (PyTorch's rule, which
 *     the kernel documents it follows).
 * Known answers from the ONNX node tests and from PyTorch's formula pin the
 * conventions down independently of that reading.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref_impl.h"
#include "rt_test.h"
#include "test_util.h"

/* Means of up to 169 cells (13x13 windows) in [-1, 1] summed in f32: the
 * worst case is about 169 * 2^-24 = 1e-5; measured below 1e-7. */
#define POOL_AVG_TOL 1e-5

enum { POOL_MAX, POOL_AVG };

typedef struct pool_case {
    int64_t n, c, h, w;
    int kernel[2], stride[2], dil[2], pads[4]; /* pads: top, left, bottom, right */
    int ceil_mode, count_include_pad;
} pool_case;

/* ONNX / PyTorch: floor or ceil of (in + pads - ((k - 1) * d + 1)) / s, plus
 * one; with ceil_mode a last window that would start in the end padding is
 * dropped. */
static int64_t pool_out_size(int64_t in, int pb, int pe, int k, int d, int s, int ceil_mode)
{
    int64_t span = in + pb + pe - ((int64_t)(k - 1) * d + 1);
    int64_t o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    if (ceil_mode && (o - 1) * s >= in + pb)
        o--;
    return o;
}

static void pool_dims(const pool_case *k, int64_t *oh, int64_t *ow)
{
    *oh = pool_out_size(k->h, k->pads[0], k->pads[2], k->kernel[0], k->dil[0], k->stride[0],
                        k->ceil_mode);
    *ow = pool_out_size(k->w, k->pads[1], k->pads[3], k->kernel[1], k->dil[1], k->stride[1],
                        k->ceil_mode);
}

/* The padded planes of x: value and whether the cell is padding. */
typedef struct padded {
    int64_t hp, wp;
    double *v;
    unsigned char *is_pad;
} padded;

static padded pad_plane(const pool_case *k, const float *plane)
{
    padded p;
    p.hp = k->h + k->pads[0] + k->pads[2];
    p.wp = k->w + k->pads[1] + k->pads[3];
    p.v = malloc((size_t)(p.hp * p.wp) * sizeof *p.v);
    p.is_pad = malloc((size_t)(p.hp * p.wp));
    for (int64_t i = 0; i < p.hp; i++)
        for (int64_t j = 0; j < p.wp; j++) {
            int64_t y = i - k->pads[0], x = j - k->pads[1];
            int inside = y >= 0 && y < k->h && x >= 0 && x < k->w;
            p.v[i * p.wp + j] = inside ? plane[y * k->w + x] : 0.0;
            p.is_pad[i * p.wp + j] = (unsigned char)!inside;
        }
    return p;
}

/* One window of the padded plane; *inputs = how many of its cells are input. */
static double pool_window(const pool_case *k, const padded *p, int kind, int64_t oy,
                          int64_t ox, int64_t *inputs)
{
    double best = -INFINITY, sum = 0.0;
    int64_t in_padded = 0;
    *inputs = 0;
    for (int i = 0; i < k->kernel[0]; i++)
        for (int j = 0; j < k->kernel[1]; j++) {
            int64_t py = oy * k->stride[0] + (int64_t)i * k->dil[0];
            int64_t px = ox * k->stride[1] + (int64_t)j * k->dil[1];
            if (py >= p->hp || px >= p->wp)
                continue; /* past the padded input (ceil_mode) */
            in_padded++;
            if (p->is_pad[py * p->wp + px])
                continue;
            double v = p->v[py * p->wp + px];
            (*inputs)++;
            sum += v;
            if (v > best)
                best = v;
        }
    if (kind == POOL_MAX)
        return best;
    return sum / (double)(k->count_include_pad ? in_padded : *inputs);
}

/* Fills want; returns how many windows hold no input cell at all. */
static int64_t pool_reference(const pool_case *k, int kind, const float *x, int64_t oh,
                              int64_t ow, double *want)
{
    int64_t empty = 0;
    for (int64_t pl = 0; pl < k->n * k->c; pl++) {
        padded p = pad_plane(k, x + pl * k->h * k->w);
        for (int64_t oy = 0; oy < oh; oy++)
            for (int64_t ox = 0; ox < ow; ox++) {
                int64_t inputs;
                want[(pl * oh + oy) * ow + ox] = pool_window(k, &p, kind, oy, ox, &inputs);
                empty += inputs == 0;
            }
        free(p.v);
        free(p.is_pad);
    }
    return empty;
}

static runt_attrs pool_attrs(const pool_case *k)
{
    runt_attrs a;
    memset(&a, 0, sizeof a);
    for (int i = 0; i < 2; i++) {
        a.pool.kernel[i] = k->kernel[i];
        a.pool.strides[i] = k->stride[i];
        a.pool.dilations[i] = k->dil[i];
    }
    memcpy(a.pool.pads, k->pads, sizeof a.pool.pads);
    a.pool.ceil_mode = k->ceil_mode;
    a.pool.count_include_pad = k->count_include_pad;
    return a;
}

static runt_status pool_call(int kind, const runt_attrs *a, runt_tensor *in, runt_tensor *out)
{
    return kind == POOL_MAX ? runt_ref_max_pool(a, in, 1, out, 1)
                            : runt_ref_average_pool(a, in, 1, out, 1);
}

/* A random case; the input grows until at least one window exists. */
static pool_case pool_random(rt_rng *r)
{
    pool_case k;
    memset(&k, 0, sizeof k);
    k.n = rt_rng_int(r, 1, 3);
    k.c = rt_rng_int(r, 1, 4);
    k.h = rt_rng_int(r, 1, 13);
    k.w = rt_rng_int(r, 1, 13);
    for (int i = 0; i < 2; i++) {
        k.kernel[i] = (int)rt_rng_int(r, 1, 4);
        k.stride[i] = (int)rt_rng_int(r, 1, 3);
        k.dil[i] = 1;
    }
    for (int i = 0; i < 4; i++)
        k.pads[i] = (int)rt_rng_int(r, 0, k.kernel[i % 2] - 1);
    k.ceil_mode = (int)rt_rng_int(r, 0, 1);
    k.count_include_pad = (int)rt_rng_int(r, 0, 1);
    return k;
}

static void pool_fit(pool_case *k)
{
    int64_t eh = (int64_t)(k->kernel[0] - 1) * k->dil[0] + 1;
    int64_t ew = (int64_t)(k->kernel[1] - 1) * k->dil[1] + 1;
    if (k->h + k->pads[0] + k->pads[2] < eh)
        k->h = eh;
    if (k->w + k->pads[1] + k->pads[3] < ew)
        k->w = ew;
}

/* Runs one case; returns 0 (without checking) when the case has a window
 * with no input cell, which pool_empty_windows covers on its own. */
static int pool_run(const pool_case *k, int kind, rt_rng *r, const char *what)
{
    int64_t oh, ow;
    pool_dims(k, &oh, &ow);
    RT_ASSERT(oh >= 1 && ow >= 1, "%s: test case has no output", what);
    size_t nx = (size_t)(k->n * k->c * k->h * k->w), ny = (size_t)(k->n * k->c * oh * ow);
    float *x = malloc(nx * sizeof *x), *y = rt_guarded_alloc(ny);
    double *want = malloc(ny * sizeof *want);
    RT_ASSERT(x && y && want, "%s: out of memory", what);
    rt_fill_uniform(r, x, nx, -1.0f, 1.0f);
    int ran = pool_reference(k, kind, x, oh, ow, want) == 0;
    if (ran) {
        for (size_t i = 0; i < ny; i++)
            y[i] = NAN;
        int64_t xd[4] = {k->n, k->c, k->h, k->w}, yd[4] = {k->n, k->c, oh, ow};
        runt_tensor in = rt_tensor_f32(x, 4, xd), out = rt_tensor_f32(y, 4, yd);
        runt_attrs a = pool_attrs(k);
        runt_status s = pool_call(kind, &a, &in, &out);
        RT_ASSERT(s == RUNT_OK, "%s: status %d", what, (int)s);
        double err = rt_norm_max_error(y, want, ny, 1.0);
        double tol = kind == POOL_MAX ? 0.0 : POOL_AVG_TOL; /* max selects, exactly */
        RT_ASSERT(err <= tol,
                  "%s: %s error %g; X [%lld,%lld,%lld,%lld] k %d,%d s %d,%d d %d,%d "
                  "pads %d,%d,%d,%d ceil %d include_pad %d",
                  what, kind == POOL_MAX ? "max" : "avg", err, (long long)k->n,
                  (long long)k->c, (long long)k->h, (long long)k->w, k->kernel[0],
                  k->kernel[1], k->stride[0], k->stride[1], k->dil[0], k->dil[1], k->pads[0],
                  k->pads[1], k->pads[2], k->pads[3], k->ceil_mode, k->count_include_pad);
        RT_ASSERT(rt_guard_intact(y, ny), "%s: write past the end of Y", what);
    }
    free(x);
    free(want);
    rt_guarded_free(y);
    return ran;
}

/* Runs `count` random cases made by `make` through both pools. */
static void pool_sweep(uint64_t seed, int count, void (*make)(pool_case *, rt_rng *, int),
                       const char *what)
{
    rt_rng r = rt_rng_make(seed);
    int ran = 0;
    for (int t = 0; t < count; t++) {
        pool_case k = pool_random(&r);
        make(&k, &r, t);
        pool_fit(&k);
        ran += pool_run(&k, POOL_MAX, &r, what);
        ran += pool_run(&k, POOL_AVG, &r, what);
    }
    RT_ASSERT(ran >= count, "%s: only %d of %d cases were checked", what, ran, 2 * count);
}

static void make_plain(pool_case *k, rt_rng *r, int t)
{
    (void)k, (void)r, (void)t;
}

static void make_no_pads_floor(pool_case *k, rt_rng *r, int t)
{
    (void)r, (void)t;
    memset(k->pads, 0, sizeof k->pads);
    k->ceil_mode = 0;
}

/* ceil_mode on, with sizes chosen so the ceiling adds a partial last window. */
static void make_ceil(pool_case *k, rt_rng *r, int t)
{
    k->ceil_mode = 1;
    k->count_include_pad = t % 2;
    k->stride[0] = k->stride[1] = (int)rt_rng_int(r, 2, 3);
    k->kernel[0] = k->kernel[1] = 3;
    for (int i = 0; i < 4; i++)
        k->pads[i] %= 3; /* < kernel, so every window holds an input cell */
    k->h = k->kernel[0] + k->stride[0] * rt_rng_int(r, 0, 3) + 1; /* span % s != 0 */
    k->w = k->kernel[1] + k->stride[1] * rt_rng_int(r, 0, 3) + 1;
}

/* Asymmetric pads, count_include_pad alternating. */
static void make_pads(pool_case *k, rt_rng *r, int t)
{
    k->kernel[0] = k->kernel[1] = (int)rt_rng_int(r, 3, 5);
    k->pads[0] = (int)rt_rng_int(r, 0, 1);
    k->pads[2] = k->pads[0] + 1;
    k->pads[1] = k->pads[0] + 1;
    k->pads[3] = (int)rt_rng_int(r, 0, 2);
    k->count_include_pad = t % 2;
    k->ceil_mode = (t / 2) % 2;
}

static void make_dilation(pool_case *k, rt_rng *r, int t)
{
    k->dil[0] = 2;
    k->dil[1] = (int)rt_rng_int(r, 1, 2);
    k->kernel[0] = (int)rt_rng_int(r, 2, 3);
    k->ceil_mode = t % 2;
}

/* A window as large as the (prime-sized) input, and 1x1 windows. */
static void make_extremes(pool_case *k, rt_rng *r, int t)
{
    static const int primes[] = {2, 3, 5, 7, 11, 13};
    memset(k->pads, 0, sizeof k->pads);
    if (t % 2) {
        k->h = k->kernel[0] = primes[rt_rng_int(r, 0, 5)];
        k->w = k->kernel[1] = primes[rt_rng_int(r, 0, 5)];
    } else {
        k->kernel[0] = k->kernel[1] = 1;
    }
}

static void make_batches(pool_case *k, rt_rng *r, int t)
{
    k->n = t < 3 ? 1 : rt_rng_int(r, 2, 5);
    k->c = rt_rng_int(r, 1, 7);
}

RT_TEST(ref_pool, random_mixed) { pool_sweep(201, 60, make_plain, "random_mixed"); }
RT_TEST(ref_pool, no_padding_floor) { pool_sweep(202, 20, make_no_pads_floor, "floor"); }
RT_TEST(ref_pool, ceil_mode) { pool_sweep(203, 32, make_ceil, "ceil_mode"); }
RT_TEST(ref_pool, asymmetric_pads) { pool_sweep(204, 32, make_pads, "asymmetric_pads"); }
RT_TEST(ref_pool, dilation) { pool_sweep(205, 32, make_dilation, "dilation"); }
RT_TEST(ref_pool, extreme_windows) { pool_sweep(206, 20, make_extremes, "extreme_windows"); }
RT_TEST(ref_pool, batches) { pool_sweep(207, 12, make_batches, "batches"); }

/* ------------------------------------------------------------------------- */
/* Known answers                                                             */
/* ------------------------------------------------------------------------- */

/* Runs a 1x1xHxW case on x = 1, 2, 3, ... and compares with want exactly
 * (up to f32 rounding of the quotient). */
static void pool_known(const pool_case *k, int kind, const double *want, int64_t oh,
                       int64_t ow, const char *what)
{
    float x[64], y[64];
    RT_ASSERT(k->h * k->w <= 64 && oh * ow <= 64, "%s: case too large", what);
    for (int64_t i = 0; i < k->h * k->w; i++)
        x[i] = (float)(i + 1);
    int64_t xd[4] = {1, 1, k->h, k->w}, yd[4] = {1, 1, oh, ow};
    runt_tensor in = rt_tensor_f32(x, 4, xd), out = rt_tensor_f32(y, 4, yd);
    runt_attrs a = pool_attrs(k);
    RT_ASSERT(pool_call(kind, &a, &in, &out) == RUNT_OK, "%s: status", what);
    for (int64_t i = 0; i < oh * ow; i++)
        RT_ASSERT(fabs(y[i] - want[i]) <= 1e-6 * fabs(want[i]), "%s: y[%lld] = %.9g, want %.9g",
                  what, (long long)i, (double)y[i], want[i]);
}

/* ONNX node test averagepool_2d_precomputed_pads_count_include_pad. */
RT_TEST(ref_pool, onnx_avg_precomputed_pads_count_include_pad)
{
    pool_case k = {1, 1, 5, 5, {5, 5}, {1, 1}, {1, 1}, {2, 2, 2, 2}, 0, 1};
    const double want[25] = {2.52, 3.6,  4.8,  4.08,  3.24, 4.56, 6.4, 8.4,  7.04,
                             5.52, 7.2,  10.0, 13.0,  10.8, 8.4,  6.96, 9.6, 12.4,
                             10.24, 7.92, 6.12, 8.4,  10.8, 8.88, 6.84};
    pool_known(&k, POOL_AVG, want, 5, 5, "precomputed_pads_count_include_pad");
}

/* ONNX node test averagepool_2d_precomputed_pads (count_include_pad 0). */
RT_TEST(ref_pool, onnx_avg_precomputed_pads)
{
    pool_case k = {1, 1, 5, 5, {5, 5}, {1, 1}, {1, 1}, {2, 2, 2, 2}, 0, 0};
    const double want[25] = {7,  7.5,  8,  8.5,  9,  9.5,  10, 10.5, 11, 11.5, 12, 12.5, 13,
                             13.5, 14, 14.5, 15, 15.5, 16, 16.5, 17, 17.5, 18, 18.5, 19};
    pool_known(&k, POOL_AVG, want, 5, 5, "precomputed_pads");
}

/* ONNX node tests averagepool_2d_ceil and maxpool_2d_ceil: 4x4, k 3, s 2. */
RT_TEST(ref_pool, onnx_ceil)
{
    pool_case k = {1, 1, 4, 4, {3, 3}, {2, 2}, {1, 1}, {0, 0, 0, 0}, 1, 0};
    const double avg[4] = {6, 7.5, 12, 13.5}, max[4] = {11, 12, 15, 16};
    pool_known(&k, POOL_AVG, avg, 2, 2, "averagepool_2d_ceil");
    pool_known(&k, POOL_MAX, max, 2, 2, "maxpool_2d_ceil");
}

/* ONNX node tests maxpool_2d_dilations and averagepool_2d_dilations: 4x4, k 2, d 2. */
RT_TEST(ref_pool, onnx_dilations)
{
    pool_case k = {1, 1, 4, 4, {2, 2}, {1, 1}, {2, 2}, {0, 0, 0, 0}, 1, 0};
    const double max[4] = {11, 12, 15, 16}, avg[4] = {6, 7, 10, 11};
    pool_known(&k, POOL_MAX, max, 2, 2, "maxpool_2d_dilations");
    pool_known(&k, POOL_AVG, avg, 2, 2, "averagepool_2d_dilations");
}

/* count_include_pad with a ceil_mode window that runs past the padded input:
 * 4x4, k 3, s 2, pads 1, ceil -> 3x3. By PyTorch's avg_pool2d formula the
 * last row/column windows count 2 (not 3) cells along that axis, e.g.
 * y[2][2] = x[3][3] / (2 * 2) = 16 / 4. */
RT_TEST(ref_pool, avg_ceil_count_include_pad_clips_to_padded_input)
{
    pool_case k = {1, 1, 4, 4, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, 1, 1};
    const double want[9] = {14.0 / 9, 30.0 / 9, 12.0 / 6, 57.0 / 9, 99.0 / 9,
                            36.0 / 6, 27.0 / 6, 45.0 / 6, 16.0 / 4};
    pool_known(&k, POOL_AVG, want, 3, 3, "ceil + count_include_pad");
}

/* Windows with no input cell: pads as large as the dilated kernel reach.
 * 1x1 input, k 2, d 2, pads 1 on every side: the one window's taps are -1
 * and 1, both outside the input. */
RT_TEST(ref_pool, windows_without_input)
{
    pool_case k = {1, 1, 1, 1, {2, 2}, {1, 1}, {2, 2}, {1, 1, 1, 1}, 0, 0};
    float x[1] = {0.5f}, y[1];
    int64_t xd[4] = {1, 1, 1, 1};
    runt_tensor in = rt_tensor_f32(x, 4, xd), out = rt_tensor_f32(y, 4, xd);
    runt_attrs a = pool_attrs(&k);
    RT_ASSERT(runt_ref_max_pool(&a, &in, 1, &out, 1) == RUNT_OK, "max: status");
    RT_ASSERT(isinf(y[0]) && y[0] < 0, "max over no input gives -inf, got %g", (double)y[0]);
    RT_ASSERT(runt_ref_average_pool(&a, &in, 1, &out, 1) == RUNT_OK, "avg: status");
    RT_ASSERT(isnan(y[0]), "mean over no input gives NaN, got %g", (double)y[0]);
    a.pool.count_include_pad = 1;
    RT_ASSERT(runt_ref_average_pool(&a, &in, 1, &out, 1) == RUNT_OK, "avg incl: status");
    RT_ASSERT(y[0] == 0.0f, "all-padding window with padding counted gives 0, got %g",
              (double)y[0]);
}

RT_TEST(ref_pool, max_propagates_nan)
{
    pool_case k = {1, 1, 3, 3, {3, 3}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 0, 0};
    float x[9] = {1, 2, 3, 4, NAN, 6, 7, 8, 9}, y[1];
    int64_t xd[4] = {1, 1, 3, 3}, yd[4] = {1, 1, 1, 1};
    runt_tensor in = rt_tensor_f32(x, 4, xd), out = rt_tensor_f32(y, 4, yd);
    runt_attrs a = pool_attrs(&k);
    RT_ASSERT(runt_ref_max_pool(&a, &in, 1, &out, 1) == RUNT_OK, "status");
    RT_ASSERT(isnan(y[0]), "a NaN in the window gives NaN, got %g", (double)y[0]);
}

/* ------------------------------------------------------------------------- */
/* GlobalAveragePool                                                         */
/* ------------------------------------------------------------------------- */

static void global_run(int ndim, const int64_t *xd, rt_rng *r)
{
    int64_t planes = xd[0] * xd[1], size = 1, yd[RUNT_MAX_DIMS];
    for (int i = 2; i < ndim; i++)
        size *= xd[i];
    for (int i = 0; i < ndim; i++)
        yd[i] = i < 2 ? xd[i] : 1;
    float *x = malloc((size_t)(planes * size) * sizeof *x), *y = rt_guarded_alloc((size_t)planes);
    double *want = malloc((size_t)planes * sizeof *want);
    RT_ASSERT(x && y && want, "out of memory");
    rt_fill_uniform(r, x, (size_t)(planes * size), -1.0f, 1.0f);
    for (int64_t p = 0; p < planes; p++) {
        double s = 0.0;
        for (int64_t i = 0; i < size; i++)
            s += x[p * size + i];
        want[p] = s / (double)size;
        y[p] = NAN;
    }
    runt_tensor in = rt_tensor_f32(x, ndim, xd), out = rt_tensor_f32(y, ndim, yd);
    RT_ASSERT(runt_ref_global_average_pool(NULL, &in, 1, &out, 1) == RUNT_OK, "rank %d: status",
              ndim);
    /* f32 sum of up to 13^3 values in [-1, 1]: measured below 1e-7. */
    double err = rt_norm_max_error(y, want, (size_t)planes, 1.0);
    RT_ASSERT(err <= 1e-5, "rank %d: error %g", ndim, err);
    RT_ASSERT(rt_guard_intact(y, (size_t)planes), "rank %d: write past the end of Y", ndim);
    free(x);
    free(want);
    rt_guarded_free(y);
}

RT_TEST(ref_pool, global_average_3d_4d_5d)
{
    rt_rng r = rt_rng_make(208);
    for (int t = 0; t < 30; t++) {
        int ndim = 3 + t % 3;
        int64_t xd[5];
        xd[0] = rt_rng_int(&r, 1, 3);
        xd[1] = rt_rng_int(&r, 1, 9);
        for (int i = 2; i < ndim; i++)
            xd[i] = rt_rng_int(&r, 1, ndim == 3 ? 97 : 13);
        global_run(ndim, xd, &r);
    }
}

RT_TEST(ref_pool, global_average_rejects_bad_inputs)
{
    float x[12], y[3];
    rt_rng r = rt_rng_make(209);
    rt_fill_uniform(&r, x, 12, -1.0f, 1.0f);
    int64_t xd[3] = {1, 3, 4}, yd[3] = {1, 3, 1};
    runt_tensor in = rt_tensor_f32(x, 3, xd), out = rt_tensor_f32(y, 3, yd);
    RT_ASSERT(runt_ref_global_average_pool(NULL, &in, 1, &out, 1) == RUNT_OK, "valid case");
    RT_ASSERT(runt_ref_global_average_pool(NULL, NULL, 1, &out, 1) == RUNT_E_INVALID_ARG,
              "NULL input");
    RT_ASSERT(runt_ref_global_average_pool(NULL, &in, 1, &out, 0) == RUNT_E_INVALID_ARG,
              "no output");
    in.dtype = RUNT_I8;
    RT_ASSERT(runt_ref_global_average_pool(NULL, &in, 1, &out, 1) == RUNT_E_UNSUPPORTED,
              "int8 input");
    in.dtype = RUNT_F32;
    in.ndim = 2;
    RT_ASSERT(runt_ref_global_average_pool(NULL, &in, 1, &out, 1) == RUNT_E_SHAPE, "rank 2");
    in.ndim = 3;
    out.dims[1] = 2;
    RT_ASSERT(runt_ref_global_average_pool(NULL, &in, 1, &out, 1) == RUNT_E_SHAPE,
              "output channels");
    out.dims[1] = 3;
    out.dims[2] = 4;
    RT_ASSERT(runt_ref_global_average_pool(NULL, &in, 1, &out, 1) == RUNT_E_SHAPE,
              "output not reduced");
    out.dims[2] = 1;
    out.data = NULL;
    RT_ASSERT(runt_ref_global_average_pool(NULL, &in, 1, &out, 1) == RUNT_E_INVALID_ARG,
              "NULL output data");
}

/* ------------------------------------------------------------------------- */
/* Bad inputs to MaxPool / AveragePool                                       */
/* ------------------------------------------------------------------------- */

RT_TEST(ref_pool, rejects_bad_inputs)
{
    for (int kind = POOL_MAX; kind <= POOL_AVG; kind++)
        for (int t = 0; t < 11; t++) {
            static const runt_status want[11] = {
                RUNT_OK,            RUNT_E_UNSUPPORTED, RUNT_E_UNSUPPORTED,
                RUNT_E_UNSUPPORTED, RUNT_E_SHAPE,       RUNT_E_SHAPE,
                RUNT_E_INVALID_ARG, RUNT_E_INVALID_ARG, RUNT_E_INVALID_ARG,
                RUNT_E_INVALID_ARG, RUNT_E_INVALID_ARG};
            pool_case k = {1, 2, 5, 5, {3, 3}, {1, 1}, {1, 1}, {0, 0, 0, 0}, 0, 0};
            float x[50], y[18], idx[18];
            rt_rng r = rt_rng_make(210);
            rt_fill_uniform(&r, x, 50, -1.0f, 1.0f);
            int64_t xd[4] = {1, 2, 5, 5}, yd[4] = {1, 2, 3, 3};
            runt_tensor in = rt_tensor_f32(x, 4, xd);
            runt_tensor out[2] = {rt_tensor_f32(y, 4, yd), rt_tensor_f32(NULL, 4, yd)};
            runt_attrs a = pool_attrs(&k);
            int n_out = 1;
            switch (t) {
            case 1: in.dtype = RUNT_U8; break;
            case 2: in.ndim = 3; break;                          /* 1-D pooling */
            case 3: out[1].data = idx; n_out = 2; break;         /* MaxPool Indices */
            case 4: out[0].dims[1] = 3; break;
            case 5: out[0].dims[0] = 2; break;
            case 6: a.pool.kernel[0] = 0; break;
            case 7: a.pool.strides[1] = 0; break;
            case 8: a.pool.dilations[0] = 0; break;
            case 9: in.data = NULL; break;
            case 10: n_out = 0; break;
            }
            runt_status s = kind == POOL_MAX ? runt_ref_max_pool(&a, &in, 1, out, n_out)
                                             : runt_ref_average_pool(&a, &in, 1, out, n_out);
            RT_ASSERT(s == want[t], "kind %d case %d: status %d, want %d", kind, t, (int)s,
                      (int)want[t]);
        }
    RT_ASSERT(runt_ref_max_pool(NULL, NULL, 1, NULL, 1) == RUNT_E_INVALID_ARG, "NULL arguments");
}
