/* svg_chart.c: a line chart as inline SVG (svg_chart.h): nice round ticks
 * (1, 2, 5 x 10^k), light grid, axis labels, a legend under the plot, dashed
 * vertical marks, a right axis for a second quantity. Pure drawing: no data
 * choices, no colours of its own beyond black and greys for the frame. */
#include "svg_chart.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum { CH_W = 560, PLOT_H = 260, M_LEFT = 72, M_TOP = 34, M_BOTTOM = 48, LEG_ROW = 18 };

/* The 1, 2, 5 x 10^k number nearest x (Heckbert, Graphics Gems I). */
static double nice_num(double x)
{
    double e = floor(log10(x)), f = x / pow(10, e);
    double nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    return nf * pow(10, e);
}

void axis_nice(double lo, double hi, int target, double *t0, double *t1, double *step)
{
    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    if (hi - lo < 1e-12 * fmax(fabs(lo), fabs(hi)) || hi == lo) {
        double pad = fabs(lo) > 0 ? fabs(lo) * 0.1 : 1;
        lo -= pad;
        hi += pad;
    }
    double d = nice_num((hi - lo) / target);
    *step = d;
    *t0 = floor(lo / d + 1e-9) * d;
    *t1 = ceil(hi / d - 1e-9) * d;
}

static int tick_decimals(double step)
{
    int d = (int)-floor(log10(step) + 1e-9);
    return d > 0 ? d : 0;
}

static void tick_label(char *buf, size_t cap, double v, double step, int as_steps)
{
    if (fabs(v) < step * 1e-6)
        v = 0;
    if (as_steps && step >= 1000 && v != 0)
        snprintf(buf, cap, "%.*fk", tick_decimals(step / 1000), v / 1000);
    else
        snprintf(buf, cap, "%.*f", tick_decimals(step), v);
}

typedef struct frame {
    double px0, px1, py0, py1;   /* plot area in pixels (py0 top) */
    double x0, x1, y0, y1;       /* data range of the left axis */
    double r0, r1;               /* right axis range */
} frame;

static double fx(const frame *f, double x) { return f->px0 + (x - f->x0) / (f->x1 - f->x0) * (f->px1 - f->px0); }
static double fy(const frame *f, double y, int right)
{
    double a = right ? f->r0 : f->y0, b = right ? f->r1 : f->y1;
    return f->py1 - (y - a) / (b - a) * (f->py1 - f->py0);
}

static void marker_svg(textbuf *b, int marker, double x, double y, const char *color)
{
    switch (marker) {
    case MARK_CIRCLE:
        textbuf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\" stroke=\"#fff\" stroke-width=\"0.8\"/>", x, y, color);
        break;
    case MARK_SQUARE:
        textbuf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"7\" height=\"7\" fill=\"%s\" stroke=\"#fff\" stroke-width=\"0.8\"/>", x - 3.5, y - 3.5, color);
        break;
    case MARK_TRIANGLE:
        textbuf_printf(b, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\" stroke=\"#fff\" stroke-width=\"0.8\"/>",
                       x, y - 4.5, x + 4.2, y + 3, x - 4.2, y + 3, color);
        break;
    case MARK_DIAMOND:
        textbuf_printf(b, "<path d=\"M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ\" fill=\"%s\" stroke=\"#fff\" stroke-width=\"0.8\"/>",
                       x, y - 4.5, x + 4.5, y, x, y + 4.5, x - 4.5, y, color);
        break;
    default:
        break;
    }
}

static const char *dash_attr(int dashed)
{
    return dashed == 1 ? " stroke-dasharray=\"7 4\"" : dashed == 2 ? " stroke-dasharray=\"2 3\"" : "";
}

static void line_svg(textbuf *b, const frame *f, const chart_line *l)
{
    int open = 0;
    for (size_t i = 0; i < l->n && !l->points_only; i++) {
        if (!isfinite(l->y[i]) || !isfinite(l->x[i])) {
            if (open)
                textbuf_puts(b, "\"/>");
            open = 0;
            continue;
        }
        double x = fx(f, l->x[i]), y = fy(f, l->y[i], l->right_axis);
        if (!open) {
            textbuf_printf(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"%.1f\" "
                           "stroke-linejoin=\"round\"%s d=\"M%.1f %.1f",
                           l->color, l->width > 0 ? l->width : 2.0, dash_attr(l->dashed), x, y);
            open = 1;
        } else {
            textbuf_printf(b, " L%.1f %.1f", x, y);
        }
    }
    if (open)
        textbuf_puts(b, "\"/>");
    for (size_t i = 0; i < l->n; i++)
        if (isfinite(l->y[i]) && isfinite(l->x[i]))
            marker_svg(b, l->marker, fx(f, l->x[i]), fy(f, l->y[i], l->right_axis), l->color);
    textbuf_puts(b, "\n");
}

