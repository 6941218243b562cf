/* test_model_fixture.h: tiny HF checkpoints written by hand for the loader's
 * unit tests (test_model*.c): a safetensors writer independent of the loader
 * and of gen-checkpoint, temporary folders, and a value rule per tensor so the
 * tests can predict every element. Not a general writer: a few KB at most. */
#ifndef GM_TEST_MODEL_FIXTURE_H
#define GM_TEST_MODEL_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct fx_tensor {
    char name[128];
    const char *dtype; /* "F32", "BF16", "F16", or anything to test errors */
    int ndim;
    int64_t shape[4];
    int seed;          /* value rule: fx_value(seed, i) */
} fx_tensor;

/* Element i of a tensor: multiples of 1/8 in [-3.125, 3], exact in F32, BF16
 * and F16, different per tensor. */
static inline float fx_value(int seed, int64_t i)
{
    return (float)((i * 7 + seed * 13) % 50 - 25) / 8.0f;
}

static inline int64_t fx_numel(const fx_tensor *t)
{
    int64_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->shape[i];
    return n;
}

static inline int fx_elem_size(const char *dtype)
{
    return strcmp(dtype, "F32") == 0 ? 4 : strcmp(dtype, "F64") == 0 || strcmp(dtype, "I64") == 0 ? 8 : 2;
}

/* Encode fx_value(seed, i) in dtype (exact for the values above). */
static inline void fx_encode(const char *dtype, float v, unsigned char *out)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    if (strcmp(dtype, "F32") == 0) {
        for (int b = 0; b < 4; b++)
            out[b] = (unsigned char)(u >> (8 * b));
    } else if (strcmp(dtype, "F16") == 0) {
        /* normal halves only: the values are in [2^-3, 4) or zero */
        uint32_t sign = u >> 31, exp = (u >> 23) & 255, man = u & 0x7fffff;
        uint16_t h = (uint16_t)(sign << 15);
        if (exp != 0)
            h |= (uint16_t)((exp - 127 + 15) << 10 | man >> 13);
        out[0] = (unsigned char)h;
        out[1] = (unsigned char)(h >> 8);
    } else {
        uint16_t h = (uint16_t)(u >> 16);
        out[0] = (unsigned char)h;
        out[1] = (unsigned char)(h >> 8);
    }
}

/* Write a safetensors file with the tensors in the order given. */
static inline int fx_write(const char *path, const fx_tensor *ts, int n)
{
    char *hdr = malloc(65536);
    size_t used = (size_t)snprintf(hdr, 65536, "{\"__metadata__\":{\"format\":\"pt\"}");
    uint64_t off = 0;
    for (int i = 0; i < n; i++) {
        uint64_t nb = (uint64_t)fx_numel(&ts[i]) * (uint64_t)fx_elem_size(ts[i].dtype);
        used += (size_t)snprintf(hdr + used, 65536 - used, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[",
                                 ts[i].name, ts[i].dtype);
        for (int d = 0; d < ts[i].ndim; d++)
            used += (size_t)snprintf(hdr + used, 65536 - used, "%s%lld", d ? "," : "",
                                     (long long)ts[i].shape[d]);
        used += (size_t)snprintf(hdr + used, 65536 - used, "],\"data_offsets\":[%llu,%llu]}",
                                 (unsigned long long)off, (unsigned long long)(off + nb));
        off += nb;
    }
    used += (size_t)snprintf(hdr + used, 65536 - used, "}");
    while (used % 8)
        hdr[used++] = ' ';
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        free(hdr);
        return -1;
    }
    unsigned char len[8];
    for (int b = 0; b < 8; b++)
        len[b] = (unsigned char)((uint64_t)used >> (8 * b));
    fwrite(len, 1, 8, fp);
    fwrite(hdr, 1, used, fp);
    for (int i = 0; i < n; i++) {
        unsigned char e[8];
        for (int64_t k = 0; k < fx_numel(&ts[i]); k++) {
            fx_encode(ts[i].dtype, fx_value(ts[i].seed, k), e);
            fwrite(e, 1, (size_t)fx_elem_size(ts[i].dtype), fp);
        }
    }
    free(hdr);
    return fclose(fp);
}

