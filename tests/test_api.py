"""The public API contract of fastact.activations / fastact.derivatives.

Names, signatures, get/serialize, dtype rules, shapes and memory layouts,
``out=``, special values, derivative conventions, row-wise functions, thread
counts, SIMD targets and show_config.  Accuracy (ULP bounds) is
tests/test_accuracy.py's job; here results are compared with each other
(bitwise, where the contract says "the same values") or with a simple
independent reference.

Everything is driven by ``fastact._manifest``: parameter names, defaults and
which derivatives have a from-y form are read from there, so a new activation
is covered by every test below without editing this file.
"""

import inspect
import warnings

import numpy as np
import pytest

import fastact
from fastact import _kernels, _manifest
from fastact import activations as A
from fastact import derivatives as D

FLOATS = (np.float32, np.float64)

# The 30 activations of keras.activations (Keras 3), and its two aliases.  Stated
# here, from Keras, rather than read from the manifest: this is what the manifest
# must contain.
KERAS3_NAMES = {
    "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid",
    "hard_silu", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax",
    "mish", "relu", "relu6", "selu", "sigmoid", "silu", "soft_shrink", "softmax",
    "softplus", "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus",
    "tanh", "tanh_shrink", "threshold",
}
KERAS3_ALIASES = {"swish": "silu", "hard_swish": "hard_silu"}

# Values for parameters without a default (threshold's threshold and
# default_value), by position: distinct, non-trivial numbers.
REQUIRED_FILL = (0.25, -1.5, 2.0, -3.0)

# Non-default parameter sets that take other code paths in the kernels (relu's
# clip and threshold, gelu's tanh form, ...).  Every elementwise test runs on
# these as well as on the defaults.  Keys must be manifest parameter names
# (checked by test_variants_name_manifest_parameters).
VARIANTS = {
    "celu": [{"alpha": 0.5}],
    "elu": [{"alpha": 0.0}, {"alpha": 2.5}],
    "gelu": [{"approximate": True}],
    "hard_shrink": [{"threshold": 0.0}, {"threshold": 2.0}],
    "leaky_relu": [{"negative_slope": -0.5}],
    "relu": [{"threshold": 1.0}, {"max_value": 6.0}, {"negative_slope": 0.1},
             {"negative_slope": 0.1, "max_value": 6.0, "threshold": -1.0},
             {"negative_slope": -0.3, "threshold": 2.0}],
    "soft_shrink": [{"threshold": 0.0}, {"threshold": 2.0}],
    "squareplus": [{"b": 0.0}, {"b": 0.5}],
    "threshold": [{"threshold": -1.0, "default_value": 7.0}],
}


# --------------------------------------------------------------------------
# Cases: every public function, as f(*inputs, out=None)
# --------------------------------------------------------------------------

def manifest_values(act, overrides=None):
    """Non-axis parameters of ``act`` at their manifest defaults (+ overrides)."""
    values = {}
    for i, p in enumerate(act.params):
        if p.kind == "axis":
            continue
        values[p.name] = REQUIRED_FILL[i] if p.default is _manifest.REQUIRED else p.default
    values.update(overrides or {})
    return values


def dy_for(x):
    """A deterministic upstream gradient computed elementwise from x (so it keeps
    x's shape, layout after copying, and periodicity), with both signs."""
    with np.errstate(all="ignore"):
        return (0.75 - 1.5 * np.tanh(np.asarray(x) * 0.7)).astype(np.asarray(x).dtype)


class Case:
    """One public function with fixed parameters, called as func(*inputs, out=)."""

    def __init__(self, id, act, func, make, dy_slot=None, rowwise=False, halves=False):
        self.id = id
        self.act = act
        self.func = func          # func(*inputs, out=None)
        self.make = make          # make(x) -> tuple of inputs built from one base array
        self.dy_slot = dy_slot    # index of the upstream gradient in inputs, or None
        self.rowwise = rowwise
        self.halves = halves      # glu: the result is x with the last axis halved

    def __call__(self, *inputs, out=None):
        return self.func(*inputs, out=out)

    def __repr__(self):
        return self.id


def _fmt(params):
    return ",".join(f"{k}={v}" for k, v in params.items())


def elementwise_cases(act):
    """Activation, derivative from x, from y, and the fused dy= forms."""
    cases = []
    for overrides in [None] + VARIANTS.get(act.name, []):
        p = manifest_values(act, overrides)
        tag = f"{act.name}({_fmt(overrides)})" if overrides else act.name
        fwd, der = getattr(A, act.name), getattr(D, act.name)
        cases.append(Case(f"act.{tag}", act, lambda x, out=None, f=fwd, p=p: f(x, **p, out=out),
                          lambda x: (x,)))
        cases.append(Case(f"der.{tag}", act, lambda x, out=None, f=der, p=p: f(x, **p, out=out),
                          lambda x: (x,)))
        cases.append(Case(f"der.{tag}.dy", act,
                          lambda x, dy, out=None, f=der, p=p: f(x, **p, dy=dy, out=out),
                          lambda x: (x, dy_for(x)), dy_slot=1))
        if act.from_y is not None and act.from_y(p) is None:
            cases.append(Case(f"der.{tag}.from_y", act,
                              lambda y, out=None, f=der, p=p: f(y=y, **p, out=out),
                              lambda x, f=fwd, p=p: (f(x, **p),)))
            cases.append(Case(f"der.{tag}.from_y.dy", act,
                              lambda y, dy, out=None, f=der, p=p: f(y=y, **p, dy=dy, out=out),
                              lambda x, f=fwd, p=p: (f(x, **p), dy_for(x)), dy_slot=1))
    return cases


