/* model.c: open a HF checkpoint folder (config.json plus model.safetensors or
 * the shards of model.safetensors.index.json): its name and step, its config
 * (hf_config.c), its files (model_files.c) and every tensor the config implies
 * (model_bind.c), checked before anything computes.
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
#include "model_files.h"

/* ---- names and paths ---------------------------------------------------- */

/* dir without trailing slashes ("/" stays "/"), newly allocated. */
static char *dir_trimmed(const char *dir)
{
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        n--;
    return strndup(dir, n);
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

model *model_open(const char *dir, gm_error *err)
{
    model *m = calloc(1, sizeof *m);
    if (!m) {
        gm_fail(err, GM_ENOMEM, "%s: no memory", dir);
        return NULL;
    }
    char *cpath = NULL;
    if (!(m->dir = dir_trimmed(dir)) || !(m->name = dir_base_name(m->dir)) ||
        !(cpath = model_files_path(m->dir, "config.json"))) {
        gm_fail(err, GM_ENOMEM, "%s: no memory", dir);
        goto fail;
    }
    m->step = checkpoint_step_from_name(m->name);
    if (hf_config_read(cpath, &m->cfg, err) < 0 || !(m->files = model_files_open(m->dir, err)) ||
        model_bind_tensors(m, m->files, err) < 0)
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
    model_files_close(m->files);
    free(m->name);
    free(m->dir);
    free(m);
}
