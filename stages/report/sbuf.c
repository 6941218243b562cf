/* sbuf.c: the report's growable text buffer and its one-shot writer.
 * Formats nothing on its own beyond XML and CSV escaping (sbuf.h). */
#include "sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int sbuf_reserve(sbuf *b, size_t extra)
{
    if (b->oom)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

void sbuf_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || sbuf_reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sbuf_puts(sbuf *b, const char *s)
{
    size_t n = strlen(s);
    if (sbuf_reserve(b, n) != 0)
        return;
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

void sbuf_xml(sbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': sbuf_puts(b, "&amp;"); break;
        case '<': sbuf_puts(b, "&lt;"); break;
        case '>': sbuf_puts(b, "&gt;"); break;
        case '"': sbuf_puts(b, "&quot;"); break;
        case '\'': sbuf_puts(b, "&#39;"); break;
        default: {
            char c[2] = {*s, 0};
            sbuf_puts(b, c);
        }
        }
    }
}

void sbuf_csv(sbuf *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        sbuf_puts(b, s);
        return;
    }
    sbuf_puts(b, "\"");
    for (; *s; s++) {
        char c[2] = {*s, 0};
        sbuf_puts(b, *s == '"' ? "\"\"" : c);
    }
    sbuf_puts(b, "\"");
}

int sbuf_ok(const sbuf *b) { return !b->oom; }

void sbuf_free(sbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

int sbuf_write_file(const sbuf *b, const char *path, gm_error *err)
{
    if (b->oom)
        return gm_fail(err, GM_ENOMEM, "out of memory building %s", path ? path : "the output");
    gm_output *out = gm_output_open(path, GM_OUT_ALLOW_TTY, err);
    if (!out)
        return -1;
    if (b->len && gm_output_write(out, b->p, b->len, err) != 0) {
        gm_output_abort(out);
        return -1;
    }
    return gm_output_commit(out, err);
}
