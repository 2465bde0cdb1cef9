"""OR and AND with one Dense unit, trained by gradient descent (Adam, mse).

The gradient-trained cousin of ``perceptron.py``: ``Dense(1)`` with a linear
or a sigmoid activation, mean squared error, Adam(learning_rate=0.01), all
four samples in one batch.  "accuracy" is Keras's binary accuracy for one
output: the prediction counts as 1 above 0.5.

* linear: the least-squares line through the truth table.  Its outputs are
  -0.25, 0.25, 0.25, 0.75 for AND (the mse floor is 0.0625), which is
  already right on the correct side of 0.5 everywhere;
* sigmoid: the outputs move towards 0 and 1 themselves, and the loss keeps
  falling.

Run: ``python docs/examples/logic_gates.py``
"""

import numpy as np

from fastact.initializers import set_random_seed
from fastact.layers import Dense
from fastact.models import Sequential
from fastact.optimizers import Adam

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
GATES = {"OR": [0, 1, 1, 1], "AND": [0, 0, 0, 1]}


def train_gate(targets, activation, epochs=1000, seed=0):
    """A fitted Dense(1, activation) model and its History."""
    set_random_seed(seed)
    model = Sequential([Dense(1, activation=activation)])
    model.compile(optimizer=Adam(learning_rate=0.01), loss="mse", metrics=["accuracy"])
    history = model.fit(X, np.array(targets, dtype=np.float32), epochs=epochs, batch_size=4,
                        verbose=0)
    return model, history


def main(epochs=1000, seed=0, verbose=True):
    """Returns {(gate, activation): {"loss", "accuracy", "predictions"}}."""
    results = {}
    for activation in ("linear", "sigmoid"):
        for gate, targets in GATES.items():
            model, history = train_gate(targets, activation, epochs, seed)
            loss, accuracy = model.evaluate(X, np.array(targets), verbose=0)
            predictions = model.predict(X)[:, 0]
            results[gate, activation] = {"loss": loss, "accuracy": accuracy,
                                         "predictions": predictions}
            if verbose:
                print(f"{gate:>3} {activation:>7}: loss {loss:.4f}, accuracy {accuracy:.2f}, "
                      f"outputs {np.round(predictions, 3)}")
    return results


if __name__ == "__main__":
    main()
