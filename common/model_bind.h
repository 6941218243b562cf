/* model_bind.h: between model.c (files, finding a tensor by name, checking
 * it) and model_bind.c (which tensors a family's config implies, by name and
 * layout). Not for use outside the two. */
#ifndef GM_MODEL_BIND_H
#define GM_MODEL_BIND_H

#include <stdint.h>

#include "error.h"
#include "model.h"

/* Bind the tensor called name, of ndim dims `want`, into *out after checking
 * presence, dtype and shape; -1 with err naming the file and tensor. */
int model_tensor_bind(const model *m, const char *name, int ndim, const int64_t *want,
                      gm_tensor *out, gm_error *err);
/* Does the checkpoint hold a tensor called name? */
int model_tensor_has(const model *m, const char *name);

/* Bind every tensor m->cfg implies into m (model_bind.c). */
int model_bind_tensors(model *m, gm_error *err);

#endif
