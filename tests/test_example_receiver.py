"""examples/receiver.py as an ASGI app, called directly (no server): each rule it documents."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

import pytest
from asgi_servers import load_example_receiver

import segment_spec

receiver = load_example_receiver()

KEY = "segment"
AUTH = (b"authorization", b"Basic c2VnbWVudDo=")
TRACK = {"type": "track", "event": "Signed Up", "userId": "u-1", "messageId": "m-1"}


class Reply:
    """What the app sent back, and how much of the body it asked for."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: dict[bytes, bytes] = {}
        self.body = b""
        self.reads = 0

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    app: Any,
    body: bytes = b"",
    *,
    method: str = "POST",
    headers: tuple[tuple[bytes, bytes], ...] = (AUTH,),
    chunk: int | None = None,
) -> Reply:
    """Run one HTTP request through the ASGI app; the body arrives in ``chunk``-sized parts."""
    reply = Reply()
    size = chunk or max(len(body), 1)
    parts = [body[i : i + size] for i in range(0, len(body), size)] or [b""]

    async def receive() -> MutableMapping[str, Any]:
        if reply.reads >= len(parts):
            return {"type": "http.disconnect"}
        reply.reads += 1
        more = reply.reads < len(parts)
        return {"type": "http.request", "body": parts[reply.reads - 1], "more_body": more}

    async def send(event: MutableMapping[str, Any]) -> None:
        if event["type"] == "http.response.start":
            reply.status = event["status"]
            reply.headers = dict(event["headers"])
        else:
            reply.body += event.get("body", b"")

    scope = {"type": "http", "method": method, "path": "/", "headers": list(headers)}
    asyncio.run(app(scope, receive, send))
    return reply


def test_accepts_a_valid_message() -> None:
    app = receiver.make_app([KEY])
    reply = call(app, json.dumps(TRACK).encode())
    assert (reply.status, reply.json()) == (200, {})
    assert reply.headers[b"content-type"] == b"application/json"
    assert app.processed == 1


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        pytest.param((), "the Authorization header is missing", id="missing"),
        pytest.param(
            ((b"authorization", b"Bearer x"),),
            "the Authorization header must use the Basic scheme",
            id="not-basic",
        ),
        pytest.param(
            ((b"authorization", b"Basic b3RoZXI6"),), "the API key is not valid", id="wrong-key"
        ),
    ],
)
def test_refuses_a_bad_key_with_401(headers: tuple[tuple[bytes, bytes], ...], message: str) -> None:
    app = receiver.make_app([KEY])
    reply = call(app, json.dumps(TRACK).encode(), headers=headers)
    assert (reply.status, reply.json()) == (401, {"message": message})
    assert reply.headers[b"content-type"] == b"application/json"
    assert app.processed == 0


def test_any_of_several_keys() -> None:
    app = receiver.make_app(["other", KEY])
    assert call(app, json.dumps(TRACK).encode()).status == 200


def test_rejection_body_comes_from_the_library() -> None:
    body = json.dumps({"type": "track", "userId": "u-1"}).encode()
    reply = call(receiver.make_app([KEY]), body)
    rejection = segment_spec.check(body)
    assert isinstance(rejection, segment_spec.Rejection)
    assert (reply.status, reply.body) == (400, rejection.json())


def test_unsupported_call_gets_501() -> None:
    app = receiver.make_app([KEY], supported={"identify"})
    reply = call(app, json.dumps(TRACK).encode())
    assert reply.status == 501
    assert reply.json() == {"message": "this destination does not support track calls"}


def test_oversize_body_is_refused_without_reading_all_of_it() -> None:
    big = {**TRACK, "properties": {"blob": "x" * 100_000}}
    reply = call(receiver.make_app([KEY]), json.dumps(big).encode(), chunk=8192)
    assert reply.status == 400
    assert "Segment's limit is 32,768 bytes" in reply.json()["message"]
    # 32 KiB + 1 byte is five 8 KiB parts: the other eight are never asked for.
    assert reply.reads == 5


def test_other_methods_get_405() -> None:
    reply = call(receiver.make_app([KEY]), method="GET")
    assert reply.status == 405
    assert reply.headers[b"allow"] == b"POST"
    assert reply.json() == {"message": "only POST is accepted"}


def test_duplicate_is_answered_200_and_processed_once() -> None:
    app = receiver.make_app([KEY])
    body = json.dumps(TRACK).encode()
    assert [call(app, body).status for _ in range(3)] == [200, 200, 200]
    assert (app.processed, app.duplicates) == (1, 2)


def test_messages_without_an_id_are_all_processed() -> None:
    app = receiver.make_app([KEY])
    body = json.dumps({k: v for k, v in TRACK.items() if k != "messageId"}).encode()
    call(app, body)
    call(app, body)
    assert (app.processed, app.duplicates) == (2, 0)


def test_lifespan() -> None:
    events = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[str] = []

    async def receive() -> MutableMapping[str, Any]:
        return next(events)

    async def send(event: MutableMapping[str, Any]) -> None:
        sent.append(event["type"])

    asyncio.run(receiver.make_app([KEY])({"type": "lifespan"}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_no_keys_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one API key"):
        receiver.make_app([])


# --- the de-duplication window ------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_window_forgets_ids_older_than_the_window() -> None:
    clock = Clock()
    seen = receiver.SeenIds(window=60.0, capacity=10, clock=clock)
    assert seen.first_time(KEY, "a")
    clock.now = 59.0
    assert not seen.first_time(KEY, "a")
    assert seen.first_time(KEY, "b")
    clock.now = 61.0  # "a" (seen at 0) has aged out, "b" (seen at 59) has not
    assert seen.first_time(KEY, "a")
    assert not seen.first_time(KEY, "b")


def test_window_is_bounded_by_count() -> None:
    seen = receiver.SeenIds(window=3600.0, capacity=3, clock=Clock())
    for message_id in "abcd":
        assert seen.first_time(KEY, message_id)
    assert len(seen) == 3
    assert seen.first_time(KEY, "a")  # the oldest was dropped to make room
    assert not seen.first_time(KEY, "d")


def test_window_is_per_api_key() -> None:
    seen = receiver.SeenIds(clock=Clock())
    assert seen.first_time("one", "a")
    assert seen.first_time("two", "a")
    assert not seen.first_time("one", "a")


# --- main ---------------------------------------------------------------------------------------


def test_main_runs_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: calls.append((app, options)))
    monkeypatch.setenv("SEGMENT_API_KEYS", "one, two")
    receiver.main(["--port", "8443", "--ssl-certfile", "c.pem", "--ssl-keyfile", "k.pem"])
    ((app, options),) = calls
    assert app.keys == ("one", "two")
    assert app.supported is None
    assert options == {
        "host": "127.0.0.1",
        "port": 8443,
        "ssl_certfile": "c.pem",
        "ssl_keyfile": "k.pem",
    }


def test_main_needs_keys(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SEGMENT_API_KEYS", raising=False)
    with pytest.raises(SystemExit) as caught:
        receiver.main([])
    assert caught.value.code == 2
    assert "SEGMENT_API_KEYS" in capsys.readouterr().err
