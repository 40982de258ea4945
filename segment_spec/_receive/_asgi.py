"""The ASGI adapter: a :class:`~segment_spec.Destination` as an app for any ASGI server or
framework (uvicorn, Hypercorn, FastAPI, Starlette)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from ._destination import Reply, mount_path

if TYPE_CHECKING:
    from ._destination import Destination

__all__ = ["AsgiApp"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_NOT_POST = Reply.of(405, "only POST is accepted here", ("allow", "POST"))
_NOT_HERE = Reply.of(404, "there is no endpoint at this path")


class AsgiApp:
    """An ASGI 3 app that answers every HTTP request with a JSON ``{"message": ...}`` body:
    POST goes to :meth:`Destination.areceive`, any other method gets a 405 (``Allow: POST``),
    and with a ``path``, any other path a 404. The body is read as it arrives, no further than
    the size limit and one byte. Lifespan events are answered; nothing else is served.

    Serve it directly (``uvicorn.run(dest.asgi())``) or mount it:
    ``app.mount("/segment", dest.asgi())`` in FastAPI or Starlette (the path is then the part
    after the mount point, ``"/"`` for the mount point itself).
    """

    __slots__ = ("destination", "path")

    def __init__(self, destination: Destination, path: str | None = None) -> None:
        self.destination = destination
        self.path = mount_path(path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await _lifespan(receive, send)
            return
        if kind != "http":  # a websocket: refused
            await send({"type": "websocket.close", "code": 1008})
            return
        if self.path is not None and _route(scope) != self.path:
            await _send(send, _NOT_HERE)
            return
        if scope["method"] != "POST":
            await _send(send, _NOT_POST)
            return
        reply = await self.destination.areceive(scope["headers"], _chunks(receive))
        await _send(send, reply)

    def __repr__(self) -> str:
        return f"AsgiApp(path={self.path!r})"


def _route(scope: Scope) -> str:
    """The path below the app's mount point (ASGI's ``root_path``), ``/`` at the point."""
    path: str = scope.get("path", "/")
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path or "/"


async def _chunks(receive: Receive) -> AsyncIterator[bytes]:
    while True:
        event = await receive()
        if event["type"] == "http.disconnect":
            return
        yield bytes(event.get("body", b""))
        if not event.get("more_body", False):
            return


async def _send(send: Send, reply: Reply) -> None:
    body = reply.json()
    headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in reply.headers]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        event = await receive()
        if event["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif event["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
