/*
 * fa_math.h -- the elementary functions under fastact's activations.
 *
 * Two families with the same names and meanings:
 *
 *   fa_fast_*  used by the float32 kernels.  The float32 value is widened to
 *              double, the activation is evaluated in double with these cores
 *              and rounded once to float32.  Each core is straight-line
 *              double arithmetic (range reduction, a polynomial, exponent-bit
 *              reconstruction, selects instead of branches) so that GCC
 *              vectorizes the loops that inline it; each has a relative error
 *              below 2^-40, far under the 2^-24 of a float32 ULP, so the
 *              float32 result is within ~0.5 ULP of the rounded exact value
 *              plus the error of the activation's own formula.
 *
 *   fa_libm_*  used by the float64 kernels: glibc's log1p, and (fa_dd.h)
 *              exp, expm1 and the double-double forms where a composite
 *              would collect several roundings, gelu's Gaussian among them.
 *
 *   fa_f32_*   float32-native cores for the hottest float32 forwards (see
 *              fa_formulas_f32.h): eight lanes per AVX2 register instead of
 *              four doubles, no conversions.  Each result carries its
 *              rounding error as a second float (hi + lo) so that the
 *              activation built on it rounds about once.
 *
 * No function here branches on data or calls libm in the fast family.
 * Special values: NaN propagates; +-inf give the mathematical limits.
 * This file must compile identically under every SIMD target (it is included
 * inside #pragma GCC target regions); with -ffp-contract=off no FMA is ever
 * formed implicitly, so all targets give bitwise-identical results from the
 * double cores.  The fa_f32_* cores use FMA explicitly (fmaf) and are only
 * compiled into the targets that have it (fa_kernels.c.tp).
 */
#ifndef FA_MATH_H
#define FA_MATH_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define FA_INLINE static inline __attribute__((always_inline))

FA_INLINE double fa_from_bits(uint64_t u) { double d; memcpy(&d, &u, sizeof d); return d; }
FA_INLINE uint64_t fa_to_bits(double d) { uint64_t u; memcpy(&u, &d, sizeof u); return u; }

/* Adding 1.5 * 2^52 rounds a double of magnitude < 2^51 to an integer and
 * leaves that integer in the low mantissa bits: round-to-int without a
 * double->int64 conversion, which AVX2 does not have. */
#define FA_ROUND_SHIFT 0x1.8p52

/* ln 2 split so that n * FA_LN2_HI is exact for |n| < 2^11 (Cody-Waite). */
#define FA_LN2_HI 0x1.62e42fefa3800p-1
#define FA_LN2_LO 0x1.ef35793c76730p-45
#define FA_LOG2E 0x1.71547652b82fep0

/* 2^n for an integer-valued double n in [-1022, 1023]. */
FA_INLINE double fa_pow2i(double n)
{
    return fa_from_bits(fa_to_bits(n + (1023.0 + FA_ROUND_SHIFT)) << 52);
}

/* exp(z): z = n ln2 + r, |r| <= ln2/2, e^r = 1 + r q(r) with q a degree-6
 * Chebyshev fit of (e^r - 1)/r (relative error 1.1e-10 = 0.002 float32 ULP:
 * enough for the float32 results this serves, and three multiply-adds
 * cheaper than a double-accurate polynomial; the form keeps exp(0) = 1
 * exactly), 2^n split in two factors so that results in the subnormal range
 * and the overflow edge come out right without branches.  q by Estrin's
 * scheme: three dependent steps instead of Horner's six (without FMA each
 * step is a multiply then an add, 6 cycles), which the loops over it wait on. */
/* e^r for z = n ln2 + r: returns e^r, *n set */
FA_INLINE double fa_fast_exp_reduced(double z, double *n_out)
{
    double n = (z * FA_LOG2E + FA_ROUND_SHIFT) - FA_ROUND_SHIFT;
    double r = (z - n * FA_LN2_HI) - n * FA_LN2_LO;
    double r2 = r * r;
    double q01 = 0x1.fffffffff61f0p-1 + 0x1.000000287bc5fp-1 * r;
    double q23 = 0x1.5555557e72bcdp-3 + 0x1.5554acdbfd56ap-5 * r;
    double q45 = 0x1.1110a62001735p-7 + 0x1.6d75363204d64p-10 * r;
    double q46 = q45 + 0x1.a17df5ebe1c52p-13 * r2;
    double q = (q01 + q23 * r2) + q46 * (r2 * r2);
    *n_out = n;
    return 1.0 + r * q;
}
FA_INLINE double fa_fast_exp(double z)
{
    double zc = z < -746.0 ? -746.0 : z;      /* NaN fails both compares: kept */
    zc = zc > 710.0 ? 710.0 : zc;
    double n, p = fa_fast_exp_reduced(zc, &n);
    double n1 = ((n * 0.5) + FA_ROUND_SHIFT) - FA_ROUND_SHIFT;
    double n2 = n - n1;
    return (p * fa_pow2i(n1)) * fa_pow2i(n2);
}
/* exp(z) for z in [-708, 709], where the result is normal: one factor 2^n. */
FA_INLINE double fa_fast_exp_normal(double z)
{
    double n, p = fa_fast_exp_reduced(z, &n);
    return p * fa_pow2i(n);
}

