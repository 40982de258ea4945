"""The conformance checks as data, and their grading, without any server."""

from __future__ import annotations

import json
from typing import Any

import pytest

import segment_spec
from segment_spec._conformance import (
    ACCEPTED,
    UNKNOWN_CALL,
    Check,
    Expectation,
    Outcome,
    Probe,
    Row,
    build_checks,
    grade,
    sample_messages,
    table,
    under_maintenance,
)
from segment_spec._send import Response, authorization

KEY = "segment"
JSON = "application/json"
FAIL = Outcome.FAIL


def by_name(checks: tuple[Check, ...]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def test_sample_messages_are_valid_and_snake_case() -> None:
    samples = sample_messages()
    assert tuple(samples) == segment_spec.CALL_TYPES
    for call, message in samples.items():
        result = segment_spec.check(message, strict=True)
        assert not isinstance(result, segment_spec.Rejection), (call, result)
        assert result.type == call
        assert segment_spec.normalize(message).value == message


def test_message_ids_are_fresh() -> None:
    ids = [
        json.loads(check.probe.body)["message_id"]
        for check in build_checks(KEY)
        if check.name != "malformed JSON"
    ]
    again = [json.loads(c.probe.body)["message_id"] for c in build_checks(KEY)[:6]]
    assert len(set(ids)) == len(ids)
    assert not set(ids) & set(again)


def test_every_probe_gets_the_reply_it_expects_from_the_library() -> None:
    """What segment_spec.check answers each probe is what the check expects of a receiver."""
    for check in build_checks(KEY, unsupported=["alias"]):
        if check.probe.auth != authorization(KEY):
            continue  # the key is the receiver's business, not the library's
        result = segment_spec.check(
            check.probe.body, supported=set(segment_spec.CALL_TYPES) - {"alias"}
        )
        status = result.status if isinstance(result, segment_spec.Rejection) else 200
        assert status in check.expectation.statuses, check.name


def test_checks() -> None:
    checks = by_name(build_checks(KEY, unsupported=["alias", "screen"]))
    assert checks["track call"].expectation.statuses == ACCEPTED
    assert checks["alias call"].expectation.statuses == {501}
    assert checks["screen call"].expectation.statuses == {501}
    assert checks["missing Authorization"].probe.auth is None
    assert checks["missing Authorization"].expectation.statuses == {401}
    wrong = checks["wrong API key"]
    assert wrong.probe.auth not in (None, authorization(KEY))
    assert wrong.expectation.statuses == {401, 403}
    assert json.loads(checks["unknown call type"].probe.body)["type"] == UNKNOWN_CALL
    assert UNKNOWN_CALL not in segment_spec.CALL_TYPES
    assert json.loads(checks["wrong field type (event: 42)"].probe.body)["event"] == 42
    no_ids = json.loads(checks["no user_id or anonymous_id"].probe.body)
    assert "user_id" not in no_ids
    assert "anonymous_id" not in no_ids
    duplicate = checks["same message_id twice"]
    assert (duplicate.repeat, duplicate.expectation.statuses) == (2, ACCEPTED)
    bad = [c.name for c in checks.values() if c.expectation.message]
    assert bad == ["malformed JSON", "no user_id or anonymous_id", "wrong field type (event: 42)"]
    with pytest.raises(json.JSONDecodeError):
        json.loads(checks["malformed JSON"].probe.body)


def test_unknown_unsupported_call() -> None:
    with pytest.raises(ValueError, match="unknown call types"):
        build_checks(KEY, unsupported=["delete"])


def test_expectation_needs_a_status() -> None:
    with pytest.raises(ValueError, match="at least one status"):
        Expectation(frozenset(), "none")


BAD = Check("bad", Probe(b"{", None), Expectation(frozenset({400}), "400", message=True))
GOOD = Check("good", Probe(b"{}", None), Expectation(ACCEPTED, "2xx"))


def outcomes(rows: tuple[Row, ...]) -> list[tuple[str, str, Outcome]]:
    return [(row.check, row.got, row.outcome) for row in rows]


def test_grade_a_good_error_reply() -> None:
    rows = grade(BAD, [Response(400, "application/json; charset=utf-8", b'{"message": "no"}')])
    assert outcomes(rows) == [
        ("bad", "400", Outcome.PASS),
        ("bad: JSON message", "a JSON message", Outcome.PASS),
        ("bad: Content-Type", "application/json; charset=utf-8", Outcome.PASS),
    ]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "empty body"),
        (b"no", "not JSON"),
        (b"[]", "JSON, but not an object"),
        (b'{"error": "no"}', "no string message"),
        (b'{"message": 4}', "no string message"),
        (b'{"message": " "}', "an empty message"),
    ],
)
def test_grade_a_bad_error_body(body: bytes, problem: str) -> None:
    message = grade(BAD, [Response(400, JSON, body)])[1]
    assert (message.got, message.outcome) == (problem, Outcome.FAIL)


