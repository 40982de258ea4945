"""sample(): one realistic, deterministic message per call type and semantic event."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import segment_spec
from segment_spec import (
    CALL_TYPES,
    Rejection,
    Track,
    UnknownSchemaName,
    check,
    events,
    normalize,
    sample,
    schema,
)
from segment_spec._sample import sample_names

EVENT_NAMES = [event.name for event in events()]
LEGACY_NAMES = [name for event in events() for name in event.legacy_names]
ALL_NAMES = [*CALL_TYPES, *EVENT_NAMES, *LEGACY_NAMES]
WIRES = ["snake", "camel"]


def test_every_name_is_covered() -> None:
    assert len(EVENT_NAMES) == 87
    assert len(set(ALL_NAMES)) == len(ALL_NAMES)


def test_sample_names_lists_every_name_once() -> None:
    names = sample_names()
    assert sorted(names) == sorted(ALL_NAMES)
    assert names[:6] == CALL_TYPES
    # A legacy name follows the current name of its event.
    assert names[names.index("Order Completed") + 1] == "Completed Order"


@pytest.mark.parametrize("wire", WIRES)
@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_sample_passes_check_without_any_issue(name: str, wire: Any) -> None:
    result = check(sample(name, wire=wire))
    assert not isinstance(result, Rejection), result
    assert result.issues == ()
    assert result.type == ("track" if name not in CALL_TYPES else name)


@pytest.mark.parametrize("wire", WIRES)
@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_sample_passes_strict_check_as_json_bytes(name: str, wire: Any) -> None:
    body = json.dumps(sample(name, wire=wire)).encode()
    result = check(body, strict=True)
    assert not isinstance(result, Rejection), result
    assert result.issues == ()


@pytest.mark.parametrize("name", [*EVENT_NAMES, *LEGACY_NAMES])
def test_an_event_sample_is_a_track_of_that_event(name: str) -> None:
    message = sample(name)
    result = check(message)
    assert isinstance(result, Track)
    assert message["event"] == name  # a legacy sender sends the legacy name
    assert result.semantic is not None
    assert name in (result.semantic.name, *result.semantic.legacy_names)
    assert message["properties"] == schema(name)["examples"][0]


def test_same_name_same_bytes() -> None:
    for name in ALL_NAMES:
        for wire in ("snake", "camel"):
            assert json.dumps(sample(name, wire=wire)) == json.dumps(sample(name, wire=wire))


def test_same_bytes_in_another_process() -> None:
    # A new interpreter with another hash seed: nothing may depend on hash() or on time.
    code = (
        "import json, segment_spec as s; "
        "print(json.dumps([s.sample(n, wire=w) for n in ('track', 'Order Completed', 'screen')"
        " for w in ('snake', 'camel')]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    here = [
        sample(n, wire=w)
        for n in ("track", "Order Completed", "screen")
        for w in ("snake", "camel")
    ]
    assert out.strip() == json.dumps(here)


def test_pinned_values_do_not_drift() -> None:
    # Users paste samples into fixtures; changing them is a user-visible change.
    message = sample("Order Completed", wire="camel")
    assert message["messageId"] == "ajs-next-f6024ee6738239c6b0f63628572fde67"
    assert message["originalTimestamp"] == "2024-05-14T09:16:32.136Z"
    assert sample("Order Completed")["message_id"] == message["messageId"]
    assert sample("Order Completed")["user_id"] != sample("Order Updated")["user_id"]


def test_the_snake_form_is_the_camel_form_normalized() -> None:
    """The default form is what the package's normalizer makes of the camelCase one."""
    for name in ALL_NAMES:
        camel = sample(name, wire="camel")
        normalized = normalize(camel)
        assert normalized.issues == ()
        assert sample(name) == normalized.value
        assert sample(name, wire="snake") == normalized.value


