#!/usr/bin/env python3
"""Training wall time: fastact's Sequential against Keras and PyTorch (when installed).

Two tasks, the same network, optimizer and batching for every framework:

* ``xor``:    Dense(2, sigmoid) + Dense(1), mse, Adam(0.1), the 4 samples as
              one batch, 1000 epochs (1000 steps).  Target: < 0.1 s, and
              >= 10x faster than Keras.
* ``digits``: Dense(64, relu) + Dense(10, softmax), sparse categorical
              cross-entropy, Adam(0.001), 1 epoch of batches of 32 over
              scikit-learn's digits (1437 training images).  Target: faster
              than PyTorch eager.  Without scikit-learn a stand-in of the
              same shapes is used (marked "stand-in"); only the timing
              matters here.

Each figure is the median of ``--repeats`` runs after one warm-up run (which
pays for Keras's graph tracing and every framework's first-call costs);
the minimum is shown too.  Keras and PyTorch are timed only when importable;
otherwise their rows say "not installed".  Timings of such short runs are
sensitive to other load on the machine: the load average is printed with
them.

Usage::

    python bench/bench_training.py                 # both tasks
    python bench/bench_training.py --task xor --repeats 7
"""

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([[0], [1], [1], [0]], dtype=np.float32)


def have(module):
    return importlib.util.find_spec(module) is not None


def choose_keras_backend():
    """Keras 3 imports TensorFlow unless KERAS_BACKEND names another backend:
    where TensorFlow is missing, run Keras on JAX or PyTorch, whichever is
    installed (KERAS_BACKEND, when set, decides)."""
    if "KERAS_BACKEND" not in os.environ and not have("tensorflow"):
        for backend, module in (("jax", "jax"), ("torch", "torch")):
            if have(module):
                os.environ["KERAS_BACKEND"] = backend
                break
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def digits_data():
    """(x_train, y_train, label): scikit-learn's digits, or a stand-in of its shapes."""
    if have("sklearn"):
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "docs" / "examples"))
        import digits
        x_train, y_train, _, _ = digits.load()
        return x_train, y_train, "scikit-learn digits"
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 1437)
    prototypes = rng.uniform(0, 1, (10, 64))
    x = np.clip(prototypes[labels] + rng.normal(0, 0.3, (1437, 64)), 0, 1).astype(np.float32)
    return x, labels, "stand-in (no scikit-learn)"


def timed(run, repeats):
    """(median, min) seconds of run() over repeats, after one warm-up call."""
    run()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


# --------------------------------------------------------------------- fastact

def fastact_runner(task, data):
    from fastact.initializers import set_random_seed
    from fastact.layers import Dense
    from fastact.models import Sequential
    from fastact.optimizers import Adam

    def run():
        set_random_seed(0)
        if task == "xor":
            model = Sequential([Dense(2, activation="sigmoid"), Dense(1)])
            model.compile(optimizer=Adam(0.1), loss="mse")
            model.fit(XOR_X, XOR_Y, epochs=1000, batch_size=4, verbose=0)
        else:
            x, y = data
            model = Sequential([Dense(64, activation="relu"), Dense(10, activation="softmax")])
            model.compile(optimizer=Adam(0.001), loss="sparse_categorical_crossentropy")
            model.fit(x, y, epochs=1, batch_size=32, verbose=0)
    return run


# ----------------------------------------------------------------------- Keras

def keras_runner(task, data):
    import keras

    def build():
        if task == "xor":
            model = keras.Sequential([keras.Input(shape=(2,)),
                                      keras.layers.Dense(2, activation="sigmoid"),
                                      keras.layers.Dense(1)])
            model.compile(optimizer=keras.optimizers.Adam(0.1), loss="mse")
        else:
            model = keras.Sequential([keras.Input(shape=(64,)),
                                      keras.layers.Dense(64, activation="relu"),
                                      keras.layers.Dense(10, activation="softmax")])
            model.compile(optimizer=keras.optimizers.Adam(0.001),
                          loss="sparse_categorical_crossentropy")
        return model

    def run():
        model = build()
        if task == "xor":
            model.fit(XOR_X, XOR_Y, epochs=1000, batch_size=4, verbose=0)
        else:
            model.fit(data[0], data[1], epochs=1, batch_size=32, verbose=0)
    return run


