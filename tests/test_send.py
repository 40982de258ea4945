"""The parts of ``segment-spec send`` that need no server: headers, splitting, pacing, usage."""

from __future__ import annotations

import json
import ssl
from pathlib import Path

import pytest

from segment_spec._cli import main
from segment_spec._send import (
    SEGMENT_HEADERS,
    Endpoint,
    EndpointError,
    Response,
    TokenBucket,
    authorization,
    messages,
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
