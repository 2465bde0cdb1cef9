# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""fastact's compiled drivers: OpenMP loops over the C chunk kernels.

Layering (see the package docstring): the Python modules validate and
allocate; this module runs loops over flat, contiguous, native-endian
float32/float64 memoryviews and nothing else; the per-element math is in
``_src/fa_formulas.inc`` and the per-chunk loops are generated into
``_src/fa_kernels.c`` from ``_manifest.py``.

Parallel loops go over fixed-size chunks (never ``n // n_threads`` pieces), so
which element lands in which call does not depend on the thread count, and
arrays smaller than ``PARALLEL_MIN_ELEMENTS`` never open a parallel region:
starting threads costs more than the work.  The GIL is released for arrays of
``NOGIL_MIN_ELEMENTS`` or more (below that, releasing it costs more than the
loop).
"""

from cpython.exc cimport PyErr_CheckSignals
from cython.parallel cimport prange
cimport numpy as cnp
import glob
import threading

cnp.import_array()

ctypedef fused floating:
    float
    double

cdef extern from "fa_omp.h" nogil:
    int fa_omp_register_fork_handler()
    int fa_omp_enabled()
    int fa_omp_forked()
    int fa_omp_max_threads()
    int fa_omp_team_size(int requested, Py_ssize_t work_items)

if fa_omp_register_fork_handler() != 0:
    raise ImportError("fastact: pthread_atfork failed; a forked child could hang in OpenMP")

# Types (fa_params, the kernel pointer types) and the small inline helpers
# shared with _dense_kernels are declared in _kernels.pxd.
cdef extern from "fa_kernels.h" nogil:
    int fa_num_kernels()
    int fa_best_isa()
    int fa_isa_compiled(int isa)
    void fa_use_isa(int isa)
    int fa_current_isa()
    const char *fa_isa_name(int isa)
    fa_unary_f32 fa_unary_kernel_f32(int kernel_id)
    fa_unary_f64 fa_unary_kernel_f64(int kernel_id)
    fa_grad_f32 fa_grad_kernel_f32(int kernel_id)
    fa_grad_f64 fa_grad_kernel_f64(int kernel_id)
    void fa_run_f32(int kernel_id, const float *x, const float *dy, float *out, Py_ssize_t n,
                    const fa_params *p, int stream)
    void fa_run_f64(int kernel_id, const double *x, const double *dy, double *out,
                    Py_ssize_t n, const fa_params *p, int stream)
    long fa_sysconf_cache_bytes()
    void fa_softmax_rows_f32(const float *x, float *y, Py_ssize_t rows, Py_ssize_t n,
                             int log_out)
    void fa_softmax_rows_f64(const double *x, double *y, Py_ssize_t rows, Py_ssize_t n,
                             int log_out)
    int fa_kernel_memory_bound(int kernel_id)


# The kernel tables, for _dense_kernels (cimported from _kernels.pxd), so both
# extension modules run the kernels of the SIMD target chosen at import.
cdef fa_unary_f32 unary_kernel_f32(int kernel_id) noexcept nogil:
    return fa_unary_kernel_f32(kernel_id)


cdef fa_unary_f64 unary_kernel_f64(int kernel_id) noexcept nogil:
    return fa_unary_kernel_f64(kernel_id)


cdef fa_grad_f32 grad_kernel_f32(int kernel_id) noexcept nogil:
    return fa_grad_kernel_f32(kernel_id)


cdef fa_grad_f64 grad_kernel_f64(int kernel_id) noexcept nogil:
    return fa_grad_kernel_f64(kernel_id)


cdef void softmax_block_f32(const float *x, float *y, Py_ssize_t rows, Py_ssize_t n,
                            bint log_out) noexcept nogil:
    fa_softmax_rows_f32(x, y, rows, n, log_out)


cdef void softmax_block_f64(const double *x, double *y, Py_ssize_t rows, Py_ssize_t n,
                            bint log_out) noexcept nogil:
    fa_softmax_rows_f64(x, y, rows, n, log_out)


cdef int team_size(int requested, Py_ssize_t work_items) noexcept nogil:
    return fa_omp_team_size(requested, work_items)

# 16384 float32 = 64 KiB in + 64 KiB out: a chunk and its output sit in L2.
# A long call looks for Ctrl-C between super-blocks of SIGNAL_CHUNKS chunks
# (4 Mi elements: milliseconds of work for the slowest kernel on one core), so
# a KeyboardInterrupt arrives well within a second; the chunks themselves, and
# so the results, stay the same for any thread count.
cdef enum:
    CHUNK = 16384
    SIGNAL_CHUNKS = 256
CHUNK_ELEMENTS = CHUNK
SIGNAL_CHECK_ELEMENTS = CHUNK * SIGNAL_CHUNKS
PARALLEL_MIN_ELEMENTS = 4 * CHUNK
NOGIL_MIN_ELEMENTS = 2048

def _last_level_cache_bytes():
    """The size of the largest cache, from Linux's sysfs (what the kernel read
    from the CPU's cache topology), else from the C library's sysconf.  In a
    virtual machine the two can disagree: here glibc reports the host's
    256 MiB L3 from cpuid while sysfs gives the 32 MiB this guest has, and the
    measurements (streaming pays from 40 MB arrays on) follow sysfs."""
    sizes = []
    for index in glob.glob("/sys/devices/system/cpu/cpu0/cache/index*/size"):
        try:
            with open(index) as f:
                text = f.read().strip()
        except OSError:
            continue
        scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
        digits = text.rstrip("KMG")
        if digits.isdigit():
            sizes.append(int(digits) * scale)
    return max(sizes) if sizes else fa_sysconf_cache_bytes()


# Outputs of more bytes than this (half the last-level cache: above it, input
# and output together no longer fit) are written with non-temporal stores by
# the memory-bound kernels (see fa_run_f32).
cdef Py_ssize_t _stream_min_bytes = _last_level_cache_bytes() // 2

NUM_KERNELS = fa_num_kernels()
ISA_NAMES = tuple(fa_isa_name(i).decode() for i in range(3))


# ---------------------------------------------------------------- runtime info

def openmp_enabled():
    return bool(fa_omp_enabled())


def max_threads():
    """omp_get_max_threads(): honours OMP_NUM_THREADS and threadpoolctl (1 in a
    process forked from one that had loaded fastact: see fa_omp.h)."""
    return fa_omp_max_threads()


def forked_child():
    """True in a process forked after fastact was imported: loops run serially."""
    return bool(fa_omp_forked())


def stream_min_bytes():
    """The output size (bytes) above which elementwise loops stream their stores."""
    return _stream_min_bytes


def set_stream_min_bytes(Py_ssize_t nbytes):
    """Set that size (tests and benchmarks: 0 streams every call, a huge value
    none); returns the previous value."""
    global _stream_min_bytes
    previous, _stream_min_bytes = _stream_min_bytes, nbytes
    return previous


cpdef bint streams(int kernel_id, Py_ssize_t out_bytes) noexcept nogil:
    """Whether a loop of kernel_id writing out_bytes uses streaming stores."""
    return out_bytes > _stream_min_bytes and fa_kernel_memory_bound(kernel_id)


def best_isa():
    return ISA_NAMES[fa_best_isa()]


def compiled_isas():
    return tuple(ISA_NAMES[i] for i in range(3) if fa_isa_compiled(i))


def current_isa():
    return ISA_NAMES[fa_current_isa()]


def use_isa(str name):
    """Install the kernels of target ``name``; returns the target in use."""
    fa_use_isa(ISA_NAMES.index(name))
    return current_isa()


cdef inline int _threads(object n_threads, Py_ssize_t n) noexcept:
    if n < PARALLEL_MIN_ELEMENTS:
        return 1
    return fa_omp_team_size(0 if n_threads is None else <int>n_threads,
                            (n + CHUNK - 1) // CHUNK)


cdef bint _watch_signals(Py_ssize_t n):
    """Whether a loop over n elements looks for Ctrl-C: only long ones, and only
    on the main thread, the one Python runs signal handlers in (elsewhere the
    check would re-take the GIL for nothing)."""
    return n > SIGNAL_CHECK_ELEMENTS and threading.current_thread() is threading.main_thread()


# ----------------------------------------------------------- elementwise loops
#
# One loop for every elementwise driver: super-blocks of SIGNAL_CHUNKS chunks,
# each a parallel region over its chunks (or a single call for a team of one:
# no parallel region, so nothing waits for threads that a fork left behind),
# then a signal check with the GIL when `watch`.  dy is NULL for the unary
# kernels.

cdef int _elementwise_loop(int kernel_id, const floating *x, const floating *dy,
                           floating *out, Py_ssize_t n, const fa_params *p, int threads,
                           bint watch) except -1 nogil:
    cdef Py_ssize_t nchunks = (n + CHUNK - 1) // CHUNK, first = 0, last, c
    cdef bint stream = streams(kernel_id, n * <Py_ssize_t>sizeof(floating))
    while first < nchunks:
        last = min(first + SIGNAL_CHUNKS, nchunks)
        if threads == 1:
            _elementwise_span(kernel_id, x, dy, out, first * CHUNK, min(last * CHUNK, n), p,
                              stream)
        else:
            for c in prange(first, last, num_threads=threads, schedule="static"):
                _elementwise_span(kernel_id, x, dy, out, c * CHUNK,
                                  min((c + 1) * CHUNK, n), p, stream)
        if watch:
            with gil:
                PyErr_CheckSignals()
        first = last
    return 0


cdef inline void _elementwise_span(int kernel_id, const floating *x, const floating *dy,
                                   floating *out, Py_ssize_t start, Py_ssize_t stop,
                                   const fa_params *p, bint stream) noexcept nogil:
    """out[start:stop] from x[start:stop] (and dy[start:stop]), with streaming
    stores when `stream`."""
    if floating is float:
        fa_run_f32(kernel_id, x + start, NULL if dy == NULL else dy + start, out + start,
                   stop - start, p, stream)
    else:
        fa_run_f64(kernel_id, x + start, NULL if dy == NULL else dy + start, out + start,
                   stop - start, p, stream)


def unary_plain(int kernel_id, object x, object out, tuple params):
    """The common case in one call: x a C-contiguous native float32/float64
    ndarray, out None or a writeable C-contiguous array of x's shape and dtype
    that is x itself or does not overlap it.  Returns the result, or None when
    the case does not apply (the caller then takes the general path).

    This is the path of tiny calls: acquiring two memoryviews and allocating
    from Python costs ~1.2 us here, ten times the work for a (1, 5) array;
    below NOGIL_MIN_ELEMENTS the kernel runs on the array pointers directly.
    """
    cdef int typenum
    typenum = _plain_float_type(x)
    if typenum < 0:
        return None
    cdef cnp.ndarray xa = <cnp.ndarray>x, oa
    cdef Py_ssize_t n = cnp.PyArray_SIZE(xa)
    cdef char *xp = <char *>cnp.PyArray_DATA(xa)
    cdef char *op
    cdef Py_ssize_t nbytes = n * cnp.PyArray_ITEMSIZE(xa)
    if out is None:
        oa = cnp.PyArray_EMPTY(cnp.PyArray_NDIM(xa), cnp.PyArray_DIMS(xa), typenum, 0)
    else:
        if not (_plain(out, typenum) and cnp.PyArray_ISWRITEABLE(<cnp.ndarray>out)
                and cnp.PyArray_SAMESHAPE(<cnp.ndarray>out, xa)):
            return None
        oa = <cnp.ndarray>out
        op = <char *>cnp.PyArray_DATA(oa)
        if op != xp and op < xp + nbytes and xp < op + nbytes:
            return None                   # partial overlap: the general path copies
    if n == 0:
        return oa
    if n >= NOGIL_MIN_ELEMENTS:
        if typenum == cnp.NPY_FLOAT32:
            unary_f32(kernel_id, xa.reshape(-1), oa.reshape(-1), params)
        else:
            unary_f64(kernel_id, xa.reshape(-1), oa.reshape(-1), params)
        return oa
    cdef fa_params p = _pack(params)
    op = <char *>cnp.PyArray_DATA(oa)
    if typenum == cnp.NPY_FLOAT32:
        fa_unary_kernel_f32(kernel_id)(<const float *>xp, <float *>op, n, &p)
    else:
        fa_unary_kernel_f64(kernel_id)(<const double *>xp, <double *>op, n, &p)
    return oa


def unary_f32(int kernel_id, const float[::1] x, float[::1] out, tuple params,
              object n_threads=None):
    """out[i] = kernel(x[i]) for a flat float32 array (out may be x)."""
    cdef fa_params p = _pack(params)
    cdef Py_ssize_t n = x.shape[0]
    cdef int threads = _threads(n_threads, n)
    cdef bint watch = _watch_signals(n)
    if n == 0:
        return
    if n < NOGIL_MIN_ELEMENTS:
        fa_unary_kernel_f32(kernel_id)(&x[0], &out[0], n, &p)
        return
    with nogil:
        _elementwise_loop(kernel_id, &x[0], <const float *>NULL, &out[0], n, &p, threads,
                          watch)


def unary_f64(int kernel_id, const double[::1] x, double[::1] out, tuple params,
              object n_threads=None):
    """out[i] = kernel(x[i]) for a flat float64 array (out may be x)."""
    cdef fa_params p = _pack(params)
    cdef Py_ssize_t n = x.shape[0]
    cdef int threads = _threads(n_threads, n)
    cdef bint watch = _watch_signals(n)
    if n == 0:
        return
    if n < NOGIL_MIN_ELEMENTS:
        fa_unary_kernel_f64(kernel_id)(&x[0], &out[0], n, &p)
        return
    with nogil:
        _elementwise_loop(kernel_id, &x[0], <const double *>NULL, &out[0], n, &p, threads,
                          watch)


def grad_f32(int kernel_id, const float[::1] x, const float[::1] dy, float[::1] out,
             tuple params, object n_threads=None):
    """out[i] = dy[i] * f'(x[i]) (or f' from y) for flat float32 arrays."""
    cdef fa_params p = _pack(params)
    cdef Py_ssize_t n = x.shape[0]
    cdef int threads = _threads(n_threads, n)
    cdef bint watch = _watch_signals(n)
    if n == 0:
        return
    with nogil:
        _elementwise_loop(kernel_id, &x[0], &dy[0], &out[0], n, &p, threads, watch)


def grad_f64(int kernel_id, const double[::1] x, const double[::1] dy, double[::1] out,
             tuple params, object n_threads=None):
    """out[i] = dy[i] * f'(x[i]) (or f' from y) for flat float64 arrays."""
    cdef fa_params p = _pack(params)
    cdef Py_ssize_t n = x.shape[0]
    cdef int threads = _threads(n_threads, n)
    cdef bint watch = _watch_signals(n)
    if n == 0:
        return
    with nogil:
        _elementwise_loop(kernel_id, &x[0], &dy[0], &out[0], n, &p, threads, watch)


# ------------------------------------------------------------- row-wise loops

cdef int _softmax_loop(const floating *x, floating *out, Py_ssize_t rows, Py_ssize_t n,
                       bint log_out, int threads, bint watch) except -1 nogil:
    """The rows in groups of about SIGNAL_CHECK_ELEMENTS elements, a signal
    check after each group when `watch` (as _elementwise_loop); in a group,
    tiles of about CHUNK elements (whole rows) go to the threads.  Each row
    is computed on its own, so the tiling never changes a result."""
    cdef Py_ssize_t tile = max(<Py_ssize_t>CHUNK // n, 1)
    cdef Py_ssize_t group = max(<Py_ssize_t>(CHUNK * SIGNAL_CHUNKS) // n, 1), first = 0
    cdef Py_ssize_t last, t, n_tiles
    while first < rows:
        last = min(first + group, rows)
        n_tiles = (last - first + tile - 1) // tile
        if threads == 1:
            _softmax_block(x, out, first, last, n, log_out)
        else:
            for t in prange(n_tiles, num_threads=threads, schedule="static"):
                _softmax_block(x, out, first + t * tile, min(first + (t + 1) * tile, last), n,
                               log_out)
        if watch:
            with gil:
                PyErr_CheckSignals()
        first = last
    return 0


cdef inline void _softmax_block(const floating *x, floating *y, Py_ssize_t start,
                                Py_ssize_t stop, Py_ssize_t n, bint log_out) noexcept nogil:
    """Rows start to stop of the C-contiguous matrices x and y."""
    if floating is float:
        softmax_block_f32(x + start * n, y + start * n, stop - start, n, log_out)
    else:
        softmax_block_f64(x + start * n, y + start * n, stop - start, n, log_out)


def softmax_rows_f32(const float[:, ::1] x, float[:, ::1] out, bint log_out,
                     object n_threads=None):
    """softmax (or log_softmax) of each row of a C-contiguous float32 matrix."""
    cdef Py_ssize_t rows = x.shape[0], n = x.shape[1]
    cdef int threads = _threads(n_threads, rows * n)
    cdef bint watch = _watch_signals(rows * n)
    if rows == 0 or n == 0:
        return
    with nogil:
        _softmax_loop(&x[0, 0], &out[0, 0], rows, n, log_out, threads, watch)


def softmax_rows_f64(const double[:, ::1] x, double[:, ::1] out, bint log_out,
                     object n_threads=None):
    """softmax (or log_softmax) of each row of a C-contiguous float64 matrix."""
    cdef Py_ssize_t rows = x.shape[0], n = x.shape[1]
    cdef int threads = _threads(n_threads, rows * n)
    cdef bint watch = _watch_signals(rows * n)
    if rows == 0 or n == 0:
        return
    with nogil:
        _softmax_loop(&x[0, 0], &out[0, 0], rows, n, log_out, threads, watch)
