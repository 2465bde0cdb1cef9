"""Check what a built wheel and sdist hold.

    python tools/check_wheel.py WHEEL [SDIST]

The wheel is what users install: compiled modules, the Python package, type
information (``py.typed`` and a ``.pyi`` for each compiled module) and, when
built with OpenMP, the vendored ``libgomp``; nothing that only the build needs
(generated ``.c``, ``.pyx``/``.pxd``, the C sources and templates) and no tests.
The sdist is what a build from source starts from: the templates and C
sources, the ``.pyx``, the tests, and no generated file.  Exits 1 listing every
problem found.
"""

import ast
import email.parser
import re
import sys
import tarfile
import zipfile
from pathlib import PurePosixPath

COMPILED = ("_kernels", "_dense_kernels")
BUILD_ONLY_SUFFIXES = (".c", ".h", ".inc", ".tp", ".pyx", ".pxd", ".pxi")
SDIST_NEEDS = ("setup.py", "pyproject.toml", "README.md", "LICENSE",
               "fastact/_kernels.pyx", "fastact/_dense_kernels.pyx", "fastact/_kernels.pxd",
               "fastact/_manifest.py", "fastact/_src/fa_kernels.c.tp",
               "fastact/_src/fa_formulas.inc", "tests/conftest.py")
GENERATED = ("fastact/_kernels.c", "fastact/_dense_kernels.c", "fastact/_src/fa_kernels.c",
             "fastact/_build_info.py")


def _version_of(source):
    """__version__ assigned in fastact/_version.py's text."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and node.targets[0].id == "__version__":
            return node.value.value
    return None


def check_wheel(path):
    problems = []
    with zipfile.ZipFile(path) as wheel:
        names = wheel.namelist()
        metadata = email.parser.HeaderParser().parsestr(
            wheel.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode())
        version = _version_of(wheel.read("fastact/_version.py").decode())
        build_info = wheel.read("fastact/_build_info.py").decode()
    files = [PurePosixPath(n) for n in names if not n.endswith("/")]

    for f in files:
        if f.suffix in BUILD_ONLY_SUFFIXES:
            problems.append(f"build-only file in the wheel: {f}")
        if f.parts[0] == "tests":
            problems.append(f"test file in the wheel: {f}")
    for needed in ["fastact/py.typed"] + [f"fastact/{m}.pyi" for m in COMPILED]:
        if PurePosixPath(needed) not in files:
            problems.append(f"missing from the wheel: {needed}")
    for module in COMPILED:
        if not any(f.parent.name == "fastact" and f.name.startswith(module + ".cpython-")
                   and f.suffix == ".so" for f in files):
            problems.append(f"compiled module missing from the wheel: fastact/{module}")
    if version != metadata["Version"]:
        problems.append(f"fastact/_version.py says {version!r}, the wheel's metadata "
                        f"{metadata['Version']!r}")

    with_openmp = "'openmp': True" in build_info
    vendored = [f for f in files if f.parts[0] == "fastact.libs" and f.name.startswith("libgomp")]
    if with_openmp and not vendored:
        problems.append("built with OpenMP but no libgomp vendored in fastact.libs/ "
                        "(was the wheel repaired with auditwheel?)")
    if not with_openmp and vendored:
        problems.append(f"a serial build vendors {vendored}")
    if not re.search(r"-manylinux[^-]*_x86_64\.whl$", str(path)):
        problems.append(f"not a manylinux wheel: {path}")
    return problems, len(files), with_openmp, vendored


def check_sdist(path):
    problems = []
    with tarfile.open(path) as sdist:
        names = {PurePosixPath(*PurePosixPath(n).parts[1:]) for n in sdist.getnames()}
    for needed in SDIST_NEEDS:
        if PurePosixPath(needed) not in names:
            problems.append(f"missing from the sdist: {needed}")
    for generated in GENERATED:
        if PurePosixPath(generated) in names:
            problems.append(f"generated file in the sdist: {generated}")
    if any(n.suffix == ".so" for n in names):
        problems.append("compiled module in the sdist")
    return problems, len(names)


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    problems, count, with_openmp, vendored = check_wheel(argv[1])
    print(f"wheel: {count} files, OpenMP {'yes' if with_openmp else 'no'}, vendored: "
          f"{', '.join(map(str, vendored)) or 'nothing'}")
    if len(argv) == 3:
        sdist_problems, sdist_count = check_sdist(argv[2])
        print(f"sdist: {sdist_count} entries")
        problems += sdist_problems
    for problem in problems:
        print("  PROBLEM:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
