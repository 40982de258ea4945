"""Fuzz normalize on the JSON values the input holds: no value is lost, a second pass changes
nothing, and the value passed in is left as it was."""

from __future__ import annotations

import copy
import sys
from collections import Counter
from typing import Any

import atheris

with atheris.instrument_imports():
    from common import json_value

    import segment_spec


def leaves(value: Any) -> Counter[str]:
    """Every leaf, by its JSON text, wherever it is."""
    found: Counter[str] = Counter()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            found[repr(item)] += 1
    return found


def test_one_input(data: bytes) -> None:
    readable, value = json_value(data)
    if not readable:
        return
    before = copy.deepcopy(value)
    result = segment_spec.normalize(value)
    assert value == before  # untouched
    assert leaves(result.value) == leaves(value)  # nothing lost
    again = segment_spec.normalize(result.value)
    assert again.value == result.value  # stable


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
