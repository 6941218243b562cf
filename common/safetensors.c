/* safetensors.c: parse and validate a .safetensors file (8-byte little-endian
 * header length, JSON header read with jansson, tensor bytes after it) and the
 * shard index. The file is mapped once and never copied; tensors point into
 * the mapping. Nothing here knows model names or shapes (that is model.c).
 * Spec: olmoe.md "Files". */
#include "safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"
#include "tensor.h"

/* Every dtype the format defines; only three are computed with (gm_dtype). */
static const struct {
    const char *name;
    int size;
    int dtype;
} st_dtypes[] = {
    {"F32", 4, GM_F32},  {"BF16", 2, GM_BF16}, {"F16", 2, GM_F16},
    {"F64", 8, -1},      {"I64", 8, -1},       {"I32", 4, -1},
    {"I16", 2, -1},      {"I8", 1, -1},        {"U64", 8, -1},
    {"U32", 4, -1},      {"U16", 2, -1},       {"U8", 1, -1},
    {"BOOL", 1, -1},     {"F8_E4M3", 1, -1},   {"F8_E5M2", 1, -1},
};

static int tensor_cmp_name(const void *a, const void *b)
{
    return strcmp(((const st_tensor *)a)->name, ((const st_tensor *)b)->name);
}

static int tensor_ptr_cmp_begin(const void *a, const void *b)
{
    const st_tensor *x = *(const st_tensor *const *)a, *y = *(const st_tensor *const *)b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* Fill t from one header entry; data_size is the data area's length. */
static int tensor_parse(st_file *f, const char *name, json_t *v, uint64_t data_size,
                        st_tensor *t, gm_error *err)
{
    const char *p = f->path;
    if (!json_is_object(v))
        return gm_fail(err, GM_EDATA, "%s: tensor %s: header entry is not an object", p, name);
    json_t *jd = json_object_get(v, "dtype"), *js = json_object_get(v, "shape"),
           *jo = json_object_get(v, "data_offsets");
    if (!json_is_string(jd))
        return gm_fail(err, GM_EDATA, "%s: tensor %s: missing or non-string \"dtype\"", p, name);
    if (!json_is_array(js))
        return gm_fail(err, GM_EDATA, "%s: tensor %s: missing or non-array \"shape\"", p, name);
    if (!json_is_array(jo) || json_array_size(jo) != 2)
        return gm_fail(err, GM_EDATA, "%s: tensor %s: \"data_offsets\" must be [begin, end]",
                       p, name);

    const char *dn = json_string_value(jd);
    size_t k;
    for (k = 0; k < sizeof st_dtypes / sizeof st_dtypes[0]; k++)
        if (strcmp(dn, st_dtypes[k].name) == 0)
            break;
    if (k == sizeof st_dtypes / sizeof st_dtypes[0])
        return gm_fail(err, GM_EDATA, "%s: tensor %s has unknown dtype \"%.16s\"", p, name, dn);
    snprintf(t->dtype_name, sizeof t->dtype_name, "%s", st_dtypes[k].name);
    t->dtype = st_dtypes[k].dtype;
    t->elem_size = st_dtypes[k].size;

    size_t nd = json_array_size(js);
    if (nd > ST_MAX_DIMS)
        return gm_fail(err, GM_EDATA, "%s: tensor %s has %zu dimensions, at most %d supported",
                       p, name, nd, ST_MAX_DIMS);
    t->ndim = (int)nd;
    int64_t numel = 1;
    for (size_t i = 0; i < nd; i++) {
        json_t *d = json_array_get(js, i);
        if (!json_is_integer(d) || json_integer_value(d) < 0)
            return gm_fail(err, GM_EDATA, "%s: tensor %s: shape[%zu] is not a non-negative integer",
                           p, name, i);
        int64_t n = json_integer_value(d);
        if (n != 0 && numel > INT64_MAX / t->elem_size / n)
            return gm_fail(err, GM_EDATA, "%s: tensor %s: shape is too large", p, name);
        t->shape[i] = n;
        numel *= n;
    }
    t->numel = numel;

    json_t *jb = json_array_get(jo, 0), *je = json_array_get(jo, 1);
    if (!json_is_integer(jb) || !json_is_integer(je) || json_integer_value(jb) < 0 ||
        json_integer_value(je) < json_integer_value(jb))
        return gm_fail(err, GM_EDATA,
                       "%s: tensor %s: data_offsets must be integers with 0 <= begin <= end", p, name);
    t->begin = (uint64_t)json_integer_value(jb);
    t->end = (uint64_t)json_integer_value(je);
    if (t->end > data_size)
        return gm_fail(err, GM_EDATA,
                       "%s: tensor %s: data_offsets [%llu, %llu] run past the end of the file "
                       "(data area is %llu bytes: truncated?)",
                       p, name, (unsigned long long)t->begin, (unsigned long long)t->end,
                       (unsigned long long)data_size);
    uint64_t need = (uint64_t)numel * (uint64_t)t->elem_size;
    if (t->end - t->begin != need)
        return gm_fail(err, GM_EDATA,
                       "%s: tensor %s: data_offsets span %llu bytes, dtype %s x shape needs %llu",
                       p, name, (unsigned long long)(t->end - t->begin), t->dtype_name,
                       (unsigned long long)need);
    t->data = (const char *)f->map + 8 + f->header_len + t->begin;
    return 0;
}

/* Parse the JSON header into f->tensors, then check that no two overlap. */
static int header_parse(st_file *f, gm_error *err)
{
    json_error_t je;
    json_t *root = json_loadb((const char *)f->map + 8, (size_t)f->header_len,
                              JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return gm_fail(err, GM_EDATA, "%s: header is not valid JSON: %s (column %d)", f->path,
                       je.text, je.column);
    int rc = -1;
    st_tensor **by_begin = NULL;
    if (!json_is_object(root)) {
        gm_fail(err, GM_EDATA, "%s: header is not a JSON object", f->path);
        goto out;
    }
    size_t cap = json_object_size(root);
    f->tensors = calloc(cap ? cap : 1, sizeof *f->tensors);
    if (!f->tensors) {
        gm_fail(err, GM_ENOMEM, "%s: no memory for %zu tensor entries", f->path, cap);
        goto out;
    }
    uint64_t data_size = f->size - 8 - f->header_len;
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (strcmp(key, "__metadata__") == 0)
            continue;
        st_tensor *t = &f->tensors[f->n];
        t->name = strdup(key);
        if (!t->name) {
            gm_fail(err, GM_ENOMEM, "%s: no memory", f->path);
            goto out;
        }
        f->n++;
        if (tensor_parse(f, key, v, data_size, t, err) < 0)
            goto out;
    }
    by_begin = malloc((f->n ? f->n : 1) * sizeof *by_begin);
    if (!by_begin) {
        gm_fail(err, GM_ENOMEM, "%s: no memory", f->path);
        goto out;
    }
    for (size_t i = 0; i < f->n; i++)
        by_begin[i] = &f->tensors[i];
    qsort(by_begin, f->n, sizeof *by_begin, tensor_ptr_cmp_begin);
    const st_tensor *prev = NULL;
    for (size_t i = 0; i < f->n; i++) {
        const st_tensor *t = by_begin[i];
        if (t->begin == t->end)
            continue; /* empty tensors occupy no bytes */
        if (prev && t->begin < prev->end) {
            gm_fail(err, GM_EDATA, "%s: tensors %s [%llu, %llu) and %s [%llu, %llu) overlap",
                    f->path, prev->name, (unsigned long long)prev->begin,
                    (unsigned long long)prev->end, t->name, (unsigned long long)t->begin,
                    (unsigned long long)t->end);
            goto out;
        }
        prev = t;
    }
    qsort(f->tensors, f->n, sizeof *f->tensors, tensor_cmp_name);
    rc = 0;
out:
    free(by_begin);
    json_decref(root);
    return rc;
}

st_file *st_file_open(const char *path, gm_error *err)
{
    st_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        gm_fail(err, GM_ENOMEM, "%s: no memory", path);
        return NULL;
    }
    f->fd = -1;
    f->fd = gm_file_open(path, err); /* a regular file, or a refusal: never waits */
    if (f->fd < 0)
        goto fail;
    struct stat sb;
    if (fstat(f->fd, &sb) < 0) {
        gm_fail(err, GM_EIO, "%s: cannot stat: %s", path, strerror(errno));
        goto fail;
    }
    if (!S_ISREG(sb.st_mode)) { /* only a descriptor name gets here */
        gm_fail(err, GM_EIO, "%s: not a regular file", path);
        goto fail;
    }
    f->size = (size_t)sb.st_size;
    if (f->size < 8) {
        gm_fail(err, GM_EDATA,
                "%s: truncated: %zu bytes, a safetensors file starts with an 8-byte header length",
                path, f->size);
        goto fail;
    }
    f->map = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, f->fd, 0);
    if (f->map == MAP_FAILED) {
        f->map = NULL;
        gm_fail(err, GM_EIO, "%s: cannot map %zu bytes: %s", path, f->size, strerror(errno));
        goto fail;
    }
    const unsigned char *b = f->map;
    uint64_t hl = 0;
    for (int i = 7; i >= 0; i--)
        hl = hl << 8 | b[i];
    f->header_len = hl;
    if (hl > f->size - 8) {
        gm_fail(err, GM_EDATA,
                "%s: header length %llu runs past the end of the file (%zu bytes): "
                "truncated or not a safetensors file",
                path, (unsigned long long)hl, f->size);
        goto fail;
    }
    if (hl > ST_MAX_HEADER) {
        gm_fail(err, GM_EDATA, "%s: header length %llu exceeds the %llu-byte limit", path,
                (unsigned long long)hl, (unsigned long long)ST_MAX_HEADER);
        goto fail;
    }
    if (header_parse(f, err) < 0)
        goto fail;
    return f;
