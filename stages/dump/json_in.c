/* json_in.c: JSON -> msgpack (dump's reading half): the inverse of
 * json_out.c, so that `dump | dump --from-json` gives back the same bytes.
 * Vector fields (schema.h) must be arrays of numbers of their element type;
 * nothing is guessed or clamped. Jansson refuses lone surrogates and NUL in
 * keys, so json_in_parse first marks them (see mark_text) and every string
 * is unmarked as it is packed. The scheme is docs/records.md "JSON Lines". */
#include "json_in.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"
#include "schema.h"

/* msgpack-c's unpacker (MSGPACK_EMBED_STACK_SIZE) reads containers nested at
 * most this deep, the record's own map included: refuse to write deeper ones. */
#define MAX_DEPTH 32

/* U+10FFFF (a noncharacter) in UTF-8, then two ASCII characters: a byte as
 * two hex digits (00, or 80..ff from \udc80..\udcff), or "--" for U+10FFFF
 * itself. Jansson only ever sees valid text; unmark undoes it. */
static const char MARK[4] = {'\xF4', '\x8F', '\xBF', '\xBF'};

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The 4 hex digits at p as a number, or -1. */
static long hex4(const char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hex_value(p[i]);
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

static size_t put_mark(char *out, const char *two)
{
    memcpy(out, MARK, 4);
    out[4] = two[0];
    out[5] = two[1];
    return 6;
}

/* Copy text[0..n) to out (room for 3 n / 2 + 1), marking, inside strings,
 * \u0000, \udc80..\udcff not preceded by a high surrogate, and U+10FFFF
 * (raw or as the pair \udbff\udfff). Everything else is copied as is, so
 * jansson still reports any real syntax error. Returns the length. */
static size_t mark_text(const char *text, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    int in_string = 0;
    for (size_t i = 0; i < n;) {
        char c = text[i];
        if (!in_string || c == '"') {
            in_string ^= c == '"';
            out[o++] = text[i++];
            continue;
        }
        if (c == '\\' && i + 6 <= n && text[i + 1] == 'u' && hex4(text + i + 2) >= 0) {
            long cp = hex4(text + i + 2);
            long lo = i + 12 <= n && text[i + 6] == '\\' && text[i + 7] == 'u' ? hex4(text + i + 8) : -1;
            if (cp >= 0xD800 && cp <= 0xDBFF && lo >= 0xDC00 && lo <= 0xDFFF) { /* a pair */
                if (cp == 0xDBFF && lo == 0xDFFF) {
                    o += put_mark(out + o, "--");
                } else {
                    memcpy(out + o, text + i, 12);
                    o += 12;
                }
                i += 12;
            } else if (cp == 0 || (cp >= 0xDC80 && cp <= 0xDCFF)) {
                char two[2] = {hex[(cp >> 4) & 15], hex[cp & 15]};
                o += put_mark(out + o, two);
                i += 6;
            } else {
                memcpy(out + o, text + i, 6);
                o += 6;
                i += 6;
            }
        } else if (c == '\\') { /* another escape: the backslash and what it escapes */
            out[o++] = text[i++];
            if (i < n)
                out[o++] = text[i++];
        } else if (i + 4 <= n && memcmp(text + i, MARK, 4) == 0) {
            o += put_mark(out + o, "--");
            i += 4;
        } else {
            out[o++] = text[i++];
        }
    }
    out[o] = 0;
    return o;
}

json_t *json_in_parse(const char *text, size_t n, json_error_t *jerr, gm_error *err)
{
    char *marked = malloc(n + n / 2 + 1);
    if (!marked) {
        gm_fail(err, GM_ENOMEM, "out of memory reading a JSON line");
        return NULL;
    }
    size_t len = mark_text(text, n, marked);
    json_t *obj = json_loadb(marked, len, JSON_REJECT_DUPLICATES, jerr);
    free(marked);
    if (!obj)
        gm_fail(err, GM_EDATA, "invalid JSON: %s", jerr->text);
    return obj;
}

/* The bytes a marked string stands for, in a malloc'd copy (NUL-terminated;
 * *len excludes it); NULL when out of memory. */
static char *unmark(const char *s, size_t n, size_t *len)
{
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (i + 6 <= n && memcmp(s + i, MARK, 4) == 0) {
            int hi = hex_value(s[i + 4]), lo = hex_value(s[i + 5]);
            if (s[i + 4] == '-' && s[i + 5] == '-') {
                memcpy(out + o, MARK, 4);
                o += 4;
                i += 6;
                continue;
            }
            if (hi >= 0 && lo >= 0) {
                out[o++] = (char)(hi << 4 | lo);
                i += 6;
                continue;
            }
        }
        out[o++] = s[i++];
    }
    out[o] = 0;
    *len = o;
    return out;
}

static int pack_bytes_str(msgpack_packer *pk, const char *s, size_t n, gm_error *err)
{
    size_t len;
    char *b = unmark(s, n, &len);
    if (!b)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    msgpack_pack_str(pk, len);
    msgpack_pack_str_body(pk, b, len);
    free(b);
    return 0;
}

