/* fuzz_test_results: test-groups' readers (stages/test-groups/results.c and
 * pairing.c) on arbitrary bytes: the results CSV, then, after a form feed
 * byte, the similarity CSV. On success: the steps ascend, every item is in
 * one group, accuracies lie in [0, 1], each t# is one of the steps; the
 * pairing is one to one and its total is the sum of its pairs. The input's
 * first bytes also make a small cost matrix for assign_min_cost, held to a
 * brute-force optimum over every permutation.
 * Spec: method.md "Validation against test accuracy"; issue 7. */
#include <math.h>
#include <string.h>

#include "../../stages/test-groups/test_groups.h"
#include "fuzz.h"

static void check_pairing(const pairing *p, const test_results *r, int across)
{
    size_t most = p->n_train < p->n_test ? p->n_train : p->n_test;
    FUZZ_ASSERT(across ? p->n_pairs == most : p->n_pairs >= 1 && p->n_pairs <= most);
    for (size_t i = 0; !across && i < p->n_pairs; i++) { /* within a domain: DOMAIN@... */
        const char *at = strrchr(p->pairs[i].train, '@');
        size_t n = at ? (size_t)(at - p->pairs[i].train) : strlen(p->pairs[i].train);
        FUZZ_ASSERT(strlen(p->pairs[i].test->domain) == n &&
                    strncmp(p->pairs[i].train, p->pairs[i].test->domain, n) == 0);
    }
    double total = 0.0;
    for (size_t i = 0; i < p->n_pairs; i++) {
        total += p->pairs[i].similarity;
        FUZZ_ASSERT(p->pairs[i].train && p->pairs[i].test);
        FUZZ_ASSERT(test_results_find(r, p->pairs[i].test->name) == p->pairs[i].test);
        for (size_t j = 0; j < i; j++) {
            FUZZ_ASSERT(p->pairs[i].test != p->pairs[j].test);
            FUZZ_ASSERT(strcmp(p->pairs[i].train, p->pairs[j].train) != 0);
        }
    }
    FUZZ_ASSERT(total == p->total || fabs(total - p->total) <= 1e-9 * (1 + fabs(total)));
}

/* A brute-force optimum for small square cost matrices, to hold the
 * Hungarian method to: every permutation of n <= 6 columns. */
static double best_perm(const double *cost, size_t n, size_t k, size_t *perm)
{
    if (k == n) {
        double s = 0.0;
        for (size_t i = 0; i < n; i++)
            s += cost[i * n + perm[i]];
        return s;
    }
    double best = INFINITY;
    for (size_t i = k; i < n; i++) {
        size_t t = perm[k]; perm[k] = perm[i]; perm[i] = t;
        double s = best_perm(cost, n, k + 1, perm);
        if (s < best)
            best = s;
        t = perm[k]; perm[k] = perm[i]; perm[i] = t;
    }
    return best;
}

static void check_assign(const uint8_t *data, size_t size)
{
    if (size < 2)
        return;
    size_t n = (size_t)(data[0] % 6) + 1, m = n + (size_t)(data[1] % 3);
    double cost[6 * 8];
    for (size_t i = 0; i < n * m; i++)
        cost[i] = (double)(data[(2 + i) % size] % 17) - 8.0; /* ties on purpose */
    size_t col[6], used[8] = {0};
    FUZZ_ASSERT(assign_min_cost(cost, n, m, col) == 0);
    double got = 0.0;
    for (size_t i = 0; i < n; i++) {
        FUZZ_ASSERT(col[i] < m && !used[col[i]]);
        used[col[i]] = 1;
        got += cost[i * m + col[i]];
    }
    if (n == m) {
        size_t perm[6];
        for (size_t i = 0; i < n; i++)
            perm[i] = i;
        FUZZ_ASSERT(got == best_perm(cost, n, 0, perm)); /* small integers: exact */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_assign(data, size);
    const uint8_t *ff = memchr(data, '\f', size);
    size_t n1 = ff ? (size_t)(ff - data) : size;
    char path[64], sim_path[64];
    int fd = fuzz_file(data, n1, path, sizeof path);
    if (fd < 0)
        return 0;
    stable_rule rule = {0.8, 1};
    test_results r;
    gm_error err = {0};
    if (test_results_read(&r, path, &rule, &err) != 0) {
        FUZZ_ASSERT_ERROR(&err);
        fuzz_file_close(fd);
        return 0;
    }
    size_t items = 0;
    for (size_t t = 1; t < r.n_steps; t++)
        FUZZ_ASSERT(r.steps[t - 1] < r.steps[t]);
    for (size_t g = 0; g < r.n_groups; g++) {
        const test_group *tg = &r.groups[g];
        items += tg->n;
        FUZZ_ASSERT(tg->n > 0 && strncmp(tg->name, "test:", 5) == 0);
        int known = tg->stable < 0;
        for (size_t t = 0; t < r.n_steps; t++) {
            FUZZ_ASSERT(tg->accuracy[t] >= 0.0 && tg->accuracy[t] <= 1.0);
            known |= tg->stable == r.steps[t];
        }
        FUZZ_ASSERT(known);
    }
    FUZZ_ASSERT(items == r.n_items);
    if (ff) {
        int fd2 = fuzz_file(ff + 1, size - n1 - 1, sim_path, sizeof sim_path);
        pairing p;
        for (int across = 0; fd2 >= 0 && across < 2; across++) { /* within domains, then across */
            if (pairing_read(&p, sim_path, &r, across, &err) != 0)
                FUZZ_ASSERT_ERROR(&err);
            else
                check_pairing(&p, &r, across);
            pairing_free(&p);
        }
        fuzz_file_close(fd2);
    }
    test_results_free(&r);
    fuzz_file_close(fd);
    return 0;
}
