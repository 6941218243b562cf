/* test_model.c: model_open on small hand-written checkpoints (single file and
 * sharded, F32/BF16/F16, tied embeddings), the error for each broken rule,
 * config.json defaults and checks, checkpoint names, and tensor_widen's fast
 * conversions against the scalar reference on all 65536 half values. */
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "hf_config.h"
#include "model.h"
#include "test.h"
#include "test_model_fixture.h"

enum { D = 8, L = 2, H = 2, F = 4, E = 4, K = 2, V = 16 };
#define MAX_T (4 + L * (9 + 3 * E))

static char root[64];

/* A checkpoint folder root/name: config + tensors in nshards files. */
static void ckpt_write(const char *name, const char *dtype, int nshards, int with_lm_head,
                       const char *cfg_extra)
{
    char d[256], p[320];
    snprintf(d, sizeof d, "%s/%s", root, name);
    mkdir(d, 0755);
    fx_write_config(d, D, L, H, F, E, K, V, cfg_extra);
    static fx_tensor ts[MAX_T];
    int n = fx_olmoe_tensors(ts, dtype, D, L, F, E, V, with_lm_head);
    if (nshards == 0) {
        snprintf(p, sizeof p, "%s/model.safetensors", d);
        fx_write(p, ts, n);
        return;
    }
    char ix[16384];
    size_t used = (size_t)snprintf(ix, sizeof ix, "{\"metadata\": {}, \"weight_map\": {");
    for (int s = 0; s < nshards; s++) {
        int lo = n * s / nshards, hi = n * (s + 1) / nshards;
        snprintf(p, sizeof p, "%s/model-%05d-of-%05d.safetensors", d, s + 1, nshards);
        fx_write(p, ts + lo, hi - lo);
        for (int i = lo; i < hi; i++)
            used += (size_t)snprintf(ix + used, sizeof ix - used,
                                     "%s\"%s\": \"model-%05d-of-%05d.safetensors\"",
                                     i ? ", " : "", ts[i].name, s + 1, nshards);
    }
    snprintf(ix + used, sizeof ix - used, "}}");
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", d);
    fx_write_text(p, ix);
}

/* Every element of t equals the fixture's rule for that tensor's seed. */
static int tensor_matches(const gm_tensor *t, int seed)
{
    float buf[V * D];
    tensor_widen(t, 0, t->numel, buf);
    for (int64_t i = 0; i < t->numel; i++)
        if (buf[i] != fx_value(seed, i))
            return 0;
    return 1;
}

static model *open_ok(const char *name)
{
    char d[256];
    snprintf(d, sizeof d, "%s/%s", root, name);
    gm_error err = {0};
    model *m = model_open(d, &err);
    CHECK(m != NULL, "open %s%s%s", name, m ? "" : ": ", m ? "" : err.msg);
    return m;
}

static void expect_open_fail(const char *name, const char *frag)
{
    char d[256];
    snprintf(d, sizeof d, "%s/%s", root, name);
    gm_error err = {0};
    model *m = model_open(d, &err);
    CHECK(!m && err.code != GM_OK && strstr(err.msg, frag) && strstr(err.msg, d) &&
              !strchr(err.msg, '\n'),
          "%s fails: %s", name, err.msg);
    model_close(m);
}

