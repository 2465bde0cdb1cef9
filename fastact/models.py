"""``Sequential``: a Keras-style stack of layers that trains with NumPy alone.

``compile(optimizer, loss, metrics)``, ``fit`` (returns a ``History``),
``predict``, ``evaluate``, ``summary``, ``save_weights``/``load_weights``, as in
Keras 3.  What ``fit`` does per step, and why it allocates nothing after the
first batch of each shape:

* the batch is gathered into preallocated arrays (``np.take(..., out=)``);
* each layer runs ``layer(x, training=True)``, writing into arrays it keeps
  per input shape, and ``backward`` writes dx and the weight gradients with
  ``out=`` (``fastact.dense_backward(..., out=(dx, dW, db))``);
* every trainable weight lives in one contiguous array (the layers' weights
  are views into it) and so does every gradient, so the optimizer updates
  all of them with one fixed sequence of in-place ufunc calls;
* a softmax (sigmoid) output layer and categorical (binary) cross-entropy
  are fused: the loss is computed from the logits, stable for any logits,
  and the gradient with respect to them is ``(p - y) / N`` directly.

Ctrl-C during ``fit`` finishes the current batch, keeps the weights, prints a
note and returns the History of the epochs completed so far.
"""

import math
import os
import signal
import sys
import threading
import time
from contextlib import contextmanager

import numpy as np

from . import _dask
from . import initializers as _initializers
from . import layers as _layers
from . import losses as _losses
from . import metrics as _metrics
from . import optimizers as _optimizers

__all__ = ["Sequential", "History"]


class History:
    """What ``fit`` returns: per-epoch logs, as Keras's History callback.

    Parameters
    ----------
    model : Sequential, optional
        The model trained (``history.model``).
    params : dict, optional
        The training parameters (``history.params``).

    Attributes
    ----------
    history : dict of str -> list of float
        ``"loss"``, the metrics, and ``"val_..."`` with validation data; one
        entry per completed epoch.
    epoch : list of int
        The indices of the completed epochs.
    params : dict
        ``epochs``, ``steps`` (batches per epoch), ``verbose``.
    interrupted : bool
        Whether Ctrl-C stopped the training early.

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.layers import Dense
    >>> from fastact.models import Sequential
    >>> model = Sequential([Dense(1)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> history = model.fit(np.ones((4, 2)), np.zeros(4), epochs=3, verbose=0)
    >>> history.epoch, len(history.history["loss"]), history.interrupted
    ([0, 1, 2], 3, False)
    """

    def __init__(self, model=None, params=None):
        self.model = model
        self.params = dict(params or {})
        self.history = {}
        self.epoch = []
        self.interrupted = False

    def _append(self, epoch, logs):
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self):
        return f"<History epochs={len(self.epoch)} keys={sorted(self.history)}>"


# ----------------------------------------------------------------- progress bar

class _Progbar:
    """Keras 3's progress bar: ``12/57 ━━━━━━━━━━━━━━━━━━━━ 0s 3ms/step - loss: 0.2869``.

    Redraws in place with ``\\r``, at most every ``interval`` seconds (and at
    the end), so that printing does not slow small steps down.  Colours and
    bold are ANSI codes, written only to a terminal.
    """

    width = 20

    def __init__(self, target, stream=None, interval=0.05):
        self.target = target
        self.stream = stream if stream is not None else sys.stdout
        self.interval = interval
        self.start = time.perf_counter()
        self._last_draw = 0.0
        self._last_len = 0
        isatty = getattr(self.stream, "isatty", None)
        self._ansi = bool(isatty and isatty())

    def _style(self, text, code):
        return f"\x1b[{code}m{text}\x1b[0m" if self._ansi else text

    def update(self, current, values, final=False):
        now = time.perf_counter()
        if not final and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        digits = len(str(self.target))
        count = self._style(f"{current:>{digits}d}/{self.target}", "1")
        filled = int(self.width * current / self.target) if self.target else self.width
        bar = (self._style("━" * filled, "32") if filled else "") + \
            self._style("━" * (self.width - filled), "37")
        elapsed = now - self.start
        per_step = elapsed / current if current else 0.0
        if final or current >= self.target:
            when = f"{elapsed:.0f}s"
        else:
            when = _format_eta(per_step * (self.target - current))
        line = f"{count} {bar} {self._style(when, '1')} {_format_per_step(per_step)}"
        for name, value in values:
            line += f" - {name}: {value:.4f}" if abs(value) > 1e-3 else f" - {name}: {value:.4e}"
        pad = max(0, self._last_len - len(line))
        self._last_len = len(line)
        self.stream.write("\r" + line + " " * pad + ("\n" if final else ""))
        self.stream.flush()


