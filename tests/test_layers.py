"""Layers, losses, optimizers, initializers, metrics and Sequential (issue 5).

Correctness is checked in float64 against independent NumPy references and
against central finite differences (``numeric_grad``): every layer's dx and
weight gradients, every loss's gradient, and a whole model's gradients
(``Sequential.compute_gradients``) for each loss / output-activation pair,
fused or not.  One optimizer step is compared with Keras 3's update rule
written out in NumPy.  Then the model API: fit/History, progress output,
Ctrl-C, summary, save/load, config round trips, bad arguments, and the
allocation-free training step (tracemalloc).
"""

import functools
import json
import math
import signal
import threading
import tracemalloc
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

import fastact
from fastact import initializers, layers, losses, metrics, models, optimizers
from fastact.layers import (ELU, Activation, Dense, Input, LeakyReLU, PReLU, ReLU,
                            Softmax)
from fastact.models import Sequential

F64 = "float64"


def numeric_grad(f, a, eps=1e-6):
    """Central differences of the scalar f() with respect to the array a (in place)."""
    g = np.zeros(a.shape)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + eps
        fp = f()
        a[idx] = old - eps
        fm = f()
        a[idx] = old
        g[idx] = (fp - fm) / (2 * eps)
    return g


def away_from(x, points, gap=0.05):
    """x with entries near any of ``points`` (kinks) moved off them."""
    x = x.copy()
    for p in points:
        near = np.abs(x - p) < gap
        x[near] += 2 * gap
    return x


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def keras_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """keras.activations.relu, written from Keras 3's ReLU.static_call."""
    y = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        y = np.clip(y, 0.0, max_value)
    return y - negative_slope * np.maximum(threshold - x, 0.0)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# ----------------------------------------------------------------- layer checks

def check_layer_gradients(layer, x, training, rtol=1e-6, atol=1e-8):
    """dx and the weight gradients of sum(dy * layer(x)) against finite differences."""
    rng = np.random.default_rng(7)
    y = layer(x, training=training)
    dy = rng.normal(size=y.shape)
    dx = np.array(layer.backward(dy))
    grads = [g.copy() for g in layer.gradients]

    def objective():
        return float(np.sum(dy * layer(x)))

    assert_allclose(dx, numeric_grad(objective, x), rtol=rtol, atol=atol)
    for w, g in zip(layer.trainable_weights, grads):
        assert_allclose(g, numeric_grad(objective, w), rtol=rtol, atol=atol)


DENSE_CASES = [
    # activation identifier, NumPy reference on z, kinks to keep z away from
    ("linear", lambda z: z, ()),
    (None, lambda z: z, ()),
    ("relu", lambda z: np.maximum(z, 0), (0,)),
    ("sigmoid", sigmoid, ()),
    ("tanh", np.tanh, ()),
    ("softmax", softmax, ()),
    ("gelu", lambda z: z / 2 * (1 + np.vectorize(math.erf)(z / math.sqrt(2))), ()),  # needs z
    (functools.partial(fastact.activations.elu, alpha=0.5),
     lambda z: np.where(z > 0, z, 0.5 * np.expm1(z)), (0,)),
    (functools.partial(fastact.activations.leaky_relu, negative_slope=0.1),
     lambda z: np.where(z >= 0, z, 0.1 * z), (0,)),
]


@pytest.mark.parametrize("activation, reference, kinks", DENSE_CASES)
@pytest.mark.parametrize("training", [False, True])
def test_dense_forward_backward(activation, reference, kinks, training, rng):
    layer = Dense(4, activation=activation, dtype=F64)
    x = rng.normal(size=(5, 3))
    layer(x)                                      # build
    layer.bias[:] = rng.normal(size=4)
    # Keep every pre-activation off the kinks, so finite differences are smooth.
    z = x @ layer.kernel + layer.bias
    layer.bias[:] += away_from(z, kinks)[0] - z[0] if kinks else 0
    for _ in range(3):
        z = x @ layer.kernel + layer.bias
        if not kinks or np.all(np.abs(z[..., None] - np.array(kinks)) > 1e-3):
            break
        x = rng.normal(size=(5, 3))
    assert_allclose(layer(x, training=training), reference(x @ layer.kernel + layer.bias),
                    rtol=1e-12, atol=1e-14)
    check_layer_gradients(layer, x, training)


def test_dense_rank3_and_no_bias(rng):
    layer = Dense(3, activation="tanh", use_bias=False, dtype=F64)
    x = rng.normal(size=(2, 4, 5))
    assert_allclose(layer(x), np.tanh(x @ layer.kernel), rtol=1e-12)
    assert layer.bias is None and len(layer.weights) == 1
    check_layer_gradients(layer, x, training=True)


def test_dense_build_shapes_and_weights(rng):
    layer = Dense(7)
    assert not layer.built
    y = layer(np.ones((2, 3)))
    assert y.dtype == np.float32 and y.shape == (2, 7)       # Keras's default dtype
    assert layer.kernel.shape == (3, 7) and layer.bias.shape == (7,)
    assert [w.shape for w in layer.get_weights()] == [(3, 7), (7,)]
    assert layer.count_params() == 28
    kernel, bias = rng.normal(size=(3, 7)), rng.normal(size=7)
    layer.set_weights([kernel, bias])
    assert_allclose(layer(np.eye(3)), (kernel + bias).astype(np.float32), rtol=1e-6)
    with pytest.raises(ValueError, match="kernel has shape"):
        layer.set_weights([np.ones((4, 7)), bias])
    with pytest.raises(ValueError, match="expected 2 arrays"):
        layer.set_weights([kernel])
    with pytest.raises(ValueError, match=r"expected inputs of shape \(batch, ..., 3\)"):
        layer(np.ones((2, 4)))


