/*
 * Plots for the bench reports: axes with ticks and numeric labels (decades on
 * log axes), a grid, one colour and marker shape per series, point labels
 * placed so they do not cover each other where there is room, a legend, and
 * the y = x diagonal. The image is drawn on an RGB canvas and written as a
 * PNG (RGB, 8 bits) whose zlib stream holds stored deflate blocks: a plot is
 * small, so compression is not worth a deflate encoder here.
 */
#include "plot.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runt-backend.h"

/* ------------------------------------------------------------------------- */
/* Canvas                                                                    */
/* ------------------------------------------------------------------------- */

typedef struct plot_canvas {
    int w, h;
    uint8_t *rgb;              /* w * h * 3 bytes, rows top to bottom */
} plot_canvas;

#define PLOT_WHITE 0xFFFFFFu
#define PLOT_BLACK 0x000000u
#define PLOT_AXIS 0x404040u
#define PLOT_TEXT 0x202020u
#define PLOT_LABEL_TEXT 0x505050u
#define PLOT_GRID 0xE0E0E0u
#define PLOT_GRID_MINOR 0xF0F0F0u
#define PLOT_DIAGONAL 0x909090u

/* Tableau's ten-colour palette (minus its grey, kept for the diagonal):
 * colours that stay distinct for most colour-blind readers. */
static const uint32_t plot_palette[] = {0x1F77B4, 0xFF7F0E, 0x2CA02C, 0xD62728, 0x9467BD,
                                        0x8C564B, 0xE377C2, 0xBCBD22, 0x17BECF};
#define PLOT_N_COLOURS ((int)(sizeof plot_palette / sizeof plot_palette[0]))
#define PLOT_N_SHAPES 8

static void plot_px(plot_canvas *c, int x, int y, uint32_t col)
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h)
        return;
    uint8_t *p = c->rgb + ((size_t)y * (size_t)c->w + (size_t)x) * 3;
    p[0] = (uint8_t)(col >> 16);
    p[1] = (uint8_t)(col >> 8);
    p[2] = (uint8_t)col;
}

static void plot_fill(plot_canvas *c, int x0, int y0, int x1, int y1, uint32_t col)
{
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++)
            plot_px(c, x, y, col);
}

/* Bresenham with a square pen of thick pixels; dash > 0 draws dash pixels
 * on, dash off. */
