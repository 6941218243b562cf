/* csv.c: --csv DIR: the report's tables as CSV files a spreadsheet or pandas
 * reads (metrics.csv, layer_distance.csv, groups.csv, memorization.csv and,
 * with --accuracy, correlation.csv). Full precision (%.17g); an undefined
 * value is an empty cell. Each file is written atomically. */
#include "record_types.h"
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void csv_num(textbuf *b, double v)
{
    if (!isnan(v))
        textbuf_printf(b, "%.17g", v);
}

static void csv_opt_int(textbuf *b, int present, int64_t v)
{
    if (present)
        textbuf_printf(b, "%lld", (long long)v);
}

static void csv_metrics(textbuf *b, const study *s)
{

    /* the columns are the metric record's fields (common/record_types.h) */
    static const int cols[] = {
        metric_f_scope, metric_f_group, metric_f_domain, metric_f_mem_step, metric_f_step,
        metric_f_checkpoint, metric_f_n, metric_f_pairs, metric_f_sampled, metric_f_distance_mean,
        metric_f_distance_se, metric_f_c_mean, metric_f_c_std, metric_f_s_mean, metric_f_s_std,
        metric_f_loss_mean, metric_f_loss_ma, metric_f_entropy_mean};
    for (size_t j = 0; j < sizeof cols / sizeof *cols; j++)
        textbuf_printf(b, "%s%s", j ? "," : "", metric_fields.fields[cols[j]].key);
    textbuf_puts(b, "\n");
    for (size_t i = 0; i < s->n_series; i++)
        for (size_t k = 0; k < s->series[i].n_rows; k++) {
            const metric_row *m = s->series[i].rows[k];
            textbuf_printf(b, "%s,", scope_names[m->scope]);
            textbuf_csv(b, m->group);
            textbuf_puts(b, ",");
            textbuf_csv(b, m->domain ? m->domain : "");
            textbuf_puts(b, ",");
            csv_opt_int(b, m->has_mem_step, m->mem_step);
            textbuf_printf(b, ",%lld,", (long long)m->step);
            textbuf_csv(b, m->checkpoint ? m->checkpoint : "");
            textbuf_printf(b, ",%lld,", (long long)m->n);
            csv_opt_int(b, m->pairs >= 0, m->pairs);
            textbuf_printf(b, ",%s", m->sampled == 1 ? "true" : m->sampled == 0 ? "false" : "");
            const double v[] = {m->distance_mean, m->distance_se, m->c_mean, m->c_std, m->s_mean,
                                m->s_std, m->loss_mean, m->loss_ma, m->entropy_mean};
            for (size_t j = 0; j < sizeof v / sizeof *v; j++) {
                textbuf_puts(b, ",");
                csv_num(b, v[j]);
            }
            textbuf_puts(b, "\n");
        }
}

static void csv_layers(textbuf *b, const study *s)
{
    textbuf_puts(b, "scope,group,step,layer,distance\n");
    for (size_t i = 0; i < s->n_series; i++)
        for (size_t k = 0; k < s->series[i].n_rows; k++) {
            const metric_row *m = s->series[i].rows[k];
            for (size_t l = 0; l < m->n_layers; l++) {
                textbuf_printf(b, "%s,", scope_names[m->scope]);
                textbuf_csv(b, m->group);
                textbuf_printf(b, ",%lld,%zu,", (long long)m->step, l);
                csv_num(b, m->layer_distance[l]);
                textbuf_puts(b, "\n");
            }
        }
}

static void csv_groups(textbuf *b, const study *s)
{
    textbuf_puts(b, "domain,group,mem_step,n\n");
    for (size_t i = 0; i < s->n_series; i++) {
        const series *se = &s->series[i];
        if (se->scope != SCOPE_GROUP)
            continue;
        int64_t n = study_group_size(s, se);
        textbuf_csv(b, se->domain);
        textbuf_puts(b, ",");
        textbuf_csv(b, se->name);
        textbuf_puts(b, ",");
        csv_opt_int(b, se->has_mem_step, se->mem_step);
        textbuf_printf(b, ",%lld\n", (long long)n);
    }
}

