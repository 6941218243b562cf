/* model_config.h: what a checkpoint's config.json says the forward pass must
 * compute: the model family and its shape (hf_config.c reads it). Types only;
 * it knows no file and no tensor. A family with more to say (a shared expert,
 * a sliding window) adds its fields here and a row to hf_config.c's table.
 * Dimension letters as in model.h. Spec: olmoe.md "Shape", families.md. */
#ifndef GM_MODEL_CONFIG_H
#define GM_MODEL_CONFIG_H

#include <stdint.h>

typedef enum { GM_FAMILY_OLMOE = 0 } model_family;

typedef struct model_config {
    model_family family;
    char model_type[32];
    int64_t D;            /* hidden_size */
    int64_t L;            /* num_hidden_layers */
    int64_t H;            /* num_attention_heads */
    int64_t H_kv;         /* num_key_value_heads (defaults to H) */
    int64_t Dh;           /* D / H */
    int64_t F;            /* intermediate_size: one expert's width */
    int64_t E;            /* num_experts */
    int64_t K;            /* num_experts_per_tok */
    int64_t V;            /* vocab_size */
    int64_t max_pos;      /* max_position_embeddings */
    double rms_eps;       /* rms_norm_eps, default 1e-5 when absent */
    double rope_theta;    /* default 10000 */
    double clip_qkv;      /* 0 when null */
    int norm_topk_prob;   /* renormalize the top-k weights */
    int tie_embeddings;   /* lm_head = embed_tokens */
} model_config;

#endif
