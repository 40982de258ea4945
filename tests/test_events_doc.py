"""docs/events.md is generated from the schemas and must agree with them."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from conftest import load_file

from segment_spec import events

ROOT = Path(__file__).resolve().parents[1]


def _generator() -> ModuleType:
    return load_file(ROOT / "scripts" / "generate_events_doc.py", "generate_events_doc")


def test_page_matches_the_schemas() -> None:
    page = (ROOT / "docs" / "events.md").read_text("utf-8")
    assert page == _generator().render(), "run: python scripts/generate_events_doc.py"


def test_page_lists_every_event_and_legacy_name() -> None:
    page = (ROOT / "docs" / "events.md").read_text("utf-8")
    for event in events():
        assert f"| {event.name} | {event.category} |" in page
        for legacy in event.legacy_names:
            assert legacy in page


def test_type_text_describes_refs_and_lists() -> None:
    generator = _generator()
    base = "events/ecommerce/order-completed.json"
    assert generator.type_text({"type": ["string", "number"]}, base) == "string or number"
    products = {"type": "array", "items": {"$ref": "../definitions.json#/$defs/product"}}
    assert generator.type_text(products, base) == "array of product"
