/*
 * npy.c — .npy reading and writing; the format and the contract are in npy.h.
 * Every length and offset read from a file is checked against the bytes that
 * are there before it is used.
 */
#include "npy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* runt_error_set is in the backend header only: runt.h lets a caller read
 * runt_last_error(), not set it, and npy.c reports a bad file the way the
 * library reports a bad model, so the CLI prints both alike. */
#include "runt-backend.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64   /* numpy.lib.format.ARRAY_ALIGN: data start on a 64-byte boundary */
#define NPY_F32_SIZE 4

/* Where a file's array lies, from its header. */
typedef struct npy_layout {
    int ndim;
    int64_t dims[RUNT_MAX_DIMS];
    size_t count;          /* elements */
    size_t data_offset;    /* bytes from the start of the file */
} npy_layout;

/* The header dict as read. */
typedef struct npy_header {
    unsigned seen;         /* NPY_KEY_* bits */
    const unsigned char *descr;
    size_t descr_len;
    int fortran_order;
    size_t ndim;           /* may exceed RUNT_MAX_DIMS: refused after parsing */
    int64_t dims[RUNT_MAX_DIMS];
} npy_header;

enum { NPY_KEY_DESCR = 1, NPY_KEY_ORDER = 2, NPY_KEY_SHAPE = 4 };

typedef struct npy_cursor {
    const unsigned char *base;     /* the file's first byte: offsets in messages */
    const unsigned char *p, *end;  /* the header text still to read              */
    const char *what;
} npy_cursor;

