/* attention.c: one standard self-attention block over a batch of samples:
 * q/k/v projections (SGEMM) with their biases when the family has them, the
 * family's q/k RMSNorm (over the whole projection, olmoe; per head, qwen3),
 * optional clip (olmoe), rotate-half RoPE, causal (or sliding-window)
 * attention per sample and head (attend.c), o_proj added into the residual
 * times residual_multiplier (Granite; 1 elsewhere). No KV cache. Multi-head
 * latent attention is mla.c. Spec: olmoe.md "Forward pass" step 2, families.md. */
#include "attention.h"

#include "attend.h"
#include "forward_ctx.h"
#include "vecmath.h"

static void clip_rows(float *x, int64_t n, float c)
{
    for (int64_t i = 0; i < n; i++)
        x[i] = x[i] > c ? c : (x[i] < -c ? -c : x[i]);
}

void fw_attention(forward *f, int64_t l)
{
    const model_config *c = &f->m->cfg;
    const model_layer *ly = &f->m->layers[l];
    int64_t T = f->Tall, D = c->D, Dh = c->Dh;
    int64_t Q = c->H * Dh, KV = c->H_kv * Dh, A = c->H * c->Dv;

    /* q = h Wq^T (+ bq) [T, Q]; k, v = h W^T (+ b) [T, KV]; weights [out, in] */
    fw_linear(f, &ly->wq, &ly->bq, f->h, D, 0.0f, f->q, Q);
    fw_linear(f, &ly->wk, &ly->bk, f->h, D, 0.0f, f->k, KV);
    fw_linear(f, &ly->wv, &ly->bv, f->h, D, 0.0f, f->v, KV);

    if (c->qk_norm == GM_QK_NORM_FULL) { /* over all of q and all of k */
        fw_rmsnorm_t(f, &ly->q_norm, f->q, T, Q, c->rms_eps, f->q, Q);
        fw_rmsnorm_t(f, &ly->k_norm, f->k, T, KV, c->rms_eps, f->k, KV);
    } else if (c->qk_norm == GM_QK_NORM_HEAD) { /* each head's Dh: rows of Dh */
        fw_rmsnorm_t(f, &ly->q_norm, f->q, T * c->H, Dh, c->rms_eps, f->q, Dh);
        fw_rmsnorm_t(f, &ly->k_norm, f->k, T * c->H_kv, Dh, c->rms_eps, f->k, Dh);
    }
    if (c->clip_qkv > 0) {
        float cl = (float)c->clip_qkv;
        clip_rows(f->q, T * Q, cl);
        clip_rows(f->k, T * KV, cl);
        clip_rows(f->v, T * KV, cl);
    }

    /* RoPE on every head of q and k at the token's position in its sample */
    fw_rope(f, f->q, Q, c->H, Dh, 0, 0);
    fw_rope(f, f->k, KV, c->H_kv, Dh, 0, 0);

    /* att[:, head] = softmax_causal(scale q_h k_h^T) v_h, per sample */
    fw_attend_args a = {.q = f->q, .k = f->k, .v = f->v, .out = f->att, .ldq = Q, .ldk = KV,
                        .ldv = KV, .ldo = A, .H = c->H, .group = c->H / c->H_kv, .Dqk = Dh,
                        .Dv = c->Dv, .scale = c->attn_scale, .window = c->window[l]};
    fw_attend(f, &a);

    /* x += res_mult (att @ Wo^T + bo): the multiplier goes on att, a linear map's input */
    if (c->res_mult != 1.0)
        vec_scale(f->att, T * A, (float)c->res_mult);
    fw_linear(f, &ly->wo, NULL, f->att, A, 1.0f, f->x, D);
    if (ly->bo.data)
        fw_add_bias(f, &ly->bo, (float)c->res_mult, f->x, D);
}
