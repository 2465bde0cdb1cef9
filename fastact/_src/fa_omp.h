/*
 * fa_omp.h -- the only place fastact talks to the OpenMP runtime.  Without
 * OpenMP (FASTACT_DISABLE_OPENMP, or a compiler without it) every call
 * degrades to the serial answer, so the rest of the code never needs #ifdefs.
 */
#ifndef FA_OMP_H
#define FA_OMP_H
#ifdef _OPENMP
#include <omp.h>
static inline int fa_omp_enabled(void) { return 1; }
static inline int fa_omp_max_threads(void) { return omp_get_max_threads(); }
#else
static inline int fa_omp_enabled(void) { return 0; }
static inline int fa_omp_max_threads(void) { return 1; }
#endif
#endif /* FA_OMP_H */
