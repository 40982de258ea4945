"""Validate: a compiler from the bundled JSON Schemas to fast checking functions.

Each schema is compiled once into a :class:`Compiled` pair of closures:

* ``ok(value) -> bool`` answers "is there anything to report?" without building paths or
  messages, so a clean message costs only the checks themselves;
* ``issues(value, path, out)`` appends every :class:`Issue` (errors and warnings), and runs only
  when ``ok`` said no.

Only the keyword subset the bundled schemas use is supported; compiling anything else raises
:class:`SchemaError`, so a schema can never silently mean less than it says. The reference
``jsonschema`` validator agrees with this engine on accept/reject over the corpus (see
tests/test_differential.py). Two deliberate refinements, both consistent with the reference:

* ``required`` treats ``null``, ``""`` and whitespace-only strings as absent (every required
  property's own schema rejects those values too, so accept/reject is the same);
* the annotations ``x-severity: "warning"`` (issues below become warnings) and ``x-issue``
  (replaces the issues of a failed ``anyOf`` with one named issue) shape the report.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urldefrag, urljoin

from ._generate import generate_ok
from ._issue import Issue, Severity, dotted
from ._timestamps import is_timestamp

__all__ = ["Compiled", "SchemaError", "compile_schema", "describe_type"]

Path = tuple[str | int, ...]
Ok = Callable[[Any], bool]
Report = Callable[[Any, Path, list[Issue]], None]
Lookup = Callable[[str], Mapping[str, Any]]


class SchemaError(ValueError):
    """A bundled schema uses a keyword or form this engine does not implement."""


@dataclass(frozen=True, slots=True)
class Compiled:
    """A compiled schema: a fast yes/no check and a full report."""

    ok: Ok
    issues: Report


_ANNOTATIONS = frozenset(
    {"$schema", "$id", "$comment", "$defs", "title", "description", "examples", "default"}
)
_HANDLED = frozenset(
    {
        "$ref",
        "type",
        "const",
        "enum",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "maxItems",
        "minItems",
        "minLength",
        "maxLength",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "anyOf",
        "allOf",
    }
)

_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
    "null": "null",
}

_FORMATS: dict[str, Callable[[Any], bool]] = {
    "segment-timestamp": is_timestamp,
    "date-time": is_timestamp,
}
_FORMAT_TEXT = {
    "segment-timestamp": "an ISO-8601 date-time such as 2015-02-23T22:28:55.387Z",
    "date-time": "an ISO-8601 date-time such as 2015-02-23T22:28:55.387Z",
}

_MISSING: Any = object()


def describe_type(value: Any) -> str:
    """Name the JSON type of a value ("a string"), never the value itself."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return "an unsupported value"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


_TYPE_TESTS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "number": _is_number,
    "integer": _is_integer,
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, Mapping),
    "array": lambda v: isinstance(v, list | tuple),
    "null": lambda v: v is None,
}


def _is_absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _where(path: Path) -> str:
    return dotted(path) if path else "the message"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _all_ok(checks: list[Ok]) -> Ok:
    if not checks:
        return lambda value: True
    if len(checks) == 1:
        return checks[0]
    frozen = tuple(checks)
    return lambda value: all(check(value) for check in frozen)


