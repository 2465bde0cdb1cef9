#!/usr/bin/env python3
"""Benchmark fastact's fused dense layer against NumPy, PyTorch and JAX.

What it measures
----------------
Forward: ``y = act(x @ W + b)`` with x (N, in), W (in, units), b (units,),
for every dtype, shape (N x in x units), activation and thread count.  All
contenders of one row are timed in the same run with their repetitions
interleaved (every repeat times each contender once, in a rotating order) so
machine noise hits them alike; each repeat lasts at least ``--min-time``
(many calls for tiny shapes, one call for big ones) and the figure reported
is the median per-call time over ``--repeats``.

* ``fa``       ``fastact.dense(x, W, b, act, out=y)`` into a preallocated y
               (the form the targets are about);
* ``fa-alloc`` ``fastact.dense(x, W, b, act)``, allocating its result;
* ``np``       NumPy written the natural way: ``1/(1+np.exp(-(x@W+b)))``,
               ``np.tanh(x@W+b)``, ``np.maximum(x@W+b, 0)``, exact gelu
               ``0.5*z*(1+erf(z/sqrt2))``, softmax ``exp(z-max)/sum``;
               it allocates, and is compared with ``fa-alloc``;
* ``np-out``   NumPy best effort: ``np.matmul(x, W, out=z)``,
               ``np.add(z, b, out=z)`` and the activation in place
               (``scipy.special.expit``, ``np.tanh``, ``np.maximum``,
               ``z * scipy.special.ndtr(z)``, softmax with preallocated row
               buffers); compared with ``fa``;
* ``torch``    ``torch.nn.functional.linear`` + the activation on
               ``torch.from_numpy`` views, ``torch.set_num_threads(n)``;
               allocating, compared with ``fa-alloc`` (only when importable);
* ``jax``      the same maths under ``jax.jit`` on arrays already on the
               device, ``block_until_ready()``; allocating, compared with
               ``fa-alloc`` (only when importable);
* ``mm``       the FLOOR: the faster of the bare ``np.matmul(x, W)`` and
               ``np.matmul(x, W, out=z)``.  A fused layer does this GEMM and
               more, so it cannot beat it by much.

Backward: the gradients of the same layer for an upstream gradient dy.

* ``fa``       ``fastact.dense_backward(dy, x, W, y=y, activation=act,
               out=(dx, dW, db))`` (``z=`` instead of ``y=`` for gelu, whose
               derivative needs the pre-activation);
* ``fa-alloc`` the same without ``out=``;
* ``np``       the NumPy formula ``dz = dy * f'``; ``dx = dz @ W.T``;
               ``dW = x.T @ dz``; ``db = dz.sum(0)``, allocating (vs fa-alloc);
* ``np-out``   the same into preallocated dz, dx, dW, db (vs fa);
* ``2gemm``    the FLOOR: the two bare GEMMs it contains,
               ``np.matmul(dz, W.T, out=dx)`` and ``np.matmul(x.T, dz, out=dW)``.

Threads: each table runs with n threads in total for every contender:
fastact's OpenMP via ``threadpool_limits(n, user_api="openmp")``, NumPy's and
SciPy's OpenBLAS via ``threadpool_limits(n, user_api="blas")``, torch via
``torch.set_num_threads(n)``.  JAX's thread pool cannot be resized once
started, so when n is below the usable CPU count the whole process is
confined to n CPUs (``os.sched_setaffinity``) for that table (``--no-pin``
turns this off).  NumPy's elementwise ufuncs and SciPy's special functions
are single-threaded whatever n.  ``OPENBLAS_THREAD_TIMEOUT`` defaults to 4 here
(unless set): OpenBLAS's idle workers then sleep at once instead of spinning
~0.1 s after each GEMM, which would take a CPU from whichever contender runs
next (it made fastact's 2-thread dense 2-3x slower right after an np.matmul);
the GEMMs themselves run no slower.  Run on an otherwise idle machine: when n
equals the CPU count, any other busy process stalls the parallel contenders
(a parallel GEMM or loop waits for its preempted thread), and times jump by
whole scheduler slices (several ms); the header warns when the load is high.

Before timing, each competitor's result is checked once against fastact;
a mismatch is printed as a note (and the competitor still timed), an
exception drops it with a note.

How to read the tables
----------------------
One forward and one backward table per (dtype, threads); a row per shape and
activation.  Times carry their unit (ns, µs, ms, s).  A competitor cell is
``time ratio`` with ratio = competitor time / fastact time in the same form
(allocating versus ``fa-alloc``, ``out=`` versus ``fa``): above 1 means
fastact is faster.  ``fa/mm`` (``fa/2g`` for backward) = fastact ``out=`` time
/ floor time: 1.00 means the fused layer costs no more than its bare GEMM(s).
The last column checks the issue's targets, stated for float32 with 2
threads (evaluated in every table, for information):

* GEMM-bound shapes (1024x512x512, 8192x1024x1024): fa <= 1.05 x mm;
* skinny shapes (65536x64x64, 262144x16x16): fa <= 1.3 x mm, and NumPy naive
  >= 3 x slower than fa-alloc;
* tiny (8x10x1): per call, fa and fa-alloc each <= 2 x mm;
* every shape: faster than NumPy best effort and every other competitor;
* backward: fa <= 1.15 x 2gemm, and faster than both NumPy forms.

``ok``, or ``MISS`` with what fell short: ``mm`` / ``2gemm`` (over the floor
limit; see the fa/mm column), ``alloc`` (tiny: fa-alloc over 2 x mm),
``np<3x`` (not 3x faster than NumPy naive), or the label of each competitor
as fast as fastact or faster (its ratio is in the table).

Usage
-----
    python bench/bench_dense.py --quick            # < 1 minute
    python bench/bench_dense.py                    # float32: 7 shapes, 5 activations, 1, 2 thr
    python bench/bench_dense.py --dtype both --threads 2 --only sigmoid,gelu \\
        --only-shapes 1024x512x512,65536x64x64 --json dense.json
    python bench/bench_dense.py --from-json dense.json     # print a saved run again
"""

