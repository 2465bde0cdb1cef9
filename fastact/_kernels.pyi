# Type stub of the compiled module fastact/_kernels.pyx (OpenMP drivers of the
# C chunk kernels).  Checked against the built module by mypy's stubtest (CI).
# Flat arrays must be C-contiguous float32/float64 as the names say; the
# Cython memoryview types cannot be spelled here, so they are ndarrays.
from typing import Any

import numpy as np
import numpy.typing as npt

_F32 = npt.NDArray[np.float32]
_F64 = npt.NDArray[np.float64]
_Params = tuple[float, float, float, float]

CHUNK_ELEMENTS: int
PARALLEL_MIN_ELEMENTS: int
NOGIL_MIN_ELEMENTS: int
NUM_KERNELS: int
ISA_NAMES: tuple[str, ...]

def openmp_enabled() -> bool: ...
def max_threads() -> int: ...
def best_isa() -> str: ...
def compiled_isas() -> tuple[str, ...]: ...
def current_isa() -> str: ...
def use_isa(name: str) -> str: ...
def unary_plain(
    kernel_id: int, x: Any, out: Any, params: _Params
) -> npt.NDArray[np.floating[Any]] | None: ...
def unary_f32(
    kernel_id: int, x: _F32, out: _F32, params: _Params, n_threads: int | None = None
) -> None: ...
def unary_f64(
    kernel_id: int, x: _F64, out: _F64, params: _Params, n_threads: int | None = None
) -> None: ...
def grad_f32(
    kernel_id: int, x: _F32, dy: _F32, out: _F32, params: _Params,
    n_threads: int | None = None,
) -> None: ...
def grad_f64(
    kernel_id: int, x: _F64, dy: _F64, out: _F64, params: _Params,
    n_threads: int | None = None,
) -> None: ...
def softmax_rows_f32(x: _F32, out: _F32, log_out: bool, n_threads: int | None = None) -> None: ...
def softmax_rows_f64(x: _F64, out: _F64, log_out: bool, n_threads: int | None = None) -> None: ...
