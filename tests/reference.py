"""Slow, obviously-correct twins of every elementwise activation and derivative.

Two references, each written independently of fastact's C formulas:

* ``numpy64``: float64 NumPy/SciPy, written stably (sign splits, log1p,
  expit, series near cancellations).  Its error is far below one float32 ULP,
  so it is the reference for float32 results.
* ``mp``: mpmath at 60 significant digits, the reference for float64 results.

Each reference is a dict name -> {"fwd": f(x, p), "dx": f'(x, p), "dy": f'(y, p)},
where ``p`` is the dict of Keras parameters and "dy" expresses f' in the output y.
"""

import math

import mpmath
import numpy as np
from scipy import special

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
GELU_C = math.sqrt(2.0 / math.pi)
GELU_K = 0.044715

# ---------------------------------------------------------------- float64 (NumPy)


def _where(cond, a, b):
    return np.where(cond, a, b)


def _tanh_d(x):
    """1 - tanh(x)^2 = 4 e / (1 + e)^2, e = exp(-2|x|): no cancellation, no overflow."""
    e = np.exp(-2.0 * np.abs(x))
    return 4.0 * e / (1.0 + e) ** 2


def _x_minus_tanh(x):
    small = np.abs(x) < 0.1
    xs = np.where(small, x, 0.0)
    x2 = xs * xs
    # x - tanh x = sum of the Taylor series of -tanh beyond its first term
    series = xs * x2 * (1 / 3 + x2 * (-2 / 15 + x2 * (17 / 315 + x2 * (-62 / 2835 + x2 * (
        1382 / 155925 + x2 * (-21844 / 6081075))))))
    with np.errstate(invalid="ignore"):
        return np.where(small, series, x - np.tanh(x))


def _softplus(x):
    return np.logaddexp(0.0, x)


def _squareplus_root(x, b):
    """sqrt(x^2 + b) without overflow."""
    return np.hypot(x, np.sqrt(b))


def _gelu_tanh_v(x):
    return 2.0 * GELU_C * (x + GELU_K * x ** 3)


def _gelu(x, p):
    finite = np.where(np.isinf(x), 0.0, x)
    if p["approximate"]:
        r = finite * special.expit(_gelu_tanh_v(finite))
    else:
        r = finite * special.ndtr(finite)
    return _keep_nan(x, np.where(x == np.inf, np.inf, np.where(x == -np.inf, -0.0, r)))


def _gelu_dx(x, p):
    finite = np.where(np.isinf(x), 0.0, x)
    if p["approximate"]:
        v = _gelu_tanh_v(finite)
        r = special.expit(v) + finite * special.expit(v) * special.expit(-v) * 2.0 * GELU_C * (
            1.0 + 3.0 * GELU_K * finite * finite)
    else:
        r = special.ndtr(finite) + finite * np.exp(-0.5 * finite * finite) / math.sqrt(2 * math.pi)
    return _keep_nan(x, np.where(x == np.inf, 1.0, np.where(x == -np.inf, -0.0, r)))


def _relu_keras(x, p):
    """Keras 3's relu, step by step."""
    slope, max_value, thr = p["negative_slope"], p["max_value"], p["threshold"]
    pos = np.where(x > thr, x, 0.0) if thr != 0 else np.maximum(x, 0.0)
    if max_value is not None:
        pos = np.clip(pos, 0.0, max_value)
    if slope != 0:
        pos = pos - slope * np.maximum(thr - x, 0.0)
    return np.where(np.isnan(x), x, pos)


def _relu_keras_dx(x, p):
    slope, max_value, thr = p["negative_slope"], p["max_value"], p["threshold"]
    upper = np.inf if max_value is None else max_value
    lower = -np.inf if max_value is None else 0.0
    through = ((x > thr) & (x > lower) & (x < upper)).astype(np.float64)
    return np.where(np.isnan(x), x, through + np.where(x <= thr, slope, 0.0))


def _keep_nan(x, r):
    return np.where(np.isnan(x), x, r)


def _piecewise(x, r):
    return _keep_nan(x, r)


