#!/usr/bin/env bash
# Run the test suite against a built wheel, the way a user gets fastact.
#
#   tools/test_wheel.sh [--oldest] DIST [PYTEST ARGS...]
#
# DIST holds what tools/build_wheel.sh made (a wheel and the sdist).  Installs
# the wheel with its "test" extra into a fresh venv, unpacks the sdist into a
# temporary directory outside the checkout and runs the sdist's tests from
# there, so neither the checkout nor a build tree can be imported by mistake.
# --oldest pins every dependency the wheel declares (Requires-Dist) to the
# lowest version it allows (numpy>=1.23.2 -> numpy==1.23.2).
# FASTACT_SIMD and OMP_NUM_THREADS pass through to the tests.
set -euo pipefail
oldest=0
if [ "${1:-}" = "--oldest" ]; then
    oldest=1
    shift
fi
[ $# -ge 1 ] || { sed -n '2,13p' "$0"; exit 2; }
dist=$(realpath "$1")
shift
wheel=$(ls "$dist"/fastact-*.whl)
sdist=$(ls "$dist"/fastact-*.tar.gz)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
py="$work/venv/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check --upgrade pip

pins=()
if [ "$oldest" = 1 ]; then
    # The declared lower bounds, from the wheel's own metadata.
    mapfile -t pins < <("$py" - "$wheel" <<'EOF'
import re, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as whl:
    meta = next(n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
    for line in whl.read(meta).decode().splitlines():
        m = re.match(r"Requires-Dist: ([A-Za-z0-9_.-]+)\s*>=\s*([^,;\s]+)\s*$", line)
        if m:
            print(f"{m[1]}=={m[2]}")
EOF
)
    echo "== pinned to the declared minimum: ${pins[*]}"
fi
"$py" -m pip install --quiet --disable-pip-version-check "$wheel[test]" "${pins[@]}"

tar xzf "$sdist" -C "$work"
mkdir "$work/elsewhere"
cd "$work/elsewhere"
echo "== fastact from $wheel, tests from $sdist, run in $PWD"
"$py" -m pip list --disable-pip-version-check 2>/dev/null | grep -Ei '^(fastact|numpy|scipy) '
"$py" -c "import fastact; fastact.show_config()"
"$work/venv/bin/pytest" -n auto --import-mode=importlib -p no:cacheprovider "$work"/fastact-*/tests "$@"
