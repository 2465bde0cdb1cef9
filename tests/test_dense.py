"""The fused dense layer: ``fastact.dense`` and ``fastact.dense_backward``.

Forward results are checked against a float64 NumPy reference
``act(x64 @ W64 + b64)`` (the activation applied by fastact.activations in
float64: the activations themselves are tested in test_accuracy.py) with a
bound derived from the GEMM error bound, never a loose constant:

    |z - z_exact| <= gamma_k * (|x| @ |W| + |b|),  gamma_k = k eps / (1 - k eps),

with k = in_features + 1 (the products and the bias) and eps of the compute
dtype (plus the same bound in float64 for the reference's own z).  That error
reaches y through the activation's Lipschitz constant (LIPSCHITZ below; jumps
of the discontinuous ones in JUMPS), and the activation adds its own rounding
(its manifest ULP bound, plus one, times eps |y|).

Backward results are checked against 4th-order central finite differences in
float64 and against the explicit NumPy formula in float32 with GEMM-derived
bounds.  Everything else (dtypes, layouts, out=, threads, errors, special
values, aliasing) is compared bitwise or by exact rules.
"""

import functools
import math
import warnings
import zlib

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import fastact
from fastact import _dense_kernels, _kernels, _manifest
from fastact import activations as A
from fastact import derivatives as D

F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
FLOATS = (F32, F64)
EPS64 = float(np.finfo(np.float64).eps)

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

# Global Lipschitz constants, L = sup |f'(z)|, so |f(z1) - f(z2)| <= L |z1 - z2|,
# as functions of the activation's parameters.  Row-wise ones are in the max
# norm over a row: |dy_i| <= L * max_j |dz_j|.  None: a local bound, computed
# in _lipschitz_term (exponential: exp(z) itself; glu: |da| + |a| |db| / 4).
LIPSCHITZ = {
    "celu": lambda p: 1.0,                          # 1 (z >= 0), exp(z / alpha) <= 1 (z < 0)
    "elu": lambda p: max(1.0, p["alpha"]),          # 1, alpha exp(z)
    "exponential": None,                            # exp(z): local
    "gelu": lambda p: 1.13,                         # Phi(z) + z phi(z): 1.1289 at z = sqrt 2
                                                    # (the tanh form: 1.1290)
    "glu": None,                                    # a sigmoid(b): local
    "hard_shrink": lambda p: 1.0,                   # plus its jumps (JUMPS)
    "hard_sigmoid": lambda p: 1.0 / 6.0,
    "hard_silu": lambda p: 1.5,                     # z/3 + 1/2 at z = 3
    "hard_tanh": lambda p: 1.0,
    "leaky_relu": lambda p: max(1.0, abs(p["negative_slope"])),
    "linear": lambda p: 1.0,
    "log_sigmoid": lambda p: 1.0,                   # sigmoid(-z) < 1
    "log_softmax": lambda p: 2.0,                   # dz_i - sum_j y_j dz_j
    "mish": lambda p: 1.09,                         # peaks at 1.0885
    "relu": lambda p: max(1.0, abs(p["negative_slope"])),   # plus the threshold's jump
    "relu6": lambda p: 1.0,
    "selu": lambda p: _SELU_SCALE * _SELU_ALPHA,    # scale alpha exp(z) -> 1.7581 at 0-
    "sigmoid": lambda p: 0.25,
    "silu": lambda p: 1.1,                          # peaks at 1.0998 (z = 2.40)
    "soft_shrink": lambda p: 1.0,
    "softmax": lambda p: 2.0,                       # y_i (dz_i - sum_j y_j dz_j), y <= 1
    "softplus": lambda p: 1.0,                      # sigmoid(z) < 1
    "softsign": lambda p: 1.0,                      # 1 / (1 + |z|)^2
    "sparse_plus": lambda p: 1.0,
    "sparse_sigmoid": lambda p: 0.5,
    "sparsemax": lambda p: 2.0,                     # (I - 1 1^T / |S|) on the support
    "squareplus": lambda p: 1.0,                    # (1 + z / sqrt(z^2 + b)) / 2 < 1
    "tanh": lambda p: 1.0,
    "tanh_shrink": lambda p: 1.0,                   # tanh(z)^2 < 1
    "threshold": lambda p: 1.0,                     # plus its jump
}

# Discontinuities: [(where, jump size)].  Within the z bound of one of them the
# result may lie on either side.
JUMPS = {
    "hard_shrink": lambda p: [(p["threshold"], p["threshold"]),
                              (-p["threshold"], p["threshold"])],
    "threshold": lambda p: [(p["threshold"], abs(p["threshold"] - p["default_value"]))],
    "relu": lambda p: [(p["threshold"], abs(p["threshold"]))] if p["threshold"] else [],
}


# --------------------------------------------------------------------------
# Activation specs: what is passed to dense, and its float64 reference
# --------------------------------------------------------------------------

class Spec:
    def __init__(self, id, arg):
        self.id = id
        self.arg = arg
        if arg is None:
            name, kw, func = "linear", {}, A.linear
        elif isinstance(arg, str):
            name = _manifest.ALIASES.get(arg, arg)
            kw, func = {}, getattr(A, name)
        elif isinstance(arg, functools.partial):
            name, kw, func = arg.func.__name__, dict(arg.keywords), arg
        else:
            name, kw, func = arg.__name__, {}, arg
        self.name = name
        self.entry = _manifest.BY_NAME[name]
        self.kw = kw                      # keyword parameters as the user gave them
        self.params = {p.name: p.default for p in self.entry.params}
        self.params.update(kw)
        self.ref = func                   # f(z) (any float dtype, as fastact.activations)
        self.elementwise = self.entry.kind == "elementwise"
        self.halves = name == "glu"

    def __repr__(self):
        return self.id


def _all_specs():
    specs = []
    for entry in _manifest.ACTIVATIONS:
        if any(p.default is _manifest.REQUIRED for p in entry.params):
            arg = functools.partial(getattr(A, entry.name), threshold=0.25, default_value=-1.5)
            specs.append(Spec(f"{entry.name}(0.25,-1.5)", arg))
        else:
            specs.append(Spec(entry.name, entry.name))
    for alias in _manifest.ALIASES:
        specs.append(Spec(alias, alias))
    P = functools.partial
    specs += [
        Spec("None", None),
        Spec("sigmoid-function", A.sigmoid),
        Spec("leaky_relu(0.1)", P(A.leaky_relu, negative_slope=0.1)),
        Spec("leaky_relu(-1.5)", P(A.leaky_relu, negative_slope=-1.5)),
        Spec("relu(alpha=0.1)", P(A.relu, alpha=0.1)),       # Keras 2's name
        Spec("relu(max_value=2)", P(A.relu, max_value=2.0)),
        Spec("relu(threshold=0.5)", P(A.relu, threshold=0.5)),
        Spec("relu(0.1,6,-0.5)", P(A.relu, negative_slope=0.1, max_value=6.0, threshold=-0.5)),
        Spec("elu(2.5)", P(A.elu, alpha=2.5)),
        Spec("celu(0.5)", P(A.celu, alpha=0.5)),
        Spec("gelu(approximate)", P(A.gelu, approximate=True)),
        Spec("squareplus(1)", P(A.squareplus, b=1.0)),
        Spec("hard_shrink(1)", P(A.hard_shrink, threshold=1.0)),
    ]
    return specs


SPECS = _all_specs()
SPEC = {s.id: s for s in SPECS}


def test_lipschitz_table_covers_the_manifest():
    assert set(LIPSCHITZ) == set(_manifest.BY_NAME)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def gamma(k, eps):
    return k * eps / (1.0 - k * eps)


