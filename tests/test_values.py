"""Any Python value: check, check_batch, validate, iter_issues and normalize never raise and never
hang, and a value that is not JSON gets a clear 400 naming the place (normalize: a documented
result). A value and its JSON text get one answer."""

from __future__ import annotations

import contextlib
import enum
import json
import math
import time
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oddities import Repeats, Unreadable

from segment_spec import (
    Batch,
    InvalidMessage,
    Rejection,
    Track,
    check,
    check_batch,
    iter_issues,
    normalize,
    validate,
)
from segment_spec._parse import read_value

TRACK: dict[str, Any] = {"type": "track", "event": "E", "userId": "u1"}


def track_with(**fields: Any) -> dict[str, Any]:
    return {**TRACK, **fields}


def refused(result: object) -> Rejection:
    assert isinstance(result, Rejection), result
    assert result.status == 400
    return result


# --- the values of the issue that raised or hung before ---------------------------------------


def test_a_key_that_is_not_a_string_is_a_400_naming_its_object() -> None:
    reply = refused(check(track_with(integrations={None: True})))
    assert reply.issues[0].keyword == "invalid-json"
    assert reply.issues[0].path == ("integrations",)
    assert reply.body["message"] == "integrations has a key that is not a string (null)"


def test_an_integer_past_the_digit_limit_is_a_400_in_a_message_and_in_a_batch() -> None:
    huge = 10**5000
    reply = refused(check(track_with(userId=huge)))
    assert reply.issues[0].path == ("userId",)
    assert "4,300 digits" in reply.body["message"]
    batch = check_batch({"batch": [track_with(userId=huge)]})
    reply = refused(batch)
    assert reply.issues[0].path == ("batch", 0, "userId")


def test_an_integer_within_the_limit_is_an_id_of_every_digit() -> None:
    number = 10**4299 + 7
    message = check(track_with(userId=number))
    assert isinstance(message, Track)
    assert message.user_id == str(number)


def test_a_batch_that_is_a_tuple_is_an_array() -> None:
    result = check_batch({"batch": (TRACK, TRACK)})
    assert isinstance(result, Batch)
    assert [type(r) for r in result.results] == [Track, Track]


def test_a_batch_that_is_a_set_is_a_400() -> None:
    reply = refused(check_batch({"batch": frozenset()}))
    assert reply.body["message"] == "batch is not a JSON value (a set)"


def test_a_batch_that_contains_itself_is_a_400_at_once() -> None:
    body: dict[str, Any] = {"batch": []}
    body["batch"].append(body)
    start = time.perf_counter()
    reply = refused(check_batch(body))
    assert time.perf_counter() - start < 1
    assert reply.issues[0].path == ("batch", 0)
    assert "contains it" in reply.body["message"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({1, 2}, "properties.x is not a JSON value (a set)"),
        (b"bytes", "properties.x is not a JSON value (bytes)"),
        (msgspec.Raw(b"1"), "properties.x is not a JSON value (bytes)"),
        (object(), "properties.x is not a JSON value (an object of type object)"),
        (3 + 4j, "properties.x is not a JSON value (an object of type complex)"),
        (math.nan, "properties.x is not a finite number (JSON has no NaN or infinity)"),
        (-math.inf, "properties.x is not a finite number (JSON has no NaN or infinity)"),
        ("a\ud800b", "properties.x holds a lone surrogate, which is not valid Unicode"),
        ({"\udfff": 1}, "a key of properties.x holds a lone surrogate, which is not valid Unicode"),
        ({(1, 2): 1}, "properties.x has a key that is not a string (an object of type tuple)"),
    ],
)
def test_a_value_that_is_not_json_is_a_400_naming_the_place(value: Any, expected: str) -> None:
    reply = refused(check(track_with(properties={"x": value})))
    assert reply.issues[0].keyword == "invalid-json"
    assert reply.issues[0].path == ("properties", "x")
    assert reply.body["message"] == expected


def test_subclasses_of_json_types_are_read_as_their_plain_values() -> None:
    class Text(str):
        pass

    class Level(enum.IntEnum):
        HIGH = 3

    class Ratio(float):
        pass

    message = check(
        {
            Text("type"): Text("track"),
            "event": "E",
            "userId": Level.HIGH,
            "properties": {"r": Ratio(0.5), "t": (1, Text("x"))},
        }
    )
    assert isinstance(message, Track)
    assert message.user_id == "3"
    assert message.properties == {"r": 0.5, "t": [1, "x"]}
    assert type(message.properties["r"]) is float
    assert type(message.properties["t"][1]) is str
    assert all(type(key) is str for key in message.data)


