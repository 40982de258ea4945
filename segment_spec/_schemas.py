"""Schemas: the bundled JSON Schema files, loaded once through importlib.resources.

The files live in the repository's top-level ``schemas/`` folder, which is installed as the
``segment_spec.schemas`` package, so the same code finds them in a wheel, in an editable
install and in a source checkout imported as it is. Every ``$id`` is under
``https://segment-spec.invalid/schemas/``: the ``.invalid`` top-level domain guarantees no
``$ref`` is ever fetched over a network.

Each schema also has a lenient form (:func:`lenient_form`), under
``https://segment-spec.invalid/schemas/lenient/``: the schema without the parts that
``check()`` reports only as warnings.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin

from .exceptions import SchemaError

__all__ = [
    "BASE_URI",
    "IDENTITY_PART",
    "LENIENT_BASE_URI",
    "NOT_BLANK",
    "PARTED",
    "SchemaStore",
    "declared_types",
    "declaring",
    "follow",
    "is_event_path",
    "lenient_form",
    "store",
    "validating_keywords",
    "without_part",
]

BASE_URI = "https://segment-spec.invalid/schemas/"
LENIENT_BASE_URI = BASE_URI + "lenient/"
IDENTITY_PART = "common.json#/$defs/identified"
"""The identity rule (user_id or anonymous_id) as the call schemas refer to it, relative to
:data:`BASE_URI` (or :data:`LENIENT_BASE_URI`)."""
PARTED = "parted/"
"""Where :func:`without_part`'s forms live, under either base: ``<base>parted/<path>``."""
_PACKAGE = "segment_spec.schemas"

NOT_BLANK = r"[^\t-\r\u001c- \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
"""The ``pattern`` of a text that is not blank: one character that is not white space.

``\\S`` would say it shorter, but white space differs between regular expression engines (Python
counts U+001C to U+001F, Rust and ECMA-262 do not; ECMA-262 counts U+FEFF): the class names
Python's white space (``str.isspace``, what ``str.strip`` removes) by code point, so that every
engine reads the same text the same way.
"""

# Draft 2020-12 keywords whose value is a schema, a list of schemas or an object of schemas.
_SCHEMA_VALUED = frozenset(
    {
        "additionalProperties",
        "contains",
        "contentSchema",
        "else",
        "if",
        "items",
        "not",
        "propertyNames",
        "then",
        "unevaluatedItems",
        "unevaluatedProperties",
    }
)
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_SCHEMA_MAPS = frozenset({"$defs", "dependentSchemas", "patternProperties", "properties"})
# What a permissive part keeps: the keywords that never reject a value (identifiers, the
# meta-data vocabulary, comments), besides every x- annotation.
_NON_VALIDATING = frozenset(
    {
        "$anchor",
        "$comment",
        "$defs",
        "$dynamicAnchor",
        "$id",
        "$schema",
        "$vocabulary",
        "default",
        "deprecated",
        "description",
        "examples",
        "readOnly",
        "title",
        "writeOnly",
    }
)


# --- reading a schema ----------------------------------------------------------------------------
# The one reading of the schemas' keywords outside the engine: the validator's renderer (what a
# place expects), the lenient forms and the testing kit's generators all go through these.

_REFERENCE_HOPS = 32


def follow(document: Callable[[str], Any], base: str, ref: str) -> tuple[str, Any]:
    """Follow the reference ``ref`` from a schema whose base URI is ``base``.

    ``document`` gives the schema document of a URI (without fragment). Returns the target's
    base URI (every bundled schema declares its ``$id`` at its root only, so that is the
    document's URI) and the target. A fragment is read as a JSON pointer (RFC 6901).

    >>> base, node = follow(store().by_uri, BASE_URI + "track.json", "common.json#/$defs/message")
    >>> base, node["type"]
    ('https://segment-spec.invalid/schemas/common.json', 'object')
    """
    uri, fragment = urldefrag(urljoin(base, ref))
    node: Any = document(uri)
    for token in fragment.split("/")[1:] if fragment else ():
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return uri, node


def declaring(
    resolve: Callable[[str, str], tuple[str, Any]], schema: Any, base: str
) -> tuple[str, Mapping[str, Any]]:
    """The schema that declares the types of ``schema``: itself, or where its ``$ref`` chain
    leads (the first node on the way with a ``type`` or without a ``$ref``), and its base.

    ``resolve(base, ref)`` follows one reference (:meth:`SchemaStore.resolve`, or an engine's
    memo of :func:`follow`). A chain longer than 32 references, or a node that is not an
    object, gives an empty schema.

    >>> declaring(store().resolve, {"$ref": "common.json#/$defs/message"}, BASE_URI)[1]["type"]
    'object'
    """
    for _ in range(_REFERENCE_HOPS):
        if not isinstance(schema, Mapping):
            return base, {}
        if "$ref" not in schema or "type" in schema:
            return base, schema
        base, schema = resolve(base, schema["$ref"])
    return base, {}


