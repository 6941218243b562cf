/* forward_ctx.h: what the forward pass's files share, below all of them: the
 * context (scratch buffers sized for the largest batch seen) and the small
 * helpers every block uses (weight access, RMSNorm, the finiteness check).
 * The blocks (attention.h, moe.h) include this, never forward.h, so the order
 * is forward -> blocks -> forward_ctx -> {tensor, gemm, vecmath}. Not for
 * stages: they include forward.h only. Spec: olmoe.md "Forward pass". */
#ifndef GM_FORWARD_CTX_H
#define GM_FORWARD_CTX_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "forward_types.h"
#include "model.h"

enum { FW_ATTN_BLOCK = 256 }; /* query rows per attention block (scores: [block, Tmax]) */
/* Experts run on threads of our own up to this many --threads (each extra one
 * holds about 150 MB of buffers at 4096 OLMoE tokens); above it they run one
 * at a time on OpenBLAS's threads, which then have enough cores to split. */
enum { FW_EXPERT_THREADS_MAX = 8 };

/* One expert thread's buffers (moe.c), each [cap_T, ...] row-major. */
typedef struct fw_expert_scratch {
    float *xe;                   /* [T, D]    gathered expert inputs */
    float *ge;                   /* [T, 2F]   gate | up outputs; silu(gate) * up in the gate half */
    float *ye;                   /* [T, D]    expert outputs */
    float *acc;                  /* [T, D]    sum of weight * expert output (NULL: into x) */
    float *wa, *wb;              /* widened expert weights: gate | up [2F, D], down [D, F] */
    double t_widen;              /* seconds spent widening, added to the stats after the layer */
} fw_expert_scratch;

struct forward {
    const model *m;
    forward_opts o;
    forward_stats st;

    /* the batch: nseg samples laid end to end, Tall tokens */
    int64_t Tall, cap_T;         /* tokens in this batch; buffers sized for cap_T */
    size_t nseg;
    const int64_t *seg_start;    /* [nseg] first token of each sample in the batch */
    const int64_t *seg_len;      /* [nseg] */
    int64_t *pos;                /* [cap_T] position of each token within its sample */
    int64_t *seg_of;             /* [cap_T] sample of each token */

    /* activations, all [cap_T, ...] row-major */
    float *x;                    /* [T, D]    residual stream */
    float *h;                    /* [T, D]    normed input of a block */
    float *q;                    /* [T, D]    queries (H heads of Dh) */
    float *k, *v;                /* [T, Dkv]  keys, values (H_kv heads) */
    float *att;                  /* [T, D]    attention output, heads concatenated */
    float *scores;               /* [threads, FW_ATTN_BLOCK, Tmax] one query block's
                                  * attention rows per attention thread */
    int64_t cap_scores, scores_per_thread;
    int threads;                 /* threads of attention and of the experts (o.threads) */
    float *logits;               /* [T, E]    router logits, then softmax */
    int *topk_id;                /* [T, K] */
    float *topk_w;               /* [T, K] */
    int64_t *e_count, *e_start;  /* [E+1] tokens routed to each expert, offsets */
    int *e_owner;                /* [E]    the expert thread of each expert */
    int64_t *e_tok;              /* [T*K] token of each (expert, slot), grouped by expert */
    float *e_w;                  /* [T*K] its routing weight */
    fw_expert_scratch ex0;       /* expert thread 0's buffers: its outputs go into x */
    fw_expert_scratch *ex;       /* [n_ex] the other expert threads' buffers */
    int n_ex;                    /* expert threads besides the caller's (0: experts on OpenBLAS) */
    int64_t cap_ex_T;
    double *lse_m, *lse_s;       /* [T]       running logsumexp max and sum over V blocks */
    float *tgt;                  /* [T]       logit of the next token */
    float *vlog;                 /* [T, Vb]   one lm_head block's logits */
    int64_t Vb;                  /* lm_head rows per block */
    double *acc_router, *acc_topk; /* [nseg, E] per-layer sums over tokens */
    size_t cap_seg;

    /* weights widened to f32 just before use: two buffers of wcap floats */
    float *wa, *wb;
    int64_t wcap;
    float *norm_w;               /* [max(D, Dkv)] a norm weight, widened */
    float *rope_cos, *rope_sin;  /* [cap_pos, Dh/2] */
    int64_t cap_pos;
};

/* An f32 view of n elements from element `first` of t: the mapped bytes
 * themselves when t is F32 and aligned, else widened into buf (n floats). */
const float *fw_weights(forward *f, const gm_tensor *t, int64_t first, int64_t n, float *buf);
/* The same, adding the widening time to *t_widen (for threads: no shared stats). */
const float *fw_weights_timed(const gm_tensor *t, int64_t first, int64_t n, float *buf,
                              double *t_widen);
/* Drop t's mapped pages from the process when opts.release_weights. */
void fw_release(forward *f, const gm_tensor *t);

/* y[T, n] = w * x / sqrt(mean(x^2) + eps) per row (y may be x); w [n] f32. */
void fw_rmsnorm(const float *x, const float *w, int64_t T, int64_t n, double eps,
                float *y, int64_t ld);

/* x [T, n] (rows at stride n; row i is token t0 + i of the batch, column j is
 * col0 + j) must be finite: -1 with err naming the first NaN or Inf by sample,
 * position, and column (`what` names the values, `col` the column). */
int fw_check_finite(const forward *f, const forward_sample *s, const float *x, int64_t t0,
                    int64_t T, int64_t n, int64_t col0, const char *what, const char *col,
                    gm_error *err);

/* "sample \"ID\"" or "sample N of the batch" for sample i, for messages. */
void fw_sample_label(const forward_sample *s, size_t i, char *buf, size_t cap);
/* "NaN", "+Inf" or "-Inf". */
const char *fw_nonfinite_name(double v);

#endif
