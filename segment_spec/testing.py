"""Hypothesis strategies for testing a Segment Direct destination: valid and invalid messages.

Needs Hypothesis, an optional extra: ``pip install 'segment-spec[testing]'``.

A receiver's tests can feed it every shape of message Segment may send, and every message it
must refuse, with the exact reply expected::

    from hypothesis import given
    from segment_spec.testing import Invalid, invalid_messages, messages

    @given(messages())
    def test_accepts(message):
        assert post(message).status_code == 200

    @given(invalid_messages())
    def test_rejects(case: Invalid):
        reply = post_bytes(case.body)
        assert reply.status_code == case.status

Valid messages pass :func:`segment_spec.check` with no issue at all, not even a warning.
Invalid ones each break exactly one rule of :data:`RULES`.
"""

from __future__ import annotations

try:
    from hypothesis import strategies as st
except ImportError:  # the extra is not installed
    raise ImportError(
        "segment_spec.testing needs Hypothesis, an optional extra of segment-spec; "
        "install it with: pip install 'segment-spec[testing]'",
        name="hypothesis",
    ) from None

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone
from functools import cache
from typing import Any, Final, Literal, TypeAlias
from urllib.parse import urljoin

import orjson

from ._catalog import Event, message_schema, resolve_event
from ._catalog import events as _catalog_events
from ._normalize import snake_case
from ._parse import MAX_MESSAGE_BYTES
from ._schemas import BASE_URI, declared_types, declaring, store, validating_keywords
from ._select import CALL_TYPES, supported_calls
from ._timestamps import TIMESTAMP_FIELDS
from ._validate import SchemaError

__all__ = ["RULES", "Invalid", "Wire", "events", "invalid_messages", "messages"]

Wire: TypeAlias = Literal["camel", "snake", "either"]
"""The key style of generated messages: ``"camel"`` as Segment's libraries send them
(``userId``, ``context.userAgent``), ``"snake"`` as Segment forwards them to Direct destinations
(``user_id``), or ``"either"``."""

Json: TypeAlias = Any
Strategy: TypeAlias = st.SearchStrategy[Any]

RULES: Final = (
    "no-ids",
    "track-without-event",
    "event-not-a-string",
    "group-without-group-id",
    "alias-without-user-id",
    "alias-without-previous-id",
    "no-type",
    "type-not-a-string",
    "unknown-type",
    "bad-timestamp",
    "not-an-object",
    "invalid-json",
    "too-large",
    "semantic-type",
)
"""The rules :func:`invalid_messages` can break, one per generated message."""


@dataclass(frozen=True, slots=True)
class Invalid:
    """A message that breaks exactly one rule, with the reply :func:`segment_spec.check` gives.

    Attributes:
        message: The message as a JSON value (a dict, or a list, string, number, ``None`` for
            ``not-an-object``); for ``invalid-json``, the raw bytes.
        rule: The rule it breaks, one of :data:`RULES`.
        status: The HTTP status of the rejection: 400, or 501 for ``unknown-type`` (and, with
            ``supported``, for a call type the receiver does not handle).
        path: Where the first issue of the rejection is, after snake_case normalization:
            ``()`` for the whole message, ``("sent_at",)``, ``("properties", "revenue")``.
        keyword: The first issue's keyword: ``identity``, ``required``, ``type``, ``format``,
            ``unsupported-type``, ``not-an-object``, ``invalid-json`` or ``too-large``.
        strict: True when only ``check(..., strict=True)`` rejects it (``semantic-type``: Segment
            would lose the message for good on a 400, so by default that is a warning).
        supported: The call types of the receiver the reply is claimed for, as
            ``check(..., supported=...)`` takes them; None for one that handles all six. A
            message of another call type is claimed a 501 (``unsupported-type`` at
            ``("type",)``) whatever rule it breaks, unless its body is refused first.

    Send :attr:`body`, not ``message``: ``too-large`` is only too large as bytes, and a JSON
    string is not the same as a Python ``str`` handed to ``check``.

    >>> case = Invalid({"type": "track", "userId": "u1"}, "track-without-event", 400,
    ...                ("event",), "required")
    >>> case.body, case.supported
    (b'{"type":"track","userId":"u1"}', None)
    """

    message: Json
    rule: str
    status: int
    path: tuple[str | int, ...]
    keyword: str
    strict: bool = False
    supported: frozenset[str] | None = None

    @property
    def body(self) -> bytes:
        """The request body to send: the message as compact UTF-8 JSON."""
        if isinstance(self.message, bytes):
            return self.message
        return orjson.dumps(self.message)


# --- keys ----------------------------------------------------------------------------------------


class _Key(str):
    """A custom key of a generated message: its snake_case form, and the form a library sends.

    Generated messages are built in snake_case; :func:`_to_wire` swaps in :attr:`wire` for the
    camelCase form. Equal to (and hashed as) its snake_case form, so two custom keys never
    become one key after normalization.
    """

    wire: str

    def __new__(cls, wire: str) -> _Key:
        key = super().__new__(cls, snake_case(wire))
        key.wire = wire
        return key


@cache
def _camel(key: str) -> str:
    """``user_agent`` -> ``userAgent``, when snake_case brings it back; else the key as it is."""
    head, *rest = key.split("_")
    camel = head + "".join(part[:1].upper() + part[1:] for part in rest)
    return camel if snake_case(camel) == key else key


