/* moe.c: one sparse MoE block over a batch: the router logits (SGEMM), each
 * token's decision by the family's router (route.c), then tokens grouped by
 * expert and each expert run as SGEMMs over its tokens with its weights
 * widened just before use: x[t] += res_mult * sum_k w_k down_k(silu(gate_k h)
 * * up_k h). Records the router outputs per sample at the layer's MoE index.
 * Shared experts are ffn.c's (forward.c adds them). No capacity limit, no
 * token dropping. Spec: olmoe.md "Forward pass" step 2, families.md. */
#include "moe.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "forward_ctx.h"
#include "gemm.h"
#include "route.h"
#include "runtime.h"
#include "tensor.h"
#include "vecmath.h"

/* Router for all T tokens: probs, top-k ids and weights; sums per sample.
 * -1 with err when a logit is NaN or Inf. */
static int route(forward *f, int64_t l, forward_sample *s, gm_error *err)
{
    const model_config *c = &f->m->cfg;
    const model_layer *ly = &f->m->layers[l];
    int64_t T = f->Tall, D = c->D, E = c->E, K = c->K, L = c->L_moe;
    int64_t ml = ly->moe; /* the trace's layer */

    /* logits = h @ Wg^T  [T, E] */
    fw_linear(f, &ly->router, NULL, f->h, D, 0.0f, f->logits, E);
    if (!f->o.skip_finite_check) {
        char what[64];
        snprintf(what, sizeof what, "layer %lld router logit", (long long)l);
        if (fw_check_finite(f, s, f->logits, 0, T, E, 0, what, "expert", err))
            return -1;
    }
    memset(f->acc_router, 0, f->nseg * (size_t)E * sizeof(double));
    memset(f->acc_topk, 0, f->nseg * (size_t)E * sizeof(double));
    const float *bias = NULL;
    if (ly->router_bias.data) {
        tensor_widen(&ly->router_bias, 0, E, f->route_bias);
        bias = f->route_bias;
    }
    for (int64_t t = 0; t < T; t++) {
        float *p = f->logits + t * E; /* logits in, g out */
        int *ids = f->topk_id + t * K;
        float *wt = f->topk_w + t * K;
        fw_route_token(c, p, bias, f->route_scratch, ids, wt);

        int64_t sg = f->seg_of[t], pos = f->pos[t];
        double *ar = f->acc_router + sg * E, *ak = f->acc_topk + sg * E;
        for (int64_t e = 0; e < E; e++)
            ar[e] += p[e];
        for (int64_t k = 0; k < K; k++)
            ak[ids[k]] += wt[k];
        forward_sample *smp = &s[sg];
        if (smp->topk_ids)
            for (int64_t k = 0; k < K; k++) {
                smp->topk_ids[(pos * L + ml) * K + k] = (uint16_t)ids[k];
                smp->topk_weights[(pos * L + ml) * K + k] = wt[k];
            }
        if (smp->probs)
            memcpy(smp->probs + (pos * L + ml) * E, p, (size_t)E * sizeof(float));
    }
    for (size_t sg = 0; sg < f->nseg; sg++) {
        double n = (double)s[sg].T;
        for (int64_t e = 0; e < E; e++) {
            s[sg].router_mean[ml * E + e] = (float)(f->acc_router[sg * E + e] / n);
            s[sg].topk_mean[ml * E + e] = (float)(f->acc_topk[sg * E + e] / n);
        }
    }

    /* group (token, weight) pairs by expert, tokens ascending within one; the
     * weight an expert's output is added with carries residual_multiplier */
    memset(f->e_count, 0, (size_t)(E + 1) * sizeof(int64_t));
    for (int64_t i = 0; i < T * K; i++)
        f->e_count[f->topk_id[i]]++;
    f->e_start[0] = 0;
    for (int64_t e = 0; e < E; e++)
        f->e_start[e + 1] = f->e_start[e] + f->e_count[e];
    memset(f->e_count, 0, (size_t)(E + 1) * sizeof(int64_t));
    for (int64_t t = 0; t < T; t++)
        for (int64_t k = 0; k < K; k++) {
            int e = f->topk_id[t * K + k];
            int64_t at = f->e_start[e] + f->e_count[e]++;
            f->e_tok[at] = t;
            f->e_w[at] = f->topk_w[t * K + k] * (float)c->res_mult;
        }
    return 0;
}

/* One expert over its tokens, with scratch sc: out[tok] += w * expert(h[tok]),
 * out being x itself or the thread's own sums. */
