"""Tests for segment_spec._normalize: the snake_case rule and key normalization of messages."""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections import Counter
from collections.abc import Iterator
from types import MappingProxyType
from typing import Any

import pytest
from conftest import shared_path
from hypothesis import given, settings
from hypothesis import strategies as st
from oddities import Repeats

from segment_spec._issue import Severity
from segment_spec._normalize import Normalized, Normalizer, normalize, snake_case

# The table of ../shared/spec/snake-case.md, as facts (test_table_matches_the_spec keeps the two
# equal while ../shared is there).
# The checker's normalizing of a message, by a normalizer of this file's own.
normalize_parts = Normalizer().parts

SPEC_TABLE = [
    ("NAME", "name"),
    ("CreatedAt", "created_at"),
    ("postalCode", "postal_code"),
    ("anonymousId", "anonymous_id"),
    ("userID", "user_id"),
    ("userIDs", "user_ids"),
    ("HTTPRequest", "httprequest"),
    ("ABTest", "abtest"),
    ("address2", "address2"),
    ("item1Name", "item1_name"),
    ("Base64Encode", "base64_encode"),
    ("utm_source", "utm_source"),
    ("kebab-case", "kebab_case"),
    ("with space", "with_space"),
    ("sample___text", "sample_text"),
    ("___$$Base64Encode", "base64_encode"),
    ("$special", "special"),
    ("context.page.url", "context_page_url"),
    ("5TEst", "5test"),
    ("ÄÖÜ", ""),
    ("ID", "id"),
]

# segmentio/go-snakecase, snake_test.go (HEAD 6f94919): every case agrees with snake-case.md.
UPSTREAM_CASES = [
    ("@49L0S145_¬fwHƒ0TSLNVp", "49l0s145_fw_h_0tslnvp"),
    ("lk0B@bFmjrLQ_Z6YL", "lk0_b_b_fmjr_lq_z6yl"),
    ("samPLE text", "sam_ple_text"),
    ("sample text", "sample_text"),
    ("sample-text", "sample_text"),
    ("sample_text", "sample_text"),
    ("sample___text", "sample_text"),
    ("sampleText", "sample_text"),
    ("inviteYourCustomersAddInvites", "invite_your_customers_add_invites"),
    ("sample 2 Text", "sample_2_text"),
    ("   sample   2    Text   ", "sample_2_text"),
    ("   $#$sample   2    Text   ", "sample_2_text"),
    ("SAMPLE 2 TEXT", "sample_2_text"),
    ("___$$Base64Encode", "base64_encode"),
    ("FOO:BAR$BAZ", "foo_bar_baz"),
    ("FOO#BAR#BAZ", "foo_bar_baz"),
    ("something.com", "something_com"),
    ("$something%", "something"),
    ("•¶§ƒ˚foo˙∆˚¬", "foo"),
    ("CStringRef", "cstring_ref"),
    ("5test", "5test"),
    ("test5", "test5"),
    ("THE5r", "the5r"),
    ("5TEst", "5test"),
    ("_5TEst", "5test"),
    ("@%#&5TEst", "5test"),
    ("edf_6N", "edf_6n"),
    ("f_pX9", "f_p_x9"),
    ("p_z9Rg", "p_z9_rg"),
    ("2FA Enabled", "2fa_enabled"),
    ("Enabled 2FA", "enabled_2fa"),
]

SNAKE = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)*")


# --- snake_case ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("key", "expected"), SPEC_TABLE)
def test_snake_case_spec_table(key: str, expected: str) -> None:
    assert snake_case(key) == expected


@pytest.mark.parametrize(("key", "expected"), UPSTREAM_CASES)
def test_snake_case_go_snakecase_cases(key: str, expected: str) -> None:
    assert snake_case(key) == expected


def test_table_matches_the_spec() -> None:
    text = shared_path("spec", "snake-case.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]*)` \| `([^`]*)`", text, flags=re.MULTILINE)
    assert len(rows) >= 20, "the table of snake-case.md was not found"
    for key, expected in rows:
        assert snake_case(key) == expected, key
    assert sorted(rows) == sorted(SPEC_TABLE)


@pytest.mark.parametrize("key", ["", "a", "order_id", "address2", "a_1_b", "5test", "utm_source"])
def test_snake_case_keeps_snake_keys(key: str) -> None:
    assert snake_case(key) == key


