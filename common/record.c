/* record.c: reading and writing grokmon record streams (docs/records.md) with
 * msgpack-c's streaming unpacker and packer. Headers are validated and kept
 * for provenance; every other record is handed to the stage. The unpacker's
 * CONTINUE at end of input means a truncated record, which is an error (the
 * msgpack-c 4.0 pitfall in style.md), never a clean end. */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "grokmon writes vectors as little-endian bin with memcpy; add byte swapping for this target"
#endif

#define READ_CHUNK (1 << 16)
#define FLUSH_AT (1 << 18)

typedef struct packed_bytes {
    char *bytes;
    size_t len;
} packed_bytes;

struct record_reader {
    gm_input *in;
    msgpack_unpacker unpacker;
    msgpack_unpacked current;       /* the record last returned */
    msgpack_unpacked first_header;  /* the stream's header, unpacked */
    packed_bytes *headers;
    size_t n_headers;
    size_t n_carried;               /* headers already named by some output header */
    int pass_headers;               /* record_reader_next returns later headers too */
    uint64_t fed;                   /* decompressed bytes given to the unpacker */
    uint64_t record_no;             /* 1-based number of the current record */
    uint64_t record_offset;         /* its byte offset in the decompressed stream */
    int eof;
    char where[768];
};

static uint64_t parse_position(const record_reader *r)
{
    return r->fed - (r->unpacker.used - r->unpacker.off);
}

static void set_where(record_reader *r, uint64_t record_no, uint64_t offset)
{
    snprintf(r->where, sizeof r->where, "%s: record %llu at byte %llu%s", gm_input_name(r->in),
             (unsigned long long)record_no, (unsigned long long)offset,
             gm_input_is_lz4(r->in) ? " of the decompressed stream" : "");
}

/* Next msgpack object of any kind into r->current: 1, 0 at a clean end, -1. */
static int next_object(record_reader *r, gm_error *err)
{
    uint64_t start = parse_position(r);
    for (;;) {
        msgpack_unpack_return ret = msgpack_unpacker_next(&r->unpacker, &r->current);
        if (ret == MSGPACK_UNPACK_SUCCESS) {
            r->record_no++;
            r->record_offset = start;
            set_where(r, r->record_no, start);
            return 1;
        }
        if (ret != MSGPACK_UNPACK_CONTINUE) {
            set_where(r, r->record_no + 1, start);
            /* msgpack-c says NOMEM for a failed allocation, which a corrupt
             * declared size or nesting past its stack also cause: name both */
            if (ret == MSGPACK_UNPACK_NOMEM_ERROR)
                return gm_fail(err, GM_EDATA, "%s: out of memory reading a record: it is too "
                               "large, nested deeper than 32 levels, or corrupt (%s)",
                               gm_input_name(r->in), r->where);
            return gm_fail(err, GM_EDATA, "%s: corrupt record stream: not valid msgpack (%s)",
                           gm_input_name(r->in), r->where);
        }
        if (r->eof) {
            if (msgpack_unpacker_message_size(&r->unpacker) > 0) {
                set_where(r, r->record_no + 1, start);
                return gm_fail(err, GM_EDATA, "%s: truncated record: the stream ends inside it (%s)",
                               gm_input_name(r->in), r->where);
            }
            return 0;
        }
        if (!msgpack_unpacker_reserve_buffer(&r->unpacker, READ_CHUNK))
            return gm_fail(err, GM_ENOMEM, "%s: out of memory reading records", gm_input_name(r->in));
        size_t got;
        if (gm_input_read(r->in, msgpack_unpacker_buffer(&r->unpacker),
                          msgpack_unpacker_buffer_capacity(&r->unpacker), &got, err) < 0)
            return -1;
        if (got == 0)
            r->eof = 1;
        msgpack_unpacker_buffer_consumed(&r->unpacker, got);
        r->fed += got;
    }
}

/* An sbuffer whose packer remembers a failed write (msgpack-c's packers
 * return the error, but nested packing goes on past it): a record cut short
 * by a failed allocation must never be written. */
