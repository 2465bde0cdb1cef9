# Type stub of the compiled module fastact/_dense_kernels.pyx (the fused dense
# loops over SciPy's cython_blas).  Checked against the built module by mypy's
# stubtest (CI).  Matrices are C-contiguous float32 or float64, all of one
# dtype in a call (a Cython fused type, spelled here as a TypeVar).
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

_Float = TypeVar("_Float", np.float32, np.float64)
_Array = npt.NDArray[np.floating[Any]]
_Params = tuple[float, float, float, float]

BLAS_INT_MAX: int
DW_PART_MIN_ROWS: int
DW_PARTS_MAX: int

def set_blas_thread_functions(set_threads: int, get_threads: int) -> None: ...
def blas_thread_control() -> str: ...
def warm_blas_buffers(n_threads: int | None = None) -> None: ...
def dense_block_rows(n_rows: int, in_features: int, units: int, itemsize: int) -> int: ...
def dense_forward(
    x: npt.NDArray[_Float], w: npt.NDArray[_Float], bias: npt.NDArray[_Float] | None,
    z: npt.NDArray[_Float], y: npt.NDArray[_Float], kernel_id: int, rowwise: int,
    params: _Params, block_rows: int, n_threads: int | None = None,
) -> None: ...
def dw_row_parts(n_rows: int, in_features: int, units: int) -> int: ...
def dense_backward_blocks(
    dy: npt.NDArray[_Float], src: npt.NDArray[_Float], dz: npt.NDArray[_Float],
    kernel_id: int, rowwise: int, params: _Params, x: npt.NDArray[_Float],
    w: npt.NDArray[_Float], dx: npt.NDArray[_Float], dw: npt.NDArray[_Float],
    db: npt.NDArray[_Float] | None, block_rows: int, n_threads: int | None = None,
) -> None: ...
def dense_plain(
    x: Any, w: Any, bias: Any, kernel_id: int, rowwise: int, params: _Params,
    out: Any = None,
) -> _Array | None: ...
def dense_backward_plain(
    dy: Any, x: Any, w: Any, src: Any, kernel_id: int, rowwise: int, params: _Params,
    dx_out: Any, dw_out: Any, db_out: Any, use_bias: bool,
) -> tuple[_Array, _Array, _Array | None] | None: ...