def rowwise_cases(act):
    fwd, der = getattr(A, act.name), getattr(D, act.name)
    sig = inspect.signature(der)
    if act.name == "glu" or "y" not in sig.parameters:
        half = lambda x: dy_for(x[..., : x.shape[-1] // 2])  # noqa: E731
        return [
            Case(f"act.{act.name}", act, lambda x, out=None: fwd(x, out=out), lambda x: (x,),
                 rowwise=True, halves=True),
            Case(f"der.{act.name}", act, lambda x, dy, out=None: der(dy, x, out=out),
                 lambda x: (x, half(x)), dy_slot=1, rowwise=True),
        ]
    return [
        Case(f"act.{act.name}", act, lambda x, out=None: fwd(x, out=out), lambda x: (x,),
             rowwise=True),
        Case(f"der.{act.name}", act, lambda x, dy, out=None: der(dy, x=x, out=out),
             lambda x: (x, dy_for(x)), dy_slot=1, rowwise=True),
        Case(f"der.{act.name}.from_y", act, lambda y, dy, out=None: der(dy, y=y, out=out),
             lambda x: (fwd(x), dy_for(x)), dy_slot=1, rowwise=True),
    ]


ELEMENTWISE_CASES = [c for a in _manifest.ELEMENTWISE for c in elementwise_cases(a)]
ROWWISE_CASES = [c for a in _manifest.ROWWISE for c in rowwise_cases(a)]
ALL_CASES = ELEMENTWISE_CASES + ROWWISE_CASES
# cases with an input of the result's shape (all but glu's forward, which halves)
SAME_SHAPE_CASES = [c for c in ALL_CASES if not c.halves]

ew_cases = pytest.mark.parametrize("case", ELEMENTWISE_CASES, ids=repr)
all_cases = pytest.mark.parametrize("case", ALL_CASES, ids=repr)
dtypes = pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)


# --------------------------------------------------------------------------
# Inputs and comparisons
# --------------------------------------------------------------------------

def special_values(dtype):
    """±0, subnormals, the exp overflow/underflow edges of both dtypes, ±max,
    ±inf, NaN (an even count, so glu can split rows of them)."""
    fi = np.finfo(dtype)
    v = [0.0, -0.0, fi.smallest_subnormal, -fi.smallest_subnormal, fi.tiny / 2, -fi.tiny / 2,
         fi.tiny, -fi.tiny, 88.72, -88.72, 103.97, -103.97, 709.78, -709.78,
         fi.max, -fi.max, np.inf, -np.inf, np.nan, 1.0]
    return np.array(v, dtype=dtype)


def mixed_values(dtype, n_random=400, seed=0):
    """Special values, the kinks of every activation, a dense grid over [-8, 8]
    and log-uniform magnitudes from 1e-8 to 1e4 of both signs."""
    rng = np.random.default_rng(seed)
    kinks = [-6, -3, -2, -1, -0.5, -0.2, 0.2, 0.25, 0.5, 1, 2, 3, 6, 7]
    grid = np.linspace(-8, 8, 161)
    mags = 10.0 ** rng.uniform(-8, 4, n_random) * rng.choice([-1.0, 1.0], n_random)
    return np.concatenate([special_values(dtype), np.array(kinks, dtype),
                           grid.astype(dtype), mags.astype(dtype)])


def moderate_values(dtype, n=200, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.uniform(-4, 4, n)).astype(dtype)


def base_array(case, dtype, shape=(40, 34)):
    """A C-contiguous array of mixed values; rows of even length for glu."""
    vals = mixed_values(dtype)
    n = int(np.prod(shape))
    return np.resize(vals, n).reshape(shape)


def _uint(dtype):
    return {2: np.uint16, 4: np.uint32, 8: np.uint64}[np.dtype(dtype).itemsize]


def assert_bitwise(actual, expected, what=""):
    """Bitwise equal, except that any NaN equals any NaN (IEEE leaves the NaN sign
    and payload unspecified); -0.0 and 0.0 are different."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    a = np.ascontiguousarray(actual)
    e = np.ascontiguousarray(expected)
    same = (a.view(_uint(a.dtype)) == e.view(_uint(e.dtype))) | (np.isnan(a) & np.isnan(e))
    if not same.all():
        bad = np.argwhere(~same)
        i = tuple(bad[0])
        raise AssertionError(f"{what}: {len(bad)} of {a.size} elements differ; first at {i}: "
                             f"got {a[i]!r}, expected {e[i]!r}")


def ulp_distance(a, b):
    """Number of representable floats between a and b (NaN vs NaN = 0,
    NaN vs number = huge)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype
    it = {4: np.int32, 8: np.int64}[a.dtype.itemsize]

    def ordered(v):
        i = np.ascontiguousarray(v).view(it).astype(np.int64)
        lowest = np.iinfo(it).min
        return np.where(i < 0, lowest - i, i).astype(object)  # no int64 overflow

    d = np.abs(ordered(a) - ordered(b))
    both_nan = np.isnan(a) & np.isnan(b)
    one_nan = np.isnan(a) ^ np.isnan(b)
    d = np.where(both_nan, 0, d)
    d = np.where(one_nan, 2 ** 64, d)
    return d


def snapshot(inputs):
    return [np.array(v, copy=True) for v in inputs]


def assert_unchanged(inputs, before, case):
    for i, (now, then) in enumerate(zip(inputs, before)):
        assert_bitwise(now, then, f"{case.id}: input {i} was modified")


def reference(case, inputs):
    """The result on C-contiguous copies of the inputs: what every other layout,
    out= form and size must reproduce bitwise."""
    return case(*[np.ascontiguousarray(v).copy() for v in inputs])


# --------------------------------------------------------------------------
# Names, signatures, get / serialize / deserialize
# --------------------------------------------------------------------------

def test_manifest_lists_the_keras3_activations():
    names = {a.name for a in _manifest.ACTIVATIONS}
    assert KERAS3_NAMES <= names, f"missing: {sorted(KERAS3_NAMES - names)}"
    assert len(_manifest.ACTIVATIONS) == len(names), "duplicate manifest names"


def test_variants_name_manifest_parameters():
    # VARIANTS above must not silently test a parameter that no longer exists.
    for name, variants in VARIANTS.items():
        params = {p.name for p in _manifest.BY_NAME[name].params}
        for v in variants:
            assert set(v) <= params, (name, v)


@pytest.mark.parametrize("name", sorted(KERAS3_NAMES | {a.name for a in _manifest.ACTIVATIONS}))
def test_every_activation_and_derivative_exists(name):
    assert callable(getattr(A, name)), f"fastact.activations.{name}"
    assert callable(getattr(D, name)), f"fastact.derivatives.{name}"
    assert name in A.__all__ and name in D.__all__


@pytest.mark.parametrize("alias,target", sorted(KERAS3_ALIASES.items()))
def test_aliases_are_the_same_objects(alias, target):
    assert _manifest.ALIASES.get(alias) == target
    assert getattr(A, alias) is getattr(A, target)
    assert getattr(D, alias) is getattr(D, target)


@pytest.mark.parametrize("act", _manifest.ACTIVATIONS, ids=lambda a: a.name)
def test_signature_follows_the_manifest(act):
    sig = inspect.signature(getattr(A, act.name))
    params = list(sig.parameters.values())
    P = inspect.Parameter
    positional = [p for p in params if p.kind == P.POSITIONAL_OR_KEYWORD]
    keyword_only = {p.name: p for p in params if p.kind == P.KEYWORD_ONLY}
    assert [p.name for p in positional] == ["x"] + [p.name for p in act.params]
    assert positional[0].default is P.empty, "x has no default"
    for sp, mp in zip(positional[1:], act.params):
        if mp.default is _manifest.REQUIRED:
            assert sp.default is P.empty, f"{sp.name} must be required"
        else:
            assert sp.default == mp.default, \
                f"{sp.name}: default {sp.default!r} != manifest {mp.default!r}"
            if mp.kind == "bool":
                assert sp.default is mp.default
    expected_kw = {"out", "alpha"} if act.name == "relu" else {"out"}
    assert set(keyword_only) == expected_kw
    assert all(p.default is None for p in keyword_only.values())
    assert not any(p.kind in (P.VAR_POSITIONAL, P.VAR_KEYWORD) for p in params)


@pytest.mark.parametrize("name", sorted({a.name for a in _manifest.ACTIVATIONS}
                                        | set(_manifest.ALIASES)))
def test_get_and_deserialize_by_name(name):
    f = getattr(A, name)
    assert A.get(name) is f
    assert A.deserialize(name) is f
    canonical = _manifest.ALIASES.get(name, name)
    assert A.serialize(f) == canonical
    assert A.deserialize(A.serialize(f)) is f


def test_get_none_is_linear():
    assert A.get(None) is A.linear


def test_get_callable_returns_it():
    def mine(x):
        return x
    assert A.get(mine) is mine
    assert A.get(np.tanh) is np.tanh


@pytest.mark.parametrize("bad", ["no_such_activation", "Relu", "relu "])
def test_get_unknown_name_lists_valid_names(bad):
    with pytest.raises(ValueError) as info:
        A.get(bad)
    msg = str(info.value)
    assert repr(bad) in msg or bad in msg, msg
    for a in _manifest.ACTIVATIONS:
        assert a.name in msg, f"valid name {a.name!r} not listed in: {msg}"


def test_deserialize_unknown_raises():
    with pytest.raises(ValueError, match="no_such_activation"):
        A.deserialize("no_such_activation")


# --------------------------------------------------------------------------
# dtype rules
# --------------------------------------------------------------------------
# Most tests below loop over float32 and float64 inside one test per case
# (messages name the dtype) to keep the test count, and run time, down.

@all_cases
def test_float32_and_float64_are_preserved(case):
    for dtype in FLOATS:
        inputs = case.make(base_array(case, dtype, (4, 34)))
        r = case(*inputs)
        assert isinstance(r, np.ndarray), type(r)
        assert r.dtype == np.dtype(dtype) and r.dtype.isnative, f"{dtype.__name__} -> {r.dtype}"


@all_cases
def test_float16_is_computed_in_float32(case):
    x16 = base_array(case, np.float16, (4, 34))
    with np.errstate(all="ignore"):
        inputs = [np.asarray(v).astype(np.float16) for v in case.make(x16)]
    r = case(*inputs)
    assert r.dtype == np.float16
    with np.errstate(over="ignore"):    # float32 results beyond float16's range -> inf
        expected = case(*[v.astype(np.float32) for v in inputs]).astype(np.float16)
    if case.rowwise:
        # glu and the row-wise VJPs compute in float64 and round once to the
        # result dtype; rounding float64 -> float16 may differ from
        # float64 -> float32 -> float16 by one float16 ULP (double rounding),
        # which is 2**13 float32 ULPs.
        finite = np.isfinite(expected)
        assert (np.isnan(r) == np.isnan(expected)).all()
        inf = np.isinf(expected)
        assert (r[inf] == expected[inf]).all()
        dist = ulp_distance(r[finite].astype(np.float32), expected[finite].astype(np.float32))
        worst = int(np.argmax(dist))
        assert dist.max(initial=0) <= 2 ** 13, (
            f"{case.id}: float16 result {r[finite][worst]!r}, float32 result rounded to "
            f"float16 {expected[finite][worst]!r} ({dist.max() / 2 ** 13:g} float16 ULPs apart)")
    else:
        assert_bitwise(r, expected, case.id)


@all_cases
def test_integers_and_bools_give_float64(case):
    x = np.resize(np.arange(-4.0, 5.0), 4 * 34).reshape(4, 34)
    inputs = case.make(x)
    for itype in (np.int64, np.int32, np.uint8, np.bool_):
        with np.errstate(all="ignore"):
            if itype is np.bool_:
                ints = [np.asarray(v) > 0 for v in inputs]
            else:
                lo = 0 if itype is np.uint8 else -4
                ints = [np.clip(np.nan_to_num(np.round(v)), lo, 200).astype(itype)
                        for v in inputs]
        r = case(*ints)
        assert r.dtype == np.float64, f"{np.dtype(itype)} -> {r.dtype}"
        assert_bitwise(r, case(*[v.astype(np.float64) for v in ints]),
                       f"{case.id} {np.dtype(itype)}")


@ew_cases
def test_python_scalar_gives_float64_scalar(case):
    for value in (0.75, -2.0, 3):
        inputs = case.make(np.array(value, dtype=np.float64))
        scalars = [np.asarray(v).item() for v in inputs]
        if isinstance(value, int):
            scalars[0] = value          # a Python int for x itself
        r = case(*scalars)
        assert isinstance(r, (np.ndarray, np.generic)), type(r)
        assert np.ndim(r) == 0 and np.asarray(r).dtype == np.float64, (value, r)
        expected = case(*[np.array([v], dtype=np.float64) for v in scalars])[0]
        assert_bitwise(np.asarray(r), np.asarray(expected), f"{case.id} at {value!r}")


@all_cases
def test_python_lists_are_accepted(case):
    inputs = case.make(base_array(case, np.float64, (3, 4)))
    r = case(*[np.asarray(v).tolist() for v in inputs])
    assert_bitwise(r, case(*inputs), case.id)


@all_cases
def test_big_endian_input_gives_native_result(case):
    for be in (">f4", ">f8"):
        native = np.dtype(be).newbyteorder("=")
        inputs = case.make(base_array(case, native, (4, 34)))
        swapped = [np.asarray(v).astype(be) for v in inputs]
        r = case(*swapped)
        assert r.dtype == native and r.dtype.isnative, f"{be} -> {r.dtype.str}"
        assert_bitwise(r, case(*inputs), f"{case.id} {be}")


# --------------------------------------------------------------------------
# Shapes, sizes, memory layouts
# --------------------------------------------------------------------------

SHAPES = [(), (6,), (3, 4), (2, 3, 4), (2, 2, 3, 4), (3, 0, 4), (5, 0)]


@all_cases
def test_shapes(case):
    for dtype in FLOATS:
        for shape in SHAPES:
            if case.rowwise and (len(shape) == 0 or shape[-1] == 0):
                continue   # 0-d: test_bad_input; empty rows: the test below
            x = np.resize(mixed_values(dtype), int(np.prod(shape))).reshape(shape)
            inputs = case.make(x)
            what = f"{case.id} {np.dtype(dtype)} shape {shape}"
            r = case(*inputs)
            want_shape = shape[:-1] + (shape[-1] // 2,) if case.halves else shape
            assert np.shape(r) == want_shape, what
            if case.rowwise:
                # the same rows, as one 2-D matrix
                flat = case(*[np.asarray(v).reshape(int(np.prod(v.shape[:-1])), v.shape[-1])
                              for v in map(np.asarray, inputs)])
            else:
                flat = case(*[np.asarray(v).reshape(-1) for v in inputs])
            assert_bitwise(np.asarray(r), np.asarray(flat).reshape(want_shape), what)


@pytest.mark.parametrize("case", ROWWISE_CASES, ids=repr)
def test_rowwise_rows_of_length_zero(case):
    # x of shape (5, 0): five empty rows; the result is empty too (as for
    # scipy.special.softmax), not an error.
    for dtype in FLOATS:
        inputs = case.make(np.zeros((5, 0), dtype))
        try:
            r = case(*inputs)
        except Exception as exc:
            raise AssertionError(f"{case.id} {np.dtype(dtype)} on shape (5, 0) raised "
                                 f"{type(exc).__name__}: {exc}") from exc
        assert r.shape == (5, 0) and r.dtype == dtype


SIZES = (0, 1, 16383, 16384, 16385, 65536 * 2 + 3)
PERIOD = 61   # prime: each value visits every SIMD lane and chunk boundary


@ew_cases
def test_sizes_around_chunk_and_parallel_thresholds(case):
    # The kernels work in chunks of 16384 elements and in parallel above 65536:
    # element i of x = tile(base) must come out as f(base)[i % PERIOD].  Each
    # size is a prefix (a C-contiguous array of its own length) of the largest.
    for dtype in FLOATS:
        base = mixed_values(dtype)[:PERIOD]
        want = np.resize(np.asarray(case(*case.make(base))), max(SIZES))
        tiled = case.make(np.resize(base, max(SIZES)))
        for n in SIZES:
            r = case(*[v[:n] for v in tiled])
            assert_bitwise(r, want[:n], f"{case.id} {np.dtype(dtype)} size {n}")


def _sliced(a):
    big = np.zeros(a.shape[:-1] + (3 * a.shape[-1],), a.dtype)
    big[..., ::3] = a
    return big[..., ::3]


# (name, transform): an array equal in value to a C-contiguous one, other strides
LAYOUTS = [
    ("fortran", np.asfortranarray),
    ("reversed", lambda a: np.ascontiguousarray(a[::-1])[::-1]),
    ("reversed_both", lambda a: np.ascontiguousarray(a[::-1, ::-1])[::-1, ::-1]),
    ("sliced_step3", _sliced),
    ("transposed_view", lambda a: np.ascontiguousarray(a.T).T),
]


def assert_same_result(case, actual, expected, what):
    """Bitwise for elementwise functions (the contract) and row-wise forwards
    (which always run on C-contiguous rows).  The row-wise VJPs reduce with
    NumPy sums whose order follows the memory layout, so there a few ULPs of
    the row's scale are allowed."""
    if not (case.rowwise and case.id.startswith("der.")):
        return assert_bitwise(actual, expected, what)
    assert actual.dtype == expected.dtype and actual.shape == expected.shape, what
    eps = np.finfo(expected.dtype).eps
    finite = np.abs(expected[np.isfinite(expected)])
    scale = finite.max(initial=1.0)
    np.testing.assert_allclose(actual, expected, rtol=8 * eps, atol=8 * eps * scale,
                               err_msg=what)


@all_cases
def test_memory_layouts_give_the_contiguous_result(case):
    for dtype in FLOATS:
        inputs = case.make(base_array(case, dtype))
        expected = reference(case, inputs)
        for layout, transform in LAYOUTS:
            moved = [transform(np.asarray(v)) for v in inputs]
            for m, v in zip(moved, inputs):
                assert np.array_equal(m, v, equal_nan=True)
            before = snapshot(moved)
            r = case(*moved)
            assert_unchanged(moved, before, case)
            assert_same_result(case, r, expected, f"{case.id} {np.dtype(dtype)} {layout}")


@pytest.mark.parametrize("case", [c for c in ALL_CASES if c.dy_slot is not None], ids=repr)
def test_inputs_in_different_layouts(case):
    # x C-ordered, dy Fortran-ordered (and the other way): no common memory order.
    for dtype in FLOATS:
        inputs = case.make(base_array(case, dtype))
        expected = reference(case, inputs)
        for order in ("CF", "FC"):
            moved = [np.asarray(v, order=o) for v, o in zip(inputs, order)]
            assert_same_result(case, case(*moved), expected,
                               f"{case.id} {np.dtype(dtype)} orders {order}")


# --------------------------------------------------------------------------
# out=
# --------------------------------------------------------------------------

@all_cases
def test_out_is_filled_and_returned(case):
    for dtype in FLOATS:
        inputs = case.make(base_array(case, dtype))
        expected = reference(case, inputs)
        before = snapshot(inputs)
        out = np.full_like(expected, 123.0)
        r = case(*inputs, out=out)
        assert r is out
        assert_bitwise(out, expected, f"{case.id} {np.dtype(dtype)}")
        assert_unchanged(inputs, before, case)


@all_cases
def test_inputs_are_never_modified(case):
    # without out=: the function must not write into (or reorder) its inputs
    for dtype in FLOATS:
        inputs = [np.asarray(v) for v in case.make(base_array(case, dtype))]
        inputs = [inputs[0][::-1]] + inputs[1:]   # also through a non-contiguous view
        before = snapshot(inputs)
        case(*inputs)
        assert_unchanged(inputs, before, case)


@pytest.mark.parametrize("case", SAME_SHAPE_CASES, ids=repr)
def test_out_in_place(case):
    for dtype in FLOATS:
        inputs = case.make(base_array(case, dtype))
        expected = reference(case, inputs)
        for slot in range(len(inputs)):
            if np.shape(inputs[slot]) != expected.shape:
                continue
            work = [np.array(v, copy=True) for v in inputs]
            r = case(*work, out=work[slot])
            assert r is work[slot]
            assert_bitwise(work[slot], expected,
                           f"{case.id} {np.dtype(dtype)} out=input {slot}")


@pytest.mark.parametrize("case", SAME_SHAPE_CASES, ids=repr)
def test_out_partially_overlapping_an_input(case):
    # x = a[1:], out = a[:-1] (and the reverse): a naive loop reads values it has
    # already overwritten in one of the two directions.
    for dtype in FLOATS:
        if case.rowwise:
            base = base_array(case, dtype, (9, 34))             # shifted by one row
        else:
            base = np.resize(mixed_values(dtype), 2 * 16384 + 5)  # crosses chunks
        inputs = [np.asarray(v) for v in case.make(base)]
        expected = reference(case, inputs)
        for slot in range(len(inputs)):
            if inputs[slot].shape != expected.shape:
                continue
            for direction in ("out_before_x", "out_after_x"):
                a = np.empty((inputs[slot].shape[0] + 1,) + inputs[slot].shape[1:], dtype)
                if direction == "out_before_x":
                    a[1:] = inputs[slot]
                    src, out = a[1:], a[:-1]
                else:
                    a[:-1] = inputs[slot]
                    src, out = a[:-1], a[1:]
                work = list(inputs)
                work[slot] = src
                r = case(*work, out=out)
                assert r is out
                assert_bitwise(out, expected, f"{case.id} {np.dtype(dtype)} overlapping "
                                              f"input {slot}, {direction}")


@all_cases
def test_out_non_contiguous(case):
    for dtype in FLOATS:
        inputs = case.make(base_array(case, dtype))
        expected = reference(case, inputs)
        outs = {
            "strided": np.zeros(expected.shape[:-1] + (2 * expected.shape[-1],), dtype)[..., ::2],
            "fortran": np.zeros(expected.shape, dtype, order="F"),
            "reversed": np.zeros(expected.shape, dtype)[::-1],
        }
        for kind, out in outs.items():
            before = snapshot(inputs)
            r = case(*inputs, out=out)
            assert r is out
            assert_bitwise(out, expected, f"{case.id} {np.dtype(dtype)} out {kind}")
            assert_unchanged(inputs, before, case)


@all_cases
def test_read_only_inputs(case):
    for dtype in FLOATS:
        inputs = [np.array(v, copy=True) for v in case.make(base_array(case, dtype))]
        expected = reference(case, inputs)
        for v in inputs:
            v.flags.writeable = False
        assert_bitwise(case(*inputs), expected, f"{case.id} {np.dtype(dtype)}")


@pytest.fixture(scope="module")
def memmap_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("memmap")


@all_cases
def test_memmap_inputs(case, memmap_dir):
    for dtype in FLOATS:
        inputs = [np.asarray(v) for v in case.make(base_array(case, dtype))]
        expected = reference(case, inputs)
        maps = []
        for i, v in enumerate(inputs):
            path = memmap_dir / f"{case.id}_{np.dtype(dtype)}_in{i}.bin"
            m = np.memmap(path, dtype=v.dtype, mode="w+", shape=v.shape)
            m[...] = v
            m.flush()
            del m
            maps.append(np.memmap(path, dtype=v.dtype, mode="r", shape=v.shape))  # read-only
        assert_bitwise(np.asarray(case(*maps)), expected, f"{case.id} {np.dtype(dtype)}")


# --------------------------------------------------------------------------
# Special values
# --------------------------------------------------------------------------

@ew_cases
def test_nan_in_nan_out(case):
    for dtype in FLOATS:
        x = np.array([np.nan, -1.0, np.nan, 2.5, 0.0, np.nan], dtype)
        inputs = [np.asarray(v) for v in case.make(x)]   # from y: y = f(x), NaN where x is
        if case.dy_slot is not None:
            inputs[case.dy_slot] = np.ones_like(x)       # the NaN must come from x (or y)
        r = case(*inputs)
        nan = np.isnan(x)
        assert np.isnan(r[nan]).all(), f"{case.id} {np.dtype(dtype)}: {x} -> {r}"
        assert not np.isnan(r[~nan]).any(), f"{case.id} {np.dtype(dtype)}: {x} -> {r}"


@dtypes
def test_relu_threshold_is_a_hard_cut(dtype):
    r = A.relu(np.array([1.9, 2.0, 2.1], dtype), threshold=2)
    assert_bitwise(r, np.array([0, 0, 2.1], dtype))


@dtypes
@pytest.mark.parametrize("func", [A.silu, A.mish, A.gelu, lambda x: A.gelu(x, approximate=True)],
                         ids=["silu", "mish", "gelu", "gelu_approximate"])
def test_minus_infinity_gives_minus_zero(func, dtype):
    r = func(np.array([-np.inf], dtype))
    assert r.dtype == dtype
    assert r[0] == 0 and np.signbit(r[0]), f"got {r[0]!r}, expected -0.0"


@dtypes
def test_softsign_and_sigmoid_at_infinity(dtype):
    x = np.array([-np.inf, np.inf], dtype)
    assert_bitwise(A.softsign(x), np.array([-1.0, 1.0], dtype))
    assert_bitwise(A.sigmoid(x), np.array([0.0, 1.0], dtype))


@dtypes
def test_squareplus_at_max_is_finite(dtype):
    big = np.finfo(dtype).max
    r = A.squareplus(np.array([big, -big], dtype))
    assert np.isfinite(r).all(), r
    # (x + sqrt(x^2 + b)) / 2 = x to within rounding for x = max
    ulp_at_max = big - np.nextafter(big, dtype(0))
    assert abs(r[0] - big) <= 2 * ulp_at_max, r[0]
    assert 0 <= r[1] < 1e-30


SOFT_ROWS = [
    ([-np.inf, 0.0, 0.0], [0.0, 0.5, 0.5]),
    ([-np.inf, 3.0, -np.inf, 3.0], [0.0, 0.5, 0.0, 0.5]),
    ([1.0, -np.inf], [1.0, 0.0]),
]


@dtypes
@pytest.mark.parametrize("name", ["softmax", "sparsemax", "log_softmax"])
@pytest.mark.parametrize("row,want", SOFT_ROWS, ids=str)
def test_rows_with_minus_infinity_are_exact(name, row, want, dtype):
    r = getattr(A, name)(np.array([row], dtype))
    want = np.array([want], dtype)
    if name == "log_softmax":
        with np.errstate(divide="ignore"):
            want = np.log(want)
    assert_bitwise(r, want, name)


@dtypes
@pytest.mark.parametrize("name", [a.name for a in _manifest.ROWWISE if a.name != "glu"])
def test_rows_of_minus_infinity_or_with_nan_are_nan(name, dtype):
    x = np.array([[-np.inf, -np.inf, -np.inf], [0.0, np.nan, 1.0], [1.0, 2.0, 3.0]], dtype)
    r = getattr(A, name)(x)
    assert np.isnan(r[:2]).all(), r
    assert np.isfinite(r[2]).all(), r


def warning_inputs(case, dtype):
    """Special values only: as a 1-D array, or rows of them for row-wise functions
    (plus rows of all +inf and all -inf); dy made of special values too."""
    s = special_values(dtype)
    if case.rowwise:
        x = np.stack([s, s[::-1], np.roll(s, 7), np.full_like(s, np.inf),
                      np.full_like(s, -np.inf)])
    else:
        x = np.concatenate([s, s[::-1]])
    inputs = [np.asarray(v) for v in case.make(x)]
    if ".from_y" in case.id and not case.rowwise:
        inputs[0] = x.copy()   # any y at all, not only outputs of f (row-wise: y = f(x))
    if case.dy_slot is not None:
        dy = inputs[case.dy_slot]
        inputs[case.dy_slot] = np.resize(np.roll(s, 3), dy.size).reshape(dy.shape)
    return inputs


@all_cases
def test_no_runtime_warning_for_special_values(case):
    for dtype in FLOATS:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            inputs = warning_inputs(case, dtype)
        # NumPy's default error state (stated, not inherited from whatever ran
        # before): divide/overflow/invalid warn, underflow is silent.  Every
        # warning becomes an error.
        with warnings.catch_warnings(), np.errstate(divide="warn", over="warn",
                                                    invalid="warn", under="ignore"):
            warnings.simplefilter("error")
            try:
                case(*inputs)
            except Warning as w:
                raise AssertionError(f"{case.id} {np.dtype(dtype)}: {type(w).__name__}: "
                                     f"{w}") from w


# --------------------------------------------------------------------------
# Derivatives
# --------------------------------------------------------------------------

@dtypes
def test_kink_conventions(dtype):
    # PyTorch's values of the derivative where it jumps.
    z = np.array([0.0, -0.0], dtype)
    assert_bitwise(D.relu(z), np.zeros(2, dtype), "relu'(0)")
    slope = _manifest.BY_NAME["leaky_relu"].params[0].default
    assert_bitwise(D.leaky_relu(z), np.full(2, slope, dtype), "leaky_relu'(0)")
    assert_bitwise(D.hard_tanh(np.array([-1.0, 1.0], dtype)), np.zeros(2, dtype),
                   "hard_tanh'(+-1)")
    assert_bitwise(D.relu6(np.array([0.0, -0.0, 6.0], dtype)), np.zeros(3, dtype),
                   "relu6'(0), relu6'(6)")


FROM_Y = [a for a in _manifest.ELEMENTWISE
          if a.from_y is not None and a.from_y(manifest_values(a)) is None]


@pytest.mark.parametrize("act", FROM_Y, ids=lambda a: a.name)
@dtypes
def test_derivative_from_y_equals_derivative_from_x(act, dtype):
    # Error budget: each derivative is within dulp of its exact value, and y is
    # within ulp of f(x); that error in y moves the from-y derivative by
    # |g'(y)| * ulp, g(y) = derivatives.f(y=y), estimated from g one float
    # either side of y.  Anything past that budget (+1 ULP) is a real mismatch.
    dname = np.dtype(dtype).name
    x = np.concatenate([moderate_values(dtype),
                        np.array([-6, -3, -1, -0.5, 0, 0.5, 1, 3, 6], dtype)])
    p = manifest_values(act)
    f, d = getattr(A, act.name), getattr(D, act.name)
    y = f(x, **p)
    from_x = d(x, **p)
    from_y = d(y=y, **p)
    spread = np.abs(d(y=np.nextafter(y, dtype(np.inf)), **p)
                    - d(y=np.nextafter(y, dtype(-np.inf)), **p)).astype(np.float64) / 2
    # a neighbour of y outside f's range (below sparse_plus's 0) has no derivative
    spread = np.nan_to_num(spread, nan=0.0)
    tol = ((2 * act.dulp[dname] + 1) * np.spacing(np.abs(from_x)).astype(np.float64)
           + (act.ulp[dname] + 1) * spread)
    err = np.abs(from_y.astype(np.float64) - from_x.astype(np.float64))
    worst = np.argmax(np.where(err <= tol, -np.inf, 1.0))
    assert (err <= tol).all(), (f"{act.name}: at x={x[worst]!r} y={y[worst]!r}: from x "
                                f"{from_x[worst]!r}, from y {from_y[worst]!r}")


DY_CASES = [c for c in ELEMENTWISE_CASES if c.dy_slot is not None]


@pytest.mark.parametrize("case", DY_CASES, ids=repr)
@dtypes
def test_dy_gives_dy_times_derivative(case, dtype):
    rng = np.random.default_rng(5)
    x = mixed_values(dtype)
    x = x[np.isfinite(x)]
    dy = rng.uniform(-3, 3, x.size).astype(dtype)
    plain_inputs = [np.asarray(v) for v in case.make(x)][: case.dy_slot]
    fused = case(*plain_inputs, dy)
    # the same derivative without dy= (der.<name>[.from_y])
    plain = next(c for c in ELEMENTWISE_CASES if c.id == case.id[: -len(".dy")])
    d = plain(*plain_inputs)
    with np.errstate(all="ignore"):
        product = dy * d
    # float32 fuses in float64 and rounds once, float64 multiplies the same f':
    # either way the fused result is within 1 ULP of the rounded product.
    dist = ulp_distance(fused, product)
    worst = int(np.argmax(dist))
    assert dist.max() <= 1, (f"{case.id}: dy={dy[worst]!r} f'={d[worst]!r}: fused "
                             f"{fused[worst]!r}, product {product[worst]!r}")


# ------------------------------------------------------------ row-wise VJPs

def numeric_vjp(f, x, dy, axis=-1, h=1e-6):
    """dy^T J by central differences, one input element at a time (float64)."""
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        g[i] = np.sum(dy * (f(xp, axis=axis) - f(xm, axis=axis))) / (2 * h)
    return g


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "sparsemax"])
@pytest.mark.parametrize("source", ["x", "y"])
@pytest.mark.parametrize("axis", [-1, 0])
def test_rowwise_vjp_matches_finite_differences(name, source, axis):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((3, 5)) * (0.3 if name == "sparsemax" else 1.5)
    dy = rng.standard_normal((3, 5))
    f = getattr(A, name)
    want = numeric_vjp(f, x, dy, axis)
    if source == "x":
        got = getattr(D, name)(dy, x=x, axis=axis)
    else:
        got = getattr(D, name)(dy, y=f(x, axis=axis), axis=axis)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_glu_vjp_matches_finite_differences(axis):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((4, 6)) * 1.5
    a_shape = list(x.shape)
    a_shape[axis] //= 2
    dy = rng.standard_normal(a_shape)
    want = numeric_vjp(A.glu, x, dy, axis)
    np.testing.assert_allclose(D.glu(dy, x, axis=axis), want, rtol=1e-6, atol=1e-7)


