"""Every elementwise derivative against a 4th-order central finite difference
of its activation, in float64, away from kinks.

The ULP sweeps (test_accuracy.py) compare derivatives with independent
formulas; this test closes the loop: f' really is the derivative of f as
fastact computes it, so a formula that is accurate but for the wrong function
cannot pass.
"""

import numpy as np
import pytest

from fastact import _manifest, activations, derivatives

import test_accuracy

# Kinks (where f' jumps, or for softsign f''), where a 4th-order finite
# difference does not converge.
KINKS = {
    "softsign": [0.0],
    "celu": [0.0], "elu": [0.0], "selu": [0.0], "hard_shrink": ["threshold", "-threshold"],
    "soft_shrink": ["threshold", "-threshold"], "hard_sigmoid": [-3.0, 3.0],
    "hard_silu": [-3.0, 3.0], "hard_tanh": [-1.0, 1.0], "leaky_relu": [0.0],
    "relu": ["threshold", "max_value", 0.0], "relu6": [0.0, 6.0], "sparse_plus": [-1.0, 1.0],
    "sparse_sigmoid": [-1.0, 1.0], "threshold": ["threshold"],
}


def kinks(act, params):
    out = []
    for k in KINKS.get(act.name, []):
        if isinstance(k, str):
            neg = k.startswith("-")
            value = params.get(k.lstrip("-"))
            if value is None:
                continue
            out.append(-value if neg else value)
        else:
            out.append(k)
    return np.array(out)


@pytest.mark.parametrize("act,params", test_accuracy.CASES, ids=test_accuracy.CASE_IDS)
def test_derivative_is_the_derivative(act, params):
    x = np.concatenate([np.linspace(-12, 12, 2401), [-30.0, -7.5, 0.3, 7.5, 30.0]])
    h = 1e-3
    far = np.ones(x.shape, bool)
    for k in kinks(act, params):
        far &= np.abs(x - k) > 3 * h
    x = x[far]
    f = getattr(activations, act.name)
    fd = (-f(x + 2 * h, **params) + 8 * f(x + h, **params) - 8 * f(x - h, **params)
          + f(x - 2 * h, **params)) / (12 * h)
    d = getattr(derivatives, act.name)(x, **params)
    # truncation error ~ h^4 f^(5) / 30, rounding ~ eps |f| / h
    scale = np.maximum(1.0, np.abs(f(x, **params)))
    tol = 1e-8 * scale
    bad = np.abs(d - fd) > tol
    assert not bad.any(), (f"{act.name} {params}: f' differs from the finite difference at "
                           f"x = {x[bad][:5]}: f' = {d[bad][:5]}, fd = {fd[bad][:5]}")


def test_every_elementwise_activation_has_a_finite_difference_case():
    covered = {a.name for a, _ in test_accuracy.CASES}
    assert covered == {a.name for a in _manifest.ELEMENTWISE}
