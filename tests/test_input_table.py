"""The hostile-input table: (entry point, argument, value, expected), one test per row.

Entry points: activations (sigmoid; relu with parameters; softmax, row-wise),
derivatives (tanh with dy=), dense, dense_backward.  For every array argument
of each, the table tries values that are not arrays of real numbers, shapes
that do not match, other memory layouts and byte orders, read-only and list
inputs, NaN/inf/subnormal values, zero-size axes, and ``out=`` arrays of the
wrong shape/dtype/writability/type, in other layouts, or overlapping an input.

Expected is one of:
  * an exception class: raised, its message names the argument;
  * SAME: bitwise the result of the plain call (C-contiguous native float64
    copies of the same values), no warning;
and in every case the inputs are unchanged afterwards (out= excepted).

The activations' own parameter/axis/dtype errors are tabled in
test_bad_input.py (generated from the manifest, every activation); this table
adds the dense layer and the layout/overlap/value rows for all six.  Run
``pytest tests/test_input_table.py -v`` (or ``--collect-only -q``) to list it.
"""

import functools
import warnings
from collections import namedtuple

import numpy as np
import pytest

import fastact
from fastact import activations as A
from fastact import derivatives as D

SAME = "same result"
Row = namedtuple("Row", "entry arg label make expected")

rng = np.random.default_rng(2024)
X = rng.standard_normal((6, 4))
W = rng.standard_normal((4, 3)) / 2
B = rng.standard_normal(3)
DY = rng.standard_normal((6, 3))
Z = X @ W + B


def _base(entry):
    """Valid keyword arguments of each entry point (fresh copies)."""
    return {
        "activations.sigmoid": lambda: dict(x=X.copy()),
        "activations.relu": lambda: dict(x=X.copy()),
        "activations.softmax": lambda: dict(x=X.copy()),
        "derivatives.tanh": lambda: dict(x=X.copy(), dy=X[::-1].copy()),
        "dense": lambda: dict(x=X.copy(), W=W.copy(), b=B.copy(), activation="gelu"),
        "dense_backward": lambda: dict(dy=DY.copy(), x=X.copy(), W=W.copy(), z=Z.copy(),
                                       activation="gelu"),
    }[entry]()


FUNCS = {
    "activations.sigmoid": A.sigmoid,
    "activations.relu": functools.partial(A.relu, negative_slope=0.1, max_value=2.0),
    "activations.softmax": A.softmax,
    "derivatives.tanh": D.tanh,
    "dense": fastact.dense,
    "dense_backward": fastact.dense_backward,
}
ARRAYS = {"activations.sigmoid": ["x"], "activations.relu": ["x"],
          "activations.softmax": ["x"], "derivatives.tanh": ["x", "dy"],
          "dense": ["x", "W", "b"], "dense_backward": ["dy", "x", "W", "z"]}
# arguments that may not be None (None is a valid b, dy of derivatives, z)
REQUIRED = {"activations.sigmoid": ["x"], "activations.relu": ["x"],
            "activations.softmax": ["x"], "derivatives.tanh": ["x"],
            "dense": ["x", "W"], "dense_backward": ["dy", "x", "W"]}


def _set(arg, fn):
    """make(): replace kwargs[arg] by fn(kwargs[arg])."""
    def make(kw):
        kw[arg] = fn(kw.get(arg))
        return kw
    return make


def _reversed(a):
    return np.ascontiguousarray(a[::-1])[::-1]


def _strided(a):
    big = np.zeros(a.shape[:-1] + (3 * a.shape[-1],), a.dtype)
    big[..., ::3] = a
    return big[..., ::3]


def _read_only(a):
    a = a.copy()
    a.flags.writeable = False
    return a


def _with_specials(a):
    a = a.copy()
    flat = a.reshape(-1)
    flat[::5] = np.nan
    flat[1::5] = np.inf
    flat[2::5] = -np.inf
    flat[3::7] = 5e-324                                  # float64 subnormals
    return a


def _not_real(shape):
    """(label, value, expected) for values that are not arrays of reals."""
    n = int(np.prod(shape))
    return [
        ("list of str", ["a"] * max(n, 1), TypeError),
        ("dict", {"a": 1.0}, TypeError),
        ("object array", np.ones(shape, object), TypeError),
        ("complex array", np.ones(shape, complex), TypeError),
        ("str array", np.full(shape, "1.0"), TypeError),
        ("datetime64 array", np.zeros(shape, "datetime64[s]"), TypeError),
        ("timedelta64 array", np.zeros(shape, "timedelta64[s]"), TypeError),
        ("longdouble array", np.ones(shape, np.longdouble), TypeError),
    ]


