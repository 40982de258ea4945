"""Fuzz check_batch: any body gets a Batch, one result per item, or a reply."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from common import check_reply

    import segment_spec


def test_one_input(data: bytes) -> None:
    strict = bool(data[:1]) and data[0] & 1 == 1
    result = segment_spec.check_batch(data[1:], strict=strict)
    if isinstance(result, segment_spec.Batch):
        for item in result.results:
            check_reply(item)
    else:
        check_reply(result)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