import argparse
import dataclasses
import gc
import importlib
import json
import math
import sys
import textwrap
import time

# _harness first: it sets OPENBLAS_THREAD_TIMEOUT before NumPy loads OpenBLAS.
from _harness import (Contender, load_average, machine_context, measure,  # noqa: E402
                      print_machine, progress, thread_count, _fmt_load)
from _report import (fmt_ratio, fmt_time, names_option, parse_shape,  # noqa: E402
                     shape_name, timing_defaults)

import numpy as np  # noqa: E402
import scipy.special as sc  # noqa: E402

import fastact  # noqa: E402
import fastact._kernels  # noqa: E402

SEED = 20240607
SQRT1_2 = math.sqrt(0.5)            # Python floats keep float32 arrays float32
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)

SHAPES = ((8, 10, 1), (32, 128, 64), (256, 784, 128), (1024, 512, 512),
          (8192, 1024, 1024), (65536, 64, 64), (262144, 16, 16))
QUICK_SHAPES = ((8, 10, 1), (256, 784, 128), (1024, 512, 512), (65536, 64, 64))
ACTIVATIONS = ("sigmoid", "tanh", "relu", "gelu", "softmax")

GEMM_BOUND = {(1024, 512, 512), (8192, 1024, 1024)}
SKINNY = {(65536, 64, 64), (262144, 16, 16)}
TINY = {(8, 10, 1)}
GEMM_BOUND_LIMIT, SKINNY_LIMIT, TINY_LIMIT, BACKWARD_LIMIT = 1.05, 1.3, 2.0, 1.15
SKINNY_NAIVE_SPEEDUP = 3.0

FORWARD_COMPETITORS = ("np", "np-out", "torch", "jax")
BACKWARD_COMPETITORS = ("np", "np-out")

# ---------------------------------------------------------------- NumPy forms


