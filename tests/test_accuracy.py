"""Accuracy of every elementwise activation and derivative, in ULPs.

The bounds are read from fastact._manifest (``ulp``, ``dulp``, ``droot``), so
each is stated once, next to its definition.  float32 results are checked
against the float64 twins in ``reference.numpy64`` over a strided sweep of
float32 bit patterns (every 1009th, both signs, the whole range) plus the
special values; float64 results against mpmath (``reference.mp``) on a
logarithmic grid plus 14 000 seeded random points, and against
``reference.numpy64`` for the piecewise ones.
``-m slow`` sweeps every float32.
"""

import math

import numpy as np
import pytest
from scipy import optimize

import reference
from fastact import _manifest, activations, derivatives

SPECIALS = [0.0, -0.0, 1e-45, -1e-45, 1.1754942e-38, -1.1754942e-38, 2.2250738585072014e-308,
            -2.2250738585072014e-308, 5e-324, -5e-324, 88.72, -88.72, 88.72283935546875,
            -87.33654, -103.97, 103.97, -103.972077, 709.78, -709.78, 709.782712893384,
            -745.13, 1e30, -1e30, 3.4028234663852886e38, -3.4028234663852886e38, 1.7e308,
            -1.7e308, np.inf, -np.inf, np.nan]

# Parameter sets checked for each parametrised function: the Keras defaults
# and a few that move the kinks or change the formula.
PARAM_SETS = {
    "celu": [{"alpha": 1.0}, {"alpha": 0.3}, {"alpha": 2.5}],
    "elu": [{"alpha": 1.0}, {"alpha": 0.5}],
    "gelu": [{"approximate": False}, {"approximate": True}],
    "hard_shrink": [{"threshold": 0.5}, {"threshold": 0.0}],
    "leaky_relu": [{"negative_slope": 0.2}, {"negative_slope": 0.01}],
    "relu": [{"negative_slope": 0.0, "max_value": None, "threshold": 0.0},
             {"negative_slope": 0.1, "max_value": 6.0, "threshold": 0.0},
             {"negative_slope": 0.0, "max_value": None, "threshold": 2.0},
             {"negative_slope": 0.3, "max_value": 5.0, "threshold": 1.5},
             {"negative_slope": 0.0, "max_value": None, "threshold": -1.0}],
    "soft_shrink": [{"threshold": 0.5}, {"threshold": 2.0}],
    "squareplus": [{"b": 4.0}, {"b": 0.5}],
    "threshold": [{"threshold": 0.5, "default_value": -1.0}],
}


def param_sets(act):
    if act.name in PARAM_SETS:
        return PARAM_SETS[act.name]
    return [{p.name: p.default for p in act.params}]


CASES = [(act, params) for act in _manifest.ELEMENTWISE for params in param_sets(act)]
CASE_IDS = [f"{a.name}-{'-'.join(f'{k}={v}' for k, v in p.items())}".rstrip("-") for a, p in CASES]


def float32_sweep(stride):
    bits = np.arange(0, 2 ** 32, stride, dtype=np.uint64).astype(np.uint32)
    x = bits.view(np.float32)
    x = x[np.isfinite(x)]
    specials = np.array(SPECIALS)
    with np.errstate(over="ignore"):          # 1e300 -> inf is one of the specials
        return np.concatenate([x, specials.astype(np.float32)])


def float64_sample():
    """A log grid, and random points: a grid alone missed errors of 2.3 ULP
    (silu) to 3.9 (gelu) that a random sample of the same region found."""
    mags = np.logspace(-12, 2.9, 1500)
    mags = np.concatenate([mags, np.logspace(2.9, 300, 120), np.linspace(0.01, 12, 400)])
    rng = np.random.default_rng(20261123)
    random = np.concatenate([rng.uniform(-40.0, 40.0, 6000),
                             np.exp(rng.uniform(-18.0, 6.7, 3000)),
                             -np.exp(rng.uniform(-18.0, 6.7, 3000)),
                             # where exp(x) or gelu's exp(v(x)) leaves the normal range
                             rng.uniform(-750.0, -600.0, 1000), rng.uniform(-23.0, -20.0, 1000)])
    return np.concatenate([mags, -mags, random, np.array(SPECIALS)])


