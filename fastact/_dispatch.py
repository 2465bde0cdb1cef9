"""Validation and allocation between the public API and the compiled kernels.

The public modules (``activations``, ``derivatives``) say *what* to compute;
this module turns whatever the user passed into what the Cython drivers in
``_kernels`` accept -- flat, contiguous, native-endian float32/float64 arrays
and a 4-tuple of packed parameters -- and back.  Every user-facing error about
an array or a parameter is raised here, so the messages read the same
everywhere.

dtype rules (NumPy's ufunc rules, as ``np.tanh`` applies them):
  float32 -> float32, float64 -> float64, float16 -> computed in float32 and
  returned as float16, bool/int -> float64.  Anything else is a TypeError.
"""

import math
import numbers
import operator

import numpy as np

from . import _dask, _kernels, _manifest

_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)

# (name, mode) -> kernel id of the generated C loops
KERNEL_IDS = {(a.name, m): i for i, (a, m) in enumerate(_manifest.kernel_table())}
NO_PARAMS = (0.0, 0.0, 0.0, 0.0)

_UNARY = {_F32: _kernels.unary_f32, _F64: _kernels.unary_f64}
_GRAD = {_F32: _kernels.grad_f32, _F64: _kernels.grad_f64}


# ----------------------------------------------------------------- dtypes

def result_dtype(dtype, func, argname):
    """(compute dtype, result dtype) for an input of ``dtype``."""
    if dtype == _F32 or dtype == _F64:          # the common case, first
        return dtype.newbyteorder("="), dtype.newbyteorder("=")
    kind = dtype.kind
    if kind == "f":
        if dtype.itemsize == 2:
            return _F32, _F16
        if dtype.itemsize in (4, 8):            # byte-swapped float32/float64
            native = dtype.newbyteorder("=")
            return native, native
        raise TypeError(f"{func}: {argname} has dtype {dtype}; fastact computes in float32 "
                        f"or float64 (convert with {argname}.astype(np.float64), knowing "
                        f"that it drops the extra precision)")
    if kind in "biu":
        return _F64, _F64
    raise TypeError(f"{func}: {argname} must be an array of real numbers (float, int or "
                    f"bool), got dtype {dtype}")


def as_array(x, func, argname):
    """``x`` as an ndarray, or a TypeError naming the argument."""
    if isinstance(x, np.ndarray):
        return x
    if x is None:
        raise TypeError(f"{func}: {argname} must be an array-like of real numbers, got None")
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:     # ragged lists and the like
        raise TypeError(f"{func}: {argname} must be an array-like of real numbers, could not "
                        f"convert {type(x).__name__}: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{func}: {argname} must be an array-like of real numbers, got "
                        f"{type(x).__name__} (converted to dtype {arr.dtype})")
    return arr


def as_compute(x, func, argname):
    """(array of the compute dtype, result dtype); x copied only when needed."""
    x = as_array(x, func, argname)
    compute, result = result_dtype(x.dtype, func, argname)
    if x.dtype != compute or not x.dtype.isnative:
        x = x.astype(compute)
    return x, result


def flat_view(a):
    """A 1-D view of a C- or F-contiguous array in memory order, else None."""
    if a.flags.c_contiguous or a.flags.f_contiguous:
        return a.ravel(order="K")
    return None


def _same_layout(a, b):
    return (a.shape == b.shape and a.strides == b.strides
            and a.__array_interface__["data"][0] == b.__array_interface__["data"][0])


# -------------------------------------------------------------------- out=

