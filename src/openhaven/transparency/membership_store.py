"""Who was in each extract: one compressed bitmap per extract over a dense patient index.

A patient asking "how was my data used" needs the extracts that included their record. The
extract folders hold pseudonyms, different in every project, so they cannot answer that
without recomputing every project's pseudonyms. Instead provisioning hands this store the
cohort's ``patient_id`` values once, when the extract is made:

- every patient gets a stable small integer (``patient_index.sqlite``: patient_id → index,
  assigned in order of first appearance, never reused), so a cohort is a set of integers;
- each extract's cohort is a Roaring bitmap written to ``extracts/<extract id>.roaring``
  (atomically: a temporary file, fsync, rename), compressed per 65,536-patient chunk, which
  keeps 1,000 extracts over 10,000,000 patients well under 2 GiB (see docs/benchmarks.md).

- a patient new to the store also gets the keyed digest of their NHS number recorded
  beside their index (``patient_keys``), so a look-up by NHS number never searches the
  record store.

A look-up checks one integer against every bitmap; the bitmaps are kept deserialised in the
process, reloaded only when a file changes, so a patient's page costs microseconds per
extract. The store holds no NHS number, name or other patient value — only the record
store's own ids, keyed digests and integers — and lives under ``<haven home>/transparency/``.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from pyroaring import BitMap, FrozenBitMap

from openhaven.core.errors import InvalidInput, Location
from openhaven.core.haven import Haven
from openhaven.transparency.patient_keys import keyed_nhs_numbers

INDEX_FILE = "patient_index.sqlite"
#: one B-tree keyed by the record store's id (no rowid, no second index: half the size);
#: the next free index is kept in ``next_index`` so assignment never scans
INDEX_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS patient_index ("
    "patient_id TEXT PRIMARY KEY, idx INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS next_index (one INTEGER PRIMARY KEY CHECK (one = 1), "
    "idx INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO next_index (one, idx) VALUES (1, 0)",
    # keyed digests of NHS numbers (never the numbers): a look-up needs no record store
    "CREATE TABLE IF NOT EXISTS nhs_keys (nhs_key BLOB NOT NULL, idx INTEGER NOT NULL, "
    "PRIMARY KEY (nhs_key, idx)) WITHOUT ROWID",
)
BITMAP_FOLDER = "extracts"
BITMAP_SUFFIX = ".roaring"
_SETTLED_NS = 1_000_000_000
#: SQLite's limit on bound parameters per statement, with room to spare
_BATCH = 900


def store_folder(haven: Haven) -> Path:
    return haven.home / "transparency"


class MembershipStore:
    """The patient index and the per-extract bitmaps in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.bitmaps = folder / BITMAP_FOLDER
        self._cache: dict[int, tuple[tuple[int, int], FrozenBitMap]] = {}
        #: the folder's modification stamp when the cache was last checked, and the bitmaps
        self._snapshot: tuple[int, list[tuple[int, FrozenBitMap]]] | None = None
        self._lock = threading.Lock()

    # -- the dense patient index -------------------------------------------------------------

    @contextlib.contextmanager
    def _index(self, *, read_only: bool = False) -> Iterator[sqlite3.Connection]:
        if read_only:
            connection = sqlite3.connect(
                f"file:{self.folder / INDEX_FILE}?mode=ro", uri=True, timeout=30
            )
        else:
            self.folder.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.folder / INDEX_FILE, timeout=30)
            for statement in INDEX_SCHEMA:
                connection.execute(statement)
            connection.commit()
        try:
            with connection:
                yield connection
        finally:
            connection.close()

    def assign_indices(self, patient_ids: Sequence[str]) -> list[int]:
        """The index of each patient id, assigning the next free integers to new ones."""
        return self.assign_and_report(patient_ids)[0]

    def assign_and_report(
        self, patient_ids: Sequence[str]
    ) -> tuple[list[int], list[tuple[str, int]]]:
        """Each patient id's index, and the (id, index) pairs assigned by this call."""
        unique = list(dict.fromkeys(patient_ids))
        rows: list[tuple[str, int]] = []
        with self._index() as connection:
            connection.execute("BEGIN IMMEDIATE")
            known = _lookup(connection, unique)
            fresh = [pid for pid in unique if pid not in known]
            if fresh:
                (start,) = connection.execute("SELECT idx FROM next_index").fetchone()
                rows = [(pid, start + n) for n, pid in enumerate(fresh)]
                connection.executemany(
                    "INSERT INTO patient_index (patient_id, idx) VALUES (?, ?)", rows
                )
                connection.execute("UPDATE next_index SET idx = ?", [start + len(fresh)])
                known.update(rows)
        return [known[pid] for pid in patient_ids], rows

    def add_nhs_keys(self, pairs: Iterable[tuple[bytes, int]]) -> None:
        """Remember which index each keyed NHS-number digest belongs to."""
        with self._index() as connection:
            connection.executemany(
                "INSERT OR IGNORE INTO nhs_keys (nhs_key, idx) VALUES (?, ?)", pairs
            )

    def indices_for_key(self, nhs_key: bytes) -> list[int]:
        """The indices recorded for one keyed NHS-number digest (none: in no extract)."""
        if not (self.folder / INDEX_FILE).exists():
            return []
        with self._index(read_only=True) as connection:
            found = connection.execute(
                "SELECT idx FROM nhs_keys WHERE nhs_key = ? ORDER BY idx", [nhs_key]
            ).fetchall()
        return [int(idx) for (idx,) in found]

    def indices_of(self, patient_ids: Iterable[str]) -> list[int]:
        """The indices of the given patients that were ever in an extract (others skipped)."""
        wanted = list(dict.fromkeys(patient_ids))
        if not (self.folder / INDEX_FILE).exists():
            return []
        with self._index(read_only=True) as connection:
            found = _lookup(connection, wanted)
        return sorted(found[pid] for pid in wanted if pid in found)

    # -- bitmaps, one per extract ------------------------------------------------------------

    def write(self, extract_id: int, indices: Iterable[int]) -> Path:
        """Write (or replace) ``extract_id``'s bitmap atomically; return its path."""
        if extract_id < 0:
            raise InvalidInput("extract id must not be negative", Location(field="extract_id"))
        bitmap = BitMap(indices)
        bitmap.run_optimize()
        self.write_serialised(extract_id, bitmap.serialize())
        return self.path_of(extract_id)

    def write_serialised(self, extract_id: int, data: bytes) -> None:
        self.bitmaps.mkdir(parents=True, exist_ok=True)
        target = self.path_of(extract_id)
        temporary = target.with_suffix(".tmp")
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)

    def path_of(self, extract_id: int) -> Path:
        return self.bitmaps / f"{extract_id}{BITMAP_SUFFIX}"

    def extract_ids(self) -> list[int]:
        if not self.bitmaps.exists():
            return []
        return sorted(
            int(path.stem) for path in self.bitmaps.glob(f"*{BITMAP_SUFFIX}") if path.stem.isdigit()
        )

    def bitmap(self, extract_id: int) -> FrozenBitMap:
        """The extract's cohort, from the in-process cache while the file is unchanged."""
        path = self.path_of(extract_id)
        status = path.stat()
        stamp = (status.st_ino, status.st_mtime_ns)  # a rewrite is a rename: a new inode
        with self._lock:
            cached = self._cache.get(extract_id)
            if cached is not None and cached[0] == stamp:
                return cached[1]
        loaded = FrozenBitMap.deserialize(path.read_bytes())
        with self._lock:
            self._cache[extract_id] = (stamp, loaded)
        return loaded

    def all_bitmaps(self) -> list[tuple[int, FrozenBitMap]]:
        """Every extract's bitmap in id order; re-checked only when the folder changed.

        Writing a bitmap renames a file into the folder, which changes the folder's
        modification time, so an unchanged folder means an unchanged set of bitmaps and a
        look-up need not stat a thousand files. File-system clocks are coarse (a few
        milliseconds), so a folder changed in the last second is never trusted this way.
        """
        if not self.bitmaps.exists():
            return []
        stamp = self.bitmaps.stat().st_mtime_ns
        snapshot = self._snapshot
        if snapshot is not None and snapshot[0] == stamp:
            return snapshot[1]
        loaded = [(extract_id, self.bitmap(extract_id)) for extract_id in self.extract_ids()]
        settled = time.time_ns() - stamp > _SETTLED_NS
        self._snapshot = (stamp, loaded) if settled else None
        return loaded

    def extracts_including(self, indices: Sequence[int]) -> list[int]:
        """The ids of the extracts whose cohort holds any of ``indices``, in id order."""
        if not indices:
            return []
        return [
            extract_id
            for extract_id, bitmap in self.all_bitmaps()
            if any(index in bitmap for index in indices)
        ]

    def size_on_disk(self) -> int:
        """Bytes used by the index and every bitmap."""
        files = list(self.bitmaps.glob("*")) if self.bitmaps.exists() else []
        total = sum(path.stat().st_size for path in files)
        index = self.folder / INDEX_FILE
        return total + (index.stat().st_size if index.exists() else 0)


