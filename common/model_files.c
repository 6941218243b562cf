/* model_files.c: the safetensors files of a checkpoint folder, opened and
 * mapped (model.safetensors, or every shard model.safetensors.index.json
 * lists), and tensors found in them by name and checked for presence, dtype
 * and shape (model_files.h). It knows no family: model_bind.c says which
 * tensors a config needs. Spec: olmoe.md "Files". */
#include "model_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "safetensors.h"

struct model_files {
    st_file **files;      /* [n] */
    size_t n;
    st_index *index;      /* NULL for a single model.safetensors */
    unsigned char **used; /* [n][files[i]->n] bound by model_files_bind */
};

/* dir/name, newly allocated; dir already trimmed. */
char *model_files_path(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", name);
    return p;
}

static void shape_format(char *buf, size_t cap, int ndim, const int64_t *shape)
{
    size_t used = (size_t)snprintf(buf, cap, "[");
    for (int i = 0; i < ndim && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%lld", i ? ", " : "",
                                 (long long)shape[i]);
    if (used < cap)
        snprintf(buf + used, cap - used, "]");
}

/* Find name among the model's files; the file it is in goes to *in. */
static const st_tensor *tensor_find(const model_files *mf, const char *name, const st_file **in,
                                    gm_error *err)
{
    if (!mf->index) {
        const st_tensor *t = st_file_find(mf->files[0], name);
        if (!t)
            gm_fail(err, GM_EDATA, "%s: tensor %s is missing", mf->files[0]->path, name);
        *in = mf->files[0];
        return t;
    }
    const char *shard = st_index_file_of(mf->index, name);
    if (!shard) {
        gm_fail(err, GM_EDATA, "%s: tensor %s is missing from weight_map", mf->index->path, name);
        return NULL;
    }
    for (size_t i = 0; i < mf->n; i++) {
        if (strcmp(mf->index->shards[i], shard) != 0)
            continue;
        const st_tensor *t = st_file_find(mf->files[i], name);
        if (!t)
            gm_fail(err, GM_EDATA, "%s: tensor %s is missing (weight_map places it there)",
                    mf->files[i]->path, name);
        *in = mf->files[i];
        return t;
    }
    gm_fail(err, GM_EDATA, "%s: tensor %s: shard %s not opened", mf->index->path, name, shard);
    return NULL;
}

int model_files_bind(const model_files *mf, const char *name, int ndim, const int64_t *want,
                      gm_tensor *out, gm_error *err)
{
    const st_file *f = NULL;
    const st_tensor *t = tensor_find(mf, name, &f, err);
    if (!t)
        return -1;
    if (t->dtype < 0)
        return gm_fail(err, GM_EDATA, "%s: tensor %s has dtype %s, expected F32, BF16 or F16",
                       f->path, name, t->dtype_name);
    int same = t->ndim == ndim;
    for (int i = 0; same && i < ndim; i++)
        same = t->shape[i] == want[i];
    if (!same) {
        char has[128], need[96];
        shape_format(has, sizeof has, t->ndim, t->shape);
        shape_format(need, sizeof need, ndim, want);
        return gm_fail(err, GM_EDATA, "%s: tensor %s has shape %s, config says %s", f->path,
                       name, has, need);
    }
    for (size_t i = 0; i < mf->n; i++)
        if (mf->files[i] == f)
            mf->used[i][t - f->tensors] = 1;
    out->name = t->name;
    out->data = t->data;
    out->dtype = (gm_dtype)t->dtype;
    out->ndim = ndim;
    memset(out->shape, 0, sizeof out->shape);
    for (int i = 0; i < ndim; i++)
        out->shape[i] = want[i];
    out->numel = t->numel;
    return 0;
}

int model_files_has(const model_files *mf, const char *name)
{
    const st_file *f;
    gm_error ignored;
    return tensor_find(mf, name, &f, &ignored) != NULL;
}

/* Open model.safetensors, or the index and every shard it lists. */
model_files *model_files_open(const char *dir, gm_error *err)
{
    model_files *mf = calloc(1, sizeof *mf);
    if (!mf) {
        gm_fail(err, GM_ENOMEM, "%s: no memory", dir);
        return NULL;
    }
    char *ipath = model_files_path(dir, "model.safetensors.index.json");
    char *spath = model_files_path(dir, "model.safetensors");
    int rc = -1;
    if (!ipath || !spath) {
        gm_fail(err, GM_ENOMEM, "%s: no memory", dir);
        goto out;
    }
    if (access(ipath, F_OK) == 0) {
        if (!(mf->index = st_index_read(ipath, err)))
            goto out;
        mf->files = calloc(mf->index->n_shards ? mf->index->n_shards : 1, sizeof *mf->files);
        if (!mf->files) {
            gm_fail(err, GM_ENOMEM, "%s: no memory", dir);
            goto out;
        }
        for (size_t i = 0; i < mf->index->n_shards; i++) {
            char *p = model_files_path(dir, mf->index->shards[i]);
            if (!p) {
                gm_fail(err, GM_ENOMEM, "%s: no memory", dir);
                goto out;
            }
            mf->files[i] = st_file_open(p, err);
            free(p);
            if (!mf->files[i])
                goto out;
            mf->n++;
        }
    } else if (access(spath, F_OK) == 0) {
        if (!(mf->files = calloc(1, sizeof *mf->files)) ||
            !(mf->files[0] = st_file_open(spath, err)))
            goto out;
        mf->n = 1;
    } else {
        gm_fail(err, GM_EIO, "%s: no model.safetensors or model.safetensors.index.json", dir);
        goto out;
    }
    if (!(mf->used = calloc(mf->n ? mf->n : 1, sizeof *mf->used))) {
        gm_fail(err, GM_ENOMEM, "%s: no memory", dir);
        goto out;
    }
    for (size_t i = 0; i < mf->n; i++)
        if (!(mf->used[i] = calloc(mf->files[i]->n ? mf->files[i]->n : 1, 1))) {
            gm_fail(err, GM_ENOMEM, "%s: no memory", dir);
            goto out;
        }
    rc = 0;
out:
    free(ipath);
    free(spath);
    if (rc < 0) {
        model_files_close(mf);
        return NULL;
    }
    return mf;
}

void model_files_close(model_files *mf)
{
    if (!mf)
        return;
    for (size_t i = 0; i < mf->n; i++) {
        st_file_close(mf->files[i]);
        if (mf->used)
            free(mf->used[i]);
    }
    free(mf->used);
    free(mf->files);
    st_index_free(mf->index);
    free(mf);
}


int model_files_unused(const model_files *mf, int (*ignore)(const char *name, void *ctx),
                       void *ctx, const char **name, const char **path)
{
    for (size_t i = 0; i < mf->n; i++)
        for (size_t j = 0; j < mf->files[i]->n; j++) {
            const char *nm = mf->files[i]->tensors[j].name;
            if (!mf->used[i][j] && !(ignore && ignore(nm, ctx))) {
                *name = nm;
                *path = mf->files[i]->path;
                return 1;
            }
        }
    return 0;
}