static void test_open_variants(void)
{
    const struct {
        const char *name, *dtype;
        int shards;
    } cases[] = {
        {"step1000-tokens4B", "F32", 0},
        {"bf16", "BF16", 0},
        {"f16-sharded", "F16", 3},
        {"step7", "BF16", 5},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ckpt_write(cases[c].name, cases[c].dtype, cases[c].shards, 1, "");
        model *m = open_ok(cases[c].name);
        if (!m)
            continue;
        const model_config *g = &m->cfg;
        CHECK(g->D == D && g->L == L && g->H == H && g->H_kv == H && g->Dh == D / H &&
                  g->F == F && g->E == E && g->K == K && g->V == V && g->max_pos == 64,
              "%s: config dims", cases[c].name);
        CHECK(g->rms_eps == 1e-5 && g->rope_theta == 10000 && g->clip_qkv == 0 &&
                  !g->norm_topk_prob && !g->tie_embeddings && g->family == GM_FAMILY_OLMOE,
              "%s: config defaults", cases[c].name);
        /* the fixture's seeds follow its tensor order: embed 1, then per layer
         * 9 + 3E, then norm, lm_head */
        int ok = tensor_matches(&m->embed, 1) && m->embed.dtype == (gm_dtype)(
                     strcmp(cases[c].dtype, "F32") == 0 ? GM_F32
                     : strcmp(cases[c].dtype, "BF16") == 0 ? GM_BF16 : GM_F16);
        for (int l = 0; l < L; l++) {
            int s = 2 + l * (9 + 3 * E);
            const model_layer *y = &m->layers[l];
            ok &= tensor_matches(&y->attn_norm, s) && tensor_matches(&y->wq, s + 1) &&
                  tensor_matches(&y->wk, s + 2) && tensor_matches(&y->wv, s + 3) &&
                  tensor_matches(&y->wo, s + 4) && tensor_matches(&y->q_norm, s + 5) &&
                  tensor_matches(&y->k_norm, s + 6) && tensor_matches(&y->ffn_norm, s + 7) &&
                  tensor_matches(&y->router, s + 8);
            for (int e = 0; e < E; e++)
                ok &= tensor_matches(&y->gate[e], s + 9 + 3 * e) &&
                      tensor_matches(&y->up[e], s + 10 + 3 * e) &&
                      tensor_matches(&y->down[e], s + 11 + 3 * e);
            ok &= y->down[0].shape[0] == D && y->down[0].shape[1] == F &&
                  y->router.shape[0] == E && y->wq.ndim == 2 && y->attn_norm.ndim == 1;
        }
        int last = 2 + L * (9 + 3 * E);
        ok &= tensor_matches(&m->final_norm, last) && tensor_matches(&m->lm_head, last + 1);
        CHECK(ok, "%s: every tensor bound to the right bytes, shapes as config", cases[c].name);
        CHECK(strcmp(m->layers[1].up[3].name, "model.layers.1.mlp.experts.3.up_proj.weight") == 0,
              "%s: tensor names kept", cases[c].name);
        CHECK((tensor_as_f32(&m->embed) != NULL) == (strcmp(cases[c].dtype, "F32") == 0),
              "%s: tensor_as_f32 only for F32", cases[c].name);
        model_close(m);
    }

    model *m = open_ok("step1000-tokens4B");
    CHECK(m && strcmp(m->name, "step1000-tokens4B") == 0 && m->step == 1000,
          "name and step from the folder");
    model_close(m);
    char d[256];
    snprintf(d, sizeof d, "%s/step7///", root);
    gm_error err = {0};
    m = model_open(d, &err);
    CHECK(m && strcmp(m->name, "step7") == 0 && m->step == 7, "trailing slashes ignored");
    model_close(m);
    m = open_ok("bf16");
    CHECK(m && m->step == -1, "no step in the name: -1");
    model_close(m);
}

static void test_open_options(void)
{
    ckpt_write("tied", "F32", 0, 0, ", \"tie_word_embeddings\": true");
    model *m = open_ok("tied");
    CHECK(m && m->cfg.tie_embeddings && m->lm_head.data == m->embed.data,
          "tied embeddings without lm_head: lm_head is the embedding");
    model_close(m);
    ckpt_write("untied-no-head", "F32", 0, 0, "");
    expect_open_fail("untied-no-head", "tensor lm_head.weight is missing");
    ckpt_write("tied-with-head", "F32", 0, 1, ", \"tie_word_embeddings\": true");
    m = open_ok("tied-with-head");
    CHECK(m && m->lm_head.data != m->embed.data, "tied but lm_head present: the file's is used");
    model_close(m);
    ckpt_write("opts", "F32", 0, 1,
               ", \"rms_norm_eps\": 1e-6, \"rope_theta\": 500000, \"norm_topk_prob\": true, "
               "\"clip_qkv\": 8, \"rope_scaling\": null, \"num_key_value_heads\": 2, "
               "\"attention_bias\": false");
    m = open_ok("opts");
    CHECK(m && m->cfg.rms_eps == 1e-6 && m->cfg.rope_theta == 500000 && m->cfg.norm_topk_prob &&
              m->cfg.clip_qkv == 8 && m->cfg.H_kv == 2,
          "optional keys read");
    model_close(m);
}