static int pack_hex(msgpack_packer *pk, const char *hex, const char *key, gm_error *err)
{
    size_t n = strlen(hex);
    if (n % 2)
        return gm_fail(err, GM_EDATA, "field \"%s\": $hex has an odd number of digits", key);
    for (size_t i = 0; i < n; i++)
        if (hex_value(hex[i]) < 0)
            return gm_fail(err, GM_EDATA, "field \"%s\": $hex holds a non-hex digit", key);
    msgpack_pack_bin(pk, n / 2);
    for (size_t i = 0; i < n; i += 2) {
        char b = (char)(hex_value(hex[i]) << 4 | hex_value(hex[i + 1]));
        msgpack_pack_bin_body(pk, &b, 1);
    }
    return 0;
}

/* "NaN", "Infinity", "-Infinity" as a double: 0, or -1 for any other string. */
static int nonfinite_value(const char *s, double *out)
{
    if (strcmp(s, "NaN") == 0) *out = NAN;
    else if (strcmp(s, "Infinity") == 0) *out = INFINITY;
    else if (strcmp(s, "-Infinity") == 0) *out = -INFINITY;
    else return -1;
    return 0;
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

/* One element of a vector field: a real vector takes any number or
 * "NaN"/"Infinity"/"-Infinity" (an f32 one, only values f32 can hold); an
 * integer vector takes integers in the element type's range. */
static int pack_element(json_t *v, schema_elem e, const char *key, size_t i, unsigned char *b,
                        gm_error *err)
{
    const char *name = schema_elem_name(e);
    if (e == SCHEMA_U16 || e == SCHEMA_U32) {
        json_int_t max = e == SCHEMA_U16 ? 65535 : 4294967295LL;
        if (!json_is_integer(v))
            return gm_fail(err, GM_EDATA, "field \"%s\": element %zu is %s, not a %s", key, i,
                           json_kind(v), name);
        json_int_t x = json_integer_value(v);
        if (x < 0 || x > max)
            return gm_fail(err, GM_EDATA, "field \"%s\": element %zu (%lld) is out of %s range",
                           key, i, (long long)x, name);
        if (e == SCHEMA_U16) {
            uint16_t u = (uint16_t)x;
            memcpy(b, &u, 2);
        } else {
            uint32_t u = (uint32_t)x;
            memcpy(b, &u, 4);
        }
        return 0;
    }
    double x;
    if (json_is_number(v))
        x = json_number_value(v);
    else if (!json_is_string(v) || nonfinite_value(json_string_value(v), &x) < 0)
        return gm_fail(err, GM_EDATA, "field \"%s\": element %zu is %s, not a number (%s)", key, i,
                       json_kind(v), name);
    if (e == SCHEMA_F32) {
        float f = (float)x;
        if (isfinite(x) && !isfinite(f))
            return gm_fail(err, GM_EDATA, "field \"%s\": element %zu (%g) is out of f32 range", key,
                           i, x);
        memcpy(b, &f, 4);
    } else {
        memcpy(b, &x, 8);
    }
    return 0;
}

/* A vector field: an array of its element type; nil where the schema allows
 * it; or {"$hex": ...}, the raw bytes dump prints for a bin whose length is
 * not a whole number of elements. Anything else is an error naming the field. */
static int pack_vector(msgpack_packer *pk, json_t *v, const char *rtype, const char *key,
                       schema_elem e, gm_error *err)
{
    if (json_is_null(v) && schema_vector_nullable(rtype, key))
        return msgpack_pack_nil(pk), 0;
    json_t *hex = json_object_get(v, "$hex");
    if (json_is_object(v) && json_object_size(v) == 1 && json_is_string(hex))
        return pack_hex(pk, json_string_value(hex), key, err);
    if (!json_is_array(v))
        return gm_fail(err, GM_EDATA, "field \"%s\" of a %s record must be an array of %s, not %s",
                       key, rtype, schema_elem_name(e), json_kind(v));
    size_t n = json_array_size(v), size = schema_elem_size(e);
    unsigned char *bytes = malloc(n * size + 1);
    if (!bytes)
        return gm_fail(err, GM_ENOMEM, "out of memory for field \"%s\"", key);
    for (size_t i = 0; i < n; i++)
        if (pack_element(json_array_get(v, i), e, key, i, bytes + i * size, err) < 0) {
            free(bytes);
            return -1;
        }
    msgpack_pack_bin(pk, n * size);
    msgpack_pack_bin_body(pk, bytes, n * size);
    free(bytes);
    return 0;
}

/* The tagged objects json_out writes: {"$hex"} (bin), {"$ext", "$hex"}
 * (ext), {"$float"} (a non-finite real). 1 packed, 0 not one of them, -1. */
static int pack_tagged(msgpack_packer *pk, json_t *v, const char *key, gm_error *err)
{
    json_t *hex = json_object_get(v, "$hex"), *ext = json_object_get(v, "$ext");
    json_t *fl = json_object_get(v, "$float");
    size_t n = json_object_size(v);
    if (n == 1 && json_is_string(hex))
        return pack_hex(pk, json_string_value(hex), key, err) < 0 ? -1 : 1;
    if (n == 2 && json_is_string(hex) && json_is_integer(ext)) {
        json_int_t type = json_integer_value(ext);
        const char *h = json_string_value(hex);
        size_t len = strlen(h);
        if (type < -128 || type > 127)
            return gm_fail(err, GM_EDATA, "field \"%s\": $ext type %lld is not in [-128, 127]", key,
                           (long long)type);
        if (len % 2)
            return gm_fail(err, GM_EDATA, "field \"%s\": $hex has an odd number of digits", key);
        char *b = malloc(len / 2 + 1);
        if (!b)
            return gm_fail(err, GM_ENOMEM, "out of memory");
        for (size_t i = 0; i < len; i += 2) {
            int hi = hex_value(h[i]), lo = hex_value(h[i + 1]);
            if (hi < 0 || lo < 0) {
                free(b);
                return gm_fail(err, GM_EDATA, "field \"%s\": $hex holds a non-hex digit", key);
            }
            b[i / 2] = (char)(hi << 4 | lo);
        }
        msgpack_pack_ext(pk, len / 2, (int8_t)type);
        msgpack_pack_ext_body(pk, b, len / 2);
        free(b);
        return 1;
    }
    double x;
    if (n == 1 && json_is_string(fl)) {
        if (nonfinite_value(json_string_value(fl), &x) < 0)
            return gm_fail(err, GM_EDATA, "field \"%s\": $float must be \"NaN\", \"Infinity\" or "
                           "\"-Infinity\"", key);
        msgpack_pack_double(pk, x);
        return 1;
    }
    return 0;
}

static int pack_value(msgpack_packer *pk, json_t *v, const char *rtype, const char *key, int depth,
                      gm_error *err);

/* depth: containers enclosing obj, obj included */
static int pack_map(msgpack_packer *pk, json_t *obj, const char *rtype, int depth, gm_error *err)
{
    char *own_type = NULL; /* a map with its own "type" (a header's inputs) names its vectors */
    json_t *t = json_object_get(obj, "type");
    if (json_is_string(t)) {
        size_t len;
        if (!(own_type = unmark(json_string_value(t), json_string_length(t), &len)))
            return gm_fail(err, GM_ENOMEM, "out of memory");
        rtype = own_type;
    }
    msgpack_pack_map(pk, json_object_size(obj));
    const char *k;
    size_t klen;
    json_t *v;
    int rc = 0;
    json_object_keylen_foreach(obj, k, klen, v) {
        size_t len;
        char *key = unmark(k, klen, &len);
        if (!key) {
            rc = gm_fail(err, GM_ENOMEM, "out of memory");
            break;
        }
        msgpack_pack_str(pk, len);
        msgpack_pack_str_body(pk, key, len);
        /* a key holding NUL names no schema field */
        rc = pack_value(pk, v, rtype, strlen(key) == len ? key : NULL, depth, err);
        free(key);
        if (rc < 0)
            break;
    }
    free(own_type);
    return rc;
}

static int pack_value(msgpack_packer *pk, json_t *v, const char *rtype, const char *key, int depth,
                      gm_error *err)
{
    if ((json_is_array(v) || json_is_object(v)) && depth + 1 > MAX_DEPTH)
        return gm_fail(err, GM_EDATA, "record nested deeper than %d levels (record streams are "
                       "read with msgpack-c, which stops there)", MAX_DEPTH);
    schema_elem e = key ? schema_vector_type(rtype, key) : SCHEMA_NOT_VECTOR;
    if (e != SCHEMA_NOT_VECTOR)
        return pack_vector(pk, v, rtype, key, e, err);
    switch (json_typeof(v)) {
    case JSON_NULL: return msgpack_pack_nil(pk), 0;
    case JSON_TRUE: return msgpack_pack_true(pk), 0;
    case JSON_FALSE: return msgpack_pack_false(pk), 0;
    case JSON_INTEGER: return msgpack_pack_int64(pk, json_integer_value(v)), 0;
    case JSON_REAL: return msgpack_pack_double(pk, json_real_value(v)), 0;
    case JSON_STRING: return pack_bytes_str(pk, json_string_value(v), json_string_length(v), err);
    case JSON_ARRAY:
        msgpack_pack_array(pk, json_array_size(v));
        for (size_t i = 0; i < json_array_size(v); i++)
            if (pack_value(pk, json_array_get(v, i), rtype, NULL, depth + 1, err) < 0)
                return -1;
        return 0;
    case JSON_OBJECT: {
        int tagged = pack_tagged(pk, v, key ? key : "?", err);
        if (tagged)
            return tagged < 0 ? -1 : 0;
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
