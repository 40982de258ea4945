"""A catalogue of hostile bodies: what a client can send to make a receiver slow or big.

Every body stays within Segment's limits (32 KiB a message, 500 KiB and 2,500 items a batch),
so a receiver must answer each one; each is built to hit one cost: deep nesting at the parsers'
limit, key collisions at every level, tens of thousands of keys, long keys and event names,
huge numbers, envelopes whose ``context`` or ``integrations`` hold tens of thousands of keys,
and batches of each. ``benchmarks/bench_hostile.py`` times them against a typical message; the
test suite (tests/test_hostile.py) checks that each one gets a prompt, correct answer.

Bodies are built from a seed, so that keys are fresh for each run (a memo that has seen them
would hide the cost) yet the same for a given seed. Nothing here imports segment_spec: the
catalogue can be run against any version of it.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["CATALOGUE", "Case", "typical_message"]

MESSAGE_LIMIT = 32 * 1024
BATCH_LIMIT = 500 * 1024
BATCH_ITEMS = 2500
# The deepest nesting both JSON parsers the package uses read (orjson stops at 1,024 levels).
PARSER_DEPTH = 1000

_BENCH = Path(__file__).resolve().parents[2] / "shared" / "bench"
_HEAD = '{"type":"track","event":"Hostile","userId":"u1","properties":'


@dataclass(frozen=True)
class Case:
    """One hostile body: its name, whether it is a single message or a batch, what it aims at,
    and how to build it from a seed."""

    name: str
    kind: str  # "message", "batch" or "stream" (a list of messages, checked one by one)
    aim: str
    build: Callable[[random.Random], Any]


def _dumps(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def typical_message() -> bytes:
    """The typical message the catalogue is measured against: Segment's Order Completed example
    (1.3 KB compact, camelCase) from ../shared/bench, or a stand-in of the same shape."""
    path = _BENCH / "track-order-completed.camel.json"
    if path.exists():
        return _dumps(json.loads(path.read_text("utf-8")))
    product = {
        "productId": "507f1f77",
        "sku": "45790-32",
        "name": "Monopoly: 3rd Edition",
        "price": 19,
        "quantity": 1,
        "category": "Games",
        "url": "https://x.invalid/p",
    }
    return _dumps(
        {
            "type": "track",
            "event": "Order Completed",
            "userId": "u1",
            "messageId": "022bb90c-bbac-11e4-8dfc-aa07a5b093db",
            "timestamp": "2015-02-23T22:28:55.387Z",
            "sentAt": "2015-02-23T22:28:55.111Z",
            "context": {
                "ip": "8.8.8.8",
                "library": {"name": "analytics.js", "version": "2.11.1"},
                "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_4)",
            },
            "integrations": {"All": True, "Mixpanel": False},
            "properties": {
                "orderId": "50314b8e9bcf000000000000",
                "total": 27.5,
                "revenue": 25,
                "shipping": 3,
                "tax": 2,
                "discount": 2.5,
                "coupon": "hasbros",
                "currency": "USD",
                "products": [product, {**product, "sku": "46493-32"}],
            },
        }
    )


def _fit(make: Callable[[int], bytes], limit: int, most: int = 1 << 20) -> bytes:
    """The largest ``make(n)`` within ``limit`` bytes, for ``n`` up to ``most`` (``make`` grows
    with ``n``)."""
    low, high = 1, 1
    while high <= most and len(make(high)) <= limit:
        low, high = high, high * 2
    high = min(high, most + 1)
    while high - low > 1:
        middle = (low + high) // 2
        if len(make(middle)) <= limit:
            low = middle
        else:
            high = middle
    body = make(low)
    assert len(body) <= limit
    return body


def _word(rng: random.Random, length: int = 6) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(length))


def _camel(rng: random.Random) -> str:
    return _word(rng, 4) + _word(rng, 3).capitalize()


# -- single messages ------------------------------------------------------------------------


def _deep(opening: str, closing: str, depth: int) -> bytes:
    return (_HEAD + opening * depth + "1" + closing * depth + "}").encode()


def deep_objects(rng: random.Random) -> bytes:
    return _deep('{"a":', "}", PARSER_DEPTH - 3)


def deep_arrays(rng: random.Random) -> bytes:
    return _deep("[", "]", PARSER_DEPTH - 3)


def deep_collisions(rng: random.Random) -> bytes:
    """Two keys that become one at every level, the kept spelling nesting further."""
    return _deep('{"a_b":0,"aB":', "}", PARSER_DEPTH - 3)


def deep_collisions_camel(rng: random.Random) -> bytes:
    """No key already in snake_case: the first wins, the second keeps its spelling and nests."""
    return _deep('{"fooBar":0,"FooBar":', "}", PARSER_DEPTH - 3)


def deep_fresh_keys(rng: random.Random) -> bytes:
    """A fresh camelCase key at every level, so no memo helps."""
    keys = [_camel(rng) for _ in range(PARSER_DEPTH)]

    def make(depth: int) -> bytes:
        inner = "".join(f'{{"{key}":' for key in keys[:depth])
        return (_HEAD + inner + "1" + "}" * depth + "}").encode()

    return _fit(make, MESSAGE_LIMIT, PARSER_DEPTH - 3)


def wide_fresh_keys(rng: random.Random) -> bytes:
    """As many fresh camelCase keys as fit, in one object."""
    keys = [_camel(rng) for _ in range(8000)]
    return _fit(
        lambda n: (_HEAD + _dumps(dict.fromkeys(keys[:n], 0)).decode() + "}").encode(),
        MESSAGE_LIMIT,
        len(keys),
    )


def wide_collisions(rng: random.Random) -> bytes:
    """Thousands of keys of one object that all become ``a_b`` (any non-ASCII character
    separates words)."""
    keys = [f"a{chr(0x100 + i)}b" for i in range(8000)]
    return _fit(
        lambda n: (_HEAD + _dumps(dict.fromkeys(keys[:n], 0)).decode() + "}").encode(),
        MESSAGE_LIMIT,
        len(keys),
    )


def wide_empty_keys(rng: random.Random) -> bytes:
    """Thousands of keys with no ASCII letter or digit (each would become empty)."""
    keys = [chr(0x100 + i) for i in range(12000)]
    return _fit(
        lambda n: (_HEAD + _dumps(dict.fromkeys(keys[:n], 0)).decode() + "}").encode(),
        MESSAGE_LIMIT,
        len(keys),
    )


def nested_collisions(rng: random.Random) -> bytes:
    """Many small objects, each with a collision: issues everywhere, at moderate depth."""
    item = {"a_b": 0, "aB": 1, "AB": 2}

    def make(n: int) -> bytes:
        return (_HEAD + _dumps({f"k{i}": item for i in range(n)}).decode() + "}").encode()

    return _fit(make, MESSAGE_LIMIT)


def long_key(rng: random.Random) -> bytes:
    """One camelCase key as long as the message allows."""
    return _fit(lambda n: (_HEAD + _dumps({"aB" * n: 1}).decode() + "}").encode(), MESSAGE_LIMIT)


def long_keys(rng: random.Random) -> bytes:
    """Hundreds of fresh 100-character camelCase keys."""
    keys = ["".join(_camel(rng) for _ in range(15))[:100] for _ in range(400)]
    return _fit(
        lambda n: (_HEAD + _dumps(dict.fromkeys(keys[:n], 0)).decode() + "}").encode(),
        MESSAGE_LIMIT,
        len(keys),
    )


def long_event(rng: random.Random) -> bytes:
    """An event name as long as the message allows."""
    return _fit(
        lambda n: _dumps({"type": "track", "event": "Order Completed" + " x" * n, "userId": "u1"}),
        MESSAGE_LIMIT,
    )


def long_event_spaces(rng: random.Random) -> bytes:
    """A spec event name padded with spaces: it matches only once trimmed."""
    return _fit(
        lambda n: _dumps({"type": "track", "event": " " * n + "order completed", "userId": "u1"}),
        MESSAGE_LIMIT,
    )


def huge_integer(rng: random.Random) -> bytes:
    """A user id of tens of thousands of digits."""
    return _fit(
        lambda n: f'{{"type":"track","event":"E","userId":{"7" * n}}}'.encode(), MESSAGE_LIMIT
    )


def many_big_integers(rng: random.Random) -> bytes:
    """Thousands of integers just past 64 bits, and a few of thousands of digits."""

    def make(n: int) -> bytes:
        numbers = ",".join(f'"k{i}":{"9" * 21}' for i in range(n))
        return (_HEAD + "{" + numbers + ',"big":[' + ",".join(["8" * 4000] * 3) + "]}}").encode()

    return _fit(make, MESSAGE_LIMIT)


def long_numbers(rng: random.Random) -> bytes:
    """Floats with thousands of digits, and exponents at the edge of a double."""

    def make(n: int) -> bytes:
        return (
            _HEAD + '{"a":0.' + "3" * n + ',"b":1e308,"c":-1e-320,"d":1' + "0" * 300 + ".5}}"
        ).encode()

    return _fit(make, MESSAGE_LIMIT)


def _largest_track(event: str, fields: Callable[[int], dict[str, object]]) -> bytes:
    """The largest track of ``event`` by user u1 with ``fields(n)`` within the message limit."""
    return _fit(
        lambda n: _dumps({"type": "track", "event": event, "userId": "u1", **fields(n)}),
        MESSAGE_LIMIT,
    )


def many_issues(rng: random.Random) -> bytes:
    """An Order Completed whose thousand products each break the event's schema twice."""
    products = {"price": "x", "quantity": "y"}
    return _largest_track(
        "Order Completed",
        lambda n: {"properties": {"revenue": "z", "products": [products] * n}},
    )