/* expm1(z) for z <= 709: 2^n (e^r - 1) + (2^n - 1) with e^r - 1 evaluated
 * without its leading 1, so results near 0 keep full relative accuracy.
 * Results below -1 + 2^-54 round to -1 (z < -38).  The Taylor polynomial
 * by Estrin's scheme (4 dependent steps, not Horner's 9). */
FA_INLINE double fa_fast_expm1(double z)
{
    double zc = z < -40.0 ? -40.0 : z;
    zc = zc > 709.0 ? 709.0 : zc;
    double n = (zc * FA_LOG2E + FA_ROUND_SHIFT) - FA_ROUND_SHIFT;
    double r = (zc - n * FA_LN2_HI) - n * FA_LN2_LO;
    double r2 = r * r, r4 = r2 * r2;
    double q01 = 0.5 + (1.0 / 6.0) * r;
    double q23 = 1.0 / 24.0 + (1.0 / 120.0) * r;
    double q45 = 1.0 / 720.0 + (1.0 / 5040.0) * r;
    double q67 = 1.0 / 40320.0 + (1.0 / 362880.0) * r;
    double q89 = 1.0 / 3628800.0 + (1.0 / 39916800.0) * r;
    double q = ((q01 + q23 * r2) + (q45 + q67 * r2) * r4) + q89 * (r4 * r4);
    q = (q * r) * r + r;                      /* e^r - 1 */
    double s = fa_pow2i(n);
    double result = s * q + (s - 1.0);
    return z > 709.78 ? INFINITY : result;
}

/* log1p(u) for u in [0, 1] (the argument of softplus: u = exp(-|x|)).
 * w = 1 + u is split as 2^k m, m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s),
 * s = (m - 1)/(m + 1), by its odd series to s^17 (|s| < 0.172: truncation
 * 2^-48).  The rounding of 1 + u is undone by the first-order correction
 * (u - (w - 1)) / w, which keeps tiny u exact: log1p(u) = u.  The series
 * in s^2 by Estrin's scheme (3 dependent steps, not Horner's 7). */
FA_INLINE double fa_fast_log1p(double u)
{
    double w = 1.0 + u;
    double correction = (u - (w - 1.0)) / w;
    int big = w > 0x1.6a09e667f3bcdp0;      /* sqrt(2) */
    double m = big ? w * 0.5 : w;
    double k = big ? 1.0 : 0.0;
    double s = (m - 1.0) / (m + 1.0);
    double s2 = s * s;
    double s4 = s2 * s2;
    double t01 = 1.0 / 3.0 + (1.0 / 5.0) * s2;
    double t23 = 1.0 / 7.0 + (1.0 / 9.0) * s2;
    double t45 = 1.0 / 11.0 + (1.0 / 13.0) * s2;
    double t67 = 1.0 / 15.0 + (1.0 / 17.0) * s2;
    double t = (t01 + t23 * s4) + (t45 + t67 * s4) * (s4 * s4);
    double log_m = 2.0 * s + (2.0 * s) * (s2 * t);
    return (k * FA_LN2_HI + (log_m + (correction + k * FA_LN2_LO)));
}

/* x - tanh(x), |x| < 0.25: the odd Taylor series x^3/3 - 2x^5/15 + ...,
 * whose terms shrink by ~x^2 * 4/pi^2 < 0.026 each: 11 terms give 2^-60.
 * Outside that range the subtraction x - tanh(x) loses at most
 * log2(3/x^2) < 6 bits, which the callers' working precision absorbs. */