def test_softmax_vjp_matches_the_explicit_jacobian():
    rng = np.random.default_rng(13)
    x = rng.standard_normal((4, 6))
    dy = rng.standard_normal((4, 6))
    got = D.softmax(dy, x=x)
    for r in range(4):
        s = np.exp(x[r] - x[r].max())
        s /= s.sum()
        jac = np.diag(s) - np.outer(s, s)
        np.testing.assert_allclose(got[r], dy[r] @ jac, rtol=1e-12, atol=1e-15)


def move_axes_last(v, axes):
    """v with ``axes`` moved last and flattened into one: (rest..., n)."""
    rest = [a for a in range(v.ndim) if a not in axes]
    moved = np.transpose(v, rest + list(axes))
    return np.ascontiguousarray(moved.reshape(moved.shape[: len(rest)] + (-1,))), moved.shape, \
        rest + list(axes)


def back(r, moved_shape, order):
    return np.transpose(r.reshape(moved_shape), np.argsort(order))


def assert_close(actual, expected, what, ulps=4):
    """Within a few ULPs of the largest magnitude (reductions in another
    order round differently; a wrong axis is off by far more)."""
    assert actual.dtype == expected.dtype and actual.shape == expected.shape, what
    eps = np.finfo(expected.dtype).eps
    scale = np.abs(expected[np.isfinite(expected)]).max(initial=1.0)
    np.testing.assert_allclose(actual, expected, rtol=ulps * eps, atol=ulps * eps * scale,
                               err_msg=what)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "sparsemax"])
