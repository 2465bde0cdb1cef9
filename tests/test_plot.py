"""fastact.plot: what each picture draws is fastact's own values, every activation
plots, and matplotlib stays optional (``import fastact`` never loads it)."""

import doctest
import functools
import io
import subprocess
import sys

import numpy as np
import pytest

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import fastact.plot as fplot  # noqa: E402
from fastact import _manifest, activations, derivatives  # noqa: E402
import child  # noqa: E402

NEEDS_PARAMS = {a.name for a in _manifest.ACTIVATIONS
                if any(p.default is _manifest.REQUIRED for p in a.params)}
PLOTTABLE = sorted(set(_manifest.BY_NAME) - NEEDS_PARAMS) + sorted(_manifest.ALIASES)


@pytest.fixture(autouse=True)
def _close_figures_and_forbid_show(monkeypatch):
    def show(*args, **kwargs):
        raise AssertionError("fastact.plot must not call plt.show()")
    monkeypatch.setattr(plt, "show", show)
    yield
    plt.close("all")


def _lines(ax):
    return {line.get_label(): line for line in ax.get_lines() if not
            line.get_label().startswith("_")}


def _png_bytes(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    return buf.getvalue()


# ---------------------------------------------------------------- activation()

def test_activation_draws_fastacts_function_and_derivative():
    fig = fplot.activation("elu", x_range=(-4, 3))
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    lines = _lines(ax)
    x = lines["f(x)"].get_xdata()
    assert x[0] == -4 and x[-1] == 3
    np.testing.assert_array_equal(lines["f(x)"].get_ydata(), activations.elu(x))
    np.testing.assert_array_equal(lines["f'(x)"].get_ydata(), derivatives.elu(x))
    assert ax.get_title() == "elu(alpha=1.0)"
    assert ax.get_xlabel() == "x"


def test_activation_without_derivative_draws_one_curve():
    lines = _lines(fplot.activation("tanh", derivative=False).axes[0])
    assert list(lines) == ["f(x)"]


def test_activation_on_a_given_axes_returns_it():
    fig, ax = plt.subplots()
    assert fplot.activation("sigmoid", ax=ax) is ax
    assert len(fig.axes) == 1 and ax.get_title() == "sigmoid"


def test_partial_parameters_reach_the_title_the_curve_and_the_derivative():
    fn = functools.partial(activations.relu, negative_slope=0.1, max_value=6.0)
    ax = fplot.activation(fn).axes[0]
    assert ax.get_title() == "relu(negative_slope=0.1, max_value=6.0, threshold=0.0)"
    lines = _lines(ax)
    x = lines["f(x)"].get_xdata()
    np.testing.assert_array_equal(lines["f(x)"].get_ydata(),
                                  activations.relu(x, negative_slope=0.1, max_value=6.0))
    np.testing.assert_array_equal(lines["f'(x)"].get_ydata(),
                                  derivatives.relu(x, negative_slope=0.1, max_value=6.0))


def test_alias_names_the_keras_function():
    assert fplot.activation("swish").axes[0].get_title() == "silu (swish)"
    assert fplot.activation(activations.swish).axes[0].get_title() == "silu"


def test_a_required_parameter_asks_for_a_partial():
    with pytest.raises(TypeError, match="functools.partial"):
        fplot.activation("threshold")
    fn = functools.partial(activations.threshold, threshold=1.0, default_value=-1.0)
    ax = fplot.activation(fn).axes[0]
    assert ax.get_title() == "threshold(threshold=1.0, default_value=-1.0)"


def test_unknown_names_and_bad_arguments_raise():
    with pytest.raises(ValueError, match="unknown activation"):
        fplot.activation("nope")
    with pytest.raises(TypeError, match="unexpected parameter"):
        fplot.activation(functools.partial(activations.elu, beta=2.0))
    with pytest.raises(TypeError):
        fplot.activation(42)
    for bad in ((1, 1), (2, -2), (0, np.inf), (np.nan, 1)):
        with pytest.raises(ValueError, match="x_range"):
            fplot.activation("relu", x_range=bad)
    with pytest.raises(TypeError, match="x_range"):
        fplot.activation("relu", x_range=5)


@pytest.mark.parametrize("name, scalar, scalar_derivative", [
    ("softmax", activations.sigmoid, derivatives.sigmoid),
    ("log_softmax", activations.log_sigmoid, derivatives.log_sigmoid),
    ("glu", activations.silu, derivatives.silu),
])
def test_rowwise_functions_are_drawn_as_their_two_element_scalar_function(
        name, scalar, scalar_derivative):
    # softmax([x, 0])[0] = sigmoid(x); log_softmax -> log_sigmoid; glu([x, x]) = silu(x)
    lines = _lines(fplot.activation(name).axes[0])
    x = lines["f(x)"].get_xdata()
    np.testing.assert_allclose(lines["f(x)"].get_ydata(), scalar(x), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(lines["f'(x)"].get_ydata(), scalar_derivative(x),
                               rtol=1e-13, atol=1e-15)


def test_sparsemax_on_two_elements_is_the_sparse_sigmoid_of_x_over_2():
    # sparsemax([x, 0])[0] = clip((x + 1) / 2, 0, 1) = sparse_sigmoid(x), slope 1/2 inside
    lines = _lines(fplot.activation("sparsemax").axes[0])
    x = lines["f(x)"].get_xdata()
    np.testing.assert_allclose(lines["f(x)"].get_ydata(), activations.sparse_sigmoid(x),
                               atol=1e-15)
    inside = np.abs(x) < 0.99
    np.testing.assert_allclose(lines["f'(x)"].get_ydata()[inside], 0.5)
    np.testing.assert_array_equal(lines["f'(x)"].get_ydata()[np.abs(x) > 1.01], 0.0)


def test_rowwise_functions_take_no_parameters():
    with pytest.raises(ValueError, match="two-element rows"):
        fplot.activation(functools.partial(activations.softmax, axis=0))


def test_any_callable_gets_a_central_difference_derivative():
    lines = _lines(fplot.activation(np.arctan, x_range=(-3, 3)).axes[0])
    x = lines["f(x)"].get_xdata()
    np.testing.assert_array_equal(lines["f(x)"].get_ydata(), np.arctan(x))
    label = "f'(x), central differences"
    np.testing.assert_allclose(lines[label].get_ydata(), 1 / (1 + x * x), rtol=1e-8)


# ---------------------------------------------------------------- distribution()

def _bar_total(ax):
    return sum(p.get_height() for p in ax.patches)


def test_distribution_histograms_the_samples_and_their_activations():
    samples = np.array([-3.0, -1.0, 0.0, 0.5, 2.0, np.nan, np.inf])
    fig = fplot.distribution("relu", samples=samples)
    left, right = fig.axes
    assert _bar_total(left) == 5                         # the finite samples
    assert "2 non-finite left out" in left.get_title()
    assert _bar_total(right) == 5                        # relu(inf) = inf is left out too
    assert fig.get_suptitle().startswith("relu(")
    # relu sends three of the five finite samples to 0: the left-most bar of the right panel
    first = min(right.patches, key=lambda p: p.get_x())
    assert first.get_height() == 3


def test_distribution_default_samples_are_fixed():
    a, b = fplot.distribution("sigmoid"), fplot.distribution("sigmoid")
    heights = [[p.get_height() for p in f.axes[1].patches] for f in (a, b)]
    assert heights[0] == heights[1] and sum(heights[0]) == 10_000


# ---------------------------------------------------------------- image()

def _standardised(img):
    img = np.asarray(img, dtype=np.float64)
    return (img - img.mean()) / img.std()


def test_image_grey_shows_the_standardised_input_and_its_activation():
    grey = (fplot.sample_image(20)[..., 0] * 255).astype(np.uint8)
    fig = fplot.image("tanh", grey)
    left, right = fig.axes[:2]
    x = _standardised(grey)
    np.testing.assert_allclose(left.get_images()[0].get_array(), x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(right.get_images()[0].get_array(), activations.tanh(x),
                               rtol=1e-12, atol=1e-12)
    assert len(fig.axes) == 4                             # two panels, two colour bars


def test_image_rgb_is_scaled_for_display():
    rgb = fplot.sample_image(24)
    fig = fplot.image("sigmoid", rgb)
    shown = fig.axes[1].get_images()[0].get_array()
    y = activations.sigmoid(_standardised(rgb))
    np.testing.assert_allclose(shown, (y - y.min()) / (y.max() - y.min()), atol=1e-12)
    assert f"{y.min():.3g} .. {y.max():.3g}" in fig.axes[1].get_title()


@pytest.mark.parametrize("bad", [np.zeros(5), np.zeros((4, 4, 2)), np.zeros((0, 3)),
                                 np.array([[1.0, np.nan]])])
def test_image_rejects_other_shapes_and_non_finite_values(bad):
    with pytest.raises(ValueError, match="image"):
        fplot.image("relu", bad)


def test_image_rejects_non_real_values():
    with pytest.raises(TypeError, match="real-valued"):
        fplot.image("relu", np.array([["a", "b"]]))


# ---------------------------------------------------------------- overview()

@pytest.mark.parametrize("name", PLOTTABLE)
def test_every_activation_plots_finite_curves(name):
    lines = _lines(fplot.activation(name, x_range=(-20, 20)).axes[0])
    assert len(lines) == 2
    for line in lines.values():
        assert np.all(np.isfinite(line.get_ydata())), (name, line.get_label())


# Rendering costs ~1 s a figure: one of each kind (plain, parametrised, row-wise, alias).
@pytest.mark.parametrize("name", ["sigmoid", "gelu", "softmax", "glu", "hard_swish"])
def test_overview_renders_six_panels(name):
    fig = fplot.overview(name)
    assert isinstance(fig, Figure)
    panels = [ax.get_title().split("\n")[0] for ax in fig.axes[:6]]
    assert panels == ["function", "derivative", "samples: N(0, 3²)", "activated samples",
                      "image (standardised)", "activated image"]
    assert _png_bytes(fig).startswith(b"\x89PNG")


def test_overview_uses_the_image_given():
    grey = np.arange(30.0).reshape(5, 6)
    fig = fplot.overview("relu6", image=grey)
    np.testing.assert_allclose(fig.axes[5].get_images()[0].get_array(),
                               activations.relu6(_standardised(grey)), atol=1e-12)


def test_docstring_examples_run():
    result = doctest.testmod(fplot, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 4 and result.failed == 0


# ---------------------------------------------------------------- matplotlib optional

def _run(code):
    # cwd: tests/, not the checkout, whose uncompiled fastact/ `python -c` would import
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=child.CWD)


def test_import_fastact_does_not_import_matplotlib():
    res = _run("import sys, numpy as np, fastact\n"
               "fastact.activations.relu(np.ones(3)); fastact.layers\n"
               "from fastact import *\n"
               "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))")
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


def test_without_matplotlib_fastact_works_and_plot_names_the_extra():
    res = _run("import sys\n"
               "sys.modules['matplotlib'] = None   # as if not installed\n"
               "import numpy as np, fastact\n"
               "assert fastact.activations.sigmoid(np.zeros(1))[0] == 0.5\n"
               "for attempt in ('import fastact.plot', 'fastact.plot'):\n"
               "    try:\n"
               "        exec(attempt)\n"
               "    except ImportError as exc:\n"
               "        print(exc)\n"
               "    else:\n"
               "        print('no error')\n")
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 2
    for line in lines:
        assert 'pip install "fastact[plot]"' in line