def check_out(out, shape, dtype, func):
    """Validate a user ``out=`` array for a result of ``shape`` and ``dtype``."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{func}: out must be a numpy.ndarray, got {type(out).__name__}")
    if out.shape != tuple(shape):
        raise ValueError(f"{func}: out has shape {out.shape}, expected {tuple(shape)}")
    if out.dtype != dtype:
        raise TypeError(f"{func}: out has dtype {out.dtype}, expected {dtype} "
                        f"(the result dtype for this input)")
    if not out.flags.writeable:
        raise ValueError(f"{func}: out is read-only")
    return out


def run_into(out, inputs, compute, result, fill):
    """Call ``fill(flat_inputs, flat_out)`` so that the result lands in ``out``.

    ``inputs`` are arrays of dtype ``compute`` and the shape of ``out`` (or
    None for a fresh one).  Writes straight into ``out`` when it is contiguous
    in the same memory order as every input and of the compute dtype, and
    either aliases an input exactly (in place) or overlaps none; otherwise
    computes into a temporary and copies, so overlapping views never corrupt
    the result.  Returns the result array.
    """
    flats = [flat_view(a) for a in inputs]
    if any(f is None for f in flats) or not _same_order(inputs):
        inputs = [np.ascontiguousarray(a) for a in inputs]
        flats = [a.reshape(-1) for a in inputs]
    # Every array that fill() writes is laid out like inputs[0] (C or F order),
    # so element i of its flat view is element i of the flat inputs.
    if out is None:
        if result == compute:
            res = np.empty_like(inputs[0], dtype=result)
            fill(flats, res.ravel(order="K"))
            return res
        tmp = np.empty_like(inputs[0], dtype=compute)
        fill(flats, tmp.ravel(order="K"))
        with np.errstate(over="ignore"):      # float16 results beyond 65504 are inf
            return tmp.astype(result)
    target = flat_view(out)
    direct = (target is not None and out.dtype == compute
              and all(_same_order((out, a)) for a in inputs)
              and all(_same_layout(out, a) or not np.may_share_memory(out, a)
                      for a in inputs))
    if direct:
        fill(flats, target)
    else:
        tmp = np.empty_like(inputs[0], dtype=compute)
        fill(flats, tmp.ravel(order="K"))
        with np.errstate(over="ignore"):
            np.copyto(out, tmp, casting="unsafe")
    return out


def _same_order(arrays):
    """True when all arrays, flattened in memory order, list elements alike."""
    first = arrays[0]
    if first.ndim <= 1 or first.size <= 1:
        return True
    c = all(a.flags.c_contiguous for a in arrays)
    f = all(a.flags.f_contiguous for a in arrays)
    return c or f


# ------------------------------------------------------------- parameters

def check_float(value, func, pname, check=None, allow_none=False):
    """A parameter that must be a finite real (not bool), as a Python float."""
    if value is None and allow_none:
        return None
    if type(value) is float or type(value) is int:    # the common case, without ABC checks
        if math.isfinite(value) and check is None:
            return float(value)
    elif isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        expected = "a real number or None" if allow_none else "a real number"
        raise TypeError(f"{func}: {pname} must be {expected}, got {type(value).__name__} "
                        f"{value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{func}: {pname} must be finite, got {value!r}")
    if check is not None:
        ok, expected = _manifest.CHECKS[check]
        if not ok(value):
            raise ValueError(f"{func}: {pname} must be {expected}, got {value!r}")
    return value


def check_bool(value, func, pname):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{func}: {pname} must be True or False, got {type(value).__name__} "
                        f"{value!r}")
    return bool(value)


# check_params results by (name, (param, type, value)...): the same few
# parameter values come back call after call, and validating them costs more
# than the kernel on a small array (relu of 1000 floats: 6.4 us, 1.1 without).
# Keyed on the type too, since 1 == 1.0 == True but only some are valid.
_CHECKED_PARAMS = {}
_CHECKED_PARAMS_MAX = 512


def check_params(name, values):
    """Validate the manifest parameters of ``name``.

    Returns (packed 4-tuple, validated values); the dict may be shared
    between calls: read it, never change it.
    """
    try:
        key = (name,) + tuple((k, type(v), v) for k, v in values.items())
        return _CHECKED_PARAMS[key]
    except TypeError:                         # an unhashable value: validate it below
        key = None
    except KeyError:
        pass
    result = _check_params(name, values)
    if key is not None and len(_CHECKED_PARAMS) < _CHECKED_PARAMS_MAX:
        _CHECKED_PARAMS[key] = result
    return result


def _check_params(name, values):
    act = _manifest.BY_NAME[name]
    clean = {}
    for param in act.params:
        value = values[param.name]
        if param.kind == "bool":
            clean[param.name] = check_bool(value, name, param.name)
        else:
            clean[param.name] = check_float(value, name, param.name, param.check,
                                            allow_none=param.kind == "float_or_none")
    return (act.pack(**clean) if act.pack else NO_PARAMS), clean


def normalize_axis(axis, ndim, func):
    """axis (int or tuple of ints) -> sorted tuple of non-negative axes."""
    axes = axis if isinstance(axis, tuple) else (axis,)
    out = []
    for a in axes:
        if isinstance(a, (bool, np.bool_)):
            raise TypeError(f"{func}: axis must be an int or a tuple of ints, got {axis!r}")
        try:
            a = operator.index(a)
        except TypeError:
            raise TypeError(f"{func}: axis must be an int or a tuple of ints, got "
                            f"{axis!r}") from None
        if not -ndim <= a < ndim:
            raise ValueError(f"{func}: axis {a} is out of range for an input with "
                             f"{ndim} dimension(s)")
        out.append(a % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{func}: axis {axis!r} repeats an axis")
    if not out:
        raise ValueError(f"{func}: axis must name at least one axis, got {axis!r}")
    return tuple(sorted(out))


# --------------------------------------------------------- elementwise runs

def unary(name, mode, x, out, params, argname="x"):
    """out = kernel(name, mode)(x) elementwise, with all of the above."""
    kid = KERNEL_IDS[name, mode]
    res = _kernels.unary_plain(kid, x, out, params)     # contiguous float arrays
    if res is not None:
        return res if res.ndim or out is not None else res[()]
    if x.__class__ is not np.ndarray and _dask.is_dask(x):
        return _dask.unary(name, mode, x, out, params, argname)
    x, result = as_compute(x, name, argname)
    compute = x.dtype
    if out is not None:
        check_out(out, x.shape, result, name)
    kernel = _UNARY[compute]
    res = run_into(out, [x], compute, result,
                   lambda flats, target: kernel(kid, flats[0], target, params))
    return res if res.ndim or out is not None else res[()]


def grad(name, mode, x, dy, out, params, argname="x"):
    """out = dy * f'(x) (mode "dx") or dy * f'(y) (mode "dy"), fused."""
    if _dask.any_dask(x, dy):
        return _dask.grad(name, mode, x, dy, out, params, argname)
    x, result = as_compute(x, name, argname)
    dy, dy_result = as_compute(dy, name, "dy")
    if dy.shape != x.shape:
        raise ValueError(f"{name}: dy has shape {dy.shape}, expected the shape of "
                         f"{argname} {x.shape}")
    if dy.dtype != x.dtype:
        common = np.promote_types(x.dtype, dy.dtype)
        x, dy = x.astype(common), dy.astype(common)
        result = np.promote_types(result, dy_result)
    compute = x.dtype
    if out is not None:
        check_out(out, x.shape, result, name)
    kernel = _GRAD[compute]
    kid = KERNEL_IDS[name, mode]
    return run_into(out, [x, dy], compute, result,
                    lambda flats, target: kernel(kid, flats[0], flats[1], target, params))
