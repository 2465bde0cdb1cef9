"""The fused dense layer: ``dense`` (forward) and ``dense_backward``.

This module validates and allocates; the loops are in ``_dense_kernels.pyx``
(row blocks in a prange: a single-threaded GEMM into the block, then bias and
activation while the block is in cache) and the activation math is the same
C code as ``fastact.activations``.  Small C-contiguous float32/float64
layers named by a string take one Cython call (``dense_plain``,
``dense_backward_plain``) that does the same operations in the same order.
"""

import functools

import numpy as np

from . import _blas, _dask, _dispatch, _manifest, activations, derivatives

_F16, _F32, _F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
_ROWWISE_CODE = {"softmax": 1, "log_softmax": 2}
BLAS_INT_MAX = 2 ** 31 - 1     # scipy.linalg.cython_blas passes dimensions as C int


_DENSE_KERNELS = None


def _loops():
    """fastact._dense_kernels, imported on first use: it imports scipy.linalg
    (~0.8 s), which ``import fastact`` should not pay for.  Kept in a global:
    a training step calls this four times, and the import statement alone
    cost 6 us each time (a quarter of an XOR step)."""
    global _DENSE_KERNELS
    if _DENSE_KERNELS is None:
        from . import _dense_kernels
        _blas.ensure_installed()
        _dense_kernels.warm_blas_buffers()
        _DENSE_KERNELS = _dense_kernels
    return _DENSE_KERNELS


class _Activation:
    """What ``dense`` needs to know about an activation argument."""

    __slots__ = ("name", "params", "packed", "clean", "func")

    def __init__(self, name, params, func):
        self.name = name              # manifest name, or None for a foreign callable
        self.params = params
        self.func = func
        self.packed, self.clean = _dispatch.NO_PARAMS, params
        entry = None if name is None else _manifest.BY_NAME[name]
        if entry is not None and entry.kind == "elementwise" and len(params) == len(entry.params):
            self.packed, self.clean = _dispatch.check_params(name, params)

    @property
    def fused_elementwise(self):
        return self.name is not None and _manifest.BY_NAME[self.name].kind == "elementwise"


def _fused_default(name):
    """(kernel id, row-wise code, packed default parameters) of a fused activation
    called by name, or None when it is not fused or has required parameters."""
    entry = _manifest.BY_NAME[_manifest.ALIASES.get(name, name)]
    if entry.name in _ROWWISE_CODE:
        return -1, _ROWWISE_CODE[entry.name], _dispatch.NO_PARAMS
    if entry.kind != "elementwise" or any(
            p.default is _manifest.REQUIRED for p in entry.params):
        return None
    packed = _dispatch.check_params(entry.name, {p.name: p.default for p in entry.params})[0]
    kernel_id = -1 if entry.name == "linear" else _dispatch.KERNEL_IDS[entry.name, "fwd"]
    return kernel_id, 0, packed


# Keras names and aliases -> codes, for dense's small-layer path.
_FUSED_BY_NAME = {name: _fused_default(name)
                  for name in list(_manifest.BY_NAME) + list(_manifest.ALIASES)}


def _backward_default(name):
    """(kernel id from z, kernel id from y or -1, row-wise code, packed default
    parameters) for dense_backward's small-layer path, or None."""
    entry = _manifest.BY_NAME[_manifest.ALIASES.get(name, name)]
    fused = _FUSED_BY_NAME[name]
    if fused is None or entry.kind != "elementwise" and entry.name not in _ROWWISE_CODE:
        return None
    kernel_id, rowwise, packed = fused
    if rowwise or entry.name == "linear":
        return -1, -1, rowwise, packed
    defaults = {p.name: p.default for p in entry.params}
    from_y = entry.from_y is not None and entry.from_y(defaults) is None
    return (_dispatch.KERNEL_IDS[entry.name, "dx"],
            _dispatch.KERNEL_IDS[entry.name, "dy"] if from_y else -1, 0, packed)


_BACKWARD_BY_NAME = {name: _backward_default(name) for name in _FUSED_BY_NAME}


