"""Handwritten digits: Dense(64, "relu") + Dense(10, "softmax") on scikit-learn's digits.

scikit-learn bundles a small copy of the UCI digits (1797 images of 8x8
pixels, values 0..16, ten classes) in its package, so this needs no
download, only ``pip install scikit-learn`` (not a fastact dependency).

The pixels are scaled to [0, 1]; the labels stay integers, with sparse
categorical cross-entropy (fused with the softmax: computed from the logits,
the gradient with respect to them is (p - y) / N).  Adam, batches of 32; a
held-out fifth of the images measures the accuracy (about 97 %).

Run: ``python docs/examples/digits.py``
"""

import sys

import numpy as np

from fastact.initializers import set_random_seed
from fastact.layers import Dense, Input
from fastact.models import Sequential
from fastact.optimizers import Adam


def load(test_fraction=0.2, seed=0):
    """(x_train, y_train, x_test, y_test): float32 pixels in [0, 1], int labels."""
    try:
        from sklearn.datasets import load_digits     # scikit-learn is optional
    except ImportError as exc:
        raise ImportError("this example needs scikit-learn, which ships the digits data: "
                          "pip install scikit-learn") from exc

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(test_fraction * len(x)))
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def build(n_features=64, n_classes=10, learning_rate=0.001):
    model = Sequential([Input(shape=(n_features,)), Dense(64, activation="relu"),
                        Dense(n_classes, activation="softmax")])
    model.compile(optimizer=Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main(epochs=30, seed=0, verbose=True):
    """Train and evaluate; returns {"test_accuracy", "test_loss", "history"}."""
    x_train, y_train, x_test, y_test = load(seed=seed)
    set_random_seed(seed)
    model = build()
    if verbose:
        model.summary()
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=32,
                        validation_data=(x_test, y_test), verbose=1 if verbose else 0)
    test_loss, test_accuracy = model.evaluate(x_test, y_test, verbose=0)
    if verbose:
        print(f"test accuracy {test_accuracy:.4f} (loss {test_loss:.4f}) on "
              f"{len(x_test)} held-out images")
    return {"test_accuracy": test_accuracy, "test_loss": test_loss, "history": history}


if __name__ == "__main__":
    try:
        main()
    except ImportError as exc:
        sys.exit(str(exc))
