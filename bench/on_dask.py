#!/usr/bin/env python3
"""fastact on Dask: against NumPy and SciPy on Dask, and against fastact in memory.

What it runs
------------
Rows of 64 float32 features, on a ``LocalCluster`` of WORKERS processes with
one thread each (Dask's default for processes; OpenMP and BLAS are then held
to one thread per worker), two pipelines:

* ``sigmoid``  ``fastact.activations.sigmoid(x)`` against
               ``scipy.special.expit(x)`` (Dask runs the ufunc block by block);
* ``network``  ``Sequential([Dense(256, "relu"), Dense(10, "softmax")]).predict``
               against the same network in NumPy on Dask
               (``h = maximum(x @ W1 + b1, 0)``, a stable softmax of
               ``h @ W2 + b2``), with the model's weights.

The input is generated on the workers and persisted before any timing, and
every result is persisted on the workers (``persist`` + ``wait``), not
gathered: a figure is the time to compute the whole result on the cluster.
The same pipeline in memory (fastact on a NumPy array of the same rows, in
this process, on as many OpenMP threads as there are workers) is the
reference of the engine's overhead: ``dask/memory`` is the time on Dask over
the time in memory (target <= 1.3 at 1e7 rows).  Contenders run in
interleaved rounds; a figure is the median.

Usage
-----
    python bench/on_dask.py                       # 1e7 rows, about 3 minutes
    python bench/on_dask.py --rows 1e6 --repeats 3 --json dask.json
"""

import argparse
import json
import statistics
import sys
import time

# _harness first: it sets OpenBLAS's environment before NumPy loads.
from _harness import load_average, machine_context, print_machine  # noqa: E402

import numpy as np  # noqa: E402
import scipy.special  # noqa: E402

import fastact  # noqa: E402
from fastact.layers import Dense, Input  # noqa: E402
from fastact.models import Sequential  # noqa: E402

FEATURES = 64
TARGET = 1.3          # dask / in-memory time, at 1e7 rows


def network(seed=0):
    model = Sequential([Input((FEATURES,)), Dense(256, activation="relu"),
                        Dense(10, activation="softmax")])
    rng = np.random.default_rng(seed)
    model.set_weights([w + rng.standard_normal(w.shape).astype(w.dtype) * 0.01
                       for w in model.get_weights()])
    return model


def numpy_network(x, weights):
    """The network of ``network()`` in NumPy operations on a Dask array."""
    import dask.array as da
    W1, b1, W2, b2 = weights
    h = da.maximum(x @ W1 + b1, 0)
    z = h @ W2 + b2
    e = da.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def pipelines(x_dask, x_memory, batch_size):
    """{pipeline: [(label, kind, call)]}; a call returns a lazy array or an ndarray."""
    model = network()
    weights = model.get_weights()
    return {
        "sigmoid": [
            ("fastact on Dask", "dask", lambda: fastact.activations.sigmoid(x_dask)),
            ("scipy.special.expit on Dask", "dask", lambda: scipy.special.expit(x_dask)),
            ("fastact in memory", "memory", lambda: fastact.activations.sigmoid(x_memory)),
        ],
        "network": [
            ("fastact on Dask", "dask", lambda: model.predict(x_dask, batch_size=batch_size)),
            ("NumPy on Dask", "dask", lambda: numpy_network(x_dask, weights)),
            ("fastact in memory", "memory",
             lambda: model.predict(x_memory, batch_size=batch_size)),
        ],
    }


def run_once(kind, call):
    """Seconds to the whole result: persisted on the workers, or in memory."""
    from distributed import wait
    start = time.perf_counter()
    result = call()
    if kind == "dask":
        result = result.persist()
        wait(result)
    seconds = time.perf_counter() - start
    del result
    return seconds


def measure(contenders, repeats):
    samples = {label: [] for label, _, _ in contenders}
    for label, kind, call in contenders:            # warm-up: imports, first pages
        run_once(kind, call)
    for r in range(repeats):
        k = r % len(contenders)
        for label, kind, call in contenders[k:] + contenders[:k]:
            samples[label].append(run_once(kind, call))
    return {label: statistics.median(s) for label, s in samples.items()}, samples


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=1e7)
    parser.add_argument("--chunk", type=float, default=250_000, help="rows per chunk")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=8192,
                        help="predict's batch_size (both network contenders of fastact)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pipelines", default="sigmoid,network")
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    rows, chunk = int(args.rows), int(args.chunk)
    import dask
    import dask.array as da
    import distributed
    from threadpoolctl import threadpool_limits

    ctx = machine_context({"dask": dask, "distributed": distributed})
    print_machine("fastact on Dask", ctx)
    print(f"setting  : {rows:,} rows x {FEATURES} float32 features, chunks of {chunk:,} rows, "
          f"{args.workers} worker processes x 1 thread; in memory: {args.workers} threads; "
          f"median of {args.repeats}")
    figures = {}
    with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                  processes=True, host="127.0.0.1",
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster), threadpool_limits(args.workers):
        x_dask = da.random.default_rng(1).standard_normal(
            (rows, FEATURES), chunks=(chunk, FEATURES), dtype=np.float32).persist()
        distributed.wait(x_dask)
        x_memory = np.random.default_rng(1).standard_normal((rows, FEATURES),
                                                            dtype=np.float32)
        chosen = args.pipelines.split(",")
        for name, contenders in pipelines(x_dask, x_memory, args.batch_size).items():
            if name not in chosen:
                continue
            medians, samples = measure(contenders, args.repeats)
            memory = medians["fastact in memory"]
            dask_time = medians["fastact on Dask"]
            print(f"\n== {name}, {rows:,} rows ==")
            print(f"{'contender':<30}{'time':>10}{'rows/s':>14}{'vs fastact on Dask':>20}")
            for label, seconds in medians.items():
                print(f"{label:<30}{seconds:>9.3f}s{rows / seconds:>14,.0f}"
                      f"{seconds / dask_time:>19.2f}x")
            ratio = dask_time / memory
            verdict = "met" if ratio <= TARGET else "NOT met"
            print(f"dask/memory: {ratio:.2f} (fastact on Dask over fastact in memory; "
                  f"target <= {TARGET} at 1e7 rows: {verdict})")
            figures[name] = {"median_seconds": medians, "samples": samples,
                             "rows_per_second": {k: rows / v for k, v in medians.items()},
                             "dask_over_memory": ratio}
    ctx["load_average_at_end"] = load_average()
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"context": ctx, "settings": vars(args), "figures": figures}, f,
                      indent=1)
        print(f"wrote {args.json}")
    return figures


if __name__ == "__main__":
    sys.exit(0 if main() is not None else 1)
