"""The examples in the package's docstrings are true: each module's doctests run here."""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

import segment_spec


def _modules() -> list[ModuleType]:
    names = [segment_spec.__name__]
    names += [
        info.name
        for info in pkgutil.walk_packages(segment_spec.__path__, f"{segment_spec.__name__}.")
        if not info.name.startswith(f"{segment_spec.__name__}.schemas")
    ]
    return [importlib.import_module(name) for name in sorted(names)]


@pytest.mark.parametrize("module", _modules(), ids=lambda module: module.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    """Every example in the module's docstrings gives the output shown."""
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, report=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed"