@pytest.mark.parametrize(
    "key",
    [key for key, _ in SPEC_TABLE + UPSTREAM_CASES] + ["a__b", "_a", "a_", "ab_Cd", "a_1B", "Ñame"],
)
def test_snake_case_gives_snake_case_and_is_stable(key: str) -> None:
    converted = snake_case(key)
    assert converted == "" or SNAKE.fullmatch(converted)
    assert snake_case(converted) == converted


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("a__b", "a_b"),
        ("_a", "a"),
        ("a_", "a"),
        ("ab_Cd", "ab_cd"),
        ("a_1B", "a_1b"),  # glue rule: no lower-case letter since the last "_"
        ("ab1C", "ab1_c"),  # a lower-case letter before the digit: no glue
        ("Ñame", "ame"),  # non-ASCII letters are separators
        ("firstName", "first_name"),
        ("$", ""),
        ("___", ""),
    ],
)
def test_snake_case_edges(key: str, expected: str) -> None:
    assert snake_case(key) == expected


def snake_case_by_the_rules(key: str) -> str:
    """The rule of ../shared/spec/snake-case.md, step by step as it is written: the prefix
    already in snake_case copied as it is, the glue rule, then the words of the rest."""
    if not key or SNAKE.fullmatch(key):  # rule 2
        return key
    found = re.match(r"[a-z0-9]+(?:_[a-z0-9]+)*", key)
    prefix = found.group() if found else ""
    rest = key[len(prefix) :]
    last_segment = prefix[prefix.rfind("_") + 1 :]
    if "A" <= rest[0] <= "Z" and not re.search("[a-z]", last_segment):  # rule 5
        glued = re.match(r"[A-Z0-9]+[a-z0-9]*", rest)
        assert glued is not None
        prefix += glued.group()
        rest = rest[glued.end() :]
    words = re.findall(r"[A-Z0-9]+[a-z0-9]*|[a-z0-9]+", rest)  # rules 1, 3 and 4
    return "_".join([prefix, *words] if prefix else words).lower()


def test_snake_case_follows_the_rule_as_written_exhaustively() -> None:
    """Every key of up to five characters over letters of both cases, digits, separators and
    a non-ASCII letter converts as the written rule says."""
    alphabet = "aBz9_ -.$\u00dc0Z"
    for length in range(1, 6):
        for letters in itertools.product(alphabet, repeat=length):
            key = "".join(letters)
            assert snake_case(key) == snake_case_by_the_rules(key), key


@settings(max_examples=2000)
@given(st.text())
def test_property_snake_case_follows_the_rule_as_written(key: str) -> None:
    """Any text converts as the written rule says."""
    assert snake_case(key) == snake_case_by_the_rules(key)


# --- normalize -----------------------------------------------------------------------------------

SEED_IN = {
    "address": {
        "city": "Newport Coast",
        "postalCode": "92606",
        "state": "CA",
        "street": "1 Lucille Lane",
    },
    "CreatedAt": "1967-12-14T08:00:00.000Z",
    "NAME": "Michael Bluth",
    "user_id": 12345,
}
SEED_OUT = {
    "address": {
        "city": "Newport Coast",
        "postal_code": "92606",
        "state": "CA",
        "street": "1 Lucille Lane",
    },
    "created_at": "1967-12-14T08:00:00.000Z",
    "name": "Michael Bluth",
    "user_id": 12345,
}


def test_seed_example() -> None:
    result = normalize(SEED_IN)
    assert isinstance(result, Normalized)
    assert result.value == SEED_OUT
    assert result.issues == ()


@pytest.mark.parametrize("leaf", [None, True, 0, 1.5, "x", b"raw", object()])
def test_a_leaf_is_returned_as_it_is(leaf: object) -> None:
    result = normalize(leaf)
    assert result.value is leaf
    assert result.issues == ()


def test_keys_keep_their_order_and_leaves_are_shared() -> None:
    payload = {"zKey": "z", "aKey": "a", "mKey": ["m"]}
    value = normalize(payload).value
    assert list(value) == ["z_key", "a_key", "m_key"]
    assert value["z_key"] is payload["zKey"]
    assert value["m_key"] is not payload["mKey"]


