"""A Griffe extension for the documentation site: show docstring examples as code.

The docstrings' examples are doctests (``>>>`` lines and their output, run by
tests/test_doctests.py) written outside any ``Examples:`` section. Markdown would read their
``>`` as quotes, so this extension fences each run of them as a ``pycon`` code block before
mkdocstrings renders the docstring. mkdocs.yml loads it by its path.
"""

from __future__ import annotations

import ast
from typing import Any

import griffe


def fence_doctests(text: str) -> str:
    """Wrap every doctest run (a ``>>>`` line up to the next blank line) in a pycon fence,
    at the run's own indentation; the rest of the text is kept as it is."""
    out: list[str] = []
    indent: str | None = None
    for line in text.splitlines():
        stripped = line.lstrip()
        if indent is None and stripped.startswith(">>>"):
            indent = line[: len(line) - len(stripped)]
            out.append(f"{indent}```pycon")
        elif indent is not None and not stripped:
            out.append(f"{indent}```")
            indent = None
        out.append(line)
    if indent is not None:
        out.append(f"{indent}```")
    return "\n".join(out)


class DoctestBlocks(griffe.Extension):
    """Fence the doctest examples of every docstring Griffe reads."""

    def on_instance(
        self,
        *,
        node: ast.AST | griffe.ObjectNode,
        obj: griffe.Object,
        agent: griffe.Visitor | griffe.Inspector,
        **kwargs: Any,
    ) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)