static runt_status npy_fail(runt_status s, const char *what, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* "what: message", so every error names the file. */
static runt_status npy_fail(runt_status s, const char *what, const char *fmt, ...)
{
    char msg[512]; /* runt keeps messages of up to 512 bytes */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return runt_error_set(s, "%s: %s", what, msg);
}

/* Up to 40 bytes of file text for a message, non-printable bytes as '?'. */
static const char *printable(const unsigned char *s, size_t len, char buf[48])
{
    size_t n = len < 40 ? len : 40;
    for (size_t i = 0; i < n; i++)
        buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
    strcpy(buf + n, len > n ? "..." : "");
    return buf;
}

/* Python's repr of a shape tuple: (), (3,), (2, 3). Callers pass ndim <= 6,
 * which keeps it under 160 characters (6 dims of 20). */
static void format_shape(int ndim, const int64_t *dims, char buf[160])
{
    size_t n = 0;
    buf[n++] = '(';
    for (int i = 0; i < ndim; i++)
        n += (size_t)snprintf(buf + n, 160 - n, i ? ", %lld" : "%lld", (long long)dims[i]);
    snprintf(buf + n, 160 - n, ndim == 1 ? ",)" : ")");
}

/* ------------------------------------------------------------------------- */
/* The header dict: a Python literal, read as numpy writes it                */
/* ------------------------------------------------------------------------- */

static int peek(const npy_cursor *c) { return c->p < c->end ? *c->p : -1; }

static void skip_space(npy_cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static runt_status syntax(const npy_cursor *c, const char *expected)
{
    char seen[16];
    int ch = peek(c);
    if (ch < 0)
        snprintf(seen, sizeof seen, "its end");
    else if (ch >= 0x20 && ch < 0x7f)
        snprintf(seen, sizeof seen, "'%c'", ch);
    else
        snprintf(seen, sizeof seen, "byte 0x%02x", (unsigned)ch);
    return npy_fail(RUNT_E_INVALID_ARG, c->what, "malformed header at byte %zu: expected %s, found %s",
                    (size_t)(c->p - c->base), expected, seen);
}

static runt_status expect_char(npy_cursor *c, int ch, const char *expected)
{
    skip_space(c);
    if (peek(c) != ch)
        return syntax(c, expected);
    c->p++;
    return RUNT_OK;
}

/* A quoted string without escapes: keys and dtype names need none. */
static runt_status parse_string(npy_cursor *c, const unsigned char **s, size_t *len)
{
    skip_space(c);
    int quote = peek(c);
    if (quote != '\'' && quote != '"')
        return syntax(c, "a quoted string");
    const unsigned char *start = ++c->p;
    while (c->p < c->end && *c->p != quote && *c->p != '\n') {
        if (*c->p == '\\')
            return syntax(c, "a plain string (no escapes)");
        c->p++;
    }
    if (peek(c) != quote) /* a Python string ends on its line */
        return syntax(c, "the string's closing quote");
    *s = start;
    *len = (size_t)(c->p - start);
    c->p++;
    return RUNT_OK;
}

static runt_status parse_bool(npy_cursor *c, int *value)
{
    skip_space(c);
    size_t left = (size_t)(c->end - c->p);
    if (left >= 4 && memcmp(c->p, "True", 4) == 0) {
        *value = 1;
        c->p += 4;
    } else if (left >= 5 && memcmp(c->p, "False", 5) == 0) {
        *value = 0;
        c->p += 5;
    } else {
        return syntax(c, "True or False");
    }
    return RUNT_OK;
}

/* A Python int; the 'L' of Python 2 longs, which old numpy wrote, is allowed. */
static runt_status parse_dim(npy_cursor *c, int64_t *dim)
{
    char text[48];
    skip_space(c);
    const unsigned char *start = c->p;
    int negative = peek(c) == '-';
    if (peek(c) == '-' || peek(c) == '+')
        c->p++;
    if (peek(c) < '0' || peek(c) > '9')
        return syntax(c, "a dimension (an integer)");
    int64_t v = 0;
    int too_big = 0;
    for (; peek(c) >= '0' && peek(c) <= '9'; c->p++) {
        int d = *c->p - '0';
        if (v > (INT64_MAX - d) / 10)
            too_big = 1;
        else
            v = v * 10 + d;
    }
    if (peek(c) == 'L')
        c->p++;
    if (negative && (v != 0 || too_big))
        return npy_fail(RUNT_E_INVALID_ARG, c->what, "negative dimension %s in the shape",
                        printable(start, (size_t)(c->p - start), text));
    if (too_big)
        return npy_fail(RUNT_E_INVALID_ARG, c->what, "dimension %s in the shape overflows int64",
                        printable(start, (size_t)(c->p - start), text));
    *dim = v;
    return RUNT_OK;
}

/* A tuple: (), (3,), (2, 3) or (2, 3,); (3) is an int in Python, not a shape. */
static runt_status parse_shape(npy_cursor *c, npy_header *h)
{
    runt_status s = expect_char(c, '(', "'(' opening the shape tuple");
    size_t n = 0, commas = 0;
    skip_space(c);
    while (s == RUNT_OK && peek(c) != ')') {
        int64_t d = 0;
        if ((s = parse_dim(c, &d)) != RUNT_OK)
            break;
        if (n < RUNT_MAX_DIMS)
            h->dims[n] = d;
        n++;
        skip_space(c);
        if (peek(c) == ',') {
            c->p++;
            commas++;
            skip_space(c);
        } else if (peek(c) != ')') {
            s = syntax(c, "',' or ')' in the shape");
        }
    }
    if (s != RUNT_OK)
        return s;
    c->p++;
    if (n == 1 && commas == 0)
        return npy_fail(RUNT_E_INVALID_ARG, c->what,
                        "shape (%lld) is not a tuple; a 1-d shape is written (%lld,)",
                        (long long)h->dims[0], (long long)h->dims[0]);
    h->ndim = n;
    return RUNT_OK;
}

static int key_is(const unsigned char *key, size_t len, const char *name)
{
    return len == strlen(name) && memcmp(key, name, len) == 0;
}

static runt_status parse_entry(npy_cursor *c, const unsigned char *key, size_t len, npy_header *h)
{
    char text[48];
    unsigned bit = key_is(key, len, "descr")           ? NPY_KEY_DESCR
                   : key_is(key, len, "fortran_order") ? NPY_KEY_ORDER
                   : key_is(key, len, "shape")         ? NPY_KEY_SHAPE
                                                       : 0;
    if (!bit)
        return npy_fail(RUNT_E_INVALID_ARG, c->what,
                        "unexpected key '%s' in the header (a .npy header has descr, "
                        "fortran_order and shape)",
                        printable(key, len, text));
    if (h->seen & bit)
        return npy_fail(RUNT_E_INVALID_ARG, c->what, "key '%s' appears twice in the header",
                        printable(key, len, text));
    h->seen |= bit;
    if (bit == NPY_KEY_ORDER)
        return parse_bool(c, &h->fortran_order);
    if (bit == NPY_KEY_SHAPE)
        return parse_shape(c, h);
    skip_space(c);
    if (peek(c) == '[')
        return npy_fail(RUNT_E_INVALID_ARG, c->what,
                        "dtype is a structured (record) dtype; runt reads only '<f4' "
                        "(little-endian float32)");
    return parse_string(c, &h->descr, &h->descr_len);
}

static runt_status parse_dict(npy_cursor *c, npy_header *h)
{
    runt_status s = expect_char(c, '{', "'{' opening the header dict");
    for (;;) {
        const unsigned char *key;
        size_t len;
        skip_space(c);
        if (s != RUNT_OK || peek(c) == '}')
            break;
        if ((s = parse_string(c, &key, &len)) != RUNT_OK ||
            (s = expect_char(c, ':', "':' after a key")) != RUNT_OK ||
            (s = parse_entry(c, key, len, h)) != RUNT_OK)
            return s;
        skip_space(c);
        if (peek(c) == ',')
            c->p++;
        else if (peek(c) != '}')
            return syntax(c, "',' or '}' after a value");
    }
    if (s != RUNT_OK)
        return s;
    c->p++;
    skip_space(c);
    if (c->p != c->end)
        return syntax(c, "only spaces after the header dict");
    const char *missing = !(h->seen & NPY_KEY_DESCR)   ? "descr"
                          : !(h->seen & NPY_KEY_ORDER) ? "fortran_order"
                          : !(h->seen & NPY_KEY_SHAPE) ? "shape"
                                                       : NULL;
    if (missing)
        return npy_fail(RUNT_E_INVALID_ARG, c->what, "the header has no '%s'", missing);
    return RUNT_OK;
}

/* ------------------------------------------------------------------------- */
/* The whole file                                                            */
/* ------------------------------------------------------------------------- */

/* The fixed start: magic, version, header length. Sets the header's span. */
static runt_status read_preamble(const unsigned char *b, size_t size, const char *what,
                                 size_t *header_start, size_t *header_len)
{
    if (size < NPY_MAGIC_LEN || memcmp(b, NPY_MAGIC, NPY_MAGIC_LEN) != 0) {
        if (size < NPY_MAGIC_LEN && memcmp(b, NPY_MAGIC, size) == 0)
            return npy_fail(RUNT_E_INVALID_ARG, what, "truncated: %zu bytes, not even the magic",
                            size);
        return npy_fail(RUNT_E_INVALID_ARG, what,
                        "not a .npy file: bad magic (it does not start with \\x93NUMPY)");
    }
    if (size < NPY_MAGIC_LEN + 2)
        return npy_fail(RUNT_E_INVALID_ARG, what, "truncated: ends inside the version bytes");
    unsigned major = b[6], minor = b[7];
    if (major < 1 || major > 3 || minor != 0)
        return npy_fail(RUNT_E_INVALID_ARG, what,
                        "unsupported .npy format version %u.%u (runt reads 1.0, 2.0 and 3.0)",
                        major, minor);
    size_t len_bytes = major == 1 ? 2 : 4; /* 2.0 widened the length for big record dtypes */
    size_t start = NPY_MAGIC_LEN + 2 + len_bytes;
    if (size < start)
        return npy_fail(RUNT_E_INVALID_ARG, what, "truncated: ends inside the header length");
    size_t len = 0;
    for (size_t i = len_bytes; i-- > 0;)
        len = len << 8 | b[NPY_MAGIC_LEN + 2 + i];
    if (len > size - start)
        return npy_fail(RUNT_E_INVALID_ARG, what,
                        "truncated: the header is %zu bytes but only %zu follow", len,
                        size - start);
    *header_start = start;
    *header_len = len;
    return RUNT_OK;
}

/* Elements in the shape, if their bytes fit in a size_t. The product of the
 * nonzero dims must fit even when a dim is 0, so code downstream may multiply
 * dims in any order without overflowing. */
static int shape_count(int ndim, const int64_t *dims, size_t *count)
{
    /* 64-bit: int64 dims bound the count; 32-bit: size_t does. */
    uint64_t nonzero = 1, limit = (uint64_t)(SIZE_MAX / NPY_F32_SIZE);
    int empty = 0;
    if (limit > (uint64_t)INT64_MAX)
        limit = (uint64_t)INT64_MAX;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] == 0) {
            empty = 1;
            continue;
        }
        if (dims[i] < 0 || (uint64_t)dims[i] > limit / nonzero)
            return 0;
        nonzero *= (uint64_t)dims[i];
    }
    *count = empty ? 0 : (size_t)nonzero;
    return 1;
}