def test_integrations_keys_are_destination_names() -> None:
    message = {
        "type": "track",
        "integrations": {"All": False, "Google Analytics": {"clientId": "1"}, "Mixpanel": True},
        "properties": {"integrations": {"Google Analytics": True}},
    }
    value = normalize(message).value
    assert value["integrations"] == {
        "All": False,
        "Google Analytics": {"client_id": "1"},  # objects below a destination: as usual
        "Mixpanel": True,
    }
    # Only the message's own integrations are destination names.
    assert value["properties"] == {"integrations": {"google_analytics": True}}


def test_integrations_path_is_compared_after_conversion() -> None:
    value = normalize({"Integrations": {"Google Analytics": True}}).value
    assert value == {"integrations": {"Google Analytics": True}}


def test_integrations_of_batch_messages_are_kept() -> None:
    envelope = {
        "batch": [
            {"type": "track", "integrations": {"All": True, "Segment.io": False}},
            {"type": "identify", "userId": "u", "context": {"integrations": {"Ab Cd": 1}}},
            [{"integrations": {"Ab Cd": 1}}],
        ],
        "sentAt": "2024-01-01T00:00:00Z",
    }
    value = normalize(envelope).value
    assert value == {
        "batch": [
            {"type": "track", "integrations": {"All": True, "Segment.io": False}},
            {"type": "identify", "user_id": "u", "context": {"integrations": {"ab_cd": 1}}},
            [{"integrations": {"ab_cd": 1}}],
        ],
        "sent_at": "2024-01-01T00:00:00Z",
    }


def test_batch_only_counts_at_the_root() -> None:
    value = normalize({"properties": {"batch": [{"integrations": {"Ab Cd": 1}}]}}).value
    assert value == {"properties": {"batch": [{"integrations": {"ab_cd": 1}}]}}


def test_objects_inside_lists_are_normalized() -> None:
    message = {
        "properties": {
            "products": [
                {"productId": "p1", "imageURL": "u", "tags": [{"tagName": "a"}, "plain"]},
                [[{"deepKey": 1}]],
            ],
        },
    }
    assert normalize(message).value == {
        "properties": {
            "products": [
                {"product_id": "p1", "image_url": "u", "tags": [{"tag_name": "a"}, "plain"]},
                [[{"deep_key": 1}]],
            ],
        },
    }


def test_collision_snake_key_first() -> None:
    result = normalize({"traits": {"first_name": "Snake", "firstName": "Camel"}})
    assert result.value == {"traits": {"first_name": "Snake", "firstName": "Camel"}}
    (issue,) = result.issues
    assert issue.keyword == "key-collision"
    assert issue.severity is Severity.WARNING
    assert issue.path == ("traits", "firstName")
    assert "firstName" in issue.message
    assert "first_name" in issue.message


def test_collision_camel_key_first() -> None:
    result = normalize({"traits": {"firstName": "Camel", "first_name": "Snake"}})
    # The key already in snake_case keeps the name even though it comes second.
    assert result.value == {"traits": {"firstName": "Camel", "first_name": "Snake"}}
    (issue,) = result.issues
    assert issue.keyword == "key-collision"
    assert issue.severity is Severity.WARNING
    assert issue.path == ("traits", "firstName")


def test_collision_of_keys_none_in_snake_case() -> None:
    result = normalize({"orderId": 1, "OrderID": 2, "order-id": 3, "total": 4})
    assert result.value == {"order_id": 1, "OrderID": 2, "order-id": 3, "total": 4}
    assert [(i.path, i.keyword, i.severity) for i in result.issues] == [
        (("OrderID",), "key-collision", Severity.WARNING),
        (("order-id",), "key-collision", Severity.WARNING),
    ]


def test_collision_path_is_the_output_path() -> None:
    message = {"Properties": {"Products": [{"skuId": 1}, {"skuID": 2, "sku_id": 3}]}}
    result = normalize(message)
    assert result.value == {"properties": {"products": [{"sku_id": 1}, {"skuID": 2, "sku_id": 3}]}}
    (issue,) = result.issues
    assert issue.path == ("properties", "products", 1, "skuID")
    assert issue.json_path == "$.properties.products[1].skuID"


def test_issue_messages_never_echo_values() -> None:
    result = normalize({"eMail": "ann@example.com", "e_mail": "bob@example.com", "$": "secret"})
    assert len(result.issues) == 2
    for issue in result.issues:
        assert "example.com" not in issue.message
        assert "secret" not in issue.message