static void plot_line(plot_canvas *c, int x0, int y0, int x1, int y1, uint32_t col, int thick,
                      int dash)
{
    int dx = abs(x1 - x0), dy = -abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
    int lo = -(thick - 1) / 2, hi = thick / 2;
    for (int step = 0;; step++) {
        if (dash <= 0 || (step / dash) % 2 == 0)
            plot_fill(c, x0 + lo, y0 + lo, x0 + hi, y0 + hi, col);
        if (x0 == x1 && y0 == y1)
            break;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

/* ------------------------------------------------------------------------- */
/* Text                                                                      */
/* ------------------------------------------------------------------------- */

/* A glyph cell is one column and two rows wider than the glyph. */
#define PLOT_ADVANCE (RUNT_PLOT_GLYPH_W + 1)

static int plot_text_w(const char *s, int scale)
{
    size_t n = s ? strlen(s) : 0;
    return n ? (int)n * PLOT_ADVANCE * scale - scale : 0;
}

static int plot_text_h(int scale) { return RUNT_PLOT_GLYPH_H * scale; }

/* Left-to-right text with its top-left corner at (x, y). */
static void plot_text(plot_canvas *c, int x, int y, const char *s, uint32_t col, int scale)
{
    for (int i = 0; s && s[i]; i++) {
        const unsigned char *g = runt_plot_glyph((unsigned char)s[i]);
        for (int r = 0; r < RUNT_PLOT_GLYPH_H; r++)
            for (int k = 0; k < RUNT_PLOT_GLYPH_W; k++)
                if (g[r] >> (RUNT_PLOT_GLYPH_W - 1 - k) & 1)
                    plot_fill(c, x + (i * PLOT_ADVANCE + k) * scale, y + r * scale,
                              x + (i * PLOT_ADVANCE + k) * scale + scale - 1,
                              y + r * scale + scale - 1, col);
    }
}

/* Text turned 90 degrees anticlockwise (read bottom to top), as a y-axis
 * label is; (x, y) is the bottom-left corner of the turned text. */
static void plot_text_up(plot_canvas *c, int x, int y, const char *s, uint32_t col, int scale)
{
    for (int i = 0; s && s[i]; i++) {
        const unsigned char *g = runt_plot_glyph((unsigned char)s[i]);
        for (int r = 0; r < RUNT_PLOT_GLYPH_H; r++)
            for (int k = 0; k < RUNT_PLOT_GLYPH_W; k++)
                if (g[r] >> (RUNT_PLOT_GLYPH_W - 1 - k) & 1) {
                    int px = x + r * scale, py = y - (i * PLOT_ADVANCE + k + 1) * scale + 1;
                    plot_fill(c, px, py, px + scale - 1, py + scale - 1, col);
                }
    }
}

/* ------------------------------------------------------------------------- */
/* Axes                                                                      */
/* ------------------------------------------------------------------------- */

typedef struct plot_axis {
    int log;
    double lo, hi;             /* limits in axis coordinates          */
    double step;               /* linear: tick step; log: 1 (a decade) */
} plot_axis;

/* The axis coordinate of v, or 0 when v cannot be drawn on the axis. */
static int plot_coord(int log, double v, double *out)
{
    if (!isfinite(v) || (log && v <= 0.0))
        return 0;
    *out = log ? log10(v) : v;
    return isfinite(*out);
}

/* A tick step of 1, 2 or 5 times a power of ten giving about `ticks` steps. */
static double plot_nice_step(double span, int ticks)
{
    double raw = span / (ticks > 1 ? ticks : 1);
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    return (f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 5.0 ? 5.0 : 10.0) * mag;
}

/* Limits from the data range [lo, hi] (lo > hi: no data), as plot.h says. */
static void plot_axis_fit(plot_axis *a, double lo, double hi, int ticks)
{
    if (lo > hi) {
        lo = 0.0;
        hi = 1.0;
    }
    if (a->log) {
        a->lo = floor(lo);
        a->hi = ceil(hi);
        if (a->lo == a->hi) {
            a->lo -= 1.0;
            a->hi += 1.0;
        }
        a->step = 1.0;
        return;
    }
    if (lo == hi) {
        double d = lo == 0.0 ? 1.0 : fabs(lo) * 0.5;
        lo -= d;
        hi += d;
    }
    /* hi - lo overflows for data near +-DBL_MAX; half of each does not. */
    double span = hi - lo;
    a->step = isfinite(span) ? plot_nice_step(span, ticks)
                             : 2.0 * plot_nice_step(hi / 2 - lo / 2, ticks);
    a->lo = floor(lo / a->step) * a->step;
    a->hi = ceil(hi / a->step) * a->step;
    if (a->hi <= a->lo) /* the span is below the resolution of doubles at this magnitude */
        a->hi = a->lo + a->step;
}

/* Writes v / 10^e (e a multiple of 3) with an SI suffix: 1.5M, 20k. */
static void plot_si(double v, int e, int decimals, char *buf, size_t size)
{
    static const char *const suffix[] = {"", "k", "M", "G", "T", "P", "E"};
    snprintf(buf, size, "%.*f%s", decimals, v / pow(10.0, e), suffix[e / 3]);
}

/* A tick label. Decades read 0.01, 0.1, 1, 10, 100, 1k, 10k, ... 1E (SI
 * suffixes, as FLOPs and bytes are spoken of) and 1e-3 and below; linear
 * ticks get as many decimals as the step needs, and an SI suffix from 10^4 on. */
static void plot_tick_label(const plot_axis *a, double v, char *buf, size_t size)
{
    if (a->log) {
        int k = (int)lround(v);
        if (k >= 0 && k <= 20)
            plot_si(pow(10.0, k), k / 3 * 3 > 18 ? 18 : k / 3 * 3, 0, buf, size);
        else if (k < 0 && k >= -2)
            snprintf(buf, size, "%.*f", -k, pow(10.0, k));
        else
            snprintf(buf, size, "1e%d", k);
        return;
    }
    double big = fmax(fabs(a->lo), fabs(a->hi));
    if (fabs(v) < a->step * 1e-6)
        v = 0.0; /* no "-0" or "1e-17" where the tick is zero */
    if (big >= 1e21 || a->step < 1e-4) {
        snprintf(buf, size, "%.3g", v);
        return;
    }
    int e = big >= 1e4 ? (int)floor(log10(big) / 3.0) * 3 : 0;
    double step = a->step / pow(10.0, e);
    int decimals = step >= 1.0 ? 0 : (int)ceil(-log10(step) - 1e-9);
    plot_si(v, e, decimals, buf, size);
}

/* Ticks from lo to hi, one per step; capped so that absurd ranges (300
 * decades) still draw in bounded time, with labels thinned by the layout. */
#define PLOT_MAX_TICKS 1000
static int plot_tick_count(const plot_axis *a)
{
    double n = a->hi / a->step - a->lo / a->step;
    return n >= 0 && n < PLOT_MAX_TICKS ? (int)lround(n) + 1 : PLOT_MAX_TICKS;
}

/* ------------------------------------------------------------------------- */
/* Layout                                                                    */
/* ------------------------------------------------------------------------- */

#define PLOT_TITLE_LINES 3
#define PLOT_TITLE_CHARS 256
#define PLOT_TITLE_LINE(s) (RUNT_PLOT_GLYPH_H * (s) + (s))

typedef struct plot_layout {
    runt_plot_frame f;
    plot_axis x, y;
    int label_every_x, label_every_y;  /* label every k-th tick */
    int n_legend;                      /* series with a label */
    int legend_below;                  /* 0: a column right of the plot; 1: rows below it */
    int legend_x, legend_y;            /* where the first entry goes  */
    int legend_w;                      /* the column's width           */
    int n_title;                       /* the title, wrapped to the image's width */
    char title[PLOT_TITLE_LINES][PLOT_TITLE_CHARS];
} plot_layout;

/* ------------------------------------------------------------------------- */
/* Legend                                                                    */
/* ------------------------------------------------------------------------- */

#define PLOT_SWATCH(s) (18 * (s))                 /* marker or line sample, and a gap */
#define PLOT_ROW_H(s) (RUNT_PLOT_GLYPH_H * (s) + 3 * (s))

static uint32_t plot_series_colour(int i);
static int plot_series_shape(int i);
static int plot_marker_r(int scale);
static void plot_marker(plot_canvas *c, int x, int y, int shape, uint32_t col, int r);

/* Shortens text with "..." until it fits in w pixels (in buf). */
static const char *plot_fit_text(const char *text, int w, int scale, char *buf, size_t size)
{
    if (plot_text_w(text, scale) <= w)
        return text;
    size_t n = strlen(text);
    while (n > 0) {
        n--;
        snprintf(buf, size, "%.*s...", (int)n, text);
        if (plot_text_w(buf, scale) <= w)
            return buf;
    }
    return "";
}

/* Series i's sample and label at (x, y), at most w pixels wide. */
static void plot_legend_entry(plot_canvas *c, const runt_plot_spec *spec, const plot_layout *L,
                              int i, int x, int y, int w)
{
    const runt_plot_series *se = &spec->series[i];
    int s = L->f.scale, mid = y + 7 * s / 2, sw = PLOT_SWATCH(s) - 2 * s;
    char buf[256];
    if (se->draw_lines)
        plot_line(c, x, mid, x + sw - 1, mid, plot_series_colour(i), s, 0);
    else
        plot_marker(c, x + sw / 2, mid, plot_series_shape(i), plot_series_colour(i),
                    plot_marker_r(s));
    plot_text(c, x + PLOT_SWATCH(s), y, plot_fit_text(se->label, w - PLOT_SWATCH(s), s, buf,
                                                      sizeof buf), PLOT_TEXT, s);
}

/* Legend entries in rows from x0 to x_max starting at row y0, wrapping as
 * text does; draws them when c is not NULL. Returns the number of rows. */
static int plot_legend_flow(plot_canvas *c, const runt_plot_spec *spec, const plot_layout *L,
                            int x0, int x_max, int y0)
{
    int s = L->f.scale, gap = 4 * PLOT_ADVANCE * s / 2, x = x0, rows = 0;
    for (int i = 0; i < spec->n_series; i++) {
        const char *label = spec->series[i].label;
        if (!label)
            continue;
        int w = PLOT_SWATCH(s) + plot_text_w(label, s);
        if (w > x_max - x0)
            w = x_max - x0;
        if (rows == 0 || x + w > x_max) {
            rows++;
            x = x0;
        }
        if (c)
            plot_legend_entry(c, spec, L, i, x, y0 + (rows - 1) * PLOT_ROW_H(s), w);
        x += w + gap;
    }
    return rows;
}

/* Breaks text at spaces into at most PLOT_TITLE_LINES lines of at most w
 * pixels; a word longer than a line, and whatever does not fit the last
 * line, is cut with "...". Returns the number of lines. */
static int plot_wrap(const char *text, int w, int scale, char lines[][PLOT_TITLE_CHARS])
{
    int n = 0;
    char cut[PLOT_TITLE_CHARS], fitted[PLOT_TITLE_CHARS];
    while (text && n < PLOT_TITLE_LINES) {
        while (*text == ' ')
            text++;
        size_t len = strlen(text), take = 0, first_word = strcspn(text, " ");
        if (!len)
            break;
        /* the longest run of whole words that fits */
        for (size_t k = 1; k <= len && k * PLOT_ADVANCE * (size_t)scale <= (size_t)(w + scale); k++)
            if (k == len || text[k] == ' ')
                take = k;
        if (n + 1 == PLOT_TITLE_LINES)
            take = len;
        else if (take == 0)
            take = first_word;
        snprintf(cut, sizeof cut, "%.*s", (int)(take < sizeof cut - 1 ? take : sizeof cut - 1),
                 text);
        snprintf(lines[n++], PLOT_TITLE_CHARS, "%s",
                 plot_fit_text(cut, w, scale, fitted, sizeof fitted));
        text += take;
    }
    return n;
}

static runt_status plot_check(const runt_plot_spec *spec, int width, int height, const char *fn)
{
    if (!spec)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: spec is NULL", fn);
    if (width < RUNT_PLOT_MIN_SIZE || width > RUNT_PLOT_MAX_SIZE || height < RUNT_PLOT_MIN_SIZE ||
        height > RUNT_PLOT_MAX_SIZE)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: image size %dx%d is outside [%d, %d]", fn,
                              width, height, RUNT_PLOT_MIN_SIZE, RUNT_PLOT_MAX_SIZE);
    if (spec->n_series < 0 || (spec->n_series > 0 && !spec->series))
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: n_series is %d and series is %s", fn,
                              spec->n_series, spec->series ? "set" : "NULL");
    for (int i = 0; i < spec->n_series; i++) {
        const runt_plot_series *s = &spec->series[i];
        if (s->n < 0)
            return runt_error_set(RUNT_E_INVALID_ARG, "%s: series %d ('%s'): n is %d", fn, i,
                                  s->label ? s->label : "", s->n);
        if (s->n > 0 && (!s->x || !s->y))
            return runt_error_set(RUNT_E_INVALID_ARG, "%s: series %d ('%s'): %s is NULL", fn, i,
                                  s->label ? s->label : "", !s->x ? "x" : "y");
    }
    return RUNT_OK;
}

