"""Tally: what a replay holds, counted by outcome, call type, event and rule.

Counts only: keywords, paths, the spec's call types and events, and where each rule first
broke (file and line). Never a submitted value: a call type or an event name that is not the
spec's is counted under a placeholder (:data:`CUSTOM_EVENT`, :data:`OTHER`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import orjson

from ._catalog import resolve_event
from ._issue import Issue, json_path
from ._message import Track
from ._reply import Rejection
from ._select import CALL_TYPES

__all__ = [
    "CUSTOM_EVENT",
    "FIRST_PLACES",
    "NO_EVENT",
    "OTHER",
    "Rule",
    "Tally",
    "call_and_event",
    "raw_labels",
]

CUSTOM_EVENT = "(custom event)"
NO_EVENT = "(no event)"
OTHER = "(other)"
# How many places each rule keeps: enough to open the file at a few examples.
FIRST_PLACES = 5


Path = tuple[str | int, ...]
# A rule as the counters keep it: keyword, severity and path with list indexes as "*".
_Key = tuple[str, str, Path]


@dataclass(frozen=True, slots=True, order=True)
class Rule:
    """A kind of issue at a kind of place: keyword, severity and path, list indexes as ``*``.

    >>> from segment_spec import Issue
    >>> Rule.of(Issue(("properties", "products", 3, "price"), "type", "price ..."))
    Rule(keyword='type', severity='error', json_path='$.properties.products[*].price')
    """

    keyword: str
    severity: str
    json_path: str

    @classmethod
    def of(cls, issue: Issue) -> Rule:
        """The rule an issue breaks."""
        return cls._from_key(_key(issue))

    @classmethod
    def _from_key(cls, key: _Key) -> Rule:
        keyword, severity, path = key
        return cls(keyword, severity, json_path(path).replace("['*']", "[*]"))


def _key(issue: Issue) -> _Key:
    path = issue.path
    for step in path:
        if type(step) is int:
            path = tuple("*" if type(s) is int else s for s in path)
            break
    return issue.keyword, issue.severity.value, path


def call_and_event(value: object) -> tuple[str, str | None]:
    """The call type and the spec event of a parsed message, as names that are never a
    submitted value: a call type outside the spec is :data:`OTHER`, a track's event outside
    the catalog :data:`CUSTOM_EVENT` (:data:`NO_EVENT` without one); the event is None for a
    call other than track.

    >>> call_and_event({"type": "track", "event": "order completed"})
    ('track', 'Order Completed')
    >>> call_and_event({"type": "track", "event": "Clicked the blue button"})
    ('track', '(custom event)')
    >>> call_and_event({"type": "delete"})
    ('(other)', None)
    """
    if not isinstance(value, dict):
        return OTHER, None
    kind = value.get("type")
    call = kind.strip().lower() if isinstance(kind, str) else None
    if call not in CALL_TYPES:
        return OTHER, None
    if call != "track":
        return call, None
    name = value.get("event")
    if not isinstance(name, str) or not name.strip():
        return call, NO_EVENT
    event = resolve_event(name)[0]
    return call, CUSTOM_EVENT if event is None else event.name


def _message_labels(message: Any) -> tuple[str, str | None]:
    if isinstance(message, Track):
        return "track", CUSTOM_EVENT if message.semantic is None else message.semantic.name
    return message.type, None


def raw_labels(raw: bytes) -> tuple[str, str | None]:
    """:func:`call_and_event` of a JSON text (:data:`OTHER` when it is not JSON)."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return OTHER, None
    return call_and_event(value)


