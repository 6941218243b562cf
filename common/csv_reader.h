/* csv_reader.h: the small CSV tables users hand us beside the record streams (test
 * accuracy, validation loss, per-item test results, group similarities): a
 * header row naming the columns (case-insensitive), then data rows; RFC 4180
 * quotes; `#` comments, blank lines and CRLF skipped. The whole file is read
 * at open, so a row's fields point into it until the next csv_next. Not a
 * general CSV library: no embedded newlines, at most CSV_MAX_FIELDS columns. */
#ifndef GM_CSV_READER_H
#define GM_CSV_READER_H

#include <stddef.h>

#include "error.h"

enum { CSV_MAX_FIELDS = 64 };

typedef struct csv_reader {
    const char *path;
    size_t line;                  /* line number of the current row, from 1 */
    int n;                        /* fields in the current row */
    int header;                   /* 1 while the current row is the header (the first row) */
    int n_header;                 /* fields in the header: every row must have as many */
    char *field[CSV_MAX_FIELDS];  /* the current row's fields, unquoted */
    char *text, *next;            /* the file, and where the next line starts */
} csv_reader;

/* Read path whole. r starts zeroed. A NUL byte is an error (not a text file). */
int csv_open(csv_reader *r, const char *path, gm_error *err);
/* The next non-blank, non-comment row into r->field: 1, 0 at the end, or -1
 * with err naming path:line (unbalanced quote, too many columns, a row whose
 * field count differs from the header's). */
int csv_next(csv_reader *r, gm_error *err);
/* The index of the first field of the current row equal to one of names
 * (NULL-terminated, case-insensitive), or -1. Meant for the header row. */
int csv_column(const csv_reader *r, const char *const *names);
/* Parse field i of the current row; -1 with err naming path:line and what,
 * the column's name, when it is empty or not of that kind (a non-negative
 * integer; a finite number). */
int csv_uint(const csv_reader *r, int i, const char *what, long long *v, gm_error *err);
int csv_double(const csv_reader *r, int i, const char *what, double *v, gm_error *err);
void csv_close(csv_reader *r); /* accepts a zeroed or closed reader */

#endif