def resolve_activation(activation, func="dense", bare=True):
    """A Keras identifier, a fastact activation, a ``functools.partial`` of one
    with keyword parameters, or any callable (not fused).  ``bare``: the
    activation is used as it is (not wrapped in a partial that gives its
    required parameters)."""
    if activation is None:
        return _Activation("linear", {}, activations.linear)
    if isinstance(activation, str):
        target = activations.get(activation)            # ValueError for unknown names
        return resolve_activation(target, func)
    if isinstance(activation, functools.partial) and not activation.args:
        inner = resolve_activation(activation.func, func, bare=False)
        if inner.name is not None:
            act = _manifest.BY_NAME[inner.name]
            known = {p.name for p in act.params}
            if inner.name == "relu" and "alpha" in activation.keywords:
                known.add("alpha")
            unknown = set(activation.keywords) - known
            if unknown:
                raise TypeError(f"{func}: activation {inner.name} has no parameter(s) "
                                f"{sorted(unknown)}; its parameters are {sorted(known)}")
            params = {p.name: p.default for p in act.params}
            kw = dict(activation.keywords)
            if inner.name == "relu" and "alpha" in kw:      # Keras 2's name for the slope
                kw["negative_slope"] = kw.pop("alpha")
            params.update(kw)
            if any(v is _manifest.REQUIRED for v in params.values()):
                missing = [k for k, v in params.items() if v is _manifest.REQUIRED]
                raise TypeError(f"{func}: activation {inner.name} needs {missing}")
            return _Activation(inner.name, params, activation)
        return _Activation(None, {}, activation)
    if callable(activation):
        try:
            name = activations.serialize(activation)
        except ValueError:
            return _Activation(None, {}, activation)
        act = _manifest.BY_NAME[name]
        if bare and any(p.default is _manifest.REQUIRED for p in act.params):
            raise TypeError(f"{func}: activation {name} needs parameters "
                            f"{[p.name for p in act.params]}: pass "
                            f"functools.partial(fastact.activations.{name}, ...)")
        params = {p.name: p.default for p in act.params}
        return _Activation(name, params, activation) if bare else _Activation(name, {}, activation)
    raise TypeError(f"{func}: activation must be a name, a callable or None, got "
                    f"{type(activation).__name__} {activation!r}")


def _compute_dtype(func, **arrays):
    """(compute dtype, result dtype) as NumPy's matmul would give the result."""
    dtypes = []
    for name, a in arrays.items():
        if a is not None:
            _dispatch.result_dtype(a.dtype, func, name)      # TypeError for non-real
            dtypes.append(a.dtype)
    result = np.result_type(*dtypes)
    if result.kind in "biu":
        result = _F64
    if result == _F16:
        return _F32, _F16
    return _dispatch.result_dtype(result, func, "the inputs")


def _matrix(a, dtype):
    """a as a C-contiguous array of dtype: copies only when it is not one already."""
    return np.ascontiguousarray(a, dtype=dtype)


def _rows(lead_shape):
    """Number of samples: the product of the leading axes (1 for a 1-D x)."""
    n = 1
    for d in lead_shape:
        n *= d
    return n


def _check_blas_dims(func, **dims):
    """A ValueError for a GEMM dimension beyond C int, before anything is
    allocated: SciPy's cython_blas would otherwise get it wrapped around.
    (dense's row count is not one: its GEMMs take blocks of <= 8192 rows.)"""
    for name, value in dims.items():
        if value > BLAS_INT_MAX:
            raise ValueError(f"{func}: {name} = {value} exceeds the 32-bit dimension limit "
                             f"of SciPy's BLAS interface ({BLAS_INT_MAX})")


def _prepare(func, x, W, b):
    x = _dispatch.as_array(x, func, "x")
    W = _dispatch.as_array(W, func, "W")
    if W.ndim != 2:
        raise ValueError(f"{func}: W must be 2-D (in_features, units), got shape {W.shape}")
    if x.ndim < 1:
        raise ValueError(f"{func}: x must have at least one dimension (..., in_features), "
                         f"got a 0-d array")
    if x.shape[-1] != W.shape[0]:
        raise ValueError(f"{func}: x has {x.shape[-1]} features (last axis) but W expects "
                         f"{W.shape[0]} (W.shape[0]); shapes {x.shape} and {W.shape}")
    if b is not None:
        b = _dispatch.as_array(b, func, "b")
        if b.shape != (W.shape[1],):
            raise ValueError(f"{func}: b must have shape ({W.shape[1]},) (units), got "
                             f"{b.shape}")
    return x, W, b


