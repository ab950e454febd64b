"""The membership store: a stable dense index per patient and one bitmap per extract."""

from __future__ import annotations

from pathlib import Path

import pytest

from openhaven.core.errors import InvalidInput
from openhaven.transparency.membership_store import MembershipStore


def test_indices_are_dense_stable_and_assigned_once(tmp_path: Path) -> None:
    store = MembershipStore(tmp_path / "transparency")
    assert store.assign_indices(["a", "b", "a", "c"]) == [0, 1, 0, 2]
    assert store.assign_indices(["c", "d", "b"]) == [2, 3, 1]
    assert store.indices_of(["d", "unknown", "a"]) == [0, 3]
    assert MembershipStore(store.folder).indices_of(["b"]) == [1]  # another process agrees


def test_look_up_finds_exactly_the_extracts_that_included_a_patient(tmp_path: Path) -> None:
    store = MembershipStore(tmp_path / "transparency")
    store.write(7, [0, 5, 70_000])
    store.write(3, [5, 1_000_000])
    store.write(12, [])
    assert store.extracts_including([5]) == [3, 7]
    assert store.extracts_including([70_000]) == [7]
    assert store.extracts_including([1]) == []
    assert store.extracts_including([]) == []
    assert store.extract_ids() == [3, 7, 12]
    assert store.size_on_disk() > 0


def test_a_rewritten_bitmap_is_read_again_not_served_from_the_cache(tmp_path: Path) -> None:
    store = MembershipStore(tmp_path / "transparency")
    store.write(1, [10])
    assert store.extracts_including([10]) == [1]
    store.write(1, [11])
    assert store.extracts_including([10]) == []
    assert store.extracts_including([11]) == [1]


def test_a_write_leaves_no_temporary_file_and_refuses_a_negative_id(tmp_path: Path) -> None:
    store = MembershipStore(tmp_path / "transparency")
    store.write(2, range(100))
    assert [p.name for p in store.bitmaps.iterdir()] == ["2.roaring"]
    with pytest.raises(InvalidInput, match="extract id"):
        store.write(-1, [1])


def test_keyed_digests_find_a_patients_indices(tmp_path: Path) -> None:
    store = MembershipStore(tmp_path / "transparency")
    assert store.indices_for_key(b"k" * 16) == []  # nothing recorded yet
    indices, fresh = store.assign_and_report(["a", "b"])
    assert indices == [0, 1]
    assert fresh == [("a", 0), ("b", 1)]
    assert store.assign_and_report(["b", "c"])[1] == [("c", 2)]
    store.add_nhs_keys([(b"k" * 16, 1), (b"k" * 16, 2), (b"j" * 16, 0), (b"k" * 16, 1)])
    assert store.indices_for_key(b"k" * 16) == [1, 2]
    assert store.indices_for_key(b"x" * 16) == []