def _softmax_rows_inplace(z, m):
    """z <- softmax(z) over axis 1, with m an (N, 1) scratch buffer."""
    np.max(z, axis=1, keepdims=True, out=m)
    np.subtract(z, m, out=z)
    np.exp(z, out=z)
    np.sum(z, axis=1, keepdims=True, out=m)
    return np.divide(z, m, out=z)


def numpy_naive(act, x, W, b):
    """The natural one-liner (allocates every temporary)."""
    if act == "sigmoid":
        return 1 / (1 + np.exp(-(x @ W + b)))
    if act == "tanh":
        return np.tanh(x @ W + b)
    if act == "relu":
        return np.maximum(x @ W + b, 0)
    if act == "gelu":
        z = x @ W + b
        return 0.5 * z * (1 + sc.erf(z * SQRT1_2))
    if act == "softmax":
        z = x @ W + b
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise ValueError(act)


def numpy_best(act, x, W, b, o, z, m):
    """Best effort: preallocated o (result), z (scratch, gelu) and m (N, 1)."""
    if act == "gelu":                       # gelu(z) = z * Phi(z): needs z and o apart
        np.matmul(x, W, out=z)
        np.add(z, b, out=z)
        sc.ndtr(z, out=o)
        return np.multiply(o, z, out=o)
    np.matmul(x, W, out=o)
    np.add(o, b, out=o)
    if act == "sigmoid":
        return sc.expit(o, out=o)
    if act == "tanh":
        return np.tanh(o, out=o)
    if act == "relu":
        return np.maximum(o, 0, out=o)
    if act == "softmax":
        return _softmax_rows_inplace(o, m)
    raise ValueError(act)


def numpy_dz(act, dy, y, z):
    """dz = dy * f'(.), allocating (y for all but gelu, which uses z)."""
    if act == "sigmoid":
        return dy * y * (1 - y)
    if act == "tanh":
        return dy * (1 - y * y)
    if act == "relu":
        return dy * (y > 0)
    if act == "gelu":
        return dy * (sc.ndtr(z) + z * INV_SQRT_2PI * np.exp(-0.5 * z * z))
    if act == "softmax":
        return y * (dy - (dy * y).sum(axis=1, keepdims=True))
    raise ValueError(act)


def numpy_backward_naive(act, dy, x, W, y, z):
    dz = numpy_dz(act, dy, y, z)
    return dz @ W.T, x.T @ dz, dz.sum(axis=0)


def numpy_dz_best(act, dy, y, z, dz, t, m):
    """dz <- dy * f'(.) with preallocated dz, t (same shape) and m (N, 1)."""
    if act == "sigmoid":
        np.subtract(1, y, out=dz)
        np.multiply(dz, y, out=dz)
    elif act == "tanh":
        np.multiply(y, y, out=dz)
        np.subtract(1, dz, out=dz)
    elif act == "relu":
        np.greater(y, 0, out=dz)            # bool -> float ufunc cast into dz
    elif act == "gelu":
        np.multiply(z, z, out=t)
        np.multiply(t, -0.5, out=t)
        np.exp(t, out=t)
        np.multiply(t, INV_SQRT_2PI, out=t)
        np.multiply(t, z, out=t)
        sc.ndtr(z, out=dz)
        np.add(dz, t, out=dz)
    elif act == "softmax":
        np.multiply(dy, y, out=t)
        np.sum(t, axis=1, keepdims=True, out=m)
        np.subtract(dy, m, out=dz)
        return np.multiply(dz, y, out=dz)
    else:
        raise ValueError(act)
    return np.multiply(dz, dy, out=dz)


def numpy_backward_best(act, dy, x, W, y, z, bufs):
    dz = numpy_dz_best(act, dy, y, z, bufs["dz"], bufs["t"], bufs["m"])
    np.matmul(dz, W.T, out=bufs["dx"])
    np.matmul(x.T, dz, out=bufs["dW"])
    np.sum(dz, axis=0, out=bufs["db"])
    return bufs["dx"], bufs["dW"], bufs["db"]

# ---------------------------------------------------------------- optional libraries


