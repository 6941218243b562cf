/* forward.h: the MoE forward pass of an opened checkpoint over token
 * sequences, producing what a `trace` record holds: per-token NLL and loss, the
 * token-averaged router softmax and top-k weights per layer, and on request the
 * per-token top-k choices and full router softmax. Several samples run as one
 * batch, layer by layer (attention stays within each sample), so weights are
 * read once per batch. It does not read or write records, and does no
 * sampling or decoding. Spec: olmoe.md "Forward pass"; docs/records.md `trace`.
 *
 * Dimension letters as in model.h: T tokens, D width, H heads, Dh head width,
 * E experts, K top-k, L layers, F expert width, V vocabulary. */
#ifndef GM_FORWARD_H
#define GM_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "model.h"

typedef struct forward_opts {
    int emit_topk;       /* fill topk_ids / topk_weights */
    int emit_probs;      /* fill probs */
    int release_weights; /* drop mmapped weight pages from the process after use
                          * (madvise DONTNEED; the page cache keeps them), so
                          * RSS stays at activations + one layer */
    int skip_finite_check; /* benchmarks only (tests/tools/bench-finite): leave out the
                            * check that router logits, final logits and losses are
                            * finite, to time it */
} forward_opts;

/* One sample: tokens in, results out. Outputs are malloc'd by forward_run and
 * released by forward_sample_clear (which leaves tokens and T alone). */
typedef struct forward_sample {
    const uint32_t *tokens;  /* [T] */
    int64_t T;
    const char *name;        /* the sample's id in messages (NULL: its place in the batch) */
    double loss;             /* mean of token_nll; NAN when T < 2 */
    float *token_nll;        /* [T-1]  NLL of token t+1 given 0..t (NULL when T < 2) */
    float *router_mean;      /* [L, E] softmax over all experts, mean over T */
    float *topk_mean;        /* [L, E] native top-k weights (0 elsewhere), mean over T */
    uint16_t *topk_ids;      /* [T, L, K] descending probability (emit_topk) */
    float *topk_weights;     /* [T, L, K] weights as the model uses them (emit_topk) */
    float *probs;            /* [T, L, E] per-token router softmax (emit_probs) */
} forward_sample;

/* Seconds spent per phase and work done, summed over forward_run calls.
 * t_widen is inside the others, and summed over the threads that widen. */
typedef struct forward_stats {
    double t_embed, t_attn, t_router, t_experts, t_lm_head, t_widen, t_total;
    double flops;            /* real model FLOPs of the runs (forward_flops) */
    int64_t tokens, samples;
} forward_stats;

typedef struct forward forward;

/* m must outlive the forward. NULL with err set on allocation failure or a
 * model family this pass does not implement. */
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

/* Real FLOPs of one sample of T tokens (multiply-add = 2): q/k/v/o
 * projections, causal attention (T(T+1)/2 query-key pairs), router, the K
 * chosen experts per token, lm_head over every token. */
double forward_flops(const model_config *c, int64_t T);

#endif
