"""The semantic-event catalog: events(), schema(), Track.semantic and the warning policy."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from segment_spec import (
    Event,
    Identify,
    Rejection,
    Severity,
    Track,
    UnknownSchemaName,
    check,
    events,
    schema,
)
from segment_spec._catalog import resolve_event

ROOT = Path(__file__).resolve().parents[1]
EVENT_FILES = sorted(p for p in (ROOT / "schemas" / "events").glob("*/*.json"))
SPECS = {"ecommerce", "mobile", "video", "email", "live-chat", "ab-testing", "b2b-saas", "copilot"}


def by_name(name: str) -> Event:
    return next(e for e in events() if e.name == name)


def track(event: str, properties: Any, **extra: Any) -> dict[str, Any]:
    return {"type": "track", "event": event, "userId": "u1", "properties": properties, **extra}


def test_catalog_and_files_match_one_to_one() -> None:
    titles = {json.loads(p.read_text("utf-8"))["title"]: p for p in EVENT_FILES}
    assert len(events()) == 87 == len(EVENT_FILES) == len(titles)
    assert {e.name for e in events()} == set(titles)
    for event in events():
        path = titles[event.name].relative_to(ROOT / "schemas").as_posix()
        assert event.schema_path == path
        assert event.spec == path.split("/")[1]
        assert event.spec in SPECS
        assert event.category
        assert event.description


def test_entries_are_frozen() -> None:
    entry = events()[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.name = "x"  # type: ignore[misc]
    assert events() is events()


def test_legacy_names_resolve_to_their_current_event() -> None:
    expected = {
        "Viewed Product Category": "Product List Viewed",
        "Viewed Product": "Product Viewed",
        "Added Product": "Product Added",
        "Removed Product": "Product Removed",
        "Clicked Product": "Product Clicked",
        "Completed Order": "Order Completed",
        "Started Order": "Checkout Started",
        "Viewed Checkout Step": "Checkout Step Viewed",
        "Completed Checkout Step": "Checkout Step Completed",
        "Updated Order": "Order Updated",
        "Viewed Promotion": "Promotion Viewed",
        "Clicked Promotion": "Promotion Clicked",
        "Custom Component Loaded": "Component Loaded",
    }
    legacy = {name: e.name for e in events() for name in e.legacy_names}
    assert legacy == expected
    for old, new in expected.items():
        assert schema(old) == schema(new)
        message = check(track(old, {}))
        assert isinstance(message, Track)
        assert message.semantic == by_name(new)
        assert message.issues == ()


class TestSchemaLookup:
    @pytest.mark.parametrize("call", ["identify", "track", "page", "screen", "group", "alias"])
    def test_call_types(self, call: str) -> None:
        found = schema(call)
        assert found["properties"]["type"] == {"const": call}

    def test_event(self) -> None:
        found = schema("Order Completed")
        assert found["title"] == "Order Completed"
        assert found["properties"]["revenue"]["type"] == "number"

    def test_copies(self) -> None:
        schema("Order Completed")["title"] = "changed"
        assert schema("Order Completed")["title"] == "Order Completed"

    def test_unknown_name_suggests_the_nearest(self) -> None:
        with pytest.raises(UnknownSchemaName) as caught:
            schema("Order Complete")
        assert isinstance(caught.value, LookupError)
        assert caught.value.suggestions[0] == "Order Completed"
        assert "did you mean 'Order Completed'" in str(caught.value)
        with pytest.raises(LookupError, match="'track'"):
            schema("trak")

    def test_unknown_name_without_neighbours(self) -> None:
        with pytest.raises(UnknownSchemaName) as caught:
            schema("zzzzzzzz")
        assert caught.value.suggestions == ()


@pytest.mark.parametrize("event", events(), ids=lambda e: e.name)
def test_each_event_valid_and_invalid_examples(event: Event) -> None:
    doc = schema(event.name)
    for example in doc["examples"]:
        message = check(track(event.name, example))
        assert isinstance(message, Track)
        assert message.semantic == event
        assert [i for i in message.issues if i.path[:1] == ("properties",)] == []
    for invalid in doc["x-invalid-examples"]:
        path = ("properties", *invalid["path"])
        message = check(track(event.name, invalid["properties"]))
        assert isinstance(message, Track), "semantic deviations never reject without strict"
        matching = [i for i in message.issues if i.path == path]
        assert matching, (event.name, path, message.issues)
        if invalid["keyword"] == "anyOf":
            # The reference validator names the anyOf; the engine names the branch's cause.
            assert matching[0].keyword in {"anyOf", "enum", "type"}
        else:
            assert matching[0].keyword == invalid["keyword"]
        assert matching[0].severity is Severity.WARNING
        strict = check(track(event.name, invalid["properties"]), strict=True)
        assert isinstance(strict, Rejection)
        assert strict.status == 400
        dotted = "properties" + "".join(
            f"[{step}]" if isinstance(step, int) else f".{step}" for step in invalid["path"]
        )
        assert dotted in strict.body["message"]


class TestPolicy:
    def test_wrong_product_price_is_a_warning_then_a_400_in_strict(self) -> None:
        data = track(
            "Order Completed",
            {"orderId": "o1", "products": [{"productId": "p1", "price": 1}, {"price": "12"}]},
        )
        message = check(data)
        assert isinstance(message, Track)
        (issue,) = message.issues
        assert issue.path == ("properties", "products", 1, "price")
        assert issue.message == "properties.products[1].price must be a number, not a string"
        reply = check(data, strict=True)
        assert isinstance(reply, Rejection)
        assert reply.body == {"message": issue.message}

    def test_unknown_events_are_plain_tracks(self) -> None:
        message = check(track("Song Played", {"revenue": 5}))
        assert isinstance(message, Track)
        assert message.semantic is None
        assert message.issues == ()

    def test_letter_case_resolves_with_a_warning(self) -> None:
        message = check(track("order completed", {}))
        assert isinstance(message, Track)
        assert message.semantic == by_name("Order Completed")
        assert [i.keyword for i in message.issues] == ["event-case"]
        assert resolve_event("  Order Completed ") == (by_name("Order Completed"), False)

    def test_v1_spellings_are_accepted(self) -> None:
        data = track("Completed Order", {"orderId": "o1", "products": [{"id": "p1", "sku": "s"}]})
        message = check(data)
        assert isinstance(message, Track)
        assert message.issues == ()
        assert message.properties["order_id"] == "o1"

    def test_reserved_track_properties_are_not_reported_twice(self) -> None:
        message = check(track("Order Completed", {"revenue": "12.00"}))
        assert isinstance(message, Track)
        assert [(i.path, i.keyword) for i in message.issues] == [
            (("properties", "revenue"), "type")
        ]

    def test_semantic_is_compared_by_entry(self) -> None:
        message = check(track("Product Viewed", {"product_id": "p"}))
        assert isinstance(message, Track)
        assert message.semantic is by_name("Product Viewed")


class TestReservedFields:
    def test_traits_are_case_insensitive_by_construction(self) -> None:
        spellings = ["createdAt", "created_at", "CreatedAt", "created-at", "CREATED_AT"]
        results = [check({"type": "identify", "userId": "u", "traits": {s: 5}}) for s in spellings]
        for result in results:
            assert isinstance(result, Identify)
            assert result.traits == {"created_at": 5}
            assert [(i.path, i.keyword) for i in result.issues] == [
                (("traits", "created_at"), "type")
            ]

    def test_identify_address_object(self) -> None:
        good = check(
            {
                "type": "identify",
                "userId": "u",
                "traits": {"address": {"city": "Newport Coast", "postalCode": "92606"}},
            }
        )
        assert isinstance(good, Identify)
        assert good.issues == ()
        bad = check({"type": "identify", "userId": "u", "traits": {"address": "1 Lucille Lane"}})
        assert isinstance(bad, Identify)
        assert bad.issues[0].path == ("traits", "address")

    def test_group_employees_accepts_what_the_docs_send(self) -> None:
        for employees in (329, "329"):
            message = check(
                {"type": "group", "userId": "u", "groupId": "g", "traits": {"employees": employees}}
            )
            assert not isinstance(message, Rejection)
            assert message.issues == ()

    def test_context_sub_objects(self) -> None:
        context = {
            "app": {"name": "Demo", "version": "1.0"},
            "screen": {"width": "wide"},
            "device": {"adTrackingEnabled": "yes"},
        }
        message = check(track("Song Played", {}, context=context))
        assert isinstance(message, Track)
        assert {i.path for i in message.issues} == {
            ("context", "screen", "width"),
            ("context", "device", "ad_tracking_enabled"),
        }
        assert all(i.severity is Severity.WARNING for i in message.issues)
        assert isinstance(check(track("Song Played", {}, context=context), strict=True), Rejection)

    def test_page_reserved_properties(self) -> None:
        message = check({"type": "page", "userId": "u", "properties": {"url": 5}})
        assert not isinstance(message, Rejection)
        assert message.issues[0].path == ("properties", "url")


@pytest.mark.parametrize("name", [5, None, b"track"])
def test_names_must_be_strings(name: Any) -> None:
    from segment_spec import sample

    with pytest.raises(TypeError, match="a schema name is a string"):
        schema(name)
    with pytest.raises(TypeError, match="a schema name is a string"):
        sample(name)