static runt_status check_header(const npy_header *h, const char *what, npy_layout *l)
{
    char text[48], shape[160];
    if (h->descr_len != 3 || memcmp(h->descr, "<f4", 3) != 0)
        return npy_fail(RUNT_E_INVALID_ARG, what,
                        "dtype '%s' is not supported; runt reads only '<f4' (little-endian float32)",
                        printable(h->descr, h->descr_len, text));
    if (h->fortran_order)
        return npy_fail(RUNT_E_INVALID_ARG, what,
                        "fortran_order is True; runt reads only C-order arrays");
    if (h->ndim > RUNT_MAX_DIMS)
        return npy_fail(RUNT_E_INVALID_ARG, what, "the shape has %zu dims; runt allows at most %d",
                        h->ndim, RUNT_MAX_DIMS);
    l->ndim = (int)h->ndim;
    memcpy(l->dims, h->dims, sizeof l->dims);
    if (!shape_count(l->ndim, l->dims, &l->count)) {
        format_shape(l->ndim, l->dims, shape);
        return npy_fail(RUNT_E_INVALID_ARG, what, "shape %s is too large for this machine", shape);
    }
    return RUNT_OK;
}

/* Checks everything about a file's bytes and says where its array lies. */
static runt_status decode_layout(const unsigned char *b, size_t size, const char *what,
                                 npy_layout *l)
{
    size_t start = 0, len = 0;
    runt_status s = read_preamble(b, size, what, &start, &len);
    if (s != RUNT_OK)
        return s;
    npy_header h;
    memset(&h, 0, sizeof h);
    npy_cursor c = {b, b + start, b + start + len, what};
    if ((s = parse_dict(&c, &h)) != RUNT_OK || (s = check_header(&h, what, l)) != RUNT_OK)
        return s;
    l->data_offset = start + len;
    size_t have = size - l->data_offset, need = l->count * NPY_F32_SIZE;
    if (have != need) {
        char shape[160];
        format_shape(l->ndim, l->dims, shape);
        return npy_fail(RUNT_E_INVALID_ARG, what, "%s: shape %s needs %zu bytes of data, found %zu",
                        have < need ? "data too short" : "data too long", shape, need, have);
    }
    return RUNT_OK;
}

