"""Sphinx directives that write fastact's repetitive pages from their sources.

* ``fastact-setup-commands`` -- the README's set-up block, found by the same
  marker ``.ci/run`` uses, so the commands exist in one place;
* ``fastact-gallery`` -- one section per activation of ``fastact._manifest``
  (formula, derivative, kinks, accuracy bounds, Keras and PyTorch
  counterparts) with a plot of f and f' drawn by the installed fastact;
* ``fastact-bounds`` -- the table of accuracy bounds, from the manifest;
* ``fastact-from-y`` -- which activations ``dense_backward`` can
  differentiate from the output y and which need the pre-activation z;
* ``fastact-examples`` -- each script of ``docs/examples``: its docstring,
  then its source;
* ``fastact-show-config`` -- what ``fastact.show_config()`` prints on the
  machine that builds the pages.

The plots are PNGs drawn by ``fastact.plot.activation`` and written to
``docs/_generated/`` (ignored by git) while the pages are read.
"""

import ast
import re
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

from fastact import _docs, _manifest, activations

GENERATED = "_generated"
SETUP_MARKER = "<!-- setup commands"

# x range of each plot when (-6, 6) hides the shape.
_PLOT_RANGE = {"exponential": (-4.0, 2.5), "relu6": (-2.0, 8.0), "relu": (-4.0, 8.0),
               "threshold": (-2.0, 3.0), "hard_shrink": (-2.0, 2.0),
               "soft_shrink": (-2.0, 2.0), "sparse_plus": (-3.0, 3.0),
               "sparse_sigmoid": (-3.0, 3.0), "hard_tanh": (-3.0, 3.0)}

# What a row-wise function's 1-D picture shows: a slice through its input.
_ROWWISE_SLICE = {
    "softmax": "the first entry of softmax([x, 0]), i.e. sigmoid(x)",
    "log_softmax": "the first entry of log_softmax([x, 0]), i.e. log_sigmoid(x)",
    "sparsemax": "the first entry of sparsemax([x, 0]), i.e. clip((x + 1) / 2, 0, 1)",
    "glu": "glu([x, x]) = x * sigmoid(x); its derivative along that line",
}


def _rst(directive, text):
    """Parse generated reStructuredText (sections allowed) into nodes."""
    container = nodes.section()
    container.document = directive.state.document
    source = directive.get_source_info()[0]
    lines = StringList(text.split("\n"), source=source)
    nested_parse_with_titles(directive.state, lines, container)
    return container.children


def _example_params(name):
    """The parameters of the docstring example (a Python keyword string) as a dict."""
    params = _docs.EXAMPLES[name][1]
    if not params:
        return {}
    call = ast.parse(f"f({params})", mode="eval").body
    return {kw.arg: ast.literal_eval(kw.value) for kw in call.keywords}


def _plot_activation(name, params, path):
    """f and f' drawn by ``fastact.plot.activation`` (the figure a user gets),
    with the parameters of the docstring example bound."""
    import functools

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from fastact import plot

    fn = functools.partial(getattr(activations, name), **params) if params else name
    fig = plot.activation(fn, x_range=_PLOT_RANGE.get(name, (-6.0, 6.0)))
    fig.set_size_inches(6.4, 3.4)
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _param_text(act):
    if not act.params:
        return "none"
    parts = []
    for p in act.params:
        default = "required" if p.default is _manifest.REQUIRED else f"default ``{p.default!r}``"
        parts.append(f"``{p.name}`` ({default})")
    return ", ".join(parts)


def _gallery_section(act, image):
    name = act.name
    summary = activations.get(name).__doc__.split("\n")[0]
    params = _example_params(name)
    aliases = [a for a, target in _manifest.ALIASES.items() if target == name]
    torch, difference = _docs.COUNTERPARTS[name]
    what = _ROWWISE_SLICE.get(name, "f (solid) and its derivative (dashed)")
    shown = " with " + ", ".join(f"{k}={v!r}" for k, v in params.items()) if params else ""
    lines = [
        name, "-" * len(name), "",
        summary + (f"  Alias: {', '.join('``' + a + '``' for a in aliases)}." if aliases else ""),
        "",
        f".. figure:: /{image}",
        f"   :alt: plot of {name} and its derivative", "",
        f"   {what}{shown}.", "",
        f":f(x): ``{act.formula}``",
        f":derivative: ``{act.derivative}``",
        f":parameters: {_param_text(act)}",
        f":kinks: ``{act.kinks}``",
        f":accuracy: f: {_docs.bound_text(act.ulp)}; derivative: "
        f"{_docs.derivative_bound_text(act)}",
        f":Keras: ``keras.activations.{name}``",
        f":PyTorch: {'``' + torch + '``' if torch else 'none'}; {difference}",
        f":API: :func:`fastact.activations.{name}`, :func:`fastact.derivatives.{name}`",
        "",
    ]
    return "\n".join(lines)


