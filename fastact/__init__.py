"""fastact: exact, fast activation functions and fused dense layers for NumPy.

Layers of the package (each module owns one concern):

* ``activations``, ``derivatives`` -- the public API, Keras 3 names;
* ``_dispatch`` / ``_rowwise`` -- validation, dtype rules, allocation, axes;
* ``_kernels`` (Cython) -- OpenMP loops over typed memoryviews;
* ``_src/`` (C) -- the scalar math (``fa_formulas.inc``) and the SIMD chunk
  kernels generated from ``_manifest.py``, dispatched at run time.
"""

from ._version import __version__
from . import _simd
from . import activations, derivatives
from ._config import show_config

__all__ = ["__version__", "activations", "derivatives", "show_config"]
