/* pair_stats.h: mean pairwise pathway distance of a set of samples, over all
 * unordered pairs or a uniform sample of them (with its standard error), on the
 * whole strings and per layer; within one set or across two (method.md "Per
 * checkpoint, per group": pathway distance, layerwise distance, cross-domain
 * control). The distances come from common/edit_distance.h; this module picks
 * the pairs and reduces. It does not parse pathway strings. */
#ifndef GM_PAIR_STATS_H
#define GM_PAIR_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* The symbol strings of one checkpoint's n samples. */
typedef struct pair_strings {
    size_t n, L;
    const uint16_t *const *s;    /* [n]     whole pathway strings */
    const size_t *len;           /* [n] */
    const uint16_t *const *ls;   /* [L, n]  layer l of sample i at l * n + i */
    const size_t *llen;          /* [L, n] */
} pair_strings;

typedef struct pair_result {
    uint64_t pairs;      /* pairs used */
    int sampled;         /* 1: a uniform sample without replacement of the pairs */
    double mean;         /* mean distance; NaN when pairs == 0 */
    double se;           /* standard error of mean when sampled and pairs >= 2, else NaN */
    double *layer_mean;  /* [L], the caller's buffer; NaN when pairs == 0 */
} pair_result;

/* Pairs i < j among members [n] (indices into ps). max_pairs 0, or at least
 * the n (n - 1) / 2 pairs there are, uses all pairs; fewer samples max_pairs
 * distinct pairs uniformly with the generator seeded by seed. The standard
 * error carries the finite-population correction sqrt((M - N) / (M - 1)), M
 * pairs in all, N sampled. threads as in edit_distance.h (0: all CPUs). */
int pair_stats_within(const pair_strings *ps, const size_t *members, size_t n,
                      uint64_t max_pairs, uint64_t seed, int threads,
                      pair_result *out, gm_error *err);

/* Pairs (a[i], b[j]) across two disjoint sets; otherwise as pair_stats_within. */
int pair_stats_cross(const pair_strings *ps, const size_t *a, size_t na,
                     const size_t *b, size_t nb, uint64_t max_pairs, uint64_t seed,
                     int threads, pair_result *out, gm_error *err);

/* Every unordered pair i < j of the n samples of ps, each distance computed
 * once, summed into bins by label: pair (i, j) with labels a = label[i],
 * b = label[j] adds to bin (min(a,b), max(a,b)) of sum [G, G] (and per layer
 * of lsum [L, G, G]); samples labelled PAIR_NO_LABEL are left out. Every
 * within/cross mean over unions of labels follows from these sums, so a
 * checkpoint's groups, domains, all and cross rows cost one pass over the
 * pairs. The caller zeroes sum and lsum. threads as in edit_distance.h. */
#define PAIR_NO_LABEL ((size_t)-1)
int pair_stats_binned(const pair_strings *ps, const size_t *label, size_t G, int threads,
                      uint64_t *sum, uint64_t *lsum, gm_error *err);

/* A seed for one (step, scope, group) derived from the user's seed, so the
 * same row draws the same pairs whether the checkpoints run together or one
 * at a time. */
uint64_t pair_seed(uint64_t seed, int64_t step, const char *scope, const char *group);

/* Draw k distinct values uniformly from [0, m) (k <= m), ascending, into
 * out [k] (Floyd's algorithm). -1 with err on allocation failure. */
int pair_sample_indices(uint64_t m, uint64_t k, uint64_t seed, uint64_t *out, gm_error *err);

#endif
