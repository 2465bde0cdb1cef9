"""Docstrings of the activation and derivative functions, built from the manifest.

Each public function carries a one-line summary of its own; the numpydoc
sections (parameters, returns, raises, the formula, derivative, kink
convention and accuracy bound) are generated here from ``_manifest`` so each
fact is written (and tested) in one place only.  The documentation's
activation gallery (``docs/_ext/fastact_docs.py``) reads the same tables.

Two tables live here because the manifest has no field for them (they only
serve the documentation): ``EXAMPLES``, the runnable example of each
docstring, and ``COUNTERPARTS``, the PyTorch function matching each Keras
name and where the two differ.  Every example runs as a doctest
(``tests/test_doctests.py``).
"""

from . import _manifest

# name -> (x, parameters, f(x), derivative): what the Examples sections show.
# The outputs are NumPy's reprs of fastact's float64 results; elementwise
# derivatives are f'(x), row-wise ones the vector-Jacobian product for an
# upstream gradient dy that is 1 at the first entry of each row (glu: all ones).
EXAMPLES = {
    "celu": ("[-2.0, 0.0, 1.0]", "alpha=0.5",
             "array([-0.49084218,  0.        ,  1.        ])",
             "array([0.01831564, 1.        , 1.        ])"),
    "elu": ("[-1000.0, -1.0, 0.0, 2.0]", "",
            "array([-1.        , -0.63212056,  0.        ,  2.        ])",
            "array([0.        , 0.36787944, 1.        , 1.        ])"),
    "exponential": ("[-1000.0, 0.0, 1.0, 1000.0]", "",
                    "array([0.        , 1.        , 2.71828183,        inf])",
                    "array([0.        , 1.        , 2.71828183,        inf])"),
    "gelu": ("[-3.0, 0.0, 1.0]", "",
             "array([-0.00404969,  0.        ,  0.84134475])",
             "array([-0.01194565,  0.5       ,  1.08331547])"),
    "glu": ("[[1.0, 2.0, 0.0, -1.0]]", "",
            "array([[0.5       , 0.53788284]])",
            "array([[0.5       , 0.26894142, 0.25      , 0.39322387]])"),
    "hard_shrink": ("[-1.0, -0.5, 0.2, 0.7]", "",
                    "array([-1. ,  0. ,  0. ,  0.7])",
                    "array([1., 0., 0., 1.])"),
    "hard_sigmoid": ("[-4.0, -1.5, 0.0, 3.0]", "",
                     "array([0.  , 0.25, 0.5 , 1.  ])",
                     "array([0.        , 0.16666667, 0.16666667, 0.        ])"),
    "hard_silu": ("[-4.0, -1.0, 1.0, 4.0]", "",
                  "array([-0.        , -0.33333333,  0.66666667,  4.        ])",
                  "array([0.        , 0.16666667, 0.83333333, 1.        ])"),
    "hard_tanh": ("[-2.0, -0.5, 0.5, 2.0]", "",
                  "array([-1. , -0.5,  0.5,  1. ])",
                  "array([0., 1., 1., 0.])"),
    "leaky_relu": ("[-10.0, 0.0, 3.0]", "",
                   "array([-2.,  0.,  3.])",
                   "array([0.2, 0.2, 1. ])"),
    "linear": ("[-1.0, 2.0]", "",
               "array([-1.,  2.])",
               "array([1., 1.])"),
    "log_sigmoid": ("[-1000.0, 0.0, 1000.0]", "",
                    "array([-1.00000000e+03, -6.93147181e-01, -0.00000000e+00])",
                    "array([1. , 0.5, 0. ])"),
    "log_softmax": ("[[1.0, 2.0, 3.0]]", "",
                    "array([[-2.40760596, -1.40760596, -0.40760596]])",
                    "array([[ 0.90996943, -0.24472847, -0.66524096]])"),
    "mish": ("[-2.0, 0.0, 2.0]", "",
             "array([-0.25250148,  0.        ,  1.94395896])",
             "array([-0.10835509,  0.6       ,  1.06931793])"),
    "relu": ("[-2.0, 1.0, 5.0, 8.0]", "negative_slope=0.1, max_value=6.0",
             "array([-0.2,  1. ,  5. ,  6. ])",
             "array([0.1, 1. , 1. , 0. ])"),
    "relu6": ("[-1.0, 3.0, 7.0]", "",
              "array([0., 3., 6.])",
              "array([0., 1., 0.])"),
    "selu": ("[-1.0, 0.0, 1.0]", "",
             "array([-1.11133074,  0.        ,  1.05070099])",
             "array([0.6467686 , 1.75809934, 1.05070099])"),
    "sigmoid": ("[-1000.0, -1.0, 0.0, 1000.0]", "",
                "array([0.        , 0.26894142, 0.5       , 1.        ])",
                "array([0.        , 0.19661193, 0.25      , 0.        ])"),
    "silu": ("[-1.0, 0.0, 1.0]", "",
             "array([-0.26894142,  0.        ,  0.73105858])",
             "array([0.07232949, 0.5       , 0.92767051])"),
    "soft_shrink": ("[-1.0, 0.2, 0.7]", "",
                    "array([-0.5,  0. ,  0.2])",
                    "array([1., 0., 1.])"),
    "softmax": ("[[1.0, 2.0, 3.0], [1000.0, 1000.0, 1000.0]]", "",
                "array([[0.09003057, 0.24472847, 0.66524096],\n"
                "       [0.33333333, 0.33333333, 0.33333333]])",
                "array([[ 0.08192507, -0.02203304, -0.05989202],\n"
                "       [ 0.22222222, -0.11111111, -0.11111111]])"),
    "softplus": ("[-1000.0, 0.0, 1000.0]", "",
                 "array([0.00000000e+00, 6.93147181e-01, 1.00000000e+03])",
                 "array([0. , 0.5, 1. ])"),
    "softsign": ("[-3.0, 0.0, 1.0]", "",
                 "array([-0.75,  0.  ,  0.5 ])",
                 "array([0.0625, 1.    , 0.25  ])"),
    "sparse_plus": ("[-2.0, 0.0, 0.5, 2.0]", "",
                    "array([0.    , 0.25  , 0.5625, 2.    ])",
                    "array([0.  , 0.5 , 0.75, 1.  ])"),
    "sparse_sigmoid": ("[-2.0, 0.0, 0.5, 2.0]", "",
                       "array([0.  , 0.5 , 0.75, 1.  ])",
                       "array([0. , 0.5, 0.5, 0. ])"),
    "sparsemax": ("[[1.0, 2.0, 3.0], [0.1, 0.2, 0.3]]", "",
                  "array([[0.        , 0.        , 1.        ],\n"
                  "       [0.23333333, 0.33333333, 0.43333333]])",
                  "array([[ 0.        ,  0.        ,  0.        ],\n"
                  "       [ 0.66666667, -0.33333333, -0.33333333]])"),
    "squareplus": ("[-2.0, 0.0, 2.0]", "",
                   "array([0.41421356, 1.        , 2.41421356])",
                   "array([0.14644661, 0.5       , 0.85355339])"),
    "tanh": ("[-1000.0, -1.0, 0.0, 0.5]", "",
             "array([-1.        , -0.76159416,  0.        ,  0.46211716])",
             "array([0.        , 0.41997434, 1.        , 0.78644773])"),
    "tanh_shrink": ("[-1.0, 0.001, 1.0]", "",
                    "array([-2.38405844e-01,  3.33333200e-10,  2.38405844e-01])",
                    "array([5.80025658e-01, 9.99999333e-07, 5.80025658e-01])"),
    "threshold": ("[0.5, 1.0, 2.0]", "threshold=1.0, default_value=-1.0",
                  "array([-1., -1.,  2.])",
                  "array([0., 0., 1.])"),
}