def _wire_value(value: Json, camel: bool) -> Json:
    """Rebuild a generated value with plain ``str`` keys in the chosen style."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(key, _Key):
                name = key.wire if camel else str(key)
            else:
                name = _camel(key) if camel else key
            out[name] = _wire_value(item, camel)
        return out
    if isinstance(value, list):
        return [_wire_value(item, camel) for item in value]
    return value


def _to_wire(message: Json, camel: bool) -> Json:
    """A generated message in its wire form; the destination names in ``integrations`` are
    sent as they are in both forms."""
    wired = _wire_value(message, camel)
    if isinstance(message, dict) and isinstance(message.get("integrations"), dict):
        integrations = message["integrations"]
        wired["integrations"] = {
            str(name): _wire_value(value, camel) for name, value in integrations.items()
        }
    return wired


def _wire_flags(wire: Wire) -> Strategy:
    if wire == "camel":
        return st.just(True)
    if wire == "snake":
        return st.just(False)
    if wire == "either":
        return st.booleans()
    raise ValueError(f"wire must be 'camel', 'snake' or 'either', not {wire!r}")


# --- values --------------------------------------------------------------------------------------

_WORD_LIST: Final = (
    "plan account billing cart checkout color size theme source medium campaign level score "
    "button label section variant experiment feature flag tier region store channel platform "
    "referral coupon trial seats quota device browser language country city team project "
    "report widget layout step stage reason status priority rating category title genre"
)
_WORDS: Final = tuple(_WORD_LIST.split())
_LETTERS: Final = string.ascii_lowercase
_TEXT_CHARACTERS: Final = st.characters(exclude_categories=["Cs"])  # no lone surrogates


def _key_from_words(words: list[str], style: int) -> str:
    if style == 0:
        return "_".join(words)
    if style == 1:
        return words[0] + "".join(w.capitalize() for w in words[1:])
    if style == 2:
        return " ".join(w.capitalize() for w in words)
    if style == 3:
        return "-".join(words)
    if style == 4:
        return "".join(w.capitalize() for w in words)
    return ".".join(words)


_CUSTOM_KEYS: Final[st.SearchStrategy[_Key]] = st.one_of(
    st.builds(
        _key_from_words,
        st.lists(st.sampled_from(_WORDS), min_size=1, max_size=3),
        st.integers(0, 5),
    ),
    st.builds(
        str.__add__,
        st.sampled_from(_LETTERS),
        st.text(_LETTERS + string.digits, max_size=10),
    ),
).map(_Key)

_PLAIN_TEXT: Final = st.one_of(
    st.builds(" ".join, st.lists(st.sampled_from(_WORDS), min_size=1, max_size=4)),
    st.text(_TEXT_CHARACTERS, max_size=24),
)
_NONBLANK_TEXT: Final = _PLAIN_TEXT.map(lambda text: text if text.strip() else f"{text}value")
_INTEGERS: Final = st.integers(-(2**53), 2**53)
_FLOATS: Final = st.floats(-1e12, 1e12, allow_nan=False, allow_infinity=False)
_AMOUNTS: Final = st.integers(0, 10**7).map(lambda cents: cents / 100)
_NUMBERS: Final = st.one_of(st.integers(0, 10**6), _AMOUNTS, _INTEGERS, _FLOATS)

_UUID4: Final = st.uuids(version=4).map(str)
_HEX_IDS: Final = st.text("0123456789abcdef", min_size=12, max_size=24)
_EMAILS: Final = st.builds(
    "{}.{}@{}".format,
    st.sampled_from(["peter", "ann", "joe", "mia", "li", "sam"]),
    st.sampled_from(_WORDS),
    st.sampled_from(["example.com", "example.org", "initech.example"]),
)
_URLS: Final = st.builds(
    "https://{}/{}".format,
    st.sampled_from(["www.example.com", "shop.example.org", "app.example.net"]),
    st.lists(st.sampled_from(_WORDS), max_size=3).map("/".join),
)
# user ids: what apps use (uuids, database ids, emails) and numbers, which Segment accepts
_USER_IDS: Final = st.one_of(
    _UUID4,
    _HEX_IDS,
    st.builds("user_{}".format, st.integers(1, 10**9)),
    _EMAILS,
    st.integers(1, 2**53),
)
_ANONYMOUS_IDS: Final = st.one_of(_UUID4, _HEX_IDS)
_MESSAGE_IDS: Final = st.one_of(
    _UUID4,
    st.builds("ajs-next-{}".format, st.text("0123456789abcdef", min_size=32, max_size=32)),
    st.builds("node-next-{}-{}".format, st.integers(10**12, 2 * 10**12), _UUID4),  # analytics-node
    st.uuids(version=4).map(lambda u: str(u).upper()),  # the iOS libraries
)


def _timestamp_text(
    day: date, clock: tuple[int, int, int], shape: int, fraction: str, zone: str, sep: str
) -> str:
    day_text = f"{day:%Y-%m-%d}"
    hour, minute, second = clock
    if shape == 0:
        return day_text  # a date alone is midnight UTC
    time = f"{hour:02d}:{minute:02d}"
    if shape >= 2:
        time += f":{second:02d}"
        if shape == 3:
            time += fraction
    return f"{day_text}{sep}{time}{zone}"


_ZONES: Final = st.one_of(
    st.sampled_from(["Z", "Z", "+00:00", "", "z"]),
    st.builds(
        "{}{:02d}{}{:02d}".format,
        st.sampled_from("+-"),
        st.integers(0, 14),
        st.sampled_from([":", ":", ""]),
        st.sampled_from([0, 0, 30, 45]),
    ),
    st.builds("{}{:02d}".format, st.sampled_from("+-"), st.integers(0, 14)),
)
_ANY_ISO_FORM: Final[st.SearchStrategy[str]] = st.builds(
    _timestamp_text,
    st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    st.tuples(st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)),
    st.sampled_from([3, 3, 3, 2, 1, 0]),
    st.builds(
        str.__add__,
        st.sampled_from(".,..."),
        st.sampled_from(range(1, 10)).flatmap(
            lambda n: st.text(string.digits, min_size=n, max_size=n)
        ),
    ),
    _ZONES,
    st.sampled_from(["T", "T", "T", " ", "t"]),
)


_MOMENTS: Final = st.datetimes(
    min_value=datetime(2000, 1, 2),
    max_value=datetime(2099, 12, 30),
    timezones=st.one_of(
        st.just(UTC),
        st.integers(-56, 56).map(lambda quarters: timezone(timedelta(minutes=15 * quarters))),
    ),
)


def _javascript_form(moment: datetime) -> str:
    """``Date.prototype.toISOString()``: analytics.js and analytics-node."""
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def _go_form(moment: datetime) -> str:
    """Go's ``time.RFC3339``: analytics-go."""
    return f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%S}Z"


