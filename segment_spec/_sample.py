"""Sample: one realistic, deterministic example message for any call type or semantic event.

A sample is what a Direct destination receives: the message a library sends (the context
analytics.js or a mobile library fills in, the timestamps Segment adds), with every key in
snake_case as Segment forwards it; or, asked for, in the camelCase wire form Segment's libraries
send (``messageId``, ``context.userAgent``). Event properties come from the event schema's first
example, in snake_case as the spec pages show them.

The sample is built in the camelCase form and the package's normalizer makes the snake_case one,
so the two can never disagree about a key. Ids and times are derived from a hash of the name, so
a name always gives the same sample.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Final, Literal, TypeAlias

from ._catalog import events, message_schema
from ._normalize import normalize
from ._select import CALL_TYPES

__all__ = ["SampleWire", "sample", "sample_names"]

SampleWire: TypeAlias = Literal["snake", "camel"]
"""The key style of a sample: ``"snake"`` as Segment forwards messages to a Direct destination,
``"camel"`` as Segment's libraries send them."""

# Every sample happens on one day of 2024; the name's hash picks the second and millisecond.
_DAY: Final = datetime(2024, 5, 14, tzinfo=UTC)

_CHROME: Final = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
_IPHONE_MAIL: Final = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148"
)


class _Seed:
    """Deterministic numbers and ids for one name: each use hashes the name with its purpose,
    so no two fields share digits."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name.encode("utf-8", "surrogatepass")

    def _digest(self, purpose: str) -> bytes:
        return hashlib.sha256(purpose.encode("ascii") + b"\0" + self._name).digest()

    def number(self, purpose: str, modulo: int) -> int:
        return int.from_bytes(self._digest(purpose)[:8], "big") % modulo

    def uuid(self, purpose: str) -> str:
        return str(uuid.UUID(bytes=self._digest(purpose)[:16], version=4))

    def hex(self, purpose: str, length: int) -> str:
        return self._digest(purpose).hex()[:length]


def _iso(moment: datetime) -> str:
    """``Date.prototype.toISOString()``'s form, which analytics.js and the mobile libraries send."""
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def _times(seed: _Seed) -> dict[str, str]:
    # The device's clock calls (originalTimestamp), then sends (sentAt); Segment receives
    # (receivedAt) and corrects the device clock's skew (timestamp).
    called = _DAY + timedelta(
        seconds=seed.number("second", 86_400), milliseconds=seed.number("ms", 1000)
    )
    sent = called + timedelta(milliseconds=40 + seed.number("send delay", 400))
    skew = timedelta(milliseconds=seed.number("clock skew", 3000) - 1500)
    received = sent + skew
    return {
        "originalTimestamp": _iso(called),
        "sentAt": _iso(sent),
        "receivedAt": _iso(received),
        "timestamp": _iso(called + skew),
    }


def _browser_context(seed: _Seed) -> dict[str, Any]:
    return {
        "ip": f"203.0.113.{seed.number('ip', 254) + 1}",
        "library": {"name": "analytics.js", "version": "next-1.70.0"},
        "locale": "en-US",
        "page": {
            "path": "/academy/",
            "referrer": "https://www.google.com/",
            "search": "",
            "title": "Analytics Academy",
            "url": "https://www.example.com/academy/",
        },
        "timezone": "America/New_York",
        "userAgent": _CHROME,
        "userAgentData": {
            "brands": [
                {"brand": "Chromium", "version": "124"},
                {"brand": "Google Chrome", "version": "124"},
                {"brand": "Not-A.Brand", "version": "99"},
            ],
            "mobile": False,
            "platform": "macOS",
        },
    }


def _mobile_context(seed: _Seed) -> dict[str, Any]:
    return {
        "app": {
            "build": "545",
            "name": "InitechGlobal",
            "namespace": "com.example.initech",
            "version": "3.0.1",
        },
        "device": {
            "adTrackingEnabled": False,
            "id": seed.uuid("device id").upper(),
            "manufacturer": "Apple",
            "model": "iPhone15,2",
            "name": "iPhone",
            "type": "ios",
        },
        "ip": f"198.51.100.{seed.number('ip', 254) + 1}",
        "library": {"name": "analytics-ios", "version": "4.1.8"},
        "locale": "en-US",
        "network": {"bluetooth": False, "carrier": "T-Mobile", "cellular": False, "wifi": True},
        "os": {"name": "iOS", "version": "17.4.1"},
        "screen": {"density": 3, "height": 844, "width": 390},
        "timezone": "America/Los_Angeles",
    }


def _email_context(seed: _Seed) -> dict[str, Any]:
    # Email events come from an email tool's server, about the reader's open or click.
    return {
        "ip": f"192.0.2.{seed.number('ip', 254) + 1}",
        "library": {"name": "analytics-node", "version": "6.2.0"},
        "traits": {"email": "peter@example.com"},
        "userAgent": _IPHONE_MAIL,
    }


def _call_fields(call: str, seed: _Seed) -> dict[str, Any]:
    if call == "identify":
        return {
            "traits": {
                "name": "Peter Gibbons",
                "email": "peter@example.com",
                "plan": "premium",
                "logins": 5,
                "address": {
                    "street": "6th St",
                    "city": "San Francisco",
                    "state": "CA",
                    "postal_code": "94103",
                    "country": "USA",
                },
            }
        }
    if call == "page":
        return {
            "name": "Analytics Academy",
            "properties": {
                "path": "/academy/",
                "referrer": "https://www.google.com/",
                "search": "",
                "title": "Analytics Academy",
                "url": "https://www.example.com/academy/",
            },
        }
    if call == "screen":
        return {"name": "Home", "properties": {"variation": "blue signup button"}}
    if call == "group":
        return {
            "groupId": f"acct_{seed.hex('group id', 10)}",
            "traits": {"name": "Initech", "industry": "Technology", "employees": 329},
        }
    if call == "alias":
        return {"previousId": seed.uuid("anonymous id")}
    return {"event": "Report Submitted", "properties": {"report_id": seed.hex("report id", 8)}}