# name -> (PyTorch counterpart or None, how fastact / Keras differ from it).
# Keras's counterpart is always keras.activations.<name>, same parameters
# and defaults (the manifest's); differences from Keras are in the manifest's
# formula (relu's threshold, gelu's default).
COUNTERPARTS = {
    "celu": ("torch.nn.functional.celu", "same formula and default alpha = 1.0; fastact "
             "requires alpha > 0."),
    "elu": ("torch.nn.functional.elu", "same formula; at x = 0 the derivative is alpha, as "
            "PyTorch's elu_backward gives; fastact requires alpha >= 0."),
    "exponential": ("torch.exp", "same."),
    "gelu": ("torch.nn.functional.gelu", "PyTorch spells the switch approximate='none' / "
             "'tanh', Keras approximate=False / True; both default to the exact erf form "
             "(keras.ops.gelu defaults to the tanh form)."),
    "glu": ("torch.nn.functional.glu", "same split (first half times sigmoid of the second); "
            "PyTorch calls the axis dim."),
    "hard_shrink": ("torch.nn.functional.hardshrink", "PyTorch calls the threshold lambd."),
    "hard_sigmoid": ("torch.nn.functional.hardsigmoid", "same as Keras 3's relu6(x + 3) / 6; "
                     "Keras 2's hard_sigmoid was clip(0.2 x + 0.5, 0, 1), a different "
                     "function."),
    "hard_silu": ("torch.nn.functional.hardswish", "same; the derivative at x = -3 and 3 "
                  "takes PyTorch's one-sided values -0.5 and 1.5 (hard_swish is Keras's "
                  "alias)."),
    "hard_tanh": ("torch.nn.functional.hardtanh", "PyTorch's min_val / max_val are fixed to "
                  "-1 / 1 here, as in Keras."),
    "leaky_relu": ("torch.nn.functional.leaky_relu", "default negative_slope is Keras's 0.2, "
                   "PyTorch's is 0.01 (keras.layers.LeakyReLU's is 0.3)."),
    "linear": ("torch.nn.Identity", "fastact returns a new array (or writes out=), never x "
               "itself."),
    "log_sigmoid": ("torch.nn.functional.logsigmoid", "same."),
    "log_softmax": ("torch.nn.functional.log_softmax", "PyTorch needs dim (one axis); "
                    "fastact's axis defaults to -1 and may be a tuple of axes."),
    "mish": ("torch.nn.functional.mish", "same."),
    "relu": ("torch.nn.functional.relu", "PyTorch's relu has no parameters: Keras 3's "
             "negative_slope, max_value and threshold combine what PyTorch spreads over "
             "leaky_relu, relu6 / hardtanh and threshold; Keras 2's alpha= is accepted."),
    "relu6": ("torch.nn.functional.relu6", "same; the derivative is 0 at both kinks."),
    "selu": ("torch.nn.functional.selu", "same constants, to full float64 precision."),
    "sigmoid": ("torch.sigmoid", "same."),
    "silu": ("torch.nn.functional.silu", "same (swish is Keras's alias)."),
    "soft_shrink": ("torch.nn.functional.softshrink", "PyTorch calls the threshold lambd."),
    "softmax": ("torch.nn.functional.softmax", "PyTorch needs dim (one axis); fastact's axis "
                "defaults to -1 and may be a tuple of axes."),
    "softplus": ("torch.nn.functional.softplus", "PyTorch returns x itself above "
                 "x * beta > threshold (20), an error of up to exp(-20) relative in "
                 "float64; fastact is exact everywhere and has no beta."),
    "softsign": ("torch.nn.functional.softsign", "same."),
    "sparse_plus": (None, "no PyTorch counterpart."),
    "sparse_sigmoid": (None, "no PyTorch counterpart."),
    "sparsemax": (None, "no PyTorch counterpart in torch itself."),
    "squareplus": (None, "no PyTorch counterpart."),
    "tanh": ("torch.tanh", "same."),
    "tanh_shrink": ("torch.nn.functional.tanhshrink", "same; fastact keeps full relative "
                    "accuracy near 0, where x - tanh(x) cancels."),
    "threshold": ("torch.nn.functional.threshold", "same rule (x where x > threshold); "
                  "PyTorch calls default_value value."),
}


