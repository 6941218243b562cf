/* accuracy_csv.c: reads the test-accuracy and validation-loss CSVs
 * (header row naming step, domain or group, and the value column; extra
 * columns ignored; # comments and blank lines skipped; RFC 4180 quotes) and
 * checks them against the study. Every error names the file and line.
 * It does not interpolate: a checkpoint without a value is left out. */
#include "report.h"

#include "csv_reader.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int value_table_read(value_table *t, const char *path, const char *const *value_cols,
                     gm_error *err)
{
    static const char *const step_names[] = {"step", NULL};
    static const char *const domain_names[] = {"domain", NULL};
    static const char *const group_names[] = {"group", NULL};
    static const char *const partner_names[] = {"test_group", NULL};
    memset(t, 0, sizeof *t);
    csv_reader r = {0};
    if (csv_open(&r, path, err) != 0)
        return -1;
    if (!(t->path = strdup(path))) {
        csv_close(&r);
        return gm_fail(err, GM_ENOMEM, "out of memory");
    }
    int c_step = -1, c_key = -1, c_val = -1, c_partner = -1;
    size_t cap = 0;
    int rc = 0, got;
    while (rc == 0 && (got = csv_next(&r, err)) == 1) {
        if (r.header) {
            c_step = csv_column(&r, step_names);
            c_val = csv_column(&r, value_cols);
            c_key = csv_column(&r, domain_names);
            if (c_key < 0 && (c_key = csv_column(&r, group_names)) >= 0)
                t->by_group = 1;
            c_partner = t->by_group ? csv_column(&r, partner_names) : -1;
            const char *missing = c_step < 0 ? "step" : c_key < 0 ? "domain (or group)"
                                  : c_val < 0 ? value_cols[0] : NULL;
            if (missing)
                rc = gm_fail(err, GM_EDATA,
                             "%s:%zu: missing column '%s' (the header must name step, "
                             "domain or group, and %s)", path, r.line, missing, value_cols[0]);
            continue;
        }
        long long step;
        double v;
        if (csv_uint(&r, c_step, "step", &step, err)
            || csv_double(&r, c_val, value_cols[0], &v, err)) {
            rc = -1;
            break;
        }
        const char *key = r.field[c_key];
        if (key[0] == 0) {
            rc = gm_fail(err, GM_EDATA, "%s:%zu: empty %s", path, r.line,
                         t->by_group ? "group" : "domain");
            break;
        }
        for (size_t i = 0; i < t->n; i++)
            if (t->e[i].step == step && strcmp(t->e[i].key, key) == 0) {
                rc = gm_fail(err, GM_EDATA, "%s:%zu: second value for step %lld, %s '%s' "
                             "(the first is on line %zu)", path, r.line, step,
                             t->by_group ? "group" : "domain", key, t->e[i].line);
                break;
            }
        if (rc)
            break;
        if (t->n == cap) {
            cap = cap ? 2 * cap : 64;
            value_entry *p = realloc(t->e, cap * sizeof *p);
            if (!p) {
                rc = gm_fail(err, GM_ENOMEM, "out of memory");
                break;
            }
            t->e = p;
        }
        value_entry *e = &t->e[t->n];
        e->partner = NULL;
        const char *partner = c_partner >= 0 && r.field[c_partner][0] ? r.field[c_partner] : NULL;
        if (!(e->key = strdup(key)) || (partner && !(e->partner = strdup(partner)))) {
            free(e->key);
            rc = gm_fail(err, GM_ENOMEM, "out of memory");
            break;
        }
        e->step = step;
        e->value = v;
        e->line = r.line;
        t->n++;
    }
    if (rc == 0 && got < 0)
        rc = -1;
    if (rc == 0 && r.n_header == 0)
        rc = gm_fail(err, GM_EDATA, "%s:1: empty file: expected a header naming step, "
                     "domain or group, and %s", path, value_cols[0]);
    csv_close(&r);
    if (rc != 0)
        value_table_free(t);
    return rc;
}

int value_table_check(const value_table *t, const study *s, gm_error *err)
{
    for (size_t i = 0; i < t->n; i++) {
        const value_entry *e = &t->e[i];
        if (study_step_index(s, e->step) < 0) {
            char known[256] = "";
            size_t len = 0;
            for (size_t k = 0; k < s->n_steps && len + 24 < sizeof known; k++)
                len += (size_t)snprintf(known + len, sizeof known - len, "%s%lld",
                                        k ? ", " : "", (long long)s->steps[k]);
            if (len + 24 >= sizeof known)
                snprintf(known + len, sizeof known - len, ", ...");
            return gm_fail(err, GM_EDATA, "%s:%zu: step %lld is not a checkpoint of the metrics "
                           "(steps: %s)", t->path, e->line, (long long)e->step, known);
        }
        int scope = t->by_group ? SCOPE_GROUP : SCOPE_DOMAIN;
        if (!study_find_series(s, scope, e->key)) {
            char known[256] = "";
            size_t len = 0;
            for (size_t k = 0; k < s->n_series && len + 40 < sizeof known; k++)
                if (s->series[k].scope == scope)
                    len += (size_t)snprintf(known + len, sizeof known - len, "%s%s",
                                            len ? ", " : "", s->series[k].name);
            return gm_fail(err, GM_EDATA, "%s:%zu: %s '%s' is not in the metrics (%ss: %s)",
                           t->path, e->line, scope_names[scope], e->key, scope_names[scope],
                           known);
        }
    }
    return 0;
}

double value_table_get(const value_table *t, int64_t step, const char *key)
{
    if (!t)
        return NAN;
    for (size_t i = 0; i < t->n; i++)
        if (t->e[i].step == step && strcmp(t->e[i].key, key) == 0)
            return t->e[i].value;
    return NAN;
}

const char *value_table_partner(const value_table *t, const char *key)
{
    for (size_t i = 0; t && i < t->n; i++)
        if (strcmp(t->e[i].key, key) == 0)
            return t->e[i].partner;
    return NULL;
}

void value_table_free(value_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->e[i].key);
        free(t->e[i].partner);
    }
    free(t->e);
    free(t->path);
    memset(t, 0, sizeof *t);
}
