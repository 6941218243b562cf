/* forward_ctx.h: what the forward pass's files share, below all of them: the
 * context (scratch buffers sized for the largest batch seen) and the small
 * helpers every block uses (weight access, linear layers with biases,
 * RMSNorm, RoPE, the finiteness check). The blocks (attention.h, mla.h,
 * moe.h, ffn.h) include this, never forward.h, so the order is forward ->
 * blocks -> {attend, route, forward_ctx} -> {tensor, gemm, vecmath}. Not for
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
    float *q;                    /* [T, H*Dh]    queries */
    float *k;                    /* [T, H_kv*Dh] keys */
    float *v;                    /* [T, H_kv*Dv] values */
    float *att;                  /* [T, H*Dv]    attention output, heads concatenated */
    float *scores;               /* [threads, FW_ATTN_BLOCK, Tmax] one query block's
                                  * attention rows per attention thread */
    int64_t cap_scores, scores_per_thread;
    int threads;                 /* threads of attention and of the experts (o.threads) */
    float *logits;               /* [T, E]    router logits, then g (route.h) */
    float *route_scratch;        /* [2E + n_group] one token's routing scratch */
    float *route_bias;           /* [E]       a layer's selection bias, widened */
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
    float *norm_w;               /* [widest norm or bias] a norm weight or bias, widened */
    float *rope_cos, *rope_sin;  /* [cap_pos, Dr/2] times the rope's attention factor */
    int64_t cap_pos, rope_half;  /* Dr/2: the rotated half-width */
    float *mla_a;                /* [T, max(q_lora, kv_lora + qk_rope)] MLA's latents */
    float *mla_kv;               /* [T, H*(qk_nope + Dv)] kv_b's output */
    float *ffn;                  /* [T, 2 max(dense_F, shared_F)] gate | up of a dense MLP */
};

/* An f32 view of n elements from element `first` of t: the mapped bytes
 * themselves when t is F32 and aligned, else widened into buf (n floats). */
const float *fw_weights(forward *f, const gm_tensor *t, int64_t first, int64_t n, float *buf);
/* The same, adding the widening time to *t_widen (for threads: no shared stats). */
const float *fw_weights_timed(const gm_tensor *t, int64_t first, int64_t n, float *buf,
                              double *t_widen);
/* Drop t's mapped pages from the process when opts.release_weights. */
void fw_release(forward *f, const gm_tensor *t);

/* y[T, out] = beta y + x[T, in] @ W^T, plus the bias b (when b and b->data),
 * W [out, in] widened into f->wa as needed and released after. Rows of x and y
 * at strides ldx, ldy. */
void fw_linear(forward *f, const gm_tensor *w, const gm_tensor *b, const float *x, int64_t ldx,
               float beta, float *y, int64_t ldy);
/* y[t] += mult * b for each of the batch's rows (b [n] of any dtype). */
void fw_add_bias(forward *f, const gm_tensor *b, float mult, float *y, int64_t ldy);

/* RMSNorm with the weight tensor w [n] (widened into f->norm_w): rows of n at
 * stride ld, `rows` of them (y may be x). */
void fw_rmsnorm_t(forward *f, const gm_tensor *w, const float *x, int64_t rows, int64_t n,
                  double eps, float *y, int64_t ld);

/* Rotary embedding at each token's position on `heads` heads of every row of
 * x: head h's rotated part is x[t*ld + h*head_ld + off ..][Dr] (Dr from the
 * tables). interleave: pairs (2i, 2i+1); else (i, i + Dr/2) (rotate-half). */
void fw_rope(const forward *f, float *x, int64_t ld, int64_t heads, int64_t head_ld,
             int64_t off, int interleave);

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
