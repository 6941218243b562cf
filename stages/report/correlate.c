/* correlate.c: the paper's Table 1 (method.md, "Validation against test
 * accuracy"): per domain (or per test group), Pearson and Spearman across
 * checkpoints of each metric with accuracy, beside training loss, its moving
 * average and validation loss, each with a permutation p-value and a
 * bootstrap interval (n is 8 to 20: a coefficient alone says little) and a
 * verdict from them. The window is the paper's (from the last checkpoint
 * before accuracy's sustained rise), every checkpoint, or --from-step; a cell
 * uses the window's checkpoints where its metric is defined too. A metric
 * constant across checkpoints (S with 2 MoE layers) is undefined, with why. */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "trend.h"

/* Accuracy "rises" when it moves by at least this much over the run; its
 * sustained rise starts after the last checkpoint within RISE_BASE of its
 * range above the minimum, before it stays above half its range. */
#define RISE_MIN 0.1
#define RISE_BASE 0.1

const char *const corr_metric_keys[CM_COUNT] = {
    "distance", "consistency_s", "consistency_c", "train_loss", "train_loss_ma", "val_loss"};
const char *const corr_metric_titles[CM_COUNT] = {
    "pathway distance", "consistency S", "consistency C", "training loss",
    "moving-average training loss", "validation loss"};

static const metric_row *series_at(const series *se, int64_t step)
{
    for (size_t i = 0; i < se->n_rows; i++)
        if (se->rows[i]->step == step)
            return se->rows[i];
    return NULL;
}

static double metric_value(const metric_row *m, int metric)
{
    if (!m)
        return NAN;
    switch (metric) {
    case CM_DISTANCE: return m->distance_mean;
    case CM_S: return m->s_mean;
    case CM_C: return m->c_mean;
    case CM_LOSS: return m->loss_mean;
    case CM_LOSS_MA: return m->loss_ma;
    }
    return NAN;
}

/* The paper's window for one row: from the last checkpoint at accuracy's
 * base level before its sustained rise; every checkpoint when it does not rise. */
static void window_auto(corr_row *row, const study *s, const value_table *acc)
{
    double lo = INFINITY, hi = -INFINITY;
    size_t n_acc = 0;
    for (size_t k = 0; k < s->n_steps; k++) {
        double a = value_table_get(acc, s->steps[k], row->key);
        if (isnan(a))
            continue;
        lo = fmin(lo, a);
        hi = fmax(hi, a);
        n_acc++;
    }
    row->window_from = s->n_steps ? s->steps[0] : 0;
    if (n_acc < 3 || hi - lo < RISE_MIN) {
        snprintf(row->window_why, sizeof row->window_why,
                 n_acc < 3 ? "every checkpoint (fewer than 3 have an accuracy)"
                           : "every checkpoint (accuracy moves less than %.1f over the run)",
                 RISE_MIN);
        return;
    }
    /* m: the first checkpoint from which accuracy stays above half its range */
    size_t m = s->n_steps;
    for (size_t k = s->n_steps; k-- > 0;) {
        double a = value_table_get(acc, s->steps[k], row->key);
        if (isnan(a))
            continue;
        if (a < lo + 0.5 * (hi - lo))
            break;
        m = k;
    }
    size_t j = 0;
    for (size_t k = 0; k < m; k++) {
        double a = value_table_get(acc, s->steps[k], row->key);
        if (!isnan(a) && a <= lo + RISE_BASE * (hi - lo))
            j = k;
    }
    row->window_from = s->steps[j];
    char from[32], rise[32];
    fmt_step(from, sizeof from, s->steps[j]);
    fmt_step(rise, sizeof rise, m < s->n_steps ? s->steps[m] : s->steps[s->n_steps - 1]);
    snprintf(row->window_why, sizeof row->window_why,
             "from step %s, the last checkpoint at accuracy's base level (%.2f) before its "
             "sustained rise (above half its range from step %s on)",
             from, value_table_get(acc, s->steps[j], row->key), rise);
}

/* CV_UNDEFINED with why when the metric cannot move: S with L < 3, or a
 * series constant within numerical noise. Returns 1 when undefined. */
static int cell_constant(corr_cell *c, int metric, const double *all, size_t n, int64_t L)
{
    double range;
    if ((metric == CM_S || metric == CM_C) && L > 0 && L < 3)
        snprintf(c->why, sizeof c->why, "consistency needs 3 or more MoE layers (this model has "
                 "%lld)", (long long)L);
    else if (trend_is_constant(all, n, &range))
        snprintf(c->why, sizeof c->why, "constant across checkpoints within numerical noise "
                 "(range %.2g)", range);
    else
        return 0;
    c->verdict = CV_UNDEFINED;
    c->p_ok = c->s_ok = 0;
    c->pearson = c->spearman = NAN;
    return 1;
}