def _keys(value: Any, under: str = "") -> Iterator[tuple[str, str]]:
    """Every (parent key, key) of a JSON value, at every depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield under, key
            yield from _keys(item, key)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item, under)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_the_default_form_is_snake_case_at_every_depth(name: str) -> None:
    message = sample(name)
    keys = [key for parent, key in _keys(message) if parent != "integrations"]
    assert keys
    # Lowercase ASCII letters and digits in words joined by single underscores.
    assert all(re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)*", key) for key in keys), keys
    for key in ("message_id", "anonymous_id", "user_id", "sent_at", "received_at"):
        assert key in message
    assert "original_timestamp" in message
    assert "integrations" in message


def test_snake_form_of_known_places() -> None:
    assert sample("page")["context"]["user_agent"].startswith("Mozilla/5.0")
    assert sample("screen")["context"]["device"]["ad_tracking_enabled"] is False
    assert sample("alias")["previous_id"] == sample("alias")["anonymous_id"]
    assert sample("group")["group_id"].startswith("acct_")


def test_integrations_keep_their_keys_in_the_snake_form() -> None:
    """Destination names are not field names: the normalizer keeps them, and so do samples."""
    camel = sample("track", wire="camel")
    camel["integrations"] = {"Google Analytics": {"clientId": "c-1"}, "All": False}
    snake = normalize(camel).value
    assert set(snake["integrations"]) == {"Google Analytics", "All"}
    assert list(sample("track")["integrations"]) == []


@pytest.mark.parametrize(
    ("asked", "event"),
    [
        ("order completed", "Order Completed"),
        ("  ORDER COMPLETED\t", "Order Completed"),
        ("completed order", "Completed Order"),  # the legacy name, as asked
        ("Completed ORDER ", "Completed Order"),
        ("email opened", "Email Opened"),
    ],
)
def test_event_names_are_found_in_any_case_and_spacing(asked: str, event: str) -> None:
    for wire in ("snake", "camel"):
        message = sample(asked, wire=wire)
        assert message["event"] == event
        assert message == sample(event, wire=wire)  # the same ids and times too


@pytest.mark.parametrize("asked", ["Track", " identify ", "ALIAS"])
def test_call_types_are_found_in_any_case_and_spacing(asked: str) -> None:
    proper = asked.strip().lower()
    message = sample(asked)
    assert message["type"] == proper
    assert message == sample(proper)


def test_wire_must_be_snake_or_camel() -> None:
    for wire in ("either", "Camel", "", None):
        with pytest.raises(ValueError, match="wire must be 'snake' or 'camel'"):
            sample("track", wire=wire)  # type: ignore[arg-type]


def test_each_call_returns_a_new_dict() -> None:
    first = sample("Order Completed")
    first["properties"]["products"].clear()
    first["context"]["library"]["name"] = "changed"
    second = sample("Order Completed")
    assert second["properties"]["products"]
    assert second["context"]["library"]["name"] == "analytics.js"


_TOP_CAMEL = ("messageId", "anonymousId", "userId", "sentAt", "receivedAt", "originalTimestamp")


@pytest.mark.parametrize("name", ALL_NAMES)
def test_wire_form_is_camel_case(name: str) -> None:
    message = sample(name, wire="camel")
    for key in (*_TOP_CAMEL, "timestamp", "type", "context", "integrations"):
        assert key in message
    assert all("_" not in key for key in message)
    assert all("_" not in key for key in message["context"])


def test_browser_and_mobile_contexts() -> None:
    page = sample("page", wire="camel")["context"]
    assert page["library"]["name"] == "analytics.js"
    assert {"userAgent", "ip", "locale", "page"} <= set(page)
    for name in ("screen", "Application Opened"):
        mobile = sample(name, wire="camel")["context"]
        assert {"app", "device", "os", "network", "screen", "library"} <= set(mobile)
    assert (
        sample("alias", wire="camel")["previousId"] == sample("alias", wire="camel")["anonymousId"]
    )
    assert sample("group", wire="camel")["groupId"]
    assert sample("Signed Up", wire="camel")["context"]["groupId"]  # B2B events name the account
    assert sample("Signed Up")["context"]["group_id"]
    assert sample("Email Opened")["context"]["traits"]["email"]


def test_timestamps_are_in_order_of_the_journey() -> None:
    message = sample("identify")
    assert message["original_timestamp"] < message["sent_at"]
    result = check(message)
    assert not isinstance(result, Rejection)
    assert result.timestamp is not None
    assert result.original_timestamp is not None
    assert result.sent_at is not None
    assert result.received_at is not None
    # Segment's correction: timestamp = receivedAt - (sentAt - originalTimestamp)
    assert result.timestamp == result.received_at - (result.sent_at - result.original_timestamp)


def test_unknown_name_raises_with_suggestions() -> None:
    with pytest.raises(UnknownSchemaName) as raised:
        sample("Order Complete")
    assert isinstance(raised.value, LookupError)
    assert raised.value.name == "Order Complete"
    assert "Order Completed" in raised.value.suggestions
    assert "did you mean 'Order Completed'" in str(raised.value)
    with pytest.raises(UnknownSchemaName) as raised:
        sample(" order complete ")
    assert raised.value.name == " order complete "
    assert "Order Completed" in raised.value.suggestions
    with pytest.raises(UnknownSchemaName):
        sample("Order_Completed")  # letter case and surrounding spaces only
    with pytest.raises(UnknownSchemaName):
        sample("")


def test_sample_is_public() -> None:
    assert "sample" in segment_spec.__all__
    assert segment_spec.sample is sample


def test_sample_command_prints_the_sample(capsys: pytest.CaptureFixture[str]) -> None:
    from segment_spec._cli import main

    assert main(["sample", "Order Completed"]) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed) == segment_spec.sample("Order Completed")
    assert json.loads(printed)["message_id"].startswith("ajs-next-")
    assert main(["sample", "--pretty", "identify"]) == 0
    assert capsys.readouterr().out.startswith("{\n  ")


@pytest.mark.parametrize(
    ("options", "wire"),
    [
        ([], "snake"),
        (["--wire", "snake"], "snake"),
        (["--wire", "camel"], "camel"),
        (["--camel"], "camel"),
    ],
)
def test_sample_command_prints_either_form(
    options: list[str], wire: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from segment_spec._cli import main

    assert main(["sample", "order completed", *options]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == segment_spec.sample("Order Completed", wire=wire)
    assert ("messageId" in printed) is (wire == "camel")


def test_sample_command_lists_the_names(capsys: pytest.CaptureFixture[str]) -> None:
    from segment_spec._cli import main

    assert main(["sample", "--list"]) == 0
    printed = capsys.readouterr().out
    assert printed.endswith("\n")
    assert printed.splitlines() == list(sample_names())
    assert sorted(printed.splitlines()) == sorted(ALL_NAMES)


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["sample"], "give a NAME"),
        (["sample", "track", "--list"], "not both"),
    ],
)
def test_sample_command_needs_a_name_or_list(
    argv: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from segment_spec._cli import main

    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert error in captured.err


def test_sample_command_takes_one_wire_option(capsys: pytest.CaptureFixture[str]) -> None:
    from segment_spec._cli import main

    for argv in (
        ["sample", "track", "--camel", "--wire", "snake"],
        ["sample", "track", "--wire", "kebab"],
    ):
        with pytest.raises(SystemExit) as caught:
            main(argv)
        assert caught.value.code == 2
    assert "usage: segment-spec sample" in capsys.readouterr().err


def test_sample_command_suggests_on_unknown_names(capsys: pytest.CaptureFixture[str]) -> None:
    from segment_spec._cli import main

    assert main(["sample", "Order Complete"]) == 2
    assert "did you mean 'Order Completed'" in capsys.readouterr().err
