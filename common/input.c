/* input.c: bytes from a file or stdin, LZ4 frames decompressed on the fly.
 * A frame is recognised by its magic at the start of the input and right
 * after each frame ends; bytes that do not start with a frame magic there are
 * passed through as plain data until the end. It does not look at msgpack.
 * gm_file_open, the check every input opened by name goes through (regular
 * files only, or a descriptor the process already has), is here too. */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <lz4frame.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAW_CAP (1 << 16)
#define LZ4_MAGIC 0x184D2204u
#define LZ4_SKIPPABLE_MASK 0xFFFFFFF0u
#define LZ4_SKIPPABLE_MAGIC 0x184D2A50u

enum mode { AT_BOUNDARY, IN_FRAME, PLAIN };

struct gm_input {
    int fd;
    char *name;
    unsigned char raw[RAW_CAP]; /* bytes read from fd, not yet consumed */
    size_t raw_pos, raw_len;
    int eof;
    enum mode mode;
    LZ4F_dctx *dctx;
    int lz4_seen;
    uint64_t raw_offset;        /* file offset of raw[raw_pos] */
    uint64_t frame_offset;      /* file offset where the current LZ4 frame began */
};

/* ---- opening an input by name ------------------------------------------ */

/* The descriptor a descriptor name stands for ("/dev/stdin" 0, "/dev/fd/N" and
 * "/proc/self/fd/N" N), or -1 for any other name. */
static int descriptor_of(const char *path)
{
    if (strcmp(path, "/dev/stdin") == 0)
        return STDIN_FILENO;
    const char *n = NULL;
    if (strncmp(path, "/dev/fd/", 8) == 0)
        n = path + 8;
    else if (strncmp(path, "/proc/self/fd/", 14) == 0)
        n = path + 14;
    if (!n || *n < '0' || *n > '9' || strlen(n) > 9)
        return -1;
    int fd = 0;
    for (; *n; n++) {
        if (*n < '0' || *n > '9')
            return -1;
        fd = fd * 10 + (*n - '0');
    }
    return fd;
}

/* "PATH: is a FIFO (named pipe), not a regular file" and the like; -1. */
static int not_regular(const char *path, mode_t mode, gm_error *err)
{
    const char *what = S_ISDIR(mode)    ? "a directory"
                       : S_ISFIFO(mode) ? "a FIFO (named pipe)"
                       : S_ISCHR(mode)  ? "a character device"
                       : S_ISBLK(mode)  ? "a block device"
                       : S_ISSOCK(mode) ? "a socket"
                                        : "not a file";
    return gm_fail(err, GM_EIO, "%s: is %s, not a regular file", path, what);
}

