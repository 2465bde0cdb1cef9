"""Dask arrays in, lazy Dask arrays out.

Every fastact function that takes arrays checks for a Dask array on its slow
path only (an input that is not an ndarray), so NumPy calls pay nothing, and
``import fastact`` never imports Dask: a Dask array exists only once the user
has imported ``dask.array`` (``is_dask`` looks in ``sys.modules``).

The graphs built here run the in-memory fastact function on each block, so a
block of the result is bitwise what fastact gives for those rows in memory:

* elementwise functions and derivatives: ``map_blocks``, same chunks;
* row-wise functions (softmax, log_softmax, sparsemax, glu and their VJPs):
  the reduction axes must each be one chunk -- they are rechunked so, and a
  ValueError says so when their chunk sizes are unknown (NaN) and cannot be;
* ``dense``: rows stay chunked, rechunked to whole row blocks of the
  in-memory computation over all rows (BLAS rounds a row according to the
  block it is in), the feature axis becomes one chunk; W and b enter the
  graph once, as one key each, so each worker receives them once instead of
  once per task;
* ``dense_backward``: dx block by block; dW and db are per-chunk partial sums
  added in a tree (Dask's ``sum``), in float64, then rounded to the result
  dtype.  They differ from the in-memory result only in the order of the
  float additions (see ``dense_backward``'s Notes for the bound);
* ``Sequential.predict``: the model (its config and weights) enters the graph
  once; the samples are rechunked to whole batches, and each block is
  ``model.predict(block, batch_size)``.

``out=`` cannot name a lazy result: it is a TypeError (``dask.array.store``
writes a Dask array into an existing one).
"""

import math
import operator
import sys

import numpy as np

from . import _dispatch


def is_dask(x):
    """True for a ``dask.array.Array``, without importing Dask."""
    module = sys.modules.get("dask.array")
    return module is not None and isinstance(x, module.Array)


def any_dask(*arrays):
    """True when one of the arrays (None allowed) is a Dask array.  A plain
    loop: it runs on every call of the functions that take several arrays."""
    for a in arrays:
        if a.__class__ is not np.ndarray and a is not None and is_dask(a):
            return True
    return False


def _modules():
    import dask
    import dask.array as da
    return dask, da


# ------------------------------------------------------------- validation

def _no_out(func, out):
    if out is not None:
        raise TypeError(f"{func}: out= cannot hold a lazy Dask result; compute it, or write "
                        f"it into an array with dask.array.store")


def _numpy_chunks(x, func, argname):
    """x, after checking that its blocks are NumPy arrays (not CuPy, sparse...)."""
    meta = getattr(x, "_meta", None)
    if type(meta) is not np.ndarray:
        raise TypeError(f"{func}: {argname} is a Dask array of {type(meta).__name__} "
                        f"blocks; fastact computes on NumPy blocks (map them with "
                        f"x.map_blocks(numpy.asarray))")
    return x


def _whole(x, axes, func, argname, what="axis"):
    """x with each of ``axes`` in a single chunk (rechunked when split)."""
    split = [a for a in axes if len(x.chunks[a]) > 1]
    if not split:
        return x
    unknown = [a for a in split if any(math.isnan(c) for c in x.chunks[a])]
    if unknown:
        raise ValueError(f"{func}: {what} {unknown[0]} of {argname} is split into chunks of "
                         f"unknown size, so it cannot be rechunked into the one chunk "
                         f"fastact needs there; call {argname}.compute_chunk_sizes() first")
    return x.rechunk({a: -1 for a in split})


def _known(n):
    return not math.isnan(n)


def _same_shape(a, b):
    """Shapes equal wherever both are known (NaN: a chunk size Dask does not know yet)."""
    return len(a) == len(b) and all(p == q for p, q in zip(a, b) if _known(p) and _known(q))


def _to_dask(a, like, func, argname):
    """A NumPy (or array-like) operand as a Dask array chunked like ``like``."""
    _, da = _modules()
    if is_dask(a):
        return _numpy_chunks(a, func, argname)
    a = _dispatch.as_array(a, func, argname)
    if like is None or a.shape != like.shape:   # (callers word a mismatch themselves)
        return da.from_array(a)
    return da.from_array(a, chunks=like.chunks)