def test_a_key_of_a_str_subclass_is_normalized_to_a_plain_str_and_never_remembered() -> None:
    result = normalize({Key("a_b"): 1, Key("fooBar"): {Key("x"): 2}})
    assert result.value == {"a_b": 1, "foo_bar": {"x": 2}}
    assert all(type(key) is str for key in [*result.value, *result.value["foo_bar"]])
    # The memos check shares with normalize hand out no subclass for the plain key.
    message = check({**TRACK, "properties": {"a_b": 1, "x": 2}})
    assert isinstance(message, Track)
    assert all(type(key) is str for key in message.properties)


def test_a_mapping_that_raises_is_a_400_and_normalize_keeps_it() -> None:
    reply = refused(check(track_with(properties=Unreadable())))
    assert reply.issues[0].path == ("properties",)
    assert reply.body["message"] == "properties could not be read (RuntimeError)"
    result = normalize({"userId": "u", "props": Unreadable()})
    assert result.value["user_id"] == "u"
    assert isinstance(result.value["props"], Unreadable)
    assert [(i.path, i.keyword) for i in result.issues] == [(("props",), "unreadable")]


def test_a_mapping_that_repeats_a_key_is_a_400_and_normalize_keeps_both() -> None:
    reply = refused(check(track_with(properties=Repeats([("a", 1), ("a", 2)]))))
    assert reply.body["message"] == "properties has one key twice"
    result = normalize({"outer": Repeats([("a", 1), ("a", 2), (["list"], 3)])})
    assert result.value == {"outer": {"a": 1, "a (2)": 2, "list (2)": 3}}
    assert [i.keyword for i in result.issues] == ["key-collision", "key-collision", "key-type"]


def test_sharing_at_every_level_is_read_once() -> None:
    """A list holding one list twice, 60 levels deep, stands for 2**60 leaves as JSON: too
    large, found at once; normalize walks its 60 distinct lists."""
    deep: Any = ["leaf"]
    for _ in range(60):
        deep = [deep, deep]
    start = time.perf_counter()
    reply = check(track_with(properties={"tree": deep}))
    assert refused(reply).issues[0].keyword == "too-large"
    assert isinstance(check_batch({"batch": [track_with(properties={"tree": deep})]}), Rejection)
    normalized = normalize({"tree": deep}).value["tree"]
    assert normalized[0] is normalized[1]
    # A guard against a hang, not a speed figure: reading the 2**60 leaves would never end,
    # and the three calls take a fraction of a second (the bound allows a loaded machine).
    assert time.perf_counter() - start < 60


def test_a_shared_object_within_the_limit_is_read_and_shared() -> None:
    shared = {"sku": "a"}
    message = check(track_with(properties={"one": shared, "two": [shared]}))
    assert isinstance(message, Track)
    assert message.properties["one"] == message.properties["two"][0] == {"sku": "a"}


def test_a_value_over_32_kib_as_json_is_a_400() -> None:
    """Measured as compact JSON, as the standard library writes it."""
    message = track_with(properties={"blob": "x" * 40_000})
    size = len(json.dumps(message, separators=(",", ":")))
    reply = refused(check(message))
    assert reply.issues[0].keyword == "too-large"
    assert reply.body["message"] == (
        f"the message is {size:,} bytes as JSON; Segment's limit is 32,768 bytes"
    )


def test_a_huge_mapping_is_refused_without_reading_all_of_it() -> None:
    huge = {f"k{n}": n for n in range(1_000_000)}
    start = time.perf_counter()
    refused(check(track_with(properties=huge)))
    assert time.perf_counter() - start < 0.5


# --- one answer for one message ----------------------------------------------------------------


@pytest.mark.parametrize(
    "value", [math.nan, math.inf, -math.inf, 1e308 * 10, "\ud800", {"\udc00": 1}]
)
def test_a_value_and_its_json_text_get_one_answer(value: Any) -> None:
    """NaN, the infinities and lone surrogates are not JSON, in a body as in a value."""
    message = track_with(properties={"x": value})
    text = json.dumps(message)  # writes NaN, Infinity and \\ud800 escapes: not JSON
    from_value = refused(check(message))
    from_bytes = refused(check(text.encode()))
    assert from_value.issues[0].keyword == from_bytes.issues[0].keyword == "invalid-json"


