/* ffn.h: a dense SwiGLU feed-forward over every token of the batch (ffn.c):
 * the dense layers of qwen and deepseek models and the shared experts of
 * qwen2_moe, deepseek and granitemoeshared. Called by forward.c and moe.c's
 * caller; shares only forward_ctx.h with the other blocks. */
#ifndef GM_FFN_H
#define GM_FFN_H

#include "forward_ctx.h"

/* x[t] += mult * g_t * down(silu(gate h[t]) * up h[t]) for every token, with
 * g_t = sigmoid(gate_w . h[t]) when gate_w (qwen2_moe's shared_expert_gate,
 * [1, D]) is given, else 1. */
void fw_ffn(forward *f, const model_ffn *w, const gm_tensor *gate_w, float mult);

#endif
