"""The receiver test kit end to end: ``send`` and ``conformance`` against real uvicorn servers.

Every server listens on 127.0.0.1 only, on a free port, in a background thread (see
``asgi_servers``). HTTPS uses a throwaway CA made by trustme.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asgi_servers import (
    ConflictOnDuplicate,
    PlainText,
    Recorder,
    Reply,
    Scripted,
    TLSFiles,
    always_ok,
    load_example_receiver,
    make_tls,
    serve,
)
from receiver_apps import Recorder as Recorded
from receiver_apps import full_destination

from segment_spec import Destination
from segment_spec._cli import main

KEY = "segment"
receiver = load_example_receiver()

TRACK = {"type": "track", "event": "Signed Up", "user_id": "u-1", "message_id": "m-1"}
IDENTIFY = {"type": "identify", "user_id": "u-2", "traits": {"plan": "pro"}, "message_id": "m-2"}
PAGE = {"type": "page", "anonymous_id": "a-3", "name": "Home", "message_id": "m-3"}
NO_EVENT = {"type": "track", "user_id": "u-4", "message_id": "m-4"}

# Rows of each check that answers with an error: its status, JSON message and Content-Type rows.
BAD_REQUESTS = ("malformed JSON", "no user_id or anonymous_id", "wrong field type (event: 42)")
OTHER_ERRORS = ("missing Authorization", "wrong API key", "unknown call type")


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def destination() -> tuple[Destination, Recorded]:
    """A destination handling all six calls, and what its handler was given."""
    return full_destination()


@pytest.fixture
def url(destination: tuple[Destination, Recorded]) -> Iterator[str]:
    with serve(destination[0].asgi()) as address:
        yield address


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], list[str]]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out.splitlines(), captured.err.splitlines()


def conformance(
    capsys: pytest.CaptureFixture[str], url: str, *options: str
) -> tuple[int, list[dict[str, str]]]:
    status, out, _ = run(capsys, "conformance", url, "--api-key", KEY, "--json", *options)
    return status, [json.loads(line) for line in out]


def failing(rows: list[dict[str, str]]) -> set[str]:
    return {row["check"] for row in rows if row["result"] == "fail"}


def ndjson(tmp_path: Path, *messages: dict[str, Any]) -> str:
    path = tmp_path / "messages.ndjson"
    path.write_text("".join(json.dumps(m) + "\n" for m in messages), encoding="utf-8")
    return str(path)


# --- conformance against the example receiver ---------------------------------------------------


def test_example_receiver_passes_conformance(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "conformance", url, "--api-key", KEY)
    assert status == 0, "\n".join(out)
    assert out[0].split() == ["check", "expected", "got", "result"]
    assert len(out) > 13
    assert all(line.endswith("  pass") for line in out[1:]), "\n".join(out)
    assert err[-1].endswith(" 0 failed")


def test_json_rows_cover_every_check(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, rows = conformance(capsys, url)
    assert status == 0
    names = [row["check"] for row in rows]
    for call in ("identify", "track", "page", "screen", "group", "alias"):
        assert f"{call} call" in names
    for name in BAD_REQUESTS:
        assert {name, f"{name}: JSON message", f"{name}: Content-Type"} <= set(names)
    for name in OTHER_ERRORS:
        assert {name, f"{name}: Content-Type"} <= set(names)
    assert "same message_id twice" in names
    assert {row["result"] for row in rows} == {"pass"}
    assert all(set(row) == {"check", "expected", "got", "result"} for row in rows)


def test_unsupported_calls_must_get_501(capsys: pytest.CaptureFixture[str]) -> None:
    five = receiver.make_app([KEY], supported={"track", "identify", "page", "screen", "group"})
    with serve(five) as address:
        status, rows = conformance(capsys, address, "--unsupported", "alias")
        assert status == 0
        alias = next(row for row in rows if row["check"] == "alias call")
        assert (alias["expected"], alias["got"]) == ("501", "501")
        # Told nothing, conformance expects the alias call to be accepted.
        status, rows = conformance(capsys, address)
        assert status == 1
        assert failing(rows) == {"alias call"}


def test_over_https_with_a_custom_ca(tls: TLSFiles, capsys: pytest.CaptureFixture[str]) -> None:
    with serve(receiver.make_app([KEY]), tls) as address:
        assert address.startswith("https://")
        status, rows = conformance(capsys, address, "--cacert", str(tls.ca))
        assert status == 0
        assert {row["result"] for row in rows} == {"pass"}


def test_https_certificate_is_verified(
    tls: TLSFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = ndjson(tmp_path, TRACK)
    with serve(receiver.make_app([KEY]), tls) as address:
        status, out, err = run(capsys, "send", address, "--api-key", KEY, path)
        assert (status, out) == (2, [])
        assert "certificate not trusted" in "\n".join(err)
        status, _, err = run(capsys, "conformance", address, "--api-key", KEY)
        assert status == 2
        assert "certificate not trusted" in err[-1]
        status, out, _ = run(capsys, "send", address, "--api-key", KEY, "--insecure", path)
        assert (status, out) == (0, ["1 200 ok"])


def test_receiver_answering_200_to_everything(capsys: pytest.CaptureFixture[str]) -> None:
    with serve(always_ok) as address:
        status, rows = conformance(capsys, address)
    assert status == 1
    assert failing(rows) == set(BAD_REQUESTS + OTHER_ERRORS)
    # With no error reply there is no error body to grade.
    skipped = {row["check"] for row in rows if row["result"] == "skip"}
    assert skipped == {f"{name}: JSON message" for name in BAD_REQUESTS}


def test_receiver_answering_errors_in_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    with serve(PlainText(KEY)) as address:
        status, rows = conformance(capsys, address)
    assert status == 1
    expected = {f"{name}: JSON message" for name in BAD_REQUESTS} | {
        f"{name}: Content-Type" for name in BAD_REQUESTS + OTHER_ERRORS
    }
    assert failing(rows) == expected
    got = {row["check"]: row["got"] for row in rows}
    assert got["malformed JSON: JSON message"] == "not JSON"
    assert got["missing Authorization: Content-Type"] == "text/plain"


def test_receiver_refusing_retries(capsys: pytest.CaptureFixture[str]) -> None:
    with serve(ConflictOnDuplicate(receiver.make_app([KEY]))) as address:
        status, rows = conformance(capsys, address)
    assert status == 1
    assert failing(rows) == {"same message_id twice"}
    row = next(row for row in rows if row["check"] == "same message_id twice")
    assert row["got"].startswith("200, 409")


MAINTENANCE = Reply(503, b'{"message": "down for maintenance"}', ((b"retry-after", b"120"),))


def test_receiver_under_maintenance_is_one_finding(capsys: pytest.CaptureFixture[str]) -> None:
    app = Scripted(MAINTENANCE)
    with serve(app) as address:
        status, out, err = run(capsys, "conformance", address, "--api-key", KEY)
    assert status == 3
    assert len(out) == 2
    assert out[0].split() == ["check", "expected", "got", "result"]
    assert re.fullmatch(
        r"under maintenance \(503\) +2xx for valid messages +"
        r"503 to all 8 valid requests \(Retry-After: 120\) +fail",
        out[1],
    )
    assert err == [
        "the receiver is under maintenance: it answered 503 to every message it should accept,"
        " so no check was graded; run again once it is back"
    ]
    # Every probe was sent (each once; the duplicate twice): the finding is about all of them.
    assert sum(len(times) for times in app.arrivals.values()) == 14


def test_receiver_under_maintenance_in_json(capsys: pytest.CaptureFixture[str]) -> None:
    with serve(Scripted(MAINTENANCE)) as address:
        status, rows = conformance(capsys, address, "--unsupported", "alias")
    assert status == 3
    assert rows == [
        {
            "check": "under maintenance (503)",
            "expected": "2xx for valid messages",
            "got": "503 to all 7 valid requests (Retry-After: 120)",
            "result": "fail",
        }
    ]


def test_receiver_that_comes_back_is_graded_as_usual(capsys: pytest.CaptureFixture[str]) -> None:
    """A 200 to one valid request (the duplicate's second send) is no maintenance."""
    with serve(Scripted(MAINTENANCE, Reply(200))) as address:
        status, rows = conformance(capsys, address)
    assert status == 1
    assert "under maintenance (503)" not in {row["check"] for row in rows}
    assert {f"{call} call" for call in ("identify", "track", "page")} <= failing(rows)
    duplicate = next(row for row in rows if row["check"] == "same message_id twice")
    assert duplicate["got"].startswith("503, 200")


def test_unreachable_receiver_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with serve(always_ok) as address:
        pass  # the port is free again once the server has stopped
    status, out, err = run(capsys, "conformance", address, "--api-key", KEY)
    assert (status, out) == (2, [])
    assert err[-1].startswith("segment-spec: http://127.0.0.1:")


# --- send ---------------------------------------------------------------------------------------


def test_send_valid_messages_exits_0(
    url: str,
    destination: tuple[Destination, Recorded],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(
        capsys, "send", url, "--api-key", KEY, ndjson(tmp_path, TRACK, IDENTIFY, PAGE)
    )
    assert status == 0
    assert out == ["1 200 ok", "2 200 ok", "3 200 ok"]
    assert err == ["3 of 3 messages answered, 0 not 2xx"]
    assert len(destination[1].messages) == 3


def test_send_prints_the_rejection_and_exits_1(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = ndjson(tmp_path, TRACK, NO_EVENT, {**IDENTIFY, "type": "delete"}, PAGE)
    status, out, _ = run(capsys, "send", url, "--api-key", KEY, path)
    assert status == 1
    assert out == [
        "1 200 ok",
        "2 400 event is required: a non-empty string",
        "3 501 type must name a Segment call (identify, track, page, screen, group or alias); "
        "other call types are not supported",
        "4 200 ok",
    ]


def test_send_wrong_key_gets_401(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "send", url, "--api-key", "nope", ndjson(tmp_path, TRACK))
    assert (status, out) == (1, ["1 401 the API key is not valid"])


def test_send_sends_segments_headers_over_one_connection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorder = Recorder(receiver.make_app([KEY]))
    messages: list[dict[str, Any]] = [TRACK, IDENTIFY, PAGE, {**TRACK, "message_id": "m-5"}]
    path = ndjson(tmp_path, *messages)
    with serve(recorder) as address:
        status, out, _ = run(capsys, "send", address, "--api-key", KEY, path)
    assert status == 0
    assert len(out) == len(recorder.seen) == 4
    for seen, message in zip(recorder.seen, messages, strict=True):
        assert seen.method == "POST"
        assert seen.header("Accept") == ["*/*"]
        assert seen.header("Authorization") == ["Basic c2VnbWVudDo="]
        assert seen.header("Cache-Control") == ["no-cache"]
        assert seen.header("Connection") == ["Keep-Alive"]
        assert seen.header("Content-Length") == [str(len(seen.body))]
        assert seen.header("Content-Type") == ["application/json"]
        assert seen.header("User-Agent") == ["Segment"]
        assert {name for name, _ in seen.headers} == {
            "host",
            "accept",
            "authorization",
            "cache-control",
            "connection",
            "content-length",
            "content-type",
            "user-agent",
        }
        assert json.loads(seen.body) == message  # sent as given: one message per request
    # Keep-alive: every request came over the same connection.
    assert len({seen.client_port for seen in recorder.seen}) == 1


def test_send_with_concurrency_reuses_connections(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorder = Recorder(receiver.make_app([KEY]))
    messages = [{**TRACK, "message_id": f"m-{n}"} for n in range(12)]
    with serve(recorder) as address:
        status, out, _ = run(
            capsys,
            "send",
            address,
            "--api-key",
            KEY,
            "--concurrency",
            "3",
            ndjson(tmp_path, *messages),
        )
    assert status == 0
    # Printed in input order whatever order the replies came in.
    assert out == [f"{n} 200 ok" for n in range(1, 13)]
    assert sorted(json.loads(seen.body)["message_id"] for seen in recorder.seen) == sorted(
        m["message_id"] for m in messages
    )
    assert 1 <= len({seen.client_port for seen in recorder.seen}) <= 3


def test_send_splits_a_batch_envelope(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    recorder = Recorder(receiver.make_app([KEY]))
    path = tmp_path / "batch.json"
    path.write_text(json.dumps({"batch": [TRACK, IDENTIFY]}, indent=2), encoding="utf-8")
    with serve(recorder) as address:
        status, out, _ = run(capsys, "send", address, "--api-key", KEY, str(path))
    assert (status, out) == (0, ["1 200 ok", "2 200 ok"])
    assert [json.loads(seen.body) for seen in recorder.seen] == [TRACK, IDENTIFY]


def test_send_rate_sets_a_minimum_duration(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    count, rate = 6, 20.0
    path = ndjson(tmp_path, *({**TRACK, "message_id": f"r-{n}"} for n in range(count)))
    started = time.monotonic()
    status, out, _ = run(
        capsys, "send", url, "--api-key", KEY, "--rate", str(rate), "--concurrency", "3", path
    )
    elapsed = time.monotonic() - started
    assert status == 0
    assert len(out) == count
    # The first request goes at once, each later one waits its turn: (count - 1) / rate seconds.
    assert elapsed >= (count - 1) / rate


def test_duplicates_are_answered_200_but_processed_once(
    url: str,
    destination: tuple[Destination, Recorded],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(
        capsys, "send", url, "--api-key", KEY, ndjson(tmp_path, TRACK, IDENTIFY, TRACK, TRACK)
    )
    again = "200 already received: a message with this message_id was processed"
    assert (status, out) == (0, ["1 200 ok", "2 200 ok", f"3 {again}", f"4 {again}"])
    assert destination[1].ids == [TRACK["message_id"], IDENTIFY["message_id"]]


def test_send_to_https_with_cacert(
    tls: TLSFiles, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve(receiver.make_app([KEY]), tls) as address:
        status, out, _ = run(
            capsys,
            "send",
            address,
            "--api-key",
            KEY,
            "--cacert",
            str(tls.ca),
            ndjson(tmp_path, TRACK, NO_EVENT),
        )
    assert status == 1
    assert out == ["1 200 ok", "2 400 event is required: a non-empty string"]


def test_send_to_a_closed_port_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with serve(always_ok) as address:
        pass
    status, out, err = run(
        capsys, "send", address, "--api-key", KEY, ndjson(tmp_path, TRACK, TRACK)
    )
    assert (status, out) == (2, [])
    assert err[0].startswith("segment-spec: message 1: http://127.0.0.1:")
