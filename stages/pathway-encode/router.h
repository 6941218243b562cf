/* router.h: pathway-encode's router matrices W_l (mlp.gate.weight of every
 * layer), read from an opened checkpoint, checked finite and widened to
 * double once, as common/pathway.h's pathway_router. Here, beside the one
 * program that needs a checkpoint's routers, so that the pathway metrics in
 * common/ never see the checkpoint API. Spec: method.md step 4. */
#ifndef GM_PE_ROUTER_H
#define GM_PE_ROUTER_H

#include "error.h"
#include "model.h"
#include "pathway.h"

/* NULL with err (GM_EDATA) naming the tensor and element when a router
 * weight is NaN or Inf, or when E is outside 1..65535; GM_ENOMEM. The result
 * owns a copy: m may be closed right after. */
pathway_router *pathway_router_load(const model *m, gm_error *err);
void pathway_router_free(pathway_router *r); /* accepts NULL */

#endif
