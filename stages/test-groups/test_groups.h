/* test_groups.h: the test side of the paper's local-grokking pairing
 * (method.md "Validation against test accuracy"): per-item test results over
 * checkpoints -> each item's t# and test group (domain, t#), the groups'
 * accuracy per checkpoint; a training-group x test-group similarity table ->
 * the one-to-one pairing of maximum total similarity (Hungarian assignment),
 * within each domain by default.
 * results.c reads and groups; pairing.c reads the similarities and assigns. */
#ifndef GM_TEST_GROUPS_H
#define GM_TEST_GROUPS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* One test group: the items of a domain that became stably correct at the
 * same checkpoint (t#), or never did (stable < 0). */
typedef struct test_group {
    char *name;          /* "test:DOMAIN@STEP" or "test:DOMAIN@never" */
    const char *domain;  /* into results.domains */
    int64_t stable;      /* t# as a step, -1 for never */
    size_t n;            /* items */
    double *accuracy;    /* [n_steps] mean correctness of its items per checkpoint */
} test_group;

typedef struct test_results {
    int64_t *steps;      /* [n_steps] ascending: every step the results file names */
    size_t n_steps;
    size_t n_items;
    char **domains;      /* [n_domains] sorted */
    size_t n_domains;
    test_group *groups;  /* [n_groups] by domain, then t# ascending, never last */
    size_t n_groups;
} test_results;

/* The rule for t#: the earliest checkpoint t at which the item is correct and
 * from which on (t included) its mean correctness is above min_accuracy with
 * at most max_errors wrong answers. */
typedef struct stable_rule {
    double min_accuracy; /* 0.8 */
    int64_t max_errors;  /* 1 */
} stable_rule;

/* Read a results CSV (columns step, domain, item, correct in {0, 1}; every
 * item needs exactly one row per step of the file) and form the test groups.
 * Errors name path:line. */
int test_results_read(test_results *r, const char *path, const stable_rule *rule,
                      gm_error *err);
const test_group *test_results_find(const test_results *r, const char *name);
void test_results_free(test_results *r);

/* Index of the first checkpoint of c[0..T) (1 correct, 0 wrong) satisfying
 * the rule, or -1. */
int64_t stable_index(const unsigned char *c, size_t T, const stable_rule *rule);

/* One training group paired with one test group. */
typedef struct group_pair {
    char *train;               /* the training group's name, as the similarity file gives it */
    const test_group *test;
    double similarity;
} group_pair;

typedef struct pairing {
    group_pair *pairs;         /* [n_pairs] in the similarity file's order of training groups */
    size_t n_pairs;
    size_t n_train, n_test;    /* groups the similarity file names */
    double total;              /* sum of the paired similarities (the maximum) */
} pairing;

/* Read a similarity CSV (columns train_group (or group), test_group,
 * similarity; test groups must be among r's) and pair its groups one to one
 * with maximum total similarity. Within each domain unless across: a
 * training group's domain is its name up to the last '@' (math@245000 ->
 * math), and one assignment per domain pairs its training groups with the
 * test groups of that domain the file names; every such pair needs a row,
 * rows across domains are not used. across: one assignment over all the
 * groups, every pair needs a row. Where a block has more training than test
 * groups, some stay unpaired; no pair at all is an error. */
int pairing_read(pairing *p, const char *path, const test_results *r, int across,
                 gm_error *err);
void pairing_free(pairing *p);

/* Rows [n_rows] x cols [n_cols], n_rows <= n_cols: a column for each row,
 * all distinct, minimizing the sum of cost[i * n_cols + col[i]]. O(n_rows^2
 * n_cols). -1 only when out of memory. */
int assign_min_cost(const double *cost, size_t n_rows, size_t n_cols, size_t *col);

#endif
