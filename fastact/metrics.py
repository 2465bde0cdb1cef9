"""Accuracy metrics with Keras 3's meanings, accumulated without allocating.

``"accuracy"`` (or ``"acc"``) resolves as Keras 3's ``compile`` does, from the
shapes of the targets and predictions:

* one output (``y_pred.shape[-1] == 1``): :class:`BinaryAccuracy`, the
  fraction of ``(y_pred > 0.5) == y_true``;
* integer labels (``y_true`` of lower rank, or a last axis of 1 against
  several outputs): :class:`SparseCategoricalAccuracy`, ``argmax(y_pred) ==
  label``;
* otherwise :class:`CategoricalAccuracy`, ``argmax(y_pred) == argmax(y_true)``.

A metric is a running fraction: ``update_state(y_true, y_pred)`` adds a
batch, ``result()`` reads it, ``reset_state()`` starts over.  Comparisons go
through scratch arrays kept per batch shape, so a training loop that feeds
batches of a few shapes allocates nothing after the first of each.
"""

import numpy as np

__all__ = ["Metric", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
           "get", "get_accuracy"]


class Metric:
    """A running fraction of correct predictions.

    Subclasses implement ``_count(y_true, y_pred) -> (correct, total)``.

    Parameters
    ----------
    name : str
        The key under which ``fit`` and ``evaluate`` report it.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.metrics import Metric
    >>> class ExactMatch(Metric):
    ...     def _count(self, y_true, y_pred):
    ...         hits = np.all(y_true == y_pred, axis=-1)
    ...         return int(hits.sum()), hits.size
    >>> m = ExactMatch("exact_match")
    >>> m.update_state(np.array([[1, 2], [3, 4]]), np.array([[1, 2], [3, 5]]))
    1
    >>> m.result()
    0.5
    """

    def __init__(self, name):
        self.name = name
        self._scratch_by_shape = {}
        self.reset_state()

    def reset_state(self):
        self._correct = 0
        self._total = 0

    def result(self):
        """The fraction so far (0.0 before any update, as Keras reports it)."""
        return self._correct / self._total if self._total else 0.0

    def update_state(self, y_true, y_pred):
        """Add one batch; returns its number of correct predictions.

        Parameters
        ----------
        y_true, y_pred : array_like

        Returns
        -------
        int
        """
        y_pred = np.asarray(y_pred)
        y_true = np.asarray(y_true)
        correct, total = self._count(y_true, y_pred)
        self._correct += correct
        self._total += total
        return correct

    def _count(self, y_true, y_pred):
        raise NotImplementedError

    def _scratch(self, shape, make):
        bufs = self._scratch_by_shape.get(shape)
        if bufs is None:
            bufs = self._scratch_by_shape[shape] = make(shape)
        return bufs

    def get_config(self):
        return {"name": self.name}

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


class BinaryAccuracy(Metric):
    """Fraction of ``(y_pred > threshold) == y_true`` over all outputs.

    Parameters
    ----------
    name : str, default "binary_accuracy"
    threshold : float, default 0.5

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.metrics import BinaryAccuracy
    >>> m = BinaryAccuracy()
    >>> m.update_state(np.array([[1], [0], [1]]), np.array([[0.9], [0.2], [0.4]]))
    2
    >>> round(m.result(), 4)
    0.6667
    """

    def __init__(self, name="binary_accuracy", threshold=0.5):
        self.threshold = float(threshold)
        super().__init__(name)

    def _count(self, y_true, y_pred):
        if y_true.shape != y_pred.shape:
            y_true = y_true.reshape(y_pred.shape)
        # Keras compares y_true with the thresholded prediction cast to
        # y_true's type; for 0/1 targets that is "both above or both below".
        above, as_float = self._scratch(
            (y_pred.shape, y_true.dtype),
            lambda key: (np.empty(key[0], bool), np.empty(key[0], key[1])))
        np.greater(y_pred, self.threshold, out=above)
        np.copyto(as_float, above)
        np.equal(as_float, y_true, out=above)
        return int(np.count_nonzero(above)), above.size

    def get_config(self):
        return {"name": self.name, "threshold": self.threshold}


def _argmax_scratch(key):
    rows = key[:-1]
    return np.empty(rows, np.intp), np.empty(rows, np.intp), np.empty(rows, bool)


