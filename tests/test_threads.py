"""Threads: fastact's OpenMP is visible to threadpoolctl and obeys it; results are
bitwise the same for any thread count; Python threads may call fastact
concurrently (different and shared read-only inputs) and the kernels release
the GIL.

No test here asserts a speed: the machine is shared.  The GIL test asserts
that the main thread ran Python code *while* another thread was inside a
kernel, which cannot happen if the kernel held the GIL.
"""

import os
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import fastact
from fastact import _kernels, _manifest
from fastact import activations as A
from fastact import derivatives as D
import child

openmp_only = pytest.mark.skipif(not _kernels.openmp_enabled(),
                                 reason="serial build (FASTACT_DISABLE_OPENMP)")
FLOATS = (np.float32, np.float64)
CHUNK = _kernels.CHUNK_ELEMENTS


def run_python(code, **env):
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=child.CWD,
                          capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, **env))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def assert_bitwise(actual, expected, what):
    assert actual.dtype == expected.dtype and actual.shape == expected.shape, what
    a, e = np.ascontiguousarray(actual), np.ascontiguousarray(expected)
    u = np.dtype(f"u{a.dtype.itemsize}")
    same = (a.view(u) == e.view(u)) | (np.isnan(a) & np.isnan(e))
    assert same.all(), f"{what}: {np.count_nonzero(~same)} of {a.size} elements differ"


# --------------------------------------------------------------------------
# threadpoolctl sees fastact's OpenMP and limits it
# --------------------------------------------------------------------------

@openmp_only
def test_threadpool_info_lists_fastacts_openmp_after_import():
    # a fresh interpreter: only `import fastact` (NumPy itself uses no OpenMP),
    # and the OpenMP library listed is the one fastact's extension has mapped
    out = run_python("""
        import json
        import fastact
        from fastact import _kernels
        from threadpoolctl import threadpool_info
        maps = open("/proc/self/maps").read()
        print(json.dumps([(i["prefix"], i["filepath"] in maps, i["num_threads"])
                          for i in threadpool_info() if i["user_api"] == "openmp"]))
    """)
    import json
    libs = json.loads(out)
    assert libs, "threadpoolctl found no OpenMP runtime after import fastact"
    assert all(mapped for _, mapped, _ in libs)
    assert {prefix for prefix, _, _ in libs} <= {"libgomp", "libomp", "libiomp"}


@openmp_only
def test_threadpool_limits_one_starts_no_thread():
    # OS threads of the process before and after a call big enough to run on
    # every thread allowed: under threadpool_limits(1) none is started; under
    # threadpool_limits(2) OpenMP starts one worker (a fresh interpreter, so no
    # pool exists yet; SciPy's OpenBLAS starts its threads when loaded, before counting).
    out = run_python("""
        import os
        import numpy as np
        import fastact
        from fastact import activations as A
        from threadpoolctl import threadpool_limits

        def threads():
            return len(os.listdir("/proc/self/task"))

        x = np.ones(4_000_000, np.float32)
        with threadpool_limits(1, user_api="openmp"):
            # loads SciPy's BLAS and its threads; the first dense call's
            # warm_blas_buffers would otherwise start the OpenMP team
            fastact.dense(np.ones((2, 2)), np.ones((2, 2)))
        start = threads()
        with threadpool_limits(1, user_api="openmp"):
            A.sigmoid(x)
            A.softmax(x.reshape(2000, 2000))
            fastact.dense(np.ones((4000, 200)), np.ones((200, 300)), None, "relu")
        one = threads()
        with threadpool_limits(2, user_api="openmp"):
            A.sigmoid(x)
        print(start, one, threads())
    """)
    start, one, two = map(int, out.split())
    assert one == start, f"threadpool_limits(1): {one - start} thread(s) started"
    assert two == start + 1, f"threadpool_limits(2): {two - start} thread(s) started, not 1"


@openmp_only
@pytest.mark.parametrize("limit", [1, 2, 3])
def test_threadpool_limits_sets_the_team_size(limit):
    with threadpool_limits(limit, user_api="openmp"):
        assert _kernels.max_threads() == limit
        assert str(limit) in [line.split(":")[1].strip() for line in _config_lines()
                              if line.startswith("threads")]


def _config_lines():
    import contextlib
    import io
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        fastact.show_config()
    return buf.getvalue().splitlines()


# --------------------------------------------------------------------------
# Bitwise the same for 1, 2, 3 and 4 threads
# --------------------------------------------------------------------------

THREAD_COUNTS = (1, 2, 3, 4)


