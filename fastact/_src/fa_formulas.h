/*
 * fa_formulas.h -- instantiates fa_formulas.inc for both precisions.
 *
 *   fa_<name>_<mode>_fast   float32 kernels (double arithmetic, vectorizable)
 *   fa_<name>_<mode>_libm   float64 kernels (glibc libm)
 */
#ifndef FA_FORMULAS_H
#define FA_FORMULAS_H

#include "fa_math.h"
#include "fa_dd.h"

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

/* FA_FLOAT32_INPUTS: every x is a float32 widened to double (the fast
 * variant), which fa_formulas.inc's FA_DIV_CONST relies on.
 * FA_TAILS: whether results below the normal range need the scaled
 * exp_up64 forms (fa_math.h).  Only float64 results do: the float32 kernels
 * work in double, where those products are normal, and with FA_TAILS = 0 the
 * compiler drops the extra exp from their loops. */
#define FA_VARIANT fast
#define FA_TAILS 0
#define FA_FLOAT32_INPUTS 1
#include "fa_formulas.inc"
#undef FA_FLOAT32_INPUTS
#undef FA_TAILS
#undef FA_VARIANT

#define FA_VARIANT libm
#define FA_TAILS 1
#define FA_FLOAT32_INPUTS 0
#include "fa_formulas.inc"
#undef FA_FLOAT32_INPUTS
#undef FA_TAILS
#undef FA_VARIANT

#endif /* FA_FORMULAS_H */
