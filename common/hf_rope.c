/* hf_rope.c: the rotary embedding settings of a config.json: rope_theta and
 * rope_scaling (transformers v4) or a rope_parameters map (v5), read both
 * ways and refused where they disagree, where a value is absent with no
 * default every version shares, or where the rope type is not implemented
 * (default and YaRN are). Spec: families.md; HF modeling_rope_utils.py. */
#include <math.h>
#include <string.h>

#include "hf_config_keys.h"

static const char *const yarn_keys[] = {
    "factor", "original_max_position_embeddings", "attention_factor", "beta_fast", "beta_slow",
    "mscale", "mscale_all_dim", "truncate", NULL};

/* YaRN's magnitude correction (HF yarn_get_mscale). */
static double yarn_mscale(double scale, double mscale)
{
    return scale <= 1.0 ? 1.0 : 0.1 * mscale * log(scale) + 1.0;
}

/* The same map without rope_theta, equal? (json_equal on copies.) */
static int same_but_theta(json_t *a, json_t *b)
{
    json_t *x = json_deep_copy(a), *y = json_deep_copy(b);
    int same = -1;
    if (x && y) {
        json_object_del(x, "rope_theta");
        json_object_del(y, "rope_theta");
        same = json_equal(x, y);
    }
    json_decref(x);
    json_decref(y);
    return same;
}

/* A number in the map (absent or null: *out unchanged). */
static int param_real(const hf_keys *k, const char *where, json_t *map, const char *key,
                      double *out)
{
    json_t *v = json_object_get(map, key);
    if (!v || json_is_null(v))
        return 0;
    char full[96];
    snprintf(full, sizeof full, "%s.%s", where, key);
    if (!json_is_number(v) || !isfinite(json_number_value(v)) || !(json_number_value(v) > 0))
        return hf_refuse(k, full, "must be a positive number");
    *out = json_number_value(v);
    return 0;
}

static int yarn_read(const hf_keys *k, const char *where, json_t *p, model_config *c)
{
    const char *key;
    json_t *v;
    json_object_foreach(p, key, v) {
        int known = 0;
        for (int i = 0; yarn_keys[i]; i++)
            known |= strcmp(key, yarn_keys[i]) == 0;
        if (!known) {
            char full[96];
            snprintf(full, sizeof full, "%s.%.40s", where, key);
            return hf_refuse(k, full, "is not a YaRN setting grokmon implements");
        }
    }
    double mpe = (double)c->max_pos, omax = 0, factor = 0;
    c->yarn_beta_fast = 32;
    c->yarn_beta_slow = 1;
    c->yarn_mscale = c->yarn_mscale_all_dim = 0;
    double att = 0;
    if (param_real(k, where, p, "original_max_position_embeddings", &omax) ||
        param_real(k, where, p, "factor", &factor) ||
        param_real(k, where, p, "beta_fast", &c->yarn_beta_fast) ||
        param_real(k, where, p, "beta_slow", &c->yarn_beta_slow) ||
        param_real(k, where, p, "mscale", &c->yarn_mscale) ||
        param_real(k, where, p, "mscale_all_dim", &c->yarn_mscale_all_dim) ||
        param_real(k, where, p, "attention_factor", &att))
        return -1;
    char full[96];
    int had_omax = omax > 0;
    if (!had_omax) {
        snprintf(full, sizeof full, "%s.original_max_position_embeddings", where);
        if (!(mpe > 0))
            return hf_refuse(k, full, "is absent, and no max_position_embeddings to take it from");
        omax = mpe;
    }
    snprintf(full, sizeof full, "%s.factor", where);
    if (factor == 0) {
        if (!(mpe > 0))
            return hf_refuse(k, full, "is absent, and no max_position_embeddings to take it from");
        factor = mpe / omax;
    } else if (had_omax && mpe > 0 && fabs(factor - mpe / omax) > 1e-9 * factor) {
        /* transformers v4.5x takes the ratio as the factor, v5 takes `factor` */
        return hf_refuse(k, full, "is %g but max_position_embeddings / "
                         "original_max_position_embeddings is %g: transformers versions "
                         "disagree on which applies", factor, mpe / omax);
    }
    json_t *tr = json_object_get(p, "truncate");
    c->yarn_truncate = 1;
    if (tr && !json_is_null(tr)) {
        snprintf(full, sizeof full, "%s.truncate", where);
        if (!json_is_boolean(tr))
            return hf_refuse(k, full, "must be true or false");
        c->yarn_truncate = json_is_true(tr);
    }
    if (att == 0) {
        if (c->yarn_mscale > 0 && c->yarn_mscale_all_dim > 0)
            att = yarn_mscale(factor, c->yarn_mscale) / yarn_mscale(factor, c->yarn_mscale_all_dim);
        else
            att = yarn_mscale(factor, 1.0);
    }
    c->rope = GM_ROPE_YARN;
    c->yarn_factor = factor;
    c->yarn_omax = omax;
    c->rope_attn_factor = att;
    return 0;
}

