/*
 * Tests of .npy reading and writing (tools/npy.c): round trips, headers as
 * numpy and hand-written files spell them, every malformed case, truncation at
 * every length, corrupted bytes, and a cross-check with numpy when present.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, rmdir */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "npy.h"
#include "rt_test.h"
#include "test_util.h"

/* ------------------------------------------------------------------------- */
/* Helpers                                                                   */
/* ------------------------------------------------------------------------- */

/* A fresh directory /tmp/runt_npy_XXXXXX for one test's files. */
static void make_tmpdir(char dir[32])
{
    strcpy(dir, "/tmp/runt_npy_XXXXXX");
    RT_ASSERT(mkdtemp(dir) != NULL, "mkdtemp failed for %s", dir);
}

static void join(char *out, size_t cap, const char *dir, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static void write_bytes(const char *path, const void *bytes, size_t n)
{
    FILE *f = fopen(path, "wb");
    RT_ASSERT(f != NULL, "cannot create %s", path);
    RT_ASSERT(fwrite(bytes, 1, n, f) == n, "cannot write %zu bytes to %s", n, path);
    RT_ASSERT(fclose(f) == 0, "cannot close %s", path);
}

/* The whole file, malloc'ed to exactly its size (so ASan sees overreads). */
static unsigned char *read_bytes(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    RT_ASSERT(f != NULL, "cannot open %s", path);
    RT_ASSERT(fseek(f, 0, SEEK_END) == 0, "cannot seek %s", path);
    long size = ftell(f);
    RT_ASSERT(size >= 0, "cannot tell the size of %s", path);
    rewind(f);
    unsigned char *b = malloc(size ? (size_t)size : 1);
    RT_ASSERT(b != NULL, "cannot allocate %ld bytes", size);
    RT_ASSERT(fread(b, 1, (size_t)size, f) == (size_t)size, "short read of %s", path);
    fclose(f);
    *n = (size_t)size;
    return b;
}

/* A .npy file in memory around a header dict as given: version major.0, the
 * header padded with spaces so magic + length + header is a multiple of align
 * (0: no padding, only the '\n'), then data_len bytes of data. */
static unsigned char *make_npy(const char *dict, int major, size_t align, const void *data,
                               size_t data_len, size_t *size)
{
    size_t pre = major == 1 ? 10 : 12, hl = strlen(dict) + 1;
    if (align)
        hl = (pre + hl + align - 1) / align * align - pre;
    unsigned char *b = malloc(pre + hl + data_len + 1);
    RT_ASSERT(b != NULL, "cannot allocate a .npy image");
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (unsigned char)major;
    b[7] = 0;
    for (size_t i = 0; i < pre - 8; i++)
        b[8 + i] = (unsigned char)(hl >> (8 * i));
    memset(b + pre, ' ', hl);
    memcpy(b + pre, dict, strlen(dict));
    b[pre + hl - 1] = '\n';
    if (data_len)
        memcpy(b + pre + hl, data, data_len);
    *size = pre + hl + data_len;
    return b;
}

static int64_t count_of(int ndim, const int64_t *dims)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= dims[i];
    return n;
}

/* Parses a copy of exactly n bytes, so reading past them is caught by ASan. */
static runt_status parse_exact(const unsigned char *bytes, size_t n, const char *what,
                               runt_tensor *out)
{
    unsigned char *copy = malloc(n ? n : 1);
    RT_ASSERT(copy != NULL, "cannot allocate %zu bytes", n);
    if (n)
        memcpy(copy, bytes, n);
    runt_status s = runt_npy_parse(n ? copy : NULL, n, what, out);
    free(copy);
    return s;
}

/* The tensor read is f32 with the given shape and these exact bits. */
static void expect_tensor(const runt_tensor *t, int ndim, const int64_t *dims, const float *want,
                          const char *what)
{
    RT_ASSERT(t->dtype == RUNT_F32, "%s: dtype %d, want f32", what, (int)t->dtype);
    RT_ASSERT(t->ndim == ndim, "%s: %d dims, want %d", what, t->ndim, ndim);
    for (int i = 0; i < ndim; i++)
        RT_ASSERT(t->dims[i] == dims[i], "%s: dim %d is %lld, want %lld", what, i,
                  (long long)t->dims[i], (long long)dims[i]);
    RT_ASSERT(t->data != NULL, "%s: data is NULL", what);
    size_t n = (size_t)count_of(ndim, dims);
    if (n)
        RT_ASSERT(memcmp(t->data, want, n * sizeof(float)) == 0, "%s: data differ", what);
}