def dense(x, W, b=None, activation="linear", *, out=None, return_z=False):
    """``activation(x @ W + b)`` in one fused pass (Keras ``Dense`` layout).

    Parameters
    ----------
    x : array_like, shape (..., in_features)
        Inputs; any rank >= 1 (a 1-D x is one sample).
    W : array_like, shape (in_features, units)
        Keras's kernel layout.  C-contiguous float arrays are used as they are;
        Fortran-ordered or strided ones are copied once to C order.
    b : array_like, shape (units,), optional
    activation : str, callable or None, default "linear"
        A Keras name, None (linear), a fastact activation
        (``fastact.activations.elu``), or one with parameters as
        ``functools.partial(fastact.activations.leaky_relu, negative_slope=0.1)``.
        All of these are fused (softmax and log_softmax row by row over the
        units axis); glu and sparsemax, and any other callable, are applied to
        ``x @ W + b`` afterwards.
    out : ndarray, optional
        Where to write the result, shape (..., units), the result dtype.
    return_z : bool, default False
        Also return the pre-activation ``z = x @ W + b`` (written in the same
        pass; a backward pass may need it).

    Returns
    -------
    y : ndarray, shape (..., units)
        dtype as ``np.matmul`` would give (float16 is computed in float32).
    z : ndarray, optional
        When ``return_z``.

    Raises
    ------
    ValueError
        Shapes that do not fit together (x's last axis is not W.shape[0], b is
        not ``(units,)``, W is not 2-D, x is 0-d), an unknown activation name,
        ``out`` of the wrong shape, or a dimension beyond BLAS's 32-bit limit.
    TypeError
        Non-real inputs, ``out`` of the wrong dtype, or an activation with
        wrong or missing parameters.

    See Also
    --------
    dense_backward : The gradients of this layer.
    fastact.layers.Dense : The same layer with weights, for training.

    Notes
    -----
    The product is SciPy's BLAS GEMM; row blocks run in parallel with BLAS
    held to one thread inside each, and each block's bias and activation are
    applied while it is still in cache: one pass over the output instead of
    the three of ``f(x @ W + b)`` in NumPy.  Results are bitwise identical
    for any thread count.  float16 inputs are computed in float32.

    A Dask ``x`` gives a lazy Dask array, bitwise equal to the in-memory
    result: its rows are rechunked to whole row blocks of the in-memory
    computation, its feature axis to one chunk, and W and b are sent to each
    worker once (``out=`` is then a TypeError).

    Examples
    --------
    >>> import numpy as np, fastact
    >>> fastact.dense(np.ones((2, 3)), np.ones((3, 1)), np.zeros(1), "relu")
    array([[3.],
           [3.]])
    >>> y, z = fastact.dense(np.array([[1.0, -2.0]]), np.eye(2), None, "sigmoid",
    ...                      return_z=True)
    >>> y, z
    (array([[0.73105858, 0.11920292]]), array([[ 1., -2.]]))
    """
    if not return_z and activation.__class__ is str:
        fast = _FUSED_BY_NAME.get(activation)
        if fast is not None:              # small C-contiguous float32/float64 layers
            res = _loops().dense_plain(x, W, b, *fast, out)
            if res is not None:
                return res
    if _dask.any_dask(x):
        return _dask.dense(x, W, b, activation, out, return_z)
    return dense_blocks(x, W, b, activation, out, return_z)


