/* stats.c: Pearson and Spearman (average ranks for ties) correlation, the
 * numbers of the paper's Table 1 (method.md, "Validation against test
 * accuracy"), with Pearson's permutation p-value and bootstrap interval, and
 * the least-squares line of the scatter chart. Plain two-pass sums in double;
 * no NaN out: a constant series or n < 2 is reported as undefined (return 0). */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

static int series_is_constant(const double *x, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (x[i] != x[0])
            return 0;
    return 1;
}

int stats_pearson(const double *x, const double *y, size_t n, double *r)
{
    if (n < 2 || series_is_constant(x, n) || series_is_constant(y, n))
        return 0;
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    double sxy = 0, sxx = 0, syy = 0;
    for (size_t i = 0; i < n; i++) {
        double dx = x[i] - mx, dy = y[i] - my;
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if (sxx == 0 || syy == 0) /* values equal up to rounding of the mean */
        return 0;
    double v = sxy / (sqrt(sxx) * sqrt(syy));
    *r = v > 1 ? 1 : v < -1 ? -1 : v;
    return 1;
}

typedef struct rank_item {
    double v;
    size_t i;
} rank_item;

static int rank_item_cmp(const void *a, const void *b)
{
    const rank_item *p = a, *q = b;
    if (p->v < q->v) return -1;
    if (p->v > q->v) return 1;
    return p->i < q->i ? -1 : p->i > q->i;
}

int stats_rank_average(const double *x, size_t n, double *rank)
{
    rank_item *it = malloc((n ? n : 1) * sizeof *it);
    if (!it)
        return -1;
    for (size_t i = 0; i < n; i++)
        it[i] = (rank_item){x[i], i};
    qsort(it, n, sizeof *it, rank_item_cmp);
    for (size_t a = 0; a < n;) {
        size_t b = a + 1;
        while (b < n && it[b].v == it[a].v)
            b++;
        double mean_rank = ((double)(a + 1) + (double)b) / 2.0; /* ranks a+1..b */
        for (size_t k = a; k < b; k++)
            rank[it[k].i] = mean_rank;
        a = b;
    }
    free(it);
    return 0;
}

int stats_spearman(const double *x, const double *y, size_t n, double *r)
{
    if (n < 2 || series_is_constant(x, n) || series_is_constant(y, n))
        return 0;
    double *rx = malloc(2 * n * sizeof *rx);
    if (!rx)
        return -1;
    double *ry = rx + n;
    int rc = -1;
    if (stats_rank_average(x, n, rx) == 0 && stats_rank_average(y, n, ry) == 0)
        rc = stats_pearson(rx, ry, n, r);
    free(rx);
    return rc;
}

/* Uniform in [0, m), m > 0 (the modulo bias of 64 bits over m <= 2^20 is
 * far below what a p-value shows). */
static size_t draw_below(uint64_t *state, size_t m)
{
    return (size_t)(splitmix64_next(state) % (uint64_t)m);
}

int stats_pearson_perm_p(const double *x, const double *y, size_t n, size_t n_perm,
                         uint64_t seed, double *p)
{
    double r;
    if (!stats_pearson(x, y, n, &r))
        return 0;
    double *shuf = malloc(n * sizeof *shuf);
    if (!shuf)
        return -1;
    memcpy(shuf, y, n * sizeof *shuf);
    uint64_t state = seed;
    size_t hits = 0;
    for (size_t k = 0; k < n_perm; k++) {
        for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
            size_t j = draw_below(&state, i + 1);
            double t = shuf[i];
            shuf[i] = shuf[j];
            shuf[j] = t;
        }
        double rp;
        /* 1e-12: a permutation equal to the observed order counts as a hit */
        if (stats_pearson(x, shuf, n, &rp) && fabs(rp) >= fabs(r) - 1e-12)
            hits++;
    }
    free(shuf);
    *p = (1.0 + (double)hits) / (1.0 + (double)n_perm);
    return 1;
}

static int cmp_double(const void *a, const void *b)
{
    double u = *(const double *)a, v = *(const double *)b;
    return u < v ? -1 : u > v;
}

int stats_pearson_boot_ci(const double *x, const double *y, size_t n, size_t n_boot,
                          uint64_t seed, double level, double *lo, double *hi)
{
    double r0;
    if (n < 4 || !stats_pearson(x, y, n, &r0))
        return 0;
    double *bx = malloc((2 * n + n_boot) * sizeof *bx);
    if (!bx)
        return -1;
    double *by = bx + n, *rs = bx + 2 * n;
    uint64_t state = seed;
    size_t got = 0;
    for (size_t tries = 0; got < n_boot && tries < 4 * n_boot; tries++) {
        for (size_t i = 0; i < n; i++) {
            size_t j = draw_below(&state, n);
            bx[i] = x[j];
            by[i] = y[j];
        }
        if (stats_pearson(bx, by, n, &rs[got]))
            got++;
    }
    int ok = got >= n_boot / 2;
    if (ok) {
        qsort(rs, got, sizeof *rs, cmp_double);
        double tail = (1 - level) / 2 * (double)(got - 1);
        *lo = rs[(size_t)floor(tail)];
        *hi = rs[(size_t)ceil((double)(got - 1) - tail)];
    }
    free(bx);
    return ok;
}

int stats_linear_fit(const double *x, const double *y, size_t n, double *a, double *b)
{
    if (n < 2)
        return 0;
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= (double)n;
    my /= (double)n;
    double sxy = 0, sxx = 0;
    for (size_t i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
    }
    if (sxx == 0)
        return 0;
    *b = sxy / sxx;
    *a = my - *b * mx;
    return 1;
}
