"""The semantic-event and reserved-field schemas (schemas/events/, schemas/reserved/).

The reference validator is ``jsonschema`` (Draft 2020-12) with a ``referencing.Registry`` built
from every JSON file under ``schemas/``; a reference that points anywhere else fails (no
network). Checked here:

* every file is a valid 2020-12 schema that keeps to the keyword subset the project's own
  compiler implements, with ``$id`` mirroring its path and snake_case property names;
* every ``$ref`` resolves inside the registry;
* every ``examples`` item validates and every ``x-invalid-examples`` item fails with an error
  at the stated path and keyword;
* the 87 current semantic events and their legacy names match ``spec-facts.json`` (when
  ``../shared`` is present; a lone clone still checks the counts and uniqueness);
* every spec example that names a semantic event validates against that event's schema,
  except the ones pinned in ``DELIBERATELY_REJECTED`` (documented in docs/spec-decisions.md).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import shared_path
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from segment_spec import normalize
from segment_spec._normalize import snake_case

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "schemas"
EVENTS = SCHEMAS / "events"
RESERVED = SCHEMAS / "reserved"
DECISIONS = ROOT / "docs" / "spec-decisions.md"
BASE_URI = "https://segment-spec.invalid/schemas/"
DRAFT = "https://json-schema.org/draft/2020-12/schema"

# Counts that hold in a lone clone too (spec-facts.json: 92 events = 87 current + 5 legacy v1;
# legacy names = 6 ecommerce v1 names + 6 GA Enhanced Ecommerce names + "Custom Component Loaded").
EXPECTED_EVENT_COUNT = 87
EXPECTED_LEGACY_NAME_COUNT = 13
SPECS = {
    "ecommerce": 28,
    "mobile": 13,
    "video": 17,
    "email": 6,
    "live-chat": 4,
    "ab-testing": 1,
    "b2b-saas": 10,
    "copilot": 8,
}
RESERVED_FILES = {
    "context.json",
    "identify-traits.json",
    "group-traits.json",
    "page-properties.json",
    "screen-properties.json",
    "track-properties.json",
}

# The keyword subset (the project's schema compiler implements exactly these) plus x-* annotations.
ALLOWED_KEYWORDS = frozenset(
    {
        "$schema",
        "$id",
        "$ref",
        "$defs",
        "$comment",
        "title",
        "description",
        "examples",
        "default",
        "type",
        "properties",
        "required",
        "items",
        "enum",
        "const",
        "minimum",
        "maximum",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "anyOf",
        "additionalProperties",
    }
)
JSON_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})

# Spec examples that the schemas reject on purpose: file -> (path, keyword) of the deviation.
# Each one is explained in docs/spec-decisions.md. Every other spec example naming a semantic
# event must validate. (Empty: every deviation the docs' own examples make was accepted.)
DELIBERATELY_REJECTED: dict[str, tuple[list[str | int], str]] = {}


# ------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------

# The validator's own go-snakecase rule, so the tests and the library cannot disagree.
snake = snake_case


def snake_keys(value: Any) -> Any:
    return normalize(value).value


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def rel(path: Path) -> str:
    return path.relative_to(SCHEMAS).as_posix()


@cache
def all_documents() -> dict[str, dict[str, Any]]:
    """Every JSON file under schemas/, keyed by its path relative to schemas/."""
    return {
        rel(path): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(SCHEMAS.rglob("*.json"))
        if not any(part.startswith((".", "_")) for part in path.relative_to(SCHEMAS).parts)
    }


def _no_network(uri: str) -> Resource[Any]:
    raise LookupError(f"refusing to retrieve {uri}: every $ref must resolve locally")


@cache
def registry() -> Registry[Any]:
    resources = [
        (doc.get("$id", BASE_URI + path), Resource.from_contents(doc, DRAFT202012))
        for path, doc in all_documents().items()
    ]
    return Registry(retrieve=_no_network).with_resources(resources)


@cache
def validator(path: str) -> Draft202012Validator:
    return Draft202012Validator(
        all_documents()[path],
        registry=registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def errors_of(path: str, instance: Any) -> list[tuple[list[str | int], str, str]]:
    return [
        (list(error.absolute_path), str(error.validator), error.message)
        for error in validator(path).iter_errors(instance)
    ]


def event_paths() -> list[str]:
    return sorted(rel(p) for p in EVENTS.glob("*/*.json"))


def own_paths() -> list[str]:
    return sorted(rel(p) for p in [*EVENTS.rglob("*.json"), *RESERVED.rglob("*.json")])


Where = tuple[str | int, ...]


def walk(schema: Any, where: Where = ()) -> Iterator[tuple[Where, Any]]:
    """Yield every subschema position (not annotation values such as examples or x-*)."""
    yield where, schema
    if not isinstance(schema, dict):
        return
    for key in ("properties", "$defs"):
        for name, sub in schema.get(key, {}).items():
            yield from walk(sub, (*where, key, name))
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from walk(schema[key], (*where, key))
    for index, sub in enumerate(schema.get("anyOf", [])):
        yield from walk(sub, (*where, "anyOf", index))


def refs_in(node: Any) -> Iterator[str]:
    """Every $ref in a schema document, skipping annotation payloads."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key in ("examples", "default", "const", "enum") or key.startswith("x-"):
                continue
            else:
                yield from refs_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs_in(item)


