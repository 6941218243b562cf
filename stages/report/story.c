/* story.c: per domain, the memorization-to-generalization reading of the
 * training data alone (story.h). The loss stretch, the moves and their noise
 * come from trend.c; this file chooses the series and fills the story. It
 * writes no words (findings.c) and draws nothing (html.c). */
#include "story.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_DELTA 0.05

/* The study's steps and a series' values at them (NAN where it has no row). */
static void series_values(const series *se, const int64_t *steps, size_t n, double *dist,
                          double *s, double *loss, double *se_out)
{
    for (size_t k = 0; k < n; k++)
        dist[k] = s[k] = loss[k] = se_out[k] = NAN;
    size_t j = 0;
    for (size_t k = 0; k < n && j < se->n_rows; k++)
        if (se->rows[j]->step == steps[k]) {
            const metric_row *m = se->rows[j++];
            dist[k] = m->distance_mean;
            s[k] = m->s_mean;
            loss[k] = m->loss_mean;
            se_out[k] = m->distance_se;
        }
}

/* Defined unless it is constant within numerical noise (or S with L < 3). */
static void metric_state_set(metric_state *st, const double *y, size_t n, int is_s,
                             int64_t n_layers)
{
    double range;
    st->defined = 1;
    st->why[0] = 0;
    if (is_s && n_layers > 0 && n_layers < 3) {
        st->defined = 0;
        snprintf(st->why, sizeof st->why, "consistency needs 3 or more MoE layers (this model "
                 "has %lld, so S is 1 up to rounding)", (long long)n_layers);
    } else if (trend_is_constant(y, n, &range)) {
        st->defined = 0;
        snprintf(st->why, sizeof st->why, "constant across checkpoints within numerical noise "
                 "(range %.2g)", range);
    }
}

/* Relative change of y from index a to b (NAN when undefined). */
static double rel_change(const double *y, size_t a, size_t b)
{
    double v = (y[b] - y[a]) / fabs(y[a]);
    return isfinite(v) ? v : NAN;
}

/* The domain's memorization groups: how many fall beyond their noise after
 * their own memorization step while their loss is flat there. */
static void story_groups(domain_story *d, const study *s, double *buf)
{
    size_t n = s->n_steps;
    double *dist = buf, *sv = buf + n, *loss = buf + 2 * n, *se = buf + 3 * n;
    for (size_t i = 0; i < s->n_series; i++) {
        const series *g = &s->series[i];
        if (g->scope != SCOPE_GROUP || strcmp(g->domain, d->domain) != 0)
            continue;
        int64_t size = study_group_size(s, g);
        d->groups++;
        d->samples += size;
        if (!g->has_mem_step)
            continue;
        d->groups_memorized++;
        d->samples_memorized += size;
        series_values(g, s->steps, n, dist, sv, loss, se);
        long k0 = study_step_index(s, g->mem_step);
        if (k0 < 0 || n - (size_t)k0 < 3)
            continue;
        d->groups_checked++;
        trend_move mv;
        double noise = trend_noise(dist, se, n);
        trend_largest_move(dist, (size_t)k0, n - 1, noise, -1, &mv);
        d->groups_falling += (size_t)mv.found;
    }
}

/* The cross-domain control over the steps of the within-domain fall. */
static void story_cross(domain_story *d, const study *s, double *buf)
{
    size_t n = s->n_steps;
    double *dist = buf, *sv = buf + n, *loss = buf + 2 * n, *se = buf + 3 * n;
    size_t len = strlen(d->domain);
    d->within_change = rel_change(d->dist, d->dist_fall.a, d->dist_fall.b);
    for (size_t i = 0; i < s->n_series; i++) {
        const series *c = &s->series[i];
        if (c->scope != SCOPE_CROSS)
            continue;
        const char *bar = strchr(c->name, '|');   /* "A|B" */
        int left = bar && (size_t)(bar - c->name) == len && strncmp(c->name, d->domain, len) == 0;
        int right = bar && strcmp(bar + 1, d->domain) == 0;
        if (!left && !right)
            continue;
        series_values(c, s->steps, n, dist, sv, loss, se);
        double ch = rel_change(dist, d->dist_fall.a, d->dist_fall.b);
        if (isnan(ch))
            continue;
        double noise = trend_noise(dist, se, n);
        /* beyond noise by the same two tests as the within-domain fall */
        double fall = dist[d->dist_fall.a] - dist[d->dist_fall.b];
        size_t splits;
        double shift = trend_level_shift(dist, d->dist_fall.a, d->dist_fall.b, noise, -1, &splits);
        int beyond = fall > TREND_Z * noise * sqrt(2.0) ||
                     (splits && shift > trend_shift_threshold(splits));
        int fails = beyond && ch <= 0.5 * d->within_change;
        if (!d->cross_checked || ch < d->cross_change) {
            d->cross_change = ch;
            d->cross_name = c->name;
        }
        d->cross_checked = 1;
        d->cross_fails |= fails;
    }
}

