/* test_pathway_metrics.c: unit tests of common/pathway.c (ranking, string
 * parsing and its errors), common/memorize.c (t*, calibration) and
 * common/pair_stats.c (pair sampling: distinct, sorted, uniform; means on
 * hand-computed strings). Expected values are worked out by hand in the
 * comments, not by the code under test. The stage tests compare the whole
 * stages with the Python reference. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "memorize.h"
#include "pair_stats.h"
#include "pathway.h"
#include "test.h"

static void test_rank(void)
{
    /* weights 0.25 x4 at 1,3,5,7 and 0 elsewhere; tau 0.5: 0.25, 0.5 (not > 0.5), 0.75 */
    float g[8] = {0, 0.25f, 0, 0.25f, 0, 0.25f, 0, 0.25f};
    uint16_t order[8];
    size_t kept = pathway_layer_rank(g, 8, 0.5, order);
    CHECK(kept == 3 && order[0] == 1 && order[1] == 3 && order[2] == 5,
          "ties lower index first, cumulative strictly above tau (kept %zu: %u %u %u)", kept,
          order[0], order[1], order[2]);
    /* limit never exceeded: all experts with weight > 0 */
    kept = pathway_layer_rank(g, 8, 1.5, order);
    CHECK(kept == 4, "limit above the sum keeps every expert with weight > 0 (kept %zu)", kept);

    float two[2 * 3] = {0.5f, 0.3f, 0.2f, 0.1f, 0.1f, 0.8f};
    char *s = NULL;
    uint16_t counts[2];
    CHECK(pathway_string(two, 2, 3, 0.7, 0, &s, counts, NULL) == 0 && strcmp(s, "0,1-2") == 0
          && counts[0] == 2 && counts[1] == 1, "pathway string of two layers: %s", s ? s : "(null)");
    free(s);
    /* relative: row sums 0.5 and 0.25; tau 0.7 of them: 0.35 -> 0.3,0.2; 0.175 -> 0.2 */
    float tk[2 * 3] = {0.0f, 0.3f, 0.2f, 0.05f, 0.0f, 0.2f};
    CHECK(pathway_string(tk, 2, 3, 0.7, 1, &s, counts, NULL) == 0 && strcmp(s, "1,2-2") == 0,
          "top-k weights: threshold relative to the row sum: %s", s ? s : "(null)");
    free(s);
    gm_error err = {0};
    float bad[3] = {0.5f, -0.1f, 0.6f};
    CHECK(pathway_check(bad, 1, 3, &err) < 0 && strstr(err.msg, "layer 0 expert 1"),
          "a negative weight is rejected: %s", err.msg);
    float zero[3] = {0, 0, 0};
    CHECK(pathway_check(zero, 1, 3, &err) < 0 && strstr(err.msg, "all zero"), "an all-zero layer: %s", err.msg);
    /* C with cosines 0.5, 1.0, 0.25 (L 4): 1 - (0.5 + 1 + 0.25) / (1 + 1e-8) / 3 */
    double cos[3] = {0.5, 1.0, 0.25}, c, sv;
    pathway_consistency(cos, 4, &c, &sv);
    double want = 1.0 - (0.5 / (1 + 1e-8) + 1.0 / (1 + 1e-8) + 0.25 / (1 + 1e-8)) / 3.0;
    CHECK(fabs(c - want) < 1e-15 && fabs(sv - (1 - want)) < 1e-15, "C %.17g and S %.17g", c, sv);
}

