/* edit_distance.h: exact Levenshtein distance (unit insert, delete,
 * substitute) between symbol strings.
 *
 * edit_query holds a string preprocessed once (Myers/Hyyro bit-parallel
 * pattern masks, multi-word blocks past 64 symbols) so that one row of a
 * pairwise matrix reuses it against every other string. edit_distance_dp is
 * the plain O(nm) dynamic programme kept beside it as the reference.
 * Symbols are uint16_t so both modes fit: characters of a pathway string, or
 * expert ids with a separator symbol.
 *
 * GM_REFERENCE=1 in the environment makes edit_distance, the queries (read
 * when a query is created) and the pair helpers below use the plain DP,
 * unless a kernel was chosen with edit_kernel_select. */
#ifndef GM_EDIT_DISTANCE_H
#define GM_EDIT_DISTANCE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct edit_query edit_query;

/* NULL only when allocation fails. The query copies what it needs from q.
 * A query is read-only once made: several threads may use one at once. */
edit_query *edit_query_create(const uint16_t *q, size_t n);
/* SIZE_MAX only when allocation fails (strings past ~8000 symbols need
 * scratch memory; shorter ones never allocate). */
size_t edit_query_distance(const edit_query *query, const uint16_t *t, size_t m);
void edit_query_free(edit_query *query); /* accepts NULL */

/* Distances from the query to k strings t[0..k-1] (lengths m[]), into
 * out[0..k-1]. Faster per pair than k calls of edit_query_distance (several
 * strings go through the vector unit side by side). Returns 0, or -1 with
 * err set (GM_ENOMEM). */
int edit_query_distances(const edit_query *query, const uint16_t *const *t,
                         const size_t *m, size_t k, size_t *out, gm_error *err);

/* Kernels behind the queries. AUTO picks, when a query is made: the DP under
 * GM_REFERENCE=1, else the fastest this CPU runs (checked at run time, so a
 * binary built elsewhere still works). AVX512 runs eight strings at once
 * (AVX-512F + VBMI2), AVX2 four; SCALAR is the one-string bit-parallel loop
 * (edit_query_distance always uses it unless the kernel is DP). */
typedef enum edit_kernel {
    EDIT_KERNEL_AUTO = 0,
    EDIT_KERNEL_AVX512,
    EDIT_KERNEL_AVX2,
    EDIT_KERNEL_SCALAR,
    EDIT_KERNEL_DP,
} edit_kernel;

const char *edit_kernel_name(edit_kernel k);   /* "avx512", ..., "auto" */
int edit_kernel_available(edit_kernel k);       /* 1 if this CPU runs it */
/* The kernel for queries made from now on (for tests and benchmarks; call it
 * before starting threads). Returns 0, or -1 when k is not available here. */
int edit_kernel_select(edit_kernel k);
/* What a query made now would run: never AUTO. */
edit_kernel edit_kernel_current(void);

/* One-shot distance through the bit-parallel path. SIZE_MAX only when
 * allocation fails. */
size_t edit_distance(const uint16_t *a, size_t n, const uint16_t *b, size_t m);

/* The O(nm) reference, O(min(n, m)) memory. SIZE_MAX only when allocation
 * fails. */
size_t edit_distance_dp(const uint16_t *a, size_t n, const uint16_t *b, size_t m);

/* Pairwise helpers for metric-reduce. s[i] is a string of len[i] symbols.
 * threads: worker threads (rows are handed out dynamically), 0 = all online
 * processors. Sums are exact (integer per thread) before the conversion to
 * double. Each returns 0, or -1 with err set (GM_ENOMEM; GM_EUSAGE for
 * threads < 0). */

/* sum over all unordered pairs i < j of d(s[i], s[j]); 0 when n < 2. */
int edit_pairs_sum(const uint16_t *const *s, const size_t *len, size_t n,
                   int threads, double *sum, gm_error *err);

/* sum over all i in [0, na), j in [0, nb) of d(a[i], b[j]) (cross-set pairs,
 * e.g. two domains). */
int edit_cross_sum(const uint16_t *const *a, const size_t *alen, size_t na,
                   const uint16_t *const *b, const size_t *blen, size_t nb,
                   int threads, double *sum, gm_error *err);

/* dist[k] = d(s[pi[k]], s[pj[k]]) for k < npairs (sampled pairs). Runs of
 * equal pi[] share one query, so sort the pairs by pi for speed. */
int edit_pairs_list(const uint16_t *const *s, const size_t *len,
                    const size_t *pi, const size_t *pj, size_t npairs,
                    int threads, size_t *dist, gm_error *err);

#endif
