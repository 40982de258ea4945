"""Conformance: grade a receiver against the partner guide's contract, one row per expectation.

The checks are data (:class:`Check`: a name, the request to send, the expected reply), built by
:func:`build_checks`; :func:`grade` turns the replies into :class:`Row` values. Each check gives
a status row, and, where its reply is an error, a row for the JSON ``{"message": ...}`` body (when
the check asks for one) and a row for ``Content-Type: application/json``.

A receiver that answers 503 to every message it should accept is under maintenance: nothing it
answers says whether it keeps the contract, so :func:`under_maintenance` makes that the one
finding instead of a table of failures, and the command exits with its own status (3).
"""

from __future__ import annotations

import argparse
import secrets
import sys
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TextIO

import orjson

from ._select import CALL_TYPES
from ._send import (
    Client,
    EndpointError,
    Response,
    add_endpoint_arguments,
    authorization,
    endpoint_from_args,
)

__all__ = [
    "Answered",
    "Check",
    "Expectation",
    "Outcome",
    "Probe",
    "Row",
    "add_conformance_arguments",
    "build_checks",
    "grade",
    "run_checks",
    "run_conformance",
    "sample_messages",
    "send_checks",
    "table",
    "under_maintenance",
]

ACCEPTED = frozenset(range(200, 300))
# A type no Segment call has: the receiver must answer it with 501.
UNKNOWN_CALL = "x-segment-spec-unknown"
# The status of a receiver that is down for maintenance (or overloaded): Segment retries it.
UNAVAILABLE = 503
# The exit status when the receiver answered 503 to every message it should accept.
EXIT_UNDER_MAINTENANCE = 3


class Outcome(Enum):
    """How a row fared. A skipped row could not be graded (its status row already failed)."""

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Probe:
    """One request body and the ``Authorization`` header value to send it with (None: none)."""

    body: bytes
    auth: str | None


@dataclass(frozen=True, slots=True)
class Expectation:
    """The reply a check expects: one of ``statuses``, and maybe a JSON message body."""

    statuses: frozenset[int]
    label: str
    message: bool = False

    def __post_init__(self) -> None:
        if not self.statuses:
            raise ValueError("an expectation needs at least one status")