def many_faulty_items(rng: random.Random) -> bytes:
    """An Order Completed whose products are thousands of numbers (each wrongly typed)."""
    return _largest_track("Order Completed", lambda n: {"properties": {"products": [0] * n}})


def many_missing_fields(rng: random.Random) -> bytes:
    """context.externalIds of thousands of empty objects, each missing four required fields:
    the densest issues per byte the schemas allow."""
    return _largest_track("E", lambda n: {"context": {"externalIds": [{}] * n}})


def many_wrong_values(rng: random.Random) -> bytes:
    """Thousands of consent categories, fresh camelCase names whose values are not booleans,
    and an error behind them: the keys to learn and the issues to list of one message."""
    names = [_camel(rng) for _ in range(4000)]
    return _largest_track(
        "E",
        lambda n: {
            "context": {"consent": {"categoryPreferences": dict.fromkeys(names[:n], 0)}},
            "timestamp": "not a date",
        },
    )


def many_destinations(rng: random.Random) -> bytes:
    """integrations with thousands of fresh destination names."""

    def make(n: int) -> bytes:
        names = {f"{_word(random.Random(i), 5)} {i}": True for i in range(n)}
        return _dumps({"type": "track", "event": "E", "userId": "u1", "integrations": names})

    return _fit(make, MESSAGE_LIMIT)


