/*
 * fa_dd.h -- double-double arithmetic for the float64 kernels.
 *
 * A float64 activation built from a few libm calls and a few operations
 * collects their roundings: glibc's exp is 0.51 ULP, its tanh 2, and each
 * +, *, / adds half an ULP, which the binade positions of the intermediate
 * values can double.  sigmoid, silu, tanh, mish and gelu's tanh form reached
 * 2.1 to 6.7 ULP that way.  Carrying the intermediates as hi + lo (|lo| <= ulp(hi)/2,
 * about 106 bits) leaves one rounding: the final hi + lo.
 *
 * Each operation comes in the two families of fa_math.h, picked by
 * FA_VARIANT in fa_formulas.inc:
 *   fa_libm_dd_*  the float64 kernels: error-free transformations (Dekker's
 *                 product, Knuth's sum; no FMA needed), exp and tanh in
 *                 double-double.
 *   fa_fast_dd_*  the float32 kernels: plain double operations with lo = 0.
 *                 Their double arithmetic already has 29 bits to spare over a
 *                 float32 result; with lo a constant 0 the compiler folds every
 *                 correction away, so the loops stay what they were.
 * So each formula is written once, in double-double, and costs double-double
 * only where the result needs it: 1.4-3x the time of the plain double form
 * in the float64 loops (which, free of libm calls, GCC vectorizes).
 *
 * Special values: a non-finite or overflowing step returns its plain double
 * result with lo = 0 (never a NaN from inf - inf in the correction); the
 * callers' selects give the limits at +-inf as before.
 */
#ifndef FA_DD_H
#define FA_DD_H

#include "fa_math.h"
#include "fa_erfcx_table.h"
#include "fa_exp_table.h"

typedef struct fa_dd {
    double hi, lo;
} fa_dd;

FA_INLINE fa_dd fa_dd_of(double hi, double lo)
{
    fa_dd r = {hi, lo};
    return r;
}

/* the double nearest hi + lo */
FA_INLINE double fa_dd_value(fa_dd a) { return a.hi + a.lo; }

/* s + e with |e| small against s, renormalised; a non-finite s (overflow,
 * inf, NaN) or a correction lost to a split overflow keeps s and lo = 0. */
FA_INLINE fa_dd fa_dd_renorm(double s, double e)
{
    e = fabs(e) < INFINITY ? e : 0.0;
    double hi = s + e;
    double lo = e - (hi - s);
    return fabs(hi) < INFINITY ? fa_dd_of(hi, lo) : fa_dd_of(s, 0.0);
}

/* ---- float64 family --------------------------------------------------------- */

FA_INLINE fa_dd fa_libm_dd_add(fa_dd a, fa_dd b)
{
    double s = a.hi + b.hi;
    return fa_dd_renorm(s, fa_two_sum_err(a.hi, b.hi, s) + (a.lo + b.lo));
}

FA_INLINE fa_dd fa_libm_dd_mul(fa_dd a, fa_dd b)
{
    double e, p = fa_two_prod(a.hi, b.hi, &e);
    return fa_dd_renorm(p, e + (a.hi * b.lo + a.lo * b.hi));
}

/* q = a/b rounded, then the exact remainder a - q b (Dekker) gives the next
 * 53 bits of the quotient. */
FA_INLINE fa_dd fa_libm_dd_div(fa_dd a, fa_dd b)
{
    double q = a.hi / b.hi;
    double e, qb = fa_two_prod(q, b.hi, &e);
    double rest = (((a.hi - qb) - e) + (a.lo - q * b.lo)) / b.hi;
    return fa_dd_renorm(q, rest);
}

/* exp(z + z_lo) as hi + lo, relative error below 2^-59 (|z_lo| <= ulp(z);
 * measured 1.1e-18), without a table: for the exps inside selects (see
 * dd_exp_tang below, which the others use).
 * z = n ln2 + r + r_lo with ln 2 in three parts (n ln2_hi exact for |n| <
 * 2^11), e^r = 1 + r + r^2/2 + r^3 q(r), times 1 + r_lo, q the Taylor
 * polynomial to r^15/15! (|r| <= ln2/2: truncation 2^-68), the leading terms
 * summed exactly and the scaling by 2^n split in two factors so that results
 * down to the subnormals keep their hi (lo underflows there: callers that
 * need the subnormal range use exp_up64).  Clamped where the double result
 * is 0 or inf anyway. */