def _blockwise(func, arrays, private_axes, out_index, *args, dtype, new_axes=None):
    """``func(*blocks, *args)`` on matching blocks of ``arrays`` (all of one
    ndim), rechunked to common chunks on every axis but ``private_axes``:
    those may differ in size between the arrays (glu's halved axis, the
    feature axes of dense) and must each be one chunk already.  ``out_index``
    names the output's axes: ``index(k, axis)`` for an axis of array k, or a
    key of ``new_axes`` (name -> size)."""
    _, da = _modules()
    operands = []
    for k, a in enumerate(arrays):
        operands += [a, tuple(_index(k, i, private_axes) for i in range(a.ndim))]
    for arg in args:
        operands += [arg, None]
    return da.blockwise(func, out_index, *operands, dtype=dtype, new_axes=new_axes,
                        concatenate=True, meta=_meta(len(out_index), dtype))


def _index(k, axis, private_axes):
    """Index of ``axis`` of the k-th array in ``_blockwise``: shared by all
    arrays unless private."""
    return f"private{k}.{axis}" if axis in private_axes else f"axis{axis}"


def _meta(ndim, dtype):
    return np.empty((0,) * ndim, dtype=dtype)


# -------------------------------------------------------------- elementwise

def unary(name, mode, x, out, params, argname):
    """``_dispatch.unary`` on every block."""
    _no_out(name, out)
    _numpy_chunks(x, name, argname)
    _, result = _dispatch.result_dtype(x.dtype, name, argname)
    return x.map_blocks(_unary_block, name, mode, params, argname, dtype=result,
                        meta=_meta(x.ndim, result))


def _unary_block(block, name, mode, params, argname):
    return np.asarray(_dispatch.unary(name, mode, block, None, params, argname))


def grad(name, mode, x, dy, out, params, argname):
    """``_dispatch.grad`` (dy * f') on every pair of blocks."""
    _no_out(name, out)
    like = x if is_dask(x) else dy
    x = _to_dask(x, like, name, argname)
    dy = _to_dask(dy, like, name, "dy")
    if not _same_shape(x.shape, dy.shape):
        raise ValueError(f"{name}: dy has shape {dy.shape}, expected the shape of "
                         f"{argname} {x.shape}")
    result = np.promote_types(_dispatch.result_dtype(x.dtype, name, argname)[1],
                              _dispatch.result_dtype(dy.dtype, name, "dy")[1])
    return _blockwise(_grad_block, [x, dy], (), tuple(_index(0, i, ()) for i in range(x.ndim)),
                      name, mode, params, argname, dtype=result)


def _grad_block(x, dy, name, mode, params, argname):
    return np.asarray(_dispatch.grad(name, mode, x, dy, None, params, argname))


# ---------------------------------------------------------------- row-wise

def _rowwise_axes(func, x, axis, argname, single=False):
    if x.ndim == 0:
        raise ValueError(f"{func}: {argname} must have at least one dimension (the axis to "
                         f"reduce), got a 0-d array")
    axes = _dispatch.normalize_axis(axis, x.ndim, func)
    if single and len(axes) != 1:
        raise ValueError(f"{func}: axis must be a single int, got {axis!r}")
    return axes


def _glu_half(func, x, ax, axis):
    """Half the size of axis ``ax`` of x (glu's output along it)."""
    n = x.shape[ax]
    if _known(n) and n % 2:
        raise ValueError(f"{func}: the size of axis {axis} must be even to split it in "
                         f"two halves, got {n}")
    return n // 2


