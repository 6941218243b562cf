/* model.h: an MoE checkpoint in HF format, opened for reading.
 *
 * model_open reads config.json, opens model.safetensors or the shards listed
 * in model.safetensors.index.json (memory-mapped, never read whole), and
 * checks every tensor the config implies for presence, dtype and shape before
 * anything computes with it. Tensors stay in their file dtype (F32, BF16,
 * F16); tensor_widen (tensor.h) converts a block to f32 just before use; the
 * configuration itself is model_config.h.
 *
 * Dimension letters (used in every shape comment): T tokens, D model width,
 * H heads, Dh head width, E experts, K experts per token, L layers, F expert
 * width, V vocabulary. Layouts are the file's: [out, in] row-major.
 *
 * Families: model_type "olmoe" now. Another family (Mixtral, Qwen-MoE) adds
 * its config fields (model_config.h), a tensors_bind_* function in model.c
 * and its blocks beside the forward pass's, not a new loader
 * (DEVELOPERS.md "Adding a model family"). */
#ifndef GM_MODEL_H
#define GM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "model_config.h"
#include "tensor.h"

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

/* The training step in a checkpoint folder name: "step245000-tokens1027B" and
 * "step245000" give 245000; any other name gives -1. Base name only. */
int64_t checkpoint_step_from_name(const char *name);

#endif
