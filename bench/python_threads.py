#!/usr/bin/env python3
"""fastact called from several Python threads at once: the GIL is released.

Each workload is run two ways on the same total work, with fastact's OpenMP
and the BLAS held to one thread (threadpoolctl), so that any parallelism
comes from the Python threads alone:

* ``serial``    one Python thread makes ``T * k`` calls;
* ``threaded``  ``T`` Python threads make ``k`` calls each, at the same time,
                on shared read-only inputs (each thread writes its own ``out=``).

``speed-up`` = serial time / threaded time.  A kernel that held the GIL would
show 1.0x; T threads on T free cores can reach T.  The two ways are timed in
interleaved repeats (bench/_harness.py), medians printed.  On a shared
machine the load printed above the table bounds what is possible.

Usage:  python bench/python_threads.py [--threads 2] [--repeats 7]
"""

import argparse
from concurrent.futures import ThreadPoolExecutor

# _harness first: it sets OpenBLAS's environment before NumPy loads.
from _harness import (Contender, _fmt_load, load_average, machine_context,  # noqa: E402
                      measure, print_machine)

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

import fastact  # noqa: E402

CALLS_PER_THREAD = 4


def workloads(rng):
    """name -> function(out) making one call that writes into out, and out's template."""
    x = rng.standard_normal((2048, 256)).astype(np.float32)
    W = (rng.standard_normal((256, 256)) / 16).astype(np.float32)
    b = rng.standard_normal(256).astype(np.float32)
    dy = rng.standard_normal((2048, 256)).astype(np.float32)
    y = fastact.dense(x, W, b, "sigmoid")
    v = rng.standard_normal(1_000_000).astype(np.float32)
    for a in (x, W, b, dy, y, v):
        a.flags.writeable = False            # shared and read-only, as the issue asks
    return {
        "dense 2048x256x256 sigmoid": (lambda out: fastact.dense(x, W, b, "sigmoid", out=out),
                                       np.empty((2048, 256), np.float32)),
        "dense_backward 2048x256x256 sigmoid": (
            lambda out: fastact.dense_backward(dy, x, W, y=y, activation="sigmoid", out=out),
            (np.empty_like(x), np.empty_like(W), np.empty_like(b))),
        "gelu 1e6": (lambda out: fastact.activations.gelu(v, out=out), np.empty_like(v)),
        "sigmoid 1e6": (lambda out: fastact.activations.sigmoid(v, out=out), np.empty_like(v)),
    }


def fresh(template):
    return (tuple(np.empty_like(a) for a in template) if isinstance(template, tuple)
            else np.empty_like(template))


def contenders(call, template, threads, pool):
    outs = [fresh(template) for _ in range(threads)]

    def serial():
        for _ in range(threads * CALLS_PER_THREAD):
            call(outs[0])

    def worker(out):
        for _ in range(CALLS_PER_THREAD):
            call(out)

    def threaded():
        for future in [pool.submit(worker, out) for out in outs]:
            future.result()

    return [Contender("serial", "out", serial), Contender("threaded", "out", threaded)]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2, help="Python threads (2)")
    p.add_argument("--repeats", type=int, default=7, help="interleaved repeats (7)")
    p.add_argument("--min-time", type=float, default=0.05, help="seconds per repeat (0.05)")
    args = p.parse_args(argv)

    print_machine("fastact from several Python threads (bench/python_threads.py)",
                  machine_context({}))
    print(f"fastact's OpenMP and the BLAS on 1 thread; {args.threads} Python threads x "
          f"{CALLS_PER_THREAD} calls against 1 thread x {args.threads * CALLS_PER_THREAD} calls, "
          f"float32\n")
    print(f"{'workload':40s} {'serial':>10s} {'threaded':>10s} {'speed-up':>9s}")
    with threadpool_limits(1), ThreadPoolExecutor(args.threads) as pool:
        for name, (call, template) in workloads(np.random.default_rng(0)).items():
            medians, _, _ = measure(contenders(call, template, args.threads, pool),
                                    args.repeats, args.min_time)
            s, t = medians["serial"], medians["threaded"]
            print(f"{name:40s} {s * 1e3:8.2f}ms {t * 1e3:8.2f}ms {s / t:8.2f}x")
    print(f"\n{_fmt_load(load_average())} at the end")


if __name__ == "__main__":
    main()