def ulps(got, ref_hi, ref_lo, dtype):
    """|got - ref| in ULPs of dtype at ref; NaN where either is non-finite."""
    info = np.finfo(dtype)
    ref = ref_hi.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        _, e = np.frexp(np.abs(ref))
        ulp = np.ldexp(1.0, np.maximum(e - info.nmant - 1, info.minexp - info.nmant))
        err = np.abs((got.astype(np.float64) - ref) - ref_lo) / ulp
    return np.where(np.isfinite(ref) & np.isfinite(got), err, np.nan)


def check_special_agreement(got, ref, dtype, what):
    """Non-finite expected values (after rounding to dtype) must match exactly."""
    with np.errstate(over="ignore"):          # a finite float64 beyond float32 max -> inf
        ref_d = ref.astype(dtype)
    special = ~np.isfinite(ref_d) | ~np.isfinite(got)
    bad = special & ~((got == ref_d) | (np.isnan(got) & np.isnan(ref_d)))
    assert not bad.any(), (f"{what}: non-finite mismatch at x-index {np.flatnonzero(bad)[:5]}: "
                           f"got {got[bad][:5]}, expected {ref_d[bad][:5]}")


def derivative_roots(fn, params):
    """Roots of f' on [-20, 20] (where a derivative has no relative accuracy)."""
    grid = np.linspace(-20, 20, 40001)
    vals = fn(grid, params)
    roots = []
    for i in np.flatnonzero(np.sign(vals[:-1]) * np.sign(vals[1:]) < 0):
        roots.append(optimize.brentq(lambda t: fn(np.array([t]), params)[0], grid[i], grid[i + 1]))
    return np.array(roots)


def worst(err, x):
    i = int(np.nanargmax(err))
    return f"max {err[i]:.3g} ULP at x = {x[i]!r}"


def measure(act, params, mode, dtype, x):
    """(max error in ULPs, description) of one function/mode on inputs x.

    Where the manifest gives ``droot``, points within droot of a root of f'
    are checked in absolute terms: their error is reported in units of
    eps * max|f'| instead of ULPs of the value.
    """
    ref_tab = reference.numpy64[act.name]
    packed_params = dict(params)
    if mode == "fwd":
        got = getattr(activations, act.name)(x, **packed_params)
        source = x
    elif mode == "dx":
        got = getattr(derivatives, act.name)(x, **packed_params)
        source = x
    else:
        y = getattr(activations, act.name)(x, **packed_params)
        got = getattr(derivatives, act.name)(y=y, **packed_params)
        source = y
    src64 = source.astype(np.float64)
    with np.errstate(all="ignore"):
        if dtype == np.float64 and act.name in reference.mp and mode != "dy":
            finite = np.isfinite(src64)
            ref_hi = ref_tab[mode](src64, params).astype(np.float64)   # non-finite inputs
            ref_lo = np.zeros_like(ref_hi)
            hi, lo = reference.mp_eval(reference.mp[act.name][mode], src64[finite], params)
            ref_hi[finite], ref_lo[finite] = hi, lo
        else:
            ref_hi = ref_tab[mode](src64, params).astype(np.float64)
            ref_lo = np.zeros_like(ref_hi)
    check_special_agreement(got, ref_hi, dtype, f"{act.name}[{mode}] {params}")
    err = ulps(got, ref_hi, ref_lo, dtype)
    if bound(act, mode, dtype) == 0:
        # "exact": equal to the reference rounded to dtype (1/6 is exact this way)
        with np.errstate(over="ignore"):
            rounded = ref_hi.astype(dtype)
        err = np.where(np.isfinite(err), (got != rounded).astype(np.float64), np.nan)
    if act.droot and mode != "fwd":
        roots = derivative_roots(ref_tab["dx"], params)
        near = np.zeros(len(x), bool)
        for r in roots:
            near |= np.abs(x.astype(np.float64) - r) <= act.droot[np.dtype(dtype).name]
        scale = np.nanmax(np.abs(ref_hi[np.isfinite(ref_hi)]))
        eps = np.finfo(dtype).eps
        absolute = np.abs(got.astype(np.float64) - ref_hi) / (eps * scale)
        err = np.where(near, absolute, err)
    return float(np.nanmax(err)), worst(err, x)


