/* html.c: --html FILE: one self-contained page (no network, no scripts, no
 * external fonts or images): warnings, findings and analysis choices first;
 * per domain, inline SVG charts of pathway distance (the converging range
 * shaded), consistency S (only where defined), loss against step (one line
 * per group, the memorization step dashed, accuracy on a right axis when
 * given), the loss after it flattened beside the distance, routing entropy,
 * layerwise distance; the fraction memorized per checkpoint (paper Fig. 1),
 * metric against accuracy with its fit (Fig. 7), the cross-domain control and
 * Table 1. It picks the series and colours; svg_chart.c draws. */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "stats.h"
#include "story.h"
#include "svg_chart.h"

/* Okabe-Ito, the colour-blind-safe palette (black kept for whole-domain lines). */
static const char *const palette[] = {"#0072B2", "#D55E00", "#009E73",
                                      "#CC79A7", "#E69F00", "#56B4E9"};
enum { N_PALETTE = 6 };
/* Viridis, for the ordered checkpoints of the layerwise chart. */
static const char *const viridis[] = {"#440154", "#482878", "#3e4989", "#31688e", "#26828e",
                                      "#1f9e89", "#35b779", "#6ece58", "#b5de2b"};
enum { N_VIRIDIS = 9 };
#define ACC_COLOR "#666666"

typedef enum { Y_DISTANCE, Y_S, Y_LOSS } y_kind;

static double row_value(const metric_row *m, y_kind k)
{
    return k == Y_DISTANCE ? m->distance_mean : k == Y_S ? m->s_mean : m->loss_mean;
}

/* x and y of one series for one quantity: 2 * n doubles, caller frees x. */
static double *series_xy(const series *se, y_kind k)
{
    double *x = malloc(2 * (se->n_rows ? se->n_rows : 1) * sizeof *x);
    if (!x)
        return NULL;
    for (size_t i = 0; i < se->n_rows; i++) {
        x[i] = (double)se->rows[i]->step;
        x[se->n_rows + i] = row_value(se->rows[i], k);
    }
    return x;
}

/* Accuracy points for key (all steps of the table with a value). */
static double *acc_xy(const value_table *acc, const char *key, size_t *n)
{
    double *x = malloc(2 * (acc->n ? acc->n : 1) * sizeof *x);
    *n = 0;
    if (!x)
        return NULL;
    /* insertion-sorted by step: the CSV need not be */
    double *y = x + acc->n;
    for (size_t i = 0; i < acc->n; i++) {
        if (strcmp(acc->e[i].key, key) != 0)
            continue;
        size_t j = *n;
        while (j > 0 && x[j - 1] > (double)acc->e[i].step) {
            x[j] = x[j - 1];
            y[j] = y[j - 1];
            j--;
        }
        x[j] = (double)acc->e[i].step;
        y[j] = acc->e[i].value;
        (*n)++;
    }
    if (y != x + *n) /* pack y right after x */
        memmove(x + *n, y, *n * sizeof *x);
    return x;
}

static void step_text_html(char *buf, size_t cap, double step) { fmt_step(buf, cap, (int64_t)step); }

