#!/usr/bin/env python3
"""Benchmark fastact's activations against NumPy, SciPy, numexpr and PyTorch.

What it measures
----------------
For every activation, dtype, array size and thread count, the median time of
one call of each contender, all timed in the same run with their repetitions
interleaved (every repeat times each contender once, in a rotating order), so
that machine noise hits all of them alike:

* ``fa``        fastact with ``out=`` a preallocated array (the form the targets
                are about);
* ``fa-alloc``  fastact allocating its result;
* ``np``        NumPy written the natural way (``1/(1+np.exp(-x))``, ...);
                it allocates, and is compared with ``fa-alloc``;
* ``np-out``    NumPy best effort: the same maths as in-place ufunc calls
                into ``out=``; compared with ``fa``;
* ``scipy``     ``scipy.special`` where it has the function (expit for sigmoid
                and silu, erf for gelu, log_expit for log_sigmoid), into
                ``out=``; compared with ``fa``;
* ``numexpr``   ``numexpr.evaluate(..., out=)`` with its threads set to the
                same count, only when numexpr is importable;
* ``torch``     PyTorch on ``torch.from_numpy`` views with
                ``torch.set_num_threads(n)``, with ``out=`` where torch offers
                it, else allocating (marked ``*``), only when importable.

NumPy and SciPy are single-threaded whatever the thread count.  Each repeat
lasts at least ``--min-time`` (many calls for small arrays, one call for big
ones); the figure reported is the median per-call time over ``--repeats``.

The floor is the machine's copy bandwidth: the faster of ``np.copyto(o, x)``
and ``fastact.activations.linear(x, out=o)`` (fastact's parallel copy), timed
in the same interleaved rounds as each activation.  An elementwise activation
cannot beat it, since it has to read x and write o just the same.

How to read the tables
----------------------
One table per (dtype, threads); a row per activation and size.  Times carry
their unit (ns, µs, ms, s).  Each competitor cell is ``time ratio`` where
ratio = competitor time / fastact time in the same form (allocating versus
``fa-alloc``, ``out=`` versus ``fa``): above 1 means fastact is faster.
``%flr`` = floor time / fastact (out=) time * 100: 100 % means fastact runs
at copy speed.  The last column checks the issue's targets:

* sigmoid, tanh, silu, softplus, gelu, elu at n >= 1e7: >= 75 % of the floor,
  and faster than every competitor (n < 1e8) or within 3 % of the fastest
  (n >= 1e8);
* piecewise-linear ones (relu, leaky_relu, relu6, hard_sigmoid, hard_tanh,
  sparse_sigmoid) at n >= 1e7: >= 90 % of the floor;
* every activation at n <= 1e5: faster than every competitor;
* ``-``: no target for that row.

A final section times a tiny call: sigmoid of a (1, 5) float32 array against
``np.tanh`` and ``scipy.special.expit`` (target: fastact / np.tanh <= 1.5).

Usage
-----
    python bench/bench_activations.py --quick          # < 1 minute
    python bench/bench_activations.py                  # float32, 1e3..1e8, 1 and 2 threads
    python bench/bench_activations.py --dtype both --threads 1,2,4 --only sigmoid,gelu \\
        --sizes 1e5,1e7 --json results.json

Threads: with threadpoolctl installed the thread counts are set in-process
(``threadpool_limits(n, user_api="openmp")``); without it each thread count
runs in a child process started with ``OMP_NUM_THREADS=n``.
"""

import argparse
import dataclasses
import gc
import importlib
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from typing import Callable, Optional

# _harness first: it sets OpenBLAS's environment before NumPy loads.
from _harness import (Contender, load_average, machine_context, measure,  # noqa: E402
                      print_machine, progress, thread_count, _fmt_load, _threadpoolctl)
from _report import (fmt_ratio, fmt_size, fmt_time, names_option,  # noqa: E402
                     timing_defaults)

import numpy as np  # noqa: E402
import scipy.special as sc  # noqa: E402

import fastact  # noqa: E402
import fastact._kernels  # noqa: E402
from fastact import activations as fa  # noqa: E402

