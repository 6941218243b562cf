/* record.h: grokmon record streams (docs/records.md) over msgpack-c.
 *
 * A stream is a sequence of msgpack maps with string keys and a "type". The
 * first record is a `header`; the reader validates it, keeps it (and any
 * header of a later concatenated stream) for provenance, and does not return
 * headers from record_reader_next unless asked to (record_reader_pass_headers:
 * stage_io does, so that a stage's output keeps every input header in place,
 * docs/records.md "Streams"). Numeric vectors are msgpack bin holding
 * little-endian elements whose type the schema fixes (schema.h).
 *
 * Writing checks every allocation: a record that could not be packed whole
 * is an out-of-memory error at the next record_writer_end or close, never a
 * short record in the output. Records are built with record_map.h (a map
 * that counts its keys) or, for the types of record_types.h, rf_write.
 *
 * Ownership: a record returned by record_reader_next lives until the next call
 * or record_reader_close. Getters that return vectors malloc a copy that the
 * caller frees. Nothing here prints or exits. */
#ifndef GM_RECORD_H
#define GM_RECORD_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "output.h"

#define GM_FORMAT_NAME "grokmon"
#define GM_SCHEMA_VERSION 1

/* ---- reading --------------------------------------------------------- */

typedef struct record_reader record_reader;

/* Open path (NULL or "-": stdin), plain or LZ4, and read its header.
 * Empty input, a first record that is not a header, or a header of another
 * format or schema version is an error. */
record_reader *record_reader_open(const char *path, gm_error *err);

/* 1: *rec is the next non-header record; 0: clean end; -1: error
 * (truncated or corrupt stream, not a map, no "type"), with the input name,
 * record number and byte offset in the message. */
int record_reader_next(record_reader *r, const msgpack_object **rec, gm_error *err);

/* on: record_reader_next also returns the headers of later concatenated
 * streams (kept for provenance all the same), in their place among the
 * records. A stage that passes them to record_writer_copy starts a new part
 * of its output there. Off by default. */
void record_reader_pass_headers(record_reader *r, int on);

/* "file.mpk: record 12 at byte 3456" for the record last returned. Use it
 * with gm_error_where when a field of that record is bad. */
const char *record_reader_where(record_reader *r);
const char *record_reader_name(const record_reader *r);

/* Headers seen so far, each as packed msgpack bytes (for provenance). */
size_t record_reader_header_count(const record_reader *r);
void record_reader_header_bytes(const record_reader *r, size_t i,
                                const char **bytes, size_t *len);
/* The first header, unpacked (valid while r is open). */
const msgpack_object *record_reader_header(const record_reader *r);

void record_reader_close(record_reader *r); /* accepts NULL */

/* ---- looking inside a record (a msgpack map): record_get.c -------------- */

/* The value under key, or NULL if absent. */
const msgpack_object *record_get(const msgpack_object *map, const char *key);
/* The record's "type" as a NUL-terminated copy in buf (truncated to cap). */
const char *record_type(const msgpack_object *map, char *buf, size_t cap);
int record_is_type(const msgpack_object *map, const char *type);
/* Is o a string equal to s? */
int record_str_equals(const msgpack_object *o, const char *s);
/* Is the value nil (or absent)? */
int record_is_nil(const msgpack_object *m, const char *key);

/* How an error about a field reads. One wording: `metric record lacks field
 * "n"`, `trace record field "step" is not an integer`. report keeps the
 * wording its tests (and users' scripts) know for the records it reads:
 * `metric record lacks required field 'n'`, `metric field 'step' is a
 * string, expected an integer`. Nothing else differs. */
typedef enum { RECORD_WORDING_STAGE = 0, RECORD_WORDING_REPORT } record_wording;

typedef enum { RECORD_STR, RECORD_I64, RECORD_F64, RECORD_BOOL } record_scalar;

/* The one getter: *out is a char * (a malloc'd NUL-terminated copy), int64_t,
 * double (ints convert) or int, as kind says. 0, or -1 with err naming the
 * record type and key when the field is missing or of the wrong kind. */
int record_get_as(const msgpack_object *m, const char *key, record_scalar kind,
                  record_wording wd, void *out, gm_error *err);

