"""``fastact.show_config()``: everything a bug report needs, in one call."""

import platform
import sys

from . import _kernels, _simd
from ._version import __version__


def _build_info():
    try:
        from ._build_info import BUILD_INFO
    except ImportError:                      # an in-place build without setup.py's record
        return {}
    return BUILD_INFO


def _blas():
    """The BLAS that SciPy (and so fastact's dense layer) uses."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        threadpool_info = None
    if threadpool_info is not None:
        from ._blas import loaded_blas_paths
        scipys = set(loaded_blas_paths())
        libs = [f"{i['internal_api']} {i.get('version') or ''} ({i['filepath']}, "
                f"{i['num_threads']} threads)".replace("  ", " ")
                for i in threadpool_info()
                if i["user_api"] == "blas" and i["filepath"] in scipys]
        if libs:
            return "; ".join(libs)
    import scipy
    try:
        deps = scipy.show_config(mode="dicts")["Build Dependencies"]["blas"]
        return f"{deps.get('name')} {deps.get('version', '')} (from scipy.show_config)"
    except Exception:                        # older SciPy: no dict mode
        return f"the BLAS SciPy {scipy.__version__} was built with"


def _blas_control():
    from . import _dense
    return _dense._loops().blas_thread_control()


def config():
    """The configuration as a dict (what :func:`show_config` prints).

    Returns
    -------
    dict of str -> str, int or bool

    Examples
    --------
    >>> from fastact._config import config
    >>> cfg = config()
    >>> cfg["simd best on this cpu"] in ("baseline", "avx2", "avx512")
    True
    """
    info = _build_info()
    return {
        "fastact": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "compiler": info.get("compiler", "unknown"),
        "cflags": " ".join(info.get("cflags", [])),
        "openmp": _kernels.openmp_enabled(),
        "threads": _kernels.max_threads(),
        "simd compiled": ", ".join(_kernels.compiled_isas()),
        "simd best on this cpu": _kernels.best_isa(),
        "simd in use": _kernels.current_isa(),
        "simd chosen because": _simd.REASON,
        "streaming stores": (f"memory-bound activations, outputs over "
                             f"{_kernels.stream_min_bytes() / 2**20:g} MiB"),
        "blas": _blas(),
        "blas threads in fastact's block GEMMs": _blas_control(),
    }


def show_config():
    """Print fastact's version, compiler, OpenMP, SIMD target, BLAS and threads.

    Everything a bug report needs, one ``key : value`` line each: the
    versions of fastact, Python, NumPy and SciPy, the compiler and flags the
    extension was built with, whether OpenMP is on and how many threads it
    will use (``OMP_NUM_THREADS`` and threadpoolctl change it), the SIMD
    targets compiled, the best one this CPU runs and the one in use
    (``FASTACT_SIMD`` forces a lower one), the output size above which the
    piecewise-linear activations write with non-temporal stores (half the
    last-level cache), and the BLAS the dense layer calls.

    Returns
    -------
    None
        The lines go to stdout; ``fastact._config.config()`` returns them
        as a dict.

    Examples
    --------
    >>> import fastact
    >>> fastact.show_config()
    fastact...: ...
    python...: ...
    ...
    simd in use...: ...
    ...
    """
    import numpy
    import scipy
    cfg = config()
    cfg["numpy"] = numpy.__version__
    cfg["scipy"] = scipy.__version__
    cfg["openmp"] = "yes" if cfg["openmp"] else "no (serial build)"
    width = max(map(len, cfg))
    for key, value in cfg.items():
        print(f"{key:<{width}} : {value}")
