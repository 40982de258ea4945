"""The documentation site covers the package: every public name, every option, the rule's table."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from conftest import load_file

import segment_spec
import segment_spec.testing
from segment_spec._cli import _parser
from segment_spec._normalize import snake_case

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# Public modules, which a reference page may document whole (segment_spec.dask and
# segment_spec.replay arrive with the replay work).
PUBLIC_MODULES = ("segment_spec.testing", "segment_spec.dask", "segment_spec.replay")


def _reference_entries() -> set[str]:
    entries: set[str] = set()
    for page in (DOCS / "reference").glob("*.md"):
        entries |= set(re.findall(r"^::: (\S+)$", page.read_text("utf-8"), re.MULTILINE))
    return entries


def _public_names() -> list[str]:
    names = [f"segment_spec.{name}" for name in segment_spec.__all__]
    names += [f"segment_spec.testing.{name}" for name in segment_spec.testing.__all__]
    return names


def test_every_public_name_has_a_reference_entry() -> None:
    """Each name of segment_spec.__all__ and segment_spec.testing.__all__ has a ::: entry."""
    missing = sorted(set(_public_names()) - _reference_entries())
    assert not missing, f"add these to a docs/reference/*.md page: {missing}"


def test_reference_entries_name_public_objects() -> None:
    """No reference entry names something the package does not export."""
    # Public modules are documented whole, beside the names of __all__.
    public = {*_public_names(), *PUBLIC_MODULES}
    unknown = sorted(set(_reference_entries()) - public)
    assert not unknown, f"not in any __all__: {unknown}"


def _nav_pages() -> set[str]:
    config = (ROOT / "mkdocs.yml").read_text("utf-8")
    return set(re.findall(r":\s*(\S+\.md)\s*$", config, re.MULTILINE))


def test_every_page_is_in_the_nav() -> None:
    """Every Markdown file under docs/ is reachable from the site's navigation, and back."""
    pages = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    assert pages == _nav_pages()


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = _parser()
    (commands,) = (
        action for action in parser._actions if isinstance(action, argparse._SubParsersAction)
    )
    return dict(commands.choices)


def _section(page: str, command: str) -> str:
    match = re.search(rf"^## `segment-spec {command}`\n(.*?)(?=^## |\Z)", page, re.M | re.S)
    assert match is not None, f"docs/command-line.md has no section for {command}"
    return match.group(1)


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_command_line_page_lists_every_option(command: str) -> None:
    """The command-line page's section of each subcommand names each of its options."""
    page = (DOCS / "command-line.md").read_text("utf-8")
    section = _section(page, command)
    parser = _subcommands()[command]
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        names = action.option_strings or [action.metavar or action.dest]
        for name in names:
            assert f"`{name}" in section, f"{command}: {name} is not on docs/command-line.md"


def test_command_line_page_lists_the_top_level_options() -> None:
    """--version and --help, the options of segment-spec itself, are on the page."""
    page = (DOCS / "command-line.md").read_text("utf-8")
    for action in _parser()._actions:
        for name in action.option_strings:
            assert f"`{name}`" in page


def _snake_table() -> list[tuple[str, str]]:
    page = (DOCS / "snake-case.md").read_text("utf-8")
    table = page.split("## The table", 1)[1]
    rows = re.findall(r"^\| `([^`]*)` \| (`[^`]*`|\([^)]*\)[^|]*) \|", table, re.MULTILINE)
    return [(key, out.strip("`") if out.startswith("`") else "") for key, out in rows]


def test_snake_case_table_matches_the_converter() -> None:
    """Every row of the snake_case page's table is what the normalizer gives."""
    rows = _snake_table()
    assert len(rows) >= 20
    for key, expected in rows:
        assert snake_case(key) == expected, key


def test_docstring_examples_become_code_blocks() -> None:
    """The site's Griffe extension fences each doctest run, indented or not, and nothing else."""
    module = load_file(ROOT / "scripts" / "griffe_doctest_blocks.py", "griffe_doctest_blocks")
    text = "Args:\n    x: a value.\n\n    >>> f(1)\n    2\n\nMore text."
    assert module.fence_doctests(text) == (
        "Args:\n    x: a value.\n\n    ```pycon\n    >>> f(1)\n    2\n    ```\n\nMore text."
    )
    assert module.fence_doctests("No example.") == "No example."
