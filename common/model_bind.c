/* model_bind.c: the tensors a config implies, by each family's HF names and
 * layouts: standard or multi-head latent attention, q/k/v/o biases, q/k norms,
 * the router (and deepseek_v3's selection bias), routed experts per expert
 * (Mixtral's w1/w3/w2, the others' gate/up/down_proj) or fused (transformers
 * v5's experts.gate_up_proj [E, 2F, D] / down_proj [E, D, F], Granite's
 * input_linear / output_linear), shared experts, dense layers. Fused tensors
 * are bound once and split into per-expert views, so the forward pass sees
 * one layout. Spec: olmoe.md "Files", families.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_bind.h"
#include "model_files.h"

typedef struct binder {
    model *m;
    const model_files *mf;
    gm_error *err;
    char name[224];
} binder;

/* Bind "fmt..." with shape (d0[, d1[, d2]]); ndim from the count given. */
static int bind_n(binder *b, gm_tensor *out, int ndim, int64_t d0, int64_t d1, int64_t d2)
{
    int64_t want[3] = {d0, d1, d2};
    return model_files_bind(b->mf, b->name, ndim, want, out, b->err);
}

#define NAME(...) snprintf(b->name, sizeof b->name, __VA_ARGS__)
#define BIND1(out, d0, ...) (NAME(__VA_ARGS__), bind_n(b, out, 1, d0, 0, 0))
#define BIND2(out, d0, d1, ...) (NAME(__VA_ARGS__), bind_n(b, out, 2, d0, d1, 0))
#define BIND3(out, d0, d1, d2, ...) (NAME(__VA_ARGS__), bind_n(b, out, 3, d0, d1, d2))

/* A linear layer's weight [out, in] and, when asked, its bias [out]. */
static int bind_linear(binder *b, gm_tensor *w, gm_tensor *bias, int64_t out, int64_t in,
                       const char *p)
{
    if (BIND2(w, out, in, "%s.weight", p))
        return -1;
    return bias ? BIND1(bias, out, "%s.bias", p) : 0;
}

static int bind_standard_attention(binder *b, int64_t l, model_layer *y)
{
    const model_config *c = &b->m->cfg;
    int64_t D = c->D, Q = c->H * c->Dh, KV = c->H_kv * c->Dh, A = c->H * c->Dv;
    char p[128];
    snprintf(p, sizeof p, "model.layers.%lld.self_attn.", (long long)l);
    char n[160];
#define LIN(w, bias, out, in, proj)                                                              \
    (snprintf(n, sizeof n, "%s%s", p, proj), bind_linear(b, w, c->qkv_bias ? bias : NULL, out, in, n))
    if (LIN(&y->wq, &y->bq, Q, D, "q_proj") || LIN(&y->wk, &y->bk, KV, D, "k_proj") ||
        LIN(&y->wv, &y->bv, KV, D, "v_proj"))
        return -1;
#undef LIN
    snprintf(n, sizeof n, "%so_proj", p);
    if (bind_linear(b, &y->wo, c->o_bias ? &y->bo : NULL, D, A, n))
        return -1;
    if (c->qk_norm == GM_QK_NORM_FULL)
        return BIND1(&y->q_norm, Q, "%sq_norm.weight", p) ||
               BIND1(&y->k_norm, KV, "%sk_norm.weight", p) ? -1 : 0;
    if (c->qk_norm == GM_QK_NORM_HEAD)
        return BIND1(&y->q_norm, c->Dh, "%sq_norm.weight", p) ||
               BIND1(&y->k_norm, c->Dh, "%sk_norm.weight", p) ? -1 : 0;
    return 0;
}

static int bind_latent_attention(binder *b, int64_t l, model_layer *y)
{
    const model_config *c = &b->m->cfg;
    int64_t D = c->D, H = c->H;
    char n[160];
#define P(s) (snprintf(n, sizeof n, "model.layers.%lld.self_attn.%s", (long long)l, s), n)
    if (c->q_lora > 0) {
        if (bind_linear(b, &y->q_a, c->qkv_bias ? &y->bq : NULL, c->q_lora, D, P("q_a_proj")) ||
            BIND1(&y->q_a_norm, c->q_lora, "%s", P("q_a_layernorm.weight")) ||
            BIND2(&y->q_b, H * c->Dh, c->q_lora, "%s", P("q_b_proj.weight")))
            return -1;
    } else if (BIND2(&y->wq, H * c->Dh, D, "%s", P("q_proj.weight"))) {
        return -1;
    }
    if (bind_linear(b, &y->kv_a, c->qkv_bias ? &y->bk : NULL, c->kv_lora + c->qk_rope, D,
                    P("kv_a_proj_with_mqa")) ||
        BIND1(&y->kv_a_norm, c->kv_lora, "%s", P("kv_a_layernorm.weight")) ||
        BIND2(&y->kv_b, H * (c->qk_nope + c->Dv), c->kv_lora, "%s", P("kv_b_proj.weight")) ||
        bind_linear(b, &y->wo, c->o_bias ? &y->bo : NULL, D, H * c->Dv, P("o_proj")))
        return -1;
#undef P
    return 0;
}

