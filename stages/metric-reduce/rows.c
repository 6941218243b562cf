/* rows.c: the metric records of one checkpoint: builds the symbol strings of
 * its pathways (characters or expert ids), then for every group, domain, all
 * samples and every pair of domains (cross) the pairwise distances
 * (common/pair_stats.c), C/S/entropy statistics, mean loss and its trailing
 * moving average. The wide rows (all, cross) may sample their own number of
 * pairs (--wide-pairs) or be left out (--no-wide); the all-pairs pass then
 * covers only pairs within a domain. It assigns no groups (groups.c). Spec:
 * method.md "Per checkpoint, per group" and its controls. */
#include "rows.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pair_stats.h"
#include "pathway.h"
#include "record_types.h"

typedef struct ckpt_strings {
    uint16_t *buf;            /* every symbol of the checkpoint */
    const uint16_t **s;       /* [N] */
    size_t *len;              /* [N] */
    const uint16_t **ls;      /* [L, N] */
    size_t *llen;             /* [L, N] */
    pair_strings ps;
} ckpt_strings;

static void strings_free(ckpt_strings *cs)
{
    free(cs->buf);
    free(cs->s);
    free(cs->len);
    free(cs->ls);
    free(cs->llen);
}

static int strings_build(const panel *st, size_t k, int experts, ckpt_strings *cs, gm_error *err)
{
    size_t N = st->n_samples, L = (size_t)st->L, total = 0;
    memset(cs, 0, sizeof *cs);
    for (size_t i = 0; i < N; i++)
        if (!st->samples[i].dropped)
            total += strlen(st->cells[k * N + i].path);
    cs->buf = malloc((total ? total : 1) * sizeof *cs->buf);
    cs->s = malloc((N ? N : 1) * sizeof *cs->s);
    cs->len = malloc((N ? N : 1) * sizeof *cs->len);
    cs->ls = malloc((N ? N : 1) * L * sizeof *cs->ls);
    cs->llen = malloc((N ? N : 1) * L * sizeof *cs->llen);
    size_t *start = malloc(2 * L * sizeof *start); /* [L] starts, then [L] lengths */
    if (!cs->buf || !cs->s || !cs->len || !cs->ls || !cs->llen || !start) {
        free(start);
        strings_free(cs);
        return gm_fail(err, GM_ENOMEM, "out of memory for the pathway strings of %zu samples", N);
    }
    size_t off = 0;
    for (size_t i = 0; i < N; i++) {
        size_t n = 0;
        if (st->samples[i].dropped) {
            for (size_t l = 0; l < L; l++)
                start[l] = start[L + l] = 0;
        } else if (pathway_symbols(st->cells[k * N + i].path, st->L, st->E, experts, cs->buf + off,
                                   &n, start, start + L, err)) {
            free(start); /* validated when read: only a bug gets here */
            strings_free(cs);
            return -1;
        }
        cs->s[i] = cs->buf + off;
        cs->len[i] = n;
        for (size_t l = 0; l < L; l++) {
            cs->ls[l * N + i] = cs->buf + off + start[l];
            cs->llen[l * N + i] = start[L + l];
        }
        off += n;
    }
    free(start);
    cs->ps = (pair_strings){.n = N, .L = L, .s = cs->s, .len = cs->len, .ls = cs->ls, .llen = cs->llen};
    return 0;
}

/* mean and population std of the non-NaN values; both NaN when there are none */
typedef struct moments {
    double sum, sumsq;
    size_t n;
} moments;

static void moments_add(moments *m, double v)
{
    if (isnan(v))
        return;
    m->sum += v;
    m->sumsq += v * v;
    m->n++;
}

static double moments_mean(const moments *m)
{
    return m->n ? m->sum / (double)m->n : NAN;
}

static double moments_std(const moments *m, const double *v, const size_t *idx, size_t n)
{
    if (!m->n)
        return NAN;
    double mean = moments_mean(m), ss = 0.0; /* two-pass for accuracy */
    for (size_t q = 0; q < n; q++)
        if (!isnan(v[idx[q]]))
            ss += (v[idx[q]] - mean) * (v[idx[q]] - mean);
    return sqrt(ss / (double)m->n);
}