/* The call failed with status want, left out zeroed, and said what and why. */
static void expect_error(runt_status got, runt_status want, const runt_tensor *out,
                         const char *what, const char *needle, const char *label)
{
    RT_ASSERT(got == want, "%s: got %s, want %s (%s)", label, runt_status_name(got),
              runt_status_name(want), runt_last_error());
    if (out)
        RT_ASSERT(out->data == NULL && out->ndim == 0, "%s: output not zeroed on failure", label);
    RT_ASSERT(strstr(runt_last_error(), what) != NULL, "%s: message '%s' does not name '%s'",
              label, runt_last_error(), what);
    RT_ASSERT(strstr(runt_last_error(), needle) != NULL, "%s: message '%s' does not say '%s'",
              label, runt_last_error(), needle);
}

/* ------------------------------------------------------------------------- */
/* Round trips and the written layout                                        */
/* ------------------------------------------------------------------------- */

static void round_trip(const char *dir, int ndim, const int64_t *dims, rt_rng *r)
{
    char path[64], label[64];
    join(path, sizeof path, dir, "t.npy");
    snprintf(label, sizeof label, "round trip, %d dims", ndim);
    size_t n = (size_t)count_of(ndim, dims);
    float *x = rt_guarded_alloc(n);
    RT_ASSERT(x != NULL, "%s: cannot allocate", label);
    rt_fill_uniform(r, x, n, -1e3f, 1e3f);
    runt_tensor t = rt_tensor_f32(x, ndim, dims);
    RT_ASSERT(runt_npy_write(path, &t) == RUNT_OK, "%s: write: %s", label, runt_last_error());
    RT_ASSERT(rt_guard_intact(x, n), "%s: source buffer's sentinel overwritten", label);

    size_t size;
    unsigned char *bytes = read_bytes(path, &size);
    size_t hl = (size_t)bytes[8] | (size_t)bytes[9] << 8;
    RT_ASSERT(memcmp(bytes, "\x93NUMPY\x01\x00", 8) == 0, "%s: not a version 1.0 file", label);
    RT_ASSERT((10 + hl) % 64 == 0, "%s: header ends at %zu, not a multiple of 64", label, 10 + hl);
    RT_ASSERT(bytes[10 + hl - 1] == '\n', "%s: header does not end with a newline", label);
    RT_ASSERT(size == 10 + hl + 4 * n, "%s: file is %zu bytes, want %zu", label, size,
              10 + hl + 4 * n);

    runt_tensor back;
    RT_ASSERT(runt_npy_read(path, &back) == RUNT_OK, "%s: read: %s", label, runt_last_error());
    expect_tensor(&back, ndim, dims, x, label);
    free(back.data);
    RT_ASSERT(parse_exact(bytes, size, path, &back) == RUNT_OK, "%s: parse: %s", label,
              runt_last_error());
    expect_tensor(&back, ndim, dims, x, label);
    free(back.data);
    free(bytes);
    rt_guarded_free(x);
    remove(path);
}

RT_TEST(npy, round_trip_shapes)
{
    static const int64_t d1[] = {7}, d2[] = {3, 4}, d3[] = {2, 3, 5}, d6[] = {2, 1, 3, 1, 2, 4};
    static const int64_t e1[] = {0, 3}, e2[] = {2, 0, 5};
    char dir[32];
    make_tmpdir(dir);
    rt_rng r = rt_rng_make(11);
    round_trip(dir, 0, NULL, &r);
    round_trip(dir, 1, d1, &r);
    round_trip(dir, 2, d2, &r);
    round_trip(dir, 3, d3, &r);
    round_trip(dir, 6, d6, &r);
    round_trip(dir, 2, e1, &r); /* empty arrays are legal .npy files */
    round_trip(dir, 3, e2, &r);
    for (int trial = 0; trial < 20; trial++) {
        int64_t dims[RUNT_MAX_DIMS];
        int ndim = (int)rt_rng_int(&r, 0, RUNT_MAX_DIMS);
        for (int i = 0; i < ndim; i++)
            dims[i] = rt_rng_int(&r, 1, 5);
        round_trip(dir, ndim, dims, &r);
    }
    rmdir(dir);
}

/* The header np.save writes for a float32 array of shape (2, 3) (numpy 2.x),
 * with its room for the first dim to grow. */