@pytest.mark.parametrize("key", ["$", "ÄÖÜ", "___", "€ £"])
def test_key_with_nothing_to_keep(key: str) -> None:
    result = normalize({"properties": {key: 1, "amount": 2}})
    assert result.value == {"properties": {key: 1, "amount": 2}}
    (issue,) = result.issues
    assert issue.keyword == "empty-key"
    assert issue.severity is Severity.WARNING
    assert issue.path == ("properties", key)


def test_empty_key_is_snake_case_already() -> None:
    result = normalize({"": 1, "$": 2, "a": 3})
    assert result.value == {"": 1, "$": 2, "a": 3}
    assert [(i.path, i.keyword) for i in result.issues] == [(("$",), "empty-key")]


def test_issues_come_in_document_order() -> None:
    message = {
        "b": {"aB": 1, "a_b": 2},
        "a": [{"xY": 1, "x_y": 2}, {"$": 3}],
        "c": {"d": {"eF": 1, "e_f": 2}},
    }
    paths = [issue.path for issue in normalize(message).issues]
    assert paths == [("b", "aB"), ("a", 0, "xY"), ("a", 1, "$"), ("c", "d", "eF")]


def test_the_input_is_not_changed() -> None:
    message: dict[str, Any] = {
        "userId": "u",
        "traits": {"firstName": "A", "first_name": "B", "$": 1},
        "integrations": {"All": True},
        "properties": {"products": [{"productId": 1}, ({"inTuple": 2},)]},
    }
    before = copy.deepcopy(message)
    value = normalize(message).value
    assert message == before
    assert value["traits"] is not message["traits"]
    assert value["integrations"] is not message["integrations"]
    assert value["properties"]["products"] is not message["properties"]["products"]


def test_mappings_and_tuples_become_dicts_and_lists() -> None:
    message = MappingProxyType({"userId": "u", "tags": ("a", MappingProxyType({"tagName": 1}))})
    assert normalize(message).value == {"user_id": "u", "tags": ["a", {"tag_name": 1}]}


def test_keys_that_are_not_strings_are_kept() -> None:
    marker = object()
    result = normalize({1: {"aB": 1}, None: "n", ("t",): marker, "cD": 2})
    assert result.value == {1: {"a_b": 1}, None: "n", ("t",): marker, "c_d": 2}
    assert result.value[("t",)] is marker
    assert result.issues == ()


def test_unknown_objects_are_leaves() -> None:
    class Thing:
        pass

    thing = Thing()
    value = normalize({"aThing": thing, "aSet": {1, 2}}).value
    assert value["a_thing"] is thing
    assert value["a_set"] == {1, 2}


def test_no_value_is_lost_when_a_mapping_repeats_a_key() -> None:
    result = normalize({"outer": Repeats([("a", 1), ("a", 2)])})
    assert result.value == {"outer": {"a": 1, "a (2)": 2}}
    assert [(i.path, i.keyword) for i in result.issues] == [
        (("outer", "a"), "key-collision"),
        (("outer", "a (2)"), "key-collision"),
    ]


def test_a_value_that_contains_itself() -> None:
    message: dict[str, Any] = {"userId": "u", "list": []}
    message["self"] = message
    message["list"].append(message["list"])
    value = normalize(message).value
    assert value["user_id"] == "u"
    # The root is a message (its integrations keep their keys); the same dict below it is a
    # plain object, normalized once as such, and it contains itself.
    assert value["self"] == {"user_id": "u", "list": value["list"], "self": value["self"]}
    assert value["self"]["self"] is value["self"]
    assert value["list"][0] is value["list"]
    assert "userId" in message  # the input is untouched


def test_a_shared_object_is_normalized_once_and_shared() -> None:
    """An object reached from two places is normalized once: both places hold the same
    output, and its issues are reported at the first place."""
    shared = {"aB": 1, "a_b": 2}
    result = normalize({"x": shared, "y": [shared]})
    assert result.value == {"x": {"aB": 1, "a_b": 2}, "y": [{"aB": 1, "a_b": 2}]}
    assert result.value["y"][0] is result.value["x"]
    assert [issue.path for issue in result.issues] == [("x", "aB")]


