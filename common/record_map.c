/* record_map.c: a record map that counts its own keys (record_map.h). */
#include "record_map.h"

#include <string.h>

static int packed(record_map *m, int rc)
{
    if (rc != 0)
        m->failed = 1;
    return rc;
}

static int pack_text(msgpack_packer *pk, const char *s)
{
    size_t n = strlen(s);
    return msgpack_pack_str(pk, n) || msgpack_pack_str_body(pk, s, n) ? -1 : 0;
}

int record_map_key(record_map *m, const char *key)
{
    m->n_keys++;
    return packed(m, pack_text(m->pk, key));
}

int record_map_begin(record_map *m, record_writer *w, const char *type)
{
    *m = (record_map){.w = w, .pk = record_writer_packer(w), .mark = record_writer_mark(w)};
    return record_map_str(m, "type", type);
}

int record_map_str(record_map *m, const char *key, const char *val)
{
    if (record_map_key(m, key))
        return -1;
    return packed(m, val ? pack_text(m->pk, val) : msgpack_pack_nil(m->pk));
}

int record_map_i64(record_map *m, const char *key, int64_t val)
{
    return record_map_key(m, key) ? -1 : packed(m, msgpack_pack_int64(m->pk, val));
}

int record_map_f64(record_map *m, const char *key, double val)
{
    return record_map_key(m, key) ? -1 : packed(m, msgpack_pack_double(m->pk, val));
}

int record_map_bool(record_map *m, const char *key, int val)
{
    if (record_map_key(m, key))
        return -1;
    return packed(m, val ? msgpack_pack_true(m->pk) : msgpack_pack_false(m->pk));
}

int record_map_nil(record_map *m, const char *key)
{
    return record_map_key(m, key) ? -1 : packed(m, msgpack_pack_nil(m->pk));
}

int record_map_bin(record_map *m, const char *key, const void *v, size_t bytes)
{
    if (record_map_key(m, key) || packed(m, msgpack_pack_bin(m->pk, bytes)))
        return -1;
    return bytes ? packed(m, msgpack_pack_bin_body(m->pk, v, bytes)) : 0;
}

int record_map_end(record_map *m, gm_error *err)
{
    /* on a failed packer call the writer's buffer is marked out of memory
     * too; record_writer_end reports that and nothing of the record is kept */
    if (record_writer_insert_map(m->w, m->mark, m->n_keys) != 0)
        m->failed = 1;
    int rc = record_writer_end(m->w, err);
    if (rc == 0 && m->failed)
        return gm_fail(err, GM_ENOMEM, "out of memory writing records");
    return rc;
}