@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3, (0, 2), (2, 0), (-1, 1), (0, 1, 2)],
                         ids=str)
@dtypes
def test_axis_int_negative_and_tuple(name, axis, dtype):
    # Reference: move the axes last by hand (in the order given), flatten them
    # into one, apply along axis=-1, and move back.
    rng = np.random.default_rng(14)
    x = (rng.standard_normal((3, 4, 5)) * (0.3 if name == "sparsemax" else 1)).astype(dtype)
    dy = rng.standard_normal(x.shape).astype(dtype)
    f, g = getattr(A, name), getattr(D, name)
    axes = tuple(a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,)))
    xf, moved_shape, order = move_axes_last(x, axes)
    dyf = move_axes_last(dy, axes)[0]
    want = back(f(xf, axis=-1), moved_shape, order)
    assert_close(f(x, axis=axis), want, f"{name} axis={axis}")
    want_vjp = back(g(dyf, x=xf, axis=-1), moved_shape, order)
    assert_close(g(dy, x=x, axis=axis), want_vjp, f"derivatives.{name}(x=) axis={axis}")
    assert_close(g(dy, y=f(x, axis=axis), axis=axis), want_vjp,
                 f"derivatives.{name}(y=) axis={axis}")


@dtypes
@pytest.mark.parametrize("axis", [0, 1, -2])
def test_glu_axis(dtype, axis):
    rng = np.random.default_rng(18)
    x = rng.standard_normal((4, 6, 3)).astype(dtype)
    xm = np.moveaxis(x, axis, -1)
    assert_bitwise(A.glu(x, axis=axis), np.moveaxis(A.glu(np.ascontiguousarray(xm)), -1, axis))
    dy = rng.standard_normal(A.glu(x, axis=axis).shape).astype(dtype)
    want = np.moveaxis(D.glu(np.ascontiguousarray(np.moveaxis(dy, axis, -1)),
                             np.ascontiguousarray(xm)), -1, axis)
    assert_bitwise(D.glu(dy, x, axis=axis), want)