#define FA_LN2_LO2 0x1.f97b57a079a19p-103
FA_INLINE fa_dd fa_libm_dd_exp(double z, double z_lo)
{
    double zc = z < -746.0 ? -746.0 : z;      /* NaN fails both compares: kept */
    zc = zc > 710.0 ? 710.0 : zc;
    double n = (zc * FA_LOG2E + FA_ROUND_SHIFT) - FA_ROUND_SHIFT;
    double a = zc - n * FA_LN2_HI;                           /* exact */
    double b_lo, b = fa_two_prod(n, FA_LN2_LO, &b_lo);
    double r = a - b;
    double r_lo = (fa_two_sum_err(a, -b, r) - b_lo) - n * FA_LN2_LO2
                  + (z == zc ? z_lo : 0.0);
    double q = 0x1.ae7f3e733b81fp-41;                        /* 1/15! */
    q = q * r + 0x1.93974a8c07c9dp-37;
    q = q * r + 0x1.6124613a86d09p-33;
    q = q * r + 0x1.1eed8eff8d898p-29;
    q = q * r + 0x1.ae64567f544e4p-26;
    q = q * r + 0x1.27e4fb7789f5cp-22;
    q = q * r + 0x1.71de3a556c734p-19;
    q = q * r + 0x1.a01a01a01a01ap-16;
    q = q * r + 0x1.a01a01a01a01ap-13;
    q = q * r + 0x1.6c16c16c16c17p-10;
    q = q * r + 0x1.1111111111111p-7;
    q = q * r + 0x1.5555555555555p-5;
    q = q * r + 0x1.5555555555555p-3;                        /* 1/3! */
    double r2_lo, r2 = fa_two_prod(r, r, &r2_lo);
    double one_r = 1.0 + r, one_r_lo = (1.0 - one_r) + r;    /* Fast2Sum: |r| < 1 */
    double h = one_r + 0.5 * r2;
    double h_lo = fa_two_sum_err(one_r, 0.5 * r2, h) + (one_r_lo + 0.5 * r2_lo + (r2 * r) * q);
    fa_dd er = fa_dd_renorm(h, h_lo);
    er = fa_dd_renorm(er.hi, er.lo + er.hi * r_lo);          /* e^(r + r_lo) = e^r (1 + r_lo) */
    double n1 = (0.5 * n + FA_ROUND_SHIFT) - FA_ROUND_SHIFT;
    double s1 = fa_pow2i(n1), s2 = fa_pow2i(n - n1);
    double hi = (er.hi * s1) * s2, lo = (er.lo * s1) * s2;
    hi = z > 709.79 ? INFINITY : hi;
    return fa_dd_of(hi, z == z && fabs(hi) < INFINITY ? lo : 0.0);
}

/* n / (1 + e) for e = e.hi + e.lo in [0, 1] and a finite n (sigmoid's
 * quotients), as q + lo: q is the quotient by the rounded d = 1 + e, and lo
 * corrects it by Dekker's exact remainder n - q d and by d's own rounding.
 * lo weighs about an ULP of q, so 1 / d in it may be approximate: a cubic in
 * e (0.4 %) instead of a second division.  A quarter of fa_libm_dd_div's
 * cost, which guards every step against inf that cannot occur here. */
FA_INLINE fa_dd fa_libm_dd_div_one_plus(fa_dd n, fa_dd e)
{
    double d = 1.0 + e.hi, d_lo = ((1.0 - d) + e.hi) + e.lo;   /* Fast2Sum: 1 >= e */
    double q = n.hi / d;
    double qd_lo, qd = fa_two_prod(q, d, &qd_lo);
    double inv_d = ((-0x1.cc8364p-3 * e.hi + 0x1.545b46p-1) * e.hi - 0x1.e0c96cp-1) * e.hi
                   + 0x1.fe9da6p-1;
    return fa_dd_of(q, (((n.hi - qd) - qd_lo) + (n.lo - q * d_lo)) * inv_d);
}

