"""Destination: the whole contract of a Direct destination in one object.

A request meets these steps, in this order, and the first that refuses it answers:

1. the ``Authorization: Basic`` API key (401), then the key itself, against the keys given or
   the function that decides them (401, or 403 from that function);
2. ``X-Segment-Settings``, the destination's custom settings as base64 of a JSON object (400
   when it is not that; ``{}`` when absent);
3. the size: a ``Content-Length`` over Segment's 32 KiB is refused before the body is read,
   and no more than the limit and one byte is ever read (400);
4. :func:`~segment_spec.check`, with the destination's ``strict`` and the call types it handles
   (400, 501);
5. de-duplication by API key and ``message_id`` (a copy seen within the window: 200, and the
   handler is not called);
6. the handler for the event name, else for the call type (none: 501), and what it returns or
   raises.

Every reply is JSON ``{"message": ...}`` with ``Content-Type: application/json``; no reply
repeats a submitted value, and no exception escapes :meth:`Destination.receive`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import inspect
import logging
import threading
from collections.abc import (
    AsyncIterable,
    Awaitable,
    Callable,
    Collection,
    Generator,
    Iterable,
    Iterator,
    Mapping,
)
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

import msgspec
import orjson

from .._auth import api_key
from .._catalog import resolve_event
from .._check import _check_one, _Tools
from .._issue import Issue
from .._message import Message, Track
from .._parse import MAX_MESSAGE_BYTES
from .._parse import _too_large as too_large
from .._reply import Rejection, reject
from .._select import CALL_TYPES, supported_calls
from ..exceptions import Refusal, Unauthorized
from ._window import MemoryWindow, Window

if TYPE_CHECKING:
    from ._asgi import AsgiApp
    from ._wsgi import WsgiApp

__all__ = ["Accepted", "Delivery", "Destination", "Headers", "Reply"]

_LOG = logging.getLogger("segment_spec")

_JSON: tuple[tuple[str, str], ...] = (("content-type", "application/json"),)


@dataclass(frozen=True, slots=True)
class Reply:
    """What to answer Segment: a status, a JSON body ``{"message": ...}`` and the headers.

    Attributes:
        status: The HTTP status.
        body: The JSON body, ``{"message": "..."}``.
        headers: The response headers, names in lower case: ``content-type:
            application/json`` always, ``allow`` on a 405.

    >>> Reply.of(202, "accepted").json()
    b'{"message":"accepted"}'
    """

    status: int
    body: Mapping[str, str]
    headers: tuple[tuple[str, str], ...] = _JSON

    @classmethod
    def of(cls, status: int, message: str, *extra: tuple[str, str]) -> Reply:
        """A reply whose body is ``{"message": message}``."""
        return cls(status, MappingProxyType({"message": message}), (*_JSON, *extra))

    @property
    def message(self) -> str:
        """The body's message text."""
        return self.body["message"]

    def json(self) -> bytes:
        """The body as UTF-8 JSON bytes."""
        return orjson.dumps(dict(self.body))


@dataclass(frozen=True, slots=True)
class Accepted:
    """Return this from a handler to answer 202: the message is taken and will be processed
    later (a queue, a job). Returning None answers 200: processed.

    >>> Accepted().message
    'accepted; it will be processed later'
    """

    message: str = "accepted; it will be processed later"


class Headers(Mapping[str, str]):
    """Request headers, read-only, by name in any letter case; a header sent twice reads as its
    values joined by ``", "``.

    >>> headers = Headers([(b"Content-Type", b"application/json")])
    >>> headers["content-type"], "CONTENT-TYPE" in headers
    ('application/json', True)
    """

    __slots__ = ("_values",)

    def __init__(
        self, headers: Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]] = ()
    ) -> None:
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        values: dict[str, str] = {}
        for name, value in pairs:
            key = _text(name).lower()
            text = _text(value)
            values[key] = f"{values[key]}, {text}" if key in values else text
        self._values = values

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Headers({sorted(self._values)})"  # names only: values may be credentials