RT_TEST(npy, header_matches_numpy)
{
    static const char want[] = "\x93NUMPY\x01\x00v\x00"
                               "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    static const int64_t dims[] = {2, 3};
    char dir[32], path[64];
    make_tmpdir(dir);
    join(path, sizeof path, dir, "h.npy");
    float x[6];
    rt_rng r = rt_rng_make(3);
    rt_fill_uniform(&r, x, 6, -1, 1);
    runt_tensor t = rt_tensor_f32(x, 2, dims);
    RT_ASSERT(runt_npy_write(path, &t) == RUNT_OK, "write: %s", runt_last_error());
    size_t size;
    unsigned char *b = read_bytes(path, &size);
    RT_ASSERT(size == 128 + 24, "file is %zu bytes, want 152", size);
    RT_ASSERT(memcmp(b, want, sizeof want - 1) == 0, "header differs from numpy's");
    for (size_t i = sizeof want - 1; i < 127; i++)
        RT_ASSERT(b[i] == ' ', "header byte %zu is 0x%02x, want a space", i, b[i]);
    RT_ASSERT(b[127] == '\n', "header byte 127 is not a newline");
    for (int i = 0; i < 6; i++) {
        const unsigned char *q = b + 128 + 4 * i;
        uint32_t got = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
                       (uint32_t)q[3] << 24, want_bits;
        memcpy(&want_bits, &x[i], sizeof want_bits);
        RT_ASSERT(got == want_bits, "element %d is not stored little-endian", i);
    }
    free(b);
    remove(path);
    rmdir(dir);
}

/* ------------------------------------------------------------------------- */
/* Headers as written by numpy versions and by hand                          */
/* ------------------------------------------------------------------------- */

typedef struct header_case {
    const char *dict;
    int major;
    size_t align;
    int ndim;
    int64_t dims[RUNT_MAX_DIMS];
} header_case;

RT_TEST(npy, parse_header_variants)
{
    static const header_case cases[] = {
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 1, 64, 2, {2, 3}},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 1, 16, 2, {2, 3}},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 1, 0, 2, {2, 3}},
        {"{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}", 1, 64, 2, {2, 3}},
        {"{'fortran_order': False, 'descr': '<f4', 'shape': (2, 3)}", 1, 64, 2, {2, 3}},
        {"{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2,3)}", 1, 64, 2, {2, 3}},
        {"{'descr':'<f4','fortran_order':False,'shape':(2,3)}", 1, 0, 2, {2, 3}},
        {"{ 'descr' : '<f4' ,\t'fortran_order' : False , 'shape' : ( 2 , 3 , ) , }", 1, 64, 2,
         {2, 3}},
        {"{'descr': '<f4',\n 'fortran_order': False,\n 'shape': (2, 3)}", 1, 64, 2, {2, 3}},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }", 1, 16, 2, {2, 3}},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 1, 64, 0, {0}},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", 1, 64, 1, {6}},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (0,), }", 1, 64, 1, {0}},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 1, 3, 1, 2), }", 1, 64, 6,
         {1, 2, 1, 3, 1, 2}},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 2, 64, 2, {2, 3}},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 3, 64, 2, {2, 3}},
    };
    rt_rng r = rt_rng_make(5);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const header_case *c = &cases[i];
        char label[32];
        snprintf(label, sizeof label, "variant %zu", i);
        size_t n = (size_t)count_of(c->ndim, c->dims), size;
        float x[64];
        rt_fill_uniform(&r, x, n, -10, 10);
        unsigned char *b = make_npy(c->dict, c->major, c->align, x, 4 * n, &size);
        runt_tensor t;
        runt_status s = parse_exact(b, size, label, &t);
        free(b);
        RT_ASSERT(s == RUNT_OK, "%s (%s): %s", label, c->dict, runt_last_error());
        expect_tensor(&t, c->ndim, c->dims, x, label);
        free(t.data);
    }
}

/* ------------------------------------------------------------------------- */
/* Malformed files                                                           */
/* ------------------------------------------------------------------------- */

typedef struct bad_case {
    const char *dict;
    int major, minor;
    size_t data_len;      /* bytes of data after the header */
    const char *needle;   /* what the message must say */
} bad_case;

#define F4 "'descr': '<f4', 'fortran_order': False, "

