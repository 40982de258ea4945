"""Fuzz check: any body, in lax and strict mode, gets a typed message or a reply; and a body that
the standard library reads gets the same answer as the value it reads."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from common import check_reply, json_value

    import segment_spec


def test_one_input(data: bytes) -> None:
    strict = bool(data[:1]) and data[0] & 1 == 1
    body = data[1:]
    result = segment_spec.check(body, strict=strict)
    check_reply(result)
    readable, value = json_value(body)
    if readable and not body.startswith(b"\xef\xbb\xbf"):
        # One answer for one message: the value gets what its text gets (the documented
        # differences: whitespace counts in a body's size, and nesting past msgspec's depth).
        parsed = segment_spec.check(value, strict=strict)
        check_reply(parsed)
        if len(body) <= 16 * 1024 and body.count(b"[") + body.count(b"{") < 500:
            assert type(parsed) is type(result), (body, parsed, result)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