/* The range of the drawable values of x (which = 0) or y (1) over all series. */
static void plot_data_range(const runt_plot_spec *spec, int which, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int i = 0; i < spec->n_series; i++) {
        const runt_plot_series *s = &spec->series[i];
        for (int j = 0; j < s->n; j++) {
            double vx, vy;
            if (!plot_coord(spec->log_x, s->x[j], &vx) || !plot_coord(spec->log_y, s->y[j], &vy))
                continue;
            double v = which ? vy : vx;
            *lo = fmin(*lo, v);
            *hi = fmax(*hi, v);
        }
    }
}

/* Every k-th tick gets a label so that labels keep `room` pixels apart. */
static int plot_label_every(const plot_axis *a, int pixels, int room)
{
    int n = plot_tick_count(a);
    if (n < 2 || room <= 0)
        return 1;
    double per_tick = (double)pixels / (n - 1);
    int k = (int)ceil(room / fmax(per_tick, 1e-9));
    return k < 1 ? 1 : k;
}

static int plot_widest_tick_label(const plot_axis *a, int scale)
{
    char buf[48];
    int w = 0, n = plot_tick_count(a);
    for (int i = 0; i < n; i++) {
        plot_tick_label(a, a->lo + i * a->step, buf, sizeof buf);
        int tw = plot_text_w(buf, scale);
        w = tw > w ? tw : w;
    }
    return w;
}

