/* tokenizer_bpe.c: the BPE model of a tokenizer.json: vocabulary, merges by rank,
 * and the encoding of one pre-tokenized piece (HF tokenizers' BPE::merge_word:
 * the adjacent pair with the lowest merge rank is merged first, the leftmost
 * of equals, until no pair has a merge). Byte-level models start from the
 * GPT-2 characters of the bytes; others from the UTF-8 characters, with
 * <0xXX> byte tokens (byte_fallback) or the unk token for the unknown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "tokenizer_impl.h"

#define EMPTY_KEY UINT64_MAX

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

/* GPT-2's bytes_to_unicode: printable bytes keep their code point, the
 * others get 256, 257, ... in byte order. UTF-8 of each, filled once. */
static char byte_chars[256][3];
static uint8_t byte_char_len[256];

static void byte_chars_fill(void)
{
    if (byte_char_len['!'])
        return;
    unsigned next = 256;
    for (unsigned b = 0; b < 256; b++) {
        int keep = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
        unsigned cp = keep ? b : next++;
        if (cp < 0x80) {
            byte_chars[b][0] = (char)cp;
            byte_char_len[b] = 1;
        } else {
            byte_chars[b][0] = (char)(0xC0 | (cp >> 6));
            byte_chars[b][1] = (char)(0x80 | (cp & 0x3F));
            byte_char_len[b] = 2;
        }
    }
}

const char *tok_byte_char(uint8_t b, size_t *n)
{
    byte_chars_fill();
    *n = byte_char_len[b];
    return byte_chars[b];
}

int tok_bpe_add_token(tok_bpe *m, uint32_t id, const char *s, size_t n, gm_error *err)
{
    if (id >= m->n_vocab) {
        size_t cap = m->n_vocab ? m->n_vocab : 1024;
        while (cap <= id)
            cap *= 2;
        char **str = realloc(m->str, cap * sizeof *str);
        if (str)
            m->str = str;
        uint32_t *len = str ? realloc(m->len, cap * sizeof *len) : NULL;
        if (!str || !len)
            return gm_fail(err, GM_ENOMEM, "out of memory for the vocabulary");
        m->len = len;
        memset(m->str + m->n_vocab, 0, (cap - m->n_vocab) * sizeof *m->str);
        memset(m->len + m->n_vocab, 0, (cap - m->n_vocab) * sizeof *m->len);
        m->n_vocab = cap;
    }
    if (m->str[id])
        return gm_fail(err, GM_EDATA, "token id %u appears twice", id);
    if (!(m->str[id] = malloc(n + 1)))
        return gm_fail(err, GM_ENOMEM, "out of memory for the vocabulary");
    memcpy(m->str[id], s, n);
    m->str[id][n] = 0;
    m->len[id] = (uint32_t)n;
    return 0;
}

int tok_bpe_index(tok_bpe *m, gm_error *err)
{
    while (m->n_vocab && !m->str[m->n_vocab - 1])
        m->n_vocab--;
    size_t n = 16;
    while (n < 2 * m->n_vocab)
        n *= 2;
    free(m->slots);
    if (!(m->slots = calloc(n, sizeof *m->slots)))
        return gm_fail(err, GM_ENOMEM, "out of memory for the vocabulary index");
    m->n_slots = n;
    for (uint32_t id = 0; id < m->n_vocab; id++) {
        if (!m->str[id])
            continue;
        if (tok_bpe_lookup(m, m->str[id], m->len[id]) >= 0)
            return gm_fail(err, GM_EDATA, "token \"%s\" appears twice in the vocabulary",
                           m->str[id]);
        size_t h = fnv1a_n(m->str[id], m->len[id]) & (n - 1);
        while (m->slots[h])
            h = (h + 1) & (n - 1);
        m->slots[h] = id + 1;
    }
    for (int b = 0; b < 256; b++) {
        char name[8];
        snprintf(name, sizeof name, "<0x%02X>", b);
        int64_t id = tok_bpe_lookup(m, name, 6);
        m->byte_token[b] = id < 0 ? UINT32_MAX : (uint32_t)id;
    }
    return 0;
}

int64_t tok_bpe_lookup(const tok_bpe *m, const char *s, size_t n)
{
    if (!m->n_slots)
        return -1;
    size_t h = fnv1a_n(s, n) & (m->n_slots - 1);
    for (; m->slots[h]; h = (h + 1) & (m->n_slots - 1)) {
        uint32_t id = m->slots[h] - 1;
        if (m->len[id] == n && memcmp(m->str[id], s, n) == 0)
            return id;
    }
    return -1;
}

int tok_bpe_merges_init(tok_bpe *m, size_t n, gm_error *err)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    m->merge_key = malloc(cap * sizeof *m->merge_key);
    m->merge_rank = malloc(cap * sizeof *m->merge_rank);
    m->merge_to = malloc(cap * sizeof *m->merge_to);
    if (!m->merge_key || !m->merge_rank || !m->merge_to)
        return gm_fail(err, GM_ENOMEM, "out of memory for %zu merges", n);
    memset(m->merge_key, 0xFF, cap * sizeof *m->merge_key);
    m->n_merge_slots = cap;
    return 0;
}

