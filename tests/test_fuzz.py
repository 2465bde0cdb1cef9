"""Property-based fuzzing with hypothesis: shapes, dtypes, strides, byte order,
parameter values and special values, drawn at random, checked against the
float64 references within the documented bounds.

* every elementwise activation and derivative (from x, from y, with dy=):
  the result on the drawn layout is bitwise the result on a C-contiguous
  native copy, inputs are unchanged, and the values are within the manifest's
  ULP bound of ``reference`` (test_accuracy.measure, which also handles the
  absolute bound near roots of f');
* softmax / log_softmax along a drawn axis, against a float64 NumPy twin;
* dense and dense_backward on drawn shapes and layouts: y within the GEMM +
  Lipschitz bound of test_dense (y_bound), dx / dW / db within the GEMM bounds
  of the exact products of the same dz.

Budget: the "ci" profile (the default) runs a fixed, derandomized set of
examples per test; ``FASTACT_FUZZ=long`` runs 10 000 per test with fresh random
draws (the examples found are kept in .hypothesis/).  Add
``--hypothesis-show-statistics`` to see how many examples ran.
"""

import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastact
import test_accuracy
import test_dense
from fastact import _manifest
from fastact import activations as A
from fastact import derivatives as D

PROFILES = {
    "ci": settings(max_examples=300, derandomize=True, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow]),
    "long": settings(max_examples=10_000, deadline=None,
                     suppress_health_check=[HealthCheck.too_slow]),
}
FUZZ = PROFILES[os.environ.get("FASTACT_FUZZ", "ci")]

FLOAT_DTYPES = st.sampled_from([np.dtype(np.float32), np.dtype(np.float64)])
LAYOUTS = ["C", "F", "reversed", "strided", "byteswapped"]


# --------------------------------------------------------------------------
# Strategies
# --------------------------------------------------------------------------

def special_or_any(dtype):
    """Finite values of every magnitude, subnormals, +-0, +-inf and NaN."""
    fi = np.finfo(dtype)
    specials = [0.0, -0.0, float(fi.smallest_subnormal), -float(fi.smallest_subnormal),
                float(fi.tiny), float(fi.max), -float(fi.max), math.inf, -math.inf, math.nan,
                88.72, -88.72, 103.97, -103.97, 709.78, -709.78]
    # exactly representable in dtype: hypothesis refuses 88.72 for float32 (it
    # did with NumPy 1.23, the oldest declared)
    specials = [float(np.dtype(dtype).type(v)) for v in specials]
    width = 32 if dtype == np.float32 else 64
    return st.one_of(st.sampled_from(specials),
                     st.floats(width=width, allow_nan=True, allow_infinity=True),
                     st.floats(-12, 12, width=width))


@st.composite
def arrays(draw, dtype, shape):
    return draw(hnp.arrays(dtype, shape, elements=special_or_any(dtype)))


def relayout(a, layout):
    """An array equal in value to the C-contiguous a, in another memory layout."""
    if layout == "F":
        return np.asfortranarray(a) if a.ndim else a      # (asfortranarray makes 0-d 1-d)
    if layout == "reversed":
        return np.ascontiguousarray(a[::-1])[::-1] if a.ndim else a
    if layout == "strided":
        big = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype) if a.ndim else a.copy()
        if a.ndim:
            big[..., ::2] = a
            return big[..., ::2]
        return big
    if layout == "byteswapped":
        return a.astype(a.dtype.newbyteorder())
    return a


@st.composite
def parameters(draw, act):
    """Values for the manifest parameters of act, in their valid ranges."""
    values = {}
    for p in act.params:
        if p.kind == "bool":
            values[p.name] = draw(st.booleans())
            continue
        if p.kind == "float_or_none" and draw(st.booleans()):
            values[p.name] = None
            continue
        low = {"positive": 0.05, "nonnegative": 0.0}.get(p.check, -8.0)
        if act.name == "squareplus":
            low = 0.05         # b = 0: see test_squareplus_without_b_below
        values[p.name] = draw(st.floats(low, 8.0))
    if act.name == "relu" and values["max_value"] is not None:
        values["max_value"] = max(values["max_value"], 0.05)
    return values