static runt_status plot_layout_make(const runt_plot_spec *spec, int width, int height,
                                    const char *fn, plot_layout *L)
{
    runt_status st = plot_check(spec, width, height, fn);
    if (st != RUNT_OK)
        return st;
    memset(L, 0, sizeof *L);
    double s_raw = fmin(width / 360.0, height / 270.0);
    int s = (int)lround(s_raw);
    s = s < 1 ? 1 : s;
    L->f.scale = s;
    L->x.log = spec->log_x != 0;
    L->y.log = spec->log_y != 0;

    double xlo, xhi, ylo, yhi;
    plot_data_range(spec, 0, &xlo, &xhi);
    plot_data_range(spec, 1, &ylo, &yhi);
    if (spec->diagonal && L->x.log == L->y.log) {
        xlo = ylo = fmin(xlo, ylo);
        xhi = yhi = fmax(xhi, yhi);
    }
    plot_axis_fit(&L->x, xlo, xhi, width / 100 > 2 ? width / 100 : 2);
    plot_axis_fit(&L->y, ylo, yhi, height / 60 > 2 ? height / 60 : 2);

    int pad = 4 * s, th = plot_text_h(s), tick = 4 * s;
    int ytick_w = plot_widest_tick_label(&L->y, s);
    int left = pad + (spec->y_label && *spec->y_label ? th + pad : 0) + ytick_w + 2 * s + tick;
    L->n_title = plot_wrap(spec->title, width - 2 * pad, s, L->title);
    int top = pad + (L->n_title ? L->n_title * PLOT_TITLE_LINE(s) + pad : th / 2);
    int bottom = tick + 2 * s + th + (spec->x_label && *spec->x_label ? pad + th : 0) + pad;

    /* The legend never covers data: a column on the right when its labels
     * are short, else rows under the x-axis label. */
    int label_w = 0, right;
    for (int i = 0; i < spec->n_series; i++)
        if (spec->series[i].label) {
            int w = plot_text_w(spec->series[i].label, s);
            label_w = w > label_w ? w : label_w;
            L->n_legend++;
        }
    if (L->n_legend && PLOT_SWATCH(s) + label_w <= width / 4) {
        L->legend_w = PLOT_SWATCH(s) + label_w;
        right = 2 * pad + L->legend_w + pad;
    } else {
        right = pad + plot_widest_tick_label(&L->x, s) / 2 + pad;
    }
    if (L->n_legend && !L->legend_w) {
        L->legend_below = 1;
        L->legend_y = bottom;  /* below the plot area's bottom edge, for now */
        int rows = plot_legend_flow(NULL, spec, L, left, width - pad, 0);
        bottom += rows * PLOT_ROW_H(s);
    }

    /* Tiny images: squeeze the margins rather than lose the plot area. */
    if (width - left - right < width / 3) {
        double k = (width * 2.0 / 3.0) / (left + right);
        left = (int)(left * k);
        right = (int)(right * k);
    }
    if (height - top - bottom < height / 3) {
        double k = (height * 2.0 / 3.0) / (top + bottom);
        top = (int)(top * k);
        bottom = (int)(bottom * k);
    }
    L->f.left = left;
    L->f.right = width - 1 - right;
    L->f.top = top;
    L->f.bottom = height - 1 - bottom;
    L->legend_x = L->legend_below ? L->f.left : L->f.right + 2 * pad;
    L->legend_y = L->legend_below ? L->f.bottom + L->legend_y : L->f.top;
    L->f.x0 = L->x.lo;
    L->f.x1 = L->x.hi;
    L->f.y0 = L->y.lo;
    L->f.y1 = L->y.hi;

    int xw = plot_widest_tick_label(&L->x, s);
    L->label_every_x =
        plot_label_every(&L->x, L->f.right - L->f.left, xw + 3 * PLOT_ADVANCE * s / 2);
    L->label_every_y = plot_label_every(&L->y, L->f.bottom - L->f.top, th + th / 2);
    return RUNT_OK;
}

runt_status runt_plot_frame_get(const runt_plot_spec *spec, int width, int height,
                                runt_plot_frame *out)
{
    plot_layout L;
    if (!out)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_plot_frame_get: out is NULL");
    runt_status st = plot_layout_make(spec, width, height, "runt_plot_frame_get", &L);
    if (st == RUNT_OK)
        *out = L.f;
    return st;
}

