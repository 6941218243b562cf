/* results.c: per-item test results over checkpoints -> t# per item -> test
 * groups (domain, t#) and their accuracy per checkpoint. The rows may come in
 * any order; they are sorted by (domain, item, step) so that a missing or a
 * repeated result is found in one pass. It does not interpolate: an item
 * needs a result at every step the file names. Spec: method.md "Validation
 * against test accuracy" (Test@t#). */
#include "test_groups.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv_reader.h"

typedef struct result_row {
    char *domain, *item;
    int64_t step;
    unsigned char correct;
    size_t line;
} result_row;

static int row_cmp(const void *pa, const void *pb)
{
    const result_row *a = pa, *b = pb;
    int c = strcmp(a->domain, b->domain);
    if (c == 0)
        c = strcmp(a->item, b->item);
    if (c == 0)
        c = (a->step > b->step) - (a->step < b->step);
    if (c == 0)
        c = (a->line > b->line) - (a->line < b->line);
    return c;
}

static int i64_cmp(const void *pa, const void *pb)
{
    int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;
    return (a > b) - (a < b);
}

int64_t stable_index(const unsigned char *c, size_t T, const stable_rule *rule)
{
    int64_t found = -1, wrong = 0;
    for (size_t k = T; k-- > 0;) { /* from the last checkpoint back: suffix counts */
        wrong += !c[k];
        double mean = (double)((int64_t)(T - k) - wrong) / (double)(T - k);
        if (c[k] && wrong <= rule->max_errors && mean > rule->min_accuracy)
            found = (int64_t)k;
    }
    return found;
}

static void rows_free(result_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].domain);
        free(rows[i].item);
    }
    free(rows);
}

/* Every row of the file, checked field by field. */
static int rows_read(const char *path, result_row **out, size_t *n_out, gm_error *err)
{
    static const char *const step_names[] = {"step", NULL};
    static const char *const domain_names[] = {"domain", NULL};
    static const char *const item_names[] = {"item", "id", NULL};
    static const char *const correct_names[] = {"correct", NULL};
    csv_reader r = {0};
    if (csv_open(&r, path, err))
        return -1;
    result_row *rows = NULL;
    size_t n = 0, cap = 0;
    int c_step = -1, c_dom = -1, c_item = -1, c_ok = -1, got, rc = 0;
    while (rc == 0 && (got = csv_next(&r, err)) == 1) {
        if (r.header) {
            c_step = csv_column(&r, step_names);
            c_dom = csv_column(&r, domain_names);
            c_item = csv_column(&r, item_names);
            c_ok = csv_column(&r, correct_names);
            const char *missing = c_step < 0 ? "step" : c_dom < 0 ? "domain"
                                  : c_item < 0 ? "item" : c_ok < 0 ? "correct" : NULL;
            if (missing)
                rc = gm_fail(err, GM_EDATA, "%s:%zu: missing column '%s' (the header must name "
                             "step, domain, item and correct)", path, r.line, missing);
            continue;
        }
        long long step;
        double ok;
        if (csv_uint(&r, c_step, "step", &step, err)
            || csv_double(&r, c_ok, "correct", &ok, err)) {
            rc = -1;
            break;
        }
        if (ok != 0.0 && ok != 1.0) {
            rc = gm_fail(err, GM_EDATA, "%s:%zu: correct '%s' must be 0 or 1", path, r.line,
                         r.field[c_ok]);
            break;
        }
        if (!r.field[c_dom][0] || !r.field[c_item][0]) {
            rc = gm_fail(err, GM_EDATA, "%s:%zu: empty %s", path, r.line,
                         r.field[c_dom][0] ? "item" : "domain");
            break;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            result_row *grown = realloc(rows, cap * sizeof *grown);
            if (!grown) {
                rc = gm_fail(err, GM_ENOMEM, "%s: out of memory", path);
                break;
            }
            rows = grown;
        }
        result_row *w = &rows[n];
        *w = (result_row){strdup(r.field[c_dom]), strdup(r.field[c_item]), step,
                          (unsigned char)(ok == 1.0), r.line};
        n++;
        if (!w->domain || !w->item)
            rc = gm_fail(err, GM_ENOMEM, "%s: out of memory", path);
    }
    if (rc == 0 && got < 0)
        rc = -1;
    if (rc == 0 && r.n_header == 0)
        rc = gm_fail(err, GM_EDATA, "%s:1: empty file: expected a header naming step, domain, "
                     "item and correct", path);
    if (rc == 0 && n == 0)
        rc = gm_fail(err, GM_EDATA, "%s: no results after the header", path);
    csv_close(&r);
    if (rc) {
        rows_free(rows, n);
        return -1;
    }
    *out = rows;
    *n_out = n;
    return 0;
}

/* The distinct steps and domains of the sorted rows. */
static int collect_keys(test_results *r, const result_row *rows, size_t n, gm_error *err)
{
    r->steps = malloc(n * sizeof *r->steps);
    r->domains = calloc(n, sizeof *r->domains);
    if (!r->steps || !r->domains)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        r->steps[i] = rows[i].step;
    qsort(r->steps, n, sizeof *r->steps, i64_cmp);
    for (size_t i = 0; i < n; i++)
        if (r->n_steps == 0 || r->steps[r->n_steps - 1] != r->steps[i])
            r->steps[r->n_steps++] = r->steps[i];
    for (size_t i = 0; i < n; i++)
        if (r->n_domains == 0 || strcmp(r->domains[r->n_domains - 1], rows[i].domain) != 0)
            if (!(r->domains[r->n_domains++] = strdup(rows[i].domain)))
                return gm_fail(err, GM_ENOMEM, "out of memory");
    return 0;
}

