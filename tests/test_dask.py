"""fastact on Dask arrays, computed on a real ``dask.distributed.LocalCluster``
with two worker processes (loopback only), started and closed here.

What is checked: lazy results with the documented chunks; values equal to the
in-memory fastact result bitwise (elementwise, row-wise, dense, dx, predict),
or within the summation-order bound (dense_backward's dW and db); W and the
model entering the graph once; clear errors for what cannot work.
"""

import functools
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import fastact
from fastact import _manifest, activations, derivatives
from fastact.layers import Dense, Input
from fastact.models import Sequential

import child

REASON = "dask is not installed (the 'dask' extra: pip install 'fastact[dask]')"
da = pytest.importorskip("dask.array", reason=REASON)
dask = pytest.importorskip("dask", reason=REASON)
distributed = pytest.importorskip("distributed", reason=REASON)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address=None)
    with cluster, distributed.Client(cluster) as c:
        assert len(c.scheduler_info()["workers"]) == 2
        yield c


def compute(client, *arrays):
    """The arrays computed on the cluster's worker processes."""
    return client.gather(client.compute(list(arrays)))


def special_values(dtype):
    info = np.finfo(dtype)
    return np.array([0.0, -0.0, np.inf, -np.inf, np.nan, info.tiny / 4, -info.tiny / 4,
                     info.max, -info.max, 88.72, -88.72, 103.97, -103.97, 709.78, -709.78],
                    dtype=dtype)