int gm_file_open(const char *path, gm_error *err)
{
    int given = descriptor_of(path);
    if (given >= 0) {
        int fd = fcntl(given, F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
            return gm_fail(err, GM_EIO, "%s: cannot open: %s", path, strerror(errno));
        return fd;
    }
    /* Look before opening: opening a FIFO waits for a writer, and opening a
     * device can do things. Then open without waiting and look again, in case
     * the name changed in between. */
    struct stat st;
    if (stat(path, &st) < 0)
        return gm_fail(err, GM_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return not_regular(path, st.st_mode, err);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return gm_fail(err, GM_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return gm_fail(err, GM_EIO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return not_regular(path, st.st_mode, err);
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
        int e = errno;
        close(fd);
        return gm_fail(err, GM_EIO, "%s: cannot open: %s", path, strerror(e));
    }
    return fd;
}

FILE *gm_file_fopen(const char *path, gm_error *err)
{
    int fd = gm_file_open(path, err);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        gm_fail(err, GM_ENOMEM, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
    }
    return f;
}

/* ---- the byte source ------------------------------------------------------ */

gm_input *gm_input_open(const char *path, gm_error *err)
{
    gm_input *in = calloc(1, sizeof *in);
    if (!in) {
        gm_fail(err, GM_ENOMEM, "out of memory opening input");
        return NULL;
    }
    if (!path || strcmp(path, "-") == 0) {
        in->fd = STDIN_FILENO;
        in->name = strdup("stdin");
    } else {
        in->fd = gm_file_open(path, err);
        in->name = strdup(path);
        if (in->fd < 0) {
            gm_input_close(in);
            return NULL;
        }
    }
    if (!in->name) {
        gm_fail(err, GM_ENOMEM, "out of memory opening input");
        gm_input_close(in);
        return NULL;
    }
    return in;
}

/* Refill raw so that at least `want` bytes are buffered, unless at EOF. */
static int fill(gm_input *in, size_t want, gm_error *err)
{
    if (in->raw_pos > 0 && in->raw_len - in->raw_pos < want) {
        memmove(in->raw, in->raw + in->raw_pos, in->raw_len - in->raw_pos);
        in->raw_len -= in->raw_pos;
        in->raw_pos = 0;
    }
    while (!in->eof && in->raw_len - in->raw_pos < want && in->raw_len < RAW_CAP) {
        ssize_t n = read(in->fd, in->raw + in->raw_len, RAW_CAP - in->raw_len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return gm_fail(err, GM_EIO, "%s: read failed: %s", in->name, strerror(errno));
        }
        if (n == 0)
            in->eof = 1;
        in->raw_len += (size_t)n;
    }
    return 0;
}

static void consume(gm_input *in, size_t n)
{
    in->raw_pos += n;
    in->raw_offset += n;
}

static uint32_t read_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int gm_input_read(gm_input *in, void *buf, size_t cap, size_t *got, gm_error *err)
{
    *got = 0;
    while (*got == 0 && cap > 0) {
        if (fill(in, in->mode == AT_BOUNDARY ? 4 : 1, err) < 0)
            return -1;
        size_t avail = in->raw_len - in->raw_pos;
        if (avail == 0) {
            if (in->mode == IN_FRAME)
                return gm_fail(err, GM_EDATA, "%s: truncated LZ4 frame: the input ends at byte %llu inside the frame starting at byte %llu",
                               in->name, (unsigned long long)in->raw_offset, (unsigned long long)in->frame_offset);
            return 0; /* clean end */
        }
        if (in->mode == AT_BOUNDARY) {
            uint32_t magic = avail >= 4 ? read_le32(in->raw + in->raw_pos) : 0;
            if (magic == LZ4_MAGIC || (magic & LZ4_SKIPPABLE_MASK) == LZ4_SKIPPABLE_MAGIC) {
                if (!in->dctx && LZ4F_isError(LZ4F_createDecompressionContext(&in->dctx, LZ4F_VERSION)))
                    return gm_fail(err, GM_ENOMEM, "%s: cannot create LZ4 context", in->name);
                in->mode = IN_FRAME;
                in->lz4_seen = 1;
                in->frame_offset = in->raw_offset;
            } else {
                in->mode = PLAIN;
            }
        }
        if (in->mode == PLAIN) {
            size_t n = avail < cap ? avail : cap;
            memcpy(buf, in->raw + in->raw_pos, n);
            consume(in, n);
            *got = n;
            continue;
        }
        size_t src = avail, dst = cap;
        size_t hint = LZ4F_decompress(in->dctx, buf, &dst, in->raw + in->raw_pos, &src, NULL);
        if (LZ4F_isError(hint)) {
            return gm_fail(err, GM_EDATA, "%s: corrupt LZ4 frame (the frame starting at byte %llu): %s",
                           in->name, (unsigned long long)in->frame_offset, LZ4F_getErrorName(hint));
        }
        consume(in, src);
        *got = dst;
        if (hint == 0)
            in->mode = AT_BOUNDARY; /* frame complete: another may follow */
    }
    return 0;
}

const char *gm_input_name(const gm_input *in) { return in->name; }
int gm_input_is_lz4(const gm_input *in) { return in->lz4_seen; }

void gm_input_close(gm_input *in)
{
    if (!in)
        return;
    if (in->fd > STDIN_FILENO)
        close(in->fd);
    LZ4F_freeDecompressionContext(in->dctx);
    free(in->name);
    free(in);
}