/* Per (domain, t# index or T for never): items, and correct answers per step. */
typedef struct group_tally {
    size_t *items;    /* [n_domains * (T + 1)] */
    double *correct;  /* [n_domains * (T + 1) * T] */
} group_tally;

/* Walk the items (runs of equal domain and item in the sorted rows), check
 * each has one result per step, and tally it into its group. */
static int tally_items(test_results *r, const char *path, const result_row *rows, size_t n,
                       const stable_rule *rule, group_tally *g, gm_error *err)
{
    size_t T = r->n_steps, d = 0;
    unsigned char *c = malloc(T);
    if (!c)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && strcmp(rows[j].domain, rows[i].domain) == 0
               && strcmp(rows[j].item, rows[i].item) == 0)
            j++;
        while (strcmp(r->domains[d], rows[i].domain) != 0)
            d++;
        for (size_t k = i + 1; k < j; k++)
            if (rows[k].step == rows[k - 1].step) {
                free(c);
                return gm_fail(err, GM_EDATA, "%s:%zu: second result for item '%s' (domain %s) at "
                               "step %" PRId64 " (the first is on line %zu)", path, rows[k].line,
                               rows[k].item, rows[k].domain, rows[k].step, rows[k - 1].line);
            }
        for (size_t t = 0; t < T; t++) {
            if (i + t >= j || rows[i + t].step != r->steps[t]) {
                free(c);
                return gm_fail(err, GM_EDATA, "%s:%zu: item '%s' (domain %s) has no result at step "
                               "%" PRId64 " (every item needs one at every step the file names)",
                               path, rows[i].line, rows[i].item, rows[i].domain, r->steps[t]);
            }
            c[t] = rows[i + t].correct;
        }
        int64_t s = stable_index(c, T, rule);
        size_t cell = d * (T + 1) + (s < 0 ? T : (size_t)s);
        g->items[cell]++;
        for (size_t t = 0; t < T; t++)
            g->correct[cell * T + t] += c[t];
        r->n_items++;
        i = j;
    }
    free(c);
    return 0;
}

static int make_groups(test_results *r, const group_tally *g, gm_error *err)
{
    size_t T = r->n_steps;
    r->groups = calloc(r->n_domains * (T + 1), sizeof *r->groups);
    if (!r->groups)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    for (size_t d = 0; d < r->n_domains; d++)
        for (size_t s = 0; s <= T; s++) {
            size_t cell = d * (T + 1) + s;
            if (g->items[cell] == 0)
                continue;
            test_group *tg = &r->groups[r->n_groups++];
            tg->domain = r->domains[d];
            tg->stable = s < T ? r->steps[s] : -1;
            tg->n = g->items[cell];
            char name[64];
            if (s < T)
                snprintf(name, sizeof name, "@%" PRId64, r->steps[s]);
            else
                snprintf(name, sizeof name, "@never");
            size_t len = strlen("test:") + strlen(tg->domain) + strlen(name) + 1;
            tg->name = malloc(len);
            tg->accuracy = malloc(T * sizeof *tg->accuracy);
            if (!tg->name || !tg->accuracy)
                return gm_fail(err, GM_ENOMEM, "out of memory");
            snprintf(tg->name, len, "test:%s%s", tg->domain, name);
            for (size_t t = 0; t < T; t++)
                tg->accuracy[t] = g->correct[cell * T + t] / (double)tg->n;
        }
    return 0;
}

int test_results_read(test_results *r, const char *path, const stable_rule *rule, gm_error *err)
{
    memset(r, 0, sizeof *r);
    result_row *rows = NULL;
    size_t n = 0;
    if (rows_read(path, &rows, &n, err))
        return -1;
    qsort(rows, n, sizeof *rows, row_cmp);
    group_tally g = {0};
    int rc = collect_keys(r, rows, n, err);
    if (rc == 0) {
        size_t cells = r->n_domains * (r->n_steps + 1);
        g.items = calloc(cells, sizeof *g.items);
        g.correct = calloc(cells * r->n_steps, sizeof *g.correct);
        rc = g.items && g.correct ? 0 : gm_fail(err, GM_ENOMEM, "out of memory");
    }
    if (rc == 0)
        rc = tally_items(r, path, rows, n, rule, &g, err);
    if (rc == 0)
        rc = make_groups(r, &g, err);
    free(g.items);
    free(g.correct);
    rows_free(rows, n);
    if (rc)
        test_results_free(r);
    return rc;
}

const test_group *test_results_find(const test_results *r, const char *name)
{
    for (size_t i = 0; i < r->n_groups; i++)
        if (strcmp(r->groups[i].name, name) == 0)
            return &r->groups[i];
    return NULL;
}

void test_results_free(test_results *r)
{
    if (r->groups)
        for (size_t i = 0; i < r->n_groups; i++) {
            free(r->groups[i].name);
            free(r->groups[i].accuracy);
        }
    free(r->groups);
    if (r->domains)
        for (size_t i = 0; i < r->n_domains; i++)
            free(r->domains[i]);
    free(r->domains);
    free(r->steps);
    memset(r, 0, sizeof *r);
}