def _nanosecond_form(moment: datetime, nanoseconds: int) -> str:
    """Nine fraction digits, as Go's ``time.RFC3339Nano`` and Java's ``Instant`` can write."""
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond:06d}{nanoseconds:03d}Z"


# The forms libraries send most (JavaScript's, Python's isoformat, Go's, nanoseconds), then every
# other form the library reads: T, t or a space, no seconds, 1 to 9 fraction digits, any zone.
_TIMESTAMPS: Final[st.SearchStrategy[str]] = st.one_of(
    _MOMENTS.map(_javascript_form),
    _MOMENTS.map(datetime.isoformat),
    _MOMENTS.map(_go_form),
    st.builds(_nanosecond_form, _MOMENTS, st.integers(1, 999)),
    _ANY_ISO_FORM,
)


_JSON_LEAVES: Final = st.one_of(st.none(), st.booleans(), _INTEGERS, _FLOATS, _AMOUNTS, _PLAIN_TEXT)


def _custom_pairs(values: Strategy, reserved: frozenset[str], max_size: int) -> Strategy:
    """Custom members for an object: keys unique after snake_case, none a reserved name."""

    def build(pairs: list[tuple[_Key, Json]]) -> dict[_Key, Json]:
        return {key: value for key, value in pairs if key not in reserved}

    pairs = st.lists(
        st.tuples(_CUSTOM_KEYS, values), max_size=max_size, unique_by=lambda pair: str(pair[0])
    )
    return st.builds(build, pairs)


_CUSTOM_VALUES: Final = st.recursive(
    _JSON_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        _custom_pairs(children, frozenset(), 3),
    ),
    max_leaves=6,
)


def _custom(reserved: frozenset[str] = frozenset(), max_size: int = 4) -> Strategy:
    return _custom_pairs(_CUSTOM_VALUES, reserved, max_size)


def _merge(*parts: Mapping[Any, Json]) -> dict[Any, Json]:
    merged: dict[Any, Json] = {}
    for part in parts:
        merged.update(part)
    return merged


# --- from schemas --------------------------------------------------------------------------------


class _FromSchema:
    """Builds a strategy for the values a bundled schema accepts.

    It reads the schemas through the shared reading of :mod:`segment_spec._schemas` (references,
    declared types, the keywords that can reject a value) and decides nothing: every value it
    makes is judged by the engine, and the tests hold the kit's valid values to ``check()``.
    A keyword it has no strategy for is a :class:`SchemaError` when the strategy is built, so a
    schema change can never make it draw values the schema does not describe.
    """

    def __init__(self) -> None:
        self._refs: dict[tuple[str, str], Strategy] = {}

    def ref(self, base: str, ref: str, name: str) -> Strategy:
        uri = urljoin(base, ref)
        key = (uri, name)
        found = self._refs.get(key)
        if found is None:
            document, node = store().resolve(base, ref)
            holder: list[Strategy] = []
            self._refs[key] = st.deferred(lambda: holder[0])
            found = self.of(node, document, name)
            holder.append(found)
            self._refs[key] = found
        return found

    def of(
        self, node: Mapping[str, Any], base: str, name: str = "", required: bool = False
    ) -> Strategy:
        keywords = validating_keywords(node)
        if "$ref" in node:
            if keywords != {"$ref"}:
                raise SchemaError(f"$ref beside other keywords at {base}")
            return self.ref(base, node["$ref"], name)
        if "anyOf" in node:
            if keywords != {"anyOf"}:
                raise SchemaError(f"anyOf beside other keywords at {base}")
            return st.one_of([self.of(branch, base, name, required) for branch in node["anyOf"]])
        if "then" in node:
            # "null or an object; an object is checked against another schema": the values of
            # the type that ``if`` names come from ``then``, the others from the type alone.
            if keywords - {"type", "if", "then"} or set(node["if"]) != {"type"}:
                raise SchemaError(f"if/then beside other keywords at {base}")
            chosen = node["if"]["type"]
            kinds = declared_types(node) or [chosen]
            return st.one_of(
                [
                    self.of(node["then"], base, name, required)
                    if kind == chosen
                    else self._typed(kind, {}, base, name, required)
                    for kind in kinds
                ]
            )
        unknown = keywords - {"type", "enum", "const", "format", "properties", "required"}
        unknown -= {"items", "additionalProperties"}
        if node.get("format") == "segment-timestamp":
            unknown -= {"pattern"}  # the format's grammar, which _TIMESTAMPS draws from
        if unknown:
            raise SchemaError(f"cannot generate values for {sorted(unknown)} at {base}")
        if "const" in node:
            return st.just(node["const"])
        if "enum" in node:
            return st.sampled_from(node["enum"])
        types = declared_types(node)
        if not types:
            types = ["object"] if "properties" in node else list(_ANY_TYPE)
        return st.one_of([self._typed(kind, node, base, name, required) for kind in types])

    def _typed(
        self, kind: str, node: Mapping[str, Any], base: str, name: str, required: bool
    ) -> Strategy:
        if kind == "object":
            return self.object(node, base)
        if kind == "array":
            if "items" not in node:
                return st.lists(_JSON_LEAVES, max_size=3)
            return st.lists(self.of(node["items"], base, name), max_size=3)
        if kind == "string":
            if node.get("format") == "segment-timestamp":
                return _TIMESTAMPS
            return _strings_for(name, required)
        return _TYPE_STRATEGIES[kind]

    def object(
        self, node: Mapping[str, Any], base: str, extra: Strategy | None = None
    ) -> st.SearchStrategy[dict[Any, Json]]:
        """An object with any subset of the declared properties (and every required one)."""
        properties: Mapping[str, Any] = node.get("properties", {})
        required = set(node.get("required", ()))
        members = {key: self.of(sub, base, key, key in required) for key, sub in properties.items()}
        declared = st.fixed_dictionaries(
            {key: members[key] for key in members if key in required},
            optional={key: members[key] for key in members if key not in required},
        )
        more = node.get("additionalProperties")
        if isinstance(more, Mapping):
            extra = _custom_pairs(self.of(more, base), frozenset(properties), 3)
        elif extra is None and not properties:
            extra = _custom(max_size=3)  # an open object the spec says nothing about
        if extra is None:
            return declared
        return st.builds(_merge, declared, extra)


