/* sgemm-peak: the OpenBLAS SGEMM rate on this machine, for the router-trace
 * benchmark's yardstick: C[N,N] = A[N,N] @ B[N,N]^T (the layout the forward
 * pass uses) on large square matrices, best of a few runs, same thread and
 * kernel set-up as router-trace (runtime_start). Prints one line:
 *   sgemm n 4096 threads 2 core SkylakeX gflop_per_cpu_s 470.1 gflop_per_s 465.3
 * Usage: sgemm-peak [--threads N] [--n N] [--reps R] [--blas-core NAME] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gemm.h"
#include "runtime.h"

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    gm_error err = {0};
    if (runtime_init(argc, argv, &err) != 0) {
        fprintf(stderr, "sgemm-peak: error: %s\n", err.msg);
        return 1;
    }
    long threads = runtime_threads(0), n = 4096, reps = 3;
    const char *core = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && strcmp(argv[i], "--threads") == 0)
            threads = atol(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--n") == 0)
            n = atol(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--reps") == 0)
            reps = atol(argv[++i]);
        else if (i + 1 < argc && strcmp(argv[i], "--blas-core") == 0)
            core = argv[++i];
        else {
            fprintf(stderr, "usage: sgemm-peak [--threads N] [--n N] [--reps R] [--blas-core NAME]\n");
            return 2;
        }
    }
    if (threads < 1 || n < 1 || reps < 1) {
        fprintf(stderr, "sgemm-peak: error: --threads, --n and --reps must be >= 1\n");
        return 2;
    }
    int n_threads;
    runtime_opts ro = {.threads = threads, .blas = 1, .blas_core = core};
    if (runtime_start(&ro, &n_threads, &err) != 0) {
        fprintf(stderr, "sgemm-peak: error: %s\n", err.msg);
        return 1;
    }
    size_t nn = (size_t)n * (size_t)n;
    float *a = malloc(nn * sizeof(float)), *b = malloc(nn * sizeof(float)),
          *c = malloc(nn * sizeof(float));
    if (!a || !b || !c) {
        fprintf(stderr, "sgemm-peak: error: out of memory for three %ldx%ld matrices\n", n, n);
        free(a); free(b); free(c);
        return 1;
    }
    for (size_t i = 0; i < nn; i++) {
        a[i] = (float)((i * 7u) % 13u) * 0.01f;
        b[i] = (float)((i * 5u) % 11u) * 0.01f;
    }
    gemm_nt(n, n, n, a, n, b, n, 0.0f, c, n); /* warm-up */
    double best = 1e30, best_cpu = 1e30;
    for (long r = 0; r < reps; r++) {
        double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
        gemm_nt(n, n, n, a, n, b, n, 0.0f, c, n);
        double dt = clock_s(CLOCK_MONOTONIC) - t0, dc = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (dt < best)
            best = dt;
        if (dc < best_cpu)
            best_cpu = dc;
    }
    /* per CPU: FLOPs over CPU seconds / threads, what other load cannot lower */
    double flop = 2.0 * (double)n * (double)n * (double)n;
    printf("sgemm n %ld threads %ld core %s gflop_per_cpu_s %.1f gflop_per_s %.1f\n", n, threads,
           runtime_blas_core(), flop / (best_cpu / (double)threads) * 1e-9, flop / best * 1e-9);
    free(a); free(b); free(c);
    return 0;
}
