/* findings.c: the plain-words lines under the correlation table: which
 * metrics track accuracy here and which do not (thresholds below), and for
 * each memorized group whether its loss stayed flat after t* while its
 * pathway distance or consistency kept moving (method.md, "What the paper
 * shows"). Words only; the numbers come from correlate.c and the records. */
#include "report.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* |r| at or above TRACK (both coefficients): tracks; at or above WEAK: weakly. */
#define TRACK 0.7
#define WEAK 0.4
/* A pathway metric "kept moving" when it changed by at least this fraction. */
#define MOVE 0.05
/* A group's loss is flat when its range after t* is within 2 delta (each
 * sample stays within delta of its final loss; method.md). */
#define DEFAULT_DELTA 0.05

static int findings_add(findings *f, gm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int findings_add(findings *f, gm_error *err, const char *fmt, ...)
{
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char **p = realloc(f->lines, (f->n + 1) * sizeof *p);
    if (!p)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    f->lines = p;
    if (!(p[f->n] = strdup(line)))
        return gm_fail(err, GM_ENOMEM, "out of memory");
    f->n++;
    return 0;
}

static void text_add(char *text, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void text_add(char *text, size_t cap, const char *fmt, ...)
{
    size_t len = strlen(text);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text + len, cap - len, fmt, ap);
    va_end(ap);
}

/* Appends "name (r = +0.96, rho = +1.00)" to list (comma separated). */
static void list_add(char *list, size_t cap, const char *name, const corr_cell *c)
{
    size_t len = strlen(list);
    char sp[32];
    if (c->s_ok == 1)
        snprintf(sp, sizeof sp, "%+.2f", c->spearman);
    else
        snprintf(sp, sizeof sp, "undefined");
    snprintf(list + len, cap - len, "%s%s (Pearson %+.2f, Spearman %s)", len ? ", " : "", name,
             c->pearson, sp);
}

static int corr_findings(findings *f, const corr_table *c, gm_error *err)
{
    static const int shown[] = {CM_DISTANCE, CM_S, CM_LOSS, CM_LOSS_MA, CM_VAL_LOSS};
    for (size_t i = 0; i < c->n_rows; i++) {
        const corr_row *row = &c->rows[i];
        char track[1024] = "", weak[1024] = "", none[1024] = "", undef[512] = "", dir[512] = "";
        for (size_t k = 0; k < sizeof shown / sizeof *shown; k++) {
            int m = shown[k];
            const corr_cell *cell = &row->cell[m];
            if (m == CM_VAL_LOSS && !c->has_val_loss)
                continue;
            if (!cell->p_ok) {
                size_t len = strlen(undef);
                snprintf(undef + len, sizeof undef - len, "%s%s", len ? ", " : "",
                         corr_metric_titles[m]);
                continue;
            }
            double a = fabs(cell->pearson), b = cell->s_ok == 1 ? fabs(cell->spearman) : a;
            if (a >= TRACK && b >= TRACK) {
                list_add(track, sizeof track, corr_metric_titles[m], cell);
                int expect = m == CM_DISTANCE ? -1 : m == CM_S ? 1 : 0;
                if (expect && (cell->pearson > 0 ? 1 : -1) != expect) {
                    size_t len = strlen(dir);
                    snprintf(dir + len, sizeof dir - len, "%s%s", len ? " and " : "",
                             corr_metric_titles[m]);
                }
            } else if (a >= WEAK || b >= WEAK) {
                list_add(weak, sizeof weak, corr_metric_titles[m], cell);
            } else {
                list_add(none, sizeof none, corr_metric_titles[m], cell);
            }
        }
        if (row->n == 0) {
            if (findings_add(f, err, "%s: no checkpoint at or after step %lld has an accuracy, "
                             "so nothing is correlated.", row->key, (long long)c->from_step) != 0)
                return -1;
            continue;
        }
        char first[32], last[32];
        fmt_step(first, sizeof first, row->first_step);
        fmt_step(last, sizeof last, row->last_step);
        char text[4096];
        snprintf(text, sizeof text, "%s (%zu checkpoints, steps %s to %s): ", row->key, row->n,
                 first, last);
        if (row->n < 3)
            text_add(text, sizeof text, "too few checkpoints with accuracy to say what tracks it. ");
        if (*track)
            text_add(text, sizeof text, "tracks accuracy: %s. ", track);
        else
            text_add(text, sizeof text, "no metric tracks accuracy here (|r| >= %.1f). ", TRACK);
        if (*weak)
            text_add(text, sizeof text, "Weakly: %s. ", weak);
        if (*none)
            text_add(text, sizeof text, "Does not track it: %s. ", none);
        if (*undef)
            text_add(text, sizeof text, "Undefined (a constant series or fewer than 2 "
                     "checkpoints): %s. ", undef);
        if (*dir)
            text_add(text, sizeof text, "Note: %s move%s opposite to the paper's direction "
                     "(distance should fall and S rise as accuracy rises). ", dir,
                     strstr(dir, " and ") ? "" : "s");
        size_t tl = strlen(text);
        if (tl && text[tl - 1] == ' ')
            text[tl - 1] = 0;
        if (findings_add(f, err, "%s", text) != 0)
            return -1;
    }
    return 0;
}

static int group_findings(findings *f, const study *s, gm_error *err)
{
    int said = 0;
    for (size_t i = 0; i < s->n_series; i++) {
        const series *se = &s->series[i];
        if (se->scope != SCOPE_GROUP || !se->has_mem_step)
            continue;
        size_t k0 = se->n_rows;
        for (size_t k = 0; k < se->n_rows; k++)
            if (se->rows[k]->step >= se->mem_step) {
                k0 = k;
                break;
            }
        size_t npts = se->n_rows - k0;
        if (npts < 3)
            continue;
        double lo = INFINITY, hi = -INFINITY;
        for (size_t k = k0; k < se->n_rows; k++) {
            double l = se->rows[k]->loss_mean;
            if (!isnan(l)) {
                lo = fmin(lo, l);
                hi = fmax(hi, l);
            }
        }
        if (!(hi >= lo))
            continue;
        const calibration *cal = study_calibration(s, se->domain);
        double delta = cal && !isnan(cal->delta) ? cal->delta : DEFAULT_DELTA;
        const metric_row *a = se->rows[k0], *b = se->rows[se->n_rows - 1];
        double dd = (b->distance_mean - a->distance_mean) / fabs(a->distance_mean);
        double ds = (b->s_mean - a->s_mean) / fabs(a->s_mean);
        int dist_moves = isfinite(dd) && fabs(dd) >= MOVE;
        int s_moves = isfinite(ds) && fabs(ds) >= MOVE;
        char ms[32];
        fmt_step(ms, sizeof ms, se->mem_step);
        char moves[512] = "";
        if (isfinite(dd))
            snprintf(moves, sizeof moves, "pathway distance %.1f -> %.1f (%+.1f%%)",
                     a->distance_mean, b->distance_mean, 100 * dd);
        if (isfinite(ds)) {
            size_t len = strlen(moves);
            snprintf(moves + len, sizeof moves - len, "%sS %.3f -> %.3f (%+.1f%%)",
                     len ? ", " : "", a->s_mean, b->s_mean, 100 * ds);
        }
        if (!*moves)
            continue; /* neither pathway metric is defined at both ends */
        /* The paper's direction after memorization: distance falls, S rises. */
        int converging = (dist_moves && dd < 0) || (s_moves && ds > 0);
        int diverging = (dist_moves && dd > 0) || (s_moves && ds < 0);
        const char *verdict =
            converging && !diverging ? "Memorization before generalization: the pathways "
                                       "converge after the loss is flat."
            : diverging && !converging ? "The pathways move away from convergence (distance "
                                         "rising or S falling), unlike the paper's groups."
            : "Distance and S disagree on the direction.";
        int rc;
        if (hi - lo <= 2 * delta && (dist_moves || s_moves))
            rc = findings_add(f, err, "%s: loss flat after its memorization step %s (range %.3f "
                              "nats over %zu checkpoints, within 2 delta = %.2f) while its "
                              "pathways kept moving: %s. %s", se->name, ms, hi - lo, npts,
                              2 * delta, moves, verdict);
        else if (hi - lo <= 2 * delta)
            rc = findings_add(f, err, "%s: loss and pathways both flat after its memorization "
                              "step %s (loss range %.3f nats; %s).", se->name, ms, hi - lo, moves);
        else
            rc = findings_add(f, err, "%s: loss still moving after its memorization step %s "
                              "(range %.3f nats, more than 2 delta = %.2f); %s.", se->name, ms,
                              hi - lo, 2 * delta, moves);
        if (rc != 0)
            return -1;
        said++;
    }
    if (!said)
        return findings_add(f, err, "No memorized group has three or more checkpoints from its "
                            "memorization step on, so nothing can be said about loss against "
                            "pathways after memorization.");
    return 0;
}

int findings_build(findings *f, const study *s, const corr_table *c, gm_error *err)
{
    memset(f, 0, sizeof *f);
    if (c->present && corr_findings(f, c, err) != 0)
        return -1;
    return group_findings(f, s, err);
}

void findings_free(findings *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->lines[i]);
    free(f->lines);
    memset(f, 0, sizeof *f);
}