def _strings_for(name: str, required: bool) -> Strategy:
    """Strings that look like what the property holds, judged by its name."""
    if name == "email" or name.endswith("_email"):
        return _EMAILS
    if name in {"url", "link"} or name.endswith("_url"):
        return _URLS
    if name == "currency":
        return st.sampled_from(["USD", "EUR", "GBP", "JPY", "CAD", "usd"])
    if name == "id" or name.endswith("_id"):
        return st.one_of(_UUID4, _HEX_IDS, st.integers(1, 10**9).map(str))
    return _NONBLANK_TEXT if required else _PLAIN_TEXT


_ANY_TYPE: Final = ("null", "boolean", "integer", "number", "string", "array", "object")
_TYPE_STRATEGIES: Final[dict[str, Strategy]] = {
    "null": st.none(),
    "boolean": st.booleans(),
    "integer": st.one_of(st.integers(0, 10**6), _INTEGERS),
    "number": _NUMBERS,
}


@cache
def _schemas() -> _FromSchema:
    return _FromSchema()


@cache
def _reserved(path: str) -> tuple[Mapping[str, Any], str]:
    return store().by_path(path), BASE_URI + path


@cache
def _reserved_object(path: str) -> Strategy:
    """Reserved names of a reserved/*.json object with their types, plus custom members."""
    node, base = _reserved(path)
    return _schemas().object(node, base, extra=_custom(frozenset(node.get("properties", {}))))


_TRACK_RESERVED: Final = "reserved/track-properties.json"


@cache
def _event_properties(event: Event) -> Strategy:
    """Properties of a semantic event: its schema's, the reserved track ones, custom ones."""
    node, base = store().by_path(event.schema_path), event.schema_id
    track_node, track_base = _reserved(_TRACK_RESERVED)
    own = frozenset(node.get("properties", {}))
    reserved = own | frozenset(track_node.get("properties", {}))
    factory = _schemas()
    # The event's own declaration wins over the reserved one of the same name.
    shared = {k: v for k, v in track_node["properties"].items() if k not in own}
    reserved_part = factory.object({"properties": shared}, track_base, extra=st.just({}))
    return st.builds(_merge, reserved_part, factory.object(node, base, extra=_custom(reserved)))


# --- context -------------------------------------------------------------------------------------

_IPV4: Final = st.ip_addresses(v=4).map(str)
_LOCALES: Final = st.sampled_from(["en-US", "en-GB", "de-DE", "fr-FR", "pt-BR", "ja-JP"])
_TIMEZONES: Final = st.sampled_from(
    ["America/New_York", "Europe/Amsterdam", "Asia/Tokyo", "America/Los_Angeles", "UTC"]
)
_USER_AGENTS: Final = st.sampled_from(
    [
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko)"
        " Chrome/124.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15"
        " (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
    ]
)
_PAGE: Final = st.builds(
    lambda path, title, referrer, search: {
        "path": path,
        "referrer": referrer,
        "search": search,
        "title": title,
        "url": f"https://www.example.com{path}{search}",
    },
    st.lists(st.sampled_from(_WORDS), max_size=3).map(lambda parts: "/" + "/".join(parts)),
    _PLAIN_TEXT,
    st.sampled_from(["", "https://www.google.com/", "https://news.example.org/story"]),
    st.sampled_from(["", "?utm_source=newsletter", "?q=shoes"]),
)
_CHROME_AGENT: Final = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/124.0.0.0 Safari/537.36"
)
_BRANDS: Final = st.lists(
    st.fixed_dictionaries(
        {
            "brand": st.sampled_from(["Chromium", "Google Chrome", "Not-A.Brand"]),
            "version": st.integers(99, 130).map(str),
        }
    ),
    max_size=3,
)
# Chrome adds Client Hints (userAgentData) when it supports them; Firefox and Safari do not.
_BROWSER_AGENTS: Final = st.one_of(
    st.fixed_dictionaries(
        {"user_agent": st.just(_CHROME_AGENT)},
        optional={
            "user_agent_data": st.fixed_dictionaries(
                {"brands": _BRANDS, "mobile": st.just(False), "platform": st.just("macOS")}
            )
        },
    ),
    st.fixed_dictionaries({"user_agent": _USER_AGENTS}),
)
_CONTEXT_EXTRAS: Final = {
    "timezone": _TIMEZONES,
    "campaign": st.fixed_dictionaries(
        {"name": _PLAIN_TEXT, "source": st.sampled_from(["newsletter", "google"])},
        optional={"medium": st.sampled_from(["email", "cpc"]), "term": _PLAIN_TEXT},
    ),
    "referrer": st.fixed_dictionaries({"id": _HEX_IDS, "type": st.sampled_from(["dataxu"])}),
    "group_id": _HEX_IDS,
    "active": st.booleans(),
    "consent": st.fixed_dictionaries(
        {
            "category_preferences": st.dictionaries(
                # category names are keys too: Segment snake_cases them
                st.sampled_from(["Advertising", "Analytics", "Functional"]).map(_Key),
                st.booleans(),
            )
        }
    ),
    "protocols": st.fixed_dictionaries({"event_version": st.integers(1, 9)}),
    "external_ids": st.lists(
        st.fixed_dictionaries(
            {
                "id": _UUID4,
                "type": st.sampled_from(["email", "ga_client_id"]),
                "collection": st.sampled_from(["users", "accounts"]),
                "encoding": st.just("none"),
            }
        ),
        max_size=2,
    ),
}