class GalleryDirective(SphinxDirective):
    """One section per activation, in the manifest's (alphabetical) order."""

    def run(self):
        outdir = Path(self.env.srcdir) / GENERATED / "gallery"
        outdir.mkdir(parents=True, exist_ok=True)
        text = []
        for act in _manifest.ACTIVATIONS:
            image = f"{GENERATED}/gallery/{act.name}.png"
            _plot_activation(act.name, _example_params(act.name), outdir / f"{act.name}.png")
            text.append(_gallery_section(act, image))
        return _rst(self, "\n".join(text))


class BoundsDirective(SphinxDirective):
    """The accuracy bounds of every activation, as a table."""

    def run(self):
        lines = [".. list-table::", "   :header-rows: 1", "   :widths: 20 40 40", "",
                 "   * - activation", "     - f", "     - derivative"]
        for act in _manifest.ACTIVATIONS:
            lines += [f"   * - :func:`~fastact.activations.{act.name}`",
                      f"     - {_docs.bound_text(act.ulp)}",
                      f"     - {_docs.derivative_bound_text(act)}"]
        return _rst(self, "\n".join(lines))


class FromYDirective(SphinxDirective):
    """Which activations dense_backward can differentiate from y (default parameters)."""

    def run(self):
        from_y, need_z = [], []
        for act in _manifest.ACTIVATIONS:
            if act.name == "linear":
                continue
            defaults = {p.name: p.default for p in act.params}
            if act.kind == "rowwise":
                ok = act.name != "glu"
            else:
                ok = act.from_y is not None and act.from_y(defaults) is None
            (from_y if ok else need_z).append(f"``{act.name}``")
        text = (f"* from ``y=`` (the output): {', '.join(from_y)};\n"
                f"* from ``z=`` only (the pre-activation): {', '.join(need_z)}.")
        return _rst(self, text)


class SetupCommandsDirective(SphinxDirective):
    """The README's set-up block, verbatim (the block .ci/run runs)."""

    def run(self):
        readme = Path(self.env.srcdir).parent / "README.md"
        self.env.note_dependency(str(readme))
        text = readme.read_text(encoding="utf-8")
        match = re.search(re.escape(SETUP_MARKER) + r".*?\n```\w*\n(.*?)\n```", text, re.S)
        if match is None:
            raise self.error(f"no setup block after {SETUP_MARKER!r} in {readme}")
        block = nodes.literal_block(match.group(1), match.group(1))
        block["language"] = "bash"
        return [block]


class ExamplesDirective(SphinxDirective):
    """Each docs/examples script: a section with its docstring and its source."""

    def run(self):
        folder = Path(self.env.srcdir) / "examples"
        text = []
        for script in sorted(folder.glob("*.py")):
            self.env.note_dependency(str(script))
            doc = ast.get_docstring(ast.parse(script.read_text(encoding="utf-8")))
            title = script.name
            text += [title, "-" * len(title), "", doc, "",
                     f".. literalinclude:: /examples/{script.name}",
                     "   :language: python", "   :lines: " + _after_docstring(script), ""]
        return _rst(self, "\n".join(text))


class ShowConfigDirective(SphinxDirective):
    """The output of fastact.show_config() on the building machine."""

    def run(self):
        import contextlib
        import io
        import fastact
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            fastact.show_config()
        text = buffer.getvalue().rstrip()
        block = nodes.literal_block(text, text)
        block["language"] = "text"          # not Python: no keywords to colour
        return [block]


def _after_docstring(script):
    """The line range of a script after its module docstring (``N-``)."""
    tree = ast.parse(script.read_text(encoding="utf-8"))
    return f"{tree.body[0].end_lineno + 2}-"


def setup(app):
    app.add_directive("fastact-gallery", GalleryDirective)
    app.add_directive("fastact-bounds", BoundsDirective)
    app.add_directive("fastact-from-y", FromYDirective)
    app.add_directive("fastact-setup-commands", SetupCommandsDirective)
    app.add_directive("fastact-examples", ExamplesDirective)
    app.add_directive("fastact-show-config", ShowConfigDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
