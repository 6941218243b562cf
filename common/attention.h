/* attention.h: one self-attention block of the forward pass (attention.c).
 * Called by forward.c; shares only forward_ctx.h with the other blocks.
 * Spec: olmoe.md "Forward pass" step 2 (attention part). */
#ifndef GM_ATTENTION_H
#define GM_ATTENTION_H

#include <stdint.h>

#include "forward_ctx.h"

/* x += o_proj(causal attention(h)) for every sample of the batch, layer l. */
void fw_attention(forward *f, int64_t l);

#endif
