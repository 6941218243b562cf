/* rope.c: rotary frequencies, after HF modeling_rope_utils.py
 * (_compute_default_rope_parameters, _compute_yarn_parameters): YaRN keeps
 * the high frequencies (more than beta_fast turns over the original context),
 * divides the low ones (fewer than beta_slow turns) by the factor, and ramps
 * linearly between, the ramp's ends floored / ceiled unless truncate is false. */
#include "rope.h"

#include <math.h>

int64_t rope_dims(const model_config *c)
{
    return c->attn == GM_ATTN_MLA ? c->qk_rope : c->Dh;
}

void rope_inv_freq(const model_config *c, double *inv)
{
    int64_t dim = rope_dims(c), half = dim / 2;
    double base = c->rope_theta;
    for (int64_t i = 0; i < half; i++)
        inv[i] = pow(base, -2.0 * (double)i / (double)dim);
    if (c->rope != GM_ROPE_YARN)
        return;
    const double pi = 3.14159265358979323846;
    double low = (double)dim * log(c->yarn_omax / (c->yarn_beta_fast * 2 * pi)) / (2 * log(base));
    double high = (double)dim * log(c->yarn_omax / (c->yarn_beta_slow * 2 * pi)) / (2 * log(base));
    if (c->yarn_truncate) {
        low = floor(low);
        high = ceil(high);
    }
    if (low < 0)
        low = 0;
    if (high > (double)(dim - 1))
        high = (double)(dim - 1);
    if (low == high)
        high += 0.001; /* no division by zero */
    for (int64_t i = 0; i < half; i++) {
        double ramp = ((double)i - low) / (high - low);
        ramp = ramp < 0 ? 0 : ramp > 1 ? 1 : ramp;
        double extra = 1.0 - ramp; /* the extrapolated share */
        inv[i] = inv[i] / c->yarn_factor * (1.0 - extra) + inv[i] * extra;
    }
}
