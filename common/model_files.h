/* model_files.h: a checkpoint folder's safetensors files, mapped, and tensors
 * found in them by name with their dtype and shape checked (model_files.c).
 * Used by model.c (open, close) and model_bind.c (bind); knows no family. */
#ifndef GM_MODEL_FILES_H
#define GM_MODEL_FILES_H

#include <stdint.h>

#include "error.h"
#include "tensor.h"

typedef struct model_files model_files;

/* model.safetensors, or the index and every shard it lists, in dir. NULL with
 * err naming the file on failure. */
model_files *model_files_open(const char *dir, gm_error *err);
void model_files_close(model_files *mf); /* accepts NULL */

/* Bind the tensor called name, of ndim dims `want`, into *out after checking
 * presence, dtype and shape; -1 with err naming the file and the tensor. */
int model_files_bind(const model_files *mf, const char *name, int ndim, const int64_t *want,
                     gm_tensor *out, gm_error *err);
/* Does a file hold a tensor called name? */
int model_files_has(const model_files *mf, const char *name);

/* The first tensor of the files that no model_files_bind has bound and that
 * ignore(name, ctx) does not excuse: 1 with *name and *path (its file) set,
 * else 0. A tensor nobody reads means the config does not describe the weights. */
int model_files_unused(const model_files *mf, int (*ignore)(const char *name, void *ctx),
                       void *ctx, const char **name, const char **path);

/* dir/name, newly allocated (dir without trailing slashes). */
char *model_files_path(const char *dir, const char *name);

#endif