def bound(act, mode, dtype):
    return (act.ulp if mode == "fwd" else act.dulp)[np.dtype(dtype).name]


def modes(act):
    return ("fwd", "dx") + (("dy",) if act.from_y is not None else ())


@pytest.fixture(scope="module")
def sweep32():
    return float32_sweep(1009)


@pytest.fixture(scope="module")
def sample64():
    return float64_sample()


@pytest.mark.parametrize("act,params", CASES, ids=CASE_IDS)
def test_float32_within_bound(act, params, sweep32):
    for mode in modes(act):
        if mode == "dy" and act.from_y(params) is not None:
            continue
        err, where = measure(act, params, mode, np.float32, sweep32)
        assert err <= bound(act, mode, "float32"), (
            f"{act.name}[{mode}] float32 {params}: {where}, bound {bound(act, mode, 'float32')}")


@pytest.mark.parametrize("act,params", CASES, ids=CASE_IDS)
def test_float64_within_bound(act, params, sample64):
    for mode in modes(act):
        if mode == "dy" and act.from_y(params) is not None:
            continue
        err, where = measure(act, params, mode, np.float64, sample64)
        assert err <= bound(act, mode, "float64"), (
            f"{act.name}[{mode}] float64 {params}: {where}, bound {bound(act, mode, 'float64')}")


def erfcx_table_edges():
    """The edges of the rows of fastact/_src/fa_erfcx_table.h (float64 gelu's
    erfcx: [0, 1) in eighths, then each binade up to 64 in eighths) and the
    four doubles either side of each, both signs: where a row's polynomial is
    used at the very end of its interval, or (y = |x| + 1 rounding up) just
    beyond it."""
    edges = [j / 8 for j in range(9)] + [2.0 ** e * (1 + j / 8) for e in range(6) for j in range(9)]
    points = []
    for edge in edges:
        x = np.float64(edge)
        for _ in range(4):
            x = np.nextafter(x, -np.inf)
        for _ in range(9):
            points.append(x)
            x = np.nextafter(x, np.inf)
    points = np.array(points)
    return np.concatenate([points, -points])


@pytest.mark.parametrize("mode", ["fwd", "dx"])
def test_float64_gelu_at_the_erfcx_table_edges(mode):
    act, params = _manifest.BY_NAME["gelu"], {"approximate": False}
    err, where = measure(act, params, mode, np.float64, erfcx_table_edges())
    assert err <= bound(act, mode, "float64"), f"gelu[{mode}] float64: {where}"


def every_float32(chunk=2 ** 26):
    """Every finite float32 and the special values, in chunks of `chunk` bit
    patterns: all 2^32 at once would take 34 GB as the uint64 range alone."""
    for start in range(0, 2 ** 32, chunk):
        x = np.arange(start, start + chunk, dtype=np.uint64).astype(np.uint32).view(np.float32)
        yield x[np.isfinite(x)]
    with np.errstate(over="ignore"):
        yield np.array(SPECIALS).astype(np.float32)


@pytest.mark.slow
@pytest.mark.parametrize("act,params", CASES, ids=CASE_IDS)
def test_every_float32(act, params):
    for mode in modes(act):
        if mode == "dy" and act.from_y(params) is not None:
            continue
        err, where = max(measure(act, params, mode, np.float32, x) for x in every_float32())
        assert err <= bound(act, mode, "float32"), f"{act.name}[{mode}]: {where}"
        print(f"{act.name}[{mode}] {params}: {where} (bound {bound(act, mode, 'float32')})")


# --------------------------------------------------------------------------
# softmax and log_softmax: the row-wise bounds
# --------------------------------------------------------------------------

