"""De-duplication windows: the message ids a destination has taken lately, per API key.

Segment de-duplicates by ``messageId`` over a sliding window that it guarantees to be at least
24 hours (partner guide, "Does Segment de-dupe messages?"), and retries a message that got a
5xx reply, so a destination can see the same message more than once. A window remembers each
``(api key, message id)`` pair it takes; the same pair within the window is a duplicate.

A pair is *claimed* before the handler runs, so two copies arriving at once run the handler
once, and *released* when the handler fails (any reply but 200 or 202), so that Segment's retry
is processed. Both windows keep a digest of the pair, never the key or the id themselves.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

__all__ = ["DAY", "MemoryWindow", "RedisWindow", "Window"]

DAY = 24 * 60 * 60.0
"""Seconds in the window Segment guarantees for its own de-duplication."""


@runtime_checkable
class Window(Protocol):
    """What a :class:`~segment_spec.Destination` needs of a de-duplication window."""

    def claim(self, api_key: str, message_id: str) -> bool:
        """Take the pair; True when it was not taken within the window (run the handler)."""
        ...

    def release(self, api_key: str, message_id: str) -> None:
        """Forget a pair claimed by this destination whose handler failed."""
        ...


def _digest(api_key: str, message_id: str) -> bytes:
    """A fixed-size name for the pair: no key or id is kept, and a 32 KiB id costs 32 bytes."""
    pair = (
        api_key.encode("utf-8", "surrogatepass")
        + b"\0"
        + message_id.encode("utf-8", "surrogatepass")
    )
    return hashlib.blake2b(pair, digest_size=16).digest()


class MemoryWindow:
    """A window in this process's memory: at most ``capacity`` pairs, none older than
    ``seconds``. The oldest pairs go first when it is full, so a flood of fresh ids costs
    bounded memory (about 150 bytes a pair). Safe to share between threads and between
    coroutines (nothing in it waits).

    Args:
        seconds: How long a pair counts as seen (default 24 hours).
        capacity: The most pairs kept.
        clock: The time in seconds (``time.monotonic``), for tests.

    >>> window = MemoryWindow()
    >>> window.claim("key", "m-1"), window.claim("key", "m-1"), window.claim("other", "m-1")
    (True, False, True)
    >>> window.release("key", "m-1")
    >>> window.claim("key", "m-1")
    True
    """

    def __init__(
        self,
        seconds: float = DAY,
        capacity: int = 1_000_000,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not seconds > 0:
            raise ValueError("seconds must be positive")
        if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
            raise ValueError("capacity must be a positive integer")
        self.seconds = float(seconds)
        self.capacity = capacity
        self._clock = clock
        self._seen: OrderedDict[bytes, float] = OrderedDict()  # digest -> when, oldest first
        self._lock = threading.Lock()

    def claim(self, api_key: str, message_id: str) -> bool:
        """Take the pair; True when it was not taken within the window."""
        digest = _digest(api_key, message_id)
        with self._lock:
            now = self._clock()
            seen = self._seen
            while seen:  # what has aged out, oldest first
                oldest, when = next(iter(seen.items()))
                if now - when < self.seconds:
                    break
                del seen[oldest]
            if digest in seen:
                return False
            seen[digest] = now
            if len(seen) > self.capacity:
                seen.popitem(last=False)
            return True

    def release(self, api_key: str, message_id: str) -> None:
        """Forget the pair (a handler failed on it)."""
        with self._lock:
            self._seen.pop(_digest(api_key, message_id), None)

    def __len__(self) -> int:
        """The pairs kept now (some may have aged out since the last claim)."""
        return len(self._seen)

    def __repr__(self) -> str:
        return f"MemoryWindow(seconds={self.seconds:g}, capacity={self.capacity})"


class RedisWindow:
    """A window in Redis, shared by every receiver process that uses the same server: one
    atomic ``SET key 1 NX PX <window>`` per message claims a pair, and ``DEL`` releases it.

    Args:
        client: A ``redis.Redis`` client, or a ``redis.asyncio.Redis`` one for an ASGI
            receiver (``Destination.areceive`` then awaits it; a sync client is called in a
            worker thread there, so the event loop never waits on the network).
        seconds: How long a pair counts as seen (default 24 hours).
        prefix: What every key this window writes starts with.

    Install the extra: ``pip install 'segment-spec[redis]'``. A Redis error is not caught
    here: the destination answers 503, and Segment retries the message later.
    """

    def __init__(
        self, client: Any, *, seconds: float = DAY, prefix: str = "segment-spec:seen:"
    ) -> None:
        if not seconds > 0:
            raise ValueError("seconds must be positive")
        self.client = client
        self.seconds = float(seconds)
        self.prefix = prefix
        self._is_async = _is_asyncio(client)

    @classmethod
    def from_url(
        cls, url: str, *, seconds: float = DAY, prefix: str = "segment-spec:seen:"
    ) -> RedisWindow:
        """A window over a new sync client for ``url`` (``redis://host:6379/0``)."""
        import redis

        return cls(redis.Redis.from_url(url), seconds=seconds, prefix=prefix)

    def _key(self, api_key: str, message_id: str) -> str:
        return self.prefix + _digest(api_key, message_id).hex()

    def claim(self, api_key: str, message_id: str) -> bool:
        """Take the pair; True when it was not taken within the window."""
        if self._is_async:
            raise TypeError("this RedisWindow has an asyncio client: use it with areceive()")
        milliseconds = max(1, round(self.seconds * 1000))
        return bool(self.client.set(self._key(api_key, message_id), b"1", nx=True, px=milliseconds))

    def release(self, api_key: str, message_id: str) -> None:
        """Forget the pair (a handler failed on it)."""
        if self._is_async:
            raise TypeError("this RedisWindow has an asyncio client: use it with areceive()")
        self.client.delete(self._key(api_key, message_id))

    async def aclaim(self, api_key: str, message_id: str) -> bool:
        """:meth:`claim`, for a coroutine."""
        if not self._is_async:
            return await asyncio.to_thread(self.claim, api_key, message_id)
        milliseconds = max(1, round(self.seconds * 1000))
        key = self._key(api_key, message_id)
        return bool(await self.client.set(key, b"1", nx=True, px=milliseconds))

    async def arelease(self, api_key: str, message_id: str) -> None:
        """:meth:`release`, for a coroutine."""
        if not self._is_async:
            await asyncio.to_thread(self.release, api_key, message_id)
            return
        await self.client.delete(self._key(api_key, message_id))

    def __repr__(self) -> str:
        return f"RedisWindow(seconds={self.seconds:g}, prefix={self.prefix!r})"


def _is_asyncio(client: Any) -> bool:
    """Whether ``client`` is one of redis's asyncio clients (their methods return awaitables
    without being coroutine functions, so the class says it)."""
    try:
        import redis.asyncio
    except ImportError:  # not redis's: a client whose set() is a coroutine function
        return inspect.iscoroutinefunction(getattr(client, "set", None))
    return isinstance(client, redis.asyncio.Redis | redis.asyncio.RedisCluster)
