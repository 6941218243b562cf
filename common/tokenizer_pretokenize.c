/* tokenizer_pretokenize.c: a tokenizer.json's pre-tokenizers, each splitting every
 * piece the one before it left (HF tokenizers' PreTokenizedString::split):
 * Split (a PCRE2 regex or a literal, with its delimiter behaviour), ByteLevel
 * (a prefix space, then GPT-2's split pattern), Metaspace (spaces to "▁", a
 * prefix, split before each) and Digits. The byte-level character mapping is
 * the BPE model's first step (tokenizer_bpe.c), not done here. */
#include <stdlib.h>
#include <string.h>

#include "tokenizer_impl.h"

/* GPT-2's pattern, as HF's ByteLevel pre-tokenizer uses it. */
static const char gpt2_pattern[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

pcre2_code *tok_regex_compile(const char *pattern, int literal, gm_error *err)
{
    int code;
    PCRE2_SIZE at;
    if (!pattern)
        pattern = gpt2_pattern;
    uint32_t opts = PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK | (literal ? PCRE2_LITERAL : 0);
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, opts, &code, &at,
                                   NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        gm_fail(err, GM_EDATA, "pre-tokenizer pattern \"%s\" at offset %zu: %s", pattern,
                (size_t)at, (char *)msg);
        return NULL;
    }
    pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* when JIT is unavailable, interpret */
    return re;
}

int tok_pieces_push(tok_pieces *p, const char *s, size_t n, gm_error *err)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 16;
        tok_piece *v = realloc(p->v, cap * sizeof *v);
        if (!v)
            return gm_fail(err, GM_ENOMEM, "out of memory splitting text");
        p->v = v;
        p->cap = cap;
    }
    char *c = NULL;
    if (s) { /* NULL: a slot for the caller to fill */
        if (!(c = malloc(n + 1)))
            return gm_fail(err, GM_ENOMEM, "out of memory splitting text");
        memcpy(c, s, n);
        c[n] = 0;
    }
    p->v[p->n++] = (tok_piece){c, n};
    return 0;
}

void tok_pieces_free(tok_pieces *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].s);
    free(p->v);
    memset(p, 0, sizeof *p);
}

static size_t utf8_next(const char *s, size_t n, size_t i)
{
    uint8_t c = (uint8_t)s[i];
    size_t k = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    return i + k > n ? n : i + k;
}

