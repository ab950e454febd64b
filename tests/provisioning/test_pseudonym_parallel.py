"""Parallel pseudonymisation gives exactly the serial results, in the same order."""

from __future__ import annotations

from openhaven.provisioning.pseudonym import project_key, pseudonyms_and_offsets
from openhaven.provisioning.pseudonym_parallel import pseudonyms_and_offsets_parallel


def test_parallel_matches_serial_in_order() -> None:
    key = project_key(b"\x07" * 32, "OH-PARALLEL")
    tokens = [b"nhs:%010d" % (4000000000 + i * 7) for i in range(3001)] + [b"pid:x-1"]
    serial = pseudonyms_and_offsets(key, tokens)
    parallel = pseudonyms_and_offsets_parallel(key, tokens, workers=3, threshold=0)
    assert parallel == serial
    assert len(set(parallel[0])) == len(tokens)


def test_small_cohorts_stay_serial_and_empty_is_empty() -> None:
    key = project_key(b"\x07" * 32, "OH-PARALLEL")
    assert pseudonyms_and_offsets_parallel(key, [], workers=2, threshold=0) == ([], [])
    one = [b"nhs:4000000007"]
    assert pseudonyms_and_offsets_parallel(key, one, workers=2) == pseudonyms_and_offsets(key, one)