RT_TEST(npy, malformed_headers)
{
    static const bad_case cases[] = {
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 1, 0, 48, "'<f8'"},
        {"{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }", 1, 0, 24, "'>f4'"},
        {"{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }", 1, 0, 6, "'|u1'"},
        {"{'descr': 'float32', 'fortran_order': False, 'shape': (2, 3), }", 1, 0, 24, "'float32'"},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", 1, 0, 8,
         "structured"},
        {"{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 1, 0, 24, "fortran_order"},
        {"{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3), }", 1, 0, 24, "True or False"},
        {"{'descr': '<f4', 'fortran_order': False}", 1, 0, 24, "no 'shape'"},
        {"{'fortran_order': False, 'shape': (2, 3)}", 1, 0, 24, "no 'descr'"},
        {"{'descr': '<f4', 'shape': (2, 3)}", 1, 0, 24, "no 'fortran_order'"},
        {"{}", 1, 0, 0, "no 'descr'"},
        {"{" F4 "'shape': (2, 3), 'descr': '<f4'}", 1, 0, 24, "'descr' appears twice"},
        {"{" F4 "'shape': (2, 3), 'foo': 1}", 1, 0, 24, "unexpected key 'foo'"},
        {"{" F4 "'shape': [2, 3]}", 1, 0, 24, "'(' opening the shape"},
        {"{" F4 "'shape': (6)}", 1, 0, 24, "not a tuple"},
        {"{" F4 "'shape': 6}", 1, 0, 24, "'(' opening the shape"},
        {"{" F4 "'shape': (1, 1, 1, 1, 1, 1, 2)}", 1, 0, 8, "7 dims"},
        {"{" F4 "'shape': (2, -3)}", 1, 0, 24, "negative dimension -3"},
        {"{" F4 "'shape': (99999999999999999999,)}", 1, 0, 24, "overflows int64"},
        {"{" F4 "'shape': (4294967296, 4294967296, 4)}", 1, 0, 24, "too large"},
        {"{" F4 "'shape': (9223372036854775807, 0)}", 1, 0, 0, "too large"},
        {"{" F4 "'shape': (2, 3)}", 1, 0, 20, "data too short"},
        {"{" F4 "'shape': (2, 3)}", 1, 0, 28, "data too long"},
        {"{" F4 "'shape': ()}", 1, 0, 0, "data too short"},
        {"{" F4 "'shape': (,)}", 1, 0, 0, "a dimension"},
        {"{" F4 "'shape': (2 3)}", 1, 0, 24, "',' or ')'"},
        {"{" F4 "'shape': (2, 3)", 1, 0, 24, "',' or '}'"},
        {"{" F4 "'shape': (2, 3)} x", 1, 0, 24, "only spaces"},
        {"{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3)}", 1, 0, 24, "',' or '}'"},
        {"{'descr': '<f4", 1, 0, 24, "closing quote"},
        {"{'descr': '<f\\x34', 'fortran_order': False, 'shape': (2, 3)}", 1, 0, 24, "no escapes"},
        {"{'descr' '<f4', 'fortran_order': False, 'shape': (2, 3)}", 1, 0, 24, "':' after a key"},
        {"{descr: '<f4'}", 1, 0, 0, "a quoted string"},
        {"('descr', '<f4')", 1, 0, 0, "'{' opening"},
        {"", 1, 0, 0, "'{' opening"},
        {"{" F4 "'shape': (2, 3)}", 4, 0, 24, "version 4.0"},
        {"{" F4 "'shape': (2, 3)}", 1, 1, 24, "version 1.1"},
        {"{" F4 "'shape': (2, 3)}", 0, 0, 24, "version 0.0"},
    };
    float filler[16]; /* the data, as many bytes of it as a case asks for */
    rt_rng r = rt_rng_make(8);
    rt_fill_uniform(&r, filler, 16, -1, 1);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bad_case *c = &cases[i];
        char what[32], label[96];
        snprintf(what, sizeof what, "bad%zu.npy", i);
        snprintf(label, sizeof label, "case %zu (%s)", i, c->needle);
        size_t size;
        int layout = c->major == 2 || c->major == 3 ? c->major : 1; /* others: v1's layout */
        unsigned char *b = make_npy(c->dict, layout, 64, filler, c->data_len, &size);
        b[6] = (unsigned char)c->major;
        b[7] = (unsigned char)c->minor;
        runt_tensor t;
        runt_status s = parse_exact(b, size, what, &t);
        free(b);
        expect_error(s, RUNT_E_INVALID_ARG, &t, what, c->needle, label);
    }
}

