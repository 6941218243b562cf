/* findings.c: the report's words. Warnings first (a missed eps band, a
 * cross-domain control that fails), then per domain what the training data
 * alone say (story.c: loss flat since when, where the pathways converge
 * beyond their noise, the groups summarized in the same line, the control),
 * then per Table 1 row which metrics track accuracy judged on their
 * uncertainty (correlate.c), the routing-entropy control, and the analysis
 * choices. One line per domain however many groups it has. Words only: the
 * numbers come from story.c, correlate.c and the records. */
#include "report.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "story.h"

static int list_add(char ***list, size_t *n, const textbuf *b, gm_error *err)
{
    if (!textbuf_ok(b))
        return gm_fail(err, GM_ENOMEM, "out of memory");
    char **p = realloc(*list, (*n + 1) * sizeof *p);
    if (!p)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    *list = p;
    if (!(p[*n] = strdup(b->len ? b->p : "")))
        return gm_fail(err, GM_ENOMEM, "out of memory");
    (*n)++;
    return 0;
}

static void step_text(char *buf, size_t cap, double step) { fmt_step(buf, cap, (int64_t)step); }

/* ---- warnings ------------------------------------------------------------ */

static int band_warnings(findings *f, const study *s, gm_error *err)
{
    for (size_t i = 0; i < s->n_calibs; i++) {
        const calibration *c = &s->calibs[i];
        if (c->calibrated != 1 || c->in_band != 0)
            continue;
        textbuf b = {0};
        textbuf_printf(&b, "eps calibration MISSED the 20-25 %% band for domain %s: no eps memorizes "
                       "20-25 %% of its samples before the last checkpoint (search: %s). Chosen "
                       "instead: eps %.4g, which memorizes %.1f %%. Its memorization groups rest on "
                       "that eps; set it with metric-reduce --eps-domain %s=V to choose another.",
                       c->domain, c->search ? c->search : "unknown", c->eps,
                       100 * c->memorized_before_last, c->domain);
        int rc = list_add(&f->warnings, &f->n_warnings, &b, err);
        textbuf_free(&b);
        if (rc)
            return -1;
    }
    return 0;
}

/* ---- per domain, from training data alone ------------------------------- */

static void say_loss(textbuf *b, const domain_story *d)
{
    char from[32], last[32];
    step_text(from, sizeof from, d->step[d->flat_from]);
    step_text(last, sizeof last, d->step[d->n - 1]);
    if (d->flat_from + 1 >= d->n)
        textbuf_printf(b, "loss still moving: it changed by more than 2 delta = %.2f nats between "
                       "the last two checkpoints, so there is no stretch of flat loss to read the "
                       "pathways against. ", 2 * d->delta);
    else
        textbuf_printf(b, "loss flat since step %s (it moved %.3f nats from there to step %s, within "
                       "2 delta = %.2f). ", from, d->loss_moved_flat, last, 2 * d->delta);
}

static void say_distance(textbuf *b, const domain_story *d)
{
    if (!d->dist_state.defined) {
        textbuf_printf(b, "Pathway distance undefined: %s. ", d->dist_state.why);
        return;
    }
    if (d->flat_from + 1 >= d->n)
        return;
    char a[32], z[32];
    if (d->dist_fall.found) {
        step_text(a, sizeof a, d->step[d->dist_fall.a]);
        step_text(z, sizeof z, d->step[d->dist_fall.b]);
        textbuf_printf(b, "Pathways converge from step %s to %s: distance %.4g -> %.4g (%+.0f %%, "
                       "noise %.2g per checkpoint) while the loss moved %.3f nats. ", a, z,
                       d->dist_fall.from, d->dist_fall.to,
                       100 * (d->dist_fall.to - d->dist_fall.from) / fabs(d->dist_fall.from),
                       d->dist_noise, d->loss_moved_fall);
        return;
    }
    step_text(a, sizeof a, d->step[d->flat_from]);
    step_text(z, sizeof z, d->step[d->n - 1]);
    trend_move rise;
    trend_largest_move(d->dist, d->flat_from, d->n - 1, d->dist_noise, 1, &rise);
    if (rise.found) {
        char ra[32], rz[32];
        step_text(ra, sizeof ra, d->step[rise.a]);
        step_text(rz, sizeof rz, d->step[rise.b]);
        textbuf_printf(b, "Pathway distance does not fall beyond its noise while the loss is flat "
                       "(steps %s to %s); it rises from step %s to %s (%.4g -> %.4g), away from "
                       "convergence: no sign of generalization from the pathways yet. ", a, z, ra,
                       rz, rise.from, rise.to);
    } else {
        textbuf_printf(b, "Pathway distance does not fall beyond its noise while the loss is flat "
                       "(steps %s to %s; largest fall %.3g, noise %.2g per checkpoint): no sign of "
                       "generalization from the pathways yet. ", a, z, d->dist_fall.size,
                       d->dist_noise);
    }
}