def _format_eta(seconds):
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


def _format_per_step(seconds):
    if seconds >= 1 or seconds == 0:
        return f"{seconds:.0f}s/step"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/step"
    return f"{seconds * 1e6:.0f}us/step"


# ---------------------------------------------------------------------- Ctrl-C

class _StopRequest:
    """Set by the SIGINT handler: the loop stops after the current batch."""

    def __init__(self):
        self.requested = False


@contextmanager
def _stop_on_sigint(stop):
    """While training, Ctrl-C sets ``stop.requested`` instead of raising
    KeyboardInterrupt mid-update (which could leave the weights half-written).
    Signal handlers can only be set from the main thread; elsewhere the loop
    falls back to catching KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is None:                  # a handler set outside Python: restore the default
        previous = signal.SIG_DFL

    def handler(signum, frame):
        stop.requested = True

    try:
        signal.signal(signal.SIGINT, handler)
    except (ValueError, OSError):
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


# -------------------------------------------------------------------- the model

class _BatchSource:
    """The batches of one ``fit``: views of (x, y) in order, or, shuffled,
    rows gathered into arrays kept per batch size (the full one and the
    last, partial one); with each, the array for the loss gradient."""

    def __init__(self, x, y, batch_size, shuffle, out_shape, dtype):
        self.x, self.y = x, y
        self.batch_size, self.shuffle = batch_size, shuffle
        self.n = x.shape[0]
        self.steps = math.ceil(self.n / batch_size)
        self.order = np.arange(self.n)
        self._out_tail, self._dtype = tuple(out_shape[1:]), dtype
        self._buffers = {}

    def new_epoch(self, rng):
        if self.shuffle:
            rng.shuffle(self.order)                 # in place: no new array per epoch

    def batch(self, i):
        """(x batch, y batch, gradient array) of step ``i``."""
        start = i * self.batch_size
        stop = min(start + self.batch_size, self.n)
        size = stop - start
        bufs = self._buffers.get(size)
        if bufs is None:
            bufs = self._buffers[size] = self._make(size)
        xb, yb, grad = bufs
        if not self.shuffle:
            return self.x[start:stop], self.y[start:stop], grad
        idx = self.order[start:stop]
        # mode="clip" (the indices are valid anyway): "raise" buffers the
        # result in a temporary array.
        np.take(self.x, idx, axis=0, out=xb, mode="clip")
        np.take(self.y, idx, axis=0, out=yb, mode="clip")
        return xb, yb, grad

    def _make(self, size):
        grad = np.empty((size,) + self._out_tail, self._dtype)
        if not self.shuffle:
            return None, None, grad
        return (np.empty((size,) + self.x.shape[1:], self.x.dtype),
                np.empty((size,) + self.y.shape[1:], self.y.dtype), grad)


class Sequential:
    """A linear stack of layers, Keras's ``Sequential``.

    Parameters
    ----------
    layers : list of Layer, optional
        May start with ``fastact.layers.Input(shape)``, which builds the model
        at once (else it builds on the first call, fit or ``build``).
    name : str, optional

    Examples
    --------
    >>> import numpy as np
    >>> from fastact.layers import Dense
    >>> from fastact.models import Sequential
    >>> model = Sequential([Dense(2, activation="sigmoid"), Dense(1)])
    >>> model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
    >>> x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    >>> history = model.fit(x, np.array([0, 1, 1, 0]), epochs=2, verbose=0)
    >>> sorted(history.history)
    ['accuracy', 'loss']
    """

    def __init__(self, layers=None, name=None):
        self.name = name if name is not None else _layers._unique_name("sequential")
        self._layers = []
        self._input_shape = None
        self.built = False
        self.optimizer = None
        self.loss = None
        self._metric_ids = []
        self.compiled = False
        self._flat = None            # (weights, gradients, weight views) when packed
        for layer in layers or ():
            self.add(layer)

    # -------------------------------------------------------------- structure
    @property
    def layers(self):
        return list(self._layers)

    def add(self, layer):
        """Append a layer (or, first, an ``Input``).

        Parameters
        ----------
        layer : Layer or InputLayer

        Raises
        ------
        TypeError
            Not a fastact layer.
        ValueError
            An ``Input`` after other layers, or a layer already in the model.
        """
        if isinstance(layer, _layers.InputLayer):
            if self._layers or self._input_shape is not None:
                raise ValueError(f"{self.name}: an Input must come first")
            self._input_shape = layer.shape
            return
        if not isinstance(layer, _layers.Layer):
            raise TypeError(f"{self.name}: add() takes a fastact.layers.Layer, got "
                            f"{type(layer).__name__} {layer!r}")
        if any(layer is other for other in self._layers):
            raise ValueError(f"{self.name}: layer {layer.name} is already in the model")
        self._layers.append(layer)
        self.built = False
        self._flat = None
        if self._input_shape is not None:
            self.build(self._input_shape)

    def build(self, input_shape):
        """Build every layer for inputs of ``input_shape``.

        Parameters
        ----------
        input_shape : tuple of int or None
            Batch axis first (it may be None).

        Raises
        ------
        ValueError
            A layer already built for another input shape.
        """
        shape = tuple(input_shape)
        self._input_shape = (None,) + shape[1:]
        for layer in self._layers:
            if not layer.built:
                layer.build(shape)
            elif layer.input_shape[1:] != tuple(shape[1:]):
                raise ValueError(f"{self.name}: layer {layer.name} was built for inputs "
                                 f"{layer.input_shape}, but receives {(None,) + shape[1:]}")
            shape = layer.compute_output_shape(shape)
        self._check_dtypes()
        self.built = True

    def _check_dtypes(self):
        dtypes = {layer.dtype for layer in self._layers}
        if len(dtypes) > 1:
            raise TypeError(f"{self.name}: all layers must share one dtype, got "
                            f"{sorted(d.name for d in dtypes)}")

    @property
    def dtype(self):
        return self._layers[0].dtype if self._layers else np.dtype(np.float32)

    @property
    def weights(self):
        return [w for layer in self._layers for w in layer.weights]

    @property
    def trainable_weights(self):
        return [w for layer in self._layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        return [w for layer in self._layers for w in layer.non_trainable_weights]

    def count_params(self):
        return sum(layer.count_params() for layer in self._layers)

    def get_weights(self):
        return [w for layer in self._layers for w in layer.get_weights()]

    def set_weights(self, weights):
        weights = list(weights)
        expected = sum(len(layer.weights) for layer in self._layers)
        if len(weights) != expected:
            raise ValueError(f"{self.name}: set_weights expected {expected} arrays, got "
                             f"{len(weights)}")
        i = 0
        for layer in self._layers:
            n = len(layer.weights)
            layer.set_weights(weights[i:i + n])
            i += n

    # ------------------------------------------------------------- inference
    def _check_ready(self):
        if not self._layers:
            raise ValueError(f"{self.name}: the model has no layers")

    def __call__(self, x, training=False):
        self._check_ready()
        x = self._as_input(x)
        if not self.built:
            self.build(x.shape)
        for layer in self._layers:
            x = layer(x, training=training)
        return x

    def _as_input(self, x):
        x = np.asarray(x)
        if x.dtype.kind not in "biuf":
            raise TypeError(f"{self.name}: inputs must be real numbers, got dtype {x.dtype}")
        if x.ndim < 2:
            raise ValueError(f"{self.name}: inputs must be (samples, features...), got shape "
                             f"{x.shape}")
        return np.ascontiguousarray(x, dtype=self.dtype)

    def predict(self, x, batch_size=None, verbose=0):
        """Outputs for ``x``, computed ``batch_size`` samples at a time.

        Parameters
        ----------
        x : array_like, shape (samples, features...)
        batch_size : int, default 32
        verbose : {0, 1}, default 0
            1 shows a progress bar (Keras's default; here 0).

        Returns
        -------
        ndarray, or a lazy Dask array for a Dask ``x``
            A Dask ``x`` is scored block by block of samples (rechunked to
            whole batches, so the result is the in-memory one bit for bit; its
            other axes to one chunk); the model enters the graph once, as
            its config and weights (see ``__reduce__``), and is built here
            first, so every worker gets the same weights.
        """
        self._check_ready()
        batch_size = _check_batch_size(batch_size)
        if x.__class__ is not np.ndarray and _dask.is_dask(x):
            return _dask.predict(self, x, batch_size)
        x = self._as_input(x)
        if not self.built:
            self.build(x.shape)
        n = x.shape[0]
        steps = max(1, math.ceil(n / batch_size))
        bar = _Progbar(steps) if verbose else None
        outputs = []
        for i in range(steps):
            outputs.append(self(x[i * batch_size:(i + 1) * batch_size]))
            if bar:
                bar.update(i + 1, [], final=i + 1 == steps)
        return np.concatenate(outputs, axis=0) if len(outputs) > 1 else outputs[0]

    # --------------------------------------------------------------- compile
    def compile(self, optimizer="adam", loss=None, metrics=None):
        """Set the optimizer, the loss and the metrics (``["accuracy"]``...).

        Parameters
        ----------
        optimizer : str or Optimizer, default "adam"
            (Keras's default is "rmsprop", which fastact does not have.)
        loss : str or Loss
        metrics : list of str or Metric, optional
        """
        self.optimizer = _optimizers.get(optimizer)
        if loss is None:
            raise ValueError(f"{self.name}: compile() needs a loss, e.g. loss='mse'")
        self.loss = _losses.get(loss)
        if metrics is None:
            metrics = []
        if isinstance(metrics, (str, _metrics.Metric)):
            raise TypeError(f"{self.name}: metrics must be a list, e.g. metrics=['accuracy'], "
                            f"got {metrics!r}")
        for m in metrics:
            if not isinstance(m, (str, _metrics.Metric)):
                raise TypeError(f"{self.name}: unknown metric {m!r}")
            if isinstance(m, str) and m not in ("accuracy", "acc"):
                _metrics.get(m)                  # ValueError for an unknown name, now
        self._metric_ids = list(metrics)
        self._flat = None                        # a new optimizer starts from fresh state
        self.compiled = True

    def _make_metrics(self, true_shape, pred_shape):
        return [_metrics.get(m, true_shape, pred_shape) if isinstance(m, str)
                else type(m)(**m.get_config()) for m in self._metric_ids]

    # ------------------------------------------------------------ training
    def _pack_weights(self):
        """Move the trainable weights (and their gradients) into one contiguous
        array each, unless they already are, and build the optimizer on it."""
        weights = self.trainable_weights
        if self._flat is not None:
            views = self._flat[2]
            if len(views) == len(weights) and all(a is b for a, b in zip(views, weights)):
                return
        total = sum(w.size for w in weights)
        flat_w = np.empty(total, self.dtype)
        flat_g = np.zeros(total, self.dtype)
        views, start = [], 0
        for layer in self._layers:
            w_views, g_views = [], []
            for w in layer.trainable_weights:
                stop = start + w.size
                w_views.append(flat_w[start:stop].reshape(w.shape))
                g_views.append(flat_g[start:stop].reshape(w.shape))
                start = stop
            layer._move_trainable(w_views, g_views)
            views.extend(w_views)
        self._flat = (flat_w, flat_g, views)
        self.optimizer.build([flat_w])

    def _fused_head(self):
        """Whether the output layer's activation fuses with the loss."""
        head = self._layers[-1]
        wanted = self.loss.fusable_activation
        return wanted is not None and head.head_activation == wanted

    def _prepare_data(self, x, y):
        """(x, encoded targets) as contiguous arrays of the model's dtype."""
        if y is None:
            raise ValueError(f"{self.name}: targets y are required")
        x = self._as_input(x)
        if not self.built:
            self.build(x.shape)
        out_shape = self._layers[-1].output_shape
        y_arr = np.asarray(y)
        if y_arr.ndim == 0 or y_arr.shape[0] != x.shape[0]:
            raise ValueError(f"{self.name}: x has {x.shape[0]} samples but y has "
                             f"{y_arr.shape[0] if y_arr.ndim else 'no sample axis'}")
        y_enc = self.loss.encode_targets(y_arr, (x.shape[0],) + tuple(out_shape[1:]),
                                         self.dtype)
        return x, y_enc

    def fit(self, x, y, batch_size=None, epochs=1, verbose=1, validation_data=None,
            shuffle=True):
        """Train for ``epochs`` passes over ``(x, y)``.

        Parameters
        ----------
        x : array_like, shape (samples, features...)
        y : array_like
            Targets of the output's shape, or integer labels for
            ``sparse_categorical_crossentropy``.
        batch_size : int, default 32
        epochs : int, default 1
        verbose : {0, 1, 2}, default 1
            1: a live progress bar per epoch (on stdout, redrawn with ``\\r``);
            2: one line per epoch; 0: silent.
        validation_data : tuple (x_val, y_val), optional
            Evaluated after every epoch (``val_loss``, ``val_<metric>``).
        shuffle : bool, default True
            Reshuffle the samples every epoch (fastact's global generator,
            ``fastact.initializers.set_random_seed``).

        Returns
        -------
        History

        Notes
        -----
        Ctrl-C (SIGINT) ends the training after the batch it arrives in: the
        weights keep every update made so far, a note is printed (on stderr
        when ``verbose=0``), and the History of the completed epochs is
        returned with ``interrupted = True``.
        """
        if not self.compiled:
            raise RuntimeError(f"{self.name}: call compile() before fit()")
        self._check_ready()
        batch_size = _check_batch_size(batch_size)
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"{self.name}: epochs must be an int >= 0, got {epochs!r}")
        if verbose not in (0, 1, 2, True, False):
            raise ValueError(f"{self.name}: verbose must be 0, 1 or 2, got {verbose!r}")
        x, y = self._prepare_data(x, y)
        if validation_data is not None:
            if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
                raise ValueError(f"{self.name}: validation_data must be a tuple (x_val, y_val)")
            x_val, y_val = self._prepare_data(*validation_data)
        if x.shape[0] == 0:
            raise ValueError(f"{self.name}: x has no samples")

        self._pack_weights()
        fused = self._fused_head()
        head = self._layers[-1]
        head.keep_logits = fused
        source = _BatchSource(x, y, batch_size, shuffle, head.output_shape, self.dtype)
        metrics = self._make_metrics(y.shape, (x.shape[0],) + tuple(head.output_shape[1:]))
        history = History(self, {"epochs": epochs, "steps": source.steps, "verbose": verbose})
        stop = _StopRequest()
        out = sys.stdout
        with _stop_on_sigint(stop):
            for epoch in range(epochs):
                if verbose:
                    out.write(f"Epoch {epoch + 1}/{epochs}\n")
                start = time.perf_counter()
                bar = _Progbar(source.steps, out) if verbose == 1 else None
                logs, done = self._fit_epoch(source, fused, metrics, stop, bar,
                                             final_bar=validation_data is None)
                if stop.requested:
                    if bar is not None and done:
                        out.write("\n")
                    (out if verbose else sys.stderr).write(
                        f"Training interrupted (Ctrl-C) in epoch {epoch + 1}/{epochs} after "
                        f"batch {done}/{source.steps}: stopped cleanly, keeping the weights "
                        f"learned so far; the History holds the {len(history.epoch)} "
                        f"completed epoch(s).\n")
                    history.interrupted = True
                    break
                if validation_data is not None:
                    val = self._evaluate_arrays(x_val, y_val, batch_size)
                    logs.update({"val_" + k: v for k, v in val.items()})
                    if bar is not None:
                        bar.update(source.steps, logs.items(), final=True)
                if verbose == 2:                     # Keras's one line per epoch
                    out.write(f"{source.steps}/{source.steps} - "
                              f"{time.perf_counter() - start:.0f}s - "
                              + " - ".join(f"{k}: {v:.4f}" for k, v in logs.items()) + "\n")
                history._append(epoch, logs)
        return history

    def _fit_epoch(self, source, fused, metrics, stop, bar, final_bar):
        """One pass over the batches; returns (logs, batches done).  Stops early,
        after a complete batch, when Ctrl-C set ``stop.requested``."""
        source.new_epoch(_initializers.global_generator())
        for m in metrics:
            m.reset_state()
        flat_w, flat_g = self._flat[0], self._flat[1]
        step = self._train_step
        loss_sum, seen, done = 0.0, 0, 0
        for i in range(source.steps):
            xb, yb, grad = source.batch(i)
            try:
                value = step(xb, yb, grad, fused, metrics, flat_w, flat_g)
            except KeyboardInterrupt:              # no SIGINT handler (not the main thread)
                stop.requested = True
                break
            loss_sum += value * xb.shape[0]
            seen += xb.shape[0]
            done = i + 1
            if bar is not None:
                bar.update(done, _logs(loss_sum / seen, metrics).items(),
                           final=final_bar and done == source.steps)
            if stop.requested:
                break
        return _logs(loss_sum / max(seen, 1), metrics), done

    def _train_step(self, xb, yb, grad, fused, metrics, flat_w, flat_g):
        """One batch: forward, loss, backward, metrics, one optimizer update."""
        value, out = self._forward_backward(xb, yb, grad, fused)
        for m in metrics:
            m.update_state(yb, out)
        self.optimizer._step((flat_g,), (flat_w,))
        return value

    def _forward_backward(self, xb, yb, grad, fused):
        """Forward and backward over one batch: the loss value and the output;
        the gradients are left in the layers' gradient arrays."""
        layers = self._layers
        out = xb
        for layer in layers:
            out = layer(out, training=True)
        head = layers[-1]
        if fused:
            value = self.loss.value_and_logit_gradient(yb, head.logits, out, grad)
            dy = head.backward_from_logits(grad)
        else:
            value = self.loss.value_and_gradient(yb, out, grad)
            dy = head.backward(grad)
        for i in range(len(layers) - 2, -1, -1):
            dy = layers[i].backward(dy)
        return value, out

    def compute_gradients(self, x, y):
        """The loss on ``(x, y)`` as one batch and its gradients, without an update.

        Parameters
        ----------
        x : array_like, shape (samples, features...)
        y : array_like
            Targets, as for :meth:`fit`.

        Returns
        -------
        loss : float
        gradients : list of ndarray
            Copies, aligned with ``trainable_weights``.
        """
        if self.loss is None:
            raise RuntimeError(f"{self.name}: call compile() before compute_gradients()")
        self._check_ready()
        x, y = self._prepare_data(x, y)
        fused = self._fused_head()
        self._layers[-1].keep_logits = fused
        grad = np.empty((x.shape[0],) + tuple(self._layers[-1].output_shape[1:]), self.dtype)
        value, _ = self._forward_backward(x, y, grad, fused)
        return value, [g.copy() for layer in self._layers for g in layer.gradients]

    # ------------------------------------------------------------- evaluate
    def _evaluate_arrays(self, x, y, batch_size, bar=None):
        """Loss and metrics over prepared arrays, as a sorted dict."""
        fused = self._fused_head()
        head = self._layers[-1]
        head.keep_logits = fused
        n = x.shape[0]
        metrics = self._make_metrics(y.shape, y.shape)
        loss_sum, count = 0.0, 0
        steps = max(1, math.ceil(n / batch_size))
        for i in range(steps):
            xb = x[i * batch_size:(i + 1) * batch_size]
            yb = y[i * batch_size:(i + 1) * batch_size]
            out = self(xb)
            if fused:
                per_sample = self.loss.per_sample(yb, head.logits, from_logits=True)
            else:
                per_sample = self.loss.per_sample(yb, out)
            loss_sum += float(np.sum(per_sample, dtype=np.float64))
            count += per_sample.size
            for m in metrics:
                m.update_state(yb, out)
            if bar is not None:
                bar.update(i + 1, _logs(loss_sum / max(count, 1), metrics).items(),
                           final=i + 1 == steps)
        return _logs(loss_sum / max(count, 1), metrics)

    def evaluate(self, x, y, batch_size=None, verbose=0, return_dict=False):
        """The loss (and metrics) on ``(x, y)``, ``batch_size`` samples at a time.

        Parameters
        ----------
        x : array_like, shape (samples, features...)
        y : array_like
            Targets, as for :meth:`fit`.
        batch_size : int, default 32
        verbose : {0, 1}, default 0
            1 shows a progress bar (Keras's default; here 0).
        return_dict : bool, default False

        Returns
        -------
        float, or list [loss, metric...] when metrics were compiled, or a
        dict with ``return_dict``.
        """
        if not self.compiled:
            raise RuntimeError(f"{self.name}: call compile() before evaluate()")
        self._check_ready()
        batch_size = _check_batch_size(batch_size)
        x, y = self._prepare_data(x, y)
        bar = _Progbar(max(1, math.ceil(x.shape[0] / batch_size))) if verbose else None
        logs = self._evaluate_arrays(x, y, batch_size, bar)
        if return_dict:
            return logs
        if len(logs) == 1:
            return logs["loss"]
        return [logs["loss"]] + [v for k, v in logs.items() if k != "loss"]

    # --------------------------------------------------------------- summary
    def summary(self, print_fn=None):
        """Print Keras 3's summary table: layer (type), output shape, param #, totals.

        Parameters
        ----------
        print_fn : callable, optional
            Called with each line instead of ``print``.
        """
        emit = print_fn if print_fn is not None else print
        for line in self._summary_lines():
            emit(line)

    def _summary_lines(self):
        widths = (38, 29, 17)          # Keras 3's columns at its default 88 characters

        def row(cells, left="│", mid="│", right="│"):
            parts = []
            for (text, align), width in zip(cells, widths):
                text = text if len(text) <= width - 2 else text[:width - 3] + "…"
                parts.append(" " + (text.ljust(width - 2) if align == "l"
                                    else text.rjust(width - 2)) + " ")
            return left + mid.join(parts) + right

        def rule(left, mid, right, fill):
            return left + mid.join(fill * w for w in widths) + right

        lines = [f'Model: "{self.name}"', rule("┏", "┳", "┓", "━"),
                 row([("Layer (type)", "l"), ("Output Shape", "l"), ("Param #", "r")],
                     "┃", "┃", "┃"),
                 rule("┡", "╇", "┩", "━")]
        for i, layer in enumerate(self._layers):
            if layer.built:
                shape = "(" + ", ".join(str(d) for d in layer.output_shape) + ")"
                params = f"{layer.count_params():,}"
            else:
                shape, params = "?", "0 (unbuilt)"
            lines.append(row([(f"{layer.name} ({type(layer).__name__})", "l"), (shape, "l"),
                              (params, "r")]))
            if i < len(self._layers) - 1:
                lines.append(rule("├", "┼", "┤", "─"))
        lines.append(rule("└", "┴", "┘", "─"))
        trainable = self.trainable_weights
        frozen = self.non_trainable_weights
        n_t, n_f = sum(w.size for w in trainable), sum(w.size for w in frozen)
        b_t, b_f = sum(w.nbytes for w in trainable), sum(w.nbytes for w in frozen)
        total_n, total_b = n_t + n_f, b_t + b_f
        opt = self.optimizer
        opt_state = opt.variables if opt is not None and opt._variables is not None else None
        if opt_state is not None:
            # Keras counts the optimizer's iterations and learning rate too.
            n_o = sum(s.size for s in opt_state) + 2
            b_o = sum(s.nbytes for s in opt_state) + 8 + 4
            total_n, total_b = total_n + n_o, total_b + b_o
        lines += [f" Total params: {total_n:,} ({_readable_size(total_b)})",
                  f" Trainable params: {n_t:,} ({_readable_size(b_t)})",
                  f" Non-trainable params: {n_f:,} ({_readable_size(b_f)})"]
        if opt_state is not None:
            lines.append(f" Optimizer params: {n_o:,} ({_readable_size(b_o)})")
        return lines

    # ------------------------------------------------------------ weights I/O
    def save_weights(self, filepath):
        """Save every weight to a ``.npz`` file (keys ``layer<i>/<weight name>``).

        Parameters
        ----------
        filepath : str or path-like
            Must end in ``.npz``.

        Raises
        ------
        ValueError
            Another suffix.
        """
        filepath = os.fspath(filepath)
        if not filepath.endswith(".npz"):
            raise ValueError(f"The filename must end in `.npz`. Received: filepath={filepath}")
        arrays = {}
        for i, layer in enumerate(self._layers):
            for name, w in zip(layer._weight_names, layer.weights):
                arrays[f"layer{i}/{name}"] = w
        np.savez(filepath, **arrays)

    def load_weights(self, filepath):
        """Load weights saved by :meth:`save_weights` into this (built) model.

        Parameters
        ----------
        filepath : str or path-like

        Raises
        ------
        ValueError
            The model cannot be built, or the file holds other weights.
        """
        filepath = os.fspath(filepath)
        if not self.built:
            if self._input_shape is None:
                raise ValueError(f"{self.name}: build the model (call it on data, or "
                                 f"build(input_shape)) before load_weights")
            self.build(self._input_shape)
        with np.load(filepath) as data:
            expected = {f"layer{i}/{name}" for i, layer in enumerate(self._layers)
                        for name in layer._weight_names}
            if set(data.files) != expected:
                raise ValueError(f"{self.name}: {filepath} holds weights "
                                 f"{sorted(data.files)}, the model has {sorted(expected)}")
            for i, layer in enumerate(self._layers):
                layer.set_weights([data[f"layer{i}/{name}"] for name in layer._weight_names])

    # ---------------------------------------------------------------- config
    def get_config(self):
        return {"name": self.name,
                "layers": [_layers.serialize(layer) for layer in self._layers]}

    @classmethod
    def from_config(cls, config):
        return cls([_layers.deserialize(c) for c in config["layers"]], name=config.get("name"))

    def __reduce__(self):
        """Pickle the layers (each as its config and weights), the input shape
        and the compile arguments.  Not pickled: the optimizer's state (Adam's
        moments restart from zero) and the arrays of the last batch."""
        compiled = None
        if self.compiled:
            compiled = (_optimizers.serialize(self.optimizer), _losses.serialize(self.loss),
                        self._metric_ids)
        return _restore_model, (type(self), self.name, self._layers, self._input_shape,
                                compiled)

    def __repr__(self):
        return f"<Sequential name={self.name}, layers={len(self._layers)}>"


def _restore_model(cls, name, layers, input_shape, compiled):
    model = cls(layers, name=name)
    if input_shape is not None:
        model.build(input_shape)
    if compiled is not None:
        optimizer, loss, metrics = compiled
        model.compile(_optimizers.deserialize(optimizer), _losses.deserialize(loss), metrics)
    return model


def _logs(loss, metrics):
    """Keras's epoch logs: the loss and every metric, keys sorted (as Keras's
    ``pythonify_logs`` sorts them, hence "accuracy" before "loss")."""
    logs = {"loss": float(loss)}
    for m in metrics:
        logs[m.name] = float(m.result())
    return dict(sorted(logs.items()))


def _check_batch_size(batch_size):
    if batch_size is None:
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    return int(batch_size)


def _readable_size(nbytes):
    """Keras's memory size format: 36.00 B, 18.79 KB..."""
    size = float(nbytes)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"
