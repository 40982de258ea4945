"""The API key from Segment's ``Authorization: Basic base64("<key>:")`` header."""

from __future__ import annotations

from base64 import b64encode

import pytest
from hypothesis import given
from hypothesis import strategies as st

import segment_spec
from segment_spec import Rejection, Unauthorized, api_key, keys_match


def basic(credentials: str | bytes) -> str:
    """``Basic <base64(credentials)>``."""
    raw = credentials.encode("utf-8") if isinstance(credentials, str) else credentials
    return "Basic " + b64encode(raw).decode("ascii")


# --- accepted headers --------------------------------------------------------------------------


def test_seed_example_carries_the_key_segment() -> None:
    # The partner guide's own example (shared/seeds/direct-destinations.txt).
    assert api_key("Basic c2VnbWVudDo=") == "segment"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param(basic("segment:"), "segment", id="key-and-colon"),
        pytest.param(basic("segment:a-password"), "segment", id="password-ignored"),
        pytest.param(basic("segment:pass:word"), "segment", id="colons-in-password"),
        pytest.param(b"Basic c2VnbWVudDo=", "segment", id="bytes"),
        pytest.param("basic c2VnbWVudDo=", "segment", id="lowercase-scheme"),
        pytest.param("BASIC c2VnbWVudDo=", "segment", id="uppercase-scheme"),
        pytest.param("  Basic    c2VnbWVudDo=  ", "segment", id="extra-spaces"),
        pytest.param("Basic c2VnbWVudDo=\r\n", "segment", id="trailing-crlf"),
        pytest.param(basic("clé-ü-鍵:"), "clé-ü-鍵", id="non-ascii-key"),
        pytest.param(basic(" spaced key :"), " spaced key ", id="key-kept-verbatim"),
    ],
)
def test_api_key_is_the_user_name(header: str | bytes, expected: str) -> None:
    assert api_key(header) == expected


def test_api_key_is_exported() -> None:
    assert {"api_key", "keys_match", "Unauthorized"} <= set(segment_spec.__all__)
    assert issubclass(Unauthorized, ValueError)


# --- rejected headers --------------------------------------------------------------------------

SECRET = "s3cr3t-Key_42"

REJECTED = [
    pytest.param(None, id="missing"),
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
    pytest.param(b"", id="empty-bytes"),
    pytest.param("Basic", id="scheme-only"),
    pytest.param(f"Bearer {SECRET}", id="bearer"),
    pytest.param(f"Token {b64encode(f'{SECRET}:'.encode()).decode()}", id="other-scheme"),
    pytest.param(f"{SECRET}", id="no-scheme"),
    pytest.param(f"Basic {SECRET}!!", id="not-base64"),
    pytest.param("Basic c2VnbWVudDo", id="unpadded-base64"),
    pytest.param(f"Basic {SECRET}:", id="plain-text-credentials"),
    pytest.param(basic(b"\xff\xfe" + SECRET.encode() + b":"), id="not-utf8"),
    pytest.param(basic(SECRET), id="no-colon"),
    pytest.param(basic(":"), id="empty-key"),
    pytest.param(basic("   :"), id="blank-key"),
    pytest.param(basic(":" + SECRET), id="empty-key-with-password"),
    pytest.param(b"Basic \xff\xfe", id="bytes-not-base64"),
    # RFC 7235: only spaces separate the scheme from the credentials.
    pytest.param("Basic\tc2VnbWVudDo=", id="tab-separator"),
    pytest.param("Basic\xa0c2VnbWVudDo=", id="no-break-space-separator"),
    pytest.param("Basic\u3000c2VnbWVudDo=", id="ideographic-space-separator"),
    pytest.param("Basic\nc2VnbWVudDo=", id="newline-separator"),
    pytest.param("Basicc2VnbWVudDo=", id="no-separator"),
    pytest.param("Basic c2VnbW VudDo=", id="space-inside-credentials"),
    pytest.param("Basic\xa0", id="scheme-and-no-break-space"),
]


@pytest.mark.parametrize("header", REJECTED)
def test_unusable_header_raises_unauthorized_with_a_401(header: str | bytes | None) -> None:
    with pytest.raises(Unauthorized) as caught:
        api_key(header)
    rejection = caught.value.rejection
    assert rejection.status == 401
    assert set(rejection.body) == {"message"}
    message = rejection.body["message"]
    assert isinstance(message, str)
    assert message.strip()
    assert rejection.issues
    assert rejection.issues[0].keyword == "unauthorized"
    assert str(caught.value)


