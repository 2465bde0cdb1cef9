"""Pictures of the activations: the function, its derivative, what it does to a
distribution of inputs and to an image.

Needs matplotlib, an optional extra: ``pip install "fastact[plot]"``.
``import fastact`` never imports this module or matplotlib; ``fastact.plot``
imports both on first use.

Every function takes ``name_or_fn``, one of:

* a Keras name or alias (``"gelu"``, ``"swish"``): fastact's function with its
  default parameters;
* a fastact activation (``fastact.activations.elu``), or one with parameters
  bound by keyword, ``functools.partial(fastact.activations.relu, max_value=6)``:
  the parameters show in the titles, and the derivative is fastact's own
  (``fastact.derivatives``) with the same parameters;
* any other vectorised callable ``f(x) -> array`` (``np.arctan``): its
  derivative is taken by central differences.

The row-wise functions (softmax, log_softmax, sparsemax, glu) map a vector to a
vector; they are drawn through the scalar function they reduce to on
two-element rows: ``softmax([x, 0])[0]`` (the logistic sigmoid),
``log_softmax([x, 0])[0]``, ``sparsemax([x, 0])[0]`` and ``glu([x, x])``
(x * sigmoid(x)), with the exact derivative of that scalar function from the
vector-Jacobian product.  Every value is computed by fastact's vectorised
kernels, whole arrays at a time.

Each function returns the matplotlib ``Figure`` it drew (``activation`` with
``ax=`` returns that ``Axes``), ready for ``savefig``; none calls ``plt.show()``.
"""

import dataclasses
import functools
import math
from typing import Callable

try:
    import matplotlib.pyplot as plt
except ImportError as exc:
    raise ImportError('fastact.plot needs matplotlib, an optional extra: '
                      'pip install "fastact[plot]"') from exc

import numpy as np

from . import _manifest, activations, derivatives

__all__ = ["activation", "distribution", "image", "overview", "sample_image"]

_N_CURVE = 2001                 # points over x_range: includes x = 0 (and integer kinks)
_N_SAMPLES = 10_000
_SAMPLE_SCALE = 3.0             # samples ~ N(0, 3^2): the saturating tails show too
_SEED = 0

# Two-element rows through which a row-wise function becomes a scalar one:
# row(x) -> the row; each picks component 0 of the output.
_ROWS = {
    "softmax": lambda x: np.stack([x, np.zeros_like(x)], axis=-1),
    "log_softmax": lambda x: np.stack([x, np.zeros_like(x)], axis=-1),
    "sparsemax": lambda x: np.stack([x, np.zeros_like(x)], axis=-1),
    "glu": lambda x: np.stack([x, x], axis=-1),
}
_ROW_TITLES = {"softmax": "softmax([x, 0])[0]", "log_softmax": "log_softmax([x, 0])[0]",
               "sparsemax": "sparsemax([x, 0])[0]", "glu": "glu([x, x]) = x * sigmoid(x)"}


@dataclasses.dataclass(frozen=True)
class _Curve:
    """An activation as an elementwise function of x, with its derivative."""
    title: str                          # Keras name and parameters
    value: Callable                     # array -> array of the same shape
    derivative: Callable
    derivative_label: str


def _format_params(params):
    return ", ".join(f"{k}={v!r}" for k, v in params.items())


def _fastact_curve(name, given, shown_as):
    """The curve of fastact's ``name`` with keyword parameters ``given``."""
    act = _manifest.BY_NAME[name]
    alias = f" ({shown_as})" if shown_as != name else ""
    if act.kind == "rowwise":
        if given:
            raise ValueError(f"fastact.plot draws {name} on two-element rows "
                             f"({_ROW_TITLES[name]}); it takes no parameters, got "
                             f"{_format_params(given)}")
        return _rowwise_curve(name, alias)
    try:
        bound = derivatives._bind(act, (), given)       # defaults filled in, names checked
    except TypeError as exc:
        raise TypeError(f"{exc}; to plot {name}, bind its parameters: "
                        f"functools.partial(fastact.activations.{name}, ...)") from None
    params = {p.name: bound[p.name] for p in act.params}     # in Keras's order
    f, df = getattr(activations, name), getattr(derivatives, name)
    title = f"{name}({_format_params(params)})" if params else name
    return _Curve(title + alias, lambda x: f(x, **params), lambda x: df(x, **params),
                  "f'(x)")