def dense_blocks(x, W, b, activation, out, return_z, block_rows=None):
    """``dense`` with its row blocks of ``block_rows`` rows (None: those
    ``dense_block_rows`` picks for x).  Each block is one GEMM, so a row's
    result depends on the block it is in: the Dask path passes the blocks of
    the whole array to every chunk, to give the whole array's bits."""
    func = "dense"
    x, W, b = _prepare(func, x, W, b)
    act = resolve_activation(activation, func)
    compute, result = _compute_dtype(func, x=x, W=W, b=b)
    in_features, units = W.shape
    lead = x.shape[:-1]
    _check_blas_dims(func, in_features=in_features, units=units)
    fused = act.name is not None and (act.fused_elementwise or act.name in _ROWWISE_CODE)
    if out is not None and fused:
        _dispatch.check_out(out, lead + (units,), result, func)
    n_rows = _rows(lead)
    x2 = _matrix(x, compute).reshape(n_rows, in_features)
    W2 = _matrix(W, compute)
    b2 = None if b is None else _matrix(b, compute)

    kernel_id, rowwise = -1, 0
    if fused and act.name in _ROWWISE_CODE:
        rowwise = _ROWWISE_CODE[act.name]
    elif fused and act.name != "linear":
        kernel_id = _dispatch.KERNEL_IDS[act.name, "fwd"]
    # Write y straight into out when it is a C-contiguous array of the compute
    # dtype that overlaps no input; z gets its own array only when asked for.
    direct = (out is not None and fused and out.dtype == compute and out.flags.c_contiguous
              and not any(np.may_share_memory(out, a) for a in (x, W, b) if a is not None))
    y2 = out.reshape(n_rows, units) if direct else np.empty((n_rows, units), compute)
    z2 = np.empty((n_rows, units), compute) if (return_z or not fused) else y2
    loops = _loops()
    block = block_rows or loops.dense_block_rows(n_rows, in_features, units, compute.itemsize)
    loops.dense_forward(x2, W2, b2, z2, y2, kernel_id, rowwise, act.packed, block)
    z = z2.reshape(lead + (units,))
    if fused:
        y = y2.reshape(lead + (units,))
    else:
        # glu, sparsemax and foreign callables act on z (glu halves the units axis)
        y = np.asarray(act.func(z))
        if out is not None:
            _dispatch.check_out(out, y.shape, np.result_type(y.dtype, result), func)
    if direct:
        res = out
    elif out is not None:
        np.copyto(out, y, casting="unsafe")
        res = out
    else:
        # fastact's own activations follow the dtype rule; foreign callables keep theirs
        res = y if y.dtype == result or act.name is None else y.astype(result)
    if return_z:
        return res, (z if z.dtype == result else z.astype(result))
    return res


def dense_backward(dy, x, W, *, y=None, z=None, activation="linear", use_bias=True,
                   out=None):
    """Gradients of ``y = activation(x @ W + b)``: returns ``(dx, dW, db)``.

    Parameters
    ----------
    dy : array_like, shape (..., units)
        Upstream gradient, dL/dy.
    x : array_like, shape (..., in_features)
    W : array_like, shape (in_features, units)
    y : array_like, optional
        The forward output: enough for activations whose derivative is a
        function of the output (sigmoid, tanh, the relu family, elu, softplus,
        softmax, log_softmax, ...).
    z : array_like, optional
        The pre-activation ``x @ W + b`` (``dense(..., return_z=True)``):
        needed for the others (gelu, silu, mish, ...).
    activation : as for ``dense``
    use_bias : bool, default True
        Whether to return db (else None).
    out : tuple (dx, dW, db) of ndarray or None, optional
        Arrays to write the gradients into, so a training loop allocates
        nothing but dz per step.

    Returns
    -------
    dx : ndarray, shape of x
    dW : ndarray, shape of W
    db : ndarray, shape (units,), or None when ``use_bias`` is False.

    Notes
    -----
    ``dz = dy * f'(z)`` (or the row-wise vector-Jacobian product) is computed
    block of rows by block, and each block is summed into ``db`` and
    multiplied into ``dx = dz @ W.T`` while it is in cache; ``dW = x.T @ dz``
    then runs by column blocks or, for layers of at most 192 units, at least
    8192 rows and 2^20 multiply-adds, as the sum of up to 8 row parts added in
    order, so that both cores work.  The blocks depend on the shapes only and
    ``db`` adds float64 block sums in block order, so all three are bitwise
    identical for any thread count.

    Dask operands give Dask arrays: ``dx`` block by block (bitwise the
    in-memory dx), ``dW`` and ``db`` summed over the row chunks in a tree, in
    float64.  Those differ from the in-memory sums only in the order of the
    additions: by at most ``2 gamma_n |x|^T |dz|`` (``db``: ``2 gamma_n
    sum|dz|``) per element, ``gamma_n = n u / (1 - n u)`` for n rows and the
    unit roundoff u of the dtype.

    Raises
    ------
    TypeError
        The activation needs z= (or y=) and neither was given, y= was given
        for an activation whose derivative is not a function of its output
        (gelu, silu, mish...: pass z=), or non-real inputs.
    ValueError
        Shapes that do not fit together, or ``out`` arrays of the wrong shape.

    See Also
    --------
    dense : The forward pass (``return_z=True`` keeps z for this one).

    Examples
    --------
    >>> import numpy as np, fastact
    >>> x, W = np.array([[1.0, 2.0]]), np.array([[1.0], [-1.0]])
    >>> y = fastact.dense(x, W, np.zeros(1), "relu")           # relu(-1) = 0
    >>> dx, dW, db = fastact.dense_backward(np.ones_like(y), x, W, y=y, activation="relu")
    >>> dx, dW.ravel(), db
    (array([[0., 0.]]), array([0., 0.]), array([0.]))
    >>> y, z = fastact.dense(x, W, np.zeros(1), "gelu", return_z=True)
    >>> dx, dW, db = fastact.dense_backward(np.ones_like(y), x, W, z=z, activation="gelu")
    >>> dx
    array([[-0.08331547,  0.08331547]])
    """
    fast = _BACKWARD_BY_NAME.get(activation) if activation.__class__ is str else None
    if fast is not None and (out is None or (out.__class__ is tuple and len(out) == 3
                                             and (use_bias or out[2] is None))):
        # small C-contiguous float32/float64 layers: one call, same bits
        dz_kernel, dy_kernel, rowwise, packed = fast
        src = kernel = None
        if rowwise:
            src, kernel = y, -1
        elif dz_kernel < 0:                  # linear
            src, kernel = dy, -1
        elif y is not None and dy_kernel >= 0:
            src, kernel = y, dy_kernel
        elif z is not None:
            src, kernel = z, dz_kernel
        if src is not None:
            res = _loops().dense_backward_plain(
                dy, x, W, src, kernel, rowwise, packed,
                *(out if out is not None else (None, None, None)), use_bias)
            if res is not None:
                return res
    if _dask.any_dask(dy, x, y, z):
        return _dask.dense_backward(dy, x, W, y, z, activation, use_bias, out)
    return dense_backward_blocks(dy, x, W, y, z, activation, use_bias, out)


