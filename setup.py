"""Build the optional compiled core, ``segment_spec._speedups`` and
``segment_spec._normalize_compiled`` (everything else is in pyproject.toml).

The core is compiled with Cython (a build requirement) wherever a C compiler works. Where it
cannot be built (no compiler, no Python headers), the build says why and goes on without it:
the pure-Python code then runs, with identical results. ``SEGMENT_SPEC_NO_EXTENSIONS=1`` at
build time skips the core altogether.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
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
            [
                Extension("segment_spec._speedups", ["segment_spec/_speedups.pyx"]),
                Extension("segment_spec._normalize_compiled", [_normalize_copy()]),
            ],
            # Annotations are for mypy: Cython must not turn them into checks of its own.
            compiler_directives={"language_level": "3", "annotation_typing": False},
            quiet=True,
        )
    )


def _normalize_copy() -> str:
    """``segment_spec/_normalize.py`` copied under the name it is compiled as, in the build
    folder (a package folder there, so that Cython names the module
    ``segment_spec._normalize_compiled``)."""
    folder = Path("build") / "cython" / "segment_spec"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "__init__.py").write_text("")
    copy = folder / "_normalize_compiled.py"
    shutil.copyfile(Path("segment_spec") / "_normalize.py", copy)
    return copy.as_posix()


setup(ext_modules=_extensions(), cmdclass={"build_ext": OptionalBuildExt})
