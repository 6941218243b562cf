/* tokenizer.h: a checkpoint's own tokenizer, read from its tokenizer.json
 * (the HF tokenizers format), turning text into the ids the model was
 * trained on. The pipeline is HF's: added tokens split out first, then the
 * normalizer (NFC, NFKC, Prepend, Replace, Sequence), the pre-tokenizer
 * (ByteLevel, Split, Metaspace, Digits, Sequence) and the BPE model (merges by
 * rank, byte-level or with byte fallback). Whatever a tokenizer.json asks for
 * that is not implemented is refused at load with one line naming it. No
 * post-processor runs: special tokens come only from the reader's
 * --prepend-bos / --append-eos. Spec: issue 14, docs/reader.md "Text". */
#ifndef GM_TOKENIZER_H
#define GM_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct tokenizer tokenizer;

/* path: a tokenizer.json, or a folder holding one. NULL on error. */
tokenizer *tokenizer_load(const char *path, gm_error *err);
void tokenizer_free(tokenizer *t);

/* A growable list of ids. */
typedef struct tok_ids {
    uint32_t *v;
    size_t n, cap;
} tok_ids;

int tok_ids_push(tok_ids *ids, uint32_t id, gm_error *err);
void tok_ids_free(tok_ids *ids);

/* Append the ids of text[0..len) (UTF-8; invalid UTF-8 is an error naming
 * the byte offset) to out. */
int tokenizer_encode(tokenizer *t, const char *text, size_t len, tok_ids *out, gm_error *err);

/* The byte offset of the first invalid UTF-8 sequence in s[0..n), or n. */
size_t utf8_invalid_at(const char *s, size_t n);
/* s[0..n) with each byte that starts no valid UTF-8 sequence replaced by
 * U+FFFD (malloc'd, NUL-terminated). */
int utf8_replace_invalid(const char *s, size_t n, char **out, size_t *out_n, gm_error *err);

/* The id of a token by its content (vocabulary or added tokens); -1 if none. */
int64_t tokenizer_token_id(const tokenizer *t, const char *content);
/* The token ids named in the tokenizer.json's post-processor or added tokens
 * as BOS / EOS (by the usual contents: <s>, </s>, <|endoftext|>,
 * <|begin_of_text|>, ...); -1 when there is none. */
int64_t tokenizer_bos(const tokenizer *t);
int64_t tokenizer_eos(const tokenizer *t);
/* One past the largest id it can emit (vocabulary and added tokens). */
size_t tokenizer_vocab_size(const tokenizer *t);

#endif