numpy64 = {
    "celu": {
        "fwd": lambda x, p: _where(x >= 0, x, p["alpha"] * np.expm1(np.minimum(x, 0) / p["alpha"])),
        "dx": lambda x, p: _keep_nan(x, _where(x >= 0, 1.0, np.exp(np.minimum(x, 0) / p["alpha"]))),
        "dy": lambda y, p: _keep_nan(y, _where(y >= 0, 1.0, y / p["alpha"] + 1.0)),
    },
    "elu": {
        "fwd": lambda x, p: _where(x > 0, x, p["alpha"] * np.expm1(np.minimum(x, 0))),
        "dx": lambda x, p: _keep_nan(x, _where(x > 0, 1.0, p["alpha"] * np.exp(np.minimum(x, 0)))),
        "dy": lambda y, p: _keep_nan(y, _where(y > 0, 1.0, y + p["alpha"])),
    },
    "exponential": {
        "fwd": lambda x, p: np.exp(x),
        "dx": lambda x, p: np.exp(x),
        "dy": lambda y, p: y,
    },
    "gelu": {"fwd": lambda x, p: _gelu(x, p), "dx": lambda x, p: _gelu_dx(x, p)},
    "hard_shrink": {
        "fwd": lambda x, p: _piecewise(x, np.where(np.abs(x) > p["threshold"], x, 0.0)),
        "dx": lambda x, p: _piecewise(x, (np.abs(x) > p["threshold"]) * 1.0),
        "dy": lambda y, p: _piecewise(y, (y != 0) * 1.0),
    },
    "hard_sigmoid": {
        "fwd": lambda x, p: _piecewise(x, np.clip(x + 3.0, 0.0, 6.0) / 6.0),
        "dx": lambda x, p: _piecewise(x, ((x > -3) & (x < 3)) / 6.0),
        "dy": lambda y, p: _piecewise(y, ((y > 0) & (y < 1)) / 6.0),
    },
    "hard_silu": {
        "fwd": lambda x, p: _piecewise(x, np.where(x >= 3, x, x * np.clip(x + 3.0, 0.0, 6.0) / 6.0)),
        "dx": lambda x, p: _piecewise(x, np.where(x < -3, 0.0, np.where(x <= 3, x / 3 + 0.5, 1.0))),
    },
    "hard_tanh": {
        "fwd": lambda x, p: _piecewise(x, np.clip(x, -1.0, 1.0)),
        "dx": lambda x, p: _piecewise(x, ((x > -1) & (x < 1)) * 1.0),
        "dy": lambda y, p: _piecewise(y, ((y > -1) & (y < 1)) * 1.0),
    },
    "leaky_relu": {
        "fwd": lambda x, p: _piecewise(x, np.where(x >= 0, x, p["negative_slope"] * x)),
        "dx": lambda x, p: _piecewise(x, np.where(x > 0, 1.0, p["negative_slope"])),
        "dy": lambda y, p: _piecewise(y, np.where(y > 0, 1.0, p["negative_slope"])),
    },
    "linear": {
        "fwd": lambda x, p: x,
        "dx": lambda x, p: _piecewise(x, np.ones_like(x)),
        "dy": lambda y, p: _piecewise(y, np.ones_like(y)),
    },
    "log_sigmoid": {
        "fwd": lambda x, p: special.log_expit(x),
        "dx": lambda x, p: special.expit(-x),
        "dy": lambda y, p: -np.expm1(y),
    },
    "mish": {
        "fwd": lambda x, p: _keep_nan(x, np.where(x == -np.inf, -0.0, x * np.tanh(_softplus(x)))),
        "dx": lambda x, p: _keep_nan(x, np.tanh(_softplus(x)) + np.where(
            np.isinf(x), 0.0, x * special.expit(x) * _tanh_d(_softplus(x)))),
    },
    "relu": {
        "fwd": _relu_keras,
        "dx": _relu_keras_dx,
        "dy": lambda y, p: _piecewise(y, np.where(
            y > 0, np.where(y < (np.inf if p["max_value"] is None else p["max_value"]), 1.0, 0.0),
            p["negative_slope"])),
    },
    "relu6": {
        "fwd": lambda x, p: _piecewise(x, np.clip(x, 0.0, 6.0)),
        "dx": lambda x, p: _piecewise(x, ((x > 0) & (x < 6)) * 1.0),
        "dy": lambda y, p: _piecewise(y, ((y > 0) & (y < 6)) * 1.0),
    },
    "selu": {
        "fwd": lambda x, p: SELU_SCALE * _where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0))),
        "dx": lambda x, p: _keep_nan(x, _where(x > 0, SELU_SCALE,
                                              SELU_SCALE * SELU_ALPHA * np.exp(np.minimum(x, 0)))),
        "dy": lambda y, p: _keep_nan(y, _where(y > 0, SELU_SCALE, y + SELU_SCALE * SELU_ALPHA)),
    },
    "sigmoid": {
        "fwd": lambda x, p: special.expit(x),
        "dx": lambda x, p: special.expit(x) * special.expit(-x),
        "dy": lambda y, p: y * (1.0 - y),
    },
    "silu": {
        "fwd": lambda x, p: _keep_nan(x, np.where(x == -np.inf, -0.0, x * special.expit(x))),
        "dx": lambda x, p: _keep_nan(x, special.expit(x) + np.where(
            np.isinf(x), 0.0, x * special.expit(x) * special.expit(-x))),
    },
    "soft_shrink": {
        "fwd": lambda x, p: _piecewise(x, np.where(x > p["threshold"], x - p["threshold"], np.where(
            x < -p["threshold"], x + p["threshold"], 0.0))),
        "dx": lambda x, p: _piecewise(x, (np.abs(x) > p["threshold"]) * 1.0),
        "dy": lambda y, p: _piecewise(y, (y != 0) * 1.0),
    },
    "softplus": {
        "fwd": lambda x, p: _softplus(x),
        "dx": lambda x, p: special.expit(x),
        "dy": lambda y, p: -np.expm1(-y),
    },
    "softsign": {
        "fwd": lambda x, p: _keep_nan(x, np.where(np.isinf(x), np.sign(x), x / (1.0 + np.abs(x)))),
        "dx": lambda x, p: (1.0 / (1.0 + np.abs(x))) ** 2,
        "dy": lambda y, p: (1.0 - np.abs(y)) ** 2,
    },
    "sparse_plus": {
        "fwd": lambda x, p: _piecewise(x, np.where(x <= -1, 0.0, np.where(x >= 1, x, (x + 1) ** 2 / 4))),
        "dx": lambda x, p: _piecewise(x, np.where(x <= -1, 0.0, np.where(x >= 1, 1.0, (x + 1) / 2))),
        "dy": lambda y, p: _piecewise(y, np.where(y >= 1, 1.0, np.sqrt(np.maximum(y, 0)))),
    },
    "sparse_sigmoid": {
        "fwd": lambda x, p: _piecewise(x, np.clip((x + 1) / 2, 0.0, 1.0)),
        "dx": lambda x, p: _piecewise(x, ((x > -1) & (x < 1)) * 0.5),
        "dy": lambda y, p: _piecewise(y, ((y > 0) & (y < 1)) * 0.5),
    },
    "squareplus": {
        "fwd": lambda x, p: _keep_nan(x, np.where(
            x >= 0, (x + _squareplus_root(x, p["b"])) / 2,
            p["b"] / (2 * (_squareplus_root(x, p["b"]) - x)))),
        "dx": lambda x, p: _keep_nan(x, np.where(
            x >= 0, (1 + np.where(np.isinf(x), 1.0, x / _squareplus_root(x, p["b"]))) / 2,
            p["b"] / (2 * _squareplus_root(x, p["b"]) * (_squareplus_root(x, p["b"]) - x)))),
        # y^2 / (y^2 + b/4), written so that y^2 cannot overflow
        "dy": lambda y, p: _keep_nan(y, 1.0 / (1.0 + (p["b"] / 4) / (y * y))),
    },
    "tanh": {
        "fwd": lambda x, p: np.tanh(x),
        "dx": lambda x, p: _tanh_d(x),
        "dy": lambda y, p: (1.0 - y) * (1.0 + y),
    },
    "tanh_shrink": {
        "fwd": lambda x, p: _x_minus_tanh(x),
        "dx": lambda x, p: np.tanh(x) ** 2,
    },
    "threshold": {
        "fwd": lambda x, p: _piecewise(x, np.where(x > p["threshold"], x, p["default_value"])),
        "dx": lambda x, p: _piecewise(x, (x > p["threshold"]) * 1.0),
    },
}


