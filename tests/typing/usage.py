"""What a user's typed code does with fastact; `mypy --strict` must accept it.

Not a pytest module (no test_ prefix): CI runs mypy on it (tools/check_typing.sh),
and mypy then reads fastact's stubs (py.typed, the .pyi files) from the installed
package.  Each call's result is bound to a declared type, so a stub that returns
the wrong thing (or Any where --strict forbids it) fails the check.
"""

import functools

import numpy as np
import numpy.typing as npt

import fastact
from fastact import _dense_kernels, _kernels, activations, derivatives

Array = npt.NDArray[np.floating]


def forward_and_back(x: npt.NDArray[np.float32]) -> tuple[Array, Array]:
    y: Array = activations.sigmoid(x)
    r: Array = activations.relu(x, negative_slope=0.1, max_value=6.0)
    s: Array = activations.softmax(x.reshape(4, -1), axis=(0, 1))
    t: Array = activations.threshold(x, 0.5, 0.0, out=np.empty_like(x))
    g: Array = derivatives.sigmoid(y=y, dy=np.ones_like(y))
    v: Array = derivatives.softmax(np.ones_like(s), y=s)
    return r + t + g, v


def layer(x: npt.NDArray[np.float64], w: npt.NDArray[np.float64]) -> Array:
    h: Array = fastact.dense(x, w, np.zeros(w.shape[1]), "gelu")
    leaky = functools.partial(activations.leaky_relu, negative_slope=0.1)
    y, z = fastact.dense(x, w, None, leaky, return_z=True)
    dx, dw, db = fastact.dense_backward(np.ones_like(y), x, w, z=z, activation=leaky)
    assert db is not None and dx.shape == x.shape and dw.shape == w.shape
    return h


def runtime() -> str:
    used: str = _kernels.use_isa(_kernels.current_isa())
    compiled: tuple[str, ...] = _kernels.compiled_isas()
    rows: int = _dense_kernels.dense_block_rows(256, 784, 128, 4)
    return f"{fastact.__version__} {used} {compiled} {rows} {_kernels.openmp_enabled()}"


def lookup(name: str) -> str:
    return activations.serialize(activations.get(name))


if __name__ == "__main__":
    x = np.linspace(-4, 4, 64, dtype=np.float32)
    print(forward_and_back(x)[0].shape, layer(np.ones((2, 3)), np.ones((3, 4))).shape)
    print(runtime(), lookup("swish"))
    fastact.show_config()
