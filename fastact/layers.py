"""Keras-style layers on fastact's fused kernels: forward, backward, config.

Every layer is called like a Keras layer, ``y = layer(x)``, builds its
weights from the first input it sees, and adds what a NumPy training loop
needs:

* ``layer.backward(dy)`` -> dx, the gradient with respect to the input of
  the last call, storing the weight gradients in ``layer.gradients`` (aligned
  with ``layer.trainable_weights``);
* ``layer(x, training=True)``: the training step's form.  Outputs and dx land
  in arrays the layer keeps per input shape and overwrites on the next call
  of that shape, and the fused calls run with ``out=``, so after the first
  batch a step allocates no arrays.  Plain calls return fresh arrays.

``Dense`` runs ``fastact.dense`` / ``fastact.dense_backward`` (GEMM, bias and
activation in one pass; the gradients with ``out=``); the activation layers
run ``fastact.activations`` and ``fastact.derivatives`` with ``out=``.

Constructors, defaults, weight names and ``get_config`` keys are Keras 3's.

>>> import numpy as np
>>> from fastact.layers import Dense
>>> layer = Dense(2, activation="relu", kernel_initializer="ones")
>>> layer(np.array([[1.0, -2.0, 3.0]], dtype=np.float32))
array([[2., 2.]], dtype=float32)
"""

import functools
import numbers
import re
import warnings
from types import SimpleNamespace

import numpy as np

from ._configurable import Configurable

from . import _dense, _manifest, activations, derivatives
from . import initializers as _initializers
from ._dense import dense, dense_backward

