/* forward.c: the forward pass driver: embedding (times Granite's embedding
 * multiplier), the layer loop composed from the config (attention.c or mla.c;
 * moe.c plus a shared expert, or a dense ffn.c), final RMSNorm, lm_head in row
 * blocks over V (logits over Granite's logits_scaling) with a running
 * logsumexp for the per-token NLL, and the per-sample outputs. The helpers the
 * blocks share are forward_ctx.c. It does not parse checkpoints (model.c) or
 * records (the stage).
 * Spec: olmoe.md "Forward pass" steps 1-4; docs/records.md `trace`. */
#include "forward.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attention.h"
#include "ffn.h"
#include "mla.h"
#include "clock.h"
#include "forward_ctx.h"
#include "gemm.h"
#include "moe.h"
#include "rope.h"
#include "tensor.h"
#include "vecmath.h"

/* ---- set-up ------------------------------------------------------------ */

forward *forward_create(const model *m, const forward_opts *opts, gm_error *err)
{
    const model_config *c = &m->cfg;
    if (c->E > 65535 || c->K < 1 || c->K > c->E || rope_dims(c) % 2 != 0 || c->H % c->H_kv != 0) {
        gm_fail(err, GM_EDATA,
                "%s: unsupported shape (E %lld, K %lld, head width %lld, H %lld, H_kv %lld)",
                m->name, (long long)c->E, (long long)c->K, (long long)c->Dh,
                (long long)c->H, (long long)c->H_kv);
        return NULL;
    }
    if (opts->threads < 1) {
        gm_fail(err, GM_EUSAGE, "forward pass: %d threads, expected at least 1", opts->threads);
        return NULL;
    }
    forward *f = calloc(1, sizeof *f);
    if (!f) {
        gm_fail(err, GM_ENOMEM, "out of memory creating the forward pass");
        return NULL;
    }
    f->m = m;
    f->o = *opts;
    f->threads = opts->threads; /* the count runtime_start gave OpenBLAS */
    int64_t D = c->D, Q = c->H * c->Dh, KV = c->H_kv * c->Dh, A = c->H * c->Dv;
    /* lm_head rows per block: about 8M floats of widened weights */
    f->Vb = ((int64_t)8 << 20) / D;
    if (f->Vb < 64)
        f->Vb = 64;
    if (f->Vb > c->V)
        f->Vb = c->V;
    /* the largest weight widened at once: two buffers of it */
    int64_t sizes[] = {Q * D, KV * D, D * A, 2 * c->F * D /* gate | up side by side */,
                       c->E * D, f->Vb * D, 2 * c->dense_F * D, 2 * c->shared_F * D,
                       c->q_lora * D, Q * c->q_lora, (c->kv_lora + c->qk_rope) * D,
                       c->H * (c->qk_nope + c->Dv) * c->kv_lora};
    int64_t w = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (sizes[i] > w)
            w = sizes[i];
    f->wcap = w;
    /* the widest norm weight or bias */
    int64_t widths[] = {D, Q, KV, c->q_lora, c->kv_lora + c->qk_rope, c->E};
    int64_t nw = 0;
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++)
        if (widths[i] > nw)
            nw = widths[i];
    f->wa = malloc((size_t)w * sizeof(float));
    f->wb = malloc((size_t)w * sizeof(float));
    f->ex0.wa = f->wa;
    f->ex0.wb = f->wb;
    f->norm_w = malloc((size_t)nw * sizeof(float));
    f->e_count = calloc((size_t)c->E + 1, sizeof(int64_t));
    f->e_start = calloc((size_t)c->E + 1, sizeof(int64_t));
    f->e_owner = calloc((size_t)c->E, sizeof(int));
    f->route_scratch = malloc((size_t)(2 * c->E + c->n_group) * sizeof(float));
    f->route_bias = malloc((size_t)c->E * sizeof(float));
    f->rope_half = rope_dims(c) / 2;
    if (!f->wa || !f->wb || !f->norm_w || !f->e_count || !f->e_start || !f->e_owner ||
        !f->route_scratch || !f->route_bias) {
        forward_free(f);
        gm_fail(err, GM_ENOMEM, "out of memory for weight buffers (2 x %lld floats)",
                (long long)w);
        return NULL;
    }
    return f;
}

