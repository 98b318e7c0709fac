#define _POSIX_C_SOURCE 200809L
/* The PNG plots: the file is checked against the PNG and zlib specifications
 * by a decoder written here (bitwise CRC-32, Adler-32, stored deflate
 * blocks), markers land where plot.h's axis mapping says, and Pillow, when
 * installed, decodes the same pixels. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plot.h"
#include "rt_test.h"
#include "runt.h"
#include "test_util.h"

/* ------------------------------------------------------------------------- */
/* Files                                                                     */
/* ------------------------------------------------------------------------- */

typedef struct tmp_png {
    char dir[64], path[96];
} tmp_png;

static void tmp_png_make(tmp_png *t)
{
    strcpy(t->dir, "/tmp/runt-plot-XXXXXX");
    RT_ASSERT(mkdtemp(t->dir) != NULL, "mkdtemp failed");
    snprintf(t->path, sizeof t->path, "%s/plot.png", t->dir);
}

static void tmp_png_remove(tmp_png *t)
{
    remove(t->path);
    rmdir(t->dir);
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    RT_ASSERT(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)size + 1);
    RT_ASSERT(p && fread(p, 1, (size_t)size, f) == (size_t)size, "reading %s", path);
    fclose(f);
    *n = (size_t)size;
    return p;
}

/* ------------------------------------------------------------------------- */
/* An independent PNG decoder for what plot.c writes                         */
/* ------------------------------------------------------------------------- */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* CRC-32 bit by bit, straight from the PNG specification's definition. */
static uint32_t crc32_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

static uint32_t adler32(const uint8_t *p, size_t n)
{
    uint64_t a = 1, b = 0;
    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 65521;
        b = (b + a) % 65521;
    }
    return (uint32_t)(b << 16 | a);
}

typedef struct png_image {
    int w, h;
    uint8_t *rgb;          /* w * h * 3 */
    int n_blocks;
} png_image;

/* Inflates a zlib stream made only of stored blocks, checking every length. */
static uint8_t *inflate_stored(const uint8_t *z, size_t n, size_t want, int *n_blocks)
{
    RT_ASSERT(n >= 6, "zlib stream of %zu bytes is too short", n);
    RT_ASSERT((z[0] & 0x0F) == 8, "CMF 0x%02x: compression method is not deflate", z[0]);
    RT_ASSERT((z[0] >> 4) <= 7, "CMF 0x%02x: window over 32K", z[0]);
    RT_ASSERT(((unsigned)z[0] * 256 + z[1]) % 31 == 0, "FCHECK: CMF*256+FLG is not a multiple of 31");
    RT_ASSERT(!(z[1] & 0x20), "FDICT is set");
    uint8_t *out = malloc(want ? want : 1);
    RT_ASSERT(out != NULL, "malloc");
    size_t pos = 2, got = 0;
    int final = 0;
    *n_blocks = 0;
    while (!final) {
        RT_ASSERT(pos + 5 <= n, "block header at byte %zu runs past the stream", pos);
        final = z[pos] & 1;
        int btype = (z[pos] >> 1) & 3;
        RT_ASSERT(btype == 0, "block %d has type %d; plot.c writes stored blocks", *n_blocks, btype);
        RT_ASSERT((z[pos] >> 3) == 0, "stored block header padding bits are not zero");
        unsigned len = z[pos + 1] | (unsigned)z[pos + 2] << 8;
        unsigned nlen = z[pos + 3] | (unsigned)z[pos + 4] << 8;
        RT_ASSERT((len ^ 0xFFFFu) == nlen, "block %d: NLEN 0x%04x is not the complement of LEN 0x%04x",
                  *n_blocks, nlen, len);
        pos += 5;
        RT_ASSERT(pos + len <= n - 4, "block %d: %u bytes run past the stream", *n_blocks, len);
        RT_ASSERT(got + len <= want, "more than the %zu bytes the image needs", want);
        memcpy(out + got, z + pos, len);
        got += len;
        pos += len;
        (*n_blocks)++;
    }
    RT_ASSERT(got == want, "inflated %zu bytes, the image needs %zu", got, want);
    RT_ASSERT(pos + 4 == n, "%zu bytes after the Adler-32", n - pos - 4);
    RT_ASSERT(be32(z + pos) == adler32(out, got), "Adler-32 0x%08x, computed 0x%08x", be32(z + pos),
              adler32(out, got));
    return out;
}

