/* fuzz_shard_index: st_index_read (common/safetensors.c) on arbitrary bytes
 * as model.safetensors.index.json. On success: names sorted and unique, every
 * file a plain name in the same folder and one of the listed shards, and
 * st_index_file_of agrees with the table. Spec: olmoe.md "Files". */
#include <string.h>

#include "fuzz.h"
#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    gm_error err = {0};
    st_index *ix = st_index_read(path, &err);
    if (!ix) {
        FUZZ_ASSERT_ERROR(&err);
        fuzz_file_close(fd);
        return 0;
    }
    FUZZ_ASSERT(ix->n_shards <= ix->n);
    for (size_t i = 0; i < ix->n; i++) {
        FUZZ_ASSERT(i == 0 || strcmp(ix->names[i - 1], ix->names[i]) < 0);
        FUZZ_ASSERT(ix->files[i][0] && !strchr(ix->files[i], '/'));
        FUZZ_ASSERT(strcmp(ix->files[i], ".") && strcmp(ix->files[i], ".."));
        FUZZ_ASSERT(st_index_file_of(ix, ix->names[i]) == ix->files[i]);
        size_t s = 0;
        while (s < ix->n_shards && ix->shards[s] != ix->files[i])
            s++;
        FUZZ_ASSERT(s < ix->n_shards);
    }
    st_index_free(ix);
    fuzz_file_close(fd);
    return 0;
}
