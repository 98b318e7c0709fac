/*
 * runt_ref_copy (Identity, Reshape, Flatten, Dropout, Constant): the output
 * holds the input's bytes, for every dtype and any regrouping of the dims;
 * an output that is the input itself is left alone, and overlapping buffers
 * are copied as memmove would.
 */
#include <stdlib.h>
#include <string.h>

#include "ref/ref_impl.h"
#include "rt_test.h"
#include "test_util.h"

#define COPY_SLACK_BYTE 0x5A

static runt_tensor copy_view(runt_dtype dt, void *data, int ndim, const int64_t *dims)
{
    runt_tensor t;
    memset(&t, 0, sizeof t);
    t.dtype = dt;
    t.ndim = ndim;
    memcpy(t.dims, dims, (size_t)ndim * sizeof *dims);
    t.data = data;
    return t;
}

/* Random dims for n elements: n's factors split over a random rank. */
static int copy_random_dims(rt_rng *r, int64_t n, int64_t *dims)
{
    int ndim = (int)rt_rng_int(r, 1, RUNT_MAX_DIMS);
    for (int i = 0; i < ndim; i++)
        dims[i] = 1;
    for (int64_t f = 2; n > 1; f++)
        while (n % f == 0) {
            dims[rt_rng_int(r, 0, ndim - 1)] *= f;
            n /= f;
        }
    return ndim;
}

/* Copies n elements of dt from one random shape to another and checks the
 * bytes, the untouched slack up to the float-sized buffer end and the guard. */
static void copy_run(runt_dtype dt, int64_t n, rt_rng *r)
{
    size_t esize = runt_dtype_size(dt), nbytes = (size_t)n * esize;
    size_t nfloat = (nbytes + sizeof(float) - 1) / sizeof(float);
    unsigned char *x = malloc(nbytes ? nbytes : 1);
    float *y = rt_guarded_alloc(nfloat);
    RT_ASSERT(x && y, "out of memory");
    for (size_t i = 0; i < nbytes; i++)
        x[i] = (unsigned char)rt_rng_next(r);
    memset(y, COPY_SLACK_BYTE, nfloat * sizeof(float));
    int64_t xd[RUNT_MAX_DIMS], yd[RUNT_MAX_DIMS];
    int xn = copy_random_dims(r, n, xd), yn = copy_random_dims(r, n, yd);
    runt_tensor in = copy_view(dt, x, xn, xd), out = copy_view(dt, y, yn, yd);
    runt_status s = runt_ref_copy(NULL, &in, 1, &out, 1);
    RT_ASSERT(s == RUNT_OK, "dtype %d, %lld elements: status %d", (int)dt, (long long)n, (int)s);
    RT_ASSERT(memcmp(x, y, nbytes) == 0, "dtype %d, %lld elements: bytes differ", (int)dt,
              (long long)n);
    const unsigned char *yb = (const unsigned char *)y;
    for (size_t i = nbytes; i < nfloat * sizeof(float); i++)
        RT_ASSERT(yb[i] == COPY_SLACK_BYTE, "dtype %d: byte %zu past the end written", (int)dt, i);
    RT_ASSERT(rt_guard_intact(y, nfloat), "dtype %d: guard overwritten", (int)dt);
    free(x);
    rt_guarded_free(y);
}

RT_TEST(ref_copy, every_dtype_reshaped)
{
    rt_rng r = rt_rng_make(401);
    for (int dt = 0; dt < RUNT_DTYPE_COUNT; dt++)
        for (int t = 0; t < 12; t++)
            copy_run((runt_dtype)dt, rt_rng_int(&r, 1, 3000), &r);
}

RT_TEST(ref_copy, f32_values_preserved)
{
    rt_rng r = rt_rng_make(402);
    int64_t n = rt_rng_int(&r, 1, 500);
    float *x = malloc((size_t)n * sizeof *x), *y = rt_guarded_alloc((size_t)n);
    RT_ASSERT(x && y, "out of memory");
    rt_fill_uniform(&r, x, (size_t)n, -10.0f, 10.0f);
    int64_t xd[2] = {1, n}, yd[1] = {n}; /* Flatten-like */
    runt_tensor in = rt_tensor_f32(x, 2, xd), out = rt_tensor_f32(y, 1, yd);
    RT_ASSERT(runt_ref_copy(NULL, &in, 1, &out, 1) == RUNT_OK, "status");
    for (int64_t i = 0; i < n; i++)
        RT_ASSERT(y[i] == x[i], "y[%lld] = %g, want %g", (long long)i, (double)y[i],
                  (double)x[i]);
    RT_ASSERT(rt_guard_intact(y, (size_t)n), "guard overwritten");
    free(x);
    rt_guarded_free(y);
}