static void free_activations(forward *f)
{
    free(f->pos); free(f->seg_of);
    free(f->x); free(f->h); free(f->q); free(f->k); free(f->v); free(f->att);
    free(f->logits); free(f->topk_id); free(f->topk_w); free(f->e_tok); free(f->e_w);
    free(f->ex0.xe); free(f->ex0.ge); free(f->ex0.ye);
    free(f->lse_m); free(f->lse_s); free(f->tgt); free(f->vlog);
    free(f->mla_a); free(f->mla_kv); free(f->ffn);
    f->mla_a = f->mla_kv = f->ffn = NULL;
    f->pos = NULL; f->seg_of = NULL; f->x = f->h = f->q = f->k = f->v = f->att = NULL;
    f->logits = NULL; f->topk_id = NULL; f->topk_w = NULL; f->e_tok = NULL; f->e_w = NULL;
    f->ex0.xe = f->ex0.ge = f->ex0.ye = NULL;
    f->lse_m = f->lse_s = NULL; f->tgt = NULL; f->vlog = NULL;
    f->cap_T = 0;
}

static void *alloc_n(size_t n, size_t size, int *bad)
{
    void *p = malloc(n ? n * size : 1);
    if (!p)
        *bad = 1;
    return p;
}

static void free_expert_threads(forward *f)
{
    for (int i = 0; i < f->n_ex; i++) {
        fw_expert_scratch *x = &f->ex[i];
        free(x->xe); free(x->ge); free(x->ye); free(x->acc); free(x->wa); free(x->wb);
    }
    free(f->ex);
    f->ex = NULL;
    f->n_ex = 0;
    f->cap_ex_T = 0;
}

/* Buffers for threads 1.. of the expert phase, for batches up to T tokens. */
static int reserve_expert_threads(forward *f, int64_t T, gm_error *err)
{
    const model_config *c = &f->m->cfg;
    int n = f->threads <= FW_EXPERT_THREADS_MAX ? f->threads - 1 : 0;
    if (n == f->n_ex && T <= f->cap_ex_T)
        return 0;
    free_expert_threads(f);
    if (n <= 0)
        return 0;
    f->ex = calloc((size_t)n, sizeof *f->ex);
    int bad = !f->ex;
    for (int i = 0; i < n && !bad; i++) {
        fw_expert_scratch *x = &f->ex[i];
        size_t t = (size_t)T;
        f->n_ex = i + 1;
        x->xe = alloc_n(t * (size_t)c->D, sizeof(float), &bad);
        x->ge = alloc_n(t * (size_t)(2 * c->F), sizeof(float), &bad);
        x->ye = alloc_n(t * (size_t)c->D, sizeof(float), &bad);
        x->acc = alloc_n(t * (size_t)c->D, sizeof(float), &bad);
        x->wa = alloc_n((size_t)(2 * c->F * c->D), sizeof(float), &bad);
        x->wb = alloc_n((size_t)(c->D * c->F), sizeof(float), &bad);
    }
    if (bad) {
        free_expert_threads(f);
        return gm_fail(err, GM_ENOMEM, "out of memory for %d expert threads' buffers", n);
    }
    f->cap_ex_T = T;
    return 0;
}

void forward_free(forward *f)
{
    if (!f)
        return;
    free_activations(f);
    free_expert_threads(f);
    free(f->scores); free(f->acc_router); free(f->acc_topk);
    free(f->wa); free(f->wb); free(f->norm_w);
    free(f->e_count); free(f->e_start); free(f->e_owner); free(f->rope_cos); free(f->rope_sin);
    free(f->route_scratch); free(f->route_bias);
    free(f);
}

const forward_stats *forward_get_stats(const forward *f) { return &f->st; }

