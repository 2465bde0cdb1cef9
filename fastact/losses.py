"""Losses with Keras 3's names, formulas and reduction, and their gradients.

Every loss reduces Keras's way (``"sum_over_batch_size"``): a value per
sample over the last axis (a mean for mse, mae and binary cross-entropy, a sum
for the categorical ones), then the mean over the samples.

Each loss object offers three forms:

* ``loss(y_true, y_pred)`` -> float, and ``loss.call(y_true, y_pred)`` -> the
  per-sample values: plain NumPy, allocating, for users and tests;
* ``loss.value_and_gradient(y_true, y_pred, out)`` -> the value, with
  dL/dy_pred written into ``out``: the training step's form, which works in
  scratch arrays kept per batch shape, so it allocates nothing after the
  first batch;
* ``loss.value_and_logit_gradient(y_true, logits, probs, out)`` for the two
  cross-entropies that fuse with the activation in front of them (sigmoid ->
  binary, softmax -> categorical): the loss is computed from the logits
  (stable for any logits, where ``log(softmax(z))`` would give ``-inf``) and
  the gradient with respect to the logits is ``(p - y) / N`` directly.
  ``fusable_activation`` names that activation (None for the others).

The probability forms clip to ``[1e-7, 1 - 1e-7]`` as Keras does (and their
gradient is zero where the clip is active); the logit forms need no clip.

>>> import numpy as np, fastact.losses as L
>>> L.get("mse")(np.array([[1.0], [2.0]]), np.array([[1.5], [2.0]]))
0.125
"""

import numpy as np

from ._configurable import Configurable

from . import activations

__all__ = ["Loss", "MeanSquaredError", "MeanAbsoluteError", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
           "mean_squared_error", "mean_absolute_error", "binary_crossentropy",
           "categorical_crossentropy", "sparse_categorical_crossentropy", "mse", "mae",
           "get", "serialize", "deserialize", "EPSILON"]

EPSILON = 1e-7          # keras.config.epsilon()


def _as_float(a, dtype=None):
    a = np.asarray(a)
    if dtype is None:
        dtype = a.dtype if a.dtype.kind == "f" else np.float64
    return np.ascontiguousarray(a, dtype=dtype)


def _n_samples(shape):
    """Number of per-sample values: the size of all axes but the last."""
    n = 1
    for d in shape[:-1]:
        n *= d
    return n


