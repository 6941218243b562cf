/* json_in.h: one JSON Lines record -> one msgpack record (dump --from-json),
 * the inverse of json_out.h. Schema vector fields must be arrays of numbers
 * of their element type and become little-endian bin; {"$hex": ...} becomes
 * bin, {"$ext": T, "$hex": ...} ext, {"$float": "NaN"} a non-finite real;
 * \udc80..\udcff in strings become the bytes 0x80..0xff; everything else
 * maps to its msgpack equivalent (docs/records.md "JSON Lines"). */
#ifndef DUMP_JSON_IN_H
#define DUMP_JSON_IN_H

#include <jansson.h>
#include <msgpack.h>

#include "error.h"

/* Parse one line of JSON text (lone \udcXX escapes and NUL allowed, as
 * json_out writes them; duplicate keys refused). NULL with err on bad JSON. */
json_t *json_in_parse(const char *text, size_t n, json_error_t *jerr, gm_error *err);

/* Pack obj (from json_in_parse) (a JSON object) as a record. -1 with err on a value that cannot
 * be represented (e.g. a non-number in a vector field). */
int json_in_record(msgpack_packer *pk, json_t *obj, gm_error *err);

#endif
