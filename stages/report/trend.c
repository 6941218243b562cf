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

/* Upper-tail standard normal quantile: z with P(Z > z) = p, by bisection. */
static double normal_upper(double p)
{
    double lo = 0, hi = 10;
    for (int i = 0; i < 100; i++) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * erfc(mid / sqrt(2.0)) > p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

double trend_shift_threshold(size_t n_splits)
{
    return n_splits ? normal_upper(TREND_SHIFT_ALPHA / (double)n_splits) : INFINITY;
}

double trend_level_shift(const double *y, size_t lo, size_t hi, double noise, int sign,
                         size_t *n_splits)
{
    *n_splits = 0;
    if (hi < lo || !(noise > 0))
        return 0;
    size_t m = 0;
    double *v = malloc(2 * (hi - lo + 1) * sizeof *v);
    if (!v)
        return 0;
    for (size_t k = lo; k <= hi; k++)
        if (isfinite(y[k]))
            v[m++] = y[k];
    double best = 0, *tmp = v + m;
    for (size_t c = TREND_SHIFT_BLOCK; c + TREND_SHIFT_BLOCK <= m; c++) {
        memcpy(tmp, v, c * sizeof *tmp);
        double before = median_finite(tmp, c);
        memcpy(tmp, v + c, (m - c) * sizeof *tmp);
        double after = median_finite(tmp, m - c);
        double se = 1.2533 * noise * sqrt(1.0 / (double)c + 1.0 / (double)(m - c));
        best = fmax(best, sign * (after - before) / se);
        (*n_splits)++;
    }
    free(v);
    return best;
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
    /* one pass: the best start so far (lowest sign * y; the last of equals,
     * so a plateau's end), the best move */
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
        if (!have_start || sign * (y[k] - y[best_start]) <= 0) {
            best_start = k;
            have_start = 1;
        }
    }
    out->size = best;
    size_t splits;
    out->shift = trend_level_shift(y_raw, lo, hi, noise, sign, &splits);
    out->shift_threshold = trend_shift_threshold(splits);
    int pair = best > TREND_Z * noise * sqrt(2.0);
    int shift = splits && out->shift > out->shift_threshold;
    if (!have || !(pair || shift)) {
        free(y);
        return;
    }
    /* the move runs from its start (the extreme before it) to its other
     * extreme: no tolerance to tune, and wherever the change happened in
     * between, the range holds it */
    out->found = 1;
    out->a = a;
    out->b = b;
    out->from = y_raw[a];
    out->to = y_raw[b];
    free(y);
}
