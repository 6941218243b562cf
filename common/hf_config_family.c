/* hf_config_family.c: what each MoE family's config.json adds to the common
 * keys (hf_config.c): its expert counts and widths, its router, its attention
 * variant and extras, which layers are dense, and the keys it may hold. One
 * reader per family, after the HF configuration_*.py classes and their
 * defaults; a value the forward pass does not implement is refused naming the
 * key. Spec: families.md "What changes between families". */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hf_config_keys.h"

/* ---- the keys each family may hold --------------------------------------- */

/* Keys that never change the forward pass of one sequence: training,
 * generation, bookkeeping. */
static const char *const keys_ignored[] = {
    "architectures", "model_type", "transformers_version", "torch_dtype", "dtype", "use_cache",
    "bos_token_id", "eos_token_id", "pad_token_id", "initializer_range", "output_router_logits",
    "router_aux_loss_coef", "attention_dropout", "_name_or_path", "auto_map", "tokenizer_class",
    "max_position_embeddings", "output_attentions", "output_hidden_states", "return_dict",
    "is_decoder", "_attn_implementation", "chunk_size_feed_forward", "tie_encoder_decoder",
    /* read by hf_config.c and hf_rope.c for every family */
    "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
    "num_key_value_heads", "hidden_act", "rms_norm_eps", "tie_word_embeddings", "head_dim",
    "rope_theta", "rope_scaling", "rope_parameters", "partial_rotary_factor", NULL};

static const char *const keys_olmoe[] = {
    "intermediate_size", "num_experts", "num_experts_per_tok", "attention_bias", "clip_qkv",
    "norm_topk_prob", NULL};
static const char *const keys_mixtral[] = {
    "intermediate_size", "num_local_experts", "num_experts_per_tok", "sliding_window",
    "router_jitter_noise", NULL};
static const char *const keys_qwen2_moe[] = {
    "intermediate_size", "moe_intermediate_size", "shared_expert_intermediate_size",
    "num_experts", "num_experts_per_tok", "use_sliding_window", "sliding_window",
    "max_window_layers", "layer_types", "decoder_sparse_step", "mlp_only_layers",
    "norm_topk_prob", "qkv_bias", NULL};
static const char *const keys_qwen3_moe[] = {
    "intermediate_size", "moe_intermediate_size", "num_experts", "num_experts_per_tok",
    "use_sliding_window", "sliding_window", "max_window_layers", "decoder_sparse_step",
    "mlp_only_layers", "norm_topk_prob", "attention_bias", NULL};
static const char *const keys_deepseek_v2[] = {
    "intermediate_size", "moe_intermediate_size", "n_routed_experts", "num_experts_per_tok",
    "kv_lora_rank", "q_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim",
    "attention_bias", "mlp_bias", "first_k_dense_replace", "n_shared_experts", "topk_method",
    "n_group", "topk_group", "routed_scaling_factor", "norm_topk_prob", "scoring_func",
    "moe_layer_freq", "ep_size", "pretraining_tp", "aux_loss_alpha", "seq_aux", NULL};
static const char *const keys_deepseek_v3[] = {
    "intermediate_size", "moe_intermediate_size", "n_routed_experts", "num_experts_per_tok",
    "kv_lora_rank", "q_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim",
    "n_group", "topk_group", "attention_bias", "first_k_dense_replace", "n_shared_experts",
    "routed_scaling_factor", "norm_topk_prob", "rope_interleave", "topk_method", "scoring_func",
    "moe_layer_freq", "ep_size", "pretraining_tp", "aux_loss_alpha", "seq_aux",
    "num_nextn_predict_layers", NULL};
static const char *const keys_granitemoe[] = {
    "intermediate_size", "num_local_experts", "num_experts_per_tok", "attention_bias",
    "embedding_multiplier", "residual_multiplier", "attention_multiplier", "logits_scaling",
    NULL};
static const char *const keys_granitemoeshared[] = {
    "intermediate_size", "num_local_experts", "num_experts_per_tok", "attention_bias",
    "embedding_multiplier", "residual_multiplier", "attention_multiplier", "logits_scaling",
    "shared_intermediate_size", NULL};

