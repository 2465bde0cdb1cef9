/*
 * fa_formulas_f32.h -- float32-native forwards of the activations that the
 * speed targets are about (sigmoid, silu, tanh, elu, softplus,
 * log_sigmoid) and the piecewise-linear hard_sigmoid, relu, relu6 and
 * hard_tanh.
 *
 * Why a second form: the generic float32 kernels widen to double and
 * evaluate fa_formulas.inc there (four lanes per AVX2 register, plus the
 * conversions).  These work in float (eight lanes) and keep the accuracy by
 * carrying the rounding error of each intermediate as a second float (the
 * fa_f32_* cores of fa_math.h return hi + lo), then dividing once and
 * correcting the quotient with its exact FMA residual:
 *     n / d  =  q + (fma(-q, d, n) + n_lo - q d_lo) / d,
 * where 1 / d itself only weighs a correction of ~1 ULP, so any cheap
 * approximation of it will do.  The result is rounded about twice: measured
 * over every float32 input against float64 references, sigmoid 0.77, silu
 * 0.84, tanh 0.77, elu 0.82 and softplus 0.77 ULP (the manifest's bounds are
 * 2 ULP).
 *
 * _manifest.py lists which (activation, mode) pairs have a form here
 * (`f32_native`); fa_kernels.c.tp uses it for their float32 loops on the
 * SIMD targets with FMA, and the double form everywhere else.  Conventions as in
 * fa_formulas.inc: NaN in, NaN out; +-inf give the limits; no branches.
 */
#ifndef FA_FORMULAS_F32_H
#define FA_FORMULAS_F32_H

#include "fa_formulas.h"

#define FA_DEF_F32(name, mode) \
    FA_INLINE float fa_##name##_##mode##_f32(float x, const fa_params *p __attribute__((unused)))

/* num / (1 + e) for num = num_hi + num_lo and e = e_hi + e_lo, e in [0, 1].
 * 1 / (1 + e) in the correction is a cubic in e (0.4 %). */
FA_INLINE float fa_f32_div_one_plus(float num, float num_lo, float e, float e_lo)
{
    float d = 1.0f + e, d_lo = ((1.0f - d) + e) + e_lo;   /* Fast2Sum: 1 >= e */
    float q = num / d;
    float residual = fmaf(-q, d, num);                    /* exact */
    float inv_d = fmaf(fmaf(fmaf(-0x1.cc8364p-3f, e, 0x1.545b46p-1f), e, -0x1.e0c96cp-1f),
                       e, 0x1.fe9da6p-1f);
    return fmaf(fmaf(-q, d_lo, residual + num_lo), inv_d, q);
}

/* v clipped to [lo, hi], written as selects whose compares a NaN fails, so
 * that NaN passes through without a test of its own; -0.0 stays -0.0, as in
 * fa_clamp. */
FA_INLINE float fa_f32_clip(float v, float lo, float hi)
{
    float r = lo > v ? lo : v;
    return hi < r ? hi : r;
}

/* sigmoid: e = exp(-|x|); 1 / (1 + e) for x >= 0, e / (1 + e) for x < 0. */
FA_DEF_F32(sigmoid, fwd)
{
    float m_lo, scale, m = fa_f32_exp_neg(-fabsf(x), &m_lo, &scale);
    float e = m * scale, e_lo = m_lo * scale;
    int pos = x >= 0.0f;
    return fa_f32_div_one_plus(pos ? 1.0f : e, pos ? 0.0f : e_lo, e, e_lo);
}

/* silu = x sigmoid(x): x / (1 + e) for x >= 0, x e / (1 + e) for x < 0 with
 * x e formed exactly (FMA).  Where e is subnormal (x < -80, 1 + e = 1) the
 * product is formed with the normal hi part and scaled last; below -112,
 * |x e^x| < 2^-151 rounds to -0. */
FA_DEF_F32(silu, fwd)
{
    float m_lo, scale, m = fa_f32_exp_neg(-fabsf(x), &m_lo, &scale);
    float e = m * scale, e_lo = m_lo * scale;
    int pos = x >= 0.0f;
    float xe = x * e, xe_lo = fmaf(x, e, -xe) + x * e_lo;
    float r = fa_f32_div_one_plus(pos ? x : xe, pos ? 0.0f : xe_lo, e, e_lo);
    r = x < -80.0f ? fmaf(x, m, x * m_lo) * scale : r;
    r = x == INFINITY ? x : r;                /* the residual of inf / 1 is NaN */
    return x < -112.0f ? -0.0f : r;
}

