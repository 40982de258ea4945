"""docs/schemas.md: its Python examples run and say what is true."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

PAGE = (Path(__file__).resolve().parents[1] / "docs" / "schemas.md").read_text("utf-8")


def test_python_examples_run() -> None:
    """The page's Python blocks run in order, in one namespace, and their asserts hold."""
    blocks = re.findall(r"```python\n(.*?)```", PAGE, re.DOTALL)
    assert len(blocks) >= 2
    namespace: dict[str, Any] = {}
    for index, block in enumerate(blocks):
        exec(compile(block, f"docs/schemas.md, block {index + 1}", "exec"), namespace)


ZONES = [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))]
_GIVEN = re.search(r"matches, in full,\n\s+`([^`]+)`", PAGE)


@given(
    st.one_of(
        st.text(alphabet="0123456789-:.,+TtZz ", max_size=36),
        st.datetimes().map(lambda moment: moment.isoformat(sep=" ")),
        st.datetimes(timezones=st.sampled_from(ZONES)).map(datetime.isoformat),
    )
)
def test_the_grammar_on_the_page_is_the_library_grammar(text: str) -> None:
    """The regular expression the page gives other languages matches what the library's does."""
    from segment_spec._timestamps import _ISO

    assert _GIVEN is not None
    assert (re.fullmatch(_GIVEN[1], text) is None) == (_ISO.fullmatch(text) is None), text
