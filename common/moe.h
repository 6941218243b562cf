/* moe.h: one sparse MoE block of the forward pass: the router and the experts
 * (moe.c). Called by forward.c; shares only forward_ctx.h with the other
 * blocks. Spec: olmoe.md "Forward pass" step 2 (router and experts). */
#ifndef GM_MOE_H
#define GM_MOE_H

#include <stdint.h>

#include "error.h"
#include "forward_ctx.h"

/* x += sum_k p_k expert_k(h) for layer l; records the router outputs into the
 * samples s. -1 with err when a router logit is not finite (fw_check_finite). */
int fw_moe(forward *f, int64_t l, forward_sample *s, gm_error *err);

#endif