def test_sharing_at_every_level_takes_no_exponential_time() -> None:
    """A list holding the same list twice, 200 levels deep, stands for 2**200 leaves: it is
    normalized in one walk of its 200 distinct lists."""
    deep: Any = {"leafKey": 1}
    for _ in range(200):
        deep = [deep, deep]
    value = normalize({"topKey": deep}).value["top_key"]
    for _ in range(200):
        assert value[0] is value[1]
        value = value[0]
    assert value == {"leaf_key": 1}


def test_more_distinct_keys_than_the_caches_hold() -> None:
    payload = {f"key{n}Name": n for n in range(20_000)}
    value = normalize(payload).value
    assert value == {f"key{n}_name": n for n in range(20_000)}


DEPTH = 200_000


def test_deep_lists() -> None:
    deep: list[Any] = ["bottom"]
    for _ in range(DEPTH):
        deep = [deep]
    value = normalize(deep).value
    depth = 0
    while value != ["bottom"]:  # compares one level only, no recursion
        assert isinstance(value, list)
        assert len(value) == 1
        value = value[0]
        depth += 1
    assert depth == DEPTH


def test_deep_objects() -> None:
    deep: dict[str, Any] = {"leafKey": 1}
    for _ in range(DEPTH):
        deep = {"nextLevel": deep, "items": [1]}
    result = normalize(deep)
    assert result.issues == ()
    value = result.value
    depth = 0
    while "next_level" in value:
        assert list(value) == ["next_level", "items"]
        value = value["next_level"]
        depth += 1
    assert depth == DEPTH
    assert value == {"leaf_key": 1}


# --- properties ----------------------------------------------------------------------------------

TRICKY_KEYS = [
    "orderId",
    "order_id",
    "OrderID",
    "order-id",
    "$",
    "ÄÖÜ",
    "___",
    "",
    "userID",
    "user_id",
    "a b",
    "a_b",
    "aB",
    "integrations",
    "Integrations",
    "batch",
    "Google Analytics",
    "5TEst",
]
keys = st.one_of(st.sampled_from(TRICKY_KEYS), st.text(max_size=12))
leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=8),
)
json_values = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=5),
    ),
    max_leaves=40,
)
objects = st.dictionaries(keys, json_values, max_size=6)
messages = st.one_of(
    json_values,
    objects,
    st.builds(lambda batch, rest: {**rest, "batch": batch}, st.lists(objects, max_size=3), objects),
)


def canonical(leaf: object) -> str:
    return json.dumps(leaf, sort_keys=True)


