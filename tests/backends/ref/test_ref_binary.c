/*
 * Add/Sub/Mul/Div with numpy broadcasting against a double-precision
 * reference that computes the broadcast shape and every element's source
 * indices on its own (unravel the output index, re-ravel per input).
 */
#include <stdlib.h>
#include <string.h>

#include "rt_test.h"
#include "test_util.h"
#include "ref/ref_impl.h"

/* Each output is one IEEE operation on two floats, correctly rounded: at most
 * 2^-24 (~6e-8) of its own magnitude, hence of the output's scale. 1e-6 keeps
 * a 16x margin; a wrong index or broadcast errs by O(1). */
#define BOUND 1e-6

typedef struct shape {
    int ndim;
    int64_t dims[RUNT_MAX_DIMS];
} shape;

typedef struct bin_op {
    const char *name;
    runt_ref_kernel_fn fn;
} bin_op;

static const bin_op OPS[] = {
    {"add", runt_ref_add}, {"sub", runt_ref_sub}, {"mul", runt_ref_mul}, {"div", runt_ref_div}};

static double apply(const bin_op *op, double a, double b)
{
    if (op->fn == runt_ref_add) return a + b;
    if (op->fn == runt_ref_sub) return a - b;
    if (op->fn == runt_ref_mul) return a * b;
    return a / b;
}

static int64_t count(const shape *s)
{
    int64_t n = 1;
    for (int d = 0; d < s->ndim; d++)
        n *= s->dims[d];
    return n;
}

/* numpy's rule: align right; each dim pair is equal or one of them is 1. */
static shape broadcast(const shape *a, const shape *b)
{
    shape o;
    o.ndim = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int d = 0; d < o.ndim; d++) {
        int ia = d - (o.ndim - a->ndim), ib = d - (o.ndim - b->ndim);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        o.dims[d] = da == 1 ? db : da;
    }
    return o;
}

/* Flat index into s of output element `flat` of shape o. */
static int64_t source_index(int64_t flat, const shape *o, const shape *s)
{
    int64_t idx[RUNT_MAX_DIMS];
    for (int d = o->ndim - 1; d >= 0; d--) {
        idx[d] = flat % o->dims[d];
        flat /= o->dims[d];
    }
    int64_t index = 0;
    for (int d = 0; d < s->ndim; d++) {
        int64_t i = s->dims[d] == 1 ? 0 : idx[d + o->ndim - s->ndim];
        index = index * s->dims[d] + i;
    }
    return index;
}

static shape mk(int ndim, const int64_t *dims)
{
    shape s;
    memset(&s, 0, sizeof s);
    s.ndim = ndim;
    for (int d = 0; d < ndim; d++)
        s.dims[d] = dims[d];
    return s;
}

/* Values away from 0 so Div stays well conditioned: |v| in [0.5, 2). */
static void fill_operand(rt_rng *r, float *x, int64_t n)
{
    rt_fill_uniform(r, x, (size_t)n, 0.5f, 2.0f);
    for (int64_t i = 0; i < n; i++)
        if (rt_rng_next(r) & 1)
            x[i] = -x[i];
}

/* Runs every op on a (shape sa) and b (shape sb); asserts against double. */
static void check_pair(rt_rng *r, const shape *sa, const shape *sb)
{
    shape so = broadcast(sa, sb);
    int64_t na = count(sa), nb = count(sb), no = count(&so);
    float *a = rt_guarded_alloc((size_t)na), *b = rt_guarded_alloc((size_t)nb);
    float *y = rt_guarded_alloc((size_t)no);
    double *want = malloc((size_t)(no > 0 ? no : 1) * sizeof *want);
    fill_operand(r, a, na);
    fill_operand(r, b, nb);
    for (size_t k = 0; k < sizeof OPS / sizeof OPS[0]; k++) {
        runt_tensor in[2] = {rt_tensor_f32(a, sa->ndim, sa->dims),
                             rt_tensor_f32(b, sb->ndim, sb->dims)};
        runt_tensor out = rt_tensor_f32(y, so.ndim, so.dims);
        runt_status st = OPS[k].fn(NULL, in, 2, &out, 1);
        RT_ASSERT(st == RUNT_OK, "%s rank %d by rank %d: status %d", OPS[k].name, sa->ndim,
                  sb->ndim, (int)st);
        for (int64_t i = 0; i < no; i++)
            want[i] = apply(&OPS[k], a[source_index(i, &so, sa)], b[source_index(i, &so, sb)]);
        double err = rt_norm_max_error(y, want, (size_t)no, 1e-30);
        RT_ASSERT(err < BOUND, "%s rank %d [%lld..] by rank %d [%lld..]: error %g", OPS[k].name,
                  sa->ndim, (long long)(sa->ndim ? sa->dims[0] : 0), sb->ndim,
                  (long long)(sb->ndim ? sb->dims[0] : 0), err);
        RT_ASSERT(rt_guard_intact(y, (size_t)no), "%s wrote past its output", OPS[k].name);
    }
    free(want);
    rt_guarded_free(a);
    rt_guarded_free(b);
    rt_guarded_free(y);
}

