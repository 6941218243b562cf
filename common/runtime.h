/* runtime.h: the process's run-time settings, decided once at the top of main()
 * and handed on as data: the worker thread count ("0 = all CPUs" is resolved
 * here and nowhere else), the reference switch (GM_REFERENCE, read once), and
 * for a program that multiplies through OpenBLAS its kernel and thread count.
 * OpenBLAS reads OPENBLAS_CORETYPE only when it loads, so choosing a kernel may
 * re-execute the process (DEVELOPERS.md "OpenBLAS kernel choice" has the
 * measurements). Also the scoped section in which OpenBLAS runs on one thread
 * while our own threads share the work. Nothing here prints or exits.
 * Spec: design.md (reference kernels), style.md 4. */
#ifndef GM_RUNTIME_H
#define GM_RUNTIME_H

#include <stdint.h>

#include "error.h"

/* --threads accepts 0 (all online CPUs) up to this many. */
#define RUNTIME_THREADS_MAX 4096

/* First in main(), before cli_parse (which reorders argv): keeps argv as
 * given, for a re-exec, and reads GM_REFERENCE. -1 with err (GM_ENOMEM). */
int runtime_init(int argc, char **argv, gm_error *err);

typedef struct runtime_opts {
    int64_t threads;        /* --threads as given: 0 = all online CPUs */
    int blas;               /* 1: the program multiplies through OpenBLAS */
    const char *blas_core;  /* --blas-core: NULL or "" = default, "auto", or a kernel name */
} runtime_opts;

/* After cli_parse. *threads gets the resolved count (>= 1). With o->blas,
 * and not on the reference path, chooses the OpenBLAS kernel: with no core,
 * SkylakeX on a CPU with AVX-512F unless OPENBLAS_CORETYPE is already set;
 * "auto" keeps OpenBLAS's own detection; any other name is put in
 * OPENBLAS_CORETYPE. When the environment must change, re-executes
 * /proc/self/exe with argv as given (once; GM_BLAS_REEXEC guards the loop).
 * Then sets OpenBLAS's thread count to *threads. -1 with err when the
 * re-exec failed. */
int runtime_start(const runtime_opts *o, int *threads, gm_error *err);

/* requested >= 1 as it is; 0 (or less) = the online CPUs (at least 1). */
int runtime_threads(int64_t requested);

/* 1 when GM_REFERENCE is set (and not "0"): every OpenBLAS call and SIMD
 * kernel runs its plain loop instead. Read once, on first use when
 * runtime_init was not called (unit tests). */
int runtime_reference(void);
/* Tests and benchmarks switch paths with this; call it before threads start. */
void runtime_set_reference(int on);

/* The OpenBLAS kernel in use, e.g. "SkylakeX" ("reference" on the loop path). */
const char *runtime_blas_core(void);

/* A section in which OpenBLAS runs on one thread, because the caller shares
 * the work out to threads of its own: blas_single_begin returns the count it
 * replaced, blas_single_end(that) restores it. */
int blas_single_begin(void);
void blas_single_end(int previous);

#endif
