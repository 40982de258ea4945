"""Whether the compiled core (``segment_spec._speedups``, built from ``_speedups.pyx``) runs.

The package's build compiles the core with Cython wherever it finds a C compiler; where it
cannot, or when the environment variable ``SEGMENT_SPEC_NO_EXTENSIONS`` is set to anything but
``""`` or ``"0"`` when segment_spec is first imported, the pure-Python code runs instead, with
identical results (only the speed differs). :data:`COMPILED` says which one this process uses.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Final

__all__ = ["COMPILED", "speedups"]


def _load() -> ModuleType | None:
    if os.environ.get("SEGMENT_SPEC_NO_EXTENSIONS", "") not in ("", "0"):
        return None
    try:
        from . import _speedups
    except ImportError:  # not built here (no compiler), or built for another interpreter
        return None
    module: ModuleType = _speedups
    return module


speedups: Final = _load()
"""The compiled module, or None when the pure-Python code runs."""

COMPILED: Final[bool] = speedups is not None
"""True when the compiled core runs in this process, False when the pure-Python code does."""
