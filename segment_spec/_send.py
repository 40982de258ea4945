"""Send: POST messages to a receiver the way Segment does, for testing a Direct destination.

Every request carries the headers of the partner guide's table (``Authorization: Basic
base64("<key>:")``, ``Cache-Control: no-cache``, ``Connection: Keep-Alive``, ``Content-Length``,
``Content-Type: application/json``, ``User-Agent: Segment``, ``Accept``), holds one message, and
goes over a kept-alive connection (one per worker thread). Messages are sent as given: nothing is
normalized, added or checked.
"""

from __future__ import annotations

import argparse
import http.client
import queue
import ssl
import sys
import threading
import time
from base64 import b64encode
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, TextIO
from urllib.parse import urlsplit

import orjson

from ._files import UsageError, read_input

__all__ = [
    "SEGMENT_HEADERS",
    "Client",
    "Endpoint",
    "EndpointError",
    "Response",
    "TokenBucket",
    "add_endpoint_arguments",
    "add_send_arguments",
    "authorization",
    "endpoint_from_args",
    "messages",
    "run_send",
]

# The partner guide's header table, values as its example column gives them (Accept: */*; the
# row adds that Segment only reads a reply body sent as application/json).
SEGMENT_HEADERS: tuple[tuple[str, str], ...] = (
    ("Accept", "*/*"),
    ("Cache-Control", "no-cache"),
    ("Connection", "Keep-Alive"),
    ("Content-Type", "application/json"),
    ("User-Agent", "Segment"),
)

# A reply body is read up to this size; a longer one is cut (and its connection dropped).
MAX_REPLY_BYTES = 1024 * 1024
DEFAULT_TIMEOUT = 10.0


class EndpointError(Exception):
    """The endpoint cannot be used or reached: a bad URL, a TLS failure, a refused connection."""


def authorization(key: str) -> str:
    """The ``Authorization`` header value Segment sends for a user's API key.

    >>> authorization("segment")
    'Basic c2VnbWVudDo='
    """
    return "Basic " + b64encode(f"{key}:".encode()).decode("ascii")


