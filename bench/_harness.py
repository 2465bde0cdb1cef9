"""Timing and formatting shared by the bench scripts: interleaved repeats
(so drifts in clock speed and background load hit every contender alike),
calibrated calls per repeat, and the time/ratio formats of the tables."""

import dataclasses
import os
import platform
import gc
import math
import statistics
import sys
import time
from typing import Callable

import fastact
import fastact._config
import fastact._kernels

@dataclasses.dataclass(frozen=True)
class Contender:
    label: str
    form: str                # "out", "alloc" or "floor"
    call: Callable           # no arguments; returns the result (array or tensor)


def _fmt_load(load):
    return "load average " + (" ".join(f"{v:.2f}" for v in load) if load else "unknown")


def _time_calls(call, number):
    t0 = time.perf_counter()
    for _ in range(number):
        call()
    return time.perf_counter() - t0


def calibrate(call, min_time):
    """Calls per repeat so that one repeat lasts at least ``min_time`` seconds."""
    warm = _time_calls(call, 1)              # also the warm-up (page faults, caches, imports)
    if warm >= 2 * min_time:
        return 1
    number = 1
    for _ in range(20):
        t = _time_calls(call, number)
        if t >= min_time:
            break
        grow = min_time * 1.2 / t if t > 0 else 100.0
        number = max(number + 1, math.ceil(number * min(grow, 100.0)))
    return number


def fmt_ratio(r):
    return f"{r:.2f}x" if r < 10 else (f"{r:.1f}x" if r < 100 else f"{r:.0f}x")


def fmt_time(s):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if s >= scale or unit == "ns":
            v = s / scale
            return f"{v:.3g}{unit}" if v < 100 else f"{v:.0f}{unit}"
    return "?"


def measure(contenders, repeats, min_time):
    """Median per-call seconds of each contender, repetitions interleaved.

    Repeat r times every contender once, starting at contender r (rotating),
    so drifts in clock speed or background load are shared by all.
    """
    numbers = {c.label: calibrate(c.call, min_time) for c in contenders}
    samples = {c.label: [] for c in contenders}
    gc_enabled = gc.isenabled()
    gc.disable()
    try:
        for r in range(repeats):
            k = r % len(contenders)
            for c in contenders[k:] + contenders[:k]:
                samples[c.label].append(_time_calls(c.call, numbers[c.label])
                                        / numbers[c.label])
    finally:
        if gc_enabled:
            gc.enable()
    medians = {label: statistics.median(s) for label, s in samples.items()}
    return medians, samples, numbers


def progress(msg):
    if sys.stderr.isatty():
        sys.stderr.write(f"\r\033[K{msg}")
        sys.stderr.flush()


# ---------------------------------------------------------------- machine

def cpu_info():
    info = {"model": platform.processor() or "unknown", "logical_cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as fh:
            text = fh.read()
    except OSError:
        return info
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    info["model"] = fields.get("model name", info["model"])
    info["physical_cores_per_socket"] = fields.get("cpu cores")
    flags = set(fields.get("flags", "").split())
    info["simd_flags"] = " ".join(f for f in ("avx2", "fma", "avx512f") if f in flags)
    if hasattr(os, "sched_getaffinity"):
        info["usable_cpus"] = len(os.sched_getaffinity(0))
    return info


def load_average():
    """The 1, 5 and 15-minute load averages (None where unavailable)."""
    try:
        return os.getloadavg()
    except (AttributeError, OSError):
        return None


def fastact_config():
    """fastact._config.config(), or the essentials from the kernels if it fails."""
    try:
        return fastact._config.config()
    except Exception as exc:                 # keep benchmarking a half-updated checkout
        k = fastact._kernels
        return {"fastact": fastact.__version__, "openmp": k.openmp_enabled(),
                "threads": k.max_threads(), "simd in use": k.current_isa(),
                "compiler": "compiler unknown", "config() error": f"{type(exc).__name__}: {exc}"}