class Loss(Configurable):
    """Base class: naming, config, target encoding and per-shape scratch arrays.

    A subclass implements ``_per_sample(y_true, y_pred, from_logits)`` and
    ``value_and_gradient(y_true, y_pred, out)``.

    Parameters
    ----------
    name : str, optional
        Defaults to the Keras function name (``"mean_squared_error"``...).
    reduction : str, default "sum_over_batch_size"
        The only reduction supported (Keras's default).

    Raises
    ------
    ValueError
        Another reduction.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.losses import Loss
    >>> class Quartic(Loss):
    ...     def _per_sample(self, y_true, y_pred, from_logits=False):
    ...         return np.mean((y_pred - y_true) ** 4, axis=-1)
    >>> Quartic()(np.array([[0.0, 0.0]]), np.array([[1.0, 2.0]]))
    8.5
    """

    fusable_activation = None
    _defaults_name = "loss"

    def __init__(self, name=None, reduction="sum_over_batch_size"):
        if reduction != "sum_over_batch_size":
            raise ValueError(f"{type(self).__name__}: only reduction='sum_over_batch_size' "
                             f"(Keras's default) is supported, got {reduction!r}")
        self.name = name if name is not None else self._defaults_name
        self.reduction = reduction
        self._scratch_by_shape = {}

    # ------------------------------------------------------------ user forms
    def __call__(self, y_true, y_pred):
        """The loss value (a float): the mean of :meth:`call` over the samples."""
        return float(np.mean(self.call(y_true, y_pred)))

    def call(self, y_true, y_pred):
        """Per-sample losses, shape ``y_pred.shape[:-1]``.

        Parameters
        ----------
        y_true : array_like
            Targets (integer labels for the sparse loss).
        y_pred : array_like, shape (..., k)
            Predictions (logits when ``from_logits``).

        Returns
        -------
        ndarray
        """
        y_pred = _as_float(y_pred)
        y_true = self.encode_targets(y_true, y_pred.shape, y_pred.dtype)
        return self._per_sample(y_true, y_pred, getattr(self, "from_logits", False))

    def per_sample(self, y_encoded, y_pred, from_logits=None):
        """Per-sample losses for targets already encoded by :meth:`encode_targets`.

        Parameters
        ----------
        y_encoded : ndarray
            Targets as :meth:`encode_targets` returns them (what ``fit`` and
            ``evaluate`` hold).
        y_pred : ndarray
        from_logits : bool, optional
            True reads ``y_pred`` as the logits of ``fusable_activation``;
            defaults to the loss's own ``from_logits``.

        Returns
        -------
        ndarray
        """
        if from_logits is None:
            from_logits = getattr(self, "from_logits", False)
        return self._per_sample(y_encoded, y_pred, from_logits)

    def _per_sample(self, y_true, y_pred, from_logits):
        raise NotImplementedError

    # ---------------------------------------------------------- training forms
    def encode_targets(self, y_true, pred_shape, dtype):
        """``y_true`` as the float array of ``pred_shape`` the training forms take.

        A trailing axis of size 1 is added or dropped to match, as Keras's
        ``squeeze_or_expand_to_same_rank`` does.

        Parameters
        ----------
        y_true : array_like
        pred_shape : tuple of int
        dtype : numpy.dtype

        Returns
        -------
        ndarray
            C-contiguous, ``pred_shape``, ``dtype``.

        Raises
        ------
        ValueError
            Shapes that cannot be matched.
        TypeError
            Non-numeric targets.
        """
        y = np.asarray(y_true)
        pred_shape = tuple(pred_shape)
        if y.shape != pred_shape:
            if y.shape + (1,) == pred_shape or y.shape == pred_shape + (1,):
                y = y.reshape(pred_shape)
            else:
                raise ValueError(f"{self.name}: targets have shape {y.shape} but the "
                                 f"predictions have shape {pred_shape}")
        if y.dtype.kind not in "biuf":
            raise TypeError(f"{self.name}: targets must be numbers, got dtype {y.dtype}")
        return np.ascontiguousarray(y, dtype=dtype)

    def value_and_gradient(self, y_true, y_pred, out):
        """Loss value; dL/dy_pred written into ``out``.

        Parameters
        ----------
        y_true : ndarray
            Encoded targets (:meth:`encode_targets`).
        y_pred : ndarray
        out : ndarray
            y_pred's shape and dtype.

        Returns
        -------
        float
        """
        raise NotImplementedError

    def value_and_logit_gradient(self, y_true, logits, probs, out):
        """Loss value of ``fusable_activation(logits)``; dL/dlogits into ``out``.

        Parameters
        ----------
        y_true : ndarray
            Encoded targets.
        logits : ndarray
        probs : ndarray or None
            That activation of the logits when the caller already has it (the
            layer computed it).
        out : ndarray
            The logits' shape and dtype.

        Returns
        -------
        float

        Raises
        ------
        TypeError
            The loss fuses with no activation.
        """
        raise TypeError(f"{self.name} does not fuse with an activation")

    def _scratch(self, shape, dtype, make):
        """The scratch arrays for this batch shape, made on first use."""
        key = (shape, dtype)
        bufs = self._scratch_by_shape.get(key)
        if bufs is None:
            bufs = self._scratch_by_shape[key] = make(shape, dtype)
        return bufs

    # ----------------------------------------------------------------- config
    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}



def _one_float(shape, dtype):
    return np.empty(shape, dtype)


def _two_floats(shape, dtype):
    return np.empty(shape, dtype), np.empty(shape, dtype)


class MeanSquaredError(Loss):
    """``mean((y_pred - y_true)**2)`` over the last axis, then over samples.

    Parameters
    ----------
    name : str, default "mean_squared_error"
    reduction : str, default "sum_over_batch_size"

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.losses import MeanSquaredError
    >>> y_true, y_pred = np.array([[0.0, 1.0]]), np.array([[0.5, 1.0]])
    >>> MeanSquaredError()(y_true, y_pred)
    0.125
    >>> grad = np.empty_like(y_pred)
    >>> MeanSquaredError().value_and_gradient(y_true, y_pred, grad), grad
    (0.125, array([[0.5, 0. ]]))
    """

    _defaults_name = "mean_squared_error"

    def _per_sample(self, y_true, y_pred, from_logits=False):
        return np.mean(np.square(y_pred - y_true), axis=-1)

    def value_and_gradient(self, y_true, y_pred, out):
        diff = self._scratch(y_pred.shape, y_pred.dtype, _one_float)
        np.subtract(y_pred, y_true, out=diff)
        size = diff.size
        value = float(np.vdot(diff, diff)) / size      # one BLAS dot, no temporary
        np.multiply(diff, 2.0 / size, out=out)
        return value