static void chart_domain(textbuf *b, const report *rp, const char *domain, y_kind k)
{
    const study *s = rp->s;
    static const char *const titles[] = {"pathway distance", "consistency S = 1 - C",
                                         "training loss"};
    static const char *const ylabels[] = {"mean pairwise edit distance",
                                          "S (higher = smoother pathways)",
                                          "mean loss (nats)"};
    size_t cap = s->n_series * 2 + 2;
    chart_line *lines = calloc(cap, sizeof *lines);
    chart_mark *marks = calloc(cap, sizeof *marks);
    double **bufs = calloc(cap, sizeof *bufs);
    char **labels = calloc(cap, sizeof *labels);
    if (!lines || !marks || !bufs || !labels) {
        b->oom = 1;
        goto done;
    }
    size_t nl = 0, nm = 0, nb = 0;
    for (size_t i = 0; i < s->n_series; i++) {
        const series *se = &s->series[i];
        if ((se->scope != SCOPE_GROUP && se->scope != SCOPE_DOMAIN) ||
            strcmp(se->domain, domain) != 0)
            continue;
        double *xy = bufs[nb++] = series_xy(se, k);
        if (!xy) {
            b->oom = 1;
            goto done;
        }
        chart_line *l = &lines[nl++];
        l->x = xy;
        l->y = xy + se->n_rows;
        l->n = se->n_rows;
        if (se->scope == SCOPE_DOMAIN) {
            l->label = "whole domain";
            l->color = "#000000";
            l->marker = MARK_NONE;
            l->width = 2.6;
        } else {
            l->label = se->name;
            l->color = palette[se->color % N_PALETTE];
            l->marker = se->color % MARK_COUNT;
            if (se->has_mem_step)
                marks[nm++] = (chart_mark){(double)se->mem_step, l->color};
        }
    }
    const char *y2 = NULL;
    if (rp->acc) {
        for (size_t i = 0; i < s->n_series; i++) {
            const series *se = &s->series[i];
            int want = rp->acc->by_group ? se->scope == SCOPE_GROUP : se->scope == SCOPE_DOMAIN;
            if (!want || strcmp(se->domain, domain) != 0)
                continue;
            size_t n;
            double *xy = bufs[nb++] = acc_xy(rp->acc, se->name, &n);
            if (!xy) {
                b->oom = 1;
                goto done;
            }
            if (n == 0)
                continue;
            chart_line *l = &lines[nl++];
            char *lab = labels[nl] = malloc(strlen(se->name) + 40);
            if (!lab) {
                b->oom = 1;
                goto done;
            }
            if (rp->acc->by_group)
                sprintf(lab, "accuracy %s (right axis)", se->name);
            else
                sprintf(lab, "test accuracy (right axis)");
            *l = (chart_line){.label = lab, .x = xy, .y = xy + n, .n = n,
                              .color = rp->acc->by_group ? palette[se->color % N_PALETTE]
                                                         : ACC_COLOR,
                              .marker = MARK_NONE, .dashed = 2, .right_axis = 1, .width = 2.4};
            y2 = "test accuracy";
        }
    }
    char title[512];
    snprintf(title, sizeof title, "%s: %s", domain, titles[k]);
    chart c = {.title = title, .x_label = "training step", .y_label = ylabels[k], .y2_label = y2,
               .x_steps = 1, .lines = lines, .n_lines = nl, .marks = marks, .n_marks = nm,
               .mark_note = "memorization step t* of the group"};
    const domain_story *d = story_domain(rp->st, domain);
    const trend_move *mv = !d ? NULL : k == Y_DISTANCE ? &d->dist_fall : k == Y_S ? &d->s_rise : NULL;
    if (mv && mv->found) {
        c.band_x0 = d->step[mv->a];
        c.band_x1 = d->step[mv->b];
        c.band_note = k == Y_DISTANCE ? "pathways converge (fall beyond noise, loss flat)"
                                      : "S rises beyond noise (loss flat)";
    }
    textbuf_puts(b, "<figure>");
    chart_svg(b, &c);
    textbuf_puts(b, "</figure>\n");
done:
    for (size_t i = 0; bufs && i < cap; i++)
        free(bufs[i]);
    for (size_t i = 0; labels && i < cap; i++)
        free(labels[i]);
    free(bufs);
    free(labels);
    free(lines);
    free(marks);
}

static void chart_layers(textbuf *b, const series *se)
{
    size_t n = se->n_rows;
    chart_line *lines = calloc(n ? n : 1, sizeof *lines);
    double *layer_x = NULL;
    char (*labels)[48] = calloc(n ? n : 1, sizeof *labels);
    size_t max_l = 0;
    for (size_t i = 0; i < n; i++)
        max_l = se->rows[i]->n_layers > max_l ? se->rows[i]->n_layers : max_l;
    if (max_l == 0) {
        free(lines);
        free(labels);
        return;
    }
    layer_x = malloc(max_l * sizeof *layer_x);
    if (!lines || !labels || !layer_x) {
        b->oom = 1;
        goto done;
    }
    for (size_t l = 0; l < max_l; l++)
        layer_x[l] = (double)l;
    size_t nl = 0;
    for (size_t i = 0; i < n; i++) {
        const metric_row *m = se->rows[i];
        if (!m->n_layers)
            continue;
        char st[32];
        fmt_step(st, sizeof st, m->step);
        snprintf(labels[nl], sizeof labels[nl], "step %s", st);
        size_t ci = n > 1 ? i * (N_VIRIDIS - 1) / (n - 1) : 0;
        lines[nl] = (chart_line){.label = labels[nl], .x = layer_x, .y = m->layer_distance,
                                 .n = m->n_layers, .color = viridis[ci], .marker = MARK_CIRCLE,
                                 .width = 1.6};
        nl++;
    }
    char title[512];
    snprintf(title, sizeof title, "%s: layerwise pathway distance", se->name);
    chart c = {.title = title, .x_label = "MoE layer",
               .y_label = "mean distance of layer sub-strings", .x_integer = 1, .lines = lines,
               .n_lines = nl};
    textbuf_puts(b, "<figure>");
    chart_svg(b, &c);
    textbuf_puts(b, "</figure>\n");
done:
    free(layer_x);
    free(lines);
    free(labels);
}

