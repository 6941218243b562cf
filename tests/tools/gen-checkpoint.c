/* gen-checkpoint: write a HF-format checkpoint folder of the OLMoE architecture
 * with seeded random weights (config.json with the real key names, and
 * model.safetensors or N shards plus model.safetensors.index.json), any shape
 * up to the full OLMoE-1B-7B, F32/BF16/F16. Streams every tensor in chunks, so
 * the 13.8 GB BF16 model never sits in memory. Values depend only on (seed,
 * tensor, element), not on dtype or sharding. Not a trained model: random
 * N(0, std) matrices and norms near 1. Spec: olmoe.md "Shape", "Files". */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "error.h"
#include "runtime.h"

#define NAME "gen-checkpoint"
#define CHUNK ((int64_t)1 << 22) /* elements generated and written at a time */

static int64_t D_, L_, H_, Hkv_, F_, E_, K_, V_, max_pos = 4096, seed = 1, shards, threads = 1;
static const char *preset = "tiny", *dtype_arg = "f32";
static double wstd = 0.02, router_std, norm_jitter = 0.1, rope_theta = 10000, rms_eps;
static int norm_topk, tie, progress;

static cli_option options[] = {
    {"preset", 0, CLI_STRING, &preset, "NAME",
     "shape: tiny (D 64, L 4, H 4, F 32, E 8, K 2, V 256) or olmoe (OLMoE-1B-7B)", 0, 0, 0},
    {"hidden", 0, CLI_INT, &D_, "D", "hidden_size (0: from --preset)", 0, 1 << 16, 0},
    {"layers", 0, CLI_INT, &L_, "L", "num_hidden_layers (0: from --preset)", 0, 4096, 0},
    {"heads", 0, CLI_INT, &H_, "H", "num_attention_heads (0: from --preset)", 0, 4096, 0},
    {"kv-heads", 0, CLI_INT, &Hkv_, "N", "num_key_value_heads (0: = heads)", 0, 4096, 0},
    {"ffn", 0, CLI_INT, &F_, "F", "intermediate_size, one expert (0: from --preset)", 0, 1 << 18, 0},
    {"experts", 0, CLI_INT, &E_, "E", "num_experts (0: from --preset)", 0, 4096, 0},
    {"top-k", 0, CLI_INT, &K_, "K", "num_experts_per_tok (0: from --preset)", 0, 4096, 0},
    {"vocab", 0, CLI_INT, &V_, "V", "vocab_size (0: from --preset)", 0, 1 << 22, 0},
    {"max-pos", 0, CLI_INT, &max_pos, "N", "max_position_embeddings", 1, 1 << 22, 0},
    {"dtype", 0, CLI_STRING, &dtype_arg, "T", "f32, bf16 or f16", 0, 0, 0},
    {"seed", 0, CLI_INT, &seed, "N", "random seed", 0, 9e15, 0},
    {"std", 0, CLI_DOUBLE, &wstd, "S", "standard deviation of every matrix", 0, 100, 0},
    {"router-std", 0, CLI_DOUBLE, &router_std, "S",
     "standard deviation of the router matrices (0: --std); larger = more peaked routing", 0, 100, 0},
    {"norm-jitter", 0, CLI_DOUBLE, &norm_jitter, "S", "norm weights are 1 + S * N(0, 1)", 0, 10, 0},
    {"rope-theta", 0, CLI_DOUBLE, &rope_theta, "X", "rope_theta", 1, 1e12, 0},
    {"rms-eps", 0, CLI_DOUBLE, &rms_eps, "X",
     "write rms_norm_eps (0: leave it out, as OLMoE does; readers default to 1e-5)", 0, 1, 0},
    {"norm-topk-prob", 0, CLI_FLAG, &norm_topk, NULL, "set norm_topk_prob true", 0, 0, 0},
    {"tie", 0, CLI_FLAG, &tie, NULL, "tie_word_embeddings true, no lm_head tensor", 0, 0, 0},
    {"shards", 0, CLI_INT, &shards, "N",
     "write N shard files and model.safetensors.index.json (0: one model.safetensors)", 0, 99999, 0},
    CLI_OPT_THREADS(&threads, "threads that generate the weights"),
    CLI_OPT_PROGRESS(&progress),
    CLI_OPT_END,
};

