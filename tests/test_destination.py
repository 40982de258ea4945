"""Destination: the receiver contract, called directly (the adapters and real servers are in
tests/test_destination_servers.py)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import logging
import threading
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from receiver_apps import AUTHORIZATION, KEY, Recorder, full_destination

import segment_spec
from segment_spec import (
    CALL_TYPES,
    MAX_MESSAGE_BYTES,
    Accepted,
    Delivery,
    Destination,
    Forbidden,
    MemoryWindow,
    Message,
    Reject,
    Reply,
    Unauthorized,
    Unavailable,
)
from segment_spec.testing import invalid_messages

HEADERS = {"Authorization": AUTHORIZATION}
SIGNED_UP = {"type": "track", "event": "Signed Up", "userId": "u-1", "messageId": "m-1"}


def body(message: dict[str, Any], **changes: Any) -> bytes:
    return orjson.dumps({**message, **changes})


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


# --- authentication --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "the Authorization header is missing"),
        ({"Authorization": "Bearer abc"}, "the Authorization header must use the Basic scheme"),
        (basic("other"), "the API key is not valid"),
        (basic("segmen"), "the API key is not valid"),
    ],
)
def test_a_request_without_the_key_is_a_401(headers: dict[str, str], message: str) -> None:
    dest, recorder = full_destination()
    reply = dest.receive(headers, body(SIGNED_UP))
    assert (reply.status, reply.message) == (401, message)
    assert recorder.messages == []


def test_the_key_comes_before_the_body() -> None:
    # A stranger learns nothing about the body from the reply: a bad body with a bad key is a 401.
    dest, _ = full_destination()
    assert dest.receive(basic("x"), b"not json").status == 401
    assert dest.receive({**basic("x"), "Content-Length": "999999"}, b"").status == 401


def test_a_function_decides_the_key_and_names_the_tenant() -> None:
    tenants = {"k-1": "acme", "k-2": True}

    def decide(key: str) -> Any:
        if key == "k-3":
            raise Forbidden("this account may not send data")
        if key == "k-4":
            raise Unauthorized("the API key has expired")
        return tenants.get(key)

    dest = Destination(decide)
    recorder = Recorder()
    dest.on("track")(recorder)
    assert dest.receive(basic("k-1"), body(SIGNED_UP)).status == 200
    assert dest.receive(basic("k-2"), body(SIGNED_UP, messageId="m-2")).status == 200
    assert [d.tenant for d in recorder.deliveries] == ["acme", "k-2"]
    assert [d.api_key for d in recorder.deliveries] == ["k-1", "k-2"]
    assert dest.receive(basic("k-3"), body(SIGNED_UP)).body == {
        "message": "this account may not send data"
    }
    assert dest.receive(basic("k-3"), body(SIGNED_UP)).status == 403
    expired = dest.receive(basic("k-4"), body(SIGNED_UP))
    assert (expired.status, expired.message) == (401, "the API key has expired")
    assert dest.receive(basic("k-5"), body(SIGNED_UP)).status == 401


def test_an_async_key_function_is_awaited() -> None:
    async def decide(key: str) -> Any:
        await asyncio.sleep(0)
        return {"account": key} if key == KEY else None

    dest = Destination(decide)
    recorder = Recorder()
    dest.on("track")(recorder)
    assert asyncio.run(dest.areceive(HEADERS, body(SIGNED_UP))).status == 200
    assert asyncio.run(dest.areceive(basic("nope"), body(SIGNED_UP))).status == 401
    assert dest.receive(HEADERS, body(SIGNED_UP, messageId="m-9")).status == 200
    assert [d.tenant for d in recorder.deliveries] == [{"account": KEY}] * 2


@pytest.mark.parametrize(
    ("keys", "error"),
    [
        ("segment", TypeError),
        (b"segment", TypeError),
        ([], ValueError),
        (["ok", ""], ValueError),
        (["ok", " "], ValueError),
        (["ok", 3], TypeError),
        (42, TypeError),
    ],
)
def test_bad_keys_are_refused_when_the_destination_is_made(keys: Any, error: type) -> None:
    with pytest.raises(error):
        Destination(keys)


# --- settings, size --------------------------------------------------------------------------


def test_the_settings_header_is_decoded_for_the_handler() -> None:
    dest, recorder = full_destination()
    settings_header = base64.b64encode(json.dumps({"region": "eu", "limit": 3}).encode()).decode()
    reply = dest.receive({**HEADERS, "X-Segment-Settings": settings_header}, body(SIGNED_UP))
    assert reply.status == 200
    delivery = recorder.deliveries[0]
    assert delivery.settings == {"region": "eu", "limit": 3}
    assert delivery.headers["x-segment-settings"] == settings_header
    assert "Authorization" in delivery.headers
    assert dest.receive(HEADERS, body(SIGNED_UP, messageId="m-2")).status == 200
    assert recorder.deliveries[1].settings == {}


@pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"[1, 2]").decode(), "e30"])
def test_a_bad_settings_header_is_a_400(value: str) -> None:
    dest, recorder = full_destination()
    reply = dest.receive({**HEADERS, "X-Segment-Settings": value}, body(SIGNED_UP))
    assert (reply.status, reply.message) == (
        400,
        "the X-Segment-Settings header is not base64 of a JSON object",
    )
    assert recorder.messages == []


class Unreadable(io.RawIOBase):
    """A body that fails the test if anything reads it."""

    def read(self, size: int = -1, /) -> bytes:
        raise AssertionError("the body was read")


class Counted(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.asked: list[int] = []

    def read(self, size: int | None = -1, /) -> bytes:
        self.asked.append(-1 if size is None else size)
        return super().read(size)


def test_a_declared_length_over_the_limit_is_refused_before_reading() -> None:
    dest, _ = full_destination()
    headers = {**HEADERS, "Content-Length": str(MAX_MESSAGE_BYTES + 1)}
    reply = dest.receive(headers, Unreadable())
    assert reply.status == 400
    assert reply.message == "the message is 32,769 bytes; Segment's limit is 32,768 bytes"


def test_a_body_is_never_read_past_the_limit() -> None:
    dest, recorder = full_destination()
    stream = Counted(b"x" * (MAX_MESSAGE_BYTES * 4))
    reply = dest.receive(HEADERS, stream)  # no Content-Length: read to the limit and a byte
    assert reply.status == 400
    assert stream.asked == [MAX_MESSAGE_BYTES + 1]
    assert recorder.messages == []
    small = Counted(body(SIGNED_UP))
    headers = {**HEADERS, "Content-Length": str(len(small.getvalue()))}
    assert dest.receive(headers, small).status == 200
    assert small.asked == [len(small.getvalue())]


def test_an_async_body_is_read_no_further_than_the_limit() -> None:
    dest, _ = full_destination()
    pulled = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(100):
            pulled += 1
            yield b"x" * 4096

    reply = asyncio.run(dest.areceive(HEADERS, chunks()))
    assert reply.status == 400
    assert pulled == MAX_MESSAGE_BYTES // 4096 + 1


# --- checking and dispatch -------------------------------------------------------------------


def test_check_rejections_are_the_replies() -> None:
    dest, recorder = full_destination()
    for data in (b'{"type": "track"', body({"type": "track", "event": "x"}), b"[]"):
        expected = segment_spec.check(data)
        assert isinstance(expected, segment_spec.Rejection)
        reply = dest.receive(HEADERS, data)
        assert (reply.status, dict(reply.body)) == (expected.status, expected.body)
        assert reply.headers == (("content-type", "application/json"),)
    assert recorder.messages == []


def test_a_call_type_without_a_handler_is_a_501() -> None:
    dest = Destination({KEY})
    dest.on("identify")(Recorder())
    reply = dest.receive(HEADERS, body(SIGNED_UP))
    assert reply.status == 501
    assert dest.supported == {"identify"}
    # Told to support a call type it has no handler for, it still answers 501 for it.
    told = Destination({KEY}, supported={"track", "identify"})
    told.on("identify")(Recorder())
    assert told.receive(HEADERS, body(SIGNED_UP)).status == 501
    assert told.receive(HEADERS, body({"type": "page", "userId": "u"})).status == 501


def test_a_501_comes_as_check_gives_it_with_the_supported_calls() -> None:
    # Whatever else is wrong with an unsupported call, it is the 501 check() would give.
    dest = Destination({KEY})
    dest.on("track")(Recorder())
    message = {"type": "identify", "traits": "not an object"}
    expected = segment_spec.check(body(message), supported={"track"})
    reply = dest.receive(HEADERS, body(message))
    assert (reply.status, dict(reply.body)) == (expected.status, expected.body)


def test_an_event_handler_wins_over_the_track_handler() -> None:
    dest = Destination({KEY})
    tracks, orders, custom = Recorder(), Recorder(), Recorder()
    dest.on("track")(tracks)
    dest.on("Order Completed")(orders)
    dest.on("Plan Upgraded")(custom)
    for n, event in enumerate(
        ["Order Completed", "Completed Order", "order completed ", "Plan Upgraded", "plan upgraded"]
    ):
        assert dest.receive(HEADERS, body(SIGNED_UP, event=event, messageId=f"m{n}")).status == 200
    assert [m.event for m in orders.messages] == [
        "Order Completed",
        "Completed Order",
        "order completed ",
    ]
    assert [m.event for m in custom.messages] == ["Plan Upgraded"]  # custom names: exact
    assert [m.event for m in tracks.messages] == ["plan upgraded"]


def test_legacy_names_register_the_event() -> None:
    dest = Destination({KEY})
    orders = Recorder()
    dest.on("Completed Order")(orders)
    assert dest.receive(HEADERS, body(SIGNED_UP, event="Order Completed")).status == 200
    assert len(orders.messages) == 1
    with pytest.raises(ValueError, match="already has a handler"):
        dest.on("Order Completed")(Recorder())


def test_only_event_handlers_answer_501_for_other_events() -> None:
    dest = Destination({KEY})
    dest.on("Order Completed")(Recorder())
    assert dest.supported == {"track"}
    reply = dest.receive(HEADERS, body(SIGNED_UP))
    assert (reply.status, reply.message) == (
        501,
        "this destination does not handle track events of this name",
    )


@pytest.mark.parametrize("name", ["", "  ", None, 3])
def test_a_handler_needs_a_name(name: Any) -> None:
    with pytest.raises(ValueError, match="needs a call type or an event name"):
        Destination({KEY}).on(name)


def test_a_handler_must_be_callable() -> None:
    with pytest.raises(TypeError):
        Destination({KEY}).on("track")("not a function")  # type: ignore[arg-type]


# --- what handlers answer --------------------------------------------------------------------


def _answering(outcome: Any) -> Destination:
    dest = Destination({KEY})

    @dest.on("track")
    def handle(message: Message, delivery: Delivery) -> Any:
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return dest


@pytest.mark.parametrize(
    ("outcome", "status", "message"),
    [
        (None, 200, "ok"),
        (Accepted(), 202, "accepted; it will be processed later"),
        (Accepted("queued"), 202, "queued"),
        (Reject("an email address is required"), 400, "an email address is required"),
        (
            Forbidden("the plan does not include tracking"),
            403,
            "the plan does not include tracking",
        ),
        (Unavailable("down for maintenance"), 503, "down for maintenance"),
        (Unauthorized("the API token expired"), 401, "the API token expired"),
    ],
)
def test_a_handlers_outcome_is_the_reply(outcome: Any, status: int, message: str) -> None:
    for receive in (_answering(outcome).receive, _sync(_answering(outcome).areceive)):
        reply = receive(HEADERS, body(SIGNED_UP))
        assert (reply.status, reply.message) == (status, message)


def _sync(areceive: Any) -> Any:
    return lambda headers, data: asyncio.run(areceive(headers, data))


def test_an_exception_is_a_500_without_its_text(caplog: pytest.LogCaptureFixture) -> None:
    dest = _answering(RuntimeError("database password is hunter2"))
    with caplog.at_level(logging.ERROR, logger="segment_spec"):
        reply = dest.receive(HEADERS, body(SIGNED_UP))
    assert (reply.status, reply.message) == (500, "the destination failed to process the message")
    assert b"hunter2" not in reply.json()
    # The log has the exception, for the destination's own people.
    assert any(r.exc_info and "hunter2" in str(r.exc_info[1]) for r in caplog.records)


def test_a_handler_returning_anything_else_is_a_500(caplog: pytest.LogCaptureFixture) -> None:
    dest = _answering({"ok": True})
    with caplog.at_level(logging.ERROR, logger="segment_spec"):
        assert dest.receive(HEADERS, body(SIGNED_UP)).status == 500
    assert "return None or Accepted()" in caplog.text


def test_async_handlers_run_in_both_ways() -> None:
    dest = Destination({KEY})
    seen: list[str | None] = []

    @dest.on("track")
    async def handle(message: Message, delivery: Delivery) -> Accepted:
        await asyncio.sleep(0)
        seen.append(message.message_id)
        return Accepted()

    assert dest.receive(HEADERS, body(SIGNED_UP)).status == 202
    assert asyncio.run(dest.areceive(HEADERS, body(SIGNED_UP, messageId="m-2"))).status == 202
    assert seen == ["m-1", "m-2"]


def test_a_sync_handler_runs_off_the_event_loop_in_areceive() -> None:
    dest = Destination({KEY})
    threads: list[int] = []
    dest.on("track")(lambda message, delivery: threads.append(threading.get_ident()))

    async def main() -> int:
        await dest.areceive(HEADERS, body(SIGNED_UP))
        return threading.get_ident()

    loop_thread = asyncio.run(main())
    assert len(threads) == 1
    assert threads[0] != loop_thread


# --- de-duplication --------------------------------------------------------------------------


def test_the_same_message_twice_is_handled_once() -> None:
    dest, recorder = full_destination()
    first = dest.receive(HEADERS, body(SIGNED_UP))
    again = dest.receive(HEADERS, body(SIGNED_UP, event="Changed"))  # the id decides
    assert (first.status, again.status) == (200, 200)
    assert again.message == "already received: a message with this message_id was processed"
    assert recorder.ids == ["m-1"]
    # Per API key: the same id under another customer's key is another message.
    other = Destination({KEY, "other"})
    seen = Recorder()
    other.on("track")(seen)
    other.receive(HEADERS, body(SIGNED_UP))
    other.receive(basic("other"), body(SIGNED_UP))
    assert [d.api_key for d in seen.deliveries] == [KEY, "other"]


def test_a_message_without_an_id_is_never_a_duplicate() -> None:
    dest, recorder = full_destination()
    message = {k: v for k, v in SIGNED_UP.items() if k != "messageId"}
    assert [dest.receive(HEADERS, body(message)).status for _ in range(3)] == [200] * 3
    assert len(recorder.messages) == 3


@pytest.mark.parametrize(
    "failure", [RuntimeError("boom"), Unavailable("later"), Reject("no"), Forbidden("no")]
)
def test_a_failed_message_is_processed_on_retry(failure: Exception) -> None:
    dest = Destination({KEY})
    calls: list[str | None] = []

    @dest.on("track")
    def handle(message: Message, delivery: Delivery) -> None:
        calls.append(message.message_id)
        if len(calls) == 1:
            raise failure

    assert dest.receive(HEADERS, body(SIGNED_UP)).status >= 400
    assert dest.receive(HEADERS, body(SIGNED_UP)).status == 200
    assert dest.receive(HEADERS, body(SIGNED_UP)).message.startswith("already received")
    assert calls == ["m-1", "m-1"]


def test_a_cancelled_handler_releases_its_claim() -> None:
    """A request cancelled while its handler runs (the client went away) leaves the message
    unclaimed: Segment's retry is processed, not taken for a duplicate."""
    dest = Destination({KEY})
    calls: list[str | None] = []
    started: list[asyncio.Event] = []

    @dest.on("track")
    async def handle(message: Message, delivery: Delivery) -> None:
        calls.append(message.message_id)
        if len(calls) == 1:
            started[0].set()
            await asyncio.sleep(60)

    async def main() -> Reply:
        started.append(asyncio.Event())
        task = asyncio.create_task(dest.areceive(HEADERS, body(SIGNED_UP)))
        await started[0].wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await dest.areceive(HEADERS, body(SIGNED_UP))

    assert asyncio.run(main()).status == 200
    assert calls == ["m-1", "m-1"]