static void run_expert(forward *f, const model_layer *ly, int64_t e, fw_expert_scratch *sc,
                       float *out)
{
    const model_config *c = &f->m->cfg;
    int64_t D = c->D, F = c->F;
    int64_t n = f->e_start[e + 1] - f->e_start[e];
    if (n == 0)
        return;
    const int64_t *tok = f->e_tok + f->e_start[e];
    const float *wt = f->e_w + f->e_start[e];
    /* xe = h[tok]  [n, D] */
    for (int64_t i = 0; i < n; i++)
        memcpy(sc->xe + i * D, f->h + tok[i] * D, (size_t)D * sizeof(float));
    /* ge[:, :F] = xe @ gate^T, ge[:, F:] = xe @ up^T   [n, 2F] */
    const float *wg = fw_weights_timed(&ly->gate[e], 0, F * D, sc->wa, &sc->t_widen);
    const float *wu = fw_weights_timed(&ly->up[e], 0, F * D, sc->wa + F * D, &sc->t_widen);
    if (wu == wg + F * D) { /* widened side by side: one GEMM over [2F, D] */
        gemm_nt(n, 2 * F, D, sc->xe, D, wg, D, 0.0f, sc->ge, 2 * F);
    } else {
        gemm_nt(n, F, D, sc->xe, D, wg, D, 0.0f, sc->ge, 2 * F);
        gemm_nt(n, F, D, sc->xe, D, wu, D, 0.0f, sc->ge + F, 2 * F);
    }
    fw_release(f, &ly->gate[e]);
    fw_release(f, &ly->up[e]);
    /* ge[:, :F] = silu(gate) * up */
    for (int64_t i = 0; i < n; i++)
        vec_silu_mul(sc->ge + i * 2 * F, sc->ge + i * 2 * F + F, F);
    /* ye = act @ down^T  [n, D]; down is [D, F] */
    const float *wd = fw_weights_timed(&ly->down[e], 0, D * F, sc->wb, &sc->t_widen);
    gemm_nt(n, D, F, sc->ge, 2 * F, wd, F, 0.0f, sc->ye, D);
    fw_release(f, &ly->down[e]);
    /* out[tok] += w * ye */
    for (int64_t i = 0; i < n; i++)
        vec_axpy(out + tok[i] * D, sc->ye + i * D, D, wt[i]);
}

/* The experts are dealt out to threads before any runs, largest first to
 * the least loaded thread (ties: lower index), so that a given thread count
 * always sums the same contributions in the same order. Thread 0 adds into
 * x; the others into their own sums, added to x in thread order at the end. */
typedef struct expert_thread {
    forward *f;
    const model_layer *ly;
    fw_expert_scratch *sc;
    float *out;
    const int *owner; /* [E] the thread of each expert */
    int me;
} expert_thread;

static void *expert_worker(void *arg)
{
    expert_thread *t = arg;
    const model_config *c = &t->f->m->cfg;
    if (t->sc->acc)
        memset(t->sc->acc, 0, (size_t)(t->f->Tall * c->D) * sizeof(float));
    for (int64_t e = 0; e < c->E; e++)
        if (t->owner[e] == t->me)
            run_expert(t->f, t->ly, e, t->sc, t->out);
    return NULL;
}

/* owner[e] for n threads: longest expert first, to the least loaded thread. */
static void deal_experts(const forward *f, int n, int *owner)
{
    int64_t E = f->m->cfg.E;
    int64_t load[FW_EXPERT_THREADS_MAX] = {0};
    for (int64_t e = 0; e < E; e++)
        owner[e] = -1;
    for (int64_t dealt = 0; dealt < E; dealt++) {
        int64_t best = -1, best_n = -1;
        for (int64_t e = 0; e < E; e++) {
            int64_t ne = f->e_start[e + 1] - f->e_start[e];
            if (owner[e] < 0 && ne > best_n) {
                best = e;
                best_n = ne;
            }
        }
        int to = 0;
        for (int i = 1; i < n; i++)
            if (load[i] < load[to])
                to = i;
        owner[best] = to;
        load[to] += best_n;
    }
}

static void run_experts(forward *f, const model_layer *ly)
{
    const model_config *c = &f->m->cfg;
    int n = f->n_ex + 1; /* <= FW_EXPERT_THREADS_MAX */
    if (n <= 1) {
        for (int64_t e = 0; e < c->E; e++)
            run_expert(f, ly, e, &f->ex0, f->x);
        f->st.t_widen += f->ex0.t_widen;
        f->ex0.t_widen = 0;
        return;
    }
    int *owner = f->e_owner;
    deal_experts(f, n, owner);
    expert_thread th[FW_EXPERT_THREADS_MAX];
    pthread_t id[FW_EXPERT_THREADS_MAX];
    for (int i = 0; i < n; i++) {
        fw_expert_scratch *sc = i == 0 ? &f->ex0 : &f->ex[i - 1];
        th[i] = (expert_thread){f, ly, sc, i == 0 ? f->x : sc->acc, owner, i};
    }
    int blas_threads = blas_single_begin(); /* our threads share the work */
    int started = 0;
    for (int i = 1; i < n; i++) {
        if (pthread_create(&id[i], NULL, expert_worker, &th[i]) != 0)
            break;
        started = i;
    }
    /* a thread that could not start: its experts run here, into its own sums */
    for (int i = started + 1; i < n; i++)
        expert_worker(&th[i]);
    expert_worker(&th[0]);
    for (int i = 1; i <= started; i++)
        pthread_join(id[i], NULL);
    blas_single_end(blas_threads);
    int64_t TD = f->Tall * c->D;
    for (int i = 1; i < n; i++)
        vec_axpy(f->x, th[i].sc->acc, TD, 1.0f);
    for (int i = 0; i < n; i++) {
        f->st.t_widen += th[i].sc->t_widen;
        th[i].sc->t_widen = 0;
    }
}

int fw_moe(forward *f, int64_t l, forward_sample *s, gm_error *err)
{
    double t0 = clock_now();
    if (route(f, l, s, err))
        return -1;
    double t1 = clock_now();
    f->st.t_router += t1 - t0;
    run_experts(f, &f->m->layers[l]);
    f->st.t_experts += clock_now() - t1;
    return 0;
}
