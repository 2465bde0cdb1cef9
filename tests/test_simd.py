"""Runtime SIMD dispatch: the default target, FASTACT_SIMD, and what show_config says.

Every target's results are compared bitwise with the baseline's in
test_api.py (test_every_simd_target_gives_the_baseline_result); CI also runs
the whole suite under FASTACT_SIMD=baseline.  Here: which target is chosen
and why.  FASTACT_SIMD is read once, at import, so each case imports fastact
in a fresh interpreter.
"""

import json
import os
import subprocess
import sys

import pytest

from fastact import _config, _kernels, _simd
import child

ORDER = _kernels.ISA_NAMES
AVX512_FLAGS = {"avx512f", "avx512dq", "avx512bw", "avx512vl"}

PROBE = """
import json, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import fastact
from fastact import _config, _kernels
print(json.dumps({"current": _kernels.current_isa(), "best": _kernels.best_isa(),
                  "config": _config.config(),
                  "warnings": [str(w.message) for w in caught
                               if issubclass(w.category, RuntimeWarning)]}))
"""


def import_with(value):
    """What a fresh ``import fastact`` chooses with FASTACT_SIMD=value (None: unset)."""
    env = {k: v for k, v in os.environ.items() if k != _simd.ENV_VAR}
    if value is not None:
        env[_simd.ENV_VAR] = value
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                          text=True, timeout=120, cwd=child.CWD)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def cpu_flags():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    return set()


def usable(isa):
    return isa in _kernels.compiled_isas() and ORDER.index(isa) <= ORDER.index(_kernels.best_isa())


@pytest.mark.skipif(not os.path.exists("/proc/cpuinfo"), reason="needs Linux's /proc/cpuinfo")
def test_best_target_is_what_the_cpu_flags_allow():
    # An independent reading of the CPU's features: an AVX-512 machine must get
    # the AVX-512 kernels, an AVX2+FMA one the AVX2 kernels.
    flags, compiled = cpu_flags(), _kernels.compiled_isas()
    if AVX512_FLAGS <= flags and "avx512" in compiled:
        expected = "avx512"
    elif {"avx2", "fma"} <= flags and "avx2" in compiled:
        expected = "avx2"
    else:
        expected = "baseline"
    assert _kernels.best_isa() == expected


def test_unset_means_the_widest_target():
    got = import_with(None)
    assert got["current"] == got["best"] == _kernels.best_isa()
    assert got["warnings"] == []
    assert got["config"]["simd in use"] == got["best"]
    assert "not set" in got["config"]["simd chosen because"]


@pytest.mark.parametrize("isa", ORDER)
def test_forced_target(isa):
    got = import_with(isa)
    config = got["config"]
    if usable(isa):
        assert got["current"] == isa
        assert got["warnings"] == []
        assert config["simd in use"] == isa
        assert f"forced by FASTACT_SIMD={isa}" in config["simd chosen because"]
    else:
        # Refused, never executed: on a CPU without AVX-512, avx512.
        assert got["current"] == got["best"]
        assert len(got["warnings"]) == 1 and isa in got["warnings"][0]
        assert config["simd in use"] == got["best"]
        assert "refused" in config["simd chosen because"]


@pytest.mark.parametrize("value", ["sse9", "AVX3", "native"])
def test_unknown_value_is_refused(value):
    got = import_with(value)
    assert got["current"] == got["best"]
    assert len(got["warnings"]) == 1 and "not one of" in got["warnings"][0]
    assert "refused" in got["config"]["simd chosen because"]


def test_value_is_case_and_space_insensitive():
    assert import_with(" Baseline ")["current"] == "baseline"


def test_this_run_uses_the_requested_target():
    # CI runs the whole suite a second time under FASTACT_SIMD=baseline: this
    # checks that those tests really ran the requested kernels.
    requested = os.environ.get(_simd.ENV_VAR, "").strip().lower()
    want = requested if requested and usable(requested) else _kernels.best_isa()
    assert _simd.TARGET == want
    assert _config.config()["simd in use"] == want