def test_no_window_means_every_copy_is_handled() -> None:
    dest, recorder = full_destination(dedupe=None)
    for _ in range(2):
        assert dest.receive(HEADERS, body(SIGNED_UP)).status == 200
    assert recorder.ids == ["m-1", "m-1"]
    assert dest.dedupe is None


def test_copies_arriving_at_once_run_the_handler_once() -> None:
    dest = Destination({KEY})
    calls: list[str | None] = []
    entered = threading.Barrier(8)

    @dest.on("track")
    def handle(message: Message, delivery: Delivery) -> None:
        calls.append(message.message_id)

    def send() -> None:
        entered.wait(5)
        assert dest.receive(HEADERS, body(SIGNED_UP)).status == 200

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert calls == ["m-1"]


class BrokenWindow:
    def claim(self, api_key: str, message_id: str) -> bool:
        raise ConnectionError("redis is down")

    def release(self, api_key: str, message_id: str) -> None:
        raise ConnectionError("redis is down")


def test_a_failing_window_is_a_503_so_segment_retries(caplog: pytest.LogCaptureFixture) -> None:
    dest, recorder = full_destination(dedupe=BrokenWindow())
    with caplog.at_level(logging.ERROR, logger="segment_spec"):
        reply = dest.receive(HEADERS, body(SIGNED_UP))
        areply = asyncio.run(dest.areceive(HEADERS, body(SIGNED_UP)))
    assert reply.status == areply.status == 503
    assert recorder.messages == []
    assert "de-duplication window failed" in caplog.text


