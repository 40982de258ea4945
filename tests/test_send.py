"""The parts of ``segment-spec send`` that need no server: headers, splitting, pacing, usage."""

from __future__ import annotations

import json
import ssl
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from segment_spec._cli import main
from segment_spec._send import (
    RETRIED_STATUSES,
    SEGMENT_HEADERS,
    Endpoint,
    EndpointError,
    Expected,
    Located,
    Response,
    RetryPolicy,
    TokenBucket,
    authorization,
    located_messages,
    messages,
    retry_after_seconds,
)

TRACK = {"type": "track", "event": "Signed Up", "userId": "u-1"}
IDENTIFY = {"type": "identify", "userId": "u-2"}


def test_authorization_is_the_partner_guides_example() -> None:
    assert authorization("segment") == "Basic c2VnbWVudDo="
    assert authorization("") == "Basic Og=="


def test_headers_are_the_partner_guides_table() -> None:
    assert dict(SEGMENT_HEADERS) == {
        "Accept": "*/*",
        "Cache-Control": "no-cache",
        "Connection": "Keep-Alive",
        "Content-Type": "application/json",
        "User-Agent": "Segment",
    }


def test_one_json_file_is_sent_as_given() -> None:
    content = json.dumps(TRACK, indent=2).encode()
    assert list(messages(b"\n" + content + b"\n\n")) == [content]


def test_ndjson_lines_are_sent_as_given_even_when_not_json() -> None:
    lines = [b'{"type": "track",  "userId": "u"}', b'{"type": "track", "event": ', b"{}"]
    content = b"\n".join([lines[0], b"", lines[1], lines[2]]) + b"\n"
    assert list(messages(content)) == lines


def test_batch_envelopes_are_split_into_their_items() -> None:
    envelope = json.dumps({"batch": [TRACK, IDENTIFY], "context": {"ip": "203.0.113.1"}})
    assert [json.loads(m) for m in messages(envelope.encode())] == [TRACK, IDENTIFY]
    content = f"{json.dumps(TRACK)}\n{envelope}\n".encode()
    assert [json.loads(m) for m in messages(content)] == [TRACK, TRACK, IDENTIFY]


def test_empty_file_has_no_messages() -> None:
    assert list(messages(b"  \n\n")) == []


def test_token_bucket_spaces_requests() -> None:
    bucket = TokenBucket(rate=10.0)
    waits = [bucket.reserve() for _ in range(5)]
    assert waits[0] == 0.0
    # Reserved back to back, the n-th token waits about n / rate seconds (less what has passed).
    for n, wait in enumerate(waits[1:], 1):
        assert n / 10.0 - 0.05 <= wait <= n / 10.0


def test_token_bucket_burst() -> None:
    bucket = TokenBucket(rate=1.0, burst=3)
    waits = [bucket.reserve() for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] > 0.9


def test_token_bucket_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(0)


def test_endpoint_parts() -> None:
    endpoint = Endpoint.parse("http://127.0.0.1:8080/v1/segment?source=a")
    assert (endpoint.host, endpoint.port, endpoint.path, endpoint.tls) == (
        "127.0.0.1",
        8080,
        "/v1/segment?source=a",
        None,
    )
    assert Endpoint.parse("http://[::1]").port == 80
    assert Endpoint.parse("http://[::1]").host == "::1"
    secure = Endpoint.parse("https://127.0.0.1")
    assert (secure.port, secure.path) == (443, "/")
    assert secure.tls is not None
    assert secure.tls.verify_mode == ssl.CERT_REQUIRED
    insecure = Endpoint.parse("https://127.0.0.1", insecure=True)
    assert insecure.tls is not None
    assert insecure.tls.verify_mode == ssl.CERT_NONE


@pytest.mark.parametrize(
    "url", ["127.0.0.1:8000", "ftp://127.0.0.1/", "http://", "http://127.0.0.1:port/"]
)
def test_endpoint_needs_an_http_url(url: str) -> None:
    with pytest.raises(EndpointError):
        Endpoint.parse(url)


def test_tls_options_need_https() -> None:
    with pytest.raises(EndpointError, match="https:// URLs only"):
        Endpoint.parse("http://127.0.0.1/", insecure=True)


def test_response_message() -> None:
    assert Response(400, None, b'{"message": "no"}').message() == "no"
    assert Response(400, None, b'{"message": 4}').message() is None
    assert Response(400, None, b"no").message() is None
    assert Response(200, None, b"").message() is None
    assert Response(204, None, b"").ok
    assert not Response(301, None, b"").ok


