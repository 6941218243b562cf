/* fuzz_indices: the reader's selection files (stages/reader/select.c): an
 * --indices list (text, one index per line) and OLMo --global-indices (raw
 * u32 or .npy) for a training step, both on the same fuzz bytes. Whatever
 * is accepted must name instances in [0, n), an --indices list none twice.
 * Spec: design.md "reader" (selection by index list and by step). */
#include <string.h>

#include "fuzz.h"
#include "reader.h"

#define N_INSTANCES 1000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    gm_error err = {0};
    selection s;
    memset(&s, 0, sizeof s);
    if (selection_indices_file(&s, path, N_INSTANCES, &err) < 0) {
        FUZZ_ASSERT_ERROR(&err);
    } else {
        size_t n = selection_count(&s);
        uint8_t seen[N_INSTANCES] = {0};
        for (size_t i = 0; i < n; i++) {
            int64_t x = selection_at(&s, i);
            FUZZ_ASSERT(x >= 0 && x < N_INSTANCES && !seen[x]);
            seen[x] = 1;
        }
        if (n > 3 && selection_sample(&s, 3, size, &err) == 0)
            FUZZ_ASSERT(selection_count(&s) == 3);
    }
    selection_free(&s);
    memset(&s, 0, sizeof s);
    int64_t step = 1 + (size % 3), batch = 1 + (size % 5);
    if (selection_olmo_step(&s, path, step, batch, N_INSTANCES, &err) < 0) {
        FUZZ_ASSERT_ERROR(&err);
    } else {
        FUZZ_ASSERT(selection_count(&s) == (size_t)batch);
        for (size_t i = 0; i < selection_count(&s); i++) {
            int64_t x = selection_at(&s, i);
            FUZZ_ASSERT(x >= 0 && x < N_INSTANCES);
        }
    }
    selection_free(&s);
    fuzz_file_close(fd);
    return 0;
}