static const cli_program program = {
    .name = NAME,
    .usage = NAME " [options] DIR",
    .summary = "Write a HF checkpoint folder DIR (created if needed) of the OLMoE architecture\n"
               "with seeded random weights: config.json and model.safetensors, or --shards N files\n"
               "with model.safetensors.index.json. Tensors are generated and written in chunks.",
    .example = "  gen-checkpoint --hidden 128 --layers 4 --experts 8 --top-k 2 ckpt/step5000-tokens20B\n"
               "  gen-checkpoint --preset olmoe --dtype bf16 --shards 3 --threads 2 big/step1000\n"
               "  reader --seq-len 512 --domain math data.bin | router-trace --model ckpt/step5000-tokens20B | dump",
    .options = options,
};

/* ---- the tensor list ---------------------------------------------------- */

enum kind { K_MATRIX, K_ROUTER, K_NORM };

typedef struct spec {
    char name[96];
    int ndim;
    int64_t shape[2];
    int64_t numel;
    enum kind kind;
    int64_t id;          /* position in the canonical order: part of the RNG key */
    int shard;
    uint64_t begin;      /* data offset within its shard */
} spec;

typedef struct plan {
    spec *t;
    int64_t n;
    int elem;            /* bytes per element */
    const char *dtype;   /* "F32", "BF16", "F16" */
    int nfiles;          /* 1 when unsharded */
    uint64_t total;      /* bytes of all tensors */
} plan;

static int plan_add(plan *p, int ndim, int64_t a, int64_t b, enum kind k, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static int plan_add(plan *p, int ndim, int64_t a, int64_t b, enum kind k, const char *fmt, ...)
{
    spec *s = &p->t[p->n];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->name, sizeof s->name, fmt, ap);
    va_end(ap);
    s->ndim = ndim;
    s->shape[0] = a;
    s->shape[1] = b;
    s->numel = ndim == 1 ? a : a * b;
    s->kind = k;
    s->id = p->n++;
    return 0;
}

/* Every tensor of the OLMoE layout (olmoe.md "Files"), in canonical order. */
static int plan_make(plan *p, gm_error *err)
{
    int64_t KV = Hkv_ * (D_ / H_);
    int64_t cap = 3 + L_ * (9 + 3 * E_);
    if (!(p->t = calloc((size_t)cap, sizeof *p->t)))
        return gm_fail(err, GM_ENOMEM, "no memory for %lld tensor entries", (long long)cap);
    plan_add(p, 2, V_, D_, K_MATRIX, "model.embed_tokens.weight");
    for (int64_t l = 0; l < L_; l++) {
        long long li = (long long)l;
        plan_add(p, 1, D_, 0, K_NORM, "model.layers.%lld.input_layernorm.weight", li);
        plan_add(p, 2, D_, D_, K_MATRIX, "model.layers.%lld.self_attn.q_proj.weight", li);
        plan_add(p, 2, KV, D_, K_MATRIX, "model.layers.%lld.self_attn.k_proj.weight", li);
        plan_add(p, 2, KV, D_, K_MATRIX, "model.layers.%lld.self_attn.v_proj.weight", li);
        plan_add(p, 2, D_, D_, K_MATRIX, "model.layers.%lld.self_attn.o_proj.weight", li);
        plan_add(p, 1, D_, 0, K_NORM, "model.layers.%lld.self_attn.q_norm.weight", li);
        plan_add(p, 1, KV, 0, K_NORM, "model.layers.%lld.self_attn.k_norm.weight", li);
        plan_add(p, 1, D_, 0, K_NORM, "model.layers.%lld.post_attention_layernorm.weight", li);
        plan_add(p, 2, E_, D_, K_ROUTER, "model.layers.%lld.mlp.gate.weight", li);
        for (int64_t e = 0; e < E_; e++) {
            long long ei = (long long)e;
            plan_add(p, 2, F_, D_, K_MATRIX, "model.layers.%lld.mlp.experts.%lld.gate_proj.weight", li, ei);
            plan_add(p, 2, F_, D_, K_MATRIX, "model.layers.%lld.mlp.experts.%lld.up_proj.weight", li, ei);
            plan_add(p, 2, D_, F_, K_MATRIX, "model.layers.%lld.mlp.experts.%lld.down_proj.weight", li, ei);
        }
    }
    plan_add(p, 1, D_, 0, K_NORM, "model.norm.weight");
    if (!tie)
        plan_add(p, 2, V_, D_, K_MATRIX, "lm_head.weight");

    /* shards: contiguous runs of about total/N bytes, none empty */
    for (int64_t i = 0; i < p->n; i++)
        p->total += (uint64_t)p->t[i].numel * (uint64_t)p->elem;
    p->nfiles = shards > 0 ? (int)shards : 1;
    if (p->nfiles > p->n)
        return gm_fail(err, GM_EUSAGE, "--shards %d is more than the %lld tensors", p->nfiles,
                       (long long)p->n);
    int s = 0;
    uint64_t cum = 0, in_shard = 0;
    for (int64_t i = 0; i < p->n; i++) {
        uint64_t sz = (uint64_t)p->t[i].numel * (uint64_t)p->elem;
        int64_t left = p->n - i; /* tensors not yet placed, this one included */
        double target = (double)p->total * (s + 1) / p->nfiles;
        if (s < p->nfiles - 1 && in_shard > 0 &&
            ((double)cum + (double)sz / 2 > target || left <= p->nfiles - 1 - s)) {
            s++;
            in_shard = 0;
        }
        p->t[i].shard = s;
        p->t[i].begin = in_shard;
        in_shard += sz;
        cum += sz;
    }
    return 0;
}

