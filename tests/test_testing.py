"""segment_spec.testing: valid messages pass check cleanly; invalid ones break their one rule."""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, Phase, find, given, settings

from segment_spec import (
    CALL_TYPES,
    Rejection,
    Severity,
    Track,
    UnknownSchemaName,
    check,
    events,
    normalize,
)
from segment_spec.testing import RULES, Invalid, invalid_messages, messages
from segment_spec.testing import events as event_messages

FAST = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=4, suppress_health_check=[HealthCheck.too_slow])

ALL_EVENT_NAMES = [name for event in events() for name in (event.name, *event.legacy_names)]
SOME_EVENTS = [
    "Order Completed",
    "Product List Filtered",
    "Video Playback Started",
    "Email Opened",
    "Signed Up",
    "Application Opened",
    "Completed Order",  # a legacy name
]


def assert_clean(message: Mapping[str, Any]) -> Any:
    """check accepts the message and reports nothing at all, not even a warning."""
    result = check(message)
    assert not isinstance(result, Rejection), result
    assert result.issues == ()
    return result


# --- valid messages ------------------------------------------------------------------------------


@pytest.mark.parametrize("call", CALL_TYPES)
@pytest.mark.parametrize("wire", ["camel", "snake"])
def test_messages_of_each_call_pass_check_without_issues(call: str, wire: Any) -> None:
    @FAST
    @given(messages(call, wire=wire))
    def run(message: dict[str, Any]) -> None:
        result = assert_clean(message)
        assert result.type == call

    run()


@FAST
@given(messages())
def test_messages_of_any_call_pass_check_without_issues(message: dict[str, Any]) -> None:
    assert_clean(message)
    # every message survives JSON: sent as bytes, it is just as clean
    sent = check(orjson.dumps(message))
    assert not isinstance(sent, Rejection)
    assert sent.issues == ()


@FAST
@given(messages(wire="snake"))
def test_snake_messages_are_already_normalized(message: dict[str, Any]) -> None:
    normalized = normalize(message)
    assert normalized.value == message
    assert normalized.issues == ()


_CAMEL_TOP = {"message_id", "user_id", "anonymous_id", "sent_at", "received_at"}


@FAST
@given(messages(wire="camel"))
def test_camel_messages_use_camel_case_keys(message: dict[str, Any]) -> None:
    assert "messageId" in message
    assert not _CAMEL_TOP & set(message)
    assert all("_" not in key for key in message)
    assert not {"user_agent", "user_agent_data", "group_id", "external_ids"} & set(
        message["context"]
    )


@pytest.mark.parametrize("name", SOME_EVENTS)
def test_events_match_their_schema(name: str) -> None:
    @FAST
    @given(messages(event=name))
    def run(message: dict[str, Any]) -> None:
        result = assert_clean(message)
        assert isinstance(result, Track)
        assert result.event == name
        assert result.semantic is not None

    run()


@pytest.mark.parametrize("name", ALL_EVENT_NAMES)
def test_every_event_and_legacy_name(name: str) -> None:
    @FEW
    @given(event_messages(name))
    def run(message: dict[str, Any]) -> None:
        result = assert_clean(message)
        assert isinstance(result, Track)
        assert result.semantic is not None

    run()


@settings(max_examples=150)
@given(event_messages())
def test_events_of_all_kinds_are_semantic_tracks(message: dict[str, Any]) -> None:
    result = assert_clean(message)
    assert isinstance(result, Track)
    assert result.semantic is not None


_TS_FIELDS = ("timestamp", "sent_at", "received_at", "original_timestamp")


def _timestamp(pattern: str) -> Any:
    return lambda m: any(re.fullmatch(pattern, str(m.get(name))) for name in _TS_FIELDS)


def _has_products(m: dict[str, Any]) -> bool:
    products = (m.get("properties") or {}).get("products")
    return isinstance(products, list) and any(isinstance(p, dict) and p for p in products)


SHAPES = {
    "numeric user id": lambda m: isinstance(m.get("user_id"), int),
    "null anonymous id": lambda m: m.get("anonymous_id", 0) is None,
    "analytics.js time": _timestamp(r".*T.*\.\d{3}Z"),
    "offset": _timestamp(r".*[+-]\d\d:?\d\d"),
    "no zone": _timestamp(r".*:\d\d"),
    "nine fraction digits": _timestamp(r".*\.\d{9}.*"),
    "date only": _timestamp(r"[\d-]{10}"),
    "mobile context": lambda m: "device" in m["context"],
    "browser context": lambda m: "page" in m["context"],
    "semantic event": lambda m: getattr(check(m), "semantic", None) is not None,
}


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


