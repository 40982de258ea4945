"""The compiled core (``segment_spec/_speedups.pyx``) against the pure-Python reference.

Each compiled function must give exactly what its Python twin gives, on arbitrary values: the
same keys in the same order, the same objects for leaves, the same "leave it to the careful
walk" answers, the same typed messages. The module is imported directly, so these tests run
whether or not ``SEGMENT_SPEC_NO_EXTENSIONS`` makes the package itself use the fallback (CI
runs the whole suite both ways).
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Hashable
from pathlib import Path
from types import MappingProxyType
from typing import Any
from unittest import mock

import pytest
from generated import rough_messages
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_values import LEAVES, PYTHON_VALUES, _containers, tangled

import segment_spec
from segment_spec import CALL_TYPES, _compiled, _message, _normalize, _snake_parse, _timestamps
from segment_spec._validate import view

try:
    speedups: Any = importlib.import_module("segment_spec._speedups")
except ImportError:  # pragma: no cover - only where no compiler built it
    speedups = None
# The two fast paths over one normalizer's memos, whichever code the package itself runs.
_MEMOS = _normalize.Normalizer()
_ARGS = (_MEMOS._snake, _MEMOS._snake_keys, _MEMOS._fast_keys, _MEMOS._learn)
python_fast: Any = _normalize._python_fast(*_ARGS)
compiled_fast: Any = None if speedups is None else _normalize._compiled_fast(speedups, *_ARGS)
# The careful walk's memo of snake_case keys.
_KEYS = _normalize._KeyCache()

needs_core = pytest.mark.skipif(
    speedups is None, reason="the compiled core is not built here (no C compiler at install)"
)


def _compiler() -> str | None:
    name = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(name)


def test_the_core_is_built_wherever_a_compiler_is() -> None:
    # The skips below are only for installs without a compiler: where there is one, the
    # package's build must have made the core.
    if _compiler() is None:
        pytest.skip("no C compiler on this machine: the pure-Python code is what runs")
    assert speedups is not None, "a C compiler is here, but segment_spec._speedups was not built"
    walk = importlib.util.find_spec("segment_spec._normalize_compiled")
    assert walk is not None, "a C compiler is here, but the careful walk was not compiled"


def test_the_flag_says_which_code_runs() -> None:
    forced = os.environ.get("SEGMENT_SPEC_NO_EXTENSIONS", "") not in ("", "0")
    assert segment_spec.COMPILED is _compiled.COMPILED
    assert segment_spec.COMPILED is (speedups is not None and not forced)
    fast = segment_spec.Checker()._tools.normalizer.fast
    if segment_spec.COMPILED:
        assert speedups is not None
        assert type(fast) is speedups.FastPath
    else:
        assert fast.__qualname__.startswith("_python_fast.")


@pytest.mark.parametrize("value", ["1", "yes", "true"])
def test_the_environment_variable_forces_the_fallback(value: str) -> None:
    code = "import segment_spec, sys; sys.exit(0 if segment_spec.COMPILED else 3)"
    env = {**os.environ, "SEGMENT_SPEC_NO_EXTENSIONS": value}
    assert subprocess.run([sys.executable, "-c", code], env=env, check=False).returncode == 3


@needs_core
def test_without_the_variable_the_core_runs() -> None:
    code = "import segment_spec, sys; sys.exit(0 if segment_spec.COMPILED else 3)"
    env = {k: v for k, v in os.environ.items() if k != "SEGMENT_SPEC_NO_EXTENSIONS"}
    for setting in (None, "", "0"):
        if setting is not None:
            env["SEGMENT_SPEC_NO_EXTENSIONS"] = setting
        assert subprocess.run([sys.executable, "-c", code], env=env, check=False).returncode == 0


# --- snake_case ---------------------------------------------------------------------------------

_KEY_PARTS = st.sampled_from(
    [
        "user",
        "Id",
        "ID",
        "id",
        "HTTP",
        "Request",
        "5",
        "TEst",
        "_",
        "__",
        ".",
        "-",
        " ",
        "$",
        "Ä",
        "ö",
        "ß",
        "\u0660",
        "\U0001f600",
        "a",
        "B",
        "9",
        "x_y",
        "Ab",
        "aB",
        "",
    ]
)
keys = st.one_of(st.text(max_size=24), st.lists(_KEY_PARTS, max_size=8).map("".join))


@needs_core
@settings(max_examples=1000)
@given(keys)
def test_snake_case_is_the_reference(key: str) -> None:
    expected = _normalize.snake_case(key)
    got = speedups.snake_case(key)
    assert got == expected
    assert type(got) is str
    # Unchanged keys come back as the very object, as the reference returns them.
    assert (got is key) is (expected is key)


@needs_core
@settings(max_examples=300)
@given(st.lists(_KEY_PARTS, min_size=24, max_size=64).map("".join))
def test_long_keys_are_the_reference(key: str) -> None:
    """Keys of up to 128 characters are converted in a buffer on the stack, longer ones in one
    on the heap: both give the reference's answer, on either side of the line."""
    assert speedups.snake_case(key) == _normalize.snake_case(key)