def test_grade_a_wrong_content_type() -> None:
    rows = grade(BAD, [Response(400, "text/plain", b'{"message": "no"}')])
    assert outcomes(rows)[2] == ("bad: Content-Type", "text/plain", Outcome.FAIL)
    rows = grade(BAD, [Response(400, None, b'{"message": "no"}')])
    assert outcomes(rows)[2] == ("bad: Content-Type", "(none)", Outcome.FAIL)


def test_an_empty_error_body_needs_no_content_type() -> None:
    check = Check("auth", Probe(b"{}", None), Expectation(frozenset({401}), "401"))
    assert outcomes(grade(check, [Response(401, None, b"")])) == [
        ("auth", "401", Outcome.PASS),
        ("auth: Content-Type", "(empty body)", Outcome.PASS),
    ]


def test_grade_a_wrong_status() -> None:
    rows = grade(BAD, [Response(200, JSON, b"{}")])
    assert outcomes(rows) == [
        ("bad", "200", Outcome.FAIL),
        ("bad: JSON message", "no error reply", Outcome.SKIP),
    ]


def test_grade_an_unexpected_rejection_shows_its_message() -> None:
    rows = grade(GOOD, [Response(400, JSON, b'{"message": "event is required"}')])
    assert outcomes(rows) == [
        ("good", "400 (event is required)", Outcome.FAIL),
        ("good: Content-Type", JSON, Outcome.PASS),
    ]


def test_grade_every_reply_of_a_repeated_check() -> None:
    twice = Check("twice", Probe(b"{}", None), Expectation(ACCEPTED, "2xx"), repeat=2)
    rows = grade(twice, [Response(200, JSON, b"{}"), Response(409, JSON, b'{"message": "dup"}')])
    assert outcomes(rows)[0] == ("twice", "200, 409 (dup)", Outcome.FAIL)
    rows = grade(twice, [Response(200, None, b""), Response(202, None, b"")])
    assert outcomes(rows) == [("twice", "200, 202", Outcome.PASS)]


def test_table() -> None:
    rows = (
        Row("identify call", "2xx", "200", Outcome.PASS),
        Row("malformed JSON", "400", "200", Outcome.FAIL),
    )
    assert table(rows).splitlines() == [
        "check           expected  got  result",
        "identify call   2xx       200  pass",
        "malformed JSON  400       200  fail",
    ]
    assert rows[1].as_json() == {
        "check": "malformed JSON",
        "expected": "400",
        "got": "200",
        "result": "fail",
    }


# --- a receiver under maintenance ---------------------------------------------------------------

DOWN = Response(503, JSON, b'{"message": "down for maintenance"}')


def replies_for(checks: tuple[Check, ...], reply: Any) -> list[tuple[Check, tuple[Response, ...]]]:
    """Each check with the replies ``reply(check)`` gives to each of its requests."""
    return [(check, tuple(reply(check) for _ in range(check.repeat))) for check in checks]


def test_503_to_every_request_is_one_finding() -> None:
    checks = build_checks(KEY)
    row = under_maintenance(replies_for(checks, lambda check: DOWN))
    assert row == Row(
        "under maintenance (503)", "2xx for valid messages", "503 to all 8 valid requests", FAIL
    )


def test_503_to_the_valid_requests_alone_is_one_finding() -> None:
    """Only what should have been accepted counts: the errors may be answered rightly."""
    checks = build_checks(KEY, unsupported=["alias"])

    def reply(check: Check) -> Response:
        if check.expectation.statuses <= ACCEPTED:
            return Response(503, None, b"", retry_after="120")
        return Response(min(check.expectation.statuses), JSON, b'{"message": "no"}')

    row = under_maintenance(replies_for(checks, reply))
    assert row is not None
    # 5 calls (alias expects 501) and the message sent twice.
    assert row.got == "503 to all 7 valid requests (Retry-After: 120)"


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(lambda check: Response(200, JSON, b"{}"), id="all-200"),
        pytest.param(lambda check: Response(500, JSON, b"{}"), id="all-500"),
        pytest.param(
            lambda check: DOWN if check.name != "page call" else Response(200, None, b""),
            id="one-200",
        ),
    ],
)
def test_anything_but_503_to_every_valid_request_is_graded_as_usual(reply: Any) -> None:
    assert under_maintenance(replies_for(build_checks(KEY), reply)) is None


def test_a_503_to_the_second_of_two_sends_is_not_maintenance() -> None:
    checks = build_checks(KEY)
    answered = replies_for(checks, lambda check: DOWN)
    twice = next(i for i, (check, _) in enumerate(answered) if check.repeat == 2)
    answered[twice] = (answered[twice][0], (DOWN, Response(200, None, b"")))
    assert under_maintenance(answered) is None


def test_no_valid_request_no_finding() -> None:
    assert under_maintenance([(BAD, (DOWN,))]) is None
    assert under_maintenance([]) is None
