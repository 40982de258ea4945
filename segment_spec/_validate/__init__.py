"""Validate: the bundled JSON Schemas, compiled once by jsonschema-rs, and its errors as issues.

jsonschema-rs is the one engine that decides: :class:`Compiled.ok` is its ``is_valid``, and
:meth:`Compiled.report` turns its structured errors into :class:`Issue`\\ s. This module never
reads a schema to decide anything; it reads the schema only to word what jsonschema-rs found,
following each error's evaluation path through the schemas:

* the message is rendered from the error's keyword and the schema at its place (jsonschema-rs's
  own text echoes the submitted value, which a reply must never do);
* an error below a part annotated ``"x-severity": "warning"`` is a warning;
* every error below a part annotated ``"x-issue"`` is reported as that one named issue (its
  ``keyword``, at its ``path`` below the part, with its ``message``, where ``{path}`` stands for
  the field's name);
* a failed ``anyOf`` reports the issues of the one branch that accepts the value's type, if
  there is exactly one (as jsonschema's ``best_match`` would pick it);
* a required property sent as ``null`` or blank text, which its own schema refuses, is reported
  as missing (``required``), the way a person reads it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urldefrag, urljoin

import jsonschema_rs

from .._issue import Findings, Issue, Severity, dotted, issue_bounds
from .._parse.value import describe_type
from .._schemas import (
    BASE_URI,
    IDENTITY_PART,
    LENIENT_BASE_URI,
    NOT_BLANK,
    declared_types,
    declaring,
    follow,
    store,
    without_part,
)
from ..exceptions import SchemaError
from .view import VIEW_BUDGET, Allowance, kept_names, views

__all__ = ["Allowance", "Compiled", "Engine", "SchemaError"]

Path = tuple[str | int, ...]


_FORMAT_TEXT = {"segment-timestamp": "an ISO-8601 date-time such as 2015-02-23T22:28:55.387Z"}

_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "an integer",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
    "null": "null",
}

# The keywords whose subschemas apply to a member of the instance, not to the instance itself.
_MEMBER_KEYWORDS = frozenset(
    {"properties", "additionalProperties", "patternProperties", "items", "prefixItems"}
)
# The errors a required property gets when it is there but null or blank.
_ABSENCE_KEYWORDS = frozenset({"type", "pattern", "minLength"})
_MISSING: Any = object()
# The most keys an object may have to be read through rather than indexed, when one issue
# asks where a key comes in it (a read through is 1.3 µs for 12 keys, an index 8 µs).
_READ_THROUGH: Final = 32


def _where(path: Path) -> str:
    return dotted(path) if path else "the message"


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _is_absent(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _fits(value: Any, schema: Mapping[str, Any]) -> bool:
    """Whether ``value`` has one of the JSON types ``schema`` declares."""
    for name in declared_types(schema):
        if name == "null" and value is None:
            return True
        if name == "boolean" and isinstance(value, bool):
            return True
        if isinstance(value, bool):
            continue
        if name == "string" and isinstance(value, str):
            return True
        if name == "number" and isinstance(value, int | float):
            return True
        if name == "integer" and (
            isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        ):
            return True
        if name == "object" and isinstance(value, Mapping):
            return True
        if name == "array" and isinstance(value, list | tuple):
            return True
    return False


@dataclass(frozen=True, slots=True)
class _Place:
    """What the schemas say where one error's evaluation path ends.

    Attributes:
        keyword: The keyword that failed (the path's last step).
        owner: The schema object holding it, and the URI its references resolve against.
        warning: True when a part on the way is annotated ``x-severity: warning``.
        member: For a place inside a ``properties`` subschema: the object schema that lists
            the property, its base URI, and the property's name; None elsewhere.
        named: The nearest ``x-issue`` annotation on the way, and how many steps into the
            instance the place is below the part it annotates; None when there is none.
    """

    keyword: str
    owner: Mapping[str, Any]
    base: str
    warning: bool
    member: tuple[Mapping[str, Any], str, str] | None
    named: tuple[Mapping[str, Any], int] | None


class Engine:
    """A registry of schema documents, and one jsonschema-rs validator per schema asked for.

    Holds the compiled validators and what it learnt of the schemas' places; build one and
    keep it (each :class:`~segment_spec.Checker` has one). ``view_budget`` is the members of
    a large value its validators show jsonschema-rs when they list its issues.
    """

    def __init__(
        self, documents: Mapping[str, Mapping[str, Any]], *, view_budget: int = VIEW_BUDGET
    ) -> None:
        """``documents`` maps each document's URI (its ``$id``) to the schema; ``view_budget``
        bounds the members of a large value shown to jsonschema-rs when its issues are listed
        (:func:`~.view.view`)."""
        self._documents = dict(documents)
        self.view_budget = view_budget
        try:
            resources: list[tuple[str, Any]] = list(self._documents.items())
            self._registry = jsonschema_rs.Registry(resources)
        except Exception as error:  # jsonschema-rs raises its own types for bad resources
            raise SchemaError(f"the schemas do not compile: {error}") from None
        self._compiled: dict[str, Compiled] = {}
        # References are followed by the schemas' text, which is finite: no bound needed.
        self._resolved: dict[tuple[str, str], tuple[str, Any]] = {}
        self._lock = threading.Lock()

    @classmethod
    def bundled(cls, *, view_budget: int = VIEW_BUDGET) -> Engine:
        """A new engine of every bundled schema and its lenient form (nothing compiled yet),
        and of each form without the identity rule (:data:`IDENTITY_PART`, see
        :func:`~.._schemas.without_part`), for listing issues."""
        schemas = store()
        documents = {BASE_URI + path: schemas.by_path(path) for path in schemas.paths}
        documents.update({LENIENT_BASE_URI + path: schemas.lenient(path) for path in schemas.paths})
        for document in list(documents.values()):
            parted = without_part(document, IDENTITY_PART)
            if parted is not None:
                documents[parted["$id"]] = parted
        return cls(documents, view_budget=view_budget)

    def knows(self, uri: str) -> bool:
        """Whether a document's ``$id`` is ``uri``."""
        return uri in self._documents

    def document(self, uri: str) -> Mapping[str, Any]:
        """The schema document whose ``$id`` is ``uri``."""
        try:
            return self._documents[uri]
        except KeyError:
            raise SchemaError(f"no schema has the $id {uri}") from None

    def compile(self, uri: str) -> Compiled:
        """The validator of the schema at ``uri`` (a document's ``$id``, or that with a JSON
        pointer fragment), compiled on first use."""
        compiled = self._compiled.get(uri)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(uri)
                if compiled is None:
                    compiled = self._compiled[uri] = self._build(uri)
        return compiled

    def _build(self, uri: str) -> Compiled:
        root = {"$ref": uri}
        try:
            # Formats are annotations here: every rule a format names is also a pattern or a
            # bound the engine checks itself (a timestamp's grammar is TIMESTAMP_PATTERN), so
            # no Python runs inside the validator.
            # Its messages are never shown, and with the values masked they cost half as much
            # to make (and hold no submitted value, should one ever be logged).
            validator = jsonschema_rs.Draft202012Validator(
                root, registry=self._registry, validate_formats=False, mask="(a value)"
            )
        except Exception as error:
            raise SchemaError(f"{uri} does not compile: {error}") from None
        lenient = None
        if uri.startswith(BASE_URI) and not uri.startswith(LENIENT_BASE_URI):
            twin = LENIENT_BASE_URI + uri[len(BASE_URI) :]
            if urldefrag(twin)[0] in self._documents:
                lenient = twin
        kept = kept_names(root, self.resolve, warnings=lenient is not None)
        places = _Places(self, root)
        return Compiled(validator.is_valid, validator, places, self, lenient, kept)

    def resolve(self, base: str, ref: str) -> tuple[str, Any]:
        """Follow ``ref`` from a schema whose base URI is ``base``: the target's base, and
        the target."""
        key = (base, ref)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = follow(self.document, base, ref)
        return found


class _Places:
    """The :class:`_Place` of each evaluation path of one validator, worked out once each."""

    __slots__ = ("_engine", "_memo", "_root", "_said")

    _LIMIT = 4096

    def __init__(self, engine: Engine, root: Mapping[str, Any]) -> None:
        self._engine = engine
        self._root = root
        self._memo: dict[tuple[str | int, ...], _Place] = {}
        # The issues each error was said as, by what decides them (_Renderer.render).
        self._said: dict[tuple[Any, ...], tuple[Issue, ...]] = {}

    def said(self, key: tuple[Any, ...]) -> tuple[Issue, ...] | None:
        """The issues an error with this key was said as, if it was met lately."""
        return self._said.get(key)

    def remember(self, key: tuple[Any, ...], issues: tuple[Issue, ...]) -> tuple[Issue, ...]:
        """Keep what an error was said as (a bounded memo: it starts over when full)."""
        if len(self._said) >= self._LIMIT:
            self._said.clear()
        self._said[key] = issues
        return issues

    def of(self, steps: tuple[str | int, ...]) -> _Place:
        place = self._memo.get(steps)
        if place is None:
            place = self._walk(steps)
            if len(self._memo) >= self._LIMIT:
                self._memo.clear()
            self._memo[steps] = place
        return place

    def _walk(self, steps: tuple[str | int, ...]) -> _Place:
        node: Any = self._root
        base = ""
        warning = False
        owner: Mapping[str, Any] = node
        owner_base = base
        member: tuple[Mapping[str, Any], str, str] | None = None
        listing: tuple[Mapping[str, Any], str] | None = None  # the node whose properties we enter
        named: tuple[Mapping[str, Any], int] | None = None
        for step in steps:
            if isinstance(node, Mapping):
                if isinstance(node.get("$id"), str):
                    base = urljoin(base, node["$id"])
                if node.get("x-severity") == "warning":
                    warning = True
                if isinstance(node.get("x-issue"), Mapping):
                    named = (node["x-issue"], 0)
                owner, owner_base = node, base
                if step == "$ref":
                    base, node = self._engine.resolve(base, node["$ref"])
                    continue
            if listing is not None:
                member = (*listing, str(step))
                listing = None
            elif step in _MEMBER_KEYWORDS:
                member = None
                if named is not None:
                    named = (named[0], named[1] + 1)
                if step == "properties" and isinstance(node, Mapping):
                    listing = (node, base)
            node = node[step]
        keyword = str(steps[-1]) if steps else ""
        return _Place(keyword, owner, owner_base, warning, member, named)

    def _typed(self, schema: Any, base: str) -> Mapping[str, Any]:
        """The schema that declares the types, following ``$ref`` from ``schema``."""
        return declaring(self._engine.resolve, schema, base)[1]

    def expectation(self, schema: Any, base: str) -> str:
        """Describe in words what a property schema expects ("a non-empty string")."""
        schema = self._typed(schema, base)
        words = [_TYPE_NAMES[name] for name in declared_types(schema) if name != "null"]
        if schema.get("pattern") == NOT_BLANK and words and words[0] == "a string":
            words[0] = "a non-empty string"
        return _join(words) if words else ""

    def declared(self, schema: Any, base: str) -> list[str]:
        """The JSON types a schema declares at its root (following ``$ref``)."""
        return declared_types(self._typed(schema, base))


@dataclass(frozen=True, slots=True)
class Compiled:
    """One compiled schema: jsonschema-rs's yes/no answer, and its errors as issues.

    Attributes:
        ok: True when the value has nothing to report (jsonschema-rs's ``is_valid``).
        validator: The jsonschema-rs validator.
    """

    ok: Callable[[Any], bool]  # the validator's is_valid, bound once: it runs per message
    validator: Any = field(repr=False)
    places: _Places = field(repr=False)
    engine: Engine = field(repr=False)
    lenient: str | None = None
    # The names a view of a value keeps (.view.kept_names); None: values are listed whole.
    kept: frozenset[str] | None = None

    def errors_only(self) -> Compiled | None:
        """The schema without its parts marked as warnings (its lenient form), which finds
        exactly the errors; None when there is no such form."""
        return None if self.lenient is None else self.engine.compile(self.lenient)

    def report(
        self,
        value: Any,
        path: Path = (),
        severity: Severity = Severity.ERROR,
        size: int | None = None,
        allowance: Allowance | None = None,
        first: Iterable[Issue] = (),
    ) -> list[Issue]:
        """Every issue of ``value``, within the bounds of :class:`Findings`.

        ``path`` is where ``value`` sits in the message; ``severity`` is that of the parts of
        the schema not marked as warnings; ``size``, that of the message's body, bounds the
        issues listed (:func:`~._issue.issue_bounds`); ``allowance``, shared by a batch's
        items, bounds what listing them all may cost (:class:`~.view.Allowance`); ``first``,
        issues of ``value`` found already (by another part of its schema), listed with these
        in the message's order and within the same bounds. When the warnings fill the list
        before any error of this schema, its errors are still looked for, and listed first:
        the bounds never decide.
        """
        bounds = issue_bounds(size)
        found = Findings(severity=severity, bounds=bounds)
        given = {id(issue) for issue in first}
        for issue in first:
            found.append(issue)
        found = _listed(self, value, path, severity, found, allowance)
        if (
            severity is Severity.ERROR
            and found.full
            and not any(i.is_error and id(i) not in given for i in found)
        ):
            # The warnings filled the list: the errors are looked for in the lenient form,
            # where only they can be found (cheaply: the warnings' parts are gone).
            lenient = self.errors_only()
            if lenient is not None:
                errors = _listed(lenient, value, path, severity, Findings(bounds=bounds), allowance)
                if errors:
                    return [*errors.listed("error", "errors"), *found.listed("issue", "issues")]
        return found.listed("issue", "issues")


def _listed(
    compiled: Compiled,
    value: Any,
    path: Path,
    severity: Severity,
    found: Findings,
    allowance: Allowance | None = None,
) -> Findings:
    """Render ``compiled``'s errors about ``value`` into ``found`` until it is full, in the
    message's order.

    jsonschema-rs is shown bounded :func:`~.view.views` of a large value (where the schema
    allows them), the larger only when the smaller had too few errors to fill the list; when
    the view listed left members out, ``found`` says so (``partial``), and when it holds none
    of the value's errors, the first of them is listed all the same.
    """
    renderer = _Renderer(compiled.places, value, path, severity)
    made = 0
    try:
        kept = compiled.kept
        most = compiled.engine.view_budget
        budget = most if allowance is None else allowance.budget(most)
        shown_views = [(value, False)] if kept is None else views(value, kept, budget, allowance)
        errors: list[Any] = []
        partial = False
        for shown, partial in shown_views:
            # jsonschema-rs builds every error of the view before it yields the first.
            errors = list(compiled.validator.iter_errors(shown))
            if allowance is not None:
                allowance.spend(len(errors))  # before the next view is cut to what is left
            if not partial or len(errors) >= found.bounds[0]:
                break  # the whole value, or enough errors to fill the list
        for error in errors:  # the last view's: the larger, when the smaller had too few
            if found.full:
                found.truncated = True
                break
            renderer.render(error, found)
        if partial and not found.truncated:
            made += _list_one(compiled, value, path, severity, found)
    except Exception:  # a value jsonschema-rs cannot read (the parse stage reads every
        # value as JSON first, so only a caller's direct use gets here)
        found.add(path, "invalid-json", f"{_where(path)} is not a JSON value")
    if allowance is not None:
        allowance.spend(made)
    if len(found) > 1:
        found.sort(key=renderer.order)
    return found


def _list_one(
    compiled: Compiled, value: Any, path: Path, severity: Severity, found: Findings
) -> int:
    """After a view that left members out of a value that has issues: mark ``found``
    ``partial``; when it lists nothing, list the value's first issue; when it lists no error of
    a value that has errors, its first error too (jsonschema-rs's ``validate`` stops at it). So
    a view never turns a refusal into an acceptance, nor a warning into silence. Returns the
    errors jsonschema-rs made for it."""
    if compiled.ok(value):
        return 0  # nothing to report (so the view found nothing either)
    found.partial = True
    if found.full:
        return 0  # Compiled.report looks for the errors itself
    made = 0
    if not found:
        made += _first(compiled, value, path, severity, found)
    lenient = compiled.errors_only()
    if (
        severity is Severity.ERROR
        and lenient is not None
        and not any(issue.is_error for issue in found)
        and not lenient.ok(value)
    ):
        made += _first(lenient, value, path, severity, found)
    return made


def _first(compiled: Compiled, value: Any, path: Path, severity: Severity, found: Findings) -> int:
    """List the first error jsonschema-rs finds in ``value``; returns the errors it made."""
    try:
        compiled.validator.validate(value)
    except jsonschema_rs.ValidationError as error:
        before = len(found)
        _Renderer(compiled.places, value, path, severity).render(error, found)
        if len(found) == before:
            where = (*path, *error.instance_path)
            found.add(where, "schema", f"{_where(where)} does not match its schema")
        return 1
    return 0


class _Renderer:
    """Turns jsonschema-rs errors about one value into issues."""

    __slots__ = ("_places", "_positions", "_prefix", "_said", "_severity", "_value")

    def __init__(self, places: _Places, value: Any, prefix: Path, severity: Severity) -> None:
        self._places = places
        self._value = value
        self._prefix = prefix
        self._severity = severity
        self._said: set[tuple[Path, str]] = set()
        # The position of each key, by object (None: read through once, not indexed yet).
        self._positions: dict[int, dict[Any, int] | None] = {}

    def _at(self, steps: Iterable[str | int]) -> Any:
        node = self._value
        for step in steps:
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                return _MISSING
        return node

    def order(self, issue: Issue) -> tuple[int, ...]:
        """Where an issue's place comes in the message: issues read in the message's order
        (jsonschema-rs reports in an order of its own)."""
        node = self._value
        found: list[int] = []
        for step in issue.path[len(self._prefix) :]:
            if isinstance(step, int):
                found.append(step)
                node = node[step] if isinstance(node, list) and 0 <= step < len(node) else None
                continue
            if not isinstance(node, dict):
                break
            found.append(self._position(node, step))
            node = node.get(step)
        return tuple(found)

    def _position(self, node: dict[Any, Any], step: object) -> int:
        """Where ``step`` comes among ``node``'s keys (after them all when it is none). A small
        object asked once is read through, which costs a sixth of indexing it (a rejection
        usually sorts two issues); one asked again, or a large one, is indexed."""
        known = self._positions
        unseen = id(node) not in known
        if unseen and len(node) <= _READ_THROUGH:
            known[id(node)] = None  # read through once: indexed when asked again
            for index, key in enumerate(node):
                if key == step:
                    return index
            return len(node)
        positions = known.get(id(node))
        if positions is None:
            positions = known[id(node)] = dict(zip(node, range(len(node)), strict=True))
        return positions.get(step, len(positions))

    def render(self, error: Any, out: Findings, *, errors_only: bool = False) -> None:
        evaluation = tuple(error.evaluation_path)
        place = self._places.of(evaluation)
        warning = place.warning or self._severity is Severity.WARNING
        if errors_only and warning:
            return
        severity = Severity.WARNING if warning else Severity.ERROR
        steps = tuple(error.instance_path)
        if place.keyword == "anyOf":
            self._any_of(error, place, (*self._prefix, *steps), severity, out, errors_only)
            return
        value = self._at(steps)
        detail = error.kind.as_dict()["property"] if place.keyword == "required" else None
        # What is said of an error depends on its place in the schemas and in the message,
        # and on the value only through its type and blankness: the same error in the next
        # message is said the same way, and is said from memory.
        kind = type(value)
        key = (
            evaluation,
            steps,
            self._prefix,
            severity,
            kind,
            _is_absent(value),
            kind is float and value.is_integer(),
            detail,
        )
        said = self._places.said(key)
        if said is None:
            sink: list[Issue] = []
            self._describe(error, place, steps, value, detail, severity, sink)
            said = self._places.remember(key, tuple(sink))
        for issue in said:
            self._keep(out, issue)

    def _describe(
        self,
        error: Any,
        place: _Place,
        steps: Path,
        value: Any,
        detail: Any,
        severity: Severity,
        sink: list[Issue],
    ) -> None:
        """The issues one error (not an ``anyOf``) makes, into ``sink``."""
        where: Path = (*self._prefix, *steps)
        keyword = place.keyword
        owner = place.owner
        if place.named is not None:
            # Everything below an annotated part is the one issue it names, said once.
            named, depth = place.named
            at = where[: len(where) - depth] if depth else where
            at = (*at, *named.get("path", ()))
            text = str(named["message"]).replace("{path}", _where(at))
            sink.append(Issue(at, str(named["keyword"]), text, severity))
            return
        if keyword == "required":
            hint = self._places.expectation(owner.get("properties", {}).get(detail), place.base)
            sink.append(_required((*where, detail), hint, severity))
            return
        if keyword != "type" and "type" in owner and not _fits(value, owner):
            return  # the type error at the same place says all there is to say
        if keyword in _ABSENCE_KEYWORDS and place.member is not None and _is_absent(value):
            schema, base, name = place.member
            if name in schema.get("required", ()) and steps and steps[-1] == name:
                properties = schema.get("properties", {})
                hint = self._places.expectation(properties.get(name), base)
                sink.append(_required(where, hint, severity))
                return
        said, text = self._wording(keyword, owner, where, value, error)
        sink.append(Issue(where, said, text, severity))

    def _wording(
        self, keyword: str, owner: Mapping[str, Any], where: Path, value: Any, error: Any
    ) -> tuple[str, str]:
        at = _where(where)
        if keyword in ("pattern", "minimum", "maximum") and owner.get("format") in _FORMAT_TEXT:
            # A timestamp's pattern and bounds are its format's: a text that does not match,
            # or epoch milliseconds out of them, is not a date.
            return "format", f"{at} must be {_FORMAT_TEXT[owner['format']]}"
        if keyword == "type":
            expected = _join([_TYPE_NAMES.get(name, name) for name in declared_types(owner)])
            return "type", f"{at} must be {expected}, not {describe_type(value)}"
        if keyword == "const":
            return "const", f"{at} must be {json.dumps(owner.get('const'))}"
        if keyword == "enum":
            listing = ", ".join(json.dumps(option) for option in owner.get("enum", ()))
            return "enum", f"{at} must be one of {listing}"
        if keyword == "pattern":
            pattern = owner.get("pattern")
            if pattern == NOT_BLANK:
                return "pattern", f"{at} must not be empty or blank"
            return "pattern", f"{at} must match the pattern {pattern}"
        if keyword == "format":
            name = str(owner.get("format"))
            return "format", f"{at} must be {_FORMAT_TEXT.get(name, f'in the format {name}')}"
        if keyword in ("minLength", "maxLength"):
            bound = "at least" if keyword == "minLength" else "at most"
            return keyword, f"{at} must be {bound} {owner.get(keyword)} characters"
        if keyword in ("minimum", "maximum"):
            bound = "at least" if keyword == "minimum" else "at most"
            return keyword, f"{at} must be {bound} {owner.get(keyword)}"
        if keyword in ("minItems", "maxItems"):
            bound = "at least" if keyword == "minItems" else "at most"
            return keyword, f"{at} must have {bound} {owner.get(keyword)} items"
        if keyword in ("false", "additionalProperties") or error.kind.name == "falseSchema":
            return "false", f"{at} is not allowed"
        return keyword or "schema", f"{at} does not match its schema ({keyword})"

    def _keep(self, out: Findings, issue: Issue) -> None:
        key = (issue.path, issue.keyword)
        if key in self._said:  # two parts of the schemas saying the same of one place
            return
        self._said.add(key)
        out.append(issue)

    def _add(
        self, out: Findings, where: Path, keyword: str, message: str, severity: Severity
    ) -> None:
        self._keep(out, Issue(where, keyword, message, severity))

    def _any_of(
        self,
        error: Any,
        place: _Place,
        where: Path,
        severity: Severity,
        out: Findings,
        errors_only: bool,
    ) -> None:
        owner = place.owner
        steps = list(error.instance_path)
        branches = error.kind.as_dict()["context"]
        fitting = [
            branch
            for branch in branches
            if not any(
                list(sub.instance_path) == steps
                and self._places.of(tuple(sub.evaluation_path)).keyword == "type"
                for sub in branch
            )
        ]
        if len(fitting) == 1:
            for sub in fitting[0]:
                if out.full:
                    out.truncated = True
                    return
                self.render(sub, out, errors_only=errors_only)
            return
        value = self._at(steps)
        if not fitting:
            accepted: list[str] = []
            for branch in owner.get("anyOf", ()):
                for name in self._places.declared(branch, place.base):
                    if _TYPE_NAMES.get(name, name) not in accepted:
                        accepted.append(_TYPE_NAMES.get(name, name))
            if accepted:
                text = f"{_where(where)} must be {_join(accepted)}, not {describe_type(value)}"
                self._add(out, where, "type", text, severity)
                return
        self._add(out, where, "anyOf", f"{_where(where)} does not match any allowed form", severity)


def _required(where: Path, hint: str, severity: Severity) -> Issue:
    text = f"{_where(where)} is required"
    return Issue(where, "required", f"{text}: {hint}" if hint else text, severity)