@needs_core
@pytest.mark.parametrize("length", [127, 128, 129, 256])
@pytest.mark.parametrize("unit", ["aB", "A", "a1", "ID", "x_", "-a", "Äb"])
def test_keys_at_the_stack_buffer_line(unit: str, length: int) -> None:
    key = (unit * length)[:length]
    expected = _normalize.snake_case(key)
    assert speedups.snake_case(key) == expected
    # The names of a huge object's keys come from the same core, without the Python call.
    assert speedups.Unkept({}, _normalize._name)[key] == expected


@needs_core
@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("CreatedAt", "created_at"),
        ("userID", "user_id"),
        ("HTTPRequest", "httprequest"),
        ("context.page.url", "context_page_url"),
        ("5TEst", "5test"),
        ("$", ""),
        ("", ""),
        ("snake_case", "snake_case"),
        ("a__b", "a_b"),
        ("ÄÖÜ", ""),
        ("fooÄbar", "foo_bar"),
    ],
)
def test_snake_case_table(key: str, expected: str) -> None:
    assert speedups.snake_case(key) == expected == _normalize.snake_case(key)


# --- the fast path and the already-snake_case test ----------------------------------------------

_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=4)
)
_object_keys = st.one_of(
    keys,
    st.sampled_from(
        [
            "integrations",
            "Integrations",
            "batch",
            "Batch",
            "userId",
            "user_id",
            "messageId",
            "message_id",
            "context",
            "All",
            "firstName",
            "first_name",
        ]
    ),
)
json_values = st.recursive(
    _leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(_object_keys, inner, max_size=5)
    ),
    max_leaves=30,
)
messages = st.dictionaries(_object_keys, json_values, max_size=8)
# A batch envelope, with messages as its items, and odd items between them.
envelopes = st.fixed_dictionaries(
    {"batch": st.lists(st.one_of(messages, json_values), max_size=4)},
    optional={"context": json_values, "integrations": json_values, "writeKey": _leaves},
)


def _same(a: Any, b: Any) -> bool:
    """Equal, with the same types and the same key order at every depth, and leaves that are
    the very same objects (:func:`_same_shape`, which also follows shared objects)."""
    return _same_shape(a, b)


def _decided(fast: Any, value: Any, root: bool) -> Any:
    """What normalizing gives: the fast path's result, or, where it leaves the message to the
    careful walk, the walk's."""
    if fast is not None:
        return fast
    role = _normalize._ROOT if root else _normalize._MESSAGE
    return _normalize._walk(value, _KEYS, role)[0]


def _both(message: dict[str, Any], root: bool) -> None:
    original = copy.deepcopy(message)
    python = python_fast(message, root)
    compiled = compiled_fast(message, root)
    assert message == original  # the input is never changed
    if python is not None and compiled is not None:
        assert _same(python, compiled)
        assert (python is message) is (compiled is message)
    # Where either leaves the message to the careful walk (the compiled walk gives up at a
    # fixed depth, the Python one at the interpreter's recursion limit), the outcome is the
    # same.
    assert _same(_decided(python, message, root), _decided(compiled, message, root))


@needs_core
@settings(max_examples=600)
@given(messages, st.booleans())
def test_fast_path_is_the_reference(message: dict[str, Any], root: bool) -> None:
    _both(message, root)


@needs_core
@settings(max_examples=500)
@given(envelopes)
def test_fast_path_is_the_reference_on_batches(envelope: dict[str, Any]) -> None:
    _both(envelope, True)


