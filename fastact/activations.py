"""Activation functions with Keras 3's names, parameters and defaults.

Every function takes an array of any shape (0-d to n-d, any strides) and an
optional ``out=``; float32 stays float32 and float64 stays float64 (see
``fastact._dispatch`` for the full dtype rule).  A Dask array gives a lazy Dask
array with the same chunks (row-wise functions: the reduction axes in one
chunk), computed block by block by the same kernels.  The math lives in the C
formulas (elementwise) and in ``fastact._rowwise`` (softmax, log_softmax,
glu, sparsemax); each docstring lists the formula, the derivative, the kink
convention and the tested accuracy bound, all taken from ``fastact._manifest``.

>>> import numpy as np, fastact
>>> fastact.activations.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
array([0. , 0.5, 1. ])
"""

from . import _dispatch, _manifest, _rowwise
from ._docs import activation_doc

__all__ = [a.name for a in _manifest.ACTIVATIONS] + list(_manifest.ALIASES) + [
    "get", "serialize", "deserialize"]


def _documented(summary, extra_params=()):
    def decorate(func):
        func.__doc__ = activation_doc(func.__name__, summary, extra_params)
        return func
    return decorate


def _apply(name, x, out, **params):
    packed = _dispatch.check_params(name, params)[0] if params else _dispatch.NO_PARAMS
    return _dispatch.unary(name, "fwd", x, out, packed)


def _apply_plain(name, x, out):
    """_apply for functions without parameters (the per-call cost matters for tiny arrays)."""
    return _dispatch.unary(name, "fwd", x, out, _dispatch.NO_PARAMS)


@_documented("Continuously differentiable ELU.")
def celu(x, alpha=1.0, *, out=None):
    return _apply("celu", x, out, alpha=alpha)


@_documented("Exponential linear unit.")
def elu(x, alpha=1.0, *, out=None):
    return _apply("elu", x, out, alpha=alpha)


@_documented("Exponential, exp(x).")
def exponential(x, *, out=None):
    return _apply_plain("exponential", x, out)


@_documented("Gaussian error linear unit (exact erf form, or the tanh approximation).")
def gelu(x, approximate=False, *, out=None):
    return _apply("gelu", x, out, approximate=approximate)


@_documented("Gated linear unit: the first half of x along axis times sigmoid of the second.")
def glu(x, axis=-1, *, out=None):
    return _rowwise.glu("glu", x, axis, out)


@_documented("Hard shrink: keeps x where ``|x| > threshold``, else 0.")
def hard_shrink(x, threshold=0.5, *, out=None):
    return _apply("hard_shrink", x, out, threshold=threshold)


@_documented("Hard sigmoid, Keras 3's relu6(x + 3) / 6.")
def hard_sigmoid(x, *, out=None):
    return _apply_plain("hard_sigmoid", x, out)


@_documented("Hard SiLU (hard swish), x * relu6(x + 3) / 6.")
def hard_silu(x, *, out=None):
    return _apply_plain("hard_silu", x, out)


@_documented("Hard tanh, clip(x, -1, 1).")
def hard_tanh(x, *, out=None):
    return _apply_plain("hard_tanh", x, out)


@_documented("Leaky ReLU.")
def leaky_relu(x, negative_slope=0.2, *, out=None):
    return _apply("leaky_relu", x, out, negative_slope=negative_slope)


@_documented("Linear (identity); returns a new array unless out is given.")
def linear(x, *, out=None):
    return _apply_plain("linear", x, out)


@_documented("Log-sigmoid, log(sigmoid(x)), without overflow.")
def log_sigmoid(x, *, out=None):
    return _apply_plain("log_sigmoid", x, out)


@_documented("Log-softmax along axis (an int or a tuple of ints).")
def log_softmax(x, axis=-1, *, out=None):
    return _rowwise.softmax("log_softmax", x, axis, out, log=True)


@_documented("Mish, x * tanh(softplus(x)).")
def mish(x, *, out=None):
    return _apply_plain("mish", x, out)


@_documented("Rectified linear unit with Keras 3's negative_slope, max_value and threshold.\n\n"
             "threshold is a hard cut: ``relu([1.9, 2, 2.1], threshold=2) == [0, 0, 2.1]``.",
             extra_params=["alpha : float, optional",
                           "    Keras 2's name for negative_slope (give one of the two)."])
def relu(x, negative_slope=0.0, max_value=None, threshold=0.0, *, alpha=None, out=None):
    if (negative_slope is _RELU_DEFAULTS[0] and max_value is None
            and threshold is _RELU_DEFAULTS[2] and alpha is None):
        # plain relu(x), by far the most frequent call: skip the parameter
        # checks, which cost more than the kernel on a small array
        return _dispatch.unary("relu", "fwd", x, out, _RELU_DEFAULT_PACKED)
    if alpha is not None:
        if negative_slope != 0.0:
            raise TypeError("relu: pass negative_slope or its Keras 2 name alpha, not both")
        negative_slope = alpha
    return _apply("relu", x, out, negative_slope=negative_slope, max_value=max_value,
                  threshold=threshold)


_RELU_DEFAULTS = relu.__defaults__
_RELU_DEFAULT_PACKED = _dispatch.check_params(
    "relu", dict(zip(("negative_slope", "max_value", "threshold"), _RELU_DEFAULTS)))[0]