__all__ = ["Layer", "InputLayer", "Input", "Dense", "Activation", "ReLU", "LeakyReLU", "PReLU",
           "ELU", "Softmax", "serialize", "deserialize", "get"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_name_counts = {}

# Workspaces kept per layer: fit uses two batch shapes (full and last
# partial batch); a few more keep alternating shapes cheap without letting
# the cache grow without bound.
_MAX_WORKSPACES = 4


def _snake_case(name):
    """Keras's class name -> layer name rule: ReLU -> re_lu, PReLU -> p_re_lu."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _unique_name(base):
    """``base``, then ``base_1``, ``base_2``... as Keras names layers."""
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def _only_none(cls, **options):
    """Keras options fastact does not implement: accepted (and kept in the
    config) only as None, their default."""
    for key, value in options.items():
        if value is not None:
            raise NotImplementedError(f"{cls}: {key} is not supported by fastact's layers "
                                      f"(got {value!r}); only None")


# ------------------------------------------------------------------ activations

def _activation_from_config(value):
    """An activation identifier from its config form (see ``_ActivationSpec.serialize``)."""
    if isinstance(value, dict):
        func = activations.deserialize(value["class_name"])
        params = dict(value.get("config") or {})
        return functools.partial(func, **params) if params else func
    return value


class _ActivationSpec:
    """A layer's activation: how to apply it into a buffer, how to backpropagate
    through it, and whether that needs the pre-activation ``z``.

    ``identifier`` is what the user gave (a Keras name, None, a fastact
    activation, a ``functools.partial`` of one, or any callable); it is
    passed to ``fastact.dense`` as it is.
    """

    def __init__(self, identifier, owner):
        identifier = _activation_from_config(identifier)
        if identifier is None:
            identifier = "linear"
        try:
            resolved = _dense.resolve_activation(identifier, owner)
        except (TypeError, ValueError) as exc:
            what = identifier
            if isinstance(identifier, functools.partial):
                what = getattr(identifier.func, "__name__", identifier.func)
            raise type(exc)(f"{owner}: invalid activation {what!r}: {exc}") from None
        self.identifier = identifier
        self.name = resolved.name                   # None for a foreign callable
        self.func = resolved.func
        self.params = dict(resolved.clean) if resolved.name is not None else {}
        if self.name is None:
            self.kind, self.needs_z = "foreign", False
        else:
            entry = _manifest.BY_NAME[self.name]
            self.kind = entry.kind
            if entry.kind == "rowwise":
                # dense_backward takes softmax, log_softmax and sparsemax from y
                self.needs_z = self.name == "glu"
            else:
                self.needs_z = entry.from_y is None or entry.from_y(self.params) is not None

    @property
    def function(self):
        """The activation as a callable (Keras's ``layer.activation``)."""
        if self.name is None:
            return self.func
        func = getattr(activations, self.name)
        defaults = {p.name: p.default for p in _manifest.BY_NAME[self.name].params}
        changed = {k: v for k, v in self.params.items() if defaults.get(k) != v}
        return functools.partial(func, **changed) if changed else func

    @property
    def plain_name(self):
        """The Keras name when the activation has its default parameters, else None
        (what a fused loss may rely on: ``"softmax"`` over the last axis...)."""
        if self.name is None:
            return None
        defaults = {p.name: p.default for p in _manifest.BY_NAME[self.name].params}
        return self.name if self.params == {k: defaults[k] for k in self.params} else None

    def apply(self, x, out=None):
        """activation(x), into ``out`` when given."""
        if self.name is None:
            y = np.asarray(self.func(x))
            if out is None:
                return y
            np.copyto(out, y, casting="unsafe")
            return out
        return getattr(activations, self.name)(x, **self.params, out=out)

    def vjp(self, dy, x, y, out=None, owner="layer"):
        """The gradient with respect to x of sum(dy * activation(x))."""
        if self.name is None:
            raise TypeError(f"{owner}: activation {self.func!r} is not a fastact activation; "
                            f"its derivative is unknown, so the layer cannot backpropagate")
        deriv = getattr(derivatives, self.name)
        if self.kind == "elementwise":
            return deriv(x, **self.params, dy=dy, out=out)
        axis = self.params.get("axis", -1)
        if self.name == "glu":
            return deriv(dy, x, axis=axis, out=out)
        return deriv(dy, y=y, axis=axis, out=out)

    def output_shape(self, input_shape):
        """glu halves its axis; every other activation keeps the shape."""
        if self.name != "glu":
            return tuple(input_shape)
        shape = list(input_shape)
        axis = self.params.get("axis", -1)
        if shape[axis] is not None:
            if shape[axis] % 2:
                raise ValueError(f"glu needs an even size along axis {axis}, got "
                                 f"{shape[axis]}")
            shape[axis] //= 2
        return tuple(shape)

    def serialize(self):
        """A config value: the Keras name, a {"class_name", "config"} dict for a
        fastact activation with parameters, or the callable itself."""
        if self.name is None:
            return self.identifier
        func = self.function
        if isinstance(func, functools.partial):
            return {"class_name": self.name, "config": dict(func.keywords)}
        return self.name


# ------------------------------------------------------------------------ base

class Layer(Configurable):
    """Base class: naming, dtype, building, weights, gradients and config.

    Subclasses implement ``build`` (weights, via ``add_weight``), ``call``,
    ``backward`` and ``get_config``, and ``compute_output_shape`` when the
    shape changes.

    Parameters
    ----------
    name : str, optional
        Defaults to the snake-case class name, made unique (``dense_1``...).
    trainable : bool, default True
        Whether the weights are in ``trainable_weights`` (and so trained).
    dtype : {"float32", "float64"}, default "float32"
        Dtype of the weights and of the computation; inputs of another dtype
        are cast (Keras's autocast).

    Raises
    ------
    TypeError
        A name that is not a string, a non-bool ``trainable``, or a dtype
        other than float32/float64.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.layers import Layer
    >>> class Double(Layer):
    ...     def call(self, x, training=False):
    ...         return 2 * x
    ...     def backward(self, dy):
    ...         return 2 * dy
    >>> Double()(np.array([[1.0, -1.0]]))            # inputs are cast to float32
    array([[ 2., -2.]], dtype=float32)
    """

    def __init__(self, name=None, trainable=True, dtype=None):
        cls = type(self).__name__
        if name is not None and not isinstance(name, str):
            raise TypeError(f"{cls}: name must be a string, got {name!r}")
        self.name = name if name is not None else _unique_name(_snake_case(cls))
        if not isinstance(trainable, (bool, np.bool_)):
            raise TypeError(f"{cls}: trainable must be True or False, got {trainable!r}")
        self.trainable = bool(trainable)
        dtype = np.dtype("float32" if dtype is None else dtype)
        if dtype not in _FLOATS:
            raise TypeError(f"{cls}: dtype must be float32 or float64, got {dtype}")
        self.dtype = dtype
        self.built = False
        self.input_shape = None          # full shape of the first input (batch axis None)
        self._weight_names = []
        self._grads = {}
        self._workspaces = {}
        self._last = None                # what backward needs from the last call

    # --------------------------------------------------------------- weights
    def add_weight(self, name, shape, initializer):
        """Create weight ``name`` (an attribute) and its gradient array.

        Parameters
        ----------
        name : str
            The attribute name (``"kernel"``, ``"bias"``...).
        shape : tuple of int
        initializer : initializer identifier
            Anything ``fastact.initializers.get`` takes.

        Returns
        -------
        ndarray
            The new weight, C-contiguous, of the layer's dtype.
        """
        init = _initializers.get(initializer)
        value = np.ascontiguousarray(init(tuple(shape), self.dtype), dtype=self.dtype)
        if value.shape != tuple(shape):
            raise ValueError(f"{self.name}: initializer {init!r} returned shape {value.shape} "
                             f"for weight {name} of shape {tuple(shape)}")
        setattr(self, name, value)
        self._grads[name] = np.zeros_like(value)
        self._weight_names.append(name)
        return value

    @property
    def weights(self):
        return [getattr(self, n) for n in self._weight_names]

    @property
    def trainable_weights(self):
        return self.weights if self.trainable else []

    @property
    def non_trainable_weights(self):
        return [] if self.trainable else self.weights

    @property
    def gradients(self):
        """Gradients from the last ``backward``, aligned with ``trainable_weights``."""
        return [self._grads[n] for n in self._weight_names] if self.trainable else []

    def count_params(self):
        return int(sum(w.size for w in self.weights))

    def get_weights(self):
        """Copies of the weights, in Keras's order (Dense: kernel, bias)."""
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        """Set the weights from a list in Keras's order; shapes must match.

        Parameters
        ----------
        weights : list of array_like
            One array per weight (Dense: kernel, then bias), copied in place.

        Raises
        ------
        ValueError
            The layer is not built, or the number or shapes do not match.
        """
        weights = list(weights)
        names = self._weight_names
        if not self.built:
            raise ValueError(f"{self.name}: the layer is not built yet (call it on an input, "
                             f"or build(input_shape), before set_weights)")
        if len(weights) != len(names):
            raise ValueError(f"{self.name}: set_weights expected {len(names)} arrays "
                             f"({', '.join(names)}), got {len(weights)}")
        arrays = [np.asarray(w) for w in weights]
        for name, new in zip(names, arrays):
            current = getattr(self, name)
            if new.shape != current.shape:
                raise ValueError(f"{self.name}: weight {name} has shape {current.shape}, "
                                 f"got an array of shape {new.shape}")
        for name, new in zip(names, arrays):
            # In place: the arrays may be views into a model's packed storage.
            np.copyto(getattr(self, name), new, casting="unsafe")

    def _move_trainable(self, weight_views, grad_views):
        """Move the trainable weights and their gradients into the given arrays
        (views into a model's contiguous storage, so one optimizer call
        updates every weight)."""
        for name, w, g in zip(self._weight_names, weight_views, grad_views):
            np.copyto(w, getattr(self, name))
            np.copyto(g, self._grads[name])
            setattr(self, name, w)
            self._grads[name] = g

    # -------------------------------------------------------------- building
    def build(self, input_shape):
        """Create the weights for inputs of ``input_shape`` (batch axis first).

        Parameters
        ----------
        input_shape : tuple of int or None
            The batch axis may be None.
        """
        self.input_shape = (None,) + tuple(input_shape)[1:]
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    @property
    def output_shape(self):
        """(None, ...) once built, else None."""
        return None if self.input_shape is None else self.compute_output_shape(self.input_shape)

    # ---------------------------------------------------------------- calling
    def __call__(self, x, training=False, **kwargs):
        """Forward pass; builds the layer on its first input.

        Parameters
        ----------
        x : array_like, shape (batch, ..., features)
        training : bool, default False
            True: write the outputs into arrays the layer reuses for every
            input of this shape (the next such call overwrites them).
        """
        if x.__class__ is not np.ndarray or x.dtype != self.dtype:
            x = self._as_input(x)
        if not self.built:
            self.build(x.shape)
        return self.call(x, training=training, **kwargs)

    def _as_input(self, x):
        arr = np.asarray(x)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{self.name}: inputs must be real numbers, got dtype {arr.dtype}")
        if arr.ndim < 1:
            raise ValueError(f"{self.name}: inputs must have a batch axis, got a 0-d array")
        return arr.astype(self.dtype, copy=False)

    def call(self, x, training=False):
        raise NotImplementedError

    def backward(self, dy):
        """dL/dx for dL/dy of the last call; stores the weight gradients.

        Parameters
        ----------
        dy : array_like
            dL/dy, the shape of the last call's output.

        Returns
        -------
        ndarray
            dL/dx, the shape of the last call's input.
        """
        raise NotImplementedError

    def _dy(self, dy):
        """dy as an array of the layer's dtype and the last output's shape."""
        if self._last is None:
            raise RuntimeError(f"{self.name}: backward() before any forward call")
        if dy.__class__ is not np.ndarray or dy.dtype != self.dtype:
            dy = np.asarray(dy, dtype=self.dtype)
        y = self._last.y
        if dy.shape != y.shape:
            raise ValueError(f"{self.name}: dy has shape {dy.shape}, expected the shape of "
                             f"the last output {y.shape}")
        return dy

    def _workspace(self, key, make, *args):
        """The arrays kept for one input shape (``key``): ``make(*args)`` on first use."""
        ws = self._workspaces.get(key)
        if ws is None:
            if len(self._workspaces) >= _MAX_WORKSPACES:
                self._workspaces.pop(next(iter(self._workspaces)))
            ws = self._workspaces[key] = make(*args)
        return ws

    # ---------------------------------------------- fused output + loss head
    keep_logits = False

    @property
    def head_activation(self):
        """Name of a default-parameter activation this layer applies last
        (a loss may fuse with it), else None."""
        return None

    @property
    def logits(self):
        """The pre-activation of the last call (for ``head_activation``)."""
        raise TypeError(f"{self.name} has no fusable activation")

    def backward_from_logits(self, dz):
        """dL/dx given dL/dlogits directly (the fused softmax/sigmoid + loss).

        Parameters
        ----------
        dz : array_like
            dL/dz for the pre-activation z of the last call.

        Returns
        -------
        ndarray
            dL/dx.
        """
        raise TypeError(f"{self.name} has no fusable activation")

    # ---------------------------------------------------------------- config
    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype.name}

    def __reduce__(self):
        """Pickle as Keras saves a layer: its config, input shape and weights.
        Not pickled: the last call's arrays, the gradients and the workspaces
        (a layer that has seen a large batch would otherwise carry it along,
        to every Dask worker it is sent to)."""
        return _restore_layer, (type(self), self.get_config(), self.input_shape,
                                self.get_weights())

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _restore_layer(cls, config, input_shape, weights):
    layer = cls.from_config(config)
    if input_shape is not None:
        layer.build(input_shape)
        layer.set_weights(weights)
    return layer


class InputLayer:
    """The input specification of a Sequential model (what ``Input`` returns).

    Parameters
    ----------
    shape : tuple of int
        Shape of one sample (without the batch axis).
    batch_size : int, optional
    dtype : str, optional
    name : str, optional

    Raises
    ------
    ValueError
        A shape that is not a tuple of positive ints.

    Examples
    --------
    >>> from fastact.layers import InputLayer
    >>> InputLayer((28, 28)).shape
    (None, 28, 28)
    """

    def __init__(self, shape, batch_size=None, dtype=None, name=None):
        if isinstance(shape, numbers.Integral):
            shape = (shape,)
        shape = tuple(shape)
        if not all(isinstance(d, numbers.Integral) and d > 0 for d in shape):
            raise ValueError(f"Input: shape must be a tuple of positive ints, got {shape!r}")
        self.shape = (batch_size,) + tuple(int(d) for d in shape)
        self.dtype = None if dtype is None else np.dtype(dtype)
        self.name = name if name is not None else _unique_name("input_layer")

    def __repr__(self):
        return f"<InputLayer shape={self.shape}>"


def Input(shape, batch_size=None, dtype=None, name=None):
    """Keras's ``Input(shape)``: put first in a Sequential to build it at once.

    Parameters
    ----------
    shape : int or tuple of int
        Shape of one sample (without the batch axis).
    batch_size : int, optional
    dtype : str, optional
    name : str, optional

    Returns
    -------
    InputLayer

    Examples
    --------
    >>> from fastact.layers import Dense, Input
    >>> from fastact.models import Sequential
    >>> model = Sequential([Input((4,)), Dense(2)])
    >>> model.built, model.count_params()
    (True, 10)
    """
    return InputLayer(shape, batch_size=batch_size, dtype=dtype, name=name)


def _same_shape_buffers(shape, dtype, names, bool_names=()):
    """A workspace of empty arrays of one shape: ``names`` of dtype, ``bool_names`` of bool."""
    ws = SimpleNamespace(**{name: np.empty(shape, dtype) for name in names})
    for name in bool_names:
        setattr(ws, name, np.empty(shape, bool))
    return ws


# ----------------------------------------------------------------------- Dense

class Dense(Layer):
    """``activation(x @ kernel + bias)``, Keras's densely-connected layer.

    Parameters
    ----------
    units : int > 0
    activation : str, callable or None, default None (linear)
        Any form ``fastact.dense`` takes; backpropagation needs a fastact
        activation (a name, a fastact function, or a ``functools.partial`` of
        one with parameters).
    use_bias : bool, default True
    kernel_initializer, bias_initializer : initializer identifiers
        Defaults ``"glorot_uniform"`` and ``"zeros"``.
    kernel_regularizer, bias_regularizer, activity_regularizer, kernel_constraint, bias_constraint
        Keras options kept for config compatibility: only None is supported.
    **kwargs
        ``name``, ``trainable``, ``dtype`` (see :class:`Layer`).

    Attributes
    ----------
    kernel : ndarray, shape (input features, units)
    bias : ndarray, shape (units,)

    Raises
    ------
    ValueError
        ``units`` not a positive int, activation ``"glu"`` (it halves the
        units axis: use ``Activation("glu")`` after a wider Dense), or an
        unknown activation name.
    NotImplementedError
        A regularizer or constraint other than None.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.layers import Dense
    >>> layer = Dense(3, activation="relu", kernel_initializer="ones")
    >>> layer(np.array([[1.0, 2.0]]))
    array([[3., 3., 3.]], dtype=float32)
    >>> layer.backward(np.ones((1, 3)))                  # dL/dx
    array([[3., 3.]], dtype=float32)
    >>> kernel_grad, bias_grad = layer.gradients
    >>> kernel_grad
    array([[1., 1., 1.],
           [2., 2., 2.]], dtype=float32)
    """

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        if (isinstance(units, (bool, np.bool_)) or not isinstance(units, numbers.Integral)
                or units <= 0):
            raise ValueError(f"Received an invalid value for `units`, expected a positive "
                             f"integer. Received: units={units!r}")
        _only_none("Dense", kernel_regularizer=kernel_regularizer,
                   bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                   kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        if not isinstance(use_bias, (bool, np.bool_)):
            raise TypeError(f"Dense: use_bias must be True or False, got {use_bias!r}")
        super().__init__(**kwargs)
        self.units = int(units)
        self._act = _ActivationSpec(activation, "Dense")
        if self._act.name == "glu":
            raise ValueError("Dense: activation 'glu' halves the units axis; use "
                             "Dense(2 * n) followed by Activation('glu')")
        self.use_bias = bool(use_bias)
        self.kernel_initializer = _initializers.get(kernel_initializer)
        self.bias_initializer = _initializers.get(bias_initializer)
        self.kernel = None
        self.bias = None

    @property
    def activation(self):
        return self._act.function

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) < 2:
            raise ValueError(f"{self.name}: Dense expects inputs of rank >= 2 (batch, ..., "
                             f"features), got shape {input_shape}")
        if input_shape[-1] is None:
            raise ValueError(f"{self.name}: the last axis of the input must be known")
        self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.units,), self.bias_initializer)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)[:-1] + (self.units,)

    def call(self, x, training=False):
        in_features = self.kernel.shape[0]
        if x.ndim < 2 or x.shape[-1] != in_features:
            raise ValueError(f"{self.name}: expected inputs of shape (batch, ..., "
                             f"{in_features}), got {x.shape}")
        act = self._act
        keep_z = act.needs_z or self.keep_logits
        W, b = self.kernel, self.bias
        if training:
            ws = self._workspace((x.shape, keep_z), self._make_workspace, x.shape, keep_z)
            if keep_z:
                # dense has no out= for z: a linear pass into z, then the
                # activation into y, keeps the step free of allocations.
                dense(x, W, b, "linear", out=ws.z)
                act.apply(ws.z, out=ws.y)
            else:
                dense(x, W, b, act.identifier, out=ws.y)
            y, z = ws.y, ws.z
        else:
            ws = None
            if keep_z:
                y, z = dense(x, W, b, act.identifier, return_z=True)
            else:
                y, z = dense(x, W, b, act.identifier), None
        self._last = SimpleNamespace(x=x, y=y, z=z, ws=ws)
        return y

    def _make_workspace(self, shape, keep_z):
        out_shape = shape[:-1] + (self.units,)
        return SimpleNamespace(y=np.empty(out_shape, self.dtype),
                               z=np.empty(out_shape, self.dtype) if keep_z else None,
                               dx=np.empty(shape, self.dtype))

    def backward(self, dy):
        dy = self._dy(dy)
        last = self._last
        return self._backward(dy, last, self._act.identifier, last.y, last.z)

    def _backward(self, dy, last, activation, y, z):
        dx_out = last.ws.dx if last.ws is not None else None
        db_out = self._grads["bias"] if self.use_bias else None
        dx, _, _ = dense_backward(dy, last.x, self.kernel, y=y, z=z, activation=activation,
                                  use_bias=self.use_bias,
                                  out=(dx_out, self._grads["kernel"], db_out))
        return dx

    @property
    def head_activation(self):
        return self._act.plain_name

    @property
    def logits(self):
        if self._last is None or self._last.z is None:
            raise RuntimeError(f"{self.name}: no logits kept; set keep_logits = True before "
                               f"the forward call")
        return self._last.z

    def backward_from_logits(self, dz):
        dz = self._dy(dz)
        return self._backward(dz, self._last, "linear", None, None)

    def get_config(self):
        config = super().get_config()
        config.update({
            "units": self.units,
            "activation": self._act.serialize(),
            "use_bias": self.use_bias,
            "kernel_initializer": _initializers.serialize(self.kernel_initializer),
            "bias_initializer": _initializers.serialize(self.bias_initializer),
            "kernel_regularizer": None,
            "bias_regularizer": None,
            "activity_regularizer": None,
            "kernel_constraint": None,
            "bias_constraint": None,
        })
        return config