def bad_timestamps(rng: random.Random) -> bytes:
    """Timestamps almost in the grammar, one as long as the message allows."""
    return _fit(
        lambda n: _dumps(
            {
                "type": "track",
                "event": "E",
                "userId": "u1",
                "timestamp": "2015-02-23T22:28:55." + "1" * n,
                "sentAt": "2015-02-23T22:28:55Z" + " " * n,
            }
        ),
        MESSAGE_LIMIT,
    )


def reader_rebuild(rng: random.Random) -> list[bytes]:
    """3,000 snake_case messages with four fresh snake_case keys each: the one-pass reader
    learns them and rebuilds its type, as a receiver's reader does when its traffic changes."""

    def body(i: int) -> bytes:
        properties = {f"{_word(rng, 5)}_{_word(rng, 4)}": i for _ in range(4)}
        return _dumps(
            {
                "type": "track",
                "event": "Plan Upgraded",
                "user_id": f"u{i}",
                "message_id": f"m-{i}",
                "properties": properties,
            }
        )

    return [body(i) for i in range(3000)]


# -- batches --------------------------------------------------------------------------------

_ITEM = {"type": "track", "event": "E", "userId": "u1"}


def _batch(items: list[object], **envelope: object) -> bytes:
    return _dumps({"batch": items, **envelope})


