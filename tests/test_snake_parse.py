"""The one-pass reader of snake_case bodies (segment_spec/_snake_parse.py).

Whatever it returns must be exactly what parse() reads from the same bytes (same values, same
types) and something normalize() leaves unchanged; whatever else it refuses, and check() then
takes the usual way. On real messages in snake_case it must actually read them, or the fast
path is lost without any test noticing.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import FIXTURES, shared_path
from hypothesis import given, settings
from hypothesis import strategies as st

from segment_spec import Checker, Message, Rejection, normalize
from segment_spec import _snake_parse as reader_module
from segment_spec._parse import parse
from segment_spec._snake_parse import SnakeReader

# The checker of the running test: each test gets a new one (fresh_reader), whose reader is the
# one a new process would build.
_CHECKER: list[Checker] = []


@pytest.fixture(autouse=True)
def fresh_reader() -> SnakeReader:
    """Each test checks with a new checker, and so starts from a new reader."""
    _CHECKER[:] = [Checker()]
    return current()


def current() -> SnakeReader:
    """The running test's checker's reader."""
    return _CHECKER[0]._tools.reader


def check(data: Any, *, strict: bool = False) -> Message | Rejection:
    """check() by the running test's checker."""
    return _CHECKER[0].check(data) if not strict else Checker(strict=True).check(data)


def read_snake(text: bytes | str) -> dict[str, Any] | None:
    return current().read(text)


def snake_missed(message: Any) -> None:
    current().missed(message)


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types at every level (1, 1.0 and True are three values here)."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return list(a) == list(b) and all(same(a[key], b[key]) for key in a)
    if type(a) is list:
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b) or (a != a and b != b)


def snake_body(message: Any) -> bytes:
    return orjson.dumps(normalize(message).value)


def learn(body: bytes, times: int | None = None) -> None:
    """Let check() meet ``body`` until a rebuild is due (one miss per key in the type)."""
    state = current()
    state.first()
    assert state.reader is not None
    for _ in range(times or len(state.reader.keys) + 1):
        check(body)


SNAKE_TRACK = {
    "type": "track",
    "event": "Order Completed",
    "user_id": "u-1",
    "integrations": {"All": True},
    "context": {"ip": "203.0.113.9", "library": {"name": "analytics.js", "version": "2.11.1"}},
    "properties": {
        "order_id": "50314b8e",
        "total": 27.5,
        "revenue": 25,
        "products": [{"product_id": "507f", "price": 19, "quantity": 1, "url": None}],
    },
    "timestamp": "2026-11-28T12:00:00.000Z",
}


def test_a_spec_message_in_snake_case_is_read_from_the_start() -> None:
    body = orjson.dumps(SNAKE_TRACK)
    value = read_snake(body)
    assert value is not None
    assert same(value, parse(body))
    assert normalize(value).value == value
    # Text is read the same way as bytes.
    assert same(read_snake(body.decode()), value)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda m: m.update(userId="u-1"), id="camelCase key at the root"),
        pytest.param(
            lambda m: m["properties"]["products"][0].update(productId="p"), id="camelCase, deep"
        ),
        pytest.param(lambda m: m["properties"].update(my_own_key=1), id="a key not learnt yet"),
        pytest.param(lambda m: m["properties"].update(All=1), id="a destination name outside"),
        pytest.param(lambda m: m["context"].update({"": 1}), id="an empty key"),
        pytest.param(lambda m: m.update(batch=[]), id="a batch envelope"),
        pytest.param(
            lambda m: m["properties"].update(total=[[[[[1]]]]]), id="deeper than the type"
        ),
    ],
)
def test_what_the_reader_leaves_to_the_usual_way(change: Any) -> None:
    message = json.loads(json.dumps(SNAKE_TRACK))
    change(message)
    body = orjson.dumps(message)
    assert read_snake(body) is None
    # The usual way still decides, as it always did.
    assert check(body) == check(message)


