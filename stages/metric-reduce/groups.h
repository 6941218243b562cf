/* groups.h: memorization groups for metric-reduce: eps per domain (given or
 * calibrated), t* per sample, groups "{domain}@{step}" / "{domain}@never", and
 * the calibration and membership records that carry them. The per-checkpoint
 * metrics are rows.h. Spec: method.md "Across checkpoints: memorization groups". */
#ifndef GM_GROUPS_H
#define GM_GROUPS_H

#include "memorize.h"
#include "panel.h"

/* eps_all: NaN to calibrate every domain (searching as `search` says), else
 * that eps for every domain; eps_domain: n entries "NAME=V" overriding single
 * domains. */
int groups_assign(panel *st, double eps_all, const char *const *eps_domain, int n,
                  double delta, memorize_search search, gm_error *err);

/* One calibration record per domain (by name), then one membership record per
 * sample kept (in input order). */
int groups_write(const panel *st, record_writer *w, gm_error *err);

#endif
