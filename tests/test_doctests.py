"""The examples in fastact's docstrings and documentation pages run, against
the installed package.

Every module of the package is searched, the private ones too (``dense``
documents itself in ``fastact._dense``); a module that needs a missing
optional dependency is skipped and says which.  The examples are the
numpydoc ``Examples`` sections that the documentation shows, and the
``>>>`` blocks of the pages in ``docs/``, so a wrong output here is a wrong
page there.
"""

import doctest
import importlib
import inspect
import pkgutil
import types
from pathlib import Path

import numpy as np
import pytest

import fastact

MODULES = ["fastact"] + sorted(m.name for m in pkgutil.iter_modules(fastact.__path__,
                                                                     "fastact."))
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = sorted(p.name for p in DOCS.rglob("*.rst") if ">>> " in p.read_text(encoding="utf-8"))


def _import(name):
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        if name.split(".")[-1].startswith("_"):
            raise                      # the package's own parts are never optional
        pytest.skip(f"{name} needs an optional dependency: {exc}")


def _public_objects():
    """(qualified name, object) of every public function and class: the names in
    the ``__all__`` of fastact and of its public modules."""
    found = []
    for name in fastact.__all__:
        obj = getattr(fastact, name)
        if isinstance(obj, types.ModuleType):
            for member in obj.__all__:
                found.append((f"{obj.__name__}.{member}", getattr(obj, member)))
        else:
            found.append((f"fastact.{name}", obj))
    return [(n, o) for n, o in found if inspect.isclass(o) or callable(o)]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = _import(name)
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    report = []
    with np.printoptions(legacy=False):          # the reprs the examples show
        for test in doctest.DocTestFinder().find(module, name):
            runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)


@pytest.mark.parametrize("page", PAGES)
def test_documentation_page_examples_run(page):
    path = DOCS / page
    test = doctest.DocTestParser().get_doctest(path.read_text(encoding="utf-8"), {}, page,
                                               str(path), 0)
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    report = []
    with np.printoptions(legacy=False):
        runner.run(test, out=report.append)
    assert runner.summarize(verbose=False).failed == 0, "".join(report)


def test_the_examples_are_found():
    """The runner above sees the generated docstrings (30 activations, 30
    derivatives), not an empty search that would pass trivially."""
    for module_name in ("fastact.activations", "fastact.derivatives"):
        module = importlib.import_module(module_name)
        tests = [t for t in doctest.DocTestFinder().find(module, module_name) if t.examples]
        assert len(tests) >= 30, (module_name, len(tests))
    assert "quickstart.rst" in PAGES


@pytest.mark.parametrize("qualname,obj", _public_objects(), ids=lambda v: v
                         if isinstance(v, str) else "")
def test_every_public_function_and_class_has_a_runnable_example(qualname, obj):
    doc = inspect.getdoc(obj) or ""
    assert "\nExamples\n--------\n" in doc and ">>> " in doc, \
        f"{qualname} has no numpydoc Examples section with a doctest"