static const char *const *const family_keys[] = {
    [GM_FAMILY_OLMOE] = keys_olmoe,
    [GM_FAMILY_MIXTRAL] = keys_mixtral,
    [GM_FAMILY_QWEN2_MOE] = keys_qwen2_moe,
    [GM_FAMILY_QWEN3_MOE] = keys_qwen3_moe,
    [GM_FAMILY_DEEPSEEK_V2] = keys_deepseek_v2,
    [GM_FAMILY_DEEPSEEK_V3] = keys_deepseek_v3,
    [GM_FAMILY_GRANITEMOE] = keys_granitemoe,
    [GM_FAMILY_GRANITEMOESHARED] = keys_granitemoeshared,
};

static int in_list(const char *const *list, const char *key)
{
    for (; *list; list++)
        if (strcmp(*list, key) == 0)
            return 1;
    return 0;
}

int hf_family_knows(model_family family, const char *key)
{
    return in_list(keys_ignored, key) || in_list(family_keys[family], key);
}

/* ---- pieces several families share --------------------------------------- */

/* head_dim: explicit (when the family allows one other than D / H) or D / H. */
static int head_dim(const hf_keys *k, model_config *c, int explicit_ok)
{
    int64_t hd = 0;
    if (hf_int_opt(k, "head_dim", 1, &hd))
        return -1;
    if (hd == 0) {
        if (c->D % c->H != 0)
            return gm_fail(k->err, GM_EDATA, "%s: hidden_size %lld is not a multiple of "
                           "num_attention_heads %lld", k->path, (long long)c->D, (long long)c->H);
        hd = c->D / c->H;
    } else if (!explicit_ok && hd * c->H != c->D) {
        return hf_refuse(k, "head_dim", "must equal hidden_size / num_attention_heads (%lld) "
                         "for %s", (long long)(c->D / c->H), c->model_type);
    }
    c->Dh = c->Dv = hd;
    return 0;
}

/* A required num_key_value_heads (families whose HF default is not H). */
static int kv_heads_required(const hf_keys *k, model_config *c)
{
    return hf_dim(k, "num_key_value_heads", &c->H_kv);
}

static int window_all(model_config *c, int64_t w)
{
    for (int64_t l = 0; l < c->L; l++)
        c->window[l] = w;
    return 0;
}

/* attention_bias: biases on q, k, v and o. */
static int attention_bias(const hf_keys *k, model_config *c)
{
    int b = 0;
    if (hf_bool_opt(k, "attention_bias", &b))
        return -1;
    c->qkv_bias = c->o_bias = b;
    return 0;
}

/* Qwen's dense layers: mlp_only_layers, and every decoder_sparse_step-th layer routes. */
static int qwen_dense_layers(const hf_keys *k, model_config *c, unsigned char *moe)
{
    int64_t step = 1;
    if (hf_int_opt(k, "decoder_sparse_step", 1, &step))
        return -1;
    for (int64_t l = 0; l < c->L; l++)
        moe[l] = (l + 1) % step == 0;
    json_t *only = hf_get(k, "mlp_only_layers");
    if (!only)
        return 0;
    if (!json_is_array(only))
        return hf_refuse(k, "mlp_only_layers", "must be a list of layer numbers");
    size_t i;
    json_t *v;
    json_array_foreach(only, i, v) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) >= c->L)
            return hf_refuse(k, "mlp_only_layers", "must list layer numbers below "
                             "num_hidden_layers %lld", (long long)c->L);
        moe[json_integer_value(v)] = 0;
    }
    return 0;
}

/* n_group / topk_group for a group-limited router. */
static int groups(const hf_keys *k, model_config *c, int need_two)
{
    if (!hf_get(k, "n_group") || !hf_get(k, "topk_group"))
        return hf_refuse(k, "n_group", "and topk_group are needed for group-limited selection");
    if (hf_dim(k, "n_group", &c->n_group) || hf_dim(k, "topk_group", &c->topk_group))
        return -1;
    if (c->n_group > MODEL_GROUPS_MAX)
        return hf_refuse(k, "n_group", "is %lld; at most %d groups are supported",
                         (long long)c->n_group, MODEL_GROUPS_MAX);
    if (c->E % c->n_group != 0)
        return hf_refuse(k, "n_group", "%lld does not divide the %lld routed experts",
                         (long long)c->n_group, (long long)c->E);
    if (c->topk_group > c->n_group)
        return hf_refuse(k, "topk_group", "%lld exceeds n_group %lld", (long long)c->topk_group,
                         (long long)c->n_group);
    if (need_two && c->E / c->n_group < 2)
        return hf_refuse(k, "n_group", "leaves fewer than 2 experts per group; noaux_tc scores "
                         "a group by its top two");
    if (c->K > c->topk_group * (c->E / c->n_group))
        return hf_refuse(k, "num_experts_per_tok", "%lld exceeds the %lld experts of the kept "
                         "groups", (long long)c->K, (long long)(c->topk_group * (c->E / c->n_group)));
    return 0;
}

