#!/usr/bin/env python3
"""Compare two saved benchmark runs (two commits, or two machines), row by row.

    python bench/compare.py OLD.json NEW.json
    python bench/compare.py OLD.json NEW.json --contender fa-alloc --markdown

Reads the ``--json`` files of ``bench/run.py`` (or of ``bench_activations.py``
and ``bench_dense.py``), matches their rows by section, dtype, thread count
and row (activation and size, or shape and activation), and prints for each:

* the contender's median time in OLD and NEW (fastact ``out=`` by default);
* ``speed-up`` = OLD time / NEW time (above 1: NEW is faster);
* the same ratio for NumPy naive, which neither commit changes: when it moves
  too, the machine or its load differs between the runs, and the fastact
  ratio carries that drift as well;
* fastact's ``%floor`` in OLD and NEW.

A geometric mean of the speed-ups closes each table; rows found in only one
file are counted.  Both runs' machines and library versions are printed
first, with the differences marked.  Needs neither NumPy nor fastact.
"""

import argparse
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import fmt_ratio, fmt_time, render, row_label, section_of, table_title  # noqa: E402


def load(path):
    with open(path) as fh:
        saved = json.load(fh)
    if "tables" not in saved:
        raise SystemExit(f"{path}: not a benchmark --json file (no 'tables')")
    return saved


def rows_by_key(saved):
    """{(table title, row label): row} over every table of a run."""
    out = {}
    for table in saved["tables"]:
        section = section_of(table)
        for row in table["rows"]:
            out[table_title(table), row_label(section, row)] = row
    return out


def context_lines(old, new):
    """What each run ran on; '*' marks what differs."""
    def facts(saved):
        ctx = saved.get("context", {})
        cfg = ctx.get("fastact_config") or ctx.get("fastact") or {}
        return {"date": ctx.get("date", "?"), "cpu": ctx.get("cpu", {}).get("model", "?"),
                "cpus": str(ctx.get("cpu", {}).get("usable_cpus", "?")),
                "fastact": str(cfg.get("fastact", "?")),
                "simd in use": str(cfg.get("simd in use", "?")),
                "load at start": " ".join(f"{v:.2f}" for v in
                                          ctx.get("load_average_at_start") or []) or "?",
                "command": saved.get("settings", {}).get("command", "?"),
                **{k: str(v) for k, v in ctx.get("versions", {}).items()}}
    a, b = facts(old), facts(new)
    width = max(map(len, list(a) + list(b)))
    lines = []
    for key in dict.fromkeys(list(a) + list(b)):
        va, vb = a.get(key, "-"), b.get(key, "-")
        if va == vb:
            lines.append(f"  {key:<{width}}  {va}")
        else:
            mark = " " if key in ("date", "load at start") else "*"
            lines.append(f"{mark} {key:<{width}}  OLD {va}  |  NEW {vb}")
    return lines


def compare(old, new, contender="fa"):
    """[(title, header, rows, summary)] for every table the two runs share."""
    a, b = rows_by_key(old), rows_by_key(new)
    titles = list(dict.fromkeys(title for title, _ in list(b) + list(a)))
    out = []
    for title in titles:
        keys_a = [k for k in a if k[0] == title]
        keys_b = [k for k in b if k[0] == title]
        shared = [k for k in keys_b if k in a]
        header = ["row", f"{contender} OLD", f"{contender} NEW", "speed-up", "np speed-up",
                  "%floor OLD", "%floor NEW"]
        rows, logs = [], []
        for key in shared:
            ra, rb = a[key], b[key]
            if contender not in ra["times"] or contender not in rb["times"]:
                continue
            ta, tb = ra["times"][contender], rb["times"][contender]
            logs.append(math.log(ta / tb))
            np_ratio = (fmt_ratio(ra["times"]["np"] / rb["times"]["np"])
                        if "np" in ra["times"] and "np" in rb["times"] else "-")
            rows.append([key[1], fmt_time(ta), fmt_time(tb), fmt_ratio(ta / tb), np_ratio,
                         f"{ra['floor'] / ra['times']['fa'] * 100:.0f}%",
                         f"{rb['floor'] / rb['times']['fa'] * 100:.0f}%"])
        summary = (f"geometric mean speed-up of {contender} over {len(logs)} rows: "
                   f"{fmt_ratio(math.exp(sum(logs) / len(logs)))}" if logs
                   else "no rows in common")
        only = (len(keys_a) - len(shared), len(keys_b) - len(shared))
        if any(only):
            summary += f"; rows only in OLD: {only[0]}, only in NEW: {only[1]}"
        out.append((title, header, rows, summary))
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("old", help="the earlier run's --json file")
    p.add_argument("new", help="the later run's --json file")
    p.add_argument("--contender", default="fa",
                   help="whose times to compare: fa (default), fa-alloc, np, torch, ...")
    p.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    args = p.parse_args(argv)
    old, new = load(args.old), load(args.new)
    print(f"OLD = {args.old}\nNEW = {args.new}")
    print("\n".join(context_lines(old, new)))
    for title, header, rows, summary in compare(old, new, args.contender):
        print(f"\n{'### ' if args.markdown else '== '}{title}{'' if args.markdown else ' =='}")
        if args.markdown:
            print()
        if rows:
            print("\n".join(render(header, rows, markdown=args.markdown)))
        print(summary)
    print("\nspeed-up = OLD time / NEW time (> 1: NEW is faster); np speed-up: the same for "
          "NumPy naive,\nwhich no fastact change touches (far from 1.00x: the machines or "
          "their load differ).")


if __name__ == "__main__":
    main()
