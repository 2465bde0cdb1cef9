"""The runnable examples of docs/examples, each run by its main() with small settings.

Each example's ``main`` returns its outcomes; these tests assert the lesson
each one teaches (a perceptron cannot learn XOR, one hidden layer can...).
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "examples"


def load(name):
    """Import docs/examples/<name>.py as a module (it is not a package)."""
    spec = importlib.util.spec_from_file_location(f"fastact_example_{name}",
                                                  EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_example_is_tested():
    tested = {"perceptron", "logic_gates", "xor", "relu_square", "digits", "score_dask"}
    assert {p.stem for p in EXAMPLES.glob("*.py")} == tested


def test_perceptron_learns_and_or_but_not_xor(capsys):
    results = load("perceptron").main(epochs=100)
    assert results["AND"][0] == 1.0 and results["AND"][1] < 100
    assert results["OR"][0] == 1.0 and results["OR"][1] < 100
    # The lesson: XOR is not linearly separable, so the rule never settles.
    assert results["XOR"][0] < 1.0 and results["XOR"][1] == 100
    assert "cannot learn it" in capsys.readouterr().out


def test_logic_gates_with_linear_and_sigmoid_units():
    results = load("logic_gates").main(epochs=1000, verbose=False)
    assert len(results) == 4
    for (gate, activation), outcome in results.items():
        assert outcome["accuracy"] == 1.0, (gate, activation, outcome)
        if activation == "linear":
            # the least-squares line through a 2-input gate: mse 1/16
            assert outcome["loss"] == pytest.approx(0.0625, abs=1e-3)
        else:
            assert outcome["loss"] < 0.05


def test_xor_with_one_hidden_layer(capsys):
    results = load("xor").main(epochs=1000)
    assert results["accuracy"] == 1.0
    assert results["loss"] < 1e-3
    np.testing.assert_array_equal(results["predictions"] > 0.5, [False, True, True, False])
    assert results["history"].history["accuracy"][-1] == 1.0
    out = capsys.readouterr().out
    assert 'Model: "' in out and "Total params: 9 (36.00 B)" in out


def test_relu_networks_fit_a_parabola():
    results = load("relu_square").main(epochs=60, n=300, verbose=False)
    assert results["params"] == {"wide": 19, "deep": 19}
    # The wide network gets near the noise floor (1.0); the deep narrow one
    # is only reported (it often loses units for good, see the example).
    assert results["wide"] < 0.05 * results["variance"]
    assert np.isfinite(results["deep"])


def test_digits_reach_95_percent():
    pytest.importorskip("sklearn", reason="scikit-learn (optional) ships the digits data")
    results = load("digits").main(epochs=30, verbose=False)
    assert results["test_accuracy"] >= 0.95


def test_digits_pipeline_on_stand_in_data(monkeypatch):
    """The digits script end to end where scikit-learn is missing: its loader is
    given a stand-in of the real data's shapes (1797 x 64 pixels in 0..16,
    ten classes; noisy class prototypes, so it is learnable).  The accuracy
    bar of the real data is the test above."""
    import sys
    import types

    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 1797)
    prototypes = rng.integers(0, 17, (10, 64))
    pixels = np.clip(prototypes[labels] + rng.normal(0, 6, (1797, 64)), 0, 16)
    datasets = types.ModuleType("sklearn.datasets")
    datasets.load_digits = lambda: types.SimpleNamespace(data=pixels, target=labels)
    monkeypatch.setitem(sys.modules, "sklearn", types.ModuleType("sklearn"))
    monkeypatch.setitem(sys.modules, "sklearn.datasets", datasets)
    results = load("digits").main(epochs=3, verbose=False)
    assert results["test_accuracy"] >= 0.95
    assert sorted(results["history"].history) == ["accuracy", "loss", "val_accuracy",
                                                  "val_loss"]


def test_scoring_on_a_dask_cluster_stays_in_memory_bounds(capsys):
    pytest.importorskip("distributed", reason="dask is not installed (the 'dask' extra)")
    rows = 400_000
    results = load("score_dask").main(rows=rows, chunk=50_000, verbose=True)
    assert results["histogram"].sum() == rows
    assert results["accuracy"] > 0.8, "the network learnt the rule, and scores it"
    assert len(results["peak_rss"]) >= 3            # the client and two workers at least
    assert all(peak < 2 * 2**30 for peak in results["peak_rss"].values()), results["peak_rss"]
    out = capsys.readouterr().out
    assert "peak resident memory of every process" in out and "worker tcp://" in out
