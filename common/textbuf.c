/* textbuf.c: a growable text buffer and its one-shot writer. Formats
 * nothing on its own beyond XML and CSV escaping (textbuf.h). */
#include "textbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int textbuf_reserve(textbuf *b, size_t extra)
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

void textbuf_printf(textbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || textbuf_reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void textbuf_put(textbuf *b, const char *p, size_t n)
{
    if (textbuf_reserve(b, n) != 0)
        return;
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = 0;
}

void textbuf_puts(textbuf *b, const char *s)
{
    textbuf_put(b, s, strlen(s));
}

void textbuf_xml(textbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': textbuf_puts(b, "&amp;"); break;
        case '<': textbuf_puts(b, "&lt;"); break;
        case '>': textbuf_puts(b, "&gt;"); break;
        case '"': textbuf_puts(b, "&quot;"); break;
        case '\'': textbuf_puts(b, "&#39;"); break;
        default: {
            char c[2] = {*s, 0};
            textbuf_puts(b, c);
        }
        }
    }
}

void textbuf_csv(textbuf *b, const char *s)
{
    if (!strpbrk(s, ",\" \t\r\n")) {
        textbuf_puts(b, s);
        return;
    }
    textbuf_puts(b, "\"");
    for (; *s; s++) {
        char c[2] = {*s, 0};
        textbuf_puts(b, *s == '"' ? "\"\"" : c);
    }
    textbuf_puts(b, "\"");
}

int textbuf_ok(const textbuf *b) { return !b->oom; }

void textbuf_free(textbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

int textbuf_write_file(const textbuf *b, const char *path, gm_error *err)
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
