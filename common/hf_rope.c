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

double hf_yarn_mscale(double scale, double mscale)
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

/* partial_rotary_factor, absent or 1.0 (in k's object, top level or the map). */
static int full_rotary(const hf_keys *k)
{
    json_t *v = hf_get(k, "partial_rotary_factor");
    if (v && !(json_is_number(v) && json_number_value(v) == 1.0))
        return hf_refuse(k, "partial_rotary_factor", "must be 1.0 (partial rotary embeddings "
                         "are not implemented)");
    return 0;
}

/* YaRN's settings from the map m (its keys named with m's prefix in messages). */
static int yarn_read(const hf_keys *m, model_config *c)
{
    const char *key;
    json_t *v;
    json_object_foreach(m->root, key, v) {
        int known = 0;
        for (int i = 0; yarn_keys[i]; i++)
            known |= strcmp(key, yarn_keys[i]) == 0;
        if (!known)
            return hf_refuse(m, key, "is not a YaRN setting grokmon implements");
    }
    double mpe = (double)c->max_pos, omax = 0, factor = 0, att = 0;
    c->yarn_beta_fast = 32;
    c->yarn_beta_slow = 1;
    c->yarn_mscale = c->yarn_mscale_all_dim = 0;
    c->yarn_truncate = 1;
    if (hf_real_opt(m, "original_max_position_embeddings", &omax) ||
        hf_real_opt(m, "factor", &factor) || hf_real_opt(m, "beta_fast", &c->yarn_beta_fast) ||
        hf_real_opt(m, "beta_slow", &c->yarn_beta_slow) ||
        hf_real_opt(m, "mscale", &c->yarn_mscale) ||
        hf_real_opt(m, "mscale_all_dim", &c->yarn_mscale_all_dim) ||
        hf_real_opt(m, "attention_factor", &att) || hf_bool_opt(m, "truncate", &c->yarn_truncate))
        return -1;
    int had_omax = omax > 0;
    if (!had_omax) {
        if (!(mpe > 0))
            return hf_refuse(m, "original_max_position_embeddings", "is absent, and no "
                             "max_position_embeddings to take it from");
        omax = mpe;
    }
    if (factor == 0) {
        if (!(mpe > 0))
            return hf_refuse(m, "factor", "is absent, and no max_position_embeddings to take it "
                             "from");
        factor = mpe / omax;
    } else if (had_omax && mpe > 0 && fabs(factor - mpe / omax) > 1e-9 * factor) {
        /* transformers v4.5x takes the ratio as the factor, v5 takes `factor` */
        return hf_refuse(m, "factor", "is %g but max_position_embeddings / "
                         "original_max_position_embeddings is %g: transformers versions "
                         "disagree on which applies", factor, mpe / omax);
    }
    if (att == 0) {
        if (c->yarn_mscale > 0 && c->yarn_mscale_all_dim > 0)
            att = hf_yarn_mscale(factor, c->yarn_mscale) /
                  hf_yarn_mscale(factor, c->yarn_mscale_all_dim);
        else
            att = hf_yarn_mscale(factor, 1.0);
    }
    c->rope = GM_ROPE_YARN;
    c->yarn_factor = factor;
    c->yarn_omax = omax;
    c->rope_attn_factor = att;
    return 0;
}

/* The settings in the merged map m: theta, the type and its parameters. */
static int rope_map_read(const hf_keys *k, const hf_keys *m, const char *where, model_config *c)
{
    const char *key;
    json_t *v;
    json_object_foreach(m->root, key, v) {
        if (json_is_object(v))
            return hf_refuse(k, where, "holds a map under \"%.40s\": per-layer-type rope "
                             "parameters are not implemented", key);
    }
    /* theta: rope_theta, or the map's */
    double theta = 0, mtheta = 0;
    if (hf_real_opt(k, "rope_theta", &theta) || hf_real_opt(m, "rope_theta", &mtheta))
        return -1;
    if (theta > 0 && mtheta > 0 && theta != mtheta)
        return hf_refuse(k, "rope_theta", "is %g but %s.rope_theta is %g", theta, where, mtheta);
    if (!(theta > 0) && !(mtheta > 0)) {
        /* HF's class default: 10000 for OLMoE in every version; for the others
         * it differs between families and versions, so it is not guessed */
        if (c->family != GM_FAMILY_OLMOE)
            return hf_refuse(k, "rope_theta", "is absent (nor in rope_parameters): the default "
                             "differs between transformers versions for %s, so it is not "
                             "guessed", c->model_type);
        theta = 10000.0;
    }
    c->rope_theta = theta > 0 ? theta : mtheta;
    json_object_del(m->root, "rope_theta");
    json_t *t1 = json_object_get(m->root, "rope_type"), *t2 = json_object_get(m->root, "type");
    if ((t1 && !json_is_string(t1)) || (t2 && !json_is_string(t2)))
        return hf_refuse(m, "rope_type", "must be a string");
    if (t1 && t2 && strcmp(json_string_value(t1), json_string_value(t2)) != 0)
        return hf_refuse(m, "rope_type", "\"%.40s\" differs from type \"%.40s\"",
                         json_string_value(t1), json_string_value(t2));
    const char *type = t1 ? json_string_value(t1) : t2 ? json_string_value(t2) : "default";
    if (full_rotary(m))
        return -1;
    c->rope = GM_ROPE_DEFAULT;
    c->rope_attn_factor = 1.0;
    if (strcmp(type, "yarn") == 0) {
        json_object_del(m->root, "partial_rotary_factor");
        json_object_del(m->root, "type");
        json_object_del(m->root, "rope_type"); /* yarn_read refuses keys not its own */
        return yarn_read(m, c);
    }
    if (strcmp(type, "default") != 0)
        return hf_refuse(m, "rope_type", "\"%.40s\" is not implemented (supported: default, "
                         "yarn)", type);
    json_object_foreach(m->root, key, v) {
        if (strcmp(key, "rope_type") && strcmp(key, "type") && strcmp(key, "partial_rotary_factor"))
            return hf_refuse(m, key, "is not a setting of the default rope");
    }
    return 0;
}

int hf_rope_read(const hf_keys *k, model_config *c)
{
    if (full_rotary(k))
        return -1;
    json_t *rs = hf_get(k, "rope_scaling"), *rp = hf_get(k, "rope_parameters");
    if (rs && !json_is_object(rs))
        return hf_refuse(k, "rope_scaling", "must be a map or null");
    if (rp && !json_is_object(rp))
        return hf_refuse(k, "rope_parameters", "must be a map or null");
    if (rs && rp && same_but_theta(rs, rp) != 1)
        return hf_refuse(k, "rope_parameters", "differs from rope_scaling; which one applies "
                         "depends on the transformers version");
    /* one map of both (rope_scaling wins, as in HF v5), its keys named after the one given */
    const char *where = rp ? "rope_parameters" : "rope_scaling";
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%s.", where);
    hf_keys m = {k->path, json_object(), k->err, prefix};
    if (!m.root)
        return gm_fail(k->err, GM_ENOMEM, "%s: no memory", k->path);
    if (rs)
        json_object_update(m.root, rs);
    if (rp)
        json_object_update_missing(m.root, rp);
    int rc = rope_map_read(k, &m, where, c);
    json_decref(m.root);
    return rc;
}