@dataclasses.dataclass
class Libraries:
    """The optional competitors that imported (None when absent)."""
    torch: object = None
    jax: object = None
    jnp: object = None
    skipped: dict = dataclasses.field(default_factory=dict)     # name -> reason
    jit_cache: dict = dataclasses.field(default_factory=dict)   # activation -> jitted fn


def load_optional_libraries():
    libs = Libraries()
    try:
        libs.torch = importlib.import_module("torch")
    except Exception as exc:                # ImportError, or a broken install
        libs.skipped["torch"] = f"{type(exc).__name__}: {exc}"
    try:
        libs.jax = importlib.import_module("jax")
        libs.jax.config.update("jax_enable_x64", True)      # float64 stays float64
        libs.jnp = importlib.import_module("jax.numpy")
    except Exception as exc:
        libs.jax = libs.jnp = None
        libs.skipped["jax"] = f"{type(exc).__name__}: {exc}"
    return libs


def torch_forward(torch, act, t, Wt, bt):
    """F.linear(x, weight (units, in), b) + activation; Wt is W.T as a view."""
    z = torch.nn.functional.linear(t, Wt, bt)
    if act == "sigmoid":
        return torch.sigmoid(z)
    if act == "tanh":
        return torch.tanh(z)
    if act == "relu":
        return torch.relu(z)
    if act == "gelu":
        return torch.nn.functional.gelu(z)          # exact (erf) by default
    if act == "softmax":
        return torch.softmax(z, dim=-1)
    raise ValueError(act)


def jax_forward(libs, act):
    """A jitted act(x @ W + b), one per activation (compiled per shape/dtype on first use)."""
    if act not in libs.jit_cache:
        jax, jnp = libs.jax, libs.jnp
        f = {"sigmoid": jax.nn.sigmoid, "tanh": jnp.tanh, "relu": jax.nn.relu,
             "gelu": lambda z: jax.nn.gelu(z, approximate=False),
             "softmax": lambda z: jax.nn.softmax(z, axis=-1)}[act]
        libs.jit_cache[act] = jax.jit(lambda x, W, b: f(x @ W + b))
    return libs.jit_cache[act]

# ---------------------------------------------------------------- contenders


@dataclasses.dataclass
class Problem:
    """The arrays of one (shape, dtype): inputs, and every output buffer touched."""
    shape: tuple
    x: np.ndarray
    W: np.ndarray
    b: np.ndarray
    dy: np.ndarray
    bufs: dict

    @classmethod
    def make(cls, shape, dtype):
        n, k, u = shape
        rng = np.random.default_rng(SEED)
        dt = np.dtype(dtype).type
        x = rng.standard_normal((n, k), dtype=dt)
        W = rng.standard_normal((k, u), dtype=dt)
        W *= dt(1 / math.sqrt(k))            # z = x @ W + b ~ N(0, 1): every regime exercised
        b = rng.standard_normal(u, dtype=dt)
        b *= dt(0.1)
        dy = rng.standard_normal((n, u), dtype=dt)
        full = lambda s: np.ones(s, dt)      # touched now: no page faults inside the timing
        bufs = {"o": full((n, u)), "o2": full((n, u)), "z": full((n, u)), "m": full((n, 1)),
                "dz": full((n, u)), "t": full((n, u)), "dx": full((n, k)),
                "dW": full((k, u)), "db": full(u), "fdx": full((n, k)), "fdW": full((k, u)),
                "fdb": full(u)}
        return cls(shape, x, W, b, dy, bufs)


def forward_contenders(act, p, libs):
    x, W, b, B = p.x, p.W, p.b, p.bufs
    cs = [Contender("fa", "out", lambda: fastact.dense(x, W, b, act, out=B["o"])),
          Contender("fa-alloc", "alloc", lambda: fastact.dense(x, W, b, act)),
          Contender("np", "alloc", lambda: numpy_naive(act, x, W, b)),
          Contender("np-out", "out",
                    lambda: numpy_best(act, x, W, b, B["o2"], B["z"], B["m"]))]
    if libs.torch is not None:
        torch = libs.torch
        t, Wt, bt = torch.from_numpy(x), torch.from_numpy(W).T, torch.from_numpy(b)
        cs.append(Contender("torch", "alloc", lambda: torch_forward(torch, act, t, Wt, bt)))
    if libs.jax is not None:
        f = jax_forward(libs, act)
        xj, Wj, bj = (libs.jax.device_put(a) for a in (x, W, b))
        cs.append(Contender("jax", "alloc", lambda: f(xj, Wj, bj).block_until_ready()))
    cs.append(Contender("mm", "floor", lambda: np.matmul(x, W)))
    cs.append(Contender("mm-out", "floor", lambda: np.matmul(x, W, out=B["z"])))
    return cs