def assert_same_for_every_thread_count(call, what):
    """call() under threadpool_limits(t) for each t: bitwise the result for 1."""
    results = {}
    for t in THREAD_COUNTS:
        with threadpool_limits(t, user_api="openmp"):
            results[t] = _flatten(call())
    for t in THREAD_COUNTS[1:]:
        for i, (got, want) in enumerate(zip(results[t], results[1])):
            assert_bitwise(got, want, f"{what} (result {i}): {t} threads vs 1")


def _inputs(dtype):
    rng = np.random.default_rng(7)
    n = 5 * CHUNK + 7                 # several chunks and a tail: > PARALLEL_MIN_ELEMENTS
    x = (rng.standard_normal(n) * 6).astype(dtype)
    x[::997] = np.nan
    x[1::991] = np.inf
    return x, (rng.standard_normal(n)).astype(dtype)


def _elementwise_calls(act):
    """(label, f(x, dy)) for the activation, its derivative and the fused dy= form."""
    p = {q.name: (0.25 if q.default is _manifest.REQUIRED else q.default) for q in act.params}
    f, d = getattr(A, act.name), getattr(D, act.name)
    return [("fwd", lambda x, dy: f(x, **p)),
            ("dx", lambda x, dy: d(x, **p)),
            ("dx*dy", lambda x, dy: d(x, **p, dy=dy))]


@openmp_only
@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("act", _manifest.ELEMENTWISE, ids=lambda a: a.name)
def test_elementwise_bitwise_for_every_thread_count(act, dtype):
    x, dy = _inputs(dtype)
    for label, call in _elementwise_calls(act):
        assert_same_for_every_thread_count(lambda: call(x, dy), f"{act.name} {label}")


@openmp_only
@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_drivers_n_threads_argument_is_bitwise_neutral(dtype):
    # the drivers' explicit n_threads (bypassing the global setting)
    x, _ = _inputs(dtype)
    unary = _kernels.unary_f32 if dtype == np.float32 else _kernels.unary_f64
    kid = fastact._dispatch.KERNEL_IDS["gelu", "fwd"]
    results = {}
    for t in THREAD_COUNTS:
        out = np.empty_like(x)
        unary(kid, x, out, (0.0,) * 4, t)
        results[t] = out
    for t in THREAD_COUNTS[1:]:
        assert_bitwise(results[t], results[1], f"n_threads={t} vs 1")


@openmp_only
@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("act", ["softmax", "log_softmax", "sparsemax", "glu"])
def test_rowwise_bitwise_for_every_thread_count(act, dtype):
    x, dy = _inputs(dtype)
    n = (x.size // 64) * 64
    x, dy = x[:n].reshape(-1, 64), dy[:n].reshape(-1, 64)
    calls = [("fwd", lambda: getattr(A, act)(x))]
    if act == "glu":
        calls.append(("vjp", lambda: D.glu(dy[:, :32], x)))
    else:
        calls.append(("vjp", lambda: getattr(D, act)(dy, x=x)))
    for label, call in calls:
        assert_same_for_every_thread_count(call, f"{act} {label}")


@openmp_only
@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("act", ["linear", "gelu", "softmax", "relu"])
def test_dense_bitwise_for_every_thread_count(act, dtype):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3000, 120)).astype(dtype)
    W = (rng.standard_normal((120, 70)) / 11).astype(dtype)
    b = rng.standard_normal(70).astype(dtype)
    dy = rng.standard_normal((3000, 70)).astype(dtype)

    def forward_and_backward():
        y, z = fastact.dense(x, W, b, act, return_z=True)
        return (y, z) + fastact.dense_backward(dy, x, W, z=z, activation=act)

    # repeated: a race (BLAS threads switched on mid-call) shows only now and then
    for _ in range(5):
        assert_same_for_every_thread_count(forward_and_backward, f"dense {act} y, z, dx, dW, db")


# --------------------------------------------------------------------------
# 8 Python threads at once
# --------------------------------------------------------------------------

def _workload(rng_seed, shared=None):
    """A list of (label, thunk): activations, derivatives, row-wise, dense, on
    inputs of its own or on `shared` ones."""
    rng = np.random.default_rng(rng_seed)
    if shared is None:
        x32 = (rng.standard_normal(300_000) * 5).astype(np.float32)
        x64 = rng.standard_normal((500, 300))
        W = rng.standard_normal((300, 40)) / 17
        b = rng.standard_normal(40)
    else:
        x32, x64, W, b = shared
    return [
        ("sigmoid32", lambda: A.sigmoid(x32)),
        ("gelu64", lambda: A.gelu(x64)),
        ("relu32", lambda: A.relu(x32, negative_slope=0.1, max_value=3.0)),
        ("tanh' dy", lambda: D.tanh(x32, dy=x32)),
        ("elu' from y", lambda: D.elu(y=A.elu(x64))),
        ("softmax", lambda: A.softmax(x64)),
        ("log_softmax F", lambda: A.log_softmax(np.asfortranarray(x64), axis=0)),
        ("dense", lambda: fastact.dense(x64, W, b, "silu")),
        ("dense_backward", lambda: fastact.dense_backward(
            np.ones((500, 40)), x64, W, z=fastact.dense(x64, W, b, return_z=True)[1],
            activation="silu")),
    ]