def sparsemax_reference(z):
    """Martins & Astudillo (2016), Algorithm 1, one row, written out plainly."""
    z = np.asarray(z, dtype=np.float64)
    zs = np.sort(z)[::-1]
    cs = np.cumsum(zs)
    k = max(j for j in range(1, z.size + 1) if 1 + j * zs[j - 1] > cs[j - 1])
    tau = (cs[k - 1] - 1) / k
    return np.maximum(z - tau, 0.0)


SPARSEMAX_ROWS = [
    ([0.0, 0.5, 2.0], [0.0, 0.0, 1.0]),                 # support of one
    ([1.0, 1.5, 0.0], [0.25, 0.75, 0.0]),               # support of two
    ([0.5, 0.5, 0.5, 0.5], [0.25, 0.25, 0.25, 0.25]),   # ties, full support
    ([0.1, 0.2, 0.3], None),                            # full support, uneven
]


@pytest.mark.parametrize("row,want", SPARSEMAX_ROWS, ids=str)
def test_sparsemax_known_rows(row, want):
    got = A.sparsemax(np.array(row))
    ref = sparsemax_reference(row)
    if want is not None:
        np.testing.assert_allclose(ref, want, atol=1e-15)   # the reference itself
    np.testing.assert_allclose(got, ref, rtol=1e-14, atol=1e-15)


