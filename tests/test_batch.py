"""check_batch: the HTTP API envelope, item by item."""

from __future__ import annotations

import copy
import json
from typing import Any

import orjson
import pytest

from segment_spec import Batch, Identify, Rejection, Track, check, check_batch


def envelope(*items: Any, **fields: Any) -> dict[str, Any]:
    return {"batch": list(items), **fields}


GOOD = {"type": "track", "event": "Signed Up", "userId": "u1"}


def test_one_result_per_item_in_order() -> None:
    result = check_batch(
        envelope(GOOD, {"type": "identify"}, {"type": "identify", "anonymousId": "a"}, 3)
    )
    assert isinstance(result, Batch)
    kinds = [type(r).__name__ for r in result.results]
    assert kinds == ["Track", "Rejection", "Identify", "Rejection"]
    assert [i for i, _ in result.rejections] == [1, 3]
    assert len(result.messages) == 2
    assert result.results[3].issues[0].keyword == "not-an-object"  # type: ignore[union-attr]


def test_envelope_context_and_integrations_are_merged_item_keys_win() -> None:
    item = {**GOOD, "context": {"ip": "1.1.1.1"}, "integrations": {"Mixpanel": True}}
    result = check_batch(
        envelope(
            item,
            GOOD,
            context={"ip": "9.9.9.9", "locale": "en-US"},
            integrations={"Mixpanel": False, "All": True},
            writeKey="wk",
        )
    )
    assert isinstance(result, Batch)
    first, second = result.results
    assert isinstance(first, Track)
    assert isinstance(second, Track)
    assert first.context == {"ip": "1.1.1.1", "locale": "en-US"}
    assert first.integrations == {"Mixpanel": True, "All": True}
    assert second.context == {"ip": "9.9.9.9", "locale": "en-US"}
    assert result.write_key == "wk"


def test_items_are_normalized_like_single_messages() -> None:
    item = {**GOOD, "properties": {"orderId": 1}, "integrations": {"Google Analytics": True}}
    result = check_batch(json.dumps(envelope(item)))
    assert isinstance(result, Batch)
    assert result.results[0] == check(item)


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        (b"[]", "not-an-object"),
        (b'{"batch": [', "invalid-json"),
        (b'{"batch": [NaN]}', "invalid-json"),
        (b'{"batch": [1e400]}', "invalid-json"),
        (b'{"batch": ["\\xff"]}'.replace(b"\\xff", b"\xff"), "invalid-json"),
        (b'{"items": []}', "required"),
        (b'{"batch": {}}', "type"),
    ],
)
def test_bad_envelopes_are_400(body: bytes, keyword: str) -> None:
    reply = check_batch(body)
    assert isinstance(reply, Rejection)
    assert reply.status == 400
    assert reply.issues[0].keyword == keyword


def test_too_many_items() -> None:
    reply = check_batch(orjson.dumps(envelope(*[GOOD] * 2501)))
    assert isinstance(reply, Rejection)
    assert reply.body == {"message": "batch has 2,501 items; Segment's limit is 2,500"}
    assert isinstance(check_batch(orjson.dumps(envelope(*[GOOD] * 2500))), Batch)


def test_batch_over_500_kib_is_refused_before_parsing() -> None:
    reply = check_batch(b"{" + b" " * (500 * 1024))
    assert isinstance(reply, Rejection)
    assert reply.issues[0].keyword == "too-large"


def test_an_item_over_32_kib_is_rejected_alone() -> None:
    big = {**GOOD, "properties": {"pad": "x" * 33_000}}
    result = check_batch(orjson.dumps(envelope(big, GOOD)))
    assert isinstance(result, Batch)
    first, second = result.results
    assert isinstance(first, Rejection)
    assert first.issues[0].keyword == "too-large"
    assert isinstance(second, Track)


def test_big_integers_stay_exact_in_batches() -> None:
    raw = b'{"batch": [{"type": "identify", "userId": 123456789012345678901234567890}]}'
    result = check_batch(raw)
    assert isinstance(result, Batch)
    (message,) = result.results
    assert isinstance(message, Identify)
    assert message.user_id == "123456789012345678901234567890"


def test_a_mapping_passed_in_is_never_changed() -> None:
    data = envelope(GOOD, {"type": "page", "userId": "u", "properties": {"pageName": "x"}})
    before = copy.deepcopy(data)
    check_batch(data)
    assert data == before


def test_strict_applies_to_items_and_envelope() -> None:
    item = {**GOOD, "properties": {"orderId": 1, "order_id": 2}}
    result = check_batch(envelope(item))
    assert isinstance(result, Batch)
    assert isinstance(result.results[0], Track)
    strict = check_batch(envelope(item), strict=True)
    assert isinstance(strict, Batch)
    assert isinstance(strict.results[0], Rejection)
    collision = check_batch({"batch": [GOOD], "writeKey": "a", "write_key": "b"}, strict=True)
    assert isinstance(collision, Rejection)
    assert collision.issues[0].keyword == "key-collision"


def test_two_keys_that_both_mean_batch() -> None:
    result = check_batch({"batch": [GOOD], "Batch": [GOOD, GOOD]})
    assert isinstance(result, Batch)
    assert len(result.results) == 1
    assert [i.keyword for i in result.issues] == ["key-collision"]