def _text(value: str | bytes) -> str:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("latin-1")  # HTTP header bytes, as ASGI and WSGI give them
    if isinstance(value, str):
        return value
    raise TypeError(f"a header name or value must be str or bytes, not {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class Delivery:
    """How a message came, given to its handler with it.

    Attributes:
        api_key: The customer's API key, from the ``Authorization`` header.
        tenant: What ``api_keys`` decided for the key: the key itself when ``api_keys`` is a
            collection, else what the function returned (an account object, say).
        settings: The destination's custom settings from ``X-Segment-Settings`` (``{}`` when
            the header is absent).
        headers: Every request header, by name in any letter case.
    """

    api_key: str
    tenant: Any
    settings: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=Headers)

    def __repr__(self) -> str:  # the key and the headers are credentials: never shown
        tenant = "<the API key>" if self.tenant is self.api_key else repr(self.tenant)
        return f"Delivery(tenant={tenant}, settings={sorted(self.settings)})"


HandlerResult: TypeAlias = "Accepted | None"
# The message is typed Any so that a handler may say which class it takes (``Track``).
Handler: TypeAlias = Callable[[Any, Delivery], "HandlerResult | Awaitable[HandlerResult]"]
KeyDecision: TypeAlias = Callable[[str], Any]


@runtime_checkable
class _HasAsync(Protocol):
    """A window with coroutine methods too (:class:`RedisWindow`)."""

    async def aclaim(self, api_key: str, message_id: str) -> bool: ...
    async def arelease(self, api_key: str, message_id: str) -> None: ...


_WINDOW_DEFAULT: Any = object()

# The fixed texts of the replies the destination makes itself.
_OK = Reply.of(200, "ok")
_DUPLICATE = Reply.of(200, "already received: a message with this message_id was processed")
_BAD_KEY = Reply.of(401, "the API key is not valid")
_FAILED = Reply.of(500, "the destination failed to process the message")
_NO_WINDOW = Reply.of(503, "the destination cannot check for duplicates now; try again later")
_BAD_SETTINGS = Reply.of(400, "the X-Segment-Settings header is not base64 of a JSON object")
_NO_EVENT_HANDLER = Reply.of(501, "this destination does not handle track events of this name")
_MAX_READ = MAX_MESSAGE_BYTES + 1