@dtypes
@pytest.mark.parametrize("scale", [0.1, 1.0, 10.0])
def test_sparsemax_random_rows_match_the_reference_and_sum_to_one(dtype, scale):
    rng = np.random.default_rng(15)
    x = (rng.standard_normal((50, 7)) * scale).astype(dtype)
    got = A.sparsemax(x)
    ref = np.array([sparsemax_reference(r) for r in x.astype(np.float64)])
    eps = np.finfo(dtype).eps
    np.testing.assert_allclose(got, ref, rtol=0, atol=8 * eps)
    np.testing.assert_allclose(got.astype(np.float64).sum(axis=-1), 1.0, rtol=0, atol=8 * eps)
    assert (got >= 0).all()
    supports = (ref > 0).sum(axis=1)
    # the inputs exercise supports of several sizes, not only one-hot rows
    if scale <= 1.0:
        assert (supports > 1).any()


@dtypes
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_glu_is_a_times_sigmoid_b(dtype, axis):
    rng = np.random.default_rng(16)
    x = (rng.standard_normal((6, 8)) * 3).astype(dtype)
    a, b = np.split(x.astype(np.float64), 2, axis=axis)
    want = (a / (1 + np.exp(-b))).astype(dtype)
    got = A.glu(x, axis=axis)
    assert got.dtype == dtype
    dist = ulp_distance(got, want)
    assert dist.max() <= 3, f"max {dist.max()} ULP"


