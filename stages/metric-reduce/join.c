/* join.c: fills metric-reduce's panel table from pathway records (and, in the
 * per-checkpoint mode, membership records): samples joined by id, checkpoints
 * by name with their step, one cell per (checkpoint, sample); duplicates and
 * missing samples are found here, never dropped silently. It computes no
 * metric. Spec: design.md "Phase 2", method.md "Across checkpoints". */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "pathway.h"
#include "record_types.h"
#include "panel.h"

typedef struct id_index {
    size_t *slot;   /* sample index + 1; 0 = empty */
    size_t cap;
} id_index;

typedef struct pending_cell {
    size_t sample, ckpt;
    panel_cell cell;
} pending_cell;

typedef struct pending {
    pending_cell *v;
    size_t n, cap;
} pending;

/* losses_only: one loss per record, 16 bytes, in place of a pending_cell */
typedef struct pending_loss {
    uint32_t sample, ckpt;
    double loss;
} pending_loss;

typedef struct pending_losses {
    pending_loss *v;
    size_t n, cap;
} pending_losses;

void panel_init(panel *st)
{
    memset(st, 0, sizeof *st);
}

void panel_free(panel *st)
{
    for (size_t i = 0; i < st->n_samples; i++)
        free(st->samples[i].id);
    free(st->samples);
    id_index *ix = st->id_index;
    if (ix)
        free(ix->slot);
    free(ix);
    for (size_t d = 0; d < st->n_domains; d++)
        free(st->domains[d].name);
    free(st->domains);
    for (size_t k = 0; k < st->n_ckpts; k++)
        free(st->ckpts[k].name);
    free(st->ckpts);
    if (st->cells)
        for (size_t k = 0; k < st->n_ckpts * st->n_samples; k++)
            free(st->cells[k].path);
    free(st->cells);
    pending *pd = st->pending;
    if (pd) {
        for (size_t k = 0; k < pd->n; k++)
            free(pd->v[k].cell.path);
        free(pd->v);
    }
    free(pd);
    pending_losses *pl = st->pending_losses;
    if (pl)
        free(pl->v);
    free(pl);
    for (size_t g = 0; g < st->n_groups; g++)
        free(st->groups[g].name);
    free(st->groups);
    free(st->loss_steps);
    free(st->loss);
    memset(st, 0, sizeof *st);
}

static size_t *index_probe(id_index *ix, const panel *st, const char *id)
{
    size_t h = (size_t)fnv1a(id) & (ix->cap - 1);
    while (ix->slot[h] && strcmp(st->samples[ix->slot[h] - 1].id, id) != 0)
        h = (h + 1) & (ix->cap - 1);
    return &ix->slot[h];
}

static size_t sample_find(const panel *st, const char *id)
{
    id_index *ix = st->id_index;
    if (!ix)
        return (size_t)-1;
    size_t *s = index_probe(ix, st, id);
    return *s ? *s - 1 : (size_t)-1;
}

/* Add a new sample (id not yet present); takes ownership of id. */
static int sample_add(panel *st, char *id, size_t domain, gm_error *err)
{
    id_index *ix = st->id_index;
    if (!ix) {
        ix = calloc(1, sizeof *ix);
        if (!ix)
            goto nomem;
        st->id_index = ix;
    }
    if (2 * (st->n_samples + 1) > ix->cap) { /* grow and rehash at half load */
        size_t cap = ix->cap ? 2 * ix->cap : 1024;
        size_t *slot = calloc(cap, sizeof *slot);
        if (!slot)
            goto nomem;
        free(ix->slot);
        ix->slot = slot;
        ix->cap = cap;
        for (size_t i = 0; i < st->n_samples; i++)
            *index_probe(ix, st, st->samples[i].id) = i + 1;
    }
    if (st->n_samples == st->cap_samples) {
        size_t cap = st->cap_samples ? 2 * st->cap_samples : 256;
        panel_sample *v = realloc(st->samples, cap * sizeof *v);
        if (!v)
            goto nomem;
        st->samples = v;
        st->cap_samples = cap;
    }
    panel_sample *s = &st->samples[st->n_samples];
    memset(s, 0, sizeof *s);
    s->id = id;
    s->domain = domain;
    *index_probe(ix, st, id) = st->n_samples + 1;
    st->n_samples++;
    return 0;
nomem:
    free(id);
    return gm_fail(err, GM_ENOMEM, "out of memory for %zu samples", st->n_samples + 1);
}

