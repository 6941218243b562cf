/* schema.c: the vector fields of docs/records.md: the element type of each,
 * and whether nil may stand in for it ("or nil" in records.md). The records
 * of record_types.h say it in their field lists; the sample's is here. */
#include "schema.h"

#include <string.h>

#include "record_types.h"

/* The records outside record_types.h's lists (written by one stage, read by
 * another through record.h's getters). */
static const struct {
    const char *type, *field;
    schema_elem elem;
} other_vectors[] = {
    {"sample", "tokens", SCHEMA_U32},
};

static schema_elem elem_of(rf_kind k)
{
    switch (k) {
    case RF_F32S: return SCHEMA_F32;
    case RF_F64S: return SCHEMA_F64;
    case RF_U16S: return SCHEMA_U16;
    case RF_U32S: return SCHEMA_U32;
    default: return SCHEMA_NOT_VECTOR;
    }
}

static const rf_field *listed_field(const char *record_type, const char *field)
{
    for (size_t t = 0; t < record_types_count; t++) {
        if (strcmp(record_types[t]->type, record_type) != 0)
            continue;
        for (size_t i = 0; i < record_types[t]->n_fields; i++)
            if (strcmp(record_types[t]->fields[i].key, field) == 0)
                return &record_types[t]->fields[i];
    }
    return NULL;
}

schema_elem schema_vector_type(const char *record_type, const char *field)
{
    const rf_field *f = listed_field(record_type, field);
    if (f)
        return elem_of(f->kind);
    for (size_t i = 0; i < sizeof other_vectors / sizeof other_vectors[0]; i++)
        if (strcmp(other_vectors[i].type, record_type) == 0 && strcmp(other_vectors[i].field, field) == 0)
            return other_vectors[i].elem;
    return SCHEMA_NOT_VECTOR;
}

int schema_vector_nullable(const char *record_type, const char *field)
{
    const rf_field *f = listed_field(record_type, field);
    return f && elem_of(f->kind) != SCHEMA_NOT_VECTOR && (f->flags & RF_NIL);
}

const char *schema_elem_name(schema_elem e)
{
    switch (e) {
    case SCHEMA_F32: return "f32";
    case SCHEMA_F64: return "f64";
    case SCHEMA_U16: return "u16";
    case SCHEMA_U32: return "u32";
    default: return "?";
    }
}

size_t schema_elem_size(schema_elem e)
{
    switch (e) {
    case SCHEMA_F32:
    case SCHEMA_U32: return 4;
    case SCHEMA_F64: return 8;
    case SCHEMA_U16: return 2;
    default: return 0;
    }
}