static void chart_cross(textbuf *b, const study *s)
{
    size_t cap = s->n_series ? s->n_series : 1, nl = 0, n_cross = 0, slot = 0;
    chart_line *lines = calloc(cap, sizeof *lines);
    double **bufs = calloc(cap, sizeof *bufs);
    char (*labels)[160] = calloc(cap, sizeof *labels);
    if (!lines || !bufs || !labels) {
        b->oom = 1;
        goto done;
    }
    for (size_t i = 0; i < s->n_series; i++) {
        const series *se = &s->series[i];
        if (se->scope != SCOPE_DOMAIN && se->scope != SCOPE_CROSS)
            continue;
        double *xy = bufs[nl] = series_xy(se, Y_DISTANCE);
        if (!xy) {
            b->oom = 1;
            goto done;
        }
        n_cross += se->scope == SCOPE_CROSS;
        snprintf(labels[nl], sizeof labels[nl], "%s %s", se->name,
                 se->scope == SCOPE_CROSS ? "(cross-domain pairs)" : "(within domain)");
        lines[nl] = (chart_line){.label = labels[nl], .x = xy, .y = xy + se->n_rows,
                                 .n = se->n_rows, .color = palette[slot % N_PALETTE],
                                 .marker = (int)(slot % MARK_COUNT),
                                 .dashed = se->scope == SCOPE_CROSS, .width = 2};
        slot++;
        nl++;
    }
    if (!n_cross) {
        textbuf_puts(b, "<p>No cross-domain metric records in the input: metric-reduce writes them "
                     "when the input holds two or more domains, unless run with --no-wide.</p>\n");
        goto done;
    }
    chart c = {.title = "Cross-domain control: between- and within-domain distance",
               .x_label = "training step", .y_label = "mean pairwise edit distance", .x_steps = 1,
               .lines = lines, .n_lines = nl};
    textbuf_puts(b, "<figure>");
    chart_svg(b, &c);
    textbuf_puts(b, "</figure>\n");
done:
    for (size_t i = 0; bufs && i < cap; i++)
        free(bufs[i]);
    free(bufs);
    free(lines);
    free(labels);
}

/* After the loss flattened: its change in nats beside the distance's change
 * in %: the paper's point, that the loss hardly moves while pathways do. */
static void chart_settled(textbuf *b, const domain_story *d)
{
    if (!d->ser || d->flat_from + 1 >= d->n || !d->dist_state.defined)
        return;
    size_t k0 = d->flat_from, n = d->n - k0;
    double *v = malloc(4 * n * sizeof *v);
    if (!v) {
        b->oom = 1;
        return;
    }
    double *loss = v, *dist = v + n, *band_hi = v + 2 * n, *band_lo = v + 3 * n;
    for (size_t k = 0; k < n; k++) {
        loss[k] = d->loss[k0 + k] - d->loss[k0];
        dist[k] = 100 * (d->dist[k0 + k] - d->dist[k0]) / fabs(d->dist[k0]);
        band_hi[k] = d->delta;
        band_lo[k] = -d->delta;
    }
    char ttl[256], lab[96], from[32];
    step_text_html(from, sizeof from, d->step[k0]);
    snprintf(ttl, sizeof ttl, "%s: after the loss flattened (step %s)", d->domain, from);
    snprintf(lab, sizeof lab, "+delta (%.2f nats)", d->delta);
    chart_line lines[4] = {
        {.label = "training loss change (nats)", .x = d->step + k0, .y = loss, .n = n,
         .color = "#000000", .marker = MARK_CIRCLE, .width = 2.4},
        {.label = lab, .x = d->step + k0, .y = band_hi, .n = n, .color = "#999999",
         .marker = MARK_NONE, .dashed = 2, .width = 1.2},
        {.label = "-delta", .x = d->step + k0, .y = band_lo, .n = n, .color = "#999999",
         .marker = MARK_NONE, .dashed = 2, .width = 1.2},
        {.label = "pathway distance change (%, right axis)", .x = d->step + k0, .y = dist,
         .n = n, .color = "#0072B2", .marker = MARK_SQUARE, .right_axis = 1, .width = 2},
    };
    chart c = {.title = ttl, .x_label = "training step", .y_label = "loss - loss at flattening (nats)",
               .y2_label = "distance change (%)", .x_steps = 1, .lines = lines, .n_lines = 4};
    if (d->dist_fall.found) {
        c.band_x0 = d->step[d->dist_fall.a];
        c.band_x1 = d->step[d->dist_fall.b];
        c.band_note = "pathways converge";
    }
    textbuf_puts(b, "<figure>");
    chart_svg(b, &c);
    textbuf_puts(b, "</figure>\n");
    free(v);
}

