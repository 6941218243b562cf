/* stats.h: Pearson and Spearman correlation across checkpoints (method.md,
 * "Validation against test accuracy"). Spearman ranks with average ranks for
 * ties. A constant series (or fewer than 2 points) has no correlation: the
 * functions say "undefined" instead of returning NaN. With 8 to 20
 * checkpoints a coefficient alone says little, so Pearson's r also gets a
 * permutation p-value and a bootstrap interval over checkpoints. */
#ifndef REPORT_STATS_H
#define REPORT_STATS_H

#include <stddef.h>
#include <stdint.h>

/* r = sum((x-mx)(y-my)) / sqrt(sum((x-mx)^2) sum((y-my)^2)), clipped to [-1, 1].
 * Returns 1 and sets *r when defined; 0 when n < 2 or x or y is constant. */
int stats_pearson(const double *x, const double *y, size_t n, double *r);

/* Pearson of the average ranks of x and y. Same return contract, and -1
 * if the rank scratch cannot be allocated. */
int stats_spearman(const double *x, const double *y, size_t n, double *r);

/* rank[i] = 1-based rank of x[i], ties share the mean of their ranks.
 * Returns 0, or -1 if scratch allocation fails. */
int stats_rank_average(const double *x, size_t n, double *rank);

/* Two-sided permutation p-value of Pearson's r: y shuffled n_perm times
 * (splitmix64 from seed); p = (1 + #{|r_perm| >= |r|}) / (1 + n_perm), never 0.
 * Returns 1 when defined (as stats_pearson), 0 otherwise, -1 out of memory. */
int stats_pearson_perm_p(const double *x, const double *y, size_t n, size_t n_perm,
                         uint64_t seed, double *p);

/* Percentile bootstrap interval of Pearson's r: n_boot resamples of the n
 * (x, y) pairs with replacement; resamples with a constant side are drawn
 * again (up to 4 n_boot draws in all). [lo, hi] holds the central `level`
 * (0.95) of the resampled r. Returns 1 when defined, 0 when undefined (fewer
 * than 4 points or too few usable resamples), -1 out of memory. */
int stats_pearson_boot_ci(const double *x, const double *y, size_t n, size_t n_boot,
                          uint64_t seed, double level, double *lo, double *hi);

/* Least-squares line y = a + b x. Returns 0 when x is constant or n < 2. */
int stats_linear_fit(const double *x, const double *y, size_t n, double *a, double *b);

#endif
