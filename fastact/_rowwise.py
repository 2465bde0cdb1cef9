"""Row-wise activations (softmax, log_softmax, glu, sparsemax) and their
vector-Jacobian products.

A row-wise function reduces along one or more axes.  Every one of them is
computed on a C-contiguous ``(rows, n)`` matrix whose rows are the reduction
axes flattened; ``_as_rows`` / ``_from_rows`` move the axes there and back
(no copy for the common case of the last axis of a C-contiguous array).
"""

import numpy as np

from . import _dask, _dispatch, _kernels

_SOFTMAX_ROWS = {np.dtype(np.float32): _kernels.softmax_rows_f32,
                 np.dtype(np.float64): _kernels.softmax_rows_f64}


def _as_rows(x, axes):
    """x with ``axes`` moved last, as a C-contiguous (rows, n) matrix."""
    rest = [a for a in range(x.ndim) if a not in axes]
    moved = x.transpose(rest + list(axes)) if rest + list(axes) != list(range(x.ndim)) else x
    rows = n = 1
    for a in rest:
        rows *= x.shape[a]
    for a in axes:
        n *= x.shape[a]
    return np.ascontiguousarray(moved).reshape(rows, n), moved.shape, rest + list(axes)


def _from_rows(rows, moved_shape, order):
    """Inverse of ``_as_rows``: a view with the original axis order."""
    return rows.reshape(moved_shape).transpose(np.argsort(order))


def _prepare(func, x, axis, out, argname="x"):
    x, result = _dispatch.as_compute(x, func, argname)
    if x.ndim == 0:
        raise ValueError(f"{func}: {argname} must have at least one dimension (the axis to "
                         f"reduce), got a 0-d array")
    axes = _dispatch.normalize_axis(axis, x.ndim, func)
    if out is not None:
        _dispatch.check_out(out, x.shape, result, func)
    return x, result, axes


def softmax(func, x, axis, out, log):
    if _dask.any_dask(x):
        return _dask.rowwise(softmax, func, x, axis, out, log=log)
    x, result, axes = _prepare(func, x, axis, out)
    rows, moved_shape, order = _as_rows(x, axes)
    direct = (out is not None and axes == (x.ndim - 1,) and out.flags.c_contiguous
              and out.dtype == x.dtype and not np.may_share_memory(out, x))
    target = out.reshape(rows.shape) if direct else np.empty_like(rows)
    _SOFTMAX_ROWS[x.dtype](rows, target, log)
    if direct:
        return out
    return _store(_from_rows(target, moved_shape, order), result, out)


def _vjp_inputs(func, dy, x, y, forward, axis, out, log=None):
    """The validated inputs of a row-wise VJP: (y, dy, axes, result dtype).

    y is the forward output, given as y= or computed from x= (exactly one),
    kept in the compute dtype (a float16 y would be rounded before the
    derivative uses it); dy must have y's shape; out is checked."""
    if (x is None) == (y is None):
        raise TypeError(f"{func}: pass exactly one of x= (the input) and y= (the output "
                        f"of {func})")
    if y is not None:
        y, result = _dispatch.as_compute(y, func, "y")
    else:
        x, result = _dispatch.as_compute(x, func, "x")
        y = forward(*((func, x, axis, None) + (() if log is None else (log,))))
    y, _, axes = _prepare(func, y, axis, None, "y")
    dy, dy_result = _dispatch.as_compute(dy, func, "dy")
    if dy.shape != y.shape:
        raise ValueError(f"{func}: dy has shape {dy.shape}, expected {y.shape}")
    result = np.promote_types(result, dy_result)
    if out is not None:
        _dispatch.check_out(out, y.shape, result, func)
    return y, dy, axes, result


def softmax_vjp(func, dy, x, y, axis, out, log):
    """dx for dy: softmax: y (dy - sum(dy y)); log_softmax: dy - softmax(x) sum(dy)."""
    if _dask.any_dask(dy, x, y):
        return _dask.rowwise_vjp(softmax_vjp, func, dy, x, y, axis, out, log=log)
    y, dy, axes, result = _vjp_inputs(func, dy, x, y, softmax, axis, out, log)
    # Sums in float64 whatever the dtype: a row of float32 loses nothing then.
    y64 = y.astype(np.float64)
    dy64 = dy.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        if log:
            p = np.exp(y64)
            dx = dy64 - p * np.sum(dy64, axis=axes, keepdims=True)
        else:
            dx = y64 * (dy64 - np.sum(dy64 * y64, axis=axes, keepdims=True))
    return _store(dx, result, out)


def _store(value, result, out):
    """value (float64 or the compute dtype) rounded to the result dtype; values
    beyond a float16/float32 range become inf there, silently, as in C."""
    with np.errstate(over="ignore"):
        if out is None:
            return value.astype(result, copy=False)
        np.copyto(out, value, casting="unsafe")
    return out


def _glu_halves(func, x, axis):
    ax = _dispatch.normalize_axis(axis, x.ndim, func)
    if len(ax) != 1:
        raise ValueError(f"{func}: axis must be a single int, got {axis!r}")
    ax = ax[0]
    if x.shape[ax] % 2:
        raise ValueError(f"{func}: the size of axis {axis} must be even to split it in two "
                         f"halves, got {x.shape[ax]}")
    a, b = np.split(x, 2, axis=ax)
    return a, b, ax