def _batch_of(item: Callable[[int], object], **envelope: object) -> bytes:
    """As many items as fit in the batch limit, at most 2,500."""
    return _fit(lambda n: _batch([item(i) for i in range(n)], **envelope), BATCH_LIMIT, BATCH_ITEMS)


def batch_typical(rng: random.Random) -> bytes:
    message = json.loads(typical_message())
    return _batch_of(lambda i: {**message, "messageId": f"m-{i}"})


def batch_tiny_items(rng: random.Random) -> bytes:
    return _batch([_ITEM] * BATCH_ITEMS)


def batch_envelope_context(rng: random.Random) -> bytes:
    """An envelope context of tens of thousands of keys, merged into 2,500 items."""
    items = [_ITEM] * BATCH_ITEMS
    keys = [_camel(rng) for _ in range(60000)]
    return _fit(lambda n: _batch(items, context=dict.fromkeys(keys[:n], 0)), BATCH_LIMIT, len(keys))


def batch_envelope_integrations(rng: random.Random) -> bytes:
    """An envelope integrations of tens of thousands of names, merged into 2,500 items."""
    items = [_ITEM] * BATCH_ITEMS
    names = [f"{_word(rng, 5)} {i}" for i in range(40000)]
    return _fit(
        lambda n: _batch(items, integrations=dict.fromkeys(names[:n], True)),
        BATCH_LIMIT,
        len(names),
    )