def test_dense_default_initializers_are_keras():
    initializers.set_random_seed(0)
    layer = Dense(300, dtype=F64)
    layer(np.ones((1, 200)))
    limit = math.sqrt(6 / (200 + 300))                      # glorot_uniform
    assert np.abs(layer.kernel).max() <= limit
    assert np.abs(layer.kernel).max() > 0.99 * limit
    assert np.all(layer.bias == 0)


ACTIVATION_LAYER_CASES = [
    (lambda: Activation("tanh"), np.tanh, ()),
    (lambda: Activation("softmax"), softmax, ()),
    (lambda: Activation(fastact.activations.silu), lambda x: x * sigmoid(x), ()),
    (lambda: ReLU(), keras_relu, (0,)),
    (lambda: ReLU(max_value=1.5, negative_slope=0.1, threshold=0.5),
     lambda x: keras_relu(x, 0.1, 1.5, 0.5), (0.5, 1.5)),
    (lambda: LeakyReLU(), lambda x: np.where(x >= 0, x, 0.3 * x), (0,)),
    (lambda: LeakyReLU(negative_slope=0.05), lambda x: np.where(x >= 0, x, 0.05 * x), (0,)),
    (lambda: ELU(), lambda x: np.where(x > 0, x, np.expm1(x)), (0,)),
    (lambda: ELU(alpha=2.0), lambda x: np.where(x > 0, x, 2 * np.expm1(x)), (0,)),
    (lambda: Softmax(), softmax, ()),
    (lambda: Softmax(axis=1), lambda x: softmax(x, axis=1), ()),
]


@pytest.mark.parametrize("make, reference, kinks", ACTIVATION_LAYER_CASES)
@pytest.mark.parametrize("training", [False, True])
def test_activation_layers(make, reference, kinks, training, rng):
    layer = make()
    layer.dtype = np.dtype(F64)
    x = away_from(rng.normal(size=(3, 4, 5)) * 2, kinks)
    assert_allclose(layer(x, training=training), reference(x), rtol=1e-12, atol=1e-14)
    check_layer_gradients(layer, x, training)


@pytest.mark.parametrize("shared_axes, alpha_shape", [(None, (4, 5)), ([1], (1, 5)),
                                                      (2, (4, 1)), ([1, 2], (1, 1))])
@pytest.mark.parametrize("training", [False, True])
def test_prelu(shared_axes, alpha_shape, training, rng):
    layer = PReLU(alpha_initializer=initializers.Constant(0.2), shared_axes=shared_axes,
                  dtype=F64)
    x = away_from(rng.normal(size=(3, 4, 5)), (0,))
    y = layer(x, training=training)
    assert layer.alpha.shape == alpha_shape
    layer.alpha[...] = rng.uniform(0.05, 0.5, size=alpha_shape)
    y = layer(x, training=training)
    assert_allclose(y, np.maximum(x, 0) + layer.alpha * np.minimum(x, 0), rtol=1e-14)
    check_layer_gradients(layer, x, training)


def test_prelu_default_is_relu_and_learns_its_slope(rng):
    layer = PReLU(dtype=F64)                                # alpha starts at 0 (Keras)
    x = rng.normal(size=(6, 3))
    assert_allclose(layer(x), np.maximum(x, 0))
    layer.backward(np.ones_like(x))
    assert_allclose(layer.gradients[0], np.minimum(x, 0).sum(axis=0))


def test_softmax_mask(rng):
    layer = Softmax(dtype=F64)
    x = rng.normal(size=(3, 4))
    mask = np.array([[1, 1, 0, 1], [0, 0, 0, 0], [1, 0, 0, 0]], dtype=bool)
    y = layer(x, mask=mask)
    assert_allclose(y[1], 0.0)                              # fully masked row: zeros
    assert_allclose(y[2], [1, 0, 0, 0])
    expected = np.exp(x[0]) * mask[0]
    assert_allclose(y[0], expected / expected.sum(), rtol=1e-12)
    dy = rng.normal(size=y.shape)
    dx = layer.backward(dy)
    assert_allclose(dx[1], 0.0)
    assert_allclose(dx[~mask], 0.0)

    def objective():
        return float(np.sum(dy * layer(x, mask=mask)))
    assert_allclose(dx, numeric_grad(objective, x), rtol=1e-6, atol=1e-9)


def test_training_calls_reuse_their_buffers(rng):
    layer = Dense(3, activation="relu", dtype=F64)
    a, b = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    ya = layer(a, training=True)
    yb = layer(b, training=True)
    assert ya is yb                                          # one buffer per input shape
    dx1 = layer.backward(np.ones((4, 3)))
    layer(a, training=True)
    assert layer.backward(np.ones((4, 3))) is dx1
    assert layer(a) is not layer(a)                          # plain calls: fresh arrays
    assert layer.backward(np.ones((4, 3))) is not dx1


def test_backward_errors(rng):
    layer = Dense(2, dtype=F64)
    with pytest.raises(RuntimeError, match="before any forward"):
        layer.backward(np.ones((1, 2)))
    layer(np.ones((3, 4)))
    with pytest.raises(ValueError, match="dy has shape"):
        layer.backward(np.ones((3, 3)))
    step = Dense(1, activation=lambda z: (z >= 0).astype(z.dtype))
    step(np.ones((2, 2)))
    with pytest.raises(TypeError, match="derivative is unknown"):
        step.backward(np.ones((2, 1)))