# --------------------------------------------------------------------- PyTorch

def torch_runner(task, data):
    import torch

    def run():
        torch.manual_seed(0)
        if task == "xor":
            model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Sigmoid(),
                                        torch.nn.Linear(2, 1))
            loss_fn = torch.nn.MSELoss()
            x, y = torch.from_numpy(XOR_X), torch.from_numpy(XOR_Y)
            opt = torch.optim.Adam(model.parameters(), lr=0.1, eps=1e-7)
            for _ in range(1000):
                perm = torch.randperm(4)
                opt.zero_grad()
                loss = loss_fn(model(x[perm]), y[perm])
                loss.backward()
                opt.step()
        else:
            # Softmax + cross-entropy fused, as CrossEntropyLoss on logits.
            model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(),
                                        torch.nn.Linear(64, 10))
            loss_fn = torch.nn.CrossEntropyLoss()
            x, y = torch.from_numpy(data[0]), torch.from_numpy(data[1])
            opt = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
            perm = torch.randperm(len(x))
            for start in range(0, len(x), 32):
                idx = perm[start:start + 32]
                opt.zero_grad()
                loss = loss_fn(model(x[idx]), y[idx])
                loss.backward()
                opt.step()
    return run


RUNNERS = {"fastact": (None, fastact_runner), "keras": ("keras", keras_runner),
           "pytorch": ("torch", torch_runner)}


def fmt(seconds):
    return f"{seconds * 1e3:9.1f} ms" if seconds < 10 else f"{seconds:9.2f} s "


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--task", choices=("xor", "digits", "both"), default="both")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    import fastact
    from fastact import _config
    cfg = _config.config()
    keras_backend = choose_keras_backend()
    print(f"fastact {fastact.__version__}, {cfg['threads']} OpenMP thread(s), "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
          f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPU(s); "
          f"Keras backend: {keras_backend}")
    tasks = ("xor", "digits") if args.task == "both" else (args.task,)
    results = {}
    for task in tasks:
        data = None
        label = "4 samples, 1000 epochs, batch 4, Adam"
        if task == "digits":
            x, y, source = digits_data()
            data = (x, y)
            label = f"{source}: {len(x)} samples, 1 epoch, batch 32, Adam"
        print(f"\n{task} ({label})")
        for name, (module, make) in RUNNERS.items():
            if module is not None and not have(module):
                print(f"  {name:<8} not installed")
                continue
            try:
                median, best = timed(make(task, data), args.repeats)
            except Exception as exc:          # a framework that fails to run is reported
                print(f"  {name:<8} failed: {type(exc).__name__}: {exc}")
                continue
            results[task, name] = median
            print(f"  {name:<8} {fmt(median)} (min {fmt(best).strip()})")
    print("\ntargets")
    if ("xor", "fastact") in results:
        t = results["xor", "fastact"]
        print(f"  xor under 0.1 s:          {'met' if t < 0.1 else 'NOT met'} ({t:.3f} s, "
              f"{t * 1e3:.0f} us per step)")
        if ("xor", "keras") in results:
            ratio = results["xor", "keras"] / t
            print(f"  xor >= 10x Keras:         {'met' if ratio >= 10 else 'NOT met'} "
                  f"({ratio:.1f}x)")
        else:
            print("  xor >= 10x Keras:         not measured (Keras not installed)")
    if ("digits", "fastact") in results:
        if ("digits", "pytorch") in results:
            ratio = results["digits", "pytorch"] / results["digits", "fastact"]
            print(f"  digits faster than torch: {'met' if ratio > 1 else 'NOT met'} "
                  f"({ratio:.2f}x)")
        else:
            print("  digits faster than torch: not measured (PyTorch not installed)")
    return results


if __name__ == "__main__":
    main()
