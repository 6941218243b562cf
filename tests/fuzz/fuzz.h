/* fuzz.h: what every fuzz target shares: the libFuzzer entry point's
 * prototype and a way to hand fuzz bytes to parsers that only take a path
 * (an anonymous memfd, reopened as /proc/self/fd/N, so nothing touches disk).
 * It does not choose inputs or check results; each fuzz_*.c does. See
 * tests/fuzz/README.md and issue 7 "Fuzzing". */
#ifndef GM_FUZZ_H
#define GM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An in-memory file holding data[0..size); *path gets a name for it that
 * open(2)/fopen(3) accept. Returns the fd (close it with fuzz_file_close),
 * or -1, in which case the caller skips the input. */
static inline int fuzz_file(const uint8_t *data, size_t size, char *path, size_t cap)
{
    int fd = memfd_create("fuzz", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)w;
    }
    /* the stages open /proc/self/fd/N by duplicating the descriptor (a shell's
     * <(...)), so they share its offset: rewind, or every read sees the end */
    if (lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        return -1;
    }
    snprintf(path, cap, "/proc/self/fd/%d", fd);
    return fd;
}

static inline void fuzz_file_close(int fd)
{
    if (fd >= 0)
        close(fd);
}

/* An invariant the parser promised and broke: crash loudly so the fuzzer
 * keeps the input (abort is what libFuzzer and the replay both report). */
#define FUZZ_ASSERT(cond)                                                       \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                     \
            abort();                                                            \
        }                                                                       \
    } while (0)

/* A failure must be reported the way error.h promises: a code and a
 * non-empty one-line message. */
#define FUZZ_ASSERT_ERROR(err)                                                  \
    FUZZ_ASSERT((err)->code != 0 && (err)->msg[0] && !strchr((err)->msg, '\n'))

#endif
