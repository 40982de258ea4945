"""check / validate / iter_issues on single messages: status codes, rules, typed messages."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jsonschema
import orjson
import pytest

import segment_spec
from segment_spec import (
    Alias,
    Group,
    Identify,
    InvalidMessage,
    Page,
    Rejection,
    Screen,
    Severity,
    Track,
    check,
    iter_issues,
    validate,
)
from segment_spec._normalize import snake_case
from segment_spec._schemas import store

# The identify body from the Direct destinations partner guide (its "ip" and "email" are
# blank there; the body is otherwise as printed).
SEED_IDENTIFY = {
    "anonymous_id": "1234",
    "context": {
        "ip": "",
        "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_5) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/40.0.2214.115 Safari/537.36",
    },
    "message_id": "022bb90c-bbac-11e4-8dfc-aa07a5b093db",
    "received_at": "2015-02-23T22:28:55.387Z",
    "sent_at": "2015-02-23T22:28:55.111Z",
    "traits": {"name": "John Doe", "email": "", "plan": "premium", "logins": 5},
    "type": "identify",
    "user_id": "5678",
    "version": "1.1",
}

ERROR_BODY = store().by_path("error-body.json")


def rejected(result: Any) -> Rejection:
    assert isinstance(result, Rejection), f"expected a rejection, got {result!r}"
    jsonschema.validate(result.body, ERROR_BODY)
    return result


def track(**fields: Any) -> dict[str, Any]:
    return {"type": "track", "event": "Signed Up", "userId": "u1", **fields}


class TestSeed:
    def test_seed_identify_validates(self) -> None:
        message = validate(json.dumps(SEED_IDENTIFY))
        assert isinstance(message, Identify)
        assert message.user_id == "5678"
        assert message.anonymous_id == "1234"
        assert message.message_id == "022bb90c-bbac-11e4-8dfc-aa07a5b093db"
        assert message.traits["logins"] == 5
        assert message.received_at == datetime(2015, 2, 23, 22, 28, 55, 387000, tzinfo=UTC)
        assert message.sent_at == datetime(2015, 2, 23, 22, 28, 55, 111000, tzinfo=UTC)
        # context keys are snake_cased like every other key
        assert "user_agent" in message.context
        assert message.issues == ()

    def test_inputs_bytes_text_and_mapping_agree(self) -> None:
        as_bytes = check(json.dumps(SEED_IDENTIFY).encode())
        as_text = check(json.dumps(SEED_IDENTIFY))
        as_dict = check(SEED_IDENTIFY)
        assert as_bytes == as_text == as_dict


class TestStatusCodes:
    def test_malformed_json_is_400(self) -> None:
        reply = rejected(check(b'{"type": "track",'))
        assert reply.status == 400
        assert reply.issues[0].keyword == "invalid-json"

    def test_invalid_utf8_is_400(self) -> None:
        reply = rejected(check(b'{"type": "track", "event": "\xff\xfe"}'))
        assert reply.status == 400
        assert "UTF-8" in reply.body["message"]

    @pytest.mark.parametrize("body", [b"[]", b"42", b'"track"', b"null", b"true"])
    def test_non_object_json_is_400(self, body: bytes) -> None:
        reply = rejected(check(body))
        assert reply.status == 400
        assert reply.issues[0].keyword == "not-an-object"

    def test_empty_body_is_400(self) -> None:
        assert rejected(check(b"")).status == 400

    def test_message_over_32_kib_is_400_before_parsing(self) -> None:
        # Not even valid JSON: the size is checked first, so the reply is about the size.
        reply = rejected(check(b"{" + b" " * (32 * 1024)))
        assert reply.status == 400
        assert reply.issues[0].keyword == "too-large"
        assert "32,768" in reply.body["message"]

    def test_message_of_exactly_32_kib_is_accepted(self) -> None:
        body = orjson.dumps(track(properties={"pad": ""}))
        pad = 32 * 1024 - len(body)
        exact = orjson.dumps(track(properties={"pad": "x" * pad}))
        assert len(exact) == 32 * 1024
        assert isinstance(check(exact), Track)
        assert rejected(check(exact[:-1] + b" }")).issues[0].keyword == "too-large"

    def test_oversize_text_is_measured_in_utf8_bytes(self) -> None:
        text = json.dumps(track(properties={"pad": "é" * 17000}), ensure_ascii=False)
        assert len(text) < 32 * 1024 < len(text.encode())
        assert rejected(check(text)).issues[0].keyword == "too-large"

    @pytest.mark.parametrize("kind", ["delete", "Delete", "screenview", "capture"])
    def test_unknown_call_type_is_501(self, kind: str) -> None:
        reply = rejected(check({"type": kind, "userId": "u1"}))
        assert reply.status == 501
        assert reply.issues[0].keyword == "unsupported-type"
        assert kind not in reply.body["message"]

    def test_unsupported_call_is_501(self) -> None:
        reply = rejected(check(track(), supported={"identify", "page"}))
        assert reply.status == 501
        assert reply.body == {"message": "this destination does not support track calls"}
        assert isinstance(check(track(), supported=["track"]), Track)

    def test_supported_argument_is_checked(self) -> None:
        with pytest.raises(ValueError, match="unknown call types"):
            check(track(), supported={"trak"})
        with pytest.raises(TypeError):
            check(track(), supported="track")

    @pytest.mark.parametrize("value", [None, "", "  "])
    def test_missing_type_is_400(self, value: Any) -> None:
        message = {"event": "Signed Up", "userId": "u1"}
        if value is not None:
            message["type"] = value
        reply = rejected(check(message))
        assert reply.status == 400
        assert reply.issues[0].path == ("type",)
        assert reply.body["message"].startswith("type is required")

    def test_type_not_a_string_is_400(self) -> None:
        reply = rejected(check({"type": ["track"], "event": "x", "userId": "u"}))
        assert reply.status == 400
        assert reply.issues[0].keyword == "type"

    def test_type_in_wrong_case_is_accepted_with_a_warning(self) -> None:
        message = check({"type": "Identify", "userId": "u1"})
        assert isinstance(message, Identify)
        assert [i.keyword for i in message.issues] == ["type-case"]
        assert message.data["type"] == "identify"
        assert rejected(check({"type": "Identify", "userId": "u1"}, strict=True)).status == 400


class TestIdentity:
    @pytest.mark.parametrize("call", ["identify", "track", "page", "screen", "group"])
    @pytest.mark.parametrize("absent", [None, "", "   ", "\t\n"])
    def test_blank_ids_count_as_absent(self, call: str, absent: Any) -> None:
        message = {"type": call, "event": "E", "groupId": "g", "userId": absent}
        message["anonymousId"] = absent
        reply = rejected(check(message))
        assert reply.status == 400
        assert any(i.keyword == "identity" for i in reply.issues)
        assert "user_id or anonymous_id" in reply.body["message"]

    @pytest.mark.parametrize("field", ["userId", "anonymousId", "user_id", "anonymous_id"])
    def test_either_id_is_enough(self, field: str) -> None:
        assert isinstance(check({"type": "page", field: "x"}), Page)

    def test_numeric_ids_are_accepted_as_text(self) -> None:
        message = check({"type": "identify", "userId": 12345, "anonymousId": 7.0})
        assert isinstance(message, Identify)
        assert message.user_id == "12345"
        assert message.anonymous_id == "7"
        assert message.data["user_id"] == 12345

    def test_boolean_id_is_not_an_id(self) -> None:
        reply = rejected(check({"type": "identify", "userId": True}))
        assert [(i.keyword, i.severity) for i in reply.issues] == [
            ("identity", Severity.ERROR),
            ("type", Severity.WARNING),
        ]

    def test_wrong_typed_second_id_is_a_warning_only(self) -> None:
        message = check({"type": "track", "event": "E", "userId": "u", "anonymousId": {"a": 1}})
        assert isinstance(message, Track)
        assert message.anonymous_id is None
        (issue,) = message.issues
        assert (issue.path, issue.keyword, issue.severity) == (
            ("anonymous_id",),
            "type",
            Severity.WARNING,
        )

    def test_alias_needs_user_id_and_previous_id(self) -> None:
        alias = check({"type": "alias", "userId": "new", "previousId": "old"})
        assert isinstance(alias, Alias)
        assert alias.previous_id == "old"
        reply = rejected(check({"type": "alias", "anonymousId": "a", "previousId": "old"}))
        assert reply.issues[0].path == ("user_id",)
        assert reply.issues[0].keyword == "required"
        reply = rejected(check({"type": "alias", "userId": "new", "previousId": " "}))
        assert [i.path for i in reply.issues] == [("previous_id",)]
        assert "previous_id" in reply.body["message"]


class TestCallRules:
    @pytest.mark.parametrize("event", [None, "", "  "])
    def test_track_needs_a_non_empty_event(self, event: Any) -> None:
        message = track()
        message["event"] = event
        reply = rejected(check(message))
        assert reply.body == {"message": "event is required: a non-empty string"}
        assert reply.issues[0].json_path == "$.event"

    def test_track_without_event_key(self) -> None:
        message = track()
        del message["event"]
        assert rejected(check(message)).issues[0].keyword == "required"

    @pytest.mark.parametrize("event", [42, {"name": "x"}, ["x"], True])
    def test_track_event_must_be_a_string(self, event: Any) -> None:
        reply = rejected(check(track(event=event)))
        assert reply.issues[0].keyword == "type"
        assert reply.body["message"].startswith("event must be a string, not ")

    def test_group_needs_group_id(self) -> None:
        reply = rejected(check({"type": "group", "userId": "u"}))
        assert reply.issues[0].path == ("group_id",)
        group = check({"type": "group", "userId": "u", "groupId": 42, "traits": {"a": 1}})
        assert isinstance(group, Group)
        assert (group.group_id, group.traits) == ("42", {"a": 1})

    def test_page_and_screen_fields(self) -> None:
        page = check({"type": "page", "userId": "u", "name": "Home", "category": "Docs"})
        assert isinstance(page, Page)
        assert (page.name, page.category, page.properties) == ("Home", "Docs", {})
        screen = check({"type": "screen", "userId": "u", "name": "Home"})
        assert isinstance(screen, Screen)
        assert screen.name == "Home"

    def test_unknown_fields_are_kept(self) -> None:
        message = check(track(requestIp="1.2.3.4", writeKey="k", nested={"someKey": 1}))
        assert isinstance(message, Track)
        assert message.data["request_ip"] == "1.2.3.4"
        assert message.data["nested"] == {"some_key": 1}
        assert message.issues == ()

    @pytest.mark.parametrize("field", ["properties", "context", "integrations"])
    def test_null_objects_count_as_absent(self, field: str) -> None:
        message = check(track(**{field: None}))
        assert isinstance(message, Track)
        assert message.issues == ()

    @pytest.mark.parametrize("value", ["text", [1], 3])
    def test_non_object_properties_are_kept_with_a_warning(self, value: Any) -> None:
        message = check(track(properties=value))
        assert isinstance(message, Track)
        assert message.properties == {}
        assert message.data["properties"] == value
        assert [(i.path, i.keyword) for i in message.issues] == [(("properties",), "type")]
        assert rejected(check(track(properties=value), strict=True)).status == 400

    def test_integrations_keys_are_not_snake_cased(self) -> None:
        message = check(track(integrations={"Google Analytics": {"clientId": "1"}, "All": True}))
        assert isinstance(message, Track)
        assert message.integrations == {"Google Analytics": {"client_id": "1"}, "All": True}

    def test_integration_value_of_wrong_type_is_a_warning(self) -> None:
        message = check(track(integrations={"Mixpanel": "yes"}))
        assert isinstance(message, Track)
        assert message.issues[0].json_path == "$.integrations.Mixpanel"

    def test_long_message_id_is_a_warning(self) -> None:
        message = check(track(messageId="m" * 101))
        assert isinstance(message, Track)
        assert message.issues[0].keyword == "maxLength"


class TestTimestamps:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("2015-02-23T22:28:55.387Z", datetime(2015, 2, 23, 22, 28, 55, 387000, tzinfo=UTC)),
            ("2009-11-10T23:00:00Z", datetime(2009, 11, 10, 23, tzinfo=UTC)),
            (
                "2023-09-01T15:46:51.693229+05:30",
                datetime(2023, 9, 1, 15, 46, 51, 693229, tzinfo=timezone(timedelta(hours=5.5))),
            ),
            ("2024-01-01T01:01:01.000000001Z", datetime(2024, 1, 1, 1, 1, 1, tzinfo=UTC)),
            ("2021-03-02T16:41:55.8819564Z", datetime(2021, 3, 2, 16, 41, 55, 881956, tzinfo=UTC)),
            ("2020-01-15 14:57:24.898", datetime(2020, 1, 15, 14, 57, 24, 898000, tzinfo=UTC)),
            ("2024-07-12T14:45:25+00:00", datetime(2024, 7, 12, 14, 45, 25, tzinfo=UTC)),
            ("2021-01-01", datetime(2021, 1, 1, tzinfo=UTC)),
            (
                "2020-01-24t11:59:02.402+0530",
                datetime(2020, 1, 24, 11, 59, 2, 402000, tzinfo=timezone(timedelta(hours=5.5))),
            ),
        ],
    )
    def test_accepted_forms(self, text: str, expected: datetime) -> None:
        message = check(track(timestamp=text, sentAt=text, receivedAt=text, originalTimestamp=text))
        assert isinstance(message, Track)
        for value in (message.timestamp, message.sent_at, message.received_at):
            assert value == expected
            assert value is not None
            assert value.utcoffset() == expected.utcoffset()
        assert message.original_timestamp == expected

    @pytest.mark.parametrize(
        "text",
        [
            "NOW",
            "",
            "2017",
            "2015-2-02T00:30:08.276Z",
            "2024-13-01",
            "2024-02-30",
            "2023-11-22T10:12:44.75705:30",
            "1631210000",
            "2020-08-14T05: 30: 30.118Z",
        ],
    )
    @pytest.mark.parametrize("field", ["timestamp", "sentAt", "receivedAt", "originalTimestamp"])
    def test_not_a_date_is_400_naming_the_field(self, field: str, text: str) -> None:
        reply = rejected(check(track(**{field: text})))
        snake = {"sentAt": "sent_at", "receivedAt": "received_at"}.get(field, field)
        snake = "original_timestamp" if field == "originalTimestamp" else snake
        assert reply.status == 400
        assert reply.issues[0].path == (snake,)
        assert reply.issues[0].keyword == "format"
        assert reply.body["message"].startswith(f"{snake} must be an ISO-8601 date-time")

    def test_epoch_milliseconds_are_read_with_a_warning(self) -> None:
        message = check(track(timestamp=1675692865495))
        assert isinstance(message, Track)
        assert message.timestamp == datetime(2023, 2, 6, 14, 14, 25, 495000, tzinfo=UTC)
        assert [i.keyword for i in message.issues] == ["timestamp-number"]

    def test_null_timestamp_is_absent(self) -> None:
        message = check(track(receivedAt=None))
        assert isinstance(message, Track)
        assert message.received_at is None


class TestRejectionBody:
    def test_body_names_every_missing_field(self) -> None:
        reply = rejected(check({"type": "alias"}))
        assert reply.body["message"] == (
            "user_id is required: a non-empty string or a number; "
            "previous_id is required: a non-empty string or a number"
        )

    def test_body_counts_what_it_does_not_show(self) -> None:
        bad = "x"
        reply = rejected(
            check(track(event=None, userId=None, timestamp=bad, sentAt=bad, receivedAt=bad))
        )
        assert len([i for i in reply.issues if i.is_error]) == 5
        assert reply.body["message"].endswith("(and 2 more issues)")

    def test_body_never_echoes_submitted_values(self) -> None:
        secret = "jane.doe@example.com"
        cases = [
            track(event={"email": secret}),
            track(timestamp=secret),
            track(userId=None, anonymousId=None, traits={"email": secret}),
            {"type": secret, "userId": secret},
            {"type": "group", "userId": secret},
            track(properties=secret, messageId=secret * 10),
        ]
        for case in cases:
            reply = check(case, strict=True)
            assert isinstance(reply, Rejection), case
            assert secret not in reply.body["message"]
            assert secret.encode() not in reply.json()
            assert all(secret not in issue.message for issue in reply.issues)

    def test_issue_paths_and_json_paths(self) -> None:
        reply = rejected(check(track(properties={"order": {"items": [1]}}, timestamp="x")))
        issue = reply.issues[0]
        assert issue.path == ("timestamp",)
        assert issue.json_path == "$.timestamp"
        assert str(issue) == f"$.timestamp: {issue.message}"


class TestViews:
    def test_validate_raises_invalid_message(self) -> None:
        with pytest.raises(InvalidMessage) as caught:
            validate({"type": "track", "userId": "u"})
        assert caught.value.rejection.status == 400
        assert "event is required" in str(caught.value)

    def test_iter_issues_yields_every_issue(self) -> None:
        issues = list(iter_issues({"type": "track", "timestamp": "x"}))
        assert {i.keyword for i in issues} == {"identity", "required", "format"}
        assert list(iter_issues(track())) == []

    def test_strict_turns_warnings_into_rejections(self) -> None:
        data = track(properties={"orderId": 1, "order_id": 2})
        message = check(data)
        assert isinstance(message, Track)
        (issue,) = message.issues
        assert issue.keyword == "key-collision"
        assert issue.severity is Severity.WARNING
        # nothing is lost: the colliding key keeps its original spelling
        assert message.properties == {"order_id": 2, "orderId": 1}
        reply = rejected(check(data, strict=True))
        assert reply.status == 400
        assert reply.issues[0].keyword == "key-collision"

    def test_messages_are_frozen(self) -> None:
        message = validate(track())
        with pytest.raises(AttributeError):
            message.event = "other"  # type: ignore[misc]
        assert not hasattr(message, "__dict__")

    def test_rejection_json_bytes(self) -> None:
        reply = rejected(check(b"nope"))
        assert orjson.loads(reply.json()) == reply.body
        assert str(reply).startswith("400: ")

    def test_message_union_is_exported(self) -> None:
        assert set(segment_spec.Message.__args__) == {  # type: ignore[attr-defined]
            Identify,
            Track,
            Page,
            Screen,
            Group,
            Alias,
        }


class TestTimestampFastPath:
    """The fromisoformat fast path reads exactly what the grammar reads."""

    @staticmethod
    def _both(text: str) -> tuple[object, object]:
        from segment_spec import _timestamps

        return _timestamps._parse_string(text), _timestamps._parse_text(text)

    def test_agrees_with_the_grammar_on_generated_shapes(self) -> None:
        from hypothesis import given, settings
        from hypothesis import strategies as st

        digits = st.text(alphabet="0123456789", min_size=1, max_size=10)
        tails = st.sampled_from(["", "Z", "z", "+05:30", "-0800", "+05", "+5:30", "T", "X", " "])
        seps = st.sampled_from([".", ",", ":", ""])

        @settings(max_examples=800)
        @given(st.datetimes(), seps, digits, tails, st.sampled_from(["T", " ", "t"]))
        def agree(moment: datetime, sep: str, fraction: str, tail: str, tee: str) -> None:
            text = moment.strftime(f"%Y-%m-%d{tee}%H:%M:%S") + sep + fraction + tail
            fast, slow = self._both(text)
            assert fast == slow, text
            if fast is not None and slow is not None:
                assert fast.utcoffset() == slow.utcoffset()  # type: ignore[attr-defined]

        agree()

    @pytest.mark.parametrize(
        "text", ["20210101T12:30:00Z", "2021-01-01T12", "2021-W01-1T12:30:00Z", "2021-01-01T1230Z"]
    )
    def test_refuses_what_only_fromisoformat_reads(self, text: str) -> None:
        assert self._both(text) == (None, None)


class _Touchy(str):
    """A str subclass whose comparison fails: check() must not call it."""

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("compared")

    __hash__ = str.__hash__


def test_a_type_that_refuses_comparison_never_raises() -> None:
    result = check({"type": _Touchy("track"), "event": "Order Completed", "userId": "u"})
    assert isinstance(result, Rejection | Track)


@pytest.mark.parametrize(
    ("message", "keywords"),
    [
        ({"type": "identify", "userId": "u", "timestamp": "NOW"}, ["format"]),
        ({"type": "page", "userId": "u", "sentAt": 1675692865495}, ["timestamp-number"]),
        (
            {"type": "track", "event": "Button Clicked", "userId": "u", "timestamp": 10**20},
            ["format"],
        ),
        ({"type": "track", "event": "order completed", "userId": "u"}, ["event-case"]),
        ({"type": "group", "groupId": "g", "userId": "u", "receivedAt": "2021-01-01"}, []),
    ],
)
def test_the_first_pass_keeps_every_outcome(message: dict[str, Any], keywords: list[str]) -> None:
    # Clean types, then the dates: each call's one-pass check leaves the timestamps to be read.
    result = check(message)
    assert [issue.keyword for issue in result.issues] == keywords


_CONTEXT_FIELDS = ("ip", "locale", "timezone", "userAgent")


@pytest.mark.parametrize("fields", list(itertools.permutations(_CONTEXT_FIELDS)))
@pytest.mark.parametrize("filler", [0, 40])  # a small object read through, a large one indexed
def test_issues_come_in_the_messages_order(fields: tuple[str, ...], filler: int) -> None:
    """Issues are listed where their places come in the message, whatever order jsonschema-rs
    finds them in, and however large the objects that hold them."""
    extra = {f"k{index}": index for index in range(filler)}
    context = {**dict.fromkeys(fields[:2], 5), **extra, **dict.fromkeys(fields[2:], 5)}
    traits = {"email": 5, "age": "x", "name": 3}
    result = check({"type": "identify", "userId": "u", "context": context, "traits": traits})
    expected = [("context", snake_case(name)) for name in fields]
    expected += [("traits", name) for name in traits]
    assert [issue.path for issue in result.issues] == expected
