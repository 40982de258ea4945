"""Registry: the bundled schemas for any JSON Schema validator, as jsonschema users reach them.

:func:`registry` is a ``referencing.Registry`` of every bundled schema and of its lenient form
(see :func:`~segment_spec._schemas.lenient_form`), each by its ``$id``; :func:`format_checker`
is jsonschema's format checker plus the one custom format the schemas use,
``segment-timestamp``. Both are built once, the first time they are asked for, so that
``import segment_spec`` neither reads every schema nor imports jsonschema.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from ._schemas import BASE_URI, LENIENT_BASE_URI, store
from ._timestamps import is_timestamp

__all__ = ["format_checker", "is_segment_timestamp", "registry"]


@cache
def registry() -> Registry[Any]:
    """Every bundled schema and its lenient form, as draft 2020-12 resources by ``$id``.

    The registry has its own copies of the documents and retrieves nothing: a reference to any
    other URI is ``referencing.exceptions.Unresolvable``.

    >>> registry()["https://segment-spec.invalid/schemas/track.json"].contents["title"]
    'Segment track call'
    """
    bundled = store()
    resources = []
    for path in bundled.paths:
        for base, lenient in ((BASE_URI, False), (LENIENT_BASE_URI, True)):
            document = bundled.copy_of(path, lenient=lenient)
            resources.append((base + path, DRAFT202012.create_resource(document)))
    return Registry().with_resources(resources).crawl()


def is_segment_timestamp(value: object) -> bool:
    """The ``segment-timestamp`` format: a string or a number must be a date.

    A string is read with the grammar of :mod:`segment_spec._timestamps`, a number as Unix epoch
    milliseconds (year 1 to 9999). Any other value passes, as formats constrain only the types
    they name (a boolean is not a number here).

    >>> is_segment_timestamp("2015-02-23T22:28:55.387Z"), is_segment_timestamp(1675692865495)
    (True, True)
    >>> is_segment_timestamp("NOW"), is_segment_timestamp(True), is_segment_timestamp(None)
    (False, True, True)
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return True
    return is_timestamp(value)


@cache
def format_checker() -> FormatChecker:
    """jsonschema's format checker with every format it knows, and ``segment-timestamp``.

    >>> format_checker().conforms("NOW", "segment-timestamp")
    False
    """
    checker = FormatChecker()
    checker.checks("segment-timestamp")(is_segment_timestamp)
    return checker