def rng_for(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def bits(a):
    a = np.ascontiguousarray(a)
    return a.view(np.dtype(f"u{a.dtype.itemsize}"))


def assert_bitwise(actual, expected, what=""):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    same = bits(actual) == bits(expected)
    if not same.all():
        idx = np.unravel_index(np.argmin(same), same.shape)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            diff = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
            diff = np.where(np.isnan(diff), np.inf, diff)
        raise AssertionError(
            f"{what}: {np.count_nonzero(~same)} of {same.size} elements differ bitwise; first "
            f"at {idx}: {actual[idx]!r} vs {expected[idx]!r}; max |diff| {diff.max():.3g}")


def assert_within(actual, expected, tol, what=""):
    actual = np.asarray(actual)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    with np.errstate(all="ignore"):
        err = np.abs(actual.astype(np.float64) - expected)
    tol = np.broadcast_to(tol, err.shape)
    bad = ~(err <= tol)
    if bad.any():
        ratio = np.where(bad, np.nan_to_num(err / np.maximum(tol, 1e-300), nan=np.inf), -1)
        idx = np.unravel_index(np.argmax(ratio), ratio.shape)
        raise AssertionError(
            f"{what}: {np.count_nonzero(bad)} of {bad.size} elements outside the bound; worst "
            f"at {idx}: got {actual[idx]!r}, reference {expected[idx]!r}, |err| {err[idx]:.4g} "
            f"> bound {tol[idx]:.4g} ({ratio[idx]:.3g}x)")


def make_inputs(key, lead, k, units, dtype, bias=True):
    rng = rng_for(*key)
    x = rng.standard_normal(tuple(lead) + (k,))
    W = rng.standard_normal((k, units)) / math.sqrt(max(k, 1))
    b = 0.5 * rng.standard_normal(units) if bias else None
    cast = lambda a: None if a is None else a.astype(dtype)  # noqa: E731
    return cast(x), cast(W), cast(b)


def z_reference(x, W, b):
    """(z_ref, |x| @ |W| + |b|), in float64."""
    x64, W64 = x.astype(np.float64), W.astype(np.float64)
    b64 = np.zeros(W.shape[1]) if b is None else b.astype(np.float64)
    return x64 @ W64 + b64, np.abs(x64) @ np.abs(W64) + np.abs(b64)


def z_bound(absum, k, compute):
    """GEMM bound on z in compute dtype, plus the float64 reference's own, plus
    the underflow term: each of the k products and k sums (bias included) that
    lands in the subnormals is off by up to half the smallest subnormal, which
    no relative bound covers (found by FASTACT_FUZZ=long: x = 1.5, W = 1e-45)."""
    tiny = float(np.finfo(compute).smallest_subnormal)
    return (gamma(k + 1, float(np.finfo(compute).eps)) + gamma(k + 1, EPS64)) * absum + k * tiny


def _lipschitz_term(spec, z_ref, tol_z):
    L = LIPSCHITZ[spec.name]
    if spec.name == "exponential":
        return np.exp(z_ref + tol_z) * tol_z
    if spec.name == "glu":
        h = z_ref.shape[-1] // 2
        ta, tb = tol_z[..., :h], tol_z[..., h:]
        return ta + (np.abs(z_ref[..., :h]) + ta) * tb / 4.0
    if spec.elementwise:
        return L(spec.params) * tol_z
    if tol_z.shape[-1] == 0:
        return tol_z
    return L(spec.params) * np.max(tol_z, axis=-1, keepdims=True) * np.ones_like(tol_z)


def y_bound(spec, z_ref, tol_z, y_ref, compute):
    """Bound on |y - y_ref|: z's error through the activation plus its own rounding."""
    lip = _lipschitz_term(spec, z_ref, tol_z)
    jump = np.zeros_like(lip)
    for where, size in JUMPS.get(spec.name, lambda p: [])(spec.params):
        jump = jump + np.where(np.abs(z_ref - where) <= tol_z, size, 0.0)
    fi = np.finfo(compute)
    ulp_c = spec.entry.ulp[compute.name]
    ulp64 = spec.entry.ulp["float64"]
    return (lip + jump + (ulp_c + 1) * float(fi.eps) * (np.abs(y_ref) + lip + jump)
            + (ulp64 + 1) * EPS64 * np.abs(y_ref) + (ulp_c + 1) * float(fi.smallest_subnormal))


# --------------------------------------------------------------------------
# Shapes
# --------------------------------------------------------------------------
# (id, lead shape or a block-boundary kind, in_features, units, bias).  The
# block-boundary shapes use 2 units: dense_block_rows then gives its largest
# block (B = 8192 rows) at the least cost.
BLOCK_U, BLOCK_K = 2, 3
SHAPES = [
    ("n0", (0,), 5, 4, True),
    ("n0-3d", (2, 0), 5, 4, True),
    ("units1", (7,), 5, 1, True),
    ("in1", (7,), 1, 4, True),
    ("in0", (6,), 0, 4, True),
    ("x1d", (), 5, 4, True),
    ("x3d", (2, 3), 5, 4, True),
    ("x3d-nobias", (2, 3), 5, 4, False),
    ("x4d", (2, 2, 3), 5, 6, True),
    ("n13-units7", (13,), 5, 7, True),     # 91 values: a SIMD tail
    # big enough (>= 2^20 multiply-adds) to be split: dense_block_rows gives 16
    ("n31", (31,), 320, 128, True),        # blocks 16 + 15
    ("n32", (32,), 320, 128, True),        # 16 + 16
    ("n33-nobias", (33,), 320, 128, False),    # 16 + 16 + 1
    ("B-1", "B-1", BLOCK_K, BLOCK_U, True),    # B = the block size of large inputs
    ("B", "B", BLOCK_K, BLOCK_U, True),
    ("B+1", "B+1", BLOCK_K, BLOCK_U, True),
    ("4B-1", "4B-1", BLOCK_K, BLOCK_U, True),  # 3 full blocks and one of B - 1 rows
    ("4B", "4B", BLOCK_K, BLOCK_U, True),      # 4 full blocks
    ("4B+1", "4B+1", BLOCK_K, BLOCK_U, False),  # 4 full blocks and one of 1 row
    ("wide", (3,), 8, 4096, True),
    ("tall", (70000,), 3, 2, True),
]


def resolve_lead(lead, k, units, dtype):
    """Block-boundary row counts from the kernel's own dense_block_rows."""
    if not isinstance(lead, str):
        return lead
    block_rows = _dense_kernels.dense_block_rows
    B = block_rows(10 ** 7, k, units, dtype.itemsize)
    n = {"B-1": B - 1, "B": B, "B+1": B + 1, "4B-1": 4 * B - 1, "4B": 4 * B,
         "4B+1": 4 * B + 1}[lead]
    if lead.startswith("4B"):
        blk = block_rows(n, k, units, dtype.itemsize)
        assert blk == B, (n, blk, B)
        assert n % blk == {"4B-1": B - 1, "4B": 0, "4B+1": 1}[lead]
    return (n,)


def test_small_row_counts_straddle_block_boundaries():
    for itemsize in (4, 8):
        for n, last in ((31, 15), (32, 16), (33, 1)):
            assert _dense_kernels.dense_block_rows(n, 320, 128, itemsize) == 16
            assert (n - 1) % 16 + 1 == last


def test_layers_too_small_for_threads_are_one_block():
    # 32 x 2 -> 2: splitting it only added calls (20 us in two blocks, 2 in one)
    for n, k, units in ((32, 2, 2), (1000, 10, 10), (4096, 16, 15)):
        assert n * k * units < 1 << 20
        assert _dense_kernels.dense_block_rows(n, k, units, 4) >= n


def forward_case(spec, dtype, shape):
    sid, lead, k, units, bias = shape
    if spec.halves:
        units *= 2                     # glu: even units
    lead = resolve_lead(lead, k, units, dtype)
    x, W, b = make_inputs(("fwd", sid, spec.name, dtype.name), lead, k, units, dtype, bias)
    return x, W, b, lead, units


# --------------------------------------------------------------------------
# Forward accuracy, every activation
# --------------------------------------------------------------------------

specs = pytest.mark.parametrize("spec", SPECS, ids=repr)
dtypes = pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: d.name)


def check_each(cases):
    """Run every (label, thunk) and fail once, listing every failing label
    (one test per activation and dtype rather than per shape keeps the
    per-test overhead of several thousand tiny tests out of the run time)."""
    failures = []
    for label, thunk in cases:
        try:
            thunk()
        except Exception as exc:          # noqa: BLE001 -- reported below, with its type
            msg = str(exc)
            msg = msg if len(msg) < 600 else msg[:600] + " ..."
            failures.append(f"[{label}] {type(exc).__name__}: {msg}")
    if failures:
        raise AssertionError(f"{len(failures)} of {len(cases)} cases failed:\n"
                             + "\n".join(failures))


def _check_forward(spec, dtype, shape):
    x, W, b, lead, units = forward_case(spec, dtype, shape)
    y = fastact.dense(x, W, b, spec.arg)
    z_ref, absum = z_reference(x, W, b)
    tol_z = z_bound(absum, W.shape[0], dtype)
    y_ref = spec.ref(z_ref)
    out_units = units // 2 if spec.halves else units
    assert isinstance(y, np.ndarray)
    assert y.dtype == dtype, y.dtype
    assert y.shape == tuple(lead) + (out_units,), y.shape
    assert_within(y, y_ref, y_bound(spec, z_ref, tol_z, y_ref, dtype), f"y ({spec.id})")