/* Decodes the file, asserting every structural rule on the way. */
static png_image png_decode(const char *path)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    size_t n;
    uint8_t *p = slurp(path, &n);
    RT_ASSERT(n >= 8 && memcmp(p, sig, 8) == 0, "%s: no PNG signature", path);
    png_image im = {0, 0, NULL, 0};
    uint8_t *z = NULL;
    size_t zn = 0, pos = 8;
    int n_chunks = 0, seen_iend = 0;
    while (pos < n) {
        RT_ASSERT(!seen_iend, "chunk after IEND at byte %zu", pos);
        RT_ASSERT(pos + 12 <= n, "chunk at byte %zu is truncated", pos);
        uint32_t len = be32(p + pos);
        RT_ASSERT(pos + 12 + (size_t)len <= n, "chunk at byte %zu: length %u runs past the file", pos, len);
        const uint8_t *type = p + pos + 4, *data = p + pos + 8;
        uint32_t crc = be32(data + len), want = crc32_bitwise(type, 4 + (size_t)len);
        RT_ASSERT(crc == want, "chunk %.4s: CRC 0x%08x, computed 0x%08x", (const char *)type, crc, want);
        if (n_chunks == 0) {
            RT_ASSERT(memcmp(type, "IHDR", 4) == 0 && len == 13, "first chunk is %.4s (%u bytes), not IHDR",
                      (const char *)type, len);
            im.w = (int)be32(data);
            im.h = (int)be32(data + 4);
            RT_ASSERT(data[8] == 8 && data[9] == 2, "bit depth %d, colour type %d; want 8-bit RGB",
                      data[8], data[9]);
            RT_ASSERT(data[10] == 0 && data[11] == 0 && data[12] == 0,
                      "compression %d, filter %d, interlace %d; want 0, 0, 0", data[10], data[11], data[12]);
        } else if (memcmp(type, "IDAT", 4) == 0) {
            z = realloc(z, zn + len + 1);
            memcpy(z + zn, data, len);
            zn += len;
        } else if (memcmp(type, "IEND", 4) == 0) {
            RT_ASSERT(len == 0, "IEND has %u bytes", len);
            seen_iend = 1;
        } else {
            RT_ASSERT((type[0] & 0x20) != 0, "unknown critical chunk %.4s", (const char *)type);
        }
        pos += 12 + (size_t)len;
        n_chunks++;
    }
    RT_ASSERT(seen_iend, "no IEND chunk");
    RT_ASSERT(zn > 0, "no IDAT chunk");
    size_t row = (size_t)im.w * 3 + 1;
    uint8_t *raw = inflate_stored(z, zn, row * (size_t)im.h, &im.n_blocks);
    im.rgb = malloc((size_t)im.w * (size_t)im.h * 3);
    RT_ASSERT(im.rgb != NULL, "malloc");
    for (int y = 0; y < im.h; y++) {
        RT_ASSERT(raw[y * row] == 0, "row %d has filter type %d; plot.c writes 0 (none)", y, raw[y * row]);
        memcpy(im.rgb + (size_t)y * (row - 1), raw + y * row + 1, row - 1);
    }
    free(raw);
    free(z);
    free(p);
    return im;
}

static const uint8_t *pixel(const png_image *im, int x, int y)
{
    return im->rgb + ((size_t)y * (size_t)im->w + (size_t)x) * 3;
}