FA_INLINE double fa_x_minus_tanh_series(double x)
{
    double x2 = x * x;
    /* coefficients of x^23 ... x^3, from mpmath's Taylor series of x - tanh x */
    double t = 0x1.497d8eea25259p-15;
    t = t * x2 - 0x1.967e18afcafadp-14;
    t = t * x2 + 0x1.f57d7734d1664p-13;
    t = t * x2 - 0x1.3558248036744p-11;
    t = t * x2 + 0x1.7da36452b75e3p-10;
    t = t * x2 - 0x1.d6d3d0e157de0p-9;
    t = t * x2 + 0x1.226e355e6c23dp-7;
    t = t * x2 - 0x1.664f4882c10fap-6;
    t = t * x2 + 0x1.ba1ba1ba1ba1cp-5;
    t = t * x2 - 0x1.1111111111111p-3;
    t = t * x2 + 0x1.5555555555555p-2;
    return (x * x2) * t;
}

/* ---- error-free transformations (Dekker, no FMA needed) ------------------ */

/* Split a into hi + lo with hi holding the top 26 bits. Valid for |a| < 2^995. */
FA_INLINE void fa_split(double a, double *hi, double *lo)
{
    double c = 134217729.0 * a;               /* 2^27 + 1 */
    double h = c - (c - a);
    *hi = h;
    *lo = a - h;
}

/* The rounding error of s = a + b (Knuth's TwoSum): a + b = s + err exactly. */
FA_INLINE double fa_two_sum_err(double a, double b, double s)
{
    double bb = s - a;
    return (a - (s - bb)) + (b - bb);
}

/* a * b = p + e exactly (for |a|, |b| in the range where fa_split is valid). */
FA_INLINE double fa_two_prod(double a, double b, double *e)
{
    double p = a * b, ah, al, bh, bl;
    fa_split(a, &ah, &al);
    fa_split(b, &bh, &bl);
    *e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
    return p;
}

/* ---- the Gaussian -------------------------------------------------------- */

#define FA_INV_SQRT2_HI 0x1.6a09e667f3bcdp-1
#define FA_INV_SQRT_2PI 0x1.9884533d43651p-2
#define FA_INV_SQRT_2PI_LO -0x1.cbc0d30ebfd15p-56

/* ---- wrappers that give both families the same names --------------------- */

/* (fa_libm_exp, by Tang's table method, and fa_libm_expm1, on the
 * double-double exp, are in fa_dd.h) */

/* x - tanh(x) in float64: the subtraction is done in x87 extended precision,
 * whose 11 extra bits absorb the cancellation for |x| >= 0.25. */
#if LDBL_MANT_DIG < 64
#error "fastact's float64 tanh_shrink needs a long double with a 64-bit mantissa or wider (x87)"
#endif
FA_INLINE double fa_libm_x_minus_tanh(double x)
{
    double small = fa_x_minus_tanh_series(x);
    long double xl = (long double)x;
    double large = (double)(xl - tanhl(xl));
    return fabs(x) < 0.25 ? small : large;
}

FA_INLINE double fa_fast_x_minus_tanh(double x)
{
    double em = fa_fast_expm1(-2.0 * fabs(x));
    double t = copysign(-em / (2.0 + em), x);
    double small = fa_x_minus_tanh_series(x);
    double large = x - t;
    large = isinf(x) ? x : large;
    return fabs(x) < 0.25 ? small : large;
}


/* tanh(x) from expm1(-2|x|): no overflow, full relative accuracy near 0. */
FA_INLINE double fa_fast_tanh(double x)
{
    double em = fa_fast_expm1(-2.0 * fabs(x));
    return copysign(-em / (2.0 + em), x);
}
FA_INLINE double fa_libm_tanh(double x) { return tanh(x); }

/* The argument v = 2 sqrt(2/pi) (x + 0.044715 x^3) of gelu's tanh form,
 * gelu = x * sigmoid(v).  For float64 the rounding of v would be amplified
 * by |v| in the tail (sigmoid(v) ~ e^v), so v is carried as v + *lo with
 * error-free products; for float32 (evaluated in double) v alone suffices. */