_STORES: dict[Path, MembershipStore] = {}
_STORES_LOCK = threading.Lock()


def membership_store(haven: Haven) -> MembershipStore:
    """The haven's store, one per process so the bitmap cache is shared by every request."""
    folder = store_folder(haven).resolve()
    with _STORES_LOCK:
        store = _STORES.get(folder)
        if store is None:
            store = _STORES[folder] = MembershipStore(folder)
        return store


def record_extract_membership(haven: Haven, extract_id: int, patient_ids: Sequence[str]) -> None:
    """Remember who extract ``extract_id`` included (called by provisioning, once per extract).

    Patients new to the store also get their keyed NHS-number digest recorded, read once
    from the record store, so that a patient's look-up never has to search the record store.
    """
    store = membership_store(haven)
    indices, fresh = store.assign_and_report(list(patient_ids))
    if fresh:
        by_id = dict(fresh)
        store.add_nhs_keys((key, by_id[pid]) for key, pid in keyed_nhs_numbers(haven, list(by_id)))
    store.write(extract_id, indices)


def _lookup(connection: sqlite3.Connection, patient_ids: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(patient_ids), _BATCH):
        batch = patient_ids[start : start + _BATCH]
        marks = ",".join("?" * len(batch))
        found.update(
            connection.execute(
                f"SELECT patient_id, idx FROM patient_index WHERE patient_id IN ({marks})",
                batch,
            ).fetchall()
        )
    return found
