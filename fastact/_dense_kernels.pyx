# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The fused dense layer loops.

This module is the only place in fastact that cimports
scipy.linalg.cython_blas: fastact links no BLAS of its own, it calls SciPy's.
It is imported on the first dense call (importing it imports scipy.linalg,
~0.8 s), and runs the activation kernels that _kernels installed, so both
follow the SIMD target chosen at import.
"""
#
# Layout: every matrix is row-major (C order).  BLAS is column-major, and a
# row-major (r, c) matrix is a column-major (c, r) one, so the row-major
# product C = A @ B is the column-major C^T = B^T A^T: operands are swapped,
# never transposed in memory.
#
# Forward, per block of rows (blocks in a prange; their size depends only on
# the shapes, so results are bitwise identical for any thread count):
#   z_blk = b (broadcast), then GEMM z_blk += x_blk @ W   (beta = 1)
#   y_blk = act(z_blk)     while z_blk is still in cache
# BLAS is held to one thread during every call that runs GEMMs (see
# _hold_blas): the blocks already use every core, nested BLAS threads cost
# 1.5-4.5x, and a GEMM that OpenBLAS splits over its own threads rounds rows
# near the split differently, which would make the result depend on the
# thread count.

from cpython.exc cimport PyErr_CheckSignals
from cython.parallel cimport prange
from libc.string cimport memcpy, memset
cimport numpy as cnp
import threading

import numpy as np
from scipy.linalg.cython_blas cimport sgemm, dgemm

from fastact._kernels cimport (
    fa_params, team_size, softmax_block_f32, softmax_block_f64, _pack, _plain,
    _plain_float_type,
    unary_kernel_f32 as fa_unary_kernel_f32, unary_kernel_f64 as fa_unary_kernel_f64,
    grad_kernel_f32 as fa_grad_kernel_f32, grad_kernel_f64 as fa_grad_kernel_f64)

cnp.import_array()

ctypedef fused floating:
    float
    double

ctypedef void (*fa_blas_set_threads)(int) noexcept nogil
ctypedef int (*fa_blas_get_threads)() noexcept nogil

# Set by fastact._blas at import from SciPy's OpenBLAS (0 = not found).
cdef fa_blas_set_threads _blas_set_threads = NULL
cdef fa_blas_get_threads _blas_get_threads = NULL

# fastact calls holding BLAS to one thread now, in any Python thread, and the
# count to restore when the last one ends.  Changed only with the GIL held, so
# no lock of its own (and none that a fork could leave locked).
cdef int _blas_holders = 0
cdef int _blas_saved_threads = 0

BLAS_INT_MAX = 2 ** 31 - 1     # cython_blas passes dimensions as C int


def set_blas_thread_functions(size_t set_threads, size_t get_threads):
    """Install openblas_set/get_num_threads (addresses from ctypes; 0 = absent)."""
    global _blas_set_threads, _blas_get_threads
    if _blas_holders:
        raise RuntimeError("BLAS thread functions replaced during a dense call")
    _blas_set_threads = <fa_blas_set_threads>set_threads
    _blas_get_threads = <fa_blas_get_threads>get_threads


def blas_thread_control():
    """Which mechanism holds BLAS to one thread in fastact's block GEMMs."""
    if _blas_set_threads != NULL and _blas_get_threads != NULL:
        return "openblas_set_num_threads(1) while any fastact GEMM call runs"
    return "none found (a BLAS other than OpenBLAS: its own threads may oversubscribe)"


cdef void _hold_blas() noexcept:
    """Hold SciPy's OpenBLAS to one thread until the matching _release_blas.

    OpenBLAS's count is process-wide: its openblas_set_num_threads_local only
    sets the global count as well (in its pthreads builds, SciPy's), so
    per-block set-and-restore raced between the blocks and now and then ran a
    block's GEMM on two threads, one ULP off (tests/test_threads.py).  One
    hold per call, counted across concurrent calls; the last one restores.
    While it lasts, SciPy's own BLAS calls in other threads run on one thread.
    Called with the GIL held."""
    global _blas_holders, _blas_saved_threads
    if _blas_set_threads == NULL or _blas_get_threads == NULL:
        return
    if _blas_holders == 0:
        _blas_saved_threads = _blas_get_threads()
        _blas_set_threads(1)
    _blas_holders += 1


cdef void _release_blas() noexcept:
    global _blas_holders
    if _blas_set_threads == NULL or _blas_get_threads == NULL:
        return
    _blas_holders -= 1
    if _blas_holders == 0:
        _blas_set_threads(_blas_saved_threads)


cdef extern from "fa_math.h" nogil:
    double fa_libm_exp(double z)


