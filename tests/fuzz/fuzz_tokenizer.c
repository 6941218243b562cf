/* fuzz_tokenizer: tokenizer_load (common/tokenizer_load.c) on arbitrary bytes
 * as tokenizer.json, and, when it loads, tokenizer_encode on text. The input
 * is split at its first NUL byte: before it the tokenizer.json, after it the
 * text (none: a fixed text with the hard cases). A refusal must be an error
 * with a one-line message; an encoding must give ids below the vocabulary
 * (or an added token's id), or an error. Spec: issue 14. */
#include <string.h>

#include "fuzz.h"
#include "tokenizer.h"

static const char fixed_text[] = "Hello  world\n\tIt's 123 東京 😀 cafe\u0301 <|endoftext|> <s>";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t json_n = nul ? (size_t)(nul - data) : size;
    char path[64];
    int fd = fuzz_file(data, json_n, path, sizeof path);
    if (fd < 0)
        return 0;
    gm_error err = {0};
    tokenizer *t = tokenizer_load(path, &err);
    if (!t) {
        FUZZ_ASSERT_ERROR(&err);
    } else {
        const char *text = nul ? (const char *)nul + 1 : fixed_text;
        size_t n = nul ? size - json_n - 1 : sizeof fixed_text - 1;
        tok_ids ids = {0};
        if (tokenizer_encode(t, text, n, &ids, &err) < 0) {
            FUZZ_ASSERT_ERROR(&err);
        } else {
            size_t top = tokenizer_vocab_size(t);
            for (size_t i = 0; i < ids.n; i++)
                FUZZ_ASSERT(ids.v[i] < top);
        }
        tok_ids_free(&ids);
        tokenizer_free(t);
    }
    fuzz_file_close(fd);
    return 0;
}
