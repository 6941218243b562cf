/* bench-finite: what router-trace's finiteness check (router logits of every
 * layer, final logits, NLL and loss: forward.h) costs, in one run on one
 * checkpoint: forward_run over one random sample of T tokens with and without
 * the check (forward_opts.skip_finite_check), alternating, R times each; and
 * the check alone (vec_first_nonfinite over the same L*T*E router logits and
 * T*V final logits, the logit rows in cache as in the pass). Same thread and
 * kernel set-up as router-trace. Prints one line per figure:
 *   with  median 1.234 s min 1.230 s (cpu 2.45 s)
 *   without  median 1.229 s min 1.228 s (cpu 2.44 s)
 *   difference +0.41 % (median) +0.16 % (min)
 *   check alone 0.0041 s = 0.33 % of a pass
 * Usage: bench-finite --model DIR [--tokens T] [--reps R] [--threads N] [--seed S] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "forward.h"
#include "gemm.h"
#include "runtime.h"
#include "model.h"
#include "vecmath.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, long n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void die(const char *what, const gm_error *err)
{
    fprintf(stderr, "bench-finite: error: %s%s%s\n", what, err ? ": " : "", err ? err->msg : "");
    exit(1);
}

int main(int argc, char **argv)
{
    const char *dir = NULL;
    gm_error err = {0};
    if (runtime_init(argc, argv, &err) != 0)
        die("set-up", &err);
    long tokens = 4096, reps = 5, threads = runtime_threads(0), seed = 1;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--model") == 0)
            dir = argv[++i];
        else if (i + 1 < argc && strcmp(argv[i], "--tokens") == 0)
            tokens = atol(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--reps") == 0)
            reps = atol(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--threads") == 0)
            threads = atol(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--seed") == 0)
            seed = atol(argv[++i]);
        else {
            fprintf(stderr, "usage: bench-finite --model DIR [--tokens T] [--reps R] "
                            "[--threads N] [--seed S]\n");
            return 2;
        }
    }
    if (!dir || tokens < 2 || reps < 1 || threads < 1) {
        fprintf(stderr, "bench-finite: error: --model is required; --tokens >= 2, --reps and "
                        "--threads >= 1\n");
        return 2;
    }
    int n_threads;
    runtime_opts ro = {.threads = threads, .blas = 1};
    if (runtime_start(&ro, &n_threads, &err) != 0)
        die("OpenBLAS set-up", &err);
    model *m = model_open(dir, &err);
    if (!m)
        die("model", &err);
    const model_config *c = &m->cfg;
    forward_opts on = {.release_weights = 1, .threads = n_threads},
                 off = {.release_weights = 1, .skip_finite_check = 1, .threads = n_threads};
    forward *f_on = forward_create(m, &on, &err), *f_off = f_on ? forward_create(m, &off, &err) : NULL;
    uint32_t *tok = malloc((size_t)tokens * sizeof *tok);
    double *t_with = malloc((size_t)reps * sizeof(double)), *t_without = malloc((size_t)reps * sizeof(double));
    if (!f_on || !f_off || !tok || !t_with || !t_without)
        die("set-up", f_on && f_off ? NULL : &err);
    uint64_t r = (uint64_t)seed * 0x9E3779B97F4A7C15ull + 1;
    for (long t = 0; t < tokens; t++) {
        r ^= r << 13; r ^= r >> 7; r ^= r << 17;
        tok[t] = (uint32_t)(r % (uint64_t)c->V);
    }
    forward_sample s = {.tokens = tok, .T = tokens, .name = "bench"};
    if (forward_run(f_on, &s, 1, &err)) /* warm the page cache; the model must be finite */
        die("forward pass", &err);
    forward_sample_clear(&s);
    double cpu_with = 0, cpu_without = 0;
    for (long i = 0; i < 2 * reps; i++) {
        /* alternate, starting with either half the time, so drift hits both alike */
        int with = (i % 2) ^ ((i / 2) % 2);
        forward *f = with ? f_on : f_off;
        double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        if (forward_run(f, &s, 1, &err))
            die("forward pass", &err);
        double dt = clock_s(CLOCK_MONOTONIC) - t0, dc = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        forward_sample_clear(&s);
        if (with) {
            t_with[i / 2] = dt;
            cpu_with += dc;
        } else {
            t_without[i / 2] = dt;
            cpu_without += dc;
        }
    }
    double min_with = 1e30, min_without = 1e30;
    for (long i = 0; i < reps; i++) {
        if (t_with[i] < min_with) min_with = t_with[i];
        if (t_without[i] < min_without) min_without = t_without[i];
    }
    double med_with = median(t_with, reps), med_without = median(t_without, reps);

    /* the check alone, on finite data laid out as in the pass: L scans of the
     * [T, E] router logits, and T scans of each lm_head block's row (Vb wide,
     * in cache after its GEMM) */
    int64_t T = tokens, E = c->E, L = c->L, V = c->V, D = c->D;
    int64_t Vb = ((int64_t)8 << 20) / D; /* forward.c's lm_head block */
    if (Vb < 64) Vb = 64;
    if (Vb > V) Vb = V;
    float *lg = malloc((size_t)(T * E) * sizeof(float)), *row = malloc((size_t)Vb * sizeof(float));
    if (!lg || !row)
        die("out of memory", NULL);
    for (int64_t i = 0; i < T * E; i++) lg[i] = (float)(i % 97) * 0.01f;
    for (int64_t i = 0; i < Vb; i++) row[i] = (float)(i % 89) * 0.01f;
    double best_alone = 1e30;
    int64_t found = 0;
    for (int k = 0; k < 3; k++) {
        double t0 = clock_s(CLOCK_MONOTONIC);
        for (int64_t l = 0; l < L; l++)
            found += vec_first_nonfinite(lg, T * E);
        for (int64_t v0 = 0; v0 < V; v0 += Vb)
            for (int64_t t = 0; t < T; t++)
                found += vec_first_nonfinite(row, V - v0 < Vb ? V - v0 : Vb);
        double dt = clock_s(CLOCK_MONOTONIC) - t0;
        if (dt < best_alone) best_alone = dt;
    }
    printf("model %s: D %lld L %lld E %lld V %lld, %ld tokens, %ld threads, core %s, %ld runs each%s\n",
           m->name, (long long)D, (long long)L, (long long)E, (long long)V, tokens, threads,
           runtime_blas_core(), reps, found == -3 * (L + T * ((V + Vb - 1) / Vb)) ? "" : " (?)");
    printf("with check     median %.4f s  min %.4f s  (cpu %.2f s)\n", med_with, min_with, cpu_with);
    printf("without check  median %.4f s  min %.4f s  (cpu %.2f s)\n", med_without, min_without,
           cpu_without);
    printf("difference     %+.2f %% (median)  %+.2f %% (min)  %+.2f %% (cpu)\n",
           100.0 * (med_with - med_without) / med_without,
           100.0 * (min_with - min_without) / min_without,
           100.0 * (cpu_with - cpu_without) / cpu_without);
    printf("check alone    %.5f s = %.3f %% of a pass (min without)\n", best_alone,
           100.0 * best_alone / min_without);
    free(lg); free(row); free(tok); free(t_with); free(t_without);
    forward_free(f_on);
    forward_free(f_off);
    model_close(m);
    return 0;
}
