/* json_out.h: one record (a msgpack map) as one line of JSON. Vectors named
 * in the schema print as arrays of numbers; other bin values as
 * {"$hex": "..."}, ext as {"$ext": T, "$hex": "..."}, non-finite reals as
 * {"$float": "NaN"}, bytes that are not UTF-8 as \udc80..\udcff, so that
 * --from-json can restore them byte for byte (docs/records.md "JSON Lines").
 * An allocation failure sets textbuf.oom; the caller reports it. */
#ifndef DUMP_JSON_OUT_H
#define DUMP_JSON_OUT_H

#include <msgpack.h>
#include <stddef.h>

#include "textbuf.h"


/* Append the record as JSON plus "\n". brief > 0 shows at most that many
 * elements of each vector. */
void json_out_record(textbuf *s, const msgpack_object *rec, size_t brief);

#endif