class CategoricalAccuracy(Metric):
    """Fraction of samples whose largest prediction is at the target's largest entry.

    Parameters
    ----------
    name : str, default "categorical_accuracy"

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.metrics import CategoricalAccuracy
    >>> m = CategoricalAccuracy()
    >>> m.update_state(np.array([[0, 1], [1, 0]]), np.array([[0.3, 0.7], [0.4, 0.6]]))
    1
    >>> m.result()
    0.5
    """

    def __init__(self, name="categorical_accuracy"):
        super().__init__(name)

    def _count(self, y_true, y_pred):
        pred_idx, true_idx, hit = self._scratch(y_pred.shape, _argmax_scratch)
        np.argmax(y_pred, axis=-1, out=pred_idx)
        np.argmax(y_true, axis=-1, out=true_idx)
        np.equal(pred_idx, true_idx, out=hit)
        return int(np.count_nonzero(hit)), hit.size


class SparseCategoricalAccuracy(Metric):
    """Fraction of samples whose largest prediction is at their integer label.

    Parameters
    ----------
    name : str, default "sparse_categorical_accuracy"

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.metrics import SparseCategoricalAccuracy
    >>> m = SparseCategoricalAccuracy()
    >>> m.update_state(np.array([1, 0]), np.array([[0.3, 0.7], [0.4, 0.6]]))
    1
    >>> m.result()
    0.5
    """

    def __init__(self, name="sparse_categorical_accuracy"):
        super().__init__(name)

    def _count(self, y_true, y_pred):
        lead = y_pred.shape[:-1]
        labels = y_true.reshape(lead) if y_true.shape != lead else y_true
        pred_idx, _, hit = self._scratch(y_pred.shape, _argmax_scratch)
        np.argmax(y_pred, axis=-1, out=pred_idx)
        if labels.dtype.kind == "f":           # float labels: compare as floats, like Keras
            np.equal(pred_idx.astype(labels.dtype), labels, out=hit)
        else:
            np.equal(pred_idx, labels, out=hit)
        return int(np.count_nonzero(hit)), hit.size


_CLASSES = {c.__name__: c for c in (BinaryAccuracy, CategoricalAccuracy,
                                    SparseCategoricalAccuracy)}
_BY_NAME = {"binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
            "sparse_categorical_accuracy": SparseCategoricalAccuracy}


def get_accuracy(true_shape, pred_shape, name="accuracy"):
    """The accuracy Keras 3 picks for targets and predictions of these shapes.

    Parameters
    ----------
    true_shape, pred_shape : tuple of int
    name : str, default "accuracy"

    Returns
    -------
    Metric
        :class:`BinaryAccuracy` for one output, :class:`SparseCategoricalAccuracy`
        for integer labels, else :class:`CategoricalAccuracy`.

    Examples
    --------
    >>> from fastact.metrics import get_accuracy
    >>> get_accuracy((32, 1), (32, 1)), get_accuracy((32,), (32, 10))
    (BinaryAccuracy(name='accuracy'), SparseCategoricalAccuracy(name='accuracy'))
    >>> get_accuracy((32, 10), (32, 10))
    CategoricalAccuracy(name='accuracy')
    """
    true_shape, pred_shape = tuple(true_shape), tuple(pred_shape)
    if pred_shape[-1] == 1:
        return BinaryAccuracy(name=name)
    if len(true_shape) < len(pred_shape) or (true_shape[-1] == 1 and pred_shape[-1] > 1):
        return SparseCategoricalAccuracy(name=name)
    return CategoricalAccuracy(name=name)


def get(identifier, true_shape=None, pred_shape=None):
    """A Metric for ``identifier``.

    Parameters
    ----------
    identifier : str or Metric
        A Metric (returned as it is), a name (``"binary_accuracy"``...), or
        ``"accuracy"``/``"acc"``, which needs the shapes (see the module
        docstring).
    true_shape, pred_shape : tuple of int, optional
        Shapes of the targets and predictions, for ``"accuracy"``.

    Returns
    -------
    Metric

    Raises
    ------
    ValueError
        An unknown name, or ``"accuracy"`` without the shapes.
    TypeError
        An identifier of another type.

    Examples
    --------
    >>> from fastact import metrics
    >>> metrics.get("binary_accuracy")
    BinaryAccuracy(name='binary_accuracy')
    >>> metrics.get("acc", (8, 3), (8, 3))
    CategoricalAccuracy(name='acc')
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        if identifier in ("accuracy", "acc"):
            if true_shape is None or pred_shape is None:
                raise ValueError(f"metric {identifier!r} needs the target and prediction "
                                 f"shapes to choose binary, categorical or sparse accuracy")
            return get_accuracy(true_shape, pred_shape, identifier)
        cls = _BY_NAME.get(identifier) or _CLASSES.get(identifier)
        if cls is not None:
            return cls()
        raise ValueError(f"unknown metric {identifier!r}; valid names: accuracy, acc, "
                         f"{', '.join(sorted(_BY_NAME))}")
    raise TypeError(f"metric must be a name or a fastact.metrics.Metric, got "
                    f"{type(identifier).__name__} {identifier!r}")