/* Make room for a batch of T tokens, nseg samples, the longest Tmax long. */
static int reserve(forward *f, int64_t T, size_t nseg, int64_t Tmax, gm_error *err)
{
    const model_config *c = &f->m->cfg;
    int64_t D = c->D, Q = c->H * c->Dh, KV = c->H_kv * c->Dh, E = c->E, K = c->K, F = c->F;
    int64_t VW = c->H_kv * c->Dv, A = c->H * c->Dv;
    int64_t FF = c->dense_F > c->shared_F ? c->dense_F : c->shared_F;
    int64_t LA = c->q_lora > c->kv_lora + c->qk_rope ? c->q_lora : c->kv_lora + c->qk_rope;
    int mla = c->attn == GM_ATTN_MLA;
    int bad = 0;
    if (T > f->cap_T) {
        free_activations(f);
        size_t t = (size_t)T;
        f->pos = alloc_n(t, sizeof(int64_t), &bad);
        f->seg_of = alloc_n(t, sizeof(int64_t), &bad);
        f->x = alloc_n(t * (size_t)D, sizeof(float), &bad);
        f->h = alloc_n(t * (size_t)D, sizeof(float), &bad);
        f->q = alloc_n(t * (size_t)Q, sizeof(float), &bad);
        f->k = alloc_n(t * (size_t)KV, sizeof(float), &bad);
        f->v = alloc_n(t * (size_t)VW, sizeof(float), &bad);
        f->att = alloc_n(t * (size_t)A, sizeof(float), &bad);
        if (mla) {
            f->mla_a = alloc_n(t * (size_t)LA, sizeof(float), &bad);
            f->mla_kv = alloc_n(t * (size_t)(c->H * (c->qk_nope + c->Dv)), sizeof(float), &bad);
        }
        if (FF > 0)
            f->ffn = alloc_n(t * (size_t)(2 * FF), sizeof(float), &bad);
        f->logits = alloc_n(t * (size_t)E, sizeof(float), &bad);
        f->topk_id = alloc_n(t * (size_t)K, sizeof(int), &bad);
        f->topk_w = alloc_n(t * (size_t)K, sizeof(float), &bad);
        f->e_tok = alloc_n(t * (size_t)K, sizeof(int64_t), &bad);
        f->e_w = alloc_n(t * (size_t)K, sizeof(float), &bad);
        f->ex0.xe = alloc_n(t * (size_t)D, sizeof(float), &bad);
        f->ex0.ge = alloc_n(t * (size_t)(2 * F), sizeof(float), &bad);
        f->ex0.ye = alloc_n(t * (size_t)D, sizeof(float), &bad);
        f->lse_m = alloc_n(t, sizeof(double), &bad);
        f->lse_s = alloc_n(t, sizeof(double), &bad);
        f->tgt = alloc_n(t, sizeof(float), &bad);
        f->vlog = alloc_n(t * (size_t)f->Vb, sizeof(float), &bad);
        f->cap_T = T;
        if (bad) {
            free_activations(f);
            return gm_fail(err, GM_ENOMEM, "out of memory for a batch of %lld tokens",
                           (long long)T);
        }
    }
    if (reserve_expert_threads(f, T, err))
        return -1;
    /* one query block of attention scores per attention thread: [FW_ATTN_BLOCK, Tmax] */
    f->scores_per_thread = FW_ATTN_BLOCK * Tmax;
    int64_t need = f->threads * f->scores_per_thread;
    if (need > f->cap_scores) {
        free(f->scores);
        f->scores = malloc((size_t)need * sizeof(float));
        if (!f->scores) {
            f->cap_scores = 0;
            return gm_fail(err, GM_ENOMEM, "out of memory for attention scores");
        }
        f->cap_scores = need;
    }
    if (nseg > f->cap_seg) {
        free(f->acc_router);
        free(f->acc_topk);
        f->acc_router = malloc(nseg * (size_t)E * sizeof(double));
        f->acc_topk = malloc(nseg * (size_t)E * sizeof(double));
        if (!f->acc_router || !f->acc_topk) {
            f->cap_seg = 0;
            return gm_fail(err, GM_ENOMEM, "out of memory for router sums");
        }
        f->cap_seg = nseg;
    }
    if (Tmax > f->cap_pos) {
        /* RoPE: angle = pos * inv_freq[i] in double (rope.c), times the attention factor */
        int64_t half = f->rope_half;
        free(f->rope_cos);
        free(f->rope_sin);
        f->rope_cos = malloc((size_t)(Tmax * half) * sizeof(float));
        f->rope_sin = malloc((size_t)(Tmax * half) * sizeof(float));
        double *inv = malloc((size_t)(half ? half : 1) * sizeof(double));
        if (!f->rope_cos || !f->rope_sin || !inv) {
            free(inv);
            f->cap_pos = 0;
            return gm_fail(err, GM_ENOMEM, "out of memory for RoPE tables");
        }
        rope_inv_freq(c, inv);
        double af = c->rope_attn_factor;
        for (int64_t p = 0; p < Tmax; p++)
            for (int64_t i = 0; i < half; i++) {
                double a = (double)p * inv[i];
                f->rope_cos[p * half + i] = (float)(cos(a) * af);
                f->rope_sin[p * half + i] = (float)(sin(a) * af);
            }
        free(inv);
        f->cap_pos = Tmax;
    }
    return 0;
}