@dataclass(frozen=True, slots=True)
class Response:
    """A receiver's reply: status, ``Content-Type`` and body."""

    status: int
    content_type: str | None
    body: bytes

    @property
    def ok(self) -> bool:
        """True for a 2xx status (the message was accepted)."""
        return 200 <= self.status < 300

    def message(self) -> str | None:
        """The body's ``message`` when the body is a JSON object with a string message."""
        try:
            value = orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return None
        if isinstance(value, dict) and isinstance(value.get("message"), str):
            text: str = value["message"]
            return text
        return None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where to send: an http(s) URL split into its parts, with the TLS settings to use."""

    url: str
    host: str
    port: int
    path: str
    tls: ssl.SSLContext | None
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def parse(
        cls,
        url: str,
        *,
        cacert: str | None = None,
        insecure: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Endpoint:
        """Check ``url`` and build the TLS context (raises :class:`EndpointError`)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as error:
            raise EndpointError(f"{url}: {error}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EndpointError(f"{url}: the URL must start with http:// or https:// and a host")
        tls = None
        if parts.scheme == "https":
            tls = _tls_context(cacert, insecure)
        elif cacert or insecure:
            raise EndpointError("--cacert and --insecure apply to https:// URLs only")
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        # Always explicit: http.client would read "::1" as host ":" and port 1.
        default_port = 443 if tls is not None else 80
        return cls(url, parts.hostname, port or default_port, path, tls, timeout)

    def connect(self) -> Client:
        """A client with its own kept-alive connection (open it in the thread that uses it)."""
        return Client(self)


def _tls_context(cacert: str | None, insecure: bool) -> ssl.SSLContext:
    if insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        return ssl.create_default_context(cafile=cacert)
    except (OSError, ssl.SSLError) as error:
        raise EndpointError(f"cannot load --cacert {cacert}: {error}") from None


# A kept-alive connection that the server closed while idle fails on the next request with one
# of these; the request never reached the application, so it is sent once more.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class Client:
    """One kept-alive HTTP/1.1 connection to an endpoint; not shared between threads."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._connection: http.client.HTTPConnection | None = None
        self._used = False

    def _open(self) -> http.client.HTTPConnection:
        endpoint = self.endpoint
        if endpoint.tls is not None:
            return http.client.HTTPSConnection(
                endpoint.host, endpoint.port, timeout=endpoint.timeout, context=endpoint.tls
            )
        return http.client.HTTPConnection(endpoint.host, endpoint.port, timeout=endpoint.timeout)

    def post(self, body: bytes, auth: str | None) -> Response:
        """POST one body with Segment's headers; ``auth`` is the Authorization value or None.

        Raises :class:`EndpointError` when no reply can be had.
        """
        for attempt in (1, 2):
            reused = self._used and self._connection is not None
            try:
                return self._exchange(body, auth)
            except _STALE as error:
                self.close()
                if attempt == 2 or not reused:
                    raise EndpointError(f"{self.endpoint.url}: {_reason(error)}") from None
            except (OSError, http.client.HTTPException) as error:
                self.close()
                raise EndpointError(f"{self.endpoint.url}: {_reason(error)}") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _exchange(self, body: bytes, auth: str | None) -> Response:
        if self._connection is None:
            self._connection = self._open()
            self._used = False
        connection = self._connection
        # Segment sends no Accept-Encoding; http.client would add "identity" unless told not to.
        connection.putrequest("POST", self.endpoint.path, skip_accept_encoding=True)
        if auth is not None:
            connection.putheader("Authorization", auth)
        for name, value in SEGMENT_HEADERS:
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        reply = connection.getresponse()
        content = reply.read(MAX_REPLY_BYTES)
        if not reply.isclosed():
            self.close()  # the rest of an oversize body is not worth reading
        self._used = True
        return Response(reply.status, reply.getheader("Content-Type"), content)

    def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _reason(error: BaseException) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({error.verify_message}); see --cacert or --insecure"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


class TokenBucket:
    """At most ``rate`` acquisitions per second over all threads, with bursts of ``burst``."""

    def __init__(self, rate: float, burst: int = 1) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._interval = 1.0 / rate
        self._burst = burst
        self._lock = threading.Lock()
        # The time at which the bucket is full again; a token is taken by moving it forward.
        self._full_at = time.monotonic() - burst * self._interval

    def reserve(self) -> float:
        """Take a token; return how many seconds to wait before using it."""
        with self._lock:
            now = time.monotonic()
            earliest = now - (self._burst - 1) * self._interval
            start = max(self._full_at, earliest)
            self._full_at = start + self._interval
            return max(start - now, 0.0)


def messages(content: bytes) -> Iterator[bytes]:
    """Split a file into request bodies, one message each, sent as given.

    A file is one JSON value or NDJSON (one per line; a line that is not JSON is still sent, so
    a receiver's 400 can be tried). A batch envelope ``{"batch": [...]}`` yields its items, each
    alone (the envelope's own ``context`` is not merged into them).
    """
    stripped = content.strip()
    if not stripped:
        return
    try:
        whole = orjson.loads(stripped)
    except orjson.JSONDecodeError:
        for line in stripped.splitlines():
            if line.strip():
                yield from _split_batch(line)
        return
    if isinstance(whole, dict) and isinstance(whole.get("batch"), list):
        yield from (orjson.dumps(item) for item in whole["batch"])
    else:
        yield stripped


def _split_batch(raw: bytes) -> Iterator[bytes]:
    if b'"batch"' in raw:
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            value = None
        if isinstance(value, dict) and isinstance(value.get("batch"), list):
            yield from (orjson.dumps(item) for item in value["batch"])
            return
    yield raw


# --- the command ---------------------------------------------------------------------------------


def add_endpoint_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments ``send`` and ``conformance`` share: URL, key, TLS and timeout."""
    parser.add_argument("url", metavar="URL", help="the receiver's http:// or https:// endpoint")
    parser.add_argument(
        "--api-key", required=True, metavar="KEY", help="the user's API key (Basic auth user)"
    )
    tls = parser.add_mutually_exclusive_group()
    tls.add_argument("--cacert", metavar="FILE", help="trust the CA certificates in FILE (PEM)")
    tls.add_argument(
        "--insecure", action="store_true", help="do not verify the server's TLS certificate"
    )
    parser.add_argument(
        "--timeout",
        type=_positive_float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"socket timeout per request (default {DEFAULT_TIMEOUT:g})",
    )


def add_send_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the arguments of ``segment-spec send``."""
    parser.usage = (
        "%(prog)s URL --api-key KEY [--rate N] [--concurrency N] [--cacert FILE | --insecure]"
        " [--timeout SECONDS] [FILE|-]"
    )
    add_endpoint_arguments(parser)
    # An optional positional ("?" or "*") is consumed with URL, before any option, so
    # "URL --api-key KEY FILE" would leave FILE unrecognized. A "+" positional waits for its
    # own argument; made optional by hand, it is FILE or nothing (stdin).
    path = parser.add_argument(
        "file", nargs="+", default=["-"], metavar="FILE", help="a .json/.ndjson file or - (stdin)"
    )
    path.required = False
    parser.add_argument(
        "--rate", type=_positive_float, metavar="N", help="at most N requests per second overall"
    )
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=1,
        metavar="N",
        help="worker threads, each with its own kept-alive connection (default 1)",
    )


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def endpoint_from_args(args: argparse.Namespace) -> Endpoint:
    """Build the :class:`Endpoint` from parsed command-line arguments."""
    return Endpoint.parse(
        args.url, cacert=args.cacert, insecure=args.insecure, timeout=args.timeout
    )


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What became of one message: a response, an error, or neither (not sent after an error)."""

    index: int
    response: Response | None = None
    error: str | None = None


def _line(outcome: _Outcome) -> str:
    assert outcome.response is not None
    message = outcome.response.message()
    text = f"{outcome.index} {outcome.response.status}"
    return f"{text} {message}" if message else text


def _worker(
    endpoint: Endpoint,
    auth: str,
    work: queue.SimpleQueue[tuple[int, bytes] | None],
    results: queue.SimpleQueue[_Outcome],
    bucket: TokenBucket | None,
    stop: threading.Event,
) -> None:
    client = endpoint.connect()
    try:
        while (item := work.get()) is not None:
            index, body = item
            if bucket is not None:
                stop.wait(bucket.reserve())
            if stop.is_set():
                results.put(_Outcome(index))
                continue
            try:
                results.put(_Outcome(index, client.post(body, auth)))
            except EndpointError as error:
                stop.set()
                results.put(_Outcome(index, error=str(error)))
            except Exception as error:  # reported, so the printing thread never waits forever
                stop.set()
                results.put(_Outcome(index, error=f"{type(error).__name__}: {error}"))
    finally:
        client.close()


def run_send(args: argparse.Namespace, stdin: BinaryIO, out: TextIO | None = None) -> int:
    """Run ``segment-spec send``; return the exit status (0, 1 or 2)."""
    out = out if out is not None else sys.stdout
    if len(args.file) > 1:
        print("segment-spec send: give at most one FILE", file=sys.stderr)
        return 2
    try:
        endpoint = endpoint_from_args(args)
        content = read_input(args.file[0] if args.file else "-", stdin)
    except (EndpointError, UsageError) as error:
        print(f"segment-spec: {error}", file=sys.stderr)
        return 2
    bodies = list(messages(content))
    work: queue.SimpleQueue[tuple[int, bytes] | None] = queue.SimpleQueue()
    for index, body in enumerate(bodies, 1):
        work.put((index, body))
    workers = min(args.concurrency, len(bodies))
    for _ in range(workers):
        work.put(None)
    results: queue.SimpleQueue[_Outcome] = queue.SimpleQueue()
    bucket = TokenBucket(args.rate) if args.rate else None
    stop = threading.Event()
    auth = authorization(args.api_key)
    threads = [
        threading.Thread(
            target=_worker,
            args=(endpoint, auth, work, results, bucket, stop),
            name=f"segment-spec-send-{number}",
            daemon=True,
        )
        for number in range(workers)
    ]
    for thread in threads:
        thread.start()
    status, answered, rejected = _report(len(bodies), results, out)
    for thread in threads:
        thread.join()
    print(f"{answered} of {len(bodies)} message(s) answered, {rejected} not 2xx", file=sys.stderr)
    return status


def _report(total: int, results: queue.SimpleQueue[_Outcome], out: TextIO) -> tuple[int, int, int]:
    """Print outcomes in input order as they arrive; return (exit status, answered, not 2xx)."""
    pending: dict[int, _Outcome] = {}
    following = 1
    status = answered = rejected = 0
    for _ in range(total):
        outcome = results.get()
        pending[outcome.index] = outcome
        while following in pending:
            done = pending.pop(following)
            following += 1
            if done.response is not None:
                out.write(_line(done) + "\n")
                out.flush()
                answered += 1
                if not done.response.ok:
                    rejected += 1
                    status = max(status, 1)
            elif done.error is not None:
                print(f"segment-spec: message {done.index}: {done.error}", file=sys.stderr)
                status = 2
    return status, answered, rejected