def test_located_messages_give_the_files_own_lines() -> None:
    envelope = json.dumps({"batch": [TRACK, IDENTIFY]}).encode()
    content = b"\n\n" + json.dumps(TRACK).encode() + b"\n\n" + envelope + b"\n{\n"
    assert [(m.line, m.json_path) for m in located_messages(content)] == [
        (3, "$"),
        (5, "$.batch[0]"),
        (5, "$.batch[1]"),
        (6, "$"),
    ]
    assert [m.body for m in located_messages(content)] == list(messages(content))
    whole = b"\n  " + json.dumps(TRACK, indent=2).encode()
    assert list(located_messages(whole)) == [Located(whole.strip(), 2)]
    batch = b"\n" + json.dumps({"batch": [TRACK]}, indent=2).encode()
    assert [(m.line, m.json_path) for m in located_messages(batch)] == [(2, "$.batch[0]")]


# --- retries ------------------------------------------------------------------------------------


def test_retried_statuses_are_segments() -> None:
    """Segment retries a 5xx but 501 and 505, and 408, 410, 429 and 460; no other reply."""
    assert {500, 502, 503, 504, 599, 408, 410, 429, 460} <= RETRIED_STATUSES
    assert not {501, 505} & RETRIED_STATUSES
    assert not {200, 204, 301, 400, 401, 403, 404, 409, 413, 422} & RETRIED_STATUSES
    assert {408, 410, 429, 460} | (set(range(500, 600)) - {501, 505}) == RETRIED_STATUSES


MOMENT = datetime(2024, 5, 14, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("0", 0.0),
        (" 7 ", 7.0),
        ("Tue, 14 May 2024 12:01:00 GMT", 60.0),
        ("Tue, 14 May 2024 11:00:00 GMT", 0.0),  # already past: no wait
        ("Tue, 14 May 2024 12:00:05", 5.0),  # no zone: GMT, as HTTP dates are
        ("9" * 5000, float("inf")),  # too long for an int, still a number of seconds
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("\u0661\u0662", None),  # digits, but not ASCII ones
        ("Tue, 99 May 2024 12:00:00 GMT", None),
    ],
)
def test_retry_after_seconds(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, MOMENT) == seconds


def test_retry_policy_waits_exponentially_up_to_its_cap() -> None:
    policy = RetryPolicy(retries=5, backoff=0.5, max_wait=3.0)
    unavailable = Response(503, None, b"")
    assert [policy.wait(n, unavailable) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert policy.wait(1000, unavailable) == 3.0
    assert RetryPolicy(backoff=0).wait(3, unavailable) == 0.0


def test_retry_policy_prefers_retry_after_and_caps_it() -> None:
    policy = RetryPolicy(backoff=0.5, max_wait=10.0)
    assert policy.wait(1, Response(429, None, b"", retry_after="4")) == 4.0
    assert policy.wait(3, Response(429, None, b"", retry_after="0")) == 0.0
    assert policy.wait(1, Response(503, None, b"", retry_after="99999")) == 10.0
    assert policy.wait(2, Response(503, None, b"", retry_after="later")) == 1.0


def test_retry_policy_defaults() -> None:
    policy = RetryPolicy()
    assert (policy.retries, policy.backoff, policy.max_wait) == (3, 0.5, 30.0)
    assert policy.retried(Response(429, None, b""))
    assert not policy.retried(Response(400, None, b""))


@pytest.mark.parametrize(
    "arguments",
    [
        {"retries": -1},
        {"retries": 1.5},
        {"backoff": -0.1},
        {"backoff": float("inf")},
        {"backoff": float("nan")},
        {"max_wait": "1"},
    ],
)
def test_retry_policy_refuses_bad_settings(arguments: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="must be"):
        RetryPolicy(**arguments)


@pytest.mark.parametrize(
    ("words", "statuses", "label"),
    [
        (["200"], {200}, "200"),
        (["2xx"], set(range(200, 300)), "2xx"),
        ([" 4XX ", "501"], set(range(400, 500)) | {501}, "4xx or 501"),
        (["200", "202", "200", "400"], {200, 202, 400}, "200, 202 or 400"),
        (["1xx", "599"], set(range(100, 200)) | {599}, "1xx or 599"),
    ],
)
def test_expected_statuses(words: list[str], statuses: set[int], label: str) -> None:
    assert Expected.parse(words) == Expected(frozenset(statuses), label)


@pytest.mark.parametrize(
    "word", ["600", "099", "20", "2000", "2x", "xx2", "abc", "", "\uff12\uff10\uff10"]
)
def test_expected_refuses_what_names_no_status(word: str) -> None:
    with pytest.raises(ValueError, match="not an HTTP status"):
        Expected.parse([word])
    with pytest.raises(ValueError, match="at least one status"):
        Expected.parse([])


# --- usage errors (exit 2, nothing sent) --------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err.splitlines()


def test_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "missing.ndjson")
    status, out, err = run(capsys, "send", "http://127.0.0.1:9/", "--api-key", "k", missing)
    assert (status, out) == (2, [])
    assert err == [f"segment-spec: cannot read {missing}: No such file or directory"]