@pytest.mark.parametrize(
    "batch",
    [
        {"batch": [track_with(event="\ud800")]},  # in an item
        {"batch": [TRACK], "extra": "\udfff"},  # beside the items, where nothing reads again
        {"batch": [TRACK], "\udc00": 1},  # in a key
        "\ud83d",  # the body is one string
    ],
)
def test_a_batch_body_with_a_lone_surrogate_is_not_json(batch: Any) -> None:
    """In a batch's body as in a message's: a lone surrogate, as an escape or, in text, as a
    character, makes the whole body something other than JSON, and so does the same value
    passed parsed (which names the place). A batch in text is never measured by encoding it
    strictly, which raised UnicodeEncodeError."""
    escaped = json.dumps(batch)  # \ud800 escapes
    text = json.dumps(batch, ensure_ascii=False)  # the lone surrogates themselves
    for body in (escaped.encode(), escaped, text):
        reply = refused(check_batch(body))
        assert reply.issues[0].keyword == "invalid-json"
        assert "lone surrogate" in reply.body["message"]
    if isinstance(batch, dict):
        parsed = refused(check_batch(batch))
        assert parsed.issues[0].keyword == "invalid-json"
        assert "lone surrogate" in parsed.body["message"]
    pair = json.dumps({"batch": [track_with(event="\ud83d\ude00")]})  # a pair is a character
    assert isinstance(check_batch(pair.encode()), Batch)


def test_a_body_with_a_byte_order_mark_is_told_what_it_is() -> None:
    for body in (b"\xef\xbb\xbf" + json.dumps(TRACK).encode(), "\ufeff" + json.dumps(TRACK)):
        reply = refused(check(body))
        assert "byte order mark" in reply.body["message"]
        assert "UTF-8" not in reply.body["message"]
        assert "byte order mark" in refused(check_batch(body)).body["message"]


_BODIES = [
    json.dumps(TRACK).encode(),
    b'{"type":"track","event":"E","user_id":"u1","properties":{"order_id":7}}',
    b"\xef\xbb\xbf" + json.dumps(TRACK).encode(),  # a byte order mark
    b'{"type":"track","event":"\xff","userId":"u1"}',  # not UTF-8
    b'{"type":"track","event":"E","userId":"u1","x":' + b"[" * 1000 + b"]" * 1000 + b"}",
    b'{"type":"track","event":"E","userId":"u1","x":NaN}',
    json.dumps(track_with(properties={"x": "y" * 40_000})).encode(),  # over 32 KiB
    b"[1, 2]",
]


@pytest.mark.parametrize("body", _BODIES)
@pytest.mark.parametrize("kind", [bytearray, memoryview, msgspec.Raw])
def test_a_bytes_like_body_gets_the_answer_of_its_bytes(body: bytes, kind: type) -> None:
    """Batch items are checked as the msgspec.Raw that holds their bytes: any bytes-like body,
    alone or as a batch, is read as the bytes it holds, errors and limits included."""
    assert repr(check(kind(body))) == repr(check(body))
    batch = b'{"batch":[' + body + b"]}"
    assert repr(check_batch(kind(batch))) == repr(check_batch(batch))


def test_a_number_past_a_double_is_the_same_400_in_a_batch_body() -> None:
    body = b'{"batch":[{"type":"track","event":"E","userId":"u","properties":{"x":1e999}}]}'
    reply = refused(check_batch(body))
    assert reply.issues[0].keyword == "invalid-json"


# --- arbitrary Python values -------------------------------------------------------------------


class Thing:
    """An object of a class of its own, whose comparisons and hash raise."""

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no")

    def __hash__(self) -> int:
        raise RuntimeError("no")


class Unprintable(Thing):
    """... and whose repr raises too."""

    def __repr__(self) -> str:
        raise RuntimeError("no")


def test_keys_whose_hash_and_repr_raise_are_named_by_type() -> None:
    result = normalize(Repeats([(Unprintable(), 1), ("aB", 2)]))
    assert result.value == {"Unprintable (2)": 1, "a_b": 2}
    assert result.issues[0].keyword == "key-type"
    refused(check(track_with(properties=Repeats([(Unprintable(), 1)]))))


class Level(enum.IntEnum):
    LOW = 1


LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=4290, max_value=4400).map(lambda digits: 10**digits),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.characters(codec=None, exclude_categories=())),  # lone surrogates too
    st.binary(max_size=5),
    st.builds(Thing),
    st.builds(object),
    st.sampled_from([Level.LOW, 3 + 4j, Ellipsis, NotImplemented, type]),
    st.frozensets(st.integers(), max_size=3),
)


class Key(str):
    """A key of a str subclass (normalize once raised on one where the compiled core ran)."""


