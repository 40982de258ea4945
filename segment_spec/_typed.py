"""Validate, fastest path: a schema turned into msgspec types, so a clean message is checked in C.

``msgspec.convert(message, RootType)`` walks a normalized message against typed structures in C,
several times faster than the generated Python checks of :mod:`._generate`. It only ever answers
"nothing to report" or "look closer": the types are built to be *at least as strict* as the
schema, never looser, so whenever msgspec refuses, the generated check (and then the closures of
:mod:`._validate`, which write the issues) decide as before. A message's result therefore never
depends on this module; only its speed does.

How the keywords the bundled schemas use become types:

* ``type`` -> ``str``, ``float`` (numbers; msgspec's float takes ints too, never booleans),
  ``int`` (stricter than JSON's integer, which allows ``1.0``), ``bool``, ``None``, a list, or a
  Struct for an object with properties (unknown keys are ignored, as the schemas allow them);
* ``const``/``enum`` of strings, integers or null -> ``Literal``;
* ``minLength``/``maxLength``/``pattern``/``minimum``/``maximum``/``minItems``/``maxItems`` ->
  ``msgspec.Meta`` constraints;
* ``$ref`` and ``allOf`` -> their constraints merged into one type;
* ``anyOf`` -> a union of its branches' types when msgspec accepts such a union;
* ``required`` -> a Struct field without default, when the field's type refuses what the
  validator counts as absent (null, ``""``, whitespace);
* anything else (a ``format``, an ``anyOf`` among other keywords, a union msgspec cannot take,
  a required field that could be blank) -> a marker type whose check is the generated Python
  check of that piece of schema, called through msgspec's ``dec_hook``.

At the root of a schema, such pieces, and the properties msgspec checks slowly (a pattern is a
Python regular expression per value; a dict is copied), are left out of the type and checked
after the conversion by one generated Python function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, Any, Literal, Union, get_args, get_origin
from urllib.parse import urldefrag, urljoin

import msgspec

from ._generate import generate_check

__all__ = ["typed_ok"]

Lookup = Callable[[str], Mapping[str, Any]]
Check = Callable[[Any], bool]
_Part = tuple[Mapping[str, Any], str]  # a schema and its base URI

_IGNORED = frozenset(
    {"$schema", "$id", "$comment", "$defs", "title", "description", "examples", "default"}
)
_FORMATS = frozenset({"segment-timestamp", "date-time"})
_BLANK_SAFE_PATTERN = r"\S"
# Types are built at run time from the schemas: through these names the type checker sees them
# as what they are here, values.
_LIST: Any = list
_DICT: Any = dict
_LITERAL: Any = Literal
_UNION: Any = Union


class _Opaque(Exception):
    """This piece of schema has no msgspec type as strict as it: check it in Python."""


def _is_absent(value: Any) -> bool:
    return value is None or (type(value) is str and (value == "" or value.isspace()))


class _Translator:
    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup
        # Marker type -> (its check, the one instance the hook hands back: msgspec wants an
        # instance of the type it asked for; the result of the conversion is thrown away).
        self.hooks: dict[type, tuple[Check, object]] = {}
        self._structs = 0
        self.active: list[str] = []  # the schemas being translated, by URI

    # -- resolving -------------------------------------------------------------------------

    def resolve(self, base: str, ref: str) -> _Part:
        uri = urljoin(base, ref)
        document, fragment = urldefrag(uri)
        node: Any = self._lookup(document)
        for token in [t for t in fragment.split("/") if t]:
            node = node[token.replace("~1", "/").replace("~0", "~")]
        if not isinstance(node, Mapping):
            raise _Opaque
        return node, urljoin(document, node.get("$id", ""))

    def expand(self, schema: Any, base: str) -> list[_Part]:
        """The schema and everything it includes through ``$ref`` and ``allOf``, flattened.

        A ``$ref`` to a schema that is being translated already (a recursive schema) raises
        :class:`_Opaque`: that piece is left to the Python checks."""
        if schema is True:
            return []
        if not isinstance(schema, Mapping):
            raise _Opaque
        base = urljoin(base, schema.get("$id", ""))
        parts: list[_Part] = [(schema, base)]
        if "$ref" in schema:
            uri = _key(urljoin(base, schema["$ref"]))
            if uri in self.active:
                raise _Opaque
            target, target_base = self.resolve(base, schema["$ref"])
            self.active.append(uri)
            parts += self.expand(target, target_base)
        for sub in schema.get("allOf", ()):
            parts += self.expand(sub, base)
        return parts

    def within(self, schema: Any, base: str, translate: Callable[[list[_Part]], Any]) -> Any:
        """``translate`` the expanded ``schema`` while the schemas it refers to count as
        being translated (so a reference back to one of them is seen as recursion)."""
        mark = len(self.active)
        try:
            return translate(self.expand(schema, base))
        finally:
            del self.active[mark:]

    # -- types -----------------------------------------------------------------------------

    def marker(self, check: Check) -> type:
        """A type that msgspec hands to ``dec_hook``, which runs ``check``."""
        kind = type(f"Checked{len(self.hooks)}", (), {"__slots__": ()})
        self.hooks[kind] = (check, kind())
        return kind

    def opaque(self, schema: Any, base: str) -> type:
        return self.marker(generate_check(schema, base, self._lookup))

    def field_type(self, schema: Any, base: str) -> Any:
        """The type of a value under ``schema``, or a marker when none is strict enough."""
        try:
            return self.within(schema, base, self.translate)
        except _Opaque:
            return self.opaque(schema, base)

    def translate(
        self,
        parts: list[_Part],
        residual: _Residual | None = None,
        formats: list[str] | None = None,
    ) -> Any:
        """The type of ``parts`` (one schema, flattened). With ``residual``, a list, pieces
        that have no type are appended to it as checks of the whole value instead; with
        ``formats``, a list, the date formats found are appended to it (for the caller to
        check) instead of making the whole schema opaque."""
        types: set[str] | None = None
        enums: list[list[Any]] = []
        text: dict[str, Any] = {}
        numbers: dict[str, Any] = {}
        sizes: dict[str, Any] = {}
        props: dict[str, list[_Part]] = {}
        required: set[str] = set()
        items: list[_Part] = []
        extra: list[_Part] = []
        any_ofs: list[_Part] = []
        for schema, base in parts:
            for keyword, value in schema.items():
                if keyword in _IGNORED or keyword.startswith("x-") or keyword in ("$ref", "allOf"):
                    continue
                if keyword == "type":
                    declared = {value} if isinstance(value, str) else set(value)
                    types = declared if types is None else types & declared
                elif keyword == "const":
                    enums.append([value])
                elif keyword == "enum":
                    enums.append(list(value))
                elif keyword in ("minLength", "maxLength", "pattern"):
                    if keyword in text and text[keyword] != value:
                        raise _Opaque
                    text[keyword] = value
                elif keyword in ("minimum", "maximum"):
                    if keyword in numbers and numbers[keyword] != value:
                        raise _Opaque
                    numbers[keyword] = value
                elif keyword in ("minItems", "maxItems"):
                    if keyword in sizes and sizes[keyword] != value:
                        raise _Opaque
                    sizes[keyword] = value
                elif keyword == "format":
                    if value in _FORMATS:
                        if formats is None:
                            raise _Opaque
                        formats.append(value)
                elif keyword == "properties":
                    for name, sub in value.items():
                        props.setdefault(name, []).append((sub, base))
                elif keyword == "required":
                    required.update(value)
                elif keyword == "additionalProperties":
                    if value is not True:
                        extra.append((value, base))
                elif keyword == "items":
                    items.append((value, base))
                elif keyword == "anyOf":
                    any_ofs.append(({"anyOf": value}, base))
                else:
                    raise _Opaque  # a keyword this module does not know: stay safe
        if any_ofs:
            if residual is not None:
                residual.any_ofs.extend(any_ofs)
            elif len(any_ofs) == 1 and not any(_constrains(s) for s, _ in parts):
                # Nothing but the anyOf: a union of its branches.
                schema, base = any_ofs[0]
                return self.union([self.field_type(sub, base) for sub in schema["anyOf"]])
            else:
                raise _Opaque
        options: list[Any] = []
        if enums:
            if text or numbers or sizes or props or required or items or extra or formats:
                raise _Opaque
            allowed = enums[0]
            for other in enums[1:]:
                allowed = [v for v in allowed if any(_same(v, o) for o in other)]
            return self.literal(allowed, types)
        if types is None and not (text or numbers or sizes or props or required or items or extra):
            return Any
        if types is None:
            types = {"string", "number", "integer", "boolean", "null", "array", "object"}
            if props or required or items:
                # Object or array keywords alone: the schema lets other types through, but a
                # type here would not, so only the kind these keywords describe is taken.
                types = {"object"} if (props or required or extra) else {"array"}
        if "string" in types:
            options.append(_constrained(str, _text_meta(text)))
        if "number" in types:
            options.append(_constrained(float, _number_meta(numbers)))
        elif "integer" in types:
            options.append(_constrained(int, _number_meta(numbers)))
        if "boolean" in types:
            options.append(bool)
        if "array" in types:
            item = self.field_type(*_combined(items)) if items else Any
            lengths = msgspec.Meta(
                min_length=sizes.get("minItems"), max_length=sizes.get("maxItems")
            )
            options.append(_constrained(_LIST[item], lengths if sizes else None))
        if "object" in types:
            if extra and (props or len(extra) > 1):
                raise _Opaque  # typed properties beside typed extra keys: not a msgspec type
            if props or required:
                options.append(self.struct(props, required, residual))
            elif extra:
                options.append(_DICT[str, self.field_type(*extra[0])])
            else:
                options.append(dict[str, Any])
        if "null" in types:
            options.append(None)
        return self.union(options)

    def literal(self, values: list[Any], types: set[str] | None) -> Any:
        kept = []
        for value in values:
            kind = _json_type(value)
            if kind is None:
                raise _Opaque  # floats, booleans, objects: Literal cannot hold them
            if types is None or kind in types or (kind == "integer" and "number" in types):
                kept.append(value)
        if not kept:
            raise _Opaque
        choices = [v for v in kept if v is not None]
        options: list[Any] = [_LITERAL[tuple(choices)]] if choices else []
        if None in kept:
            options.append(None)
        return self.union(options)

    def union(self, options: list[Any]) -> Any:
        if not options:
            raise _Opaque
        if len(options) == 1:
            return options[0]
        made = _UNION[tuple(options)]
        try:
            msgspec.convert(None, made, dec_hook=self.hook)
        except msgspec.ValidationError:
            pass
        except TypeError:
            raise _Opaque from None  # a union msgspec does not support
        return made

    def struct(
        self,
        props: dict[str, list[_Part]],
        required: set[str],
        residual: _Residual | None,
    ) -> Any:
        fields: list[tuple[str, Any, Any] | tuple[str, Any]] = []
        rename: dict[str, str] = {}
        for index, (name, parts) in enumerate(props.items()):
            attribute = f"f{index}"
            rename[attribute] = name
            schema, base = _combined(parts)
            try:
                # At the root a date format is checked after the conversion, the type in C.
                found: list[str] | None = [] if residual is not None else None
                kind = self.within(schema, base, partial(self.translate, formats=found))
                if name in required and not _refuses_absent(kind):
                    raise _Opaque
                if residual is not None and _slow_in_msgspec(kind):
                    raise _Opaque  # at the root, the generated Python check is faster
                if found and residual is not None and name not in residual.dates_elsewhere:
                    residual.properties[name] = (schema, base)  # the format, after msgspec
            except _Opaque:
                if residual is not None:
                    residual.properties[name] = (schema, base)
                    if name in required:
                        residual.required.add(name)
                    kind = Any
                else:
                    check = generate_check(schema, base, self._lookup)
                    kind = self.marker(_present_and(check) if name in required else check)
            fields.append((attribute, kind) if name in required else (attribute, kind, None))
        for name in required - set(props):
            attribute = f"f{len(rename)}"
            rename[attribute] = name
            if residual is not None:
                residual.required.add(name)
                fields.append((attribute, Any))
            else:
                fields.append((attribute, self.marker(_present_and(lambda value: True))))
        self._structs += 1
        return msgspec.defstruct(
            f"Schema{self._structs}", fields, rename=rename, kw_only=True, gc=False
        )

    def hook(self, kind: type, value: Any) -> Any:
        found = self.hooks.get(kind)
        if found is not None and found[0](value):
            return found[1]
        raise ValueError("the generated check has something to report")


def _key(uri: str) -> str:
    """A schema's URI without an empty fragment (``a.json#`` is ``a.json``)."""
    document, fragment = urldefrag(uri)
    return f"{document}#{fragment}" if fragment else document