size_t panel_domain_find(const panel *st, const char *name)
{
    for (size_t d = 0; d < st->n_domains; d++)
        if (strcmp(st->domains[d].name, name) == 0)
            return d;
    return (size_t)-1;
}

static size_t domain_get(panel *st, const char *name, gm_error *err)
{
    size_t d = panel_domain_find(st, name);
    if (d != (size_t)-1)
        return d;
    panel_domain *v = realloc(st->domains, (st->n_domains + 1) * sizeof *v);
    char *copy = strdup(name);
    if (!v || !copy) {
        if (v)
            st->domains = v;
        free(copy);
        gm_fail(err, GM_ENOMEM, "out of memory");
        return (size_t)-1;
    }
    st->domains = v;
    memset(&v[st->n_domains], 0, sizeof *v);
    v[st->n_domains].name = copy;
    v[st->n_domains].eps = NAN;
    v[st->n_domains].delta = NAN;
    return st->n_domains++;
}

static size_t ckpt_get(panel *st, const char *name, int64_t step, gm_error *err)
{
    for (size_t k = 0; k < st->n_ckpts; k++) {
        if (strcmp(st->ckpts[k].name, name) == 0) {
            if (st->ckpts[k].step != step) {
                gm_fail(err, GM_EDATA, "checkpoint %s has step %lld here and %lld in an earlier record",
                        name, (long long)step, (long long)st->ckpts[k].step);
                return (size_t)-1;
            }
            return k;
        }
        if (st->ckpts[k].step == step) {
            gm_fail(err, GM_EDATA, "checkpoints %s and %s both have step %lld", st->ckpts[k].name,
                    name, (long long)step);
            return (size_t)-1;
        }
    }
    panel_ckpt *v = realloc(st->ckpts, (st->n_ckpts + 1) * sizeof *v);
    char *copy = strdup(name);
    if (!v || !copy) {
        if (v)
            st->ckpts = v;
        free(copy);
        gm_fail(err, GM_ENOMEM, "out of memory");
        return (size_t)-1;
    }
    st->ckpts = v;
    v[st->n_ckpts].name = copy;
    v[st->n_ckpts].step = step;
    return st->n_ckpts++;
}

/* Every pathway record must share L, E, threshold and weights. */
static int check_shape(panel *st, const struct pathway_record *p, gm_error *err)
{
    int64_t L = p->n_layers, E = p->n_experts;
    double tau = p->threshold;
    const char *id = p->id, *weights = p->weights;
    if (L < 1 || E < 1 || E > 65535)
        return gm_fail(err, GM_EDATA, "sample %s: n_layers %lld, n_experts %lld out of range", id,
                       (long long)L, (long long)E);
    if (strcmp(weights, "softmax") != 0 && strcmp(weights, "topk") != 0)
        return gm_fail(err, GM_EDATA, "sample %s: weights '%s': expected softmax or topk", id, weights);
    if (!st->have_shape) {
        st->L = L;
        st->E = E;
        st->threshold = tau;
        snprintf(st->weights, sizeof st->weights, "%s", weights);
        st->have_shape = 1;
    } else if (L != st->L || E != st->E) {
        return gm_fail(err, GM_EDATA, "sample %s: %lld layers x %lld experts, earlier records have "
                       "%lld x %lld", id, (long long)L, (long long)E, (long long)st->L, (long long)st->E);
    } else if (tau != st->threshold || strcmp(weights, st->weights) != 0) {
        return gm_fail(err, GM_EDATA, "sample %s: threshold %g with %s weights, earlier records have "
                       "%g with %s: distances across them would not compare", id, tau, weights,
                       st->threshold, st->weights);
    }
    return 0;
}

