/* pairing.c: training groups paired one to one with test groups by maximum
 * total similarity (the Hungarian method on a cost of minus the similarity),
 * from a similarity table the user computes (the paper compares the groups'
 * samples; how is left to them). Within each domain by default, as the paper
 * pairs them (one assignment per domain); --across-domains makes one
 * assignment over all groups. Spec: method.md "Validation against test
 * accuracy" (one-to-one pairing of training groups to test groups). */
#include "test_groups.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv_reader.h"

/* Shortest augmenting paths with row and column potentials u, v (the
 * Jonker-Volgenant form of the Hungarian method), 1-based inside: row 0 and
 * column 0 are the virtual start. p[j] is the row holding column j. */
int assign_min_cost(const double *cost, size_t n_rows, size_t n_cols, size_t *col)
{
    size_t n = n_rows, m = n_cols;
    double *u = calloc(n + 1, sizeof *u), *v = calloc(m + 1, sizeof *v);
    double *minv = malloc((m + 1) * sizeof *minv);
    size_t *p = calloc(m + 1, sizeof *p), *way = calloc(m + 1, sizeof *way);
    unsigned char *used = malloc(m + 1);
    int rc = u && v && minv && p && way && used ? 0 : -1;
    for (size_t i = 1; rc == 0 && i <= n; i++) {
        p[0] = i;
        size_t j0 = 0;
        for (size_t j = 0; j <= m; j++) {
            minv[j] = INFINITY;
            used[j] = 0;
        }
        do { /* grow the tree of tight edges from row i until a free column joins it */
            used[j0] = 1;
            size_t i0 = p[j0], j1 = 0;
            double delta = INFINITY;
            for (size_t j = 1; j <= m; j++) {
                if (used[j])
                    continue;
                double cur = cost[(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
                if (cur < minv[j]) {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if (minv[j] < delta) {
                    delta = minv[j];
                    j1 = j;
                }
            }
            for (size_t j = 0; j <= m; j++) {
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
        } while (p[j0] != 0);
        do { /* flip the path back to the start */
            size_t j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0 != 0);
    }
    if (rc == 0)
        for (size_t j = 1; j <= m; j++)
            if (p[j])
                col[p[j] - 1] = j - 1;
    free(u); free(v); free(minv); free(p); free(way); free(used);
    return rc;
}

/* The index of name in names[0..*n), appended when new; -1 when out of memory. */
static long name_index(char ***names, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*names)[i], name) == 0)
            return (long)i;
    char **grown = realloc(*names, (*n + 1) * sizeof *grown);
    if (!grown)
        return -1;
    *names = grown;
    if (!(grown[*n] = strdup(name)))
        return -1;
    return (long)(*n)++;
}

typedef struct sim_cell {
    size_t train, test, line;
    double value;
} sim_cell;

static void names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* The similarity rows, with the groups they name. */
static int cells_read(const char *path, const test_results *res, sim_cell **cells_out,
                      size_t *n_cells, char ***train, size_t *n_train, char ***test,
                      size_t *n_test, gm_error *err)
{
    static const char *const train_names[] = {"train_group", "group", NULL};
    static const char *const test_names[] = {"test_group", NULL};
    static const char *const sim_names[] = {"similarity", NULL};
    csv_reader r = {0};
    if (csv_open(&r, path, err))
        return -1;
    sim_cell *cells = NULL;
    size_t n = 0, cap = 0;
    int c_train = -1, c_test = -1, c_sim = -1, got, rc = 0;
    while (rc == 0 && (got = csv_next(&r, err)) == 1) {
        if (r.header) {
            c_train = csv_column(&r, train_names);
            c_test = csv_column(&r, test_names);
            c_sim = csv_column(&r, sim_names);
            const char *missing = c_train < 0 ? "train_group" : c_test < 0 ? "test_group"
                                  : c_sim < 0 ? "similarity" : NULL;
            if (missing)
                rc = gm_fail(err, GM_EDATA, "%s:%zu: missing column '%s' (the header must name "
                             "train_group, test_group and similarity)", path, r.line, missing);
            continue;
        }
        double sim;
        if (csv_double(&r, c_sim, "similarity", &sim, err)) {
            rc = -1;
            break;
        }
        const char *tn = r.field[c_test];
        if (!test_results_find(res, tn)) {
            rc = gm_fail(err, GM_EDATA, "%s:%zu: test group '%s' is not in the results (names look "
                         "like %s)", path, r.line, tn, res->groups[0].name);
            break;
        }
        if (!r.field[c_train][0]) {
            rc = gm_fail(err, GM_EDATA, "%s:%zu: empty train_group", path, r.line);
            break;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            sim_cell *grown = realloc(cells, cap * sizeof *grown);
            if (!grown) {
                rc = gm_fail(err, GM_ENOMEM, "%s: out of memory", path);
                break;
            }
            cells = grown;
        }
        long i = name_index(train, n_train, r.field[c_train]);
        long j = i < 0 ? -1 : name_index(test, n_test, tn);
        if (j < 0) {
            rc = gm_fail(err, GM_ENOMEM, "%s: out of memory", path);
            break;
        }
        cells[n++] = (sim_cell){(size_t)i, (size_t)j, r.line, sim};
    }
    if (rc == 0 && got < 0)
        rc = -1;
    if (rc == 0 && r.n_header == 0)
        rc = gm_fail(err, GM_EDATA, "%s:1: empty file: expected a header naming train_group, "
                     "test_group and similarity", path);
    if (rc == 0 && n == 0)
        rc = gm_fail(err, GM_EDATA, "%s: no similarities after the header", path);
    csv_close(&r);
    if (rc) {
        free(cells);
        return -1;
    }
    *cells_out = cells;
    *n_cells = n;
    return 0;
}

/* The domain of a training group: its name up to the last '@' (metric-reduce
 * names groups DOMAIN@STEP and DOMAIN@never), or the whole name without one. */
static int same_domain(const char *train, const char *domain)
{
    const char *at = strrchr(train, '@');
    size_t n = at ? (size_t)(at - train) : strlen(train);
    return strlen(domain) == n && strncmp(train, domain, n) == 0;
}

/* Pair the training groups rows[0..nr) with the test groups cols[0..nc) of
 * one block (a domain, or everything with --across-domains) by maximum total
 * similarity: partner[t] = the test group of training group t, or stays -1.
 * Every pair of the block needs a similarity. */
static int assign_block(const char *path, const double *sim, const size_t *line, size_t ns,
                        char **train, char **test, const size_t *rows, size_t nr,
                        const size_t *cols, size_t nc, int across, long *partner, gm_error *err)
{
    for (size_t a = 0; a < nr; a++)
        for (size_t b = 0; b < nc; b++)
            if (!line[rows[a] * ns + cols[b]])
                return gm_fail(err, GM_EDATA, "%s: no similarity for %s and %s (%s)", path,
                               train[rows[a]], test[cols[b]],
                               across ? "every pair of the groups the file names needs one"
                                      : "every pair of groups of one domain that the file names "
                                        "needs one");
    /* the smaller side is the rows: every one of its groups gets a partner */
    int by_train = nr <= nc;
    size_t n_rows = by_train ? nr : nc, n_cols = by_train ? nc : nr;
    double *cost = calloc(n_rows * n_cols + 1, sizeof *cost);
    size_t *col = malloc((n_rows + 1) * sizeof *col);
    if (!cost || !col) {
        free(cost);
        free(col);
        return gm_fail(err, GM_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n_rows; i++)
        for (size_t j = 0; j < n_cols; j++) {
            size_t t = by_train ? rows[i] : rows[j], g = by_train ? cols[j] : cols[i];
            cost[i * n_cols + j] = -sim[t * ns + g];
        }
    int rc = assign_min_cost(cost, n_rows, n_cols, col);
    if (rc)
        rc = gm_fail(err, GM_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < n_rows; i++) {
        size_t t = by_train ? rows[i] : rows[col[i]], g = by_train ? cols[col[i]] : cols[i];
        partner[t] = (long)g;
    }
    free(cost);
    free(col);
    return rc;
}

int pairing_read(pairing *p, const char *path, const test_results *res, int across,
                 gm_error *err)
{
    memset(p, 0, sizeof *p);
    char **train = NULL, **test = NULL;
    size_t nt = 0, ns = 0, n_cells = 0;
    sim_cell *cells = NULL;
    double *sim = NULL;
    size_t *line = NULL, *rows = NULL, *cols = NULL;
    long *partner = NULL;
    int rc = cells_read(path, res, &cells, &n_cells, &train, &nt, &test, &ns, err);
    if (rc == 0) {
        sim = malloc(nt * ns * sizeof *sim);
        line = calloc(nt * ns, sizeof *line);
        rows = malloc(nt * sizeof *rows);
        cols = malloc(ns * sizeof *cols);
        partner = malloc(nt * sizeof *partner);
        p->pairs = calloc(nt < ns ? nt : ns, sizeof *p->pairs);
        if (!sim || !line || !rows || !cols || !partner || !p->pairs)
            rc = gm_fail(err, GM_ENOMEM, "out of memory");
    }
    /* the matrix of the file: each pair at most once */
    for (size_t k = 0; rc == 0 && k < n_cells; k++) {
        size_t at = cells[k].train * ns + cells[k].test;
        if (line[at])
            rc = gm_fail(err, GM_EDATA, "%s:%zu: second similarity for %s and %s (the first is on "
                         "line %zu)", path, cells[k].line, train[cells[k].train],
                         test[cells[k].test], line[at]);
        line[at] = cells[k].line;
        sim[at] = cells[k].value;
    }
    for (size_t t = 0; rc == 0 && t < nt; t++)
        partner[t] = -1;
    if (rc == 0 && across) { /* one assignment over all the groups */
        for (size_t t = 0; t < nt; t++)
            rows[t] = t;
        for (size_t g = 0; g < ns; g++)
            cols[g] = g;
        rc = assign_block(path, sim, line, ns, train, test, rows, nt, cols, ns, 1, partner, err);
    }
    /* within each domain (the paper): one assignment per domain, in the order
     * the file first names a training group of it; pairs across domains unused */
    for (size_t t0 = 0; rc == 0 && !across && t0 < nt; t0++) {
        const test_group *first = NULL;
        size_t nr = 0, nc = 0, seen = 0;
        for (size_t g = 0; g < ns; g++) {
            const test_group *tg = test_results_find(res, test[g]);
            if (same_domain(train[t0], tg->domain)) {
                cols[nc++] = g;
                first = tg;
            }
        }
        if (!first)
            continue; /* no test group of its domain: stays unpaired */
        for (size_t t = 0; t < nt; t++)
            if (same_domain(train[t], first->domain)) {
                seen |= t < t0;
                rows[nr++] = t;
            }
        if (!seen) /* the domain's first training group: its block is done here */
            rc = assign_block(path, sim, line, ns, train, test, rows, nr, cols, nc, 0, partner,
                              err);
    }
    for (size_t t = 0; rc == 0 && t < nt; t++) { /* in the file's order of training groups */
        if (partner[t] < 0)
            continue;
        group_pair *gp = &p->pairs[p->n_pairs++];
        gp->train = train[t];
        train[t] = NULL; /* owned by the pair now */
        gp->test = test_results_find(res, test[partner[t]]);
        gp->similarity = sim[t * ns + (size_t)partner[t]];
        p->total += gp->similarity;
    }
    if (rc == 0 && p->n_pairs == 0)
        rc = gm_fail(err, GM_EDATA, "%s: no training group shares a domain with a test group (a "
                     "training group's domain is its name up to the last '@'; --across-domains "
                     "pairs across domains)", path);
    p->n_train = nt;
    p->n_test = ns;
    names_free(train, nt);
    names_free(test, ns);
    free(cells); free(sim); free(line); free(rows); free(cols); free(partner);
    if (rc)
        pairing_free(p);
    return rc;
}

void pairing_free(pairing *p)
{
    if (p->pairs)
        for (size_t i = 0; i < p->n_pairs; i++)
            free(p->pairs[i].train);
    free(p->pairs);
    memset(p, 0, sizeof *p);
}
