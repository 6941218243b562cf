/* table.c: the report as readable text (stdout or -o): warnings, findings
 * and analysis choices first (what a reader needs), then the correlation
 * table, the memorization summary and the metrics per group and checkpoint
 * (C and S both, saying S is the plotted one).
 * Text only; CSV, JSON and HTML are csv.c, json.c and html.c. */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A paragraph wrapped at width columns, each line prefixed. */
static void text_wrap(textbuf *b, const char *first, const char *rest, const char *text, int width)
{
    const char *p = text;
    const char *prefix = first;
    while (*p) {
        int room = width - (int)strlen(prefix);
        const char *end = p;
        const char *cut = NULL;
        while (*end && end - p <= room) {
            if (*end == ' ')
                cut = end;
            end++;
        }
        if (!*end)
            cut = end;
        else if (!cut)
            cut = end; /* one long word */
        textbuf_printf(b, "%s%.*s\n", prefix, (int)(cut - p), p);
        p = *cut ? cut + 1 : cut;
        prefix = rest;
    }
}

static void table_metrics(textbuf *b, const study *s)
{
    textbuf_puts(b, "Metrics per group and checkpoint\n");
    textbuf_printf(b, "%-6s  %-22s %9s %6s %8s %9s %8s %8s %8s %8s %8s\n", "scope", "group", "step",
                   "n", "pairs", "distance", "dist_se", "C", "S", "loss", "loss_ma");
    for (size_t i = 0; i < s->n_series; i++) {
        const series *se = &s->series[i];
        for (size_t k = 0; k < se->n_rows; k++) {
            const metric_row *m = se->rows[k];
            char d[32], dse[32], c[32], sv[32], l[32], lma[32], pairs[32];
            fmt_num(d, sizeof d, m->distance_mean, 2);
            fmt_num(dse, sizeof dse, m->distance_se, 2);
            fmt_num(c, sizeof c, m->c_mean, 4);
            fmt_num(sv, sizeof sv, m->s_mean, 4);
            fmt_num(l, sizeof l, m->loss_mean, 4);
            fmt_num(lma, sizeof lma, m->loss_ma, 4);
            fmt_num(pairs, sizeof pairs, m->pairs < 0 ? NAN : (double)m->pairs, 0);
            textbuf_printf(b, "%-6s  %-22s %9lld %6lld %8s %9s %8s %8s %8s %8s %8s\n",
                           scope_names[m->scope], m->group, (long long)m->step, (long long)m->n,
                           pairs, d, dse, c, sv, l, lma);
        }
    }
}

static void table_memorization(textbuf *b, const study *s)
{
    textbuf_puts(b, "\nMemorization summary\n");
    if (s->n_calibs) {
        textbuf_printf(b, "%-16s %7s %9s %7s %22s  %s\n", "domain", "n", "eps", "delta",
                       "memorized before last", "eps was");
        for (size_t i = 0; i < s->n_calibs; i++) {
            const calibration *c = &s->calibs[i];
            char n[32], frac[32];
            fmt_num(n, sizeof n, c->n < 0 ? NAN : (double)c->n, 0);
            if (isnan(c->memorized_before_last))
                fmt_num(frac, sizeof frac, NAN, 0);
            else
                fmt_num(frac, sizeof frac, 100 * c->memorized_before_last, 1);
            char how[64];
            snprintf(how, sizeof how, "%s%s%s",
                     c->calibrated == 1 ? "searched" : c->calibrated == 0 ? "given" : "-",
                     c->calibrated == 1 && c->search ? (strcmp(c->search, "grid") == 0
                                                        ? " (grid)" : " (loss values)") : "",
                     c->calibrated == 1 && c->in_band == 0 ? ", BAND MISSED" : "");
            textbuf_printf(b, "%-16s %7s %9.4g %7.3f %21s%%  %s\n", c->domain, n, c->eps, c->delta,
                           frac, how);
        }
    } else {
        textbuf_puts(b, "(no calibration records: eps and delta unknown)\n");
    }
    textbuf_printf(b, "%-16s %-22s %12s %7s\n", "domain", "group", "mem_step", "n");
    for (size_t i = 0; i < s->n_series; i++) {
        const series *se = &s->series[i];
        if (se->scope != SCOPE_GROUP)
            continue;
        int64_t n = study_group_size(s, se);
        char ms[32];
        if (se->has_mem_step)
            snprintf(ms, sizeof ms, "%lld", (long long)se->mem_step);
        else
            snprintf(ms, sizeof ms, "never");
        textbuf_printf(b, "%-16s %-22s %12s %7lld\n", se->domain, se->name, ms, (long long)n);
    }
}

