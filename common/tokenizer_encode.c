/* tokenizer_encode.c: text to ids, HF tokenizers' order: the added tokens are
 * found in the raw text first (leftmost, then longest; lstrip / rstrip take
 * the white space beside them), and each stretch between them is normalized,
 * pre-tokenized and run through the BPE model. The text must be valid UTF-8. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tokenizer_impl.h"

int tok_ids_push(tok_ids *ids, uint32_t id, gm_error *err)
{
    if (ids->n == ids->cap) {
        size_t cap = ids->cap ? 2 * ids->cap : 64;
        uint32_t *v = realloc(ids->v, cap * sizeof *v);
        if (!v)
            return gm_fail(err, GM_ENOMEM, "out of memory for %zu token ids", cap);
        ids->v = v;
        ids->cap = cap;
    }
    ids->v[ids->n++] = id;
    return 0;
}

void tok_ids_free(tok_ids *ids)
{
    free(ids->v);
    memset(ids, 0, sizeof *ids);
}

size_t utf8_invalid_at(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(n - i), &cp);
        if (k < 1)
            return i;
        i += (size_t)k;
    }
    return n;
}

int utf8_replace_invalid(const char *s, size_t n, char **out, size_t *out_n, gm_error *err)
{
    char *r = malloc(3 * n + 1); /* each bad byte becomes at most 3 bytes */
    if (!r)
        return gm_fail(err, GM_ENOMEM, "out of memory repairing %zu bytes of UTF-8", n);
    size_t at = 0;
    for (size_t i = 0; i < n;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(n - i), &cp);
        if (k >= 1) {
            memcpy(r + at, s + i, (size_t)k);
            at += (size_t)k;
            i += (size_t)k;
        } else {
            memcpy(r + at, "\xEF\xBF\xBD", 3);
            at += 3;
            i++;
        }
    }
    r[at] = 0;
    *out = r;
    *out_n = at;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* The added token matching at s[i..n) (the longest), or NULL. */
static const tok_added *added_at(const tokenizer *t, const char *s, size_t n, size_t i)
{
    const tok_added *best = NULL;
    for (size_t a = 0; a < t->n_added; a++) {
        const tok_added *x = &t->added[a];
        if (x->n <= n - i && (!best || x->n > best->n) && s[i] == x->content[0] &&
            memcmp(s + i, x->content, x->n) == 0)
            best = x;
    }
    return best;
}

/* One stretch without added tokens: normalize, pre-tokenize, BPE. */
static int encode_stretch(tokenizer *t, const char *s, size_t n, int first, tok_ids *out,
                          gm_error *err)
{
    if (n == 0)
        return 0;
    char *norm;
    size_t nn;
    if (tok_normalize(t->norms, t->n_norms, s, n, &norm, &nn, err))
        return -1;
    tok_pieces pieces = {0};
    int rc = nn ? tok_pieces_push(&pieces, norm, nn, err) : 0;
    free(norm);
    if (!rc)
        rc = tok_pretokenize(t->pre, t->n_pre, &pieces, first, t->md, err);
    for (size_t i = 0; i < pieces.n && rc == 0; i++)
        rc = tok_bpe_encode(&t->bpe, pieces.v[i].s, pieces.v[i].n, out, err);
    tok_pieces_free(&pieces);
    return rc;
}

int tokenizer_encode(tokenizer *t, const char *s, size_t n, tok_ids *out, gm_error *err)
{
    size_t bad = utf8_invalid_at(s, n);
    if (bad < n)
        return gm_fail(err, GM_EDATA, "invalid UTF-8 at byte %zu", bad);
    size_t from = 0; /* start of the stretch not yet encoded */
    for (size_t i = 0; i < n; i++) {
        const tok_added *a = t->added_first[(uint8_t)s[i]] ? added_at(t, s, n, i) : NULL;
        if (!a)
            continue;
        size_t end = i, next = i + a->n;
        if (a->lstrip)
            while (end > from && is_space(s[end - 1]))
                end--;
        if (a->rstrip)
            while (next < n && is_space(s[next]))
                next++;
        if (encode_stretch(t, s + from, end - from, from == 0, out, err) ||
            tok_ids_push(out, a->id, err))
            return -1;
        from = next;
        i = next - 1;
    }
    return encode_stretch(t, s + from, n - from, from == 0, out, err);
}

int64_t tokenizer_token_id(const tokenizer *t, const char *content)
{
    size_t n = strlen(content);
    for (size_t a = 0; a < t->n_added; a++)
        if (t->added[a].n == n && memcmp(t->added[a].content, content, n) == 0)
            return t->added[a].id;
    return tok_bpe_lookup(&t->bpe, content, n);
}

int64_t tokenizer_bos(const tokenizer *t) { return t->bos; }
int64_t tokenizer_eos(const tokenizer *t) { return t->eos; }
size_t tokenizer_vocab_size(const tokenizer *t)
{
    size_t n = t->bpe.n_vocab;
    for (size_t a = 0; a < t->n_added; a++)
        if (t->added[a].id >= n)
            n = (size_t)t->added[a].id + 1;
    return n;
}