def rowwise(kernel, func, x, axis, out, **options):
    """``kernel(func, block, axis, None, **options)`` -- one of ``_rowwise``'s
    softmax, sparsemax or glu -- with the reduction axes whole in each block."""
    _no_out(func, out)
    _numpy_chunks(x, func, "x")
    glu = func == "glu"
    axes = _rowwise_axes(func, x, axis, "x", single=glu)
    _, result = _dispatch.result_dtype(x.dtype, func, "x")
    x = _whole(x, axes, func, "x")
    chunks = x.chunks
    if glu:
        (ax,) = axes
        chunks = chunks[:ax] + ((_glu_half(func, x, ax, axis),),) + chunks[ax + 1:]
    return x.map_blocks(_rowwise_block, kernel, func, axis, options, dtype=result,
                        chunks=chunks, meta=_meta(x.ndim, result))


def _rowwise_block(block, kernel, func, axis, options):
    return kernel(func, block, axis, None, **options)


def rowwise_vjp(kernel, func, dy, x, y, axis, out, **options):
    """A row-wise VJP, ``kernel(func, dy, x, [y,] axis, None, **options)`` --
    ``_rowwise``'s softmax_vjp, sparsemax_vjp or glu_vjp -- block by block."""
    _no_out(func, out)
    glu = func == "glu"
    if glu and x is None:
        raise TypeError(f"{func}: x= (the input) is required: glu's output does not "
                        f"determine its gradient")
    if not glu and (x is None) == (y is None):
        raise TypeError(f"{func}: pass exactly one of x= (the input) and y= (the output "
                        f"of {func})")
    source_name, source = ("x", x) if x is not None else ("y", y)
    like = next(a for a in (dy, source) if is_dask(a))
    source = _to_dask(source, like, func, source_name)
    axes = _rowwise_axes(func, source, axis, source_name, single=glu)
    dy = _to_dask(dy, source if not glu else like, func, "dy")
    expected = source.shape
    if glu:
        (ax,) = axes
        expected = expected[:ax] + (_glu_half(func, source, ax, axis),) + expected[ax + 1:]
    if not _same_shape(dy.shape, expected):
        raise ValueError(f"{func}: dy has shape {dy.shape}, expected {expected}")
    result = np.promote_types(_dispatch.result_dtype(source.dtype, func, source_name)[1],
                              _dispatch.result_dtype(dy.dtype, func, "dy")[1])
    source = _whole(source, axes, func, source_name)
    dy = _whole(dy, axes, func, "dy")
    private = axes if glu else ()
    out_index = tuple(_index(1, i, private) for i in range(source.ndim))
    return _blockwise(_vjp_block, [dy, source], private, out_index, kernel, func,
                      source_name, axis, options, dtype=result)


def _vjp_block(dy, source, kernel, func, source_name, axis, options):
    if func == "glu":
        return kernel(func, dy, source, axis, None)
    x, y = (source, None) if source_name == "x" else (None, source)
    return kernel(func, dy, x, y, axis, None, **options)


# ------------------------------------------------------------------- dense

def _weights(func, W, b):
    """W and b as C-contiguous NumPy arrays (their dtype kept), never Dask arrays."""
    for name, a in (("W", W), ("b", b)):
        if a is not None and is_dask(a):
            raise TypeError(f"{func}: {name} must be a NumPy array (it is sent to every "
                            f"worker once); compute it first ({name}.compute())")
    W = np.ascontiguousarray(_dispatch.as_array(W, func, "W"))
    if b is not None:
        b = np.ascontiguousarray(_dispatch.as_array(b, func, "b"))
    return W, b


def _rows_probe(a, func, argname):
    """A one-row zero array with ``a``'s last axis and dtype: the in-memory
    function run on probes validates the arguments and gives the output's
    dtype and last axis, without computing anything of ``a``."""
    if a.ndim == 0:
        raise ValueError(f"{func}: {argname} must have at least one dimension "
                         f"(..., features), got a 0-d array")
    if not _known(a.shape[-1]):
        raise ValueError(f"{func}: the last axis of {argname} has unknown size; call "
                         f"{argname}.compute_chunk_sizes() first")
    _dispatch.result_dtype(a.dtype, func, argname)
    return np.zeros((1, a.shape[-1]), a.dtype)