# ------------------------------------------------------------------------ losses

LOSS_CASES = [
    (losses.MeanSquaredError(), "any"),
    (losses.MeanAbsoluteError(), "any"),
    (losses.BinaryCrossentropy(), "prob"),
    (losses.BinaryCrossentropy(from_logits=True), "logit"),
    (losses.CategoricalCrossentropy(), "prob"),
    (losses.CategoricalCrossentropy(from_logits=True), "logit"),
]


def loss_data(kind, rng, shape=(6, 3)):
    if kind == "prob":
        return rng.uniform(0.05, 0.95, size=shape)
    return rng.normal(size=shape) * 2


@pytest.mark.parametrize("loss, kind", LOSS_CASES, ids=lambda v: repr(v))
def test_loss_gradient_matches_finite_differences(loss, kind, rng):
    y_pred = loss_data(kind, rng)
    if isinstance(loss, losses.CategoricalCrossentropy):
        y_true = np.eye(3)[rng.integers(0, 3, 6)]
    elif isinstance(loss, losses.BinaryCrossentropy):
        y_true = rng.integers(0, 2, size=y_pred.shape).astype(float)
    else:
        y_true = rng.normal(size=y_pred.shape)
    out = np.empty_like(y_pred)
    value = loss.value_and_gradient(y_true, y_pred, out)
    assert value == pytest.approx(loss(y_true, y_pred), rel=1e-12)
    assert_allclose(out, numeric_grad(lambda: loss(y_true, y_pred), y_pred),
                    rtol=1e-6, atol=1e-9)


def test_loss_values_are_keras(rng):
    y_true = np.array([[0.0, 1.0], [1.0, 0.0]])
    y_pred = np.array([[0.1, 0.9], [0.4, 0.6]])
    assert losses.get("mse")(y_true, y_pred) == pytest.approx((0.01 * 2 + 0.36 * 2) / 4)
    assert losses.get("mae")(y_true, y_pred) == pytest.approx((0.1 * 2 + 0.6 * 2) / 4)
    bce = -(np.log(0.9) + np.log(0.9) + np.log(0.4) + np.log(0.4)) / 4
    assert losses.get("binary_crossentropy")(y_true, y_pred) == pytest.approx(bce)
    cce = -(np.log(0.9) + np.log(0.4)) / 2
    assert losses.get("categorical_crossentropy")(y_true, y_pred) == pytest.approx(cce)
    assert losses.get("sparse_categorical_crossentropy")([1, 0], y_pred) == pytest.approx(cce)
    # Keras normalises categorical probabilities and clips to [1e-7, 1 - 1e-7]
    assert losses.categorical_crossentropy([[0, 1]], [[2.0, 2.0]])[0] == pytest.approx(
        math.log(2))
    assert losses.binary_crossentropy([[1.0]], [[0.0]])[0] == pytest.approx(-math.log(1e-7))
    # per-sample function forms, Keras's names
    assert losses.mse(y_true, y_pred).shape == (2,)
    assert losses.get(losses.mean_absolute_error).name == "mean_absolute_error"


@pytest.mark.parametrize("loss, activation", [
    (losses.CategoricalCrossentropy(), softmax),
    (losses.BinaryCrossentropy(), sigmoid),
])
def test_fused_logit_gradient_is_p_minus_y_and_stable(loss, activation, rng):
    z = rng.normal(size=(5, 3)) * 3
    y = np.eye(3)[rng.integers(0, 3, 5)]
    n = z.size if isinstance(loss, losses.BinaryCrossentropy) else z.shape[0]
    out = np.empty_like(z)
    value = loss.value_and_logit_gradient(y, z, activation(z), out)
    assert_allclose(out, (activation(z) - y) / n, rtol=1e-14)
    # ...which is the derivative of the loss of activation(z):
    assert_allclose(out, numeric_grad(lambda: loss(y, activation(z)), z), rtol=1e-6,
                    atol=1e-9)
    assert value == pytest.approx(loss(y, activation(z)), rel=1e-10)
    # Stable for any logits: where p underflows to 0 the clipped form is stuck
    # at -log(1e-7); from the logits the loss is the true one, linear in z.
    huge = np.array([[1000.0, -1000.0, 0.0]])
    target = np.array([[0.0, 1.0, 0.0]])
    out = np.empty_like(huge)
    value = loss.value_and_logit_gradient(target, huge, None, out)
    assert np.isfinite(value) and np.all(np.isfinite(out))
    assert value > 600 / (3 if n == z.size else 1)


def test_sparse_labels_are_checked():
    loss = losses.SparseCategoricalCrossentropy()
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        loss([0, 3], np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError, match="must be integers"):
        loss([0.5, 1], np.full((2, 3), 1 / 3))
    with pytest.raises(ValueError, match="labels must have shape"):
        loss(np.zeros((2, 3)), np.full((2, 3), 1 / 3))
    assert_allclose(loss.encode_targets([[2], [0]], (2, 3), np.float32),
                    [[0, 0, 1], [1, 0, 0]])


# ---------------------------------------------------------------------- metrics