# ------------------------------------------------------------ activation layers

class _ActivationLayer(Layer):
    """A weightless layer applying one activation (``self._act``)."""

    _act = None

    def compute_output_shape(self, input_shape):
        return self._act.output_shape(input_shape)

    def call(self, x, training=False):
        act = self._act
        if training:
            ws = self._workspace(x.shape, self._make_workspace, x.shape)
            y = act.apply(x, out=ws.y)
        else:
            ws, y = None, act.apply(x)
        self._last = SimpleNamespace(x=x, y=y, ws=ws)
        return y

    def _make_workspace(self, shape):
        return SimpleNamespace(y=np.empty(self._act.output_shape(shape), self.dtype),
                               dx=np.empty(shape, self.dtype))

    def backward(self, dy):
        dy = self._dy(dy)
        last = self._last
        return self._act.vjp(dy, last.x, last.y, out=None if last.ws is None else last.ws.dx,
                             owner=self.name)

    @property
    def head_activation(self):
        return self._act.plain_name

    @property
    def logits(self):
        return self._last.x

    def backward_from_logits(self, dz):
        # The layer is the activation itself: dL/dx is dL/dlogits.
        return self._dy(dz)


class Activation(_ActivationLayer):
    """Applies an activation: ``Activation("relu")``, ``Activation(fastact.activations.gelu)``.

    Parameters
    ----------
    activation : str or callable
        A Keras name, a fastact activation, a ``functools.partial`` of one,
        or any callable (forward only).
    **kwargs
        ``name``, ``trainable``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError, TypeError
        An unknown activation name, or wrong parameters in a partial.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.layers import Activation
    >>> Activation("gelu")(np.array([[-1.0, 0.0, 1.0]]))
    array([[-0.15865526,  0.        ,  0.8413448 ]], dtype=float32)
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self._act = _ActivationSpec(activation, "Activation")

    @property
    def activation(self):
        return self._act.function

    def get_config(self):
        config = super().get_config()
        config["activation"] = self._act.serialize()
        return config


def _check_nonnegative(value, message):
    """Keras's ReLU/LeakyReLU validation: None or a negative number is a ValueError."""
    if value is None:
        raise ValueError(message)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{message} (expected a float, got {type(value).__name__})")
    if not value >= 0.0:           # also catches NaN
        raise ValueError(message)
    return float(value)


