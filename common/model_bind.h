/* model_bind.h: which tensors a config implies, bound by the family's names
 * and layouts into the model's fields (model_bind.c). Called by model_open. */
#ifndef GM_MODEL_BIND_H
#define GM_MODEL_BIND_H

#include "error.h"
#include "model_files.h"
#include "model_types.h"

/* Bind every tensor m->cfg implies from mf into m (m->layers allocated here).
 * -1 with err naming the file and the tensor. */
int model_bind_tensors(model *m, const model_files *mf, gm_error *err);

#endif
