"""fastact: exact, fast activation functions and fused dense layers for NumPy.

Layers of the package (each module owns one concern):

* ``activations``, ``derivatives`` -- the public API, Keras 3 names;
* ``_dispatch`` / ``_rowwise`` -- validation, dtype rules, allocation, axes;
* ``_dense`` -- ``dense`` / ``dense_backward``: validation and allocation;
* ``_kernels`` (Cython) -- OpenMP loops over typed memoryviews, including the
  fused dense loops (``_dense_loops.pxi``, the one user of SciPy's cython_blas);
* ``_src/`` (C) -- the scalar math (``fa_formulas.inc``) and the SIMD chunk
  kernels generated from ``_manifest.py``, dispatched at run time.
"""

from ._version import __version__
from . import _simd
from . import activations, derivatives
from ._config import show_config
from ._dense import dense, dense_backward

__all__ = ["__version__", "activations", "derivatives", "dense", "dense_backward",
           "show_config"]

# Keras-style training on the fused kernels (issue 5): layers, Sequential,
# optimizers, losses, metrics, initializers.  Imported on first access
# (fastact.layers...), so that ``import fastact`` does not pay for them.
_TRAINING_MODULES = ("initializers", "layers", "losses", "metrics", "models", "optimizers")
__all__ += list(_TRAINING_MODULES)


# fastact.plot needs matplotlib (the "plot" extra): imported on first access too,
# and left out of __all__ so that ``from fastact import *`` never needs it.
_LAZY_MODULES = _TRAINING_MODULES + ("plot",)


def __getattr__(name):
    if name in _LAZY_MODULES:
        import importlib
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