def _read_only_shared():
    rng = np.random.default_rng(99)
    arrays = [(rng.standard_normal(300_000) * 5).astype(np.float32),
              rng.standard_normal((500, 300)),
              rng.standard_normal((300, 40)) / 17,
              rng.standard_normal(40)]
    for a in arrays:
        a.flags.writeable = False
    return arrays


def _flatten(result):
    return list(result) if isinstance(result, tuple) else [result]


ROUNDS = 3


def _run_concurrently(jobs):
    """Thread i runs every job of jobs[i], ROUNDS times, starting together with
    the others (each thread in its own order)."""
    barrier = threading.Barrier(len(jobs))

    def worker(i):
        barrier.wait(timeout=60)
        got = []
        for _ in range(ROUNDS):
            for j in range(len(jobs[i])):
                label, thunk = jobs[i][(i + j) % len(jobs[i])]
                got.append((label, _flatten(thunk())))
        return got

    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = [pool.submit(worker, i) for i in range(len(jobs))]
        return [f.result(timeout=300) for f in futures]      # a deadlock fails here


@pytest.mark.parametrize("omp", [1, None], ids=["omp1", "omp-default"])
@pytest.mark.parametrize("inputs", ["shared-read-only", "per-thread"])
def test_eight_python_threads_match_the_serial_results(inputs, omp):
    with threadpool_limits(omp, user_api="openmp"):
        if inputs == "shared-read-only":
            shared = _read_only_shared()
            jobs = [_workload(0, shared)] * 8
        else:
            jobs = [_workload(seed) for seed in range(8)]
        serial = [{label: _flatten(thunk()) for label, thunk in job} for job in jobs]
        concurrent = _run_concurrently(jobs)
    for i, got in enumerate(concurrent):
        assert len(got) == ROUNDS * len(jobs[i])
        for label, arrays in got:
            for a, s in zip(arrays, serial[i][label]):
                if s is None:
                    assert a is None
                else:
                    assert_bitwise(a, s, f"thread {i} {label}")
    if inputs == "shared-read-only":
        assert all(not a.flags.writeable for a in shared)


# --------------------------------------------------------------------------
# The GIL is released inside the kernels
# --------------------------------------------------------------------------

def _main_thread_ran_during(call):
    """Run call() on another thread while this one records timestamps; return
    (timestamps inside the middle 80 % of the call, call duration).  If the
    call held the GIL, this thread could not run a single bytecode then."""
    span = {}

    def target():
        span["start"] = time.perf_counter()
        call()
        span["stop"] = time.perf_counter()

    stamps = []
    worker = threading.Thread(target=target)
    worker.start()
    while worker.is_alive():
        stamps.append(time.perf_counter())
    worker.join()
    start, stop = span["start"], span["stop"]
    margin = 0.1 * (stop - start)
    inside = [t for t in stamps if start + margin < t < stop - margin]
    return len(inside), stop - start


def _big_calls():
    rng = np.random.default_rng(5)
    x = rng.standard_normal(8_000_000)
    m = rng.standard_normal((4000, 1000))
    W = rng.standard_normal((1000, 500)) / 31
    dy = np.ones((4000, 500))
    return {
        "gelu": lambda: A.gelu(x),
        "tanh' dy": lambda: D.tanh(x, dy=x),
        "softmax": lambda: A.softmax(m),
        "dense": lambda: fastact.dense(m, W, None, "sigmoid"),
        "dense_backward": lambda: fastact.dense_backward(dy, m, W, activation="linear"),
    }


@pytest.mark.parametrize("name", ["gelu", "tanh' dy", "softmax", "dense", "dense_backward"])
def test_kernels_release_the_gil(name):
    call = _big_calls()[name]
    call()                                     # warm: page faults, imports, BLAS threads
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-4)                # the main thread gets the GIL back fast
    try:
        with threadpool_limits(1, user_api="openmp"):
            inside, duration = _main_thread_ran_during(call)
    finally:
        sys.setswitchinterval(switch)
    assert inside > 0, (f"{name}: the main thread did not run once in {duration:.3f} s "
                        f"of the call: the kernel holds the GIL")
