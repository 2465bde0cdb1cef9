"""Build fastact's compiled kernels.

What this adds to a plain setuptools build:

1. Code generation.  ``fastact/_src/fa_kernels.c`` is generated from its
   Tempita template and the activation list in ``fastact/_manifest.py`` (the
   single source of every kernel loop); ``fastact/_kernels.pyx`` cimports the
   result.  Generated files are never edited nor committed.
2. OpenMP.  A probe compiles and links a tiny OpenMP program with ``-fopenmp``.
   Without OpenMP the build warns and produces a serial package (the tests
   still pass); ``FASTACT_REQUIRE_OPENMP=1`` turns the warning into an error
   (CI sets it) and ``FASTACT_DISABLE_OPENMP=1`` builds without it on purpose.
3. Runtime SIMD dispatch.  The kernels are compiled for the x86-64 baseline
   and, behind ``#pragma GCC target``, for AVX2 and AVX-512; the widest that
   the CPU runs is chosen at import.  The probe checks that the compiler
   supports this (GCC/Clang on x86-64); elsewhere only the baseline is built.
   Never native-CPU (-march) or fast-math flags: a wheel must run on every x86-64 CPU
   and keep IEEE NaN/inf semantics.  ``-ffp-contract=off`` keeps every target
   bitwise identical, except where a kernel uses FMA explicitly (the float32
   forms of fa_formulas_f32.h, only in the FMA targets).
4. Parallel compilation.  The three C files (fa_kernels.c alone takes half
   a minute: every kernel three times) are compiled side by side, one per
   CPU, as are the two extensions.
"""

import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
SRC = HERE / "fastact" / "_src"

# Flags that change no result: vectorization, no errno from sqrt/exp (lets
# sqrt inline), no trapping (lets GCC if-convert selects).  NaN/inf kept.
KERNEL_CFLAGS = ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math",
                 "-fvisibility=hidden"]

ISA_TARGETS = [
    ("baseline", None),
    ("avx2", "avx2,fma,bmi,bmi2"),
    ("avx512", "avx512f,avx512dq,avx512bw,avx512vl,avx2,fma,bmi,bmi2"),
]