/* A pixel coordinate as int; far-off (or NaN, from limits that overflowed)
 * values go off the canvas instead of overflowing the conversion. */
static int plot_pixel(double v)
{
    v = floor(v + 0.5);
    return v > -1e6 && v < 1e6 ? (int)v : -1000000;
}

/* Axis coordinate to pixel, as plot.h documents. */
static int plot_col(const runt_plot_frame *f, double X)
{
    return plot_pixel(f->left + (X - f->x0) / (f->x1 - f->x0) * (f->right - f->left));
}

static int plot_row(const runt_plot_frame *f, double Y)
{
    return plot_pixel(f->bottom - (Y - f->y0) / (f->y1 - f->y0) * (f->bottom - f->top));
}

/* ------------------------------------------------------------------------- */
/* Drawing                                                                   */
/* ------------------------------------------------------------------------- */

/* A grid line across the plot at axis coordinate V of x (which = 0) or y. */
static void plot_grid_line(plot_canvas *c, const runt_plot_frame *f, int which, double V,
                           uint32_t col)
{
    if (which)
        plot_line(c, f->left, plot_row(f, V), f->right, plot_row(f, V), col, 1, 0);
    else
        plot_line(c, plot_col(f, V), f->top, plot_col(f, V), f->bottom, col, 1, 0);
}

static void plot_grid(plot_canvas *c, const plot_layout *L)
{
    const runt_plot_frame *f = &L->f;
    const plot_axis *axes[2] = {&L->x, &L->y};
    for (int which = 0; which < 2; which++) {
        const plot_axis *a = axes[which];
        int n = plot_tick_count(a);
        int pixels = which ? f->bottom - f->top : f->right - f->left;
        /* Minor decades (2..9 x 10^k) only where a decade has room for them. */
        int minor = a->log && n > 1 && pixels / (n - 1) >= 40;
        for (int i = 0; i < n; i++) {
            double v = a->lo + i * a->step;
            for (int m = minor && i + 1 < n ? 2 : 10; m < 10; m++)
                plot_grid_line(c, f, which, v + log10((double)m), PLOT_GRID_MINOR);
            plot_grid_line(c, f, which, v, PLOT_GRID);
        }
    }
}

static void plot_axes(plot_canvas *c, const plot_layout *L)
{
    const runt_plot_frame *f = &L->f;
    int s = f->scale, tick = 4 * s;
    char buf[48];
    plot_line(c, f->left, f->top, f->right, f->top, PLOT_AXIS, 1, 0);
    plot_line(c, f->left, f->bottom, f->right, f->bottom, PLOT_AXIS, 1, 0);
    plot_line(c, f->left, f->top, f->left, f->bottom, PLOT_AXIS, 1, 0);
    plot_line(c, f->right, f->top, f->right, f->bottom, PLOT_AXIS, 1, 0);
    for (int i = 0, n = plot_tick_count(&L->x); i < n; i++) {
        double v = L->x.lo + i * L->x.step;
        int col = plot_col(f, v);
        int labelled = i % L->label_every_x == 0;
        int len = labelled ? tick : tick / 2;
        plot_line(c, col, f->bottom, col, f->bottom + len, PLOT_AXIS, 1, 0);
        if (!labelled)
            continue;
        plot_tick_label(&L->x, v, buf, sizeof buf);
        plot_text(c, col - plot_text_w(buf, s) / 2, f->bottom + tick + 2 * s, buf, PLOT_TEXT, s);
    }
    for (int i = 0, n = plot_tick_count(&L->y); i < n; i++) {
        double v = L->y.lo + i * L->y.step;
        int row = plot_row(f, v);
        int labelled = i % L->label_every_y == 0;
        plot_line(c, f->left - (labelled ? tick : tick / 2), row, f->left, row, PLOT_AXIS, 1, 0);
        if (!labelled)
            continue;
        plot_tick_label(&L->y, v, buf, sizeof buf);
        /* Glyphs sit on row 6 of 9: centre the cap height (7 rows) on the tick. */
        plot_text(c, f->left - tick - 2 * s - plot_text_w(buf, s), row - 7 * s / 2, buf,
                  PLOT_TEXT, s);
    }
}

static void plot_titles(plot_canvas *c, const runt_plot_spec *spec, const plot_layout *L)
{
    const runt_plot_frame *f = &L->f;
    int s = f->scale, pad = 4 * s, th = plot_text_h(s), tick = 4 * s;
    int mid_x = (f->left + f->right) / 2, mid_y = (f->top + f->bottom) / 2;
    for (int i = 0; i < L->n_title; i++) {
        const char *line = L->title[i];
        int x = mid_x - plot_text_w(line, s) / 2, y = pad + i * PLOT_TITLE_LINE(s);
        if (x + plot_text_w(line, s) > c->w - pad)
            x = c->w - pad - plot_text_w(line, s);
        if (x < pad)
            x = pad;
        /* Bold: the same text again one pixel to the right. */
        plot_text(c, x, y, line, PLOT_BLACK, s);
        plot_text(c, x + 1, y, line, PLOT_BLACK, s);
    }
    if (spec->x_label && *spec->x_label)
        plot_text(c, mid_x - plot_text_w(spec->x_label, s) / 2,
                  f->bottom + tick + 2 * s + th + pad, spec->x_label, PLOT_TEXT, s);
    if (spec->y_label && *spec->y_label) {
        int len = plot_text_w(spec->y_label, s);
        int y = mid_y + len / 2;
        if (y >= c->h)
            y = c->h - 1;
        plot_text_up(c, pad, y, spec->y_label, PLOT_TEXT, s);
    }
}