SEED = 20240607
SCALE = 4.0                 # x ~ 4 * N(0, 1): exp paths and saturation both exercised
SQRT1_2 = math.sqrt(0.5)    # a Python float, so float32 stays float32 (np.sqrt(2) would not)
COMPETITORS = ("np", "np-out", "scipy", "numexpr", "torch")
FLOOR_LABELS = ("copyto", "linear")

# ---------------------------------------------------------------- catalogue


@dataclasses.dataclass(frozen=True)
class Activation:
    """One activation: fastact's name and how each competitor computes it.

    ``numpy(x)`` is the natural expression; ``numpy_out(x, o)`` fills ``o``
    (and returns it); ``scipy(x, o)`` likewise; ``numexpr`` is an expression
    in ``x``; ``torch(torch, t, to)`` returns a tensor, writing ``to`` when
    ``torch_out``.  ``kind`` selects the target: smooth, piecewise or other.
    """
    name: str
    kind: str
    numpy: Callable
    numpy_out: Callable
    scipy: Optional[Callable] = None
    numexpr: Optional[str] = None
    torch: Optional[Callable] = None
    torch_out: bool = False


def _sigmoid_out(x, o):
    np.negative(x, out=o)
    np.exp(o, out=o)
    o += 1
    return np.reciprocal(o, out=o)


def _silu_out(x, o):
    np.negative(x, out=o)
    np.exp(o, out=o)
    o += 1
    return np.divide(x, o, out=o)


def _gelu_out(x, o):
    np.multiply(x, SQRT1_2, out=o)
    sc.erf(o, out=o)
    o += 1
    o *= x
    o *= 0.5
    return o


def _elu_out(x, o):
    np.expm1(x, out=o)
    np.copyto(o, x, where=x > 0)
    return o


def _leaky_relu_out(x, o):
    np.multiply(x, 0.2, out=o)
    return np.maximum(x, o, out=o)            # max(x, 0.2 x) is leaky_relu for a slope < 1


def _hard_sigmoid_out(x, o):
    np.multiply(x, 1 / 6, out=o)
    o += 0.5
    return np.clip(o, 0, 1, out=o)


def _log_sigmoid_out(x, o):
    np.negative(x, out=o)
    np.logaddexp(0, o, out=o)
    return np.negative(o, out=o)


def _selu_np(x):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return scale * np.where(x > 0, x, alpha * np.expm1(x))


def _selu_out(x, o):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    np.expm1(x, out=o)
    o *= alpha
    np.copyto(o, x, where=x > 0)
    o *= scale
    return o


def _mish_out(x, o):
    np.logaddexp(0, x, out=o)
    np.tanh(o, out=o)
    o *= x
    return o


def _softsign_out(x, o):
    np.abs(x, out=o)
    o += 1
    return np.divide(x, o, out=o)


def _hard_silu_out(x, o):
    _hard_sigmoid_out(x, o)
    o *= x
    return o


def _tanh_shrink_out(x, o):
    np.tanh(x, out=o)
    return np.subtract(x, o, out=o)


def _squareplus_out(x, o):
    np.multiply(x, x, out=o)
    o += 4
    np.sqrt(o, out=o)
    o += x
    o *= 0.5
    return o


def _expit_times_x(x, o):
    sc.expit(x, out=o)
    o *= x
    return o


def _fn(name):
    """torch.nn.functional.<name>(t), allocating."""
    return lambda torch, t, to: getattr(torch.nn.functional, name)(t)


def _clamp(lo, hi):
    return lambda torch, t, to: torch.clamp(t, min=lo, max=hi, out=to)