@cache
def schema_for_event() -> dict[str, str]:
    """Event name or legacy name -> path of the event's schema."""
    mapping: dict[str, str] = {}
    for path in event_paths():
        doc = all_documents()[path]
        mapping[doc["title"]] = path
        for legacy in doc["x-legacy-names"]:
            mapping[legacy] = path
    return mapping


# ------------------------------------------------------------------------------------------
# Files, counts and conventions
# ------------------------------------------------------------------------------------------


def test_layout_and_counts() -> None:
    paths = event_paths()
    assert len(paths) == EXPECTED_EVENT_COUNT
    assert Counter(p.split("/")[1] for p in paths) == SPECS
    titles = [all_documents()[p]["title"] for p in paths]
    assert len(set(titles)) == EXPECTED_EVENT_COUNT, "event titles must be unique"
    legacy = [n for p in paths for n in all_documents()[p]["x-legacy-names"]]
    assert len(legacy) == len(set(legacy)) == EXPECTED_LEGACY_NAME_COUNT
    assert not set(legacy) & set(titles), "a legacy name must not also be a current event name"
    assert {p.name for p in RESERVED.glob("*.json")} == RESERVED_FILES
    assert sorted(p.name for p in EVENTS.glob("*.json")) == ["definitions.json"]


@pytest.mark.parametrize("path", own_paths())
def test_schema_is_valid_and_follows_conventions(path: str) -> None:
    doc = all_documents()[path]
    Draft202012Validator.check_schema(doc)
    assert doc["$schema"] == DRAFT
    assert doc["$id"] == BASE_URI + path
    assert isinstance(doc.get("title"), str)
    assert doc["title"]
    assert isinstance(doc.get("description"), str)
    assert doc["description"]
    for where, node in walk(doc):
        assert isinstance(node, dict), f"{where}: boolean subschemas are not used"
        unknown = {k for k in node if k not in ALLOWED_KEYWORDS and not k.startswith("x-")}
        assert not unknown, f"{path} {where}: keywords outside the subset: {unknown}"
        if "additionalProperties" in node:
            value = node["additionalProperties"]
            assert value is True or isinstance(value, dict), f"{where}: objects stay open"
        kinds = node.get("type", [])
        kinds = [kinds] if isinstance(kinds, str) else kinds
        assert set(kinds) <= JSON_TYPES, f"{where}: {kinds}"
        assert node.get("format", "segment-timestamp") == "segment-timestamp", f"{where}: format"
        for name in node.get("properties", {}):
            assert snake(name) == name, f"{where}: property {name!r} is not snake_case"
        if "$ref" in node:
            assert not node["$ref"].startswith(("http:", "https:", "/")), "refs are relative"


@pytest.mark.parametrize("path", event_paths())
def test_event_annotations(path: str) -> None:
    doc = all_documents()[path]
    spec, file_name = path.split("/")[1:]
    assert doc["x-spec"] == spec
    assert file_name == f"{slug(doc['title'])}.json"
    assert doc["type"] == "object"
    assert isinstance(doc["x-category"], str)
    assert doc["x-category"]
    assert doc["x-source"].startswith("src/connections/spec/")
    assert isinstance(doc["x-legacy-names"], list)
    assert all(isinstance(n, str) and n for n in doc["x-legacy-names"])
    assert "required" not in doc, "the Spec marks no semantic event property as required"


def test_every_ref_resolves() -> None:
    checked = 0
    for path, doc in all_documents().items():
        resolver = registry().resolver(base_uri=doc.get("$id", BASE_URI + path))
        for ref in refs_in(doc):
            resolver.lookup(ref)  # raises when the target is missing
            checked += 1
    assert checked > 100


def test_shared_definitions_are_referenced_not_copied() -> None:
    definitions = all_documents()["events/definitions.json"]["$defs"]
    used: set[str] = set()
    for path in own_paths():
        for ref in refs_in(all_documents()[path]):
            match = re.search(r"#/\$defs/([^/]+)", ref)
            if match:
                used.add(match.group(1))
    assert used == set(definitions)
    for path in event_paths():
        props = all_documents()[path]["properties"]
        if "products" in props:
            assert props["products"]["type"] == "array"
            assert props["products"]["items"] == {"$ref": "../definitions.json#/$defs/product"}
    product = definitions["product"]["properties"]
    assert product["id"] == {"$ref": "#/$defs/product_v1/properties/id"}
    assert definitions["product_v1"]["properties"]["id"]["type"] == "string"


