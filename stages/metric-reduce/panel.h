/* panel.h: metric-reduce's in-memory table, a panel in the statistician's
 * sense (the same samples observed at every checkpoint; report's `study` is
 * the metric records read back, another thing): samples (joined by id), checkpoints
 * (ordered by step), one cell per (checkpoint, sample) with the pathway
 * record's values, the loss matrix over all checkpoints, and the groups.
 * join.c fills it from pathway (and membership) records, groups.c assigns
 * memorization groups, rows.c reduces it to metric records.
 * Spec: method.md "Across checkpoints" and "Per checkpoint, per group". */
#ifndef GM_PANEL_H
#define GM_PANEL_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

typedef struct panel_sample {
    char *id;
    size_t domain;      /* index into panel.domains (sorted by name once finished) */
    size_t group;       /* index into panel.groups */
    int64_t mem_step;   /* t* as a step; valid when memorized */
    int memorized;
    int dropped;        /* left out (--allow-missing) */
} panel_sample;

typedef struct panel_ckpt {
    char *name;
    int64_t step;
} panel_ckpt;

typedef struct panel_cell {
    char *path;         /* NULL: no record */
    double c, s, loss, entropy;  /* NaN: nil */
    int count;          /* records seen: 0 missing, 2+ duplicate */
} panel_cell;

typedef struct panel_group {
    char *name;         /* "{domain}@{step}" or "{domain}@never" */
    size_t domain;
    int memorized;
    int64_t mem_step;
} panel_group;

typedef struct panel_domain {
    char *name;
    double eps, delta;
    int calibrated, in_band;
    const char *search;  /* "values", "grid" (calibrated) or "given" */
    size_t n, before_last;
} panel_domain;

typedef struct panel {
    panel_sample *samples;
    size_t n_samples, cap_samples;
    void *id_index;               /* private: id -> sample hash table */
    panel_domain *domains;
    size_t n_domains;
    panel_ckpt *ckpts;            /* ascending step once finished */
    size_t n_ckpts;
    panel_cell *cells;            /* [n_ckpts, n_samples] once finished */
    void *pending;                /* private: cells as read, before finishing */
    void *pending_losses;         /* private: losses as read (losses_only) */
    panel_group *groups;
    size_t n_groups;
    /* per-sample losses over all checkpoints of the panel (membership mode:
     * the membership file's), ascending step */
    int64_t *loss_steps;          /* [T] */
    size_t n_loss_steps;
    double *loss;                 /* [n_samples, T], NaN: nil */
    size_t cap_loss;              /* rows allocated (membership mode) */
    /* what every pathway record must agree on */
    int64_t L, E;
    double threshold;
    char weights[16];
    int have_shape;
    int membership_mode;          /* samples came from a membership file */
    int losses_only;              /* --membership-only: keep each record's loss, nothing more
                                   * (no path, no cells): memory flat in the pathways' length */
} panel;

void panel_init(panel *st);
void panel_free(panel *st);

/* Read one pathway record into the panel. In membership mode an id not in
 * the membership file is an error, or (allow_missing) counted in *unknown. */
int panel_add_pathway(panel *st, const msgpack_object *rec, int allow_missing, size_t *unknown,
                      gm_error *err);
/* Read one membership record (membership mode). */
int panel_add_membership(panel *st, const msgpack_object *rec, gm_error *err);

/* After all records: order checkpoints by step, lay the cells out, check
 * duplicates (always an error) and missing cells (an error, or with
 * allow_missing the sample is dropped: *dropped counts them and first_missing
 * names the first). Full mode also builds the loss matrix from the cells;
 * losses_only builds only the loss matrix (st->cells stays NULL). */
int panel_finish(panel *st, int allow_missing, size_t *dropped, char *first_missing, size_t cap,
                 gm_error *err);

/* Index of a domain by name, or (size_t)-1. */
size_t panel_domain_find(const panel *st, const char *name);

#endif