/* The routing-entropy control (paper Fig. 13): entropy beside distance. */
static void chart_entropy(textbuf *b, const domain_story *d)
{
    if (!d->ser)
        return;
    size_t n = d->ser->n_rows;
    double *v = malloc(3 * (n ? n : 1) * sizeof *v);
    if (!v) {
        b->oom = 1;
        return;
    }
    int any = 0;
    for (size_t k = 0; k < n; k++) {
        v[k] = (double)d->ser->rows[k]->step;
        v[n + k] = d->ser->rows[k]->entropy_mean;
        v[2 * n + k] = d->ser->rows[k]->distance_mean;
        any |= isfinite(v[n + k]);
    }
    if (any) {
        char ttl[256];
        snprintf(ttl, sizeof ttl, "%s: routing entropy control", d->domain);
        chart_line lines[2] = {
            {.label = "mean routing entropy (nats)", .x = v, .y = v + n, .n = n,
             .color = "#CC79A7", .marker = MARK_DIAMOND, .width = 2},
            {.label = "pathway distance (right axis)", .x = v, .y = v + 2 * n, .n = n,
             .color = "#000000", .marker = MARK_NONE, .right_axis = 1, .dashed = 1, .width = 1.6},
        };
        chart c = {.title = ttl, .x_label = "training step", .y_label = "routing entropy",
                   .y2_label = "pathway distance", .x_steps = 1, .lines = lines, .n_lines = 2};
        textbuf_puts(b, "<figure>");
        chart_svg(b, &c);
        textbuf_puts(b, "</figure>\n");
    }
    free(v);
}

/* The fraction of each domain memorized by each checkpoint (paper Fig. 1),
 * from the membership records' group sizes and memorization steps. */
static void chart_memorized(textbuf *b, const study *s)
{
    if (!s->n_members)
        return;
    size_t n = s->n_steps, nd = s->n_domains;
    double *x = malloc((n + nd * n) * sizeof *x);
    chart_line *lines = calloc(nd ? nd : 1, sizeof *lines);
    if (!x || !lines) {
        free(x);
        free(lines);
        b->oom = 1;
        return;
    }
    for (size_t k = 0; k < n; k++)
        x[k] = (double)s->steps[k];
    size_t nl = 0;
    for (size_t d = 0; d < nd; d++) {
        double *y = x + n + d * n;
        int64_t total = 0;
        for (size_t g = 0; g < s->n_members; g++)
            if (strcmp(s->members[g].domain, s->domains[d]) == 0)
                total += s->members[g].n;
        if (!total)
            continue;
        for (size_t k = 0; k < n; k++) {
            int64_t mem = 0;
            for (size_t g = 0; g < s->n_members; g++) {
                const group_count *gc = &s->members[g];
                if (gc->has_mem_step && gc->mem_step <= s->steps[k] &&
                    strcmp(gc->domain, s->domains[d]) == 0)
                    mem += gc->n;
            }
            y[k] = 100.0 * (double)mem / (double)total;
        }
        lines[nl++] = (chart_line){.label = s->domains[d], .x = x, .y = y, .n = n,
                                   .color = palette[d % N_PALETTE],
                                   .marker = (int)(d % MARK_COUNT), .width = 2};
    }
    chart c = {.title = "Samples memorized by each checkpoint (t* <= step)",
               .x_label = "training step", .y_label = "memorized (% of the domain)", .x_steps = 1,
               .lines = lines, .n_lines = nl};
    if (nl) {
        textbuf_puts(b, "<figure>");
        chart_svg(b, &c);
        textbuf_puts(b, "</figure>\n");
    }
    free(x);
    free(lines);
}

/* A metric against accuracy over the row's window, with its least-squares
 * line (paper Fig. 7). */
