"""The installed package as a user gets it: version, type information, the
OpenMP runtime it loads, and what ``import fastact`` costs in modules.

CI runs these against the README's install and again against the repaired
wheel installed into a fresh venv (tools/test_wheel.sh), where the wheel's
own checks apply: the vendored libgomp is the one loaded, and no build-only
file was installed.
"""

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import fastact
from fastact import _kernels

PACKAGE = Path(fastact.__file__).parent
# auditwheel puts the libraries it vendors next to the package.
VENDORED = PACKAGE.parent / "fastact.libs"


def _distribution():
    """The installed distribution this fastact was imported from, and whether it
    is an editable install (its directory is then the source tree).  Not simply
    importlib.metadata.distribution("fastact"): a source tree on sys.path holds
    a fastact.egg-info of its own, which no installer wrote."""
    here = Path(fastact.__file__).resolve()
    for dist in importlib.metadata.distributions(name="fastact"):
        if dist.read_text("INSTALLER") is None:
            continue
        direct_url = json.loads(dist.read_text("direct_url.json") or "{}")
        if direct_url.get("dir_info", {}).get("editable"):
            return dist, True
        if dist.files and Path(dist.locate_file("fastact/__init__.py")).resolve() == here:
            return dist, False
    raise AssertionError(f"no installed distribution holds {here}")


def test_version_is_the_distributions():
    assert fastact.__version__ == _distribution()[0].version


def test_type_information_is_installed():
    for name in ("py.typed", "__init__.pyi", "activations.pyi", "derivatives.pyi",
                 "_kernels.pyi", "_dense_kernels.pyi"):
        assert (PACKAGE / name).is_file(), name


def test_stubs_name_every_public_function():
    # mypy's stubtest (CI) checks signatures; this checks the names without mypy.
    import ast
    for module in (fastact.activations, fastact.derivatives, _kernels):
        stub = ast.parse((PACKAGE / (module.__name__.rpartition(".")[2] + ".pyi")).read_text())
        stubbed = {n.name for n in stub.body if isinstance(n, ast.FunctionDef)}
        public = {n for n in dir(module) if not n.startswith("_") and callable(getattr(module, n))
                  and getattr(getattr(module, n), "__module__", None) == module.__name__}
        assert public <= stubbed, f"{module.__name__}: not in the stub: {public - stubbed}"


def test_no_build_only_files_installed():
    dist, editable = _distribution()
    if editable:
        pytest.skip("an editable install runs from the source tree")
    build_only = [str(f) for f in dist.files
                  if f.suffix in (".c", ".h", ".inc", ".tp", ".pyx", ".pxd", ".pxi")]
    assert build_only == []


def test_openmp_runtime_is_loaded_and_is_the_vendored_one():
    from threadpoolctl import threadpool_info
    openmp = [i["filepath"] for i in threadpool_info() if i["user_api"] == "openmp"]
    if not _kernels.openmp_enabled():
        assert not VENDORED.exists() or not any(VENDORED.glob("libgomp*"))
        return
    assert openmp, "fastact was built with OpenMP but threadpoolctl sees no OpenMP runtime"
    if VENDORED.exists():        # a wheel repaired by auditwheel
        ours = [p for p in openmp if Path(p).parent == VENDORED]
        assert ours, f"the vendored libgomp in {VENDORED} is not loaded; loaded: {openmp}"


LAZY = ("scipy", "threadpoolctl", "matplotlib", "fastact._dense_kernels", "fastact.layers",
        "fastact.models")


def test_import_fastact_loads_no_heavy_module():
    # What `import fastact` costs is measured by tools/import_time.sh (a timing
    # is no unit test on a shared machine); this keeps the modules that cost
    # the most off the import, loaded on first use.
    code = ("import sys, fastact; "
            f"print([m for m in {LAZY!r} if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=os.path.dirname(__file__))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
