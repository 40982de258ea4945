"""Hypothesis properties of check: it never raises, and a reply never echoes a value."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segment_spec import Rejection, check, check_batch
from segment_spec._issue import Issue
from segment_spec._message import Alias, Group, Identify, Page, Screen, Track
from segment_spec._parse import parse

MESSAGE_CLASSES = (Identify, Track, Page, Screen, Group, Alias)

_keys = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "type",
            "userId",
            "user_id",
            "anonymousId",
            "event",
            "groupId",
            "previousId",
            "timestamp",
            "sentAt",
            "properties",
            "traits",
            "context",
            "integrations",
            "batch",
            "orderId",
            "order_id",
            "$",
            "ÄÖÜ",
            "messageId",
        ]
    ),
)
_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["track", "identify", "page", "screen", "group", "alias", "Track", "", " "]),
)
json_values = st.recursive(
    _leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=6)),
    max_leaves=30,
)
messages = st.dictionaries(_keys, json_values, max_size=10).map(
    lambda d: d if "type" in d else {**d, "type": "track"}
)


def _assert_result(result: Any) -> None:
    if isinstance(result, Rejection):
        assert result.status in (400, 501)
        assert isinstance(result.body["message"], str)
        assert result.body["message"]
        assert result.issues
    else:
        assert isinstance(result, MESSAGE_CLASSES)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_check_never_raises_on_json_values(value: Any) -> None:
    _assert_result(check(value))
    _assert_result(check(orjson.dumps(value)))


@settings(max_examples=500)
@given(messages, st.booleans())
def test_check_never_raises_on_message_shaped_values(value: Any, strict: bool) -> None:
    _assert_result(check(value, strict=strict))
    _assert_result(check(orjson.dumps(value).decode(), strict=strict))


@settings(max_examples=500)
@given(st.binary(max_size=200))
def test_check_never_raises_on_bytes(raw: bytes) -> None:
    _assert_result(check(raw))
    result = check_batch(raw)
    assert isinstance(result, Rejection) or result.results is not None


_envelope_parts = st.dictionaries(
    st.sampled_from(["context", "integrations", "writeKey", "sentAt", "extra"]),
    json_values,
    max_size=3,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(messages, json_values), max_size=5), _envelope_parts, st.booleans())
def test_a_batch_gets_one_answer_in_bytes_and_parsed(
    items: list[Any], parts: dict[str, Any], strict: bool
) -> None:
    """A batch read from its bytes (items as raw JSON) and the same batch passed parsed
    (items as values) get the same answer; with nothing beside the items, each item gets what
    check gives its bytes. The bytes are compact JSON as msgspec writes it: a value is
    measured as that (docs/reliability.md), and the size bounds the issues listed."""
    body = {**parts, "batch": items}
    in_bytes = check_batch(msgspec.json.encode(body), strict=strict)
    assert repr(check_batch(body, strict=strict)) == repr(in_bytes)
    if not parts and not isinstance(in_bytes, Rejection):
        alone = [check(msgspec.json.encode(item), strict=strict) for item in items]
        assert list(in_bytes.results) == alone


@settings(max_examples=300)
@given(st.lists(json_values, max_size=5), st.booleans())
def test_check_batch_gives_one_result_per_item(items: list[Any], strict: bool) -> None:
    result = check_batch({"batch": items, "context": {"ip": "1"}}, strict=strict)
    if isinstance(result, Rejection):
        assert strict
        assert result.status == 400
        return
    assert len(result.results) == len(items)
    for item in result.results:
        _assert_result(item)


MARK = "S3CR3T-é-value"
_marked = st.recursive(
    st.one_of(st.just(MARK), st.just(MARK * 30), st.integers(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_keys, inner, max_size=4)),
    max_leaves=12,
)


@settings(max_examples=500)
@given(st.dictionaries(_keys, _marked, max_size=10))
def test_reply_never_echoes_a_submitted_value(value: dict[str, Any]) -> None:
    for strict in (False, True):
        result = check(value, strict=strict)
        if isinstance(result, Rejection):
            assert MARK not in result.body["message"]
            assert all(
                MARK not in issue.message
                for issue in result.issues
                if issue.keyword not in ("key-collision", "empty-key")
            )


def test_deep_nesting_never_raises() -> None:
    """Nesting past JSON's 1,024 levels is refused the same way as a value and as a body."""
    deep: Any = "leaf"
    for _ in range(100_000):
        deep = {"nestedKey": [deep]}
    result = check({"type": "track", "event": "E", "userId": "u", "properties": deep})
    assert isinstance(result, Rejection)
    assert result.status == 400
    assert result.issues[0].keyword == "invalid-json"
    assert result.body["message"] == "the message nests deeper than 1,024 levels"
    raw = (
        b'{"type":"track","event":"E","userId":"u","properties":' + b"[" * 5000 + b"]" * 5000 + b"}"
    )
    reply = check(raw)
    assert isinstance(reply, Rejection)
    assert reply.status == 400


def test_integers_beyond_64_bits_keep_every_digit() -> None:
    raw = (
        b'{"type":"identify","userId":123456789012345678901234567890,'
        b'"traits":{"n":-9223372036854775809}}'
    )
    message = check(raw)
    assert isinstance(message, Identify)
    assert message.user_id == "123456789012345678901234567890"
    assert message.traits == {"n": -9223372036854775809}


def test_a_number_beyond_double_range_is_a_clear_400() -> None:
    reply = check(b'{"type":"track","event":"E","userId":"u","properties":{"x":1e400}}')
    assert isinstance(reply, Rejection)
    assert reply.body == {
        "message": "the body is not valid JSON (a number is too large to represent)"
    }


def _nested_body(depth: int, leaf: bytes) -> bytes:
    return (
        b'{"type":"track","event":"E","userId":"u","properties":{"deep":'
        + b"[" * depth
        + leaf
        + b"]" * depth
        + b"}}"
    )


def test_nesting_past_the_first_parsers_depth_is_read() -> None:
    # msgspec stops near 1,000 levels; orjson (up to 1,024) reads what lies between.
    depth = 1010
    message = check(_nested_body(depth, b"12345"))
    assert isinstance(message, Track)
    value = message.properties["deep"]
    for _ in range(depth - 1):
        value = value[0]
    assert value == [12345]


def test_long_numbers_too_deep_to_read_exactly_are_a_clear_400() -> None:
    # Only orjson reads this deep, and it would turn the integer into a float.
    reply = check(_nested_body(1010, b"12345678901234567890123"))
    assert isinstance(reply, Rejection)
    assert reply.body == {
        "message": "the body is not valid JSON (it nests too deeply to read its long numbers "
        "exactly)"
    }
    shallow = check(_nested_body(50, b"12345678901234567890123"))
    assert isinstance(shallow, Track)


_json_documents = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),  # unbounded: beyond 64 bits too
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(), inner)),
    max_leaves=20,
)


@given(_json_documents, st.booleans())
def test_parse_reads_what_the_standard_library_reads(value: Any, as_text: bool) -> None:
    text = json.dumps(value, ensure_ascii=False)
    expected = json.loads(text)
    parsed = parse(text if as_text else text.encode(), limit=10**9)
    if type(expected) is dict:
        assert parsed == expected
        assert json.dumps(parsed) == json.dumps(expected)  # same types and key order too
    else:
        assert isinstance(parsed, Issue)
        assert parsed.keyword == "not-an-object"
