"""Smoke test of bench/run.py and bench/compare.py on the smallest run they allow.

Only the plumbing is checked (every section, figure and context entry is there
and consistent); never a timing, which depends on the machine and its load.
"""

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
TINY = ["--threads", "1", "--activations", "sigmoid,relu", "--sizes", "1000",
        "--shapes", "8x10x1", "--dense-activations", "sigmoid,gelu",
        "--repeats", "2", "--min-time", "0.0001"]


def bench(script, *args):
    res = subprocess.run([sys.executable, str(BENCH / script), *map(str, args)],
                         capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "run.json"
    out = bench("run.py", *TINY, "--json", path)
    return out, path, json.loads(path.read_text())


def test_run_prints_the_machine_and_one_table_per_section(saved_run):
    out, path, _ = saved_run
    for line_start in ("CPU      :", "fastact  :", "versions :", "load     :"):
        assert line_start in out
    assert "simd in use" in out and "numpy" in out and "scipy" in out
    for section in ("activations", "forward", "backward"):
        assert f"== {section}, float32, 1 thread(s) ==" in out
    assert "sigmoid 1e3" in out and "8x10x1 gelu" in out and "%floor" in out
    assert f"wrote {path}" in out


def test_json_holds_every_figure_with_its_context(saved_run):
    _, _, saved = saved_run
    ctx = saved["context"]
    assert ctx["cpu"]["model"] and ctx["cpu"]["logical_cpus"] >= 1
    assert "simd in use" in ctx["fastact_config"]
    assert {"numpy", "scipy", "numexpr", "torch", "jax"} <= set(ctx["versions"])
    assert saved["settings"]["command"].startswith("python bench/run.py --threads 1")
    tables = {t["section"]: t for t in saved["tables"]}
    assert set(tables) == {"activations", "forward", "backward"}
    assert [(r["activation"], r["n"]) for r in tables["activations"]["rows"]] == [
        ("sigmoid", 1000), ("relu", 1000)]
    for section in ("forward", "backward"):
        assert [(r["shape"], r["activation"]) for r in tables[section]["rows"]] == [
            ([8, 10, 1], "sigmoid"), ([8, 10, 1], "gelu")]
    for table in tables.values():
        assert table["threads"] == 1 and table["dtype"] == "float32"
        for row in table["rows"]:
            for label in ("fa", "fa-alloc", "np", "np-out"):
                assert row["times"][label] > 0 and len(row["samples"][label]) == 2
            assert 0 < row["floor"] and math.isfinite(row["floor"])
    assert "scipy" in tables["activations"]["rows"][0]["times"]     # expit for sigmoid


def test_compare_a_run_with_itself_is_one_everywhere(saved_run):
    _, path, _ = saved_run
    out = bench("compare.py", path, path)
    assert out.count("geometric mean speed-up of fa over 2 rows: 1.00x") == 3
    labels = ("sigmoid 1e3", "relu 1e3", "8x10x1 sigmoid", "8x10x1 gelu")
    rows = [line for line in out.splitlines() if line.startswith(labels)]
    assert len(rows) == 6
    for line in rows:
        assert line.split()[-4:-2] == ["1.00x", "1.00x"]     # fastact's and NumPy's speed-up


def test_compare_matches_rows_across_different_runs(saved_run, tmp_path):
    _, path, saved = saved_run
    # A "new" run 2x faster for fastact, with one activation row gone.
    for table in saved["tables"]:
        for row in table["rows"]:
            row["times"]["fa"] /= 2
        if table["section"] == "activations":
            table["rows"] = table["rows"][:1]
    new = tmp_path / "new.json"
    new.write_text(json.dumps(saved))
    out = bench("compare.py", path, new)
    assert "geometric mean speed-up of fa over 1 rows: 2.00x; rows only in OLD: 1" in out
    assert out.count("geometric mean speed-up of fa over 2 rows: 2.00x") == 2


def test_from_json_reprints_and_charts_without_timing(saved_run, tmp_path):
    _, path, _ = saved_run
    out = bench("run.py", "--from-json", path, "--plot", tmp_path, "--markdown")
    assert "### activations, float32, 1 thread(s)" in out
    assert "Command: `python bench/run.py --threads 1 " in out      # the README's caption
    assert "| sigmoid 1e3 |" in out
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == ["activations_float32_1thr.png", "dense_backward_float32_1thr.png",
                    "dense_forward_float32_1thr.png"]
    for png in tmp_path.glob("*.png"):
        assert png.read_bytes().startswith(b"\x89PNG")


def test_unknown_section_is_refused():
    res = subprocess.run([sys.executable, str(BENCH / "run.py"), "--only", "gpu"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "--only: unknown gpu" in res.stderr


def test_dask_bench_runs_and_reports_the_overhead_ratio(tmp_path):
    pytest.importorskip("distributed", reason="dask is not installed (the 'dask' extra)")
    path = tmp_path / "dask.json"
    out = bench("on_dask.py", "--rows", "20000", "--chunk", "5000", "--repeats", "1",
                "--json", path)
    for line in ("== sigmoid, 20,000 rows ==", "== network, 20,000 rows ==",
                 "scipy.special.expit on Dask", "NumPy on Dask", "dask/memory:"):
        assert line in out
    figures = json.loads(path.read_text())["figures"]
    for name in ("sigmoid", "network"):
        assert math.isfinite(figures[name]["dask_over_memory"])
        assert set(figures[name]["rows_per_second"]) == {
            "fastact on Dask", "fastact in memory",
            "scipy.special.expit on Dask" if name == "sigmoid" else "NumPy on Dask"}


def test_python_threads_bench_reports_a_speed_up_per_workload():
    out = bench("python_threads.py", "--repeats", "1", "--min-time", "0.0001")
    assert "fastact's OpenMP and the BLAS on 1 thread" in out
    rows = [line.split() for line in out.splitlines()
            if line.startswith(("dense ", "dense_backward ", "gelu ", "sigmoid "))]
    assert [r[0] for r in rows] == ["dense", "dense_backward", "gelu", "sigmoid"], out
    for r in rows:
        serial, threaded, speed_up = r[-3], r[-2], r[-1]
        assert serial.endswith("ms") and threaded.endswith("ms") and speed_up.endswith("x"), r
        assert math.isfinite(float(speed_up[:-1])) and float(speed_up[:-1]) > 0, r
