/* hf_config.c: config.json -> model_config with jansson: the model_type's
 * family, the keys every family shares, the family's own (hf_config_family.c)
 * and rope settings (hf_rope.c), then the checks on the shape as a whole. Any
 * key the family does not know is refused: it might change the computation.
 * Spec: olmoe.md "Shape", families.md. */
#include "hf_config.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hf_config_keys.h"
#include "input.h"

static const struct {
    const char *type;
    model_family family;
    double eps; /* rms_norm_eps when absent: the HF config class's default */
} families[] = {
    {"olmoe", GM_FAMILY_OLMOE, 1e-5},
    {"mixtral", GM_FAMILY_MIXTRAL, 1e-5},
    {"qwen2_moe", GM_FAMILY_QWEN2_MOE, 1e-6},
    {"qwen3_moe", GM_FAMILY_QWEN3_MOE, 1e-6},
    {"deepseek_v2", GM_FAMILY_DEEPSEEK_V2, 1e-6},
    {"deepseek_v3", GM_FAMILY_DEEPSEEK_V3, 1e-6},
    {"granitemoe", GM_FAMILY_GRANITEMOE, 1e-6},
    {"granitemoeshared", GM_FAMILY_GRANITEMOESHARED, 1e-6},
};
enum { N_FAMILIES = sizeof families / sizeof families[0] };

const char *hf_config_families(void)
{
    return "olmoe, mixtral, qwen2_moe, qwen3_moe, deepseek_v2, deepseek_v3, granitemoe, "
           "granitemoeshared";
}

void hf_config_clear(model_config *c)
{
    free(c->moe_layer);
    free(c->window);
    c->moe_layer = NULL;
    c->window = NULL;
}

/* The keys every family shares: shape, norm, embeddings, activation. */
static int read_common(const hf_keys *k, model_config *c, double eps)
{
    if (hf_dim(k, "hidden_size", &c->D) || hf_dim(k, "num_hidden_layers", &c->L) ||
        hf_dim(k, "num_attention_heads", &c->H) || hf_dim(k, "vocab_size", &c->V) ||
        hf_int_opt(k, "max_position_embeddings", 1, &c->max_pos))
        return -1;
    c->H_kv = c->H;
    c->rms_eps = eps;
    const char *act = "silu";
    if (hf_int_opt(k, "num_key_value_heads", 1, &c->H_kv) ||
        hf_real_opt(k, "rms_norm_eps", &c->rms_eps) ||
        hf_bool_opt(k, "tie_word_embeddings", &c->tie_embeddings) ||
        hf_str_opt(k, "hidden_act", &act))
        return -1;
    if (strcmp(act, "silu") != 0)
        return hf_refuse(k, "hidden_act", "\"%.40s\" is not implemented (supported: silu)", act);
    c->moe_layer = calloc((size_t)c->L, sizeof *c->moe_layer);
    c->window = calloc((size_t)c->L, sizeof *c->window);
    if (!c->moe_layer || !c->window)
        return gm_fail(k->err, GM_ENOMEM, "%s: no memory for %lld layers", k->path,
                       (long long)c->L);
    c->routed_scale = c->emb_mult = c->res_mult = c->logit_div = 1.0;
    c->n_group = c->topk_group = 1;
    return 0;
}

/* The shape as a whole: what the forward pass and the records can hold. */
static int check_whole(const hf_keys *k, model_config *c)
{
    if (c->H % c->H_kv != 0)
        return hf_refuse(k, "num_key_value_heads", "%lld does not divide num_attention_heads "
                         "%lld", (long long)c->H_kv, (long long)c->H);
    if (c->K > c->E)
        return hf_refuse(k, "num_experts_per_tok", "%lld exceeds the %lld experts",
                         (long long)c->K, (long long)c->E);
    if (c->E > 65535)
        return gm_fail(k->err, GM_EDATA, "%s: %lld experts; traces hold expert ids below 65536",
                       k->path, (long long)c->E);
    int64_t rot = c->attn == GM_ATTN_MLA ? c->qk_rope : c->Dh;
    if (rot % 2 != 0)
        return gm_fail(k->err, GM_EDATA, "%s: the rotated head width %lld must be even for RoPE",
                       k->path, (long long)rot);
    if (c->L_moe == 0)
        return gm_fail(k->err, GM_EDATA, "%s: no layer of the %lld routes to experts (nothing "
                       "to trace)", k->path, (long long)c->L);
    if (c->L_moe < c->L && c->dense_F == 0)
        return hf_refuse(k, "intermediate_size", "is needed: %lld of the layers are dense",
                         (long long)(c->L - c->L_moe));
    if (c->attn_scale == 0)
        c->attn_scale = 1.0 / sqrt((double)c->Dh);
    return 0;
}

static int config_parse(const char *path, json_t *root, model_config *c, gm_error *err)
{
    if (!json_is_object(root))
        return gm_fail(err, GM_EDATA, "%s: not a JSON object", path);
    hf_keys k = {path, root, err, NULL};
    json_t *mt = json_object_get(root, "model_type");
    if (!mt)
        return gm_fail(err, GM_EDATA, "%s: missing key \"model_type\"", path);
    if (!json_is_string(mt))
        return gm_fail(err, GM_EDATA, "%s: key \"model_type\" must be a string", path);
    const char *type = json_string_value(mt);
    int f;
    for (f = 0; f < N_FAMILIES; f++)
        if (strcmp(type, families[f].type) == 0)
            break;
    if (f == N_FAMILIES)
        return gm_fail(err, GM_EDATA, "%s: model_type \"%.40s\" is not supported (supported: %s)",
                       path, type, hf_config_families());
    c->family = families[f].family;
    snprintf(c->model_type, sizeof c->model_type, "%s", type);
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (!hf_family_knows(c->family, key))
            return gm_fail(err, GM_EDATA, "%s: key \"%.60s\" is not one grokmon knows for %s: "
                           "it might change the forward pass, so it is refused", path, key, type);
    }
    if (read_common(&k, c, families[f].eps) || hf_rope_read(&k, c) || hf_family_read(&k, c))
        return -1;
    return check_whole(&k, c);
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
    else
        hf_config_clear(&c);
    return rc;
}
