"""fork after fastact has run threads: the child's calls complete.

GNU libgomp is not fork-safe: a child forked after the parent ran a parallel
region inherits a thread pool whose threads do not exist in it, and its first
parallel region of two or more threads waits for them forever (before the
fix, the script below hung in the child's first sigmoid).  fastact registers a
pthread_atfork handler and runs every loop on one thread in a forked child
(fa_omp.h).

Each scenario runs in a fresh interpreter under a timeout, so a hang fails the
test instead of hanging the suite; OMP_NUM_THREADS=2 makes the parent use two
threads even on a one-core machine.  The child's results must be bitwise the
parent's (fixed chunks: the thread count never changes the bits).
"""

import os
import subprocess
import sys
import textwrap

import pytest

from fastact import _kernels

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")

SCRIPT = textwrap.dedent("""
    import multiprocessing as mp
    import os
    import pickle
    import select
    import sys

    import numpy as np

    import fastact
    from fastact import _kernels
    from fastact import activations as A
    from fastact import derivatives as D

    USE_DENSE_BEFORE_FORK = sys.argv[1] == "dense-before-fork"
    HOW = sys.argv[2]


    def elementwise():
        rng = np.random.default_rng(0)
        x = rng.standard_normal(400_000).astype(np.float32)   # 25 chunks: 2 threads
        x64 = x.astype(np.float64)
        return [A.sigmoid(x), A.gelu(x64), D.tanh(x, dy=x), D.elu(y=A.elu(x64)),
                A.softmax(x.reshape(400, 1000)), A.log_softmax(x64.reshape(1000, 400))]


    def dense():
        rng = np.random.default_rng(1)
        x = rng.standard_normal((2000, 300))                   # 4 blocks of 500 rows
        W = rng.standard_normal((300, 64)) / 17
        b = rng.standard_normal(64)
        y, z = fastact.dense(x, W, b, "gelu", return_z=True)
        return [y, *fastact.dense_backward(np.ones_like(y), x, W, z=z, activation="gelu")]


    def work(_=None):
        return (_kernels.forked_child(), _kernels.max_threads(), elementwise() + dense())


    def same(a, b):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


    if __name__ == "__main__":
        assert _kernels.max_threads() == 2, _kernels.max_threads()
        parent = elementwise() + (dense() if USE_DENSE_BEFORE_FORK else [])
        ctx = mp.get_context("fork")
        if HOW == "process":
            parent_end, child_end = ctx.Pipe()
            proc = ctx.Process(target=lambda: child_end.send(work()))
            proc.start()
            if not parent_end.poll(60):
                proc.kill()
                sys.exit("HANG: the forked child did not finish in 60 s")
            results = [parent_end.recv()]
            proc.join()
        elif HOW == "pool":
            with ctx.Pool(2) as pool:
                results = pool.map_async(work, range(2)).get(timeout=60)
        else:                                                  # a bare os.fork
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:
                with os.fdopen(write, "wb") as pipe:
                    pipe.write(pickle.dumps(work()))
                os._exit(0)
            os.close(write)
            chunks = []
            while True:
                if not select.select([read], [], [], 60)[0]:
                    os.kill(pid, 9)
                    sys.exit("HANG: the forked child did not finish in 60 s")
                data = os.read(read, 1 << 20)
                if not data:
                    break
                chunks.append(data)
            os.waitpid(pid, 0)
            results = [pickle.loads(b"".join(chunks))]
        reference = elementwise() + dense()
        for forked, threads, arrays in results:
            assert forked and threads == 1, (forked, threads)
            assert len(arrays) == len(reference)
            assert all(same(a, r) for a, r in zip(arrays, reference)), "child result differs"
        assert all(same(a, r) for a, r in zip(parent, reference))
        assert not _kernels.forked_child() and _kernels.max_threads() == 2
        print("OK", len(results), "children")
""")


@pytest.mark.skipif(not _kernels.openmp_enabled(), reason="serial build: nothing to hang")
@pytest.mark.parametrize("how", ["process", "pool", "os.fork"])
@pytest.mark.parametrize("before", ["dense-before-fork", "dense-first-in-child"])
def test_forked_child_completes_with_the_parents_results(how, before, tmp_path):
    script = tmp_path / "fork_script.py"
    script.write_text(SCRIPT)
    env = dict(os.environ, OMP_NUM_THREADS="2")
    try:
        proc = subprocess.run([sys.executable, str(script), before, how], env=env,
                              capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"fork scenario hung (no answer in 180 s): {exc.stdout} {exc.stderr}")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("OK"), proc.stdout + proc.stderr


def test_this_process_is_not_marked_forked():
    # the handler runs in children only: the test process keeps its threads
    assert not _kernels.forked_child()