def _row_matrix(a, func, argname):
    """An operand of shape (..., features) as a (rows, features) Dask array,
    its feature axis one chunk."""
    a = _to_dask(a, None, func, argname)
    if not all(_known(n) for n in a.shape):
        raise ValueError(f"{func}: {argname} has axes of unknown size; call "
                         f"{argname}.compute_chunk_sizes() first")
    if a.ndim != 2:
        a = a.reshape((-1, a.shape[-1]) if a.ndim else (1, 1))
    return _whole(a, (1,), func, argname, what="feature axis")


def _aligned_rows(a, block_rows):
    """a (rows, ...) rechunked so that every chunk starts at a multiple
    of ``block_rows``: a chunk then holds whole row blocks of the in-memory
    computation over all rows, which it repeats GEMM for GEMM."""
    rows = a.chunks[0]
    if all(n % block_rows == 0 for n in rows[:-1]):
        return a
    target = max(1, round(sum(rows) / len(rows) / block_rows)) * block_rows
    return a.rechunk({0: target})


def _block_rows(func, n_rows, in_features, units, dtype):
    from . import _dense
    return _dense._loops().dense_block_rows(n_rows, in_features, units, dtype.itemsize)


def dense(x, W, b, activation, out, return_z):
    """``fastact.dense`` on row chunks of a Dask x (see the module docstring)."""
    from . import _dense
    dask, _ = _modules()
    func = "dense"
    _no_out(func, out)
    _numpy_chunks(x, func, "x")
    W, b = _weights(func, W, b)
    y1, z1 = _dense.dense(_rows_probe(x, func, "x"), W, b, activation, return_z=True)
    lead = x.shape[:-1]
    x = _row_matrix(x, func, "x")
    compute, _ = _dense._compute_dtype(func, x=x, W=W, b=b)
    block = _block_rows(func, x.shape[0], *W.shape, compute)
    x = _aligned_rows(x, block)
    # one graph key each, so a worker fetches them once, not once per task
    W_key = dask.delayed(W, pure=True)
    b_key = None if b is None else dask.delayed(b, pure=True)
    if not return_z:
        y = x.map_blocks(_dense.dense_blocks, W_key, b_key, activation, None, False, block,
                         chunks=(x.chunks[0], (y1.shape[-1],)), dtype=y1.dtype,
                         meta=_meta(2, y1.dtype))
        return y.reshape(lead + y.shape[1:])
    pairs = x.map_blocks(_dense.dense_blocks, W_key, b_key, activation, None, True, block,
                         chunks=(x.chunks[0], (1,)), dtype=object, meta=_meta(2, object))
    return tuple(_output(pairs, k, (x.chunks[0], (a.shape[-1],)), a.dtype).reshape(
        lead + a.shape[1:]) for k, a in enumerate((y1, z1)))


def _output(tuples, k, chunks, dtype):
    """Output k of an array whose blocks are tuples of arrays: the pattern of
    dask.array.apply_gufunc, one task computes several results."""
    return tuples.map_blocks(operator.getitem, k, chunks=chunks, dtype=dtype,
                             meta=_meta(len(chunks), dtype))


