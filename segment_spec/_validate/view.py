"""The view of a value that jsonschema-rs is shown when the value's issues are listed.

jsonschema-rs builds every error of a value, as Python objects of about 5 µs each, before its
``iter_errors`` yields the first. A 32 KiB message of ten thousand faulty list items so costs
half a second to list, though only its first hundred issues are kept. This module bounds that
cost by the schema's shape instead of the value's: it shows jsonschema-rs the value's first
:data:`VIEW_BUDGET` members (in the message's order) and only the members the schema needs to
be read the same way, so a listing costs at most a few hundred errors, whatever the body.

A view may leave members out only where that can take errors away and never add one.
:func:`kept_names` decides that once per schema: it holds when every keyword that reads an
object's or an array's members is *monotone* (``properties``, ``items``,
``additionalProperties``, ``maxItems`` and the like: fewer members, fewer errors), when
nothing that reads members sits in a condition (``if``, ``not``, ``oneOf``, where fewer errors
can mean more), and when no ``const`` or ``enum`` is a container. The names a view must keep
are those a ``required`` asks for, and those a condition reads. Every error found in the view
is then an error of the whole value, at the same place, and is said the same way; what the
view left out may hold more, which the listing says. Whether a value is accepted is never
decided on a view.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final
from urllib.parse import urljoin

from .._compiled import speedups
from .._normalize import _LEAVES  # the exact types of JSON's leaves, defined once

__all__ = ["BATCH_ERRORS", "VIEW_BUDGET", "Allowance", "kept_names", "view", "views"]

VIEW_BUDGET: Final = 128
"""The members of a value (object properties and array items, at any depth) a listing shows
jsonschema-rs, besides those the schema needs: a few hundred errors at most, about 2 ms."""

BATCH_ERRORS: Final = 10_000
"""The errors jsonschema-rs may make for the listings of one batch's items, about 50 ms: past
them, each item's view shows only the members its schema needs (its decision stays exact)."""

# The errors a member of a value may bring at most, about: the most required properties of
# an object in a list (context.external_ids' four), which an empty object misses at once.
_ERRORS_PER_MEMBER: Final = 4

# How much larger each view of a listing is than the one before (views).
_GROWTH: Final = 4

_MAX_DEPTH: Final = 2048  # deeper than any parsed value (MAX_DEPTH): shown whole below it