/* Write raw bytes (for hand-made broken files). */
static inline int fx_write_bytes(const char *path, const void *b, size_t n)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    fwrite(b, 1, n, fp);
    return fclose(fp);
}

/* A safetensors file made of an explicit header string and `data` zero bytes. */
static inline int fx_write_header(const char *path, const char *json, size_t data)
{
    size_t hl = strlen(json);
    size_t total = 8 + hl + data;
    unsigned char *b = calloc(1, total);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(b + 8, json, hl);
    int rc = fx_write_bytes(path, b, total);
    free(b);
    return rc;
}

static inline int fx_write_text(const char *path, const char *text)
{
    return fx_write_bytes(path, text, strlen(text));
}

/* A fresh temporary folder; fx_rmdir removes it and its files. */
static inline char *fx_tmpdir(void)
{
    char *d = strdup("/tmp/gm_test_model.XXXXXX");
    return mkdtemp(d) ? d : NULL;
}

static inline void fx_rmdir(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", d);
}

/* The tensor list of a small OLMoE: D, L, H, F, E, V; H_kv = H. Returns the
 * count; ts must hold 4 + L * (9 + 3E) entries. */
static inline int fx_olmoe_tensors(fx_tensor *ts, const char *dtype, int D, int L, int F, int E,
                                   int V, int with_lm_head)
{
    int n = 0, seed = 1;
#define FX_ADD(nd, a, b, ...)                                                         \
    do {                                                                              \
        snprintf(ts[n].name, sizeof ts[n].name, __VA_ARGS__);                         \
        ts[n].dtype = dtype;                                                          \
        ts[n].ndim = nd;                                                              \
        ts[n].shape[0] = a;                                                           \
        ts[n].shape[1] = b;                                                           \
        ts[n].seed = seed++;                                                          \
        n++;                                                                          \
    } while (0)
    FX_ADD(2, V, D, "model.embed_tokens.weight");
    for (int l = 0; l < L; l++) {
        FX_ADD(1, D, 0, "model.layers.%d.input_layernorm.weight", l);
        FX_ADD(2, D, D, "model.layers.%d.self_attn.q_proj.weight", l);
        FX_ADD(2, D, D, "model.layers.%d.self_attn.k_proj.weight", l);
        FX_ADD(2, D, D, "model.layers.%d.self_attn.v_proj.weight", l);
        FX_ADD(2, D, D, "model.layers.%d.self_attn.o_proj.weight", l);
        FX_ADD(1, D, 0, "model.layers.%d.self_attn.q_norm.weight", l);
        FX_ADD(1, D, 0, "model.layers.%d.self_attn.k_norm.weight", l);
        FX_ADD(1, D, 0, "model.layers.%d.post_attention_layernorm.weight", l);
        FX_ADD(2, E, D, "model.layers.%d.mlp.gate.weight", l);
        for (int e = 0; e < E; e++) {
            FX_ADD(2, F, D, "model.layers.%d.mlp.experts.%d.gate_proj.weight", l, e);
            FX_ADD(2, F, D, "model.layers.%d.mlp.experts.%d.up_proj.weight", l, e);
            FX_ADD(2, D, F, "model.layers.%d.mlp.experts.%d.down_proj.weight", l, e);
        }
    }
    FX_ADD(1, D, 0, "model.norm.weight");
    if (with_lm_head)
        FX_ADD(2, V, D, "lm_head.weight");
#undef FX_ADD
    return n;
}

/* An OLMoE config.json; extra is spliced in before the closing brace (may be ""). */
static inline int fx_write_config(const char *dir, int D, int L, int H, int F, int E, int K,
                                  int V, const char *extra)
{
    char path[512], text[2048];
    snprintf(path, sizeof path, "%s/config.json", dir);
    snprintf(text, sizeof text,
             "{\"model_type\": \"olmoe\", \"hidden_size\": %d, \"num_hidden_layers\": %d, "
             "\"num_attention_heads\": %d, \"intermediate_size\": %d, \"num_experts\": %d, "
             "\"num_experts_per_tok\": %d, \"vocab_size\": %d, "
             "\"max_position_embeddings\": 64%s}",
             D, L, H, F, E, K, V, extra);
    return fx_write_text(path, text);
}

#endif