def _bits_equal(a, b):
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    u = np.dtype(f"u{a.dtype.itemsize}")
    return a.dtype == b.dtype and a.shape == b.shape and bool(
        ((a.view(u) == b.view(u)) | (np.isnan(a) & np.isnan(b))).all())


# --------------------------------------------------------------------------
# Elementwise activations and derivatives
# --------------------------------------------------------------------------

def _modes(act, params):
    modes = ["fwd", "dx", "dx*dy"]
    if act.from_y is not None and act.from_y(params) is None:
        modes += ["dy"]
    return modes


def _call(act, mode, params, x, dy=None, out=None):
    f, d = getattr(A, act.name), getattr(D, act.name)
    if mode == "fwd":
        return f(x, **params, out=out)
    if mode == "dx":
        return d(x, **params, out=out)
    if mode == "dx*dy":
        return d(x, **params, dy=dy, out=out)
    return d(y=x, **params, out=out)                   # x is y here


@FUZZ
@given(data=st.data(), act=st.sampled_from(_manifest.ELEMENTWISE), dtype=FLOAT_DTYPES,
       shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=9),
       layout=st.sampled_from(LAYOUTS), with_out=st.booleans())
def test_elementwise(data, act, dtype, shape, layout, with_out):
    params = data.draw(parameters(act), "params")
    mode = data.draw(st.sampled_from(_modes(act, params)), "mode")
    x = data.draw(arrays(dtype, shape), "x")
    if mode == "dy":
        x = getattr(A, act.name)(x, **params)              # a real output of f
        x = x if isinstance(x, np.ndarray) else np.asarray(x)
    dy = data.draw(arrays(dtype, shape), "dy") if mode == "dx*dy" else None
    moved = relayout(x, layout)
    before = moved.copy()
    out = np.full(shape, 7.0, dtype) if with_out else None
    got = _call(act, mode, params, moved, dy, out)
    want = _call(act, mode, params, np.array(x, order="C"), dy)   # (ascontiguousarray: >= 1-d)
    assert _bits_equal(moved, before), "the input was modified"
    if with_out:
        assert got is out
    assert _bits_equal(np.asarray(got), np.asarray(want)), f"layout {layout} changed the bits"

    # the values against the reference (from-y accuracy: the test below)
    flat = np.ascontiguousarray(x).reshape(-1)
    if mode in ("fwd", "dx") and flat.size:
        _assert_within_bound(act, params, mode, dtype, flat)


def _assert_within_bound(act, params, mode, dtype, x):
    # one finite value besides the drawn ones: measure() reports the worst
    # finite error and needs at least one
    x = np.concatenate([x, np.ones(1, dtype)])
    err, where = test_accuracy.measure(act, params, mode, dtype, x)
    bound = test_accuracy.bound(act, mode, dtype)
    assert not err > bound, f"{act.name}[{mode}] {dtype} {params}: {where}, bound {bound}"


@FUZZ
@given(data=st.data(), act=st.sampled_from(_manifest.ELEMENTWISE), dtype=FLOAT_DTYPES)
def test_derivative_from_y_matches_the_reference(data, act, dtype):
    params = data.draw(parameters(act), "params")
    assume(act.from_y is not None and act.from_y(params) is None)
    # measure() computes y = f(x) and the derivative from that y
    x = data.draw(arrays(dtype, (data.draw(st.integers(1, 40), "n"),)), "x")
    _assert_within_bound(act, params, "dy", dtype, x)


# --------------------------------------------------------------------------
# softmax and log_softmax
# --------------------------------------------------------------------------

def _softmax64(x, axis, log):
    """(reference, scale of its cancellation) along one axis, in long double
    (x - max exact enough that exp does not amplify its rounding, as a float64
    difference would by |x - max| ULPs); log(sum) as log1p of the terms other
    than the (first) maximum's 1."""
    x = x.astype(np.longdouble)
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - m)
    first_max = np.zeros(x.shape, bool)
    np.put_along_axis(first_max, np.expand_dims(np.argmax(x, axis=axis), axis), True, axis)
    rest = np.sum(np.where(first_max, 0.0, e), axis=axis, keepdims=True)
    if log:
        return x - m - np.log1p(rest), np.abs(x - m) + np.abs(np.log1p(rest))
    return e / (1.0 + rest), np.zeros_like(x)