/* A real that may be nil: NaN when it is. */
static double real_or_nan(const struct pathway_record *p, int field, double v)
{
    return p->has & RF_BIT(field) ? v : NAN;
}

/* losses_only: note a record's loss. */
static int loss_add(panel *st, size_t sample, size_t ckpt, double loss, gm_error *err)
{
    if (sample > UINT32_MAX || ckpt > UINT32_MAX)
        return gm_fail(err, GM_EDATA, "more than 2^32 samples or checkpoints");
    pending_losses *pl = st->pending_losses;
    if (!pl) {
        if (!(pl = calloc(1, sizeof *pl)))
            return gm_fail(err, GM_ENOMEM, "out of memory");
        st->pending_losses = pl;
    }
    if (pl->n == pl->cap) {
        size_t cap = pl->cap ? 2 * pl->cap : 4096;
        pending_loss *v = realloc(pl->v, cap * sizeof *v);
        if (!v)
            return gm_fail(err, GM_ENOMEM, "out of memory for %zu pathway records", pl->n + 1);
        pl->v = v;
        pl->cap = cap;
    }
    pl->v[pl->n++] = (pending_loss){(uint32_t)sample, (uint32_t)ckpt, loss};
    return 0;
}

int panel_add_pathway(panel *st, const msgpack_object *rec, int allow_missing, size_t *unknown,
                      gm_error *err)
{
    char *id = NULL, *path = NULL;
    uint16_t *sym = NULL;
    size_t *lstart = NULL;
    int rc = -1;
    struct pathway_record p;
    rf_want fields = {
        .read = RF_BIT(pathway_f_step) | RF_BIT(pathway_f_loss) | RF_BIT(pathway_f_consistency_c)
                | RF_BIT(pathway_f_consistency_s) | RF_BIT(pathway_f_entropy),
        .value = RF_BIT(pathway_f_id) | RF_BIT(pathway_f_domain) | RF_BIT(pathway_f_checkpoint)
                 | RF_BIT(pathway_f_path) | RF_BIT(pathway_f_n_layers) | RF_BIT(pathway_f_n_experts)
                 | RF_BIT(pathway_f_threshold) | RF_BIT(pathway_f_weights)};
    if (rf_read(&pathway_fields, rec, fields, &p, err))
        return -1;
    const char *domain = p.domain, *ckpt = p.checkpoint;
    if (!RF_HAS(p, pathway, step)) {
        gm_fail(err, GM_EDATA, "sample %s: checkpoint %s has no step; memorization needs ordered "
                "checkpoints (give router-trace --step)", p.id, ckpt);
        goto done;
    }
    if (check_shape(st, &p, err))
        goto done;
    /* validate the string now, so the error names this record */
    size_t n_sym, plen = strlen(p.path);
    sym = malloc((plen + 1) * sizeof *sym);
    lstart = malloc(2 * (size_t)st->L * sizeof *lstart);
    if (!sym || !lstart) {
        gm_fail(err, GM_ENOMEM, "out of memory");
        goto done;
    }
    if (pathway_symbols(p.path, st->L, st->E, 0, sym, &n_sym, lstart, lstart + st->L, err)) {
        char msg[sizeof err->msg];
        snprintf(msg, sizeof msg, "%s", err->msg);
        gm_fail(err, GM_EDATA, "sample %s: %s", p.id, msg);
        goto done;
    }
    panel_cell cell = {.path = NULL, .count = 1};
    cell.c = real_or_nan(&p, pathway_f_consistency_c, p.consistency_c);
    cell.s = real_or_nan(&p, pathway_f_consistency_s, p.consistency_s);
    cell.loss = real_or_nan(&p, pathway_f_loss, p.loss);
    cell.entropy = real_or_nan(&p, pathway_f_entropy, p.entropy);
    /* the panel keeps the id and the path: take them over from p */
    id = (char *)p.id;
    path = (char *)p.path;
    p.has &= ~(RF_BIT(pathway_f_id) | RF_BIT(pathway_f_path));

    size_t si = sample_find(st, id);
    if (si == (size_t)-1) {
        if (st->membership_mode) {
            if (!allow_missing) {
                gm_fail(err, GM_EDATA, "sample %s is not in the membership file (use --allow-missing "
                        "to drop such samples)", id);
                goto done;
            }
            ++*unknown;
            rc = 0;
            goto done;
        }
        size_t d = domain_get(st, domain, err);
        if (d == (size_t)-1)
            goto done;
        char *own = id;
        id = NULL;
        if (sample_add(st, own, d, err))
            goto done;
        si = st->n_samples - 1;
    } else if (strcmp(st->domains[st->samples[si].domain].name, domain) != 0) {
        gm_fail(err, GM_EDATA, "sample %s has domain %s here and %s elsewhere", st->samples[si].id,
                domain, st->domains[st->samples[si].domain].name);
        goto done;
    }
    size_t k = ckpt_get(st, ckpt, p.step, err);
    if (k == (size_t)-1)
        goto done;

    if (st->losses_only) {
        rc = loss_add(st, si, k, cell.loss, err);
        goto done;
    }
    pending *pd = st->pending;
    if (!pd) {
        pd = calloc(1, sizeof *pd);
        if (!pd) {
            gm_fail(err, GM_ENOMEM, "out of memory");
            goto done;
        }
        st->pending = pd;
    }
    if (pd->n == pd->cap) {
        size_t cap = pd->cap ? 2 * pd->cap : 1024;
        pending_cell *v = realloc(pd->v, cap * sizeof *v);
        if (!v) {
            gm_fail(err, GM_ENOMEM, "out of memory for %zu pathway records", pd->n + 1);
            goto done;
        }
        pd->v = v;
        pd->cap = cap;
    }
    cell.path = path;
    path = NULL;
    pd->v[pd->n++] = (pending_cell){.sample = si, .ckpt = k, .cell = cell};
    rc = 0;
done:
    rf_free(&pathway_fields, &p);
    free(id);
    free(path);
    free(sym);
    free(lstart);
    return rc;
}