class Destination:
    """A Direct destination: authenticate, check, de-duplicate, dispatch, reply.

    Args:
        api_keys: The API keys to accept (a collection of non-empty strings), or a function
            given each request's key that returns what identifies the customer (any object:
            it reaches the handlers as :attr:`Delivery.tenant`; True means the key itself),
            or None/False to refuse the key (401). The function may raise
            :class:`~segment_spec.Unauthorized` (401, with its reason) or
            :class:`~segment_spec.Forbidden` (403); for :meth:`areceive` it may be async.
        supported: The call types to accept. None (the default): those with a handler, with
            ``track`` once any event has one. Any other call type gets a 501.
        strict: Refuse messages that have warnings, as ``check(..., strict=True)``.
        dedupe: The de-duplication window: a :class:`MemoryWindow` of 24 hours by default, a
            :class:`RedisWindow` to share one between processes, or None for none. A message
            without a ``message_id`` is never a duplicate.

    Handlers are registered with :meth:`on`. The destination is safe to share between threads
    and coroutines.

    >>> from segment_spec import Destination
    >>> dest = Destination({"secret"})
    >>> @dest.on("track")
    ... def track(message, delivery):
    ...     print("track:", message.event, "for", delivery.tenant)
    >>> body = b'{"type": "track", "event": "Signed Up", "userId": "u1", "messageId": "m1"}'
    >>> reply = dest.receive({"Authorization": "Basic c2VjcmV0Og=="}, body)
    track: Signed Up for secret
    >>> reply.status, reply.body["message"]
    (200, 'ok')
    >>> dest.receive({"Authorization": "Basic c2VjcmV0Og=="}, body).message
    'already received: a message with this message_id was processed'
    >>> dest.receive({"Authorization": "Basic c2VjcmV0Og=="}, b'{"type": "identify"}').status
    501
    """

    def __init__(
        self,
        api_keys: Collection[str] | KeyDecision,
        *,
        supported: Iterable[str] | None = None,
        strict: bool = False,
        dedupe: Window | None = _WINDOW_DEFAULT,
    ) -> None:
        self._keys: frozenset[bytes] | None = None
        self._decide: KeyDecision | None = None
        if callable(api_keys) and not isinstance(api_keys, Collection):
            self._decide = api_keys
        else:
            self._keys = _key_digests(api_keys)
        self._supported = supported_calls(supported)
        self._strict = bool(strict)
        if dedupe is _WINDOW_DEFAULT:
            dedupe = MemoryWindow()
        if dedupe is not None and not isinstance(dedupe, Window):
            raise TypeError("dedupe must be a window (MemoryWindow, RedisWindow) or None")
        self._window: Window | None = dedupe
        self._tools = _Tools.new()
        self._calls: dict[str, Handler] = {}
        self._events: dict[str, Handler] = {}
        self._allowed: frozenset[str] | None = frozenset()
        self._lock = threading.Lock()

    @property
    def strict(self) -> bool:
        """Whether messages with warnings are refused."""
        return self._strict

    @property
    def dedupe(self) -> Window | None:
        """The de-duplication window, or None."""
        return self._window

    @property
    def supported(self) -> frozenset[str]:
        """The call types accepted now (the rest get a 501)."""
        allowed = self._allowed
        return frozenset(CALL_TYPES) if allowed is None else allowed

    def __repr__(self) -> str:
        handled = sorted(self._calls) + sorted(self._events)
        return f"Destination(handlers={handled}, strict={self._strict})"

    # --- registering handlers ---------------------------------------------------------------

    def on(self, name: str, *names: str) -> Callable[[Handler], Handler]:
        """Register the decorated function as the handler of call types or track events.

        ``name`` is a call type (``"track"``, ``"identify"``, ...) or a track event name. A
        semantic event's current or legacy name (``"Completed Order"``) names the event
        under all its names, and its handler also gets the messages whose event differs only
        in letter case; any other name is a custom event, matched exactly. An event's handler
        wins over the ``track`` handler. A handler is called with the typed message and its
        :class:`Delivery`, may be a coroutine function, and returns None (200) or
        :class:`Accepted` (202), or raises a :class:`~segment_spec.exceptions.Refusal`
        (``Reject`` 400, ``Forbidden`` 403, ``Unavailable`` 503) or
        :class:`~segment_spec.Unauthorized` (401); any other exception is a 500, logged.

        Raises ``ValueError`` for an empty name or a name that already has a handler.
        """
        wanted = [self._place(each) for each in (name, *names)]

        def register(handler: Handler) -> Handler:
            if not callable(handler):
                raise TypeError("a handler must be callable: handler(message, delivery)")
            with self._lock:
                for table, key in wanted:
                    if key in table:
                        raise ValueError(f"{key!r} already has a handler")
                for table, key in wanted:
                    table[key] = handler
                self._allowed = self._allowed_now()
            return handler

        return register

    def _place(self, name: str) -> tuple[dict[str, Handler], str]:
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a handler needs a call type or an event name (a non-empty str)")
        if name in CALL_TYPES:
            return self._calls, name
        event, exact = resolve_event(name)
        return self._events, event.name if event is not None and exact else name

    def _allowed_now(self) -> frozenset[str] | None:
        if self._supported is not None:
            return self._supported
        handled = set(self._calls)
        if self._events:
            handled.add("track")
        return frozenset(handled)

    def _handler(self, message: Message) -> Handler | None:
        if isinstance(message, Track) and self._events:
            semantic = message.semantic
            found = self._events.get(semantic.name) if semantic is not None else None
            if found is None:
                found = self._events.get(message.event)
            if found is not None:
                return found
        return self._calls.get(message.type)

    # --- receiving ---------------------------------------------------------------------------
    # One flow decides everything (:meth:`_steps`, a generator); what may wait (the key
    # function, the body, the window, the handler) it asks of its driver, which is plain code
    # in :meth:`receive` and a coroutine in :meth:`areceive`. A step's exception comes back
    # into the flow where it asked, so the flow alone decides what each failure answers.

    def receive(
        self,
        headers: Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]],
        body: bytes | bytearray | memoryview | str | _Readable,
    ) -> Reply:
        """Answer one request: ``headers`` as a mapping or as (name, value) pairs, ``body`` as
        bytes, text, or a binary file-like object that :meth:`receive` reads (at most the size
        limit and one byte). Never raises; a coroutine handler is run to its end here (in a
        coroutine, use :meth:`areceive`)."""
        try:
            steps = self._steps(Headers(headers), body)
            step = _advance(steps, None, None)
            while isinstance(step, _Step):
                try:
                    answer, failure = _sync_step(step), None
                except BaseException as error:  # back into the flow, which decides
                    answer, failure = None, error
                step = _advance(steps, answer, failure)
            return step
        except Exception:  # a defect: the reply must still be sent
            _LOG.exception("segment_spec: the destination failed on a request")
            return _FAILED

    async def areceive(
        self,
        headers: Mapping[str, str] | Iterable[tuple[str | bytes, str | bytes]],
        body: bytes | bytearray | memoryview | str | AsyncIterable[bytes],
    ) -> Reply:
        """:meth:`receive` for a coroutine: ``body`` may also be an async iterable of chunks,
        read no further than the size limit and one byte. A coroutine handler is awaited; a
        plain function runs in a worker thread (``asyncio.to_thread``), so a blocking handler
        does not stop the event loop. Never raises (but lets a cancellation through, after
        releasing the message's claim)."""
        try:
            steps = self._steps(Headers(headers), body)
            step = _advance(steps, None, None)
            while isinstance(step, _Step):
                try:
                    answer, failure = await _async_step(step), None
                except BaseException as error:
                    answer, failure = None, error
                step = _advance(steps, answer, failure)
            return step
        except Exception:
            _LOG.exception("segment_spec: the destination failed on a request")
            return _FAILED

    def _steps(self, headers: Headers, body: object) -> Generator[_Step, Any, Reply]:
        """The whole contract, in order; each ``yield`` asks the driver to do one step."""
        key = _key_of(headers)
        if isinstance(key, Reply):
            return key
        if self._decide is None:
            tenant: Any = key if _digest(key) in (self._keys or ()) else None
        else:
            try:
                tenant = yield _Step("decide", self._decide, key)
            except (Unauthorized, Refusal) as refusal:
                return _refusal_reply(refusal)
        admitted = self._delivery(headers, key, tenant)
        if isinstance(admitted, Reply):
            return admitted
        head, delivery = admitted
        found = self._checked((yield _Step("read", body, head)))
        if isinstance(found, Reply):
            return found
        message, handler = found
        message_id = message.message_id
        window = self._window if message_id is not None else None
        claim = (window, key, message_id)
        if window is not None:
            try:
                fresh = yield _Step("claim", *claim)
            except Exception:
                _LOG.exception("segment_spec: the de-duplication window failed")
                return _NO_WINDOW
            if not fresh:
                return _DUPLICATE
        try:
            outcome = yield _Step("handle", handler, message, delivery)
        except (Unauthorized, Refusal) as refusal:
            reply = _refusal_reply(refusal)
        except Exception:
            _LOG.exception("segment_spec: the %s handler raised", message.type)
            reply = _FAILED
        except BaseException:  # cancelled, or the process is stopping: Segment will retry
            if window is not None:
                yield from _release(claim)
            raise
        else:
            reply = _outcome(outcome, message)
        if window is not None and reply.status >= 300:
            yield from _release(claim)  # so that Segment's retry is processed
        return reply

    def _delivery(self, headers: Headers, key: str, tenant: Any) -> Reply | tuple[_Head, Delivery]:
        """After the key: the tenant, the settings and the declared size."""
        if tenant is None or tenant is False:
            return _BAD_KEY
        if tenant is True:
            tenant = key
        settings = _settings(headers.get("x-segment-settings"))
        if settings is None:
            return _BAD_SETTINGS
        head = _Head(_content_length(headers.get("content-length")))
        if head.length is not None and head.length > MAX_MESSAGE_BYTES:
            return _too_large(head.length)
        return head, Delivery(key, tenant, settings, headers)

    def _checked(self, data: bytes | str | Reply) -> Reply | tuple[Message, Handler]:
        """The body read within the limit, then checked; and its handler."""
        if isinstance(data, Reply):
            return data
        result = _check_one(data, self._strict, self._allowed, None, self._tools)
        if isinstance(result, Rejection):
            return _reply_of(result)
        handler = self._handler(result)
        if handler is None:
            if result.type == "track" and self._events:
                return _NO_EVENT_HANDLER
            # Supported (set by the caller) but with no handler: not handled, as any other.
            return _reply_of(reject([_unsupported(result.type)]))
        return result, handler

    # --- adapters ----------------------------------------------------------------------------

    def asgi(self, path: str | None = None) -> AsgiApp:
        """An ASGI 3 app (uvicorn, FastAPI, Starlette, ...) answering with this destination:
        POST goes to :meth:`areceive`, any other method is a 405, and with ``path``, any other
        path a 404, each in JSON. Mount it (``app.mount("/segment", dest.asgi())``) or serve it
        (``uvicorn.run(dest.asgi())``)."""
        from ._asgi import AsgiApp

        return AsgiApp(self, path)

    def wsgi(self, path: str | None = None) -> WsgiApp:
        """A WSGI app (waitress, gunicorn, Flask, Django, ...) answering with this
        destination: POST goes to :meth:`receive`, any other method is a 405, and with
        ``path``, any other path (``PATH_INFO``) a 404, each in JSON. Mount it beside a Flask
        app with werkzeug's ``DispatcherMiddleware``, or serve it (``waitress.serve(...)``)."""
        from ._wsgi import WsgiApp

        return WsgiApp(self, path)


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class _Head:
    """What the headers say of the body: its declared length, if any."""

    length: int | None


