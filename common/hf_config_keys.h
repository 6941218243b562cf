/* hf_config_keys.h: typed reads of config.json keys, for hf_config*.c only.
 * Every reader fails with one line naming the file and the key; an optional
 * key that is absent or null leaves *out at the default the caller set. */
#ifndef GM_HF_CONFIG_KEYS_H
#define GM_HF_CONFIG_KEYS_H

#include <jansson.h>
#include <stdint.h>

#include "error.h"
#include "model_config.h"

#define HF_DIM_MAX ((int64_t)1 << 24) /* beyond any MoE shape; keeps products in int64 */

typedef struct hf_keys {
    const char *path;   /* config.json, for messages */
    json_t *root;       /* the object the keys are in */
    gm_error *err;
    const char *prefix; /* a nested map's keys in messages: "rope_scaling." (NULL: top level) */
} hf_keys;

/* The key's value, or NULL when it is absent or null. */
json_t *hf_get(const hf_keys *k, const char *key);

/* A required integer in 1..HF_DIM_MAX. */
int hf_dim(const hf_keys *k, const char *key, int64_t *out);
/* An optional integer in min..HF_DIM_MAX. */
int hf_int_opt(const hf_keys *k, const char *key, int64_t min, int64_t *out);
/* An optional positive finite number. */
int hf_real_opt(const hf_keys *k, const char *key, double *out);
/* An optional boolean. */
int hf_bool_opt(const hf_keys *k, const char *key, int *out);
/* An optional string (points into the JSON). */
int hf_str_opt(const hf_keys *k, const char *key, const char **out);

/* A refusal: "PATH: key "KEY" ..." with the rest formatted. */
int hf_refuse(const hf_keys *k, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* YaRN's magnitude correction of a scale factor (HF yarn_get_mscale): 1 when scale <= 1,
 * else 0.1 mscale ln(scale) + 1. */
double hf_yarn_mscale(double scale, double mscale);

/* The rotary embedding settings: rope_theta / rope_scaling or a rope_parameters
 * map (hf_rope.c). */
int hf_rope_read(const hf_keys *k, model_config *c);

/* The family's own keys (hf_config_family.c): fills what the family decides. */
int hf_family_read(const hf_keys *k, model_config *c);
/* Is key one this family's config may hold (read, or known not to change the
 * forward pass of one sequence)? */
int hf_family_knows(model_family family, const char *key);

#endif