def walk(value: Any) -> tuple[Counter[str], int]:
    """The multiset of leaves (canonical JSON) and the number of object entries."""
    found: Counter[str] = Counter()
    entries = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            entries += len(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        else:
            found[canonical(item)] += 1
    return found, entries


def is_destination_names(path: tuple[str | int, ...]) -> bool:
    return path == ("integrations",) or (
        len(path) == 3
        and path[0] == "batch"
        and isinstance(path[1], int)
        and path[2] == "integrations"
    )


def key_pairs(
    before: Any, after: Any
) -> Iterator[tuple[tuple[str | int, ...], Any, Any, tuple[str | int, ...]]]:
    """Each object entry as (output path of its object, input key, output key, its output path).

    Relies on normalize keeping the order of keys.
    """
    stack: list[tuple[Any, Any, tuple[str | int, ...]]] = [(before, after, ())]
    while stack:
        old, new, path = stack.pop()
        if isinstance(old, dict):
            assert isinstance(new, dict)
            pairs = zip(old.items(), new.items(), strict=True)
            for (old_key, old_value), (new_key, new_value) in pairs:
                yield path, old_key, new_key, (*path, new_key)
                stack.append((old_value, new_value, (*path, new_key)))
        elif isinstance(old, list):
            assert isinstance(new, list)
            stack.extend((o, n, (*path, i)) for i, (o, n) in enumerate(zip(old, new, strict=True)))


def check_no_value_lost(before: Any, after: Any) -> None:
    assert walk(after) == walk(before)


def check_keys_accounted_for(before: Any, result: Normalized) -> None:
    warned = {(issue.path, issue.keyword) for issue in result.issues}
    for parent, old_key, new_key, path in key_pairs(before, result.value):
        if is_destination_names(parent):
            assert new_key == old_key
        elif new_key != snake_case(old_key):
            assert new_key == old_key
            keyword = "empty-key" if snake_case(old_key) == "" else "key-collision"
            assert (path, keyword) in warned
    for issue in result.issues:
        assert issue.severity is Severity.WARNING


@given(messages)
@settings(max_examples=200)
def test_property_no_value_lost_and_every_key_accounted_for(message: Any) -> None:
    before = copy.deepcopy(message)
    result = normalize(message)
    assert message == before
    check_no_value_lost(message, result.value)
    check_keys_accounted_for(message, result)


@given(messages)
@settings(max_examples=200)
def test_property_idempotent(message: Any) -> None:
    once = normalize(message)
    twice = normalize(once.value)
    assert twice.value == once.value
    assert twice.issues == once.issues


@given(st.text())
def test_property_snake_case_output_is_snake_and_stable(key: str) -> None:
    converted = snake_case(key)
    assert converted == "" or SNAKE.fullmatch(converted)
    assert snake_case(converted) == converted
    assert set(converted) <= set("abcdefghijklmnopqrstuvwxyz0123456789_")


# --- real data -----------------------------------------------------------------------------------


def corpus_lines() -> Iterator[tuple[str, int, Any]]:
    folder = shared_path("corpus", "real")
    files = sorted(folder.glob("*.ndjson"))
    assert files, f"no .ndjson file in {folder}"
    for file in files:
        with file.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if line.strip():
                    yield file.name, number, json.loads(line)


def expected_collisions(before: Any, after: Any) -> set[tuple[str | int, ...]]:
    """Output paths of the keys that must keep their name because of a collision (our policy)."""
    expected: set[tuple[str | int, ...]] = set()
    entries: dict[tuple[str | int, ...], list[Any]] = {}
    for parent, old_key, _, _ in key_pairs(before, after):
        if not is_destination_names(parent):
            entries.setdefault(parent, []).append(old_key)
    for parent, old_keys in entries.items():
        groups: dict[str, list[str]] = {}
        for key in old_keys:
            if snake_case(key):
                groups.setdefault(snake_case(key), []).append(key)
        for name, group in groups.items():
            winner = name if name in group else group[0]
            expected.update((*parent, key) for key in group if key != winner)
    return expected


def test_real_corpus() -> None:
    lines = collisions = messages_with_collisions = 0
    for name, number, message in corpus_lines():
        where = f"{name}:{number}"
        before = copy.deepcopy(message)
        result = normalize(message)
        assert message == before, where
        check_no_value_lost(message, result.value)
        check_keys_accounted_for(message, result)
        twice = normalize(result.value)
        assert twice.value == result.value, where
        assert twice.issues == result.issues, where
        reported = {i.path for i in result.issues if i.keyword == "key-collision"}
        expected = expected_collisions(message, result.value)
        assert reported == expected, where
        collisions += len(expected)
        messages_with_collisions += bool(expected)
        lines += 1
    assert lines > 5000
    # snake-case.md says "firstName and first_name; seen 39 times in the real corpus". Counted
    # one per key that keeps its name, the corpus holds 41 in 22 messages (firstName/lastName
    # beside first_name/last_name, orderId, userId, CUSTOM_KEY, "ome_ ga").
    assert (collisions, messages_with_collisions) == (41, 22)


def test_more_distinct_keys_than_the_cache_holds() -> None:
    # 40 objects of 400 fresh keys each: the key caches are cleared while the walk goes on.
    value = {f"groupKey{g}": {f"someKey{g}x{k}": k for k in range(400)} for g in range(40)}
    result = normalize(value)
    assert result.issues == ()
    assert len(result.value) == 40
    assert result.value["group_key7"]["some_key7x399"] == 399
    assert sum(len(inner) for inner in result.value.values()) == 16_000


# --- messages already in snake_case (the owned fast path) ---------------------------------------

SNAKE_ISH_KEYS = [
    "user_id",
    "traits",
    "a_b",
    "x1",
    "integrations",
    "batch",
    "Google Analytics",
    "clientId",
    "",
    "_",
]
snake_ish_values = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(SNAKE_ISH_KEYS), children, max_size=4),
    ),
    max_leaves=30,
)
snake_ish_messages = st.dictionaries(st.sampled_from(SNAKE_ISH_KEYS), snake_ish_values, max_size=5)


