"""Build the optional compiled core, ``segment_spec._speedups`` (everything else is in
pyproject.toml).

The core is compiled with Cython (a build requirement) wherever a C compiler works. Where it
cannot be built (no compiler, no Python headers), the build says why and goes on without it:
the pure-Python code then runs, with identical results. ``SEGMENT_SPEC_NO_EXTENSIONS=1`` at
build time skips the core altogether.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def _skipped() -> bool:
    return os.environ.get("SEGMENT_SPEC_NO_EXTENSIONS", "") not in ("", "0")


def _say(text: str) -> None:
    print(f"segment_spec: {text}", file=sys.stderr)


class OptionalBuildExt(build_ext):
    """build_ext that leaves out an extension it cannot build, instead of failing the build."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as error:  # no compiler at all
            _say(f"the compiled core is not built ({error}); the pure-Python code will run")

    def build_extension(self, ext: Any) -> None:
        try:
            super().build_extension(ext)
        except Exception as error:  # a compiler that fails, missing headers
            _say(f"{ext.name} is not built ({error}); the pure-Python code will run")


def _extensions() -> list[Extension]:
    if _skipped():
        _say("SEGMENT_SPEC_NO_EXTENSIONS is set: the compiled core is not built")
        return []
    try:
        from Cython.Build import cythonize
    except ImportError:
        _say("Cython is not installed: the compiled core is not built")
        return []
    return list(
        cythonize(
            [Extension("segment_spec._speedups", ["segment_spec/_speedups.pyx"])],
            compiler_directives={"language_level": "3"},
            quiet=True,
        )
    )


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