/* A string key that must be one value (absent: the family's default, which is it). */
static int must_be(const hf_keys *k, const char *key, const char *want, const char *what)
{
    const char *v = want;
    if (hf_str_opt(k, key, &v))
        return -1;
    if (strcmp(v, want) != 0)
        return hf_refuse(k, key, "\"%.40s\" is not implemented for %s (supported: %s)", v, what,
                         want);
    return 0;
}

/* ---- the families --------------------------------------------------------- */

static int read_olmoe(const hf_keys *k, model_config *c, unsigned char *moe)
{
    if (hf_dim(k, "intermediate_size", &c->F) || hf_dim(k, "num_experts", &c->E) ||
        hf_dim(k, "num_experts_per_tok", &c->K) || head_dim(k, c, 0) || attention_bias(k, c) ||
        hf_real_opt(k, "clip_qkv", &c->clip_qkv) ||
        hf_bool_opt(k, "norm_topk_prob", &c->norm_topk_prob))
        return -1;
    c->qk_norm = GM_QK_NORM_FULL;
    memset(moe, 1, (size_t)c->L);
    return 0;
}

static int read_mixtral(const hf_keys *k, model_config *c, unsigned char *moe)
{
    int64_t w = 0;
    if (hf_dim(k, "intermediate_size", &c->F) || hf_dim(k, "num_local_experts", &c->E) ||
        hf_dim(k, "num_experts_per_tok", &c->K) || kv_heads_required(k, c) ||
        head_dim(k, c, 1) || hf_int_opt(k, "sliding_window", 0, &w))
        return -1;
    window_all(c, w);
    c->norm_topk_prob = 1; /* Mixtral always renormalizes over the k */
    memset(moe, 1, (size_t)c->L);
    return 0;
}

static int read_qwen2_moe(const hf_keys *k, model_config *c, unsigned char *moe)
{
    c->qkv_bias = 1; /* HF v5's qkv_bias defaults to true, as v4 always had them */
    int sliding = 0;
    int64_t w = 0;
    if (hf_dim(k, "intermediate_size", &c->dense_F) ||
        hf_dim(k, "moe_intermediate_size", &c->F) ||
        hf_dim(k, "shared_expert_intermediate_size", &c->shared_F) ||
        hf_dim(k, "num_experts", &c->E) || hf_dim(k, "num_experts_per_tok", &c->K) ||
        kv_heads_required(k, c) || head_dim(k, c, 1) ||
        hf_bool_opt(k, "qkv_bias", &c->qkv_bias) ||
        hf_bool_opt(k, "norm_topk_prob", &c->norm_topk_prob) ||
        hf_bool_opt(k, "use_sliding_window", &sliding) ||
        hf_int_opt(k, "sliding_window", 0, &w) || qwen_dense_layers(k, c, moe))
        return -1;
    c->shared = GM_SHARED_GATED;
    json_t *lt = hf_get(k, "layer_types");
    if (!lt) {
        if (sliding)
            return hf_refuse(k, "use_sliding_window", "is true without a layer_types list: "
                             "transformers versions disagree on which qwen2_moe layers slide");
        return 0;
    }
    if (!json_is_array(lt) || (int64_t)json_array_size(lt) != c->L)
        return hf_refuse(k, "layer_types", "must list one attention type per layer (%lld)",
                         (long long)c->L);
    for (int64_t l = 0; l < c->L; l++) {
        const char *t = json_string_value(json_array_get(lt, (size_t)l));
        if (!t || (strcmp(t, "full_attention") != 0 && strcmp(t, "sliding_attention") != 0))
            return hf_refuse(k, "layer_types", "must hold \"full_attention\" or "
                             "\"sliding_attention\" per layer");
        if (strcmp(t, "sliding_attention") == 0) {
            if (!sliding)
                return hf_refuse(k, "layer_types", "has sliding layers but use_sliding_window "
                                 "is false");
            if (w == 0)
                return hf_refuse(k, "sliding_window", "is needed by the sliding layers");
            c->window[l] = w;
        }
    }
    return 0;
}