SHAPES_IN_CAMEL = {
    "custom key with spaces": lambda m: any(" " in key for key in _keys(m)),
    "custom key in camelCase": lambda m: any(
        re.fullmatch(r"[a-z]+[A-Z][a-z]+", key) for key in _keys(m.get("properties"))
    ),
}


@pytest.mark.parametrize(
    ("wire", "name", "shape"),
    [
        *[pytest.param("snake", name, shape, id=name) for name, shape in SHAPES.items()],
        *[pytest.param("camel", name, shape, id=name) for name, shape in SHAPES_IN_CAMEL.items()],
        pytest.param("snake", "product objects", _has_products, id="product objects"),
    ],
)
def test_messages_cover_the_shapes_receivers_meet(wire: Any, name: str, shape: Any) -> None:
    # Generation only (no shrinking): stops at the first message of that shape.
    if name == "product objects":
        strategy = event_messages("Order Completed", wire=wire)
    else:
        strategy = messages(wire=wire)
    budget = settings(max_examples=500, phases=[Phase.generate], database=None)
    assert find(strategy, shape, settings=budget)


def test_arguments_are_checked_early() -> None:
    with pytest.raises(ValueError, match="call must be one of"):
        messages("delete")
    with pytest.raises(ValueError, match="track call"):
        messages("page", event="Order Completed")
    with pytest.raises(ValueError, match="call type"):
        messages(event="track")
    with pytest.raises(UnknownSchemaName) as raised:
        messages(event="Order Complete")
    assert "Order Completed" in raised.value.suggestions
    with pytest.raises(UnknownSchemaName):
        event_messages("order completed")  # exact names only: Segment compares exactly
    with pytest.raises(ValueError, match="wire"):
        messages(wire="kebab")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown rule"):
        invalid_messages("no-event")


# --- invalid messages ----------------------------------------------------------------------------


def assert_rejected_as_claimed(case: Invalid) -> Rejection:
    result = check(case.body, strict=case.strict)
    assert isinstance(result, Rejection), case
    assert result.status == case.status
    first = result.issues[0]
    assert (first.path, first.keyword) == (case.path, case.keyword), result.issues
    assert first.severity is Severity.ERROR
    return result


@pytest.mark.parametrize("rule", RULES)
def test_each_rule_is_rejected_as_claimed(rule: str) -> None:
    @FAST
    @given(invalid_messages(rule))
    def run(case: Invalid) -> None:
        assert case.rule == rule
        assert_rejected_as_claimed(case)

    run()


@FAST
@given(invalid_messages())
def test_invalid_messages_of_any_rule(case: Invalid) -> None:
    assert case.rule in RULES
    assert_rejected_as_claimed(case)
    # the same message, as a dict, gives the same reply (except what only bytes can show)
    if isinstance(case.message, dict) and case.rule != "too-large":
        again = check(case.message, strict=case.strict)
        assert isinstance(again, Rejection)
        assert (again.issues[0].path, again.issues[0].keyword) == (case.path, case.keyword)


@FAST
@given(invalid_messages("semantic-type"))
def test_semantic_type_is_only_a_warning_without_strict(case: Invalid) -> None:
    assert case.strict
    result = check(case.body)
    assert isinstance(result, Track)
    assert [(i.path, i.keyword, i.severity) for i in result.issues] == [
        (case.path, "type", Severity.WARNING)
    ]


@pytest.mark.parametrize("wire", ["camel", "snake"])
def test_invalid_messages_come_in_both_wire_forms(wire: Any) -> None:
    key = "messageId" if wire == "camel" else "message_id"

    @FEW
    @given(invalid_messages("no-type", wire=wire))
    def run(case: Invalid) -> None:
        assert key in case.message

    run()


@FEW
@given(invalid_messages("unknown-type"))
def test_unknown_type_is_a_501(case: Invalid) -> None:
    assert (case.status, case.path, case.keyword) == (501, ("type",), "unsupported-type")


# --- invalid messages for a receiver that supports some call types -----------------------------

SUPPORTED_SETS = [
    pytest.param(frozenset({"track"}), id="track"),
    pytest.param(frozenset({"identify", "group"}), id="identify-group"),
    pytest.param(frozenset({"alias"}), id="alias"),
    pytest.param(frozenset(), id="none"),
    pytest.param(frozenset(CALL_TYPES), id="all-six"),
]


@pytest.mark.parametrize("supported", SUPPORTED_SETS)
def test_each_case_claims_what_check_answers_with_supported(supported: frozenset[str]) -> None:
    """Whatever the rule, check with the same supported calls gives the reply the case claims."""

    @FAST
    @given(invalid_messages(supported=supported))
    def run(case: Invalid) -> None:
        assert case.supported == supported
        result = check(case.body, strict=case.strict, supported=supported)
        assert isinstance(result, Rejection), case
        first = result.issues[0]
        assert (result.status, first.path, first.keyword) == (
            case.status,
            case.path,
            case.keyword,
        ), (case, result.issues)

    run()


