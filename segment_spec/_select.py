"""Select schema: pick the schema for a message by its ``type``, before any validation.

Choosing first means a reader never sees "is not valid under any of the given schemas": a
message is checked against exactly one call schema, and a type that names no call is a 501.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ._catalog import Event
from ._issue import Issue, Severity
from ._parse import describe_type
from ._schemas import BASE_URI, IDENTITY_PART, PARTED
from ._validate import Allowance, Compiled, Engine

__all__ = [
    "CALL_TYPES",
    "Schemas",
    "Selection",
    "select_call",
    "supported_calls",
]

CALL_TYPES = ("identify", "track", "page", "screen", "group", "alias")
"""The six call types of the Segment Spec, the values ``type`` may take and ``supported`` holds."""
_CALLS = frozenset(CALL_TYPES)
_LISTING = "identify, track, page, screen, group or alias"


@dataclass(frozen=True, slots=True)
class Selection:
    """The call a message names, or the issue that prevents choosing one."""

    call: str | None
    issue: Issue | None = None
    warning: Issue | None = None


def select_call(message: Mapping[str, Any], supported: frozenset[str] | None) -> Selection:
    """Read ``type`` and decide which call schema applies.

    A missing or non-string ``type`` is a 400; a type that is not one of the six calls, or one
    the receiver does not support, is a 501. A call type in the wrong case (``"Identify"``) is
    accepted with a ``type-case`` warning.
    """
    kind = message.get("type")
    if type(kind) is str and kind in _CALLS:
        if supported is None or kind in supported:
            return _CLEAN[kind]
        call = kind
        warning = None
    elif kind is None or (isinstance(kind, str) and not kind.strip()):
        return Selection(None, Issue(("type",), "required", f"type is required: {_LISTING}"))
    elif not isinstance(kind, str):
        text = f"type must be a string ({_LISTING}), not {describe_type(kind)}"
        return Selection(None, Issue(("type",), "type", text))
    elif kind.lower() in _CALLS:
        call = kind.lower()
        text = f"type should be lowercase; it was read as {call}"
        warning = Issue(("type",), "type-case", text, Severity.WARNING)
    else:
        text = f"type must name a Segment call ({_LISTING}); other call types are not supported"
        return Selection(None, Issue(("type",), "unsupported-type", text))
    if supported is not None and call not in supported:
        text = f"this destination does not support {call} calls"
        return Selection(None, Issue(("type",), "unsupported-type", text))
    return Selection(call, None, warning)


# The common outcome, made once: a lowercase call type the receiver supports.
_CLEAN = {call: Selection(call) for call in CALL_TYPES}


def supported_calls(supported: Iterable[str] | None) -> frozenset[str] | None:
    """Check the ``supported`` argument of ``check``: None, or names from the six calls."""
    if supported is None:
        return None
    if isinstance(supported, str):
        raise TypeError("supported must be a collection of call types, such as {'track'}")
    names = frozenset(supported)
    unknown = names - _CALLS
    if unknown:
        raise ValueError(f"unknown call types in supported: {sorted(unknown)}; use {_LISTING}")
    return names


class Schemas:
    """The compiled schemas one checker validates with, each compiled on first use.

    A :class:`~segment_spec.Checker` owns one (the module functions use a default checker's).
    Its validators come from an :class:`~._validate.Engine` of the bundled schemas, made on
    first use too, so that making a checker costs nothing until it checks. Thread-safe: two
    threads may compile the same schema once each, and keep either.
    """

    __slots__ = (
        "_anonymous",
        "_calls",
        "_engine",
        "_events",
        "_identity",
        "_lock",
        "_parted",
        "_tracks",
        "oks",
    )

    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine
        # By call name, so that the usual message needs no URI built to find its schema.
        self._calls: dict[str, Compiled] = {}
        self._tracks: dict[Event, Callable[[Any], bool]] = {}
        # Each call's one-pass check by name, once compiled: the usual message reads it with
        # one dict lookup.
        self.oks: dict[str, Callable[[Any], bool]] = {}
        # Each call's schema without the identity rule (None: it has none), and the members
        # the identity rule reads (None: not yet worked out; () when it cannot be read so).
        self._parted: dict[str, Compiled | None] = {}
        self._identity: tuple[str, ...] | None = None
        # What the rule says of a message without any of those members (at least 10 issues
        # fit in any message's bounds, so the size never changes it).
        self._anonymous: tuple[Issue, ...] | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        """The engine the schemas are compiled by."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = Engine.bundled()
        return self._engine

    def call(self, call: str) -> Compiled:
        """The schema of one call type."""
        compiled = self._calls.get(call)
        if compiled is None:
            compiled = self._calls[call] = self.engine.compile(f"{BASE_URI}{call}.json")
            self.oks[call] = compiled.ok
        return compiled

    def identity(self) -> Compiled:
        """The identity rule alone: every call needs user_id or anonymous_id (alias: user_id)."""
        return self.engine.compile(BASE_URI + IDENTITY_PART)

    def identity_issues(self, message: Mapping[str, Any], size: int | None = None) -> list[Issue]:
        """The issues the identity rule finds in ``message`` (none when it holds).

        jsonschema-rs is shown only the members the rule reads: its error is about the whole
        message, and an error copies the value it is about (15 µs for a 1.3 KB message).
        """
        members = self._identity_members()
        shown = {key: message[key] for key in members if key in message} if members else message
        if not shown and members:  # no id at all, the usual refusal: said the same every time
            if self._anonymous is None:
                self._anonymous = tuple(self.identity().report({}))
            return list(self._anonymous)
        identity = self.identity()
        return [] if identity.ok(shown) else identity.report(shown, size=size)

    def report(
        self,
        call: str,
        message: Mapping[str, Any],
        size: int | None = None,
        allowance: Allowance | None = None,
    ) -> list[Issue]:
        """Every issue of ``message`` under the schema of ``call``, as
        :meth:`~._validate.Compiled.report` lists them: the identity rule's from the members it
        reads (:meth:`identity_issues`), the rest from the call's schema without it."""
        if call not in self._parted:
            uri = f"{BASE_URI}{PARTED}{call}.json"
            known = self.engine.knows(uri) and bool(self._identity_members())
            self._parted[call] = self.engine.compile(uri) if known else None
        parted = self._parted[call]
        if parted is None or not isinstance(message, dict):
            return self.call(call).report(message, size=size, allowance=allowance)
        first = self.identity_issues(message, size)
        return parted.report(message, size=size, allowance=allowance, first=first)

    def _identity_members(self) -> tuple[str, ...]:
        """The members of a message the identity rule reads, from its schema: the names its
        ``required`` and ``properties`` give, at its top or in its ``if``, ``then`` and
        ``else``; () when it has any other keyword that reads the message (then it is shown the
        whole message)."""
        if self._identity is None:
            self._identity = _members_read(self.engine.resolve(BASE_URI, IDENTITY_PART)[1])
        return self._identity

    def batch(self) -> Compiled:
        """The schema of the HTTP API batch envelope."""
        return self.engine.compile(f"{BASE_URI}batch.json")

    def event(self, event: Event) -> Compiled:
        """The schema of an event's properties."""
        return self.engine.compile(event.schema_id)

    def track(self, event: Event) -> Callable[[Any], bool]:
        """The check of a whole track message that names ``event``: True when neither the track
        schema nor the event's (on the message's ``properties`` object) finds anything."""
        found = self._tracks.get(event)
        if found is None:
            track_ok = self.call("track").ok
            event_ok = self.event(event).ok

            def found(message: Any) -> bool:
                if not track_ok(message):
                    return False
                properties = message.get("properties")
                return type(properties) is not dict or event_ok(properties)

            self._tracks[event] = found
        return found


# Keywords that never read a value, and those a rule of a few named members may use.
_INERT = frozenset({"description", "title", "$comment"})
_NAMING = frozenset({"required", "properties"})


def _members_read(rule: Mapping[str, Any]) -> tuple[str, ...]:
    """The members of an object ``rule`` reads, when it reads only named members (see
    :meth:`Schemas._identity_members`); () otherwise."""
    names: dict[str, None] = {}
    for part, allowed in (
        (rule, _NAMING | _INERT | {"if", "then", "else"}),
        *((rule.get(key), _NAMING | _INERT) for key in ("if", "then", "else") if key in rule),
    ):
        if not isinstance(part, Mapping) or any(
            key not in allowed and not key.startswith("x-") for key in part
        ):
            return ()
        required, properties = part.get("required", []), part.get("properties", {})
        if not isinstance(required, list) or not isinstance(properties, Mapping):
            return ()
        names.update(dict.fromkeys(str(name) for name in (*required, *properties)))
    return tuple(names)