def dense_backward_blocks(dy, x, W, y, z, activation, use_bias, out, block_rows=None):
    """``dense_backward`` with row blocks of ``block_rows`` rows (see ``dense_blocks``)."""
    func = "dense_backward"
    x, W, _ = _prepare(func, x, W, None)
    act = resolve_activation(activation, func)
    dy = _dispatch.as_array(dy, func, "dy")
    in_features, units = W.shape
    z_shape = x.shape[:-1] + (units,)
    # glu halves the units axis: dy and y have half of z's units
    y_units = units // 2 if act.name == "glu" else units
    y_shape = x.shape[:-1] + (y_units,)
    if dy.shape != y_shape:
        raise ValueError(f"{func}: dy must have shape {y_shape} (x's leading axes, the "
                         f"output's units), got {dy.shape}")
    for name, a, shape in (("y", y, y_shape), ("z", z, z_shape)):
        if a is not None:
            a = _dispatch.as_array(a, func, name)
            if a.shape != shape:
                raise ValueError(f"{func}: {name} must have shape {shape}, got {a.shape}")
    y = None if y is None else _dispatch.as_array(y, func, "y")
    z = None if z is None else _dispatch.as_array(z, func, "z")
    compute, result = _compute_dtype(func, dy=dy, x=x, W=W, y=y, z=z)
    # dW = x.T @ dz sums over every row in one GEMM: the rows are a BLAS dimension
    _check_blas_dims(func, in_features=in_features, units=units,
                     rows=_rows(x.shape[:-1]))
    if out is None:
        out = (None, None, None)
    if not (isinstance(out, tuple) and len(out) == 3):
        raise TypeError(f"{func}: out must be a tuple (dx, dW, db) of arrays or None")
    dx_out, dW_out, db_out = out
    if dx_out is not None:
        _dispatch.check_out(dx_out, x.shape, result, func + " (out[0], dx)")
    if dW_out is not None:
        _dispatch.check_out(dW_out, W.shape, result, func + " (out[1], dW)")
    if db_out is not None:
        if not use_bias:
            raise ValueError(f"{func}: out[2] (db) given but use_bias is False")
        _dispatch.check_out(db_out, (units,), result, func + " (out[2], db)")

    n_rows = _rows(x.shape[:-1])
    dy2 = _matrix(dy, compute).reshape(n_rows, y_units)
    x2 = _matrix(x, compute).reshape(n_rows, in_features)
    W2 = _matrix(W, compute)
    loops = _loops()
    block = block_rows or loops.dense_block_rows(n_rows, in_features, units, compute.itemsize)
    dz_from, src, kernel_id, rowwise, params = _dz_recipe(func, act, dy2, y, z, compute, units)

    # An out array that overlaps an input (dx = x, say) gets a temporary: dW is
    # computed from x after dx is written.
    inputs = [a for a in (dy, x, W, y, z) if a is not None]
    dx_target = _grad_target(dx_out, (n_rows, in_features), compute, inputs)
    dW_target = _grad_target(dW_out, (in_features, units), compute, inputs)
    db_target = None
    if use_bias:
        # (db is written from dz only: overlapping an input does no harm)
        db_target = db_out if (db_out is not None and db_out.dtype == compute
                               and db_out.flags.c_contiguous) else np.empty(units, compute)
    dz = dz_from if kernel_id < 0 and not rowwise else np.empty(dz_from.shape, compute)
    loops.dense_backward_blocks(dz_from, src, dz, kernel_id, rowwise, params,
                                x2, W2, dx_target, dW_target, db_target, block)
    dx = _deliver(dx_target, dx_out, x.shape)
    dW = _deliver(dW_target, dW_out, W.shape)
    db = None
    if use_bias:
        if db_out is not None and db_target is not db_out:
            np.copyto(db_out, db_target, casting="unsafe")
            db_target = db_out
        db = db_target
    return tuple(a if a is None or a.dtype == result else a.astype(result)
                 for a in (dx, dW, db))