# ---------------------------------------------------------------- mpmath

mpmath.mp.dps = 60
_mp = mpmath.mp


def _mp_sigmoid(x):
    return 1 / (1 + _mp.exp(-x))


def _mp_softplus(x):
    return _mp.log1p(_mp.exp(x)) if x < 0 else x + _mp.log1p(_mp.exp(-x))


def _mp_phi(x):
    if abs(x) > 1e4:      # mpmath's erfc overflows internally far out; Phi is 0 or 1 there
        return _mp.mpf(0 if x < 0 else 1)
    return _mp.erfc(-x / _mp.sqrt(2)) / 2


def _mp_gelu_v(x):
    return 2 * _mp.sqrt(2 / _mp.pi) * (x + _mp.mpf(GELU_K) * x ** 3)


def _mp_x_minus_tanh(x):
    with _mp.workdps(60 + max(0, int(-2 * _mp.log10(abs(x) + _mp.mpf(10) ** -300)))):
        return x - _mp.tanh(x)


# Only the smooth functions: the piecewise ones are checked against numpy64
# in float64 as well (their references are exact selections and one rounding).
mp = {
    "celu": {"fwd": lambda x, p: x if x >= 0 else p["alpha"] * _mp.expm1(x / p["alpha"]),
             "dx": lambda x, p: 1 if x >= 0 else _mp.exp(x / p["alpha"])},
    "elu": {"fwd": lambda x, p: x if x > 0 else p["alpha"] * _mp.expm1(x),
            "dx": lambda x, p: 1 if x > 0 else p["alpha"] * _mp.exp(x)},
    "exponential": {"fwd": lambda x, p: _mp.exp(x), "dx": lambda x, p: _mp.exp(x)},
    "gelu": {
        "fwd": lambda x, p: (x * _mp_sigmoid(_mp_gelu_v(x)) if p["approximate"]
                             else x * _mp_phi(x)),
        "dx": lambda x, p: (
            _mp_sigmoid(_mp_gelu_v(x)) + x * _mp_sigmoid(_mp_gelu_v(x)) * _mp_sigmoid(-_mp_gelu_v(x))
            * 2 * _mp.sqrt(2 / _mp.pi) * (1 + 3 * _mp.mpf(GELU_K) * x * x)
            if p["approximate"] else _mp_phi(x) + x * _mp.npdf(x)),
    },
    "log_sigmoid": {"fwd": lambda x, p: -_mp_softplus(-x), "dx": lambda x, p: _mp_sigmoid(-x)},
    "mish": {"fwd": lambda x, p: x * _mp.tanh(_mp_softplus(x)),
             "dx": lambda x, p: _mp.tanh(_mp_softplus(x))
             + x * _mp_sigmoid(x) * _mp.sech(_mp_softplus(x)) ** 2},
    "selu": {"fwd": lambda x, p: SELU_SCALE_MP * (x if x > 0 else SELU_ALPHA_MP * _mp.expm1(x)),
             "dx": lambda x, p: SELU_SCALE_MP * (1 if x > 0 else SELU_ALPHA_MP * _mp.exp(x))},
    "sigmoid": {"fwd": lambda x, p: _mp_sigmoid(x),
                "dx": lambda x, p: _mp_sigmoid(x) * _mp_sigmoid(-x)},
    "silu": {"fwd": lambda x, p: x * _mp_sigmoid(x),
             "dx": lambda x, p: _mp_sigmoid(x) * (1 + x * _mp_sigmoid(-x))},
    "softplus": {"fwd": lambda x, p: _mp_softplus(x), "dx": lambda x, p: _mp_sigmoid(x)},
    "softsign": {"fwd": lambda x, p: x / (1 + abs(x)), "dx": lambda x, p: 1 / (1 + abs(x)) ** 2},
    # for x < 0 in the forms without cancellation (x + sqrt(x^2 + b) loses 60 digits at -1e30)
    "squareplus": {
        "fwd": lambda x, p: ((x + _mp.sqrt(x * x + p["b"])) / 2 if x >= 0
                             else p["b"] / (2 * (_mp.sqrt(x * x + p["b"]) - x))),
        "dx": lambda x, p: ((1 + x / _mp.sqrt(x * x + p["b"])) / 2 if x >= 0
                            else p["b"] / (2 * _mp.sqrt(x * x + p["b"])
                                           * (_mp.sqrt(x * x + p["b"]) - x)))},
    "tanh": {"fwd": lambda x, p: _mp.tanh(x), "dx": lambda x, p: _mp.sech(x) ** 2},
    "tanh_shrink": {"fwd": lambda x, p: _mp_x_minus_tanh(x), "dx": lambda x, p: _mp.tanh(x) ** 2},
}

SELU_ALPHA_MP = mpmath.mpf("1.6732632423543772848170429916717")
SELU_SCALE_MP = mpmath.mpf("1.0507009873554804934193349852946")


def mp_eval(fn, xs, params):
    """fn over float64 inputs in mpmath, as (hi, lo): hi is the value rounded
    to float64 and lo = value - hi, so errors are measured against the exact
    value rather than against a rounded one."""
    hi, lo = np.empty(len(xs)), np.empty(len(xs))
    p = {k: (v if isinstance(v, (bool, type(None))) else mpmath.mpf(v)) for k, v in params.items()}
    for i, x in enumerate(xs):
        v = fn(mpmath.mpf(float(x)), p)
        hi[i] = float(v)
        lo[i] = float(v - hi[i]) if math.isfinite(hi[i]) else 0.0
    return hi, lo
