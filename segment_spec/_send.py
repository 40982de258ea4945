"""Send: POST messages to a receiver the way Segment does, for testing a Direct destination.

Every request carries the headers of the partner guide's table (``Authorization: Basic
base64("<key>:")``, ``Cache-Control: no-cache``, ``Connection: Keep-Alive``, ``Content-Length``,
``Content-Type: application/json``, ``User-Agent: Segment``, ``Accept``), holds one message, and
goes over a kept-alive connection (one per worker thread). Messages are sent as given: nothing is
normalized, added or checked. A reply Segment would retry (a 5xx but 501 and 505; 408, 410, 429
and 460) is retried the same way, a bounded number of times with exponential back-off, honouring
a ``Retry-After`` up to a cap (:class:`RetryPolicy`).
"""

from __future__ import annotations

import argparse
import http.client
import math
import queue
import ssl
import sys
import threading
import time
from base64 import b64encode
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, BinaryIO, Final, TextIO
from urllib.parse import urlsplit

import orjson

from ._files import UsageError, read_input

__all__ = [
    "RETRIED_STATUSES",
    "SEGMENT_HEADERS",
    "Client",
    "Endpoint",
    "EndpointError",
    "Expected",
    "Located",
    "Response",
    "RetryPolicy",
    "TokenBucket",
    "add_endpoint_arguments",
    "add_send_arguments",
    "authorization",
    "endpoint_from_args",
    "located_messages",
    "messages",
    "retry_after_seconds",
    "run_send",
    "status_word",
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

# The replies Segment retries (its "retry logic for HTTP status codes"): every 5xx but 501 (the
# call type is not supported) and 505, which retrying cannot change, and of the 4xx the ones
# that say "later": 408, 410, 429 and 460. Every other reply is final.
RETRIED_STATUSES: Final = frozenset({408, 410, 429, 460, *range(500, 600)} - {501, 505})
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF = 0.5
# No wait between two attempts is longer, whatever Retry-After asks: a test run must end.
DEFAULT_MAX_WAIT = 30.0


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
    """A receiver's reply: status, ``Content-Type``, body and ``Retry-After`` (as sent)."""

    status: int
    content_type: str | None
    body: bytes
    retry_after: str | None = None

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
        return Response(
            reply.status,
            reply.getheader("Content-Type"),
            content,
            reply.getheader("Retry-After"),
        )

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


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """The wait a ``Retry-After`` header asks for, in seconds; None when there is none to read.

    The header holds whole seconds (``"120"``) or an HTTP date; a date in the past asks for no
    wait. Anything else is ignored, and the usual back-off applies.

    >>> retry_after_seconds("120"), retry_after_seconds(" 0 "), retry_after_seconds("soon")
    (120.0, 0.0, None)
    >>> moment = datetime(2024, 5, 14, 12, 0, tzinfo=UTC)
    >>> retry_after_seconds("Tue, 14 May 2024 12:00:30 GMT", moment)
    30.0
    """
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)  # a run of digits too long for a float is inf, then capped
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # an HTTP date is in GMT
    moment = now if now is not None else datetime.now(UTC)
    return max((when - moment).total_seconds(), 0.0)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a reply Segment would retry is retried: at most ``retries`` more attempts, the n-th
    after ``backoff * 2 ** (n - 1)`` seconds, or after the reply's ``Retry-After`` when it has
    one; no wait is longer than ``max_wait`` seconds.

    >>> policy = RetryPolicy(retries=3, backoff=0.5)
    >>> [policy.wait(n, Response(503, None, b"")) for n in (1, 2, 3)]
    [0.5, 1.0, 2.0]
    >>> policy.wait(1, Response(429, None, b"", retry_after="7"))
    7.0
    >>> policy.wait(1, Response(429, None, b"", retry_after="86400"))
    30.0
    >>> policy.retried(Response(503, None, b"")), policy.retried(Response(501, None, b""))
    (True, False)
    """

    retries: int = DEFAULT_RETRIES
    backoff: float = DEFAULT_BACKOFF
    max_wait: float = DEFAULT_MAX_WAIT

    def __post_init__(self) -> None:
        if type(self.retries) is not int or self.retries < 0:
            raise ValueError(f"retries must be a whole number, 0 or more, not {self.retries!r}")
        for name in ("backoff", "max_wait"):
            seconds = getattr(self, name)
            if not isinstance(seconds, int | float) or not 0 <= seconds < math.inf:
                raise ValueError(f"{name} must be a number of seconds, 0 or more, not {seconds!r}")

    def retried(self, response: Response) -> bool:
        """Whether Segment would send the message again after this reply."""
        return response.status in RETRIED_STATUSES

    def wait(self, retry: int, response: Response) -> float:
        """The seconds to wait before retry number ``retry`` (1 for the first), after
        ``response``."""
        asked = retry_after_seconds(response.retry_after)
        if asked is None:
            asked = self.backoff * 2.0 ** min(retry - 1, 64)
        return min(asked, self.max_wait)


@dataclass(frozen=True, slots=True)
class Expected:
    """The statuses a run expects every message to get, and how to name them.

    >>> expected = Expected.parse(["2xx", "400"])
    >>> 204 in expected.statuses, 401 in expected.statuses, expected.label
    (True, False, '2xx or 400')
    """

    statuses: frozenset[int]
    label: str

    @classmethod
    def parse(cls, words: Sequence[str]) -> Expected:
        """Read statuses (``200``) and classes of statuses (``2xx``); raises ``ValueError``."""
        statuses: set[int] = set()
        names: list[str] = []
        for word in words:
            status = status_word(word)
            if status is None:
                raise ValueError(f"not an HTTP status (200) or class of statuses (2xx): {word!r}")
            statuses.update(status)
            name = word.strip().lower()
            if name not in names:
                names.append(name)
        if not names:
            raise ValueError("give at least one status")
        label = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        return cls(frozenset(statuses), label)


def status_word(word: str) -> range | None:
    """The statuses a word names: ``"404"`` one, ``"4xx"`` a hundred; None for anything else."""
    text = word.strip().lower()
    if len(text) != 3 or not text.isascii() or text[0] not in "12345":
        return None
    if text[1:] == "xx":
        first = int(text[0]) * 100
        return range(first, first + 100)
    if text.isdigit():
        return range(int(text), int(text) + 1)
    return None


ACCEPTED: Final = Expected(frozenset(range(200, 300)), "2xx")


@dataclass(frozen=True, slots=True)
class Located:
    """One request body and where it is in its file: the line it starts on and, for an item
    of a batch envelope, its JSON path (``$.batch[2]``; ``$`` for a message of its own)."""

    body: bytes
    line: int
    json_path: str = "$"


def messages(content: bytes) -> Iterator[bytes]:
    """Split a file into request bodies, one message each, sent as given.

    A file is one JSON value or NDJSON (one per line; a line that is not JSON is still sent, so
    a receiver's 400 can be tried). A batch envelope ``{"batch": [...]}`` yields its items, each
    alone (the envelope's own ``context`` is not merged into them).
    """
    return (located.body for located in located_messages(content))


def located_messages(content: bytes) -> Iterator[Located]:
    """:func:`messages`, each body with where it is in the file."""
    stripped = content.strip()
    if not stripped:
        return
    # The lines stripped from the start, so that line numbers are the file's own.
    first_line = 1 + content[: content.index(stripped[:1])].count(b"\n")
    try:
        whole = orjson.loads(stripped)
    except orjson.JSONDecodeError:
        for number, line in enumerate(stripped.splitlines(), first_line):
            if line.strip():
                yield from _split_batch(line, number)
        return
    if isinstance(whole, dict) and isinstance(whole.get("batch"), list):
        yield from _items(whole["batch"], first_line)
    else:
        yield Located(stripped, first_line)


def _items(batch: list[Any], line: int) -> Iterator[Located]:
    for number, item in enumerate(batch):
        yield Located(orjson.dumps(item), line, f"$.batch[{number}]")


def _split_batch(raw: bytes, line: int) -> Iterator[Located]:
    if b'"batch"' in raw:
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError:
            value = None
        if isinstance(value, dict) and isinstance(value.get("batch"), list):
            yield from _items(value["batch"], line)
            return
    yield Located(raw, line)


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
    indent = " " * len("usage: segment-spec send ")
    parser.usage = (
        "%(prog)s URL --api-key KEY [--expect STATUS [STATUS ...]]\n"
        f"{indent}[--retries N] [--backoff SECONDS] [--max-wait SECONDS]\n"
        f"{indent}[--rate N] [--concurrency N] [--cacert FILE | --insecure]\n"
        f"{indent}[--timeout SECONDS] [--json] [FILE|-]"
    )
    add_endpoint_arguments(parser)
    # An optional positional ("?" or "*") is consumed with URL, before any option, so
    # "URL --api-key KEY FILE" would leave FILE unrecognized. A "+" positional waits for its
    # own argument; made optional by hand, it is FILE or nothing (stdin).
    path = parser.add_argument(
        "file", nargs="+", default=None, metavar="FILE", help="a .json/.ndjson file or - (stdin)"
    )
    path.required = False
    parser.add_argument(
        "--expect",
        nargs="+",
        metavar="STATUS",
        help=(
            "the statuses every message should get: codes (400) or classes (4xx); exit 1 and"
            " name the messages that got another (default 2xx)"
        ),
    )
    parser.add_argument(
        "--retries",
        type=_count,
        default=DEFAULT_RETRIES,
        metavar="N",
        help=(
            "retry a reply Segment retries (5xx but 501 and 505; 408, 410, 429, 460) up to N"
            f" times (default {DEFAULT_RETRIES}; 0: never)"
        ),
    )
    parser.add_argument(
        "--backoff",
        type=_seconds,
        default=DEFAULT_BACKOFF,
        metavar="SECONDS",
        help=(
            "wait SECONDS before the first retry, twice as long before each next one, unless the"
            f" reply has a Retry-After (default {DEFAULT_BACKOFF:g})"
        ),
    )
    parser.add_argument(
        "--max-wait",
        type=_seconds,
        default=DEFAULT_MAX_WAIT,
        metavar="SECONDS",
        help=f"never wait longer between two attempts (default {DEFAULT_MAX_WAIT:g})",
    )
    parser.add_argument(
        "--rate",
        type=_positive_float,
        metavar="N",
        help="at most N requests per second overall, retries included",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=1,
        metavar="N",
        help="worker threads, each with its own kept-alive connection (default 1)",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON object per message instead of text"
    )


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, 0 or more: {text!r}")
    return value


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
    """What became of one message: its last response after ``attempts`` attempts (over
    ``elapsed`` seconds, from the first request to the last reply), an error, or neither (not
    sent, after another message's connection failure)."""

    index: int
    located: Located
    response: Response | None = None
    error: str | None = None
    attempts: int = 0
    elapsed: float = 0.0


def _text(outcome: _Outcome) -> str:
    assert outcome.response is not None
    text = f"{outcome.index} {outcome.response.status}"
    if outcome.attempts > 1:
        text += f" ({outcome.attempts} attempts)"
    message = outcome.response.message()
    return f"{text} {message}" if message else text


def _json_line(outcome: _Outcome, source: str, expected: Expected) -> str:
    # Where the message is and what became of it: never the message itself, which may hold
    # traits (emails, phone numbers) that have no place in a CI log.
    response = outcome.response
    return orjson.dumps(
        {
            "index": outcome.index,
            "file": source,
            "line": outcome.located.line,
            "json_path": outcome.located.json_path,
            "status": None if response is None else response.status,
            "expected": response is not None and response.status in expected.statuses,
            "attempts": outcome.attempts,
            "elapsed": round(outcome.elapsed, 4),
            "message": None if response is None else response.message(),
            "error": outcome.error,
        }
    ).decode()


@dataclass(frozen=True, slots=True)
class _Settings:
    """What every worker shares."""

    endpoint: Endpoint
    auth: str
    policy: RetryPolicy
    bucket: TokenBucket | None
    stop: threading.Event


def _deliver(client: Client, index: int, located: Located, settings: _Settings) -> _Outcome:
    """Send one message until its reply is final or its retries are spent.

    Raises :class:`EndpointError` when no reply can be had.
    """
    attempts = 0
    started = answered = 0.0
    response: Response | None = None
    while True:
        if settings.bucket is not None:
            settings.stop.wait(settings.bucket.reserve())
        if settings.stop.is_set():
            break  # another worker lost the endpoint: keep what this one has
        if attempts == 0:
            started = time.monotonic()
        response = client.post(located.body, settings.auth)
        answered = time.monotonic()
        attempts += 1
        if attempts > settings.policy.retries or not settings.policy.retried(response):
            break
        if settings.stop.wait(settings.policy.wait(attempts, response)):
            break
    return _Outcome(index, located, response, attempts=attempts, elapsed=answered - started)


def _worker(
    settings: _Settings,
    work: queue.SimpleQueue[tuple[int, Located] | None],
    results: queue.SimpleQueue[_Outcome],
) -> None:
    client = settings.endpoint.connect()
    try:
        while (item := work.get()) is not None:
            index, located = item
            if settings.stop.is_set():
                results.put(_Outcome(index, located))
                continue
            try:
                results.put(_deliver(client, index, located, settings))
            except EndpointError as error:
                settings.stop.set()
                results.put(_Outcome(index, located, error=str(error)))
            except Exception as error:  # reported, so the printing thread never waits forever
                settings.stop.set()
                results.put(_Outcome(index, located, error=f"{type(error).__name__}: {error}"))
    finally:
        client.close()


def _expected(args: argparse.Namespace) -> Expected:
    """The statuses asked for with --expect, and FILE when --expect took it in.

    ``--expect`` takes every word that follows it, so ``--expect 200 FILE`` hands it FILE too:
    a last word that names no status is the FILE then, as it would be anywhere else.
    """
    words = list(args.expect or ())
    statuses = 0
    while statuses < len(words) and status_word(words[statuses]) is not None:
        statuses += 1
    if statuses < len(words):
        if args.file is not None or statuses == 0 or statuses < len(words) - 1:
            bad = words[statuses]
            raise UsageError(
                f"--expect: not an HTTP status (200) or class of statuses (2xx): {bad!r}"
            )
        args.file = words[statuses:]
    if not words:
        return ACCEPTED
    return Expected.parse(words[:statuses])


def run_send(args: argparse.Namespace, stdin: BinaryIO, out: TextIO | None = None) -> int:
    """Run ``segment-spec send``; return the exit status (0, 1 or 2)."""
    out = out if out is not None else sys.stdout
    try:
        expected = _expected(args)
        if args.file is not None and len(args.file) > 1:
            print("segment-spec send: give at most one FILE", file=sys.stderr)
            return 2
        endpoint = endpoint_from_args(args)
        path = args.file[0] if args.file else "-"
        content = read_input(path, stdin)
    except (EndpointError, UsageError) as error:
        print(f"segment-spec: {error}", file=sys.stderr)
        return 2
    located = list(located_messages(content))
    work: queue.SimpleQueue[tuple[int, Located] | None] = queue.SimpleQueue()
    for index, item in enumerate(located, 1):
        work.put((index, item))
    workers = min(args.concurrency, len(located))
    for _ in range(workers):
        work.put(None)
    results: queue.SimpleQueue[_Outcome] = queue.SimpleQueue()
    settings = _Settings(
        endpoint,
        authorization(args.api_key),
        RetryPolicy(args.retries, args.backoff, args.max_wait),
        TokenBucket(args.rate) if args.rate else None,
        threading.Event(),
    )
    threads = [
        threading.Thread(
            target=_worker,
            args=(settings, work, results),
            name=f"segment-spec-send-{number}",
            daemon=True,
        )
        for number in range(workers)
    ]
    for thread in threads:
        thread.start()
    source = "<stdin>" if path == "-" else path
    report = _Report(expected, out, source, args.json)
    for _ in range(len(located)):
        report.add(results.get())
    for thread in threads:
        thread.join()
    print(report.summary(len(located)), file=sys.stderr)
    return report.status


class _Report:
    """Prints outcomes in input order as they arrive, and counts them."""

    # A summary names at most this many of the messages that got another status.
    NAMED = 20

    def __init__(self, expected: Expected, out: TextIO, source: str, as_json: bool) -> None:
        self.expected = expected
        self.out = out
        self.source = source
        self.as_json = as_json
        self.pending: dict[int, _Outcome] = {}
        self.following = 1
        self.status = 0
        self.answered = 0
        self.retried = 0
        self.other: list[int] = []  # the messages answered with a status not expected

    def add(self, outcome: _Outcome) -> None:
        self.pending[outcome.index] = outcome
        while self.following in self.pending:
            self._print(self.pending.pop(self.following))
            self.following += 1

    def _print(self, done: _Outcome) -> None:
        if self.as_json and (done.response is not None or done.error is not None):
            self.out.write(_json_line(done, self.source, self.expected) + "\n")
            self.out.flush()
        if done.response is not None:
            if not self.as_json:
                self.out.write(_text(done) + "\n")
                self.out.flush()
            self.answered += 1
            self.retried += done.attempts > 1
            if done.response.status not in self.expected.statuses:
                self.other.append(done.index)
                self.status = max(self.status, 1)
        if done.error is not None:
            print(f"segment-spec: message {done.index}: {done.error}", file=sys.stderr)
            self.status = 2

    def summary(self, total: int) -> str:
        """The last line: how many were answered, and which got a status not expected."""
        noun = "message" if total == 1 else "messages"
        text = f"{self.answered:,} of {total:,} {noun} answered"
        if self.retried:
            text += f", {self.retried:,} after retries"
        text += f", {len(self.other):,} not {self.expected.label}"
        if self.other:
            names = [str(index) for index in self.other[: self.NAMED]]
            more = len(self.other) - len(names)
            if more:
                names.append(f"{more} more")
            listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
            text += f" (message {listed})" if len(self.other) == 1 else f" (messages {listed})"
        return text
