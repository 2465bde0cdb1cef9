#!/usr/bin/env bash
# Check fastact's type information against the installed (non-editable) package:
#   1. the generated stubs (activations.pyi, derivatives.pyi) are up to date;
#   2. mypy's stubtest: every stub matches the runtime module it describes
#      (names, parameters, defaults), the compiled modules included;
#   3. `mypy --strict` accepts tests/typing/usage.py, a user's typed code.
# Installs mypy into the active virtual environment.  mypy cannot see an
# editable install (it is an import hook), so run this after `pip install .`.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
python -m pip install --quiet --disable-pip-version-check mypy
cd "$(mktemp -d)"      # outside the checkout: mypy must read the installed package
python "$here/tools/make_stubs.py" --check
python -m mypy.stubtest --mypy-config-file "$here/tools/stubtest_mypy.ini" \
    --allowlist "$here/tools/stubtest_allowlist.txt" fastact
python -m mypy --strict --no-incremental "$here/tests/typing/usage.py"