int panel_add_membership(panel *st, const msgpack_object *rec, gm_error *err)
{
    char *id = NULL, *group = NULL;
    uint32_t *steps = NULL;
    double *losses = NULL;
    int rc = -1;
    /* the loss matrix rows are laid out as membership records arrive: a
     * pathway record read before them would have no row to land in */
    if (st->have_shape)
        return gm_fail(err, GM_EDATA, "membership records must come before any pathway record");
    st->membership_mode = 1;
    struct membership_record mr;
    rf_want fields = {.read = RF_BIT(membership_f_mem_step),
                      .value = RF_BIT(membership_f_id) | RF_BIT(membership_f_domain)
                               | RF_BIT(membership_f_group) | RF_BIT(membership_f_eps)
                               | RF_BIT(membership_f_delta) | RF_BIT(membership_f_steps)
                               | RF_BIT(membership_f_losses)};
    if (rf_read(&membership_fields, rec, fields, &mr, err))
        return -1;
    /* the panel keeps the id and the group: take them over from mr */
    id = (char *)mr.id;
    group = (char *)mr.group;
    mr.has &= ~(RF_BIT(membership_f_id) | RF_BIT(membership_f_group));
    const char *domain = mr.domain;
    double eps = mr.eps, delta = mr.delta;
    size_t n_steps = mr.steps.n, n_losses = mr.losses.n;
    int memorized = RF_HAS(mr, membership, mem_step);
    int64_t mem_step = memorized ? mr.mem_step : 0;
    if (rf_vec_copy(&mr.steps, sizeof *steps, (void **)&steps, err)
        || rf_vec_copy(&mr.losses, sizeof *losses, (void **)&losses, err))
        goto done;
    if (n_steps != n_losses || n_steps == 0) {
        gm_fail(err, GM_EDATA, "membership of %s: %zu steps but %zu losses", id, n_steps, n_losses);
        goto done;
    }
    if (!st->loss_steps) {
        st->loss_steps = malloc(n_steps * sizeof *st->loss_steps);
        if (!st->loss_steps) {
            gm_fail(err, GM_ENOMEM, "out of memory");
            goto done;
        }
        for (size_t t = 0; t < n_steps; t++)
            st->loss_steps[t] = steps[t];
        st->n_loss_steps = n_steps;
    } else {
        int same = n_steps == st->n_loss_steps;
        for (size_t t = 0; same && t < n_steps; t++)
            same = st->loss_steps[t] == (int64_t)steps[t];
        if (!same) {
            gm_fail(err, GM_EDATA, "membership of %s lists other checkpoint steps than earlier "
                    "records", id);
            goto done;
        }
    }
    if (sample_find(st, id) != (size_t)-1) {
        gm_fail(err, GM_EDATA, "sample %s has two membership records", id);
        goto done;
    }
    size_t d = domain_get(st, domain, err);
    if (d == (size_t)-1)
        goto done;
    panel_domain *dom = &st->domains[d];
    if (isnan(dom->eps)) {
        dom->eps = eps;
        dom->delta = delta;
    }
    /* the group, by name */
    size_t g;
    for (g = 0; g < st->n_groups; g++)
        if (strcmp(st->groups[g].name, group) == 0)
            break;
    if (g == st->n_groups) {
        panel_group *v = realloc(st->groups, (st->n_groups + 1) * sizeof *v);
        if (!v) {
            gm_fail(err, GM_ENOMEM, "out of memory");
            goto done;
        }
        st->groups = v;
        v[g] = (panel_group){.name = group, .domain = d, .memorized = memorized, .mem_step = mem_step};
        group = NULL;
        st->n_groups++;
    } else if (st->groups[g].domain != d || st->groups[g].memorized != memorized
               || (memorized && st->groups[g].mem_step != mem_step)) {
        gm_fail(err, GM_EDATA, "membership of %s: group %s disagrees with an earlier record's "
                "domain or mem_step", id, group);
        goto done;
    }
    /* the sample's losses, as a row of the loss matrix */
    if (st->n_samples == st->cap_loss) {
        size_t cap = st->cap_loss ? 2 * st->cap_loss : 256;
        double *loss = realloc(st->loss, cap * n_steps * sizeof *loss);
        if (!loss) {
            gm_fail(err, GM_ENOMEM, "out of memory for the losses of %zu samples", cap);
            goto done;
        }
        st->loss = loss;
        st->cap_loss = cap;
    }
    memcpy(st->loss + st->n_samples * n_steps, losses, n_steps * sizeof *st->loss);
    char *own = id;
    id = NULL;
    if (sample_add(st, own, d, err))
        goto done;
    panel_sample *s = &st->samples[st->n_samples - 1];
    s->group = g;
    s->memorized = memorized;
    s->mem_step = mem_step;
    rc = 0;
done:
    rf_free(&membership_fields, &mr);
    free(id);
    free(group);
    free(steps);
    free(losses);
    return rc;
}

