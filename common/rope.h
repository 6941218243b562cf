/* rope.h: the rotary embedding's frequencies for a config (rope.c): the
 * default theta^(-2i/Dr), or YaRN's blend of interpolated and extrapolated
 * frequencies. The attention factor (YaRN's mscale) is the config's
 * rope_attn_factor. Knows no tensor and no forward pass. */
#ifndef GM_ROPE_H
#define GM_ROPE_H

#include <stdint.h>

#include "model_config.h"

/* The rotated head width Dr: qk_rope under MLA, else Dh. */
int64_t rope_dims(const model_config *c);

/* inv[i], i < Dr/2: the angle per position of rotation pair i, in double. */
void rope_inv_freq(const model_config *c, double *inv);

#endif
