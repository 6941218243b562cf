/* attend.c: causal softmax attention per sample and head in query blocks:
 * SGEMM for the scores and for P @ V, the softmax between them in f32 with
 * an f64 sum. The (sample, head) pairs are shared out among threads, each
 * with its own scores block and OpenBLAS held to one thread: the per-head
 * products are too thin (K = Dh) for OpenBLAS to split well, and the softmax
 * between them would otherwise run on one core. A sliding window narrows each
 * block's keys to those any of its queries sees. */
#include "attend.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "gemm.h"
#include "runtime.h"
#include "vecmath.h"

enum { BQ = FW_ATTN_BLOCK }; /* query rows per attention block */

/* Query rows [i0, i1) of one sample's head; q, k, v, out point at the
 * sample's first row of the head. S: [BQ, Tmax] scores. */
static void attend_block(const fw_attend_args *a, float *S, const float *q, const float *k,
                         const float *v, float *out, int64_t i0, int64_t i1)
{
    int64_t j0 = 0; /* the first key any query of the block sees */
    if (a->window > 0 && i0 - a->window + 1 > 0)
        j0 = i0 - a->window + 1;
    int64_t M = i1 - i0, N = i1 - j0; /* keys j0..i1-1; S is [M, N] */
    gemm_nt(M, N, a->Dqk, q + i0 * a->ldq, a->ldq, k + j0 * a->ldk, a->ldk, 0.0f, S, N);
    float scale = (float)a->scale;
    for (int64_t r = 0; r < M; r++) {
        float *row = S + r * N;
        int64_t i = i0 + r, lo = 0; /* keys lo..i of the row are visible (relative to j0) */
        if (a->window > 0 && i - a->window + 1 > j0)
            lo = i - a->window + 1 - j0;
        int64_t hi = i - j0 + 1, n = hi - lo;
        float mx = vec_max(row + lo, n);
        double sum = vec_exp_sum(row + lo, n, scale, scale * mx); /* exp(scale (s - max)) */
        vec_scale(row + lo, n, (float)(1.0 / sum));
        memset(row, 0, (size_t)lo * sizeof(float));
        memset(row + hi, 0, (size_t)(N - hi) * sizeof(float));
    }
    gemm_nn(M, a->Dv, N, S, N, v + j0 * a->ldv, a->ldv, 0.0f, out + i0 * a->ldo, a->ldo);
}

/* One (sample, head) pair, all its query blocks. */
static void attend_head(const forward *f, const fw_attend_args *a, float *S, int64_t item)
{
    size_t sg = (size_t)(item / a->H);
    int64_t hh = item % a->H, kh = hh / a->group;
    int64_t s0 = f->seg_start[sg], Ts = f->seg_len[sg];
    const float *q = a->q + s0 * a->ldq + hh * a->Dqk;
    const float *k = a->k + s0 * a->ldk + kh * a->Dqk;
    const float *v = a->v + s0 * a->ldv + kh * a->Dv;
    float *out = a->out + s0 * a->ldo + hh * a->Dv;
    for (int64_t i0 = 0; i0 < Ts; i0 += BQ)
        attend_block(a, S, q, k, v, out, i0, i0 + BQ < Ts ? i0 + BQ : Ts);
}

/* The pairs, handed out one at a time so that long and short samples even out. */
typedef struct attn_share {
    const forward *f;
    const fw_attend_args *a;
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
        attend_head(t->share->f, t->share->a, t->S, item);
    return NULL;
}

void fw_attend(forward *f, const fw_attend_args *a)
{
    enum { MAX_THREADS = 256 };
    int64_t n_items = (int64_t)f->nseg * a->H;
    int n = f->threads;
    if (n > n_items)
        n = (int)n_items;
    if (n > MAX_THREADS)
        n = MAX_THREADS;
    if (n <= 1) {
        for (int64_t item = 0; item < n_items; item++)
            attend_head(f, a, f->scores, item);
        return;
    }
    attn_share share = {.f = f, .a = a, .n_items = n_items};
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