int hf_rope_read(const hf_keys *k, model_config *c)
{
    json_t *prf = hf_get(k, "partial_rotary_factor");
    if (prf && !(json_is_number(prf) && json_number_value(prf) == 1.0))
        return hf_refuse(k, "partial_rotary_factor", "must be 1.0 (partial rotary embeddings "
                         "are not implemented)");
    json_t *rs = hf_get(k, "rope_scaling"), *rp = hf_get(k, "rope_parameters");
    if (rs && !json_is_object(rs))
        return hf_refuse(k, "rope_scaling", "must be a map or null");
    if (rp && !json_is_object(rp))
        return hf_refuse(k, "rope_parameters", "must be a map or null");
    if (rs && rp && same_but_theta(rs, rp) != 1)
        return hf_refuse(k, "rope_parameters", "differs from rope_scaling; which one applies "
                         "depends on the transformers version");
    const char *where = rp ? "rope_parameters" : "rope_scaling";
    json_t *p = json_object();
    if (!p)
        return gm_fail(k->err, GM_ENOMEM, "%s: no memory", k->path);
    if (rs)
        json_object_update(p, rs);
    if (rp)
        json_object_update_missing(p, rp);
    int rc = -1;
    const char *key;
    json_t *v;
    json_object_foreach(p, key, v) {
        if (json_is_object(v)) {
            hf_refuse(k, where, "holds a map under \"%.40s\": per-layer-type rope parameters "
                      "are not implemented", key);
            goto out;
        }
    }
    /* theta: rope_theta, or the map's; never a default (HF's differs by family) */
    double theta = 0, mtheta = 0;
    if (hf_real_opt(k, "rope_theta", &theta) || param_real(k, where, p, "rope_theta", &mtheta))
        goto out;
    if (theta > 0 && mtheta > 0 && theta != mtheta) {
        hf_refuse(k, "rope_theta", "is %g but %s.rope_theta is %g", theta, where, mtheta);
        goto out;
    }
    if (!(theta > 0) && !(mtheta > 0)) {
        /* HF's class default: 10000 for OLMoE in every version; for the others
         * it differs between families and versions, so it is not guessed */
        if (c->family != GM_FAMILY_OLMOE) {
            hf_refuse(k, "rope_theta", "is absent (nor in rope_parameters): the default "
                      "differs between transformers versions for %s, so it is not guessed",
                      c->model_type);
            goto out;
        }
        theta = 10000.0;
    }
    c->rope_theta = theta > 0 ? theta : mtheta;
    json_object_del(p, "rope_theta");
    json_t *t1 = json_object_get(p, "rope_type"), *t2 = json_object_get(p, "type");
    char full[96];
    snprintf(full, sizeof full, "%s.rope_type", where);
    if ((t1 && !json_is_string(t1)) || (t2 && !json_is_string(t2))) {
        hf_refuse(k, full, "must be a string");
        goto out;
    }
    if (t1 && t2 && strcmp(json_string_value(t1), json_string_value(t2)) != 0) {
        hf_refuse(k, full, "\"%.40s\" differs from type \"%.40s\"", json_string_value(t1),
                  json_string_value(t2));
        goto out;
    }
    const char *type = t1 ? json_string_value(t1) : t2 ? json_string_value(t2) : "default";
    json_object_del(p, "rope_type");
    json_object_del(p, "type");
    json_t *pp = json_object_get(p, "partial_rotary_factor");
    if (pp && !(json_is_number(pp) && json_number_value(pp) == 1.0)) {
        snprintf(full, sizeof full, "%s.partial_rotary_factor", where);
        hf_refuse(k, full, "must be 1.0 (partial rotary embeddings are not implemented)");
        goto out;
    }
    json_object_del(p, "partial_rotary_factor");
    c->rope = GM_ROPE_DEFAULT;
    c->rope_attn_factor = 1.0;
    if (strcmp(type, "default") == 0) {
        const char *extra = NULL;
        json_object_foreach(p, key, v) {
            extra = key;
            break;
        }
        if (extra) {
            snprintf(full, sizeof full, "%s.%.40s", where, extra);
            hf_refuse(k, full, "is not a setting of the default rope");
            goto out;
        }
        rc = 0;
    } else if (strcmp(type, "yarn") == 0) {
        rc = yarn_read(k, where, p, c);
    } else {
        hf_refuse(k, full, "\"%.40s\" is not implemented (supported: default, yarn)", type);
    }
out:
    json_decref(p);
    return rc;
}
