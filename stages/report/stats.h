/* stats.h: Pearson and Spearman correlation across checkpoints (method.md,
 * "Validation against test accuracy"). Spearman ranks with average ranks for
 * ties. A constant series (or fewer than 2 points) has no correlation: the
 * functions say "undefined" instead of returning NaN. No p-values. */
#ifndef REPORT_STATS_H
#define REPORT_STATS_H

#include <stddef.h>

/* r = sum((x-mx)(y-my)) / sqrt(sum((x-mx)^2) sum((y-my)^2)), clipped to [-1, 1].
 * Returns 1 and sets *r when defined; 0 when n < 2 or x or y is constant. */
int stats_pearson(const double *x, const double *y, size_t n, double *r);

/* Pearson of the average ranks of x and y. Same return contract, and -1
 * if the rank scratch cannot be allocated. */
int stats_spearman(const double *x, const double *y, size_t n, double *r);

/* rank[i] = 1-based rank of x[i], ties share the mean of their ranks.
 * Returns 0, or -1 if scratch allocation fails. */
int stats_rank_average(const double *x, size_t n, double *rank);

#endif
