"""Bad input: every error fastact promises, with its type and a message that
names the offending argument.

The table below (BAD) lists each call as (callable, args, kwargs, exception
type, regex that must appear in the message); test_bad_input runs every row
and then checks that no array passed in was modified.  Rows for "every
activation" or "every parameter" are generated from fastact._manifest, so a
new activation or parameter is covered without editing this file; the rows the
issue names explicitly are written out by hand as well, so that a change to the
manifest cannot silently drop them.
"""

import inspect
import re
from collections import namedtuple

import numpy as np
import pytest

from fastact import _manifest
from fastact import activations as A
from fastact import derivatives as D

Row = namedtuple("Row", "func args kwargs exc match")

X = np.linspace(-2.0, 2.0, 12).reshape(3, 4)     # a valid input (even last axis: glu)
DY = np.linspace(1.0, 2.0, 12).reshape(3, 4)     # a valid upstream gradient
DY_HALF = DY[:, :2].copy()                        # glu's dy: last axis halved

LONGDOUBLE = np.dtype(np.longdouble)
# x values that are not arrays of real numbers
BAD_X = [
    None,
    ["a", "b"],
    {"a": 1.0},
    np.array([1.0, 2.0], dtype=object),
    np.array([1 + 2j, 3j]),
    np.array(["1.0", "2.0"]),
    np.array([b"1", b"2"]),
    np.array(["2020-01-01", "2021-01-01"], dtype="datetime64[D]"),
    np.array([1, 2], dtype="timedelta64[s]"),
]

# row-wise VJPs that also take the output (y=): softmax, log_softmax, sparsemax
ROWWISE_WITH_Y = [a.name for a in _manifest.ROWWISE
                  if "y" in inspect.signature(getattr(D, a.name)).parameters]

X_NAMES_RE = r"\bx\b"
XY_RE = r"\bx\b.*\by\b|\by\b.*\bx\b"      # a message that names both x and y


def required(act):
    """Values for the parameters without a default (threshold's), by name."""
    fill = iter((0.25, -1.5, 2.0, -3.0))
    return {p.name: next(fill) for p in act.params if p.default is _manifest.REQUIRED}


def name_re(pname):
    return rf"\b{re.escape(pname)}\b"


def rowwise_derivative_call(name, x=X, dy=None, **kwargs):
    """(func, args, kwargs) of a row-wise VJP from x."""
    if name == "glu":
        return D.glu, (DY_HALF if dy is None else dy, x), kwargs
    return getattr(D, name), (DY if dy is None else dy,), dict(x=x, **kwargs)


def _read_only(shape, dtype=np.float64):
    a = np.zeros(shape, dtype)
    a.flags.writeable = False
    return a


