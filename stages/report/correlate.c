/* correlate.c: the paper's Table 1 (method.md, "Validation against test
 * accuracy"): per domain (or per test group), Pearson and Spearman across
 * checkpoints of each metric with accuracy, beside training loss, its moving
 * average and validation loss. Uses the checkpoints at or after --from-step
 * that have an accuracy; a cell uses those where its metric is defined too. */
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

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

static int corr_row_fill(corr_row *row, const study *s, const value_table *acc,
                         const value_table *val, int64_t from_step, gm_error *err)
{
    size_t cap = s->n_steps ? s->n_steps : 1;
    double *x = malloc(2 * cap * sizeof *x);
    if (!x)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    double *y = x + cap;
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
            double a = value_table_get(acc, step, row->key);
            if (step < from_step || isnan(a))
                continue;
            double v = m == CM_VAL_LOSS ? value_table_get(val, step, val_key)
                                        : metric_value(series_at(row->ser, step), m);
            if (isnan(v) || isinf(v))
                continue;
            x[n] = v;
            y[n] = a;
            n++;
        }
        c->n = n;
        c->p_ok = stats_pearson(x, y, n, &c->pearson);
        c->s_ok = stats_spearman(x, y, n, &c->spearman);
        if (c->s_ok < 0)
            rc = gm_fail(err, GM_ENOMEM, "out of memory");
        if (!c->p_ok)
            c->pearson = NAN;
        if (c->s_ok != 1)
            c->spearman = NAN;
    }
    free(x);
    return rc;
}

int corr_table_build(corr_table *c, const study *s, const value_table *acc,
                     const value_table *val, int64_t from_step, gm_error *err)
{
    memset(c, 0, sizeof *c);
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
        if (corr_row_fill(row, s, acc, val, from_step, err) != 0)
            return -1;
    }
    return 0;
}

void corr_table_free(corr_table *c)
{
    free(c->rows);
    memset(c, 0, sizeof *c);
}
