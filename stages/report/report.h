/* report.h: what the report stage holds in memory and the functions that
 * fill and print it. study.c reads metric/membership/calibration records
 * (docs/records.md) into a study; accuracy_csv.c reads the accuracy and
 * validation-loss CSVs; correlate.c and findings.c derive Table 1 and the
 * plain-words findings; table.c, csv.c, json.c and html.c print them.
 * Undefined numbers (msgpack nil, no correlation) are NAN inside, never NaN out. */
#ifndef REPORT_REPORT_H
#define REPORT_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "record.h"
#include "textbuf.h"

/* ---- the metric records --------------------------------------------- */

enum metric_scope { SCOPE_GROUP, SCOPE_DOMAIN, SCOPE_ALL, SCOPE_CROSS, SCOPE_COUNT };
extern const char *const scope_names[SCOPE_COUNT];

typedef struct metric_row {
    int64_t step;
    char *checkpoint;          /* NULL if absent */
    int scope;                 /* enum metric_scope */
    char *group;               /* "math@125000", "math", "all", "math|code" */
    char *domain;              /* NULL for all and cross */
    int has_mem_step;
    int64_t mem_step;
    int64_t n, pairs;          /* pairs -1 if absent */
    int sampled;               /* -1 if absent */
    double distance_mean, distance_se;
    double c_mean, c_std, s_mean, s_std;
    double loss_mean, loss_ma, entropy_mean;
    double *layer_distance;    /* [L], NULL if absent */
    size_t n_layers;           /* L */
    char *where;               /* "file: record N at byte B", for messages */
} metric_row;

/* One line on the charts: the rows of one (scope, group), sorted by step. */
typedef struct series {
    int scope;
    const char *name, *domain;
    int has_mem_step;
    int64_t mem_step;
    int64_t n;                 /* samples (from the first row) */
    metric_row **rows;
    size_t n_rows;
    int color;                 /* palette index within its domain */
} series;

typedef struct calibration {
    char *domain;
    double eps, delta, memorized_before_last;
    int64_t n;
    int calibrated;            /* 1 searched, 0 given, -1 absent */
    int in_band;               /* 1, 0, or -1 absent */
    char *search;              /* "values", "grid", "given"; NULL if absent */
    double threshold;          /* tau of the pathways, NAN if absent */
    char *weights;             /* "softmax" or "topk"; NULL if absent */
    int64_t n_layers;          /* L, 0 if absent */
} calibration;

typedef struct group_count {
    char *group, *domain;
    int has_mem_step;
    int64_t mem_step, n;
} group_count;

typedef struct study {
    metric_row *rows;
    size_t n_rows, cap_rows;
    metric_row **order;        /* rows sorted; the series point into it */
    series *series;            /* ordered: per domain its groups by mem_step
                                  (never last) then the domain; all; cross */
    size_t n_series;
    int64_t *steps;            /* sorted, unique */
    size_t n_steps;
    char **domains;            /* in order of first appearance */
    size_t n_domains;
    calibration *calibs;
    size_t n_calibs;
    group_count *members;      /* from membership records */
    size_t n_members;
    size_t n_other;            /* records of other types, ignored */
    char *distance_mode;       /* "chars" or "experts" (the metric records'), NULL if absent */
    int64_t n_layers;          /* MoE layers L: calibration's, else the longest
                                  layer_distance; 0 if unknown */
    char **inputs;             /* input names */
    char **provenance;         /* one line per input header */
    size_t n_inputs;
} study;

/* Add one record (any type) read from r. */
int study_add_record(study *s, record_reader *r, const msgpack_object *rec, gm_error *err);
/* Note an input (its name and header) for the provenance lines. */
int study_add_input(study *s, record_reader *r, gm_error *err);
/* Sort, check for duplicates, build the series. Error if there is no metric. */
int study_finish(study *s, gm_error *err);
void study_free(study *s);
const series *study_find_series(const study *s, int scope, const char *name);
/* Index of step in s->steps, or -1. */
long study_step_index(const study *s, int64_t step);
const calibration *study_calibration(const study *s, const char *domain);
/* Samples in a group series: from its membership count when known, else its n. */
int64_t study_group_size(const study *s, const series *se);
/* How many group series the study holds. */
size_t study_group_count(const study *s);

/* ---- the CSV inputs ----------------------------------------------------- */

typedef struct value_entry {
    int64_t step;
    char *key;                 /* domain or group */
    char *partner;             /* the test group paired with key (test-groups' test_group
                                * column), or NULL */
    double value;
    size_t line;
} value_entry;

typedef struct value_table {
    char *path;
    int by_group;              /* key column is "group" (else "domain") */
    value_entry *e;
    size_t n;
} value_table;