# ------------------------------------------------------------------------------------------
# Examples and invalid examples
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", own_paths())
def test_examples_are_valid(path: str) -> None:
    doc = all_documents()[path]
    if path == "events/definitions.json":
        assert "examples" not in doc
        return
    assert doc["examples"], "at least one example"
    for example in doc["examples"]:
        assert snake_keys(example) == example, "examples use snake_case keys"
        assert errors_of(path, example) == []


@pytest.mark.parametrize("path", [p for p in own_paths() if p != "events/definitions.json"])
def test_invalid_examples_fail_where_stated(path: str) -> None:
    invalid = all_documents()[path]["x-invalid-examples"]
    assert invalid, "at least one invalid example"
    for case in invalid:
        assert set(case) == {"properties", "path", "keyword"}
        found = errors_of(path, case["properties"])
        assert found, f"{case} should be invalid"
        assert (case["path"], case["keyword"]) in [(p, k) for p, k, _ in found], found


# ------------------------------------------------------------------------------------------
# Against spec-facts.json (skipped in a lone clone)
# ------------------------------------------------------------------------------------------


@cache
def facts() -> dict[str, Any]:
    path = shared_path("spec", "spec-facts.json")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def current_events() -> list[dict[str, Any]]:
    return [e for e in facts()["events"] if not e.get("legacy")]


def test_titles_match_the_current_events_of_the_facts() -> None:
    events = current_events()
    assert len(events) == EXPECTED_EVENT_COUNT
    by_title = {all_documents()[p]["title"]: all_documents()[p] for p in event_paths()}
    assert set(by_title) == {e["name"] for e in events}
    for event in events:
        doc = by_title[event["name"]]
        assert doc["x-spec"] == event["spec"]
        assert doc["x-category"] == event["category"]
        assert doc["x-source"] == event["source"]
        for name, fact in event["properties"].items():
            assert snake(name) in doc["properties"], (event["name"], name)
            assert fact.get("snake_case", snake(name)) == snake(name)


def test_legacy_names_match_the_facts() -> None:
    legacy = facts()["legacy"]
    expected: dict[str, str] = {}  # legacy name -> current event it resolves to
    for section in ("ecommerce_v1_to_v2", "ga_enhanced_ecommerce_names"):
        expected.update({k: v for k, v in legacy[section].items() if isinstance(v, str)})
    for event in facts()["events"]:
        target = event.get("superseded_by", event["name"]).removesuffix(" (v2)")
        for alias in event.get("aliases", []):
            assert expected.setdefault(alias["name"], target) == target
        if event.get("legacy") and event["name"] != target:
            assert expected.setdefault(event["name"], target) == target
    assert len(expected) == EXPECTED_LEGACY_NAME_COUNT
    seen = Counter(n for p in event_paths() for n in all_documents()[p]["x-legacy-names"])
    assert set(seen) == set(expected)
    assert all(count == 1 for count in seen.values()), seen
    for name, target in expected.items():
        assert all_documents()[schema_for_event()[name]]["title"] == target, name


def test_example_files_named_in_the_schemas_exist() -> None:
    folder = shared_path("corpus", "spec-examples")
    for path in event_paths():
        for name in all_documents()[path]["x-example-files"]:
            assert (folder / name).is_file(), (path, name)


def test_committed_schemas_match_the_generator() -> None:
    """The outputs are generated: hand edits belong in scripts/generate_event_schemas.py."""
    shared_path("spec", "spec-facts.json")
    shared_path("corpus", "spec-examples", "INDEX.md")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "generate_event_schemas.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------------------------------
# Spec examples (skipped in a lone clone)
# ------------------------------------------------------------------------------------------

INDEX_LINE = re.compile(
    r'^- `(?P<file>[^`]+)` — (?P<src>.*?) — (?P<kind>.*?) — (?:event "(?P<event>[^"]*)" — )?fixes:'
)


@cache
def spec_examples() -> list[dict[str, Any]]:
    """INDEX.md rows: file, kind, event, and the parsed JSON."""
    folder = shared_path("corpus", "spec-examples")
    rows = []
    for line in (folder / "INDEX.md").read_text(encoding="utf-8").splitlines():
        match = INDEX_LINE.match(line)
        if match:
            row: dict[str, Any] = match.groupdict()
            row["data"] = json.loads((folder / row["file"]).read_text(encoding="utf-8"))
            rows.append(row)
    assert len(rows) == len(list(folder.glob("*.json")))
    return rows


