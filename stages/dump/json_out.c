/* json_out.c: msgpack record -> JSON text (dump's printing half). */
#include "json_out.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

static void put(strbuf *s, const char *p, size_t n)
{
    if (s->oom)
        return;
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + n + 1)
            cap *= 2;
        char *grown = realloc(s->data, cap);
        if (!grown) {
            s->oom = 1;
            return;
        }
        s->data = grown;
        s->cap = cap;
    }
    memcpy(s->data + s->len, p, n);
    s->len += n;
    s->data[s->len] = 0;
}

static void putf(strbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(strbuf *s, const char *fmt, ...)
{
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    put(s, tmp, (size_t)n);
}

void strbuf_free(strbuf *s)
{
    free(s->data);
    memset(s, 0, sizeof *s);
}

static void put_string(strbuf *s, const char *p, size_t n)
{
    put(s, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            put(s, esc, 2);
        } else if (c < 0x20) {
            putf(s, "\\u%04x", c);
        } else {
            put(s, (const char *)&c, 1);
        }
    }
    put(s, "\"", 1);
}

/* Non-finite reals are not JSON numbers: print them as strings. */
static void put_real(strbuf *s, double v, int digits)
{
    if (isnan(v))
        put(s, "\"NaN\"", 5);
    else if (isinf(v))
        put(s, v > 0 ? "\"Infinity\"" : "\"-Infinity\"", v > 0 ? 10 : 11);
    else
        putf(s, "%.*g", digits, v);
}

static void put_vector(strbuf *s, const char *bytes, size_t size, schema_elem e, size_t brief)
{
    size_t n = size / schema_elem_size(e), shown = brief && brief < n ? brief : n;
    put(s, "[", 1);
    for (size_t i = 0; i < shown; i++) {
        if (i)
            put(s, ",", 1);
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
            putf(s, "%u", v);
            break;
        }
        case SCHEMA_U32: {
            uint32_t v;
            memcpy(&v, p, 4);
            putf(s, "%u", v);
            break;
        }
        default:
            break;
        }
    }
    if (shown < n)
        putf(s, "%s\"... %zu more\"", shown ? "," : "", n - shown);
    put(s, "]", 1);
}

static void put_object(strbuf *s, const msgpack_object *o, const char *rtype, const char *key,
                       size_t brief)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: put(s, "null", 4); break;
    case MSGPACK_OBJECT_BOOLEAN: put(s, o->via.boolean ? "true" : "false", o->via.boolean ? 4 : 5); break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER: putf(s, "%llu", (unsigned long long)o->via.u64); break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: putf(s, "%lld", (long long)o->via.i64); break;
    case MSGPACK_OBJECT_FLOAT32: put_real(s, o->via.f64, 9); break;
    case MSGPACK_OBJECT_FLOAT64: put_real(s, o->via.f64, 17); break;
    case MSGPACK_OBJECT_STR: put_string(s, o->via.str.ptr, o->via.str.size); break;
    case MSGPACK_OBJECT_BIN: {
        schema_elem e = key ? schema_vector_type(rtype, key) : SCHEMA_NOT_VECTOR;
        if (e != SCHEMA_NOT_VECTOR && o->via.bin.size % schema_elem_size(e) == 0) {
            put_vector(s, o->via.bin.ptr, o->via.bin.size, e, brief);
        } else {
            put(s, "{\"$hex\":\"", 9);
            for (uint32_t i = 0; i < o->via.bin.size; i++)
                putf(s, "%02x", (unsigned char)o->via.bin.ptr[i]);
            put(s, "\"}", 2);
        }
        break;
    }
    case MSGPACK_OBJECT_EXT:
        putf(s, "{\"$ext\":%d,\"$hex\":\"", o->via.ext.type);
        for (uint32_t i = 0; i < o->via.ext.size; i++)
            putf(s, "%02x", (unsigned char)o->via.ext.ptr[i]);
        put(s, "\"}", 2);
        break;
    case MSGPACK_OBJECT_ARRAY:
        put(s, "[", 1);
        for (uint32_t i = 0; i < o->via.array.size; i++) {
            if (i)
                put(s, ",", 1);
            put_object(s, &o->via.array.ptr[i], rtype, NULL, brief);
        }
        put(s, "]", 1);
        break;
    case MSGPACK_OBJECT_MAP: {
        /* a nested map with its own "type" (a header's inputs) names its own vectors */
        const char *inner = rtype;
        char tbuf[64];
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key, *v = &o->via.map.ptr[i].val;
            if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 4 && !memcmp(k->via.str.ptr, "type", 4) &&
                v->type == MSGPACK_OBJECT_STR && v->via.str.size < sizeof tbuf) {
                if (v->via.str.size) /* msgpack-c gives "" a NULL ptr */
                    memcpy(tbuf, v->via.str.ptr, v->via.str.size);
                tbuf[v->via.str.size] = 0;
                inner = tbuf;
            }
        }
        put(s, "{", 1);
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object *k = &o->via.map.ptr[i].key;
            if (i)
                put(s, ",", 1);
            char kbuf[128] = "";
            if (k->type == MSGPACK_OBJECT_STR) {
                put_string(s, k->via.str.ptr, k->via.str.size);
                size_t n = k->via.str.size < sizeof kbuf - 1 ? k->via.str.size : sizeof kbuf - 1;
                if (n) /* msgpack-c gives "" a NULL ptr */
                    memcpy(kbuf, k->via.str.ptr, n);
                kbuf[n] = 0;
            } else if (k->type == MSGPACK_OBJECT_ARRAY || k->type == MSGPACK_OBJECT_MAP) {
                /* a container key is not rendered: escaping nested keys once per level
                 * grows the text as 2^depth (a 1.5 KB stream printed gigabytes) */
                put_string(s, k->type == MSGPACK_OBJECT_MAP ? "$map-key" : "$array-key",
                           k->type == MSGPACK_OBJECT_MAP ? 8 : 10);
            } else { /* JSON keys are strings: render a scalar key as its JSON text */
                strbuf ks = {0};
                put_object(&ks, k, inner, NULL, brief);
                put_string(s, ks.data ? ks.data : "", ks.len);
                strbuf_free(&ks);
            }
            put(s, ":", 1);
            put_object(s, &o->via.map.ptr[i].val, inner, kbuf[0] ? kbuf : NULL, brief);
        }
        put(s, "}", 1);
        break;
    }
    }
}

void json_out_record(strbuf *s, const msgpack_object *rec, size_t brief)
{
    put_object(s, rec, "", NULL, brief);
    put(s, "\n", 1);
}
