/* story.h: per domain, what the training data alone say (method.md, "What the
 * paper shows"): from which checkpoint the loss is flat (within 2 delta),
 * where within that stretch the pathway distance falls and consistency S
 * rises beyond their noise (trend.h), how many memorization groups do the
 * same, whether the cross-domain control moved as much, and which metrics
 * are undefined and why. findings.c words it, html.c draws it. */
#ifndef REPORT_STORY_H
#define REPORT_STORY_H

#include "report.h"
#include "trend.h"

/* Why a metric is left out of a domain's charts, correlations and findings. */
typedef struct metric_state {
    int defined;
    char why[160];            /* when not defined: "constant across checkpoints (range 2e-07)" */
} metric_state;

typedef struct domain_story {
    const char *domain;
    const series *ser;        /* the domain series (scope domain), or NULL */
    size_t n;                 /* its checkpoints */
    double *step, *dist, *s, *loss, *dist_se;   /* [n] each, one allocation */
    double delta;             /* the loss tolerance (calibration's, else 0.05) */
    int loss_known;
    size_t flat_from;         /* index from which the loss stays within 2 delta */
    double loss_moved_flat;   /* loss range over [flat_from, n-1] (nats) */
    metric_state dist_state, s_state;
    double dist_noise, s_noise;
    trend_move dist_fall, s_rise;      /* within [flat_from, n-1] */
    double loss_moved_fall;   /* loss range over the fall (nats) */
    /* memorization groups of the domain */
    size_t groups, groups_memorized, groups_checked, groups_falling;
    int64_t samples_memorized, samples;
    /* the cross-domain control over the fall's steps */
    int cross_checked;        /* a cross series with this domain exists */
    int cross_fails;          /* one fell beyond its noise by half the within fall or more */
    const char *cross_name;   /* the cross series that moved most */
    double cross_change, within_change;   /* relative changes over the fall (-0.3 = -30 %) */
} domain_story;

typedef struct story {
    domain_story *d;
    size_t n;
    int64_t n_layers;         /* L, 0 if unknown */
} story;

int story_build(story *st, const study *s, gm_error *err);
void story_free(story *st);
const domain_story *story_domain(const story *st, const char *domain);

#endif
