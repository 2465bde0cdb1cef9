"""Find SciPy's OpenBLAS thread-count functions, so the dense kernels can hold
BLAS to one thread inside their own parallel regions.

fastact calls BLAS through ``scipy.linalg.cython_blas``, i.e. whatever BLAS
SciPy was built with.  SciPy's wheels bundle OpenBLAS, whose thread count is
process-wide: ``openblas_set_num_threads`` (its ``_local`` variant sets the
same global count in the pthreads builds SciPy ships, so it is not used; see
``_dense_kernels._hold_blas``).  The symbols are looked up in the library
SciPy has loaded (found in /proc/self/maps), under the plain and the
``scipy_`` prefixed names.  With another BLAS nothing is found and
``blas_thread_control()`` says so.
"""

import ctypes
import os


_PREFIXES = ("scipy_", "")


def loaded_blas_paths():
    """BLAS libraries in this process other than NumPy's own (NumPy's wheels
    bundle a separate OpenBLAS that fastact never calls)."""
    import numpy
    import scipy.linalg.cython_blas  # noqa: F401  (loads SciPy's BLAS)
    numpy_dir = os.path.dirname(os.path.dirname(numpy.__file__))
    numpy_libs = (os.path.join(numpy_dir, "numpy") + os.sep,
                  os.path.join(numpy_dir, "numpy.libs") + os.sep)
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower()}
    except OSError:                   # not Linux
        return []
    return sorted(p for p in paths if p.startswith("/") and not p.startswith(numpy_libs))


def _address(lib, names):
    for name in names:
        try:
            return ctypes.cast(getattr(lib, name), ctypes.c_void_p).value or 0
        except AttributeError:
            continue
    return 0


def install():
    set_threads = get_threads = 0
    for path in loaded_blas_paths():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        set_threads = set_threads or _address(
            lib, [p + "openblas_set_num_threads" for p in _PREFIXES])
        get_threads = get_threads or _address(
            lib, [p + "openblas_get_num_threads" for p in _PREFIXES])
    if not (set_threads and get_threads):
        set_threads = get_threads = 0
    from . import _dense_kernels
    _dense_kernels.set_blas_thread_functions(set_threads, get_threads)


_installed = False


def ensure_installed():
    """Look the functions up once, on first use of the dense layer (not at import)."""
    global _installed
    if not _installed:
        install()
        _installed = True