int forward_check_tokens(const forward *f, const uint32_t *tokens, int64_t T, gm_error *err)
{
    int64_t V = f->m->cfg.V;
    for (int64_t t = 0; t < T; t++)
        if ((int64_t)tokens[t] >= V)
            return gm_fail(err, GM_EDATA, "token %u at position %lld is not below vocab_size %lld",
                           tokens[t], (long long)t, (long long)V);
    return 0;
}

void forward_sample_clear(forward_sample *s)
{
    if (!s)
        return;
    free(s->token_nll); free(s->router_mean); free(s->topk_mean);
    free(s->topk_ids); free(s->topk_weights); free(s->probs);
    s->token_nll = NULL; s->router_mean = NULL; s->topk_mean = NULL;
    s->topk_ids = NULL; s->topk_weights = NULL; s->probs = NULL;
    s->loss = NAN;
}

double forward_flops(const model_config *c, int64_t T)
{
    double D = (double)c->D, H = (double)c->H, t = (double)T;
    double Q = H * (double)c->Dh, KV = (double)(c->H_kv * c->Dh), A = H * (double)c->Dv;
    double proj; /* per token: the attention's projections */
    if (c->attn == GM_ATTN_MLA) {
        double ql = (double)c->q_lora, kl = (double)c->kv_lora;
        proj = (ql > 0 ? D * ql + ql * Q : D * Q) + D * (kl + (double)c->qk_rope) +
               kl * H * (double)(c->qk_nope + c->Dv) + A * D;
    } else {
        proj = D * (Q + 2.0 * KV) + A * D;
    }
    double attn = H * (double)(c->Dh + c->Dv) * t * (t + 1.0) / 2.0; /* causal pairs */
    double moe = D * (double)c->E + (double)c->K * 3.0 * D * (double)c->F +
                 3.0 * D * (double)c->shared_F + (c->shared == GM_SHARED_GATED ? D : 0);
    double dense = 3.0 * D * (double)c->dense_F;
    double L_moe = (double)c->L_moe, L_dense = (double)(c->L - c->L_moe);
    return 2.0 * ((double)c->L * (t * proj + attn) + L_moe * t * moe + L_dense * t * dense +
                  t * D * (double)c->V);
}

/* ---- lm_head and NLL ---------------------------------------------------- */

/* logits = h @ lm_head^T over V in blocks; per token a running logsumexp
 * (max lse_m, sum lse_s) and the target logit; loss_t = lse - logit[next].
 * -1 with err when a logit, an NLL or a loss is not finite. */
