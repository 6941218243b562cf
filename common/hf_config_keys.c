/* hf_config_keys.c: typed reads of config.json keys with one-line errors
 * (hf_config_keys.h). */
#include "hf_config_keys.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

json_t *hf_get(const hf_keys *k, const char *key)
{
    json_t *v = json_object_get(k->root, key);
    return v && !json_is_null(v) ? v : NULL;
}

int hf_refuse(const hf_keys *k, const char *key, const char *fmt, ...)
{
    char what[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return gm_fail(k->err, GM_EDATA, "%s: key \"%s%s\" %s", k->path, k->prefix ? k->prefix : "",
                   key, what);
}

static int int_in(const hf_keys *k, const char *key, json_t *v, int64_t min, int64_t *out)
{
    if (!json_is_integer(v))
        return hf_refuse(k, key, "must be %s integer", min > 0 ? "a positive" : "an");
    json_int_t n = json_integer_value(v);
    if (n < min)
        return hf_refuse(k, key, "is %lld, must be %s integer", (long long)n,
                         min > 0 ? "a positive" : "a non-negative");
    if (n > HF_DIM_MAX)
        return hf_refuse(k, key, "is %lld, larger than the supported %lld", (long long)n,
                         (long long)HF_DIM_MAX);
    *out = n;
    return 0;
}

int hf_dim(const hf_keys *k, const char *key, int64_t *out)
{
    json_t *v = hf_get(k, key);
    if (!v)
        return gm_fail(k->err, GM_EDATA, "%s: missing key \"%s%s\"", k->path,
                       k->prefix ? k->prefix : "", key);
    return int_in(k, key, v, 1, out);
}

int hf_int_opt(const hf_keys *k, const char *key, int64_t min, int64_t *out)
{
    json_t *v = hf_get(k, key);
    return v ? int_in(k, key, v, min, out) : 0;
}

int hf_real_opt(const hf_keys *k, const char *key, double *out)
{
    json_t *v = hf_get(k, key);
    if (!v)
        return 0;
    if (!json_is_number(v) || !(json_number_value(v) > 0) || !isfinite(json_number_value(v)))
        return hf_refuse(k, key, "must be a positive number");
    *out = json_number_value(v);
    return 0;
}

int hf_bool_opt(const hf_keys *k, const char *key, int *out)
{
    json_t *v = hf_get(k, key);
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return hf_refuse(k, key, "must be true or false");
    *out = json_is_true(v);
    return 0;
}

int hf_str_opt(const hf_keys *k, const char *key, const char **out)
{
    json_t *v = hf_get(k, key);
    if (!v)
        return 0;
    if (!json_is_string(v))
        return hf_refuse(k, key, "must be a string");
    *out = json_string_value(v);
    return 0;
}