# Keywords that judge the value itself, never its members: a view leaves them as they are.
_OWN = frozenset(
    {
        "type",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "format",
    }
)
_ANNOTATIONS = frozenset(
    {
        "$id",
        "$schema",
        "$comment",
        "$defs",
        "definitions",
        "$anchor",
        "description",
        "title",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)
# Fewer members can only satisfy these more: monotone, but not in a condition.
_AT_MOST = frozenset({"maxItems", "maxProperties", "uniqueItems"})

Resolve = Callable[[str, str], tuple[str, Any]]
_Container = dict[Any, Any] | list[Any]
_Frame = tuple[_Container, Iterator[tuple[Any, Any]], _Container, bool]


class Allowance:
    """The errors the listings of one batch's items may still have jsonschema-rs make.

    One per :func:`~segment_spec.check_batch` call, shared by its items: each item's view
    shows as many members as the errors left allow (about four errors a member), and what it
    cost is taken off. A batch of thousands of items that each break their schema in hundreds
    of places so costs a bounded time, as one message does.

    >>> allowance = Allowance(100)
    >>> allowance.budget(128), allowance.spend(90), allowance.budget(128)
    (25, None, 2)
    """

    __slots__ = ("left",)

    def __init__(self, errors: int = BATCH_ERRORS) -> None:
        self.left = errors

    def budget(self, most: int) -> int:
        """The members the next view may show, at most ``most``."""
        return max(0, min(most, self.left // _ERRORS_PER_MEMBER))

    def spend(self, errors: int) -> None:
        """Take off the errors a listing had jsonschema-rs make."""
        self.left -= errors


def kept_names(root: Any, resolve: Resolve, *, warnings: bool = False) -> frozenset[str] | None:
    """The property names every view of a value keeps for the schema ``root``, or None when a
    view could make the schema find an error the value does not have (values are then shown
    whole).

    ``resolve(base, ref)`` follows a ``$ref`` from a schema whose base URI is ``base`` to the
    target's base and the target. A schema with parts marked ``"x-severity": "warning"`` that
    can reject a value gets a view only with ``warnings`` true: when a lenient form can find
    its errors alone (a view that showed only warnings would hide whether it has errors).

    >>> kept_names({"type": "object", "required": ["id"], "properties": {"n": {}}}, None)
    frozenset({'id'})
    >>> kept_names({"if": {"items": {"const": 1}}}, None) is None
    True
    """
    names: set[str] = set()
    seen: set[tuple[int, bool]] = set()
    # (schema, its base URI, whether it sits in a condition)
    pending: list[tuple[Any, str, bool]] = [(root, "", False)]
    while pending:
        node, base, condition = pending.pop()
        if isinstance(node, bool):
            continue
        if not isinstance(node, Mapping):
            return None
        if (id(node), condition) in seen:
            continue
        seen.add((id(node), condition))
        if isinstance(node.get("$id"), str):
            base = urljoin(base, node["$id"])
        if (
            node.get("x-severity") == "warning"
            and not warnings
            and any(
                not (str(keyword).startswith("x-") or keyword in _ANNOTATIONS) for keyword in node
            )
        ):
            return None  # a warning's errors, which a view could hide among the errors
        for keyword, sub in node.items():
            if not isinstance(keyword, str):
                return None
            if keyword.startswith("x-") or keyword in _OWN or keyword in _ANNOTATIONS:
                continue
            if keyword == "$ref" and isinstance(sub, str):
                target_base, target = resolve(base, sub)
                pending.append((target, target_base, condition))
            elif keyword == "required" and isinstance(sub, list):
                names.update(str(name) for name in sub)
            elif keyword == "properties" and isinstance(sub, Mapping):
                if condition:
                    names.update(str(name) for name in sub)
                pending.extend((schema, base, condition) for schema in sub.values())
            elif keyword in ("allOf", "anyOf") and isinstance(sub, list):
                pending.extend((schema, base, condition) for schema in sub)
            elif keyword == "oneOf" and isinstance(sub, list):
                pending.extend((schema, base, True) for schema in sub)
            elif keyword in ("not", "if"):
                pending.append((sub, base, True))
            elif keyword in ("then", "else"):
                pending.append((sub, base, condition))
            elif keyword in ("items", "additionalProperties") and not condition:
                pending.append((sub, base, False))
            elif keyword in _AT_MOST and not condition:
                continue
            elif keyword in ("const", "enum"):
                options = sub if keyword == "enum" and isinstance(sub, list) else [sub]
                if any(isinstance(option, (Mapping, list)) for option in options):
                    return None
            else:
                return None
    return frozenset(names)


def view(value: Any, kept: frozenset[str], budget: int = VIEW_BUDGET) -> tuple[Any, bool]:
    """``value`` itself when it has at most ``budget`` members in all, else a copy of its
    first ``budget`` members in the message's order and every member named in ``kept`` below
    them; and whether any member was left out.

    >>> view({"a": [1, 2, 3], "id": 7}, frozenset({"id"}), budget=3)
    ({'a': [1, 2], 'id': 7}, True)
    >>> view([1, 2], frozenset(), budget=3)
    ([1, 2], False)
    """
    if _within(value, budget):
        return value, False
    return _cut(value, kept, budget)


def views(
    value: Any, kept: frozenset[str], budget: int = VIEW_BUDGET, allowance: Allowance | None = None
) -> Iterator[tuple[Any, bool]]:
    """The views to list ``value``'s errors through, smallest first, each with whether it left
    members out: ``value`` itself when it has at most ``budget`` members, else cut at a
    quarter of ``budget``, and then at ``budget``. A listing stops at the first view that
    fills its list, so a value whose members each break their schema costs a quarter of the
    errors the whole budget would have made. With a batch's ``allowance``, the larger view
    is cut to what the smaller one left of it (read when the larger view is asked for).

    >>> [shown for shown, _ in views([1, 2, 3, 4, 5, 6, 7, 8, 9], frozenset(), budget=8)]
    [[1, 2], [1, 2, 3, 4, 5, 6, 7, 8]]
    >>> list(views([1, 2], frozenset(), budget=8))
    [([1, 2], False)]
    """
    if _within(value, budget):
        yield value, False
        return
    smaller = budget // _GROWTH
    if smaller > 0:
        yield _cut(value, kept, smaller)
        if allowance is not None:
            budget = allowance.budget(budget)
            if budget <= smaller:
                return
    yield _cut(value, kept, budget)


def _within(value: Any, budget: int) -> bool:
    """Whether ``value`` has at most ``budget`` members, at any depth (stops counting past
    it, so a value that contains itself is counted only that far). Every rejected message is
    counted, so the exact dicts and lists of a parsed message take the short way."""
    count = 0
    pending = [value]
    pop, push = pending.pop, pending.append
    while pending:
        node = pop()
        kind = type(node)
        if kind is dict:
            members: Any = node.values()
        elif kind is list:
            members = node
        elif isinstance(node, dict):
            members = node.values()
        elif isinstance(node, list):
            members = node
        else:
            continue
        count += len(node)
        if count > budget:
            return False
        for member in members:
            kind = type(member)
            if kind is dict or kind is list or (kind not in _LEAVES and _container(member)):
                push(member)
    return True


def _container(value: Any) -> bool:
    return isinstance(value, (dict, list))


# The compiled core's count (``_speedups.within``) where it is built: the same answer, about
# eight times faster (it is the one cost of the view every rejection pays).
_within_python: Final = _within
if speedups is not None:
    _within = speedups.within


def _members(node: dict[Any, Any] | list[Any]) -> Iterator[tuple[Any, Any]]:
    return iter(node.items()) if isinstance(node, dict) else enumerate(node)


def _cut(value: Any, kept: frozenset[str], budget: int) -> tuple[Any, bool]:
    if not isinstance(value, (dict, list)):
        return value, False
    names = sorted(kept)  # the order kept members are added in, once the budget is spent
    left = budget
    dropped = False
    top: dict[Any, Any] | list[Any] = {} if isinstance(value, dict) else []
    # A frame: one container, the members still to read of it, its copy, and whether only
    # the kept names are read now (the budget is spent).
    stack: list[_Frame] = [(value, _members(value), top, False)]
    while stack:
        node, members, copy, only_kept = stack[-1]
        descended = False
        for step, member in members:
            if left <= 0 and not only_kept:
                if isinstance(node, dict):
                    # Only the kept names that are still to come: looked up, not searched
                    # for, so a spent budget costs nothing more in an object of any size.
                    rest = [
                        (name, node[name]) for name in names if name in node and name not in copy
                    ]
                    dropped = dropped or len(node) - len(copy) > len(rest)
                    stack[-1] = (node, iter(rest), copy, True)
                    descended = True  # read the frame again, as it is now
                else:
                    dropped = True
                break
            left -= 1
            if isinstance(member, (dict, list)) and len(stack) < _MAX_DEPTH:
                child: dict[Any, Any] | list[Any] = {} if isinstance(member, dict) else []
                _put(copy, step, child)
                stack.append((member, _members(member), child, False))
                descended = True
                break
            _put(copy, step, member)
        if not descended:
            stack.pop()
    return top, dropped


def _put(copy: dict[Any, Any] | list[Any], step: Any, member: Any) -> None:
    if isinstance(copy, dict):
        copy[step] = member
    else:
        copy.append(member)