CATALOGUE = (
    Activation("sigmoid", "smooth", lambda x: 1 / (1 + np.exp(-x)), _sigmoid_out,
               scipy=lambda x, o: sc.expit(x, out=o), numexpr="1 / (1 + exp(-x))",
               torch=lambda torch, t, to: torch.sigmoid(t, out=to), torch_out=True),
    Activation("tanh", "smooth", np.tanh, lambda x, o: np.tanh(x, out=o),
               numexpr="tanh(x)",
               torch=lambda torch, t, to: torch.tanh(t, out=to), torch_out=True),
    Activation("silu", "smooth", lambda x: x / (1 + np.exp(-x)), _silu_out,
               scipy=_expit_times_x, numexpr="x / (1 + exp(-x))", torch=_fn("silu")),
    Activation("softplus", "smooth", lambda x: np.logaddexp(0, x),
               lambda x, o: np.logaddexp(0, x, out=o),
               numexpr="where(x > 0, x + log1p(exp(-x)), log1p(exp(x)))",
               torch=_fn("softplus")),
    Activation("gelu", "smooth", lambda x: 0.5 * x * (1 + sc.erf(x * SQRT1_2)), _gelu_out,
               scipy=_gelu_out, torch=_fn("gelu")),      # NumPy has no erf: both use SciPy's
    Activation("elu", "smooth", lambda x: np.where(x > 0, x, np.expm1(x)), _elu_out,
               numexpr="where(x > 0, x, expm1(x))", torch=_fn("elu")),
    Activation("relu", "piecewise", lambda x: np.maximum(x, 0),
               lambda x, o: np.maximum(x, 0, out=o),
               numexpr="where(x > 0, x, 0)", torch=_clamp(0.0, None), torch_out=True),
    Activation("leaky_relu", "piecewise", lambda x: np.where(x >= 0, x, 0.2 * x),
               _leaky_relu_out, numexpr="where(x >= 0, x, 0.2 * x)",
               torch=lambda torch, t, to: torch.nn.functional.leaky_relu(t, 0.2)),
    Activation("relu6", "piecewise", lambda x: np.clip(x, 0, 6),
               lambda x, o: np.clip(x, 0, 6, out=o),
               numexpr="where(x < 0, 0, where(x > 6, 6, x))",
               torch=_clamp(0.0, 6.0), torch_out=True),
    Activation("hard_sigmoid", "piecewise", lambda x: np.clip(x / 6 + 0.5, 0, 1),
               _hard_sigmoid_out, numexpr="where(x < -3, 0, where(x > 3, 1, x / 6 + 0.5))",
               torch=_fn("hardsigmoid")),
    Activation("hard_tanh", "piecewise", lambda x: np.clip(x, -1, 1),
               lambda x, o: np.clip(x, -1, 1, out=o),
               numexpr="where(x < -1, -1, where(x > 1, 1, x))",
               torch=_clamp(-1.0, 1.0), torch_out=True),
    # Not run by default (no target at large sizes except sparse_sigmoid); pick with --only.
    Activation("sparse_sigmoid", "piecewise", lambda x: np.clip((x + 1) * 0.5, 0, 1),
               lambda x, o: np.clip(np.multiply(np.add(x, 1, out=o), 0.5, out=o), 0, 1, out=o),
               numexpr="where(x < -1, 0, where(x > 1, 1, (x + 1) * 0.5))"),
    Activation("log_sigmoid", "other", lambda x: -np.logaddexp(0, -x), _log_sigmoid_out,
               scipy=lambda x, o: sc.log_expit(x, out=o), torch=_fn("logsigmoid")),
    Activation("selu", "other", _selu_np, _selu_out, torch=_fn("selu")),
    Activation("mish", "other", lambda x: x * np.tanh(np.logaddexp(0, x)), _mish_out,
               torch=_fn("mish")),
    Activation("softsign", "other", lambda x: x / (1 + np.abs(x)), _softsign_out,
               numexpr="x / (1 + abs(x))", torch=_fn("softsign")),
    Activation("exponential", "other", np.exp, lambda x, o: np.exp(x, out=o),
               numexpr="exp(x)", torch=lambda torch, t, to: torch.exp(t, out=to),
               torch_out=True),
    Activation("hard_silu", "other", lambda x: x * np.clip(x / 6 + 0.5, 0, 1), _hard_silu_out,
               torch=_fn("hardswish")),
    Activation("tanh_shrink", "other", lambda x: x - np.tanh(x), _tanh_shrink_out,
               numexpr="x - tanh(x)", torch=_fn("tanhshrink")),
    Activation("squareplus", "other", lambda x: (x + np.sqrt(x * x + 4)) / 2, _squareplus_out,
               numexpr="(x + sqrt(x * x + 4)) / 2"),
)
DEFAULT_ACTIVATIONS = ("sigmoid", "tanh", "silu", "softplus", "gelu", "elu", "relu",
                       "leaky_relu", "relu6", "hard_sigmoid", "hard_tanh")

