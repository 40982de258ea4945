"""The WSGI adapter: a :class:`~segment_spec.Destination` as an app for any WSGI server or
framework (waitress, gunicorn, Flask, Django)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ._destination import Reply, mount_path

if TYPE_CHECKING:
    from ._destination import Destination

__all__ = ["WsgiApp"]

StartResponse = Callable[..., Any]

_NOT_POST = Reply.of(405, "only POST is accepted here", ("allow", "POST"))
_NOT_HERE = Reply.of(404, "there is no endpoint at this path")
_REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


class WsgiApp:
    """A WSGI app that answers every request with a JSON ``{"message": ...}`` body: POST goes
    to :meth:`Destination.receive`, any other method gets a 405 (``Allow: POST``), and with a
    ``path``, any other path (``PATH_INFO``) a 404. It reads ``wsgi.input`` no further than the
    ``Content-Length`` and never past the size limit and one byte.

    Serve it directly (``waitress.serve(dest.wsgi())``) or mount it beside a Flask app with
    werkzeug's ``DispatcherMiddleware(app.wsgi_app, {"/segment": dest.wsgi()})``.
    """

    __slots__ = ("destination", "path")

    def __init__(self, destination: Destination, path: str | None = None) -> None:
        self.destination = destination
        self.path = mount_path(path)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if self.path is not None and (environ.get("PATH_INFO") or "/") != self.path:
            return _send(start_response, _NOT_HERE)
        if environ.get("REQUEST_METHOD") != "POST":
            return _send(start_response, _NOT_POST)
        reply = self.destination.receive(_headers(environ), _Input(environ))
        return _send(start_response, reply)

    def __repr__(self) -> str:
        return f"WsgiApp(path={self.path!r})"


class _Input:
    """``wsgi.input`` read no further than ``Content-Length`` (PEP 3333), or to its end where
    the server says the stream ends (``wsgi.input_terminated``)."""

    __slots__ = ("_environ",)

    def __init__(self, environ: dict[str, Any]) -> None:
        self._environ = environ

    def read(self, size: int = -1, /) -> bytes:
        environ = self._environ
        stream = environ.get("wsgi.input")
        if stream is None:
            return b""
        declared = (environ.get("CONTENT_LENGTH") or "").strip()
        if declared.isascii() and declared.isdigit():
            size = min(size, int(declared)) if size >= 0 else int(declared)
        elif not environ.get("wsgi.input_terminated"):
            return b""  # no length and no end: nothing may be read
        return bytes(stream.read(size))


def _headers(environ: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for name, value in environ.items():
        if name.startswith("HTTP_"):
            yield name[5:].replace("_", "-"), value
        elif name in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            yield name.replace("_", "-"), value


def _send(start_response: StartResponse, reply: Reply) -> list[bytes]:
    body = reply.json()
    status = f"{reply.status} {_REASONS.get(reply.status, 'Unknown')}"
    start_response(status, [*reply.headers, ("content-length", str(len(body)))])
    return [body]
