"""Fuzz api_key: any header, as bytes or text, gives a key or raises Unauthorized with a 401."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    import segment_spec


def test_one_input(data: bytes) -> None:
    for header in (data, data.decode("utf-8", "surrogateescape"), b"Basic " + data):
        try:
            key = segment_spec.api_key(header)
        except segment_spec.Unauthorized as error:
            assert error.rejection.status == 401
            assert set(error.rejection.body) == {"message"}
        else:
            assert isinstance(key, str)
            assert key.strip()
            segment_spec.keys_match(key, "expected")


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