RT_TEST(npy, malformed_preamble)
{
    static const unsigned char not_npy[] = "hello, this is not a .npy file at all";
    static const unsigned char zip[] = "PK\x03\x04 an .npz archive";
    runt_tensor t;
    expect_error(parse_exact(not_npy, sizeof not_npy - 1, "text.npy", &t), RUNT_E_INVALID_ARG, &t,
                 "text.npy", "bad magic", "text file");
    expect_error(parse_exact(zip, sizeof zip - 1, "z.npz", &t), RUNT_E_INVALID_ARG, &t, "z.npz",
                 "bad magic", ".npz archive");
    expect_error(parse_exact(not_npy, 0, "empty.npy", &t), RUNT_E_INVALID_ARG, &t, "empty.npy",
                 "truncated", "empty file");

    /* A header length that runs past the end of the file, in both widths. */
    size_t size;
    unsigned char *b = make_npy("{" F4 "'shape': (2,)}", 1, 64, NULL, 0, &size);
    b[8] = 0xff;
    b[9] = 0xff;
    expect_error(parse_exact(b, size, "long1.npy", &t), RUNT_E_INVALID_ARG, &t, "long1.npy",
                 "header is 65535 bytes", "v1 length past the end");
    free(b);
    b = make_npy("{" F4 "'shape': (2,)}", 2, 64, NULL, 0, &size);
    b[11] = 0xff;
    expect_error(parse_exact(b, size, "long2.npy", &t), RUNT_E_INVALID_ARG, &t, "long2.npy",
                 "truncated", "v2 length past the end");
    free(b);

    /* A NUL in the header, and bytes outside ASCII, named by their value. */
    b = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", 1, 64, NULL, 0, &size);
    b[10 + 17] = 0;
    expect_error(parse_exact(b, size, "nul.npy", &t), RUNT_E_INVALID_ARG, &t, "nul.npy",
                 "byte 0x00", "NUL in the header");
    b[10 + 17] = 0xe9;
    expect_error(parse_exact(b, size, "latin.npy", &t), RUNT_E_INVALID_ARG, &t, "latin.npy",
                 "byte 0xe9", "non-ASCII in the header");
    free(b);
}

/* A valid file cut short at every length is refused cleanly, from memory and
 * from disk. */
RT_TEST(npy, truncated_at_every_length)
{
    static const int64_t dims[] = {2, 3, 5};
    char dir[32], path[64];
    make_tmpdir(dir);
    join(path, sizeof path, dir, "full.npy");
    float x[30];
    rt_rng r = rt_rng_make(21);
    rt_fill_uniform(&r, x, 30, -5, 5);
    runt_tensor t = rt_tensor_f32(x, 3, dims);
    RT_ASSERT(runt_npy_write(path, &t) == RUNT_OK, "write: %s", runt_last_error());
    size_t size;
    unsigned char *full = read_bytes(path, &size);
    for (size_t len = 0; len < size; len++) {
        char label[64];
        snprintf(label, sizeof label, "cut at %zu of %zu", len, size);
        runt_tensor back;
        runt_status s = parse_exact(full, len, "cut.npy", &back);
        RT_ASSERT(s == RUNT_E_INVALID_ARG, "%s: got %s", label, runt_status_name(s));
        RT_ASSERT(back.data == NULL, "%s: data left on failure", label);
        RT_ASSERT(strstr(runt_last_error(), "cut.npy") != NULL, "%s: message '%s' names no file",
                  label, runt_last_error());
        write_bytes(path, full, len);
        s = runt_npy_read(path, &back);
        RT_ASSERT(s == RUNT_E_INVALID_ARG, "%s, from disk: got %s", label, runt_status_name(s));
        RT_ASSERT(back.data == NULL, "%s, from disk: data left on failure", label);
        RT_ASSERT(strstr(runt_last_error(), path) != NULL, "%s: message '%s' does not name %s",
                  label, runt_last_error(), path);
    }
    free(full);
    remove(path);
    rmdir(dir);
}

/* Corrupting any header byte either leaves a file that still parses to a
 * consistent tensor or is refused cleanly: never a crash or an overread. */
