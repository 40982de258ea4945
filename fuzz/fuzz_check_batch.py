"""Fuzz check_batch: any body gets a Batch, one result per item, or a reply; and a body that the
standard library reads gets the same answer as the value it reads."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from common import check_reply, json_value

    import segment_spec


def test_one_input(data: bytes) -> None:
    strict = bool(data[:1]) and data[0] & 1 == 1
    body = data[1:]
    result = segment_spec.check_batch(body, strict=strict)
    if isinstance(result, segment_spec.Batch):
        for item in result.results:
            check_reply(item)
    else:
        check_reply(result)
    readable, value = json_value(body)
    if readable and not body.startswith(b"\xef\xbb\xbf"):
        # One answer for one batch: the value gets what its text gets, item by item (the
        # documented differences: whitespace counts in a body's size, and so in the issues
        # listed, and nesting past msgspec's depth).
        parsed = segment_spec.check_batch(value, strict=strict)
        if len(body) <= 16 * 1024 and body.count(b"[") + body.count(b"{") < 500:
            assert _shape(parsed) == _shape(result), (body, parsed, result)


def _shape(result: segment_spec.Batch | segment_spec.Rejection) -> object:
    """What a batch's answer is, below the issues listed: its status, or each item's."""
    if isinstance(result, segment_spec.Rejection):
        return result.status
    return [type(item).__name__ for item in result.results]


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