typedef struct checked_sbuffer {
    msgpack_sbuffer sb;
    int oom;
} checked_sbuffer;

static int checked_write(void *data, const char *buf, size_t len)
{
    checked_sbuffer *cb = data;
    if (cb->oom || msgpack_sbuffer_write(&cb->sb, buf, len) != 0) {
        cb->oom = 1;
        return -1;
    }
    return 0;
}

/* Validate a header record and keep its bytes. */
static int keep_header(record_reader *r, const msgpack_object *h, gm_error *err)
{
    if (!record_str_equals(record_get(h, "format"), GM_FORMAT_NAME))
        return gm_fail(err, GM_EDATA, "%s: not a grokmon stream: header format is not \"%s\" (%s)",
                       gm_input_name(r->in), GM_FORMAT_NAME, r->where);
    const msgpack_object *v = record_get(h, "schema_version");
    if (!v || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 != GM_SCHEMA_VERSION)
        return gm_fail(err, GM_EDATA,
                       "%s: unsupported schema version %lld (this build reads version %d) (%s)",
                       gm_input_name(r->in),
                       v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (long long)v->via.u64
                       : v && v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER ? (long long)v->via.i64
                                                                          : -1LL,
                       GM_SCHEMA_VERSION, r->where);
    checked_sbuffer cb = {.oom = 0};
    msgpack_sbuffer_init(&cb.sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &cb, checked_write);
    msgpack_pack_object(&pk, *h);
    packed_bytes *grown = cb.oom || !cb.sb.data ? NULL
                          : realloc(r->headers, (r->n_headers + 1) * sizeof *grown);
    if (!grown) {
        msgpack_sbuffer_destroy(&cb.sb);
        return gm_fail(err, GM_ENOMEM, "out of memory keeping a header");
    }
    msgpack_sbuffer sb = cb.sb;
    r->headers = grown;
    r->headers[r->n_headers].len = sb.size; /* read before release zeroes it */
    r->headers[r->n_headers].bytes = msgpack_sbuffer_release(&sb);
    r->n_headers++;
    return 0;
}

record_reader *record_reader_open(const char *path, gm_error *err)
{
    record_reader *r = calloc(1, sizeof *r);
    if (!r) {
        gm_fail(err, GM_ENOMEM, "out of memory opening a record stream");
        return NULL;
    }
    msgpack_unpacked_init(&r->current);
    msgpack_unpacked_init(&r->first_header);
    if (!msgpack_unpacker_init(&r->unpacker, READ_CHUNK)) {
        free(r);
        gm_fail(err, GM_ENOMEM, "out of memory opening a record stream");
        return NULL;
    }
    r->in = gm_input_open(path, err);
    if (!r->in)
        goto fail;
    int got = next_object(r, err);
    if (got < 0)
        goto fail;
    if (got == 0) {
        gm_fail(err, GM_EDATA, "%s: empty input: no header record", gm_input_name(r->in));
        goto fail;
    }
    const msgpack_object *h = &r->current.data;
    if (h->type != MSGPACK_OBJECT_MAP || !record_str_equals(record_get(h, "type"), "header")) {
        gm_fail(err, GM_EDATA, "%s: not a grokmon stream: the first record is not a header (%s)",
                gm_input_name(r->in), r->where);
        goto fail;
    }
    if (keep_header(r, h, err) < 0)
        goto fail;
    size_t off = 0;
    if (msgpack_unpack_next(&r->first_header, r->headers[0].bytes, r->headers[0].len, &off) !=
        MSGPACK_UNPACK_SUCCESS) {
        gm_fail(err, GM_ENOMEM, "out of memory keeping a header");
        goto fail;
    }
    return r;
fail:
    record_reader_close(r);
    return NULL;
}

