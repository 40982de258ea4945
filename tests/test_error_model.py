"""docs/error-model.md: every keyword is documented, and every example in it is true."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from segment_spec import Rejection, Unauthorized, api_key, check, check_batch

DOC = (Path(__file__).resolve().parents[1] / "docs" / "error-model.md").read_text("utf-8")

# Every keyword the library can emit, by module; each must have its own section.
KEYWORDS = {
    "invalid-json",
    "not-an-object",
    "too-large",
    "required",
    "identity",
    "type",
    "format",
    "unsupported-type",
    "unauthorized",
    "enum",
    "maxLength",
    "key-collision",
    "empty-key",
    "type-case",
    "timestamp-number",
    "event-case",
    "more-issues",
}


def _sections() -> dict[str, str]:
    parts = re.split(r"^### `([^`]+)`$", DOC, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _inputs(text: str) -> list[tuple[str, str, list[str]]]:
    """(input label, input text, the reply lines that follow it) for each example."""
    blocks = re.split(r"^Input", text, flags=re.MULTILINE)[1:]
    found = []
    for block in blocks:
        head, *rest = block.strip().splitlines()
        match = re.fullmatch(r"(\([^)]*\))?: (.*)", head)
        assert match, head
        label, value = match[1] or "", match[2]
        replies = [line for line in rest if line.startswith("Reply")]
        found.append((label, value.strip("`"), replies))
    return found


def _run(label: str, value: str, strict: bool) -> Any:
    if value.startswith("check_batch` of"):
        return check_batch(json.dumps({"batch": [{}] * 2501}), strict=strict)
    if value.startswith("api_key` of"):
        try:
            api_key(value.removeprefix("api_key` of `"))
        except Unauthorized as error:
            return error.rejection
        raise AssertionError("api_key accepted the example")
    if "<101 characters>" in value:
        value = value.replace("<101 characters>", "m" * 101)
    supported = ["track"] if "supported: track" in label else None
    return check(value, strict=strict, supported=supported)


def test_every_keyword_has_a_section() -> None:
    assert set(_sections()) >= KEYWORDS


@pytest.mark.parametrize("keyword", sorted(KEYWORDS))
def test_examples_are_what_the_library_answers(keyword: str) -> None:
    examples = _inputs(_sections()[keyword])
    assert examples, keyword
    for label, value, replies in examples:
        assert replies, (keyword, value)
        for reply in replies:
            strict = reply.startswith("Reply (strict)")
            result = _run(label, value, strict)
            said = reply.split(": ", 1)[1]
            if said.startswith("accepted"):
                assert not isinstance(result, Rejection), (value, result)
                match = re.fullmatch(r"accepted, warning `([^`]+)`: `(.+)`", said)
                assert match, said
                issue = next(i for i in result.issues if i.keyword == keyword)
                assert (issue.json_path, issue.message) == (match[1], match[2])
            else:
                match = re.fullmatch(r"`(\d{3})` `(.+)`", said)
                assert match, said
                assert isinstance(result, Rejection), (value, result)
                assert result.status == int(match[1])
                assert result.body == json.loads(match[2])
                assert result.issues[0].keyword == keyword


def test_the_parsed_value_examples_are_what_the_library_answers() -> None:
    """The invalid-json section's replies for values passed already parsed."""
    section = _sections()["invalid-json"]
    for value, said in (
        (float("nan"), "properties.price is not a finite number (JSON has no NaN or infinity)"),
        ({1, 2}, "properties.price is not a JSON value (a set)"),
    ):
        message = {"type": "track", "event": "E", "userId": "u1", "properties": {"price": value}}
        result = check(message)
        assert isinstance(result, Rejection)
        assert result.body == {"message": said}
        assert said in " ".join(section.split())


def test_the_keywords_of_normalize_alone_are_documented() -> None:
    assert "`key-type` and `unreadable` (normalize only)" in DOC
