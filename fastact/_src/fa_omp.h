/*
 * fa_omp.h -- the only place fastact talks to the OpenMP runtime.  Without
 * OpenMP (FASTACT_DISABLE_OPENMP, or a compiler without it) every call
 * degrades to the serial answer, so the rest of the code never needs #ifdefs.
 *
 * fork: GNU libgomp is not fork-safe.  A child forked after the parent ran a
 * parallel region inherits a thread pool whose threads do not exist in the
 * child, and its first parallel region of two or more threads waits for them
 * forever (multiprocessing's "fork" start method hangs).  There is no way to
 * re-initialise libgomp, so a forked child runs every loop on one thread:
 * fa_omp_team_size() is 1 there (a team of one never touches the pool, and the
 * elementwise drivers open no region for it at all).  The flag is set by a
 * pthread_atfork handler, which sees every fork (os.fork, multiprocessing, C
 * libraries), not only Python's.
 *
 * The state is static, i.e. one copy per extension module that includes this
 * header: only _kernels registers the handler and asks fa_omp_team_size();
 * _dense_kernels asks _kernels (see _kernels.pxd), so there is one flag.
 */
#ifndef FA_OMP_H
#define FA_OMP_H
#include <stddef.h>
#ifdef _OPENMP
#include <omp.h>
#include <pthread.h>

static int fa_omp_in_forked_child = 0;

static inline void fa_omp_after_fork_in_child(void) { fa_omp_in_forked_child = 1; }

static inline int fa_omp_register_fork_handler(void)
{
    return pthread_atfork(NULL, NULL, fa_omp_after_fork_in_child);
}

static inline int fa_omp_enabled(void) { return 1; }
static inline int fa_omp_forked(void) { return fa_omp_in_forked_child; }
static inline int fa_omp_max_threads(void)
{
    return fa_omp_in_forked_child ? 1 : omp_get_max_threads();
}
#else
static inline int fa_omp_register_fork_handler(void) { return 0; }
static inline int fa_omp_enabled(void) { return 0; }
static inline int fa_omp_forked(void) { return 0; }
static inline int fa_omp_max_threads(void) { return 1; }
#endif

/* Threads for a loop: `requested` (< 1: omp_get_max_threads(), which honours
 * OMP_NUM_THREADS and threadpoolctl), at most `work_items`, 1 in a forked child. */
static inline int fa_omp_team_size(int requested, ptrdiff_t work_items)
{
    int t = requested < 1 ? fa_omp_max_threads() : requested;
    if (fa_omp_forked() || t < 1)
        t = 1;
    if ((ptrdiff_t)t > work_items)
        t = work_items < 1 ? 1 : (int)work_items;
    return t;
}
#endif /* FA_OMP_H */
