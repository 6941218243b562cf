/* json_out.c: msgpack record -> JSON text (dump's printing half), written so
 * that json_in.c reads every record the stages write back to the same bytes:
 * reals always look like reals, non-finite ones and bin/ext are tagged, and
 * bytes that are not UTF-8 are escaped (docs/records.md "JSON Lines"). Non-string
 * map keys and the --brief cut are for reading only and do not go back. */
#include "json_out.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

/* The length of the well-formed UTF-8 sequence at p[0..n), or 0 if there
 * is none (stray continuation byte, overlong form, surrogate, above U+10FFFF,
 * cut short). */
static size_t utf8_sequence(const unsigned char *p, size_t n)
{
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* the allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if (c == 0xED) len = 3, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) len = 3;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) len = 4, hi = 0x8F;
    else return 0;
    if (n < len || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return len;
}

/* A msgpack string as a JSON string. Bytes that are not part of well-formed
 * UTF-8 print as the lone surrogates \udc80..\udcff (PEP 383's
 * surrogateescape: byte 0xXX is U+DCXX), which --from-json turns back into
 * the same bytes; well-formed UTF-8 never encodes a surrogate, so nothing
 * else prints that way. */
static void put_string(textbuf *s, const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    textbuf_put(s, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        size_t len = utf8_sequence(u + i, n - i);
        if (len == 0) {
            textbuf_printf(s, "\\u%04x", 0xDC00u + c);
            i++;
            continue;
        }
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            textbuf_put(s, esc, 2);
        } else if (c < 0x20) {
            textbuf_printf(s, "\\u%04x", c);
        } else {
            textbuf_put(s, p + i, len);
        }
        i += len;
    }
    textbuf_put(s, "\"", 1);
}

/* A finite real always prints as a JSON real ("2.0", not "2"), so that
 * --from-json packs it as a float again; shortest form that reads back to
 * the same value is not sought (digits: 9 for f32, 17 for f64). */
static void put_finite(textbuf *s, double v, int digits)
{
    char tmp[40];
    int n = snprintf(tmp, sizeof tmp, "%.*g", digits, v);
    textbuf_put(s, tmp, (size_t)n);
    if (!strpbrk(tmp, ".e"))
        textbuf_put(s, ".0", 2);
}

/* A vector element: non-finite values are not JSON numbers, so they print
 * as the strings "NaN", "Infinity", "-Infinity" (the schema says the field
 * holds reals, so --from-json knows what they mean). */
static void put_real(textbuf *s, double v, int digits)
{
    if (isnan(v))
        textbuf_put(s, "\"NaN\"", 5);
    else if (isinf(v))
        textbuf_put(s, v > 0 ? "\"Infinity\"" : "\"-Infinity\"", v > 0 ? 10 : 11);
    else
        put_finite(s, v, digits);
}

/* A scalar real outside a vector: a non-finite one prints tagged,
 * {"$float":"NaN"}, since a bare "NaN" would read back as a string. */
static void put_scalar_real(textbuf *s, double v, int digits)
{
    if (isfinite(v)) {
        put_finite(s, v, digits);
    } else {
        textbuf_put(s, "{\"$float\":", 10);
        put_real(s, v, digits);
        textbuf_put(s, "}", 1);
    }
}

static void put_vector(textbuf *s, const char *bytes, size_t size, schema_elem e, size_t brief)
{
    size_t n = size / schema_elem_size(e), shown = brief && brief < n ? brief : n;
    textbuf_put(s, "[", 1);
    for (size_t i = 0; i < shown; i++) {
        if (i)
            textbuf_put(s, ",", 1);
        const char *p = bytes + i * schema_elem_size(e);
        switch (e) {
        case SCHEMA_F32: {
            float v;
            memcpy(&v, p, 4);
            put_real(s, v, 9);
            break;
        }
        case SCHEMA_F64: {
            double v;
            memcpy(&v, p, 8);
            put_real(s, v, 17);
            break;
        }
        case SCHEMA_U16: {
            uint16_t v;
            memcpy(&v, p, 2);
            textbuf_printf(s, "%u", v);
            break;
        }
        case SCHEMA_U32: {
            uint32_t v;
            memcpy(&v, p, 4);
            textbuf_printf(s, "%u", v);
            break;
        }
        default:
            break;
        }
    }
    if (shown < n)
        textbuf_printf(s, "%s\"... %zu more\"", shown ? "," : "", n - shown);
    textbuf_put(s, "]", 1);
}