class MeanAbsoluteError(Loss):
    """``mean(|y_pred - y_true|)`` over the last axis, then over samples.

    Its gradient takes ``sign(0) = 0`` where a prediction is exact (as
    TensorFlow's and PyTorch's ``abs`` do).

    Parameters
    ----------
    name : str, default "mean_absolute_error"
    reduction : str, default "sum_over_batch_size"

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.losses import MeanAbsoluteError
    >>> MeanAbsoluteError()(np.array([[0.0, 1.0]]), np.array([[0.5, 1.0]]))
    0.25
    """

    _defaults_name = "mean_absolute_error"

    def _per_sample(self, y_true, y_pred, from_logits=False):
        return np.mean(np.abs(y_pred - y_true), axis=-1)

    def value_and_gradient(self, y_true, y_pred, out):
        diff = self._scratch(y_pred.shape, y_pred.dtype, _one_float)
        np.subtract(y_pred, y_true, out=diff)
        size = diff.size
        np.abs(diff, out=out)
        value = float(out.sum()) / size
        np.sign(diff, out=out)
        out *= 1.0 / size
        return value


class _CrossentropyBase(Loss):
    """from_logits handling shared by the three cross-entropies."""

    def __init__(self, from_logits=False, name=None, reduction="sum_over_batch_size"):
        super().__init__(name, reduction)
        if not isinstance(from_logits, (bool, np.bool_)):
            raise TypeError(f"{type(self).__name__}: from_logits must be True or False, got "
                            f"{from_logits!r}")
        self.from_logits = bool(from_logits)

    @property
    def fusable_activation(self):
        # With from_logits the model's output already is the logits: nothing to fuse.
        return None if self.from_logits else self._activation

    def value_and_gradient(self, y_true, y_pred, out):
        if self.from_logits:
            return self._logit_form(y_true, y_pred, None, out)
        return self._probability_form(y_true, y_pred, out)

    def value_and_logit_gradient(self, y_true, logits, probs, out):
        return self._logit_form(y_true, logits, probs, out)

    def get_config(self):
        config = super().get_config()
        config["from_logits"] = self.from_logits
        return config


def _bce_scratch(shape, dtype):
    return (np.empty(shape, dtype), np.empty(shape, dtype), np.empty(shape, dtype),
            np.empty(shape, bool), np.empty(shape, bool))


class BinaryCrossentropy(_CrossentropyBase):
    """``-mean(y log p + (1 - y) log(1 - p))`` over the last axis, then over samples.

    Parameters
    ----------
    from_logits : bool, default False
        Whether ``y_pred`` is logits (then ``p = sigmoid(y_pred)``, computed
        stably as ``softplus(z) - y z``).
    name : str, default "binary_crossentropy"
    reduction : str, default "sum_over_batch_size"

    Raises
    ------
    TypeError
        ``from_logits`` is not a bool.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.losses import BinaryCrossentropy
    >>> BinaryCrossentropy()(np.array([[1.0], [0.0]]), np.array([[0.9], [0.2]]))
    0.164252033486018
    >>> BinaryCrossentropy(from_logits=True)(np.array([[1.0]]), np.array([[1000.0]]))
    0.0
    """

    _defaults_name = "binary_crossentropy"
    _activation = "sigmoid"

    def _per_sample(self, y_true, y_pred, from_logits):
        if from_logits:
            per = activations.softplus(y_pred) - y_pred * y_true
        else:
            p = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
            per = -(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p))
        return np.mean(per, axis=-1)

    def _probability_form(self, y_true, p, out):
        pc, one_minus, work, low, high = self._scratch(p.shape, p.dtype, _bce_scratch)
        size = p.size
        np.clip(p, EPSILON, 1.0 - EPSILON, out=pc)
        np.subtract(1.0, pc, out=one_minus)
        # Per element: log(1 - pc) + y (log pc - log(1 - pc)), which is exact
        # for 0/1 targets (no large terms that cancel).
        np.log(pc, out=work)
        np.log(one_minus, out=out)
        work -= out
        work *= y_true
        work += out
        value = -float(work.sum()) / size
        # d/dp = (pc - y) / (pc (1 - pc)), zero where the clip is active.
        np.subtract(pc, y_true, out=out)
        out /= pc
        out /= one_minus
        out *= 1.0 / size
        np.less(p, EPSILON, out=low)
        np.greater(p, 1.0 - EPSILON, out=high)
        low |= high
        np.copyto(out, 0.0, where=low)
        return value

    def _logit_form(self, y_true, z, probs, out):
        work, p = self._scratch(z.shape, z.dtype, _two_floats)
        size = z.size
        activations.softplus(z, out=work)            # log(1 + e^z), never overflows
        np.multiply(z, y_true, out=p)
        work -= p
        value = float(work.sum()) / size
        if probs is None:
            probs = activations.sigmoid(z, out=p)
        np.subtract(probs, y_true, out=out)
        out *= 1.0 / size                            # (p - y) / (N k)
        return value