static int read_qwen3_moe(const hf_keys *k, model_config *c, unsigned char *moe)
{
    int sliding = 0;
    int64_t w = 0;
    if (hf_int_opt(k, "intermediate_size", 1, &c->dense_F) ||
        hf_dim(k, "moe_intermediate_size", &c->F) || hf_dim(k, "num_experts", &c->E) ||
        hf_dim(k, "num_experts_per_tok", &c->K) || kv_heads_required(k, c) ||
        head_dim(k, c, 1) || attention_bias(k, c) ||
        hf_bool_opt(k, "norm_topk_prob", &c->norm_topk_prob) ||
        hf_bool_opt(k, "use_sliding_window", &sliding) ||
        hf_int_opt(k, "sliding_window", 0, &w) || qwen_dense_layers(k, c, moe))
        return -1;
    c->qk_norm = GM_QK_NORM_HEAD;
    if (sliding) { /* HF qwen3_moe slides every layer; max_window_layers is unused */
        if (w == 0)
            return hf_refuse(k, "sliding_window", "is needed when use_sliding_window is true");
        window_all(c, w);
    }
    return 0;
}

static int read_deepseek(const hf_keys *k, model_config *c, unsigned char *moe)
{
    int v3 = c->family == GM_FAMILY_DEEPSEEK_V3;
    int mlp_bias = 0;
    if (hf_bool_opt(k, "mlp_bias", &mlp_bias))
        return -1;
    if (mlp_bias)
        return hf_refuse(k, "mlp_bias", "is true; MLP biases are not implemented");
    static const char *const ones[] = {"moe_layer_freq", "ep_size", "pretraining_tp"};
    for (size_t i = 0; i < 3; i++) {
        int64_t v = 1;
        if (hf_int_opt(k, ones[i], 1, &v))
            return -1;
        if (v != 1)
            return hf_refuse(k, ones[i], "is %lld; only 1 is implemented", (long long)v);
    }
    if (!json_object_get(k->root, "q_lora_rank")) /* required, but null is a value (no q LoRA) */
        return gm_fail(k->err, GM_EDATA, "%s: missing key \"q_lora_rank\"", k->path);
    if (hf_dim(k, "intermediate_size", &c->dense_F) ||
        hf_dim(k, "moe_intermediate_size", &c->F) || hf_dim(k, "n_routed_experts", &c->E) ||
        hf_dim(k, "num_experts_per_tok", &c->K) || hf_int_opt(k, "q_lora_rank", 1, &c->q_lora) ||
        hf_dim(k, "kv_lora_rank", &c->kv_lora) || hf_dim(k, "qk_nope_head_dim", &c->qk_nope) ||
        hf_dim(k, "qk_rope_head_dim", &c->qk_rope) || hf_dim(k, "v_head_dim", &c->Dv) ||
        attention_bias(k, c))
        return -1;
    int64_t hd = 0;
    if (hf_int_opt(k, "head_dim", 1, &hd))
        return -1;
    if (hd && hd != c->qk_rope)
        return hf_refuse(k, "head_dim", "is %lld; HF sets it to qk_rope_head_dim (%lld)",
                         (long long)hd, (long long)c->qk_rope);
    if (c->H_kv != c->H)
        return hf_refuse(k, "num_key_value_heads", "must equal num_attention_heads under "
                         "multi-head latent attention");
    c->attn = GM_ATTN_MLA;
    c->Dh = c->qk_nope + c->qk_rope;
    c->latent_eps = 1e-6; /* HF's q_a_layernorm / kv_a_layernorm ignore rms_norm_eps */
    c->rope_interleave = 1; /* deepseek_v2 always rotates pairs (2i, 2i+1) */
    if (v3 && hf_bool_opt(k, "rope_interleave", &c->rope_interleave))
        return -1;
    c->routed_scale = v3 ? 2.5 : 1.0;
    if (hf_real_opt(k, "routed_scaling_factor", &c->routed_scale))
        return -1;
    json_t *ns = json_object_get(k->root, "n_shared_experts");
    if (ns && json_is_null(ns))
        return hf_refuse(k, "n_shared_experts", "is null, which HF's forward cannot run; 0 means "
                         "no shared experts");
    int64_t n_shared = v3 ? 1 : 2, k0 = v3 ? 3 : 0;
    if (hf_int_opt(k, "n_shared_experts", 0, &n_shared) ||
        hf_int_opt(k, "first_k_dense_replace", 0, &k0))
        return -1;
    if (n_shared > 0) {
        c->shared = GM_SHARED_PLAIN;
        c->shared_F = n_shared * c->F;
    }
    for (int64_t l = 0; l < c->L; l++)
        moe[l] = l >= k0;
    if (v3) {
        c->norm_topk_prob = 1;
        if (must_be(k, "topk_method", "noaux_tc", "deepseek_v3") ||
            must_be(k, "scoring_func", "sigmoid", "deepseek_v3") ||
            hf_bool_opt(k, "norm_topk_prob", &c->norm_topk_prob) || groups(k, c, 1))
            return -1;
        c->router = GM_ROUTER_SIGMOID_GROUP;
    } else {
        /* HF deepseek_v2 ignores norm_topk_prob: softmax weights times the scale */
        const char *method = "greedy";
        if (must_be(k, "scoring_func", "softmax", "deepseek_v2") ||
            hf_str_opt(k, "topk_method", &method))
            return -1;
        if (strcmp(method, "greedy") == 0)
            c->router = GM_ROUTER_SOFTMAX_TOPK;
        else if (strcmp(method, "group_limited_greedy") == 0) {
            c->router = GM_ROUTER_SOFTMAX_GROUP;
            if (groups(k, c, 0))
                return -1;
        } else
            return hf_refuse(k, "topk_method", "\"%.40s\" is not implemented for deepseek_v2 "
                             "(supported: greedy, group_limited_greedy)", method);
    }
    /* q.k scale: (nope + rope)^-0.5, with YaRN times mscale(factor, mscale_all_dim)^2 (v3;
     * v2 too since HF PR #47435, as deepseek-ai's own V2 code always had it) */
    c->attn_scale = 1.0 / sqrt((double)c->Dh);
    if (c->rope == GM_ROPE_YARN && c->yarn_mscale_all_dim > 0) {
        double m = hf_yarn_mscale(c->yarn_factor, c->yarn_mscale_all_dim);
        c->attn_scale *= m * m;
    }
    return 0;
}