static void cell_text(char *buf, size_t cap, const corr_cell *c)
{
    if (c->verdict == CV_UNDEFINED || !c->p_ok) {
        snprintf(buf, cap, "undefined");
        return;
    }
    char s[16] = "undef";
    if (c->s_ok == 1)
        snprintf(s, sizeof s, "%+.2f", c->spearman);
    int len = snprintf(buf, cap, "%+.2f/%s", c->pearson, s);
    if (c->perm_ok && len >= 0 && (size_t)len < cap)
        snprintf(buf + len, cap - (size_t)len, " p=%.2g%s", c->p_perm,
                 c->verdict == CV_TRACKS ? "*" : "");
}

static void table_correlation(textbuf *b, const corr_table *c, const value_table *acc)
{
    int paired = c->by_group && acc && acc->n && acc->e[0].partner;
    textbuf_puts(b, "\nCorrelation with test accuracy across checkpoints (Pearson/Spearman, "
                 "permutation p of Pearson; * = tracks: p < 0.05 and the 95 % bootstrap interval "
                 "excludes 0; undefined = a constant series or < 2 checkpoints; window per row: "
                 "see the findings)\n");
    textbuf_printf(b, "%-22s %3s %-17s", c->by_group ? "group" : "domain", "n", "steps");
    if (paired)
        textbuf_printf(b, " %-22s", "paired test group");
    static const char *const heads[CM_COUNT] = {"distance", "S (plotted)", "C (paper)",
                                                "train loss", "MA train loss", "val loss"};
    for (int m = 0; m < CM_COUNT; m++)
        if (m != CM_VAL_LOSS || c->has_val_loss)
            textbuf_printf(b, " %-21s", heads[m]);
    textbuf_puts(b, "\n");
    for (size_t i = 0; i < c->n_rows; i++) {
        const corr_row *r = &c->rows[i];
        char steps[48];
        snprintf(steps, sizeof steps, "%lld-%lld", (long long)r->first_step,
                 (long long)r->last_step);
        textbuf_printf(b, "%-22s %3zu %-17s", r->key, r->n, r->n ? steps : "-");
        if (paired) {
            const char *tg = value_table_partner(acc, r->key);
            textbuf_printf(b, " %-22s", tg ? tg : "-");
        }
        for (int m = 0; m < CM_COUNT; m++) {
            if (m == CM_VAL_LOSS && !c->has_val_loss)
                continue;
            char cell[48];
            cell_text(cell, sizeof cell, &r->cell[m]);
            textbuf_printf(b, " %-21s", cell);
        }
        textbuf_puts(b, "\n");
    }
}

static void table_list(textbuf *b, const char *title, char *const *lines, size_t n,
                       const char *bullet)
{
    if (!n)
        return;
    textbuf_printf(b, "%s\n", title);
    for (size_t i = 0; i < n; i++)
        text_wrap(b, bullet, "  ", lines[i], 100);
    textbuf_puts(b, "\n");
}

void table_write(textbuf *b, const report *rp)
{
    const study *s = rp->s;
    size_t n_groups = study_group_count(s);
    textbuf_printf(b, "grokmon report: %zu checkpoints (steps %lld to %lld), %zu domains, %zu groups\n",
                   s->n_steps, (long long)s->steps[0], (long long)s->steps[s->n_steps - 1],
                   s->n_domains, n_groups);
    textbuf_puts(b, "Consistency: S = 1 - C is the one plotted (normalized mean cosine of consecutive "
                 "layers' routing embeddings; rises with generalization); C is as the paper prints "
                 "it.\n\n");
    table_list(b, "WARNINGS", rp->find->warnings, rp->find->n_warnings, "! ");
    table_list(b, "Findings", rp->find->lines, rp->find->n, "- ");
    table_list(b, "Analysis choices", rp->find->choices, rp->find->n_choices, "- ");
    if (rp->corr->present)
        table_correlation(b, rp->corr, rp->acc);
    table_memorization(b, s);
    textbuf_puts(b, "\n");
    table_metrics(b, s);
}