/* exp of the float64 kernels by Tang's method: z = (128 m + j) ln2/128 + r,
 * |r| <= ln2/256, exp(z) = 2^m 2^(j/128) e^r with 2^(j/128) = t_hi + t_lo
 * from fa_exp_table.h (a gather each) and e^r - 1 = p(r) by its Taylor
 * polynomial to r^5/5! (truncation 2^-64).  Straight-line code, so the loops
 * vectorize; glibc's exp is a call that keeps them scalar.  ln 2 / 128 in
 * two parts, the first with 35 bits: k ln2_hi is exact for |k| < 2^18.
 * fa_tang_exp_parts leaves exp(z) = (t_hi + rest) s1 s2 unrounded: 2^m in
 * two factors (m down to -1075), rest = t_lo + t_hi p (|rest| < 2^-8 t_hi).
 * z_lo (|z_lo| <= ulp(z); dropped where z is clamped) joins r,
 * whose rounding is then 2^-62 of the result; as a factor 1 + z_lo instead,
 * the neglected p z_lo was an ULP (gelu's tanh form reached 3.6 ULP). */
#define FA_LN2_128_HI 0x1.62e42fef80000p-8
#define FA_LN2_128_LO 0x1.1cf79abc9e3b4p-43
typedef struct fa_tang_parts {
    double t_hi, rest, s1, s2, m1, m2;
} fa_tang_parts;

FA_INLINE fa_tang_parts fa_tang_exp_parts(double z, double z_lo)
{
    fa_tang_parts e;
    double zc = z < -746.0 ? -746.0 : z;      /* NaN fails both compares: kept */
    zc = zc > 710.0 ? 710.0 : zc;
    double k = (zc * (FA_LOG2E * FA_EXP_TABLE_SIZE) + FA_ROUND_SHIFT) - FA_ROUND_SHIFT;
    /* m = floor(k / 128) by rounding (k - 63.5) / 128: never a tie */
    double m = ((k - 63.5) * (1.0 / FA_EXP_TABLE_SIZE) + FA_ROUND_SHIFT) - FA_ROUND_SHIFT;
    /* The row, j = k - 128 m in [0, 127], from the bits of z's own k (the
     * same as zc's where z is in range; elsewhere the row does not matter and
     * the mask keeps it in the table).  From zc's k, GCC specialised the
     * clamped lanes' constant row, made the other lanes' loads conditional
     * and then could not vectorize them. */
    double k_z = (z * (FA_LOG2E * FA_EXP_TABLE_SIZE) + FA_ROUND_SHIFT) - FA_ROUND_SHIFT;
    int64_t row = (int64_t)((fa_to_bits(k_z + FA_ROUND_SHIFT) - fa_to_bits(FA_ROUND_SHIFT))
                            & (FA_EXP_TABLE_SIZE - 1));
    double r = ((zc - k * FA_LN2_128_HI) - k * FA_LN2_128_LO) + (z == zc ? z_lo : 0.0);
    double r2 = r * r;
    double p = r + r2 * ((0.5 + r * (1.0 / 6)) + r2 * (1.0 / 24 + r * (1.0 / 120)));
    e.t_hi = fa_exp_table_hi[row];
    e.rest = fa_exp_table_lo[row] + e.t_hi * p;
    e.m1 = (0.5 * m + FA_ROUND_SHIFT) - FA_ROUND_SHIFT;
    e.m2 = m - e.m1;
    e.s1 = fa_pow2i(e.m1);
    e.s2 = fa_pow2i(e.m2);
    return e;
}

/* (t_hi + rest) 2^m rounded once, also where it is subnormal: there t_hi
 * scaled rounds to the subnormal grid and the exact rest moves it by at most
 * a step (scaling the rounded sum would round twice: 0.75 ULP). */
