/* tokenizer_impl.h: the parts of the tokenizer (tokenizer.h) as tokenizer.json
 * describes them, shared by tokenizer_load.c (reading), tokenizer_normalize.c,
 * tokenizer_pretokenize.c, tokenizer_bpe.c and tokenizer_encode.c (running).
 * Only those files include it. */
#ifndef GM_TOKENIZER_IMPL_H
#define GM_TOKENIZER_IMPL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "tokenizer.h"

/* ---- text pieces -------------------------------------------------------- */

/* One piece of text (owned bytes). */
typedef struct tok_piece {
    char *s;
    size_t n;
} tok_piece;

typedef struct tok_pieces {
    tok_piece *v;
    size_t n, cap;
} tok_pieces;

int tok_pieces_push(tok_pieces *p, const char *s, size_t n, gm_error *err);
void tok_pieces_free(tok_pieces *p);

/* ---- normalizers (tokenizer_normalize.c) ------------------------------------ */

typedef enum { NORM_NFC, NORM_NFKC, NORM_PREPEND, NORM_REPLACE } norm_kind;

typedef struct tok_normalizer {
    norm_kind kind;
    char *text;          /* PREPEND: what; REPLACE: the replacement */
    char *pattern;       /* REPLACE: the literal searched for */
} tok_normalizer;

/* Apply the normalizers in order to s[0..n); the result (malloc'd) in *out. */
int tok_normalize(const tok_normalizer *norms, size_t n_norms, const char *s, size_t n,
                  char **out, size_t *out_n, gm_error *err);

/* ---- pre-tokenizers (tokenizer_pretokenize.c) -------------------------------- */

typedef enum { PRE_BYTELEVEL, PRE_SPLIT, PRE_METASPACE, PRE_DIGITS } pre_kind;
typedef enum { SPLIT_ISOLATED, SPLIT_REMOVED, SPLIT_PREVIOUS, SPLIT_NEXT, SPLIT_CONTIGUOUS } split_kind;
typedef enum { PREPEND_ALWAYS, PREPEND_FIRST, PREPEND_NEVER } prepend_kind;

typedef struct tok_pretok {
    pre_kind kind;
    /* BYTELEVEL */
    int add_prefix_space, use_regex;
    /* SPLIT (and BYTELEVEL with use_regex: the GPT-2 pattern) */
    pcre2_code *re;
    split_kind behavior;
    /* METASPACE */
    char *replacement;
    prepend_kind prepend;
    int split;
    /* DIGITS */
    int individual;
} tok_pretok;

/* Split each piece of *pieces in place by every pre-tokenizer in order.
 * first: the text is the start of the input (Metaspace's "first"). */
int tok_pretokenize(const tok_pretok *pre, size_t n_pre, tok_pieces *pieces, int first,
                    pcre2_match_data *md, gm_error *err);
/* The GPT-2 split pattern, compiled (UTF, UCP, JIT when available). */
pcre2_code *tok_regex_compile(const char *pattern, int literal, gm_error *err);

/* ---- the BPE model (tokenizer_bpe.c) ----------------------------------------- */

typedef struct tok_bpe {
    /* the vocabulary: id -> content, and content -> id through a hash */
    char **str;
    uint32_t *len;
    size_t n_vocab;       /* ids 0..n_vocab-1 (holes: str NULL) */
    uint32_t *slots;      /* open addressing, id + 1 (0 = empty) */
    size_t n_slots;       /* a power of 2 */
    /* the merges: (left id, right id) -> rank and merged id */
    uint64_t *merge_key;  /* left << 32 | right, ~0 = empty */
    uint32_t *merge_rank, *merge_to;
    size_t n_merge_slots;
    int byte_level;       /* symbols are the bytes' GPT-2 characters */
    int byte_fallback;    /* unknown characters become <0xXX> tokens */
    int ignore_merges;    /* a whole word in the vocabulary is one token */
    int fuse_unk;
    int64_t unk;          /* the unk token's id, or -1 */
    uint32_t byte_token[256]; /* byte_fallback: <0xXX> ids (UINT32_MAX: missing) */
} tok_bpe;

int tok_bpe_add_token(tok_bpe *m, uint32_t id, const char *s, size_t n, gm_error *err);
int64_t tok_bpe_lookup(const tok_bpe *m, const char *s, size_t n);
/* Index the vocabulary (after every add) and prepare merges for n merges. */
int tok_bpe_index(tok_bpe *m, gm_error *err);
int tok_bpe_merges_init(tok_bpe *m, size_t n, gm_error *err);
/* Merge rank r: left + right (contents); an error names a missing token. */
int tok_bpe_add_merge(tok_bpe *m, uint32_t rank, const char *l, size_t ln, const char *r,
                      size_t rn, gm_error *err);
/* Encode one pre-tokenized piece; ids appended to out. */
int tok_bpe_encode(const tok_bpe *m, const char *s, size_t n, tok_ids *out, gm_error *err);
void tok_bpe_free(tok_bpe *m);

/* GPT-2's byte -> character map (tokenizer_bpe.c): the UTF-8 of byte b's character. */
const char *tok_byte_char(uint8_t b, size_t *n);

/* ---- added tokens and the whole (tokenizer_encode.c, tokenizer_load.c) ----------- */

typedef struct tok_added {
    char *content;
    size_t n;
    uint32_t id;
    int lstrip, rstrip, special;
} tok_added;

struct tokenizer {
    tok_normalizer *norms;
    size_t n_norms;
    tok_pretok *pre;
    size_t n_pre;
    tok_bpe bpe;
    tok_added *added;
    size_t n_added;
    uint8_t added_first[256]; /* 1: some added token starts with this byte */
    int64_t bos, eos;
    pcre2_match_data *md;
};

#endif
