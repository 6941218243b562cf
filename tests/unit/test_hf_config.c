/* test_hf_config.c: what hf_config_read makes of each family's config.json
 * (the fuzz corpus's seeds, written by tests/reference/gen_family_checkpoint.py
 * in the HF keys), against values worked out here from families.md and the HF
 * configuration classes: the MoE layers, the router, the attention variant and
 * its scale, YaRN's attention factor, Granite's multipliers, the defaults; and
 * a few edits that must be refused naming the key. Run from the repository
 * (tests/run.sh sets GM_ROOT). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hf_config.h"
#include "test.h"

static char path[4096];

static int read_seed(const char *family, model_config *c, gm_error *err)
{
    const char *root = getenv("GM_ROOT");
    snprintf(path, sizeof path, "%s/tests/fuzz/corpus/config/%s.json", root ? root : ".", family);
    memset(err, 0, sizeof *err);
    return hf_config_read(path, c, err);
}

/* The seed with one edit (a Python-free string substitution of `from` by `to`). */
static int read_edited(const char *family, const char *from, const char *to, model_config *c,
                       gm_error *err)
{
    const char *root = getenv("GM_ROOT");
    char src[4096], text[65536];
    snprintf(src, sizeof src, "%s/tests/fuzz/corpus/config/%s.json", root ? root : ".", family);
    FILE *f = fopen(src, "r");
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    if (f)
        fclose(f);
    text[n] = 0;
    char *at = strstr(text, from), out[65536];
    if (!at)
        return -2;
    snprintf(out, sizeof out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    snprintf(path, sizeof path, "/tmp/gm_test_hf_config.%d.json", (int)getpid());
    f = fopen(path, "w");
    fputs(out, f);
    fclose(f);
    memset(err, 0, sizeof *err);
    int rc = hf_config_read(path, c, err);
    unlink(path);
    return rc;
}

static int near(double a, double b) { return fabs(a - b) <= 1e-12 * fabs(b); }

int main(void)
{
    model_config c;
    gm_error err;

    /* deepseek_v3: 3 layers, the first dense; MLA 16 + 8 (rope), v 16; YaRN factor 4 with
     * mscale = mscale_all_dim = 1: attention factor 1, q.k scale 24^-0.5 * (0.1 ln 4 + 1)^2 */
    CHECK(read_seed("deepseek_v3", &c, &err) == 0, "deepseek_v3 seed reads (%s)", err.msg);
    CHECK(c.family == GM_FAMILY_DEEPSEEK_V3 && c.L == 3 && c.L_moe == 2 && c.moe_layer[0] == 1 &&
              c.moe_layer[1] == 2, "v3: layer 0 dense (first_k_dense_replace 1), MoE layers 1, 2");
    CHECK(c.attn == GM_ATTN_MLA && c.Dh == 24 && c.Dv == 16 && c.q_lora == 0 && c.kv_lora == 24,
          "v3: latent attention, head 16 + 8, v 16, no q LoRA, kv_lora 24");
    double m = 0.1 * log(4.0) + 1.0;
    CHECK(near(c.attn_scale, pow(24.0, -0.5) * m * m), "v3: YaRN's mscale^2 on the scale (%.15g)",
          c.attn_scale);
    CHECK(c.rope == GM_ROPE_YARN && near(c.rope_attn_factor, 1.0) && near(c.yarn_factor, 4.0) &&
              near(c.yarn_omax, 64.0), "v3: YaRN factor 4 over 64 positions, attention factor 1");
    CHECK(c.router == GM_ROUTER_SIGMOID_GROUP && c.n_group == 4 && c.topk_group == 2 &&
              near(c.routed_scale, 2.5) && c.norm_topk_prob && c.rope_interleave,
          "v3: sigmoid groups 2 of 4, scale 2.5, renormalized, interleaved rope");
    CHECK(c.shared == GM_SHARED_PLAIN && c.shared_F == 32 && c.dense_F == 96,
          "v3: one shared expert of moe_intermediate_size, dense layers of intermediate_size");
    hf_config_clear(&c);

    /* deepseek_v2 (YaRN factor 4, mscale_all_dim 0.707): the same correction since HF PR
     * #47435, as deepseek-ai's own V2 code: 24^-0.5 * (0.0707 ln 4 + 1)^2 */
    CHECK(read_seed("deepseek_v2", &c, &err) == 0, "deepseek_v2 seed reads (%s)", err.msg);
    m = 0.1 * 0.707 * log(4.0) + 1.0;
    CHECK(near(c.attn_scale, pow(24.0, -0.5) * m * m) && c.router == GM_ROUTER_SOFTMAX_GROUP &&
              !c.norm_topk_prob && c.rope_interleave,
          "v2: YaRN's mscale^2 on the scale (%.15g), group-limited softmax, interleaved rope",
          c.attn_scale);
    hf_config_clear(&c);

    /* qwen2_moe: mlp_only_layers [1] -> layers 0 and 2 route; gated shared expert; q/k/v biases
     * (qkv_bias's default), no o bias; rms_norm_eps default 1e-6 */
    CHECK(read_seed("qwen2_moe", &c, &err) == 0, "qwen2_moe seed reads (%s)", err.msg);
    CHECK(c.L_moe == 2 && c.moe_layer[0] == 0 && c.moe_layer[1] == 2, "qwen2_moe: layer 1 dense");
    CHECK(c.shared == GM_SHARED_GATED && c.shared_F == 48 && c.qkv_bias && !c.o_bias,
          "qwen2_moe: gated shared expert 48 wide, q/k/v biases only");
    CHECK(c.H_kv == 2 && c.Dh == 16 && near(c.rope_theta, 1e6) && c.window[0] == 0,
          "qwen2_moe: GQA 4:2, head 16, theta 1e6, no window");
    hf_config_clear(&c);
    /* transformers v5 saves sliding_window 0 when use_sliding_window is false: no window */
    CHECK(read_edited("qwen2_moe", "\"sliding_window\": null", "\"sliding_window\": 0", &c, &err) == 0 &&
              c.window[0] == 0 && c.window[2] == 0, "qwen2_moe: sliding_window 0 is no window (%s)", err.msg);
    hf_config_clear(&c);

    /* granitemoe: top-k then softmax; the four multipliers; tied embeddings */
    CHECK(read_seed("granitemoe", &c, &err) == 0, "granitemoe seed reads (%s)", err.msg);
    CHECK(c.router == GM_ROUTER_TOPK_SOFTMAX && near(c.attn_scale, 0.0625) && near(c.emb_mult, 4.0) &&
              near(c.res_mult, 0.5) && near(c.logit_div, 2.0) && c.tie_embeddings,
          "granite: top-k-then-softmax, attention_multiplier replaces the scale, multipliers");
    hf_config_clear(&c);

    /* mixtral: always renormalized; a window applies to every layer */
    CHECK(read_edited("mixtral", "\"sliding_window\": null", "\"sliding_window\": 7", &c, &err) == 0,
          "mixtral with a window reads (%s)", err.msg);
    CHECK(c.norm_topk_prob && c.window[0] == 7 && c.window[2] == 7 && near(c.attn_scale, 0.25),
          "mixtral: renormalized, window 7 on every layer, scale 16^-0.5");
    hf_config_clear(&c);

    /* refusals, one line naming the key */
    const struct {
        const char *family, *from, *to, *frag;
    } bad[] = {
        {"deepseek_v3", "\"n_group\": 4", "\"n_group\": 3", "key \"n_group\" 3 does not divide"},
        {"deepseek_v3", "\"scoring_func\": \"sigmoid\"", "\"scoring_func\": \"softmax\"",
         "key \"scoring_func\" \"softmax\" is not implemented for deepseek_v3"},
        {"deepseek_v2", "\"topk_method\": \"group_limited_greedy\"", "\"topk_method\": \"noaux_tc\"",
         "key \"topk_method\" \"noaux_tc\" is not implemented for deepseek_v2"},
        {"qwen2_moe", "\"mlp_only_layers\": [", "\"mlp_only_layers\": [0, 2, ", "no layer of the 3 routes"},
        {"mixtral", "\"sliding_window\": null", "\"sliding_window\": null, \"rope_thetta\": 5",
         "key \"rope_thetta\" is not one grokmon knows for mixtral"},
        {"granitemoe", "\"hidden_act\": \"silu\"", "\"hidden_act\": \"gelu\"",
         "key \"hidden_act\" \"gelu\" is not implemented"},
        {"deepseek_v3", "\"factor\": 4.0", "\"factor\": 8.0", "key \"rope_scaling.factor\" is 8"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = read_edited(bad[i].family, bad[i].from, bad[i].to, &c, &err);
        CHECK(rc == -1 && err.code == GM_EDATA && strstr(err.msg, bad[i].frag) && !strchr(err.msg, '\n'),
              "refused: %s (%s)", bad[i].frag, rc == -2 ? "edit not found in the seed" : err.msg);
    }
    return test_status();
}