static int cell_fill(corr_cell *c, const double *x, const double *y, size_t n, uint64_t seed)
{
    c->n = n;
    c->p_ok = stats_pearson(x, y, n, &c->pearson);
    c->s_ok = stats_spearman(x, y, n, &c->spearman);
    if (c->s_ok < 0)
        return -1;
    if (!c->p_ok)
        c->pearson = NAN;
    if (c->s_ok != 1)
        c->spearman = NAN;
    c->verdict = CV_UNDEFINED;
    if (!c->p_ok) {
        snprintf(c->why, sizeof c->why, n < 2 ? "fewer than 2 checkpoints"
                                              : "constant over the window's checkpoints");
        return 0;
    }
    c->perm_ok = stats_pearson_perm_p(x, y, n, CORR_PERMUTATIONS, seed, &c->p_perm);
    c->ci_ok = stats_pearson_boot_ci(x, y, n, CORR_BOOTSTRAP, seed ^ 0xb007ULL, 0.95, &c->ci_lo,
                                     &c->ci_hi);
    if (c->perm_ok < 0 || c->ci_ok < 0)
        return -1;
    if (n < 4 || !c->perm_ok || !c->ci_ok)
        c->verdict = CV_TOO_FEW;
    else if (c->p_perm < CORR_ALPHA && (c->ci_lo > 0 || c->ci_hi < 0))
        c->verdict = CV_TRACKS;
    else
        c->verdict = CV_NOT_SHOWN;
    return 0;
}

static int corr_row_fill(corr_row *row, size_t row_index, const study *s, const value_table *acc,
                         const value_table *val, const corr_table *t, gm_error *err)
{
    size_t cap = s->n_steps ? s->n_steps : 1;
    double *x = malloc(3 * cap * sizeof *x);
    if (!x)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    double *y = x + cap, *all = x + 2 * cap;
    if (t->window == WINDOW_AUTO)
        window_auto(row, s, acc);
    else {
        row->window_from = t->window == WINDOW_FROM ? t->from_step : s->steps[0];
        char from[32];
        fmt_step(from, sizeof from, t->from_step);
        if (t->window == WINDOW_FROM)
            snprintf(row->window_why, sizeof row->window_why, "from step %s (--from-step)", from);
        else
            snprintf(row->window_why, sizeof row->window_why, "every checkpoint (--window all)");
    }
    int64_t from_step = row->window_from;
    row->first_step = row->last_step = -1;
    for (size_t k = 0; k < s->n_steps; k++) {
        int64_t step = s->steps[k];
        if (step >= from_step && !isnan(value_table_get(acc, step, row->key))) {
            if (row->n == 0)
                row->first_step = step;
            row->last_step = step;
            row->n++;
        }
    }
    const char *val_key = val && val->by_group ? row->ser->name : row->ser->domain;
    int rc = 0;
    for (int m = 0; m < CM_COUNT && rc == 0; m++) {
        corr_cell *c = &row->cell[m];
        size_t n = 0;
        for (size_t k = 0; k < s->n_steps; k++) {
            int64_t step = s->steps[k];
            all[k] = m == CM_VAL_LOSS ? value_table_get(val, step, val_key)
                                      : metric_value(series_at(row->ser, step), m);
            double a = value_table_get(acc, step, row->key);
            if (step < from_step || isnan(a) || isnan(all[k]) || isinf(all[k]))
                continue;
            x[n] = all[k];
            y[n] = a;
            n++;
        }
        if (m == CM_VAL_LOSS && !val)
            continue;
        c->n = n;
        if (cell_constant(c, m, all, s->n_steps, s->n_layers))
            continue;
        if (cell_fill(c, x, y, n, 0x7ab1e1ULL + 131 * row_index + (uint64_t)m) != 0)
            rc = gm_fail(err, GM_ENOMEM, "out of memory");
    }
    free(x);
    return rc;
}

int corr_table_build(corr_table *c, const study *s, const value_table *acc,
                     const value_table *val, int window, int64_t from_step, gm_error *err)
{
    memset(c, 0, sizeof *c);
    c->window = window;
    c->from_step = from_step;
    if (!acc)
        return 0;
    c->present = 1;
    c->by_group = acc->by_group;
    c->has_val_loss = val != NULL;
    c->rows = calloc(s->n_series ? s->n_series : 1, sizeof *c->rows);
    if (!c->rows)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    int scope = acc->by_group ? SCOPE_GROUP : SCOPE_DOMAIN;
    for (size_t i = 0; i < s->n_series; i++) {
        const series *se = &s->series[i];
        if (se->scope != scope)
            continue;
        int used = 0;
        for (size_t k = 0; k < acc->n && !used; k++)
            used = strcmp(acc->e[k].key, se->name) == 0;
        if (!used)
            continue;
        corr_row *row = &c->rows[c->n_rows++];
        row->ser = se;
        row->key = se->name;
        if (corr_row_fill(row, c->n_rows - 1, s, acc, val, c, err) != 0)
            return -1;
    }
    return 0;
}

void corr_table_free(corr_table *c)
{
    free(c->rows);
    memset(c, 0, sizeof *c);
}