/* A series colour, not a shade of grey (text, axes, grid and the diagonal are grey). */
static int saturated(const uint8_t *p)
{
    int mx = p[0], mn = p[0];
    for (int i = 1; i < 3; i++) {
        mx = p[i] > mx ? p[i] : mx;
        mn = p[i] < mn ? p[i] : mn;
    }
    return mx - mn > 60;
}

/* ------------------------------------------------------------------------- */
/* Tests                                                                     */
/* ------------------------------------------------------------------------- */

RT_TEST(plot, png_structure_and_stored_blocks)
{
    double x[4] = {3, 40, 700, 7000}, y[4] = {2, 30, 45, 900};
    const char *labels[4] = {"a", "model2", "c", "seed0_complex"};
    runt_plot_series s = {"cpu", 4, x, y, labels, 0};
    runt_plot_spec spec = {"Latency vs FLOPs", "FLOPs", "latency (us)", 1, 1, 1, &s, 0};
    tmp_png t;
    tmp_png_make(&t);
    /* 401 x 303: the raw stream (303 rows of 1 + 3 * 401 bytes) is not a
     * multiple of 65535, so the last stored block is a short one. */
    RT_ASSERT(runt_plot_write_png(&spec, 401, 303, t.path) == RUNT_OK, "write: %s", runt_last_error());
    png_image im = png_decode(t.path);
    RT_ASSERT(im.w == 401 && im.h == 303, "decoded %dx%d, asked for 401x303", im.w, im.h);
    size_t raw = (size_t)303 * (1 + 3 * 401);
    RT_ASSERT(im.n_blocks == (int)((raw + 65534) / 65535), "%d stored blocks for %zu bytes", im.n_blocks, raw);
    int dark = 0, white = 0;
    for (int i = 0; i < im.w * im.h; i++) {
        const uint8_t *p = im.rgb + 3 * i;
        dark += p[0] < 100 && p[1] < 100 && p[2] < 100;
        white += p[0] == 255 && p[1] == 255 && p[2] == 255;
    }
    RT_ASSERT(dark > 500, "only %d dark pixels: axes and text are missing", dark);
    RT_ASSERT(white > im.w * im.h / 2, "only %d white pixels of %d", white, im.w * im.h);
    free(im.rgb);
    tmp_png_remove(&t);
}

/* Centroid of the series-coloured pixels within r of (cx, cy). */
static void centroid(const png_image *im, int cx, int cy, int r, double *mx, double *my, int *count)
{
    double sx = 0, sy = 0;
    int n = 0;
    for (int y = cy - r; y <= cy + r; y++)
        for (int x = cx - r; x <= cx + r; x++)
            if (x >= 0 && y >= 0 && x < im->w && y < im->h && saturated(pixel(im, x, y))) {
                sx += x;
                sy += y;
                n++;
            }
    *count = n;
    *mx = n ? sx / n : -1;
    *my = n ? sy / n : -1;
}

/* The mapping of plot.h, written out again here. */
static void expect_pixel(const runt_plot_frame *f, double X, double Y, int *col, int *row)
{
    *col = (int)floor(f->left + (X - f->x0) / (f->x1 - f->x0) * (f->right - f->left) + 0.5);
    *row = (int)floor(f->bottom - (Y - f->y0) / (f->y1 - f->y0) * (f->bottom - f->top) + 0.5);
}

