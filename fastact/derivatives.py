"""Derivatives of the activations, with the same names and parameters.

Elementwise functions: ``derivatives.<name>(x, <params>, *, y=None, dy=None, out=None)``
returns f'(x).  Where the manifest says f' is a function of the output, pass
``y=`` (the activation's output) instead of ``x`` and nothing is recomputed.
With ``dy=`` (an upstream gradient) it returns ``dy * f'`` in one fused pass:
the backward step of a network.

Row-wise functions (softmax, log_softmax, sparsemax, glu):
``derivatives.<name>(dy, x=None, *, y=None, axis=-1, out=None)`` returns the
vector-Jacobian product dy^T J (the gradient with respect to x), from x or
(softmax, log_softmax, sparsemax) from the output y.

Kinks take PyTorch's values (0 at relu's 0, the slope at leaky_relu's 0, ...);
each docstring says which.

>>> import numpy as np, fastact
>>> fastact.derivatives.sigmoid(np.array([0.0]))
array([0.25])
>>> fastact.derivatives.relu(np.array([-1.0, 0.0, 1.0]))
array([0., 0., 1.])
"""

import inspect

from . import _dispatch, _manifest, _rowwise
from ._docs import derivative_doc

__all__ = [a.name for a in _manifest.ACTIVATIONS] + list(_manifest.ALIASES)


def _bind(act, args, kwargs):
    """Keras-style parameters (positional after x, or by name) -> dict."""
    if len(args) > len(act.params):
        raise TypeError(f"{act.name}: takes at most {len(act.params)} parameter(s) after x, "
                        f"got {len(args)}")
    values = {}
    for param, value in zip(act.params, args):
        values[param.name] = value
    for key, value in kwargs.items():
        if key not in {p.name for p in act.params}:
            raise TypeError(f"{act.name}: unexpected parameter {key!r}; parameters are "
                            f"{[p.name for p in act.params]}")
        if key in values:
            raise TypeError(f"{act.name}: parameter {key!r} given twice")
        values[key] = value
    for param in act.params:
        if param.name not in values:
            if param.default is _manifest.REQUIRED:
                raise TypeError(f"{act.name}: missing required parameter {param.name!r}")
            values[param.name] = param.default
    return values


def _elementwise(act):
    def derivative(x=None, *args, y=None, dy=None, out=None, **kwargs):
        packed, clean = _dispatch.check_params(act.name, _bind(act, args, kwargs))
        if (x is None) == (y is None):
            raise TypeError(f"{act.name}: pass exactly one of x (the input) and y (the "
                            f"output)")
        if y is not None:
            why = "no form from y exists" if act.from_y is None else act.from_y(clean)
            if why is not None:
                raise ValueError(f"{act.name}: y= given, but {why}")
            source, mode, argname = y, "dy", "y"
        else:
            source, mode, argname = x, "dx", "x"
        if dy is None:
            return _dispatch.unary(act.name, mode, source, out, packed, argname)
        return _dispatch.grad(act.name, mode, source, dy, out, packed, argname)

    params = [inspect.Parameter("x", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)]
    params += [inspect.Parameter(p.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                 default=inspect.Parameter.empty
                                 if p.default is _manifest.REQUIRED else p.default)
               for p in act.params]
    if any(p.default is _manifest.REQUIRED for p in act.params):
        params[0] = params[0].replace(default=inspect.Parameter.empty)
    params += [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=None)
               for n in ("y", "dy", "out")]
    derivative.__signature__ = inspect.Signature(params)
    derivative.__name__ = derivative.__qualname__ = act.name
    derivative.__module__ = __name__
    derivative.__doc__ = derivative_doc(act.name, f"Derivative of fastact.activations.{act.name}.")
    return derivative


for _act in _manifest.ELEMENTWISE:
    globals()[_act.name] = _elementwise(_act)
del _act


def softmax(dy, x=None, *, y=None, axis=-1, out=None):
    return _rowwise.softmax_vjp("softmax", dy, x, y, axis, out, log=False)


def log_softmax(dy, x=None, *, y=None, axis=-1, out=None):
    return _rowwise.softmax_vjp("log_softmax", dy, x, y, axis, out, log=True)


def sparsemax(dy, x=None, *, y=None, axis=-1, out=None):
    return _rowwise.sparsemax_vjp("sparsemax", dy, x, y, axis, out)


def glu(dy, x, *, axis=-1, out=None):
    return _rowwise.glu_vjp("glu", dy, x, axis, out)


for _func in (softmax, log_softmax, sparsemax, glu):
    _func.__doc__ = derivative_doc(_func.__name__, f"Vector-Jacobian product of "
                                   f"fastact.activations.{_func.__name__}: the gradient "
                                   f"with respect to x of sum(dy * f(x)).")
del _func

swish = globals()["silu"]
hard_swish = globals()["hard_silu"]