LAYOUTS = [("fortran", np.asfortranarray), ("negative strides", _reversed),
           ("non-contiguous", _strided), ("byte-swapped", lambda a: a.astype(a.dtype.newbyteorder())),
           ("read-only", _read_only), ("nested list", lambda a: a.tolist())]


def _overlapping_out(arg):
    """out and kw[arg] share one buffer, out starting one element later."""
    def make(kw):
        src = kw[arg]
        shape = _OUT_SHAPES[kw["__entry__"]]
        size = int(np.prod(shape))
        buf = np.zeros(src.size + size + 1)
        moved = buf[:src.size].reshape(src.shape)
        moved[...] = src
        kw[arg] = moved
        kw["out"] = buf[1:1 + size].reshape(shape)
        return kw
    return make


_OUT_SHAPES = {"activations.sigmoid": X.shape, "activations.relu": X.shape,
               "activations.softmax": X.shape, "derivatives.tanh": X.shape, "dense": (6, 3)}


def _rows():
    rows = []
    for entry, args in ARRAYS.items():
        for arg in REQUIRED[entry]:
            rows.append(Row(entry, arg, "None", _set(arg, lambda v: None), TypeError))
        for arg in args:
            shape = _base(entry)[arg].shape
            for label, value, exc in _not_real(shape):
                rows.append(Row(entry, arg, label, _set(arg, lambda v, value=value: value), exc))
            if len(args) > 1:                              # shapes that do not match
                # (W one row short: a column short would be b's mismatch)
                short = (lambda v: v[:-1]) if arg == "W" else (lambda v: v[..., :-1])
                rows.append(Row(entry, arg, "one element short", _set(arg, short), ValueError))
                if arg != "x":                             # dense: leading axes of x are samples
                    rows.append(Row(entry, arg, "an extra axis",
                                    _set(arg, lambda v: v[None]), ValueError))
            for label, fn in LAYOUTS:
                rows.append(Row(entry, arg, label, _set(arg, fn), SAME))
            rows.append(Row(entry, arg, "NaN, +-inf and subnormals",
                            _set(arg, _with_specials), SAME))
        # zero-size: no rows (all entries), and for dense no features
        rows.append(Row(entry, "x", "zero rows", _zero_rows(entry), SAME))
        if entry in _OUT_SHAPES:
            shape = _OUT_SHAPES[entry]
            for label, out, exc in [
                    ("wrong shape", np.zeros(shape[::-1]), ValueError),
                    ("wrong dtype float32", np.zeros(shape, np.float32), TypeError),
                    ("wrong dtype int", np.zeros(shape, np.int64), TypeError),
                    ("read-only", _read_only(np.zeros(shape)), ValueError),
                    ("a list", np.zeros(shape).tolist(), TypeError)]:
                rows.append(Row(entry, "out", label, _set("out", lambda v, o=out: o), exc))
            for label, fn in [("fortran", np.asfortranarray), ("negative strides", _reversed),
                              ("non-contiguous", _strided)]:
                rows.append(Row(entry, "out", label,
                                _set("out", lambda v, fn=fn, shape=shape: fn(np.zeros(shape))),
                                SAME))
            rows.append(Row(entry, "out", "C order, x in Fortran order", _fortran_x_c_out,
                            SAME))
            for arg in args:
                rows.append(Row(entry, "out", f"overlapping {arg}, one element later",
                                _overlapping_out(arg), SAME))
                if _base(entry)[arg].shape == shape:
                    rows.append(Row(entry, "out", f"is {arg} (in place)", _in_place(arg), SAME))
    rows += _dense_specific()
    return rows


def _zero_rows(entry):
    def make(kw):
        for arg in ARRAYS[entry]:
            if arg not in ("W", "b"):
                kw[arg] = kw[arg][:0]
        return kw
    return make


def _fortran_x_c_out(kw):
    kw["x"] = np.asfortranarray(kw["x"])
    kw["out"] = np.zeros(_OUT_SHAPES[kw["__entry__"]])
    return kw


def _in_place(arg):
    def make(kw):
        kw["out"] = kw[arg]
        return kw
    return make


