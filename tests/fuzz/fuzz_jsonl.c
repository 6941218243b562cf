/* fuzz_jsonl: the reader's JSON Lines token source (stages/reader/jsonl.c)
 * on arbitrary bytes: line indexing, JSON parsing, token ids, "id" and
 * "domain" and the repeated-id check. Every instance either comes back with
 * at least one token or fails with a one-line message naming file:line.
 * Spec: design.md "reader"; docs/records.md "sample". */
#include <string.h>

#include "fuzz.h"
#include "reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    const char *paths[] = {path, path};
    source_config cfg = {.paths = paths, .n_paths = 1 + (size & 1)};
    token_source src;
    gm_error err = {0};
    if (jsonl_source_open(&cfg, &src, &err) < 0) {
        FUZZ_ASSERT_ERROR(&err);
        fuzz_file_close(fd);
        return 0;
    }
    FUZZ_ASSERT(src.n_instances >= 0 && (uint64_t)src.n_instances <= size * cfg.n_paths);
    for (int64_t i = 0; i < src.n_instances && i < 256; i++) {
        sample_view v;
        if (token_source_get(&src, i, &v, &err) < 0) {
            FUZZ_ASSERT(err.code != GM_OK && !strchr(err.msg, '\n'));
            FUZZ_ASSERT(strstr(err.msg, path) == err.msg || err.code == GM_ENOMEM);
            continue;
        }
        FUZZ_ASSERT(v.n_tokens > 0 && v.tokens && v.source && v.where);
        FUZZ_ASSERT(!v.id || v.id[0]);
        FUZZ_ASSERT(!v.domain || v.domain[0]);
    }
    token_source_close(&src);
    fuzz_file_close(fd);
    return 0;
}
