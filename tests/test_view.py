"""The bounded view a large value is listed through (segment_spec/_validate/view.py): what it
keeps, that every error it shows is an error of the whole value, and that listing through it
never changes whether a message is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, shared_path
from generated import rough_messages, values
from hypothesis import given, settings
from hypothesis import strategies as st

from segment_spec import Batch, Rejection, Track, check, check_batch, normalize
from segment_spec._issue import Findings
from segment_spec._schemas import BASE_URI, LENIENT_BASE_URI, store
from segment_spec._select import CALL_TYPES
from segment_spec._validate import Compiled, Engine
from segment_spec._validate.view import VIEW_BUDGET, Allowance, kept_names, view, views

WHOLE = Engine.bundled(view_budget=10**9)  # never cuts: the reference
SMALL = {budget: Engine.bundled(view_budget=budget) for budget in (0, 1, 3, 8)}
# The schemas a message meets: each call's, its lenient form, and the event schemas with lists.
URIS = [
    *(f"{base}{call}.json" for call in CALL_TYPES for base in (BASE_URI, LENIENT_BASE_URI)),
    BASE_URI + "events/ecommerce/order-completed.json",
    BASE_URI + "events/ecommerce/product-list-viewed.json",
    BASE_URI + "reserved/context.json",
]


def _errors(compiled: Compiled, value: Any) -> set[tuple[Any, ...]]:
    return {
        (tuple(error.instance_path), tuple(error.evaluation_path), error.kind.name)
        for error in compiled.validator.iter_errors(value)
    }


def test_every_bundled_schema_allows_a_view() -> None:
    engine = Engine.bundled()
    for path in store().paths:
        for base in (BASE_URI, LENIENT_BASE_URI):
            assert engine.compile(base + path).kept is not None, base + path
    track = engine.compile(BASE_URI + "track.json").kept
    assert track is not None
    assert {"type", "event", "user_id", "anonymous_id"} <= track
    assert "properties" not in track  # not required: a view may leave it out


@pytest.mark.parametrize(
    "schema",
    [
        {"if": {"items": {"const": 1}}, "then": {"type": "array"}},
        {"not": {"additionalProperties": False}},
        {"oneOf": [{"maxItems": 1}, {"type": "array"}]},
        {"minItems": 2},
        {"minProperties": 1},
        {"contains": {"const": 1}},
        {"const": [1, 2]},
        {"enum": [{"a": 1}, "b"]},
        {"dependentRequired": {"a": ["b"]}},
        {"prefixItems": [{"type": "string"}]},
        {"properties": {"a": {"x-severity": "warning", "type": "string"}}},
        {"properties": "not a mapping"},
        ["not", "a", "schema"],
    ],
)
def test_kept_names_refuse_what_a_view_could_change(schema: Any) -> None:
    assert kept_names(schema, _no_refs) is None


def _no_refs(base: str, ref: str) -> tuple[str, Any]:
    raise AssertionError(f"no $ref to follow: {ref}")


def test_kept_names_are_the_required_ones_and_those_a_condition_reads() -> None:
    schema = {
        "type": "object",
        "required": ["id"],
        "properties": {"n": {"maxItems": 3, "uniqueItems": True}, "m": {"items": {}}},
        "additionalProperties": {"type": "string"},
        "if": {"properties": {"kind": {"const": "a"}}},
        "then": {"required": ["when"]},
        "allOf": [{"x-severity": "warning", "description": "only annotations here"}],
    }
    assert kept_names(schema, _no_refs) == frozenset({"id", "kind", "when"})
    marked = {"properties": {"a": {"x-severity": "warning", "type": "string"}}}
    assert kept_names(marked, _no_refs, warnings=True) == frozenset()


def test_a_value_within_the_budget_is_shown_itself() -> None:
    value = {"a": [1, 2, {"b": 3}], "c": "d"}
    shown, partial = view(value, frozenset(), budget=6)
    assert shown is value
    assert not partial


def test_members_of_subclassed_containers_count_too() -> None:
    class Obj(dict[str, Any]):
        pass

    class Items(list[Any]):
        pass

    value = Obj(a=Items([1, Obj(b=2, c=3)]))
    assert view(value, frozenset(), budget=5) == (value, False)  # a, 1, the Obj, b and c
    assert view(value, frozenset(), budget=4)[1]


def test_a_view_keeps_the_first_members_in_order_and_every_kept_name() -> None:
    value: dict[str, Any] = {
        "first": [10, 11, 12, 13],
        "second": {"x": 1, "id": 2},
        "id": 3,
        "last": 4,
    }
    shown, partial = view(value, frozenset({"id"}), budget=4)
    assert partial
    # first (1), its items 10 to 12 (3), then only kept names: second's id is below a member
    # that was left out, so it goes with it; the top-level id stays.
    assert shown == {"first": [10, 11, 12], "id": 3}
    assert list(shown["first"]) == value["first"][:3]
    assert value == {"first": [10, 11, 12, 13], "second": {"x": 1, "id": 2}, "id": 3, "last": 4}


def test_a_spent_budget_in_a_large_object_only_looks_up_the_kept_names() -> None:
    value = {"a": 1, "b": 2, "id": 3, "name": 4}
    # Past the budget only kept names follow; when they are all that is left, nothing is cut.
    assert view(value, frozenset({"id", "name"}), budget=2) == (value, False)
    shown, partial = view(value, frozenset({"name", "missing"}), budget=1)
    assert (shown, partial) == ({"a": 1, "name": 4}, True)
    wide = {f"k{i}": i for i in range(100_000)} | {"id": "last"}
    shown, partial = view(wide, frozenset({"id"}), budget=3)
    assert (shown, partial) == ({"k0": 0, "k1": 1, "k2": 2, "id": "last"}, True)


def test_views_grow_from_a_quarter_of_the_budget_to_the_budget() -> None:
    value = list(range(100))
    assert [len(shown) for shown, _ in views(value, frozenset(), budget=40)] == [10, 40]
    assert [cut for _, cut in views(value, frozenset(), budget=40)] == [True, True]
    assert list(views(value, frozenset(), budget=100)) == [(value, False)]
    # A batch's allowance, spent by the first view, cuts the second to what is left.
    allowance = Allowance(48)
    sizes = []
    for shown, _ in views(value, frozenset(), budget=allowance.budget(40), allowance=allowance):
        sizes.append(len(shown))
        allowance.spend(40)
    assert sizes == [3]  # 12 members at first, then 2: no larger view is left to show


def test_a_listing_stops_at_the_first_view_that_fills_it() -> None:
    compiled = Engine.bundled().compile(BASE_URI + "track.json")
    dense = normalize(_track(context={"externalIds": [{}] * 500})).value
    allowance = Allowance()
    listed = compiled.report(dense, allowance=allowance)
    assert len(listed) == 101  # the most issues, and the line that says more were left out
    # About four errors for each of a quarter of the budget's members, not of all of them.
    assert Allowance().left - allowance.left <= VIEW_BUDGET // 4 * 4 + 8
    sparse = normalize(
        _track(
            context={
                "consent": {"categoryPreferences": dict.fromkeys((f"c{i}" for i in range(500)), 1)}
            }
        )
    ).value
    listed = compiled.report(sparse)
    # One error a member: the quarter view could not fill the list, the whole budget did.
    assert len(listed) == 101
    categories = {issue.path[-1] for issue in listed if "category_preferences" in issue.path}
    assert len(categories) == 100 > VIEW_BUDGET // 4


def test_a_view_walks_deep_and_self_referencing_values_without_recursion() -> None:
    deep: Any = 0
    for _ in range(5000):
        deep = {"id": deep, "x": [1, 2]}
    shown, partial = view(deep, frozenset({"id"}), budget=10)
    assert partial
    depth, node = 0, shown
    while isinstance(node, dict):
        node, depth = node["id"], depth + 1
    assert depth == 5000  # kept names are followed all the way (the last levels shown whole)
    looped: dict[str, Any] = {"a": [1]}
    looped["id"] = looped
    shown, partial = view(looped, frozenset({"id"}), budget=3)
    assert partial
    assert isinstance(shown, dict)


def _with_long_lists(message: dict[str, Any], items: list[Any], where: int) -> dict[str, Any]:
    """``message`` with lists of ``items`` where the schemas read lists (and a free key)."""
    long = {**message}
    context = long.get("context")
    context = dict(context) if isinstance(context, dict) else {}
    context["external_ids"] = items
    long["context"] = context
    if where % 2:
        properties = long.get("properties")
        properties = dict(properties) if isinstance(properties, dict) else {}
        properties["products"] = items
        long["properties"] = properties
    return long


item_values = st.one_of(
    values,
    st.fixed_dictionaries(
        {},
        optional={
            "id": values,
            "type": values,
            "collection": st.one_of(values, st.just("users")),
            "encoding": st.one_of(values, st.just("none")),
            "price": values,
            "quantity": values,
            "product_id": values,
        },
    ),
)
long_messages = st.builds(
    _with_long_lists, rough_messages, st.lists(item_values, max_size=12), st.integers(0, 1)
)


@settings(max_examples=300)
@given(message=st.one_of(rough_messages, long_messages), budget=st.sampled_from(sorted(SMALL)))
def test_every_error_in_a_view_is_an_error_of_the_whole_value(
    message: dict[str, Any], budget: int
) -> None:
    for uri in URIS:
        compiled = SMALL[budget].compile(uri)
        assert compiled.kept is not None
        shown, _ = view(message, compiled.kept, budget)
        assert _errors(compiled, shown) <= _errors(WHOLE.compile(uri), message), uri


def _messages(path: Path) -> list[dict[str, Any]]:
    """The messages of an NDJSON file (a batch's items each), normalized."""
    found: list[dict[str, Any]] = []
    for line in path.read_bytes().splitlines():
        value = json.loads(line)
        items = value["batch"] if isinstance(value, dict) and "batch" in value else [value]
        found.extend(normalize(item).value for item in items if isinstance(item, dict))
    return found


def _broken_the_same_way(messages: list[dict[str, Any]], budget: int) -> int:
    """Each message, and it with a few fields broken: a view lists only issues the whole value
    has, refuses exactly what the whole value refuses, and is empty exactly when it is."""
    count = 0
    for value in messages:
        call = value.get("type")
        if call not in CALL_TYPES:
            continue
        context = value.get("context")
        broken = {**value, "timestamp": "not a date"}
        broken["context"] = {**(context if isinstance(context, dict) else {})}
        broken["context"]["external_ids"] = [{}, {"id": 1}, 3]
        for sample in (value, broken):
            _same_decision(f"{BASE_URI}{call}.json", sample, budget)
        count += 1
    return count


@pytest.mark.parametrize("budget", [0, 3, 8])
def test_fixture_messages_broken_in_places_are_said_the_same_through_a_view(budget: int) -> None:
    messages = [m for path in sorted(FIXTURES.glob("*.ndjson")) for m in _messages(path)]
    assert _broken_the_same_way(messages, budget) >= 10


@pytest.mark.parametrize("budget", [0, 8])
def test_real_messages_broken_in_places_are_said_the_same_through_a_view(budget: int) -> None:
    paths = sorted(shared_path("corpus", "real").glob("*.ndjson"))
    messages = [m for path in paths for m in _messages(path)]
    assert _broken_the_same_way(messages, budget) >= 1000


def _same_decision(uri: str, value: Any, budget: int) -> None:
    whole = WHOLE.compile(uri).report(value)
    shown = SMALL[budget].compile(uri).report(value)
    said = {(issue.path, issue.keyword) for issue in whole}
    assert {(i.path, i.keyword) for i in shown if i.keyword != "more-issues"} <= said
    assert any(issue.is_error for issue in shown) == any(issue.is_error for issue in whole)
    assert bool(shown) == bool(whole)


@settings(max_examples=300)
@given(message=st.one_of(rough_messages, long_messages), budget=st.sampled_from(sorted(SMALL)))
def test_a_view_never_changes_whether_a_message_is_refused(
    message: dict[str, Any], budget: int
) -> None:
    if message["type"] in CALL_TYPES:
        _same_decision(f"{BASE_URI}{message['type']}.json", message, budget)


def _track(**fields: Any) -> dict[str, Any]:
    return {"type": "track", "event": "Custom", "userId": "u1", **fields}


def test_an_error_past_the_view_still_refuses_the_message() -> None:
    filler = {f"note{i}": i for i in range(VIEW_BUDGET * 2)}
    result = check(_track(properties=filler, timestamp="not a date"))
    assert isinstance(result, Rejection)
    said = [(issue.path, issue.keyword) for issue in result.issues]
    assert (("timestamp",), "format") in said
    assert result.issues[-1].keyword == "more-issues"
    assert result.issues[-1].message.endswith("only part of the message was searched")


def test_thousands_of_faulty_items_list_a_bounded_report_in_the_message_order() -> None:
    body = json.dumps(_track(context={"externalIds": [{}] * 8000})).encode()
    assert len(body) < 32 * 1024
    result = check(body)
    assert isinstance(result, Track)  # the context is a warning's business
    listed = [issue for issue in result.issues if issue.keyword != "more-issues"]
    assert 0 < len(listed) <= VIEW_BUDGET
    assert [issue.path[2] for issue in listed] == sorted(issue.path[2] for issue in listed)
    first = {issue.path for issue in listed if issue.path[2] == 0}
    assert first == {
        ("context", "external_ids", 0, name) for name in ("id", "type", "collection", "encoding")
    }
    assert result.issues[-1].keyword == "more-issues"


def test_a_valid_large_value_reports_nothing() -> None:
    message = normalize(_track(properties={f"k{i}": i for i in range(1000)})).value
    compiled = Engine.bundled().compile(BASE_URI + "track.json")
    assert compiled.ok(message)
    assert compiled.report(message) == []


def test_partial_findings_say_so() -> None:
    found = Findings()
    found.add(("a",), "type", "a must be a string")
    found.partial = True
    assert found.listed("issue", "issues")[-1].message == (
        "more issues may not be listed: only part of the message was searched"
    )
    found.omitted = 2
    assert found.listed("issue", "issues")[-1].message == (
        "2 more issues are not listed: only part of the message was searched"
    )


def test_a_batch_shares_one_allowance_and_still_decides_every_item() -> None:
    """Items that each miss hundreds of fields: the first are listed in full, the later ones
    only as far as the batch's allowance goes, and every one still gets its own answer."""
    faulty = _track(context={"externalIds": [{}] * 300})
    refused = _track(context={"externalIds": [{}] * 300}, timestamp="not a date")
    result = check_batch(json.dumps({"batch": [faulty, refused] * 150}).encode())
    assert isinstance(result, Batch)
    assert [type(item) for item in result.results] == [Track, Rejection] * 150
    first, last = result.results[0], result.results[-2]
    assert len(first.issues) > len(last.issues) > 0
    for item in result.results[1::2]:
        assert isinstance(item, Rejection)
        assert (("timestamp",), "format") in [(i.path, i.keyword) for i in item.issues]


def test_an_allowance_shrinks_the_views_as_it_is_spent() -> None:
    allowance = Allowance(400)
    assert allowance.budget(VIEW_BUDGET) == 100
    compiled = Engine.bundled().compile(BASE_URI + "track.json")
    message = normalize(_track(context={"externalIds": [{}] * 500})).value
    first = compiled.report(message, allowance=allowance)
    assert 0 <= allowance.left <= 40  # about four errors a member shown
    later = compiled.report(message, allowance=allowance)
    assert 0 < len(later) < len(first) // 4
    assert later[0].path == ("context", "external_ids", 0, "id")  # the first warning still
    assert later[-1].message.endswith("only part of the message was searched")
