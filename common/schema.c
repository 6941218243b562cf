/* schema.c: the vector fields of docs/records.md as a table. */
#include "schema.h"

#include <string.h>

static const struct {
    const char *type, *field;
    schema_elem elem;
} vector_fields[] = {
    {"sample", "tokens", SCHEMA_U32},
    {"trace", "token_nll", SCHEMA_F32},
    {"trace", "router_mean", SCHEMA_F32},
    {"trace", "topk_mean", SCHEMA_F32},
    {"trace", "topk_ids", SCHEMA_U16},
    {"trace", "topk_weights", SCHEMA_F32},
    {"trace", "probs", SCHEMA_F32},
    {"pathway", "layer_counts", SCHEMA_U16},
    {"pathway", "cosines", SCHEMA_F64},
    {"membership", "steps", SCHEMA_U32},
    {"membership", "losses", SCHEMA_F64},
    {"metric", "layer_distance", SCHEMA_F64},
};

schema_elem schema_vector_type(const char *record_type, const char *field)
{
    for (size_t i = 0; i < sizeof vector_fields / sizeof vector_fields[0]; i++)
        if (strcmp(vector_fields[i].type, record_type) == 0 && strcmp(vector_fields[i].field, field) == 0)
            return vector_fields[i].elem;
    return SCHEMA_NOT_VECTOR;
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