int tok_bpe_add_merge(tok_bpe *m, uint32_t rank, const char *l, size_t ln, const char *r,
                      size_t rn, gm_error *err)
{
    int64_t a = tok_bpe_lookup(m, l, ln), b = tok_bpe_lookup(m, r, rn);
    char *both = malloc(ln + rn + 1);
    if (!both)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    memcpy(both, l, ln);
    memcpy(both + ln, r, rn);
    int64_t to = tok_bpe_lookup(m, both, ln + rn);
    free(both);
    if (a < 0 || b < 0 || to < 0)
        return gm_fail(err, GM_EDATA, "merge %u (\"%.*s\" \"%.*s\"): %s is not in the "
                       "vocabulary", rank, (int)ln, l, (int)rn, r,
                       a < 0 ? "its left part" : b < 0 ? "its right part" : "the merged token");
    uint64_t key = (uint64_t)a << 32 | (uint64_t)b;
    size_t h = mix64(key) & (m->n_merge_slots - 1);
    while (m->merge_key[h] != EMPTY_KEY) {
        if (m->merge_key[h] == key)
            return 0; /* a repeated merge keeps its first (lowest) rank, as HF */
        h = (h + 1) & (m->n_merge_slots - 1);
    }
    m->merge_key[h] = key;
    m->merge_rank[h] = rank;
    m->merge_to[h] = (uint32_t)to;
    return 0;
}

/* The merge of (a, b): its rank, or UINT32_MAX when there is none. */
static uint32_t merge_of(const tok_bpe *m, uint32_t a, uint32_t b, uint32_t *to)
{
    if (!m->n_merge_slots)
        return UINT32_MAX;
    uint64_t key = (uint64_t)a << 32 | b;
    for (size_t h = mix64(key) & (m->n_merge_slots - 1); m->merge_key[h] != EMPTY_KEY;
         h = (h + 1) & (m->n_merge_slots - 1))
        if (m->merge_key[h] == key) {
            *to = m->merge_to[h];
            return m->merge_rank[h];
        }
    return UINT32_MAX;
}

static size_t utf8_len(uint8_t c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* The piece's first symbols: one per byte-level character or UTF-8
 * character, falling back to byte tokens or unk. */
static int initial_symbols(const tok_bpe *m, const char *s, size_t n, tok_ids *sym,
                           gm_error *err)
{
    int last_unk = 0;
    for (size_t i = 0; i < n;) {
        size_t k = m->byte_level ? 1 : utf8_len((uint8_t)s[i]);
        if (i + k > n)
            k = n - i;
        int64_t id;
        if (m->byte_level) {
            size_t cn;
            const char *c = tok_byte_char((uint8_t)s[i], &cn);
            id = tok_bpe_lookup(m, c, cn);
        } else {
            id = tok_bpe_lookup(m, s + i, k);
        }
        if (id >= 0) {
            last_unk = 0;
            if (tok_ids_push(sym, (uint32_t)id, err))
                return -1;
        } else if (m->byte_fallback && !m->byte_level) {
            for (size_t j = 0; j < k; j++) {
                uint32_t b = m->byte_token[(uint8_t)s[i + j]];
                if (b == UINT32_MAX)
                    return gm_fail(err, GM_EDATA, "byte fallback: the vocabulary has no "
                                   "<0x%02X> token", (uint8_t)s[i + j]);
                if (tok_ids_push(sym, b, err))
                    return -1;
            }
            last_unk = 0;
        } else if (m->unk >= 0) {
            if (!(m->fuse_unk && last_unk) && tok_ids_push(sym, (uint32_t)m->unk, err))
                return -1;
            last_unk = 1;
        } else {
            return gm_fail(err, GM_EDATA, "character \"%.*s\" is not in the vocabulary and the "
                           "tokenizer has no unk token", (int)k, s + i);
        }
        i += k;
    }
    return 0;
}

/* A candidate merge in the heap: ordered by rank, then position (HF's
 * order: the lowest rank first, the leftmost of equals). */
typedef struct merge_cand {
    uint32_t rank, pos, left, right, to;
} merge_cand;

static int cand_less(const merge_cand *a, const merge_cand *b)
{
    return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;
}

static void heap_push(merge_cand *h, size_t *n, merge_cand c)
{
    size_t i = (*n)++;
    for (; i > 0 && cand_less(&c, &h[(i - 1) / 2]); i = (i - 1) / 2)
        h[i] = h[(i - 1) / 2];
    h[i] = c;
}

static merge_cand heap_pop(merge_cand *h, size_t *n)
{
    merge_cand top = h[0], last = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && cand_less(&h[c + 1], &h[c]))
            c++;
        if (!cand_less(&h[c], &last))
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n)
        h[i] = last;
    return top;
}

