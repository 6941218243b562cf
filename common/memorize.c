/* memorize.c: t* per sample and eps calibration per domain (method.md "Across
 * checkpoints: memorization groups"). The band test is done in integers
 * (100 * count against 20 n and 25 n) so it never depends on rounding. It does
 * not name groups or read records; metric-reduce does. */
#include "memorize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

double memorize_eps_needed(const double *loss, size_t T, double delta)
{
    if (T < 2)
        return INFINITY;
    double a = loss[T - 2], b = loss[T - 1];
    if (isnan(a) || isnan(b) || !(fabs(a - b) <= delta))
        return INFINITY;
    return fmax(a, b);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Keep c as the best so far when it is in the band or closer to it. Returns 1
 * when c is in the band (the search can stop: eps only grows). */
static int calibration_consider(memorize_calibration *best, uint64_t *best_gap,
                                const memorize_calibration *c)
{
    uint64_t gap = c->n ? band_gap(c->before_last, c->n) : UINT64_MAX - 1;
    if (gap < *best_gap) {
        *best_gap = gap;
        *best = *c;
    }
    return gap == 0;
}

static void calibrate_grid(const double *loss, size_t n, size_t T, double delta,
                           memorize_calibration *best)
{
    uint64_t best_gap = UINT64_MAX;
    for (int k = 1; k <= MEMORIZE_EPS_STEPS; k++) {
        memorize_calibration c;
        memorize_evaluate(loss, n, T, k / 10.0, delta, &c);
        if (calibration_consider(best, &best_gap, &c))
            return;
    }
}

/* Every distinct finite memorize_eps_needed value, ascending: at the k-th
 * smallest the count is the number of values <= it. */
static int calibrate_values(const double *loss, size_t n, size_t T, double delta,
                            memorize_calibration *best)
{
    double *need = malloc((n ? n : 1) * sizeof *need);
    if (!need)
        return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        double v = memorize_eps_needed(loss + i * T, T, delta);
        if (isfinite(v))
            need[m++] = v;
    }
    qsort(need, m, sizeof *need, cmp_double);
    uint64_t best_gap = UINT64_MAX;
    /* Below every value nothing is memorized before the last checkpoint. */
    memorize_calibration none = {.eps = m ? need[0] : NAN, .n = n, .before_last = 0};
    none.in_band = n > 0 && band_gap(0, n) == 0;
    if (m == 0) {
        /* No sample's loss holds within delta over the last two checkpoints:
         * no eps memorizes any; report the largest last-checkpoint loss. */
        double top = NAN;
        for (size_t i = 0; i < n; i++)
            if (!isnan(loss[i * T + T - 1]) && !(loss[i * T + T - 1] <= top))
                top = loss[i * T + T - 1];
        none.eps = top;
        *best = none;
        free(need);
        return 0;
    }
    for (size_t k = 0; k < m; k++) {
        if (k + 1 < m && need[k + 1] == need[k])
            continue; /* ties: the count at a value includes all of them */
        memorize_calibration c = {.eps = need[k], .n = n, .before_last = k + 1};
        c.in_band = band_gap(c.before_last, n) == 0;
        if (calibration_consider(best, &best_gap, &c))
            break;
    }
    free(need);
    return 0;
}

int memorize_calibrate(const double *loss, size_t n, size_t T, double delta,
                       memorize_search search, memorize_calibration *out)
{
    memset(out, 0, sizeof *out);
    if (search == MEMORIZE_SEARCH_GRID) {
        calibrate_grid(loss, n, T, delta, out);
        return 0;
    }
    return calibrate_values(loss, n, T, delta, out);
}