# ---------------------------------------------------------------- competitors


@dataclasses.dataclass
class Libraries:
    """The optional competitors that imported (None when absent)."""
    numexpr: object = None
    torch: object = None
    skipped: dict = dataclasses.field(default_factory=dict)    # name -> reason


def load_optional_libraries():
    libs = Libraries()
    for name in ("numexpr", "torch"):
        try:
            setattr(libs, name, importlib.import_module(name))
        except Exception as exc:             # ImportError, or a broken install
            libs.skipped[name] = f"{type(exc).__name__}: {exc}"
    return libs


def build_contenders(act, x, o, libs):
    """Every contender for ``act`` on input ``x`` with output buffer ``o``."""
    f = getattr(fa, act.name)
    cs = [Contender("fa", "out", lambda: f(x, out=o)),
          Contender("fa-alloc", "alloc", lambda: f(x)),
          Contender("np", "alloc", lambda: act.numpy(x)),
          Contender("np-out", "out", lambda: act.numpy_out(x, o))]
    if act.scipy is not None:
        cs.append(Contender("scipy", "out", lambda: act.scipy(x, o)))
    if act.numexpr is not None and libs.numexpr is not None:
        ne, expr = libs.numexpr, act.numexpr
        cs.append(Contender("numexpr", "out", lambda: ne.evaluate(
            expr, local_dict={"x": x}, out=o, casting="same_kind")))
    if act.torch is not None and libs.torch is not None:
        torch, t, to = libs.torch, libs.torch.from_numpy(x), libs.torch.from_numpy(o)
        cs.append(Contender("torch", "out" if act.torch_out else "alloc",
                            lambda: act.torch(torch, t, to)))
    cs.append(Contender("copyto", "floor", lambda: np.copyto(o, x)))
    cs.append(Contender("linear", "floor", lambda: fa.linear(x, out=o)))
    return cs


def _as_numpy(result):
    return result if isinstance(result, np.ndarray) else result.numpy()


def check_contenders(act, dtype, libs):
    """Run each competitor once on a small array and compare it with fastact.

    Returns (labels that failed and must be dropped, notes to print).
    """
    x = make_input(4096, dtype)
    o = np.empty_like(x)
    ref = getattr(fa, act.name)(x).astype(np.float64)
    rtol, atol = (1e-4, 1e-5) if dtype == np.float32 else (1e-9, 1e-12)
    failed, notes = set(), []
    for c in build_contenders(act, x, o, libs):
        if c.label == "fa" or c.form == "floor":
            continue
        try:
            res = _as_numpy(c.call())
        except Exception as exc:
            failed.add(c.label)
            notes.append(f"{act.name}/{c.label} dropped: {type(exc).__name__}: {exc}")
            continue
        if res.dtype != x.dtype:
            notes.append(f"{act.name}/{c.label} returns {res.dtype} for {x.dtype} input")
        if not np.allclose(res, ref, rtol=rtol, atol=atol):
            diff = np.nanmax(np.abs(res.astype(np.float64) - ref))
            notes.append(f"{act.name}/{c.label} VALUE MISMATCH with fastact: max abs diff "
                         f"{diff:.3g} (timed anyway)")
    return failed, notes

# ---------------------------------------------------------------- timing

# ---------------------------------------------------------------- targets


