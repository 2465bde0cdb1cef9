"""The one list of fastact's activations.

Every other layer is derived from this table:

* ``setup.py`` generates the C chunk kernels (``_src/fa_kernels.c`` from
  ``_src/fa_kernels.c.tp``) from it: one loop per activation, mode, dtype and
  SIMD target, numbered as ``kernel_table()`` numbers them;
* ``fastact.activations`` / ``fastact.derivatives`` / ``fastact.dense`` look up
  each function's parameter checks, C parameter packing and kernel ids here;
* the docstrings (``_docs.py``) and the tests read the formulas, kink
  conventions and accuracy bounds from here, so each is stated once, next to
  the definition it belongs to.

The scalar math itself (value, derivative from ``x``, derivative from ``y``)
lives in ``_src/fa_formulas.inc``, one C function per (activation, mode); the
row-wise functions are in ``_rowwise.py`` and ``_src/fa_rowwise.h``.

This module is pure Python with no imports beyond ``math``, so that the build
can load it before numpy or the extension exist.
"""

import math
from collections import namedtuple

# --------------------------------------------------------------------------
# Parameters
# --------------------------------------------------------------------------
# kind: "float" (a finite real), "float_or_none" (finite real or None),
#       "bool", "axis" (int or tuple of ints, row-wise functions only).
# check: a name from CHECKS below, or None.
Param = namedtuple("Param", "name default kind check")

# Sentinel for a parameter that has no default (Keras's ``threshold``).
REQUIRED = object()

CHECKS = {
    "positive": (lambda v: v > 0, "a finite number > 0"),
    "nonnegative": (lambda v: v >= 0, "a finite number >= 0"),
    "finite": (lambda v: True, "a finite number"),
}

# --------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------
# name        Keras 3 name (also the C stem: fa_<name>_fwd/_dx/_dy).
# params      tuple of Param, in Keras order.
# pack        params -> the 4 doubles of the C ``fa_params`` struct (p0..p3),
#             or None when the function has no parameters.
# kind        "elementwise" (generated C kernels) or "rowwise" (reduction
#             along an axis: _rowwise.py, with C rows in _src/fa_rowwise.h).
# from_y      None, or a function params -> None | str: None means the
#             derivative can be computed from the output y for these
#             parameters; a string says why it cannot.
# ulp         {"float32": bound, "float64": bound} for the value, in ULPs of
#             the result dtype against a float64 (float32 results) or mpmath
#             (float64 results) reference. 0 = exact, 0.5 = correctly rounded.
# dulp        the same for the derivative from x (and from y, measured against
#             the exact derivative expressed in y at the given y).
# droot       None, or {"float32": w, "float64": w}: the half-width around the
#             roots of f' inside which the derivative is checked in absolute
#             terms (|err| <= dulp * eps * max|f'|) instead of in ULPs: near a
#             root of f' a sum of terms cancels, and no formula evaluated in
#             the result's precision keeps relative accuracy.
# kinks       where the derivative jumps, and the value taken there (PyTorch's
#             convention), for the docstrings.
# formula     f(x) in plain text, for the docstrings.
# derivative  f'(x) in plain text, for the docstrings.
# f32_native  the kernel modes whose float32 loops use the float-arithmetic
#             form of _src/fa_formulas_f32.h (twice the SIMD lanes) instead of
#             the double form of fa_formulas.inc; the bounds above hold for both.
Activation = namedtuple(
    "Activation",
    "name params pack kind from_y ulp dulp droot kinks formula derivative f32_native",
)

_INF = math.inf
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _always(_params):
    return None


def _from_y_needs_nonnegative(param):
    def check(params):
        if params[param] < 0:
            return (f"the derivative cannot be recovered from y when {param} < 0 "
                    f"(got {params[param]!r}): pass x instead")
        return None
    return check


def _relu_from_y(params):
    if params["negative_slope"] < 0 or params["threshold"] < 0:
        return ("the relu derivative cannot be recovered from y when negative_slope < 0 "
                "or threshold < 0: pass x instead")
    if params["max_value"] is not None and params["max_value"] <= 0:
        return ("the relu derivative cannot be recovered from y when max_value <= 0: "
                "pass x instead")
    return None


