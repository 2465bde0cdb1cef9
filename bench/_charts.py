"""PNG charts of a bench/run.py run (``--plot DIR``); needs matplotlib.

* ``activations_<dtype>_<n>thr.png``: throughput against array size, a panel
  per activation, with the copy bandwidth (the floor no elementwise function
  can beat) as a dashed line.  Both axes are logarithmic: sizes span decades,
  and so do throughputs between call-overhead-bound and bandwidth-bound sizes.
* ``dense_<section>_<dtype>_<n>thr.png``: each contender's time per shape
  divided by the GEMM floor (1 = no slower than the bare matrix product), a
  panel per activation; logarithmic, since NumPy naive can be many times over.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot, no GUI backend).
"""

import os

try:
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
except ImportError as exc:                  # only --plot needs it
    raise ImportError('bench/run.py --plot needs matplotlib: pip install matplotlib '
                      '(or pip install "fastact[plot]")') from exc

from _report import section_of, shape_name

# One colour and name per contender, the same in every chart.
STYLE = {
    "fa": ("tab:blue", "fastact (out=)"),
    "fa-alloc": ("tab:cyan", "fastact (allocating)"),
    "np": ("tab:red", "NumPy naive"),
    "np-out": ("tab:orange", "NumPy best effort"),
    "scipy": ("tab:purple", "SciPy"),
    "numexpr": ("tab:brown", "numexpr"),
    "torch": ("tab:green", "PyTorch"),
    "jax": ("tab:pink", "JAX"),
}
ITEMSIZE = {"float32": 4, "float64": 8}


def _grid(n_panels, max_cols=4):
    cols = min(max_cols, n_panels)
    return -(-n_panels // cols), cols


def _subtitle(ctx, table):
    cpu = ctx["cpu"]["model"]
    return (f"{table['dtype']}, {table['threads']} thread(s); {cpu}; "
            f"{ctx['date'][:10]}; median of interleaved repeats")


def _plain_log_ticks(ax, suffix):
    """y ticks labelled as plain numbers, at 1, 2, 5 x 10^k over a short range (where a log
    axis would show one bare 10^k label, or none), at powers of ten over a long one."""
    lo, hi = ax.get_ylim()
    short = hi / lo < 10 ** 2.5
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if short else (1.0,)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}{suffix}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _label_grid(axes, n_used, xlabel, ylabel, suffix):
    """Hide the unused panels; label the bottom row's x axes and the left column's y,
    every y axis in plain numbers (once all data is drawn: the limits are final)."""
    for ax in axes.flat[:n_used]:
        _plain_log_ticks(ax, suffix)
    for ax in axes.flat[n_used:]:
        ax.set_visible(False)
    for ax in axes[-1, :]:
        ax.set_xlabel(xlabel)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel)


def _finish(fig, handles, labels, path):
    """A shared legend below the panels, where it covers no data."""
    fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 5),
               frameon=False)
    fig.savefig(path, dpi=110)
    return path


def _legend_entries(fig):
    """(handles, labels) of every panel, each label once, in drawing order."""
    seen = {}
    for ax in fig.axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            seen.setdefault(label, handle)
    return list(seen.values()), list(seen)


def activations_chart(table, ctx, path):
    names = list(dict.fromkeys(r["activation"] for r in table["rows"]))
    nrows, ncols = _grid(len(names))
    fig = Figure(figsize=(3.6 * ncols, 2.9 * nrows + 1.5), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
    itemsize = ITEMSIZE[table["dtype"]]
    for ax, name in zip(axes.flat, names):
        rows = sorted((r for r in table["rows"] if r["activation"] == name),
                      key=lambda r: r["n"])
        sizes = [r["n"] for r in rows]
        for label, (colour, legend) in STYLE.items():
            pts = [(r["n"], 2 * r["n"] * itemsize / r["times"][label] / 1e9)
                   for r in rows if label in r["times"]]
            if pts:
                ax.plot(*zip(*pts), marker="o", ms=3.5, color=colour, label=legend,
                        lw=2.2 if label == "fa" else 1.2)
        ax.plot(sizes, [r["floor_gbps"] for r in rows], "k--", lw=1.2,
                label="copy bandwidth (floor)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(name)
        ax.grid(True, which="major", alpha=0.3)
    _label_grid(axes, len(names), "array size (elements)", "GB/s (read + written)", "")
    fig.suptitle("Activation throughput by array size (higher is better)\n"
                 + _subtitle(ctx, table), fontsize=11)
    return _finish(fig, *_legend_entries(fig), path)


def dense_chart(table, ctx, path):
    section = section_of(table)
    names = list(dict.fromkeys(r["activation"] for r in table["rows"]))
    shapes = list(dict.fromkeys(shape_name(r["shape"]) for r in table["rows"]))
    labels = [c for c in STYLE if any(c in r["times"] for r in table["rows"])]
    nrows, ncols = _grid(len(names), max_cols=3)
    fig = Figure(figsize=(max(4.2, 1.0 * len(shapes) + 1.2) * ncols, 3.6 * nrows + 1.3),
                 layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
    width = 0.8 / len(labels)
    for ax, name in zip(axes.flat, names):
        by_shape = {shape_name(r["shape"]): r for r in table["rows"] if r["activation"] == name}
        for k, label in enumerate(labels):
            colour, legend = STYLE[label]
            xs, hs = [], []
            for i, shape in enumerate(shapes):
                r = by_shape.get(shape)
                if r is not None and label in r["times"]:
                    xs.append(i + (k - (len(labels) - 1) / 2) * width)
                    hs.append(r["times"][label] / r["floor"])
            ax.bar(xs, hs, width, color=colour, label=legend)
        ax.axhline(1.0, color="k", ls="--", lw=1.2,
                   label="GEMM floor" if section == "forward" else "GEMM floor (2 GEMMs)")
        ax.set_yscale("log")
        ax.set_xticks(range(len(shapes)), shapes, rotation=30, ha="right", fontsize=8)
        ax.set_title(name)
        ax.grid(True, axis="y", which="both", alpha=0.3)
    _label_grid(axes, len(names), "shape N x IN x UNITS", "time / GEMM floor time", "x")
    what = ("Dense forward act(x @ W + b)" if section == "forward"
            else "Dense backward (dx, dW, db)")
    fig.suptitle(f"{what}: time relative to the bare GEMM (lower is better)\n"
                 + _subtitle(ctx, table), fontsize=11)
    return _finish(fig, *_legend_entries(fig), path)


def write_charts(tables, ctx, outdir):
    """One PNG per table; returns their paths."""
    os.makedirs(outdir, exist_ok=True)
    paths = []
    for table in tables:
        section = section_of(table)
        stem = ("activations" if section == "activations" else f"dense_{section}")
        path = os.path.join(outdir, f"{stem}_{table['dtype']}_{table['threads']}thr.png")
        chart = activations_chart if section == "activations" else dense_chart
        paths.append(chart(table, ctx, path))
    return paths
