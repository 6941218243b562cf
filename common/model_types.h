/* model_types.h: an opened checkpoint's data: the config, the folder's name
 * and step, and every tensor bound by name (model_bind.c), per layer. Types
 * only, so that model.c and model_bind.c share them without including each
 * other; users include model.h. Dimension letters as in model.h. */
#ifndef GM_MODEL_TYPES_H
#define GM_MODEL_TYPES_H

#include <stdint.h>

#include "model_config.h"
#include "tensor.h"

/* A SwiGLU feed-forward: down(silu(gate x) * up x). Width F' is the tensor's. */
typedef struct model_ffn {
    gm_tensor gate, up;   /* [F', D] */
    gm_tensor down;       /* [D, F'] */
} model_ffn;

/* One decoder layer. Tensors a layer's family lacks have data NULL. Widths:
 * Q = H*Dh, KV = H_kv*Dh (standard attention); A = H*Dv the attention output. */
typedef struct model_layer {
    int64_t moe;          /* its index among the MoE layers (a trace's layer), -1: dense */
    gm_tensor attn_norm;  /* [D]     input_layernorm */
    /* standard attention (attention.c) */
    gm_tensor wq;         /* [Q, D]  self_attn.q_proj; MLA without q LoRA: [H*Dh, D] */
    gm_tensor wk, wv;     /* [KV, D] self_attn.{k,v}_proj */
    gm_tensor wo;         /* [D, A]  self_attn.o_proj */
    gm_tensor bq, bk, bv; /* [Q], [KV], [KV] biases (MLA: bq on q_a_proj, bk on kv_a_proj) */
    gm_tensor bo;         /* [D]     o_proj bias */
    gm_tensor q_norm;     /* [Q] over the full projection (olmoe) or [Dh] per head (qwen3) */
    gm_tensor k_norm;     /* [KV] or [Dh] */
    /* multi-head latent attention (mla.c) */
    gm_tensor q_a;        /* [q_lora, D]                 q_a_proj */
    gm_tensor q_a_norm;   /* [q_lora]                    q_a_layernorm */
    gm_tensor q_b;        /* [H*Dh, q_lora]              q_b_proj */
    gm_tensor kv_a;       /* [kv_lora + qk_rope, D]      kv_a_proj_with_mqa */
    gm_tensor kv_a_norm;  /* [kv_lora]                   kv_a_layernorm */
    gm_tensor kv_b;       /* [H*(qk_nope + Dv), kv_lora] kv_b_proj */
    gm_tensor ffn_norm;   /* [D]     post_attention_layernorm */
    /* MoE layers (moe.c) */
    gm_tensor router;     /* [E, D]  mlp.gate (Mixtral: block_sparse_moe.gate; Granite:
                           *         block_sparse_moe.router.layer) */
    gm_tensor router_bias; /* [E]    e_score_correction_bias (deepseek_v3) */
    gm_tensor *gate;      /* [E] x [F, D]  routed experts' gate_proj (views into a fused
                           *               tensor when the file fuses them) */
    gm_tensor *up;        /* [E] x [F, D] */
    gm_tensor *down;      /* [E] x [D, F] */
    model_ffn shared;     /* the shared expert (shared_F wide) */
    gm_tensor shared_gate; /* [1, D] qwen2_moe's shared_expert_gate */
    /* dense layers (ffn.c) */
    model_ffn dense;      /* dense_F wide */
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

#endif
