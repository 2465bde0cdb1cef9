#!/usr/bin/env bash
# The test suite against the oldest NumPy and SciPy that pyproject.toml declares
# (read from the wheel's Requires-Dist), in a fresh venv:
#   tools/test_oldest.sh DIST [PYTEST ARGS...]     (DIST from tools/build_wheel.sh)
exec "$(dirname "$0")/test_wheel.sh" --oldest "$@"