def _cce_scratch(shape, dtype):
    # Row sums are reduced into (...)-shaped views of (..., 1) arrays, then
    # copied across the classes into a full array: a broadcasting ufunc call
    # (p / s with s of shape (..., 1)) or np.sum(keepdims=True, out=) would
    # go through a temporary.
    s, r = np.empty(shape[:-1] + (1,), dtype), np.empty(shape[:-1] + (1,), dtype)
    return (np.empty(shape, dtype), np.empty(shape, dtype), s, s[..., 0], r, r[..., 0],
            np.empty(shape, bool), np.empty(shape, bool))


class CategoricalCrossentropy(_CrossentropyBase):
    """``-sum(y log p)`` over the last (class) axis, then the mean over samples.

    As in Keras, probabilities are first normalised to sum to 1 over the
    class axis and clipped; targets are distributions over the classes
    (one-hot rows, usually), which the fused gradient ``(p - y) / N`` assumes.

    Parameters
    ----------
    from_logits : bool, default False
        Whether ``y_pred`` is logits (then ``log p = log_softmax(y_pred)``).
    name : str, default "categorical_crossentropy"
    reduction : str, default "sum_over_batch_size"

    Raises
    ------
    TypeError
        ``from_logits`` is not a bool.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.losses import CategoricalCrossentropy
    >>> CategoricalCrossentropy()(np.array([[0.0, 1.0]]), np.array([[0.2, 0.8]]))
    0.2231435513142097
    >>> CategoricalCrossentropy(from_logits=True)(np.array([[0.0, 1.0]]),
    ...                                           np.array([[0.0, 2000.0]]))
    0.0
    """

    _defaults_name = "categorical_crossentropy"
    _activation = "softmax"

    def _per_sample(self, y_true, y_pred, from_logits):
        if from_logits:
            logp = activations.log_softmax(y_pred, axis=-1)
        else:
            p = y_pred / np.sum(y_pred, axis=-1, keepdims=True)
            logp = np.log(np.clip(p, EPSILON, 1.0 - EPSILON))
        return -np.sum(y_true * logp, axis=-1)

    def _probability_form(self, y_true, p, out):
        q, spread, s, s_rows, r, r_rows, low, high = self._scratch(p.shape, p.dtype,
                                                                   _cce_scratch)
        n = _n_samples(p.shape)
        np.sum(p, axis=-1, out=s_rows)
        np.copyto(spread, s)                          # sum(p), across the classes
        np.divide(p, spread, out=q)                   # q = p / sum(p)
        np.clip(q, EPSILON, 1.0 - EPSILON, out=out)
        np.log(out, out=out)
        out *= y_true
        value = -float(out.sum()) / n
        # g = dL/dq = -y / clip(q), zero where the clip is active; then the
        # normalisation's Jacobian: dL/dp = (g - sum(g q)) / sum(p).
        np.clip(q, EPSILON, 1.0 - EPSILON, out=out)
        np.divide(y_true, out, out=out)
        np.negative(out, out=out)
        np.less(q, EPSILON, out=low)
        np.greater(q, 1.0 - EPSILON, out=high)
        low |= high
        np.copyto(out, 0.0, where=low)
        np.multiply(out, q, out=q)
        np.sum(q, axis=-1, out=r_rows)
        np.copyto(q, r)                               # sum(g q), across the classes
        out -= q
        out /= spread
        out *= 1.0 / n
        return value

    def _logit_form(self, y_true, z, probs, out):
        work, p = self._scratch(z.shape, z.dtype, _two_floats)
        n = _n_samples(z.shape)
        activations.log_softmax(z, out=work)          # finite for any finite logits
        work *= y_true
        value = -float(work.sum()) / n
        if probs is None:
            probs = activations.softmax(z, out=p)
        np.subtract(probs, y_true, out=out)
        out *= 1.0 / n                                # (p - y) / N
        return value