static void test_open_errors(void)
{
    char d[256], p[320];
    ckpt_write("bad-shape", "F32", 0, 1, "");
    /* rewrite with one tensor misshaped */
    static fx_tensor ts[MAX_T];
    int n = fx_olmoe_tensors(ts, "F32", D, L, F, E, V, 1);
    for (int i = 0; i < n; i++)
        if (strcmp(ts[i].name, "model.layers.1.mlp.gate.weight") == 0)
            ts[i].shape[1] = 3;
    snprintf(p, sizeof p, "%s/bad-shape/model.safetensors", root);
    fx_write(p, ts, n);
    expect_open_fail("bad-shape", "model.safetensors: tensor model.layers.1.mlp.gate.weight has "
                                  "shape [4, 3], config says [4, 8]");

    n = fx_olmoe_tensors(ts, "F32", D, L, F, E, V, 1);
    ts[5].dtype = "I16";
    snprintf(d, sizeof d, "%s/bad-dtype", root);
    mkdir(d, 0755);
    fx_write_config(d, D, L, H, F, E, K, V, "");
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    fx_write(p, ts, n);
    expect_open_fail("bad-dtype", "has dtype I16, expected F32, BF16 or F16");

    n = fx_olmoe_tensors(ts, "BF16", D, L, F, E, V, 1);
    snprintf(d, sizeof d, "%s/missing", root);
    mkdir(d, 0755);
    fx_write_config(d, D, L, H, F, E, K, V, "");
    snprintf(p, sizeof p, "%s/model.safetensors", d);
    memmove(&ts[20], &ts[21], sizeof ts[0] * (size_t)(n - 21));
    fx_write(p, ts, n - 1);
    expect_open_fail("missing", "model.safetensors: tensor model.layers.0.mlp.experts.3.up_proj"
                                ".weight is missing");

    ckpt_write("shard-missing", "F32", 2, 1, "");
    snprintf(p, sizeof p, "%s/shard-missing/model-00002-of-00002.safetensors", root);
    unlink(p);
    expect_open_fail("shard-missing", "model-00002-of-00002.safetensors: cannot open");

    ckpt_write("index-short", "F32", 2, 1, "");
    snprintf(p, sizeof p, "%s/index-short/model.safetensors.index.json", root);
    fx_write_text(p, "{\"weight_map\": {\"model.embed_tokens.weight\": "
                     "\"model-00001-of-00002.safetensors\"}}");
    expect_open_fail("index-short", "index.json: tensor model.layers.0.input_layernorm.weight is "
                                    "missing from weight_map");

    snprintf(p, sizeof p, "%s/index-short/model.safetensors.index.json", root);
    fx_write_text(p, "{\"weight_map\": {\"model.embed_tokens.weight\": "
                     "\"model-00002-of-00002.safetensors\"}}");
    expect_open_fail("index-short", "model-00002-of-00002.safetensors: tensor "
                                    "model.embed_tokens.weight is missing (weight_map places it");

    snprintf(d, sizeof d, "%s/empty", root);
    mkdir(d, 0755);
    expect_open_fail("empty", "config.json: cannot open");
    fx_write_config(d, D, L, H, F, E, K, V, "");
    expect_open_fail("empty", "no model.safetensors or model.safetensors.index.json");
}