def test_accuracy_follows_keras_rules():
    assert isinstance(metrics.get("accuracy", (4, 1), (4, 1)), metrics.BinaryAccuracy)
    assert isinstance(metrics.get("acc", (4,), (4, 3)), metrics.SparseCategoricalAccuracy)
    assert isinstance(metrics.get("accuracy", (4, 1), (4, 3)),
                      metrics.SparseCategoricalAccuracy)
    assert isinstance(metrics.get("accuracy", (4, 3), (4, 3)), metrics.CategoricalAccuracy)
    binary = metrics.BinaryAccuracy()
    binary.update_state([[1], [0], [1], [0]], [[0.7], [0.5], [0.2], [0.1]])   # 0.5 is "0"
    assert binary.result() == 0.75
    cat = metrics.CategoricalAccuracy()
    cat.update_state([[0, 1, 0], [1, 0, 0]], [[0.1, 0.8, 0.1], [0.2, 0.7, 0.1]])
    assert cat.result() == 0.5
    sparse = metrics.SparseCategoricalAccuracy()
    sparse.update_state([1, 0, 2], [[0.1, 0.8, 0.1], [0.2, 0.7, 0.1], [0, 0, 1]])
    assert sparse.result() == pytest.approx(2 / 3)
    sparse.reset_state()
    assert sparse.result() == 0.0


# ------------------------------------------------------------------- optimizers

@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_matches_keras_rule(momentum, nesterov, rng):
    lr = 0.05
    w0 = rng.normal(size=(3, 2))
    grads = [rng.normal(size=(3, 2)) for _ in range(3)]
    w = w0.copy()
    opt = optimizers.SGD(learning_rate=lr, momentum=momentum, nesterov=nesterov)
    for g in grads:
        opt.apply([g], [w])
    # Keras 3: m = momentum m - lr g; w += m (nesterov: w += momentum m - lr g)
    ref, m = w0.copy(), np.zeros_like(w0)
    for g in grads:
        if momentum == 0:
            ref -= lr * g
            continue
        m = momentum * m - lr * g
        ref += momentum * m - lr * g if nesterov else m
    assert_allclose(w, ref, rtol=1e-14, atol=1e-15)
    assert opt.iterations == 3


def test_adam_matches_keras_rule(rng):
    lr, b1, b2, eps = 0.01, 0.8, 0.99, 1e-7
    w0, b0 = rng.normal(size=(4, 3)), rng.normal(size=3)
    steps = [(rng.normal(size=(4, 3)), rng.normal(size=3)) for _ in range(3)]
    w, b = w0.copy(), b0.copy()
    opt = optimizers.Adam(learning_rate=lr, beta_1=b1, beta_2=b2, epsilon=eps)
    for gw, gb in steps:
        opt.apply_gradients(zip([gw, gb], [w, b]))
    for var, var0, k in ((w, w0, 0), (b, b0, 1)):
        ref, m, v = var0.copy(), 0.0, 0.0
        for t, grads in enumerate(steps, start=1):
            g = grads[k]
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g ** 2
            alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
            ref = ref - alpha * m / (np.sqrt(v) + eps)
        assert_allclose(var, ref, rtol=1e-13, atol=1e-15)


def test_optimizer_identifiers_and_errors():
    assert isinstance(optimizers.get("sgd"), optimizers.SGD)
    adam = optimizers.get("adam")
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (
        0.001, 0.9, 0.999, 1e-7)
    assert optimizers.get("sgd").learning_rate == 0.01
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.Adam(learning_rate=-1.0)
    with pytest.raises(ValueError, match="unknown optimizer"):
        optimizers.get("rmsprop")
    opt = optimizers.SGD()
    w = np.zeros(2)
    opt.apply([np.ones(2)], [w])
    with pytest.raises(ValueError, match="other variables"):
        opt.apply([np.ones(2)], [np.zeros(2)])
    cfg = optimizers.Adam(0.1, beta_1=0.5).get_config()
    assert optimizers.Adam.from_config(cfg).get_config() == cfg


# ----------------------------------------------------------------- initializers

@pytest.mark.parametrize("name, std, uniform_limit", [
    ("glorot_uniform", None, math.sqrt(6 / 500)),
    ("he_uniform", None, math.sqrt(6 / 200)),
    ("glorot_normal", math.sqrt(2 / 500), None),
    ("he_normal", math.sqrt(2 / 200), None),
    ("lecun_normal", math.sqrt(1 / 200), None),
])
def test_variance_scaling_initializers(name, std, uniform_limit):
    values = initializers.get(name)((200, 300), "float64")
    assert values.shape == (200, 300) and values.dtype == np.float64
    if uniform_limit is not None:
        assert np.abs(values).max() <= uniform_limit
        assert values.std() == pytest.approx(uniform_limit / math.sqrt(3), rel=0.02)
    else:
        # Keras's truncated normal: within 2 stddev of its own (rescaled) scale,
        # and the intended variance overall.
        assert values.std() == pytest.approx(std, rel=0.02)
        assert np.abs(values).max() <= 2 * std / 0.87962566103423978 + 1e-12


def test_initializer_seeding():
    a = initializers.HeNormal(seed=3)((4, 5))
    assert np.array_equal(a, initializers.HeNormal(seed=3)((4, 5)))   # int seed: fixed
    gen = np.random.default_rng(0)
    init = initializers.GlorotUniform(seed=gen)
    assert not np.array_equal(init((3, 3)), init((3, 3)))               # Generator: advances
    initializers.set_random_seed(11)
    first = initializers.glorot_uniform((3, 3))
    initializers.set_random_seed(11)
    assert np.array_equal(first, initializers.glorot_uniform((3, 3)))
    assert np.all(initializers.get("zeros")((2,)) == 0)
    assert np.all(initializers.get("Ones")((2,)) == 1)
    cfg = initializers.serialize(initializers.HeUniform(seed=5))
    assert cfg["class_name"] == "HeUniform" and cfg["config"] == {"seed": 5}
    assert np.array_equal(initializers.deserialize(cfg)((2, 2)),
                          initializers.HeUniform(seed=5)((2, 2)))
    with pytest.raises(ValueError, match="unknown initializer"):
        initializers.get("glorot")