static int cmp_ckpt(const void *a, const void *b)
{
    const panel_ckpt *x = a, *y = b;
    return x->step < y->step ? -1 : x->step > y->step;
}

static const panel *sort_ctx; /* qsort has no context argument in C11 */

static int cmp_domain_idx(const void *a, const void *b)
{
    return strcmp(sort_ctx->domains[*(const size_t *)a].name, sort_ctx->domains[*(const size_t *)b].name);
}

/* Groups in report order: by domain, memorized by ascending step, never last. */
static int cmp_group_idx(const void *a, const void *b)
{
    const panel_group *x = &sort_ctx->groups[*(const size_t *)a], *y = &sort_ctx->groups[*(const size_t *)b];
    if (x->domain != y->domain)
        return x->domain < y->domain ? -1 : 1;
    if (x->memorized != y->memorized)
        return x->memorized ? -1 : 1;
    return x->mem_step < y->mem_step ? -1 : x->mem_step > y->mem_step;
}

/* Sort the n elements of `size` bytes at base by cmp_idx (which compares
 * their indices, through sort_ctx) and return rank[old index] = new index,
 * malloc'd, for renumbering what refers to them; NULL when out of memory. */
static size_t *sort_ranked(void *base, size_t n, size_t size, int (*cmp_idx)(const void *, const void *))
{
    size_t *order = malloc((n ? n : 1) * sizeof *order), *rank = malloc((n ? n : 1) * sizeof *rank);
    char *sorted = malloc((n ? n : 1) * size);
    if (order && rank && sorted) {
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        qsort(order, n, sizeof *order, cmp_idx);
        for (size_t i = 0; i < n; i++) {
            rank[order[i]] = i;
            memcpy(sorted + i * size, (char *)base + order[i] * size, size);
        }
        if (n) /* base may be NULL when there is nothing to sort */
            memcpy(base, sorted, n * size);
    } else {
        free(rank);
        rank = NULL;
    }
    free(order);
    free(sorted);
    return rank;
}

