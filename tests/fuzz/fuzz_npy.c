/* fuzz_npy: the reader's .npy header parser (npy_header_parse, from memory)
 * and the npy token source on the same bytes as a file: 1-D arrays cut into
 * windows and 2-D rows. On success the declared array must fit in the file
 * and every instance handed out must have row_len tokens. Spec: design.md
 * "reader"; docs/records.md "sample". It does not fuzz raw token files. */
#include <string.h>

#include "fuzz.h"
#include "reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    npy_header h;
    gm_error err = {0};
    if (npy_header_parse(data, size, &h, &err) < 0) {
        FUZZ_ASSERT_ERROR(&err);
        return 0;
    }
    FUZZ_ASSERT(h.ndim == 1 || h.ndim == 2);
    FUZZ_ASSERT(h.width == tok_width(h.dtype) && h.width > 0);
    uint64_t count = 1;
    for (int i = 0; i < h.ndim; i++) {
        FUZZ_ASSERT(h.shape[i] >= 0);
        count *= (uint64_t)h.shape[i];
    }
    FUZZ_ASSERT(h.data_offset <= size && count * (uint64_t)h.width <= size - h.data_offset);

    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    const char *paths[] = {path, path}; /* the same file twice: parts concatenate */
    source_config cfg = {.paths = paths, .n_paths = 1 + (size & 1), .seq_len = 3};
    token_source src;
    if (npy_source_open(&cfg, &src, &err) < 0) {
        FUZZ_ASSERT_ERROR(&err);
    } else {
        int64_t per_file = h.ndim == 2 ? h.shape[0] : h.shape[0] / 3;
        FUZZ_ASSERT(src.n_instances == per_file * (int64_t)cfg.n_paths);
        for (int64_t i = 0; i < src.n_instances && i < 64; i++) {
            sample_view v;
            if (token_source_get(&src, i, &v, &err) < 0) {
                FUZZ_ASSERT(err.msg[0] && !strchr(err.msg, '\n'));
                continue;
            }
            FUZZ_ASSERT(v.n_tokens == (size_t)(h.ndim == 2 ? h.shape[1] : 3));
            FUZZ_ASSERT(v.tokens && v.source && v.where);
        }
        token_source_close(&src);
    }
    fuzz_file_close(fd);
    return 0;
}