typedef struct row_ctx {
    const panel *st;
    size_t k, t;              /* checkpoint index; its column in the loss matrix */
    const rows_opts *o;
    ckpt_strings *cs;
    double *layer;            /* [L] */
    double *vc, *vs, *ve;     /* [N] C, S, entropy of the checkpoint's cells */
    size_t *members;          /* [N] scratch: a row's members, a then b */
    record_writer *w;
    /* all-pairs mode: every distance once, summed by group (pair_stats_binned) */
    const uint64_t *bin;      /* [G, G], upper triangle; NULL: sample max_pairs */
    const uint64_t *lbin;     /* [L, G, G] */
    uint64_t max_pairs;       /* without bins: pairs to sample per row (0: all) */
} row_ctx;

/* The distances of the pairs within the groups flagged in a (b NULL), or
 * across the groups flagged in a and in b, from the binned sums. */
static int binned_result(const row_ctx *rc, const unsigned char *a, const unsigned char *b,
                         uint64_t pairs, pair_result *out, gm_error *err)
{
    size_t G = rc->st->n_groups, L = (size_t)rc->st->L;
    uint64_t sum = 0, *ls = calloc(L + 1, sizeof *ls);
    if (!ls) /* never NaN layer distances in its place: an error */
        return gm_fail(err, GM_ENOMEM, "out of memory summing the layer distances");
    for (size_t g = 0; g < G; g++)
        for (size_t h = g; h < G; h++) {
            int take = b ? (a[g] && b[h]) || (b[g] && a[h]) : a[g] && a[h];
            if (!take)
                continue;
            sum += rc->bin[g * G + h];
            for (size_t l = 0; l < L; l++)
                ls[l] += rc->lbin[(l * G + g) * G + h];
        }
    out->pairs = pairs;
    out->sampled = 0;
    out->se = NAN;
    out->mean = pairs ? (double)sum / (double)pairs : NAN;
    for (size_t l = 0; l < L; l++)
        out->layer_mean[l] = pairs ? (double)ls[l] / (double)pairs : NAN;
    free(ls);
    return 0;
}

/* Mean loss of members at loss column t (NaN if none defined). */
static double loss_mean_at(const panel *st, const size_t *m, size_t n, size_t t)
{
    moments mo = {0};
    for (size_t q = 0; q < n; q++)
        moments_add(&mo, st->loss[m[q] * st->n_loss_steps + t]);
    return moments_mean(&mo);
}

/* One metric row: what it is named, and its members (a, and b for cross). */
typedef struct row_spec {
    const char *scope, *group;
    const char *domain;            /* NULL: nil (all, cross) */
    const panel_group *g;          /* a group row's group, else NULL */
    const size_t *a, *b;           /* sample indices; b NULL but for cross */
    size_t na, nb;
    const unsigned char *ga, *gb;  /* [G] the groups a and b cover (for the binned sums) */
} row_spec;

/* One metric record. */
static int row_write(row_ctx *rc, const row_spec *r, gm_error *err)
{
    const panel *st = rc->st;
    const rows_opts *o = rc->o;
    const panel_ckpt *ck = &st->ckpts[rc->k];
    pair_result pr = {.layer_mean = rc->layer};
    uint64_t seed = pair_seed(o->seed, ck->step, r->scope, r->group);
    size_t na = r->na, nb = r->nb;
    if (rc->bin) {
        if (binned_result(rc, r->ga, r->gb,
                          r->b ? (uint64_t)na * nb : (uint64_t)na * (na ? na - 1 : 0) / 2, &pr, err))
            return -1;
    } else {
        int failed = r->b ? pair_stats_cross(&rc->cs->ps, r->a, na, r->b, nb, rc->max_pairs, seed,
                                             o->threads, &pr, err)
                          : pair_stats_within(&rc->cs->ps, r->a, na, rc->max_pairs, seed, o->threads,
                                              &pr, err);
        if (failed)
            return -1;
    }
    size_t n = na + nb, *all = rc->members;
    memcpy(all, r->a, na * sizeof *all);
    if (r->b)
        memcpy(all + na, r->b, nb * sizeof *all);
    moments mc = {0}, ms = {0}, me = {0};
    for (size_t q = 0; q < n; q++) {
        moments_add(&mc, rc->vc[all[q]]);
        moments_add(&ms, rc->vs[all[q]]);
        moments_add(&me, rc->ve[all[q]]);
    }
    moments ma = {0}; /* trailing window over the loss columns up to t */
    size_t first = rc->t + 1 > (size_t)o->ma_window ? rc->t + 1 - (size_t)o->ma_window : 0;
    for (size_t t = first; t <= rc->t; t++)
        moments_add(&ma, loss_mean_at(st, all, n, t));

    /* NaN in a field that may be nil is written as nil (record_fields.h) */
    struct metric_record m = {
        .checkpoint = ck->name, .step = ck->step, .scope = r->scope, .group = r->group,
        .domain = r->domain, .n = (int64_t)n, .pairs = (int64_t)pr.pairs, .sampled = pr.sampled,
        .distance_mean = pr.mean, .distance_se = pr.se,
        .distance_mode = o->experts ? "experts" : "chars",
        .layer_distance = {rc->layer, (size_t)st->L},
        .c_mean = moments_mean(&mc), .c_std = moments_std(&mc, rc->vc, all, n),
        .s_mean = moments_mean(&ms), .s_std = moments_std(&ms, rc->vs, all, n),
        .loss_mean = loss_mean_at(st, all, n, rc->t), .loss_ma = moments_mean(&ma),
        .entropy_mean = moments_mean(&me), .has = ~(uint64_t)0};
    if (!(r->g && r->g->memorized))
        m.has &= ~RF_BIT(metric_f_mem_step);
    else
        m.mem_step = r->g->mem_step;
    if (!pr.pairs)
        m.has &= ~RF_BIT(metric_f_layer_distance);
    return rf_write(&metric_fields, &m, rc->w, err);
}

