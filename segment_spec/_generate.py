"""Validate, fast path: each schema's yes/no check generated as Python source, compiled once.

The closures of :mod:`._validate` build every issue with its path and message; that is the
source of truth. Most messages have nothing to report, and for them this module generates one
plain function per schema node, with every simple check inlined (``type(x) is str``, a set
lookup for an enum, one ``dict.get`` per property), the way fastjsonschema does. It answers
"is there anything to report?" several times faster than the closures.

It may only err on the side of caution: a ``False`` where the closures would find nothing just
costs the slow path's time, but a ``True`` must mean there is truly nothing to report. So it
tests exact JSON types (what ``orjson`` and the normalizer produce): a ``Mapping`` that is not
a ``dict`` or an ``int`` subclass goes to the closures.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urldefrag, urljoin

from ._timestamps import is_timestamp

__all__ = ["generate_check", "generate_ok"]

Lookup = Callable[[str], Mapping[str, Any]]

_SIMPLE_KEYS = frozenset(
    {
        "type",
        "enum",
        "const",
        "format",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "description",
        "title",
        "examples",
        "default",
        "$comment",
    }
)
# The exact Python types of JSON values, as orjson and the normalizer produce them.
_EXACT: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
    "number": (int, float),
}
_TIME_FORMATS = frozenset({"segment-timestamp", "date-time"})
# From this many checked properties on, an object's check looks up the keys present.
_WIDE = 12


class _Deferred:
    """The name of a generated function, resolved once the module is compiled."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class _Generator:
    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup
        self._names: dict[str, str] = {}  # schema URI -> function name
        self._anonymous = 0
        self.lines: list[str] = []
        self.predicates: list[str] = []
        self.constants: dict[str, Any] = {
            "NoneType": type(None),
            "is_timestamp": is_timestamp,
        }

    # -- resolving -------------------------------------------------------------------------

    def resolve(self, base: str, ref: str) -> tuple[str, Any]:
        uri = urljoin(base, ref)
        document, fragment = urldefrag(uri)
        node: Any = self._lookup(document)
        for token in [t for t in fragment.split("/") if t]:
            node = node[token.replace("~1", "/").replace("~0", "~")]
        return uri, node

    def constant(self, value: Any) -> str:
        name = f"C{len(self.constants)}"
        self.constants[name] = value
        return name

    # -- functions -------------------------------------------------------------------------

    def function_for_ref(self, base: str, ref: str) -> str:
        uri, node = self.resolve(base, ref)
        name = self._names.get(uri)
        if name is None:
            name = f"f{len(self._names)}"
            self._names[uri] = name  # before the body: recursive references terminate
            self.emit_function(name, node, urldefrag(uri)[0])
        return name

    def function_for(self, schema: Any, base: str) -> str:
        self._anonymous += 1
        name = f"g{self._anonymous}"
        self.emit_function(name, schema, base)
        return name

    def emit_function(self, name: str, schema: Any, base: str) -> None:
        body: list[str] = []
        self.statements(schema, base, "v", body, "    ")
        self.lines.append(f"def {name}(v):")
        self.lines.extend(body)
        self.lines.append("    return True")
        self.lines.append("")

    # -- expressions -----------------------------------------------------------------------

    def is_simple(self, schema: Any) -> bool:
        return isinstance(schema, Mapping) and all(
            key in _SIMPLE_KEYS or key.startswith("x-") for key in schema
        )

    def check(self, schema: Any, base: str, var: str) -> str:
        """An expression that is True when ``var`` has nothing to report under ``schema``."""
        if schema is True:
            return "True"
        if schema is False:
            return "False"
        if self.is_simple(schema):
            return self.simple(schema, var)
        if set(schema) - {"description", "title", "$comment", "$id"} == {"$ref"}:
            base = urljoin(base, schema.get("$id", ""))
            _, target = self.resolve(base, schema["$ref"])
            if self.is_simple(target):  # a leaf schema: its test inline, no call
                return self.simple(target, var)
            return f"{self.function_for_ref(base, schema['$ref'])}({var})"
        return f"{self.function_for(schema, base)}({var})"

    def type_test(self, declared: Any, var: str) -> str:
        names = [declared] if isinstance(declared, str) else list(declared)
        parts = []
        exact: list[type] = []
        for name in names:
            if name == "integer":
                parts.append(f"type({var}) is int or (type({var}) is float and {var}.is_integer())")
            else:
                exact.extend(_EXACT[name])
        if len(exact) == 1:
            parts.insert(0, f"type({var}) is {self.constant(exact[0])}")
        elif exact:
            parts.insert(0, f"type({var}) in {self.constant(frozenset(exact))}")
        return " or ".join(parts)

    def simple(self, schema: Mapping[str, Any], var: str) -> str:
        terms = []
        if "type" in schema:
            terms.append(f"({self.type_test(schema['type'], var)})")
        if "const" in schema:
            terms.append(self.membership([schema["const"]], var))
        if "enum" in schema:
            terms.append(self.membership(schema["enum"], var))
        string_terms = []
        if "minLength" in schema:
            string_terms.append(f"len({var}) >= {int(schema['minLength'])}")
        if "maxLength" in schema:
            string_terms.append(f"len({var}) <= {int(schema['maxLength'])}")
        if "pattern" in schema:
            if schema["pattern"] == r"\S":
                string_terms.append(f"not ({var} == '' or {var}.isspace())")
            else:
                search = self.constant(re.compile(schema["pattern"]).search)
                string_terms.append(f"{search}({var}) is not None")
        if schema.get("format") in _TIME_FORMATS:
            string_terms.append(f"is_timestamp({var})")
        if string_terms:
            terms.append(f"(type({var}) is not str or ({' and '.join(string_terms)}))")
        if schema.get("format") == "segment-timestamp":
            # Numbers are epoch milliseconds: in range or not a date.
            terms.append(f"(type({var}) not in (int, float) or is_timestamp({var}))")
        number_terms = []
        if "minimum" in schema:
            number_terms.append(f"{var} >= {schema['minimum']!r}")
        if "maximum" in schema:
            number_terms.append(f"{var} <= {schema['maximum']!r}")
        if number_terms:
            terms.append(f"(type({var}) not in (int, float) or ({' and '.join(number_terms)}))")
        return " and ".join(terms) if terms else "True"

    def membership(self, options: list[Any], var: str) -> str:
        # JSON values compared with their type, as the closures do (True is not 1).
        if all(isinstance(o, str | bool | int | float) or o is None for o in options):
            pairs = self.constant(frozenset((type(o), o) for o in options))
            hashable = f"type({var}) in (str, bool, int, float, NoneType)"
            return f"({hashable} and (type({var}), {var}) in {pairs})"
        values = self.constant(tuple(options))
        return f"any({var} == o and type({var}) is type(o) for o in {values})"

    # -- statements ------------------------------------------------------------------------

    def statements(self, schema: Any, base: str, var: str, out: list[str], pad: str) -> None:
        if schema is True:
            return
        if schema is False or not isinstance(schema, Mapping):
            out.append(f"{pad}return False")
            return
        base = urljoin(base, schema.get("$id", ""))
        simple = {k: v for k, v in schema.items() if k in _SIMPLE_KEYS}
        expression = self.simple(simple, var)
        if expression != "True":
            out.append(f"{pad}if not ({expression}): return False")
        if "$ref" in schema:
            target = self.function_for_ref(base, schema["$ref"])
            out.append(f"{pad}if not {target}({var}): return False")
        for sub in schema.get("allOf", ()):
            out.append(f"{pad}if not {self.check(sub, base, var)}: return False")
        if "anyOf" in schema:
            options = " or ".join(self.check(sub, base, var) for sub in schema["anyOf"])
            out.append(f"{pad}if not ({options}): return False")
        self.object_statements(schema, base, var, out, pad)
        self.array_statements(schema, base, var, out, pad)

    def object_statements(
        self, schema: Mapping[str, Any], base: str, var: str, out: list[str], pad: str
    ) -> None:
        props = schema.get("properties", {})
        required = schema.get("required", ())
        extra = schema.get("additionalProperties", True)
        if not props and not required and extra is True:
            return
        # Anything that is not a plain dict (a Mapping, or not an object at all) goes to the
        # closures when object keywords apply; the type keyword has said its word already.
        out.append(f"{pad}if type({var}) is dict:")
        inner = pad + "    "
        out.append(f"{inner}get = {var}.get")
        for name in required:
            out.append(f"{inner}x = get({name!r})")
            absent = "x is None or (type(x) is str and (x == '' or x.isspace()))"
            out.append(f"{inner}if {absent}: return False")
        tests = {name: self.check(sub, base, "x") for name, sub in props.items()}
        tests = {name: test for name, test in tests.items() if test != "True"}
        unrolled = [
            f"x = get({name!r}, MISSING)\nif x is not MISSING and not ({test}): return False"
            for name, test in tests.items()
        ]
        if len(tests) >= _WIDE:
            # A wide object (the reserved context, traits) usually carries a few of its many
            # properties: look up the keys present instead of every property.
            table = self.constant({name: self.predicate(test) for name, test in tests.items()})
            out.append(f"{inner}if len({var}) * 3 < {len(tests)}:")
            out.append(f"{inner}    for k, x in {var}.items():")
            out.append(f"{inner}        t = {table}.get(k)")
            out.append(f"{inner}        if t is not None and not t(x): return False")
            out.append(f"{inner}else:")
            body = inner + "    "
        else:
            body = inner
        for statement in unrolled:
            out.extend(body + line for line in statement.splitlines())
        if extra is not True:
            known = self.constant(frozenset(props))
            test = self.check(extra, base, "x")
            out.append(f"{inner}for k, x in {var}.items():")
            out.append(f"{inner}    if k not in {known} and not ({test}): return False")
        out.append(f"{pad}elif isinstance({var}, Mapping): return False")

    def predicate(self, test: str) -> _Deferred:
        """A function for a test expression on ``x`` (compiled with the generated module's
        names, so it may call the other generated functions)."""
        name = f"p{len(self.predicates)}"
        self.predicates.append(f"def {name}(x):\n    return {test}\n")
        return _Deferred(name)

    def array_statements(
        self, schema: Mapping[str, Any], base: str, var: str, out: list[str], pad: str
    ) -> None:
        items = schema.get("items")
        most = schema.get("maxItems")
        least = schema.get("minItems")
        if items is None and most is None and least is None:
            return
        out.append(f"{pad}if type({var}) is list:")
        inner = pad + "    "
        if most is not None:
            out.append(f"{inner}if len({var}) > {int(most)}: return False")
        if least is not None:
            out.append(f"{inner}if len({var}) < {int(least)}: return False")
        if items is not None:
            test = self.check(items, base, "x")
            if test != "True":
                out.append(f"{inner}for x in {var}:")
                out.append(f"{inner}    if not ({test}): return False")
        out.append(f"{pad}elif isinstance({var}, tuple): return False")


def generate_ok(uri: str, lookup: Lookup) -> Callable[[Any], bool]:
    """Generate and compile the yes/no check of the schema at ``uri``."""
    generator = _Generator(lookup)
    entry = generator.function_for_ref(uri, uri)
    return _compile(generator, entry, uri)


def generate_check(schema: Any, base: str, lookup: Lookup) -> Callable[[Any], bool]:
    """Generate and compile the yes/no check of ``schema``, a piece of the schema at ``base``."""
    generator = _Generator(lookup)
    entry = generator.function_for(schema, base)
    return _compile(generator, entry, f"{base} (a part)")


def _compile(generator: _Generator, entry: str, uri: str) -> Callable[[Any], bool]:
    source = "\n".join([*generator.lines, *generator.predicates])
    namespace: dict[str, Any] = {
        **generator.constants,
        "MISSING": object(),
        "Mapping": Mapping,
    }
    exec(compile(source, f"<segment_spec schema {uri}>", "exec"), namespace)
    # Tables of predicates hold placeholders until the functions exist.
    for value in generator.constants.values():
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, _Deferred):
                    value[key] = namespace[item.name]
    function: Callable[[Any], bool] = namespace[entry]
    return function