@needs_core
@settings(max_examples=500)
@given(
    st.dictionaries(
        st.sampled_from(["user_id", "event", "properties", "context", "type"]),
        json_values,
        max_size=5,
    )
)
def test_already_snake_is_the_reference(message: dict[str, Any]) -> None:
    # Mostly snake_case keys, so that the test that keeps the message as it is gets exercised.
    # The Python fast path gives the message itself exactly when it is already in snake_case.
    kept = python_fast(message, True) is message
    assert speedups.already_snake(message, True, *_ARGS[:3]) == kept
    _both(message, True)


@needs_core
@pytest.mark.parametrize("depth", [10, 399, 401, 2000, 50_000])
def test_deep_values_get_the_careful_walks_result(depth: int) -> None:
    value: Any = {"leafKey": 1}
    for index in range(depth):
        value = {"someKey": value} if index % 2 else {"items": [value]}
    message = {"type": "track", "properties": value}
    expected = _normalize._walk(message, _KEYS, _normalize._ROOT)[0]
    got = _decided(compiled_fast(message, True), message, True)
    assert _same(got, expected)


@needs_core
def test_a_key_the_fast_path_cannot_learn_is_left_to_the_careful_walk() -> None:
    for message in (
        {"$": 1, "userId": "u"},
        {"k" * 200: 1},
        {"a": {"firstName": 1, "first_name": 2}},
    ):
        assert compiled_fast(message, True) is None
        assert python_fast(message, True) is None


class _StrKey(str):
    """A key that is a str, but not exactly one (only a caller's value has such keys)."""


learnt_objects = st.lists(
    st.one_of(keys, keys.map(_StrKey), st.integers(-3, 3), st.none()), max_size=12
).map(lambda names: dict.fromkeys(names, 0))


@needs_core
@settings(max_examples=600)
@given(st.lists(learnt_objects, min_size=1, max_size=6), st.sampled_from([4, 9, 8192]))
def test_the_learner_is_the_reference(objects: list[dict[Any, Any]], size: int) -> None:
    """The compiled ``Learner`` answers and fills the two memos as ``Normalizer._learn``
    does (with ``_KeyCache.__missing__``), objects after object, bounds included (the
    smallest also makes objects of more than 3 keys huge)."""
    longest = 6 if size < 10 else _normalize._KEY_CACHE_LENGTH
    most = 3 if size == 4 else _normalize._HUGE
    with (
        mock.patch.object(_normalize, "_KEY_CACHE_SIZE", size),
        mock.patch.object(_normalize, "_KEY_CACHE_LENGTH", longest),
        mock.patch.object(_normalize, "_HUGE", most),
    ):
        python, compiled = _normalize.Normalizer(), _normalize.Normalizer()
        learner = speedups.Learner(compiled._fast_keys, compiled._converted, size, longest, most)
        for obj in objects:
            assert learner(obj) == python._learn(obj)
            assert list(compiled._fast_keys.items()) == list(python._fast_keys.items())
            assert list(compiled._converted.items()) == list(python._converted.items())


@needs_core
@settings(max_examples=600)
@given(
    st.lists(st.one_of(keys, keys.map(_StrKey), st.integers(-3, 3), st.none()), max_size=12),
    st.lists(keys, max_size=6),
)
def test_the_unkept_names_are_the_reference(asked: list[Any], known: list[str]) -> None:
    """The compiled ``Unkept`` names each key as ``_normalize._Unkept`` does, whether the memo
    holds it or not (an entry is read as it is, a missing key converted), and neither
    writes to the memo."""
    memo = _normalize._KeyCache()
    for key in known:
        memo[key]  # learnt as a normalizer learns it
    before = dict(memo)
    python, compiled = _normalize._Unkept(memo), speedups.Unkept(memo, _normalize._name)
    for key in asked:
        expected = python[key]
        got = compiled[key]
        assert got == expected
        assert type(got) is type(expected)
    assert memo == before
    assert isinstance(_normalize._unkept(memo), speedups.Unkept)


def test_a_memo_that_is_not_a_dict_is_read_by_the_python_class() -> None:
    """Only a dict is read with the dict calls; any other mapping gets the Python reading."""
    memo: MappingProxyType[Hashable, Hashable] = MappingProxyType({"aB": "kept"})
    names = _normalize._unkept(memo)
    assert type(names) is _normalize._Unkept
    assert (names["aB"], names["firstName"], names[3]) == ("kept", "first_name", 3)