# --------------------------------------------------------------------------
# The rows the issue names, written out.
# --------------------------------------------------------------------------
BAD = [
    # x of the wrong kind
    Row(A.sigmoid, (None,), {}, TypeError, X_NAMES_RE),
    Row(A.sigmoid, (["a", "b"],), {}, TypeError, X_NAMES_RE),
    Row(A.sigmoid, ({"a": 1.0},), {}, TypeError, X_NAMES_RE),
    Row(A.relu, (np.array([1, 2], dtype=object),), {}, TypeError, X_NAMES_RE),
    Row(A.tanh, (np.array([1j]),), {}, TypeError, X_NAMES_RE),
    Row(A.softmax, (np.array([["1", "2"]]),), {}, TypeError, X_NAMES_RE),
    Row(A.gelu, (np.array(["2020-01-01"], dtype="datetime64[D]"),), {}, TypeError, X_NAMES_RE),
    Row(A.sigmoid, (np.ones(3, LONGDOUBLE),), {}, TypeError, rf"\bx\b.*{LONGDOUBLE}"),
    Row(D.sigmoid, (np.ones(3, LONGDOUBLE),), {}, TypeError, rf"\bx\b.*{LONGDOUBLE}"),
    # parameters
    Row(A.elu, (X,), {"beta": 1.0}, TypeError, r"\bbeta\b"),
    Row(D.elu, (X,), {"beta": 1.0}, TypeError, r"\bbeta\b"),
    Row(A.elu, (X,), {"alpha": "1.0"}, TypeError, r"\balpha\b"),
    Row(A.elu, (X,), {"alpha": True}, TypeError, r"\balpha\b"),
    Row(A.elu, (X,), {"alpha": None}, TypeError, r"\balpha\b"),
    Row(A.elu, (X,), {"alpha": np.array([1.0])}, TypeError, r"\balpha\b"),
    Row(A.leaky_relu, (X,), {"negative_slope": np.nan}, ValueError, r"\bnegative_slope\b"),
    Row(A.relu, (X,), {"max_value": np.inf}, ValueError, r"\bmax_value\b"),
    Row(A.elu, (X,), {"alpha": -0.1}, ValueError, r"\balpha\b"),
    Row(A.celu, (X,), {"alpha": 0.0}, ValueError, r"\balpha\b"),
    Row(A.celu, (X,), {"alpha": -1.0}, ValueError, r"\balpha\b"),
    Row(A.relu, (X,), {"max_value": -1.0}, ValueError, r"\bmax_value\b"),
    Row(A.hard_shrink, (X,), {"threshold": -0.1}, ValueError, r"\bthreshold\b"),
    Row(A.soft_shrink, (X,), {"threshold": -0.1}, ValueError, r"\bthreshold\b"),
    Row(A.squareplus, (X,), {"b": -1.0}, ValueError, r"\bb\b"),
    Row(D.elu, (X,), {"alpha": -0.1}, ValueError, r"\balpha\b"),
    Row(D.squareplus, (X,), {"b": -1.0}, ValueError, r"\bb\b"),
    Row(A.gelu, (X,), {"approximate": "yes"}, TypeError, r"\bapproximate\b"),
    Row(D.gelu, (X,), {"approximate": "yes"}, TypeError, r"\bapproximate\b"),
    Row(A.threshold, (X,), {}, TypeError, r"\bthreshold\b"),
    Row(A.threshold, (X, 0.5), {}, TypeError, r"\bdefault_value\b"),
    Row(D.threshold, (X,), {}, TypeError, r"\bthreshold\b"),
    Row(D.threshold, (X, 0.5), {}, TypeError, r"\bdefault_value\b"),
    Row(A.relu, (X,), {"alpha": 0.1, "negative_slope": 0.2}, TypeError,
        r"\balpha\b.*\bnegative_slope\b|\bnegative_slope\b.*\balpha\b"),
    # row-wise shapes and axes
    Row(A.glu, (np.ones((3, 5)),), {}, ValueError, r"\baxis\b"),
    Row(A.glu, (np.ones((3, 4)),), {"axis": 0}, ValueError, r"\baxis\b"),
    Row(D.glu, (np.ones((3, 2)), np.ones((3, 5))), {}, ValueError, r"\baxis\b"),
    Row(A.glu, (X,), {"axis": (0, 1)}, ValueError, r"\baxis\b"),
    Row(A.softmax, (X,), {"axis": 2}, ValueError, r"\baxis\b"),
    Row(A.softmax, (X,), {"axis": -3}, ValueError, r"\baxis\b"),
    Row(A.softmax, (X,), {"axis": (1, 1)}, ValueError, r"\baxis\b"),
    Row(A.softmax, (X,), {"axis": (1, -1)}, ValueError, r"\baxis\b"),
    Row(A.softmax, (X,), {"axis": 1.0}, TypeError, r"\baxis\b"),
    Row(A.softmax, (X,), {"axis": "0"}, TypeError, r"\baxis\b"),
    Row(A.softmax, (X,), {"axis": True}, TypeError, r"\baxis\b"),
    Row(A.softmax, (np.array(1.0),), {}, ValueError, r"\bx\b"),
    # out=
    Row(A.sigmoid, (X,), {"out": np.empty((4, 3))}, ValueError, r"\bout\b"),
    Row(A.sigmoid, (X,), {"out": np.empty((3, 4), np.float32)}, TypeError, r"\bout\b"),
    Row(A.sigmoid, (X,), {"out": _read_only((3, 4))}, ValueError, r"\bout\b"),
    Row(A.sigmoid, (X,), {"out": [[0.0] * 4] * 3}, TypeError, r"\bout\b"),
    # derivatives: x and y
    Row(D.sigmoid, (X,), {"y": X}, TypeError, XY_RE),
    Row(D.sigmoid, (), {}, TypeError, XY_RE),
    Row(D.softmax, (DY,), {"x": X, "y": A.softmax(X)}, TypeError, XY_RE),
    Row(D.softmax, (DY,), {}, TypeError, XY_RE),
    Row(D.gelu, (), {"y": X}, ValueError, r"\by\b"),
    Row(D.silu, (), {"y": X}, ValueError, r"\by\b"),
    Row(D.mish, (), {"y": X}, ValueError, r"\by\b"),
    Row(D.threshold, (None, 0.5, -1.0), {"y": X}, ValueError, r"\by\b"),
    Row(D.relu, (), {"y": X, "negative_slope": -0.1}, ValueError, r"\bnegative_slope\b"),
    Row(D.leaky_relu, (), {"y": X, "negative_slope": -0.1}, ValueError, r"\bnegative_slope\b"),
    Row(D.sigmoid, (X,), {"dy": np.ones((4, 3))}, ValueError, r"\bdy\b"),
    Row(D.softmax, (np.ones((4, 3)),), {"x": X}, ValueError, r"\bdy\b"),
]


