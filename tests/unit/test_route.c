/* test_route.c: each router of route.c on hand-made logits whose answer is
 * worked out here by hand (families.md "What changes between families"):
 * the choice, its order and ties, the applied weights and g; the group
 * routers' kept groups, and deepseek_v3's 0.0 mask that a negative biased
 * score loses to, as HF has it. */
#include <math.h>
#include <string.h>

#include "route.h"
#include "test.h"

static model_config config(router_kind r, int64_t E, int64_t K)
{
    model_config c;
    memset(&c, 0, sizeof c);
    c.router = r;
    c.E = E;
    c.K = K;
    c.n_group = c.topk_group = 1;
    c.routed_scale = 1.0;
    return c;
}

static int near(double a, double b) { return fabs(a - b) < 1e-6; }

int main(void)
{
    float scratch[64], w[8], p[16];
    int ids[8];

    /* softmax then top-k: logits ln(1..4) give p = i/10; ties go to the lower index */
    model_config c = config(GM_ROUTER_SOFTMAX_TOPK, 5, 2);
    float lg[5] = {logf(1), logf(4), logf(2), logf(4), logf(1) - 50};
    memcpy(p, lg, sizeof lg);
    fw_route_token(&c, p, NULL, scratch, ids, w);
    double z = 1 + 4 + 2 + 4 + exp(-50);
    CHECK(ids[0] == 1 && ids[1] == 3, "softmax top-2: the tie at 0.36 in index order (%d, %d)", ids[0], ids[1]);
    CHECK(near(w[0], 4 / z) && near(w[1], 4 / z), "raw softmax weights (%g, %g)", w[0], w[1]);
    CHECK(near(p[2], 2 / z), "g is the softmax over all E (%g)", p[2]);
    c.norm_topk_prob = 1;
    c.routed_scale = 2.5;
    memcpy(p, lg, sizeof lg);
    fw_route_token(&c, p, NULL, scratch, ids, w);
    CHECK(near(w[0], 1.25) && near(w[1], 1.25), "renormalized over the k, then scaled (%g, %g)", w[0], w[1]);

    /* deepseek_v2 group-limited: 4 experts in 2 groups, keep 1 group by its max */
    c = config(GM_ROUTER_SOFTMAX_GROUP, 4, 2);
    c.n_group = 2;
    c.topk_group = 1;
    c.routed_scale = 2.0;
    float g2[4] = {logf(3), logf(3), logf(4), logf(0.5f)}; /* group 0 max 3, group 1 max 4 */
    memcpy(p, g2, sizeof g2);
    fw_route_token(&c, p, NULL, scratch, ids, w);
    z = 3 + 3 + 4 + 0.5;
    CHECK(ids[0] == 2 && ids[1] == 3, "v2: only group 1 kept, though group 0 holds the next two (%d, %d)",
          ids[0], ids[1]);
    CHECK(near(w[0], 2 * 4 / z) && near(w[1], 2 * 0.5 / z), "v2: softmax of the chosen times the scale");
    CHECK(near(p[0], 3 / z), "v2: g is the unmasked softmax (%g)", p[0]);

    /* deepseek_v3: sigmoid + bias; groups by the sum of their top two */
    c = config(GM_ROUTER_SIGMOID_GROUP, 4, 2);
    c.n_group = 2;
    c.topk_group = 1;
    c.norm_topk_prob = 1;
    c.routed_scale = 2.5;
    float l3[4] = {0, 0, 2, -2}; /* sigmoids 0.5, 0.5, 0.881, 0.119 */
    float bias[4] = {0, 0, 0, 0};
    memcpy(p, l3, sizeof l3);
    fw_route_token(&c, p, bias, scratch, ids, w);
    double s2 = 1 / (1 + exp(-2.0)), s3 = 1 / (1 + exp(2.0));
    CHECK(ids[0] == 0 && ids[1] == 1, "v3: group 0 (0.5 + 0.5) beats group 1 (%.3f + %.3f): (%d, %d)", s2,
          s3, ids[0], ids[1]);
    CHECK(near(w[0], 1.25) && near(w[1], 1.25), "v3: the chosen sigmoids over their sum, times 2.5");
    CHECK(near(p[2], s2 / (1 + s2 + s3)), "v3: g is the sigmoids over their sum (%g)", p[2]);
    float b3[4] = {0, 0, 0.3f, 0.3f}; /* now group 1 sums to 1.6 > 1.0 */
    memcpy(p, l3, sizeof l3);
    fw_route_token(&c, p, b3, scratch, ids, w);
    CHECK(ids[0] == 2 && ids[1] == 3, "v3: the bias decides the group and the order (%d, %d)", ids[0], ids[1]);
    CHECK(near(w[0], 2.5 * s2 / (s2 + s3)) && near(w[1], 2.5 * s3 / (s2 + s3)),
          "v3: weights without the bias (%g, %g)", w[0], w[1]);
    /* a kept expert's biased score below 0 loses to a dropped group's 0.0 (HF's mask) */
    float b4[4] = {0, 0, 2.0f, -0.9f}; /* group 1: 2.881 + -0.781 = 2.1 beats 1.0; expert 3 at -0.78 */
    memcpy(p, l3, sizeof l3);
    fw_route_token(&c, p, b4, scratch, ids, w);
    CHECK(ids[0] == 2 && ids[1] == 0, "v3: masked 0.0 of expert 0 outranks kept expert 3's -0.78 (%d, %d)",
          ids[0], ids[1]);

    /* granite: top-k of the logits, softmax over the k; g the softmax over all E */
    c = config(GM_ROUTER_TOPK_SOFTMAX, 4, 2);
    float lgr[4] = {1, 3, 2, 3};
    memcpy(p, lgr, sizeof lgr);
    fw_route_token(&c, p, NULL, scratch, ids, w);
    z = exp(1) + 2 * exp(3) + exp(2);
    CHECK(ids[0] == 1 && ids[1] == 3, "granite: top-2 logits, ties in index order (%d, %d)", ids[0], ids[1]);
    CHECK(near(w[0], 0.5) && near(w[1], 0.5), "granite: softmax over the two (%g, %g)", w[0], w[1]);
    CHECK(near(p[0], exp(1) / z), "granite: g is the softmax over all E (%g)", p[0]);
    return test_status();
}
