"""The Python samples of the documentation pages run.

Each page's ```python blocks run in order in one namespace, as a reader would paste them. A
block that cannot run on its own (it needs the reader's own handler, queue or server) carries
an HTML comment on the line before it, ``<!-- not-run: why -->``, and the reason is required.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
NOT_RUN = re.compile(r"<!--\s*not-run:?(.*?)-->")
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Sample:
    """One ```python block of a page: its code, first line, and why it is not run (or None)."""

    code: str
    line: int
    not_run: str | None


def samples(text: str) -> list[Sample]:
    """The page's Python blocks in order, each with the not-run reason on the line before."""
    found = []
    for match in BLOCK.finditer(text):
        before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = NOT_RUN.search(before)
        line = text.count("\n", 0, match.start()) + 2
        found.append(Sample(match.group(1), line, marker.group(1).strip() if marker else None))
    return found


PAGES = sorted(path for path in DOCS.rglob("*.md") if samples(path.read_text("utf-8")))


def test_marker_is_recognized() -> None:
    """A block after a not-run comment is skipped with its reason; the others run."""
    text = "<!-- not-run: needs a server -->\n```python\nx\n```\n\n```python\ny = 1\n```\n"
    found = [(sample.code, sample.not_run) for sample in samples(text)]
    assert found == [("x\n", "needs a server"), ("y = 1\n", None)]


def test_some_pages_have_samples() -> None:
    """The test finds the pages' samples at all."""
    assert len(PAGES) >= 4


@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.relative_to(DOCS).as_posix())
def test_page_samples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every block of the page runs after the ones before it; each skipped one says why."""
    monkeypatch.chdir(tmp_path)  # a sample may write files (the test CA's PEM files)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    for sample in samples(page.read_text("utf-8")):
        if sample.not_run is not None:
            assert sample.not_run, f"{page.name}:{sample.line}: a not-run block needs a reason"
            continue
        code = compile(sample.code, f"{page.name}:{sample.line}", "exec")
        exec(code, namespace)
    # The pages' own tests run too, as pytest would run them in a reader's suite.
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value) and not _parameters(value):
            value()


def _parameters(function: Callable[..., object]) -> list[str]:
    return list(inspect.signature(function).parameters)