RT_TEST(ref_binary, named_broadcast_patterns)
{
    static const struct { int na; int64_t a[6]; int nb; int64_t b[6]; } cases[] = {
        {2, {7, 5}, 2, {7, 5}},                               /* same shape         */
        {0, {0}, 2, {3, 5}},                                  /* scalar, tensor     */
        {2, {4, 3}, 0, {0}},                                  /* tensor, scalar     */
        {0, {0}, 0, {0}},                                     /* scalar, scalar     */
        {1, {1}, 3, {2, 3, 5}},                               /* [1] as a scalar    */
        {1, {5}, 2, {3, 5}},                                  /* row                */
        {2, {3, 5}, 2, {1, 5}},                               /* [1, N] row         */
        {2, {3, 1}, 2, {3, 5}},                               /* column             */
        {3, {13, 1, 1}, 4, {2, 13, 3, 5}},                    /* channel bias       */
        {2, {7, 1}, 2, {1, 11}},                              /* both broadcast     */
        {3, {2, 1, 3}, 2, {5, 1}},                            /* both, rank differs */
        {6, {1, 3, 1, 5, 1, 2}, 6, {2, 1, 3, 1, 7, 1}},       /* rank 6, alternating */
        {6, {2, 3, 2, 3, 2, 3}, 1, {3}},                      /* rank 6 by rank 1   */
        {2, {0, 3}, 1, {3}},                                  /* empty output       */
    };
    rt_rng r = rt_rng_make(201);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        shape a = mk(cases[c].na, cases[c].a), b = mk(cases[c].nb, cases[c].b);
        check_pair(&r, &a, &b);
        check_pair(&r, &b, &a);
    }
}

/* Random ranks 0..6 and dims in {1, 2, 3, 5, 7}: each operand keeps a random
 * suffix of a common shape with random dims turned into 1. */
RT_TEST(ref_binary, random_broadcast_shapes)
{
    static const int64_t sizes[] = {2, 3, 5, 7};
    rt_rng r = rt_rng_make(202);
    for (int t = 0; t < 200; t++) {
        shape full;
        full.ndim = (int)rt_rng_int(&r, 0, RUNT_MAX_DIMS);
        for (int d = 0; d < full.ndim; d++)
            full.dims[d] = full.ndim > 4 ? sizes[rt_rng_int(&r, 0, 1)] : sizes[rt_rng_int(&r, 0, 3)];
        shape ops[2];
        for (int k = 0; k < 2; k++) {
            ops[k].ndim = (int)rt_rng_int(&r, 0, full.ndim);
            for (int d = 0; d < ops[k].ndim; d++) {
                int64_t dim = full.dims[d + full.ndim - ops[k].ndim];
                ops[k].dims[d] = rt_rng_int(&r, 0, 2) == 0 ? 1 : dim;
            }
        }
        check_pair(&r, &ops[0], &ops[1]);
    }
}

