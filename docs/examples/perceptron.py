"""A perceptron with a binary step learns AND and OR, and cannot learn XOR.

Rosenblatt's perceptron is one Dense unit with a step activation,
``y = step(x @ w + b)``, trained by his rule rather than by gradients (the
step has none): for each sample, ``w += lr * (t - y) * x`` and
``b += lr * (t - y)``.  The perceptron convergence theorem says this stops
making mistakes on any linearly separable data: AND and OR are, so both
reach accuracy 1.0.  XOR is not (no line puts (0, 1) and (1, 0) on one side
and (0, 0) and (1, 1) on the other), so the rule cycles for ever and the
accuracy never reaches 1: that is the lesson, and why XOR needs a hidden
layer (see ``xor.py``).

Run: ``python docs/examples/perceptron.py``
"""

import numpy as np

from fastact.layers import Dense

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
GATES = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "XOR": [0, 1, 1, 0]}


def binary_step(x):
    """Heaviside step: 1 where x >= 0, else 0 (x's dtype).

    fastact has no step activation (Keras has none either: it has no
    gradient); ``fastact.dense`` applies any callable after its fused GEMM.
    """
    x = np.asarray(x)
    return (x >= 0).astype(x.dtype)


class Perceptron:
    """One step unit on fastact's Dense layer, trained by the perceptron rule."""

    def __init__(self, learning_rate=1.0):
        self.learning_rate = learning_rate
        # Zero initial weights and a learning rate of 1: the rule's classic
        # start, deterministic, and with 0/1 inputs every weight stays an
        # integer, so no rounding can put a sample on the wrong side of 0.
        self.layer = Dense(1, activation=binary_step, kernel_initializer="zeros")

    def predict(self, x):
        return self.layer(x)[:, 0]

    def fit(self, x, targets, epochs=100):
        """Sweep the samples in order until an epoch makes no mistake.

        Returns the number of epochs run.
        """
        self.layer(x[:1])                         # builds kernel (2, 1) and bias (1,)
        for epoch in range(1, epochs + 1):
            mistakes = 0
            for xi, ti in zip(x, targets):
                error = ti - self.predict(xi[None, :])[0]
                if error:
                    mistakes += 1
                    # In place: the layer's weights are plain arrays.
                    self.layer.kernel[:, 0] += self.learning_rate * error * xi
                    self.layer.bias += self.learning_rate * error
            if mistakes == 0:
                return epoch
        return epochs

    def accuracy(self, x, targets):
        return float(np.mean(self.predict(x) == targets))


def main(epochs=100, verbose=True):
    """Train one perceptron per gate; returns {gate: (accuracy, epochs run)}."""
    results = {}
    for gate, targets in GATES.items():
        targets = np.array(targets, dtype=np.float32)
        perceptron = Perceptron()
        ran = perceptron.fit(X, targets, epochs=epochs)
        results[gate] = (perceptron.accuracy(X, targets), ran)
        if verbose:
            w = perceptron.layer.kernel[:, 0]
            b = perceptron.layer.bias[0]
            print(f"{gate:>3}: accuracy {results[gate][0]:.2f} after {ran:3d} epoch(s); "
                  f"w = {w}, b = {b:+.0f}")
    if verbose:
        print("XOR is not linearly separable: one step unit cannot learn it.")
    return results


if __name__ == "__main__":
    main()