FA_INLINE double fa_tang_exp_value(fa_tang_parts e)
{
    double normal = ((e.t_hi + e.rest) * e.s1) * e.s2;
    double h = (e.t_hi * e.s1) * e.s2;
    double back = (h * fa_pow2i(-e.m2)) * fa_pow2i(-e.m1);   /* h 2^-m: exact */
    double subnormal = h + (((e.t_hi - back) + e.rest) * e.s1) * e.s2;
    return normal >= DBL_MIN ? normal : subnormal;          /* NaN: subnormal is NaN */
}

/* exp(z): 0.51 ULP. */
FA_INLINE double fa_libm_exp(double z) { return fa_tang_exp_value(fa_tang_exp_parts(z, 0.0)); }

/* exp(z + z_lo) as hi + lo (|z_lo| <= ulp(z)), by the same table: relative
 * error about 2^-60, half the arithmetic of dd_exp.  Where the result is
 * subnormal, hi is exp rounded once and lo = 0.  For the formulas that take
 * their exp before any select (sigmoid, silu, tanh, mish, softplus, expm1
 * and the derivatives built on them).  exp_up64 and gelu's Gaussian keep
 * dd_exp's table-free polynomial: they sit inside the tails' selects, where
 * a table load became a conditional load that left a dozen loops scalar
 * (tools/check_vectorized.py). */
FA_INLINE fa_dd fa_libm_dd_exp_tang(double z, double z_lo)
{
    fa_tang_parts e = fa_tang_exp_parts(z, z_lo);
    double t_hi = e.t_hi * e.s1, rest = e.rest * e.s1;                   /* exact scaling */
    double hi = t_hi * e.s2, lo = rest * e.s2;                            /* exact if normal */
    double sum = hi + lo;                                                 /* Fast2Sum */
    fa_dd normal = fa_dd_of(sum, sum < INFINITY ? lo - (sum - hi) : 0.0);  /* overflow: inf */
    return sum >= DBL_MIN ? normal : fa_dd_of(fa_tang_exp_value(e), 0.0);
}

/* expm1 of the float64 kernels, from the table's dd_exp_tang (2^-60): e - 1 as a two-sum
 * for |z| >= 1/4, where the result is large enough for that error (0.07 ULP
 * of the result at 1/4), and below, the Taylor series z + z^2 (1/2! + z/3!
 * + ... + z^11/13!) (truncation 2^-56 of the result at |z| = 1/4) by
 * Estrin's scheme.  Straight-line code, unlike glibc's expm1 (float64 elu,
 * celu and selu ran scalar, 2x slower); its callers take it before their
 * selects (fa_formulas.inc, elu), so that the table loads stay unconditional. */
FA_INLINE double fa_libm_expm1(double z)
{
    fa_dd e = fa_libm_dd_exp_tang(z, 0.0);
    double s = e.hi - 1.0;
    double large = s + (fa_two_sum_err(e.hi, -1.0, s) + e.lo);
    double z2 = z * z, z4 = z2 * z2, z8 = z4 * z4;
    double p01 = 1.0 / 2 + z * (1.0 / 6), p23 = 1.0 / 24 + z * (1.0 / 120);
    double p45 = 1.0 / 720 + z * (1.0 / 5040), p67 = 1.0 / 40320 + z * (1.0 / 362880);
    double p89 = 1.0 / 3628800 + z * (1.0 / 39916800);
    double p1011 = 1.0 / 479001600 + z * (1.0 / 6227020800);
    double p03 = p01 + p23 * z2, p47 = p45 + p67 * z2, p811 = p89 + p1011 * z2;
    double small = z + z2 * ((p03 + p47 * z4) + p811 * z8);
    double r = fabs(z) < 0.25 ? small : large;
    return e.hi == INFINITY ? e.hi : r;       /* then the two-sum is inf - inf */
}

/* exp_up64 (fa_math.h) of the float64 kernels, from dd_exp: straight-line
 * code, unlike a call to glibc's exp, so the loops that use it vectorize
 * (silu's float64 derivative took 63 ns an element with the call, ~10 without). */