def bound_text(ulp):
    """A manifest accuracy entry ({"float32": b, "float64": b}) in words."""
    def one(v):
        if v == 0:
            return "exact"
        if v == 0.5:
            return "correctly rounded (0.5 ULP)"
        return f"<= {v:g} ULP"
    return f"float32 {one(ulp['float32'])}, float64 {one(ulp['float64'])}"


def derivative_bound_text(act):
    """The derivative's bound, with the absolute-error band near roots of f'."""
    text = bound_text(act.dulp)
    if act.droot:
        text += (f"; within {act.droot['float32']} (float32) / {act.droot['float64']} "
                 f"(float64) of a root of f' the error is bounded in absolute terms "
                 f"instead: ``|err| <= bound * eps * max|f'|``")
    return text


def counterparts_text(name):
    torch, difference = COUNTERPARTS[name]
    torch = f"``{torch}``" if torch else "none"
    return (f"Keras: ``keras.activations.{name}``.  PyTorch: {torch}.  "
            f"Differences: {difference}")


def _params(act):
    lines = []
    for p in act.params:
        default = "" if p.default is _manifest.REQUIRED else f", default {p.default!r}"
        kind = {"float": "float", "float_or_none": "float or None", "bool": "bool",
                "axis": "int or tuple of int"}[p.kind]
        extra = f", {_manifest.CHECKS[p.check][1]}" if p.check else ""
        lines += [f"{p.name} : {kind}{default}", f"    Keras's ``{p.name}``{extra}."]
    return lines


def _call(name, params, first="x"):
    return f"{name}({first}{', ' + params if params else ''})"


def _example_lines(act):
    x, params, value, _ = EXAMPLES[act.name]
    return ["Examples", "--------",
            ">>> import numpy as np",
            ">>> from fastact import activations",
            f">>> x = np.array({x})",
            f">>> activations.{_call(act.name, params)}"] + value.split("\n")