/* A SwiGLU MLP stored as gate_proj / up_proj / down_proj under prefix p. */
static int bind_ffn(binder *b, model_ffn *f, int64_t F, const char *p)
{
    int64_t D = b->m->cfg.D;
    return BIND2(&f->gate, F, D, "%sgate_proj.weight", p) ||
           BIND2(&f->up, F, D, "%sup_proj.weight", p) ||
           BIND2(&f->down, D, F, "%sdown_proj.weight", p) ? -1 : 0;
}

/* Granite's fused MLP: input_linear [2F, D] = gate | up, output_linear [D, F]. */
static int bind_granite_ffn(binder *b, model_ffn *f, int64_t F, const char *p)
{
    int64_t D = b->m->cfg.D;
    gm_tensor in;
    if (BIND2(&in, 2 * F, D, "%sinput_linear.weight", p) ||
        BIND2(&f->down, D, F, "%soutput_linear.weight", p))
        return -1;
    f->gate = tensor_rows(&in, 0, 2 * F, 0, F, D);
    f->up = tensor_rows(&in, 0, 2 * F, F, F, D);
    return 0;
}

/* The routed experts: fused [E, 2F, D] / [E, D, F] split into views, or one
 * tensor per expert and projection. */
static int bind_experts(binder *b, model_layer *y, const char *p)
{
    const model_config *c = &b->m->cfg;
    int64_t D = c->D, F = c->F, E = c->E;
    int granite = c->family == GM_FAMILY_GRANITEMOE || c->family == GM_FAMILY_GRANITEMOESHARED;
    int mixtral_names = c->family == GM_FAMILY_MIXTRAL && strstr(p, "block_sparse_moe") != NULL;
    const char *g = mixtral_names ? "w1" : "gate_proj", *u = mixtral_names ? "w3" : "up_proj",
               *d = mixtral_names ? "w2" : "down_proj";
    char fused[192], split[192];
    snprintf(fused, sizeof fused, "%s%s", p, granite ? "input_linear.weight" : "experts.gate_up_proj");
    snprintf(split, sizeof split, "%sexperts.0.%s.weight", p, g);
    int has_fused = model_files_has(b->mf, fused), has_split = model_files_has(b->mf, split);
    if (has_fused && has_split)
        return gm_fail(b->err, GM_EDATA, "%s: both %s and %s: fused and per-expert expert "
                       "tensors at once", b->m->dir, fused, split);
    if (!has_fused && !has_split && !granite)
        return gm_fail(b->err, GM_EDATA, "%s: no expert tensors: neither %s (fused) nor %s",
                       b->m->dir, fused, split);
    y->gate = calloc((size_t)E, sizeof *y->gate);
    y->up = calloc((size_t)E, sizeof *y->up);
    y->down = calloc((size_t)E, sizeof *y->down);
    if (!y->gate || !y->up || !y->down)
        return gm_fail(b->err, GM_ENOMEM, "%s: no memory for %lld experts", b->m->dir,
                       (long long)E);
    if (has_fused || granite) {
        gm_tensor gu, dn;
        if (BIND3(&gu, E, 2 * F, D, "%s", fused) ||
            BIND3(&dn, E, D, F, "%s%s", p, granite ? "output_linear.weight" : "experts.down_proj"))
            return -1;
        for (int64_t e = 0; e < E; e++) {
            y->gate[e] = tensor_rows(&gu, e, 2 * F, 0, F, D);
            y->up[e] = tensor_rows(&gu, e, 2 * F, F, F, D);
            y->down[e] = tensor_rows(&dn, e, D, 0, D, F);
        }
        return 0;
    }
    for (int64_t e = 0; e < E; e++) {
        long long ei = (long long)e;
        if (BIND2(&y->gate[e], F, D, "%sexperts.%lld.%s.weight", p, ei, g) ||
            BIND2(&y->up[e], F, D, "%sexperts.%lld.%s.weight", p, ei, u) ||
            BIND2(&y->down[e], D, F, "%sexperts.%lld.%s.weight", p, ei, d))
            return -1;
    }
    return 0;
}

