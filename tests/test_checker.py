"""Checker: the state of checking (compiled schemas, the snake_case reader) on an object the
caller owns, with the module functions as a default checker's."""

from __future__ import annotations

import copy
import importlib
import pkgutil
import threading
from typing import Any

import orjson
import pytest
from conftest import FIXTURES
from generated import rough_messages
from hypothesis import given, settings
from hypothesis import strategies as st

import segment_spec
from segment_spec import Checker, InvalidMessage, Rejection, Track, _check, _normalize

SIGNED_UP = {"type": "track", "event": "Signed Up", "userId": "u1"}
NUMBER_TIME = {**SIGNED_UP, "sentAt": 1675692865495}  # only a warning


def _fixture_messages() -> list[Any]:
    found = []
    for path in sorted(FIXTURES.glob("*.ndjson")):
        found.extend(orjson.loads(line) for line in path.read_bytes().splitlines() if line)
    return found


def test_checker_answers_as_the_module_functions() -> None:
    """For every fixture, in both modes, a checker's answers are the module functions'."""
    messages = _fixture_messages()
    assert messages
    for strict in (False, True):
        checker = Checker(strict=strict)
        for message in messages:
            body = orjson.dumps(message)
            assert checker.check(body) == segment_spec.check(body, strict=strict)
            assert checker.is_valid(message) == segment_spec.is_valid(message, strict=strict)
            assert list(checker.iter_issues(message)) == list(
                segment_spec.iter_issues(message, strict=strict)
            )


def test_settings_are_fixed_once() -> None:
    """strict and supported given to the checker apply to every call."""
    lax, strict = Checker(), Checker(strict=True)
    assert isinstance(lax.check(NUMBER_TIME), Track)
    assert isinstance(strict.check(NUMBER_TIME), Rejection)
    tracks_only = Checker(supported=["track"])
    assert tracks_only.supported == frozenset({"track"})
    assert tracks_only.check({"type": "page", "userId": "u1"}).status == 501  # type: ignore[union-attr]
    assert repr(tracks_only) == "Checker(strict=False, supported=['track'])"


def test_bad_settings_raise_as_check_does() -> None:
    """A string or an unknown call type as supported is refused at once."""
    with pytest.raises(TypeError):
        Checker(supported="track")
    with pytest.raises(ValueError, match="unknown call types"):
        Checker(supported={"trak"})


def test_validate_raises_invalid_message() -> None:
    """validate() returns the message or raises InvalidMessage with the rejection."""
    checker = Checker()
    assert checker.validate(SIGNED_UP).event == "Signed Up"  # type: ignore[attr-defined]
    with pytest.raises(InvalidMessage) as raised:
        checker.validate({"type": "track", "userId": "u1"})
    assert raised.value.rejection.status == 400


def test_check_batch_uses_the_settings() -> None:
    """check_batch() holds each item to the checker's settings."""
    body = {"batch": [SIGNED_UP, {"type": "identify", "userId": "u1"}]}
    result = Checker(supported={"track"}).check_batch(body)
    assert not isinstance(result, Rejection)
    assert isinstance(result.results[0], Track)
    assert result.results[1].status == 501  # type: ignore[union-attr]


def test_checkers_share_no_state() -> None:
    """Two checkers compile and learn apart: neither sees the other's validators or reader."""
    first, second = Checker(), Checker()
    first.check(orjson.dumps(segment_spec.normalize(SIGNED_UP).value))
    assert first._tools.schemas is not second._tools.schemas
    assert first._tools.reader is not second._tools.reader
    assert first._tools.reader.reader is not None  # the first one has built its reader
    assert second._tools.reader.reader is None


def _module_state() -> dict[str, Any]:
    """Every module-level container and cache of the package: a shallow copy of each dict,
    set and list, and the size of each ``functools`` cache; with the default checker's memos,
    which only the module functions may fill."""
    state: dict[str, Any] = {}
    for info in pkgutil.walk_packages(segment_spec.__path__, "segment_spec."):
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # a compiled module this install did not build
            continue
        for name, value in vars(module).items():
            if isinstance(value, dict | set | list | bytearray):
                state[f"{info.name}.{name}"] = copy.copy(value)
            elif hasattr(value, "cache_info"):
                state[f"{info.name}.{name}()"] = value.cache_info().currsize
    state.update(_memos(_check._DEFAULT))
    return state