def _digest(key: str) -> bytes:
    # Keys are compared by digest: a set lookup in constant time, and no timing that tells how
    # much of a key was right.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


def _key_digests(api_keys: object) -> frozenset[bytes]:
    if isinstance(api_keys, str | bytes):
        raise TypeError("api_keys must be a collection of keys, not one key: write {key}")
    if not isinstance(api_keys, Iterable):
        raise TypeError("api_keys must be a collection of keys or a function of a key")
    keys = list(api_keys)
    if not keys:
        raise ValueError("api_keys is empty: no request could ever be accepted")
    for key in keys:
        if not isinstance(key, str):
            raise TypeError(f"an API key must be a str, not {type(key).__name__}")
        if not key.strip():
            raise ValueError("an API key must not be empty or blank")
    return frozenset(_digest(key) for key in keys)


def _key_of(headers: Headers) -> str | Reply:
    try:
        return api_key(headers.get("authorization"))
    except Unauthorized as error:
        return _reply_of(error.rejection)


def _settings(header: str | None) -> Mapping[str, Any] | None:
    """The decoded ``X-Segment-Settings``; None when it is not base64 of a JSON object."""
    if header is None:
        return MappingProxyType({})
    try:
        decoded = msgspec.json.decode(base64.b64decode(header.strip(), validate=True))
    except (binascii.Error, ValueError, msgspec.DecodeError, RecursionError):
        return None
    return decoded if isinstance(decoded, dict) else None


