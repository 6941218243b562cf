/* output.c: stdout or an atomically written file, optionally LZ4-framed.
 * The file is written as .NAME.tmp.PID beside NAME and renamed on commit;
 * SIGINT/SIGTERM/SIGHUP remove pending temporaries before dying. A NAME that
 * is a device, FIFO or socket (-o /dev/null) is written in place: renaming
 * over it would replace the device with a file; a NAME that is a symbolic
 * link is written through it (the temporary beside its target, the link kept). It does not
 * buffer: callers (record_writer) hand it large blocks. */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <lz4frame.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LZ4_CHUNK (1 << 16)
#define MAX_PENDING 16

struct gm_output {
    int fd;
    char *path;   /* final name, NULL for stdout */
    char *tmp;    /* temporary name while writing */
    int slot;     /* index in pending_tmp */
    LZ4F_cctx *cctx;
    unsigned char *zbuf;
    size_t zcap;
    LZ4F_preferences_t prefs;
};

/* Temporaries to remove if a signal ends the process. Written only outside
 * signal context; read by the handler. */
static char *volatile pending_tmp[MAX_PENDING];

static void on_fatal_signal(int sig)
{
    for (int i = 0; i < MAX_PENDING; i++)
        if (pending_tmp[i])
            unlink(pending_tmp[i]);
    signal(sig, SIG_DFL);
    raise(sig);
}

static int track_tmp(char *tmp)
{
    static int handlers_installed;
    if (!handlers_installed) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_fatal_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        handlers_installed = 1;
    }
    for (int i = 0; i < MAX_PENDING; i++)
        if (!pending_tmp[i]) {
            pending_tmp[i] = tmp;
            return i;
        }
    return -1;
}

static void untrack_tmp(gm_output *out)
{
    if (out->slot >= 0)
        pending_tmp[out->slot] = NULL;
    out->slot = -1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int write_all(gm_output *out, const void *buf, size_t n, gm_error *err)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(out->fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EPIPE)
                return gm_fail(err, GM_EPIPE, "output pipe closed");
            return gm_fail(err, GM_EIO, "%s: write failed: %s",
                           out->path ? out->path : "stdout", strerror(errno));
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* A path that exists and is not a regular file or a link: open it as it is.
 * Leaves out->fd -1 when the path is for the temporary-and-rename way. */
static int open_in_place(gm_output *out, const char *path, gm_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0 || S_ISREG(st.st_mode))
        return 0;
    if (S_ISDIR(st.st_mode))
        return gm_fail(err, GM_EIO, "%s: is a directory", path);
    if (!(out->path = strdup(path)))
        return gm_fail(err, GM_ENOMEM, "out of memory opening output");
    out->fd = open(path, O_WRONLY | O_CLOEXEC);
    if (out->fd < 0)
        return gm_fail(err, GM_EIO, "%s: cannot open: %s", path, strerror(errno));
    return 0;
}

