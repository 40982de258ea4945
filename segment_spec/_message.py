"""Build message: typed, frozen views of a checked message.

Each call type has its own dataclass, tagged by ``type``: match on the class (or on
``message.type``) instead of poking into dicts. Every attribute is snake_case. Nothing is lost:
``data`` holds the whole normalized message, unknown fields included.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import partial
from types import ModuleType
from typing import Any, Literal, TypeAlias

from ._catalog import Event
from ._compiled import speedups
from ._issue import Issue
from ._timestamps import TIMESTAMP_FIELDS, RecentTimestamps, parse_timestamp

__all__ = [
    "Alias",
    "Group",
    "Identify",
    "Message",
    "Page",
    "Screen",
    "Track",
    "build_message",
    "message_tools",
    "read_timestamps",
]

_EMPTY: Mapping[str, Any] = {}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Common:
    """Fields every call carries."""

    message_id: str | None = None
    """Unique id of the message (Segment de-duplicates by it), as text."""
    user_id: str | None = None
    """Your user id, as text (numbers become their decimal text); None when absent."""
    anonymous_id: str | None = None
    """The anonymous id, as text; None when absent."""
    timestamp: datetime | None = None
    """When the event happened (aware, UTC when the sender gave no zone)."""
    sent_at: datetime | None = None
    """When the sender's device sent the message."""
    received_at: datetime | None = None
    """When Segment's servers received the message."""
    original_timestamp: datetime | None = None
    """The device time when the call was made."""
    context: Mapping[str, Any] = field(default_factory=dict)
    """The ``context`` object (empty when absent)."""
    integrations: Mapping[str, Any] = field(default_factory=dict)
    """The ``integrations`` object, keyed by destination name exactly as sent."""
    data: Mapping[str, Any] = field(default_factory=dict, repr=False)
    """The whole normalized message, including fields this class does not name."""
    issues: tuple[Issue, ...] = ()
    """Warnings that did not reject the message (empty for a clean message)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Identify(_Common):
    """An identify call: who the user is, and their traits."""

    type: Literal["identify"] = "identify"
    traits: Mapping[str, Any] = field(default_factory=dict)
    """Traits of the user (empty when absent)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Track(_Common):
    """A track call: an action the user performed."""

    type: Literal["track"] = "track"
    event: str = ""
    """The event name, e.g. ``"Order Completed"``."""
    properties: Mapping[str, Any] = field(default_factory=dict)
    """Properties of the event (empty when absent)."""
    semantic: Event | None = None
    """The Segment Spec event this track names (legacy names resolved), or None for events
    outside the spec: compare ``message.semantic`` with catalog entries, not strings."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Page(_Common):
    """A page call: a web page view."""

    type: Literal["page"] = "page"
    name: str | None = None
    """Name of the page."""
    category: str | None = None
    """Category of the page."""
    properties: Mapping[str, Any] = field(default_factory=dict)
    """Properties of the page (empty when absent)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Screen(_Common):
    """A screen call: a mobile app screen view."""

    type: Literal["screen"] = "screen"
    name: str | None = None
    """Name of the screen."""
    category: str | None = None
    """Category of the screen (some libraries send one)."""
    properties: Mapping[str, Any] = field(default_factory=dict)
    """Properties of the screen (empty when absent)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Group(_Common):
    """A group call: the user belongs to a company, team or account."""

    type: Literal["group"] = "group"
    group_id: str = ""
    """Your id for the group, as text."""
    traits: Mapping[str, Any] = field(default_factory=dict)
    """Traits of the group (empty when absent)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Alias(_Common):
    """An alias call: ``previous_id`` and ``user_id`` are the same person."""

    type: Literal["alias"] = "alias"
    previous_id: str = ""
    """The identity the user had before, as text."""


Message: TypeAlias = Identify | Track | Page | Screen | Group | Alias
"""Any checked message; match on the class or on ``message.type``."""


