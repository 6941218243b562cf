/* json_in.c: JSON -> msgpack (dump's reading half). */
#include "json_in.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "schema.h"

/* msgpack-c's unpacker (MSGPACK_EMBED_STACK_SIZE) reads containers nested at
 * most this deep, the record's own map included: refuse to write deeper ones. */
#define MAX_DEPTH 32

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int pack_hex(msgpack_packer *pk, const char *hex, const char *key, gm_error *err)
{
    size_t n = strlen(hex);
    if (n % 2)
        return gm_fail(err, GM_EDATA, "field \"%s\": $hex has an odd number of digits", key);
    msgpack_pack_bin(pk, n / 2);
    for (size_t i = 0; i < n; i += 2) {
        int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
        if (hi < 0 || lo < 0)
            return gm_fail(err, GM_EDATA, "field \"%s\": $hex holds a non-hex digit", key);
        char b = (char)(hi << 4 | lo);
        msgpack_pack_bin_body(pk, &b, 1);
    }
    return 0;
}

static int element_value(json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    const char *s = json_string_value(v);
    if (!s)
        return -1;
    if (strcmp(s, "NaN") == 0) *out = NAN;
    else if (strcmp(s, "Infinity") == 0) *out = INFINITY;
    else if (strcmp(s, "-Infinity") == 0) *out = -INFINITY;
    else return -1;
    return 0;
}

static int pack_vector(msgpack_packer *pk, json_t *arr, schema_elem e, const char *key, gm_error *err)
{
    size_t n = json_array_size(arr), size = schema_elem_size(e);
    msgpack_pack_bin(pk, n * size);
    for (size_t i = 0; i < n; i++) {
        double v;
        if (element_value(json_array_get(arr, i), &v) < 0)
            return gm_fail(err, GM_EDATA, "field \"%s\": element %zu is not a number", key, i);
        unsigned char b[8];
        if (e == SCHEMA_F32) {
            float f = (float)v;
            memcpy(b, &f, 4);
        } else if (e == SCHEMA_F64) {
            memcpy(b, &v, 8);
        } else {
            double max = e == SCHEMA_U16 ? 65535.0 : 4294967295.0;
            if (!(v >= 0 && v <= max && v == floor(v)))
                return gm_fail(err, GM_EDATA, "field \"%s\": element %zu (%g) is not a %s", key, i, v,
                               e == SCHEMA_U16 ? "u16" : "u32");
            if (e == SCHEMA_U16) {
                uint16_t u = (uint16_t)v;
                memcpy(b, &u, 2);
            } else {
                uint32_t u = (uint32_t)v;
                memcpy(b, &u, 4);
            }
        }
        msgpack_pack_bin_body(pk, b, size);
    }
    return 0;
}

static int pack_value(msgpack_packer *pk, json_t *v, const char *rtype, const char *key, int depth,
                      gm_error *err);

/* depth: containers enclosing obj, obj included */
static int pack_map(msgpack_packer *pk, json_t *obj, const char *rtype, int depth, gm_error *err)
{
    json_t *t = json_object_get(obj, "type");
    if (json_is_string(t))
        rtype = json_string_value(t);
    msgpack_pack_map(pk, json_object_size(obj));
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v) {
        pack_str(pk, k);
        if (pack_value(pk, v, rtype, k, depth, err) < 0)
            return -1;
    }
    return 0;
}

static int pack_value(msgpack_packer *pk, json_t *v, const char *rtype, const char *key, int depth,
                      gm_error *err)
{
    if ((json_is_array(v) || json_is_object(v)) && depth + 1 > MAX_DEPTH)
        return gm_fail(err, GM_EDATA, "record nested deeper than %d levels (record streams are "
                       "read with msgpack-c, which stops there)", MAX_DEPTH);
    switch (json_typeof(v)) {
    case JSON_NULL: return msgpack_pack_nil(pk), 0;
    case JSON_TRUE: return msgpack_pack_true(pk), 0;
    case JSON_FALSE: return msgpack_pack_false(pk), 0;
    case JSON_INTEGER: return msgpack_pack_int64(pk, json_integer_value(v)), 0;
    case JSON_REAL: return msgpack_pack_double(pk, json_real_value(v)), 0;
    case JSON_STRING: {
        msgpack_pack_str(pk, json_string_length(v));
        msgpack_pack_str_body(pk, json_string_value(v), json_string_length(v));
        return 0;
    }
    case JSON_ARRAY: {
        schema_elem e = key ? schema_vector_type(rtype, key) : SCHEMA_NOT_VECTOR;
        if (e != SCHEMA_NOT_VECTOR)
            return pack_vector(pk, v, e, key, err);
        msgpack_pack_array(pk, json_array_size(v));
        for (size_t i = 0; i < json_array_size(v); i++)
            if (pack_value(pk, json_array_get(v, i), rtype, NULL, depth + 1, err) < 0)
                return -1;
        return 0;
    }
    case JSON_OBJECT: {
        json_t *hex = json_object_get(v, "$hex");
        if (json_object_size(v) == 1 && json_is_string(hex))
            return pack_hex(pk, json_string_value(hex), key ? key : "?", err);
        return pack_map(pk, v, rtype, depth + 1, err);
    }
    }
    return gm_fail(err, GM_EDATA, "unsupported JSON value");
}

int json_in_record(msgpack_packer *pk, json_t *obj, gm_error *err)
{
    if (!json_is_object(obj))
        return gm_fail(err, GM_EDATA, "a record must be a JSON object");
    if (!json_is_string(json_object_get(obj, "type")))
        return gm_fail(err, GM_EDATA, "record has no \"type\" string");
    return pack_map(pk, obj, "", 1, err);
}