@pytest.mark.parametrize("rule", RULES)
def test_each_rule_claims_what_check_answers_for_a_track_only_receiver(rule: str) -> None:
    """Rule by rule, a receiver of track calls alone must answer as each case claims."""

    @FEW
    @given(invalid_messages(rule, supported=["track"]))
    def run(case: Invalid) -> None:
        result = check(case.body, strict=case.strict, supported={"track"})
        assert isinstance(result, Rejection), case
        assert (result.status, result.issues[0].path, result.issues[0].keyword) == (
            case.status,
            case.path,
            case.keyword,
        )

    run()


@FEW
@given(invalid_messages("track-without-event", supported={"identify"}))
def test_a_call_that_is_not_supported_is_a_501_before_its_own_rules(case: Invalid) -> None:
    assert (case.status, case.path, case.keyword) == (501, ("type",), "unsupported-type")
    result = check(case.body, supported={"identify"})
    assert isinstance(result, Rejection)
    assert result.body == {"message": "this destination does not support track calls"}


@FEW
@given(invalid_messages("track-without-event", supported={"track", "page"}))
def test_a_supported_call_keeps_the_reply_of_its_rule(case: Invalid) -> None:
    assert (case.status, case.path, case.keyword) == (400, ("event",), "required")


@pytest.mark.parametrize(
    ("rule", "path", "keyword"),
    [
        ("invalid-json", (), "invalid-json"),
        ("too-large", (), "too-large"),
        ("not-an-object", (), "not-an-object"),
        ("no-type", ("type",), "required"),
        ("type-not-a-string", ("type",), "type"),
    ],
)
def test_faults_found_before_the_call_type_keep_their_400(
    rule: str, path: tuple[str, ...], keyword: str
) -> None:
    @FEW
    @given(invalid_messages(rule, supported=()))
    def run(case: Invalid) -> None:
        assert (case.status, case.path, case.keyword) == (400, path, keyword)
        assert case.supported == frozenset()

    run()


@FEW
@given(invalid_messages("unknown-type", supported={"track"}))
def test_an_unknown_type_is_a_501_whatever_is_supported(case: Invalid) -> None:
    assert (case.status, case.path, case.keyword) == (501, ("type",), "unsupported-type")


def test_a_receiver_of_some_calls_meets_both_replies() -> None:
    """The cases for a track-only receiver include 501s for other calls and 400s for tracks."""
    budget = settings(max_examples=500, phases=[Phase.generate], database=None)
    strategy = invalid_messages("no-ids", supported={"track"})
    refused = find(strategy, lambda case: case.status == 501, settings=budget)
    assert refused.message["type"] != "track"
    kept = find(strategy, lambda case: case.status == 400, settings=budget)
    assert (kept.message["type"], kept.keyword) == ("track", "identity")


@FEW
@given(invalid_messages("no-ids"))
def test_without_supported_a_case_claims_the_reply_for_all_six_calls(case: Invalid) -> None:
    assert case.supported is None
    assert case.status == 400


@pytest.mark.parametrize(
    ("supported", "error", "match"),
    [
        ("track", TypeError, "collection of call types"),
        ({"track", "delete"}, ValueError, r"unknown call types in supported: \['delete'\]"),
        (["Track"], ValueError, "unknown call types"),
    ],
)
def test_a_bad_supported_is_refused_as_check_refuses_it(
    supported: Any, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        invalid_messages(supported=supported)
    with pytest.raises(error, match=match):
        check({"type": "track"}, supported=supported)


def test_invalid_is_a_frozen_value() -> None:
    case = Invalid({"type": "track"}, "no-ids", 400, (), "identity")
    with pytest.raises(AttributeError):
        case.status = 200  # type: ignore[misc]
    assert case.body == b'{"type":"track"}'
    assert Invalid(b"{", "invalid-json", 400, (), "invalid-json").body == b"{"


def test_rules_are_named_once() -> None:
    assert len(set(RULES)) == len(RULES)
    assert {"no-ids", "too-large", "semantic-type", "bad-timestamp", "unknown-type"} <= set(RULES)


# --- the optional extra --------------------------------------------------------------------------


def test_import_without_hypothesis_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "hypothesis", None)  # as if it were not installed
    monkeypatch.delitem(sys.modules, "segment_spec.testing")
    with pytest.raises(ImportError, match=re.escape("pip install 'segment-spec[testing]'")):
        importlib.import_module("segment_spec.testing")
