/* runtime.c: the thread count, the reference switch and the OpenBLAS set-up,
 * each decided once per process (runtime.h). The only place that asks how many
 * CPUs there are, reads GM_REFERENCE or re-executes the process. */
#include "runtime.h"

#include <cblas.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Declared by OpenBLAS (openblas_config.h / cblas.h), repeated for clarity. */
char *openblas_get_corename(void);
int openblas_get_num_threads(void);
void openblas_set_num_threads(int num_threads);

static char **argv_given;      /* [argc + 1], for the re-exec */
/* -1 until read; relaxed atomics, because the kernels ask on every call (a
 * plain load on x86) and a thread may be the first to ask. */
static atomic_int reference = -1;

int runtime_reference(void)
{
    int r = atomic_load_explicit(&reference, memory_order_relaxed);
    if (r < 0) {
        const char *s = getenv("GM_REFERENCE");
        r = s && s[0] && strcmp(s, "0") != 0;
        atomic_store_explicit(&reference, r, memory_order_relaxed);
    }
    return r;
}

void runtime_set_reference(int on)
{
    atomic_store_explicit(&reference, on ? 1 : 0, memory_order_relaxed);
}

int runtime_init(int argc, char **argv, gm_error *err)
{
    runtime_reference();
    free(argv_given);
    argv_given = malloc((size_t)(argc + 1) * sizeof *argv_given);
    if (!argv_given)
        return gm_fail(err, GM_ENOMEM, "out of memory");
    memcpy(argv_given, argv, (size_t)(argc + 1) * sizeof *argv_given);
    return 0;
}

int runtime_threads(int64_t requested)
{
    if (requested >= 1)
        return (int)requested;
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? (int)online : 1;
}

/* Put the wanted kernel in the environment and re-execute when it is not
 * there yet (see runtime_start). 0 when nothing needed changing. */
static int blas_choose_core(const char *core, gm_error *err)
{
    if (getenv("GM_BLAS_REEXEC")) { /* we are the re-executed process */
        unsetenv("GM_BLAS_REEXEC");
        return 0;
    }
    const char *have = getenv("OPENBLAS_CORETYPE");
    const char *want = NULL;
    if (!core || !core[0]) {
        __builtin_cpu_init();
        if (!have && __builtin_cpu_supports("avx512f"))
            want = "SkylakeX";
    } else if (strcmp(core, "auto") != 0) {
        want = core;
    }
    if (!want || (have && strcmp(have, want) == 0))
        return 0;
    if (!argv_given)
        return gm_fail(err, GM_EIO, "cannot set OPENBLAS_CORETYPE=%s: runtime_init was not "
                       "called", want);
    if (setenv("OPENBLAS_CORETYPE", want, 1) != 0 || setenv("GM_BLAS_REEXEC", "1", 1) != 0)
        return gm_fail(err, GM_ENOMEM, "cannot set OPENBLAS_CORETYPE=%s", want);
    execv("/proc/self/exe", argv_given);
    return gm_fail(err, GM_EIO,
                   "cannot re-execute to set OPENBLAS_CORETYPE=%s: %s (set it in the "
                   "environment, or pass --blas-core auto)",
                   want, strerror(errno));
}

int runtime_start(const runtime_opts *o, int *threads, gm_error *err)
{
    *threads = runtime_threads(o->threads);
    if (o->blas) {
        if (!runtime_reference() && blas_choose_core(o->blas_core, err) != 0)
            return -1;
        openblas_set_num_threads(*threads);
    }
    free(argv_given); /* past the only re-exec */
    argv_given = NULL;
    return 0;
}

const char *runtime_blas_core(void)
{
    return runtime_reference() ? "reference" : openblas_get_corename();
}

int blas_single_begin(void)
{
    int previous = openblas_get_num_threads();
    openblas_set_num_threads(1);
    return previous;
}

void blas_single_end(int previous)
{
    openblas_set_num_threads(previous);
}
