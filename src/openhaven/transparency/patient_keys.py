"""Keyed digests of NHS numbers, so the membership store can be searched by NHS number.

A patient asks by NHS number; the membership store is keyed by the record store's ids.
Searching 10,000,000 records for an NHS number on every look-up would cost hundreds of
milliseconds, so when a patient first enters an extract their NHS number's keyed digest
(HMAC-SHA256 under the master key, in a context of its own, first 16 bytes) is recorded
beside their index. The digest cannot be reversed or recomputed without the master key and
matches neither project pseudonyms nor ledger references; the store never holds the number.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

import pyarrow as pa

from openhaven.core.haven import Haven
from openhaven.engine import open_session

_CONTEXT = b"openhaven/transparency/nhs-key/v1/"
KEY_BYTES = 16


def nhs_key(haven: Haven, nhs_number: str) -> bytes:
    return nhs_key_with(haven.master_key(), nhs_number)


def nhs_key_with(master_key: bytes, nhs_number: str) -> bytes:
    digest = hmac.new(master_key, _CONTEXT + nhs_number.encode("ascii"), hashlib.sha256)
    return digest.digest()[:KEY_BYTES]


def keyed_nhs_numbers(haven: Haven, patient_ids: Sequence[str]) -> list[tuple[bytes, str]]:
    """(digest, patient id) for each of ``patient_ids`` that has an NHS number."""
    if not patient_ids or not haven.paths.record_store.exists():
        return []
    with open_session(haven.paths.record_store, read_only=True) as data:
        data.register("_wanted", pa.table({"patient_id": pa.array(patient_ids, pa.string())}))
        found = data.query(
            "SELECT p.patient_id, p.nhs_number FROM patients p "
            "JOIN _wanted USING (patient_id) WHERE p.nhs_number IS NOT NULL"
        )
    master = haven.master_key()
    return [
        (nhs_key_with(master, str(number)), str(pid))
        for pid, number in zip(found.column("patient_id").to_pylist(),
                               found.column("nhs_number").to_pylist(), strict=True)
    ]