@pytest.mark.parametrize("header", REJECTED)
def test_rejection_never_echoes_the_credentials(header: str | bytes | None) -> None:
    with pytest.raises(Unauthorized) as caught:
        api_key(header)
    rendered = [
        caught.value.rejection.body["message"],
        caught.value.rejection.json().decode("utf-8"),
        str(caught.value),
        str(caught.value.rejection),
        *(issue.message for issue in caught.value.rejection.issues),
    ]
    secrets = [SECRET]
    if isinstance(header, str | bytes) and header:
        text = header.decode("latin-1") if isinstance(header, bytes) else header
        credentials = text.strip().partition(" ")[2].strip()
        if len(credentials) > 3:
            secrets.append(credentials)
    for text in rendered:
        for secret in secrets:
            assert secret not in text


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        (None, "missing"),
        ("", "empty"),
        ("Bearer x", "Basic"),
        ("Basic !!!", "base64"),
        (basic("segment"), "colon"),
        (basic(":"), "empty"),
        ("Basic\xa0c2VnbWVudDo=", "followed by a space"),
        ("Basic", "no credentials"),
    ],
)
def test_rejection_says_what_is_wrong(header: str | None, fragment: str) -> None:
    with pytest.raises(Unauthorized) as caught:
        api_key(header)
    assert fragment in caught.value.rejection.body["message"]


def test_non_text_header_is_unauthorized() -> None:
    with pytest.raises(Unauthorized) as caught:
        api_key(12345)  # type: ignore[arg-type]
    assert caught.value.rejection.status == 401


# --- keys_match --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_key", "expected", "match"),
    [
        ("segment", "segment", True),
        ("segment", "Segment", False),
        ("segment", "segmen", False),
        ("segment", "segment ", False),
        ("", "segment", False),
        ("", "", True),
        ("clé-ü-鍵", "clé-ü-鍵", True),
        ("clé-ü-鍵", "cle-u-鍵", False),
        ("é", "e\u0301", False),  # no Unicode normalization: the bytes must match
    ],
)
def test_keys_match(given_key: str, expected: str, match: bool) -> None:
    assert keys_match(given_key, expected) is match
    assert keys_match(expected, given_key) is match


def test_keys_match_with_a_decoded_header() -> None:
    assert keys_match(api_key("Basic c2VnbWVudDo="), "segment")
    assert not keys_match(api_key("Basic c2VnbWVudDo="), "other")


# --- properties --------------------------------------------------------------------------------


def _outcome(header: str | bytes | None) -> str | Rejection:
    """The key, or the rejection of an Unauthorized (any other exception propagates)."""
    try:
        return api_key(header)
    except Unauthorized as error:
        return error.rejection


keys = st.text(min_size=1).filter(lambda key: ":" not in key and key.strip() != "")


@given(key=keys, password=st.text())
def test_round_trip_any_key(key: str, password: str) -> None:
    assert api_key(basic(key + ":")) == key
    assert api_key(basic(f"{key}:{password}")) == key
    assert api_key(basic(key + ":").encode("ascii")) == key
    assert keys_match(api_key(basic(key + ":")), key)


@given(header=st.one_of(st.none(), st.text(), st.binary()))
def test_api_key_returns_a_str_or_raises_unauthorized(header: str | bytes | None) -> None:
    outcome = _outcome(header)
    if isinstance(outcome, Rejection):
        assert outcome.status == 401
        assert outcome.body["message"]
    else:
        assert isinstance(outcome, str)
        assert outcome.strip()
        assert ":" not in outcome


@given(
    scheme=st.sampled_from(["Basic", "basic", "BASIC", "bAsIc"]),
    credentials=st.one_of(st.text(), st.binary().map(lambda b: b64encode(b).decode("ascii"))),
)
def test_api_key_on_basic_headers_returns_a_str_or_raises_unauthorized(
    scheme: str, credentials: str
) -> None:
    outcome = _outcome(f"{scheme} {credentials}")
    if isinstance(outcome, Rejection):
        assert outcome.status == 401
    else:
        assert isinstance(outcome, str)
        assert outcome.strip()