@given(st.one_of(snake_ish_messages, messages))
@settings(max_examples=300)
def test_property_owned_values_normalize_the_same(message: Any) -> None:
    expected = normalize(message)
    mine = copy.deepcopy(message)
    value, issues = normalize_parts(mine, owned=True)
    assert value == expected.value
    assert issues == expected.issues
    # Only a message that needs no change at all is given back as it is.
    if value is mine:
        assert expected.value == message
        assert expected.issues == ()
    assert normalize_parts(message)[0] is not message or type(message) is not dict


def test_an_owned_snake_message_is_kept_as_it_is() -> None:
    message = {
        "type": "track",
        "user_id": 1,
        "integrations": {"Google Analytics": {"client_id": "c"}, "All": True},
        "properties": {"products": [{"product_id": "p", "tags": ["a", {"b_c": None}]}]},
    }
    value, issues = normalize_parts(message, owned=True)
    assert value is message
    assert issues == ()
    # Without owned=True the caller's value is never handed back.
    copied, _ = normalize_parts(message)
    assert copied == message
    assert copied is not message


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"a": {"b": [{"deepKey": 1}]}}, {"a": {"b": [{"deep_key": 1}]}}),
        (
            {"integrations": {"Google Analytics": {"clientId": "c"}}},
            {"integrations": {"Google Analytics": {"client_id": "c"}}},
        ),
        ({"batch": [{"user_id": 1}]}, {"batch": [{"user_id": 1}]}),
        ({"a": {"": 1, "_": 2}}, {"a": {"": 1, "_": 2}}),
    ],
)
def test_an_owned_message_with_anything_to_convert_is_normalized(
    message: dict[str, Any], expected: dict[str, Any]
) -> None:
    value, issues = normalize_parts(copy.deepcopy(message), owned=True)
    assert value == expected
    assert issues == normalize(message).issues


# --- a large object just parsed is renamed without being held twice ----------------------------


def _big_object(size: int, extra: dict[str, Any] | None = None, at: int = 0) -> dict[str, Any]:
    keys = [f"someKey{index}Name" for index in range(size)]
    obj: dict[str, Any] = dict(zip(keys, range(size), strict=True))
    if extra:  # inserted at position ``at``
        items = list(obj.items())
        obj = dict(items[:at] + list(extra.items()) + items[at:])
    return obj


@pytest.mark.parametrize(
    ("extra", "at"),
    [
        (None, 0),
        ({"some_key0_name": "x"}, 5),  # collides with a key before it
        ({"some_key1999_name": "x"}, 0),  # with one after it
        ({"some_key1999_name": "x"}, 2000),  # the very last key
        ({"$$": "x"}, 1000),  # a key that becomes empty
        ({"nested": {"aB": 1, "a_b": 2, "cD": [{"eF": 3}]}}, 7),
    ],
)
def test_an_owned_object_gets_what_a_callers_object_gets(
    extra: dict[str, Any] | None, at: int
) -> None:
    """The owned walk (which empties a large object as it renames it) gives the value and the
    issues the caller's walk (which leaves it alone) gives, collisions and empty keys included;
    at the root, as an envelope's context, and as a batch item's."""
    from segment_spec._normalize import _HUGE

    value = {"type": "track", "context": _big_object(2 * _HUGE, extra, at)}
    expected = Normalizer().normalize(copy.deepcopy(value))
    got = Normalizer().parts(copy.deepcopy(value), owned=True)
    assert got == (expected.value, expected.issues)
    assert list(got[0]["context"]) == list(expected.value["context"])  # in the same order
    item = Normalizer().message(copy.deepcopy(value), owned=True)
    assert item == Normalizer().message(copy.deepcopy(value))


@settings(max_examples=300)
@given(
    st.dictionaries(
        st.one_of(st.text(max_size=6), st.sampled_from(["aB", "a_b", "$", "", "A", "a"])),
        st.integers(),
        max_size=12,
    )
)
def test_an_object_emptied_as_it_is_renamed_is_rebuilt_on_a_collision(obj: dict[str, Any]) -> None:
    """``_consumed`` gives the renamed object and leaves ``obj`` empty, or, on a collision or an
    empty key, gives None and leaves ``obj`` as it was, key for key and in order."""
    from segment_spec._normalize import _consumed, _KeyCache

    keys = _KeyCache()
    before = list(obj.items())
    renamed = {keys[key]: value for key, value in before}
    made = _consumed(obj, keys)
    if len(renamed) == len(before) and "" not in renamed:
        assert made == renamed
        assert list(made) == list(renamed)
        assert obj == {}
    else:
        assert made is None
        assert list(obj.items()) == before


