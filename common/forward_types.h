/* forward_types.h: the data a forward pass takes and gives: its options, one
 * sample with its outputs, and the timing stats. Types only, so that the
 * pass's own files (forward_ctx.h and the layers) and its users share them
 * without including each other. Dimension letters as in model.h.
 * Spec: docs/records.md `trace`. */
#ifndef GM_FORWARD_TYPES_H
#define GM_FORWARD_TYPES_H

#include <stddef.h>
#include <stdint.h>

typedef struct forward_opts {
    int emit_topk;       /* fill topk_ids / topk_weights */
    int emit_probs;      /* fill probs */
    int release_weights; /* drop mmapped weight pages from the process after use
                          * (madvise DONTNEED; the page cache keeps them), so
                          * RSS stays at activations + one layer */
    int skip_finite_check; /* benchmarks only (tests/tools/bench-finite): leave out the
                            * check that router logits, final logits and losses are
                            * finite, to time it */
    int threads;         /* >= 1: threads of attention and of the experts, with OpenBLAS
                          * held to one thread meanwhile; the same count OpenBLAS was
                          * given (runtime_start) */
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

typedef struct forward forward; /* the pass's context: forward_ctx.h */

#endif
