"""Sizes: Ctrl-C during a long call, arrays of more than 2**31 elements, and
GEMM dimensions beyond SciPy's 32-bit BLAS interface.

* Interrupts: a subprocess starts a long elementwise, dense or dense_backward
  call and receives SIGINT.  The drivers check for signals between
  super-blocks of ``_kernels.SIGNAL_CHECK_ELEMENTS`` elements, or between
  groups of dense blocks; the test asserts that the
  KeyboardInterrupt came from inside the kernel call (its traceback goes
  through ``_kernels``), that the call stopped part-way (elements left
  unwritten) and that the process still computes correctly afterwards.  The
  reaction time is printed (``-s``), not asserted: the machine is shared.
  CI runs 1e8 elements and the dense calls; ``-m large`` runs 1e9.
* ``-m large``: float32 arrays of 2**31 + a few chunks elements (8.6 GB each,
  two or three alive at once) through the elementwise, row-wise and dense
  paths, every element compared.  They need ~18 GB of free memory.
* BLAS dimensions: zero-stride (broadcast) arrays give dense and
  dense_backward shapes beyond 2**31 - 1 without allocating them; the error
  comes before any allocation.
"""

import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import fastact
from fastact import _kernels
from fastact import activations as A
from fastact import derivatives as D
import child

INT_MAX = 2 ** 31 - 1
CHUNK = _kernels.CHUNK_ELEMENTS

# --------------------------------------------------------------------------
# Ctrl-C
# --------------------------------------------------------------------------

INTERRUPTED_CHILD = textwrap.dedent("""
    import signal, sys, time, traceback
    import numpy as np
    import fastact
    from fastact import activations as A

    # Python's Ctrl-C handler, even if the test run was started in the
    # background (a shell starts those with SIGINT ignored, and a child
    # inherits that)
    signal.signal(signal.SIGINT, signal.default_int_handler)

    what, n = sys.argv[1], int(sys.argv[2])
    fastact.dense(np.ones((2, 2)), np.ones((2, 2)))   # imports scipy.linalg: not timed
    if what == "gelu":                        # n elements, in place
        x = out = np.full(n, 0.5, np.float32)
        call = lambda: A.gelu(x, out=x)
        fresh = 0.5
    else:                                     # n rows of 512 -> 512 units
        x = np.full((n, 512), 0.5, np.float32)
        w = np.full((512, 512), 0.01, np.float32)
        fresh = 7.0
        if what == "dense":
            out = np.full((n, 512), fresh, np.float32)
            call = lambda: fastact.dense(x, w, None, "relu", out=out)
        else:                                 # dense_backward: count dx's rows
            out = np.full((n, 512), fresh, np.float32)
            outs = (out, np.empty((512, 512), np.float32), np.empty(512, np.float32))
            call = lambda: fastact.dense_backward(x, x, w, out=outs)
    try:
        print("calling", flush=True)
        call()
        print("completed", flush=True)
    except KeyboardInterrupt:
        when = time.perf_counter()
        tb = traceback.format_exc()
        in_kernel = "_kernels" in tb or "_dense_kernels" in tb
        print("interrupted", when, int(np.count_nonzero(out == fresh)), out.size, in_kernel,
              flush=True)
    # still usable: a parallel call and a dense layer, checked
    y = A.sigmoid(np.zeros(300_000, np.float32))
    z = fastact.dense(np.ones((3, 2)), np.ones((2, 4)), None, "relu")
    big = fastact.dense(np.ones((4096, 64), np.float32), np.ones((64, 64), np.float32))
    print("usable", bool((y == 0.5).all() and (z == 2).all() and (big == 64).all()), flush=True)
""")


def _interrupt(what, n):
    """(reaction seconds, unwritten outputs, all outputs, through the kernel,
    usable after)."""
    proc = subprocess.Popen([sys.executable, "-c", INTERRUPTED_CHILD, what, str(n)],
                            cwd=child.CWD, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "calling", proc.stderr.read()
        time.sleep(0.1)                       # let the child get from print() into the call
        sent = time.perf_counter()            # CLOCK_MONOTONIC: the child's clock too
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=300)
    finally:
        proc.kill()
    lines = dict(line.split(" ", 1) for line in out.splitlines())
    assert "interrupted" in lines, f"the call was not interrupted: {out} {err}"
    when, unwritten, total, in_kernel = lines["interrupted"].split()
    return (float(when) - sent, int(unwritten), int(total), in_kernel == "True",
            lines["usable"] == "True")


# gelu: 1e8 float32 elements (~0.3 s on 2 cores), 1e9 with -m large.
# dense / dense_backward: 2**18 rows of a 512 -> 512 float32 layer (6.9e10
# multiply-adds forward, twice that backward: seconds on 2 cores), whose
# GEMMs run in blocks that the signal checks come between.  How much was
# computed before the interrupt is printed, not asserted: it depends on the
# machine's load.
@pytest.mark.parametrize("what,n", [
    ("gelu", 10 ** 8), pytest.param("gelu", 10 ** 9, marks=pytest.mark.large),
    ("dense", 2 ** 18), ("dense_backward", 2 ** 18)],
    ids=["gelu-1e8", "gelu-1e9", "dense", "dense_backward"])
def test_ctrl_c_interrupts_a_long_call(what, n):
    reaction, unwritten, total, in_kernel, usable = _interrupt(what, n)
    print(f"\n{what} {n:.0e}: KeyboardInterrupt {reaction * 1000:.0f} ms after SIGINT, "
          f"{unwritten} of {total} outputs not yet computed")
    assert in_kernel, "the KeyboardInterrupt was raised outside the kernel call"
    assert unwritten > 0, "the call ran to the end before raising"
    assert usable, "fastact gave wrong results after the interrupt"


