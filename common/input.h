/* input.h: a byte source that reads a file or stdin and transparently
 * decompresses LZ4 frames (detected by their magic number at the start and
 * after each frame, so concatenated frames read as one stream). It knows
 * nothing of msgpack; record.h builds on it. */
#ifndef GM_INPUT_H
#define GM_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct gm_input gm_input;

/* Open path for reading; NULL or "-" means stdin. NULL on error. */
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