static void say_s(textbuf *b, const domain_story *d)
{
    if (!d->s_state.defined) {
        textbuf_printf(b, "Consistency S undefined: %s. ", d->s_state.why);
        return;
    }
    if (d->flat_from + 1 >= d->n)
        return;
    if (d->s_rise.found) {
        char a[32], z[32];
        step_text(a, sizeof a, d->step[d->s_rise.a]);
        step_text(z, sizeof z, d->step[d->s_rise.b]);
        textbuf_printf(b, "Consistency S rises from step %s to %s: %.4g -> %.4g (noise %.2g). ", a,
                       z, d->s_rise.from, d->s_rise.to, d->s_noise);
    } else {
        textbuf_printf(b, "Consistency S does not rise beyond its noise (%.2g) while the loss is "
                       "flat. ", d->s_noise);
    }
}

static void say_groups(textbuf *b, const domain_story *d)
{
    if (!d->groups)
        return;
    textbuf_printf(b, "Groups: %zu memorization group%s (%lld of %lld samples memorized by the "
                   "last checkpoint)", d->groups,
                   d->groups == 1 ? "" : "s", (long long)d->samples_memorized, (long long)d->samples);
    if (d->groups_checked)
        textbuf_printf(b, "; of the %zu with 3 or more checkpoints from their memorization step on, "
                       "%zu fall%s beyond %s noise after it. ", d->groups_checked,
                       d->groups_falling, d->groups_falling == 1 ? "s" : "",
                       d->groups_falling == 1 ? "its" : "their");
    else
        textbuf_puts(b, "; none has 3 or more checkpoints from its memorization step on. ");
}

static void say_cross(textbuf *b, const domain_story *d)
{
    if (!d->dist_fall.found)
        return;
    if (!d->cross_checked) {
        textbuf_puts(b, "No cross-domain control: the input has no cross-domain distances for this "
                     "domain. ");
        return;
    }
    if (d->cross_fails)
        textbuf_printf(b, "Cross-domain control FAILS: the distance between samples of %s fell "
                       "%.0f %% over the same steps (within %s: %.0f %%), so the fall is not "
                       "specific to this domain. ", d->cross_name, -100 * d->cross_change, d->domain,
                       -100 * d->within_change);
    else
        textbuf_printf(b, "Cross-domain control holds: %s changed %+.0f %% over the same steps "
                       "(within %s: %+.0f %%). ", d->cross_name, 100 * d->cross_change, d->domain,
                       100 * d->within_change);
}

static int domain_findings(findings *f, const story *st, gm_error *err)
{
    for (size_t i = 0; i < st->n; i++) {
        const domain_story *d = &st->d[i];
        if (!d->ser)
            continue;
        textbuf b = {0};
        textbuf_printf(&b, "%s: ", d->domain);
        if (!d->loss_known)
            textbuf_puts(&b, "no loss in the metric records, so nothing can be said about loss "
                         "against pathways. ");
        else {
            say_loss(&b, d);
            say_distance(&b, d);
            say_s(&b, d);
        }
        say_groups(&b, d);
        say_cross(&b, d);
        if (b.len && b.p[b.len - 1] == ' ')
            b.p[--b.len] = 0;
        int rc = list_add(&f->lines, &f->n, &b, err);
        textbuf_free(&b);
        if (rc)
            return -1;
        if (d->cross_fails) {
            textbuf w = {0};
            textbuf_printf(&w, "Cross-domain control FAILS for %s: distance across domains (%s) "
                           "fell %.0f %% where the within-domain distance fell %.0f %%; the "
                           "within-domain fall may be routing changing everywhere, not %s's "
                           "samples coming to share pathways.", d->domain, d->cross_name,
                           -100 * d->cross_change, -100 * d->within_change, d->domain);
            rc = list_add(&f->warnings, &f->n_warnings, &w, err);
            textbuf_free(&w);
            if (rc)
                return -1;
        }
    }
    return 0;
}

/* ---- with accuracy: Table 1 judged on its uncertainty -------------------- */

static void say_cell(textbuf *b, const corr_cell *c)
{
    textbuf_printf(b, "r = %+.2f", c->pearson);
    if (c->ci_ok)
        textbuf_printf(b, " [%+.2f, %+.2f]", c->ci_lo, c->ci_hi);
    if (c->perm_ok)
        textbuf_printf(b, ", p = %.3g", c->p_perm);
    if (c->s_ok == 1)
        textbuf_printf(b, ", rho = %+.2f", c->spearman);
}

