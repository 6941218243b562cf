/* memorize.h: memorization step t* per sample and the per-domain calibration of
 * eps (method.md "Across checkpoints: memorization groups"). Works on a loss
 * matrix already in memory, checkpoints in ascending step order; it knows
 * nothing of records, ids or group names. Nothing here prints or exits. */
#ifndef GM_MEMORIZE_H
#define GM_MEMORIZE_H

#include <stddef.h>
#include <stdint.h>

/* The eps grid searched by calibration: eps_k = k / 10.0, k = 1..MEMORIZE_EPS_STEPS. */
#define MEMORIZE_EPS_STEPS 200

/* The band for the fraction memorized before the last checkpoint: [20 %, 25 %]. */
#define MEMORIZE_BAND_LO 20
#define MEMORIZE_BAND_HI 25

/* t* for one sample: loss [T] over checkpoints in step order (NaN: undefined,
 * never memorized there). The smallest t such that for every t' >= t:
 * loss[t'] <= eps and |loss[t'] - loss[T-1]| <= delta. Returns t, or -1 when
 * no such t exists (not memorized). */
int64_t memorize_index(const double *loss, size_t T, double eps, double delta);

/* How many of the n samples (rows of loss [n, T], each of T checkpoints) are
 * memorized before the last checkpoint: t* exists and t* < T - 1. */
size_t memorize_count_before_last(const double *loss, size_t n, size_t T, double eps, double delta);

/* How calibration searches eps: over the domain's own loss values (every eps at
 * which the memorized fraction can change, so the band is reached whenever the
 * losses allow it), or over the paper's grid 0.1, 0.2, ... */
typedef enum memorize_search { MEMORIZE_SEARCH_VALUES, MEMORIZE_SEARCH_GRID } memorize_search;

typedef struct memorize_calibration {
    double eps;               /* chosen eps */
    size_t n;                 /* samples in the domain */
    size_t before_last;       /* of which memorized before the last checkpoint */
    int in_band;              /* 1: before_last / n is within [20 %, 25 %] */
} memorize_calibration;

/* The smallest eps at which this sample (loss [T]) counts as memorized before
 * the last checkpoint: max(loss[T-2], loss[T-1]) when those two are within
 * delta of each other (t* <= T-2 needs exactly that), else INFINITY. The
 * fraction memorized before the last checkpoint is the fraction of samples
 * whose value is <= eps, so it only changes at these values. */
double memorize_eps_needed(const double *loss, size_t T, double delta);

/* Choose eps for a domain (loss [n, T], its samples only): the smallest eps
 * whose fraction memorized before the last checkpoint lies in the band; when
 * none does, the eps whose fraction is closest to the band (the smallest such
 * eps on a tie), with in_band 0. MEMORIZE_SEARCH_VALUES tries every value of
 * memorize_eps_needed; MEMORIZE_SEARCH_GRID eps = 0.1, 0.2, ...,
 * MEMORIZE_EPS_STEPS / 10 (the paper). Returns -1 only when out of memory. */
int memorize_calibrate(const double *loss, size_t n, size_t T, double delta,
                       memorize_search search, memorize_calibration *out);

/* Fill out for a given eps (no search). */
void memorize_evaluate(const double *loss, size_t n, size_t T, double eps, double delta,
                       memorize_calibration *out);

#endif
