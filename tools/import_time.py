"""What ``import fastact`` costs: ``python -X importtime``, in fresh interpreters.

    python tools/import_time.py [RUNS]      (default 15)

Prints the median wall time of the whole import, the part spent in NumPy
(which fastact cannot avoid), the modules fastact itself adds that cost the
most, and which heavy modules were imported at all (SciPy, threadpoolctl and
matplotlib should not be: they load on first use).  A budget check, not a
unit test: on a shared machine a single timing says little, so it reports the
median of several runs and the load average they ran under.
"""

import os
import re
import statistics
import subprocess
import sys

HEAVY = ("scipy", "threadpoolctl", "matplotlib")
BUDGET_MS = 150


def one_run():
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import fastact"],
                          capture_output=True, text=True, check=True, cwd=os.path.expanduser("~"))
    rows = []
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((m[4], int(m[1]), int(m[2]), len(m[3])))
    cumulative = {name: cum for name, _, cum, _ in rows}
    return cumulative["fastact"] / 1000, cumulative.get("numpy", 0) / 1000, rows


def main(argv):
    runs = int(argv[1]) if len(argv) > 1 else 15
    results = [one_run() for _ in range(runs)]
    total = statistics.median(r[0] for r in results)
    numpy_ms = statistics.median(r[1] for r in results)
    rows = results[-1][2]
    print(f"import fastact: median {total:.1f} ms over {runs} runs "
          f"(min {min(r[0] for r in results):.1f} ms), of which numpy {numpy_ms:.1f} ms; "
          f"load average {os.getloadavg()[0]:.2f}")
    beyond = statistics.median(r[0] - r[1] for r in results)
    print(f"fastact beyond numpy: median {beyond:.1f} ms")
    own = sorted(((self_us, name) for name, self_us, _, _ in rows
                  if name.startswith("fastact")), reverse=True)[:8]
    print("fastact's own modules (self time, last run):",
          ", ".join(f"{name} {us / 1000:.1f} ms" for us, name in own))
    imported = sorted({name for name, *_ in rows if name.split(".")[0] in HEAVY})
    print("heavy modules imported:", ", ".join(imported) or "none")
    print(f"budget {BUDGET_MS} ms: {'met' if total < BUDGET_MS else 'NOT met'}")
    return 0 if total < BUDGET_MS and not imported else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