static int read_granitemoe(const hf_keys *k, model_config *c, unsigned char *moe)
{
    c->attn_scale = 1.0; /* HF's attention_multiplier default */
    if (hf_dim(k, "intermediate_size", &c->F) || hf_dim(k, "num_local_experts", &c->E) ||
        hf_dim(k, "num_experts_per_tok", &c->K) || head_dim(k, c, 1) || attention_bias(k, c) ||
        hf_real_opt(k, "attention_multiplier", &c->attn_scale) ||
        hf_real_opt(k, "embedding_multiplier", &c->emb_mult) ||
        hf_real_opt(k, "residual_multiplier", &c->res_mult) ||
        hf_real_opt(k, "logits_scaling", &c->logit_div))
        return -1;
    c->router = GM_ROUTER_TOPK_SOFTMAX;
    if (c->family == GM_FAMILY_GRANITEMOESHARED) {
        if (hf_int_opt(k, "shared_intermediate_size", 0, &c->shared_F))
            return -1;
        if (c->shared_F > 0)
            c->shared = GM_SHARED_PLAIN;
    }
    memset(moe, 1, (size_t)c->L);
    return 0;
}

int hf_family_read(const hf_keys *k, model_config *c)
{
    static int (*const readers[])(const hf_keys *, model_config *, unsigned char *) = {
        [GM_FAMILY_OLMOE] = read_olmoe,
        [GM_FAMILY_MIXTRAL] = read_mixtral,
        [GM_FAMILY_QWEN2_MOE] = read_qwen2_moe,
        [GM_FAMILY_QWEN3_MOE] = read_qwen3_moe,
        [GM_FAMILY_DEEPSEEK_V2] = read_deepseek,
        [GM_FAMILY_DEEPSEEK_V3] = read_deepseek,
        [GM_FAMILY_GRANITEMOE] = read_granitemoe,
        [GM_FAMILY_GRANITEMOESHARED] = read_granitemoe,
    };
    unsigned char *moe = calloc((size_t)c->L, 1);
    if (!moe)
        return gm_fail(k->err, GM_ENOMEM, "%s: no memory", k->path);
    int rc = readers[c->family](k, c, moe);
    if (rc == 0) {
        c->L_moe = 0;
        for (int64_t l = 0; l < c->L; l++)
            if (moe[l])
                c->moe_layer[c->L_moe++] = l;
    }
    free(moe);
    return rc;
}
