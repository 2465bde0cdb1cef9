# Declarations shared by the two extension modules: _kernels (elementwise and
# row-wise loops, and the SIMD-dispatched kernel tables) and _dense_kernels
# (the fused dense layer over SciPy's BLAS, imported on first use so that
# `import fastact` does not import scipy.linalg).

cimport numpy as cnp

cdef extern from "fa_kernels.h" nogil:
    ctypedef struct fa_params:
        double p0
        double p1
        double p2
        double p3
    ctypedef void (*fa_unary_f32)(const float *, float *, Py_ssize_t, const fa_params *) noexcept nogil
    ctypedef void (*fa_unary_f64)(const double *, double *, Py_ssize_t, const fa_params *) noexcept nogil
    ctypedef void (*fa_grad_f32)(const float *, const float *, float *, Py_ssize_t,
                                 const fa_params *) noexcept nogil
    ctypedef void (*fa_grad_f64)(const double *, const double *, double *, Py_ssize_t,
                                 const fa_params *) noexcept nogil

# The installed kernel of each (activation, mode): exported by _kernels.
cdef fa_unary_f32 unary_kernel_f32(int kernel_id) noexcept nogil
cdef fa_unary_f64 unary_kernel_f64(int kernel_id) noexcept nogil
cdef fa_grad_f32 grad_kernel_f32(int kernel_id) noexcept nogil
cdef fa_grad_f64 grad_kernel_f64(int kernel_id) noexcept nogil
# softmax (or log_softmax) of each row of a C-contiguous block of `rows` rows
# of n elements, y may be x: exported by _kernels.
cdef void softmax_block_f32(const float *x, float *y, Py_ssize_t rows, Py_ssize_t n,
                            bint log_out) noexcept nogil
cdef void softmax_block_f64(const double *x, double *y, Py_ssize_t rows, Py_ssize_t n,
                            bint log_out) noexcept nogil

# Threads for a parallel loop (fa_omp_team_size): exported by _kernels, the one
# module that includes fa_omp.h, so both modules see the one after-fork flag.
cdef int team_size(int requested, Py_ssize_t work_items) noexcept nogil


cdef inline fa_params _pack(tuple params) except *:
    """The four parameters of a kernel (_dispatch.check_params packs them).
    Checked: with boundscheck off, a shorter tuple would be read past its end."""
    cdef fa_params p
    if params is None or len(params) != 4:
        raise ValueError(f"params: expected a tuple of 4 floats, got {params!r}")
    p.p0 = params[0]
    p.p1 = params[1]
    p.p2 = params[2]
    p.p3 = params[3]
    return p


cdef inline bint _plain(object a, int typenum) noexcept:
    """a is an ndarray, C-contiguous, aligned, native-endian, of dtype typenum."""
    return (type(a) is cnp.ndarray
            and cnp.PyArray_TYPE(<cnp.ndarray>a) == typenum
            and cnp.PyArray_ISCARRAY_RO(<cnp.ndarray>a)
            and cnp.PyArray_ISNOTSWAPPED(<cnp.ndarray>a))


cdef inline int _plain_float_type(object a) noexcept:
    """NPY_FLOAT32 or NPY_FLOAT64 when a is a plain array of that dtype, else -1."""
    if _plain(a, cnp.NPY_FLOAT32):
        return cnp.NPY_FLOAT32
    if _plain(a, cnp.NPY_FLOAT64):
        return cnp.NPY_FLOAT64
    return -1