def target_check(kind, n, pct_floor, ratios):
    """(status, reasons): status is "ok", "MISS" or "-" (no target for this row).

    reasons name what fell short: "flr" (too far below the copy floor) or
    the label of a competitor that was as fast or faster (its ratio is in
    the table).
    """
    reasons = []
    if n <= 100_000:
        reasons = [lab for lab, r in ratios.items() if r <= 1.0]
    elif n >= 10_000_000 and kind in ("smooth", "piecewise"):
        need = 75.0 if kind == "smooth" else 90.0
        if pct_floor < need:
            reasons.append("flr")
        if kind == "smooth":
            limit = 1 / 1.03 if n >= 100_000_000 else 1.0
            reasons += [lab for lab, r in ratios.items()
                        if (r < limit if n >= 100_000_000 else r <= limit)]
    else:
        return "-", []
    return ("MISS" if reasons else "ok"), reasons


def make_input(n, dtype):
    """4 * N(0, 1), fixed seed, in ``dtype``."""
    x = np.random.default_rng(SEED).standard_normal(n, dtype=np.dtype(dtype).type)
    x *= SCALE
    return x


def bench_row(act, x, o, libs, dropped, settings):
    """Time one activation at one size; returns the row as a dict."""
    cs = [c for c in build_contenders(act, x, o, libs) if c.label not in dropped]
    medians, samples, numbers = measure(cs, settings["repeats"], settings["min_time"])
    floor = min(medians[label] for label in FLOOR_LABELS)
    forms = {c.label: c.form for c in cs}
    ratios = {c.label: medians[c.label] / medians["fa-alloc" if c.form == "alloc" else "fa"]
              for c in cs if c.label in COMPETITORS}
    pct = floor / medians["fa"] * 100
    status, reasons = target_check(act.kind, x.size, pct, ratios)
    return {"activation": act.name, "kind": act.kind, "n": x.size, "times": medians,
            "samples": samples, "calls_per_repeat": numbers, "forms": forms,
            "floor": floor, "floor_gbps": 2 * x.nbytes / floor / 1e9,
            "pct_floor": pct, "ratios": ratios, "target": status, "misses": reasons}


def bench_table(acts, dtype, threads, sizes, libs, settings):
    """All rows for one (dtype, threads); arrays freed between sizes."""
    dropped, notes = {}, []
    for act in acts:
        dropped[act.name], act_notes = check_contenders(act, dtype, libs)
        notes += act_notes
    rows = []
    for n in sizes:
        x = make_input(n, dtype)
        o = np.ones_like(x)                  # touched, so no page faults inside the timing
        for act in acts:
            progress(f"{np.dtype(dtype).name} {threads} thr n={fmt_size(n)} {act.name}")
            rows.append(bench_row(act, x, o, libs, dropped[act.name], settings))
        del x, o
        gc.collect()
    progress("")
    order = {a.name: i for i, a in enumerate(acts)}
    rows.sort(key=lambda r: (order[r["activation"]], r["n"]))
    return {"dtype": np.dtype(dtype).name, "threads": threads,
            "fastact_threads": fastact._kernels.max_threads(), "notes": notes, "rows": rows}

# ---------------------------------------------------------------- threads


def run_in_process(acts, dtypes, threads_list, sizes, libs, settings):
    tables = []
    for n_threads in threads_list:
        with thread_count(n_threads, torch=libs.torch, numexpr=libs.numexpr):
            for dtype in dtypes:
                table = bench_table(acts, dtype, n_threads, sizes, libs, settings)
                if table["fastact_threads"] != n_threads:
                    table["notes"].insert(0, f"WARNING: fastact runs {table['fastact_threads']} "
                                             f"threads, not the {n_threads} asked for")
                print_table(table)
                tables.append(table)
    return tables


def run_in_children(args, threads_list):
    """One child process per thread count, with OMP_NUM_THREADS set (no threadpoolctl)."""
    tables = []
    for n_threads in threads_list:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "tables.json")
            cmd = [sys.executable, os.path.abspath(__file__), "--threads", str(n_threads),
                   "--dtype", args.dtype, "--sizes", ",".join(map(str, args.sizes)),
                   "--only", ",".join(args.only), "--repeats", str(args.repeats),
                   "--min-time", str(args.min_time), "--_child-json", out]
            env = dict(os.environ, OMP_NUM_THREADS=str(n_threads))
            sys.stdout.flush()
            subprocess.run(cmd, env=env, check=True)
            with open(out) as fh:
                tables += json.load(fh)
    return tables