/* In-place (the arena layout gave the output the input's buffer): untouched. */
RT_TEST(ref_copy, aliased_in_place)
{
    rt_rng r = rt_rng_make(403);
    float buf[24], before[24];
    rt_fill_uniform(&r, buf, 24, -1.0f, 1.0f);
    memcpy(before, buf, sizeof buf);
    int64_t xd[3] = {2, 3, 4}, yd[2] = {6, 4};
    runt_tensor in = rt_tensor_f32(buf, 3, xd), out = rt_tensor_f32(buf, 2, yd);
    RT_ASSERT(runt_ref_copy(NULL, &in, 1, &out, 1) == RUNT_OK, "status");
    RT_ASSERT(memcmp(buf, before, sizeof buf) == 0, "an in-place copy changed the data");
}

/* Partly overlapping buffers, both directions: memmove semantics. */
RT_TEST(ref_copy, overlapping_buffers)
{
    rt_rng r = rt_rng_make(404);
    for (int shift = -5; shift <= 5; shift += 10) {
        float buf[40], src[20];
        rt_fill_uniform(&r, buf, 40, -1.0f, 1.0f);
        float *x = buf + 10, *y = buf + 10 + shift;
        memcpy(src, x, sizeof src);
        int64_t d[1] = {20};
        runt_tensor in = rt_tensor_f32(x, 1, d), out = rt_tensor_f32(y, 1, d);
        RT_ASSERT(runt_ref_copy(NULL, &in, 1, &out, 1) == RUNT_OK, "shift %d: status", shift);
        RT_ASSERT(memcmp(y, src, sizeof src) == 0, "shift %d: overlap corrupted the copy",
                  shift);
    }
}

/* Zero elements: nothing to read or write, so NULL data is fine. */
RT_TEST(ref_copy, empty_tensor)
{
    int64_t d[2] = {0, 7};
    runt_tensor in = rt_tensor_f32(NULL, 2, d), out = rt_tensor_f32(NULL, 2, d);
    RT_ASSERT(runt_ref_copy(NULL, &in, 1, &out, 1) == RUNT_OK, "empty copy");
}

/* A scalar (rank 0) has one element. */
RT_TEST(ref_copy, scalar)
{
    float x = 3.25f, y = 0.0f;
    runt_tensor in = rt_tensor_f32(&x, 0, NULL), out = rt_tensor_f32(&y, 0, NULL);
    RT_ASSERT(runt_ref_copy(NULL, &in, 1, &out, 1) == RUNT_OK, "status");
    RT_ASSERT(y == 3.25f, "scalar copied as %g", (double)y);
}

RT_TEST(ref_copy, rejects_bad_inputs)
{
    static const runt_status want[8] = {RUNT_OK,           RUNT_E_UNSUPPORTED, RUNT_E_SHAPE,
                                        RUNT_E_SHAPE,      RUNT_E_INVALID_ARG, RUNT_E_INVALID_ARG,
                                        RUNT_E_INVALID_ARG, RUNT_E_INVALID_ARG};
    for (int t = 0; t < 8; t++) {
        float x[6] = {1, 2, 3, 4, 5, 6}, y[6];
        int64_t xd[2] = {2, 3}, yd[1] = {6};
        runt_tensor in = rt_tensor_f32(x, 2, xd), out = rt_tensor_f32(y, 1, yd);
        int n_in = 1, n_out = 1;
        switch (t) {
        case 1: in.dtype = out.dtype = RUNT_DTYPE_COUNT; break; /* no such dtype */
        case 2: out.dims[0] = 5; break;                          /* element counts differ */
        case 3: out.dtype = RUNT_I32; break;                     /* dtypes differ */
        case 4: in.data = NULL; break;
        case 5: out.data = NULL; break;
        case 6: n_in = 0; break;
        case 7: n_out = 0; break;
        }
        runt_status s = runt_ref_copy(NULL, &in, n_in, &out, n_out);
        RT_ASSERT(s == want[t], "case %d: status %d, want %d", t, (int)s, (int)want[t]);
        if (s != RUNT_OK)
            RT_ASSERT(runt_last_error()[0] != '\0', "case %d: no error message", t);
    }
    RT_ASSERT(runt_ref_copy(NULL, NULL, 1, NULL, 1) == RUNT_E_INVALID_ARG, "NULL arguments");
}
