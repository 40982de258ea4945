"""check_batch: the HTTP API envelope, item by item."""

from __future__ import annotations

import copy
import json
from collections import ChainMap
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from segment_spec import Batch, Identify, Rejection, Track, check, check_batch
from segment_spec._envelope import Merged


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


# --- what the envelope gives each item, without copies -----------------------------------------


def test_an_item_without_its_own_context_shares_the_envelope_object() -> None:
    """Items with no context of their own all hold the envelope's object itself."""
    result = check_batch(orjson.dumps(envelope(GOOD, GOOD, context={"ip": "9.9.9.9"})))
    assert isinstance(result, Batch)
    first, second = result.results
    assert isinstance(first, Track)
    assert isinstance(second, Track)
    assert first.context is second.context
    assert first.context is result.context
    assert first.data["context"] is result.context


def test_an_item_with_its_own_context_gets_a_view_of_both() -> None:
    """An item's own keys over the envelope's, as a read-only view, never a copy."""
    own = {**GOOD, "context": {"ip": "1.1.1.1"}}
    result = check_batch(orjson.dumps(envelope(own, context={"ip": "9.9.9.9", "locale": "x"})))
    assert isinstance(result, Batch)
    (message,) = result.results
    assert isinstance(message, Track)
    assert isinstance(message.context, Merged)
    assert dict(message.context) == {"ip": "1.1.1.1", "locale": "x"}
    assert message.context.shared is result.context
    assert message.data["context"] is message.context


_small_objects = st.dictionaries(st.sampled_from("abcdefg"), st.integers(), max_size=6)


@given(_small_objects, _small_objects, st.sampled_from("abcdefgh"))
def test_the_view_reads_as_a_chain_map_of_the_two(
    own: dict[str, int], shared: dict[str, int], key: str
) -> None:
    """``Merged`` reads what ``ChainMap(own, shared)`` reads, in the same order, and pickles
    and copies as the two objects it views."""
    view, chain = Merged(own, shared), ChainMap(own, shared)
    assert list(view.items()) == list(chain.items())
    assert len(view) == len(chain)
    assert (key in view) == (key in chain)
    assert view.get(key) == chain.get(key)
    assert view == dict(chain)
    assert copy.deepcopy(view) == view
    assert repr(view) == f"Merged({own!r}, {shared!r})"


def test_an_item_the_merge_takes_over_32_kib_is_rejected_alone() -> None:
    """The envelope's context counts toward each item's 32 KiB, as Segment merges it in."""
    context = {f"key{n}": "x" * 20 for n in range(1000)}  # about 30 KB
    small = {**GOOD, "context": {f"key{n}": 1 for n in range(1000)}}  # overrides them all
    big = {**GOOD, "properties": {"blob": "y" * 4000}}
    result = check_batch(orjson.dumps(envelope(GOOD, small, big, context=context)))
    assert isinstance(result, Batch)
    first, second, third = result.results
    assert isinstance(first, Track)  # 30 KB of context and a small item: within the limit
    assert isinstance(second, Track)  # every key overridden: nothing added
    assert isinstance(third, Rejection)
    assert third.issues[0].keyword == "too-large"
    assert "with the batch's context and integrations merged in" in third.body["message"]


def test_an_envelope_context_over_32_kib_makes_every_item_too_large() -> None:
    context = {f"key{n}": "x" * 30 for n in range(1000)}  # about 40 KB
    body = orjson.dumps(envelope(*[GOOD] * 100, context=context))
    result = check_batch(body)
    assert isinstance(result, Batch)
    assert len(result.rejections) == 100
    assert {r.issues[0].keyword for _, r in result.rejections} == {"too-large"}


def test_a_string_item_is_a_json_string_whether_the_batch_is_bytes_or_parsed() -> None:
    """An item of a batch passed parsed is a value: a string there is a JSON string, refused
    as a string item of the same batch in bytes is, even when it holds a message's JSON text
    (which check, given that string alone, reads as the message)."""
    text = json.dumps(GOOD)
    assert isinstance(check(text), Track)
    items = [text, "", "[]", GOOD]
    in_bytes, parsed = check_batch(orjson.dumps({"batch": items})), check_batch({"batch": items})
    assert isinstance(in_bytes, Batch)
    assert isinstance(parsed, Batch)
    assert list(parsed.results) == list(in_bytes.results)
    *strings, last = parsed.results
    for result in strings:
        assert isinstance(result, Rejection)
        assert result.body == {"message": "the message must be a JSON object, not a string"}
    assert isinstance(last, Track)


def test_the_envelope_issues_of_a_batch_of_large_items_are_its_own() -> None:
    """The envelope's schema is shown the envelope, not its items: a batch passed parsed,
    whose items are many values, gets the envelope issues its bytes get, with no note that
    only part of it was searched."""
    item = {**GOOD, "properties": {f"p{n}": [n, {"q": n}] for n in range(300)}}
    body = {"batch": [item] * 20, "context": ["not", "an", "object"]}
    in_bytes, parsed = check_batch(orjson.dumps(body)), check_batch(body)
    assert isinstance(in_bytes, Batch)
    assert isinstance(parsed, Batch)
    assert parsed.issues == in_bytes.issues
    assert [(issue.path, issue.keyword) for issue in parsed.issues] == [(("context",), "type")]