/* ---- values ------------------------------------------------------------- */

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* out[i] = mean + std * N(0, 1) for elements [first, first + n) of tensor
 * `key`; first and n even. Box-Muller on pairs: a pure function of the index. */
static void values_fill(uint64_t key, int64_t first, int64_t n, float mean, float std, float *out)
{
    for (int64_t i = 0; i < n; i += 2) {
        uint64_t h = mix64(key ^ mix64((uint64_t)(first + i) >> 1));
        float u1 = (float)((h >> 40) + 1) * 0x1p-24f; /* (0, 1] */
        float u2 = (float)(h & 0xffffff) * 0x1p-24f;  /* [0, 1) */
        float r = sqrtf(-2.0f * logf(u1)), a = 6.28318530717958647692f * u2;
        out[i] = mean + std * r * cosf(a);
        if (i + 1 < n)
            out[i + 1] = mean + std * r * sinf(a);
    }
}

/* Round-to-nearest-even float -> bfloat16 (no NaN arises here). */
static uint16_t f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1)) >> 16);
}

/* Round-to-nearest-even float -> IEEE half, subnormals and overflow included. */
static uint16_t f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u)
        return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0));
    if (ax >= 0x477ff000u) /* rounds to 65536 or more */
        return (uint16_t)(sign | 0x7c00u);
    if (ax < 0x38800000u) { /* below 2^-14: let the FPU round at the 2^-24 step */
        float a;
        memcpy(&a, &ax, 4);
        a += 0.5f;
        uint32_t r;
        memcpy(&r, &a, 4);
        return (uint16_t)(sign | (r - 0x3f000000u));
    }
    ax += ((uint32_t)(15 - 127) << 23) + 0xfffu + ((ax >> 13) & 1);
    return (uint16_t)(sign | (ax >> 13));
}

/* ---- writing ------------------------------------------------------------ */

static char *path_in(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 8;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", dir, name);
    return p;
}