cdef inline void _gemm_rows(const floating *a, const floating *w, floating *c,
                            int rows, int k, int n, floating beta) noexcept nogil:
    """c[rows, n] = a[rows, k] @ w[k, n] + beta c, all row-major, contiguous."""
    cdef floating one = 1.0
    cdef char trans = b'N'
    if rows == 0 or n == 0:
        return
    if k == 0:
        if beta == 0:
            memset(c, 0, rows * n * sizeof(floating))
        return
    if floating is float:
        sgemm(&trans, &trans, &n, &rows, &k, &one, <float *>w, &n, <float *>a, &k,
              <float *>&beta, <float *>c, &n)
    else:
        dgemm(&trans, &trans, &n, &rows, &k, &one, <double *>w, &n, <double *>a, &k,
              <double *>&beta, <double *>c, &n)


# OpenBLAS's single-threaded SGEMM (its Haswell kernels, on this Zen 1
# machine) ran layers of fewer than ~352 units at 10-17 GFLOP/s instead of
# 35-44 -- until one call with more units had packed a wide B panel (>= 16K
# floats) into the buffer it works in: from then on every call from that
# buffer was fast, in the same process.  OpenBLAS keeps one such buffer per
# concurrent caller, so the row blocks of a prange, calling at once, use
# several.  warm_blas_buffers makes one such call from every thread of a team
# at the same moment, so each warms its own buffer; it runs once, on the
# first dense call, in about a millisecond.  Only the speed changes: the
# buffer holds packed operands, overwritten before they are read.  (Our
# guess at the cause: the kernel prefetches packed B beyond what a narrow
# call writes, into pages never written, which all map to the zero page;
# Zen's L1 way predictor thrashes on such aliases.)  DGEMM showed no such
# effect.
cdef enum:
    WARM_UNITS = 512        # BLAS's m: above the ~352 at which the wide path starts
    WARM_K = 128
    WARM_ROWS = 256         # k x rows = 32K floats of packed B


def warm_blas_buffers(object n_threads=None):
    """One float32 GEMM from each thread of a team at once (see above)."""
    cdef int threads = team_size(0 if n_threads is None else <int>n_threads, 1 << 20)
    cdef Py_ssize_t x_size = WARM_ROWS * WARM_K, w_size = WARM_K * WARM_UNITS
    cdef Py_ssize_t per_thread = x_size + w_size + WARM_ROWS * WARM_UNITS
    cdef float[::1] work = np.zeros(threads * per_thread, np.float32)
    cdef float *base
    cdef int t, round_
    _hold_blas()
    try:
        with nogil:
            # twice: the first region may still be starting the team's
            # threads, which would then call one after the other
            for round_ in range(2):
                for t in prange(threads, num_threads=threads, schedule="static", chunksize=1):
                    base = &work[t * per_thread]
                    _gemm_rows(base, base + x_size, base + x_size + w_size, WARM_ROWS,
                               WARM_K, WARM_UNITS, 0)
    finally:
        _release_blas()


# Below this much work (multiply-adds, or element operations) a parallel
# region costs more than it saves: thread wake-up is ~5-50 us, and on a busy
# machine milliseconds.  Only the thread count depends on it; the blocks, and
# so the results, do not.
cdef enum:
    PARALLEL_MIN_WORK = 1 << 20


# Above this much work the one-call small paths (dense_plain,
# dense_backward_plain) release the GIL around their GEMMs; below it, taking
# and dropping the GIL would cost a tenth of the call.
cdef enum:
    GIL_FREE_MIN_WORK = 1 << 16


# In-feature count from which dense_block_rows treats a layer as GEMM-bound.
cdef enum:
    GEMM_BOUND_IN_FEATURES = 256


cdef inline int _threads_for(object n_threads, Py_ssize_t n_blocks, Py_ssize_t work):
    if n_blocks < 2 or work < PARALLEL_MIN_WORK:
        return 1
    return team_size(0 if n_threads is None else <int>n_threads, n_blocks)


# Ctrl-C: a long call runs its blocks in groups of about SIGNAL_WORK
# multiply-adds (tens of milliseconds on one core), one parallel region per
# group, and looks for signals with the GIL between groups, so that a
# KeyboardInterrupt arrives well within a second.  Only the grouping of the
# blocks changes, never the blocks: the results stay the same.
cdef enum:
    SIGNAL_WORK = 1 << 28


