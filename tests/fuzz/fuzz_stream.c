/* fuzz_stream: the record stream decoder (common/input.c, common/record.c)
 * over arbitrary bytes, plain or LZ4 (detected by magic, as in every stage),
 * then every typed getter on every field and dump's JSON printer. Checks the
 * promises of record.h: an error always has a code and a one-line message.
 * It does not fuzz the writer. Spec: docs/records.md "Streams"; issue 7. */
#include <string.h>

#include "../../stages/dump/json_out.h"
#include "fuzz.h"
#include "record.h"

#define MAX_RECORDS 4096

/* Every getter on every string key of the record; each must either succeed
 * or fail with a message, never read out of bounds. */
static void poke_fields(const msgpack_object *rec)
{
    char type[64];
    record_type(rec, type, sizeof type);
    for (uint32_t i = 0; i < rec->via.map.size; i++) {
        const msgpack_object *k = &rec->via.map.ptr[i].key;
        if (k->type != MSGPACK_OBJECT_STR || k->via.str.size >= 64)
            continue;
        char key[64];
        memcpy(key, k->via.str.ptr, k->via.str.size);
        key[k->via.str.size] = 0;
        gm_error err = {0};
        char *s = NULL;
        int64_t i64;
        double f64;
        int b;
        float *f32s = NULL;
        double *f64s = NULL;
        uint32_t *u32s = NULL;
        uint16_t *u16s = NULL;
        size_t n = 0;
        if (record_get_str(rec, key, &s, &err) == 0)
            free(s);
        (void)record_get_i64(rec, key, &i64, &err);
        (void)record_get_f64(rec, key, &f64, &err);
        (void)record_get_bool(rec, key, &b, &err);
        if (record_get_f32s(rec, key, &f32s, &n, &err) == 0) {
            FUZZ_ASSERT(n == 0 || f32s);
            if (n)
                f64 += f32s[n - 1];
            free(f32s);
        }
        if (record_get_f64s(rec, key, &f64s, &n, &err) == 0) {
            if (n)
                f64 += f64s[n - 1];
            free(f64s);
        }
        if (record_get_u32s(rec, key, &u32s, &n, &err) == 0) {
            if (n)
                i64 = u32s[n - 1];
            free(u32s);
        }
        if (record_get_u16s(rec, key, &u16s, &n, &err) == 0) {
            if (n)
                i64 = u16s[n - 1];
            free(u16s);
        }
        (void)record_is_nil(rec, key);
        (void)i64;
        (void)f64;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    gm_error err = {0};
    record_reader *r = record_reader_open(path, &err);
    if (!r) {
        FUZZ_ASSERT_ERROR(&err);
        fuzz_file_close(fd);
        return 0;
    }
    FUZZ_ASSERT(record_reader_header_count(r) == 1);
    FUZZ_ASSERT(record_reader_header(r)->type == MSGPACK_OBJECT_MAP);
    textbuf s = {0};
    json_out_record(&s, record_reader_header(r), 4);
    const msgpack_object *rec;
    int got = 0, n = 0;
    while (n < MAX_RECORDS && (got = record_reader_next(r, &rec, &err)) > 0) {
        FUZZ_ASSERT(rec->type == MSGPACK_OBJECT_MAP);
        FUZZ_ASSERT(!record_is_type(rec, "header"));
        FUZZ_ASSERT(strlen(record_reader_where(r)) > 0);
        poke_fields(rec);
        s.len = 0;
        json_out_record(&s, rec, (size_t)(n % 3) * 2);
        FUZZ_ASSERT(s.oom || (s.len > 0 && s.p[s.len - 1] == '\n'));
        n++;
    }
    if (n < MAX_RECORDS && got < 0)
        FUZZ_ASSERT_ERROR(&err);
    for (size_t i = 0; i < record_reader_header_count(r); i++) {
        const char *bytes;
        size_t len;
        record_reader_header_bytes(r, i, &bytes, &len);
        FUZZ_ASSERT(bytes && len > 0);
    }
    textbuf_free(&s);
    record_reader_close(r);
    fuzz_file_close(fd);
    return 0;
}