def test_signal_checks_keep_the_chunks():
    # the super-blocks are whole chunks: the check cannot move a chunk boundary
    assert _kernels.SIGNAL_CHECK_ELEMENTS % CHUNK == 0


# --------------------------------------------------------------------------
# GEMM dimensions beyond the BLAS int: a clear error, before allocating
# --------------------------------------------------------------------------

def _zeros(shape):
    return np.broadcast_to(np.float32(0), shape)      # no memory behind it


@pytest.mark.parametrize("call,dim", [
    (lambda: fastact.dense(_zeros((1, INT_MAX + 1)), _zeros((INT_MAX + 1, 1))),
     "in_features"),
    (lambda: fastact.dense(_zeros((1, 1)), _zeros((1, INT_MAX + 1)), None, "relu"), "units"),
    (lambda: fastact.dense_backward(_zeros((1, 1)), _zeros((1, INT_MAX + 1)),
                                    _zeros((INT_MAX + 1, 1))), "in_features"),
    (lambda: fastact.dense_backward(_zeros((INT_MAX + 1, 1)), _zeros((INT_MAX + 1, 1)),
                                    np.ones((1, 1), np.float32)), "rows"),
    (lambda: fastact.dense_backward(_zeros((2 ** 16, 2 ** 15, 1)), _zeros((2 ** 16, 2 ** 15, 1)),
                                    np.ones((1, 1), np.float32)), "rows"),
], ids=["dense in_features", "dense units", "backward in_features", "backward rows",
        "backward rows 3-d"])
def test_blas_dimension_beyond_int_is_a_clear_error(call, dim):
    with pytest.raises(ValueError, match=rf"\b{dim}\b.*32-bit"):
        call()


# --------------------------------------------------------------------------
# More than 2**31 elements (on demand: -m large)
# --------------------------------------------------------------------------

N_LARGE = 2 ** 31 + 5 * CHUNK + 3            # past the int range, a SIMD tail at the end
BLOCK = 2 ** 20


def _available_bytes():
    with open("/proc/meminfo") as f:
        info = dict(line.split(":") for line in f)
    return int(info["MemAvailable"].split()[0]) * 1024


def _pattern():
    i = np.arange(BLOCK)
    return (((i * 7919) % 4001) / 200.0 - 10.0).astype(np.float32)    # [-10, 10]


def _filled(n):
    """float32 array of n elements: the pattern repeated every BLOCK elements."""
    x = np.empty(n, np.float32)
    pat = _pattern()
    for s in range(0, n, BLOCK):
        x[s:s + BLOCK] = pat[:n - s]
    return x


def _assert_blocks(got, want_block, what):
    """got[s:s + BLOCK] == want_block for every block (bitwise)."""
    for s in range(0, got.shape[0], BLOCK):
        part = got[s:s + BLOCK]
        if not np.array_equal(part, want_block[:part.shape[0]], equal_nan=True):
            bad = s + int(np.argmax(part != want_block[:part.shape[0]]))
            raise AssertionError(f"{what}: element {bad} (block at {s}) differs")


@pytest.fixture
def room_for(request):
    need = request.param
    if _available_bytes() < need:
        pytest.skip(f"needs {need / 2 ** 30:.1f} GiB of available memory, "
                    f"{_available_bytes() / 2 ** 30:.1f} GiB available")


@pytest.mark.large
@pytest.mark.parametrize("room_for", [2 * 4 * N_LARGE + 2 ** 30], indirect=True)
def test_elementwise_beyond_2_to_the_31(room_for):
    pat = _pattern()
    x = _filled(N_LARGE)
    y = A.sigmoid(x)                                          # a new 8.6 GB result
    _assert_blocks(y, A.sigmoid(pat), "sigmoid")
    D.tanh(y=A.tanh(x, out=y), dy=x, out=y)                   # in place, from y, with dy
    _assert_blocks(y, D.tanh(y=A.tanh(pat), dy=pat), "tanh' from y, dy, in place")
    A.relu(x, negative_slope=0.1, max_value=3.0, out=x)       # in place, parameters
    _assert_blocks(x, A.relu(pat, negative_slope=0.1, max_value=3.0), "relu in place")


@pytest.mark.large
@pytest.mark.parametrize("room_for", [2 * 4 * N_LARGE + 2 ** 30], indirect=True)
def test_softmax_beyond_2_to_the_31(room_for):
    cols = BLOCK // 32                             # 32 rows per pattern block
    rows = N_LARGE // cols
    assert rows * cols > INT_MAX
    x = _filled(rows * cols).reshape(rows, cols)
    y = A.softmax(x)
    _assert_blocks(y.reshape(-1), A.softmax(_pattern().reshape(32, cols)).reshape(-1),
                   "softmax")


@pytest.mark.large
@pytest.mark.parametrize("room_for", [2 * 4 * N_LARGE + 2 ** 30], indirect=True)
def test_dense_with_more_than_2_to_the_31_rows(room_for):
    # rows are not a BLAS dimension in the forward pass (blocks of <= 8192 rows)
    x = _filled(N_LARGE).reshape(N_LARGE, 1)
    W = np.array([[0.5]], np.float32)
    b = np.array([0.25], np.float32)
    y = fastact.dense(x, W, b, "sigmoid")
    want = fastact.dense(_pattern().reshape(-1, 1), W, b, "sigmoid")
    _assert_blocks(y.reshape(-1), want.reshape(-1), "dense sigmoid")