def _check_return_z(spec, dtype, shape):
    x, W, b, lead, units = forward_case(spec, dtype, shape)
    y, z = fastact.dense(x, W, b, spec.arg, return_z=True)
    z_ref, absum = z_reference(x, W, b)
    tol_z = z_bound(absum, W.shape[0], dtype)
    assert z.dtype == dtype and y.dtype == dtype, (z.dtype, y.dtype)
    assert z.shape == tuple(lead) + (units,), z.shape
    assert_within(z, z_ref, tol_z, "z")
    # y is the activation of the returned z: the same kernels, so bitwise
    # (softmax/log_softmax: within their own rounding)
    act_z = spec.ref(z)
    if spec.name in ("softmax", "log_softmax"):
        ulp = spec.entry.ulp[dtype.name] + 1
        tol = 2 * ulp * float(np.finfo(dtype).eps) * np.abs(act_z.astype(np.float64))
        assert_within(y, act_z.astype(np.float64), tol, "y vs act(z)")
    else:
        assert_bitwise(y, act_z, f"y vs fastact.activations.{spec.name}(z)")
    y_ref = spec.ref(z_ref)
    assert_within(y, y_ref, y_bound(spec, z_ref, tol_z, y_ref, dtype), f"y ({spec.id})")


# The large shapes (B-1 .. 4B+1 rows, tall) cost 5-25 ms each; they run for one
# activation of each code path (no activation, elementwise kernels with and
# without parameters, row-wise softmax/log_softmax, glu and sparsemax applied
# afterwards).  Every activation still runs on the cheap shapes, whose general
# path (test_return_z) has 2-3 blocks of 16 rows and SIMD tails.
BIG_SHAPES = {"B-1", "B", "B+1", "4B-1", "4B", "4B+1", "tall"}
BIG_SPECS = {"linear", "sigmoid", "exponential", "relu(threshold=0.5)", "softmax",
             "log_softmax", "glu", "sparsemax"}
RETURN_Z_BIG = {"B-1", "B", "B+1", "4B+1"}


@dtypes
@specs
def test_forward_matches_float64_reference(spec, dtype):
    check_each([(shape[0], functools.partial(_check_forward, spec, dtype, shape))
                for shape in SHAPES
                if shape[0] not in BIG_SHAPES or spec.id in BIG_SPECS])


@dtypes
@specs
def test_return_z(spec, dtype):
    check_each([(shape[0], functools.partial(_check_return_z, spec, dtype, shape))
                for shape in SHAPES
                if shape[0] not in BIG_SHAPES or (spec.id in BIG_SPECS
                                                  and shape[0] in RETURN_Z_BIG)])


# --------------------------------------------------------------------------
# dtype rule
# --------------------------------------------------------------------------

I8, I32, I64, BOOL = np.dtype(np.int8), np.dtype(np.int32), np.dtype(np.int64), np.dtype(bool)

DTYPE_RULE = [
    # x, W, b -> result
    (F32, F32, F32, F32),
    (F32, F32, None, F32),
    (F64, F64, F64, F64),
    (F64, F32, F32, F64),
    (F32, F64, F32, F64),
    (F32, F32, F64, F64),
    (F32, F64, None, F64),
    (I64, I64, I64, F64),
    (I64, I64, None, F64),
    (I32, F32, F32, F64),
    (F32, I64, F32, F64),
    (F32, F32, I32, F64),
    # the rule is NumPy's matmul: small ints and bool do not widen float32
    (I8, F32, F32, F32),
    (BOOL, F32, None, F32),
    (F16, F16, F16, F16),
    (F16, F16, None, F16),
    (F16, F32, F16, F32),
    (F16, F16, F64, F64),
    (F16, I64, None, F64),
]


@pytest.mark.parametrize("act", ["linear", "relu", "sigmoid", "softmax", "glu", "sparsemax"])
@pytest.mark.parametrize("xd,Wd,bd,want", DTYPE_RULE,
                         ids=lambda d: "none" if d is None else np.dtype(d).name)
def test_forward_dtype_rule(xd, Wd, bd, want, act):
    rng = rng_for("dtype", act)
    x = rng.integers(-3, 4, (9, 6))
    W = rng.integers(-2, 3, (6, 8))
    b = rng.integers(-2, 3, 8)
    if xd == BOOL:
        x = x > 0
    x, W = x.astype(xd), W.astype(Wd)
    b = None if bd is None else b.astype(bd)
    y = fastact.dense(x, W, b, act)
    y2, z = fastact.dense(x, W, b, act, return_z=True)
    assert y.dtype == want, f"y: {y.dtype}, want {want}"
    assert y2.dtype == want and z.dtype == want, (y2.dtype, z.dtype, want)
    # the values: the compute dtype's result, rounded to the result dtype
    compute = F32 if want == F16 else want
    xc, Wc, bc = (None if a is None else a.astype(compute) for a in (x, W, b))
    assert_bitwise(_general(x, W, b, act), _general(xc, Wc, bc, act).astype(want), "y")
    assert_bitwise(z, fastact.dense(xc, Wc, bc, act, return_z=True)[1].astype(want), "z")


@pytest.mark.parametrize("xd,Wd,want", [(F32, F32, F32), (F64, F32, F64), (I64, I64, F64),
                                        (F16, F16, F16), (F16, F32, F32)],
                         ids=lambda d: np.dtype(d).name)
def test_backward_dtype_rule(xd, Wd, want):
    rng = rng_for("bwd-dtype")
    x = rng.integers(-3, 4, (9, 6)).astype(xd)
    W = rng.integers(-2, 3, (6, 8)).astype(Wd)
    dy = rng.standard_normal((9, 8)).astype(want)
    dx, dW, db = fastact.dense_backward(dy, x, W, activation="linear")
    assert (dx.dtype, dW.dtype, db.dtype) == (want, want, want)


@pytest.mark.parametrize("where", ["x", "W", "b"])
@pytest.mark.parametrize("as_list", [False, True], ids=["ndarray", "list"])
def test_complex_input_is_a_type_error_naming_it(where, as_list):
    arrays = {"x": np.ones((3, 4)), "W": np.ones((4, 2)), "b": np.ones(2)}
    arrays[where] = arrays[where] + 1j
    if as_list:
        arrays[where] = arrays[where].tolist()
    with pytest.raises(TypeError) as info:
        fastact.dense(arrays["x"], arrays["W"], arrays["b"], "relu")
    msg = str(info.value)
    assert f" {where} " in msg and "complex" in msg, msg


@pytest.mark.parametrize("where", ["dy", "x", "W", "y", "z"])
def test_backward_complex_input_is_a_type_error_naming_it(where):
    arrays = {"dy": np.ones((3, 2)), "x": np.ones((3, 4)), "W": np.ones((4, 2)),
              "y": np.full((3, 2), 0.5), "z": np.ones((3, 2))}
    arrays[where] = arrays[where] + 1j
    kw = {"y": arrays["y"]} if where == "y" else {"z": arrays["z"]}
    with pytest.raises(TypeError) as info:
        fastact.dense_backward(arrays["dy"], arrays["x"], arrays["W"], activation="sigmoid",
                               **kw)
    msg = str(info.value)
    assert f" {where} " in msg and "complex" in msg, msg


# --------------------------------------------------------------------------
# Layouts
# --------------------------------------------------------------------------

def _neg(a):
    """a with every stride negative (same values)."""
    sl = (slice(None, None, -1),) * a.ndim
    return np.ascontiguousarray(a[sl])[sl]


def _strided(a, axis):
    """a as every other element of a twice-as-long array along axis."""
    shape = list(a.shape)
    shape[axis] *= 2
    big = np.full(shape, np.nan, a.dtype)
    idx = [slice(None)] * a.ndim
    idx[axis] = slice(None, None, 2)
    big[tuple(idx)] = a
    return big[tuple(idx)]


def _padded(a):
    """a as the first columns of a wider array (rows strided, columns contiguous)."""
    big = np.full(a.shape[:-1] + (a.shape[-1] + 3,), np.nan, a.dtype)
    big[..., :a.shape[-1]] = a
    return big[..., :a.shape[-1]]


def _swapped(a):
    return a.astype(a.dtype.newbyteorder())


