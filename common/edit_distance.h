/* edit_distance.h: exact Levenshtein distance (unit insert, delete,
 * substitute) between symbol strings.
 *
 * edit_query holds a string preprocessed once (Myers/Hyyro bit-parallel
 * pattern masks, multi-word blocks past 64 symbols) so that one row of a
 * pairwise matrix reuses it against every other string. edit_distance_dp is
 * the plain O(nm) dynamic programme kept beside it as the reference.
 * Symbols are uint16_t so both modes fit: characters of a pathway string, or
 * expert ids with a separator symbol. */
#ifndef GM_EDIT_DISTANCE_H
#define GM_EDIT_DISTANCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct edit_query edit_query;

/* NULL only when allocation fails. The query copies what it needs from q. */
edit_query *edit_query_create(const uint16_t *q, size_t n);
size_t edit_query_distance(const edit_query *query, const uint16_t *t, size_t m);
void edit_query_free(edit_query *query); /* accepts NULL */

/* One-shot distance through the bit-parallel path. */
size_t edit_distance(const uint16_t *a, size_t n, const uint16_t *b, size_t m);

/* The O(nm) reference. */
size_t edit_distance_dp(const uint16_t *a, size_t n, const uint16_t *b, size_t m);

#endif