static int host_is_little_endian(void)
{
    const uint32_t one = 1;
    unsigned char first;
    memcpy(&first, &one, 1);
    return first == 1;
}

/* '<f4' bytes to host floats. dst may overlap src from below: each element
 * is read before anything at or after it is written. */
static void load_le_f32(float *dst, const unsigned char *src, size_t count)
{
    if (host_is_little_endian()) {
        memmove(dst, src, count * NPY_F32_SIZE);
        return;
    }
    for (size_t i = 0; i < count; i++) {
        const unsigned char *q = src + NPY_F32_SIZE * i;
        uint32_t u = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
                     (uint32_t)q[3] << 24;
        memcpy(&dst[i], &u, sizeof u);
    }
}

static void fill_tensor(runt_tensor *out, const npy_layout *l, void *data)
{
    memset(out, 0, sizeof *out);
    out->dtype = RUNT_F32;
    out->ndim = l->ndim;
    memcpy(out->dims, l->dims, sizeof out->dims);
    out->data = data;
}

runt_status runt_npy_parse(const void *bytes, size_t size, const char *what, runt_tensor *out)
{
    static const unsigned char nothing[1] = {0};
    if (!what)
        what = "<memory>";
    if (!out)
        return npy_fail(RUNT_E_INVALID_ARG, what, "runt_npy_parse: out is NULL");
    memset(out, 0, sizeof *out);
    if (!bytes && size > 0)
        return npy_fail(RUNT_E_INVALID_ARG, what, "runt_npy_parse: bytes is NULL");
    const unsigned char *b = bytes ? (const unsigned char *)bytes : nothing;
    npy_layout l;
    runt_status s = decode_layout(b, size, what, &l);
    if (s != RUNT_OK)
        return s;
    size_t nbytes = l.count * NPY_F32_SIZE;
    float *data = malloc(nbytes ? nbytes : 1);
    if (!data)
        return npy_fail(RUNT_E_OOM, what, "cannot allocate %zu bytes for the data", nbytes);
    load_le_f32(data, b + l.data_offset, l.count);
    fill_tensor(out, &l, data);
    return RUNT_OK;
}

