/* groups.c: eps per domain (given, or calibrated by common/memorize.c), t* and
 * the group of every sample, and the calibration/membership records
 * (docs/records.md). It computes no pairwise metric (rows.c does).
 * Spec: method.md "Across checkpoints: memorization groups". */
#include "groups.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "memorize.h"
#include "record_types.h"

/* eps for domain d from --eps-domain NAME=V, or NaN. -1 on a malformed entry. */
static int eps_override(const panel *st, const char *const *list, int n, double *eps, size_t d,
                        gm_error *err)
{
    for (int q = 0; q < n; q++) {
        const char *eq = strrchr(list[q], '=');
        if (!eq || eq == list[q])
            return gm_fail(err, GM_EUSAGE, "--eps-domain %s: expected NAME=V", list[q]);
        char *end;
        errno = 0;
        double v = strtod(eq + 1, &end);
        if (errno || *end || end == eq + 1 || !(v > 0.0) || !isfinite(v))
            return gm_fail(err, GM_EUSAGE, "--eps-domain %s: V must be a positive number", list[q]);
        size_t nlen = (size_t)(eq - list[q]);
        if (strlen(st->domains[d].name) == nlen && memcmp(st->domains[d].name, list[q], nlen) == 0)
            *eps = v;
    }
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int group_add(panel *st, size_t d, int memorized, int64_t step, gm_error *err)
{
    char at[32]; /* "@STEP" or "@never"; the domain name may be of any length */
    if (memorized)
        snprintf(at, sizeof at, "@%lld", (long long)step);
    else
        snprintf(at, sizeof at, "@never");
    size_t n = strlen(st->domains[d].name);
    panel_group *v = realloc(st->groups, (st->n_groups + 1) * sizeof *v);
    char *copy = malloc(n + strlen(at) + 1);
    if (copy) {
        memcpy(copy, st->domains[d].name, n);
        strcpy(copy + n, at);
    }
    if (!v || !copy) {
        if (v)
            st->groups = v;
        free(copy);
        return gm_fail(err, GM_ENOMEM, "out of memory");
    }
    st->groups = v;
    v[st->n_groups++] = (panel_group){.name = copy, .domain = d, .memorized = memorized, .mem_step = step};
    return 0;
}

int groups_assign(panel *st, double eps_all, const char *const *eps_domain, int n_eps,
                  double delta, memorize_search search, gm_error *err)
{
    size_t N = st->n_samples, T = st->n_loss_steps;
    /* every --eps-domain must name a domain of the data */
    for (int q = 0; q < n_eps; q++) {
        const char *eq = strrchr(eps_domain[q], '=');
        int found = 0;
        for (size_t d = 0; eq && d < st->n_domains; d++)
            found |= strlen(st->domains[d].name) == (size_t)(eq - eps_domain[q])
                     && memcmp(st->domains[d].name, eps_domain[q], (size_t)(eq - eps_domain[q])) == 0;
        if (eq && !found)
            return gm_fail(err, GM_EUSAGE, "--eps-domain %s: the input has no domain of that name",
                           eps_domain[q]);
    }
    double *rows = malloc((N ? N : 1) * (T ? T : 1) * sizeof *rows);    /* [n_d, T] */
    int64_t *steps = malloc((N ? N : 1) * sizeof *steps);
    if (!rows || !steps) {
        free(rows);
        free(steps);
        return gm_fail(err, GM_ENOMEM, "out of memory");
    }
    int rc = -1;
    for (size_t d = 0; d < st->n_domains; d++) {
        panel_domain *dom = &st->domains[d];
        size_t n = 0;
        for (size_t i = 0; i < N; i++)
            if (!st->samples[i].dropped && st->samples[i].domain == d)
                memcpy(rows + n++ * T, st->loss + i * T, T * sizeof *rows);
        double eps = eps_all;
        if (eps_override(st, eps_domain, n_eps, &eps, d, err))
            goto done;
        memorize_calibration cal;
        if (!isnan(eps))
            memorize_evaluate(rows, n, T, eps, delta, &cal);
        else if (memorize_calibrate(rows, n, T, delta, search, &cal) != 0) {
            gm_fail(err, GM_ENOMEM, "out of memory");
            goto done;
        }
        dom->eps = cal.eps;
        dom->delta = delta;
        dom->calibrated = isnan(eps);
        dom->search = !dom->calibrated ? "given"
                      : search == MEMORIZE_SEARCH_GRID ? "grid" : "values";
        dom->in_band = cal.in_band;
        dom->n = cal.n;
        dom->before_last = cal.before_last;

        /* t* per sample; the domain's groups in ascending step, never last */
        size_t n_steps = 0;
        for (size_t i = 0; i < N; i++) {
            panel_sample *s = &st->samples[i];
            if (s->dropped || s->domain != d)
                continue;
            int64_t t = memorize_index(st->loss + i * T, T, dom->eps, delta);
            s->memorized = t >= 0;
            s->mem_step = t >= 0 ? st->loss_steps[t] : 0;
            if (s->memorized)
                steps[n_steps++] = s->mem_step;
        }
        qsort(steps, n_steps, sizeof *steps, cmp_i64);
        size_t first = st->n_groups;
        for (size_t q = 0; q < n_steps; q++)
            if ((q == 0 || steps[q] != steps[q - 1]) && group_add(st, d, 1, steps[q], err))
                goto done;
        if (n_steps < n && group_add(st, d, 0, 0, err))
            goto done;
        for (size_t i = 0; i < N; i++) {
            panel_sample *s = &st->samples[i];
            if (s->dropped || s->domain != d)
                continue;
            for (size_t g = first; g < st->n_groups; g++)
                if (st->groups[g].memorized == s->memorized
                    && (!s->memorized || st->groups[g].mem_step == s->mem_step))
                    s->group = g;
        }
    }
    rc = 0;
done:
    free(rows);
    free(steps);
    return rc;
}

int groups_write(const panel *st, record_writer *w, gm_error *err)
{
    for (size_t d = 0; d < st->n_domains; d++) {
        const panel_domain *dom = &st->domains[d];
        /* with the analysis choices made upstream, so the report can state them */
        struct calibration_record c = {
            .domain = dom->name, .eps = dom->eps, .delta = dom->delta, .n = (int64_t)dom->n,
            .calibrated = dom->calibrated, .in_band = dom->in_band, .search = dom->search,
            .threshold = st->threshold, .weights = st->weights, .n_layers = st->L,
            .n_checkpoints = (int64_t)st->n_loss_steps};
        if (dom->n)
            RF_SET(c, calibration, memorized_before_last, (double)dom->before_last / (double)dom->n);
        if (rf_write(&calibration_fields, &c, w, err))
            return -1;
    }
    size_t T = st->n_loss_steps;
    uint32_t *steps = malloc((T ? T : 1) * sizeof *steps);
    if (!steps)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    for (size_t t = 0; t < T; t++) {
        if (st->loss_steps[t] < 0 || st->loss_steps[t] > (int64_t)UINT32_MAX) {
            free(steps);
            return gm_fail(err, GM_EDATA, "checkpoint step %lld does not fit the membership "
                           "record's u32 steps", (long long)st->loss_steps[t]);
        }
        steps[t] = (uint32_t)st->loss_steps[t];
    }
    for (size_t i = 0; i < st->n_samples; i++) {
        const panel_sample *s = &st->samples[i];
        if (s->dropped)
            continue;
        const panel_domain *dom = &st->domains[s->domain];
        struct membership_record mr = {
            .id = s->id, .domain = dom->name, .group = st->groups[s->group].name,
            .eps = dom->eps, .delta = dom->delta, .steps = {steps, T}, .losses = {st->loss + i * T, T}};
        if (s->memorized)
            RF_SET(mr, membership, mem_step, s->mem_step);
        if (rf_write(&membership_fields, &mr, w, err)) {
            free(steps);
            return -1;
        }
    }
    free(steps);
    return 0;
}
