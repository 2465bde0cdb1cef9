"""Weight initializers with Keras 3's names, formulas and ``get_config``.

An initializer is called as ``init(shape, dtype="float32")`` and returns a new
array.  Randomness always comes from a NumPy ``Generator``:

* ``seed=None`` (the default) draws from fastact's global generator, which
  :func:`set_random_seed` reseeds (it also drives ``Sequential.fit``'s
  shuffling), so one call makes a whole script reproducible, as
  ``keras.utils.set_random_seed`` does;
* an int ``seed`` gives the same values on every call (Keras 3's rule for a
  seeded initializer);
* a ``Generator`` is drawn from, and advances.

The variance-scaling family uses Keras's fans (``fan_in, fan_out = shape``
for a Dense kernel) and, for the normal variants, Keras's truncated normal:
values beyond two standard deviations are redrawn, and the standard deviation
is divided by 0.8796..., the standard deviation of a unit normal truncated
at +-2, so that the result has exactly the intended variance.

>>> import fastact.initializers as I
>>> I.get("glorot_uniform")((3, 2)).shape
(3, 2)
"""

import inspect
import math
import numbers
import re

import numpy as np

from ._configurable import Configurable

__all__ = ["Initializer", "Zeros", "Ones", "Constant", "VarianceScaling", "GlorotUniform",
           "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal", "LecunUniform",
           "glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal",
           "lecun_uniform", "zeros", "ones", "get", "serialize", "deserialize",
           "set_random_seed", "global_generator"]

# Standard deviation of a unit normal truncated to [-2, 2] (Keras's constant).
_TRUNCATED_STDDEV = 0.87962566103423978

_global_rng = np.random.default_rng()


def set_random_seed(seed):
    """Reseed fastact's global generator (unseeded initializers, ``fit`` shuffling).

    Parameters
    ----------
    seed : int

    Raises
    ------
    TypeError
        ``seed`` is not an int.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact import initializers
    >>> initializers.set_random_seed(42)
    >>> a = initializers.glorot_uniform((3, 2))
    >>> initializers.set_random_seed(42)
    >>> bool(np.array_equal(a, initializers.glorot_uniform((3, 2))))
    True
    """
    global _global_rng
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"set_random_seed: seed must be an int, got {type(seed).__name__} "
                        f"{seed!r}")
    _global_rng = np.random.default_rng(int(seed))


def global_generator():
    """The Generator unseeded initializers and ``fit``'s shuffling draw from.

    Returns
    -------
    numpy.random.Generator
        Replaced (not reseeded in place) by :func:`set_random_seed`.

    Examples
    --------
    >>> from fastact import initializers
    >>> initializers.global_generator()
    Generator(PCG64) at 0x...
    """
    return _global_rng


def _generator(seed):
    """The Generator to draw from for ``seed`` (see the module docstring)."""
    if seed is None:
        return _global_rng
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _check_seed(seed, cls):
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{cls}: seed must be None, an int or a numpy.random.Generator, got "
                        f"{type(seed).__name__} {seed!r}")
    return int(seed)


