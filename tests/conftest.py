"""Test set-up: run against the installed, compiled fastact, never the source tree.

The README's command (``pytest -n auto --import-mode=importlib tests``) keeps the
repository root off ``sys.path``; this file adds only ``tests/`` itself, so the
helper modules here (``reference``) import, and checks that the ``fastact``
found is a built one.
"""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import fastact
    from fastact import _kernels  # noqa: F401
except ImportError as exc:          # an uncompiled source tree on sys.path
    raise pytest.UsageError(
        f"fastact is not installed (or not compiled): {exc}.  Run the README's install "
        f"command, then `pytest -n auto --import-mode=importlib tests`.") from exc


def pytest_report_header(config):
    from fastact import _config
    cfg = _config.config()
    return [f"fastact {fastact.__version__} from {os.path.dirname(fastact.__file__)}",
            f"fastact: openmp={cfg['openmp']} threads={cfg['threads']} "
            f"simd={cfg['simd in use']}"]
