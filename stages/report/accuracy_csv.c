/* accuracy_csv.c: reads the test-accuracy and validation-loss CSVs
 * (header row naming step, domain or group, and the value column; extra
 * columns ignored; # comments and blank lines skipped; RFC 4180 quotes) and
 * checks them against the study. Every error names the file and line.
 * It does not interpolate: a checkpoint without a value is left out. */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { CSV_MAX_FIELDS = 64 };

/* Split one line (no newline) in place into fields; quoted fields may hold
 * commas and "" for a quote. Returns the field count, or -1 on a bad quote. */
static int csv_split(char *line, char **field, int cap)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (n == cap)
            return n + 1; /* too many: caller reports */
        if (*p == '"') {
            char *w = ++p;
            field[n++] = w;
            for (;;) {
                if (*p == 0)
                    return -1; /* unterminated quote */
                if (*p == '"') {
                    if (p[1] == '"') {
                        *w++ = '"';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                *w++ = *p++;
            }
            *w = 0;
            while (*p == ' ' || *p == '\t')
                p++;
            if (*p == 0)
                return n;
            if (*p != ',')
                return -1;
            p++;
        } else {
            field[n++] = p;
            char *comma = strchr(p, ',');
            char *end = comma ? comma : p + strlen(p);
            char *t = end;
            while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
                t--;
            if (!comma) {
                *t = 0;
                return n;
            }
            *t = 0;
            p = comma + 1;
        }
    }
}

static int find_col(char **field, int n, const char *const *names)
{
    for (int i = 0; i < n; i++)
        for (const char *const *k = names; *k; k++)
            if (strcasecmp(field[i], *k) == 0)
                return i;
    return -1;
}

static int file_slurp(const char *path, char **out, gm_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return gm_fail(err, GM_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            return gm_fail(err, GM_ENOMEM, "%s: out of memory", path);
        }
        len += fread(buf + len, 1, cap - len - 1, f);
        if (len < cap - 1)
            break;
        cap *= 2;
        char *p = realloc(buf, cap);
        if (!p)
            free(buf);
        buf = p;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return gm_fail(err, GM_EIO, "%s: read error", path);
    }
    buf[len] = 0;
    if (strlen(buf) != len) {
        free(buf);
        return gm_fail(err, GM_EDATA, "%s: holds a NUL byte: not a CSV text file", path);
    }
    *out = buf;
    return 0;
}

int value_table_read(value_table *t, const char *path, const char *const *value_cols,
                     gm_error *err)
{
    static const char *const step_names[] = {"step", NULL};
    static const char *const domain_names[] = {"domain", NULL};
    static const char *const group_names[] = {"group", NULL};
    memset(t, 0, sizeof *t);
    char *text = NULL;
    if (file_slurp(path, &text, err) != 0)
        return -1;
    if (!(t->path = strdup(path))) {
        free(text);
        return gm_fail(err, GM_ENOMEM, "out of memory");
    }
    int c_step = -1, c_key = -1, c_val = -1, n_cols = 0, have_header = 0;
    size_t cap = 0, lineno = 0;
    char *field[CSV_MAX_FIELDS];
    char *save = text;
    int rc = 0;
    while (save && rc == 0) {
        char *line = save;
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = 0;
        lineno++;
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r')
            line[--ll] = 0;
        const char *q = line + strspn(line, " \t");
        if (*q == 0 || *q == '#')
            continue;
        int n = csv_split(line, field, CSV_MAX_FIELDS);
        if (n < 0) {
            rc = gm_fail(err, GM_EDATA, "%s:%zu: unbalanced quote", path, lineno);
            break;
        }
        if (n > CSV_MAX_FIELDS) {
            rc = gm_fail(err, GM_EDATA, "%s:%zu: more than %d columns", path, lineno,
                         CSV_MAX_FIELDS);
            break;
        }
        if (!have_header) {
            have_header = 1;
            n_cols = n;
            c_step = find_col(field, n, step_names);
            c_val = find_col(field, n, value_cols);
            c_key = find_col(field, n, domain_names);
            if (c_key < 0 && (c_key = find_col(field, n, group_names)) >= 0)
                t->by_group = 1;
            const char *missing = c_step < 0 ? "step" : c_key < 0 ? "domain (or group)"
                                  : c_val < 0 ? value_cols[0] : NULL;
            if (missing)
                rc = gm_fail(err, GM_EDATA,
                             "%s:%zu: missing column '%s' (the header must name step, "
                             "domain or group, and %s)", path, lineno, missing, value_cols[0]);
            continue;
        }
        if (n != n_cols) {
            rc = gm_fail(err, GM_EDATA, "%s:%zu: %d fields, the header has %d", path, lineno, n,
                         n_cols);
            break;
        }
        char *end;
        errno = 0;
        long long step = strtoll(field[c_step], &end, 10);
        if (field[c_step][0] == 0 || *end || errno || step < 0) {
            rc = gm_fail(err, GM_EDATA, "%s:%zu: step '%s' is not a non-negative integer", path,
                         lineno, field[c_step]);
            break;
        }
        double v = strtod(field[c_val], &end);
        if (field[c_val][0] == 0 || *end || !isfinite(v)) {
            rc = gm_fail(err, GM_EDATA, "%s:%zu: %s '%s' is not a number", path, lineno,
                         value_cols[0], field[c_val]);
            break;
        }
        if (field[c_key][0] == 0) {
            rc = gm_fail(err, GM_EDATA, "%s:%zu: empty %s", path, lineno,
                         t->by_group ? "group" : "domain");
            break;
        }
        for (size_t i = 0; i < t->n; i++)
            if (t->e[i].step == step && strcmp(t->e[i].key, field[c_key]) == 0) {
                rc = gm_fail(err, GM_EDATA, "%s:%zu: second value for step %lld, %s '%s' "
                             "(the first is on line %zu)", path, lineno, step,
                             t->by_group ? "group" : "domain", field[c_key], t->e[i].line);
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
        if (!(e->key = strdup(field[c_key]))) {
            rc = gm_fail(err, GM_ENOMEM, "out of memory");
            break;
        }
        e->step = step;
        e->value = v;
        e->line = lineno;
        t->n++;
    }
    if (rc == 0 && !have_header)
        rc = gm_fail(err, GM_EDATA, "%s:1: empty file: expected a header naming step, "
                     "domain or group, and %s", path, value_cols[0]);
    free(text);
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

void value_table_free(value_table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->e[i].key);
    free(t->e);
    free(t->path);
    memset(t, 0, sizeof *t);
}
