"""segment_spec.exceptions: one tree under SegmentSpecError, drawn in the module's docstring."""

from __future__ import annotations

import builtins
import inspect
import re

import pytest

import segment_spec
from segment_spec import exceptions
from segment_spec.exceptions import (
    InvalidMessage,
    SchemaError,
    SegmentSpecError,
    Unauthorized,
    UnknownSchemaName,
)

# One line of the drawing: the branch characters, a class name, its builtin bases in brackets.
_LINE = re.compile(r"^(?P<indent>[ │├└─]*)(?P<name>\w+)(?: \[(?P<bases>[\w, ]+)\])?$")


def _drawn_tree() -> dict[str, tuple[str | None, set[str]]]:
    """Each class drawn in the docstring -> (its drawn parent, its builtin bases)."""
    text = inspect.getdoc(exceptions) or ""
    drawing = text.split("::", 1)[1].strip("\n").split("\n\n", 1)[0]
    found: dict[str, tuple[str | None, set[str]]] = {}
    parents: list[tuple[int, str]] = []  # (column of the name, name) down to the current line
    for line in drawing.splitlines():
        match = _LINE.match(line.strip("\n").removeprefix("    "))
        assert match is not None, f"not a line of the tree: {line!r}"
        column = len(match["indent"])
        while parents and parents[-1][0] >= column:
            parents.pop()
        bases = {base.strip() for base in (match["bases"] or "").split(",") if base.strip()}
        found[match["name"]] = (parents[-1][1] if parents else None, bases)
        parents.append((column, match["name"]))
    return found


def _real_tree() -> dict[str, tuple[str | None, set[str]]]:
    """The same, read from the classes: subclasses of SegmentSpecError, walked down."""
    found: dict[str, tuple[str | None, set[str]]] = {SegmentSpecError.__name__: (None, set())}
    pending = [SegmentSpecError]
    while pending:
        parent = pending.pop()
        for child in parent.__subclasses__():
            if not child.__module__.startswith("segment_spec"):
                continue  # a user's own subclass is no part of the drawing
            builtin = {base.__name__ for base in child.__bases__ if base.__module__ == "builtins"}
            found[child.__name__] = (parent.__name__, builtin)
            pending.append(child)
    return found


def test_the_docstring_draws_the_real_tree() -> None:
    """The drawing in the module docstring is the class tree, builtin bases included."""
    assert _drawn_tree() == _real_tree()


def test_drawn_builtin_bases_are_builtin_exceptions() -> None:
    """Every base named in brackets is a builtin exception that the class really derives from."""
    for name, (_parent, bases) in _drawn_tree().items():
        cls = getattr(exceptions, name)
        for base in bases:
            assert issubclass(cls, getattr(builtins, base)), (name, base)


def test_every_public_exception_derives_from_the_base() -> None:
    """Every exception class segment_spec exports derives from SegmentSpecError."""
    public = [getattr(segment_spec, name) for name in segment_spec.__all__]
    raised = [value for value in public if inspect.isclass(value) and issubclass(value, Exception)]
    assert {cls.__name__ for cls in raised} == set(exceptions.__all__)
    for cls in raised:
        assert issubclass(cls, SegmentSpecError), cls
    assert SegmentSpecError.__bases__ == (Exception,)


def test_builtin_bases_are_kept() -> None:
    """Code that caught ValueError or LookupError before the tree existed still catches."""
    assert issubclass(InvalidMessage, ValueError)
    assert issubclass(Unauthorized, ValueError)
    assert issubclass(SchemaError, ValueError)
    assert issubclass(UnknownSchemaName, LookupError)


def test_old_import_paths_still_work() -> None:
    """The modules the exceptions used to live in still give the very same classes."""
    from segment_spec import _auth, _catalog, _check, _validate

    assert _auth.Unauthorized is Unauthorized is segment_spec.Unauthorized
    assert _catalog.UnknownSchemaName is UnknownSchemaName is segment_spec.UnknownSchemaName
    assert _check.InvalidMessage is InvalidMessage is segment_spec.InvalidMessage
    assert _validate.SchemaError is SchemaError is segment_spec.SchemaError
    assert segment_spec.SegmentSpecError is SegmentSpecError


def test_what_the_package_raises_is_caught_by_the_base() -> None:
    """validate, api_key and schema raise exceptions that one except clause catches."""
    with pytest.raises(SegmentSpecError):
        segment_spec.validate({"type": "track"})
    with pytest.raises(SegmentSpecError):
        segment_spec.api_key("Bearer abc")
    with pytest.raises(SegmentSpecError):
        segment_spec.schema("no such schema")


def test_a_mismatched_id_is_a_schema_error() -> None:
    """A schema whose $id does not match its file is refused with SchemaError."""
    from segment_spec._schemas import BASE_URI, SchemaStore

    with pytest.raises(SchemaError, match="does not match its path"):
        SchemaStore({"a.json": {"$id": BASE_URI + "b.json"}})