class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """Categorical cross-entropy with integer class labels.

    Targets are labels of shape ``(N,)`` or ``(N, 1)``; :meth:`encode_targets`
    one-hot encodes them (``fit`` does it once, before the first epoch), so
    the training forms are the categorical ones.

    Parameters
    ----------
    from_logits : bool, default False
    name : str, default "sparse_categorical_crossentropy"
    reduction : str, default "sum_over_batch_size"

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.losses import SparseCategoricalCrossentropy
    >>> SparseCategoricalCrossentropy()(np.array([1]), np.array([[0.2, 0.8]]))
    0.2231435513142097
    """

    _defaults_name = "sparse_categorical_crossentropy"

    def encode_targets(self, y_true, pred_shape, dtype):
        labels = np.asarray(y_true)
        pred_shape = tuple(pred_shape)
        lead, classes = pred_shape[:-1], pred_shape[-1]
        if labels.shape == lead + (1,):
            labels = labels.reshape(lead)
        if labels.shape != lead:
            raise ValueError(f"{self.name}: labels must have shape {lead} or {lead + (1,)} "
                             f"(one integer class per sample), got {labels.shape}")
        if labels.dtype.kind == "f":
            if not np.all(labels == np.round(labels)):
                raise ValueError(f"{self.name}: labels must be integers, got non-integral "
                                 f"values")
        elif labels.dtype.kind not in "biu":
            raise TypeError(f"{self.name}: labels must be integers, got dtype {labels.dtype}")
        labels = labels.astype(np.int64)
        if labels.size and (labels.min() < 0 or labels.max() >= classes):
            raise ValueError(f"{self.name}: labels must be in [0, {classes}) (the number of "
                             f"outputs), got values in [{labels.min()}, {labels.max()}]")
        onehot = np.zeros(pred_shape, dtype=dtype)
        np.put_along_axis(onehot, labels[..., None], 1.0, axis=-1)
        return onehot


