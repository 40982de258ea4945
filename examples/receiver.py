"""A small Segment Direct destination receiver: a plain ASGI app built on segment_spec.

Run it (keys from the SEGMENT_API_KEYS environment variable, comma-separated)::

    pip install 'segment-spec[examples]'
    SEGMENT_API_KEYS=segment python examples/receiver.py --port 8000 \\
        --ssl-certfile cert.pem --ssl-keyfile key.pem

then grade it with ``segment-spec conformance https://127.0.0.1:8000/ --api-key segment
--cacert ca.pem``. What it does, in the order a request meets it:

1. Anything but POST gets 405.
2. The Basic-auth API key must be one of ``keys`` (401 otherwise).
3. The body is read up to 32 KiB + 1 byte, so an oversize body costs little and is refused with
   the library's own 400.
4. ``segment_spec.check`` answers 400 or 501 with ``rejection.json()``.
5. An accepted message is processed once per ``message_id`` within the de-duplication window,
   but every copy is answered 200: Segment retries, and a retry must not look like a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

import segment_spec

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

JSON = [(b"content-type", b"application/json")]
DAY = 24 * 60 * 60.0


class SeenIds:
    """The message ids seen lately: at most ``capacity`` of them, none older than ``window`` s."""

    def __init__(
        self,
        window: float = DAY,
        capacity: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.window = window
        self.capacity = capacity
        self.clock = clock
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()

    def first_time(self, key: str, message_id: str) -> bool:
        """Record the id; True when it was not seen within the window (per API key)."""
        now = self.clock()
        # Oldest first: drop what has aged out, then what is over capacity.
        while self._seen and now - next(iter(self._seen.values())) > self.window:
            self._seen.popitem(last=False)
        if (key, message_id) in self._seen:
            return False
        self._seen[(key, message_id)] = now
        while len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._seen)


class Receiver:
    """The ASGI app. ``processed`` counts messages handled (duplicates are not counted)."""

    def __init__(
        self,
        keys: Iterable[str],
        supported: Iterable[str] | None = None,
        seen: SeenIds | None = None,
    ) -> None:
        self.keys = tuple(keys)
        if not self.keys:
            raise ValueError("give the receiver at least one API key")
        self.supported = frozenset(supported) if supported is not None else None
        self.seen = seen if seen is not None else SeenIds()
        self.processed = 0
        self.duplicates = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            await _reply(send, 405, _message("only POST is accepted"), [(b"allow", b"POST")])
            return
        headers = dict(scope["headers"])
        try:
            key = segment_spec.api_key(headers.get(b"authorization"))
        except segment_spec.Unauthorized as error:
            await _reply(send, 401, error.rejection.json())
            return
        if not self._known(key):
            await _reply(send, 401, _message("the API key is not valid"))
            return
        body = await _read_body(receive)
        result = segment_spec.check(body, supported=self.supported)
        if isinstance(result, segment_spec.Rejection):
            await _reply(send, result.status, result.json())
            return
        if result.message_id is None or self.seen.first_time(key, result.message_id):
            self.process(result)
        else:
            self.duplicates += 1
        await _reply(send, 200, b"{}")

    def _known(self, key: str) -> bool:
        # Compare with every key so the time taken does not tell which one was close.
        found = False
        for expected in self.keys:
            found |= segment_spec.keys_match(key, expected)
        return found

    def process(self, message: segment_spec.Message) -> None:
        """Handle one accepted message: this is where a real destination does its work."""
        self.processed += 1


def make_app(
    keys: Iterable[str],
    supported: Iterable[str] | None = None,
    window: float = DAY,
    capacity: int = 100_000,
) -> Receiver:
    """A receiver for ``keys`` that answers 501 to calls outside ``supported`` (None: all)."""
    return Receiver(keys, supported, SeenIds(window, capacity))


async def _read_body(receive: Receive) -> bytes:
    """Read the body (uvicorn stops at its Content-Length), keeping at most the limit + 1 byte:
    enough for ``check`` to refuse an oversize body without holding all of it."""
    limit = segment_spec.MAX_MESSAGE_BYTES + 1
    body = bytearray()
    more = True
    while more and len(body) < limit:
        event = await receive()
        if event["type"] == "http.disconnect":
            break
        body += event.get("body", b"")
        more = event.get("more_body", False)
    return bytes(body[:limit])


def _message(text: str) -> bytes:
    return json.dumps({"message": text}).encode()


async def _reply(
    send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [*JSON, (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        event = await receive()
        if event["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif event["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def main(argv: list[str] | None = None) -> None:
    """Serve the receiver with uvicorn; keys come from SEGMENT_API_KEYS."""
    import uvicorn

    parser = argparse.ArgumentParser(description="An example Segment Direct destination.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--ssl-certfile", help="the server certificate (PEM); enables HTTPS")
    parser.add_argument("--ssl-keyfile", help="the certificate's private key (PEM)")
    parser.add_argument(
        "--supported",
        action="append",
        choices=segment_spec.CALL_TYPES,
        help="a call type to accept; repeat for several (default: all six)",
    )
    args = parser.parse_args(argv)
    keys = [key.strip() for key in os.environ.get("SEGMENT_API_KEYS", "").split(",")]
    if not any(keys):
        parser.error("set SEGMENT_API_KEYS to the API keys to accept (comma-separated)")
    uvicorn.run(
        make_app([key for key in keys if key], args.supported),
        host=args.host,
        port=args.port,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
    )


if __name__ == "__main__":
    main()
