"""Fuzz the command line's file reader: any file content is split into records, and each record
checked, without an error other than the usage error for a file that cannot be read."""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from common import check_reply

    from segment_spec._files import check_record, records


def test_one_input(data: bytes) -> None:
    for record in records("fuzzed.ndjson", data):
        count, findings = check_record(record, False, None)
        assert count >= 1
        for finding in findings:
            check_reply(finding.rejection)
            finding.as_text()
            finding.as_json()


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