int record_reader_next(record_reader *r, const msgpack_object **rec, gm_error *err)
{
    for (;;) {
        int got = next_object(r, err);
        if (got <= 0)
            return got;
        const msgpack_object *o = &r->current.data;
        if (o->type != MSGPACK_OBJECT_MAP)
            return gm_fail(err, GM_EDATA, "%s: record is not a map (%s)", gm_input_name(r->in), r->where);
        const msgpack_object *type = record_get(o, "type");
        if (!type || type->type != MSGPACK_OBJECT_STR)
            return gm_fail(err, GM_EDATA, "%s: record has no \"type\" string (%s)",
                           gm_input_name(r->in), r->where);
        if (record_str_equals(type, "header")) { /* a concatenated stream begins */
            if (keep_header(r, o, err) < 0)
                return -1;
            if (!r->pass_headers)
                continue;
            r->n_carried = r->n_headers; /* the stage passes it on (record_writer_copy) */
        }
        *rec = o;
        return 1;
    }
}

void record_reader_pass_headers(record_reader *r, int on) { r->pass_headers = on; }
const char *record_reader_where(record_reader *r) { return r->where; }
const char *record_reader_name(const record_reader *r) { return gm_input_name(r->in); }
size_t record_reader_header_count(const record_reader *r) { return r->n_headers; }

void record_reader_header_bytes(const record_reader *r, size_t i, const char **bytes, size_t *len)
{
    *bytes = r->headers[i].bytes;
    *len = r->headers[i].len;
}

const msgpack_object *record_reader_header(const record_reader *r) { return &r->first_header.data; }

void record_reader_close(record_reader *r)
{
    if (!r)
        return;
    msgpack_unpacked_destroy(&r->current);
    msgpack_unpacked_destroy(&r->first_header);
    msgpack_unpacker_destroy(&r->unpacker);
    for (size_t i = 0; i < r->n_headers; i++)
        free(r->headers[i].bytes);
    free(r->headers);
    gm_input_close(r->in);
    free(r);
}

/* ---- writing --------------------------------------------------------- */

struct record_writer {
    gm_output *out;
    checked_sbuffer buf;
    msgpack_packer pk;
    /* the stage's header, to write again where a new part begins */
    const char *stage, *version;
    record_pack_fn pack_options;
    const void *options_ctx;
};

static int out_of_memory(record_writer *w, gm_error *err)
{
    return w->buf.oom ? gm_fail(err, GM_ENOMEM, "out of memory writing records") : 0;
}

record_writer *record_writer_create(gm_output *out, gm_error *err)
{
    record_writer *w = calloc(1, sizeof *w);
    if (!w) {
        gm_output_abort(out);
        gm_fail(err, GM_ENOMEM, "out of memory creating a record writer");
        return NULL;
    }
    w->out = out;
    msgpack_sbuffer_init(&w->buf.sb);
    msgpack_packer_init(&w->pk, &w->buf, checked_write);
    return w;
}

msgpack_packer *record_writer_packer(record_writer *w) { return &w->pk; }

static int flush(record_writer *w, gm_error *err)
{
    if (out_of_memory(w, err))
        return -1;
    if (w->buf.sb.size == 0)
        return 0;
    int rc = gm_output_write(w->out, w->buf.sb.data, w->buf.sb.size, err);
    msgpack_sbuffer_clear(&w->buf.sb);
    return rc;
}

int record_writer_end(record_writer *w, gm_error *err)
{
    if (out_of_memory(w, err))
        return -1;
    return w->buf.sb.size >= FLUSH_AT ? flush(w, err) : 0;
}

size_t record_writer_mark(const record_writer *w) { return w->buf.sb.size; }

/* A msgpack packer writing into a fixed array: map headers are 5 bytes at most. */
typedef struct fixed_bytes {
    char b[8];
    size_t n;
} fixed_bytes;

static int fixed_write(void *data, const char *buf, size_t len)
{
    fixed_bytes *f = data;
    if (f->n + len > sizeof f->b)
        return -1;
    memcpy(f->b + f->n, buf, len);
    f->n += len;
    return 0;
}

