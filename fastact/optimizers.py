"""SGD and Adam with Keras 3's update rules, applied in place.

An optimizer updates NumPy arrays in place: ``opt.apply(grads, variables)``
(or Keras's ``opt.apply_gradients(zip(grads, variables))``).  Its state (the
moments) is built on the first call for that list of variables; every update
is a fixed sequence of in-place ufunc calls on preallocated arrays, so a
training step allocates nothing here.

Update rules (Keras 3, ``t`` = ``iterations + 1``):

SGD
    ``momentum == 0``: ``w -= lr * g``.
    Otherwise ``m = momentum * m - lr * g``, then ``w += m``, or with
    ``nesterov`` ``w += momentum * m - lr * g``.
Adam
    ``m += (g - m) * (1 - beta_1)``; ``v += (g**2 - v) * (1 - beta_2)``;
    ``alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)``;
    ``w -= alpha * m / (sqrt(v) + epsilon)``.
    (``m += (g - m)(1 - b1)`` is Keras's way of writing ``m = b1 m + (1 - b1) g``.)
"""

import math
import numbers

import numpy as np

from ._configurable import Configurable

__all__ = ["Optimizer", "SGD", "Adam", "get", "serialize", "deserialize"]


def _check_float(value, cls, name, low=None, high=None, low_open=False, high_open=False):
    """A finite real in the given range, as a float, or a clear error."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{cls}: {name} must be a float, got {type(value).__name__} "
                        f"{value!r}")
    value = float(value)
    bad = not math.isfinite(value)
    if low is not None:
        bad = bad or (value <= low if low_open else value < low)
    if high is not None:
        bad = bad or (value >= high if high_open else value > high)
    if bad:
        lo = "" if low is None else f"{low} {'<' if low_open else '<='} "
        hi = "" if high is None else f" {'<' if high_open else '<='} {high}"
        raise ValueError(f"{cls}: {name} must be a finite float with {lo}{name}{hi}, got "
                         f"{value!r}")
    return value


class Optimizer(Configurable):
    """Base class: variable bookkeeping, ``iterations`` and the config round trip.

    Subclasses define ``_slot_names`` (one zero array per name and variable,
    plus ``_n_scratch`` scratch arrays) and ``_update(g, w, slots, scratch)``.

    Parameters
    ----------
    learning_rate : float > 0
    name : str, optional
        Defaults to the class name in lower case.

    Raises
    ------
    ValueError, TypeError
        ``learning_rate`` is not a finite positive float.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.optimizers import Optimizer
    >>> class SignSGD(Optimizer):
    ...     _n_scratch = 1
    ...     def _update(self, g, w, slots, scratch):
    ...         np.sign(g, out=scratch[0])
    ...         scratch[0] *= self.learning_rate
    ...         w -= scratch[0]
    >>> w = np.array([1.0, -1.0])
    >>> SignSGD(0.5).apply([np.array([3.0, -0.1])], [w])
    >>> w
    array([ 0.5, -0.5])
    """

    _slot_names = ()
    _n_scratch = 0

    def __init__(self, learning_rate, name=None):
        cls = type(self).__name__
        self.learning_rate = _check_float(learning_rate, cls, "learning_rate", low=0.0,
                                          low_open=True)
        self.name = name if name is not None else cls.lower()
        self.iterations = 0
        self._variables = None
        self._slots = []
        self._scratch = []

    # ------------------------------------------------------------- state
    def build(self, variables):
        """Create zeroed state for ``variables`` and reset ``iterations``.

        Parameters
        ----------
        variables : list of ndarray
            Writeable float arrays, updated in place by :meth:`apply`.

        Raises
        ------
        TypeError, ValueError
            A variable that is not a float array, or is read-only.
        """
        variables = list(variables)
        for i, w in enumerate(variables):
            if not isinstance(w, np.ndarray) or w.dtype.kind != "f":
                raise TypeError(f"{type(self).__name__}: variable {i} must be a float "
                                f"numpy array, got {type(w).__name__}")
            if not w.flags.writeable:
                raise ValueError(f"{type(self).__name__}: variable {i} is read-only")
        self._variables = variables
        self._slots = [[np.zeros_like(w) for _ in self._slot_names] for w in variables]
        self._scratch = [[np.empty_like(w) for _ in range(self._n_scratch)] for w in variables]
        self.iterations = 0

    @property
    def variables(self):
        """The optimizer's state arrays (Keras's ``optimizer.variables``, less iterations)."""
        return [s for slots in self._slots for s in slots]

    def _check_variables(self, variables):
        built = self._variables
        if built is None:
            self.build(variables)
            return
        if len(variables) != len(built) or any(a is not b for a, b in zip(variables, built)):
            raise ValueError(f"{type(self).__name__}: apply() got other variables than the "
                             f"ones it was built for; call build(variables) to start over "
                             f"(it resets the optimizer state)")

    # ------------------------------------------------------------ update
    def apply(self, grads, variables=None):
        """One update of ``variables`` (in place) by ``grads``.

        Parameters
        ----------
        grads : list of ndarray
            Gradients, each the shape and dtype of its variable.
        variables : list of ndarray, optional
            Defaults to the variables the optimizer was built for.
        """
        if variables is None:
            if self._variables is None:
                raise ValueError(f"{type(self).__name__}: pass the variables on the first "
                                 f"apply() (or call build(variables))")
            variables = self._variables
        if len(grads) != len(variables):
            raise ValueError(f"{type(self).__name__}: got {len(grads)} gradients for "
                             f"{len(variables)} variables")
        self._check_variables(variables)
        for g, w in zip(grads, variables):
            if g.shape != w.shape:
                raise ValueError(f"{type(self).__name__}: gradient shape {g.shape} does not "
                                 f"match its variable's {w.shape}")
        self._step(grads, variables)

    def apply_gradients(self, grads_and_vars):
        """Keras's form: ``apply_gradients(zip(grads, variables))``.

        Parameters
        ----------
        grads_and_vars : iterable of (ndarray, ndarray)
        """
        pairs = list(grads_and_vars)
        self.apply([g for g, _ in pairs], [w for _, w in pairs])

    def _step(self, grads, variables):
        """The update itself, once the arguments are known to be right (the
        training loop calls this directly)."""
        self._prepare_step(self.iterations + 1)
        for g, w, slots, scratch in zip(grads, variables, self._slots, self._scratch):
            self._update(g, w, slots, scratch)
        self.iterations += 1

    def _prepare_step(self, t):
        """Per-step scalars (Adam's bias correction); nothing by default."""

    def _update(self, g, w, slots, scratch):
        raise NotImplementedError

    # ------------------------------------------------------------ config
    def get_config(self):
        return {"name": self.name, "learning_rate": self.learning_rate}



class SGD(Optimizer):
    """Gradient descent, with (Nesterov) momentum as Keras 3 writes it.

    Parameters
    ----------
    learning_rate : float > 0, default 0.01
    momentum : float in [0, 1], default 0.0
    nesterov : bool, default False
    name : str, optional

    Raises
    ------
    ValueError, TypeError
        A parameter out of range or of the wrong type.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.optimizers import SGD
    >>> w = np.array([1.0, 2.0])
    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> opt.apply([np.array([1.0, -1.0])], [w])
    >>> w, opt.iterations
    (array([0.9, 2.1]), 1)
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name=None):
        super().__init__(learning_rate, name)
        self.momentum = _check_float(momentum, "SGD", "momentum", low=0.0, high=1.0)
        if not isinstance(nesterov, (bool, np.bool_)):
            raise TypeError(f"SGD: nesterov must be True or False, got {nesterov!r}")
        self.nesterov = bool(nesterov)
        # Plain SGD keeps no state; momentum needs m and a scratch array.
        self._slot_names = ("momentum",) if self.momentum != 0.0 else ()
        self._n_scratch = (2 if self.nesterov else 1) if self.momentum != 0.0 else 1

    def _update(self, g, w, slots, scratch):
        lr = self.learning_rate
        if self.momentum == 0.0:
            np.multiply(g, lr, out=scratch[0])
            w -= scratch[0]
            return
        m, step = slots[0], scratch[0]
        np.multiply(g, -lr, out=step)            # -lr * g
        m *= self.momentum
        m += step                                # m = momentum * m - lr * g
        if self.nesterov:
            look = scratch[1]
            np.multiply(m, self.momentum, out=look)
            look += step                         # momentum * m - lr * g
            w += look
        else:
            w += m

    def get_config(self):
        config = super().get_config()
        config.update(momentum=self.momentum, nesterov=self.nesterov)
        return config


class Adam(Optimizer):
    """Adam (Kingma & Ba), Keras 3's form with its epsilon outside the sqrt.

    Parameters
    ----------
    learning_rate : float > 0, default 0.001
    beta_1, beta_2 : float in [0, 1), defaults 0.9 and 0.999
    epsilon : float >= 0, default 1e-7
    name : str, optional

    Raises
    ------
    ValueError, TypeError
        A parameter out of range or of the wrong type.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.optimizers import Adam
    >>> w = np.array([1.0, 2.0])
    >>> Adam(learning_rate=0.1).apply_gradients(zip([np.array([5.0, -2.0])], [w]))
    >>> w.round(6)           # the first step is about lr * sign(g), whatever |g|
    array([0.9, 2.1])
    """

    _slot_names = ("m", "v")
    _n_scratch = 2

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 name=None):
        super().__init__(learning_rate, name)
        self.beta_1 = _check_float(beta_1, "Adam", "beta_1", low=0.0, high=1.0, high_open=True)
        self.beta_2 = _check_float(beta_2, "Adam", "beta_2", low=0.0, high=1.0, high_open=True)
        self.epsilon = _check_float(epsilon, "Adam", "epsilon", low=0.0)
        self._alpha = 0.0

    def _prepare_step(self, t):
        # The bias correction folded into the step size, once per step.
        self._alpha = (self.learning_rate * math.sqrt(1.0 - self.beta_2 ** t)
                       / (1.0 - self.beta_1 ** t))

    def _update(self, g, w, slots, scratch):
        m, v = slots
        a, b = scratch
        np.subtract(g, m, out=a)
        a *= 1.0 - self.beta_1
        m += a                                   # m += (g - m) (1 - beta_1)
        np.square(g, out=a)
        a -= v
        a *= 1.0 - self.beta_2
        v += a                                   # v += (g^2 - v) (1 - beta_2)
        np.sqrt(v, out=a)
        a += self.epsilon
        np.multiply(m, self._alpha, out=b)
        b /= a
        w -= b                                   # w -= alpha m / (sqrt(v) + eps)

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        return config


_CLASSES = {"SGD": SGD, "Adam": Adam}
_BY_NAME = {"sgd": SGD, "adam": Adam}


def get(identifier):
    """An Optimizer for ``identifier``.

    Parameters
    ----------
    identifier : str, dict or Optimizer
        An instance (returned as it is), ``"sgd"``/``"adam"`` (any case;
        Keras's defaults), or a config dict from :func:`serialize`.

    Returns
    -------
    Optimizer

    Raises
    ------
    ValueError
        An unknown name.
    TypeError
        An identifier of another type.

    Examples
    --------
    >>> from fastact import optimizers
    >>> optimizers.get("adam")
    Adam(name='adam', learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-07)
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower())
        if cls is None:
            raise ValueError(f"unknown optimizer {identifier!r}; valid names: "
                             f"{', '.join(sorted(_BY_NAME))}")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise TypeError(f"optimizer must be a name, a config dict or an Optimizer, got "
                    f"{type(identifier).__name__} {identifier!r}")


def serialize(optimizer):
    """Keras's config dict of an optimizer.

    Parameters
    ----------
    optimizer : Optimizer

    Returns
    -------
    dict
        ``{"module", "class_name", "config", "registered_name"}``; the state
        (moments, iterations) is not part of it.

    Examples
    --------
    >>> from fastact import optimizers
    >>> optimizers.serialize(optimizers.SGD(0.1))["config"]
    {'name': 'sgd', 'learning_rate': 0.1, 'momentum': 0.0, 'nesterov': False}
    """
    return optimizer.serialized("fastact.optimizers")


def deserialize(config):
    """The optimizer a :func:`serialize` dict describes, with fresh state.

    Parameters
    ----------
    config : dict
        ``"class_name"`` (``"SGD"`` or ``"Adam"``) and ``"config"``.

    Returns
    -------
    Optimizer

    Raises
    ------
    ValueError
        An unknown class name.

    Examples
    --------
    >>> from fastact import optimizers
    >>> optimizers.deserialize({"class_name": "SGD", "config": {"momentum": 0.5}})
    SGD(name='sgd', learning_rate=0.01, momentum=0.5, nesterov=False)
    """
    cls = _CLASSES.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"unknown optimizer class {config.get('class_name')!r}")
    return cls.from_config(dict(config.get("config") or {}))