def _memos(tools: Any) -> dict[str, Any]:
    """What a checker's tools have learnt, as copies."""
    normalizer = tools.normalizer
    return {
        "converted keys": dict(normalizer._converted),
        "fast keys": dict(normalizer._fast_keys),
        "snake keys": set(normalizer._snake),
        "timestamps": dict(tools.timestamps.texts),
        "reader": (tools.reader.reader, tools.reader.misses, set(tools.reader.names)),
        "compiled schemas": dict(tools.schemas._calls),
    }


def _fresh_traffic(count: int) -> list[Any]:
    """Messages and batches with keys, timestamps, event names and destinations no earlier
    test has used, camelCase and snake_case, accepted and rejected, as bytes and values."""
    traffic: list[Any] = []
    for n in range(count):
        camel = {
            "type": "track",
            "event": "Order Completed" if n % 2 else f"Fresh Event {n}",
            "userId": f"u{n}",
            "timestamp": f"2019-03-{1 + n % 28:02d}T10:{n % 60:02d}:07.{n:03d}Z",
            "context": {f"freshContextKey{n}": {"innerKey": n}},
            "integrations": {f"Fresh Destination {n}": True},
            "properties": {"orderId": f"o{n}", f"freshProperty{n}": [1, {"deepKey": n}]},
        }
        snake = orjson.loads(orjson.dumps(_normalize.Normalizer().normalize(camel).value))
        snake[f"fresh_snake_key_{n}"] = n
        traffic += [
            orjson.dumps(camel),
            orjson.dumps(snake),
            camel,
            {**snake, "type": "identify", "traits": {f"freshTrait{n}": n}},
            {"type": "group", "userId": f"u{n}", f"fresh{n}": 1},  # no group_id: rejected
            orjson.dumps({"batch": [camel, snake], "context": {f"envelopeKey{n}": n}}),
        ]
    return traffic


def test_a_checkers_work_changes_nothing_outside_it() -> None:
    """What a checker compiles and learns stays on it: checking fresh traffic leaves every
    module-level container, cache and the default checker's memos as they were."""
    _check_all(Checker(), _fresh_traffic(3))  # what is loaded once (schemas, catalog) is now
    traffic = _fresh_traffic(200)
    before = _module_state()
    checker = Checker(strict=True)
    learnt_before = _memos(checker._tools)
    _check_all(checker, traffic)
    after = _module_state()
    assert [name for name in before if before[name] != after.get(name)] == []
    assert after.keys() == before.keys()
    # The traffic did teach this checker: every memo above is one it fills.
    learnt = _memos(checker._tools)
    assert all(learnt[name] != learnt_before[name] for name in learnt), learnt.keys()


def _check_all(checker: Any, traffic: list[Any]) -> None:
    for data in traffic:
        if isinstance(data, bytes) and data.startswith(b'{"batch"'):
            assert isinstance(checker.check_batch(data), segment_spec.Batch)
        else:
            checker.check(data)


def test_the_module_functions_learn_on_the_default_checker_only() -> None:
    traffic = _fresh_traffic(20)
    before = _module_state()
    _check_all(segment_spec, traffic)
    segment_spec.normalize(traffic[2])
    after = _module_state()
    changed = {name for name in before if before[name] != after[name]}
    assert changed  # the traffic taught the default checker
    assert changed <= set(_memos(_check._DEFAULT))


def test_one_checker_is_safe_across_threads() -> None:
    """Eight threads checking with one new checker get the answers one thread gets."""
    messages = [orjson.dumps(m) for m in _fixture_messages()] * 3
    expected = [Checker().check(body) for body in messages]
    shared = Checker()
    failures: list[int] = []

    def work(offset: int) -> None:
        for index in range(offset, len(messages), 8):
            if shared.check(messages[index]) != expected[index]:
                failures.append(index)

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


_FORWARD = Checker()
_BACKWARD = Checker()


@settings(max_examples=300)
@given(st.lists(rough_messages, min_size=2, max_size=6))
def test_what_a_checker_remembers_never_changes_a_result(messages: list[dict[str, Any]]) -> None:
    # A checker says an error it met before from memory (by its place and its value's type):
    # each message gets the same result whatever came before it, here in two orders.
    forward = [_FORWARD.check(message) for message in messages]
    backward = [_BACKWARD.check(message) for message in reversed(messages)][::-1]
    for seen, other in zip(forward, backward, strict=True):
        assert type(seen) is type(other)
        assert seen.issues == other.issues
        if isinstance(seen, Rejection):
            assert isinstance(other, Rejection)
            assert (seen.status, seen.body) == (other.status, other.body)