@cache
def _by_folded() -> dict[str, str]:
    """Every name a sample can be asked for, case-folded and trimmed, and the name itself."""
    found: dict[str, str] = {}
    for name in sample_names():
        found[name.strip().casefold()] = name
    return found


def sample_names() -> tuple[str, ...]:
    """Every name :func:`sample` takes, in its proper case: the six call types, then each
    semantic event (in the catalog's order) followed by its legacy names.

    >>> from segment_spec._sample import sample_names
    >>> names = sample_names()
    >>> names[:7], len(names)
    (('identify', 'track', 'page', 'screen', 'group', 'alias', 'Experiment Viewed'), 106)
    >>> names.index("Completed Order") - names.index("Order Completed")
    1
    """
    names = list(CALL_TYPES)
    for event in events():
        names += (event.name, *event.legacy_names)
    return tuple(names)


def sample(name: str, *, wire: SampleWire = "snake") -> dict[str, Any]:
    """A realistic example message for a call type or a semantic event, always the same.

    ``name`` is a call type (``"identify"``, ``"track"``, ``"page"``, ``"screen"``,
    ``"group"``, ``"alias"``) or a semantic event name, current or legacy, in any letter case
    and with any surrounding spaces (``"order completed "`` finds Order Completed). An event
    gives a track call whose ``event`` is the name asked for, in its proper case: a sender on
    the legacy spec sends ``"Completed Order"``, and Segment forwards it as it is. Its
    ``properties`` are the first example of the event's schema.

    ``wire="snake"`` (the default) gives the message as Segment forwards it to a Direct
    destination: every key at every depth in snake_case (``message_id``,
    ``context.user_agent``), but the destination names that key ``integrations``.
    ``wire="camel"`` gives it as Segment's libraries send it: camelCase top-level and context
    keys (``messageId``, ``anonymousId``, ``userAgent``), properties and traits in snake_case
    as the spec pages show them. Either way it has the context analytics.js fills in (a mobile
    library's for ``screen`` and mobile events) and ISO-8601 timestamps. Ids and times come
    from a hash of the name, so the same name gives the same message, byte for byte, on every
    run. Each call returns a new dict; every sample passes :func:`segment_spec.check` with no
    issues, in both forms.

    Raises :class:`segment_spec.UnknownSchemaName` (a ``LookupError``, with the nearest names)
    for any other name, ``TypeError`` when ``name`` is not a string and ``ValueError`` for
    another ``wire``. :func:`sample_names` lists the names.

    >>> from segment_spec import sample
    >>> message = sample("Order Completed")
    >>> message["type"], message["event"], message["properties"]["order_id"]
    ('track', 'Order Completed', '50314b8e9bcf000000000000')
    >>> sample("completed order")["event"]
    'Completed Order'
    >>> sample("identify")["context"]["user_agent_data"]["platform"]
    'macOS'
    >>> sample("identify", wire="camel")["context"]["userAgentData"]["platform"]
    'macOS'
    """
    if wire not in ("snake", "camel"):
        raise ValueError(f"wire must be 'snake' or 'camel', not {wire!r}")
    message = _camel_sample(_proper_name(name))
    if wire == "camel":
        return message
    # The package's own normalizer: the snake_case form is exactly what check would make of
    # the camelCase one (integrations keep their keys).
    snake: dict[str, Any] = normalize(message).value
    return snake


def _proper_name(name: str) -> str:
    """The name as :func:`sample_names` spells it; raises as :func:`message_schema` does."""
    if isinstance(name, str):
        proper = _by_folded().get(name.strip().casefold())
        if proper is not None:
            return proper
    message_schema(name)  # raises TypeError, or UnknownSchemaName with the nearest names
    raise AssertionError(f"{name!r} is a message schema but no sample name")  # pragma: no cover


def _camel_sample(name: str) -> dict[str, Any]:
    """The sample of a name as :func:`sample_names` spells it, in the camelCase wire form."""
    found = message_schema(name)
    seed = _Seed(name)
    is_event = name not in CALL_TYPES
    spec = found.get("x-spec") if is_event else None
    call = "track" if is_event else name
    if spec == "email":
        context = _email_context(seed)
        message_id = seed.uuid("message id")
    elif call == "screen" or spec == "mobile":
        context = _mobile_context(seed)
        message_id = seed.uuid("message id").upper()
    else:
        context = _browser_context(seed)
        message_id = f"ajs-next-{seed.hex('message id', 32)}"
    if spec == "b2b-saas":
        # The B2B SaaS events carry the account in context.groupId.
        context["groupId"] = f"acct_{seed.hex('group id', 10)}"
    message: dict[str, Any] = {"type": call}
    if is_event:
        examples = found.get("examples") or [{}]
        message["event"] = name
        message["properties"] = examples[0]
    else:
        message.update(_call_fields(call, seed))
    message["messageId"] = message_id
    message["anonymousId"] = seed.uuid("anonymous id")
    message["userId"] = seed.hex("user id", 13)
    message["context"] = context
    message["integrations"] = {}
    message.update(_times(seed))
    return message