/* All-pairs sums of the pairs within each domain only, when the wide rows do
 * not come from the bins (sampled apart, or left out): one binned pass per
 * domain over its members' strings, into the same bins, so the cross-domain
 * pairs, most of a big study's, are never computed. */
static int bin_within_domains(const panel *st, const ckpt_strings *cs, int threads, uint64_t *bins,
                              gm_error *err)
{
    size_t N = st->n_samples, L = (size_t)st->L, G = st->n_groups;
    const uint16_t **s = malloc((N ? N : 1) * (1 + L) * sizeof *s); /* [n] whole, then [L, n] */
    size_t *len = malloc((N ? N : 1) * (1 + L) * sizeof *len);
    size_t *label = malloc((N ? N : 1) * sizeof *label);
    int rc = -1;
    if (!s || !len || !label) {
        gm_fail(err, GM_ENOMEM, "out of memory");
        goto done;
    }
    for (size_t d = 0; d < st->n_domains; d++) {
        size_t n = 0;
        for (size_t i = 0; i < N; i++)
            n += !st->samples[i].dropped && st->samples[i].domain == d;
        size_t q = 0;
        for (size_t i = 0; i < N; i++) {
            if (st->samples[i].dropped || st->samples[i].domain != d)
                continue;
            s[q] = cs->s[i];
            len[q] = cs->len[i];
            for (size_t l = 0; l < L; l++) {
                s[n + l * n + q] = cs->ls[l * N + i];
                len[n + l * n + q] = cs->llen[l * N + i];
            }
            label[q++] = st->samples[i].group;
        }
        pair_strings sub = {.n = n, .L = L, .s = s, .len = len, .ls = s + n, .llen = len + n};
        if (n >= 2 && pair_stats_binned(&sub, label, G, threads, bins, bins + G * G, err))
            goto done;
    }
    rc = 0;
done:
    free(s);
    free(len);
    free(label);
    return rc;
}