def _rowwise_curve(name, alias):
    f, vjp, rows = getattr(activations, name), getattr(derivatives, name), _ROWS[name]

    def value(x):
        return f(rows(x), axis=-1)[..., 0]

    def derivative(x):
        r = rows(x)
        if name == "glu":                   # d/dx glu([x, x]) = both halves of the VJP
            g = vjp(np.ones(r.shape[:-1] + (1,)), r, axis=-1)
            return g[..., 0] + g[..., 1]
        dy = np.zeros_like(r)
        dy[..., 0] = 1.0                    # the VJP with e0 is row 0 of the Jacobian
        return vjp(dy, r, axis=-1)[..., 0]

    return _Curve(_ROW_TITLES[name] + alias, value, derivative, "f'(x)")


def _central_difference(fn):
    def derivative(x):
        h = np.cbrt(np.finfo(np.float64).eps) * np.maximum(1.0, np.abs(x))
        return (np.asarray(fn(x + h), dtype=np.float64)
                - np.asarray(fn(x - h), dtype=np.float64)) / (2 * h)
    return derivative


def _resolve(name_or_fn):
    """name, fastact function, partial of one, or any callable -> _Curve."""
    if isinstance(name_or_fn, str):
        func = activations.get(name_or_fn)          # ValueError listing valid names
        return _fastact_curve(activations.serialize(func), {}, name_or_fn)
    func, given = name_or_fn, {}
    if isinstance(func, functools.partial) and not func.args:
        func, given = func.func, dict(func.keywords)
    try:
        name = activations.serialize(func)
    except ValueError:
        name = None
    if name is not None:
        return _fastact_curve(name, given, name)
    if not callable(name_or_fn):
        raise TypeError(f"fastact.plot: expected an activation name or a callable, got "
                        f"{type(name_or_fn).__name__} {name_or_fn!r}")
    label = getattr(name_or_fn, "__name__", None) or repr(name_or_fn)
    return _Curve(label, name_or_fn, _central_difference(name_or_fn),
                  "f'(x), central differences")


# ---------------------------------------------------------------- drawing on axes

def _draw_curve(ax, x, y, label, style="-", colour="tab:blue"):
    ax.plot(x, y, style, color=colour, lw=2, label=label)
    ax.axhline(0, color="0.6", lw=0.8, zorder=0)
    ax.axvline(0, color="0.6", lw=0.8, zorder=0)
    ax.set_xlim(x[0], x[-1])
    ax.set_xlabel("x")
    ax.grid(True, alpha=0.3)


def _draw_histogram(ax, values, title, colour):
    values = np.ravel(values)
    finite = values[np.isfinite(values)]
    ax.hist(finite, bins=60, color=colour, alpha=0.85)
    dropped = values.size - finite.size
    ax.set_title(title + (f" ({dropped} non-finite left out)" if dropped else ""))
    ax.set_ylabel("count")
    ax.grid(True, alpha=0.3)


def _draw_image(ax, data, title):
    """A 2-D array in grey with a colour bar, or an RGB array scaled to [0, 1] for display."""
    ax.set_xticks([])
    ax.set_yticks([])
    lo, hi = float(np.nanmin(data)), float(np.nanmax(data))
    if data.ndim == 2:
        shown = ax.imshow(data, cmap="gray", vmin=lo, vmax=hi if hi > lo else lo + 1)
        ax.figure.colorbar(shown, ax=ax, shrink=0.85)
        ax.set_title(title)
    else:
        ax.imshow((data - lo) / (hi - lo) if hi > lo else np.zeros_like(data))
        ax.set_title(f"{title}\nvalues {lo:.3g} .. {hi:.3g}, shown scaled to [0, 1]")


