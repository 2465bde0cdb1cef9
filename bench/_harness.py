"""Timing and formatting shared by the bench scripts: interleaved repeats
(so drifts in clock speed and background load hit every contender alike),
calibrated calls per repeat, and the time/ratio formats of the tables."""

import contextlib
import dataclasses
import datetime
import os
import platform
import gc
import math
import statistics
import sys
import time
from typing import Callable

# After a multi-threaded GEMM, OpenBLAS's workers spin for ~2**28 cycles (~0.1 s)
# before they sleep; interleaved with another library's threads, that spinning
# takes a CPU from the next contender (fastact's 2-thread dense ran 2-3x slower
# right after an np.matmul).  Let idle BLAS workers sleep at once; OpenBLAS reads
# this when it loads, so every bench script imports this module before NumPy.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import numpy as np  # noqa: E402
import scipy  # noqa: E402

import fastact  # noqa: E402
import fastact._config  # noqa: E402
import fastact._kernels  # noqa: E402

_START = time.perf_counter()


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
    """One self-erasing status line on a terminal (nothing when stderr is a file)."""
    if sys.stderr.isatty():
        sys.stderr.write(f"\r\033[K[{time.perf_counter() - _START:5.0f} s] {msg}" if msg
                         else "\r\033[K")
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


def _threadpoolctl():
    try:
        import threadpoolctl
    except ImportError:
        return None
    return threadpoolctl


def machine_context(optional, skipped=None):
    """Date, CPU, load, fastact's configuration, every library's version, BLAS pools.

    ``optional``: name -> imported module (or None) of the optional competitors.
    """
    tpc = _threadpoolctl()
    versions = {"numpy": np.__version__, "scipy": scipy.__version__,
                "threadpoolctl": getattr(tpc, "__version__", "not installed")}
    versions.update({name: getattr(module, "__version__", "not installed")
                     for name, module in optional.items()})
    pools = ([f"{p['internal_api']} {p.get('version')} ({os.path.basename(p['filepath'])}, "
              f"{p['num_threads']} thr)" for p in tpc.threadpool_info()] if tpc else [])
    return {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "cpu": cpu_info(), "load_average_at_start": load_average(),
            "python": platform.python_version(), "platform": platform.platform(),
            "fastact_config": fastact_config(), "versions": versions, "threadpools": pools,
            "skipped": dict(skipped or {}),
            "OPENBLAS_THREAD_TIMEOUT": os.environ.get("OPENBLAS_THREAD_TIMEOUT")}


def print_machine(title, ctx):
    """The header lines every bench prints: what machine and software the figures belong to."""
    cpu = ctx["cpu"]
    print(f"{title} -- {ctx['date']}")
    print(f"CPU      : {cpu['model']}; {cpu.get('logical_cpus')} logical CPUs, "
          f"{cpu.get('usable_cpus', '?')} usable, {cpu.get('physical_cores_per_socket', '?')} "
          f"cores/socket; flags: {cpu.get('simd_flags', '?')}")
    print("fastact  : " + "; ".join(f"{k}: {v}" for k, v in ctx["fastact_config"].items()
                                    if k not in ("python", "platform")))
    print("versions : python " + ctx["python"] + "; " + "; ".join(
        f"{k} {v}" for k, v in ctx["versions"].items()) + f"; {ctx['platform']}")
    if ctx.get("threadpools"):
        print("pools    : " + "; ".join(ctx["threadpools"]))
    print(f"load     : {_fmt_load(ctx['load_average_at_start'])} at start (other work on these "
          f"CPUs inflates the figures)")
    load, usable = ctx["load_average_at_start"], cpu.get("usable_cpus") or cpu["logical_cpus"]
    if load and usable and load[0] > 0.5 * usable:
        print(f"WARNING  : the 1-minute load ({load[0]:.2f}) is high for {usable} CPU(s): other "
              f"processes compete, most of all with every CPU in use; expect noisy figures")
    for name, reason in ctx.get("skipped", {}).items():
        print(f"skipped  : {name} ({reason})")


# ---------------------------------------------------------------- threads

def _usable_cpus():
    return sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None


def _set_process_affinity(cpus):
    """Confine every thread of this process (and threads it starts later) to cpus."""
    for tid in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(int(tid), cpus)


@contextlib.contextmanager
def thread_count(n, *, torch=None, numexpr=None, pin=False):
    """Every contender on n threads in total; yields whether the process was confined.

    fastact's OpenMP and NumPy's/SciPy's BLAS via threadpoolctl (when installed;
    otherwise the caller sets OMP_NUM_THREADS in a child process), numexpr and
    torch through their own setters.  JAX's pool cannot be resized once started,
    so with ``pin`` and n below the usable CPUs the whole process is confined to
    n CPUs (``os.sched_setaffinity``).
    """
    cpus = _usable_cpus()
    confine = pin and cpus is not None and n < len(cpus) and os.path.isdir("/proc/self/task")
    restore = []
    if confine:
        _set_process_affinity(set(cpus[:n]))
        restore.append(lambda: _set_process_affinity(set(cpus)))
    if numexpr is not None:
        ne_prev = numexpr.set_num_threads(n)         # returns the previous count
        restore.append(lambda: numexpr.set_num_threads(ne_prev))
    if torch is not None:
        torch_prev = torch.get_num_threads()
        torch.set_num_threads(n)
        restore.append(lambda: torch.set_num_threads(torch_prev))
    tpc = _threadpoolctl()
    try:
        with (tpc.threadpool_limits(limits=n, user_api="openmp") if tpc
              else contextlib.nullcontext()), \
             (tpc.threadpool_limits(limits=n, user_api="blas") if tpc
              else contextlib.nullcontext()):
            yield confine
    finally:
        for undo in reversed(restore):
            undo()