static int bind_moe(binder *b, int64_t l, model_layer *y)
{
    const model_config *c = &b->m->cfg;
    int granite = c->family == GM_FAMILY_GRANITEMOE || c->family == GM_FAMILY_GRANITEMOESHARED;
    char p[128];
    snprintf(p, sizeof p, "model.layers.%lld.mlp.", (long long)l);
    if (granite)
        snprintf(p, sizeof p, "model.layers.%lld.block_sparse_moe.", (long long)l);
    if (c->family == GM_FAMILY_MIXTRAL) { /* v4 names; v5 renames them mlp.* */
        char q[160];
        snprintf(q, sizeof q, "model.layers.%lld.block_sparse_moe.gate.weight", (long long)l);
        if (model_files_has(b->mf, q))
            snprintf(p, sizeof p, "model.layers.%lld.block_sparse_moe.", (long long)l);
    }
    if (BIND2(&y->router, c->E, c->D, "%s%s", p, granite ? "router.layer.weight" : "gate.weight"))
        return -1;
    if (c->router == GM_ROUTER_SIGMOID_GROUP &&
        BIND1(&y->router_bias, c->E, "%sgate.e_score_correction_bias", p))
        return -1;
    if (bind_experts(b, y, p))
        return -1;
    char s[160];
    switch (c->shared) {
    case GM_SHARED_NONE:
        return 0;
    case GM_SHARED_GATED: /* qwen2_moe */
        snprintf(s, sizeof s, "%sshared_expert.", p);
        return bind_ffn(b, &y->shared, c->shared_F, s) ||
               BIND2(&y->shared_gate, 1, c->D, "%sshared_expert_gate.weight", p) ? -1 : 0;
    case GM_SHARED_PLAIN:
        if (granite) {
            snprintf(s, sizeof s, "model.layers.%lld.shared_mlp.", (long long)l);
            return bind_granite_ffn(b, &y->shared, c->shared_F, s);
        }
        snprintf(s, sizeof s, "%sshared_experts.", p);
        return bind_ffn(b, &y->shared, c->shared_F, s);
    }
    return 0;
}

/* Tensors a checkpoint may hold that no forward pass of one sequence reads:
 * old rotary caches, and DeepSeek-V3's multi-token-prediction layers (past L). */
static int tensor_ignored(const char *name, void *ctx)
{
    const model *m = ctx;
    size_t n = strlen(name), tail = strlen("rotary_emb.inv_freq");
    if (n >= tail && strcmp(name + n - tail, "rotary_emb.inv_freq") == 0)
        return 1;
    long long l;
    return m->cfg.family == GM_FAMILY_DEEPSEEK_V3 &&
           sscanf(name, "model.layers.%lld.", &l) == 1 && l >= m->cfg.L;
}

int model_bind_tensors(model *m, const model_files *mf, gm_error *err)
{
    binder bb = {.m = m, .mf = mf, .err = err}, *b = &bb;
    const model_config *c = &m->cfg;
    int64_t D = c->D;
    if (BIND2(&m->embed, c->V, D, "model.embed_tokens.weight"))
        return -1;
    m->layers = calloc((size_t)c->L, sizeof *m->layers);
    if (!m->layers)
        return gm_fail(err, GM_ENOMEM, "%s: no memory for %lld layers", m->dir, (long long)c->L);
    for (int64_t l = 0; l < c->L; l++)
        m->layers[l].moe = -1;
    for (int64_t i = 0; i < c->L_moe; i++)
        m->layers[c->moe_layer[i]].moe = i;
    for (int64_t l = 0; l < c->L; l++) {
        model_layer *y = &m->layers[l];
        long long li = (long long)l;
        if (BIND1(&y->attn_norm, D, "model.layers.%lld.input_layernorm.weight", li) ||
            BIND1(&y->ffn_norm, D, "model.layers.%lld.post_attention_layernorm.weight", li))
            return -1;
        if (c->attn == GM_ATTN_MLA ? bind_latent_attention(b, l, y)
                                   : bind_standard_attention(b, l, y))
            return -1;
        char p[96];
        snprintf(p, sizeof p, "model.layers.%lld.mlp.", li);
        if (y->moe >= 0 ? bind_moe(b, l, y) : bind_ffn(b, &y->dense, c->dense_F, p))
            return -1;
    }
    if (BIND1(&m->final_norm, D, "model.norm.weight"))
        return -1;
    if (c->tie_embeddings && !model_files_has(mf, "lm_head.weight"))
        m->lm_head = m->embed; /* tied and absent: the embedding serves */
    else if (BIND2(&m->lm_head, c->V, D, "lm_head.weight"))
        return -1;
    const char *name, *path;
    if (model_files_unused(mf, tensor_ignored, m, &name, &path))
        return gm_fail(err, GM_EDATA, "%s: tensor %s is not used by the %s forward pass this "
                       "config.json describes (a key missing or wrong, such as attention_bias?)",
                       path, name, c->model_type);
    return 0;
}