static void chart_scatter(textbuf *b, const report *rp, const corr_row *row, int metric)
{
    const corr_cell *cell = &row->cell[metric];
    if (!cell->p_ok || cell->verdict == CV_UNDEFINED)
        return;
    const series *se = row->ser;
    double *v = malloc(4 * (se->n_rows ? se->n_rows : 1) * sizeof *v);
    if (!v) {
        b->oom = 1;
        return;
    }
    double *ax = v, *my = v + se->n_rows, *fx = v + 2 * se->n_rows;
    size_t n = 0;
    for (size_t k = 0; k < se->n_rows; k++) {
        const metric_row *m = se->rows[k];
        double a = value_table_get(rp->acc, m->step, row->key);
        double y = metric == CM_DISTANCE ? m->distance_mean : m->s_mean;
        if (m->step < row->window_from || isnan(a) || !isfinite(y))
            continue;
        ax[n] = a;
        my[n] = y;
        n++;
    }
    double a0, b1, lo = INFINITY, hi = -INFINITY;
    for (size_t k = 0; k < n; k++) {
        lo = fmin(lo, ax[k]);
        hi = fmax(hi, ax[k]);
    }
    chart_line lines[2] = {
        {.label = "checkpoints in the window", .x = ax, .y = my, .n = n, .color = "#0072B2",
         .marker = MARK_CIRCLE, .points_only = 1},
    };
    size_t nl = 1;
    if (stats_linear_fit(ax, my, n, &a0, &b1)) {
        fx[0] = lo;
        fx[1] = hi;
        fx[2] = a0 + b1 * lo;
        fx[3] = a0 + b1 * hi;
        lines[nl++] = (chart_line){.label = "least-squares line", .x = fx, .y = fx + 2, .n = 2,
                                   .color = "#D55E00", .marker = MARK_NONE, .dashed = 1,
                                   .width = 1.6};
    }
    char ttl[256];
    snprintf(ttl, sizeof ttl, "%s: %s against accuracy (r = %+.2f, p = %.2g)", row->key,
             metric == CM_DISTANCE ? "distance" : "S", cell->pearson,
             cell->perm_ok ? cell->p_perm : NAN);
    chart c = {.title = ttl, .x_label = "test accuracy",
               .y_label = metric == CM_DISTANCE ? "pathway distance" : "consistency S",
               .lines = lines, .n_lines = nl};
    textbuf_puts(b, "<figure>");
    chart_svg(b, &c);
    textbuf_puts(b, "</figure>\n");
    free(v);
}

static void html_num(textbuf *b, double v, int decimals)
{
    char t[64];
    if (isnan(v))
        snprintf(t, sizeof t, "&#8211;");
    else
        snprintf(t, sizeof t, "%.*f", decimals, v);
    textbuf_printf(b, "<td>%s</td>", t);
}

static void html_corr_cell(textbuf *b, const corr_cell *c)
{
    if (c->verdict == CV_UNDEFINED || !c->p_ok) {
        textbuf_puts(b, "<td class=\"undef\" colspan=\"3\" title=\"");
        textbuf_xml(b, c->why);
        textbuf_puts(b, "\">undefined</td>");
        return;
    }
    textbuf_printf(b, "<td class=\"%s\">%+.2f", c->verdict == CV_TRACKS ? "tracks" : "", c->pearson);
    if (c->ci_ok)
        textbuf_printf(b, " <small>[%+.2f, %+.2f]</small>", c->ci_lo, c->ci_hi);
    textbuf_puts(b, "</td>");
    if (c->s_ok == 1)
        textbuf_printf(b, "<td>%+.2f</td>", c->spearman);
    else
        textbuf_puts(b, "<td class=\"undef\">undefined</td>");
    if (c->perm_ok)
        textbuf_printf(b, "<td>%.2g</td>", c->p_perm);
    else
        textbuf_puts(b, "<td class=\"undef\">&#8211;</td>");
}