# --------------------------------------------------------------------------
# Threads and SIMD targets
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["sigmoid", "tanh", "gelu", "softmax"])
@dtypes
def test_thread_count_does_not_change_results(name, dtype):
    # threadpoolctl is a declared test dependency (pyproject's "test" extra):
    # imported here so that its absence fails this test, not the whole file.
    from threadpoolctl import threadpool_limits

    x = np.random.default_rng(17).standard_normal(1_000_000).astype(dtype) * 4
    if name == "softmax":
        x = x.reshape(1000, 1000)
    f = getattr(A, name)
    with threadpool_limits(1):
        assert _kernels.max_threads() == 1
        one = f(x)
    with threadpool_limits(2):
        # a serial build (FASTACT_DISABLE_OPENMP=1) runs one thread whatever the limit
        assert _kernels.max_threads() == (2 if _kernels.openmp_enabled() else 1), \
            "threadpoolctl did not reach fastact's OpenMP"
        two = f(x)
    assert_bitwise(two, one, f"{name}: 2 threads vs 1")


ISA_ORDER = _kernels.ISA_NAMES
USABLE_ISAS = [t for t in _kernels.compiled_isas()
               if ISA_ORDER.index(t) <= ISA_ORDER.index(_kernels.best_isa())]


@pytest.fixture
def restore_isa():
    original = _kernels.current_isa()
    try:
        yield
    finally:
        _kernels.use_isa(original)
        assert _kernels.current_isa() == original


