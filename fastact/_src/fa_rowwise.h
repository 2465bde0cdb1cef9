/*
 * fa_rowwise.h -- softmax and log_softmax of one contiguous row.
 *
 * The bodies here are always-inline; fa_kernels.c.tp instantiates them once
 * per SIMD target (fa_softmax_row_f32_avx2, ...) and fa_softmax_row_f32 /
 * _f64 call the one of the target in use, as for the elementwise kernels.
 *
 * float32 rows: the reductions are vectorized (`omp simd`: the max, the
 * special-value counts, the sum of exp, summed in double).  A vector
 * reduction adds in a fixed order for a given target, so a row's result never
 * depends on the thread count; between targets the order differs in the last
 * bits of a double sum, far below a float32 ULP.  Measured against a long
 * double reference (tests/test_accuracy.py): softmax 1.43 ULP, log_softmax
 * 0.5 (bound 3), because:
 *   - softmax stores exp(x - max) rounded to float in the output on the way
 *     and scales it by 1 / sum in place: one exp per element, two roundings
 *     (on the FMA targets the exp itself runs in float, see
 *     fa_softmax_exp_f32);
 *   - log_softmax needs log(s) with s - 1 relatively accurate (the max
 *     element's result is -log(s), about -(s - 1)): it sums the terms other
 *     than the max's exact 1s, t = s - (count of max), and takes log1p.
 * float64 rows keep three things exact that a naive loop rounds:
 *   - d = x - max as d_hi + d_lo (two-sum), since exp(d) amplifies the
 *     rounding of d by |d| (~700 ULP at d = -700);
 *   - the sum of exp(d) with Neumaier compensation, so the error does not
 *     grow with the row length;
 *   - log(sum) as log(s_hi) + s_lo / s_hi.
 * Special rows: any NaN -> all NaN; all -inf -> all NaN (0/0); +inf entries
 * share the mass equally (the limit), the rest get 0 (log: -inf).
 */
#ifndef FA_ROWWISE_H
#define FA_ROWWISE_H

#include <stddef.h>
#include "fa_math.h"

/* Scan a row: returns its max; counts NaN and +inf entries. */
#define FA_ROW_SCAN(T)                                                        \
    static inline double fa_row_scan_##T(const T *x, ptrdiff_t n,            \
                                         ptrdiff_t *nan_count, ptrdiff_t *inf_count) \
    {                                                                         \
        double m = -INFINITY;                                                 \
        ptrdiff_t nans = 0, infs = 0;                                         \
        for (ptrdiff_t i = 0; i < n; i++) {                                   \
            double v = (double)x[i];                                          \
            nans += v != v;                                                   \
            infs += v == INFINITY;                                            \
            m = v > m ? v : m;                                                \
        }                                                                     \
        *nan_count = nans;                                                    \
        *inf_count = infs;                                                    \
        return m;                                                             \
    }
FA_ROW_SCAN(double)

/* The rows whose answer is a limit, not a sum.  Returns 1 when handled. */
#define FA_ROW_SPECIAL(T)                                                     \
    static inline int fa_row_special_##T(const T *x, T *y, ptrdiff_t n, int log_out, \
                                         double m, ptrdiff_t nans, ptrdiff_t infs) \
    {                                                                         \
        if (nans > 0 || m == -INFINITY) {                                     \
            for (ptrdiff_t i = 0; i < n; i++) y[i] = (T)NAN;                  \
            return 1;                                                         \
        }                                                                     \
        if (infs > 0) {                                                       \
            double share = 1.0 / (double)infs;                                \
            for (ptrdiff_t i = 0; i < n; i++) {                               \
                int top = (double)x[i] == INFINITY;                           \
                y[i] = (T)(log_out ? (top ? -log((double)infs) : -INFINITY)   \
                                   : (top ? share : 0.0));                    \
            }                                                                 \
            return 1;                                                         \
        }                                                                     \
        return 0;                                                             \
    }
FA_ROW_SPECIAL(float)
FA_ROW_SPECIAL(double)

/* exp(x - m) for float32 rows, x <= m finite: in double on the targets
 * without FMA (four lanes), in float with the float32-native core of
 * fa_math.h on those with it (eight lanes).  There d = x - m is carried
 * exactly as d + d_lo (TwoSum: exp amplifies the rounding of d by |d|) and
 * exp(d + d_lo) = e (1 + d_lo), e = hi + lo; below d = -112 the result is 0
 * in float32 anyway (d_lo is then dropped: it is NaN for x = -inf). */