@pytest.mark.parametrize(
    "body", [b"", b"[]", b'"text"', b"{", b'{"type": "track",}', b'{"a": NaN}', b"\xff"]
)
def test_a_body_that_is_not_a_json_object_is_refused(body: bytes) -> None:
    assert read_snake(body) is None


def test_text_with_a_lone_surrogate_is_refused_and_gets_its_400() -> None:
    text = '{"type": "identify", "user_id": "\ud800"}'
    assert read_snake(text) is None
    result = check(text)
    assert isinstance(result, Rejection)
    assert (result.status, result.issues[0].keyword) == (400, "invalid-json")


def test_escapes_in_keys_are_read_as_parse_reads_them() -> None:
    body = b'{"type": "identify", "user\\u005fid": "u-1", "traits": {"na\\u006de": "x"}}'
    value = read_snake(body)
    assert value is not None
    assert same(value, parse(body))


def test_numbers_are_read_exactly() -> None:
    body = (
        b'{"type": "track", "event": "e", "user_id": 123456789012345678901234567890,'
        b' "properties": {"total": 1.0, "revenue": -0, "price": 1e2, "quantity": -0.0,'
        b' "value": 18446744073709551616, "discount": 5e-324}}'
    )
    value = read_snake(body)
    assert value is not None
    assert same(value, parse(body))
    assert same(value, json.loads(body))


def test_new_keys_and_destination_names_are_learnt() -> None:
    message = {
        **SNAKE_TRACK,
        "integrations": {"All": False, "Google Analytics": {"client_id": "c"}},
        "properties": {"plan_tier": "gold", "seat_count": 3},
    }
    body = orjson.dumps(message)
    assert read_snake(body) is None
    learn(body)
    value = read_snake(body)
    assert value is not None
    assert same(value, parse(body))
    # A learnt destination name is still refused outside integrations.
    elsewhere = {**message, "context": {"Google Analytics": 1}}
    assert read_snake(orjson.dumps(elsewhere)) is None
    assert check(orjson.dumps(elsewhere)) == check(elsewhere)


