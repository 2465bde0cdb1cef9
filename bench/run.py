#!/usr/bin/env python3
"""fastact's benchmarks in one run: activations, dense forward, dense backward.

What it runs
------------
The three benchmarks side by side in one process, thread count by thread
count, with the timing and the contenders of ``bench_activations.py`` and
``bench_dense.py`` (their docstrings say exactly what each contender
computes):

* ``activations``  elementwise activations over 1-D arrays of growing size;
                   floor: the copy bandwidth (np.copyto / fastact's copy);
* ``dense``        the fused forward ``act(x @ W + b)`` per shape N x IN x UNITS;
                   floor: the bare ``np.matmul(x, W)``;
* ``backward``     ``fastact.dense_backward`` (dx, dW, db);
                   floor: its two bare GEMMs.

Contenders: fastact (``fa`` into ``out=``, ``fa-alloc`` allocating), NumPy
naive (``np``), NumPy best effort (``np-out``), SciPy (``scipy``, activations
where it has the function), and -- each only when importable -- numexpr,
PyTorch and JAX.  Every contender of a row is timed in the same interleaved
rounds; a figure is the median per-call time.  Each thread-count table
limits every library to n threads (threadpoolctl for OpenMP and BLAS,
torch/numexpr setters, and the process confined to n CPUs when n is below
the usable count, which is the only way to hold JAX to n).

How to read the table
---------------------
One table per (section, dtype, threads), a row per activation and size or
per shape and activation.  A cell is ``time speed-up``: the median time of
one call and NumPy naive's time divided by it (above 1 = faster than NumPy
naive; the ``np`` column is 1.00x by definition).  ``floor`` is the floor's
time and ``%floor`` = floor / fastact ``out=`` time * 100 (100 % = as fast
as the floor).  The machine, every library's version and the SIMD target in
use are printed above the tables; ``--detail`` prints each benchmark's own
tables too (ratios to fastact, and the issues' performance targets).

Usage
-----
    python bench/run.py --quick                      # a few minutes
    python bench/run.py                              # the full run (much longer)
    python bench/run.py --quick --only dense,backward --threads 2 --json new.json
    python bench/run.py --from-json new.json --plot charts/      # no timing: reprint, chart
    python bench/compare.py old.json new.json                     # two runs, ratio by ratio
"""

import argparse
import json
import sys
import time

# _harness first: it sets OpenBLAS's environment before NumPy loads.
from _harness import (load_average, machine_context, print_machine,  # noqa: E402
                      thread_count, _fmt_load)
from _report import (SECTIONS, fmt_ratio, fmt_time, names_option, parse_shape,  # noqa: E402
                     render, row_label, section_of, shape_name, table_title, timing_defaults)

import numpy as np  # noqa: E402

import fastact  # noqa: E402
import fastact._kernels  # noqa: E402

import bench_activations  # noqa: E402
import bench_dense  # noqa: E402

# The columns of the final table, in order; a column shows only where some row has it.
COLUMNS = ("fa", "fa-alloc", "np", "np-out", "scipy", "numexpr", "torch", "jax")
ONLY_CHOICES = {"activations": "activations", "dense": "forward", "backward": "backward"}


# ---------------------------------------------------------------- the run