int record_writer_insert_map(record_writer *w, size_t mark, uint32_t n_keys)
{
    fixed_bytes head = {.n = 0};
    msgpack_packer hp;
    msgpack_packer_init(&hp, &head, fixed_write);
    msgpack_pack_map(&hp, n_keys); /* the smallest form, as msgpack_pack_map always writes */
    if (w->buf.oom || mark > w->buf.sb.size)
        return w->buf.oom = 1, -1;
    size_t body = w->buf.sb.size - mark;
    if (checked_write(&w->buf, head.b, head.n) != 0) /* grow by the header's length */
        return -1;
    memmove(w->buf.sb.data + mark + head.n, w->buf.sb.data + mark, body);
    memcpy(w->buf.sb.data + mark, head.b, head.n);
    return 0;
}

/* Key-value packers that return 1, the number of keys they add, so that the
 * header's map size is their sum, never a hand count. */
static uint32_t header_key(msgpack_packer *pk, const char *key)
{
    pack_str(pk, key);
    return 1;
}

static uint32_t header_str(msgpack_packer *pk, const char *key, const char *val)
{
    pack_str(pk, key);
    pack_str(pk, val);
    return 1;
}

/* The header map up to its "inputs" array of n entries; the caller packs them. */
static void pack_own_header(record_writer *w, size_t n_inputs)
{
    msgpack_packer *pk = &w->pk;
    size_t mark = record_writer_mark(w);
    uint32_t n = header_str(pk, "type", "header") + header_str(pk, "format", GM_FORMAT_NAME);
    n += header_key(pk, "schema_version");
    msgpack_pack_int64(pk, GM_SCHEMA_VERSION);
    n += header_str(pk, "stage", w->stage) + header_str(pk, "version", w->version);
    n += header_key(pk, "options");
    if (w->pack_options)
        w->pack_options(pk, w->options_ctx);
    else
        msgpack_pack_map(pk, 0);
    n += header_key(pk, "inputs");
    msgpack_pack_array(pk, n_inputs);
    record_writer_insert_map(w, mark, n); /* a failure marks the buffer out of memory */
}

int record_writer_header(record_writer *w, const char *stage, const char *version,
                         record_pack_fn pack_options, const void *options_ctx,
                         record_reader *const *inputs, size_t n_inputs, gm_error *err)
{
    w->stage = stage;
    w->version = version;
    w->pack_options = pack_options;
    w->options_ctx = options_ctx;
    size_t total = 0;
    for (size_t i = 0; i < n_inputs; i++)
        total += inputs[i] ? inputs[i]->n_headers : 0;
    pack_own_header(w, total);
    for (size_t i = 0; i < n_inputs; i++) {
        for (size_t j = 0; inputs[i] && j < inputs[i]->n_headers; j++)
            checked_write(&w->buf, inputs[i]->headers[j].bytes, inputs[i]->headers[j].len);
        if (inputs[i])
            inputs[i]->n_carried = inputs[i]->n_headers;
    }
    return record_writer_end(w, err);
}

int record_writer_part(record_writer *w, record_reader *r, gm_error *err)
{
    if (r->n_carried >= r->n_headers)
        return 0;
    pack_own_header(w, r->n_headers - r->n_carried);
    for (size_t j = r->n_carried; j < r->n_headers; j++)
        checked_write(&w->buf, r->headers[j].bytes, r->headers[j].len);
    r->n_carried = r->n_headers;
    return record_writer_end(w, err);
}

int record_writer_copy(record_writer *w, const msgpack_object *rec, gm_error *err)
{
    if (w->stage && record_is_type(rec, "header")) { /* a new part: our header over it */
        pack_own_header(w, 1);
        msgpack_pack_object(&w->pk, *rec);
        return record_writer_end(w, err);
    }
    msgpack_pack_object(&w->pk, *rec);
    return record_writer_end(w, err);
}

int record_writer_close(record_writer *w, gm_error *err)
{
    int rc = flush(w, err);
    if (rc == 0) {
        rc = gm_output_commit(w->out, err);
    } else {
        gm_output_abort(w->out);
    }
    msgpack_sbuffer_destroy(&w->buf.sb);
    free(w);
    return rc;
}

void record_writer_abort(record_writer *w)
{
    if (!w)
        return;
    gm_output_abort(w->out);
    msgpack_sbuffer_destroy(&w->buf.sb);
    free(w);
}

/* ---- pack helpers ------------------------------------------------------ */

void pack_str(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}