fail:
    st_file_close(f);
    return NULL;
}

void st_file_close(st_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++)
        free(f->tensors[i].name);
    free(f->tensors);
    if (f->map)
        munmap(f->map, f->size);
    if (f->fd >= 0)
        close(f->fd);
    free(f->path);
    free(f);
}

const st_tensor *st_file_find(const st_file *f, const char *name)
{
    st_tensor key = {.name = (char *)name};
    return bsearch(&key, f->tensors, f->n, sizeof *f->tensors, tensor_cmp_name);
}

/* ---- the shard index ---------------------------------------------------- */

typedef struct index_entry {
    char *name;
    const char *file;
} index_entry;

static int index_entry_cmp(const void *a, const void *b)
{
    return strcmp(((const index_entry *)a)->name, ((const index_entry *)b)->name);
}

static int shard_name_ok(const char *s)
{
    return s[0] && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

st_index *st_index_read(const char *path, gm_error *err)
{
    st_index *ix = calloc(1, sizeof *ix);
    if (!ix || !(ix->path = strdup(path))) {
        free(ix);
        gm_fail(err, GM_ENOMEM, "%s: no memory", path);
        return NULL;
    }
    index_entry *ents = NULL;
    json_t *root = NULL;
    FILE *fp = gm_file_fopen(path, err);
    if (!fp)
        goto fail;
    json_error_t je;
    root = json_loadf(fp, JSON_REJECT_DUPLICATES, &je);
    fclose(fp);
    if (!root) {
        gm_fail(err, GM_EDATA, "%s: not valid JSON: %s (line %d, column %d)", path, je.text,
                je.line, je.column);
        goto fail;
    }
    json_t *wm = json_object_get(root, "weight_map");
    if (!json_is_object(wm)) {
        gm_fail(err, GM_EDATA, "%s: missing or non-object \"weight_map\"", path);
        goto fail;
    }
    size_t cap = json_object_size(wm);
    ents = calloc(cap ? cap : 1, sizeof *ents);
    ix->shards = calloc(cap ? cap : 1, sizeof *ix->shards);
    if (!ents || !ix->shards) {
        gm_fail(err, GM_ENOMEM, "%s: no memory", path);
        goto fail;
    }
    const char *key;
    json_t *v;
    json_object_foreach(wm, key, v) {
        if (!json_is_string(v) || !shard_name_ok(json_string_value(v))) {
            gm_fail(err, GM_EDATA,
                    "%s: weight_map entry for %s must be a file name in the same folder", path,
                    key);
            goto fail;
        }
        const char *file = json_string_value(v);
        size_t s;
        for (s = 0; s < ix->n_shards; s++)
            if (strcmp(ix->shards[s], file) == 0)
                break;
        if (s == ix->n_shards) {
            if (!(ix->shards[s] = strdup(file))) {
                gm_fail(err, GM_ENOMEM, "%s: no memory", path);
                goto fail;
            }
            ix->n_shards++;
        }
        if (!(ents[ix->n].name = strdup(key))) {
            gm_fail(err, GM_ENOMEM, "%s: no memory", path);
            goto fail;
        }
        ents[ix->n++].file = ix->shards[s];
    }
    qsort(ents, ix->n, sizeof *ents, index_entry_cmp);
    ix->names = calloc(ix->n ? ix->n : 1, sizeof *ix->names);
    ix->files = calloc(ix->n ? ix->n : 1, sizeof *ix->files);
    if (!ix->names || !ix->files) {
        gm_fail(err, GM_ENOMEM, "%s: no memory", path);
        goto fail;
    }
    for (size_t i = 0; i < ix->n; i++) {
        ix->names[i] = ents[i].name;
        ix->files[i] = ents[i].file;
    }
    free(ents);
    json_decref(root);
    return ix;
fail: /* the names are still owned by ents */
    for (size_t i = 0; ents && i < ix->n; i++)
        free(ents[i].name);
    ix->n = 0;
    free(ents);
    json_decref(root);
    st_index_free(ix);
    return NULL;
}

void st_index_free(st_index *ix)
{
    if (!ix)
        return;
    for (size_t i = 0; ix->names && i < ix->n; i++)
        free(ix->names[i]);
    free(ix->names);
    free(ix->files);
    for (size_t i = 0; ix->shards && i < ix->n_shards; i++)
        free(ix->shards[i]);
    free(ix->shards);
    free(ix->path);
    free(ix);
}

static int str_ptr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *st_index_file_of(const st_index *ix, const char *name)
{
    char *const *hit = bsearch(&name, ix->names, ix->n, sizeof *ix->names, str_ptr_cmp);
    return hit ? ix->files[hit - ix->names] : NULL;
}