def _relu_pack(negative_slope, max_value, threshold):
    # p1: upper clip; p3: lower clip (Keras clips to [0, max_value] only when
    # max_value is given, which also zeroes the part between threshold < 0 and 0).
    if max_value is None:
        return (negative_slope, _INF, threshold, -_INF)
    return (negative_slope, max_value, threshold, 0.0)


def _p(*names):
    """pack for functions whose parameters go to p0, p1, ... in order."""
    def pack(**params):
        values = [float(params[n]) for n in names]
        return tuple(values + [0.0] * (4 - len(values)))
    return pack


def _a(name, params=(), pack=None, kind="elementwise", from_y=None,
       ulp=(0, 0), dulp=(0, 0), droot=None, kinks="none (smooth)",
       formula="", derivative="", f32_native=()):
    return Activation(name, tuple(params), pack, kind, from_y,
                      {"float32": ulp[0], "float64": ulp[1]},
                      {"float32": dulp[0], "float64": dulp[1]},
                      droot, kinks, formula, derivative, tuple(f32_native))


ACTIVATIONS = (
    _a("celu", [Param("alpha", 1.0, "float", "positive")], _p("alpha"),
       from_y=_always, ulp=(2, 2), dulp=(3, 3),
       formula="x if x >= 0 else alpha * (exp(x / alpha) - 1)",
       derivative="1 if x >= 0 else exp(x / alpha)  (from y: 1 if y >= 0 else y / alpha + 1)"),
    _a("elu", [Param("alpha", 1.0, "float", "nonnegative")], _p("alpha"), f32_native=["fwd"],
       from_y=_always, ulp=(2, 2), dulp=(3, 3), kinks="x = 0: alpha",
       formula="x if x > 0 else alpha * (exp(x) - 1)",
       derivative="1 if x > 0 else alpha * exp(x)  (from y: 1 if y > 0 else y + alpha)"),
    _a("exponential", from_y=_always, ulp=(2, 2), dulp=(3, 3),
       formula="exp(x)", derivative="exp(x)  (from y: y)"),
    _a("gelu", [Param("approximate", False, "bool", None)], _p("approximate"),
       ulp=(3, 3), dulp=(4, 4), droot={"float32": 0.02, "float64": 0.5},
       formula="x * Phi(x) = x/2 * erfc(-x/sqrt(2));  approximate=True: "
               "x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))",
       derivative="Phi(x) + x * phi(x)  (approximate: the derivative of the tanh form)"),
    _a("glu", [Param("axis", -1, "axis", None)], kind="rowwise",
       ulp=(2, 3), dulp=(3, 4),
       formula="a * sigmoid(b), where a, b are the two halves of x along axis",
       derivative="vector-Jacobian product: (dy * sigmoid(b), dy * a * sigmoid'(b))"),
    _a("hard_shrink", [Param("threshold", 0.5, "float", "nonnegative")], _p("threshold"),
       from_y=_always, kinks="|x| = threshold: 0",
       formula="x if |x| > threshold else 0",
       derivative="1 if |x| > threshold else 0  (from y: 1 if y != 0 else 0)"),
    _a("hard_sigmoid", ulp=(1, 1), dulp=(0, 0), from_y=_always, f32_native=["fwd"],
       kinks="x = -3 and x = 3: 0",
       formula="relu6(x + 3) / 6", derivative="1/6 if -3 < x < 3 else 0"),
    _a("hard_silu", ulp=(1, 2), dulp=(1, 1),
       kinks="x = -3: -0.5, x = 3: 1.5 (PyTorch's hardswish_backward)",
       formula="x * relu6(x + 3) / 6",
       derivative="0 if x < -3, x/3 + 1/2 if -3 <= x <= 3, 1 if x > 3"),
    _a("hard_tanh", from_y=_always, f32_native=["fwd"], kinks="x = -1 and x = 1: 0",
       formula="clip(x, -1, 1)", derivative="1 if -1 < x < 1 else 0"),
    _a("leaky_relu", [Param("negative_slope", 0.2, "float", "finite")], _p("negative_slope"),
       from_y=_from_y_needs_nonnegative("negative_slope"), ulp=(0.5, 0.5),
       kinks="x = 0: negative_slope",
       formula="x if x >= 0 else negative_slope * x",
       derivative="1 if x > 0 else negative_slope"),
    _a("linear", from_y=_always, formula="x", derivative="1"),
    _a("log_sigmoid", f32_native=["fwd"], from_y=_always, ulp=(2, 2), dulp=(3, 3),
       formula="-softplus(-x) = min(x, 0) - log1p(exp(-|x|))",
       derivative="sigmoid(-x)  (from y: -expm1(y))"),
    _a("log_softmax", [Param("axis", -1, "axis", None)], kind="rowwise",
       ulp=(3, 3), dulp=(4, 4),
       formula="x - max(x) - log(sum(exp(x - max(x))))",
       derivative="vector-Jacobian product: dy - softmax(x) * sum(dy)"),
    _a("mish", ulp=(3, 3), dulp=(4, 4), droot={"float32": 0.02, "float64": 0.35},
       formula="x * tanh(softplus(x))",
       derivative="tanh(sp) + x * sigmoid(x) * (1 - tanh(sp)^2), sp = softplus(x)"),
    _a("relu", [Param("negative_slope", 0.0, "float", "finite"),
                Param("max_value", None, "float_or_none", "nonnegative"),
                Param("threshold", 0.0, "float", "finite")], _relu_pack,
       from_y=_relu_from_y, ulp=(0.5, 0.5), f32_native=["fwd"],
       kinks="x = threshold: negative_slope (0 for the plain relu); x = max_value: 0",
       formula="(x if x > threshold else 0), clipped to [0, max_value] when max_value is "
               "given, minus negative_slope * max(threshold - x, 0)  (Keras 3 semantics)",
       derivative="1 where x > threshold (and inside the clip), negative_slope where "
                  "x <= threshold, 0 where clipped"),
    _a("relu6", from_y=_always, f32_native=["fwd"], kinks="x = 0 and x = 6: 0",
       formula="min(max(x, 0), 6)", derivative="1 if 0 < x < 6 else 0"),
    _a("selu", from_y=_always, ulp=(2, 2), dulp=(3, 3), kinks="x = 0: scale * alpha",
       formula=f"scale * (x if x > 0 else alpha * (exp(x) - 1)), alpha = {_SELU_ALPHA!r}, "
               f"scale = {_SELU_SCALE!r}",
       derivative="scale if x > 0 else scale * alpha * exp(x)"),
    _a("sigmoid", f32_native=["fwd"], from_y=_always, ulp=(2, 2), dulp=(3, 3),
       formula="1 / (1 + exp(-x))",
       derivative="sigmoid(x) * (1 - sigmoid(x))  (from y: y * (1 - y))"),
    _a("silu", f32_native=["fwd"], ulp=(2, 2), dulp=(3, 3), droot={"float32": 0.02, "float64": 0.1},
       formula="x * sigmoid(x)",
       derivative="sigmoid(x) * (1 + x * (1 - sigmoid(x)))"),
    _a("soft_shrink", [Param("threshold", 0.5, "float", "nonnegative")], _p("threshold"),
       from_y=_always, ulp=(0.5, 0.5), kinks="|x| = threshold: 0",
       formula="x - threshold if x > threshold, x + threshold if x < -threshold, else 0",
       derivative="1 if |x| > threshold else 0  (from y: 1 if y != 0 else 0)"),
    _a("softmax", [Param("axis", -1, "axis", None)], kind="rowwise",
       ulp=(3, 3), dulp=(4, 4),
       formula="exp(x - max(x)) / sum(exp(x - max(x)))",
       derivative="vector-Jacobian product: y * (dy - sum(dy * y))"),
    _a("softplus", f32_native=["fwd"], from_y=_always, ulp=(2, 2), dulp=(3, 3),
       formula="log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))",
       derivative="sigmoid(x)  (from y: -expm1(-y))"),
    _a("softsign", from_y=_always, ulp=(2, 2), dulp=(3, 3),
       formula="x / (1 + |x|)", derivative="1 / (1 + |x|)^2  (from y: (1 - |y|)^2)"),
    _a("sparse_plus", from_y=_always, ulp=(1, 1), dulp=(0.5, 0.5),
       kinks="none (the derivative is continuous)",
       formula="0 if x <= -1, (x + 1)^2 / 4 if -1 < x < 1, x if x >= 1",
       derivative="0 if x <= -1, (x + 1) / 2 if -1 < x < 1, 1 if x >= 1  (from y: min(sqrt(y), 1))"),
    _a("sparse_sigmoid", from_y=_always, ulp=(0.5, 0.5), kinks="x = -1 and x = 1: 0",
       formula="0 if x <= -1, (x + 1) / 2 if -1 < x < 1, 1 if x >= 1",
       derivative="1/2 if -1 < x < 1 else 0"),
    _a("sparsemax", [Param("axis", -1, "axis", None)], kind="rowwise",
       ulp=(2, 2), dulp=(2, 2),
       formula="the Euclidean projection of x onto the probability simplex "
               "(Martins & Astudillo, 2016): max(x - tau, 0), sum = 1",
       derivative="vector-Jacobian product: s * (dy - mean of dy over the support s)"),
    _a("squareplus", [Param("b", 4.0, "float", "nonnegative")], _p("b"),
       from_y=_always, ulp=(2, 2), dulp=(3, 3),
       formula="(x + sqrt(x^2 + b)) / 2",
       derivative="(1 + x / sqrt(x^2 + b)) / 2  (from y: y^2 / (y^2 + b/4))"),
    _a("tanh", f32_native=["fwd"], from_y=_always, ulp=(2, 2), dulp=(3, 3),
       formula="tanh(x)", derivative="1 - tanh(x)^2  (from y: (1 - y) * (1 + y))"),
    _a("tanh_shrink", ulp=(3, 3), dulp=(4, 4),
       formula="x - tanh(x)", derivative="tanh(x)^2"),
    _a("threshold", [Param("threshold", REQUIRED, "float", "finite"),
                     Param("default_value", REQUIRED, "float", "finite")],
       _p("threshold", "default_value"), kinks="x = threshold: 0",
       formula="x if x > threshold else default_value",
       derivative="1 if x > threshold else 0"),
)

