/* fuzz_safetensors: st_file_open (common/safetensors.c) on arbitrary bytes:
 * the 8-byte header length, the JSON header, dtypes, shapes, data_offsets.
 * On success every promise of safetensors.h is checked: each tensor's bytes
 * lie inside the file, size = dtype x shape, no two overlap, the table is
 * sorted and st_file_find finds every name. Spec: olmoe.md "Files". */
#include <string.h>

#include "fuzz.h"
#include "model.h"
#include "safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    gm_error err = {0};
    st_file *f = st_file_open(path, &err);
    if (!f) {
        FUZZ_ASSERT_ERROR(&err);
        fuzz_file_close(fd);
        return 0;
    }
    FUZZ_ASSERT(f->size == size && 8 + f->header_len <= size);
    const uint8_t *lo = (const uint8_t *)f->map + 8 + f->header_len;
    const uint8_t *hi = (const uint8_t *)f->map + f->size;
    for (size_t i = 0; i < f->n; i++) {
        const st_tensor *t = &f->tensors[i];
        FUZZ_ASSERT(t->begin <= t->end);
        FUZZ_ASSERT(t->end <= (uint64_t)(hi - lo));
        FUZZ_ASSERT((const uint8_t *)t->data == lo + t->begin);
        FUZZ_ASSERT(t->ndim >= 0 && t->ndim <= ST_MAX_DIMS);
        FUZZ_ASSERT(t->elem_size > 0);
        int64_t numel = 1;
        for (int d = 0; d < t->ndim; d++) {
            FUZZ_ASSERT(t->shape[d] >= 0);
            numel *= t->shape[d];
        }
        FUZZ_ASSERT(numel == t->numel);
        FUZZ_ASSERT((uint64_t)t->numel * (uint64_t)t->elem_size == t->end - t->begin);
        FUZZ_ASSERT(st_file_find(f, t->name) == t);
        if (i > 0)
            FUZZ_ASSERT(strcmp(f->tensors[i - 1].name, t->name) < 0);
        for (size_t j = 0; j < i; j++) { /* no overlap between non-empty tensors */
            const st_tensor *u = &f->tensors[j];
            if (t->begin < t->end && u->begin < u->end)
                FUZZ_ASSERT(t->end <= u->begin || u->end <= t->begin);
        }
        if (t->end > t->begin) { /* touch the first and last byte */
            volatile uint8_t a = ((const uint8_t *)t->data)[0];
            volatile uint8_t b = ((const uint8_t *)t->data)[t->end - t->begin - 1];
            (void)a;
            (void)b;
        }
        if (t->dtype >= 0 && t->numel > 0) { /* widen what a model would widen */
            gm_tensor g = {.name = t->name, .data = t->data, .dtype = (gm_dtype)t->dtype,
                           .ndim = 1, .shape = {t->numel}, .numel = t->numel};
            int64_t n = t->numel < 64 ? t->numel : 64;
            float out[64];
            tensor_widen(&g, t->numel - n, n, out);
        }
    }
    FUZZ_ASSERT(st_file_find(f, "\x01 no such tensor") == NULL);
    st_file_close(f);
    fuzz_file_close(fd);
    return 0;
}
