/* schema.h: which record fields are numeric vectors, and of what element
 * type (docs/records.md is the prose of the same table; keep them in step).
 * Used by dump to print vectors as JSON arrays and to read them back. */
#ifndef GM_SCHEMA_H
#define GM_SCHEMA_H

#include <stddef.h>

typedef enum { SCHEMA_NOT_VECTOR = 0, SCHEMA_F32, SCHEMA_F64, SCHEMA_U16, SCHEMA_U32 } schema_elem;

/* The element type of field in a record of the given type. */
schema_elem schema_vector_type(const char *record_type, const char *field);
/* 1 when nil may stand in for that vector (e.g. metric.layer_distance). */
int schema_vector_nullable(const char *record_type, const char *field);
size_t schema_elem_size(schema_elem e);
const char *schema_elem_name(schema_elem e); /* "f32", "f64", "u16", "u32" */

#endif