LAYOUTS = {
    "x-fortran": lambda x, W, b: (np.asfortranarray(x), W, b),
    "W-fortran": lambda x, W, b: (x, np.asfortranarray(W), b),
    "both-fortran": lambda x, W, b: (np.asfortranarray(x), np.asfortranarray(W), b),
    "W[:, ::2]": lambda x, W, b: (x, _strided(W, 1), b),
    "W[::2]": lambda x, W, b: (x, _strided(W, 0), b),
    "x[::2]": lambda x, W, b: (_strided(x, 0), W, b),
    "x[:, ::2]": lambda x, W, b: (_strided(x, 1), W, b),
    "b[::2]": lambda x, W, b: (x, W, _strided(b, 0)),
    "x-negative": lambda x, W, b: (_neg(x), W, b),
    "W-negative": lambda x, W, b: (x, _neg(W), b),
    "b-negative": lambda x, W, b: (x, W, _neg(b)),
    "x-row-padded": lambda x, W, b: (_padded(x), W, b),
    "byteswapped": lambda x, W, b: (_swapped(x), _swapped(W), _swapped(b)),
    "all-non-contiguous": lambda x, W, b: (_neg(_strided(x, 1)), _strided(np.asfortranarray(W), 1),
                                           _neg(_strided(b, 0))),
}


def _check_layout(layout, x, W, b, act):
    xl, Wl, bl = LAYOUTS[layout](x, W, b)
    assert np.array_equal(xl, x) and np.array_equal(Wl, W) and np.array_equal(bl, b)
    if layout != "byteswapped":
        assert not (xl.flags.c_contiguous and Wl.flags.c_contiguous and bl.flags.c_contiguous)
    # with return_z both take the general path; then the plain calls (a small
    # C-contiguous layer may take dense's one-call shortcut)
    ye, ze = fastact.dense(x, W, b, act, return_z=True)
    y, z = fastact.dense(xl, Wl, bl, act, return_z=True)
    if act != "linear":                 # linear's y with return_z: test_return_z
        assert_bitwise(y, ye, "y (return_z) vs C-contiguous")
    assert_bitwise(z, ze, "z (return_z) vs C-contiguous")
    assert_bitwise(fastact.dense(xl, Wl, bl, act), fastact.dense(x, W, b, act),
                   "y vs C-contiguous")


@pytest.mark.parametrize("n,k,units", [(40, 9, 16), (600, 30, 20)], ids=["small", "medium"])
@pytest.mark.parametrize("act", ["linear", "sigmoid", "softmax", "glu"])
@dtypes
def test_layouts_give_the_contiguous_result_bitwise(n, k, units, act, dtype):
    x, W, b = make_inputs(("layout", n, act, dtype.name), (n,), k, units, dtype)
    check_each([(layout, functools.partial(_check_layout, layout, x, W, b, act))
                for layout in LAYOUTS])


@pytest.mark.parametrize("layout", ["x-fortran", "W-fortran", "x[::2]", "W[:, ::2]",
                                    "x-negative", "all-non-contiguous"])
@dtypes
def test_backward_layouts_give_the_contiguous_result_bitwise(layout, dtype):
    x, W, _ = make_inputs(("bwd-layout", dtype.name), (300,), 12, 10, dtype)
    dy = rng_for("bwd-layout-dy").standard_normal((300, 10)).astype(dtype)
    y = fastact.dense(x, W, None, "tanh")
    expected = fastact.dense_backward(dy, x, W, y=y, activation="tanh")
    xl, Wl, _ = LAYOUTS[layout](x, W, np.zeros(10, dtype))
    got = fastact.dense_backward(_neg(dy), xl, Wl, y=np.asfortranarray(y), activation="tanh")
    for g, e, what in zip(got, expected, ("dx", "dW", "db")):
        assert_bitwise(g, e, what)


# --------------------------------------------------------------------------
# out=
# --------------------------------------------------------------------------

def _general(x, W, b, act):
    """The general path's result (return_z=True never takes the small-layer
    shortcut).  For linear, z: its y with return_z=True is tested by test_return_z."""
    y, z = fastact.dense(x, W, b, act, return_z=True)
    return z if act in (None, "linear") else y


OUT_KINDS = ["c-contiguous", "fortran", "strided", "negative"]


def _make_out(kind, shape, dtype):
    if kind == "c-contiguous":
        return np.full(shape, np.nan, dtype)
    if kind == "fortran":
        return np.asfortranarray(np.full(shape, np.nan, dtype))
    if kind == "strided":
        return _strided(np.full(shape, np.nan, dtype), len(shape) - 1)
    return _neg(np.full(shape, np.nan, dtype))


def _check_out(kind, x, W, b, act, dtype):
    expected = _general(x, W, b, act)
    out = _make_out(kind, expected.shape, dtype)
    res = fastact.dense(x, W, b, act, out=out)
    assert res is out
    assert_bitwise(out, expected, "out")
    out2 = _make_out(kind, expected.shape, dtype)
    res2, z = fastact.dense(x, W, b, act, out=out2, return_z=True)
    assert res2 is out2
    assert_bitwise(z, fastact.dense(x, W, b, "linear", return_z=True)[1], "z")
    assert_bitwise(out2, expected, "out (return_z)")


@pytest.mark.parametrize("act", ["linear", "relu", "softmax", "glu", "sparsemax",
                                 functools.partial(A.leaky_relu, negative_slope=0.1)],
                         ids=lambda a: a if isinstance(a, str) else "leaky_relu(0.1)")
@pytest.mark.parametrize("lead", [(20,), (600,), (3, 4)], ids=["n20", "n600", "3d"])
@dtypes
def test_out_is_filled_and_returned(act, lead, dtype):
    x, W, b = make_inputs(("out", lead, dtype.name), lead, 7, 8, dtype)
    check_each([(kind, functools.partial(_check_out, kind, x, W, b, act, dtype))
                for kind in OUT_KINDS])


def test_out_float16():
    x, W, b = make_inputs(("out16",), (10,), 5, 4, F16)
    expected = fastact.dense(x, W, b, "tanh")
    out = np.empty((10, 4), F16)
    assert fastact.dense(x, W, b, "tanh", out=out) is out
    assert_bitwise(out, expected, "float16 out")


@pytest.mark.parametrize("act", ["sigmoid", "softmax", "glu", "lambda"])
@pytest.mark.parametrize("problem,exc", [
    ("shape-rows", ValueError), ("shape-units", ValueError), ("shape-flat", ValueError),
    ("dtype-narrow", TypeError), ("dtype-wide", TypeError), ("dtype-int", TypeError),
    ("read-only", ValueError), ("not-an-array", TypeError)])
@dtypes
def test_bad_out(act, problem, exc, dtype):
    x, W, b = make_inputs(("badout",), (6,), 5, 4, dtype)
    activation = (lambda z: z * 2.0) if act == "lambda" else act
    units = 2 if act == "glu" else 4
    other = F64 if dtype == F32 else F32
    out = {
        "shape-rows": lambda: np.empty((5, units), dtype),
        "shape-units": lambda: np.empty((6, units + 1), dtype),
        "shape-flat": lambda: np.empty(6 * units, dtype),
        "dtype-narrow": lambda: np.empty((6, units), F16),
        "dtype-wide": lambda: np.empty((6, units), other),
        "dtype-int": lambda: np.empty((6, units), np.int64),
        "read-only": lambda: np.empty((6, units), dtype),
        "not-an-array": lambda: [[0.0] * units] * 6,
    }[problem]()
    if problem == "read-only":
        out.setflags(write=False)
    with pytest.raises(exc, match="out"):
        fastact.dense(x, W, b, activation, out=out)


# --------------------------------------------------------------------------
# Threads
# --------------------------------------------------------------------------

@pytest.mark.parametrize("act,source", [
    ("linear", None), ("sigmoid", "y"), ("relu", "y"), ("gelu", "z"), ("softmax", "y"),
    ("log_softmax", "z"), (functools.partial(A.elu, alpha=2.5), "y"), ("silu", "z")],
    ids=["linear", "sigmoid", "relu", "gelu", "softmax", "log_softmax", "elu(2.5)", "silu"])