RT_TEST(npy, corrupted_bytes)
{
    static const unsigned char values[] = {0x00, 0xff, 0x80, ' ', '\n', '(', ')', ',', '\'',
                                           '"', '{', '}', ':', '9', '0', '-', 'L', 'x'};
    float x[12];
    rt_rng r = rt_rng_make(99);
    rt_fill_uniform(&r, x, 12, -1, 1);
    size_t size;
    unsigned char *b = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", 1,
                                64, x, sizeof x, &size);
    int accepted = 0, refused = 0;
    for (size_t pos = 0; pos < size - sizeof x; pos++) {
        unsigned char keep = b[pos];
        for (size_t v = 0; v < sizeof values; v++) {
            b[pos] = values[v];
            runt_tensor t;
            runt_status s = parse_exact(b, size, "corrupt.npy", &t);
            if (s == RUNT_OK) {
                accepted++;
                RT_ASSERT(t.data != NULL && t.ndim >= 0 && t.ndim <= RUNT_MAX_DIMS,
                          "byte %zu = 0x%02x: accepted with %d dims", pos, values[v], t.ndim);
                RT_ASSERT((size_t)count_of(t.ndim, t.dims) * 4 <= size,
                          "byte %zu = 0x%02x: accepted a shape larger than the file", pos,
                          values[v]);
                free(t.data);
            } else {
                refused++;
                RT_ASSERT(s == RUNT_E_INVALID_ARG && t.data == NULL,
                          "byte %zu = 0x%02x: %s with data %p", pos, values[v],
                          runt_status_name(s), t.data);
                RT_ASSERT(strstr(runt_last_error(), "corrupt.npy") != NULL,
                          "byte %zu: message '%s' names no file", pos, runt_last_error());
            }
        }
        b[pos] = keep;
    }
    RT_ASSERT(accepted > 0 && refused > 0, "accepted %d, refused %d", accepted, refused);
    /* Random multi-byte damage anywhere, data included. */
    for (int trial = 0; trial < 5000; trial++) {
        unsigned char *c = malloc(size);
        RT_ASSERT(c != NULL, "cannot allocate");
        memcpy(c, b, size);
        for (int k = (int)rt_rng_int(&r, 1, 4); k > 0; k--)
            c[rt_rng_int(&r, 0, (int64_t)size - 1)] = (unsigned char)rt_rng_int(&r, 0, 255);
        size_t len = rt_rng_int(&r, 0, 3) ? size : (size_t)rt_rng_int(&r, 0, (int64_t)size);
        runt_tensor t;
        runt_status s = parse_exact(c, len, "random.npy", &t);
        RT_ASSERT(s == RUNT_OK || s == RUNT_E_INVALID_ARG, "trial %d: %s", trial,
                  runt_status_name(s));
        RT_ASSERT((s == RUNT_OK) == (t.data != NULL), "trial %d: data %p with %s", trial, t.data,
                  runt_status_name(s));
        free(t.data);
        free(c);
    }
    free(b);
}

/* ------------------------------------------------------------------------- */
/* Files and arguments                                                       */
/* ------------------------------------------------------------------------- */

RT_TEST(npy, read_errors)
{
    char dir[32], path[64];
    make_tmpdir(dir);
    runt_tensor t;
    join(path, sizeof path, dir, "missing.npy");
    expect_error(runt_npy_read(path, &t), RUNT_E_IO, &t, path, "cannot open", "missing file");
    expect_error(runt_npy_read(dir, &t), RUNT_E_IO, &t, dir, "read failed", "a directory");
    join(path, sizeof path, dir, "empty.npy");
    write_bytes(path, "", 0);
    expect_error(runt_npy_read(path, &t), RUNT_E_INVALID_ARG, &t, path, "truncated", "empty file");
    remove(path);
    rmdir(dir);

    runt_error_clear();
    RT_ASSERT(runt_npy_read(NULL, &t) == RUNT_E_INVALID_ARG && t.data == NULL,
              "NULL path accepted");
    RT_ASSERT(strstr(runt_last_error(), "path is NULL") != NULL, "message '%s'", runt_last_error());
    RT_ASSERT(runt_npy_read("x.npy", NULL) == RUNT_E_INVALID_ARG, "NULL out accepted");
    RT_ASSERT(strstr(runt_last_error(), "out is NULL") != NULL, "message '%s'", runt_last_error());
    RT_ASSERT(runt_npy_parse(NULL, 10, "m", &t) == RUNT_E_INVALID_ARG && t.data == NULL,
              "NULL bytes accepted");
    RT_ASSERT(strstr(runt_last_error(), "bytes is NULL") != NULL, "message '%s'",
              runt_last_error());
    RT_ASSERT(runt_npy_parse("\x93NUMPY", 6, "m", NULL) == RUNT_E_INVALID_ARG, "NULL out accepted");
    RT_ASSERT(runt_npy_parse("junk", 4, NULL, &t) == RUNT_E_INVALID_ARG, "junk accepted");
    RT_ASSERT(strstr(runt_last_error(), "<memory>") != NULL, "message '%s' names no source",
              runt_last_error());
}

