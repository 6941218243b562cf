/* test_record.c: record streams written and read back through the real
 * files: every field type, empty and huge vectors, plain and LZ4 giving the
 * same records, concatenated streams, truncation reported with its offset. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "record.h"
#include "record_map.h"
#include "test.h"

static char dir[] = "/tmp/gm_test_record_XXXXXX";

static char *path_in_dir(const char *name)
{
    static char buf[8][256];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, 256, "%s/%s", dir, name);
    return p;
}

enum { HUGE_N = 8 << 20 }; /* 8 Mi floats: a 32 MB bin */

static int write_stream(const char *path, int lz4, size_t n_big)
{
    gm_error err = {0};
    gm_output *out = gm_output_open(path, lz4 ? GM_OUT_LZ4 : 0, &err);
    record_writer *w = out ? record_writer_create(out, &err) : NULL;
    if (!w || record_writer_header(w, "test", "1", NULL, NULL, NULL, 0, &err) < 0)
        return -1;
    float f32[3] = {1.5f, -0.0f, INFINITY};
    double f64[2] = {M_PI, -1e300};
    uint32_t u32[2] = {0, 4000000000u};
    uint16_t u16[2] = {7, 65535};
    record_map m;
    record_map_begin(&m, w, "every");
    record_map_str(&m, "s", "h\xc3\xa9llo \"q\"");
    record_map_i64(&m, "neg", -42);
    record_map_i64(&m, "big", INT64_MAX);
    record_map_f64(&m, "x", 0.1);
    record_map_bool(&m, "yes", 1);
    record_map_nil(&m, "none");
    record_map_bin(&m, "f32", f32, sizeof f32);
    record_map_bin(&m, "f64", f64, sizeof f64);
    record_map_bin(&m, "u32", u32, sizeof u32);
    record_map_bin(&m, "u16", u16, sizeof u16);
    record_map_bin(&m, "empty", NULL, 0);
    if (record_map_end(&m, &err) < 0)
        return -1;
    float *big = malloc(n_big * sizeof *big);
    for (size_t i = 0; i < n_big; i++)
        big[i] = (float)i * 0.5f;
    record_map_begin(&m, w, "big");
    record_map_bin(&m, "v", big, n_big * sizeof *big);
    free(big);
    if (record_map_end(&m, &err) < 0)
        return -1;
    return record_writer_close(w, &err);
}

static void check_stream(const char *path, const char *what, size_t n_big)
{
    gm_error err = {0};
    record_reader *r = record_reader_open(path, &err);
    CHECK(r != NULL, "%s: opens (%s)", what, err.msg);
    if (!r)
        return;
    const msgpack_object *rec;
    CHECK(record_reader_next(r, &rec, &err) == 1, "%s: first record", what);
    CHECK(record_is_type(rec, "every"), "%s: type", what);
    char *s = NULL;
    int64_t i64 = 0;
    double f = 0;
    int b = 0;
    CHECK(record_get_str(rec, "s", &s, &err) == 0 && strcmp(s, "h\xc3\xa9llo \"q\"") == 0, "%s: str", what);
    free(s);
    CHECK(record_get_i64(rec, "neg", &i64, &err) == 0 && i64 == -42, "%s: negative int", what);
    CHECK(record_get_i64(rec, "big", &i64, &err) == 0 && i64 == INT64_MAX, "%s: int64 max", what);
    CHECK(record_get_f64(rec, "x", &f, &err) == 0 && f == 0.1, "%s: f64 exact", what);
    CHECK(record_get_bool(rec, "yes", &b, &err) == 0 && b == 1, "%s: bool", what);
    CHECK(record_is_nil(rec, "none") && record_get(rec, "none") != NULL, "%s: nil", what);
    float *v32;
    double *v64;
    uint32_t *u32;
    uint16_t *u16;
    size_t n;
    CHECK(record_get_f32s(rec, "f32", &v32, &n, &err) == 0 && n == 3 && v32[0] == 1.5f &&
              signbit(v32[1]) && isinf(v32[2]), "%s: f32 vector incl. -0 and inf", what);
    free(v32);
    CHECK(record_get_f64s(rec, "f64", &v64, &n, &err) == 0 && n == 2 && v64[0] == M_PI && v64[1] == -1e300,
          "%s: f64 vector", what);
    free(v64);
    CHECK(record_get_u32s(rec, "u32", &u32, &n, &err) == 0 && n == 2 && u32[1] == 4000000000u, "%s: u32 vector", what);
    free(u32);
    CHECK(record_get_u16s(rec, "u16", &u16, &n, &err) == 0 && n == 2 && u16[1] == 65535, "%s: u16 vector", what);
    free(u16);
    CHECK(record_get_f32s(rec, "empty", &v32, &n, &err) == 0 && n == 0 && v32 == NULL, "%s: empty vector", what);
    CHECK(record_get_f64s(rec, "f32", &v64, &n, &err) < 0 && strstr(err.msg, "f32"),
          "%s: a 12-byte bin is not an f64 vector: %s", what, err.msg);
    CHECK(record_get_i64(rec, "missing", &i64, &err) < 0 && strstr(err.msg, "lacks field \"missing\""),
          "%s: missing field named: %s", what, err.msg);
    CHECK(record_reader_next(r, &rec, &err) == 1 && record_is_type(rec, "big"), "%s: big record", what);
    CHECK(record_get_f32s(rec, "v", &v32, &n, &err) == 0 && n == n_big, "%s: %zu-element vector", what, n_big);
    int same = 1;
    for (size_t i = 0; i < n && same; i++)
        same = v32[i] == (float)i * 0.5f;
    CHECK(same, "%s: big vector values", what);
    free(v32);
    CHECK(record_reader_next(r, &rec, &err) == 0, "%s: clean end", what);
    record_reader_close(r);
}