#define FA_GELU_K 0.044715
#define FA_SQRT_2_OVER_PI_HI 0x1.9884533d43651p-1
#define FA_SQRT_2_OVER_PI_LO -0x1.cbc0d30ebfd15p-55
FA_INLINE double fa_fast_gelu_tanh_arg(double x, double *lo)
{
    *lo = 0.0;
    return 2.0 * (FA_SQRT_2_OVER_PI_HI * (x + FA_GELU_K * (x * x * x)));
}
FA_INLINE double fa_libm_gelu_tanh_arg(double x, double *lo)
{
    double e2, e3, ek, es, ev;
    double x2 = fa_two_prod(x, x, &e2);
    double x3 = fa_two_prod(x2, x, &e3);
    e3 += e2 * x;
    double kx3 = fa_two_prod(FA_GELU_K, x3, &ek);
    ek += FA_GELU_K * e3;
    double u = x + kx3;                         /* two-sum */
    double bv = u - x;
    es = (x - (u - bv)) + (kx3 - bv);
    double ulo = es + ek;
    double v = fa_two_prod(FA_SQRT_2_OVER_PI_HI, u, &ev);
    double vlo = ev + FA_SQRT_2_OVER_PI_HI * ulo + FA_SQRT_2_OVER_PI_LO * u;
    *lo = fabs(x) < 0x1p100 ? 2.0 * vlo : 0.0;  /* beyond: x^3 overflows, v = +-inf */
    return 2.0 * v;
}

/* exp(-x^2 / 2) without a branch, for the float32 kernels: x is a float32
 * value there, so x^2 (at most 48 significant bits) is exact in double and
 * needs no two-product.  |x| is clamped at 37, where the result (1e-297) is
 * still normal, so one scale factor does; every float32 result built on it
 * is 0 or x from |x| = 15 on. */
FA_INLINE double fa_fast_gauss(double x)
{
    double ax = fabs(x);
    ax = ax > 37.0 ? 37.0 : ax;               /* NaN fails the compare: kept */
    return fa_fast_exp_normal(-0.5 * (ax * ax));
}

/* Phi(x) = erfc(t) / 2, t = -x / sqrt 2, for the float32 kernels: libm's erfc
 * is a scalar call that GCC cannot vectorize (gelu ran at 1 % of the copy
 * floor).  erfc(|t|) = exp(-t^2) erfcx(|t|), with erfcx on [0, 11] by a
 * degree-10 polynomial in s = (14 u + 3) / 11, u = (|t| - 3) / (|t| + 3)
 * (relative error 1.5e-9, 0.03 float32 ULP: fitted by least squares on 4000
 * Chebyshev nodes in s, reweighted (Lawson) toward the minimax relative
 * error, against scipy.special.erfcx; degree 12 had 1.6e-10 for two more
 * multiply-adds).  Beyond 11, exp(-t^2) < 1e-52 makes every float32 gelu
 * result 0 or x.  Then Phi = erfc(|t|)/2 for x <= 0 and 1 - erfc(|t|)/2 for
 * x > 0.  The polynomial by Estrin's scheme (4 dependent steps, not Horner's
 * 10: the loop waited on that chain). */
FA_INLINE double fa_fast_normal_cdf(double x)
{
    double t = -x * FA_INV_SQRT2_HI;
    double at = fabs(t);
    double u = (at - 3.0) / (at + 3.0);
    u = at > 1e300 ? 1.0 : u;                 /* inf / inf */
    double s = (14.0 * u + 3.0) * (1.0 / 11.0);    /* u in [-1, 4/7] -> s in [-1, 1] */
    double s2 = s * s, s4 = s2 * s2;
    double c01 = 0x1.0c1c07fbe6cc4p-2 - 0x1.6e4a1c5b6b949p-2 * s;
    double c23 = 0x1.ccb179a1725cap-3 - 0x1.bc1571a4a92fap-4 * s;
    double c45 = 0x1.397c36c6830eap-5 - 0x1.1b38774313101p-7 * s;
    double c67 = 0x1.2bfdb4a5ff110p-11 + 0x1.4cc3a0f603a49p-12 * s;
    double c89 = -0x1.460637084874ap-14 - 0x1.5c0f5bfcbf0a0p-17 * s;
    double c10 = 0x1.52475a4d991a2p-18;
    double c03 = c01 + c23 * s2, c47 = c45 + c67 * s2, c810 = c89 + c10 * s2;
    double p = (c03 + c47 * s4) + c810 * (s4 * s4);
    double erfc_at = fa_fast_gauss(x) * p;          /* exp(-t^2) = exp(-x^2 / 2) */
    return t >= 0.0 ? 0.5 * erfc_at : 1.0 - 0.5 * erfc_at;
}
FA_INLINE double fa_fast_x_normal_cdf(double x) { return x * fa_fast_normal_cdf(x); }
FA_INLINE double fa_fast_normal_cdf_plus_x_pdf(double x)
{
    return fa_fast_normal_cdf(x) + x * (FA_INV_SQRT_2PI * fa_fast_gauss(x));
}


