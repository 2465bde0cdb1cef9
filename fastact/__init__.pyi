# Type stub of the package namespace: the fused dense layer's signatures (the
# activation modules have their own generated stubs) and the training and plot
# modules that fastact/__init__.py imports on first access.  Checked against the
# installed package by mypy's stubtest (CI).
from collections.abc import Callable
from typing import Any, Literal, overload

import numpy as np
import numpy.typing as npt

from . import activations as activations
from . import derivatives as derivatives
from . import initializers as initializers
from . import layers as layers
from . import losses as losses
from . import metrics as metrics
from . import models as models
from . import optimizers as optimizers
from . import plot as plot

_Array = npt.NDArray[np.floating[Any]]
_ActivationArg = str | Callable[..., Any] | None

__version__: str
__all__ = ["__version__", "activations", "derivatives", "dense", "dense_backward",
           "show_config", "initializers", "layers", "losses", "metrics", "models",
           "optimizers"]

def show_config() -> None: ...
@overload
def dense(
    x: npt.ArrayLike, W: npt.ArrayLike, b: npt.ArrayLike | None = None,
    activation: _ActivationArg = "linear", *, out: _Array | None = None,
    return_z: Literal[False] = False,
) -> _Array: ...
@overload
def dense(
    x: npt.ArrayLike, W: npt.ArrayLike, b: npt.ArrayLike | None = None,
    activation: _ActivationArg = "linear", *, out: _Array | None = None,
    return_z: Literal[True],
) -> tuple[_Array, _Array]: ...
def dense_backward(
    dy: npt.ArrayLike, x: npt.ArrayLike, W: npt.ArrayLike, *, y: npt.ArrayLike | None = None,
    z: npt.ArrayLike | None = None, activation: _ActivationArg = "linear",
    use_bias: bool = True,
    out: tuple[_Array | None, _Array | None, _Array | None] | None = None,
) -> tuple[_Array, _Array, _Array | None]: ...