int rows_write_checkpoint(const panel *st, size_t k, const rows_opts *o, record_writer *w,
                          gm_error *err)
{
    size_t N = st->n_samples, t;
    for (t = 0; t < st->n_loss_steps; t++)
        if (st->loss_steps[t] == st->ckpts[k].step)
            break;
    if (t == st->n_loss_steps)
        return gm_fail(err, GM_EDATA, "checkpoint %s has no loss column", st->ckpts[k].name);

    ckpt_strings cs;
    if (strings_build(st, k, o->experts, &cs, err))
        return -1;
    size_t *m = malloc((N ? N : 1) * sizeof *m), *m2 = malloc((N ? N : 1) * sizeof *m2);
    size_t *all = malloc((N ? N : 1) * sizeof *all);
    double *layer = malloc((size_t)st->L * sizeof *layer);
    double *v = malloc(3 * (N ? N : 1) * sizeof *v);
    size_t G = st->n_groups, L = (size_t)st->L;
    unsigned char *fa = calloc(G + 1, 1), *fb = calloc(G + 1, 1); /* group flags of a row */
    size_t *label = malloc((N ? N : 1) * sizeof *label);
    uint64_t *bins = NULL;
    int rc = -1;
    if (o->pairs == 0) /* all pairs: one pass, summed by group */
        bins = calloc(G * G * (1 + L) + 1, sizeof *bins);
    if (!m || !m2 || !all || !layer || !v || !fa || !fb || !label || (o->pairs == 0 && !bins)) {
        gm_fail(err, GM_ENOMEM, "out of memory");
        goto done;
    }
    row_ctx ctx = {.st = st, .k = k, .t = t, .o = o, .cs = &cs, .layer = layer,
                   .vc = v, .vs = v + N, .ve = v + 2 * N, .members = all, .w = w,
                   .max_pairs = o->pairs};
    int wide_apart = o->no_wide || o->wide_pairs; /* the wide rows not from the bins */
    for (size_t i = 0; i < N; i++) {
        const panel_cell *c = &st->cells[k * N + i];
        ctx.vc[i] = c->c;
        ctx.vs[i] = c->s;
        ctx.ve[i] = c->entropy;
        label[i] = st->samples[i].dropped ? PAIR_NO_LABEL : st->samples[i].group;
    }
    if (bins) {
        if (wide_apart ? bin_within_domains(st, &cs, o->threads, bins, err)
                       : pair_stats_binned(&cs.ps, label, G, o->threads, bins, bins + G * G, err))
            goto done;
        ctx.bin = bins;
        ctx.lbin = bins + G * G;
    }
    for (size_t g = 0; g < st->n_groups; g++) {
        size_t n = 0;
        for (size_t i = 0; i < N; i++)
            if (!st->samples[i].dropped && st->samples[i].group == g)
                m[n++] = i;
        const panel_group *gr = &st->groups[g];
        memset(fa, 0, G);
        fa[g] = 1;
        row_spec r = {.scope = "group", .group = gr->name, .domain = st->domains[gr->domain].name,
                      .g = gr, .a = m, .na = n, .ga = fa};
        if (n && row_write(&ctx, &r, err))
            goto done;
    }
    for (size_t d = 0; d < st->n_domains; d++) {
        size_t n = 0;
        for (size_t i = 0; i < N; i++)
            if (!st->samples[i].dropped && st->samples[i].domain == d)
                m[n++] = i;
        for (size_t g = 0; g < G; g++)
            fa[g] = st->groups[g].domain == d;
        row_spec r = {.scope = "domain", .group = st->domains[d].name,
                      .domain = st->domains[d].name, .a = m, .na = n, .ga = fa};
        if (n && row_write(&ctx, &r, err))
            goto done;
    }
    if (o->no_wide) {
        rc = 0;
        goto done;
    }
    if (o->wide_pairs) { /* the wide rows sample their own pairs */
        ctx.bin = ctx.lbin = NULL;
        ctx.max_pairs = o->wide_pairs;
    }
    size_t n = 0;
    for (size_t i = 0; i < N; i++)
        if (!st->samples[i].dropped)
            m[n++] = i;
    memset(fa, 1, G);
    row_spec r_all = {.scope = "all", .group = "all", .a = m, .na = n, .ga = fa};
    if (n && row_write(&ctx, &r_all, err))
        goto done;
    for (size_t da = 0; da < st->n_domains; da++) {
        for (size_t db = da + 1; db < st->n_domains; db++) {
            size_t na = 0, nb = 0;
            for (size_t i = 0; i < N; i++) {
                if (st->samples[i].dropped)
                    continue;
                if (st->samples[i].domain == da)
                    m[na++] = i;
                else if (st->samples[i].domain == db)
                    m2[nb++] = i;
            }
            if (!na || !nb)
                continue;
            size_t la = strlen(st->domains[da].name), lb = strlen(st->domains[db].name);
            char *name = malloc(la + lb + 2); /* "A|B", whatever the names' length */
            if (!name) {
                gm_fail(err, GM_ENOMEM, "out of memory");
                goto done;
            }
            memcpy(name, st->domains[da].name, la);
            name[la] = '|';
            memcpy(name + la + 1, st->domains[db].name, lb + 1);
            for (size_t g = 0; g < G; g++) {
                fa[g] = st->groups[g].domain == da;
                fb[g] = st->groups[g].domain == db;
            }
            row_spec r = {.scope = "cross", .group = name, .a = m, .na = na, .b = m2, .nb = nb,
                          .ga = fa, .gb = fb};
            int failed = row_write(&ctx, &r, err);
            free(name);
            if (failed)
                goto done;
        }
    }
    rc = 0;
done:
    strings_free(&cs);
    free(m);
    free(m2);
    free(all);
    free(layer);
    free(v);
    free(fa);
    free(fb);
    free(label);
    free(bins);
    return rc;
}