static void check_markers(const runt_plot_spec *spec, int w, int h, int log_x, int log_y)
{
    tmp_png t;
    tmp_png_make(&t);
    runt_plot_frame f;
    RT_ASSERT(runt_plot_frame_get(spec, w, h, &f) == RUNT_OK, "frame: %s", runt_last_error());
    RT_ASSERT(f.left > 0 && f.right < w - 1 && f.top > 0 && f.bottom < h - 1 && f.left < f.right &&
              f.top < f.bottom, "plot area [%d, %d] x [%d, %d] in a %dx%d image", f.left, f.right,
              f.top, f.bottom, w, h);
    RT_ASSERT(runt_plot_write_png(spec, w, h, t.path) == RUNT_OK, "write: %s", runt_last_error());
    png_image im = png_decode(t.path);
    int r = 2 * f.scale + 1; /* a marker's radius is documented as within 2 * scale + 1 */
    const runt_plot_series *s = &spec->series[0];
    for (int j = 0; j < s->n; j++) {
        double X = log_x ? log10(s->x[j]) : s->x[j], Y = log_y ? log10(s->y[j]) : s->y[j];
        int col, row, count;
        double mx, my;
        expect_pixel(&f, X, Y, &col, &row);
        centroid(&im, col, row, r + 2, &mx, &my, &count);
        RT_ASSERT(count >= 5, "point %d (%g, %g): %d coloured pixels near (%d, %d)", j, s->x[j],
                  s->y[j], count, col, row);
        RT_ASSERT(fabs(mx - col) <= 0.5 && fabs(my - row) <= 0.5,
                  "point %d (%g, %g): marker centred at (%.2f, %.2f), expected (%d, %d)", j, s->x[j],
                  s->y[j], mx, my, col, row);
        RT_ASSERT(saturated(pixel(&im, col, row)), "point %d: pixel (%d, %d) is not the marker's", j,
                  col, row);
    }
    free(im.rgb);
    tmp_png_remove(&t);
}

RT_TEST(plot, markers_land_where_the_log_mapping_says)
{
    rt_rng rng = rt_rng_make(61);
    double x[6], y[6];
    for (int i = 0; i < 6; i++) {
        /* one point per decade, so the markers' neighbourhoods do not overlap */
        x[i] = pow(10.0, i + rt_rng_uniform(&rng, 0.2, 0.8));
        y[i] = pow(10.0, 3 - i * 0.5 + rt_rng_uniform(&rng, 0.0, 0.4));
    }
    runt_plot_series s = {NULL, 6, x, y, NULL, 0};
    runt_plot_spec spec = {"t", "x", "y", 1, 1, 1, &s, 0};
    runt_plot_frame f;
    RT_ASSERT(runt_plot_frame_get(&spec, 640, 480, &f) == RUNT_OK, "frame: %s", runt_last_error());
    /* decades: floor(log10(min)) to ceil(log10(max)) */
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (int i = 0; i < 6; i++) {
        xlo = fmin(xlo, x[i]);
        xhi = fmax(xhi, x[i]);
        ylo = fmin(ylo, y[i]);
        yhi = fmax(yhi, y[i]);
    }
    RT_ASSERT(f.x0 == floor(log10(xlo)) && f.x1 == ceil(log10(xhi)), "x limits [%g, %g] for data [%g, %g]",
              f.x0, f.x1, xlo, xhi);
    RT_ASSERT(f.y0 == floor(log10(ylo)) && f.y1 == ceil(log10(yhi)), "y limits [%g, %g] for data [%g, %g]",
              f.y0, f.y1, ylo, yhi);
    check_markers(&spec, 640, 480, 1, 1);
}

RT_TEST(plot, markers_land_where_the_linear_mapping_says)
{
    double x[3] = {1.5, 4.0, 8.5}, y[3] = {12.0, 55.0, 31.0};
    runt_plot_series s = {NULL, 3, x, y, NULL, 0};
    runt_plot_spec spec = {NULL, NULL, NULL, 0, 0, 1, &s, 0};
    runt_plot_frame f;
    RT_ASSERT(runt_plot_frame_get(&spec, 500, 400, &f) == RUNT_OK, "frame: %s", runt_last_error());
    RT_ASSERT(f.x0 <= 1.5 && f.x1 >= 8.5 && f.y0 <= 12.0 && f.y1 >= 55.0,
              "limits [%g, %g] x [%g, %g] do not cover the data", f.x0, f.x1, f.y0, f.y1);
    check_markers(&spec, 500, 400, 0, 0);
}

