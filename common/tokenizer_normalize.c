/* tokenizer_normalize.c: a tokenizer.json's normalizers, applied in order to the
 * text between added tokens: Unicode NFC and NFKC (utf8proc), Prepend (a
 * string before non-empty text) and Replace (every occurrence of a literal;
 * SentencePiece-converted tokenizers use " " -> "▁"). */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tokenizer_impl.h"

static int replace_all(const char *s, size_t n, const char *pat, const char *with, char **out,
                       size_t *out_n, gm_error *err)
{
    size_t pn = strlen(pat), wn = strlen(with), count = 0;
    if (pn == 0)
        return gm_fail(err, GM_EDATA, "normalizer Replace: an empty pattern");
    for (const char *p = s; (p = memmem(p, n - (size_t)(p - s), pat, pn)); p += pn)
        count++;
    size_t len = n - count * pn + count * wn;
    char *r = malloc(len + 1);
    if (!r)
        return gm_fail(err, GM_ENOMEM, "out of memory normalizing %zu bytes", n);
    size_t at = 0;
    const char *p = s, *end = s + n;
    for (const char *q; (q = memmem(p, (size_t)(end - p), pat, pn)); p = q + pn) {
        memcpy(r + at, p, (size_t)(q - p));
        at += (size_t)(q - p);
        memcpy(r + at, with, wn);
        at += wn;
    }
    memcpy(r + at, p, (size_t)(end - p));
    at += (size_t)(end - p);
    r[at] = 0;
    *out = r;
    *out_n = at;
    return 0;
}

/* Text that no normalization form changes, found without decoding: for NFC,
 * code points below U+0300 (no UTF-8 byte >= 0xCC: no combining marks, and
 * no character there decomposes canonically to anything else); for NFKC,
 * ASCII only (U+00A0, U+00B2, ... have compatibility forms). */
static int already_normal(const char *s, size_t n, norm_kind kind)
{
    uint8_t limit = kind == NORM_NFC ? 0xCC : 0x80;
    for (size_t i = 0; i < n; i++)
        if ((uint8_t)s[i] >= limit)
            return 0;
    return 1;
}

static int normalize_one(const tok_normalizer *nm, const char *s, size_t n, char **out,
                         size_t *out_n, gm_error *err)
{
    switch (nm->kind) {
    case NORM_NFC:
    case NORM_NFKC: {
        if (already_normal(s, n, nm->kind)) {
            char *r = malloc(n + 1);
            if (!r)
                return gm_fail(err, GM_ENOMEM, "out of memory normalizing %zu bytes", n);
            memcpy(r, s, n);
            r[n] = 0;
            *out = r;
            *out_n = n;
            return 0;
        }
        utf8proc_uint8_t *r = NULL;
        int opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE | (nm->kind == NORM_NFKC ? UTF8PROC_COMPAT : 0);
        utf8proc_ssize_t len = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &r,
                                            (utf8proc_option_t)opts);
        if (len < 0)
            return gm_fail(err, GM_EDATA, "normalizing: %s", utf8proc_errmsg(len));
        *out = (char *)r;
        *out_n = (size_t)len;
        return 0;
    }
    case NORM_PREPEND: {
        size_t pn = n ? strlen(nm->text) : 0;
        char *r = malloc(pn + n + 1);
        if (!r)
            return gm_fail(err, GM_ENOMEM, "out of memory normalizing %zu bytes", n);
        memcpy(r, nm->text, pn);
        memcpy(r + pn, s, n);
        r[pn + n] = 0;
        *out = r;
        *out_n = pn + n;
        return 0;
    }
    case NORM_REPLACE:
        return replace_all(s, n, nm->pattern, nm->text, out, out_n, err);
    }
    return gm_fail(err, GM_EDATA, "unknown normalizer");
}

int tok_normalize(const tok_normalizer *norms, size_t n_norms, const char *s, size_t n,
                  char **out, size_t *out_n, gm_error *err)
{
    char *cur = malloc(n + 1);
    if (!cur)
        return gm_fail(err, GM_ENOMEM, "out of memory normalizing %zu bytes", n);
    memcpy(cur, s, n);
    cur[n] = 0;
    size_t cur_n = n;
    for (size_t i = 0; i < n_norms; i++) {
        char *next = NULL;
        size_t next_n = 0;
        if (normalize_one(&norms[i], cur, cur_n, &next, &next_n, err)) {
            free(cur);
            return -1;
        }
        free(cur);
        cur = next;
        cur_n = next_n;
    }
    *out = cur;
    *out_n = cur_n;
    return 0;
}