/* Domains by name, then groups in report order (which needs the domains'
 * new numbers), every reference to them renumbered. */
static int domains_and_groups_sort(panel *st, gm_error *err)
{
    sort_ctx = st;
    size_t *rank = sort_ranked(st->domains, st->n_domains, sizeof *st->domains, cmp_domain_idx);
    if (!rank)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    for (size_t i = 0; i < st->n_samples; i++)
        st->samples[i].domain = rank[st->samples[i].domain];
    for (size_t g = 0; g < st->n_groups; g++)
        st->groups[g].domain = rank[st->groups[g].domain];
    free(rank);
    rank = sort_ranked(st->groups, st->n_groups, sizeof *st->groups, cmp_group_idx);
    if (!rank)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    for (size_t i = 0; i < st->n_samples; i++)
        st->samples[i].group = rank[st->samples[i].group];
    free(rank);
    return 0;
}

/* A sample missing from some checkpoint (no cell; losses_only: seen [K, N] is 0): an error,
 * or (allow_missing) dropped, counted in *dropped, the first named in first_missing. */
static int drop_missing(panel *st, const unsigned char *seen, int allow_missing, size_t *dropped,
                        char *first_missing, size_t cap, gm_error *err)
{
    size_t N = st->n_samples;
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < st->n_ckpts; k++) {
            if (seen ? seen[k * N + i] : st->cells[k * N + i].count)
                continue;
            if (!allow_missing)
                return gm_fail(err, GM_EDATA, "sample %s is missing from checkpoint %s (use "
                               "--allow-missing to drop such samples)", st->samples[i].id,
                               st->ckpts[k].name);
            if (*dropped == 0 && first_missing)
                snprintf(first_missing, cap, "%s (checkpoint %s)", st->samples[i].id,
                         st->ckpts[k].name);
            st->samples[i].dropped = 1;
            ++*dropped;
            break;
        }
    return 0;
}

/* losses_only: the loss matrix straight from the records' losses, with the
 * same duplicate and missing checks as the cells get; takes rank over. */
static int finish_losses(panel *st, size_t *rank, int allow_missing, size_t *dropped,
                         char *first_missing, size_t cap, gm_error *err)
{
    size_t K = st->n_ckpts, N = st->n_samples;
    unsigned char *seen = calloc(K * N + 1, 1);
    st->n_loss_steps = K;
    st->loss_steps = malloc(K * sizeof *st->loss_steps);
    st->loss = malloc((N ? N : 1) * K * sizeof *st->loss);
    if (!seen || !st->loss_steps || !st->loss) {
        free(seen);
        free(rank);
        return gm_fail(err, GM_ENOMEM, "out of memory for %zu x %zu losses", K, N);
    }
    for (size_t k = 0; k < K; k++)
        st->loss_steps[k] = st->ckpts[k].step;
    pending_losses *pl = st->pending_losses;
    int rc = 0;
    for (size_t q = 0; pl && q < pl->n && rc == 0; q++) {
        size_t k = rank[pl->v[q].ckpt], i = pl->v[q].sample;
        if (seen[k * N + i]++)
            rc = gm_fail(err, GM_EDATA, "sample %s appears twice in checkpoint %s",
                         st->samples[i].id, st->ckpts[k].name);
        st->loss[i * K + k] = pl->v[q].loss;
    }
    free(rank);
    if (pl) {
        free(pl->v);
        free(pl);
        st->pending_losses = NULL;
    }
    if (rc == 0)
        rc = drop_missing(st, seen, allow_missing, dropped, first_missing, cap, err);
    free(seen);
    return rc;
}