RT_TEST(plot, diagonal_shares_the_limits_and_bad_values_are_skipped)
{
    double x[5] = {5.0, NAN, -3.0, 2000.0, INFINITY}, y[5] = {40.0, 7.0, 8.0, 300.0, 2.0};
    runt_plot_series s = {"pred", 5, x, y, NULL, 0};
    runt_plot_spec spec = {"p", "measured", "predicted", 1, 1, 1, &s, 1};
    runt_plot_frame f;
    RT_ASSERT(runt_plot_frame_get(&spec, 600, 600, &f) == RUNT_OK, "frame: %s", runt_last_error());
    /* drawable points: (5, 40) and (2000, 300): values 5 .. 2000 on both axes */
    RT_ASSERT(f.x0 == 0 && f.x1 == 4 && f.y0 == 0 && f.y1 == 4, "limits [%g, %g] x [%g, %g], want "
              "decades 0..4 on both axes", f.x0, f.x1, f.y0, f.y1);
    tmp_png t;
    tmp_png_make(&t);
    RT_ASSERT(runt_plot_write_png(&spec, 600, 600, t.path) == RUNT_OK, "write: %s", runt_last_error());
    png_image im = png_decode(t.path);
    /* The diagonal passes through the plot area's centre, drawn in grey. */
    int col, row;
    expect_pixel(&f, 2.0, 2.0, &col, &row);
    const uint8_t *p = pixel(&im, col, row);
    RT_ASSERT(p[0] == p[1] && p[1] == p[2] && p[0] < 200, "pixel (%d, %d) on y = x is (%d, %d, %d)",
              col, row, p[0], p[1], p[2]);
    free(im.rgb);
    tmp_png_remove(&t);

    /* A single value: one decade either side. No value at all: [0, 1]. */
    double one = 300.0;
    runt_plot_series s1 = {NULL, 1, &one, &one, NULL, 0};
    runt_plot_spec spec1 = {NULL, NULL, NULL, 1, 0, 1, &s1, 0};
    RT_ASSERT(runt_plot_frame_get(&spec1, 300, 200, &f) == RUNT_OK, "frame: %s", runt_last_error());
    RT_ASSERT(f.x0 == 2 && f.x1 == 3, "x limits [%g, %g] for the single value 300", f.x0, f.x1);
    RT_ASSERT(f.y0 < 300 && f.y1 > 300, "y limits [%g, %g] for the single value 300", f.y0, f.y1);
    runt_plot_spec empty = {"nothing", NULL, NULL, 1, 0, 0, NULL, 0};
    RT_ASSERT(runt_plot_frame_get(&empty, 300, 200, &f) == RUNT_OK, "frame: %s", runt_last_error());
    RT_ASSERT(f.x0 == 0 && f.x1 == 1 && f.y0 == 0 && f.y1 == 1, "empty plot limits [%g, %g] x [%g, %g]",
              f.x0, f.x1, f.y0, f.y1);
}

RT_TEST(plot, sizes_at_the_limits_render)
{
    /* A roofline with lines, long legend text (legend rows below the plot). */
    double rx[3] = {0.01, 12.5, 1000}, ry[3] = {0.8, 1000, 1000};
    double mx[2] = {0.5, 40}, my[2] = {20, 600};
    runt_plot_series s[2] = {{"roof: 1000 GFLOP/s peak, 80 GB/s DRAM bandwidth", 3, rx, ry, NULL, 1},
                             {"measured", 2, mx, my, NULL, 0}};
    runt_plot_spec spec = {"Roofline with a long title that does not fit a tiny image", "intensity",
                           "GFLOP/s", 1, 1, 2, s, 0};
    const int sizes[3][2] = {{64, 64}, {64, 900}, {1500, 70}};
    for (int i = 0; i < 3; i++) {
        tmp_png t;
        tmp_png_make(&t);
        RT_ASSERT(runt_plot_write_png(&spec, sizes[i][0], sizes[i][1], t.path) == RUNT_OK,
                  "%dx%d: %s", sizes[i][0], sizes[i][1], runt_last_error());
        png_image im = png_decode(t.path);
        RT_ASSERT(im.w == sizes[i][0] && im.h == sizes[i][1], "decoded %dx%d", im.w, im.h);
        free(im.rgb);
        tmp_png_remove(&t);
    }
}