def test_simd_targets_are_listed():
    assert "baseline" in USABLE_ISAS
    assert _kernels.current_isa() in USABLE_ISAS
    assert _kernels.best_isa() in _kernels.compiled_isas()


def uses_float_form(case, dtype):
    """Whether the FMA targets run this case in the float-arithmetic form of
    fa_formulas_f32.h (manifest ``f32_native``), and the baseline in double."""
    return (dtype == np.float32 and case.id.startswith("act.")
            and "fwd" in case.act.f32_native)


@ew_cases
@dtypes
def test_every_simd_target_gives_the_baseline_result(case, dtype, restore_isa):
    x = np.concatenate([mixed_values(dtype), moderate_values(dtype, 301)])
    inputs = case.make(x)
    results = {}
    for isa in USABLE_ISAS:
        assert _kernels.use_isa(isa) == isa
        results[isa] = case(*inputs)
    if not uses_float_form(case, dtype):
        for isa in USABLE_ISAS:
            assert_bitwise(results[isa], results["baseline"], f"{case.id}: {isa} vs baseline")
        return
    # The FMA targets agree with each other bitwise; each of them and the
    # baseline is within the bound of the exact value, so within twice the
    # bound of each other.
    fma_isas = [isa for isa in USABLE_ISAS if isa != "baseline"]
    for isa in fma_isas:
        assert_bitwise(results[isa], results[fma_isas[0]], f"{case.id}: {isa} vs {fma_isas[0]}")
    base = results["baseline"]
    for isa in fma_isas:
        got = results[isa]
        finite = np.isfinite(base)
        assert np.array_equal(np.isfinite(got), finite), f"{case.id}: non-finite places differ"
        assert_bitwise(got[~finite], base[~finite], f"{case.id}: non-finite values")
        _, exponent = np.frexp(base[finite].astype(np.float64))
        spacing = np.ldexp(1.0, np.maximum(exponent - 24, -149))     # float32 ULP at base
        ulps_apart = np.abs(got[finite].astype(np.float64) - base[finite]) / spacing
        assert ulps_apart.max() <= 2 * case.act.ulp["float32"], (
            f"{case.id}: {isa} vs baseline differ by {ulps_apart.max():.3g} ULP")


# --------------------------------------------------------------------------
# show_config
# --------------------------------------------------------------------------

def test_show_config(capsys):
    fastact.show_config()
    out = capsys.readouterr().out
    lines = out.lower().splitlines()

    def line_with(word):
        found = [ln for ln in lines if word in ln]
        assert found, f"no line mentions {word!r} in:\n{out}"
        return found[0]

    assert fastact.__version__ in line_with("fastact")
    for word in ("compiler", "openmp", "simd", "blas"):
        key, _, value = line_with(word).partition(":")
        assert value.strip(), f"{word}: empty value"
    assert str(_kernels.max_threads()) in line_with("threads")
    assert _kernels.current_isa() in out