RT_TEST(npy, write_errors)
{
    static const int64_t dims[] = {2, 3}, negative[] = {2, -3},
                         huge[] = {INT64_MAX, INT64_MAX}, empty[] = {0, 3};
    char dir[32], path[64];
    float x[6];
    rt_rng r = rt_rng_make(4);
    rt_fill_uniform(&r, x, 6, -1, 1);
    make_tmpdir(dir);
    join(path, sizeof path, dir, "out.npy");
    runt_tensor t = rt_tensor_f32(x, 2, dims);

    RT_ASSERT(runt_npy_write(NULL, &t) == RUNT_E_INVALID_ARG, "NULL path accepted");
    expect_error(runt_npy_write(path, NULL), RUNT_E_INVALID_ARG, NULL, path, "tensor is NULL",
                 "NULL tensor");
    t.dtype = RUNT_I8;
    expect_error(runt_npy_write(path, &t), RUNT_E_INVALID_ARG, NULL, path, "int8", "int8 tensor");
    t.dtype = RUNT_F32;
    t.ndim = 7;
    expect_error(runt_npy_write(path, &t), RUNT_E_INVALID_ARG, NULL, path, "7 dims", "7 dims");
    t.ndim = -1;
    expect_error(runt_npy_write(path, &t), RUNT_E_INVALID_ARG, NULL, path, "-1 dims", "-1 dims");
    t = rt_tensor_f32(x, 2, negative);
    expect_error(runt_npy_write(path, &t), RUNT_E_INVALID_ARG, NULL, path, "(2, -3)",
                 "negative dim");
    t = rt_tensor_f32(x, 2, huge);
    expect_error(runt_npy_write(path, &t), RUNT_E_INVALID_ARG, NULL, path, "too large",
                 "huge shape");
    t = rt_tensor_f32(NULL, 2, dims);
    expect_error(runt_npy_write(path, &t), RUNT_E_INVALID_ARG, NULL, path, "data is NULL",
                 "NULL data");
    RT_ASSERT(access(path, F_OK) != 0, "a refused write created %s", path);

    /* An empty tensor needs no data pointer. */
    t = rt_tensor_f32(NULL, 2, empty);
    RT_ASSERT(runt_npy_write(path, &t) == RUNT_OK, "empty tensor: %s", runt_last_error());
    runt_tensor back;
    RT_ASSERT(runt_npy_read(path, &back) == RUNT_OK, "empty tensor back: %s", runt_last_error());
    expect_tensor(&back, 2, empty, NULL, "empty tensor");
    free(back.data);
    remove(path);

    char nodir[96];
    join(nodir, sizeof nodir, dir, "no/such/dir.npy");
    t = rt_tensor_f32(x, 2, dims);
    expect_error(runt_npy_write(nodir, &t), RUNT_E_IO, NULL, nodir, "cannot open for writing",
                 "missing directory");
    rmdir(dir);
}

/* A device that is always full: the buffered bytes fail at fclose. */
RT_TEST(npy, write_to_full_device)
{
    static const int64_t dims[] = {4, 4};
    FILE *probe = fopen("/dev/full", "wb");
    if (!probe)
        RT_SKIP("/dev/full cannot be opened here, so a failing write cannot be staged");
    fclose(probe);
    float x[16];
    rt_rng r = rt_rng_make(6);
    rt_fill_uniform(&r, x, 16, -1, 1);
    runt_tensor t = rt_tensor_f32(x, 2, dims);
    expect_error(runt_npy_write("/dev/full", &t), RUNT_E_IO, NULL, "/dev/full", "write failed",
                 "full device");
}

/* ------------------------------------------------------------------------- */
/* Cross-check with numpy                                                    */
/* ------------------------------------------------------------------------- */

/* numpy writes arrays whose values are index * 0.25 - 3 (exact in float32),
 * in every shape class and in versions 2.0 and 3.0, plus files runt must
 * refuse; it reads back the file runt wrote and saves it again. */
static const char numpy_script[] =
    "import sys, numpy as np\n"
    "d = sys.argv[1]\n"
    "shapes = {'s0': (), 's1': (5,), 's2': (3, 4), 's3': (2, 0, 3), 's6': (2, 1, 3, 1, 2, 2)}\n"
    "for name, shape in shapes.items():\n"
    "    n = int(np.prod(shape))\n"
    "    a = (np.arange(n) * 0.25 - 3.0).astype(np.float32).reshape(shape)\n"
    "    np.save(d + '/np_' + name + '.npy', a)\n"
    "    for v in (2, 3):\n"
    "        with open(d + '/np_' + name + '_v%d.npy' % v, 'wb') as f:\n"
    "            np.lib.format.write_array(f, a, version=(v, 0))\n"
    "np.save(d + '/np_f8.npy', np.ones((2, 2)))\n"
    "np.save(d + '/np_fortran.npy', np.asfortranarray(np.ones((2, 3), np.float32)))\n"
    "np.save(d + '/np_be.npy', np.ones(3, '>f4'))\n"
    "b = np.load(d + '/runt.npy')\n"
    "assert b.dtype == np.float32 and b.shape == (3, 1, 4, 2), (b.dtype, b.shape)\n"
    "np.save(d + '/runt_again.npy', b)\n";