RT_TEST(plot, extreme_values_render)
{
    /* Spans that overflow a double when subtracted, 600 decades, a span
     * below the resolution of its magnitude, and huge point labels. */
    double x1[2] = {-1.7e308, 1.7e308}, y1[2] = {1e-300, 1e300};
    double x2[2] = {1e9, 1e9 + 1e-6}, y2[2] = {3.0, 3.0};
    char long_label[400];
    memset(long_label, 'x', sizeof long_label - 1);
    long_label[sizeof long_label - 1] = '\0';
    const char *labels[2] = {long_label, ""};
    runt_plot_series s1 = {long_label, 2, x1, y1, labels, 1};
    runt_plot_series s2 = {"tiny span", 2, x2, y2, NULL, 0};
    runt_plot_spec specs[2] = {{"huge", "x", "y", 0, 1, 1, &s1, 1}, {"tiny", "x", "y", 0, 0, 1, &s2, 0}};
    for (int i = 0; i < 2; i++) {
        tmp_png t;
        tmp_png_make(&t);
        RT_ASSERT(runt_plot_write_png(&specs[i], 300, 200, t.path) == RUNT_OK, "spec %d: %s", i,
                  runt_last_error());
        png_image im = png_decode(t.path);
        RT_ASSERT(im.w == 300 && im.h == 200, "spec %d: decoded %dx%d", i, im.w, im.h);
        free(im.rgb);
        tmp_png_remove(&t);
    }
}

RT_TEST(plot, bad_arguments_are_refused)
{
    double x[2] = {1, 2}, y[2] = {3, 4};
    runt_plot_series ok = {"s", 2, x, y, NULL, 0};
    runt_plot_spec spec = {"t", "x", "y", 0, 0, 1, &ok, 0};
    const char *path = "/tmp/runt-plot-never-written.png";
    RT_ASSERT(runt_plot_write_png(NULL, 100, 100, path) == RUNT_E_INVALID_ARG, "NULL spec");
    RT_ASSERT(strstr(runt_last_error(), "spec"), "message: %s", runt_last_error());
    RT_ASSERT(runt_plot_write_png(&spec, 63, 100, path) == RUNT_E_INVALID_ARG, "width 63");
    RT_ASSERT(runt_plot_write_png(&spec, 100, 8193, path) == RUNT_E_INVALID_ARG, "height 8193");
    RT_ASSERT(runt_plot_write_png(&spec, 0, -5, path) == RUNT_E_INVALID_ARG, "size 0x-5");
    RT_ASSERT(strstr(runt_last_error(), "size"), "message: %s", runt_last_error());
    RT_ASSERT(runt_plot_write_png(&spec, 100, 100, NULL) == RUNT_E_INVALID_ARG, "NULL path");

    runt_plot_series neg = {"neg", -1, x, y, NULL, 0};
    runt_plot_spec bad = spec;
    bad.series = &neg;
    RT_ASSERT(runt_plot_write_png(&bad, 100, 100, path) == RUNT_E_INVALID_ARG, "n < 0");
    RT_ASSERT(strstr(runt_last_error(), "neg"), "message names the series: %s", runt_last_error());
    runt_plot_series nox = {"nox", 2, NULL, y, NULL, 0};
    bad.series = &nox;
    RT_ASSERT(runt_plot_write_png(&bad, 100, 100, path) == RUNT_E_INVALID_ARG, "x NULL");
    bad.series = NULL;
    RT_ASSERT(runt_plot_write_png(&bad, 100, 100, path) == RUNT_E_INVALID_ARG, "series NULL");
    bad.series = &ok;
    bad.n_series = -2;
    RT_ASSERT(runt_plot_write_png(&bad, 100, 100, path) == RUNT_E_INVALID_ARG, "n_series < 0");
    RT_ASSERT(access(path, F_OK) != 0, "a refused call wrote %s", path);

    runt_plot_frame f;
    RT_ASSERT(runt_plot_frame_get(&spec, 100, 100, NULL) == RUNT_E_INVALID_ARG, "frame out NULL");
    RT_ASSERT(runt_plot_frame_get(NULL, 100, 100, &f) == RUNT_E_INVALID_ARG, "frame spec NULL");

    const char *unwritable = "/nonexistent-runt-dir/plot.png";
    RT_ASSERT(runt_plot_write_png(&spec, 100, 100, unwritable) == RUNT_E_IO, "unwritable path");
    RT_ASSERT(strstr(runt_last_error(), unwritable), "message names the path: %s", runt_last_error());
}