/* "pathway distance" -> "Pathway distance": a metric's name opening a sentence. */
static void sentence_name(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s", name);
    if (buf[0] >= 'a' && buf[0] <= 'z')
        buf[0] = (char)(buf[0] - 'a' + 'A');
}

static int corr_findings(findings *f, const corr_table *c, gm_error *err)
{
    static const int shown[] = {CM_DISTANCE, CM_S, CM_LOSS, CM_LOSS_MA, CM_VAL_LOSS};
    for (size_t i = 0; i < c->n_rows; i++) {
        const corr_row *row = &c->rows[i];
        textbuf b = {0};
        char first[32], last[32];
        fmt_step(first, sizeof first, row->first_step);
        fmt_step(last, sizeof last, row->last_step);
        textbuf_printf(&b, "%s, against test accuracy (window: %s; ", row->key, row->window_why);
        if (row->n == 0)
            textbuf_puts(&b, "no checkpoint in it has an accuracy, so nothing is correlated). ");
        else
            textbuf_printf(&b, "%zu checkpoints, steps %s to %s): ", row->n, first, last);
        int any_tracks = 0;
        for (size_t k = 0; k < sizeof shown / sizeof *shown && row->n; k++) {
            int m = shown[k];
            const corr_cell *cell = &row->cell[m];
            if (m == CM_VAL_LOSS && !c->has_val_loss)
                continue;
            char name[64];
            sentence_name(name, sizeof name, corr_metric_titles[m]);
            switch (cell->verdict) {
            case CV_UNDEFINED:
                textbuf_printf(&b, "%s undefined (%s). ", name, cell->why);
                break;
            case CV_TOO_FEW:
                textbuf_printf(&b, "%s: ", name);
                say_cell(&b, cell);
                textbuf_puts(&b, ", too few checkpoints to judge. ");
                break;
            case CV_TRACKS: {
                int expect = m == CM_DISTANCE ? -1 : m == CM_S ? 1 : 0;
                any_tracks |= expect != 0;
                textbuf_printf(&b, "%s tracks it: ", name);
                say_cell(&b, cell);
                if (expect && (cell->pearson > 0 ? 1 : -1) != expect)
                    textbuf_puts(&b, ", opposite to the paper's direction (distance should fall "
                                 "and S rise with accuracy)");
                textbuf_puts(&b, ". ");
                break;
            }
            default:
                textbuf_printf(&b, "%s not shown to track it: ", name);
                say_cell(&b, cell);
                textbuf_puts(&b, ". ");
            }
        }
        if (row->n && !any_tracks)
            textbuf_printf(&b, "No pathway metric is shown to track accuracy here (p < %.2f with a "
                           "95 %% interval excluding 0).", CORR_ALPHA);
        if (b.len && b.p[b.len - 1] == ' ')
            b.p[--b.len] = 0;
        int rc = list_add(&f->lines, &f->n, &b, err);
        textbuf_free(&b);
        if (rc)
            return -1;
    }
    return 0;
}

/* ---- the routing-entropy control (paper: weak, r = 0.24) ------------------ */

static int entropy_findings(findings *f, const story *st, gm_error *err)
{
    for (size_t i = 0; i < st->n; i++) {
        const domain_story *d = &st->d[i];
        if (!d->ser || !d->dist_state.defined)
            continue;
        double *x = malloc(2 * (d->ser->n_rows ? d->ser->n_rows : 1) * sizeof *x);
        if (!x)
            return gm_fail(err, GM_ENOMEM, "out of memory");
        double *y = x + d->ser->n_rows;
        size_t n = 0;
        for (size_t k = 0; k < d->ser->n_rows; k++) {
            const metric_row *m = d->ser->rows[k];
            if (isfinite(m->entropy_mean) && isfinite(m->distance_mean)) {
                x[n] = m->entropy_mean;
                y[n] = m->distance_mean;
                n++;
            }
        }
        double r, p;
        int ok = stats_pearson(x, y, n, &r);
        int pok = ok ? stats_pearson_perm_p(x, y, n, CORR_PERMUTATIONS, 0xe7ULL + i, &p) : 0;
        free(x);
        if (pok < 0)
            return gm_fail(err, GM_ENOMEM, "out of memory");
        if (!ok)
            continue;
        textbuf b = {0};
        textbuf_printf(&b, "%s, routing-entropy control: mean routing entropy against pathway "
                       "distance across %zu checkpoints, r = %+.2f, p = %.3g (the paper finds only a "
                       "weak link, r = 0.24). ", d->domain, n, r, p);
        if (p < CORR_ALPHA && fabs(r) >= 0.5)
            textbuf_puts(&b, "Here distance moves with entropy: part of its change may be routing "
                         "getting sharper or flatter, not samples coming to share experts.");
        else
            textbuf_puts(&b, "Distance does not simply follow routing entropy here.");
        int rc = list_add(&f->lines, &f->n, &b, err);
        textbuf_free(&b);
        if (rc)
            return -1;
    }
    return 0;
}