def _check_range(x_range):
    try:
        lo, hi = (float(v) for v in x_range)
    except (TypeError, ValueError):
        raise TypeError(f"x_range must be two numbers (low, high), got {x_range!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"x_range must be finite with low < high, got {x_range!r}")
    return lo, hi


def _default_samples():
    return np.random.default_rng(_SEED).normal(0.0, _SAMPLE_SCALE, _N_SAMPLES)


def _as_float(a, what):
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{what} must be a real-valued array, got dtype {a.dtype}")
    return a if a.dtype.kind == "f" else a.astype(np.float64)


def _standardised_image(img):
    """(H, W) or (H, W, 3) -> float64 of mean 0 and standard deviation 1."""
    img = _as_float(img, "image").astype(np.float64)
    if not (img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 3)) or img.size == 0:
        raise ValueError(f"image must be a non-empty 2-D (grey) or (H, W, 3) (RGB) array, "
                         f"got shape {img.shape}")
    if not np.all(np.isfinite(img)):
        raise ValueError("image must be finite everywhere")
    sd = img.std()
    return (img - img.mean()) / (sd if sd > 0 else 1.0)


def sample_image(size=64):
    """A small RGB test image: a red ramp left to right, a green ramp top to bottom,
    blue rings around the centre; float64 in [0, 1], shape (size, size, 3)."""
    t = np.linspace(0.0, 1.0, size)
    xx, yy = np.meshgrid(t, t)
    rings = 0.5 + 0.5 * np.cos(18.0 * np.hypot(xx - 0.5, yy - 0.5))
    return np.stack([xx, yy, rings], axis=-1)


# ---------------------------------------------------------------- public

def activation(name_or_fn, x_range=(-10, 10), derivative=True, ax=None):
    """Plot an activation and its derivative over ``x_range``.

    Parameters
    ----------
    name_or_fn : str or callable
        A Keras name (``"gelu"``), a fastact activation, a ``functools.partial``
        of one with keyword parameters, or any vectorised ``f(x)``.
    x_range : (float, float), default (-10, 10)
        The interval of x, low < high.
    derivative : bool, default True
        Draw f'(x) too (dashed): fastact's derivative for fastact's
        functions, central differences for any other callable.
    ax : matplotlib Axes, optional
        Draw on it; by default a new figure is made.

    Returns
    -------
    matplotlib.figure.Figure, or ``ax`` when given.

    Raises
    ------
    ValueError
        Unknown name, or a bad ``x_range``.
    TypeError
        A name whose parameters have no defaults (``"threshold"``): bind them
        with ``functools.partial``.

    Examples
    --------
    >>> import functools, fastact, fastact.plot
    >>> fig = fastact.plot.activation(functools.partial(fastact.activations.relu, max_value=6))
    >>> fig.axes[0].get_title()
    'relu(negative_slope=0.0, max_value=6, threshold=0.0)'
    """
    curve = _resolve(name_or_fn)
    lo, hi = _check_range(x_range)
    x = np.linspace(lo, hi, _N_CURVE)
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.2), layout="constrained")
    _draw_curve(ax, x, curve.value(x), "f(x)")
    if derivative:
        _draw_curve(ax, x, curve.derivative(x), curve.derivative_label, "--", "tab:orange")
    ax.set_ylabel("f(x)" + (", f'(x)" if derivative else ""))
    ax.set_title(curve.title)
    ax.legend(loc="best")
    return ax if fig is None else fig


