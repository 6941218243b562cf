/* trend.h: what one quantity does across checkpoints, judged against its own
 * noise rather than against fixed cut-offs: is it constant (a metric that
 * cannot move, such as S with two MoE layers), how noisy is it, where does
 * the loss stay flat, and where is its largest fall (or rise) beyond noise.
 * Pure functions on arrays in step order; NAN entries are skipped. The words
 * that use them are story.c and findings.c. */
#ifndef REPORT_TREND_H
#define REPORT_TREND_H

#include <stddef.h>

/* Constant within numerical noise: every finite value within this fraction
 * of the largest |value| of each other (float32 routing gives about 1e-7). */
#define TREND_CONST_REL 1e-5
/* A move is beyond noise when it exceeds TREND_Z noise units of a difference
 * of two checkpoints (noise * sqrt(2)): about 5.7 noise, above the range of
 * 20 checkpoints of pure noise (about 3.7 on average). */
#define TREND_Z 4.0
/* A level shift is the other way a move is beyond noise: the median of the
 * checkpoints after some split differs from the median of those before it
 * (each side at least TREND_SHIFT_BLOCK checkpoints) by more than the
 * one-sided normal quantile of TREND_SHIFT_ALPHA / (number of splits tried)
 * standard errors (Bonferroni), the standard error of a median of k values
 * taken as 1.2533 noise / sqrt(k). Pooling whole stretches finds a sustained
 * fall that no two single checkpoints show beyond TREND_Z. */
#define TREND_SHIFT_BLOCK 3
#define TREND_SHIFT_ALPHA 0.0025

/* 1 when y is constant within numerical noise (or has fewer than 2 finite
 * values); *range gets max - min of the finite values (0 if none). */
int trend_is_constant(const double *y, size_t n, double *range);

/* The noise of one checkpoint's value: the larger of the median sampling
 * standard error (se may be NULL; NAN entries skipped) and the roughness of
 * the series, 1.4826 * median |y[k+1] - 2 y[k] + y[k-1]| / sqrt(6): white
 * noise of sd s gives second differences of sd s * sqrt(6), a straight trend
 * none, and the median ignores a few jumps. 0 when neither is known (n < 3). */
double trend_noise(const double *y, const double *se, size_t n);

/* The first index from which y stays within width (max - min of the finite
 * values of y[k..n-1] <= width); n - 1 when only the last does; 0 for n = 0. */
size_t trend_flat_from(const double *y, size_t n, double width);

/* max - min of the finite values of y[a..b] (0 if none). */
double trend_range(const double *y, size_t a, size_t b);

typedef struct trend_move {
    int found;          /* 1: beyond noise, by the pair or the level-shift test */
    size_t a, b;        /* where it starts and ends (indices, a < b) */
    double from, to;    /* y[a], y[b] */
    double size;        /* |the largest move| on the smoothed series, untrimmed */
    double shift;       /* the level-shift statistic (standard errors) */
    double shift_threshold; /* what it had to exceed (INFINITY: too few points) */
} trend_move;

/* The largest fall (sign -1) or rise (sign +1) of y within [lo, hi]: on y
 * smoothed by a running median of 3 (so one odd checkpoint cannot make a move
 * while a level shift stays), the indices a < b maximizing sign * (y[b] -
 * y[a]) (a: the last of equal extremes): the move runs from the series'
 * extreme before it to its extreme after; from and to are y's own values
 * there. found
 * is 1 when the move exceeds TREND_Z * noise * sqrt(2) or the level-shift
 * statistic its threshold, 0 when there is no such pair or neither holds. */
void trend_largest_move(const double *y, size_t lo, size_t hi, double noise, int sign,
                        trend_move *out);

/* The largest standardized level shift in direction sign over the finite
 * values of y[lo..hi] (see TREND_SHIFT_BLOCK); 0 when noise is 0 or there
 * are too few values. *n_splits gets the number of splits tried. */
double trend_level_shift(const double *y, size_t lo, size_t hi, double noise, int sign,
                         size_t *n_splits);

/* What trend_level_shift must exceed after trying n_splits splits. */
double trend_shift_threshold(size_t n_splits);

#endif