/* ---- analysis choices ------------------------------------------------------ */

static int choices(findings *f, const study *s, const story *st, const corr_table *c,
                   gm_error *err)
{
    textbuf b = {0};
    const calibration *c0 = s->n_calibs ? &s->calibs[0] : NULL;
    if (c0 && !isnan(c0->threshold))
        textbuf_printf(&b, "Pathways: threshold tau = %g, %s router weights", c0->threshold,
                       c0->weights ? c0->weights : "unknown");
    else
        textbuf_puts(&b, "Pathways: threshold and router weights not recorded (calibration "
                     "records from an older metric-reduce)");
    if (st->n_layers > 0)
        textbuf_printf(&b, ", %lld MoE layers", (long long)st->n_layers);
    textbuf_printf(&b, "; distance: Levenshtein over %s.",
                   s->distance_mode && strcmp(s->distance_mode, "experts") == 0
                   ? "expert-id symbols (--distance experts)"
                   : "characters of the pathway strings (--distance chars, the paper's)");
    if (list_add(&f->choices, &f->n_choices, &b, err))
        goto fail;
    for (size_t i = 0; i < s->n_calibs; i++) {
        const calibration *k = &s->calibs[i];
        b.len = 0;
        textbuf_printf(&b, "Memorization, %s: eps = %.4g (%s), delta = %g; %.1f %% of %lld samples "
                       "memorized before the last checkpoint%s.", k->domain, k->eps,
                       k->calibrated == 0 ? "given"
                       : k->search && strcmp(k->search, "grid") == 0 ? "searched on the paper's grid"
                       : k->calibrated == 1 ? "searched over the domain's loss values" : "unknown",
                       k->delta, 100 * k->memorized_before_last, (long long)k->n,
                       k->in_band == 0 && k->calibrated == 1 ? ": OUTSIDE the 20-25 % band"
                       : k->in_band == 1 ? " (in the 20-25 % band)" : "");
        if (list_add(&f->choices, &f->n_choices, &b, err))
            goto fail;
    }
    b.len = 0;
    textbuf_printf(&b, "Findings without accuracy: a domain's loss is flat from the first checkpoint "
                   "after which it stays within 2 delta; distance falls (S rises) there when its "
                   "largest fall between two checkpoints (running median of 3) exceeds %.0f x "
                   "sqrt(2) times its noise, or the median after some split is below the median "
                   "before by more than the Bonferroni bound at %g; the noise is the larger of its "
                   "sampling error and its checkpoint-to-checkpoint roughness (median second "
                   "difference); the range runs from the peak before the fall to the lowest point "
                   "after it.",
                   TREND_Z, TREND_SHIFT_ALPHA);
    if (list_add(&f->choices, &f->n_choices, &b, err))
        goto fail;
    if (c->present) {
        b.len = 0;
        textbuf_printf(&b, "Table 1 window: %s. A metric tracks accuracy when Pearson's "
                       "permutation p-value (%d permutations) is below %.2f and its 95 %% "
                       "bootstrap interval over checkpoints (%d resamples) excludes 0.",
                       c->window == WINDOW_AUTO ? "per row, from the last checkpoint before "
                       "accuracy's sustained rise (--window auto)"
                       : c->window == WINDOW_ALL ? "every checkpoint (--window all)"
                       : "from --from-step",
                       CORR_PERMUTATIONS, CORR_ALPHA, CORR_BOOTSTRAP);
        if (list_add(&f->choices, &f->n_choices, &b, err))
            goto fail;
    }
    textbuf_free(&b);
    return 0;
fail:
    textbuf_free(&b);
    return -1;
}

int findings_build(findings *f, const study *s, const story *st, const corr_table *c,
                   gm_error *err)
{
    memset(f, 0, sizeof *f);
    if (band_warnings(f, s, err) || domain_findings(f, st, err))
        return -1;
    if (c->present && corr_findings(f, c, err))
        return -1;
    if (entropy_findings(f, st, err))
        return -1;
    return choices(f, s, st, c, err);
}

static void list_free(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(l[i]);
    free(l);
}

void findings_free(findings *f)
{
    list_free(f->lines, f->n);
    list_free(f->warnings, f->n_warnings);
    list_free(f->choices, f->n_choices);
    memset(f, 0, sizeof *f);
}