/* Marker shapes: filled circle, square, triangle, diamond; x, +; hollow
 * circle, hollow square. Every shape is symmetric about its centre column. */
static void plot_marker(plot_canvas *c, int x, int y, int shape, uint32_t col, int r)
{
    int t = r / 3 > 1 ? r / 3 : 1;
    switch (shape % PLOT_N_SHAPES) {
    case 0:
    case 6:
        for (int dy = -r; dy <= r; dy++)
            for (int dx = -r; dx <= r; dx++) {
                int d2 = dx * dx + dy * dy;
                int inner = r - t;
                if (d2 <= r * r + r && (shape % PLOT_N_SHAPES == 0 || d2 > inner * inner + inner))
                    plot_px(c, x + dx, y + dy, col);
            }
        break;
    case 1: plot_fill(c, x - r + 1, y - r + 1, x + r - 1, y + r - 1, col); break;
    case 2:
        for (int dy = -r; dy <= r; dy++) {
            int half = (dy + r) / 2;
            plot_fill(c, x - half, y + dy, x + half, y + dy, col);
        }
        break;
    case 3:
        for (int dy = -r; dy <= r; dy++) {
            int half = r - abs(dy);
            plot_fill(c, x - half, y + dy, x + half, y + dy, col);
        }
        break;
    case 4:
        plot_line(c, x - r + 1, y - r + 1, x + r - 1, y + r - 1, col, t + 1, 0);
        plot_line(c, x - r + 1, y + r - 1, x + r - 1, y - r + 1, col, t + 1, 0);
        break;
    case 5:
        plot_fill(c, x - r, y - t / 2, x + r, y + t / 2, col);
        plot_fill(c, x - t / 2, y - r, x + t / 2, y + r, col);
        break;
    default: /* 7: hollow square */
        plot_fill(c, x - r + 1, y - r + 1, x + r - 1, y - r + t, col);
        plot_fill(c, x - r + 1, y + r - t, x + r - 1, y + r - 1, col);
        plot_fill(c, x - r + 1, y - r + 1, x - r + t, y + r - 1, col);
        plot_fill(c, x + r - t, y - r + 1, x + r - 1, y + r - 1, col);
        break;
    }
}

static uint32_t plot_series_colour(int i) { return plot_palette[i % PLOT_N_COLOURS]; }
/* Shapes change with the colour cycle too, so series 0 and 9 still differ. */
static int plot_series_shape(int i) { return (i + i / PLOT_N_COLOURS) % PLOT_N_SHAPES; }
static int plot_marker_r(int scale) { return 2 * scale + 1; }

/* y = x over the plot, as a polyline in axis coordinates (a straight line
 * when both axes are of one kind, a curve otherwise). */
static void plot_diagonal(plot_canvas *c, const plot_layout *L)
{
    const runt_plot_frame *f = &L->f;
    const int steps = 256;
    int have = 0, px = 0, py = 0;
    for (int i = 0; i <= steps; i++) {
        double X = f->x0 + (f->x1 - f->x0) * i / steps;
        double x = L->x.log ? pow(10.0, X) : X, Y;
        if (!plot_coord(L->y.log, x, &Y) || Y < f->y0 - 1e-9 || Y > f->y1 + 1e-9) {
            have = 0;
            continue;
        }
        int cx = plot_col(f, X), cy = plot_row(f, Y);
        if (have)
            plot_line(c, px, py, cx, cy, PLOT_DIAGONAL, f->scale, 0);
        have = 1;
        px = cx;
        py = cy;
    }
}

typedef struct plot_rect {
    int x0, y0, x1, y1;
} plot_rect;

static int plot_overlaps(const plot_rect *a, const plot_rect *b)
{
    return a->x0 <= b->x1 && b->x0 <= a->x1 && a->y0 <= b->y1 && b->y0 <= a->y1;
}

/* A point label goes to the first of eight places around its point that
 * stays inside the plot area and covers no earlier label or marker; where
 * all are taken (points crowd at one x), the eight places are tried again
 * farther out, and a thin leader line ties the label to its point. */
#define PLOT_LABEL_RINGS 4
#define PLOT_LEADER 0xA8A8A8u