/* ---- exp of deep negative arguments, scaled into the normal range --------
 * Where exp(z) is subnormal (z < -708), a product a * exp(z) amplifies the
 * rounding of the subnormal by |a| (370 ULP for silu(-745) in float64).
 * exp_up64 returns exp(z + z_lo) * 2^64 (|z_lo| tiny), a normal number;
 * callers multiply by their factor and then by 2^-64, so the result enters
 * the subnormals with one rounding (fa_libm_exp_up64 is in fa_dd.h, built on
 * its double-double exp).  z + FA_LN2x64_HI is exact for z in
 * [-1024, -512] (FA_LN2x64_HI is 64 ln 2 rounded to a multiple of 2^-43);
 * the small rest enters as the factor 1 + lo, since adding it to z would
 * round it away. */
#define FA_LN2x64_HI 0x1.62e42fefa39f0p+5
#define FA_LN2x64_LO -0x1.950d871319ff0p-48
/* Below FA_TAIL_X, x exp(x)-type results are formed with exp_up64: in
 * float64 exp(x) is subnormal there and x * exp(x) would not be. */
#define FA_TAIL_X (-600.0)

FA_INLINE double fa_fast_exp_up64(double z, double z_lo)
{
    return fa_fast_exp(z + FA_LN2x64_HI) * (1.0 + (FA_LN2x64_LO + z_lo));
}

/* ---- float32-native cores ------------------------------------------------
 * exp and expm1 of z <= 0 (the only arguments the float32 forwards need:
 * they work on -|x|) in float arithmetic with FMA.  Measured over every
 * float32 input against float64 references, the activations built on them
 * stay within 0.85 ULP (fa_formulas_f32.h). */

FA_INLINE float fa_f32_from_bits(uint32_t u) { float f; memcpy(&f, &u, sizeof f); return f; }
FA_INLINE uint32_t fa_f32_to_bits(float f) { uint32_t u; memcpy(&u, &f, sizeof u); return u; }

/* 1.5 * 2^23: round-to-int of |v| < 2^22 by one addition (see FA_ROUND_SHIFT). */
#define FA_F32_ROUND_SHIFT 0x1.8p23f

/* 2^n for an integer-valued float n in [-126, 127]. */
FA_INLINE float fa_f32_pow2i(float n)
{
    return fa_f32_from_bits(fa_f32_to_bits(n + (127.0f + FA_F32_ROUND_SHIFT)) << 23);
}

/* z = n ln2 + r, |r| <= ln2/2: with FMA the products n * ln2_hi are not
 * rounded, so a two-part ln 2 leaves r exact to ~2^-40. */
FA_INLINE float fa_f32_reduce(float z, float *n)
{
    float k = fmaf(z, 0x1.715476p0f, FA_F32_ROUND_SHIFT) - FA_F32_ROUND_SHIFT;
    *n = k;
    return fmaf(k, 0x1.05c610p-29f, fmaf(k, -0x1.62e430p-1f, z));
}

/* u = e^r - 1 - r = r^2 q(r), |r| <= ln2/2: q a degree-5 Chebyshev fit of
 * (e^r - 1 - r) / r^2 (error 2^-29 relative to e^r - 1, so expm1 keeps full
 * relative accuracy near 0), evaluated by Estrin's scheme: a shorter
 * dependency chain than Horner's, which the out-of-order core overlaps. */
FA_INLINE float fa_f32_expm1_tail(float r)
{
    float r2 = r * r;
    float a = fmaf(0x1.555556p-3f, r, 0.5f);
    float b = fmaf(0x1.1110e0p-7f, r, 0x1.5554e8p-5f);
    float c = fmaf(0x1.a125f6p-13f, r, 0x1.6d444ap-10f);
    return r2 * fmaf(fmaf(c, r2, b), r2, a);
}

/* exp(z) for z <= 0 as (hi + *lo) * *scale, hi + lo normal and *scale a power
 * of two: a product with hi stays normal and meets the subnormal range in one
 * rounding when multiplied by the scale last.  z is clamped at -112, where
 * every float32 result built on it has underflowed to 0. */
