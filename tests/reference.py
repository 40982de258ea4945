"""The reference validator: the ``jsonschema`` package over the bundled schemas.

Used by the tests only, to check the schemas themselves and to hold the fast engine to the
standard. It is what a user of the schema package gets: ``segment_spec.REGISTRY`` (every
``$ref`` resolved from the bundled files; any other URI raises) and
``segment_spec.FORMAT_CHECKER``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema
from referencing import Registry

import segment_spec
from segment_spec._schemas import store


def registry() -> Registry[Any]:
    return segment_spec.REGISTRY


def format_checker() -> jsonschema.FormatChecker:
    return segment_spec.FORMAT_CHECKER


@cache
def validator(path: str) -> jsonschema.Draft202012Validator:
    schema = store().by_path(path)
    return jsonschema.Draft202012Validator(
        schema, registry=registry(), format_checker=format_checker()
    )