FA_INLINE double fa_libm_exp_up64(double z, double z_lo)
{
    return fa_dd_value(fa_libm_dd_exp(z + FA_LN2x64_HI, FA_LN2x64_LO + z_lo));
}

/* tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2|x|) (1 - e >= 0.39: no
 * cancellation) for |x| >= 0.25, and x - (x - tanh x) by its series below,
 * where the series term is under x/190.  glibc's tanh reached 2.01 ULP.
 * e by the table (the exp comes before the selects), 1 - e as a two-sum. */
FA_INLINE fa_dd fa_libm_dd_tanh(double x)
{
    double ax = fabs(x);
    fa_dd e = fa_libm_dd_exp_tang(-2.0 * ax, 0.0);
    double n = 1.0 - e.hi;
    fa_dd t = fa_libm_dd_div_one_plus(fa_dd_of(n, fa_two_sum_err(1.0, -e.hi, n) - e.lo), e);
    double series = fa_x_minus_tanh_series(x), small = x - series;
    fa_dd near0 = fa_dd_of(small, fa_two_sum_err(x, -series, small));
    return ax < 0.25 ? near0 : (x < 0.0 ? fa_dd_of(-t.hi, -t.lo) : t);
}

/* log(1 + e) for e = e.hi + e.lo in [0, 1] (softplus's e = exp(-|x|)), as
 * hi + lo, about 2^-60 of the result: glibc's log1p is a call that kept the
 * float64 softplus and log_sigmoid loops scalar (16 ns an element), and
 * from exp's rounded value it left 1 ULP.  d = 1 + e = 2^k m carried as
 * d + d_lo, m in [sqrt(1/2), sqrt(2)); log m = 2 atanh(s), s = f / (2 + f),
 * f = m - 1 exact, by its odd series to s^21 (|s| < 0.172: truncation 2^-60)
 * with s corrected by Dekker's exact remainder.  d_lo enters as d_lo / d,
 * with 1 / d = 2^-k (1 - s) / (1 + s) to O(s^4) (d_lo is 2^-53 of d).  For
 * e < 2^-18 the series e - e^2/2 + e^3/3 instead: there d_lo is a large part
 * of the result, and its roundings reached 1.06 ULP. */
FA_INLINE fa_dd fa_libm_dd_log1p_unit(fa_dd e)
{
    double d = 1.0 + e.hi, d_lo = ((1.0 - d) + e.hi) + e.lo;   /* Fast2Sum: 1 >= e */
    int big = d > 0x1.6a09e667f3bcdp0;                        /* sqrt 2 */
    double m = big ? 0.5 * d : d, k = big ? 1.0 : 0.0;
    double f = m - 1.0;                                       /* exact (Sterbenz) */
    double den = 2.0 + f, den_lo = (2.0 - den) + f;           /* Fast2Sum: 2 > |f| */
    double s = f / den;
    double sd_lo, sd = fa_two_prod(s, den, &sd_lo);
    double s_lo = (((f - sd) - sd_lo) - s * den_lo) * (0.5 - 0.5 * s);  /* 1 / den = (1 - s) / 2 */
    double s2 = s * s;
    double t = 1.0 / 21;
    t = t * s2 + 1.0 / 19;
    t = t * s2 + 1.0 / 17;
    t = t * s2 + 1.0 / 15;
    t = t * s2 + 1.0 / 13;
    t = t * s2 + 1.0 / 11;
    t = t * s2 + 1.0 / 9;
    t = t * s2 + 1.0 / 7;
    t = t * s2 + 1.0 / 5;
    t = t * s2 + 1.0 / 3;
    double tail = (2.0 * s) * (s2 * t);
    double k_ln2 = k * FA_LN2_HI, hi = k_ln2 + 2.0 * s;       /* k ln2_hi exact */
    double hi_lo = (k_ln2 - hi) + 2.0 * s;                   /* Fast2Sum: k ln2 >= |2s|, or 0 */
    double inv_d = (((-2.0 * s + 2.0) * s - 2.0) * s + 1.0) * (big ? 0.5 : 1.0);
    double rest = hi_lo + (((k * FA_LN2_LO + 2.0 * s_lo) + tail) + d_lo * inv_d);
    /* e < 2^-18: e - e^2/2 + e^3/3 (truncation 2^-74 e) */
    double small_lo = e.lo + (e.hi * e.hi) * (e.hi * (1.0 / 3) - 0.5);
    int small = e.hi < 0x1p-18;
    return small ? fa_dd_of(e.hi, small_lo) : fa_dd_of(hi, rest);
}