/* The output may be input 0 or input 1 exactly; the result must not change. */
RT_TEST(ref_binary, in_place_on_either_input)
{
    rt_rng r = rt_rng_make(203);
    int64_t full_dims[3] = {3, 7, 5}, row_dims[1] = {5}, col_dims[3] = {3, 7, 1};
    size_t n = 105;
    float *x = rt_guarded_alloc(n), *row = rt_guarded_alloc(5), *col = rt_guarded_alloc(21);
    float *want = rt_guarded_alloc(n), *io = rt_guarded_alloc(n);
    fill_operand(&r, x, (int64_t)n);
    fill_operand(&r, row, 5);
    fill_operand(&r, col, 21);
    for (size_t k = 0; k < sizeof OPS / sizeof OPS[0]; k++) {
        runt_tensor out = rt_tensor_f32(want, 3, full_dims), inout = rt_tensor_f32(io, 3, full_dims);
        /* output == input 0, input 1 broadcast as a row */
        runt_tensor in[2] = {rt_tensor_f32(x, 3, full_dims), rt_tensor_f32(row, 1, row_dims)};
        RT_ASSERT(OPS[k].fn(NULL, in, 2, &out, 1) == RUNT_OK, "%s", OPS[k].name);
        memcpy(io, x, n * sizeof *x);
        in[0] = inout;
        RT_ASSERT(OPS[k].fn(NULL, in, 2, &inout, 1) == RUNT_OK, "%s in place", OPS[k].name);
        RT_ASSERT(memcmp(io, want, n * sizeof *io) == 0, "%s: output aliasing input 0 differs",
                  OPS[k].name);
        /* output == input 1, input 0 broadcast as a column */
        in[0] = rt_tensor_f32(col, 3, col_dims);
        in[1] = rt_tensor_f32(x, 3, full_dims);
        RT_ASSERT(OPS[k].fn(NULL, in, 2, &out, 1) == RUNT_OK, "%s", OPS[k].name);
        memcpy(io, x, n * sizeof *x);
        in[1] = inout;
        RT_ASSERT(OPS[k].fn(NULL, in, 2, &inout, 1) == RUNT_OK, "%s in place", OPS[k].name);
        RT_ASSERT(memcmp(io, want, n * sizeof *io) == 0, "%s: output aliasing input 1 differs",
                  OPS[k].name);
        /* x op x into x */
        in[0] = rt_tensor_f32(x, 3, full_dims);
        in[1] = in[0];
        RT_ASSERT(OPS[k].fn(NULL, in, 2, &out, 1) == RUNT_OK, "%s", OPS[k].name);
        memcpy(io, x, n * sizeof *x);
        in[0] = in[1] = inout;
        RT_ASSERT(OPS[k].fn(NULL, in, 2, &inout, 1) == RUNT_OK, "%s in place", OPS[k].name);
        RT_ASSERT(memcmp(io, want, n * sizeof *io) == 0, "%s: x op x in place differs",
                  OPS[k].name);
        RT_ASSERT(rt_guard_intact(io, n), "%s wrote past its output", OPS[k].name);
    }
    rt_guarded_free(x);
    rt_guarded_free(row);
    rt_guarded_free(col);
    rt_guarded_free(want);
    rt_guarded_free(io);
}

RT_TEST(ref_binary, non_f32_is_unsupported)
{
    float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {1, 2, 3}, y[6] = {9, 9, 9, 9, 9, 9};
    int64_t da[2] = {2, 3}, db[1] = {3};
    for (size_t k = 0; k < sizeof OPS / sizeof OPS[0]; k++)
        for (int which = 0; which < 3; which++) {
            runt_tensor in[2] = {rt_tensor_f32(a, 2, da), rt_tensor_f32(b, 1, db)};
            runt_tensor out = rt_tensor_f32(y, 2, da);
            runt_tensor *bad = which < 2 ? &in[which] : &out;
            bad->dtype = which == 0 ? RUNT_I8 : which == 1 ? RUNT_U8 : RUNT_I64;
            runt_status st = OPS[k].fn(NULL, in, 2, &out, 1);
            RT_ASSERT(st == RUNT_E_UNSUPPORTED, "%s with tensor %d not f32: status %d",
                      OPS[k].name, which, (int)st);
            RT_ASSERT(y[0] == 9 && y[5] == 9, "%s wrote an output it refused", OPS[k].name);
        }
}