# (device type, manufacturers, models, libraries, library versions, os name, os versions)
_MOBILE: Final = (
    (
        "ios",
        ["Apple"],
        ["iPhone15,2", "iPhone16,1", "iPad13,4"],
        ["analytics-ios", "analytics-swift"],
        ["4.1.8", "1.5.11"],
        "iOS",
        ["17.4.1", "16.7.2"],
    ),
    (
        "android",
        ["Google", "samsung"],
        ["Pixel 8", "SM-S918B"],
        ["analytics-android", "analytics-kotlin"],
        ["4.11.3", "1.14.2"],
        "Android",
        ["14", "13"],
    ),
)
_APP: Final = st.fixed_dictionaries(
    {
        "name": st.just("InitechGlobal"),
        "version": st.sampled_from(["3.0.1", "545"]),
        "build": st.integers(1, 9999).map(str),
    },
    optional={"namespace": st.just("com.example.initech")},
)
_NETWORK: Final = st.fixed_dictionaries(
    {"wifi": st.booleans(), "cellular": st.booleans()},
    optional={"bluetooth": st.booleans(), "carrier": st.sampled_from(["T-Mobile", "Vodafone"])},
)
_SCREEN: Final = st.fixed_dictionaries(
    {
        "width": st.integers(320, 1440),
        "height": st.integers(480, 3200),
        "density": st.sampled_from([1, 2, 3, 2.625]),
    }
)


@cache
def _contexts() -> Strategy:
    traits = _reserved_object("reserved/identify-traits.json")
    extras = {**_CONTEXT_EXTRAS, "traits": traits}
    browser = st.fixed_dictionaries(
        {
            "library": st.fixed_dictionaries(
                {
                    "name": st.just("analytics.js"),
                    "version": st.sampled_from(["next-1.70.0", "2.11.1", "4.1.0"]),
                }
            ),
            "ip": _IPV4,
            "locale": _LOCALES,
            "page": _PAGE,
        },
        optional=extras,
    )
    browser = st.builds(_merge, browser, _BROWSER_AGENTS)
    mobile = st.one_of(
        [
            st.fixed_dictionaries(
                {
                    "app": _APP,
                    "device": st.fixed_dictionaries(
                        {
                            "id": st.uuids(version=4).map(lambda u: str(u).upper()),
                            "manufacturer": st.sampled_from(manufacturers),
                            "model": st.sampled_from(models),
                            "type": st.just(kind),
                        },
                        optional={
                            "advertising_id": _UUID4,
                            "ad_tracking_enabled": st.booleans(),
                            "name": _PLAIN_TEXT,
                            "token": _HEX_IDS,
                        },
                    ),
                    "library": st.fixed_dictionaries(
                        {"name": st.sampled_from(libraries), "version": st.sampled_from(versions)}
                    ),
                    "locale": _LOCALES,
                    "network": _NETWORK,
                    "os": st.fixed_dictionaries(
                        {"name": st.just(os_name), "version": st.sampled_from(os_versions)}
                    ),
                    "screen": _SCREEN,
                },
                optional={**extras, "ip": _IPV4},
            )
            for kind, manufacturers, models, libraries, versions, os_name, os_versions in _MOBILE
        ]
    )
    server = st.fixed_dictionaries(
        {
            "library": st.fixed_dictionaries(
                {
                    "name": st.sampled_from(
                        ["analytics-node", "analytics-python", "analytics-go", "analytics-ruby"]
                    ),
                    "version": st.sampled_from(["6.2.0", "2.3.4", "3.0.0"]),
                }
            )
        },
        optional={**extras, "ip": _IPV4, "user_agent": _USER_AGENTS},
    )
    custom = _custom(frozenset(store().by_path("reserved/context.json")["properties"]), 2)
    return st.builds(_merge, st.one_of(browser, mobile, server), custom)


# --- messages ------------------------------------------------------------------------------------

_INTEGRATIONS: Final = st.dictionaries(
    st.sampled_from(["All", "Mixpanel", "Salesforce", "Google Analytics", "Amplitude"]),
    st.one_of(
        st.booleans(),
        st.fixed_dictionaries({}, optional={"client_id": _HEX_IDS, "session_id": _INTEGERS}),
    ),
    max_size=3,
)
_COMMON_OPTIONAL: Final = {
    "integrations": _INTEGRATIONS,
    "channel": st.sampled_from(["browser", "server", "mobile", "client"]),
    "version": st.sampled_from([2, "1.1", 1.1]),
}
# Segment forwards all four timestamps; a message straight from a library has fewer.
_TIMES: Final = st.one_of(
    st.fixed_dictionaries({name: _TIMESTAMPS for name in TIMESTAMP_FIELDS}),
    st.fixed_dictionaries({}, optional={name: _TIMESTAMPS for name in TIMESTAMP_FIELDS}),
)
# user_id, anonymous_id or both; the other one is sometimes sent as null (analytics-python).
_IDENTITIES: Final = st.one_of(
    st.fixed_dictionaries({"user_id": _USER_IDS}, optional={"anonymous_id": st.none()}),
    st.fixed_dictionaries({"anonymous_id": _ANONYMOUS_IDS}, optional={"user_id": st.none()}),
    st.fixed_dictionaries({"user_id": _USER_IDS, "anonymous_id": _ANONYMOUS_IDS}),
)


def _not_semantic(name: str) -> str:
    event, _ = resolve_event(name)
    return name if event is None else f"{name} (custom)"


_CUSTOM_EVENT_NAMES: Final = st.one_of(
    st.sampled_from(["Button Clicked", "Report Submitted", "Course Clicked", "Played a Song"]),
    st.builds(
        "{} {}".format,
        st.sampled_from(_WORDS).map(str.capitalize),
        st.sampled_from(["Clicked", "Viewed", "Updated", "Exported", "Shared"]),
    ),
    _NONBLANK_TEXT,
).map(_not_semantic)


@cache
def _semantic_names() -> tuple[str, ...]:
    return tuple(name for e in _catalog_events() for name in (e.name, *e.legacy_names))


