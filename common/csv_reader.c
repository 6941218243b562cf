/* csv_reader.c: read a small CSV table whole and hand it out row by row, fields
 * unquoted in place. Errors name path:line. Spec: docs/report.md "Inputs". */
#include "csv_reader.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "input.h"

/* Split one line (no newline) in place into fields; quoted fields may hold
 * commas and "" for a quote. Returns the field count (cap + 1 when there are
 * more than cap), or -1 on a bad quote. */
static int split_fields(char *line, char **field, int cap)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (n == cap)
            return n + 1;
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
            char *t = comma ? comma : p + strlen(p);
            while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
                t--;
            *t = 0;
            if (!comma)
                return n;
            p = comma + 1;
        }
    }
}

int csv_open(csv_reader *r, const char *path, gm_error *err)
{
    r->path = path;
    FILE *f = gm_file_fopen(path, err); /* a regular file: not a directory or a FIFO */
    if (!f)
        return -1;
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
    r->text = r->next = buf;
    r->line = 0;
    return 0;
}

int csv_next(csv_reader *r, gm_error *err)
{
    while (r->next) {
        char *line = r->next;
        char *nl = strchr(line, '\n');
        r->next = nl ? nl + 1 : NULL;
        if (nl)
            *nl = 0;
        r->line++;
        size_t len = strlen(line);
        if (len && line[len - 1] == '\r')
            line[--len] = 0;
        const char *q = line + strspn(line, " \t");
        if (*q == 0 || *q == '#')
            continue;
        r->n = split_fields(line, r->field, CSV_MAX_FIELDS);
        if (r->n < 0)
            return gm_fail(err, GM_EDATA, "%s:%zu: unbalanced quote", r->path, r->line);
        if (r->n > CSV_MAX_FIELDS)
            return gm_fail(err, GM_EDATA, "%s:%zu: more than %d columns", r->path, r->line,
                           CSV_MAX_FIELDS);
        r->header = r->n_header == 0;
        if (r->header)
            r->n_header = r->n;
        else if (r->n != r->n_header)
            return gm_fail(err, GM_EDATA, "%s:%zu: %d fields, the header has %d", r->path,
                           r->line, r->n, r->n_header);
        return 1;
    }
    return 0;
}

int csv_column(const csv_reader *r, const char *const *names)
{
    for (int i = 0; i < r->n; i++)
        for (const char *const *k = names; *k; k++)
            if (strcasecmp(r->field[i], *k) == 0)
                return i;
    return -1;
}

int csv_uint(const csv_reader *r, int i, const char *what, long long *v, gm_error *err)
{
    const char *s = r->field[i];
    char *end;
    errno = 0;
    *v = strtoll(s, &end, 10);
    if (s[0] == 0 || *end || errno || *v < 0)
        return gm_fail(err, GM_EDATA, "%s:%zu: %s '%s' is not a non-negative integer", r->path,
                       r->line, what, s);
    return 0;
}

int csv_double(const csv_reader *r, int i, const char *what, double *v, gm_error *err)
{
    const char *s = r->field[i];
    char *end;
    *v = strtod(s, &end);
    if (s[0] == 0 || *end || !isfinite(*v))
        return gm_fail(err, GM_EDATA, "%s:%zu: %s '%s' is not a number", r->path, r->line, what,
                       s);
    return 0;
}

void csv_close(csv_reader *r)
{
    free(r->text);
    r->text = r->next = NULL;
}