# ---------------------------------------------------------------- tiny call


def tiny_call_section(min_time, repeats):
    """Per-call overhead on a (1, 5) float32 array: what small-batch inference pays."""
    a = make_input(5, np.float32).reshape(1, 5)
    b = np.empty_like(a)
    cs = [Contender("fastact.sigmoid(a)", "alloc", lambda: fa.sigmoid(a)),
          Contender("fastact.sigmoid(a, out=b)", "out", lambda: fa.sigmoid(a, out=b)),
          Contender("np.tanh(a)", "alloc", lambda: np.tanh(a)),
          Contender("scipy.special.expit(a)", "alloc", lambda: sc.expit(a))]
    medians, _, _ = measure(cs, repeats, min_time)
    ratio = medians["fastact.sigmoid(a)"] / medians["np.tanh(a)"]
    print("\nTiny call: per-call time on a (1, 5) float32 array")
    for label, t in medians.items():
        print(f"  {label:<28} {fmt_time(t):>8}   {t / medians['np.tanh(a)']:.2f}x np.tanh")
    print(f"  target fastact.sigmoid / np.tanh <= 1.5: {ratio:.2f} -> "
          f"{'ok' if ratio <= 1.5 else 'MISS'}")
    return {"times": medians, "ratio_vs_np_tanh": ratio, "target_ok": ratio <= 1.5}

# ---------------------------------------------------------------- output


def activation_context(libs):
    """The machine context, and how this script sets thread counts."""
    ctx = machine_context({"numexpr": libs.numexpr, "torch": libs.torch}, libs.skipped)
    ctx["thread_control"] = ("threadpoolctl (in-process)" if _threadpoolctl()
                             else "OMP_NUM_THREADS in a child process per thread count "
                                  "(threadpoolctl not installed)")
    return ctx


def print_header(ctx, settings):
    print_machine("fastact activation benchmark", ctx)
    print(f"threads  : set by {ctx['thread_control']}")
    print(f"settings : median of {settings['repeats']} interleaved repeats, each >= "
          f"{fmt_time(settings['min_time'])}; input {SCALE:g} * N(0,1), seed {SEED}")
    print("columns  : competitor cells are 'time ratio', ratio = competitor / fastact in the same\n"
          "           form (np and torch* vs fa-alloc, the rest vs fa out=); >1 = fastact faster.\n"
          "           %flr = copy floor / fa out= time * 100.  target: ok, '-' (none), or MISS\n"
          "           naming what fell short: flr (below the floor target) or each competitor\n"
          "           as fast or faster (rules in the module docstring).  NumPy and SciPy run\n"
          "           single-threaded whatever the thread count.")


def print_table(table):
    rows = table["rows"]
    comps = [c for c in COMPETITORS if any(c in r["times"] for r in rows)]
    print(f"\n== {table['dtype']}, {table['threads']} thread(s) "
          f"(fastact reports {table['fastact_threads']}) ==")
    for note in table["notes"]:
        print(f"  note: {note}")
    head = (f"{'activation':<12} {'n':>4} {'fa out=':>7} {'fa-alloc':>8} "
            + " ".join(f"{c:<12}" for c in comps) + f" {'%flr':>4}  target")
    print(head)
    print("-" * len(head))
    for r in rows:
        cells = []
        for c in comps:
            if c not in r["times"]:
                cells.append(f"{'-':<12}")
                continue
            star = "*" if c == "torch" and r["forms"][c] == "alloc" else ""
            cells.append(f"{fmt_time(r['times'][c]) + star:>6} {fmt_ratio(r['ratios'][c]):>5}")
        target = r["target"] + (": " + " ".join(r["misses"]) if r["misses"] else "")
        print(f"{r['activation']:<12} {fmt_size(r['n']):>4} {fmt_time(r['times']['fa']):>7} "
              f"{fmt_time(r['times']['fa-alloc']):>8} " + " ".join(cells)
              + f" {r['pct_floor']:>3.0f}%  {target}")
    print_floor(table)