/* Write text to dir/name through a temporary name. */
static int text_write(const char *dir, const char *name, const char *text, gm_error *err)
{
    char *final = path_in(dir, name), *tmp = path_in(dir, ".gen.tmp");
    int rc = -1;
    if (!final || !tmp) {
        gm_fail(err, GM_ENOMEM, "no memory");
        goto out;
    }
    FILE *fp = fopen(tmp, "wb");
    if (!fp) {
        gm_fail(err, GM_EIO, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    size_t n = strlen(text);
    int bad = fwrite(text, 1, n, fp) != n;
    bad |= fclose(fp) != 0;
    if (bad || rename(tmp, final) != 0) {
        gm_fail(err, GM_EIO, "%s: cannot write: %s", final, strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    free(final);
    free(tmp);
    return rc;
}

static char *config_text(const plan *p)
{
    json_t *c = json_object();
    json_object_set_new(c, "architectures", json_pack("[s]", "OlmoeForCausalLM"));
    json_object_set_new(c, "attention_bias", json_false());
    json_object_set_new(c, "attention_dropout", json_real(0.0));
    json_object_set_new(c, "clip_qkv", json_null());
    json_object_set_new(c, "eos_token_id", json_integer(V_ > 50279 ? 50279 : V_ - 1));
    json_object_set_new(c, "hidden_act", json_string("silu"));
    json_object_set_new(c, "hidden_size", json_integer(D_));
    json_object_set_new(c, "initializer_range", json_real(wstd));
    json_object_set_new(c, "intermediate_size", json_integer(F_));
    json_object_set_new(c, "max_position_embeddings", json_integer(max_pos));
    json_object_set_new(c, "model_type", json_string("olmoe"));
    json_object_set_new(c, "norm_topk_prob", json_boolean(norm_topk));
    json_object_set_new(c, "num_attention_heads", json_integer(H_));
    json_object_set_new(c, "num_experts", json_integer(E_));
    json_object_set_new(c, "num_experts_per_tok", json_integer(K_));
    json_object_set_new(c, "num_hidden_layers", json_integer(L_));
    json_object_set_new(c, "num_key_value_heads", json_integer(Hkv_));
    json_object_set_new(c, "output_router_logits", json_false());
    json_object_set_new(c, "pad_token_id", json_integer(V_ > 1 ? 1 : 0));
    if (rms_eps > 0)
        json_object_set_new(c, "rms_norm_eps", json_real(rms_eps));
    json_object_set_new(c, "rope_scaling", json_null());
    json_object_set_new(c, "rope_theta", json_real(rope_theta));
    json_object_set_new(c, "router_aux_loss_coef", json_real(0.01));
    json_object_set_new(c, "tie_word_embeddings", json_boolean(tie));
    json_object_set_new(c, "torch_dtype", json_string(strcmp(p->dtype, "F32") == 0 ? "float32"
                                                      : strcmp(p->dtype, "BF16") == 0 ? "bfloat16"
                                                                                      : "float16"));
    json_object_set_new(c, "transformers_version", json_string("4.43.0.dev0"));
    json_object_set_new(c, "use_cache", json_true());
    json_object_set_new(c, "vocab_size", json_integer(V_));
    char *s = json_dumps(c, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(c);
    return s;
}

static void shard_name(const plan *p, int s, char *buf, size_t cap)
{
    if (shards == 0)
        snprintf(buf, cap, "model.safetensors");
    else
        snprintf(buf, cap, "model-%05d-of-%05d.safetensors", s + 1, p->nfiles);
}

static char *index_text(const plan *p)
{
    json_t *ix = json_object(), *meta = json_object(), *wm = json_object();
    json_object_set_new(meta, "total_size", json_integer((json_int_t)p->total));
    char name[64];
    for (int64_t i = 0; i < p->n; i++) {
        shard_name(p, p->t[i].shard, name, sizeof name);
        json_object_set_new(wm, p->t[i].name, json_string(name));
    }
    json_object_set_new(ix, "metadata", meta);
    json_object_set_new(ix, "weight_map", wm);
    char *s = json_dumps(ix, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(ix);
    return s;
}

/* The safetensors header of shard s, padded with spaces to a multiple of 8. */
static char *shard_header(const plan *p, int s, size_t *len)
{
    json_t *h = json_object(), *meta = json_object();
    json_object_set_new(meta, "format", json_string("pt"));
    json_object_set_new(h, "__metadata__", meta);
    for (int64_t i = 0; i < p->n; i++) {
        const spec *t = &p->t[i];
        if (t->shard != s)
            continue;
        json_t *shape = json_array();
        for (int d = 0; d < t->ndim; d++)
            json_array_append_new(shape, json_integer(t->shape[d]));
        uint64_t nb = (uint64_t)t->numel * (uint64_t)p->elem;
        json_object_set_new(h, t->name,
                            json_pack("{s:s, s:o, s:[I, I]}", "dtype", p->dtype, "shape", shape,
                                      "data_offsets", (json_int_t)t->begin,
                                      (json_int_t)(t->begin + nb)));
    }
    char *j = json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(h);
    if (!j)
        return NULL;
    size_t n = strlen(j), padded = (n + 7) / 8 * 8;
    char *out = realloc(j, padded + 1);
    if (!out) {
        free(j);
        return NULL;
    }
    memset(out + n, ' ', padded - n);
    out[padded] = 0;
    *len = padded;
    return out;
}

/* Everything a shard writer needs between chunks. */
typedef struct writer {
    const plan *p;
    float *vals;             /* [CHUNK] */
    unsigned char *bytes;    /* [CHUNK * elem] */
    cli_progress prog;
    uint64_t written;
} writer;

typedef struct part {
    const writer *w;
    uint64_t key;
    int64_t first, n;        /* within the tensor */
    int64_t off;             /* within the chunk buffers */
    float mean, std;
} part;

static void *part_run(void *arg)
{
    const part *q = arg;
    float *v = q->w->vals + q->off;
    unsigned char *b = q->w->bytes + q->off * q->w->p->elem;
    values_fill(q->key, q->first, q->n, q->mean, q->std, v);
    int elem = q->w->p->elem;
    int f16 = strcmp(q->w->p->dtype, "F16") == 0;
    for (int64_t i = 0; i < q->n; i++) {
        if (elem == 4) {
            memcpy(b + 4 * i, &v[i], 4); /* the hosts we target are little-endian */
        } else {
            uint16_t h = f16 ? f32_to_f16(v[i]) : f32_to_bf16(v[i]);
            b[2 * i] = (unsigned char)h;
            b[2 * i + 1] = (unsigned char)(h >> 8);
        }
    }
    return NULL;
}

/* Generate elements [first, first + n) of t into the chunk buffers, split
 * over the threads (n even or the tensor's tail). */
static void chunk_make(writer *w, const spec *t, int64_t first, int64_t n)
{
    float mean = t->kind == K_NORM ? 1.0f : 0.0f;
    float std = t->kind == K_NORM     ? (float)norm_jitter
                : t->kind == K_ROUTER ? (float)(router_std > 0 ? router_std : wstd)
                                      : (float)wstd;
    uint64_t key = mix64(mix64((uint64_t)seed) ^ (uint64_t)t->id);
    int nt = runtime_threads(threads);
    if (nt > 16)
        nt = 16;
    if (n < 65536)
        nt = 1;
    part parts[16];
    pthread_t tid[16];
    int64_t per = (n / nt + 1) & ~(int64_t)1;
    int started = 0;
    for (int k = 0; k < nt; k++) {
        int64_t lo = per * k, hi = lo + per < n ? lo + per : n;
        if (lo >= hi)
            break;
        parts[k] = (part){w, key, first + lo, hi - lo, lo, mean, std};
        if (k > 0 && pthread_create(&tid[k], NULL, part_run, &parts[k]) == 0) {
            started |= 1 << k;
            continue;
        }
        if (k > 0)
            part_run(&parts[k]); /* no thread: do it here */
    }
    part_run(&parts[0]);
    for (int k = 1; k < nt; k++)
        if (started & (1 << k))
            pthread_join(tid[k], NULL);
}

static int shard_write(writer *w, const char *dir, int s, gm_error *err)
{
    const plan *p = w->p;
    char name[64];
    shard_name(p, s, name, sizeof name);
    char *final = path_in(dir, name), *tmp = path_in(dir, ".gen-shard.tmp");
    size_t hlen = 0;
    char *hdr = shard_header(p, s, &hlen);
    FILE *fp = NULL;
    int rc = -1;
    if (!final || !tmp || !hdr) {
        gm_fail(err, GM_ENOMEM, "no memory");
        goto out;
    }
    if (!(fp = fopen(tmp, "wb"))) {
        gm_fail(err, GM_EIO, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    unsigned char len8[8];
    for (int b = 0; b < 8; b++)
        len8[b] = (unsigned char)((uint64_t)hlen >> (8 * b));
    int bad = fwrite(len8, 1, 8, fp) != 8 || fwrite(hdr, 1, hlen, fp) != hlen;
    for (int64_t i = 0; i < p->n && !bad; i++) {
        const spec *t = &p->t[i];
        if (t->shard != s)
            continue;
        for (int64_t first = 0; first < t->numel && !bad; first += CHUNK) {
            int64_t n = t->numel - first < CHUNK ? t->numel - first : CHUNK;
            chunk_make(w, t, first, n);
            size_t nb = (size_t)n * (size_t)p->elem;
            bad = fwrite(w->bytes, 1, nb, fp) != nb;
            w->written += nb;
            cli_progress_update(&w->prog, w->written >> 20);
        }
    }
    int err_no = errno;
    bad |= fclose(fp) != 0;
    fp = NULL;
    if (bad || rename(tmp, final) != 0) {
        gm_fail(err, GM_EIO, "%s: cannot write: %s", final, strerror(bad ? err_no : errno));
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    free(hdr);
    free(final);
    free(tmp);
    return rc;
}

static int shape_check(gm_error *err)
{
    int big = strcmp(preset, "olmoe") == 0;
    if (!big && strcmp(preset, "tiny") != 0)
        return gm_fail(err, GM_EUSAGE, "--preset must be tiny or olmoe, not \"%s\"", preset);
    if (!D_) D_ = big ? 2048 : 64;
    if (!L_) L_ = big ? 16 : 4;
    if (!H_) H_ = big ? 16 : 4;
    if (!F_) F_ = big ? 1024 : 32;
    if (!E_) E_ = big ? 64 : 8;
    if (!K_) K_ = big ? 8 : 2;
    if (!V_) V_ = big ? 50304 : 256;
    if (!Hkv_) Hkv_ = H_;
    if (D_ % H_ != 0 || (D_ / H_) % 2 != 0)
        return gm_fail(err, GM_EUSAGE, "--hidden %lld must be a multiple of --heads %lld with an "
                       "even head width", (long long)D_, (long long)H_);
    if (H_ % Hkv_ != 0)
        return gm_fail(err, GM_EUSAGE, "--heads %lld must be a multiple of --kv-heads %lld",
                       (long long)H_, (long long)Hkv_);
    if (K_ > E_)
        return gm_fail(err, GM_EUSAGE, "--top-k %lld exceeds --experts %lld", (long long)K_,
                       (long long)E_);
    return 0;
}

static int generate(const char *dir, gm_error *err)
{
    plan p = {0};
    writer w = {0};
    int rc = -1;
    if (strcmp(dtype_arg, "f32") == 0)
        p.dtype = "F32", p.elem = 4;
    else if (strcmp(dtype_arg, "bf16") == 0)
        p.dtype = "BF16", p.elem = 2;
    else if (strcmp(dtype_arg, "f16") == 0)
        p.dtype = "F16", p.elem = 2;
    else
        return gm_fail(err, GM_EUSAGE, "--dtype must be f32, bf16 or f16, not \"%s\"", dtype_arg);
    if (shape_check(err) < 0 || plan_make(&p, err) < 0)
        goto out;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        gm_fail(err, GM_EIO, "%s: cannot create folder: %s", dir, strerror(errno));
        goto out;
    }
    w.p = &p;
    w.vals = malloc((size_t)CHUNK * sizeof *w.vals);
    w.bytes = malloc((size_t)CHUNK * (size_t)p.elem);
    if (!w.vals || !w.bytes) {
        gm_fail(err, GM_ENOMEM, "no memory for the chunk buffers");
        goto out;
    }
    cli_progress_start(&w.prog, "MB", p.total >> 20, progress);
    /* a stale file of the other layout would shadow or confuse this one */
    char *stale = path_in(dir, shards ? "model.safetensors" : "model.safetensors.index.json");
    if (stale)
        unlink(stale);
    free(stale);
    for (int s = 0; s < p.nfiles; s++)
        if (shard_write(&w, dir, s, err) < 0)
            goto out;
    cli_progress_finish(&w.prog);
    if (shards) {
        char *ix = index_text(&p);
        if (!ix || text_write(dir, "model.safetensors.index.json", ix, err) < 0) {
            if (!ix)
                gm_fail(err, GM_ENOMEM, "no memory");
            free(ix);
            goto out;
        }
        free(ix);
    }
    char *cfg = config_text(&p);
    if (!cfg || text_write(dir, "config.json", cfg, err) < 0) {
        if (!cfg)
            gm_fail(err, GM_ENOMEM, "no memory");
        free(cfg);
        goto out;
    }
    free(cfg);
    rc = 0;
out:
    free(w.vals);
    free(w.bytes);
    free(p.t);
    return rc;
}

int main(int argc, char **argv)
{
    int first = cli_parse(&program, argc, argv);
    if (argc - first != 1)
        cli_usage_error(NAME, "expected one output folder, got %d arguments", argc - first);
    gm_error err = {0};
    if (generate(argv[first], &err) < 0)
        cli_die(NAME, &err);
    return 0;
}