static void plot_point_label(plot_canvas *c, const plot_layout *L, int x, int y, const char *text,
                             plot_rect *placed, int *n_placed)
{
    const runt_plot_frame *f = &L->f;
    /* A step smaller than the axes' text on big images: many labels crowd. */
    int s = f->scale - f->scale / 3, r = plot_marker_r(f->scale) + s;
    int w = plot_text_w(text, s), h = 7 * s, gx = 3 * PLOT_ADVANCE * s, gy = h + 2 * s;
    plot_rect best = {x + r, y - r - h, x + r + w - 1, y - r - 1};
    int found_ring = 0;
    for (int ring = 0; ring < PLOT_LABEL_RINGS; ring++) {
        int dx = r + ring * gx, dy = r + ring * gy;
        const int places[8][2] = {{dx, -dy - h}, {dx, dy}, {-dx - w, -dy - h}, {-dx - w, dy},
                                  {dx, -h / 2}, {-dx - w, -h / 2}, {-w / 2, -dy - h}, {-w / 2, dy}};
        for (int p = 0; p < 8; p++) {
            plot_rect cand = {x + places[p][0], y + places[p][1], x + places[p][0] + w - 1,
                              y + places[p][1] + h - 1};
            int ok = cand.x0 >= f->left && cand.x1 <= f->right && cand.y0 >= f->top &&
                     cand.y1 <= f->bottom;
            for (int i = 0; ok && i < *n_placed; i++)
                ok = !plot_overlaps(&cand, &placed[i]);
            if (ok) {
                best = cand;
                found_ring = ring;
                goto place;
            }
        }
    }
place:
    placed[(*n_placed)++] = best;
    if (found_ring > 0) {
        /* from the marker's edge to the nearest point of the label */
        int tx = x < best.x0 ? best.x0 : x > best.x1 ? best.x1 : x;
        int ty = y < best.y0 ? best.y0 : y > best.y1 ? best.y1 : y;
        double len = sqrt((double)(tx - x) * (tx - x) + (double)(ty - y) * (ty - y));
        int m = plot_marker_r(f->scale) + 1;
        if (len > m)
            plot_line(c, x + (int)lround((tx - x) * m / len), y + (int)lround((ty - y) * m / len),
                      tx, ty, PLOT_LEADER, 1, 0);
    }
    plot_text(c, best.x0, best.y0, text, PLOT_LABEL_TEXT, s);
}

/* Series: lines first, then markers, then labels, so labels stay readable. */
static runt_status plot_series_all(plot_canvas *c, const runt_plot_spec *spec, const plot_layout *L)
{
    const runt_plot_frame *f = &L->f;
    int s = f->scale, n_points = 0;
    for (int i = 0; i < spec->n_series; i++)
        n_points += spec->series[i].n;
    plot_rect *placed = n_points ? malloc(sizeof *placed * (size_t)n_points * 2) : NULL;
    if (n_points && !placed)
        return runt_error_set(RUNT_E_OOM, "runt_plot_write_png: out of memory for %d points",
                              n_points);
    int n_placed = 0;
    for (int pass = 0; pass < 3; pass++)
        for (int i = 0; i < spec->n_series; i++) {
            const runt_plot_series *se = &spec->series[i];
            int have = 0, px = 0, py = 0;
            for (int j = 0; j < se->n; j++) {
                double X, Y;
                if (!plot_coord(L->x.log, se->x[j], &X) || !plot_coord(L->y.log, se->y[j], &Y)) {
                    have = 0; /* a skipped point breaks the line */
                    continue;
                }
                int cx = plot_col(f, X), cy = plot_row(f, Y);
                if (pass == 0 && se->draw_lines && have)
                    plot_line(c, px, py, cx, cy, plot_series_colour(i), s, 0);
                if (pass == 1 && !se->draw_lines) {
                    int r = plot_marker_r(s);
                    plot_marker(c, cx, cy, plot_series_shape(i), plot_series_colour(i), r);
                    /* Markers count as placed so labels avoid covering them. */
                    plot_rect m = {cx - r, cy - r, cx + r, cy + r};
                    placed[n_placed++] = m;
                }
                if (pass == 2 && se->point_labels && se->point_labels[j] && *se->point_labels[j])
                    plot_point_label(c, L, cx, cy, se->point_labels[j], placed, &n_placed);
                have = 1;
                px = cx;
                py = cy;
            }
        }
    free(placed);
    return RUNT_OK;
}

static void plot_legend(plot_canvas *c, const runt_plot_spec *spec, const plot_layout *L)
{
    if (!L->n_legend)
        return;
    if (L->legend_below) {
        plot_legend_flow(c, spec, L, L->legend_x, c->w - 4 * L->f.scale, L->legend_y);
        return;
    }
    for (int i = 0, y = L->legend_y; i < spec->n_series; i++)
        if (spec->series[i].label) {
            plot_legend_entry(c, spec, L, i, L->legend_x, y, L->legend_w);
            y += PLOT_ROW_H(L->f.scale);
        }
}

/* ------------------------------------------------------------------------- */
/* PNG                                                                       */
/* ------------------------------------------------------------------------- */

/* CRC-32 of PNG chunks (ISO 3309: polynomial 0xEDB88320, reflected), with
 * the table made per image rather than kept in process-wide state. */
static void plot_crc_init(uint32_t table[256])
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
}

