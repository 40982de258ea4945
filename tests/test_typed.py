"""msgspec's typed check (segment_spec._typed): never looser than the schema, and present.

Each small schema below is compiled three ways: the typed check alone, the full ``ok`` and the
closures' report. The typed check may refuse what the schema allows (the generated check then
answers), but must never accept a value the report has something to say about.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segment_spec import events
from segment_spec._catalog import event_validator
from segment_spec._select import CALL_TYPES, batch_validator, call_validator
from segment_spec._validate import Compiled, compile_schema

BASE = "https://segment-spec.invalid/test/"


def compiled(schema: dict[str, Any], **others: dict[str, Any]) -> Compiled:
    documents = {f"{BASE}root.json": schema} | {f"{BASE}{k}.json": v for k, v in others.items()}
    return compile_schema(f"{BASE}root.json", documents.__getitem__)


def verdicts(check: Compiled, value: Any) -> tuple[bool | None, bool, bool]:
    found = check.report(value, ())
    typed = check.typed(value) if check.typed is not None else None
    return typed, check.ok(value), not found


TIMESTAMP = {"type": ["string", "number", "null"], "format": "segment-timestamp"}
SCHEMAS: dict[str, dict[str, Any]] = {
    "types": {
        "type": "object",
        "properties": {
            "s": {"type": "string", "maxLength": 3},
            "n": {"type": "number", "minimum": 0},
            "i": {"type": "integer"},
            "b": {"type": "boolean"},
            "list": {"type": "array", "items": {"type": "string"}, "maxItems": 2},
            "maybe": {"type": ["string", "null"]},
        },
    },
    "required": {
        "type": "object",
        "required": ["id", "kind", "anything"],
        "properties": {
            "id": {"type": ["string", "number"], "pattern": "\\S"},
            "kind": {"type": "string"},
            "label": {"enum": ["a", "b", None]},
        },
    },
    "formats": {
        "type": "object",
        "properties": {
            "at": TIMESTAMP,
            "nested": {
                "type": "object",
                "properties": {"at": {"type": "string", "format": "date-time"}},
            },
        },
    },
    "unions": {
        "type": "object",
        "properties": {
            "either": {
                "anyOf": [
                    {"type": "null"},
                    {"type": "object", "properties": {"x": {"type": "string"}}},
                ]
            },
            "switches": {"type": "object", "additionalProperties": {"type": ["boolean", "object"]}},
            "flags": {"enum": [True, 1]},
        },
        "anyOf": [{"required": ["a"]}, {"required": ["b"]}],
    },
}
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([0.5, -0.5, 1.0, 2.0]),
    st.sampled_from(["", " ", "a", "abcd", "2015-02-23T22:28:55.387Z", "NOW", "b"]),
    st.just(1675692865495),
)
JSON = st.recursive(
    VALUES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["x", "at", "a", "b", "Mixpanel"]), inner, max_size=3),
    ),
    max_leaves=8,
)
KEYS = st.sampled_from(
    [
        "s",
        "n",
        "i",
        "b",
        "list",
        "maybe",
        "id",
        "kind",
        "anything",
        "label",
        "at",
        "nested",
        "either",
        "switches",
        "flags",
        "a",
        "b",
    ]
)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@settings(max_examples=300)
@given(value=st.dictionaries(KEYS, JSON, max_size=6))
def test_typed_is_never_looser_than_the_report(name: str, value: dict[str, Any]) -> None:
    typed, ok, clean = verdicts(compiled(SCHEMAS[name]), value)
    assert ok == clean
    assert typed is not None
    assert clean or not typed


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("types", {"s": "abc", "n": 0, "i": 2, "b": False, "list": ["x"], "maybe": None}, True),
        ("types", {"s": "abcd"}, False),
        ("types", {"n": -1}, False),
        ("types", {"n": True}, False),
        ("types", {"i": 1.5}, False),
        ("types", {"list": ["a", "b", "c"]}, False),
        ("types", {"other": {"anything": [1]}}, True),
        ("required", {"id": 7, "kind": "k", "anything": 0}, True),
        ("required", {"id": " ", "kind": "k", "anything": 0}, False),
        ("required", {"id": "7", "kind": " ", "anything": 0}, False),
        ("required", {"id": "7", "kind": "k"}, False),
        ("required", {"id": "7", "kind": "k", "anything": None}, False),
        ("required", {"id": "7", "kind": "k", "anything": 1, "label": "c"}, False),
        ("required", {"id": "7", "kind": "k", "anything": 1, "label": None}, True),
        ("formats", {"at": "2015-02-23T22:28:55.387Z", "nested": {"at": "2021-01-01"}}, True),
        ("formats", {"at": 1675692865495}, True),
        ("formats", {"at": "NOW"}, False),
        ("formats", {"at": 10**20}, False),
        ("formats", {"nested": {"at": "NOW"}}, False),
        ("unions", {"a": 1, "either": None, "switches": {"All": True, "GA": {"x": 1}}}, True),
        ("unions", {"a": 1, "either": {"x": 1}}, False),
        ("unions", {"b": 1, "switches": {"All": "yes"}}, False),
        ("unions", {"c": 1}, False),
        ("unions", {"a": 1, "flags": True}, True),
        ("unions", {"a": 1, "flags": 2}, False),
    ],
)
def test_typed_and_full_checks(name: str, value: dict[str, Any], expected: bool) -> None:
    typed, ok, clean = verdicts(compiled(SCHEMAS[name]), value)
    assert (ok, clean) == (expected, expected)
    # Where the typed check can say yes, it does: the fast path is not lost.
    assert typed == expected


def test_a_recursive_schema_is_checked_in_python_where_it_recurses() -> None:
    tree = {
        "type": "object",
        "properties": {
            "children": {"type": "array", "items": {"$ref": "#"}},
            "n": {"type": "number"},
        },
    }
    check = compiled(tree)
    assert verdicts(check, {"children": [{"children": [], "n": 1}]}) == (True, True, True)
    assert verdicts(check, {"children": [{"n": "1"}]}) == (False, False, False)
    assert verdicts(check, {"n": "1"}) == (False, False, False)


def test_refs_keep_their_own_base_when_merged() -> None:
    # The same property from two documents: each $ref resolves against its own document.
    common = {
        "$defs": {"id": {"type": ["string", "number", "null"]}},
        "type": "object",
        "properties": {"user_id": {"$ref": "#/$defs/id"}},
    }
    root = {
        "allOf": [{"$ref": "common.json"}],
        "required": ["user_id"],
        "properties": {"user_id": {"$ref": "common.json#/$defs/id"}},
    }
    check = compiled(root, common=common)
    assert verdicts(check, {"user_id": "u"}) == (True, True, True)
    assert verdicts(check, {"user_id": None}) == (False, False, False)
    assert verdicts(check, {"user_id": []}) == (False, False, False)


def test_every_bundled_schema_has_a_typed_form() -> None:
    for call in CALL_TYPES:
        assert call_validator(call).typed is not None, call
    assert batch_validator().typed is not None
    for event in events():
        assert event_validator(event).typed is not None, event.name


def test_a_mapping_that_is_not_a_dict_goes_to_the_python_checks() -> None:
    from types import MappingProxyType

    from segment_spec import Track, check

    message = {"type": "track", "event": "E", "user_id": "u"}
    compiled_track = call_validator("track")
    assert compiled_track.typed is not None
    assert compiled_track.typed(message)
    assert not compiled_track.typed(MappingProxyType(message))
    assert isinstance(check(MappingProxyType(message)), Track)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_the_one_pass_track_check_is_never_looser(data: st.DataObject) -> None:
    from segment_spec import normalize
    from segment_spec._catalog import resolve_event, track_event_check
    from segment_spec._message import read_timestamps
    from segment_spec.testing import events as event_messages
    from segment_spec.testing import invalid_messages

    message = normalize(data.draw(event_messages())).value
    case = data.draw(invalid_messages())
    for candidate in (message, normalize(case.message).value):
        if not isinstance(candidate, dict) or candidate.get("type") != "track":
            continue
        name = candidate.get("event")
        event, _ = resolve_event(name) if isinstance(name, str) else (None, False)
        if event is None:
            continue
        fused = track_event_check(event)
        assert fused is not None
        properties = candidate.get("properties")
        event_clean = not isinstance(properties, dict) or event_validator(event).ok(properties)
        if fused(candidate) and read_timestamps(candidate) is not None:
            assert event_clean
            assert call_validator("track").ok(candidate)


def test_the_one_pass_track_check_accepts_every_event_sample() -> None:
    from segment_spec import normalize, sample
    from segment_spec._catalog import track_event_check

    for event in events():
        message = normalize(sample(event.name)).value
        fused = track_event_check(event)
        assert fused is not None
        assert fused(message), event.name
        broken = {**message, "properties": {**message.get("properties", {}), "revenue": "1"}}
        assert not fused(broken), event.name


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("2015-02-23T22:28:55.387Z", "clean"),
        (1675692865495, "warning"),
        ("NOW", "rejected"),
        (10**20, "rejected"),
        (True, "rejected"),
    ],
)
def test_a_spec_track_still_has_its_timestamps_read(timestamp: Any, expected: str) -> None:
    # The one-pass check leaves the dates to read_timestamps(): the same outcome as ever.
    from segment_spec import Rejection, Track, check, sample

    message = {**sample("Order Completed"), "timestamp": timestamp}
    body = json.dumps(message).encode()  # the standard library writes integers of any size
    result = check(body)
    strict = check(body, strict=True)
    if expected == "rejected":
        assert isinstance(result, Rejection)
        assert result.issues[0].path == ("timestamp",)
    elif expected == "warning":
        assert isinstance(result, Track)
        assert [i.keyword for i in result.issues] == ["timestamp-number"]
        assert result.timestamp is not None
        assert isinstance(strict, Rejection)
    else:
        assert isinstance(result, Track)
        assert result.issues == ()
        assert result.timestamp is not None
        assert result.timestamp.year == 2015
        assert isinstance(strict, Track)
