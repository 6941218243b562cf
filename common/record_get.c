/* record_get.c: looking inside a record (a msgpack map): fields by key, and
 * the typed getters every reader uses, required or optional, whose errors
 * are worded in one place (field_error). */
#include "record.h"

#include <stdlib.h>
#include <string.h>

int record_str_equals(const msgpack_object *o, const char *s)
{
    size_t n = strlen(s);
    return o && o->type == MSGPACK_OBJECT_STR && o->via.str.size == n &&
           (n == 0 || memcmp(o->via.str.ptr, s, n) == 0); /* "" has a NULL ptr */
}

const msgpack_object *record_get(const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->via.map.size; i++)
        if (record_str_equals(&map->via.map.ptr[i].key, key))
            return &map->via.map.ptr[i].val;
    return NULL;
}

const char *record_type(const msgpack_object *map, char *buf, size_t cap)
{
    const msgpack_object *t = record_get(map, "type");
    if (cap == 0)
        return buf;
    buf[0] = 0;
    if (t && t->type == MSGPACK_OBJECT_STR) {
        size_t n = t->via.str.size < cap - 1 ? t->via.str.size : cap - 1;
        if (n) /* msgpack-c gives an empty string a NULL ptr */
            memcpy(buf, t->via.str.ptr, n);
        buf[n] = 0;
    }
    return buf;
}

int record_is_type(const msgpack_object *map, const char *type)
{
    return record_str_equals(record_get(map, "type"), type);
}

int record_is_nil(const msgpack_object *m, const char *key)
{
    const msgpack_object *v = record_get(m, key);
    return !v || v->type == MSGPACK_OBJECT_NIL;
}

/* ---- the wording of a bad field ------------------------------------------ */

static const char *kind_name(const msgpack_object *o)
{
    switch (o->type) {
    case MSGPACK_OBJECT_NIL: return "nil";
    case MSGPACK_OBJECT_BOOLEAN: return "a bool";
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
    case MSGPACK_OBJECT_NEGATIVE_INTEGER: return "an int";
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: return "a float";
    case MSGPACK_OBJECT_STR: return "a string";
    case MSGPACK_OBJECT_BIN: return "bin";
    case MSGPACK_OBJECT_ARRAY: return "an array";
    case MSGPACK_OBJECT_MAP: return "a map";
    default: return "an unknown kind";
    }
}

/* Field key of m is missing or not of the kind `want` ("an integer"). */
static int field_error(const msgpack_object *m, const char *key, const char *want,
                       record_wording wd, gm_error *err)
{
    char type[64];
    record_type(m, type, sizeof type);
    const msgpack_object *v = record_get(m, key);
    if (wd == RECORD_WORDING_REPORT) {
        /* a nil string is a missing one there */
        if (!v || (v->type == MSGPACK_OBJECT_NIL && strcmp(want, "a string") == 0))
            return gm_fail(err, GM_EDATA, "%s record lacks required field '%s'", type, key);
        return gm_fail(err, GM_EDATA, "%s field '%s' is %s, expected %s", type, key,
                       kind_name(v), want);
    }
    if (!v)
        return gm_fail(err, GM_EDATA, "%s record lacks field \"%s\"", type, key);
    return gm_fail(err, GM_EDATA, "%s record field \"%s\" is not %s", type, key, want);
}

static int out_of_range(const msgpack_object *m, const char *key, uint64_t v, record_wording wd,
                        gm_error *err)
{
    char type[64];
    record_type(m, type, sizeof type);
    return gm_fail(err, GM_EDATA,
                   wd == RECORD_WORDING_REPORT ? "%s field '%s' is %llu, out of range (at most %lld)"
                                               : "%s record field \"%s\" is %llu, out of range (at most %lld)",
                   type, key, (unsigned long long)v, (long long)INT64_MAX);
}

/* ---- getters ------------------------------------------------------------- */