/* Split s[0..n) at the matches of re by behaviour b into out. */
static int split_by(const char *s, size_t n, pcre2_code *re, split_kind b, pcre2_match_data *md,
                    tok_pieces *out, gm_error *err)
{
    size_t from = 0;      /* start of text not yet emitted */
    size_t pend_a = 0, pend_n = 0; /* Contiguous/MergedWithNext: a pending piece */
    int have_pend = 0;
    size_t at = 0;
    while (at <= n) {
        int rc = pcre2_match(re, (PCRE2_SPTR)s, n, at, PCRE2_NO_UTF_CHECK, md, NULL);
        if (rc == PCRE2_ERROR_NOMATCH)
            break;
        if (rc < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(rc, msg, sizeof msg);
            return gm_fail(err, GM_EDATA, "pre-tokenizer regex: %s", (char *)msg);
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        size_t ms = ov[0], me = ov[1];
        if (me == ms) { /* an empty match splits nothing */
            if (ms >= n)
                break;
            at = utf8_next(s, n, ms);
            continue;
        }
        size_t gap_n = ms - from;
        switch (b) {
        case SPLIT_ISOLATED:
            if ((gap_n && tok_pieces_push(out, s + from, gap_n, err)) ||
                tok_pieces_push(out, s + ms, me - ms, err))
                return -1;
            break;
        case SPLIT_REMOVED:
            if (gap_n && tok_pieces_push(out, s + from, gap_n, err))
                return -1;
            break;
        case SPLIT_PREVIOUS: /* the match ends the piece before it */
            if (tok_pieces_push(out, s + from, me - from, err))
                return -1;
            break;
        case SPLIT_NEXT: /* the match starts the next piece */
            if (have_pend) {
                if (tok_pieces_push(out, s + pend_a, ms - pend_a, err))
                    return -1;
            } else if (gap_n && tok_pieces_push(out, s + from, gap_n, err)) {
                return -1;
            }
            pend_a = ms;
            have_pend = 1;
            break;
        case SPLIT_CONTIGUOUS: /* adjacent matches form one piece */
            if (have_pend && gap_n == 0) {
                pend_n = me - pend_a;
            } else {
                if (have_pend && tok_pieces_push(out, s + pend_a, pend_n, err))
                    return -1;
                if (gap_n && tok_pieces_push(out, s + from, gap_n, err))
                    return -1;
                pend_a = ms;
                pend_n = me - ms;
                have_pend = 1;
            }
            break;
        }
        from = me;
        at = me;
    }
    if (b == SPLIT_NEXT && have_pend)
        return tok_pieces_push(out, s + pend_a, n - pend_a, err);
    if (b == SPLIT_CONTIGUOUS && have_pend && tok_pieces_push(out, s + pend_a, pend_n, err))
        return -1;
    if (from < n)
        return tok_pieces_push(out, s + from, n - from, err);
    return 0;
}

/* Metaspace on one piece: spaces to the replacement, the prefix, then split
 * before each replacement (MergedWithNext) when asked. */
static int metaspace(const tok_pretok *p, const char *s, size_t n, int first, tok_pieces *out,
                     pcre2_match_data *md, gm_error *err)
{
    tok_normalizer rep = {.kind = NORM_REPLACE, .text = p->replacement, .pattern = " "};
    char *r;
    size_t rn;
    if (tok_normalize(&rep, 1, s, n, &r, &rn, err))
        return -1;
    size_t k = strlen(p->replacement);
    int starts = rn >= k && memcmp(r, p->replacement, k) == 0;
    if (!starts && (p->prepend == PREPEND_ALWAYS || (p->prepend == PREPEND_FIRST && first))) {
        char *w = malloc(rn + k + 1);
        if (!w) {
            free(r);
            return gm_fail(err, GM_ENOMEM, "out of memory splitting text");
        }
        memcpy(w, p->replacement, k);
        memcpy(w + k, r, rn + 1);
        free(r);
        r = w;
        rn += k;
    }
    int rc = p->split ? split_by(r, rn, p->re, SPLIT_NEXT, md, out, err)
                      : tok_pieces_push(out, r, rn, err);
    free(r);
    return rc;
}

/* ByteLevel without its regex leaves a piece as it is unless it adds the
 * prefix space (the byte mapping is the model's). */
static int keeps_piece(const tok_pretok *p, const tok_piece *in)
{
    return p->kind == PRE_BYTELEVEL && !p->use_regex &&
           !(p->add_prefix_space && (in->n == 0 || in->s[0] != ' '));
}

/* in moves to the end of out (no copy); in is left empty. */
static int move_piece(tok_pieces *out, tok_piece *in, gm_error *err)
{
    if (tok_pieces_push(out, NULL, 0, err))
        return -1;
    out->v[out->n - 1] = *in;
    in->s = NULL;
    return 0;
}

static int pretok_one(const tok_pretok *p, const tok_piece *in, int first, tok_pieces *out,
                      pcre2_match_data *md, gm_error *err)
{
    switch (p->kind) {
    case PRE_SPLIT:
        return split_by(in->s, in->n, p->re, p->behavior, md, out, err);
    case PRE_DIGITS:
        return split_by(in->s, in->n, p->re, p->individual ? SPLIT_ISOLATED : SPLIT_CONTIGUOUS,
                        md, out, err);
    case PRE_METASPACE:
        return metaspace(p, in->s, in->n, first, out, md, err);
    case PRE_BYTELEVEL: {
        const char *s = in->s;
        size_t n = in->n;
        char *w = NULL;
        if (p->add_prefix_space && (n == 0 || s[0] != ' ')) {
            if (!(w = malloc(n + 2)))
                return gm_fail(err, GM_ENOMEM, "out of memory splitting text");
            w[0] = ' ';
            memcpy(w + 1, s, n + 1);
            s = w;
            n++;
        }
        int rc = p->use_regex ? split_by(s, n, p->re, SPLIT_ISOLATED, md, out, err)
                              : tok_pieces_push(out, s, n, err);
        free(w);
        return rc;
    }
    }
    return gm_fail(err, GM_EDATA, "unknown pre-tokenizer");
}

int tok_pretokenize(const tok_pretok *pre, size_t n_pre, tok_pieces *pieces, int first,
                    pcre2_match_data *md, gm_error *err)
{
    for (size_t i = 0; i < n_pre; i++) {
        tok_pieces next = {0};
        for (size_t j = 0; j < pieces->n; j++) {
            tok_piece *in = &pieces->v[j];
            int rc = keeps_piece(&pre[i], in) ? move_piece(&next, in, err)
                                              : pretok_one(&pre[i], in, first && j == 0, &next,
                                                           md, err);
            if (rc) {
                tok_pieces_free(&next);
                return -1;
            }
        }
        tok_pieces_free(pieces);
        *pieces = next;
    }
    return 0;
}