def distribution(name_or_fn, samples=None):
    """Histograms of inputs and of their activations, side by side.

    Parameters
    ----------
    name_or_fn : str or callable
        As for :func:`activation`.
    samples : array_like, optional
        The inputs (any shape, flattened); by default 10,000 draws of
        N(0, 3^2) with a fixed seed.  Non-finite values are left out of the
        histograms (and counted in the titles).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import fastact.plot
    >>> fig = fastact.plot.distribution("sigmoid")
    >>> fig.get_suptitle(), [ax.get_title() for ax in fig.axes]
    ('sigmoid', ['samples (inputs)', 'activation values'])
    """
    curve = _resolve(name_or_fn)
    x = _default_samples() if samples is None else _as_float(samples, "samples").ravel()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.6, 3.8), layout="constrained")
    _draw_histogram(left, x, "samples (inputs)", "tab:blue")
    left.set_xlabel("x")
    _draw_histogram(right, curve.value(x), "activation values", "tab:green")
    right.set_xlabel("f(x)")
    fig.suptitle(curve.title)
    return fig


def image(name_or_fn, image):
    """An image before and after the activation, computed on the whole array at once.

    The image is standardised first (mean 0, standard deviation 1 over all
    its values), so that the activation sees inputs around 0 where the
    functions differ; the left panel shows that input, the right one its
    activation.  Grey images are drawn with a colour bar; RGB ones scaled to
    [0, 1] for display, their value range in the title.

    Parameters
    ----------
    name_or_fn : str or callable
        As for :func:`activation`.
    image : array_like
        (H, W) grey or (H, W, 3) RGB, integer or float, finite.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        Another shape, an empty image, or a non-finite value.

    Examples
    --------
    >>> import fastact.plot
    >>> grey = fastact.plot.sample_image(16)[..., 0]
    >>> fig = fastact.plot.image("relu", grey)
    >>> fig.get_suptitle()
    'relu(negative_slope=0.0, max_value=None, threshold=0.0)'
    >>> fig.axes[0].get_title(), fig.axes[1].get_title()
    ('input (standardised)', 'activated')
    """
    curve = _resolve(name_or_fn)
    x = _standardised_image(image)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 4.2), layout="constrained")
    _draw_image(left, x, "input (standardised)")
    _draw_image(right, curve.value(x), "activated")
    fig.suptitle(curve.title)
    return fig


def overview(name_or_fn, image=None):
    """Six panels: function, derivative, samples, activated samples, image, activated image.

    Parameters
    ----------
    name_or_fn : str or callable
        As for :func:`activation`.
    image : array_like, optional
        As for :func:`image`; by default :func:`sample_image`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import fastact.plot
    >>> fig = fastact.plot.overview("gelu")
    >>> fig.get_suptitle()
    'gelu(approximate=False)'
    """
    curve = _resolve(name_or_fn)
    img = _standardised_image(sample_image() if image is None else image)
    fig, axes = plt.subplots(2, 3, figsize=(13.5, 7.6), layout="constrained")
    (ax_f, ax_df, ax_s), (ax_fs, ax_img, ax_fimg) = axes
    x = np.linspace(-10.0, 10.0, _N_CURVE)
    _draw_curve(ax_f, x, curve.value(x), "f(x)")
    ax_f.set_title("function")
    ax_f.set_ylabel("f(x)")
    _draw_curve(ax_df, x, curve.derivative(x), curve.derivative_label, "-", "tab:orange")
    ax_df.set_title("derivative" + ("" if curve.derivative_label == "f'(x)"
                                    else " (central differences)"))
    ax_df.set_ylabel("f'(x)")
    samples = _default_samples()
    _draw_histogram(ax_s, samples, "samples: N(0, 3²)", "tab:blue")
    ax_s.set_xlabel("x")
    _draw_histogram(ax_fs, curve.value(samples), "activated samples", "tab:green")
    ax_fs.set_xlabel("f(x)")
    _draw_image(ax_img, img, "image (standardised)")
    _draw_image(ax_fimg, curve.value(img), "activated image")
    fig.suptitle(curve.title, fontsize=14)
    return fig
