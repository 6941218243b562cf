/* mapped_file.c: an input file as one span of bytes. Regular files are
 * memory-mapped (read-only, never read whole: OLMo token files are tens of
 * GB); a pipe named by a descriptor name (/dev/stdin, /dev/fd/N: a shell's
 * <(...)) is read into memory as it is, and "-" (stdin) through gm_input, so
 * LZ4 frames are undone. Named FIFOs and devices are refused (gm_file_open).
 * It does not interpret the bytes. design.md "reader". */
#include "reader.h"

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input.h"

size_t mapped_files_find(const int64_t *first, size_t n, int64_t index, int64_t *local)
{
    size_t lo = 0, hi = n; /* the last file whose first <= index */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (first[mid] <= index)
            lo = mid;
        else
            hi = mid;
    }
    *local = index - first[lo];
    return lo;
}

static int only_space(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return 0;
    return 1;
}

int line_index_add(line_index *ix, const mapped_file *f, size_t part, gm_error *err)
{
    size_t at = 0;
    int64_t lineno = 0;
    while (at < f->size) {
        const uint8_t *nl = memchr(f->data + at, '\n', f->size - at);
        size_t len = nl ? (size_t)(nl - (f->data + at)) : f->size - at;
        lineno++;
        if (!only_space(f->data + at, len)) {
            if (ix->n == ix->cap) {
                size_t cap = ix->cap ? ix->cap * 2 : 1024;
                text_line *grown = realloc(ix->v, cap * sizeof *grown);
                if (!grown)
                    return gm_fail(err, GM_ENOMEM, "%s: out of memory indexing line %" PRId64,
                                   f->path, lineno);
                ix->v = grown;
                ix->cap = cap;
            }
            ix->v[ix->n++] = (text_line){part, at, len, lineno};
        }
        at += len + 1;
    }
    return 0;
}

void line_index_free(line_index *ix)
{
    free(ix->v);
    memset(ix, 0, sizeof *ix);
}

const char *path_base(const char *path)
{
    if (!path || strcmp(path, "-") == 0)
        return "stdin";
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Read all of in into a malloc'd buffer. */
static int input_slurp(gm_input *in, uint8_t **out, size_t *size, gm_error *err)
{
    size_t cap = 1 << 16, used = 0;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return gm_fail(err, GM_ENOMEM, "%s: out of memory", gm_input_name(in));
    for (;;) {
        if (cap - used < 4096) {
            uint8_t *grown = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                return gm_fail(err, GM_ENOMEM, "%s: out of memory reading %zu bytes",
                               gm_input_name(in), used);
            }
            buf = grown;
            cap *= 2;
        }
        size_t got = 0;
        if (gm_input_read(in, buf + used, cap - used, &got, err) < 0) {
            free(buf);
            return -1;
        }
        if (got == 0)
            break;
        used += got;
    }
    *out = buf;
    *size = used;
    return 0;
}

static int slurp_input(mapped_file *mf, const char *path, gm_error *err)
{
    gm_input *in = gm_input_open(path, err);
    if (!in)
        return -1;
    uint8_t *buf = NULL;
    size_t size = 0;
    int rc = input_slurp(in, &buf, &size, err);
    gm_input_close(in);
    if (rc < 0)
        return -1;
    mf->data = buf;
    mf->size = size;
    mf->mapped = 0;
    return 0;
}

/* A pipe given by a descriptor name: read it all, bytes as they are; closes fd. */
static int slurp_fd(mapped_file *mf, int fd, const char *path, gm_error *err)
{
    size_t cap = 1 << 16, used = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        if (cap - used < 4096) {
            uint8_t *grown = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!grown)
                break;
            buf = grown;
            cap *= 2;
        }
        ssize_t got = read(fd, buf + used, cap - used);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return gm_fail(err, GM_EIO, "%s: read failed after %zu bytes: %s", path, used,
                           strerror(e));
        }
        if (got == 0) {
            close(fd);
            mf->data = buf;
            mf->size = used;
            return 0;
        }
        used += (size_t)got;
    }
    free(buf);
    close(fd);
    return gm_fail(err, GM_ENOMEM, "%s: out of memory after reading %zu bytes", path, used);
}

int mapped_file_open(mapped_file *mf, const char *path, gm_error *err)
{
    memset(mf, 0, sizeof *mf);
    mf->path = strcmp(path, "-") == 0 ? "stdin" : path;
    mf->base = path_base(path);
    if (strcmp(path, "-") == 0)
        return slurp_input(mf, "-", err);

    /* a regular file, or a descriptor name (/dev/fd/N: a shell's <(...)), which
     * may be a pipe; a named FIFO or a device is refused (gm_file_open) */
    int fd = gm_file_open(path, err);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return gm_fail(err, GM_EIO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return gm_fail(err, GM_EIO, "%s: is a directory, not a regular file", path);
    }
    if (!S_ISREG(st.st_mode))
        return slurp_fd(mf, fd, path, err);
    if (st.st_size == 0) {
        close(fd);
        return 0;
    }
    if ((uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return gm_fail(err, GM_EIO, "%s: too large to map", path);
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED)
        return gm_fail(err, GM_EIO, "%s: cannot mmap %lld bytes: %s", path,
                       (long long)st.st_size, strerror(e));
    mf->data = p;
    mf->size = (size_t)st.st_size;
    mf->mapped = 1;
    return 0;
}

int mapped_file_open_text(mapped_file *mf, const char *path, gm_error *err)
{
    if (mapped_file_open(mf, path, err) < 0)
        return -1;
    if (!mf->mapped || mf->size < 4 || memcmp(mf->data, "\x04\x22\x4d\x18", 4) != 0)
        return 0;
    mapped_file_close(mf); /* LZ4 frames: decompress through gm_input */
    return slurp_input(mf, path, err);
}

void mapped_file_close(mapped_file *mf)
{
    if (!mf || !mf->data)
        return;
    if (mf->mapped)
        munmap((void *)mf->data, mf->size);
    else
        free((void *)mf->data);
    mf->data = NULL;
    mf->size = 0;
}
