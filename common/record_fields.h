/* record_fields.h: a record type as one list of fields, from which both the
 * writer's keys and the reader's struct come (record_types.h holds the lists
 * of the records one stage writes and another reads). A list is an X-macro:
 *
 *   #define PATHWAY_FIELDS(X, P) X(P, id, STR, 0) X(P, step, I64, RF_NIL) ...
 *
 * and RF_DECLARE(pathway, PATHWAY_FIELDS) makes `struct pathway_record` (one
 * member per field, named as its key, plus `has`: a bit per field that holds
 * a value) and the field numbers pathway_f_id, pathway_f_step, ...;
 * RF_DEFINE(pathway, PATHWAY_FIELDS) in one .c file makes the table
 * `pathway_fields` that rf_read and rf_write walk. The key is the member's
 * name, so each key is spelled once.
 *
 * Errors are record.h's getters' (record_get_as): `T record lacks field "k"`,
 * `T record field "k" is not an integer`, ... */
#ifndef GM_RECORD_FIELDS_H
#define GM_RECORD_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

typedef enum { RF_STR, RF_I64, RF_F64, RF_BOOL, RF_F32S, RF_F64S, RF_U16S, RF_U32S } rf_kind;

enum {
    RF_NIL = 1, /* may be nil ("or nil" in records.md); NaN in a real is written as nil */
    RF_OPT = 2, /* may be absent: written only when it holds a value (on request) */
};

/* A vector field: n little-endian elements at bytes. Read, it points into the
 * record (unaligned: copy it out with rf_vec_copy); written, at the caller's
 * array. */
typedef struct rf_vec {
    const void *bytes;
    size_t n;
} rf_vec;

typedef struct rf_field {
    const char *key;
    rf_kind kind;
    int flags;
    size_t offset; /* of its member in the record struct */
} rf_field;

typedef struct rf_type {
    const char *type; /* the record's "type" */
    const rf_field *fields;
    size_t n_fields;
    size_t has_offset;
} rf_type;

#define RF_CTYPE_STR const char *
#define RF_CTYPE_I64 int64_t
#define RF_CTYPE_F64 double
#define RF_CTYPE_BOOL int
#define RF_CTYPE_F32S rf_vec
#define RF_CTYPE_F64S rf_vec
#define RF_CTYPE_U16S rf_vec
#define RF_CTYPE_U32S rf_vec

#define RF_ENUM_(P, name, kind, flags) P##_f_##name,
#define RF_MEMBER_(P, name, kind, flags) RF_CTYPE_##kind name;
#define RF_ENTRY_(P, name, kind, flags) {#name, RF_##kind, flags, offsetof(struct P##_record, name)},

#define RF_DECLARE(P, LIST)                                                                      \
    enum { LIST(RF_ENUM_, P) P##_n_fields };                                                     \
    struct P##_record {                                                                          \
        LIST(RF_MEMBER_, P)                                                                      \
        uint64_t has;                                                                            \
    };                                                                                           \
    extern const rf_type P##_fields

#define RF_DEFINE(P, LIST)                                                                       \
    static const rf_field P##_field_list[] = {LIST(RF_ENTRY_, P)};                               \
    const rf_type P##_fields = {#P, P##_field_list, P##_n_fields,                                \
                                offsetof(struct P##_record, has)}

#define RF_BIT(f) ((uint64_t)1 << (f))
/* A field's key as a string, for output that repeats the record's keys (the
 * report's tables); a name not in the list does not compile. */
#define RF_KEY(P, name) ((void)P##_f_##name, #name)
/* Set a field that may be nil or absent, and mark it as holding a value. */
#define RF_SET(rec, P, name, value) ((rec).name = (value), (rec).has |= RF_BIT(P##_f_##name))
#define RF_HAS(rec, P, name) (((rec).has & RF_BIT(P##_f_##name)) != 0)

/* Which fields rf_read reads: `read` if present (absent or nil: its has bit
 * stays 0); `present` must be there (nil only where the list allows it);
 * `value` must hold a value (not nil). present and value imply read. */
typedef struct rf_want {
    uint64_t read, present, value;
    record_wording wording; /* of its errors (record.h); 0: the stages' */
} rf_want;

/* Read the wanted fields of m into rec (zeroed first), in list order; the
 * first bad field is the error. Strings are malloc'd copies: rf_free. */
int rf_read(const rf_type *t, const msgpack_object *m, rf_want want, void *rec, gm_error *err);
/* Free the strings rf_read copied into rec. */
void rf_free(const rf_type *t, void *rec);
/* Write rec as one record: every field in list order, nil for a field that
 * may be nil and holds none, an RF_OPT field only when it holds a value. */
int rf_write(const rf_type *t, const void *rec, record_writer *w, gm_error *err);

/* Copy a vector read by rf_read out as an aligned malloc'd array (NULL when
 * empty). */
int rf_vec_copy(const rf_vec *v, size_t elem, void **out, gm_error *err);
size_t rf_elem_size(rf_kind k); /* 0 for scalars */

#endif
