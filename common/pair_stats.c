/* pair_stats.c: picks the pairs (all, or a uniform sample without replacement)
 * and reduces their edit distances to a mean, a standard error and per-layer
 * means (method.md "Per checkpoint, per group"). The distance kernel and its
 * threads live in common/edit_distance.c; the sums it returns are exact. It
 * does not build the symbol strings (metric-reduce does). */
#include "pair_stats.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edit_distance.h"
#include "hash.h"
#include "rng.h"
#include "runtime.h"

/* ---- random numbers: common/rng.h's splitmix64 ---- */

/* uniform in [0, m), m >= 1, without modulo bias */
static uint64_t uniform_below(uint64_t *state, uint64_t m)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % m;
    uint64_t x;
    do
        x = splitmix64_next(state);
    while (x >= limit);
    return x % m;
}

uint64_t pair_seed(uint64_t seed, int64_t step, const char *scope, const char *group)
{
    uint64_t h = FNV1A_OFFSET; /* FNV-1a over "step/scope/group" */
    char num[32];
    snprintf(num, sizeof num, "%lld/", (long long)step);
    const char *parts[3] = {num, scope, group};
    for (int p = 0; p < 3; p++)
        h = fnv1a_byte(fnv1a_more(h, parts[p]), '/');
    uint64_t state = seed ^ h;
    return splitmix64_next(&state);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

int pair_sample_indices(uint64_t m, uint64_t k, uint64_t seed, uint64_t *out, gm_error *err)
{
    /* Floyd: for j = m-k .. m-1 draw t in [0, j]; take t, or j if t is taken */
    size_t cap = 16;
    while (cap < 2 * k)
        cap *= 2;
    uint64_t *set = malloc(cap * sizeof *set); /* open addressing; UINT64_MAX = empty */
    if (!set)
        return gm_fail(err, GM_ENOMEM, "out of memory sampling %llu pairs", (unsigned long long)k);
    memset(set, 0xff, cap * sizeof *set);
    uint64_t state = seed;
    size_t got = 0;
    for (uint64_t j = m - k; j < m; j++) {
        uint64_t t = uniform_below(&state, j + 1);
        for (int pass = 0; pass < 2; pass++) {
            uint64_t v = pass ? j : t;
            size_t h = (size_t)((v * 0x9e3779b97f4a7c15ULL) >> 7) & (cap - 1);
            while (set[h] != UINT64_MAX && set[h] != v)
                h = (h + 1) & (cap - 1);
            if (set[h] == UINT64_MAX) {
                set[h] = v;
                out[got++] = v;
                break;
            }
            /* t taken: j is new (every earlier draw was < j) */
        }
    }
    free(set);
    qsort(out, got, sizeof *out, cmp_u64);
    return 0;
}

static void result_empty(pair_result *out, size_t L)
{
    out->pairs = 0;
    out->sampled = 0;
    out->mean = NAN;
    out->se = NAN;
    for (size_t l = 0; l < L; l++)
        out->layer_mean[l] = NAN;
}

/* Gather the strings of members into contiguous pointer arrays. */
static void gather(const uint16_t *const *s, const size_t *len, const size_t *idx, size_t n,
                  const uint16_t **gs, size_t *glen)
{
    for (size_t k = 0; k < n; k++) {
        gs[k] = s[idx[k]];
        glen[k] = len[idx[k]];
    }
}

/* Distances over the listed global pairs (pi, pj): mean, SE and layer means. */
static int reduce_listed(const pair_strings *ps, const size_t *pi, const size_t *pj, uint64_t npairs,
                         uint64_t population, int threads, pair_result *out, gm_error *err)
{
    size_t *dist = malloc((size_t)npairs * sizeof *dist);
    if (!dist)
        return gm_fail(err, GM_ENOMEM, "out of memory for %llu sampled pairs", (unsigned long long)npairs);
    if (edit_pairs_list(ps->s, ps->len, pi, pj, (size_t)npairs, threads, dist, err)) {
        free(dist);
        return -1;
    }
    uint64_t sum = 0;
    unsigned __int128 sumsq = 0;
    for (uint64_t k = 0; k < npairs; k++) {
        sum += dist[k];
        sumsq += (unsigned __int128)dist[k] * dist[k];
    }
    out->pairs = npairs;
    out->sampled = 1;
    out->mean = (double)sum / (double)npairs;
    out->se = NAN;
    if (npairs >= 2) {
        /* s^2 = (N sum d^2 - (sum d)^2) / (N (N - 1)), exact up to the division */
        unsigned __int128 num = (unsigned __int128)npairs * sumsq - (unsigned __int128)sum * sum;
        double var = (double)num / ((double)npairs * (double)(npairs - 1));
        double fpc = (double)(population - npairs) / (double)(population - 1);
        out->se = sqrt(var / (double)npairs * fpc);
    }
    for (size_t l = 0; l < ps->L; l++) {
        if (edit_pairs_list(ps->ls + l * ps->n, ps->llen + l * ps->n, pi, pj, (size_t)npairs,
                            threads, dist, err)) {
            free(dist);
            return -1;
        }
        uint64_t ls = 0;
        for (uint64_t k = 0; k < npairs; k++)
            ls += dist[k];
        out->layer_mean[l] = (double)ls / (double)npairs;
    }
    free(dist);
    return 0;
}

/* Map ascending pair ranks to (row, column) and reduce. rank k of the pairs
 * i < j of n members runs row by row: row i holds n - 1 - i pairs. cross: rank
 * k is (a[k / nb], b[k % nb]). */
static int reduce_sampled(const pair_strings *ps, const size_t *a, size_t na, const size_t *b,
                          size_t nb, int cross, uint64_t population, uint64_t k, uint64_t seed,
                          int threads, pair_result *out, gm_error *err)
{
    uint64_t *rank = malloc((size_t)k * sizeof *rank);
    size_t *pi = malloc((size_t)k * sizeof *pi), *pj = malloc((size_t)k * sizeof *pj);
    int rc = -1;
    if (!rank || !pi || !pj) {
        gm_fail(err, GM_ENOMEM, "out of memory for %llu sampled pairs", (unsigned long long)k);
        goto done;
    }
    if (pair_sample_indices(population, k, seed, rank, err))
        goto done;
    if (cross) {
        for (uint64_t q = 0; q < k; q++) {
            pi[q] = a[rank[q] / nb];
            pj[q] = b[rank[q] % nb];
        }
    } else {
        uint64_t row = 0, row_start = 0; /* rank of the first pair of row */
        for (uint64_t q = 0; q < k; q++) {
            while (rank[q] >= row_start + (na - 1 - row)) {
                row_start += na - 1 - row;
                row++;
            }
            pi[q] = a[row];
            pj[q] = a[row + 1 + (rank[q] - row_start)];
        }
    }
    rc = reduce_listed(ps, pi, pj, k, population, threads, out, err);
done:
    free(rank);
    free(pi);
    free(pj);
    return rc;
}

int pair_stats_within(const pair_strings *ps, const size_t *members, size_t n,
                      uint64_t max_pairs, uint64_t seed, int threads,
                      pair_result *out, gm_error *err)
{
    result_empty(out, ps->L);
    if (n < 2)
        return 0;
    uint64_t population = (uint64_t)n * (n - 1) / 2;
    if (max_pairs && max_pairs < population)
        return reduce_sampled(ps, members, n, NULL, 0, 0, population, max_pairs, seed, threads, out, err);

    const uint16_t **gs = malloc(n * sizeof *gs);
    size_t *glen = malloc(n * sizeof *glen);
    int rc = -1;
    if (!gs || !glen) {
        gm_fail(err, GM_ENOMEM, "out of memory for %zu strings", n);
        goto done;
    }
    double sum;
    gather(ps->s, ps->len, members, n, gs, glen);
    if (edit_pairs_sum(gs, glen, n, threads, &sum, err))
        goto done;
    out->pairs = population;
    out->mean = sum / (double)population;
    for (size_t l = 0; l < ps->L; l++) {
        gather(ps->ls + l * ps->n, ps->llen + l * ps->n, members, n, gs, glen);
        if (edit_pairs_sum(gs, glen, n, threads, &sum, err))
            goto done;
        out->layer_mean[l] = sum / (double)population;
    }
    rc = 0;
done:
    free(gs);
    free(glen);
    return rc;
}

int pair_stats_cross(const pair_strings *ps, const size_t *a, size_t na,
                     const size_t *b, size_t nb, uint64_t max_pairs, uint64_t seed,
                     int threads, pair_result *out, gm_error *err)
{
    result_empty(out, ps->L);
    if (na == 0 || nb == 0)
        return 0;
    uint64_t population = (uint64_t)na * nb;
    if (max_pairs && max_pairs < population)
        return reduce_sampled(ps, a, na, b, nb, 1, population, max_pairs, seed, threads, out, err);

    const uint16_t **ga = malloc(na * sizeof *ga), **gb = malloc(nb * sizeof *gb);
    size_t *alen = malloc(na * sizeof *alen), *blen = malloc(nb * sizeof *blen);
    int rc = -1;
    if (!ga || !gb || !alen || !blen) {
        gm_fail(err, GM_ENOMEM, "out of memory for %zu + %zu strings", na, nb);
        goto done;
    }
    double sum;
    gather(ps->s, ps->len, a, na, ga, alen);
    gather(ps->s, ps->len, b, nb, gb, blen);
    if (edit_cross_sum(ga, alen, na, gb, blen, nb, threads, &sum, err))
        goto done;
    out->pairs = population;
    out->mean = sum / (double)population;
    for (size_t l = 0; l < ps->L; l++) {
        gather(ps->ls + l * ps->n, ps->llen + l * ps->n, a, na, ga, alen);
        gather(ps->ls + l * ps->n, ps->llen + l * ps->n, b, nb, gb, blen);
        if (edit_cross_sum(ga, alen, na, gb, blen, nb, threads, &sum, err))
            goto done;
        out->layer_mean[l] = sum / (double)population;
    }
    rc = 0;
done:
    free(ga);
    free(gb);
    free(alen);
    free(blen);
    return rc;
}

/* ---- one pass over all pairs, summed by label ---- */

typedef struct binned_job {
    const pair_strings *ps;
    const size_t *label;
    size_t G;
    atomic_size_t next_row;
    atomic_int failed;
} binned_job;

typedef struct binned_worker {
    binned_job *job;
    uint64_t *sum, *lsum;   /* this thread's [G, G] and [L, G, G] */
    gm_error err;
    int rc;
} binned_worker;

/* Add row i's distances (to every j > i, as out[j - i - 1]) into the bins. */
static void bin_row(const binned_job *job, size_t i, const size_t *out, uint64_t *sum)
{
    size_t n = job->ps->n, G = job->G, a = job->label[i];
    for (size_t j = i + 1; j < n; j++) {
        size_t b = job->label[j];
        if (b == PAIR_NO_LABEL)
            continue;
        size_t lo = a < b ? a : b, hi = a < b ? b : a;
        sum[lo * G + hi] += out[j - i - 1];
    }
}

static void *binned_run(void *arg)
{
    binned_worker *w = arg;
    binned_job *job = w->job;
    const pair_strings *ps = job->ps;
    size_t n = ps->n, G = job->G;
    size_t *out = malloc((n ? n : 1) * sizeof *out);
    if (!out) {
        w->rc = gm_fail(&w->err, GM_ENOMEM, "out of memory for a row of %zu distances", n);
        atomic_store(&job->failed, 1);
        return NULL;
    }
    for (;;) {
        size_t i = atomic_fetch_add(&job->next_row, 1);
        if (i + 1 >= n || atomic_load(&job->failed))
            break;
        if (job->label[i] == PAIR_NO_LABEL)
            continue;
        /* the whole string, then each layer's sub-string, against rows i+1 .. n-1 */
        for (size_t l = 0; l <= ps->L; l++) {
            const uint16_t *const *s = l == 0 ? ps->s : ps->ls + (l - 1) * n;
            const size_t *len = l == 0 ? ps->len : ps->llen + (l - 1) * n;
            edit_query *q = edit_query_create(s[i], len[i]);
            int rc = q ? edit_query_distances(q, s + i + 1, len + i + 1, n - i - 1, out, &w->err)
                       : gm_fail(&w->err, GM_ENOMEM, "out of memory for a query of %zu symbols", len[i]);
            edit_query_free(q);
            if (rc) {
                w->rc = -1;
                atomic_store(&job->failed, 1);
                free(out);
                return NULL;
            }
            bin_row(job, i, out, l == 0 ? w->sum : w->lsum + (l - 1) * G * G);
        }
    }
    free(out);
    return NULL;
}

int pair_stats_binned(const pair_strings *ps, const size_t *label, size_t G, int threads,
                      uint64_t *sum, uint64_t *lsum, gm_error *err)
{
    if (threads < 0)
        return gm_fail(err, GM_EUSAGE, "threads must be >= 0, got %d", threads);
    threads = runtime_threads(threads);
    if ((size_t)threads > ps->n / 2 + 1)
        threads = (int)(ps->n / 2 + 1);
    size_t gg = G * G, per = gg * (1 + ps->L);
    binned_job job = {.ps = ps, .label = label, .G = G};
    atomic_init(&job.next_row, 0);
    atomic_init(&job.failed, 0);
    binned_worker *w = calloc((size_t)threads, sizeof *w);
    uint64_t *bins = calloc((size_t)threads * per + 1, sizeof *bins);
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    if (!w || !bins || !tid) {
        free(w);
        free(bins);
        free(tid);
        return gm_fail(err, GM_ENOMEM, "out of memory for %d threads' sums", threads);
    }
    int started = 0;
    for (int t = 0; t < threads; t++) {
        w[t] = (binned_worker){.job = &job, .sum = bins + (size_t)t * per, .lsum = bins + (size_t)t * per + gg};
        if (t > 0 && pthread_create(&tid[t], NULL, binned_run, &w[t]) == 0)
            started++;
        else if (t > 0)
            break; /* fewer threads: the rows are shared dynamically anyway */
    }
    binned_run(&w[0]);
    for (int t = 1; t <= started; t++)
        pthread_join(tid[t], NULL);
    int rc = 0;
    for (int t = 0; t <= started; t++) {
        if (w[t].rc && !rc) {
            *err = w[t].err;
            rc = -1;
        }
        for (size_t q = 0; q < gg; q++)
            sum[q] += w[t].sum[q];
        for (size_t q = 0; q < gg * ps->L; q++)
            lsum[q] += w[t].lsum[q];
    }
    free(w);
    free(bins);
    free(tid);
    return rc;
}