static void test_symbols(void)
{
    uint16_t sym[32];
    size_t n, start[3], len[3];
    gm_error err = {0};
    CHECK(pathway_symbols("3,10-7-0,1", 3, 16, 0, sym, &n, start, len, &err) == 0 && n == 10
          && start[1] == 5 && len[1] == 1 && start[2] == 7 && len[2] == 3 && sym[1] == ',',
          "chars: 10 symbols, layer 1 at 5, layer 2 '0,1' at 7");
    CHECK(pathway_symbols("3,10-7-0,1", 3, 16, 1, sym, &n, start, len, &err) == 0 && n == 7
          && sym[0] == 3 && sym[1] == 10 && sym[2] == PATHWAY_SEP_SYMBOL && sym[3] == 7
          && start[2] == 5 && len[2] == 2 && len[0] == 2,
          "experts: 3 10 | 7 | 0 1 = 7 symbols");
    const char *bad[][2] = {
        {"3,10-7", "has 2 layers, n_layers says 3"}, {"3,10-7-0-1", "more than 3 layers"},
        {"3,-7-0", "expected an expert id at character 2"}, {"3-7-16", "not below 16 experts"},
        {"3-07-1", "leading zero"}, {"3-7-1-", "more than 3 layers"}, {"3-7;1", "unexpected character ';'"},
        {"", "expected an expert id at character 0"},
    };
    for (size_t q = 0; q < sizeof bad / sizeof bad[0]; q++) {
        err.msg[0] = 0;
        int rc = pathway_symbols(bad[q][0], 3, 16, 0, sym, &n, start, len, &err);
        CHECK(rc < 0 && err.code == GM_EDATA && strstr(err.msg, bad[q][1]), "'%s' rejected: %s",
              bad[q][0], err.msg);
    }
}

static void test_memorize(void)
{
    double a[3] = {3.0, 1.0, 1.0};
    CHECK(memorize_index(a, 3, 1.0, 0.05) == 1, "[3, 1, 1] eps 1: t* = 1 (<= is inclusive)");
    CHECK(memorize_index(a, 3, 0.9, 0.05) == -1, "[3, 1, 1] eps 0.9: not memorized");
    double b[3] = {0.5, 0.9, 1.0};
    CHECK(memorize_index(b, 3, 1.0, 0.05) == 2, "[0.5, 0.9, 1.0]: |0.9 - 1.0| > delta, so t* = 2");
    CHECK(memorize_index(b, 3, 1.0, 0.6) == 0, "same with delta 0.6: t* = 0");
    double c[3] = {0.5, NAN, 0.5};
    CHECK(memorize_index(c, 3, 1.0, 0.05) == 2, "a nil loss breaks the run: t* = 2");
    double d[3] = {0.5, 0.5, NAN};
    CHECK(memorize_index(d, 3, 1.0, 0.05) == -1, "a nil last loss: not memorized");

    /* 10 samples; sample i flattens at loss (i + 1) / 2 from checkpoint 1 on, T = 3:
     * eps 0.5 -> 1 of 10, eps 1.0 -> 2 of 10 = 20 %: the first eps in the band is 1.0 */
    double rows[10 * 3];
    for (int i = 0; i < 10; i++) {
        rows[i * 3] = 9.0;
        rows[i * 3 + 1] = rows[i * 3 + 2] = (i + 1) / 2.0;
    }
    memorize_calibration cal;
    memorize_calibrate(rows, 10, 3, 0.05, MEMORIZE_SEARCH_GRID, &cal);
    CHECK(cal.eps == 1.0 && cal.before_last == 2 && cal.in_band, "grid: calibrated eps %g, %zu of 10",
          cal.eps, cal.before_last);
    memorize_calibrate(rows, 10, 3, 0.05, MEMORIZE_SEARCH_VALUES, &cal);
    CHECK(cal.eps == 1.0 && cal.before_last == 2 && cal.in_band, "values: calibrated eps %g, %zu of 10",
          cal.eps, cal.before_last);
    /* losses that sit between grid points (2.290 .. 2.299): the grid jumps from
     * 0 % (eps 2.2) to 100 % (eps 2.3) and misses the band; the values reach it */
    for (int i = 0; i < 10; i++)
        rows[i * 3 + 1] = rows[i * 3 + 2] = 2.29 + 0.001 * i;
    memorize_calibrate(rows, 10, 3, 0.05, MEMORIZE_SEARCH_GRID, &cal);
    CHECK(!cal.in_band, "grid misses the band between grid points (eps %g, %zu of 10)", cal.eps,
          cal.before_last);
    memorize_calibrate(rows, 10, 3, 0.05, MEMORIZE_SEARCH_VALUES, &cal);
    CHECK(cal.in_band && cal.before_last == 2 && cal.eps == 2.29 + 0.001,
          "values reach it: eps %.17g, %zu of 10", cal.eps, cal.before_last);
    memorize_calibration ev;
    memorize_evaluate(rows, 10, 3, cal.eps, 0.05, &ev);
    CHECK(ev.before_last == 2 && ev.in_band, "the chosen eps evaluates to the same count");
    /* a sample whose last two losses differ by more than delta never counts */
    rows[1 * 3 + 1] = 1.0;
    CHECK(isinf(memorize_eps_needed(rows + 3, 3, 0.05)), "unstable at the end: no eps memorizes it");
    CHECK(memorize_eps_needed(rows, 3, 0.05) == 2.29, "stable: the larger of the last two");
    /* all ten flatten at 1.0: 0 % then 100 %; the grid keeps the closer 0 % (eps
     * 0.1), the values search only eps that memorize someone: 100 %; both out of band */
    for (int i = 0; i < 10; i++)
        rows[i * 3 + 1] = rows[i * 3 + 2] = 1.0;
    memorize_calibrate(rows, 10, 3, 0.05, MEMORIZE_SEARCH_GRID, &cal);
    CHECK(cal.eps == 0.1 && cal.before_last == 0 && !cal.in_band, "grid, no eps in band: closest, eps %g",
          cal.eps);
    memorize_calibrate(rows, 10, 3, 0.05, MEMORIZE_SEARCH_VALUES, &cal);
    CHECK(cal.eps == 1.0 && cal.before_last == 10 && !cal.in_band, "values, ties: eps %g, %zu of 10",
          cal.eps, cal.before_last);
}

