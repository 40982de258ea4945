"""Destination behind real servers: uvicorn (plain, and mounted in FastAPI and Starlette),
waitress and gunicorn serving Flask, over HTTP and HTTPS, each graded by ``segment-spec
conformance``; and two receiver processes sharing one real redis-server."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib import request
from urllib.error import HTTPError

import pytest
from asgi_servers import TLSFiles, free_port, make_tls, serve, serve_process, serve_wsgi
from receiver_apps import (
    AUTHORIZATION,
    KEY,
    MOUNT,
    fastapi_app,
    flask_app,
    full_destination,
    starlette_app,
)

from segment_spec import Delivery, Destination, Message
from segment_spec._cli import main

TESTS = Path(__file__).parent


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return make_tls(tmp_path_factory.mktemp("tls"))


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL that ``serve`` gave."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def graded(capsys: pytest.CaptureFixture[str], url: str, *options: str) -> list[dict[str, str]]:
    """``segment-spec conformance`` against ``url``: every row, which must all pass."""
    capsys.readouterr()
    status = main(["conformance", url, "--api-key", KEY, "--json", *options])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows
    assert [row for row in rows if row["result"] != "pass"] == []
    assert status == 0
    return rows


def post(
    url: str,
    data: bytes,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    context: ssl.SSLContext | None = None,
) -> tuple[int, dict[str, str], dict[str, Any]]:
    sent = {"Authorization": AUTHORIZATION, "Content-Type": "application/json", **(headers or {})}
    req = request.Request(url, data=data if method == "POST" else None, method=method, headers=sent)
    try:
        with request.urlopen(req, timeout=10, context=context) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def message(**fields: Any) -> bytes:
    base = {"type": "track", "event": "Signed Up", "user_id": "u-1", "message_id": "m-1"}
    return json.dumps({**base, **fields}).encode()


# --- ASGI: uvicorn ---------------------------------------------------------------------------


def test_the_asgi_adapter_passes_conformance_over_http_and_https(
    tls: TLSFiles, capsys: pytest.CaptureFixture[str]
) -> None:
    dest, recorder = full_destination()
    with serve(dest.asgi()) as url:
        rows = graded(capsys, url)
    with serve(dest.asgi(), tls) as url:
        graded(capsys, url, "--cacert", str(tls.ca))
    # The duplicate row sent one message twice in each run: it was handled once each time.
    assert len(recorder.ids) == len(set(recorder.ids))
    assert len(rows) > 10


@pytest.mark.parametrize("make", [fastapi_app, starlette_app], ids=["fastapi", "starlette"])
def test_the_asgi_adapter_mounted_in_a_framework_passes_conformance(
    make: Any, tls: TLSFiles, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make()
    with serve(app, tls) as url:
        endpoint = origin(url) + MOUNT + "/"
        graded(capsys, endpoint, "--cacert", str(tls.ca))
        context = ssl.create_default_context(cafile=str(tls.ca))
        # The framework's own routes still answer as before.
        with request.urlopen(origin(url) + "/health", timeout=10, context=context) as response:
            assert json.loads(response.read()) == {"status": "ok"}
    assert app.state.recorder.messages


def test_the_asgi_adapter_answers_other_methods_and_paths_in_json() -> None:
    dest, recorder = full_destination()
    with serve(dest.asgi(path="/v1/segment")) as url:
        status, headers, body = post(url, b"", method="GET")
        assert (status, body) == (405, {"message": "only POST is accepted here"})
        assert headers["allow"] == "POST"
        assert headers["content-type"] == "application/json"
        status, _, body = post(origin(url) + "/elsewhere", message())
        assert (status, body) == (404, {"message": "there is no endpoint at this path"})
        assert post(url, message())[0] == 200
    assert recorder.ids == ["m-1"]


def test_a_handlers_exception_is_a_500_over_http_and_the_retry_is_processed() -> None:
    dest = Destination({KEY})
    calls: list[str | None] = []

    @dest.on("track")
    def handle(message: Message, delivery: Delivery) -> None:
        calls.append(message.message_id)
        if len(calls) == 1:
            raise RuntimeError("secret detail 0xDEADBEEF")

    with serve(dest.asgi()) as url:
        status, _, body = post(url, message())
        assert (status, body) == (500, {"message": "the destination failed to process the message"})
        assert post(url, message())[0] == 200  # Segment's retry
        assert post(url, message())[2]["message"].startswith("already received")
    assert calls == ["m-1", "m-1"]


# --- WSGI: waitress and gunicorn, serving Flask ------------------------------------------------


def test_flask_on_waitress_passes_conformance(capsys: pytest.CaptureFixture[str]) -> None:
    app = flask_app()
    with serve_wsgi(app) as address:
        graded(capsys, address + MOUNT)
        status, headers, body = post(address + MOUNT, b"", method="GET")
        assert (status, body, headers["Allow"]) == (
            405,
            {"message": "only POST is accepted here"},
            "POST",
        )
        # The same message twice: handled once.
        assert post(address + MOUNT, message(message_id="w-1"))[0] == 200
        assert post(address + MOUNT, message(message_id="w-1"))[0] == 200
        with request.urlopen(address + "/health", timeout=10) as response:
            assert json.loads(response.read()) == {"status": "ok"}
    ids = app.config["recorder"].ids
    assert ids.count("w-1") == 1
    assert len(ids) == len(set(ids))


def _gunicorn(port: int, *options: str, app: str = "receiver_apps:flask_app()") -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--threads",
        "4",
        *options,
        app,
    ]


def test_flask_on_gunicorn_passes_conformance_over_https(
    tls: TLSFiles, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    argv = _gunicorn(port, "--certfile", str(tls.cert), "--keyfile", str(tls.key))
    with serve_process(argv, port, _env()):
        graded(capsys, f"https://127.0.0.1:{port}{MOUNT}", "--cacert", str(tls.ca))


def _env(**extra: str) -> dict[str, str]:
    path = os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path, **extra}


# --- two processes, one redis-server ---------------------------------------------------------


@contextmanager
def redis_server() -> Iterator[str]:
    """The URL of a real redis-server: CI's (``SEGMENT_SPEC_REDIS_URL``, started by .ci/run),
    else one started here."""
    given = os.environ.get("SEGMENT_SPEC_REDIS_URL")
    if given:
        yield given
        return
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed, and CI must run the Redis tests")
        pytest.skip("redis-server is not installed here (Debian: apt-get install redis-server)")
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with serve_process(argv, port):
        yield f"redis://127.0.0.1:{port}/0"


def test_two_receivers_sharing_redis_handle_a_duplicate_once(tmp_path: Path) -> None:
    import redis

    with redis_server() as url:
        counted = f"handled-{uuid.uuid4().hex}"
        env = _env(SEGMENT_SPEC_REDIS_URL=url, SEGMENT_SPEC_COUNT_KEY=counted)
        asgi_port, wsgi_port = free_port(), free_port()
        asgi = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "receiver_apps:redis_asgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(asgi_port),
            "--log-level",
            "warning",
        ]
        with (
            serve_process(asgi, asgi_port, env),
            serve_process(_gunicorn(wsgi_port, app="receiver_apps:redis_wsgi()"), wsgi_port, env),
        ):
            urls = [f"http://127.0.0.1:{asgi_port}/", f"http://127.0.0.1:{wsgi_port}/"]
            ids = [f"r-{uuid.uuid4()}" for _ in range(5)]
            # Each message sent eight times, to both receivers at once.
            jobs = [(urls[n % 2], message_id) for message_id in ids for n in range(8)]
            with ThreadPoolExecutor(8) as pool:
                statuses = list(
                    pool.map(lambda job: post(job[0], message(message_id=job[1]))[0], jobs)
                )
            assert statuses == [200] * len(jobs)
            client = redis.Redis.from_url(url)
            try:
                handled = [int(client.get(f"{counted}:{message_id}") or 0) for message_id in ids]
                # The window keeps digests, never the key or the id.
                leaked = [k for k in client.scan_iter("segment-spec:seen:*") if b"r-" in k]
            finally:
                client.close()
    assert handled == [1] * len(ids)
    assert leaked == []


def test_the_redis_window_claims_and_releases() -> None:
    import redis

    from segment_spec import RedisWindow

    with redis_server() as url:
        window = RedisWindow(
            redis.Redis.from_url(url), seconds=0.5, prefix=f"t-{uuid.uuid4().hex}:"
        )
        try:
            assert window.claim("k", "m")
            assert not window.claim("k", "m")
            assert window.claim("other", "m")
            window.release("k", "m")
            assert window.claim("k", "m")
            ttl = window.client.pttl(window._key("k", "m"))
            assert 0 < ttl <= 500
        finally:
            window.client.close()