int record_get_as(const msgpack_object *m, const char *key, record_scalar kind,
                  record_wording wd, void *out, gm_error *err)
{
    const msgpack_object *v = record_get(m, key);
    switch (kind) {
    case RECORD_STR: {
        if (!v || v->type != MSGPACK_OBJECT_STR)
            return field_error(m, key, "a string", wd, err);
        char *s = malloc(v->via.str.size + 1);
        if (!s)
            return gm_fail(err, GM_ENOMEM, "out of memory");
        if (v->via.str.size) /* msgpack-c gives an empty string a NULL ptr */
            memcpy(s, v->via.str.ptr, v->via.str.size);
        s[v->via.str.size] = 0;
        *(char **)out = s;
        return 0;
    }
    case RECORD_I64:
        if (v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER && v->via.u64 <= INT64_MAX) {
            *(int64_t *)out = (int64_t)v->via.u64;
            return 0;
        }
        if (v && v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
            *(int64_t *)out = v->via.i64;
            return 0;
        }
        if (v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
            return out_of_range(m, key, v->via.u64, wd, err);
        return field_error(m, key, "an integer", wd, err);
    case RECORD_F64:
        if (v && (v->type == MSGPACK_OBJECT_FLOAT64 || v->type == MSGPACK_OBJECT_FLOAT32)) {
            *(double *)out = v->via.f64;
            return 0;
        }
        if (v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
            *(double *)out = (double)v->via.u64;
            return 0;
        }
        if (v && v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
            *(double *)out = (double)v->via.i64;
            return 0;
        }
        return field_error(m, key, "a number", wd, err);
    case RECORD_BOOL:
        if (!v || v->type != MSGPACK_OBJECT_BOOLEAN)
            return field_error(m, key, "a boolean", wd, err);
        *(int *)out = v->via.boolean;
        return 0;
    }
    return field_error(m, key, "a known kind", wd, err);
}

int record_get_str(const msgpack_object *m, const char *key, char **out, gm_error *err)
{
    return record_get_as(m, key, RECORD_STR, RECORD_WORDING_STAGE, out, err);
}

int record_get_i64(const msgpack_object *m, const char *key, int64_t *out, gm_error *err)
{
    return record_get_as(m, key, RECORD_I64, RECORD_WORDING_STAGE, out, err);
}

int record_get_f64(const msgpack_object *m, const char *key, double *out, gm_error *err)
{
    return record_get_as(m, key, RECORD_F64, RECORD_WORDING_STAGE, out, err);
}

int record_get_bool(const msgpack_object *m, const char *key, int *out, gm_error *err)
{
    return record_get_as(m, key, RECORD_BOOL, RECORD_WORDING_STAGE, out, err);
}

int record_bool_or(const msgpack_object *m, const char *key, int otherwise)
{
    const msgpack_object *v = record_get(m, key);
    return v && v->type == MSGPACK_OBJECT_BOOLEAN ? v->via.boolean : otherwise;
}

int record_get_opt_str(const msgpack_object *m, const char *key, char **out, gm_error *err)
{
    *out = NULL;
    return record_is_nil(m, key) ? 0 : record_get_str(m, key, out, err);
}

int record_get_opt_i64(const msgpack_object *m, const char *key, int *present, int64_t *out,
                       gm_error *err)
{
    *present = !record_is_nil(m, key);
    return *present ? record_get_i64(m, key, out, err) : 0;
}

int record_get_opt_f64(const msgpack_object *m, const char *key, int *present, double *out,
                       gm_error *err)
{
    *present = !record_is_nil(m, key);
    return *present ? record_get_f64(m, key, out, err) : 0;
}

/* ---- vectors ------------------------------------------------------------- */

int record_get_view(const msgpack_object *m, const char *key, size_t elem, const char *what,
                    record_wording wd, const void **bytes, size_t *n, gm_error *err)
{
    const msgpack_object *v = record_get(m, key);
    if (!v || v->type != MSGPACK_OBJECT_BIN)
        return field_error(m, key, what, wd, err);
    if (v->via.bin.size % elem != 0) {
        char type[64];
        return gm_fail(err, GM_EDATA, "%s record field \"%s\" holds %u bytes, not a whole number of %zu-byte elements",
                       record_type(m, type, sizeof type), key, v->via.bin.size, elem);
    }
    *n = v->via.bin.size / elem;
    *bytes = v->via.bin.ptr;
    return 0;
}

static int get_vector(const msgpack_object *m, const char *key, size_t elem, const char *what,
                      void **out, size_t *n, gm_error *err)
{
    const void *bytes;
    if (record_get_view(m, key, elem, what, RECORD_WORDING_STAGE, &bytes, n, err))
        return -1;
    *out = NULL;
    if (*n == 0)
        return 0;
    *out = malloc(*n * elem);
    if (!*out)
        return gm_fail(err, GM_ENOMEM, "out of memory reading field \"%s\"", key);
    memcpy(*out, bytes, *n * elem);
    return 0;
}

int record_get_f32s(const msgpack_object *m, const char *key, float **out, size_t *n, gm_error *err)
{
    return get_vector(m, key, 4, "an f32 vector (bin)", (void **)out, n, err);
}
int record_get_f64s(const msgpack_object *m, const char *key, double **out, size_t *n, gm_error *err)
{
    return get_vector(m, key, 8, "an f64 vector (bin)", (void **)out, n, err);
}
int record_get_u32s(const msgpack_object *m, const char *key, uint32_t **out, size_t *n, gm_error *err)
{
    return get_vector(m, key, 4, "a u32 vector (bin)", (void **)out, n, err);
}
int record_get_u16s(const msgpack_object *m, const char *key, uint16_t **out, size_t *n, gm_error *err)
{
    return get_vector(m, key, 2, "a u16 vector (bin)", (void **)out, n, err);
}