# --------------------------------------------------------------------------
# Rows generated from the manifest: every function, every parameter.
# --------------------------------------------------------------------------

def _generated():
    rows = []
    for act in _manifest.ACTIVATIONS:
        fwd, req = getattr(A, act.name), required(act)
        if act.kind == "elementwise":
            der = getattr(D, act.name)
            calls = [(fwd, lambda x, kw, r=req: ((x,), {**r, **kw})),
                     (der, lambda x, kw, r=req: ((x,), {**r, **kw}))]
        else:
            calls = [(fwd, lambda x, kw: ((x,), kw))]

        # x: not real numbers; long double
        for bad in BAD_X + [np.ones((3, 4), LONGDOUBLE)]:
            for func, make in calls:
                args, kw = make(bad, {})
                rows.append(Row(func, args, kw, TypeError, X_NAMES_RE))
            if act.kind == "rowwise":
                func, args, kw = rowwise_derivative_call(act.name, x=bad)
                rows.append(Row(func, args, kw, TypeError, X_NAMES_RE))
                if bad is not None:   # dy=None is "missing", checked elsewhere
                    func, args, kw = rowwise_derivative_call(act.name, dy=bad)
                    rows.append(Row(func, args, kw, TypeError, r"\bdy\b"))

        # unknown parameter name
        for func, make in calls:
            args, kw = make(X, {"bogus_param": 1.0})
            rows.append(Row(func, args, kw, TypeError, r"\bbogus_param\b"))
        if act.kind == "rowwise":
            func, args, kw = rowwise_derivative_call(act.name, bogus_param=1.0)
            rows.append(Row(func, args, kw, TypeError, r"\bbogus_param\b"))

        # parameters: wrong type, non-finite, outside their range
        for p in act.params:
            if p.kind == "axis":
                continue
            if p.kind == "bool":
                wrong = ["yes", None, 1.5, np.array([True])]
                invalid = []
            else:
                wrong = ["1.0", True, np.bool_(False), np.array([1.0]), [1.0]]
                if p.kind == "float":
                    wrong.append(None)
                invalid = [np.nan, np.inf, -np.inf]
                if p.check == "nonnegative":
                    invalid += [-0.5, -1e-300]
                elif p.check == "positive":
                    invalid += [0.0, -0.5]
            for func, make in calls:
                for v in wrong:
                    args, kw = make(X, {p.name: v})
                    rows.append(Row(func, args, kw, TypeError, name_re(p.name)))
                for v in invalid:
                    args, kw = make(X, {p.name: v})
                    rows.append(Row(func, args, kw, ValueError, name_re(p.name)))

        # out= of the wrong shape, dtype, writability or type
        targets = [(func,) + make(X, {}) for func, make in calls]
        if act.kind == "rowwise":
            targets.append(rowwise_derivative_call(act.name))
        for func, args, kw in targets:
            res_shape = func(*args, **kw).shape     # the valid call's result
            for out, exc in [(np.empty(res_shape[::-1] + (1,)), ValueError),
                             (np.empty(res_shape, np.float32), TypeError),
                             (np.empty(res_shape, np.int64), TypeError),
                             (_read_only(res_shape), ValueError),
                             (np.zeros(res_shape).tolist(), TypeError)]:
                rows.append(Row(func, args, dict(kw, out=out), exc, r"\bout\b"))

        # dy of the wrong shape
        if act.kind == "elementwise":
            der = getattr(D, act.name)
            rows.append(Row(der, (X,), {**req, "dy": np.ones((4, 3))}, ValueError, r"\bdy\b"))
            rows.append(Row(der, (X,), {**req, "dy": np.ones(12)}, ValueError, r"\bdy\b"))
        else:
            wrong_dy = DY if act.name == "glu" else np.ones((3, 5))
            func, args, kw = rowwise_derivative_call(act.name, dy=wrong_dy)
            rows.append(Row(func, args, kw, ValueError, r"\bdy\b"))

        # row-wise: axes out of range, repeated, not ints; 0-d input
        if act.kind == "rowwise":
            for axis, exc in [(2, ValueError), (-3, ValueError), (1.0, TypeError),
                              ("1", TypeError), (True, TypeError), ([1], TypeError)]:
                rows.append(Row(fwd, (X,), {"axis": axis}, exc, r"\baxis\b"))
                func, args, kw = rowwise_derivative_call(act.name, axis=axis)
                rows.append(Row(func, args, kw, exc, r"\baxis\b"))
            if act.name != "glu":
                for axis in [(1, 1), (0, 1, -1)]:
                    rows.append(Row(fwd, (X,), {"axis": axis}, ValueError, r"\baxis\b"))
            rows.append(Row(fwd, (np.array(1.0),), {}, ValueError, r"\bx\b"))
            z = np.array(1.0)
            func, args, kw = rowwise_derivative_call(act.name, x=z, dy=z)
            rows.append(Row(func, args, kw, ValueError, r"\bx\b"))

        # derivatives: exactly one of x and y; y only where a from-y form exists
        if act.kind == "elementwise":
            der = getattr(D, act.name)
            rows.append(Row(der, (X,), {**req, "y": X}, TypeError, XY_RE))
            rows.append(Row(der, (None,), req, TypeError, XY_RE))
            if act.from_y is None:
                rows.append(Row(der, (), {**req, "y": X}, ValueError, r"\by\b"))
        elif act.name in ROWWISE_WITH_Y:
            der = getattr(D, act.name)
            rows.append(Row(der, (DY,), {"x": X, "y": A.softmax(X)}, TypeError, XY_RE))
            rows.append(Row(der, (DY,), {}, TypeError, XY_RE))
        else:   # glu: x is required, and there is no y=
            rows.append(Row(D.glu, (DY_HALF,), {}, TypeError, r"\bx\b"))
            rows.append(Row(D.glu, (DY_HALF, X), {"y": X}, TypeError, r"\by\b"))
    return rows


