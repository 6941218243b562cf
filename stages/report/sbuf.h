/* sbuf.h: a growable text buffer the report builds its outputs in (table,
 * CSV, JSON Lines, HTML), written out in one piece through gm_output.
 * It only accumulates text; it does not know any output format except the
 * two escapes every text format here needs (XML text and CSV fields).
 * An allocation failure is sticky: check sbuf_ok() once at the end. */
#ifndef REPORT_SBUF_H
#define REPORT_SBUF_H

#include <stddef.h>

#include "error.h"
#include "output.h"

typedef struct sbuf {
    char *p;      /* NUL-terminated when len > 0 */
    size_t len, cap;
    int oom;      /* 1 after a failed allocation; further appends are dropped */
} sbuf;

void sbuf_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_puts(sbuf *b, const char *s);
/* s with & < > " ' escaped for XML/HTML text and attributes. */
void sbuf_xml(sbuf *b, const char *s);
/* s as one CSV field: quoted (with "" doubling) when it holds , " or a newline. */
void sbuf_csv(sbuf *b, const char *s);
int sbuf_ok(const sbuf *b);
void sbuf_free(sbuf *b);

/* Write b to path (NULL or "-": stdout) as text, atomically for a file. */
int sbuf_write_file(const sbuf *b, const char *path, gm_error *err);

#endif