# ------------------------------------------------------------- model gradients

def two_layer_model(last, hidden="tanh", n_in=3):
    initializers.set_random_seed(5)
    return Sequential([Dense(4, activation=hidden, dtype=F64), *last])


MODEL_CASES = [
    # (output layers, loss, target kind, fused?)
    (lambda: [Dense(3, "softmax", dtype=F64)], "categorical_crossentropy", "onehot", True),
    (lambda: [Dense(3, dtype=F64), Softmax(dtype=F64)], "sparse_categorical_crossentropy",
     "labels", True),
    (lambda: [Dense(1, "sigmoid", dtype=F64)], "binary_crossentropy", "binary", True),
    (lambda: [Dense(2, "sigmoid", dtype=F64)], "binary_crossentropy", "binary2", True),
    (lambda: [Dense(3, dtype=F64)], losses.CategoricalCrossentropy(from_logits=True),
     "onehot", False),
    (lambda: [Dense(1, dtype=F64)], losses.BinaryCrossentropy(from_logits=True), "binary",
     False),
    (lambda: [Dense(2, "softmax", dtype=F64)], "binary_crossentropy", "binary2", False),
    (lambda: [Dense(3, "sigmoid", dtype=F64)], "categorical_crossentropy", "onehot", False),
    (lambda: [Dense(2, dtype=F64)], "mse", "real", False),
    (lambda: [Dense(2, "tanh", dtype=F64)], "mae", "real", False),
    (lambda: [PReLU(alpha_initializer=initializers.Constant(0.25), dtype=F64),
              Dense(3, dtype=F64), ELU(dtype=F64), LeakyReLU(dtype=F64),
              Dense(2, dtype=F64)], "mse", "real", False),
]


def targets(kind, rng, n=6):
    if kind == "onehot":
        return np.eye(3)[rng.integers(0, 3, n)]
    if kind == "labels":
        return rng.integers(0, 3, n)
    if kind == "binary":
        return rng.integers(0, 2, (n, 1)).astype(float)
    if kind == "binary2":
        return rng.integers(0, 2, (n, 2)).astype(float)
    return rng.normal(size=(n, 2))


@pytest.mark.parametrize("last, loss, kind, fused", MODEL_CASES)
def test_model_gradients_match_finite_differences(last, loss, kind, fused, rng):
    model = two_layer_model(last())
    model.compile(optimizer="sgd", loss=loss)
    x, y = rng.normal(size=(6, 3)), targets(kind, rng)
    value, grads = model.compute_gradients(x, y)
    assert model._fused_head() is fused
    assert len(grads) == len(model.trainable_weights)

    def objective():
        return model.compute_gradients(x, y)[0]

    for w, g in zip(model.trainable_weights, grads):
        assert_allclose(g, numeric_grad(objective, w), rtol=1e-5, atol=1e-8)
    # The training value is the loss (computed from logits when fused).
    assert value == pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-10)


def test_fit_step_is_compute_gradients_then_optimizer(rng):
    x, y = rng.normal(size=(8, 3)), np.eye(3)[rng.integers(0, 3, 8)]
    model = two_layer_model([Dense(3, "softmax", dtype=F64)])
    model.compile(optimizer=optimizers.SGD(0.1), loss="categorical_crossentropy")
    model.build(x.shape)
    before = model.get_weights()
    _, grads = model.compute_gradients(x, y)
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for w0, g, w1 in zip(before, grads, model.get_weights()):
        assert_allclose(w1, w0 - 0.1 * g, rtol=1e-13, atol=1e-15)


# ------------------------------------------------------------------------ model

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([0, 1, 1, 0])


def test_fit_history_predict_evaluate():
    initializers.set_random_seed(2)
    model = Sequential([Dense(2, activation="sigmoid"), Dense(1)])
    model.compile(optimizer=optimizers.Adam(0.1), loss="mse", metrics=["accuracy"])
    history = model.fit(XOR_X, XOR_Y, epochs=300, batch_size=4, verbose=0)
    assert isinstance(history, models.History)
    assert list(history.history) == ["accuracy", "loss"]          # Keras sorts the logs
    assert len(history.history["loss"]) == 300 and history.epoch == list(range(300))
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, acc = model.evaluate(XOR_X, XOR_Y, verbose=0)
    assert acc == 1.0
    assert model.evaluate(XOR_X, XOR_Y, return_dict=True) == {"accuracy": acc, "loss": loss}
    pred = model.predict(XOR_X)
    assert pred.shape == (4, 1) and pred.dtype == np.float32
    assert_allclose(pred[:, 0] > 0.5, XOR_Y.astype(bool))
    assert not history.interrupted


