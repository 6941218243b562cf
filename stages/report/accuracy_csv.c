/* accuracy_csv.c: reads the test-accuracy and validation-loss CSVs
 * (header row naming step, domain or group, and the value column, or for the
 * accuracy the columns --accuracy-column names; extra columns ignored; #
 * comments and blank lines skipped; RFC 4180 quotes) and checks them against
 * the study. Every error names the file and line; a missing column also the
 * columns the header has. It does not interpolate: a checkpoint without a
 * value is left out. */
#include "report.h"
#include "accuracy_csv.h"

#include "csv_reader.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What each column may be called: NULL-terminated name lists. key_domain
 * and key_group are tried in that order (either may be NULL: not allowed). */
typedef struct column_names {
    const char *const *step, *const *key_domain, *const *key_group, *const *value;
    const char *hint;          /* appended to a missing-column error, or "" */
} column_names;

/* "a, b, c" from the header row, ending in "..." when they do not fit cap. */
static void header_list(const csv_reader *r, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < r->n; i++) {
        const char *sep = i ? ", " : "";
        if (len + strlen(sep) + strlen(r->field[i]) + 6 > cap) {
            snprintf(buf + len, cap - len, "%s...", sep);
            return;
        }
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", sep, r->field[i]);
    }
}

static int table_read(value_table *t, const char *path, const column_names *cn, gm_error *err)
{
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
    char key_what[160];
    snprintf(key_what, sizeof key_what, "%s%s%s", cn->key_domain ? cn->key_domain[0] : "",
             cn->key_domain && cn->key_group ? " (or " : "",
             cn->key_group ? cn->key_group[0] : "");
    if (cn->key_domain && cn->key_group)
        strncat(key_what, ")", sizeof key_what - strlen(key_what) - 1);
    while (rc == 0 && (got = csv_next(&r, err)) == 1) {
        if (r.header) {
            c_step = csv_column(&r, cn->step);
            c_val = csv_column(&r, cn->value);
            c_key = cn->key_domain ? csv_column(&r, cn->key_domain) : -1;
            if (c_key < 0 && cn->key_group && (c_key = csv_column(&r, cn->key_group)) >= 0)
                t->by_group = 1;
            c_partner = t->by_group ? csv_column(&r, partner_names) : -1;
            const char *missing = c_step < 0 ? cn->step[0] : c_key < 0 ? key_what
                                  : c_val < 0 ? cn->value[0] : NULL;
            if (missing) {
                char have[400];
                header_list(&r, have, sizeof have);
                rc = gm_fail(err, GM_EDATA, "%s:%zu: missing column '%s' (the header has: %s%s)",
                             path, r.line, missing, have, cn->hint);
            }
            continue;
        }
        long long step;
        double v;
        if (csv_uint(&r, c_step, cn->step[0], &step, err)
            || csv_double(&r, c_val, cn->value[0], &v, err)) {
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
        rc = gm_fail(err, GM_EDATA, "%s:1: empty file: expected a header naming %s, %s and %s",
                     path, cn->step[0], key_what, cn->value[0]);
    csv_close(&r);
    if (rc != 0)
        value_table_free(t);
    return rc;
}

int value_table_read(value_table *t, const char *path, const char *const *value_cols,
                     gm_error *err)
{
    static const char *const step_names[] = {"step", NULL};
    static const char *const domain_names[] = {"domain", NULL};
    static const char *const group_names[] = {"group", NULL};
    column_names cn = {step_names, domain_names, group_names, value_cols, ""};
    return table_read(t, path, &cn, err);
}

/* --accuracy-column parsed: names point into buf. */
typedef struct accuracy_columns {
    char buf[512];
    const char *step[2], *domain[2], *group[2], *value[2];
    int has_domain, has_group;
} accuracy_columns;

static int columns_parse(accuracy_columns *ac, const char *text, gm_error *err)
{
    memset(ac, 0, sizeof *ac);
    ac->step[0] = "step";
    ac->domain[0] = "domain";
    ac->group[0] = "group";
    ac->value[0] = "accuracy";
    if (!text)
        return 0;
    if (strlen(text) >= sizeof ac->buf)
        return gm_fail(err, GM_EUSAGE, "--accuracy-column: too long");
    strcpy(ac->buf, text);
    if (!strchr(ac->buf, '=')) {
        if (!ac->buf[0] || strchr(ac->buf, ','))
            return gm_fail(err, GM_EUSAGE, "--accuracy-column '%s': expected NAME (the accuracy "
                           "column) or ROLE=NAME pairs, e.g. step=global_step,domain=task,accuracy=acc",
                           text);
        ac->value[0] = ac->buf;
        return 0;
    }
    int seen[4] = {0};
    for (char *p = ac->buf, *next; p; p = next) {
        next = strchr(p, ',');
        if (next)
            *next++ = 0;
        char *eq = strchr(p, '=');
        if (!eq || eq == p || !eq[1])
            return gm_fail(err, GM_EUSAGE, "--accuracy-column '%s': '%s' is not ROLE=NAME", text, p);
        *eq = 0;
        static const char *const roles[4] = {"step", "domain", "group", "accuracy"};
        const char **slot[4] = {ac->step, ac->domain, ac->group, ac->value};
        int k;
        for (k = 0; k < 4 && strcmp(p, roles[k]) != 0; k++)
            ;
        if (k == 4)
            return gm_fail(err, GM_EUSAGE, "--accuracy-column '%s': unknown role '%s' (step, domain, "
                           "group or accuracy)", text, p);
        if (seen[k]++)
            return gm_fail(err, GM_EUSAGE, "--accuracy-column '%s': %s given twice", text, p);
        slot[k][0] = eq + 1;
    }
    if (seen[1] && seen[2])
        return gm_fail(err, GM_EUSAGE, "--accuracy-column '%s': domain and group exclude each other "
                       "(the rows are by domain or by group)", text);
    ac->has_domain = seen[1];
    ac->has_group = seen[2];
    return 0;
}

int accuracy_columns_check(const char *columns, gm_error *err)
{
    accuracy_columns ac;
    return columns_parse(&ac, columns, err);
}

int accuracy_table_read(value_table *t, const char *path, const char *columns, gm_error *err)
{
    accuracy_columns ac;
    if (columns_parse(&ac, columns, err))
        return -1;
    column_names cn = {ac.step, ac.has_group ? NULL : ac.domain, ac.has_domain ? NULL : ac.group,
                       ac.value, "; name the columns with --accuracy-column"};
    return table_read(t, path, &cn, err);
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
