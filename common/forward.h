/* forward.h: the MoE forward pass of an opened checkpoint (any family of
 * hf_config.h) over token sequences, producing what a `trace` record holds:
 * per-token NLL and loss, the token-averaged router distribution g and applied
 * top-k weights per MoE layer, and on request the per-token top-k choices and
 * g per token. Several samples run as one
 * batch, layer by layer (attention stays within each sample), so weights are
 * read once per batch. It does not read or write records, and does no
 * sampling or decoding. Spec: olmoe.md "Forward pass"; docs/records.md `trace`.
 *
 * Files: forward.c drives the pass (embedding, layer loop, lm_head and NLL)
 * and composes one file per block: attention.c or mla.c, then moe.c (with
 * route.c's routers) or ffn.c (dense layers, shared experts); attend.c is the
 * attention core both attention blocks use; the context they share and their
 * small helpers are forward_ctx.h, below them all.
 *
 * Dimension letters as in model.h: T tokens, D width, H heads, Dh head width,
 * E experts, K top-k, L layers, F expert width, V vocabulary. */
#ifndef GM_FORWARD_H
#define GM_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "forward_types.h"
#include "model.h"

/* m must outlive the forward. NULL with err set on allocation failure, a
 * thread count below 1, or a shape this pass does not implement. */
forward *forward_create(const model *m, const forward_opts *opts, gm_error *err);
void forward_free(forward *f); /* accepts NULL */

/* Every token id below V? Otherwise GM_EDATA naming the position and id. */
int forward_check_tokens(const forward *f, const uint32_t *tokens, int64_t T, gm_error *err);

/* Run n samples as one batch (each T >= 1). Fills each sample's outputs.
 * A NaN or infinity in a layer's router logits, in the final logits or in a
 * sample's NLL or loss is an error (GM_EDATA) naming the sample, the layer and
 * the token: a non-finite weight or an overflow in the checkpoint, never a
 * trace. On error the outputs of all n samples are cleared. */
int forward_run(forward *f, forward_sample *s, size_t n, gm_error *err);

void forward_sample_clear(forward_sample *s); /* accepts NULL */

const forward_stats *forward_get_stats(const forward *f);

/* Real FLOPs of one sample of T tokens (multiply-add = 2): the attention's
 * projections (standard or latent), causal attention (T(T+1)/2 query-key
 * pairs, windows ignored), router, the K chosen experts and any shared expert
 * per token in MoE layers, the MLP in dense layers, lm_head over every token. */
double forward_flops(const model_config *c, int64_t T);

#endif
