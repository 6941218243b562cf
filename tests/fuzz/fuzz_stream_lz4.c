/* fuzz_stream_lz4: the record decoder behind LZ4 frames. The harness wraps
 * the fuzz bytes in valid LZ4 frames (so mutations reach msgpack decoding
 * instead of failing a checksum), with the first byte choosing block size,
 * checksums, a split into two concatenated frames, a skippable frame and a
 * plain tail, then reads it as every stage does. fuzz_stream covers corrupt
 * frames themselves. Spec: docs/records.md "Streams"; issue 7. */
#include <lz4frame.h>
#include <string.h>

#include "fuzz.h"
#include "record.h"

static size_t frame_append(uint8_t *dst, size_t cap, const uint8_t *src, size_t n, int opts)
{
    LZ4F_preferences_t p;
    memset(&p, 0, sizeof p);
    p.frameInfo.blockSizeID = (opts & 1) ? LZ4F_max64KB : LZ4F_max4MB;
    p.frameInfo.blockMode = (opts & 2) ? LZ4F_blockIndependent : LZ4F_blockLinked;
    p.frameInfo.contentChecksumFlag = (opts & 4) ? LZ4F_contentChecksumEnabled : 0;
    p.frameInfo.blockChecksumFlag = (opts & 8) ? LZ4F_blockChecksumEnabled : 0;
    p.frameInfo.contentSize = (opts & 16) ? n : 0;
    size_t z = LZ4F_compressFrame(dst, cap, src, n, &p);
    return LZ4F_isError(z) ? 0 : z;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    int opts = data[0];
    data++;
    size--;
    size_t cut = (opts & 32) ? size / 2 : size; /* two frames: split mid-record */
    size_t cap = 2 * (LZ4F_compressFrameBound(size, NULL) + 64) + 16 + size;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return 0;
    size_t len = 0;
    int plain_tail_looks_lz4 = 0; /* a plain tail that starts with a frame magic is a frame */
    if (opts & 64) { /* a skippable frame first: readers must step over it */
        static const uint8_t skip[] = {0x5a, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 'a', 'b', 'c'};
        memcpy(buf, skip, sizeof skip);
        len = sizeof skip;
    }
    size_t z = frame_append(buf + len, cap - len, data, cut, opts);
    if (!z) {
        free(buf);
        return 0;
    }
    len += z;
    if (cut < size) {
        if (opts & 128) { /* the rest as plain bytes after the frame */
            const uint8_t *p = data + cut;
            uint32_t m = size - cut >= 4 ? (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                                           (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24 : 0;
            plain_tail_looks_lz4 = m == 0x184D2204u || (m & 0xFFFFFFF0u) == 0x184D2A50u;
            memcpy(buf + len, data + cut, size - cut);
            len += size - cut;
        } else {
            z = frame_append(buf + len, cap - len, data + cut, size - cut, opts >> 1);
            if (!z) {
                free(buf);
                return 0;
            }
            len += z;
        }
    }
    char path[64];
    int fd = fuzz_file(buf, len, path, sizeof path);
    free(buf);
    if (fd < 0)
        return 0;
    gm_error err = {0};
    record_reader *r = record_reader_open(path, &err);
    int got = -1, n = 0;
    if (r) {
        const msgpack_object *rec;
        while (n < 4096 && (got = record_reader_next(r, &rec, &err)) > 0) {
            FUZZ_ASSERT(rec->type == MSGPACK_OBJECT_MAP);
            n++;
        }
    }
    if (got < 0) {
        FUZZ_ASSERT_ERROR(&err);
        /* the frames are valid, so no error may blame LZ4 */
        FUZZ_ASSERT(!strstr(err.msg, "LZ4") || plain_tail_looks_lz4);
    }
    record_reader_close(r);
    fuzz_file_close(fd);
    return 0;
}
