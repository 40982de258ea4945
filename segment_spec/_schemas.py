"""Schemas: the bundled JSON Schema files, loaded once through importlib.resources.

The files live in the repository's top-level ``schemas/`` folder, which is installed as the
``segment_spec.schemas`` package, so the same code finds them in a wheel and in an editable
install. Every ``$id`` is under ``https://segment-spec.invalid/schemas/``: the ``.invalid``
top-level domain guarantees no ``$ref`` is ever fetched over a network.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from .exceptions import SchemaError

__all__ = ["BASE_URI", "SchemaStore", "store"]

BASE_URI = "https://segment-spec.invalid/schemas/"
_PACKAGE = "segment_spec.schemas"


def _walk(folder: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.is_dir():
            if not entry.name.startswith(("_", ".")):
                yield from _walk(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".json"):
            yield f"{prefix}{entry.name}", entry


class SchemaStore:
    """Every bundled schema, keyed by its path under ``schemas/`` (``"events/ecommerce/x.json"``).

    Built once per process by :func:`store`; the schemas it holds are never mutated (callers get
    deep copies from :meth:`copy_of`).
    """

    __slots__ = ("_by_path", "_by_uri")

    def __init__(self, documents: Mapping[str, dict[str, Any]]) -> None:
        self._by_path = dict(documents)
        self._by_uri = {BASE_URI + path: doc for path, doc in self._by_path.items()}
        for path, doc in self._by_path.items():
            declared = doc.get("$id")
            if declared != BASE_URI + path:
                raise SchemaError(f"schemas/{path}: $id {declared!r} does not match its path")

    @property
    def paths(self) -> tuple[str, ...]:
        """Paths of every bundled schema, relative to ``schemas/``."""
        return tuple(self._by_path)

    def by_path(self, path: str) -> dict[str, Any]:
        """The schema stored at ``schemas/<path>`` (shared: do not mutate)."""
        return self._by_path[path]

    def by_uri(self, uri: str) -> dict[str, Any]:
        """The schema whose ``$id`` is ``uri`` (shared: do not mutate)."""
        return self._by_uri[uri]

    def copy_of(self, path: str) -> dict[str, Any]:
        """A deep copy of a schema, safe to hand to users."""
        return copy.deepcopy(self._by_path[path])


@cache
def store() -> SchemaStore:
    """Load every bundled schema (once per process)."""
    root = files(_PACKAGE)
    documents = {path: json.loads(entry.read_text("utf-8")) for path, entry in _walk(root, "")}
    return SchemaStore(documents)