static void put_object(textbuf *s, const msgpack_object *o, const char *rtype, const char *key,
                       size_t brief)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: textbuf_put(s, "null", 4); break;
    case MSGPACK_OBJECT_BOOLEAN: textbuf_put(s, o->via.boolean ? "true" : "false", o->via.boolean ? 4 : 5); break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER: textbuf_printf(s, "%llu", (unsigned long long)o->via.u64); break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: textbuf_printf(s, "%lld", (long long)o->via.i64); break;
    case MSGPACK_OBJECT_FLOAT32: put_scalar_real(s, o->via.f64, 9); break;
    case MSGPACK_OBJECT_FLOAT64: put_scalar_real(s, o->via.f64, 17); break;
    case MSGPACK_OBJECT_STR: put_string(s, o->via.str.ptr, o->via.str.size); break;
    case MSGPACK_OBJECT_BIN: {
        schema_elem e = key ? schema_vector_type(rtype, key) : SCHEMA_NOT_VECTOR;
        if (e != SCHEMA_NOT_VECTOR && o->via.bin.size % schema_elem_size(e) == 0) {
            put_vector(s, o->via.bin.ptr, o->via.bin.size, e, brief);
        } else {
            textbuf_put(s, "{\"$hex\":\"", 9);
            for (uint32_t i = 0; i < o->via.bin.size; i++)
                textbuf_printf(s, "%02x", (unsigned char)o->via.bin.ptr[i]);
            textbuf_put(s, "\"}", 2);
        }
        break;
    }
    case MSGPACK_OBJECT_EXT:
        textbuf_printf(s, "{\"$ext\":%d,\"$hex\":\"", o->via.ext.type);
        for (uint32_t i = 0; i < o->via.ext.size; i++)
            textbuf_printf(s, "%02x", (unsigned char)o->via.ext.ptr[i]);
        textbuf_put(s, "\"}", 2);
        break;
    case MSGPACK_OBJECT_ARRAY:
        textbuf_put(s, "[", 1);
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            if (i)
                textbuf_put(s, ",", 1);
            put_object(s, &o->via.array.ptr[i], rtype, NULL, brief);
        }
        textbuf_put(s, "]", 1);
        break;
    case MSGPACK_OBJECT_MAP: {
        /* a nested map with its own "type" (a header's inputs) names its own vectors */
        const char *inner = rtype;
        char tbuf[64];
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key, *v = &o->via.map.ptr[i].val;
            if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 4 && !memcmp(k->via.str.ptr, "type", 4) &&
                v->type == MSGPACK_OBJECT_STR) {
                /* a type too long for tbuf names no schema type: "" says so too */
                size_t n = v->via.str.size < sizeof tbuf ? v->via.str.size : 0;
                if (n) /* msgpack-c gives "" a NULL ptr */
                    memcpy(tbuf, v->via.str.ptr, n);
                tbuf[n] = 0;
                inner = tbuf;
            }
        }
        textbuf_put(s, "{", 1);
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            if (i)
                textbuf_put(s, ",", 1);
            char kbuf[128] = "";
            if (k->type == MSGPACK_OBJECT_STR) {
                put_string(s, k->via.str.ptr, k->via.str.size);
                /* a key too long for kbuf, or holding NUL, names no schema field */
                size_t n = k->via.str.size;
                if (n && n < sizeof kbuf && !memchr(k->via.str.ptr, 0, n)) {
                    memcpy(kbuf, k->via.str.ptr, n);
                    kbuf[n] = 0;
                }
            } else if (k->type == MSGPACK_OBJECT_ARRAY || k->type == MSGPACK_OBJECT_MAP) {
                /* a container key is not rendered: escaping nested keys once per level
                 * grows the text as 2^depth (a 1.5 KB stream printed gigabytes) */
                put_string(s, k->type == MSGPACK_OBJECT_MAP ? "$map-key" : "$array-key",
                           k->type == MSGPACK_OBJECT_MAP ? 8 : 10);
            } else { /* JSON keys are strings: render a scalar key as its JSON text */
                textbuf ks = {0};
                put_object(&ks, k, inner, NULL, brief);
                if (ks.oom)
                    s->oom = 1;
                put_string(s, ks.p ? ks.p : "", ks.len);
                textbuf_free(&ks);
            }
            textbuf_put(s, ":", 1);
            put_object(s, &o->via.map.ptr[i].val, inner, kbuf[0] ? kbuf : NULL, brief);
        }
        textbuf_put(s, "}", 1);
        break;
    }
    }
}

void json_out_record(textbuf *s, const msgpack_object *rec, size_t brief)
{
    put_object(s, rec, "", NULL, brief);
    textbuf_put(s, "\n", 1);
}