def compute_fans(shape):
    """(fan_in, fan_out) of a weight of ``shape``, as Keras computes them."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])       # convolution kernels: (..., in, out)
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer(Configurable):
    """Base class: ``__call__(shape, dtype)`` plus Keras's config round trip.

    A subclass implements ``__call__(shape, dtype="float32")``, returning a
    new array, and ``get_config()``, returning its constructor's keyword
    arguments (``from_config`` and ``repr`` come from them).

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.initializers import Initializer
    >>> class Eye(Initializer):
    ...     def __call__(self, shape, dtype="float32"):
    ...         return np.eye(*shape, dtype=dtype)
    >>> Eye()((2, 2))
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """

    def __call__(self, shape, dtype="float32"):
        raise NotImplementedError


class Constant(Initializer):
    """Every value equal to ``value``.

    Parameters
    ----------
    value : float, default 0.0

    Raises
    ------
    TypeError
        ``value`` is not a real number.

    Examples
    --------
    >>> from fastact.initializers import Constant
    >>> Constant(0.5)((2, 2), dtype="float64")
    array([[0.5, 0.5],
           [0.5, 0.5]])
    """

    def __init__(self, value=0.0):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"Constant: value must be a real number, got {value!r}")
        self.value = float(value)

    def __call__(self, shape, dtype="float32"):
        return np.full(shape, self.value, dtype=dtype)

    def get_config(self):
        return {"value": self.value}


class Zeros(Constant):
    """All zeros (Keras's default bias initializer).

    Examples
    --------
    >>> from fastact.initializers import Zeros
    >>> Zeros()((3,))
    array([0., 0., 0.], dtype=float32)
    """

    def __init__(self):
        super().__init__(0.0)

    def get_config(self):
        return {}


class Ones(Constant):
    """All ones.

    Examples
    --------
    >>> from fastact.initializers import Ones
    >>> Ones()((3,))
    array([1., 1., 1.], dtype=float32)
    """

    def __init__(self):
        super().__init__(1.0)

    def get_config(self):
        return {}


class VarianceScaling(Initializer):
    """Keras's ``VarianceScaling``: variance ``scale / fan``.

    Parameters
    ----------
    scale : float > 0, default 1.0
    mode : {"fan_in", "fan_out", "fan_avg"}, default "fan_in"
        Which fan divides: ``fan_in, fan_out = shape`` for a Dense kernel.
    distribution : {"truncated_normal", "untruncated_normal", "uniform"}, default "truncated_normal"
        Uniform on ``[-sqrt(3 var), sqrt(3 var)]``, a normal, or Keras's
        truncated normal (redrawn beyond 2 standard deviations, rescaled to
        keep the variance); ``"normal"`` is accepted for the last.
    seed : None, int or numpy.random.Generator, default None
        None: fastact's global generator (:func:`set_random_seed`); an int:
        the same values on every call; a Generator: drawn from.

    Raises
    ------
    ValueError
        ``scale`` not positive, or an unknown mode or distribution.
    TypeError
        A seed of another type.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.initializers import VarianceScaling
    >>> init = VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform", seed=0)
    >>> w = init((200, 10))
    >>> bool(np.abs(w).max() <= np.sqrt(3 * 2.0 / 200))
    True
    >>> bool(np.array_equal(w, init((200, 10))))       # an int seed repeats itself
    True
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        cls = type(self).__name__
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not scale > 0:
            raise ValueError(f"{cls}: scale must be a positive float, got {scale!r}")
        if mode not in self._MODES:
            raise ValueError(f"{cls}: mode must be one of {self._MODES}, got {mode!r}")
        if distribution == "normal":          # Keras's alias
            distribution = "truncated_normal"
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(f"{cls}: distribution must be one of {self._DISTRIBUTIONS}, got "
                             f"{distribution!r}")
        self.scale = float(scale)
        self.mode = mode
        self.distribution = distribution
        self.seed = _check_seed(seed, cls)

    def __call__(self, shape, dtype="float32"):
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out,
               "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, fan)
        rng = _generator(self.seed)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, size=shape)
        elif self.distribution == "untruncated_normal":
            values = rng.normal(0.0, math.sqrt(variance), size=shape)
        else:
            values = _truncated_normal(rng, math.sqrt(variance) / _TRUNCATED_STDDEV, shape)
        return values.astype(dtype)

    def get_config(self):
        # A Generator is not part of a config (it is state, not a setting).
        seed = self.seed if not isinstance(self.seed, np.random.Generator) else None
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": seed}


def _truncated_normal(rng, stddev, shape):
    """Normal(0, stddev) values, those beyond 2 stddev redrawn (as Keras/TF do)."""
    values = rng.normal(0.0, stddev, size=shape)
    flat = values.reshape(-1)
    out = np.abs(flat) > 2.0 * stddev
    while out.any():                  # each pass keeps ~95 % of the redraws
        flat[out] = rng.normal(0.0, stddev, size=int(out.sum()))
        out = np.abs(flat) > 2.0 * stddev
    return values


class _Preset(VarianceScaling):
    """A VarianceScaling with fixed settings; its config holds only the seed."""

    _SETTINGS = None

    def __init__(self, seed=None):
        super().__init__(*self._SETTINGS, seed=seed)

    def get_config(self):
        return {"seed": super().get_config()["seed"]}


class GlorotUniform(_Preset):
    """Uniform on [-limit, limit], limit = sqrt(6 / (fan_in + fan_out)) (Keras's Dense default)."""
    _SETTINGS = (1.0, "fan_avg", "uniform")


class GlorotNormal(_Preset):
    """Truncated normal, stddev sqrt(2 / (fan_in + fan_out))."""
    _SETTINGS = (1.0, "fan_avg", "truncated_normal")


class HeNormal(_Preset):
    """Truncated normal, stddev sqrt(2 / fan_in) (for ReLU layers)."""
    _SETTINGS = (2.0, "fan_in", "truncated_normal")


class HeUniform(_Preset):
    """Uniform on [-limit, limit], limit = sqrt(6 / fan_in)."""
    _SETTINGS = (2.0, "fan_in", "uniform")


class LecunNormal(_Preset):
    """Truncated normal, stddev sqrt(1 / fan_in) (SELU's self-normalising initializer)."""
    _SETTINGS = (1.0, "fan_in", "truncated_normal")


class LecunUniform(_Preset):
    """Uniform on [-limit, limit], limit = sqrt(3 / fan_in)."""
    _SETTINGS = (1.0, "fan_in", "uniform")


_CLASSES = {c.__name__: c for c in (Zeros, Ones, Constant, VarianceScaling, GlorotUniform,
                                    GlorotNormal, HeNormal, HeUniform, LecunNormal,
                                    LecunUniform)}