@cache
def _semantic_track(name: str) -> Strategy:
    event, exact = resolve_event(name)
    assert event is not None, name
    assert exact, name
    return st.fixed_dictionaries({"event": st.just(name), "properties": _event_properties(event)})


@cache
def _call_fields(call: str) -> Strategy:
    """The fields particular to one call type."""
    if call == "identify":
        traits = _reserved_object("reserved/identify-traits.json")
        return st.fixed_dictionaries({}, optional={"traits": traits})
    if call == "group":
        traits = _reserved_object("reserved/group-traits.json")
        return st.fixed_dictionaries({"group_id": _USER_IDS}, optional={"traits": traits})
    if call == "alias":
        return st.fixed_dictionaries(
            {"previous_id": st.one_of(_ANONYMOUS_IDS, _USER_IDS)},
            optional={"anonymous_id": _ANONYMOUS_IDS},
        )
    if call in {"page", "screen"}:
        properties = _reserved_object(f"reserved/{call}-properties.json")
        return st.fixed_dictionaries(
            {},
            optional={
                "name": st.one_of(_PLAIN_TEXT, st.none()),
                "category": st.one_of(_PLAIN_TEXT, st.none()),
                "properties": properties,
            },
        )
    custom = st.fixed_dictionaries(
        {"event": _CUSTOM_EVENT_NAMES},
        optional={"properties": _reserved_object(_TRACK_RESERVED)},
    )
    semantic = st.sampled_from(_semantic_names()).flatmap(_semantic_track)
    return st.one_of(custom, semantic)


@cache
def _snake_messages(call: str, event: str | None) -> Strategy:
    """Valid messages of one call type, in snake_case, with custom keys as :class:`_Key`."""
    common = st.fixed_dictionaries(
        {"type": st.just(call), "message_id": _MESSAGE_IDS, "context": _contexts()},
        optional=_COMMON_OPTIONAL,
    )
    fields = _semantic_track(event) if event is not None else _call_fields(call)
    if call == "alias":
        identity: Strategy = st.fixed_dictionaries({"user_id": _USER_IDS})
    else:
        identity = _IDENTITIES
    return st.builds(_merge, common, identity, _TIMES, fields)


def _snake_any(call: str | None, event: str | None) -> Strategy:
    if event is not None:
        return _snake_messages("track", event)
    if call is not None:
        return _snake_messages(call, None)
    return st.one_of([_snake_messages(name, None) for name in CALL_TYPES])


def _check_names(call: str | None, event: str | None) -> None:
    if call is not None and call not in CALL_TYPES:
        raise ValueError(f"call must be one of {', '.join(CALL_TYPES)} or None, not {call!r}")
    if event is None:
        return
    if call not in (None, "track"):
        raise ValueError(f"a semantic event is sent in a track call, not in a {call} call")
    if resolve_event(event)[1]:
        return
    message_schema(event)  # raises UnknownSchemaName, with the nearest names
    raise ValueError(f"{event!r} is a call type, not a semantic event; use call={event!r}")