def backward_contenders(act, p, y, z):
    """y, z: the forward output and pre-activation (fastact's, in p's dtype)."""
    x, W, dy, B = p.x, p.W, p.dy, p.bufs
    kw = {"z": z} if act == "gelu" else {"y": y}
    out = (B["fdx"], B["fdW"], B["fdb"])
    dz0 = numpy_dz(act, dy, y, z)            # the floor's GEMM operand, computed once

    def two_gemms():
        np.matmul(dz0, W.T, out=B["dx"])
        return np.matmul(x.T, dz0, out=B["dW"])

    return [Contender("fa", "out", lambda: fastact.dense_backward(
                dy, x, W, activation=act, out=out, **kw)),
            Contender("fa-alloc", "alloc", lambda: fastact.dense_backward(
                dy, x, W, activation=act, **kw)),
            Contender("np", "alloc", lambda: numpy_backward_naive(act, dy, x, W, y, z)),
            Contender("np-out", "out", lambda: numpy_backward_best(act, dy, x, W, y, z, B)),
            Contender("2gemm", "floor", two_gemms)]


def _as_arrays(result):
    """A result as a tuple of float64 NumPy arrays."""
    if not isinstance(result, tuple):
        result = (result,)
    return tuple(np.asarray(r.numpy() if hasattr(r, "numpy") and not isinstance(r, np.ndarray)
                            else r, dtype=np.float64) for r in result)


def check_contenders(contenders, dtype, where):
    """Run each competitor once and compare it with fa-alloc's result.

    Returns (contenders kept, notes).  Errors are relative to the reference's
    largest magnitude, per output array.
    """
    tol = 2e-4 if np.dtype(dtype) == np.float32 else 1e-10
    ref = _as_arrays(next(c for c in contenders if c.label == "fa-alloc").call())
    kept, notes = [], []
    for c in contenders:
        if c.form == "floor" or c.label == "fa-alloc":
            kept.append(c)
            continue
        try:
            res = _as_arrays(c.call())
        except Exception as exc:
            notes.append(f"{where} {c.label} dropped: {type(exc).__name__}: {exc}")
            continue
        kept.append(c)
        errs = [float(np.max(np.abs(r - f))) / max(float(np.max(np.abs(f))), 1e-30)
                for r, f in zip(res, ref)]
        if len(res) != len(ref) or max(errs) > tol:
            notes.append(f"{where} {c.label} VALUE MISMATCH with fastact: relative max abs "
                         f"diff {max(errs):.3g} (timed anyway)")
    return kept, notes

# ---------------------------------------------------------------- timing


def form_ratios(medians, forms, competitors):
    """competitor / fastact in the same form (alloc vs fa-alloc, out= vs fa)."""
    return {lab: medians[lab] / medians["fa-alloc" if forms[lab] == "alloc" else "fa"]
            for lab in competitors if lab in medians}

# ---------------------------------------------------------------- targets


def forward_target(shape, times, ratios, floor):
    """(status, reasons) for one forward row; status "ok" or "MISS"."""
    reasons = []
    fa_mm = times["fa"] / floor
    if shape in GEMM_BOUND and fa_mm > GEMM_BOUND_LIMIT:
        reasons.append("mm")
    if shape in SKINNY:
        if fa_mm > SKINNY_LIMIT:
            reasons.append("mm")
        if "np" in ratios and ratios["np"] < SKINNY_NAIVE_SPEEDUP:
            reasons.append("np<3x")
    if shape in TINY:
        if fa_mm > TINY_LIMIT:
            reasons.append("mm")
        if times["fa-alloc"] / floor > TINY_LIMIT:
            reasons.append("alloc")
    reasons += [lab for lab, r in ratios.items() if r <= 1.0]
    return ("MISS" if reasons else "ok"), reasons


