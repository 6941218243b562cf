/* input.h: a byte source that reads a file or stdin and transparently
 * decompresses LZ4 frames (detected by their magic number at the start and
 * after each frame, so concatenated frames read as one stream). It knows
 * nothing of msgpack; record.h builds on it. Also the one place where every
 * input opened by name is checked to be a regular file (gm_file_open). */
#ifndef GM_INPUT_H
#define GM_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"

typedef struct gm_input gm_input;

/* Open an input named by path for reading, so that no open and no read can
 * wait forever on something that is not a file. The name must be:
 *   - a regular file (symbolic links followed); a directory, FIFO, device or
 *     socket is refused with "PATH: is a FIFO (named pipe), not a regular
 *     file" and the like, before it is opened (a FIFO is never opened, so
 *     nothing waits for a writer);
 *   - or a descriptor name, "/dev/stdin", "/dev/fd/N" or "/proc/self/fd/N"
 *     (what a shell's <(...) passes): a descriptor this process already has,
 *     duplicated and accepted whatever it is, as "-" is for stdin.
 * Returns a new descriptor (close-on-exec, blocking reads), or -1 with err
 * set (GM_EIO). */
int gm_file_open(const char *path, gm_error *err);

/* The same as a stdio stream ("rb"); NULL with err set. */
FILE *gm_file_fopen(const char *path, gm_error *err);

/* Open path for reading; NULL or "-" means stdin, any other name goes through
 * gm_file_open. NULL on error. */
gm_input *gm_input_open(const char *path, gm_error *err);

/* Read up to cap decompressed bytes into buf; *got = 0 means end of input.
 * Returns 0, or -1 with err set (I/O error, corrupt LZ4 frame). */
int gm_input_read(gm_input *in, void *buf, size_t cap, size_t *got, gm_error *err);

/* The name used in messages ("stdin" or the path). */
const char *gm_input_name(const gm_input *in);

/* 1 if any LZ4 frame was seen. */
int gm_input_is_lz4(const gm_input *in);

void gm_input_close(gm_input *in); /* accepts NULL */

#endif