static int lm_head_nll(forward *f, forward_sample *s, gm_error *err)
{
    int check = !f->o.skip_finite_check;
    const model *m = f->m;
    int64_t D = m->cfg.D, V = m->cfg.V, T = f->Tall, Vb = f->Vb;
    const gm_tensor *W = m->cfg.tie_embeddings ? &m->embed : &m->lm_head; /* [V, D] */
    for (int64_t t = 0; t < T; t++) {
        f->lse_m[t] = -INFINITY;
        f->lse_s[t] = 0.0;
        f->tgt[t] = NAN;
    }
    for (int64_t v0 = 0; v0 < V; v0 += Vb) {
        int64_t nb = V - v0 < Vb ? V - v0 : Vb;
        const float *w = fw_weights(f, W, v0 * D, nb * D, f->wa); /* [nb, D] */
        gemm_nt(T, nb, D, f->h, D, w, D, 0.0f, f->vlog, nb);      /* [T, nb] */
        for (int64_t t = 0; t < T; t++) {
            float *lg = f->vlog + t * nb;
            /* the row is in cache: checking it here costs little (bench-finite) */
            if (check && fw_check_finite(f, s, lg, t, 1, nb, v0, "final logit", "token id", err)) {
                fw_release(f, W);
                return -1;
            }
            int64_t sg = f->seg_of[t], p = f->pos[t];
            if (p + 1 < s[sg].T) {
                int64_t next = s[sg].tokens[p + 1];
                if (next >= v0 && next < v0 + nb)
                    f->tgt[t] = lg[next - v0];
            }
            float mx = vec_max(lg, nb);
            double m_old = f->lse_m[t], m_new = mx > m_old ? mx : m_old;
            if (mx != mx)
                m_new = NAN;
            double sum = vec_exp_sum(lg, nb, 1.0f, (float)m_new); /* lg is spent */
            f->lse_s[t] = f->lse_s[t] * exp(m_old - m_new) + sum;
            f->lse_m[t] = m_new;
        }
    }
    fw_release(f, W);
    for (size_t i = 0; i < f->nseg; i++) {
        int64_t T_i = s[i].T, st = f->seg_start[i];
        double tot = 0.0;
        for (int64_t p = 0; p + 1 < T_i; p++) {
            int64_t t = st + p;
            double nll = f->lse_m[t] + log(f->lse_s[t]) - (double)f->tgt[t];
            s[i].token_nll[p] = (float)nll;
            tot += nll;
            if (check && !isfinite(s[i].token_nll[p])) {
                char who[200];
                fw_sample_label(s, i, who, sizeof who);
                return gm_fail(err, GM_EDATA, "%s, token %lld: the NLL of the next token is %s "
                               "(model %s: an overflow)", who, (long long)p,
                               fw_nonfinite_name(s[i].token_nll[p]), f->m->name);
            }
        }
        s[i].loss = T_i >= 2 ? tot / (double)(T_i - 1) : NAN;
        if (check && T_i >= 2 && !isfinite(s[i].loss)) {
            char who[200];
            fw_sample_label(s, i, who, sizeof who);
            return gm_fail(err, GM_EDATA, "%s: the loss is %s (model %s: an overflow)", who,
                           fw_nonfinite_name(s[i].loss), f->m->name);
        }
    }
    return 0;
}

/* ---- the pass ----------------------------------------------------------- */

static int alloc_outputs(forward *f, forward_sample *s)
{
    const model_config *c = &f->m->cfg;
    size_t T = (size_t)s->T, L = (size_t)c->L_moe, E = (size_t)c->E, K = (size_t)c->K;
    int bad = 0;
    s->loss = NAN;
    s->token_nll = T >= 2 ? alloc_n(T - 1, sizeof(float), &bad) : NULL;
    s->router_mean = alloc_n(L * E, sizeof(float), &bad);
    s->topk_mean = alloc_n(L * E, sizeof(float), &bad);
    if (f->o.emit_topk) {
        s->topk_ids = alloc_n(T * L * K, sizeof(uint16_t), &bad);
        s->topk_weights = alloc_n(T * L * K, sizeof(float), &bad);
    }
    if (f->o.emit_probs)
        s->probs = alloc_n(T * L * E, sizeof(float), &bad);
    return bad ? -1 : 0;
}