def backward_target(times, ratios, floor):
    reasons = ["2gemm"] if times["fa"] / floor > BACKWARD_LIMIT else []
    reasons += [lab for lab, r in ratios.items() if r <= 1.0]
    return ("MISS" if reasons else "ok"), reasons

# ---------------------------------------------------------------- one table


def bench_forward_row(act, p, libs, settings, notes):
    where = f"{shape_name(p.shape)} {act}:"
    cs, new_notes = check_contenders(forward_contenders(act, p, libs), p.x.dtype, where)
    notes += new_notes
    medians, samples, numbers = measure(cs, settings["repeats"], settings["min_time"])
    forms = {c.label: c.form for c in cs}
    floor = min(medians["mm"], medians["mm-out"])
    ratios = form_ratios(medians, forms, FORWARD_COMPETITORS)
    status, reasons = forward_target(p.shape, medians, ratios, floor)
    n, k, u = p.shape
    return {"section": "forward", "shape": list(p.shape), "activation": act,
            "times": medians, "samples": samples, "calls_per_repeat": numbers,
            "forms": forms, "floor": floor, "fa_over_floor": medians["fa"] / floor,
            "floor_gflops": 2 * n * k * u / floor / 1e9, "ratios": ratios,
            "target": status, "misses": reasons}


def bench_backward_row(act, p, settings, notes):
    y, z = fastact.dense(p.x, p.W, p.b, act, return_z=True)
    where = f"{shape_name(p.shape)} {act} backward:"
    cs, new_notes = check_contenders(backward_contenders(act, p, y, z), p.x.dtype, where)
    notes += new_notes
    medians, samples, numbers = measure(cs, settings["repeats"], settings["min_time"])
    forms = {c.label: c.form for c in cs}
    floor = medians["2gemm"]
    ratios = form_ratios(medians, forms, BACKWARD_COMPETITORS)
    status, reasons = backward_target(medians, ratios, floor)
    return {"section": "backward", "shape": list(p.shape), "activation": act,
            "source": "z" if act == "gelu" else "y", "times": medians, "samples": samples,
            "calls_per_repeat": numbers, "forms": forms, "floor": floor,
            "fa_over_floor": medians["fa"] / floor, "ratios": ratios,
            "target": status, "misses": reasons}


def bench_tables(acts, dtype, threads, shapes, libs, settings):
    """Forward and backward tables of one (dtype, threads); arrays freed between shapes."""
    name = np.dtype(dtype).name
    fwd = {"section": "forward", "dtype": name, "threads": threads, "notes": [], "rows": []}
    bwd = {"section": "backward", "dtype": name, "threads": threads, "notes": [], "rows": []}
    for shape in shapes:
        p = Problem.make(shape, dtype)
        for act in acts:
            if settings.get("forward", True):
                progress(f"{name} {threads} thr {shape_name(shape)} {act} forward")
                fwd["rows"].append(bench_forward_row(act, p, libs, settings, fwd["notes"]))
            if settings["backward"]:
                progress(f"{name} {threads} thr {shape_name(shape)} {act} backward")
                bwd["rows"].append(bench_backward_row(act, p, settings, bwd["notes"]))
        del p
        gc.collect()
    progress("")
    return [t for t, wanted in ((fwd, settings.get("forward", True)),
                                (bwd, settings["backward"])) if wanted]

# ---------------------------------------------------------------- threads


def run(acts, dtypes, threads_list, shapes, libs, settings):
    tables = []
    for n_threads in threads_list:
        with thread_count(n_threads, torch=libs.torch, pin=settings["pin"]) as confined:
            fa_threads = fastact._kernels.max_threads()
            for dtype in dtypes:
                for table in bench_tables(acts, dtype, n_threads, shapes, libs, settings):
                    table["fastact_threads"] = fa_threads
                    table["confined_to_cpus"] = n_threads if confined else None
                    if fa_threads != n_threads:
                        table["notes"].insert(0, f"WARNING: fastact runs {fa_threads} threads, "
                                                 f"not the {n_threads} asked for")
                    print_table(table)
                    sys.stdout.flush()
                    tables.append(table)
    return tables

