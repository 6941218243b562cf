/* model_config.h: what a checkpoint's config.json says the forward pass must
 * compute: the model family, its shape, and each feature the forward pass
 * composes (hf_config.c reads it). Types only; it knows no file and no tensor.
 * A family adds a row to hf_config_family.c's table and, when it brings a new
 * feature, a field here (DEVELOPERS.md "Adding a model family").
 * Dimension letters as in model.h. Spec: olmoe.md "Shape", families.md. */
#ifndef GM_MODEL_CONFIG_H
#define GM_MODEL_CONFIG_H

#include <stdint.h>

typedef enum {
    GM_FAMILY_OLMOE = 0,
    GM_FAMILY_MIXTRAL,
    GM_FAMILY_QWEN2_MOE,
    GM_FAMILY_QWEN3_MOE,
    GM_FAMILY_DEEPSEEK_V2,
    GM_FAMILY_DEEPSEEK_V3,
    GM_FAMILY_GRANITEMOE,
    GM_FAMILY_GRANITEMOESHARED,
} model_family;

/* How a router scores the experts and picks K (families.md "What changes"). */
typedef enum {
    GM_ROUTER_SOFTMAX_TOPK,  /* softmax over E, top-k (olmoe, mixtral, qwen*, deepseek_v2 greedy) */
    GM_ROUTER_SOFTMAX_GROUP, /* softmax, keep topk_group groups by their max, top-k (v2 group) */
    GM_ROUTER_SIGMOID_GROUP, /* sigmoid + selection bias, groups by their top-2 sum (v3) */
    GM_ROUTER_TOPK_SOFTMAX,  /* top-k of the logits, softmax over those k (granite) */
} router_kind;

typedef enum {
    GM_QK_NORM_NONE,
    GM_QK_NORM_FULL, /* RMSNorm over the whole q (H*Dh) and k (H_kv*Dh) projection (olmoe) */
    GM_QK_NORM_HEAD, /* RMSNorm per head over Dh, one [Dh] weight (qwen3_moe) */
} qk_norm_kind;

typedef enum {
    GM_SHARED_NONE,
    GM_SHARED_GATED, /* a SwiGLU expert on every token, times sigmoid(gate . h) (qwen2_moe) */
    GM_SHARED_PLAIN, /* a SwiGLU expert on every token (deepseek, granitemoeshared) */
} shared_kind;

typedef enum { GM_ATTN_STANDARD, GM_ATTN_MLA } attn_kind;

enum { MODEL_GROUPS_MAX = 256 }; /* n_group at most (DeepSeek-V3 has 8) */
typedef enum { GM_ROPE_DEFAULT, GM_ROPE_YARN } rope_kind;

typedef struct model_config {
    model_family family;
    char model_type[32];
    int64_t D;            /* hidden_size */
    int64_t L;            /* num_hidden_layers: every model layer, dense ones included */
    int64_t L_moe;        /* the layers with a router: what a trace calls L */
    int64_t *moe_layer;   /* [L_moe] the model layer of each MoE layer, ascending (owned) */
    int64_t H;            /* num_attention_heads */
    int64_t H_kv;         /* num_key_value_heads (defaults to H) */
    int64_t Dh;           /* head width of q, k, v: head_dim, else D / H; MLA: qk_nope + qk_rope */
    int64_t Dv;           /* head width of v and of the attention output (Dh but for MLA) */
    int64_t F;            /* one routed expert's width */
    int64_t E;            /* routed experts */
    int64_t K;            /* num_experts_per_tok */
    int64_t V;            /* vocab_size */
    int64_t max_pos;      /* max_position_embeddings */
    double rms_eps;       /* rms_norm_eps (family default when absent) */
    int tie_embeddings;   /* lm_head = embed_tokens */

    /* attention */
    attn_kind attn;
    qk_norm_kind qk_norm;
    int qkv_bias;         /* q/k/v projections have biases (MLA: q_a and kv_a_with_mqa) */
    int o_bias;           /* o_proj has a bias */
    double clip_qkv;      /* 0 when null */
    double attn_scale;    /* multiplies q.k: head_dim^-0.5, Granite's attention_multiplier,
                           * or MLA's with YaRN's correction */
    int64_t *window;      /* [L] sliding window per model layer, 0: full causal (owned) */
    /* multi-head latent attention (deepseek) */
    int64_t q_lora;       /* q_lora_rank; 0: a plain q_proj */
    int64_t kv_lora;      /* kv_lora_rank */
    int64_t qk_nope, qk_rope; /* the q/k head's unrotated and rotated parts */
    double latent_eps;    /* q_a_layernorm / kv_a_layernorm eps (1e-6 in HF) */

    /* rotary embedding over the Dr = (MLA ? qk_rope : Dh) rotated dims */
    rope_kind rope;
    double rope_theta;
    int rope_interleave;  /* rotate pairs (2i, 2i+1) instead of (i, i + Dr/2) */
    double yarn_factor, yarn_omax, yarn_beta_fast, yarn_beta_slow;
    double yarn_mscale, yarn_mscale_all_dim; /* 0 when absent */
    double rope_attn_factor; /* cos and sin are multiplied by it (YaRN's mscale), else 1 */
    int yarn_truncate;

    /* feed-forward */
    int64_t dense_F;      /* intermediate_size of the dense layers (0: none) */
    router_kind router;
    int norm_topk_prob;   /* renormalize the chosen weights over the k */
    int64_t n_group, topk_group; /* group-limited selection (1, 1: none) */
    double routed_scale;  /* routed_scaling_factor (1 when the family has none) */
    shared_kind shared;
    int64_t shared_F;     /* the shared expert's width */

    /* Granite's multipliers (1 elsewhere) */
    double emb_mult;      /* embeddings times it */
    double res_mult;      /* each block's output times it before the residual add */
    double logit_div;     /* final logits divided by it (logits_scaling) */
} model_config;

#endif