class ReLU(_ActivationLayer):
    """Rectified linear unit with Keras 3's max_value, negative_slope and threshold.

    Parameters
    ----------
    max_value : float >= 0 or None, default None
    negative_slope : float >= 0, default 0.0
    threshold : float >= 0, default 0.0
    **kwargs
        ``name``, ``trainable``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        A negative (or None where not allowed) parameter, as Keras.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.layers import ReLU
    >>> ReLU(max_value=1.0)(np.array([[-1.0, 0.5, 3.0]]))
    array([[0. , 0.5, 1. ]], dtype=float32)
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        if max_value is not None:
            max_value = _check_nonnegative(
                max_value, f"max_value of a ReLU layer cannot be a negative value. "
                           f"Received: max_value={max_value}")
        negative_slope = _check_nonnegative(
            negative_slope, f"negative_slope of a ReLU layer cannot be None or a negative "
                            f"value. Received: negative_slope={negative_slope}")
        threshold = _check_nonnegative(
            threshold, f"threshold of a ReLU layer cannot be None or a negative value. "
                       f"Received: threshold={threshold}")
        super().__init__(**kwargs)
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold
        self._act = _ActivationSpec(functools.partial(
            activations.relu, negative_slope=negative_slope, max_value=max_value,
            threshold=threshold), "ReLU")

    def get_config(self):
        config = super().get_config()
        config.update(max_value=self.max_value, negative_slope=self.negative_slope,
                      threshold=self.threshold)
        return config


class LeakyReLU(_ActivationLayer):
    """``x`` for x >= 0, ``negative_slope * x`` below.

    Parameters
    ----------
    negative_slope : float >= 0, default 0.3
        (Keras 2's ``alpha=`` is accepted with a DeprecationWarning.)
    **kwargs
        ``name``, ``trainable``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        A negative or None slope.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.layers import LeakyReLU
    >>> LeakyReLU()(np.array([[-1.0, 2.0]]))
    array([[-0.3,  2. ]], dtype=float32)
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.",
                          DeprecationWarning, stacklevel=2)
        negative_slope = _check_nonnegative(
            negative_slope, f"The negative_slope value of a Leaky ReLU layer cannot be None "
                            f"or negative value. Expected a float. Received: "
                            f"negative_slope={negative_slope}")
        super().__init__(**kwargs)
        self.negative_slope = negative_slope
        self._act = _ActivationSpec(functools.partial(
            activations.leaky_relu, negative_slope=negative_slope), "LeakyReLU")

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config


