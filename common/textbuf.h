/* textbuf.h: a growable text buffer the stages build text outputs in (the
 * report's table, CSV, JSON Lines and HTML; dump's JSON lines; test-groups'
 * CSV), then write out through gm_output. It only accumulates text; it knows
 * no output format beyond the two escapes every text format here needs (XML
 * text and CSV fields, one quoting rule for every CSV grokmon writes).
 * An allocation failure is sticky: check textbuf_ok() once at the end. */
#ifndef GM_TEXTBUF_H
#define GM_TEXTBUF_H

#include <stddef.h>

#include "error.h"
#include "output.h"

typedef struct textbuf {
    char *p;      /* NUL-terminated when len > 0 */
    size_t len, cap;
    int oom;      /* 1 after a failed allocation; further appends are dropped */
} textbuf;

void textbuf_printf(textbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void textbuf_puts(textbuf *b, const char *s);
/* n bytes of p (which may hold NUL bytes). */
void textbuf_put(textbuf *b, const char *p, size_t n);
/* s with & < > " ' escaped for XML/HTML text and attributes. */
void textbuf_xml(textbuf *b, const char *s);
/* s as one CSV field: quoted (with "" doubling) when it holds a comma, a
 * quote, white space or a line break (so a reader that trims never changes it). */
void textbuf_csv(textbuf *b, const char *s);
int textbuf_ok(const textbuf *b);
void textbuf_free(textbuf *b);

/* Write b to path (NULL or "-": stdout) as text, atomically for a file. */
int textbuf_write_file(const textbuf *b, const char *path, gm_error *err);

#endif