@pytest.mark.parametrize("spelled", ["camel", "snake"])
@pytest.mark.parametrize("owned", [True, False])
def test_no_memo_keeps_the_keys_of_a_huge_object(spelled: str, owned: bool) -> None:
    """The keys of an object of more than ``_HUGE`` keys are converted and never learnt (a
    flood of fresh keys would otherwise fill the memos and push out the keys of real traffic),
    whether it was just parsed or is the caller's; an object of ``_HUGE`` keys is learnt."""
    from segment_spec._normalize import _HUGE

    def names(count: int, start: int) -> list[str]:
        form = "fieldNumber{}" if spelled == "camel" else "field_number_{}"
        return [form.format(n) for n in range(start, start + count)]

    normalizer = Normalizer()
    huge, learnt = names(_HUGE + 1, 0), names(_HUGE, _HUGE + 1)
    for keys in (huge, learnt):
        value = {"type": "track", "context": dict.fromkeys(keys, 1)}
        got = normalizer.parts(value, owned=True) if owned else normalizer.normalize(value)
        context = got[0]["context"] if owned else got.value["context"]
        assert context == {snake_case(key): 1 for key in keys}
    memos = (normalizer._converted, normalizer._fast_keys, normalizer.known_snake_keys())
    assert not any(key in memo for key in huge for memo in memos)
    assert all(any(key in memo for memo in memos) for key in learnt)


@pytest.mark.parametrize(
    "extra",
    [
        {"some_key0_name": "x"},  # a collision with the first key
        {"some_key2047_name": "x", "$$": "y"},  # with the last, and a key that becomes empty
        {7: "x", "some_key5_name": "y"},  # a key that is not a string, and a collision
    ],
)
@pytest.mark.parametrize("at", [0, 1000, 2000])
def test_a_huge_dict_with_collisions_is_renamed_as_any_mapping_is(
    extra: dict[Any, Any], at: int
) -> None:
    """A dict of more than ``_HUGE`` keys converts each key once and renames it from those
    conversions; a read-only Mapping of the same items takes the per-item way: the same value,
    in the same order, and the same issues."""
    from segment_spec._normalize import _HUGE

    obj = _big_object(2 * _HUGE, extra, at)
    as_dict = Normalizer().normalize({"type": "track", "properties": dict(obj)})
    as_mapping = Normalizer().normalize({"type": "track", "properties": MappingProxyType(obj)})
    assert as_dict.value == as_mapping.value
    assert list(as_dict.value["properties"]) == list(as_mapping.value["properties"])
    assert as_dict.issues == as_mapping.issues
    assert any(issue.keyword == "key-collision" for issue in as_dict.issues)


def test_snake_case_keys_are_known_in_the_order_found() -> None:
    """The keys found to be their own snake_case come back in the order of the traffic, each
    once, whatever the hash seed (the snake_case reader takes the earliest when it is full): a
    set's order would differ between processes."""
    from segment_spec._normalize import _HUGE, _KEY_CACHE_SIZE

    normalizer = Normalizer()
    messages = [
        {"type": "track", "event": "E", "user_id": "u", "properties": {f"k_{n}": n, "k_0": 0}}
        for n in range(40)
    ]
    for message in messages:
        assert normalizer.parts(message, owned=True)[0] is message  # already snake_case
    keys = normalizer.known_snake_keys()
    assert keys == ("type", "event", "user_id", "properties", *(f"k_{n}" for n in range(40)))
    # A memo that is full starts over, order and all.
    normalizer = Normalizer()
    chunks = [[f"key_{n}_{m}" for m in range(_HUGE)] for n in range(_KEY_CACHE_SIZE // _HUGE)]
    for chunk in chunks:
        assert normalizer._snake_keys(dict.fromkeys(chunk, 0))
    assert normalizer.known_snake_keys() == tuple(key for chunk in chunks for key in chunk)
    assert normalizer._snake_keys({"last_key": 0})
    assert normalizer.known_snake_keys() == ("last_key",)