def run(args):
    """Time every requested section; returns (context, tables)."""
    act_libs = bench_activations.load_optional_libraries()          # numexpr, torch
    dense_libs = bench_dense.load_optional_libraries()              # torch, jax
    fastact.dense(np.ones((2, 2)), np.ones((2, 2)))     # first dense call imports scipy.linalg
    ctx = machine_context({"numexpr": act_libs.numexpr, "torch": act_libs.torch,
                           "jax": dense_libs.jax},
                          {**act_libs.skipped, **dense_libs.skipped})
    print_machine("fastact benchmarks (bench/run.py)", ctx)
    print(f"settings : median of {args.repeats} interleaved repeats, each >= "
          f"{fmt_time(args.min_time)}; sections: {', '.join(args.sections)}")
    sys.stdout.flush()

    by_name = {a.name: a for a in bench_activations.CATALOGUE}
    acts = [by_name[name] for name in args.activations]
    act_settings = {"repeats": args.repeats, "min_time": args.min_time}
    dense_settings = {**act_settings, "pin": True, "forward": "forward" in args.sections,
                      "backward": "backward" in args.sections}
    dtypes = [np.float32, np.float64] if args.dtype == "both" else [np.dtype(args.dtype).type]
    t0 = time.perf_counter()
    tables = []
    for n_threads in args.threads:
        with thread_count(n_threads, torch=act_libs.torch, numexpr=act_libs.numexpr,
                          pin=True) as confined:
            fa_threads = fastact._kernels.max_threads()
            for dtype in dtypes:
                new = []
                if "activations" in args.sections:
                    table = bench_activations.bench_table(acts, dtype, n_threads, args.sizes,
                                                          act_libs, act_settings)
                    new.append({"section": "activations", **table})
                if dense_settings["forward"] or dense_settings["backward"]:
                    new += bench_dense.bench_tables(args.dense_activations, dtype, n_threads,
                                                    args.shapes, dense_libs, dense_settings)
                for table in new:
                    table["fastact_threads"] = fa_threads
                    table["confined_to_cpus"] = n_threads if confined else None
                    if fa_threads != n_threads:
                        table["notes"].insert(0, f"WARNING: fastact runs {fa_threads} "
                                                 f"threads, not the {n_threads} asked for")
                tables += new
    ctx["load_average_at_end"] = load_average()
    ctx["seconds"] = round(time.perf_counter() - t0, 1)
    return ctx, tables


# ---------------------------------------------------------------- the table

def summary_rows(table):
    """(header, rows) of one table: each contender's time and NumPy naive's speed-up."""
    section, rows = section_of(table), table["rows"]
    cols = [c for c in COLUMNS if any(c in r["times"] for r in rows)]
    header = ["row"] + cols + ["floor", "%floor"]
    out = []
    for r in rows:
        naive = r["times"].get("np")
        cells = [row_label(section, r)]
        for c in cols:
            t = r["times"].get(c)
            cells.append("-" if t is None else
                         f"{fmt_time(t)} {fmt_ratio(naive / t) if naive else '?'}")
        cells += [fmt_time(r["floor"]), f"{r['floor'] / r['times']['fa'] * 100:.0f}%"]
        out.append(cells)
    return header, out


def print_tables(tables, markdown=False, detail=False):
    for table in tables:
        section = section_of(table)
        print(f"\n{'### ' if markdown else '== '}{table_title(table)}"
              f"{'' if markdown else ' =='}  ({SECTIONS[section]})")
        if markdown:
            print()
        for note in table.get("notes", []):
            print(f"  note: {note}")
        print("\n".join(render(*summary_rows(table), markdown=markdown)))
    if markdown:
        return
    print("\ncells: median time per call and NumPy naive's time / that time (> 1 = faster "
          "than NumPy naive).\n       fa = fastact into out=, fa-alloc = fastact allocating, "
          "np = NumPy naive, np-out = NumPy\n       best effort; %floor = floor / fa time.")
    if detail:
        for table in tables:
            module = bench_activations if section_of(table) == "activations" else bench_dense
            module.print_table(table)


# ---------------------------------------------------------------- options

