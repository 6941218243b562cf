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
 * H heads, Dh head width (q and k), Dv (v), E experts, K experts per token,
 * L layers, F expert width, V vocabulary. Layouts are the file's: [out, in] row-major.
 *
 * Families: those of hf_config.h. model_bind.c binds each family's tensor
 * names and layouts (per-expert or fused); a new family adds its names there
 * and its blocks beside the forward pass's, not a new loader
 * (DEVELOPERS.md "Adding a model family"). */
#ifndef GM_MODEL_H
#define GM_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "model_types.h"

/* Open and validate a checkpoint folder. NULL with err set on any problem,
 * the message naming the file and tensor. */
model *model_open(const char *dir, gm_error *err);
void model_close(model *m); /* accepts NULL */

/* The training step in a checkpoint folder name: "step245000-tokens1027B" and
 * "step245000" give 245000; any other name gives -1. Base name only. */
int64_t checkpoint_step_from_name(const char *name);

#endif