static void data_range(const chart *c, int right, int want_x, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (size_t i = 0; i < c->n_lines; i++) {
        const chart_line *l = &c->lines[i];
        if (!want_x && l->right_axis != right)
            continue;
        for (size_t k = 0; k < l->n; k++) {
            double v = want_x ? l->x[k] : l->y[k];
            if (isfinite(v) && isfinite(l->y[k])) {
                *lo = fmin(*lo, v);
                *hi = fmax(*hi, v);
            }
        }
    }
    if (want_x)
        for (size_t i = 0; i < c->n_marks; i++)
            if (isfinite(c->marks[i].x) && *lo <= *hi) {
                *lo = fmin(*lo, c->marks[i].x);
                *hi = fmax(*hi, c->marks[i].x);
            }
}

void chart_svg(textbuf *b, const chart *c)
{
    int right = c->y2_label != NULL;
    frame f;
    f.px0 = M_LEFT;
    f.px1 = CH_W - (right ? 72 : 24);
    f.py0 = M_TOP;
    f.py1 = M_TOP + PLOT_H;
    double lo, hi, xs, ys, rs;
    data_range(c, 0, 1, &lo, &hi);
    axis_nice(lo, hi, c->x_integer ? 8 : 5, &f.x0, &f.x1, &xs);
    if (c->x_integer && xs < 1) {
        xs = 1;
        f.x0 = floor(lo);
        f.x1 = ceil(hi);
        if (f.x1 <= f.x0)
            f.x1 = f.x0 + 1;
    }
    data_range(c, 0, 0, &lo, &hi);
    axis_nice(lo, hi, 5, &f.y0, &f.y1, &ys);
    f.r0 = 0;
    f.r1 = 1;
    rs = 0.2;
    if (right) {
        data_range(c, 1, 0, &lo, &hi);
        axis_nice(lo, hi, 5, &f.r0, &f.r1, &rs);
    }

    /* Legend layout: columns of equal width under the x-axis label. */
    int band = c->band_x1 > c->band_x0 && c->band_note;
    size_t n_marks_entry = c->n_marks && c->mark_note ? 1 : 0;
    size_t n_entries = c->n_lines + n_marks_entry + (size_t)band;
    size_t longest = 8;
    for (size_t i = 0; i < c->n_lines; i++)
        longest = strlen(c->lines[i].label) > longest ? strlen(c->lines[i].label) : longest;
    if (c->n_marks && c->mark_note && strlen(c->mark_note) > longest)
        longest = strlen(c->mark_note);
    if (band && strlen(c->band_note) > longest)
        longest = strlen(c->band_note);
    double col_w = 34 + 6.4 * (double)longest;
    int cols = (int)((CH_W - 2 * 16) / col_w);
    cols = cols < 1 ? 1 : cols;
    size_t rows = (n_entries + (size_t)cols - 1) / (size_t)cols;
    double leg_y = f.py1 + M_BOTTOM;
    double height = leg_y + (double)rows * LEG_ROW + 10;

    textbuf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" "
                   "height=\"%.0f\" viewBox=\"0 0 %d %.0f\" font-family=\"Helvetica, Arial, "
                   "sans-serif\" font-size=\"11\" role=\"img\" aria-label=\"",
                   CH_W, height, CH_W, height);
    textbuf_xml(b, c->title);
    textbuf_puts(b, "\">\n<title>");
    textbuf_xml(b, c->title);
    textbuf_printf(b, "</title>\n<rect width=\"%d\" height=\"%.0f\" fill=\"#ffffff\"/>\n", CH_W, height);
    textbuf_printf(b, "<text x=\"%d\" y=\"20\" font-size=\"13\" font-weight=\"bold\">", M_LEFT);
    textbuf_xml(b, c->title);
    textbuf_puts(b, "</text>\n");

    /* Grid and y ticks (left, and right). */
    char lab[64];
    for (int i = 0; f.y0 + i * ys <= f.y1 + ys * 1e-6 && i < 100; i++) {
        double v = f.y0 + i * ys;
        double y = fy(&f, v, 0);
        textbuf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>",
                       f.px0, f.px1, y, y);
        tick_label(lab, sizeof lab, v, ys, 0);
        textbuf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>"
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                       f.px0 - 5, f.px0, y, y, f.px0 - 8, y + 4, lab);
    }
    if (right)
        for (int i = 0; f.r0 + i * rs <= f.r1 + rs * 1e-6 && i < 100; i++) {
            double v = f.r0 + i * rs;
            double y = fy(&f, v, 1);
            tick_label(lab, sizeof lab, v, rs, 0);
            textbuf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>"
                           "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n",
                           f.px1, f.px1 + 5, y, y, f.px1 + 8, y + 4, lab);
        }
    for (int i = 0; f.x0 + i * xs <= f.x1 + xs * 1e-6 && i < 100; i++) {
        double v = f.x0 + i * xs;
        double x = fx(&f, v);
        tick_label(lab, sizeof lab, v, xs, c->x_steps);
        textbuf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>"
                       "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
                       x, x, f.py1, f.py1 + 5, x, f.py1 + 18, lab);
    }
    /* Frame: left and bottom axes (and right when used). */
    textbuf_printf(b, "<path fill=\"none\" stroke=\"#333\" d=\"M%.1f %.1fV%.1fH%.1f\"/>\n", f.px0,
                   f.py0, f.py1, f.px1);
    if (right)
        textbuf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
                       f.px1, f.px1, f.py0, f.py1);
    /* Axis labels. */
    textbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\">",
                   (f.px0 + f.px1) / 2, f.py1 + 36);
    textbuf_xml(b, c->x_label);
    textbuf_printf(b, "</text>\n<text transform=\"translate(16 %.1f) rotate(-90)\" "
                   "text-anchor=\"middle\" font-size=\"12\">", (f.py0 + f.py1) / 2);
    textbuf_xml(b, c->y_label);
    textbuf_puts(b, "</text>\n");
    if (right) {
        textbuf_printf(b, "<text transform=\"translate(%d %.1f) rotate(90)\" text-anchor=\"middle\" "
                       "font-size=\"12\">", CH_W - 12, (f.py0 + f.py1) / 2);
        textbuf_xml(b, c->y2_label);
        textbuf_puts(b, "</text>\n");
    }
    /* The shaded range, the marks, then the lines on top. */
    if (band) {
        double x0 = fmax(c->band_x0, f.x0), x1 = fmin(c->band_x1, f.x1);
        if (x1 > x0)
            textbuf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                           "fill=\"#009E73\" fill-opacity=\"0.15\"/>\n", fx(&f, x0), f.py0,
                           fx(&f, x1) - fx(&f, x0), f.py1 - f.py0);
    }
    for (size_t i = 0; i < c->n_marks; i++) {
        double x = c->marks[i].x;
        if (!isfinite(x) || x < f.x0 || x > f.x1)
            continue;
        textbuf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                       "stroke-width=\"1.3\" stroke-dasharray=\"5 4\"/>\n",
                       fx(&f, x), fx(&f, x), f.py0, f.py1, c->marks[i].color);
    }
    for (size_t i = 0; i < c->n_lines; i++)
        line_svg(b, &f, &c->lines[i]);

    /* Legend. */
    for (size_t i = 0; i < n_entries; i++) {
        double x = 16 + (double)(i % (size_t)cols) * col_w;
        double y = leg_y + (double)(i / (size_t)cols) * LEG_ROW;
        if (i < c->n_lines) {
            const chart_line *l = &c->lines[i];
            if (!l->points_only)
                textbuf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
                               "stroke=\"%s\" stroke-width=\"%.1f\"%s/>", x, x + 24, y, y,
                               l->color, l->width > 0 ? l->width : 2.0, dash_attr(l->dashed));
            marker_svg(b, l->marker, x + 12, y, l->color);
            textbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">", x + 30, y + 4);
            textbuf_xml(b, l->label);
        } else if (i == c->n_lines + n_marks_entry) {
            textbuf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"24\" height=\"12\" "
                           "fill=\"#009E73\" fill-opacity=\"0.25\"/>", x, y - 6);
            textbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">", x + 30, y + 4);
            textbuf_xml(b, c->band_note);
        } else {
            textbuf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" "
                           "stroke-width=\"1.3\" stroke-dasharray=\"5 4\"/>", x + 12, x + 12,
                           y - 7, y + 7);
            textbuf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">", x + 30, y + 4);
            textbuf_xml(b, c->mark_note);
        }
        textbuf_puts(b, "</text>\n");
    }
    textbuf_puts(b, "</svg>\n");
}
