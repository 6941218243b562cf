/* hf_config.c: config.json -> model_config with jansson. Required keys must be
 * present positive integers; optional ones get the transformers defaults. Keys
 * that would change the computation in a way the forward pass does not
 * implement (rope_scaling, attention_bias, a head_dim other than D/H) are
 * refused rather than ignored. Spec: olmoe.md "Shape". */
#include "hf_config.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "input.h"

#define DIM_MAX ((int64_t)1 << 24) /* beyond any MoE shape; keeps products in int64 */

static const struct {
    const char *type;
    model_family family;
} families[] = {
    {"olmoe", GM_FAMILY_OLMOE},
};

/* A required positive integer key, at most DIM_MAX. */
static int key_dim(const char *path, json_t *root, const char *key, int64_t *out, gm_error *err)
{
    json_t *v = json_object_get(root, key);
    if (!v)
        return gm_fail(err, GM_EDATA, "%s: missing key \"%s\"", path, key);
    if (!json_is_integer(v))
        return gm_fail(err, GM_EDATA, "%s: key \"%s\" must be a positive integer", path, key);
    json_int_t n = json_integer_value(v);
    if (n <= 0)
        return gm_fail(err, GM_EDATA, "%s: key \"%s\" is %lld, must be a positive integer", path,
                       key, (long long)n);
    if (n > DIM_MAX)
        return gm_fail(err, GM_EDATA, "%s: key \"%s\" is %lld, larger than the supported %lld",
                       path, key, (long long)n, (long long)DIM_MAX);
    *out = n;
    return 0;
}

/* An optional positive number (null or absent: *out keeps its default). */
static int key_real(const char *path, json_t *root, const char *key, double *out, gm_error *err)
{
    json_t *v = json_object_get(root, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_number(v) || !(json_number_value(v) > 0) || !isfinite(json_number_value(v)))
        return gm_fail(err, GM_EDATA, "%s: key \"%s\" must be a positive number", path, key);
    *out = json_number_value(v);
    return 0;
}

/* An optional boolean (absent: *out keeps its default). */
static int key_bool(const char *path, json_t *root, const char *key, int *out, gm_error *err)
{
    json_t *v = json_object_get(root, key);
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return gm_fail(err, GM_EDATA, "%s: key \"%s\" must be true or false", path, key);
    *out = json_is_true(v);
    return 0;
}

static int config_parse(const char *path, json_t *root, model_config *c, gm_error *err)
{
    if (!json_is_object(root))
        return gm_fail(err, GM_EDATA, "%s: not a JSON object", path);
    json_t *mt = json_object_get(root, "model_type");
    if (!mt)
        return gm_fail(err, GM_EDATA, "%s: missing key \"model_type\"", path);
    if (!json_is_string(mt))
        return gm_fail(err, GM_EDATA, "%s: key \"model_type\" must be a string", path);
    const char *type = json_string_value(mt);
    size_t f;
    for (f = 0; f < sizeof families / sizeof families[0]; f++)
        if (strcmp(type, families[f].type) == 0)
            break;
    if (f == sizeof families / sizeof families[0])
        return gm_fail(err, GM_EDATA, "%s: model_type \"%.40s\" is not supported (supported: olmoe)",
                       path, type);
    c->family = families[f].family;
    snprintf(c->model_type, sizeof c->model_type, "%s", type);

    if (key_dim(path, root, "hidden_size", &c->D, err) < 0 ||
        key_dim(path, root, "num_hidden_layers", &c->L, err) < 0 ||
        key_dim(path, root, "num_attention_heads", &c->H, err) < 0 ||
        key_dim(path, root, "intermediate_size", &c->F, err) < 0 ||
        key_dim(path, root, "num_experts", &c->E, err) < 0 ||
        key_dim(path, root, "num_experts_per_tok", &c->K, err) < 0 ||
        key_dim(path, root, "vocab_size", &c->V, err) < 0 ||
        key_dim(path, root, "max_position_embeddings", &c->max_pos, err) < 0)
        return -1;
    c->H_kv = c->H;
    if (json_object_get(root, "num_key_value_heads") &&
        !json_is_null(json_object_get(root, "num_key_value_heads")) &&
        key_dim(path, root, "num_key_value_heads", &c->H_kv, err) < 0)
        return -1;
    c->rms_eps = 1e-5;
    c->rope_theta = 10000.0;
    c->clip_qkv = 0;
    c->norm_topk_prob = 0;
    c->tie_embeddings = 0;
    if (key_real(path, root, "rms_norm_eps", &c->rms_eps, err) < 0 ||
        key_real(path, root, "rope_theta", &c->rope_theta, err) < 0 ||
        key_real(path, root, "clip_qkv", &c->clip_qkv, err) < 0 ||
        key_bool(path, root, "norm_topk_prob", &c->norm_topk_prob, err) < 0 ||
        key_bool(path, root, "tie_word_embeddings", &c->tie_embeddings, err) < 0)
        return -1;

    if (c->D % c->H != 0)
        return gm_fail(err, GM_EDATA,
                       "%s: hidden_size %lld is not a multiple of num_attention_heads %lld", path,
                       (long long)c->D, (long long)c->H);
    c->Dh = c->D / c->H;
    if (c->Dh % 2 != 0)
        return gm_fail(err, GM_EDATA, "%s: head width %lld (hidden_size / num_attention_heads) "
                       "must be even for RoPE", path, (long long)c->Dh);
    if (c->H % c->H_kv != 0)
        return gm_fail(err, GM_EDATA,
                       "%s: num_attention_heads %lld is not a multiple of num_key_value_heads %lld",
                       path, (long long)c->H, (long long)c->H_kv);
    if (c->K > c->E)
        return gm_fail(err, GM_EDATA, "%s: num_experts_per_tok %lld exceeds num_experts %lld",
                       path, (long long)c->K, (long long)c->E);
    json_t *hd = json_object_get(root, "head_dim");
    if (hd && !json_is_null(hd) &&
        (!json_is_integer(hd) || json_integer_value(hd) != c->Dh))
        return gm_fail(err, GM_EDATA, "%s: key \"head_dim\" must equal hidden_size / "
                       "num_attention_heads (%lld)", path, (long long)c->Dh);
    json_t *rs = json_object_get(root, "rope_scaling");
    if (rs && !json_is_null(rs))
        return gm_fail(err, GM_EDATA, "%s: key \"rope_scaling\" is set; only null is supported",
                       path);
    json_t *ab = json_object_get(root, "attention_bias");
    if (ab && !json_is_false(ab))
        return gm_fail(err, GM_EDATA, "%s: key \"attention_bias\" must be false (biases are not "
                       "supported)", path);
    return 0;
}

int hf_config_read(const char *path, model_config *cfg, gm_error *err)
{
    FILE *fp = gm_file_fopen(path, err); /* a regular file: a FIFO would wait forever */
    if (!fp)
        return -1;
    json_error_t je;
    json_t *root = json_loadf(fp, JSON_REJECT_DUPLICATES, &je);
    fclose(fp);
    if (!root)
        return gm_fail(err, GM_EDATA, "%s: not valid JSON: %s (line %d, column %d)", path,
                       je.text, je.line, je.column);
    model_config c;
    memset(&c, 0, sizeof c);
    int rc = config_parse(path, root, &c, err);
    json_decref(root);
    if (rc == 0)
        *cfg = c;
    return rc;
}
