/* rows.h: the `metric` records of one checkpoint: per group, per domain, all
 * samples, and the cross-domain control (docs/records.md); the last two, the
 * wide rows, may be sampled apart from the others or left out. Pair selection and
 * distances are common/pair_stats.h; groups come from groups.h or a
 * membership file. Spec: method.md "Per checkpoint, per group". */
#ifndef GM_ROWS_H
#define GM_ROWS_H

#include "panel.h"

typedef struct rows_opts {
    int experts;          /* 1: expert-id symbols, 0: characters */
    uint64_t pairs;       /* 0: all pairs, else at most this many sampled pairs */
    uint64_t wide_pairs;  /* the wide rows (all, cross): 0 as pairs, else at most this many
                           * sampled pairs each */
    int no_wide;          /* 1: no all and cross rows */
    uint64_t seed;
    int threads;
    int64_t ma_window;    /* trailing moving-average window over checkpoints */
} rows_opts;

/* Write the metric records of checkpoint k (index into st->ckpts). */
int rows_write_checkpoint(const panel *st, size_t k, const rows_opts *o, record_writer *w,
                          gm_error *err);

#endif
