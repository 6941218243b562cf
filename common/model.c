/* model.c: open a HF checkpoint folder (config.json plus model.safetensors or
 * the shards of model.safetensors.index.json), find tensors by name and check
 * their presence, dtype and shape (model_bind.c decides which a config needs).
 * No forward pass here, no dtype conversion (tensor.c), and no copy of the
 * weights: tensors point into the mapped files. Spec: olmoe.md "Files". */
#include "model.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hf_config.h"
#include "model_bind.h"
#include "safetensors.h"

/* model->files: every mapped file and, when sharded, the index. */
typedef struct model_files {
    st_file **files;      /* [n] */
    size_t n;
    st_index *index;      /* NULL for a single model.safetensors */
} model_files;

/* ---- names and paths ---------------------------------------------------- */

/* dir without trailing slashes ("/" stays "/"), newly allocated. */
static char *dir_trimmed(const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return strndup(dir, n);
}

/* dir/name, newly allocated; dir already trimmed. */
static char *path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", name);
    return p;
}

/* The folder's base name; "." and ".." resolve to the real folder's name. */
static char *dir_base_name(const char *trimmed)
{
    const char *slash = strrchr(trimmed, '/');
    const char *base = slash && slash[1] ? slash + 1 : trimmed;
    if (strcmp(base, ".") != 0 && strcmp(base, "..") != 0)
        return strdup(base);
    char *real = realpath(trimmed, NULL);
    if (!real)
        return strdup(base);
    char *t = dir_trimmed(real);
    free(real);
    if (!t)
        return NULL;
    slash = strrchr(t, '/');
    char *b = strdup(slash && slash[1] ? slash + 1 : t);
    free(t);
    return b;
}

int64_t checkpoint_step_from_name(const char *name)
{
    if (strncmp(name, "step", 4) != 0)
        return -1;
    const char *p = name + 4;
    if (*p < '0' || *p > '9')
        return -1;
    int64_t step = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (step > (INT64_MAX - (*p - '0')) / 10)
            return -1;
        step = step * 10 + (*p - '0');
    }
    return *p == '\0' || *p == '-' ? step : -1;
}

/* ---- finding and checking tensors --------------------------------------- */

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
static const st_tensor *tensor_find(const model *m, const char *name, const st_file **in,
                                    gm_error *err)
{
    const model_files *mf = m->files;
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

int model_tensor_bind(const model *m, const char *name, int ndim, const int64_t *want,
                      gm_tensor *out, gm_error *err)
{
    const st_file *f = NULL;
    const st_tensor *t = tensor_find(m, name, &f, err);
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

int model_tensor_has(const model *m, const char *name)
{
    const st_file *f;
    gm_error ignored;
    return tensor_find(m, name, &f, &ignored) != NULL;
}

/* Open model.safetensors, or the index and every shard it lists. */
static int files_open(model *m, const char *dir, gm_error *err)
{
    model_files *mf = calloc(1, sizeof *mf);
    if (!mf)
        return gm_fail(err, GM_ENOMEM, "%s: no memory", dir);
    m->files = mf;
    char *ipath = path_join(dir, "model.safetensors.index.json");
    char *spath = path_join(dir, "model.safetensors");
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
            char *p = path_join(dir, mf->index->shards[i]);
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
    rc = 0;
out:
    free(ipath);
    free(spath);
    return rc;
}

static void files_close(model_files *mf)
{
    if (!mf)
        return;
    for (size_t i = 0; i < mf->n; i++)
        st_file_close(mf->files[i]);
    free(mf->files);
    st_index_free(mf->index);
    free(mf);
}

model *model_open(const char *dir, gm_error *err)
{
    model *m = calloc(1, sizeof *m);
    if (!m) {
        gm_fail(err, GM_ENOMEM, "%s: no memory", dir);
        return NULL;
    }
    char *cpath = NULL;
    if (!(m->dir = dir_trimmed(dir)) || !(m->name = dir_base_name(m->dir)) ||
        !(cpath = path_join(m->dir, "config.json"))) {
        gm_fail(err, GM_ENOMEM, "%s: no memory", dir);
        goto fail;
    }
    m->step = checkpoint_step_from_name(m->name);
    if (hf_config_read(cpath, &m->cfg, err) < 0 || files_open(m, m->dir, err) < 0)
        goto fail;
    if (model_bind_tensors(m, err) < 0)
        goto fail;
    free(cpath);
    return m;
fail:
    free(cpath);
    model_close(m);
    return NULL;
}

void model_close(model *m)
{
    if (!m)
        return;
    for (int64_t l = 0; m->layers && l < m->cfg.L; l++) {
        free(m->layers[l].gate);
        free(m->layers[l].up);
        free(m->layers[l].down);
    }
    free(m->layers);
    hf_config_clear(&m->cfg);
    files_close(m->files);
    free(m->name);
    free(m->dir);
    free(m);
}