def _content_length(header: str | None) -> int | None:
    text = (header or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 20 else None


def _too_large(size: int | None) -> Reply:
    """The 400 for a body over the limit: ``check``'s own issue when its size is known."""
    if size is not None:
        return _reply_of(reject([too_large(size, MAX_MESSAGE_BYTES, "message")]))
    text = f"the message is longer than that; Segment's limit is {MAX_MESSAGE_BYTES:,} bytes"
    return _reply_of(reject([Issue((), "too-large", text)]))


def mount_path(path: object) -> str | None:
    """An adapter's ``path`` argument, checked: None (every path) or a path from ``/``."""
    if path is not None and not (isinstance(path, str) and path.startswith("/")):
        raise ValueError("path must start with '/', or be None for every path")
    return path


def _read(body: object, head: _Head) -> bytes | str | Reply:
    """The body, read no further than the limit and one byte, or the reply refusing it."""
    if isinstance(body, bytes | str):
        data: bytes | str = body
    elif isinstance(body, bytearray | memoryview):
        data = bytes(body)
    elif callable(getattr(body, "read", None)):
        wanted = _MAX_READ if head.length is None else min(head.length, _MAX_READ)
        data = body.read(wanted)  # type: ignore[attr-defined]
        if not isinstance(data, bytes | bytearray):
            raise TypeError("the body's read() must give bytes")
        data = bytes(data)
    else:
        raise TypeError(f"a body must be bytes, str or a binary file, not {type(body).__name__}")
    if isinstance(data, bytes) and len(data) > MAX_MESSAGE_BYTES:
        whole = isinstance(body, bytes | bytearray | memoryview)
        return _too_large(len(data) if whole else head.length)
    return data


async def _aread(chunks: AsyncIterable[bytes], head: _Head) -> bytes | Reply:
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > MAX_MESSAGE_BYTES:
            return _too_large(head.length)
    return bytes(body)


@dataclass(frozen=True, slots=True)
class _Step:
    """What the flow asks its driver to do: ``kind`` with ``args``."""

    kind: str
    args: tuple[Any, ...]

    def __init__(self, kind: str, *args: Any) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "args", args)