# parameter values for which a from-y derivative does not exist (the manifest's
# from_y checks), written out: relu/leaky_relu with a negative slope etc.
FROM_Y_REFUSED = [
    Row(D.relu, (), {"y": X, "negative_slope": -0.1}, ValueError, r"\bnegative_slope\b"),
    Row(D.relu, (), {"y": X, "threshold": -1.0}, ValueError, r"\bthreshold\b"),
    Row(D.relu, (), {"y": X, "max_value": 0.0}, ValueError, r"\bmax_value\b"),
    Row(D.leaky_relu, (), {"y": X, "negative_slope": -0.5}, ValueError, r"\bnegative_slope\b"),
]

ALL_ROWS = BAD + FROM_Y_REFUSED + _generated()


def _describe(v):
    if isinstance(v, np.ndarray):
        flag = "" if v.flags.writeable else ",ro"
        return f"{v.dtype.name}{list(v.shape)}{flag}"
    if isinstance(v, (list, dict)):
        return type(v).__name__
    return repr(v)


def _row_id(row):
    mod = "A" if row.func.__module__.endswith("activations") else "D"
    args = [_describe(a) for a in row.args] + [f"{k}={_describe(v)}"
                                              for k, v in row.kwargs.items()]
    return f"{mod}.{row.func.__name__}({', '.join(args)})->{row.exc.__name__}"


def _arrays(row):
    values = list(row.args) + list(row.kwargs.values())
    return [v for v in values if isinstance(v, np.ndarray)]


def _unique(rows):
    """Drop generated rows that repeat a hand-written one (same call, same id)."""
    seen, kept = set(), []
    for r in rows:
        if _row_id(r) not in seen:
            seen.add(_row_id(r))
            kept.append(r)
    return kept


ALL_ROWS = _unique(ALL_ROWS)


def test_table_covers_every_activation():
    # every activation appears in the generated rows, as activation and derivative
    named = {r.func for r in ALL_ROWS}
    for act in _manifest.ACTIVATIONS:
        assert getattr(A, act.name) in named and getattr(D, act.name) in named, act.name


@pytest.mark.parametrize("row", ALL_ROWS, ids=[_row_id(r) for r in ALL_ROWS])
def test_bad_input(row):
    arrays = _arrays(row)
    before = [a.copy() for a in arrays]
    with pytest.raises(row.exc, match=row.match):
        row.func(*row.args, **row.kwargs)
    # a refused call writes nothing: not into x, dy, y, nor into out
    for now, then in zip(arrays, before):
        assert now.dtype == then.dtype and now.shape == then.shape
        assert np.array_equal(now, then, equal_nan=now.dtype.kind in "fc"), \
            "an argument was modified by a call that raised"


@pytest.mark.parametrize("params", [(), (1.0, 2.0, 3.0), None],
                         ids=["empty", "three", "None"])
def test_kernel_parameters_of_the_wrong_length_raise_instead_of_reading_past_the_tuple(params):
    """The private kernels read their four parameters from a tuple with
    bounds checks off: a wrong length must be refused, not read from memory."""
    from fastact import _dispatch, _kernels
    x = np.ones(4, np.float32)
    with pytest.raises((ValueError, TypeError), match="params"):
        _kernels.unary_f32(_dispatch.KERNEL_IDS["sigmoid", "fwd"], x, x.copy(), params)