@dtypes
@pytest.mark.parametrize("n", [5000, 12300], ids=["dW-by-columns", "dW-by-row-parts"])
def test_results_do_not_depend_on_the_thread_count(act, source, dtype, n):
    k, units = 64, 32
    block = _dense_kernels.dense_block_rows(n, k, units, dtype.itemsize)
    assert -(-n // block) >= 4, "the shape must have several blocks"
    assert (_dense_kernels.dw_row_parts(n, k, units) > 1) == (n > 10000), \
        "the second shape must sum dW from row parts, the first not"
    x, W, b = make_inputs(("threads", dtype.name), (n,), k, units, dtype)
    dy = rng_for("threads-dy").standard_normal((n, units)).astype(dtype)
    results = {}
    for threads in (1, 2):
        with threadpool_limits(threads, "openmp"):
            # a serial build (FASTACT_DISABLE_OPENMP=1) runs one thread whatever the limit
            assert _kernels.max_threads() == (threads if _kernels.openmp_enabled() else 1), \
                "threadpoolctl did not reach fastact"
            y_plain = fastact.dense(x, W, b, act)
            y, z = fastact.dense(x, W, b, act, return_z=True)
            kw = {} if source is None else {source: {"y": y, "z": z}[source]}
            dx, dW, db = fastact.dense_backward(dy, x, W, activation=act, **kw)
        results[threads] = dict(y_plain=y_plain, y=y, z=z, dx=dx, dW=dW, db=db)
        if act == "linear":         # its y with return_z is tested by test_return_z
            del results[threads]["y"]
    for name in results[1]:
        assert_bitwise(results[2][name], results[1][name], f"{name}: 2 threads vs 1")


# --------------------------------------------------------------------------
# Backward: finite differences (float64)
# --------------------------------------------------------------------------

def _sources(spec):
    if spec.name == "linear":
        return [None, "y", "z"]
    if spec.name == "glu":
        return ["z"]
    if not spec.elementwise:
        return ["y", "z"]
    clean = {k: v for k, v in spec.params.items()}
    if spec.entry.from_y is not None and spec.entry.from_y(clean) is None:
        return ["y", "z"]
    return ["z"]


FD_SPECS = [SPEC[i] for i in ("sigmoid", "tanh", "relu", "gelu", "silu", "softplus", "elu",
                              "softmax", "log_softmax", "linear", "None",
                              "leaky_relu(0.1)", "leaky_relu(-1.5)", "elu(2.5)",
                              "gelu(approximate)", "mish", "selu", "celu", "softsign",
                              "exponential", "sparsemax", "glu")]
FD_CASES = [(s, src) for s in FD_SPECS for src in _sources(s)]

FD_H = 1e-3


def _kink_distance(spec, z):
    """Distance from z to the nearest point where f (or f') is not smooth."""
    if spec.name in ("relu", "leaky_relu", "elu", "selu", "celu", "softsign"):
        return np.abs(z - spec.params.get("threshold", 0.0)).min()
    if spec.name == "sparsemax":
        y = A.sparsemax(z)
        tau = np.max(z - y, axis=-1, keepdims=True)    # z - tau on the support
        return np.abs(z - tau).min()
    return np.inf


def _fd_inputs(spec):
    """x (2, 3, 4), W (4, units), b, c: z at least 0.05 from any kink (the
    steps move z by at most 2 h max(|x|, |W|, 1) < 0.01)."""
    units = 10 if spec.halves else 5
    for seed in range(200):
        rng = rng_for("fd", spec.id, seed)
        x = rng.standard_normal((2, 3, 4))
        W = rng.standard_normal((4, units)) / 2
        b = 0.5 * rng.standard_normal(units)
        c = rng.standard_normal((2, 3, units // 2 if spec.halves else units))
        z = x @ W + b
        if _kink_distance(spec, z) > 0.05 and max(np.abs(x).max(), np.abs(W).max()) < 4:
            return x, W, b, c
    raise AssertionError("no input away from the kinks")


def _fd_gradient(loss, arr):
    g = np.empty_like(arr)
    for idx in np.ndindex(arr.shape):
        orig = arr[idx]
        vals = []
        for s in (2, 1, -1, -2):
            arr[idx] = orig + s * FD_H
            vals.append(loss())
        arr[idx] = orig
        g[idx] = (-vals[0] + 8 * vals[1] - 8 * vals[2] + vals[3]) / (12 * FD_H)
    return g


@pytest.mark.parametrize("spec,source", FD_CASES, ids=lambda v: repr(v))
def test_backward_matches_finite_differences(spec, source):
    x, W, b, c = _fd_inputs(spec)
    y = fastact.dense(x, W, b, spec.arg)
    z = fastact.dense(x, W, b, spec.arg, return_z=True)[1]
    kw = {} if source is None else {source: {"y": y, "z": z}[source]}
    dx, dW, db = fastact.dense_backward(c, x, W, activation=spec.arg, **kw)

    def loss():
        return float(np.sum(c * fastact.dense(x, W, b, spec.arg)))

    # FD error: truncation ~ h^4 |L^(5)| / 30 (< 1e-10 here), rounding ~ 1.5 eps
    # sum|c y| / h (< 1e-10): 1e-8 is 100x above both and far below any wrong term.
    for got, arr, what in ((dx, x, "dx"), (dW, W, "dW"), (db, b, "db")):
        want = _fd_gradient(loss, arr)
        assert got.shape == arr.shape and got.dtype == F64, (what, got.shape, got.dtype)
        assert_within(got, want, 1e-8 * (1 + np.abs(want)), f"{what} ({spec.id}, {source}=)")


# --------------------------------------------------------------------------
# Backward: explicit formula in float32
# --------------------------------------------------------------------------

BWD32_SPECS = [SPEC[i] for i in ("sigmoid", "tanh", "relu", "gelu", "silu", "softplus", "elu",
                                 "softmax", "log_softmax", "linear", "leaky_relu(-1.5)",
                                 "relu(0.1,6,-0.5)", "mish", "exponential", "sparsemax")]
BWD32_CASES = [(s, src) for s in BWD32_SPECS for src in _sources(s) if src is not None]


def _dz_reference(spec, source, src64, dy64):
    """(dz, absolute slack) in float64 from the float32 src (y or z) as passed."""
    e32 = float(np.finfo(np.float32).eps)
    dulp32 = spec.entry.dulp["float32"]
    dulp64 = spec.entry.dulp["float64"]
    slack = np.zeros_like(dy64)
    if spec.elementwise:
        der = getattr(D, spec.name)
        fp = der(y=src64, **spec.kw) if source == "y" else der(src64, **spec.kw)
        dz = dy64 * fp
        if spec.entry.droot is not None:     # absolute accuracy near the roots of f'
            slack = (dulp32 + 2) * e32 * np.abs(dy64) * LIPSCHITZ[spec.name](spec.params)
    else:
        der = getattr(D, spec.name)
        dz = der(dy64, y=src64) if source == "y" else der(dy64, src64)
        rowsum = np.sum(np.abs(dy64), axis=-1, keepdims=True)
        if spec.name == "sparsemax":          # float32 mean of dy over the support
            slack = (dulp32 + 2) * e32 * (np.abs(dy64) + rowsum)
        else:
            # sums in double of float32 inputs, rounded to float32.  From z, y is
            # first computed in float32; its error (<= (ulp + 1) eps y (1 + |log y|))
            # reaches dz through y (dy - sum dy y) and through the sum.
            ulp32 = spec.entry.ulp["float32"]
            if spec.name == "softmax":
                p = src64 if source == "y" else A.softmax(src64)
            else:
                p = np.exp(src64) if source == "y" else A.softmax(src64)
            slack = 8 * EPS64 * (np.abs(dy64) + rowsum) * (1 + p)
            if source == "z":
                logp = -np.log(np.maximum(p, 1e-300))
                slack = slack + 3 * (ulp32 + 1) * e32 * p * (1 + logp) * rowsum
    tol = (dulp32 + 2) * e32 * np.abs(dz) + (dulp64 + 1) * EPS64 * np.abs(dz) + slack
    return dz, tol


@pytest.mark.parametrize("spec,source", BWD32_CASES, ids=lambda v: repr(v))
@pytest.mark.parametrize("lead", [(3, 40, 10), (1,), (9000,)],
                         ids=["3d-1200-rows", "n1", "9000-rows-dW-by-row-parts"])
def test_backward_float32_matches_the_explicit_formula(spec, source, lead):
    k, units = 24, 30
    assert (_dense_kernels.dw_row_parts(int(np.prod(lead)), k, units) > 1) == (lead == (9000,))
    x, W, b = make_inputs(("bwd32", spec.id), lead, k, units, F32)
    dy = rng_for("bwd32-dy", spec.id, lead).standard_normal(tuple(lead) + (units,)).astype(F32)
    y = fastact.dense(x, W, b, spec.arg)
    z = fastact.dense(x, W, b, spec.arg, return_z=True)[1]
    src = {"y": y, "z": z}[source]
    dx, dW, db = fastact.dense_backward(dy, x, W, activation=spec.arg, **{source: src})
    assert (dx.dtype, dW.dtype, db.dtype) == (F32, F32, F32)
    assert dx.shape == x.shape and dW.shape == W.shape and db.shape == (units,)

    n = int(np.prod(lead))
    x64 = x.astype(np.float64).reshape(n, k)
    W64 = W.astype(np.float64)
    dz, dz_tol = _dz_reference(spec, source, src.astype(np.float64).reshape(n, units),
                               dy.astype(np.float64).reshape(n, units))
    e32 = float(np.finfo(np.float32).eps)
    adz = np.abs(dz) + dz_tol
    aW = np.abs(W64)
    dx_tol = (gamma(units, e32) + gamma(units, EPS64)) * (adz @ aW.T) + dz_tol @ aW.T
    dW_tol = (gamma(n, e32) + gamma(n, EPS64)) * (np.abs(x64).T @ adz) + np.abs(x64).T @ dz_tol
    db_ref = dz.sum(axis=0)
    db_tol = dz_tol.sum(axis=0) + gamma(n, EPS64) * adz.sum(axis=0) * 2 + e32 * np.abs(db_ref)
    assert_within(dx, (dz @ W64.T).reshape(x.shape), dx_tol.reshape(x.shape), "dx")
    assert_within(dW, x64.T @ dz, dW_tol, "dW")
    assert_within(db, db_ref, db_tol, "db")


@dtypes
def test_backward_dW_from_row_parts_matches_the_explicit_formula(dtype):
    """A narrow layer with many rows sums dW from row parts (dw_row_parts):
    that sum is x^T dy within the GEMM bound, in both dtypes."""
    n, k, units = 12300, 30, 3
    assert _dense_kernels.dw_row_parts(n, k, units) == 3
    rng = rng_for("dW-row-parts", dtype.name)
    x = rng.standard_normal((n, k)).astype(dtype)
    W = rng.standard_normal((k, units)).astype(dtype)
    dy = rng.standard_normal((n, units)).astype(dtype)
    dx, dW, db = fastact.dense_backward(dy, x, W, activation="linear")
    x64, dy64 = x.astype(np.float64), dy.astype(np.float64)
    eps = float(np.finfo(dtype).eps)
    tol = (gamma(n, eps) + gamma(n, EPS64)) * (np.abs(x64).T @ np.abs(dy64))
    assert_within(dW, x64.T @ dy64, tol, "dW")
    assert_within(dx, dy64 @ W.astype(np.float64).T,
                  (gamma(units, eps) + gamma(units, EPS64)) * (np.abs(dy64) @ np.abs(W.T)), "dx")


# --------------------------------------------------------------------------
# Backward: errors and options
# --------------------------------------------------------------------------

def _bwd_data(dtype=F64):
    x, W, b = make_inputs(("bwd-err",), (6,), 4, 3, dtype)
    y, z = fastact.dense(x, W, b, "sigmoid", return_z=True)
    dy = rng_for("bwd-err-dy").standard_normal((6, 3)).astype(dtype)
    return dy, x, W, y, z


def test_backward_gelu_from_y_only_names_z():
    dy, x, W, y, z = _bwd_data()
    with pytest.raises(TypeError, match="z="):
        fastact.dense_backward(dy, x, W, y=y, activation="gelu")


@pytest.mark.parametrize("act", ["gelu", "silu", "mish",
                                 functools.partial(A.leaky_relu, negative_slope=-0.5)],
                         ids=["gelu", "silu", "mish", "leaky_relu(-0.5)"])
def test_backward_activations_without_a_y_form_need_z(act):
    dy, x, W, y, z = _bwd_data()
    with pytest.raises(TypeError, match="z="):
        fastact.dense_backward(dy, x, W, y=y, activation=act)
    with pytest.raises(TypeError, match="z="):
        fastact.dense_backward(dy, x, W, activation=act)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu", "softmax", "log_softmax",
                                 "sparsemax", "glu"])
def test_backward_without_y_or_z_is_a_type_error(act):
    dy, x, W, y, z = _bwd_data()
    if act == "glu":                   # glu's output (and dy) has half the units
        dy = dy[..., : dy.shape[-1] // 2]
    with pytest.raises(TypeError):
        fastact.dense_backward(dy, x, W, activation=act)


@pytest.mark.parametrize("act", [lambda z: z ** 2, np.tanh], ids=["lambda", "np.tanh"])
def test_backward_foreign_callable_is_a_type_error(act):
    dy, x, W, y, z = _bwd_data()
    with pytest.raises(TypeError):
        fastact.dense_backward(dy, x, W, z=z, activation=act)


@pytest.mark.parametrize("bad", ["dy", "y", "z"])
@pytest.mark.parametrize("shape", [(6, 4), (5, 3), (18,), (6, 3, 1)])
def test_backward_wrong_shapes(bad, shape):
    dy, x, W, y, z = _bwd_data()
    arrays = {"dy": dy, "y": y, "z": z}
    arrays[bad] = np.ones(shape)
    kw = {"y": arrays["y"]} if bad != "z" else {"z": arrays["z"]}
    with pytest.raises(ValueError, match=bad):
        fastact.dense_backward(arrays["dy"], x, W, activation="sigmoid", **kw)


@pytest.mark.parametrize("slot,shape", [(0, (6, 3)), (0, (4, 6)), (1, (3, 4)), (1, (4,)),
                                        (2, (4,)), (2, (3, 1))])
def test_backward_out_of_wrong_shape(slot, shape):
    dy, x, W, y, z = _bwd_data()
    out = [np.empty((6, 4)), np.empty((4, 3)), np.empty(3)]
    out[slot] = np.empty(shape)
    with pytest.raises(ValueError):
        fastact.dense_backward(dy, x, W, y=y, activation="sigmoid", out=tuple(out))


@pytest.mark.parametrize("slot", [0, 1, 2])
def test_backward_out_of_wrong_dtype_or_read_only(slot):
    dy, x, W, y, z = _bwd_data()
    shapes_ = [(6, 4), (4, 3), (3,)]
    out = [np.empty(s) for s in shapes_]
    out[slot] = np.empty(shapes_[slot], F32)
    with pytest.raises(TypeError):
        fastact.dense_backward(dy, x, W, y=y, activation="sigmoid", out=tuple(out))
    out[slot] = np.empty(shapes_[slot])
    out[slot].setflags(write=False)
    with pytest.raises(ValueError):
        fastact.dense_backward(dy, x, W, y=y, activation="sigmoid", out=tuple(out))


@pytest.mark.parametrize("kind", ["c-contiguous", "fortran", "strided", "negative"])
@dtypes
def test_backward_out_is_filled_and_returned(kind, dtype):
    dy, x, W, y, z = _bwd_data(dtype)
    expected = fastact.dense_backward(dy, x, W, y=y, activation="sigmoid")
    out = tuple(_make_out(kind, e.shape, dtype) for e in expected)
    res = fastact.dense_backward(dy, x, W, y=y, activation="sigmoid", out=out)
    for r, o, e, what in zip(res, out, expected, ("dx", "dW", "db")):
        assert r is o, what
        assert_bitwise(o, e, what)


def test_backward_use_bias_false():
    dy, x, W, y, z = _bwd_data()
    dx, dW, db = fastact.dense_backward(dy, x, W, y=y, activation="sigmoid", use_bias=False)
    ex, eW, _ = fastact.dense_backward(dy, x, W, y=y, activation="sigmoid")
    assert db is None
    assert_bitwise(dx, ex, "dx")
    assert_bitwise(dW, eW, "dW")
    with pytest.raises(ValueError):
        fastact.dense_backward(dy, x, W, y=y, activation="sigmoid", use_bias=False,
                               out=(None, None, np.empty(3)))


@pytest.mark.parametrize("n", [0, 1])
def test_backward_zero_and_one_row(n):
    x, W, _ = make_inputs(("bwd-n", n), (n,), 4, 3, F64)
    dy = np.ones((n, 3))
    dx, dW, db = fastact.dense_backward(dy, x, W, y=np.full((n, 3), 0.5), activation="sigmoid")
    assert dx.shape == (n, 4) and dW.shape == (4, 3) and db.shape == (3,)
    np.testing.assert_allclose(dW, x.T @ (dy * 0.25), rtol=4 * EPS64)
    np.testing.assert_allclose(db, np.full(3, 0.25 * n), rtol=4 * EPS64)


# --------------------------------------------------------------------------
# Forward errors
# --------------------------------------------------------------------------

@pytest.mark.parametrize("xshape,Wshape", [((4, 3), (5, 2)), ((2, 4, 3), (5, 2)),
                                           ((3,), (5, 2)), ((4, 5), (3, 5))])
@pytest.mark.parametrize("dtype", [F32, F64, None], ids=["f32", "f64", "list"])
def test_feature_mismatch_names_both_shapes(xshape, Wshape, dtype):
    x, W = np.ones(xshape), np.ones(Wshape)
    if dtype is not None:
        x, W = x.astype(dtype), W.astype(dtype)
    else:
        x, W = x.tolist(), W.tolist()
    with pytest.raises(ValueError) as info:
        fastact.dense(x, W, None, "relu")
    msg = str(info.value)
    assert str(xshape) in msg and str(Wshape) in msg, msg


@pytest.mark.parametrize("bshape", [(3,), (1,), (2, 1), (1, 2), ()])
@dtypes
def test_bias_of_wrong_shape_names_b(bshape, dtype):
    x, W = np.ones((4, 3), dtype), np.ones((3, 2), dtype)
    with pytest.raises(ValueError, match=r"\bb\b"):
        fastact.dense(x, W, np.ones(bshape, dtype), "sigmoid")


@pytest.mark.parametrize("Wshape", [(3,), (3, 2, 1), ()])
def test_W_not_2d_names_W(Wshape):
    with pytest.raises(ValueError, match=r"\bW\b"):
        fastact.dense(np.ones((4, 3)), np.ones(Wshape), None, "relu")


@pytest.mark.parametrize("x", [np.float64(2.0), np.array(2.0), 2.0],
                         ids=["np-scalar", "0d", "float"])
def test_x_0d_is_a_value_error(x):
    with pytest.raises(ValueError, match=r"\bx\b"):
        fastact.dense(x, np.ones((1, 2)), None, "relu")


@pytest.mark.parametrize("name", ["relux", "Relu", "", "soft_max"])
def test_unknown_activation_name_lists_the_names(name):
    with pytest.raises(ValueError) as info:
        fastact.dense(np.ones((2, 3)), np.ones((3, 2)), None, name)
    msg = str(info.value)
    missing = [n for n in _manifest.BY_NAME if n not in msg]
    assert not missing, (missing, msg)


@pytest.mark.parametrize("act", [3, 2.5, [1], b"relu", np.array(1)],
                         ids=["int", "float", "list", "bytes", "array"])
def test_activation_of_wrong_type_is_a_type_error(act):
    with pytest.raises(TypeError):
        fastact.dense(np.ones((2, 3)), np.ones((3, 2)), None, act)


@pytest.mark.parametrize("act", [
    functools.partial(A.sigmoid, alpha=1.0),
    functools.partial(A.leaky_relu, slope=0.1),
    functools.partial(A.relu, max_val=6.0),
    functools.partial(A.elu, alpha=1.0, beta=2.0),
], ids=["sigmoid(alpha)", "leaky_relu(slope)", "relu(max_val)", "elu(beta)"])
def test_partial_with_unknown_parameter_is_a_type_error(act):
    with pytest.raises(TypeError):
        fastact.dense(np.ones((2, 3)), np.ones((3, 2)), None, act)


@pytest.mark.parametrize("act", ["threshold", A.threshold,
                                 functools.partial(A.threshold, threshold=0.5)],
                         ids=["name", "function", "partial-missing-default_value"])
def test_threshold_without_its_parameters_is_a_type_error(act):
    with pytest.raises(TypeError):
        fastact.dense(np.ones((2, 3)), np.ones((3, 2)), None, act)


# --------------------------------------------------------------------------
# Special values, read-only inputs, no mutation
# --------------------------------------------------------------------------

SPECIAL = ["x-nan", "x-inf", "x-neginf", "W-nan", "W-inf", "b-nan", "b-inf", "b-neginf"]


def _check_special(where, act, n, dtype):
    x, W, b = make_inputs(("special", act, n), (n,), 6, 8, dtype)
    arr, kind = where.split("-")
    value = {"nan": np.nan, "inf": np.inf, "neginf": -np.inf}[kind]
    target = {"x": x, "W": W, "b": b}[arr]
    if arr == "x":
        target[1, 2] = value
        target[n - 1, 0] = value
    elif arr == "W":
        target[2, 1] = value
        target[0, 6] = value
    else:
        target[3] = value
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = fastact.dense(x, W, b, act)
        y2, z = fastact.dense(x, W, b, act, return_z=True)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z_ref = x.astype(np.float64) @ W.astype(np.float64) + b.astype(np.float64)
        y_ref = getattr(A, act)(z_ref)
    assert not np.isfinite(z_ref).all()
    checks = [(y, y_ref, "y"), (z, z_ref, "z")]
    if act != "linear":                 # linear's y with return_z: test_return_z
        checks.append((y2, y_ref, "y (return_z)"))
    for got, ref, what in checks:
        for test in (np.isnan, np.isposinf, np.isneginf):
            np.testing.assert_array_equal(test(got), test(ref),
                                          err_msg=f"{what}: {test.__name__} pattern")


@pytest.mark.parametrize("act", ["linear", "relu", "sigmoid", "tanh", "softplus", "exponential",
                                 "gelu", "elu", "softmax", "log_softmax", "glu", "sparsemax"])
@pytest.mark.parametrize("n", [12, 700], ids=["small", "blocks"])
@dtypes
def test_nan_and_inf_propagate_without_warnings(act, n, dtype):
    check_each([(where, functools.partial(_check_special, where, act, n, dtype))
                for where in SPECIAL])


def test_nan_in_backward_propagates_without_warnings():
    dy, x, W, y, z = _bwd_data()
    dy = dy.copy()
    dy[2, 1] = np.nan
    x = x.copy()
    x[4, 0] = np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dx, dW, db = fastact.dense_backward(dy, x, W, y=y, activation="sigmoid")
    assert np.isnan(dx[2]).all() and np.isfinite(np.delete(dx, 2, axis=0)).all()
    assert np.isnan(db[1]) and np.isfinite(db[[0, 2]]).all()
    assert np.isnan(dW[:, 1]).all()
    assert not np.isfinite(dW[0]).any()          # inf * dz: inf or nan in every column
    assert np.isfinite(dW[1:][:, [0, 2]]).all()


def _readonly(a):
    a = a.copy()
    a.setflags(write=False)
    return a


@pytest.mark.parametrize("act", ["sigmoid", "softmax", "glu",
                                 functools.partial(A.relu, max_value=1.0)],
                         ids=["sigmoid", "softmax", "glu", "relu(max_value)"])
@pytest.mark.parametrize("n", [10, 900])
@dtypes
def test_read_only_inputs(act, n, dtype):
    x, W, b = make_inputs(("ro", n), (n,), 6, 8, dtype)
    expected = fastact.dense(x, W, b, act)
    got = fastact.dense(_readonly(x), _readonly(W), _readonly(b), act)
    assert_bitwise(got, expected, "read-only x, W, b")
    ye, ze = fastact.dense(x, W, b, act, return_z=True)
    y, z = fastact.dense(_readonly(x), _readonly(W), _readonly(b), act, return_z=True)
    assert_bitwise(y, ye, "y")
    assert_bitwise(z, ze, "z")
    if act != "glu":
        dy = rng_for("ro-dy").standard_normal(ye.shape).astype(dtype)
        exp = fastact.dense_backward(dy, x, W, z=ze, activation=act)
        got = fastact.dense_backward(_readonly(dy), _readonly(x), _readonly(W),
                                     z=_readonly(ze), activation=act)
        for g, e, what in zip(got, exp, ("dx", "dW", "db")):
            assert_bitwise(g, e, what)


@pytest.mark.parametrize("act", ["sigmoid", "softmax", "log_softmax", "glu", "gelu",
                                 lambda z: z ** 2], ids=["sigmoid", "softmax", "log_softmax",
                                                         "glu", "gelu", "lambda"])
@pytest.mark.parametrize("lead", [(10,), (700,), (3, 5, 7)], ids=["n10", "n700", "3d"])
@dtypes
def test_inputs_are_never_modified(act, lead, dtype):
    x, W, b = make_inputs(("nomod", lead), lead, 6, 8, dtype)
    Wf = np.asfortranarray(W)
    copies = [a.copy() for a in (x, W, b, Wf)]
    y = fastact.dense(x, W, b, act)
    fastact.dense(x, Wf, b, act, return_z=True)
    fastact.dense(x, W, b, act, out=np.empty_like(y))
    for a, c in zip((x, W, b, Wf), copies):
        assert_bitwise(a, c, "input after dense")
    if act in ("sigmoid", "softmax", "log_softmax", "gelu"):
        y, z = fastact.dense(x, W, b, act, return_z=True)
        dy = rng_for("nomod-dy").standard_normal(y.shape).astype(dtype)
        before = [a.copy() for a in (dy, x, W, y, z)]
        fastact.dense_backward(dy, x, W, z=z, activation=act)
        if act != "gelu":
            fastact.dense_backward(dy, x, W, y=y, activation=act)
        for a, c in zip((dy, x, W, y, z), before):
            assert_bitwise(a, c, "input after dense_backward")


# --------------------------------------------------------------------------
# Foreign callables
# --------------------------------------------------------------------------

@pytest.mark.parametrize("lead", [(5,), (600,), (2, 3), ()], ids=["n5", "n600", "3d", "1d"])
@dtypes
def test_foreign_callable_is_applied_to_z(lead, dtype):
    x, W, b = make_inputs(("foreign", lead), lead, 7, 6, dtype)
    y = fastact.dense(x, W, b, lambda z: z ** 2)
    y2, z = fastact.dense(x, W, b, lambda z: z ** 2, return_z=True)
    z_ref, absum = z_reference(x, W, b)
    tol_z = z_bound(absum, 7, dtype)
    eps = float(np.finfo(dtype).eps)
    tol = (2 * np.abs(z_ref) + tol_z) * tol_z + 2 * eps * z_ref ** 2
    assert y.dtype == dtype and y.shape == tuple(lead) + (6,)
    assert_within(y, z_ref ** 2, tol, "(x @ W + b) ** 2")
    assert_bitwise(y2, z ** 2, "y vs z ** 2")
    assert_bitwise(y, y2, "y vs y (return_z)")
    out = np.empty_like(y)
    assert fastact.dense(x, W, b, lambda z: z ** 2, out=out) is out
    assert_bitwise(out, y, "out")
    # numpy ufuncs and wrappers of fastact functions are foreign too
    assert_bitwise(fastact.dense(x, W, b, np.tanh), np.tanh(z), "np.tanh")
    assert_bitwise(fastact.dense(x, W, b, lambda v: A.leaky_relu(v, 0.1)),
                   A.leaky_relu(z, 0.1), "lambda v: leaky_relu(v, 0.1)")


# --------------------------------------------------------------------------
# out overlapping an input
# --------------------------------------------------------------------------

@pytest.mark.parametrize("alias", ["x", "W", "x-3d", "b-1d"])
@pytest.mark.parametrize("act", ["linear", "sigmoid", "softmax", "lambda"])
@pytest.mark.parametrize("n", [8, 700])
@dtypes
def test_out_overlapping_an_input(alias, act, n, dtype):
    k = 8
    activation = (lambda z: z * 3.0) if act == "lambda" else act
    lead = {"x": (n,), "W": (k,), "x-3d": (2, n // 2), "b-1d": ()}[alias]
    x, W, b = make_inputs(("overlap", alias, n), lead, k, k, dtype)
    expected = _general(x.copy(), W.copy(), b.copy(), activation)
    target = {"x": x, "W": W, "x-3d": x, "b-1d": b}[alias]
    res = fastact.dense(x, W, b, activation, out=target)
    assert res is target
    assert_bitwise(target, expected, f"out is {alias}")


@pytest.mark.parametrize("alias", ["dx=x", "dW=W", "dx=dy", "dx=z", "dW=W,dx=x"])
@pytest.mark.parametrize("n", [8, 700])
@dtypes
def test_backward_out_overlapping_an_input(alias, n, dtype):
    k = 8
    x, W, b = make_inputs(("bwd-overlap", alias, n), (n,), k, k, dtype)
    y, z = fastact.dense(x, W, b, "tanh", return_z=True)
    dy = rng_for("bwd-overlap-dy", n).standard_normal((n, k)).astype(dtype)
    expected = fastact.dense_backward(dy.copy(), x.copy(), W.copy(), z=z.copy(), activation="tanh")
    slots = {"dx=x": (x, None), "dW=W": (None, W), "dx=dy": (dy, None), "dx=z": (z, None),
             "dW=W,dx=x": (x, W)}[alias]
    res = fastact.dense_backward(dy, x, W, z=z, activation="tanh", out=slots + (None,))
    for r, e, what in zip(res, expected, ("dx", "dW", "db")):
        assert_bitwise(r, e, f"{what} with out {alias}")


@pytest.mark.parametrize("act", ["linear", "sigmoid", "gelu", "softmax", "log_softmax"])
@pytest.mark.parametrize("shape", [(8, 10, 1), (32, 128, 64), (600, 30, 50)],
                         ids=["8x10x1", "32x128x64", "600x30x50"])
@dtypes
def test_small_forward_path_gives_the_general_paths_bits(act, shape, dtype):
    """dense's one-call path (dense_plain: up to 2**20 multiply-adds, without
    the GIL above 2**16) against the general path, bit for bit."""
    from fastact import _dense
    n, k, units = shape
    x, W, b = make_inputs(("small forward", shape, dtype.name), (n,), k, units, dtype)
    kernel_id, rowwise, packed = _dense._FUSED_BY_NAME[act]
    plain = _dense._loops().dense_plain(x, W, b, kernel_id, rowwise, packed, None)
    assert plain is not None, "the one-call path declined"
    general = _dense.dense_blocks(x, W, b, act, None, False)
    assert_bitwise(plain, general, f"{act} {shape}")
    assert_bitwise(fastact.dense(x, W, b, act), general, "dense()")


@pytest.mark.parametrize("activation,keep", [("sigmoid", "y"), ("gelu", "z"), ("softmax", "y"),
                                             ("log_softmax", "y"), ("linear", None)])
@pytest.mark.parametrize("shape", [(8, 10, 1), (8, 50, 150), (1, 3, 65), (32, 128, 64),
                                   (600, 30, 50)],
                         ids=["8x10x1", "8x50x150", "1x3x65", "32x128x64", "600x30x50"])
@dtypes
def test_small_backward_path_gives_the_general_paths_bits(activation, keep, shape, dtype):
    """dense_backward's one-call path for small layers (pointer loops, no
    memoryviews) against the general path's parallel loops, bit for bit; 150
    and 65 units take several dW column blocks; the last two run without the
    GIL (more than 2**16 multiply-adds), the last just below the threads'
    threshold of 2**20."""
    from fastact import _dense
    n, k, units = shape
    x, W, b = make_inputs(("small backward", shape, dtype.name), (n,), k, units, dtype)
    y, z = fastact.dense(x, W, b, activation, return_z=True)
    dy = np.random.default_rng(3).standard_normal(y.shape).astype(dtype)
    kept = {"y": y if keep == "y" else None, "z": z if keep == "z" else None}
    packed = _dense._BACKWARD_BY_NAME[activation]
    assert _dense._loops().dense_backward_plain(
        dy, x, W, kept["y"] if keep == "y" else kept["z"], packed[0 if keep != "y" else 1],
        packed[2], packed[3], None, None, None, True) is not None, "the one-call path declined"
    small = fastact.dense_backward(dy, x, W, activation=activation, **kept)
    general = _dense.dense_backward_blocks(dy, x, W, kept["y"], kept["z"], activation, True,
                                           None)
    for got, expected, what in zip(small, general, ("dx", "dW", "db")):
        assert_bitwise(got, expected, what)


@pytest.mark.parametrize("n_threads", [None, 1, 3])
def test_warming_blas_buffers_changes_no_result(n_threads):
    """warm_blas_buffers (run on the first dense call) only fills OpenBLAS's
    work buffers: forward and backward give the same bits after it."""
    x, W, b = make_inputs(("warm", n_threads), (700,), 90, 40, np.dtype(np.float32))
    dy = rng_for("warm-dy").standard_normal((700, 40)).astype(np.float32)
    before = [fastact.dense(x, W, b, "tanh"), *fastact.dense_backward(dy, x, W, z=x @ W,
                                                                       activation="tanh")]
    _dense_kernels.warm_blas_buffers(n_threads)
    after = [fastact.dense(x, W, b, "tanh"), *fastact.dense_backward(dy, x, W, z=x @ W,
                                                                      activation="tanh")]
    for got, expected, what in zip(after, before, ("y", "dx", "dW", "db")):
        assert_bitwise(got, expected, what)