# --- building the typed message -----------------------------------------------------------------

_CLASSES = [
    (_message.Track, ("event", "properties", "semantic")),
    (_message.Identify, ("traits",)),
    (_message.Page, ("name", "category", "properties")),
    (_message.Screen, ("name", "category", "properties")),
    (_message.Group, ("group_id", "traits")),
    (_message.Alias, ("previous_id",)),
]


@needs_core
@pytest.mark.parametrize(("cls", "own"), _CLASSES)
def test_maker_builds_what_the_dataclass_builds(cls: type[Any], own: tuple[str, ...]) -> None:
    names = (*_message._COMMON_FIELDS, *own)
    values = {name: f"value of {name}" for name in names}
    made = speedups.Maker(cls, names, (("type", cls.__name__.lower()),))(*values.values())
    expected = cls(**values)
    assert type(made) is cls
    assert made == expected
    assert repr(made) == repr(expected)
    assert hash(made.type) == hash(expected.type)
    assert dataclasses.replace(made, user_id="other").user_id == "other"
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.user_id = "x"  # type: ignore[misc]
    with pytest.raises(TypeError, match="expected"):
        speedups.Maker(cls, names, ())(1)


@needs_core
def test_maker_refuses_what_is_not_a_slot() -> None:
    with pytest.raises(TypeError, match="not a slot"):
        speedups.Maker(_message.Track, ("semantic", "messages"), ())


@needs_core
def test_maker_holds_its_values_alive() -> None:
    # Each slot holds its own reference: the values outlive the caller's.
    import gc

    names = (*_message._COMMON_FIELDS, "traits")
    made = speedups.Maker(_message.Identify, names, (("type", "identify"),))(
        *[[index] for index in range(len(names))]
    )
    gc.collect()
    assert made.message_id == [0]
    assert made.traits == [len(names) - 1]
    assert made.type == "identify"


# --- reading the timestamps and building the typed message --------------------------------------


