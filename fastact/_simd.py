"""Choose the SIMD target of the chunk kernels once, at import.

The C kernels are compiled for every target in ``_kernels.compiled_isas()``
(baseline x86-64, AVX2+FMA, AVX-512) and the widest one the CPU runs is
installed by default.  ``FASTACT_SIMD=baseline|avx2|avx512`` forces a lower
one (to compare targets, or to work around a CPU problem); a target the CPU
or the build cannot run is refused with a warning, never executed.  The FMA
targets (avx2, avx512) give bitwise-identical results; the baseline too, except
for the float32 forwards that have a float-arithmetic form (manifest
``f32_native``: it needs FMA), where the baseline evaluates the double form.
Every target is within the manifest's accuracy bounds.  ``TARGET`` and
``REASON`` say what was chosen and why (``show_config()``).
"""

import os
import warnings

from . import _kernels

ENV_VAR = "FASTACT_SIMD"


def _choose(requested):
    """(target, reason) for the FASTACT_SIMD value ``requested`` ('' = unset)."""
    best = _kernels.best_isa()
    order = _kernels.ISA_NAMES
    compiled = _kernels.compiled_isas()
    if not requested:
        return best, (f"{ENV_VAR} not set: the widest of the compiled targets "
                      f"[{', '.join(compiled)}] that this CPU runs")
    if requested not in order:
        refusal = f"{ENV_VAR}={requested!r} is not one of {', '.join(order)}"
    elif requested not in compiled:
        refusal = f"{ENV_VAR}={requested}: this build has no {requested} kernels"
    elif order.index(requested) > order.index(best):
        refusal = f"{ENV_VAR}={requested}: this CPU does not support {requested}"
    else:
        return requested, f"forced by {ENV_VAR}={requested}; this CPU runs up to {best}"
    warnings.warn(f"{refusal}; using {best}", RuntimeWarning, stacklevel=3)
    return best, f"{refusal}: refused, using the widest target this CPU runs"


TARGET, REASON = _choose(os.environ.get(ENV_VAR, "").strip().lower())
_kernels.use_isa(TARGET)