/* ---- gelu's Gaussian: Phi(-|x|) = E(|x|) exp(-x^2 / 2) ----------------------
 * E(a) = erfcx(a / sqrt 2) / 2, smooth and slowly varying, is a polynomial on
 * each of the short intervals of fa_erfcx_table.h (tools/make_tables.py),
 * found from the exponent and top mantissa bits of y = a + 1 (a < 1) or 2a:
 * no branch and no search, so the loops vectorize (a gather per coefficient).
 * s = a - m is exact (Sterbenz) and the constant term is two doubles, so E
 * comes out as hi + *lo within a few hundredths of an ULP.  The Gaussian is a
 * double-double exp of the exact -x^2 / 2 (a two-product).  glibc's double
 * erfc is 2.8 ULP, and its long double erfcl, which fastact used before, a
 * scalar x87 call of ~130 ns an element (float64 gelu ran slower than NumPy
 * with SciPy's erf).  a > 40 (FA_ERFCX_MAX) is taken as 40: beyond, the
 * Gaussian is 0 in float64. */
FA_INLINE double fa_libm_half_erfcx(double a, double *lo)
{
    /* The row from a itself, clamped as an integer (a NaN or a > 40 gives the
     * last row), and s from a clamped to 40: clamping a first let GCC's range
     * analysis rewrite the table index into a form it then could not gather. */
    double y = a < 1.0 ? a + 1.0 : 2.0 * a;
    int64_t row = (int64_t)(fa_to_bits(y) >> FA_ERFCX_ROW_SHIFT) - 1023 * FA_ERFCX_PER_BINADE;
    row = row < FA_ERFCX_ROWS - 1 ? row : FA_ERFCX_ROWS - 1;
    a = a < FA_ERFCX_MAX ? a : FA_ERFCX_MAX;
    /* indexed from the table itself, not through a row pointer: GCC turns
     * fa_erfcx_table[row][k] into a gather, and gives up on c[k] */
#define FA_C(k) fa_erfcx_table[row][k]
    double s = a - FA_C(0);
    double s2 = s * s, s4 = s2 * s2;
    /* FA_C(1) + FA_C(2) (the constant term), then s (FA_C(3) + FA_C(4) s + ... + FA_C(13) s^10) by Estrin */
    double p01 = FA_C(3) + FA_C(4) * s, p23 = FA_C(5) + FA_C(6) * s, p45 = FA_C(7) + FA_C(8) * s;
    double p67 = FA_C(9) + FA_C(10) * s, p89 = FA_C(11) + FA_C(12) * s;
    double p03 = p01 + p23 * s2, p47 = p45 + p67 * s2, p810 = p89 + FA_C(13) * s2;
    double t = s * ((p03 + p47 * s4) + p810 * (s4 * s4));
    double hi = FA_C(1) + t;
    *lo = fa_two_sum_err(FA_C(1), t, hi) + FA_C(2);
#undef FA_C
    return hi;
}

/* exp(-a^2 / 2) 2^64 for a in [0, 40]: the scale keeps the products built on
 * it normal down to where gelu's float64 result underflows, so that result
 * meets the subnormal range in one rounding, when the callers multiply by
 * 2^-64 last (see exp_up64 in fa_math.h).  z + 64 ln 2 as a two-sum: exact. */
FA_INLINE fa_dd fa_libm_gauss_up64(double a)
{
    double sq_lo, sq = fa_two_prod(a, a, &sq_lo);
    double z = -0.5 * sq, z_lo = -0.5 * sq_lo;
    double zs = z + FA_LN2x64_HI;
    double zs_lo = fa_two_sum_err(z, FA_LN2x64_HI, zs) + (z_lo + FA_LN2x64_LO);
    return fa_libm_dd_exp(zs, zs_lo);
}

