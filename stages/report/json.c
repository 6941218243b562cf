/* json.c: --json: the report as JSON Lines (one object per row, "table"
 * saying which: metric, group, memorization, correlation, finding), through
 * jansson. An undefined number is null, never NaN. */
#include "record_types.h"
#include "report.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static json_t *jnum(double v) { return isnan(v) || isinf(v) ? json_null() : json_real(v); }
static json_t *jstr(const char *s) { return s ? json_string(s) : json_null(); }
static json_t *jint_opt(int present, int64_t v) { return present ? json_integer(v) : json_null(); }

static void json_line(textbuf *b, json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17))
                : NULL;
    if (s) {
        textbuf_puts(b, s);
        textbuf_puts(b, "\n");
        free(s);
    } else {
        b->oom = 1;
    }
    json_decref(o);
}

static const char *const verdict_names[] = {"undefined", "too_few", "not_shown", "tracks"};

static void json_texts(textbuf *b, const char *table, char *const *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "table", json_string(table));
        json_object_set_new(o, "text", json_string(lines[i]));
        json_line(b, o);
    }
}

void json_write(textbuf *b, const report *rp)
{
    const study *s = rp->s;
    for (size_t i = 0; i < s->n_series; i++)
        for (size_t k = 0; k < s->series[i].n_rows; k++) {
            const metric_row *m = s->series[i].rows[k];
            json_t *o = json_object(), *ld = json_array();
            for (size_t l = 0; l < m->n_layers; l++)
                json_array_append_new(ld, jnum(m->layer_distance[l]));
            json_object_set_new(o, "table", json_string("metric"));
            json_object_set_new(o, RF_KEY(metric, scope), json_string(scope_names[m->scope]));
            json_object_set_new(o, RF_KEY(metric, group), json_string(m->group));
            json_object_set_new(o, RF_KEY(metric, domain), jstr(m->domain));
            json_object_set_new(o, RF_KEY(metric, mem_step), jint_opt(m->has_mem_step, m->mem_step));
            json_object_set_new(o, RF_KEY(metric, step), json_integer(m->step));
            json_object_set_new(o, RF_KEY(metric, checkpoint), jstr(m->checkpoint));
            json_object_set_new(o, RF_KEY(metric, n), json_integer(m->n));
            json_object_set_new(o, RF_KEY(metric, pairs), jint_opt(m->pairs >= 0, m->pairs));
            json_object_set_new(o, RF_KEY(metric, distance_mean), jnum(m->distance_mean));
            json_object_set_new(o, RF_KEY(metric, distance_se), jnum(m->distance_se));
            json_object_set_new(o, RF_KEY(metric, c_mean), jnum(m->c_mean));
            json_object_set_new(o, RF_KEY(metric, s_mean), jnum(m->s_mean));
            json_object_set_new(o, RF_KEY(metric, loss_mean), jnum(m->loss_mean));
            json_object_set_new(o, RF_KEY(metric, loss_ma), jnum(m->loss_ma));
            json_object_set_new(o, RF_KEY(metric, entropy_mean), jnum(m->entropy_mean));
            json_object_set_new(o, RF_KEY(metric, layer_distance), ld);
            json_line(b, o);
        }
    for (size_t i = 0; i < s->n_series; i++) {
        const series *se = &s->series[i];
        if (se->scope != SCOPE_GROUP)
            continue;
        int64_t n = study_group_size(s, se);
        json_t *o = json_object();
        json_object_set_new(o, "table", json_string("group"));
        json_object_set_new(o, "domain", json_string(se->domain));
        json_object_set_new(o, "group", json_string(se->name));
        json_object_set_new(o, "mem_step", jint_opt(se->has_mem_step, se->mem_step));
        json_object_set_new(o, "n", json_integer(n));
        json_line(b, o);
    }
    for (size_t i = 0; i < s->n_calibs; i++) {
        const calibration *c = &s->calibs[i];
        json_t *o = json_object();
        json_object_set_new(o, "table", json_string("memorization"));
        json_object_set_new(o, "domain", json_string(c->domain));
        json_object_set_new(o, "n", jint_opt(c->n >= 0, c->n));
        json_object_set_new(o, "eps", jnum(c->eps));
        json_object_set_new(o, "delta", jnum(c->delta));
        json_object_set_new(o, "memorized_before_last", jnum(c->memorized_before_last));
        json_object_set_new(o, "calibrated",
                            c->calibrated < 0 ? json_null() : json_boolean(c->calibrated));
        json_object_set_new(o, "in_band", c->in_band < 0 ? json_null() : json_boolean(c->in_band));
        json_object_set_new(o, "search", jstr(c->search));
        json_line(b, o);
    }
    const corr_table *c = rp->corr;
    for (size_t i = 0; c->present && i < c->n_rows; i++)
        for (int m = 0; m < CM_COUNT; m++) {
            if (m == CM_VAL_LOSS && !c->has_val_loss)
                continue;
            const corr_row *r = &c->rows[i];
            const corr_cell *cell = &r->cell[m];
            json_t *o = json_object();
            json_object_set_new(o, "table", json_string("correlation"));
            json_object_set_new(o, "by", json_string(c->by_group ? "group" : "domain"));
            json_object_set_new(o, "key", json_string(r->key));
            json_object_set_new(o, "metric", json_string(corr_metric_keys[m]));
            json_object_set_new(o, "n", json_integer((json_int_t)cell->n));
            json_object_set_new(o, "pearson", cell->p_ok ? json_real(cell->pearson) : json_null());
            json_object_set_new(o, "spearman",
                                cell->s_ok == 1 ? json_real(cell->spearman) : json_null());
            json_object_set_new(o, "p_permutation", cell->perm_ok == 1 ? json_real(cell->p_perm) : json_null());
            json_object_set_new(o, "ci_low", cell->ci_ok == 1 ? json_real(cell->ci_lo) : json_null());
            json_object_set_new(o, "ci_high", cell->ci_ok == 1 ? json_real(cell->ci_hi) : json_null());
            json_object_set_new(o, "verdict", json_string(verdict_names[cell->verdict]));
            json_object_set_new(o, "undefined_why",
                                cell->verdict == CV_UNDEFINED ? json_string(cell->why) : json_null());
            json_object_set_new(o, "from_step", json_integer(r->window_from));
            json_object_set_new(o, "window", json_string(r->window_why));
            json_object_set_new(o, "first_step", jint_opt(r->n > 0, r->first_step));
            json_object_set_new(o, "last_step", jint_opt(r->n > 0, r->last_step));
            json_line(b, o);
        }
    json_texts(b, "warning", rp->find->warnings, rp->find->n_warnings);
    json_texts(b, "finding", rp->find->lines, rp->find->n);
    json_texts(b, "choice", rp->find->choices, rp->find->n_choices);
}
