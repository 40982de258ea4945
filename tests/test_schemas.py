"""The bundled schemas: meta-schema valid, ids match paths, every $ref resolves locally."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import jsonschema
import pytest
from reference import registry

from segment_spec._schemas import BASE_URI, SchemaStore, store
from segment_spec._select import CALL_TYPES
from segment_spec._validate import Engine, SchemaError

# One engine for this file's checks (a checker owns its own).
ENGINE = Engine.bundled()
STORE = store()

ROOT = Path(__file__).resolve().parents[1]
ON_DISK = sorted(
    p.relative_to(ROOT / "schemas").as_posix() for p in (ROOT / "schemas").rglob("*.json")
)


def test_store_holds_exactly_the_files_on_disk() -> None:
    assert sorted(store().paths) == ON_DISK


@pytest.mark.parametrize("path", ON_DISK)
def test_schema_passes_its_meta_schema(path: str) -> None:
    schema = store().by_path(path)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] == BASE_URI + path


def _refs(node: Any) -> list[str]:
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            found.append(node["$ref"])
        for value in node.values():
            found.extend(_refs(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_refs(value))
    return found


@pytest.mark.parametrize("path", ON_DISK)
def test_every_ref_resolves_locally(path: str) -> None:
    resolver = registry().resolver(base_uri=BASE_URI + path)
    for ref in _refs(store().by_path(path)):
        resolved = resolver.lookup(ref)
        assert resolved.contents is not None


@pytest.mark.parametrize("path", ON_DISK)
def test_every_schema_compiles(path: str) -> None:
    assert ENGINE.compile(BASE_URI + path).ok is not None


@pytest.mark.parametrize("call", CALL_TYPES)
def test_call_schemas_use_snake_case_names(call: str) -> None:
    schema = store().by_path(f"{call}.json")
    for name in schema["properties"]:
        assert name == name.lower()
        assert " " not in name
    assert schema["properties"]["type"] == {"const": call}


def test_engine_refuses_a_schema_that_does_not_compile() -> None:
    """A reference that resolves nowhere, or a schema of the wrong shape, is a SchemaError."""
    doc = {"$id": BASE_URI + "x.json", "properties": {"a": {"$ref": "missing.json"}}}
    with pytest.raises(SchemaError, match=r"not compile.*missing\.json"):
        Engine({BASE_URI + "x.json": doc}).compile(BASE_URI + "x.json")
    bad = {"$id": BASE_URI + "y.json", "type": 5}
    with pytest.raises(SchemaError, match="does not compile"):
        Engine({BASE_URI + "y.json": bad}).compile(BASE_URI + "y.json")


def test_store_refuses_a_mismatched_id() -> None:
    with pytest.raises(ValueError, match="does not match its path"):
        SchemaStore({"a.json": {"$id": BASE_URI + "b.json"}})


def test_error_body_schema_accepts_only_a_message() -> None:
    body = store().by_path("error-body.json")
    jsonschema.validate({"message": "Missing email address"}, body)
    for bad in ({}, {"message": ""}, {"message": 1}, {"message": "x", "extra": 1}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, body)


def test_schemas_are_plain_json_files() -> None:
    # Usable from any language: each file parses with the standard json module alone.
    for path in ON_DISK:
        json.loads((ROOT / "schemas" / path).read_text("utf-8"))


def test_copies_are_independent() -> None:
    copy = store().copy_of("track.json")
    copy["title"] = "changed"
    assert store().by_path("track.json")["title"] != "changed"


def test_the_shared_resolver_agrees_with_referencing_on_every_bundled_reference() -> None:
    """Every ``$ref`` in every bundled schema and lenient form leads where ``referencing``
    (what jsonschema users resolve through) leads it."""
    from segment_spec._registry import registry as bundled_registry
    from segment_spec._schemas import LENIENT_BASE_URI

    schemas = store()
    refs = bundled_registry()
    seen = 0

    def visit(node: Any, base: str) -> None:
        nonlocal seen
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                target_base, target = schemas.resolve(base, ref)
                assert target == refs.resolver(base).lookup(ref).contents, (base, ref)
                assert schemas.document(target_base)["$id"] == target_base
                seen += 1
            for value in node.values():
                visit(value, base)
        elif isinstance(node, list):
            for value in node:
                visit(value, base)

    for path in schemas.paths:
        visit(schemas.by_path(path), BASE_URI + path)
        visit(schemas.lenient(path), LENIENT_BASE_URI + path)
    assert seen > 100


def test_the_shared_resolver_reads_json_pointer_escapes_and_refuses_strangers() -> None:
    from segment_spec._schemas import declaring, follow

    documents = {"https://x.invalid/a.json": {"$defs": {"a/b": {"c~d": {"type": "string"}}}}}
    base = "https://x.invalid/a.json"
    assert follow(documents.__getitem__, base, "#/$defs/a~1b/c~0d") == (
        base,
        {"type": "string"},
    )

    def resolve(base: str, ref: str) -> tuple[str, Any]:
        return follow({**documents, **loop}.__getitem__, base, ref)

    loop = {"https://x.invalid/l.json": {"$ref": "#"}}
    assert declaring(resolve, {"$ref": "a.json#/$defs/a~1b/c~0d"}, base) == (
        base,
        {"type": "string"},
    )
    assert declaring(resolve, {"$ref": "l.json"}, base)[1] == {}  # 32 hops, then none
    with pytest.raises(SchemaError, match="no bundled schema"):
        store().resolve(BASE_URI, "https://elsewhere.invalid/x.json")


def test_without_part_drops_one_entry_and_keeps_every_reference_reaching_its_target() -> None:
    from segment_spec._schemas import IDENTITY_PART, LENIENT_BASE_URI, without_part

    for base, document in (
        (BASE_URI, STORE.by_path("track.json")),
        (LENIENT_BASE_URI, STORE.lenient("track.json")),
    ):
        parted = without_part(document, IDENTITY_PART)
        assert parted is not None
        assert parted["$id"] == f"{base}parted/track.json"
        assert parted["allOf"] == [{"$ref": f"{base}common.json#/$defs/message"}]
        # Everything else is the document's, its references made absolute from its $id.
        refs = [urljoin(document["$id"], ref) for ref in _refs(document)]
        assert sorted(_refs(parted)) == sorted(r for r in refs if r != base + IDENTITY_PART)
        assert parted["required"] == document["required"]
    # Nothing to drop, or an evaluation that reads what the entry evaluated: no such form.
    assert without_part(STORE.by_path("alias.json"), IDENTITY_PART) is None
    assert without_part(STORE.by_path("track.json"), "common.json#/$defs/context") is None
    unevaluated = {**STORE.by_path("track.json"), "unevaluatedProperties": False}
    assert without_part(unevaluated, IDENTITY_PART) is None


def test_the_identity_rule_is_read_as_the_members_it_names_or_not_at_all() -> None:
    from segment_spec._select import _members_read

    identified = STORE.by_path("common.json")["$defs"]["identified"]
    assert _members_read(identified) == ("user_id", "anonymous_id")
    # Any keyword that reads more than named members, or a condition in a condition: ().
    assert _members_read({**identified, "minProperties": 1}) == ()
    assert _members_read({**identified, "then": {"if": {"required": ["a"]}}}) == ()
    assert _members_read({"else": {"patternProperties": {"x": {}}}}) == ()
    assert _members_read({"required": "user_id"}) == ()
    assert _members_read({"properties": {"a": {"type": "string"}}, "x-issue": {}}) == ("a",)