def test_fit_validation_and_partial_batches(rng):
    x = rng.normal(size=(50, 4)).astype(np.float32)
    labels = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0)
    model = Sequential([Dense(8, "relu"), Dense(3, "softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", ["accuracy"])
    history = model.fit(x, labels, batch_size=16, epochs=3, verbose=0,
                        validation_data=(x[:10], labels[:10]))
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert history.params["steps"] == 4                           # 16 + 16 + 16 + 2
    val_loss, val_acc = model.evaluate(x[:10], labels[:10])
    assert history.history["val_loss"][-1] == pytest.approx(val_loss, rel=1e-6)
    assert history.history["val_accuracy"][-1] == val_acc


def test_verbose_output(capsys):
    model = Sequential([Dense(1, "sigmoid")])
    model.compile("sgd", "binary_crossentropy", ["accuracy"])
    model.fit(XOR_X, XOR_Y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""
    model.fit(XOR_X, XOR_Y, epochs=2, batch_size=2, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2\n" in out and "Epoch 2/2\n" in out
    assert "\r" in out and "2/2 ━━━━━━━━━━━━━━━━━━━━" in out
    assert " - accuracy: " in out and " - loss: " in out
    assert out.index("accuracy:") < out.index("loss:")            # Keras's order
    assert "\x1b[" not in out                                     # no ANSI off a terminal


class _InterruptAt(Activation):
    """A linear layer that signals Ctrl-C (or raises KeyboardInterrupt) at its
    ``at``-th training call."""

    def __init__(self, at, raise_directly=False):
        super().__init__("linear")
        self.at, self.raise_directly, self.calls = at, raise_directly, 0

    def call(self, x, training=False):
        if training:
            self.calls += 1
            if self.calls == self.at:
                if self.raise_directly:
                    raise KeyboardInterrupt
                signal.raise_signal(signal.SIGINT)
        return super().call(x, training=training)


def test_ctrl_c_stops_after_the_batch_and_keeps_weights(capsys):
    initializers.set_random_seed(0)
    model = Sequential([Dense(2, "sigmoid"), _InterruptAt(at=7), Dense(1)])
    model.compile(optimizers.SGD(0.5), "mse", ["accuracy"])
    model.build((None, 2))
    initial = model.get_weights()
    previous = signal.getsignal(signal.SIGINT)
    history = model.fit(XOR_X, XOR_Y, epochs=5, batch_size=2, shuffle=False, verbose=1)
    # 2 batches per epoch: the 7th is batch 1 of epoch 4; it completes.
    assert history.interrupted
    assert history.epoch == [0, 1, 2] and len(history.history["loss"]) == 3
    assert model.optimizer.iterations == 7
    assert signal.getsignal(signal.SIGINT) is previous
    assert not all(np.array_equal(a, b) for a, b in zip(initial, model.get_weights()))
    out = capsys.readouterr().out
    assert "Training interrupted (Ctrl-C) in epoch 4/5 after batch 1/2" in out
    # Quiet fits put the note on stderr.
    model.layers[1].calls, model.layers[1].at = 0, 1
    history = model.fit(XOR_X, XOR_Y, epochs=5, batch_size=2, verbose=0)
    captured = capsys.readouterr()
    assert history.interrupted and history.epoch == [] and captured.out == ""
    assert "Training interrupted" in captured.err


def test_keyboard_interrupt_outside_the_main_thread(capsys):
    # No signal handler can be set there: the loop catches KeyboardInterrupt.
    model = Sequential([Dense(2, "sigmoid"), _InterruptAt(at=3, raise_directly=True), Dense(1)])
    model.compile("adam", "mse")
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault(
        "history", model.fit(XOR_X, XOR_Y, epochs=4, batch_size=4, verbose=0)))
    thread.start()
    thread.join()
    assert result["history"].interrupted and result["history"].epoch == [0, 1]


SUMMARY = """\
Model: "xor_net"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ hidden (Dense)                       │ (None, 2)                   │               6 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ output (Dense)                       │ (None, 1)                   │               3 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 9 (36.00 B)
 Trainable params: 9 (36.00 B)
 Non-trainable params: 0 (0.00 B)
"""


def test_summary_is_keras_table(capsys):
    model = Sequential([Input(shape=(2,)), Dense(2, "sigmoid", name="hidden"),
                        Dense(1, name="output")], name="xor_net")
    model.summary()
    assert capsys.readouterr().out == SUMMARY
    unbuilt = Sequential([Dense(4, name="later")], name="unbuilt")
    lines = []
    unbuilt.summary(print_fn=lines.append)
    row = "│ later (Dense)                        │ ?                           │     0 (unbuilt) │"
    assert row in lines
    assert lines[-3] == " Total params: 0 (0.00 B)"
    big = Sequential([Input(shape=(64,)), Dense(64, "relu"), Dense(10, "softmax")])
    text = []
    big.summary(print_fn=text.append)
    assert " Total params: 4,810 (18.79 KB)" in text


def test_save_and_load_weights(tmp_path, rng):
    model = Sequential([Input(shape=(3,)), Dense(4, "relu"), PReLU(), Dense(2)])
    path = tmp_path / "model.npz"
    model.save_weights(path)
    other = Sequential([Input(shape=(3,)), Dense(4, "relu"), PReLU(), Dense(2)])
    other.load_weights(path)
    for a, b in zip(model.get_weights(), other.get_weights()):
        assert np.array_equal(a, b)
    x = rng.normal(size=(5, 3))
    assert np.array_equal(model.predict(x), other.predict(x))
    with pytest.raises(ValueError, match="must end in `.npz`"):
        model.save_weights(tmp_path / "model.h5")
    wrong = Sequential([Input(shape=(3,)), Dense(5), Dense(2)])
    with pytest.raises(ValueError, match="holds weights"):
        wrong.load_weights(path)


def test_weights_stay_views_after_fit_and_set_weights(rng):
    model = Sequential([Dense(3, "relu"), Dense(1)])
    model.compile("sgd", "mse")
    x, y = rng.normal(size=(8, 2)), rng.normal(size=(8, 1))
    model.fit(x, y, epochs=1, verbose=0)
    new = [np.full(w.shape, 0.5) for w in model.get_weights()]
    model.set_weights(new)
    model.fit(x, y, epochs=1, verbose=0)         # keeps training the same storage
    assert not np.array_equal(model.get_weights()[0], new[0])
    assert model.layers[0].kernel.base is not None


# ------------------------------------------------------------------ config round trips

LAYERS_FOR_CONFIG = [
    lambda: Dense(5, activation="relu", use_bias=False, kernel_initializer="he_normal",
                  name="d"),
    lambda: Dense(2, activation=functools.partial(fastact.activations.elu, alpha=0.5)),
    lambda: Activation("gelu"),
    lambda: ReLU(max_value=6.0, negative_slope=0.1, threshold=0.5),
    lambda: LeakyReLU(negative_slope=0.2),
    lambda: PReLU(alpha_initializer="ones", shared_axes=[1]),
    lambda: ELU(alpha=0.7),
    lambda: Softmax(axis=[1, 2]),
]


@pytest.mark.parametrize("make", LAYERS_FOR_CONFIG)
def test_get_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    json.dumps(config)                                 # plain data, as Keras's
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    again = layers.deserialize(layers.serialize(layer))
    assert again.get_config() == config


def test_keras_config_keys():
    assert set(Dense(1).get_config()) == {
        "name", "trainable", "dtype", "units", "activation", "use_bias", "kernel_initializer",
        "bias_initializer", "kernel_regularizer", "bias_regularizer", "activity_regularizer",
        "kernel_constraint", "bias_constraint"}
    assert Dense(1).get_config()["activation"] == "linear"
    assert ReLU().get_config()["max_value"] is None
    assert Dense(1).get_config()["kernel_initializer"]["class_name"] == "GlorotUniform"


def test_sequential_config_round_trip(rng):
    model = Sequential([Dense(3, "tanh"), Dense(2, "softmax")], name="m")
    clone = Sequential.from_config(model.get_config())
    assert [layer.get_config() for layer in clone.layers] == \
        [layer.get_config() for layer in model.layers]


# --------------------------------------------------------------------- bad arguments

@pytest.mark.parametrize("units", [0, -3, 1.5, True, "4", None])
def test_dense_units_must_be_positive_int(units):
    with pytest.raises(ValueError, match="expected a positive integer"):
        Dense(units)


@pytest.mark.parametrize("kwargs, message", [
    ({"max_value": -1.0}, "max_value of a ReLU layer cannot be a negative value. "
                          "Received: max_value=-1.0"),
    ({"negative_slope": -0.1}, "negative_slope of a ReLU layer cannot be None or a negative "
                               "value. Received: negative_slope=-0.1"),
    ({"threshold": -2}, "threshold of a ReLU layer cannot be None or a negative value. "
                        "Received: threshold=-2"),
    ({"negative_slope": None}, "negative_slope of a ReLU layer cannot be None"),
])
def test_relu_validation_messages_are_keras(kwargs, message):
    with pytest.raises(ValueError) as info:
        ReLU(**kwargs)
    assert message in str(info.value)


def test_leaky_relu_alpha_is_deprecated():
    with pytest.raises(ValueError, match="negative_slope value of a Leaky ReLU layer cannot"):
        LeakyReLU(negative_slope=-0.1)
    with pytest.warns(DeprecationWarning, match="`alpha` is deprecated"):
        layer = LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LeakyReLU(negative_slope=0.1)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="unknown activation"):
        Dense(2, activation="relux")
    with pytest.raises(ValueError, match="ELU: invalid activation 'elu'.*alpha"):
        ELU(alpha=-1.0)
    with pytest.raises(NotImplementedError, match="kernel_regularizer"):
        Dense(2, kernel_regularizer="l2")
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        Dense(2, dtype="int32")
    with pytest.raises(ValueError, match="shared_axes must be ints >= 1"):
        PReLU(shared_axes=[0])
    with pytest.raises(ValueError, match="halves the units axis"):
        Dense(4, activation="glu")
    with pytest.raises(ValueError, match="unknown loss"):
        losses.get("hinge")
    with pytest.raises(TypeError, match="no gradient"):
        losses.get(lambda a, b: 0.0)
    model = Sequential([Dense(1)])
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(XOR_X, XOR_Y)
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="4 samples but y has 3"):
        model.fit(XOR_X, XOR_Y[:3])
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        model.fit(XOR_X, XOR_Y, batch_size=0)
    with pytest.raises(TypeError, match="add"):
        model.add("dense")
    with pytest.raises(ValueError, match="unknown metric"):
        Sequential([Dense(1)]).compile("sgd", "mse", metrics=["precision"])


# ------------------------------------------------------------- allocation-free steps

def _step_allocations(model, x, y, batch_size, epochs=4):
    """Peak bytes above the running level, per part of ``fit``'s steady state.

    tracemalloc's peak is reset at every boundary between the parts, so each
    figure is the most memory one part held at once beyond what was live
    when it started, i.e. the largest transient allocation in it:

    * ``loop``: between two steps (batch gathering, bookkeeping);
    * ``ours``: the step outside ``fastact.dense_backward`` (layers' forward
      calls, loss, backward glue, metrics, optimizer);
    * ``dense_backward``: inside fastact's ``dense_backward`` calls.

    ``growth``: how much the live memory grew over the last two epochs,
    between step ends.  The first epoch is the warm-up (every batch shape
    allocates its buffers once); the rest are measured.
    """
    steps_per_epoch = math.ceil(len(x) / batch_size)
    found = {"loop": 0, "ours": 0, "dense_backward": 0}
    state = {"step": 0, "level": None, "levels": []}
    real_backward, real_step = layers.dense_backward, model._train_step

    def peak_since(key, level):
        current, peak = tracemalloc.get_traced_memory()
        found[key] = max(found[key], peak - level)
        tracemalloc.reset_peak()
        return current

    def measured_backward(*args, **kwargs):
        if state["step"] <= steps_per_epoch:
            return real_backward(*args, **kwargs)
        level = peak_since("ours", state["entry"])
        result = real_backward(*args, **kwargs)
        peak_since("dense_backward", level)
        return result

    def measured_step(*args):
        state["step"] += 1
        if state["step"] <= steps_per_epoch:
            return real_step(*args)
        if state["level"] is not None:
            peak_since("loop", state["level"])
        state["entry"] = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = real_step(*args)
        state["level"] = peak_since("ours", state["entry"])
        state["levels"].append(state["level"])
        return result

    layers.dense_backward, model._train_step = measured_backward, measured_step
    tracemalloc.start()
    try:
        model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0)
    finally:
        tracemalloc.stop()
        layers.dense_backward = real_backward
        del model._train_step
    found["growth"] = state["levels"][-1] - state["levels"][steps_per_epoch - 1]
    found["steps"] = len(state["levels"])
    return found