def _combined(parts: list[_Part]) -> _Part:
    """One schema that means all of ``parts``; each keeps its own base for its ``$ref``s."""
    if len(parts) == 1:
        return parts[0]
    return {"allOf": [{**schema, "$id": base} for schema, base in parts]}, parts[0][1]


def _constrains(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The keywords of ``schema`` other than anyOf that say something (not $ref, allOf or
    annotations): empty for a schema made of an anyOf alone."""
    return {
        k: v
        for k, v in schema.items()
        if k not in _IGNORED and not k.startswith("x-") and k not in ("$ref", "allOf", "anyOf")
    }


def _same(a: Any, b: Any) -> bool:
    return bool(a == b and type(a) is type(b))


def _json_type(value: Any) -> str | None:
    if value is None:
        return "null"
    if type(value) is str:
        return "string"
    if type(value) is int:
        return "integer"
    return None


def _constrained(kind: Any, meta: msgspec.Meta | None) -> Any:
    return kind if meta is None else Annotated[kind, meta]


def _text_meta(text: dict[str, Any]) -> msgspec.Meta | None:
    if not text:
        return None
    return msgspec.Meta(
        min_length=text.get("minLength"),
        max_length=text.get("maxLength"),
        pattern=text.get("pattern"),
    )


def _number_meta(numbers: dict[str, Any]) -> msgspec.Meta | None:
    if not numbers:
        return None
    return msgspec.Meta(ge=numbers.get("minimum"), le=numbers.get("maximum"))


def _refuses_absent(kind: Any) -> bool:
    """Whether a type refuses null, ``""`` and whitespace (what a required field may not be)."""
    options = get_args(kind) if get_origin(kind) is Union else (kind,)
    for option in options:
        origin = get_origin(option)
        if origin is Annotated:
            inner, *metas = get_args(option)
            if inner is str and not any(
                getattr(meta, "pattern", None) == _BLANK_SAFE_PATTERN for meta in metas
            ):
                return False
        elif origin is Literal:
            if any(isinstance(v, str) and (v == "" or v.isspace()) for v in get_args(option)):
                return False
        elif origin is None and option not in (float, int, bool) and not _is_struct(option):
            return False  # None, str, Any or a marker: it may let an absent value through
    return True


def _slow_in_msgspec(kind: Any) -> bool:
    """Whether msgspec checks this type slowly: a regular expression (Python's ``re``, called
    per value) or a dict (copied into a new one). Only whole types are looked at, not what a
    Struct holds."""
    options = get_args(kind) if get_origin(kind) is Union else (kind,)
    for option in options:
        origin = get_origin(option)
        if origin is dict:
            return True
        if origin is Annotated and any(
            getattr(meta, "pattern", None) is not None for meta in get_args(option)[1:]
        ):
            return True
    return False


def _is_struct(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, msgspec.Struct)


def _present_and(check: Check) -> Check:
    def present(value: Any) -> bool:
        return not _is_absent(value) and check(value)

    return present


@dataclass
class _Residual:
    """What the root's msgspec type leaves to Python: its anyOfs and some of its properties
    (a date format, a pattern, a dict, anything opaque), checked in one generated function."""

    any_ofs: list[_Part] = field(default_factory=list)
    properties: dict[str, _Part] = field(default_factory=dict)
    required: set[str] = field(default_factory=set)
    # Root properties whose date format the caller reads itself (their types stay in msgspec).
    dates_elsewhere: frozenset[str] = frozenset()

    def check(self, uri: str, lookup: Lookup) -> Check | None:
        if not (self.any_ofs or self.properties or self.required):
            return None

        def based(schema: Any, base: str) -> Any:
            # A piece from another document keeps resolving its $refs against that document.
            if base == uri or not isinstance(schema, Mapping):
                return schema
            return {**schema, "$id": base}

        schema: dict[str, Any] = {}
        if self.any_ofs:
            schema["allOf"] = [based(s, b) for s, b in self.any_ofs]
        if self.properties:
            schema["properties"] = {n: based(s, b) for n, (s, b) in self.properties.items()}
        if self.required:
            schema["required"] = sorted(self.required)
        return generate_check(schema, uri, lookup)


def typed_ok(
    uri: str, lookup: Lookup, otherwise: Check, *, dates_elsewhere: frozenset[str] = frozenset()
) -> tuple[Check, Check] | None:
    """The yes/no check of the schema at ``uri`` done by msgspec, or None when the schema's
    root has no msgspec type.

    Returns the check alone (True: the closures would find nothing to report; False: look
    closer) and the check to use, which asks ``otherwise`` (the generated check) whenever
    msgspec says no.

    ``dates_elsewhere`` names root properties whose date format the caller checks itself (it
    reads those dates anyway): the check then holds only their types.
    """
    translator = _Translator(lookup)
    residual = _Residual(dates_elsewhere=dates_elsewhere)
    try:
        target, base = translator.resolve(uri, uri)
        translator.active.append(_key(uri))
        root = translator.within(target, base, partial(translator.translate, residual=residual))
    except _Opaque:
        return None
    convert = msgspec.convert
    hook = translator.hook
    rest = residual.check(uri, lookup) or (lambda value: True)

    def alone(value: Any) -> bool:
        try:
            convert(value, root, dec_hook=hook)
        except (msgspec.ValidationError, ValueError, TypeError, RecursionError):
            return False
        return rest(value)

    def ok(value: Any) -> bool:
        try:
            convert(value, root, dec_hook=hook)
        except (msgspec.ValidationError, ValueError, TypeError, RecursionError):
            return otherwise(value)
        return rest(value) or otherwise(value)

    return alone, ok
