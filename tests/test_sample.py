"""sample(): one realistic, deterministic message per call type and semantic event."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import segment_spec
from segment_spec import (
    CALL_TYPES,
    Rejection,
    Track,
    UnknownSchemaName,
    check,
    events,
    sample,
    schema,
)

EVENT_NAMES = [event.name for event in events()]
LEGACY_NAMES = [name for event in events() for name in event.legacy_names]
ALL_NAMES = [*CALL_TYPES, *EVENT_NAMES, *LEGACY_NAMES]


def test_every_name_is_covered() -> None:
    assert len(EVENT_NAMES) == 87
    assert len(set(ALL_NAMES)) == len(ALL_NAMES)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_sample_passes_check_without_any_issue(name: str) -> None:
    result = check(sample(name))
    assert not isinstance(result, Rejection), result
    assert result.issues == ()
    assert result.type == ("track" if name not in CALL_TYPES else name)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_every_sample_passes_strict_check_as_json_bytes(name: str) -> None:
    body = json.dumps(sample(name)).encode()
    result = check(body, strict=True)
    assert not isinstance(result, Rejection), result


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
        assert json.dumps(sample(name)) == json.dumps(sample(name))


def test_same_bytes_in_another_process() -> None:
    # A new interpreter with another hash seed: nothing may depend on hash() or on time.
    code = (
        "import json, segment_spec as s; "
        "print(json.dumps([s.sample(n) for n in ('track', 'Order Completed', 'screen')]))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    here = [sample(n) for n in ("track", "Order Completed", "screen")]
    assert out.strip() == json.dumps(here)


def test_pinned_values_do_not_drift() -> None:
    # Users paste samples into fixtures; changing them is a user-visible change.
    message = sample("Order Completed")
    assert message["messageId"].startswith("ajs-next-")
    assert message["originalTimestamp"].startswith("2024-05-14T")
    assert sample("Order Completed")["messageId"] == message["messageId"]
    assert sample("Order Completed")["userId"] != sample("Order Updated")["userId"]


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
    message = sample(name)
    for key in (*_TOP_CAMEL, "timestamp", "type", "context", "integrations"):
        assert key in message
    assert all("_" not in key for key in message)
    assert all("_" not in key for key in message["context"])


def test_browser_and_mobile_contexts() -> None:
    page = sample("page")["context"]
    assert page["library"]["name"] == "analytics.js"
    assert {"userAgent", "ip", "locale", "page"} <= set(page)
    for name in ("screen", "Application Opened"):
        mobile = sample(name)["context"]
        assert {"app", "device", "os", "network", "screen", "library"} <= set(mobile)
    assert sample("alias")["previousId"] == sample("alias")["anonymousId"]
    assert sample("group")["groupId"]
    assert sample("Signed Up")["context"]["groupId"]  # B2B events name the account
    assert sample("Email Opened")["context"]["traits"]["email"]


def test_timestamps_are_in_order_of_the_journey() -> None:
    message = sample("identify")
    assert message["originalTimestamp"] < message["sentAt"]
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
    with pytest.raises(UnknownSchemaName):
        sample("Track")  # call types are lowercase, as on the wire


def test_sample_is_public() -> None:
    assert "sample" in segment_spec.__all__
    assert segment_spec.sample is sample


def test_sample_command_prints_the_sample(capsys: pytest.CaptureFixture[str]) -> None:
    from segment_spec._cli import main

    assert main(["sample", "Order Completed"]) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed) == segment_spec.sample("Order Completed")
    assert main(["sample", "--pretty", "identify"]) == 0
    assert capsys.readouterr().out.startswith("{\n  ")


def test_sample_command_suggests_on_unknown_names(capsys: pytest.CaptureFixture[str]) -> None:
    from segment_spec._cli import main

    assert main(["sample", "Order Complete"]) == 2
    assert "did you mean 'Order Completed'" in capsys.readouterr().err
