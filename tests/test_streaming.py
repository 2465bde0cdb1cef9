"""Streaming stores: the memory-bound kernels write outputs larger than the
cache with non-temporal stores, through a small tile (fa_unary_stream_f32).
How an array is split between the tile, the unaligned head and the tail must
never change a result, nor lose or skip an element: every kernel's streamed
results are compared bitwise with its plain ones, for an output whose start
is not 64-byte aligned, and in place."""

import numpy as np
import pytest

from fastact import _dispatch, _kernels, _manifest
from fastact import activations as A
from fastact import derivatives as D

FLOATS = (np.float32, np.float64)
# several chunks, a tail that is not a whole tile, and > NOGIL_MIN_ELEMENTS
N = 3 * _kernels.CHUNK_ELEMENTS + 37


@pytest.fixture
def stream_everything():
    """Lower the streaming threshold to 0 bytes for the test, then restore it."""
    previous = _kernels.set_stream_min_bytes(0)
    yield previous
    _kernels.set_stream_min_bytes(previous)


def _misaligned(n, dtype, rng, shift):
    """A float array of n elements starting `shift` elements past a 64-byte
    boundary, so the streamed loop has a head to write before its first tile."""
    itemsize = np.dtype(dtype).itemsize
    raw = np.empty(n * itemsize + 128, np.uint8)
    start = (-raw.ctypes.data) % 64 + shift * itemsize
    a = raw[start:start + n * itemsize].view(dtype)
    a[...] = rng.standard_normal(n) * 6
    a[::997] = np.nan
    a[1::991] = np.inf
    a[2::983] = -np.inf
    return a


def _params(act):
    return {q.name: (0.25 if q.default is _manifest.REQUIRED else q.default)
            for q in act.params}


def _assert_bitwise(actual, expected, what):
    u = np.dtype(f"u{actual.dtype.itemsize}")
    same = actual.view(u) == expected.view(u)
    assert same.all(), f"{what}: {np.count_nonzero(~same)} of {actual.size} elements differ"


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_only_the_memory_bound_kernels_stream(dtype, stream_everything):
    nbytes = N * np.dtype(dtype).itemsize
    for (name, mode), kid in _dispatch.KERNEL_IDS.items():
        assert _kernels.streams(kid, nbytes) == (name in _manifest.MEMORY_BOUND), (name, mode)
    _kernels.set_stream_min_bytes(nbytes)
    assert not any(_kernels.streams(kid, nbytes) for kid in _dispatch.KERNEL_IDS.values())
    assert stream_everything > 0                       # the default streams only big arrays


@pytest.mark.parametrize("shift", [0, 1, 3])
@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(_manifest.MEMORY_BOUND))
def test_streamed_results_are_bitwise_the_plain_ones(name, dtype, shift, stream_everything):
    rng = np.random.default_rng(11)
    act = _manifest.BY_NAME[name]
    p = _params(act)
    x = _misaligned(N, dtype, rng, shift)
    dy = _misaligned(N, dtype, rng, shift)
    calls = {"fwd": lambda out: A.__dict__[name](x, **p, out=out),
             "dx": lambda out: D.__dict__[name](x, **p, out=out),
             "dx*dy": lambda out: D.__dict__[name](x, **p, dy=dy, out=out)}
    for label, call in calls.items():
        _kernels.set_stream_min_bytes(1 << 62)
        plain = call(np.empty(N, dtype))
        _kernels.set_stream_min_bytes(0)
        streamed = call(_misaligned(N, dtype, rng, (shift + 1) % 4))
        _assert_bitwise(streamed, plain, f"{name} {label}, out shifted {shift + 1}")
    # in place: out is x itself, each element read before it is overwritten
    x_before = x.copy()
    _kernels.set_stream_min_bytes(1 << 62)
    plain = A.__dict__[name](x_before, **p)
    _kernels.set_stream_min_bytes(0)
    A.__dict__[name](x, **p, out=x)
    _assert_bitwise(x, plain, f"{name} in place")