def test_a_full_type_takes_the_keys_found_first(
    fresh_reader: SnakeReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the type has room for only some of the keys learnt, the earliest found get in, in
    every process: which ones does not depend on the hash seed, so a key that most bodies carry
    (and so is found early) is never left out by chance."""
    first = fresh_reader.first()
    room = 8
    monkeypatch.setattr(reader_module, "_MAX_KEYS", len(first.keys) + room)
    # Each body brings two new keys; the first four bodies fill the room.
    bodies = [
        orjson.dumps({**SNAKE_TRACK, "properties": {f"early_{n}_a": n, f"early_{n}_b": n}})
        for n in range(12)
    ]
    for body in bodies:
        check(body)
    fresh_reader.misses = 10**9  # the rebuild is due now
    snake_missed(json.loads(bodies[0]))
    assert fresh_reader.reader is not None
    expected = {f"early_{n}_{side}" for n in range(4) for side in "ab"}
    assert fresh_reader.reader.keys - first.keys == expected
    assert all(read_snake(body) is not None for body in bodies[:4])
    assert all(read_snake(body) is None for body in bodies[4:])


def test_misses_that_teach_nothing_build_nothing(fresh_reader: SnakeReader) -> None:
    deep = {**SNAKE_TRACK, "properties": {"total": [[[[[1]]]]]}}
    body = orjson.dumps(deep)
    learn(body)
    first = fresh_reader.reader
    learn(body)
    assert fresh_reader.reader is first
    assert read_snake(body) is None


def test_camel_case_traffic_skips_the_reader(fresh_reader: SnakeReader) -> None:
    camel = orjson.dumps({"type": "identify", "userId": "u-1"})
    snake = orjson.dumps({"type": "identify", "user_id": "u-1"})
    check(camel)
    assert fresh_reader.skip == reader_module._SKIP
    check(camel)
    assert fresh_reader.skip == reader_module._SKIP - 1
    assert read_snake(snake) is None  # skipped, not read
    # A snake_case body taking the usual way turns the reader back on.
    check(snake)
    assert fresh_reader.skip == 0
    assert read_snake(snake) is not None


def test_snake_missed_only_counts_snake_case_bodies(fresh_reader: SnakeReader) -> None:
    snake_missed(None)
    assert fresh_reader.misses == 0
    snake_missed({"type": "identify", "integrations": {"Mixpanel": True}})
    assert fresh_reader.misses == 1
    assert "Mixpanel" in fresh_reader.names


def test_oversize_bodies_never_reach_the_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    monkeypatch.setattr(current(), "read", lambda body: seen.append(body))
    padding = "x" * (32 * 1024)
    body = orjson.dumps({"type": "identify", "user_id": "u", "traits": {"note": padding}})
    assert check(body).status == 400  # type: ignore[union-attr]
    assert check(body.decode()).status == 400  # type: ignore[union-attr]
    assert seen == []


# --- any object: read exactly, or refused -------------------------------------------------------

KEYS = ["user_id", "traits", "a_b", "x1", "All", "integrations", "batch", "clientId", "", "_", "é"]
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
)
values = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.sampled_from(KEYS), children, max_size=4)
    ),
    max_leaves=25,
)


def depth(value: Any) -> int:
    if type(value) is dict:
        return 1 + max(map(depth, value.values()), default=0)
    if type(value) is list:
        return 1 + max(map(depth, value), default=0)
    return 0


def known_below(value: Any, keys: frozenset[str]) -> bool:
    """Every key of every object in ``value`` is one of ``keys``."""
    if type(value) is dict:
        return all(key in keys and known_below(item, keys) for key, item in value.items())
    if type(value) is list:
        return all(known_below(item, keys) for item in value)
    return True


def readable(message: dict[str, Any], keys: frozenset[str], names: frozenset[str]) -> bool:
    """What the reader must read, said again independently: no batch, five levels at most,
    known keys everywhere but in integrations, whose keys are destination names."""
    if "batch" in message or depth(message) > 5 or not set(message) <= keys:
        return False
    snake_names = {name for name in names if normalize({name: 0}).value == {name: 0}}
    for name, member in message.items():
        if type(member) is dict:
            allowed = keys | names if name == "integrations" else keys | snake_names
            if not set(member) <= allowed:
                return False
            if not all(known_below(item, keys) for item in member.values()):
                return False
        elif not known_below(member, keys):
            return False
    return True


@given(st.dictionaries(st.sampled_from(KEYS), values, max_size=5))
@settings(max_examples=300)
def test_property_read_exactly_or_refused(message: dict[str, Any]) -> None:
    state = current()
    state.first()
    assert state.reader is not None
    # Every snake_case key of the pool is known, and "All" is a destination name.
    keys = state.reader.keys | {"user_id", "traits", "a_b", "x1", "integrations", "batch"}
    state.reader = reader_module._build(keys, frozenset({"All"}))
    body = json.dumps(message).encode()
    value = read_snake(body)
    assert (value is not None) == readable(message, keys, frozenset({"All"}))
    if value is None:
        return
    assert same(value, parse(body))
    normalized = normalize(value)
    assert normalized.value == value
    assert normalized.issues == ()


# --- real messages in snake_case ----------------------------------------------------------------


def _snake_bodies(path: Path) -> list[bytes]:
    bodies: list[bytes] = []
    for line in path.read_bytes().splitlines():
        value = orjson.loads(line)
        items = value["batch"] if isinstance(value, dict) and "batch" in value else [value]
        bodies.extend(snake_body(item) for item in items if isinstance(item, dict))
    return bodies


def _read_all(bodies: list[bytes]) -> int:
    """Learn every key, then read every body: each one read must be exact; returns how many."""
    for body in bodies:
        check(body)
    state = current()
    assert state.reader is not None
    state.misses = 10**9  # the rebuild is due now
    snake_missed(json.loads(bodies[0]))
    read = 0
    for body in bodies:
        value = read_snake(body)
        if value is not None:
            assert same(value, parse(body)), body
            assert normalize(value).value == value, body
            assert check(body) == check(json.loads(body)), body
            read += 1
    return read


def test_real_corpus_in_snake_case(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each source of the real corpus taken as one receiver's traffic, learnt from a new
    process's reader: a source whose keys fit in the reader is read in one pass at 90% or
    more, each message exactly; one whose keys do not (rudder-transformer's fixtures, 2,345
    keys from hundreds of destinations) still at half of its messages."""
    for path in sorted(shared_path("corpus", "real").glob("*.ndjson")):
        bodies = _snake_bodies(path)
        _CHECKER[:] = [Checker()]
        state = current()
        read = _read_all(bodies)
        assert state.reader is not None
        # Those left to the usual way nest deeper than the type reaches, use more keys than
        # it holds, or carry a key that snake_case would change (a collision kept its spelling).
        share = 0.9 if len(state.reader.keys) < reader_module._MAX_KEYS else 0.5
        assert read >= share * len(bodies), (path.name, read, len(bodies))


def test_project_fixtures_in_snake_case() -> None:
    bodies = [body for path in sorted(FIXTURES.glob("*.ndjson")) for body in _snake_bodies(path)]
    assert _read_all(bodies) == len(bodies)


def test_long_keys_and_names_are_not_learnt(fresh_reader: SnakeReader) -> None:
    long_key = "k" * 101
    message = {**SNAKE_TRACK, "integrations": {"N" * 101: True}, "properties": {long_key: 1}}
    body = orjson.dumps(message)
    learn(body)
    assert fresh_reader.reader is not None
    assert long_key not in fresh_reader.reader.keys
    assert "N" * 101 not in fresh_reader.reader.names
    assert read_snake(body) is None
    assert check(body) == check(message)


def test_threads_learning_at_once_get_the_same_results() -> None:
    messages = [
        {**SNAKE_TRACK, "properties": {f"field_{n}_{m}": m for m in range(5)}}
        | {"integrations": {f"Destination {n}": True}}
        for n in range(40)
    ]
    messages += [
        {"type": "identify", "userId": f"u{n}", "traits": {"firstName": "a"}} for n in range(5)
    ]
    bodies = [orjson.dumps(message) for message in messages]
    expected = [check(message) for message in messages]
    failures: list[BaseException] = []

    def run() -> None:
        try:
            for _ in range(30):
                for body, want in zip(bodies, expected, strict=True):
                    assert check(body) == want
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    # And the reader has learnt on the way: the snake_case bodies are now read in one pass
    # (once the camelCase ones that came last stop making it skip).
    current().skip = 0
    assert all(read_snake(body) is not None for body in bodies[:40])


def keys_of(value: Any) -> set[str]:
    if type(value) is dict:
        return set(value).union(*map(keys_of, value.values()))
    if type(value) is list:
        return set().union(*map(keys_of, value))
    return set()


@settings(max_examples=150)
@given(st.data())
def test_testing_kit_messages_in_snake_case_are_read(data: st.DataObject) -> None:
    from segment_spec.testing import invalid_messages, messages

    message = data.draw(messages(wire="snake"))
    state = current()
    state.skip = 0  # the camelCase bodies of earlier examples
    state.first()
    assert state.reader is not None
    integrations = message.get("integrations")
    names = frozenset(integrations) if isinstance(integrations, dict) else frozenset()
    keys = keys_of({k: v for k, v in message.items() if k != "integrations"})
    keys |= keys_of(list(integrations.values())) if names else set()
    keys.add("integrations")
    state.reader = reader_module._build(state.reader.keys | keys, state.reader.names | names)
    body = json.dumps(message).encode()
    value = read_snake(body)
    assert (value is not None) == (depth(message) <= 5)
    assert check(body) == check(message)
    # Broken messages, in either form, still get the reply the kit promises for them.
    case = data.draw(invalid_messages())
    result = check(case.body, strict=case.strict)
    assert isinstance(result, Rejection)
    assert (result.status, result.issues[0].keyword) == (case.status, case.keyword)
