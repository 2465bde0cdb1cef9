"""Check that GCC vectorizes every elementwise kernel loop it should.

    python tools/check_vectorized.py     # after a build (pip install .), from the checkout

Compiles the generated fastact/_src/fa_kernels.c with the extension's flags
(KERNEL_CFLAGS in setup.py) and -fopt-info-vec-all, and lists, for the AVX2
and AVX-512 targets, every kernel function none of whose loops vectorized.
Exit 1 if one is not in EXPECTED_SCALAR.

Why a check: whether a loop vectorizes depends on how GCC reads the formula,
not only on what it computes.  The float64 exp and gelu kernels load from
tables (fa_exp_table.h, fa_erfcx_table.h); written as `c ? 1 : f(x)`, or with
a clamp that makes one lane's row a constant, GCC made those loads
conditional and left the whole loop scalar, 4-5x slower, with every test
still passing.
"""

import ast
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KERNELS = ROOT / "fastact" / "_src" / "fa_kernels.c"

# Loops that are scalar by design: the row-wise softmax drivers (their row
# bodies vectorize inside), and the float64 tanh_shrink, which calls the x87
# tanhl.
EXPECTED_SCALAR = {"fa_softmax_rows_f32", "fa_softmax_rows_f64", "fa_tanh_shrink_fwd_f64"}
CHECKED_ISAS = ("avx2", "avx512")


def kernel_cflags():
    """KERNEL_CFLAGS from setup.py, read without running it."""
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "KERNEL_CFLAGS":
            return ast.literal_eval(node.value)
    raise SystemExit("setup.py has no KERNEL_CFLAGS")


def scalar_kernels(report):
    """{isa: sorted kernel names (without the _isa suffix) none of whose loops vectorized}."""
    lines = KERNELS.read_text().splitlines()
    function_at, current = {}, None
    for number, line in enumerate(lines, 1):
        match = re.match(r"static void (fa_\w+)\(", line)
        if match:
            current = match.group(1)
        function_at[number] = current
    vectorized, missed = set(), set()
    pattern = re.compile(r"fa_kernels\.c:(\d+):\d+: (optimized: loop vectorized|missed: couldn't vectorize loop)")
    for line in report.splitlines():
        match = pattern.search(line)
        if match and function_at.get(int(match.group(1))):
            (vectorized if match.group(2).startswith("optimized") else missed).add(
                function_at[int(match.group(1))])
    return {isa: sorted(name[: -len(isa) - 1] for name in missed - vectorized
                        if name.endswith("_" + isa))
            for isa in CHECKED_ISAS}


def main():
    if not KERNELS.exists():
        raise SystemExit(f"{KERNELS} is missing: build first (pip install .), which generates it")
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            ["gcc", *kernel_cflags(), "-fopenmp", "-fPIC", "-c", "-I", str(KERNELS.parent),
             str(KERNELS), "-o", str(Path(tmp) / "fa_kernels.o"), "-fopt-info-vec-all"],
            capture_output=True, text=True)
    if done.returncode != 0:
        print(done.stderr[-4000:], file=sys.stderr)
        raise SystemExit("gcc failed")
    failures = 0
    for isa, names in scalar_kernels(done.stderr).items():
        unexpected = [n for n in names if n not in EXPECTED_SCALAR]
        print(f"{isa}: scalar loops {names or 'none'}")
        if unexpected:
            print(f"{isa}: NOT VECTORIZED, unexpectedly: {unexpected}", file=sys.stderr)
            failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
