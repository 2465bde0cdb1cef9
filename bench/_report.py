"""How bench figures are named and laid out: time, ratio and size formats, the
label of a row, and plain-text or Markdown tables.

Pure Python (no NumPy, no fastact), so that ``compare.py`` can read two saved
runs on a machine where neither is installed.
"""

import math

# The sections of a run and what their floor is (every row's "floor" is a time).
SECTIONS = {
    "activations": "copy floor: the faster of np.copyto and fastact's parallel copy",
    "forward": "GEMM floor: the bare np.matmul(x, W)",
    "backward": "GEMM floor: the two bare GEMMs dz @ W.T and x.T @ dz",
}


def fmt_ratio(r):
    return f"{r:.2f}x" if r < 10 else (f"{r:.1f}x" if r < 100 else f"{r:.0f}x")


def fmt_time(s):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if s >= scale or unit == "ns":
            v = s / scale
            return f"{v:.3g}{unit}" if v < 100 else f"{v:.0f}{unit}"
    return "?"


def fmt_size(n):
    k = round(math.log10(n)) if n > 0 else 0
    if 10 ** k == n:
        return f"1e{k}"
    mant, exp = f"{n:.0e}".split("e")
    return f"{mant}e{int(exp)}" if float(f"{n:.0e}") == n else str(n)


def shape_name(shape):
    return "x".join(str(d) for d in shape)


def parse_shape(text):
    parts = text.lower().replace("*", "x").replace("(", "").replace(")", "").split("x")
    if len(parts) != 3:
        raise ValueError(f"shape {text!r} is not NxINxUNITS")
    return tuple(int(p) for p in parts)


def section_of(table):
    """A table's section; bench_activations.py's own tables do not name theirs."""
    return table.get("section", "activations")


def row_label(section, row):
    """What identifies a row within its table: 'sigmoid 1e5', '1024x512x512 gelu'."""
    if section == "activations":
        return f"{row['activation']} {fmt_size(row['n'])}"
    return f"{shape_name(row['shape'])} {row['activation']}"


def table_title(table):
    return f"{section_of(table)}, {table['dtype']}, {table['threads']} thread(s)"


def render(header, rows, markdown=False):
    """A table as text lines: columns aligned (first left, the rest right), or Markdown."""
    if markdown:
        lines = ["| " + " | ".join(header) + " |",
                 "|" + "|".join([":---"] + ["---:"] * (len(header) - 1)) + "|"]
        return lines + ["| " + " | ".join(r) + " |" for r in rows]
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]

    def line(cells):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    head = line(header)
    return [head, "-" * len(head)] + [line(r) for r in rows]


# ---------------------------------------------------------------- options

def names_option(parser, text, valid, default, option):
    """A comma-separated list of names from ``valid`` (``default`` when not given)."""
    names = text.split(",") if text else list(default)
    unknown = [n for n in names if n not in valid]
    if unknown:
        parser.error(f"{option}: unknown {', '.join(unknown)}; choose from "
                     f"{', '.join(sorted(valid))}")
    return names


def timing_defaults(args, quick_min_time):
    """Fill --repeats and --min-time when not given: 3 repeats of quick_min_time
    with --quick, else 7 of 20 ms."""
    if args.repeats is None:
        args.repeats = 3 if args.quick else 7
    if args.min_time is None:
        args.min_time = quick_min_time if args.quick else 0.02