static void csv_memorization(textbuf *b, const study *s)
{
    textbuf_puts(b, "domain,n,eps,delta,memorized_before_last,calibrated\n");
    for (size_t i = 0; i < s->n_calibs; i++) {
        const calibration *c = &s->calibs[i];
        textbuf_csv(b, c->domain);
        textbuf_puts(b, ",");
        csv_opt_int(b, c->n >= 0, c->n);
        textbuf_puts(b, ",");
        csv_num(b, c->eps);
        textbuf_puts(b, ",");
        csv_num(b, c->delta);
        textbuf_puts(b, ",");
        csv_num(b, c->memorized_before_last);
        textbuf_printf(b, ",%s\n", c->calibrated == 1 ? "true" : c->calibrated == 0 ? "false" : "");
    }
}

static void csv_correlation(textbuf *b, const corr_table *c)
{
    static const char *const verdicts[] = {"undefined", "too_few", "not_shown", "tracks"};
    textbuf_puts(b, "by,key,metric,n,pearson,spearman,p_permutation,ci_low,ci_high,verdict,"
                 "from_step,first_step,last_step\n");
    for (size_t i = 0; i < c->n_rows; i++) {
        const corr_row *r = &c->rows[i];
        for (int m = 0; m < CM_COUNT; m++) {
            if (m == CM_VAL_LOSS && !c->has_val_loss)
                continue;
            const corr_cell *cell = &r->cell[m];
            textbuf_printf(b, "%s,", c->by_group ? "group" : "domain");
            textbuf_csv(b, r->key);
            textbuf_printf(b, ",%s,%zu,", corr_metric_keys[m], cell->n);
            csv_num(b, cell->p_ok ? cell->pearson : NAN);
            textbuf_puts(b, ",");
            csv_num(b, cell->s_ok == 1 ? cell->spearman : NAN);
            textbuf_puts(b, ",");
            csv_num(b, cell->perm_ok == 1 ? cell->p_perm : NAN);
            textbuf_puts(b, ",");
            csv_num(b, cell->ci_ok == 1 ? cell->ci_lo : NAN);
            textbuf_puts(b, ",");
            csv_num(b, cell->ci_ok == 1 ? cell->ci_hi : NAN);
            textbuf_printf(b, ",%s,%lld,%lld,%lld\n", verdicts[cell->verdict], (long long)r->window_from,
                           (long long)r->first_step, (long long)r->last_step);
        }
    }
}

static int csv_file(const char *dir, const char *name, void (*fill)(textbuf *, const void *),
                    const void *ctx, gm_error *err)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return gm_fail(err, GM_EUSAGE, "--csv: directory name too long");
    textbuf b = {0};
    fill(&b, ctx);
    int rc = textbuf_write_file(&b, path, err);
    textbuf_free(&b);
    return rc;
}

static void fill_metrics(textbuf *b, const void *s) { csv_metrics(b, s); }
static void fill_layers(textbuf *b, const void *s) { csv_layers(b, s); }
static void fill_groups(textbuf *b, const void *s) { csv_groups(b, s); }
static void fill_memorization(textbuf *b, const void *s) { csv_memorization(b, s); }
static void fill_correlation(textbuf *b, const void *c) { csv_correlation(b, c); }

int csv_write_dir(const report *rp, const char *dir, gm_error *err)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return gm_fail(err, GM_EIO, "--csv %s: cannot create the directory: %s", dir,
                       strerror(errno));
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return gm_fail(err, GM_EIO, "--csv %s: exists and is not a directory", dir);
    if (csv_file(dir, "metrics.csv", fill_metrics, rp->s, err) != 0 ||
        csv_file(dir, "layer_distance.csv", fill_layers, rp->s, err) != 0 ||
        csv_file(dir, "groups.csv", fill_groups, rp->s, err) != 0 ||
        csv_file(dir, "memorization.csv", fill_memorization, rp->s, err) != 0)
        return -1;
    if (rp->corr->present &&
        csv_file(dir, "correlation.csv", fill_correlation, rp->corr, err) != 0)
        return -1;
    return 0;
}