ALIASES = {"swish": "silu", "hard_swish": "hard_silu"}

BY_NAME = {a.name: a for a in ACTIVATIONS}
ELEMENTWISE = tuple(a for a in ACTIVATIONS if a.kind == "elementwise")
ROWWISE = tuple(a for a in ACTIVATIONS if a.kind == "rowwise")

# Kernel modes of the elementwise C loops: the value, the derivative from x,
# the derivative from y.  A mode is generated for an activation only where it
# exists (dy only when from_y is not None).
MODES = ("fwd", "dx", "dy")


def modes_of(activation):
    return tuple(m for m in MODES if m != "dy" or activation.from_y is not None)


# Activations whose every mode is a few compares, selects and multiply-adds per
# element: over arrays larger than the cache their loops wait on memory, not
# arithmetic, so they write with streaming stores there (fa_kernels.c.tp,
# fa_run_f32).  The others compute long enough per element that the
# extra pass through the store tile costs more than it saves (sigmoid: 7 %).
MEMORY_BOUND = frozenset({
    "hard_shrink", "hard_sigmoid", "hard_silu", "hard_tanh", "leaky_relu", "linear",
    "relu", "relu6", "soft_shrink", "sparse_plus", "sparse_sigmoid", "threshold",
})

# Activations whose formula chooses between two forms on the loop-invariant
# p0 (gelu: approximate; squareplus: b = 0 is relu).  Their loops are emitted once per form
# (fa_kernels.c.tp, FA_LOOPS): GCC does not unswitch a loop this large, it
# if-converted both forms into one vector loop that paid for both (gelu
# float32 on one core: 9.1 ns per element either form; split, 7.0 exact and
# 3.6 tanh, before the polynomials went to Estrin's scheme).  squareplus's
# loops were not vectorized at all: the test became a branch in the loop.
TWO_FORMS = frozenset({"gelu", "squareplus"})


def kernel_table():
    """[(activation, mode)] in kernel-id order: the id is the index."""
    return [(a, m) for a in ELEMENTWISE for m in modes_of(a)]


def kernel_id(name, mode):
    for i, (a, m) in enumerate(kernel_table()):
        if a.name == name and m == mode:
            return i
    raise KeyError((name, mode))