def _advance(
    steps: Generator[_Step, Any, Reply], answer: Any, failure: BaseException | None
) -> _Step | Reply:
    """Give the flow a step's answer (or its exception): its next step, or its reply."""
    try:
        return steps.send(answer) if failure is None else steps.throw(failure)
    except StopIteration as done:
        reply: Reply = done.value
        return reply


def _release(claim: tuple[Any, ...]) -> Generator[_Step, Any, None]:
    """Release a claimed pair; a window that fails here is logged (the retry will then be
    taken for a duplicate)."""
    try:
        yield _Step("release", *claim)
    except Exception:
        _LOG.exception("segment_spec: the de-duplication window could not forget a message")


def _sync_step(step: _Step) -> Any:
    kind, args = step.kind, step.args
    if kind == "read":
        return _read(*args)
    if kind == "claim":
        return args[0].claim(args[1], args[2])
    if kind == "release":
        return args[0].release(args[1], args[2])
    done = args[0](*args[1:])  # "decide" or "handle": a function, perhaps a coroutine one
    return _run_coroutine(done) if inspect.isawaitable(done) else done


async def _async_step(step: _Step) -> Any:
    kind, args = step.kind, step.args
    if kind == "read":
        body, head = args
        return await _aread(body, head) if isinstance(body, AsyncIterable) else _read(body, head)
    if kind in ("claim", "release"):
        window = args[0]
        if isinstance(window, _HasAsync):
            method = window.aclaim if kind == "claim" else window.arelease
            return await method(args[1], args[2])
        return (window.claim if kind == "claim" else window.release)(args[1], args[2])
    function = args[0]
    if kind == "handle" and not inspect.iscoroutinefunction(function):
        done = await asyncio.to_thread(function, *args[1:])  # a blocking handler, off the loop
    else:
        done = function(*args[1:])
    return await done if inspect.isawaitable(done) else done


def _reply_of(rejection: Rejection) -> Reply:
    return Reply(rejection.status, MappingProxyType(dict(rejection.body)))


def _refusal_reply(refusal: Unauthorized | Refusal) -> Reply:
    if isinstance(refusal, Unauthorized):
        return _reply_of(refusal.rejection)
    return Reply.of(refusal.status, refusal.message)


def _unsupported(call: str) -> Issue:
    text = f"this destination does not handle {call} calls"
    return Issue(("type",), "unsupported-type", text)


def _outcome(outcome: object, message: Message) -> Reply:
    if outcome is None:
        return _OK
    if isinstance(outcome, Accepted):
        return Reply.of(202, outcome.message)
    _LOG.error(
        "segment_spec: the %s handler returned a %s; return None or Accepted()",
        message.type,
        type(outcome).__name__,
    )
    return _FAILED


def _run_coroutine(awaitable: Awaitable[Any]) -> Any:
    """Run a handler's coroutine to its end from plain code (:meth:`Destination.receive`)."""

    async def wait() -> Any:
        return await awaitable

    return asyncio.run(wait())
