/* attention.c: one OLMoE self-attention block over a batch of samples:
 * q/k/v projections (SGEMM), RMSNorm over the full q and k width, optional
 * clip, rotate-half RoPE, causal softmax attention per sample and head in
 * query blocks (SGEMM for scores and for P @ V), o_proj added into the
 * residual. No KV cache, no sliding window, no attention bias.
 * The (sample, head) pairs are shared out among threads, each with its own
 * scores block and OpenBLAS held to one thread: the per-head products are
 * too thin (K = Dh) for OpenBLAS to split well, and the softmax between them
 * would otherwise run on one core.
 * Spec: olmoe.md "Forward pass" step 2 (attention part). */
#include "attention.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "forward_ctx.h"
#include "gemm.h"
#include "runtime.h"
#include "tensor.h"
#include "vecmath.h"

enum { BQ = FW_ATTN_BLOCK }; /* query rows per attention block */

/* RoPE rotate-half on one head row x [Dh] at a position:
 * y_i = x_i cos - x_{i+Dh/2} sin, y_{i+Dh/2} = x_{i+Dh/2} cos + x_i sin. */
static void rope_row(float *x, int64_t half, const float *cs, const float *sn)
{
    for (int64_t i = 0; i < half; i++) {
        float a = x[i], b = x[i + half];
        x[i] = a * cs[i] - b * sn[i];
        x[i + half] = b * cs[i] + a * sn[i];
    }
}

static void clip_rows(float *x, int64_t n, float c)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = x[i] > c ? c : (x[i] < -c ? -c : x[i]);
}

/* Rows [i0, i1) of one sample's head: S = softmax_causal(q k^T / sqrt(Dh)),
 * out = S @ v. q rows at stride D, k/v rows at stride Dkv, out at stride D. */
static void attend_block(const forward *f, float *S, const float *q, const float *k,
                         const float *v, float *out, int64_t i0, int64_t i1)
{
    const model_config *c = &f->m->cfg;
    int64_t D = c->D, Dkv = c->H_kv * c->Dh, Dh = c->Dh;
    int64_t M = i1 - i0, N = i1; /* keys 0..i1-1; S is [M, N] */
    gemm_nt(M, N, Dh, q + i0 * D, D, k, Dkv, 0.0f, S, N);
    float scale = (float)(1.0 / sqrt((double)Dh));
    for (int64_t r = 0; r < M; r++) {
        float *row = S + r * N;
        int64_t n = i0 + r + 1; /* keys 0..i0+r are visible */
        float mx = vec_max(row, n);
        double sum = vec_exp_sum(row, n, scale, scale * mx); /* exp((s - max) / sqrt(Dh)) */
        vec_scale(row, n, (float)(1.0 / sum));
        memset(row + n, 0, (size_t)(N - n) * sizeof(float));
    }
    gemm_nn(M, Dh, N, S, N, v, Dkv, 0.0f, out + i0 * D, D);
}

/* One (sample, head) pair, all its query blocks, with scores block S. */
static void attend_head(const forward *f, float *S, int64_t item)
{
    const model_config *c = &f->m->cfg;
    int64_t D = c->D, Dh = c->Dh, Dkv = c->H_kv * Dh, group = c->H / c->H_kv;
    size_t sg = (size_t)(item / c->H);
    int64_t hh = item % c->H, kh = hh / group;
    int64_t s0 = f->seg_start[sg], Ts = f->seg_len[sg];
    const float *q = f->q + s0 * D + hh * Dh;
    const float *k = f->k + s0 * Dkv + kh * Dh;
    const float *v = f->v + s0 * Dkv + kh * Dh;
    float *out = f->att + s0 * D + hh * Dh;
    for (int64_t i0 = 0; i0 < Ts; i0 += BQ)
        attend_block(f, S, q, k, v, out, i0, i0 + BQ < Ts ? i0 + BQ : Ts);
}

/* The pairs, handed out one at a time so that long and short samples even out. */
typedef struct attn_share {
    const forward *f;
    int64_t n_items;
    atomic_llong next;
} attn_share;

typedef struct attn_thread {
    attn_share *share;
    float *S;
} attn_thread;

