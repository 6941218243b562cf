/* fuzz_json_in: dump --from-json's JSON-to-record packing (stages/dump/
 * json_in.c) on arbitrary JSON text. Whatever it accepts must unpack again as
 * exactly one msgpack map, with the same unpacker every stage reads with (so
 * dump never writes a record no stage can read), and print back as JSON that
 * packs again to the same bytes (dump | dump --from-json is the identity).
 * Spec: docs/records.md "Streams" and "JSON Lines"; issues 7 and 16. */
#include <jansson.h>
#include <string.h>

#include "../../stages/dump/json_in.h"
#include "../../stages/dump/json_out.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t jerr;
    gm_error perr = {0};
    json_t *obj = json_in_parse((const char *)data, size, &jerr, &perr);
    if (!obj)
        return 0;
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    gm_error err = {0};
    if (json_in_record(&pk, obj, &err) < 0) {
        FUZZ_ASSERT_ERROR(&err);
    } else {
        /* the streaming unpacker, as record.c uses it */
        msgpack_unpacker u;
        FUZZ_ASSERT(msgpack_unpacker_init(&u, sb.size + 16));
        FUZZ_ASSERT(msgpack_unpacker_reserve_buffer(&u, sb.size));
        memcpy(msgpack_unpacker_buffer(&u), sb.data, sb.size);
        msgpack_unpacker_buffer_consumed(&u, sb.size);
        msgpack_unpacked rec;
        msgpack_unpacked_init(&rec);
        FUZZ_ASSERT(msgpack_unpacker_next(&u, &rec) == MSGPACK_UNPACK_SUCCESS);
        FUZZ_ASSERT(rec.data.type == MSGPACK_OBJECT_MAP);
        FUZZ_ASSERT(msgpack_unpacker_next(&u, &rec) == MSGPACK_UNPACK_CONTINUE);
        msgpack_unpacked_destroy(&rec);
        msgpack_unpacker_destroy(&u);
        size_t off = 0;
        msgpack_unpacked one;
        msgpack_unpacked_init(&one);
        FUZZ_ASSERT(msgpack_unpack_next(&one, sb.data, sb.size, &off) == MSGPACK_UNPACK_SUCCESS);
        FUZZ_ASSERT(off == sb.size);
        textbuf s = {0};
        json_out_record(&s, &one.data, 0);
        json_t *back = s.oom ? NULL : json_in_parse(s.p, s.len, &jerr, &perr);
        FUZZ_ASSERT(s.oom || json_is_object(back));
        if (back) { /* packs to the same bytes */
            msgpack_sbuffer sb2;
            msgpack_sbuffer_init(&sb2);
            msgpack_packer pk2;
            msgpack_packer_init(&pk2, &sb2, msgpack_sbuffer_write);
            FUZZ_ASSERT(json_in_record(&pk2, back, &err) == 0);
            FUZZ_ASSERT(sb2.size == sb.size && memcmp(sb2.data, sb.data, sb.size) == 0);
            msgpack_sbuffer_destroy(&sb2);
        }
        json_decref(back);
        textbuf_free(&s);
        msgpack_unpacked_destroy(&one);
    }
    msgpack_sbuffer_destroy(&sb);
    json_decref(obj);
    return 0;
}