def messages(
    call: str | None = None, *, event: str | None = None, wire: Wire = "either"
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid Segment messages, as JSON-ready dicts: each passes ``check`` with no issue.

    Args:
        call: Only this call type (``"identify"``, ``"track"``, ...); None for all six.
        event: Only track calls of this semantic event (a current or legacy name, exact).
        wire: ``"camel"`` (what Segment's libraries send: ``userId``, ``context.userAgent``,
            custom keys as people write them, ``"Total Billed"``), ``"snake"`` (what Segment
            forwards to a Direct destination), or ``"either"``.

    The messages carry a realistic context (analytics.js, a mobile library or a server
    library), uuid4 or database-style ids (user ids are sometimes numbers), timestamps in every
    ISO-8601 form Segment's senders use, semantic event properties drawn from the event schemas
    and custom keys that stay distinct after snake_case.

    Raises ``ValueError`` for an unknown call type or wire form and
    :class:`segment_spec.UnknownSchemaName` for an unknown event.

    >>> from segment_spec.testing import messages
    >>> strategy = messages("group", wire="camel")
    """
    _check_names(call, event)
    flags = _wire_flags(wire)
    return st.builds(_to_wire, _snake_any(call, event), flags)


def events(name: str | None = None, *, wire: Wire = "either") -> st.SearchStrategy[dict[str, Any]]:
    """Valid track calls of semantic events: all of them (current and legacy names), or one.

    >>> from segment_spec.testing import events
    >>> strategy = events("Order Completed")
    """
    if name is not None:
        return messages("track", event=name, wire=wire)
    semantic = st.sampled_from(_semantic_names()).flatmap(
        lambda event: _snake_messages("track", event)
    )
    return st.builds(_to_wire, semantic, _wire_flags(wire))


# --- invalid messages ----------------------------------------------------------------------------

_MISSING: Final = object()
# A missing field, or one that counts as missing: null, "" or only whitespace.
_ABSENT: Final = st.sampled_from([_MISSING, None, "", " ", "\t\n"])
_NOT_STRINGS: Final[Strategy] = st.one_of(
    st.integers(-(2**31), 2**31),
    _AMOUNTS,
    st.booleans(),
    st.just({}),
    st.lists(_PLAIN_TEXT, max_size=2),
)
_IDENTIFIED_CALLS: Final = ("identify", "track", "page", "screen", "group")
_UNKNOWN_TYPES: Final = st.one_of(
    st.sampled_from(["delete", "batch", "event", "pageview", "merge", "trackEvent", "Tracks"]),
    st.builds("{}_call".format, _PLAIN_TEXT),
)
_BAD_TIMESTAMP_TEXT: Final = st.one_of(
    st.sampled_from(
        [
            "NOW",
            "yesterday",
            "2017",
            "2015-2-02T00:30:08Z",
            "12/25/2024 10:00",
            "2024-13-01T00:00:00Z",
            "2024-02-30",
            "2024-01-01T24:00:00Z",
            "2024-01-01T10:00:00+25:00",
            "2024-01-01T10:00:00.1234567890Z",
        ]
    ),
    st.builds("{}Q".format, _TIMESTAMPS),  # a date followed by something else
)
# (value, keyword): text that is no date and numbers beyond year 9999 are "format"; a boolean,
# an object or an array is the wrong type.
_BAD_TIMESTAMPS: Final = st.one_of(
    st.tuples(_BAD_TIMESTAMP_TEXT, st.just("format")),
    st.tuples(st.integers(10**15, 10**17), st.just("format")),
    st.tuples(st.sampled_from([True, False, {}, [], ["2024-01-01"]]), st.just("type")),
)


def _replaced(message: dict[Any, Json], changes: Mapping[str, Any]) -> dict[Any, Json]:
    """The message with fields set, or dropped when their new value is ``_MISSING``."""
    changed = dict(message)
    for name, value in changes.items():
        changed.pop(name, None)
        if value is not _MISSING:
            changed[name] = value
    return changed


def _field_rule(
    rule: str, calls: tuple[str, ...], name: str, values: Strategy, keyword: str, wire: Strategy
) -> st.SearchStrategy[Invalid]:
    """Messages of the calls given whose field ``name`` takes one of ``values``."""

    def build(message: dict[Any, Json], value: Json, camel: bool) -> Invalid:
        broken = _to_wire(_replaced(message, {name: value}), camel)
        status = 501 if keyword == "unsupported-type" else 400
        return Invalid(broken, rule, status, (name,), keyword)

    base = st.one_of([_snake_messages(call, None) for call in calls])
    return st.builds(build, base, values, wire)


def _no_ids(wire: Strategy) -> st.SearchStrategy[Invalid]:
    def build(message: dict[Any, Json], user: Json, anonymous: Json, camel: bool) -> Invalid:
        broken = _replaced(message, {"user_id": user, "anonymous_id": anonymous})
        return Invalid(_to_wire(broken, camel), "no-ids", 400, (), "identity")

    base = st.one_of([_snake_messages(call, None) for call in _IDENTIFIED_CALLS])
    return st.builds(build, base, _ABSENT, _ABSENT, wire)


def _bad_timestamp(wire: Strategy) -> st.SearchStrategy[Invalid]:
    def build(message: dict[Any, Json], name: str, bad: tuple[Json, str], camel: bool) -> Invalid:
        value, keyword = bad
        broken = _to_wire(_replaced(message, {name: value}), camel)
        return Invalid(broken, "bad-timestamp", 400, (name,), keyword)

    return st.builds(
        build, _snake_any(None, None), st.sampled_from(TIMESTAMP_FIELDS), _BAD_TIMESTAMPS, wire
    )


def _not_an_object(wire: Strategy) -> st.SearchStrategy[Invalid]:
    def build(value: Json) -> Invalid:
        return Invalid(value, "not-an-object", 400, (), "not-an-object")

    # A batch posted as a bare array is the realistic case; then any other JSON value.
    batch = st.builds(_to_wire, _snake_any(None, None), wire).map(lambda message: [message])
    return st.builds(build, st.one_of(batch, _JSON_LEAVES, st.lists(_JSON_LEAVES, max_size=3)))


def _invalid_json(wire: Strategy) -> st.SearchStrategy[Invalid]:
    def build(message: Json, camel: bool, cut: float, trailing: bool) -> Invalid:
        body = orjson.dumps(_to_wire(message, camel))
        # Any proper prefix of an object is incomplete; a second "}" is trailing data.
        broken = body + b"}" if trailing else body[: int(len(body) * cut)]
        return Invalid(broken, "invalid-json", 400, (), "invalid-json")

    return st.builds(build, _snake_any(None, None), wire, st.floats(0, 0.999), st.booleans())


def _too_large(wire: Strategy) -> st.SearchStrategy[Invalid]:
    def build(message: dict[Any, Json], extra: int, camel: bool) -> Invalid:
        # Free-form data grows: properties, or traits, or (alias) the context.
        holder = {"identify": "traits", "group": "traits", "alias": "context"}.get(
            message["type"], "properties"
        )
        inner = message.get(holder)
        padded = dict(inner) if isinstance(inner, Mapping) else {}
        padded["long_text"] = "lorem ipsum " * ((MAX_MESSAGE_BYTES + extra) // 12 + 1)
        broken = _to_wire({**message, holder: padded}, camel)
        return Invalid(broken, "too-large", 400, (), "too-large")

    return st.builds(build, _snake_any(None, None), st.integers(1, 8192), wire)


_WRONG_VALUES: Final = (
    ("string", "a string"),
    ("integer", 42),
    ("number", 4.5),
    ("boolean", True),
    ("object", {"unexpected": "object"}),
    ("array", ["unexpected"]),
)


@cache
def _semantic_targets() -> tuple[tuple[str, str, tuple[Json, ...]], ...]:
    """(event, top-level property, values of a wrong type) for each simply typed property."""
    targets = []
    for event in _catalog_events():
        node = store().by_path(event.schema_path)
        for key, sub in node.get("properties", {}).items():
            accepted = set(declared_types(declaring(store().resolve, sub, event.schema_id)[1]))
            if not accepted:
                continue  # anyOf: no single type to break
            if "number" in accepted:
                accepted.add("integer")  # 42 is a number too
            wrong = tuple(value for kind, value in _WRONG_VALUES if kind not in accepted)
            targets.append((event.name, key, wrong))
    return tuple(targets)


def _semantic_type(wire: Strategy) -> st.SearchStrategy[Invalid]:
    def for_target(target: tuple[str, str, tuple[Json, ...]]) -> st.SearchStrategy[Invalid]:
        name, key, wrong = target

        def build(message: dict[Any, Json], value: Json, camel: bool) -> Invalid:
            properties = dict(message.get("properties") or {})
            properties[key] = value
            broken = _to_wire({**message, "properties": properties}, camel)
            path = ("properties", key)
            return Invalid(broken, "semantic-type", 400, path, "type", strict=True)

        return st.builds(build, _snake_messages("track", name), st.sampled_from(wrong), wire)

    return st.sampled_from(_semantic_targets()).flatmap(for_target)


def _rule(rule: str, wire: Strategy) -> st.SearchStrategy[Invalid]:
    if rule == "no-ids":
        return _no_ids(wire)
    if rule == "track-without-event":
        return _field_rule(rule, ("track",), "event", _ABSENT, "required", wire)
    if rule == "event-not-a-string":
        return _field_rule(rule, ("track",), "event", _NOT_STRINGS, "type", wire)
    if rule == "group-without-group-id":
        return _field_rule(rule, ("group",), "group_id", _ABSENT, "required", wire)
    if rule == "alias-without-user-id":
        return _field_rule(rule, ("alias",), "user_id", _ABSENT, "required", wire)
    if rule == "alias-without-previous-id":
        return _field_rule(rule, ("alias",), "previous_id", _ABSENT, "required", wire)
    if rule == "no-type":
        return _field_rule(rule, CALL_TYPES, "type", _ABSENT, "required", wire)
    if rule == "type-not-a-string":
        return _field_rule(rule, CALL_TYPES, "type", _NOT_STRINGS, "type", wire)
    if rule == "unknown-type":
        return _field_rule(rule, CALL_TYPES, "type", _UNKNOWN_TYPES, "unsupported-type", wire)
    if rule == "bad-timestamp":
        return _bad_timestamp(wire)
    if rule == "not-an-object":
        return _not_an_object(wire)
    if rule == "invalid-json":
        return _invalid_json(wire)
    if rule == "too-large":
        return _too_large(wire)
    if rule == "semantic-type":
        return _semantic_type(wire)
    raise ValueError(f"unknown rule {rule!r}; the rules are {', '.join(RULES)}")


# The rules whose fault check finds while reading the body, before it reads the call type: a
# receiver refuses these with a 400 whatever call types it supports.
_BODY_FAULTS: Final = frozenset({"invalid-json", "too-large", "not-an-object"})


def _for_receiver(case: Invalid, supported: frozenset[str]) -> Invalid:
    """The case as a receiver that handles only ``supported`` must answer it.

    check reads the body (invalid JSON, too large, not an object: 400), then the call type:
    no usable ``type`` is a 400 and a type that names no call a 501 whatever is supported,
    while a call it does not support is a 501 before any of the call's own rules is looked at.
    """
    if case.rule in _BODY_FAULTS or not isinstance(case.message, dict):
        return replace(case, supported=supported)
    kind = case.message.get("type")
    if type(kind) is str and kind in CALL_TYPES and kind not in supported:
        return replace(
            case,
            status=501,
            path=("type",),
            keyword="unsupported-type",
            supported=supported,
        )
    return replace(case, supported=supported)


def invalid_messages(
    rule: str | None = None,
    *,
    wire: Wire = "either",
    supported: Iterable[str] | None = None,
) -> st.SearchStrategy[Invalid]:
    """Messages that each break exactly one rule, as :class:`Invalid` cases.

    Each case says what :func:`segment_spec.check` answers (``check(case.body,
    strict=case.strict, supported=case.supported)``): the status, and the path and keyword of
    the first issue. Apart from the broken rule the message is one that :func:`messages`
    could give.

    Args:
        rule: Only this rule (one of :data:`RULES`); None for all of them.
        wire: ``"camel"``, ``"snake"`` or ``"either"``, as for :func:`messages`.
        supported: The call types the receiver under test handles, as
            ``check(..., supported=...)`` takes them (None: all six). Each case then claims the
            reply such a receiver must give: a message of a call type outside ``supported`` is
            a 501, ``unsupported-type`` at ``("type",)``, whatever rule it breaks, except for
            the faults ``check`` finds before it reads the call type, which keep their 400:
            ``invalid-json``, ``too-large`` and ``not-an-object`` (the body), and ``no-type``
            and ``type-not-a-string`` (no call type to compare). ``unknown-type`` is a 501
            either way. Raises ``TypeError`` or ``ValueError`` for a bad ``supported``, as
            ``check`` does.

    The rules:

    - ``no-ids``: identify, track, page, screen or group with neither ``user_id`` nor
      ``anonymous_id`` (each missing, null, ``""`` or whitespace): 400 at ``()``, ``identity``.
    - ``track-without-event``, ``group-without-group-id``, ``alias-without-user-id``,
      ``alias-without-previous-id``, ``no-type``: that field missing, null, ``""`` or
      whitespace: 400 at the field, ``required``.
    - ``event-not-a-string``, ``type-not-a-string``: a number, boolean, object or array:
      400 at the field, ``type``.
    - ``unknown-type``: a ``type`` naming no call (``"delete"``): 501 at ``("type",)``,
      ``unsupported-type``.
    - ``bad-timestamp``: one of ``timestamp``, ``sent_at``, ``received_at``,
      ``original_timestamp`` is no date (``"NOW"``, month 13, beyond year 9999): 400,
      ``format``; or a boolean, object or array: 400, ``type``.
    - ``not-an-object``: a JSON array (a batch sent bare), string, number, boolean or null.
    - ``invalid-json``: a truncated body, or one with trailing data (``message`` is bytes).
    - ``too-large``: a body over Segment's 32 KiB limit for one message.
    - ``semantic-type``: a semantic event property of the wrong type, such as a string
      ``revenue``: rejected only with ``strict=True``, 400 at ``("properties", name)``, ``type``.

    >>> from segment_spec.testing import invalid_messages
    >>> strategy = invalid_messages("no-ids", wire="camel")
    >>> for_track_only = invalid_messages(supported={"track"})
    """
    allowed = supported_calls(supported)
    flags = _wire_flags(wire)
    cases = _rule(rule, flags) if rule is not None else st.one_of([_rule(n, flags) for n in RULES])
    if allowed is None:
        return cases
    return cases.map(lambda case: _for_receiver(case, allowed))