def test_a_window_must_be_a_window() -> None:
    with pytest.raises(TypeError):
        Destination({KEY}, dedupe={})  # type: ignore[arg-type]


def test_the_memory_window_slides_and_is_bounded() -> None:
    now = [0.0]
    window = MemoryWindow(seconds=10, capacity=3, clock=lambda: now[0])
    assert window.claim("k", "a")
    assert not window.claim("k", "a")
    now[0] = 9.9
    assert not window.claim("k", "a")
    now[0] = 10.0  # a was taken at 0: its ten seconds are over
    assert window.claim("k", "a")
    for name in "bcd":
        assert window.claim("k", name)
    assert len(window) == 3  # the oldest went first
    assert window.claim("k", "a")  # a (taken at 10) was the oldest when d came
    with pytest.raises(ValueError, match="seconds must be positive"):
        MemoryWindow(seconds=0)
    with pytest.raises(ValueError, match="capacity must be a positive integer"):
        MemoryWindow(capacity=0)


def test_the_memory_window_keeps_no_key_or_id() -> None:
    window = MemoryWindow()
    window.claim("secret-key", "x" * 32_000)
    assert all(len(digest) == 16 for digest in window._seen)


# --- never raises, never echoes --------------------------------------------------------------


@settings(max_examples=150)
@given(
    headers=st.dictionaries(
        st.sampled_from(["Authorization", "Content-Length", "X-Segment-Settings", "X-Other"]),
        st.one_of(st.text(max_size=40), st.just(AUTHORIZATION)),
    ),
    data=st.one_of(st.binary(max_size=200), st.text(max_size=200)),
)
def test_any_request_gets_a_json_reply(headers: dict[str, str], data: bytes | str) -> None:
    dest, _ = full_destination()
    for reply in (dest.receive(headers, data), asyncio.run(dest.areceive(headers, data))):
        assert isinstance(reply, Reply)
        assert json.loads(reply.json()) == {"message": reply.message}
        assert reply.status in (200, 400, 401, 501)


@settings(max_examples=150)
@given(invalid_messages(wire="snake"))
def test_a_refused_message_is_answered_as_check_answers_it(case: Any) -> None:
    dest, recorder = full_destination(strict=case.strict)
    data = case.body
    reply = dest.receive(HEADERS, data)
    assert reply.status == case.status
    expected = segment_spec.check(data, strict=case.strict)
    assert isinstance(expected, segment_spec.Rejection)
    assert dict(reply.body) == expected.body
    assert recorder.messages == []


def test_every_call_type_reaches_its_handler() -> None:
    dest, recorder = full_destination()
    for call in CALL_TYPES:
        message = segment_spec.sample(call)
        assert dest.receive(HEADERS, orjson.dumps(message)).status == 200
    assert [m.type for m in recorder.messages] == list(CALL_TYPES)


def test_the_delivery_and_headers_hide_credentials() -> None:
    dest, recorder = full_destination()
    dest.receive(HEADERS, body(SIGNED_UP))
    shown = repr(recorder.deliveries[0]) + repr(recorder.deliveries[0].headers)
    assert "c2VnbWVudDo" not in shown
    assert KEY not in shown