@dataclass(frozen=True, slots=True)
class Check:
    """A named request, sent ``repeat`` times, and the reply expected every time."""

    name: str
    probe: Probe
    expectation: Expectation
    repeat: int = 1


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the report."""

    check: str
    expected: str
    got: str
    outcome: Outcome

    def as_json(self) -> dict[str, str]:
        """The row as a JSON-ready mapping."""
        return {
            "check": self.check,
            "expected": self.expected,
            "got": self.got,
            "result": self.outcome.value,
        }


# --- the messages ---------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sample_messages() -> dict[str, dict[str, Any]]:
    """One realistic message per call type, snake_case as Segment sends it, fresh message ids."""
    # Not segment_spec.sample(): a probe needs a fresh message_id and the current time on every
    # run (a receiver de-duplicates by id and may refuse stale times), where a sample is the same
    # bytes forever; and a probe stays small, so a failed row points at the contract, not at a
    # detail of a rich context. Like sample()'s default, these are in snake_case, the form
    # Segment forwards to a Direct destination.
    now = _now()
    context = {
        "ip": "203.0.113.7",
        "library": {"name": "analytics.js", "version": "4.1.0"},
        "locale": "en-US",
        "user_agent": (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
        ),
    }

    def common(call: str) -> dict[str, Any]:
        return {
            "type": call,
            "message_id": str(uuid.uuid4()),
            "anonymous_id": "9f3c2b1e-5d4a-4e8f-a6b7-c8d9e0f1a2b3",
            "user_id": "u-5678",
            "timestamp": now,
            "sent_at": now,
            "received_at": now,
            "context": context,
            "version": "1.1",
        }

    return {
        "identify": {
            **common("identify"),
            "traits": {"name": "John Doe", "plan": "premium", "logins": 5},
        },
        "track": {
            **common("track"),
            "event": "Order Completed",
            "properties": {
                "order_id": "50314b8e9bcf000000000000",
                "total": 27.5,
                "revenue": 25.0,
                "currency": "USD",
                "products": [{"product_id": "507f1f77bcf86cd799439011", "quantity": 1}],
            },
        },
        "page": {
            **common("page"),
            "name": "Pricing",
            "properties": {"path": "/pricing", "url": "https://example.com/pricing"},
        },
        "screen": {**common("screen"), "name": "Home", "properties": {"variation": "blue"}},
        "group": {
            **common("group"),
            "group_id": "g-0042",
            "traits": {"name": "Initech", "industry": "Software", "employees": 420},
        },
        "alias": {**common("alias"), "previous_id": "9f3c2b1e-5d4a-4e8f-a6b7-c8d9e0f1a2b3"},
    }


def _json(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value)


def build_checks(api_key: str, unsupported: Iterable[str] = ()) -> tuple[Check, ...]:
    """The checks for a receiver that takes ``api_key`` and answers 501 to ``unsupported``.

    Every call builds fresh message ids (and a fresh wrong key), so runs never collide with a
    receiver's de-duplication window.
    """
    skipped = frozenset(unsupported)
    unknown = skipped - frozenset(CALL_TYPES)
    if unknown:
        raise ValueError(f"unknown call types: {sorted(unknown)}")
    auth = authorization(api_key)
    samples = sample_messages()
    accept = Expectation(ACCEPTED, "2xx")
    not_supported = Expectation(frozenset({501}), "501")
    bad_request = Expectation(frozenset({400}), "400", message=True)
    checks = [
        Check(
            f"{call} call",
            Probe(_json(samples[call]), auth),
            not_supported if call in skipped else accept,
        )
        for call in CALL_TYPES
    ]
    track = samples["track"]
    no_ids = {k: v for k, v in track.items() if k not in ("user_id", "anonymous_id")}
    no_ids["message_id"] = str(uuid.uuid4())
    wrong_type = {**track, "message_id": str(uuid.uuid4()), "event": 42}
    unknown_call = {**track, "message_id": str(uuid.uuid4()), "type": UNKNOWN_CALL}
    wrong_key = secrets.token_urlsafe(24)
    while wrong_key == api_key:  # pragma: no cover - 192 random bits
        wrong_key = secrets.token_urlsafe(24)
    duplicate = {**track, "message_id": str(uuid.uuid4())}
    checks += [
        Check("malformed JSON", Probe(b'{"type": "track", "event": ', auth), bad_request),
        Check("no user_id or anonymous_id", Probe(_json(no_ids), auth), bad_request),
        Check("wrong field type (event: 42)", Probe(_json(wrong_type), auth), bad_request),
        Check(
            "missing Authorization",
            Probe(_json({**track, "message_id": str(uuid.uuid4())}), None),
            Expectation(frozenset({401}), "401"),
        ),
        Check(
            "wrong API key",
            Probe(_json({**track, "message_id": str(uuid.uuid4())}), authorization(wrong_key)),
            Expectation(frozenset({401, 403}), "401 or 403"),
        ),
        Check("unknown call type", Probe(_json(unknown_call), auth), not_supported),
        Check("same message_id twice", Probe(_json(duplicate), auth), accept, repeat=2),
    ]
    return tuple(checks)


# --- grading --------------------------------------------------------------------------------------


def _is_error(response: Response) -> bool:
    return response.status >= 400


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _clip(text: str, width: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _status_row(check: Check, responses: Sequence[Response]) -> Row:
    passed = all(r.status in check.expectation.statuses for r in responses)
    got = ", ".join(str(r.status) for r in responses)
    if not passed:
        notes = [m for r in responses if not r.ok and (m := r.message())]
        if notes:
            got += f" ({_clip(notes[0])})"
    return Row(check.name, check.expectation.label, got, Outcome.PASS if passed else Outcome.FAIL)


def _body_problem(response: Response) -> str | None:
    """What keeps the body from being ``{"message": "<non-empty text>"}``, or None."""
    if not response.body.strip():
        return "empty body"
    try:
        value = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        return "not JSON"
    if not isinstance(value, dict):
        return "JSON, but not an object"
    message = value.get("message")
    if not isinstance(message, str):
        return "no string message"
    if not message.strip():
        return "an empty message"
    return None


def _message_row(check: Check, responses: Sequence[Response]) -> Row:
    name = f"{check.name}: JSON message"
    expected = '{"message": "..."}'
    errors = [r for r in responses if _is_error(r)]
    if not errors:
        return Row(name, expected, "no error reply", Outcome.SKIP)
    problems = [p for r in errors if (p := _body_problem(r))]
    if problems:
        return Row(name, expected, problems[0], Outcome.FAIL)
    return Row(name, expected, "a JSON message", Outcome.PASS)


def _content_type_row(check: Check, responses: Sequence[Response]) -> Row | None:
    errors = [r for r in responses if _is_error(r)]
    if not errors:
        return None
    name = f"{check.name}: Content-Type"
    wrong = [
        r for r in errors if r.body.strip() and _media_type(r.content_type) != "application/json"
    ]
    if wrong:
        return Row(name, "application/json", wrong[0].content_type or "(none)", Outcome.FAIL)
    labelled = [r.content_type for r in errors if r.body.strip() and r.content_type]
    return Row(name, "application/json", labelled[0] if labelled else "(empty body)", Outcome.PASS)


def grade(check: Check, responses: Sequence[Response]) -> tuple[Row, ...]:
    """The rows for one check, given the replies to its requests."""
    rows = [_status_row(check, responses)]
    if check.expectation.message:
        rows.append(_message_row(check, responses))
    content_type = _content_type_row(check, responses)
    if content_type is not None:
        rows.append(content_type)
    return tuple(rows)


Answered = tuple[tuple[Check, tuple[Response, ...]], ...]
"""Each check sent, with the replies to its requests, in order."""


def send_checks(client: Client, checks: Iterable[Check]) -> Answered:
    """Send every check over one kept-alive client, in order; each check with its replies.

    Raises :class:`~segment_spec._send.EndpointError` when the receiver cannot be reached.
    """
    return tuple(
        (check, tuple(client.post(check.probe.body, check.probe.auth) for _ in range(check.repeat)))
        for check in checks
    )


def run_checks(client: Client, checks: Iterable[Check]) -> tuple[Row, ...]:
    """Send every check over one kept-alive client and grade the replies, in order.

    Raises :class:`~segment_spec._send.EndpointError` when the receiver cannot be reached.
    """
    return tuple(
        row for check, responses in send_checks(client, checks) for row in grade(check, responses)
    )


def under_maintenance(answered: Iterable[tuple[Check, Sequence[Response]]]) -> Row | None:
    """The one finding for a receiver under maintenance, or None for one that is not.

    A receiver is under maintenance when it answered 503 to every request that should have been
    accepted (the checks that expect a 2xx). Its other replies grade nothing: a receiver that is
    down cannot be said to break the contract, and a table of its failures would hide why.

    >>> check = Check("track call", Probe(b"{}", None), Expectation(ACCEPTED, "2xx"))
    >>> down = Response(503, "application/json", b'{"message": "down"}', retry_after="120")
    >>> under_maintenance([(check, (down, down))]).got
    '503 to all 2 valid requests (Retry-After: 120)'
    >>> under_maintenance([(check, (Response(200, None, b""),))]) is None
    True
    """
    replies = [
        response
        for check, responses in answered
        if check.expectation.statuses <= ACCEPTED
        for response in responses
    ]
    if not replies or any(response.status != UNAVAILABLE for response in replies):
        return None
    got = f"{UNAVAILABLE} to all {len(replies)} valid requests"
    waits = [response.retry_after for response in replies if response.retry_after]
    if waits:
        got += f" (Retry-After: {_clip(waits[-1], 40)})"
    return Row(f"under maintenance ({UNAVAILABLE})", "2xx for valid messages", got, Outcome.FAIL)


# --- the command ----------------------------------------------------------------------------------


def add_conformance_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the arguments of ``segment-spec conformance``."""
    add_endpoint_arguments(parser)
    parser.add_argument(
        "--unsupported",
        # Repeated (like validate's --supported) so it never swallows the URL.
        action="append",
        default=[],
        choices=CALL_TYPES,
        metavar="CALL",
        help="a call type the receiver answers with 501; repeat for several",
    )
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of a table")


