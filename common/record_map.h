/* record_map.h: one record written as a msgpack map whose keys are counted
 * as they are added, so no writer counts them by hand (a wrong count is a
 * corrupt stream). The map header goes in front of the keys at
 * record_map_end, in the same smallest form msgpack_pack_map writes.
 *
 * Every adder returns the packer's result (0, or -1 when an allocation
 * failed); a failure is also remembered, and record_map_end reports it as an
 * out-of-memory error, so a record cut short is never written. */
#ifndef GM_RECORD_MAP_H
#define GM_RECORD_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

typedef struct record_map {
    record_writer *w;
    msgpack_packer *pk;
    size_t mark;       /* where the map header goes */
    uint32_t n_keys;
    int failed;        /* a packer call failed */
} record_map;

/* Start a record of the given type ("type" is its first key). */
int record_map_begin(record_map *m, record_writer *w, const char *type);
/* Count one key and pack it; the caller packs its value with m->pk. */
int record_map_key(record_map *m, const char *key);

int record_map_str(record_map *m, const char *key, const char *val); /* NULL: nil */
int record_map_i64(record_map *m, const char *key, int64_t val);
int record_map_f64(record_map *m, const char *key, double val);
int record_map_bool(record_map *m, const char *key, int val);
int record_map_nil(record_map *m, const char *key);
/* Vectors: msgpack bin of little-endian elements (n elements). */
int record_map_bin(record_map *m, const char *key, const void *v, size_t bytes);

/* Put the map header in front and end the record (record_writer_end). */
int record_map_end(record_map *m, gm_error *err);

#endif