static void test_sampling(void)
{
    uint64_t out[100];
    CHECK(pair_sample_indices(100, 100, 7, out, NULL) == 0, "k = m draws");
    int all = 1;
    for (int i = 0; i < 100; i++)
        all &= out[i] == (uint64_t)i;
    CHECK(all, "k = m draws every index once, ascending");
    /* 20000 draws of 3 of 10: each index about 6000 times; distinct and sorted every time */
    int counts[10] = {0}, sorted = 1;
    for (uint64_t s = 0; s < 20000; s++) {
        pair_sample_indices(10, 3, pair_seed(s, 0, "x", "y"), out, NULL);
        sorted &= out[0] < out[1] && out[1] < out[2] && out[2] < 10;
        for (int q = 0; q < 3; q++)
            counts[out[q]]++;
    }
    double chi2 = 0.0;
    for (int i = 0; i < 10; i++)
        chi2 += (counts[i] - 6000.0) * (counts[i] - 6000.0) / 6000.0;
    CHECK(sorted, "every draw distinct, ascending, in range");
    CHECK(chi2 < 27.9, "uniform: chi-square %.1f with 9 degrees of freedom (p 0.001: 27.9)", chi2);
    CHECK(pair_seed(1, 100, "group", "a@1") != pair_seed(1, 100, "group", "a@2")
          && pair_seed(1, 100, "group", "a@1") == pair_seed(1, 100, "group", "a@1"),
          "row seeds differ by group, repeat for the same row");
}