/* The whole file into a malloc'ed buffer (growing, so pipes work too). */
static runt_status read_file(const char *path, unsigned char **out, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return npy_fail(RUNT_E_IO, path, "cannot open: %s", strerror(errno));
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break; /* end of file or an error, told apart below */
        unsigned char *bigger = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
        if (!bigger)
            free(buf);
        buf = bigger;
        cap *= 2;
    }
    int failed = buf && ferror(f), err = errno;
    fclose(f);
    if (!buf)
        return npy_fail(RUNT_E_OOM, path, "cannot allocate memory to read the file");
    if (failed) {
        free(buf);
        return npy_fail(RUNT_E_IO, path, "read failed: %s", strerror(err));
    }
    *out = buf;
    *size = n;
    return RUNT_OK;
}

runt_status runt_npy_read(const char *path, runt_tensor *out)
{
    unsigned char *buf = NULL;
    size_t size = 0;
    npy_layout l;
    if (!out)
        return npy_fail(RUNT_E_INVALID_ARG, path ? path : "(null)", "runt_npy_read: out is NULL");
    memset(out, 0, sizeof *out);
    if (!path)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_npy_read: path is NULL");
    runt_status s = read_file(path, &buf, &size);
    if (s != RUNT_OK)
        return s;
    if ((s = decode_layout(buf, size, path, &l)) != RUNT_OK) {
        free(buf);
        return s;
    }
    /* The data move to the front of the file's buffer, which then gives back
     * the header's bytes: one allocation, no second copy of a large input. */
    size_t nbytes = l.count * NPY_F32_SIZE;
    load_le_f32((float *)(void *)buf, buf + l.data_offset, l.count);
    void *data = realloc(buf, nbytes ? nbytes : 1);
    fill_tensor(out, &l, data ? data : buf);
    return RUNT_OK;
}

/* ------------------------------------------------------------------------- */
/* Writing                                                                   */
/* ------------------------------------------------------------------------- */