# ---------------------------------------------------------------- output


def print_header(ctx, settings):
    print_machine("fastact dense benchmark", ctx)
    print(f"settings : median of {settings['repeats']} interleaved repeats, each >= "
          f"{fmt_time(settings['min_time'])}; x ~ N(0,1), W ~ N(0,1/in), b ~ N(0,0.01), "
          f"seed {SEED}")
    print("threads  : threadpoolctl openmp + blas limits, torch.set_num_threads"
          + ("; process confined to n CPUs when n < usable CPUs" if settings["pin"] else "")
          + f"; OPENBLAS_THREAD_TIMEOUT={ctx.get('OPENBLAS_THREAD_TIMEOUT')}")
    print("columns  : competitor cells are 'time ratio', ratio = competitor / fastact in the same\n"
          "           form (np, torch, jax vs fa-alloc; np-out vs fa out=); >1 = fastact faster.\n"
          "           mm = bare np.matmul (faster of with/without out=), 2gemm = dz@W.T + x.T@dz;\n"
          "           fa/mm, fa/2g = fastact out= / that floor.  target: ok or MISS naming what\n"
          "           fell short (rules in the module docstring; stated for float32, 2 threads).")


def _competitor_cells(r, comps):
    cells = []
    for c in comps:
        if c in r["ratios"]:
            cells.append(f"{fmt_time(r['times'][c]):>6} {fmt_ratio(r['ratios'][c]):>5}")
        else:
            cells.append(f"{'-':>12}")
    return cells


def print_table(table):
    rows, fwd = table["rows"], table["section"] == "forward"
    comps = [c for c in (FORWARD_COMPETITORS if fwd else BACKWARD_COMPETITORS)
             if any(c in r["ratios"] for r in rows)]
    floor_label, ratio_label = ("mm", "fa/mm") if fwd else ("2gemm", "fa/2g")
    pinned = (f", confined to {table['confined_to_cpus']} CPU(s)"
              if table.get("confined_to_cpus") else "")
    print(f"\n== {table['section']}, {table['dtype']}, {table['threads']} thread(s) "
          f"(fastact reports {table['fastact_threads']}{pinned}) ==")
    for note in table["notes"]:
        print(f"  note: {note}")
    w = max([10] + [len(shape_name(r["shape"])) for r in rows])
    head = (f"{'NxINxUNITS':<{w}} {'act':<7}{'' if fwd else ' src'} {'fa out=':>7} "
            f"{'fa-alloc':>8} " + " ".join(f"{c:>12}" for c in comps)
            + f" {floor_label:>7} {ratio_label:>6}  target")
    print(head)
    print("-" * max(len(head), 100))
    for r in rows:
        target = r["target"] + (": " + " ".join(r["misses"]) if r["misses"] else "")
        src = "" if fwd else f" {r['source']:>3}"
        print(f"{shape_name(r['shape']):<{w}} {r['activation']:<7}{src} "
              f"{fmt_time(r['times']['fa']):>7} {fmt_time(r['times']['fa-alloc']):>8} "
              + " ".join(_competitor_cells(r, comps))
              + f" {fmt_time(r['floor']):>7} {fmt_ratio(r['fa_over_floor']):>6}  {target}")