RT_TEST(plot, font_covers_printable_ascii)
{
    const unsigned char *space = runt_plot_glyph(' ');
    for (int r = 0; r < RUNT_PLOT_GLYPH_H; r++)
        RT_ASSERT(space[r] == 0, "space has ink in row %d", r);
    for (int c = 33; c <= 126; c++) {
        const unsigned char *g = runt_plot_glyph(c);
        int ink = 0;
        for (int r = 0; r < RUNT_PLOT_GLYPH_H; r++) {
            RT_ASSERT(g[r] < (1u << RUNT_PLOT_GLYPH_W), "'%c' row %d uses bits beyond 5 columns", c, r);
            ink += g[r] != 0;
        }
        RT_ASSERT(ink > 0, "'%c' has no ink", c);
        for (int d = 33; d < c; d++)
            RT_ASSERT(memcmp(g, runt_plot_glyph(d), RUNT_PLOT_GLYPH_H) != 0, "'%c' and '%c' look the same",
                      c, d);
    }
    RT_ASSERT(runt_plot_glyph(200) == runt_plot_glyph('?') && runt_plot_glyph(7) == runt_plot_glyph('?'),
              "characters outside 32..126 are drawn as '?'");
}

RT_TEST(plot, pillow_decodes_the_same_pixels)
{
    if (system("python3 -c 'import PIL' >/dev/null 2>&1") != 0)
        RT_SKIP("python3 with Pillow (PIL) is not available, so the PNG is not cross-checked");
    double x[3] = {1e3, 1e5, 1e7}, y[3] = {2, 30, 4000};
    const char *labels[3] = {"small", "mid", "big"};
    runt_plot_series s = {"cpu", 3, x, y, labels, 0};
    runt_plot_spec spec = {"Pillow check", "FLOPs", "us", 1, 1, 1, &s, 1};
    tmp_png t;
    tmp_png_make(&t);
    RT_ASSERT(runt_plot_write_png(&spec, 333, 222, t.path) == RUNT_OK, "write: %s", runt_last_error());
    char raw_path[128], cmd[512];
    snprintf(raw_path, sizeof raw_path, "%s/pillow.rgb", t.dir);
    snprintf(cmd, sizeof cmd, "python3 -c \"import sys; from PIL import Image; im = Image.open(sys.argv[1]); "
             "im.load(); assert im.mode == 'RGB' and im.size == (333, 222), (im.mode, im.size); "
             "open(sys.argv[2], 'wb').write(im.tobytes())\" %s %s", t.path, raw_path);
    RT_ASSERT(system(cmd) == 0, "Pillow could not decode the PNG (%s)", cmd);
    size_t n;
    uint8_t *theirs = slurp(raw_path, &n);
    png_image im = png_decode(t.path);
    RT_ASSERT(n == (size_t)333 * 222 * 3, "Pillow gave %zu bytes", n);
    RT_ASSERT(memcmp(theirs, im.rgb, n) == 0, "Pillow's pixels differ from the decoder's");
    free(theirs);
    free(im.rgb);
    remove(raw_path);
    tmp_png_remove(&t);
}
