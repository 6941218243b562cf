/* hf_config.h: a HF config.json read into a model_config (model_config.h), for
 * every family of families.md: olmoe, mixtral, qwen2_moe, qwen3_moe,
 * deepseek_v2, deepseek_v3, granitemoe, granitemoeshared. Required keys must be
 * present with valid values; optional ones take their HF defaults; a key the
 * family does not know, or a value the forward pass does not implement, is
 * refused with one line naming the key. Nothing falls back to a default
 * silently. Files: hf_config.c (the common keys and the checks of the whole),
 * hf_config_family.c (each family's keys), hf_rope.c (rope settings),
 * hf_config_keys.c (typed reads). Spec: olmoe.md "Shape", families.md. */
#ifndef GM_HF_CONFIG_H
#define GM_HF_CONFIG_H

#include "error.h"
#include "model_config.h"

/* Read path into *cfg. -1 with err naming the file and the key on failure
 * (and *cfg untouched). Free with hf_config_clear. */
int hf_config_read(const char *path, model_config *cfg, gm_error *err);

/* Free the config's per-layer arrays (accepts a zeroed config). */
void hf_config_clear(model_config *cfg);

/* The supported model_type values, comma-separated, for messages. */
const char *hf_config_families(void);

#endif