def _grad_target(user_out, shape2, compute, inputs):
    """The user's out array (as a matrix) when it can be written directly, else a new one."""
    if (user_out is not None and user_out.dtype == compute and user_out.flags.c_contiguous
            and not any(np.may_share_memory(user_out, i) for i in inputs)):
        return user_out.reshape(shape2)
    return np.empty(shape2, compute)


def _deliver(target, user_out, shape):
    """The gradient in its final shape, copied into the user's array if it is not there."""
    if user_out is None:
        return target.reshape(shape)
    if not np.shares_memory(target, user_out):
        np.copyto(user_out, target.reshape(shape), casting="unsafe")
    return user_out


def _dz_recipe(func, act, dy2, y, z, compute, units):
    """How dz = dy * f'(.) is formed, from y or z, whichever the activation
    allows: (dy or a precomputed dz, src, kernel id, row-wise code, params)
    for dense_backward_blocks, which forms it block by block.  Kernel id -1
    with row-wise code 0: the first array is dz itself."""
    name = act.name
    if name is None:
        raise TypeError(f"{func}: activation {act.func!r} is not a fastact activation; its "
                        f"derivative is unknown")
    shape2 = dy2.shape
    if name == "linear":
        return dy2, dy2, -1, 0, _dispatch.NO_PARAMS
    if name in _ROWWISE_CODE:
        if y is None:
            if z is None:
                raise TypeError(f"{func}: activation {name} needs y= (the forward output) "
                                f"or z= (the pre-activation)")
            y = getattr(activations, name)(_matrix(z, compute).reshape(shape2))
        y2 = _matrix(y, compute).reshape(shape2)
        return dy2, y2, -1, _ROWWISE_CODE[name], _dispatch.NO_PARAMS
    entry = _manifest.BY_NAME[name]
    if entry.kind == "rowwise":            # glu, sparsemax: their VJPs from x = z
        if z is None and not (name == "sparsemax" and y is not None):
            raise TypeError(f"{func}: activation {name} needs z= (the pre-activation)")
        vjp = getattr(derivatives, name)
        if name == "glu":
            res = vjp(dy2, _matrix(z, compute).reshape(shape2[0], units))
        else:
            res = vjp(dy2, None if z is None else _matrix(z, compute).reshape(shape2),
                      y=None if y is None else _matrix(y, compute).reshape(shape2))
        res = _matrix(res, compute)
        return res, res, -1, 0, _dispatch.NO_PARAMS
    why = "it has no form from y" if entry.from_y is None else entry.from_y(act.clean)
    if y is not None and why is None:
        src, mode = _matrix(y, compute).reshape(shape2), "dy"
    elif z is not None:
        src, mode = _matrix(z, compute).reshape(shape2), "dx"
    elif y is not None:
        raise TypeError(f"{func}: y= cannot give the derivative of {name} ({why}): pass "
                        f"z= (the pre-activation, dense(..., return_z=True))")
    else:
        needed = "y= (the forward output) or z=" if why is None else "z="
        raise TypeError(f"{func}: activation {name} needs {needed} (the pre-activation, "
                        f"dense(..., return_z=True))")
    return dy2, src, _dispatch.KERNEL_IDS[name, mode], 0, act.packed