@FUZZ
@given(data=st.data(), dtype=FLOAT_DTYPES, log=st.booleans(),
       shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=8),
       layout=st.sampled_from(LAYOUTS))
def test_softmax(data, dtype, log, shape, layout):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), "axis")
    x = data.draw(hnp.arrays(dtype, shape, elements=st.floats(-80, 80, width=dtype.itemsize * 8)))
    func = A.log_softmax if log else A.softmax
    moved = relayout(x, layout)
    got = func(moved, axis=axis)
    assert _bits_equal(got, func(np.ascontiguousarray(x), axis=axis)), layout
    ref, scale = _softmax64(x, axis % len(shape), log)
    entry = _manifest.BY_NAME["log_softmax" if log else "softmax"]
    eps = float(np.finfo(dtype).eps)
    tol = (entry.ulp[dtype.name] + 2) * eps * (np.abs(ref) + scale) + shape[axis] * 4e-16 * (
        np.abs(ref) + scale) + float(np.finfo(dtype).smallest_subnormal)
    err = np.abs(got.astype(np.longdouble) - ref)
    assert (err <= tol).all(), f"max err {err.max():.3g} vs bound {tol[err > tol].min():.3g}"


# --------------------------------------------------------------------------
# dense and dense_backward
# --------------------------------------------------------------------------

DENSE_SPECS = [s for s in test_dense.SPECS if s.name not in ("glu",)]


@FUZZ
@given(data=st.data(), spec=st.sampled_from(DENSE_SPECS), dtype=FLOAT_DTYPES,
       lead=hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=40),
       k=st.integers(0, 12), units=st.integers(1, 12), bias=st.booleans(),
       x_layout=st.sampled_from(["C", "F", "strided", "byteswapped"]),
       w_layout=st.sampled_from(["C", "F", "reversed"]))
def test_dense_forward(data, spec, dtype, lead, k, units, bias, x_layout, w_layout):
    values = st.floats(-4, 4, width=dtype.itemsize * 8)
    x = data.draw(hnp.arrays(dtype, tuple(lead) + (k,), elements=values), "x")
    W = data.draw(hnp.arrays(dtype, (k, units), elements=values), "W")
    b = data.draw(hnp.arrays(dtype, (units,), elements=values), "b") if bias else None
    y = fastact.dense(relayout(x, x_layout), relayout(W, w_layout), b, spec.arg)
    assert _bits_equal(y, fastact.dense(np.ascontiguousarray(x), W, b, spec.arg))
    z_ref, absum = test_dense.z_reference(x, W, b)
    tol_z = test_dense.z_bound(absum, k, dtype)
    y_ref = spec.ref(z_ref)
    tol_y = test_dense.y_bound(spec, z_ref, tol_z, y_ref, dtype)
    # Found by FASTACT_FUZZ=long: exponential of z = 90 is 1.2e39, beyond float32:
    # where even the bound cannot bring the reference into the dtype, the
    # answer is inf of its sign.
    over = np.abs(y_ref) - tol_y > float(np.finfo(dtype).max)
    assert np.array_equal(y[over], np.copysign(np.inf, y_ref[over])), (
        f"dense {spec.id}: {y[over]!r} where the reference {y_ref[over]!r} overflows {dtype}")
    test_dense.assert_within(np.where(over, 0, y), np.where(over, 0, y_ref), tol_y,
                             f"dense {spec.id}")


# (derivatives take the manifest's parameter names, not Keras 2's relu alpha=)
BACKWARD_SPECS = [s for s in test_dense.SPECS if s.elementwise
                  and set(s.kw) <= {p.name for p in s.entry.params}]


