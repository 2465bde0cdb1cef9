"""A ReLU network fits y = x² + noise on [-10, 10]: wide or deep?

Two networks with the same 19 parameters:

* wide: ``Dense(6, "relu") + Dense(1)``            (2*6 + 7 = 19)
* deep: ``Dense(2, "relu")`` x 3 + ``Dense(1)``     (4 + 6 + 6 + 3 = 19)

A ReLU network is piecewise linear, so it fits the parabola with line
segments.  The wide one places up to 6 kinks and ends near the noise floor
(mse ~2-10 against a noise variance of 1).  The deep, narrow one could in
principle do as well, but with two units per layer a unit that goes dead
(negative for every input, so zero output and zero gradient) cuts the
signal for good; it usually ends far worse, often near predicting the mean
(mse ~ var(y) ~ 870).  Same parameter count, very different outcome: the
lesson of the experiment.

Inputs are scaled by 1/10 and targets by 1/100 for training (so both are of
order 1, which Adam's default-scale steps suit); the losses printed are back
in the units of y².

Run: ``python docs/examples/relu_square.py``
"""

import numpy as np

from fastact.initializers import set_random_seed
from fastact.layers import Dense
from fastact.models import Sequential
from fastact.optimizers import Adam

X_SCALE, Y_SCALE = 10.0, 100.0


def make_data(n=1000, noise=1.0, seed=0):
    """x uniform on [-10, 10], y = x² + N(0, noise²)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-10.0, 10.0, size=(n, 1))
    y = x ** 2 + rng.normal(0.0, noise, size=(n, 1))
    return x.astype(np.float32), y.astype(np.float32)


def build(kind, learning_rate=0.01):
    if kind == "wide":
        layers = [Dense(6, activation="relu"), Dense(1)]
    else:
        layers = [Dense(2, activation="relu"), Dense(2, activation="relu"),
                  Dense(2, activation="relu"), Dense(1)]
    model = Sequential(layers)
    model.compile(optimizer=Adam(learning_rate=learning_rate), loss="mse")
    return model


def main(epochs=200, n=1000, seed=0, verbose=True):
    """Train both; returns {"wide": final mse, "deep": ..., "variance": var(y), "params": {...}}."""
    x, y = make_data(n, seed=seed)
    results = {"variance": float(np.var(y)), "params": {}}
    for kind in ("wide", "deep"):
        set_random_seed(seed)
        model = build(kind)
        model.fit(x / X_SCALE, y / Y_SCALE, epochs=epochs, batch_size=32, verbose=0)
        results[kind] = model.evaluate(x / X_SCALE, y / Y_SCALE, verbose=0) * Y_SCALE ** 2
        results["params"][kind] = model.count_params()
        if verbose:
            print(f"{kind:>4} ({model.count_params()} params): final mse {results[kind]:8.3f}")
    if verbose:
        print(f"(predicting the mean everywhere: mse {results['variance']:.1f}; "
              f"the noise alone: 1.0)")
    return results


if __name__ == "__main__":
    main()