int panel_finish(panel *st, int allow_missing, size_t *dropped, char *first_missing, size_t cap,
                 gm_error *err)
{
    *dropped = 0;
    if (first_missing && cap)
        first_missing[0] = '\0';
    if (domains_and_groups_sort(st, err))
        return -1;
    size_t K = st->n_ckpts, N = st->n_samples;
    if (K == 0)
        return gm_fail(err, GM_EDATA, "no pathway records in the input");
    /* checkpoints by step; remember where each old index went */
    size_t *rank = malloc((K ? K : 1) * sizeof *rank);
    panel_ckpt *old = malloc((K ? K : 1) * sizeof *old);
    if (!rank || !old) {
        free(rank);
        free(old);
        return gm_fail(err, GM_ENOMEM, "out of memory");
    }
    memcpy(old, st->ckpts, K * sizeof *old);
    qsort(st->ckpts, K, sizeof *st->ckpts, cmp_ckpt);
    for (size_t a = 0; a < K; a++)
        for (size_t b = 0; b < K; b++)
            if (old[a].name == st->ckpts[b].name)
                rank[a] = b;
    free(old);

    if (st->losses_only)
        return finish_losses(st, rank, allow_missing, dropped, first_missing, cap, err);
    st->cells = calloc(K * N + 1, sizeof *st->cells);
    if (!st->cells) {
        free(rank);
        return gm_fail(err, GM_ENOMEM, "out of memory for %zu x %zu cells", K, N);
    }
    pending *pd = st->pending;
    for (size_t q = 0; pd && q < pd->n; q++) {
        pending_cell *pc = &pd->v[q];
        panel_cell *c = &st->cells[rank[pc->ckpt] * N + pc->sample];
        if (c->count) {
            size_t k = rank[pc->ckpt];
            free(rank);
            return gm_fail(err, GM_EDATA, "sample %s appears twice in checkpoint %s",
                           st->samples[pc->sample].id, st->ckpts[k].name);
        }
        *c = pc->cell;
        pc->cell.path = NULL;
    }
    free(rank);
    if (pd) {
        free(pd->v);
        free(pd);
        st->pending = NULL;
    }

    if (drop_missing(st, NULL, allow_missing, dropped, first_missing, cap, err))
        return -1;

    if (st->membership_mode) {
        /* every checkpoint must be one the membership file has losses for, and agree with them */
        for (size_t k = 0; k < K; k++) {
            size_t t;
            for (t = 0; t < st->n_loss_steps; t++)
                if (st->loss_steps[t] == st->ckpts[k].step)
                    break;
            if (t == st->n_loss_steps)
                return gm_fail(err, GM_EDATA, "checkpoint %s (step %lld) is not among the membership "
                               "file's checkpoints", st->ckpts[k].name, (long long)st->ckpts[k].step);
            for (size_t i = 0; i < N; i++) {
                const panel_cell *c = &st->cells[k * N + i];
                double m = st->loss[i * st->n_loss_steps + t];
                if (!st->samples[i].dropped && !(c->loss == m || (isnan(c->loss) && isnan(m))))
                    return gm_fail(err, GM_EDATA, "sample %s: loss %.17g at checkpoint %s differs from "
                                   "the membership file's %.17g: it was made from other pathway files",
                                   st->samples[i].id, c->loss, st->ckpts[k].name, m);
            }
        }
        return 0;
    }
    st->n_loss_steps = K;
    st->loss_steps = malloc(K * sizeof *st->loss_steps);
    st->loss = malloc((N ? N : 1) * K * sizeof *st->loss);
    if (!st->loss_steps || !st->loss)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    for (size_t k = 0; k < K; k++) {
        st->loss_steps[k] = st->ckpts[k].step;
        for (size_t i = 0; i < N; i++)
            st->loss[i * K + k] = st->cells[k * N + i].loss;
    }
    return 0;
}