def table(rows: Sequence[Row]) -> str:
    """The rows as an aligned text table with a header line."""
    header = ("check", "expected", "got", "result")
    cells = [header] + [(r.check, r.expected, r.got, r.outcome.value) for r in rows]
    widths = [max(len(line[column]) for line in cells) for column in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(line[:3], widths, strict=True))
        + "  "
        + line[3]
        for line in cells
    ]
    return "\n".join(lines)


def run_conformance(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run ``segment-spec conformance``; return 0 when every row passes, 1 if not, 2 when the
    receiver cannot be reached and 3 when it is under maintenance (503)."""
    out = out if out is not None else sys.stdout
    client: Client | None = None
    try:
        client = endpoint_from_args(args).connect()
        answered = send_checks(client, build_checks(args.api_key, args.unsupported))
    except EndpointError as error:
        print(f"segment-spec: {error}", file=sys.stderr)
        return 2
    finally:
        if client is not None:
            client.close()
    finding = under_maintenance(answered)
    if finding is not None:
        rows: tuple[Row, ...] = (finding,)
    else:
        rows = tuple(row for check, responses in answered for row in grade(check, responses))
    if args.json:
        for row in rows:
            out.write(orjson.dumps(row.as_json()).decode() + "\n")
    else:
        out.write(table(rows) + "\n")
    if finding is not None:
        print(
            f"the receiver is under maintenance: it answered {UNAVAILABLE} to every message it"
            " should accept, so no check was graded; run again once it is back",
            file=sys.stderr,
        )
        return EXIT_UNDER_MAINTENANCE
    failed = sum(row.outcome is Outcome.FAIL for row in rows)
    passed = sum(row.outcome is Outcome.PASS for row in rows)
    print(f"{passed} of {len(rows)} checks passed, {failed} failed", file=sys.stderr)
    return 0 if passed == len(rows) else 1
