/* mla.h: one multi-head latent attention block (deepseek_v2/v3), mla.c.
 * Called by forward.c; shares only forward_ctx.h and attend.h with the other
 * blocks. Spec: families.md (deepseek rows). */
#ifndef GM_MLA_H
#define GM_MLA_H

#include <stdint.h>

#include "forward_ctx.h"

/* x += o_proj(causal latent attention(h)) for every sample of the batch, layer l. */
void fw_latent_attention(forward *f, int64_t l);

#endif