static void check_truncated(const char *src, const char *dst)
{
    FILE *f = fopen(src, "rb");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)size);
    CHECK(fread(buf, 1, (size_t)size, f) == (size_t)size, "read %s", src);
    fclose(f);
    f = fopen(dst, "wb");
    fwrite(buf, 1, (size_t)size - 10, f); /* cut inside the big record */
    fclose(f);
    free(buf);
    gm_error err = {0};
    record_reader *r = record_reader_open(dst, &err);
    const msgpack_object *rec;
    int got;
    while ((got = record_reader_next(r, &rec, &err)) > 0) {
    }
    CHECK(got < 0 && strstr(err.msg, "truncated") && strstr(err.msg, "record 3 at byte"),
          "truncated stream is an error naming record and offset: %s", err.msg);
    record_reader_close(r);
}

/* record_map counts its keys and puts the map header in front in msgpack's
 * smallest form: fixmap up to 15 keys, map16, map32 (70000 keys). */
static void check_counted_maps(const char *path)
{
    static const uint32_t sizes[] = {1, 15, 16, 70000};
    enum { N_SIZES = sizeof sizes / sizeof sizes[0] };
    gm_error err = {0};
    gm_output *out = gm_output_open(path, 0, &err);
    record_writer *w = out ? record_writer_create(out, &err) : NULL;
    int ok = w && record_writer_header(w, "test", "1", NULL, NULL, NULL, 0, &err) == 0;
    for (size_t k = 0; ok && k < N_SIZES; k++) {
        record_map m;
        record_map_begin(&m, w, "keys");
        for (uint32_t i = 1; i < sizes[k]; i++) {
            char key[16];
            snprintf(key, sizeof key, "k%u", (unsigned)i);
            record_map_i64(&m, key, i);
        }
        ok = record_map_end(&m, &err) == 0;
    }
    CHECK(ok && record_writer_close(w, &err) == 0, "counted maps written (%s)", err.msg);
    record_reader *r = record_reader_open(path, &err);
    const msgpack_object *rec;
    for (size_t k = 0; r && k < N_SIZES; k++) {
        int got = record_reader_next(r, &rec, &err);
        int64_t last = 0;
        char key[16];
        snprintf(key, sizeof key, "k%u", (unsigned)(sizes[k] - 1));
        CHECK(got == 1 && rec->via.map.size == sizes[k] && record_is_type(rec, "keys")
                  && (sizes[k] == 1 || (record_get_i64(rec, key, &last, &err) == 0
                                        && last == (int64_t)sizes[k] - 1)),
              "a map of %u keys reads back whole", (unsigned)sizes[k]);
    }
    CHECK(r && record_reader_next(r, &rec, &err) == 0, "and nothing after them");
    record_reader_close(r);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    CHECK(write_stream(path_in_dir("plain.mpk"), 0, HUGE_N) == 0, "write plain");
    CHECK(write_stream(path_in_dir("packed.mpk.lz4"), 0, HUGE_N) == 0, "write .lz4 name");
    check_stream(path_in_dir("plain.mpk"), "plain", HUGE_N);
    check_stream(path_in_dir("packed.mpk.lz4"), "lz4", HUGE_N);
    check_truncated(path_in_dir("plain.mpk"), path_in_dir("cut.mpk"));
    check_counted_maps(path_in_dir("maps.mpk"));

    /* headers: provenance */
    gm_error err = {0};
    record_reader *r = record_reader_open(path_in_dir("plain.mpk"), &err);
    const msgpack_object *h = record_reader_header(r);
    char *stage = NULL;
    CHECK(record_get_str(h, "stage", &stage, &err) == 0 && strcmp(stage, "test") == 0, "header stage kept");
    free(stage);
    CHECK(record_reader_header_count(r) == 1, "one header");
    record_reader_close(r);

    r = record_reader_open(path_in_dir("nothing-here.mpk"), &err);
    CHECK(r == NULL && err.code == GM_EIO && strstr(err.msg, "cannot open"), "missing file: %s", err.msg);

    char cmd[1024];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    return test_status();
}