def event_properties_of(row: dict[str, Any]) -> Any:
    """The properties object of an example that names an event, snake_cased."""
    if row["kind"].startswith("fragment (properties object"):
        return snake_keys(row["data"])
    return snake_keys(row["data"].get("properties", {}))


@cache
def spec_example_failures() -> dict[str, list[tuple[list[str | int], str, str]]]:
    failures = {}
    for row in spec_examples():
        path = schema_for_event().get(row["event"] or "")
        if path is None:
            continue
        found = errors_of(path, event_properties_of(row))
        if found:
            failures[row["file"]] = found
    return failures


def test_spec_examples_cover_every_event_with_an_example() -> None:
    checked = {
        all_documents()[schema_for_event()[row["event"]]]["title"]
        for row in spec_examples()
        if row["event"] in schema_for_event()
    }
    with_examples = {e["name"] for e in current_events() if e["example_files"]}
    assert with_examples <= checked
    assert len(checked) == EXPECTED_EVENT_COUNT - 2  # Experiment Viewed, Video Quality Updated
    legacy_named = {
        row["file"]
        for row in spec_examples()
        if row["event"] in schema_for_event()
        and row["event"] != all_documents()[schema_for_event()[row["event"]]]["title"]
    }
    assert legacy_named == {
        "track-viewed-product-category-ecommerce-v1.json",
        "track-viewed-product-ecommerce-v1.json",
        "track-added-product-ecommerce-v1.json",
        "track-removed-product-ecommerce-v1.json",
    }


def test_spec_examples_validate_against_their_event_schema() -> None:
    unexpected = {
        name: found
        for name, found in spec_example_failures().items()
        if name not in DELIBERATELY_REJECTED
    }
    assert unexpected == {}, "fix the schema or pin the example in DELIBERATELY_REJECTED"


def test_deliberately_rejected_spec_examples_fail_as_pinned() -> None:
    """Each pinned example fails exactly where pinned and is explained in the decisions file."""
    failures = spec_example_failures()
    decisions = DECISIONS.read_text(encoding="utf-8")
    section = decisions.split("### Spec examples rejected on purpose", 1)[1]
    assert set(failures) == set(DELIBERATELY_REJECTED)
    for name, (where, keyword) in DELIBERATELY_REJECTED.items():
        assert (where, keyword) in [(p, k) for p, k, _ in failures[name]], failures[name]
        assert name in section, f"{name} must be explained in docs/spec-decisions.md"
    if not DELIBERATELY_REJECTED:
        assert section.strip().startswith("None."), "the decisions file must say none is pinned"


def test_v1_spellings_are_accepted() -> None:
    order = "events/ecommerce/order-completed.json"
    v1 = {"orderId": "50314b8e", "products": [{"id": "507f1f77", "price": 19.0, "quantity": 1}]}
    assert errors_of(order, snake_keys(v1)) == []
    bad = {"order_id": "50314b8e", "products": [{"id": 507}]}
    assert (["products", 0, "id"], "type") in [(p, k) for p, k, _ in errors_of(order, bad)]
    viewed = "events/ecommerce/product-viewed.json"
    assert errors_of(viewed, {"id": "507f1f77", "sku": "G-32", "price": 18.99}) == []
    assert [k for _, k, _ in errors_of(viewed, {"id": 507})] == ["type"]


# ------------------------------------------------------------------------------------------
# Reserved schemas against the spec examples (skipped in a lone clone)
# ------------------------------------------------------------------------------------------


def reserved_instances() -> Iterator[tuple[str, str, Any]]:
    """(file, reserved schema path, instance) for every context/traits/properties example."""
    for row in spec_examples():
        name, kind, data = row["file"], row["kind"], row["data"]
        call = name.split("-", 1)[0]
        if kind.startswith("fragment (traits object"):
            yield name, f"reserved/{'group' if call == 'group' else 'identify'}-traits.json", data
            continue
        if kind.startswith("fragment (properties object"):
            yield name, f"reserved/{call}-properties.json", data
            continue
        if kind.startswith("fragment"):
            continue
        messages = [data, *data.get("batch", [])]
        for message in messages:
            kind_of = message.get("type") or message.get("action") or call
            if "context" in message:
                yield name, "reserved/context.json", message["context"]
            if "traits" in message:
                traits = "group" if kind_of == "group" else "identify"
                yield name, f"reserved/{traits}-traits.json", message["traits"]
            if "properties" in message and kind_of in ("track", "page", "screen"):
                yield name, f"reserved/{kind_of}-properties.json", message["properties"]


def test_reserved_schemas_accept_the_spec_examples() -> None:
    checked: Counter[str] = Counter()
    for name, path, instance in reserved_instances():
        assert errors_of(path, snake_keys(instance)) == [], (name, path)
        checked[path] += 1
    assert set(checked) == {f"reserved/{n}" for n in RESERVED_FILES}
