/* fuzz_config: hf_config_read (common/hf_config.c) on arbitrary bytes as
 * config.json. On success the config must be one the forward pass can
 * compute (hf_config.h): positive sizes, D = H x Dh with Dh even, H a
 * multiple of H_kv, K <= E, positive finite eps and theta. Spec: olmoe.md
 * "Shape". It does not open weights (fuzz_safetensors does). */
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "hf_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_file(data, size, path, sizeof path);
    if (fd < 0)
        return 0;
    gm_error err = {0};
    model_config c;
    memset(&c, 0xa5, sizeof c);
    if (hf_config_read(path, &c, &err) < 0) {
        FUZZ_ASSERT_ERROR(&err);
    } else {
        FUZZ_ASSERT(c.D > 0 && c.L > 0 && c.H > 0 && c.H_kv > 0 && c.F > 0 && c.Dh > 0);
        FUZZ_ASSERT(c.E > 0 && c.K > 0 && c.V > 0 && c.max_pos >= 0);
        FUZZ_ASSERT(c.L_moe >= 1 && c.L_moe <= c.L && c.moe_layer && c.window);
        for (int64_t i = 0; i < c.L_moe; i++)
            FUZZ_ASSERT(c.moe_layer[i] >= 0 && c.moe_layer[i] < c.L &&
                        (i == 0 || c.moe_layer[i] > c.moe_layer[i - 1]));
        FUZZ_ASSERT(c.L_moe == c.L || c.dense_F > 0);
        FUZZ_ASSERT(c.H % c.H_kv == 0 && c.K <= c.E && c.E <= 65535);
        FUZZ_ASSERT(c.attn_scale > 0 && isfinite(c.attn_scale));
        FUZZ_ASSERT(c.rope_attn_factor > 0 && isfinite(c.rope_attn_factor));
        FUZZ_ASSERT(c.n_group >= 1 && c.n_group <= MODEL_GROUPS_MAX && c.E % c.n_group == 0);
        FUZZ_ASSERT(c.rms_eps > 0 && isfinite(c.rms_eps));
        FUZZ_ASSERT(c.rope_theta > 0 && isfinite(c.rope_theta));
        FUZZ_ASSERT(c.clip_qkv >= 0 && isfinite(c.clip_qkv));
        FUZZ_ASSERT(memchr(c.model_type, 0, sizeof c.model_type) != NULL);
        hf_config_clear(&c);
    }
    fuzz_file_close(fd);
    return 0;
}