/* tanh(|x|) = -em / (2 + em), em = expm1(-2|x|); 1 / (2 + em) = (1 + tanh) / 2. */
FA_DEF_F32(tanh, fwd)
{
    float em_lo, em = fa_f32_expm1_neg(-2.0f * fabsf(x), &em_lo);
    float d = 2.0f + em, d_lo = ((2.0f - d) + em) + em_lo;   /* Fast2Sum: 2 >= |em| */
    float q = -em / d;
    float residual = fmaf(-q, d, -em);
    float r = fmaf(fmaf(-q, d_lo, residual - em_lo), 0.5f + 0.5f * q, q);
    return copysignf(r, x);
}

/* elu(alpha) = x for x > 0, alpha expm1(x) otherwise.  alpha is any double
 * (tiny, huge): the product is formed in double from expm1's two parts and
 * rounded once. */
FA_DEF_F32(elu, fwd)
{
    float em_lo, em = fa_f32_expm1_neg(x > 0.0f ? 0.0f : x, &em_lo);
    float neg = (float)(p->p0 * ((double)em + (double)em_lo));
    return x > 0.0f ? x : neg;                /* NaN: em and neg are NaN */
}

/* softplus = max(x, 0) + log1p(e), e = exp(-|x|): the two summed with their
 * rounding error (TwoSum) so that the result rounds once more at most. */
FA_DEF_F32(softplus, fwd)
{
    float m_lo, scale, m = fa_f32_exp_neg(-fabsf(x), &m_lo, &scale);
    float log_lo, log_hi = fa_f32_log1p_unit(m * scale, m_lo * scale, &log_lo);
    float pos = x > 0.0f ? x : 0.0f;
    float sum = pos + log_hi, b = sum - pos;
    float err = (pos - (sum - b)) + (log_hi - b);
    float r = sum + (err + log_lo);
    return x == INFINITY ? x : r;             /* TwoSum of inf gives NaN */
}

/* hard_sigmoid = clip((x + 3) / 6, 0, 1): (x + 3) (1 / 6) in double, rounded
 * to float, then clipped in float.  The same bits as the double form's
 * clip-then-round (compared over all 2^32 float32 x): a product >= 1 or <= 0
 * rounds to a float >= 1 or <= 0.  Clipped in double, GCC computes the
 * selects' masks in double and packs them to float lanes: 4x slower. */
FA_DEF_F32(hard_sigmoid, fwd)
{
    return fa_f32_clip((float)(((double)x + 3.0) * (1.0 / 6.0)), 0.0f, 1.0f);
}

/* relu6 and hard_tanh: clips by floats, the double form's bits. */
FA_DEF_F32(relu6, fwd) { return fa_f32_clip(x, 0.0f, 6.0f); }
FA_DEF_F32(hard_tanh, fwd) { return fa_f32_clip(x, -1.0f, 1.0f); }

/* relu with slope 0 and float-representable clips and threshold (the
 * default relu, relu(max_value=6), ...): compared with float32 x, such a
 * double decides every select as it does in double, and each piece (x, 0, a
 * clip) is a float, so the float selects give the double form's bits at
 * twice the lanes.  Other parameters take the double form; the test is
 * loop-invariant, so GCC emits a loop for each case. */
FA_DEF_F32(relu, fwd)
{
    float hi = (float)p->p1, threshold = (float)p->p2, lo = (float)p->p3;
    if (p->p0 != 0.0 || (double)hi != p->p1 || (double)threshold != p->p2
            || (double)lo != p->p3)
        return (float)fa_relu_fwd_fast((double)x, p);
    return fa_f32_clip(x <= threshold ? 0.0f : x, lo, hi);   /* NaN fails the compares: kept */
}

/* log_sigmoid(x) = -softplus(-x) */
FA_DEF_F32(log_sigmoid, fwd) { return -fa_softplus_fwd_f32(-x, p); }

#undef FA_DEF_F32
#endif /* FA_FORMULAS_F32_H */