def glu(func, x, axis, out):
    """a * sigmoid(b) in float64 (the float32 result is then rounded once)."""
    if _dask.any_dask(x):
        return _dask.rowwise(glu, func, x, axis, out)
    x, result = _dispatch.as_compute(x, func, "x")
    if x.ndim == 0:
        raise ValueError(f"{func}: x must have at least one dimension, got a 0-d array")
    a, b, _ = _glu_halves(func, x, axis)
    if out is not None:
        _dispatch.check_out(out, a.shape, result, func)
    s = _dispatch.unary("sigmoid", "fwd", b.astype(np.float64), None, _dispatch.NO_PARAMS)
    with np.errstate(invalid="ignore"):      # inf * 0 -> NaN, silently, like the math
        value = a * s
    return _store(value, result, out)


def glu_vjp(func, dy, x, axis, out):
    """dx = concat(dy * sigmoid(b), dy * a * sigmoid(b) * sigmoid(-b))."""
    if _dask.any_dask(dy, x):
        return _dask.rowwise_vjp(glu_vjp, func, dy, x, None, axis, out)
    if x is None:
        raise TypeError(f"{func}: x= (the input) is required: glu's output does not "
                        f"determine its gradient")
    x, result = _dispatch.as_compute(x, func, "x")
    if x.ndim == 0:
        raise ValueError(f"{func}: x must have at least one dimension, got a 0-d array")
    a, b, ax = _glu_halves(func, x, axis)
    dy, dy_result = _dispatch.as_compute(dy, func, "dy")
    if dy.shape != a.shape:
        raise ValueError(f"{func}: dy has shape {dy.shape}, expected {a.shape} (x with axis "
                         f"{axis} halved)")
    result = np.promote_types(result, dy_result)
    if out is not None:
        _dispatch.check_out(out, x.shape, result, func)
    b64 = b.astype(np.float64)
    s = _dispatch.unary("sigmoid", "fwd", b64, None, _dispatch.NO_PARAMS)
    ds = _dispatch.unary("sigmoid", "dx", b64, None, _dispatch.NO_PARAMS)
    dy64 = dy.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):     # inf * 0 and beyond max are inf/NaN
        dx = np.concatenate([dy64 * s, dy64 * a * ds], axis=ax)
    return _store(dx, result, out)


def _sparsemax_rows(z):
    """Martins & Astudillo (2016), Algorithm 1, on float64 rows (rows, n).

    Sort descending, find the support size k = max{j : 1 + j z_(j) > sum_{i<=j} z_(i)},
    tau = (sum_{i<=k} z_(i) - 1) / k, p = max(z - tau, 0).  Rows are shifted by
    their max first (sparsemax is shift-invariant) so the sums stay small.
    Special rows: NaN anywhere -> NaN; +inf entries share the mass equally;
    -inf entries get 0; all -inf -> NaN (as softmax).
    """
    rows, n = z.shape
    if n == 0:
        return np.empty((rows, 0))
    # z - max of +-max entries overflows to -inf, which sorts last and gets 0:
    # the right answer, so the overflow is not worth a warning.
    with np.errstate(invalid="ignore", over="ignore"):
        m = np.max(z, axis=1, keepdims=True)
        has_nan = np.isnan(z).any(axis=1)
        pos_inf = z == np.inf
        any_pos_inf = pos_inf.any(axis=1)
        finite_max = np.isfinite(m[:, 0])
        safe_m = np.where(finite_max[:, None], m, 0.0)
        d = z - safe_m
        srt = -np.sort(-d, axis=1)
        csum = np.cumsum(srt, axis=1)
        j = np.arange(1, n + 1, dtype=np.float64)
        support = 1.0 + j * srt > csum
        k = n - np.argmax(support[:, ::-1], axis=1)     # last True, 1-based
        tau = (np.take_along_axis(csum, (k - 1)[:, None], axis=1) - 1.0) / k[:, None]
        p = np.maximum(d - tau, 0.0)
    if any_pos_inf.any():
        counts = pos_inf.sum(axis=1, keepdims=True)
        p = np.where(any_pos_inf[:, None], pos_inf / np.maximum(counts, 1), p)
    bad = has_nan | (m[:, 0] == -np.inf)
    if bad.any():
        p[bad] = np.nan
    return p


def sparsemax(func, x, axis, out):
    if _dask.any_dask(x):
        return _dask.rowwise(sparsemax, func, x, axis, out)
    x, result, axes = _prepare(func, x, axis, out)
    rows, moved_shape, order = _as_rows(x.astype(np.float64, copy=False), axes)
    p = _sparsemax_rows(rows)
    res = _from_rows(p, moved_shape, order)
    return _store(res, result, out)


def sparsemax_vjp(func, dy, x, y, axis, out):
    """dx = s * (dy - mean of dy over the support s), s = (y > 0)."""
    if _dask.any_dask(dy, x, y):
        return _dask.rowwise_vjp(sparsemax_vjp, func, dy, x, y, axis, out)
    y, dy, axes, result = _vjp_inputs(func, dy, x, y, sparsemax, axis, out)
    s = (y > 0).astype(np.float64)
    dy64 = dy.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        mean = np.sum(dy64 * s, axis=axes, keepdims=True) / np.sum(s, axis=axes, keepdims=True)
        dx = s * (dy64 - mean)
    dx = np.where(np.isnan(y), np.nan, dx)
    return _store(dx, result, out)