class ELU(_ActivationLayer):
    """Exponential linear unit, ``alpha * (exp(x) - 1)`` for x <= 0.

    Parameters
    ----------
    alpha : float >= 0, default 1.0
        (fastact's elu is defined for alpha >= 0.)
    **kwargs
        ``name``, ``trainable``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    ValueError
        A negative alpha.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.layers import ELU
    >>> ELU()(np.array([[-1.0, 2.0]]))
    array([[-0.63212055,  2.        ]], dtype=float32)
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self._act = _ActivationSpec(functools.partial(activations.elu, alpha=alpha), "ELU")
        self.alpha = self._act.params["alpha"]

    def get_config(self):
        config = super().get_config()
        config["alpha"] = self.alpha
        return config


class Softmax(Layer):
    """Softmax over ``axis``; with ``mask``, masked entries get probability 0.

    Parameters
    ----------
    axis : int or tuple/list of ints, default -1
    **kwargs
        ``name``, ``trainable``, ``dtype`` (see :class:`Layer`).

    Raises
    ------
    TypeError
        An axis that is not an int or a list of ints.

    Notes
    -----
    Calling the layer takes Keras's ``mask`` argument: ``layer(x, mask=m)``,
    ``m`` an array of bool broadcastable to x.  False entries are excluded (as
    Keras: ``-1e9`` is added to them before the softmax) and set to 0 after
    it, so a row with every entry masked is all zeros.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.layers import Softmax
    >>> Softmax()(np.array([[1.0, 1.0, 5.0]]), mask=np.array([[True, True, False]]))
    array([[0.5, 0.5, 0. ]], dtype=float32)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if not axis or not all(isinstance(a, numbers.Integral) and not isinstance(a, bool)
                                   for a in axis):
                raise TypeError(f"Softmax: axis must be an int or a list of ints, got {axis!r}")
            self._axis = tuple(int(a) for a in axis)
        elif isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
            self._axis = int(axis)
        else:
            raise TypeError(f"Softmax: axis must be an int or a list of ints, got {axis!r}")
        self.axis = axis

    def call(self, x, training=False, mask=None):
        axis = self._axis
        ws = None
        if mask is not None:
            mask = np.broadcast_to(np.asarray(mask, dtype=bool), x.shape)
            large_negative = -1e9                      # Keras's value for float32/float64
            y = activations.softmax(np.where(mask, x, x + large_negative), axis=axis)
            y[~mask] = 0.0                             # a fully masked row: zeros
        elif training:
            ws = self._workspace(x.shape, _same_shape_buffers, x.shape, self.dtype, ("y", "dx"))
            y = activations.softmax(x, axis=axis, out=ws.y)
        else:
            y = activations.softmax(x, axis=axis)
        self._last = SimpleNamespace(x=x, y=y, ws=ws)
        return y

    def backward(self, dy):
        dy = self._dy(dy)
        last = self._last
        # y (dy - sum(dy y)): masked entries have y = 0, so they get no gradient.
        return derivatives.softmax(dy, y=last.y, axis=self._axis,
                                   out=None if last.ws is None else last.ws.dx)

    @property
    def head_activation(self):
        return "softmax" if self._axis in (-1, (-1,)) else None

    @property
    def logits(self):
        return self._last.x

    def backward_from_logits(self, dz):
        return self._dy(dz)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