static runt_status check_writable(const char *path, const runt_tensor *t, size_t *count)
{
    if (t->dtype != RUNT_F32)
        return npy_fail(RUNT_E_INVALID_ARG, path, "cannot write a %s tensor; runt writes only f32",
                        runt_dtype_name(t->dtype));
    if (t->ndim < 0 || t->ndim > RUNT_MAX_DIMS)
        return npy_fail(RUNT_E_INVALID_ARG, path, "tensor has %d dims; .npy output allows 0 to %d",
                        t->ndim, RUNT_MAX_DIMS);
    if (!shape_count(t->ndim, t->dims, count)) {
        char shape[160];
        format_shape(t->ndim, t->dims, shape);
        return npy_fail(RUNT_E_INVALID_ARG, path, "tensor shape %s is negative or too large",
                        shape);
    }
    if (*count > 0 && !t->data)
        return npy_fail(RUNT_E_INVALID_ARG, path, "tensor data is NULL");
    return RUNT_OK;
}

/* The header exactly as np.save writes it, so files are byte-identical to
 * numpy's: magic, version 1.0, length, dict; then numpy's room for the first
 * dim to grow in place (GROWTH_AXIS_MAX_DIGITS = 21 characters for it), and
 * 1 to 64 spaces and '\n' up to a multiple of NPY_ALIGN. Returns the length
 * (at most 256: ndim <= 6 bounds the dict). */
static size_t format_header(const runt_tensor *t, unsigned char buf[320])
{
    char shape[160], first[24];
    format_shape(t->ndim, t->dims, shape);
    memcpy(buf, NPY_MAGIC "\x01\x00", NPY_MAGIC_LEN + 2);
    size_t n = 10 + (size_t)snprintf((char *)buf + 10, 320 - 10,
                                     "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }",
                                     shape);
    if (t->ndim > 0) {
        size_t digits = (size_t)snprintf(first, sizeof first, "%lld", (long long)t->dims[0]);
        memset(buf + n, ' ', 21 - digits);
        n += 21 - digits;
    }
    size_t total = n + 1 + (NPY_ALIGN - (n + 1) % NPY_ALIGN);
    memset(buf + n, ' ', total - 1 - n);
    buf[total - 1] = '\n';
    buf[8] = (unsigned char)((total - 10) & 0xff);
    buf[9] = (unsigned char)((total - 10) >> 8);
    return total;
}

/* Host floats out as '<f4', a chunk at a time on big-endian hosts. */
static int write_le_f32(FILE *f, const float *x, size_t count)
{
    if (count == 0)
        return 1;
    if (host_is_little_endian())
        return fwrite(x, NPY_F32_SIZE, count, f) == count;
    unsigned char chunk[4096];
    for (size_t i = 0; i < count;) {
        size_t n = 0;
        for (; i < count && n < sizeof chunk; i++, n += NPY_F32_SIZE) {
            uint32_t u;
            memcpy(&u, &x[i], sizeof u);
            for (int k = 0; k < 4; k++)
                chunk[n + (size_t)k] = (unsigned char)(u >> (8 * k));
        }
        if (fwrite(chunk, 1, n, f) != n)
            return 0;
    }
    return 1;
}

runt_status runt_npy_write(const char *path, const runt_tensor *t)
{
    unsigned char header[320];
    size_t count = 0;
    if (!path)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_npy_write: path is NULL");
    if (!t)
        return npy_fail(RUNT_E_INVALID_ARG, path, "runt_npy_write: tensor is NULL");
    runt_status s = check_writable(path, t, &count);
    if (s != RUNT_OK)
        return s;
    size_t len = format_header(t, header);
    FILE *f = fopen(path, "wb");
    if (!f)
        return npy_fail(RUNT_E_IO, path, "cannot open for writing: %s", strerror(errno));
    int ok = fwrite(header, 1, len, f) == len && write_le_f32(f, t->data, count);
    int err = errno;
    if (fclose(f) != 0 && ok) {
        ok = 0;
        err = errno;
    }
    if (!ok)
        return npy_fail(RUNT_E_IO, path, "write failed: %s", strerror(err));
    return RUNT_OK;
}