# Python objects a step creates and frees (views, tuples, bound methods,
# floats, NumPy's iterator state of a reduction): 2.4-2.7 KB measured in
# each part.  Every array the step could allocate is larger than this limit
# in the configuration below: a per-sample vector (1024 float64 = 8 KB;
# even a bool one is 1 KB + its header, and sums with others it lives
# with), a batch of activations (>= 80 KB), a kernel (>= 20 KB).  Only
# bias-sized arrays (2 KB) could hide under it.
NOISE = 4096


def _numpy_reduction_buffer(rows, cols):
    """Bytes NumPy itself holds while it sums a (rows, cols) float64 array along
    its rows, as the losses and metrics do: the iterator's buffer, 64 KiB
    (8192 elements) before NumPy 2.3 and none since.  Not an array of the
    step's; measured rather than assumed, so the limit is as tight as the
    installed NumPy allows (tools/test_oldest.sh runs NumPy 1.23).  A figure
    under NOISE is the Python objects of the call, which NOISE already allows."""
    a, out = np.ones((rows, cols)), np.empty(rows)
    tracemalloc.start()
    try:
        level = tracemalloc.get_traced_memory()[0]
        a.sum(axis=-1, out=out)
        held = tracemalloc.get_traced_memory()[1] - level
        return held if held > NOISE else 0
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("loss, head, optimizer", [
    ("sparse_categorical_crossentropy", "softmax", "adam"),   # fused softmax + CE
    ("binary_crossentropy", "sigmoid", "sgd"),                # fused sigmoid + BCE
    ("categorical_crossentropy", "sigmoid", "adam"),          # probability forms
    ("mse", "gelu", "nesterov"),                              # an activation needing z
    ("mae", "tanh", "momentum"),
])
def test_training_step_allocates_no_arrays(loss, head, optimizer, rng):
    batch, n_in, hidden = 1024, 32, 256
    n = 3 * batch + batch // 2                    # two batch shapes: full and partial
    x = rng.normal(size=(n, n_in))
    labels = rng.integers(0, 10, n)
    units = 1 if loss == "binary_crossentropy" else 10
    y = {"sparse_categorical_crossentropy": labels,
         "binary_crossentropy": (labels % 2)[:, None]}.get(loss, np.eye(10)[labels])
    opt = {"adam": optimizers.Adam(), "sgd": optimizers.SGD(),
           "nesterov": optimizers.SGD(momentum=0.9, nesterov=True),
           "momentum": optimizers.SGD(momentum=0.9)}[optimizer]
    model = Sequential([Dense(hidden, "relu", dtype=F64), PReLU(dtype=F64),
                        Dense(units, head, dtype=F64)])
    model.compile(opt, loss, ["accuracy"])
    found = _step_allocations(model, x, y, batch)
    limit = NOISE + _numpy_reduction_buffer(batch, 10)
    assert found["steps"] == 3 * 4
    assert found["loop"] <= limit, found
    assert found["ours"] <= limit, found
    # Retained memory: an array kept per step would add >= 8 KB x 8 steps.
    # What does grow here is the interpreter's free lists filling up (tuples,
    # floats... freed into them stay traced), 0.1-0.7 KB per step for a while
    # and then flat: see test_training_memory_stays_flat.
    assert found["growth"] <= 4 * NOISE, found
    # fastact.dense_backward allocates dz = dy * f'(z) itself (its docstring:
    # "a training loop allocates nothing but dz per step": 2 MB here) and
    # db's per-block partial sums (blocks x units float64: 8 KB here).  That
    # much, and no more, is allowed inside it.
    dz_bytes = batch * hidden * 8
    partial_sums = 4 * hidden * 8
    assert found["dense_backward"] <= dz_bytes + partial_sums + NOISE, found


def test_training_memory_stays_flat():
    """Over thousands of steps the live memory stops growing: nothing is kept
    per step (the free lists above fill up once)."""
    model = Sequential([Dense(2, "sigmoid"), Dense(1)])
    model.compile(optimizers.Adam(0.1), "mse", ["accuracy"])
    model.fit(XOR_X, XOR_Y, epochs=1000, verbose=0)       # warm-up, untraced
    tracemalloc.start()
    try:
        levels = []
        for _ in range(3):
            model.fit(XOR_X, XOR_Y, epochs=300, batch_size=4, verbose=0)
            levels.append(tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    # 300 steps retaining even 8 bytes each would be 2.4 KB per run.
    assert levels[-1] - levels[0] <= 512, levels