class Tally:
    """Counts of a run, merged block by block in input order (so each rule's first places
    are the first in the input).

    >>> from segment_spec import check
    >>> tally = Tally()
    >>> tally.add(check({"type": "group", "userId": "u1"}), "a.ndjson", 1, (), None)
    >>> tally.as_json()["rejected"], tally.as_json()["by_keyword"]
    (1, {'required': 1})
    """

    __slots__ = (
        "accepted",
        "by_call",
        "by_event",
        "by_keyword",
        "by_rule",
        "by_status",
        "first",
        "messages",
        "rejected",
        "warned",
    )

    def __init__(self) -> None:
        self.messages = 0
        self.accepted = 0
        self.warned = 0
        self.rejected = 0
        self.by_status: Counter[int] = Counter()
        self.by_call: Counter[str] = Counter()
        self.by_event: Counter[str] = Counter()
        self.by_keyword: Counter[str] = Counter()
        self.by_rule: Counter[_Key] = Counter()
        # Per rule, its first places: file, line, the message's place in it, the issue's path.
        self.first: dict[_Key, list[tuple[str, int, Path, Path]]] = {}

    def add(
        self,
        result: Any,
        source: str,
        line: int,
        where: Path,
        labels: tuple[str, str | None] | None,
    ) -> None:
        """Count one message's result (a message or a rejection) found at ``source:line``,
        at ``where`` in it (``()``, or ``("batch", i)`` for an item); ``labels`` (call type,
        event) are needed only for a rejection, whose message is not typed."""
        self.messages += 1
        if isinstance(result, Rejection):
            self.rejected += 1
            self.by_status[result.status] += 1
            call, event = labels if labels is not None else (OTHER, None)
        else:
            call, event = _message_labels(result)
            if result.issues:
                self.warned += 1
            else:
                self.accepted += 1
        self.by_call[call] += 1
        if event is not None:
            self.by_event[event] += 1
        for issue in result.issues:
            self.count_issue(issue, source, line, where)

    def count_issue(self, issue: Issue, source: str, line: int, where: Path) -> None:
        """Count one issue found at ``where`` in the message at ``source:line``."""
        key = _key(issue)
        self.by_keyword[issue.keyword] += 1
        self.by_rule[key] += 1
        places = self.first.get(key)
        if places is None:
            places = self.first[key] = []
        if len(places) < FIRST_PLACES:
            places.append((source, line, where, issue.path))

    def merge(self, other: Tally, line_offset: int = 0) -> None:
        """Add another tally's counts, taken as coming after this one's in the input; its
        line numbers are moved on by ``line_offset`` (a partition of a stream of lines whose
        numbers count from 1 but that starts further on).

        >>> from segment_spec import check
        >>> first, later = Tally(), Tally()
        >>> later.add(check({"type": "group", "userId": "u1"}), "a.ndjson", 2, (), None)
        >>> first.merge(later, line_offset=10)
        >>> first.as_json()["by_rule"][0]["first"]
        [{'file': 'a.ndjson', 'line': 12, 'json_path': '$.group_id'}]
        """
        self.messages += other.messages
        self.accepted += other.accepted
        self.warned += other.warned
        self.rejected += other.rejected
        self.by_status.update(other.by_status)
        self.by_call.update(other.by_call)
        self.by_event.update(other.by_event)
        self.by_keyword.update(other.by_keyword)
        self.by_rule.update(other.by_rule)
        for key, places in other.first.items():
            mine = self.first.setdefault(key, [])
            taken = places[: FIRST_PLACES - len(mine)]
            if line_offset:
                taken = [(s, line + line_offset, w, p) for s, line, w, p in taken]
            mine.extend(taken)

    def as_json(self) -> dict[str, Any]:
        """The counts as a JSON object (the ``--summary-json`` file), most common first."""

        def ranked(counter: Counter[Any]) -> dict[str, int]:
            return {str(k): n for k, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))}

        rules: Counter[Rule] = Counter()
        first: dict[Rule, list[tuple[str, int, Path, Path]]] = {}
        for key, count in self.by_rule.items():
            rule = Rule._from_key(key)
            rules[rule] += count
            first.setdefault(rule, []).extend(self.first.get(key, ()))
        return {
            "messages": self.messages,
            "accepted": self.accepted,
            "accepted_with_warnings": self.warned,
            "rejected": self.rejected,
            "by_status": ranked(self.by_status),
            "by_call": ranked(self.by_call),
            "by_event": ranked(self.by_event),
            "by_keyword": ranked(self.by_keyword),
            "by_rule": [
                {
                    "keyword": rule.keyword,
                    "severity": rule.severity,
                    "json_path": rule.json_path,
                    "count": count,
                    "first": [
                        {"file": source, "line": line, "json_path": json_path((*where, *path))}
                        for source, line, where, path in first[rule][:FIRST_PLACES]
                    ],
                }
                for rule, count in sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
        }
