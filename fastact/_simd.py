"""Choose the SIMD target of the chunk kernels once, at import.

The C kernels are compiled for every target in ``_kernels.compiled_isas()``
(baseline x86-64, AVX2+FMA, AVX-512) and the widest one the CPU runs is
installed by default.  ``FASTACT_SIMD=baseline|avx2|avx512`` forces a lower
one (to compare targets, or to work around a CPU problem); a target the CPU
cannot run is refused with a warning, never executed.  The FMA targets
(avx2, avx512) give bitwise-identical results; the baseline too, except for
the float32 forwards that have a float-arithmetic form (manifest
``f32_native``: it needs FMA), where the baseline evaluates the double form.
Every target is within the manifest's accuracy bounds.
"""

import os
import warnings

from . import _kernels

ENV_VAR = "FASTACT_SIMD"


def _choose():
    best = _kernels.best_isa()
    order = _kernels.ISA_NAMES
    requested = os.environ.get(ENV_VAR, "").strip().lower()
    if not requested:
        return best, "widest target this CPU supports"
    if requested not in order:
        warnings.warn(f"{ENV_VAR}={requested!r} is not one of {', '.join(order)}; "
                      f"using {best}", RuntimeWarning, stacklevel=3)
        return best, f"{ENV_VAR}={requested!r} not recognised; widest supported"
    if order.index(requested) > order.index(best):
        warnings.warn(f"{ENV_VAR}={requested} is not supported by this CPU (or build); "
                      f"using {best}", RuntimeWarning, stacklevel=3)
        return best, f"{ENV_VAR}={requested} unsupported here; widest supported"
    return requested, f"forced by {ENV_VAR}={requested}"


TARGET, REASON = _choose()
_kernels.use_isa(TARGET)
