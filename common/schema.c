/* schema.c: the vector fields of docs/records.md as a table: the element
 * type of each, and whether nil may stand in for it ("or nil" in records.md). */
#include "schema.h"

#include <string.h>

static const struct {
    const char *type, *field;
    schema_elem elem;
    int nullable;
} vector_fields[] = {
    {"sample", "tokens", SCHEMA_U32, 0},
    {"trace", "token_nll", SCHEMA_F32, 0},
    {"trace", "router_mean", SCHEMA_F32, 0},
    {"trace", "topk_mean", SCHEMA_F32, 0},
    {"trace", "topk_ids", SCHEMA_U16, 0},
    {"trace", "topk_weights", SCHEMA_F32, 0},
    {"trace", "probs", SCHEMA_F32, 0},
    {"pathway", "layer_counts", SCHEMA_U16, 0},
    {"pathway", "cosines", SCHEMA_F64, 0},
    {"membership", "steps", SCHEMA_U32, 0},
    {"membership", "losses", SCHEMA_F64, 0},
    {"metric", "layer_distance", SCHEMA_F64, 1},
};

static long field_index(const char *record_type, const char *field)
{
    for (size_t i = 0; i < sizeof vector_fields / sizeof vector_fields[0]; i++)
        if (strcmp(vector_fields[i].type, record_type) == 0 && strcmp(vector_fields[i].field, field) == 0)
            return (long)i;
    return -1;
}

schema_elem schema_vector_type(const char *record_type, const char *field)
{
    long i = field_index(record_type, field);
    return i < 0 ? SCHEMA_NOT_VECTOR : vector_fields[i].elem;
}

int schema_vector_nullable(const char *record_type, const char *field)
{
    long i = field_index(record_type, field);
    return i >= 0 && vector_fields[i].nullable;
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