@_documented("ReLU capped at 6.")
def relu6(x, *, out=None):
    return _apply_plain("relu6", x, out)


@_documented("Scaled ELU with the self-normalising constants (full precision).")
def selu(x, *, out=None):
    return _apply_plain("selu", x, out)


@_documented("Logistic sigmoid: never overflows, never warns.")
def sigmoid(x, *, out=None):
    return _apply_plain("sigmoid", x, out)


@_documented("SiLU (swish), x * sigmoid(x).")
def silu(x, *, out=None):
    return _apply_plain("silu", x, out)


@_documented("Soft shrink: x - threshold above it, x + threshold below -threshold, else 0.")
def soft_shrink(x, threshold=0.5, *, out=None):
    return _apply("soft_shrink", x, out, threshold=threshold)


@_documented("Softmax along axis (an int or a tuple of ints).")
def softmax(x, axis=-1, *, out=None):
    return _rowwise.softmax("softmax", x, axis, out, log=False)


@_documented("Softplus, log(1 + exp(x)), without overflow.")
def softplus(x, *, out=None):
    return _apply_plain("softplus", x, out)


@_documented("Softsign, ``x / (1 + |x|)``.")
def softsign(x, *, out=None):
    return _apply_plain("softsign", x, out)


@_documented("Sparse plus: a smooth piecewise-quadratic softplus.")
def sparse_plus(x, *, out=None):
    return _apply_plain("sparse_plus", x, out)


@_documented("Sparse sigmoid: clip((x + 1) / 2, 0, 1).")
def sparse_sigmoid(x, *, out=None):
    return _apply_plain("sparse_sigmoid", x, out)


@_documented("Sparsemax along axis: the Euclidean projection onto the probability simplex.")
def sparsemax(x, axis=-1, *, out=None):
    return _rowwise.sparsemax("sparsemax", x, axis, out)


@_documented("Squareplus, (x + sqrt(x^2 + b)) / 2, finite for every finite x.")
def squareplus(x, b=4, *, out=None):
    return _apply("squareplus", x, out, b=b)


@_documented("Hyperbolic tangent.")
def tanh(x, *, out=None):
    return _apply_plain("tanh", x, out)


@_documented("Tanh shrink, x - tanh(x), accurate near 0.")
def tanh_shrink(x, *, out=None):
    return _apply_plain("tanh_shrink", x, out)


@_documented("Threshold: x where x > threshold, else default_value.")
def threshold(x, threshold, default_value, *, out=None):
    return _apply("threshold", x, out, threshold=threshold, default_value=default_value)


swish = silu
hard_swish = hard_silu

# name (and alias) -> function
_BY_NAME = {a.name: globals()[a.name] for a in _manifest.ACTIVATIONS}
_BY_NAME.update({alias: _BY_NAME[target] for alias, target in _manifest.ALIASES.items()})


def _unknown(identifier):
    names = ", ".join(sorted(_BY_NAME))
    return ValueError(f"unknown activation {identifier!r}; valid names: {names}")


def get(identifier):
    """The activation for a Keras identifier: a name, a callable, or None (linear).

    Parameters
    ----------
    identifier : str, callable, dict or None
        A Keras name or alias (``"relu"``, ``"swish"``), a config dict (see
        :func:`deserialize`), any callable (returned as it is), or None for
        :func:`linear`.

    Returns
    -------
    callable
        The fastact activation (or the callable given).

    Raises
    ------
    ValueError
        An unknown name; the message lists the valid ones.
    TypeError
        An identifier of another type.

    Examples
    --------
    >>> from fastact.activations import get, linear, relu, silu
    >>> get("relu") is relu, get(None) is linear, get("swish") is silu
    (True, True, True)
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        try:
            return _BY_NAME[identifier]
        except KeyError:
            raise _unknown(identifier) from None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"activation identifier must be a name, a callable or None, got "
                    f"{type(identifier).__name__} {identifier!r}")


def serialize(activation):
    """The Keras name of a fastact activation.

    Parameters
    ----------
    activation : callable
        A function of this module (an alias gives its Keras name).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        ``activation`` is not a fastact activation.

    Examples
    --------
    >>> from fastact import activations
    >>> activations.serialize(activations.relu), activations.serialize(activations.swish)
    ('relu', 'silu')
    """
    for name, func in _BY_NAME.items():
        if func is activation and name in _manifest.BY_NAME:
            return name
    raise ValueError(f"{activation!r} is not a fastact activation; only those serialize "
                     f"to a name")


def deserialize(config):
    """The activation named by ``config``: the inverse of :func:`serialize`.

    Parameters
    ----------
    config : str or dict
        A Keras name or alias, or Keras's ``{"class_name": ..., "config": name}``
        dict (``"config"`` wins over ``"class_name"``).

    Returns
    -------
    callable

    Raises
    ------
    ValueError
        An unknown name.
    TypeError
        ``config`` names no activation (not a string).

    Examples
    --------
    >>> from fastact import activations
    >>> activations.deserialize({"class_name": "function", "config": "gelu"})
    <function gelu at 0x...>
    """
    if isinstance(config, dict):
        config = config.get("config", config.get("class_name"))
    if not isinstance(config, str):
        raise TypeError(f"deserialize: expected an activation name, got {config!r}")
    if config not in _BY_NAME:
        raise _unknown(config)
    return _BY_NAME[config]
