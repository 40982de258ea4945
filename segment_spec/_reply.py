"""Reply: what a Direct destination answers Segment, built from issues.

A :class:`Rejection` carries the HTTP status the partner guide prescribes and the JSON body
``{"message": ...}`` that Segment shows in its debugger. The body names the field and what was
expected, puts the most useful issue first, and never repeats a submitted value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson

from ._issue import Issue

__all__ = ["STATUS_FOR_KEYWORD", "Rejection", "reject"]

# Keywords that decide the status; every other error is a 400.
STATUS_FOR_KEYWORD = {
    "unsupported-type": 501,
    "unauthorized": 401,
}

# The order in which a person should read issues: the first stops everything else.
_RANK = {
    "invalid-json": 0,
    "too-large": 0,
    "not-an-object": 0,
    "unauthorized": 0,
    "unsupported-type": 1,
    "required": 2,
    "identity": 2,
    "type": 3,
    "format": 4,
    "const": 4,
    "enum": 5,
    "more-issues": 10,  # what the others leave unsaid, read last
}
_LAST = 9
# The body names up to this many errors, so each missing field is named; the rest are counted.
_SHOWN = 3


def _rank(issue: Issue) -> tuple[int, int, int]:
    return (0 if issue.is_error else 1, _RANK.get(issue.keyword, _LAST), len(issue.path))


def rank_issues(issues: Iterable[Issue]) -> tuple[Issue, ...]:
    """Sort issues with the one a person should read first at the front (stable)."""
    return tuple(sorted(issues, key=_rank))


@dataclass(frozen=True, slots=True)
class Rejection:
    """A message the destination refuses, with the reply to send Segment.

    Attributes:
        status: The HTTP status: 400 (malformed), 401 (bad API key) or 501 (call type not
            supported).
        issues: Every issue found, the most useful first. Errors come before warnings.
        body: The JSON reply body, ``{"message": "..."}``; valid against
            ``schemas/error-body.json``.

    >>> from segment_spec import check
    >>> reply = check(b'{"type": "track", "event": "Signed Up"}')
    >>> reply.status, reply.body
    (400, {'message': 'user_id or anonymous_id is required (a non-empty string or a number)'})
    """

    status: int
    issues: tuple[Issue, ...]
    body: dict[str, str] = field(compare=False)

    @property
    def message(self) -> str:
        """The body's message text."""
        return self.body["message"]

    def json(self) -> bytes:
        """The body as UTF-8 JSON bytes, ready to send with ``Content-Type: application/json``."""
        return orjson.dumps(self.body)

    def __str__(self) -> str:
        return f"{self.status}: {self.body['message']}"


def _body(ordered: tuple[Issue, ...]) -> dict[str, str]:
    errors = [issue for issue in ordered if issue.is_error] or list(ordered)
    if not errors:
        return {"message": "the message was rejected"}
    shown = errors[:_SHOWN]
    text = "; ".join(issue.message for issue in shown)
    more = len(errors) - len(shown)
    if more:
        text += f" (and {more} more issue{'s' if more > 1 else ''})"
    return {"message": text}


def reject(issues: Iterable[Issue], status: int | None = None) -> Rejection:
    """Build a :class:`Rejection` from issues; the status follows from their keywords."""
    ordered = rank_issues(issues)
    if status is None:
        status = 400
        for issue in ordered:
            if issue.is_error and issue.keyword in STATUS_FOR_KEYWORD:
                status = STATUS_FOR_KEYWORD[issue.keyword]
                break
    return Rejection(status, ordered, _body(ordered))