def print_floor(table):
    """Copy floor per size: medians over the rows of that size."""
    sizes = sorted({r["n"] for r in table["rows"]})
    print("copy floor (median over rows):  "
          + "   ".join(_floor_cell(table["rows"], n) for n in sizes))


def _floor_cell(rows, n):
    at_n = [r for r in rows if r["n"] == n]
    cp = statistics.median(r["times"]["copyto"] for r in at_n)
    ln = statistics.median(r["times"]["linear"] for r in at_n)
    gbps = statistics.median(r["floor_gbps"] for r in at_n)
    return f"{fmt_size(n)}: copyto {fmt_time(cp)}, linear {fmt_time(ln)} = {gbps:.1f} GB/s"


def print_summary(tables):
    print(f"\nTargets ({_fmt_load(load_average())} at the end):")
    for t in tables:
        status = [r["target"] for r in t["rows"]]
        misses = [f"{r['activation']}@{fmt_size(r['n'])}" for r in t["rows"]
                  if r["target"] == "MISS"]
        print(f"  {t['dtype']}, {t['threads']} thr: {status.count('ok')} ok, "
              f"{status.count('MISS')} missed, {status.count('-')} without target"
              + (f"; missed: {' '.join(misses)}" if misses else ""))

# ---------------------------------------------------------------- main


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dtype", choices=("float32", "float64", "both"), default="float32")
    p.add_argument("--sizes", help="comma-separated element counts (default 1e3,1e5,1e7,1e8; "
                                   "--quick: 1e3,1e5,1e7)")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts (1,2)")
    p.add_argument("--only", help="comma-separated activations (default: "
                                  + ",".join(DEFAULT_ACTIVATIONS) + "); also available: "
                                  + ",".join(a.name for a in CATALOGUE
                                             if a.name not in DEFAULT_ACTIVATIONS))
    p.add_argument("--quick", action="store_true", help="fewer sizes and repeats (< 1 minute)")
    p.add_argument("--repeats", type=int, help="repeats per contender (default 7, quick 3)")
    p.add_argument("--min-time", type=float, help="seconds per repeat (default 0.02, quick 0.002)")
    p.add_argument("--json", metavar="FILE", help="write every figure, with context, to FILE")
    p.add_argument("--_child-json", dest="child_json", help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    args.sizes = [int(float(s)) for s in
                  (args.sizes or ("1e3,1e5,1e7" if args.quick else "1e3,1e5,1e7,1e8")).split(",")]
    args.threads = [int(t) for t in args.threads.split(",")]
    args.only = names_option(p, args.only, {a.name for a in CATALOGUE}, DEFAULT_ACTIVATIONS,
                             "--only")
    timing_defaults(args, quick_min_time=0.002)
    return args


def main(argv=None):
    args = parse_args(argv)
    by_name = {a.name: a for a in CATALOGUE}
    acts = [by_name[name] for name in args.only]
    dtypes = [np.float32, np.float64] if args.dtype == "both" else [np.dtype(args.dtype).type]
    settings = {"repeats": args.repeats, "min_time": args.min_time}
    libs = load_optional_libraries()

    if args.child_json:                      # a child of run_in_children: OMP_NUM_THREADS is set
        tables = run_in_process(acts, dtypes, args.threads, args.sizes, libs, settings)
        with open(args.child_json, "w") as fh:
            json.dump(tables, fh)
        return

    ctx = activation_context(libs)
    print_header(ctx, settings)
    if _threadpoolctl():
        tables = run_in_process(acts, dtypes, args.threads, args.sizes, libs, settings)
    else:
        tables = run_in_children(args, args.threads)
    print_summary(tables)
    tiny = tiny_call_section(args.min_time, max(args.repeats, 5))

    if args.json:
        ctx["load_average_at_end"] = load_average()
        with open(args.json, "w") as fh:
            json.dump({"context": ctx, "settings": {**settings, "sizes": args.sizes,
                                                    "threads": args.threads,
                                                    "activations": args.only,
                                                    "dtype": args.dtype},
                       "tables": tables, "tiny_call": tiny}, fh, indent=1)
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
