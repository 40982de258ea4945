"""``segment-spec send`` against real uvicorn servers: retries, ``--expect`` and ``--json``.

The servers listen on 127.0.0.1 (``asgi_servers.serve``). Timing bounds are loose: a wait is
asserted at least as long as asked and well under a second more.
"""

from __future__ import annotations

import io
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from asgi_servers import Reply, Scripted, always_ok, load_example_receiver, serve

from segment_spec._cli import main

KEY = "segment"
receiver = load_example_receiver()

TRACK = {"type": "track", "event": "Signed Up", "user_id": "u-1", "message_id": "m-1"}
IDENTIFY = {"type": "identify", "user_id": "u-2", "message_id": "m-2"}
NO_EVENT = {"type": "track", "user_id": "u-4", "message_id": "m-4"}
# Slack for the time a request and its reply take, on top of a wait that was asked for.
SLACK = 1.5

UNAVAILABLE = Reply(503, b'{"message": "down for maintenance"}')
OK = Reply(200)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err.splitlines()


def ndjson(tmp_path: Path, *messages: dict[str, Any]) -> str:
    path = tmp_path / "messages.ndjson"
    path.write_text("".join(json.dumps(m) + "\n" for m in messages), encoding="utf-8")
    return str(path)


def body(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode()


# --- retries ------------------------------------------------------------------------------------


def test_a_503_is_retried_after_the_backoff_and_the_200_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = Scripted(UNAVAILABLE, OK)
    with serve(app) as address:
        status, out, err = run(
            capsys, "send", address, "--api-key", KEY, "--backoff", "0.3", ndjson(tmp_path, TRACK)
        )
    assert status == 0
    assert out == ["1 200 (2 attempts)"]
    assert err == ["1 of 1 message answered, 1 after retries, 0 not 2xx"]
    (gap,) = app.gaps(body(TRACK))  # the same body, sent twice
    assert 0.3 <= gap < 0.3 + SLACK


def test_backoff_doubles_and_attempts_are_bounded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = Scripted(UNAVAILABLE)
    options = ["--retries", "3", "--backoff", "0.1"]
    with serve(app) as address:
        status, out, err = run(
            capsys, "send", address, "--api-key", KEY, *options, ndjson(tmp_path, TRACK)
        )
    assert status == 1
    assert out == ["1 503 (4 attempts) down for maintenance"]
    assert err == ["1 of 1 message answered, 1 after retries, 1 not 2xx (message 1)"]
    gaps = app.gaps(body(TRACK))
    assert len(gaps) == 3
    for gap, asked in zip(gaps, (0.1, 0.2, 0.4), strict=True):
        assert asked <= gap < asked + SLACK


def test_retry_after_is_honoured_before_the_backoff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = Scripted(Reply(429, b'{"message": "slow down"}', ((b"retry-after", b"1"),)), OK)
    with serve(app) as address:
        status, out, _ = run(
            capsys, "send", address, "--api-key", KEY, "--backoff", "0", ndjson(tmp_path, TRACK)
        )
    assert (status, out) == (0, ["1 200 (2 attempts)"])
    (gap,) = app.gaps(body(TRACK))
    assert 1.0 <= gap < 1.0 + SLACK


def test_retry_after_is_capped_by_max_wait(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = Scripted(Reply(429, b"{}", ((b"retry-after", b"3600"),)), OK)
    started = time.monotonic()
    with serve(app) as address:
        status, out, _ = run(
            capsys,
            "send",
            address,
            "--api-key",
            KEY,
            "--max-wait",
            "0.2",
            ndjson(tmp_path, TRACK),
        )
    assert (status, out) == (0, ["1 200 (2 attempts)"])
    (gap,) = app.gaps(body(TRACK))
    assert 0.2 <= gap < 0.2 + SLACK
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("final", [400, 401, 409, 413, 501, 505])
def test_replies_segment_does_not_retry_are_final(
    final: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = Scripted(Reply(final, b'{"message": "no"}'), OK)
    with serve(app) as address:
        status, out, _ = run(
            capsys, "send", address, "--api-key", KEY, "--backoff", "0", ndjson(tmp_path, TRACK)
        )
    assert (status, out) == (1, [f"1 {final} no"])
    assert len(app.arrivals[body(TRACK)]) == 1


@pytest.mark.parametrize("retried", [408, 429, 500, 502, 503, 504])
def test_replies_segment_retries_are_retried(
    retried: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = Scripted(Reply(retried), OK)
    with serve(app) as address:
        status, out, _ = run(
            capsys, "send", address, "--api-key", KEY, "--backoff", "0", ndjson(tmp_path, TRACK)
        )
    assert (status, out) == (0, ["1 200 (2 attempts)"])
    assert len(app.arrivals[body(TRACK)]) == 2


def test_no_retries_with_retries_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    app = Scripted(UNAVAILABLE, OK)
    with serve(app) as address:
        status, out, _ = run(
            capsys, "send", address, "--api-key", KEY, "--retries", "0", ndjson(tmp_path, TRACK)
        )
    assert (status, out) == (1, ["1 503 down for maintenance"])
    assert len(app.arrivals[body(TRACK)]) == 1


def test_each_message_is_retried_on_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = Scripted(UNAVAILABLE, UNAVAILABLE, OK)
    messages = [TRACK, IDENTIFY, NO_EVENT]
    with serve(app) as address:
        status, out, _ = run(
            capsys,
            "send",
            address,
            "--api-key",
            KEY,
            "--backoff",
            "0.01",
            "--concurrency",
            "2",
            ndjson(tmp_path, *messages),
        )
    assert status == 0
    assert out == [f"{n} 200 (3 attempts)" for n in (1, 2, 3)]
    assert [len(app.arrivals[body(m)]) for m in messages] == [3, 3, 3]


# --- --expect -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expect", "status", "summary"),
    [
        (["200", "400"], 0, "3 of 3 messages answered, 0 not 200 or 400"),
        (["2xx", "4xx"], 0, "3 of 3 messages answered, 0 not 2xx or 4xx"),
        (["400"], 1, "3 of 3 messages answered, 2 not 400 (messages 1 and 3)"),
        (["2XX"], 1, "3 of 3 messages answered, 1 not 2xx (message 2)"),
        (["200", "201", "400"], 0, "3 of 3 messages answered, 0 not 200, 201 or 400"),
    ],
)
def test_expect_names_the_messages_that_got_another_status(
    expect: list[str],
    status: int,
    summary: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = ndjson(tmp_path, TRACK, NO_EVENT, IDENTIFY)
    with serve(receiver.make_app([KEY])) as address:
        got, out, err = run(capsys, "send", address, "--api-key", KEY, path, "--expect", *expect)
    assert got == status
    assert out == ["1 200 ok", "2 400 event is required: a non-empty string", "3 200 ok"]
    assert err == [summary]


def test_the_summary_names_at_most_twenty_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    messages = [{**NO_EVENT, "message_id": f"m-{n}"} for n in range(23)]
    with serve(receiver.make_app([KEY])) as address:
        status, out, err = run(
            capsys, "send", address, "--api-key", KEY, ndjson(tmp_path, *messages)
        )
    assert status == 1
    assert len(out) == 23
    named = ", ".join(str(n) for n in range(1, 21))
    assert err == [f"23 of 23 messages answered, 23 not 2xx (messages {named} and 3 more)"]


@pytest.mark.parametrize(
    "order",
    [
        pytest.param(["--expect", "400", "FILE"], id="file-after-expect"),
        pytest.param(["FILE", "--expect", "400"], id="file-before-expect"),
        pytest.param(["--expect", "400", "--json", "FILE"], id="option-between"),
    ],
)
def test_expect_and_file_in_any_order(
    order: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = ndjson(tmp_path, NO_EVENT)
    words = [path if word == "FILE" else word for word in order]
    with serve(receiver.make_app([KEY])) as address:
        status, out, _ = run(capsys, "send", address, "--api-key", KEY, *words)
    assert status == 0
    assert len(out) == 1


# --- --json -------------------------------------------------------------------------------------

FIELDS = {
    "index",
    "file",
    "line",
    "json_path",
    "status",
    "expected",
    "attempts",
    "elapsed",
    "message",
    "error",
}


def test_json_lines_say_what_became_of_each_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = {**NO_EVENT, "traits": {"email": "peter.secret@example.com"}}
    path = tmp_path / "mixed.ndjson"
    batch = {"batch": [TRACK, secret]}
    path.write_text(f"\n{json.dumps(IDENTIFY)}\n\n{json.dumps(batch)}\n", encoding="utf-8")
    with serve(receiver.make_app([KEY])) as address:
        status, out, err = run(capsys, "send", address, "--api-key", KEY, "--json", str(path))
    assert status == 1
    rows = [json.loads(line) for line in out]
    assert all(set(row) == FIELDS for row in rows)
    assert [(r["index"], r["line"], r["json_path"]) for r in rows] == [
        (1, 2, "$"),
        (2, 4, "$.batch[0]"),
        (3, 4, "$.batch[1]"),
    ]
    assert [(r["status"], r["expected"], r["attempts"]) for r in rows] == [
        (200, True, 1),
        (200, True, 1),
        (400, False, 1),
    ]
    assert [r["message"] for r in rows] == ["ok", "ok", "event is required: a non-empty string"]
    assert {r["file"] for r in rows} == {str(path)}
    assert all(r["error"] is None for r in rows)
    assert all(0 <= r["elapsed"] < 5 for r in rows)
    # No submitted value is printed, anywhere.
    assert "secret" not in "\n".join(out + err)
    assert err == ["3 of 3 messages answered, 1 not 2xx (message 3)"]


@pytest.fixture
def stdin_track(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard input holds TRACK."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(body(TRACK) + b"\n")))


@pytest.mark.usefixtures("stdin_track")
def test_json_lines_count_attempts_and_time(capsys: pytest.CaptureFixture[str]) -> None:
    app = Scripted(UNAVAILABLE, OK)
    with serve(app) as address:
        status, out, _ = run(
            capsys,
            "send",
            address,
            "--api-key",
            KEY,
            "--json",
            "--backoff",
            "0.25",
            "--expect",
            "200",
            "-",
        )
    assert status == 0
    (row,) = (json.loads(line) for line in out)
    assert (row["file"], row["status"], row["attempts"], row["expected"]) == (
        "<stdin>",
        200,
        2,
        True,
    )
    assert 0.25 <= row["elapsed"] < 0.25 + SLACK


def test_json_line_of_an_unreachable_endpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve(always_ok) as address:
        pass  # the port is free again once the server has stopped
    status, out, err = run(
        capsys, "send", address, "--api-key", KEY, "--json", ndjson(tmp_path, TRACK, TRACK)
    )
    assert status == 2
    (row,) = (json.loads(line) for line in out)  # the second message is never sent
    assert set(row) == FIELDS
    assert (row["index"], row["status"], row["expected"], row["message"]) == (1, None, False, None)
    assert row["error"].startswith("http://127.0.0.1:")
    assert err[0].startswith("segment-spec: message 1: http://127.0.0.1:")