def activation_doc(name, summary, extra_params=()):
    act = _manifest.BY_NAME[name]
    shape = ("Input of any shape (at least 1-D: the axis is reduced)" if act.kind == "rowwise"
             else "Input of any shape")
    lines = [summary, "", f"``f(x) = {act.formula}``", "", "Parameters", "----------",
             "x : array_like", f"    {shape}; float32/float64 stay, float16 is "
             "computed in float32, int/bool become float64."]
    lines += _params(act) + list(extra_params)
    lines += ["out : ndarray, optional",
              "    Where to write the result (same shape as the result, result dtype, "
              "writeable; ``out=x`` computes in place).",
              "", "Returns", "-------", "ndarray",
              "    f(x), of the result dtype" + (" (glu: axis halved)." if name == "glu"
                                                  else "."),
              "", "Raises", "------",
              "TypeError", "    x is not real-valued, or a parameter has the wrong type.",
              "ValueError", "    A parameter is out of range, or ``out`` has the wrong shape or "
              "is read-only.",
              "", "See Also", "--------",
              f"fastact.derivatives.{name} : The derivative (vector-Jacobian product for "
              f"row-wise functions)." if act.kind == "rowwise" else
              f"fastact.derivatives.{name} : The derivative, from x or from the output.",
              "", "Notes", "-----",
              f"Derivative: ``{act.derivative}``.", "",
              f"Kinks: ``{act.kinks}``.", "",
              f"Accuracy against a float64/mpmath reference: {bound_text(act.ulp)}.  NaN "
              f"gives NaN; +-inf give the mathematical limits; nothing overflows or warns.",
              "", counterparts_text(name), ""]
    lines += _example_lines(act)
    return "\n".join(lines)


def _derivative_params(act):
    if act.kind == "rowwise":
        lines = ["dy : array_like", "    Upstream gradient dL/df, the shape of f's output.",
                 "x : array_like" + ("" if act.name == "glu" else ", optional"),
                 "    The input of the forward call."]
        if act.name != "glu":
            lines += ["y : array_like, optional",
                      "    The forward output instead of x (exactly one of x, y)."]
        lines += ["axis : int or tuple of int, default -1",
                  "    The axis (axes) the forward call reduced."]
    else:
        lines = ["x : array_like", "    The input of the forward call (or pass y)."]
        lines += _params(act)
        lines += ["y : array_like, optional",
                  "    The forward output instead of x: nothing is recomputed. "
                  + ("Not available for this function." if act.from_y is None else
                     "Only where f' is a function of f (see Raises).")]
        lines += ["dy : array_like, optional",
                  "    Upstream gradient: return ``dy * f'`` in one fused pass."]
    return lines + ["out : ndarray, optional", "    Where to write the result."]


def _derivative_example(act):
    x, params, _, derivative = EXAMPLES[act.name]
    lines = ["Examples", "--------", ">>> import numpy as np",
             ">>> from fastact import activations, derivatives",
             f">>> x = np.array({x})"]
    if act.kind == "rowwise":
        if act.name == "glu":
            lines += [">>> dy = np.ones((1, 2))", ">>> derivatives.glu(dy, x)"]
        else:
            lines += [">>> dy = np.zeros_like(x)", ">>> dy[..., 0] = 1.0",
                      f">>> derivatives.{act.name}(dy, x)"]
        return lines + derivative.split("\n")
    lines += [f">>> d = derivatives.{_call(act.name, params)}", ">>> d"]
    lines += derivative.split("\n")
    if act.from_y is not None:           # the same from the output, nothing recomputed
        lines += [f">>> y = activations.{_call(act.name, params)}",
                  f">>> bool(np.allclose(derivatives.{_call(act.name, params, 'y=y')}, d))",
                  "True"]
    return lines


def derivative_doc(name, summary):
    act = _manifest.BY_NAME[name]
    form = (f"``f'(x) = {act.derivative}``" if act.kind == "elementwise" else
            f"``{act.derivative}``")
    lines = [summary, "", f"{form} for ``f(x) = {act.formula}``.", "",
             "Parameters", "----------"] + _derivative_params(act)
    if act.kind == "rowwise":
        lines += ["", "Returns", "-------", "ndarray",
                  "    dL/dx, the shape of x (the result dtype of dy and x)."]
    else:
        lines += ["", "Returns", "-------", "ndarray",
                  "    f'(x), or ``dy * f'(x)`` when dy is given."]
    lines += ["", "Raises", "------",
              "TypeError", "    Neither or both of x and y given, or a parameter has the "
              "wrong type."]
    if act.kind == "elementwise":
        lines += ["ValueError", "    y given where f' is not a function of the output (" +
                  ("never for this function" if act.from_y is None else
                   "for some parameter values") + "), or a parameter is out of range."]
    else:
        lines += ["ValueError", "    dy's shape does not match the output's."]
    lines += ["", "See Also", "--------",
              f"fastact.activations.{name} : The function itself.",
              "", "Notes", "-----",
              f"At kinks (PyTorch's convention): ``{act.kinks}``.", "",
              f"Accuracy: {derivative_bound_text(act)}.", ""]
    lines += _derivative_example(act)
    return "\n".join(lines)
