/* hf_config.h: a HF config.json read into a model_config (model_config.h).
 * Checks that every required key is present with a positive integer value and
 * that the shape is one the forward pass can compute; applies the transformers
 * defaults for keys a file may leave out (rms_norm_eps 1e-5, rope_theta 10000,
 * num_key_value_heads = H, norm_topk_prob and tie_word_embeddings false).
 * model_type "olmoe" only, for now. Spec: olmoe.md "Shape". */
#ifndef GM_HF_CONFIG_H
#define GM_HF_CONFIG_H

#include "error.h"
#include "model_config.h"

/* Read path into *cfg. -1 with err naming the file and the key on failure. */
int hf_config_read(const char *path, model_config *cfg, gm_error *err);

#endif