static void *attend_worker(void *arg)
{
    attn_thread *t = arg;
    int64_t item;
    while ((item = atomic_fetch_add(&t->share->next, 1)) < t->share->n_items)
        attend_head(t->share->f, t->S, item);
    return NULL;
}

static void attend_all(forward *f)
{
    enum { MAX_THREADS = 256 };
    int64_t n_items = (int64_t)f->nseg * f->m->cfg.H;
    int n = f->threads;
    if (n > n_items)
        n = (int)n_items;
    if (n > MAX_THREADS)
        n = MAX_THREADS;
    if (n <= 1) {
        for (int64_t item = 0; item < n_items; item++)
            attend_head(f, f->scores, item);
        return;
    }
    attn_share share = {.f = f, .n_items = n_items};
    atomic_init(&share.next, 0);
    attn_thread th[MAX_THREADS];
    pthread_t id[MAX_THREADS];
    int started = 0;
    int blas_threads = blas_single_begin(); /* our threads share the work */
    for (int i = 1; i < n; i++) {
        th[i] = (attn_thread){&share, f->scores + i * f->scores_per_thread};
        if (pthread_create(&id[i], NULL, attend_worker, &th[i]) != 0)
            break; /* fewer threads; the work is shared all the same */
        started = i;
    }
    th[0] = (attn_thread){&share, f->scores};
    attend_worker(&th[0]);
    for (int i = 1; i <= started; i++)
        pthread_join(id[i], NULL);
    blas_single_end(blas_threads);
}

void fw_attention(forward *f, int64_t l)
{
    const model *m = f->m;
    const model_config *c = &m->cfg;
    const model_layer *ly = &m->layers[l];
    int64_t T = f->Tall, D = c->D, Dh = c->Dh, half = Dh / 2;
    int64_t Hkv = c->H_kv, Dkv = Hkv * Dh;

    /* q = h Wq^T [T, D]; k = h Wk^T, v = h Wv^T [T, Dkv]; weights [out, in] */
    const float *w = fw_weights(f, &ly->wq, 0, D * D, f->wa);
    gemm_nt(T, D, D, f->h, D, w, D, 0.0f, f->q, D);
    fw_release(f, &ly->wq);
    w = fw_weights(f, &ly->wk, 0, Dkv * D, f->wa);
    gemm_nt(T, Dkv, D, f->h, D, w, D, 0.0f, f->k, Dkv);
    fw_release(f, &ly->wk);
    w = fw_weights(f, &ly->wv, 0, Dkv * D, f->wa);
    gemm_nt(T, Dkv, D, f->h, D, w, D, 0.0f, f->v, Dkv);
    fw_release(f, &ly->wv);

    /* q = RMSNorm(q; q_norm) over all D, k = RMSNorm(k; k_norm) over all Dkv */
    tensor_widen(&ly->q_norm, 0, D, f->norm_w);
    fw_rmsnorm(f->q, f->norm_w, T, D, c->rms_eps, f->q, D);
    tensor_widen(&ly->k_norm, 0, Dkv, f->norm_w);
    fw_rmsnorm(f->k, f->norm_w, T, Dkv, c->rms_eps, f->k, Dkv);
    if (c->clip_qkv > 0) {
        float cl = (float)c->clip_qkv;
        clip_rows(f->q, T * D, cl);
        clip_rows(f->k, T * Dkv, cl);
        clip_rows(f->v, T * Dkv, cl);
    }

    /* RoPE on every head of q and k at the token's position in its sample */
    for (int64_t t = 0; t < T; t++) {
        const float *cs = f->rope_cos + f->pos[t] * half, *sn = f->rope_sin + f->pos[t] * half;
        for (int64_t hh = 0; hh < c->H; hh++)
            rope_row(f->q + t * D + hh * Dh, half, cs, sn);
        for (int64_t hh = 0; hh < Hkv; hh++)
            rope_row(f->k + t * Dkv + hh * Dh, half, cs, sn);
    }

    /* att[:, head] = softmax_causal(q_h k_h^T / sqrt(Dh)) v_h, per sample */
    attend_all(f);

    /* x += att @ Wo^T */
    w = fw_weights(f, &ly->wo, 0, D * D, f->wa);
    gemm_nt(T, D, D, f->att, D, w, D, 1.0f, f->x, D);
    fw_release(f, &ly->wo);
}