static uint32_t plot_crc(const uint32_t table[256], uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++)
        crc = table[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

typedef struct plot_png {
    FILE *fp;
    uint32_t crc_table[256];
    uint32_t crc;              /* of the chunk being written */
    int failed;
    uint32_t adler_a, adler_b; /* of the zlib stream's uncompressed bytes */
    size_t block_left, raw_left;
} plot_png;

static void plot_png_put(plot_png *w, const void *p, size_t n)
{
    w->crc = plot_crc(w->crc_table, w->crc, p, n);
    if (n && fwrite(p, 1, n, w->fp) != n)
        w->failed = 1;
}

static void plot_png_u32(plot_png *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
    plot_png_put(w, b, 4);
}

/* A chunk's length and type; the CRC covers the type and the data. */
static void plot_png_chunk_begin(plot_png *w, uint32_t len, const char *type)
{
    uint8_t b[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
    if (fwrite(b, 1, 4, w->fp) != 4)
        w->failed = 1;
    w->crc = 0;
    plot_png_put(w, type, 4);
}

static void plot_png_chunk_end(plot_png *w)
{
    uint32_t crc = w->crc;
    plot_png_u32(w, crc);
}

/* Uncompressed bytes into stored deflate blocks of at most 65535 bytes
 * (RFC 1951 3.2.4), updating the Adler-32 (RFC 1950). */
static void plot_png_deflate(plot_png *w, const uint8_t *p, size_t n)
{
    while (n > 0) {
        if (w->block_left == 0) {
            size_t len = w->raw_left < 65535 ? w->raw_left : 65535;
            uint8_t hdr[5] = {(uint8_t)(len == w->raw_left), (uint8_t)len, (uint8_t)(len >> 8),
                              (uint8_t)~len, (uint8_t)(~len >> 8)};
            plot_png_put(w, hdr, 5);
            w->block_left = len;
        }
        size_t k = n < w->block_left ? n : w->block_left;
        for (size_t i = 0; i < k; i++) {
            w->adler_a = (w->adler_a + p[i]) % 65521u;
            w->adler_b = (w->adler_b + w->adler_a) % 65521u;
        }
        plot_png_put(w, p, k);
        w->block_left -= k;
        w->raw_left -= k;
        p += k;
        n -= k;
    }
}

static runt_status plot_png_write(const plot_canvas *c, const char *path)
{
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    size_t row = (size_t)c->w * 3 + 1, raw = row * (size_t)c->h;
    size_t blocks = (raw + 65534) / 65535;
    size_t zlen = 2 + 5 * blocks + raw + 4;
    if (zlen > 0x7FFFFFFFu)
        return runt_error_set(RUNT_E_INVALID_ARG, "runt_plot_write_png: %zu bytes of image data "
                              "exceed one PNG chunk", zlen);
    plot_png w;
    memset(&w, 0, sizeof w);
    plot_crc_init(w.crc_table);
    if (!(w.fp = fopen(path, "wb")))
        return runt_error_set(RUNT_E_IO, "runt_plot_write_png: cannot open '%s' for writing: %s",
                              path, strerror(errno));
    if (fwrite(signature, 1, 8, w.fp) != 8)
        w.failed = 1;

    uint8_t ihdr[13] = {0};
    for (int i = 0; i < 4; i++) {
        ihdr[i] = (uint8_t)((uint32_t)c->w >> (24 - 8 * i));
        ihdr[4 + i] = (uint8_t)((uint32_t)c->h >> (24 - 8 * i));
    }
    ihdr[8] = 8; /* bits per sample */
    ihdr[9] = 2; /* colour type: RGB; compression, filter, interlace: 0 */
    plot_png_chunk_begin(&w, 13, "IHDR");
    plot_png_put(&w, ihdr, 13);
    plot_png_chunk_end(&w);

    plot_png_chunk_begin(&w, (uint32_t)zlen, "IDAT");
    /* CMF 0x78: deflate, 32K window; FLG 0x01 makes CMF*256+FLG a multiple of 31. */
    static const uint8_t zhdr[2] = {0x78, 0x01};
    plot_png_put(&w, zhdr, 2);
    w.adler_a = 1;
    w.raw_left = raw;
    for (int y = 0; y < c->h; y++) {
        static const uint8_t filter_none = 0;
        plot_png_deflate(&w, &filter_none, 1);
        plot_png_deflate(&w, c->rgb + (size_t)y * (size_t)c->w * 3, row - 1);
    }
    plot_png_u32(&w, w.adler_b << 16 | w.adler_a);
    plot_png_chunk_end(&w);

    plot_png_chunk_begin(&w, 0, "IEND");
    plot_png_chunk_end(&w);
    if (fclose(w.fp) != 0)
        w.failed = 1;
    if (w.failed)
        return runt_error_set(RUNT_E_IO, "runt_plot_write_png: writing '%s' failed: %s", path,
                              strerror(errno));
    return RUNT_OK;
}

/* ------------------------------------------------------------------------- */
/* The entry point                                                           */
/* ------------------------------------------------------------------------- */

runt_status runt_plot_write_png(const runt_plot_spec *spec, int width, int height, const char *path)
{
    const char *fn = "runt_plot_write_png";
    plot_layout L;
    runt_status st = plot_layout_make(spec, width, height, fn, &L);
    if (st != RUNT_OK)
        return st;
    if (!path)
        return runt_error_set(RUNT_E_INVALID_ARG, "%s: path is NULL", fn);
    plot_canvas c = {width, height, malloc((size_t)width * (size_t)height * 3)};
    if (!c.rgb)
        return runt_error_set(RUNT_E_OOM, "%s: out of memory for a %dx%d image", fn, width,
                              height);
    memset(c.rgb, 0xFF, (size_t)width * (size_t)height * 3);
    plot_grid(&c, &L);
    if (spec->diagonal)
        plot_diagonal(&c, &L);
    st = plot_series_all(&c, spec, &L);
    if (st == RUNT_OK) {
        plot_axes(&c, &L);
        plot_titles(&c, spec, &L);
        plot_legend(&c, spec, &L);
        st = plot_png_write(&c, path);
    }
    free(c.rgb);
    return st;
}
