#!/usr/bin/env bash
# Build the HTML documentation with every warning an error:
#   bash tools/build_docs.sh            (after the README's install command)
# It installs the "docs" extra's packages (not fastact again: the pages
# document the fastact already installed in this environment), then runs
# sphinx-build -W.  Output: docs/_build/html/index.html.
set -euo pipefail
cd "$(dirname "$0")/.."

# from docs/, so that the source tree's fastact/ (no compiled extension) is not
# the one imported
(cd docs && python -c "import fastact._kernels") \
    || { echo "build_docs.sh: install fastact first (pip install .)" >&2; exit 1; }
requirements=$(python - <<'PY'
import tomllib
with open("pyproject.toml", "rb") as f:
    print("\n".join(tomllib.load(f)["project"]["optional-dependencies"]["docs"]))
PY
)
mapfile -t packages <<< "$requirements"
python -m pip install --quiet "${packages[@]}"

rm -rf docs/_build/html docs/_generated
# the sphinx-build script, not "python -m sphinx": that would put the working
# directory, the source tree without the compiled extension, first on sys.path
sphinx-build -W --keep-going -q -b html docs docs/_build/html
echo "build_docs.sh: docs/_build/html/index.html"
