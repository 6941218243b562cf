/* stats.c: Pearson and Spearman (average ranks for ties) correlation, the
 * numbers of the paper's Table 1 (method.md, "Validation against test
 * accuracy"). Plain two-pass sums in double; no p-values, no NaN out:
 * a constant series or n < 2 is reported as undefined (return 0). */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

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