def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--quick", action="store_true",
                   help="fewer sizes and shapes, fewer and shorter repeats (a few minutes)")
    p.add_argument("--dtype", choices=("float32", "float64", "both"), default="float32")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts (1,2)")
    p.add_argument("--only", default="activations,dense,backward",
                   help="comma-separated sections: activations, dense, backward (all three)")
    p.add_argument("--json", metavar="FILE", help="write every figure, with its context, to FILE")
    p.add_argument("--plot", metavar="DIR", help="write PNG charts to DIR (needs matplotlib)")
    p.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    p.add_argument("--detail", action="store_true",
                   help="also print each benchmark's own tables (ratios to fastact, targets)")
    p.add_argument("--from-json", metavar="FILE",
                   help="time nothing: print (and with --plot, chart) a saved --json run")
    narrow = p.add_argument_group("narrowing a run")
    narrow.add_argument("--activations", metavar="NAMES",
                        help="activations section: comma-separated names (default: "
                             + ",".join(bench_activations.DEFAULT_ACTIVATIONS) + ")")
    narrow.add_argument("--sizes", help="activations section: element counts (default "
                                        "1e3,1e5,1e7,1e8; --quick 1e3,1e5,1e7)")
    narrow.add_argument("--dense-activations", metavar="NAMES",
                        help="dense sections: activations (default: "
                             + ",".join(bench_dense.ACTIVATIONS) + ")")
    narrow.add_argument("--shapes", help="dense sections: NxINxUNITS list (default: "
                                         + ",".join(map(shape_name, bench_dense.SHAPES))
                                         + "; --quick: "
                                         + ",".join(map(shape_name, bench_dense.QUICK_SHAPES))
                                         + ")")
    narrow.add_argument("--repeats", type=int, help="repeats per contender (7; --quick 3)")
    narrow.add_argument("--min-time", type=float,
                        help="seconds per repeat (0.02; --quick 0.003)")
    args = p.parse_args(argv)

    args.sections = [ONLY_CHOICES[s] for s in
                     names_option(p, args.only, ONLY_CHOICES, ONLY_CHOICES, "--only")]
    args.threads = [int(t) for t in args.threads.split(",")]
    args.sizes = [int(float(s)) for s in
                  (args.sizes or ("1e3,1e5,1e7" if args.quick else "1e3,1e5,1e7,1e8")).split(",")]
    try:
        args.shapes = ([parse_shape(s) for s in args.shapes.split(",")] if args.shapes else
                       list(bench_dense.QUICK_SHAPES if args.quick else bench_dense.SHAPES))
    except ValueError as exc:
        p.error(str(exc))
    args.activations = names_option(p, args.activations,
                                    {a.name for a in bench_activations.CATALOGUE},
                                    bench_activations.DEFAULT_ACTIVATIONS, "--activations")
    args.dense_activations = names_option(p, args.dense_activations, bench_dense.ACTIVATIONS,
                                          bench_dense.ACTIVATIONS, "--dense-activations")
    timing_defaults(args, quick_min_time=0.003)
    return args


def settings_of(args):
    return {"command": "python bench/run.py " + " ".join(sys.argv[1:]),
            "sections": args.sections, "dtype": args.dtype, "threads": args.threads,
            "repeats": args.repeats, "min_time": args.min_time, "sizes": args.sizes,
            "activations": args.activations, "shapes": [list(s) for s in args.shapes],
            "dense_activations": args.dense_activations}


def markdown_caption(ctx, command):
    """One paragraph for a README: when, on what, under what load, by which command."""
    cfg, cpu = ctx["fastact_config"], ctx["cpu"]
    versions = ", ".join(f"{k} {v}" for k, v in ctx["versions"].items() if v != "not installed")
    load = " / ".join(" ".join(f"{v:.2f}" for v in ctx.get(key) or [])
                      for key in ("load_average_at_start", "load_average_at_end"))
    return (f"Measured {ctx['date'][:10]} on {cpu['model']} ({cpu.get('usable_cpus', '?')} "
            f"CPUs usable, SIMD {str(cfg.get('simd in use', '?')).split(' (')[0]}), fastact "
            f"{cfg.get('fastact', '?')}, {versions}; load average at start / end: {load}. "
            f"Command: `{command}`.")


def main(argv=None):
    args = parse_args(argv)
    if args.from_json:
        with open(args.from_json) as fh:
            saved = json.load(fh)
        ctx, tables, command = saved["context"], saved["tables"], saved["settings"]["command"]
        print_machine("fastact benchmarks (bench/run.py), saved run", ctx)
        print(f"command  : {command}")
    else:
        ctx, tables = run(args)
        command = settings_of(args)["command"]
    if args.markdown:
        print("\n" + markdown_caption(ctx, command))
    print_tables(tables, markdown=args.markdown, detail=args.detail)
    print(f"\n{_fmt_load(ctx.get('load_average_at_end'))} at the end"
          + (f"; the run took {ctx['seconds']:.0f} s" if "seconds" in ctx else ""))
    if args.json and not args.from_json:
        with open(args.json, "w") as fh:
            json.dump({"context": ctx, "settings": settings_of(args), "tables": tables},
                      fh, indent=1)
        print(f"wrote {args.json}")
    if args.plot:
        import _charts                        # matplotlib is needed only here
        for path in _charts.write_charts(tables, ctx, args.plot):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