def test_missing_cacert(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = str(tmp_path / "ca.pem")
    status, _, err = run(
        capsys, "conformance", "https://127.0.0.1:9/", "--api-key", "k", "--cacert", missing
    )
    assert status == 2
    assert err[-1].startswith(f"segment-spec: cannot load --cacert {missing}")


def test_at_most_one_file(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "send", "http://127.0.0.1:9/", "a.json", "b", "--api-key", "k")
    assert status == 2
    assert err == ["segment-spec send: give at most one FILE"]


def test_bad_url(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "send", "127.0.0.1:9", "--api-key", "k", "x.json")
    assert status == 2
    assert "http:// or https://" in err[-1]


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["send", "http://127.0.0.1:9/", "x.json"], id="no-key"),
        pytest.param(["send", "--api-key", "k"], id="no-url"),
        pytest.param(["send", "http://127.0.0.1:9/", "--api-key", "k", "--rate", "0"], id="rate"),
        pytest.param(
            ["send", "http://127.0.0.1:9/", "--api-key", "k", "--concurrency", "0"], id="workers"
        ),
        pytest.param(
            ["send", "https://127.0.0.1:9/", "--api-key", "k", "--insecure", "--cacert", "ca.pem"],
            id="tls-both",
        ),
        pytest.param(
            ["conformance", "http://127.0.0.1:9/", "--api-key", "k", "--unsupported", "delete"],
            id="unknown-call",
        ),
        pytest.param(["conformance", "http://127.0.0.1:9/"], id="conformance-no-key"),
        pytest.param(
            ["send", "http://127.0.0.1:9/", "--api-key", "k", "--retries", "-1"], id="retries"
        ),
        pytest.param(
            ["send", "http://127.0.0.1:9/", "--api-key", "k", "--retries", "two"], id="retries-word"
        ),
        pytest.param(
            ["send", "http://127.0.0.1:9/", "--api-key", "k", "--backoff", "-1"], id="backoff"
        ),
        pytest.param(
            ["send", "http://127.0.0.1:9/", "--api-key", "k", "--max-wait", "inf"], id="max-wait"
        ),
        pytest.param(["send", "http://127.0.0.1:9/", "--api-key", "k", "--expect"], id="expect"),
    ],
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert "usage: segment-spec" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["URL", "--api-key", "k", "FILE"], id="url-options-file"),
        pytest.param(["--api-key", "k", "URL", "FILE"], id="options-first"),
        pytest.param(["URL", "FILE", "--api-key", "k"], id="options-last"),
    ],
)
def test_file_may_follow_options(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "missing.ndjson")
    words = [missing if word == "FILE" else word for word in argv]
    words = ["http://127.0.0.1:9/" if word == "URL" else word for word in words]
    status, _, err = run(capsys, "send", *words)
    # Read as the FILE (not an unrecognized argument): the file is what is missing.
    assert (status, err) == (2, [f"segment-spec: cannot read {missing}: No such file or directory"])


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["URL", "--api-key", "k", "--expect", "200", "FILE"], id="expect-then-file"),
        pytest.param(["URL", "FILE", "--expect", "2xx", "400", "--api-key", "k"], id="file-first"),
        pytest.param(["URL", "--expect", "200", "--api-key", "k", "FILE"], id="expect-first"),
    ],
)
def test_file_may_follow_expect(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "missing.ndjson")
    words = [missing if word == "FILE" else word for word in argv]
    words = ["http://127.0.0.1:9/" if word == "URL" else word for word in words]
    status, _, err = run(capsys, "send", *words)
    # Read as the FILE, not as a status: the file is what is missing.
    assert (status, err) == (2, [f"segment-spec: cannot read {missing}: No such file or directory"])


@pytest.mark.parametrize(
    ("words", "bad"),
    [
        (["--expect", "200", "abc", "FILE"], "abc"),  # only the last word may be the FILE
        (["--expect", "abc"], "abc"),  # no status at all
        (["FILE", "--expect", "200", "x"], "x"),
    ],
)
def test_expect_refuses_a_word_that_names_no_status(
    words: list[str], bad: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(tmp_path / "messages.ndjson")
    words = [path if word == "FILE" else word for word in words]
    status, out, err = run(capsys, "send", "http://127.0.0.1:9/", "--api-key", "k", *words)
    assert (status, out) == (2, [])
    assert err == [
        f"segment-spec: --expect: not an HTTP status (200) or class of statuses (2xx): {bad!r}"
    ]