def _outcome(function: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "value", function(*args)
    except Exception as error:  # both must fail alike on what a message without a field gives
        return "raises", type(error)


def _fields(message: Any) -> list[tuple[str, type[Any], Any]]:
    return [
        (f.name, type(getattr(message, f.name)), getattr(message, f.name))
        for f in dataclasses.fields(message)
    ]


@needs_core
@settings(max_examples=600)
@given(rough_messages, st.sampled_from(CALL_TYPES), st.booleans())
def test_builder_is_the_reference(message: dict[str, Any], call: str, with_times: bool) -> None:
    semantic = segment_spec.events()[0] if call == "track" else None
    times = _message.read_timestamps(message) if with_times else None
    builder = _compiled_builder()
    issues = [
        segment_spec.Issue(("x",), "type", "x must be a number", segment_spec.Severity.WARNING)
    ]
    expected = _outcome(_message.build_message, call, message, issues, semantic, times)
    got = _outcome(builder, call, message, issues, semantic, times)
    assert got[0] == expected[0]
    if expected[0] == "raises":
        assert got[1] is expected[1]
        return
    assert type(got[1]) is type(expected[1])
    assert _fields(got[1]) == _fields(expected[1])
    assert got[1].data is message


@needs_core
@settings(max_examples=600)
@given(rough_messages)
def test_reading_timestamps_is_the_reference(message: dict[str, Any]) -> None:
    expected = _message.read_timestamps(message)
    read = _message._compiled_timestamps(speedups, _timestamps.RecentTimestamps())
    assert read(message) == expected
    # And again, now that the memo holds the texts.
    assert read(message) == expected


# Items of one batch: the shared members' values, some repeating (built anew, so equal but
# not the same object), some too long, some not text, some absent.
_TEXTS = st.sampled_from(["track", "Order Completed", "u1", "a" * 6, "é", ""])
_SHARED_VALUE = st.one_of(
    _TEXTS.map(lambda text: "".join(list(text))),
    st.text(max_size=8),
    st.integers(),
    st.none(),
    st.just("x" * 7),
)
_ITEMS = st.lists(
    st.dictionaries(
        st.sampled_from(["type", "event", "user_id", "anonymous_id", "other"]), _SHARED_VALUE
    ),
    max_size=12,
)


@needs_core
@settings(max_examples=600)
@given(_ITEMS, st.integers(min_value=0, max_value=4))
def test_sharing_texts_is_the_reference(items: list[dict[str, Any]], most: int) -> None:
    """The compiled TextSharer keeps the same texts as ShareTexts and gives each item the
    same objects: equal items, and the same pattern of shared strings."""
    from segment_spec._envelope import ShareTexts

    keys, longest = ("type", "event", "user_id", "anonymous_id"), 6
    python_items = [dict(item) for item in items]
    compiled_items = [dict(item) for item in items]
    python_texts: dict[str, str] = {}
    compiled_texts: dict[str, str] = {}
    python = ShareTexts(python_texts, keys, longest, most)
    compiled = speedups.TextSharer(compiled_texts, keys, longest, most)
    for python_item, compiled_item in zip(python_items, compiled_items, strict=True):
        python(python_item)
        compiled(compiled_item)
    assert python_items == items == compiled_items
    assert python_texts == compiled_texts
    assert len(python_texts) <= most
    for index, item in enumerate(items):
        for key, value in item.items():
            kept = python_texts.get(value) if key in keys and type(value) is str else None
            expected = value if kept is None else kept
            assert python_items[index][key] is expected
            assert compiled_items[index][key] is (
                expected if kept is None else compiled_texts[value]
            )


@needs_core
@pytest.mark.parametrize(
    "text", ["", " ", "\t\n", "\u3000", "\u00a0", "\x1c", " a ", "x", "\u200b"]
)
def test_a_blank_id_is_what_strip_calls_blank(text: str) -> None:
    # The compiled builder takes a string id as it is unless str.strip() leaves nothing.
    message = {"type": "identify", "user_id": text}
    made = _compiled_builder()("identify", message, [], None, (None, None, None, None))
    assert made.user_id == _message.build_message("identify", message, []).user_id


def _compiled_builder() -> Any:
    return _message._compiled_build(speedups, _timestamps.RecentTimestamps().parse)


def test_a_hostile_batch_after_the_warm_up_runs_to_its_end() -> None:
    # A found crash, kept as a test: after the hostile benchmark's warm-up has filled the key
    # memos, a batch whose envelope context holds thousands of fresh keys makes them clear
    # while the compiled walk is inside a member whose converted name it held borrowed; the
    # freed name, reused later, crashed the interpreter. The benchmark's own worker runs the
    # case, in its own process (a crash must not take the test run with it).
    root = Path(__file__).resolve().parents[1]
    command = [sys.executable, str(root / "benchmarks" / "bench_hostile.py")]
    command += ["--worker", "batch-envelope-context-own", "--repeat", "1"]
    done = subprocess.run(
        command,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert '"case": "batch-envelope-context-own"' in done.stdout


# --- the careful walk, compiled from the same source --------------------------------------------

try:
    walk_compiled: Any = importlib.import_module("segment_spec._normalize_compiled")._walk
except ImportError:  # pragma: no cover - only where no compiler built it
    walk_compiled = None

needs_walk = pytest.mark.skipif(
    walk_compiled is None, reason="the compiled careful walk is not built here (no C compiler)"
)


def _same_shape(a: Any, b: Any) -> bool:
    """Two walk results alike: the same kinds of containers with the same keys in the same
    order, the very same leaves, and the same sharing (cycles included)."""
    pending = [(a, b)]
    seen: dict[int, int] = {}
    while pending:
        x, y = pending.pop()
        if type(x) is not type(y):
            return False
        if type(x) is dict or type(x) is list:
            if id(x) in seen:
                if seen[id(x)] != id(y):
                    return False
                continue
            seen[id(x)] = id(y)
            if type(x) is dict:
                kx, ky = list(x), list(y)
                if len(kx) != len(ky):
                    return False
                for p, q in zip(kx, ky, strict=True):
                    if not (p is q or (type(p) is str and type(q) is str and p == q)):
                        return False
                pending.extend(zip(x.values(), y.values(), strict=True))
            else:
                if len(x) != len(y):
                    return False
                pending.extend(zip(x, y, strict=True))
        elif x is not y:
            return False
    return True


def test_the_package_walks_with_the_compiled_walk_where_it_is_built() -> None:
    uses_compiled = _normalize._walk is not _normalize._walk_python
    assert uses_compiled is (segment_spec.COMPILED and walk_compiled is not None)


@needs_walk
@settings(max_examples=600)
@given(st.one_of(PYTHON_VALUES, tangled()), st.sampled_from([1, 3, 4, 0]))
def test_the_compiled_walk_is_the_reference(value: Any, role: int) -> None:
    assume(_normalize._is_container(value))  # what its callers give it
    expected = _normalize._walk_python(value, _KEYS, role)
    got = walk_compiled(value, _KEYS, role)
    assert got[1] == expected[1]  # the issues
    assert _same_shape(got[0], expected[0])


@needs_walk
@pytest.mark.parametrize("depth", [10, 5000])
def test_the_compiled_walk_has_no_depth_limit(depth: int) -> None:
    value: Any = {"leafKey": {"aB": 1, "a_b": 2}}
    for index in range(depth):
        value = {"someKey": value} if index % 2 else [value]
    expected = _normalize._walk_python(value, _KEYS)
    got = walk_compiled(value, _KEYS)
    assert got[1] == expected[1]
    assert _same_shape(got[0], expected[0])


# --- the validate stage's count of members ----------------------------------------------------


class _Dict(dict[Any, Any]):
    """A dict subclass whose ``values`` are its own: the count must call them."""

    def values(self) -> Any:
        return [[1, 2, 3], *super().values()]


class _List(list[Any]):
    pass


class _PosingAsDict:
    """Not a dict, but says it is one through ``__class__``: Python's isinstance believes it."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return dict

    def __len__(self) -> int:
        return 2

    def values(self) -> Any:
        return [{"a": 1}]


_COUNTED = st.recursive(
    st.one_of(LEAVES, st.builds(_PosingAsDict)),
    lambda children: st.one_of(
        _containers(children),
        st.dictionaries(st.text(max_size=3), children, max_size=4).map(_Dict),
        st.lists(children, max_size=4).map(_List),
    ),
    max_leaves=30,
)


def test_the_package_counts_with_the_compiled_count_where_it_is_built() -> None:
    assert (view._within is not view._within_python) is segment_spec.COMPILED


@needs_core
@settings(max_examples=800)
@given(st.one_of(_COUNTED, tangled(), rough_messages), st.integers(0, 40))
def test_the_compiled_count_is_the_reference(value: Any, budget: int) -> None:
    assert speedups.within(value, budget) is view._within_python(value, budget)


@needs_core
def test_the_compiled_count_asks_what_python_asks() -> None:
    """A subclass's own ``values`` and ``len``, and isinstance as Python answers it."""
    for value, budget in [
        (_Dict(a={"b": 1}), 2),
        (_Dict(a={"b": 1}), 10),
        ([_PosingAsDict()], 2),
        ([_PosingAsDict()], 4),
        (_List([[1], [2, 3]]), 4),
        (_List([[1], [2, 3]]), 5),
    ]:
        assert speedups.within(value, budget) is view._within_python(value, budget), value


# --- the one-pass snake_case reader's test of destination names ----------------------------------

_NAMES = st.sampled_from(["All", "Segment.io", "Mixpanel", "user_id", "plan", "a"])
_TOP = st.dictionaries(
    st.sampled_from(["context", "properties", "traits", "integrations", "custom", "type"]),
    st.one_of(
        st.dictionaries(_NAMES, st.integers(0, 1), max_size=6),
        st.integers(0, 1),
        st.lists(st.dictionaries(_NAMES, st.integers(0, 1), max_size=2), max_size=2),
    ),
    max_size=6,
)


@needs_core
@settings(max_examples=800)
@given(_TOP, st.frozensets(_NAMES, max_size=5))
def test_the_foreign_name_test_is_the_reference(
    value: dict[str, Any], foreign: frozenset[str]
) -> None:
    """Whichever is smaller, an object or the names, the compiled test answers as Python's:
    a name in an object directly under the root other than integrations, nowhere else."""
    expected = _snake_parse._foreign_at_top_python(value, foreign)
    assert speedups.foreign_at_top(value, foreign) is expected
    assert expected == any(
        type(member) is dict and key != "integrations" and not foreign.isdisjoint(member)
        for key, member in value.items()
    )
    assert (_snake_parse._foreign_at_top is speedups.foreign_at_top) is segment_spec.COMPILED