def mean_squared_error(y_true, y_pred):
    """Per-sample mean squared error (Keras's function form; alias ``mse``).

    Parameters
    ----------
    y_true, y_pred : array_like, shape (..., k)

    Returns
    -------
    ndarray, shape (...)
        ``mean((y_pred - y_true)**2)`` over the last axis.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.losses import mse
    >>> mse(np.array([[0.0, 1.0], [1.0, 1.0]]), np.array([[0.5, 1.0], [1.0, 0.0]]))
    array([0.125, 0.5  ])
    """
    return MeanSquaredError().call(y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    """Per-sample mean absolute error (alias ``mae``).

    Parameters
    ----------
    y_true, y_pred : array_like, shape (..., k)

    Returns
    -------
    ndarray, shape (...)
        ``mean(|y_pred - y_true|)`` over the last axis.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.losses import mae
    >>> mae(np.array([[0.0, 1.0]]), np.array([[0.5, 0.0]]))
    array([0.75])
    """
    return MeanAbsoluteError().call(y_true, y_pred)


def binary_crossentropy(y_true, y_pred, from_logits=False):
    """Per-sample binary cross-entropy.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (..., k)
    from_logits : bool, default False

    Returns
    -------
    ndarray, shape (...)

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.losses import binary_crossentropy
    >>> binary_crossentropy(np.array([[1.0]]), np.array([[0.5]]))
    array([0.69314718])
    """
    return BinaryCrossentropy(from_logits).call(y_true, y_pred)


def categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Per-sample categorical cross-entropy.

    Parameters
    ----------
    y_true, y_pred : array_like, shape (..., classes)
    from_logits : bool, default False

    Returns
    -------
    ndarray, shape (...)

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.losses import categorical_crossentropy
    >>> categorical_crossentropy(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]]))
    array([0.69314718])
    """
    return CategoricalCrossentropy(from_logits).call(y_true, y_pred)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False):
    """Per-sample categorical cross-entropy with integer labels.

    Parameters
    ----------
    y_true : array_like of int, shape (...) or (..., 1)
    y_pred : array_like, shape (..., classes)
    from_logits : bool, default False

    Returns
    -------
    ndarray, shape (...)

    Raises
    ------
    ValueError
        Labels out of ``[0, classes)``, non-integral, or of the wrong shape.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.losses import sparse_categorical_crossentropy
    >>> sparse_categorical_crossentropy(np.array([0]), np.array([[0.5, 0.5]]))
    array([0.69314718])
    """
    return SparseCategoricalCrossentropy(from_logits).call(y_true, y_pred)


mse = mean_squared_error
mae = mean_absolute_error

_CLASSES = {c.__name__: c for c in (MeanSquaredError, MeanAbsoluteError, BinaryCrossentropy,
                                    CategoricalCrossentropy, SparseCategoricalCrossentropy)}
_BY_NAME = {
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "binary_crossentropy": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
}
_FUNCTIONS = {mean_squared_error: MeanSquaredError, mean_absolute_error: MeanAbsoluteError,
              binary_crossentropy: BinaryCrossentropy,
              categorical_crossentropy: CategoricalCrossentropy,
              sparse_categorical_crossentropy: SparseCategoricalCrossentropy}


def get(identifier):
    """A Loss for ``identifier``.

    Parameters
    ----------
    identifier : str, dict, Loss or function
        A Loss (returned as it is), a name or class name (``"mse"``,
        ``"BinaryCrossentropy"``), one of this module's functions, or a
        config dict from :func:`serialize`.

    Returns
    -------
    Loss

    Raises
    ------
    ValueError
        An unknown name.
    TypeError
        Any other callable: fastact trains only with losses whose gradient it
        knows.

    Examples
    --------
    >>> from fastact import losses
    >>> losses.get("mse")
    MeanSquaredError(name='mean_squared_error', reduction='sum_over_batch_size')
    >>> losses.get(losses.binary_crossentropy).from_logits
    False
    """
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier) or _CLASSES.get(identifier)
        if cls is None:
            raise ValueError(f"unknown loss {identifier!r}; valid names: "
                             f"{', '.join(sorted(_BY_NAME))}")
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    try:
        cls = _FUNCTIONS.get(identifier)
    except TypeError:                      # unhashable
        cls = None
    if cls is not None:
        return cls()
    raise TypeError(f"loss must be a name, a fastact.losses object or function, or a config "
                    f"dict, got {type(identifier).__name__} {identifier!r} (an arbitrary "
                    f"callable has no gradient fastact could train with)")


def serialize(loss):
    """Keras's config dict of a loss.

    Parameters
    ----------
    loss : Loss

    Returns
    -------
    dict
        ``{"module", "class_name", "config", "registered_name"}``.

    Examples
    --------
    >>> from fastact import losses
    >>> losses.serialize(losses.BinaryCrossentropy(from_logits=True))["config"]
    {'name': 'binary_crossentropy', 'reduction': 'sum_over_batch_size', 'from_logits': True}
    """
    return loss.serialized("fastact.losses")


def deserialize(config):
    """The loss a :func:`serialize` dict describes.

    Parameters
    ----------
    config : dict
        ``"class_name"`` and optionally ``"config"``.

    Returns
    -------
    Loss

    Raises
    ------
    ValueError
        An unknown class name.

    Examples
    --------
    >>> from fastact import losses
    >>> losses.deserialize({"class_name": "MeanAbsoluteError"})
    MeanAbsoluteError(name='mean_absolute_error', reduction='sum_over_batch_size')
    """
    cls = _CLASSES.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"unknown loss class {config.get('class_name')!r}")
    return cls.from_config(dict(config.get("config") or {}))
