"""is_valid(): the yes/no view of check(), with the same arguments."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import FIXTURES

from segment_spec import Rejection, check, is_valid

SIGNED_UP = {"type": "track", "event": "Signed Up", "userId": "u1"}


def _lines() -> list[bytes]:
    return [
        line
        for path in sorted(FIXTURES.glob("*.ndjson"))
        for line in path.read_bytes().splitlines()
        if line.strip()
    ]


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("line", _lines())
def test_agrees_with_check_on_the_fixtures(line: bytes, strict: bool) -> None:
    """is_valid is True exactly when check returns a message, in lax and strict mode."""
    expected = not isinstance(check(line, strict=strict), Rejection)
    assert is_valid(line, strict=strict) is expected


def test_a_warning_is_valid_unless_strict() -> None:
    """A message with only warnings is valid; strict=True makes it invalid."""
    message = {**SIGNED_UP, "type": "Track"}
    assert is_valid(message)
    assert not is_valid(message, strict=True)


def test_supported_narrows_what_is_valid() -> None:
    """A call type the destination does not support is not valid (check gives a 501)."""
    assert is_valid(SIGNED_UP, supported={"track"})
    assert not is_valid(SIGNED_UP, supported={"identify"})


@pytest.mark.parametrize("data", [b"", b"{", "[]", b"\xff", {"type": 5}, {1: 2}])
def test_anything_that_is_not_a_message_is_invalid(data: Any) -> None:
    """Bodies check rejects (not JSON, not an object, no usable type) are simply invalid."""
    assert is_valid(data) is False


def test_a_bad_supported_argument_raises_as_in_check() -> None:
    """Only the supported argument can make it raise, as for check."""
    with pytest.raises(TypeError):
        is_valid(SIGNED_UP, supported="track")
    with pytest.raises(ValueError, match="unknown call types"):
        is_valid(SIGNED_UP, supported={"delete"})