/* Most pieces are a few symbols: the lowest-ranked pair found by a scan,
 * merged, again, without allocating. The same order as the heap below. */
#define SHORT_PIECE 24
static void merge_short(const tok_bpe *m, tok_ids *sym)
{
    for (;;) {
        uint32_t best = UINT32_MAX, to = 0;
        size_t at = 0;
        for (size_t i = 0; i + 1 < sym->n; i++) {
            uint32_t t, r = merge_of(m, sym->v[i], sym->v[i + 1], &t);
            if (r < best) {
                best = r;
                to = t;
                at = i;
            }
        }
        if (best == UINT32_MAX)
            return;
        sym->v[at] = to;
        memmove(sym->v + at + 1, sym->v + at + 2, (sym->n - at - 2) * sizeof *sym->v);
        sym->n--;
    }
}

/* Merge sym in place until no adjacent pair has a merge: symbols in a
 * linked list, candidates in a heap, a popped candidate skipped when its
 * pair has changed since it was pushed. O(k log k) for k symbols. */
static int merge_symbols(const tok_bpe *m, tok_ids *sym, gm_error *err)
{
    size_t k = sym->n;
    if (k < 2)
        return 0;
    if (k <= SHORT_PIECE) {
        merge_short(m, sym);
        return 0;
    }
    uint32_t *next = malloc(k * sizeof *next), *prev = malloc(k * sizeof *prev);
    merge_cand *heap = malloc(3 * k * sizeof *heap); /* k - 1 first, then 2 per merge */
    if (!next || !prev || !heap) {
        free(next);
        free(prev);
        free(heap);
        return gm_fail(err, GM_ENOMEM, "out of memory merging %zu symbols", k);
    }
    const uint32_t none = UINT32_MAX;
    size_t hn = 0;
    for (size_t i = 0; i < k; i++) {
        next[i] = i + 1 < k ? (uint32_t)(i + 1) : none;
        prev[i] = i ? (uint32_t)(i - 1) : none;
        uint32_t to, r;
        if (i + 1 < k && (r = merge_of(m, sym->v[i], sym->v[i + 1], &to)) != UINT32_MAX)
            heap_push(heap, &hn, (merge_cand){r, (uint32_t)i, sym->v[i], sym->v[i + 1], to});
    }
    uint32_t *id = sym->v;
    while (hn) {
        merge_cand c = heap_pop(heap, &hn);
        uint32_t p = c.pos, q = next[p];
        if (id[p] != c.left || q == none || id[q] != c.right || prev[p] == p)
            continue; /* stale: the pair changed */
        id[p] = c.to;
        next[p] = next[q];
        if (next[q] != none)
            prev[next[q]] = p;
        prev[q] = q; /* marks q dead */
        id[q] = none;
        uint32_t to, r;
        if (prev[p] != none && (r = merge_of(m, id[prev[p]], id[p], &to)) != UINT32_MAX)
            heap_push(heap, &hn, (merge_cand){r, prev[p], id[prev[p]], id[p], to});
        if (next[p] != none && (r = merge_of(m, id[p], id[next[p]], &to)) != UINT32_MAX)
            heap_push(heap, &hn, (merge_cand){r, p, id[p], id[next[p]], to});
    }
    size_t out = 0;
    for (uint32_t i = 0; i != none; i = next[i])
        id[out++] = id[i];
    sym->n = out;
    free(next);
    free(prev);
    free(heap);
    return 0;
}

int tok_bpe_encode(const tok_bpe *m, const char *s, size_t n, tok_ids *out, gm_error *err)
{
    if (n == 0)
        return 0;
    if (m->ignore_merges) {
        int64_t whole = -1;
        if (!m->byte_level) {
            whole = tok_bpe_lookup(m, s, n);
        } else if (n <= 256) {
            char buf[512];
            size_t at = 0;
            for (size_t i = 0; i < n; i++) {
                size_t cn;
                const char *c = tok_byte_char((uint8_t)s[i], &cn);
                memcpy(buf + at, c, cn);
                at += cn;
            }
            whole = tok_bpe_lookup(m, buf, at);
        }
        if (whole >= 0)
            return tok_ids_push(out, (uint32_t)whole, err);
    }
    tok_ids sym = {0};
    if (initial_symbols(m, s, n, &sym, err)) {
        tok_ids_free(&sym);
        return -1;
    }
    int rc = merge_symbols(m, &sym, err);
    for (size_t i = 0; i < sym.n && rc == 0; i++)
        rc = tok_ids_push(out, sym.v[i], err);
    tok_ids_free(&sym);
    return rc;
}

void tok_bpe_free(tok_bpe *m)
{
    for (size_t i = 0; i < m->n_vocab; i++)
        free(m->str[i]);
    free(m->str);
    free(m->len);
    free(m->slots);
    free(m->merge_key);
    free(m->merge_rank);
    free(m->merge_to);
    memset(m, 0, sizeof *m);
}