@FUZZ
@given(data=st.data(), spec=st.sampled_from(BACKWARD_SPECS), dtype=FLOAT_DTYPES,
       lead=hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=40),
       k=st.integers(1, 12), units=st.integers(1, 12))
def test_dense_backward(data, spec, dtype, lead, k, units):
    values = st.floats(-4, 4, width=dtype.itemsize * 8)
    x = data.draw(hnp.arrays(dtype, tuple(lead) + (k,), elements=values), "x")
    W = data.draw(hnp.arrays(dtype, (k, units), elements=values), "W")
    dy = data.draw(hnp.arrays(dtype, tuple(lead) + (units,), elements=values), "dy")
    y, z = fastact.dense(x, W, None, spec.arg, return_z=True)
    dx, dW, db = fastact.dense_backward(dy, x, W, z=z, activation=spec.arg)
    # dz is the fused derivative kernel on z, the same bits as derivatives.<name>
    dz = getattr(D, spec.name)(z, **spec.kw, dy=dy).astype(np.float64).reshape(-1, units)
    # (exponential's dz overflows for large z; the GEMM bounds are about finite sums)
    assume(np.all(np.abs(dz) < float(np.finfo(dtype).max) / 1e5))
    x64 = x.astype(np.float64).reshape(-1, k)
    W64 = W.astype(np.float64)
    n = max(x64.shape[0], 1)
    eps, tiny = float(np.finfo(dtype).eps), float(np.finfo(dtype).smallest_subnormal)
    g, eps64 = test_dense.gamma, test_dense.EPS64
    adz = np.abs(dz)
    # GEMM bounds in the compute dtype and in the float64 reference, plus half a
    # subnormal spacing per rounded product where results underflow
    test_dense.assert_within(dx, (dz @ W64.T).reshape(x.shape),
                             ((g(units, eps) + g(units, eps64)) * (adz @ np.abs(W64).T)
                              + units * tiny).reshape(x.shape), "dx")
    test_dense.assert_within(dW, x64.T @ dz, (g(n, eps) + g(n, eps64))
                             * (np.abs(x64).T @ adz) + n * tiny, "dW")
    # db: a float64 sum of the dz, rounded once to the compute dtype
    test_dense.assert_within(db, dz.sum(axis=0), eps * np.abs(dz.sum(axis=0))
                             + g(n, eps64) * 2 * adz.sum(axis=0) + tiny, "db")


# Found by FASTACT_FUZZ=long: with b = 0, squareplus is relu, (x + |x|) / 2, and
# both derivatives were 0.5 instead of 1 where x * x (or y * y) underflows.  (At
# x = 0 itself fastact gives the kink value 0.5 and reference.py's 0/0 NaN, so
# the fuzzing draws b > 0.)
def test_squareplus_without_b_below_the_square_underflow():
    for tiny in (np.array([5e-324, 1e-200, 1e-160]), np.array([1e-45, 1e-30], np.float32)):
        assert (D.squareplus(tiny, b=0.0) == 1.0).all()
        assert (D.squareplus(-tiny, b=0.0) == 0.0).all()
        assert (D.squareplus(y=tiny, b=0.0) == 1.0).all()


# Found by FASTACT_FUZZ=long (the two dense cases above): the references were
# wrong, fastact right.  exponential's float32 result overflows to inf where
# the float64 one does not; a sum of products in the subnormals is within
# k half-subnormals of the exact one, as z_bound now says.
def test_dense_float32_overflow_and_subnormal_products():
    x, W = np.full(10, 3.0, np.float32), np.full((10, 1), 3.0, np.float32)
    assert fastact.dense(x, W, None, "exponential")[0] == np.inf          # exp(90)
    x, W = np.full(7, 1.5, np.float32), np.full((7, 1), 1e-45, np.float32)
    z = float(fastact.dense(x, W, None, "linear")[0])
    exact, tiny = 7 * 1.5 * float(np.float32(1e-45)), float(np.finfo(np.float32).smallest_subnormal)
    assert abs(z - exact) <= test_dense.z_bound(np.array(exact), 7, np.dtype(np.float32))
    assert abs(z - exact) >= tiny                # the case the relative bound alone missed