def declared_types(schema: Any) -> list[str]:
    """The JSON type names a schema's ``type`` keyword lists (``[]`` where it has none).

    >>> declared_types({"type": ["string", "null"]}), declared_types({"type": "object"})
    (['string', 'null'], ['object'])
    """
    declared = schema.get("type") if isinstance(schema, Mapping) else None
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [name for name in declared if isinstance(name, str)]
    return []


def validating_keywords(schema: Mapping[str, Any]) -> frozenset[str]:
    """The keywords of a schema object that can reject a value: all but the identifiers, the
    meta-data vocabulary, comments and the ``x-`` annotations.

    >>> sorted(validating_keywords({"title": "t", "x-severity": "warning", "type": "string"}))
    ['type']
    """
    return frozenset(
        key for key in schema if key not in _NON_VALIDATING and not key.startswith("x-")
    )


def _walk(folder: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.is_dir():
            if not entry.name.startswith(("_", ".")):
                yield from _walk(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".json"):
            yield f"{prefix}{entry.name}", entry


def is_event_path(path: str) -> bool:
    """True for the schema of a semantic event, ``events/<spec>/<event>.json`` (and not
    ``events/definitions.json``)."""
    return path.startswith("events/") and path.count("/") == 2


def lenient_form(document: Mapping[str, Any], path: str) -> dict[str, Any]:
    """The lenient form of the bundled schema at ``schemas/<path>``: a new document.

    ``check()`` reports a deviation from a part marked ``"x-severity": "warning"`` as a warning,
    and it reports every deviation from an event's schema as a warning (the event is chosen by
    name before any schema applies). The lenient form drops exactly those parts: each subschema
    marked ``x-severity: warning``, and the root of an event's schema, keeps only the keywords
    that never reject a value (``title``, ``description``, ``$comment``, ``examples``, ``$defs``
    and the other identifiers and annotations, ``x-severity`` and every other ``x-`` key) and so
    accepts any value. Everything else is kept as it is. The document's ``$id`` moves from
    ``https://segment-spec.invalid/schemas/<path>`` to
    ``https://segment-spec.invalid/schemas/lenient/<path>``, so its relative references reach
    the lenient forms of the other schemas (an absolute one under the same base is moved too).

    >>> from segment_spec._schemas import store
    >>> track = lenient_form(store().by_path("track.json"), "track.json")
    >>> track["$id"]
    'https://segment-spec.invalid/schemas/lenient/track.json'
    >>> sorted(track["properties"]["properties"])  # was x-severity: warning
    ['description', 'x-severity']
    >>> track["required"]
    ['type', 'event']
    """
    root: Mapping[str, Any] = _permissive(document) if is_event_path(path) else document
    lenient: dict[str, Any] = _lenient(root)
    lenient["$id"] = LENIENT_BASE_URI + path
    return lenient


def without_part(document: Mapping[str, Any], part: str) -> dict[str, Any] | None:
    """The schema ``document`` without the entry ``{"$ref": part}`` of its top-level ``allOf``:
    a new document at ``<base>parted/<path>`` (``document``'s ``$id`` is ``<base><path>``, the
    base being :data:`BASE_URI` or :data:`LENIENT_BASE_URI`), its references made absolute so
    they reach what the document's reach. None when ``document`` has no such entry, or when
    ``unevaluatedProperties`` or ``unevaluatedItems`` beside it would read what it evaluates.

    A value's errors under ``document`` are exactly its errors under this form and those under
    ``part`` alone: ``allOf`` is the conjunction of its entries. Listing a message's issues uses
    it so that jsonschema-rs is shown a part that reads only a few members (the identity rule,
    user_id or anonymous_id) on those members alone: an error about a whole message costs a copy
    of the message as Python objects, 15 µs for 1.3 KB.

    >>> from segment_spec._schemas import store
    >>> track = without_part(store().by_path("track.json"), "common.json#/$defs/identified")
    >>> track["$id"]
    'https://segment-spec.invalid/schemas/parted/track.json'
    >>> track["allOf"]
    [{'$ref': 'https://segment-spec.invalid/schemas/common.json#/$defs/message'}]
    """
    entries = document.get("allOf")
    identifier = document.get("$id")
    if not isinstance(entries, list) or not isinstance(identifier, str):
        return None
    if {"$ref": part} not in entries or {"unevaluatedProperties", "unevaluatedItems"} & set(
        document
    ):
        return None
    base = LENIENT_BASE_URI if identifier.startswith(LENIENT_BASE_URI) else BASE_URI
    if not identifier.startswith(base):
        return None
    form: dict[str, Any] = _absolute(document, identifier)
    form["allOf"] = [
        entry for entry in form["allOf"] if entry != {"$ref": urljoin(identifier, part)}
    ]
    form["$id"] = base + PARTED + identifier[len(base) :]
    return form


def _absolute(schema: Any, base: str) -> Any:
    """A deep copy of ``schema`` whose ``$ref`` values are absolute, read from ``base``."""
    if isinstance(schema, Mapping):
        return {
            key: urljoin(base, value)
            if key == "$ref" and isinstance(value, str)
            else _absolute(value, base)
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_absolute(item, base) for item in schema]
    return copy.deepcopy(schema)


def _permissive(schema: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: value
        for key, value in schema.items()
        if key in _NON_VALIDATING or key.startswith("x-")
    }


def _lenient(schema: Any) -> Any:
    """A deep copy of ``schema`` with its warning parts made permissive."""
    if not isinstance(schema, Mapping):
        return copy.deepcopy(schema)  # true, false, or no schema at all
    if schema.get("x-severity") == "warning":
        schema = _permissive(schema)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_VALUED:
            out[key] = _lenient(value)
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [_lenient(item) for item in value]
        elif key in _SCHEMA_MAPS and isinstance(value, Mapping):
            out[key] = {name: _lenient(item) for name, item in value.items()}
        elif key in ("$ref", "$id") and isinstance(value, str) and value.startswith(BASE_URI):
            relative = value.removeprefix(BASE_URI).removeprefix("lenient/")
            out[key] = LENIENT_BASE_URI + relative
        else:
            out[key] = copy.deepcopy(value)
    return out


class SchemaStore:
    """Every bundled schema, keyed by its path under ``schemas/`` (``"events/ecommerce/x.json"``).

    Built once per process by :func:`store`; the schemas it holds are never mutated (callers get
    deep copies from :meth:`copy_of`). The lenient forms (:func:`lenient_form`) are made the
    first time each is asked for, and kept.
    """

    __slots__ = ("_by_path", "_by_uri", "_lenient")

    def __init__(self, documents: Mapping[str, dict[str, Any]]) -> None:
        self._by_path = dict(documents)
        # Filled on demand: two threads at worst make the same document twice, and keep one.
        self._lenient: dict[str, dict[str, Any]] = {}
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

    def lenient(self, path: str) -> dict[str, Any]:
        """The lenient form of the schema at ``schemas/<path>`` (shared: do not mutate)."""
        found = self._lenient.get(path)
        if found is None:
            found = self._lenient[path] = lenient_form(self._by_path[path], path)
        return found

    def document(self, uri: str) -> dict[str, Any]:
        """The bundled schema, or the lenient form of one, whose ``$id`` is ``uri`` (shared: do
        not mutate); :class:`SchemaError` for any other URI."""
        found = self._by_uri.get(uri)
        if found is not None:
            return found
        if uri.startswith(LENIENT_BASE_URI) and uri[len(LENIENT_BASE_URI) :] in self._by_path:
            return self.lenient(uri[len(LENIENT_BASE_URI) :])
        raise SchemaError(f"no bundled schema has the $id {uri}")

    def resolve(self, base: str, ref: str) -> tuple[str, Any]:
        """Follow ``ref`` from a bundled schema whose base URI is ``base`` (see :func:`follow`).

        >>> store().resolve(BASE_URI + "identify.json", "common.json#/$defs/message")[0]
        'https://segment-spec.invalid/schemas/common.json'
        """
        return follow(self.document, base, ref)

    def copy_of(self, path: str, *, lenient: bool = False) -> dict[str, Any]:
        """A deep copy of a schema, or of its lenient form, safe to hand to users."""
        return copy.deepcopy(self.lenient(path) if lenient else self._by_path[path])


def _schema_package() -> Traversable:
    """The ``segment_spec.schemas`` package's files, wherever segment_spec was imported from."""
    try:
        return files(_PACKAGE)
    except ModuleNotFoundError:
        pass
    # Python started in a clone's root imports segment_spec from the source tree, even when a
    # non-editable copy is installed, and there schemas/ sits beside the package: pyproject.toml
    # maps it into the package only for an install. Import that folder as the package, so that
    # importlib.resources reads it as it reads an installed copy.
    folder = Path(str(files("segment_spec"))).parent / "schemas"
    spec = importlib.util.spec_from_file_location(
        _PACKAGE, folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    if spec is None or spec.loader is None or not (folder / "__init__.py").is_file():
        raise SchemaError(f"the bundled schemas are missing: no {_PACKAGE} package")
    module = importlib.util.module_from_spec(spec)
    sys.modules[_PACKAGE] = module
    spec.loader.exec_module(module)
    return files(_PACKAGE)


@cache
def store() -> SchemaStore:
    """Load every bundled schema (once per process)."""
    root = _schema_package()
    documents = {path: json.loads(entry.read_text("utf-8")) for path, entry in _walk(root, "")}
    return SchemaStore(documents)