/* Typed getters (record_get_as, stage wording). */
int record_get_str(const msgpack_object *m, const char *key, char **out, gm_error *err);
int record_get_i64(const msgpack_object *m, const char *key, int64_t *out, gm_error *err);
int record_get_f64(const msgpack_object *m, const char *key, double *out, gm_error *err);
int record_get_bool(const msgpack_object *m, const char *key, int *out, gm_error *err);
/* Optional fields: absent or nil is no value (*out NULL, *present 0), any
 * other value is read as by the getters above, with the same errors. */
int record_get_opt_str(const msgpack_object *m, const char *key, char **out, gm_error *err);
int record_get_opt_i64(const msgpack_object *m, const char *key, int *present, int64_t *out,
                       gm_error *err);
int record_get_opt_f64(const msgpack_object *m, const char *key, int *present, double *out,
                       gm_error *err);
/* A flag read leniently: its value, or `otherwise` when absent or not a bool. */
int record_bool_or(const msgpack_object *m, const char *key, int otherwise);

/* Vectors: the bin length must be a multiple of the element size; *n is the
 * element count; *out is a malloc'd copy (NULL when n == 0). */
int record_get_f32s(const msgpack_object *m, const char *key, float **out, size_t *n, gm_error *err);
int record_get_f64s(const msgpack_object *m, const char *key, double **out, size_t *n, gm_error *err);
int record_get_u32s(const msgpack_object *m, const char *key, uint32_t **out, size_t *n, gm_error *err);
int record_get_u16s(const msgpack_object *m, const char *key, uint16_t **out, size_t *n, gm_error *err);
/* A vector's bytes where they lie in the record (unaligned), and its element
 * count; what names the kind in the error ("an f32 vector (bin)"). */
int record_get_view(const msgpack_object *m, const char *key, size_t elem, const char *what,
                    record_wording wd, const void **bytes, size_t *n, gm_error *err);

/* ---- writing --------------------------------------------------------- */

typedef struct record_writer record_writer;

/* Takes ownership of out (committed or aborted by close/abort). */
record_writer *record_writer_create(gm_output *out, gm_error *err);

/* The packer a record is built with (record_map.h counts its keys), then
 * record_writer_end. */
msgpack_packer *record_writer_packer(record_writer *w);
/* Marks the end of one record; flushes buffered bytes now and then. */
int record_writer_end(record_writer *w, gm_error *err);

/* For record_map (record_map.h), which counts a map's keys as they come and
 * puts its header in front of them at the end: the buffer position now, and
 * the map header for n_keys inserted at mark (-1 when out of memory, which
 * record_writer_end then reports). Nothing is flushed between the two. */
size_t record_writer_mark(const record_writer *w);
int record_writer_insert_map(record_writer *w, size_t mark, uint32_t n_keys);

/* Write the stream header: stage name and version, its options (a packer
 * callback writes a map, e.g. cli_pack_options), and the headers of its
 * inputs (any number of readers, may be 0), every header each has kept so
 * far. stage, version and options_ctx must outlive w: the writer repeats the
 * header where a new part of the output begins. */
typedef void (*record_pack_fn)(msgpack_packer *pk, const void *ctx);
int record_writer_header(record_writer *w, const char *stage, const char *version,
                         record_pack_fn pack_options, const void *options_ctx,
                         record_reader *const *inputs, size_t n_inputs, gm_error *err);

/* Start a new part of the output for the headers r met since an output
 * header last named them (a side input read to its end, whose concatenated
 * parts came after the output header): the stage's header again, with those
 * as its inputs. Nothing when there are none. */
int record_writer_part(record_writer *w, record_reader *r, gm_error *err);

/* Copy a record through unchanged (pass-through of types a stage does not
 * handle). A header (from record_reader_pass_headers: a concatenated input's
 * next part begins) is not copied as it is: once record_writer_header has
 * run, the writer starts a new part there, the stage's header again with
 * that header as its one input, so the output is a concatenation of parts
 * as the input was and every input header is kept, in order. */
int record_writer_copy(record_writer *w, const msgpack_object *rec, gm_error *err);

/* Flush, finish the output and rename it into place; frees w. */
int record_writer_close(record_writer *w, gm_error *err);
/* Drop everything written, remove the temporary file; frees w. Accepts NULL. */
void record_writer_abort(record_writer *w);

/* A string, for packers of maps of other shapes (cli_pack_options). */
void pack_str(msgpack_packer *pk, const char *s);

#endif