cdef inline Py_ssize_t _signal_group(Py_ssize_t n_blocks, Py_ssize_t block_work,
                                     int threads):
    """Blocks per signal check: all of them (no check) for a short call, or
    for one off the main thread (the only one Python runs signal handlers
    in, so the check would re-take the GIL for nothing); else a multiple of
    the team size, so that every group keeps every thread busy."""
    if (n_blocks * block_work <= SIGNAL_WORK
            or threading.current_thread() is not threading.main_thread()):
        return n_blocks
    cdef Py_ssize_t group = max(1, SIGNAL_WORK // max(block_work, 1))
    return ((group + threads - 1) // threads) * threads


cdef inline int _check_signals() except -1 nogil:
    with gil:
        return PyErr_CheckSignals()


cdef inline void _epilogue(floating *z, floating *y, Py_ssize_t rows, Py_ssize_t n,
                           int kernel_id, int rowwise, const fa_params *p) noexcept nogil:
    """y = act(z) on a block (y may be z); rowwise: 1 softmax, 2 log_softmax."""
    if rowwise:
        if floating is float:
            softmax_block_f32(z, y, rows, n, rowwise == 2)
        else:
            softmax_block_f64(z, y, rows, n, rowwise == 2)
    elif kernel_id >= 0:
        if floating is float:
            fa_unary_kernel_f32(kernel_id)(z, y, rows * n, p)
        else:
            fa_unary_kernel_f64(kernel_id)(z, y, rows * n, p)
    elif y != z:                                      # linear, with z kept apart
        memcpy(y, z, rows * n * sizeof(floating))


def dense_block_rows(Py_ssize_t n_rows, Py_ssize_t in_features, Py_ssize_t units,
                     Py_ssize_t itemsize):
    """Rows per block: a function of the shapes only (never of the thread count).

    ~256 KiB of output per block keeps the block in L2 for the epilogue, and
    at least 256 rows keeps GEMM near its peak (measured: 64-row calls lose
    10-60 % to operand packing); at least 4 blocks when there are rows enough
    and the layer is big enough to run in parallel at all, so 2-4 cores have
    work.  A layer too small for threads stays one block: splitting it would
    only add calls (a 32 x 2 -> 2 layer took 20 us in two blocks, 2 in one).
    A GEMM-bound layer (>= GEMM_BOUND_IN_FEATURES multiply-adds per output)
    takes the largest blocks that still make 4 (up to 8192 rows): its
    epilogue's pass over a block that left L2 costs < 1 % of the GEMM, and
    8192 x 1024 -> 1024 float32 ran in 239 ms in 2048-row blocks, 250 ms in
    256-row ones (np.matmul: 235 ms; Zen 1, 2 threads).
    """
    cdef Py_ssize_t rows = (256 * 1024) // max(units * itemsize, 1)
    cdef Py_ssize_t quarter = max(16, (n_rows + 3) // 4)
    rows = max(256, min(rows, 8192))
    if n_rows * in_features * units >= PARALLEL_MIN_WORK:
        rows = min(rows, quarter)
        if in_features >= GEMM_BOUND_IN_FEATURES:
            rows = max(rows, min(quarter, 8192))
    return max(rows, 1)


cdef inline void _forward_block(const floating *x, const floating *w, const floating *bias,
                                floating *z, floating *y, Py_ssize_t rows, Py_ssize_t k,
                                Py_ssize_t n, int kernel_id, int rowwise,
                                const fa_params *p) noexcept nogil:
    """One block of dense: z = x @ w + bias (bias NULL: none), y = act(z); y may be z.
    The one place for these operations, so every path gives the same bits."""
    cdef Py_ssize_t r
    if bias != NULL:
        for r in range(rows):
            memcpy(z + r * n, bias, n * sizeof(floating))
    _gemm_rows(x, w, z, <int>rows, <int>k, <int>n, 1 if bias != NULL else 0)
    _epilogue(z, y, rows, n, kernel_id, rowwise, p)


def dense_forward(const floating[:, ::1] x, const floating[:, ::1] w, object bias,
                  floating[:, ::1] z, floating[:, ::1] y, int kernel_id, int rowwise,
                  tuple params, Py_ssize_t block_rows, object n_threads=None):
    """z = x @ w + bias, y = act(z), block by block (z may be y: then act in place).

    kernel_id < 0 and rowwise == 0: no activation (y is z).
    """
    cdef Py_ssize_t n_rows = x.shape[0], k = x.shape[1], n = w.shape[1]
    cdef Py_ssize_t n_blocks = (n_rows + block_rows - 1) // block_rows, blk, start, rows
    cdef const floating *bp = NULL
    cdef const floating[::1] bias_view
    cdef fa_params p = _pack(params)
    cdef int threads = 1
    if n_rows == 0 or n == 0:
        return
    if bias is not None:
        bias_view = bias
        bp = &bias_view[0]
    threads = _threads_for(n_threads, n_blocks, n_rows * (k + 1) * n)
    cdef Py_ssize_t group = _signal_group(n_blocks, block_rows * (k + 1) * n, threads)
    cdef Py_ssize_t first = 0, last
    _hold_blas()
    try:
        with nogil:
            while first < n_blocks:
                last = min(first + group, n_blocks)
                for blk in prange(first, last, num_threads=threads, schedule="static"):
                    start = blk * block_rows
                    rows = min(block_rows, n_rows - start)
                    _forward_block(&x[start, 0] if k > 0 else NULL,
                                   &w[0, 0] if k > 0 else NULL, bp, &z[start, 0],
                                   &y[start, 0], rows, k, n, kernel_id, rowwise, &p)
                if last < n_blocks:
                    _check_signals()
                first = last
    finally:
        _release_blas()


cdef inline void _dz_block(const floating *dy, const floating *src, floating *dz,
                           Py_ssize_t rows, Py_ssize_t n, int kernel_id, int rowwise,
                           fa_params *p) noexcept nogil:
    """dz on one block of ``rows`` C-contiguous rows of n units: dy * f'(src)
    (src = z or y, as kernel_id says), or the row-wise VJP:
    rowwise 1 (softmax, src = y):     dz = y (dy - sum(dy y))
    rowwise 2 (log_softmax, src = y): dz = dy - exp(y) sum(dy)
    kernel_id < 0 and rowwise == 0: dz = dy (linear)."""
    cdef Py_ssize_t r, i
    cdef double acc
    if rowwise:
        for r in range(rows):
            acc = 0.0
            if rowwise == 1:
                for i in range(n):
                    acc = acc + <double>dy[r * n + i] * <double>src[r * n + i]
                for i in range(n):
                    dz[r * n + i] = <floating>(<double>src[r * n + i]
                                               * (<double>dy[r * n + i] - acc))
            else:
                for i in range(n):
                    acc = acc + <double>dy[r * n + i]
                for i in range(n):
                    dz[r * n + i] = <floating>(<double>dy[r * n + i]
                                               - fa_libm_exp(<double>src[r * n + i]) * acc)
    elif kernel_id >= 0:
        if floating is float:
            fa_grad_kernel_f32(kernel_id)(src, dy, dz, rows * n, p)
        else:
            fa_grad_kernel_f64(kernel_id)(src, dy, dz, rows * n, p)
    else:
        memcpy(dz, dy, rows * n * sizeof(floating))


cdef inline void _add_rows(const floating *a, Py_ssize_t rows, Py_ssize_t n,
                           double *sums) noexcept nogil:
    """sums[i] += a[r, i] for the C-contiguous rows of one block, in row order."""
    cdef Py_ssize_t r, i
    for r in range(rows):
        for i in range(n):
            sums[i] += a[r * n + i]


cdef inline Py_ssize_t _dw_column_block(Py_ssize_t units) noexcept nogil:
    """Columns of dW per GEMM (a function of the shape only)."""
    return max(64, (units + 3) // 4)


cdef inline Py_ssize_t _dw_column_blocks(Py_ssize_t units) noexcept nogil:
    """How many column blocks of _dw_column_block columns dW has."""
    return (units + _dw_column_block(units) - 1) // _dw_column_block(units)


# A narrow layer (units <= 192) has fewer than four dW column blocks, and one
# block is one single-threaded GEMM over every row: 65536 x 64 x 64 ran its dW
# on one core, at 69 % of NumPy's two threaded GEMMs.  Such layers split the
# rows instead, into parts of at least DW_PART_MIN_ROWS rows and at most
# DW_PARTS_MAX parts (a function of the shape only), each part's x^T dz into a
# buffer, and then sum the parts in part order: the same bits for any thread
# count.
DW_PART_MIN_ROWS = 4096
DW_PARTS_MAX = 8


def dw_row_parts(Py_ssize_t n_rows, Py_ssize_t in_features, Py_ssize_t units):
    """How many row parts dW is summed from (1: the column blocks' GEMMs).
    A layer too small for threads keeps one GEMM (as dense_block_rows keeps
    one block), which also keeps dense_backward_plain's bits the same."""
    if _dw_column_blocks(units) >= 4 or n_rows * in_features * units < PARALLEL_MIN_WORK:
        return 1
    return max(1, min(DW_PARTS_MAX, n_rows // DW_PART_MIN_ROWS))


cdef inline void _gemm_op(const floating *a, int lda, const floating *b, int ldb,
                          floating *c, int ldc, int m, int n, int k, bint trans_a,
                          bint trans_b) noexcept nogil:
    """Row-major c[m, n] = op(a) @ op(b) with leading dimensions (row strides)."""
    cdef floating one = 1.0, zero = 0.0
    # column-major: c^T = op(b)^T op(a)^T; a row-major matrix is its column-major transpose
    cdef char ta = b'T' if trans_a else b'N', tb = b'T' if trans_b else b'N'
    if floating is float:
        sgemm(&tb, &ta, &n, &m, &k, <float *>&one, <float *>b, &ldb, <float *>a, &lda,
              <float *>&zero, <float *>c, &ldc)
    else:
        dgemm(&tb, &ta, &n, &m, &k, <double *>&one, <double *>b, &ldb, <double *>a, &lda,
              <double *>&zero, <double *>c, &ldc)


cdef void _dw_phase(const floating[:, ::1] dz, const floating[:, ::1] x, floating[:, ::1] dw,
                    int threads) except *:
    """dw = x^T dz by column blocks, or by row parts (dw_row_parts); BLAS held
    to one thread by the caller."""
    cdef Py_ssize_t n_rows = x.shape[0], k = x.shape[1], n = dz.shape[1]
    cdef Py_ssize_t col_block = _dw_column_block(n)
    cdef Py_ssize_t n_col_blocks = _dw_column_blocks(n)
    cdef Py_ssize_t n_parts = dw_row_parts(n_rows, k, n)
    cdef Py_ssize_t col_group = _signal_group(n_col_blocks, n_rows * k * col_block, threads)
    cdef Py_ssize_t first = 0, last, blk, start, cols
    if n_parts > 1:
        _dw_by_row_parts(dz, x, dw, n_parts, threads)
        return
    with nogil:
        while first < n_col_blocks:
            last = min(first + col_group, n_col_blocks)
            for blk in prange(first, last, num_threads=threads, schedule="static"):
                start = blk * col_block
                cols = min(col_block, n - start)
                _gemm_op(&x[0, 0], <int>k, &dz[0, start], <int>n, &dw[0, start], <int>n,
                         <int>k, <int>cols, <int>n_rows, True, False)
            if last < n_col_blocks:
                _check_signals()
            first = last


def dense_backward_blocks(const floating[:, ::1] dy, const floating[:, ::1] src,
                          floating[:, ::1] dz, int kernel_id, int rowwise, tuple params,
                          const floating[:, ::1] x, const floating[:, ::1] w,
                          floating[:, ::1] dx, floating[:, ::1] dw, floating[::1] db,
                          Py_ssize_t block_rows, object n_threads=None):
    """The backward pass's dz, dx = dz @ w^T, dw = x^T @ dz and (db not None)
    db = dz.sum(axis=0), in blocks fixed by the shapes.

    Each row block's dz (_dz_block) is computed, added into the block's db
    partial sum (in double) and multiplied into dx while it is still in
    cache: as three passes, dz went out to memory and came back twice.  The
    db partials are added in block order; dw is by column blocks, or by row
    parts summed in order (dw_row_parts).  All in pranges with BLAS held to
    one thread: the same GEMM calls and sums whatever the thread count, so the
    same bits.  kernel_id < 0 and rowwise == 0: dz is dy itself (linear, or a
    VJP computed beforehand) and dz is not written.
    """
    cdef Py_ssize_t n_rows = x.shape[0], k = x.shape[1], n = w.shape[1]
    cdef Py_ssize_t n_blocks = (n_rows + block_rows - 1) // block_rows, blk, start, rows, i
    cdef bint dz_is_dy = kernel_id < 0 and rowwise == 0, with_db = db is not None
    cdef fa_params p = _pack(params)
    cdef int threads
    if n == 0:
        dx[:, :] = 0
        return
    if n_rows == 0:
        dw[:, :] = 0
        if with_db:
            db[:] = 0
        return
    cdef const floating[:, ::1] dz_view = dy if dz_is_dy else dz
    partial_arr = np.zeros((n_blocks if with_db else 1, n), dtype=np.float64)
    cdef double[:, ::1] partial = partial_arr
    threads = _threads_for(n_threads,
                           max(n_blocks, _dw_column_blocks(n), dw_row_parts(n_rows, k, n)),
                           n_rows * (k + 8) * n)
    cdef Py_ssize_t group = _signal_group(n_blocks, block_rows * (k + 64) * n, threads)
    cdef Py_ssize_t first = 0, last
    _hold_blas()
    try:
        with nogil:
            while first < n_blocks:
                last = min(first + group, n_blocks)
                for blk in prange(first, last, num_threads=threads, schedule="static"):
                    start = blk * block_rows
                    rows = min(block_rows, n_rows - start)
                    if not dz_is_dy:
                        _dz_block(&dy[start, 0], &src[start, 0], &dz[start, 0], rows, n,
                                  kernel_id, rowwise, &p)
                    if with_db:
                        _add_rows(&dz_view[start, 0], rows, n, &partial[blk, 0])
                    if k > 0:
                        _gemm_op(&dz_view[start, 0], <int>n, &w[0, 0], <int>n, &dx[start, 0],
                                 <int>k, <int>rows, <int>k, <int>n, False, True)
                _check_signals()
                first = last
            if with_db:
                for i in range(n):
                    for blk in range(1, n_blocks):
                        partial[0, i] += partial[blk, i]
                    db[i] = <floating>partial[0, i]
        if k > 0:
            _dw_phase(dz_view, x, dw, threads)
    finally:
        _release_blas()


cdef void _dw_by_row_parts(const floating[:, ::1] dz, const floating[:, ::1] x,
                           floating[:, ::1] dw, Py_ssize_t n_parts, int threads) except *:
    """dw = x^T dz as the sum, in part order, of n_parts row parts' GEMMs (see
    DW_PART_MIN_ROWS).  Called with BLAS held to one thread."""
    cdef Py_ssize_t n_rows = x.shape[0], k = x.shape[1], n = dz.shape[1]
    cdef Py_ssize_t part_rows = (n_rows + n_parts - 1) // n_parts
    cdef floating[:, :, ::1] partial = np.empty((n_parts, k, n),
                                                dtype=np.float32 if floating is float else np.float64)
    cdef Py_ssize_t part, start, rows, i, j, q
    cdef floating acc
    with nogil:
        for part in prange(n_parts, num_threads=threads, schedule="static"):
            start = part * part_rows
            rows = min(part_rows, n_rows - start)
            if rows > 0:
                _gemm_op(&x[start, 0], <int>k, &dz[start, 0], <int>n, &partial[part, 0, 0],
                         <int>n, <int>k, <int>n, <int>rows, True, False)
            else:
                memset(&partial[part, 0, 0], 0, k * n * sizeof(floating))
        for i in prange(k, num_threads=threads, schedule="static"):
            for j in range(n):
                acc = partial[0, i, j]
                for q in range(1, n_parts):
                    acc = acc + partial[q, i, j]
                dw[i, j] = acc


cdef inline bint _disjoint(cnp.ndarray a, cnp.ndarray b) noexcept:
    cdef char *pa = <char *>cnp.PyArray_DATA(a)
    cdef char *pb = <char *>cnp.PyArray_DATA(b)
    return (pa + cnp.PyArray_NBYTES(a) <= pb) or (pb + cnp.PyArray_NBYTES(b) <= pa)


cdef inline bint _plain_out(object out, int typenum, int ndim, Py_ssize_t d0, Py_ssize_t d1):
    """out is None, or a writeable plain array of shape (d0, d1) (ndim 2) or (d1,)."""
    if out is None:
        return True
    if not (_plain(out, typenum) and cnp.PyArray_ISWRITEABLE(<cnp.ndarray>out)
            and cnp.PyArray_NDIM(<cnp.ndarray>out) == ndim):
        return False
    if ndim == 1:
        return cnp.PyArray_DIM(<cnp.ndarray>out, 0) == d1
    return cnp.PyArray_DIM(<cnp.ndarray>out, 0) == d0 and cnp.PyArray_DIM(<cnp.ndarray>out, 1) == d1


def dense_plain(object x, object w, object bias, int kernel_id, int rowwise, tuple params,
                object out=None):
    """The common small case in one call: x (n, k), w (k, units), bias (units,) or
    None, all C-contiguous native arrays of one float dtype, few enough rows
    for one block and too little work for threads (below PARALLEL_MIN_WORK);
    out None or such an array overlapping none of them.
    Returns y, or None when the case does not apply (the caller then takes
    the general path).  A (8, 10) @ (10, 1) layer costs ~0.3 us of BLAS and a
    32 x 128 -> 64 one ~20 us; the general path's Python validation and five
    memoryviews cost 15-40 us, so this one checks with the NumPy C-API instead.
    """
    cdef int typenum
    typenum = _plain_float_type(x)
    if typenum < 0:
        return None
    if not _plain(w, typenum) or (bias is not None and not _plain(bias, typenum)):
        return None
    cdef cnp.ndarray xa = <cnp.ndarray>x, wa = <cnp.ndarray>w, ba, ya
    if cnp.PyArray_NDIM(xa) != 2 or cnp.PyArray_NDIM(wa) != 2:
        return None
    cdef Py_ssize_t n_rows = cnp.PyArray_DIM(xa, 0), k = cnp.PyArray_DIM(xa, 1)
    cdef Py_ssize_t units = cnp.PyArray_DIM(wa, 1)
    # Only layers that the general path would also compute as one block: BLAS
    # rounds a row differently depending on the rows around it, so taking a
    # different blocking here would make the result depend on the layout.
    if (cnp.PyArray_DIM(wa, 0) != k or n_rows == 0 or k == 0 or units == 0
            or n_rows * k * units >= PARALLEL_MIN_WORK or k > BLAS_INT_MAX
            or units > BLAS_INT_MAX
            or n_rows > dense_block_rows(n_rows, k, units, cnp.PyArray_ITEMSIZE(xa))):
        return None                           # shape errors get their messages elsewhere
    cdef const char *bp = NULL
    if bias is not None:
        ba = <cnp.ndarray>bias
        if cnp.PyArray_NDIM(ba) != 1 or cnp.PyArray_DIM(ba, 0) != units:
            return None
        bp = <const char *>cnp.PyArray_DATA(ba)
    cdef cnp.npy_intp dims[2]
    dims[0] = n_rows
    dims[1] = units
    if out is None:
        ya = cnp.PyArray_EMPTY(2, dims, typenum, 0)
    else:
        if not _plain_out(out, typenum, 2, n_rows, units):
            return None
        ya = <cnp.ndarray>out
        if not (_disjoint(ya, xa) and _disjoint(ya, wa)
                and (bias is None or _disjoint(ya, <cnp.ndarray>bias))):
            return None
    cdef fa_params p = _pack(params)
    cdef char *yp = <char *>cnp.PyArray_DATA(ya)
    cdef const char *xp = <const char *>cnp.PyArray_DATA(xa)
    cdef const char *wp = <const char *>cnp.PyArray_DATA(wa)
    _hold_blas()                      # (the block raises nothing: no try needed)
    if n_rows * k * units > GIL_FREE_MIN_WORK:
        with nogil:
            _plain_forward(typenum, xp, wp, bp, yp, n_rows, k, units, kernel_id, rowwise, &p)
    else:
        _plain_forward(typenum, xp, wp, bp, yp, n_rows, k, units, kernel_id, rowwise, &p)
    _release_blas()
    return ya


cdef void _plain_forward(int typenum, const char *x, const char *w, const char *bias,
                         char *y, Py_ssize_t n_rows, Py_ssize_t k, Py_ssize_t units,
                         int kernel_id, int rowwise, const fa_params *p) noexcept nogil:
    if typenum == cnp.NPY_FLOAT32:
        _forward_block(<const float *>x, <const float *>w, <const float *>bias, <float *>y,
                       <float *>y, n_rows, k, units, kernel_id, rowwise, p)
    else:
        _forward_block(<const double *>x, <const double *>w, <const double *>bias,
                       <double *>y, <double *>y, n_rows, k, units, kernel_id, rowwise, p)


def dense_backward_plain(object dy, object x, object w, object src, int kernel_id,
                         int rowwise, tuple params, object dx_out, object dw_out,
                         object db_out, bint use_bias):
    """dense_backward's small case in one call (see dense_plain): dy (n, units),
    x (n, k), w (k, units), src (n, units) the y or z that kernel_id /
    rowwise expect (or None for linear), outs None or plain non-overlapping
    arrays.  Returns (dx, dW, db) or None when the case does not apply.
    The same operations as the general path, in the same order (one block:
    dz, then dz @ W^T, x^T @ dz, and db summed over rows in double), so the
    bits are the same.
    """
    cdef int typenum
    typenum = _plain_float_type(dy)
    if typenum < 0:
        return None
    if not (_plain(x, typenum) and _plain(w, typenum)
            and (src is None or _plain(src, typenum))):
        return None
    cdef cnp.ndarray dya = <cnp.ndarray>dy, xa = <cnp.ndarray>x, wa = <cnp.ndarray>w
    if cnp.PyArray_NDIM(dya) != 2 or cnp.PyArray_NDIM(xa) != 2 or cnp.PyArray_NDIM(wa) != 2:
        return None
    cdef Py_ssize_t n_rows = cnp.PyArray_DIM(xa, 0), k = cnp.PyArray_DIM(xa, 1)
    cdef Py_ssize_t units = cnp.PyArray_DIM(wa, 1)
    if (cnp.PyArray_DIM(wa, 0) != k or cnp.PyArray_DIM(dya, 0) != n_rows
            or cnp.PyArray_DIM(dya, 1) != units or n_rows == 0 or k == 0 or units == 0
            or n_rows * k * units >= PARALLEL_MIN_WORK
            or n_rows > dense_block_rows(n_rows, k, units, cnp.PyArray_ITEMSIZE(xa))):
        return None
    if src is not None and (cnp.PyArray_NDIM(<cnp.ndarray>src) != 2
                            or cnp.PyArray_DIM(<cnp.ndarray>src, 0) != n_rows
                            or cnp.PyArray_DIM(<cnp.ndarray>src, 1) != units):
        return None
    if not (_plain_out(dx_out, typenum, 2, n_rows, k) and _plain_out(dw_out, typenum, 2, k, units)
            and _plain_out(db_out, typenum, 1, 0, units)):
        return None
    inputs = [a for a in (dy, x, w, src) if a is not None]
    for out in (dx_out, dw_out, db_out):
        if out is not None:
            for a in inputs:
                if not _disjoint(<cnp.ndarray>out, <cnp.ndarray>a):
                    return None
    cdef cnp.npy_intp dims[2]
    dims[0] = n_rows
    dims[1] = units
    cdef cnp.ndarray dz = cnp.PyArray_EMPTY(2, dims, typenum, 0)
    dims[1] = k
    cdef cnp.ndarray dx = cnp.PyArray_EMPTY(2, dims, typenum, 0) if dx_out is None else dx_out
    dims[0] = k
    dims[1] = units
    cdef cnp.ndarray dw = cnp.PyArray_EMPTY(2, dims, typenum, 0) if dw_out is None else dw_out
    cdef cnp.ndarray db = None, sums = None      # sums: db's float64 accumulators
    if use_bias:
        db = cnp.PyArray_EMPTY(1, &dims[1], typenum, 0) if db_out is None else db_out
        sums = cnp.PyArray_ZEROS(1, &dims[1], cnp.NPY_FLOAT64, 0)
    cdef fa_params p = _pack(params)
    cdef const void *dyp = cnp.PyArray_DATA(dya)
    cdef const void *srcp = cnp.PyArray_DATA(dya if src is None else <cnp.ndarray>src)
    cdef void *dbp = NULL if db is None else cnp.PyArray_DATA(db)
    # The general path's operations on its one block (dense_backward_blocks),
    # without its memoryviews: the same bits, a fifth of the time.
    cdef char *dzp = <char *>cnp.PyArray_DATA(dz)
    cdef const char *xp = <const char *>cnp.PyArray_DATA(xa)
    cdef const char *wp = <const char *>cnp.PyArray_DATA(wa)
    cdef char *dxp = <char *>cnp.PyArray_DATA(dx)
    cdef char *dwp = <char *>cnp.PyArray_DATA(dw)
    cdef double *sp = NULL if sums is None else <double *>cnp.PyArray_DATA(sums)
    _hold_blas()                      # (_backward_block raises nothing: no try needed)
    if n_rows * k * units > GIL_FREE_MIN_WORK:
        with nogil:
            _plain_backward(typenum, dyp, srcp, dzp, xp, wp, dxp, dwp, dbp, sp, n_rows, k,
                            units, kernel_id, rowwise, &p)
    else:
        _plain_backward(typenum, dyp, srcp, dzp, xp, wp, dxp, dwp, dbp, sp, n_rows, k, units,
                        kernel_id, rowwise, &p)
    _release_blas()
    return dx, dw, (None if db is None else db)


cdef void _plain_backward(int typenum, const void *dy, const void *src, char *dz,
                          const char *x, const char *w, char *dx, char *dw, void *db,
                          double *sums, Py_ssize_t n_rows, Py_ssize_t k, Py_ssize_t units,
                          int kernel_id, int rowwise, fa_params *p) noexcept nogil:
    if typenum == cnp.NPY_FLOAT32:
        _backward_block(<const float *>dy, <const float *>src, <float *>dz, <const float *>x,
                        <const float *>w, <float *>dx, <float *>dw, <float *>db, sums,
                        n_rows, k, units, kernel_id, rowwise, p)
    else:
        _backward_block(<const double *>dy, <const double *>src, <double *>dz,
                        <const double *>x, <const double *>w, <double *>dx, <double *>dw,
                        <double *>db, sums, n_rows, k, units, kernel_id, rowwise, p)


cdef void _backward_block(const floating *dy, const floating *src, floating *dz,
                          const floating *x, const floating *w, floating *dx, floating *dw,
                          floating *db, double *sums, Py_ssize_t n_rows, Py_ssize_t k,
                          Py_ssize_t units, int kernel_id, int rowwise,
                          fa_params *p) noexcept nogil:
    """dz, dx = dz @ w^T, dw = x^T @ dz and (db not NULL) db = column sums of dz,
    for rows that are one block, in dense_backward_blocks' GEMM blocking."""
    cdef Py_ssize_t blk, start, cols, i
    cdef Py_ssize_t col_block = _dw_column_block(units)
    _dz_block(dy, src, dz, n_rows, units, kernel_id, rowwise, p)
    _gemm_op(dz, <int>units, w, <int>units, dx, <int>k, <int>n_rows, <int>k, <int>units,
             False, True)
    for blk in range(_dw_column_blocks(units)):
        start = blk * col_block
        cols = min(col_block, units - start)
        _gemm_op(x, <int>k, dz + start, <int>units, dw + start, <int>units, <int>k,
                 <int>cols, <int>n_rows, True, False)
    if db != NULL:
        _add_rows(dz, n_rows, units, sums)
        for i in range(units):
            db[i] = <floating>sums[i]