static int domain_story_fill(domain_story *d, const study *s, double *buf, gm_error *err)
{
    size_t n = s->n_steps;
    d->n = n;
    d->step = malloc(5 * (n ? n : 1) * sizeof *d->step);
    if (!d->step)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    d->dist = d->step + n;
    d->s = d->step + 2 * n;
    d->loss = d->step + 3 * n;
    d->dist_se = d->step + 4 * n;
    for (size_t k = 0; k < n; k++)
        d->step[k] = (double)s->steps[k];
    const calibration *cal = study_calibration(s, d->domain);
    d->delta = cal && !isnan(cal->delta) ? cal->delta : DEFAULT_DELTA;
    d->ser = study_find_series(s, SCOPE_DOMAIN, d->domain);
    if (!d->ser) {
        snprintf(d->dist_state.why, sizeof d->dist_state.why, "no domain metric records");
        snprintf(d->s_state.why, sizeof d->s_state.why, "no domain metric records");
        story_groups(d, s, buf);
        return 0;
    }
    series_values(d->ser, s->steps, n, d->dist, d->s, d->loss, d->dist_se);
    metric_state_set(&d->dist_state, d->dist, n, 0, s->n_layers);
    metric_state_set(&d->s_state, d->s, n, 1, s->n_layers);
    for (size_t k = 0; k < n; k++)
        d->loss_known |= isfinite(d->loss[k]);
    d->flat_from = trend_flat_from(d->loss, n, 2 * d->delta);
    d->loss_moved_flat = n ? trend_range(d->loss, d->flat_from, n - 1) : 0;
    d->dist_noise = trend_noise(d->dist, d->dist_se, n);
    d->s_noise = trend_noise(d->s, NULL, n);
    if (n >= 2 && d->flat_from + 1 < n) {
        if (d->dist_state.defined)
            trend_largest_move(d->dist, d->flat_from, n - 1, d->dist_noise, -1, &d->dist_fall);
        if (d->s_state.defined)
            trend_largest_move(d->s, d->flat_from, n - 1, d->s_noise, 1, &d->s_rise);
    }
    if (d->dist_fall.found) {
        d->loss_moved_fall = trend_range(d->loss, d->dist_fall.a, d->dist_fall.b);
        story_cross(d, s, buf);
    }
    story_groups(d, s, buf);
    return 0;
}

int story_build(story *st, const study *s, gm_error *err)
{
    memset(st, 0, sizeof *st);
    st->n_layers = s->n_layers;
    st->d = calloc(s->n_domains ? s->n_domains : 1, sizeof *st->d);
    double *buf = malloc(4 * (s->n_steps ? s->n_steps : 1) * sizeof *buf);
    if (!st->d || !buf) {
        free(buf);
        return gm_fail(err, GM_ENOMEM, "out of memory");
    }
    int rc = 0;
    for (size_t i = 0; i < s->n_domains && rc == 0; i++) {
        st->d[i].domain = s->domains[i];
        st->n++;
        rc = domain_story_fill(&st->d[i], s, buf, err);
    }
    free(buf);
    return rc;
}

void story_free(story *st)
{
    for (size_t i = 0; i < st->n; i++)
        free(st->d[i].step);
    free(st->d);
    memset(st, 0, sizeof *st);
}

const domain_story *story_domain(const story *st, const char *domain)
{
    for (size_t i = 0; i < st->n; i++)
        if (strcmp(st->d[i].domain, domain) == 0)
            return &st->d[i];
    return NULL;
}