def dense_backward(dy, x, W, y, z, activation, use_bias, out):
    """``fastact.dense_backward`` on row chunks; dW and db summed over chunks in a tree."""
    from . import _dense
    dask, _ = _modules()
    func = "dense_backward"
    _no_out(func, out)
    W, _ = _weights(func, W, None)
    operands = {"x": x, "dy": dy, "y": y, "z": z}
    like = next(a for a in operands.values() if a is not None and is_dask(a))
    _numpy_chunks(like, func, "the Dask operand")
    for name, a in operands.items():
        if a is not None and not is_dask(a):
            operands[name] = _dispatch.as_array(a, func, name)
    probes = {name: None if a is None else _rows_probe(a, func, name)
              for name, a in operands.items()}
    dx1, dW1, db1 = _dense.dense_backward(
        probes["dy"], probes["x"], W, y=probes["y"], z=probes["z"], activation=activation,
        use_bias=use_bias)
    x_shape = operands["x"].shape
    for name in ("dy", "y", "z"):
        a = operands[name]
        if a is not None and a.shape[:-1] != x_shape[:-1]:
            raise ValueError(f"{func}: {name} has shape {a.shape}; its leading axes must "
                             f"be those of x, {x_shape[:-1]}")
    x = _row_matrix(operands["x"], func, "x")
    # the in-memory call's row blocks, for its compute dtype (matmul's rule)
    block = _block_rows(func, x.shape[0], *W.shape, _dense._compute_dtype(
        func, **{n: a for n, a in operands.items() if a is not None}, W=W)[0])
    x = _aligned_rows(x, block)
    rows = {"x": x}
    for name in ("dy", "y", "z"):
        if operands[name] is not None:
            rows[name] = _row_matrix(operands[name], func, name).rechunk({0: x.chunks[0]})
    names = list(rows)
    parts = _blockwise(_backward_block, list(rows.values()), (1,), ("axis0", "block"), names,
                       dask.delayed(W, pure=True), activation, use_bias, block, dtype=object,
                       new_axes={"block": 1})
    dx = _output(parts, 0, (x.chunks[0], (W.shape[0],)), dx1.dtype).reshape(x_shape)
    dW = _sum_of_blocks(parts, 1, W.shape, dW1.dtype)
    db = None if db1 is None else _sum_of_blocks(parts, 2, db1.shape, db1.dtype)
    return dx, dW, db


def _backward_block(*blocks_and_options):
    from . import _dense
    *blocks, names, W, activation, use_bias, block_rows = blocks_and_options
    given = dict(zip(names, blocks))
    dx, dW, db = _dense.dense_backward_blocks(
        given["dy"], given["x"], W, given.get("y"), given.get("z"), activation, use_bias,
        None, block_rows)
    return dx, dW[None], None if db is None else db[None]


def _sum_of_blocks(parts, k, shape, dtype):
    """The sum of output k over the row chunks (a partial sum per chunk, with
    a leading axis of length 1): added in a tree, in float64."""
    partials = parts.map_blocks(
        operator.getitem, k, chunks=((1,) * parts.numblocks[0],) + tuple((n,) for n in shape),
        new_axis=list(range(2, 1 + len(shape))), dtype=dtype, meta=_meta(1 + len(shape), dtype))
    return partials.sum(axis=0, dtype=np.float64).astype(dtype)


# ------------------------------------------------------------------- models

def predict(model, x, batch_size):
    """``model.predict(block, batch_size)`` on every block of samples."""
    dask, _ = _modules()
    func = f"{model.name}.predict"
    _numpy_chunks(x, func, "x")
    if x.ndim < 2:
        raise ValueError(f"{model.name}: inputs must be (samples, features...), got shape "
                         f"{x.shape}")
    if not all(_known(n) for n in x.shape[1:]):
        raise ValueError(f"{func}: x has feature axes of unknown size; call "
                         f"x.compute_chunk_sizes() first")
    # One sample, on the client: builds the model (the workers must all get
    # the same initial weights) and gives the output's shape and dtype.
    one = model.predict(np.zeros((1,) + x.shape[1:], x.dtype), batch_size=batch_size)
    x = _whole(x, range(1, x.ndim), func, "x", what="feature axis")
    # whole batches in every chunk: the in-memory predict's calls, batch for batch
    x = _aligned_rows(x, batch_size)
    out_ndim = one.ndim
    chunks = x.chunks[:1] + tuple((n,) for n in one.shape[1:])
    extra = {}
    if out_ndim < x.ndim:
        extra["drop_axis"] = list(range(out_ndim, x.ndim))
    elif out_ndim > x.ndim:
        extra["new_axis"] = list(range(x.ndim, out_ndim))
    return x.map_blocks(_predict_block, dask.delayed(model, pure=True), batch_size,
                        chunks=chunks, dtype=one.dtype, meta=_meta(out_ndim, one.dtype),
                        **extra)


def _predict_block(x, model, batch_size):
    return model.predict(x, batch_size=batch_size)