def softmax_reference(x):
    """softmax and log_softmax of each row in long double (x87: 64-bit
    mantissa, 2^-11 of a float64 ULP).  log(sum) is log1p of the terms other
    than the max's exact 1s, so a sum just above 1 keeps its relative
    accuracy (the max element's log_softmax is about -(sum - 1))."""
    xl = x.astype(np.longdouble)
    m = xl.max(axis=-1, keepdims=True)
    d = xl - m
    e = np.exp(d)
    top = d == 0
    rest = np.where(top, 0, e).sum(axis=-1, keepdims=True) + (top.sum(axis=-1, keepdims=True) - 1)
    return e / e.sum(axis=-1, keepdims=True), d - np.log1p(rest)


def rowwise_ulp_error(got, ref, dtype):
    rounded = ref.astype(dtype)
    tiny = np.finfo(dtype).smallest_subnormal
    spacing = np.maximum(np.spacing(np.abs(rounded)), tiny).astype(np.longdouble)
    return np.abs(got.astype(np.longdouble) - ref) / spacing


def softmax_rows(dtype):
    """Rows of 1 to 513 elements, spreads from 0.01 (sums near n) to 300
    (terms deep in the subnormals), with ties at the max and -inf entries."""
    rng = np.random.default_rng(2027)
    rows = []
    for n in (1, 2, 7, 16, 64, 513):
        for scale in (0.01, 1.0, 8.0, 40.0, 300.0):
            x = rng.standard_normal((40, n)) * scale
            if n > 2:
                x[::3, 1] = x[::3].max(axis=1)           # ties at the max
                x[1::3, 2] = -np.inf
            rows.append(x.astype(dtype))
    return rows


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_rows_within_bound(name, dtype):
    limit = _manifest.BY_NAME[name].ulp[np.dtype(dtype).name]
    worst = 0.0
    for x in softmax_rows(dtype):
        soft, log_soft = softmax_reference(x)
        ref = soft if name == "softmax" else log_soft
        got = getattr(activations, name)(x)
        finite = np.isfinite(ref)
        assert (got[~finite] == ref[~finite]).all(), f"{name}: -inf entries"
        err = rowwise_ulp_error(got[finite], ref[finite], dtype)
        worst = max(worst, float(err.max()))
        assert err.max() <= limit, (
            f"{name} {np.dtype(dtype).name} rows of {x.shape[1]}: {float(err.max()):.3g} ULP "
            f"at x = {x[np.nonzero(finite)[0][np.argmax(err)]]!r}, bound {limit}")
    print(f"{name} {np.dtype(dtype).name}: max {worst:.3g} ULP (bound {limit})")


RELU_PARAMETERS = [
    {}, {"max_value": 6.0}, {"threshold": 2.0}, {"threshold": 0.1}, {"max_value": 0.3},
    {"threshold": 1e-40, "max_value": 1e300}, {"negative_slope": 0.1, "max_value": 6.0,
                                                "threshold": 2.0}]


@pytest.mark.parametrize("params", RELU_PARAMETERS, ids=lambda p: repr(p) if p else "default")
def test_float32_relu_gives_the_bits_of_its_float64_evaluation(params):
    """The float32 relu has a float form for slope 0 with float-representable
    clips and threshold, and the double form otherwise: both must give the
    float64 result rounded, at and around every parameter value."""
    anchors = [v for v in params.values()] + [0.0, 3.0]
    near = [np.nextafter(np.float32(a), np.float32(d)) for a in anchors if abs(a) < 3e38
            for d in (-np.inf, np.inf)] + [np.float32(a) for a in anchors if abs(a) < 3e38]
    x = np.concatenate([
        np.array(near, np.float32),
        np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 3.4e38, -3.4e38],
                 np.float32),
        np.random.default_rng(5).standard_normal(10_000).astype(np.float32) * 4])
    got = activations.relu(x, **params)
    with np.errstate(over="ignore"):          # relu(inf, max_value=1e300): inf either way
        expected = activations.relu(x.astype(np.float64), **params).astype(np.float32)
    assert got.dtype == np.float32
    same = (got.view(np.uint32) == expected.view(np.uint32)) | (np.isnan(got) & np.isnan(expected))
    assert same.all(), (f"relu{params}: x={x[~same][:5]} gives {got[~same][:5]}, "
                        f"float64 rounded: {expected[~same][:5]}")