static void html_correlation(textbuf *b, const report *rp)
{
    const corr_table *c = rp->corr;
    int paired = c->by_group && rp->acc && rp->acc->n && rp->acc->e[0].partner;
    textbuf_puts(b, "<h2>Correlation with test accuracy across checkpoints (Table 1)</h2>\n");
    textbuf_puts(b, "<p>Pearson and Spearman (ties take average ranks) correlation, across the "
                 "checkpoints of each row's window that have an accuracy, of each metric with "
                 "test accuracy. r: Pearson with its 95 % bootstrap interval over checkpoints; "
                 "&#961;: Spearman; p: two-sided permutation p-value of r. A metric "
                 "<span class=\"tracks\">tracks</span> accuracy (shaded) when p &lt; 0.05 and the "
                 "interval excludes 0. The paper expects distance to fall (negative) and S to "
                 "rise (positive) with accuracy; C = 1 - S has the opposite sign of S. "
                 "<em>undefined</em>: a metric constant across checkpoints (hover for why) or "
                 "fewer than 2 checkpoints.</p>\n");
    textbuf_printf(b, "<table><thead><tr><th class=\"l\" rowspan=\"2\">%s</th><th rowspan=\"2\">"
                   "checkpoints</th><th rowspan=\"2\">window</th>",
                   c->by_group ? "group" : "domain");
    if (paired)
        textbuf_puts(b, "<th class=\"l\" rowspan=\"2\">paired test group</th>");
    static const char *const heads[CM_COUNT] = {
        "pathway distance", "S (plotted)", "C (as printed)", "training loss",
        "moving-avg training loss", "validation loss"};
    int cols = 0;
    for (int m = 0; m < CM_COUNT; m++)
        if (m != CM_VAL_LOSS || c->has_val_loss) {
            textbuf_printf(b, "<th colspan=\"3\" class=\"c\">%s</th>", heads[m]);
            cols++;
        }
    textbuf_puts(b, "</tr><tr>");
    for (int m = 0; m < cols; m++)
        textbuf_puts(b, "<th>r</th><th>&#961;</th><th>p</th>");
    textbuf_puts(b, "</tr></thead><tbody>\n");
    for (size_t i = 0; i < c->n_rows; i++) {
        const corr_row *r = &c->rows[i];
        textbuf_puts(b, "<tr><td class=\"l\">");
        textbuf_xml(b, r->key);
        textbuf_printf(b, "</td><td>%zu</td><td title=\"", r->n);
        textbuf_xml(b, r->window_why);
        textbuf_puts(b, "\">");
        if (r->n) {
            char a[32], z[32];
            fmt_step(a, sizeof a, r->first_step);
            fmt_step(z, sizeof z, r->last_step);
            textbuf_printf(b, "%s&#8211;%s", a, z);
        }
        textbuf_puts(b, "</td>");
        if (paired) {
            const char *tg = value_table_partner(rp->acc, r->key);
            textbuf_puts(b, "<td class=\"l\">");
            textbuf_xml(b, tg ? tg : "");
            textbuf_puts(b, "</td>");
        }
        for (int m = 0; m < CM_COUNT; m++) {
            if (m == CM_VAL_LOSS && !c->has_val_loss)
                continue;
            html_corr_cell(b, &r->cell[m]);
        }
        textbuf_puts(b, "</tr>\n");
    }
    textbuf_puts(b, "</tbody></table>\n");
}

static void html_memorization(textbuf *b, const study *s)
{
    textbuf_puts(b, "<h2>Memorization summary</h2>\n");
    if (s->n_calibs) {
        textbuf_puts(b, "<table><thead><tr><th class=\"l\">domain</th><th>samples</th><th>eps "
                     "(nats)</th><th>delta</th><th>memorized before the last checkpoint</th>"
                     "<th class=\"l\">eps was</th><th class=\"l\">20-25 % band</th></tr>"
                     "</thead><tbody>\n");
        for (size_t i = 0; i < s->n_calibs; i++) {
            const calibration *c = &s->calibs[i];
            textbuf_puts(b, "<tr><td class=\"l\">");
            textbuf_xml(b, c->domain);
            textbuf_puts(b, "</td>");
            html_num(b, c->n < 0 ? NAN : (double)c->n, 0);
            html_num(b, c->eps, 4);
            html_num(b, c->delta, 3);
            if (isnan(c->memorized_before_last))
                html_num(b, NAN, 0);
            else
                textbuf_printf(b, "<td>%.1f%%</td>", 100 * c->memorized_before_last);
            textbuf_printf(b, "<td class=\"l\">%s</td>",
                           c->calibrated == 0 ? "given"
                           : c->calibrated != 1 ? "&#8211;"
                           : c->search && strcmp(c->search, "grid") == 0 ? "searched (paper's grid)"
                           : "searched (loss values)");
            textbuf_printf(b, "<td class=\"l%s\">%s</td></tr>\n",
                           c->in_band == 0 && c->calibrated == 1 ? " missed" : "",
                           c->in_band == 1 ? "in band" : c->in_band == 0 ? (c->calibrated == 1 ? "MISSED" : "outside") : "&#8211;");
        }
        textbuf_puts(b, "</tbody></table>\n");
    } else {
        textbuf_puts(b, "<p>No calibration records in the input: eps and delta are not known here.</p>\n");
    }
    textbuf_puts(b, "<table><thead><tr><th class=\"l\">domain</th><th class=\"l\">group</th>"
                 "<th>memorization step t*</th><th>samples</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < s->n_series; i++) {
        const series *se = &s->series[i];
        if (se->scope != SCOPE_GROUP)
            continue;
        int64_t n = study_group_size(s, se);
        textbuf_printf(b, "<tr><td class=\"l\">");
        textbuf_xml(b, se->domain);
        textbuf_printf(b, "</td><td class=\"l\"><span class=\"sw\" style=\"background:%s\"></span>",
                       palette[se->color % N_PALETTE]);
        textbuf_xml(b, se->name);
        if (se->has_mem_step)
            textbuf_printf(b, "</td><td>%lld</td>", (long long)se->mem_step);
        else
            textbuf_puts(b, "</td><td>never</td>");
        textbuf_printf(b, "<td>%lld</td></tr>\n", (long long)n);
    }
    textbuf_puts(b, "</tbody></table>\n");
}

