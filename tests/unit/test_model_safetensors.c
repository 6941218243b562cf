/* test_model_safetensors.c: the safetensors parser and the shard index on
 * hand-written files: values and lookups of a good file, then one broken file
 * per rule (truncation, header length, offsets past the end, overlap, size
 * mismatch, unknown dtype, bad JSON), each a located one-line error. */
#include <string.h>

#include "model.h"
#include "safetensors.h"
#include "test.h"
#include "test_model_fixture.h"

static char dir[64], path[256];

/* Open path expecting failure; the message must contain both fragments. */
static void expect_fail(const char *what, const char *frag)
{
    gm_error err = {0};
    st_file *f = st_file_open(path, &err);
    CHECK(!f && err.code == GM_EDATA && strstr(err.msg, frag) && strstr(err.msg, path) &&
              !strchr(err.msg, '\n'),
          "%s: %s", what, err.msg);
    st_file_close(f);
}

static void test_good_file(void)
{
    fx_tensor ts[3] = {
        {"b.weight", "F32", 2, {3, 5}, 4},
        {"a.weight", "BF16", 1, {7}, 9},
        {"c.weight", "F16", 3, {2, 2, 3}, 2},
    };
    CHECK(fx_write(path, ts, 3) == 0, "wrote %s", path);
    gm_error err = {0};
    st_file *f = st_file_open(path, &err);
    CHECK(f != NULL, "opened: %s", f ? "" : err.msg);
    if (!f)
        return;
    CHECK(f->n == 3, "3 tensors (got %zu)", f->n);
    CHECK(st_file_find(f, "nope") == NULL, "absent name not found");
    for (int i = 0; i < 3; i++) {
        const st_tensor *t = st_file_find(f, ts[i].name);
        CHECK(t && strcmp(t->dtype_name, ts[i].dtype) == 0 && t->ndim == ts[i].ndim &&
                  t->numel == fx_numel(&ts[i]),
              "%s: dtype %s, %d dims, %lld elements", ts[i].name, ts[i].dtype, ts[i].ndim,
              (long long)fx_numel(&ts[i]));
        if (!t)
            continue;
        gm_tensor g = {.name = t->name, .data = t->data, .dtype = (gm_dtype)t->dtype,
                       .ndim = t->ndim, .numel = t->numel};
        float out[16];
        tensor_widen(&g, 0, t->numel, out);
        int same = 1;
        for (int64_t k = 0; k < t->numel; k++)
            same &= out[k] == fx_value(ts[i].seed, k);
        CHECK(same, "%s: values read back exactly", ts[i].name);
        float part[4];
        tensor_widen(&g, 2, 3, part);
        CHECK(part[0] == fx_value(ts[i].seed, 2) && part[2] == fx_value(ts[i].seed, 4),
              "%s: widen from an offset", ts[i].name);
    }
    st_file_close(f);
}

static void test_broken_files(void)
{
    fx_write_bytes(path, "\x10\0\0", 3);
    expect_fail("shorter than 8 bytes", "truncated");

    unsigned char big[16] = {0xff, 0xff, 0, 0, 0, 0, 0, 0, '{', '}'};
    fx_write_bytes(path, big, 10);
    expect_fail("header length past the file", "header length 65535 runs past the end");

    fx_write_header(path, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
    expect_fail("offsets past the file", "tensor w: data_offsets [0, 16] run past the end");

    fx_write_header(path,
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                    "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
                    16);
    expect_fail("overlapping tensors", "overlap");

    fx_write_header(path, "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 16);
    expect_fail("size not dtype x shape", "span 16 bytes, dtype F32 x shape needs 12");

    fx_write_header(path, "{\"w\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,2]}}", 2);
    expect_fail("unknown dtype", "tensor w has unknown dtype \"Q4\"");

    fx_write_header(path, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],", 16);
    expect_fail("bad JSON", "header is not valid JSON");

    fx_write_header(path, "[1, 2]", 0);
    expect_fail("header not an object", "not a JSON object");

    fx_write_header(path, "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0);
    expect_fail("negative dimension", "shape[0] is not a non-negative integer");

    fx_write_header(path, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 8);
    expect_fail("end before begin", "0 <= begin <= end");

    fx_write_header(path, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                          "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8);
    expect_fail("duplicate tensor name", "duplicate");

    /* a legal oddity: empty tensors at the same offset do not overlap */
    fx_write_header(path,
                    "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},"
                    "\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}",
                    8);
    gm_error err = {0};
    st_file *f = st_file_open(path, &err);
    CHECK(f && st_file_find(f, "b") && st_file_find(f, "b")->dtype == -1 &&
              st_file_find(f, "b")->elem_size == 8,
          "empty tensor and an I64 tensor accepted (%s)", f ? "" : err.msg);
    st_file_close(f);

    char missing[300];
    snprintf(missing, sizeof missing, "%s/absent.safetensors", dir);
    f = st_file_open(missing, &err);
    CHECK(!f && err.code == GM_EIO && strstr(err.msg, "absent.safetensors: cannot open"),
          "missing file is an I/O error: %s", err.msg);
}

static void test_index(void)
{
    char ipath[300];
    snprintf(ipath, sizeof ipath, "%s/model.safetensors.index.json", dir);
    fx_write_text(ipath, "{\"metadata\": {\"total_size\": 10}, \"weight_map\": {"
                         "\"z\": \"s2.safetensors\", \"a\": \"s1.safetensors\", "
                         "\"m\": \"s2.safetensors\"}}");
    gm_error err = {0};
    st_index *ix = st_index_read(ipath, &err);
    CHECK(ix && ix->n == 3 && ix->n_shards == 2, "index: 3 names in 2 shards (%s)",
          ix ? "" : err.msg);
    if (ix) {
        CHECK(strcmp(st_index_file_of(ix, "a"), "s1.safetensors") == 0 &&
                  strcmp(st_index_file_of(ix, "m"), "s2.safetensors") == 0 &&
                  strcmp(st_index_file_of(ix, "z"), "s2.safetensors") == 0 &&
                  !st_index_file_of(ix, "b"),
              "index lookups");
        CHECK(strcmp(ix->shards[0], "s2.safetensors") == 0, "shards in first-seen order");
    }
    st_index_free(ix);

    fx_write_text(ipath, "{\"weight_map\": {\"a\": \"../x.safetensors\"}}");
    ix = st_index_read(ipath, &err);
    CHECK(!ix && strstr(err.msg, "weight_map entry for a must be a file name"),
          "index refuses paths outside the folder: %s", err.msg);
    fx_write_text(ipath, "{\"metadata\": {}}");
    ix = st_index_read(ipath, &err);
    CHECK(!ix && strstr(err.msg, "missing or non-object \"weight_map\""),
          "index without weight_map: %s", err.msg);
    fx_write_text(ipath, "{\"weight_map\": {\"a\": \"s1\", ");
    ix = st_index_read(ipath, &err);
    CHECK(!ix && strstr(err.msg, "not valid JSON") && strstr(err.msg, "index.json"),
          "index with bad JSON: %s", err.msg);
}

int main(void)
{
    char *d = fx_tmpdir();
    if (!d)
        return 1;
    snprintf(dir, sizeof dir, "%s", d);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    test_good_file();
    test_broken_files();
    test_index();
    fx_rmdir(dir);
    free(d);
    return test_status();
}
