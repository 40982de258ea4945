"""Receive: a complete Direct destination (:class:`Destination`), its de-duplication windows and
its ASGI and WSGI adapters."""

from __future__ import annotations

from ._asgi import AsgiApp
from ._destination import Accepted, Delivery, Destination, Headers, Reply
from ._window import DAY, MemoryWindow, RedisWindow, Window
from ._wsgi import WsgiApp

__all__ = [
    "DAY",
    "Accepted",
    "AsgiApp",
    "Delivery",
    "Destination",
    "Headers",
    "MemoryWindow",
    "RedisWindow",
    "Reply",
    "Window",
    "WsgiApp",
]
