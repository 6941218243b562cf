/* model.h: an MoE checkpoint in HF format, opened for reading.
 *
 * model_open reads config.json, opens model.safetensors or the shards listed
 * in model.safetensors.index.json (memory-mapped, never read whole), and
 * checks every tensor the config implies for presence, dtype and shape before
 * anything computes with it. Tensors stay in their file dtype (F32, BF16,
 * F16); tensor_widen converts a block to f32 just before use.
 *
 * Dimension letters (used in every shape comment): T tokens, D model width,
 * H heads, Dh head width, E experts, K experts per token, L layers, F expert
 * width, V vocabulary. Layouts are the file's: [out, in] row-major.
 *
 * Families: model_type "olmoe" now. Another family (Mixtral, Qwen-MoE) adds a
 * router/expert variant (see model_family) rather than a new loader. */
#ifndef GM_MODEL_H
#define GM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef enum { GM_F32 = 0, GM_BF16, GM_F16 } gm_dtype;

typedef struct gm_tensor {
    const char *name;     /* points into the model's tensor table */
    const void *data;     /* mmapped bytes, row-major, little-endian */
    gm_dtype dtype;
    int ndim;
    int64_t shape[4];
    int64_t numel;
} gm_tensor;

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

typedef struct model_layer {
    gm_tensor attn_norm;  /* [D]     input_layernorm */
    gm_tensor wq, wk, wv; /* [D, D]  self_attn.{q,k,v}_proj (kv: [H_kv*Dh, D]) */
    gm_tensor wo;         /* [D, D]  self_attn.o_proj */
    gm_tensor q_norm;     /* [D]     over the full projection, before RoPE */
    gm_tensor k_norm;     /* [H_kv*Dh] */
    gm_tensor ffn_norm;   /* [D]     post_attention_layernorm (pre-MoE) */
    gm_tensor router;     /* [E, D]  mlp.gate */
    gm_tensor *gate;      /* [E] x [F, D]  mlp.experts.{e}.gate_proj */
    gm_tensor *up;        /* [E] x [F, D]  mlp.experts.{e}.up_proj */
    gm_tensor *down;      /* [E] x [D, F]  mlp.experts.{e}.down_proj */
} model_layer;

typedef struct model model;
struct model {
    model_config cfg;
    char *dir;            /* the checkpoint folder as given, trailing slashes dropped */
    char *name;           /* its base name, e.g. "step245000-tokens1027B" */
    int64_t step;         /* parsed from name, -1 if none */
    gm_tensor embed;      /* [V, D] */
    gm_tensor final_norm; /* [D] */
    gm_tensor lm_head;    /* [V, D] */
    model_layer *layers;  /* [L] */
    void *files;          /* private: the mapped safetensors files */
};

/* Open and validate a checkpoint folder. NULL with err set on any problem,
 * the message naming the file and tensor. */
model *model_open(const char *dir, gm_error *err);
void model_close(model *m); /* accepts NULL */

/* Convert n elements starting at element offset `first` of t to f32.
 * BF16 is a 16-bit left shift; F16 is exact (subnormals, inf, nan kept).
 * Vectorized; GM_REFERENCE=1 in the environment selects the plain scalar
 * conversion instead (the two are tested against each other). */
void tensor_widen(const gm_tensor *t, int64_t first, int64_t n, float *out);

/* The tensor's data as floats when it is F32 and 4-byte aligned (no copy
 * needed), else NULL. */
const float *tensor_as_f32(const gm_tensor *t);

/* "F32", "BF16", "F16"; and bytes per element. */
const char *dtype_name(gm_dtype d);
size_t dtype_size(gm_dtype d);

/* Reference scalar conversions of one value (also used by tests). */
float bf16_to_f32(uint16_t h);
float f16_to_f32(uint16_t h);

/* The training step in a checkpoint folder name: "step245000-tokens1027B" and
 * "step245000" give 245000; any other name gives -1. Base name only. */
int64_t checkpoint_step_from_name(const char *name);

#endif
