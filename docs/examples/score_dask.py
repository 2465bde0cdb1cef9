"""Score a network over more rows than fit in memory, on a local Dask cluster.

A ``Dense(256, "relu") + Dense(10, "softmax")`` network learns, in memory from
20 000 samples, which of the first ten of 64 features is the largest.  It then
scores 2·10⁷ rows × 64 features -- 5 GB of float32, generated chunk by chunk on
the workers and never held whole anywhere -- on a ``LocalCluster`` of two worker
processes, reduces the scores to an accuracy, a class histogram and a mean
confidence, and prints the peak resident memory of every process.

    python docs/examples/score_dask.py                 # 2e7 rows
    python docs/examples/score_dask.py --rows 1000000  # a quick run

Needs the ``dask`` extra (``pip install "fastact[dask]"``).
"""

import argparse
import os
import time

import numpy as np

from fastact.layers import Dense, Input
from fastact.models import Sequential

FEATURES, CLASSES = 64, 10


def labels(x):
    """The rule to learn: which of the first CLASSES features is the largest."""
    return x[:, :CLASSES].argmax(axis=1)


def train(seed, samples=20_000, epochs=8, verbose=True):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, FEATURES), dtype=np.float32)
    y = np.eye(CLASSES, dtype=np.float32)[labels(x)]
    model = Sequential([Input((FEATURES,)), Dense(256, activation="relu"),
                        Dense(CLASSES, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=epochs, batch_size=128, verbose=0)
    if verbose:
        print(f"trained on {samples} samples: accuracy "
              f"{history.history['accuracy'][-1]:.3f}")
    return model


def peak_rss_bytes(pid="self"):
    """The peak resident set size of a process (Linux: VmHWM)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/<pid>/status (Linux only)")


def every_process_peak_rss(client):
    """{description: peak RSS} for this process (which also runs the scheduler
    and the nannies of a LocalCluster, as threads) and all its descendants."""
    import psutil                      # a dependency of distributed
    workers = {pid: address for address, pid in client.run(os.getpid).items()}
    peaks = {f"client, scheduler and nannies (pid {os.getpid()})": peak_rss_bytes()}
    for proc in psutil.Process().children(recursive=True):
        name = (f"worker {workers[proc.pid]}" if proc.pid in workers
                else f"helper process {proc.name()}")
        try:
            peaks[f"{name} (pid {proc.pid})"] = peak_rss_bytes(proc.pid)
        except FileNotFoundError:
            pass                       # exited meanwhile
    return peaks


def main(rows=20_000_000, chunk=250_000, workers=2, batch_size=8192, seed=0, verbose=True):
    import dask
    import dask.array as da
    from dask.distributed import Client, LocalCluster

    model = train(seed, verbose=verbose)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        x = da.random.default_rng(seed + 1).standard_normal(
            (rows, FEATURES), chunks=(chunk, FEATURES), dtype=np.float32)
        scores = model.predict(x, batch_size=batch_size)          # lazy, (rows, CLASSES)
        predicted = scores.argmax(axis=1)
        accuracy = (predicted == labels(x)).mean()
        histogram = da.bincount(predicted, minlength=CLASSES)
        confidence = scores.max(axis=1).mean()
        start = time.perf_counter()
        accuracy, histogram, confidence = dask.compute(accuracy, histogram, confidence)
        seconds = time.perf_counter() - start
        peaks = every_process_peak_rss(client)
        client.close()
    results = {"rows": rows, "seconds": seconds, "rows_per_second": rows / seconds,
               "accuracy": float(accuracy), "histogram": histogram,
               "confidence": float(confidence), "peak_rss": peaks,
               "input_bytes": rows * FEATURES * 4}
    if verbose:
        print(f"scored {rows:,} rows x {FEATURES} features "
              f"({results['input_bytes'] / 1e9:.2f} GB of float32, chunks of {chunk:,} rows) "
              f"on {workers} worker processes in {seconds:.1f} s "
              f"({results['rows_per_second']:,.0f} rows/s)")
        print(f"accuracy {accuracy:.4f}, mean confidence {confidence:.3f}, "
              f"predicted classes {histogram.tolist()}")
        print("peak resident memory of every process:")
        for name, peak in peaks.items():
            print(f"  {peak / 2**20:8.0f} MiB  {name}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000_000)
    parser.add_argument("--chunk", type=int, default=250_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    main(rows=args.rows, chunk=args.chunk, workers=args.workers)