def sample(shape, dtype, seed=0):
    """Normal values with the special values spread through them."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    flat = x.reshape(-1)
    special = special_values(dtype)
    flat[rng.choice(flat.size, size=len(special), replace=False)] = special
    return x


def params_for(act):
    """Default parameters; the required ones of threshold get values."""
    return {p.name: 0.5 if p.default is _manifest.REQUIRED else p.default for p in act.params}


# ------------------------------------------------------------------ import

def test_import_fastact_does_not_import_dask():
    code = ("import sys, numpy as np, fastact\n"
            "from fastact.layers import Dense\n"
            "from fastact.models import Sequential\n"
            "x = np.ones((4, 3), np.float32)\n"
            "fastact.activations.sigmoid(x); fastact.activations.softmax(x)\n"
            "fastact.derivatives.tanh(x, dy=x)\n"
            "fastact.dense(x, np.ones((3, 2), np.float32), None, 'relu')\n"
            "Sequential([Dense(2)]).predict(x)\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('dask', 'distributed')))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=child.CWD, capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------- elementwise

def elementwise_case(act, dtype, chunked=True):
    """{what: (lazy result, in-memory result)} for act's forward and derivatives,
    on arrays split into chunks that do not line up (or, unchunked, one chunk each)."""
    x = sample((301, 17), dtype)
    dy = sample((301, 17), dtype, seed=1)
    xd = da.from_array(x, chunks=(101, 9) if chunked else -1)
    dyd = da.from_array(dy, chunks=(64, 17) if chunked else -1)
    params = params_for(act)
    f = functools.partial(getattr(activations, act.name), **params)
    g = functools.partial(getattr(derivatives, act.name), **params)
    case = {"f(x)": (f(xd), f(x)), "f'(x)": (g(xd), g(x)),
            "dy f'(x)": (g(xd, dy=dyd), g(x, dy=dy)),
            "dy f'(x), dy in memory": (g(xd, dy=dy), g(x, dy=dy))}
    if act.from_y is not None and act.from_y(params) is None:
        y = f(x)
        yd = da.from_array(y, chunks=(150, 5) if chunked else -1)
        case["dy f'(y)"] = (g(y=yd, dy=dyd), g(y=y, dy=dy))
    assert case["f(x)"][0].chunks == xd.chunks
    return {f"{act.name} {np.dtype(dtype).name} {what}": pair for what, pair in case.items()}


def assert_computed_equal(case, values):
    """Each computed value equals its in-memory twin bitwise, dtype included."""
    for (what, (lazy, expected)), value in zip(case.items(), values):
        assert isinstance(lazy, da.Array) and lazy.dtype == expected.dtype, what
        np.testing.assert_array_equal(value, expected, err_msg=what)
        assert value.dtype == expected.dtype, what


# Each function's chunked graph runs in this process (dask's synchronous
# scheduler runs the same tasks); the cluster test after it runs every
# function on one chunk in the worker processes, which checks pickling and the
# workers' import for all of them.  (The cluster costs about 4 ms per task: all
# the chunked graphs there took 20 s.)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("act", _manifest.ELEMENTWISE, ids=lambda a: a.name)
def test_elementwise_forward_and_derivatives(act, dtype):
    case = elementwise_case(act, dtype)
    assert_computed_equal(case, dask.compute(*(lazy for lazy, _ in case.values()),
                                             scheduler="sync"))


def test_every_elementwise_function_on_the_cluster(client):
    case = {}
    for act in _manifest.ELEMENTWISE:
        for dtype in (np.float32, np.float64):
            case.update(elementwise_case(act, dtype, chunked=False))
    assert_computed_equal(case, compute(client, *(lazy for lazy, _ in case.values())))


def test_parameters_pass_through(client):
    x = sample((200, 9), np.float64)
    xd = da.from_array(x, chunks=(30, 4))
    cases = [(activations.relu, dict(negative_slope=0.1, max_value=2.0, threshold=0.5)),
             (activations.leaky_relu, dict(negative_slope=0.01)),
             (activations.elu, dict(alpha=0.3)),
             (activations.gelu, dict(approximate=True)),
             (activations.squareplus, dict(b=0.0)),
             (derivatives.celu, dict(alpha=2.0))]
    lazy = [f(xd, **kw) for f, kw in cases]
    for (f, kw), value in zip(cases, compute(client, *lazy)):
        np.testing.assert_array_equal(value, f(x, **kw), err_msg=f.__name__)


def test_parameters_are_checked_before_anything_runs():
    xd = da.ones((10, 3), chunks=5)
    with pytest.raises(ValueError, match="elu: alpha must be finite"):
        activations.elu(xd, alpha=np.inf)
    with pytest.raises(TypeError, match="out= cannot hold a lazy Dask result"):
        activations.sigmoid(xd, out=np.empty((10, 3)))
    with pytest.raises(TypeError, match="complex"):
        activations.sigmoid(xd.astype(np.complex128))
    with pytest.raises(ValueError, match="dy has shape"):
        derivatives.tanh(xd, dy=np.ones((10, 4)))


def test_float16_and_integer_follow_the_in_memory_dtype_rule(client):
    x16 = sample((50, 4), np.float16)
    xi = np.arange(-20, 20).reshape(10, 4)
    lazy = [activations.sigmoid(da.from_array(x16, chunks=7)),
            activations.sigmoid(da.from_array(xi, chunks=3))]
    assert [a.dtype for a in lazy] == [np.float16, np.float64]
    for value, expected in zip(compute(client, *lazy),
                               [activations.sigmoid(x16), activations.sigmoid(xi)]):
        np.testing.assert_array_equal(value, expected)
        assert value.dtype == expected.dtype


def test_blocks_other_than_numpy_are_refused():
    masked = da.ma.masked_greater(da.ones((6, 2), chunks=3), 2)
    with pytest.raises(TypeError, match="MaskedArray blocks"):
        activations.sigmoid(masked)


# ------------------------------------------------------------------ row-wise

ROWWISE = ["softmax", "log_softmax", "sparsemax"]


def rowwise_case(name, axis, dtype, chunked=True):
    """{what: (lazy, in-memory)} for the forward and vector-Jacobian products of
    a row-wise function; chunked, every reduction axis is split."""
    x = sample((40, 6, 30), dtype)
    dy = sample((40, 6, 30), dtype, seed=2)
    xd = da.from_array(x, chunks=(9, 4, 7) if chunked else -1)
    dyd = da.from_array(dy, chunks=(11, 6, 30) if chunked else -1)
    f, vjp = getattr(activations, name), getattr(derivatives, name)
    y = f(x, axis=axis)
    yd = da.from_array(y, chunks=5 if chunked else -1)
    case = {"f(x)": (f(xd, axis=axis), y),
            "vjp(dy, x)": (vjp(dyd, xd, axis=axis), vjp(dy, x, axis=axis)),
            "vjp(dy, y)": (vjp(dyd, y=yd, axis=axis), vjp(dy, y=y, axis=axis)),
            "vjp(dy, x), x in memory": (vjp(dyd, x, axis=axis), vjp(dy, x, axis=axis))}
    axes = (axis,) if isinstance(axis, int) else axis
    forward = case["f(x)"][0]
    for a in axes:
        assert forward.numblocks[a] == 1, "a reduction axis must be one chunk"
    for a in set(range(3)) - {b % 3 for b in axes}:
        assert forward.chunks[a] == xd.chunks[a], "the other axes keep their chunks"
    return {f"{name} axis={axis} {np.dtype(dtype).name} {what}": pair
            for what, pair in case.items()}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", ROWWISE)
@pytest.mark.parametrize("axis", [-1, 0, (0, 2)])
def test_rowwise_forward_and_vjp(name, axis, dtype):
    case = rowwise_case(name, axis, dtype)
    assert_computed_equal(case, dask.compute(*(lazy for lazy, _ in case.values()),
                                             scheduler="sync"))


def test_every_rowwise_function_on_the_cluster(client):
    case = {}
    for name in ROWWISE:
        for dtype in (np.float32, np.float64):
            case.update(rowwise_case(name, -1, dtype, chunked=False))
    assert_computed_equal(case, compute(client, *(lazy for lazy, _ in case.values())))


def test_glu_and_its_vjp(client):
    x = sample((50, 24), np.float32)
    dy = sample((50, 12), np.float32, seed=3)
    xd = da.from_array(x, chunks=(7, 5))
    lazy = [activations.glu(xd), derivatives.glu(da.from_array(dy, chunks=(13, 4)), xd),
            derivatives.glu(dy, xd), activations.glu(xd, axis=0)]
    assert lazy[0].chunks == (xd.chunks[0], (12,))
    assert lazy[3].chunks[0] == (25,)
    expected = [activations.glu(x), derivatives.glu(dy, x), derivatives.glu(dy, x),
                activations.glu(x, axis=0)]
    for value, exp in zip(compute(client, *lazy), expected):
        np.testing.assert_array_equal(value, exp)
    with pytest.raises(ValueError, match="must be even"):
        activations.glu(da.ones((4, 5), chunks=2))


def unknown_rows(x, chunks):
    """A Dask array whose row chunks have unknown (NaN) sizes, as after boolean indexing."""
    xd = da.from_array(x, chunks=chunks)
    return xd[xd[:, 0] > -np.inf]


def test_a_reduction_axis_of_unknown_chunk_sizes_is_a_clear_error(client):
    x = sample((40, 12), np.float64)
    xd = unknown_rows(x, (10, 12))
    assert np.isnan(xd.shape[0])
    with pytest.raises(ValueError, match=r"softmax: axis 0 of x is split into chunks of "
                                         r"unknown size.*compute_chunk_sizes"):
        activations.softmax(xd, axis=0)
    # along the known axis it works, and rows of unknown count are fine
    value, = compute(client, activations.softmax(xd, axis=1))
    np.testing.assert_array_equal(value, activations.softmax(x, axis=1))


# --------------------------------------------------------------------- dense

DENSE_ACTIVATIONS = ["linear", "sigmoid", "relu", "gelu", "softmax", "log_softmax", "glu",
                     "sparsemax", functools.partial(activations.leaky_relu, negative_slope=0.1),
                     np.tanh, None]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dense_equals_in_memory_bitwise(client, dtype):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((9000, 37)).astype(dtype)
    W = np.asfortranarray(rng.standard_normal((37, 20)).astype(dtype))   # Keras's F order
    b = rng.standard_normal(20).astype(dtype)
    xd = da.from_array(x, chunks=(1000, 10))          # rows chunked, features split
    lazy = [fastact.dense(xd, W, b, act) for act in DENSE_ACTIVATIONS]
    lazy += list(fastact.dense(xd, W, b, "gelu", return_z=True))
    lazy.append(fastact.dense(da.from_array(x[:3000].reshape(30, 100, 37), chunks=(7, 50, 37)),
                              W, None, "elu"))
    expected = [fastact.dense(x, W, b, act) for act in DENSE_ACTIVATIONS]
    expected += list(fastact.dense(x, W, b, "gelu", return_z=True))
    expected.append(fastact.dense(x[:3000].reshape(30, 100, 37), W, None, "elu"))
    for k, (value, exp) in enumerate(zip(compute(client, *lazy), expected)):
        assert lazy[k].shape == exp.shape and lazy[k].dtype == exp.dtype
        assert lazy[k].numblocks[0] > 1, "rows stay chunked"
        np.testing.assert_array_equal(value, exp, err_msg=f"dense output {k}")


def test_dense_sends_W_once_not_once_per_task():
    rng = np.random.default_rng(6)
    W = rng.standard_normal((64, 256)).astype(np.float32)
    b = rng.standard_normal(256).astype(np.float32)
    xd = da.ones((50000, 64), chunks=(2000, 64), dtype=np.float32)
    y = fastact.dense(xd, W, b, "relu")
    graph = dict(y.__dask_graph__())
    sizes = sorted(len(pickle.dumps(task)) for task in graph.values())
    assert y.numblocks[0] >= 10
    assert sum(size >= W.nbytes for size in sizes) == 1, sizes[-3:]


def test_dense_errors(client):
    W = np.ones((5, 3))
    with pytest.raises(ValueError, match="x has 4 features"):
        fastact.dense(da.ones((10, 4), chunks=5), W)
    with pytest.raises(ValueError, match="unknown activation|Unknown activation"):
        fastact.dense(da.ones((10, 5), chunks=5), W, None, "sigmoidd")
    with pytest.raises(TypeError, match="W must be a NumPy array"):
        fastact.dense(da.ones((10, 5), chunks=5), da.ones((5, 3)))
    with pytest.raises(TypeError, match="out= cannot hold"):
        fastact.dense(da.ones((10, 5), chunks=5), W, out=np.empty((10, 3)))
    x = sample((40, 5), np.float64)
    with pytest.raises(ValueError, match=r"dense: x has axes of unknown size.*"
                                         r"compute_chunk_sizes"):
        fastact.dense(unknown_rows(x, (10, 5)), W)
    # a feature axis split into chunks of unknown size cannot be rechunked into one
    features_unknown = da.from_array(x, chunks=(10, 2))
    features_unknown = features_unknown[:, features_unknown[0] > -np.inf]
    assert features_unknown.numblocks[1] == 3
    with pytest.raises(ValueError, match=r"dense: the last axis of x has unknown size; "
                                         r"call x.compute_chunk_sizes\(\) first"):
        fastact.dense(features_unknown, W)


def summation_bound(x, dz, dtype):
    """|a - b| <= 2 gamma_n |x|^T |dz| for two sums of the n products x_rk dz_rj
    in different orders (Higham, Accuracy and Stability, eq. 3.5), per element."""
    n = x.shape[0]
    u = np.finfo(dtype).eps / 2
    gamma = n * u / (1 - n * u)
    return 2 * gamma * (np.abs(x.astype(np.float64)).T @ np.abs(dz.astype(np.float64)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation,keep", [("sigmoid", "y"), ("gelu", "z"),
                                             ("softmax", "y"), ("linear", None)])
def test_dense_backward(client, activation, keep, dtype):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((20000, 30)).astype(dtype)
    W = rng.standard_normal((30, 12)).astype(dtype)
    b = rng.standard_normal(12).astype(dtype)
    y, z = fastact.dense(x, W, b, activation, return_z=True)
    dy = rng.standard_normal(y.shape).astype(dtype)
    kept = {} if keep is None else {keep: {"y": y, "z": z}[keep]}
    xd = da.from_array(x, chunks=(1500, 30))
    kept_d = {k: da.from_array(v, chunks=(2500, 12)) for k, v in kept.items()}
    dx, dW, db = fastact.dense_backward(da.from_array(dy, chunks=(1500, 12)), xd, W,
                                        activation=activation, **kept_d)
    assert all(isinstance(a, da.Array) for a in (dx, dW, db))
    assert dx.numblocks[0] > 1 and dW.shape == W.shape and db.shape == (12,)
    dx_m, dW_m, db_m = fastact.dense_backward(dy, x, W, activation=activation, **kept)
    dx_v, dW_v, db_v = compute(client, dx, dW, db)
    np.testing.assert_array_equal(dx_v, dx_m)
    assert dW_v.dtype == dW_m.dtype == dtype and db_v.dtype == dtype
    # dz, to state the bound: the in-memory backward of a linear layer on dz is dz
    if activation == "softmax":
        dz = derivatives.softmax(dy, y=y)
    elif activation == "linear":
        dz = dy
    else:
        dz = getattr(derivatives, activation)(z, dy=dy)
    assert np.all(np.abs(dW_v - dW_m) <= summation_bound(x, dz, dtype))
    assert np.all(np.abs(db_v - db_m) <= summation_bound(np.ones((x.shape[0], 1)), dz,
                                                         dtype)[0])
    # and the bound is not vacuous: a sum that misses one chunk breaks it
    missing = x[1500:].T @ dz[1500:]
    assert not np.all(np.abs(missing - dW_m) <= summation_bound(x, dz, dtype))


def test_dense_backward_mixed_numpy_and_dask_and_without_bias(client):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((5000, 8))
    W = rng.standard_normal((8, 3))
    y = fastact.dense(x, W, None, "tanh")
    dy = rng.standard_normal(y.shape)
    dx, dW, db = fastact.dense_backward(dy, da.from_array(x, chunks=700), W, y=y,
                                        activation="tanh", use_bias=False)
    assert db is None
    dx_m, dW_m, _ = fastact.dense_backward(dy, x, W, y=y, activation="tanh", use_bias=False)
    dx_v, dW_v = compute(client, dx, dW)
    np.testing.assert_array_equal(dx_v, dx_m)
    np.testing.assert_allclose(dW_v, dW_m, rtol=1e-12, atol=1e-12)
    with pytest.raises(TypeError, match="gelu needs z="):
        fastact.dense_backward(dy, da.from_array(x, chunks=700), W, activation="gelu")
    with pytest.raises(ValueError, match="leading axes must be those of x"):
        fastact.dense_backward(da.from_array(dy[:10], chunks=5), x, W, y=y[:10],
                               activation="tanh")
    # the same number of rows in another layout is refused too, as in memory
    with pytest.raises(ValueError, match=r"dy has shape \(100, 50, 3\); its leading axes "
                                         r"must be those of x, \(50, 100\)"):
        fastact.dense_backward(da.from_array(dy.reshape(100, 50, 3), chunks=25),
                               x.reshape(50, 100, 8), W, y=y.reshape(50, 100, 3),
                               activation="tanh")


# -------------------------------------------------------------- predict

def small_model():
    model = Sequential([Input((16,)), Dense(32, activation="relu"),
                        Dense(5, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def test_predict_on_a_dask_array(client):
    rng = np.random.default_rng(9)
    model = small_model()
    x = rng.standard_normal((10000, 16)).astype(np.float32)
    t = np.eye(5, dtype=np.float32)[np.argmax(x[:, :5], axis=1)]
    model.fit(x[:2000], t[:2000], epochs=2, batch_size=64, verbose=0)
    xd = da.from_array(x, chunks=(1000, 8))
    lazy = model.predict(xd, batch_size=256)
    assert isinstance(lazy, da.Array) and lazy.shape == (10000, 5)
    assert lazy.numblocks[0] > 1
    value, = compute(client, lazy)
    np.testing.assert_array_equal(value, model.predict(x, batch_size=256))


def test_an_unbuilt_model_is_built_once_on_the_client(client):
    model = Sequential([Dense(4, activation="tanh"), Dense(2)])
    xd = da.from_array(np.ones((300, 3)), chunks=100)
    lazy = model.predict(xd)
    assert model.built
    value, = compute(client, lazy)
    np.testing.assert_array_equal(value, model.predict(np.ones((300, 3))))


# ----------------------------------------------------------------- pickle

def test_layers_and_models_pickle_as_config_and_weights():
    model = small_model()
    x = np.random.default_rng(10).standard_normal((20000, 16)).astype(np.float32)
    model.predict(x, batch_size=20000)               # large arrays kept for backward
    data = pickle.dumps(model)
    weights_bytes = sum(w.nbytes for w in model.get_weights())
    assert len(data) < weights_bytes + 20000, "only the config and the weights"
    copy = pickle.loads(data)
    assert copy.get_config() == model.get_config()
    assert copy.compiled and type(copy.optimizer) is type(model.optimizer)
    for a, b in zip(copy.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(copy.predict(x[:100]), model.predict(x[:100]))
    layer = pickle.loads(pickle.dumps(model.layers[0]))
    assert layer.get_config() == model.layers[0].get_config()
    np.testing.assert_array_equal(layer.kernel, model.layers[0].kernel)
    unbuilt = pickle.loads(pickle.dumps(Dense(3, activation="elu")))
    assert not unbuilt.built and unbuilt.get_config()["activation"] == "elu"


def test_worker_processes_import_the_installed_fastact(client):
    where = client.run(lambda: __import__("fastact").__file__)
    assert set(where.values()) == {fastact.__file__}
    assert all(os.getpid() != pid for pid in client.run(os.getpid).values())