def print_summary(tables, load_at_end):
    print(f"\nTargets ({_fmt_load(load_at_end)} at the end; the issue states them for "
          f"float32 with 2 threads, marked *):")
    for t in tables:
        status = [r["target"] for r in t["rows"]]
        star = "*" if t["dtype"] == "float32" and t["threads"] == 2 else " "
        print(f" {star}{t['section']:<8} {t['dtype']}, {t['threads']} thr: "
              f"{status.count('ok')} ok, {status.count('MISS')} missed")
        by_shape = {}                       # shape -> (activations missed, activations run)
        for r in t["rows"]:
            missed, run = by_shape.setdefault(shape_name(r["shape"]), ([], []))
            run.append(r["activation"])
            if r["target"] == "MISS":
                missed.append(r["activation"])
        parts = [f"{shape} ({'all' if len(missed) == len(run) > 1 else ' '.join(missed)})"
                 for shape, (missed, run) in by_shape.items() if missed]
        if parts:
            print(textwrap.fill("missed: " + ", ".join(parts), width=118,
                                initial_indent=" " * 12, subsequent_indent=" " * 20))

# ---------------------------------------------------------------- main


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dtype", choices=("float32", "float64", "both"), default="float32")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts (1,2)")
    p.add_argument("--only-shapes", metavar="SHAPES",
                   help="comma-separated NxINxUNITS (default: "
                        + ",".join(map(shape_name, SHAPES)) + "; --quick: "
                        + ",".join(map(shape_name, QUICK_SHAPES)) + ")")
    p.add_argument("--only", metavar="ACTS",
                   help="comma-separated activations (default: " + ",".join(ACTIVATIONS) + ")")
    p.add_argument("--quick", action="store_true",
                   help="4 shapes, fewer and shorter repeats (< 1 minute)")
    p.add_argument("--repeats", type=int, help="repeats per contender (default 7, quick 3)")
    p.add_argument("--min-time", type=float,
                   help="seconds per repeat (default 0.02, quick 0.003)")
    p.add_argument("--no-backward", dest="backward", action="store_false",
                   help="skip the backward tables")
    p.add_argument("--no-pin", dest="pin", action="store_false",
                   help="do not confine the process to n CPUs for n threads")
    p.add_argument("--json", metavar="FILE", help="write every figure, with context, to FILE")
    p.add_argument("--from-json", metavar="FILE",
                   help="time nothing: print the header and tables of an earlier --json FILE")
    args = p.parse_args(argv)

    try:
        args.shapes = ([parse_shape(s) for s in args.only_shapes.split(",")]
                       if args.only_shapes else list(QUICK_SHAPES if args.quick else SHAPES))
    except ValueError as exc:
        p.error(str(exc))
    args.threads = [int(t) for t in args.threads.split(",")]
    args.only = names_option(p, args.only, ACTIVATIONS, ACTIVATIONS, "--only")
    timing_defaults(args, quick_min_time=0.003)
    return args


def reprint(path):
    """Print the header, tables and summary saved by an earlier ``--json`` run."""
    with open(path) as fh:
        saved = json.load(fh)
    ctx = saved["context"]
    print_header(ctx, saved["settings"])
    for table in saved["tables"]:
        print_table(table)
    print_summary(saved["tables"], ctx.get("load_average_at_end"))


def main(argv=None):
    args = parse_args(argv)
    if args.from_json:
        reprint(args.from_json)
        return
    dtypes = [np.float32, np.float64] if args.dtype == "both" else [np.dtype(args.dtype).type]
    settings = {"repeats": args.repeats, "min_time": args.min_time,
                "backward": args.backward, "pin": args.pin}
    libs = load_optional_libraries()
    fastact.dense(np.ones((2, 2)), np.ones((2, 2)))     # first dense call imports scipy.linalg
    ctx = machine_context({"torch": libs.torch, "jax": libs.jax}, libs.skipped)
    print_header(ctx, settings)
    sys.stdout.flush()
    t0 = time.perf_counter()
    tables = run(args.only, dtypes, args.threads, args.shapes, libs, settings)
    load_at_end = load_average()
    print_summary(tables, load_at_end)
    print(f"(benchmark took {time.perf_counter() - t0:.0f} s)")
    if args.json:
        ctx["load_average_at_end"] = load_at_end
        with open(args.json, "w") as fh:
            json.dump({"context": ctx,
                       "settings": {**settings, "dtype": args.dtype, "threads": args.threads,
                                    "shapes": [list(s) for s in args.shapes],
                                    "activations": args.only},
                       "tables": tables}, fh, indent=1)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