FA_INLINE float fa_f32_exp_neg(float z, float *lo, float *scale)
{
    z = z < -112.0f ? -112.0f : z;            /* NaN fails the compare: kept */
    float n, r = fa_f32_reduce(z, &n);
    float u = fa_f32_expm1_tail(r);
    float n1 = fmaf(n, 0.5f, FA_F32_ROUND_SHIFT) - FA_F32_ROUND_SHIFT;
    float s = fa_f32_pow2i(n - n1);
    *scale = fa_f32_pow2i(n1);
    float t = r + u, t_lo = (r - t) + u;      /* e^r - 1 = t + t_lo, |r| >= |u| */
    float hi = fmaf(s, t, s);
    *lo = fmaf(s, t, s - hi) + s * t_lo;      /* the fma's rounding error, exactly */
    return hi;
}

/* expm1(z) for z <= 0 as hi + *lo: 2^n (1 + r + u) - 1 summed from its
 * exact parts (2^n - 1 is inexact for n < -24: its error is carried too).
 * Below -18, e^z < 2^-25 and the result is -1. */
FA_INLINE float fa_f32_expm1_neg(float z, float *lo)
{
    float zc = z < -18.0f ? -18.0f : z;
    float n, r = fa_f32_reduce(zc, &n);
    float u = fa_f32_expm1_tail(r);
    float s = fa_f32_pow2i(n);
    float a = s - 1.0f, a_lo = (-1.0f - a) + s;
    float hi = fmaf(s, r, a);
    float hi_lo = fmaf(s, r, a - hi);
    float c = (hi_lo + a_lo) + s * u;
    float sum = hi + c;
    *lo = z < -18.0f ? 0.0f : (hi - sum) + c;
    return z < -18.0f ? -1.0f : sum;          /* NaN: z < -18 fails, sum is NaN */
}

/* log(1 + e) for e = e_hi + e_lo in [0, 1] (softplus's e = exp(-|x|)), as
 * hi + *lo.  d = 1 + e = 2^k m, m in [sqrt(1/2), sqrt(2)), is carried as
 * d + d_lo; log m = 2 atanh(s), s = (m - 1) / (m + 1) = f / (2 + f), by its
 * odd series to s^9 (|s| < 0.172: truncation 2^-37), with s corrected by its
 * exact FMA residual.  For e < 2^-10, where 1 + e has dropped most of e's
 * bits, the series e - e^2/2 + e^3/3 is used instead. */
FA_INLINE float fa_f32_log1p_unit(float e, float e_lo, float *lo)
{
    float d = 1.0f + e, d_lo = ((1.0f - d) + e) + e_lo;  /* Fast2Sum: 1 >= e */
    int big = d > 0x1.6a09e6p0f;
    float m = big ? 0.5f * d : d, k = big ? 1.0f : 0.0f;
    float f = m - 1.0f;                                  /* exact (Sterbenz) */
    float den = 2.0f + f, den_lo = (2.0f - den) + f;
    float s = f / den;
    /* 1 / (2 + f) = (1 - s) / 2 weighs the residual */
    float s_lo = (fmaf(-s, den, f) - s * den_lo) * (0.5f - 0.5f * s);
    float s2 = s * s;
    float poly = fmaf(fmaf(fmaf(0x1.c71c72p-4f, s2, 0x1.249249p-3f), s2, 0x1.99999ap-3f),
                      s2, 0x1.555556p-2f);
    float tail = (2.0f * s) * (s2 * poly);
    float k_ln2 = k * 0x1.62e430p-1f, hi = k_ln2 + 2.0f * s;   /* ln 2 = 0x1.62e430p-1 - 0x1.05c610p-29 */
    float hi_lo = (k_ln2 - hi) + 2.0f * s;              /* Fast2Sum: k ln2 >= |2s|, or 0 */
    /* 1 / d = (k ? 1/2 : 1) (1 - s) / (1 + s), to O(s^4): it weighs d_lo */
    float inv_d = fmaf(s, fmaf(s, fmaf(-2.0f, s, 2.0f), -2.0f), 1.0f) * (big ? 0.5f : 1.0f);
    float rest = hi_lo + (((k * -0x1.05c610p-29f + 2.0f * s_lo) + tail) + d_lo * inv_d);
    int tiny = e < 0x1p-10f;
    *lo = tiny ? fmaf(e * e, fmaf(e, 0x1.555556p-2f, -0.5f), e_lo) : rest;
    return tiny ? e : hi;
}

#endif /* FA_MATH_H */
