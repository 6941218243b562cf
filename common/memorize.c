/* memorize.c: t* per sample and eps calibration per domain (method.md "Across
 * checkpoints: memorization groups"). The band test is done in integers
 * (100 * count against 20 n and 25 n) so it never depends on rounding. It does
 * not name groups or read records; metric-reduce does. */
#include "memorize.h"

#include <math.h>

int64_t memorize_index(const double *loss, size_t T, double eps, double delta)
{
    if (T == 0)
        return -1;
    double last = loss[T - 1];
    int64_t t_star = -1;
    /* walk back from the last checkpoint while the condition holds */
    for (size_t k = T; k-- > 0;) {
        double v = loss[k];
        if (isnan(v) || isnan(last) || !(v <= eps) || !(fabs(v - last) <= delta))
            break;
        t_star = (int64_t)k;
    }
    return t_star;
}

size_t memorize_count_before_last(const double *loss, size_t n, size_t T, double eps, double delta)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t t = memorize_index(loss + i * T, T, eps, delta);
        if (t >= 0 && (size_t)t + 1 < T)
            count++;
    }
    return count;
}

/* How far count / n lies outside the band, in units of 1 / (100 n); 0 inside. */
static uint64_t band_gap(size_t count, size_t n)
{
    uint64_t c100 = (uint64_t)count * 100, lo = (uint64_t)n * MEMORIZE_BAND_LO,
             hi = (uint64_t)n * MEMORIZE_BAND_HI;
    if (c100 < lo)
        return lo - c100;
    if (c100 > hi)
        return c100 - hi;
    return 0;
}

void memorize_evaluate(const double *loss, size_t n, size_t T, double eps, double delta,
                       memorize_calibration *out)
{
    out->eps = eps;
    out->n = n;
    out->before_last = memorize_count_before_last(loss, n, T, eps, delta);
    out->in_band = n > 0 && band_gap(out->before_last, n) == 0;
}

void memorize_calibrate(const double *loss, size_t n, size_t T, double delta,
                        memorize_calibration *out)
{
    memorize_calibration best = {0};
    uint64_t best_gap = UINT64_MAX;
    for (int k = 1; k <= MEMORIZE_EPS_STEPS; k++) {
        memorize_calibration c;
        memorize_evaluate(loss, n, T, k / 10.0, delta, &c);
        if (c.in_band) {
            *out = c;
            return;
        }
        uint64_t gap = n ? band_gap(c.before_last, n) : UINT64_MAX - 1;
        if (gap < best_gap) {
            best_gap = gap;
            best = c;
        }
    }
    *out = best;
}