def batch_envelope_context_own(rng: random.Random) -> bytes:
    """An envelope context of 28 KiB (under 32 KiB with an item once its keys are in
    snake_case) and 2,500 items that each have their own context: every item needs its own
    merge."""
    items = [{**_ITEM, "context": {"ip": "8.8.8.8"}}] * BATCH_ITEMS
    keys = [_camel(rng) for _ in range(8000)]

    def make(n: int) -> bytes:
        return _batch(items, context=dict.fromkeys(keys[:n], 0))

    # The envelope's context alone within one message's limit, the batch within its own.
    context = _fit(lambda n: _dumps(dict.fromkeys(keys[:n], 0)), MESSAGE_LIMIT * 7 // 8, len(keys))
    count = len(json.loads(context))
    return _fit(make, BATCH_LIMIT, count)


def batch_deep_items(rng: random.Random) -> bytes:
    """Items nested as deep as fits, with a collision at each level."""
    depth = 60
    inner: object = 1
    for _ in range(depth):
        inner = {"a_b": 0, "aB": inner}
    return _batch_of(lambda i: {**_ITEM, "properties": inner})


def batch_max_items(rng: random.Random) -> bytes:
    """Items with a key collision at each of as many levels as a batch item can nest (the
    envelope takes two), as many as fit."""
    item = _deep('{"a_b":0,"aB":', "}", PARSER_DEPTH - 5)

    def make(n: int) -> bytes:
        return b'{"batch":[' + b",".join([item] * n) + b"]}"

    return _fit(make, BATCH_LIMIT, BATCH_ITEMS)


def batch_missing_fields(rng: random.Random) -> bytes:
    """Items of 1 KB whose context.externalIds are empty objects, each missing four fields."""
    return _batch_of(lambda i: {**_ITEM, "context": {"externalIds": [{}] * 300}})


def batch_fresh_keys(rng: random.Random) -> bytes:
    """2,500 items whose keys are all fresh camelCase keys."""
    keys = [_camel(rng) for _ in range(40000)]
    return _batch_of(
        lambda i: {**_ITEM, "properties": dict.fromkeys(keys[i * 16 : i * 16 + 16], 0)}
    )


def batch_huge_integers(rng: random.Random) -> bytes:
    """Items whose ids are integers of hundreds of digits."""
    return _batch_of(lambda i: {"type": "track", "event": "E", "userId": int("9" * 150 + str(i))})


def batch_many_issues(rng: random.Random) -> bytes:
    """Items that each break their schema in many places."""
    products = [{"price": "x", "quantity": "y"}] * 20
    return _batch_of(
        lambda i: {
            "type": "track",
            "event": "Order Completed",
            "anonymousId": 7.5,
            "properties": {"revenue": "z", "products": products},
        }
    )


CATALOGUE: tuple[Case, ...] = (
    Case("deep-objects", "message", "objects nested at the parsers' limit", deep_objects),
    Case("deep-arrays", "message", "arrays nested at the parsers' limit", deep_arrays),
    Case("deep-collisions", "message", "a key collision at each of 997 levels", deep_collisions),
    Case(
        "deep-collisions-camel", "message", "the same with no snake_case key", deep_collisions_camel
    ),
    Case("deep-fresh-keys", "message", "a fresh camelCase key at each level", deep_fresh_keys),
    Case("wide-fresh-keys", "message", "thousands of fresh camelCase keys", wide_fresh_keys),
    Case("wide-collisions", "message", "thousands of keys that become one", wide_collisions),
    Case("wide-empty-keys", "message", "thousands of keys that become empty", wide_empty_keys),
    Case("nested-collisions", "message", "a collision in each of many objects", nested_collisions),
    Case("long-key", "message", "one 32 KB camelCase key", long_key),
    Case("long-keys", "message", "hundreds of fresh 100-character keys", long_keys),
    Case("long-event", "message", "a 32 KB event name", long_event),
    Case(
        "long-event-spaces",
        "message",
        "a spec event name behind 32 KB of spaces",
        long_event_spaces,
    ),
    Case("huge-integer", "message", "a user id of 32,000 digits", huge_integer),
    Case(
        "many-big-integers",
        "message",
        "integers past 64 bits and of 4,000 digits",
        many_big_integers,
    ),
    Case("long-numbers", "message", "floats of thousands of digits", long_numbers),
    Case("many-issues", "message", "thousands of schema deviations", many_issues),
    Case("many-faulty-items", "message", "thousands of wrongly typed items", many_faulty_items),
    Case(
        "many-missing-fields",
        "message",
        "thousands of items missing four fields",
        many_missing_fields,
    ),
    Case(
        "many-wrong-values",
        "message",
        "thousands of wrong values, then an error",
        many_wrong_values,
    ),
    Case("many-destinations", "message", "thousands of destination names", many_destinations),
    Case(
        "bad-timestamps", "message", "timestamps almost in the grammar, 32 KB long", bad_timestamps
    ),
    Case(
        "reader-rebuild",
        "stream",
        "fresh snake_case keys that make the reader rebuild",
        reader_rebuild,
    ),
    Case("batch-typical", "batch", "Order Completed messages up to 500 KB", batch_typical),
    Case("batch-tiny-items", "batch", "2,500 of the smallest messages", batch_tiny_items),
    Case(
        "batch-envelope-context",
        "batch",
        "an envelope context of tens of thousands of keys",
        batch_envelope_context,
    ),
    Case(
        "batch-envelope-integrations",
        "batch",
        "envelope integrations of tens of thousands of names",
        batch_envelope_integrations,
    ),
    Case(
        "batch-envelope-context-own",
        "batch",
        "a 32 KB envelope context and items with their own",
        batch_envelope_context_own,
    ),
    Case(
        "batch-deep-items", "batch", "items with a collision at each of 60 levels", batch_deep_items
    ),
    Case(
        "batch-max-items", "batch", "items with a collision at each of 995 levels", batch_max_items
    ),
    Case(
        "batch-missing-fields",
        "batch",
        "items that each miss hundreds of fields",
        batch_missing_fields,
    ),
    Case("batch-fresh-keys", "batch", "2,500 items of fresh camelCase keys", batch_fresh_keys),
    Case("batch-huge-integers", "batch", "items with ids of 150 digits", batch_huge_integers),
    Case(
        "batch-many-issues", "batch", "items that break their schema many times", batch_many_issues
    ),
)