FA_INLINE float fa_softmax_exp_f32(float x, float m, int fma_target)
{
    if (!fma_target)
        return (float)fa_fast_exp((double)x - (double)m);
    float d = x - m, bv = d - x;
    float d_lo = (x - (d - bv)) + (-m - bv);
    d_lo = d > -112.0f ? d_lo : 0.0f;
    float e_lo, scale, e = fa_f32_exp_neg(d, &e_lo, &scale);
    return (e + fmaf(e, d_lo, e_lo)) * scale;
}

FA_INLINE void fa_softmax_row_f32_body(const float *x, float *y, ptrdiff_t n, int log_out,
                                       int fma_target)
{
    /* The scan only flags NaN and +inf (an int OR: 64-bit counters cost
     * the loop 40 % on rows of 16); the rare rows flagged are counted after. */
    float m = -INFINITY;
    int special = 0;
    ptrdiff_t tops;
#pragma omp simd reduction(max:m) reduction(|:special)
    for (ptrdiff_t i = 0; i < n; i++) {
        float v = x[i];
        special |= (v != v) | (v == INFINITY);
        m = v > m ? v : m;
    }
    if (special || m == -INFINITY) {
        ptrdiff_t nans = 0, infs = 0;
        for (ptrdiff_t i = 0; i < n; i++) {
            nans += x[i] != x[i];
            infs += x[i] == INFINITY;
        }
        fa_row_special_float(x, y, n, log_out, m, nans, infs);
        return;
    }
    double md = m, s = 0.0;
    if (log_out) {
        double t = 0.0;
        tops = 0;
#pragma omp simd reduction(+:t, tops)
        for (ptrdiff_t i = 0; i < n; i++) {
            int top = x[i] == m;
            tops += top;
            t += top ? 0.0 : fa_fast_exp((double)x[i] - md);
        }
        double log_s = log1p(t + (double)(tops - 1));     /* exact: tops - 1 < 2^53 */
#pragma omp simd
        for (ptrdiff_t i = 0; i < n; i++) y[i] = (float)(((double)x[i] - md) - log_s);
    } else {
#pragma omp simd reduction(+:s)
        for (ptrdiff_t i = 0; i < n; i++) {
            float e = fa_softmax_exp_f32(x[i], m, fma_target);   /* y may be x: read first */
            s += (double)e;
            y[i] = e;
        }
        double inv = 1.0 / s;  /* s in [1, n]: 1/s then a product keeps < 2^-50 */
#pragma omp simd
        for (ptrdiff_t i = 0; i < n; i++) y[i] = (float)((double)y[i] * inv);
    }
}

/* x - m = hi + *lo exactly (two-sum); lo = 0 where hi is infinite. */
static inline double fa_sub_exact(double x, double m, double *lo)
{
    double d = x - m;
    double bv = d - x;
    double e = (x - (d - bv)) + (-m - bv);
    *lo = isfinite(d) ? e : 0.0;
    return d;
}

/* exp(x - m) from the exact difference: exp(hi + lo) = exp(hi) (1 + lo). */
static inline double fa_exp_diff(double x, double m)
{
    double lo, hi = fa_sub_exact(x, m, &lo);
    return exp(hi) * (1.0 + lo);
}

FA_INLINE void fa_softmax_row_f64_body(const double *x, double *y, ptrdiff_t n, int log_out)
{
    ptrdiff_t nans, infs;
    double m = fa_row_scan_double(x, n, &nans, &infs);
    if (fa_row_special_double(x, y, n, log_out, m, nans, infs)) return;
    double s = 0.0, c = 0.0;
    for (ptrdiff_t i = 0; i < n; i++) {            /* Neumaier summation */
        double e = fa_exp_diff(x[i], m);
        double t = s + e;
        c += fabs(s) >= fabs(e) ? (s - t) + e : (e - t) + s;
        s = t;
    }
    if (log_out) {
        double log_hi = log(s), log_lo = c / s;
        for (ptrdiff_t i = 0; i < n; i++) {
            double lo, hi = fa_sub_exact(x[i], m, &lo);
            y[i] = (hi - log_hi) + (lo - log_lo);
        }
    } else {
        double total = s + c;
        for (ptrdiff_t i = 0; i < n; i++) y[i] = fa_exp_diff(x[i], m) / total;
    }
}

#endif /* FA_ROWWISE_H */
