"""Real servers on 127.0.0.1 for the receiver tests, and small ASGI apps to serve.

``serve`` runs ``uvicorn.Server`` in a background thread on a free loopback port and stops it on
exit; ``serve_wsgi`` does the same with waitress; ``serve_process`` runs a server command (a
gunicorn, a uvicorn, a redis-server) in its own process. Every wait is bounded. The apps are
deliberately broken receivers (each gets one part of the contract wrong) and a recorder that
keeps what each request looked like on the wire.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import uvicorn

import segment_spec

ROOT = Path(__file__).resolve().parents[1]
STARTUP_SECONDS = 10.0

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


def load_example_receiver() -> ModuleType:
    """Import examples/receiver.py (the examples folder is not a package)."""
    name = "example_receiver"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / "receiver.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class TLSFiles:
    """A test CA and a server certificate for 127.0.0.1, as PEM files."""

    ca: Path
    cert: Path
    key: Path


def make_tls(folder: Path) -> TLSFiles:
    """A new test CA and a certificate for 127.0.0.1 that it signed, written to ``folder``."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    files = TLSFiles(folder / "ca.pem", folder / "cert.pem", folder / "key.pem")
    ca.cert_pem.write_to_path(str(files.ca))
    cert.cert_chain_pems[0].write_to_path(str(files.cert))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(files.cert), append=True)
    cert.private_key_pem.write_to_path(str(files.key))
    return files


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serve_wsgi(app: Any) -> Iterator[str]:
    """Serve a WSGI app with waitress on 127.0.0.1; yield its origin (``http://host:port``)."""
    import waitress.server

    server = waitress.server.create_server(app, host="127.0.0.1", port=0, threads=4)
    port = server.effective_port  # type: ignore[union-attr]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def stop() -> None:  # in the server's own loop: a socket closed under its select() fails it
        for channel in list(server._map.values()):  # type: ignore[union-attr]
            channel.close()

    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.trigger.pull_trigger(stop)  # type: ignore[union-attr]
        thread.join(STARTUP_SECONDS)
        server.task_dispatcher.shutdown()  # type: ignore[union-attr]
        assert not thread.is_alive(), "the waitress test server did not stop"


@contextmanager
def serve_process(
    argv: list[str], port: int, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server command until it accepts connections on ``port``; stop it on exit."""
    process = subprocess.Popen(
        argv, env=env, cwd=Path(__file__).parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 3 * STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                error = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise RuntimeError(f"{argv[0]} exited with {process.returncode}: {error[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{' '.join(argv[:3])} did not start") from None
                time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(STARTUP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STARTUP_SECONDS)
        if process.stderr:
            process.stderr.close()


@contextmanager
def serve(app: App, tls: TLSFiles | None = None) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1; yield its URL; stop the server on exit."""
    # proto=IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP,
    # and without it every reply waits ~40 ms for a delayed ACK.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_config=None,
        log_level="warning",
        access_log=False,
        ssl_certfile=str(tls.cert) if tls else None,
        ssl_keyfile=str(tls.key) if tls else None,
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            listener.close()
            raise RuntimeError("the uvicorn test server did not start")
        time.sleep(0.005)
    try:
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}/v1/segment"
    finally:
        server.should_exit = True
        thread.join(STARTUP_SECONDS)
        listener.close()
        assert not thread.is_alive(), "the uvicorn test server did not stop"


async def read_body(receive: Receive, limit: int = 1024 * 1024) -> bytes:
    """The whole request body (at most ``limit`` bytes)."""
    body = bytearray()
    more = True
    while more and len(body) <= limit:
        event = await receive()
        if event["type"] == "http.disconnect":
            break
        body += event.get("body", b"")
        more = event.get("more_body", False)
    return bytes(body)


def replay(body: bytes) -> Receive:
    """A ``receive`` that hands an inner app a body already read."""
    sent = False

    async def receive() -> MutableMapping[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def respond(
    send: Send,
    status: int,
    body: bytes,
    content_type: bytes = b"application/json",
    extra: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """Send a complete response (``extra``: more headers)."""
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    headers += extra
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@dataclass(frozen=True)
class Seen:
    """One request as the recorder saw it."""

    method: str
    headers: tuple[tuple[str, str], ...]
    client_port: int
    body: bytes

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name.lower()]


class Recorder:
    """Records every request (headers exactly as received, client port, body), then delegates."""

    def __init__(self, inner: App) -> None:
        self.inner = inner
        self.seen: list[Seen] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive)
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"])
        self.seen.append(Seen(scope["method"], headers, scope["client"][1], body))
        await self.inner(scope, replay(body), send)


async def always_ok(scope: Scope, receive: Receive, send: Send) -> None:
    """A receiver that accepts everything: no auth, no checks, no 501."""
    await read_body(receive)
    await respond(send, 200, b"{}")


class PlainText:
    """Right status codes, but every error body is text/plain."""

    def __init__(self, key: str) -> None:
        self.key = key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive)
        try:
            key = segment_spec.api_key(dict(scope["headers"]).get(b"authorization"))
        except segment_spec.Unauthorized:
            key = None
        if key is None or not segment_spec.keys_match(key, self.key):
            await respond(send, 401, b"unauthorized", b"text/plain")
            return
        result = segment_spec.check(body)
        if isinstance(result, segment_spec.Rejection):
            await respond(send, result.status, result.message.encode(), b"text/plain")
        else:
            await respond(send, 200, b"ok", b"text/plain")


class ConflictOnDuplicate:
    """A receiver that answers 409 to a message_id it has seen (Segment's retries then fail)."""

    def __init__(self, inner: App) -> None:
        self.inner = inner
        self.ids: set[str] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive)
        try:
            message_id = json.loads(body).get("message_id")
        except (ValueError, AttributeError):
            message_id = None
        if isinstance(message_id, str):
            if message_id in self.ids:
                await respond(send, 409, b'{"message": "duplicate message_id"}')
                return
            self.ids.add(message_id)
        await self.inner(scope, replay(body), send)


@dataclass(frozen=True)
class Reply:
    """One reply of a :class:`Scripted` receiver."""

    status: int
    body: bytes = b"{}"
    headers: tuple[tuple[bytes, bytes], ...] = ()


class Scripted:
    """Answers the n-th request of each body with the n-th reply of its script (the last reply
    once the script runs out), and keeps when each request arrived, by body.

    A retry sends the same body again, so ``Scripted(Reply(503), Reply(200))`` answers every
    message 503 first and 200 on its retry.
    """

    def __init__(self, *script: Reply) -> None:
        assert script
        self.script = script
        self.arrivals: dict[bytes, list[float]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await read_body(receive)
        times = self.arrivals.setdefault(body, [])
        times.append(time.monotonic())
        reply = self.script[min(len(times), len(self.script)) - 1]
        await respond(send, reply.status, reply.body, extra=reply.headers)

    def gaps(self, body: bytes) -> list[float]:
        """The seconds between one request of ``body`` and the next."""
        times = self.arrivals[body]
        return [later - earlier for earlier, later in itertools.pairwise(times)]
