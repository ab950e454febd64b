"""Pseudonym columns, serial or parallel, hold exactly the serial reference values, in order."""

from __future__ import annotations

import pyarrow as pa

from openhaven.provisioning.pseudonym import project_key, pseudonyms_and_offsets
from openhaven.provisioning.pseudonym_parallel import pseudonym_columns

KEY = project_key(b"\x07" * 32, "OH-PARALLEL")
TOKENS = [b"nhs:%010d" % (4000000000 + i * 7) for i in range(3001)] + [b"pid:x-1"]


def test_parallel_columns_match_the_reference_in_order() -> None:
    expected_pseudonyms, expected_offsets = pseudonyms_and_offsets(KEY, TOKENS)
    pseudonyms, offsets = pseudonym_columns(KEY, TOKENS, workers=3, threshold=0)
    assert pseudonyms.type == pa.string() and offsets.type == pa.uint64()
    assert pseudonyms.to_pylist() == expected_pseudonyms
    assert offsets.to_pylist() == expected_offsets
    assert len(set(expected_pseudonyms)) == len(TOKENS)


def test_serial_columns_match_and_empty_is_empty() -> None:
    pseudonyms, offsets = pseudonym_columns(KEY, TOKENS[:5], workers=2)
    assert (pseudonyms.to_pylist(), offsets.to_pylist()) == pseudonyms_and_offsets(KEY, TOKENS[:5])
    empty = pseudonym_columns(KEY, [], workers=2, threshold=0)
    assert (len(empty[0]), len(empty[1])) == (0, 0)
