"""Docstrings of the activation and derivative functions, built from the manifest.

Each public function carries a one-line summary of its own; the formula,
derivative, kink convention and accuracy bound are appended from
``_manifest`` so they are written (and tested) in one place only.
"""

from . import _manifest


def _bound(ulp):
    def one(v):
        if v == 0:
            return "exact"
        if v == 0.5:
            return "correctly rounded (0.5 ULP)"
        return f"<= {v:g} ULP"
    return f"float32 {one(ulp['float32'])}, float64 {one(ulp['float64'])}"


def _params(act):
    lines = []
    for p in act.params:
        default = "required" if p.default is _manifest.REQUIRED else f"default {p.default!r}"
        kind = {"float": "float", "float_or_none": "float or None", "bool": "bool",
                "axis": "int or tuple of int"}[p.kind]
        extra = f", {_manifest.CHECKS[p.check][1]}" if p.check else ""
        lines += [f"{p.name} : {kind}, {default}", f"    Keras's ``{p.name}``{extra}."]
    return lines


def activation_doc(name, summary):
    act = _manifest.BY_NAME[name]
    lines = [summary, "", f"``f(x) = {act.formula}``", "", "Parameters", "----------",
             "x : array_like", "    Input of any shape; float32/float64 stay, float16 is "
             "computed in float32, int/bool become float64."]
    lines += _params(act)
    lines += ["out : ndarray, optional",
              "    Where to write the result (same shape as the result, result dtype, "
              "writeable; ``out=x`` computes in place).",
              "", "Returns", "-------", "ndarray", "    f(x), of the result dtype.",
              "", "Raises", "------",
              "TypeError", "    x is not real-valued, or a parameter has the wrong type.",
              "ValueError", "    A parameter is out of range, or ``out`` has the wrong shape or "
              "is read-only.",
              "", "Notes", "-----",
              f"Derivative: ``{act.derivative}`` (``fastact.derivatives.{name}``).",
              f"Kinks: {act.kinks}.",
              f"Accuracy against a float64/mpmath reference: {_bound(act.ulp)}.",
              "NaN gives NaN; +-inf give the mathematical limits."]
    return "\n".join(lines)


def derivative_doc(name, summary):
    act = _manifest.BY_NAME[name]
    lines = [summary, "", f"``f'(x) = {act.derivative}`` for ``f(x) = {act.formula}``", "",
             f"At kinks (PyTorch's convention): {act.kinks}.",
             f"Accuracy: {_bound(act.dulp)}"]
    if act.droot:
        lines[-1] += (f"; within {act.droot['float32']} (float32) / {act.droot['float64']} "
                      f"(float64) of a root of f' the error is bounded in absolute terms "
                      f"instead: <= bound * eps * max|f'|")
    lines[-1] += "."
    return "\n".join(lines)