class PReLU(Layer):
    """Parametric ReLU: ``x`` for x > 0, ``alpha * x`` below, alpha learned.

    Parameters
    ----------
    alpha_initializer : initializer identifier, default "zeros"
    alpha_regularizer, alpha_constraint : None
        Keras options kept for config compatibility; only None.
    shared_axes : int or list of int, optional
        Axes (1 = the first after the batch axis) along which alpha is shared.
    **kwargs
        ``name``, ``trainable``, ``dtype`` (see :class:`Layer`).

    Attributes
    ----------
    alpha : ndarray, the input's shape without the batch axis, 1 along shared axes.

    Raises
    ------
    ValueError
        Invalid shared axes, or inputs of rank < 2 (at build).
    NotImplementedError
        A regularizer or constraint other than None.

    Notes
    -----
    At x = 0 the derivative takes alpha (as PyTorch's prelu does).

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.initializers import Constant
    >>> from fastact.layers import PReLU
    >>> layer = PReLU(alpha_initializer=Constant(0.25))
    >>> layer(np.array([[-2.0, 2.0]]))
    array([[-0.5,  2. ]], dtype=float32)
    >>> layer.alpha
    array([0.25, 0.25], dtype=float32)
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None,
                 alpha_constraint=None, shared_axes=None, **kwargs):
        _only_none("PReLU", alpha_regularizer=alpha_regularizer,
                   alpha_constraint=alpha_constraint)
        super().__init__(**kwargs)
        self.alpha_initializer = _initializers.get(alpha_initializer)
        if shared_axes is None:
            self.shared_axes = None
        else:
            axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
            if not all(isinstance(a, numbers.Integral) and not isinstance(a, bool) and a >= 1
                       for a in axes):
                raise ValueError(f"PReLU: shared_axes must be ints >= 1 (axis 0 is the batch "
                                 f"axis), got {shared_axes!r}")
            self.shared_axes = [int(a) for a in axes]
        self.alpha = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        if len(input_shape) < 2:
            raise ValueError(f"{self.name}: PReLU expects inputs of rank >= 2, got shape "
                             f"{input_shape}")
        param_shape = list(input_shape[1:])
        for a in self.shared_axes or ():
            if a >= len(input_shape):
                raise ValueError(f"{self.name}: shared axis {a} is out of range for inputs of "
                                 f"rank {len(input_shape)}")
            param_shape[a - 1] = 1
        self.add_weight("alpha", tuple(param_shape), self.alpha_initializer)
        # alpha's gradient sums over the batch axis and the shared axes.
        self._reduce_axes = (0,) + tuple(self.shared_axes or ())
        super().build(input_shape)

    def call(self, x, training=False):
        if x.ndim != self.alpha.ndim + 1 or any(
                a != 1 and a != d for a, d in zip(self.alpha.shape, x.shape[1:])):
            raise ValueError(f"{self.name}: input shape {x.shape} does not match alpha "
                             f"{self.alpha.shape}")
        if training:
            ws = self._workspace(x.shape, _same_shape_buffers, x.shape, self.dtype,
                                 ("y", "neg", "tmp", "dx"), ("positive",))
            neg, y = ws.neg, ws.y
            np.minimum(x, 0.0, out=neg)
            np.maximum(x, 0.0, out=y)
            # A broadcasting np.multiply(neg, alpha, out=) buffers through a
            # 64 KB temporary; a broadcast copy, then a same-shape multiply,
            # does not.
            np.copyto(ws.tmp, self.alpha)
            ws.tmp *= neg
            y += ws.tmp                                # relu(x) + alpha * min(x, 0)
        else:
            ws = None
            neg = np.minimum(x, 0.0)
            y = np.maximum(x, 0.0) + self.alpha * neg
        self._last = SimpleNamespace(x=x, y=y, neg=neg, ws=ws)
        return y

    def backward(self, dy):
        dy = self._dy(dy)
        last = self._last
        ws = last.ws
        dalpha = self._grads["alpha"].reshape((1,) + self.alpha.shape)
        if ws is None:
            np.sum(dy * last.neg, axis=self._reduce_axes, keepdims=True, out=dalpha)
            return np.where(last.x > 0, dy, dy * self.alpha)
        np.multiply(dy, last.neg, out=ws.tmp)
        np.sum(ws.tmp, axis=self._reduce_axes, keepdims=True, out=dalpha)
        np.greater(last.x, 0.0, out=ws.positive)
        np.copyto(ws.dx, self.alpha)                   # (see call: no broadcasting multiply)
        ws.dx *= dy
        np.copyto(ws.dx, dy, where=ws.positive)        # 1 above 0, alpha at and below
        return ws.dx

    def get_config(self):
        config = super().get_config()
        config.update({
            "alpha_initializer": _initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": None,
            "alpha_constraint": None,
            "shared_axes": self.shared_axes,
        })
        return config


# ------------------------------------------------------------- serialization

_CLASSES = {c.__name__: c for c in (Dense, Activation, ReLU, LeakyReLU, PReLU, ELU, Softmax)}


def serialize(layer):
    """Keras's ``{"class_name", "config"}`` dict of a layer.

    Parameters
    ----------
    layer : Layer

    Returns
    -------
    dict
        ``{"module", "class_name", "config", "registered_name"}``; the
        weights are not part of it.

    Examples
    --------
    >>> from fastact.layers import Dense, serialize
    >>> config = serialize(Dense(2, activation="tanh"))
    >>> config["class_name"], config["config"]["units"], config["config"]["activation"]
    ('Dense', 2, 'tanh')
    """
    return layer.serialized("fastact.layers")


def deserialize(config):
    """The layer described by a :func:`serialize` dict (unbuilt, new weights).

    Parameters
    ----------
    config : dict

    Returns
    -------
    Layer

    Raises
    ------
    ValueError
        An unknown class name.

    Examples
    --------
    >>> from fastact.layers import Dense, deserialize, serialize
    >>> deserialize(serialize(Dense(2, name="out")))
    <Dense name=out, built=False>
    """
    cls = _CLASSES.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"unknown layer class {config.get('class_name')!r}; known: "
                         f"{', '.join(sorted(_CLASSES))}")
    return cls.from_config(dict(config["config"]))


def get(identifier):
    """A layer from a Layer (returned as it is) or a config dict.

    Parameters
    ----------
    identifier : Layer or dict

    Returns
    -------
    Layer

    Raises
    ------
    TypeError
        Anything else.

    Examples
    --------
    >>> from fastact.layers import ELU, get
    >>> get({"class_name": "ELU", "config": {"alpha": 0.5, "name": "elu_out"}})
    <ELU name=elu_out, built=False>
    """
    if isinstance(identifier, Layer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise TypeError(f"expected a layer or a layer config dict, got {identifier!r}")

