/* mla.c: multi-head latent attention (DeepSeek-V2/V3) over a batch:
 *   q = q_b(RMSNorm(q_a h)) (or q_proj h without a q LoRA), [T, H, nope + rope];
 *   [c | k_pe] = kv_a_proj_with_mqa h; c = RMSNorm(c); [k_nope | v] = kv_b c per head;
 *   RoPE on q's rope part per head and on k_pe, shared by all heads (pairs
 *   (2i, 2i+1) when rope_interleave, as deepseek_v2 always does);
 *   k = [k_nope | k_pe] per head; causal attention (attend.c) with the config's
 *   scale; x += o_proj(att). The latent norms use eps 1e-6 as HF does.
 * Spec: families.md (deepseek rows); HF modeling_deepseek_v2/v3.py. */
#include "mla.h"

#include <string.h>

#include "attend.h"
#include "forward_ctx.h"

void fw_latent_attention(forward *f, int64_t l)
{
    const model_config *c = &f->m->cfg;
    const model_layer *ly = &f->m->layers[l];
    int64_t T = f->Tall, D = c->D, H = c->H, Dh = c->Dh, Dv = c->Dv;
    int64_t nope = c->qk_nope, rope = c->qk_rope, R = c->kv_lora + rope, KVB = nope + Dv;

    /* q [T, H*Dh] */
    if (c->q_lora > 0) {
        fw_linear(f, &ly->q_a, &ly->bq, f->h, D, 0.0f, f->mla_a, c->q_lora);
        fw_rmsnorm_t(f, &ly->q_a_norm, f->mla_a, T, c->q_lora, c->latent_eps, f->mla_a,
                     c->q_lora);
        fw_linear(f, &ly->q_b, NULL, f->mla_a, c->q_lora, 0.0f, f->q, H * Dh);
    } else {
        fw_linear(f, &ly->wq, NULL, f->h, D, 0.0f, f->q, H * Dh);
    }

    /* [c | k_pe] [T, kv_lora + rope]; c normed in place; kv = c kv_b^T [T, H*(nope+Dv)] */
    fw_linear(f, &ly->kv_a, &ly->bk, f->h, D, 0.0f, f->mla_a, R);
    fw_rmsnorm_t(f, &ly->kv_a_norm, f->mla_a, T, c->kv_lora, c->latent_eps, f->mla_a, R);
    fw_linear(f, &ly->kv_b, NULL, f->mla_a, R, 0.0f, f->mla_kv, H * KVB);

    /* RoPE: q's last `rope` dims of each head, and the one shared k_pe */
    fw_rope(f, f->q, H * Dh, H, Dh, nope, c->rope_interleave);
    fw_rope(f, f->mla_a, R, 1, 0, c->kv_lora, c->rope_interleave);

    /* k [T, H*Dh] = per head [k_nope | k_pe]; v [T, H*Dv] */
    for (int64_t t = 0; t < T; t++) {
        const float *kv = f->mla_kv + t * H * KVB, *pe = f->mla_a + t * R + c->kv_lora;
        for (int64_t h = 0; h < H; h++) {
            float *k = f->k + (t * H + h) * Dh;
            memcpy(k, kv + h * KVB, (size_t)nope * sizeof(float));
            memcpy(k + nope, pe, (size_t)rope * sizeof(float));
            memcpy(f->v + (t * H + h) * Dv, kv + h * KVB + nope, (size_t)Dv * sizeof(float));
        }
    }

    fw_attend_args a = {.q = f->q, .k = f->k, .v = f->v, .out = f->att, .ldq = H * Dh,
                        .ldk = H * Dh, .ldv = H * Dv, .ldo = H * Dv, .H = H, .group = 1,
                        .Dqk = Dh, .Dv = Dv, .scale = c->attn_scale, .window = 0};
    fw_attend(f, &a);

    /* x += o_proj(att) (+ bias) */
    fw_linear(f, &ly->wo, &ly->bo, f->att, H * Dv, 1.0f, f->x, D);
}