/* config.json alone: each rule once. */
static void test_config(void)
{
    char d[256], p[320];
    snprintf(d, sizeof d, "%s/cfg", root);
    mkdir(d, 0755);
    snprintf(p, sizeof p, "%s/config.json", d);
    const struct {
        const char *json, *frag;
    } bad[] = {
        {"{\"model_type\": \"olmoe\", \"num_hidden_layers\": 2, \"num_attention_heads\": 2, "
         "\"intermediate_size\": 4, \"num_experts\": 4, \"num_experts_per_tok\": 2, "
         "\"vocab_size\": 16, \"max_position_embeddings\": 64}",
         "missing key \"hidden_size\""},
        {"{\"model_type\": \"olmoe\", \"hidden_size\": 8, \"num_hidden_layers\": 2, "
         "\"num_attention_heads\": 2, \"intermediate_size\": 4, \"num_experts\": -4, "
         "\"num_experts_per_tok\": 2, \"vocab_size\": 16, \"max_position_embeddings\": 64}",
         "key \"num_experts\" is -4, must be a positive integer"},
        {"{\"model_type\": \"dbrx\", \"hidden_size\": 8}",
         "model_type \"dbrx\" is not supported (supported: olmoe, mixtral, qwen2_moe"},
        {"{\"model_type\": \"mixtral\", \"hidden_size\": 8, \"rope_thetta\": 1}",
         "key \"rope_thetta\" is not one grokmon knows for mixtral"},
        {"{\"model_type\": \"mixtral\", \"hidden_size\": 8, \"num_hidden_layers\": 2, "
         "\"num_attention_heads\": 2, \"intermediate_size\": 4, \"num_local_experts\": 4, "
         "\"num_experts_per_tok\": 2, \"vocab_size\": 16, \"num_key_value_heads\": 2}",
         "key \"rope_theta\" is absent"},
        {"{\"hidden_size\": 8}", "missing key \"model_type\""},
        {"{\"model_type\": \"olmoe\", \"hidden_size\": 8.5}",
         "key \"hidden_size\" must be a positive integer"},
        {"{\"model_type\": \"olmoe\", \"hidden_size\": 9, \"num_hidden_layers\": 2, "
         "\"num_attention_heads\": 2, \"intermediate_size\": 4, \"num_experts\": 4, "
         "\"num_experts_per_tok\": 2, \"vocab_size\": 16, \"max_position_embeddings\": 64}",
         "hidden_size 9 is not a multiple of num_attention_heads 2"},
        {"{\"model_type\": \"olmoe\", \"hidden_size\": 8, \"num_hidden_layers\": 2, "
         "\"num_attention_heads\": 2, \"intermediate_size\": 4, \"num_experts\": 4, "
         "\"num_experts_per_tok\": 5, \"vocab_size\": 16, \"max_position_embeddings\": 64}",
         "key \"num_experts_per_tok\" 5 exceeds the 4 experts"},
        {"{\"model_type\": \"olmoe\", \"hidden_size\": 8, \"num_hidden_layers\": 2, "
         "\"num_attention_heads\": 2, \"intermediate_size\": 4, \"num_experts\": 4, "
         "\"num_experts_per_tok\": 2, \"vocab_size\": 16, \"max_position_embeddings\": 64, "
         "\"norm_topk_prob\": 1}",
         "key \"norm_topk_prob\" must be true or false"},
        {"{\"model_type\": \"olmoe\", \"hidden_size\": 8, \"num_hidden_layers\": 2, "
         "\"num_attention_heads\": 2, \"intermediate_size\": 4, \"num_experts\": 4, "
         "\"num_experts_per_tok\": 2, \"vocab_size\": 16, \"max_position_embeddings\": 64, "
         "\"rms_norm_eps\": -1}",
         "key \"rms_norm_eps\" must be a positive number"},
        {"{\"model_type\": \"olmoe\", \"hidden_size\": 8, \"num_hidden_layers\": 2, "
         "\"num_attention_heads\": 2, \"intermediate_size\": 4, \"num_experts\": 4, "
         "\"num_experts_per_tok\": 2, \"vocab_size\": 16, \"max_position_embeddings\": 64, "
         "\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2}}",
         "key \"rope_scaling.rope_type\" \"linear\" is not implemented (supported: default, yarn)"},
        {"{\"model_type\": \"olmoe\", \"hidden_size\": 8, \"num_hidden_layers\": 2, "
         "\"num_attention_heads\": 2, \"intermediate_size\": 4, \"num_experts\": 4, "
         "\"num_experts_per_tok\": 2, \"vocab_size\": 16, \"max_position_embeddings\": 64, "
         "\"num_key_value_heads\": 3}",
         "key \"num_key_value_heads\" 3 does not divide num_attention_heads 2"},
        {"{\"model_type\": \"olmoe\", \"hidden_size\": 8, \"num_hidden_layers\": 99999999999}",
         "larger than the supported"},
        {"{\"model_type\": \"olmoe\",", "not valid JSON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fx_write_text(p, bad[i].json);
        model_config c;
        gm_error err = {0};
        int rc = hf_config_read(p, &c, &err);
        CHECK(rc < 0 && err.code == GM_EDATA && strstr(err.msg, bad[i].frag) &&
                  strstr(err.msg, "cfg/config.json: "),
              "config rule %zu: %s", i, err.msg);
    }
}

static void test_step_names(void)
{
    const struct {
        const char *name;
        int64_t step;
    } cases[] = {
        {"step245000-tokens1027B", 245000}, {"step245000", 245000}, {"step0", 0},
        {"step5000-tokens20B", 5000},       {"step", -1},           {"stepx", -1},
        {"main", -1},                       {"step12a", -1},        {"xstep12", -1},
        {"Step12", -1},                     {"step99999999999999999999", -1},
        {"step1220000-tokens5117B", 1220000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK(checkpoint_step_from_name(cases[i].name) == cases[i].step, "step of \"%s\" is %lld",
              cases[i].name, (long long)cases[i].step);
}

static int same_bits(float a, float b)
{
    uint32_t x, y;
    memcpy(&x, &a, 4);
    memcpy(&y, &b, 4);
    return x == y;
}

static void test_widen(void)
{
    /* independent known values */
    const struct {
        uint16_t h;
        float f;
    } f16[] = {
        {0x0000, 0.0f},           {0x8000, -0.0f},         {0x3c00, 1.0f},
        {0xc000, -2.0f},          {0x7bff, 65504.0f},      {0x0001, 0x1p-24f},
        {0x03ff, 1023 * 0x1p-24f}, {0x0400, 0x1p-14f},     {0x8001, -0x1p-24f},
        {0x3555, 0x1.554p-2f},    {0x7c00, INFINITY},      {0xfc00, -INFINITY},
    };
    for (size_t i = 0; i < sizeof f16 / sizeof f16[0]; i++)
        CHECK(same_bits(f16_to_f32(f16[i].h), f16[i].f), "f16 0x%04x = %g", f16[i].h,
              (double)f16[i].f);
    CHECK(isnan(f16_to_f32(0x7e00)) && isnan(f16_to_f32(0xfc01)), "f16 nan");
    CHECK(same_bits(bf16_to_f32(0x3f80), 1.0f) && same_bits(bf16_to_f32(0xc0a0), -5.0f) &&
              same_bits(bf16_to_f32(0x0001), 0x1p-133f) && isinf(bf16_to_f32(0x7f80)),
          "bf16 known values");

    /* every 16-bit pattern: the vectorized path (odd offsets and lengths) gives
     * the reference's bits */
    static unsigned char raw[2 * 65536 + 2];
    for (uint32_t i = 0; i < 65536; i++) {
        raw[2 + 2 * i] = (unsigned char)i;
        raw[3 + 2 * i] = (unsigned char)(i >> 8);
    }
    static float out[65536];
    for (int d = 0; d < 2; d++) {
        gm_tensor t = {.name = "all", .data = raw, .dtype = d ? GM_F16 : GM_BF16, .ndim = 1,
                       .shape = {65537}, .numel = 65537};
        int bad = 0;
        for (int64_t first = 1; first < 65537; first += 4093) {
            int64_t n = 65537 - first < 4093 + 7 ? 65537 - first : 4093 + 7;
            tensor_widen(&t, first, n, out);
            for (int64_t k = 0; k < n; k++) {
                uint16_t h = (uint16_t)(first + k - 1);
                float r = d ? f16_to_f32(h) : bf16_to_f32(h);
                bad += !same_bits(out[k], r);
            }
        }
        CHECK(bad == 0, "%s: tensor_widen equals the scalar reference on all 65536 values "
                        "(%d differ)", d ? "F16" : "BF16", bad);
    }
}

int main(void)
{
    char *d = fx_tmpdir();
    if (!d)
        return 1;
    snprintf(root, sizeof root, "%s", d);
    test_step_names();
    test_widen();
    test_config();
    test_open_variants();
    test_open_options();
    test_open_errors();
    fx_rmdir(root);
    free(d);
    return test_status();
}
