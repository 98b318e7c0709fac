/*
 * PNG plots for the bench reports (roofline, latency against FLOPs or
 * params, predicted against measured), drawn in plain C: an RGB canvas, a
 * built-in 5x9 bitmap font (plot_font.c) and a PNG writer whose zlib stream
 * uses stored deflate blocks. No image library is needed, so `runt bench
 * --plots DIR` works on any machine the bench builds on.
 */
#ifndef RUNT_BENCH_PLOT_H
#define RUNT_BENCH_PLOT_H

#include "runt.h"

typedef struct runt_plot_series {
    const char *label;               /* legend text (NULL: no legend entry)               */
    int n;
    const double *x, *y;
    const char *const *point_labels; /* NULL, or n short labels drawn next to the points */
    int draw_lines;                  /* 1: connect points with lines (e.g. a roofline), 0: markers */
} runt_plot_series;

typedef struct runt_plot_spec {
    const char *title, *x_label, *y_label;
    int log_x, log_y;                /* log10 axes with decade ticks */
    int n_series;
    const runt_plot_series *series;
    int diagonal;                    /* 1: draw y = x (predicted vs measured) */
} runt_plot_spec;

/* Renders the plot into a width x height RGB PNG at path. Non-positive values on a log axis
   and NaN/inf are skipped (not an error). */
runt_status runt_plot_write_png(const runt_plot_spec *spec, int width, int height, const char *path);

/*
 * The axis mapping, for callers and tests that need to know where a point
 * lands.
 *
 * Axis limits: a log axis spans whole decades, from floor(log10(min)) to
 * ceil(log10(max)) of the values drawn on it (one decade more on each side
 * when they are equal); a linear axis spans [floor(min / step) * step,
 * ceil(max / step) * step] for a tick step of 1, 2 or 5 times a power of ten.
 * With diagonal set and both axes of the same kind, both axes get the limits
 * of all x and y values together, so y = x is the square's diagonal. Without
 * any drawable value the limits are [0, 1] (on a log axis: 1 to 10).
 *
 * A value v is drawn at the axis coordinate V = v (linear) or log10(v) (log);
 * a point (x, y) lands on pixel column
 *     col = left + (X - x0) / (x1 - x0) * (right - left)
 * and row
 *     row = bottom - (Y - y0) / (y1 - y0) * (bottom - top)
 * each rounded to the nearest integer (halves up), where left, top, right,
 * bottom are the plot area's edge pixels (rows grow downwards). A marker
 * covers pixels at most 2 * scale + 1 away from its point, symmetrically
 * around it; text, axes, grid and the diagonal are drawn in shades of grey,
 * series in colours.
 */
typedef struct runt_plot_frame {
    int left, top, right, bottom;    /* plot area, in pixels                      */
    double x0, x1, y0, y1;           /* axis limits in axis coordinates (log10 on log axes) */
    int scale;                       /* the font's pixel size (glyphs are 5x9 times this) */
} runt_plot_frame;

/* The frame runt_plot_write_png would use for this spec and image size; the
 * same arguments are checked, with the same errors. */
runt_status runt_plot_frame_get(const runt_plot_spec *spec, int width, int height,
                                runt_plot_frame *out);

/* Image sizes runt_plot_write_png accepts. */
#define RUNT_PLOT_MIN_SIZE 64
#define RUNT_PLOT_MAX_SIZE 8192

/* The font (plot_font.c): glyphs for ASCII 32..126, 5 columns by 9 rows
 * (7 above the baseline, 2 for descenders). Row r of a glyph is byte r; bit
 * 4 is the leftmost column. Other characters get '?'. */
#define RUNT_PLOT_GLYPH_W 5
#define RUNT_PLOT_GLYPH_H 9
const unsigned char *runt_plot_glyph(int c);

#endif /* RUNT_BENCH_PLOT_H */
