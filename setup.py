"""Build of the optional compiled kernel ``hbtheory._ckernel`` (everything else is in pyproject.toml).

The extension is optional: without a working C compiler the install still succeeds and
``hbtheory.spectral_radius`` uses its numpy path, which gives the same bits, only slower
(``benchmarks/spectral_speed.py``). Set ``HBTHEORY_NO_EXTENSION=1`` to skip the build.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# -ffp-contract=off: a fused multiply-add in c1*c1 - 4*c0 would change the bits of rho against the
# numpy path; -fno-math-errno and -fno-trapping-math let the loops vectorise (sqrt inline, the
# compares if-converted) without changing any value: IEEE sqrt is correctly rounded either way.
_GCC_FLAGS = ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math", "-std=c11"]
_MSVC_FLAGS = ["/O2", "/fp:precise"]


class BuildExt(build_ext):
    """Compiler-specific flags; a failed build leaves the numpy path (``optional=True``)."""

    def build_extensions(self) -> None:
        flags = _MSVC_FLAGS if self.compiler.compiler_type == "msvc" else _GCC_FLAGS
        for ext in self.extensions:
            ext.extra_compile_args = list(flags)
        super().build_extensions()


def _extensions() -> list[Extension]:
    if os.environ.get("HBTHEORY_NO_EXTENSION"):
        return []
    import numpy

    source = "hbtheory/_ckernel.c"
    # The checksum of the source goes into the module: hbtheory._kernel compares it with the
    # _ckernel.c next to it and ignores an extension built from another version (a stale build in
    # an editable install), falling back to numpy with a warning.
    crc = zlib.crc32(Path(__file__).with_name("hbtheory").joinpath("_ckernel.c").read_bytes())
    return [
        Extension(
            "hbtheory._ckernel",
            [source],
            include_dirs=[numpy.get_include()],
            define_macros=[("NPY_TARGET_VERSION", "NPY_1_23_API_VERSION"), ("HB_SOURCE_CRC32", f"{crc}UL")],
            optional=True,
        )
    ]


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildExt})
