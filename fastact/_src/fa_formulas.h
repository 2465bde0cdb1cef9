/*
 * fa_formulas.h -- instantiates fa_formulas.inc for both precisions.
 *
 *   fa_<name>_<mode>_fast   float32 kernels (double arithmetic, vectorizable)
 *   fa_<name>_<mode>_libm   float64 kernels (glibc libm)
 */
#ifndef FA_FORMULAS_H
#define FA_FORMULAS_H

#include "fa_math.h"

typedef struct fa_params {
    double p0, p1, p2, p3;
} fa_params;

/* NaN in -> NaN out for the piecewise functions, whose selects would
 * otherwise map NaN to one of the constant pieces. */
#define FA_KEEP_NAN(x, r) ((x) != (x) ? (x) : (r))

/* min(max(v, lo), hi) written as selects (fmin/fmax would hide a NaN and are
 * libm calls on the baseline target). */
FA_INLINE double fa_clamp(double v, double lo, double hi)
{
    double r = v < lo ? lo : v;
    return r > hi ? hi : r;
}

#define FA_VARIANT fast
#include "fa_formulas.inc"
#undef FA_VARIANT

#define FA_VARIANT libm
#include "fa_formulas.inc"
#undef FA_VARIANT

#endif /* FA_FORMULAS_H */