gm_output *gm_output_open(const char *path, int flags, gm_error *err)
{
    gm_output *out = calloc(1, sizeof *out);
    if (!out) {
        gm_fail(err, GM_ENOMEM, "out of memory opening output");
        return NULL;
    }
    out->slot = -1;
    out->fd = -1;
    int lz4 = flags & GM_OUT_LZ4;
    if (!path || strcmp(path, "-") == 0) {
        if (!(flags & GM_OUT_ALLOW_TTY) && isatty(STDOUT_FILENO)) {
            gm_fail(err, GM_EUSAGE, "refusing to write binary records to a terminal; "
                                    "use -o FILE or a pipe");
            free(out);
            return NULL;
        }
        out->fd = STDOUT_FILENO;
    } else if (open_in_place(out, path, err) != 0) {
        gm_output_abort(out);
        return NULL;
    } else if (out->fd >= 0) {
        lz4 |= ends_with(path, ".lz4");
    } else {
        lz4 |= ends_with(path, ".lz4");
        char *real = NULL;
        struct stat lst;
        if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
            real = realpath(path, NULL); /* NULL when dangling: replaced like a file */
        const char *target = real ? real : path;
        char *copy = strdup(target), *copy2 = strdup(target);
        out->path = strdup(target);
        free(real);
        size_t cap = strlen(path) + 64;
        out->tmp = malloc(cap);
        if (!copy || !copy2 || !out->path || !out->tmp) {
            free(copy);
            free(copy2);
            gm_output_abort(out);
            gm_fail(err, GM_ENOMEM, "out of memory opening output");
            return NULL;
        }
        snprintf(out->tmp, cap, "%s/.%s.tmp.%ld", dirname(copy), basename(copy2), (long)getpid());
        free(copy);
        free(copy2);
        out->fd = open(out->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out->fd < 0) {
            gm_fail(err, GM_EIO, "%s: cannot create: %s", path, strerror(errno));
            free(out->tmp);
            out->tmp = NULL;
            gm_output_abort(out);
            return NULL;
        }
        out->slot = track_tmp(out->tmp);
    }
    if (lz4) {
        /* checksums let a reader detect a flipped byte instead of decoding garbage */
        memset(&out->prefs, 0, sizeof out->prefs);
        out->prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
        out->prefs.frameInfo.blockChecksumFlag = LZ4F_blockChecksumEnabled;
        out->zcap = LZ4F_compressBound(LZ4_CHUNK, &out->prefs);
        if (out->zcap < LZ4F_HEADER_SIZE_MAX)
            out->zcap = LZ4F_HEADER_SIZE_MAX;
        out->zbuf = malloc(out->zcap);
        if (!out->zbuf || LZ4F_isError(LZ4F_createCompressionContext(&out->cctx, LZ4F_VERSION))) {
            gm_output_abort(out);
            gm_fail(err, GM_ENOMEM, "out of memory creating LZ4 context");
            return NULL;
        }
        size_t n = LZ4F_compressBegin(out->cctx, out->zbuf, out->zcap, &out->prefs);
        if (LZ4F_isError(n) || write_all(out, out->zbuf, n, err) < 0) {
            if (LZ4F_isError(n))
                gm_fail(err, GM_EIO, "LZ4 compression failed: %s", LZ4F_getErrorName(n));
            gm_output_abort(out);
            return NULL;
        }
    }
    return out;
}

int gm_output_write(gm_output *out, const void *buf, size_t n, gm_error *err)
{
    if (!out->cctx)
        return write_all(out, buf, n, err);
    const char *p = buf;
    while (n > 0) {
        size_t chunk = n < LZ4_CHUNK ? n : LZ4_CHUNK;
        size_t z = LZ4F_compressUpdate(out->cctx, out->zbuf, out->zcap, p, chunk, NULL);
        if (LZ4F_isError(z))
            return gm_fail(err, GM_EIO, "LZ4 compression failed: %s", LZ4F_getErrorName(z));
        if (write_all(out, out->zbuf, z, err) < 0)
            return -1;
        p += chunk;
        n -= chunk;
    }
    return 0;
}

int gm_output_commit(gm_output *out, gm_error *err)
{
    if (out->cctx) {
        size_t z = LZ4F_compressEnd(out->cctx, out->zbuf, out->zcap, NULL);
        if (LZ4F_isError(z)) {
            gm_fail(err, GM_EIO, "LZ4 compression failed: %s", LZ4F_getErrorName(z));
            gm_output_abort(out);
            return -1;
        }
        if (write_all(out, out->zbuf, z, err) < 0) {
            gm_output_abort(out);
            return -1;
        }
    }
    if (out->path) {
        int rc = close(out->fd);
        out->fd = -1;
        if (rc < 0) {
            gm_fail(err, GM_EIO, "%s: write failed on close: %s", out->path, strerror(errno));
            gm_output_abort(out);
            return -1;
        }
        if (out->tmp && rename(out->tmp, out->path) < 0) {
            gm_fail(err, GM_EIO, "%s: cannot rename into place: %s", out->path, strerror(errno));
            gm_output_abort(out);
            return -1;
        }
        untrack_tmp(out);
        free(out->tmp);
        out->tmp = NULL;
    }
    gm_output_abort(out); /* frees what is left; nothing to remove now */
    return 0;
}

void gm_output_abort(gm_output *out)
{
    if (!out)
        return;
    if (out->path && out->fd >= 0)
        close(out->fd);
    if (out->tmp) {
        untrack_tmp(out);
        unlink(out->tmp);
    }
    LZ4F_freeCompressionContext(out->cctx);
    free(out->zbuf);
    free(out->tmp);
    free(out->path);
    free(out);
}