static void check_numpy_array(const char *dir, const char *name, int ndim, const int64_t *dims)
{
    char path[96];
    snprintf(path, sizeof path, "%s/np_%s.npy", dir, name);
    runt_tensor t;
    RT_ASSERT(runt_npy_read(path, &t) == RUNT_OK, "%s: %s", path, runt_last_error());
    size_t n = (size_t)count_of(ndim, dims);
    float want[64] = {0};
    for (size_t i = 0; i < n; i++)
        want[i] = (float)((double)i * 0.25 - 3.0);
    expect_tensor(&t, ndim, dims, want, path);
    free(t.data);
    remove(path);
}

RT_TEST(npy, numpy_cross_check)
{
    if (system("python3 -c 'import numpy' >/dev/null 2>&1") != 0)
        RT_SKIP("python3 with numpy is not available, so files numpy wrote cannot be checked");
    static const int64_t d0[1] = {0}, d1[] = {5}, d2[] = {3, 4}, d3[] = {2, 0, 3},
                         d6[] = {2, 1, 3, 1, 2, 2}, dr[] = {3, 1, 4, 2};
    char dir[32], path[96], script[96], cmd[256];
    make_tmpdir(dir);
    float x[24];
    rt_rng r = rt_rng_make(1234);
    rt_fill_uniform(&r, x, 24, -100, 100);
    runt_tensor t = rt_tensor_f32(x, 4, dr);
    snprintf(path, sizeof path, "%s/runt.npy", dir);
    RT_ASSERT(runt_npy_write(path, &t) == RUNT_OK, "write: %s", runt_last_error());
    snprintf(script, sizeof script, "%s/make.py", dir);
    write_bytes(script, numpy_script, sizeof numpy_script - 1);
    snprintf(cmd, sizeof cmd, "python3 %s %s", script, dir);
    RT_ASSERT(system(cmd) == 0, "numpy could not read runt's file or write its own (%s)", cmd);

    static const char *const suffixes[] = {"", "_v2", "_v3"};
    for (int v = 0; v < 3; v++) {
        char name[16];
        snprintf(name, sizeof name, "s0%s", suffixes[v]);
        check_numpy_array(dir, name, 0, d0);
        snprintf(name, sizeof name, "s1%s", suffixes[v]);
        check_numpy_array(dir, name, 1, d1);
        snprintf(name, sizeof name, "s2%s", suffixes[v]);
        check_numpy_array(dir, name, 2, d2);
        snprintf(name, sizeof name, "s3%s", suffixes[v]);
        check_numpy_array(dir, name, 3, d3);
        snprintf(name, sizeof name, "s6%s", suffixes[v]);
        check_numpy_array(dir, name, 6, d6);
    }

    /* numpy understood runt's file: what it saved again is the same array,
     * and since runt writes headers as np.save does, the same bytes. */
    char again[96];
    snprintf(again, sizeof again, "%s/runt_again.npy", dir);
    runt_tensor back;
    RT_ASSERT(runt_npy_read(again, &back) == RUNT_OK, "%s: %s", again, runt_last_error());
    expect_tensor(&back, 4, dr, x, again);
    free(back.data);
    size_t n1, n2;
    unsigned char *b1 = read_bytes(path, &n1), *b2 = read_bytes(again, &n2);
    RT_ASSERT(n1 == n2 && memcmp(b1, b2, n1) == 0, "runt's file differs from np.save's bytes");
    free(b1);
    free(b2);

    static const char *const refused[][2] = {
        {"np_f8.npy", "'<f8'"}, {"np_fortran.npy", "fortran_order"}, {"np_be.npy", "'>f4'"}};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, refused[i][0]);
        expect_error(runt_npy_read(path, &back), RUNT_E_INVALID_ARG, &back, path, refused[i][1],
                     refused[i][0]);
        remove(path);
    }
    snprintf(path, sizeof path, "%s/runt.npy", dir);
    remove(path);
    remove(again);
    remove(script);
    RT_ASSERT(rmdir(dir) == 0, "files left in %s", dir);
}