def _env_flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _load_manifest():
    import importlib.util
    spec = importlib.util.spec_from_file_location("_fastact_manifest",
                                                  HERE / "fastact" / "_manifest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generate_sources(with_dispatch):
    """Render the templates from the manifest (always: they are cheap)."""
    from Cython import Tempita

    manifest = _load_manifest()
    isas = ISA_TARGETS if with_dispatch else ISA_TARGETS[:1]
    template = (SRC / "fa_kernels.c.tp").read_text()
    rendered = Tempita.sub(template, isas=isas, kernels=manifest.kernel_table(),
                           memory_bound=manifest.MEMORY_BOUND, two_forms=manifest.TWO_FORMS)
    out = SRC / "fa_kernels.c"
    if not out.exists() or out.read_text() != rendered:
        out.write_text(rendered)


def _compiles(compiler, code, extra_compile=(), extra_link=()):
    """Whether a C snippet compiles and links with the given flags."""
    tmp = tempfile.mkdtemp(prefix="fastact-probe-")
    try:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write(textwrap.dedent(code))
        try:
            objects = compiler.compile([src], output_dir=tmp, extra_postargs=list(extra_compile))
            compiler.link_executable(objects, os.path.join(tmp, "probe"),
                                     extra_postargs=list(extra_link))
        except Exception:
            return False
        return True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


OPENMP_PROBE = """
#include <omp.h>
int main(void) {
    int n = 0;
    #pragma omp parallel reduction(+:n)
    n += 1;
    return n > 0 ? 0 : 1;
}
"""

DISPATCH_PROBE = """
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma,bmi,bmi2")
static double twice(double x) { return 2.0 * x; }
#pragma GCC pop_options
int main(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? (int)twice(0.0) : 0;
}
"""


def _compile_in_parallel(compiler, jobs):
    """Make compiler.compile() build an extension's sources `jobs` at a time.

    distutils compiles them one after another.  This replacement splits its
    compile() the way distutils itself does (pybind11's ParallelCompile does
    the same), so dependency checks and flags are unchanged.  Compilers
    without those steps keep their serial compile()."""
    if jobs < 2 or not all(hasattr(compiler, a) for a in
                           ("_setup_compile", "_get_cc_args", "_compile")):
        return

    def compile(sources, output_dir=None, macros=None, include_dirs=None, debug=False,
                extra_preargs=None, extra_postargs=None, depends=None):
        macros, objects, extra_postargs, pp_opts, build = compiler._setup_compile(
            output_dir, macros, include_dirs, sources, depends, extra_postargs)
        cc_args = compiler._get_cc_args(pp_opts, debug, extra_preargs)

        def one(obj):
            src, ext = build[obj]
            compiler._compile(obj, src, ext, cc_args, extra_postargs, pp_opts)

        with ThreadPoolExecutor(jobs) as pool:
            list(pool.map(one, [obj for obj in objects if obj in build]))
        return objects

    compiler.compile = compile


class BuildExt(build_ext):
    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:                # `build_ext -j N` still wins
            self.parallel = os.cpu_count() or 1

    def build_extensions(self):
        compiler = self.compiler
        _compile_in_parallel(compiler, os.cpu_count() or 1)
        is_x86_64 = platform.machine().lower() in ("x86_64", "amd64")
        with_dispatch = is_x86_64 and _compiles(compiler, DISPATCH_PROBE)

        want_openmp = not _env_flag("FASTACT_DISABLE_OPENMP")
        with_openmp = want_openmp and _compiles(compiler, OPENMP_PROBE,
                                                ["-fopenmp"], ["-fopenmp"])
        if want_openmp and not with_openmp:
            message = ("fastact: the C compiler cannot build OpenMP code (-fopenmp); "
                       "building a serial package.")
            if _env_flag("FASTACT_REQUIRE_OPENMP"):
                raise RuntimeError(message + " FASTACT_REQUIRE_OPENMP is set: failing.")
            warnings.warn(message)

        # `omp simd` (the row reductions of fa_rowwise.h) needs no runtime:
        # a serial build keeps it with -fopenmp-simd where the compiler has it.
        with_openmp_simd = not with_openmp and _compiles(compiler, "int main(void) { return 0; }\n",
                                                         ["-fopenmp-simd"])
        generate_sources(with_dispatch)
        build_info = {
            "compiler": _compiler_version(compiler),
            "openmp": with_openmp,
            "dispatch": with_dispatch,
            "targets": [name for name, _ in (ISA_TARGETS if with_dispatch else ISA_TARGETS[:1])],
            "cflags": KERNEL_CFLAGS,
        }
        (HERE / "fastact" / "_build_info.py").write_text(
            "# Generated by setup.py at build time: how this copy of fastact was compiled.\n"
            f"BUILD_INFO = {build_info!r}\n")

        for ext in self.extensions:
            ext.extra_compile_args = list(KERNEL_CFLAGS)
            ext.define_macros = list(ext.define_macros or [])
            if with_dispatch:
                ext.define_macros.append(("FA_HAVE_DISPATCH", "1"))
            if with_openmp:
                ext.extra_compile_args.append("-fopenmp")
                ext.extra_link_args = list(ext.extra_link_args or []) + ["-fopenmp"]
            elif with_openmp_simd:
                ext.extra_compile_args.append("-fopenmp-simd")
        super().build_extensions()

    def run(self):
        super().run()
        # The build-info module is written into the source tree; copy it next
        # to the built extension for non-inplace builds.
        target = Path(self.build_lib) / "fastact" / "_build_info.py"
        if not self.inplace and target.parent.exists():
            shutil.copy(HERE / "fastact" / "_build_info.py", target)


def _compiler_version(compiler):
    exe = getattr(compiler, "compiler", None) or [sysconfig.get_config_var("CC") or "cc"]
    try:
        out = subprocess.run([exe[0], "--version"], capture_output=True, text=True, timeout=30)
        return out.stdout.splitlines()[0].strip()
    except Exception:
        return str(exe[0])


def _extension(name, sources):
    import numpy   # the small-array path cimports numpy (see _kernels.pyx)
    return Extension(
        name,
        sources=sources,
        include_dirs=[str(SRC.relative_to(HERE)), numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        depends=["fastact/_kernels.pxd"] + [str(p.relative_to(HERE)) for p in SRC.glob("*.h")]
        + [str(p.relative_to(HERE)) for p in SRC.glob("*.inc")],
    )


def _extensions():
    # The .pyx files only need the headers; fa_kernels.c itself is generated
    # in BuildExt, once the probes have said which SIMD targets to emit.
    from Cython.Build import cythonize
    return cythonize(
        [_extension("fastact._kernels", ["fastact/_kernels.pyx", "fastact/_src/fa_kernels.c"]),
         _extension("fastact._dense_kernels", ["fastact/_dense_kernels.pyx"])],
        compiler_directives={"language_level": "3", "boundscheck": False,
                             "wraparound": False, "cdivision": True,
                             "initializedcheck": False},
    )


setup(cmdclass={"build_ext": BuildExt}, ext_modules=_extensions())
