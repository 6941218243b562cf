/* record_fields.c: reading and writing a record through its field list
 * (record_fields.h). Reading goes through record.h's getters, so the errors
 * read the same whichever way a field is read. */
#include "record_fields.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "record_map.h"

size_t rf_elem_size(rf_kind k)
{
    switch (k) {
    case RF_F32S:
    case RF_U32S: return 4;
    case RF_F64S: return 8;
    case RF_U16S: return 2;
    default: return 0;
    }
}

static const char *vector_kind(rf_kind k)
{
    switch (k) {
    case RF_F32S: return "an f32 vector (bin)";
    case RF_F64S: return "an f64 vector (bin)";
    case RF_U32S: return "a u32 vector (bin)";
    default: return "a u16 vector (bin)";
    }
}

static uint64_t *has_of(const rf_type *t, void *rec) { return (uint64_t *)((char *)rec + t->has_offset); }

static int read_field(const rf_field *f, const msgpack_object *m, record_wording wd, void *at,
                      gm_error *err)
{
    switch (f->kind) {
    case RF_STR: return record_get_as(m, f->key, RECORD_STR, wd, at, err);
    case RF_I64: return record_get_as(m, f->key, RECORD_I64, wd, at, err);
    case RF_F64: return record_get_as(m, f->key, RECORD_F64, wd, at, err);
    case RF_BOOL: return record_get_as(m, f->key, RECORD_BOOL, wd, at, err);
    default: {
        rf_vec *v = at;
        return record_get_view(m, f->key, rf_elem_size(f->kind), vector_kind(f->kind), wd,
                               &v->bytes, &v->n, err);
    }
    }
}

int rf_read(const rf_type *t, const msgpack_object *m, rf_want want, void *rec, gm_error *err)
{
    uint64_t *has = has_of(t, rec);
    *has = 0;
    for (size_t i = 0; i < t->n_fields; i++) {
        const rf_field *f = &t->fields[i];
        uint64_t bit = RF_BIT(i);
        void *at = (char *)rec + f->offset;
        memset(at, 0, f->kind == RF_STR ? sizeof(char *) : f->kind == RF_I64 ? sizeof(int64_t)
                      : f->kind == RF_F64 ? sizeof(double) : f->kind == RF_BOOL ? sizeof(int)
                      : sizeof(rf_vec));
        if (!((want.read | want.present | want.value) & bit))
            continue;
        const msgpack_object *v = record_get(m, f->key);
        int nil = v && v->type == MSGPACK_OBJECT_NIL;
        /* absent, or nil where nil may stand: no value (a required one's
         * getter names what is missing or wrong) */
        if (!v && !((want.present | want.value) & bit))
            continue;
        if (nil && !(want.value & bit) && ((f->flags & RF_NIL) || !(want.present & bit)))
            continue;
        if (read_field(f, m, want.wording, at, err)) {
            rf_free(t, rec);
            return -1;
        }
        *has |= bit;
    }
    return 0;
}

void rf_free(const rf_type *t, void *rec)
{
    uint64_t *has = has_of(t, rec);
    for (size_t i = 0; i < t->n_fields; i++) {
        const rf_field *f = &t->fields[i];
        if (f->kind == RF_STR && (*has & RF_BIT(i))) {
            const char **s = (const char **)((char *)rec + f->offset);
            free((char *)*s);
            *s = NULL;
        }
    }
    *has = 0;
}

int rf_vec_copy(const rf_vec *v, size_t elem, void **out, gm_error *err)
{
    *out = NULL;
    if (v->n == 0)
        return 0;
    if (!(*out = malloc(v->n * elem)))
        return gm_fail(err, GM_ENOMEM, "out of memory copying a vector of %zu elements", v->n);
    memcpy(*out, v->bytes, v->n * elem);
    return 0;
}

int rf_write(const rf_type *t, const void *rec, record_writer *w, gm_error *err)
{
    uint64_t has = *(const uint64_t *)((const char *)rec + t->has_offset);
    record_map m;
    record_map_begin(&m, w, t->type);
    for (size_t i = 0; i < t->n_fields; i++) {
        const rf_field *f = &t->fields[i];
        const void *at = (const char *)rec + f->offset;
        int holds = (has & RF_BIT(i)) != 0;
        if ((f->flags & RF_OPT) && !holds)
            continue;
        if ((f->flags & RF_NIL) && (!holds || (f->kind == RF_F64 && isnan(*(const double *)at)))) {
            record_map_nil(&m, f->key);
            continue;
        }
        switch (f->kind) {
        case RF_STR: record_map_str(&m, f->key, *(const char *const *)at); break;
        case RF_I64: record_map_i64(&m, f->key, *(const int64_t *)at); break;
        case RF_F64: record_map_f64(&m, f->key, *(const double *)at); break;
        case RF_BOOL: record_map_bool(&m, f->key, *(const int *)at); break;
        default: {
            const rf_vec *v = at;
            record_map_bin(&m, f->key, v->bytes, v->n * rf_elem_size(f->kind));
        }
        }
    }
    return record_map_end(&m, err);
}