def test_envelope_issues_are_reported_once_for_the_batch() -> None:
    """A deviation of the envelope's context is the batch's warning, not each item's."""
    result = check_batch(orjson.dumps(envelope(GOOD, GOOD, context={"ip": 5})))
    assert isinstance(result, Batch)
    assert [(i.path, i.severity.value) for i in result.issues] == [(("context", "ip"), "warning")]
    assert all(not message.issues for message in result.messages)
    strict = check_batch(orjson.dumps(envelope(GOOD, context={"ip": 5})), strict=True)
    assert isinstance(strict, Rejection)
    assert strict.issues[0].path == ("context", "ip")


def test_an_item_that_is_not_valid_utf8_makes_the_whole_body_invalid() -> None:
    """msgspec reads the batch's structure first; an item's bytes that are not UTF-8 make the
    body as a whole something other than JSON, as they would in one read."""
    body = b'{"batch":[' + orjson.dumps(GOOD) + b',{"type":"track","event":"\xff"}]}'
    result = check_batch(body)
    assert isinstance(result, Rejection)
    assert result.issues[0].keyword == "invalid-json"
    assert "UTF-8" in result.body["message"]


def test_items_are_read_as_single_messages_are() -> None:
    """Each item gets exactly what check gives the same message, snake_case or camelCase."""
    snake = {"type": "track", "event": "E", "user_id": "u", "properties": {"order_id": 7}}
    items = [GOOD, snake, {"type": "identify"}, {**GOOD, "userId": 10**30}]
    result = check_batch(json.dumps({"batch": items}).encode())
    assert isinstance(result, Batch)
    assert list(result.results) == [check(json.dumps(item).encode()) for item in items]


@pytest.mark.parametrize(
    "body",
    [
        # Arrays beside the batch are read whole, nested objects included.
        {"batch": [GOOD], "extraList": [1, {"aB": [2, {"cD": 3, "c_d": 4}]}], "n": 10**30},
        {"batch": [GOOD], "context": [{"aB": 1}], "integrations": [{"a_b": 1, "aB": 2}]},
        {"batch": [GOOD], "context": {"ipList": [1, 2, {"dE": 3}]}, "sentAt": 12},
        # Two batch keys: the whole envelope is read and normalized as a value.
        {"batch": [GOOD], "Batch": [GOOD, {"type": "page"}], "integrations": {"All": False}},
        {"batch": {"a": 1}},  # not an array: the envelope's schema says so
        {"batch": [], "flags": [True, None, -0.5, "x"]},
    ],
)
def test_an_envelope_in_bytes_gets_the_answer_of_its_value(body: dict[str, Any]) -> None:
    """The body is read in one pass (its arrays as raw elements); what that gives is exactly
    what the envelope passed parsed gives."""
    assert repr(check_batch(json.dumps(body).encode())) == repr(check_batch(body))


def test_items_share_the_texts_that_repeat_from_item_to_item() -> None:
    """One user's events, parsed item by item, hold one string per repeated call type, event
    and user id (each item would otherwise keep its own copy); other texts are their own."""
    items = [
        {"type": "track", "event": "Order Completed", "userId": "user-1", "anonymousId": "a-1"},
        {"type": "track", "event": "Order Completed", "user_id": "user-1", "anonymousId": "a-1"},
        {"type": "track", "event": "Order Refunded", "userId": "user-2"},
    ]
    result = check_batch(json.dumps({"batch": items}).encode())
    assert isinstance(result, Batch)
    first, second, third = result.results
    assert isinstance(first, Track)
    assert isinstance(second, Track)
    assert isinstance(third, Track)
    assert (first.event, first.user_id, first.anonymous_id) == (
        "Order Completed",
        "user-1",
        "a-1",
    )
    assert second.event is first.event
    assert second.user_id is first.user_id
    assert second.anonymous_id is first.anonymous_id
    assert second.data["event"] is first.data["event"]
    assert third.type is first.type
    assert third.event == "Order Refunded"
    assert third.user_id == "user-2"
    assert list(result.results) == [check(json.dumps(item).encode()) for item in items]


def test_a_batch_shares_a_bounded_number_of_texts() -> None:
    """A batch of all-different events keeps at most its bound of texts to share."""
    from segment_spec._envelope import _TEXT_LONGEST, _TEXTS_KEPT, Envelope

    envelope = Envelope.of({})
    for index in range(_TEXTS_KEPT + 50):
        envelope.share({"type": "track", "event": f"Event {index}", "user_id": "u"})
    assert len(envelope.texts) == _TEXTS_KEPT
    envelope.share({"event": "x" * (_TEXT_LONGEST + 1)})
    assert len(envelope.texts) == _TEXTS_KEPT