int forward_run(forward *f, forward_sample *s, size_t n, gm_error *err)
{
    const model *m = f->m;
    const model_config *c = &m->cfg;
    int64_t D = c->D;
    double t_start = clock_now();
    if (n == 0)
        return 0;
    int64_t *seg = malloc(2 * n * sizeof(int64_t));
    if (!seg)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    int64_t T = 0, Tmax = 0;
    for (size_t i = 0; i < n; i++) {
        s[i].token_nll = NULL; s[i].router_mean = NULL; s[i].topk_mean = NULL;
        s[i].topk_ids = NULL; s[i].topk_weights = NULL; s[i].probs = NULL;
    }
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (s[i].T < 1)
            rc = gm_fail(err, GM_EDATA, "sample %zu of the batch has no tokens", i);
        else if (forward_check_tokens(f, s[i].tokens, s[i].T, err) != 0)
            rc = -1;
        else if (alloc_outputs(f, &s[i]) != 0)
            rc = gm_fail(err, GM_ENOMEM, "out of memory for the outputs of a %lld-token sample",
                         (long long)s[i].T);
        else {
            seg[i] = T;
            seg[n + i] = s[i].T;
            T += s[i].T;
            if (s[i].T > Tmax)
                Tmax = s[i].T;
        }
    }
    if (rc == 0)
        rc = reserve(f, T, n, Tmax, err);
    if (rc != 0) {
        for (size_t i = 0; i < n; i++)
            forward_sample_clear(&s[i]);
        free(seg);
        return -1;
    }
    f->Tall = T;
    f->nseg = n;
    f->seg_start = seg;
    f->seg_len = seg + n;
    for (size_t i = 0; i < n; i++)
        for (int64_t p = 0; p < s[i].T; p++) {
            f->pos[seg[i] + p] = p;
            f->seg_of[seg[i] + p] = (int64_t)i;
        }

    /* 1. x = embed_tokens[ids] * embedding_multiplier   [T, D] */
    double t0 = clock_now();
    for (size_t i = 0; i < n; i++)
        for (int64_t p = 0; p < s[i].T; p++)
            tensor_widen(&m->embed, (int64_t)s[i].tokens[p] * D, D, f->x + (seg[i] + p) * D);
    fw_release(f, &m->embed);
    if (c->emb_mult != 1.0)
        vec_scale(f->x, T * D, (float)c->emb_mult);
    f->st.t_embed += clock_now() - t0;

    /* 2. layers: x += attn(norm(x)); x += moe(norm(x)) [+ shared(norm(x))] or mlp(norm(x)) */
    float res = (float)c->res_mult;
    for (int64_t l = 0; l < c->L; l++) {
        const model_layer *ly = &m->layers[l];
        t0 = clock_now();
        fw_rmsnorm_t(f, &ly->attn_norm, f->x, T, D, c->rms_eps, f->h, D);
        if (c->attn == GM_ATTN_MLA)
            fw_latent_attention(f, l);
        else
            fw_attention(f, l);
        double t1 = clock_now();
        f->st.t_attn += t1 - t0;
        fw_rmsnorm_t(f, &ly->ffn_norm, f->x, T, D, c->rms_eps, f->h, D);
        if (ly->moe < 0) {
            fw_ffn(f, &ly->dense, NULL, res);
            f->st.t_experts += clock_now() - t1;
            continue;
        }
        if (fw_moe(f, l, s, err))
            goto fail;
        if (c->shared != GM_SHARED_NONE) {
            double t2 = clock_now();
            fw_ffn(f, &ly->shared, &ly->shared_gate, res);
            f->st.t_experts += clock_now() - t2;
        }
    }

    /* 3-4. h = norm(x) / logits_scaling; logits = h @ lm_head^T; loss_t = lse - logit[next] */
    t0 = clock_now();
    fw_rmsnorm_t(f, &m->final_norm, f->x, T, D, c->rms_eps, f->h, D);
    if (c->logit_div != 1.0)
        vec_scale(f->h, T * D, (float)(1.0 / c->logit_div));
    if (lm_head_nll(f, s, err))
        goto fail;
    f->st.t_lm_head += clock_now() - t0;

    for (size_t i = 0; i < n; i++)
        f->st.flops += forward_flops(c, s[i].T);
    f->st.tokens += T;
    f->st.samples += (int64_t)n;
    f->seg_start = f->seg_len = NULL;
    free(seg);
    f->st.t_total += clock_now() - t_start;
    return 0;
fail:
    for (size_t i = 0; i < n; i++)
        forward_sample_clear(&s[i]);
    f->seg_start = f->seg_len = NULL;
    free(seg);
    return -1;
}
