/* svg_chart.h: one line chart as inline SVG for the HTML report: axes with
 * round-number ticks, labels, a legend, optional dashed vertical marks (the
 * memorization steps) and an optional second y axis on the right (accuracy).
 * It draws what it is given; choosing series and colours is html.c's job. */
#ifndef REPORT_SVG_CHART_H
#define REPORT_SVG_CHART_H

#include <stddef.h>

#include "textbuf.h"

enum { MARK_NONE = -1, MARK_CIRCLE, MARK_SQUARE, MARK_TRIANGLE, MARK_DIAMOND, MARK_COUNT };

typedef struct chart_line {
    const char *label;
    const double *x, *y;   /* [n]; a NAN y breaks the line */
    size_t n;
    const char *color;     /* "#0072B2" */
    int marker;            /* MARK_* */
    int dashed;            /* 0 solid, 1 dashed, 2 dotted */
    int right_axis;        /* plotted against the right axis */
    double width;          /* stroke width; 0: 2 */
    int points_only;       /* markers without the connecting line (a scatter) */
} chart_line;

typedef struct chart_mark {
    double x;              /* a dashed vertical line at x */
    const char *color;
} chart_mark;

typedef struct chart {
    const char *title;
    const char *x_label, *y_label;
    const char *y2_label;  /* NULL: no right axis */
    int x_steps;           /* x ticks as training steps: 200k */
    int x_integer;         /* x ticks at integers only (layers) */
    const chart_line *lines;
    size_t n_lines;
    const chart_mark *marks;
    size_t n_marks;
    const char *mark_note; /* legend text for the marks, e.g. "dashed: memorization step" */
    double band_x0, band_x1;   /* a shaded x range when band_x1 > band_x0 */
    const char *band_note;     /* its legend text */
} chart;

/* Nice axis: a round tick step and the ticks' range covering [lo, hi] with
 * about `target` intervals. */
void axis_nice(double lo, double hi, int target, double *t0, double *t1, double *step);

void chart_svg(textbuf *b, const chart *c);

#endif