def _snake(name):
    """Keras's class name -> function name: GlorotUniform -> glorot_uniform."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


_BY_NAME = {_snake(name): cls for name, cls in _CLASSES.items()}
_BY_NAME.update({"zero": Zeros, "one": Ones, "constant": Constant})


def _function_doc(cls, name):
    summary = inspect.getdoc(cls).split("\n")[0]
    seed = ("seed : None, int or numpy.random.Generator, default None\n"
            "    As for the class." if issubclass(cls, _Preset) else
            "seed : None\n    Ignored (the values are not random).")
    return f"""``{cls.__name__}(seed=seed)(shape, dtype)``: {summary}

Parameters
----------
shape : tuple of int
dtype : str or numpy.dtype, default "float32"
{seed}

Returns
-------
ndarray
    A new array of ``shape`` and ``dtype``.

Examples
--------
>>> from fastact import initializers
>>> w = initializers.{name}((64, 32), seed=0)
>>> w.shape, w.dtype
((64, 32), dtype('float32'))
"""


def _preset_doc(cls):
    summary = cls.__doc__
    return f"""{summary}

Parameters
----------
seed : None, int or numpy.random.Generator, default None
    None: fastact's global generator (:func:`set_random_seed`); an int: the
    same values on every call (Keras 3's rule); a Generator: drawn from.

Examples
--------
>>> import numpy as np
>>> from fastact.initializers import {cls.__name__}
>>> w = {cls.__name__}(seed=0)((64, 32))
>>> w.shape, w.dtype
((64, 32), dtype('float32'))
>>> bool(np.array_equal(w, {cls.__name__}(seed=0)((64, 32))))
True
"""


for _cls in (GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal, LecunUniform):
    _cls.__doc__ = _preset_doc(_cls)
del _cls


def _function(cls):
    def make(shape, dtype="float32", seed=None):
        return (cls(seed=seed) if issubclass(cls, _Preset) else cls())(shape, dtype)
    make.__name__ = _snake(cls.__name__)
    make.__doc__ = _function_doc(cls, make.__name__)
    return make


glorot_uniform = _function(GlorotUniform)
glorot_normal = _function(GlorotNormal)
he_normal = _function(HeNormal)
he_uniform = _function(HeUniform)
lecun_normal = _function(LecunNormal)
lecun_uniform = _function(LecunUniform)
zeros = _function(Zeros)
ones = _function(Ones)


def get(identifier):
    """An Initializer for a Keras identifier.

    Parameters
    ----------
    identifier : str, dict, Initializer or callable
        A name (``"glorot_uniform"`` or ``"GlorotUniform"``), a config dict
        from :func:`serialize`, an Initializer, or any callable
        ``f(shape, dtype)`` (used as it is).

    Returns
    -------
    Initializer or callable
        A new instance with Keras's defaults for a name.

    Raises
    ------
    ValueError
        An unknown name (the message lists the valid ones).
    TypeError
        An identifier of another type.

    Examples
    --------
    >>> from fastact import initializers
    >>> initializers.get("he_normal")
    HeNormal(seed=None)
    >>> initializers.get("Constant")
    Constant(value=0.0)
    """
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        cls = _CLASSES.get(identifier) or _BY_NAME.get(identifier)
        if cls is None:
            names = ", ".join(sorted(set(_BY_NAME) | set(_CLASSES)))
            raise ValueError(f"unknown initializer {identifier!r}; valid names: {names}")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"initializer must be a name, a config dict, an Initializer or a "
                    f"callable, got {type(identifier).__name__} {identifier!r}")


def serialize(initializer):
    """Keras's config dict of an Initializer (a foreign callable is returned as is).

    Parameters
    ----------
    initializer : Initializer or callable

    Returns
    -------
    dict or callable
        ``{"module", "class_name", "config", "registered_name"}`` as Keras 3
        writes it.

    Examples
    --------
    >>> from fastact import initializers
    >>> initializers.serialize(initializers.Constant(2.0))["config"]
    {'value': 2.0}
    """
    if not isinstance(initializer, Initializer):
        return initializer
    return initializer.serialized("fastact.initializers")


def deserialize(config):
    """The Initializer described by a :func:`serialize` dict.

    Parameters
    ----------
    config : dict
        With ``"class_name"`` (a class or function name) and optionally
        ``"config"`` (the constructor's keyword arguments).

    Returns
    -------
    Initializer

    Raises
    ------
    TypeError
        ``config`` is not such a dict.
    ValueError
        An unknown class name.

    Examples
    --------
    >>> from fastact import initializers
    >>> initializers.deserialize({"class_name": "HeUniform", "config": {"seed": 3}})
    HeUniform(seed=3)
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise TypeError(f"deserialize: expected a dict with 'class_name', got {config!r}")
    cls = _CLASSES.get(config["class_name"]) or _BY_NAME.get(config["class_name"])
    if cls is None:
        raise ValueError(f"unknown initializer class {config['class_name']!r}")
    return cls.from_config(dict(config.get("config") or {}))