static void test_pair_means(void)
{
    /* strings "ab-c", "ab-d", "x-c": whole distances 1, 2, 3 (ab-c/x-c: sub a->x, del b);
     * layer 0 ("ab","ab","x"): 0, 2, 2; layer 1 ("c","d","c"): 1, 0, 1 */
    static const uint16_t s0[] = {'a', 'b', '-', 'c'}, s1[] = {'a', 'b', '-', 'd'}, s2[] = {'x', '-', 'c'};
    const uint16_t *s[3] = {s0, s1, s2};
    size_t len[3] = {4, 4, 3};
    const uint16_t *ls[6] = {s0, s1, s2, s0 + 3, s1 + 3, s2 + 2};
    size_t llen[6] = {2, 2, 1, 1, 1, 1};
    pair_strings ps = {.n = 3, .L = 2, .s = s, .len = len, .ls = ls, .llen = llen};
    size_t members[3] = {0, 1, 2};
    double layer[2];
    pair_result r = {.layer_mean = layer};
    CHECK(pair_stats_within(&ps, members, 3, 0, 1, 1, &r, NULL) == 0 && r.pairs == 3 && !r.sampled
          && r.mean == 2.0 && layer[0] == 4.0 / 3.0 && layer[1] == 2.0 / 3.0 && isnan(r.se),
          "all pairs: mean %g, layers %g %g", r.mean, layer[0], layer[1]);
    size_t a[1] = {2}, b[2] = {0, 1};
    CHECK(pair_stats_cross(&ps, a, 1, b, 2, 0, 1, 2, &r, NULL) == 0 && r.pairs == 2 && r.mean == 2.5
          && layer[0] == 2.0 && layer[1] == 0.5, "cross: mean %g", r.mean);
    CHECK(pair_stats_within(&ps, members, 3, 3, 1, 1, &r, NULL) == 0 && !r.sampled && r.mean == 2.0,
          "--pairs at the population size: all pairs, not sampled");
    CHECK(pair_stats_within(&ps, members, 3, 2, 5, 1, &r, NULL) == 0 && r.sampled && r.pairs == 2
          && (r.mean == 1.5 || r.mean == 2.0 || r.mean == 2.5), "2 sampled pairs: mean %g", r.mean);
    /* 2 of 3 pairs with distances x, y: s^2 = (x - y)^2 / 2, fpc (3 - 2) / (3 - 1) */
    double var = r.mean == 2.0 ? 2.0 : 0.5;
    double want = sqrt(var / 2 * 0.5);
    CHECK(fabs(r.se - want) < 1e-15, "standard error %.17g, by hand %.17g", r.se, want);
    /* binned, labels {0, 0, 1}: bin 00 = d(0,1) = 1, bin 01 = d(0,2) + d(1,2) = 5, bin 11 = 0;
     * layer 0: 0 and 2 + 2; layer 1: 1 and 0 + 1 */
    size_t label[3] = {0, 0, 1};
    uint64_t bins[4] = {0}, lbins[8] = {0};
    for (int threads = 1; threads <= 3; threads++) {
        memset(bins, 0, sizeof bins);
        memset(lbins, 0, sizeof lbins);
        CHECK(pair_stats_binned(&ps, label, 2, threads, bins, lbins, NULL) == 0 && bins[0] == 1
              && bins[1] == 5 && bins[2] == 0 && bins[3] == 0 && lbins[0] == 0 && lbins[1] == 4
              && lbins[4] == 1 && lbins[5] == 1 && lbins[3] == 0 && lbins[7] == 0,
              "binned sums with %d threads: %llu %llu %llu / layers %llu %llu, %llu %llu", threads,
              (unsigned long long)bins[0], (unsigned long long)bins[1], (unsigned long long)bins[3],
              (unsigned long long)lbins[0], (unsigned long long)lbins[1], (unsigned long long)lbins[4],
              (unsigned long long)lbins[5]);
    }
    size_t skip[3] = {0, PAIR_NO_LABEL, 1};
    memset(bins, 0, sizeof bins);
    memset(lbins, 0, sizeof lbins);
    CHECK(pair_stats_binned(&ps, skip, 2, 2, bins, lbins, NULL) == 0 && bins[0] == 0 && bins[1] == 2,
          "an unlabelled sample is left out: bin 01 = d(0,2) = 2, got %llu", (unsigned long long)bins[1]);
    size_t one[1] = {0};
    CHECK(pair_stats_within(&ps, one, 1, 0, 1, 1, &r, NULL) == 0 && r.pairs == 0 && isnan(r.mean)
          && isnan(layer[0]), "one sample: no pair, mean undefined");
}

int main(void)
{
    test_rank();
    test_symbols();
    test_memorize();
    test_sampling();
    test_pair_means();
    return test_status();
}