class _Compiler:
    """Compiles schemas reachable from one store, sharing compiled ``$ref`` targets."""

    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup
        self._cache: dict[str, Compiled] = {}

    def resolve(self, base: str, ref: str) -> tuple[str, Mapping[str, Any]]:
        uri = urljoin(base, ref)
        document_uri, fragment = urldefrag(uri)
        node: Any = self._lookup(document_uri)
        if fragment:
            if not fragment.startswith("/"):
                raise SchemaError(f"{uri}: only JSON-pointer fragments are supported")
            for token in fragment[1:].split("/"):
                token = token.replace("~1", "/").replace("~0", "~")
                node = node[token]
        return uri, node

    def ref(self, base: str, ref: str) -> Compiled:
        uri, target = self.resolve(base, ref)
        compiled = self._cache.get(uri)
        if compiled is None:
            # A placeholder first, so recursive references terminate.
            holder: list[Compiled] = []
            self._cache[uri] = Compiled(
                lambda value: holder[0].ok(value),
                lambda value, path, out: holder[0].issues(value, path, out),
            )
            compiled = self.compile(target, urldefrag(uri)[0])
            holder.append(compiled)
            self._cache[uri] = compiled
        return compiled

    def declared_types(self, schema: Mapping[str, Any] | bool, base: str) -> list[str]:
        """The JSON types a schema declares at its root (following ``$ref``), if any."""
        if not isinstance(schema, Mapping):
            return []
        while "$ref" in schema and "type" not in schema:
            base, schema = self.resolve(base, schema["$ref"])
            base = urldefrag(base)[0]
        types = schema.get("type", [])
        return [types] if isinstance(types, str) else list(types)

    def expectation(self, schema: Mapping[str, Any], base: str) -> str:
        """Describe in words what a property schema expects ("a non-empty string")."""
        while "$ref" in schema and "type" not in schema:
            base, schema = self.resolve(base, schema["$ref"])
            base = urldefrag(base)[0]
        types = schema.get("type")
        if types is None:
            return ""
        names = [types] if isinstance(types, str) else [t for t in types if t != "null"]
        words = [_TYPE_NAMES[name] for name in names]
        if schema.get("pattern") == r"\S" and words and words[0] == "a string":
            words[0] = "a non-empty string"
        return _join(words) if words else ""

    def compile(self, schema: Mapping[str, Any] | bool, base: str) -> Compiled:
        if schema is True:
            return Compiled(lambda value: True, lambda value, path, out: None)
        if schema is False:

            def refuse(value: Any, path: Path, out: list[Issue]) -> None:
                out.append(Issue(path, "false", f"{_where(path)} is not allowed"))

            return Compiled(lambda value: False, refuse)
        if not isinstance(schema, Mapping):
            raise SchemaError(f"{base}: a schema must be an object or a boolean")
        base = urljoin(base, schema.get("$id", ""))
        for keyword in schema:
            if (
                keyword not in _HANDLED
                and keyword not in _ANNOTATIONS
                and not (keyword.startswith("x-"))
            ):
                raise SchemaError(f"{base}: keyword {keyword!r} is not supported")

        oks: list[Ok] = []
        reports: list[Report] = []
        type_gate: Ok | None = None

        if "type" in schema:
            type_gate = self._type(schema["type"], oks, reports)
        if "const" in schema:
            self._const(schema["const"], oks, reports)
        if "enum" in schema:
            self._enum(schema["enum"], oks, reports)
        self._strings(schema, oks, reports)
        self._numbers(schema, oks, reports)
        if "format" in schema and schema["format"] in _FORMATS:
            self._format(schema["format"], oks, reports)
        self._objects(schema, base, oks, reports)
        self._arrays(schema, base, oks, reports)
        if "$ref" in schema:
            target = self.ref(base, schema["$ref"])
            oks.append(target.ok)
            reports.append(target.issues)
        for sub in schema.get("allOf", ()):
            part = self.compile(sub, base)
            oks.append(part.ok)
            reports.append(part.issues)
        if "anyOf" in schema:
            self._any_of(schema, base, oks, reports)

        ok = _all_ok(oks)
        all_reports = tuple(reports)

        def report(value: Any, path: Path, out: list[Issue]) -> None:
            if type_gate is not None and not type_gate(value):
                # A value of the wrong type: the type issue says all there is to say.
                all_reports[0](value, path, out)
                return
            for each in all_reports:
                each(value, path, out)

        if schema.get("x-severity") == "warning":
            inner = report

            def report(value: Any, path: Path, out: list[Issue]) -> None:
                found: list[Issue] = []
                inner(value, path, found)
                out.extend(Issue(i.path, i.keyword, i.message, Severity.WARNING) for i in found)

        return Compiled(ok, report)

    # -- keyword groups -------------------------------------------------------------------

    def _type(self, declared: str | list[str], oks: list[Ok], reports: list[Report]) -> Ok:
        names = [declared] if isinstance(declared, str) else list(declared)
        tests = tuple(_TYPE_TESTS[name] for name in names)
        expected = _join([_TYPE_NAMES[name] for name in names])

        if len(tests) == 1:
            gate = tests[0]
        else:

            def gate(value: Any) -> bool:
                return any(test(value) for test in tests)

        def report(value: Any, path: Path, out: list[Issue]) -> None:
            if not gate(value):
                message = f"{_where(path)} must be {expected}, not {describe_type(value)}"
                out.append(Issue(path, "type", message))

        oks.append(gate)
        reports.append(report)
        return gate

    def _const(self, const: Any, oks: list[Ok], reports: list[Report]) -> None:
        def ok(value: Any) -> bool:
            return bool(value == const and type(value) is type(const))

        def report(value: Any, path: Path, out: list[Issue]) -> None:
            if not ok(value):
                out.append(Issue(path, "const", f"{_where(path)} must be {json.dumps(const)}"))

        oks.append(ok)
        reports.append(report)

    def _enum(self, options: list[Any], oks: list[Ok], reports: list[Report]) -> None:
        allowed = tuple(options)
        listing = ", ".join(json.dumps(option) for option in allowed)

        def ok(value: Any) -> bool:
            return any(value == o and type(value) is type(o) for o in allowed)

        def report(value: Any, path: Path, out: list[Issue]) -> None:
            if not ok(value):
                out.append(Issue(path, "enum", f"{_where(path)} must be one of {listing}"))

        oks.append(ok)
        reports.append(report)

    def _strings(self, schema: Mapping[str, Any], oks: list[Ok], reports: list[Report]) -> None:
        low = schema.get("minLength")
        high = schema.get("maxLength")
        pattern = schema.get("pattern")
        if low is None and high is None and pattern is None:
            return
        search = re.compile(pattern).search if pattern is not None else None

        def ok(value: Any) -> bool:
            if not isinstance(value, str):
                return True
            if low is not None and len(value) < low:
                return False
            if high is not None and len(value) > high:
                return False
            return search is None or search(value) is not None

        def report(value: Any, path: Path, out: list[Issue]) -> None:
            if not isinstance(value, str):
                return
            where = _where(path)
            if low is not None and len(value) < low:
                out.append(Issue(path, "minLength", f"{where} must be at least {low} characters"))
            if high is not None and len(value) > high:
                out.append(Issue(path, "maxLength", f"{where} must be at most {high} characters"))
            if search is not None and search(value) is None:
                text = (
                    f"{where} must not be empty or blank"
                    if pattern == r"\S"
                    else f"{where} must match the pattern {pattern}"
                )
                out.append(Issue(path, "pattern", text))

        oks.append(ok)
        reports.append(report)

    def _numbers(self, schema: Mapping[str, Any], oks: list[Ok], reports: list[Report]) -> None:
        low = schema.get("minimum")
        high = schema.get("maximum")
        if low is None and high is None:
            return

        def ok(value: Any) -> bool:
            if not _is_number(value):
                return True
            return (low is None or value >= low) and (high is None or value <= high)

        def report(value: Any, path: Path, out: list[Issue]) -> None:
            if not _is_number(value):
                return
            if low is not None and value < low:
                out.append(Issue(path, "minimum", f"{_where(path)} must be at least {low}"))
            if high is not None and value > high:
                out.append(Issue(path, "maximum", f"{_where(path)} must be at most {high}"))

        oks.append(ok)
        reports.append(report)

    def _format(self, name: str, oks: list[Ok], reports: list[Report]) -> None:
        test = _FORMATS[name]
        text = _FORMAT_TEXT[name]

        def ok(value: Any) -> bool:
            return value is None or not isinstance(value, str | int | float) or test(value)

        def report(value: Any, path: Path, out: list[Issue]) -> None:
            if not ok(value):
                out.append(Issue(path, "format", f"{_where(path)} must be {text}"))

        oks.append(ok)
        reports.append(report)

    def _objects(
        self, schema: Mapping[str, Any], base: str, oks: list[Ok], reports: list[Report]
    ) -> None:
        props = {
            name: self.compile(sub, base) for name, sub in schema.get("properties", {}).items()
        }
        required = tuple(schema.get("required", ()))
        hints = {
            name: self.expectation(schema.get("properties", {}).get(name, {}), base)
            for name in required
        }
        extra_schema = schema.get("additionalProperties", True)
        extra = None if extra_schema is True else self.compile(extra_schema, base)
        if not props and not required and extra is None:
            return
        prop_items = tuple((name, c.ok) for name, c in props.items())

        def ok(value: Any) -> bool:
            if not isinstance(value, Mapping):
                return True
            get = value.get
            for name in required:
                if _is_absent(get(name)):
                    return False
            for name, check in prop_items:
                item = get(name, _MISSING)
                if item is not _MISSING and not check(item):
                    return False
            if extra is not None:
                extra_ok = extra.ok
                for key, item in value.items():
                    if key not in props and not extra_ok(item):
                        return False
            return True

        def report(value: Any, path: Path, out: list[Issue]) -> None:
            if not isinstance(value, Mapping):
                return
            missing = set()
            for name in required:
                if _is_absent(value.get(name)):
                    missing.add(name)
                    hint = hints[name]
                    text = f"{_where((*path, name))} is required"
                    out.append(
                        Issue((*path, name), "required", f"{text}: {hint}" if hint else text)
                    )
            for name, compiled in props.items():
                item = value.get(name, _MISSING)
                if item is _MISSING or name in missing:
                    continue
                if not compiled.ok(item):
                    compiled.issues(item, (*path, name), out)
            if extra is not None:
                for key, item in value.items():
                    if key not in props and not extra.ok(item):
                        extra.issues(item, (*path, key), out)

        oks.append(ok)
        reports.append(report)

    def _arrays(
        self, schema: Mapping[str, Any], base: str, oks: list[Ok], reports: list[Report]
    ) -> None:
        items = self.compile(schema["items"], base) if "items" in schema else None
        most = schema.get("maxItems")
        least = schema.get("minItems")
        if items is None and most is None and least is None:
            return

        def ok(value: Any) -> bool:
            if not isinstance(value, list | tuple):
                return True
            if most is not None and len(value) > most:
                return False
            if least is not None and len(value) < least:
                return False
            return items is None or all(items.ok(item) for item in value)

        def report(value: Any, path: Path, out: list[Issue]) -> None:
            if not isinstance(value, list | tuple):
                return
            where = _where(path)
            if most is not None and len(value) > most:
                out.append(Issue(path, "maxItems", f"{where} must have at most {most} items"))
            if least is not None and len(value) < least:
                out.append(Issue(path, "minItems", f"{where} must have at least {least} items"))
            if items is not None:
                for index, item in enumerate(value):
                    if not items.ok(item):
                        items.issues(item, (*path, index), out)

        oks.append(ok)
        reports.append(report)

    def _any_of(
        self, schema: Mapping[str, Any], base: str, oks: list[Ok], reports: list[Report]
    ) -> None:
        branches = tuple(self.compile(sub, base) for sub in schema["anyOf"])
        named = schema.get("x-issue")
        accepted: list[str] = []
        for sub in schema["anyOf"]:
            for name in self.declared_types(sub, base):
                if _TYPE_NAMES[name] not in accepted:
                    accepted.append(_TYPE_NAMES[name])
        expected = _join(accepted) if accepted else ""

        def ok(value: Any) -> bool:
            return any(branch.ok(value) for branch in branches)

        def report(value: Any, path: Path, out: list[Issue]) -> None:
            if ok(value):
                return
            if named is not None:
                where = (*path, *named.get("path", ()))
                out.append(Issue(where, named["keyword"], named["message"]))
                return
            # Like jsonschema's best_match: when exactly one branch accepts the value's type,
            # its issues are the ones worth reading ("traits.email must be a string", not
            # "traits does not match any allowed form").
            fitting = []
            for branch in branches:
                found: list[Issue] = []
                branch.issues(value, path, found)
                if not any(i.path == path and i.keyword == "type" for i in found):
                    fitting.append(found)
            if len(fitting) == 1:
                out.extend(fitting[0])
                return
            if not fitting and expected:
                message = f"{_where(path)} must be {expected}, not {describe_type(value)}"
                out.append(Issue(path, "type", message))
                return
            out.append(Issue(path, "anyOf", f"{_where(path)} does not match any allowed form"))

        oks.append(ok)
        reports.append(report)


def compile_schema(uri: str, lookup: Lookup) -> Compiled:
    """Compile the schema at ``uri``, resolving every ``$ref`` through ``lookup``.

    ``lookup`` maps a document URI to its schema and must never touch the network.
    """
    compiled = _Compiler(lookup).ref(uri, uri)
    return Compiled(generate_ok(uri, lookup), compiled.issues)