static void html_metrics(textbuf *b, const study *s)
{
    textbuf_puts(b, "<h2>All metrics per group and checkpoint</h2>\n<table><thead><tr>"
                 "<th class=\"l\">scope</th><th class=\"l\">group</th><th>step</th><th>n</th>"
                 "<th>pairs</th><th>distance</th><th>&#177; se</th><th>C (as printed)</th>"
                 "<th>S (plotted)</th><th>loss</th><th>moving-avg loss</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < s->n_series; i++)
        for (size_t k = 0; k < s->series[i].n_rows; k++) {
            const metric_row *m = s->series[i].rows[k];
            textbuf_printf(b, "<tr><td class=\"l\">%s</td><td class=\"l\">", scope_names[m->scope]);
            textbuf_xml(b, m->group);
            textbuf_printf(b, "</td><td>%lld</td><td>%lld</td>", (long long)m->step, (long long)m->n);
            html_num(b, m->pairs < 0 ? NAN : (double)m->pairs, 0);
            html_num(b, m->distance_mean, 2);
            html_num(b, m->distance_se, 2);
            html_num(b, m->c_mean, 4);
            html_num(b, m->s_mean, 4);
            html_num(b, m->loss_mean, 4);
            html_num(b, m->loss_ma, 4);
            textbuf_puts(b, "</tr>\n");
        }
    textbuf_puts(b, "</tbody></table>\n");
}

static void html_list(textbuf *b, const char *title, char *const *lines, size_t n,
                      const char *cls)
{
    if (!n)
        return;
    textbuf_printf(b, "<h2>%s</h2>\n<ul%s%s%s>\n", title, cls ? " class=\"" : "", cls ? cls : "",
                   cls ? "\"" : "");
    for (size_t i = 0; i < n; i++) {
        textbuf_puts(b, "<li>");
        textbuf_xml(b, lines[i]);
        textbuf_puts(b, "</li>\n");
    }
    textbuf_puts(b, "</ul>\n");
}

void html_write(textbuf *b, const report *rp)
{
    const study *s = rp->s;
    size_t n_groups = study_group_count(s);
    textbuf_puts(b,
                 "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<title>grokmon report</title>\n<style>\n"
                 "body{font-family:Helvetica,Arial,sans-serif;margin:24px auto;max-width:1320px;"
                 "color:#222;padding:0 16px;line-height:1.4}\n"
                 "h1{font-size:24px}h2{font-size:19px;margin-top:32px;border-bottom:1px solid #ccc}\n"
                 "table{border-collapse:collapse;font-size:13px;margin:8px 0 16px}\n"
                 "th,td{padding:3px 9px;border-bottom:1px solid #e2e2e2;text-align:right}\n"
                 "th{background:#f2f2f2}.l{text-align:left}th.c{text-align:center}td{white-space:nowrap}td.undef{color:#888;font-style:italic}\n"
                 ".charts{display:flex;flex-wrap:wrap;gap:8px}figure{margin:0}\n"
                 ".note{background:#f4f7fb;border-left:4px solid #0072B2;padding:8px 12px}\n"
                 ".sw{display:inline-block;width:10px;height:10px;margin-right:6px}\n"
                 "li{margin-bottom:6px}code{font-size:12px}\n"
                 ".warn{background:#fdf0e6;border-left:4px solid #D55E00;padding:8px 12px}\n"
                 "td.tracks,span.tracks{background:#e3f4ec}td.missed{color:#D55E00;font-weight:bold}\n"
                 "</style>\n</head>\n<body>\n<h1>grokmon report: memorization to generalization "
                 "from training data</h1>\n");
    textbuf_printf(b, "<p>%zu checkpoints (steps %lld to %lld), %zu domains, %zu memorization "
                   "groups.</p>\n", s->n_steps, (long long)s->steps[0],
                   (long long)s->steps[s->n_steps - 1], s->n_domains, n_groups);
    html_list(b, "Warnings", rp->find->warnings, rp->find->n_warnings, "warn");
    textbuf_puts(b, "<p class=\"note\"><strong>Consistency plotted: S = 1 &#8722; C</strong>, the "
                 "normalized mean cosine between consecutive layers' routing embeddings; it rises "
                 "as pathways become smooth (with generalization). C, the value as the paper "
                 "prints it, is in the tables. Pathway distance is the mean pairwise edit "
                 "distance of the samples' pathway strings; it falls as pathways become "
                 "shared.</p>\n");
    html_list(b, "Findings", rp->find->lines, rp->find->n, NULL);
    html_list(b, "Analysis choices", rp->find->choices, rp->find->n_choices, NULL);
    if (rp->corr->present) {
        html_correlation(b, rp);
        textbuf_puts(b, "<div class=\"charts\">\n");
        for (size_t i = 0; i < rp->corr->n_rows; i++) {
            chart_scatter(b, rp, &rp->corr->rows[i], CM_DISTANCE);
            chart_scatter(b, rp, &rp->corr->rows[i], CM_S);
        }
        textbuf_puts(b, "</div>\n");
    }
    html_memorization(b, s);
    textbuf_puts(b, "<div class=\"charts\">\n");
    chart_memorized(b, s);
    textbuf_puts(b, "</div>\n");
    for (size_t d = 0; d < s->n_domains; d++) {
        const char *dom = s->domains[d];
        int any = 0;
        for (size_t i = 0; i < s->n_series; i++)
            any |= s->series[i].domain && strcmp(s->series[i].domain, dom) == 0;
        if (!any)
            continue;
        const domain_story *ds_story = story_domain(rp->st, dom);
        textbuf_puts(b, "<h2>Domain: ");
        textbuf_xml(b, dom);
        textbuf_puts(b, "</h2>\n");
        if (ds_story && !ds_story->s_state.defined && ds_story->ser) {
            textbuf_puts(b, "<p class=\"note\">Consistency S is not plotted: ");
            textbuf_xml(b, ds_story->s_state.why);
            textbuf_puts(b, ".</p>\n");
        }
        textbuf_puts(b, "<div class=\"charts\">\n");
        if (!ds_story || ds_story->dist_state.defined)
            chart_domain(b, rp, dom, Y_DISTANCE);
        if (!ds_story || ds_story->s_state.defined)
            chart_domain(b, rp, dom, Y_S);
        chart_domain(b, rp, dom, Y_LOSS);
        if (ds_story) {
            chart_settled(b, ds_story);
            chart_entropy(b, ds_story);
        }
        const series *ds = study_find_series(s, SCOPE_DOMAIN, dom);
        if (ds)
            chart_layers(b, ds);
        textbuf_puts(b, "</div>\n");
    }
    const series *all = study_find_series(s, SCOPE_ALL, "all");
    if (all) {
        textbuf_puts(b, "<h2>All samples</h2>\n<div class=\"charts\">\n");
        chart_layers(b, all);
        textbuf_puts(b, "</div>\n");
    }
    textbuf_puts(b, "<h2>Cross-domain control</h2>\n<p>Distance between samples of two different "
                 "domains should show no downward trend, unlike the within-domain distance; the "
                 "findings judge it over each domain's converging range.</p>\n"
                 "<div class=\"charts\">\n");
    chart_cross(b, s);
    textbuf_puts(b, "</div>\n");
    html_metrics(b, s);
    textbuf_puts(b, "<h2>Provenance</h2>\n<ul>\n");
    for (size_t i = 0; i < s->n_inputs; i++) {
        textbuf_puts(b, "<li><code>");
        textbuf_xml(b, s->inputs[i]);
        textbuf_puts(b, "</code>: ");
        textbuf_xml(b, s->provenance[i]);
        textbuf_puts(b, "</li>\n");
    }
    if (rp->acc) {
        textbuf_puts(b, "<li>accuracy: <code>");
        textbuf_xml(b, rp->acc->path);
        textbuf_puts(b, "</code></li>\n");
    }
    if (s->n_other)
        textbuf_printf(b, "<li>%zu records of other types were ignored.</li>\n", s->n_other);
    textbuf_puts(b, "</ul>\n<p>Made by grokmon report " GM_VERSION ".</p>\n</body>\n</html>\n");
}
