/* route.h: one token's routing decision from its router logits, for each
 * router kind of families.md (route.c): which K experts, the weights the model
 * applies to them, and g, the distribution over all E experts the selection
 * ranks (what router_mean averages). Used by moe.c; knows no weights. */
#ifndef GM_ROUTE_H
#define GM_ROUTE_H

#include <stdint.h>

#include "model_config.h"

/* p [E]: the router logits in, g out. bias [E]: deepseek_v3's selection bias
 * (NULL otherwise). scratch: 2E + n_group floats. ids [K]: the chosen experts
 * by descending selection score, ties to the lower index; w [K] their applied
 * weights (renormalized, times routed_scaling_factor, as the family does). */
void fw_route_token(const model_config *c, float *p, const float *bias, float *scratch,
                    int *ids, float *w);

#endif
