"""Shared test fixtures.

Tests may read the reference material in ``../shared`` (CI has it beside the clone). In a lone
clone it is missing: tests that need it skip with a clear reason, and the project's own fixtures
in ``tests/fixtures`` still cover every behaviour.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import settings

# The suite times nothing (speed is shown in benchmarks/, never in a unit test), so no example
# has a deadline: Hypothesis's default of 200 ms would make an outcome depend on the machine's
# load, and with the suite spread over two busy cores an example now and then takes longer.
# Tests that give their own settings start from this profile.
settings.register_profile("segment_spec", deadline=None)
settings.load_profile("segment_spec")

ROOT = Path(__file__).resolve().parents[1]


def load_file(path: Path, name: str) -> ModuleType:
    """Import the Python file at ``path`` as a module named ``name`` (scripts/ and examples/
    are not packages), afresh each time."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SHARED = ROOT.parent / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

NO_SHARED = "../shared is not beside this clone (lone clone): corpus test skipped"


def shared_path(*parts: str) -> Path:
    """Return a path inside ../shared, skipping the calling test when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{NO_SHARED}; missing {'/'.join(parts)}")
    return path


@pytest.fixture
def shared() -> Path:
    """The ../shared folder; skips the test in a lone clone."""
    return shared_path()
