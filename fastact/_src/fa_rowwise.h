/*
 * fa_rowwise.h -- softmax and log_softmax of one contiguous row.
 *
 * float32 rows are evaluated in double (fa_fast_exp) and rounded once.
 * float64 rows keep three things exact that a naive loop rounds:
 *   - d = x - max as d_hi + d_lo (two-sum), since exp(d) amplifies the
 *     rounding of d by |d| (~700 ULP at d = -700);
 *   - the sum of exp(d) with Neumaier compensation, so the error does not
 *     grow with the row length;
 *   - log(sum) as log(s_hi) + s_lo / s_hi.
 * Special rows: any NaN -> all NaN; all -inf -> all NaN (0/0); +inf entries
 * share the mass equally (the limit), the rest get 0 (log: -inf).
 * The Cython driver runs rows in a prange; each row is independent, so the
 * results do not depend on the thread count.
 */
#ifndef FA_ROWWISE_H
#define FA_ROWWISE_H

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
FA_ROW_SCAN(float)
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

static inline void fa_softmax_row_f32(const float *x, float *y, ptrdiff_t n, int log_out)
{
    ptrdiff_t nans, infs;
    double m = fa_row_scan_float(x, n, &nans, &infs);
    if (fa_row_special_float(x, y, n, log_out, m, nans, infs)) return;
    double s = 0.0;
    if (log_out) {
        /* log(s) with s = 1 + (the others' terms): the max element's result
         * is -log(s), about -(s - 1), so s - 1 must keep its relative
         * accuracy: Neumaier-compensated sum, log(s) + c / s (as float64). */
        double c = 0.0;
        for (ptrdiff_t i = 0; i < n; i++) {
            double e = fa_fast_exp((double)x[i] - m);
            double t = s + e;
            c += fabs(s) >= fabs(e) ? (s - t) + e : (e - t) + s;
            s = t;
        }
        double log_s = log(s) + c / s;
        for (ptrdiff_t i = 0; i < n; i++) y[i] = (float)(((double)x[i] - m) - log_s);
    } else {
        for (ptrdiff_t i = 0; i < n; i++) s += fa_fast_exp((double)x[i] - m);
        double inv = 1.0 / s;  /* s in [1, n]: 1/s then a product keeps < 2^-50 */
        for (ptrdiff_t i = 0; i < n; i++) y[i] = (float)(fa_fast_exp((double)x[i] - m) * inv);
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

static inline void fa_softmax_row_f64(const double *x, double *y, ptrdiff_t n, int log_out)
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