/* Read a CSV with a header naming step, domain or group, and value_col
 * (or one of its aliases). Errors name the file and line. */
int value_table_read(value_table *t, const char *path, const char *const *value_cols,
                     gm_error *err);
/* Every step must be a checkpoint of the study, every key one of its domains
 * (or groups); the error names the line. */
int value_table_check(const value_table *t, const study *s, gm_error *err);
/* The value at (step, key), or NAN. */
double value_table_get(const value_table *t, int64_t step, const char *key);
/* The test group paired with key (the first row's), or NULL: none given. */
const char *value_table_partner(const value_table *t, const char *key);
void value_table_free(value_table *t);

/* ---- Table 1: correlation with accuracy ------------------------------- */

enum corr_metric { CM_DISTANCE, CM_S, CM_C, CM_LOSS, CM_LOSS_MA, CM_VAL_LOSS, CM_COUNT };
extern const char *const corr_metric_keys[CM_COUNT];   /* "distance", "consistency_s", ... */
extern const char *const corr_metric_titles[CM_COUNT]; /* "pathway distance", ... */

/* Whether a metric tracks accuracy, judged on its uncertainty: a permutation
 * p-value below CORR_ALPHA and a bootstrap interval that excludes 0. */
#define CORR_ALPHA 0.05
#define CORR_PERMUTATIONS 9999
#define CORR_BOOTSTRAP 2000
enum corr_verdict {
    CV_UNDEFINED,              /* constant metric or accuracy, or < 2 checkpoints */
    CV_TOO_FEW,                /* fewer than 4 checkpoints: no uncertainty */
    CV_NOT_SHOWN,              /* defined, but p >= alpha or the interval holds 0 */
    CV_TRACKS                  /* p < alpha and the interval excludes 0 */
};

typedef struct corr_cell {
    int p_ok, s_ok;            /* defined? */
    double pearson, spearman;
    size_t n;                  /* checkpoints with both values */
    int perm_ok, ci_ok;
    double p_perm;             /* two-sided permutation p-value of Pearson */
    double ci_lo, ci_hi;       /* 95 % bootstrap interval of Pearson */
    int verdict;               /* enum corr_verdict */
    char why[160];             /* CV_UNDEFINED: why ("constant across checkpoints ...") */
} corr_cell;

typedef struct corr_row {
    const series *ser;         /* domain series, or group series (by_group) */
    const char *key;
    size_t n;                  /* checkpoints with accuracy in the window */
    int64_t first_step, last_step;
    int64_t window_from;       /* the window's first step */
    char window_why[256];      /* why the window starts there */
    corr_cell cell[CM_COUNT];
} corr_row;

/* Which checkpoints Table 1 uses: the paper's window (from the last one
 * before accuracy's sustained rise), every one, or from a given step. */
enum corr_window { WINDOW_AUTO, WINDOW_ALL, WINDOW_FROM };

typedef struct corr_table {
    int present;               /* --accuracy given */
    int by_group, has_val_loss;
    int window;                /* enum corr_window */
    int64_t from_step;         /* WINDOW_FROM */
    corr_row *rows;
    size_t n_rows;
} corr_table;

int corr_table_build(corr_table *c, const study *s, const value_table *acc,
                     const value_table *val, int window, int64_t from_step, gm_error *err);
void corr_table_free(corr_table *c);

/* ---- findings: plain words -------------------------------------------- */

struct story;

/* Three lists of one-paragraph lines: warnings (said first and loudly: a
 * missed eps band, a failed control), findings (one per domain from the
 * training data alone, one per Table 1 row with accuracy, the controls) and
 * the analysis choices the numbers rest on (tau, weights, distance mode,
 * eps and delta per domain, the window). */
typedef struct findings {
    char **lines;
    size_t n;
    char **warnings;
    size_t n_warnings;
    char **choices;
    size_t n_choices;
} findings;

int findings_build(findings *f, const study *s, const struct story *st, const corr_table *c,
                   gm_error *err);
void findings_free(findings *f);

/* ---- outputs ------------------------------------------------------------ */

typedef struct report {
    const study *s;
    const corr_table *corr;
    const struct story *st;
    const findings *find;
    const value_table *acc;    /* NULL without --accuracy */
} report;

/* Number formatting shared by the outputs: "-" (or "") for NAN. */
void fmt_num(char *buf, size_t cap, double v, int decimals);
/* 245000 -> "245k" (from 100k on), 3000 -> "3000", 5 -> "5". */
void fmt_step(char *buf, size_t cap, int64_t step);

void table_write(textbuf *b, const report *rp);
int csv_write_dir(const report *rp, const char *dir, gm_error *err);
void json_write(textbuf *b, const report *rp);
void html_write(textbuf *b, const report *rp);

#endif
