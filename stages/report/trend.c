/* trend.c: constant, noise, flat stretch and largest move of one series
 * across checkpoints (trend.h). Numbers only; no words, no records. */
#include "trend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int trend_is_constant(const double *y, size_t n, double *range)
{
    double lo = INFINITY, hi = -INFINITY, top = 0;
    size_t finite = 0;
    for (size_t k = 0; k < n; k++) {
        if (!isfinite(y[k]))
            continue;
        lo = fmin(lo, y[k]);
        hi = fmax(hi, y[k]);
        top = fmax(top, fabs(y[k]));
        finite++;
    }
    *range = finite ? hi - lo : 0;
    return finite < 2 || *range <= TREND_CONST_REL * top;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of the finite values of v[0..n-1] (reorders v); NAN if none. */
static double median_finite(double *v, size_t n)
{
    size_t m = 0;
    for (size_t k = 0; k < n; k++)
        if (isfinite(v[k]))
            v[m++] = v[k];
    if (m == 0)
        return NAN;
    qsort(v, m, sizeof *v, cmp_double);
    return m % 2 ? v[m / 2] : 0.5 * (v[m / 2 - 1] + v[m / 2]);
}

double trend_noise(const double *y, const double *se, size_t n)
{
    double rough = 0, sampling = 0;
    double *tmp = malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp)
        return NAN;
    /* second differences over the finite values, in order */
    size_t m = 0, nd = 0;
    double prev2 = NAN, prev1 = NAN;
    for (size_t k = 0; k < n; k++) {
        if (!isfinite(y[k]))
            continue;
        if (m >= 2)
            tmp[nd++] = fabs(y[k] - 2 * prev1 + prev2);
        prev2 = prev1;
        prev1 = y[k];
        m++;
    }
    if (nd) {
        double med = median_finite(tmp, nd);
        rough = isfinite(med) ? 1.4826 * med / sqrt(6.0) : 0;
    }
    if (se) {
        memcpy(tmp, se, n * sizeof *tmp);
        double med = median_finite(tmp, n);
        sampling = isfinite(med) ? med : 0;
    }
    free(tmp);
    return fmax(rough, sampling);
}

size_t trend_flat_from(const double *y, size_t n, double width)
{
    if (n == 0)
        return 0;
    double lo = INFINITY, hi = -INFINITY;
    size_t from = n - 1;
    for (size_t k = n; k-- > 0;) {
        if (isfinite(y[k])) {
            double l = fmin(lo, y[k]), h = fmax(hi, y[k]);
            if (h - l > width)
                break;
            lo = l;
            hi = h;
        }
        from = k;
    }
    return from;
}

double trend_range(const double *y, size_t a, size_t b)
{
    double lo = INFINITY, hi = -INFINITY;
    for (size_t k = a; k <= b; k++)
        if (isfinite(y[k])) {
            lo = fmin(lo, y[k]);
            hi = fmax(hi, y[k]);
        }
    return hi >= lo ? hi - lo : 0;
}

static double median3(double a, double b, double c)
{
    return fmax(fmin(a, b), fmin(fmax(a, b), c));
}

/* Running median of 3 over the finite values of y[lo..hi] into s (NAN kept),
 * ends by Tukey's rule (median of the end, its neighbour and the straight-line
 * guess from the next two): one odd checkpoint cannot make a move, a level
 * shift stays where it is. */
static void smooth3(const double *y, size_t lo, size_t hi, double *s, size_t *idx)
{
    size_t m = 0;
    for (size_t k = lo; k <= hi; k++) {
        s[k] = y[k];
        if (isfinite(y[k]))
            idx[m++] = k;
    }
    if (m < 3)
        return;
    for (size_t i = 1; i + 1 < m; i++)
        s[idx[i]] = median3(y[idx[i - 1]], y[idx[i]], y[idx[i + 1]]);
    s[idx[0]] = median3(y[idx[0]], s[idx[1]], 3 * s[idx[1]] - 2 * s[idx[2]]);
    s[idx[m - 1]] = median3(y[idx[m - 1]], s[idx[m - 2]], 3 * s[idx[m - 2]] - 2 * s[idx[m - 3]]);
}

void trend_largest_move(const double *y_raw, size_t lo, size_t hi, double noise, int sign,
                        trend_move *out)
{
    memset(out, 0, sizeof *out);
    if (hi < lo)
        return;
    double *y = malloc((hi + 1) * sizeof *y);
    size_t *idx = malloc((hi - lo + 1) * sizeof *idx);
    if (!y || !idx) {
        free(y);
        free(idx);
        return;
    }
    smooth3(y_raw, lo, hi, y, idx);
    free(idx);
    /* one pass: the best start so far (lowest sign * y), the best move */
    size_t best_start = 0, a = 0, b = 0;
    int have_start = 0, have = 0;
    double best = 0;
    for (size_t k = lo; k <= hi; k++) {
        if (!isfinite(y[k]))
            continue;
        if (have_start && sign * (y[k] - y[best_start]) > best) {
            best = sign * (y[k] - y[best_start]);
            a = best_start;
            b = k;
            have = 1;
        }
        if (!have_start || sign * (y[k] - y[best_start]) < 0) {
            best_start = k;
            have_start = 1;
        }
    }
    out->size = best;
    if (!have || !(best > TREND_Z * noise * sqrt(2.0))) {
        free(y);
        return;
    }
    /* trim: start where the level last is the starting one, end where it
     * first is the final one (within TREND_TRIM noise) */
    double start = y[a], end = y[b], tol = TREND_TRIM * noise;
    size_t a2 = a, b2 = b;
    for (size_t k = a; k < b; k++)
        if (isfinite(y[k]) && sign * (y[k] - start) <= tol)
            a2 = k;
    for (size_t k = b + 1; k-- > a2 + 1;)
        if (isfinite(y[k]) && sign * (end - y[k]) <= tol)
            b2 = k;
    out->found = 1;
    out->a = a2;
    out->b = b2;
    out->from = y_raw[a2];
    out->to = y_raw[b2];
    free(y);
}
