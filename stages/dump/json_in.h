/* json_in.h: one JSON Lines record -> one msgpack record (dump --from-json).
 * Arrays under schema vector fields become little-endian bin; {"$hex": ...}
 * becomes bin; everything else maps to its msgpack equivalent. */
#ifndef DUMP_JSON_IN_H
#define DUMP_JSON_IN_H

#include <jansson.h>
#include <msgpack.h>

#include "error.h"

/* Pack obj (a JSON object) as a record. -1 with err on a value that cannot
 * be represented (e.g. a non-number in a vector field). */
int json_in_record(msgpack_packer *pk, json_t *obj, gm_error *err);

#endif