def _dense_specific():
    P = functools.partial
    rows = []
    for entry in ("dense", "dense_backward"):
        # (a bad parameter of the activation is named itself, not "activation")
        for named, label, act, exc in [
                ("activation", "unknown name", "relux", ValueError),
                ("activation", "an int", 3, TypeError),
                ("activation", "bytes", b"relu", TypeError),
                ("beta", "partial(elu) with an unknown parameter", P(A.elu, beta=1.0), TypeError),
                ("alpha", "partial(elu) with alpha of the wrong type", P(A.elu, alpha="1"),
                 TypeError),
                ("alpha", "partial(elu) with alpha out of range", P(A.elu, alpha=-1.0), ValueError),
                ("threshold", "threshold without its parameters", "threshold", TypeError)]:
            rows.append(Row(entry, named, label, _set("activation", lambda v, a=act: a), exc))
        rows.append(Row(entry, "x", "0-d", _set("x", lambda v: np.float64(1.0)), ValueError))
        rows.append(Row(entry, "W", "1-d", _set("W", lambda v: v[:, 0]), ValueError))
    rows.append(Row("dense", "x", "no features (k = 0)", _no_features, SAME))
    rows.append(Row("dense", "x", "leading axes (2, 3, 4)", _set("x", lambda v: v.reshape(2, 3, 4)),
                    SAME))
    rows.append(Row("dense_backward", "out", "dx of the wrong shape",
                    _set("out", lambda v: (np.zeros((4, 6)), None, None)), ValueError))
    rows.append(Row("dense_backward", "out", "not a tuple",
                    _set("out", lambda v: [None, None, None]), TypeError))
    rows.append(Row("dense_backward", "out", "dx is x, dW overlapping W", _backward_aliases,
                    SAME))
    return rows


def _no_features(kw):
    kw.update(x=kw["x"][:, :0], W=kw["W"][:0])
    return kw


def _backward_aliases(kw):
    buf = np.zeros(W.size + 1)
    kw["W"] = buf[1:].reshape(W.shape)
    kw["W"][...] = W
    kw["out"] = (kw["x"], buf[:-1].reshape(W.shape), None)
    return kw


ROWS = _rows()


def _flatten(r):
    return list(r) if isinstance(r, tuple) else [r]


def _bits(a):
    a = np.ascontiguousarray(a)
    return a.view(np.dtype(f"u{a.dtype.itemsize}"))


def _same(a, b):
    """Bitwise equal (any NaN equals any NaN); arrays of non-floats: equal."""
    if a is None or b is None:
        return a is b
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind != "f" or a.dtype.itemsize > 8:
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    return bool(((_bits(a) == _bits(b)) | (np.isnan(a) & np.isnan(b))).all())


def _call(entry, kw):
    kw = {k: v for k, v in kw.items() if k != "__entry__"}
    return FUNCS[entry](**kw)


def _snapshot(kw):
    """Copies of the array inputs (not out=): they must come back unchanged."""
    return {k: np.array(v, copy=True) for k, v in kw.items()
            if isinstance(v, np.ndarray) and k != "out"}


def _plain(kw):
    """The same values as C-contiguous native float64 arrays, without out=."""
    plain = {}
    for k, v in kw.items():
        if k in ("out", "__entry__"):
            continue
        if isinstance(v, (np.ndarray, list)):
            v = np.array(v, dtype=np.float64, order="C")
        plain[k] = v
    return plain


def _row_id(row):
    expected = row.expected if row.expected == SAME else row.expected.__name__
    return f"{row.entry}|{row.arg}|{row.label}->{expected}"


def test_table_covers_every_argument_of_every_entry_point():
    for entry, args in ARRAYS.items():
        tried = {r.arg for r in ROWS if r.entry == entry}
        assert set(args) <= tried, (entry, set(args) - tried)
        if entry in _OUT_SHAPES:
            assert "out" in tried, entry


@pytest.mark.parametrize("row", ROWS, ids=[_row_id(r) for r in ROWS])
def test_input_table(row):
    kw = row.make(dict(_base(row.entry), __entry__=row.entry))
    before = _snapshot(kw)
    if row.expected != SAME:
        with pytest.raises(row.expected, match=rf"\b{row.arg}\b"):
            _call(row.entry, kw)
    else:
        want = _call(row.entry, _plain(kw))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = _call(row.entry, kw)
        got, want = _flatten(got), _flatten(want)
        assert len(got) == len(want)
        for i, (g, w) in enumerate(zip(got, want)):
            assert _same(g, w), f"result {i} differs from the plain call's"
        if kw.get("out") is not None and not isinstance(kw["out"], tuple):
            assert got[0] is kw["out"]
    for k, v in before.items():
        if kw.get("out") is not None and any(
                isinstance(o, np.ndarray) and np.shares_memory(o, kw[k])
                for o in _flatten(kw["out"])):
            continue                                      # written on purpose
        assert _same(np.asarray(kw[k]), v), f"{k} was modified"