def _text_id(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is str or isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None  # not an id (reported as a warning by validation); kept in ``data``
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _mapping(value: Any) -> Mapping[str, Any]:
    # The exact-type test first: it is what parsed JSON holds, and it costs a tenth of the
    # abstract-class test.
    return value if type(value) is dict or isinstance(value, Mapping) else _EMPTY


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


Timestamps: TypeAlias = tuple[datetime | None, datetime | None, datetime | None, datetime | None]


def read_timestamps(
    data: Mapping[str, Any], parse: Callable[[object], datetime | None] = parse_timestamp
) -> Timestamps | None:
    """Read the four timestamps of ``data`` (in ``TIMESTAMP_FIELDS`` order) with ``parse``;
    None when one is present and not a date (which the schema's format refuses). For a message
    the schemas accept."""
    get = data.get
    read: list[datetime | None] = []
    for name in TIMESTAMP_FIELDS:
        raw = get(name)
        if raw is None:
            read.append(None)
            continue
        parsed = parse(raw)
        if parsed is None:
            return None
        read.append(parsed)
    return (read[0], read[1], read[2], read[3])


ReadTimestamps: TypeAlias = Callable[[Mapping[str, Any]], "Timestamps | None"]
BuildMessage: TypeAlias = Callable[..., "Message"]


def message_tools(recent: RecentTimestamps) -> tuple[ReadTimestamps, BuildMessage]:
    """:func:`read_timestamps` and :func:`build_message` for one checker, both reading the
    timestamps through its memo ``recent``: by the compiled core where it is built."""
    if speedups is not None:
        return _compiled_timestamps(speedups, recent), _compiled_build(speedups, recent.parse)
    parse = recent.parse

    # Thin closures, not functools.partial: a partial with a keyword costs a dict per call.
    def read(data: Mapping[str, Any]) -> Timestamps | None:
        return read_timestamps(data, parse)

    def build(
        call: str,
        data: Mapping[str, Any],
        issues: list[Issue],
        semantic: Event | None = None,
        times: Timestamps | None = None,
    ) -> Message:
        return build_message(call, data, issues, semantic, times, parse)

    return read, build


def _compiled_timestamps(core: ModuleType, recent: RecentTimestamps) -> ReadTimestamps:
    """:func:`read_timestamps` by the compiled core, reading the memo's texts first (they are
    cleared in place when full, never replaced); a value that is not a dict goes the Python
    way."""
    reader: ReadTimestamps = core.TimestampReader(
        TIMESTAMP_FIELDS, recent.texts, recent.parse, partial(read_timestamps, parse=recent.parse)
    )
    return reader


_COMMON_FIELDS = (
    "message_id",
    "user_id",
    "anonymous_id",
    "timestamp",
    "sent_at",
    "received_at",
    "original_timestamp",
    "context",
    "integrations",
    "data",
    "issues",
)


def _factory(cls: type[Any], own: tuple[str, ...]) -> Callable[..., Any]:
    """A positional constructor that fills the slots directly.

    Equivalent to ``cls(**fields)`` (every field is given, no defaults apply, nothing is
    computed in ``__init__``) at a third of the cost of a frozen dataclass's ``__init__``,
    which goes through ``object.__setattr__`` once per field. This runs for every message.
    """
    names = (*_COMMON_FIELDS, *own)
    assert set(names) | {"type"} == {f.name for f in fields(cls)}, cls
    if speedups is not None:  # the same constructor, compiled: each value put in its slot
        compiled: Callable[..., Any] = speedups.Maker(cls, names, (("type", cls.__name__.lower()),))
        return compiled
    setters = {f"set_{name}": getattr(cls, name).__set__ for name in (*names, "type")}
    lines = [f"def make({', '.join(names)}):", "    o = new(cls)"]
    lines += [f"    set_{name}(o, {name})" for name in names]
    lines += [f"    set_type(o, {cls.__name__.lower()!r})", "    return o"]
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls, **setters}
    exec("\n".join(lines), namespace)
    made: Callable[..., Any] = namespace["make"]
    return made


_MAKE_TRACK = _factory(Track, ("event", "properties", "semantic"))
_MAKE_IDENTIFY = _factory(Identify, ("traits",))
_MAKE_PAGE = _factory(Page, ("name", "category", "properties"))
_MAKE_SCREEN = _factory(Screen, ("name", "category", "properties"))
_MAKE_GROUP = _factory(Group, ("group_id", "traits"))
_MAKE_ALIAS = _factory(Alias, ("previous_id",))


def build_message(
    call: str,
    data: Mapping[str, Any],
    issues: list[Issue],
    semantic: Event | None = None,
    times: Timestamps | None = None,
    parse: Callable[[object], datetime | None] = parse_timestamp,
) -> Message:
    """Build the typed message for a message that passed validation (``times``: its
    timestamps, when :func:`read_timestamps` has read them already; else ``parse`` reads
    them)."""
    get = data.get
    # The usual values (a non-blank string id, a dict) are taken inline; the helpers decide
    # the rest. This runs for every accepted message.
    message_id = get("message_id")
    user_id = get("user_id")
    anonymous_id = get("anonymous_id")
    context = get("context")
    integrations = get("integrations")
    common = (
        message_id if type(message_id) is str and message_id.strip() else _text_id(message_id),
        user_id if type(user_id) is str and user_id.strip() else _text_id(user_id),
        anonymous_id
        if type(anonymous_id) is str and anonymous_id.strip()
        else _text_id(anonymous_id),
        *(
            times
            or (
                parse(get("timestamp")),
                parse(get("sent_at")),
                parse(get("received_at")),
                parse(get("original_timestamp")),
            )
        ),
        context if type(context) is dict else _mapping(context),
        integrations if type(integrations) is dict else _mapping(integrations),
        data,
        tuple(issues),
    )
    made: Message
    if call == "track":
        properties = get("properties")
        if type(properties) is not dict:
            properties = _mapping(properties)
        made = _MAKE_TRACK(*common, data["event"], properties, semantic)
    elif call == "identify":
        made = _MAKE_IDENTIFY(*common, _mapping(get("traits")))
    elif call == "page":
        made = _MAKE_PAGE(
            *common, _text(get("name")), _text(get("category")), _mapping(get("properties"))
        )
    elif call == "screen":
        made = _MAKE_SCREEN(
            *common, _text(get("name")), _text(get("category")), _mapping(get("properties"))
        )
    elif call == "group":
        made = _MAKE_GROUP(*common, _text_id(data["group_id"]) or "", _mapping(get("traits")))
    else:
        made = _MAKE_ALIAS(*common, _text_id(data["previous_id"]) or "")
    return made


def _compiled_build(
    core: ModuleType, parse: Callable[[object], datetime | None] = parse_timestamp
) -> BuildMessage:
    """:func:`build_message` by the compiled core, with the same helpers for unusual values
    (``parse`` reads the timestamps not read yet)."""
    makers = {
        "track": _MAKE_TRACK,
        "identify": _MAKE_IDENTIFY,
        "page": _MAKE_PAGE,
        "screen": _MAKE_SCREEN,
        "group": _MAKE_GROUP,
        "alias": _MAKE_ALIAS,
    }
    # Called as it is: no Python function around it on the way of every message.
    build: BuildMessage = core.Builder(makers, _text_id, _mapping, _text, parse, TIMESTAMP_FIELDS)
    return build