/* x Phi(x): w = x Phi(-|x|) = x E G; x <= 0: w, x > 0: x - w.  |x| > 40 is
 * computed at +-40 (the Gaussian is 0 there), so +-inf give inf and -0.0;
 * a NaN becomes 40 at the first select and is kept by the last. */
FA_INLINE double fa_libm_x_normal_cdf(double x)
{
    double e_lo, e = fa_libm_half_erfcx(fabs(x), &e_lo);
    double a = fabs(x) < FA_ERFCX_MAX ? fabs(x) : FA_ERFCX_MAX;
    double xc = copysign(a, x);
    fa_dd w = fa_libm_dd_mul(fa_libm_dd_mul(fa_dd_of(xc, 0.0), fa_dd_of(e, e_lo)),
                             fa_libm_gauss_up64(a));
    /* the sign of x, also where w underflows to 0 (renormalising drops a -0) */
    double below = copysign(fa_dd_value(w) * 0x1p-64, x);
    double wh = -w.hi * 0x1p-64, wl = -w.lo * 0x1p-64;
    double above = xc + wh;
    above += fa_two_sum_err(xc, wh, above) + wl;
    double r = x > 0.0 ? (x < FA_ERFCX_MAX ? above : x) : below;
    return x != x ? x : r;
}

/* Phi(x) + x phi(x) = 1 + G (k a - E) for x > 0 and -G (k a - E) for x <= 0,
 * k = 1 / sqrt(2 pi): the same product d G on both sides. */
FA_INLINE double fa_libm_normal_cdf_plus_x_pdf(double x)
{
    double e_lo, e = fa_libm_half_erfcx(fabs(x), &e_lo);
    double a = fabs(x) < FA_ERFCX_MAX ? fabs(x) : FA_ERFCX_MAX;
    double ka_lo, ka = fa_two_prod(FA_INV_SQRT_2PI, a, &ka_lo);
    fa_dd d = fa_libm_dd_add(fa_dd_of(ka, ka_lo + FA_INV_SQRT_2PI_LO * a), fa_dd_of(-e, -e_lo));
    fa_dd v = fa_libm_dd_mul(d, fa_libm_gauss_up64(a));
    double vh = v.hi * 0x1p-64, vl = v.lo * 0x1p-64;
    double above = 1.0 + vh;
    above += fa_two_sum_err(1.0, vh, above) + vl;
    double below = -(fa_dd_value(v) * 0x1p-64);
    return x != x ? x : (x > 0.0 ? above : below);
}

/* ---- float32 family: plain double, lo = 0 ----------------------------------- */

FA_INLINE fa_dd fa_fast_dd_add(fa_dd a, fa_dd b) { return fa_dd_of(a.hi + b.hi, 0.0); }
FA_INLINE fa_dd fa_fast_dd_mul(fa_dd a, fa_dd b) { return fa_dd_of(a.hi * b.hi, 0.0); }
FA_INLINE fa_dd fa_fast_dd_div(fa_dd a, fa_dd b) { return fa_dd_of(a.hi / b.hi, 0.0); }
FA_INLINE fa_dd fa_fast_dd_exp(double z, double z_lo)
{
    return fa_dd_of(fa_fast_exp(z) * (1.0 + z_lo), 0.0);
}
FA_INLINE fa_dd fa_fast_dd_div_one_plus(fa_dd n, fa_dd e)
{
    return fa_dd_of(n.hi / (1.0 + e.hi), 0.0);
}
FA_INLINE fa_dd fa_fast_dd_log1p_unit(fa_dd e) { return fa_dd_of(fa_fast_log1p(e.hi), 0.0); }
FA_INLINE fa_dd fa_fast_dd_exp_tang(double z, double z_lo) { return fa_fast_dd_exp(z, z_lo); }
FA_INLINE fa_dd fa_fast_dd_tanh(double x) { return fa_dd_of(fa_fast_tanh(x), 0.0); }

#endif /* FA_DD_H */
