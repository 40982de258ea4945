"""Receivers built on ``segment_spec.Destination``, as users write them, for the tests.

Importable by a server process too (``gunicorn receiver_apps:flask_app()``, ``uvicorn --factory
receiver_apps:redis_asgi``) with this folder on ``PYTHONPATH``: the Redis receivers read
``SEGMENT_SPEC_REDIS_URL`` and count each message they handle in Redis, so that two processes can
be held to handling a duplicate once between them.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import segment_spec
from segment_spec import CALL_TYPES, Delivery, Destination, Message

KEY = "segment"
AUTHORIZATION = "Basic c2VnbWVudDo="  # base64("segment:")
MOUNT = "/segment"


class Recorder:
    """A handler that keeps what it was given (thread-safe)."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()

    def __call__(self, message: Message, delivery: Delivery) -> None:
        with self._lock:
            self.messages.append(message)
            self.deliveries.append(delivery)

    @property
    def ids(self) -> list[str | None]:
        return [message.message_id for message in self.messages]


def full_destination(**options: Any) -> tuple[Destination, Recorder]:
    """A destination for :data:`KEY` that handles all six calls."""
    dest = Destination({KEY}, **options)
    recorder = Recorder()
    dest.on(*CALL_TYPES)(recorder)
    return dest, recorder


def flask_app() -> Any:
    """A Flask app with the destination mounted at :data:`MOUNT` (werkzeug's dispatcher)."""
    from flask import Flask
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    app = Flask("receiver")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    dest, recorder = full_destination()
    mounted = DispatcherMiddleware(app.wsgi_app, {MOUNT: dest.wsgi()})
    app.wsgi_app = mounted  # type: ignore[method-assign]
    app.config["recorder"] = recorder
    return app


def fastapi_app() -> Any:
    """A FastAPI app with the destination mounted at :data:`MOUNT`."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    dest, recorder = full_destination()
    app.mount(MOUNT, dest.asgi())
    app.state.recorder = recorder
    return app


def starlette_app() -> Any:
    """A Starlette app with the destination mounted at :data:`MOUNT`."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Mount, Route

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    dest, recorder = full_destination()
    app = Starlette(routes=[Route("/health", health), Mount(MOUNT, app=dest.asgi())])
    app.state.recorder = recorder
    return app


def _counting_destination(window: Any) -> Destination:
    counter = window.client

    dest = Destination({KEY}, dedupe=window)
    key = os.environ.get("SEGMENT_SPEC_COUNT_KEY", "handled")

    if window._is_async:  # redis.asyncio: the handler is a coroutine

        async def handle_async(message: Message, delivery: Delivery) -> None:
            await counter.incr(f"{key}:{message.message_id}")

        dest.on(*CALL_TYPES)(handle_async)
    else:

        def handle(message: Message, delivery: Delivery) -> None:
            counter.incr(f"{key}:{message.message_id}")

        dest.on(*CALL_TYPES)(handle)
    return dest


def redis_asgi() -> Any:
    """An ASGI receiver whose window is in Redis, through an asyncio client."""
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(os.environ["SEGMENT_SPEC_REDIS_URL"])
    return _counting_destination(segment_spec.RedisWindow(client)).asgi()


def redis_wsgi() -> Any:
    """A WSGI receiver whose window is in Redis, through a sync client."""
    window = segment_spec.RedisWindow.from_url(os.environ["SEGMENT_SPEC_REDIS_URL"])
    return _counting_destination(window).wsgi()
