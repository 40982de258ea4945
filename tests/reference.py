"""The reference validator: the ``jsonschema`` package over the bundled schemas.

Used by the tests only, to check the schemas themselves and to hold the fast engine to the
standard. Every ``$ref`` is resolved from the bundled files; any other URI raises.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

from segment_spec._schemas import BASE_URI, store
from segment_spec._timestamps import is_timestamp


def _no_network(uri: str) -> Resource[Any]:
    raise NoSuchResource(ref=uri)


@cache
def registry() -> Registry[Any]:
    bundled = store()
    resources = [
        (BASE_URI + path, Resource.from_contents(bundled.by_path(path))) for path in bundled.paths
    ]
    return Registry(retrieve=_no_network).with_resources(resources)  # type: ignore[call-arg]


def format_checker() -> jsonschema.FormatChecker:
    checker = jsonschema.FormatChecker()
    # Our timestamp grammar (segment_spec/_timestamps.py) for both names the schemas use.
    checker.checks("segment-timestamp")(
        lambda value: (
            not isinstance(value, str | int | float)
            or isinstance(value, bool)
            or is_timestamp(value)
        )
    )
    checker.checks("date-time")(lambda value: not isinstance(value, str) or is_timestamp(value))
    return checker


@cache
def validator(path: str) -> jsonschema.Draft202012Validator:
    schema = store().by_path(path)
    return jsonschema.Draft202012Validator(
        schema, registry=registry(), format_checker=format_checker()
    )