KEYS = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["userId", "user_id", "type", "event", "integrations", "batch", "aB", "a_b"]),
    st.none(),
    st.integers(),
    st.tuples(st.integers()),
    st.frozensets(st.integers(), max_size=2),
)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.lists(children, max_size=4).map(tuple),
        st.sets(st.integers(), max_size=3),
        st.dictionaries(KEYS, children, max_size=4),
        # Built from pairs: Hypothesis cannot keep dictionary keys of a str subclass unique.
        st.lists(
            st.tuples(st.sampled_from(["fooBar", "a_b", "$"]).map(Key), children), max_size=3
        ).map(dict),
        st.lists(st.tuples(st.one_of(KEYS, st.lists(st.integers())), children), max_size=3).map(
            Repeats
        ),
        st.just(Unreadable()),
    )


PYTHON_VALUES = st.recursive(LEAVES, _containers, max_leaves=25)


@st.composite
def tangled(draw: st.DrawFn) -> Any:
    """A Python value in which some containers hold themselves or each other."""
    value = draw(PYTHON_VALUES)
    holders: list[Any] = []
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) in (dict, list):
            holders.append(item)
            stack.extend(item.values() if type(item) is dict else item)
    for holder in holders:
        if draw(st.booleans()):
            target = draw(st.sampled_from(holders))
            if type(holder) is dict:
                holder[draw(st.text(max_size=3))] = target
            else:
                holder.append(target)
    return value


MESSAGE_SHAPED = st.builds(
    lambda extra, value: {**TRACK, **extra, "properties": {"x": value}},
    st.dictionaries(KEYS, PYTHON_VALUES, max_size=3),
    st.one_of(PYTHON_VALUES, tangled()),
)


def _never_raises_nor_hangs(value: Any, strict: bool) -> None:
    start = time.perf_counter()
    result = check(value, strict=strict)
    assert isinstance(result, Rejection) or result.type in {
        "track",
        "identify",
        "page",
        "screen",
        "group",
        "alias",
    }
    if isinstance(result, Rejection):
        assert result.status in (400, 501)
        assert result.body["message"]
        assert all(type(step) in (str, int) for issue in result.issues for step in issue.path)
    batch = check_batch(value, strict=strict)
    assert isinstance(batch, Batch | Rejection)
    list(iter_issues(value, strict=strict))
    with contextlib.suppress(InvalidMessage):
        validate(value, strict=strict)
    normalized = normalize(value)
    assert isinstance(normalized.issues, tuple)
    assert time.perf_counter() - start < 5


@settings(max_examples=400)
@given(st.one_of(PYTHON_VALUES, tangled(), MESSAGE_SHAPED), st.booleans())
def test_property_any_python_value_gets_an_answer(value: Any, strict: bool) -> None:
    _never_raises_nor_hangs(value, strict)


@settings(max_examples=300)
@given(MESSAGE_SHAPED)
def test_property_a_value_is_accepted_only_if_it_is_json(message: dict[str, Any]) -> None:
    """A message that holds something JSON cannot gets a 400 (invalid-json or too-large) at the
    place, or inside it; one that holds only JSON gets the answer of its JSON text."""
    read = read_value(message, limit=32 * 1024)
    result = check(message)
    if isinstance(read, tuple):
        text = json.dumps(read[0], ensure_ascii=False, separators=(",", ":"))
        from_text = check(text.encode())
        assert type(result) is type(from_text)
        if isinstance(result, Rejection):
            assert isinstance(from_text, Rejection)
            assert result.status == from_text.status
            assert result.issues[0].keyword == from_text.issues[0].keyword
    else:
        reply = refused(result)
        assert reply.issues[0].keyword in ("invalid-json", "too-large")
        if reply.issues[0].keyword == "invalid-json":
            path = reply.issues[0].path
            assert path == () or path[0] in message or isinstance(path[0], str)


@settings(max_examples=300)
@given(st.one_of(PYTHON_VALUES, tangled()))
def test_property_normalize_leaves_its_input_as_it_was(value: Any) -> None:
    """normalize builds new containers and never changes the value passed in."""
    before = _snapshot(value)
    normalize(value)
    assert _snapshot(value) == before


def _snapshot(value: Any) -> list[tuple[int, tuple[int, ...]]]:
    """The identity of every list and dict reachable, and of what each holds, in order."""
    seen: set[int] = set()
    found = []
    stack = [value]
    while stack:
        item = stack.pop()
        if type(item) not in (dict, list) or id(item) in seen:
            continue
        seen.add(id(item))
        members = [*item.keys(), *item.values()] if type(item) is dict else list(item)
        found.append((id(item), tuple(id(member) for member in members)))
        stack.extend(members)
    return found
